"""Casts (``to``, ``float()``, ``type()``...) and the in-place fills (``zero_``, ``fill_``,
``copy_``, ``normal_``, ``uniform_``).

A cast is one op, ``_to_copy``, as in PyTorch: ``to()`` returns ``self`` when nothing would
change (same dtype, same device, ``copy=False``) and otherwise makes a copy whose gradient is
cast back to the input's dtype (``ToCopyBackward0``).

The fills are in-place ops declared with their schema ``Tensor(a!) self``, so the generic
machinery gives them the version bump, the inference-tensor refusal and the autograd in-place
checks (a leaf that requires grad, a view of one, ...). Their kernels validate everything
before they write (Note [A failed fill changes nothing]).

Note [A failed fill changes nothing]
    PyTorch converts a fill value with an overflow check (``value cannot be converted to type
    int8_t without overflow``) before writing; ``copy_`` checks broadcasting and memory overlap
    first. Our kernels do all their checks, then write once with numpy, so a refused call
    leaves data and version untouched.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._memory_format import copy_in_format, suggest_memory_format
from .. import _dtype as D
from .. import _tensor as T
from .._defop import defop, method, FORMULA_NS
from ..errors import legacy_type_name, warn_user
from ._util import broadcast_error, preserved_copy, with_strides

_nd = np.ndarray
_Tensor = T.Tensor

__all__ = ["to_copy", "zero_", "fill_scalar", "fill_tensor", "copy_", "normal_", "uniform_",
           "checked_scalar", "writable_dest"]


# -- helpers shared with indexing.py -------------------------------------------------------
_C_NAMES = {"int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t",
            "uint8": "uint8_t", "float16": "c10::Half", "float32": "float",
            "float64": "double", "complex64": "c10::complex<float>",
            "complex128": "c10::complex<double>", "bool": "bool"}


def _overflow(dt):
    return RuntimeError(
        f"value cannot be converted to type {_C_NAMES[np.dtype(dt).name]} without overflow. "
        f"Hint: the value does not fit a {D._BY_NP[np.dtype(dt)]} tensor; cast the tensor "
        "first (e.g. t = t.double()) or pick a value in range.")


def checked_scalar(v, dt):
    """A Python number converted to numpy dtype ``dt`` with c10's overflow rule (what
    ``fill_`` and ``t[i] = v`` do): ints must fit (uint8 also takes -255..-1, wrapping),
    floats are truncated but must be in range (and not NaN for integer types), complex values
    need a zero imaginary part for real types. Bool never overflows."""
    kind = dt.kind
    if isinstance(v, _Tensor):
        v = v.item()
    elif isinstance(v, np.generic):
        v = v.item()
    if kind == "b":
        return bool(v)
    if isinstance(v, complex) and kind != "c":
        if v.imag != 0:
            raise _overflow(dt)
        v = v.real
    if kind in "iu":
        info = np.iinfo(dt)
        if isinstance(v, (bool, int)):
            v = int(v)
            if kind == "u":
                if not -info.max <= v <= info.max:
                    raise _overflow(dt)
                return v & info.max
            if not info.min <= v <= info.max:
                raise _overflow(dt)
            return v
        f = float(v)
        if f != f or f < info.min or f > info.max:
            raise _overflow(dt)
        return int(f)
    if kind == "f":
        f = float(v)
        if math.isinf(f) or f != f:
            return f
        if abs(f) > float(np.finfo(dt).max):
            raise _overflow(dt)
        return f
    return complex(v)


_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the operation.")


def internal_overlap(a):
    """True when some elements of ``a`` share memory (a stride of 0 over a size > 1), as in
    the result of ``expand``). An empty array has no elements to share."""
    if a.size == 0:
        return False
    for n, s in zip(a.shape, a.strides):
        if s == 0 and n > 1:
            return True
    return False


def writable_dest(a, allow_overlap):
    """The array an in-place kernel writes through. ``expand`` results are read-only numpy
    views; ops PyTorch allows on them (``fill_``, ``zero_``, ``index_put_``) write through a
    writable alias, the others refuse with PyTorch's overlap error."""
    if not allow_overlap and internal_overlap(a):
        raise RuntimeError(_OVERLAP + " Hint: t = t.clone() first (t was made by expand or "
                           "another op that repeats memory).")
    if a.flags.writeable:
        return a
    v = a.view()
    try:
        v.setflags(write=True)
    except ValueError:
        v = _alias_in_root(a)
        if v is None:
            raise RuntimeError("cannot write into this tensor: its memory is read-only (e.g. "
                               "from_numpy of a read-only array). Hint: clone() it first."
                               ) from None
    return v


