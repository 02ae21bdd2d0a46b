"""Every op with derivative formulas passes gradcheck and gradgradcheck.

The op registry (``tensor._defop.OPS``) is enumerated at collection time: every op whose
Autograd kernel was generated from formulas (``op._ns["_spec"]``) gets both checks on small
float64 inputs drawn by hypothesis. ``MAKERS`` below says, per op, how to build valid arguments
(shapes, dims, indices, scalars) — and keeps the inputs away from kinks and jumps, where finite
differences say nothing (``abs`` at 0, ``floor`` at integers, ties of ``maximum``). An op with
formulas but no entry fails ``test_every_op_with_a_formula_has_an_input_maker``, so no op
escapes.

In-place ops are checked the way PyTorch's OpInfo tests do it: on a clone of the input (an
in-place op on a leaf that requires grad is an error), and, on alternate examples, through a
view of that clone, which sends the gradient through ``CopySlices``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import Phase, given, settings, strategies as st
import hypothesis.extra.numpy as hnp

import tensor
from tensor import _defop
from tensor.autograd import gradcheck, gradgradcheck

F64 = np.float64
# ci profile (60 examples) -> 5 per op and check; fuzz (5000) -> 400.
N_EXAMPLES = max(3, settings().max_examples // 12)
# forward AD reuses the backward formulas (double vjp), so fewer draws suffice: 2 / 100
FORWARD_EXAMPLES = max(2, settings().max_examples // 50)


def _spec(op):
    ns = getattr(op, "_ns", None)
    return ns.get("_spec") if ns is not None else None


def formula_ops():
    return sorted(n for n, op in _defop.OPS.items() if _spec(op) is not None)


def composite_ops():
    """Ops registered as CompositeImplicitAutograd: their gradient comes from their parts."""
    return sorted(n for n, op in _defop.OPS.items()
                  if any(getattr(k, "name", None) == "CompositeImplicitAutograd"
                         for k in getattr(op, "_kernels", ())))


def checked_ops():
    return sorted(set(formula_ops()) | set(composite_ops()))


# -- building blocks -----------------------------------------------------------------------
class Const:
    """An argument that is a tensor but not an input of the check (masks, indices)."""

    def __init__(self, arr):
        self.arr = np.asarray(arr)


class Fresh:
    """An argument made anew for every call (a seeded generator: random ops repeat exactly)."""

    def __init__(self, make):
        self.make = make


class Case:
    """Arguments for one call of an op: float64 ndarrays become inputs that require grad."""

    def __init__(self, *args, atol=1e-5, rtol=1e-3, **kwargs):
        self.args = list(args)
        self.kwargs = kwargs
        self.atol = atol
        self.rtol = rtol


def shapes(draw, min_dims=0, max_dims=3, min_side=1, max_side=3):
    return draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                                 max_side=max_side))


def values(draw, shape, lo=-2.0, hi=2.0, fix=None, layout=True):
    """A float64 array in [lo, hi]; ``fix`` moves values off kinks; sometimes Fortran-ordered
    (a non-contiguous input) when ``layout``."""
    a = draw(hnp.arrays(F64, shape, elements=st.floats(lo, hi, allow_nan=False,
                                                       allow_infinity=False,
                                                       allow_subnormal=False)))
    a = np.array(a, dtype=F64)
    if fix is not None:
        a = np.asarray(fix(a), dtype=F64)
    if layout and a.ndim >= 2 and draw(st.booleans()):
        a = np.asfortranarray(a)
    return a


def away_from(*points, margin=0.05):
    """Move values within ``margin`` of a point to ``point + 2 * margin``."""
    def fix(a):
        a = a.copy()
        for p in points:
            near = np.abs(a - p) < margin
            a[near] = p + 2 * margin
        return a
    return fix


def away_from_integers(scale=1.0, offset=0.0, margin=0.05):
    """Values whose ``x * scale - offset`` stays ``margin`` away from integers."""
    def fix(a):
        y = a * scale - offset
        frac = y - np.floor(y)
        bad = (frac < margin) | (frac > 1 - margin)
        y = np.where(bad, np.floor(y) + 0.5, y)
        return (y + offset) / scale
    return fix


def dim_of(draw, ndim):
    n = max(ndim, 1)
    return draw(st.integers(-n, n - 1))


def dims_list(draw, ndim, min_size=0):
    """A list of distinct dims (some negative) of a tensor with ``ndim`` dims."""
    n = max(ndim, 1)
    ds = draw(st.lists(st.integers(0, n - 1), unique=True, min_size=min_size, max_size=n))
    return [d - n if draw(st.booleans()) else d for d in ds]


def broadcast_pair(draw, inplace, max_dims=3):
    """Shapes of (self, other); with ``inplace`` self has the broadcast shape."""
    bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=max_dims, max_side=3))
    s, o = bs.input_shapes
    if inplace:
        s = bs.result_shape
    return s, o


# -- makers: ``maker(draw, inplace) -> Case`` ------------------------------------------------
def unary(lo=-2.0, hi=2.0, fix=None, **kw):
    def make(draw, inplace):
        return Case(values(draw, shapes(draw), lo, hi, fix), **kw)
    return make


def binary(lo=-2.0, hi=2.0, other_lo=-2.0, other_hi=2.0, other_fix=None, alpha=False,
           scalar_other=True):
    def make(draw, inplace):
        s, o = broadcast_pair(draw, inplace)
        a = values(draw, s, lo, hi)
        if scalar_other and draw(st.integers(0, 4)) == 0:
            b = draw(st.sampled_from([0.75, -1.5, 2.0]))
            if other_fix is not None:
                b = float(other_fix(np.array([b]))[0])
        else:
            b = values(draw, o, other_lo, other_hi, other_fix)
        kw = {}
        if alpha:
            kw["alpha"] = draw(st.sampled_from([1, 2, -0.5]))
        return Case(a, b, **kw)
    return make


def m_rounding_div(remainder=False):
    """self / other kept away from integers, so floor/trunc (and remainder) are smooth."""
    def make(draw, inplace):
        shape = shapes(draw)
        other = values(draw, shape, 0.5, 2.0) * draw(st.sampled_from([1.0, -1.0]))
        q = values(draw, shape, -3.0, 3.0, away_from_integers(margin=0.05))
        self_ = np.asarray(q * other)
        if remainder:
            return Case(self_, other)
        mode = draw(st.sampled_from([None, "trunc", "floor"]))
        return Case(self_, other, rounding_mode=mode)
    return make


def m_pow(draw, inplace):
    # exponent 0 is masked in the self-gradient (torch too): its derivative in the exponent
    # is 0 there, so gradgradcheck needs the exponent away from 0
    s, o = broadcast_pair(draw, inplace)
    return Case(values(draw, s, 0.3, 2.0), values(draw, o, -2.0, 2.0, fix=away_from(0.0)))


def m_pow_scalar_exponent(draw, inplace):
    e = draw(st.sampled_from([2, 3, 0, 1, 0.5, -1.5, -2]))
    if isinstance(e, int) and e >= 0:
        a = values(draw, shapes(draw))                        # any sign, integer power
    elif isinstance(e, int):
        a = values(draw, shapes(draw), fix=away_from(0.0, margin=0.25))
    else:
        a = values(draw, shapes(draw), 0.3, 2.0)
    return Case(a, e)


def m_pow_scalar_base(draw, inplace):
    return Case(draw(st.sampled_from([0.5, 2.0, 3])), values(draw, shapes(draw)))


def m_minmax(draw, inplace):
    """Values on two interleaved grids: never a tie, whatever broadcasting pairs up."""
    s, o = broadcast_pair(draw, inplace)
    a = np.asarray(np.round(values(draw, s) * 4) / 4 + 0.125)
    b = np.asarray(np.round(values(draw, o) * 4) / 4)
    return Case(a, b)


def m_where(draw, inplace):
    bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
    c, s, o = bs.input_shapes
    cond = draw(hnp.arrays(np.bool_, c))
    return Case(Const(cond), values(draw, s), values(draw, o))


def m_clamp(draw, inplace):
    lo = draw(st.one_of(st.none(), st.sampled_from([-1.0, -0.5, 0.0, 0.5])))
    hi = draw(st.one_of(st.none(), st.sampled_from([-0.25, 0.25, 1.0, 1.5])))
    if lo is None and hi is None:
        lo = 0.0
    pts = [p for p in (lo, hi) if p is not None]
    return Case(values(draw, shapes(draw), fix=away_from(*pts)), lo, hi)


def m_clamp_tensor(draw, inplace):
    """Tensor bounds (one may be None) broadcast against self, drawn from grids that self
    keeps away from; sometimes min > max (then max wins everywhere)."""
    bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
    s, lo_s, hi_s = bs.input_shapes
    if inplace:
        s = bs.result_shape
    low, high = [-1.0, -0.5], [0.5, 1.0]
    if draw(st.integers(0, 3)) == 0:
        low, high = high, low
    which = draw(st.sampled_from(["both", "min", "max"]))
    lo = None if which == "max" else np.asarray(
        draw(hnp.arrays(F64, lo_s, elements=st.sampled_from(low))), dtype=F64)
    hi = None if which == "min" else np.asarray(
        draw(hnp.arrays(F64, hi_s, elements=st.sampled_from(high))), dtype=F64)
    return Case(values(draw, s, fix=away_from(-1.0, -0.5, 0.5, 1.0)), lo, hi)


def m_round(draw, inplace):
    dec = draw(st.sampled_from([0, 1, 2]))
    fix = away_from_integers(scale=10.0 ** dec, offset=0.5, margin=0.05)
    return Case(values(draw, shapes(draw), fix=fix), decimals=dec)


def m_gelu(draw, inplace):
    return Case(values(draw, shapes(draw)),
                approximate=draw(st.sampled_from(["none", "tanh"])))


# reductions
def m_full_reduce(lo=-2.0, hi=2.0, fix=None, dtype=False):
    def make(draw, inplace):
        kw = {"dtype": None} if dtype else {}
        return Case(values(draw, shapes(draw), lo, hi, fix), **kw)
    return make


def m_dim_reduce():
    def make(draw, inplace):
        shape = shapes(draw)
        dim = draw(st.one_of(st.none(), st.just(dim_of(draw, len(shape))),
                             st.just(dims_list(draw, len(shape)))))
        return Case(values(draw, shape), dim, draw(st.booleans()), dtype=None)
    return make


def m_prod_dim(draw, inplace):
    shape = shapes(draw)
    a = values(draw, shape, fix=away_from(0.0, margin=0.1))
    return Case(a, dim_of(draw, len(shape)), draw(st.booleans()), dtype=None)


def m_prod(draw, inplace):
    return Case(values(draw, shapes(draw), fix=away_from(0.0, margin=0.1)), dtype=None)


def distinct(draw, shape, gap=0.25):
    """Distinct values (no ties anywhere), shuffled."""
    n = int(np.prod(shape)) if shape else 1
    perm = draw(st.permutations(range(n)))
    base = values(draw, (), -1.0, 1.0, layout=False)
    return (np.array(perm, F64) * gap + float(base)).reshape(shape)


def m_amax(draw, inplace):
    shape = shapes(draw)
    dim = dims_list(draw, len(shape))
    return Case(distinct(draw, shape), dim, draw(st.booleans()))


def m_max_full(draw, inplace):
    return Case(distinct(draw, shapes(draw)))


def m_max_dim(draw, inplace):
    shape = shapes(draw)
    return Case(distinct(draw, shape), dim_of(draw, len(shape)), draw(st.booleans()))


def m_var(draw, inplace):
    shape = shapes(draw)
    dim = draw(st.one_of(st.none(), st.just(dims_list(draw, len(shape), min_size=1))))
    red = (int(np.prod(shape)) if dim is None else
           int(np.prod([shape[d] for d in dim])) if shape else 1)
    corr = draw(st.sampled_from([None, 0, 1]))
    if red - (1 if corr is None else corr) <= 0:
        corr = 0
    # std at a zero deviation has no derivative: spread the values
    return Case(distinct(draw, shape, gap=0.3), dim, correction=corr,
                keepdim=draw(st.booleans()))


def m_vector_norm(draw, inplace):
    shape = shapes(draw)
    ord_ = draw(st.sampled_from([2, 1, 3, 1.5, float("inf"), -float("inf"), 0.5]))
    dim = draw(st.one_of(st.none(), st.just(dims_list(draw, len(shape), min_size=1))))
    if math.isinf(ord_):            # distinct magnitudes: no ties of the max / min of |x|
        n = int(np.prod(shape)) if shape else 1
        mags = 0.3 + np.array(draw(st.permutations(range(n))), F64) * 0.25
        signs = np.where(draw(hnp.arrays(np.bool_, (n,))), 1.0, -1.0)
        a = (mags * signs).reshape(shape)
    else:
        a = values(draw, shape, fix=away_from(0.0, margin=0.1))
    return Case(a, ord_, dim, draw(st.booleans()), dtype=None)


def m_logsumexp(draw, inplace):
    shape = shapes(draw)
    dims = dims_list(draw, len(shape))
    # (dim=[] without keepdim is an error for a non-empty tensor with dims, as in PyTorch)
    keepdim = draw(st.booleans()) or (not dims and len(shape) > 0 and 0 not in shape)
    return Case(values(draw, shape), dims, keepdim)


def m_cumsum(draw, inplace):
    shape = shapes(draw)
    return Case(values(draw, shape), dim_of(draw, len(shape)), dtype=None)


def m_sum_to_size(draw, inplace):
    shape = shapes(draw)
    k = draw(st.integers(0, len(shape)))
    size = [1 if draw(st.booleans()) else s for s in shape[len(shape) - k:]]
    return Case(values(draw, shape), size)


# views
def m_view(draw, inplace):
    shape = shapes(draw)
    n = int(np.prod(shape))
    new = []
    rest = n
    while rest > 1 and len(new) < 3:
        f = draw(st.sampled_from([d for d in range(1, rest + 1) if rest % d == 0]))
        new.append(f)
        rest //= f
    new.append(rest)
    if draw(st.booleans()):
        new[draw(st.integers(0, len(new) - 1))] = -1
    return Case(values(draw, shape, layout=False), new)


def m_reshape_alias(draw, inplace):
    """A (maybe transposed) input, a shape its strides allow without a copy, and the strides
    reshape would pass for it (the input's own; any for a trailing unit dim)."""
    shape = shapes(draw, min_dims=1)
    arr = values(draw, shape, layout=False)
    if len(shape) >= 2 and draw(st.booleans()):
        arr = arr.swapaxes(0, 1)
    cuts = [s for s in arr.shape]
    stride = [s // arr.itemsize for s in arr.strides]
    if draw(st.booleans()):
        cuts, stride = cuts + [1], stride + [1]     # a trailing unit dim is always allowed
    return Case(arr, cuts, stride)


def m_transpose(draw, inplace):
    shape = shapes(draw)
    return Case(values(draw, shape), dim_of(draw, len(shape)), dim_of(draw, len(shape)))


def m_permute(draw, inplace):
    shape = shapes(draw)
    perm = draw(st.permutations(range(len(shape))))
    perm = [p - len(shape) if draw(st.booleans()) else p for p in perm]
    return Case(values(draw, shape), perm)


def m_unsqueeze(draw, inplace):
    shape = shapes(draw)
    return Case(values(draw, shape), draw(st.integers(-len(shape) - 1, len(shape))))


def m_squeeze(draw, inplace):
    shape = shapes(draw, max_side=2)
    return Case(values(draw, shape), dims_list(draw, len(shape)))


def m_squeeze_all(draw, inplace):
    return Case(values(draw, shapes(draw, max_side=2)))


def m_squeeze_dim(draw, inplace):
    shape = shapes(draw, max_side=2)
    return Case(values(draw, shape), dim_of(draw, len(shape)))


def m_t(draw, inplace):
    return Case(values(draw, shapes(draw, max_dims=2)))


def m_expand(draw, inplace):
    shape = shapes(draw, max_side=2)
    lead = draw(st.lists(st.integers(1, 3), max_size=2))
    size = list(lead) + [draw(st.sampled_from([s, -1] + ([2, 3] if s == 1 else [])))
                         for s in shape]
    return Case(values(draw, shape), size)


def m_select(draw, inplace):
    shape = shapes(draw, min_dims=1)
    d = dim_of(draw, len(shape))
    n = shape[d]
    return Case(values(draw, shape), d, draw(st.integers(-n, n - 1)))


def m_slice(draw, inplace):
    shape = shapes(draw, min_dims=1)
    d = dim_of(draw, len(shape))
    n = shape[d]
    start = draw(st.one_of(st.none(), st.integers(-n, n)))
    end = draw(st.one_of(st.none(), st.integers(-n, n + 1)))
    return Case(values(draw, shape), d, start, end, draw(st.integers(1, 3)))


def m_diagonal(draw, inplace):
    shape = shapes(draw, min_dims=2)
    nd = len(shape)
    d1, d2 = draw(st.lists(st.integers(0, nd - 1), min_size=2, max_size=2, unique=True))
    d1 = d1 - nd if draw(st.booleans()) else d1
    return Case(values(draw, shape), draw(st.integers(-2, 2)), d1, d2)


def m_unbind(draw, inplace):
    shape = shapes(draw, min_dims=1)
    return Case(values(draw, shape), dim_of(draw, len(shape)))


def m_split(draw, inplace):
    shape = shapes(draw, min_dims=1, max_side=4)
    d = dim_of(draw, len(shape))
    return Case(values(draw, shape), draw(st.integers(1, shape[d] + 1)), d)


def m_split_with_sizes(draw, inplace):
    shape = shapes(draw, min_dims=1, max_side=4)
    d = dim_of(draw, len(shape))
    n, sizes = shape[d], []
    while n > 0:
        s = draw(st.integers(0 if sizes else 1, n))
        sizes.append(s)
        n -= s
    return Case(values(draw, shape), sizes, d)


def m_unfold(draw, inplace):
    shape = shapes(draw, min_dims=1, max_side=4)
    d = dim_of(draw, len(shape))
    size = draw(st.integers(1, shape[d]))
    return Case(values(draw, shape), d, size, draw(st.integers(1, 3)))


def m_as_strided(draw, inplace):
    shape = shapes(draw, min_dims=1)
    n = int(np.prod(shape))
    nd = draw(st.integers(1, 2))
    size = [draw(st.integers(1, 3)) for _ in range(nd)]
    stride = [draw(st.integers(0, 2)) for _ in range(nd)]
    span = sum((s - 1) * t for s, t in zip(size, stride))
    if span >= n:                      # shrink to fit the storage
        size = [1] * nd
        span = 0
    off = draw(st.one_of(st.none(), st.integers(0, n - 1 - span)))
    return Case(values(draw, shape, layout=False), size, stride, off)


def m_alias(draw, inplace):
    return Case(values(draw, shapes(draw)))


def m_clone(draw, inplace):
    return Case(values(draw, shapes(draw)), memory_format=None)


# gradient-building ops (their first argument is a gradient)
def m_select_backward(draw, inplace):
    shape = shapes(draw, min_dims=1)
    d = dim_of(draw, len(shape))
    n = shape[d]
    g = np.zeros(shape)[(slice(None),) * (d % len(shape)) + (0,)]
    return Case(values(draw, g.shape), list(shape), d, draw(st.integers(-n, n - 1)))


def m_slice_backward(draw, inplace):
    shape = shapes(draw, min_dims=1)
    d = dim_of(draw, len(shape))
    n = shape[d]
    start = draw(st.one_of(st.none(), st.integers(0, n)))
    end = draw(st.one_of(st.none(), st.integers(0, n)))
    step = draw(st.integers(1, 2))
    idx = [slice(None)] * len(shape)
    idx[d] = slice(start, end, step)
    g = np.zeros(shape)[tuple(idx)]
    return Case(values(draw, g.shape), list(shape), d, start, end, step)


def m_diagonal_backward(draw, inplace):
    shape = shapes(draw, min_dims=2)
    nd = len(shape)
    d1, d2 = draw(st.lists(st.integers(0, nd - 1), min_size=2, max_size=2, unique=True))
    off = draw(st.integers(-2, 2))
    g = np.diagonal(np.zeros(shape), off, d1, d2)
    return Case(values(draw, g.shape), list(shape), off, d1, d2)


def m_unfold_backward(draw, inplace):
    shape = shapes(draw, min_dims=1, max_side=4)
    d = dim_of(draw, len(shape))
    size = draw(st.integers(1, shape[d]))
    step = draw(st.integers(1, 3))
    cnt = (shape[d] - size) // step + 1
    dd = d % len(shape)
    gshape = shape[:dd] + (cnt,) + shape[dd + 1:] + (size,)
    return Case(values(draw, gshape), list(shape), d, size, step)


# joining
def m_cat(draw, inplace):
    shape = shapes(draw, min_dims=1)
    d = dim_of(draw, len(shape))
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        s = list(shape)
        s[d] = draw(st.integers(1, 3))
        parts.append(values(draw, tuple(s)))
    if draw(st.integers(0, 3)) == 0:        # legacy: a 1-d empty tensor is skipped
        parts.insert(draw(st.integers(0, len(parts))), np.zeros((0,)))
    return Case(parts, d)


def m_stack(draw, inplace):
    shape = shapes(draw)
    k = draw(st.integers(1, 3))
    return Case([values(draw, shape) for _ in range(k)],
                draw(st.integers(-len(shape) - 1, len(shape))))


# linear algebra
def m_mm(draw, inplace):
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    return Case(values(draw, (n, k)), values(draw, (k, m)))


def m_bmm(draw, inplace):
    b, n, k, m = (draw(st.integers(1, 3)) for _ in range(4))
    return Case(values(draw, (b, n, k)), values(draw, (b, k, m)))


def m_mv(draw, inplace):
    n, k = (draw(st.integers(1, 3)) for _ in range(2))
    return Case(values(draw, (n, k)), values(draw, (k,)))


def m_dot(draw, inplace):
    n = draw(st.integers(1, 4))
    return Case(values(draw, (n,)), values(draw, (n,)))


def m_matmul(draw, inplace):
    k = draw(st.integers(1, 3))
    left, right = draw(st.sampled_from([((), ()), ((2,), ()), ((), (3,)), ((2,), (2,)),
                                        ((2, 1), (1, 3)), ((1,), (2,)), ((3,), (1,))]))
    a_shape = (k,) if draw(st.booleans()) and not left else left + (draw(st.integers(1, 3)), k)
    b_shape = (k,) if draw(st.booleans()) and not right else right + (k, draw(st.integers(1, 3)))
    return Case(values(draw, a_shape), values(draw, b_shape))


def m_outer(draw, inplace):
    return Case(values(draw, (draw(st.integers(1, 3)),)), values(draw, (draw(st.integers(1, 3)),)))


def m_addmm(draw, inplace):
    n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
    s = draw(st.sampled_from([(n, m), (m,), (1, m), (n, 1), ()]))
    return Case(values(draw, s), values(draw, (n, k)), values(draw, (k, m)),
                beta=draw(st.sampled_from([1, 0.5, -2])), alpha=draw(st.sampled_from([1, 2.5])))


# nn
def m_softmax(draw, inplace):
    shape = shapes(draw)
    return Case(values(draw, shape), dim_of(draw, len(shape)), None)


def m_mse_loss(draw, inplace):
    shape = shapes(draw)
    return Case(values(draw, shape), values(draw, shape), draw(st.sampled_from([0, 1, 2])))


def m_nll_loss(draw, inplace):
    c = draw(st.integers(1, 4))
    layout = draw(st.sampled_from(["1d", "2d", "3d"]))
    lead = {"1d": (), "2d": (draw(st.integers(1, 3)),),
            "3d": (draw(st.integers(1, 2)),)}[layout]
    extra = (draw(st.integers(1, 2)),) if layout == "3d" else ()
    xshape = lead + (c,) + extra
    tshape = lead + extra
    target = draw(hnp.arrays(np.int64, tshape, elements=st.integers(0, c - 1)))
    ignore = draw(st.sampled_from([-100, 0]))
    if ignore == 0 and np.all(target == 0):
        ignore = -100                              # keep one target that counts
    weight = draw(st.one_of(st.none(), hnp.arrays(F64, (c,), elements=st.floats(0.5, 2.0))))
    return Case(values(draw, xshape), Const(target),
                None if weight is None else Const(weight),
                draw(st.sampled_from([0, 1, 2])), ignore)


def m_masked_fill(tensor_value):
    def make(draw, inplace):
        bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
        s, m = bs.input_shapes
        s = bs.result_shape if inplace else s
        mask = draw(hnp.arrays(np.bool_, m))
        value = values(draw, ()) if tensor_value else draw(st.sampled_from([0.0, -1.5, 3]))
        return Case(values(draw, s), Const(mask), value)
    return make


def m_masked_select(draw, inplace):
    bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    s, m = bs.input_shapes
    return Case(values(draw, s), Const(draw(hnp.arrays(np.bool_, m))))


def index_array(draw, shape, n, unique=False):
    """int64 indices in [-n, n) (some negative), of ``shape``; ``unique``: no repeats."""
    if unique:
        k = int(np.prod(shape)) if shape else 1
        pick = draw(st.permutations(range(n)))[:k]
        arr = np.array(pick, np.int64).reshape(shape)
    else:
        arr = draw(hnp.arrays(np.int64, shape, elements=st.integers(0, n - 1)))
    neg = draw(hnp.arrays(np.bool_, shape))
    return np.where(neg, arr - n, arr).astype(np.int64)


def m_take(draw, inplace):
    shape = shapes(draw)
    n = int(np.prod(shape))
    return Case(values(draw, shape), Const(index_array(draw, shapes(draw, max_dims=2), n)))


def m_index_select(draw, inplace):
    shape = shapes(draw)
    d = dim_of(draw, len(shape))
    n = shape[d] if shape else 1
    # (a 0-d input takes exactly one index, as in PyTorch)
    ishape = draw(st.sampled_from([(), (1,), (2,), (4,)] if shape else [(), (1,)]))
    idx = np.abs(index_array(draw, ishape, n)) % n
    return Case(values(draw, shape), d, Const(idx))


def m_index_add(draw, inplace):
    shape = shapes(draw)
    d = dim_of(draw, len(shape))
    n = shape[d] if shape else 1
    k = draw(st.integers(1, 4))
    idx = np.abs(index_array(draw, (k,), n)) % n
    src_shape = list(shape)
    if src_shape:
        src_shape[d] = k
    elif k != 1:
        idx = idx[:1]
    return Case(values(draw, shape), d, Const(idx), values(draw, tuple(src_shape)),
                alpha=draw(st.sampled_from([1, 2, -0.5])))


def m_index_fill(tensor_value):
    def make(draw, inplace):
        shape = shapes(draw)
        d = dim_of(draw, len(shape))
        n = shape[d] if shape else 1
        ishape = draw(st.sampled_from([(), (1,), (2,), (3,)]))
        idx = np.abs(index_array(draw, ishape, n)) % n       # repeats allowed
        value = values(draw, ()) if tensor_value else draw(st.sampled_from([0.0, -1.5, 2]))
        return Case(values(draw, shape), d, Const(idx), value)
    return make


def m_gather(draw, inplace):
    shape = shapes(draw)
    nd = len(shape)
    d = dim_of(draw, nd)
    ishape = tuple(draw(st.integers(1, 3)) if i == d % max(nd, 1) else draw(st.integers(1, s))
                   for i, s in enumerate(shape))
    n = shape[d] if shape else 1
    idx = np.abs(index_array(draw, ishape, n)) % n
    return Case(values(draw, shape), d, Const(idx))


def m_scatter_add(draw, inplace):
    shape = shapes(draw)
    nd = len(shape)
    d = dim_of(draw, nd)
    src_shape = tuple(draw(st.integers(1, 3)) if i == d % max(nd, 1) else s
                      for i, s in enumerate(shape))
    ishape = tuple(draw(st.integers(1, s)) for s in src_shape)
    n = shape[d] if shape else 1
    idx = np.abs(index_array(draw, ishape, n)) % n
    return Case(values(draw, shape), d, Const(idx), values(draw, src_shape))


def indices_for(draw, shape, unique):
    """``Tensor?[]`` indices for ``shape``: int tensors (with None for skipped dims) or one
    bool mask over the leading dims; with ``unique`` no position is indexed twice."""
    nd = len(shape)
    if draw(st.booleans()):
        k = draw(st.integers(1, nd))
        return [Const(draw(hnp.arrays(np.bool_, shape[:k])))]
    if unique:
        d = draw(st.integers(0, nd - 1))
        ishape = draw(st.sampled_from([(), (1,), (2,)]))
        if int(np.prod(ishape)) > shape[d]:
            ishape = ()
        return [None] * d + [Const(index_array(draw, ishape, shape[d], unique=True))]
    ishape = shapes(draw, max_dims=2)
    out = []
    for i in range(draw(st.integers(1, nd))):
        out.append(None if (i and draw(st.booleans())) else
                   Const(index_array(draw, ishape, shape[i])))
    return out


def _np_index(shape, indices):
    return tuple(slice(None) if i is None else i.arr for i in indices)


def m_index(draw, inplace):
    shape = shapes(draw, min_dims=1)
    indices = indices_for(draw, shape, unique=False)
    return Case(values(draw, shape), indices)


def m_index_put(draw, inplace):
    shape = shapes(draw, min_dims=1)
    acc = draw(st.booleans())
    indices = indices_for(draw, shape, unique=not acc)
    rshape = np.zeros(shape)[_np_index(shape, indices)].shape
    vshape = draw(st.sampled_from([rshape, rshape[1:], ()]))
    return Case(values(draw, shape), indices, values(draw, vshape), acc)


# casts and fills
def m_to_copy(draw, inplace):
    dt = draw(st.sampled_from([None, tensor.float64, tensor.int64]))
    fix = away_from_integers() if dt is tensor.int64 else None
    return Case(values(draw, shapes(draw), fix=fix), dtype=dt)


def m_copy_(draw, inplace):
    s, o = broadcast_pair(draw, True)
    return Case(values(draw, s), values(draw, o))


def m_fill_scalar(draw, inplace):
    return Case(values(draw, shapes(draw)), draw(st.sampled_from([0.0, 2.5, -1])))


def m_fill_tensor(draw, inplace):
    return Case(values(draw, shapes(draw)), values(draw, ()))


def m_zero_(draw, inplace):
    return Case(values(draw, shapes(draw)))


def m_random_fill(draw, inplace):
    """A seeded generator per call: the fill is the same for every perturbation."""
    return Case(values(draw, shapes(draw)), 0.5, 2.0,
                generator=Fresh(lambda: np.random.default_rng(0)))


MAKERS = {}


def register(names, maker):
    for n in names.split():
        MAKERS[n] = maker


def _fam(name, maker, inplace=True, overload=""):
    """``aten::<name><overload>`` and, with ``inplace``, ``aten::<name>_<overload>``."""
    names = f"aten::{name}{overload}"
    if inplace:
        names += f" aten::{name}_{overload}"
    register(names, maker)


NOT0 = away_from(0.0, margin=0.05)
for _n, _mk in [
    ("abs", unary(fix=NOT0)), ("neg", unary()), ("exp", unary()), ("sin", unary()),
    ("cos", unary()), ("tan", unary(-1.2, 1.2)), ("tanh", unary()), ("sigmoid", unary()),
    ("log", unary(0.2, 3.0)), ("log1p", unary(-0.8, 2.0)), ("log2", unary(0.2, 3.0)),
    ("sqrt", unary(0.2, 3.0)), ("rsqrt", unary(0.2, 3.0)),
    ("reciprocal", unary(fix=away_from(0.0, margin=0.3))), ("relu", unary(fix=NOT0)),
    ("silu", unary()), ("sign", unary(fix=NOT0)), ("floor", unary(fix=away_from_integers())),
    ("ceil", unary(fix=away_from_integers())), ("trunc", unary(fix=away_from_integers())),
    ("sinh", unary()), ("cosh", unary()), ("asin", unary(-0.9, 0.9)),
    ("acos", unary(-0.9, 0.9)), ("atan", unary()), ("erf", unary()), ("expm1", unary()),
    ("square", unary()), ("frac", unary(fix=away_from_integers())),
    ("sgn", unary(fix=NOT0)), ("positive", unary()), ("erfinv", unary(-0.9, 0.9)),
    ("log10", unary(0.2, 3.0)), ("exp2", unary()), ("asinh", unary()),
    ("acosh", unary(1.2, 3.0)), ("atanh", unary(-0.9, 0.9)), ("sinc", unary(fix=NOT0)),
    ("deg2rad", unary()), ("rad2deg", unary()), ("logit", unary(0.1, 0.9)),
    ("lgamma", unary(0.3, 3.0)), ("digamma", unary(0.3, 3.0)),
    ("hardtanh", unary(fix=away_from(-1.0, 1.0))), ("softplus", unary()),
    ("elu", unary(fix=NOT0)), ("selu", unary(fix=NOT0)), ("celu", unary(fix=NOT0)),
    ("mish", unary()), ("hardsigmoid", unary(fix=away_from(-3.0, 3.0))),
    ("hardswish", unary(fix=away_from(-3.0, 3.0))), ("logsigmoid", unary()),
    ("leaky_relu", unary(fix=NOT0)),
]:
    _fam(_n, _mk)
_fam("add", binary(alpha=True), overload=".Tensor")
_fam("sub", binary(alpha=True), overload=".Tensor")
_fam("mul", binary(), overload=".Tensor")
_fam("div", binary(other_fix=away_from(0.0, margin=0.25)), overload=".Tensor")
_fam("div", m_rounding_div(), overload=".Tensor_mode")
_fam("remainder", m_rounding_div(remainder=True), overload=".Tensor")
_fam("pow", m_pow, overload=".Tensor_Tensor")
register("aten::pow_.Tensor", m_pow)
register("aten::pow.Tensor_Scalar aten::pow_.Scalar", m_pow_scalar_exponent)
register("aten::pow.Scalar", m_pow_scalar_base)
_fam("maximum", m_minmax)
_fam("minimum", m_minmax)
_fam("clamp", m_clamp)


def m_clamp_side(low):
    def make(draw, inplace):
        b = draw(st.sampled_from([-1.0, -0.5, 0.0, 0.5]))
        return Case(values(draw, shapes(draw), fix=away_from(b)), b)
    return make


_fam("clamp_min", m_clamp_side(True))
_fam("clamp_max", m_clamp_side(False))


def m_rsub_scalar(draw, inplace):
    return Case(values(draw, shapes(draw)), draw(st.sampled_from([0.75, -1.5, 2])),
                draw(st.sampled_from([1, 2, -0.5])))


register("aten::rsub.Scalar", m_rsub_scalar)
def m_fmax(draw, inplace):
    """Two same-shaped inputs that never tie (at a tie the derivative is one-sided)."""
    shape = shapes(draw)
    a = values(draw, shape)
    signs = draw(hnp.arrays(F64, shape, elements=st.sampled_from([-1.0, 1.0])))
    return Case(a, np.asarray(a + 0.5 * signs, dtype=F64))


register("aten::fmax aten::fmin", m_fmax)
register("aten::rsub.Tensor", binary(alpha=True, scalar_other=False))
_fam("clamp", m_clamp_tensor, overload=".Tensor")
_fam("round", m_round, overload=".decimals")
_fam("round", unary(fix=away_from_integers(offset=0.5)))
_fam("gelu", m_gelu)
_fam("where", m_where, inplace=False, overload=".self")
register("aten::sum aten::mean", m_full_reduce(dtype=True))
register("aten::sum.dim_IntList", m_dim_reduce())
register("aten::mean.dim", m_dim_reduce())
register("aten::prod", m_prod)
register("aten::prod.dim_int", m_prod_dim)
register("aten::amax aten::amin", m_amax)
register("aten::max aten::min", m_max_full)
register("aten::max.dim aten::min.dim", m_max_dim)
register("aten::var.correction aten::std.correction", m_var)
register("aten::linalg_vector_norm", m_vector_norm)
register("aten::logsumexp", m_logsumexp)
register("aten::cumsum", m_cumsum)
register("aten::sum_to_size", m_sum_to_size)
register("aten::view", m_view)
register("aten::_unsafe_view", m_view)   # reshape's copy case: same arguments as view
register("aten::_reshape_alias", m_reshape_alias)
register("aten::transpose.int", m_transpose)
register("aten::permute", m_permute)
register("aten::unsqueeze", m_unsqueeze)
register("aten::squeeze.dims aten::squeeze_.dims", m_squeeze)
register("aten::squeeze aten::squeeze_", m_squeeze_all)
register("aten::squeeze.dim aten::squeeze_.dim", m_squeeze_dim)
register("aten::t aten::t_", m_t)
register("aten::transpose_", m_transpose)
register("aten::unsqueeze_", m_unsqueeze)
register("aten::expand", m_expand)
register("aten::select.int", m_select)
register("aten::slice.Tensor", m_slice)
register("aten::diagonal", m_diagonal)
register("aten::unbind.int", m_unbind)
register("aten::split.Tensor", m_split)
register("aten::split_with_sizes", m_split_with_sizes)
register("aten::unfold", m_unfold)
register("aten::as_strided", m_as_strided)
register("aten::alias", m_alias)
register("aten::clone", m_clone)
register("aten::select_backward", m_select_backward)
register("aten::slice_backward", m_slice_backward)
register("aten::diagonal_backward", m_diagonal_backward)
register("aten::unfold_backward", m_unfold_backward)
register("aten::cat", m_cat)
register("aten::stack", m_stack)
register("aten::mm", m_mm)
register("aten::bmm", m_bmm)
register("aten::mv", m_mv)
register("aten::dot", m_dot)
register("aten::addmm", m_addmm)
register("aten::matmul", m_matmul)
register("aten::outer", m_outer)
register("aten::softmax.int aten::log_softmax.int", m_softmax)
register("aten::mse_loss", m_mse_loss)
register("aten::nll_loss", m_nll_loss)
register("aten::masked_fill.Scalar aten::masked_fill_.Scalar", m_masked_fill(False))
register("aten::masked_fill.Tensor aten::masked_fill_.Tensor", m_masked_fill(True))
register("aten::masked_select", m_masked_select)
register("aten::take", m_take)
register("aten::index_select", m_index_select)
register("aten::index_add aten::index_add_", m_index_add)
register("aten::gather", m_gather)
register("aten::index_fill.int_Scalar aten::index_fill_.int_Scalar", m_index_fill(False))
register("aten::index_fill.int_Tensor aten::index_fill_.int_Tensor", m_index_fill(True))
register("aten::scatter_add aten::scatter_add_", m_scatter_add)
register("aten::index.Tensor", m_index)
register("aten::index_put aten::index_put_", m_index_put)
register("aten::_to_copy", m_to_copy)
register("aten::copy_", m_copy_)
register("aten::fill_.Scalar", m_fill_scalar)
register("aten::fill_.Tensor", m_fill_tensor)
register("aten::zero_", m_zero_)
register("aten::normal_ aten::uniform_", m_random_fill)

# ------------------------------------------------------------------------------------------
# BEGIN makers for opdefs/extra.py and the newer nn ops (test_ops_extra.py's owner)
# ------------------------------------------------------------------------------------------
def m_fmod_scalar(draw, inplace):
    """self / other kept away from integers, so the truncated quotient does not jump."""
    other = draw(st.sampled_from([0.75, -1.5, 2.0]))
    q = values(draw, shapes(draw), -3.0, 3.0, away_from_integers(margin=0.05))
    return Case(np.asarray(q * other), other)


def m_atan2(draw, inplace):
    """Both away from 0: atan2 jumps across the negative x-axis (self = 0, other < 0)."""
    s, o = broadcast_pair(draw, inplace)
    return Case(values(draw, s, fix=away_from(0.0, margin=0.3)),
                values(draw, o, fix=away_from(0.0, margin=0.3)))


def m_lerp(tensor_weight):
    def make(draw, inplace):
        bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
        s, e, w = bs.input_shapes
        if inplace:
            s = bs.result_shape
        if tensor_weight:
            weight = values(draw, w, -1.0, 2.0)
        else:
            weight = draw(st.sampled_from([0.0, 0.3, 0.5, 0.8, -1.5, 2]))
        return Case(values(draw, s), values(draw, e), weight)
    return make


def m_float_power(draw, inplace):
    s, o = broadcast_pair(draw, inplace)
    return Case(values(draw, s, 0.3, 2.0), values(draw, o, fix=away_from(0.0)))


def m_float_power_scalar(draw, inplace):
    return Case(values(draw, shapes(draw), 0.3, 2.0),
                draw(st.sampled_from([2, 3, 0.5, -1.5])))


def m_float_power_base(draw, inplace):
    return Case(draw(st.sampled_from([0.5, 2.0, 3])), values(draw, shapes(draw)))


def m_cumprod(draw, inplace):
    """Values away from 0 (a tiny x makes ``... / x`` overflow in the second derivative), and
    sometimes one exact zero (the other branch of the backward)."""
    shape = shapes(draw)
    a = values(draw, shape, fix=away_from(0.0, margin=0.1))
    if a.size and draw(st.booleans()):
        a.reshape(-1)[draw(st.integers(0, a.size - 1))] = 0.0
    return Case(a, dim_of(draw, len(shape)), dtype=None)


def m_cummax(draw, inplace):
    shape = shapes(draw)
    return Case(distinct(draw, shape), dim_of(draw, len(shape)))


def m_flip(draw, inplace):
    shape = shapes(draw)
    return Case(values(draw, shape), dims_list(draw, len(shape)))


def m_roll(draw, inplace):
    shape = shapes(draw, min_dims=1)
    dims = dims_list(draw, len(shape))
    shifts = [draw(st.integers(-4, 4)) for _ in dims] or [draw(st.integers(-4, 4))]
    return Case(values(draw, shape), shifts, dims)


def m_tri(draw, inplace):
    return Case(values(draw, shapes(draw, min_dims=2)), draw(st.integers(-2, 2)))


def m_repeat(draw, inplace):
    shape = shapes(draw)
    reps = [draw(st.integers(1, 3)) for _ in range(len(shape) + draw(st.integers(0, 2)))]
    return Case(values(draw, shape), reps)


def m_repeat_interleave(tensor_repeats):
    def make(draw, inplace):
        shape = shapes(draw, min_dims=1)
        dim = draw(st.one_of(st.none(), st.just(dim_of(draw, len(shape)))))
        n = int(np.prod(shape)) if dim is None else shape[dim]
        if tensor_repeats:
            reps = Const(draw(hnp.arrays(np.int64, draw(st.sampled_from([(n,), (1,), ()])),
                                         elements=st.integers(0, 3))))
        else:
            reps = draw(st.integers(0, 3))
        return Case(values(draw, shape), reps, dim)
    return make


def m_diag(draw, inplace):
    return Case(values(draw, shapes(draw, min_dims=1, max_dims=2)), draw(st.integers(-2, 2)))


def m_diag_embed(draw, inplace):
    shape = shapes(draw, min_dims=1)
    nd = len(shape) + 1
    d1, d2 = draw(st.lists(st.integers(0, nd - 1), min_size=2, max_size=2, unique=True))
    return Case(values(draw, shape), draw(st.integers(-2, 2)), d1 - nd, d2)


def m_trace(draw, inplace):
    return Case(values(draw, shapes(draw, min_dims=2, max_dims=2)))


def m_kron(draw, inplace):
    return Case(values(draw, shapes(draw, max_dims=2)), values(draw, shapes(draw, max_dims=3)))


def m_tensordot(draw, inplace):
    k = draw(st.integers(0, 2))
    shared = [draw(st.integers(1, 3)) for _ in range(k)]
    ra = [draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 2)))]
    rb = [draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 2)))]
    da = list(range(len(ra), len(ra) + k))
    db = list(range(k))
    if draw(st.booleans()):
        da, db = da[::-1], db[::-1]
    return Case(values(draw, tuple(ra + shared)), values(draw, tuple(shared + rb)), da, db)


