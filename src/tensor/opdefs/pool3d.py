"""Three-dimensional pooling and the unpooling ops (``max_pool3d_with_indices``,
``avg_pool3d``, the adaptive forms, ``max_unpool2d/3d`` and fractional max pooling).

Kernels take any leading (batch, channel) dims and the last ``nd`` dims as spatial ones. As in
``nn_layers.py`` they loop over kernel offsets (one strided slice of the padded input per
offset), never over output positions. Max pooling keeps a running maximum in which the first
maximum wins a tie and a NaN always replaces what came before (PyTorch's rule), and reports
flat indices into the input's spatial dims; its gradient adds each incoming value at its
index, and that backward op differentiates back into a gather by the same indices, which is
also the derivative of unpooling (PyTorch's ``max_pool_double_backward``).

``FUNCTIONS`` / ``TOPLEVEL`` list what ``tensor/__init__`` exposes as ``torch.<name>``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from .._defop import FORMULA_NS, defop
from .._memory_format import follow_channels_last
from .nn_layers import (MAX_POOL_GRAD_DTYPE, _add_columns, _adaptive_bounds,
                        _adaptive_sum_matrix, _avg_divisors, _avg_grad_divided,
                        _avg_grad_shape_check, _crop, _fmt, _offset_slices, _pad, _pool_out,
                        _tup, _windows, pool_backward_dtypes)
from .reduction import short_name

# -- shared helpers ------------------------------------------------------------------------
def _nd_tuple(v, n, msg):
    """An int or a list as an ``n``-tuple (a length-1 list repeats); other lengths: ``msg``."""
    t = _tup(v, n)
    if len(t) != n:
        raise RuntimeError(msg)
    return t


def _no_stride(stride):
    return stride is None or (not isinstance(stride, (int, np.integer)) and not len(stride))


def _right_extra(shape, k, s, p, d, out):
    """How far the last window reaches past the right padding (``ceil_mode``)."""
    return [max(0, (o - 1) * si + di * (ki - 1) + 1 - pi - n)
            for n, ki, si, pi, di, o in zip(shape, k, s, p, d, out)]


def _positions(i, nd, out, s, p):
    """Start of each window along spatial dim ``i``, shaped to broadcast over ``out``."""
    shape = [1] * nd
    shape[i] = out[i]
    return (np.arange(out[i]) * s[i] - p[i]).reshape(shape)


def _flat_index(coords, size):
    idx = 0
    for c, n in zip(coords, size):
        idx = idx * n + c
    return np.asarray(idx, dtype=np.int64)


def _running_max(views, floating):
    """Running maximum and argmax (position in ``views``) over an iterable of ``(view,
    valid)`` pairs, ``valid`` None or a mask of the positions that count."""
    vals = arg = seen = None
    for i, (v, valid) in enumerate(views):
        if vals is None:
            vals = np.array(v)
            arg = np.zeros(vals.shape, np.int64)
            seen = np.ones(vals.shape, bool) if valid is None else np.array(
                np.broadcast_to(valid, vals.shape))
            continue
        take = v > vals
        if floating:
            take |= np.isnan(v)
        if valid is not None:
            take = (take | ~seen) & valid
            seen |= take
        np.copyto(vals, v, where=take)
        np.copyto(arg, i, where=take)
    return vals, arg


def _scatter_nd(g, idx, shape, nd, unique=False):
    """Each gradient value added at its flat index into the last ``nd`` dims of ``shape``
    (``unique``: no two indices of one plane coincide, so an assignment does it)."""
    sp = math.prod(shape[-nd:])
    b = math.prod(shape[:-nd])
    flat = np.zeros(b * sp, dtype=g.dtype)
    offs = (np.arange(b).reshape(-1, 1) * sp + idx.reshape(b, -1)).reshape(-1)
    if unique:
        flat[offs] = g.reshape(-1)
    else:
        np.add.at(flat, offs, g.reshape(-1))
    return flat.reshape(shape)


def pool_gather_nd(grad, indices, nd):
    """The gradient's values at ``indices`` (flat over the last ``nd`` dims): the derivative
    of :func:`_scatter_nd` in the gradient, and of unpooling in its input."""
    g = grad.flatten(-nd) if nd > 1 else grad
    idx = indices.flatten(-nd) if nd > 1 else indices
    return g.gather(-1, idx).reshape(tuple(indices.shape))


# -- max_pool3d ----------------------------------------------------------------------------
def _pool3d_shape_check(a, k, s, p, d, out, name, avg=False):
    """PyTorch's checks after the output size is known (``pool3d_shape_check``)."""
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kT: {k[0]} "
                           f"kH: {k[1]} kW: {k[2]}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"stride should be greater than zero, but got dT: {s[0]} "
                           f"dH: {s[1]} dW: {s[2]}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationT: {d[0]} "
                           f"dilationH: {d[1]} dilationW: {d[2]}")
    for n in a.shape[a.ndim - 4:]:
        if n == 0:
            raise RuntimeError(f"{name}: Expected input's non-batch dimensions to have "
                               f"positive length, but input has a shape of {_fmt(a.shape)} "
                               "and non-batch dimension 0 has length zero!")
    t, h, w = a.shape[-3:]
    if avg and (t < k[0] or h < k[1] or w < k[2]):
        raise RuntimeError(f"input image (T: {t} H: {h} W: {w}) smaller than kernel size "
                           f"(kT: {k[0]} kH: {k[1]} kW: {k[2]})")
    if any(ki // 2 < pi for ki, pi in zip(k, p)):
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but "
                           f"got kT: {k[0]} kW: {k[2]} kH: {k[1]} padT: {p[0]} padW: {p[2]} "
                           f"padH: {p[1]}")
    if any(o < 1 for o in out):
        c = a.shape[-4]
        raise RuntimeError(f"Given input size: ({c}x{t}x{h}x{w}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}x{out[2]}). Output size is too small")


