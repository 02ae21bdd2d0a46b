"""The rarer ``nn.functional`` entries and their modules, run on tensorkeys and on real
PyTorch with the same inputs: values, dtypes, ``grad_fn`` names, gradients, versions and
error texts must agree.

Skipped when torch is not installed. Inputs are drawn by hypothesis (few examples per case).
Random functions (the alpha dropouts) draw from each library's own generator, so only their
deterministic settings are compared value for value; their statistics are checked in
``tests/tensor/test_nn_extra.py``.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

torch = pytest.importorskip("torch")

import tensor  # noqa: E402

pytestmark = pytest.mark.differential

F32, F64, I64 = np.float32, np.float64, np.int64
EXAMPLES = settings(max_examples=5, deadline=None)


class Const:
    """An array argument that never requires grad (targets, indices, offsets)."""

    def __init__(self, arr):
        self.arr = np.asarray(arr)


def _lib_arg(lib, a, grad):
    if isinstance(a, Const):
        return lib.from_numpy(np.array(a.arr))
    if isinstance(a, np.ndarray):
        t = lib.from_numpy(np.array(a))
        if grad and a.dtype in (F32, F64):
            t.requires_grad_()
        return t
    return a


def _names(fn):
    """The node names of a graph, depth first (AccumulateGrad leaves left out)."""
    out = []

    def walk(f):
        if f is None or "AccumulateGrad" in f.name():
            return
        out.append(f.name())
        for nxt, _ in f.next_functions:
            walk(nxt)
    walk(fn)
    return out


def run(lib, fn, args, grad):
    ins = [_lib_arg(lib, a, grad) for a in args]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(lib, lib.nn.functional, *ins)
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    rec = {"values": [o.detach().numpy().copy() for o in outs],
           "dtypes": [str(o.dtype) for o in outs],
           "graph": [_names(o.grad_fn) for o in outs],
           "requires_grad": [o.requires_grad for o in outs], "grads": None}
    leaves = [t for t in ins if isinstance(t, lib.Tensor) and t.requires_grad]
    diff = [o for o in outs if o.requires_grad]
    if grad and leaves and diff:
        rng = np.random.default_rng(0)
        cots = [lib.from_numpy(rng.standard_normal(tuple(o.shape)).astype(
            o.detach().numpy().dtype)) for o in diff]
        gs = lib.autograd.grad(diff, leaves, cots, allow_unused=True)
        rec["grads"] = [None if g is None else g.numpy().copy() for g in gs]
    return rec


def _close(a, b, what, tol):
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} != {b.dtype}"
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol, equal_nan=True, err_msg=what)


def compare(fn, *args, grad=True, tol=None, graph=True):
    theirs = run(torch, fn, args, grad)
    ours = run(tensor, fn, args, grad)
    for k in ("dtypes", "requires_grad") + (("graph",) if graph else ()):
        assert ours[k] == theirs[k], f"{k}: ours {ours[k]} != torch {theirs[k]}"
    if tol is None:
        single = any(v.dtype == F32 for v in theirs["values"])
        tol = 1e-5 if single else 1e-10
    for i, (a, b) in enumerate(zip(ours["values"], theirs["values"])):
        _close(a, b, f"output {i}", tol)
    if theirs["grads"] is not None:
        assert ours["grads"] is not None, "ours computed no gradients"
        for i, (a, b) in enumerate(zip(ours["grads"], theirs["grads"])):
            if b is None:
                assert a is None or not a.any(), f"grad {i}: torch None, ours {a}"
            else:
                _close(a, b, f"grad {i}", tol)
    return ours


def same_error(fn, *args, grad=False):
    """Both raise; ours has torch's exception type and starts with its message."""
    try:
        run(torch, fn, args, grad)
    except Exception as e:           # noqa: BLE001
        theirs = e
    else:
        pytest.fail("torch raised nothing")
    with pytest.raises(Exception) as info:
        run(tensor, fn, args, grad)
    ours = info.value
    assert type(ours).__name__ == type(theirs).__name__, f"{type(ours)}: {ours}"
    assert str(ours).startswith(str(theirs).split("\n")[0]), f"\nours:  {ours}\ntorch: {theirs}"


def arrays(draw, shape, dtype=F64, lo=-3.0, hi=3.0):
    el = st.floats(float(np.float32(lo)), float(np.float32(hi)), allow_nan=False, width=32)
    return np.asarray(draw(hnp.arrays(dtype, shape, elements=el)), dtype=dtype)


def small_shape(draw, min_dims=0, max_dims=2, max_side=3):
    return draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1,
                                 max_side=max_side))


# -- bilinear ------------------------------------------------------------------------------
@EXAMPLES
@given(data=st.data())
def test_bilinear(data):
    draw = data.draw
    dt = draw(st.sampled_from([F32, F64]))
    batch = small_shape(draw, 0, 2)
    o, d1, d2 = (draw(st.integers(1, 3)) for _ in range(3))
    args = [arrays(draw, batch + (d1,), dt), arrays(draw, batch + (d2,), dt),
            arrays(draw, (o, d1, d2), dt)]
    if draw(st.booleans()):
        compare(lambda lib, F, a, b, w, c: F.bilinear(a, b, w, c), *args,
                arrays(draw, (o,), dt))
    else:
        compare(lambda lib, F, a, b, w: lib.bilinear(a, b, w), *args)


