"""Reductions with ``dim``/``keepdim``: sum, mean, prod, amax/amin, max/min (full, by dim and
against another tensor), argmax/argmin, var/std, norm (linalg.vector_norm), logsumexp,
all/any and cumsum.

Gradient formulas follow PyTorch's ``derivatives.yaml`` in content and are written with our own
ops, so they can be differentiated again. Ties share a max/min gradient evenly (``amax``,
``max()``), while ``max(dim)`` sends it to the returned index, as in PyTorch.
"""

from __future__ import annotations

import warnings
from collections import namedtuple

import numpy as np

from dispatch.record import current_record
from ..errors import warn_user
from .. import _dtype as D
from .._defop import FORMULA_NS, OPS, defop, fast_path, method
from .. import _tensor as T
from .._tensor import Tensor as _Tensor
from ._util import _non_overlapping_and_dense, contiguous_layout, dims_arg, wrap_dim
from .pointwise import where


def _sum_dtype(a, dtype):
    if dtype is not None:
        return D.to_dtype(dtype).np
    return np.dtype(np.int64) if a.dtype.kind in "biu" else a.dtype


# Kernels call numpy's ufunc methods (``np.add.reduce``...) rather than ``a.sum()`` or
# ``np.prod``: those run through numpy's Python wrappers, so a floating-point warning (inf - inf
# in a sum) would be reported from numpy's module, past our package's filter (Note
# [Floating-point warnings stay inside], tensor/__init__.py); PyTorch reports nothing.
_add_reduce, _mul_reduce = np.add.reduce, np.multiply.reduce


def _sum_np(a, dtype):
    return np.asarray(_add_reduce(a, None, _sum_dtype(a, dtype)))


# a float array summed in its own dtype: numpy's add.reduce is what ``a.sum()`` runs
_FLOATS = frozenset((np.dtype(np.float32), np.dtype(np.float64)))
fast_path(_sum_np, "d0.__class__ is _nd and a1 is None and d0.dtype in _F",
          "_add_reduce(d0, None, None, _empty((), d0.dtype))", _add_reduce=np.add.reduce,
          _F=_FLOATS, _empty=np.empty)


def _sum_dim_np(a, dim, keepdim, dtype):
    return np.asarray(_add_reduce(a, _axes(dim, a.ndim), _sum_dtype(a, dtype),
                                  keepdims=keepdim))


def expand_reduced(grad, shape, dim, keepdim):
    """Broadcast a reduced gradient back over the reduced dims."""
    if not keepdim and dim is not None and len(shape):
        for d in dims_arg(dim, len(shape)):
            grad = grad.unsqueeze(d)
    return grad.expand(shape)


sum_ = defop("sum(Tensor self, *, ScalarType? dtype=None) -> Tensor", _sum_np,
             grad={"self": "grad.expand(self_shape)"},
    via=("write", 1))
sum_dim = defop("sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, "
                "ScalarType? dtype=None) -> Tensor", contiguous_layout(_sum_dim_np),
                grad={"self": "expand_reduced(grad, self_shape, dim, keepdim)"},
                node_name="SumBackward1",
    via=("write", 1))


_sum_cache, _sum_resolve = sum_._op._cache, sum_._op._resolve
_record = current_record


def _sum_method(self, dim=None, keepdim=False, *, dtype=None):
    if dim is None and not keepdim:
        # ``sum_(self, dtype=dtype)`` with its call function's body inlined: the key set of
        # ``self`` under the thread's record, then the kernel the dispatcher chose for it
        r = _record()
        ks = (self._dispatch_keys | r[0]) & ~r[1]
        try:
            k = _sum_cache[ks]
        except KeyError:
            k = _sum_resolve(ks)
        return k(ks, self, dtype)
    return sum_dim(self, dim, keepdim, dtype=dtype)


method("sum", _sum_method)


def _mean_check(a, dtype):
    if dtype is None and a.dtype.kind not in "fc":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating "
            f"point or complex dtype. Got: {D._BY_NP[a.dtype].short}")
    if dtype is not None and not (D.to_dtype(dtype).is_floating_point
                                  or D.to_dtype(dtype).is_complex):
        raise RuntimeError(
            f"mean(): could not infer output dtype. Optional dtype must be either a floating "
            f"point or complex dtype. Got: {D.to_dtype(dtype).short}")


def _mean_np(a, dtype):
    _mean_check(a, dtype)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)     # the mean of nothing is NaN
        return np.asarray(a.mean(dtype=_sum_dtype(a, dtype)), dtype=_sum_dtype(a, dtype))


# numpy's own mean of a float array: its sum in its dtype, divided by the count
fast_path(_mean_np, "d0.__class__ is _nd and a1 is None and d0.size and d0.dtype in _F",
          "_add_reduce(d0, None) / d0.size", _add_reduce=np.add.reduce, _F=_FLOATS)


def _mean_dim_np(a, dim, keepdim, dtype):
    _mean_check(a, dtype)
    dt = _sum_dtype(a, dtype)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)     # the mean of nothing is NaN
        return np.asarray(a.mean(axis=_axes(dim, a.ndim), keepdims=keepdim, dtype=dt),
                          dtype=dt)


def _numel_of(shape, dim):
    if len(shape) == 0:
        return 1                 # a 0-d tensor reduced over dim 0 / -1: one element
    n = 1
    for d in (dims_arg(dim, len(shape)) if dim is not None else range(len(shape))):
        n *= shape[d]
    return n


