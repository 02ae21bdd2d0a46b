"""Neural-network ops: softmax / log_softmax, masked_fill, gather / scatter_add,
index_select / index_add, and the loss primitives behind ``tensor.nn_functional``
(``mse_loss``, ``nll_loss``).

Each op validates before it computes (and, in place, before it writes), with PyTorch's error
texts. Derivatives are written with our own ops: ``gather``'s gradient is a ``scatter_add``,
``index_select``'s an ``index_add``, and those two differentiate back into ``gather`` and
``index_select``, so every formula here can be differentiated again.
"""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .. import _tensor as T
from .._defop import FORMULA_NS, defop, method
from ._util import broadcast_error, check_inplace_result, np_result_type, wrap_dim
from .backward_ops import slice_backward
from .reduction import cxx_name, short_name

_nd = np.ndarray
_Tensor = T.Tensor


# -- softmax / log_softmax -----------------------------------------------------------------
def _softmax_input(a, dim, dtype, name):
    d = wrap_dim(dim, a.ndim)
    if dtype is not None:
        a = a.astype(D.to_dtype(dtype).np)
    if a.dtype.kind not in "fc":
        where_ = "lastdim_" if a.ndim == 0 or d == a.ndim - 1 else ""
        raise NotImplementedError(f'"{name}_{where_}kernel_impl" not implemented for '
                                  f"'{short_name(a.dtype)}'")
    return a, d


def _shifted(a, d):
    m = np.max(a, axis=d, keepdims=True)
    m = np.where(np.isfinite(m), m, 0).astype(a.dtype, copy=False)
    return a - m


def _softmax_np(a, dim, dtype):
    a, d = _softmax_input(a, dim, dtype, "softmax")
    if a.ndim == 0:
        return np.ones((), a.dtype)
    if a.size == 0:
        return a.copy()
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(_shifted(a, d))
        return np.asarray(e / e.sum(axis=d, keepdims=True), dtype=a.dtype)


def _log_softmax_np(a, dim, dtype):
    a, d = _softmax_input(a, dim, dtype, "log_softmax")
    if a.ndim == 0:
        return np.zeros((), a.dtype)
    if a.size == 0:
        return a.copy()
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        s = _shifted(a, d)
        return np.asarray(s - np.log(np.exp(s).sum(axis=d, keepdims=True)), dtype=a.dtype)


softmax = defop("softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor",
                _softmax_np,
                grad={"self": "result * (grad - (grad * result).sum(dim, keepdim=True))"},
                node_name="SoftmaxBackward0")
log_softmax = defop("log_softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor",
                    _log_softmax_np,
                    grad={"self": "grad - result.exp() * grad.sum(dim, keepdim=True)"},
                    node_name="LogSoftmaxBackward0")
method("softmax", lambda self, dim, dtype=None: softmax(self, dim, dtype))
method("log_softmax", lambda self, dim, dtype=None: log_softmax(self, dim, dtype))


# -- masked_fill ---------------------------------------------------------------------------
def _check_mask(mask):
    if mask.dtype != np.bool_:
        raise RuntimeError(
            f"masked_fill_ only supports boolean masks, but got mask with dtype "
            f"{cxx_name(mask.dtype)}. Hint: compare to get a bool mask (e.g. mask != 0) or "
            "call mask.bool().")


def _fill_value(value):
    if type(value) is _nd:
        if value.ndim != 0:
            raise RuntimeError(
                f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s). Hint: pass a Python number or a 0-dim tensor.")
        return value[()]
    return value


def _masked_fill_prepare(a, mask, value):
    """Checks shared by masked_fill and masked_fill_: the value and the broadcast shape."""
    _check_mask(mask)
    value = _fill_value(value)
    try:
        return value, np.broadcast_shapes(a.shape, mask.shape)
    except ValueError:
        raise broadcast_error(mask.shape, a.shape) from None


