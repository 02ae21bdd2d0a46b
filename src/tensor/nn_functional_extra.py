"""``nn.functional`` entries over ``opdefs/nn_extra.py`` (re-exported by ``nn.functional``):
``bilinear``, ``pdist``, ``channel_shuffle``, the alpha dropouts, the in-place activation
forms and the rarer losses and sampling functions.

Functions that PyTorch writes in Python (``gumbel_softmax``,
``triplet_margin_with_distance_loss``, ``affine_grid``...) are the same arithmetic over our
ops here, so their graphs carry the same node names.
"""

from __future__ import annotations

import warnings

from . import nn_functional_more as _more
from .opdefs import nn_extra as _ops
from ._defop import OPS
from ._dtype import int64 as _int64
from ._tensor import Tensor as _Tensor

__all__ = ["bilinear", "pdist", "channel_shuffle", "native_channel_shuffle", "alpha_dropout",
           "feature_alpha_dropout", "elu_", "relu_", "leaky_relu_", "hardtanh_",
           "multilabel_margin_loss", "triplet_margin_with_distance_loss", "gumbel_softmax",
           "embedding_bag", "affine_grid", "grid_sample", "ctc_loss"]


def bilinear(input1, input2, weight, bias=None):
    return _ops.bilinear(input1, input2, weight, bias)


def pdist(input, p=2):
    return _ops.pdist(input, p)


def channel_shuffle(input, groups):
    return _ops.channel_shuffle(input, groups)


def native_channel_shuffle(input, groups):
    return _ops.native_channel_shuffle(input, groups)


# -- alpha dropout -------------------------------------------------------------------------
def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped elements take SELU's negative saturation value and
    an affine correction keeps the mean and variance (draws from tensorkeys' generator)."""
    _check_p(p)
    return (_ops.alpha_dropout_ if inplace else _ops.alpha_dropout)(input, p, training)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """``alpha_dropout`` of whole channels (dim 1)."""
    _check_p(p)
    fn = _ops.feature_alpha_dropout_ if inplace else _ops.feature_alpha_dropout
    return fn(input, p, training)


# -- in-place activation forms -------------------------------------------------------------
def elu_(input, alpha=1.0):
    return OPS["aten::elu_"](input, alpha)


def relu_(input):
    return OPS["aten::relu_"](input)


def leaky_relu_(input, negative_slope=0.01):
    return OPS["aten::leaky_relu_"](input, negative_slope)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return OPS["aten::hardtanh_"](input, min_val, max_val)


# -- losses --------------------------------------------------------------------------------
def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Per sample, the hinge ``1 - x[j] + x[i]`` summed over its target classes ``j`` (the
    entries of ``target`` before the first -1) and its other classes ``i``, over the class
    count."""
    red = _more._enum(reduction, size_average, reduce)
    return _ops.multilabel_margin_loss(input, target, red)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """``max(d(a, p) - d(a, n) + margin, 0)`` for any distance ``d`` (pairwise distance by
    default); with ``swap`` the negative's distance is the smaller of ``d(a, n)`` and
    ``d(p, n)``."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not a == p == n:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have "
                           f"the same number of dimensions, but got: anchor {a}D, positive "
                           f"{p}D, and negative {n}D inputs")
    if distance_function is None:
        distance_function = _more.pairwise_distance
    dist_pos = distance_function(anchor, positive)
    dist_neg = distance_function(anchor, negative)
    if swap:
        dist_neg = dist_neg.minimum(distance_function(positive, negative))
    loss = (margin + dist_pos - dist_neg).clamp_min(0)
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.mean()
    return loss


# -- sampling ------------------------------------------------------------------------------
def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """``softmax((logits + g) / tau)`` with Gumbel(0, 1) noise ``g`` (from tensorkeys'
    generator); ``hard`` returns the one-hot of the argmax with the soft sample's gradient
    (``y_hard - y_soft.detach() + y_soft``)."""
    from .opdefs.factories import empty_like, zeros_like
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    gumbels = -empty_like(logits).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