def _output_sizes(a, k, s, p, d, ceil):
    out = []
    for i in range(3):
        if s[i] == 0:
            raise RuntimeError("stride should not be zero")
        if p[i] < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {p[i]}")
        if p[i] > ((k[i] - 1) * d[i] + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p[i]}, kernel_size={k[i]} and dilation={d[i]}")
        out.append(_pool_out(a.shape[-3 + i], k[i], s[i], p[i], d[i], ceil))
    return tuple(out)


def _max3d_setup(a, kernel_size, stride, padding, dilation, ceil_mode):
    k = _nd_tuple(kernel_size, 3, "max_pool3d: kernel_size must either be a single int, or a "
                                  "tuple of three ints")
    s = k if _no_stride(stride) else _nd_tuple(
        stride, 3, "max_pool3d: stride must either be omitted, a single int, or a tuple of "
                   "three ints")
    p = _nd_tuple(padding, 3, "max_pool3d: padding must either be a single int, or a tuple of "
                              "three ints")
    d = _nd_tuple(dilation, 3, "max_pool3d: dilation must be either a single int, or a tuple "
                               "of three ints")
    if a.ndim not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    out = _output_sizes(a, k, s, p, d, ceil_mode)
    _pool3d_shape_check(a, k, s, p, d, out, "max_pool3d_with_indices_out_cpu_template()")
    return k, s, p, d, out


def _max_pool_nd(a, k, s, p, d, out):
    """Values and flat indices of the window maxima over the last ``len(k)`` dims."""
    nd = len(k)
    size = a.shape[-nd:]
    low = -np.inf if a.dtype.kind in "fc" else np.iinfo(a.dtype).min
    extra = _right_extra(size, k, s, p, d, out)
    padded = any(p) or any(extra)
    xp = _pad(a, p, low, extra)
    lead = (slice(None),) * (xp.ndim - nd)
    offsets = list(itertools.product(*(range(ki) for ki in k)))
    starts = [_positions(i, nd, out, s, p) for i in range(nd)]

    def views():
        for off in offsets:
            valid = None
            if padded:
                # only input elements count (an all -inf window reports its first element)
                valid = np.ones((1,) * nd, bool)
                for i in range(nd):
                    pos = starts[i] + off[i] * d[i]
                    valid = valid & (pos >= 0) & (pos < size[i])
            yield xp[lead + _offset_slices(off, s, d, out)], valid
    vals, arg = _running_max(views(), a.dtype.kind == "f")
    ks = np.unravel_index(arg, k)
    coords = [starts[i] + ks[i] * d[i] for i in range(nd)]
    return np.ascontiguousarray(vals), _flat_index(coords, size)


