"""``tensor.cuda``: PyTorch's ``torch.cuda`` as a CPU-only build has it.

Nothing runs on a GPU here, so this module answers the way a PyTorch build without CUDA does:
``is_available()`` is False and ``device_count()`` 0; seeding, cache emptying and the memory
counters quietly do nothing (0, an empty dict); what needs a device (``current_device``,
``get_device_name``, ``synchronize``, ``initial_seed``, ``get_rng_state``...) raises
``AssertionError("Torch not compiled with CUDA enabled")``; ``Event`` / ``Stream`` and the
``cuda.FloatTensor``-style types refuse to be made, with PyTorch's texts. ``amp`` (the
deprecated ``torch.cuda.amp``) is attached by the package once ``tensor.amp`` exists.
"""

from __future__ import annotations

import collections

__all__ = [
    "is_available", "device_count", "is_initialized", "init", "current_device",
    "get_device_name", "get_device_properties", "get_device_capability", "synchronize",
    "manual_seed", "manual_seed_all", "seed", "seed_all", "initial_seed", "get_rng_state",
    "get_rng_state_all", "set_rng_state", "set_rng_state_all", "empty_cache",
    "memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved",
    "memory_stats", "mem_get_info", "ipc_collect", "is_bf16_supported", "is_tf32_supported",
    "get_arch_list", "get_gencode_flags", "Event", "Stream", "StreamContext", "stream",
    "current_stream", "default_stream", "set_stream", "device", "device_of", "set_device",
    "OutOfMemoryError", "CudaError",
]

_NOT_COMPILED = "Torch not compiled with CUDA enabled"

has_half = True
has_magma = False
default_generators = ()


def _refuse(*args, **kwargs):
    raise AssertionError(_NOT_COMPILED)


def _needs_cuda(name):
    def fn(*args, **kwargs):
        raise AssertionError(_NOT_COMPILED)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = "Needs a CUDA build: raises ``AssertionError`` here."
    return fn


def is_available():
    return False


def device_count():
    return 0


def is_initialized():
    return False


def _is_compiled():
    return False


init = _needs_cuda("init")
current_device = _needs_cuda("current_device")
get_device_properties = _needs_cuda("get_device_properties")
get_device_capability = _needs_cuda("get_device_capability")
synchronize = _needs_cuda("synchronize")
initial_seed = _needs_cuda("initial_seed")
get_rng_state = _needs_cuda("get_rng_state")
mem_get_info = _needs_cuda("mem_get_info")
ipc_collect = _needs_cuda("ipc_collect")
current_stream = _needs_cuda("current_stream")
default_stream = _needs_cuda("default_stream")
current_blas_handle = _needs_cuda("current_blas_handle")
get_sync_debug_mode = _needs_cuda("get_sync_debug_mode")
set_sync_debug_mode = _needs_cuda("set_sync_debug_mode")
set_per_process_memory_fraction = _needs_cuda("set_per_process_memory_fraction")
caching_allocator_alloc = _needs_cuda("caching_allocator_alloc")


def get_device_name(device=None):
    raise AssertionError(_NOT_COMPILED)


# -- seeding: queued until CUDA starts, which never happens here -----------------------------
def manual_seed(seed):
    int(seed)                       # PyTorch converts first (a bad seed raises ValueError)


def manual_seed_all(seed):
    int(seed)


def seed():
    return None


def seed_all():
    return None


def get_rng_state_all():
    return []


def set_rng_state(new_state, device="cuda"):
    return None


def set_rng_state_all(new_states):
    return None


# -- memory: nothing is ever allocated --------------------------------------------------------
def empty_cache():
    return None


def memory_allocated(device=None):
    return 0


def max_memory_allocated(device=None):
    return 0


def memory_reserved(device=None):
    return 0


def max_memory_reserved(device=None):
    return 0


def memory_stats(device=None):
    return collections.OrderedDict()


def is_bf16_supported(including_emulation=True):
    return False


def is_tf32_supported():
    return False


def get_arch_list():
    return []


def get_gencode_flags():
    return ""


# -- devices, streams, events -----------------------------------------------------------------
def _device_index(device, optional=False):
    """The CUDA index meant by ``device`` (an int, ``"cuda:1"``, a device object, None)."""
    if isinstance(device, int) or device is None:
        return device
    from ._tensor import device as _device
    if isinstance(device, str):
        device = _device(device)
    if getattr(device, "type", None) != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {device}")
    if device.index is None:
        if optional:
            return None
        raise AssertionError(_NOT_COMPILED)
    return device.index


def _exchange_device(index):
    if index < 0:
        return -1
    raise RuntimeError("PyTorch was compiled without CUDA support")


class device:
    """``with torch.cuda.device(i):`` — only the index -1 (no device) can be entered."""

    def __init__(self, device):
        self.idx = _device_index(device, optional=True)
        self.prev_idx = -1

    def __enter__(self):
        self.prev_idx = _exchange_device(self.idx)

    def __exit__(self, *exc):
        return False


class device_of(device):
    """``device`` of a tensor's CUDA device; a CPU tensor gives -1 (nothing to switch)."""

    def __init__(self, obj):
        super().__init__(-1 if not getattr(obj, "is_cuda", False) else obj.get_device())


def set_device(device):
    index = _device_index(device)
    if index >= 0:
        raise AttributeError("module 'torch._C' has no attribute '_cuda_setDevice'")


class Stream:
    def __new__(cls, *args, **kwargs):
        raise RuntimeError("torch.cuda.Stream requires CUDA support")


class Event:
    def __new__(cls, *args, **kwargs):
        raise RuntimeError("Tried to instantiate dummy base class Event")


class StreamContext:
    """``with torch.cuda.stream(s):`` — with ``s`` None, as here, it does nothing."""

    def __init__(self, stream):
        self.stream = stream

    def __enter__(self):
        if self.stream is None:
            return None
        raise RuntimeError("torch.cuda.Stream requires CUDA support")

    def __exit__(self, *exc):
        return False


def stream(stream):
    return StreamContext(stream)


def set_stream(stream):
    if stream is None:
        return None
    raise RuntimeError("torch.cuda.Stream requires CUDA support")


class OutOfMemoryError(RuntimeError):
    """PyTorch's ``torch.OutOfMemoryError`` (never raised here)."""


class CudaError(RuntimeError):
    def __init__(self, code):
        super().__init__(f"CUDA error {code}")


# -- torch.cuda.FloatTensor and friends: types no tensor here belongs to -----------------------
class _CudaTypeMeta(type):
    def __instancecheck__(cls, obj):
        return False


def _legacy_type(name):
    def __new__(cls, *args, **kwargs):
        raise TypeError(f"type torch.cuda.{name} not available. Torch not compiled with "
                        "CUDA enabled.")
    return _CudaTypeMeta(name, (), {"__new__": __new__, "__module__": "torch.cuda",
                                    "is_cuda": True})


for _n in ("FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "ByteTensor",
           "CharTensor", "ShortTensor", "IntTensor", "LongTensor", "BoolTensor"):
    globals()[_n] = _legacy_type(_n)
del _n
