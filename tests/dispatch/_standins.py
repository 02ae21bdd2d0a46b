"""Stand-ins for tensors, and shared hypothesis strategies, for the dispatcher tests.

The dispatcher knows nothing about tensors: an argument takes part in dispatch when it carries a
``_dispatch_keys`` int. These tests prove it by never importing ``tensor`` or ``modes``.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager

from hypothesis import strategies as st

import dispatch
from dispatch import DispatchKeySet

BUILTIN_KEY_NAMES = ("CPU", "Meta", "Python", "ADInplaceOrView", "Autograd", "Autocast")
# Keys the dispatcher makes every op skip unless something is registered there.
BUILTIN_FALLTHROUGH_NAMES = frozenset({"Python", "ADInplaceOrView", "Autograd", "Autocast"})

_counter = itertools.count()


class Obj:
    """A tensor stand-in: a key-set int and a name for messages."""

    __slots__ = ("_dispatch_keys", "name")

    def __init__(self, keys=0, name="obj"):
        self._dispatch_keys = bits(keys)
        self.name = name

    def __repr__(self):
        return f"Obj({self.name}, {DispatchKeySet(self._dispatch_keys)!r})"


def bits(keys) -> int:
    """Key-set int for an int, a DispatchKeySet, a key, a key name or an iterable of those."""
    if isinstance(keys, int):
        return keys
    if isinstance(keys, DispatchKeySet):
        return keys.bits
    if isinstance(keys, (str, dispatch.DispatchKey)):
        return dispatch.key(keys).bit
    out = 0
    for k in keys:
        out |= bits(k)
    return out


def obj(*keys, name="obj") -> Obj:
    """``obj("CPU", "Autograd")``: a stand-in carrying those keys."""
    return Obj(bits(keys), name)


def normal(name="t") -> Obj:
    """A stand-in with a normal tensor's keys: CPU, ADInplaceOrView, Autograd."""
    return obj("CPU", "ADInplaceOrView", "Autograd", name=name)


def unique(prefix="t") -> str:
    """A fresh identifier (library namespaces, key names)."""
    return f"{prefix}{next(_counter)}"


@contextmanager
def user_key(name=None, **where):
    """Register a user key for the duration of the block, then unregister it."""
    k = dispatch.register_key(name or unique("UserKey"), **where)
    try:
        yield k
    finally:
        dispatch.unregister_key(k)


@contextmanager
def untyped_argument_keys(keys):
    """Set the key set a keyless value in a Tensor position contributes; restore it after."""
    before = dispatch.dispatcher._untyped_keys
    dispatch.set_untyped_argument_keys(bits(keys))
    try:
        yield
    finally:
        dispatch.set_untyped_argument_keys(before)


# -- shared hypothesis strategies -----------------------------------------------------------
builtin_keys = st.sampled_from(BUILTIN_KEY_NAMES).map(dispatch.key)
keysets = st.lists(builtin_keys, unique=True).map(lambda ks: DispatchKeySet(*ks))
