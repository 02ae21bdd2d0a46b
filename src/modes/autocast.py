"""Autocast's thread state: whether it is on (a key in the record), its dtype, its cast cache.

Note [Autocast is a key the record excludes]
    Every tensor carries the ``Autocast`` key, and the default record excludes it, so ops skip
    the layer. Turning autocast on for the CPU only removes the key from the record's excluded
    set (as PyTorch's ``set_autocast_enabled`` edits its TLS exclude set); the ops that have an
    Autocast kernel then cast their floating inputs and redispatch below the key with it
    excluded again, so the ops they are made of are not cast twice. The lower-precision dtype,
    whether casts of leaves are cached, and how deeply autocast regions nest are plain
    per-thread values beside the record (PyTorch keeps them thread-local too). The dtype is
    held as an opaque object: this layer knows no tensors; the tensor layer passes its dtype
    objects through.

The cast cache is shared by all threads, as PyTorch's is; it is emptied when the outermost
autocast region of a thread exits.
"""

from __future__ import annotations

import contextvars
import functools
import threading
from typing import NamedTuple

from dispatch import keys as _k
from dispatch.record import ModeRecord, current_record as _get, set_record as _set

__all__ = [
    "is_autocast_enabled", "set_autocast_enabled", "get_autocast_dtype", "set_autocast_dtype",
    "is_autocast_cache_enabled", "set_autocast_cache_enabled", "autocast_increment_nesting",
    "autocast_decrement_nesting", "clear_autocast_cache", "cast_cache", "DEVICE_TYPES",
    "device_name",
]

_AC = _k.Autocast.bit

#: The device strings PyTorch knows (its error lists them); only "cpu" has an autocast here.
DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                "privateuseone")


class _State(NamedTuple):
    dtypes: tuple       # ((device_type, dtype), ...) set by set_autocast_dtype
    cache_enabled: bool
    nesting: int
    others: frozenset   # device types other than "cpu" whose autocast flag is set


_STATE: contextvars.ContextVar[_State] = contextvars.ContextVar(
    "tensorkeys_autocast", default=_State((), True, 0, frozenset()))
_DEFAULT_DTYPES: dict = {}     # device type -> dtype object, filled in by the tensor layer


def device_name(device_type: str) -> str:
    """The device type a device string names ("cuda:1" -> "cuda"), with PyTorch's error for
    one it does not know."""
    name = device_type.split(":")[0]
    if name not in DEVICE_TYPES:
        raise RuntimeError(f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of "
                           f"device string: {device_type}")
    return name


def _device(device_type, fn="is_autocast_enabled"):
    if not isinstance(device_type, str):
        raise TypeError(f"{fn}(): argument 'device_type' (position 1) must be str, not "
                        f"{type(device_type).__name__}")
    return device_name(device_type)


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """Whether autocast is on for ``device_type`` in this thread (task). Without an argument,
    as in PyTorch, the CUDA state. Only the CPU has an autocast here; another device's flag
    is kept and reported, and changes nothing."""
    name = _device(device_type)
    if name != "cpu":
        return name in _STATE.get().others
    return not _get()[1] & _AC


def set_autocast_enabled(device_type: str, enabled: bool) -> None:
    """Turn autocast on or off for ``device_type``: for the CPU the record's excluded set
    loses or gains the Autocast key (Note [Autocast is a key the record excludes])."""
    name = _device(device_type, "set_autocast_enabled")
    if name != "cpu":
        s = _STATE.get()
        others = s.others | {name} if enabled else s.others - {name}
        _STATE.set(s._replace(others=others))
        return
    r = _get()
    excluded = r[1] & ~_AC if enabled else r[1] | _AC
    if excluded != r[1]:
        _set(ModeRecord(r[0], excluded, r[2], r[3]))


def get_autocast_dtype(device_type: str):
    """The lower-precision dtype autocast casts to on ``device_type``."""
    name = _device(device_type, "get_autocast_dtype")
    for dev, dt in _STATE.get().dtypes:
        if dev == name:
            return dt
    return _DEFAULT_DTYPES.get(name)


def set_autocast_dtype(device_type: str, dtype) -> None:
    name = _device(device_type, "set_autocast_dtype")
    s = _STATE.get()
    dtypes = tuple((d, t) for d, t in s.dtypes if d != name) + ((name, dtype),)
    _STATE.set(s._replace(dtypes=dtypes))


def is_autocast_cache_enabled() -> bool:
    """Whether lower-precision casts of leaves that require grad are cached (the default)."""
    return _STATE.get().cache_enabled


def set_autocast_cache_enabled(enabled: bool) -> None:
    s = _STATE.get()
    _STATE.set(s._replace(cache_enabled=bool(enabled)))


def autocast_increment_nesting() -> int:
    s = _STATE.get()
    _STATE.set(s._replace(nesting=s.nesting + 1))
    return s.nesting + 1


def autocast_decrement_nesting() -> int:
    s = _STATE.get()
    _STATE.set(s._replace(nesting=s.nesting - 1))
    return s.nesting - 1


def carry_autocast_state(fn):
    """Wrap ``fn`` to run under the autocast state (dtype, cache flag, nesting) current now,
    in the caller (``carry_modes`` carries it with the record)."""
    state = _STATE.get()

    @functools.wraps(fn)
    def run(*args, **kwargs):
        token = _STATE.set(state)
        try:
            return fn(*args, **kwargs)
        finally:
            _STATE.reset(token)
    return run


class _CastCache:
    """source id -> (weak reference to the source, its cast): the weak reference tells a
    live source from a new object that reuses a dead one's id."""

    def __init__(self):
        self._lock = threading.Lock()
        self._map: dict = {}

    def get(self, src):
        with self._lock:
            hit = self._map.get(id(src))
        if hit is not None and hit[0]() is src:
            return hit[1]
        return None

    def put(self, src, ref, cast) -> None:
        with self._lock:
            self._map[id(src)] = (ref, cast)

    def clear(self) -> None:
        with self._lock:
            self._map.clear()

    def __len__(self):
        return len(self._map)


cast_cache = _CastCache()


def clear_autocast_cache() -> None:
    """Drop every cached cast (done when the outermost autocast region of a thread exits)."""
    cast_cache.clear()
