"""``torch.nn.functional`` for layers: convolutions, pooling, normalisation, im2col, pixel
shuffle, interpolation and channel dropout.

Each function validates its arguments as PyTorch's Python layer does, then calls the op
PyTorch calls (``convolution``, ``max_pool2d_with_indices``, ``native_batch_norm``, ...,
declared in ``opdefs/nn_layers.py``), so results carry PyTorch's ``grad_fn``. The 1-d pooling
functions run the 2-d op on an ``unsqueeze(-2)``-ed input and squeeze the result, as PyTorch
does (their ``grad_fn`` is ``SqueezeBackward1``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from . import _tensor as T
from ._memory_format import suggest_memory_format
from .opdefs import nn_layers as _L
from .opdefs import pool3d as _P
from .opdefs import upsample_more as _U
from .opdefs.factories import default_generator
from .opdefs.reduction import short_name

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "dropout3d", "lp_pool1d", "lp_pool2d", "max_pool1d",
           "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices", "avg_pool1d",
           "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d",
           "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "batch_norm", "instance_norm", "group_norm",
           "local_response_norm", "unfold", "fold", "pixel_shuffle", "pixel_unshuffle",
           "interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "dropout1d",
           "dropout2d", "max_pool3d", "max_pool3d_with_indices", "avg_pool3d",
           "adaptive_avg_pool3d", "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices",
           "lp_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d", "fractional_max_pool2d",
           "fractional_max_pool3d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d_with_indices"]


def _ntuple(v, n):
    if isinstance(v, (list, tuple)):
        return tuple(v)
    return (v,) * n


# -- convolution ---------------------------------------------------------------------------
def _conv_dims(name, input, nd):
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{name}, but got input of size: {list(input.shape)}")
    return input.dim() == nd + 1


def _same_padding(input, weight, stride, dilation, nd):
    """PyTorch's ``padding='same'``: symmetric when it can be; otherwise the input is padded
    on the right by the odd element first (with PyTorch's warning)."""
    s, d = _ntuple(stride, nd), _ntuple(dilation, nd)
    if len(s) == 1:
        s = s * nd
    if len(d) == 1:
        d = d * nd
    if any(v != 1 for v in s):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    total = [d[i] * (weight.shape[2 + i] - 1) for i in range(nd)]
    left = [t // 2 for t in total]
    if all(t % 2 == 0 for t in total):
        return input, left
    warnings.warn("Using padding='same' with even kernel lengths and odd dilation may require "
                  "a zero-padded copy of the input be created", UserWarning, stacklevel=4)
    pads = [0] * (2 * nd)
    for i in range(nd):
        pads[2 * (nd - 1 - i) + 1] = total[i] - 2 * left[i]
    return _L.constant_pad_nd(input, pads, 0), left


def _conv(name, nd, input, weight, bias, stride, padding, dilation, groups):
    unbatched = _conv_dims(name, input, nd)
    if unbatched:
        input = input.unsqueeze(0)
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif padding == "same":
            input, padding = _same_padding(input, weight, stride, dilation, nd)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    out = _L.convolution(input, weight, bias, _ntuple(stride, nd), _ntuple(padding, nd),
                         _ntuple(dilation, nd), False, (0,) * nd, groups)
    return out.squeeze(0) if unbatched else out


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def _conv_t(name, nd, input, weight, bias, stride, padding, output_padding, groups, dilation):
    unbatched = _conv_dims(name, input, nd)
    if unbatched:
        input = input.unsqueeze(0)
    out = _L.convolution(input, weight, bias, _ntuple(stride, nd), _ntuple(padding, nd),
                         _ntuple(dilation, nd), True, _ntuple(output_padding, nd), groups)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    return _conv_t("conv_transpose1d", 1, input, weight, bias, stride, padding,
                   output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    return _conv_t("conv_transpose2d", 2, input, weight, bias, stride, padding,
                   output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    return _conv_t("conv_transpose3d", 3, input, weight, bias, stride, padding,
                   output_padding, groups, dilation)


# -- pooling -------------------------------------------------------------------------------
def _stride(stride):
    return () if stride is None or (isinstance(stride, (list, tuple)) and not stride) \
        else stride


def _one(v, name, fn):
    """A 1-d pooling argument as one int (PyTorch refuses lists of other lengths)."""
    if isinstance(v, (list, tuple)):
        if len(v) != 1:
            raise RuntimeError(f"{fn}() argument '{name}' should contain one int (got {len(v)})")
        return int(v[0])
    return int(v)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    return _L.max_pool2d_with_indices(input, kernel_size, _stride(stride), padding, dilation,
                                      ceil_mode)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    out, idx = _L.max_pool2d_with_indices(input, kernel_size, _stride(stride), padding,
                                          dilation, ceil_mode)
    return (out, idx) if return_indices else out


def _check_1d(input, fn):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"{fn}() Expected 2D or 3D input, but got {input.dim()}D")


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    _check_1d(input, "max_pool1d")
    k = _one(kernel_size, "kernel_size", "max_pool1d")
    st = _stride(stride)
    s = _one(st, "stride", "max_pool1d") if st != () else k
    p = _one(padding, "padding", "max_pool1d")
    d = _one(dilation, "dilation", "max_pool1d")
    out, idx = _L.max_pool2d_with_indices(input.unsqueeze(-2), (1, k), (1, s), (0, p), (1, d),
                                          ceil_mode)
    return out.squeeze(-2), idx.squeeze(-2)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    out, idx = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation,
                                       ceil_mode)
    return (out, idx) if return_indices else out


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return _L.avg_pool2d(input, kernel_size, _stride(stride), padding, ceil_mode,
                         count_include_pad, divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    _check_1d(input, "avg_pool1d")
    k = _one(kernel_size, "kernel_size", "avg_pool1d")
    st = _stride(stride)
    s = _one(st, "stride", "avg_pool1d") if st != () else k
    p = _one(padding, "padding", "avg_pool1d")
    out = _L.avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode,
                        count_include_pad, None)
    return out.squeeze(-2)


def _adaptive_size(input, output_size, nd):
    size = _ntuple(output_size, nd)
    if len(size) != nd:
        raise RuntimeError(f"adaptive_avg_pool{nd}d: output_size must be {nd}")
    return tuple(input.shape[input.dim() - nd + i] if v is None else int(v)
                 for i, v in enumerate(size))


def adaptive_avg_pool2d(input, output_size):
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got "
                           f"{list(input.shape)}")
    size = _adaptive_size(input, output_size, 2)
    if any(v < 0 for v in size):
        raise RuntimeError(f"adaptive_avg_pool2d: elements of output_size must be greater than "
                           f"or equal to 0 but received {{{size[0]}, {size[1]}}}")
    if size == (1, 1):
        # PyTorch takes the mean over the spatial dims here (MeanBackward1)
        return input.mean((-1, -2), keepdim=True)
    return _L._adaptive_avg_pool2d(input, size)


def adaptive_avg_pool1d(input, output_size):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_avg_pool1d() argument 'input' should have 2 or 3 "
                           f"dimensions (got {input.dim()})")
    size = _one(output_size, "output_size", "adaptive_avg_pool1d")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    return _L.adaptive_max_pool2d(input, _adaptive_size(input, output_size, 2))


