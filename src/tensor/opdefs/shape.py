"""Joining ops: cat and stack (copies, not views)."""

from __future__ import annotations

import numpy as np

from .._defop import defop
from ._util import np_result_type, wrap_dim


def _cat_np(arrays, dim):
    arrays = [a for a in arrays]
    if not arrays:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    nonempty = [a for a in arrays if not (a.ndim == 1 and a.shape[0] == 0)]
    dt = np_result_type(*arrays) if len(arrays) > 1 else arrays[0].dtype
    if not nonempty:
        return np.concatenate(arrays).astype(dt)
    ref = nonempty[0]
    d = wrap_dim(dim, ref.ndim)
    for i, a in enumerate(nonempty):
        if a.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} "
                               f"and {a.ndim}")
        for k in range(ref.ndim):
            if k != d and a.shape[k] != ref.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref.shape[k]} but got size {a.shape[k]} for tensor number {i} in the "
                    f"list.")
    return np.concatenate([a.astype(dt, copy=False) for a in nonempty], axis=d)


def _cat_grad(grad, tensors, dim):
    out, start = [], 0
    d = None
    for t in tensors:
        shape = t.shape
        if len(shape) == 1 and shape[0] == 0:
            out.append(None)
            continue
        d = wrap_dim(dim, len(shape))
        n = shape[d]
        out.append(grad.narrow(d, start, n))
        start += n
    return out


cat = defop("cat(Tensor[] tensors, int dim=0) -> Tensor", _cat_np,
            grad={"tensors": _cat_grad})


def _stack_np(arrays, dim):
    if not arrays:
        raise RuntimeError("stack expects a non-empty TensorList")
    s0 = arrays[0].shape
    for i, a in enumerate(arrays):
        if a.shape != s0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"[{', '.join(map(str, s0))}] at entry 0 and "
                               f"[{', '.join(map(str, a.shape))}] at entry {i}")
    dt = np_result_type(*arrays) if len(arrays) > 1 else arrays[0].dtype
    return np.stack([a.astype(dt, copy=False) for a in arrays], axis=wrap_dim(dim, len(s0) + 1))


def _stack_grad(grad, tensors, dim):
    return list(grad.unbind(wrap_dim(dim, len(tensors[0].shape) + 1)))


stack = defop("stack(Tensor[] tensors, int dim=0) -> Tensor", _stack_np,
              grad={"tensors": _stack_grad})
concat = concatenate = cat
