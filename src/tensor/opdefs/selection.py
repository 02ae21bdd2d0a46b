"""Selection, scatter and small shape utilities.

- order statistics: kthvalue, mode, nanmedian, msort, aminmax, var_mean / std_mean;
- scans: logcumsumexp, cumsum_ / cumprod_;
- writes at indices: index_copy, masked_scatter, put, index_reduce, scatter_reduce and the
  ``*_scatter`` family (select / slice / diagonal / as_strided);
- counting and searching: bincount, histc, histogram, bucketize, searchsorted, isin,
  unique_consecutive;
- small utilities: fill_diagonal_, renorm, h/v/dsplit, unsafe_split..., unravel_index,
  tril_indices / triu_indices, combinations, is_same_size, new_empty_strided, resize_,
  apply_ / map_, nonzero_static.

Note [Which index a tie gets]
    ``kthvalue``, ``mode`` and ``nanmedian(dim)`` return an index, and among equal values the
    one PyTorch's CPU kernels return is decided by their algorithms, not by a documented
    rule. Checked against PyTorch on thousands of random tie-heavy inputs (with NaNs):

    - ``kthvalue`` runs a median-of-three quickselect over (value, index) pairs (NaN is the
      largest value) and reports the pair left at position ``k - 1``; ``_quickselect``
      replays that algorithm step by step.
    - ``mode`` sorts (value, index) pairs by value with the C++ standard library's
      (unstable) introsort, then takes the smallest value among the most frequent ones with
      the index of the *last* pair of its run; ``_std_sort`` replays libstdc++'s introsort
      (insertion sort below 17 elements, so for short slices this is the last occurrence).
    - ``nanmedian(dim)`` picks the ``(n_valid - 1) // 2``-th value with ties broken by
      position (the stable-sort order, NaN last); a slice of NaNs only gets the index
      libstdc++'s ``nth_element`` leaves first when no element compares less than another
      (``_all_nan_index``: 0 for 1-3 elements, 2 for 4, ...).

    Gradients of these ops go to the returned index (``value_selecting_backward``), so the
    index choice is observable through ``backward`` too.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import warn_once
from .. import _dtype as D
from .. import _tensor as T
from .._defop import FORMULA_NS, OPS, defop, method
from .._tensor import Tensor as _Tensor
from ._util import (check_no_overlap, contiguous_layout, keep_layout, not_implemented,
                    wrap_dim)
from .extra import _cumprod_np
from .special import _name_not_implemented
from .reduction import (_cumsum_np, _mean_dim_np, _return_type, _var_np_factory,
                        expand_reduced, return_types, short_name, std_backward, var_backward)

_nd = np.ndarray

FUNCTIONS = []     # names of Tensor methods also exposed as torch.<name>(input, ...)
TOPLEVEL = {}      # torch.<name> functions that are not Tensor methods


def _fmt(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


def _named(name, fields):
    """A ``torch.return_types.<name>`` namedtuple with the given fields."""
    from collections import namedtuple
    cls = namedtuple(name, fields)
    cls.__module__ = "torch.return_types"
    cls.__qualname__ = name

    def __repr__(self):
        body = ",\n".join(f"{f}={getattr(self, f)!r}" for f in fields)
        return f"torch.return_types.{name}(\n{body})"
    cls.__repr__ = __repr__
    return cls


for _rt in ("kthvalue", "mode", "nanmedian", "median", "sort", "topk", "cummax", "cummin"):
    if not hasattr(return_types, _rt):
        setattr(return_types, _rt, _return_type(_rt))
return_types.aminmax = _named("aminmax", ["min", "max"])
return_types.histogram = _named("histogram", ["hist", "bin_edges"])


def _slices(a, d):
    """The slices of ``a`` along dim ``d`` as rows of a 2-d array, and the outer shape."""
    m = np.moveaxis(a, d, -1)
    outer = m.shape[:-1]
    return m.reshape(int(np.prod(outer, dtype=np.int64)), m.shape[-1]), outer


def _finish_dim(vals, idx, outer, d, keepdim):
    vals, idx = vals.reshape(outer), idx.reshape(outer)
    if keepdim:
        vals, idx = np.expand_dims(vals, d), np.expand_dims(idx, d)
    return vals, idx


# ------------------------------------------------------------------------------------------
# Note [Which index a tie gets]: replays of the C++ algorithms
# ------------------------------------------------------------------------------------------
def _gt_or_nan(x, y):
    return x > y or (x != x and y == y)


def _quickselect(vals, k):
    """The original position of the element a median-of-three quickselect leaves at ``k``."""
    arr = list(vals)
    pos = list(range(len(arr)))

    def swap(i, j):
        arr[i], arr[j] = arr[j], arr[i]
        pos[i], pos[j] = pos[j], pos[i]

    lo, hi = 0, len(arr) - 1
    while hi > lo:
        if hi == lo + 1:
            if _gt_or_nan(arr[lo], arr[hi]):
                swap(lo, hi)
            break
        swap(lo + (hi - lo) // 2, lo + 1)
        if _gt_or_nan(arr[lo + 1], arr[hi]):
            swap(lo + 1, hi)
        if _gt_or_nan(arr[lo], arr[hi]):
            swap(lo, hi)
        if _gt_or_nan(arr[lo + 1], arr[lo]):
            swap(lo + 1, lo)
        i, j, piv = lo + 1, hi, arr[lo]
        while True:
            i += 1
            while _gt_or_nan(piv, arr[i]):
                i += 1
            j -= 1
            while _gt_or_nan(arr[j], piv):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(lo, j)
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1
    return pos[k]


def _lt(a, b):
    return a[0] < b[0]


def _insertion_sort(a, lo, hi):
    for i in range(lo + 1, hi):
        v = a[i]
        if _lt(v, a[lo]):
            a[lo + 1:i + 1] = a[lo:i]
            a[lo] = v
        else:
            j = i
            while _lt(v, a[j - 1]):
                a[j] = a[j - 1]
                j -= 1
            a[j] = v


def _unguarded_insertion_sort(a, lo, hi):
    for i in range(lo, hi):
        v, j = a[i], i
        while _lt(v, a[j - 1]):
            a[j] = a[j - 1]
            j -= 1
        a[j] = v


def _median_to_first(a, res, x, y, z):
    if _lt(a[x], a[y]):
        m = y if _lt(a[y], a[z]) else z if _lt(a[x], a[z]) else x
    else:
        m = x if _lt(a[x], a[z]) else z if _lt(a[y], a[z]) else y
    a[res], a[m] = a[m], a[res]


def _unguarded_partition(a, first, last, piv):
    while True:
        while _lt(a[first], a[piv]):
            first += 1
        last -= 1
        while _lt(a[piv], a[last]):
            last -= 1
        if not first < last:
            return first
        a[first], a[last] = a[last], a[first]
        first += 1


def _heap_sort(a, lo, hi):
    def adjust(hole, length, v):
        top = child = hole
        while child < (length - 1) // 2:
            child = 2 * (child + 1)
            if _lt(a[lo + child], a[lo + child - 1]):
                child -= 1
            a[lo + hole] = a[lo + child]
            hole = child
        if length % 2 == 0 and child == (length - 2) // 2:
            child = 2 * (child + 1)
            a[lo + hole] = a[lo + child - 1]
            hole = child - 1
        parent = (hole - 1) // 2
        while hole > top and _lt(a[lo + parent], v):
            a[lo + hole] = a[lo + parent]
            hole = parent
            parent = (hole - 1) // 2
        a[lo + hole] = v

    n = hi - lo
    for parent in range((n - 2) // 2, -1, -1):
        adjust(parent, n, a[lo + parent])
    for last in range(hi - 1, lo, -1):
        v = a[last]
        a[last] = a[lo]
        adjust(0, last - lo, v)


def _introsort_loop(a, first, last, depth):
    while last - first > 16:
        if depth == 0:
            _heap_sort(a, first, last)
            return
        depth -= 1
        _median_to_first(a, first, first + 1, first + (last - first) // 2, last - 1)
        cut = _unguarded_partition(a, first + 1, last, first)
        _introsort_loop(a, cut, last, depth)
        last = cut


def _std_sort(a):
    """Sort (value, index) pairs by value in place, exactly as libstdc++'s ``std::sort``."""
    n = len(a)
    if n < 2:
        return
    _introsort_loop(a, 0, n, 2 * (n.bit_length() - 1))
    if n > 16:
        _insertion_sort(a, 0, 16)
        _unguarded_insertion_sort(a, 16, n)
    else:
        _insertion_sort(a, 0, n)


def _mode_of(vals):
    pairs = [(v, i) for i, v in enumerate(vals)]
    _std_sort(pairs)
    best_i, best_f, run = 0, 0, 0
    for i in range(len(pairs)):
        run += 1
        if i == len(pairs) - 1 or pairs[i][0] != pairs[i + 1][0]:
            if run > best_f:
                best_i, best_f = pairs[i][1], run
            run = 0
    return best_i


def _all_nan_index(n):
    """The element libstdc++'s ``nth_element(first, first, last)`` leaves first when no
    element compares less than another."""
    pos = list(range(n))
    first, last = 0, n
    while last - first > 3:
        mid = first + (last - first) // 2
        pos[first], pos[mid] = pos[mid], pos[first]
        lo, hi = first + 1, last
        while True:
            hi -= 1
            if not lo < hi:
                break
            pos[lo], pos[hi] = pos[hi], pos[lo]
            lo += 1
        if lo <= 0:
            first = lo
        else:
            last = lo
    return pos[0]


# ------------------------------------------------------------------------------------------
# kthvalue, mode, nanmedian, msort, aminmax
# ------------------------------------------------------------------------------------------
def _by_slice(name, a, dim, keepdim, pick):
    """Apply ``pick(row) -> index`` to every slice of ``a`` along ``dim``."""
    d = wrap_dim(dim, a.ndim)
    if a.ndim == 0:
        return a.copy(), np.zeros((), np.int64)
    if a.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    rows, outer = _slices(a, d)
    idx = np.array([pick(r) for r in rows], dtype=np.int64)
    vals = rows[np.arange(len(rows)), idx] if len(rows) else np.zeros(0, a.dtype)
    return _finish_dim(vals, idx, outer, d, keepdim)


