"""Ops that derivative formulas use: each builds a gradient shaped like an op's input and is
itself differentiable (so higher-order gradients work)."""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .. import _tensor as T
from .._defop import defop, method, FORMULA_NS
from ._util import wrap_dim


def _sum_to_np(a, size):
    size = tuple(size)
    if a.shape == size:
        return a.copy()
    lead = a.ndim - len(size)
    if lead < 0:
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size "
                           f"{{{list(a.shape)}}}.")
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(size)
                                      if s == 1 and a.shape[lead + i] != 1)
    r = a.sum(axis=axes, keepdims=True) if axes else a
    if lead:
        r = r.reshape(r.shape[lead:])
    if r.shape != size:
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size "
                           f"{{{list(a.shape)}}}.")
    return np.asarray(r, dtype=a.dtype)


sum_to_size = defop("sum_to_size(Tensor self, SymInt[] size) -> Tensor", _sum_to_np,
                    grad={"self": "grad.expand(self_shape)"})
method("sum_to_size", lambda self, *size: sum_to_size(
    self, tuple(size[0]) if len(size) == 1 and isinstance(size[0], (list, tuple)) else size))


def _select_bw_np(grad, shape, dim, index):
    z = np.zeros(tuple(shape), grad.dtype)
    idx = [slice(None)] * len(shape)
    d = wrap_dim(dim, len(shape))
    idx[d] = index % shape[d]
    z[tuple(idx)] = grad
    return z


select_backward = defop("select_backward(Tensor grad_output, SymInt[] input_sizes, int dim, "
                        "SymInt index) -> Tensor", _select_bw_np,
                        grad={"grad_output": "grad.select(dim, index)"})


def _slice_bw_np(grad, shape, dim, start, end, step):
    z = np.zeros(tuple(shape), grad.dtype)
    idx = [slice(None)] * len(shape)
    idx[wrap_dim(dim, len(shape))] = slice(start, end, step)
    z[tuple(idx)] = grad
    return z


slice_backward = defop("slice_backward(Tensor grad_output, SymInt[] input_sizes, int dim, "
                       "SymInt? start, SymInt? end, SymInt step) -> Tensor", _slice_bw_np,
                       grad={"grad_output": "slice_of(grad, dim, start, end, step)"})


def _diag_bw_np(grad, shape, offset, d1, d2):
    z = np.zeros(tuple(shape), grad.dtype)
    d1, d2 = wrap_dim(d1, len(shape)), wrap_dim(d2, len(shape))
    view = np.diagonal(z, offset, d1, d2)
    view.setflags(write=True)
    view[...] = grad
    return z


diagonal_backward = defop("diagonal_backward(Tensor grad_output, SymInt[] input_sizes, "
                          "int offset, int dim1, int dim2) -> Tensor", _diag_bw_np,
                          grad={"grad_output": "grad.diagonal(offset, dim1, dim2)"})


def _unfold_bw_np(grad, shape, dim, size, step):
    z = np.zeros(tuple(shape), grad.dtype)
    d = wrap_dim(dim, len(shape))
    cnt = grad.shape[d]
    for i in range(cnt):
        idx = [slice(None)] * len(shape)
        idx[d] = slice(i * step, i * step + size)
        src = np.take(grad, i, axis=d)          # (..., size) with dim d removed
        src = np.moveaxis(src, -1, d)
        z[tuple(idx)] += src
    return z


unfold_backward = defop("unfold_backward(Tensor grad_in, SymInt[] input_sizes, int dim, "
                        "int size, int step) -> Tensor", _unfold_bw_np,
                        grad={"grad_in": "grad.unfold(dim, size, step)"})


def _as_strided_bw(grad, self, size, stride, storage_offset):
    """Scatter-add ``grad`` into a zero gradient laid out like ``self``'s storage."""
    a = self._data
    out = np.zeros(a.shape, grad._data.dtype)
    v = np.lib.stride_tricks.as_strided(
        out.reshape(-1)[(storage_offset or 0):], shape=tuple(size),
        strides=tuple(s * out.itemsize for s in stride))
    idx = np.lib.stride_tricks.as_strided(
        np.arange(out.size).reshape(-1)[(storage_offset or 0):], shape=tuple(size),
        strides=tuple(s * 8 for s in stride))
    flat = out.reshape(-1)
    np.add.at(flat, idx.reshape(-1), grad._data.reshape(-1))
    del v
    return T.wrap(out)


def unbind_backward(grads, shape, dim, dtype):
    from .shape import stack
    from .factories import zeros
    parts = [g if g is not None else zeros(tuple(s for i, s in enumerate(shape)
                                                if i != wrap_dim(dim, len(shape))), dtype=dtype)
             for g in grads]
    return stack(parts, dim)


def split_backward(grads, shape, dim, dtype, sizes, split_size):
    from .shape import cat
    from .factories import zeros
    d = wrap_dim(dim, len(shape))
    n = shape[d]
    if split_size is not None:
        sizes = [split_size] * (n // split_size) + ([n % split_size] if n % split_size else [])
    parts = []
    for g, s in zip(grads, sizes):
        if g is None:
            shp = list(shape)
            shp[d] = s
            g = zeros(tuple(shp), dtype=dtype)
        parts.append(g)
    return cat(parts, d)


def inverse_permutation(dims, nd):
    dims = [d % nd for d in dims]
    inv = [0] * nd
    for i, d in enumerate(dims):
        inv[d] = i
    return tuple(inv)


def slice_of(t, dim, start, end, step):
    from .views import slice_
    return slice_(t, dim, start, end, step)


def clamp_mask(x, lo, hi):
    m = None
    if lo is not None:
        m = x >= lo
    if hi is not None:
        m2 = x <= hi
        m = m2 if m is None else m.logical_and(m2)
    return m


def minmax_mask(x, y, first, lt=False):
    """Where ``x`` wins the max (or min) against ``y``; ties split the gradient evenly."""
    win = (x < y) if lt else (x > y)
    tie = x == y
    return win + tie * 0.5


def gelu_derivative(x, approximate):
    import math
    if approximate == "tanh":
        k = math.sqrt(2 / math.pi)
        inner = k * (x + 0.044715 * x * x * x)
        t = inner.tanh()
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x)
    cdf = 0.5 * (1 + (x * (1 / math.sqrt(2))).erf())
    pdf = (-0.5 * x * x).exp() * (1 / math.sqrt(2 * math.pi))
    return cdf + x * pdf


def scalar_tensor_like(v, meta):
    shape, dt = meta
    return T.wrap(np.full(shape, v, dt))


FORMULA_NS.update(
    sum_to_size=sum_to_size, select_backward=select_backward, slice_backward=slice_backward,
    diagonal_backward=diagonal_backward, unfold_backward=unfold_backward,
    as_strided_backward=_as_strided_bw, unbind_backward=unbind_backward,
    split_backward=split_backward, inverse_permutation=inverse_permutation, slice_of=slice_of,
    clamp_mask=clamp_mask, minmax_mask=minmax_mask, gelu_derivative=gelu_derivative,
    scalar_tensor_like=scalar_tensor_like, Tensor=T.Tensor, len=len, int=int, list=list,
    isinstance=isinstance, D=D)