def _max_pool3d_np(a, kernel_size, stride, padding, dilation, ceil_mode):
    k, s, p, d, out = _max3d_setup(a, kernel_size, stride, padding, dilation, ceil_mode)
    if a.dtype == np.bool_:
        raise NotImplementedError("\"max_pool3d\" not implemented for 'Bool'")
    return _max_pool_nd(a, k, s, p, d, out)


def _disjoint(k, s, d):
    return all(si >= (ki - 1) * di + 1 for ki, si, di in zip(k, s, d))


def _max_pool3d_backward_np(gy, a, kernel_size, stride, padding, dilation, ceil_mode, idx):
    gy = pool_backward_dtypes(gy, a, "max_pool3d_backward", MAX_POOL_GRAD_DTYPE)
    k, s, p, d, out = _max3d_setup(a, kernel_size, stride, padding, dilation, ceil_mode)
    return _scatter_nd(gy, idx, a.shape, 3, _disjoint(k, s, d))


max_pool3d_with_indices = defop(
    "max_pool3d_with_indices(Tensor self, int[3] kernel_size, int[3] stride=[], "
    "int[3] padding=0, int[3] dilation=1, bool ceil_mode=False) -> (Tensor, Tensor)",
    follow_channels_last(_max_pool3d_np, 0),
    grad={"self": "max_pool3d_with_indices_backward(grads[0], self, kernel_size, stride, "
                  "padding, dilation, ceil_mode, results[1])"},
    node_name="MaxPool3DWithIndicesBackward0")
max_pool3d_with_indices_backward = defop(
    "max_pool3d_with_indices_backward(Tensor grad_output, Tensor self, int[3] kernel_size, "
    "int[3] stride, int[3] padding, int[3] dilation, bool ceil_mode, Tensor indices) -> Tensor",
    _max_pool3d_backward_np, grad={"grad_output": "pool_gather_nd(grad, indices, 3)",
                                   "self": "zeros(self_shape, dtype=self_dtype)"},
    node_name="MaxPool3DWithIndicesBackwardBackward0")


# -- avg_pool3d ----------------------------------------------------------------------------
def _avg3d_setup(a, kernel_size, stride, padding, ceil_mode, count_include_pad,
                 divisor_override):
    k = _nd_tuple(kernel_size, 3, "avg_pool3d: kernel_size must be a single int, or a tuple "
                                  "of three ints")
    s = k if _no_stride(stride) else _nd_tuple(
        stride, 3, "avg_pool3d: stride must be omitted, a single int, or a tuple of three ints")
    p = _nd_tuple(padding, 3, "avg_pool3d: padding must be a single int, or a tuple of three "
                              "ints")
    if a.ndim not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    d = (1, 1, 1)
    out = _output_sizes(a, k, s, p, d, ceil_mode)
    _pool3d_shape_check(a, k, s, p, d, out, "avg_pool3d()", avg=True)
    if divisor_override is not None:
        div = np.array(divisor_override)
    else:
        parts = [_avg_divisors(a.shape[-3 + i], k[i], s[i], p[i], out[i], count_include_pad)
                 for i in range(3)]
        div = parts[0][:, None, None] * parts[1][:, None] * parts[2]
    return k, s, p, d, out, div


