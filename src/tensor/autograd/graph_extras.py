"""``torch.autograd.graph``'s helpers built on hooks: ``register_multi_grad_hook`` and
``allow_mutation_on_saved_tensors`` (served by graph.py's module ``__getattr__``).

Note [One hook for several tensors]
    ``register_multi_grad_hook`` puts an ordinary tensor hook on each tensor. In mode "all"
    the first of them to run in a backward asks the engine which of the tensors' nodes this
    backward runs (``will_engine_execute_node``: a leaf counts through its AccumulateGrad) and
    so how many gradients to wait for; the hook that brings the last of them calls ``fn``
    with the list (None where a gradient was not computed), right there inside the backward.
    A tensor whose node runs but that gets no gradient keeps ``fn`` from being called, as in
    PyTorch. In mode "any" the first hook to run in a backward calls ``fn`` with its
    gradient and the others do nothing until the next backward. Backwards are told apart by
    their graph-task id, so backwards in different threads (each runs in its caller's
    thread) count separately.
"""

from __future__ import annotations

import functools
import threading

from . import engine as E
from . import graph as G
from ..utils.hooks import RemovableHandle

__all__ = ["register_multi_grad_hook", "allow_mutation_on_saved_tensors"]


class _MultiHandle(RemovableHandle):
    """Removes the hook put on each tensor. Like PyTorch's, it has no ``id`` of its own."""

    def __init__(self, handles):
        self.handles = tuple(handles)

    def remove(self) -> None:
        for h in self.handles:
            h.remove()

    def __getstate__(self):
        return self.handles

    def __setstate__(self, state) -> None:
        self.handles = state


def _node_of(t):
    """The node whose running produces ``t``'s gradient: its grad_fn, or for a leaf its
    AccumulateGrad (made now if missing); a GradientEdge's node."""
    if isinstance(t, G.GradientEdge):
        return t.node
    e = G.gradient_edge(t) if t.requires_grad else None
    if e is None:
        raise AssertionError("Expected gradient function to be set")
    return e[0]


def _task_id():
    tid = E.current_graph_task_id()
    if tid == -1:
        raise AssertionError("expected this hook to be called inside a backward call")
    return tid


def register_multi_grad_hook(tensors, fn, *, mode="all"):
    """Call ``fn`` once per backward for the gradients of several tensors (Note [One hook
    for several tensors]): mode "all" with the list of their gradients once every one this
    backward computes is there, mode "any" with the first one computed."""
    modes = ("all", "any")
    if mode not in modes:
        raise ValueError(f"Expects mode to be one of {modes} but got {mode}")
    lock = threading.Lock()
    if mode == "all":
        nodes = [_node_of(t) for t in tensors]
        n = len(nodes)
        pending = {}        # graph-task id -> [gradients seen, gradients awaited, gradients]

        def hook_for(i):
            def inner(grad):
                tid = _task_id()
                with lock:
                    st = pending.get(tid)
                    if st is None:
                        awaited = sum(map(E.will_engine_execute_node, nodes))
                        st = pending[tid] = [0, awaited, [None] * n]
                    st[0] += 1
                    st[2][i] = grad
                    done = st[0] == st[1]
                    if done:
                        del pending[tid]
                if done:
                    fn(st[2])
            return inner

        handles = [t.register_hook(hook_for(i)) for i, t in enumerate(tensors)]
    else:
        seen = set()        # graph-task ids whose first gradient went to fn

        @functools.wraps(fn)
        def first_only(grad):
            tid = _task_id()
            with lock:
                if tid in seen:
                    return
                seen.add(tid)
            fn(grad)

        handles = [t.register_hook(first_only) for t in tensors if t.requires_grad]
    return _MultiHandle(handles)



# -- allow_mutation_on_saved_tensors ---------------------------------------------------------
# Note [Cloning saved tensors before they are written]
#     Inside the block, saved-tensor hooks (saved_hooks.py) keep each tensor saved for
#     backward in the context's ``original`` table under a fresh token, and remember it by
#     ``(id, data pointer, version)``, grouped by ``(data pointer, version)``. A dispatch key
#     (registered on entry, like Note [Watching recording through a dispatch key]) sees every
#     op before it runs: for each argument the op writes, the saved tensors that share its
#     data pointer and version are copied (without history) into ``cloned`` first, so the
#     backward unpacks the values as they were saved. Aliasing is judged the way PyTorch
#     judges it: a view that starts at the same address and shares the version counter counts
#     as the same tensor; a view at another offset does not (its write is not seen, and the
#     saved tensor is then used as written, unchecked). Unpacking after the block is left, or
#     when the entry is gone, fails with PyTorch's AssertionError.

import contextlib as _contextlib
import weakref as _weakref
from collections import defaultdict as _defaultdict