mean = defop("mean(Tensor self, *, ScalarType? dtype=None) -> Tensor", _mean_np,
             # (a division by a C++ number in PyTorch's formula: DivBackward1 when
             # differentiated again)
             grad={"self": "div_scalar(grad.expand(self_shape), self_numel) if self_numel "
                           "else grad.expand(self_shape) * float('nan')"},
    via=("out", "sum", 2))
mean_dim = defop("mean.dim(Tensor self, int[1]? dim, bool keepdim=False, *, "
                 "ScalarType? dtype=None) -> Tensor",
                 contiguous_layout(_mean_dim_np),
                 grad={"self": "div_scalar(expand_reduced(grad, self_shape, dim, keepdim), "
                               "numel_of(self_shape, dim))"},
                 node_name="MeanBackward1",
    via=("out", "sum", 2))


_mean_cache, _mean_resolve = mean._op._cache, mean._op._resolve


def _mean_method(self, dim=None, keepdim=False, *, dtype=None):
    if dim is None and not keepdim:
        r = _record()        # ``mean(self, dtype=dtype)``, inlined as in _sum_method
        ks = (self._dispatch_keys | r[0]) & ~r[1]
        try:
            k = _mean_cache[ks]
        except KeyError:
            k = _mean_resolve(ks)
        return k(ks, self, dtype)
    return mean_dim(self, dim, keepdim, dtype=dtype)


method("mean", _mean_method)

FORMULA_NS.update(expand_reduced=expand_reduced, numel_of=_numel_of, max=max, float=float,
                  div_scalar=OPS["aten::div.Scalar"])


# ------------------------------------------------------------------------------------------
# Shared helpers
# ------------------------------------------------------------------------------------------
_CXX_NAMES = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char",
              "int16": "short int", "int32": "int", "int64": "long int", "float16": "c10::Half",
              "float32": "float", "float64": "double", "complex64": "c10::complex<float>",
              "complex128": "c10::complex<double>"}


def cxx_name(np_dtype):
    """PyTorch's C++ spelling of a dtype (as in "but got: float != long int")."""
    return _CXX_NAMES[np.dtype(np_dtype).name]


def short_name(np_dtype):
    return D._BY_NP[np.dtype(np_dtype)].short


def _axes(dim, ndim, in_order=False):
    """numpy ``axis`` for a ``dim`` argument; a 0-d tensor accepts dim 0/-1 and reduces
    nothing. Duplicate dims are PyTorch's error: after every dim is checked to be in range,
    or (``in_order``: nansum, std, var) as each one is reached, so ``[0, 0, 5]`` is a repeat
    there."""
    if dim is not None and not isinstance(dim, (int, np.integer)):
        if in_order:
            seen = set()
            for d in dim:
                d = wrap_dim(int(d), ndim)
                if d in seen:
                    raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
                seen.add(d)
        wrapped = [wrap_dim(int(d), ndim) for d in dim]
        for d in wrapped:
            if wrapped.count(d) > 1:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    dims = dims_arg(dim, ndim)
    return () if ndim == 0 else dims