def _avg_pool3d_np(a, kernel_size, stride, padding, ceil_mode, count_include_pad,
                   divisor_override):
    k, s, p, d, out, div = _avg3d_setup(a, kernel_size, stride, padding, ceil_mode,
                                        count_include_pad, divisor_override)
    if a.dtype.kind not in "fc" and a.dtype != np.int64:
        raise NotImplementedError(f"\"avg_pool3d_out_frame\" not implemented for "
                                  f"'{short_name(a.dtype)}'")
    xp = _pad(a, p, 0, _right_extra(a.shape[-3:], k, s, p, d, out))
    total = _windows(xp, k, s, d, out).sum(axis=(-3, -2, -1), dtype=a.dtype)
    if a.dtype.kind in "fc":
        return np.asarray(total / div.astype(a.dtype), dtype=a.dtype)
    # integer division truncates toward zero, as C++'s does
    q = np.abs(total) // div
    return np.asarray(np.where(total < 0, -q, q), dtype=a.dtype)


def _avg_pool3d_backward_np(gy, a, kernel_size, stride, padding, ceil_mode, count_include_pad,
                            divisor_override):
    k, s, p, d, out, div = _avg3d_setup(a, kernel_size, stride, padding, ceil_mode,
                                        count_include_pad, divisor_override)
    _avg_grad_shape_check(gy, a, out)
    if a.dtype.kind not in "f" and a.dtype != np.int64 or a.dtype == np.float16:
        raise NotImplementedError(f"\"avg_pool3d_backward_out_frame\" not implemented for "
                                  f"'{short_name(a.dtype)}'")
    if gy.dtype != a.dtype:
        raise RuntimeError(f"expected scalar type {short_name(a.dtype)} but found "
                           f"{short_name(gy.dtype)}")
    g = _avg_grad_divided(gy, div)
    extra = _right_extra(a.shape[-3:], k, s, p, d, out)
    buf = np.zeros(a.shape[:-3] + tuple(a.shape[-3 + i] + 2 * p[i] + extra[i]
                                        for i in range(3)), dtype=gy.dtype)
    cols = np.broadcast_to(g[..., None, None, None], g.shape + tuple(k))
    _add_columns(buf, cols, k, s, d, out)
    return np.ascontiguousarray(_crop(buf, p, a.shape[-3:]))


avg_pool3d = defop(
    "avg_pool3d(Tensor self, int[3] kernel_size, int[3] stride=[], int[3] padding=0, "
    "bool ceil_mode=False, bool count_include_pad=True, int? divisor_override=None) -> Tensor",
    _avg_pool3d_np,
    grad={"self": "avg_pool3d_backward(grad, self, kernel_size, stride, padding, ceil_mode, "
                  "count_include_pad, divisor_override)"},
    node_name="AvgPool3DBackward0")
avg_pool3d_backward = defop(
    "avg_pool3d_backward(Tensor grad_output, Tensor self, int[3] kernel_size, int[3] stride, "
    "int[3] padding, bool ceil_mode, bool count_include_pad, int? divisor_override) -> Tensor",
    _avg_pool3d_backward_np,
    grad={"grad_output": "avg_pool3d(grad, kernel_size, stride, padding, ceil_mode, "
                         "count_include_pad, divisor_override)",
          "self": "zeros(self_shape, dtype=self_dtype)"},
    node_name="AvgPool3DBackwardBackward0")


# -- adaptive pooling ----------------------------------------------------------------------
def _adaptive3d_check(a, output_size, name, sep=""):
    if a.ndim not in (4, 5):
        raise RuntimeError(f"{name}(): Expected 4D or 5D tensor, but got{sep} {_fmt(a.shape)}")
    for i in range(1, a.ndim):
        if a.shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {_fmt(a.shape)} with "
                               f"dimension {i} being empty")
    return tuple(_tup(output_size, 3))


def _adaptive_avg_pool3d_np(a, output_size):
    out = _adaptive3d_check(a, output_size, "adaptive_avg_pool3d")
    if len(out) != 3:
        raise RuntimeError("adaptive_avg_pool3d: output_size must be 3")
    if any(v < 0 for v in out):
        raise RuntimeError(f"adaptive_avg_pool3d: elements of output_size must be greater than "
                           f"or equal to 0 but received {{{out[0]}, {out[1]},{out[2]}}}")
    if a.dtype.kind not in "fc":
        raise NotImplementedError(f"\"adaptive_avg_pool3d_cpu\" not implemented for "
                                  f"'{short_name(a.dtype)}'")
    (md, cd), (mh, ch), (mw, cw) = (_adaptive_sum_matrix(a.shape[-3 + i], out[i], a.dtype)
                                    for i in range(3))
    total = np.einsum("td,...dhw,ih,jw->...tij", md, a, mh, mw, optimize=True)
    count = cd[:, None, None] * ch[:, None] * cw
    return np.asarray(total / count.astype(a.dtype), dtype=a.dtype)