def adaptive_max_pool2d(input, output_size, return_indices=False):
    out, idx = adaptive_max_pool2d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_max_pool1d() argument 'input' should have 2 or 3 "
                           f"dimensions (got {input.dim()})")
    size = _one(output_size, "output_size", "adaptive_max_pool1d")
    out, idx = _L.adaptive_max_pool2d(input.unsqueeze(-2), (1, size))
    return out.squeeze(-2), idx.squeeze(-2)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    out, idx = adaptive_max_pool1d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


# -- normalisation -------------------------------------------------------------------------
def _verify_batch_size(size):
    n = size[0]
    for v in size[2:]:
        n *= v
    if n == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {T.Size(size)!r}")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-05):
    """Normalise each channel (dim 1) over the batch and spatial dims. In training the batch
    statistics are used and the running statistics, when given, updated in place
    (``(1 - momentum) * running + momentum * batch``, the variance unbiased)."""
    if training:
        _verify_batch_size(tuple(input.shape))
    return _L.native_batch_norm(input, weight, bias, running_mean, running_var, training,
                                momentum, eps)[0]


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-05):
    """Batch norm of each (sample, channel) pair: the input seen as one sample with N*C
    channels (PyTorch's composite; its result is a view, ``ViewBackward0``). Running
    statistics, when given, get the mean of the per-sample updates."""
    if use_input_stats:
        size = tuple(input.shape)
        if math.prod(size[2:]) == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input "
                             f"size {T.Size(size)!r}")
    shape = tuple(input.shape)
    b, c = shape[0], shape[1]

    def rep(t):
        return None if t is None else t.repeat(b)
    rm, rv = rep(running_mean), rep(running_var)
    x = input.contiguous().view((1, b * c) + shape[2:])
    out = _L.native_batch_norm(x, rep(weight), rep(bias), rm, rv, use_input_stats, momentum,
                               eps)[0]
    from modes import no_grad
    with no_grad():
        if running_mean is not None:
            running_mean.copy_(rm.view((b, c)).mean(0))
        if running_var is not None:
            running_var.copy_(rv.view((b, c)).mean(0))
    return out.view(shape)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    shape = tuple(input.shape)
    _verify_batch_size([shape[0] * shape[1] // num_groups, num_groups] + list(shape[2:]))
    n, c = shape[0], shape[1]
    # (contiguous in the input's own memory format, channels-last included, as PyTorch)
    fmt = suggest_memory_format(input._data)
    return _L.native_group_norm(input.contiguous(memory_format=fmt), weight, bias, n, c,
                                math.prod(shape[2:]), num_groups, eps)[0]


def local_response_norm(input, size, alpha=0.0001, beta=0.75, k=1.0):
    """``input / (k + alpha * mean of squares over ``size`` neighbouring channels) ** beta``."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    shape = tuple(input.shape)
    if dim == 3:
        div = div.unsqueeze(1)
    else:
        div = div.view((shape[0], 1, shape[1], math.prod(shape[2:])))
    div = _L.constant_pad_nd(div, (0, 0, size // 2, (size - 1) // 2), 0)
    div = _L.avg_pool2d(div, (size, 1), (1, 1), (0, 0), False, True, None).squeeze(1)
    div = div.view(shape)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div


# -- im2col, pixel shuffle -----------------------------------------------------------------
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    return _L.im2col(input, _ntuple(kernel_size, 2), _ntuple(dilation, 2),
                     _ntuple(padding, 2), _ntuple(stride, 2))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    return _L.col2im(input, _ntuple(output_size, 2), _ntuple(kernel_size, 2),
                     _ntuple(dilation, 2), _ntuple(padding, 2), _ntuple(stride, 2))


def pixel_shuffle(input, upscale_factor):
    return _L.pixel_shuffle(input, upscale_factor)


def pixel_unshuffle(input, downscale_factor):
    return _L.pixel_unshuffle(input, downscale_factor)


# -- interpolation -------------------------------------------------------------------------
def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of a 3-D, 4-D or 5-D input: ``'nearest'``,
    ``'nearest-exact'``, ``'area'`` (adaptive average pooling) for any of them, ``'linear'``
    (3-D), ``'bilinear'`` and ``'bicubic'`` (4-D), ``'trilinear'`` (5-D)."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scales = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {list(input.shape[2:])} and output "
                    f"size of {size}. Please provide input tensor in (N, C, d1, d2, ...,dK) "
                    "format and output size in (o1, o2, ...,oK) format.")
            output_size = [int(v) for v in size]
        else:
            output_size = [int(size)] * dim
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, "
                    f"but got input with spatial dimensions of {list(input.shape[2:])} and "
                    f"scale_factor of shape {scale_factor}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) "
                    "format.")
            scales = [float(v) for v in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        output_size = [math.floor(float(input.shape[i + 2]) * scales[i]) for i in range(dim)]
        scales = None
    if antialias:
        raise NotImplementedError("interpolate(antialias=True) is not supported by tensorkeys")
    if output_size is None:
        output_size = [int(input.shape[i + 2] * scales[i]) for i in range(dim)]
    sc = [None] * dim if scales is None else scales
    if mode == "nearest" and dim in (1, 2):
        fn = _L.upsample_nearest1d if dim == 1 else _L.upsample_nearest2d
        return fn(input, output_size, *sc)
    if mode == "nearest" and dim == 3:
        return _U.upsample_nearest3d(input, output_size, *sc)
    if mode == "nearest-exact" and dim in (1, 2, 3):
        return (_U.upsample_nearest_exact1d, _U.upsample_nearest_exact2d,
                _U.upsample_nearest_exact3d)[dim - 1](input, output_size, *sc)
    if mode == "area" and dim in (1, 2, 3):
        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[dim - 1](
            input, output_size[0] if dim == 1 else output_size)
    if mode == "linear" and dim == 1:
        return _L.upsample_linear1d(input, output_size, align_corners, *sc)
    if mode == "bilinear" and dim == 2:
        return _L.upsample_bilinear2d(input, output_size, align_corners, *sc)
    if mode == "bicubic" and dim == 2:
        return _U.upsample_bicubic2d(input, output_size, align_corners, *sc)
    if mode == "trilinear" and dim == 3:
        return _U.upsample_trilinear3d(input, output_size, align_corners, *sc)
    needs = {"linear": 3, "bilinear": 4, "trilinear": 5}
    if mode in needs and input.dim() in (3, 4, 5) and input.dim() != needs[mode]:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs "
                                  f"{needs[mode]}D input")
    raise NotImplementedError(
        "Input Error: Only 3D, 4D and 5D input Tensors supported (got "
        f"{input.dim()}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | "
        f"lanczos | area | nearest-exact (got {mode})")


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# -- channel dropout -----------------------------------------------------------------------
def _feature_dropout(input, p, training, inplace):
    """Zero whole channels (dims 0 and 1 draw, the rest share the draw) with probability
    ``p``; the kept ones are scaled by ``1/(1-p)``."""
    if p == 0 or not training or input.numel() == 0:
        return input
    if input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    dt = input._data.dtype
    if dt.kind not in "fc":
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{short_name(dt)}")
    shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    if p == 1:
        noise = np.zeros((), dt)
    else:
        from . import _random as R
        keep = R.bernoulli_scalar(default_generator(), int(np.prod(shape)),
                                  1.0 - p).reshape(shape)
        noise = (keep.astype(dt) / dt.type(1.0 - p)).astype(dt)
    m = T.wrap(noise)
    return input.mul_(m) if inplace else input * m


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout1d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    d = input.dim()
    if d not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {d}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    if d == 2:
        input = input.unsqueeze_(0) if inplace else input.unsqueeze(0)
    out = _feature_dropout(input, p, training, inplace)
    if d == 2:
        out = out.squeeze_(0) if inplace else out.squeeze(0)
    return out


def dropout2d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    d = input.dim()
    if d not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {d}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if d == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2)
    return _feature_dropout(input, p, training, inplace)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The ``norm_type``-norm of each window: (window sum of x**p) ** (1/p), through
    ``avg_pool2d`` times the window size (PyTorch's composite, sign kept through the root)."""
    from .nn_functional import relu
    kh, kw = _ntuple(kernel_size, 2)
    out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * relu(out.abs())).mul(kw * kh).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    from .nn_functional import relu
    out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * relu(out.abs())).mul(kernel_size).pow(1.0 / norm_type)