def _no_bool(name, a):
    if a.dtype.kind == "b":
        raise NotImplementedError(f'"{name}" not implemented for \'Bool\'')


def _kthvalue_np(a, k, dim, keepdim):
    d = wrap_dim(dim, a.ndim)
    n = a.shape[d] if a.ndim else 1
    if n == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    _no_bool("kthvalue_cpu", a)
    return _by_slice("kthvalue", a, dim, keepdim, lambda r: _quickselect(r.tolist(), k - 1))


_VSB = "value_selecting_backward(grad, dim, results[1], self_shape, keepdim)"
kthvalue = defop("kthvalue(Tensor self, SymInt k, int dim=-1, bool keepdim=False) -> "
                 "(Tensor values, Tensor indices)", _kthvalue_np, grad={"self": _VSB})
method("kthvalue", lambda self, k, dim=-1, keepdim=False: return_types.kthvalue(
    *kthvalue(self, k, dim, keepdim)))


def _mode_np(a, dim, keepdim):
    return _by_slice("mode", a, dim, keepdim, lambda r: _mode_of(r.tolist()))


mode = defop("mode(Tensor self, int dim=-1, bool keepdim=False) -> "
             "(Tensor values, Tensor indices)", _mode_np, grad={"self": _VSB})
method("mode", lambda self, dim=-1, keepdim=False: return_types.mode(
    *mode(self, dim, keepdim)))


