"""``tensor.nn.modules.utils``: the argument helpers layer code uses (PyTorch's
``torch.nn.modules.utils``): ``_single`` / ``_pair`` / ``_triple`` / ``_quadruple`` turn an int
into a tuple of that many copies (an iterable becomes a tuple as it is),
``_reverse_repeat_tuple``, ``_list_with_default`` and ``consume_prefix_in_state_dict_if_present``.
"""

from __future__ import annotations

import collections.abc
from itertools import repeat

__all__ = ["consume_prefix_in_state_dict_if_present"]


def _ntuple(n, name="parse"):
    """A function making an ``n``-tuple: an iterable argument is turned into a tuple as it
    is, anything else is repeated ``n`` times."""
    def parse(x):
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(repeat(x, n))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n):
    """The entries of ``t`` last first, each repeated ``n`` times (``F.pad``'s order)."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _list_with_default(out_size, defaults):
    """An adaptive pooling's output size: an int as it is; in a list, each None takes the
    matching trailing entry of ``defaults`` (the input's sizes)."""
    if isinstance(out_size, int):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    tail = defaults[-len(out_size):]
    return [d if v is None else v for v, d in zip(out_size, tail)]


def consume_prefix_in_state_dict_if_present(state_dict, prefix):
    """Strips ``prefix`` from every key of ``state_dict`` that starts with it (in place; the
    stripped keys move to the end), and from the keys of its ``_metadata`` — where the entry
    named like the prefix without dots becomes the root entry ``""``."""
    for key in list(state_dict.keys()):
        if key.startswith(prefix):
            state_dict[key[len(prefix):]] = state_dict.pop(key)
    metadata = getattr(state_dict, "_metadata", None)
    if metadata is not None:
        for key in list(metadata.keys()):
            if len(key) == 0:
                continue
            if key == prefix.replace(".", "") or key.startswith(prefix):
                metadata[key[len(prefix):]] = metadata.pop(key)
