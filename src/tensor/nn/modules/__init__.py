"""``tensor.nn.modules``: PyTorch's ``torch.nn.modules`` package, and the home of the basic
layers of ``tensor.nn``: ``Linear``, activations, ``Dropout``, ``Flatten``, losses.

The ``Module`` / ``Parameter`` machinery lives in ``nn/module.py``, the containers in
``nn/containers.py``, the other layers in ``nn/layers.py``, ``modules_more.py``,
``modules_extra.py``, ``recurrent.py``, ``transformer.py`` and ``lazy.py``. The submodules of
this package carry PyTorch's names (``tensor.nn.modules.loss``, ``.conv``, ``.batchnorm``,
``.utils``...) and re-export those classes, private bases included (``_Loss``,
``_WeightedLoss``, ``_ConvNd``, ``_BatchNorm``...), so ``from torch.nn.modules.loss import
_Loss`` has its counterpart here; ``tensor.nn.modules.module`` and ``.lazy`` are
``tensor.nn.module`` and ``tensor.nn.lazy`` themselves.

A layer shows its settings through ``extra_repr`` (what ``print(model)`` prints
inside ``Name(...)``), with PyTorch's attribute names and texts.
"""

from __future__ import annotations

import math
import warnings

from modes import no_grad as _no_grad

from ... import _tensor as T
from ... import nn_functional as F
from ...opdefs import factories
from .. import init
from ..module import Module, Parameter, Buffer  # noqa: F401  (re-exported)
from ..containers import Sequential  # noqa: F401  (re-exported)
from ..layers import _DropoutNd

__all__ = ["Parameter", "Module", "Linear", "Sequential", "ReLU", "Tanh", "MSELoss",
           "CrossEntropyLoss", "LeakyReLU", "ELU", "Softplus", "LayerNorm", "L1Loss", "BCELoss",
           "BCEWithLogitsLoss", "SmoothL1Loss", "HuberLoss", "Identity", "Flatten", "Unflatten",
           "Sigmoid", "GELU", "SiLU", "Softmax", "LogSoftmax", "Dropout", "NLLLoss", "Buffer"]