_EINSUM_CASES = [("ij,jk->ik", [(2, 3), (3, 2)]), ("ii", [(3, 3)]), ("ii->i", [(2, 2)]),
                 ("ij->ji", [(2, 3)]), ("i,j->ij", [(2,), (3,)]), ("i,i->", [(3,), (3,)]),
                 ("bij,bjk->bik", [(2, 2, 3), (2, 3, 1)]), ("...ij,...jk", [(2, 1, 3), (3, 2)]),
                 ("ijk,jl,kl->il", [(2, 3, 2), (3, 2), (2, 2)]), ("iij->j", [(2, 2, 3)])]


def m_einsum(draw, inplace):
    eq, shps = draw(st.sampled_from(_EINSUM_CASES))
    return Case(eq, [values(draw, s) for s in shps])


def m_addmv(draw, inplace):
    n, k = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    c = draw(st.sampled_from([(n,), (1,), ()]))
    return Case(values(draw, c), values(draw, (n, k)), values(draw, (k,)),
                beta=draw(st.sampled_from([1, 0.5, 0])), alpha=draw(st.sampled_from([1, -2])))


def m_sort(draw, inplace):
    shape = shapes(draw)
    return Case(distinct(draw, shape), stable=draw(st.sampled_from([None, True, False])),
                dim=dim_of(draw, len(shape)), descending=draw(st.booleans()))


