"""Generators, random ops and save/load: reproducibility, state round trips, statistical
moments with fixed seeds, argument errors, and save/load round trips of nested structures."""

from __future__ import annotations

import collections
import io
import math
import pathlib
import pickle

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tensor as torch

SEEDS = st.integers(-2 ** 63, 2 ** 64 - 1)
SMALL = settings(max_examples=25, deadline=None)


def _draws(g):
    """One of each kind of draw from ``g``, as numpy arrays."""
    x = torch.empty(5)
    return [torch.rand(3, generator=g), torch.randn(2, 2, generator=g),
            torch.randint(-4, 9, (4,), generator=g), torch.randperm(6, generator=g),
            torch.normal(0.0, 2.0, (3,), generator=g),
            torch.normal(torch.zeros(3), torch.ones(3), generator=g),
            torch.poisson(torch.full((3,), 3.0), generator=g),
            torch.multinomial(torch.tensor([0.2, 0.3, 0.5]), 2, generator=g),
            x.clone().exponential_(2.0, generator=g), x.clone().geometric_(0.3, generator=g),
            x.clone().log_normal_(generator=g), x.clone().cauchy_(generator=g),
            x.clone().random_(generator=g), x.clone().random_(3, 11, generator=g),
            x.clone().normal_(generator=g), x.clone().uniform_(generator=g),
            torch.bernoulli(torch.full((4,), 0.5), generator=g)]


@SMALL
@given(SEEDS)
def test_same_seed_same_values(seed):
    a = [t.numpy() for t in _draws(torch.Generator().manual_seed(seed))]
    b = [t.numpy() for t in _draws(torch.Generator().manual_seed(seed))]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@SMALL
@given(SEEDS, st.integers(0, 3))
def test_state_round_trip_resumes_the_stream(seed, skip):
    g = torch.Generator().manual_seed(seed)
    for _ in range(skip):
        torch.rand(7, generator=g)
    state = g.get_state()
    first = [t.numpy() for t in _draws(g)]
    other = torch.Generator().set_state(state)
    assert other.initial_seed() == seed % 2 ** 64
    for x, y in zip(first, [t.numpy() for t in _draws(other)]):
        np.testing.assert_array_equal(x, y)


def test_generator_basics():
    g = torch.Generator()
    assert g.initial_seed() == 67280421310721
    assert g.manual_seed(-1) is g and g.initial_seed() == 2 ** 64 - 1
    assert str(g.device) == "cpu"
    s = g.seed()
    assert g.initial_seed() == s and 0 <= s < 2 ** 64
    st_ = g.get_state()
    assert st_.dtype == torch.uint8 and tuple(st_.shape) == (5056,)
    assert st_ is not g.get_state()
    a = torch.rand(4, generator=g.clone_state())
    assert np.array_equal(a.numpy(), torch.rand(4, generator=g).numpy())


@pytest.mark.parametrize("seed, exc, msg", [
    (1.5, RuntimeError, "manual_seed expected a long, but got float"),
    (True, RuntimeError, "manual_seed expected a long, but got bool"),
    (2 ** 64, ValueError, "Overflow when unpacking long long"),
    (-2 ** 63 - 1, ValueError, "Overflow when unpacking long long"),
])
def test_generator_manual_seed_errors(seed, exc, msg):
    with pytest.raises(exc, match=msg):
        torch.Generator().manual_seed(seed)


def test_set_state_errors():
    g = torch.Generator()
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        g.set_state(torch.zeros(5056))
    with pytest.raises(TypeError, match="expected a torch.ByteTensor, but got list"):
        g.set_state([1])
    with pytest.raises(RuntimeError, match="Expected a CPUGeneratorImplState of size 5056 but "
                                           "found the input RNG state size to be 3"):
        g.set_state(torch.zeros(3, dtype=torch.uint8))
    with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
        g.set_state(torch.zeros(5056, dtype=torch.uint8))


def test_default_generator_functions():
    assert torch.manual_seed(5) is torch.default_generator
    assert torch.initial_seed() == 5
    torch.manual_seed(7.9)          # int(seed), as PyTorch converts it
    assert torch.initial_seed() == 7
    state = torch.get_rng_state()
    a = torch.rand(5)
    torch.set_rng_state(state)
    assert np.array_equal(a.numpy(), torch.rand(5).numpy())
    with torch.random.fork_rng():
        b = torch.randn(3)
    assert np.array_equal(b.numpy(), torch.randn(3).numpy())
    s = torch.seed()
    assert torch.initial_seed() == s
    import tensor.random as tr
    assert tr.manual_seed(3) is torch.default_generator


