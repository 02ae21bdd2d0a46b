"""dtypes with PyTorch's names, and PyTorch's type-promotion rules.

Note [Promotion is PyTorch's, not numpy's]
    numpy and PyTorch disagree in places: an int64 tensor plus a Python float is float64 in
    numpy but float32 (the default dtype) in PyTorch; an int tensor divided by an int tensor
    is float32 in PyTorch. Every op computes its result dtype with :func:`result_type` and
    asks numpy for exactly that dtype.

PyTorch's rule, in our words: operands fall in three tiers — tensors with at least one
dimension, 0-dim tensors, and Python numbers. Promote within each tier. Start from the first
non-empty tier; a later tier only matters when its *category* (bool < integer < floating <
complex) is higher, in which case a 0-dim tensor contributes its own dtype and a Python number
contributes the default dtype of its category (float32 for floats, int64 for ints).
"""

from __future__ import annotations

import builtins

import numpy as np

# The module defines torch's aliases `int`, `float`, `bool_`...; keep Python's types at hand.
_pyint, _pyfloat, _pybool = builtins.int, builtins.float, builtins.bool

__all__ = ["dtype", "float16", "float32", "float64", "half", "float", "double", "int8", "int16",
           "int32", "int64", "short", "int", "long", "uint8", "bool_", "complex64",
           "complex128", "cfloat", "cdouble",
           "result_type", "promote_types", "get_default_dtype", "set_default_dtype",
           "to_dtype", "from_numpy_dtype"]


class dtype:
    """A tensor element type (``tensor.float32``...). ``repr`` matches PyTorch's."""

    __slots__ = ("name", "np", "category", "is_floating_point", "is_complex", "is_signed",
                 "itemsize", "legacy", "short")

    def __init__(self, name, np_dtype, category, legacy, short):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category   # 0 bool, 1 int, 2 float, 3 complex
        self.is_floating_point = category == 2
        self.is_complex = category == 3
        self.is_signed = self.np.kind in "ifc"
        self.itemsize = self.np.itemsize
        self.legacy = legacy       # "Float" as in torch.FloatTensor
        self.short = short         # "Float" as in "result type Float can't be cast..."

    def __repr__(self):
        return f"torch.{self.name}"

    def __reduce__(self):
        return (to_dtype, (self.name,))

    def to_real(self):
        return {"complex64": float32, "complex128": float64}.get(self.name, self)

    def to_complex(self):
        return {"float32": complex64, "float64": complex128, "float16": complex64}.get(
            self.name, self)


bool_ = dtype("bool", np.bool_, 0, "Bool", "Bool")
uint8 = dtype("uint8", np.uint8, 1, "Byte", "Byte")
int8 = dtype("int8", np.int8, 1, "Char", "Char")
int16 = dtype("int16", np.int16, 1, "Short", "Short")
int32 = dtype("int32", np.int32, 1, "Int", "Int")
int64 = dtype("int64", np.int64, 1, "Long", "Long")
float16 = dtype("float16", np.float16, 2, "Half", "Half")
float32 = dtype("float32", np.float32, 2, "Float", "Float")
float64 = dtype("float64", np.float64, 2, "Double", "Double")
complex64 = dtype("complex64", np.complex64, 3, "ComplexFloat", "ComplexFloat")
complex128 = dtype("complex128", np.complex128, 3, "ComplexDouble", "ComplexDouble")

half, float, double = float16, float32, float64  # noqa: A001 - torch's aliases
short, int, long = int16, int32, int64           # noqa: A001
cfloat, cdouble = complex64, complex128

_ALL = [bool_, uint8, int8, int16, int32, int64, float16, float32, float64,
        complex64, complex128]
_BY_NAME = {d.name: d for d in _ALL}
_BY_NP = {d.np: d for d in _ALL}

_default = [float32]


def get_default_dtype() -> dtype:
    return _default[0]


def set_default_dtype(d: dtype) -> None:
    if d not in (float16, float32, float64):
        raise TypeError(f"only floating-point types are supported as the default type, "
                        f"got {d!r}")
    _default[0] = d


