"""The aten ops behind the less common ``nn.functional`` entries: ``bilinear``
(``_trilinear``), ``pdist``, ``channel_shuffle``, the alpha dropouts,
``multilabel_margin_loss``, ``embedding_bag``, ``affine_grid_generator``, the grid samplers
and ``ctc_loss``.

``bilinear`` is a composite in PyTorch: it flattens both inputs to matrices, contracts them
with the weight through ``_trilinear`` and reshapes the result, so its graph here is made of
the same parts (``AddBackward0`` over ``ViewBackward0`` over ``TrilinearBackward0``). The alpha
dropouts are composites too: a Bernoulli mask (drawn from tensorkeys' generator) turned into an
affine map ``input * a + b`` that keeps a SELU network's mean and variance.

Where PyTorch's backward op has no derivative of its own (``_pdist_backward``,
``multilabel_margin_loss_backward``, ``_ctc_loss_backward``) the op here has one node that
refuses a second derivative with PyTorch's message; ``native_channel_shuffle`` has no
derivative at all, as in PyTorch. The gradient of ``embedding_bag`` is written with tensor
ops, so it differentiates again; the grid samplers' gradients are PyTorch's backward ops
(``grid_sampler_{2,3}d_backward``, numpy kernels) whose own derivatives are tensor ops.

``FUNCTIONS`` / ``TOPLEVEL`` list what ``tensor/__init__`` exposes as ``torch.<name>``.
"""

from __future__ import annotations

import math

import numpy as np

from .._defop import FORMULA_NS, defop
from .. import _dtype as D
from ._util import not_implemented, np_result_type, wrap_dim
from .reduction import short_name
from .special import _name_not_implemented

_QUIET = dict(over="ignore", invalid="ignore", divide="ignore")