def test_default_generator_drives_dropout_and_init():
    torch.manual_seed(11)
    a = torch.nn.functional.dropout(torch.ones(50), 0.5)
    torch.manual_seed(11)
    assert np.array_equal(a.numpy(), torch.nn.functional.dropout(torch.ones(50), 0.5).numpy())


# -- moments with fixed seeds -----------------------------------------------------------------
N = 20000


def _sample(fill, dtype=torch.float64, seed=0):
    return fill(torch.empty(N, dtype=dtype), torch.Generator().manual_seed(seed)).numpy()


def _close(value, expected, sd):
    """Within six standard errors of the mean of ``N`` draws with this standard deviation."""
    assert abs(value - expected) <= 6 * sd / math.sqrt(N), (value, expected)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_moments(seed):
    lam = 2.5
    x = _sample(lambda t, g: t.exponential_(lam, generator=g), seed=seed)
    assert (x >= 0).all()
    _close(x.mean(), 1 / lam, 1 / lam)
    p = 0.3
    x = _sample(lambda t, g: t.geometric_(p, generator=g), seed=seed)
    assert (x >= 1).all() and (x == np.round(x)).all()
    _close(x.mean(), 1 / p, math.sqrt(1 - p) / p)
    x = _sample(lambda t, g: t.log_normal_(0.0, 0.5, generator=g), seed=seed)
    _close(np.log(x).mean(), 0.0, 0.5)
    _close(np.log(x).std(), 0.5, 0.5)
    x = _sample(lambda t, g: t.cauchy_(1.0, 2.0, generator=g), seed=seed)
    _close(np.median(x), 1.0, 2.0 * math.pi / 2)
    g = torch.Generator().manual_seed(seed)
    x = torch.normal(3.0, 2.0, (N,), generator=g, dtype=torch.float64).numpy()
    _close(x.mean(), 3.0, 2.0)
    x = torch.normal(torch.full((N,), -1.0), torch.full((N,), 0.5), generator=g).numpy()
    _close(x.mean(), -1.0, 0.5)
    x = torch.poisson(torch.full((N,), 4.0), generator=g).numpy()
    _close(x.mean(), 4.0, 2.0)
    x = torch.rand(N, generator=g).numpy()
    assert ((x >= 0) & (x < 1)).all()
    _close(x.mean(), 0.5, math.sqrt(1 / 12))
    z = torch.randn(N, dtype=torch.complex128, generator=g).numpy()
    _close((np.abs(z) ** 2).mean(), 1.0, 1.0)


@pytest.mark.parametrize("seed", [0, 1])
def test_multinomial_frequencies(seed):
    g = torch.Generator().manual_seed(seed)
    p = torch.tensor([0.1, 0.0, 0.6, 0.3], dtype=torch.float64)
    draws = torch.multinomial(p, N, replacement=True, generator=g).numpy()
    counts = np.bincount(draws, minlength=4) / N
    assert counts[1] == 0
    for q, c in zip(p.numpy(), counts):
        _close(c, q, math.sqrt(q * (1 - q)))


@SMALL
@given(st.integers(0, 2 ** 32), st.integers(1, 6), st.booleans())
def test_multinomial_without_replacement_is_distinct(seed, n, two_d):
    probs = torch.rand(3, 6, generator=torch.Generator().manual_seed(seed)) + 0.01
    if not two_d:
        probs = probs[0]
    out = torch.multinomial(probs, n, generator=torch.Generator().manual_seed(seed))
    assert out.dtype == torch.int64
    rows = out.numpy().reshape(-1, n)
    assert all(len(set(r)) == n for r in rows)


@pytest.mark.parametrize("dtype, lo, hi", [
    (torch.uint8, 0, 255), (torch.int8, 0, 127), (torch.int16, 0, 2 ** 15 - 1),
    (torch.bool, 0, 1), (torch.float16, 0, 2 ** 11), (torch.float32, 0, 2 ** 24)])
