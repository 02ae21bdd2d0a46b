"""Factories and conversions. ``tensor``/``from_numpy`` build tensors directly (as PyTorch's
Python constructors do); the others are ops without tensor arguments, dispatched to the CPU
backend like PyTorch's BackendSelect does."""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .. import _tensor as T
from .._defop import defop, method

_wrap = T.wrap
_Tensor = T.Tensor
_gen = [np.random.default_rng()]


def manual_seed(seed: int):
    """Seed the generator behind rand/randn/randint/dropout (a numpy Generator)."""
    _gen[0] = np.random.default_rng(int(seed))
    return _gen[0]


def default_generator():
    return _gen[0]


def _np_dtype(dtype, default=None):
    if dtype is None:
        return (default or D.get_default_dtype()).np
    return D.to_dtype(dtype).np


def _finish(t, requires_grad):
    if requires_grad:
        if t._data.dtype.kind not in "fc":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        t._requires_grad = True
    return t


def _infer_dtype(data):
    """The dtype PyTorch infers for nested data: each element has one (a Python bool, int,
    float, complex: bool, int64, the default float, the default complex; a numpy scalar or a
    tensor: its own), and they combine by ordinary (non-weak) type promotion."""
    found = set()

    def walk(x):
        if isinstance(x, (list, tuple)):
            for y in x:
                walk(y)
        elif isinstance(x, _Tensor):
            found.add(x.dtype)
        elif isinstance(x, np.generic):
            found.add(D.from_numpy_dtype(x.dtype))
        elif isinstance(x, bool):
            found.add(D.bool_)
        elif isinstance(x, int):
            found.add(D.int64)
        elif isinstance(x, complex):
            found.add(D.complex64)
        else:
            found.add(D.get_default_dtype())
    walk(data)
    if not found:
        return D.get_default_dtype().np
    out = None
    for d in found:
        out = d if out is None else D.promote_types(out, d)
    return out.np


def _check_data(data, dim=0):
    """PyTorch's refusals of data it cannot read: a string or other object, a ragged list."""
    if isinstance(data, (list, tuple)):
        n = None
        for x in data:
            if isinstance(x, (list, tuple)):
                if n is None:
                    n = len(x)
                elif len(x) != n:
                    raise ValueError(f"expected sequence of length {n} at dim {dim + 1} "
                                     f"(got {len(x)})")
            _check_data(x, dim + 1)
    elif not isinstance(data, (bool, int, float, complex, np.generic, np.ndarray, _Tensor)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays, tensors)."""
    if isinstance(data, _Tensor):
        arr = np.array(data._data, dtype=_np_dtype(dtype, data.dtype), copy=True)
    elif isinstance(data, np.ndarray):
        arr = np.array(data, dtype=None if dtype is None else _np_dtype(dtype), copy=True)
        if arr.dtype not in D._BY_NP:
            D.from_numpy_dtype(arr.dtype)
    else:
        if type(data) is float and dtype is None:
            arr = np.array(data, D.get_default_dtype().np)
        elif type(data) is list and dtype is None and data and \
                all(type(x) is float for x in data):
            arr = np.array(data, D.get_default_dtype().np)
        else:
            if isinstance(data, (list, tuple)) and any(isinstance(x, _Tensor) for x in data):
                data = [x._data if isinstance(x, _Tensor) else x for x in data]
            _check_data(data)
            try:
                arr = np.array(data, dtype=_np_dtype(dtype) if dtype is not None
                               else _infer_dtype(data))
            except ValueError as e:
                raise ValueError(f"expected a rectangular sequence of numbers: {e}") from None
    return _finish(_wrap(arr), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Share memory with ``data`` when possible (a tensor or numpy array of the right dtype)."""
    if isinstance(data, _Tensor):
        return data if dtype is None or D.to_dtype(dtype) is data.dtype else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or D.to_dtype(dtype).np == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype)


def from_numpy(arr: np.ndarray) -> _Tensor:
    """A tensor sharing ``arr``'s memory (writes are seen by both)."""
    if type(arr) is not np.ndarray:
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"expected np.ndarray (got {type(arr).__name__})")
    if arr.dtype not in D._BY_NP:
        D.from_numpy_dtype(arr.dtype)
    return _wrap(arr)


def _size(size):
    if len(size) == 1 and isinstance(size[0], (list, tuple)):
        return tuple(size[0])
    return tuple(size)


_FACTORY_TAIL = ("*, ScalarType? dtype=None, Layout? layout=None, Device? device=None, "
                 "bool? pin_memory=None")


def _full_np(shape, value, dtype):
    if dtype is None:
        if isinstance(value, bool):
            dt = np.dtype(np.bool_)
        elif isinstance(value, int):
            dt = np.dtype(np.int64)
        else:
            dt = D.get_default_dtype().np
    else:
        dt = _np_dtype(dtype)
    return np.full(tuple(shape), value, dt)


_zeros = defop(f"zeros(SymInt[] size, {_FACTORY_TAIL}) -> Tensor",
               lambda size, dtype, layout, device, pin: np.zeros(tuple(size), _np_dtype(dtype)))
_ones = defop(f"ones(SymInt[] size, {_FACTORY_TAIL}) -> Tensor",
              lambda size, dtype, layout, device, pin: np.ones(tuple(size), _np_dtype(dtype)))
