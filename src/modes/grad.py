"""Grad mode and inference mode guards: each one only edits the thread's mode record.

The whole difference between ``no_grad`` and ``inference_mode`` is in the table below
(SEMANTICS §2). Note [Why no_grad still passes ADInplaceOrView]: ``no_grad`` flips a flag and
leaves the key sets alone, so ops still reach the Autograd kernel (which sees grad mode off and
records nothing) and the ADInplaceOrView kernel (which bumps versions and tracks views).
``inference_mode`` excludes the Autograd keys and stops *including* ADInplaceOrView: normal
tensors still carry that key (so their versions still bump), while inference tensors, which do
not, skip the layer entirely. That is why inference mode is cheaper.

==============================  =====  =========  =====================  ==================
guard                           grad   inference  included               excluded
==============================  =====  =========  =====================  ==================
no_grad()                       off    -          -                      -
enable_grad()                   on     -          -                      -
set_grad_enabled(b)             b      -          -                      -
inference_mode(True)            off    on         minus ADInplaceOrView  plus Autograd
inference_mode(False)           on     off        plus ADInplaceOrView   minus Autograd
AutoDispatchBelowAutograd       -      -          -                      plus Autograd
AutoDispatchBelowADInplaceOr..  -      -          -                      plus Autograd, AIOV
==============================  =====  =========  =====================  ==================

Exits: grad-mode guards restore the grad flag they saw on entry; ``inference_mode`` restores
the whole record it saw; the exclude guards remove only the keys they added (as c10's guards
do). Each instance keeps a stack of what it saw, so reusing one instance in nested blocks
restores correctly (PyTorch leaks the mode there).
"""

from __future__ import annotations

import threading

from dispatch import keys as _k
from dispatch.record import (ModeRecord, current_record as _get, set_record as _set,
                             ExcludeDispatchKeyGuard, carry_record)

from ._decorate import GuardDecorator

__all__ = [
    "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
    "is_inference_mode_enabled", "AutoDispatchBelowAutograd",
    "AutoDispatchBelowADInplaceOrView", "carry_modes", "run_in_thread", "current_modes",
]

_AIOV = _k.ADInplaceOrView.bit
_AG = _k.AUTOGRAD_KEYS


def is_grad_enabled() -> bool:
    """Whether grad mode is on for this thread (task)."""
    return _get()[2]


def is_inference_mode_enabled() -> bool:
    """Whether inference mode is on for this thread (task)."""
    return _get()[3]


_tuple_new = tuple.__new__
_object_new = object.__new__
_NONE = object()   # "no saved flag" marker


# Note [Guards reuse records]
#     A guard's entry and exit each install a record. Building one (a tuple, then
#     ``tuple.__new__``) costs about as much as the rest of the guard together, and the same few
#     records come back again and again: ``with no_grad():`` at the default record always leads
#     to the same grad-off record and back. So each transition is remembered per record object:
#     ``_FLIP[id(r)] = (r, r with the grad flag negated)``, stored in both directions, so that
#     leaving the block reinstalls the very record seen on entry (the caches keyed by record
#     identity elsewhere, e.g. the backward's numpy check, stay warm). ``_INFER`` does the same
#     for ``inference_mode``'s entry. The entry keeps ``r`` alive, so its id cannot be reused
#     while the entry exists; the tables are cleared when they grow past a few hundred records
#     (a program making records without end, with key guards, say).
_FLIP: dict = {}
_INFER: dict = {}
_FLIP_get = _FLIP.get
_INFER_get = _INFER.get
_TABLE_LIMIT = 512


def _with_grad(r, flag):
    """``r`` with grad mode ``flag``. Where that negates ``r``'s flag (always, but for a record
    built by hand with 0/1) the remembered record comes back (Note [Guards reuse records])."""
    if (not r[2]) is not flag:
        # tuple.__new__ skips NamedTuple's Python-level __new__
        return _tuple_new(ModeRecord, (r[0], r[1], flag, r[3]))
    e = _FLIP_get(id(r))
    if e is not None and e[0] is r:
        return e[1]
    f = _tuple_new(ModeRecord, (r[0], r[1], flag, r[3]))
    if len(_FLIP) > _TABLE_LIMIT:
        _FLIP.clear()
    _FLIP[id(r)] = (r, f)
    _FLIP[id(f)] = (f, r)
    return f