def _fmt(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


# the C++ type names PyTorch's dtype messages print (``caffe2::TypeMeta``)
_CPP_NAMES = {"float32": "float", "float64": "double", "int64": "long int", "int32": "int",
              "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
              "bool": "bool", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
              "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _cpp_name(t):
    name = str(t.dtype).rsplit(".", 1)[-1]
    return _CPP_NAMES.get(name, name)


# -- _trilinear / bilinear -----------------------------------------------------------------
def _spread(a, expand, total):
    """``a`` with size-1 dims inserted at the (sorted) positions ``expand`` of ``total``."""
    for d in sorted(expand):
        a = np.expand_dims(a, d)
    if a.ndim != total:
        raise RuntimeError(f"_trilinear: an input has {a.ndim - len(expand)} dims, "
                           f"{total - len(expand)} expected with expand dims {list(expand)}")
    return a


def _pair_dtype(left, right, dims):
    """The dtype (and shape) of PyTorch's ``sumproduct_pair``: a promoting ``mul`` when no
    dim is summed, else ``bmm`` (one dtype, no bool) after summing away the summed dims only
    one side has (a sum makes bool / integers int64); the operands swap places when all the
    right-only output dims come before the left-only ones."""
    (ldt, lshape), (rdt, rshape) = left, right
    if not dims:
        shape = tuple(max(x, y) for x, y in zip(lshape, rshape))
        return np_result_type(np.zeros(1, ldt), np.zeros(1, rdt)), shape
    lshape, rshape = list(lshape), list(rshape)
    for i in dims:
        if lshape[i] != 1 and rshape[i] == 1:
            ldt, lshape[i] = (np.dtype(np.int64) if ldt.kind in "biu" else ldt), 1
        elif rshape[i] != 1 and lshape[i] == 1:
            rdt, rshape[i] = (np.dtype(np.int64) if rdt.kind in "biu" else rdt), 1
    lo = [i for i in range(len(lshape)) if i not in dims and lshape[i] != 1 == rshape[i]]
    ro = [i for i in range(len(lshape)) if i not in dims and lshape[i] == 1]
    first, second = (rdt, ldt) if lo and ro and ro[-1] < lo[0] else (ldt, rdt)   # its swap
    if first == np.bool_:
        raise not_implemented("bmm", first)
    if first != second:
        raise RuntimeError(f"expected scalar type {short_name(first)} but found "
                           f"{short_name(second)}")
    shape = tuple(1 if i in dims else max(x, y) for i, (x, y) in enumerate(zip(lshape, rshape)))
    return ldt, shape


def _trilinear_dtypes(a, b, c, expand3, sumdim, unroll_dim):
    """PyTorch's dtype errors for ``_trilinear`` of the spread inputs: per slice along
    ``unroll_dim``, ``(i1 . i2)`` summed over the dims ``i3`` lacks, then ``. i3`` over the
    other summed dims, added into a zero output of ``i1``'s dtype."""
    total = a.ndim
    if not 0 <= unroll_dim < total:
        raise RuntimeError(f"unroll_dim must be in [0,{total - 1}]")
    if not (a.size and b.size and c.size):
        return
    sd = {wrap_dim(d, total) for d in sumdim}
    e3 = {wrap_dim(d, total) for d in expand3}
    s12 = [i for i in sorted(sd) if i != unroll_dim and i in e3]
    s23 = [i for i in sorted(sd) if i != unroll_dim and i not in e3]

    def slice_of(t):
        return t.dtype, tuple(1 if i == unroll_dim else n for i, n in enumerate(t.shape))
    buf = _pair_dtype(_pair_dtype(slice_of(a), slice_of(b), s12), slice_of(c), s23)[0]
    res, out = D._BY_NP[buf], D._BY_NP[a.dtype]
    if res.category > out.category:
        raise RuntimeError(f"result type {res.short} can't be cast to the desired output type "
                           f"{out.short}")


def _trilinear_np(i1, i2, i3, expand1, expand2, expand3, sumdim, unroll_dim):
    total = i1.ndim + len(expand1)
    a, b, c = (_spread(t, e, total) for t, e in ((i1, expand1), (i2, expand2), (i3, expand3)))
    # PyTorch sizes each dim after the last input that has it (a dim all three expand has
    # size 0, kept or summed); along a 0-size unroll dim nothing is computed
    spread = [{wrap_dim(d, total) for d in e} for e in (expand1, expand2, expand3)]
    size = [next((t.shape[i] for t, e in ((c, spread[2]), (b, spread[1]), (a, spread[0]))
                  if i not in e), 0) for i in range(total)]
    sd = {wrap_dim(d, total) for d in sumdim}
    empty = np.zeros([size[i] for i in range(total) if i not in sd], i1.dtype)
    if 0 <= unroll_dim < total and size[unroll_dim] == 0:
        return empty
    _trilinear_dtypes(a, b, c, expand3, sumdim, unroll_dim)
    if empty.size == 0:
        return empty
    dt = np.result_type(i1, i2, i3)
    with np.errstate(**_QUIET):
        prod = a.astype(dt) * b.astype(dt) * c.astype(dt)
        # (the result has i1's dtype: PyTorch adds the products into a zero tensor like it)
        return np.asarray(prod.sum(axis=tuple(sumdim)), dtype=i1.dtype)


# The gradient for one input is the same contraction with that input's place taken by the
# incoming gradient (spread over the summed dims) and its own expand dims summed away.
_trilinear = defop(
    "_trilinear(Tensor i1, Tensor i2, Tensor i3, int[] expand1, int[] expand2, "
    "int[] expand3, int[] sumdim, int unroll_dim=1) -> Tensor", _trilinear_np,
    grad={"i1": "_trilinear(grad, i2, i3, sumdim, expand2, expand3, expand1)",
          "i2": "_trilinear(i1, grad, i3, expand1, sumdim, expand3, expand2)",
          "i3": "_trilinear(i1, i2, grad, expand1, expand2, sumdim, expand3)"},
    guarded_saves=True)     # (PyTorch saves each input only for the others: wrap_opt_if)
FORMULA_NS["_trilinear"] = _trilinear


def _bilinear(input1, input2, weight, bias=None):
    names = ["input1", "input2", "weight"] + (["bias"] if bias is not None else [])
    ts = [input1, input2, weight] + ([bias] if bias is not None else [])
    if len({t.dtype for t in ts}) != 1:
        got = ", ".join(f"{n}: {_cpp_name(t)}" for n, t in zip(names, ts))
        raise RuntimeError(f"All tensors must have the same dtype, got {got}")
    n1, n2 = input1.dim(), input2.dim()
    if n1 != n2:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {n1} and {n2}")
    for i in range(n1 - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: "
                               f"got {input1.shape[i]} and {input2.shape[i]}")
    for k, t in ((1, input1), (2, input2)):
        if t.shape[-1] != weight.shape[k]:
            raise RuntimeError(f"bilinear(): input{k} size does not match weight size: got "
                               f"{t.shape[-1]} but expected {weight.shape[k]}")
    if bias is not None and bias.shape[0] != weight.shape[0]:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias.shape[0]} but expected {weight.shape[0]}")
    out_shape = tuple(input1.shape[:-1]) + (weight.shape[0],)
    flat1 = input1.reshape((-1, input1.shape[-1]))
    flat2 = input2.reshape((-1, input2.shape[-1]))
    out = _trilinear(flat1, weight, flat2, [1, 3], [0], [1, 2], [2, 3]).reshape(out_shape)
    return out + bias if bias is not None else out


bilinear = defop("bilinear(Tensor input1, Tensor input2, Tensor weight, Tensor? bias=None) "
                 "-> Tensor", composite=_bilinear)


# -- pdist ---------------------------------------------------------------------------------
def _pairs(n):
    return np.triu_indices(n, 1)


_PDIST_DTYPES = (np.float32, np.float64)       # PyTorch's pdist kernels


def _pdist_forward_np(a, p):
    wrap_dim(1, a.ndim)
    n = a.shape[0]
    if n > 1 and a.shape[1] and a.dtype not in _PDIST_DTYPES:   # (else no kernel runs)
        raise not_implemented("pdist", a.dtype)
    i, j = _pairs(n)
    d = np.abs(a[i].astype(np.float64) - a[j].astype(np.float64))
    if p == 0:
        out = (d != 0).sum(axis=1).astype(np.float64)
    elif p == 1:
        out = d.sum(axis=1)
    elif p == 2:
        out = np.sqrt((d * d).sum(axis=1))
    elif math.isinf(p):
        out = d.max(axis=1, initial=0.0)
    else:
        with np.errstate(**_QUIET):
            out = (d ** p).sum(axis=1) ** (1.0 / p)
    return np.asarray(out, dtype=a.dtype)


def _pdist_backward_np(grad, a, p, dist):
    """Each pair's distance gradient goes to its first row and, negated, to its second."""
    if a.dtype not in _PDIST_DTYPES:
        raise not_implemented("pdist_backward", a.dtype)
    if p == 0:
        return np.zeros(a.shape, a.dtype)
    if grad.dtype.kind == "f" and grad.dtype != a.dtype:
        grad = grad.astype(a.dtype)     # as PyTorch's engine does (see pool_backward_dtypes)
    for t in (grad, dist):
        if t.dtype != a.dtype:
            raise RuntimeError(f"expected scalar type {short_name(a.dtype)} but found "
                               f"{short_name(t.dtype)}")
    n, m = a.shape
    i, j = _pairs(n)
    x = a.astype(np.float64)
    diff = x[i] - x[j]
    g = grad.astype(np.float64)[:, None]
    r = dist.astype(np.float64)[:, None]
    ad = np.abs(diff)
    with np.errstate(**_QUIET):
        if p == 0:
            c = np.zeros_like(diff)
        elif p == 1:
            c = np.sign(diff) * g
        elif p < 2:
            c = np.where((r == 0) | ((diff == 0) & (p < 1)), 0.0,
                         np.sign(diff) * ad ** (p - 1) * g / r ** (p - 1))
        elif p == 2:
            c = np.where(r == 0, 0.0, g * diff / r)
        elif math.isinf(p):
            c = np.sign(diff) * (ad == r) * g
        else:
            c = np.where(r == 0, 0.0, diff * ad ** (p - 2) * g / r ** (p - 1))
    out = np.zeros((n, m))
    np.add.at(out, i, c)
    np.add.at(out, j, -c)
    return out.astype(a.dtype)


def pdist_no_double_backward():
    raise NotImplementedError("the derivative for '_pdist_backward' is not implemented.")


FORMULA_NS["pdist_no_double_backward"] = pdist_no_double_backward
_pdist_backward = defop(
    "_pdist_backward(Tensor grad, Tensor self, float p, Tensor pdist) -> Tensor",
    _pdist_backward_np, grad={"grad": "pdist_no_double_backward()",
                              "self": "pdist_no_double_backward()",
                              "pdist": "pdist_no_double_backward()"})
_pdist_forward = defop("_pdist_forward(Tensor self, float p=2) -> Tensor", _pdist_forward_np,
                       grad={"self": "_pdist_backward(grad, self, p, result)"},
                       node_name="PdistBackward0")
FORMULA_NS["_pdist_backward"] = _pdist_backward


def _pdist(self, p=2):
    if self.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {self.dim()}D")
    if not self.is_floating_point():
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    return _pdist_forward(self.contiguous(), p)


pdist = defop("pdist(Tensor self, float p=2) -> Tensor", composite=_pdist)


# -- channel_shuffle -----------------------------------------------------------------------
def _channel_shuffle_np(a, groups):
    if a.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {_fmt(a.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    c = a.shape[1]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {groups} groups.")
    n, rest = a.shape[0], a.shape[2:]
    grouped = a.reshape((n, groups, c // groups) + rest)
    return np.ascontiguousarray(grouped.swapaxes(1, 2)).reshape(a.shape)


channel_shuffle = defop("channel_shuffle(Tensor self, SymInt groups) -> Tensor",
                        _channel_shuffle_np,
                        grad={"self": "channel_shuffle(grad, self_shape[1] // groups)"})
FORMULA_NS["channel_shuffle"] = channel_shuffle


def channel_shuffle_no_derivative():
    raise RuntimeError("derivative for aten::native_channel_shuffle is not implemented")


FORMULA_NS["channel_shuffle_no_derivative"] = channel_shuffle_no_derivative
native_channel_shuffle = defop("native_channel_shuffle(Tensor self, SymInt groups) -> Tensor",
                               _channel_shuffle_np,
                               grad={"self": "channel_shuffle_no_derivative()"},
                               node_name="torch::autograd::NotImplemented")


# -- alpha dropout -------------------------------------------------------------------------
SELU_ALPHA_SCALED = 1.7580993408473766   # SELU's scale * alpha: the value dropped units take


def _dropout_noise(input, feature):
    """An uninitialised mask: the input's shape, or ``(N, C, 1, ...)`` for feature dropout."""
    from .factories import empty, empty_like
    if not feature:
        return empty_like(input)
    if input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    shape = tuple(input.shape[:2]) + (1,) * (input.dim() - 2)
    return empty(shape, dtype=input.dtype)


def _alpha_dropout_impl(input, p, train, feature, inplace):
    """Keep each element (or channel) with probability ``1 - p``; dropped ones become
    ``-alpha'``; then ``a * x + b`` restores zero mean and unit variance."""
    if not 0 <= p <= 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")
    if p == 0 or not train or input.numel() == 0:
        return input
    from .factories import zeros
    if p == 1:
        z = zeros((), dtype=input.dtype)
        return input.mul_(z) if inplace else input * z
    noise = _dropout_noise(input, feature)
    noise.bernoulli_(1 - p)
    alpha = SELU_ALPHA_SCALED
    a = 1.0 / math.sqrt((alpha * alpha * p + 1) * (1 - p))
    b = noise.add(-1).mul_(alpha * a).add_(alpha * a * p)
    noise.mul_(a)
    return (input.mul_(noise) if inplace else input * noise).add_(b)


def _make_alpha_dropout(name, feature, inplace):
    if inplace:
        schema = f"{name}_(Tensor(a!) self, float p, bool train) -> Tensor(a!)"
    else:
        schema = f"{name}(Tensor input, float p, bool train) -> Tensor"
    return defop(schema, composite=lambda x, p, train: _alpha_dropout_impl(x, p, train,
                                                                          feature, inplace))


alpha_dropout = _make_alpha_dropout("alpha_dropout", False, False)
alpha_dropout_ = _make_alpha_dropout("alpha_dropout", False, True)
feature_alpha_dropout = _make_alpha_dropout("feature_alpha_dropout", True, False)
feature_alpha_dropout_ = _make_alpha_dropout("feature_alpha_dropout", True, True)

FUNCTIONS: list = []
TOPLEVEL: dict = {
    "bilinear": bilinear, "_trilinear": _trilinear, "pdist": pdist,
    "channel_shuffle": channel_shuffle, "native_channel_shuffle": native_channel_shuffle,
    "alpha_dropout": alpha_dropout, "alpha_dropout_": alpha_dropout_,
    "feature_alpha_dropout": feature_alpha_dropout,
    "feature_alpha_dropout_": feature_alpha_dropout_,
}


# -- multilabel_margin_loss ----------------------------------------------------------------
def _multilabel_check(a, target, kernel="multilabel_margin_loss_forward_out_frame"):
    nd = a.ndim
    if not (nd <= 1 and a.size) and not (nd == 2 and a.shape[1]):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch "
                           f"size, but got: {_fmt(a.shape)}")
    if nd <= 1:
        ok = target.ndim <= 1 and target.size == max(a.size, 1)
    else:
        ok = target.shape == a.shape
    if not ok:
        raise RuntimeError(f"inconsistent target size: {_fmt(target.shape)} for input of size: "
                           f"{_fmt(a.shape)}")
    if target.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {short_name(target.dtype)}")
    if a.dtype.kind != "f":
        raise not_implemented(kernel, a.dtype)
    c = a.shape[-1] if nd else 1
    y = target.reshape(-1, c)
    # each row's targets are its entries before the first -1
    valid = np.cumprod(y != -1, axis=1).astype(bool)
    if ((y < -1) | (y >= c))[valid].any():
        raise RuntimeError("argument #2 'target' is out of range")
    return a.reshape(-1, c), y, valid


def _multilabel_terms(x, y, valid):
    """``(n, targets, classes)`` hinge terms ``1 - x[j] + x[i]`` over target ``j`` and
    non-target ``i`` (zero elsewhere), and the is-target mask of each row."""
    n, c = x.shape
    rows = np.arange(n)[:, None]
    is_target = np.zeros((n, c), bool)
    is_target[np.broadcast_to(rows, y.shape)[valid], y[valid]] = True
    xj = np.take_along_axis(x, np.where(valid, y, 0), axis=1)
    z = 1 - xj[:, :, None] + x[:, None, :]
    use = valid[:, :, None] & ~is_target[:, None, :] & (z > 0)
    return np.where(use, z, 0), use, is_target


def _multilabel_forward_np(a, target, reduction):
    x, y, valid = _multilabel_check(a, target)
    dt = a.dtype
    n, c = x.shape
    z, _, is_target = _multilabel_terms(x.astype(np.float64), y, valid)
    loss = z.sum(axis=(1, 2)) / c
    if reduction == 1:
        out = loss.mean() if n else 0.0
    elif reduction == 2:
        out = loss.sum()
    else:
        out = loss.reshape(() if a.ndim <= 1 else (n,))
    return np.asarray(out, dtype=dt), is_target.reshape(target.shape).astype(dt)


def _multilabel_backward_np(grad_output, a, target, reduction, is_target):
    x, y, valid = _multilabel_check(a, target, "multilabel_margin_loss_backward_out_frame")
    if grad_output.dtype.kind == "f":   # as PyTorch's engine does (see pool_backward_dtypes)
        grad_output = grad_output.astype(a.dtype)
    for t in (is_target, grad_output):
        if t.dtype != a.dtype:
            raise RuntimeError(f"expected scalar type {short_name(a.dtype)} but found "
                               f"{short_name(t.dtype)}")
    n, c = x.shape
    _, use, _ = _multilabel_terms(x.astype(np.float64), y, valid)
    # each positive term adds 1/c to its non-target class and takes 1/c from its target
    gx = use.sum(axis=1).astype(np.float64)
    rows = np.broadcast_to(np.arange(n)[:, None], y.shape)
    np.add.at(gx, (rows, np.where(valid, y, 0)), -use.sum(axis=2) * valid)
    g = grad_output.astype(np.float64)
    if reduction == 0 and a.ndim == 2:
        g = g.reshape(n, 1)
    elif reduction == 1:
        g = g / max(n, 1)
    return np.asarray(gx / c * g, dtype=a.dtype).reshape(a.shape)


def multilabel_no_double_backward():
    raise RuntimeError("derivative for aten::multilabel_margin_loss_backward is not implemented")


FORMULA_NS["multilabel_no_double_backward"] = multilabel_no_double_backward
multilabel_margin_loss_backward = defop(
    "multilabel_margin_loss_backward(Tensor grad_output, Tensor self, Tensor target, "
    "int reduction, Tensor is_target) -> Tensor", _multilabel_backward_np,
    grad={"grad_output": "multilabel_no_double_backward()",
          "self": "multilabel_no_double_backward()"},
    node_name="torch::autograd::NotImplemented")
FORMULA_NS["multilabel_margin_loss_backward"] = multilabel_margin_loss_backward
multilabel_margin_loss_forward = defop(
    "multilabel_margin_loss_forward(Tensor self, Tensor target, int reduction) -> "
    "(Tensor output, Tensor is_target)", _multilabel_forward_np,
    grad={"self": "multilabel_margin_loss_backward(grads[0], self, target, reduction, "
                  "results[1])"},
    node_name="MultilabelMarginLossBackward0", output_differentiability=(True, False))
multilabel_margin_loss = defop(
    "multilabel_margin_loss(Tensor self, Tensor target, int reduction=1) -> Tensor",
    composite=lambda self, target, reduction=1:
        multilabel_margin_loss_forward(self, target, reduction)[0])


# -- embedding_bag -------------------------------------------------------------------------
def _bag_layout(n_idx, offsets, include_last_offset):
    """Each index's bag and the bag count. The last bag runs to the end of the indices, even
    with ``include_last_offset`` (PyTorch's CPU kernel ignores the last offset); an index
    belongs to no bag (-1) only when there is none."""
    offs = np.asarray(offsets, dtype=np.int64).reshape(-1)
    if offs.size and offs[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the "
                           f"mini-batch has to start from position 0. However, got {offs[0]}")
    if offs.size and offs[-1] > n_idx:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n_idx} but "
                           f"got offsets[-1] of {offs[-1]}")
    n_bags = max(offs.size - 1, 0) if include_last_offset else offs.size
    bag_of = np.full(n_idx, -1, dtype=np.int64)
    for b in range(n_bags):
        end = offs[b + 1] if b + 1 < n_bags else n_idx
        bag_of[offs[b]:end] = b
    return bag_of, n_bags


def _checked_type_name(dt):
    """How PyTorch's argument type checks name a CPU tensor's type: its legacy class where
    one exists (``torch.LongTensor``), else ``CPUBoolType`` / ``CPUComplexFloatType``."""
    short = short_name(dt)
    return f"CPU{short}Type" if np.dtype(dt).kind in "bc" else f"torch.{short}Tensor"


def _embedding_bag_check(weight, indices, offsets, mode, per_sample_weights):
    for name, t in (("indices", indices), ("offsets", offsets)):
        if t.dtype not in (np.int64, np.int32):
            raise RuntimeError(f"Expected tensor for argument #{1 if name == 'indices' else 2} "
                               f"'{name}' to have one of the following scalar types: Long, Int; "
                               f"but got {_checked_type_name(t.dtype)} instead (while checking "
                               f"arguments for embedding_bag)")
    if weight.dtype.kind != "f":
        raise RuntimeError(f"Expected tensor for argument #1 'weight' to have one of the "
                           f"following scalar types: Half, BFloat16, Float, Double; but got "
                           f"{_checked_type_name(weight.dtype)} instead (while checking "
                           f"arguments for embedding_bag)")
    psw = per_sample_weights
    if psw is not None and psw.dtype != weight.dtype:
        raise RuntimeError(f"Expected tensor for argument #1 'weight' to have the same type as "
                           f"tensor for argument #1 'per_sample_weights'; but type "
                           f"{_checked_type_name(weight.dtype)} does not equal "
                           f"{_checked_type_name(psw.dtype)} (while checking arguments for "
                           f"embedding_bag)")
    n = weight.shape[0]
    idx = indices.reshape(-1).astype(np.int64)
    bad = np.nonzero((idx < 0) | (idx >= n))[0]
    if bad.size:
        k = bad[0]
        if weight.dtype == np.float32 and mode != 2:    # PyTorch's fbgemm path says this
            raise RuntimeError(f"Index {k} of input takes value {idx[k]} which is not in the "
                               f"valid range [0, {n})")
        raise RuntimeError(f"embedding_bag: Expected idx >= 0 && idx < num_embeddings but found "
                           f"idx to be {idx[k]}")
    return idx


def _embedding_bag_np(weight, indices, offsets, scale_grad_by_freq, mode, sparse,
                      per_sample_weights, include_last_offset, padding_idx):
    """Outputs, as PyTorch's CPU kernel: the bags' reductions, each index's bag, each bag's
    size (padding left out; zeros for sum) and, for max, the weight row each output element
    came from (for mean: the bag sizes again; for sum: zeros)."""
    idx = _embedding_bag_check(weight, indices, offsets, mode, per_sample_weights)
    bag_of, n_bags = _bag_layout(idx.size, offsets, include_last_offset)
    d = weight.shape[1]
    used = (bag_of >= 0) & (idx != padding_idx)
    sizes = np.bincount(bag_of[used], minlength=n_bags).astype(np.int64)
    out = np.zeros((n_bags, d), dtype=weight.dtype)
    max_rows = np.zeros((n_bags, d) if mode == 2 else (n_bags,), dtype=np.int64)
    rows = weight[idx].astype(np.float64)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1, 1).astype(np.float64)
    if mode == 2:
        for b in range(n_bags):
            members = np.nonzero(used & (bag_of == b))[0]
            if members.size:
                best = rows[members].argmax(axis=0)
                out[b] = rows[members[best], np.arange(d)]
                max_rows[b] = idx[members[best]]
    else:
        acc = np.zeros((n_bags, d))
        np.add.at(acc, bag_of[used], rows[used])
        if mode == 1:
            acc = acc / np.maximum(sizes, 1)[:, None]
        out[...] = acc
        if mode == 1:
            max_rows = sizes.copy()
        else:
            sizes = np.zeros_like(sizes)
    return out, bag_of.clip(0), sizes, max_rows


def _index_frequencies(idx, n):
    """The count each row's gradient is divided by, as PyTorch's CPU backward finds it: the
    ``i``-th distinct row (in sorted order) gets the count of the row at position ``i`` of
    the sorted indices (the true count for rows used once before it, otherwise not)."""
    counts = np.bincount(idx, minlength=n).astype(np.float64)
    ordered = np.sort(idx)
    out = np.ones(n)
    for i, row in enumerate(np.unique(idx)):
        out[row] = counts[ordered[i]]
    return out


def embedding_bag_weight_backward(grad, indices, offsets, offset2bag, bag_size, max_indices,
                                  num_weights, scale_grad_by_freq, mode, per_sample_weights,
                                  padding_idx):
    """Scatter each bag's gradient back to its rows (scaled by the sample weight, by
    ``1/size`` for a mean, by ``1/frequency`` with ``scale_grad_by_freq``); for max, each
    output element's gradient goes to the row it was taken from. Reads the saved outputs
    (each index's bag, the bag sizes, the max rows) as PyTorch's formula does; ``offsets``,
    which that formula also takes, is named (not needed here) so that a node keeps it, as
    PyTorch's does."""
    from .factories import zeros
    from .. import _tensor as T
    n, d = num_weights, grad.shape[1]
    if grad.shape[0] == 0:          # no bag: no index contributed
        return zeros((n, d), dtype=grad.dtype)
    idx = indices._data.reshape(-1).astype(np.int64)
    if mode == 2:
        nonempty = T.wrap((bag_size._data > 0).astype(grad._data.dtype)[:, None])
        flat = T.wrap((max_indices._data * d + np.arange(d)).reshape(-1))
        src = (grad * nonempty).reshape((-1,))
        return zeros(n * d, dtype=grad.dtype).index_add(0, flat, src).reshape((n, d))
    bags = offset2bag._data
    scale = (idx != padding_idx).astype(np.float64)
    if mode == 1:
        scale = scale / np.maximum(bag_size._data, 1)[bags]
    if scale_grad_by_freq:
        scale = scale / _index_frequencies(idx, n)[idx]
    rows = grad.index_select(0, offset2bag) * T.wrap(scale.astype(grad._data.dtype)[:, None])
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape((-1, 1))
    return zeros((n, d), dtype=grad.dtype).index_add(0, T.wrap(idx), rows)


def embedding_bag_psw_backward(grad, weight, indices, offsets, offset2bag, padding_idx,
                               per_sample_weights):
    """``dot(grad of the bag, weight row)`` per index (zero for padding), each index's bag
    read from the saved ``offset2bag`` output, as PyTorch's formula does (``offsets`` is
    named for the node to keep, as in ``embedding_bag_weight_backward``)."""
    from .. import _tensor as T
    idx = indices._data.reshape(-1).astype(np.int64)
    if grad.shape[0] == 0:          # no bag: no index contributed
        return per_sample_weights.new_zeros(tuple(per_sample_weights.shape))
    used = (idx != padding_idx).astype(grad._data.dtype)
    g = grad.index_select(0, offset2bag)
    dots = (g * weight.index_select(0, T.wrap(idx))).sum(1) * T.wrap(used)
    return dots.reshape(tuple(per_sample_weights.shape))


FORMULA_NS.update(embedding_bag_weight_backward=embedding_bag_weight_backward,
                  embedding_bag_psw_backward=embedding_bag_psw_backward)
_EB_ARGS = ("Tensor weight, Tensor indices, Tensor offsets, bool scale_grad_by_freq=False, "
            "int mode=0, bool sparse=False, Tensor? per_sample_weights=None, "
            "bool include_last_offset=False")
_embedding_bag = defop(
    f"_embedding_bag({_EB_ARGS}, int padding_idx=-1) -> (Tensor, Tensor, Tensor, Tensor)",
    _embedding_bag_np,
    grad={"weight": "embedding_bag_weight_backward(grads[0], indices, offsets, results[1], "
                    "results[2], results[3], weight_shape[0], scale_grad_by_freq, mode, "
                    "per_sample_weights, padding_idx)",
          "per_sample_weights": "embedding_bag_psw_backward(grads[0], weight, indices, "
                                "offsets, results[1], padding_idx, per_sample_weights)"},
    node_name="EmbeddingBagBackward0")


def _embedding_bag_public(weight, indices, offsets, scale_grad_by_freq=False, mode=0,
                          sparse=False, per_sample_weights=None, include_last_offset=False,
                          padding_idx=None):
    """Checks and wraps ``padding_idx`` (``None`` is -1 below) and calls ``_embedding_bag``."""
    if sparse:
        raise RuntimeError("embedding_bag: sparse gradients are not supported. Hint: pass "
                           "sparse=False (tensorkeys has no sparse tensors).")
    pad = -1
    if padding_idx is not None:
        n = weight.shape[0]
        if not -n <= padding_idx < n:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, -{n} "
                               f"through {n - 1}, but got {padding_idx}")
        pad = padding_idx % n
    return _embedding_bag(weight, indices, offsets, scale_grad_by_freq, mode, sparse,
                          per_sample_weights, include_last_offset, pad)