def _masked_fill_np(a, mask, value):
    value, shape = _masked_fill_prepare(a, mask, value)
    out = np.array(np.broadcast_to(a, shape))
    with np.errstate(invalid="ignore", over="ignore"):
        np.copyto(out, np.asarray(value).astype(a.dtype), where=np.broadcast_to(mask, shape),
                  casting="unsafe")
    return out


def _masked_fill_inplace_np(a, mask, value):
    value, shape = _masked_fill_prepare(a, mask, value)
    check_inplace_result(a, shape, a.dtype)      # refused before anything is written
    with np.errstate(invalid="ignore", over="ignore"):
        np.copyto(a, np.asarray(value).astype(a.dtype), where=mask, casting="unsafe")


_MF_SCALAR = {"self": "where(mask, 0.0, grad)"}
_MF_TENSOR = {"self": "where(mask, 0.0, grad)", "value": "where(mask, grad, 0.0).sum()"}
masked_fill_scalar = defop("masked_fill.Scalar(Tensor self, Tensor mask, Scalar value) -> Tensor",
                           _masked_fill_np, grad=_MF_SCALAR, node_name="MaskedFillBackward0")
masked_fill_tensor = defop("masked_fill.Tensor(Tensor self, Tensor mask, Tensor value) -> Tensor",
                           _masked_fill_np, grad=_MF_TENSOR, node_name="MaskedFillBackward1")
masked_fill_scalar_ = defop("masked_fill_.Scalar(Tensor(a!) self, Tensor mask, Scalar value) -> "
                            "Tensor(a!)", _masked_fill_inplace_np, grad=_MF_SCALAR,
                            node_name="MaskedFillBackward0")
masked_fill_tensor_ = defop("masked_fill_.Tensor(Tensor(a!) self, Tensor mask, Tensor value) -> "
                            "Tensor(a!)", _masked_fill_inplace_np, grad=_MF_TENSOR,
                            node_name="MaskedFillBackward1")


def masked_fill(self, mask, value):
    if isinstance(value, _Tensor):
        return masked_fill_tensor(self, mask, value)
    return masked_fill_scalar(self, mask, value)


def masked_fill_(self, mask, value):
    if isinstance(value, _Tensor):
        return masked_fill_tensor_(self, mask, value)
    return masked_fill_scalar_(self, mask, value)


method("masked_fill", masked_fill)
method("masked_fill_", masked_fill_)


