"""Random number generators: ``torch.Generator``, the default generator and the functions of
``torch.random`` (``manual_seed``, ``seed``, ``initial_seed``, ``get_rng_state``,
``set_rng_state``, ``fork_rng``).

Our generator draws from numpy's PCG64 rather than PyTorch's mt19937, so a seed gives other
numbers than PyTorch's, but everything observable about seeding is PyTorch's: the same seed
gives the same stream, ``get_state``/``set_state`` resume a stream exactly, seeds are 64-bit
(negative ones wrap), a new ``Generator`` starts from PyTorch's default seed, and the state is a
``uint8`` tensor of PyTorch's CPU state size (5056 bytes; ours uses the first few).

``Generator`` is a ``numpy.random.Generator`` as well: kernels draw from it with numpy's
methods (``g.random(shape)``, ``g.normal(...)``), and they accept a plain numpy Generator too.
"""

from __future__ import annotations

import contextlib
import operator
import secrets

import numpy as np

from . import _dtype as D
from ._tensor import Tensor, device as _device, wrap

__all__ = ["set_rng_state", "get_rng_state", "manual_seed", "seed", "initial_seed",
           "fork_rng"]

DEFAULT_SEED = 67280421310721          # PyTorch's seed of a new Generator
STATE_SIZE = 5056                      # PyTorch's CPU generator state, in bytes
_MAGIC = b"tkPCG64\x01"
_U64 = 2 ** 64


def _check_seed(seed):
    """The seed as an unsigned 64-bit number: PyTorch wants an int in [-2**63, 2**64) and
    maps a negative one to ``seed + 2**64``."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
    seed = operator.index(seed)
    if not -2 ** 63 <= seed < _U64:
        raise ValueError("Overflow when unpacking long long")
    return seed % _U64


def _device_of(dev):
    d = dev if isinstance(dev, _device) else _device(dev)
    if d.type == "cuda":
        raise RuntimeError("Cannot get CUDA generator without ATen_cuda library. Hint: this is "
                           "a CPU-only build; generators live on the CPU.")
    if d.type != "cpu":
        raise RuntimeError(f"{d.type.upper()} device type not an accelerator.")
    return _device("cpu")


class Generator(np.random.Generator):
    """``torch.Generator(device='cpu')``: a random stream with its own seed and state."""

    def __init__(self, device="cpu"):
        self._device = _device_of(device)
        self._seed = DEFAULT_SEED
        super().__init__(np.random.PCG64(DEFAULT_SEED))

    def __repr__(self):
        return f"<tensor.Generator object at {id(self):#x}>"

    __str__ = __repr__

    def __reduce__(self):
        return (_rebuild_generator, (self.get_state()._data.tobytes(),))

    @property
    def device(self):
        return self._device

    def manual_seed(self, seed):
        """Restart the stream from ``seed``; returns the generator itself."""
        seed = _check_seed(seed)
        self.bit_generator.state = np.random.PCG64(seed).state
        self._seed = seed
        return self

    def seed(self):
        """Seed from the operating system's entropy; returns the seed used."""
        s = secrets.randbits(64)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        """The seed the stream last started from."""
        return self._seed

    def get_state(self):
        """A new ``uint8`` tensor holding the seed and the stream's position."""
        st = self.bit_generator.state
        raw = (_MAGIC + self._seed.to_bytes(8, "little")
               + st["state"]["state"].to_bytes(16, "little")
               + st["state"]["inc"].to_bytes(16, "little")
               + int(st["has_uint32"]).to_bytes(4, "little")
               + int(st["uinteger"]).to_bytes(4, "little"))
        buf = np.zeros(STATE_SIZE, np.uint8)
        buf[:len(raw)] = np.frombuffer(raw, np.uint8)
        return wrap(buf)

    def set_state(self, new_state):
        """Resume the stream saved by ``get_state``; returns the generator itself."""
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got "
                            f"{type(new_state).__name__}")
        if new_state.dtype is not D.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        raw = np.ascontiguousarray(new_state._data).reshape(-1).tobytes()
        if len(raw) != STATE_SIZE:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {STATE_SIZE} but "
                               f"found the input RNG state size to be {len(raw)}")
        inc = int.from_bytes(raw[32:48], "little")
        if raw[:8] != _MAGIC or not inc & 1:
            raise RuntimeError("Invalid mt19937 state. Hint: tensorkeys keeps a PCG64 state; "
                               "pass a state that get_state() / get_rng_state() returned.")
        self.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": int.from_bytes(raw[16:32], "little"), "inc": inc},
            "has_uint32": int.from_bytes(raw[48:52], "little"),
            "uinteger": int.from_bytes(raw[52:56], "little"),
        }
        self._seed = int.from_bytes(raw[8:16], "little")
        return self

    def clone_state(self):
        """A new generator at the same point of the same stream."""
        g = Generator(self._device)
        return g.set_state(self.get_state())


def _rebuild_generator(state):
    return Generator().set_state(wrap(np.frombuffer(bytearray(state), np.uint8)))


default_generator = Generator()
default_generator.seed()        # as PyTorch's: a different stream in every process


def resolve(generator, fn="op"):
    """The numpy Generator to draw from: ``generator``, or the default one when None."""
    if generator is None:
        return default_generator
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"{fn}(): argument 'generator' must be torch.Generator, not "
                        f"{type(generator).__name__}")
    return generator


def manual_seed(seed):
    """Seed the default generator (``int(seed)``, as PyTorch converts it); returns it."""
    return default_generator.manual_seed(int(seed))


def seed():
    """Seed the default generator from the system's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type=None):
    """Run a block and then put the default generator back where it was. Only the CPU stream
    exists in this build: asking for accelerator devices fails as PyTorch's CPU build does."""
    if device_type == "meta" or not enabled:
        yield
        return
    if device_type not in (None, "cuda"):
        raise AttributeError(f"module 'torch.{device_type}' has no attribute 'get_rng_state'")
    if devices is not None and list(devices):
        raise AssertionError("Torch not compiled with CUDA enabled")
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