def dropout3d(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    d = input.dim()
    if d not in (4, 5):
        warnings.warn(
            f"dropout3d: Received a {d}-D input to dropout3d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout3d exists to provide "
            "channel-wise dropout on inputs with 3 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 4D or 5D inputs).", stacklevel=2)
    if d == 4:                                  # unbatched (C, D, H, W)
        out = _feature_dropout(input.unsqueeze(0), p, training, inplace)
        return out.squeeze(0) if out is not input else out
    return _feature_dropout(input, p, training, inplace)


def _torch_batch_norm(input, weight, bias, running_mean, running_var, training, momentum,
                      eps, cudnn_enabled):
    """``torch.batch_norm`` (the aten op's argument order)."""
    return _L.native_batch_norm(input, weight, bias, running_mean, running_var, training,
                                momentum, eps)[0]


def _torch_group_norm(input, num_groups, weight=None, bias=None, eps=1e-05,
                      cudnn_enabled=True):
    return group_norm(input, num_groups, weight, bias, eps)


# -- 3-d pooling, unpooling ----------------------------------------------------------------
def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    return _P.max_pool3d_with_indices(input, kernel_size, _stride(stride), padding, dilation,
                                      ceil_mode)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    out, idx = _P.max_pool3d_with_indices(input, kernel_size, _stride(stride), padding,
                                          dilation, ceil_mode)
    return (out, idx) if return_indices else out


def _torch_max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``torch.max_pool3d``: the values only."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    return _P.avg_pool3d(input, kernel_size, _stride(stride), padding, ceil_mode,
                         count_include_pad, divisor_override)