_MUTATION_ENABLED = [False]       # process-wide, as PyTorch's module flag
_OUTSIDE = ("Trying to backward outside of the 'allow_mutation_on_saved_tensors' context"
            "in which the graph was originally recorded.")


class _Token:
    """Stands for one saved tensor inside the context's tables (weakly referenced)."""


class _AllowMutationOnSavedContext:
    """What ``allow_mutation_on_saved_tensors`` tracks (cleared when the block ends)."""

    def __init__(self):
        self.cloned = _weakref.WeakKeyDictionary()         # token -> copy taken before a write
        self.original = _weakref.WeakKeyDictionary()       # token -> the saved tensor
        self.tid_to_weakhandle = _weakref.WeakValueDictionary()  # (id, ptr, version) -> token
        self.sid_to_tid = _defaultdict(set)                # (ptr, version) -> {(id, ptr, version)}

    def clear(self):
        self.cloned.clear()
        self.original.clear()
        self.tid_to_weakhandle.clear()
        self.sid_to_tid.clear()


def _sid(t):
    vc = t._vc
    return (t._data.__array_interface__["data"][0], vc[0] if vc is not None else 0)


def _hooks_for(ctx):
    def pack(t):
        sid = _sid(t)
        tid = (id(t),) + sid
        ctx.sid_to_tid[sid].add(tid)
        token = ctx.tid_to_weakhandle.get(tid)
        if token is None:
            token = _Token()
            ctx.tid_to_weakhandle[tid] = token
            ctx.original[token] = t
        return token

    def unpack(token):
        if not _MUTATION_ENABLED[0]:
            raise AssertionError(_OUTSIDE)
        t = ctx.cloned.get(token)
        if t is None:
            t = ctx.original.get(token)
            if t is None:
                raise AssertionError(_OUTSIDE)
        return t

    return pack, unpack


def _clone_before_write(ctx, t):
    tids = ctx.sid_to_tid.get(_sid(t))
    if not tids:
        return
    for tid in tids:
        token = ctx.tid_to_weakhandle.get(tid)
        if token is None or token in ctx.cloned:    # freed by a backward, or copied already
            continue
        orig = ctx.original.pop(token)
        from modes import no_grad
        with no_grad():
            ctx.cloned[token] = orig.detach().clone()


class _CloneBeforeWrite:
    """The dispatch key of Note [Cloning saved tensors before they are written]."""

    _KEY_NAME = "AllowMutationOnSaved"

    def __init__(self, ctx):
        self.ctx = ctx
        self.key = None
        self.written = {}           # op -> indices of the arguments it writes

    def _fallback(self, op, ks, *args):
        w = self.written.get(op)
        if w is None:
            w = self.written[op] = op.schema.written_args
        if w:
            Tensor = _tensor_cls()
            for i in w:
                if i >= len(args):
                    continue
                a = args[i]
                if isinstance(a, Tensor):
                    _clone_before_write(self.ctx, a)
                elif isinstance(a, (list, tuple)):
                    for x in a:
                        if isinstance(x, Tensor):
                            _clone_before_write(self.ctx, x)
        return op.redispatch(ks & self.key.below_mask, *args)

    def __enter__(self):
        from dispatch import keys as _k, dispatcher as _d
        # (a name per block: a nested block registers its own key before refusing to nest)
        self.key = _k.register_key(f"{self._KEY_NAME}{id(self):x}", above=_k.Autograd)
        _d.register_fallback(self.key, self._fallback, owner=self)
        self._set_included(True)
        return self

    def __exit__(self, *exc):
        from dispatch import keys as _k, dispatcher as _d
        self._set_included(False)
        _d._unregister_fallbacks(self)
        _k.unregister_key(self.key)
        self.key = None
        return False

    def _set_included(self, on):
        from dispatch.record import current_record, set_record
        rec = current_record()
        bit = self.key.bit
        inc = rec.included | bit if on else rec.included & ~bit
        if inc != rec.included:
            set_record(rec._replace(included=inc))


def _tensor_cls():
    from .._tensor import Tensor
    return Tensor


@_contextlib.contextmanager
def allow_mutation_on_saved_tensors():
    """Inside the block, tensors saved for backward may be changed in place: each is copied
    just before its first change, and backward uses the copy (Note [Cloning saved tensors
    before they are written]). Run the backward inside the block too: leaving it clears
    what it kept, and a later backward through that graph fails."""
    from .saved_hooks import saved_tensors_hooks
    ctx = _AllowMutationOnSavedContext()
    pack, unpack = _hooks_for(ctx)
    with saved_tensors_hooks(pack, unpack), _CloneBeforeWrite(ctx):
        try:
            if _MUTATION_ENABLED[0]:
                raise RuntimeError("allow_mutation_on_saved_tensors contexts cannot be nested")
            _MUTATION_ENABLED[0] = True
            yield ctx
        finally:
            ctx.clear()
            _MUTATION_ENABLED[0] = False
