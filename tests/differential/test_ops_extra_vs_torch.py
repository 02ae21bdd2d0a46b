"""The ops of ``opdefs/extra.py`` and the newer nn ops, run on tensorkeys and on real PyTorch
with the same inputs: values, dtypes, ``grad_fn`` names, ``_is_view()``, gradients and error
texts must agree.

Skipped when torch is not installed. Inputs are drawn by hypothesis (a few examples per op in
the ``ci`` profile); gradients are compared for float64 inputs, on values kept away from ties
and kinks where PyTorch's choice among equal elements is unspecified.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

torch = pytest.importorskip("torch")

import tensor  # noqa: E402

pytestmark = pytest.mark.differential

F32, F64, I64, I32, BOOL = np.float32, np.float64, np.int64, np.int32, np.bool_


# -- running one program on both libraries ---------------------------------------------------
def _lib_F(lib):
    if lib is torch:
        import torch.nn.functional as F
        return F
    import tensor.nn_functional as F
    return F


def _to_lib(lib, a, requires_grad):
    if isinstance(a, Const):
        return lib.from_numpy(np.array(a.arr))
    if isinstance(a, np.ndarray):
        t = lib.from_numpy(np.array(a))
        if requires_grad and a.dtype == F64:
            t.requires_grad_()
        return t
    return a


class Const:
    """An array argument that never requires grad (indices, masks, weights)."""

    def __init__(self, arr):
        self.arr = np.asarray(arr)


def _outputs(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def run(lib, fn, args, grad, seed=0):
    ins = [_to_lib(lib, a, grad) for a in args]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(lib, *ins)
    outs = _outputs(out)
    rec = {
        "values": [o.detach().numpy().copy() for o in outs],
        "dtypes": [str(o.dtype) for o in outs],
        "grad_fn": [type(o.grad_fn).__name__ if o.grad_fn is not None else None for o in outs],
        "is_view": [o._is_view() for o in outs],
        "requires_grad": [o.requires_grad for o in outs],
        "grads": None,
    }
    leaves = [t for t in ins if isinstance(t, lib.Tensor) and t.requires_grad]
    diff = [o for o in outs if o.requires_grad]
    if grad and leaves and diff:
        rng = np.random.default_rng(seed)
        cots = [lib.from_numpy(rng.standard_normal(o.shape).astype(
            o.detach().numpy().dtype)) for o in diff]
        gs = lib.autograd.grad(diff, leaves, cots, allow_unused=True)
        rec["grads"] = [None if g is None else g.detach().numpy().copy() for g in gs]
    return rec


def _close(a, b, what, single=False):
    """Equal arrays; floats to a few ulps of their dtype (of float32 when ``single``: a
    float64 gradient that went through float32 arithmetic)."""
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} != {b.dtype}"
    if a.dtype.kind in "fc":
        tol = 2e-5 if a.dtype == F32 or single else 1e-9
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(a, b, err_msg=what)


def compare(fn, *args, grad=True, values=True):
    theirs = run(torch, fn, args, grad)
    ours = run(tensor, fn, args, grad)
    for k in ("dtypes", "grad_fn", "is_view", "requires_grad"):
        assert ours[k] == theirs[k], f"{k}: ours {ours[k]} != torch {theirs[k]}"
    if values:
        for i, (a, b) in enumerate(zip(ours["values"], theirs["values"])):
            _close(a, b, f"output {i}")
    if theirs["grads"] is not None:
        assert ours["grads"] is not None, "ours computed no gradients"
        for i, (a, b) in enumerate(zip(ours["grads"], theirs["grads"])):
            if b is None:
                assert a is None or not a.any(), f"grad {i}: torch None, ours {a}"
            else:
                assert a is not None, f"grad {i}: ours None"
                single = any(getattr(x, "dtype", None) == F32 for x in args) or any(
                    v.dtype == F32 for v in theirs["values"])
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
    assert isinstance(ours, type(theirs)) or type(ours).__name__ == type(theirs).__name__, \
        f"{type(ours).__name__} != {type(theirs).__name__}: {ours}"
    assert str(ours).startswith(str(theirs)), f"\nours:  {ours}\ntorch: {theirs}"


# -- strategies ----------------------------------------------------------------------------
def shapes(min_dims=0, max_dims=3, min_side=1, max_side=4):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def draw_array(draw, shape, dtype, lo=-3.0, hi=3.0):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        el = st.floats(float(np.float32(lo)), float(np.float32(hi)), allow_nan=False, width=32)
    elif dtype.kind == "b":
        el = st.booleans()
    else:
        el = st.integers(int(lo), int(hi))
    return np.asarray(draw(hnp.arrays(dtype, shape, elements=el)), dtype=dtype)


def distinct(draw, shape, dtype=F64, gap=0.37):
    """Values without ties, shuffled."""
    n = int(np.prod(shape)) if shape else 1
    perm = np.array(draw(st.permutations(range(n))), dtype=F64)
    return ((perm - n / 2) * gap).reshape(shape).astype(dtype)


DT_FLOAT = st.sampled_from([F32, F64])
DT_ALL = st.sampled_from([F32, F64, I64])
EXAMPLES = settings(max_examples=6, deadline=None)


def g_dim(draw, ndim):
    n = max(ndim, 1)
    return draw(st.integers(-n, n - 1))


# -- unary pointwise -----------------------------------------------------------------------
UNARY = {"log10": (0.1, 4.0), "expm1": (-3, 3), "exp2": (-3, 3), "sinh": (-3, 3),
         "cosh": (-3, 3), "atan": (-3, 3), "asin": (-0.95, 0.95), "acos": (-0.95, 0.95),
         "frac": (-3, 3)}


@pytest.mark.parametrize("name", sorted(UNARY))
@EXAMPLES
@given(data=st.data())
def test_unary(name, data):
    lo, hi = UNARY[name]
    dt = data.draw(DT_FLOAT if name == "frac" else DT_ALL)
    a = draw_array(data.draw, data.draw(shapes()), dt, lo, hi)
    if name == "frac":
        a = np.where(np.abs(a - np.round(a)) < 0.05, a + 0.25, a).astype(dt)
    compare(lambda lib, x: getattr(lib, name)(x), a)
    compare(lambda lib, x: getattr(x, name)(), a)
    if dt != I64:
        compare(lambda lib, x: getattr(x.clone(), name + "_")(), a)
    else:
        same_error(lambda lib, x: getattr(x.clone(), name + "_")(), a)


def test_unary_out_of_domain_and_ints():
    """NaN/inf outside the domain, no warnings; int and bool inputs give float32."""
    a = np.array([-2.0, -1.0, 0.0, 1.0, 2.0, np.inf, -np.inf, np.nan])
    for name in ["log10", "asin", "acos", "sinh", "cosh", "expm1", "exp2", "atan"]:
        compare(lambda lib, x: getattr(lib, name)(x), a, grad=False)
        compare(lambda lib, x: getattr(lib, name)(x), np.array([1, 2, 3]))
        compare(lambda lib, x: getattr(lib, name)(x), np.array([True, False]))


def test_positive():
    compare(lambda lib, x: lib.positive(x), np.array([1.0, -2.0]))
    compare(lambda lib, x: +x, np.array([1, -2]))
    same_error(lambda lib, x: lib.positive(x), np.array([True]))
    same_error(lambda lib, x: lib.frac(x), np.array([1, 2]))
    x = tensor.tensor([1.0, 2.0], requires_grad=True)
    assert x.positive() is x


# -- binary pointwise ----------------------------------------------------------------------
def broadcast_pair(draw):
    bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    return bs.input_shapes


@pytest.mark.parametrize("name", ["atan2", "hypot", "logaddexp", "fmod"])
@EXAMPLES
@given(data=st.data())
def test_binary(name, data):
    s, o = broadcast_pair(data.draw)
    dt = data.draw(DT_FLOAT if name in ("hypot", "logaddexp") else DT_ALL)
    dt2 = data.draw(st.sampled_from([dt, F64, F32]))
    a = draw_array(data.draw, s, dt)
    b = draw_array(data.draw, o, dt2, 1 if dt2 == I64 else 0.5, 3.0)
    b = np.where(data.draw(hnp.arrays(BOOL, o)), -b, b).astype(dt2)
    compare(lambda lib, x, y: getattr(lib, name)(x, y), a, b)
    compare(lambda lib, x, y: getattr(x, name)(y), a, b)
    if name != "logaddexp" and np.broadcast_shapes(s, o) == s and a.dtype != I64 and \
            np.result_type(a, b) == a.dtype:
        compare(lambda lib, x, y: getattr(x.clone(), name + "_")(y), a, b)


def test_binary_dtypes_and_errors():
    i = np.array([1, 2, 3])
    f = np.array([1.5, -2.5, 0.5], F32)
    compare(lambda lib, x, y: lib.atan2(x, y), i, i)
    compare(lambda lib, x, y: lib.fmod(x, y), i, np.array([2, -2, 5]))
    compare(lambda lib, x: lib.fmod(x, 2), i)
    compare(lambda lib, x: lib.fmod(x, 2.5), i)
    compare(lambda lib, x: x.fmod(-1.5), f)
    compare(lambda lib, x: x.clone().fmod_(1.25), np.array([3.5, -2.25]))
    compare(lambda lib, x, y: lib.logaddexp(x, y), np.array([np.inf, -np.inf, 1.0]),
            np.array([np.inf, -np.inf, -np.inf]), grad=False)
    same_error(lambda lib, x: x.fmod(0), i)
    same_error(lambda lib, x, y: x.fmod(y), i, np.array([1, 0, 1]))
    same_error(lambda lib, x, y: lib.hypot(x, y), i, i)
    same_error(lambda lib, x, y: lib.logaddexp(x, y), i, i)
    same_error(lambda lib, x, y: x.fmod(y), np.array([True]), np.array([True]))
    same_error(lambda lib, x: x.atan2(2), f)
    same_error(lambda lib, x, y: x.clone().atan2_(y), i, f)
    same_error(lambda lib, x, y: x.clone().fmod_(y), i, f)


@EXAMPLES
@given(data=st.data())
def test_lerp(data):
    bs = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
    s, e, w = bs.input_shapes
    dt = data.draw(DT_FLOAT)
    a, b = draw_array(data.draw, s, dt), draw_array(data.draw, e, dt)
    wt = draw_array(data.draw, w, dt, -1.0, 2.0)
    ws = data.draw(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.5, -0.5, 2]))
    compare(lambda lib, x, y: lib.lerp(x, y, ws), a, b)
    compare(lambda lib, x, y, z: lib.lerp(x, y, z), a, b, wt)
    if bs.result_shape == s:
        compare(lambda lib, x, y: x.clone().lerp_(y, ws), a, b)
        compare(lambda lib, x, y, z: x.clone().lerp_(y, z), a, b, wt)


def test_lerp_errors():
    f = np.ones(3, F32)
    same_error(lambda lib, x, y: x.lerp(y, 0.5), f, f.astype(F64))
    same_error(lambda lib, x, y: x.lerp(x, y), f, f.astype(F64))
    same_error(lambda lib, x: x.lerp(x, 0.5), np.array([1, 2]))


@EXAMPLES
@given(data=st.data())
def test_float_power(data):
    s, o = broadcast_pair(data.draw)
    dt = data.draw(DT_ALL)
    a = draw_array(data.draw, s, dt, 1 if dt == I64 else 0.2, 3.0)   # (0 ** -1: see pow)
    b = draw_array(data.draw, o, data.draw(DT_ALL), -2.0, 2.0)
    compare(lambda lib, x, y: lib.float_power(x, y), a, b)
    e = data.draw(st.sampled_from([2, 0.5, -1.5, 3]))
    compare(lambda lib, x: x.float_power(e), a)
    if a.dtype == F64:
        compare(lambda lib, x: x.clone().float_power_(e), a)


def test_float_power_inplace_needs_double():
    same_error(lambda lib, x: x.float_power_(2), np.ones(2, F32))
    same_error(lambda lib, x: x.float_power_(2), np.ones(2, I64))


# -- scans ---------------------------------------------------------------------------------
@EXAMPLES
@given(data=st.data())
def test_cumprod(data):
    shape = data.draw(shapes())
    dt = data.draw(DT_ALL)
    a = draw_array(data.draw, shape, dt, -2, 2)
    d = g_dim(data.draw, len(shape))
    compare(lambda lib, x: lib.cumprod(x, d), a)
    compare(lambda lib, x: x.cumprod(d, dtype=lib.float64), a)


def test_cumprod_with_zeros_gradient():
    a = np.array([[2.0, 0.0, 3.0, 0.5], [0.0, 1.5, 0.0, 2.0]])
    compare(lambda lib, x: x.cumprod(1), a)
    compare(lambda lib, x: x.cumprod(0), a)
    compare(lambda lib, x: lib.cumprod(x, 0), np.array([True, False]))


@pytest.mark.parametrize("name", ["cummax", "cummin"])
@EXAMPLES
@given(data=st.data())
def test_cummax_cummin(name, data):
    shape = data.draw(shapes())
    d = g_dim(data.draw, len(shape))
    compare(lambda lib, x: getattr(lib, name)(x, d), distinct(data.draw, shape))
    ints = draw_array(data.draw, shape, I64, -2, 2)       # ties: the last index wins
    compare(lambda lib, x: getattr(x, name)(d), ints)


def test_cummax_nan_and_bool():
    a = np.array([1.0, 3.0, 1.0, 3.0, np.nan, 2.0, np.nan, 1.0])
    compare(lambda lib, x: lib.cummax(x, 0), a, grad=False)
    compare(lambda lib, x: lib.cummin(x, 0), a, grad=False)
    compare(lambda lib, x: lib.cummax(x, 0), np.array([False, True, False]))
    compare(lambda lib, x: lib.cummin(x, 0), np.zeros((0, 3)))
    r = tensor.tensor([1.0, 2.0]).cummax(0)
    assert type(r).__name__ == "cummax" and r.indices.tolist() == [0, 1]


# -- shape ops -----------------------------------------------------------------------------
@EXAMPLES
@given(data=st.data())
def test_flip_roll(data):
    shape = data.draw(shapes())
    a = draw_array(data.draw, shape, data.draw(DT_ALL))
    n = max(len(shape), 1)
    dims = data.draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n))
    dims = [d - n if data.draw(st.booleans()) else d for d in dims]
    compare(lambda lib, x: lib.flip(x, dims), a)
    compare(lambda lib, x: x.flip(*dims) if dims else x.flip(dims), a)
    shifts = [data.draw(st.integers(-5, 5)) for _ in dims]
    if dims and not shape:
        same_error(lambda lib, x: lib.roll(x, shifts, dims), a)
    elif dims:
        compare(lambda lib, x: lib.roll(x, shifts, dims), a)
    s = data.draw(st.integers(-7, 7))
    compare(lambda lib, x: x.roll(s), a)


def test_flip_roll_errors():
    a = np.ones((2, 3))
    same_error(lambda lib, x: x.flip(0, 0), a)
    same_error(lambda lib, x: x.flip(2), a)
    same_error(lambda lib, x: x.flip(dims=0), a)
    same_error(lambda lib, x: x.roll((1, 2), 0), a)
    same_error(lambda lib, x: x.roll((), ()), a)
    same_error(lambda lib, x: x.roll(1, 2), a)


@pytest.mark.parametrize("name", ["tril", "triu"])
@EXAMPLES
@given(data=st.data())
def test_tril_triu(name, data):
    shape = data.draw(shapes(min_dims=2))
    a = draw_array(data.draw, shape, data.draw(st.sampled_from([F32, F64, I64, BOOL])))
    k = data.draw(st.integers(-3, 3))
    compare(lambda lib, x: getattr(lib, name)(x, k), a)
    compare(lambda lib, x: getattr(x.clone(), name + "_")(k), a)
    compare(lambda lib, x: getattr(x, name)(diagonal=k), a)


def test_tril_errors():
    same_error(lambda lib, x: x.tril(), np.ones(3))
    same_error(lambda lib, x: x.triu_(), np.ones(3))


@EXAMPLES
@given(data=st.data())
def test_repeat(data):
    shape = data.draw(shapes(max_side=3))
    a = draw_array(data.draw, shape, data.draw(DT_ALL))
    extra = data.draw(st.integers(0, 2))
    reps = [data.draw(st.integers(0, 3)) for _ in range(len(shape) + extra)]
    compare(lambda lib, x: x.repeat(*reps) if reps else x.repeat(()), a)
    compare(lambda lib, x: x.repeat(reps), a)


def test_repeat_errors():
    same_error(lambda lib, x: x.repeat(2), np.ones((2, 3)))
    same_error(lambda lib, x: x.repeat(2, -1), np.ones((2, 3)))


@EXAMPLES
@given(data=st.data())
def test_repeat_interleave(data):
    shape = data.draw(shapes(max_side=3))
    a = draw_array(data.draw, shape, data.draw(DT_ALL))
    r = data.draw(st.integers(0, 3))
    dim = data.draw(st.one_of(st.none(), st.just(g_dim(data.draw, len(shape)))))
    n = int(np.prod(shape)) if dim is None else (shape[dim] if shape else 1)
    reps = Const(draw_array(data.draw, (n,), I64, 0, 3))
    check = same_error if dim is not None and not shape else compare     # a 0-d input
    check(lambda lib, x: x.repeat_interleave(r, dim), a)
    check(lambda lib, x, rr: lib.repeat_interleave(x, rr, dim=dim), a, reps)
    check(lambda lib, x, rr: x.repeat_interleave(rr, dim), a, Const(np.array(2)))
    compare(lambda lib, rr: lib.repeat_interleave(rr), reps)


def test_repeat_interleave_errors():
    f = np.ones(3)
    same_error(lambda lib, x: x.repeat_interleave(-1), f)
    same_error(lambda lib, x, r: x.repeat_interleave(r), f, Const(np.array([1, -1, 1])))
    same_error(lambda lib, x, r: x.repeat_interleave(r), f, Const(np.array([[1]])))
    same_error(lambda lib, x, r: x.repeat_interleave(r), f, Const(np.array([1, 2])))
    same_error(lambda lib, x, r: x.repeat_interleave(r), f, Const(np.array([1.0, 2.0, 3.0])))
    same_error(lambda lib, x: x.repeat_interleave(2, dim=3), f)
    same_error(lambda lib, x: x.repeat_interleave(2, dim=0, output_size=5), f)
    same_error(lambda lib, x, r: x.repeat_interleave(r, dim=0, output_size=5), f,
               Const(np.array([1, 2, 3])))


@EXAMPLES
@given(data=st.data())
def test_diag_trace(data):
    dt = data.draw(DT_ALL)
    k = data.draw(st.integers(-3, 3))
    v = draw_array(data.draw, (data.draw(st.integers(0, 4)),), dt)
    m = draw_array(data.draw, data.draw(shapes(2, 2)), dt)
    compare(lambda lib, x: lib.diag(x, k), v)
    compare(lambda lib, x: x.diag(k), m)
    compare(lambda lib, x: lib.trace(x), m)
    s = data.draw(shapes(1, 3))
    nd = len(s) + 1
    d1, d2 = data.draw(st.lists(st.integers(-nd, nd - 1), min_size=2, max_size=2).filter(
        lambda ds: ds[0] % nd != ds[1] % nd))
    compare(lambda lib, x: lib.diag_embed(x, k, d1, d2), draw_array(data.draw, s, dt))


def test_diag_trace_errors():
    same_error(lambda lib, x: x.diag(), np.ones((2, 2, 2)))
    same_error(lambda lib, x: x.diag(), np.array(1.0))
    same_error(lambda lib, x: x.trace(), np.ones(3))
    same_error(lambda lib, x: x.trace(), np.ones((2, 2), BOOL))
    same_error(lambda lib, x: lib.diag_embed(x, 0, 0, 0), np.ones(3))
    compare(lambda lib, x: x.trace(), np.ones((2, 3), I32))


# -- products ------------------------------------------------------------------------------
@EXAMPLES
@given(data=st.data())
def test_kron(data):
    dt = data.draw(DT_ALL)
    a = draw_array(data.draw, data.draw(shapes(max_side=3)), dt)
    b = draw_array(data.draw, data.draw(shapes(max_side=3)), data.draw(DT_ALL))
    compare(lambda lib, x, y: lib.kron(x, y), a, b)


@EXAMPLES
@given(data=st.data())
def test_tensordot(data):
    dt = data.draw(DT_FLOAT)
    k = data.draw(st.integers(0, 2))
    shared = [data.draw(st.integers(1, 3)) for _ in range(k)]
    ra = [data.draw(st.integers(1, 3)) for _ in range(data.draw(st.integers(0, 2)))]
    rb = [data.draw(st.integers(1, 3)) for _ in range(data.draw(st.integers(0, 2)))]
    a = draw_array(data.draw, tuple(ra + shared), dt)
    b = draw_array(data.draw, tuple(shared + rb), dt)
    compare(lambda lib, x, y: lib.tensordot(x, y, k), a, b)
    if k:
        pa = list(range(len(ra), len(ra) + k))
        pb = list(range(k))
        compare(lambda lib, x, y: lib.tensordot(x, y, dims=(pa[::-1], pb[::-1])), a, b)
        bb = b.copy()[tuple(slice(0, 1) if i == 0 else slice(None) for i in range(b.ndim))]
        compare(lambda lib, x, y: lib.tensordot(x, y, k), a, np.ascontiguousarray(bb))


def test_tensordot_errors():
    same_error(lambda lib, x, y: lib.tensordot(x, y, 1), np.ones((2, 3)), np.ones((4, 5)))
    same_error(lambda lib, x, y: lib.tensordot(x, y, -1), np.ones((2, 3)), np.ones((4, 5)))
    same_error(lambda lib, x, y: lib.tensordot(x, y, 1), np.ones((2, 3), F32), np.ones((3, 5)))
    same_error(lambda lib, x, y: lib.tensordot(x, y, ([1], [0, 1])), np.ones((2, 3)),
               np.ones((3, 5)))


EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]), ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]), ("i,j->ij", [(2,), (3,)]),
    ("i,i->", [(3,), (3,)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]), ("ij,ij->i", [(2, 3), (2, 3)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (3, 2)]), ("i...->...", [(2, 3, 4)]),
    ("ijk,jl,kl->il", [(2, 3, 4), (3, 5), (4, 5)]), ("iij->j", [(2, 2, 3)]),
    ("ab,cd->abcd", [(2, 1), (1, 3)]), ("ij,j->i", [(3, 4), (4,)]), ("i,i,i->i", [(3,)] * 3),
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]), ("ij,kj", [(1, 3), (2, 3)]),
]


@pytest.mark.parametrize("eq,shps", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum(eq, shps):
    rng = np.random.default_rng(len(eq))
    arrs = [rng.standard_normal(s) for s in shps]
    compare(lambda lib, *xs: lib.einsum(eq, *xs), *arrs)
    compare(lambda lib, *xs: lib.einsum(eq, list(xs)), *[a.astype(F32) for a in arrs])


def test_einsum_errors():
    a = np.ones((2, 3))
    same_error(lambda lib, x: lib.einsum("ij,jk", x), a)
    same_error(lambda lib, x: lib.einsum("ij", x, x), a)
    same_error(lambda lib, x: lib.einsum("ijk", x), a)
    same_error(lambda lib, x, y: lib.einsum("ij,jk->ik", x, y), a, np.ones((4, 5)))
    same_error(lambda lib, x: lib.einsum("i1", x), a)
    same_error(lambda lib, x: lib.einsum("ij->q", x), a)
    same_error(lambda lib, x: lib.einsum("ij->ii", x), a)
    same_error(lambda lib, x: lib.einsum("ii", x), a)
    same_error(lambda lib, x, y: lib.einsum("ij,jk->ik", x, y), a.astype(F32), np.ones((3, 5)))


@EXAMPLES
@given(data=st.data())
def test_addmv(data):
    dt = data.draw(DT_ALL)
    n, k = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    c = draw_array(data.draw, data.draw(st.sampled_from([(n,), (1,), ()])), dt)
    m, v = draw_array(data.draw, (n, k), dt), draw_array(data.draw, (k,), dt)
    beta = data.draw(st.sampled_from([1, 0, 2] + ([0.5] if dt != I64 else [])))
    alpha = data.draw(st.sampled_from([1, -2] + ([1.5] if dt != I64 else [])))
    compare(lambda lib, x, y, z: lib.addmv(x, y, z, beta=beta, alpha=alpha), c, m, v)


def test_addmv_errors():
    same_error(lambda lib, c, m, v: lib.addmv(c, m, v), np.ones(2, F32), np.ones((2, 3), F32),
               np.ones(3))
    same_error(lambda lib, c, m, v: lib.addmv(c, m, v), np.ones(2), np.ones((2, 3)), np.ones(4))
    same_error(lambda lib, c, m, v: lib.addmv(c, m, v), np.ones(3), np.ones((2, 3)), np.ones(3))
    same_error(lambda lib, c, m, v: lib.addmv(c, m, v), np.ones(2), np.ones((2, 3, 1)),
               np.ones(3))
    compare(lambda lib, c, m, v: lib.addmv(c, m, v, beta=0),
            np.array([np.nan, 1.0]), np.ones((2, 3)), np.ones(3))


# -- sorting -------------------------------------------------------------------------------
@EXAMPLES
@given(data=st.data())
def test_sort_argsort_topk(data):
    shape = data.draw(shapes())
    d = g_dim(data.draw, len(shape))
    desc = data.draw(st.booleans())
    a = distinct(data.draw, shape)
    compare(lambda lib, x: lib.sort(x, d, desc), a)
    compare(lambda lib, x: x.argsort(d, desc), a)
    n = shape[d] if shape else 1
    k = data.draw(st.integers(0, n))
    largest = data.draw(st.booleans())
    compare(lambda lib, x: lib.topk(x, k, d, largest), a)
    ties = draw_array(data.draw, shape, data.draw(DT_ALL), -2, 2)     # sort is stable
    compare(lambda lib, x: x.sort(dim=d, descending=desc, stable=True), ties, grad=False)
    compare(lambda lib, x: x.sort(dim=d, descending=desc), ties, grad=False)


def test_sort_nan_and_errors():
    a = np.array([1.0, 3.0, 1.0, 3.0, np.nan, 2.0, 1.0])
    compare(lambda lib, x: x.sort(), a, grad=False)
    compare(lambda lib, x: x.sort(descending=True), a, grad=False)
    compare(lambda lib, x: x.topk(3), a, grad=False)
    same_error(lambda lib, x: x.topk(5), np.ones(3))
    same_error(lambda lib, x: x.topk(-1), np.ones(3))
    r = tensor.tensor([2.0, 1.0]).sort()
    assert type(r).__name__ == "sort" and r.indices.tolist() == [1, 0]


@EXAMPLES
@given(data=st.data())
def test_median(data):
    shape = data.draw(shapes())
    a = distinct(data.draw, shape)
    d = g_dim(data.draw, len(shape))
    keep = data.draw(st.booleans())
    compare(lambda lib, x: lib.median(x), a)
    compare(lambda lib, x: x.median(d, keep), a)
    compare(lambda lib, x: x.median(), draw_array(data.draw, shape, I64, -3, 3))


def test_median_nan_empty_errors():
    compare(lambda lib, x: x.median(), np.array([1.0, np.nan, 2.0]), grad=False)
    compare(lambda lib, x: x.median(0), np.array([[1.0, np.nan], [np.nan, 2.0], [3.0, 1.0]]),
            grad=False)
    compare(lambda lib, x: x.median(), np.zeros(0), grad=False)
    same_error(lambda lib, x: x.median(0), np.zeros((0, 2)))
    same_error(lambda lib, x: x.median(), np.array([True]))


# -- scatter, nan_to_num -------------------------------------------------------------------
@EXAMPLES
@given(data=st.data())
def test_scatter(data):
    shape = data.draw(shapes(max_side=3))
    nd = len(shape)
    d = g_dim(data.draw, nd)
    dd = d % max(nd, 1)
    dt = data.draw(DT_ALL)
    n = shape[dd] if shape else 1
    ishape = tuple(data.draw(st.integers(1, s)) for s in shape)
    # a permutation per slice: no index written twice (duplicates are unspecified in torch)
    k = ishape[dd] if shape else 1
    idx = np.zeros(ishape, I64)
    for pos in np.ndindex(*(ishape[:dd] + ishape[dd + 1:])) if shape else ():
        perm = data.draw(st.permutations(range(n)))[:k]
        sl = list(pos[:dd]) + [slice(None)] + list(pos[dd:])
        idx[tuple(sl)] = perm
    src = draw_array(data.draw, ishape, dt)
    a = draw_array(data.draw, shape, dt)
    idx_c = Const(idx)
    compare(lambda lib, x, i, s: lib.scatter(x, d, i, s), a, idx_c, src)
    compare(lambda lib, x, i, s: x.clone().scatter_(d, i, s), a, idx_c, src)
    v = data.draw(st.sampled_from([0, 2, -1.5]))
    compare(lambda lib, x, i: x.scatter(d, i, v), a, idx_c)
    compare(lambda lib, x, i: x.clone().scatter_(d, i, value=v), a, idx_c)


def test_scatter_errors():
    x = np.zeros((3, 4), F32)
    lng = np.zeros((2, 2), I64)
    same_error(lambda lib, a, i: a.scatter(1, i, 1.0), x, Const(np.zeros((4, 2), I64)))
    same_error(lambda lib, a, i, s: a.scatter(1, i, s), x, Const(np.zeros((4, 2), I64)),
               np.ones((4, 2), F32))
    same_error(lambda lib, a, i: a.scatter(1, i, 1.0), x, Const(np.zeros((2, 2), F32)))
    same_error(lambda lib, a, i: a.scatter(1, i, 1.0), x, Const(np.zeros((2, 2, 2), I64)))
    same_error(lambda lib, a, i: a.scatter(1, i, 1.0), x, Const(np.full((2, 2), 7)))
    same_error(lambda lib, a, i, s: a.scatter(1, i, s), x, Const(lng), np.ones((2, 2)))
    same_error(lambda lib, a, i, s: a.scatter(1, i, s), x, Const(lng), np.ones((2, 2, 2), F32))
    same_error(lambda lib, a, i: a.scatter(1, i, 1e300), x, Const(lng))
    compare(lambda lib, a, i: a.scatter(1, i, 1.0), x, Const(np.zeros((2, 6), I64)))
    compare(lambda lib, a, i: a.scatter(0, i, 2.5), np.zeros(3, I64), Const(np.array([1])))


@EXAMPLES
@given(data=st.data())
def test_nan_to_num(data):
    shape = data.draw(shapes())
    dt = data.draw(DT_ALL)
    a = draw_array(data.draw, shape, dt)
    if dt != I64:
        special = data.draw(hnp.arrays(I64, shape, elements=st.integers(0, 3)))
        a = np.select([special == 1, special == 2, special == 3], [np.nan, np.inf, -np.inf],
                      a).astype(dt)
    kw = data.draw(st.sampled_from([{}, {"nan": 1.5}, {"posinf": 7.0, "neginf": -2.0},
                                    {"nan": -1.0, "posinf": 1e300}]))
    compare(lambda lib, x: lib.nan_to_num(x, **kw), a)
    compare(lambda lib, x: x.clone().nan_to_num_(**kw), a)


# -- linalg.vector_norm --------------------------------------------------------------------
@EXAMPLES
@given(data=st.data())
def test_vector_norm(data):
    shape = data.draw(shapes(min_dims=1))
    a = distinct(data.draw, shape) + 0.11
    ord_ = data.draw(st.sampled_from([2, 1, 3, float("inf"), -float("inf"), 0.5]))
    dim = data.draw(st.one_of(st.none(), st.just(g_dim(data.draw, len(shape)))))
    keep = data.draw(st.booleans())
    compare(lambda lib, x: lib.linalg.vector_norm(x, ord_, dim, keep), a)


# -- nn functional -------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["leaky_relu", "elu", "softplus"])
@EXAMPLES
@given(data=st.data())
def test_activations(name, data):
    shape = data.draw(shapes())
    dt = data.draw(DT_FLOAT)
    a = draw_array(data.draw, shape, dt, -4, 4)
    a = np.where(np.abs(a) < 0.05, 0.3, a).astype(dt)
    kw = {"leaky_relu": {"negative_slope": data.draw(st.sampled_from([0.01, 0.2, 1.5]))},
          "elu": {"alpha": data.draw(st.sampled_from([1.0, 0.5, 2.0]))},
          "softplus": {"beta": data.draw(st.sampled_from([1.0, 2.0, 0.5])),
                       "threshold": data.draw(st.sampled_from([20.0, 1.0]))}}[name]
    compare(lambda lib, x: getattr(_lib_F(lib), name)(x, **kw), a)
    if name != "softplus":
        compare(lambda lib, x: getattr(_lib_F(lib), name)(x.clone(), inplace=True, **kw), a)


def test_activation_errors():
    for name in ["leaky_relu", "elu", "softplus"]:
        same_error(lambda lib, x: getattr(_lib_F(lib), name)(x), np.array([1, 2]))
    same_error(lambda lib, x: _lib_F(lib).leaky_relu(x), np.array([True]))

    def neg_inplace(lib, x, fn, arg):
        y = getattr(_lib_F(lib), fn)(x.clone(), arg, inplace=True)
        y.sum().backward()
    same_error(lambda lib, x: neg_inplace(lib, x, "leaky_relu", -0.5), np.ones(3))
    same_error(lambda lib, x: neg_inplace(lib, x, "elu", -1.0), np.ones(3))


@EXAMPLES
@given(data=st.data())
def test_layer_norm(data):
    shape = data.draw(shapes(min_dims=1, max_side=4))
    k = data.draw(st.integers(1, len(shape)))
    ns = shape[len(shape) - k:]
    dt = data.draw(DT_FLOAT)
    a = draw_array(data.draw, shape, dt)
    w, b = draw_array(data.draw, ns, dt), draw_array(data.draw, ns, dt)
    eps = data.draw(st.sampled_from([1e-5, 0.1]))
    compare(lambda lib, x: _lib_F(lib).layer_norm(x, ns, eps=eps), a)
    compare(lambda lib, x, y, z: _lib_F(lib).layer_norm(x, list(ns), y, z, eps), a, w, b)


def test_layer_norm_errors():
    F32a = np.ones((3, 4), F32)
    same_error(lambda lib, x: _lib_F(lib).layer_norm(x, (5,)), F32a)
    same_error(lambda lib, x: _lib_F(lib).layer_norm(x, (3, 4, 5)), F32a)
    same_error(lambda lib, x, w: _lib_F(lib).layer_norm(x, (4,), w), F32a, np.ones(3, F32))
    same_error(lambda lib, x: _lib_F(lib).layer_norm(x, (4,)), np.ones((3, 4), I64))
    same_error(lambda lib, x: _lib_F(lib).layer_norm(x, ()), F32a)
    same_error(lambda lib, x, w: _lib_F(lib).layer_norm(x, (4,), w), F32a, np.ones(4))


@pytest.mark.parametrize("name", ["l1_loss", "smooth_l1_loss", "huber_loss", "mse_loss"])
@EXAMPLES
@given(data=st.data())
def test_regression_losses(name, data):
    s, o = broadcast_pair(data.draw)
    dt = data.draw(DT_FLOAT)
    a = draw_array(data.draw, s, dt)
    # (a float64 target for a float32 huber_loss input breaks torch's own backward)
    b = draw_array(data.draw, o, dt if name == "huber_loss" else data.draw(DT_FLOAT))
    b = np.asarray(b + np.asarray(0.013, b.dtype), b.dtype)
    red = data.draw(st.sampled_from(["mean", "sum", "none"]))
    kw = {"reduction": red}
    if name == "smooth_l1_loss":
        kw["beta"] = data.draw(st.sampled_from([1.0, 0.5, 0.0]))
    if name == "huber_loss":
        kw["delta"] = data.draw(st.sampled_from([1.0, 0.5, 2.0]))
    compare(lambda lib, x, y: getattr(_lib_F(lib), name)(x, y, **kw), a, b)


def test_regression_loss_errors_and_weight():
    a, b = np.ones((3, 4), F32), np.zeros((3, 4), F32)
    same_error(lambda lib, x, y: _lib_F(lib).smooth_l1_loss(x, y, beta=-1.0), a, b)
    same_error(lambda lib, x, y: _lib_F(lib).huber_loss(x, y, delta=0.0), a, b)
    same_error(lambda lib, x, y: _lib_F(lib).huber_loss(x, y), a.astype(I64), b.astype(I64))
    same_error(lambda lib, x, y: _lib_F(lib).smooth_l1_loss(x, y), a.astype(I64),
               b.astype(I64))
    same_error(lambda lib, x, y: _lib_F(lib).l1_loss(x, y), a.astype(I64), b.astype(I64))
    same_error(lambda lib, x, y: _lib_F(lib).l1_loss(x, y, reduction="foo"), a, b)
    rng = np.random.default_rng(0)
    x, y, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.random((3, 4))
    for red in ("mean", "sum", "none"):
        compare(lambda lib, p, q, r: _lib_F(lib).l1_loss(p, q, reduction=red, weight=r), x, y, w)
        compare(lambda lib, p, q, r: _lib_F(lib).huber_loss(p, q, reduction=red, weight=r),
                x, y, w)


@EXAMPLES
@given(data=st.data())
def test_binary_cross_entropy(data):
    shape = data.draw(shapes())
    dt = data.draw(DT_FLOAT)
    p = draw_array(data.draw, shape, dt, 0.02, 0.98)
    t = draw_array(data.draw, shape, dt, 0.0, 1.0)
    red = data.draw(st.sampled_from(["mean", "sum", "none"]))
    wshape = data.draw(st.sampled_from([shape, shape[1:], ()]))
    w = Const(draw_array(data.draw, wshape, dt, 0.1, 2.0))
    compare(lambda lib, x, y: _lib_F(lib).binary_cross_entropy(x, y, reduction=red), p, t)
    compare(lambda lib, x, y, z: _lib_F(lib).binary_cross_entropy(x, y, z, reduction=red),
            p, t, w)
    logits = draw_array(data.draw, shape, dt, -30, 30)
    pw = Const(draw_array(data.draw, wshape, dt, 0.1, 3.0))
    BCEL = "binary_cross_entropy_with_logits"
    compare(lambda lib, x, y: getattr(_lib_F(lib), BCEL)(x, y, reduction=red), logits, t)
    compare(lambda lib, x, y, z, q: getattr(_lib_F(lib), BCEL)(x, y, z, reduction=red,
                                                                pos_weight=q), logits, t, w, pw)


def test_binary_cross_entropy_edges_and_errors():
    compare(lambda lib, x, y: _lib_F(lib).binary_cross_entropy(x, y, reduction="none"),
            np.array([0.0, 1.0, 0.5]), np.array([0.5, 0.5, 1.0]))
    same_error(lambda lib, x, y: _lib_F(lib).binary_cross_entropy(x, y), np.array([1.5], F32),
               np.array([1.0], F32))
    same_error(lambda lib, x, y: _lib_F(lib).binary_cross_entropy(x, y),
               np.array([0.5, 0.5], F32), np.array([1.0], F32))
    same_error(lambda lib, x, y: _lib_F(lib).binary_cross_entropy(x, y), np.array([0.5], F32),
               np.array([1.0]))
    same_error(lambda lib, x, y: _lib_F(lib).binary_cross_entropy(x, y), np.array([1]),
               np.array([1]))
    same_error(lambda lib, x, y, w: _lib_F(lib).binary_cross_entropy(x, y, w), np.full(
        (3, 4), 0.5), np.ones((3, 4)), np.ones(3))
    same_error(lambda lib, x, y, w: _lib_F(lib).binary_cross_entropy(x, y, w), np.array(
        [0.5]), np.array([1.0]), np.array([1.0]), grad=True)      # weight requires grad
    BCEL = "binary_cross_entropy_with_logits"
    same_error(lambda lib, x, y: getattr(_lib_F(lib), BCEL)(x, y), np.ones(2), np.ones(3))
    same_error(lambda lib, x, y: getattr(_lib_F(lib), BCEL)(x, y), np.ones(2, I64),
               np.ones(2, I64))
    same_error(lambda lib, x, y, w: getattr(_lib_F(lib), BCEL)(x, y, pos_weight=w),
               np.ones(2), np.ones(2), np.ones(2), grad=True)
    compare(lambda lib, x, y: getattr(_lib_F(lib), BCEL)(x, y), np.ones(3, F32),
            np.ones(3, F64))


def test_modules():
    """The nn modules call the functions with their stored arguments."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4))
    p = rng.random((2, 3, 4)) * 0.9 + 0.05
    for mk, args in [
        (lambda nn: nn.LeakyReLU(0.2), (x,)), (lambda nn: nn.ELU(0.5), (x,)),
        (lambda nn: nn.Softplus(2.0, 1.0), (x,)),
        (lambda nn: nn.LayerNorm(4), (x.astype(F32),)),
        (lambda nn: nn.LayerNorm((3, 4), elementwise_affine=False), (x,)),
        (lambda nn: nn.L1Loss(), (x, p)), (lambda nn: nn.BCELoss(reduction="sum"), (p, p)),
        (lambda nn: nn.BCEWithLogitsLoss(), (x, p)), (lambda nn: nn.SmoothL1Loss(), (x, p)),
        (lambda nn: nn.HuberLoss(delta=0.5), (x, p)),
    ]:
        compare(lambda lib, *ts: mk(lib.nn)(*ts), *args)


