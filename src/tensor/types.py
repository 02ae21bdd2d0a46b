"""``tensor.types``: the type aliases PyTorch's ``torch.types`` offers for annotations.

``Number`` (int | float | bool), ``Device`` (device | str | int | None), ``FileLike``, the
``_int`` / ``_float`` / ``_dtype`` / ``_device`` / ``_size``... spellings of torch's stubs, and
``Storage`` (the interface a storage object offers, for annotations only). tensorkeys has no
symbolic shapes, so the ``*LikeType`` aliases are the plain Python types and ``SymInt`` /
``SymFloat`` / ``SymBool`` / ``py_sym_types`` are not provided; nor are ``_layout``,
``_qscheme`` and ``DispatchKey`` (no layouts, quantization or dispatch-key enum here).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any, Self, TypeAlias, Union  # noqa: F401

from ._dtype import dtype as _dtype_cls
from ._tensor import Size, Tensor, device as _device_cls

__all__ = ["Number", "Device", "FileLike", "Storage"]

_bool = bool
_bytes = bytes
_complex = complex
_float = float
_int = int
_str = str
_dtype = _dtype_cls
_device = _device_cls

_TensorOrTensors: TypeAlias = Tensor | Sequence[Tensor]
_TensorOrOptionalTensors: TypeAlias = Tensor | Sequence[Tensor | None]
_size: TypeAlias = Size | list[int] | tuple[int, ...]
_symsize: TypeAlias = Size | Sequence[int]
_dispatchkey: TypeAlias = str

IntLikeType: TypeAlias = int
FloatLikeType: TypeAlias = float
BoolLikeType: TypeAlias = bool

_Number = (int, float, bool)
Number: TypeAlias = int | float | bool
Device: TypeAlias = _device_cls | str | int | None
FileLike: TypeAlias = Union[str, os.PathLike[str], IO[bytes]]


class Storage:
    """What a storage offers (for annotations): every method here only says it is not
    implemented; real storages are ``tensor.UntypedStorage`` / ``TypedStorage``."""

    _cdata: int
    device: _device
    dtype: _dtype
    _torch_load_uninitialized: bool

    def __deepcopy__(self, memo):
        raise NotImplementedError

    def _new_shared(self, size):
        raise NotImplementedError

    def _write_file(self, f, is_real_file, save_size, element_size):
        raise NotImplementedError

    def element_size(self):
        raise NotImplementedError

    def is_shared(self):
        raise NotImplementedError

    def share_memory_(self):
        raise NotImplementedError

    def nbytes(self):
        raise NotImplementedError

    def cpu(self):
        raise NotImplementedError

    def data_ptr(self):
        raise NotImplementedError

    def from_file(self, filename, shared=False, nbytes=0):
        raise NotImplementedError

    def _new_with_file(self, f, element_size):
        raise NotImplementedError