def _nanmedian_np(a):
    if a.dtype.kind in "bc":        # (PyTorch's kernels are median's)
        raise not_implemented("median_cpu", a.dtype)
    flat = a.reshape(-1)
    if a.dtype.kind in "fc":
        flat = flat[~np.isnan(flat)]
    if flat.size == 0:
        return np.asarray(np.nan if a.dtype.kind in "fc" else 0, dtype=a.dtype)
    return np.asarray(np.sort(flat)[(flat.size - 1) // 2])


def _nanmedian_pick(row):
    valid = ~np.isnan(row) if row.dtype.kind in "fc" else np.ones(row.shape, bool)
    nv = int(valid.sum())
    if nv == 0:
        return _all_nan_index(row.size)
    order = np.argsort(row, kind="stable")          # NaN sorts last
    order = order[valid[order]]
    return int(order[(nv - 1) // 2])


def _nanmedian_dim_np(a, dim, keepdim):
    wrap_dim(dim, a.ndim)               # (a bad dim is reported before a bad dtype)
    if a.dtype.kind in "bc":
        raise not_implemented("median_out", a.dtype)
    return _by_slice("nanmedian", a, dim, keepdim, _nanmedian_pick)


nanmedian = defop("nanmedian(Tensor self) -> Tensor", _nanmedian_np,
                  grad={"self": "evenly_distribute_backward(grad, self, result, None, False)"})
nanmedian_dim = defop("nanmedian.dim(Tensor self, int dim, bool keepdim=False) -> "
                      "(Tensor values, Tensor indices)", _nanmedian_dim_np,
                      grad={"self": _VSB}, node_name="NanmedianBackward1")


def _nanmedian_method(self, dim=None, keepdim=False):
    if dim is None:
        return nanmedian(self)
    return return_types.nanmedian(*nanmedian_dim(self, dim, keepdim))


method("nanmedian", _nanmedian_method)

msort = defop("msort(Tensor self) -> Tensor", composite=lambda self: self.sort(0)[0])
method("msort", msort)


def _aminmax_np(a, dim, keepdim):
    if a.size == 0 and dim is None:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")
    if dim is None:
        lo, hi = np.min(a), np.max(a)
        shape = (1,) * a.ndim if keepdim else ()
        return np.full(shape, lo, a.dtype), np.full(shape, hi, a.dtype)
    d = wrap_dim(dim, a.ndim)
    if a.ndim == 0:
        return a.copy(), a.copy()
    if a.shape[d] == 0:
        raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
    return (np.asarray(np.min(a, axis=d, keepdims=keepdim)),
            np.asarray(np.max(a, axis=d, keepdims=keepdim)))


aminmax = defop("aminmax(Tensor self, *, int? dim=None, bool keepdim=False) -> "
                "(Tensor min, Tensor max)", contiguous_layout(_aminmax_np),
                # amin's and amax's rule for each half (a NaN extreme gives NaN gradients),
                # as PyTorch's AminmaxBackward0 computes
                grad={"self": "scale_grad_by_count(grads[0], self, results[0], dim, "
                              "keepdim) + scale_grad_by_count(grads[1], self, "
                              "results[1], dim, keepdim)"})
method("aminmax", lambda self, *, dim=None, keepdim=False: return_types.aminmax(
    *aminmax(self, dim=dim, keepdim=keepdim)))
FUNCTIONS += ["kthvalue", "mode", "nanmedian", "msort", "aminmax"]


# ------------------------------------------------------------------------------------------
# var_mean / std_mean
# ------------------------------------------------------------------------------------------
def _var_mean_kernel(name, take_sqrt):
    stat = _var_np_factory(name, take_sqrt)

    def kernel(a, dim, correction, keepdim):
        if a.dtype.kind not in "fc":        # (PyTorch names the fused op here)
            raise RuntimeError(f"{name} only support floating point and complex dtypes")
        r = stat(a, dim, correction, keepdim)
        return r, _mean_dim_np(a, None if dim is None else list(dim) or None, keepdim, None)
    return kernel


def var_mean_backward(gvar, gmean, self, dim, correction, keepdim):
    from .reduction import _full_or_dims, _numel_of
    dims = _full_or_dims(dim)
    out = var_backward(gvar, self, dim, correction, keepdim)
    n = _numel_of(tuple(self.shape), dims) if self.dim() else 1
    return out + expand_reduced(gmean, tuple(self.shape), dims, keepdim) / n


def std_mean_backward(gstd, gmean, self, std, dim, correction, keepdim):
    from .reduction import _full_or_dims, _numel_of
    dims = _full_or_dims(dim)
    out = std_backward(gstd, self, std, dim, correction, keepdim)
    n = _numel_of(tuple(self.shape), dims) if self.dim() else 1
    return out + expand_reduced(gmean, tuple(self.shape), dims, keepdim) / n


var_mean_op = defop("var_mean.correction(Tensor self, int[1]? dim=None, *, "
                    "Scalar? correction=None, bool keepdim=False) -> (Tensor, Tensor)",
                    contiguous_layout(_var_mean_kernel("var_mean", False)),
                    grad={"self": "sel_var_mean_backward(grads[0], grads[1], self, dim, "
                                  "correction, keepdim)"}, node_name="VarMeanBackward0")
std_mean_op = defop("std_mean.correction(Tensor self, int[1]? dim=None, *, "
                    "Scalar? correction=None, bool keepdim=False) -> (Tensor, Tensor)",
                    contiguous_layout(_var_mean_kernel("std_mean", True)),
                    grad={"self": "sel_std_mean_backward(grads[0], grads[1], self, results[0], "
                                  "dim, correction, keepdim)"}, node_name="StdMeanBackward0")


def _stat_mean(op, name):
    from .reduction import _var_args

    def fn(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
        if out is not None:
            raise TypeError(f"{name}() got an unexpected keyword argument 'out'")
        d, c, k = _var_args(name, dim, unbiased, keepdim, correction)
        return tuple(op(input, d, correction=c, keepdim=k))
    fn.__name__ = fn.__qualname__ = name
    return fn


TOPLEVEL["var_mean"] = _stat_mean(var_mean_op, "var_mean")
TOPLEVEL["std_mean"] = _stat_mean(std_mean_op, "std_mean")


# ------------------------------------------------------------------------------------------
# logcumsumexp, cumsum_, cumprod_
# ------------------------------------------------------------------------------------------
def _logcumsumexp_np(a, dim):
    if a.dtype.kind not in "fc":
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for "
                                  f"'{short_name(a.dtype)}'")
    d = wrap_dim(dim, a.ndim)
    if a.ndim == 0 or a.size == 0:
        return a.copy()
    if a.dtype.kind == "c":         # (numpy's logaddexp has no complex loop: a scan by hand)
        from .extra import _logaddexp_np
        r = np.moveaxis(np.array(a, copy=True), d, 0)
        with np.errstate(all="ignore"):
            for i in range(1, r.shape[0]):
                r[i] = _logaddexp_np(r[i - 1], r[i])
        return np.moveaxis(r, 0, d)
    work = a.astype(np.float64) if a.dtype.itemsize < 8 and a.dtype.kind == "f" else a
    with np.errstate(all="ignore"):
        r = np.logaddexp.accumulate(work, axis=d)
    return np.asarray(r, dtype=a.dtype)


def logcumsumexp_backward(grad, self, result, dim):
    """PyTorch's formula: the positive and the negative parts of ``grad`` in log space, each
    pushed through a reversed logcumsumexp (stable for large inputs). Complex: no split is
    needed, the log of conj(grad) goes through it and the result is conjugated back."""
    if grad.dim() == 0 or grad.numel() == 0:
        return grad
    d = wrap_dim(dim, grad.dim())

    def rev(x):
        return x.flip((d,)).logcumsumexp(d).flip((d,))
    if grad.is_complex():
        return (rev(grad.conj_physical().log() - result) + self).exp().conj_physical()
    lowest = float(np.finfo(grad._data.dtype).min)
    from .pointwise import where
    log_abs = grad.abs().log()
    pos = where(grad > 0, log_abs, lowest)
    neg = where(grad < 0, log_abs, lowest)
    return (rev(pos - result) + self).exp() - (rev(neg - result) + self).exp()


logcumsumexp = defop("logcumsumexp(Tensor self, int dim) -> Tensor",
                     contiguous_layout(_logcumsumexp_np),
                     grad={"self": "sel_logcumsumexp_backward(grad, self, result, dim)"})
method("logcumsumexp", logcumsumexp)
FUNCTIONS.append("logcumsumexp")


def _scan_inplace(functional):
    """cumsum_ / cumprod_: the scan in self's dtype (a ``dtype`` argument must be self's,
    else PyTorch's "Bad in-place call"), written into self."""
    from .reduction import cxx_name

    def kernel(a, dim, dtype):
        wrap_dim(dim, a.ndim)
        if dtype is not None and D.to_dtype(dtype).np != a.dtype:
            raise RuntimeError(f"Bad in-place call: input tensor dtype {cxx_name(a.dtype)} and "
                               f"output tensor dtype {cxx_name(D.to_dtype(dtype).np)} should "
                               "match")
        np.copyto(a, functional(a, dim, a.dtype), casting="unsafe")
    return kernel


cumsum_ = defop("cumsum_(Tensor(a!) self, int dim, *, ScalarType? dtype=None) -> Tensor(a!)",
                _scan_inplace(_cumsum_np), grad={"self": "cumsum_backward(grad, dim)"},
                node_name="CumsumBackward0")
cumprod_ = defop("cumprod_(Tensor(a!) self, int dim, *, ScalarType? dtype=None) -> Tensor(a!)",
                 _scan_inplace(_cumprod_np),
                 grad={"self": "cumprod_backward(grad, self, dim, result)"},
                 node_name="CumprodBackward0")
method("cumsum_", lambda self, dim, *, dtype=None: cumsum_(self, dim, dtype=dtype))
method("cumprod_", lambda self, dim, *, dtype=None: cumprod_(self, dim, dtype=dtype))


FORMULA_NS.update(sel_var_mean_backward=var_mean_backward,
                  sel_std_mean_backward=std_mean_backward,
                  sel_logcumsumexp_backward=logcumsumexp_backward)


# ------------------------------------------------------------------------------------------
# scatter_reduce / index_reduce
# ------------------------------------------------------------------------------------------
_REDUCE_UFUNC = {"sum": np.add, "prod": np.multiply, "mean": np.add, "amax": np.fmax,
                 "amin": np.fmin}


def _nan_aware(ufunc):
    """amax/amin propagate NaN (np.maximum does; fmax would drop it)."""
    return {np.fmax: np.maximum, np.fmin: np.minimum}.get(ufunc, ufunc)


def _reduce_into(out, where, vals, reduce, include_self, count_shape_src):
    """Reduce ``vals`` into ``out[where]`` (``where`` a numpy index of ``vals``' shape, with
    repeats); ``include_self=False`` first resets every target to the reduction's identity.
    ``mean`` divides by the number of contributions (plus one with self)."""
    uf = _nan_aware(_REDUCE_UFUNC[reduce])
    hit = np.zeros(out.shape, bool)
    hit[where] = True
    if not include_self:
        if reduce in ("sum", "mean"):
            ident = 0
        elif reduce == "prod":
            ident = 1
        else:
            ident = None
        if ident is not None:
            out[hit] = ident
        else:                     # amax/amin: the first contribution starts each target
            first = np.zeros(out.shape, out.dtype)
            seen = np.zeros(out.shape, bool)
            flat_where = np.ravel_multi_index(where, out.shape)
            flat_vals = vals.reshape(-1)
            order = flat_where.reshape(-1)
            for p, v in zip(order.tolist(), flat_vals):
                if not seen.flat[p]:
                    seen.flat[p] = True
                    first.flat[p] = v
            out[hit] = first[hit]
    uf.at(out, where, vals)
    if reduce == "mean":
        count = np.zeros(out.shape, np.int64)
        np.add.at(count, where, 1)
        if include_self:
            count += 1
        count = np.maximum(count, 1)
        if out.dtype.kind in "iu":
            np.copyto(out, np.floor_divide(out, count).astype(out.dtype))
        else:
            np.copyto(out, (out / count).astype(out.dtype))


def _check_reduce(reduce):
    if reduce not in _REDUCE_UFUNC:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, "
                           f"got {reduce}")


def _scatter_where(a1, d, i1):
    grids = list(np.indices(i1.shape, sparse=True))
    grids[d] = i1.astype(np.intp)
    return tuple(np.broadcast_arrays(*grids))


def _scatter_reduce_plan(a, dim, index, src, reduce):
    from .nn import _scatter_add_check
    _check_reduce(reduce)
    d, i1, s1 = _scatter_add_check(a, dim, index, src)
    return d, i1, s1[tuple(slice(0, n) for n in i1.shape)]


def _scatter_reduce_write(out, d, i1, s1, reduce, include_self):
    from .nn import _as1d
    if i1.size == 0:
        return
    o1 = _as1d(out)
    _reduce_into(o1, _scatter_where(o1, d, i1), s1, reduce, include_self, None)


def _scatter_reduce_np(a, dim, index, src, reduce, include_self):
    d, i1, s1 = _scatter_reduce_plan(a, dim, index, src, reduce)
    out = a.copy()
    _scatter_reduce_write(out, d, i1, s1, reduce, include_self)
    return out


def _scatter_reduce_inplace_np(a, dim, index, src, reduce, include_self):
    d, i1, s1 = _scatter_reduce_plan(a, dim, index, src, reduce)
    check_no_overlap(a, (index, src))
    _scatter_reduce_write(a, d, i1, s1, reduce, include_self)


def _src_used(src, index):
    """The part of ``src`` the index reads (a view: differentiable)."""
    if tuple(src.shape) == tuple(index.shape) or src.dim() == 0:
        return src
    return src[tuple(slice(0, n) for n in index.shape)]


def scatter_reduce_backward(grad, self, dim, index, src, reduce, include_self, result, which,
                            node="ScatterReduceBackward0"):
    """PyTorch's gradients of scatter_reduce, per reduction (``which``: "self" or "src")."""
    from .factories import zeros_like, ones_like
    from .pointwise import where
    s = _src_used(src, index)
    if reduce == "sum":
        gs, gsrc = grad, (grad.gather(dim, index) if which == "src" else None)
    elif reduce == "prod":
        masked_self = self.masked_fill(self == 0, 1)
        gs = grad * masked_self.scatter_reduce(dim, index, s, "prod",
                                               include_self=include_self) / masked_self
        gsrc = None
        if which == "src":
            src_zero = s == 0
            nz = zeros_like(grad).scatter_add(dim, index, src_zero.to(grad.dtype)).gather(
                dim, index)
            if bool((nz > 1).any()):
                raise RuntimeError(
                    "scatter_reduce(): Double backward is unsupported for src when >1 zeros in "
                    "src are scattered to the same position. Hint: perturb the zeros.")
            single = src_zero.logical_and(nz == 1)
            masked_src = s.masked_fill(single, 1)
            msr = self.scatter_reduce(dim, index, masked_src, "prod", include_self=include_self)
            gsrc = where(single, (grad * msr).gather(dim, index),
                         (grad * result).gather(dim, index) / s.masked_fill(src_zero, 1))
    elif reduce == "mean":
        n = ones_like(grad) if include_self else zeros_like(grad)
        n = n.scatter_add(dim, index, ones_like(s))
        n = n.masked_fill(n == 0, 1)
        gs = grad / n
        gsrc = grad.gather(dim, index) / n.gather(dim, index) if which == "src" else None
    else:
        value = result.gather(dim, index)
        self_is = (self == result).to(grad.dtype)
        src_is = (s == value).to(grad.dtype)
        dist = grad / self_is.scatter_add(dim, index, src_is)
        gs = self_is * dist
        gsrc = src_is * dist.gather(dim, index) if which == "src" else None
    if which == "self":
        return gs if include_self else gs.scatter(dim, index, 0.0)
    if tuple(gsrc.shape) != tuple(src.shape):
        raise RuntimeError(
            f"Function {node} returned an invalid gradient at index 1 - got "
            f"{_fmt(gsrc.shape)} but expected shape compatible with {_fmt(src.shape)}")
    return gsrc


_SR_GRAD = {"self": "sel_scatter_reduce_backward(grad, self, dim, index, src, reduce, "
                    "include_self, result, 'self')",
            "src": "sel_scatter_reduce_backward(grad, self, dim, index, src, reduce, "
                   "include_self, result, 'src')"}
scatter_reduce = defop("scatter_reduce.two(Tensor self, int dim, Tensor index, Tensor src, "
                       "str reduce, *, bool include_self=True) -> Tensor", _scatter_reduce_np,
                       grad=_SR_GRAD, node_name="ScatterReduceBackward0")
scatter_reduce_ = defop("scatter_reduce_.two(Tensor(a!) self, int dim, Tensor index, "
                        "Tensor src, str reduce, *, bool include_self=True) -> Tensor(a!)",
                        _scatter_reduce_inplace_np, grad=_SR_GRAD,
                        node_name="ScatterReduceBackward0")
method("scatter_reduce", scatter_reduce)
method("scatter_reduce_", scatter_reduce_)


_INDEX_REDUCE = ("prod", "mean", "amax", "amin")


def _index_reduce_plan(a, dim, index, source, reduce, include_self):
    # (PyTorch's TORCH_WARN_ONCE: once per process)
    warn_once("index_reduce", "index_reduce() is in beta and the API may change at any time.")
    if reduce not in _INDEX_REDUCE:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    if index.ndim > 1:
        raise IndexError(f"index_reduce_(): Index is supposed to be a vector, but got dim: "
                         f"{index.ndim} with type: {short_name(index.dtype)} and size: "
                         f"{_fmt(index.shape)}")
    if index.dtype not in (np.int64, np.int32):
        raise RuntimeError("index_reduce_(): Expected dtype int32/int64 for index")
    d = wrap_dim(dim, a.ndim)
    idx = index.reshape(-1)
    ns = source.shape[d] if source.ndim else 1
    if idx.size != ns:
        raise RuntimeError(f"index_reduce_(): Number of indices ({idx.size}) should be equal "
                           f"to source.size(dim): ({ns}), for dim: {d}")
    if a.dtype != source.dtype:
        raise RuntimeError(f"index_reduce_(): self ({short_name(a.dtype)}) and source "
                           f"({short_name(source.dtype)}) must have the same scalar type")
    a1 = a.reshape(1) if a.ndim == 0 else a
    s1 = source.reshape(1) if source.ndim == 0 else source
    if s1.ndim != a1.ndim or any(s1.shape[k] != a1.shape[k] for k in range(a1.ndim) if k != d):
        raise RuntimeError(f"index_reduce_(): Source/destination tensor must have same slice "
                           f"shapes. Hint: source {_fmt(source.shape)} vs self {_fmt(a.shape)} "
                           f"apart from dimension {d}.")
    if a.dtype == np.bool_ and not include_self:    # PyTorch's kernel fills self first
        raise not_implemented("index_reduce_func_exclude_input_init", a.dtype)
    n = a1.shape[d]
    if idx.size and ((idx < 0) | (idx >= n)).any():
        raise IndexError("index out of range in self")
    if a.dtype == np.bool_ and reduce == "mean" and idx.size:   # its final division
        raise not_implemented("div_floor_cpu", a.dtype)
    return d, idx.astype(np.intp), s1


def _index_reduce_write(out, d, idx, s1, reduce, include_self):
    o1 = out.reshape(1) if out.ndim == 0 else out
    if idx.size == 0:
        return
    shape = s1.shape
    grids = list(np.indices(shape, sparse=True))
    grids[d] = idx.reshape((1,) * d + (-1,) + (1,) * (len(shape) - d - 1))
    where = tuple(np.broadcast_arrays(*grids))
    _reduce_into(o1, where, s1, reduce, include_self, None)


def _index_reduce_np(a, dim, index, source, reduce, include_self):
    d, idx, s1 = _index_reduce_plan(a, dim, index, source, reduce, include_self)
    out = a.copy()
    _index_reduce_write(out, d, idx, s1, reduce, include_self)
    return out


def _index_reduce_inplace_np(a, dim, index, source, reduce, include_self):
    d, idx, s1 = _index_reduce_plan(a, dim, index, source, reduce, include_self)
    check_no_overlap(a, (index, source))
    _index_reduce_write(a, d, idx, s1, reduce, include_self)


def _index_as_scatter(index, dim, shape):
    """The ``scatter`` index that does what ``index`` does along ``dim`` of a tensor shaped
    like the source: index_reduce's gradients are scatter_reduce's."""
    from .factories import tensor as _tensor
    n = len(shape)
    if n == 0:
        return index.reshape(())
    d = wrap_dim(dim, n)
    view = [1] * n
    view[d] = -1
    return index.reshape(tuple(view)).expand(tuple(shape)).to(_tensor(0).dtype)


def index_reduce_backward(grad, self, dim, index, source, reduce, include_self, result, which):
    if source.dim() == 0:
        g = index_reduce_backward(grad.reshape(1) if grad.dim() == 0 else grad,
                                  self.reshape(1) if self.dim() == 0 else self, dim, index,
                                  source.reshape(1), reduce, include_self,
                                  result.reshape(1) if result.dim() == 0 else result, which)
        return g.reshape(()) if which == "src" or self.dim() == 0 else g
    sidx = _index_as_scatter(index, dim, tuple(source.shape))
    return scatter_reduce_backward(grad, self, dim, sidx, source, reduce, include_self, result,
                                   which, "IndexReduceBackward0")


_IR_GRAD = {"self": "sel_index_reduce_backward(grad, self, dim, index, source, reduce, "
                    "include_self, result, 'self')",
            "source": "sel_index_reduce_backward(grad, self, dim, index, source, reduce, "
                      "include_self, result, 'src')"}
index_reduce = defop("index_reduce(Tensor self, int dim, Tensor index, Tensor source, "
                     "str reduce, *, bool include_self=True) -> Tensor", _index_reduce_np,
                     grad=_IR_GRAD)
index_reduce_ = defop("index_reduce_(Tensor(a!) self, int dim, Tensor index, Tensor source, "
                      "str reduce, *, bool include_self=True) -> Tensor(a!)",
                      _index_reduce_inplace_np, grad=_IR_GRAD, node_name="IndexReduceBackward0")
method("index_reduce", index_reduce)
method("index_reduce_", index_reduce_)
FUNCTIONS += ["scatter_reduce", "index_reduce"]
FORMULA_NS.update(sel_scatter_reduce_backward=scatter_reduce_backward,
                  sel_index_reduce_backward=index_reduce_backward)


# ------------------------------------------------------------------------------------------
# index_copy, masked_scatter, put
# ------------------------------------------------------------------------------------------
def _index_copy_plan(a, dim, index, source):
    d = wrap_dim(dim, a.ndim)
    if index.ndim > 1:
        raise IndexError("index_copy_(): Index should have dimension 1 or 0 (got "
                         f"{index.ndim})")
    idx = index.reshape(-1)
    ns = source.shape[d] if source.ndim else 1
    if idx.size != ns:
        raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to "
                         f"source.size(dim) ({ns})")
    if index.dtype != np.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got "
                           f"{short_name(index.dtype)}")
    if a.dtype != source.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, "
                           f"but got (self) {short_name(a.dtype)} and (source) "
                           f"{short_name(source.dtype)}")
    if a.ndim and source.ndim and a.ndim != source.ndim:
        raise IndexError(f"index_copy_(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({source.ndim}), "
                         f"destination dimensionality ({a.ndim})")
    a1 = a.reshape(1) if a.ndim == 0 else a
    s1 = source.reshape(1) if source.ndim == 0 else source
    for k in range(a1.ndim):
        if k != d and s1.shape[k] != a1.shape[k]:
            j = k - (k > d)          # counted among the slice's dims
            raise RuntimeError(f"index_copy_(): Source/destination tensor must have same slice "
                               f"shapes. Destination slice shape: {a1.shape[k]} at dimension "
                               f"{j} and source slice shape: {s1.shape[k]} at dimension {j}.")
    n = a1.shape[d]
    bad = (idx < 0) | (idx >= n)
    if bad.any():
        raise IndexError(f"index_copy_(): index {int(idx[bad][0])} is out of bounds for "
                         f"dimension {d} with size {n}")
    return d, idx.astype(np.intp), s1