def test_bilinear_broadcast_input_and_trilinear():
    x2 = np.arange(4.0).reshape(1, 1, 4)
    compare(lambda lib, F, a, b, w: F.bilinear(a, b.expand(2, 3, 4), w),
            np.ones((2, 3, 2)), x2, np.linspace(-1, 1, 40).reshape(5, 2, 4))
    compare(lambda lib, F, a, w, b: lib._trilinear(a, w, b, [1, 3], [0], [1, 2], [2, 3]),
            np.linspace(0, 1, 6).reshape(3, 2), np.linspace(-1, 1, 40).reshape(5, 2, 4),
            np.linspace(1, 2, 12).reshape(3, 4))


def test_bilinear_errors():
    a, b, w, c = np.ones((3, 2)), np.ones((3, 4)), np.ones((5, 2, 4)), np.ones(5)
    f = lambda lib, F, *t: F.bilinear(*t)  # noqa: E731
    same_error(f, a.astype(F32), b, w, c)
    same_error(f, a, b, w.astype(F32))
    same_error(f, a, b[:2], w, c)
    same_error(f, a, b[0], w, c)
    same_error(f, a, b, w[:, :1], c)
    same_error(f, a, b, w[:, :, :1], c)
    same_error(f, a, b, w, c[:2])
    compare(f, np.ones((3, 2), I64), np.ones((3, 4), I64), np.ones((5, 2, 4), I64))
    compare(f, np.ones((0, 2)), np.ones((0, 4)), w, c)


def test_bilinear_module():
    for lib in (torch, tensor):
        lib.manual_seed(0)
    m_t, m_o = torch.nn.Bilinear(2, 3, 4), tensor.nn.Bilinear(2, 3, 4)
    assert repr(m_o) == repr(m_t)
    assert repr(tensor.nn.Bilinear(2, 3, 4, bias=False)) == \
        repr(torch.nn.Bilinear(2, 3, 4, bias=False))
    assert [n for n, _ in m_o.named_parameters()] == [n for n, _ in m_t.named_parameters()]
    bound = 1 / math.sqrt(2)
    for p in m_o.parameters():
        assert p.dtype == tensor.float32 and p.requires_grad
        assert float(p.abs().max()) <= bound
    assert tuple(m_o.weight.shape) == (4, 2, 3) and tuple(m_o.bias.shape) == (4,)
    sd = {k: torch.from_numpy(v.numpy().copy()) for k, v in m_o.state_dict().items()}
    m_t.load_state_dict(sd)
    x1, x2 = np.linspace(-1, 1, 10).reshape(5, 2), np.linspace(0, 2, 15).reshape(5, 3)
    ours = m_o(tensor.tensor(x1, dtype=tensor.float32), tensor.tensor(x2, dtype=tensor.float32))
    theirs = m_t(torch.tensor(x1, dtype=torch.float32), torch.tensor(x2, dtype=torch.float32))
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5)
    assert ours.grad_fn.name() == theirs.grad_fn.name()


# -- pdist ---------------------------------------------------------------------------------
@EXAMPLES
@given(data=st.data(), p=st.sampled_from([2.0, 1.0, 0.0, 0.5, 1.5, 3.0, math.inf]))
def test_pdist(data, p):
    draw = data.draw
    dt = draw(st.sampled_from([F32, F64]))
    # (no empty input: torch's pdist backward crashes on zero rows)
    n, m = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    # rows on a grid a step apart plus small noise: no zero or tied differences
    x = (np.arange(n * m).reshape(n, m) * 0.37 + arrays(draw, (n, m), F64, -0.05, 0.05))
    x = x.astype(dt)
    if draw(st.booleans()):
        compare(lambda lib, F, a: F.pdist(a.t().contiguous().t(), p), x)
    else:
        compare(lambda lib, F, a: lib.pdist(a, p), x)


def test_pdist_ties_and_zero_distances():
    x = np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 0.0], [1.0, 4.0]])
    for p in (2.0, 1.0, 0.5, 0.0, 3.0, math.inf):
        compare(lambda lib, F, a: F.pdist(a, p), x)


def test_pdist_errors_and_double_backward():
    x = np.ones((3, 2))
    same_error(lambda lib, F, a: F.pdist(a), x[0])
    same_error(lambda lib, F, a: F.pdist(a), x.astype(I64))
    same_error(lambda lib, F, a: F.pdist(a, -1.0), x)

    def twice(lib, F, a):
        y = F.pdist(a)
        g, = lib.autograd.grad(y.sum(), a, create_graph=True)
        assert g.grad_fn.name() == "PdistBackwardBackward0"
        g.sum().backward()
    same_error(twice, np.arange(6.0).reshape(3, 2), grad=True)