# -- gather / scatter_add ------------------------------------------------------------------
def _fmt(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


def _check_index_dtype(index, text):
    if index.dtype not in (np.int64, np.int32):
        raise RuntimeError(text)


def _check_bounds(idx, n, d):
    if idx.size:
        bad = (idx < 0) | (idx >= n)
        if bad.any():
            raise RuntimeError(f"index {int(idx[bad].reshape(-1)[0])} is out of bounds for "
                               f"dimension {d} with size {n}")


def _as1d(a):
    return a.reshape(1) if a.ndim == 0 else a


def _gather_np(a, dim, index, sparse_grad):
    _check_index_dtype(index, "gather(): Expected dtype int32/int64 for index")
    d = wrap_dim(dim, a.ndim)
    if max(index.ndim, 1) != max(a.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input "
                           "tensor")
    out_shape = index.shape
    a1, i1 = _as1d(a), _as1d(index)
    for k in range(a1.ndim):
        if k != d and i1.shape[k] > a1.shape[k]:
            raise RuntimeError(
                f"Size does not match at dimension {k} expected index {_fmt(i1.shape)} to be no "
                f"larger than self {_fmt(a1.shape)} apart from dimension {d}")
    _check_bounds(i1, a1.shape[d], d)
    sliced = a1[tuple(slice(None) if k == d else slice(0, i1.shape[k])
                      for k in range(a1.ndim))]
    r = np.take_along_axis(sliced, i1.astype(np.intp), axis=d)
    return r.reshape(out_shape)


def _scatter_add_check(a, dim, index, src):
    _check_index_dtype(index, "scatter(): Expected dtype int32/int64 for index")
    if a.dtype != src.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype. Hint: "
                           f"convert src ({short_name(src.dtype)}) to {short_name(a.dtype)}.")
    d = wrap_dim(dim, a.ndim)
    if max(index.ndim, 1) != max(a.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if max(index.ndim, 1) != max(src.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    a1, i1, s1 = _as1d(a), _as1d(index), _as1d(src)
    for k in range(a1.ndim):
        if (k != d and i1.shape[k] > a1.shape[k]) or i1.shape[k] > s1.shape[k]:
            raise RuntimeError(
                f"Expected index {_fmt(i1.shape)} to be no larger than self {_fmt(a1.shape)} "
                f"apart from dimension {d} and to be no larger size than src {_fmt(s1.shape)}")
    _check_bounds(i1, a1.shape[d], d)
    return d, i1, s1


def _scatter_add_into(out1, d, i1, s1):
    if i1.size == 0:
        return
    grids = list(np.indices(i1.shape, sparse=True))
    grids[d] = i1.astype(np.intp)
    src = s1[tuple(slice(0, n) for n in i1.shape)]
    np.add.at(out1, tuple(grids), src)


def _scatter_add_np(a, dim, index, src):
    d, i1, s1 = _scatter_add_check(a, dim, index, src)
    out = a.copy()
    _scatter_add_into(_as1d(out), d, i1, s1)
    return out


def _scatter_add_inplace_np(a, dim, index, src):
    d, i1, s1 = _scatter_add_check(a, dim, index, src)
    _scatter_add_into(_as1d(a), d, i1, s1)


def scatter_src_backward(grad, dim, index, src_shape):
    """``grad.gather(dim, index)``, zero-padded where ``src`` is larger than ``index`` (those
    elements of ``src`` are not used; PyTorch refuses to backward through that case)."""
    g = grad.gather(dim, index)
    shape = list(g.shape)
    for k, n in enumerate(src_shape):
        if shape[k] != n:
            shape[k] = n
            g = slice_backward(g, tuple(shape), k, 0, g.shape[k], 1)
    return g


_SA_GRAD = {"self": "grad", "src": "scatter_src_backward(grad, dim, index, src_shape)"}
gather = defop("gather(Tensor self, int dim, Tensor index, *, bool sparse_grad=False) -> Tensor",
               _gather_np,
               # PyTorch saves ``self`` itself (not just its shape): an inference ``self`` is
               # refused when this records (E4), as there
               grad={"self": "gather_backward(grad, self.shape, dim, index)"})
scatter_add = defop("scatter_add(Tensor self, int dim, Tensor index, Tensor src) -> Tensor",
                    _scatter_add_np, grad=_SA_GRAD)
scatter_add_ = defop("scatter_add_(Tensor(a!) self, int dim, Tensor index, Tensor src) -> "
                     "Tensor(a!)", _scatter_add_inplace_np, grad=_SA_GRAD,
                     node_name="ScatterAddBackward0")
method("gather", lambda self, dim, index, *, sparse_grad=False: gather(self, dim, index))
method("scatter_add", scatter_add)
method("scatter_add_", scatter_add_)


def gather_backward(grad, shape, dim, index):
    from .factories import zeros
    return zeros(tuple(shape), dtype=grad.dtype).scatter_add(dim, index, grad)


# -- index_select / index_add --------------------------------------------------------------
def _index_select_np(a, dim, index):
    if index.dtype not in (np.int64, np.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    d = wrap_dim(dim, a.ndim)
    a1 = _as1d(a)
    n = a1.shape[d]
    idx = index.reshape(-1)
    if idx.size:
        bad = (idx < 0) | (idx >= n)
        if bad.any():
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={int(idx[bad][0])} "
                               f"axis_dim={n}")
    r = np.take(a1, idx.astype(np.intp), axis=d)
    return r.reshape(()) if a.ndim == 0 and index.ndim == 0 else r


def _index_add_check(a, dim, index, src):
    if index.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: "
                           f"{short_name(index.dtype)}")
    if index.ndim > 1:
        raise IndexError("index_add_(): Index is supposed to be a vector")
    if a.dtype != src.dtype:
        raise RuntimeError(f"index_add_(): self ({short_name(a.dtype)}) and source "
                           f"({short_name(src.dtype)}) must have the same scalar type")
    d = wrap_dim(dim, a.ndim)
    a1 = _as1d(a)
    s1 = _as1d(src) if src.ndim == 0 else src
    idx = index.reshape(-1)
    ns = s1.shape[d] if s1.ndim > d else 1
    if idx.size != ns:
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to "
                           f"source.size(dim): ({ns}), for dim: {d}")
    if s1.ndim != a1.ndim or any(s1.shape[k] != a1.shape[k] for k in range(a1.ndim) if k != d):
        raise RuntimeError(
            f"index_add_(): source {_fmt(src.shape)} must have the shape of self "
            f"{_fmt(a.shape)} apart from dimension {d}")
    _check_bounds(idx, a1.shape[d], d)
    return d, idx.astype(np.intp), s1