def _index_copy_write(out, d, idx, s1):
    o1 = out.reshape(1) if out.ndim == 0 else out
    o1[(slice(None),) * d + (idx,)] = s1


def _index_copy_np(a, dim, index, source):
    d, idx, s1 = _index_copy_plan(a, dim, index, source)
    out = a.copy()
    _index_copy_write(out, d, idx, s1)
    return out


def _index_copy_inplace_np(a, dim, index, source):
    d, idx, s1 = _index_copy_plan(a, dim, index, source)
    check_no_overlap(a, (index, source))
    _index_copy_write(a, d, idx, s1)


def _index_copy_source_grad(grad, dim, index, source_shape):
    g = grad.index_select(dim, index)
    return g.reshape(tuple(source_shape)) if tuple(g.shape) != tuple(source_shape) else g


_IC_GRAD = {"self": "grad.index_fill(dim, index, 0)",
            "source": "sel_index_copy_source_grad(grad, dim, index, source.shape)"}
index_copy = defop("index_copy(Tensor self, int dim, Tensor index, Tensor source) -> Tensor",
                   _index_copy_np, grad=_IC_GRAD)
index_copy_ = defop("index_copy_(Tensor(a!) self, int dim, Tensor index, Tensor source) -> "
                    "Tensor(a!)", _index_copy_inplace_np, grad=_IC_GRAD,
                    node_name="IndexCopyBackward0")
method("index_copy", index_copy)
method("index_copy_", index_copy_)


def _masked_scatter_plan(a, mask, source, inplace):
    if mask.dtype.kind != "b":
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {short_name(mask.dtype)}")
    if a.dtype != source.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but "
                           f"got{short_name(a.dtype)} and {short_name(source.dtype)}")
    if inplace:
        if mask.ndim > a.ndim:
            raise RuntimeError(
                f"expand(CPUBoolType{{{_fmt(mask.shape)}}}, size={_fmt(a.shape)}): the number "
                f"of sizes provided ({a.ndim}) must be greater or equal to the number of "
                f"dimensions in the tensor ({mask.ndim})")
        shape = a.shape
    else:
        shape = a.shape
    try:
        shape = np.broadcast_shapes(shape, mask.shape)
    except ValueError:
        from ._util import broadcast_error
        raise broadcast_error(mask.shape, a.shape) from None
    if inplace and shape != a.shape:
        from ._util import broadcast_error
        raise broadcast_error(a.shape, mask.shape)
    m = np.broadcast_to(mask, shape)
    count = int(m.sum())
    if count > source.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    return m, source.reshape(-1)[:count]


def _masked_scatter_np(a, mask, source):
    m, vals = _masked_scatter_plan(a, mask, source, False)
    out = np.array(np.broadcast_to(a, m.shape))
    out[m] = vals
    return out


def _masked_scatter_inplace_np(a, mask, source):
    m, vals = _masked_scatter_plan(a, mask, source, True)
    check_no_overlap(a, (mask, source))
    a[m] = vals


def masked_scatter_backward(grad, mask, source_shape):
    n = int(np.prod(source_shape, dtype=np.int64))
    sel = grad.masked_select(mask)
    extra = n - sel.numel()
    if extra > 0:
        from .factories import zeros
        from .shape import cat
        sel = cat([sel, zeros((extra,), dtype=grad.dtype)])
    return sel.reshape(tuple(source_shape))


_MS_GRAD = {"self": "grad.masked_fill(mask, 0)",
            "source": "sel_masked_scatter_backward(grad, mask, source_shape)"}
masked_scatter = defop("masked_scatter(Tensor self, Tensor mask, Tensor source) -> Tensor",
                       contiguous_layout(_masked_scatter_np), grad=_MS_GRAD)
masked_scatter_ = defop("masked_scatter_(Tensor(a!) self, Tensor mask, Tensor source) -> "
                        "Tensor(a!)", _masked_scatter_inplace_np, grad=_MS_GRAD,
                        node_name="MaskedScatterBackward0")