def test_random_default_ranges(dtype, lo, hi):
    x = torch.empty(4000, dtype=dtype).random_(generator=torch.Generator()).numpy()
    x = x.astype(np.float64)
    assert x.min() >= lo and x.max() <= hi and x.max() > lo + (hi - lo) / 2
    assert (x == np.round(x)).all()


@SMALL
@given(st.integers(-100, 100), st.integers(1, 50))
def test_random_from_to_range(lo, width):
    x = torch.empty(200, dtype=torch.int64).random_(lo, lo + width,
                                                   generator=torch.Generator()).numpy()
    assert x.min() >= lo and x.max() < lo + width


def test_inplace_random_ops_bump_versions_and_obey_rules():
    for fill in (lambda t: t.exponential_(), lambda t: t.geometric_(0.5),
                 lambda t: t.log_normal_(), lambda t: t.cauchy_(), lambda t: t.random_(),
                 lambda t: t.random_(4), lambda t: t.random_(1, 4)):
        t = torch.zeros(3)
        assert fill(t) is t and t._version == 1
        leaf = torch.zeros(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            fill(leaf)
        with torch.inference_mode():
            inf = torch.zeros(3)
        with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside"):
            fill(inf)


@pytest.mark.parametrize("call, exc, msg", [
    (lambda: torch.zeros(3).exponential_(0.0), RuntimeError,
     "exponential_ expects lambda > 0.0, but found lambda=0"),
    (lambda: torch.zeros(3, dtype=torch.int64).exponential_(), RuntimeError,
     "Exponential distribution is a continuous probability distribution. dtype must be a "
     "floating point but you specified Long"),
    (lambda: torch.zeros(3).geometric_(1.0), RuntimeError,
     r"geometric_ expects p to be in \(0, 1\), but got p=1"),
    (lambda: torch.zeros(3).cauchy_(0.0, -1.0), RuntimeError,
     "cauchy_ expects sigma > 0.0, but found sigma=-1"),
    (lambda: torch.zeros(3).random_(5, 2), RuntimeError,
     "random_ expects 'from' to be less than 'to', but got from=5 >= to=2"),
    (lambda: torch.zeros(3, dtype=torch.uint8).random_(0, 300), RuntimeError,
     "to - 1 is out of bounds for unsigned char"),
    (lambda: torch.zeros(3).random_(1.5), TypeError,
     "random_.. received an invalid combination of arguments"),
    (lambda: torch.multinomial(torch.ones(3), 4), RuntimeError,
     "cannot sample n_sample > prob_dist.size.-1. samples without replacement"),
    (lambda: torch.multinomial(torch.zeros(2, 3), 1), RuntimeError,
     r"invalid multinomial distribution \(sum of probabilities <= 0\)"),
    (lambda: torch.poisson(torch.tensor([-1.0])), RuntimeError,
     "invalid Poisson rate, expected rate to be non-negative"),
    (lambda: torch.normal(torch.zeros(2), -1.0), RuntimeError,
     "normal expects std >= 0.0, but found std -1"),
    (lambda: torch.rand(2, generator=3), TypeError, "argument 'generator' must be"),
])
def test_random_errors(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


def test_failed_random_op_changes_nothing():
    t = torch.ones(3)
    with pytest.raises(RuntimeError):
        t.random_(5, 2)
    assert t._version == 0 and (t.numpy() == 1).all()


# -- save / load ----------------------------------------------------------------------------
DTYPES = [torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64,
          torch.float16, torch.float32, torch.float64, torch.complex64, torch.complex128]


@st.composite
def tensors(draw):
    dtype = draw(st.sampled_from(DTYPES))
    shape = tuple(draw(st.lists(st.integers(0, 3), max_size=3)))
    seed = draw(st.integers(0, 1000))
    arr = np.random.default_rng(seed).normal(size=shape) * 50
    t = torch.tensor(arr).to(dtype)
    if len(shape) >= 2 and draw(st.booleans()):
        t = t.transpose(0, 1)
    if dtype.is_floating_point and draw(st.booleans()):
        t = t.detach().requires_grad_()
    return t


leaves = st.one_of(st.integers(-10 ** 6, 10 ** 6), st.floats(allow_nan=False), st.text(),
                   st.booleans(), st.none(), tensors())
nested = st.recursive(leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.tuples(inner, inner),
    st.dictionaries(st.text(max_size=3), inner, max_size=3)), max_leaves=8)


def _same(a, b):
    if isinstance(a, torch.Tensor):
        assert type(b) is type(a) and a.dtype == b.dtype and a.shape == b.shape
        assert a.stride() == b.stride() and a.requires_grad == b.requires_grad and b.is_leaf
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, dict):
        assert type(a) is type(b) and list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    else:
        assert a == b and type(a) is type(b)


