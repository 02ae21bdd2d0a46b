"""Top-level helpers of the ``torch`` namespace that are not ops of their own: numeric limits
(``finfo``/``iinfo``), broadcasting helpers, stacking helpers, ``randperm``, ``meshgrid``,
``logspace`` and the ``cuda`` namespace of a CPU-only build. Each is composed of our ops, as
PyTorch composes it."""

from __future__ import annotations

import math
import types
import warnings

import numpy as np

from . import _dtype as D
from ._tensor import Tensor

__all__ = ["finfo", "iinfo", "broadcast_shapes", "broadcast_tensors", "hstack", "vstack",
           "dstack", "column_stack", "atleast_1d", "atleast_2d", "atleast_3d", "randperm",
           "meshgrid", "logspace", "cuda", "is_floating_point", "can_cast"]


def _g(x):
    return f"{x:.6g}"


class finfo:
    """Machine limits of a floating dtype (``torch.finfo``)."""

    def __init__(self, type=None):
        d = D.get_default_dtype() if type is None else D.to_dtype(type)
        if not d.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use "
                            "torch.iinfo to handle 'torch.finfo'")
        info = np.finfo(d.np)
        self.dtype = d.name
        self.bits = info.bits
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.tiny)
        self.resolution = 10.0 ** -info.precision

    def __repr__(self):
        return (f"finfo(resolution={_g(self.resolution)}, min={_g(self.min)}, "
                f"max={_g(self.max)}, eps={_g(self.eps)}, "
                f"smallest_normal={_g(self.smallest_normal)}, tiny={_g(self.tiny)}, "
                f"dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype (``torch.iinfo``)."""

    def __init__(self, type):
        d = D.to_dtype(type)
        if d.is_floating_point or d.is_complex:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo "
                            "to handle 'torch.iinfo'")
        info = np.iinfo(d.np) if d.np.kind != "b" else None
        if info is None:
            raise TypeError("torch.iinfo() requires an integer input type.")
        self.dtype = d.name
        self.bits = info.bits
        self.min = int(info.min)
        self.max = int(info.max)

    def __repr__(self):
        return f"iinfo(min={_g(self.min)}, max={_g(self.max)}, dtype={self.dtype})"


def broadcast_shapes(*shapes):
    from ._tensor import Size
    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    result = [1] * max((len(s) for s in shapes), default=0)
    for i, shape in enumerate(shapes):
        for idx in range(-1, -1 - len(shape), -1):
            n = shape[idx]
            if n < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension ({n}): "
                                   f"({n})")
            if n == 1 or n == result[idx]:
                continue
            if result[idx] != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {n} at "
                                   f"{idx}! Mismatching argument at index {i} had {shape}; but "
                                   f"expected shape should be broadcastable to {result}")
            result[idx] = n
    return Size(result)


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*[t.shape for t in tensors])
    return tuple(t.expand(tuple(shape)) for t in tensors)


def atleast_1d(*tensors):
    out = [t if t.dim() >= 1 else t.reshape(1) for t in _seq(tensors)]
    return out[0] if len(out) == 1 and not _is_seq_call(tensors) else tuple(out)


def atleast_2d(*tensors):
    def two(t):
        if t.dim() == 0:
            return t.reshape(1, 1)
        return t.unsqueeze(0) if t.dim() == 1 else t
    out = [two(t) for t in _seq(tensors)]
    return out[0] if len(out) == 1 and not _is_seq_call(tensors) else tuple(out)


def atleast_3d(*tensors):
    def three(t):
        if t.dim() == 0:
            return t.reshape(1, 1, 1)
        if t.dim() == 1:
            return t.unsqueeze(0).unsqueeze(-1)
        return t.unsqueeze(-1) if t.dim() == 2 else t
    out = [three(t) for t in _seq(tensors)]
    return out[0] if len(out) == 1 and not _is_seq_call(tensors) else tuple(out)


def _seq(tensors):
    return list(tensors[0]) if _is_seq_call(tensors) else list(tensors)


def _is_seq_call(tensors):
    return len(tensors) == 1 and isinstance(tensors[0], (list, tuple))


def _nonempty(name, tensors):
    if isinstance(tensors, (list, tuple)) and not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")


def _cat_out(result, out):
    """``out=`` of the stacking functions: PyTorch's cat writes their result (its checks,
    messages and resizing)."""
    from . import cat
    return cat([result], out=out)


def hstack(tensors, *, out=None):
    from .opdefs.shape import cat
    _nonempty("hstack", tensors)
    if out is not None:
        return _cat_out(hstack(tensors), out)
    ts = atleast_1d(tensors)
    return cat(list(ts), 0 if ts[0].dim() == 1 else 1)