def _nonempty_grad(gy, name):
    for i in range(1, gy.ndim):
        if gy.shape[i] == 0:
            raise RuntimeError(f"{name}(): Expected grad_output to have non-zero size for "
                               f"non-batch dimensions, but grad_output has sizes "
                               f"{_fmt(gy.shape)} with dimension {i} being empty")


def _adaptive_avg_pool3d_backward_np(gy, a):
    _nonempty_grad(gy, "adaptive_avg_pool3d_backward")
    gy = pool_backward_dtypes(gy, a, "adaptive_avg_pool3d_backward_cpu")
    out = gy.shape[-3:]
    (md, cd), (mh, ch), (mw, cw) = (_adaptive_sum_matrix(a.shape[-3 + i], out[i], gy.dtype)
                                    for i in range(3))
    g = gy / (cd[:, None, None] * ch[:, None] * cw).astype(gy.dtype)
    return np.asarray(np.einsum("td,...tij,ih,jw->...dhw", md, g, mh, mw, optimize=True),
                      dtype=gy.dtype)


_adaptive_avg_pool3d = defop(
    "_adaptive_avg_pool3d(Tensor self, SymInt[3] output_size) -> Tensor",
    _adaptive_avg_pool3d_np,
    grad={"self": "_adaptive_avg_pool3d_backward(grad, self)"},
    node_name="AdaptiveAvgPool3DBackward0")
_adaptive_avg_pool3d_backward = defop(
    "_adaptive_avg_pool3d_backward(Tensor grad_output, Tensor self) -> Tensor",
    _adaptive_avg_pool3d_backward_np,
    grad={"grad_output": "_adaptive_avg_pool3d(grad, tuple(grad_output_shape[-3:]))",
          "self": "zeros(self_shape, dtype=self_dtype)"},    # (PyTorch keeps self's sizes only)
    node_name="AdaptiveAvgPool3DBackwardBackward0")


def _adaptive_max_pool3d_np(a, output_size):
    out = _adaptive3d_check(a, output_size, "adaptive_max_pool3d", ":")
    if len(out) != 3:
        raise RuntimeError("adaptive_max_pool3d(): internal error: output_size.size() must "
                           "be 3")
    if any(v < 0 for v in out):
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{min(out)}: {_fmt(a.shape[:-3] + out)}")
    if a.dtype.kind not in "fc":
        raise NotImplementedError(f"\"adaptive_max_pool3d_cpu\" not implemented for "
                                  f"'{short_name(a.dtype)}'")
    shape = a.shape[:-3] + out
    if 0 in out:
        return np.zeros(shape, a.dtype), np.zeros(shape, np.int64)
    size = a.shape[-3:]
    bounds = [_adaptive_bounds(size[i], out[i]) for i in range(3)]
    kmax = [int((hi - lo).max()) for lo, hi in bounds]
    offsets = list(itertools.product(*(range(k) for k in kmax)))

    def at(off):
        pos = [np.minimum(lo + o, n - 1) for (lo, _), o, n in zip(bounds, off, size)]
        ok = [lo + o < hi for (lo, hi), o in zip(bounds, off)]
        valid = ok[0][:, None, None] & ok[1][:, None] & ok[2]
        return a[(Ellipsis,) + np.ix_(*pos)], valid
    vals, arg = _running_max((at(off) for off in offsets), True)
    ks = np.unravel_index(arg, kmax)
    coords = [bounds[i][0].reshape([-1 if j == i else 1 for j in range(3)]) + ks[i]
              for i in range(3)]
    return np.ascontiguousarray(vals), _flat_index(coords, size)