def _reduced_shape(shape, axes, keepdim):
    if keepdim:
        return tuple(1 if i in axes else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def _full_or_dims(dim):
    """``dim=[]``/``None`` both mean every dim (PyTorch's int[1] default)."""
    if dim is None:
        return None
    if isinstance(dim, (int, np.integer)):
        return int(dim)
    dim = tuple(int(d) for d in dim)
    return dim or None


def _check_nonempty(name, a, axes, full):
    if full and a.size == 0:
        raise RuntimeError(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify "
            "the reduction dim with the 'dim' argument.")
    for d in axes:
        if a.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _int64_if_integral(a, dtype):
    if dtype is not None:
        return D.to_dtype(dtype).np
    return np.dtype(np.int64) if a.dtype.kind in "biu" else a.dtype


# ------------------------------------------------------------------------------------------
# prod
# ------------------------------------------------------------------------------------------
def _prod_np(a, dtype):
    dt = _int64_if_integral(a, dtype)
    return np.asarray(_mul_reduce(a, None, dt), dtype=dt)


def _prod_dim_np(a, dim, keepdim, dtype):
    dt = _int64_if_integral(a, dtype)
    return np.asarray(_mul_reduce(a, _axes(dim, a.ndim), dt, keepdims=keepdim), dtype=dt)


def prod_backward(grad, self, result, dim, keepdim):
    """Without zeros: ``grad * result / self``. With zeros, the product of the *other*
    elements of each slice, built as a product over an (n, n) matrix with ones on the
    diagonal, so that second derivatives stay right (PyTorch uses exclusive cumprods)."""
    shape = tuple(self.shape)
    g = expand_reduced(grad, shape, dim, keepdim)
    if self.numel() == 0 or len(shape) == 0:
        return g
    if not (self._data == 0).any():
        return g * expand_reduced(result, shape, dim, keepdim) / self
    xs = self.reshape(-1) if dim is None else self
    d = 0 if dim is None else wrap_dim(dim, len(shape))
    xt = xs.transpose(d, -1)
    n = xt.shape[-1]
    square = xt.unsqueeze(-2).expand(tuple(xt.shape[:-1]) + (n, n))
    eye = T.wrap(np.eye(n, dtype=np.bool_))
    others = where(eye, 1.0, square).prod(-1).transpose(d, -1)
    return g * others.reshape(shape)


prod_ = defop("prod(Tensor self, *, ScalarType? dtype=None) -> Tensor", _prod_np,
              grad={"self": "prod_backward(grad, conj_if_complex(self), "
                            "conj_if_complex(result), None, False)"},
    via=("write", 1))
prod_dim = defop("prod.dim_int(Tensor self, int dim, bool keepdim=False, *, "
                 "ScalarType? dtype=None) -> Tensor",
                 contiguous_layout(_prod_dim_np),
                 grad={"self": "prod_backward(grad, conj_if_complex(self), "
                               "conj_if_complex(result), dim, keepdim)"},
                 node_name="ProdBackward1",
    via=("write", 1))


def _prod_method(self, dim=None, keepdim=False, *, dtype=None):
    if dim is None:
        return prod_(self, dtype=dtype)
    return prod_dim(self, dim, keepdim, dtype=dtype)


method("prod", _prod_method)


# ------------------------------------------------------------------------------------------
# amax / amin / max / min (values), argmax / argmin
# ------------------------------------------------------------------------------------------
# Note [Which zero a max or min returns]
#   When the largest value is a zero and both 0. and -0. occur, which one ``amax`` or ``max()``
#   returns is decided by PyTorch's CPU loops (numpy's SIMD loops decide otherwise). Measured:
#   - ``amax`` / ``amin`` run TensorIterator's reduction: element by element the earlier of
#     two equal values stays, so the first zero (in memory order) wins; a dense reduction of
#     at least four vectors of ``_LANES`` elements keeps, per lane of four accumulating
#     vectors, the latest equal value, then merges the four vectors keeping the later one's,
#     then the lanes keeping the first (``_vector_reduce_winner``);
#   - ``max()`` / ``min()`` (no dim) fold the contiguous values vector by vector (8 float32
#     or 4 float64 lanes; float16: 8 below 16 values, else 16), the newer value winning
#     ties, fold the leftover elements into the first lanes, then reduce the lanes, the
#     later one winning ties: float32 (and float16 by 16) by halving the vector, the others
#     lane after lane (``_fold_all_winner``); fewer values than lanes go one by one, so the
#     last zero wins.
#   Only the sign of a zero result depends on this; it is fixed after numpy's reduction.
_LANES = {np.dtype(np.float16): 16, np.dtype(np.float32): 8, np.dtype(np.float64): 4}


def _vector_reduce_winner(z, lanes):
    """Index of the zero ``amax`` returns among the flat (memory-ordered) values whose zeros
    are ``z``, for a dense reduction (Note [Which zero a max or min returns])."""
    width = 4 * lanes
    count = z.size // width
    if count:
        chunks = z[:count * width].reshape(count, width)
        has = chunks.any(0)
        last = count - 1 - np.argmax(chunks[::-1], axis=0)
        for j in range(lanes):
            p = [j + k * lanes for k in range(4)]
            w01 = p[1] if has[p[1]] else p[0]
            w23 = p[3] if has[p[3]] else p[2]
            w = w23 if has[w23] else w01
            if has[w]:
                return int(last[w]) * width + w
    return count * width + int(np.argmax(z[count * width:]))


def _fold_all_winner(z, lanes, halving):
    """Index of the zero ``max()`` returns among the flat C-ordered values whose zeros are
    ``z`` (Note [Which zero a max or min returns])."""
    n = z.size
    if n < lanes:
        return n - 1 - int(np.argmax(z[::-1]))
    full = n - n % lanes
    win = [-1] * lanes
    for j in range(lanes):
        hits = np.flatnonzero(z[j:full:lanes])
        if hits.size:
            win[j] = j + int(hits[-1]) * lanes
    for j in range(n - full):
        if z[full + j]:
            win[j] = full + j
    if not halving:                     # lane after lane
        return [w for w in win if w >= 0][-1]
    size = lanes
    while size > 1:
        size //= 2
        for i in range(size):
            if win[i + size] >= 0:
                win[i] = win[i + size]
    return win[0]


def _signed_zero_max(a, r, axes, keepdim):
    """``r``, numpy's amax/amin of ``a`` over ``axes`` (None: all), with its zeros signed as
    PyTorch's (Note [Which zero a max or min returns])."""
    if r.dtype.kind != "f" or r.all():
        return r
    if axes is None:
        axes = tuple(range(a.ndim))
    elif isinstance(axes, (int, np.integer)):
        axes = (int(axes),)
    if len(set(axes)) == a.ndim or r.size == 1:
        flat = a.ravel(order="K")
        z = flat == 0
        lanes = _LANES.get(a.dtype)
        if lanes and flat.size <= 32768 and _non_overlapping_and_dense(a):
            i = _vector_reduce_winner(z, lanes)
        else:
            i = int(np.argmax(z))
        return np.copysign(r, flat[i]).astype(r.dtype)
    keep = [d for d in range(a.ndim) if d not in axes]
    # the dims in memory order (TensorIterator's), where the reduced ones (of size > 1) must
    # be neighbours for the loops modelled here
    perm = sorted(range(a.ndim), key=lambda d: -a.strides[d])
    where_red = [i for i, d in enumerate(perm) if d in axes and a.shape[d] > 1]
    b = a.transpose(perm)
    lanes = _LANES.get(a.dtype)
    if (lanes and where_red and b.flags.c_contiguous and a.size <= 32768 and
            all(a.shape[perm[i]] == 1 or perm[i] in axes
                for i in range(where_red[0], where_red[-1] + 1))):
        kept = [d for d in perm if d not in axes]
        # (the result is laid out in the kept dims' own order: unless memory has them in
        # that order too, the columns are not contiguous in both and are reduced one by one)
        big = [d for d in kept if a.shape[d] > 1]
        picked = _picked_zeros(b, where_red[0], where_red[-1], lanes, big == sorted(big))
        picked = picked.reshape([a.shape[d] for d in kept]).transpose(np.argsort(kept))
    else:
        # element by element in memory order, the first zero staying; but a run of reduced
        # dims innermost in memory is reduced as a whole (with vectors if long enough), run
        # after run
        red = sorted(axes, key=lambda d: -a.strides[d])
        vals = a.transpose(keep + red).reshape([a.shape[d] for d in keep] + [-1])
        z = vals == 0
        idx = np.argmax(z, axis=-1)
        run = 1
        for d in reversed(perm):
            if d not in axes and a.shape[d] > 1:
                break
            run *= a.shape[d]
        if lanes and run >= 4 * lanes and b.flags.c_contiguous and a.size <= 32768:
            for o in np.ndindex(idx.shape):
                rows = z[o].reshape(-1, run)
                hit = rows.any(1)
                if hit.any():
                    r0 = int(np.argmax(hit))
                    idx[o] = r0 * run + _vector_reduce_winner(rows[r0], lanes)
        picked = np.take_along_axis(vals, idx[..., None], axis=-1)[..., 0]
    if keepdim:
        picked = np.expand_dims(picked, tuple(axes))
    return np.where(r == 0, np.copysign(r, picked), r).astype(r.dtype)


def _picked_zeros(a, lo, hi, lanes, by_columns):
    """For a C-contiguous ``a`` reduced over the dims ``lo..hi``: per result, the zero
    ``amax`` returns, shaped (dims before, dims after). A reduction over the last dims runs
    ``_vector_reduce_winner`` on each run of values; one over earlier dims reduces columns of
    the trailing dims, blocks of four vectors keeping the latest zero (newer rows winning
    ties), the leftover columns (every column, unless ``by_columns``) the first (Note [Which
    zero a max or min returns])."""
    outer = int(np.prod(a.shape[:lo], dtype=np.int64))
    n = int(np.prod(a.shape[lo:hi + 1], dtype=np.int64))
    inner = int(np.prod(a.shape[hi + 1:], dtype=np.int64))
    v = a.reshape(outer, n, inner)
    z = v == 0
    first = np.argmax(z, axis=1)
    if inner == 1:
        idx = first
        if n >= 4 * lanes:
            idx = np.array([[_vector_reduce_winner(z[o, :, 0], lanes)] for o in range(outer)])
    else:
        last = n - 1 - np.argmax(z[:, ::-1], axis=1)
        vector_cols = np.arange(inner) < (inner - inner % (4 * lanes) if by_columns else 0)
        idx = np.where(vector_cols, last, first)
    return np.take_along_axis(v, idx[:, None, :], axis=1)[:, 0, :]


def _signed_zero_all(a, r):
    """``r``, numpy's max()/min() of ``a``, with a zero signed as PyTorch's."""
    if r.dtype.kind != "f":
        return r
    flat = a.ravel()
    if a.dtype == np.float16:
        lanes, halving = (16, True) if flat.size >= 16 else (8, False)
    else:
        lanes, halving = _LANES[a.dtype], a.dtype == np.float32
    return np.copysign(r, flat[_fold_all_winner(flat == 0, lanes, halving)]).astype(r.dtype)


def _amax_kernel(name, fn):
    def kernel(a, dim, keepdim):
        dim = _full_or_dims(dim)
        axes = _axes(dim, a.ndim)
        _check_nonempty(name, a, axes, dim is None)
        return _signed_zero_max(a, np.asarray(fn.reduce(a, axis=axes, keepdims=keepdim)),
                                axes, keepdim)

    def checked(a, dim, keepdim):
        if a.size == 0 and dim is not None:
            # PyTorch names the first empty dim as the caller wrote it (-1, not 1)
            for d in ([dim] if isinstance(dim, (int, np.integer)) else dim):
                if a.shape[wrap_dim(d, a.ndim)] == 0:
                    raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero "
                                     "size.")
        return kernel(a, dim, keepdim)
    # the whole of a non-empty float array: what np.max / np.min run
    return fast_path(checked, "d0.__class__ is _nd and not a1 and not a2 and d0.size and "
                     "d0.dtype in _F",
                     "_r if (_r := _reduce(d0, None)) else _zeros(d0, _r, None, False)",
                     _reduce=fn.reduce, _F=_FLOATS, _zeros=_signed_zero_max)




