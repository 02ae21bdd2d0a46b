"""``torch.view_as_real`` and ``torch.view_as_complex``: a complex tensor's memory seen as
pairs of reals (a new last dim of size 2) and back. Both are views, tracked by
ADInplaceOrView like any other, so ``z.real``, ``z.imag`` (selections of ``view_as_real``)
share memory and version counter with ``z``; each is the other's derivative."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._defop import FORMULA_NS, defop

__all__ = ["view_as_real", "view_as_complex"]

_COMPLEX = {np.dtype(np.float32): np.dtype(np.complex64),
            np.dtype(np.float64): np.dtype(np.complex128)}


def _view_as_real_np(a):
    if a.dtype.kind != "c":
        raise RuntimeError("view_as_real is only supported for complex tensors")
    re = a.real                                  # (a view: same strides, the real dtype)
    return as_strided(re, a.shape + (2,), a.strides + (re.itemsize,))


def _storage_offset(a):
    root = a
    while isinstance(root.base, np.ndarray):
        root = root.base
    return (a.__array_interface__["data"][0] - root.__array_interface__["data"][0]) \
        // a.itemsize


def _view_as_complex_np(a):
    if a.dtype not in _COMPLEX:
        if a.dtype == np.float16:
            raise RuntimeError("view_as_complex of a half tensor makes a complex32 tensor, "
                               "which tensorkeys does not have. Hint: convert to float32 "
                               "first (x.float()).")
        from .reduction import short_name
        raise RuntimeError(f"view_as_complex is only supported for half, float and double "
                           f"tensors, but got a tensor of scalar type: {short_name(a.dtype)}")
    if a.ndim == 0:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if a.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    isz = a.itemsize
    if a.strides[-1] != isz:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(st % (2 * isz) for st in a.strides[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last "
                           "dimension")
    if _storage_offset(a) % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    return a.view(_COMPLEX[a.dtype])[..., 0]     # (numpy: the last axis is contiguous)


view_as_real = defop("view_as_real(Tensor(a) self) -> Tensor(a)", _view_as_real_np,
                     grad={"self": "view_as_complex(grad.contiguous())"},
                     node_name="ViewAsRealBackward0")
view_as_complex = defop("view_as_complex(Tensor(a) self) -> Tensor(a)", _view_as_complex_np,
                        grad={"self": "view_as_real(grad.contiguous())"},
                        node_name="ViewAsComplexBackward0")
FORMULA_NS.update(view_as_real=view_as_real, view_as_complex=view_as_complex)

FUNCTIONS = []
TOPLEVEL = {"view_as_real": view_as_real, "view_as_complex": view_as_complex}
