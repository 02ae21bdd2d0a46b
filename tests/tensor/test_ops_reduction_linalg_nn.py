"""Reductions, matrix products and nn ops: values and shapes against numpy, dtypes and error
texts as PyTorch 2.13 gives them (expected values were taken from real PyTorch; torch is not
imported here), gradients against central differences in float64, and a few double
backwards."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tensor as torch
import tensor.nn_functional as F
from tensor.opdefs.reduction import return_types

f32, f64, i64 = np.float32, np.float64, np.int64


# -- helpers -------------------------------------------------------------------------------
def T(a, **kw):
    return torch.tensor(a, **kw)


def arr(t):
    return t.detach().numpy()


def numeric_grads(fn, arrays, cot, eps=1e-6):
    """Central differences of ``sum(fn(*arrays) * cot)`` (float64)."""
    def scalar(arrs):
        with torch.no_grad():
            out = fn(*[T(a) for a in arrs])
        return float((arr(out).astype(f64) * cot).sum())
    grads = []
    for i, a in enumerate(arrays):
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            plus = [x.copy() for x in arrays]
            minus = [x.copy() for x in arrays]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            g[idx] = (scalar(plus) - scalar(minus)) / (2 * eps)
        grads.append(g)
    return grads


def check_grads(fn, *arrays, seed=0, atol=1e-5, rtol=1e-4):
    """Analytic gradients (our autograd) against central differences, float64."""
    arrays = [np.asarray(a, f64) for a in arrays]
    xs = [T(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    cot = np.random.default_rng(seed).standard_normal(arr(out).shape)
    got = torch.autograd.grad(out, xs, grad_outputs=T(cot.astype(arr(out).dtype)),
                              allow_unused=True)
    want = numeric_grads(fn, arrays, cot)
    for g, w in zip(got, want):
        g = np.zeros_like(w) if g is None else arr(g)
        np.testing.assert_allclose(g, w, atol=atol, rtol=rtol)
    return out


def check_double_grads(fn, *arrays, seed=1):
    """Gradient of ``sum(grad(fn) * v)`` against central differences of the first gradient."""
    arrays = [np.asarray(a, f64) for a in arrays]
    rng = np.random.default_rng(seed)
    probe = T(np.asarray(0.0))
    out_shape = arr(fn(*[T(a) for a in arrays])).shape
    cot = rng.standard_normal(out_shape)
    vs = [rng.standard_normal(a.shape) for a in arrays]

    def first(*xs):
        xs = [x.detach().requires_grad_() for x in xs]
        with torch.enable_grad():
            gs = torch.autograd.grad(fn(*xs), xs, grad_outputs=T(cot), create_graph=True)
        return sum(((g * T(v)).sum() for g, v in zip(gs, vs)), probe)

    xs = [T(a, requires_grad=True) for a in arrays]
    gs = torch.autograd.grad(fn(*xs), xs, grad_outputs=T(cot), create_graph=True)
    total = sum(((g * T(v)).sum() for g, v in zip(gs, vs)), probe)
    got = torch.autograd.grad(total, xs)
    want = numeric_grads(lambda *ys: first(*ys), arrays, np.ones(()))
    for g, w in zip(got, want):
        np.testing.assert_allclose(arr(g), w, atol=1e-5, rtol=1e-4)


def raises(exc, match, fn, *args, **kwargs):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert match in str(info.value), str(info.value)
    return info.value


shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
FLOAT_DTYPES = st.sampled_from([f32, f64])
ALL_DTYPES = st.sampled_from([f32, f64, i64])


@st.composite
def arrays(draw, dtypes=ALL_DTYPES, shape=shapes, lo=-3, hi=3):
    dt = draw(dtypes)
    shp = draw(shape) if not isinstance(shape, tuple) else shape
    if np.dtype(dt).kind == "f":
        el = st.floats(lo, hi, allow_nan=False, width=32)
    else:
        el = st.integers(lo, hi)
    return draw(hnp.arrays(dt, shp, elements=el))


@st.composite
def array_and_dim(draw, dtypes=ALL_DTYPES, lo=-3, hi=3):
    a = draw(arrays(dtypes, lo=lo, hi=hi))
    dim = draw(st.integers(-a.ndim, a.ndim - 1))
    return a, dim, draw(st.booleans())


def np_sum_dtype(a):
    return np.dtype(i64) if a.dtype.kind in "biu" else a.dtype


# ==========================================================================================
# Reductions: values, shapes, dtypes
# ==========================================================================================
@given(array_and_dim())
def test_prod_matches_numpy(adk):
    a, dim, keep = adk
    r = T(a).prod()
    assert r.dtype.np == np_sum_dtype(a) and r.shape == ()
    np.testing.assert_allclose(arr(r), np.prod(a, dtype=np_sum_dtype(a)), rtol=1e-5)
    r = T(a).prod(dim, keepdim=keep)
    want = np.prod(a, axis=dim, keepdims=keep, dtype=np_sum_dtype(a))
    assert r.shape == want.shape and r.dtype.np == want.dtype
    np.testing.assert_allclose(arr(r), want, rtol=1e-5)


def test_prod_dtypes():
    assert T([[1, 2], [3, 4]]).prod().dtype == torch.int64
    assert T([True, False]).prod().dtype == torch.int64
    assert T(np.array([1, 2], np.int32)).prod(0).dtype == torch.int64
    assert T([1, 2]).prod(dtype=torch.float32).dtype == torch.float32
    assert arr(T(np.zeros(0, f32)).prod()) == 1.0


@given(array_and_dim())
def test_amax_amin_max_min(adk):
    a, dim, keep = adk
    x = T(a)
    for ours, fn in ((x.amax, np.max), (x.amin, np.min)):
        r = ours(dim, keep)
        want = fn(a, axis=dim, keepdims=keep)
        assert r.dtype.np == a.dtype and r.shape == want.shape
        np.testing.assert_array_equal(arr(r), want)
        np.testing.assert_array_equal(arr(ours()), fn(a))
    ends = tuple(sorted({0, a.ndim - 1}))
    np.testing.assert_array_equal(arr(x.amax(ends, True)), a.max(axis=ends, keepdims=True))
    assert arr(x.max()) == a.max() and arr(x.min()) == a.min()
    for name, vfn, ifn in (("max", np.max, np.argmax), ("min", np.min, np.argmin)):
        r = getattr(x, name)(dim, keepdim=keep)
        assert type(r).__name__ == name and isinstance(r, tuple)
        np.testing.assert_array_equal(arr(r.values), vfn(a, axis=dim, keepdims=keep))
        np.testing.assert_array_equal(arr(r.indices), ifn(a, axis=dim, keepdims=keep))
        assert r.indices.dtype == torch.int64 and r.values.dtype.np == a.dtype
        v, i = getattr(torch, name)(x, dim=dim, keepdim=keep)
        np.testing.assert_array_equal(arr(v), arr(r.values))


@given(array_and_dim())
def test_argmax_argmin(adk):
    a, dim, keep = adk
    x = T(a)
    assert arr(x.argmax()) == np.argmax(a) and x.argmax().dtype == torch.int64
    assert arr(x.argmin()) == np.argmin(a)
    np.testing.assert_array_equal(arr(x.argmax(dim, keep)), np.argmax(a, dim, keepdims=keep))
    np.testing.assert_array_equal(arr(x.argmin(dim=dim, keepdim=keep)),
                                  np.argmin(a, dim, keepdims=keep))
    assert x.argmax(keepdim=True).shape == (1,) * a.ndim


def test_max_min_variants_and_return_types():
    x = T([[1.0, 5.0], [7.0, 2.0]])
    assert isinstance(x.max(1), return_types.max)
    assert repr(x.max(1)).startswith("torch.return_types.max(\nvalues=tensor([5., 7.])")
    np.testing.assert_array_equal(arr(x.max(T([3.0, 3.0]))), [[3, 5], [7, 3]])   # maximum
    np.testing.assert_array_equal(arr(x.min(T([3.0, 3.0]))), [[1, 3], [3, 2]])
    # first index wins a tie (PyTorch CPU), NaN propagates and is the selected index
    r = T([1.0, 3.0, 3.0, 0.0]).max(0)
    assert arr(r.values) == 3 and arr(r.indices) == 1
    r = T([1.0, float("nan"), 3.0]).max(0)
    assert np.isnan(arr(r.values)) and arr(r.indices) == 1
    assert arr(T([1.0, float("nan"), 3.0]).argmax()) == 1
    assert np.isnan(arr(T([1.0, float("nan"), 3.0]).amax()))
    assert arr(T([[1.0, 5.0], [5.0, 1.0]]).argmax()) == 1
    s = torch.tensor(2.0)
    assert arr(s.max(0).values) == 2 and arr(s.max(0).indices) == 0 and arr(s.argmax()) == 0
    assert arr(s.amax(0)) == 2
    assert T([[1, 2], [3, 4]]).max().dtype == torch.int64
    assert T([True, False]).max().dtype == torch.bool
    assert T([True, False]).amax().dtype == torch.bool
    assert T(np.zeros((0, 3), f32)).amax(1).shape == (0,)


@given(array_and_dim(FLOAT_DTYPES), st.sampled_from([0, 1, 2]))
def test_var_std(adk, correction):
    a, dim, keep = adk
    x = T(a)
    n = a.shape[dim]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            for ours, fn in ((x.var, np.var), (x.std, np.std)):
                r = ours(dim, keepdim=keep, correction=correction)
                want = fn(a.astype(f64), axis=dim, keepdims=keep, ddof=correction)
                if n - correction <= 0:
                    want = np.where(np.isnan(want), want, np.where(
                        ((a - a.mean(dim, keepdims=True)) ** 2).sum(dim, keepdims=keep) > 0,
                        np.inf, np.nan))
                assert r.dtype.np == a.dtype and r.shape == want.shape
                np.testing.assert_allclose(arr(r), want, rtol=2e-4, atol=1e-5)
            np.testing.assert_allclose(arr(x.var()), np.var(a.astype(f64), ddof=1)
                                       if a.size > 1 else np.nan, rtol=2e-4, atol=1e-5)
            np.testing.assert_allclose(arr(x.std(dim, False)), np.std(a, axis=dim),
                                       rtol=2e-4, atol=1e-5)
            np.testing.assert_allclose(arr(x.var(dim, unbiased=False)), np.var(a, axis=dim),
                                       rtol=2e-4, atol=1e-5)


def test_var_std_details():
    x = T([[1.0, 2.0, 4.0], [3.0, 3.0, 9.0]])
    np.testing.assert_allclose(arr(x.var(1, True)), np.var(arr(x), 1, ddof=1), rtol=1e-6)
    np.testing.assert_allclose(arr(x.var(True)), np.var(arr(x), ddof=1), rtol=1e-6)
    np.testing.assert_allclose(arr(x.var(False)), np.var(arr(x)), rtol=1e-6)
    np.testing.assert_allclose(arr(x.var([0, 1])), np.var(arr(x), ddof=1), rtol=1e-6)
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        assert np.isnan(arr(torch.ones(1).var()))
    with pytest.warns(UserWarning, match=r"std\(\): degrees of freedom"):
        assert np.isnan(arr(torch.tensor(2.0).std()))
    with pytest.warns(UserWarning):
        assert np.isnan(arr(torch.zeros(0).var()))
    with pytest.raises(TypeError):
        x.var(1, unbiased=True, correction=1)


@given(array_and_dim(FLOAT_DTYPES), st.sampled_from([2, 1, 3, 0, 0.5, math.inf, -math.inf]))
def test_norm(adk, p):
    a, dim, keep = adk
    x = T(a)
    with np.errstate(all="ignore"):
        ab = np.abs(a.astype(f64))
        if p == math.inf:
            want = ab.max(axis=dim, keepdims=keep)
        elif p == -math.inf:
            want = ab.min(axis=dim, keepdims=keep)
        elif p == 0:
            want = (ab != 0).sum(axis=dim, keepdims=keep).astype(f64)
        else:
            want = (ab ** p).sum(axis=dim, keepdims=keep) ** (1 / p)
    r = x.norm(p, dim, keep)
    assert r.dtype.np == a.dtype and r.shape == want.shape
    np.testing.assert_allclose(arr(r), want, rtol=2e-4, atol=1e-5)
    np.testing.assert_allclose(arr(x.norm()), np.sqrt((a.astype(f64) ** 2).sum()), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(arr(torch.norm(x, "fro", dim)),
                               np.sqrt((a.astype(f64) ** 2).sum(dim)), rtol=1e-5, atol=1e-6)


def test_norm_details():
    x = T([[3.0, -4.0], [0.0, 1.0]])
    assert arr(x.norm()) == pytest.approx(math.sqrt(26))
    assert x.norm(dtype=torch.float64).dtype == torch.float64
    assert arr(x.norm(p=1)) == 8 and arr(x.norm(float("inf"))) == 4
    assert arr(torch.zeros(0).norm()) == 0
    raises(RuntimeError, "linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2",
           torch.randn(2, 2, 2).norm, "fro", (0, 1, 2))
    raises(RuntimeError, "cannot compute the inf norm on an empty tensor",
           torch.zeros(0).norm, float("inf"))


@given(array_and_dim(ALL_DTYPES, lo=-20, hi=20))
def test_logsumexp(adk):
    a, dim, keep = adk
    x = T(a)
    r = x.logsumexp(dim, keep)
    af = a.astype(f64)
    want = np.log(np.exp(af).sum(axis=dim, keepdims=keep))
    want_dt = a.dtype if a.dtype.kind == "f" else np.dtype(f32)
    assert r.dtype.np == want_dt and r.shape == want.shape
    np.testing.assert_allclose(arr(r), want, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(arr(x.logsumexp(list(range(a.ndim)))),
                               np.log(np.exp(af).sum()), rtol=1e-4, atol=1e-6)


def test_logsumexp_extremes():
    np.testing.assert_allclose(arr(T([1000.0, 1000.0]).logsumexp(0)), 1000 + math.log(2))
    assert arr(T([-math.inf, -math.inf]).logsumexp(0)) == -math.inf
    assert arr(T([math.inf, 1.0]).logsumexp(0)) == math.inf
    assert T([[1, 2]]).logsumexp(1).dtype == torch.float32
    assert T([[True, False]]).logsumexp(1).dtype == torch.float32


@given(array_and_dim())
def test_all_any(adk):
    a, dim, keep = adk
    x = T(a)
    assert x.all().dtype == torch.bool and arr(x.all()) == np.all(a)
    assert arr(x.any()) == np.any(a)
    np.testing.assert_array_equal(arr(x.all(dim, keep)), np.all(a, dim, keepdims=keep))
    np.testing.assert_array_equal(arr(x.any(dim=dim, keepdim=keep)),
                                  np.any(a, dim, keepdims=keep))
    assert x.any(dim).dtype == torch.bool
    ends = tuple(sorted({0, a.ndim - 1}))
    np.testing.assert_array_equal(arr(x.all(ends)), np.all(a, ends))


def test_all_any_details():
    u = T(np.array([1, 2], np.uint8))
    assert u.all().dtype == torch.uint8 and arr(u.all()) == 1
    assert arr(torch.zeros(0).all()) and not arr(torch.zeros(0).any())


@given(array_and_dim())
def test_cumsum(adk):
    a, dim, _ = adk
    r = T(a).cumsum(dim)
    want = np.cumsum(a, axis=dim, dtype=np_sum_dtype(a))
    assert r.dtype.np == want.dtype and r.shape == a.shape
    np.testing.assert_allclose(arr(r), want, rtol=1e-5)
    assert T(a).cumsum(dim, dtype=torch.float64).dtype == torch.float64


def test_cumsum_dtypes():
    assert T(np.array([1, 2], np.int32)).cumsum(0).dtype == torch.int64
    assert T([True, True]).cumsum(0).dtype == torch.int64
    s = torch.tensor(3.0).cumsum(0)
    assert s.shape == () and arr(s) == 3


def test_sum_mean_on_zero_dim_with_dim():
    s = torch.tensor(3.0)
    assert arr(s.sum(0)) == 3 and arr(s.sum(-1, keepdim=True)) == 3 and arr(s.mean(0)) == 3
    raises(RuntimeError, "dim 0 appears multiple times in the list of dims",
           torch.ones(2, 3).sum, (0, 0))


# -- reduction errors ----------------------------------------------------------------------
@pytest.mark.parametrize("exc,match,fn", [
    (RuntimeError, "amax(): Expected reduction dim to be specified for input.numel() == 0.",
     lambda: torch.zeros(0, 3).amax()),
    (IndexError, "amax(): Expected reduction dim 0 to have non-zero size.",
     lambda: torch.zeros(0, 3).amax(0)),
    (RuntimeError, "max(): Expected reduction dim to be specified for input.numel() == 0. "
                   "Specify the reduction dim with the 'dim' argument.",
     lambda: torch.zeros(0).max()),
    (IndexError, "max(): Expected reduction dim 0 to have non-zero size.",
     lambda: torch.zeros(0, 3).max(0)),
    (IndexError, "argmax(): Expected reduction dim to be specified for input.numel() == 0.",
     lambda: torch.zeros(0).argmax()),
    (IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
     lambda: torch.ones(2, 3).max(2)),
    (IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
     lambda: torch.ones(2, 3).cumsum(2)),
    (RuntimeError, "std and var only support floating point and complex dtypes",
     lambda: T([1, 2]).var()),
    (RuntimeError, "std and var only support floating point and complex dtypes",
     lambda: T([True]).std()),
    (RuntimeError, "linalg.vector_norm: Expected a floating point or complex tensor as input. "
                   "Got Long", lambda: T([1, 2]).norm()),
    (RuntimeError, "dim 0 appears multiple times in the list of dims",
     lambda: torch.ones(2, 3).amax((0, 0))),
])
def test_reduction_errors(exc, match, fn):
    raises(exc, match, fn)


# -- reduction gradients -------------------------------------------------------------------
def _rand(*shape, seed=0, lo=-2, hi=2):
    return np.random.default_rng(seed).uniform(lo, hi, shape)


@pytest.mark.parametrize("name,fn,shape", [
    ("prod", lambda x: x.prod(), (2, 3)),
    ("prod_dim", lambda x: x.prod(1), (2, 3)),
    ("prod_dim_keep", lambda x: x.prod(-1, keepdim=True), (3, 2, 2)),
    ("amax", lambda x: x.amax(1), (3, 4)),
    ("amin_multi", lambda x: x.amin((0, 2), keepdim=True), (2, 3, 2)),
    ("max", lambda x: x.max(), (3, 4)),
    ("min", lambda x: x.min(), (3, 4)),
    ("max_dim", lambda x: x.max(1).values, (3, 4)),
    ("min_dim_keep", lambda x: x.min(0, keepdim=True)[0], (3, 4)),
    ("var", lambda x: x.var(), (3, 4)),
    ("var_dim", lambda x: x.var(1, keepdim=True), (3, 4)),
    ("var_corr0", lambda x: x.var((0, 1), correction=0), (2, 2, 3)),
    ("std", lambda x: x.std(), (3, 4)),
    ("std_dim", lambda x: x.std(0, correction=2), (4, 3)),
    ("norm", lambda x: x.norm(), (3, 4)),
    ("norm_dim", lambda x: x.norm(dim=1, keepdim=True), (3, 4)),
    ("norm1", lambda x: x.norm(p=1, dim=0), (3, 4)),
    ("norm3", lambda x: x.norm(p=3), (3, 4)),
    ("norm1.5", lambda x: x.norm(p=1.5, dim=1), (3, 4)),
    ("norm_inf", lambda x: x.norm(p=math.inf, dim=1), (3, 4)),
    ("norm_fro", lambda x: x.norm(p="fro"), (3, 4)),
    ("logsumexp", lambda x: x.logsumexp(1), (3, 4)),
    ("logsumexp_all", lambda x: x.logsumexp((0, 1), keepdim=True), (3, 4)),
    ("cumsum", lambda x: x.cumsum(1), (3, 4)),
    ("cumsum0", lambda x: x.cumsum(0), (3, 4)),
    ("sum0d_dim", lambda x: x.sum(0), ()),
])
def test_reduction_grads(name, fn, shape):
    check_grads(fn, _rand(*shape) if shape else np.asarray(1.5))


@given(array_and_dim(st.just(f64), lo=-2, hi=2))
@settings(max_examples=20)
def test_reduction_grads_hypothesis(adk):
    a, dim, keep = adk
    a = a + np.random.default_rng(0).uniform(0.01, 0.02, a.shape)   # break ties
    check_grads(lambda x: x.prod(dim, keepdim=keep), a)
    check_grads(lambda x: x.logsumexp(dim, keep), a)
    check_grads(lambda x: x.amax(dim, keep), a)
    if a.shape[dim] > 1:
        check_grads(lambda x: x.std(dim, keepdim=keep), a)


def test_grad_node_names():
    x = torch.randn(3, 4, requires_grad=True)
    names = {
        "ProdBackward0": x.prod(), "ProdBackward1": x.prod(1), "AmaxBackward0": x.amax(1),
        "AminBackward0": x.amin(), "MaxBackward1": x.max(), "MaxBackward0": x.max(1)[0],
        "MinBackward1": x.min(), "MinBackward0": x.min(0).values, "VarBackward0": x.var(1),
        "StdBackward0": x.std(), "LinalgVectorNormBackward0": x.norm(p=1),
        "LogsumexpBackward0": x.logsumexp(1), "CumsumBackward0": x.cumsum(1),
        "MmBackward0": x.mm(x.t()), "MvBackward0": x.mv(x.select(0, 0)),
        "DotBackward0": x.select(0, 0).dot(x.select(0, 1)),
        "AddmmBackward0": torch.addmm(x.select(0, 0), x.t(), x),
        "MulBackward0": torch.outer(x.select(0, 0), x.select(0, 1)),
        "BmmBackward0": torch.bmm(x.unsqueeze(0), x.t().unsqueeze(0)),
        "SoftmaxBackward0": x.softmax(1), "LogSoftmaxBackward0": x.log_softmax(1),
        "MaskedFillBackward1": x.masked_fill(x > 0, torch.tensor(1.0)),
        "GatherBackward0": x.gather(1, T([[0], [1], [2]])),
        "IndexSelectBackward0": x.index_select(1, T([0, 2])),
        "ScatterAddBackward0": torch.zeros(3, 4).scatter_add(1, T([[0], [1], [2]]), x),
        "IndexAddBackward0": torch.zeros(3, 4).index_add(0, T([0, 2, 1]), x),
        "NllLossBackward0": F.cross_entropy(x, T([0, 1, 2])),
        "MseLossBackward0": F.mse_loss(x, torch.zeros(3, 4)),
    }
    for name, r in names.items():
        assert type(r.grad_fn).__name__ == name, (name, r.grad_fn)
    assert type(x.masked_fill(x > 0, 1.0).grad_fn).__name__ == "MaskedFillBackward0"
    assert type((x @ x.t()).grad_fn).__name__ == "MmBackward0"
    assert type(F.linear(x, x).grad_fn).__name__ == "MmBackward0"
    assert type(F.linear(x, x, x.select(1, 0)).grad_fn).__name__ == "AddmmBackward0"
    assert x.argmax().grad_fn is None and x.all().grad_fn is None
    assert x.max(1).indices.requires_grad is False


def test_ties_split_evenly():
    x = T([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(arr(x.grad), [0, 0.5, 0.5])
    y = T([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    y.amax(1).sum().backward()
    np.testing.assert_allclose(arr(y.grad), [[0, 0.5, 0.5], [1 / 3] * 3])
    z = T([4.0, 1.0, 1.0], requires_grad=True)
    z.min().backward()
    np.testing.assert_allclose(arr(z.grad), [0, 0.5, 0.5])
    w = T([1.0, 3.0, 3.0], requires_grad=True)
    w.max(0).values.backward()                 # max(dim): the returned index gets it all
    np.testing.assert_allclose(arr(w.grad), [0, 1, 0])
    v = T([3.0, -3.0, 1.0], requires_grad=True)
    v.norm(math.inf).backward()
    np.testing.assert_allclose(arr(v.grad), [0.5, -0.5, 0])


def test_prod_grad_with_zeros_and_double_backward():
    p = T([2.0, 0.0, 3.0, 4.0], dtype=torch.float64, requires_grad=True)
    g, = torch.autograd.grad(p.prod(), p, create_graph=True)
    h, = torch.autograd.grad(g.sum(), p)
    np.testing.assert_allclose(arr(g), [0, 24, 0, 0])           # values from PyTorch
    np.testing.assert_allclose(arr(h), [12, 26, 8, 6])
    q = T([2.0, 0.0, 3.0, 0.0], dtype=torch.float64, requires_grad=True)
    g, = torch.autograd.grad(q.prod(), q, create_graph=True)
    h, = torch.autograd.grad(g.sum(), q)
    np.testing.assert_allclose(arr(g), [0, 0, 0, 0])
    np.testing.assert_allclose(arr(h), [0, 6, 0, 6])
    check_grads(lambda x: x.prod(1), np.array([[0.0, 2.0, 3.0], [1.0, 0.0, 0.0],
                                               [1.5, 2.0, -1.0]]))


def test_double_backward_reductions():
    x = np.array([[1.0, 2, 3], [1.0, -1, 0]])
    t = T(x, requires_grad=True)
    g, = torch.autograd.grad(t.logsumexp(1).sum(), t, create_graph=True)
    h, = torch.autograd.grad((g * g).sum(), t)
    np.testing.assert_allclose(arr(h), [                      # from PyTorch
        [-0.07571796004928918, -0.13010479484068152, 0.20582275488997115],
        [0.20582275488997104, -0.07571796004928925, -0.1301047948406817]], atol=1e-12)
    g, = torch.autograd.grad(t.norm(), t, create_graph=True)
    h, = torch.autograd.grad((g * g * g).sum(), t)
    np.testing.assert_allclose(arr(h), [[-0.05859375, -0.0234375, 0.10546875],
                                        [-0.05859375, 0.15234375, 0.0]], atol=1e-12)
    for fn in (lambda a: a.var(1), lambda a: a.std(), lambda a: a.prod(0),
               lambda a: a.norm(p=3, dim=1), lambda a: a.cumsum(1) ** 2,
               lambda a: a.amax(0) ** 2, lambda a: a.max(1).values ** 2,
               lambda a: a.prod(1, keepdim=True) * a):
        check_double_grads(fn, _rand(2, 3, seed=4))


# ==========================================================================================
# Matrix products
# ==========================================================================================
@st.composite
def mm_pair(draw, batch=()):
    dt = draw(st.sampled_from([f32, f64, i64]))
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    a = draw(arrays(st.just(dt), shape=tuple(batch) + (n, k)))
    b = draw(arrays(st.just(dt), shape=tuple(batch) + (k, m)))
    return a, b


@given(mm_pair())
def test_mm_dot_mv_outer(ab):
    a, b = ab
    r = torch.mm(T(a), T(b))
    assert r.dtype.np == a.dtype and r.shape == (a.shape[0], b.shape[1])
    np.testing.assert_allclose(arr(r), a @ b, rtol=1e-5, atol=1e-5)
    v = b[:, 0]
    np.testing.assert_allclose(arr(T(a).mv(T(v))), a @ v, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(arr(T(a[0]).dot(T(v))), a[0] @ v, rtol=1e-5, atol=1e-5)
    assert T(a[0]).dot(T(v)).shape == () and T(a[0]).dot(T(v)).dtype.np == a.dtype
    o = torch.outer(T(a[0]), T(v))
    np.testing.assert_allclose(arr(o), np.outer(a[0], v), rtol=1e-5)


@given(mm_pair(batch=(2,)))
def test_bmm(ab):
    a, b = ab
    r = torch.bmm(T(a), T(b))
    assert r.dtype.np == a.dtype
    np.testing.assert_allclose(arr(r), a @ b, rtol=1e-5, atol=1e-5)


@st.composite
def matmul_pair(draw):
    k = draw(st.integers(1, 3))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
    d1, d2 = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    s1 = (k,) if d1 == 1 else batch.input_shapes[0][:max(d1 - 2, 0)] + (
        draw(st.integers(1, 3)), k)
    s2 = (k,) if d2 == 1 else batch.input_shapes[1][:max(d2 - 2, 0)] + (
        k, draw(st.integers(1, 3)))
    dt = draw(FLOAT_DTYPES)
    return (draw(arrays(st.just(dt), shape=s1)), draw(arrays(st.just(dt), shape=s2)))


@given(matmul_pair())
def test_matmul_matches_numpy(ab):
    a, b = ab
    want = np.matmul(a, b)
    r = T(a) @ T(b)
    assert r.shape == want.shape and r.dtype.np == a.dtype
    np.testing.assert_allclose(arr(r), want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(arr(torch.matmul(T(a), T(b))), want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(arr(T(b).__rmatmul__(T(a))), want, rtol=1e-4, atol=1e-5)
    with pytest.raises(TypeError, match="unsupported operand"):   # as PyTorch: no array @ t
        a @ T(b)


@given(matmul_pair())
@settings(max_examples=15)
def test_matmul_grads_hypothesis(ab):
    a, b = ab
    check_grads(lambda x, y: x @ y, a, b)


def test_matmul_int_and_addmm():
    a = T([[1, 2, 3], [4, 5, 6]])
    r = a @ a.t()
    assert r.dtype == torch.int64 and r.tolist() == [[14, 32], [32, 77]]
    i32 = T(np.array([[1, 2], [3, 4]], np.int32))
    assert torch.mm(i32, i32).dtype == torch.int32
    x, w = _rand(3, 2), _rand(2, 4, seed=1)
    c = _rand(4, seed=2)
    np.testing.assert_allclose(arr(torch.addmm(T(c), T(x), T(w))), c + x @ w)
    np.testing.assert_allclose(arr(torch.addmm(T(c), T(x), T(w), beta=0.5, alpha=2)),
                               0.5 * c + 2 * x @ w)
    nanc = T(np.full(4, np.nan))
    assert not np.isnan(arr(torch.addmm(nanc, T(x), T(w), beta=0))).any()


@pytest.mark.parametrize("exc,match,fn", [
    (RuntimeError, "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)",
     lambda: torch.mm(torch.ones(2, 3), torch.ones(2, 3))),
    (RuntimeError, "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)",
     lambda: torch.ones(2, 3) @ torch.ones(2, 3)),
    (RuntimeError, "mat1 and mat2 shapes cannot be multiplied (1x3 and 2x3)",
     lambda: torch.ones(3) @ torch.ones(2, 3)),
    (RuntimeError, "expected m1 and m2 to have the same dtype, but got: float != double",
     lambda: torch.mm(torch.ones(2, 3), torch.ones(3, 2, dtype=torch.float64))),
    (RuntimeError, "expected m1 and m2 to have the same dtype, but got: int != long int",
     lambda: torch.mm(T(np.ones((2, 2), np.int32)), T(np.ones((2, 2), i64)))),
    (RuntimeError, "expected m1 and m2 to have the same dtype, but got: float != long int",
     lambda: torch.ones(2, 2) @ T(np.ones((2, 2), i64))),
    (RuntimeError, "self must be a matrix", lambda: torch.mm(torch.ones(3), torch.ones(3, 2))),
    (RuntimeError, "mat2 must be a matrix", lambda: torch.mm(torch.ones(2, 3), torch.ones(3))),
    (NotImplementedError, "\"addmm_impl_cpu_\" not implemented for 'Bool'",
     lambda: torch.mm(T([[True]]), T([[True]]))),
    (RuntimeError, "both arguments to matmul need to be at least 1D, but they are 0D and 2D",
     lambda: torch.tensor(1.0) @ torch.ones(2, 3)),
    (RuntimeError, "inconsistent tensor size, expected tensor [3] and src [2] to have the same "
                   "number of elements, but got 3 and 2 elements respectively",
     lambda: torch.ones(3) @ torch.ones(2)),
    (RuntimeError, "size mismatch, got input (2), mat (2x3), vec (2)",
     lambda: torch.ones(2, 3) @ torch.ones(2)),
    (RuntimeError, "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but "
                   "got: [2, 4].", lambda: torch.ones(2, 2, 3) @ torch.ones(2, 4, 3)),
    (RuntimeError, "The size of tensor a (2) must match the size of tensor b (3) at "
                   "non-singleton dimension 0",
     lambda: torch.ones(2, 2, 3) @ torch.ones(3, 3, 4)),
    (RuntimeError, "batch1 must be a 3D tensor", lambda: torch.bmm(torch.ones(2, 3),
                                                                   torch.ones(3, 2))),
    (RuntimeError, "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but "
                   "got: [3, 3].", lambda: torch.bmm(torch.ones(2, 2, 3), torch.ones(3, 3, 4))),
    (RuntimeError, "expected scalar type Float but found Double",
     lambda: torch.bmm(torch.ones(2, 2, 3), torch.ones(2, 3, 4, dtype=torch.float64))),
    (RuntimeError, "vector + matrix @ vector expected, got 1, 1, 1",
     lambda: torch.mv(torch.ones(3), torch.ones(3))),
    (RuntimeError, "1D tensors expected, but got 2D and 2D tensors",
     lambda: torch.dot(torch.ones(2, 3), torch.ones(2, 3))),
    (RuntimeError, "dot : expected both vectors to have same dtype, but found Float and Double",
     lambda: torch.dot(torch.ones(3), torch.ones(3, dtype=torch.float64))),
    (NotImplementedError, "\"dot\" not implemented for 'Bool'",
     lambda: torch.dot(T([True]), T([True]))),
    (RuntimeError, "outer: Expected 1-D argument self, but got 2-D",
     lambda: torch.outer(torch.ones(2, 3), torch.ones(3))),
    (RuntimeError, "self and mat2 must have the same dtype, but got Double and Float",
     lambda: torch.addmm(torch.ones(3, dtype=torch.float64), torch.ones(3, 2),
                         torch.ones(2, 3))),
    (RuntimeError, "The expanded size of the tensor (3) must match the existing size (2) at "
                   "non-singleton dimension 1.  Target sizes: [3, 3].  Tensor sizes: [2]",
     lambda: torch.addmm(torch.ones(2), torch.ones(3, 2), torch.ones(2, 3))),
])
def test_linalg_errors(exc, match, fn):
    raises(exc, match, fn)


def test_mm_error_has_hint():
    e = raises(RuntimeError, "mat1 and mat2", torch.mm, torch.ones(2, 3), torch.ones(2, 3))
    assert "Hint:" in str(e)


@pytest.mark.parametrize("fn,shapes", [
    (lambda a, b: a.mm(b), [(2, 3), (3, 4)]),
    (lambda a, b: torch.bmm(a, b), [(2, 2, 3), (2, 3, 2)]),
    (lambda a, b: a.mv(b), [(3, 4), (4,)]),
    (lambda a, b: a.dot(b), [(4,), (4,)]),
    (lambda a, b: torch.outer(a, b), [(3,), (2,)]),
    (lambda a, b: a @ b, [(3,), (3, 2)]),
    (lambda a, b: a @ b, [(2, 3, 4), (4, 2)]),
    (lambda a, b: a @ b, [(2, 3, 4), (4,)]),
    (lambda a, b: a @ b, [(2, 1, 2, 3), (3, 3, 2)]),
    (lambda a, b: a @ b, [(3,), (2, 3, 2)]),
    (lambda c, a: torch.addmm(c, a, a.t(), beta=0.5, alpha=-2), [(3,), (3, 2)]),
    (lambda c, a: torch.addmm(c, a.t(), a), [(2, 2), (3, 2)]),
])
def test_linalg_grads(fn, shapes):
    check_grads(fn, *[_rand(*s, seed=i) for i, s in enumerate(shapes)])


def test_linalg_double_backward():
    a = T([[1.0, 2], [3, 4]], dtype=torch.float64, requires_grad=True)
    g, = torch.autograd.grad((a @ a).sum(), a, create_graph=True)
    h, = torch.autograd.grad((g * g).sum(), a)
    np.testing.assert_allclose(arr(g), [[7, 11], [9, 13]])            # from PyTorch
    np.testing.assert_allclose(arr(h), [[68, 76], [84, 92]])
    check_double_grads(lambda x, y: (x @ y) * (x @ y), _rand(2, 3), _rand(3, 2, seed=1))
    check_double_grads(lambda x, y: torch.bmm(x, y).sin(), _rand(2, 2, 3), _rand(2, 3, 1))
    check_double_grads(lambda x, y: x.mv(y) * x.mv(y), _rand(2, 3), _rand(3, seed=1))


# ==========================================================================================
# nn ops
# ==========================================================================================
def np_softmax(a, d):
    e = np.exp(a - a.max(axis=d, keepdims=True))
    return e / e.sum(axis=d, keepdims=True)


@given(array_and_dim(FLOAT_DTYPES, lo=-30, hi=30))
def test_softmax_log_softmax(adk):
    a, dim, _ = adk
    x = T(a)
    r = x.softmax(dim)
    assert r.dtype.np == a.dtype and r.shape == a.shape
    np.testing.assert_allclose(arr(r), np_softmax(a.astype(f64), dim), rtol=1e-5, atol=1e-7)
    ls = torch.log_softmax(x, dim)
    np.testing.assert_allclose(arr(ls), np.log(np_softmax(a.astype(f64), dim)), rtol=1e-4,
                               atol=1e-5)
    r64 = x.softmax(dim, dtype=torch.float64)
    assert r64.dtype == torch.float64
    np.testing.assert_allclose(arr(F.softmax(x, dim)), arr(r))
    np.testing.assert_allclose(arr(F.log_softmax(x, dim=dim)), arr(ls))


def test_softmax_details():
    assert T([[1, 2]]).softmax(1, dtype=torch.float64).dtype == torch.float64
    np.testing.assert_allclose(arr(torch.tensor(2.0).softmax(0)), 1.0)
    np.testing.assert_allclose(arr(T([1000.0, 1000.0]).softmax(0)), [0.5, 0.5])
    np.testing.assert_allclose(arr(T([-math.inf, 0.0]).log_softmax(0)), [-math.inf, 0.0])
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        r = F.softmax(torch.ones(2, 3))
    np.testing.assert_allclose(arr(r), np.full((2, 3), 1 / 3))
    raises(NotImplementedError, "\"softmax_lastdim_kernel_impl\" not implemented for 'Long'",
           T([[1, 2]]).softmax, 1)
    raises(NotImplementedError, "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'",
           T([[1, 2]]).log_softmax, 1)
    raises(IndexError, "Dimension out of range", torch.ones(2, 3).softmax, 2)


@given(arrays(ALL_DTYPES), st.data())
def test_masked_fill(a, data):
    mask = data.draw(hnp.arrays(np.bool_, a.shape[data.draw(st.integers(0, a.ndim)):]))
    value = data.draw(st.sampled_from([0, -1.5, 7, True]))
    r = T(a).masked_fill(T(mask), value)
    want = a.copy()
    want[np.broadcast_to(mask, a.shape)] = value
    assert r.dtype.np == a.dtype and r.shape == a.shape
    np.testing.assert_array_equal(arr(r), want)
    r2 = T(a).masked_fill(T(mask), torch.tensor(value))
    np.testing.assert_array_equal(arr(r2), want)
    x = T(a)
    v0 = x._version
    assert x.masked_fill_(T(mask), value) is x
    np.testing.assert_array_equal(arr(x), want)
    assert x._version == v0 + 1


def test_masked_fill_details():
    xf = torch.ones(2, 3)
    m = T([[True, False, True], [False, False, True]])
    r = xf.select(0, 0).masked_fill(m, 5.0)                     # self broadcasts to the mask
    assert r.shape == (2, 3)
    np.testing.assert_array_equal(arr(r), [[5, 1, 5], [1, 1, 5]])
    assert T([[1, 2]]).masked_fill(T([[True, False]]), 1.5).tolist() == [[1, 2]]
    assert T([[1, 2]]).masked_fill(T([[True, False]]), torch.tensor(1.5)).dtype == torch.int64
    r = xf.masked_fill(m, torch.tensor(2.0, dtype=torch.float64))
    assert r.dtype == torch.float32


@pytest.mark.parametrize("exc,match,fn", [
    (RuntimeError, "masked_fill_ only supports boolean masks, but got mask with dtype long int",
     lambda: torch.ones(2, 3).masked_fill(T([[1, 0, 1], [0, 0, 1]]), 1.0)),
    (RuntimeError, "masked_fill_ only supports boolean masks, but got mask with dtype unsigned "
                   "char", lambda: torch.ones(3).masked_fill(T(np.ones(3, np.uint8)), 1.0)),
    (RuntimeError, "The size of tensor a (3) must match the size of tensor b (2) at "
                   "non-singleton dimension 0",
     lambda: torch.ones(2, 3).masked_fill(T([[True], [False], [True]]), 1.0)),
    (RuntimeError, "masked_fill_ only supports a 0-dimensional value tensor, but got tensor "
                   "with 1 dimension(s).",
     lambda: torch.ones(2, 3).masked_fill(T([True, False, True]), T([1.0, 2, 3]))),
])
def test_masked_fill_errors(exc, match, fn):
    raises(exc, match, fn)


def test_masked_fill_inplace_validates_before_writing():
    x = torch.ones(3)
    m = T([[True, False, True], [True, True, True]])
    raises(RuntimeError, "output with shape [3] doesn't match the broadcast shape [2, 3]",
           x.masked_fill_, m, 0.0)
    assert x.tolist() == [1, 1, 1] and x._version == 0
    raises(RuntimeError, "only supports boolean masks", x.masked_fill_, T([1, 0, 1]), 0.0)
    assert x.tolist() == [1, 1, 1] and x._version == 0


def test_grads_across_dtypes():
    x = T([[1.0, -2.0, 3.0], [-1.0, 0.5, 2.0]], requires_grad=True)
    v = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    y = x.masked_fill(x > 0, v)
    assert y.dtype == torch.float32
    y.sum().backward()
    assert x.grad.dtype == torch.float32 and v.grad.dtype == torch.float64
    assert arr(v.grad) == 4 and arr(x.grad).tolist() == [[0, 1, 0], [1, 0, 0]]
    x.grad = None
    z = x.softmax(1, dtype=torch.float64)
    assert z.dtype == torch.float64
    (z * z).sum().backward()
    assert x.grad.dtype == torch.float32


def test_masked_fill_grads():
    m = T([[True, False, True], [False, False, True]])
    check_grads(lambda x: x.masked_fill(m, 2.0), _rand(2, 3))
    check_grads(lambda x, v: x.masked_fill(m, v), _rand(2, 3), np.asarray(0.3))
    check_grads(lambda x: x.masked_fill(m, 2.0), _rand(3))                 # x broadcasts
    check_grads(lambda x: (x * 1).masked_fill_(m.select(0, 0), 2.0), _rand(2, 3))
    check_grads(lambda x, v: (x * 1).masked_fill_(m, v), _rand(2, 3), np.asarray(0.3))


@st.composite
def gather_case(draw):
    a = draw(arrays(ALL_DTYPES))
    dim = draw(st.integers(-a.ndim, a.ndim - 1))
    d = dim % a.ndim
    shp = tuple(draw(st.integers(0, 4)) if k == d else draw(st.integers(1, a.shape[k]))
                for k in range(a.ndim))
    idx = draw(hnp.arrays(i64, shp, elements=st.integers(0, a.shape[d] - 1)))
    return a, dim, idx


@given(gather_case())
def test_gather_scatter_add(case):
    a, dim, idx = case
    d = dim % a.ndim
    r = T(a).gather(dim, T(idx))
    sl = a[tuple(slice(None) if k == d else slice(0, idx.shape[k]) for k in range(a.ndim))]
    want = np.take_along_axis(sl, idx, axis=d)
    assert r.dtype.np == a.dtype and r.shape == idx.shape
    np.testing.assert_array_equal(arr(r), want)
    np.testing.assert_array_equal(arr(torch.gather(T(a), dim, T(idx.astype(np.int32)))), want)
    # scatter_add is gather's adjoint: <gather(x), y> == <x, scatter_add(0, y)>
    src = np.arange(idx.size, dtype=a.dtype).reshape(idx.shape)
    s = torch.zeros(*a.shape, dtype=torch.tensor(a).dtype).scatter_add(dim, T(idx), T(src))
    want_s = np.zeros_like(a)
    for pos in np.ndindex(idx.shape):
        tgt = list(pos)
        tgt[d] = idx[pos]
        want_s[tuple(tgt)] += src[pos]
    np.testing.assert_array_equal(arr(s), want_s)
    x = T(a.copy())
    assert x.scatter_add_(dim, T(idx), T(src)) is x
    # in place, the additions land one by one on ``a``: float32 rounding may differ by an ulp
    np.testing.assert_allclose(arr(x), a + want_s, rtol=1e-6)


@st.composite
def index_case(draw):
    a = draw(arrays(ALL_DTYPES))
    dim = draw(st.integers(-a.ndim, a.ndim - 1))
    idx = draw(hnp.arrays(i64, draw(st.integers(0, 5)),
                          elements=st.integers(0, a.shape[dim % a.ndim] - 1)))
    return a, dim, idx


@given(index_case())
def test_index_select_index_add(case):
    a, dim, idx = case
    d = dim % a.ndim
    r = T(a).index_select(dim, T(idx))
    want = np.take(a, idx, axis=d)
    assert r.shape == want.shape and r.dtype.np == a.dtype
    np.testing.assert_array_equal(arr(r), want)
    src = np.ones(want.shape, a.dtype)
    out = arr(T(a).index_add(dim, T(idx), T(src), alpha=2))
    want_add = a.copy()
    np.add.at(want_add, (slice(None),) * d + (idx,), 2 * src)
    np.testing.assert_array_equal(out, want_add)


def test_index_select_details():
    x = T([[1.0, 2, 3], [4, 5, 6]])
    assert x.index_select(1, T(np.array([2], np.int32))).tolist() == [[3], [6]]
    assert x.index_select(1, torch.tensor(1)).tolist() == [[2], [5]]
    r = torch.zeros(2, 3).index_add(1, T([0, 0]), torch.ones(2, 2))
    assert r.tolist() == [[2, 0, 0], [2, 0, 0]]
    assert x.gather(1, T([[0, 1, 2, 0], [1, 1, 1, 1]])).tolist() == [[1, 2, 3, 1],
                                                                      [5, 5, 5, 5]]
    assert torch.tensor(3.0).gather(0, torch.tensor(0)).tolist() == 3.0


@pytest.mark.parametrize("exc,match,fn", [
    (RuntimeError, "Index tensor must have the same number of dimensions as input tensor",
     lambda: torch.ones(2, 3).gather(1, T([0, 1]))),
    (RuntimeError, "gather(): Expected dtype int32/int64 for index",
     lambda: torch.ones(2, 3).gather(1, T([[0.0], [1.0]]))),
    (RuntimeError, "index 5 is out of bounds for dimension 1 with size 3",
     lambda: torch.ones(2, 3).gather(1, T([[0], [5]]))),
    (RuntimeError, "index -1 is out of bounds for dimension 1 with size 3",
     lambda: torch.ones(2, 3).gather(1, T([[0], [-1]]))),
    (RuntimeError, "Size does not match at dimension 0 expected index [3, 1] to be no larger "
                   "than self [2, 3] apart from dimension 1",
     lambda: torch.ones(2, 3).gather(1, T([[0], [1], [2]]))),
    (IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
     lambda: torch.ones(2, 3).gather(2, T([[0], [1]]))),
    (RuntimeError, "index_select(): Expected dtype int32 or int64 for index",
     lambda: torch.ones(2, 3).index_select(1, T([0.0]))),
    (RuntimeError, "INDICES element is out of DATA bounds, id=5 axis_dim=3",
     lambda: torch.ones(2, 3).index_select(1, T([5]))),
    (RuntimeError, "INDICES element is out of DATA bounds, id=-1 axis_dim=3",
     lambda: torch.ones(2, 3).index_select(1, T([-1]))),
    (IndexError, "index_select(): Index is supposed to be a vector",
     lambda: torch.ones(2, 3).index_select(1, T([[0]]))),
    (RuntimeError, "scatter(): Expected self.dtype to be equal to src.dtype",
     lambda: torch.zeros(2, 3).scatter_add(1, T([[0, 0]]),
                                           torch.ones(2, 2, dtype=torch.float64))),
    (RuntimeError, "index 5 is out of bounds for dimension 1 with size 3",
     lambda: torch.zeros(2, 3).scatter_add(1, T([[0, 5]]), torch.ones(2, 2))),
    (RuntimeError, "scatter(): Expected dtype int32/int64 for index",
     lambda: torch.zeros(2, 3).scatter_add(1, T([[0.0, 1]]), torch.ones(2, 2))),
    (RuntimeError, "Expected index [1, 3] to be no larger than self [2, 3] apart from "
                   "dimension 1 and to be no larger size than src [2, 2]",
     lambda: torch.zeros(2, 3).scatter_add(1, T([[0, 1, 1]]), torch.ones(2, 2))),
    (RuntimeError, "Index tensor must have the same number of dimensions as self tensor",
     lambda: torch.zeros(2, 3).scatter_add(1, T([0, 1]), torch.ones(2, 2))),
    (RuntimeError, "index_add_(): Number of indices (2) should be equal to source.size(dim): "
                   "(3), for dim: 1",
     lambda: torch.zeros(2, 3).index_add(1, T([0, 0]), torch.ones(2, 3))),
    (RuntimeError, "index_add_(): self (Float) and source (Double) must have the same scalar "
                   "type", lambda: torch.zeros(2, 3).index_add(
                       1, T([0, 0]), torch.ones(2, 2, dtype=torch.float64))),
    (RuntimeError, "index 5 is out of bounds for dimension 1 with size 3",
     lambda: torch.zeros(2, 3).index_add(1, T([0, 5]), torch.ones(2, 2))),
    (RuntimeError, "index_add_(): Expected dtype int32/int64 for index but got: Float",
     lambda: torch.zeros(2, 3).index_add(1, T([0.0, 1]), torch.ones(2, 2))),
])
def test_indexing_errors(exc, match, fn):
    raises(exc, match, fn)


def test_scatter_add_inplace_validates_before_writing():
    x = torch.zeros(2, 3)
    raises(RuntimeError, "out of bounds", x.scatter_add_, 1, T([[0, 5]]), torch.ones(2, 2))
    assert x.tolist() == [[0, 0, 0], [0, 0, 0]] and x._version == 0
    raises(RuntimeError, "out of bounds", x.index_add_, 1, T([0, 5]), torch.ones(2, 2))
    assert x.tolist() == [[0, 0, 0], [0, 0, 0]] and x._version == 0


@pytest.mark.parametrize("fn,shapes", [
    (lambda x: x.softmax(1), [(3, 4)]),
    (lambda x: x.softmax(0), [(3, 4)]),
    (lambda x: x.softmax(0), [()]),
    (lambda x: x.log_softmax(-1), [(2, 3, 4)]),
    (lambda x: x.softmax(1, dtype=torch.float64), [(2, 3)]),
    (lambda x: x.gather(1, T([[0, 0, 2], [1, 2, 2]])), [(2, 3)]),
    (lambda x: x.gather(0, T([[1], [1], [0]])), [(2, 3)]),
    (lambda x: x.index_select(1, T([0, 2, 2])), [(2, 3)]),
    (lambda x: x.index_select(0, T([1])), [(2, 3)]),
    (lambda x, s: x.scatter_add(1, T([[0, 0], [2, 1]]), s), [(2, 3), (2, 2)]),
    (lambda x, s: (x * 1).scatter_add_(0, T([[1, 0, 1]]), s), [(2, 3), (2, 3)]),
    (lambda x, s: x.index_add(1, T([0, 0]), s, alpha=3), [(2, 3), (2, 2)]),
    (lambda x, s: (x * 1).index_add_(0, T([1, 1, 0]), s), [(2, 3), (3, 3)]),
])
def test_nn_grads(fn, shapes):
    check_grads(fn, *[_rand(*s, seed=i) if s else np.asarray(0.7)
                      for i, s in enumerate(shapes)])


def test_nn_double_backward():
    x = T([[1.0, 2, 3], [1.0, -1, 0]], dtype=torch.float64, requires_grad=True)
    g, = torch.autograd.grad(x.softmax(1).select(1, 0).sum(), x, create_graph=True)
    h, = torch.autograd.grad((g * g).sum(), x)
    np.testing.assert_allclose(arr(h), [                      # from PyTorch
        [0.01768481278579431, -0.00597580165588427, -0.01170901112991003],
        [-0.05266907098969305, 0.005153032279598004, 0.04751603871009505]], atol=1e-12)
    idx = T([[0, 0, 2], [1, 2, 2]])
    for fn in (lambda a: a.log_softmax(1), lambda a: a.gather(1, idx) ** 2,
               lambda a: a.index_select(1, T([0, 2, 2])) ** 2,
               lambda a: F.cross_entropy(a, T([2, 0]))):
        check_double_grads(fn, _rand(2, 3, seed=5))


# ==========================================================================================
# nn_functional
# ==========================================================================================
def test_activations():
    a = _rand(3, 4).astype(f32)
    x = T(a)
    np.testing.assert_allclose(arr(F.relu(x)), np.maximum(a, 0))
    np.testing.assert_allclose(arr(F.sigmoid(x)), 1 / (1 + np.exp(-a)), rtol=1e-6)
    np.testing.assert_allclose(arr(F.tanh(x)), np.tanh(a), rtol=1e-6)
    np.testing.assert_allclose(arr(F.silu(x)), a / (1 + np.exp(-a)), rtol=1e-6)
    erf = np.vectorize(math.erf)
    np.testing.assert_allclose(arr(F.gelu(x)), 0.5 * a * (1 + erf(a / math.sqrt(2))),
                               rtol=1e-6)
    k = math.sqrt(2 / math.pi)
    np.testing.assert_allclose(arr(F.gelu(x, approximate="tanh")),
                               0.5 * a * (1 + np.tanh(k * (a + 0.044715 * a ** 3))), rtol=1e-6)
    assert F.relu(T([[1, -2]])).dtype == torch.int64
    assert F.sigmoid(T([[1, 2]])).dtype == torch.float32
    raises(NotImplementedError, "\"GeluKernelImpl\" not implemented for 'Long'", F.gelu,
           T([1, 2]))
    raises(NotImplementedError, "\"silu_cpu\" not implemented for 'Long'", F.silu, T([1, 2]))
    check_grads(F.silu, _rand(2, 3))
    check_grads(F.sigmoid, _rand(2, 3))


def test_linear():
    x, w, b = _rand(4, 3), _rand(2, 3, seed=1), _rand(2, seed=2)
    np.testing.assert_allclose(arr(F.linear(T(x), T(w), T(b))), x @ w.T + b)
    np.testing.assert_allclose(arr(F.linear(T(x), T(w))), x @ w.T)
    x3 = _rand(5, 4, 3, seed=3)
    np.testing.assert_allclose(arr(F.linear(T(x3), T(w), T(b))), x3 @ w.T + b)
    np.testing.assert_allclose(arr(F.linear(T(x[0]), T(w))), x[0] @ w.T)
    check_grads(F.linear, x, w, b)
    check_grads(F.linear, x3, w, b)
    check_grads(F.linear, x, w)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss(reduction):
    a, b = _rand(3, 4), _rand(3, 4, seed=1)
    d = (a - b) ** 2
    want = {"mean": d.mean(), "sum": d.sum(), "none": d}[reduction]
    r = F.mse_loss(T(a), T(b), reduction=reduction)
    np.testing.assert_allclose(arr(r), want)
    check_grads(lambda x, y: F.mse_loss(x, y, reduction=reduction), a, b)


def test_mse_loss_details():
    x = T([[1.0, 2, 3], [1.0, -1, 0]], dtype=torch.float64, requires_grad=True)
    loss = F.mse_loss(x, torch.ones(2, 3, dtype=torch.float64))
    loss.backward()
    assert arr(loss) == pytest.approx(1.6666666666666667)          # from PyTorch
    np.testing.assert_allclose(arr(x.grad), [[0, 1 / 3, 2 / 3], [0, -2 / 3, -1 / 3]])
    assert F.mse_loss(torch.ones(2), torch.ones(2, dtype=torch.float64)).dtype == torch.float64
    with pytest.warns(UserWarning, match="Using a target size"):
        F.mse_loss(torch.ones(2, 3), torch.ones(3))
    raises(ValueError, "avg is not a valid value for reduction", F.mse_loss, torch.ones(2),
           torch.ones(2), reduction="avg")
    raises(NotImplementedError, "\"mse_cpu\" not implemented for 'Long'", F.mse_loss,
           T([1, 2]), T([1, 2]))
    with pytest.warns(UserWarning, match="Using a target size"):
        check_grads(lambda p, q: F.mse_loss(p, q), _rand(2, 3), _rand(3))  # broadcast


def test_cross_entropy_values_from_torch():
    x = T([[1.0, 2, 3], [1.0, -1, 0]], dtype=torch.float64, requires_grad=True)
    loss = F.cross_entropy(x, T([2, 0]))
    g, = torch.autograd.grad(loss, x)
    assert arr(loss) == pytest.approx(0.4076059644443804, abs=1e-12)
    np.testing.assert_allclose(arr(g), [
        [0.04501528658519022, 0.12236423552739882, -0.1673795221125891],
        [-0.1673795221125891, 0.04501528658519022, 0.12236423552739882]], atol=1e-12)
    loss = F.cross_entropy(x, T([2, 0]), label_smoothing=0.1,
                           weight=T([1.0, 2, 3], dtype=torch.float64))
    g, = torch.autograd.grad(loss, x)
    assert arr(loss) == pytest.approx(0.49927263111104714, abs=1e-12)
    np.testing.assert_allclose(arr(g), [
        [0.05693883221519249, 0.16076147484806164, -0.21770030706325422],
        [-0.05039207049525733, 0.008091740955187955, 0.042300329540069355]], atol=1e-12)
    loss = F.nll_loss(x, T([1, -100]), reduction="sum")
    g, = torch.autograd.grad(loss, x)
    assert arr(loss) == -2.0
    np.testing.assert_allclose(arr(g), [[0, -1, 0], [0, 0, 0]])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_vs_numpy(reduction):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((4, 3, 2))
    tgt = np.array([[0, 2], [1, -100], [2, 2], [0, 1]])
    w = np.array([0.5, 2.0, 1.0])
    lsm = np.log(np_softmax(x, 1))
    ign = tgt == -100
    safe = np.where(ign, 0, tgt)
    picked = np.take_along_axis(lsm, safe[:, None, :], 1)[:, 0]
    wt = np.where(ign, 0, w[safe])
    losses = -picked * wt
    want = {"none": losses, "sum": losses.sum(), "mean": losses.sum() / wt.sum()}[reduction]
    r = F.cross_entropy(T(x), T(tgt), weight=T(w), reduction=reduction)
    np.testing.assert_allclose(arr(r), want, rtol=1e-12)
    check_grads(lambda a: F.cross_entropy(a, T(tgt), weight=T(w), reduction=reduction), x)
    check_grads(lambda a: F.cross_entropy(a, T(tgt), label_smoothing=0.3,
                                          reduction=reduction), x)
    probs = np_softmax(rng.standard_normal((4, 3)), 1)
    check_grads(lambda a: F.cross_entropy(a, T(probs), reduction=reduction), x[:, :, 0])
    check_grads(lambda a: F.nll_loss(a, T(tgt[:, 0]), reduction=reduction), x[:, :, 0])


def test_cross_entropy_details():
    xf = torch.randn(2, 3)
    assert F.cross_entropy(xf.select(0, 0), torch.tensor(1)).shape == ()
    assert np.isnan(arr(F.nll_loss(xf, T([-100, -100]))))
    assert F.cross_entropy(xf, T([0, 1]), reduction="none").shape == (2,)
    assert F.cross_entropy(torch.randn(2, 3, 4), torch.zeros(2, 4, dtype=torch.int64)).shape \
        == ()


@pytest.mark.parametrize("exc,match,fn", [
    (IndexError, "Target 5 is out of bounds.",
     lambda: F.cross_entropy(torch.ones(2, 3), T([0, 5]))),
    (IndexError, "Target -1 is out of bounds.",
     lambda: F.nll_loss(torch.ones(2, 3), T([0, -1]))),
    (RuntimeError, "expected target dtype to be Long or Byte, but got Float",
     lambda: F.cross_entropy(torch.ones(2, 3), T([0.0, 1.0]))),
    (RuntimeError, "expected target dtype to be Long or Byte, but got Int",
     lambda: F.nll_loss(torch.ones(2, 3), T(np.array([0, 1], np.int32)))),
    (ValueError, "Expected input batch_size (2) to match target batch_size (3).",
     lambda: F.cross_entropy(torch.ones(2, 3), T([0, 1, 2]))),
    (ValueError, "Expected 1 or more dimensions (got 0)",
     lambda: F.nll_loss(torch.tensor(1.0), torch.tensor(0))),
    (NotImplementedError, "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'",
     lambda: F.cross_entropy(T([[1, 2, 3], [4, 5, 6]]), T([0, 1]))),
])
def test_loss_errors(exc, match, fn):
    raises(exc, match, fn)


def test_dropout():
    x = torch.ones(200, 50)
    torch.manual_seed(0)
    r = F.dropout(x, 0.3)
    vals = np.unique(arr(r))
    np.testing.assert_allclose(vals, [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((arr(r) == 0).mean() - 0.3) < 0.02 and r.dtype == torch.float32
    torch.manual_seed(0)
    np.testing.assert_array_equal(arr(F.dropout(x, 0.3)), arr(r))      # seeded: repeatable
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert (arr(F.dropout(x, 1.0)) == 0).all()
    raises(ValueError, "dropout probability has to be between 0 and 1, but got 1.5",
           F.dropout, x, 1.5)
    raises(RuntimeError, "result type Float can't be cast to the desired output type Long",
           F.dropout, T([1, 2]), 0.5)
    w = T(_rand(3, 4), requires_grad=True)
    torch.manual_seed(1)
    out = F.dropout(w, 0.5)
    assert type(out.grad_fn).__name__ == "MulBackward0"
    out.sum().backward()
    np.testing.assert_allclose(arr(w.grad), (arr(out) != 0) * 2.0)
    y = torch.ones(4, 4)
    torch.manual_seed(2)
    assert F.dropout(y, 0.5, inplace=True) is y and y._version == 1
