"""``torch.autograd.profiler``: the profiler's older interface (``profile``,
``record_function``, ``emit_nvtx``, ``emit_itt``) over the same recorder as
``torch.profiler`` (see ``tensor/profiler``)."""

from __future__ import annotations

from ..profiler import ProfilerActivity, DeviceType  # noqa: F401
from ..profiler._events import EventList, FunctionEvent, FunctionEventAvg  # noqa: F401
from ..profiler._legacy import profile
from ..profiler._record import record_function, is_profiler_enabled as _is_profiler_enabled

__all__ = ["profile", "record_function", "emit_nvtx", "emit_itt", "EventList",
           "FunctionEvent", "FunctionEventAvg", "kineto_available"]


def kineto_available():
    return True


class _annotation_ranges:
    """What emit_nvtx and emit_itt share: their arguments and state."""

    def __init__(self, enabled=True, record_shapes=False):
        self.enabled = enabled
        self.entered = False
        self.record_shapes = record_shapes


class emit_nvtx(_annotation_ranges):
    """NVTX ranges for each op: a CPU-only build has no CUDA, so entering it enabled fails
    as PyTorch's does; ``enabled=False`` makes it a no-op."""

    def __enter__(self):
        if not self.enabled:
            return
        if self.entered:
            raise RuntimeError("NVTX annotation context manager is not reentrant")
        raise AssertionError("Torch not compiled with CUDA enabled")

    def __exit__(self, exc_type, exc_val, exc_tb):
        return False


class emit_itt(_annotation_ranges):
    """Intel ITT ranges for each op (for VTune): nothing here listens, so the block runs
    unannotated."""

    def __enter__(self):
        if not self.enabled:
            return
        if self.entered:
            raise RuntimeError("ITT annotation context manager is not reentrant")
        self.entered = True
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        if not self.enabled:
            return
        self.entered = False
        return False