def _round_trip(obj, **kw):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, **kw)


@settings(max_examples=40, deadline=None)
@given(nested)
def test_save_load_round_trips_nested_structures(obj):
    _same(obj, _round_trip(obj))


def test_views_keep_sharing_storage(tmp_path):
    base = torch.arange(12.0)
    view = base[2:8].view(2, 3)
    tview = base.view(3, 4).t()
    path = tmp_path / "views.pt"
    torch.save({"base": base, "view": view, "t": tview}, path)
    r = torch.load(path)
    assert r["t"].stride() == (1, 4) and r["view"].shape == (2, 3)
    r["view"][0, 0] = -5.0
    assert r["base"][2].item() == -5.0 and r["t"][2, 0].item() == -5.0
    r["base"][3] = 42.0
    assert r["view"][0, 1].item() == 42.0


def test_parameters_state_dicts_and_modules(tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    path = str(tmp_path / "sd.pt")
    torch.save(model.state_dict(), path)
    sd = torch.load(path)
    assert isinstance(sd, collections.OrderedDict) and list(sd) == list(model.state_dict())
    other = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    other.load_state_dict(torch.load(path))
    x = torch.randn(5, 3)
    np.testing.assert_array_equal(model(x).detach().numpy(), other(x).detach().numpy())
    p = torch.nn.Parameter(torch.ones(2))
    q = _round_trip(p)
    assert type(q) is torch.nn.Parameter and q.requires_grad
    q = _round_trip(torch.nn.Parameter(torch.ones(2), requires_grad=False))
    assert type(q) is torch.nn.Parameter and not q.requires_grad
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        _round_trip(model)
    whole = _round_trip(model, weights_only=False)
    np.testing.assert_array_equal(model(x).detach().numpy(), whole(x).detach().numpy())


class _Custom:
    def __init__(self, v):
        self.v = v


def test_weights_only_refuses_other_classes():
    with pytest.raises(pickle.UnpicklingError,
                       match="(?s)Weights only load failed.*GLOBAL .*_Custom was not an allowed"):
        _round_trip({"a": _Custom(1)})
    assert _round_trip({"a": _Custom(1)}, weights_only=False)["a"].v == 1
    with torch.serialization.safe_globals([_Custom]):
        assert _round_trip(_Custom(2)).v == 2
    with pytest.raises(pickle.UnpicklingError):
        _round_trip(_Custom(3))
    assert _round_trip({1, 2}) == {1, 2} and _round_trip(b"ab") == b"ab"
    assert _round_trip(torch.float16) is torch.float16
    assert _round_trip(torch.Size([2, 3])) == torch.Size([2, 3])
    g = _round_trip(torch.Generator().manual_seed(9), weights_only=False)
    assert g.initial_seed() == 9


def test_map_location_and_files(tmp_path):
    t = torch.arange(4.0)
    for loc in ("cpu", torch.device("cpu"), {"cpu": "cpu"}, {"cuda:0": "cpu"},
                lambda storage, where: storage, lambda storage, where: None):
        np.testing.assert_array_equal(_round_trip(t, map_location=loc).numpy(), t.numpy())
    with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device"):
        _round_trip(t, map_location="cuda")
    with pytest.raises(TypeError, match="'int' object is not callable"):
        _round_trip(t, map_location=3)
    path = pathlib.Path(tmp_path) / "t.pt"
    torch.save(t, path)
    assert torch.load(path, mmap=True).tolist() == t.tolist()
    with pytest.raises(ValueError, match="f must be a file path in order to use the mmap"):
        _round_trip(t, mmap=True)
    with pytest.raises(AttributeError, match="expected 'f' to be string, path, or a file-like"):
        torch.save(t, 3)
    with pytest.raises(FileNotFoundError):
        torch.load(tmp_path / "missing.pt")
    with pytest.raises(EOFError):
        torch.load(io.BytesIO())
    with open(path, "rb") as fh:
        assert fh.read(2) == b"PK"          # a zip archive, as PyTorch's files are