embedding_bag = defop(f"embedding_bag.padding_idx({_EB_ARGS}, int? padding_idx=None) -> "
                      "(Tensor, Tensor, Tensor, Tensor)", composite=_embedding_bag_public)
TOPLEVEL.update(embedding_bag=embedding_bag, _embedding_bag=_embedding_bag)


# -- affine_grid_generator -----------------------------------------------------------------
def _steps(n, align_corners):
    """``n`` points spanning [-1, 1] (pixel corners) or pixel centres; one point is 0."""
    if n <= 1:
        return np.zeros(max(n, 0))
    s = np.linspace(-1.0, 1.0, n)
    return s if align_corners else s * (n - 1) / n


def _base_grid(size, align_corners):
    """``(prod(spatial), d + 1)`` rows ``(x, y[, z], 1)``, x running along the last dim."""
    spatial = list(size[2:])
    axes = [_steps(n, align_corners) for n in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")          # one array per spatial dim
    cols = [m.reshape(-1) for m in reversed(mesh)]     # x (last dim) first
    return np.stack(cols + [np.ones(int(np.prod(spatial)))], axis=1)


def _affine_grid_np(theta, size, align_corners):
    for k in reversed(size[2:]):    # PyTorch makes each dim's steps in theta's dtype, x first
        if k <= 1 and theta.dtype in (np.bool_, np.float16):    # (a one-element tensor)
            raise not_implemented("tensor_cpu", theta.dtype)
        if k > 1 and theta.dtype == np.bool_:
            raise not_implemented("linspace_cpu", theta.dtype)
    n, d = theta.shape[0], len(size) - 2
    base = _base_grid(size, align_corners)
    out = np.einsum("pk,njk->npj", base, theta.astype(np.float64))
    return out.reshape((n,) + tuple(size[2:]) + (d,)).astype(theta.dtype)


def affine_grid_backward(grad, size, align_corners):
    """``theta``'s gradient: ``grad^T @ base`` per batch element."""
    from .. import _tensor as T
    n, d = size[0], len(size) - 2
    base = T.wrap(_base_grid(size, align_corners).astype(grad._data.dtype))
    g = grad.reshape((n, -1, d))
    return g.transpose(1, 2).matmul(base)


FORMULA_NS["affine_grid_backward"] = affine_grid_backward
affine_grid_generator = defop(
    "affine_grid_generator(Tensor theta, SymInt[] size, bool align_corners) -> Tensor",
    _affine_grid_np, grad={"theta": "affine_grid_backward(grad, size, align_corners)"})


# -- grid_sampler --------------------------------------------------------------------------
def _reflect(x, twice_low, twice_high):
    """Fold ``x`` into ``[twice_low / 2, twice_high / 2]`` by reflection; also the slope."""
    if twice_low == twice_high:
        return np.zeros_like(x), np.zeros_like(x)
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    dist = x - low
    sign = np.where(dist < 0, -1.0, 1.0)
    dist = np.abs(dist)
    extra = np.fmod(dist, span)
    even = np.floor(dist / span) % 2 == 0
    return (np.where(even, extra + low, span - extra + low),
            sign * np.where(even, 1.0, -1.0))


def _source_coords(grid, sizes, padding_mode, align_corners):
    """Per grid component ``k`` (addressing spatial dim ``-1 - k``): the source coordinates
    in pixels and their slope with respect to the grid value."""
    d = len(sizes)
    srcs, slopes = [], []
    for k in range(d):
        size = sizes[d - 1 - k]
        c = grid[..., k].astype(np.float64)
        if align_corners:
            src, slope = (c + 1) / 2 * (size - 1), np.full(c.shape, (size - 1) / 2)
        else:
            src, slope = ((c + 1) * size - 1) / 2, np.full(c.shape, size / 2)
        if padding_mode == 2:
            lo_hi = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
            src, s = _reflect(src, *lo_hi)
            slope = slope * s
        if padding_mode in (1, 2):
            inside = (src > 0) & (src < size - 1)
            slope = np.where(inside, slope, 0.0)
            src = np.clip(src, 0, size - 1)
        srcs.append(src)
        slopes.append(slope)
    return srcs, slopes


def _corners(srcs, sizes, mode):
    """For each corner of the cell around each sample (one corner for nearest): its bits,
    flat spatial index and in-bounds mask; and the cells' lower corners."""
    d = len(sizes)
    if mode == 1:
        lows = [np.rint(s) for s in srcs]           # round half to even, as nearbyint
        bit_sets = [(0,) * d]
    else:
        lows = [np.floor(s) for s in srcs]
        bit_sets = list(np.ndindex(*(2,) * d))
    out = []
    for bits in bit_sets:
        lin = np.zeros(srcs[0].shape, dtype=np.int64)
        valid = np.ones(srcs[0].shape, dtype=bool)
        stride = 1
        for k in range(d):
            size = sizes[d - 1 - k]
            idx = lows[k] + bits[k]
            valid &= (idx >= 0) & (idx < size)
            lin = lin + np.clip(idx, 0, size - 1).astype(np.int64) * stride
            stride *= size
        out.append((bits, lin, valid))
    return out, lows


def _grid_sampler_check(a, grid, mode, kernel):
    if a.dtype != grid.dtype:
        raise RuntimeError(f"expected scalar type {short_name(a.dtype)} but found "
                           f"{short_name(grid.dtype)}")
    if a.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                  f"'{short_name(a.dtype)}'")
    if mode == 2:
        raise NotImplementedError("grid_sampler: bicubic interpolation is not supported by "
                                  "tensorkeys. Hint: use mode='bilinear' or 'nearest'.")