# -- channel shuffle -----------------------------------------------------------------------
@EXAMPLES
@given(data=st.data())
def test_channel_shuffle(data):
    draw = data.draw
    g = draw(st.integers(1, 3))
    shape = (draw(st.integers(0, 2)), g * draw(st.integers(1, 2))) + small_shape(draw, 1, 3)
    x = arrays(draw, shape, draw(st.sampled_from([F32, F64])))
    compare(lambda lib, F, a: F.channel_shuffle(a, g), x)
    compare(lambda lib, F, a: lib.channel_shuffle(a * 2, g), x)
    compare(lambda lib, F, a: lib.nn.ChannelShuffle(g)(a), x)
    compare(lambda lib, F, a: F.native_channel_shuffle(a, g), x, grad=False)


def test_channel_shuffle_errors_and_no_native_derivative():
    for fn in (lambda lib, F, a: F.channel_shuffle(a, 3), lambda lib, F, a: F.channel_shuffle(a, 0),
               lambda lib, F, a: F.channel_shuffle(a, -2),
               lambda lib, F, a: F.native_channel_shuffle(a, 3)):
        same_error(fn, np.ones((2, 4, 3)))
    same_error(lambda lib, F, a: F.channel_shuffle(a, 2), np.ones(4))
    same_error(lambda lib, F, a: F.channel_shuffle(a, 2), np.ones((2, 4), I64))
    compare(lambda lib, F, a: F.channel_shuffle(a, 2), np.arange(24).reshape(2, 4, 3))
    assert repr(tensor.nn.ChannelShuffle(3)) == repr(torch.nn.ChannelShuffle(3))

    def backward(lib, F, a):
        y = F.native_channel_shuffle(a, 2)
        assert y.grad_fn.name() == "torch::autograd::NotImplemented"
        y.sum().backward()
    same_error(backward, np.ones((2, 4, 3)), grad=True)


# -- alpha dropout -------------------------------------------------------------------------
ALPHA = {
    "alpha": lambda lib, F, x, p, t: F.alpha_dropout(x, p, t),
    "feature": lambda lib, F, x, p, t: F.feature_alpha_dropout(x, p, t),
    "torch.alpha": lambda lib, F, x, p, t: lib.alpha_dropout(x, p, t),
    "torch.feature": lambda lib, F, x, p, t: lib.feature_alpha_dropout(x, p, t),
}


@pytest.mark.parametrize("name", sorted(ALPHA))
@EXAMPLES
@given(data=st.data())
def test_alpha_dropout_deterministic_settings(name, data):
    """Eval mode and p=0 give the input itself; p=1 multiplies by a zero (MulBackward0)."""
    draw = data.draw
    x = arrays(draw, small_shape(draw, 2, 3), draw(st.sampled_from([F32, F64])))
    fn = ALPHA[name]
    p, train = draw(st.sampled_from([(0.5, False), (0.0, True), (1.0, True)]))
    if p == 1.0:
        compare(lambda lib, F, a: fn(lib, F, a, p, train), x)
    for lib in (torch, tensor):
        t = lib.from_numpy(x.copy())
        assert (fn(lib, lib.nn.functional, t, p, train) is t) == (p != 1.0)


@pytest.mark.parametrize("feature", [False, True])
def test_alpha_dropout_graph_and_inplace(feature):
    """In training: MulBackward0 under AddBackward0, one version bump per in-place step."""
    fname = "feature_alpha_dropout" if feature else "alpha_dropout"
    x = np.linspace(-1, 1, 12).reshape(3, 4)
    for inplace in (False, True):
        recs = []
        for lib in (torch, tensor):
            a = lib.tensor(x, requires_grad=True)
            b = a * 1.0
            y = getattr(lib.nn.functional, fname)(b, 0.3, True, inplace)
            recs.append((_names(y.grad_fn), y is b, b._version, y.dtype == a.dtype))
        assert recs[0] == recs[1]


