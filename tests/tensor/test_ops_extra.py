"""The ops of ``opdefs/extra.py`` and the newer nn ops: values against numpy on
hypothesis-drawn shapes and dtypes, result dtypes, ``grad_fn`` names and error texts as PyTorch
2.13 gives them (expected values were taken from real PyTorch; torch is not imported here), and
gradients against central differences in float64."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tensor as torch
import tensor.nn_functional as F

f32, f64, i64 = np.float32, np.float64, np.int64
FEW = settings(max_examples=15, deadline=None)


# -- helpers -------------------------------------------------------------------------------
def T(a, **kw):
    return torch.tensor(a, **kw)


def arr(t):
    return t.detach().numpy()


def raises(exc, match, fn, *args, **kwargs):
    """``fn`` raises ``exc`` whose text starts with ``match`` (PyTorch's text; ours may add a
    hint after it)."""
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert str(info.value).startswith(match), str(info.value)
    return info.value


def numeric_grads(fn, arrays, cot, eps=1e-6):
    def scalar(arrs):
        with torch.no_grad():
            out = fn(*[T(a) for a in arrs])
        out = out[0] if isinstance(out, tuple) else out
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
    """Analytic gradients (of the first output) against central differences, float64."""
    arrays = [np.asarray(a, f64) for a in arrays]
    xs = [T(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    out = out[0] if isinstance(out, tuple) else out
    cot = np.random.default_rng(seed).standard_normal(arr(out).shape)
    got = torch.autograd.grad(out, xs, grad_outputs=T(cot), allow_unused=True)
    want = numeric_grads(fn, arrays, cot)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.zeros_like(w) if g is None else arr(g), w, atol=atol,
                                   rtol=rtol)
    return out


def grad_fn_name(t):
    return type(t.grad_fn).__name__ if t.grad_fn is not None else None


shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


@st.composite
def arrays(draw, dtypes=st.sampled_from([f32, f64, i64]), shape=shapes, lo=-3, hi=3):
    dt = draw(dtypes)
    shp = draw(shape) if not isinstance(shape, tuple) else shape
    if np.dtype(dt).kind == "f":
        el = st.floats(lo, hi, allow_nan=False, width=32)
    elif np.dtype(dt).kind == "b":
        el = st.booleans()
    else:
        el = st.integers(int(lo), int(hi))
    return draw(hnp.arrays(dt, shp, elements=el))


def float_of(dt):
    """The result dtype of a floating op on ``dt`` (integers give the default float32)."""
    return np.dtype(dt) if np.dtype(dt).kind == "f" else np.dtype(f32)


def close(got, want, dtype=None):
    got = arr(got) if isinstance(got, torch.Tensor) else got
    if dtype is not None:
        assert got.dtype == np.dtype(dtype), (got.dtype, dtype)
    tol = 1e-5 if got.dtype == f32 else 1e-12
    np.testing.assert_allclose(got, np.asarray(want), rtol=tol, atol=tol, equal_nan=True)


# -- unary pointwise -----------------------------------------------------------------------
UNARY = {"log10": np.log10, "expm1": np.expm1, "exp2": np.exp2, "sinh": np.sinh,
         "cosh": np.cosh, "atan": np.arctan, "asin": np.arcsin, "acos": np.arccos}


@pytest.mark.parametrize("name", sorted(UNARY))
@FEW
@given(a=arrays())
def test_unary_matches_numpy(name, a):
    """Values, a float result for integer inputs, the same through ``torch.<name>``."""
    with np.errstate(all="ignore"):
        want = UNARY[name](a.astype(float_of(a.dtype)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # PyTorch gives nan/inf silently
        close(getattr(T(a), name)(), want, float_of(a.dtype))
        close(getattr(torch, name)(T(a)), want, float_of(a.dtype))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_inplace_and_grad_fn(name):
    x = T([0.25, 0.5], dtype=torch.float64, requires_grad=True)
    y = x.clone()
    assert getattr(y, name + "_")() is y and y._version == 1
    close(y, UNARY[name](np.array([0.25, 0.5])))
    assert grad_fn_name(getattr(x, name)()) == {
        "log10": "Log10Backward0", "expm1": "Expm1Backward0", "exp2": "Exp2Backward0",
        "sinh": "SinhBackward0", "cosh": "CoshBackward0", "atan": "AtanBackward0",
        "asin": "AsinBackward0", "acos": "AcosBackward0"}[name]
    raises(RuntimeError, "result type Float can't be cast to the desired output type Long",
           getattr(T([1, 2]), name + "_"))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradients(name):
    check_grads(lambda x: getattr(x, name)(), np.array([[0.3, -0.6], [0.8, 0.1]]) + (
        1.0 if name == "log10" else 0.0))


def test_frac_and_positive():
    a = np.array([1.5, -2.25, 3.0, -0.5], f32)
    close(T(a).frac(), a - np.trunc(a), f32)
    check_grads(lambda x: x.frac(), np.array([1.3, -2.6]))
    raises(NotImplementedError, "\"frac_cpu\" not implemented for 'Long'", T([1, 2]).frac)
    x = T([1.0, -2.0], requires_grad=True)
    assert x.positive() is x and torch.positive(x) is x and +x is x
    assert T([1, 2]).positive().dtype == torch.int64
    raises(RuntimeError, "The `+` operator, on a bool tensor is not supported.",
           T([True]).positive)


# -- binary pointwise ----------------------------------------------------------------------
@st.composite
def broadcast_arrays(draw, dtypes=st.sampled_from([f32, f64, i64]), lo=-3, hi=3):
    bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    a = draw(arrays(dtypes, bs.input_shapes[0], lo, hi))
    b = draw(arrays(dtypes, bs.input_shapes[1], lo, hi))
    return a, b


def promoted(a, b):
    """PyTorch's result dtype for two tensors of these arrays (a 0-d one loses to one with
    dims within a category)."""
    return np.dtype(torch.result_type(T(a), T(b)).np)


@pytest.mark.parametrize("name,fn,ints", [("atan2", np.arctan2, True),
                                          ("hypot", np.hypot, False),
                                          ("logaddexp", np.logaddexp, False)])
@FEW
@given(ab=broadcast_arrays())
def test_floating_binary_matches_numpy(name, fn, ints, ab):
    a, b = ab
    dt = promoted(a, b)
    if dt.kind != "f" and not ints:
        raises(NotImplementedError, f'"{name}_cpu" not implemented for \'Long\'',
               getattr(torch, name), T(a), T(b))
        return
    dt = float_of(dt)
    close(getattr(torch, name)(T(a), T(b)), fn(a.astype(dt), b.astype(dt)), dt)


def test_binary_refuse_numbers_and_record():
    x = T([1.0, 2.0])
    for name in ("atan2", "hypot", "logaddexp"):
        raises(TypeError, f"{name}(): argument 'other' (position 1) must be Tensor, not int",
               getattr(x, name), 2)
    a = T([0.5, -1.0], dtype=torch.float64, requires_grad=True)
    b = T([2.0, 0.25], dtype=torch.float64, requires_grad=True)
    assert grad_fn_name(a.atan2(b)) == "Atan2Backward0"
    assert grad_fn_name(a.hypot(b)) == "HypotBackward0"
    assert grad_fn_name(a.logaddexp(b)) == "LogaddexpBackward0"
    for name in ("atan2", "hypot", "logaddexp"):
        check_grads(lambda x, y: getattr(x, name)(y), [[0.5, -1.0]], [[2.0], [0.25]])
    y = a.detach().clone()
    assert y.atan2_(b.detach()) is y and y._version == 1
    raises(RuntimeError, "result type Float can't be cast to the desired output type Long",
           T([1, 2]).atan2_, T([1.0, 2.0]))
    r = torch.logaddexp(T([math.inf, -math.inf]), T([math.inf, -math.inf]))
    assert arr(r).tolist() == [math.inf, -math.inf]


@FEW
@given(ab=broadcast_arrays(lo=1, hi=5))
def test_fmod_matches_numpy(ab):
    a, b = ab
    dt = promoted(a, b)
    b = np.where(np.arange(b.size).reshape(b.shape) % 2 == 0, b, -b).astype(b.dtype)
    close(torch.fmod(T(a), T(b)), np.fmod(a.astype(dt), b.astype(dt)), dt)
    close(T(a).fmod(2), np.fmod(a, np.asarray(2, a.dtype)), a.dtype)


def test_fmod_overloads_dtypes_and_errors():
    assert T([5, -7]).fmod(2.5).dtype == torch.float32
    close(T([5, -7]).fmod(2.5), np.array([0.0, -2.0], f32), f32)
    x = T([3.5, -2.25], dtype=torch.float64, requires_grad=True)
    assert grad_fn_name(x.fmod(1.5)) == "FmodBackward0"
    assert grad_fn_name(x.fmod(T([1.5, 2.0], dtype=torch.float64))) == "FmodBackward1"
    check_grads(lambda p, q: p.fmod(q), [3.7, -2.2, 5.1], [1.5, 2.0, -2.0])
    y = x.detach().clone()
    assert y.fmod_(2.0) is y and arr(y).tolist() == [1.5, -0.25]
    raises(RuntimeError, "ZeroDivisionError", T([1, 2]).fmod, 0)
    raises(RuntimeError, "ZeroDivisionError", T([1, 2]).fmod, T([1, 0]))
    raises(NotImplementedError, "\"fmod_cpu\" not implemented for 'Bool'",
           T([True]).fmod, T([True]))
    o = torch.zeros(2)
    torch.fmod(T([3.5, -2.5]), 2, out=o)
    assert arr(o).tolist() == [1.5, -0.5]


@FEW
@given(data=st.data())
def test_lerp_matches_formula(data):
    bs = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
    dt = data.draw(st.sampled_from([f32, f64]))
    a, e, w = (data.draw(arrays(st.just(dt), s)) for s in bs.input_shapes)
    want = a + w * (e - a)
    close(torch.lerp(T(a), T(e), T(w)), want, dt)
    close(T(a).lerp(T(e), 0.25), a + np.asarray(0.25, dt) * (e - a), dt)


def test_lerp_grad_and_errors():
    x = T([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    e = T([3.0, -1.0], dtype=torch.float64, requires_grad=True)
    assert grad_fn_name(x.lerp(e, 0.3)) == "LerpBackward0"
    assert grad_fn_name(x.lerp(e, e)) == "LerpBackward1"
    check_grads(lambda p, q, w: p.lerp(q, w), [1.0, 2.0], [[3.0, -1.0]], [0.2, 0.9])
    check_grads(lambda p, q: p.lerp(q, 0.7), [1.0, 2.0], [3.0, -1.0])
    y = x.detach().clone()
    assert y.lerp_(e.detach(), 0.5) is y and arr(y).tolist() == [2.0, 0.5]
    f = T([1.0, 2.0])
    raises(RuntimeError, "expected dtype float for `end` but got dtype double", f.lerp,
           f.double(), 0.5)
    raises(RuntimeError, "expected dtype float for `weight` but got dtype double", f.lerp, f,
           f.double())
    raises(NotImplementedError, "\"lerp_kernel_scalar\" not implemented for 'Long'",
           T([1, 2]).lerp, T([1, 2]), 0.5)


def test_float_power():
    a = np.array([0.5, 2.0, 3.0], f32)
    r = torch.float_power(T(a), 2)
    assert r.dtype == torch.float64
    close(r, a.astype(f64) ** 2, f64)
    close(T([1, 2, 3]).float_power(T([0.5, 1.0, -1.0])), np.array([1.0, 2.0, 1 / 3]), f64)
    x = T(a, requires_grad=True)
    assert grad_fn_name(x.float_power(2)) == "PowBackward0"
    assert grad_fn_name(x.float_power(T([1.0, 2.0, 3.0]))) == "PowBackward1"
    assert grad_fn_name(x.float_power(2).grad_fn.next_functions[0][0] and
                        x.float_power(2)) == "PowBackward0"
    assert type(x.float_power(2).grad_fn.next_functions[0][0]).__name__ == "ToCopyBackward0"
    raises(RuntimeError, "the base given to float_power_ has dtype Float but the operation's "
           "result requires dtype Double", T(a).float_power_, 2)
    d = T([2.0, 3.0], dtype=torch.float64)
    assert d.float_power_(2) is d and arr(d).tolist() == [4.0, 9.0]


# -- scans ---------------------------------------------------------------------------------
@FEW
@given(a=arrays(lo=-2, hi=2), data=st.data())
def test_cumprod_matches_numpy(a, data):
    d = data.draw(st.integers(-max(a.ndim, 1), max(a.ndim, 1) - 1))
    want_dt = np.dtype(i64) if a.dtype.kind in "iub" else a.dtype
    want = a.astype(want_dt) if a.ndim == 0 else np.cumprod(a, axis=d, dtype=want_dt)
    close(torch.cumprod(T(a), d), want, want_dt)
    close(T(a).cumprod(d, dtype=torch.float64), want.astype(f64) if a.ndim == 0 else
          np.cumprod(a.astype(f64), axis=d), f64)


def test_cumprod_gradients_with_and_without_zeros():
    for a in ([[0.5, -2.0, 1.5], [3.0, 0.25, -1.0]], [[0.5, 0.0, 1.5], [0.0, 2.0, 0.0]],
              [[0.0, 0.0, 2.0]]):
        for d in (0, 1):
            out = check_grads(lambda x: x.cumprod(d), a)
            assert grad_fn_name(out) == "CumprodBackward0"
    assert T([True, False]).cumprod(0).dtype == torch.int64


def np_cumext(a, axis, better):
    """Reference cummax/cummin: the running extreme and its latest index."""
    x = np.moveaxis(a, axis, 0)
    vals, idx = np.empty_like(x), np.zeros(x.shape, i64)
    for pos in np.ndindex(*x.shape[1:]):
        cur, at = None, 0
        for i in range(x.shape[0]):
            v = x[(i,) + pos]
            if cur is None or better(v, cur):
                cur, at = v, i
            vals[(i,) + pos], idx[(i,) + pos] = cur, at
    return np.moveaxis(vals, 0, axis), np.moveaxis(idx, 0, axis)


@pytest.mark.parametrize("name,better", [("cummax", lambda v, c: v >= c),
                                         ("cummin", lambda v, c: v <= c)])
@FEW
@given(a=arrays(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), lo=-2, hi=2),
       data=st.data())
def test_cummax_cummin_match_reference(name, better, a, data):
    d = data.draw(st.integers(-a.ndim, a.ndim - 1))
    r = getattr(torch, name)(T(a), d)
    assert type(r).__name__ == name
    v, i = np_cumext(a, d % a.ndim, better)
    close(r.values, v, a.dtype)
    close(r.indices, i, i64)


def test_cummax_nan_sticks_and_gradient():
    r = T([1.0, float("nan"), 3.0, float("nan")]).cummax(0)
    assert np.isnan(arr(r.values)[1:]).all() and r.indices.tolist() == [0, 1, 1, 3]
    x = T([1.0, 3.0, 2.0, 4.0], dtype=torch.float64, requires_grad=True)
    v, _ = x.cummax(0)
    assert grad_fn_name(v) == "CummaxBackward0"
    v.sum().backward()
    assert x.grad.tolist() == [1.0, 2.0, 0.0, 1.0]
    check_grads(lambda p: p.cummin(1)[0], [[0.3, -0.2, 0.5], [1.0, 2.0, -3.0]])


# -- shape ops -----------------------------------------------------------------------------
@FEW
@given(a=arrays(), data=st.data())
def test_flip_roll_match_numpy(a, data):
    n = max(a.ndim, 1)
    dims = data.draw(st.lists(st.integers(-n, n - 1), unique_by=lambda d: d % n, max_size=n))
    want = np.flip(a, axis=tuple(d % n for d in dims)) if dims and a.ndim else a
    close(torch.flip(T(a), dims), want, a.dtype)
    s = data.draw(st.integers(-6, 6))
    close(T(a).roll(s), np.roll(a.reshape(-1), s).reshape(a.shape), a.dtype)
    if a.ndim:
        shifts = [data.draw(st.integers(-6, 6)) for _ in dims]
        if dims:
            close(T(a).roll(shifts, dims), np.roll(a, shifts, axis=[d % n for d in dims]),
                  a.dtype)


def test_flip_roll_errors_and_grads():
    x = torch.ones(2, 3)
    raises(RuntimeError, "dim 0 appears multiple times in the list of dims", x.flip, 0, 0)
    raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
           x.flip, 2)
    raises(TypeError, "flip(): argument 'dims' must be tuple of ints, not int", x.flip,
           dims=0)
    raises(RuntimeError, "shifts and dimensions must align. shifts: 2, dims:1", x.roll,
           (1, 2), 0)
    raises(RuntimeError, "`shifts` required", x.roll, (), ())
    raises(IndexError, "Dimension specified as 0 but tensor has no dimensions",
           T(1.0).roll, 1, 0)
    a = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert grad_fn_name(check_grads(lambda p: p.flip(0, 1), a)) == "FlipBackward0"
    assert grad_fn_name(check_grads(lambda p: p.roll((1, -1), (0, 1)), a)) == "RollBackward0"
    check_grads(lambda p: p.roll(4), a)


@pytest.mark.parametrize("name", ["tril", "triu"])
@FEW
@given(a=arrays(dtypes=st.sampled_from([f32, f64, i64, np.bool_]),
                shape=hnp.array_shapes(min_dims=2, max_dims=4, max_side=4)),
       k=st.integers(-4, 4))
def test_tril_triu_match_numpy(name, a, k):
    want = getattr(np, name)(a, k)
    close(getattr(torch, name)(T(a), k), want, a.dtype)
    t = T(a)
    assert getattr(t, name + "_")(k) is t and t._version == 1
    close(t, want, a.dtype)


def test_tril_errors_and_grad():
    raises(RuntimeError, "tril: input tensor must have at least 2 dimensions", T([1.0]).tril)
    raises(RuntimeError, "triu: input tensor must have at least 2 dimensions", T([1.0]).triu_)
    out = check_grads(lambda p: p.triu(1), np.arange(12.0).reshape(3, 4))
    assert grad_fn_name(out) == "TriuBackward0"
    x = torch.ones(2, 2, dtype=torch.float64, requires_grad=True)
    y = x.clone()
    y.tril_()
    assert grad_fn_name(y) == "TrilBackward0"


@FEW
@given(a=arrays(shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=3)), data=st.data())
def test_repeat_matches_tile(a, data):
    reps = [data.draw(st.integers(0, 3)) for _ in range(a.ndim + data.draw(st.integers(0, 2)))]
    want = np.tile(a, reps) if reps else a
    close(T(a).repeat(*reps) if reps else T(a).repeat(()), want, a.dtype)


def test_repeat_errors_and_grad():
    raises(RuntimeError, "Number of dimensions of repeat dims can not be smaller than number "
           "of dimensions of tensor", torch.ones(2, 3).repeat, 2)
    raises(RuntimeError, "Trying to create tensor with negative dimension -3: [4, -3]",
           torch.ones(2, 3).repeat, 2, -1)
    out = check_grads(lambda p: p.repeat(2, 1, 3), [[1.0, 2.0], [3.0, 4.0]])
    assert grad_fn_name(out) == "RepeatBackward0"


@FEW
@given(a=arrays(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=3)), data=st.data())
def test_repeat_interleave_matches_numpy(a, data):
    r = data.draw(st.integers(0, 3))
    dim = data.draw(st.one_of(st.none(), st.integers(-a.ndim, a.ndim - 1)))
    close(T(a).repeat_interleave(r, dim), np.repeat(a, r, axis=dim), a.dtype)
    n = a.size if dim is None else a.shape[dim]
    reps = np.array([data.draw(st.integers(0, 3)) for _ in range(n)], i64)
    close(torch.repeat_interleave(T(a), T(reps), dim=dim), np.repeat(a, reps, axis=dim),
          a.dtype)
    close(torch.repeat_interleave(T(reps)), np.repeat(np.arange(n), reps), i64)


def test_repeat_interleave_graph_and_errors():
    x = T([1.0, 2.0, 3.0], requires_grad=True)
    y = x.repeat_interleave(2)
    assert grad_fn_name(y) == "ViewBackward0" and y._is_view()
    assert type(y.grad_fn.next_functions[0][0]).__name__ == "CloneBackward0"
    z = x.repeat_interleave(T([1, 2, 0]))
    assert grad_fn_name(z) == "IndexSelectBackward0" and not z._is_view()
    check_grads(lambda p: p.repeat_interleave(T([1, 2, 0, 3]), dim=1), [[1.0, 2, 3, 4]])
    raises(RuntimeError, "Repeats must be non-negative", x.repeat_interleave, -1)
    raises(RuntimeError, "repeats can not be negative", x.repeat_interleave, T([1, -1, 1]))
    raises(RuntimeError, "repeats must be 0-dim or 1-dim tensor", x.repeat_interleave,
           T([[1]]))
    raises(RuntimeError, "repeats must have the same size as input along dim, but got "
           "repeats.size(0) = 2 and input.size(0) = 3", x.repeat_interleave, T([1, 2]))
    raises(NotImplementedError, "\"repeat_interleave_cpu\" not implemented for 'Float'",
           x.repeat_interleave, T([1.0, 2.0, 3.0]))
    raises(RuntimeError, "repeat_interleave: Invalid output_size, expected 6 but got 5",
           x.repeat_interleave, 2, dim=0, output_size=5)


@FEW
@given(v=arrays(shape=hnp.array_shapes(min_dims=1, max_dims=1, min_side=0, max_side=4)),
       m=arrays(shape=hnp.array_shapes(min_dims=2, max_dims=2, max_side=4)),
       k=st.integers(-3, 3))
def test_diag_trace_match_numpy(v, m, k):
    close(torch.diag(T(v), k), np.diag(v, k), v.dtype)
    close(T(m).diag(k), np.diag(m, k), m.dtype)
    tdt = np.dtype(i64) if m.dtype.kind in "iub" else m.dtype
    close(torch.trace(T(m)), np.trace(m, dtype=tdt), tdt)


def test_diag_graph_and_errors():
    v = T([1.0, 2.0], requires_grad=True)
    m = torch.ones(2, 3, requires_grad=True)
    assert grad_fn_name(v.diag()) == "DiagEmbedBackward0"
    assert grad_fn_name(m.diag()) == "DiagonalBackward0_copy" and not m.diag()._is_view()
    assert grad_fn_name(m.trace()) == "TraceBackward0"
    check_grads(lambda p: p.diag(1), [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    check_grads(lambda p: p.diag(-1), [1.0, 2.0])
    check_grads(lambda p: p.trace(), [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    check_grads(lambda p: torch.diag_embed(p, 1, 0, 2), [[1.0, 2.0], [3.0, 4.0]])
    raises(RuntimeError, "diag(): Supports 1D or 2D tensors. Got 3D", torch.ones(2, 2, 2).diag)
    raises(RuntimeError, "trace: expected a matrix, but got tensor with dim 1",
           T([1.0]).trace)
    raises(NotImplementedError, "\"trace\" not implemented for 'Bool'",
           torch.ones(2, 2, dtype=torch.bool).trace)
    raises(RuntimeError, "diagonal dimensions cannot be identical 0, 0", torch.diag_embed,
           T([1.0]), 0, 0, 0)
    assert torch.ones(2, 3, dtype=torch.int32).trace().dtype == torch.int64


# -- products ------------------------------------------------------------------------------
@FEW
@given(a=arrays(shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=3)),
       b=arrays(shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=3)))
def test_kron_matches_numpy(a, b):
    # (both operands are reshaped to the same number of dims first: no 0-dim promotion rule)
    nd = max(a.ndim, b.ndim)
    want_dt = promoted(a.reshape((1,) * (nd - a.ndim) + a.shape),
                       b.reshape((1,) * (nd - b.ndim) + b.shape))
    close(torch.kron(T(a), T(b)), np.kron(a, b), want_dt)


@FEW
@given(data=st.data())
def test_tensordot_matches_numpy(data):
    dt = data.draw(st.sampled_from([f32, f64]))
    k = data.draw(st.integers(0, 2))
    shared = tuple(data.draw(st.integers(1, 3)) for _ in range(k))
    ra = tuple(data.draw(st.integers(1, 3)) for _ in range(data.draw(st.integers(0, 2))))
    rb = tuple(data.draw(st.integers(1, 3)) for _ in range(data.draw(st.integers(0, 2))))
    a = data.draw(arrays(st.just(dt), ra + shared))
    b = data.draw(arrays(st.just(dt), shared + rb))
    close(torch.tensordot(T(a), T(b), k), np.tensordot(a, b, k), dt)
    ax = (list(range(len(ra), len(ra) + k)), list(range(k)))
    close(torch.tensordot(T(a), T(b), dims=ax), np.tensordot(a, b, ax), dt)


def test_tensordot_graph_and_errors():
    a = torch.ones(2, 3, requires_grad=True)
    r = torch.tensordot(a, torch.ones(3, 4), 1)
    assert grad_fn_name(r) == "ViewBackward0" and r._is_view()
    check_grads(lambda p, q: torch.tensordot(p, q, ([0, 2], [1, 0])),
                np.arange(12.0).reshape(2, 3, 2) / 7, np.arange(8.0).reshape(2, 2, 2) / 5)
    raises(RuntimeError, "contracted dimensions need to match, but first has size 3 in dim -1 "
           "and second has size 4 in dim 0", torch.tensordot, torch.ones(2, 3),
           torch.ones(4, 5), 1)
    raises(RuntimeError, "tensordot expects dims >= 0, but got dims=-1", torch.tensordot,
           torch.ones(2, 3), torch.ones(3, 5), -1)
    raises(RuntimeError, "both inputs should have same dtype", torch.tensordot,
           torch.ones(2, 3), torch.ones(3, 5, dtype=torch.float64), 1)
    raises(RuntimeError, "both dimension lists should have same length", torch.tensordot,
           torch.ones(2, 3), torch.ones(3, 5), ([1], [0, 1]))


EINSUM = [("ij,jk->ik", [(2, 3), (3, 4)], "ViewBackward0"), ("ij,jk", [(2, 3), (3, 4)], None),
          ("ii", [(3, 3)], "SumBackward1"), ("ii->i", [(3, 3)], "PermuteBackward0"),
          ("ij->ji", [(2, 3)], "PermuteBackward0"), ("ij->", [(2, 3)], "SumBackward1"),
          ("i,j->ij", [(2,), (3,)], "MulBackward0"), ("i,i->", [(3,), (3,)], "ViewBackward0"),
          ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)], "ViewBackward0"),
          ("ij,ij->ij", [(2, 3), (2, 3)], "MulBackward0"), ("ij,ij->i", [(2, 3), (2, 3)], None),
          ("...ij,...jk->...ik", [(2, 2, 3), (3, 2)], None), ("i...->...", [(2, 3, 4)], None),
          ("ijk,jl,kl->il", [(2, 3, 4), (3, 5), (4, 5)], None), ("iij->j", [(2, 2, 3)], None),
          ("ab,cd->abcd", [(2, 1), (1, 3)], None), ("ij,j->i", [(3, 4), (4,)], None)]


@pytest.mark.parametrize("eq,shps,node", EINSUM, ids=[e for e, _, _ in EINSUM])
def test_einsum_matches_numpy(eq, shps, node):
    rng = np.random.default_rng(0)
    arrs = [rng.standard_normal(s) for s in shps]
    ts = [T(a, requires_grad=True) for a in arrs]
    r = torch.einsum(eq, *ts)
    close(r, np.einsum(eq, *arrs), f64)
    if node is not None:
        assert grad_fn_name(r) == node
    close(torch.einsum(eq, [T(a.astype(f32)) for a in arrs]),
          np.einsum(eq, *[a.astype(f32) for a in arrs]).astype(f32), f32)


def test_einsum_gradients_and_errors():
    check_grads(lambda p, q: torch.einsum("bij,bjk->bik", p, q),
                np.arange(12.0).reshape(2, 2, 3) / 9, np.arange(12.0).reshape(2, 3, 2) / 7)
    check_grads(lambda p: torch.einsum("iij->j", p), np.arange(12.0).reshape(2, 2, 3))
    a = torch.ones(2, 3)
    raises(RuntimeError, "einsum(): fewer operands were provided than specified in the "
           "equation", torch.einsum, "ij,jk", a)
    raises(RuntimeError, "einsum(): more operands were provided than specified in the "
           "equation", torch.einsum, "ij", a, a)
    raises(RuntimeError, "einsum(): the number of subscripts in the equation (3) does not "
           "match the number of dimensions (2) for operand 0 and no ellipsis was given",
           torch.einsum, "ijk", a)
    raises(RuntimeError, "einsum(): subscript j has size 4 for operand 1 which does not "
           "broadcast with previously seen size 3", torch.einsum, "ij,jk->ik", a,
           torch.ones(4, 5))
    raises(RuntimeError, "einsum(): invalid subscript given at index 1 in the equation "
           "string, subscripts must be in [a-zA-Z]", torch.einsum, "i1", a)
    raises(RuntimeError, "einsum(): output subscript q does not appear in the equation for "
           "any input operand", torch.einsum, "ij->q", a)
    raises(RuntimeError, "einsum(): output subscript i appears more than once in the output",
           torch.einsum, "ij->ii", a)


@FEW
@given(data=st.data())
def test_addmv_matches_numpy(data):
    dt = data.draw(st.sampled_from([f32, f64, i64]))
    n, k = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    c = data.draw(arrays(st.just(dt), data.draw(st.sampled_from([(n,), (1,), ()]))))
    m, v = data.draw(arrays(st.just(dt), (n, k))), data.draw(arrays(st.just(dt), (k,)))
    beta, alpha = data.draw(st.sampled_from([0, 1, 2])), data.draw(st.sampled_from([1, -2]))
    want = alpha * (m @ v) + (beta * c if beta else 0)
    close(torch.addmv(T(c), T(m), T(v), beta=beta, alpha=alpha),
          np.broadcast_to(want, (n,)).astype(dt), dt)


def test_addmv_grad_and_errors():
    out = check_grads(lambda c, m, v: torch.addmv(c, m, v, beta=0.5, alpha=2.0), [1.0],
                      [[1.0, 2.0], [3.0, -1.0]], [0.5, -2.0])
    assert grad_fn_name(out) == "AddmvBackward0"
    raises(RuntimeError, "addmv input tensors must have the same dtype, but got Float, Float, "
           "and Double", torch.addmv, torch.ones(2), torch.ones(2, 3),
           torch.ones(3, dtype=torch.float64))
    raises(RuntimeError, "size mismatch, got input (2), mat (2x3), vec (4)", torch.addmv,
           torch.ones(2), torch.ones(2, 3), torch.ones(4))
    raises(RuntimeError, "vector + matrix @ vector expected, got 1, 3, 1", torch.addmv,
           torch.ones(2), torch.ones(2, 3, 1), torch.ones(3))
    r = torch.addmv(T([float("nan"), 1.0]), torch.ones(2, 3), torch.ones(3), beta=0)
    assert arr(r).tolist() == [3.0, 3.0]


# -- sorting -------------------------------------------------------------------------------
@FEW
@given(a=arrays(), data=st.data())
def test_sort_argsort_match_stable_numpy(a, data):
    n = max(a.ndim, 1)
    d = data.draw(st.integers(-n, n - 1))
    desc = data.draw(st.booleans())
    if a.ndim == 0:
        idx = np.zeros((), i64)
    elif desc:              # stable descending: equal values keep their order
        m = a.shape[d]
        idx = (m - 1) - np.flip(np.argsort(np.flip(a, d), axis=d, kind="stable"), d)
    else:
        idx = np.argsort(a, axis=d, kind="stable")
    r = torch.sort(T(a), d, desc)
    assert type(r).__name__ == "sort"
    close(r.indices, idx, i64)
    close(r.values, a if a.ndim == 0 else np.take_along_axis(a, idx, d), a.dtype)
    close(T(a).argsort(d, desc), idx, i64)


@FEW
@given(a=arrays(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)), data=st.data())
def test_topk_and_median_match_numpy(a, data):
    d = data.draw(st.integers(-a.ndim, a.ndim - 1))
    k = data.draw(st.integers(0, a.shape[d]))
    r = T(a).topk(k, d)
    close(r.values, np.take(-np.sort(-a, axis=d), np.arange(k), axis=d), a.dtype)
    close(torch.gather(T(a), d, r.indices), arr(r.values), a.dtype)
    flat = np.sort(a.reshape(-1))
    close(T(a).median(), flat[(flat.size - 1) // 2], a.dtype)
    m = T(a).median(d, keepdim=True)
    srt = np.sort(a, axis=d)
    close(m.values, np.take(srt, [(a.shape[d] - 1) // 2], axis=d), a.dtype)
    close(torch.gather(T(a), d, m.indices), arr(m.values), a.dtype)


def test_sorting_graph_and_errors():
    x = T([3.0, 1.0, 2.0, 5.0], dtype=torch.float64, requires_grad=True)
    assert grad_fn_name(x.sort()[0]) == "SortBackward0"
    assert x.argsort().requires_grad is False
    assert grad_fn_name(x.topk(2)[0]) == "TopkBackward0"
    assert grad_fn_name(x.median()) == "MedianBackward0"
    assert grad_fn_name(x.median(0)[0]) == "MedianBackward1"
    for fn in (lambda p: p.sort(1, True)[0], lambda p: p.topk(2, 1)[0], lambda p: p.median(),
               lambda p: p.median(0)[0]):
        check_grads(fn, [[3.0, 1.0, 2.0], [0.5, -1.0, 4.0]])
    r = T([1.0, float("nan"), 2.0]).sort()
    assert r.indices.tolist() == [0, 2, 1]
    assert math.isnan(T([1.0, float("nan")]).median().item())
    assert math.isnan(torch.zeros(0).median().item())
    raises(RuntimeError, "selected index k out of range", T([1.0, 2.0]).topk, 3)
    raises(IndexError, "median(): Expected reduction dim 0 to have non-zero size.",
           torch.zeros(0, 2).median, 0)
    raises(NotImplementedError, "\"median_cpu\" not implemented for 'Bool'",
           T([True]).median)


# -- scatter, nan_to_num -------------------------------------------------------------------
@FEW
@given(a=arrays(shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4)), data=st.data())
def test_scatter_matches_numpy(a, data):
    d = data.draw(st.integers(-a.ndim, a.ndim - 1)) % a.ndim
    ishape = tuple(data.draw(st.integers(1, s)) for s in a.shape)
    idx = data.draw(hnp.arrays(i64, ishape, elements=st.integers(0, a.shape[d] - 1)))
    src = data.draw(arrays(st.just(a.dtype), ishape))
    want = a.copy()
    for pos in np.ndindex(*ishape):          # in order: a repeated index keeps the last write
        tgt = list(pos)
        tgt[d] = idx[pos]
        want[tuple(tgt)] = src[pos]
    close(torch.scatter(T(a), d, T(idx), T(src)), want, a.dtype)
    t = T(a)
    assert t.scatter_(d, T(idx), T(src)) is t and t._version == 1
    close(t, want, a.dtype)
    want_v = a.copy()
    for pos in np.ndindex(*ishape):
        tgt = list(pos)
        tgt[d] = idx[pos]
        want_v[tuple(tgt)] = 2
    close(T(a).scatter(d, T(idx), 2), want_v, a.dtype)


def test_scatter_graph_and_errors():
    x = torch.zeros(3, 4, dtype=torch.float64, requires_grad=True)
    src = torch.ones(2, 2, dtype=torch.float64, requires_grad=True)
    idx = T([[0, 1], [2, 3]])
    assert grad_fn_name(x.scatter(1, idx, src)) == "ScatterBackward0"
    assert grad_fn_name(x.scatter(1, idx, 1.0)) == "ScatterBackward1"
    y = x.clone()
    y.scatter_(1, idx, 2.0)
    assert grad_fn_name(y) == "ScatterBackward1"
    check_grads(lambda p, s: p.scatter(1, idx, s), np.zeros((3, 4)), np.ones((2, 3)))
    z = torch.zeros(3, 4)
    raises(RuntimeError, "Expected index [4, 2] to be no larger than self [3, 4] apart from "
           "dimension 1", z.scatter, 1, torch.zeros(4, 2, dtype=torch.int64), 1.0)
    raises(RuntimeError, "scatter(): Expected dtype int32/int64 for index", z.scatter, 1,
           torch.zeros(2, 2), 1.0)
    raises(RuntimeError, "Index tensor must have the same number of dimensions as self tensor",
           z.scatter, 1, torch.zeros(2, 2, 2, dtype=torch.int64), 1.0)
    raises(RuntimeError, "index 7 is out of bounds for dimension 1 with size 4", z.scatter, 1,
           T([[7]]), 1.0)
    raises(RuntimeError, "scatter(): Expected self.dtype to be equal to src.dtype", z.scatter,
           1, T([[0]]), torch.ones(1, 1, dtype=torch.float64))
    raises(RuntimeError, "value cannot be converted to type float without overflow",
           z.scatter, 1, T([[0]]), 1e300)
    assert arr(torch.zeros(3, dtype=torch.int64).scatter(0, T([1]), 2.5)).tolist() == [0, 2, 0]


@FEW
@given(a=arrays(dtypes=st.sampled_from([f32, f64])), data=st.data())
def test_nan_to_num_matches_numpy(a, data):
    special = data.draw(hnp.arrays(i64, a.shape, elements=st.integers(0, 3)))
    a = np.select([special == 1, special == 2, special == 3], [np.nan, np.inf, -np.inf],
                  a).astype(a.dtype)
    kw = data.draw(st.sampled_from([{}, {"nan": 1.5}, {"posinf": 7.0, "neginf": -2.0}]))
    want = np.nan_to_num(a, **kw)
    close(torch.nan_to_num(T(a), **kw), want, a.dtype)
    t = T(a)
    assert t.nan_to_num_(**kw) is t and t._version == 1
    close(t, want, a.dtype)


def test_nan_to_num_grad_and_ints():
    x = T([1.0, float("inf"), float("nan")], dtype=torch.float64, requires_grad=True)
    y = x.nan_to_num()
    assert grad_fn_name(y) == "NanToNumBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 0.0]
    assert T([1, 2]).nan_to_num().dtype == torch.int64


def test_linalg_vector_norm():
    a = np.array([[3.0, -4.0], [1.0, 2.0]])
    close(torch.linalg.vector_norm(T(a)), np.linalg.norm(a.reshape(-1)), f64)
    close(torch.linalg.vector_norm(T(a), 1, dim=1), np.abs(a).sum(1), f64)
    close(torch.linalg.vector_norm(T(a), float("inf"), dim=(0,), keepdim=True),
          np.abs(a).max(0, keepdims=True), f64)
    assert grad_fn_name(torch.linalg.vector_norm(T(a, requires_grad=True))) == \
        "LinalgVectorNormBackward0"


# -- nn functional -------------------------------------------------------------------------
@FEW
@given(a=arrays(dtypes=st.sampled_from([f32, f64]), lo=-30, hi=30))
def test_activations_match_numpy(a):
    dt = a.dtype
    close(F.leaky_relu(T(a), 0.2), np.where(a > 0, a, a * dt.type(0.2)), dt)
    close(F.elu(T(a), 0.5), np.where(a > 0, a, np.expm1(a) * dt.type(0.5)), dt)
    with np.errstate(over="ignore"):
        sp = np.where(a * 2 > 20, a, np.log1p(np.exp(a * dt.type(2))) / dt.type(2))
    close(F.softplus(T(a), 2.0), sp, dt)
    t = T(a)
    assert F.leaky_relu(t, 0.2, inplace=True) is t and t._version == 1


def test_activation_graph_and_errors():
    x = T([-1.0, 0.5, 2.0], dtype=torch.float64, requires_grad=True)
    assert grad_fn_name(F.leaky_relu(x)) == "LeakyReluBackward0"
    assert grad_fn_name(F.elu(x)) == "EluBackward0"
    assert grad_fn_name(F.softplus(x)) == "SoftplusBackward0"
    assert grad_fn_name(F.leaky_relu(x.clone(), inplace=True)) == "LeakyReluBackward1"
    assert grad_fn_name(F.elu(x.clone(), inplace=True)) == "EluBackward1"
    for fn in (lambda p: F.leaky_relu(p, 0.3), lambda p: F.elu(p, 0.7),
               lambda p: F.softplus(p, 2.0, 3.0), lambda p: F.elu(p.clone(), inplace=True),
               lambda p: F.leaky_relu(p * 1, 0.1, inplace=True)):
        check_grads(fn, [-1.0, 0.5, 2.0, -0.25])
    raises(NotImplementedError, "\"leaky_relu_cpu\" not implemented for 'Long'",
           F.leaky_relu, T([1]))
    raises(NotImplementedError, "\"elu_cpu\" not implemented for 'Long'", F.elu, T([1]))
    raises(NotImplementedError, "\"softplus_cpu\" not implemented for 'Long'", F.softplus,
           T([1]))
    y = F.leaky_relu(x.clone(), -0.5, inplace=True)
    raises(RuntimeError, "In-place leakyReLu backward calculation is triggered with a negative "
           "slope which is not supported.", y.sum().backward)


@FEW
@given(data=st.data())
def test_layer_norm_matches_numpy(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    k = data.draw(st.integers(1, len(shape)))
    ns = shape[len(shape) - k:]
    dt = data.draw(st.sampled_from([f32, f64]))
    a = data.draw(arrays(st.just(dt), shape))
    w, b = data.draw(arrays(st.just(dt), ns)), data.draw(arrays(st.just(dt), ns))
    axes = tuple(range(len(shape) - k, len(shape)))
    x = a.astype(f64)
    xhat = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + 1e-5)
    got = F.layer_norm(T(a), ns, T(w), T(b))
    assert got.dtype == torch.from_numpy(np.zeros(0, dt)).dtype
    np.testing.assert_allclose(arr(got), xhat * w + b, rtol=1e-3 if dt == f32 else 1e-9,
                               atol=1e-3 if dt == f32 else 1e-9)


def test_layer_norm_graph_and_errors():
    x = np.array([[0.3, -1.2, 2.0, 0.7], [1.0, 0.5, -0.5, 0.0]])
    out = check_grads(lambda p, w, b: F.layer_norm(p, (4,), w, b), x, [1.0, 2, -1, 0.5],
                      [0.1, 0.2, 0.3, 0.4])
    assert grad_fn_name(out) == "NativeLayerNormBackward0"
    check_grads(lambda p: F.layer_norm(p, (2, 4), eps=0.1), x)
    z = torch.ones(3, 4)
    raises(RuntimeError, "Given normalized_shape=[5], expected input with shape [*, 5], but got "
           "input of size[3, 4]", F.layer_norm, z, (5,))
    raises(RuntimeError, "Expected weight to be of same shape as normalized_shape, but got "
           "weight of shape [3] and normalized_shape = [4]", F.layer_norm, z, (4,),
           torch.ones(3))
    raises(NotImplementedError, "\"LayerNormKernelImpl\" not implemented for 'Long'",
           F.layer_norm, torch.ones(3, 4, dtype=torch.int64), (4,))
    raises(RuntimeError, "Expected normalized_shape to be at least 1-dimensional",
           F.layer_norm, z, ())
    raises(RuntimeError, "mixed dtype (CPU): expect parameter to have scalar type of Float",
           F.layer_norm, z, (4,), torch.ones(4, dtype=torch.float64))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@FEW
@given(ab=broadcast_arrays(dtypes=st.sampled_from([f64])))
def test_regression_losses_match_numpy(reduction, ab):
    a, b = ab
    z = np.abs(a - b)
    red = {"none": lambda v: v, "mean": np.mean, "sum": np.sum}[reduction]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # the size-mismatch warning
        close(F.l1_loss(T(a), T(b), reduction=reduction), red(z), f64)
        close(F.smooth_l1_loss(T(a), T(b), reduction=reduction, beta=0.5),
              red(np.where(z < 0.5, z * z, z - 0.25)), f64)
        close(F.huber_loss(T(a), T(b), reduction=reduction, delta=2.0),
              red(np.where(z < 2.0, 0.5 * z * z, 2.0 * (z - 1.0))), f64)


def test_regression_loss_graph_warnings_and_errors():
    a, b = [[0.3, -1.2, 2.0]], [[1.0, 0.5, -0.5]]
    x = T(a, dtype=torch.float64, requires_grad=True)
    assert grad_fn_name(F.l1_loss(x, T(b))) == "MeanBackward0"
    assert grad_fn_name(F.l1_loss(x, T(b), reduction="none")) == "AbsBackward0"
    assert grad_fn_name(F.smooth_l1_loss(x, T(b))) == "SmoothL1LossBackward0"
    assert grad_fn_name(F.huber_loss(x, T(b))) == "HuberLossBackward0"
    for fn in (F.l1_loss, F.smooth_l1_loss, F.huber_loss):
        check_grads(lambda p, q: fn(p, q, reduction="sum"), a, b)
    with pytest.warns(UserWarning, match="Using a target size"):
        F.l1_loss(torch.ones(3, 4), torch.ones(4))
    raises(RuntimeError, "smooth_l1_loss does not support negative values for beta.",
           F.smooth_l1_loss, x, x, beta=-1.0)
    raises(RuntimeError, "huber_loss does not support non-positive values for delta.",
           F.huber_loss, x, x, delta=0.0)
    raises(NotImplementedError, "\"huber_cpu\" not implemented for 'Long'", F.huber_loss,
           T([1]), T([1]))
    raises(ValueError, "foo is not a valid value for reduction", F.l1_loss, x, x,
           reduction="foo")


def test_binary_cross_entropy_values_grads_and_errors():
    p = np.array([[0.2, 0.7, 0.999], [0.5, 0.1, 0.9]])
    t = np.array([[0.3, 0.5, 1.0], [0.0, 1.0, 0.25]])
    w = np.array([1.0, 2.0, 0.5])
    want = -(t * np.log(p) + (1 - t) * np.log1p(-p)) * w
    close(F.binary_cross_entropy(T(p), T(t), T(w), reduction="none"), want, f64)
    close(F.binary_cross_entropy(T(p), T(t)), (want / w).mean(), f64)
    out = check_grads(lambda q, r: F.binary_cross_entropy(q, r, T(w)), p, t)
    assert grad_fn_name(out) == "BinaryCrossEntropyBackward0"
    edge = F.binary_cross_entropy(T([0.0, 1.0]), T([0.5, 0.5]), reduction="none")
    assert arr(edge).tolist() == [50.0, 50.0]
    raises(RuntimeError, "all elements of input should be between 0 and 1",
           F.binary_cross_entropy, T([1.5]), T([1.0]))
    raises(ValueError, "Using a target size (torch.Size([1])) that is different to the input "
           "size (torch.Size([2])) is deprecated.", F.binary_cross_entropy, T([0.5, 0.5]),
           T([1.0]))
    raises(RuntimeError, "Found dtype Double but expected Float", F.binary_cross_entropy,
           T([0.5]), T([1.0], dtype=torch.float64))
    raises(RuntimeError, "The function 'binary_cross_entropy' is not differentiable with "
           "respect to argument 'weight'.", F.binary_cross_entropy, T([0.5]), T([1.0]),
           T([1.0], requires_grad=True))


def test_binary_cross_entropy_with_logits():
    x = np.array([[0.3, -2.0, 5.0], [40.0, -40.0, 0.0]])
    t = np.array([[0.3, 0.5, 1.0], [0.0, 1.0, 0.25]])
    pw = np.array([2.0, 0.5, 1.5])
    log_sig = -np.logaddexp(0, -x)
    want = (1 - t) * x - (1 + (pw - 1) * t) * log_sig
    close(F.binary_cross_entropy_with_logits(T(x), T(t), pos_weight=T(pw), reduction="none"),
          want, f64)
    out = check_grads(lambda p, q: F.binary_cross_entropy_with_logits(p, q, pos_weight=T(pw)),
                      x / 10, t)
    assert grad_fn_name(out) == "BinaryCrossEntropyWithLogitsBackward0"
    check_grads(lambda p, q: F.binary_cross_entropy_with_logits(p, q, T(t + 0.5),
                                                                reduction="sum"), x / 10, t)
    raises(ValueError, "Target size (torch.Size([3])) must be the same as input size "
           "(torch.Size([2]))", F.binary_cross_entropy_with_logits, torch.ones(2),
           torch.ones(3))
    raises(NotImplementedError, "\"log_sigmoid_cpu\" not implemented for 'Long'",
           F.binary_cross_entropy_with_logits, T([1]), T([1]))


def test_nn_modules():
    x = T([[-1.0, 0.5, 2.0, 0.25]])
    assert arr(torch.nn.LeakyReLU(0.5)(x)).tolist() == [[-0.5, 0.5, 2.0, 0.25]]
    close(torch.nn.ELU()(x), arr(F.elu(x)), f32)
    close(torch.nn.Softplus(2.0)(x), arr(F.softplus(x, 2.0)), f32)
    ln = torch.nn.LayerNorm(4)
    assert [n for n, _ in ln.named_parameters()] == ["weight", "bias"]
    close(ln(x), arr(F.layer_norm(x, (4,))), f32)
    assert torch.nn.LayerNorm(4, bias=False).bias is None
    y = T([[0.0, 1.0, 1.0, 0.0]])
    close(torch.nn.L1Loss()(x, y), arr(F.l1_loss(x, y)), f32)
    p = T([[0.2, 0.7, 0.4, 0.9]])
    close(torch.nn.BCELoss(reduction="sum")(p, y), arr(F.binary_cross_entropy(
        p, y, reduction="sum")), f32)
    close(torch.nn.BCEWithLogitsLoss(pos_weight=T([2.0]))(x, y),
          arr(F.binary_cross_entropy_with_logits(x, y, pos_weight=T([2.0]))), f32)
    close(torch.nn.SmoothL1Loss(beta=0.5)(x, y), arr(F.smooth_l1_loss(x, y, beta=0.5)), f32)
    close(torch.nn.HuberLoss(delta=0.5)(x, y), arr(F.huber_loss(x, y, delta=0.5)), f32)
    assert repr(torch.nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