def _list_with_default(size, input):
    """An output size with ``None`` entries taken from the input's trailing dims (an int
    stays an int)."""
    if isinstance(size, (int, np.integer)):
        return int(size)
    size = list(size)
    if input.dim() <= len(size):
        raise ValueError(f"Input dimension should be at least {len(size) + 1}")
    lead = input.dim() - len(size)
    return [input.shape[lead + i] if v is None else int(v) for i, v in enumerate(size)]


def adaptive_avg_pool3d(input, output_size):
    size = _list_with_default(output_size, input)
    size = _ntuple(size, 3) if isinstance(size, int) else tuple(size)
    if len(size) != 3:
        raise RuntimeError("adaptive_avg_pool3d: output_size must be 3")
    if any(v < 0 for v in size):
        raise RuntimeError(f"adaptive_avg_pool3d: elements of output_size must be greater than "
                           f"or equal to 0 but received {{{size[0]}, {size[1]},{size[2]}}}")
    if size == (1, 1, 1):
        # PyTorch takes the mean over the spatial dims here (MeanBackward1)
        return input.mean((-1, -2, -3), keepdim=True)
    return _P._adaptive_avg_pool3d(input, size)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    size = _list_with_default(output_size, input)
    return _P.adaptive_max_pool3d(input, size)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    out, idx = adaptive_max_pool3d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The ``norm_type``-norm of each window, through ``avg_pool3d`` times the window size
    (PyTorch's composite; an infinite ``norm_type`` is a max pooling of ``|x|``)."""
    from .nn_functional import relu
    kd, kw, kh = _ntuple(kernel_size, 3)
    if norm_type == float("inf"):
        return max_pool3d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -max_pool3d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    out = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    return (out.sign() * relu(out.abs())).mul(kd * kw * kh).pow(1.0 / norm_type)


def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    """The unpooled spatial size: the pooling's inverse size by default, or ``output_size``
    (optionally with the two leading dims), which must lie within a stride of it."""
    n = len(kernel_size)
    shape = tuple(input.shape)
    default = [(shape[len(shape) - n + i] - 1) * stride[i] + kernel_size[i] - 2 * padding[i]
               for i in range(n)]
    if output_size is None:
        ret = default
    else:
        if len(output_size) == n + 2:
            output_size = output_size[2:]
        if len(output_size) != n:
            raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} "
                             f"elements, but it has a length of '{len(output_size)}'")
        for i in range(n):
            lo, hi = default[i] - stride[i], default[i] + stride[i]
            if not lo < output_size[i] < hi:
                raise ValueError(f'invalid output_size "{output_size}" (dim {i} must be '
                                 f'between {lo} and {hi})')
        ret = output_size
    for i in range(n):
        if ret[i] < 0:
            raise ValueError(f"max_unpooling: output_size must contain non-negative spatial "
                             f"dimensions, but got output_size[{i}]={ret[i]}")
    return ret