class Linear(Module):
    """``y = x @ W.T + b``. ``weight`` is (out_features, in_features); ``reset_parameters``
    initialises as PyTorch does: ``kaiming_uniform_(weight, a=sqrt(5))``, i.e.
    U(-1/sqrt(in), 1/sqrt(in)), and ``bias`` ~ U(-1/sqrt(in), 1/sqrt(in)), one version bump
    each."""

    __constants__ = ["in_features", "out_features"]

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        if device is not None:
            T.check_cpu(device)             # refuses anything but the CPU
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(factories.empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(factories.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """Returns its input; accepts (and ignores) any constructor arguments."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class ReLU(Module):
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Tanh(Module):
    def forward(self, input):
        return F.tanh(input)


class Sigmoid(Module):
    def forward(self, input):
        return F.sigmoid(input)


class GELU(Module):
    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.silu(input, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class _DimModule(Module):
    """A module whose one setting is ``dim`` (None: PyTorch's legacy implicit dimension,
    with its warning), kept across pickles that predate it."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def __setstate__(self, state):
        super().__setstate__(state)
        if not hasattr(self, "dim"):
            self.dim = None

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_DimModule):
    """``dim=None`` picks PyTorch's legacy implicit dimension (with its warning)."""

    def forward(self, input):
        return F.softmax(input, self.dim, _stacklevel=5)


class LogSoftmax(Softmax):
    def forward(self, input):
        return F.log_softmax(input, self.dim, _stacklevel=5)


class Flatten(Module):
    """Flattens dims ``start_dim..end_dim`` into one (``input.flatten``)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Splits dim ``dim`` into ``unflattened_size`` (one entry may be -1)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError("unflattened_size must be a tuple of ints, but found type "
                            f"{type(unflattened_size).__name__}")
        for idx, elem in enumerate(unflattened_size):
            if not isinstance(elem, int):
                raise TypeError("unflattened_size must be tuple of ints, but found element of "
                                f"type {type(elem).__name__} at pos {idx}")
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input):
        return _unflatten(input, self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


def _unflatten(x, dim, sizes):
    """``x.unflatten(dim, sizes)`` as a reshape (a view when ``x`` allows one)."""
    d = T._wrap_dim(dim, x.dim())
    sizes = [int(s) for s in sizes]
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = x.shape[d]
    if sizes.count(-1) > 1:
        raise RuntimeError("unflatten got an unexpected error:\nonly one dimension can be "
                           "inferred")
    known = math.prod(s for s in sizes if s != -1)
    ok = (n % known == 0 if known else False) if -1 in sizes else known == n
    if not ok:
        raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the size of "
                           f"dim {dim} ({n}) in the input tensor")
    if -1 in sizes:
        sizes[sizes.index(-1)] = n // known
    shape = tuple(x.shape)
    return x.reshape(shape[:d] + tuple(sizes) + shape[d + 1:])


class Dropout(_DropoutNd):
    """Zeroes each element with probability ``p`` in training mode and scales the kept ones by
    ``1/(1-p)``; the identity in eval mode (draws from tensorkeys' generator)."""

    __constants__ = ["p", "inplace"]

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


def _legacy_reduction(size_average, reduce):
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else ("sum" if reduce else "none")
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{ret}' instead.", stacklevel=3)
    return ret


class _Loss(Module):
    """Base of the losses (PyTorch's ``_Loss``): keeps ``reduction`` (the legacy
    ``size_average`` / ``reduce`` arguments are translated, with PyTorch's deprecation
    warning). A user's loss subclasses it and writes ``forward``."""

    reduction: str

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        if size_average is not None or reduce is not None:
            self.reduction = _legacy_reduction(size_average, reduce)
        else:
            self.reduction = reduction


_ReductionLoss = _Loss        # the name our loss modules were first written against


class _WeightedLoss(_Loss):
    """A loss with an optional per-class ``weight``, kept as a buffer (in the state dict)."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_ReductionLoss):
    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class NLLLoss(_WeightedLoss):
    __constants__ = ["ignore_index", "reduction"]

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    __constants__ = ["ignore_index", "reduction", "label_smoothing"]

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight,
                               ignore_index=self.ignore_index, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)


class LeakyReLU(Module):
    __constants__ = ["inplace", "negative_slope"]

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace
                                                          else "")


class ELU(Module):
    __constants__ = ["alpha", "inplace"]

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Softplus(Module):
    __constants__ = ["beta", "threshold"]

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` dims; a learnable ``weight`` (ones) and
    ``bias`` (zeros) when ``elementwise_affine`` (``bias=False`` drops the bias)."""

    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]

    def __init__(self, normalized_shape, eps=1e-05, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        if device is not None:
            T.check_cpu(device)             # refuses anything but the CPU
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(factories.empty(self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(factories.empty(self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class L1Loss(_ReductionLoss):
    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_ReductionLoss):
    __constants__ = ["reduction"]

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_ReductionLoss):
    __constants__ = ["reduction", "delta"]

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_ReductionLoss):
    """``weight`` and ``pos_weight`` are buffers (in the state dict when given)."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean",
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  pos_weight=self.pos_weight,
                                                  reduction=self.reduction)


class Embedding(Module):
    """A lookup table: ``weight`` (num_embeddings, embedding_dim) ~ N(0, 1), the
    ``padding_idx`` row zeroed (and given no gradient), as PyTorch initialises it."""

    __constants__ = ["num_embeddings", "embedding_dim", "padding_idx", "max_norm",
                     "norm_type", "scale_grad_by_freq", "sparse"]

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None):
        super().__init__()
        if device is not None:
            T.check_cpu(device)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        if padding_idx is not None:
            if padding_idx > 0:
                assert padding_idx < num_embeddings, \
                    "Padding_idx must be within num_embeddings"
            elif padding_idx < 0:
                assert padding_idx >= -num_embeddings, \
                    "Padding_idx must be within num_embeddings"
                padding_idx = num_embeddings + padding_idx
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            self.weight = Parameter(factories.empty((num_embeddings, embedding_dim),
                                                    dtype=dtype), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with _no_grad():
                self.weight[self.padding_idx].fill_(0)

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm,
                           self.norm_type, self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0, scale_grad_by_freq=False, sparse=False):
        assert embeddings.dim() == 2, "Embeddings parameter is expected to be 2-dimensional"
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)


# -- PyTorch's submodules ---------------------------------------------------------------------
# ``module`` and ``lazy`` are our modules themselves (their global hook tables and mixins are
# shared, not copied); the others re-export. Imported last: they read the classes above.
def _install_submodules():
    import sys
    from .. import module as module_mod, lazy as lazy_mod
    pkg = sys.modules[__name__]
    for name, mod in (("module", module_mod), ("lazy", lazy_mod)):
        sys.modules.setdefault(f"{__name__}.{name}", mod)
        setattr(pkg, name, mod)
    from . import (  # noqa: F401
        activation, adaptive, batchnorm, channelshuffle, container, conv, distance, dropout,
        flatten, fold, instancenorm, linear, loss, normalization, padding, pixelshuffle,
        pooling, rnn, sparse, transformer, upsampling, utils)
    # ``torch.nn.modules.Conv2d`` and friends: every class the submodules list
    for sub in (activation, adaptive, batchnorm, channelshuffle, container, conv, distance,
                dropout, flatten, fold, instancenorm, linear, loss, normalization, padding,
                pixelshuffle, pooling, rnn, sparse, transformer, upsampling):
        for n in sub.__all__:
            if not hasattr(pkg, n):
                setattr(pkg, n, getattr(sub, n))
    pkg.LazyModuleMixin = lazy_mod.LazyModuleMixin


_install_submodules()
del _install_submodules