def _grid_sampler_np(a, grid, mode, padding_mode, align_corners):
    d = a.ndim - 2
    _grid_sampler_check(a, grid, mode, f"grid_sampler_{d}d_cpu_kernel_impl")
    n, c, sizes = a.shape[0], a.shape[1], a.shape[2:]
    out_sp = grid.shape[1:-1]
    srcs, _ = _source_coords(grid.reshape(n, -1, d), sizes, padding_mode, align_corners)
    corners, lows = _corners(srcs, sizes, mode)
    flat = a.reshape(n, c, int(np.prod(sizes))).astype(np.float64)
    out = np.zeros((n, c, srcs[0].shape[1]))
    for bits, lin, valid in corners:
        w = valid.astype(np.float64)
        if mode == 0:
            for k in range(d):
                frac = srcs[k] - lows[k]
                w = w * (frac if bits[k] else 1 - frac)
        vals = np.take_along_axis(flat, np.broadcast_to(lin[:, None, :], (n, c, lin.shape[1])),
                                  axis=2)
        out += vals * w[:, None, :]
    return out.reshape((n, c) + tuple(out_sp)).astype(a.dtype)


def _gs_weight_np(srcs, lows, bits, mode, skip=None):
    """The interpolation weight of one corner (ones for nearest) without dim ``skip``'s
    factor."""
    w = np.ones(srcs[0].shape)
    if mode == 0:
        for k in range(len(srcs)):
            if k != skip:
                f = srcs[k] - lows[k]
                w = w * (f if bits[k] else 1 - f)
    return w