method("masked_scatter", masked_scatter)
method("masked_scatter_", masked_scatter_)


def _put_plan(a, index, source):
    if index.dtype != np.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got "
                           f"{short_name(index.dtype)}")
    if a.dtype != source.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {short_name(a.dtype)} and source.dtype = "
                           f"{short_name(source.dtype)}")
    if index.size != source.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of "
                         f"elements, but got source.numel() = {source.size}, index.numel() = "
                         f"{index.size}")
    n = a.size
    idx = index.reshape(-1)
    bad = (idx < -n) | (idx >= n)
    if bad.any():
        raise IndexError(f"out of range: tried to access index {int(idx[bad][0])} on a tensor "
                         f"of {n} elements.")
    return idx.astype(np.intp) % max(n, 1), source.reshape(-1)


def _put_write(out, idx, vals, accumulate):
    flat = out.reshape(-1)          # a view: ``out`` is contiguous here
    if accumulate:
        np.add.at(flat, idx, vals)
    else:
        flat[idx] = vals


def _put_np(a, index, source, accumulate):
    idx, vals = _put_plan(a, index, source)
    out = np.ascontiguousarray(a).copy()
    _put_write(out, idx, vals, accumulate)
    return out


def _put_inplace_np(a, index, source, accumulate):
    idx, vals = _put_plan(a, index, source)
    check_no_overlap(a, (index, source))
    if a.flags.c_contiguous:
        _put_write(a, idx, vals, accumulate)
    else:
        tmp = np.ascontiguousarray(a)
        _put_write(tmp, idx, vals, accumulate)
        np.copyto(a, tmp)


_PUT_GRAD = {"self": "grad if accumulate else grad.put(index, zeros(source_shape, "
                     "dtype=source_dtype), False)",
             "source": "grad.take(index).reshape(source.shape)"}
put = defop("put(Tensor self, Tensor index, Tensor source, bool accumulate=False) -> Tensor",
            keep_layout(_put_np, 0), grad=_PUT_GRAD)   # (laid out like self, as PyTorch's)
put_ = defop("put_(Tensor(a!) self, Tensor index, Tensor source, bool accumulate=False) -> "
             "Tensor(a!)", _put_inplace_np, grad=_PUT_GRAD, node_name="PutBackward0")
method("put", put)
method("put_", put_)
FUNCTIONS += ["index_copy", "masked_scatter", "put"]


# ------------------------------------------------------------------------------------------
# select_scatter, slice_scatter, diagonal_scatter, as_strided_scatter
# ------------------------------------------------------------------------------------------
def _embed(a, src, view_of):
    """A copy of ``a`` with ``view_of(copy)`` overwritten by ``src`` (shapes must agree)."""
    out = a.copy()
    view = view_of(out)
    if view.shape != src.shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size "
                           f"= {_fmt(src.shape)}, slice size = {_fmt(view.shape)}")
    with np.errstate(all="ignore"):
        view[...] = src
    return out


def _select_scatter_np(a, src, dim, index):
    d = wrap_dim(dim, a.ndim)
    if a.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    n = a.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{_fmt(a.shape)} at dimension {d}")
    i = index % n
    return _embed(a, src, lambda o: np.squeeze(o[(slice(None),) * d + (slice(i, i + 1),)], d))


def _slice_scatter_np(a, src, dim, start, end, step):
    d = wrap_dim(dim, a.ndim)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    return _embed(a, src, lambda o: o[(slice(None),) * d + (slice(start, end, step),)])


def _diagonal_scatter_np(a, src, offset, dim1, dim2):
    d1, d2 = wrap_dim(dim1, a.ndim), wrap_dim(dim2, a.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")

    def view_of(o):
        v = np.diagonal(o, offset, d1, d2)
        v.setflags(write=True)
        return v
    return _embed(a, src, view_of)


def _strided_positions(size, stride, offset):
    pos = np.full(tuple(size), int(offset or 0), np.int64)
    for k, (n, s) in enumerate(zip(size, stride)):
        shape = [1] * len(size)
        shape[k] = n
        pos = pos + (np.arange(n, dtype=np.int64) * s).reshape(shape)
    return pos


def _as_strided_scatter_np(a, src, size, stride, storage_offset):
    size, stride = tuple(size), tuple(stride)
    off = int(storage_offset or 0)
    need = off + 1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
    if need > a.size:
        isz = a.itemsize
        raise RuntimeError(f"setStorage: sizes {_fmt(size)}, strides {_fmt(stride)}, storage "
                           f"offset {off}, and itemsize {isz} requiring a storage size of "
                           f"{need * isz} are out of bounds for storage of size {a.size * isz}")
    out = np.ascontiguousarray(a).copy()
    pos = _strided_positions(size, stride, off)
    if pos.shape != src.shape:
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size "
                           f"= {_fmt(src.shape)}, slice size = {_fmt(pos.shape)}")
    with np.errstate(all="ignore"):
        out.reshape(-1)[pos] = src
    return out


def _strided_take(grad, size, stride, storage_offset):
    from .factories import tensor as _tensor
    pos = _tensor(_strided_positions(tuple(size), tuple(stride), storage_offset))
    return grad.reshape(-1).take(pos)


def _strided_keep(grad, size, stride, storage_offset):
    """PyTorch's gradient for ``self`` of as_strided_scatter, as PyTorch computes it: the
    incoming gradient at the *written* positions, zero elsewhere (the positions ``src``
    overwrote, not the ones ``self`` kept — PyTorch's own formula, kept for compatibility)."""
    from .factories import tensor as _tensor, zeros_like
    pos = _tensor(_strided_positions(tuple(size), tuple(stride), storage_offset)).reshape(-1)
    flat = grad.reshape(-1)
    return zeros_like(flat).put(pos, flat.take(pos)).reshape(tuple(grad.shape))


select_scatter = defop(
    "select_scatter(Tensor self, Tensor src, int dim, SymInt index) -> Tensor",
    keep_layout(_select_scatter_np, 0),     # (laid out like self, as PyTorch's)
    grad={"self": "grad.select_scatter(zeros(src_shape, dtype=src_dtype), dim, index)",
          "src": "grad.select(dim, index)"})
slice_scatter = defop(
    "slice_scatter(Tensor self, Tensor src, int dim=0, SymInt? start=None, SymInt? end=None, "
    "SymInt step=1) -> Tensor", keep_layout(_slice_scatter_np, 0),
    grad={"self": "grad.slice_scatter(zeros(src_shape, dtype=src_dtype), dim, start, end, "
                  "step)",
          "src": "slice_of(grad, dim, start, end, step)"})
diagonal_scatter = defop(
    "diagonal_scatter(Tensor self, Tensor src, int offset=0, int dim1=0, int dim2=1) -> Tensor",
    keep_layout(_diagonal_scatter_np, 0),     # (laid out like self, as PyTorch's)
    grad={"self": "grad.diagonal_scatter(zeros(src_shape, dtype=src_dtype), offset, dim1, "
                  "dim2)",
          "src": "grad.diagonal(offset, dim1, dim2)"})
as_strided_scatter = defop(
    "as_strided_scatter(Tensor self, Tensor src, SymInt[] size, SymInt[] stride, "
    "SymInt? storage_offset=None) -> Tensor", _as_strided_scatter_np,
    grad={"self": "sel_strided_keep(grad, size, stride, storage_offset)",
          "src": "sel_strided_take(grad, size, stride, storage_offset)"})
method("select_scatter", select_scatter)
method("slice_scatter", slice_scatter)
method("diagonal_scatter", diagonal_scatter)
method("as_strided_scatter", as_strided_scatter)
FUNCTIONS += ["select_scatter", "slice_scatter", "diagonal_scatter", "as_strided_scatter"]
FORMULA_NS.update(sel_index_copy_source_grad=_index_copy_source_grad,
                  sel_masked_scatter_backward=masked_scatter_backward,
                  sel_strided_take=_strided_take, sel_strided_keep=_strided_keep)


# ------------------------------------------------------------------------------------------
# counting and searching (no gradients)
# ------------------------------------------------------------------------------------------
def _bincount_np(a, weights, minlength):
    if a.ndim != 1 or a.dtype.kind not in "iu" or (a.size and a.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is not None and (weights.ndim != 1 or weights.shape[0] != a.shape[0]):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    n = max(int(a.max()) + 1 if a.size else 0, minlength)
    if weights is None:
        return np.bincount(a, minlength=n).astype(np.int64)
    dt = np.float32 if weights.dtype == np.float32 else np.float64
    return np.bincount(a, weights.astype(np.float64), minlength=n).astype(dt)


def _no_derivative(name):
    """A formula for an op PyTorch has no derivative for (its autograd fallback records a
    ``NotImplemented`` node, whose backward raises)."""
    def formula(grads):
        raise RuntimeError(f"derivative for aten::{name} is not implemented")
    return formula


bincount = defop("bincount(Tensor self, Tensor? weights=None, SymInt minlength=0) -> Tensor",
                 _bincount_np, grad={"weights": _no_derivative("bincount")},
                 node_name="NotImplemented")
method("bincount", lambda self, weights=None, minlength=0: bincount(self, weights, minlength))


def _hist_range(a, lo, hi, name):
    lo, hi = float(lo), float(hi)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"{name}: range of [{lo}, {hi}] is not finite")
    if lo > hi:
        raise RuntimeError(f"{name}: max must be larger than min")
    return lo, hi


def _histc_np(a, bins, min, max):
    if a.dtype.kind == "b":     # (PyTorch's bool path fails first in its linspace)
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    if a.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for "
                                  f"'{short_name(a.dtype)}'")
    if bins <= 0:
        raise RuntimeError("torch.histogram(): bins must be > 0, but got "
                           f"{bins} for dimension 0")
    lo, hi = _hist_range(a, min, max, "torch.histc")
    hist, _ = _histogram_core(a.reshape(-1), bins, lo, hi, None)
    return hist.astype(a.dtype)