def evenly_distribute_backward(grad, self, result, dim, keepdim):
    """Gradient of a max/min value: split evenly among the elements equal to it (NaN counts
    as equal to a NaN result)."""
    shape = tuple(self.shape)
    g = expand_reduced(grad, shape, dim, keepdim)
    r = expand_reduced(result, shape, dim, keepdim)
    mask = self == r
    if np.isnan(result._data).any():
        mask = mask.logical_or((self != self).logical_and(r != r))
    count = mask.sum() if dim is None else mask.sum(dim, keepdim=True)
    return g * mask / count


def scale_grad_by_count(grad, self, result, dim, keepdim):
    """``amax`` / ``amin``'s gradient: split evenly among the elements equal to the result.
    Unlike ``max()``'s, a NaN matches nothing, so a NaN result gives NaN gradients (0 / 0)."""
    shape = tuple(self.shape)
    mask = self == expand_reduced(result, shape, dim, keepdim)
    count = mask.sum() if dim is None else mask.sum(dim, keepdim=True)
    return expand_reduced(grad, shape, dim, keepdim) * mask / count


amax = defop("amax(Tensor self, int[1] dim=[], bool keepdim=False) -> Tensor",
             contiguous_layout(_amax_kernel("amax", np.maximum)),
             grad={"self": "scale_grad_by_count(grad, self, result, "
                           "full_or_dims(dim), keepdim)"},
    via=("write", 1))