def _grid_sampler_backward_np(go, a, grid, mode, padding_mode, align_corners, output_mask):
    """``(grad_input, grad_grid)``: each output scattered back to its corners with its
    weights; the weights' slopes times the corner values, times the coordinate slope. An
    output left out by ``output_mask`` is None. (PyTorch's CPU kernel computes grad_grid
    even when it is not asked for; leaving it out keeps a second backward from working
    through a gradient nobody asked for, and gives PyTorch's double-backward graph.)"""
    d = a.ndim - 2
    if go.dtype != a.dtype:
        raise RuntimeError(f"expected scalar type {short_name(a.dtype)} but found "
                           f"{short_name(go.dtype)}")
    # (PyTorch's 3-d backward kernel has a shorter name)
    _grid_sampler_check(a, grid, mode, "grid_sampler_2d_backward_cpu_kernel_impl" if d == 2
                        else "grid_sampler_3d_backward_cpu")
    n, c, sizes = a.shape[0], a.shape[1], a.shape[2:]
    s = int(np.prod(sizes))
    g = grid.reshape(n, -1, d)
    p = g.shape[1]
    srcs, slopes = _source_coords(g, sizes, padding_mode, align_corners)
    corners, lows = _corners(srcs, sizes, mode)
    gy = go.reshape(n, c, p).astype(np.float64)
    gin = None
    if output_mask[0]:
        base = (np.arange(n * c, dtype=np.int64) * s).reshape(n, c, 1)
        acc = np.zeros(n * c * s)
        for bits, lin, valid in corners:
            w = valid * _gs_weight_np(srcs, lows, bits, mode)
            acc += np.bincount((base + lin[:, None, :]).ravel(), (gy * w[:, None, :]).ravel(),
                               minlength=n * c * s)
        gin = acc.reshape(a.shape).astype(a.dtype)
    if not output_mask[1]:
        return gin, None
    ggrid = np.zeros(g.shape)
    if mode == 0:
        flat = a.reshape(n, c, s).astype(np.float64)
        for bits, lin, valid in corners:
            vals = (np.take_along_axis(flat, np.broadcast_to(lin[:, None, :], (n, c, p)), 2)
                    * gy).sum(1) * valid
            for k in range(d):
                sign = 1.0 if bits[k] else -1.0
                ggrid[..., k] += sign * vals * _gs_weight_np(srcs, lows, bits, mode, skip=k)
        ggrid *= np.stack(slopes, -1)
    return gin, ggrid.reshape(grid.shape).astype(grid.dtype)