def _histogram_core(x, bins, lo, hi, weight):
    """Counts (or weights) per bin with PyTorch's binning: ``(x - lo) * bins / (hi - lo)``
    truncated, the right edge inclusive, values outside [lo, hi] ignored."""
    keep = (x >= lo) & (x <= hi)
    xs = x[keep].astype(np.float64)
    pos = np.floor((xs - lo) * bins / (hi - lo)).astype(np.int64)
    pos = np.minimum(pos, bins - 1)
    w = None if weight is None else weight.reshape(-1)[keep].astype(np.float64)
    return np.bincount(pos, w, minlength=bins)[:bins], keep


histc = defop("histc(Tensor self, int bins=100, Scalar min=0, Scalar max=0) -> Tensor",
              _histc_np)
method("histc", lambda self, bins=100, min=0, max=0: histc(self, bins, min, max))


def _histogram_dtypes(a, bins, range, weight):
    """PyTorch's dtype checks, in its order: with a bin count, the input's min and max when
    no range is given (float32 / float64 only), then the edges made by ``linspace`` in the
    input's dtype (no bool); the edges' and the weight's dtypes; then its kernel's."""
    from .reduction import cxx_name
    if type(bins) is _nd:
        if bins.dtype != a.dtype:
            raise RuntimeError(f"torch.histogramdd: input tensor and bins tensors should have "
                               f"the same dtype, but got input with dtype {cxx_name(a.dtype)} "
                               f"and bins for dimension 0 with dtype {cxx_name(bins.dtype)}")
    else:
        if range is None and a.size and a.dtype not in (np.float32, np.float64):
            raise not_implemented("histogramdd", a.dtype)
        if a.dtype == np.bool_:
            raise not_implemented("linspace_cpu", a.dtype)
    if weight is not None and weight.dtype != a.dtype:
        raise RuntimeError(f"torch.histogramdd: if weight tensor is provided, input tensor and "
                           f"weight tensor should have the same dtype, but got input("
                           f"{cxx_name(a.dtype)}), and weight({cxx_name(weight.dtype)})")
    if a.dtype.kind != "f":
        raise not_implemented("histogram_cpu", a.dtype)


def _histogram_np(a, bins, range, weight, density):
    _histogram_dtypes(a, bins, range, weight)
    if weight is not None and weight.shape != a.shape:
        raise RuntimeError("torch.histogram(): if weight tensor is provided it should have the "
                           "same shape as the input tensor")
    x = a.reshape(-1)
    if type(bins) is _nd:
        edges = bins.astype(a.dtype)
        hist = np.zeros(max(edges.size - 1, 0), np.float64)
        if edges.size > 1:
            w = None if weight is None else weight.reshape(-1).astype(np.float64)
            lo_e, hi_e = edges[0], edges[-1]
            keep = (x >= lo_e) & (x <= hi_e)
            pos = np.searchsorted(edges, x[keep], side="right") - 1
            pos = np.minimum(pos, edges.size - 2)
            hist = np.bincount(pos, None if w is None else w[keep], minlength=edges.size - 1)
    else:
        if bins <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for "
                               "dimension 0")
        lo, hi = (0.0, 0.0) if range is None else (float(range[0]), float(range[1]))
        lo, hi = _hist_range(a, lo, hi, "torch.histogram()") if range is None or lo == hi \
            else (lo, hi)
        edges = np.linspace(lo, hi, bins + 1).astype(a.dtype)
        hist, _ = _histogram_core(x, bins, lo, hi, weight)
    hist = hist.astype(a.dtype)
    if density:
        widths = np.diff(edges).astype(a.dtype)
        total = hist.sum()
        hist = (hist / (total * widths)).astype(a.dtype)
    return hist, np.ascontiguousarray(edges)


_HISTOGRAM_GRAD = _no_derivative("histogram")
histogram_bins = defop("histogram.bin_ct(Tensor self, int bins=100, *, float[]? range=None, "
                       "Tensor? weight=None, bool density=False) -> "
                       "(Tensor hist, Tensor bin_edges)", _histogram_np,
                       grad={"self": _HISTOGRAM_GRAD, "weight": _HISTOGRAM_GRAD},
                       node_name="NotImplemented")
histogram_edges = defop("histogram.bins_tensor(Tensor self, Tensor bins, *, "
                        "Tensor? weight=None, bool density=False) -> "
                        "(Tensor hist, Tensor bin_edges)",
                        lambda a, bins, weight, density: _histogram_np(a, bins, None, weight,
                                                                       density),
                        grad={n: _HISTOGRAM_GRAD for n in ("self", "bins", "weight")},
                        node_name="NotImplemented")
_name_not_implemented("bincount", "histogram.bin_ct", "histogram.bins_tensor")


def _histogram_method(self, bins=100, *, range=None, weight=None, density=False):
    if isinstance(bins, _Tensor):
        r = histogram_edges(self, bins, weight=weight, density=density)
    else:
        r = histogram_bins(self, bins, range=range, weight=weight, density=density)
    return return_types.histogram(*r)


method("histogram", _histogram_method)


def _search_side(right, side):
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites,"
                               " got side of left while right was True")
        return side
    return "right" if right else "left"


def _searchsorted_np(seq, x, out_int32, right, side, sorter):
    side = _search_side(right, side)
    xs = np.asarray(x)
    if seq.ndim > 1 and (xs.ndim != seq.ndim or xs.shape[:-1] != seq.shape[:-1]):
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            "dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {_fmt(seq.shape)} and input value tensor {_fmt(xs.shape)}")
    if sorter is not None:
        if sorter.shape != seq.shape:
            raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same "
                               f"size, but got boundary tensor {_fmt(seq.shape)}and got sorter "
                               f"tensor {_fmt(sorter.shape)}")
        seq = np.take_along_axis(seq, sorter.astype(np.intp), axis=-1)
    dt = np.int32 if out_int32 else np.int64
    if seq.ndim <= 1:
        return np.asarray(np.searchsorted(seq.reshape(-1), xs, side=side), dtype=dt)
    rows = seq.reshape(-1, seq.shape[-1])
    vals = xs.reshape(rows.shape[0], -1)
    out = np.stack([np.searchsorted(r, v, side=side) for r, v in zip(rows, vals)]) \
        if rows.shape[0] else np.zeros(vals.shape, np.int64)
    return out.reshape(xs.shape).astype(dt)


searchsorted_t = defop("searchsorted.Tensor(Tensor sorted_sequence, Tensor self, *, "
                       "bool out_int32=False, bool right=False, str? side=None, "
                       "Tensor? sorter=None) -> Tensor", _searchsorted_np)
searchsorted_s = defop("searchsorted.Scalar(Tensor sorted_sequence, Scalar self, *, "
                       "bool out_int32=False, bool right=False, str? side=None, "
                       "Tensor? sorter=None) -> Tensor", _searchsorted_np)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None, out=None):
    """``torch.searchsorted``: where ``input`` would go in the (last dim of the) sorted
    sequence."""
    if out is not None:
        from .._out import call_with_out
        return call_with_out("searchsorted", searchsorted, (sorted_sequence, input),
                             {"out_int32": out_int32, "right": right, "side": side,
                              "sorter": sorter}, out)
    op = searchsorted_t if isinstance(input, _Tensor) else searchsorted_s
    return op(sorted_sequence, input, out_int32=out_int32, right=right, side=side,
              sorter=sorter)


def _bucketize_np(x, boundaries, out_int32, right):
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries.ndim})")
    return _searchsorted_np(boundaries, x, out_int32, right, None, None)


bucketize_t = defop("bucketize.Tensor(Tensor self, Tensor boundaries, *, bool out_int32=False, "
                    "bool right=False) -> Tensor", _bucketize_np)
bucketize_s = defop("bucketize.Scalar(Scalar self, Tensor boundaries, *, bool out_int32=False, "
                    "bool right=False) -> Tensor", _bucketize_np)


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """``torch.bucketize``: the bucket of each element given 1-d ``boundaries``."""
    if out is not None:
        from .._out import call_with_out
        return call_with_out("bucketize", bucketize, (input, boundaries),
                             {"out_int32": out_int32, "right": right}, out)
    op = bucketize_t if isinstance(input, _Tensor) else bucketize_s
    return op(input, boundaries, out_int32=out_int32, right=right)


def _isin_np(a, b, assume_unique, invert):
    for x in (a, b):    # PyTorch's kernel has no bool / complex version (a Scalar: its type)
        dt = np.asarray(x).dtype
        if dt == np.bool_ or dt.kind == "c":
            raise RuntimeError(f"Unsupported input type encountered for isin(): "
                               f"{short_name(dt)}")
    return np.asarray(np.isin(np.asarray(a), np.asarray(b), invert=invert))


isin_tt = defop("isin.Tensor_Tensor(Tensor elements, Tensor test_elements, *, "
                "bool assume_unique=False, bool invert=False) -> Tensor", _isin_np)
isin_ts = defop("isin.Tensor_Scalar(Tensor elements, Scalar test_element, *, "
                "bool assume_unique=False, bool invert=False) -> Tensor", _isin_np)
isin_st = defop("isin.Scalar_Tensor(Scalar element, Tensor test_elements, *, "
                "bool assume_unique=False, bool invert=False) -> Tensor", _isin_np)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """``torch.isin``: whether each element occurs in ``test_elements``."""
    if isinstance(elements, _Tensor):
        op = isin_tt if isinstance(test_elements, _Tensor) else isin_ts
    elif isinstance(test_elements, _Tensor):
        op = isin_st
    else:
        raise TypeError("isin() received an invalid combination of arguments - got (" +
                        f"{type(elements).__name__}, {type(test_elements).__name__}). Hint: "
                        "pass a tensor as elements or test_elements.")
    return op(elements, test_elements, assume_unique=assume_unique, invert=invert)


def _unique_consecutive_np(a, return_inverse, return_counts, dim):
    """(without a dim PyTorch returns empty tensors for the inverse / counts not asked for)"""
    out, inverse, counts = _unique_consecutive_all(a, dim)
    if dim is not None:
        return out, inverse, counts
    none = np.zeros(0, np.int64)
    return out, inverse if return_inverse else none, counts if return_counts else none


