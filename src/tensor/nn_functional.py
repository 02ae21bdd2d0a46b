"""``torch.nn.functional``-style functions over tensorkeys' ops.

Everything here is a thin composite: it picks the op (``linear`` is ``addmm`` for a 2-D input
with a bias, else ``matmul`` plus the bias; ``cross_entropy`` is ``log_softmax`` followed by
``nll_loss``) so results carry the same ``grad_fn`` as PyTorch's, and gradients come from the
ops' own formulas.
"""

from __future__ import annotations

import warnings

import numpy as np

from dispatch.keys import Autocast as _AutocastKey
from dispatch.record import current_record as _current_record

from . import _tensor as T
from .opdefs import nn as _nn
from .opdefs.factories import default_generator, tensor as _tensor_fn
from .opdefs.linalg import addmm, matmul
from .opdefs.reduction import short_name

__all__ = ["relu", "gelu", "silu", "sigmoid", "tanh", "softmax", "log_softmax", "linear",
           "mse_loss", "cross_entropy", "nll_loss", "dropout", "leaky_relu", "elu", "softplus",
           "layer_norm", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits"]

_Tensor = T.Tensor


def _as_tensor(x):
    return x if isinstance(x, _Tensor) else _tensor_fn(x)


def _float_only(name, x):
    if x._data.dtype.kind not in "fc":
        raise NotImplementedError(f"\"{name}\" not implemented for '{short_name(x._data.dtype)}'")


# -- activations ---------------------------------------------------------------------------
def relu(input, inplace=False):
    return input.relu_() if inplace else input.relu()


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh. (got "
                           f"{approximate!r})")
    _float_only("GeluKernelImpl", input)
    return input.gelu(approximate=approximate)


def silu(input, inplace=False):
    _float_only("silu_cpu", input)
    return input.silu_() if inplace else input.silu()


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    return _nn.softmax(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _nn.log_softmax(input, dim, dtype)


# -- linear --------------------------------------------------------------------------------
_AUTOCAST = _AutocastKey.bit


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``, by PyTorch's choice of ops (so the graph is its graph):
    ``addmm`` for a 2-D input with a bias (AddmmBackward0); for another contiguous input with a
    1-D bias, ``addmm`` on the input flattened to 2-D, viewed back (ViewBackward0); otherwise
    ``matmul`` and an in-place add of the bias (so that result is at version 1)."""
    if input.dim() == 0 or weight.dim() == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are "
                           f"{input.dim()}D and {weight.dim()}D")
    if not _current_record()[1] & _AUTOCAST:    # autocast is on: cast as linear's kernel
        from .amp import linear_args
        input, weight, bias = linear_args(input, weight, bias)
    if bias is not None:
        if input.dim() == 2:
            return addmm(bias, input, weight.t())
        if bias.dim() == 1 and input.is_contiguous():
            sizes = tuple(input.shape)
            rows = 1
            for n in sizes[:-1]:
                rows *= n
            out = addmm(bias, input.reshape(rows, sizes[-1]), weight.t())
            return out.view(sizes[:-1] + (out.shape[1],))
    out = matmul(input, weight.t())
    if bias is not None:
        out.add_(bias)
    return out


# -- losses --------------------------------------------------------------------------------
def _reduction(reduction, size_average=None, reduce=None):
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else ("mean" if size_average else "sum")
    try:
        return _nn.REDUCTIONS[reduction]
    except (KeyError, TypeError):
        raise ValueError(f"{reduction} is not a valid value for reduction") from None


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    if weight is not None:
        raise NotImplementedError("mse_loss(weight=...) is not supported by tensorkeys")
    target = _as_tensor(target)
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({target.shape!r}) that is different to the input size "
            f"({input.shape!r}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.", UserWarning, stacklevel=2)
    # broadcast first (torch.broadcast_tensors), so the op promotes like PyTorch's
    input, target = _broadcast_pair(input, target)
    return _nn.mse_loss(input, target, _reduction(reduction, size_average, reduce))


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    return _nn.nll_loss(input, target, weight, _reduction(reduction, size_average, reduce),
                        ignore_index)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """``nll_loss(log_softmax(input, class_dim), target)`` for class-index targets; for
    class-probability targets (a float target shaped like ``input``), ``-(target * lsm)``
    summed over classes. ``label_smoothing`` mixes in the uniform distribution."""
    red = _reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    if input.dim() == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    cdim = 0 if input.dim() == 1 else 1
    lsm = log_softmax(input, cdim)
    n_classes = input.shape[cdim]
    if target._data.dtype.kind == "f" and tuple(target.shape) == tuple(input.shape):
        return _cross_entropy_probs(lsm, target, weight, red, label_smoothing, cdim, n_classes)
    nll = _nn.nll_loss(lsm, target, weight, red, ignore_index)
    if label_smoothing == 0.0:
        return nll
    # smoothing term: -(sum over classes of weight_c * lsm_c), ignoring ignore_index targets
    w = lsm if weight is None else lsm * _class_shaped(weight, input.dim(), cdim)
    smooth = -w.sum(cdim)
    ignored = target == ignore_index
    smooth = smooth.masked_fill(ignored, 0.0)
    if red == 1:
        if weight is None:
            denom = (~ignored).sum()
            smooth = smooth.sum() / denom
        else:
            safe_t = target.masked_fill(ignored, 0)
            denom = weight.index_select(0, safe_t.reshape(-1)).reshape(tuple(target.shape))
            smooth = smooth.sum() / denom.masked_fill(ignored, 0.0).sum()
    elif red == 2:
        smooth = smooth.sum()
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)


def _class_shaped(weight, ndim, cdim):
    shape = [1] * ndim
    shape[cdim] = weight.shape[0]
    return weight.reshape(tuple(shape))


def _cross_entropy_probs(lsm, target, weight, red, label_smoothing, cdim, n_classes):
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = lsm * target
    if weight is not None:
        prod = prod * _class_shaped(weight, lsm.dim(), cdim)
    losses = -prod.sum(cdim)
    if red == 0:
        return losses
    if red == 2:
        return losses.sum()
    return losses.sum() / losses.numel()


# -- dropout -------------------------------------------------------------------------------
def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by ``1/(1-p)``, drawing
    from ``opdefs.factories.default_generator()`` (seeded by ``manual_seed``)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    dt = input._data.dtype
    if dt.kind not in "fc":
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{short_name(dt)}")
    if p == 1.0:
        mask = np.zeros(input._data.shape, dt)
    else:
        # PyTorch's CPU dropout: a bernoulli_(1 - p) mask, then divided by 1 - p
        from . import _random as R
        keep = R.bernoulli_scalar(default_generator(), input._data.size,
                                  1.0 - p).reshape(input._data.shape)
        mask = (keep.astype(dt) / dt.type(1.0 - p)).astype(dt)
    m = T.wrap(mask)
    return input.mul_(m) if inplace else input * m


# -- more activations ----------------------------------------------------------------------
def leaky_relu(input, negative_slope=0.01, inplace=False):
    return (_nn.leaky_relu_ if inplace else _nn.leaky_relu)(input, negative_slope)


def elu(input, alpha=1.0, inplace=False):
    return (_nn.elu_ if inplace else _nn.elu)(input, alpha)


def softplus(input, beta=1.0, threshold=20.0):
    return _nn.softplus(input, beta, threshold)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    return _nn.layer_norm(input, tuple(normalized_shape), weight, bias, eps)


# -- more losses ---------------------------------------------------------------------------
def _warn_target_size(input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({target.shape!r}) that is different to the input size "
            f"({input.shape!r}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.", UserWarning, stacklevel=3)


def _broadcast_pair(a, b):
    """``torch.broadcast_tensors(a, b)``: each operand expanded to the common shape (one that
    already has it is left alone, so no ExpandBackward0 appears for it)."""
    sa, sb = tuple(a.shape), tuple(b.shape)
    if sa == sb:
        return a, b
    try:
        shape = tuple(np.broadcast_shapes(sa, sb))
    except ValueError:
        from .opdefs._util import broadcast_error
        raise broadcast_error(sa, sb) from None
    return (a if sa == shape else a.expand(shape)), (b if sb == shape else b.expand(shape))


def _weighted_reduce(loss, weight, reduction, denominator):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return denominator(loss, weight)
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                     "'sum'.")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    target = _as_tensor(target)
    _warn_target_size(input, target)
    if size_average is not None or reduce is not None:
        reduction = {0: "none", 1: "mean", 2: "sum"}[_reduction(reduction, size_average, reduce)]
    x, t = _broadcast_pair(input, target)
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape):
            raise ValueError("Weights and input must have the same size.")
        loss = (x - t).abs() * weight
        return _weighted_reduce(loss, weight, reduction, lambda l_, w: l_.sum() / w.sum())
    return _nn.l1_loss(x, t, _reduction(reduction))


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    target = _as_tensor(target)
    _warn_target_size(input, target)
    red = _reduction(reduction, size_average, reduce)
    x, t = _broadcast_pair(input, target)
    if beta == 0.0:
        return _nn.l1_loss(x, t, red)
    return _nn.smooth_l1_loss(x, t, red, beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    target = _as_tensor(target)
    _warn_target_size(input, target)
    x, t = _broadcast_pair(input, target)
    if weight is None:
        return _nn.huber_loss(x, t, _reduction(reduction), delta)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = _nn.huber_loss(x, t, 0, delta) * weight
    return _weighted_reduce(loss, weight, reduction, lambda l_, w: l_.mean())


def _not_differentiable(fn, name, t):
    from modes import is_grad_enabled
    if t is not None and t.requires_grad and is_grad_enabled():
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument "
                           f"'{name}'. This input cannot have requires_grad True.")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    red = _reduction(reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape!r}) that is different to the input "
                         f"size ({input.shape!r}) is deprecated. Please ensure they have the same "
                         "size.")
    if weight is not None:
        _not_differentiable("binary_cross_entropy", "weight", weight)
        try:
            shape = tuple(np.broadcast_shapes(tuple(target.shape), tuple(weight.shape)))
        except ValueError:
            raise RuntimeError(f"Attempting to broadcast a dimension of length "
                               f"{_clash(tuple(weight.shape), tuple(target.shape))} at -1! "
                               f"Mismatching argument at index 1 had {weight.shape!r}; but "
                               "expected shape should be broadcastable to "
                               f"{list(target.shape)}") from None
        weight = weight.expand(shape)
    return _nn.binary_cross_entropy(input, target, weight, red)


def _clash(a, b):
    for x, y in zip(reversed(a), reversed(b)):
        if x != y and x != 1 and y != 1:
            return x
    return a[-1] if a else 1


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    red = _reduction(reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape!r}) must be the same as input size "
                         f"({input.shape!r})")
    _not_differentiable("binary_cross_entropy_with_logits", "weight", weight)
    _not_differentiable("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    bce_with_logits_shape_check(*(None if t is None else tuple(t.shape)
                                  for t in (input, target, weight, pos_weight)))
    return _nn.binary_cross_entropy_with_logits(input, target, weight, pos_weight, red)


def bce_with_logits_shape_check(x, t, w=None, pw=None):
    """The shape errors of PyTorch's ``binary_cross_entropy_with_logits`` kernel, for the
    shapes of input ``x``, target ``t``, ``weight`` ``w`` and ``pos_weight`` ``pw``. The
    kernel computes ``log_sigmoid(x).mul_((pw - 1) * t + 1)`` (with ``pos_weight``), then
    ``(1 - t).mul_(x).sub_(that)``, then ``.mul_(w)``: each in-place step keeps the shape of
    the tensor it writes, so ``t`` must be the broadcast shape of all of them, and with
    ``pos_weight`` so must ``x``."""
    from .opdefs._util import broadcast_error

    def broadcast(a, b):
        try:
            return tuple(np.broadcast_shapes(a, b))
        except ValueError:
            raise broadcast_error(a, b) from None

    def in_place(a, b):
        s = broadcast(a, b)
        if s != tuple(a):
            raise RuntimeError(f"output with shape [{', '.join(map(str, a))}] doesn't match "
                               f"the broadcast shape [{', '.join(map(str, s))}]")

    if pw is not None:
        in_place(x, broadcast(pw, t))
    in_place(t, x)
    if w is not None:
        in_place(t, w)


# -- more functions, composed of our ops --------------------------------------------------
# (Where PyTorch composes them the same way the graph matches too: softmin, normalize.
# hardtanh/relu6, logsigmoid, pad and cosine_similarity are single ops in PyTorch, so their
# grad_fn names differ here; values and gradients are PyTorch's.)
def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    from .opdefs.nn_more import hardtanh as _hardtanh, hardtanh_ as _hardtanh_
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return (_hardtanh_ if inplace else _hardtanh)(input, min_val, max_val)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def logsigmoid(input):
    from .opdefs.nn_more import log_sigmoid
    return log_sigmoid(input)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel)
    return softmax(-input, dim, dtype=dtype)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is not None:
        raise TypeError("normalize(out=...) is not supported by tensorkeys")
    return input / denom


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """PyTorch's steps: each input divided by its norm first (the result stays in [-1, 1]),
    the norms cloned and clamped to ``eps`` in place under no_grad (so the clamp is not
    differentiated), then the product summed."""
    from modes import no_grad
    from ._dtype import result_type
    from .linalg import vector_norm
    common = result_type(x1, x2)
    if not common.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{short_name(common.np)}")
    x1, x2 = (x if x.dtype.is_floating_point else x.to(common) for x in (x1, x2))
    x1, x2 = _broadcast_pair(x1, x2)
    n1 = vector_norm(x1, 2, dim, keepdim=True).clone()
    n2 = vector_norm(x2, 2, dim, keepdim=True).clone()
    with no_grad():
        n1.clamp_min_(eps)
        n2.clamp_min_(eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``x * rsqrt(mean(x ** 2 over the trailing dims) + eps)``, times ``weight`` (PyTorch's
    composite, step for step; ``eps`` defaults to the dtype's machine epsilon)."""
    from .opdefs.pointwise import add_scalar
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else \
        tuple(normalized_shape)
    k = len(shape)
    if tuple(input.shape[input.dim() - k:]) != shape or input.dim() < k:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.dim() - k, input.dim()))
    r = input * add_scalar(input.pow(2).mean(dims, keepdim=True), eps).rsqrt()
    return r * weight if weight is not None else r