def _unpool_args(kernel_size, stride, padding, n):
    k = _ntuple(kernel_size, n)
    return k, (k if stride is None else _ntuple(stride, n)), _ntuple(padding, n)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of ``max_pool1d`` as PyTorch composes it: a 2-d unpooling of the input
    with a trailing unit dim."""
    k, s, p = _unpool_args(kernel_size, stride, padding, 1)
    size = _unpool_output_size(input, k, s, p, output_size)
    size = list(size) + [1]
    return _P.max_unpool2d(input.unsqueeze(-1), indices.unsqueeze(-1), size).squeeze(-1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    k, s, p = _unpool_args(kernel_size, stride, padding, 2)
    return _P.max_unpool2d(input, indices, _unpool_output_size(input, k, s, p, output_size))


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    k, s, p = _unpool_args(kernel_size, stride, padding, 3)
    return _P.max_unpool3d(input, indices, _unpool_output_size(input, k, s, p, output_size),
                           s, p)


def _fractional(nd, input, kernel_size, output_size, output_ratio, samples):
    name = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an "
                         "output_ratio")
    if output_size is None:
        if nd == 2 and len(output_ratio) > 2:
            raise ValueError(f"{name} requires output_ratio to either be a single Int or tuple "
                             "of Ints.")
        ratio = _ntuple(output_ratio, nd)
        output_size = [int(input.shape[input.dim() - nd + i] * ratio[i]) for i in range(nd)]
    if samples is None:
        from .opdefs.factories import rand
        batch = 1 if input.dim() == nd + 1 else input.shape[0]
        samples = rand(batch, input.shape[input.dim() - nd - 1], nd, dtype=input.dtype)
    from modes import is_grad_enabled
    if samples.requires_grad and is_grad_enabled():
        raise RuntimeError(f"The function '{name}' is not differentiable with respect to "
                           "argument 'random_samples'. This input cannot have requires_grad "
                           "True.")
    op = _P.fractional_max_pool2d if nd == 2 else _P.fractional_max_pool3d
    return op(input, kernel_size, output_size, samples)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """Max pooling over pseudo-random overlapping windows (Graham's fractional max pooling);
    ``_random_samples`` ``(N, C, 2)`` in [0, 1) fixes the windows, else they are drawn."""
    return _fractional(2, input, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    out, idx = _fractional(2, input, kernel_size, output_size, output_ratio, _random_samples)
    return (out, idx) if return_indices else out


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """The 3-d form of :func:`fractional_max_pool2d_with_indices` (samples ``(N, C, 3)``)."""
    return _fractional(3, input, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    out, idx = _fractional(3, input, kernel_size, output_size, output_ratio, _random_samples)
    return (out, idx) if return_indices else out


_P.TOPLEVEL.update(max_pool3d=_torch_max_pool3d)


# torch.<name> functions (picked up by ``tensor/__init__.py`` from the op module's TOPLEVEL)
_L.TOPLEVEL.update(
    conv1d=conv1d, conv2d=conv2d, conv_transpose1d=conv_transpose1d,
    conv_transpose2d=conv_transpose2d, convolution=_L.convolution, max_pool1d=max_pool1d,
    max_pool2d=max_pool2d, max_pool1d_with_indices=max_pool1d_with_indices,
    avg_pool1d=avg_pool1d, adaptive_avg_pool1d=adaptive_avg_pool1d,
    adaptive_max_pool1d=adaptive_max_pool1d_with_indices, batch_norm=_torch_batch_norm,
    constant_pad_nd=_L.constant_pad_nd,
    native_batch_norm=_L.native_batch_norm, group_norm=_torch_group_norm,
    native_group_norm=_L.native_group_norm, pixel_shuffle=pixel_shuffle,
    pixel_unshuffle=pixel_unshuffle)