def m_argsort(draw, inplace):
    shape = shapes(draw)
    return Case(distinct(draw, shape), stable=draw(st.booleans()),
                dim=dim_of(draw, len(shape)), descending=draw(st.booleans()))


def m_topk(draw, inplace):
    shape = shapes(draw)
    d = dim_of(draw, len(shape))
    n = shape[d] if shape else 1
    return Case(distinct(draw, shape), draw(st.integers(0, n)), d, draw(st.booleans()), True)


def m_median(draw, inplace):
    return Case(distinct(draw, shapes(draw)))


def m_median_dim(draw, inplace):
    shape = shapes(draw)
    return Case(distinct(draw, shape), dim_of(draw, len(shape)), draw(st.booleans()))


def m_scatter(value_form):
    """Indices without repeats along ``dim`` (a repeated index makes the result depend on
    which write wins)."""
    def make(draw, inplace):
        shape = shapes(draw, min_dims=1)
        nd = len(shape)
        d = dim_of(draw, nd)
        dd = d % nd
        ishape = tuple(draw(st.integers(1, s)) for s in shape)
        idx = np.zeros(ishape, np.int64)
        for pos in np.ndindex(*(ishape[:dd] + ishape[dd + 1:])):
            perm = draw(st.permutations(range(shape[dd])))[:ishape[dd]]
            idx[pos[:dd] + (slice(None),) + pos[dd:]] = perm
        last = draw(st.sampled_from([0.0, -1.5, 2])) if value_form else values(draw, ishape)
        return Case(values(draw, shape), d, Const(idx), last)
    return make