def _gs_cells(grid, sizes, mode, padding_mode, align_corners):
    """The corners around each sample (``(bits, flat index, in-bounds mask)``), and per dim
    the fraction of the way across the cell as a tensor of ``grid`` (so weights built from
    it differentiate again) and the coordinate slope as a constant tensor."""
    from .. import _tensor as T
    d, n = len(sizes), grid.shape[0]
    gnp = grid._data.reshape(n, -1, d)
    dt = grid._data.dtype
    srcs, slopes = _source_coords(gnp, sizes, padding_mode, align_corners)
    corners, lows = _corners(srcs, sizes, mode)
    gflat = grid.reshape((n, gnp.shape[1], d))
    # src = grid * slope + constant (piecewise), minus the cell's lower corner
    fracs = [gflat.select(2, k) * T.wrap(slopes[k].astype(dt))
             + T.wrap((srcs[k] - gnp[..., k] * slopes[k] - lows[k]).astype(dt))
             for k in range(d)]
    return corners, fracs, [T.wrap(x.astype(dt)) for x in slopes]


def _gs_weight(cells, bits, valid, mode, diff=()):
    """A corner's weight differentiated once along each grid component in ``diff`` (the
    weight is multilinear: each factor is the fraction, or one minus it, or its slope);
    None where that is zero (nearest's weights are constant)."""
    from .. import _tensor as T
    _, fracs, slopes = cells
    sign = -1.0 if sum(1 for k in diff if not bits[k]) % 2 else 1.0
    w = T.wrap((valid * sign).astype(fracs[0]._data.dtype))
    if mode == 1:
        return None if diff else w
    for k in range(len(fracs)):
        if k in diff:
            w = w * slopes[k]
        else:
            w = w * (fracs[k] if bits[k] else 1 - fracs[k])
    return w


def grid_sampler_double_backward(grads, grad_output, input, grid, interpolation_mode,
                                 padding_mode, align_corners, wrt):
    """The derivative of ``grid_sampler_{2,3}d_backward`` for ``grad_output`` (``wrt == 0``),
    ``input`` (1) or ``grid`` (2), given the cotangents ``ga`` of grad_input and ``gb`` of
    grad_grid. Both outputs are linear in grad_output; grad_input does not depend on input,
    grad_grid is linear in it; the weights' second derivatives along two different grid
    components are the only second-order terms. A cotangent that is None (the output was
    left out) adds nothing. Written with tensor ops."""
    from .factories import zeros
    from .shape import stack
    from .. import _tensor as T
    ga, gb = grads
    mode = interpolation_mode
    d = input.dim() - 2
    n, c, sizes = input.shape[0], input.shape[1], tuple(input.shape[2:])
    s = int(np.prod(sizes))
    cells = _gs_cells(grid, sizes, mode, padding_mode, align_corners)
    corners = cells[0]
    p = corners[0][1].shape[1]
    gbk = None if gb is None else [gb.reshape((n, p, d)).select(2, k) for k in range(d)]
    fwd, bwd = (grid_sampler_2d, grid_sampler_2d_backward) if d == 2 else \
        (grid_sampler_3d, grid_sampler_3d_backward)

    def idx(lin):
        return T.wrap(np.broadcast_to(lin[:, None, :], (n, c, p)).copy())

    def along_gb(bits, valid):
        """The corner weight's derivative along ``gb``: sum over k of gb_k dW / dgrid_k."""
        r = None
        for k in range(d if gbk is not None else 0):
            w = _gs_weight(cells, bits, valid, mode, (k,))
            if w is None:
                return None
            r = w * gbk[k] if r is None else r + w * gbk[k]
        return r

    if wrt == 0:
        r = None if ga is None else fwd(ga, grid, mode, padding_mode, align_corners)
        flat = input.reshape((n, c, s))
        for bits, lin, valid in corners:
            dw = along_gb(bits, valid)
            if dw is not None:
                t = (flat.gather(2, idx(lin)) * dw.unsqueeze(1)).reshape(
                    tuple(grad_output.shape))
                r = t if r is None else r + t
        return r
    g = grad_output.reshape((n, c, p))
    if wrt == 1:
        if mode == 1 or gb is None:
            return None
        gin = zeros((n, c, s), dtype=grad_output.dtype)
        for bits, lin, valid in corners:
            gin = gin.scatter_add(2, idx(lin), g * along_gb(bits, valid).unsqueeze(1))
        return gin.reshape(tuple(input.shape))
    r = None if ga is None else bwd(grad_output, ga, grid, mode, padding_mode, align_corners,
                                    [False, True])[1]
    if mode == 0 and d > 1 and gb is not None:
        flat = input.reshape((n, c, s))
        vals = [(flat.gather(2, idx(lin)) * g).sum(1) for _, lin, _ in corners]
        parts = []
        for k in range(d):
            acc = None
            for (bits, _, valid), v in zip(corners, vals):
                for j in range(d):
                    if j != k:
                        t = v * _gs_weight(cells, bits, valid, mode, (j, k)) * gbk[j]
                        acc = t if acc is None else acc + t
            parts.append(acc)
        t = stack(parts, 2).reshape(tuple(grid.shape))
        r = t if r is None else r + t
    return r


