"""Random ops, generators and save/load against PyTorch: the numbers differ (our generator is
numpy's), so these compare everything else — dtypes, shapes, grad_fn names, versions,
requires_grad, return types and argument errors."""

from __future__ import annotations

import io
import pickle
import warnings

import pytest

import tensor as tk

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.differential


def _meta(r):
    if isinstance(r, (tk.Tensor, torch.Tensor)):
        return ("tensor", str(r.dtype), tuple(r.shape), r.requires_grad,
                r.grad_fn.name() if r.grad_fn is not None else None, r._version)
    if isinstance(r, (tk.Generator, torch.Generator)):
        return ("generator",)
    return (type(r).__name__, r if isinstance(r, (int, float, str, type(None))) else None)


def _run(fn, lib):
    try:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = fn(lib)
        return ("ok", _meta(r), [str(x.message).split(".")[0] for x in w])
    except Exception as e:  # noqa: BLE001 - the error is what is compared
        # the builtin class the error is (ours may be a subclass, e.g. InferenceTensorError)
        cls = next(c for c in type(e).__mro__ if c.__module__ in ("builtins", "_pickle"))
        return ("error", cls.__name__, str(e).split("\n")[0])


def _same(fn):
    ours, theirs = _run(fn, tk), _run(fn, torch)
    if ours[0] == "error" and theirs[0] == "error":
        assert ours[1] == theirs[1], (ours, theirs)
        assert ours[2].startswith(theirs[2].split(" Hint:")[0]) or \
            theirs[2].startswith(ours[2].split(" Hint:")[0]), (ours, theirs)
    else:
        assert ours == theirs


def _leafy(L):
    return L.zeros(2, 3, requires_grad=True).clone()


CASES = {
    "rand": lambda L: L.rand(2, 3, generator=L.Generator()),
    "rand_f64": lambda L: L.rand((2,), dtype=L.float64),
    "rand_complex": lambda L: L.rand(2, dtype=L.complex64),
    "rand_int": lambda L: L.rand(2, dtype=L.int64),
    "randn_int": lambda L: L.randn(2, dtype=L.int64),
    "randn_rg": lambda L: L.randn(2, requires_grad=True),
    "randint": lambda L: L.randint(3, (4,), generator=L.Generator()),
    "randint_float": lambda L: L.randint(3, 10, (2,), dtype=L.float32),
    "randint_bool": lambda L: L.randint(10, (2,), dtype=L.bool),
    "randint_bad": lambda L: L.randint(5, 2, (2,)),
    "randint_float_high": lambda L: L.randint(3.5, (2,)),
    "randperm": lambda L: L.randperm(5, generator=L.Generator()),
    "randperm_neg": lambda L: L.randperm(-1),
    "rand_like": lambda L: L.rand_like(L.zeros(2, dtype=L.float64), generator=L.Generator()),
    "randn_like": lambda L: L.randn_like(L.zeros(2), generator=L.Generator()),
    "randint_like": lambda L: L.randint_like(L.zeros(2), 5, generator=L.Generator()),
    "normal_tt": lambda L: L.normal(L.zeros(2, 3, requires_grad=True), L.ones(3)),
    "normal_tf": lambda L: L.normal(L.zeros(2, requires_grad=True), 2.0),
    "normal_ft": lambda L: L.normal(1.0, L.ones(2, dtype=L.float64, requires_grad=True)),
    "normal_ff": lambda L: L.normal(1.0, 2.0, (2, 3), generator=L.Generator()),
    "normal_ff_rg": lambda L: L.normal(1.0, 2.0, size=(2,), requires_grad=True),
    "normal_ff_dtype": lambda L: L.normal(1.0, 2.0, (2,), dtype=L.float64),
    "normal_ff_nosize": lambda L: L.normal(1.0, 2.0),
    "normal_ff_intsize": lambda L: L.normal(1.0, 2.0, 3),
    "normal_mixed": lambda L: L.normal(L.zeros(3), L.ones(3, dtype=L.float64)),
    "normal_int_std": lambda L: L.normal(L.zeros(3), L.ones(3, dtype=L.int64)),
    "normal_int_mean": lambda L: L.normal(L.zeros(3, dtype=L.int64), 1.0),
    "normal_neg_std": lambda L: L.normal(L.zeros(3), -1.0),
    "normal_nan_std": lambda L: L.normal(L.zeros(3), float("nan")),
    "normal_neg_tstd": lambda L: L.normal(L.zeros(3), -L.ones(3)),
    "normal_complex_std": lambda L: L.normal(0.0, L.ones(3, dtype=L.complex64)),
    "normal_complex_mean": lambda L: L.normal(L.zeros(3, dtype=L.complex64), 1.0),
    "normal_broadcast_bad": lambda L: L.normal(L.zeros(2, 3), L.ones(4)),
    "poisson": lambda L: L.poisson(L.ones(3, requires_grad=True)),
    "poisson_gen": lambda L: L.poisson(L.ones(3, dtype=L.float64), generator=L.Generator()),
    "poisson_int": lambda L: L.poisson(L.ones(3, dtype=L.int64)),
    "poisson_neg": lambda L: L.poisson(-L.ones(3)),
    "multi": lambda L: L.multinomial(L.ones(2, 4), 3),
    "multi_method": lambda L: L.ones(4).multinomial(2, True, generator=L.Generator()),
    "multi_repl": lambda L: L.multinomial(L.ones(4), 9, replacement=True),
    "multi_too_many": lambda L: L.multinomial(L.ones(4), 5),
    "multi_zero_row": lambda L: L.multinomial(L.tensor([[1.0, 0.0], [0.0, 0.0]]), 1),
    "multi_zero_row_repl": lambda L: L.multinomial(L.zeros(3), 2, True),
    "multi_neg": lambda L: L.multinomial(L.tensor([1.0, -1.0]), 1),
    "multi_neg_repl": lambda L: L.multinomial(L.tensor([1.0, -1.0]), 2, True),
    "multi_inf_repl": lambda L: L.multinomial(L.tensor([1.0, float("inf")]), 2, True),
    "multi_int": lambda L: L.multinomial(L.ones(3, dtype=L.int64), 1),
    "multi_3d": lambda L: L.multinomial(L.ones(2, 2, 2), 1),
    "multi_zero_n": lambda L: L.multinomial(L.ones(3), 0),
    "multi_grad": lambda L: L.multinomial(L.ones(3, requires_grad=True), 2),
    "multi_empty_rows": lambda L: L.multinomial(L.ones(0, 3), 2),
    "seed": lambda L: L.manual_seed(3),
    "seed_neg": lambda L: L.Generator().manual_seed(-5).initial_seed(),
    "seed_float_gen": lambda L: L.Generator().manual_seed(1.5),
    "seed_overflow": lambda L: L.Generator().manual_seed(2 ** 64),
    "seed_float_top": lambda L: L.manual_seed(2.7).initial_seed(),
    "gen_initial": lambda L: L.Generator().initial_seed(),
    "gen_cuda": lambda L: L.Generator(device="cuda"),
    "gen_meta": lambda L: L.Generator("meta"),
    "gen_device": lambda L: str(L.Generator(device=L.device("cpu")).device),
    "state": lambda L: L.get_rng_state(),
    "gen_state": lambda L: L.Generator().get_state(),
    "set_state_size": lambda L: L.Generator().set_state(L.zeros(3, dtype=L.uint8)),
    "set_state_dtype": lambda L: L.Generator().set_state(L.zeros(5056)),
    "set_state_list": lambda L: L.Generator().set_state([1]),
    "set_state_zero": lambda L: L.Generator().set_state(L.zeros(5056, dtype=L.uint8)),
    "set_state_ok": lambda L: L.Generator().set_state(L.Generator().get_state()),
    "set_rng_state": lambda L: L.set_rng_state(L.get_rng_state()),
    "fork_devices": lambda L: L.random.fork_rng(devices=[0]).__enter__(),
    "fork_cpu": lambda L: L.random.fork_rng(device_type="cpu").__enter__(),
}