amin = defop("amin(Tensor self, int[1] dim=[], bool keepdim=False) -> Tensor",
             contiguous_layout(_amax_kernel("amin", np.minimum)),
             grad={"self": "scale_grad_by_count(grad, self, result, "
                           "full_or_dims(dim), keepdim)"},
    via=("write", 1))
method("amax", lambda self, dim=(), keepdim=False: amax(
    self, (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim), keepdim))
method("amin", lambda self, dim=(), keepdim=False: amin(
    self, (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim), keepdim))


def _max_full_kernel(name, fn):
    def kernel(a):
        _check_nonempty(name, a, (), True)
        r = np.asarray(fn(a))
        return r if r else _signed_zero_all(a, r)
    return kernel


max_ = defop("max(Tensor self) -> Tensor", _max_full_kernel("max", np.max),
             grad={"self": "evenly_distribute_backward(grad, self, result, None, False)"},
             node_name="MaxBackward1",
    via=("write", 1))
min_ = defop("min(Tensor self) -> Tensor", _max_full_kernel("min", np.min),
             grad={"self": "evenly_distribute_backward(grad, self, result, None, False)"},
             node_name="MinBackward1",
    via=("write", 1))


def _max_dim_kernel(name, fn, argfn):
    def kernel(a, dim, keepdim):
        d = wrap_dim(dim, a.ndim)
        if a.ndim == 0:
            return a.copy(), np.zeros((), np.int64)
        _check_nonempty(name, a, (d,), False)
        idx = argfn(a, axis=d, keepdims=True)
        vals = np.take_along_axis(a, idx, axis=d)
        if not keepdim:
            idx, vals = idx.squeeze(d), vals.squeeze(d)
        return np.asarray(vals), np.asarray(idx, dtype=np.int64)
    return kernel


def value_selecting_backward(grad, dim, indices, shape, keepdim):
    """Gradient of ``max.dim``-like reductions: ``grad`` goes to the selected index."""
    shape = tuple(shape)
    if len(shape) == 0:
        return grad
    d = wrap_dim(dim, len(shape))
    if not keepdim:
        grad, indices = grad.unsqueeze(d), indices.unsqueeze(d)
    from .factories import zeros
    return zeros(shape, dtype=grad.dtype).scatter_add(d, indices, grad)


max_dim = defop("max.dim(Tensor self, int dim, bool keepdim=False) -> "
                "(Tensor values, Tensor indices)",
                contiguous_layout(_max_dim_kernel("max", np.max, np.argmax)),
                grad={"self": "value_selecting_backward(grad, dim, results[1], self_shape, "
                              "keepdim)"},
                node_name="MaxBackward0",
    via=("write", 2))
min_dim = defop("min.dim(Tensor self, int dim, bool keepdim=False) -> "
                "(Tensor values, Tensor indices)",
                contiguous_layout(_max_dim_kernel("min", np.min, np.argmin)),
                grad={"self": "value_selecting_backward(grad, dim, results[1], self_shape, "
                              "keepdim)"},
                node_name="MinBackward0",
    via=("write", 2))


def _return_type(name):
    cls = namedtuple(name, ["values", "indices"])
    cls.__module__ = "torch.return_types"
    cls.__qualname__ = name

    def __repr__(self):
        return f"torch.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"
    cls.__repr__ = __repr__
    return cls


class return_types:
    """``torch.return_types``: named (values, indices) pairs."""
    max = _return_type("max")
    min = _return_type("min")


def _minmax_method(full, by_dim, other_op, rt):
    def _m(self, dim=None, keepdim=False):
        if isinstance(dim, _Tensor):
            return other_op(self, dim)
        if isinstance(dim, (list, tuple)):
            raise TypeError(f"{rt.__name__}() received an invalid combination of arguments - "
                            f"got ({type(dim).__name__}), but expected one of:\n"
                            " * ()\n * (Tensor other)\n * (int dim, bool keepdim = False)")
        if dim is None:
            if keepdim:
                raise TypeError("max() received an invalid combination of arguments - got "
                                "(keepdim=bool). Hint: pass dim as well.")
            return full(self)
        return rt(*by_dim(self, dim, keepdim))
    return _m


method("max", _minmax_method(max_, max_dim, lambda a, b: a.maximum(b), return_types.max))
method("min", _minmax_method(min_, min_dim, lambda a, b: a.minimum(b), return_types.min))