FORMULA_NS["grid_sampler_double_backward"] = grid_sampler_double_backward
_GS_ARGS = ("Tensor input, Tensor grid, int interpolation_mode, int padding_mode, "
            "bool align_corners")
_GS_MODES = "interpolation_mode, padding_mode, align_corners"
_GS_BWD_GRAD = {name: f"grid_sampler_double_backward(grads, grad_output, input, grid, "
                        f"{_GS_MODES}, {k})"
                for k, name in enumerate(("grad_output", "input", "grid"))}
_GS_BWD_ARGS = ("Tensor grad_output, Tensor input, Tensor grid, int interpolation_mode, "
                "int padding_mode, bool align_corners, bool[2] output_mask")
grid_sampler_2d_backward = defop(
    f"grid_sampler_2d_backward({_GS_BWD_ARGS}) -> (Tensor, Tensor)", _grid_sampler_backward_np,
    grad=_GS_BWD_GRAD, node_name="GridSampler2DBackwardBackward0")
grid_sampler_3d_backward = defop(
    f"grid_sampler_3d_backward({_GS_BWD_ARGS}) -> (Tensor, Tensor)", _grid_sampler_backward_np,
    grad=_GS_BWD_GRAD, node_name="GridSampler3DBackwardBackward0")
FORMULA_NS.update(grid_sampler_2d_backward=grid_sampler_2d_backward,
                  grid_sampler_3d_backward=grid_sampler_3d_backward)
grid_sampler_2d = defop(
    f"grid_sampler_2d({_GS_ARGS}) -> Tensor", _grid_sampler_np,
    node_name="GridSampler2DBackward0",
    grad={"input, grid": f"grid_sampler_2d_backward(grad, input, grid, {_GS_MODES}, "
                         "grad_input_mask)"})
grid_sampler_3d = defop(
    f"grid_sampler_3d({_GS_ARGS}) -> Tensor", _grid_sampler_np,
    node_name="GridSampler3DBackward0",
    grad={"input, grid": f"grid_sampler_3d_backward(grad, input, grid, {_GS_MODES}, "
                         "grad_input_mask)"})

def _grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    sizes = f"input with sizes {_fmt(input.shape)} and grid with sizes {_fmt(grid.shape)}"
    if input.dim() == 0 or grid.dim() == 0 or input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got {sizes}")
    d = input.dim() - 2
    if grid.shape[-1] != d:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {d} in last dimension, "
                           f"but got grid with sizes {_fmt(grid.shape)}")
    for i in range(2, input.dim()):
        if input.shape[i] == 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial "
                               f"dimensions, but input has sizes {_fmt(input.shape)} with "
                               f"dimension {i} being empty")
    if input.dim() not in (4, 5) or input.dim() != grid.dim():
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number "
                           f"of dimensions, but got {sizes}")
    if interpolation_mode == 2 and input.dim() != 4:
        raise RuntimeError(f"grid_sampler(): bicubic interpolation only supports 4D input, but "
                           f"got input with sizes {_fmt(input.shape)}")
    fn = grid_sampler_2d if input.dim() == 4 else grid_sampler_3d
    return fn(input, grid, interpolation_mode, padding_mode, align_corners)


grid_sampler = defop(f"grid_sampler({_GS_ARGS}) -> Tensor", composite=_grid_sampler)
TOPLEVEL.update(affine_grid_generator=affine_grid_generator, grid_sampler=grid_sampler,
                grid_sampler_2d=grid_sampler_2d, grid_sampler_3d=grid_sampler_3d)


# -- ctc_loss ------------------------------------------------------------------------------
def _lse(*xs):
    """Elementwise log(sum(exp)) of arrays that may hold -inf (all -inf gives -inf)."""
    m = np.maximum.reduce(xs)
    safe = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(**_QUIET):
        return np.where(np.isneginf(m), -np.inf,
                        safe + np.log(sum(np.exp(x - safe) for x in xs)))


def _ctc_targets(targets, n, target_lengths):
    """Each sample's label sequence: rows of a padded 2-D ``targets`` or consecutive runs of
    a 1-D one."""
    if targets.ndim == 1:
        starts = np.concatenate([[0], np.cumsum(target_lengths)[:-1]]).astype(np.int64)
        return [targets[s:s + L] for s, L in zip(starts, target_lengths)]
    return [targets[i, :target_lengths[i]] for i in range(n)]


def _ctc_check(lp, targets, input_lengths, target_lengths, blank, kernel="ctc_loss_cpu"):
    if lp.dtype.kind != "f":
        raise not_implemented(kernel, lp.dtype)
    t_max, n, c = lp.shape
    if not 0 <= blank < c:
        raise RuntimeError("blank must be in label range")
    if len(input_lengths) != n:
        raise RuntimeError("input_lengths must be of size batch_size")
    if len(target_lengths) != n:
        raise RuntimeError("target_lengths must be of size batch_size")
    where = "(while checking arguments for ctc_loss_allocate_outputs)"
    if targets.ndim == 1:
        total = int(sum(target_lengths))
        if targets.shape[0] != total:
            raise RuntimeError(f"Expected tensor to have size {total} at dimension 0, but got "
                               f"size {targets.shape[0]} for argument #2 'targets' {where}")
    else:
        most = max(target_lengths, default=0)
        if targets.shape[1] < most:
            raise RuntimeError(f"Expected tensor to have size at least {most} at dimension 1, "
                               f"but got size {targets.shape[1]} for argument #2 'targets' "
                               f"{where}")
    for length in input_lengths:
        if length > t_max:
            raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got "
                               f"value {length} {where}")
    seqs = _ctc_targets(targets.astype(np.int64), n, target_lengths)
    for s in seqs:
        if s.size and (s.min() < 0 or s.max() >= c):
            raise RuntimeError(f"ctc_loss: target labels must be in [0, {c}), but got "
                               f"{int(s.min() if s.min() < 0 else s.max())}")
    return seqs


def _extended(seq, blank):
    """The label sequence with blanks around and between its labels, and which positions
    may be reached by skipping a blank (a label differing from the one two back)."""
    ext = np.full(2 * len(seq) + 1, blank, dtype=np.int64)
    ext[1::2] = seq
    skip = np.zeros(ext.size, dtype=bool)
    skip[2:] = (ext[2:] != blank) & (ext[2:] != ext[:-2])
    return ext, skip


def _shifted(v, k):
    """``v`` moved ``k`` places right (left for negative ``k``), -inf where nothing moved in."""
    out = np.full_like(v, -np.inf)
    if abs(k) < v.size:
        if k > 0:
            out[k:] = v[:-k]
        else:
            out[:k] = v[-k:]
    return out


def _ctc_alpha(lp, ext, skip, t_len):
    """Forward variables ``log alpha[t, s]`` over the first ``t_len`` steps."""
    a = np.full((lp.shape[0], ext.size), -np.inf)
    if t_len == 0:
        return a
    a[0, 0] = lp[0, ext[0]]
    if ext.size > 1:
        a[0, 1] = lp[0, ext[1]]
    for t in range(1, t_len):
        prev = a[t - 1]
        one, two = _shifted(prev, 1), np.where(skip, _shifted(prev, 2), -np.inf)
        a[t] = _lse(prev, one, two) + lp[t, ext]
    return a