DTYPE_NAMES = ["uint8", "int8", "int16", "int32", "int64", "bool", "float16", "float32",
               "float64", "complex64"]
FILLS = {
    "exponential": lambda t: t.exponential_(2.0),
    "exponential_bad": lambda t: t.exponential_(-1.0),
    "geometric": lambda t: t.geometric_(0.5),
    "geometric_bad": lambda t: t.geometric_(1.0),
    "log_normal": lambda t: t.log_normal_(),
    "log_normal_bad": lambda t: t.log_normal_(1.0, 0.0),
    "cauchy": lambda t: t.cauchy_(),
    "cauchy_bad": lambda t: t.cauchy_(0.0, 0.0),
    "random": lambda t: t.random_(),
    "random_to": lambda t: t.random_(5),
    "random_from_to": lambda t: t.random_(2, 5),
    "random_neg_from": lambda t: t.random_(-300, 5),
    "random_from_none": lambda t: t.random_(3, None),
    "random_big_to": lambda t: t.random_(0, 300),
    "random_full": lambda t: t.random_(-2 ** 63, None),
    "random_kw": lambda t: t.random_(**{"from": 1, "to": 4}),
    "random_to_kw": lambda t: t.random_(to=4),
    "random_float_arg": lambda t: t.random_(1.5),
    "random_overflow": lambda t: t.random_(0, 2 ** 63),
    "random_swapped": lambda t: t.random_(5, 2),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_api_cases(name):
    _same(CASES[name])


@pytest.mark.parametrize("dtype", DTYPE_NAMES)
@pytest.mark.parametrize("fill", sorted(FILLS))
def test_inplace_fills(fill, dtype):
    _same(lambda L: FILLS[fill](L.zeros(3, dtype=getattr(L, dtype))))


@pytest.mark.parametrize("fill", ["exponential", "geometric", "log_normal", "cauchy", "random",
                                  "random_to", "random_from_to"])
def test_inplace_fills_autograd_and_modes(fill):
    _same(lambda L: FILLS[fill](_leafy(L)))
    _same(lambda L: FILLS[fill](L.zeros(3, requires_grad=True)))

    def inference(L):
        with L.inference_mode():
            t = L.zeros(3)
        return FILLS[fill](t)
    _same(inference)
    _same(lambda L: FILLS[fill](L.zeros(2, 1).expand(2, 3)))


def test_normal_backward_is_zero():
    for L in (tk, torch):
        m = L.zeros(3, requires_grad=True)
        s = L.ones(3, requires_grad=True)
        L.normal(m, s).sum().backward()
        assert m.grad.tolist() == [0.0] * 3 and s.grad.tolist() == [0.0] * 3


# -- save / load ---------------------------------------------------------------------------
class _Thing:
    pass


def _round_trip(L, obj, **kw):
    buf = io.BytesIO()
    L.save(obj, buf)
    buf.seek(0)
    return L.load(buf, **kw)


SAVE_CASES = {
    "tensor": lambda L: _round_trip(L, L.ones(2, 3).t()),
    "leaf_rg": lambda L: _round_trip(L, L.ones(2, requires_grad=True)),
    "nonleaf": lambda L: _round_trip(L, L.ones(2, requires_grad=True) * 2),
    "param": lambda L: _round_trip(L, L.nn.Parameter(L.ones(2))),
    "param_frozen": lambda L: _round_trip(L, L.nn.Parameter(L.ones(2), requires_grad=False)),
    "expand": lambda L: _round_trip(L, L.ones(2).expand(3, 2)),
    "bool": lambda L: _round_trip(L, L.ones(2, dtype=L.bool)),
    "custom": lambda L: _round_trip(L, _Thing()),
    "custom_ok": lambda L: _round_trip(L, {"a": 1}, weights_only=False),
    "frozenset": lambda L: _round_trip(L, frozenset({1})),
    "slice": lambda L: _round_trip(L, slice(1, 2)),
    "complex": lambda L: _round_trip(L, 1 + 2j),
    "set": lambda L: _round_trip(L, {1, 2}).__class__.__name__,
    "generator": lambda L: _round_trip(L, L.Generator()),
    "map_cpu": lambda L: _round_trip(L, L.ones(2), map_location="cpu"),
    "map_dev": lambda L: _round_trip(L, L.ones(2), map_location=L.device("cpu")),
    "map_dict": lambda L: _round_trip(L, L.ones(2), map_location={"cuda:0": "cpu"}),
    "map_fn": lambda L: _round_trip(L, L.ones(2), map_location=lambda s, loc: s),
    "map_fn_none": lambda L: _round_trip(L, L.ones(2), map_location=lambda s, loc: None),
    "map_cuda": lambda L: _round_trip(L, L.ones(2), map_location="cuda"),
    "map_int": lambda L: _round_trip(L, L.ones(2), map_location=3),
    "mmap_buffer": lambda L: _round_trip(L, L.ones(2), mmap=True),
    "save_int": lambda L: L.save(L.ones(2), 3),
    "load_empty": lambda L: L.load(io.BytesIO()),
    "size": lambda L: list(_round_trip(L, L.Size([2, 3]))),
    "dtype": lambda L: str(_round_trip(L, L.float16)),
    "device": lambda L: str(_round_trip(L, L.device("cpu"))),
}


@pytest.mark.parametrize("name", sorted(SAVE_CASES))
def test_save_load_cases(name):
    _same(SAVE_CASES[name])


def test_weights_only_message_start_and_type():
    msgs = []
    for L in (tk, torch):
        with pytest.raises(pickle.UnpicklingError) as e:
            _round_trip(L, _Thing())
        msgs.append(str(e.value))
    assert msgs[0].startswith("Weights only load failed. This file can still be loaded, to do "
                              "so you have two options, ")
    tail = "WeightsUnpickler error: Unsupported global: GLOBAL "
    assert msgs[0].split(tail)[1].split(" was not")[0].endswith("_Thing")
    assert msgs[1].split(tail)[1].split(" was not")[0].endswith("_Thing")


def test_shared_views_after_load():
    out = []
    for L in (tk, torch):
        base = L.arange(6.0)
        r = _round_trip(L, {"b": base, "v": base[1:4], "t": base.view(2, 3).t()})
        r["v"][0] = 100.0
        out.append((r["b"].tolist(), r["t"].stride(), r["t"].tolist()))
    assert out[0] == out[1]


def test_state_dict_file_loads_into_module(tmp_path):
    for L in (tk, torch):
        L.manual_seed(0)
        model = L.nn.Linear(3, 2)
        path = tmp_path / f"{L.__name__}.pt"
        L.save(model.state_dict(), path)
        other = L.nn.Linear(3, 2)
        res = other.load_state_dict(L.load(path))
        assert list(res.missing_keys) == [] and list(res.unexpected_keys) == []
        assert other.weight.tolist() == model.weight.tolist()