def _index_add_into(out1, d, idx, s1, alpha):
    src = s1 * alpha if alpha != 1 else s1
    np.add.at(out1, (slice(None),) * d + (idx,), src.astype(out1.dtype, copy=False))


def _index_add_np(a, dim, index, src, alpha):
    d, idx, s1 = _index_add_check(a, dim, index, src)
    out = a.copy()
    _index_add_into(_as1d(out), d, idx, s1, alpha)
    return out


def _index_add_inplace_np(a, dim, index, src, alpha):
    d, idx, s1 = _index_add_check(a, dim, index, src)
    _index_add_into(_as1d(a), d, idx, s1, alpha)


def index_select_backward(grad, shape, dim, index):
    from .factories import zeros
    return zeros(tuple(shape), dtype=grad.dtype).index_add(dim, index, grad)


def index_add_source_backward(grad, dim, index, alpha, source_shape):
    g = grad.index_select(dim, index)
    if alpha != 1:
        g = g * alpha
    return g.reshape(tuple(source_shape)) if tuple(g.shape) != tuple(source_shape) else g


_IA_GRAD = {"self": "grad",
            "source": "index_add_source_backward(grad, dim, index, alpha, source_shape)"}
index_select = defop("index_select(Tensor self, int dim, Tensor index) -> Tensor",
                     _index_select_np,
                     grad={"self": "index_select_backward(grad, self_shape, dim, index)"})
index_add = defop("index_add(Tensor self, int dim, Tensor index, Tensor source, *, "
                  "Scalar alpha=1) -> Tensor", _index_add_np, grad=_IA_GRAD)
index_add_ = defop("index_add_(Tensor(a!) self, int dim, Tensor index, Tensor source, *, "
                   "Scalar alpha=1) -> Tensor(a!)", _index_add_inplace_np, grad=_IA_GRAD,
                   node_name="IndexAddBackward0")
method("index_select", index_select)
method("index_add", index_add)
method("index_add_", index_add_)


# -- losses (used by tensor.nn_functional) -------------------------------------------------
REDUCTIONS = {"none": 0, "mean": 1, "sum": 2}


def _mse_np(a, t, reduction):
    dt = np_result_type(a, t)
    if dt.kind not in "fc":
        raise NotImplementedError(f"\"mse_cpu\" not implemented for '{D._BY_NP[dt].short}'")
    try:
        d = np.subtract(a, t, dtype=dt)
    except ValueError:
        raise broadcast_error(a.shape, t.shape) from None
    sq = d * d
    if reduction == 0:
        return np.asarray(sq)
    if reduction == 1:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(sq.mean() if sq.size else np.nan, dtype=dt)
    return np.asarray(sq.sum(), dtype=dt)


def mse_backward(grad, self, target, reduction):
    d = self - target
    if reduction == 1:
        return d * (grad * (2.0 / max(d.numel(), 1)))
    return d * (grad * 2.0)


mse_loss = defop("mse_loss(Tensor self, Tensor target, int reduction=1) -> Tensor", _mse_np,
                 grad={"self": "mse_backward(grad, self, target, reduction)",
                       "target": "-mse_backward(grad, self, target, reduction)"})


