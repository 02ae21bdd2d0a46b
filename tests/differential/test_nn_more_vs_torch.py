"""The activations, losses, module backward hooks and ``nn.utils`` of the nn-more area, run on
tensorkeys and on real PyTorch with the same inputs: values, dtypes, ``grad_fn`` names,
gradients, versions, warnings and error texts must agree.

Skipped when torch is not installed. Inputs are drawn by hypothesis (few examples per case)
and kept away from the kinks of the piecewise functions, where the two libraries may pick
different one-sided derivatives.
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
    """An array argument that never requires grad (targets, class indices, weights)."""

    def __init__(self, arr):
        self.arr = np.asarray(arr)


def _lib_arg(lib, a, grad):
    if isinstance(a, Const):
        return lib.from_numpy(np.array(a.arr))
    if isinstance(a, np.ndarray):
        t = lib.from_numpy(np.array(a))
        if grad and a.dtype == F64:
            t.requires_grad_()
        return t
    return a


def run(lib, fn, args, grad):
    ins = [_lib_arg(lib, a, grad) for a in args]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(lib, lib.nn.functional, *ins)
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    rec = {"values": [o.detach().numpy().copy() for o in outs],
           "dtypes": [str(o.dtype) for o in outs],
           "grad_fn": [type(o.grad_fn).__name__ if o.grad_fn is not None else None
                       for o in outs],
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


def _close(a, b, what, single):
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} != {b.dtype}"
    tol = 1e-5 if single or a.dtype == F32 else 1e-10
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol, equal_nan=True, err_msg=what)


def compare(fn, *args, grad=True, grad_fn=True):
    theirs = run(torch, fn, args, grad)
    ours = run(tensor, fn, args, grad)
    keys = ("dtypes", "requires_grad") + (("grad_fn",) if grad_fn else ())
    for k in keys:
        assert ours[k] == theirs[k], f"{k}: ours {ours[k]} != torch {theirs[k]}"
    single = any(v.dtype == F32 for v in theirs["values"])
    for i, (a, b) in enumerate(zip(ours["values"], theirs["values"])):
        _close(a, b, f"output {i}", single)
    if theirs["grads"] is not None:
        assert ours["grads"] is not None, "ours computed no gradients"
        for i, (a, b) in enumerate(zip(ours["grads"], theirs["grads"])):
            if b is None:
                assert a is None or not a.any(), f"grad {i}: torch None, ours {a}"
            else:
                _close(a, b, f"grad {i}", single)
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


def away(a, points, margin=0.05):
    a = np.array(a)
    for p in points:
        a = np.where(np.abs(a - p) < margin, p + 2 * margin, a)
    return a.astype(a.dtype)


def arrays(draw, shape=None, dtype=F64, lo=-4.0, hi=4.0, kinks=()):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)) if shape is None \
        else shape
    el = st.floats(float(np.float32(lo)), float(np.float32(hi)), allow_nan=False, width=32)
    return away(np.asarray(draw(hnp.arrays(dtype, shape, elements=el)), dtype=dtype), kinks)


# -- activations ---------------------------------------------------------------------------
# name -> (call, kinks to avoid)
ACTIVATIONS = {
    "hardshrink": (lambda lib, F, x: F.hardshrink(x, 0.7), (-0.7, 0.7)),
    "hardshrink_method": (lambda lib, F, x: x.hardshrink(), (-0.5, 0.5)),
    "softshrink": (lambda lib, F, x: F.softshrink(x, 1.5), (-1.5, 1.5)),
    "tanhshrink": (lambda lib, F, x: F.tanhshrink(x), ()),
    "softsign": (lambda lib, F, x: F.softsign(x), (0.0,)),
    "threshold": (lambda lib, F, x: F.threshold(x, 0.5, -2.0), (0.5,)),
    "torch.threshold": (lambda lib, F, x: lib.threshold(x, -1.0, 3.0), (-1.0,)),
    "mish": (lambda lib, F, x: F.mish(x), ()),
    "hardswish": (lambda lib, F, x: F.hardswish(x), (-3.0, 3.0)),
    "hardsigmoid": (lambda lib, F, x: F.hardsigmoid(x), (-3.0, 3.0)),
    "selu": (lambda lib, F, x: F.selu(x), (0.0,)),
    "celu": (lambda lib, F, x: F.celu(x, 0.7), (0.0,)),
    "torch.celu": (lambda lib, F, x: lib.celu(x), (0.0,)),
    "rrelu_eval": (lambda lib, F, x: F.rrelu(x, 0.2, 0.6), (0.0,)),
    "glu": (lambda lib, F, x: F.glu(lib.cat([x, x * 0.5 + 1], -1)), ()),
    "glu_dim0": (lambda lib, F, x: F.glu(x.reshape(-1).repeat(2), 0), ()),
    "prelu_scalar": (lambda lib, F, x: F.prelu(x, lib.tensor([0.3], dtype=x.dtype)), (0.0,)),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@EXAMPLES
@given(data=st.data())
def test_activation(name, data):
    fn, kinks = ACTIVATIONS[name]
    dt = data.draw(st.sampled_from([F32, F64]))
    x = arrays(data.draw, dtype=dt, kinks=kinks)
    if name.startswith("glu"):
        x = x.reshape(-1)
    compare(fn, x)


INPLACE = {
    "threshold": lambda lib, F, x: F.threshold(x, 0.25, 5.0, inplace=True),
    "threshold_": lambda lib, F, x: lib.threshold_(x, 0.25, -1.0),
    "mish": lambda lib, F, x: F.mish(x, inplace=True),
    "hardswish": lambda lib, F, x: F.hardswish(x, True),
    "hardsigmoid": lambda lib, F, x: F.hardsigmoid(x, True),
    "selu": lambda lib, F, x: F.selu(x, True),
    "selu_": lambda lib, F, x: lib.selu_(x),
    "celu": lambda lib, F, x: F.celu(x, 1.3, True),
    "rrelu_eval": lambda lib, F, x: F.rrelu(x, inplace=True),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
@EXAMPLES
@given(data=st.data())
def test_inplace_activation(name, data):
    """The in-place forms: same values, node names (ThresholdBackward1, EluBackward1...),
    gradients through the in-place node, and one version bump."""
    x = arrays(data.draw, kinks=(0.0, 0.25, -3.0, 3.0))

    def fn(lib, F, a):
        b = a * 1.0
        v = b._version
        out = INPLACE[name](lib, F, b)
        assert out is b and b._version == v + 1
        return out
    compare(fn, x)


def test_activation_errors():
    ints = np.array([1, -2, 3])
    for f in ("hardshrink", "softshrink", "mish", "hardswish", "hardsigmoid", "selu", "celu",
              "rrelu", "glu"):
        same_error(lambda lib, F, x: getattr(F, f)(x), ints)
    compare(lambda lib, F, x: F.threshold(x, -1.5, 7), np.array([-1, -2, 0, 1]))
    compare(lambda lib, F, x: F.tanhshrink(x), ints)
    compare(lambda lib, F, x: F.softsign(x), ints)
    same_error(lambda lib, F, x: F.threshold(x, 0, 1), np.array([True, False]))
    x = np.array([0.1, -0.3, 1.0], dtype=F32)
    same_error(lambda lib, F, a: F.softshrink(a, -0.5), x)
    same_error(lambda lib, F, a: F.softshrink(a, -0.5), x.astype(F64))
    compare(lambda lib, F, a: F.hardshrink(a, -0.5), x)
    same_error(lambda lib, F, a: F.glu(a), np.ones((3, 3)))
    same_error(lambda lib, F, a: F.glu(a), np.array(1.0))
    same_error(lambda lib, F, a: F.glu(a, 2), np.ones((2, 4)))
    same_error(lambda lib, F, a: F.celu(a, alpha=0.0), x)
    same_error(lambda lib, F, a: F.rrelu(a, 0.5, 0.1, training=True), x)
    same_error(lambda lib, F, a: F.rrelu(a, 0.5, 0.1), x)
    same_error(lambda lib, F, a, w: F.prelu(a, w), np.ones((2, 4)), np.ones(3))
    same_error(lambda lib, F, a, w: F.prelu(a, w), np.array(1.0), np.ones(3))
    same_error(lambda lib, F, a, w: F.prelu(a, w), np.ones((2, 1)), np.ones((1, 1)))
    same_error(lambda lib, F, a, w: F.prelu(a, w), np.ones((2, 1), F32), np.ones(1))
    compare(lambda lib, F, x: F.threshold(x, 0.5, 9.0), np.array([np.nan, 1.0, 0.5]),
            grad=False)
    compare(lambda lib, F, x: F.softshrink(x), np.array([np.nan, 0.5, -0.5]), grad=False)


@EXAMPLES
@given(data=st.data())
def test_prelu_channels(data):
    """One slope per channel (dim 1): values and both gradients; the weight is reshaped
    (ViewBackward0) under PreluKernelBackward0."""
    nd = data.draw(st.integers(1, 4))
    shape = tuple(data.draw(st.lists(st.integers(1, 3), min_size=nd, max_size=nd)))
    x = arrays(data.draw, shape, kinks=(0.0,))
    w = arrays(data.draw, (shape[1] if nd > 1 else 1,), lo=-1.0, hi=1.0)

    def fn(lib, F, a, b):
        out = F.prelu(a, b)
        names = [type(n).__name__ for n, _ in out.grad_fn.next_functions if n is not None]
        return out, lib.tensor(float(len(names)))
    compare(fn, x, w)


def test_rrelu_training_shapes_and_node():
    """Training-mode draws differ between the libraries; the structure does not."""
    for lib in (torch, tensor):
        x = lib.tensor([-1.0, 2.0, -3.0, 0.5], requires_grad=True)
        out = lib.nn.functional.rrelu(x, 0.1, 0.3, training=True)
        assert type(out.grad_fn).__name__ == "RreluWithNoiseBackward0"
        slopes = (out / x).detach().numpy()
        assert np.all((slopes[[0, 2]] >= 0.1) & (slopes[[0, 2]] <= 0.3))
        assert np.all(slopes[[1, 3]] == 1.0)
        out.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-6)
        y = x.detach().clone().requires_grad_()
        z = y * 1
        assert type(lib.rrelu_(z, training=True).grad_fn).__name__ == \
            "RreluWithNoiseBackward1"


# -- modules -------------------------------------------------------------------------------
MODULES = [
    "ReLU6()", "ReLU6(True)", "Hardtanh()", "Hardtanh(-2, 3, True)", "LogSigmoid()",
    "Softmin()", "Softmin(1)", "Softsign()", "Softshrink()", "Hardshrink(0.3)", "Tanhshrink()",
    "Threshold(0.1, 20)", "Threshold(0.1, 20, True)", "Mish()", "Mish(True)",
    "Hardswish(True)", "Hardsigmoid()", "SELU()", "SELU(True)", "CELU()", "CELU(0.5, True)",
    "GLU()", "GLU(0)", "RReLU()", "RReLU(0.1, 0.3, True)", "PReLU()", "PReLU(3, 0.1)",
    "Softmax2d()", "KLDivLoss()", "KLDivLoss(reduction='batchmean', log_target=True)",
    "PoissonNLLLoss()", "GaussianNLLLoss(full=True)", "MarginRankingLoss(0.5)",
    "HingeEmbeddingLoss()", "CosineEmbeddingLoss()", "TripletMarginLoss(swap=True)",
    "SoftMarginLoss()", "MultiLabelSoftMarginLoss()", "MultiMarginLoss(p=2)",
    "CosineSimilarity(0)", "PairwiseDistance(1.0, keepdim=True)",
]


@pytest.mark.parametrize("spec", MODULES)
def test_module_repr_and_state(spec):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = eval("torch.nn." + spec)
        ours = eval("tensor.nn." + spec)
    assert repr(ours) == repr(theirs)
    public = lambda m: {k: v for k, v in vars(m).items()       # noqa: E731
                        if not k.startswith("_") and k != "training"}
    assert public(ours) == public(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)


def test_module_forward_and_errors():
    x = np.linspace(-4, 4, 24).reshape(2, 3, 4)
    for spec in ("ReLU6()", "Hardtanh(-2, 3)", "LogSigmoid()", "Softmin(1)", "Softmax2d()",
                 "Threshold(0.1, 20)", "RReLU()", "PReLU(3)", "GLU()", "CELU(2.0)"):
        def fn(lib, F, a, spec=spec):
            m = eval("lib.nn." + spec).double()
            m.eval()
            return m(a)
        compare(fn, x, grad_fn=spec not in ("ReLU6()", "Hardtanh(-2, 3)", "LogSigmoid()"))
    same_error(lambda lib, F, a: lib.nn.Softmax2d()(a), np.ones((2, 3)))
    same_error(lambda lib, F: lib.nn.Hardtanh(1.0, 0.5))
    same_error(lambda lib, F: lib.nn.MultiMarginLoss(p=3))
    same_error(lambda lib, F: lib.nn.TripletMarginLoss(margin=0.0))
    for lib in (torch, tensor):
        with pytest.warns(FutureWarning, match="`min_value` is deprecated"):
            assert lib.nn.Hardtanh(min_value=-2).min_val == -2


# -- losses --------------------------------------------------------------------------------
RED = st.sampled_from(["mean", "sum", "none"])


@EXAMPLES
@given(data=st.data())
def test_kl_div(data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=3))
    red = data.draw(st.sampled_from(["mean", "sum", "none", "batchmean"]))
    log_target = data.draw(st.booleans())
    x = arrays(data.draw, shape)
    t = arrays(data.draw, shape, lo=-2.0, hi=1.0) if log_target else \
        arrays(data.draw, shape, lo=0.0, hi=2.0)
    compare(lambda lib, F, a, b: F.kl_div(a, b, reduction=red, log_target=log_target), x, t)
    compare(lambda lib, F, a, b: lib.nn.KLDivLoss(reduction=red, log_target=log_target)(a, b),
            x, Const(t))


def test_kl_div_warning_and_errors():
    for lib in (torch, tensor):
        with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss"):
            lib.nn.functional.kl_div(lib.zeros(2), lib.ones(2))
    same_error(lambda lib, F, a, b: F.kl_div(a, b, reduction="sum"), np.array([1, 2]),
               np.array([1, 2]))
    same_error(lambda lib, F, a, b: F.kl_div(a, b, reduction="x"), np.ones(2), np.ones(2))
    compare(lambda lib, F, a, b: F.kl_div(a, b, reduction="sum"), np.ones(2, F32),
            np.array([0.0, 0.5]))


@EXAMPLES
@given(data=st.data())
def test_poisson_and_gaussian_nll(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3))
    red, log_input, full = data.draw(RED), data.draw(st.booleans()), data.draw(st.booleans())
    x = arrays(data.draw, shape) if log_input else arrays(data.draw, shape, lo=0.1, hi=4.0)
    t = arrays(data.draw, shape, lo=0.0, hi=4.0, kinks=(1.0,))
    compare(lambda lib, F, a, b: F.poisson_nll_loss(a, b, log_input, full, reduction=red),
            x, t)
    var = arrays(data.draw, shape, lo=0.0, hi=2.0)
    compare(lambda lib, F, a, b, v: F.gaussian_nll_loss(a, b, v, full=full, reduction=red),
            x, t, away(var, (1e-6,), 1e-3))
    compare(lambda lib, F, a, b, v: F.gaussian_nll_loss(a, b, v, reduction=red),
            x, t, np.ones(shape[:-1]) * 0.5)
    compare(lambda lib, F, a, b: F.gaussian_nll_loss(a, b, 0.5, reduction=red), x, t)


def test_nll_losses_errors():
    same_error(lambda lib, F, a, b: F.poisson_nll_loss(a, b, reduction="bad"),
               np.ones(2), np.ones(2))
    for var in (np.ones((3, 2)), -np.ones((2, 3))):
        same_error(lambda lib, F, a, b, v: F.gaussian_nll_loss(a, b, v),
                   np.ones((2, 3)), np.ones((2, 3)), var)
    same_error(lambda lib, F, a, b, v: F.gaussian_nll_loss(a, b, v, reduction="x"),
               np.ones((2, 3)), np.ones((2, 3)), np.ones((2, 3)))
    same_error(lambda lib, F, a, b: F.gaussian_nll_loss(a, b, -1.0), np.ones(2), np.ones(2))


def _signs(draw, shape):
    return np.asarray(draw(hnp.arrays(F64, shape, elements=st.sampled_from([-1.0, 1.0]))))


@EXAMPLES
@given(data=st.data())
def test_margin_and_embedding_losses(data):
    red = data.draw(RED)
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=4))
    x1 = arrays(data.draw, shape)
    x2 = np.asarray(x1 - away(arrays(data.draw, shape), (-0.5, 0.5)))
    y = _signs(data.draw, shape)
    compare(lambda lib, F, a, b, t: F.margin_ranking_loss(a, b, t, 0.5, reduction=red),
            x1, x2, Const(y), grad_fn=red != "none")
    compare(lambda lib, F, a, t: F.hinge_embedding_loss(a, t, reduction=red),
            away(x1, (1.0,)), Const(y))
    compare(lambda lib, F, a, t: F.soft_margin_loss(a, t, reduction=red), x1, Const(y))
    compare(lambda lib, F, a, t: F.multilabel_soft_margin_loss(a, t, reduction=red),
            x1, Const((y > 0).astype(F64)))
    compare(lambda lib, F, a, t, w: F.multilabel_soft_margin_loss(a, t, w, reduction=red),
            x1, Const((y > 0).astype(F64)), Const(np.linspace(0.5, 1.5, shape[-1])))
    n, d = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 4))
    a = away(arrays(data.draw, (n, d)), (0.0,), 0.2)
    b = away(arrays(data.draw, (n, d)), (0.0,), 0.2)
    cos = (a * b).sum(1) / np.sqrt((a * a).sum(1) * (b * b).sum(1))
    t = np.where(np.abs(cos - 0.2) < 0.05, 1.0, _signs(data.draw, (n,)))
    compare(lambda lib, F, u, v, tt: F.cosine_embedding_loss(u, v, tt, 0.2, reduction=red),
            a, b, Const(t))
    compare(lambda lib, F, u, v, tt: F.cosine_embedding_loss(u[0], v[0], tt[0], 0.2,
                                                             reduction=red),
            a, b, Const(t))


@EXAMPLES
@given(data=st.data())
def test_distances(data):
    n, d = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 4))
    a = away(arrays(data.draw, (n, d)), (0.0,), 0.2)
    p = data.draw(st.sampled_from([2.0, 1.0, 3.0, math.inf]))
    b = np.asarray(a - away(arrays(data.draw, (n, d)), (0.0,), 0.1))
    keep = data.draw(st.booleans())
    compare(lambda lib, F, u, v: F.pairwise_distance(u, v, p, keepdim=keep), a, b,
            grad_fn=False)
    compare(lambda lib, F, u, v: lib.nn.PairwiseDistance(p, keepdim=keep)(u, v[0]), a, b,
            grad_fn=False)
    compare(lambda lib, F, u, v: lib.nn.CosineSimilarity()(u, v), a, b, grad_fn=False)
    c = np.asarray(a + 2 * away(arrays(data.draw, (n, d)), (0.0,), 0.1))
    swap = data.draw(st.booleans())
    red = data.draw(RED)

    def trip(lib, F, u, v, w):
        return F.triplet_margin_loss(u, v, w, margin=0.5, swap=swap, reduction=red)
    theirs = run(torch, trip, (a, b, c), False)["values"][0]
    # away from the hinge's kink, where the two sides' gradients differ
    if np.all(np.abs(theirs) > 1e-3) or red != "none":
        compare(trip, a, b, c, grad=bool(np.all(np.abs(theirs) > 1e-3)), grad_fn=False)


@EXAMPLES
@given(data=st.data())
def test_multi_margin_loss(data):
    batched = data.draw(st.booleans())
    n, c = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 4))
    shape = (n, c) if batched else (c,)
    x = np.round(arrays(data.draw, shape) * 4) / 4
    y = np.asarray(data.draw(hnp.arrays(I64, (n,) if batched else (),
                                        elements=st.integers(0, c - 1))))
    p, red = data.draw(st.sampled_from([1, 2])), data.draw(RED)
    w = data.draw(st.one_of(st.none(), hnp.arrays(F64, (c,), elements=st.floats(0.5, 2.0))))
    args = (x, Const(y)) if w is None else (x, Const(y), Const(w))
    compare(lambda lib, F, a, t, *ww: F.multi_margin_loss(a, t, p, 0.9, *ww, reduction=red),
            *args)
    compare(lambda lib, F, a, t, *ww: lib.nn.MultiMarginLoss(p, 0.9, *ww, reduction=red)(a, t),
            *args)


def test_loss_errors():
    s = np.ones((2, 3))
    same_error(lambda lib, F, a, t: F.multi_margin_loss(a, t), np.ones((2, 3, 1)),
               Const(np.array([1, 0])))
    same_error(lambda lib, F, a, t: F.multi_margin_loss(a, t), s, Const(np.array([1, 0, 1])))
    same_error(lambda lib, F, a, t: F.multi_margin_loss(a, t), s, Const(np.array([1, 3])))
    same_error(lambda lib, F, a, t: F.multi_margin_loss(a, t), s, Const(np.array([1.0, 0.0])))
    same_error(lambda lib, F, a, t: F.multi_margin_loss(a, t, p=3), s, Const(np.array([1, 0])))
    same_error(lambda lib, F, a, t, w: F.multi_margin_loss(a, t, weight=w), s,
               Const(np.array([1, 0])), Const(np.ones(2)))
    same_error(lambda lib, F, a, t, w: F.multi_margin_loss(a, t, weight=w), s,
               Const(np.array([1, 0])), Const(np.ones((1, 3))))
    same_error(lambda lib, F, a, t: F.soft_margin_loss(a, t), np.array([1, 2]),
               Const(np.array([1, -1])))
    same_error(lambda lib, F, a, t: F.soft_margin_loss(a, t), np.ones(3), Const(np.ones((2, 3))))
    same_error(lambda lib, F, a, t: F.soft_margin_loss(a, t), np.ones(3), np.ones(3),
               grad=True)
    compare(lambda lib, F, a, t: F.soft_margin_loss(a, t), np.ones(2, F32),
            Const(np.array([1.0, -1.0])))
    same_error(lambda lib, F, a, b, t: F.cosine_embedding_loss(a, b, t), np.ones((2, 3, 4)),
               np.ones((2, 3, 4)), Const(np.ones(2)))
    same_error(lambda lib, F, a, b, t: F.cosine_embedding_loss(a, b, t), s, s,
               Const(np.ones((2, 1))))
    same_error(lambda lib, F, a, b, t: F.triplet_margin_loss(a, b, t), s, s, np.ones(3))
    same_error(lambda lib, F, a, b, t: F.triplet_margin_loss(a, b, t, margin=-1), s, s, s)
    same_error(lambda lib, F, a, b, t: F.margin_ranking_loss(a, b, t), np.ones(3),
               np.ones(3), Const(np.ones((1, 3))))
    for lib in (torch, tensor):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            lib.nn.functional.soft_margin_loss(lib.ones(2), lib.ones(2), size_average=False)


# -- module backward hooks -----------------------------------------------------------------
def _fmt(g):
    if g is None:
        return None
    if isinstance(g, tuple):
        return tuple(_fmt(x) for x in g)
    return [round(float(v), 6) for v in g.reshape(-1).tolist()]


def _hook_program(lib):
    """A sequence of module calls with backward hooks; returns what the hooks saw, the
    gradients, the warnings and the errors, for comparison between the libraries."""
    nn = lib.nn
    log = []

    def hook(name):
        def h(m, gi, go):
            log.append((name, type(m).__name__, _fmt(gi), _fmt(go)))
        return h

    def fixed_linear():
        lin = nn.Linear(3, 2)
        with lib.no_grad():
            lin.weight.copy_(lib.tensor([[1.0, 2, 3], [4, 5, 6]]))
            lin.bias.fill_(0.5)
        return lin

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lin = fixed_linear()
        h1 = lin.register_full_backward_hook(hook("full"))
        x = lib.tensor([[1.0, -1, 2]], requires_grad=True)
        y = lin(x)
        log.append((type(y.grad_fn).__name__, y._is_view()))
        (y * lib.tensor([[1.0, 2]])).sum().backward()
        log.append(("xgrad", _fmt(x.grad)))
        lin(lib.tensor([[1.0, -1, 2]])).sum().backward()       # no input requires grad
        h1.remove()
        h1.remove()
        lin.register_full_backward_hook(lambda m, gi, go: (gi[0] * 10,))
        lin.register_full_backward_hook(hook("prepended"), prepend=True)
        x.grad = None
        lin(x).sum().backward()
        log.append(("replaced", _fmt(x.grad)))
        tanh = nn.Tanh()
        tanh.register_full_backward_pre_hook(lambda m, go: (go[0] * 0 + 1,))
        tanh.register_full_backward_hook(hook("tanh"))
        x.grad = None
        (tanh(x) * 3).sum().backward()
        log.append(("tanh x.grad", _fmt(x.grad)))

        class Multi(nn.Module):
            def forward(self, a, k, b):
                return a * b * k, a + 1
        m = Multi()
        m.register_full_backward_hook(hook("multi"))
        a = lib.tensor([1.0, 2], requires_grad=True)
        b = lib.tensor([3.0, 4])
        o1, _ = m(a, 2, b)
        o1.sum().backward()
        o1, o2 = m(a, 2, b)
        (o1.sum() + o2.sum() * 2).backward()
        for mod in (nn.ReLU(), nn.ReLU(inplace=True)):
            mod.register_full_backward_hook(hook("relu"))
            try:
                mod(x * 1).add_(1)
                log.append("in-place allowed")
            except RuntimeError as e:
                log.append(str(e)[:150])
        legacy = fixed_linear()
        legacy.register_backward_hook(hook("legacy"))
        legacy(x).sum().backward()
        for register in (legacy.register_full_backward_hook,):
            try:
                register(hook("x"))
            except RuntimeError as e:
                log.append(str(e))
        bad = nn.Linear(3, 2)
        bad.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
        try:
            bad(x).sum().backward()
        except RuntimeError as e:
            log.append(str(e))
        bad_pre = nn.Tanh()
        bad_pre.register_full_backward_pre_hook(lambda m, go: (go[0], go[0]))
        try:
            bad_pre(x).sum().backward()
        except RuntimeError as e:
            log.append(str(e))
        with lib.no_grad():
            log.append(("no_grad", lin(x).grad_fn is None))

        class Dict(nn.Module):
            def forward(self, a):
                return {"a": a * 2}
        d = Dict()
        d.register_full_backward_hook(hook("d"))
        log.append(type(d(x)).__name__)
        handle = nn.modules.module.register_module_full_backward_hook(hook("global"))
        try:
            t = nn.Tanh()
            t(x).sum().backward()
            try:
                nn.modules.module.register_module_backward_hook(hook("g2"))
            except RuntimeError as e:
                log.append(str(e))
        finally:
            handle.remove()
        t(x).sum().backward()
    log.append([str(w.message) for w in caught])
    return log


def test_module_backward_hooks_match_torch():
    theirs = _hook_program(torch)
    ours = _hook_program(tensor)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a == b


# -- nn.utils ------------------------------------------------------------------------------
def _clip_program(lib, norm_type, max_norm, seed):
    rng = np.random.default_rng(seed)
    u = lib.nn.utils
    a = lib.from_numpy(rng.standard_normal(3).astype(F32)).requires_grad_()
    b = lib.from_numpy(rng.standard_normal((2, 2))).requires_grad_()
    c = lib.zeros(2, requires_grad=True)
    a.grad = lib.from_numpy(rng.standard_normal(3).astype(F32))
    b.grad = lib.from_numpy(rng.standard_normal((2, 2)))
    versions = a.grad._version
    total = u.clip_grad_norm_([a, b, c], max_norm, norm_type=norm_type)
    out = [total.numpy().copy(), str(total.dtype), total.requires_grad,
           a.grad.numpy().copy(), b.grad.numpy().copy(), c.grad, a.grad._version - versions]
    u.clip_grad_value_((a, b), 0.1)
    out += [a.grad.numpy().copy(), b.grad.numpy().copy()]
    total = u.clip_grad_norm_(b, 100.0, norm_type)
    out += [total.numpy().copy(), b.grad.numpy().copy()]
    return out


@settings(max_examples=8, deadline=None)
@given(norm_type=st.sampled_from([2, 1, 3.5, 0.5, math.inf, "inf"]),
       max_norm=st.sampled_from([0.1, 1.0, 100.0]), seed=st.integers(0, 100))
def test_clip_grad_norm_matches_torch(norm_type, max_norm, seed):
    theirs = _clip_program(torch, norm_type, max_norm, seed)
    ours = _clip_program(tensor, norm_type, max_norm, seed)
    for a, b in zip(ours, theirs):
        if isinstance(b, np.ndarray):
            np.testing.assert_allclose(a, b, rtol=1e-6)
            assert a.dtype == b.dtype
        else:
            assert a == b


def test_clip_grad_edge_cases():
    for lib in (torch, tensor):
        u = lib.nn.utils
        assert float(u.clip_grad_norm_([], 1.0)) == 0.0
        with pytest.warns(UserWarning, match="empty generator"):
            u.clip_grad_norm_((p for p in []), 1.0)
        p = lib.ones(2, requires_grad=True)
        p.grad = lib.tensor([float("nan"), 1.0])
        with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients"):
            u.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
        p.grad = lib.tensor([float("inf"), 1.0])
        assert np.isinf(float(u.clip_grad_norm_(p, 1.0)))
        assert np.isnan(p.grad.numpy()[0])


def test_parameters_to_vector_round_trip():
    for lib in (torch, tensor):
        lin = lib.nn.Linear(2, 3)
        v = lib.nn.utils.parameters_to_vector(lin.parameters())
        assert tuple(v.shape) == (9,) and type(v.grad_fn).__name__ == "CatBackward0"
        new = lib.arange(9.0)
        lib.nn.utils.vector_to_parameters(new, lin.parameters())
        assert lin.weight.tolist() == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
        assert lin.bias.tolist() == [6.0, 7.0, 8.0]
        assert type(lin.weight).__name__ == "Parameter" and lin.weight.requires_grad
        new[0] = 42.0                  # the parameters share the vector's memory
        assert lin.weight[0, 0].item() == 42.0
    same_error(lambda lib, F: lib.nn.utils.vector_to_parameters([1.0], []))