def m_nan_to_num(draw, inplace):
    return Case(values(draw, shapes(draw)), draw(st.sampled_from([None, 0.5])),
                draw(st.sampled_from([None, 10.0])), None)


def m_layer_norm(native):
    def make(draw, inplace):
        shape = shapes(draw, min_dims=1)
        k = draw(st.integers(1, len(shape)))
        ns = list(shape[len(shape) - k:])
        x = distinct(draw, shape, gap=0.3)
        w = values(draw, tuple(ns)) if draw(st.booleans()) else None
        b = values(draw, tuple(ns)) if draw(st.booleans()) else None
        eps = draw(st.sampled_from([1e-5, 0.1]))
        return Case(x, ns, w, b, eps) if native else Case(x, ns, w, b, eps, True)
    return make


def m_pointwise_loss(kind):
    """Input and target whose difference stays away from each loss's kinks."""
    def make(draw, inplace):
        shape = shapes(draw)
        par = {"l1": 0.0, "smooth_l1": draw(st.sampled_from([1.0, 0.5])),
               "huber": draw(st.sampled_from([1.0, 0.5, 2.0]))}[kind]
        a = values(draw, shape)
        diff = values(draw, shape, -3.0, 3.0, away_from(0.0, par, -par, margin=0.1))
        red = draw(st.sampled_from([0, 1, 2]))
        args = (a, np.asarray(a - diff), red) + (() if kind == "l1" else (par,))
        return Case(*args)
    return make