def to_dtype(x) -> dtype:
    """Accept our dtypes, numpy dtypes/types, Python types and names."""
    if isinstance(x, dtype):
        return x
    if x is None:
        return get_default_dtype()
    if x is _pybool:
        return bool_
    if x is _pyint:
        return int64
    if x is _pyfloat:           # (PyTorch: Python's float is double, whatever the default)
        return float64
    if x is complex:
        return complex128
    if isinstance(x, str):
        name = x.replace("torch.", "")
        if name in _BY_NAME:
            return _BY_NAME[name]
        alias = {"float": float32, "double": float64, "half": float16, "long": int64,
                 "int": int32, "short": int16, "bool": bool_, "cfloat": complex64}
        if name in alias:
            return alias[name]
    try:
        return _BY_NP[np.dtype(x)]
    except (TypeError, KeyError):
        raise TypeError(f"cannot interpret {x!r} as a dtype") from None


def from_numpy_dtype(d) -> dtype:
    try:
        return _BY_NP[np.dtype(d)]
    except KeyError:
        raise TypeError(f"can't convert np.ndarray of type {np.dtype(d)}. The only supported "
                        f"types are: float64, float32, float16, complex64, complex128, int64, "
                        f"int32, int16, int8, uint8, and bool.") from None


# promote_types table: within one category numpy's promotion agrees with PyTorch's (uint8 with
# int8 gives int16 in both), and so it does between floating and complex (complex64 with
# float64 is complex128); otherwise across categories PyTorch keeps the higher category's
# dtype (int64 with float16 is float16, complex64 with int64 complex64), where numpy widens.
_PROMO: dict[tuple[dtype, dtype], dtype] = {}
for _a in _ALL:
    for _b in _ALL:
        if _a.category <= 1 and _b.category <= 1 or _a.category == _b.category or \
                {_a.category, _b.category} == {2, 3}:
            r = _BY_NP[np.promote_types(_a.np, _b.np)]
        else:
            hi, lo = (_a, _b) if _a.category > _b.category else (_b, _a)
            r = hi
        _PROMO[(_a, _b)] = r
del _a, _b


def promote_types(a: dtype, b: dtype) -> dtype:
    return _PROMO[(a, b)]


def _scalar_dtype(x) -> dtype:
    t = type(x)
    if t is _pybool or t is np.bool_:
        return bool_
    if t is _pyint:
        return int64
    if t is _pyfloat:
        return float64   # category marker; see result_type
    if t is complex:
        return complex128
    if isinstance(x, np.generic):
        return from_numpy_dtype(x.dtype)
    raise TypeError(f"unsupported operand type {type(x).__name__}")


def result_type(*operands) -> dtype:
    """PyTorch's result dtype for ``operands`` (tensors and Python numbers)."""
    dim_t = zero_t = num = None
    for x in operands:
        d = getattr(x, "dtype", None)
        if isinstance(d, dtype) and hasattr(x, "_data"):
            if x._data.ndim:
                dim_t = d if dim_t is None else _PROMO[(dim_t, d)]
            else:
                zero_t = d if zero_t is None else _PROMO[(zero_t, d)]
        elif x is None:
            continue
        else:
            d = _scalar_dtype(x)
            num = d if num is None else _PROMO[(num, d)]
    if num is not None:
        num = _number_default(num)
    return _combine(dim_t, _combine(zero_t, num))


def _combine(higher, lower):
    """PyTorch's ``combine_categories``: ``higher`` (from a higher priority kind of operand:
    n-dim tensors over 0-dim ones over numbers) keeps its dtype unless ``lower`` is of a higher
    category; a complex ``lower`` then takes ``higher``'s precision if ``higher`` is floating
    (float32 tensor * 1j is complex64 whatever the default dtype)."""
    if higher is None:
        return lower
    if lower is None or higher.category == 3:
        return higher
    if lower.category == 3:
        return higher.to_complex() if higher.category == 2 else lower
    if higher.category == 2:
        return higher
    if higher.category == 0 or lower.category == 2:
        return _PROMO[(higher, lower)]
    return higher


def _number_default(num: dtype) -> dtype:
    if num.category == 2:
        return get_default_dtype()
    if num.category == 3:
        return complex128 if get_default_dtype() is float64 else complex64
    return num


def can_cast(src: dtype, dst: dtype) -> bool:
    """In-place ops may not narrow the category (float result into an int tensor)."""
    return src.category <= dst.category
