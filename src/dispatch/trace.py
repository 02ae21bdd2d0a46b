"""Seeing inside the dispatcher: traces of calls and computed dispatch tables.

Note [Tracing costs nothing when off]
    Entering ``dispatch_trace()`` clears every op's cache and installs a resolution hook, so the
    kernels cached from then on are wrapped in a recorder; leaving clears the caches again. The
    hot path never checks a "tracing?" flag. The recorder reads a ContextVar, so only the thread
    (or task) that entered the trace records; other threads run the wrapped kernels unrecorded.
"""

from __future__ import annotations

import contextvars
import sys

from . import dispatcher as _d
from . import keys as _k
from .record import current_record

__all__ = ["dispatch_trace", "dispatch_table", "TraceEvent", "Trace", "DispatchTable"]


class TraceEvent:
    """One kernel invocation seen by a trace."""

    __slots__ = ("op", "key", "how", "keyset", "args", "included", "excluded", "depth",
                 "grad_enabled", "inference_mode")

    def __init__(self, op, key, how, keyset, args, rec, depth):
        self.op = op.name()
        self.key = key.name if key is not None else None
        self.how = how
        self.keyset = _k.DispatchKeySet(keyset)
        self.args = op.argument_keysets(args)
        self.included = _k.DispatchKeySet(rec.included)
        self.excluded = _k.DispatchKeySet(rec.excluded)
        self.grad_enabled = rec.grad_enabled
        self.inference_mode = rec.inference_mode
        self.depth = depth

    def format(self) -> str:
        pad = "  " * self.depth
        how = "" if self.how == "kernel" else f" ({self.how})"
        if self.depth == 0:
            args = ", ".join(f"{n}={_short(s)}" for n, s in self.args) or "-"
            return (f"{pad}{self.op}  args: {args}\n"
                    f"{pad}  TLS included={_short(self.included)} excluded="
                    f"{_short(self.excluded)} grad_mode={'on' if self.grad_enabled else 'off'}"
                    f"{' inference_mode' if self.inference_mode else ''}\n"
                    f"{pad}  -> {self.key}{how}  ks={_short(self.keyset)}")
        return f"{pad}  -> {self.key}{how}  ks={_short(self.keyset)}  [{self.op}]"

    def __repr__(self):
        return (f"TraceEvent(op={self.op!r}, key={self.key!r}, depth={self.depth}, "
                f"keyset={self.keyset!r})")


def _short(s: _k.DispatchKeySet) -> str:
    return "{" + ", ".join(s.names()) + "}"


class Trace:
    """The events recorded by one ``dispatch_trace()`` block."""

    def __init__(self, file=None, echo=True):
        self.events: list[TraceEvent] = []
        self._depth = 0
        self._file = file
        self._echo = echo

    def _record(self, ev: TraceEvent):
        self.events.append(ev)
        if self._echo:
            print(ev.format(), file=self._file or sys.stdout)

    def keys(self, op: str | None = None) -> list[str]:
        """Chosen keys in call order (optionally only for ``op``)."""
        return [e.key for e in self.events if op is None or e.op == op]

    def format(self) -> str:
        return "\n".join(e.format() for e in self.events)

    def __str__(self):
        return self.format()


_ACTIVE: contextvars.ContextVar[Trace | None] = contextvars.ContextVar(
    "tensorkeys_trace", default=None)


def _wrap(op, key, how, raw):
    def traced(ks, *args):
        tr = _ACTIVE.get()
        if tr is None:
            return raw(ks, *args)
        tr._record(TraceEvent(op, key, how, ks, args, current_record(), tr._depth))
        tr._depth += 1
        try:
            return raw(ks, *args)
        finally:
            tr._depth -= 1
    return traced


class dispatch_trace:
    """Record (and by default print) every kernel the dispatcher runs inside the block.

    ``with dispatch_trace() as t:`` prints each op as it runs: its argument key sets, the TLS
    included/excluded sets and grad/inference flags, the chosen key, and the redispatches it
    makes (indented). ``dispatch_trace(echo=False)`` only records; ``t.events`` has them all.
    """

    __slots__ = ("trace", "_token")

    def __init__(self, file=None, echo: bool = True):
        self.trace = Trace(file, echo)
        self._token = None

    def __enter__(self) -> Trace:
        _d.install_kernel_wrapper(_wrap)     # Note [Kernel wrappers]
        self._token = _ACTIVE.set(self.trace)
        return self.trace

    def __exit__(self, *exc):
        _ACTIVE.reset(self._token)
        _d.remove_kernel_wrapper(_wrap)
        return False


class DispatchTable:
    """The computed dispatch table of one op: for every runtime key, what runs there."""

    def __init__(self, op, rows):
        self.op = op
        self.rows = rows  # [(key name, description)]

    def as_dict(self) -> dict[str, str]:
        return dict(self.rows)

    def __getitem__(self, key):
        return self.as_dict()[key if isinstance(key, str) else key.name]

    def __str__(self):
        w = max(len(k) for k, _ in self.rows)
        return "\n".join([f"{self.op.name()}:"] + [f"  {k:<{w}}  {d}" for k, d in self.rows])

    __repr__ = __str__


def _describe(reg) -> str:
    fn = reg.fn
    name = getattr(fn, "__qualname__", None) or repr(fn)
    owner = f" [{reg.owner.ns} {reg.owner.kind}]" if reg.owner is not None else ""
    return f"{name}{owner}"


def dispatch_table(op) -> DispatchTable:
    """What the dispatcher would run for ``op`` at each runtime key (highest priority first):
    ``kernel``, ``fallthrough``, ``alias`` (which alias key serves it), ``fallback`` or
    ``missing``. Alias-key registrations are listed at the end."""
    op = _d.get_op(op) if isinstance(op, str) else getattr(op, "_op", op)
    rows = []
    for k in reversed(_k.all_keys()):
        regs = op._kernels.get(k)
        if regs:
            r = regs[-1]
            rows.append((k.name, "fallthrough" if r.is_fallthrough else f"kernel {_describe(r)}"))
            continue
        alias = op._alias_kernel(k)
        if alias is not None:
            rows.append((k.name, f"alias {alias.key.name}: {_describe(alias)}"))
            continue
        fbs = _d._fallbacks.get(k)
        if fbs:
            r = fbs[-1]
            rows.append((k.name, "fallthrough (fallback)" if r.is_fallthrough
                         else f"fallback {_describe(r)}"))
            continue
        rows.append((k.name, "missing"))
    for ak in _k.ALIAS_KEYS:
        regs = op._kernels.get(ak)
        if regs:
            rows.append((ak.name, f"kernel {_describe(regs[-1])}"))
    return DispatchTable(op, rows)