def m_bce(draw, inplace):
    shape = shapes(draw)
    w = draw(st.one_of(st.none(), st.just(Const(values(draw, shape, 0.2, 2.0)))))
    return Case(values(draw, shape, 0.1, 0.9), values(draw, shape, 0.0, 1.0), w,
                draw(st.sampled_from([0, 1, 2])))


def m_bce_logits(draw, inplace):
    shape = shapes(draw)
    w = draw(st.one_of(st.none(), st.just(Const(values(draw, shape, 0.2, 2.0)))))
    pw = draw(st.one_of(st.none(), st.just(Const(values(draw, shape[1:], 0.2, 3.0)))))
    return Case(values(draw, shape, -3.0, 3.0), values(draw, shape, 0.0, 1.0), w, pw,
                draw(st.sampled_from([0, 1, 2])))


_fam("atan2", m_atan2)
_fam("hypot", binary(other_fix=away_from(0.0, margin=0.3), scalar_other=False))
_fam("logaddexp", binary(scalar_other=False), inplace=False)
_fam("fmod", m_rounding_div(remainder=True), overload=".Tensor")
_fam("fmod", m_fmod_scalar, overload=".Scalar")
_fam("lerp", m_lerp(False), overload=".Scalar")
_fam("lerp", m_lerp(True), overload=".Tensor")
register("aten::float_power.Tensor_Tensor aten::float_power_.Tensor", m_float_power)
register("aten::float_power.Tensor_Scalar aten::float_power_.Scalar", m_float_power_scalar)
register("aten::float_power.Scalar", m_float_power_base)
register("aten::cumprod", m_cumprod)
register("aten::cummax aten::cummin", m_cummax)
register("aten::flip", m_flip)
register("aten::roll", m_roll)
_fam("tril", m_tri)
_fam("triu", m_tri)
register("aten::repeat", m_repeat)
register("aten::repeat_interleave.self_int", m_repeat_interleave(False))
register("aten::repeat_interleave.self_Tensor", m_repeat_interleave(True))
register("aten::diag", m_diag)
register("aten::diag_embed", m_diag_embed)
register("aten::diagonal_copy", m_diagonal)
register("aten::trace", m_trace)
register("aten::kron", m_kron)
register("aten::tensordot", m_tensordot)
register("aten::einsum", m_einsum)
register("aten::addmv", m_addmv)
register("aten::sort.stable", m_sort)
register("aten::argsort.stable", m_argsort)
register("aten::topk", m_topk)
register("aten::median", m_median)
register("aten::median.dim", m_median_dim)
_fam("scatter", m_scatter(False), overload=".src")
_fam("scatter", m_scatter(True), overload=".value")
_fam("nan_to_num", m_nan_to_num)
register("aten::native_layer_norm", m_layer_norm(True))
register("aten::layer_norm", m_layer_norm(False))
register("aten::l1_loss", m_pointwise_loss("l1"))
register("aten::smooth_l1_loss", m_pointwise_loss("smooth_l1"))
register("aten::huber_loss", m_pointwise_loss("huber"))
register("aten::binary_cross_entropy", m_bce)
register("aten::binary_cross_entropy_with_logits", m_bce_logits)
# END makers for opdefs/extra.py and the newer nn ops
# ------------------------------------------------------------------------------------------

