"""Seeing every autograd node as an op records it, for anomaly mode and saved-tensor hooks.

Note [Watching recording through a dispatch key]
    Nodes are made inside the generated Autograd kernels (_defop.py), which are the hot path.
    Instead of a test there, a dispatch key ``AutogradGraphHooks`` sits just above Autograd
    while some feature needs to see new nodes: it is registered on the first use, put into
    the thread's included key set, and removed (key and all) when the last user leaves. Its
    fallback runs the op below itself, then hands each node the op created (their sequence
    numbers are newer than one drawn before the call) to the active observers. With no
    feature active the key does not exist, so ordinary calls pay nothing.

    Ops inside a composite op, and ops a backward formula runs under ``create_graph``, go
    through the dispatcher again and are seen on their own. Custom ``Function`` nodes are not
    made by ops, so they are not seen.

    The included key lives in the thread's mode record (like every mode here), so the
    features act in the thread (or asyncio task) that turned them on.
"""

from __future__ import annotations

from dispatch import keys as _k
from dispatch import dispatcher as _d
from dispatch.record import current_record, set_record

from .. import _tensor as T
from . import graph as G

__all__ = ["activate", "deactivate"]

_KEY_NAME = "AutogradGraphHooks"
_state = {"key": None, "reg": None}
_observers: dict = {}            # feature name -> fn(node), called for every new node


def activate(feature, observer):
    """Start calling ``observer(node)`` for every node recorded in this thread."""
    if _state["key"] is None:
        key = _k.register_key(_KEY_NAME, above=_k.Autograd)
        _state["key"] = key
        _state["reg"] = _d.register_fallback(key, _fallback, owner=_OWNER)
    _observers[feature] = observer
    _include(True)


def deactivate(feature):
    """Stop ``feature``'s observer; the key goes away with the last one."""
    _observers.pop(feature, None)
    if _observers or _state["key"] is None:
        return
    _include(False)
    key = _state["key"]
    _state["key"] = _state["reg"] = None
    _d._unregister_fallbacks(_OWNER)
    _k.unregister_key(key)


class _Owner:
    """Owner of the fallback registration (so that it can be removed alone)."""


_OWNER = _Owner()


def _include(on):
    rec = current_record()
    bit = _state["key"].bit
    inc = rec.included | bit if on else rec.included & ~bit
    if inc != rec.included:
        set_record(rec._replace(included=inc))


def _fallback(op, ks, *args):
    start = G.next_seq()
    out = op.redispatch(ks & _state["key"].below_mask, *args)
    nodes = _new_nodes(out, start)
    if nodes:
        for fn in list(_observers.values()):
            for n in nodes:
                fn(n)
    return out


def _new_nodes(out, start):
    """Nodes newer than sequence number ``start`` that the outputs lead to: their grad_fn
    and, after an in-place op on a view, the base's CopySlices and the op's own node."""
    outs = out if isinstance(out, (tuple, list)) else (out,)
    found = []
    seen = set()

    def add(n):
        if n is not None and n._seq > start and id(n) not in seen:
            seen.add(id(n))
            found.append(n)

    for o in outs:
        if not isinstance(o, T.Tensor):
            continue
        fn = o._grad_fn
        if fn is None or fn._seq <= start:
            continue
        base = o._base
        if base is not None and base._grad_fn is not None:
            cs = base._grad_fn
            inner = getattr(cs, "_fn", None)
            if inner is not None and cs._seq > start:
                add(inner)
                add(cs)
        add(fn)
    return found