def _inference_entry(r, mode):
    """The record ``inference_mode(mode)`` installs over ``r`` (Note [Guards reuse records])."""
    key = (id(r), mode)
    e = _INFER_get(key)
    if e is not None and e[0] is r:
        return e[1]
    if mode:
        f = _tuple_new(ModeRecord, (r[0] & ~_AIOV, r[1] | _AG, False, True))
    else:
        f = _tuple_new(ModeRecord, (r[0] | _AIOV, r[1] & ~_AG, True, False))
    if len(_INFER) > _TABLE_LIMIT:
        _INFER.clear()
    _INFER[key] = (r, f)
    return f


def _set_grad(flag: bool) -> None:
    r = _get()
    if r[2] is not flag:
        _set(_with_grad(r, flag))


class _GradModeGuard(GuardDecorator):
    """Base of no_grad / enable_grad: set grad mode to ``_mode`` inside the block.

    The flag seen on entry lives in ``_prev``; entering the same instance again while it is
    active pushes the older value on ``_more``, so nested reuse restores correctly.
    """

    __slots__ = ("_prev", "_more")
    _mode = True

    def __new__(cls, orig_func=None):
        # ``@no_grad`` (no parentheses) and ``no_grad(fn)`` decorate right away.
        if orig_func is None:
            self = _object_new(cls)
            self._prev = _NONE
            self._more = None
            return self
        if not callable(orig_func):
            raise TypeError(f"{cls.__name__}() takes no arguments (got {orig_func!r}); use "
                            f"set_grad_enabled({orig_func!r}) to choose the mode")
        return cls()(orig_func)

    def __enter__(self):
        r = _get()
        if self._prev is not _NONE:
            if self._more is None:
                self._more = []
            self._more.append(self._prev)
        self._prev = r[2]
        mode = self._mode
        if r[2] is not mode:
            # _with_grad's remembered record, looked up inline: a guard is on the hot path
            e = _FLIP_get(id(r))
            _set(e[1] if e is not None and e[0] is r and e[1][2] is mode else
                 _with_grad(r, mode))
        return None

    def __exit__(self, exc_type, exc, tb):
        prev = self._prev
        self._prev = self._more.pop() if self._more else _NONE
        r = _get()
        if r[2] is not prev:
            e = _FLIP_get(id(r))            # (as in __enter__)
            _set(e[1] if e is not None and e[0] is r and e[1][2] is prev else
                 _with_grad(r, prev))
        return False

    def __repr__(self):
        return f"{type(self).__name__}()"


class no_grad(_GradModeGuard):
    """Turn grad mode off: ops still pass the Autograd layer but record nothing.

    Versions still bump and views are still tracked (unlike ``inference_mode``). Factory calls
    with ``requires_grad=True`` still make leaves that require grad. Usable as ``with no_grad():``,
    ``@no_grad``, ``@no_grad()``.

    >>> import modes
    >>> with modes.no_grad():
    ...     modes.is_grad_enabled()
    False
    """

    __slots__ = ()
    _mode = False


class enable_grad(_GradModeGuard):
    """Turn grad mode on (inside ``no_grad``, say). Inside ``inference_mode`` it reports grad
    mode on, yet nothing is recorded: the Autograd keys stay excluded."""

    __slots__ = ()
    _mode = True


