"""Recording for the profilers: where events come from.

Note [Profiler events come from the dispatcher]
    A recording session installs a kernel wrapper (Note [Kernel wrappers] in
    ``dispatch.dispatcher``), so every kernel resolved while it lasts is wrapped; leaving
    removes it and the caches are cleared again: with no profiler active the kernels are the
    ones they always are (Note [Tracing costs nothing when off]). PyTorch records an op where
    the dispatcher is *called*, not at every key it redispatches to; a kernel that runs while
    the innermost open event belongs to the same operator overload is such a redispatch (the
    Autograd kernel handing on to ADInplaceOrView, then CPU) and opens no event of its own.
    Another op called from inside a kernel (matmul calling mm, a backward formula calling
    mul) is a call, nested under its caller, as in PyTorch. Events are named as PyTorch's
    profiler names them: the operator without its overload (``aten::add``).

    The backward engine reports each node it runs (``autograd::engine::evaluate_function:
    <node>`` around ``<node>``) through ``engine._PROFILER``; the engine reads that slot once
    per backward.
"""

from __future__ import annotations

import sys
import threading
import time

from dispatch import dispatcher as _d

from .. import _tensor as T
from ..autograd import engine as _engine

_perf = time.perf_counter_ns
_Tensor = T.Tensor

# the session recording now (at most one at a time, as in PyTorch)
_SESSION = [None]


class _Event:
    """One open or closed interval recorded by a session (turned into FunctionEvents)."""

    __slots__ = ("id", "name", "op", "start", "end", "tid", "shapes", "stack", "kind",
                 "parent", "children", "seq")

    def __init__(self, id, name, op, start, tid, shapes, stack, kind, parent):
        self.id = id
        self.name = name
        self.op = op
        self.start = start
        self.end = None
        self.tid = tid
        self.shapes = shapes
        self.stack = stack
        self.kind = kind          # "op", "user" (record_function) or "node" (autograd)
        self.parent = parent
        self.children = []
        self.seq = -1


def _shape_of(a):
    if isinstance(a, _Tensor):
        return list(a.shape)
    return []


_INTERNAL = None


def _user_stack():
    """The Python frames of the caller (outermost last, as PyTorch lists them), without the
    frames of this package and the dispatcher."""
    global _INTERNAL
    if _INTERNAL is None:
        import os
        import dispatch
        import modes
        _INTERNAL = tuple(os.path.dirname(os.path.abspath(m.__file__)) + os.sep
                          for m in (sys.modules["tensor"], dispatch, modes))
    out = []
    f = sys._getframe(2)
    while f is not None:
        fn = f.f_code.co_filename
        if not fn.startswith(_INTERNAL) and not fn.startswith("<dispatch "):
            out.append(f"{fn}({f.f_lineno}): {f.f_code.co_name}")
        f = f.f_back
    return out


class Session:
    """The events of one recording (one profiler cycle)."""

    def __init__(self, record_shapes=False, with_stack=False):
        self.record_shapes = record_shapes
        self.with_stack = with_stack
        self.events = []             # in the order they opened
        self.t0 = _perf()
        self.t1 = None
        self.wall0 = time.time_ns()
        self._open = {}              # thread ident -> innermost open event
        self._tids = {}
        self._next = 1
        self._lock = threading.Lock()

    # -- opening and closing ---------------------------------------------------------------
    def begin(self, name, op=None, args=None, kind="op"):
        ident = threading.get_ident()
        parent = self._open.get(ident)
        tid = self._tids.get(ident)
        if tid is None:
            with self._lock:
                tid = self._tids.setdefault(ident, len(self._tids) + 1)
        shapes = [_shape_of(a) for a in args] if (self.record_shapes and args is not None) \
            else []
        stack = _user_stack() if self.with_stack and kind != "node" else []
        with self._lock:
            eid = self._next
            self._next = eid + 1
        ev = _Event(eid, name, op, 0, tid, shapes, stack, kind, parent)
        if parent is not None:
            parent.children.append(ev)
        self.events.append(ev)
        self._open[ident] = ev
        ev.start = _perf()
        return ev

    def end(self, ev):
        t = _perf()
        if ev.end is not None:
            return                   # closed already
        ev.end = t
        ident = threading.get_ident()
        cur = self._open.get(ident)
        inside = []
        while cur is not None and cur is not ev:
            inside.append(cur)
            cur = cur.parent
        if cur is ev:
            for e in inside:         # left open inside ``ev`` (an exception skipped its end)
                if e.end is None:
                    e.end = t
            if ev.parent is None:
                del self._open[ident]
            else:
                self._open[ident] = ev.parent

    def finish(self):
        t = _perf()
        for ev in self.events:
            if ev.end is None:
                ev.end = t
        self._open.clear()
        self.t1 = t


# -- the kernel wrapper ------------------------------------------------------------------
def _wrap(op, key, how, raw):
    """Note [Profiler events come from the dispatcher]."""
    name = op.schema.qualified_name

    def profiled(ks, *args):
        s = _SESSION[0]
        if s is None:
            return raw(ks, *args)
        cur = s._open.get(threading.get_ident())
        if cur is not None and cur.op is op:          # a redispatch of the same call
            return raw(ks, *args)
        ev = s.begin(name, op, args)
        try:
            return raw(ks, *args)
        finally:
            s.end(ev)
    profiled.__name__ = profiled.__qualname__ = f"profiled[{getattr(raw, '__name__', '?')}]"
    return profiled


class _NodeEvents:
    """What the engine calls around each node it runs (see ``engine._PROFILER``)."""

    __slots__ = ("session",)

    def __init__(self, session):
        self.session = session

    def begin(self, node, grads):
        s = self.session
        name = node.name()
        outer = s.begin("autograd::engine::evaluate_function: " + name, kind="node")
        inner = s.begin(name, args=grads, kind="node")    # (its inputs: the gradients)
        outer.seq = inner.seq = getattr(node, "_seq", -1)
        return outer, inner

    def end_inner(self, pair):
        self.session.end(pair[1])

    def end(self, pair):
        self.session.end(pair[0])


def start(session: Session):
    """Make ``session`` the recording one; returns the one it displaces (a profiler opened
    inside another records alone until it stops, then the outer one resumes)."""
    with _d._lock:
        prev = _SESSION[0]
        _SESSION[0] = session
        _engine._PROFILER[0] = _NodeEvents(session)
    _d.install_kernel_wrapper(_wrap)
    return prev


def stop(session: Session, prev=None) -> None:
    """End ``session`` (and give the recording back to ``prev``, the one it displaced)."""
    with _d._lock:
        if _SESSION[0] is session:
            _SESSION[0] = prev
            _engine._PROFILER[0] = _NodeEvents(prev) if prev is not None else None
        else:
            return
    _d.remove_kernel_wrapper(_wrap)
    session.finish()


def is_profiler_enabled() -> bool:
    return _SESSION[0] is not None


class record_function:
    """A named range in the profile (PyTorch's ``record_function``): a context manager, or a
    decorator for a function. Costs only a lookup when no profiler is recording."""

    def __init__(self, name: str, args: str | None = None):
        self.name = name
        self.args = args
        self._ev = None
        self._session = None

    def __enter__(self):
        s = _SESSION[0]
        if s is not None:
            self._session = s
            self._ev = s.begin(self.name, kind="user")
        return self

    def __exit__(self, *exc):
        if self._ev is not None:
            self._session.end(self._ev)
            self._ev = self._session = None
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def run(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)
        return run