# Known failures that reveal bugs in src (each listed in the helper's report).
# Makers for ops declared by later modules sit in files beside this one, ``_makers_*.py``:
# each defines ``makers(ns)`` returning ``{op name: maker}`` (and may define ``XFAIL``, same
# shape as below), where ``ns`` gives it this module's building blocks (``ns.unary``,
# ``ns.Case``, ``ns.values``...). Loaded by path, so any --import-mode finds them.
def _load_extra_makers():
    import importlib.util
    import pathlib
    import types
    ns = types.SimpleNamespace(**globals())
    extra_xfail = {}
    for path in sorted(pathlib.Path(__file__).parent.glob("_makers_*.py")):
        spec = importlib.util.spec_from_file_location(f"_registry_{path.stem}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for n, maker in mod.makers(ns).items():
            assert n not in MAKERS, f"{path.name} redefines the maker of {n}"
            MAKERS[n] = maker
        extra_xfail.update(getattr(mod, "XFAIL", {}))
    return extra_xfail


_EXTRA_XFAIL = _load_extra_makers()

XFAIL = dict(_EXTRA_XFAIL)
# The same, but only some drawn inputs show it (so not a strict expectation).
XFAIL_SOMETIMES: dict = {}


# -- running one case ----------------------------------------------------------------------
def build(name, case, through_view):
    """``(fn, inputs)`` for gradcheck: ``fn(*inputs)`` calls the op with ``case``'s args."""
    op = _defop.OPS[name]
    schema = op.schema
    inputs = []

    def conv(a):
        if isinstance(a, np.float64):           # numpy arithmetic on 0-d arrays gives these
            a = np.asarray(a)
        if isinstance(a, np.ndarray) and a.dtype == F64:
            inputs.append(tensor.from_numpy(a).requires_grad_())
            return ("slot", len(inputs) - 1)
        if isinstance(a, Const):
            return ("const", tensor.from_numpy(a.arr))
        if isinstance(a, list) and any(isinstance(x, (np.ndarray, Const)) for x in a):
            return ("list", [conv(x) for x in a])
        if isinstance(a, Fresh):
            return ("fresh", a.make)
        return ("value", a)

    targs = [conv(a) for a in case.args]
    tkw = {k: conv(v) for k, v in case.kwargs.items()}

    def sub(ins, t):
        kind, v = t
        if kind == "slot":
            return ins[v]
        if kind == "list":
            return [sub(ins, x) for x in v]
        if kind == "fresh":
            return v()
        return v

    inplace = schema.kind == "inplace"
    w = schema.written_args[0] if inplace else None

    def fn(*ins):
        args = [sub(ins, a) for a in targs]
        kw = {k: sub(ins, v) for k, v in tkw.items()}
        if inplace:
            base = args[w].clone()
            target = base.view(tuple(base.shape)) if through_view else base
            args[w] = target
            out = op.call(*args, **kw)
            assert out is target
            return (base, target) if through_view else base
        out = op.call(*args, **kw)
        return tuple(out) if isinstance(out, (list, tuple)) else out

    return fn, tuple(inputs)


def _params(check, xfail):
    """The checked ops with (``xfail``) or without a known failure of ``check``."""
    out = []
    for n in checked_ops():
        reason = XFAIL.get((n, check))
        sometimes = XFAIL_SOMETIMES.get((n, check))
        if bool(reason) != xfail:
            continue
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else \
            [pytest.mark.xfail(strict=False, reason=sometimes)] if sometimes else []
        out.append(pytest.param(n, marks=marks, id=n))
    return out


def _draw_case(data, name):
    assert name in MAKERS, f"{name} has derivative formulas but no input maker in MAKERS"
    inplace = _defop.OPS[name].schema.kind == "inplace"
    case = MAKERS[name](data.draw, inplace)
    through_view = inplace and data.draw(st.booleans(), label="through_view")
    return case, through_view


def test_every_op_with_a_formula_has_an_input_maker():
    """The table covers the registry: an op with formulas (or a composite one) cannot escape
    the checks."""
    missing = [n for n in checked_ops() if n not in MAKERS]
    assert not missing, f"add input makers for: {missing}"


def test_registry_is_not_trivial():
    """Sanity: the enumeration sees the ops (a broken import would make every check vacuous)."""
    names = formula_ops()
    assert "aten::mul.Tensor" in names and "aten::mul_.Tensor" in names
    assert len(names) > 50
    assert "aten::matmul" in composite_ops()


def _check_grad(name, data):
    case, through_view = _draw_case(data, name)
    fn, inputs = build(name, case, through_view)
    assert gradcheck(fn, inputs, atol=case.atol, rtol=case.rtol, check_undefined_grad=True)


def _check_gradgrad(name, data):
    case, through_view = _draw_case(data, name)
    fn, inputs = build(name, case, through_view)
    outs = fn(*inputs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    gouts = tuple(
        tensor.from_numpy(values(data.draw, tuple(o.shape), -1.0, 1.0)).requires_grad_()
        for o in outs if o is not None and o.requires_grad)   # (None: an undefined output)
    assert gradgradcheck(fn, inputs, gouts, atol=case.atol, rtol=case.rtol)


# Known failures (XFAIL, strict) are checked without shrinking their failing example: the
# verdict is all that matters there, and shrinking a failing gradcheck is slow.
_NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate]


@pytest.mark.parametrize("name", _params("grad", xfail=False))
@settings(max_examples=N_EXAMPLES)
@given(data=st.data())
def test_gradcheck(name, data):
    """Backward of the op equals finite differences (and backward is linear in grad_output)."""
    _check_grad(name, data)


@pytest.mark.parametrize("name", _params("grad", xfail=True))
@settings(max_examples=N_EXAMPLES, phases=_NO_SHRINK)
@given(data=st.data())
def test_gradcheck_known_failures(name, data):
    _check_grad(name, data)


@pytest.mark.parametrize("name", _params("gradgrad", xfail=False))
@settings(max_examples=N_EXAMPLES)
@given(data=st.data())
def test_gradgradcheck(name, data):
    """The backward formula is itself differentiable, and correctly so."""
    _check_gradgrad(name, data)


@pytest.mark.parametrize("name", _params("gradgrad", xfail=True))
@settings(max_examples=N_EXAMPLES, phases=_NO_SHRINK)
@given(data=st.data())
def test_gradgradcheck_known_failures(name, data):
    _check_gradgrad(name, data)


def _check_forward(name, data):
    case, through_view = _draw_case(data, name)
    fn, inputs = build(name, case, through_view)
    assert gradcheck(fn, inputs, atol=case.atol, rtol=case.rtol, check_forward_ad=True,
                     check_backward_ad=False)


def _forward_params(known):
    """Every checked op under the fuzz profile; a fixed spread of them (one in ten, every
    family) on the bounded CI profile, where a forward check costs a pass per input element.
    Ops whose second derivative is a known failure have no forward derivative either (it is
    built from the backward formula by the double-vjp), nor do ops failing first order: those
    are the ``known`` ones."""
    names = checked_ops()
    if settings().max_examples < 1000:
        # (the known failures are few and cheap to confirm: all of them, always)
        names = [n for i, n in enumerate(names)
                 if i % 10 == 0 or XFAIL.get((n, "grad")) or XFAIL.get((n, "gradgrad"))]
    out = []
    for n in names:
        reason = XFAIL.get((n, "grad")) or XFAIL.get((n, "gradgrad"))
        if bool(reason) == known:
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(n, marks=marks, id=n))
    return out