# -- whole graphs of the composites --------------------------------------------------------
def _graph(fn):
    if fn is None:
        return None
    return (type(fn).__name__, [_graph(f) for f, _ in fn.next_functions])


_R = np.random.default_rng(0)


def _A(*s):
    return _R.standard_normal(s)


GRAPHS = [
    ("kron", lambda L, a, b: L.kron(a, b), _A(2, 3), _A(3)),
    ("tensordot", lambda L, a, b: L.tensordot(a, b, 1), _A(2, 3), _A(3, 4)),
    ("tensordot_broadcast", lambda L, a, b: L.tensordot(a, b, ([1], [0])), _A(2, 3), _A(1, 4)),
    ("einsum_mm", lambda L, a, b: L.einsum("ij,jk->ik", a, b), _A(2, 3), _A(3, 4)),
    ("einsum_three", lambda L, a, b, c: L.einsum("ijk,jl,kl->il", a, b, c), _A(2, 3, 4),
     _A(3, 5), _A(4, 5)),
    ("einsum_diagonal", lambda L, a: L.einsum("iij->j", a), _A(2, 2, 3)),
    ("einsum_ellipsis", lambda L, a, b: L.einsum("...ij,...jk->...ik", a, b), _A(2, 2, 3),
     _A(3, 2)),
    ("repeat_interleave_int", lambda L, a: a.repeat_interleave(2, 1), _A(2, 3)),
    ("repeat_interleave_tensor", lambda L, a: a.repeat_interleave(L.tensor([1, 2, 0]), 1),
     _A(2, 3)),
    ("float_power_scalar", lambda L, a: a.float().float_power(2), _A(3)),
    ("float_power_tensor", lambda L, a, b: a.float_power(b), _A(3), _A(3)),
    ("l1_loss_broadcast", lambda L, a, b: _lib_F(L).l1_loss(a, b), _A(3), _A(2, 3)),
    ("smooth_l1_beta0", lambda L, a, b: _lib_F(L).smooth_l1_loss(a, b, beta=0.0), _A(3),
     _A(3)),
    ("huber_weight", lambda L, a, b, w: _lib_F(L).huber_loss(a, b, weight=w), _A(3), _A(3),
     _A(3)),
    ("diag", lambda L, a: a.diag(), _A(3, 3)),
    ("layer_norm", lambda L, a, w, b: _lib_F(L).layer_norm(a, (3,), w, b), _A(2, 3), _A(3),
     _A(3)),
    ("mse_loss_broadcast", lambda L, a, b: _lib_F(L).mse_loss(a, b), _A(3), _A(2, 3)),
    ("cumprod_dtype", lambda L, a: a.cumprod(0, dtype=L.float32), _A(3)),
    ("bce_with_logits", lambda L, a, b: _lib_F(L).binary_cross_entropy_with_logits(a, b),
     _A(3), _A(3)),
]


@pytest.mark.parametrize("case", GRAPHS, ids=[c[0] for c in GRAPHS])
def test_composite_graphs_match(case):
    """Composites are built from PyTorch's parts in PyTorch's order: the whole graph (node
    names, edges) is the same."""
    _, fn, *arrs = case
    graphs = []
    for lib in (torch, tensor):
        ts = [lib.from_numpy(a.copy()).requires_grad_() for a in arrs]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            graphs.append(_graph(fn(lib, *ts).grad_fn))
    assert graphs[1] == graphs[0]
