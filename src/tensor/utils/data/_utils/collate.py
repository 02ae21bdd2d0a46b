"""Collation: turning a list of samples into a batch.

``default_collate`` follows PyTorch's rules exactly: tensors are stacked along a new first
dimension; numpy arrays become tensors and are stacked (string and object arrays are refused);
numpy scalars become a tensor; Python floats a float64 tensor, ints (and bools) a tensor of
their kind; strings and bytes stay a list; mappings, namedtuples and other sequences are
collated field by field (a tuple gives a list; sequences of different lengths are refused).
``collate(batch, collate_fn_map=...)`` is the extensible form: the map sends an element type
(or a tuple of types) to a function ``fn(batch, *, collate_fn_map)``.
``default_convert`` turns numpy arrays inside one sample into tensors (no batching).
"""

from __future__ import annotations

import collections.abc as abc
import copy
import re

import numpy as np

from ...._tensor import Tensor

__all__ = ["collate", "default_collate", "default_collate_fn_map", "default_convert",
           "collate_tensor_fn", "collate_numpy_array_fn", "collate_numpy_scalar_fn",
           "collate_float_fn", "collate_int_fn", "collate_str_fn",
           "default_collate_err_msg_format"]

# numpy dtype codes of bytes, strings and Python objects: arrays of these are not numbers
np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = ("default_collate: batch must contain tensors, numpy arrays, "
                                  "numbers, dicts or lists; found {}")


def _torch():
    from .... import as_tensor, float64, stack, tensor
    return as_tensor, float64, stack, tensor


def _rebuild_mapping(data, fn):
    """``data`` with each value passed through ``fn``, in ``data``'s own mapping type when
    that type allows it (a plain dict otherwise)."""
    try:
        if isinstance(data, abc.MutableMapping):
            clone = copy.copy(data)
            clone.update({k: fn(k) for k in data})
            return clone
        return type(data)({k: fn(k) for k in data})
    except TypeError:
        return {k: fn(k) for k in data}


def _rebuild_sequence(data, items):
    """A sequence like ``data`` holding ``items`` (a list when its type will not do)."""
    try:
        if isinstance(data, abc.MutableSequence):
            clone = copy.copy(data)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(data)(list(items))
    except TypeError:
        return list(items)


def default_convert(data):
    """One sample with every numpy array / numpy scalar inside it made a tensor."""
    as_tensor = _torch()[0]
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if (elem_type.__name__ == "ndarray"
                and np_str_obj_array_pattern.search(data.dtype.str) is not None):
            return data
        return as_tensor(data)
    if isinstance(data, abc.Mapping):
        return _rebuild_mapping(data, lambda k: default_convert(data[k]))
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def collate(batch, *, collate_fn_map=None):
    """Collate ``batch`` (a list of samples) by the type of its first element: a function
    of ``collate_fn_map`` (exact type first, then the first key it is an instance of), else
    field by field for mappings, namedtuples and sequences."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for key in collate_fn_map:
            if isinstance(elem, key):
                return collate_fn_map[key](batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, abc.Mapping):
        return _rebuild_mapping(
            elem, lambda k: collate([d[k] for d in batch], collate_fn_map=collate_fn_map))
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return elem_type(*(collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, abc.Sequence):
        it = iter(batch)
        size = len(next(it))
        if not all(len(e) == size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return columns
        return _rebuild_sequence(elem, columns)
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    """Stack along a new first dimension."""
    stack = _torch()[2]
    layout = getattr(batch[0], "layout", None)
    if layout is not None and "sparse" in str(layout):
        raise RuntimeError("Batches of sparse tensors are not currently supported by the "
                           "default collate_fn; please provide a custom collate_fn to handle "
                           "them appropriately.")
    return stack(list(batch), 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    as_tensor = _torch()[0]
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return _torch()[0](batch)


def collate_float_fn(batch, *, collate_fn_map=None):
    _, float64, _, tensor = _torch()
    return tensor(batch, dtype=float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    return _torch()[3](batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """PyTorch's default collation (see the module doc for the rules)."""
    return collate(batch, collate_fn_map=default_collate_fn_map)