def _alias_in_root(a):
    """A writable array over ``a``'s elements, made from the writable, contiguous array that
    owns its memory (numpy will not make an ``as_strided`` result writable again); None when
    there is none."""
    from ._util import storage_root
    root = storage_root(a)
    if not (root.flags.writeable and root.flags.c_contiguous) or min(a.strides, default=0) < 0:
        return None
    off = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    return np.ndarray(a.shape, a.dtype, buffer=root, offset=off, strides=a.strides)


def _partial_overlap_check(dst, src):
    """PyTorch refuses ``copy_`` when source and destination memory partly overlap (identical
    memory is fine); layouts it cannot judge cheaply (not dense) are let through, as there."""
    from ._util import check_no_overlap
    if type(src) is _nd:
        check_no_overlap(dst, (src,))


def _discard_imag(a, dt):
    if a.dtype.kind == "c" and dt.kind != "c":
        warn_user("Casting complex values to real discards the imaginary part")
        return a.real
    return a


# -- _to_copy ------------------------------------------------------------------------------
def _to_copy_np(a, dtype, layout, device, pin_memory, non_blocking, memory_format):
    if device is not None:
        T.check_cpu(device)          # refuses anything but the CPU
    dt = a.dtype if dtype is None else D.to_dtype(dtype).np
    a = _discard_imag(a, dt)
    with np.errstate(invalid="ignore", over="ignore"):
        if memory_format is not None and memory_format != "preserve_format":
            return copy_in_format(a, memory_format, dt, name="to")
        if a.flags.c_contiguous:
            r = np.array(a, dtype=dt, copy=True, order="K")
            if 1 in a.shape and a.ndim > 1:   # (numpy's own strides for dims of size 1)
                r = with_strides(r, tuple(st // a.itemsize * r.itemsize for st in a.strides))
            return r
        return preserved_copy(a, dt)


def _to_copy_backward(grad, self_dtype):
    """The gradient of a cast: the incoming gradient cast back (real part for a real input)."""
    if grad.dtype is self_dtype:
        return grad
    if grad.is_complex() and not self_dtype.is_complex:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)   # the real part is what we want
            return to_copy(grad, dtype=self_dtype)
    return to_copy(grad, dtype=self_dtype)


to_copy = defop("_to_copy(Tensor self, *, ScalarType? dtype=None, Layout? layout=None, "
                "Device? device=None, bool? pin_memory=None, bool non_blocking=False, "
                "MemoryFormat? memory_format=None) -> Tensor", _to_copy_np,
                grad={"self": "to_copy_backward(grad, self_dtype)"},
                # PyTorch's kernel writes the result with copy_ (Note [Kernels that re-enter
                # the dispatcher] in _defop.py)
                via=("copy", 1))

# ``x.to(float)`` means float64 in PyTorch (unlike factories' ``dtype=float``).
_PY_TYPES = {float: D.float64, int: D.int64, bool: D.bool_, complex: D.complex128}


def _as_dtype(x):
    if isinstance(x, D.dtype):
        return x
    if x in _PY_TYPES:
        return _PY_TYPES[x]
    return D.to_dtype(x)


def _is_dtype_like(x):
    return isinstance(x, D.dtype) or (isinstance(x, type) and x in _PY_TYPES)


def _to(self, *args, **kwargs):
    """``to(dtype)``, ``to(device, dtype)``, ``to(other)``; ``non_blocking``, ``copy`` and
    ``memory_format`` as in PyTorch. Returns ``self`` when nothing changes and not ``copy``."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    fmt = kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
    rest = ()
    if args:
        a0 = args[0]
        if isinstance(a0, _Tensor):
            dtype, rest = a0.dtype, args[1:]
        elif _is_dtype_like(a0):
            dtype, rest = a0, args[1:]
        else:
            device = a0
            if len(args) > 1 and (_is_dtype_like(args[1]) or args[1] is None):
                dtype, rest = args[1], args[2:]
            else:
                rest = args[1:]
    if len(rest) >= 2:           # (non_blocking, copy[, memory_format])
        copy = rest[1]
    if len(rest) >= 3:
        fmt = rest[2]
    if fmt == "preserve_format":
        fmt = None
    if device is not None:
        T.check_cpu(device)       # refuses anything but the CPU
    if dtype is not None:
        if isinstance(dtype, str):
            raise TypeError(f"to() received an invalid combination of arguments - got "
                            f"(dtype=str, ). Hint: pass a dtype object such as "
                            f"torch.{dtype.replace('torch.', '')}")
        dtype = _as_dtype(dtype)
    if not copy and (dtype is None or dtype is D._BY_NP[self._data.dtype]) and \
            (fmt is None or suggest_memory_format(self._data) == fmt):
        return self
    return to_copy(self, dtype=dtype, memory_format=fmt)


method("to", _to)

_LEGACY = {d.legacy: d for d in D._ALL}


def _type(self, dtype=None, non_blocking=False, **kwargs):
    """``type()`` -> ``'torch.FloatTensor'``; ``type(dtype or name)`` -> a cast (or self)."""
    if dtype is None:
        return legacy_type_name(self.dtype)
    if isinstance(dtype, str):
        name = dtype
        if name.startswith("torch.cuda."):
            raise AssertionError(f"Torch not compiled with CUDA enabled (tensorkeys runs on "
                                     f"the CPU only; asked for {name!r})")
        if name == "torch.Tensor":              # the default tensor type
            dtype = D.get_default_dtype()
        elif name.startswith("torch.") and name.endswith("Tensor") and \
                name[6:-6] in _LEGACY:
            dtype = _LEGACY[name[6:-6]]
        else:
            raise ValueError(f"invalid type: '{name}'")
    elif dtype is _Tensor:
        dtype = D.get_default_dtype()
    elif isinstance(getattr(dtype, "_dtype", None), D.dtype):     # torch.DoubleTensor
        dtype = dtype._dtype
    elif isinstance(dtype, type):          # x.type(float) is refused by PyTorch too
        raise ValueError(f"invalid type: '{dtype.__name__}'")
    elif not isinstance(dtype, D.dtype):
        dtype = _as_dtype(dtype)
    return _to(self, dtype)


method("type", _type)

for _name, _dt in (("float", D.float32), ("double", D.float64), ("half", D.float16),
                   ("long", D.int64), ("int", D.int32), ("short", D.int16),
                   ("char", D.int8), ("byte", D.uint8), ("bool", D.bool_),
                   ("cfloat", D.complex64), ("cdouble", D.complex128)):
    def _cast(self, memory_format=None, _dt=_dt):
        return _to(self, _dt)
    _cast.__name__ = _name
    _cast.__doc__ = f"``self.to({_dt!r})``: ``self`` when it already has that dtype."
    method(_name, _cast)


def _cpu(self, memory_format=None):
    return self


def _cuda(self, *args, **kwargs):
    raise AssertionError("Torch not compiled with CUDA enabled (tensorkeys runs on the CPU "
                         "only; asked for 'cuda')")


method("cpu", _cpu)
method("cuda", _cuda)
method("type_as", lambda self, other: _to(self, other.dtype))


# -- in-place fills ------------------------------------------------------------------------
def _zero_np(a):
    a = writable_dest(a, True)
    a[...] = 0


zero_ = defop("zero_(Tensor(a!) self) -> Tensor(a!)", _zero_np,
              grad={"self": "zeros_like(grad)"})
method("zero_", zero_)


def _fill_scalar_np(a, value):
    v = checked_scalar(value, a.dtype)
    a = writable_dest(a, True)
    a[...] = v


def _fill_tensor_np(a, value):
    if type(value) is _nd and value.ndim != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value.ndim} dimensions. Hint: pass value.item() or a 0-dim "
                           "tensor, or use copy_ for a tensor of values.")
    v = checked_scalar(value.item() if type(value) is _nd else value, a.dtype)
    a = writable_dest(a, True)
    a[...] = v


fill_scalar = defop("fill_.Scalar(Tensor(a!) self, Scalar value) -> Tensor(a!)",
                    _fill_scalar_np, grad={"self": "zeros_like(grad)"},
                    node_name="FillBackward2")
fill_tensor = defop("fill_.Tensor(Tensor(a!) self, Tensor value) -> Tensor(a!)",
                    _fill_tensor_np, grad={"self": "zeros_like(grad)", "value": "grad.sum()"},
                    node_name="FillBackward3")


def _fill_(self, value):
    if isinstance(value, _Tensor):
        return fill_tensor(self, value)
    return fill_scalar(self, value)


method("fill_", _fill_)


def _copy_np(a, src, non_blocking):
    if type(src) is not _nd:
        src = np.asarray(src)
    _partial_overlap_check(a, src)      # PyTorch checks memory before shapes
    if src.shape != a.shape:
        try:
            shape = np.broadcast_shapes(a.shape, src.shape)
        except ValueError:
            raise broadcast_error(a.shape, src.shape) from None
        if shape != a.shape:
            raise RuntimeError(
                f"output with shape [{', '.join(map(str, a.shape))}] doesn't match the "
                f"broadcast shape [{', '.join(map(str, shape))}]. Hint: copy_ cannot grow its "
                "tensor; reshape or index the source first.")
    dst = writable_dest(a, False)
    src = _discard_imag(src, a.dtype)
    with np.errstate(invalid="ignore", over="ignore"):
        np.copyto(dst, src, casting="unsafe")


copy_ = defop("copy_(Tensor(a!) self, Tensor src, bool non_blocking=False) -> Tensor(a!)",
              _copy_np, grad={"self": "zeros_like(grad)", "src": "grad"},
              node_name="torch::autograd::CopyBackwards")
method("copy_", copy_)


def _float_only(a, name):
    if a.dtype.kind != "f":
        raise NotImplementedError(f'"{name}" not implemented for '
                                  f"'{D._BY_NP[a.dtype].short}'")


def _normal_np(a, mean, std, generator):
    _float_only(a, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    dst = writable_dest(a, False)
    from .factories import default_generator, _normal_flat
    from .. import _random as R
    g = generator or default_generator()
    # (PyTorch's batched kernel only for a contiguous tensor; Note [PyTorch's random streams])
    R.write_in_order(dst, _normal_flat(g, (a.size,), a.dtype, mean, std,
                                       a.flags.c_contiguous))


def _uniform_np(a, lo, hi, generator):
    _float_only(a, "check_uniform_bounds")
    if lo > hi:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={lo} > to={hi}")
    dst = writable_dest(a, False)
    from .factories import default_generator
    from .. import _random as R
    g = generator or default_generator()
    R.write_in_order(dst, R.uniform(g, a.size, a.dtype, lo, hi))


normal_ = defop("normal_(Tensor(a!) self, float mean=0, float std=1, *, "
                "Generator? generator=None) -> Tensor(a!)", _normal_np,
                grad={"self": "zeros_like(grad)"})
uniform_ = defop("uniform_(Tensor(a!) self, float from=0, float to=1, *, "
                 "Generator? generator=None) -> Tensor(a!)", _uniform_np,
                 grad={"self": "zeros_like(grad)"})
method("normal_", lambda self, mean=0, std=1, *, generator=None:
       normal_(self, mean, std, generator=generator))


def _uniform_method(self, *args, generator=None, **kwargs):
    lo = kwargs.pop("from", kwargs.pop("from_", args[0] if len(args) > 0 else 0))
    hi = kwargs.pop("to", args[1] if len(args) > 1 else 1)
    if kwargs:
        raise TypeError(f"uniform_() got an unexpected keyword argument '{next(iter(kwargs))}'")
    return uniform_(self, lo, hi, generator=generator)


method("uniform_", _uniform_method)

def _zeros_like(t):
    return T.wrap(np.zeros(t._data.shape, t._data.dtype))


FORMULA_NS.update(to_copy_backward=_to_copy_backward)
FORMULA_NS.setdefault("zeros_like", _zeros_like)