def pad(input, pad, mode="constant", value=None):
    """``F.pad``: ``pad`` lists (before, after) pairs from the last dim backwards. Constant
    padding is the ``constant_pad_nd`` op (negative widths crop); ``reflect``, ``replicate``
    and ``circular`` gather each padded dim through an index (so their gradients add the
    copies back), with PyTorch's limits on which inputs each accepts."""
    pad = tuple(pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the "
                           "input dimension but got padding length "
                           f"{len(pad)} and input of dimension {input.dim()}")
    if mode == "constant":
        from .opdefs.nn_layers import constant_pad_nd
        return constant_pad_nd(input, pad, 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pad) // 2
    if k not in (1, 2, 3) or input.dim() not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for "
                                  f"{input.dim()}D input tensor.")
    from .opdefs.factories import tensor as _t
    out = input
    shape = list(input.shape)
    for i in range(k):
        d = input.dim() - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        n = shape[d]
        idx = np.arange(-lo, n + hi)
        size = n + lo + hi
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #{4 + 2 * i}: Padding size should be less than "
                               f"the corresponding input dimension, but got: padding ({lo}, "
                               f"{hi}) at dimension {d} of input {shape}")
        if mode != "circular" and k == 1 and size <= 0:
            raise RuntimeError(f"input (W: {n}) is too small. Calculated output W: {size}")
        if size < 0:
            raise RuntimeError(f"Negative padding value is resulting in an empty dimension "
                               f"(dimension {d} would have size {size})")
        if mode == "reflect":
            idx = np.abs(idx)
            idx = np.where(idx > n - 1, 2 * (n - 1) - idx, idx)
        elif mode == "replicate":
            idx = np.clip(idx, 0, n - 1)
        else:
            if lo > n or hi > n:
                raise RuntimeError("Padding value causes wrapping around more than once.")
            # negative widths crop first; the wrap then comes from what is left
            start, kept = max(-lo, 0), n - max(-lo, 0) - max(-hi, 0)
            if size and (lo > kept or hi > kept):
                raise RuntimeError("unsupported operation: some elements of the input tensor "
                                   "and the written-to tensor refer to a single memory "
                                   "location. Please clone() the tensor before performing the "
                                   "operation.")
            idx = start + np.arange(-max(lo, 0), kept + max(hi, 0)) % max(kept, 1)
        out = out.index_select(d, _t(idx))
    return out


