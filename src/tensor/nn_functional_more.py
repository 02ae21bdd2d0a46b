"""More ``torch.nn.functional``: the remaining activations (shrink, threshold, hard*, mish,
selu / celu, prelu, rrelu, glu) and losses (kl_div, poisson / gaussian NLL, the margin and
embedding losses, soft margin losses) plus ``pairwise_distance``.

Each function checks its arguments the way PyTorch's does and calls the op PyTorch calls
(``opdefs/nn_more.py``), so values, errors and ``grad_fn`` follow from the op. Functions that
PyTorch writes in Python (``tanhshrink``, ``softsign``, ``gaussian_nll_loss``,
``multilabel_soft_margin_loss``) are the same arithmetic here.
"""

from __future__ import annotations

import math
import warnings

from . import _tensor as T
from .nn_functional import logsigmoid
from .opdefs import nn_more as _ops
from .opdefs.factories import ones_like

__all__ = ["hardshrink", "softshrink", "tanhshrink", "softsign", "threshold", "threshold_",
           "mish", "hardswish", "hardsigmoid", "selu", "selu_", "celu", "celu_", "prelu",
           "rrelu", "rrelu_", "glu", "kl_div", "poisson_nll_loss", "gaussian_nll_loss",
           "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss",
           "triplet_margin_loss", "soft_margin_loss", "multilabel_soft_margin_loss",
           "multi_margin_loss", "pairwise_distance"]

_Tensor = T.Tensor


# -- activations ---------------------------------------------------------------------------
def hardshrink(input, lambd=0.5):
    return _ops.hardshrink(input, lambd)


def softshrink(input, lambd=0.5):
    return _ops.softshrink(input, lambd)


def tanhshrink(input):
    return input - input.tanh()


def softsign(input):
    return input / (input.abs() + 1)


def threshold(input, threshold, value, inplace=False):
    return (_ops.threshold_ if inplace else _ops.threshold)(input, threshold, value)


def threshold_(input, threshold, value):
    return _ops.threshold_(input, threshold, value)


def mish(input, inplace=False):
    return _ops.mish_(input) if inplace else _ops.mish(input)


def hardswish(input, inplace=False):
    return _ops.hardswish_(input) if inplace else _ops.hardswish(input)


def hardsigmoid(input, inplace=False):
    return _ops.hardsigmoid_(input) if inplace else _ops.hardsigmoid(input)


def selu(input, inplace=False):
    return _ops.selu_(input) if inplace else _ops.selu(input)


def selu_(input):
    return _ops.selu_(input)


def celu(input, alpha=1.0, inplace=False):
    return (_ops.celu_ if inplace else _ops.celu)(input, alpha)


def celu_(input, alpha=1.0):
    return _ops.celu_(input, alpha)


def prelu(input, weight):
    return _ops.prelu(input, weight)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Leaky ReLU with slopes drawn from U(lower, upper) for the negative inputs in training
    (from tensorkeys' generator, seeded by ``manual_seed``); the mean slope otherwise."""
    return (_ops.rrelu_ if inplace else _ops.rrelu)(input, lower, upper, training)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return _ops.rrelu_(input, lower, upper, training)


def glu(input, dim=-1):
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    return _ops.glu(input, dim)


# -- reductions ----------------------------------------------------------------------------
_ENUM = {"none": 0, "mean": 1, "sum": 2}


def _legacy_string(size_average, reduce):
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else ("sum" if reduce else "none")
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{ret}' instead.", stacklevel=3)
    return ret


def _enum(reduction, size_average=None, reduce=None):
    """PyTorch's reduction enum (0 none, 1 mean, 2 sum); the legacy pair wins, with its
    deprecation warning."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_string(size_average, reduce)
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' "
                      "instead.", stacklevel=3)
        return 1
    if reduction not in _ENUM:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return _ENUM[reduction]


def _reduce(loss, reduction):
    if reduction == 1:
        return loss.mean()
    if reduction == 2:
        return loss.sum()
    return loss


# -- losses --------------------------------------------------------------------------------
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """``target * (log target - input)`` (``exp(target) * (target - input)`` with
    ``log_target``); ``'batchmean'`` sums and divides by the batch size (dim 0)."""
    if size_average is not None or reduce is not None:
        red = _ENUM[_legacy_string(size_average, reduce)]
    else:
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the "
                "support size.'batchmean' divides only by the batch size, and aligns with the "
                "KL div math definition.'mean' will be changed to behave the same as "
                "'batchmean' in the next major release.", stacklevel=2)
        red = 2 if reduction == "batchmean" else _enum(reduction)
    out = _ops.kl_div(input, target, red, log_target=log_target)
    if reduction == "batchmean" and input.dim() != 0:
        out = out / input.shape[0]
    return out


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-08,
                     reduce=None, reduction="mean"):
    if size_average is not None or reduce is not None:
        reduction = _legacy_string(size_average, reduce)
    if reduction not in _ENUM:
        raise ValueError(reduction + " is not a valid value for reduction")
    return _ops.poisson_nll_loss(input, target, log_input, full, eps, _ENUM[reduction])


def gaussian_nll_loss(input, target, var, full=False, eps=1e-06, reduction="mean"):
    """``0.5 * (log var + (input - target)**2 / var)`` with ``var`` clamped to ``eps`` (the
    clamp is not differentiated); ``var`` may have one dim of size 1 (or one dim fewer) where
    ``input`` has more, or be a float."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    in_shape, var_shape = tuple(input.shape), tuple(var.shape)
    if var_shape != in_shape:
        if in_shape[:-1] == var_shape:
            var = var.unsqueeze(-1)
        elif not (len(in_shape) == len(var_shape)
                  and sum(v for i, v in zip(in_shape, var_shape) if i != v) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in _ENUM:
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    from modes import no_grad
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss += 0.5 * math.log(2 * math.pi)
    return _reduce(loss, _ENUM[reduction])


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    red = _enum(reduction, size_average, reduce)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.size()}, input2: {input2.size()}, "
                           f"target: {target.size()} ")
    return _ops.margin_ranking_loss(input1, input2, target, margin, red)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    return _ops.hinge_embedding_loss(input, target, margin,
                                     _enum(reduction, size_average, reduce))


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    return _ops.cosine_embedding_loss(input1, input2, target, margin,
                                      _enum(reduction, size_average, reduce))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    red = _enum(reduction, size_average, reduce)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    return _ops.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, red)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    red = _enum(reduction, size_average, reduce)
    _ops.refuse_target_grad("soft_margin_loss", target)
    return _ops.soft_margin_loss(input, target, red)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    if size_average is not None or reduce is not None:
        reduction = _legacy_string(size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(dim=class_dim) / input.size(class_dim)
    if reduction not in _ENUM:
        raise ValueError(reduction + " is not valid")
    return _reduce(loss, _ENUM[reduction])


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    red = _enum(reduction, size_average, reduce)
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    return _ops.multi_margin_loss(input, target, p, margin, weight, red)


def pairwise_distance(x1, x2, p=2.0, eps=1e-06, keepdim=False):
    return _ops.pairwise_distance(x1, x2, p, eps, keepdim)