def _arg_kernel(name, fn):
    def kernel(a, dim, keepdim):
        if dim is not None and not isinstance(dim, (int, np.integer)):
            e = TypeError(f"{name}(): argument 'dim' (position 1) must be int, not "
                          f"{type(dim).__name__}")
            e.method_form = True         # torch.argmax(t, [0]) counts one position further
            raise e
        if a.dtype == np.bool_:
            raise RuntimeError(f"{name}(): does not support bool input")
        if dim is None:
            if a.size == 0:
                raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                                 "input.numel() == 0.")
            r = np.asarray(fn(a), dtype=np.int64)
            return r.reshape((1,) * a.ndim) if keepdim else r
        d = wrap_dim(dim, a.ndim)
        if a.ndim == 0:
            return np.zeros((), np.int64)
        _check_nonempty(name, a, (d,), False)
        return np.asarray(fn(a, axis=d, keepdims=keepdim), dtype=np.int64)
    return kernel


argmax = defop("argmax(Tensor self, int? dim=None, bool keepdim=False) -> Tensor",
               contiguous_layout(_arg_kernel("argmax", np.argmax)))
argmin = defop("argmin(Tensor self, int? dim=None, bool keepdim=False) -> Tensor",
               contiguous_layout(_arg_kernel("argmin", np.argmin)))
method("argmax", argmax)
method("argmin", argmin)


# ------------------------------------------------------------------------------------------
# var / std
# ------------------------------------------------------------------------------------------
def _var_np_factory(name, take_sqrt):
    def kernel(a, dim, correction, keepdim):
        if a.dtype.kind not in "fc":
            raise RuntimeError("std and var only support floating point and complex dtypes")
        dim = _full_or_dims(dim)
        axes = _axes(dim, a.ndim, in_order=True)
        c = 1 if correction is None else correction
        n = _numel_of(a.shape, dim) if a.ndim else 1
        dof = n - c
        if dof <= 0:
            warn_user(f"{name}(): degrees of freedom is <= 0. Correction should be strictly "
                      "less than the reduction factor (input numel divided by output numel).")
        with np.errstate(divide="ignore", invalid="ignore"):
            m = a.mean(axis=axes, keepdims=True) if a.size else np.zeros(
                _reduced_shape(a.shape, axes, True), a.dtype)
            dev = np.abs(a - m) ** 2
            ss = dev.sum(axis=axes, keepdims=keepdim)
            r = np.true_divide(ss, max(dof, 0))
            if take_sqrt:
                r = np.sqrt(r)
        # (a complex input's variance is real: PyTorch gives the matching real dtype)
        return np.asarray(r, dtype=a.real.dtype if a.dtype.kind == "c" else a.dtype)
    return kernel


def _safe_scale(num, den):
    if den > 0:
        return num / den
    return float("inf") if den == 0 else num / den


def var_backward(grad, self, dim, correction, keepdim):
    dim = _full_or_dims(dim)
    shape = tuple(self.shape)
    c = 1 if correction is None else correction
    n = _numel_of(shape, dim) if shape else 1
    g = expand_reduced(grad, shape, dim, keepdim)
    mean = self.mean() if dim is None else self.mean(dim, keepdim=True)
    return g * (self - mean) * _safe_scale(2.0, n - c)


def safe_div(num, den):
    """``num / den`` with 0 where ``den == 0``; the masked entries never see a division by
    zero, so the second derivative stays finite there too (no 0 * inf)."""
    zero = den == 0
    return where(zero, 0.0, num / where(zero, 1.0, den))


def std_backward(grad, self, result, dim, correction, keepdim):
    return var_backward(safe_div(grad, result * 2), self, dim, correction, keepdim)


var_ = defop("var.correction(Tensor self, int[1]? dim=None, *, Scalar? correction=None, "
             "bool keepdim=False) -> Tensor",
             contiguous_layout(_var_np_factory("var", False)),
             grad={"self": "var_backward(grad, self, dim, correction, keepdim)"},
             node_name="VarBackward0")
std_ = defop("std.correction(Tensor self, int[1]? dim=None, *, Scalar? correction=None, "
             "bool keepdim=False) -> Tensor",
             contiguous_layout(_var_np_factory("std", True)),
             grad={"self": "std_backward(grad, self, result, dim, correction, keepdim)"},
             node_name="StdBackward0")


def _var_args(name, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):          # t.var(True): the old ``unbiased`` overload
        if unbiased is not None:
            raise TypeError(f"{name}() received an invalid combination of arguments")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got both unbiased and "
            "correction. Hint: pass only correction= (unbiased=False is correction=0).")
    if unbiased is not None:
        correction = 1 if unbiased else 0
    if isinstance(dim, (int, np.integer)):
        dim = (int(dim),)
    elif dim is not None:
        dim = tuple(dim)
    return dim, correction, keepdim