def _adaptive_max_pool3d_backward_np(gy, a, idx):
    _nonempty_grad(gy, "adaptive_max_pool3d_backward")
    gy = pool_backward_dtypes(gy, a, "adaptive_max_pool3d_backward",
                              "expected dtype {want} for `gradOutput` but got dtype {got}")
    return _scatter_nd(gy, idx, a.shape, 3)


adaptive_max_pool3d = defop(
    "adaptive_max_pool3d(Tensor self, int[3] output_size) -> (Tensor, Tensor)",
    _adaptive_max_pool3d_np,
    grad={"self": "adaptive_max_pool3d_backward(grads[0], self, results[1])"},
    node_name="AdaptiveMaxPool3DBackward0")
adaptive_max_pool3d_backward = defop(
    "adaptive_max_pool3d_backward(Tensor grad_output, Tensor self, Tensor indices) -> Tensor",
    _adaptive_max_pool3d_backward_np,
    grad={"grad_output": "pool_gather_nd(grad, indices, 3)",
          "self": "zeros(self_shape, dtype=self_dtype)"},    # (PyTorch keeps self's sizes only)
    node_name="AdaptiveMaxPool3DBackwardBackward0")


# -- unpooling -----------------------------------------------------------------------------
def _unpool_np(a, idx, out, nd):
    """Each input value written at its flat index into a zero ``(..., *out)`` output."""
    name = f"max_unpool{nd}d"
    shape = a.shape[:-nd] + tuple(out)
    sp = math.prod(out)
    res = np.zeros(math.prod(shape), a.dtype)
    if res.size == 0:
        return res.reshape(shape)
    if a.dtype.kind != "f":
        raise NotImplementedError(f"\"{name}\" not implemented for '{short_name(a.dtype)}'")
    flat = idx.reshape(-1)
    bad = (flat < 0) | (flat >= sp)
    if bad.any():
        # (PyTorch's threads decide which one it names when there are several)
        raise RuntimeError(f"Found an invalid max index: {flat[np.argmax(bad)]} (output "
                           f"volumes are of size {'x'.join(map(str, out))})")
    b = math.prod(a.shape[:-nd])
    offs = (np.arange(b).reshape(-1, 1) * sp + idx.reshape(b, -1)).reshape(-1)
    res[offs] = a.reshape(-1)
    return res.reshape(shape)


def _unpool_common(a, idx, out, nd):
    if a.shape != idx.shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({_fmt(a.shape)}) but got indices tensor with shape: "
                           f"{_fmt(idx.shape)}")
    for i in range(1, a.ndim):
        if a.shape[i] == 0:
            raise RuntimeError(f"max_unpooling{nd}d_forward_out_cpu(): Expected input to have "
                               f"non-zero size for non-batch dimensions, but got "
                               f"{_fmt(a.shape)} with dimension {i} being empty.")


def _neg_out_check(out, nd):
    if any(v < 0 for v in out):
        raise RuntimeError(f"max_unpooling{nd}d(): output_size must contain non-negative "
                           f"spatial dimensions, but got output_size=({', '.join(map(str, out))})")


def _max_unpool2d_np(a, idx, output_size):
    if idx.dtype != np.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: "
                           f"{short_name(idx.dtype)}")
    out = tuple(int(v) for v in output_size)
    if len(out) != 2:
        raise RuntimeError(f"There should be exactly two elements (height, width) in "
                           f"output_size, but got {len(out)} elements.")
    if a.ndim not in (3, 4):
        raise RuntimeError(f"Input to max_unpooling2d should be a 3d or 4d Tensor, but got a "
                           f"tensor with {a.ndim} dimensions.")
    _unpool_common(a, idx, out, 2)
    _neg_out_check(out, 2)
    return _unpool_np(a, idx, out, 2)


