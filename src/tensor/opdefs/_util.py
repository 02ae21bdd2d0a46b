"""Helpers for numpy kernels: PyTorch's promotion on unwrapped operands, its error texts."""

from __future__ import annotations

import numpy as np

from .. import _dtype as D

_nd = np.ndarray
_BY_NP = D._BY_NP


def np_result_type(*xs) -> np.dtype:
    """PyTorch's result dtype for unwrapped operands: arrays with dims, 0-d arrays (0-dim
    tensors) and Python numbers form the three tiers of Note [Promotion is PyTorch's]."""
    if len(xs) == 2:
        a, b = xs
        if type(a) is _nd and type(b) is _nd and a.dtype == b.dtype:
            return a.dtype            # the common case: same dtype, no promotion
    dim_t = zero_t = num = None
    for x in xs:
        if type(x) is _nd:
            d = _BY_NP[x.dtype]
            if x.ndim:
                dim_t = d if dim_t is None else D._PROMO[(dim_t, d)]
            else:
                zero_t = d if zero_t is None else D._PROMO[(zero_t, d)]
        elif x is None:
            continue
        else:
            d = D._scalar_dtype(x)
            num = d if num is None else D._PROMO[(num, d)]
    res = dim_t
    if zero_t is not None and (res is None or zero_t.category > res.category):
        res = zero_t
    if num is not None and (res is None or num.category > res.category):
        res = D._number_default(num)
    return res.np


def broadcast_error(*shapes):
    """PyTorch's text for shapes that do not broadcast (the rightmost clash)."""
    a, b = shapes[0], shapes[1] if len(shapes) > 1 else ()
    nd = max(len(a), len(b))
    pa = (1,) * (nd - len(a)) + tuple(a)
    pb = (1,) * (nd - len(b)) + tuple(b)
    for i in range(nd - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return RuntimeError(
                f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) at "
                f"non-singleton dimension {i}. Hint: shapes {list(a)} and {list(b)} do not "
                "broadcast; reshape or unsqueeze one of them.")
    return RuntimeError(f"shapes {list(a)} and {list(b)} cannot be broadcast together")


def shape_of(x):
    return x.shape if type(x) is _nd else ()


def check_inplace_result(self_arr, res_shape, res_dtype):
    """Before an in-place write: the result must fit ``self`` and be castable to its dtype."""
    if tuple(res_shape) != self_arr.shape:
        raise RuntimeError(
            f"output with shape [{', '.join(map(str, self_arr.shape))}] doesn't match the "
            f"broadcast shape [{', '.join(map(str, res_shape))}]. Hint: an in-place op cannot "
            "grow its tensor; use the out-of-place op.")
    rd = _BY_NP[np.dtype(res_dtype)]
    sd = _BY_NP[self_arr.dtype]
    if rd.category > sd.category:
        raise RuntimeError(
            f"result type {rd.short} can't be cast to the desired output type {sd.short}. "
            "Hint: convert the tensor first (e.g. t = t.float()) or use the out-of-place op.")


def wrap_dim(dim, ndim):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


def dims_arg(dim, ndim):
    """Normalise a ``dim`` argument (None, int or list) to a tuple of non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        return (wrap_dim(int(dim), ndim),)
    if len(dim) == 0:
        return tuple(range(ndim))
    return tuple(sorted(wrap_dim(int(d), ndim) for d in dim))


try:                                   # numpy >= 2 moved it
    from numpy.lib.array_utils import byte_bounds as _byte_bounds
except ImportError:                    # pragma: no cover - numpy 1.x
    _byte_bounds = np.byte_bounds


def _non_overlapping_and_dense(a) -> bool:
    """Strides that lay the elements out densely, in some order of the dims."""
    if a.size <= 1:
        return True
    dims = sorted((st, n) for n, st in zip(a.shape, a.strides) if n != 1)
    expected = a.itemsize
    for st, n in dims:
        if st != expected:
            return False
        expected *= n
    return True


def check_no_overlap(out, inputs):
    """PyTorch's memory-overlap rules for a written tensor, checked before anything else:
    the written tensor may not have elements that share memory (an ``expand``-ed view), and an
    input may not *partly* overlap it (exactly the same memory is fine)."""
    if out.size and any(st == 0 and n > 1 for n, st in zip(out.shape, out.strides)):
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the "
            "operation.")
    if not _non_overlapping_and_dense(out) or out.size == 0:
        return
    lo = out.__array_interface__["data"][0]
    hi = lo + out.size * out.itemsize
    for b in inputs:
        if type(b) is not _nd or b is out or b.size == 0 or not _non_overlapping_and_dense(b):
            continue
        blo = b.__array_interface__["data"][0]
        bhi = blo + b.size * b.itemsize
        # the same memory with the same layout is a full overlap, which is allowed
        same = blo == lo and bhi == hi and b.strides == out.strides
        if blo < hi and lo < bhi and not same:
            raise RuntimeError(
                "unsupported operation: some elements of the input tensor and the written-to "
                "tensor refer to a single memory location. Please clone() the tensor before "
                "performing the operation.")