def vstack(tensors, *, out=None):
    from .opdefs.shape import cat
    _nonempty("vstack", tensors)
    if out is not None:
        return _cat_out(vstack(tensors), out)
    return cat(list(atleast_2d(tensors)), 0)


def dstack(tensors, *, out=None):
    from .opdefs.shape import cat
    _nonempty("dstack", tensors)
    if out is not None:
        return _cat_out(dstack(tensors), out)
    return cat(list(atleast_3d(tensors)), 2)


def column_stack(tensors, *, out=None):
    from .opdefs.shape import cat
    _nonempty("column_stack", tensors)
    if out is not None:
        return _cat_out(column_stack(tensors), out)
    cols = [t.reshape(t.numel(), 1) if t.dim() <= 1 else t for t in tensors]
    return cat(cols, 1)


def randperm(n, *, generator=None, out=None, dtype=None, device=None, requires_grad=False,
             pin_memory=False):
    from .opdefs.factories import tensor, _factory_out
    from ._random import resolve, permutation
    if out is not None:
        return _factory_out("randperm", out, dtype, lambda dt: randperm(
            n, generator=generator, dtype=dt), "randperm", ("Bool",))
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    g = resolve(generator, "randperm")
    return tensor(permutation(g, n), dtype=dtype or D.int64,
                  requires_grad=requires_grad)


def meshgrid(*tensors, indexing=None):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    ts = list(tensors)
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.numel() for t in ts)
    out = []
    for i, t in enumerate(ts):
        view = [1] * len(ts)
        view[i] = -1
        out.append(t.reshape(*view).expand(*shape))
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, device=None,
             requires_grad=False):
    from .opdefs.factories import linspace, _factory_out, tensor as _tensor
    if out is not None:
        return _factory_out("logspace", out, dtype, lambda dt: logspace(
            start, end, steps, base, dtype=dt), "logspace_cpu", ("Bool",))
    dt = D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()
    if dt.is_complex or steps < 2:
        lin = linspace(start, end, steps, dtype=D.float64)
        r = (base ** lin).to(dt)
    else:
        r = _tensor(_logspace_values(start, end, steps, float(base), dt.np), dtype=dt)
    return r.requires_grad_() if requires_grad else r


def _logspace_values(start, end, steps, base, dt):
    """PyTorch's logspace: the exponents as its linspace lays them out (first half from
    start, second from end), in double from bounds rounded to the result's dtype; then the
    power in double, rounded to the result."""
    from .opdefs.factories import range_halves
    f64 = np.float64
    if dt.kind == "f":       # (the bounds in the result's precision, the rest in double)
        s, e = f64(dt.type(start)), f64(dt.type(end))
    else:
        s, e = f64(int(start)), f64(int(end))
    exps = range_halves(s, e, (e - s) / f64(steps - 1), steps, f64)
    with np.errstate(over="ignore", invalid="ignore"):
        vals = np.power(base, exps.astype(np.float64))
    if dt.kind in "iu":
        vals = np.trunc(vals)
    return vals.astype(dt)


def is_floating_point(input):
    return input.dtype.is_floating_point


def can_cast(from_, to):
    return D.can_cast(D.to_dtype(from_), D.to_dtype(to))


from . import cuda  # noqa: E402  (torch.cuda of a CPU-only build: see cuda.py)
_ = Tensor


def _random_surface():
    """``torch.random``, ``torch.serialization`` and the random / save-load names of the
    ``torch`` namespace. The two modules are also importable by name (``import
    tensor.random``), as PyTorch's are."""
    import sys
    from . import _random, serialization
    from .opdefs import factories as F
    sys.modules.setdefault(f"{__package__}.random", _random)
    return {
        "Generator": _random.Generator, "default_generator": _random.default_generator,
        "seed": _random.seed, "initial_seed": _random.initial_seed,
        "get_rng_state": _random.get_rng_state, "set_rng_state": _random.set_rng_state,
        "random": _random, "serialization": serialization, "save": serialization.save,
        "load": serialization.load, "normal": F.normal, "poisson": F.poisson,
        "multinomial": F.multinomial,
    }