def _var_method(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
    d, c, k = _var_args("var", dim, unbiased, keepdim, correction)
    return var_(self, d, correction=c, keepdim=k)


def _std_method(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
    d, c, k = _var_args("std", dim, unbiased, keepdim, correction)
    return std_(self, d, correction=c, keepdim=k)


method("var", _var_method)
method("std", _std_method)


# ------------------------------------------------------------------------------------------
# norm (linalg.vector_norm)
# ------------------------------------------------------------------------------------------
def _vector_norm_np(a, ord, dim, keepdim, dtype):
    if a.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor "
                           f"as input. Got {short_name(a.dtype)}")
    dim = _full_or_dims(dim)
    axes = _axes(dim, a.ndim)
    out_dt = D.to_dtype(dtype).np if dtype is not None else (
        np.dtype(np.float32) if a.dtype == np.complex64 else
        np.dtype(np.float64) if a.dtype == np.complex128 else a.dtype)
    x = np.abs(a.astype(out_dt if out_dt.kind in "fc" and dtype is not None else a.dtype))
    p = float(ord)
    if np.isinf(p):
        if dim is None and a.size == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty "
                               "tensor because the operation does not have an identity")
        for ax in (() if axes is None or a.ndim == 0 else
                   (axes,) if isinstance(axes, (int, np.integer)) else axes):
            if a.shape[ax] == 0:        # (PyTorch's message lacks the space after the dim)
                raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on the "
                                   f"dimension {ax}because this dimension is empty and the "
                                   "operation does not have an identity")
        r = (np.max if p > 0 else np.min)(x, axis=axes, keepdims=keepdim)
    elif p == 0:
        r = (x != 0).sum(axis=axes, keepdims=keepdim)
    elif p == 1:
        r = x.sum(axis=axes, keepdims=keepdim)
    elif p == 2:
        r = np.sqrt((x * x).sum(axis=axes, keepdims=keepdim))
    else:
        with np.errstate(divide="ignore", over="ignore"):
            r = (x ** p).sum(axis=axes, keepdims=keepdim) ** (1.0 / p)
    return np.asarray(r, dtype=out_dt)


def norm_backward(grad, self, ord, dim, keepdim, result):
    dim = _full_or_dims(dim)
    shape = tuple(self.shape)
    p = float(ord)
    g = expand_reduced(grad, shape, dim, keepdim)
    if p == 0:
        return None             # PyTorch leaves the gradient of the "0-norm" undefined
    if p == 1:
        return self.sign() * g
    r = expand_reduced(result, shape, dim, keepdim)
    if np.isinf(p):
        # the elements equal to the norm share the gradient; a NaN matches a NaN norm (its
        # sign, 0, then zeroes its share)
        mask = (self.abs() == r).logical_or(self.isnan().logical_and(r.isnan()))
        count = mask.sum() if dim is None else mask.sum(dim, keepdim=True)
        return self.sign() * mask * g / count
    if p == 2:
        # (PyTorch masks self / norm where the norm is 0, then multiplies by the gradient:
        # a NaN or inf gradient still makes NaN there)
        return g * safe_div(self, r)
    if p < 1:
        # |x|^(p-1) is infinite at 0: PyTorch takes that element's gradient as 0
        scale = self.sign() * where(self == 0, 0.0, self.abs().pow(p - 1))
        return scale * g * r.pow(1 - p)
    if p < 2:
        scale = self.sign() * self.abs().pow(p - 1)
    else:
        scale = self * self.abs().pow(p - 2)
    return scale * safe_div(g, r.pow(p - 1))


vector_norm = defop("linalg_vector_norm(Tensor self, Scalar ord=2, int[1]? dim=None, "
                    "bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
                    contiguous_layout(_vector_norm_np),
                    grad={"self": "norm_backward(grad, self, ord, dim, keepdim, result)"},
                    node_name="LinalgVectorNormBackward0")


def _norm_scalaropt_dim_np(a, p, dim, keepdim):
    if a.dtype.kind not in "fc":        # (norm's own check, in its words)
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. "
                           f"Got {short_name(a.dtype)} instead.")
    return _vector_norm_np(a, 2 if p is None else p, dim, keepdim, None)


# what PyTorch's C++ composites call (pairwise_distance): the vector norm, as NormBackward1
norm_scalaropt_dim = defop("norm.ScalarOpt_dim(Tensor self, Scalar? p, int[1] dim, "
                           "bool keepdim=False) -> Tensor",
                           contiguous_layout(_norm_scalaropt_dim_np),
                           grad={"self": "norm_backward(grad, self, 2 if p is None else p, dim, "
                                         "keepdim, result)"},
                           node_name="NormBackward1")


def _norm_method(self, p="fro", dim=None, keepdim=False, dtype=None):
    if isinstance(dim, (int, np.integer)):
        dim = (int(dim),)
    elif dim is not None:
        dim = tuple(dim)
    if isinstance(p, str):
        if p != "fro" or (dim is not None and len(dim) > 2):
            # 'nuc', and whatever else is not a plain Frobenius norm, is a matrix norm over
            # ``dim`` (every dim when none is given), which also raises the errors
            from .linalg_extra import linalg_matrix_norm_str
            dims = list(dim) if dim is not None else list(range(self.dim()))
            return linalg_matrix_norm_str(self, p, dims, keepdim, dtype=dtype)
        p = 2
    if p is None:
        p = 2
    return vector_norm(self, p, dim, keepdim, dtype=dtype)


method("norm", _norm_method)


# ------------------------------------------------------------------------------------------
# logsumexp
# ------------------------------------------------------------------------------------------
def _logsumexp_np(a, dim, keepdim):
    if a.dtype.kind not in "fc":
        a = a.astype(D.get_default_dtype().np)
    axes = _axes(tuple(dim) if not isinstance(dim, (int, np.integer)) else dim, a.ndim)
    if not isinstance(dim, (int, np.integer)) and len(dim) == 0:
        axes = tuple(range(a.ndim))
        if not keepdim and a.ndim and a.size:
            # PyTorch's quirk: ``dim=[]`` reduces everything into a keepdim-shaped buffer that
            # its 0-d output cannot take
            raise RuntimeError(f"output with shape [] doesn't match the broadcast shape "
                               f"{[1] * a.ndim}. Hint: pass keepdim=True, or list "
                               "the dims (dim=tuple(range(x.dim()))).")
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if a.size:
            m = np.max(a, axis=axes, keepdims=True) if axes or a.ndim == 0 else a
            m = np.where(np.isfinite(m), m, 0).astype(a.dtype)
        else:
            m = np.zeros(_reduced_shape(a.shape, axes, True), a.dtype)
        r = np.log(np.exp(a - m).sum(axis=axes, keepdims=True)) + m
    if not keepdim:
        r = r.reshape(_reduced_shape(a.shape, axes, False))
    return np.asarray(r, dtype=a.dtype)