# -- embedding_bag -------------------------------------------------------------------------
def _renorm_rows(weight, input, max_norm, norm_type):
    """Rescale (in place, unrecorded) the rows ``input`` uses whose ``norm_type`` norm
    exceeds ``max_norm`` to norm ``max_norm`` (PyTorch's ``embedding_renorm_``)."""
    from modes import no_grad
    from .opdefs.factories import tensor as _tensor
    rows = sorted(set(int(i) for i in input.reshape(-1).tolist()))
    if not rows:
        return
    with no_grad():
        idx = _tensor(rows)
        picked = weight.index_select(0, idx)
        norms = picked.norm(norm_type, 1, keepdim=True)
        scale = (max_norm / (norms + 1e-7)).where(norms > max_norm, 1.0)
        weight[idx] = picked * scale


_MODES = {"sum": 0, "mean": 1, "max": 2}


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """Sums, means or maxima of bags of embedding rows: a 2-D ``input`` is one bag per row;
    a 1-D one is cut into bags at ``offsets``."""
    from .opdefs.factories import arange
    if weight.dtype == _int64 and input.is_floating_point():
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage "
                      "`embedding_bag(weight, input, ...)` is deprecated, and should now be "
                      "`embedding_bag(input, weight, ...)`.", stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and input.size() != per_sample_weights.size():
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is "
                         f"not None, then it must have the same shape as the input "
                         f"({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            kind = "<class 'torch.Tensor'>" if isinstance(offsets, _Tensor) else type(offsets)
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is treated "
                             f"is a mini-batch of fixed length sequences. However, found "
                             f"offsets of type {kind}")
        offsets = arange(0, input.numel(), input.size(1), dtype=input.dtype)
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.dim()}")
    if mode not in _MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max":
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    if max_norm is not None:
        _renorm_rows(weight, input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    return _ops.embedding_bag(weight, input, offsets, scale_grad_by_freq, _MODES[mode], sparse,
                              per_sample_weights, include_last_offset, padding_idx)[0]


# -- spatial transformers ------------------------------------------------------------------
def _warn_align_corners():
    warnings.warn("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the "
                  "old behavior is desired. See the documentation of grid_sample for details.",
                  stacklevel=3)


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of a batch of affine maps ``theta`` (N x 2 x 3 or N x 3 x 4) over an
    output of ``size``, in [-1, 1] coordinates, x first."""
    if align_corners is None:
        _warn_align_corners()
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    shape = tuple(theta.shape)
    if len(size) == 4:
        if theta.dim() != 3 or shape[-2] != 2 or shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {theta.shape}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or shape[-2] != 3 or shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {theta.shape}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                      "grids when align_corners=True. This is not an intended use case of "
                      "affine_grid. See the documentation of affine_grid for details.",
                      stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if shape[0] != size[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{size[0]}, {shape[-1]}] but got: [{shape[0]}, {shape[-1]}].")
    return _ops.affine_grid_generator(theta, list(size), align_corners)


_INTERP = {"bilinear": 0, "nearest": 1, "bicubic": 2}
_PADDING = {"zeros": 0, "border": 1, "reflection": 2}


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` at the [-1, 1] coordinates of ``grid`` (bilinear or nearest; out of
    range handled by ``padding_mode``)."""
    if mode not in _INTERP:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in _PADDING:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        _warn_align_corners()
        align_corners = False
    return _ops.grid_sampler(input, grid, _INTERP[mode], _PADDING[padding_mode], align_corners)


# -- ctc_loss ------------------------------------------------------------------------------
def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """The connectionist temporal classification loss: ``-log`` of the total probability of
    all alignments of each target sequence to its input steps (``log_probs``: T x N x C, or
    T x C unbatched)."""
    return _ops._ctc_loss_toplevel(log_probs, targets, input_lengths, target_lengths, blank,
                                   _more._enum(reduction), zero_infinity)