# -- global settings a script sets -----------------------------------------------------------
_SETTINGS = {"deterministic": False, "warn_only": False, "matmul_precision": "highest"}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Record the request (``are_deterministic_algorithms_enabled`` reads it back). Every
    tensorkeys kernel is deterministic already, so none has to refuse or warn."""
    if not isinstance(mode, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'mode' (position 1) must "
                        f"be bool, not {type(mode).__name__}")
    _SETTINGS["deterministic"] = mode
    _SETTINGS["warn_only"] = bool(warn_only) and mode


def are_deterministic_algorithms_enabled():
    return _SETTINGS["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    return _SETTINGS["warn_only"]


def set_float32_matmul_precision(precision):
    """Recorded for ``get_float32_matmul_precision``; float32 products are always computed in
    float32 here (PyTorch's CPU kernels ignore the setting too)."""
    if precision not in ("highest", "high", "medium"):
        import warnings
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _SETTINGS["matmul_precision"] = precision


def get_float32_matmul_precision():
    return _SETTINGS["matmul_precision"]


def set_default_device(device):
    """The device factories use when given none. Anything but the CPU is accepted here and
    refused where a tensor is made, as on PyTorch's CPU-only build."""
    from ._tensor import _DEFAULT_DEVICE, device as _device
    _DEFAULT_DEVICE[0] = None if device is None else _device(device)


def get_default_device():
    from ._tensor import _CPU_DEVICE, _DEFAULT_DEVICE, check_cpu
    check_cpu(None)          # (PyTorch makes a tensor there to find out: same refusal)
    return _DEFAULT_DEVICE[0] or _CPU_DEVICE


def is_complex(input):
    if not isinstance(input, Tensor):
        raise TypeError(f"is_complex(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    return input.dtype.is_complex


def typename(obj):
    """``torch.typename``: a tensor's legacy type name, else the object's qualified name."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    qual = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    if not hasattr(obj, "__qualname__"):
        module = type(obj).__module__
    return qual if module in ("", "builtins") else f"{module}.{qual}"


# -- the legacy typed constructors: torch.FloatTensor(...) and isinstance checks ------------
class tensortype(type):
    """The metaclass of the legacy ``torch.FloatTensor``-style names: calling one makes a
    tensor of its dtype (sizes give an uninitialised one, data a copy), and ``isinstance``
    asks whether a tensor has that dtype."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls._dtype

    def __call__(cls, *args, device=None, **kwargs):
        return legacy_new(cls._dtype, args, device, kwargs)


def legacy_new(dtype, args, device=None, kwargs=None):
    """The legacy constructors ``torch.Tensor(...)`` (``dtype`` None: the default dtype) and
    ``torch.FloatTensor(...)``: no argument, an empty tensor; sizes (ints or a ``Size``), an
    uninitialised one; a sequence or array, a copy of its values in the dtype; a tensor, an
    alias of it (``AliasBackward0`` when it requires grad), which a typed constructor takes only
    in its own dtype."""
    from ._tensor import Size, check_cpu
    from .opdefs.factories import empty, tensor as _tensor
    from .opdefs.reduction import cxx_name
    check_cpu(device)
    if kwargs:
        def kind(v):
            return "torch.dtype" if isinstance(v, D.dtype) else type(v).__name__
        got = [kind(a) for a in args] + [f"{k}={kind(v)}" for k, v in kwargs.items()]
        raise TypeError(f"new() received an invalid combination of arguments - got "
                        f"({', '.join(got)}), but expected one of:\n * (data or sizes, *, "
                        f"torch.device device = None)")
    if len(args) == 1 and isinstance(args[0], Tensor):
        t = args[0]
        if dtype is not None and t.dtype is not dtype:
            def options(d):
                return (f"TensorOptions(dtype={cxx_name(d.np)}, device=cpu, layout=Strided, "
                        "requires_grad=false (default), pinned_memory=false (default), "
                        "memory_format=(nullopt))")
            raise TypeError(f"expected {options(dtype)} (got {options(t.dtype)}). Hint: "
                            f"convert first (t.to({dtype!r})).")
        from .opdefs.views import alias
        return alias(t)
    if dtype is None:
        dtype = D.get_default_dtype()
    if not args:
        return empty(0, dtype=dtype)
    if len(args) == 1 and not isinstance(args[0], (int, Size)):
        if isinstance(args[0], str):
            raise TypeError("new(): invalid data type 'str'")
        if args[0] is None or isinstance(args[0], (float, complex, bool)):
            raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
        return _tensor(args[0], dtype=dtype)
    try:
        return empty(*args, dtype=dtype)
    except TypeError as e:
        if str(e).startswith("empty()"):
            raise TypeError("new()" + str(e)[len("empty()"):]) from None
        raise


def _typed_constructors():
    out = {}
    for d in D._ALL:
        name = f"{d.legacy}Tensor"
        out[name] = tensortype(name, (), {"_dtype": d, "__module__": "torch",
                                          "__doc__": f"Legacy constructor of {d!r} tensors."})
    return out


# -- small top-level helpers -----------------------------------------------------------------
def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """``torch.asarray``: share memory with a tensor or array when dtype allows (unless
    ``copy=True``), else convert."""
    from ._tensor import check_cpu
    from .opdefs.factories import as_tensor, tensor as _tensor
    check_cpu(device)
    if copy:
        out = _tensor(obj.detach() if isinstance(obj, Tensor) else obj, dtype=dtype)
    else:
        out = as_tensor(obj, dtype=dtype)
        if copy is False and isinstance(obj, (Tensor, np.ndarray)) and \
                out.data_ptr() != (obj.data_ptr() if isinstance(obj, Tensor)
                                   else obj.__array_interface__["data"][0]):
            src = obj.dtype if isinstance(obj, Tensor) else D._BY_NP[obj.dtype]
            raise ValueError(f"can't alias tensor with dtype '{src.short}' into dtype "
                             f"'{out.dtype.short}'.")
    return out.requires_grad_() if requires_grad else out


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):
    """An uninitialised tensor with the given strides (over a buffer just large enough)."""
    from ._tensor import check_cpu, wrap
    check_cpu(device)
    from .opdefs.factories import _negative, size_type_error
    dt = D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()
    for name, arg, pos in (("size", size, 1), ("stride", stride, 2)):
        err = size_type_error("empty_strided", (arg,), arg=name, pos=pos, seq_only=True)
        if err is not None:
            raise err
    size, stride = tuple(size), tuple(stride)
    err = _negative(size)
    if err is not None:
        raise err
    if len(size) != len(stride):
        raise RuntimeError(f"dimensionality of sizes ({len(size)}) must match dimensionality of "
                           f"strides ({len(stride)})")
    if all(size) and min(stride, default=0) < 0:
        raise RuntimeError(f"Storage size calculation overflowed with sizes="
                           f"[{', '.join(map(str, size))}] and strides="
                           f"[{', '.join(map(str, stride))}]")
    extent = 1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
    buf = np.empty(max(extent, 0), dt.np)
    arr = np.lib.stride_tricks.as_strided(buf, size, tuple(s * buf.itemsize for s in stride))
    t = wrap(arr)
    return t.requires_grad_() if requires_grad else t


def row_stack(tensors, *, out=None):
    return vstack(tensors, out=out)


_THREADS = [None]


def set_num_threads(n):
    """Record the intra-op thread count PyTorch code asks for. tensorkeys' kernels are numpy's:
    the BLAS pool behind them is sized at start-up (``OMP_NUM_THREADS`` /
    ``OPENBLAS_NUM_THREADS``), so this number is reported back, not applied."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"set_num_threads(): argument 'int' (position 1) must be int, not "
                        f"{type(n).__name__}")
    if n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _THREADS[0] = n


def get_num_threads():
    import os
    if _THREADS[0] is not None:
        return _THREADS[0]
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        v = os.environ.get(var, "")
        if v.isdigit() and int(v) > 0:
            return int(v)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        (os.cpu_count() or 1)


def _version_module():
    import types
    from importlib import metadata
    try:
        ours = metadata.version("tensorkeys")
    except metadata.PackageNotFoundError:
        ours = "0.1.0"
    m = types.ModuleType("torch.version")
    # the PyTorch release whose behaviour is reproduced, with this package as local label
    m.__version__ = f"2.13.0+tensorkeys{ours}"
    m.cuda = m.hip = m.xpu = None
    m.debug = False
    m.git_version = "unknown"
    return m


version = _version_module()


TOPLEVEL = _random_surface()
from . import backends  # noqa: E402
TOPLEVEL["func"] = __import__(f"{__package__}.func", fromlist=["functional_call"])
TOPLEVEL.update(
    backends=backends, use_deterministic_algorithms=use_deterministic_algorithms,
    are_deterministic_algorithms_enabled=are_deterministic_algorithms_enabled,
    is_deterministic_algorithms_warn_only_enabled=is_deterministic_algorithms_warn_only_enabled,
    set_float32_matmul_precision=set_float32_matmul_precision,
    get_float32_matmul_precision=get_float32_matmul_precision,
    set_default_device=set_default_device, get_default_device=get_default_device,
    is_complex=is_complex, typename=typename, asarray=asarray, empty_strided=empty_strided,
    row_stack=row_stack, set_num_threads=set_num_threads, get_num_threads=get_num_threads,
    version=version, __version__=version.__version__, inf=math.inf, nan=math.nan, pi=math.pi,
    e=math.e, newaxis=None, tensortype=tensortype, **_typed_constructors())
