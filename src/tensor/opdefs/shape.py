"""Joining ops: cat and stack (copies, not views)."""

from __future__ import annotations


import numpy as np

from dispatch.dispatcher import entry_point as _entry_point


from .. import _tensor as T
from .._defop import defop
from .._out import call_with_out
from ._util import np_result_type, wrap_dim


def _cat_np(arrays, dim):
    arrays = [a for a in arrays]
    if not arrays:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, a in enumerate(arrays):
        if a.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    # legacy rule: a 1-D empty member is skipped (but keeps its number in messages)
    numbered = [(i, a) for i, a in enumerate(arrays) if not (a.ndim == 1 and a.shape[0] == 0)]
    nonempty = [a for _, a in numbered]
    dt = np_result_type(*arrays) if len(arrays) > 1 else arrays[0].dtype
    if not nonempty:
        return np.concatenate(arrays).astype(dt)
    ref = nonempty[0]
    d = wrap_dim(dim, ref.ndim)
    for i, a in numbered:
        if a.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} "
                               f"and {a.ndim}")
        for k in range(ref.ndim):
            if k != d and a.shape[k] != ref.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref.shape[k]} but got size {a.shape[k]} for tensor number {i} in the "
                    f"list.")
    return np.ascontiguousarray(
        np.concatenate([a.astype(dt, copy=False) for a in nonempty], axis=d))


def _cat_grad(grad, tensors_shape, dim):
    # (the node keeps the inputs' sizes, not the inputs, as PyTorch's CatBackward0 does)
    out, start = [], 0
    d = None
    for shape in tensors_shape:
        if len(shape) == 1 and shape[0] == 0:
            out.append(grad.new_zeros((0,)))       # a skipped empty input: an empty gradient
            continue
        d = wrap_dim(dim, len(shape))
        n = shape[d]
        out.append(grad.narrow(d, start, n))
        start += n
    return out


_cat = defop("cat(Tensor[] tensors, int dim=0) -> Tensor", _cat_np,
             grad={"tensors": _cat_grad})


def _tensor_list(name, tensors):
    """PyTorch's argument check: a list or tuple of tensors (not one tensor, not a
    generator)."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, T.Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return list(tensors)


def cat(tensors, dim=0, *, axis=None, out=None):
    """``torch.cat`` (also ``concat`` / ``concatenate``, which take ``axis=`` too)."""
    tensors = _tensor_list("cat", tensors)
    if axis is not None:
        dim = axis
    if out is not None:
        return call_with_out("cat", _cat, (tensors, dim), {}, out)
    return _cat_entry(tensors, dim)


def _stack_np(arrays, dim):
    if not arrays:
        raise RuntimeError("stack expects a non-empty TensorList")
    s0 = arrays[0].shape
    d = wrap_dim(dim, len(s0) + 1)
    for i, a in enumerate(arrays):
        if a.shape != s0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"[{', '.join(map(str, s0))}] at entry 0 and "
                               f"[{', '.join(map(str, a.shape))}] at entry {i}")
    dt = np_result_type(*arrays) if len(arrays) > 1 else arrays[0].dtype
    return np.ascontiguousarray(np.stack([a.astype(dt, copy=False) for a in arrays], axis=d))


def _stack_grad(grad, tensors_shape, dim):
    return list(grad.unbind(wrap_dim(dim, len(tensors_shape[0]) + 1)))


_stack = defop("stack(Tensor[] tensors, int dim=0) -> Tensor", _stack_np,
               grad={"tensors": _stack_grad})


def stack(tensors, dim=0, *, out=None):
    """``torch.stack``."""
    tensors = _tensor_list("stack", tensors)
    if out is not None:
        return call_with_out("stack", _stack, (tensors, dim), {}, out)
    return _stack_entry(tensors, dim)


# (``__torch_function__`` is told ``torch.cat`` / ``torch.stack``: dispatch Note [Entry
# points]; the same code as the op's call)
_cat_entry = _entry_point(_cat._op, identity=cat)
_stack_entry = _entry_point(_stack._op, identity=stack)
concat = concatenate = cat