def _nll_parts(a, t, w, ignore_index):
    """Validate; return (log-prob picked per target, weight per target) with ignored = 0."""
    if a.ndim == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    if t.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{short_name(t.dtype)}")
    if a.ndim == 1:
        if t.ndim != 0:
            raise ValueError(f"Expected input batch_size (1) to match target batch_size "
                             f"({t.shape[0] if t.ndim else 1}).")
        x = a.reshape(1, -1)
        tt = t.reshape(1)
    else:
        if t.ndim == 0 or a.shape[0] != t.shape[0]:
            raise ValueError(f"Expected input batch_size ({a.shape[0]}) to match target "
                             f"batch_size ({t.shape[0] if t.ndim else 1}).")
        if t.shape != a.shape[:1] + a.shape[2:]:
            raise RuntimeError(f"expected target of shape {_fmt(a.shape[:1] + a.shape[2:])} "
                               f"for input of shape {_fmt(a.shape)}, but got {_fmt(t.shape)}")
        x = np.moveaxis(a, 1, -1)
        tt = t
    c = x.shape[-1]
    tt = tt.astype(np.int64)
    ignored = tt == ignore_index
    bad = ~ignored & ((tt < 0) | (tt >= c))
    if bad.any():
        raise IndexError(f"Target {int(tt[bad].reshape(-1)[0])} is out of bounds.")
    safe = np.where(ignored, 0, tt)
    picked = np.take_along_axis(x, safe[..., None], axis=-1)[..., 0]
    if w is not None:
        if w.shape != (c,):
            raise RuntimeError(f"weight tensor should be defined either for all {c} classes "
                               f"or no classes but got weight tensor of shape: {_fmt(w.shape)}")
        wt = w[safe].astype(a.dtype)
    else:
        wt = np.ones(safe.shape, a.dtype)
    wt = np.where(ignored, 0, wt).astype(a.dtype)
    return picked, wt, safe, x.shape


def _nll_np(a, t, w, reduction, ignore_index):
    picked, wt, _, _ = _nll_parts(a, t, w, ignore_index)
    losses = -(picked * wt)
    if reduction == 0:
        return np.asarray(losses.reshape(t.shape), dtype=a.dtype)
    total = losses.sum()
    if reduction == 1:
        with np.errstate(invalid="ignore", divide="ignore"):
            total = total / wt.sum()
    return np.asarray(total, dtype=a.dtype)


def nll_loss_backward(grad, self, target, weight, reduction, ignore_index):
    """``d loss / d self`` is a constant (from target and weight) times ``grad``."""
    a = self._data
    _, wt, safe, xshape = _nll_parts(a, target._data, None if weight is None else
                                     weight._data, ignore_index)
    coef = np.zeros(xshape, a.dtype)                    # class axis last
    np.put_along_axis(coef, safe[..., None], -wt[..., None], axis=-1)
    if reduction == 1:
        with np.errstate(invalid="ignore", divide="ignore"):
            coef = coef / wt.sum()
    coef = np.moveaxis(coef, -1, 1) if a.ndim > 1 else coef.reshape(a.shape)
    c = T.wrap(np.ascontiguousarray(coef))
    if reduction == 0 and a.ndim > 1:
        grad = grad.unsqueeze(1)
    return c * grad


nll_loss = defop("nll_loss(Tensor self, Tensor target, Tensor? weight=None, int reduction=1, "
                 "SymInt ignore_index=-100) -> Tensor", _nll_np,
                 grad={"self": "nll_loss_backward(grad, self, target, weight, reduction, "
                               "ignore_index)"},
                 node_name="NllLossBackward0")


FORMULA_NS.update(
    scatter_src_backward=scatter_src_backward, gather_backward=gather_backward,
    index_select_backward=index_select_backward,
    index_add_source_backward=index_add_source_backward, mse_backward=mse_backward,
    nll_loss_backward=nll_loss_backward)