def logsumexp_backward(grad, self, result, dim, keepdim):
    shape = tuple(self.shape)
    d = None if not isinstance(dim, (int, np.integer)) and len(dim) == 0 else dim
    g = expand_reduced(grad, shape, d, keepdim)
    r = expand_reduced(result, shape, d, keepdim)
    return g * (self - r).exp()


logsumexp = defop("logsumexp(Tensor self, int[1] dim, bool keepdim=False) -> Tensor",
                  contiguous_layout(_logsumexp_np),
                  grad={"self": "logsumexp_backward(grad, conj_if_complex(self), "
                                "conj_if_complex(result), dim, keepdim)"},
    via=("out", "logsumexp", 1))
_NO_DIM = object()


def _logsumexp_method(self, dim=_NO_DIM, keepdim=False):
    if dim is _NO_DIM:
        raise TypeError('logsumexp() missing 1 required positional arguments: "dim"')
    return logsumexp(self, (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim),
                     keepdim)


method("logsumexp", _logsumexp_method)


# ------------------------------------------------------------------------------------------
# all / any
# ------------------------------------------------------------------------------------------
def _bool_reduce(fn):
    def full(a):
        r = np.asarray(fn(a))
        return r.astype(np.uint8) if a.dtype == np.uint8 else r

    def dims(a, dim, keepdim):
        # an explicitly empty list reduces nothing (PyTorch): each element's truth value
        axis = () if dim is not None and len(dim) == 0 else _axes(dim, a.ndim)
        r = np.asarray(fn(a, axis=axis, keepdims=keepdim))
        return r.astype(np.uint8) if a.dtype == np.uint8 else r
    return full, dims


_all_full, _all_dims = _bool_reduce(np.all)
_any_full, _any_dims = _bool_reduce(np.any)
all_ = defop("all(Tensor self) -> Tensor", _all_full,
    via=("write", 1))
all_dims = defop("all.dims(Tensor self, int[]? dim=None, bool keepdim=False) -> Tensor",
                 contiguous_layout(_all_dims),
    via=("write", 1))
any_ = defop("any(Tensor self) -> Tensor", _any_full,
    via=("write", 1))
any_dims = defop("any.dims(Tensor self, int[]? dim=None, bool keepdim=False) -> Tensor",
                 contiguous_layout(_any_dims),
    via=("write", 1))


def _bool_method(full, dims):
    def _m(self, dim=None, keepdim=False):
        if dim is None and not keepdim:
            return full(self)
        if isinstance(dim, (int, np.integer)):
            dim = (int(dim),)
        return dims(self, None if dim is None else tuple(dim), keepdim)
    return _m


method("all", _bool_method(all_, all_dims))
method("any", _bool_method(any_, any_dims))


# ------------------------------------------------------------------------------------------
# cumsum
# ------------------------------------------------------------------------------------------
def _scan_dtype(a, dim, dtype, kernel):
    """The wrapped dim and result dtype of cumsum / cumprod. PyTorch's CPU scan kernels have
    no bool version: a bool result is refused unless the scan has nothing to do (a 0-d input
    is copied, an empty one left empty)."""
    d = wrap_dim(dim, a.ndim)
    dt = _int64_if_integral(a, dtype)
    if dt == np.bool_ and a.ndim and a.size:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
    return d, dt


def _cumsum_np(a, dim, dtype):
    d, dt = _scan_dtype(a, dim, dtype, "cumsum_out_cpu")
    if a.ndim == 0:
        return a.astype(dt)
    if np.dtype(dt).kind == "f" and np.dtype(dt).itemsize < 8:
        # PyTorch's CPU scan accumulates float16/float32 in double, then rounds each sum
        return np.add.accumulate(a, d, np.float64).astype(dt)
    return np.asarray(np.add.accumulate(a, d, dt))


def cumsum_backward(grad, dim):
    """Reverse cumulative sum, as ``total - cumsum + grad`` (our own ops, so differentiable)."""
    if grad.dim() == 0:
        return grad
    return grad.sum(dim, keepdim=True) - grad.cumsum(dim) + grad


cumsum = defop("cumsum(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor",
               contiguous_layout(_cumsum_np),
               grad={"self": "cumsum_backward(grad, dim)"})
method("cumsum", lambda self, dim, *, dtype=None: cumsum(self, dim, dtype=dtype))


FORMULA_NS.update(
    prod_backward=prod_backward, evenly_distribute_backward=evenly_distribute_backward,
    scale_grad_by_count=scale_grad_by_count,
    value_selecting_backward=value_selecting_backward, var_backward=var_backward,
    std_backward=std_backward, safe_div=safe_div, norm_backward=norm_backward,
    logsumexp_backward=logsumexp_backward, cumsum_backward=cumsum_backward,
    full_or_dims=_full_or_dims)