def _max_unpool3d_np(a, idx, output_size, stride, padding):
    if idx.dtype != np.int64:
        raise RuntimeError("elements in indices should be type int64")
    if a.ndim not in (4, 5):
        raise RuntimeError(f"Input to max_unpooling3d should be a 4d or 5d Tensor, but got a "
                           f"tensor with {a.ndim} dimensions.")
    out, s, p = (tuple(int(v) for v in x) for x in (output_size, stride, padding))
    for what, v in (("output_size", out), ("stride", s), ("padding", p)):
        if len(v) != 3:
            got = "got" if what == "output_size" else "got:"
            raise RuntimeError(f"There should be exactly three elements (depth, height, width) "
                               f"in {what}, but {got} {len(v)} elements.")
    _unpool_common(a, idx, out, 3)
    if any(v <= 0 for v in s):
        raise RuntimeError(f"strides should be greater than zero, but got stride: {_fmt(s)}")
    _neg_out_check(out, 3)
    return _unpool_np(a, idx, out, 3)


max_unpool2d = defop(
    "max_unpool2d(Tensor self, Tensor indices, SymInt[2] output_size) -> Tensor",
    _max_unpool2d_np, grad={"self": "pool_gather_nd(grad, indices, 2)"},
    node_name="MaxUnpool2DBackward0")
max_unpool3d = defop(
    "max_unpool3d(Tensor self, Tensor indices, SymInt[3] output_size, int[3] stride, "
    "int[3] padding) -> Tensor",
    _max_unpool3d_np, grad={"self": "pool_gather_nd(grad, indices, 3)"},
    node_name="MaxUnpool3DBackward0")


# -- fractional max pooling ----------------------------------------------------------------
_FRAC_DIMS = {2: ("height", "width"), 3: ("time", "height", "width")}


def _frac_check(a, k, out, samples, nd):
    """PyTorch's checks, in its order; returns the batch size."""
    name = "fractional_max_pool2d()" if nd == 2 else "fractional_max_pool3d_out()"
    counts = "a single Int or tuple of Ints" if nd == 2 else \
        "a single Int or tuple of three Ints"
    if len(k) != nd:
        raise RuntimeError(f"fractional_max_pool{nd}d: kernel_size must either be {counts}")
    if len(out) != nd:
        raise RuntimeError(f"fractional_max_pool{nd}d: output_size must either be {counts}")
    if a.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}: Expected {nd + 1}D or {nd + 2}D tensor, but got: "
                           f"{_fmt(a.shape)}")
    for i in range(1, a.ndim):
        if a.shape[i] == 0:
            raise RuntimeError(f"{name}: Expected input to have non-zero size for non-batch "
                               f"dimensions, but got{_fmt(a.shape)} with dimension {i} being "
                               "empty.")
    size = a.shape[-nd:]
    for word, o, ki, n in zip(_FRAC_DIMS[nd], out, k, size):
        # the 3-d op wants the last window to end strictly inside the input
        if o + ki - 1 > n or nd == 3 and o + ki - 1 == n:
            raise RuntimeError(f"{name}: pool {word} {ki} too large relative to input "
                               f"{word} {n}")
    batch = a.shape[0] if a.ndim == nd + 2 else 1
    if samples.dtype != a.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if samples.ndim != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {samples.ndim}")
    if samples.shape[0] < batch:
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if samples.shape[1] != a.shape[-nd - 1]:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    if samples.shape[2] != nd:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {nd}; got "
                           f"{samples.shape[2]}.")
    if any(o < 0 for o in out):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: "
                           f"{_fmt(a.shape[:-nd] + tuple(out))}")
    if a.dtype.kind != "f":
        raise NotImplementedError(f"\"fractional_max_pool{nd}d_out_frame\" not implemented "
                                  f"for '{short_name(a.dtype)}'")
    return batch


def _frac_starts(u, n, o, k):
    """Window starts along one dim for samples ``u`` (..., ) : the pseudo-random sequence of
    Graham's fractional pooling, computed in the input's float type as PyTorch does."""
    dt = u.dtype.type
    starts = np.empty(u.shape + (o,), np.int64)
    if o > 1:
        alpha = dt(n - k) / dt(o - 1)
        i = np.arange(o - 1).astype(u.dtype)
        seq = ((i + u[..., None]) * alpha).astype(np.int64)
        starts[..., :-1] = seq - (u * alpha).astype(np.int64)[..., None]
    if o > 0:
        starts[..., -1] = n - k
    return starts