def test_alpha_dropout_errors_and_modules():
    x = np.ones((2, 3))
    for f in ("alpha_dropout", "feature_alpha_dropout"):
        same_error(lambda lib, F, a: getattr(F, f)(a, 1.5, True), x)
        same_error(lambda lib, F, a: getattr(lib, f)(a, -0.5, True), x)
        same_error(lambda lib, F, a: getattr(F, f)(a, 0.5, True), x.astype(I64))
    same_error(lambda lib, F, a: F.feature_alpha_dropout(a, 0.5, True), np.ones(3))
    compare(lambda lib, F, a: F.feature_alpha_dropout(a, 0.5, False), np.ones(3))
    for args in ((), (0.2,), (0.3, True)):
        for name in ("AlphaDropout", "FeatureAlphaDropout"):
            assert repr(getattr(tensor.nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        tensor.nn.AlphaDropout(2.0)
    m = tensor.nn.AlphaDropout(0.4).eval()
    t = tensor.ones(3, 4)
    assert m(t) is t


# -- in-place activation forms -------------------------------------------------------------
INPLACE = {
    "elu_": lambda lib, F, x: F.elu_(x, 0.7),
    "relu_": lambda lib, F, x: F.relu_(x),
    "leaky_relu_": lambda lib, F, x: F.leaky_relu_(x, 0.2),
    "hardtanh_": lambda lib, F, x: F.hardtanh_(x, -0.5, 1.5),
    "hardtanh_default": lambda lib, F, x: F.hardtanh_(x),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
@EXAMPLES
@given(data=st.data())
def test_inplace_activation_forms(name, data):
    x = arrays(data.draw, small_shape(data.draw, 0, 3))
    x = np.where(np.isin(np.round(x, 1), [0.0, -0.5, 1.5, -1.0, 1.0]), 0.33, x)

    def fn(lib, F, a):
        b = a * 1.0
        v = b._version
        out = INPLACE[name](lib, F, b)
        assert out is b and b._version == v + 1
        return out
    compare(fn, x)


# -- multilabel_margin_loss ----------------------------------------------------------------
def _multilabel_case(draw, batched):
    n, c = draw(st.integers(0 if batched else 1, 3)), draw(st.integers(1, 4))
    rows = []
    for _ in range(n):
        k = draw(st.integers(0, c))
        labels = list(draw(st.permutations(range(c))))[:k]
        # entries after the first -1 are ignored, whatever they are
        tail = [-1] + [draw(st.integers(-1, c - 1)) for _ in range(c - k - 1)] if k < c else []
        rows.append(labels + tail)
    shape = (n, c) if batched else (c,)
    x = draw(hnp.arrays(I64, shape, elements=st.integers(-4, 4))) * 0.3
    target = np.asarray(rows if batched else rows[0], dtype=I64).reshape(shape)
    return x, target


@EXAMPLES
@given(data=st.data(), batched=st.booleans(), reduction=st.sampled_from(["none", "mean", "sum"]))
def test_multilabel_margin_loss(data, batched, reduction):
    x, target = _multilabel_case(data.draw, batched)
    dt = data.draw(st.sampled_from([F32, F64]))
    compare(lambda lib, F, a, t: F.multilabel_margin_loss(a, t, reduction=reduction),
            x.astype(dt), Const(target))
    compare(lambda lib, F, a, t: lib.nn.MultiLabelMarginLoss(reduction=reduction)(a, t),
            x.astype(dt), Const(target))


def test_multilabel_margin_loss_errors():
    x, y = np.zeros((2, 4)), np.array([[3, 0, -1, 1], [1, 2, 3, -1]])
    f = lambda lib, F, a, t: F.multilabel_margin_loss(a, t)  # noqa: E731
    compare(f, x, Const(y))
    same_error(f, x, Const(y[:, :3]))
    same_error(f, x, Const(y.astype(np.int32)))
    same_error(f, x, Const(y + 2))
    same_error(f, x.astype(I64), Const(y))
    same_error(f, x[None], Const(y[None]))
    same_error(f, x[:, :0], Const(y[:, :0]))
    same_error(f, np.array(0.5), Const(np.array(3)))
    compare(f, np.array(0.5), Const(np.array(0)))
    same_error(lambda lib, F, a, t: F.multilabel_margin_loss(a, t, reduction="bad"), x, Const(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compare(lambda lib, F, a, t: F.multilabel_margin_loss(a, t, size_average=False), x,
                Const(y))
    assert repr(tensor.nn.MultiLabelMarginLoss()) == repr(torch.nn.MultiLabelMarginLoss())

    def twice(lib, F, a, t):
        g, = lib.autograd.grad(F.multilabel_margin_loss(a, t), a, create_graph=True)
        g.sum().backward()
    same_error(twice, np.linspace(-1, 1, 8).reshape(2, 4), Const(y), grad=True)


# -- triplet_margin_with_distance_loss -----------------------------------------------------
DISTANCES = {
    "default": lambda lib: None,
    "cosine": lambda lib: lambda a, b: 1.0 - lib.nn.functional.cosine_similarity(a, b),
    "module": lambda lib: lib.nn.PairwiseDistance(p=1.0),
}


@pytest.mark.parametrize("dist", sorted(DISTANCES))
@EXAMPLES
@given(data=st.data(), swap=st.booleans(), reduction=st.sampled_from(["none", "mean", "sum"]))
def test_triplet_margin_with_distance_loss(dist, data, swap, reduction):
    draw = data.draw
    n, d = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    a = arrays(draw, (n, d))
    pos = a + arrays(draw, (n, d), lo=0.2, hi=1.0)
    neg = a - arrays(draw, (n, d), lo=0.2, hi=1.5)
    margin = draw(st.sampled_from([1.0, 0.37]))

    def fn(lib, F, x, p, q):
        return F.triplet_margin_with_distance_loss(
            x, p, q, distance_function=DISTANCES[dist](lib), margin=margin, swap=swap,
            reduction=reduction)

    def mod(lib, F, x, p, q):
        m = lib.nn.TripletMarginWithDistanceLoss(distance_function=DISTANCES[dist](lib),
                                                 margin=margin, swap=swap, reduction=reduction)
        return m(x, p, q)
    compare(fn, a, pos, neg, tol=1e-8)
    compare(mod, a, pos, neg, tol=1e-8)


def test_triplet_margin_with_distance_loss_errors_and_repr():
    x = np.ones((2, 3))
    def f(**kw):
        return lambda lib, F, a, p, n: F.triplet_margin_with_distance_loss(a, p, n, **kw)
    same_error(f(reduction="bad"), x, x, x)
    same_error(f(margin=0.0), x, x, x)
    same_error(f(), x, x, x[0])
    for lib in (torch, tensor):
        with pytest.raises(ValueError, match="TripletMarginWithDistanceLoss: expected margin"):
            lib.nn.TripletMarginWithDistanceLoss(margin=-1.0)
    for kw in ({}, {"distance_function": None, "margin": 2.0, "swap": True}):
        assert repr(tensor.nn.TripletMarginWithDistanceLoss(**kw)) == \
            repr(torch.nn.TripletMarginWithDistanceLoss(**kw))


# -- gumbel_softmax ------------------------------------------------------------------------
@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax_graph_and_shape(hard):
    """Same graph, shape and dtype; a hard sample is one-hot and its gradient is the soft
    sample's (straight through)."""
    x = np.linspace(-1, 1, 12).reshape(3, 4)
    recs = []
    for lib in (torch, tensor):
        a = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.gumbel_softmax(a, tau=0.5, hard=hard, dim=0)
        recs.append((_names(y.grad_fn), tuple(y.shape), str(y.dtype)))
        if hard:
            v = y.detach().numpy()
            assert set(np.unique(v)) <= {0.0, 1.0} and (v.sum(0) == 1).all()
    assert recs[0] == recs[1]
    for lib in (torch, tensor):
        with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
            lib.nn.functional.gumbel_softmax(lib.tensor(x), eps=1e-3)


# -- embedding_bag -------------------------------------------------------------------------
@EXAMPLES
@given(data=st.data(), mode=st.sampled_from(["sum", "mean", "max"]))
def test_embedding_bag_1d(data, mode):
    draw = data.draw
    n, d, k = draw(st.integers(1, 5)), draw(st.integers(1, 3)), draw(st.integers(0, 7))
    idx = np.asarray(draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k)), dtype=I64)
    cuts = sorted(draw(st.lists(st.integers(0, k), max_size=3)))
    last = draw(st.booleans())
    offsets = np.asarray([0] + cuts + ([k] if last else []), dtype=I64)
    dt = draw(st.sampled_from([F32, F64]))
    # distinct weights: ties of max pick different rows in the two libraries' loops
    w = (np.arange(n * d).reshape(n, d) * 0.37 + arrays(draw, (n, d), lo=-0.1, hi=0.1))
    w = np.where(np.arange(n * d).reshape(n, d) % 2, -w, w).astype(dt)
    pad = draw(st.sampled_from([None, 0, -1]))
    kw = dict(mode=mode, include_last_offset=last, padding_idx=pad)
    if mode != "max":
        kw["scale_grad_by_freq"] = draw(st.booleans())
    if mode == "sum" and draw(st.booleans()):
        compare(lambda lib, F, i, ww, o, p: F.embedding_bag(i, ww, o, per_sample_weights=p,
                                                            **kw),
                Const(idx), w, Const(offsets), arrays(draw, (k,), dt))
    else:
        compare(lambda lib, F, i, ww, o: F.embedding_bag(i, ww, o, **kw), Const(idx), w,
                Const(offsets))


@EXAMPLES
@given(data=st.data(), mode=st.sampled_from(["sum", "mean", "max"]))
def test_embedding_bag_2d_and_module(data, mode):
    draw = data.draw
    n, d = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    b, L = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    idx = np.asarray(draw(hnp.arrays(I64, (b, L), elements=st.integers(0, n - 1))))
    w = (np.arange(n * d).reshape(n, d) * 0.37 + arrays(draw, (n, d), lo=-0.1, hi=0.1))
    compare(lambda lib, F, i, ww: F.embedding_bag(i, ww, mode=mode), Const(idx), w)

    def module(lib, F, i, ww):
        m = lib.nn.EmbeddingBag(n, d, mode=mode, padding_idx=0, _weight=ww)
        return m(i)
    compare(module, Const(idx), w)


def test_embedding_bag_max_norm_and_repr():
    idx, offs = np.array([0, 2, 4, 1, 1]), np.array([0, 2])
    w = np.linspace(-3, 3, 15).reshape(5, 3)
    recs = []
    for lib in (torch, tensor):
        ww = lib.tensor(w)
        out = lib.nn.functional.embedding_bag(lib.tensor(idx), ww, lib.tensor(offs),
                                              max_norm=1.5, norm_type=1.0, mode="sum")
        recs.append((out.numpy(), ww.numpy()))
    for a, b in zip(*recs):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    for kw in ({}, dict(max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, mode="max",
                        padding_idx=-2, include_last_offset=True), dict(mode="sum")):
        assert repr(tensor.nn.EmbeddingBag(5, 3, **kw)) == repr(torch.nn.EmbeddingBag(5, 3, **kw))
    tensor.manual_seed(0)
    m = tensor.nn.EmbeddingBag(6, 4, padding_idx=2)
    assert (m.weight[2] == 0).all() and tuple(m.weight.shape) == (6, 4)
    assert [n for n, _ in m.named_parameters()] == ["weight"]


def test_embedding_bag_errors():
    idx, w, offs = np.array([0, 2, 4, 1, 1]), np.ones((5, 3)), np.array([0, 2])
    f = lambda **kw: lambda lib, F, i, ww, o: F.embedding_bag(i, ww, o, **kw)  # noqa: E731
    same_error(f(), Const(idx), w, Const(np.array([1, 2])))
    same_error(f(), Const(idx), w, Const(np.array([0, 6])))
    same_error(f(), Const(idx + 3), w, Const(offs))
    same_error(f(), Const(idx), w, Const(offs[None]))
    same_error(f(padding_idx=7), Const(idx), w, Const(offs))
    same_error(f(mode="prod"), Const(idx), w, Const(offs))
    same_error(f(mode="max", scale_grad_by_freq=True), Const(idx), w, Const(offs))
    same_error(f(mode="mean", per_sample_weights=np.ones(5)), Const(idx), w, Const(offs))
    same_error(f(per_sample_weights=np.ones(4)), Const(idx), w, Const(offs))
    same_error(f(), Const(idx), w[0], Const(offs))
    same_error(f(), Const(idx.reshape(5, 1)), w, Const(offs))
    same_error(lambda lib, F, i, ww: F.embedding_bag(i, ww), Const(idx), w)
    same_error(lambda lib, F, i, ww: F.embedding_bag(i, ww), Const(idx.reshape(1, 1, 5)), w)
    compare(f(), Const(idx.astype(np.int32)), w, Const(offs.astype(np.int32)))


# -- affine_grid / grid_sample -------------------------------------------------------------
@EXAMPLES
@given(data=st.data(), d=st.sampled_from([2, 3]), align=st.booleans())
def test_affine_grid(data, d, align):
    draw = data.draw
    n = draw(st.integers(1, 2))
    size = (n, 2) + tuple(draw(st.integers(1, 4)) for _ in range(d))
    dt = draw(st.sampled_from([F32, F64]))
    compare(lambda lib, F, t: F.affine_grid(t, size, align_corners=align),
            arrays(draw, (n, d, d + 1), dt))


def _grid_points(draw, n, out, d, sizes, align, dt):
    """Grid values whose source coordinates sit a fixed distance off pixel centres, cell
    edges, borders and reflection folds (where one-sided derivatives or roundings differ)."""
    g = arrays(draw, (n,) + out + (d,), F64, -1.4, 1.4)
    for k in range(d):
        size = sizes[d - 1 - k]
        src = (g[..., k] + 1) / 2 * (size - 1) if align else ((g[..., k] + 1) * size - 1) / 2
        src = np.floor(src * 2) / 2 + 0.23
        if align:
            g[..., k] = src / (size - 1) * 2 - 1 if size > 1 else 0.0
        else:
            g[..., k] = (2 * src + 1) / size - 1
    return g.astype(dt)


@EXAMPLES
@given(data=st.data(), d=st.sampled_from([2, 3]), mode=st.sampled_from(["bilinear", "nearest"]),
       padding=st.sampled_from(["zeros", "border", "reflection"]), align=st.booleans())
def test_grid_sample(data, d, mode, padding, align):
    draw = data.draw
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    sizes = tuple(draw(st.integers(1, 4)) for _ in range(d))
    out = tuple(draw(st.integers(1, 3)) for _ in range(d))
    dt = draw(st.sampled_from([F32, F64]))
    x = arrays(draw, (n, c) + sizes, dt)
    grid = _grid_points(draw, n, out, d, sizes, align, dt)
    compare(lambda lib, F, a, g: F.grid_sample(a, g, mode=mode, padding_mode=padding,
                                               align_corners=align), x, grid)


def test_grid_sample_over_affine_grid_and_torch_grid_sampler():
    theta = np.array([[[0.9, -0.2, 0.1], [0.3, 1.1, -0.05]]])
    x = np.linspace(-1, 1, 2 * 4 * 5).reshape(1, 2, 4, 5)

    def fn(lib, F, t, a):
        g = F.affine_grid(t, (1, 2, 3, 4), align_corners=False)
        return F.grid_sample(a, g, padding_mode="border", align_corners=False)
    compare(fn, theta, x)
    compare(lambda lib, F, a, g: lib.grid_sampler(a, g, 0, 0, True), x,
            np.full((1, 2, 2, 2), 0.31))

    def twice(lib, F, a, g):
        y = F.grid_sample(a, g, align_corners=True)
        ga, gg = lib.autograd.grad((y * y).sum(), (a, g), create_graph=True)
        return ga.sum() + (gg * gg).sum()
    # the second derivative is composed of tensor ops here (one node in PyTorch)
    compare(twice, x, np.full((1, 2, 3, 2), 0.31), tol=1e-8, graph=False)


def test_grid_sample_and_affine_grid_errors():
    x, g = np.ones((2, 3, 4, 5), F32), np.zeros((2, 6, 7, 2), F32)
    f = lambda **kw: lambda lib, F, a, b: F.grid_sample(a, b, align_corners=False, **kw)  # noqa
    same_error(f(), x, g[:1])
    same_error(f(), x, g.astype(F64))
    same_error(f(), x, g[..., :1])
    same_error(f(), x, g[0])
    same_error(f(), x[0], g)
    same_error(f(mode="area"), x, g)
    same_error(f(padding_mode="wrap"), x, g)
    same_error(f(), x.astype(I64), g.astype(I64))
    same_error(f(), x[:, :, :0], g)
    same_error(f(mode="bicubic"), np.ones((2, 3, 4, 5, 6), F32), g[:, None, ..., :1].repeat(3, -1))
    compare(f(), x[:, :0], g)
    a = lambda size, **kw: lambda lib, F, t: F.affine_grid(t, size, **kw)  # noqa: E731
    t = np.ones((2, 2, 3), F32)
    same_error(a((2, 3, 4), align_corners=False), t)
    same_error(a((2, 3, 4, 5), align_corners=False), np.ones((2, 3, 3), F32))
    same_error(a((2, 3, 4, 5), align_corners=False), t.astype(I64))
    same_error(a((2, 3, 0, 5), align_corners=False), t)
    same_error(a((3, 3, 4, 5), align_corners=False), t)
    for lib in (torch, tensor):
        with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
            lib.nn.functional.affine_grid(lib.tensor(t), (2, 3, 4, 5))
        with pytest.warns(UserWarning, match="affine_grid behavior has changed for unit-size"):
            lib.nn.functional.affine_grid(lib.tensor(t), (2, 3, 1, 5), align_corners=True)


# -- ctc_loss ------------------------------------------------------------------------------
def _ctc_case(draw):
    t, n, c = draw(st.integers(1, 6)), draw(st.integers(1, 3)), draw(st.integers(2, 4))
    blank = draw(st.integers(0, c - 1))
    labels = [k for k in range(c) if k != blank]
    tl = [draw(st.integers(0, 3)) for _ in range(n)]
    il = [draw(st.integers(0, t)) for _ in range(n)]
    seqs = [[draw(st.sampled_from(labels)) for _ in range(k)] for k in tl]
    if draw(st.booleans()):
        targets = np.asarray(sum(seqs, []), dtype=I64)
    else:
        targets = np.zeros((n, max(max(tl), 1)), dtype=I64)
        for i, s in enumerate(seqs):
            targets[i, :len(s)] = s
    return t, n, c, blank, targets, il, tl


@EXAMPLES
@given(data=st.data(), reduction=st.sampled_from(["none", "mean", "sum"]),
       zero_infinity=st.booleans(), lengths=st.sampled_from(["tensor", "list"]),
       normalise=st.booleans())
def test_ctc_loss(data, reduction, zero_infinity, lengths, normalise):
    """Through log_softmax (the usual use) and on raw inputs (PyTorch's gradient formula,
    exp(lp) term included); impossible alignments give inf (or 0 with zero_infinity)."""
    draw = data.draw
    t, n, c, blank, targets, il, tl = _ctc_case(draw)
    x = arrays(draw, (t, n, c), draw(st.sampled_from([F32, F64])))

    def fn(lib, F, a, tg):
        lp = a.log_softmax(2) if normalise else a
        i, k = (lib.tensor(il), lib.tensor(tl)) if lengths == "tensor" else (il, tl)
        return F.ctc_loss(lp, tg, i, k, blank=blank, reduction=reduction,
                          zero_infinity=zero_infinity)
    compare(fn, x, Const(targets), tol=1e-4 if x.dtype == F32 else 1e-9)

    def module(lib, F, a, tg):
        m = lib.nn.CTCLoss(blank=blank, reduction=reduction, zero_infinity=zero_infinity)
        return m(a.log_softmax(2), tg, lib.tensor(il), lib.tensor(tl))
    compare(module, x, Const(targets), tol=1e-4 if x.dtype == F32 else 1e-9)


def test_ctc_loss_unbatched_and_toplevel():
    x = np.linspace(-2, 1, 5 * 4).reshape(5, 4)
    tg = np.array([1, 2, 2])
    compare(lambda lib, F, a, t: F.ctc_loss(a.log_softmax(1), t, lib.tensor(5), lib.tensor(3),
                                            reduction="none"), x, Const(tg))
    compare(lambda lib, F, a, t: F.ctc_loss(a.log_softmax(1), t, (5,), (3,)), x, Const(tg))
    compare(lambda lib, F, a, t: lib.ctc_loss(a.log_softmax(2), t, [5], [3], 0, 2, False),
            x[:, None], Const(tg[None]))
    compare(lambda lib, F, a, t: F.ctc_loss(a.log_softmax(2), t.float(), [5], [3]),
            x[:, None], Const(tg[None]))


def test_ctc_loss_errors():
    x = np.linspace(-2, 1, 5 * 2 * 4).reshape(5, 2, 4)
    tg, il, tl = np.array([[1, 2, 2], [3, 1, 0]]), np.array([5, 4]), np.array([3, 2])

    def f(a, t, i, k, **kw):
        return lambda lib, F, *_: F.ctc_loss(lib.tensor(a), lib.tensor(t), lib.tensor(i),
                                             lib.tensor(k), **kw)
    same_error(f(x, tg, il, tl, blank=4))
    same_error(f(x, tg, il, tl, blank=-1))
    same_error(f(x, tg, il[:1], tl))
    same_error(f(x, tg, il, tl[:1]))
    same_error(f(x, tg[:, :2], il, tl))
    same_error(f(x, tg, np.array([6, 4]), tl))
    same_error(f(x, tg, il.astype(F32), tl))
    same_error(f(x, tg, il, tl.astype(F32)))
    same_error(f(x.astype(I64), tg, il, tl))
    same_error(f(x, np.array([1, 2, 2, 3]), il, tl))
    same_error(f(x, tg, il, tl, reduction="bad"))
    same_error(f(x[0], tg, il, tl))
    assert repr(tensor.nn.CTCLoss(blank=2, reduction="sum", zero_infinity=True)) == \
        repr(torch.nn.CTCLoss(blank=2, reduction="sum", zero_infinity=True))

    def twice(lib, F, a):
        loss = F.ctc_loss(a.log_softmax(2), lib.tensor(tg), [5, 4], [3, 2])
        g, = lib.autograd.grad(loss, a, create_graph=True)
        g.sum().backward()
    same_error(twice, x, grad=True)


# -- AdaptiveLogSoftmaxWithLoss ------------------------------------------------------------
def _asm_pair(cutoffs, head_bias, in_features=8, n_classes=10, div_value=2.0):
    """The module in both libraries with the same (torch-drawn) parameters."""
    m_t = torch.nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs,
                                              div_value=div_value, head_bias=head_bias)
    m_t = m_t.double()
    m_o = tensor.nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs,
                                               div_value=div_value, head_bias=head_bias,
                                               dtype=tensor.float64)
    m_o.load_state_dict({k: tensor.tensor(v.detach().numpy()) for k, v in
                         m_t.state_dict().items()})
    return m_t, m_o


@EXAMPLES
@given(data=st.data(), cutoffs=st.sampled_from([[3], [2, 6], [1, 4, 8]]),
       head_bias=st.booleans())
def test_adaptive_log_softmax(data, cutoffs, head_bias):
    draw = data.draw
    n = draw(st.integers(1, 4))
    x = arrays(draw, (n, 8))
    target = np.asarray(draw(hnp.arrays(I64, (n,), elements=st.integers(0, 9))))
    m_t, m_o = _asm_pair(cutoffs, head_bias)
    assert repr(m_o) == repr(m_t)
    recs = []
    for lib, m in ((torch, m_t), (tensor, m_o)):
        a = lib.tensor(x, requires_grad=True)
        out, loss = m(a, lib.tensor(target))
        loss.backward()
        recs.append([out.detach().numpy(), loss.detach().numpy(), a.grad.numpy(),
                     m.head.weight.grad.numpy(), m.log_prob(a).detach().numpy(),
                     m.predict(a).numpy(), out.grad_fn.name(), loss.grad_fn.name()])
    for a, b in zip(*recs):
        if isinstance(a, str):
            assert a == b
        else:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    single = [m(lib.tensor(x[0]), lib.tensor(target[0])) for lib, m in
              ((torch, m_t), (tensor, m_o))]
    np.testing.assert_allclose(single[0].output.detach().numpy(),
                               single[1].output.detach().numpy(), rtol=1e-10)


def test_adaptive_log_softmax_errors():
    for bad in ([], [3, 2], [0, 4], [4, 10], [2, 2], [2.5]):
        for lib in (torch, tensor):
            with pytest.raises(ValueError, match="cutoffs should be"):
                lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, bad)
    m_t, m_o = _asm_pair([3], False)
    x, t = np.ones((2, 8)), np.array([1, 2])
    cases = [(x, t[:1]), (x[0], t), (x, t[:, None]), (x, np.array(1)), (x, np.array([1, 12]))]
    for a, b in cases:
        errs = []
        for lib, m in ((torch, m_t), (tensor, m_o)):
            with pytest.raises(RuntimeError) as info:
                m(lib.tensor(a), lib.tensor(b))
            errs.append(str(info.value))
        assert errs[1] == errs[0]