def _ctc_beta(lp, ext, skip, t_len):
    b = np.full((lp.shape[0], ext.size), -np.inf)
    if t_len == 0:
        return b
    b[t_len - 1, -1] = lp[t_len - 1, ext[-1]]
    if ext.size > 1:
        b[t_len - 1, -2] = lp[t_len - 1, ext[-2]]
    skip_from = np.zeros_like(skip)                # s may jump to s + 2
    skip_from[:-2] = skip[2:]
    for t in range(t_len - 2, -1, -1):
        nxt = b[t + 1]
        one, two = _shifted(nxt, -1), np.where(skip_from, _shifted(nxt, -2), -np.inf)
        b[t] = _lse(nxt, one, two) + lp[t, ext]
    return b


def _final_nll(alpha, t_len, size):
    if t_len == 0:
        return 0.0 if size == 1 else np.inf
    last = alpha[t_len - 1]
    return -float(_lse(last[-1], last[-2]) if size > 1 else last[-1])


def _ctc_loss_np(log_probs, targets, input_lengths, target_lengths, blank, zero_infinity):
    seqs = _ctc_check(log_probs, targets, input_lengths, target_lengths, blank)
    t_max, n, _ = log_probs.shape
    lp = log_probs.astype(np.float64)
    width = 2 * max(target_lengths, default=0) + 1
    nll = np.zeros(n)
    log_alpha = np.full((n, t_max, width), -np.inf)
    for i in range(n):
        ext, skip = _extended(seqs[i], blank)
        a = _ctc_alpha(lp[:, i], ext, skip, input_lengths[i])
        log_alpha[i, :, :ext.size] = a
        nll[i] = _final_nll(a, input_lengths[i], ext.size)
    dt = log_probs.dtype
    return nll.astype(dt), log_alpha.astype(dt)


def _ctc_loss_backward_np(grad, log_probs, targets, input_lengths, target_lengths, neg_log_lik,
                          log_alpha, blank, zero_infinity):
    """PyTorch's gradient: ``exp(lp) - exp(log sum_{s: label c} alpha beta + nll - lp)`` per
    step and class, scaled by the sample's incoming gradient (zero past its input length).
    Its first term assumes normalised ``log_probs``: it vanishes through ``log_softmax``."""
    seqs = _ctc_check(log_probs, targets, input_lengths, target_lengths, blank,
                      "ctc_loss_backward_cpu")
    if grad.dtype.kind == "f":          # as PyTorch's engine does (see pool_backward_dtypes)
        grad = grad.astype(log_probs.dtype)
    for t in (log_alpha, grad, neg_log_lik):     # (PyTorch's order)
        if t.dtype != log_probs.dtype:
            raise RuntimeError(f"expected scalar type {short_name(log_probs.dtype)} but found "
                               f"{short_name(t.dtype)}")
    t_max, n, c = log_probs.shape
    lp = log_probs.astype(np.float64)
    g = np.broadcast_to(grad.astype(np.float64), (n,))
    out = np.zeros((t_max, n, c))
    for i in range(n):
        t_len = input_lengths[i]
        nll = float(neg_log_lik[i])
        if zero_infinity and np.isinf(nll):
            continue
        ext, skip = _extended(seqs[i], blank)
        a = _ctc_alpha(lp[:, i], ext, skip, t_len)
        b = _ctc_beta(lp[:, i], ext, skip, t_len)
        ab = a[:t_len] + b[:t_len]
        lcab = np.full((t_len, c), -np.inf)
        for s, label in enumerate(ext):
            lcab[:, label] = _lse(lcab[:, label], ab[:, s])
        with np.errstate(**_QUIET):
            step = np.exp(lp[:t_len, i]) - np.exp(lcab + nll - lp[:t_len, i])
        out[:t_len, i] = step * g[i]
    return out.astype(log_probs.dtype)


def ctc_no_double_backward():
    raise RuntimeError("derivative for aten::_ctc_loss_backward is not implemented")


FORMULA_NS["ctc_no_double_backward"] = ctc_no_double_backward
_ctc_loss_backward = defop(
    "_ctc_loss_backward(Tensor grad, Tensor log_probs, Tensor targets, int[] input_lengths, "
    "int[] target_lengths, Tensor neg_log_likelihood, Tensor log_alpha, int blank, "
    "bool zero_infinity=False) -> Tensor", _ctc_loss_backward_np,
    grad={"grad": "ctc_no_double_backward()", "log_probs": "ctc_no_double_backward()"},
    node_name="torch::autograd::NotImplemented")
FORMULA_NS["_ctc_loss_backward"] = _ctc_loss_backward
# (PyTorch's fallback nodes: edges only for the inputs that require grad)
_name_not_implemented("multilabel_margin_loss_backward", "_ctc_loss_backward")
_ctc_loss = defop(
    "_ctc_loss(Tensor log_probs, Tensor targets, int[] input_lengths, int[] target_lengths, "
    "int blank=0, bool zero_infinity=False) -> (Tensor, Tensor)", _ctc_loss_np,
    grad={"log_probs": "_ctc_loss_backward(grads[0], log_probs, targets, input_lengths, "
                       "target_lengths, results[0], results[1], blank, zero_infinity)"},
    node_name="CtcLossBackward0", output_differentiability=(True, False))


def _lengths(v, name):
    """Lengths given as a tensor (integral, any shape) or a sequence, as a list of ints."""
    from .. import _tensor as T
    if isinstance(v, T.Tensor):
        if v.is_floating_point() or v.is_complex():
            raise RuntimeError(f"{name} must be integral")
        return [int(x) for x in v._data.reshape(-1)]
    return [int(x) for x in v]


def _ctc_loss_public(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=1,
                     zero_infinity=False):
    from .factories import tensor, zeros
    from .pointwise import where
    il = _lengths(input_lengths, "input_lengths")
    tl = _lengths(target_lengths, "target_lengths")
    batched = log_probs.dim() == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    res = _ctc_loss(lp, targets.long(), il, tl, blank, zero_infinity)[0]
    if zero_infinity:
        res = where(res == math.inf, zeros((), dtype=res.dtype), res)
    if reduction == 1:
        return (res / tensor(tl, dtype=res.dtype).clamp_min(1)).mean()
    if reduction == 2:
        return res.sum()
    return res if batched else res.squeeze(0)


ctc_loss = defop("ctc_loss.IntList(Tensor log_probs, Tensor targets, int[] input_lengths, "
                 "int[] target_lengths, int blank=0, int reduction=1, "
                 "bool zero_infinity=False) -> Tensor", composite=_ctc_loss_public)
ctc_loss_tensor = defop("ctc_loss.Tensor(Tensor log_probs, Tensor targets, "
                        "Tensor input_lengths, Tensor target_lengths, int blank=0, "
                        "int reduction=1, bool zero_infinity=False) -> Tensor",
                        composite=_ctc_loss_public)


def _ctc_loss_toplevel(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=1,
                       zero_infinity=False):
    """``torch.ctc_loss``: the Tensor overload when the lengths are tensors."""
    from .. import _tensor as T
    fn = ctc_loss_tensor if isinstance(input_lengths, T.Tensor) else ctc_loss
    return fn(log_probs, targets, input_lengths, target_lengths, blank, reduction,
              zero_infinity)


TOPLEVEL.update(ctc_loss=_ctc_loss_toplevel, _ctc_loss=_ctc_loss)