def one_hot(tensor, num_classes=-1):
    from .opdefs.factories import arange
    if tensor.dtype.is_floating_point:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if tensor.numel() and int(tensor.min()) < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(tensor.max()) + 1 if tensor.numel() else 0
    elif tensor.numel() and int(tensor.max()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return (tensor.unsqueeze(-1) == arange(num_classes)).long()


def _embedding_renorm(weight, indices, max_norm, norm_type):
    """PyTorch's ``embedding_renorm_`` under no_grad: each distinct row ``indices`` names
    whose ``norm_type`` norm (in ``weight``'s dtype) exceeds ``max_norm`` is scaled by
    ``max_norm / (norm + 1e-7)``; ``weight`` is written once (one version bump) even when no
    row changes. Indices are checked before anything is written."""
    from modes import no_grad
    from .opdefs.surface_ops import _LEGACY
    w, idx = weight._data, indices._data
    if w.ndim != 2:
        raise RuntimeError(f"Expected 2-dimensional tensor, but got {w.ndim}-dimensional "
                           "tensor for argument #1 'self' (while checking arguments for "
                           "embedding_renorm_)")
    if idx.dtype not in (np.int64, np.int32):
        got = _LEGACY.get(idx.dtype.name, str(idx.dtype))
        raise RuntimeError("Expected tensor for argument #2 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {got} instead (while "
                           "checking arguments for embedding_renorm_)")
    rows = sorted(set(int(i) for i in idx.reshape(-1).tolist()))
    n = w.shape[0]
    for i in rows:
        if not -n <= i < n:
            raise IndexError(f"select(): index {i} out of range for tensor of size "
                             f"[{n}, {w.shape[1]}] at dimension 0")
    new = w[[i % n for i in rows]].copy()
    for r in new:
        if norm_type in (0, 1, 2) or np.isinf(norm_type):
            norm = float(w.dtype.type(np.linalg.norm(r.astype(np.float64), ord=norm_type)))
        else:   # PyTorch sums a general power in the weight's own precision
            p = w.dtype.type(norm_type)
            norm = float((np.abs(r) ** p).sum(dtype=w.dtype) ** (1 / p))
        if norm > max_norm:
            r *= w.dtype.type(max_norm / (norm + 1e-7))
    with no_grad():
        weight[_tensor_fn([i % n for i in rows], dtype=T.D.int64)] = T.wrap(new)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` picked by ``input``, through the ``embedding`` op (node
    ``EmbeddingBackward0``). With ``max_norm``, the rows ``input`` uses are first rescaled in
    place, unrecorded, to norm at most ``max_norm`` (one version bump of ``weight``)."""
    from .opdefs.surface_ops import embedding as _embedding
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < weight.size(0), "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -weight.size(0), "Padding_idx must be within num_embeddings"
            padding_idx = weight.size(0) + padding_idx
    else:
        padding_idx = -1
    if max_norm is not None:
        input = input.contiguous()
        _embedding_renorm(weight, input, max_norm, norm_type)
    return _embedding(weight, input, padding_idx, scale_grad_by_freq, sparse)


__all__ += ["rms_norm", "hardtanh", "relu6", "logsigmoid", "softmin", "normalize",
            "cosine_similarity", "pad", "one_hot", "embedding"]