@pytest.mark.parametrize("name", _forward_params(known=False))
@settings(max_examples=FORWARD_EXAMPLES)
@given(data=st.data())
def test_forward_ad(name, data):
    """Forward-mode AD (tangents through the ForwardAD key, from the op's own formulas) equals
    finite differences."""
    _check_forward(name, data)


@pytest.mark.parametrize("name", _forward_params(known=True))
@settings(max_examples=FORWARD_EXAMPLES, phases=_NO_SHRINK)
@given(data=st.data())
def test_forward_ad_known_failures(name, data):
    _check_forward(name, data)


# -- regressions found by the checks above (xfail: bugs outside this helper's files) --------
def _f64(vals, requires_grad=True):
    return tensor.tensor(vals, dtype=tensor.float64, requires_grad=requires_grad)


def test_regression_mean_dim_of_0d_backward():
    """``x.mean(0)`` / ``x.std(0)`` of a 0-d tensor are differentiable (torch: 1 and 0)."""
    x = _f64(2.0)
    x.mean(0).backward()
    assert x.grad.item() == 1.0
    x = _f64(2.0)
    x.std(0, correction=0).backward()
    assert x.grad.item() == 0.0


def test_regression_gelu_exact_backward():
    """gelu(approximate='none') has a gradient (torch: 0.5 at 0)."""
    x = _f64([0.0, 1.0])
    x.gelu().sum().backward()
    assert np.allclose(x.grad.detach().numpy(), [0.5, 1.0833154705876864])