def _fractional_np(a, kernel_size, output_size, samples, nd):
    k, out = _tup(kernel_size, nd), _tup(output_size, nd)
    batch = _frac_check(a, k, out, samples, nd)
    size = a.shape[-nd:]
    shape = a.shape[:-nd] + out
    if 0 in shape:
        return np.zeros(shape, a.dtype), np.zeros(shape, np.int64)
    planes = samples[:batch].reshape((-1, nd))                  # (N*C, nd)
    # the 2-d op reads its samples as (width, height), the 3-d one as (time, height, width)
    order = [1, 0] if nd == 2 else [0, 1, 2]
    starts = [_frac_starts(planes[:, order[i]], size[i], out[i], k[i]) for i in range(nd)]
    flat = a.reshape((planes.shape[0], -1))
    grid = []
    for i in range(nd):
        shp = [planes.shape[0]] + [1] * nd
        shp[1 + i] = out[i]
        grid.append(starts[i].reshape(shp))
    if 0 in k:
        # no window element at all: PyTorch reports -inf at each window's start
        idx = _flat_index(grid, size)
        return np.full(shape, -np.inf, a.dtype), np.broadcast_to(idx, shape).copy()

    def views():
        for off in itertools.product(*(range(ki) for ki in k)):
            idx = _flat_index([g + o for g, o in zip(grid, off)], size)
            idx = np.broadcast_to(idx, (planes.shape[0],) + out).reshape(planes.shape[0], -1)
            yield np.take_along_axis(flat, idx, axis=1).reshape(shape), None
    vals, arg = _running_max(views(), True)
    ks = np.unravel_index(arg.reshape((planes.shape[0],) + out), k)
    coords = [grid[i] + ks[i] for i in range(nd)]
    return vals, _flat_index(coords, size).reshape(shape)


def _fractional_backward_np(gy, a, kernel_size, output_size, idx, nd):
    gy = pool_backward_dtypes(gy, a, f"fractional_max_pool{nd}d_backward_out_frame")
    return _scatter_nd(gy, idx, a.shape, nd)


def _fractional_ops(nd):
    fwd = defop(
        f"fractional_max_pool{nd}d(Tensor self, int[{nd}] kernel_size, int[{nd}] output_size, "
        "Tensor random_samples) -> (Tensor output, Tensor indices)",
        lambda a, k, o, r: _fractional_np(a, k, o, r, nd),
        grad={"self": f"fractional_max_pool{nd}d_backward(grads[0], self, kernel_size, "
                      "output_size, results[1])"},
        node_name=f"FractionalMaxPool{nd}DBackward0")
    bwd = defop(
        f"fractional_max_pool{nd}d_backward(Tensor grad_output, Tensor self, "
        f"int[{nd}] kernel_size, int[{nd}] output_size, Tensor indices) -> Tensor",
        lambda g, a, k, o, i: _fractional_backward_np(g, a, k, o, i, nd),
        grad={"grad_output": f"pool_gather_nd(grad, indices, {nd})",
              "self": "zeros(self_shape, dtype=self_dtype)"},
        node_name=f"FractionalMaxPool{nd}DBackwardBackward0")
    return fwd, bwd


fractional_max_pool2d, fractional_max_pool2d_backward = _fractional_ops(2)
fractional_max_pool3d, fractional_max_pool3d_backward = _fractional_ops(3)


FORMULA_NS.update(
    pool_gather_nd=pool_gather_nd,
    max_pool3d_with_indices_backward=max_pool3d_with_indices_backward,
    avg_pool3d=avg_pool3d, avg_pool3d_backward=avg_pool3d_backward,
    _adaptive_avg_pool3d=_adaptive_avg_pool3d,
    _adaptive_avg_pool3d_backward=_adaptive_avg_pool3d_backward,
    adaptive_max_pool3d_backward=adaptive_max_pool3d_backward,
    fractional_max_pool2d_backward=fractional_max_pool2d_backward,
    fractional_max_pool3d_backward=fractional_max_pool3d_backward)

FUNCTIONS: list = []
TOPLEVEL: dict = {"_adaptive_avg_pool3d": _adaptive_avg_pool3d}