_empty = defop(f"empty.memory_format(SymInt[] size, {_FACTORY_TAIL}, "
               "MemoryFormat? memory_format=None) -> Tensor",
               lambda size, dtype, layout, device, pin, mf:
               np.empty(tuple(size), _np_dtype(dtype)))
_full = defop(f"full(SymInt[] size, Scalar fill_value, {_FACTORY_TAIL}) -> Tensor",
              lambda size, value, dtype, layout, device, pin: _full_np(size, value, dtype))


def _arange_np(start, end, step, dtype):
    if dtype is None:
        if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
               for v in (start, end, step)):
            dt = np.dtype(np.int64)
        else:
            dt = D.get_default_dtype().np
    else:
        dt = _np_dtype(dtype)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    n = int(np.ceil((end - start) / step))
    return (start + np.arange(max(n, 0), dtype=np.float64) * step).astype(dt) \
        if dt.kind == "f" else np.arange(start, end, step, dtype=dt)


_arange = defop(f"arange.start_step(Scalar start, Scalar end, Scalar step=1, {_FACTORY_TAIL}) "
                "-> Tensor",
                lambda start, end, step, dtype, layout, device, pin:
                _arange_np(start, end, step, dtype))
def _linspace_np(start, end, steps, dtype, layout, device, pin):
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return np.linspace(start, end, steps).astype(_np_dtype(dtype))


_linspace = defop(f"linspace(Scalar start, Scalar end, int steps, {_FACTORY_TAIL}) -> Tensor",
                  _linspace_np)
_eye = defop(f"eye.m(SymInt n, SymInt m, {_FACTORY_TAIL}) -> Tensor",
             lambda n, m, dtype, layout, device, pin: np.eye(n, m, dtype=_np_dtype(dtype)))
_rand = defop(f"rand(SymInt[] size, *, Generator? generator=None, ScalarType? dtype=None, "
              "Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
              lambda size, gen, dtype, layout, device, pin:
              (gen or _gen[0]).random(tuple(size)).astype(_np_dtype(dtype)))
_randn = defop(f"randn(SymInt[] size, *, Generator? generator=None, ScalarType? dtype=None, "
               "Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
               lambda size, gen, dtype, layout, device, pin:
               (gen or _gen[0]).standard_normal(tuple(size)).astype(_np_dtype(dtype)))
_randint = defop(f"randint.low(SymInt low, SymInt high, SymInt[] size, *, "
                 "Generator? generator=None, ScalarType? dtype=None, Layout? layout=None, "
                 "Device? device=None, bool? pin_memory=None) -> Tensor",
                 lambda low, high, size, gen, dtype, layout, device, pin:
                 _randint_np(low, high, size, gen, dtype))


def _randint_np(low, high, size, gen, dtype):
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    return (gen or _gen[0]).integers(low, high, tuple(size)).astype(_np_dtype(dtype, D.int64))


def zeros(*size, dtype=None, device=None, requires_grad=False, layout=None, out=None):
    return _finish(_zeros(_size(size), dtype=dtype), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, layout=None, out=None):
    return _finish(_ones(_size(size), dtype=dtype), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, layout=None, memory_format=None):
    return _finish(_empty(_size(size), dtype=dtype), requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None):
    return _finish(_full(tuple(size), fill_value, dtype=dtype), requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    return _finish(_arange(start, end, step, dtype=dtype), requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    return _finish(_linspace(start, end, steps, dtype=dtype), requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    return _finish(_eye(n, n if m is None else m, dtype=dtype), requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    return _finish(_rand(_size(size), generator=generator, dtype=dtype), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    return _finish(_randn(_size(size), generator=generator, dtype=dtype), requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False):
    if size is None:
        low, high, size = 0, low, high
    return _finish(_randint(low, high, tuple(size), generator=generator, dtype=dtype),
                   requires_grad)


def scalar_tensor(value, *, dtype=None, device=None, requires_grad=False):
    return full((), value, dtype=dtype or D.get_default_dtype(), requires_grad=requires_grad)


def _like(fn):
    def like(input, *args, dtype=None, device=None, requires_grad=False, layout=None,
             memory_format=None):
        return fn(input.shape, *args, dtype=dtype or input.dtype, requires_grad=requires_grad)
    return like


zeros_like = _like(lambda shape, dtype, requires_grad: zeros(shape, dtype=dtype,
                                                             requires_grad=requires_grad))
ones_like = _like(lambda shape, dtype, requires_grad: ones(shape, dtype=dtype,
                                                           requires_grad=requires_grad))
empty_like = _like(lambda shape, dtype, requires_grad: empty(shape, dtype=dtype,
                                                             requires_grad=requires_grad))


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
              memory_format=None):
    return full(input.shape, fill_value, dtype=dtype or input.dtype, requires_grad=requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False):
    return rand(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False):
    return randn(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randint_like(input, low, high=None, *, dtype=None, device=None, requires_grad=False):
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype)


def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)


method("new_tensor", new_tensor)
method("new_zeros", lambda self, *size, dtype=None, device=None, requires_grad=False:
       zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad))
method("new_ones", lambda self, *size, dtype=None, device=None, requires_grad=False:
       ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad))
method("new_empty", lambda self, *size, dtype=None, device=None, requires_grad=False:
       empty(*size, dtype=dtype or self.dtype, requires_grad=requires_grad))
method("new_full", lambda self, size, fill_value, dtype=None, device=None, requires_grad=False:
       full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad))
