"""Storages: the memory a tensor and its views read (``x.untyped_storage()``, ``x.storage()``).

A tensor's storage is its root base's memory: every view of it reports the same storage (same
``data_ptr()``, same Python object, as in PyTorch). The region starts ``storage_offset()``
elements before the root's first element (a tensor loaded at an offset into a shared file) and
spans what the root's sizes and strides can reach. ``UntypedStorage`` reads and writes that
region as bytes; ``TypedStorage`` (deprecated in PyTorch, with the same warning) as elements
of the tensor's dtype. Writes through a storage change the tensors on it, and, as in PyTorch,
bump no version counter.
"""

from __future__ import annotations

import ctypes

import numpy as np

from . import _tensor as T
from .errors import warn_once

__all__ = ["UntypedStorage", "TypedStorage"]


def _region(t):
    """(root tensor, address of the storage's first byte, its size in bytes) of ``t``."""
    root = t._base if t._base is not None else t
    a = root._data
    off = root.storage_offset()
    if a.size == 0:
        extent = 0
    else:
        # (the furthest element the root's sizes and strides reach, PyTorch's storage size)
        extent = 1 + sum((n - 1) * (s // a.itemsize) for n, s in zip(a.shape, a.strides))
    start = a.__array_interface__["data"][0] - off * a.itemsize
    return root, start, (off + extent) * a.itemsize


def _bytes_at(address, nbytes, keep):
    """A writable uint8 array over ``nbytes`` bytes at ``address`` (``keep`` owns them)."""
    if nbytes == 0:
        return np.zeros(0, np.uint8)
    buf = (ctypes.c_uint8 * nbytes).from_address(address)
    arr = np.frombuffer(buf, np.uint8)
    arr.flags.writeable = True
    return _Kept(arr, keep)


class _Kept(np.ndarray):
    """A view that holds the array whose memory it reads (so the memory outlives it)."""

    def __new__(cls, arr, keep):
        obj = arr.view(cls)
        obj._keep = keep
        return obj

    def __array_finalize__(self, obj):
        self._keep = getattr(obj, "_keep", None)


class _Storage:
    """What both storages answer alike (a CPU storage, never shared or pinned)."""

    __slots__ = ()
    device = property(lambda self: _cpu())
    is_cuda = False
    is_sparse = False

    def _array(self):
        raise NotImplementedError

    def __len__(self):
        return len(self._array())

    def fill_(self, value):
        self._array()[...] = value
        return self

    def is_shared(self) -> bool:
        return False

    def is_pinned(self, device="cuda") -> bool:
        return False

    def get_device(self) -> int:
        return -1


class UntypedStorage(_Storage):
    """The bytes under a tensor (``tensor.untyped_storage()``)."""

    __slots__ = ("_bytes", "_ptr", "__weakref__")

    def _array(self):
        return self._bytes

    def __init__(self, *args, **kwargs):
        raise RuntimeError("tensorkeys makes storages from tensors only. Hint: use "
                           "tensor.untyped_storage().")

    @classmethod
    def _of(cls, t):
        root, start, nbytes = _region(t)
        ex = T.own_extra(root)
        s = ex.get("untyped_storage")
        if s is None or s._ptr != start or len(s._bytes) != nbytes:
            s = object.__new__(cls)
            s._bytes = _bytes_at(start, nbytes, root._data)
            s._ptr = start
            ex["untyped_storage"] = s
        return s

    def nbytes(self) -> int:
        return len(self._bytes)

    size = nbytes

    def data_ptr(self) -> int:
        return self._ptr

    def element_size(self) -> int:
        return 1

    def __getitem__(self, i):
        if isinstance(i, slice):        # a storage over those bytes (shared memory)
            start, stop, step = i.indices(len(self._bytes))
            if step != 1:
                raise RuntimeError("slices with steps are not supported by storages")
            s = object.__new__(UntypedStorage)
            s._bytes = self._bytes[start:max(start, stop)]
            s._ptr = self._ptr + start
            return s
        return int(self._bytes[i])

    def __setitem__(self, i, value):
        self._bytes[i] = value

    def tolist(self):
        return [int(v) for v in self._bytes]

    def __repr__(self):
        return _listing(self.tolist(), f"UntypedStorage(device=cpu) of size {len(self)}")


class TypedStorage(_Storage):
    """The elements under a tensor, in its dtype (``tensor.storage()``; deprecated in
    PyTorch, which warns once)."""

    __slots__ = ("_untyped", "_dtype", "_values")

    def _array(self):
        return self._values

    def __init__(self, *args, **kwargs):
        raise RuntimeError("tensorkeys makes storages from tensors only. Hint: use "
                           "tensor.storage().")

    @classmethod
    def _of(cls, t):
        u = UntypedStorage._of(t)
        s = object.__new__(cls)
        s._untyped = u
        s._dtype = t.dtype
        npdt = t._data.dtype
        n = len(u._bytes) // npdt.itemsize
        s._values = u._bytes[:n * npdt.itemsize].view(npdt)
        return s

    @property
    def dtype(self):
        return self._dtype

    def untyped(self):
        return self._untyped

    def size(self) -> int:
        return len(self._values)

    def nbytes(self) -> int:
        return self._values.nbytes

    def element_size(self) -> int:
        return self._values.itemsize

    def data_ptr(self) -> int:
        return self._untyped._ptr

    def __getitem__(self, i):
        r = self._values[i]
        return r.item() if np.ndim(r) == 0 else r.tolist()

    def __setitem__(self, i, value):
        self._values[i] = value

    def tolist(self):
        return self._values.tolist()

    def __repr__(self):
        return _listing(self.tolist(), f"TypedStorage(dtype={self._dtype}, device=cpu) of "
                                       f"size {len(self)}")


def _listing(values, what):
    """PyTorch's printed storage: one Python value per line, each after a space, then what
    it is (an empty storage prints a lone space first)."""
    return " " + "\n ".join(str(v) for v in values) + f"\n[torch.storage.{what}]"


def _cpu():
    return T.device("cpu")


_TYPED_MSG = ("TypedStorage is deprecated. It will be removed in the future and UntypedStorage "
              "will be the only storage class. This should only matter to you if you are using "
              "storages directly.  To access UntypedStorage directly, use "
              "tensor.untyped_storage() instead of tensor.storage()")


def _untyped_storage(self):
    return UntypedStorage._of(self)


def _typed_storage(self):
    warn_once("typed_storage", _TYPED_MSG)
    return TypedStorage._of(self)


T.Tensor.untyped_storage = _untyped_storage
T.Tensor.storage = _typed_storage
