"""The rest of ``interpolate``'s modes: bicubic, trilinear, nearest in 3-d and nearest-exact.

Each mode is separable: along every spatial axis an output element is a fixed combination of
input elements, so an upsampling op is one ``(n_out, n_in)`` matrix per axis (applied to the
last axis first, as PyTorch's kernels weigh them) and its backward op the transposed
matrices; each op is the other's derivative. The matrices follow PyTorch's index rules:

- nearest: source ``floor(i * scale)``; nearest-exact: ``floor((i + 0.5) * scale)``; both
  clamped to the last input element, computed in float32;
- linear: PyTorch's ``area_pixel_compute_source_index`` (clamped at 0 unless aligning
  corners), the two neighbours weighted by distance;
- cubic: the same source index without the clamp, four neighbours ``floor(x) - 1 .. + 2``
  (clamped to the edge) weighted by Keys' cubic convolution with ``A = -0.75``.

``scale`` arguments, when given, set the step (``1 / scale``) as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from .._defop import FORMULA_NS, defop
from .._memory_format import follow_channels_last, is_in_format
from .nn_layers import _linear_matrix, _nearest_index, _src_scale, upsample_sizes
from ._util import not_implemented

__all__ = ["upsample_nearest3d", "upsample_trilinear3d", "upsample_bicubic2d",
           "upsample_nearest_exact1d", "upsample_nearest_exact2d", "upsample_nearest_exact3d"]


def _nearest_exact_index(n_in, n_out, scale):
    s = np.float32(_src_scale(n_in, n_out, False, scale))
    src = np.floor((np.arange(n_out, dtype=np.float32) + np.float32(0.5)) * s)
    return np.minimum(src.astype(np.int64), n_in - 1)


def _index_matrix(idx, n_in, dt):
    m = np.zeros((len(idx), n_in), dt)
    m[np.arange(len(idx)), idx] = 1
    return m


_A = -0.75


def _cubic_matrix(n_in, n_out, align_corners, scale, dt):
    """The ``(n_out, n_in)`` matrix of 1-D bicubic interpolation (PyTorch's coefficients)."""
    s = _src_scale(n_in, n_out, align_corners, scale)
    i = np.arange(n_out, dtype=np.float64)
    src = (i * s if align_corners else s * (i + 0.5) - 0.5).astype(dt)
    i0 = np.floor(src).astype(np.int64)
    t = (src - i0).astype(dt)

    def near(x):        # |x| <= 1
        return ((_A + 2) * x - (_A + 3)) * x * x + 1

    def far(x):         # 1 < |x| < 2
        return ((_A * x - 5 * _A) * x + 8 * _A) * x - 4 * _A

    m = np.zeros((n_out, n_in), dt)
    rows = np.arange(n_out)
    for k, w in enumerate((far(t + 1), near(t), near(1 - t), far(2 - t))):
        np.add.at(m, (rows, np.clip(i0 - 1 + k, 0, n_in - 1)), w.astype(dt))
    return m


def _matrix(kind, n_in, n_out, align_corners, scale, dt):
    if kind == "nearest":
        return _index_matrix(_nearest_index(n_in, n_out, scale), n_in, dt)
    if kind == "nearest_exact":
        return _index_matrix(_nearest_exact_index(n_in, n_out, scale), n_in, dt)
    if kind == "linear":
        return _linear_matrix(n_in, n_out, align_corners, scale, dt)
    return _cubic_matrix(n_in, n_out, align_corners, scale, dt)


# the kernel PyTorch names when it refuses a dtype: (kind, dims) -> name; uint8 is taken by
# the nearest kinds (and by PyTorch's bicubic, which we refuse)
_KERNEL = {("nearest", 3): "compute_indices_weights_nearest",
           ("nearest_exact", 1): "compute_indices_weights_nearest",
           ("nearest_exact", 2): "upsample_nearest2d_channels_last",
           ("nearest_exact", 3): "compute_indices_weights_nearest",
           ("linear", 3): "compute_indices_weights_linear",
           ("cubic", 2): "compute_indices_weights_cubic"}


def _check(a, output_size, nd, kind):
    size = upsample_sizes(a, output_size, nd)
    if a.dtype.kind != "f":
        if a.dtype == np.uint8 and kind.startswith("nearest"):
            return size
        if a.dtype == np.uint8 and kind == "cubic":
            raise NotImplementedError("bicubic interpolation of uint8 images is not supported "
                                      "by tensorkeys. Hint: convert to float first "
                                      "(x.float()), then round and clamp the result.")
        raise not_implemented(_KERNEL[kind, nd], a.dtype)
    return size


def _forward(kind, nd):
    def kernel(a, output_size, *rest):
        align_corners = rest[0] if kind in ("linear", "cubic") else False
        scales = rest[-nd:]
        size = _check(a, output_size, nd, kind)
        out = a
        for i in reversed(range(nd)):          # the last axis first
            ax = a.ndim - nd + i
            if kind.startswith("nearest"):
                idx = (_nearest_index if kind == "nearest" else _nearest_exact_index)(
                    a.shape[ax], size[i], scales[i])
                out = np.take(out, idx, axis=ax)
            else:
                m = _matrix(kind, a.shape[ax], size[i], align_corners, scales[i], a.dtype)
                out = np.moveaxis(np.tensordot(out, m, axes=([ax], [1])), -1, ax)
        return np.ascontiguousarray(out, dtype=a.dtype)
    return kernel


def _backward_refusal(op, kind, nd, g):
    """PyTorch's backward kernels are floating-point only; the 2-d and 3-d ones are named
    after their channels-last variant when ``grad_output`` is laid out that way."""
    name = f"{op}_backward"
    if nd > 1 and kind != "cubic" and is_in_format(
            g, "channels_last" if nd == 2 else "channels_last_3d"):
        name = f"{name}_channels_last" if kind == "linear" else f"_{name.lstrip('_')}_cl"
    return not_implemented(name, g.dtype)


def _backward(op, kind, nd):
    def kernel(g, output_size, input_size, *rest):
        align_corners = rest[0] if kind in ("linear", "cubic") else False
        scales = rest[-nd:]
        if kind == "cubic" and tuple(input_size[2:]) == tuple(output_size):
            return g.copy()          # (PyTorch's bicubic backward: same size, any dtype)
        if g.dtype.kind != "f":
            raise _backward_refusal(op, kind, nd, g)
        out = g
        for i in range(nd):
            ax = g.ndim - nd + i
            m = _matrix(kind, input_size[2 + i], output_size[i], align_corners, scales[i],
                        g.dtype)
            out = np.moveaxis(np.tensordot(out, m, axes=([ax], [0])), -1, ax)
        return np.ascontiguousarray(out, dtype=g.dtype)
    return kernel


def _declare(op, kind, nd, node):
    """``op`` and ``op_backward``, each the other's derivative."""
    scales = {1: ["scales"], 2: ["scales_h", "scales_w"],
              3: ["scales_d", "scales_h", "scales_w"]}[nd]
    sc = ", ".join(f"float? {s}=None" for s in scales)
    scn = ", ".join(scales)
    ac, acn = ("bool align_corners, ", "align_corners, ") \
        if kind in ("linear", "cubic") else ("", "")
    fwd = defop(f"{op}(Tensor self, SymInt[{nd}] output_size, {ac}{sc}) -> Tensor",
                follow_channels_last(_forward(kind, nd), 0),
                grad={"self": f"{op}_backward(grad, output_size, self_shape, {acn}{scn})"},
                node_name=f"{node}Backward0")
    bwd = defop(f"{op}_backward(Tensor grad_output, SymInt[{nd}] output_size, "
                f"SymInt[{nd + 2}] input_size, {ac}{sc}) -> Tensor", _backward(op, kind, nd),
                grad={"grad_output": f"{op}(grad, output_size, {acn}{scn})"},
                node_name=f"{node}BackwardBackward0")
    FORMULA_NS[op], FORMULA_NS[f"{op}_backward"] = fwd, bwd
    return fwd, bwd


upsample_nearest3d, upsample_nearest3d_backward = _declare(
    "upsample_nearest3d", "nearest", 3, "UpsampleNearest3D")
upsample_nearest_exact1d, upsample_nearest_exact1d_backward = _declare(
    "_upsample_nearest_exact1d", "nearest_exact", 1, "UpsampleNearestExact1D")
upsample_nearest_exact2d, upsample_nearest_exact2d_backward = _declare(
    "_upsample_nearest_exact2d", "nearest_exact", 2, "UpsampleNearestExact2D")
upsample_nearest_exact3d, upsample_nearest_exact3d_backward = _declare(
    "_upsample_nearest_exact3d", "nearest_exact", 3, "UpsampleNearestExact3D")
upsample_trilinear3d, upsample_trilinear3d_backward = _declare(
    "upsample_trilinear3d", "linear", 3, "UpsampleTrilinear3D")
upsample_bicubic2d, upsample_bicubic2d_backward = _declare(
    "upsample_bicubic2d", "cubic", 2, "UpsampleBicubic2D")

FUNCTIONS = []     # no Tensor methods here
TOPLEVEL = {}