class set_grad_enabled(GuardDecorator):
    """Set grad mode to ``mode``.

    Like PyTorch, the constructor switches the mode at once, so ``set_grad_enabled(False)``
    works as a plain statement; as a context manager the mode seen at construction comes back
    on exit; as a decorator (``@set_grad_enabled(False)``) it leaves the mode unchanged at
    definition time and applies ``mode`` to each call.
    """

    __slots__ = ("mode", "_prev", "_entered")

    def __init__(self, mode: bool):
        if not isinstance(mode, bool):
            mode = bool(mode)
        self.mode = mode
        self._prev = _get()[2]          # restored by the outermost exit, as in PyTorch
        self._entered = []              # what each (nested) entry saw, for reuse in nesting
        _set_grad(mode)

    def __call__(self, fn):
        _set_grad(self._prev)           # decorating must not change the mode
        return super().__call__(fn)

    def clone(self):
        return set_grad_enabled(self.mode)

    def __enter__(self):
        self._entered.append(_get()[2])
        _set_grad(self.mode)
        return None

    def __exit__(self, exc_type, exc, tb):
        seen = self._entered.pop() if self._entered else self._prev
        _set_grad(seen if self._entered else self._prev)
        return False

    def __repr__(self):
        return f"set_grad_enabled(mode={self.mode})"


class inference_mode(GuardDecorator):
    """Inference mode: skip the autograd layers entirely.

    Inside, grad mode is off, inference mode is on, the Autograd keys are excluded and
    ADInplaceOrView is no longer *included* (normal tensors still carry it). Tensors allocated
    inside are inference tensors (see the tensor package). ``inference_mode(False)`` does the
    reverse, switching grad mode on even inside ``no_grad``.
    A non-bool positional argument is taken as the function to decorate (as in PyTorch).
    """

    __slots__ = ("mode", "_prev")

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)

    def __init__(self, mode=True):
        # (kept, though __new__ could set these: a subclass calls super().__init__(mode), as
        # PyTorch's inference_mode allows)
        self.mode = mode
        self._prev = []

    def clone(self):
        return inference_mode(self.mode)

    def __enter__(self):
        r = _get()
        self._prev.append(r)
        e = _INFER_get((id(r), self.mode))    # _inference_entry's lookup, inline (hot path)
        _set(e[1] if e is not None and e[0] is r else _inference_entry(r, self.mode))
        return None

    def __exit__(self, exc_type, exc, tb):
        _set(self._prev.pop())
        return False

    def __repr__(self):
        return f"inference_mode(mode={self.mode})"


class AutoDispatchBelowAutograd(ExcludeDispatchKeyGuard):
    """Exclude the Autograd keys: ops skip recording, but still bump versions and track views."""

    __slots__ = ()

    def __init__(self):
        super().__init__(_AG)


class AutoDispatchBelowADInplaceOrView(ExcludeDispatchKeyGuard):
    """Exclude Autograd and ADInplaceOrView: nothing records, bumps or tracks (kernels use it
    to call straight into the backend)."""

    __slots__ = ()

    def __init__(self):
        super().__init__(_AG | _AIOV)


def current_modes() -> ModeRecord:
    """The record in force here (included/excluded key sets, grad and inference flags)."""
    return _get()


def carry_modes(fn):
    """Wrap ``fn`` to run under the caller's current modes wherever it is called — in another
    thread or a pool worker, which otherwise start from the default modes (grad on).

    >>> from concurrent.futures import ThreadPoolExecutor
    >>> import modes
    >>> with modes.no_grad(), ThreadPoolExecutor(1) as pool:
    ...     pool.submit(modes.carry_modes(modes.is_grad_enabled)).result()
    False

    The autocast state beside the record (dtype, cache flag, nesting) travels too.
    """
    from .autocast import carry_autocast_state
    return carry_autocast_state(carry_record(fn))


def run_in_thread(fn, *args, **kwargs):
    """Run ``fn(*args, **kwargs)`` in a new thread under the caller's modes; return its result
    (or raise its exception here)."""
    out = {}

    def target():
        try:
            out["value"] = fn(*args, **kwargs)
        except BaseException as e:  # re-raised in the caller
            out["error"] = e

    t = threading.Thread(target=carry_modes(target), name=f"run_in_thread:{fn!r}")
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out.get("value")