def _unique_consecutive_all(a, dim):
    if dim is None:
        flat = a.reshape(-1)
        if flat.size == 0:
            starts = np.zeros(0, bool)
        else:
            starts = np.concatenate([[True], flat[1:] != flat[:-1]])
        out = flat[starts]
        groups = np.cumsum(starts) - 1
        inverse = groups.reshape(a.shape).astype(np.int64)
        counts = np.diff(np.append(np.flatnonzero(starts), flat.size)).astype(np.int64)
        return out.copy(), inverse, counts
    d = wrap_dim(dim, a.ndim)
    m = np.moveaxis(a, d, 0)
    n = m.shape[0]
    if n == 0:
        return a.copy(), np.zeros(0, np.int64), np.zeros(0, np.int64)
    flat = m.reshape(n, -1)
    starts = np.concatenate([[True], (flat[1:] != flat[:-1]).any(axis=1)])
    out = np.moveaxis(m[starts], 0, d).copy()
    inverse = (np.cumsum(starts) - 1).astype(np.int64)
    counts = np.diff(np.append(np.flatnonzero(starts), n)).astype(np.int64)
    return np.ascontiguousarray(out), inverse, counts


def _unique_consecutive_no_derivative(grads):
    raise NotImplementedError("the derivative for 'unique_consecutive' is not implemented.")


# (as _unique2: PyTorch's node on the values raises; inverse and counts not differentiable)
unique_consecutive_op = defop("unique_consecutive(Tensor self, bool return_inverse=False, "
                              "bool return_counts=False, int? dim=None) -> "
                              "(Tensor, Tensor, Tensor)", _unique_consecutive_np,
                              grad={"self": _unique_consecutive_no_derivative},
                              node_name="UniqueConsecutiveBackward0",
                              output_differentiability=[True, False, False])


def _unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
    out, inv, cnt = unique_consecutive_op(self, return_inverse, return_counts, dim)
    res = (out,) + ((inv,) if return_inverse else ()) + ((cnt,) if return_counts else ())
    return res[0] if len(res) == 1 else res


method("unique_consecutive", _unique_consecutive)
FUNCTIONS += ["bincount", "histc", "histogram", "unique_consecutive"]
TOPLEVEL.update(searchsorted=searchsorted, bucketize=bucketize, isin=isin)


# ------------------------------------------------------------------------------------------
# renorm, fill_diagonal_
# ------------------------------------------------------------------------------------------
def _renorm_factor(a, p, dim, maxnorm):
    # (PyTorch's order: the arguments, the dim, then the dtype, refused by the norm it takes)
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if a.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {a.ndim} dimensions")
    d = wrap_dim(dim, a.ndim)
    if a.dtype.kind not in "fc":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {short_name(a.dtype)}")
    axes = tuple(k for k in range(a.ndim) if k != d)
    x = np.abs(a.astype(np.float64))
    if math.isinf(p):
        norm = x.max(axis=axes, keepdims=True, initial=0.0)
    else:
        norm = (x ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)
    return np.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)


def _renorm_np(a, p, dim, maxnorm):
    return (a * _renorm_factor(a, p, dim, maxnorm)).astype(a.dtype)


def _renorm_inplace_np(a, p, dim, maxnorm):
    r = _renorm_np(a, p, dim, maxnorm)
    np.copyto(a, r)


def renorm_backward(grad, self, p, dim, maxnorm):
    """PyTorch's formula: ``factor * grad - factor / (norm + eps) * d norm`` on the slices
    that were rescaled, ``grad`` elsewhere."""
    from .pointwise import where
    from .reduction import norm_backward
    d = wrap_dim(dim, self.dim())
    dims = tuple(k for k in range(self.dim()) if k != d)
    norm = self.norm(p, dims, keepdim=True)
    if self.dtype.is_complex:   # (the real part of conj(self) * grad: norm's real gradient)
        g = (self.conj_physical() * grad).real.sum(dims, keepdim=True)
    else:
        g = (self * grad).sum(dims, keepdim=True)
    nb = norm_backward(g, self, p, dims, True, norm)
    inv = (norm + 1e-7).reciprocal()
    factor = inv * maxnorm
    return where(norm > maxnorm, factor * grad - (factor * inv) * nb, grad)


_RENORM_GRAD = {"self": "sel_renorm_backward(grad, self, p, dim, maxnorm)"}
renorm = defop("renorm(Tensor self, Scalar p, int dim, Scalar maxnorm) -> Tensor",
               contiguous_layout(_renorm_np),
               grad=_RENORM_GRAD)
renorm_ = defop("renorm_(Tensor(a!) self, Scalar p, int dim, Scalar maxnorm) -> Tensor(a!)",
                _renorm_inplace_np, grad=_RENORM_GRAD, node_name="RenormBackward0")
method("renorm", renorm)
method("renorm_", renorm_)
FUNCTIONS.append("renorm")


def _diagonal_positions(shape, wrap):
    nd = len(shape)
    if nd < 2:
        raise RuntimeError("dimensions must larger than 1")
    if nd > 2 and len(set(shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    if nd == 2 and wrap and shape[0] > shape[1] + 1:
        rows, cols = shape
        flat = np.arange(0, rows * cols, cols + 1)
        return flat // cols, flat % cols
    k = np.arange(min(shape))
    return (k,) * nd


def _fill_diagonal(self, fill_value, wrap=False):
    """PyTorch's composite: ``fill_`` through a strided view of the diagonal (and, with
    ``wrap`` on a tall matrix, of the diagonals below it), so a non-leaf records
    CopySlices."""
    shape = tuple(self.shape)
    where = _diagonal_positions(shape, wrap)    # (PyTorch's shape checks)
    if not self.is_contiguous():
        # our as_strided needs a contiguous root: write the same positions with index_put_
        from .factories import tensor as _tensor
        from .indexing import index_put_
        value = _tensor(fill_value, dtype=self.dtype)
        return index_put_(self, [_tensor(w.astype(np.int64)) for w in where], value)
    st = self.stride()
    n = min(shape)
    off = self.storage_offset()
    self.as_strided((n,), (sum(st),), off).fill_(fill_value)
    if wrap and len(shape) == 2 and shape[0] > shape[1] + 1:
        step = shape[1] + 1
        extra = (self.numel() + step - 1) // step - n
        if extra > 0:
            self.as_strided((extra,), (sum(st),), off + st[0] * step).fill_(fill_value)
    return self


fill_diagonal_ = defop("fill_diagonal_(Tensor(a!) self, Scalar fill_value, bool wrap=False) -> "
                       "Tensor(a!)", composite=_fill_diagonal)
method("fill_diagonal_", lambda self, fill_value, wrap=False: fill_diagonal_(
    self, fill_value, wrap))


# ------------------------------------------------------------------------------------------
# h/v/dsplit, unsafe_split / unsafe_chunk / unsafe_split_with_sizes
# ------------------------------------------------------------------------------------------
def _nsplit(name, min_dims, dim_of):
    def fn(self, indices_or_sections, *more):
        if more:               # t.hsplit(1, 2): the sections as separate arguments
            indices_or_sections = (indices_or_sections,) + more
        nd = self.dim()
        if nd < min_dims:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} "
                               f"dimension, but got a tensor with {nd} dimensions!")
        d = dim_of(nd)
        if isinstance(indices_or_sections, (int, np.integer)):
            n, k = self.shape[d], int(indices_or_sections)
            if k != 0 and n % k != 0:
                raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but "
                                   f"the size of the dimension {n} is not divisible by the "
                                   f"split_size {k}!")
            return self.tensor_split(k, d)
        return self.tensor_split(list(indices_or_sections), d)
    fn.__name__ = fn.__qualname__ = name
    return fn


method("hsplit", _nsplit("hsplit", 1, lambda nd: 1 if nd > 1 else 0))
method("vsplit", _nsplit("vsplit", 2, lambda nd: 0))
method("dsplit", _nsplit("dsplit", 3, lambda nd: 2))


def _views_mod():
    from . import views
    return views


# Note [unsafe_split aliases]: PyTorch's unsafe_split / unsafe_split_with_sizes are split
# without the view tracking: the pieces share the input's memory (strides and storage offsets
# as split's), but are not autograd views (no _base, a version counter each, the input's key
# set: an inference input gives inference pieces) and get UnsafeSplitBackward0. In inference
# mode, on a normal input, its kernel meets the view tracking it otherwise skips: the pieces
# are split's views there, each with a fresh version counter.
def _unsafe_pieces(np_kernel):
    """CPU kernel ``(ks, self, *rest)``: the pieces, aliasing ``self``'s memory."""
    def cpu(ks, self, *rest):
        a = self._data
        start, off0 = a.__array_interface__["data"][0], self.storage_offset()
        outs = []
        for piece in np_kernel(a, *rest):
            t = T.wrap_like_keys(piece, self)
            off = off0 + (piece.__array_interface__["data"][0] - start) // max(a.itemsize, 1)
            if off:
                t._extra = {"storage_offset": off}
            outs.append(t)
        return outs
    return cpu


def _unsafe_pieces_aiov(name, view_op):
    from dispatch.record import current_record
    from dispatch import keys

    def aiov(ks, self, *rest):
        if current_record()[3]:         # inference mode: split's views, counters of their own
            outs = list(view_op(self, *rest))
            for t in outs:
                t._vc = [0, None]
            return outs
        return OPS[name].redispatch(ks & keys.ADInplaceOrView.below_mask, self, *rest)
    return aiov


def _declare_unsafe(schema, np_kernel, view_op, grad):
    from .._defop import LIB
    op = defop(schema, np_kernel, grad=grad)
    name = schema.split("(", 1)[0]
    LIB._impl_raw(name, _unsafe_pieces(np_kernel), "CPU")
    LIB._impl_raw(name, _unsafe_pieces_aiov(f"aten::{name}", view_op), "ADInplaceOrView")
    return op