def test_regression_index_with_0d_index():
    """``x[tensor(0)]`` is 0-d, and differentiable (torch)."""
    x = _f64([1.5, 2.5])
    y = _defop.OPS["aten::index.Tensor"](x, [tensor.tensor(0)])
    assert tuple(y.shape) == ()
    y.backward()
    assert x.grad.tolist() == [1.0, 0.0]


def test_regression_masked_select_0d_backward():
    """masked_select of a 0-d tensor with a False 0-d mask has a zero gradient (torch)."""
    x = _f64(2.0)
    x.masked_select(tensor.tensor(False)).sum().backward()
    assert x.grad.item() == 0.0


# -- gradcheck itself ------------------------------------------------------------------------
from tensor.autograd import GradcheckError  # noqa: E402


def test_gradcheck_accepts_a_correct_function_and_restores_inputs():
    """True for a right gradient; inputs keep their values bit for bit and their versions."""
    x = _f64([0.3, -1.2, 2.0])
    y = _f64([[0.5, 1.0, -0.25]])
    before = (x._data.copy(), y._data.copy())
    assert gradcheck(lambda a, b: (a * b).sin(), (x, y)) is True
    assert gradgradcheck(lambda a, b: (a * b).sin(), (x, y)) is True
    assert np.array_equal(x._data, before[0]) and np.array_equal(y._data, before[1])
    assert x._version == 0 and y._version == 0


def test_gradcheck_reports_a_wrong_gradient_like_torch():
    """``x.detach() * x`` has gradient 2x but backward says x: torch's message, plus the
    worst element; ``raise_exception=False`` returns False."""
    x = _f64([1.0, 2.0])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a: a.detach() * a, (x,))
    msg = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert msg.startswith("Jacobian mismatch for output 0 with respect to input 0,\n"
                          "numerical:tensor([[2.0000, 0.0000],\n")
    assert "\nanalytical:tensor([[1., 0.],\n" in msg
    assert "The worst mismatch is d(output 0)[1] / d(input 0)[1]: numerical 4.0" in msg
    assert "analytical 2.0" in msg
    assert gradcheck(lambda a: a.detach() * a, (x,), raise_exception=False) is False


def test_gradcheck_counts_only_differentiable_inputs_and_outputs():
    """Indices in the message count inputs that require grad and outputs that do."""
    c = tensor.tensor([1.0, 2.0], dtype=F64)                 # not checked
    x = _f64([1.0, 2.0])

    def f(a, b):
        return a * 2, b * 3, (b * 3).detach(), b.detach() * b
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 1 with respect to "
                                             "input 0,"):
        gradcheck(f, (c, x))


def test_gradcheck_warns_for_single_precision_inputs():
    x = tensor.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double "
                                         "precision floating point or complex."):
        gradcheck(lambda a: a * 2, (x,), eps=1e-3, atol=1e-2)


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="gradcheck expects at least one input tensor to "
                                         "require gradient, but none of them have "
                                         "requires_grad=True."):
        gradcheck(lambda a: a * 2, (tensor.tensor([1.0], dtype=F64),))


def test_gradcheck_refuses_overlapping_inputs():
    x = _f64([1.0], requires_grad=False).expand(3).requires_grad_()
    with pytest.raises(RuntimeError, match="The 0th input has a dimension with stride 0."):
        gradcheck(lambda a: a * 2, (x,))


def test_gradcheck_without_differentiable_outputs_needs_zero_numerical_gradient():
    x = _f64([1.3, 2.6])
    assert gradcheck(lambda a: a.floor().detach(), (x,))
    assert gradcheck(lambda a: a > 0, (x,))                  # a bool output: not checked
    with pytest.raises(GradcheckError, match="Numerical gradient for function expected to be "
                                             "zero"):
        gradcheck(lambda a: (a * 2).detach(), (x,))


def test_gradcheck_detects_nondeterministic_backward():
    x = _f64([1.0, 2.0])
    rng = np.random.default_rng(0)

    def f(a):
        y = a * 1
        y.register_hook(lambda g: g * (1 + float(rng.random()) * 1e-3))
        return y
    with pytest.raises(GradcheckError, match="Backward is not reentrant"):
        gradcheck(f, (x,), atol=1e-2)
    assert gradcheck(f, (x,), atol=1e-2, nondet_tol=1e-2)


def test_gradcheck_detects_backward_not_linear_in_grad_output():
    x = _f64([1.0, 2.0])

    def f(a):
        y = a * 1
        y.register_hook(lambda g: g + 1 if not g._data.any() else g)
        return y
    with pytest.raises(GradcheckError, match="backward not multiplied by grad_output"):
        gradcheck(f, (x,))


def test_gradcheck_undefined_output_gradients():
    """``check_undefined_grad``: a backward that cannot take None fails the check."""
    from tensor.autograd import Function

    class NoNone(Function):
        @staticmethod
        def forward(ctx, a):
            ctx.set_materialize_grads(False)
            return a * 2

        @staticmethod
        def backward(ctx, g):
            if g is None:
                raise RuntimeError("no gradient")
            return g * 2

    x = _f64([1.0, 2.0])
    assert gradcheck(NoNone.apply, (x,))
    with pytest.raises(GradcheckError, match="Expected backward function to handle undefined "
                                             "output grads."):
        with pytest.warns(UserWarning, match="Backwards compatibility"):
            gradcheck(NoNone.apply, (x,), check_undefined_grad=True)


def test_gradgradcheck_detects_a_wrong_second_derivative():
    """A first derivative that is right but blocks its own gradient fails gradgradcheck."""
    x = _f64([0.5, 1.5])

    def f(a):
        y = a ** 3
        y.register_hook(lambda g: g.detach())
        return y
    assert gradcheck(f, (x,))
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to "
                                             "input 1,"):
        gradgradcheck(f, (x,))


def test_gradgradcheck_makes_random_grad_outputs():
    """Without grad_outputs: random ones, also non-contiguous on request."""
    tensor.manual_seed(0)
    x = _f64([[0.5, 1.5, 2.0], [0.1, 0.2, 0.3]])
    assert gradgradcheck(lambda a: a.sin() * a, (x,))
    assert gradgradcheck(lambda a: a.sin() * a, (x,), gen_non_contig_grad_outputs=True)


def test_gradcheck_options_torch_has_and_we_do_not():
    x = _f64([1.0])
    with pytest.raises(NotImplementedError):
        gradcheck(lambda a: a * 2, (x,), check_batched_grad=True)
    with pytest.raises(AssertionError):
        gradcheck(lambda a: a * 2, (x,), check_backward_ad=False)
    assert gradcheck(lambda a: a * 2, (x,), fast_mode=True)


def test_gradcheck_checks_forward_ad():
    """check_forward_ad compares forward-mode tangents with finite differences: a custom
    Function whose jvp is wrong fails, the same one with a right jvp passes."""
    def make(scale):
        class Cube(tensor.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_forward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, g):
                raise AssertionError("not used")

            @staticmethod
            def jvp(ctx, t):
                x, = ctx.saved_tensors
                return scale * x * x * t
        return Cube
    x = _f64([0.5, -1.5])
    assert gradcheck(make(3.0).apply, (x,), check_forward_ad=True, check_backward_ad=False)
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradcheck(make(2.0).apply, (x,), check_forward_ad=True, check_backward_ad=False)
    assert gradgradcheck(lambda a: (a.sin() * a).prod(), (x,), check_fwd_over_rev=True)


def test_gradcheck_is_exported_from_tensor_autograd():
    """``tensor.autograd.gradcheck`` is the function (not the module of the same name)."""
    import sys
    from tensor import autograd
    module = sys.modules["tensor.autograd.gradcheck"]
    assert callable(autograd.gradcheck) and autograd.gradcheck is module.gradcheck
    assert issubclass(autograd.GradcheckError, RuntimeError)