unsafe_split = _declare_unsafe(
    "unsafe_split.Tensor(Tensor self, SymInt split_size, int dim=0) -> Tensor[]",
    _views_mod()._split_np, _views_mod().split,
    {"self": "split_backward(grads, self_shape, dim, self_dtype, [int(g.shape[dim]) if g is "
             "not None else None for g in grads], split_size)"})
unsafe_split_with_sizes = _declare_unsafe(
    "unsafe_split_with_sizes(Tensor self, SymInt[] split_sizes, int dim=0) -> Tensor[]",
    _views_mod()._split_sizes_np, _views_mod().split_with_sizes,
    {"self": "split_backward(grads, self_shape, dim, self_dtype, list(split_sizes), None)"})


def _unsafe_chunk(self, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    if self.dim() == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    n = self.shape[wrap_dim(dim, self.dim())]
    return tuple(unsafe_split(self, -(-n // chunks) if n else 1, dim))


method("unsafe_split", lambda self, split_size, dim=0: tuple(unsafe_split(self, split_size, dim)))
method("unsafe_split_with_sizes", lambda self, split_sizes, dim=0: tuple(
    unsafe_split_with_sizes(self, list(split_sizes), dim)))
method("unsafe_chunk", _unsafe_chunk)
FUNCTIONS += ["hsplit", "vsplit", "dsplit", "unsafe_split", "unsafe_split_with_sizes",
              "unsafe_chunk"]


# ------------------------------------------------------------------------------------------
# index utilities: unravel_index, tril/triu_indices, combinations, nonzero_static
# ------------------------------------------------------------------------------------------
def unravel_index(indices, shape):
    """``torch.unravel_index``: the coordinates of flat ``indices`` in a tensor of ``shape``."""
    if not isinstance(indices, _Tensor):
        from .factories import tensor as _tensor
        indices = _tensor(indices)
    a = indices._data
    if a.dtype.kind not in "iu":
        raise TypeError("expected 'indices' to be integer dtype, but got "
                        f"{indices.dtype}")
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in
                                                                          shape)
    if any(s < 0 for s in shape):
        raise ValueError("'shape' cannot have negative values, but got " + str(shape))
    n = int(np.prod(shape, dtype=np.int64))
    # (PyTorch does not check the range: indices are taken modulo the number of elements)
    coords = np.unravel_index(a.astype(np.int64) % max(n, 1), shape) if shape and n else ()
    return tuple(T.wrap(np.asarray(c, dtype=np.int64)) for c in coords)


def _tri_indices(lower):
    def fn(row, col, offset=0, *, dtype=None, device=None, layout=None, pin_memory=False):
        dt = np.dtype(np.int64) if dtype is None else D.to_dtype(dtype).np
        if dt.kind not in "iu":
            raise RuntimeError(f"\"{'tril' if lower else 'triu'}_indices\" not implemented for "
                               f"'{short_name(dt)}'")
        if row < 0 or col < 0:
            raise RuntimeError(f"row must be non-negative, got{row}" if row < 0 else
                               f"col must be non-negative, got{col}")
        r, c = (np.tril_indices if lower else np.triu_indices)(row, offset, col)
        return T.wrap(np.stack([r, c]).astype(dt).reshape(2, -1))
    fn.__name__ = fn.__qualname__ = "tril_indices" if lower else "triu_indices"
    return fn


def combinations(input, r=2, with_replacement=False):
    """``torch.combinations``: the r-length combinations of a 1-d tensor's elements."""
    import itertools
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {_fmt(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return T.wrap(np.zeros((0,), input._data.dtype))
    gen = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    idx = np.array(list(gen(range(input.shape[0]), r)), np.int64).reshape(-1, r)
    if idx.shape[0] == 0:
        return T.wrap(np.zeros((0, r), input._data.dtype))
    from .shape import stack
    return stack([input[T.wrap(idx[:, k].copy())] for k in range(r)], 1)


def _nonzero_static(self, *, size, fill_value=-1):
    if size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, but got "
                           f"{size}")
    nz = np.argwhere(self._data).astype(np.int64)
    out = np.full((size, max(self._data.ndim, 0)), fill_value, np.int64)
    k = min(size, nz.shape[0])
    out[:k] = nz[:k]
    return T.wrap(out)


method("nonzero_static", _nonzero_static)
FUNCTIONS.append("nonzero_static")
TOPLEVEL.update(unravel_index=unravel_index, tril_indices=_tri_indices(True),
                triu_indices=_tri_indices(False), combinations=combinations)


# ------------------------------------------------------------------------------------------
# is_same_size, new_empty_strided, resize_ / resize_as_, apply_ / map_
# ------------------------------------------------------------------------------------------
method("is_same_size", lambda self, other: tuple(self.shape) == tuple(other.shape))
FUNCTIONS.append("is_same_size")


_U64 = 1 << 64


def _storage_overflows(size, stride, itemsize):
    """PyTorch's check of the memory a strided tensor spans: ``1 + sum((n - 1) * stride)``
    elements, in unsigned 64-bit arithmetic (a negative stride wraps to a huge one), times the
    item size, must not pass int64's largest value. An empty tensor spans nothing."""
    if 0 in size:
        return False
    span, over = 1, False
    for n, st in zip(size, stride):
        step = (st % _U64) * (n - 1)
        span += step % _U64
        over |= step >= _U64 or span >= _U64
        span %= _U64
    return over or span * itemsize >= _U64 >> 1


def _new_empty_strided(self, size=None, stride=None, *, dtype=None, device=None,
                       requires_grad=False, layout=None, pin_memory=False):
    from .factories import _negative, size_type_error
    if stride is None:
        raise TypeError('new_empty_strided() missing 1 required positional arguments: '
                        f'"{"size" if size is None else "stride"}"')
    for arg, pos, value in (("size", 1, size), ("stride", 2, stride)):
        err = size_type_error("new_empty_strided", (value,), arg=arg, pos=pos, seq_only=True)
        if err is not None:
            raise err
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    err = _negative(size)
    if err is not None:
        raise err
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality "
                           f"of strides ({len(stride)})")
    dt = self._data.dtype if dtype is None else D.to_dtype(dtype).np
    if _storage_overflows(size, stride, dt.itemsize):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}")
    if requires_grad and dt.kind not in "fc":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    span = 1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
    buf = np.zeros(span, dt)
    arr = np.lib.stride_tricks.as_strided(buf, size, tuple(s * buf.itemsize for s in stride))
    t = T.wrap(arr)
    if requires_grad:
        t.requires_grad_()
    return t


method("new_empty_strided", _new_empty_strided)


def _check_resize(shape, itemsize):
    """PyTorch's checks of a new shape for ``resize_``: the element count (sizes multiplied
    as unsigned 64-bit numbers, so a negative size overflows unless another is 0), then the
    bytes that many elements take."""
    from .factories import _numel_overflows
    if _numel_overflows(shape):
        raise RuntimeError("numel: integer multiplication overflow")
    if any(n < 0 for n in shape):
        raise RuntimeError(f"resize_: the shape {list(shape)} has a negative size, which "
                           "PyTorch accepts when another size is 0 and tensorkeys cannot "
                           "represent. Hint: use 0 for every empty dim.")
    if math.prod(shape) * itemsize >= _U64 >> 1:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(shape)}")


def _resize(self, *sizes, memory_format=None):
    """``resize_``: keep the first elements (row-major), pad with zeros when growing (PyTorch
    leaves the new memory uninitialised). The tensor gets new memory, so views of it taken
    before no longer share it. Hint-worthy limits are refused like PyTorch."""
    from .._defop import _requires_grad
    if len(sizes) == 1 and isinstance(sizes[0], (list, tuple)):
        sizes = sizes[0]
    shape = tuple(int(s) for s in sizes)
    if _requires_grad(self):
        raise RuntimeError("cannot resize variables that require grad")
    if self._vc is None:
        from modes import is_inference_mode_enabled
        if not is_inference_mode_enabled():
            from ..errors import inplace_inference_error
            raise inplace_inference_error(self)
    _check_resize(shape, self._data.itemsize)
    if shape == tuple(self._data.shape):
        return self
    n = int(np.prod(shape, dtype=np.int64))
    flat = self._data.reshape(-1)
    new = np.zeros(n, self._data.dtype)
    k = min(n, flat.size)
    new[:k] = flat[:k]
    self._data = new.reshape(shape)
    if self._vc is not None:
        self._vc[0] += 1
    return self


method("resize_", _resize)
method("resize_as_", lambda self, the_template, *, memory_format=None: _resize(
    self, tuple(the_template.shape)))
TOPLEVEL["resize_as_"] = lambda input, the_template, *, memory_format=None: _resize(
    input, tuple(the_template.shape))


def _apply(self, callable):
    """``apply_``: replace every element by ``callable(element)`` (a Python function; PyTorch
    runs it on CPU tensors only, and so does this, since every tensor here is on the CPU)."""
    from .._defop import _requires_grad
    if _requires_grad(self):
        raise RuntimeError("Can't call apply_() on Variable that requires grad. Use "
                           "var.detach().apply_() instead.")
    a = self._data
    vals = [callable(v) for v in a.reshape(-1).tolist()]
    a[...] = np.asarray(vals, dtype=a.dtype).reshape(a.shape) if vals else a
    return self


def _map(self, tensor, callable):
    """``map_``: ``self[i] = callable(self[i], tensor[i])`` with ``tensor`` broadcast."""
    from .._defop import _requires_grad
    if _requires_grad(self):
        raise RuntimeError("Can't call map_() on Variable that requires grad. Use "
                           "var.detach().map_() instead.")
    a = self._data
    b = np.broadcast_to(tensor._data, a.shape)
    vals = [callable(x, y) for x, y in zip(a.reshape(-1).tolist(), b.reshape(-1).tolist())]
    if vals:
        a[...] = np.asarray(vals, dtype=a.dtype).reshape(a.shape)
    return self


method("apply_", _apply)
method("map_", _map)
FORMULA_NS.update(sel_renorm_backward=renorm_backward)
