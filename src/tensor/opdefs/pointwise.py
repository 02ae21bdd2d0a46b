"""Pointwise ops: each declared once (functional, in-place and out= forms come from one entry).

Derivative formulas follow PyTorch's ``derivatives.yaml`` in content (they are mathematical
facts), written here with our own ops.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._defop import defop, method
from .._tensor import Tensor
from ._util import (broadcast_error, check_inplace_result, check_no_overlap, np_result_type,
                    shape_of)

_nd = np.ndarray


def _asarr(r):
    return r if type(r) is _nd else np.asarray(r)


def _binary_kernel(ufunc, result_dtype=None):
    """numpy kernel for a binary op with PyTorch's promotion and broadcast errors."""
    def kernel(a, b):
        if type(a) is _nd and result_dtype is None:
            tb = type(b)
            if tb is _nd:
                if a.dtype == b.dtype:
                    try:
                        return _asarr(ufunc(a, b))
                    except ValueError:
                        raise broadcast_error(a.shape, b.shape) from None
            elif (tb is float or tb is int) and a.dtype.kind == "f":
                # a Python number never changes a floating tensor's dtype (it is the weakest
                # operand in PyTorch's promotion), and numpy 2 agrees for floats
                return _asarr(ufunc(a, b))
        if a is None or b is None:
            raise TypeError(f"unsupported operand type(s) for {ufunc.__name__}: "
                            f"'{'NoneType' if a is None else 'Tensor'}' and "
                            f"'{'NoneType' if b is None else 'Tensor'}'")
        dt = np_result_type(a, b)
        if result_dtype is not None:
            dt = result_dtype(dt)
        try:
            return _asarr(ufunc(a, b, dtype=dt) if dt.kind != "b" or ufunc in _BOOL_OK
                          else ufunc(a, b).astype(dt))
        except ValueError:
            raise broadcast_error(shape_of(a), shape_of(b)) from None
        except TypeError:
            return _asarr(ufunc(np.asarray(a, dt), np.asarray(b, dt)))
    kernel.ufunc = ufunc if result_dtype is None else None
    return kernel


_BOOL_OK = {np.logical_and, np.logical_or, np.logical_xor, np.bitwise_and, np.bitwise_or,
            np.bitwise_xor, np.maximum, np.minimum, np.equal, np.not_equal, np.less,
            np.less_equal, np.greater, np.greater_equal}


def _with_alpha(np_kernel):
    """``a op (alpha * b)``; with ``alpha == 1`` it is just the binary kernel."""
    def functional(a, b, al):
        if al == 1:
            return np_kernel(a, b)
        dt = np_result_type(a, b)
        if isinstance(al, float) and dt.kind not in "fc":
            raise RuntimeError(f"For integral input tensors, argument alpha must not be a "
                               f"floating point number.")
        return np_kernel(a, b * al if type(b) is _nd else np.asarray(b * al, dtype=dt)
                         if type(b) is not _nd else b)
    return functional


def _float_dtype(dt):
    """Ops that always produce floating results (true division, exp of ints...)."""
    return dt if dt.kind in "fc" else D.get_default_dtype().np


def _inplace(functional, ufunc=None, alpha=False):
    """In-place kernel from a functional one: compute, validate, then write (so a failed op
    changes nothing).

    Note [In-place straight into self]: for a ufunc whose result would have ``self``'s shape
    and dtype (the usual case, e.g. ``p -= lr * p.grad``), everything is validated first and
    the ufunc then writes into ``self`` directly — one pass over memory instead of computing a
    temporary and copying it in.
    """
    def kernel(self, *rest):
        check_no_overlap(self, rest)
        if ufunc is not None:
            other = rest[0]
            al = rest[1] if alpha else 1
            if alpha and isinstance(al, float) and self.dtype.kind in "iub":
                raise RuntimeError("For integral input tensors, argument alpha must not be a "
                                   "floating point number.")
            t = type(other)
            if t is _nd and other.dtype == self.dtype or \
                    (t is float or t is int) and self.dtype.kind == "f":
                if t is _nd and other.shape != self.shape:
                    try:
                        shape = np.broadcast_shapes(self.shape, other.shape)
                    except ValueError:
                        raise broadcast_error(self.shape, other.shape) from None
                    check_inplace_result(self, shape, self.dtype)
                if al != 1:
                    other = other * al
                    if type(other) is _nd and other.dtype != self.dtype:
                        other = other.astype(self.dtype)
                ufunc(self, other, out=self)
                return
        r = functional(self, *rest)
        check_inplace_result(self, r.shape, r.dtype)
        np.copyto(self, r, casting="unsafe")
    return kernel


def _out(functional):
    def kernel(*args):
        out = args[-1]
        check_no_overlap(out, args[:-1])
        r = functional(*args[:-1])
        _write_out(out, r)
    return kernel


def _write_out(out, r):
    if out.shape != r.shape:
        if out.size != 0:
            import warnings
            warnings.warn(f"An output with one or more elements was resized since it had shape "
                          f"{list(out.shape)}, which does not match the required output shape "
                          f"{list(r.shape)}.", UserWarning, stacklevel=4)
        raise RuntimeError(
            f"out= tensor has shape {list(out.shape)} but the result has shape {list(r.shape)}; "
            "tensorkeys does not resize out= tensors. Hint: allocate out with the result's "
            "shape (e.g. torch.empty(result_shape)).")
    check_inplace_result(out, r.shape, r.dtype)
    np.copyto(out, r, casting="unsafe")


def binary(name, np_kernel, grad, *, alpha=False, inplace=True, out=True, node=None,
           overload="Tensor", dunder=None, rdunder=None, fn=True):
    """Declare ``name``, ``name_`` and ``name.out`` from one numpy kernel and one formula set."""
    tail = ", *, Scalar alpha=1" if alpha else ""
    if alpha:
        functional = _with_alpha(np_kernel)
    else:
        functional = np_kernel
    ov = f".{overload}" if overload else ""
    f = defop(f"{name}{ov}(Tensor self, Tensor other{tail}) -> Tensor", functional, grad=grad,
              node_name=node)
    ops = {"f": f}
    if inplace:
        ops["i"] = defop(f"{name}_{ov}(Tensor(a!) self, Tensor other{tail}) -> Tensor(a!)",
                         _inplace(functional, getattr(np_kernel, "ufunc", None), alpha),
                         grad=grad, node_name=node)
        method(f"{name}_", ops["i"])
    if out:
        otail = (tail + ", Tensor(a!) out") if alpha else ", *, Tensor(a!) out"
        ops["o"] = defop(f"{name}.out(Tensor self, Tensor other{otail}) -> Tensor(a!)",
                         _out(functional))
    method(name, f)
    if dunder:
        for d in dunder:
            method(d, f)
    if rdunder:
        method(rdunder, lambda self, other, _f=f: _f(other, self))
    return ops


def unary(name, np_fn, grad, *, floating=True, inplace=True, out=True, node=None,
          bool_ok=False, int_keep=False, via=None):
    """Declare a unary op family. ``floating``: integer inputs give default-float results."""
    def functional(a, _f=np_fn):
        if floating and a.dtype.kind not in "fc":
            a = a.astype(D.get_default_dtype().np)
        return _asarr(_f(a))
    f = defop(f"{name}(Tensor self) -> Tensor", functional, grad=grad, node_name=node, via=via)
    ops = {"f": f}
    if inplace:
        ops["i"] = defop(f"{name}_(Tensor(a!) self) -> Tensor(a!)", _inplace(functional),
                         grad=grad, node_name=node)
        method(f"{name}_", ops["i"])
    if out:
        ops["o"] = defop(f"{name}.out(Tensor self, *, Tensor(a!) out) -> Tensor(a!)",
                         _out(functional))
    method(name, f)
    return ops


def _true_divide(a, b):
    dt = _float_dtype(np_result_type(a, b))
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            return _asarr(np.true_divide(a, b, dtype=dt))
    except ValueError:
        raise broadcast_error(shape_of(a), shape_of(b)) from None


add = binary("add", _binary_kernel(np.add),
             {"self": "grad", "other": "grad if alpha == 1 else grad * alpha"}, alpha=True,
             dunder=("__add__",), rdunder="__radd__")
sub = binary("sub", _binary_kernel(np.subtract),
             {"self": "grad", "other": "-grad if alpha == 1 else grad * (-alpha)"}, alpha=True,
             dunder=("__sub__",), rdunder="__rsub__")
mul = binary("mul", _binary_kernel(np.multiply),
             {"self": "grad * other", "other": "grad * self"},
             dunder=("__mul__",), rdunder="__rmul__")
div = binary("div", _true_divide,
             {"self": "grad / other", "other": "-grad * self / (other * other)"},
             dunder=("__truediv__",), rdunder="__rtruediv__")


def _int_zero_division(b, dt):
    """PyTorch refuses integer division by zero (numpy would return garbage)."""
    if dt.kind in "iub" and np.any(np.asarray(b) == 0):
        raise RuntimeError("ZeroDivisionError")


def _div_mode(a, b, rounding_mode):
    if rounding_mode is None:
        return _true_divide(a, b)
    dt = np_result_type(a, b)
    _int_zero_division(b, dt)
    try:
        np.broadcast_shapes(shape_of(a), shape_of(b))
    except ValueError:
        raise broadcast_error(shape_of(a), shape_of(b)) from None
    with np.errstate(divide="ignore", invalid="ignore"):
        if rounding_mode == "trunc":
            r = np.trunc(np.true_divide(a, b)) if dt.kind == "f" else \
                _asarr(np.trunc(np.true_divide(a, b)))
        elif rounding_mode == "floor":
            r = np.floor_divide(a, b) if dt.kind != "f" else np.floor(np.true_divide(a, b))
        else:
            raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or "
                               f"'floor' but found '{rounding_mode}'")
    return _asarr(r).astype(dt, copy=False)


div_mode = defop("div.Tensor_mode(Tensor self, Tensor other, *, str? rounding_mode) -> Tensor",
                 _div_mode, grad={"self": "grad * 0 if rounding_mode else grad / other",
                                  "other": "grad * 0 if rounding_mode else "
                                           "-grad * self / (other * other)"},
                 node_name="DivBackward2")
div_mode_ = defop("div_.Tensor_mode(Tensor(a!) self, Tensor other, *, str? rounding_mode) -> "
                  "Tensor(a!)", _inplace(_div_mode),
                  grad={"self": "grad * 0 if rounding_mode else grad / other",
                        "other": "grad * 0 if rounding_mode else -grad * self / (other * other)"},
                  node_name="DivBackward2")


def _div_dispatch(self, other, *, rounding_mode=None, out=None):
    if out is not None:
        return div["o"](self, other, out=out)
    if rounding_mode is None:
        return div["f"](self, other)
    return div_mode(self, other, rounding_mode=rounding_mode)


def _div_inplace_dispatch(self, other, *, rounding_mode=None):
    if rounding_mode is None:
        return div["i"](self, other)
    return div_mode_(self, other, rounding_mode=rounding_mode)


method("div", _div_dispatch)
method("divide", _div_dispatch)
method("true_divide", lambda self, other: div["f"](self, other))
method("div_", _div_inplace_dispatch)
method("__floordiv__", lambda self, other: div_mode(self, other, rounding_mode="floor"))
method("__rfloordiv__", lambda self, other: div_mode(other, self, rounding_mode="floor"))

# dunder in-place operators go through the in-place ops (they bump versions, are checked)
for _op, _name in (("add", "__iadd__"), ("sub", "__isub__"), ("mul", "__imul__"),
                   ("div", "__itruediv__")):
    method(_name, {"add": add, "sub": sub, "mul": mul, "div": div}[_op]["i"])


def _pow_np(a, b):
    dt = np_result_type(a, b)
    try:
        np.broadcast_shapes(shape_of(a), shape_of(b))
    except ValueError:
        raise broadcast_error(shape_of(a), shape_of(b)) from None
    if dt.kind in "iu" and np.any(np.asarray(b) < 0):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _asarr(np.power(a, b, dtype=dt))


pow_ = binary("pow", _pow_np,
              {"self": "grad * other * self.pow(other - 1) if not isinstance(other, Tensor) "
                       "else grad * other * where(other == 0, zeros_like(self), "
                       "self.pow(other - 1))",
               "other": "grad * result * where(self == 0, zeros_like(self), self.abs().log())"},
              overload="Tensor_Tensor", node="PowBackward1", inplace=False)

# A Python-number exponent is a Scalar, not a wrapped tensor: it brings no dispatch keys, so
# an inference tensor requiring grad does not record ``c.pow(2)`` (PyTorch's Tensor_Scalar).
pow_scalar = defop("pow.Tensor_Scalar(Tensor self, Scalar exponent) -> Tensor", _pow_np,
                   grad={"self": "grad * exponent * self.pow(exponent - 1) if exponent != 0 "
                                 "else grad * 0"}, node_name="PowBackward0")
pow_scalar_ = defop("pow_.Scalar(Tensor(a!) self, Scalar exponent) -> Tensor(a!)",
                    _inplace(_pow_np),
                    grad={"self": "grad * exponent * self.pow(exponent - 1) if exponent != 0 "
                                  "else grad * 0"}, node_name="PowBackward0")
pow_tensor_ = defop("pow_.Tensor(Tensor(a!) self, Tensor exponent) -> Tensor(a!)",
                    _inplace(_pow_np),
                    grad={"self": "grad * exponent * where(exponent == 0, zeros_like(self), "
                                  "self.pow(exponent - 1))",
                          "exponent": "grad * result * where(self == 0, zeros_like(self), "
                                      "self.abs().log())"}, node_name="PowBackward1")
pow_scalar_base = defop("pow.Scalar(Scalar self, Tensor exponent) -> Tensor", _pow_np,
                        grad={"exponent": "grad * result * math.log(self) if self > 0 else "
                                          "grad * result * float('nan')"},
                        node_name="PowBackward2")


def _is_number(x):
    return isinstance(x, (int, float, bool, complex)) and not isinstance(x, Tensor)


def _pow_method(self, exponent):
    if _is_number(exponent):
        return pow_scalar(self, exponent)
    return pow_["f"](self, exponent)


def _pow_inplace(self, exponent):
    if _is_number(exponent):
        return pow_scalar_(self, exponent)
    return pow_tensor_(self, exponent)


method("pow", _pow_method)
method("__pow__", _pow_method)
method("pow_", _pow_inplace)
method("__ipow__", _pow_inplace)
method("__rpow__", lambda self, base: pow_scalar_base(base, self) if _is_number(base)
       else pow_["f"](base, self))
method("square", lambda self: _pow_method(self, 2))

neg = unary("neg", np.negative, {"self": "-grad"}, floating=False)
method("__neg__", neg["f"])
method("negative", neg["f"])
exp = unary("exp", np.exp, {"self": "grad * result"})
log = unary("log", np.log, {"self": "grad / self"})
log1p = unary("log1p", np.log1p, {"self": "grad / (self + 1)"})
log2 = unary("log2", np.log2, {"self": "grad / (self * 0.6931471805599453)"})
sqrt = unary("sqrt", np.sqrt, {"self": "grad / (2 * result)"})
rsqrt = unary("rsqrt", lambda a: 1 / np.sqrt(a), {"self": "-0.5 * grad * result.pow(3)"})
sin = unary("sin", np.sin, {"self": "grad * self.cos()"})
cos = unary("cos", np.cos, {"self": "grad * -self.sin()"})
tan = unary("tan", np.tan, {"self": "grad * (1 + result * result)"})
tanh = unary("tanh", np.tanh, {"self": "grad * (1 - result * result)"})
sigmoid = unary("sigmoid", lambda a: _sigmoid(a), {"self": "grad * result * (1 - result)"})
# via: PyTorch's abs kernel writes through abs.out (Note [Kernels that re-enter the dispatcher])
abs_ = unary("abs", np.abs, {"self": "grad * self.sign()"}, floating=False,
             via=("out", "abs", 1))
method("__abs__", abs_["f"])
method("absolute", abs_["f"])
relu = unary("relu", lambda a: np.maximum(a, 0),   # numpy 2: a Python 0 keeps the dtype
             {"self": "grad * (result > 0)"}, floating=False, out=False)
sign = unary("sign", np.sign, {"self": "grad * 0"}, floating=False)
floor = unary("floor", np.floor, {"self": "grad * 0"}, floating=False)
ceil = unary("ceil", np.ceil, {"self": "grad * 0"}, floating=False)
trunc = unary("trunc", np.trunc, {"self": "grad * 0"}, floating=False)
reciprocal = unary("reciprocal", lambda a: 1 / a, {"self": "-grad * result * result"})
_verf = np.frompyfunc(math.erf, 1, 1)
erf = unary("erf", lambda a: np.asarray(_verf(a), dtype=a.dtype),
            {"self": "grad * 1.1283791670955126 * (-(self * self)).exp()"})
silu = unary("silu", lambda a: a * _sigmoid(a),
             {"self": "grad * self.sigmoid() * (1 + self * (1 - self.sigmoid()))"}, out=False)


def _sigmoid(a):
    with np.errstate(over="ignore"):
        return (1 / (1 + np.exp(-a))).astype(a.dtype, copy=False)


def _gelu_np(a, approximate):
    if approximate == "tanh":
        k = math.sqrt(2 / math.pi)
        return (0.5 * a * (1 + np.tanh(k * (a + 0.044715 * a ** 3)))).astype(a.dtype)
    from math import erf
    verf = np.vectorize(erf, otypes=[np.float64])
    return (0.5 * a * (1 + verf(a / math.sqrt(2)))).astype(a.dtype)


gelu = defop('gelu(Tensor self, *, str approximate="none") -> Tensor', _gelu_np,
             grad={"self": "grad * gelu_derivative(self, approximate)"})
method("gelu", gelu)


def _round_np(a, decimals):
    return _asarr(np.round(a, decimals)) if a.dtype.kind in "fc" else a.copy()


round_ = defop("round.decimals(Tensor self, *, int decimals=0) -> Tensor", _round_np,
               grad={"self": "grad * 0"})
method("round", round_)
round_i = defop("round_.decimals(Tensor(a!) self, *, int decimals=0) -> Tensor(a!)",
                _inplace(_round_np), grad={"self": "grad * 0"}, node_name="RoundBackward0")
method("round_", round_i)


def _clamp_np(a, lo, hi):
    if lo is None and hi is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    dt = np_result_type(a, *(x for x in (lo, hi) if x is not None))
    r = a
    if lo is not None:
        r = np.maximum(r, lo)
    if hi is not None:
        r = np.minimum(r, hi)
    return _asarr(r).astype(dt, copy=False)


_CLAMP_GRAD = {"self": "grad * clamp_mask(self, min, max)"}
clamp = defop("clamp(Tensor self, Scalar? min=None, Scalar? max=None) -> Tensor", _clamp_np,
              grad=_CLAMP_GRAD)
clamp_i = defop("clamp_(Tensor(a!) self, Scalar? min=None, Scalar? max=None) -> Tensor(a!)",
                _inplace(_clamp_np), grad=_CLAMP_GRAD)
method("clamp", clamp)
method("clip", clamp)
method("clamp_", clamp_i)
method("clamp_min", lambda self, min: clamp(self, min, None))
method("clamp_max", lambda self, max: clamp(self, None, max))


def _where_np(cond, a, b):
    dt = np_result_type(a, b)
    try:
        return _asarr(np.where(cond, a, b)).astype(dt, copy=False)
    except ValueError:
        raise broadcast_error(shape_of(cond),
                              np.broadcast_shapes(shape_of(a), shape_of(b))) from None


where = defop("where.self(Tensor condition, Tensor self, Tensor other) -> Tensor", _where_np,
              grad={"self": "where(condition, grad, 0.0)",
                    "other": "where(condition, 0.0, grad)"})
method("where", lambda self, condition, other: where(condition, self, other))

maximum = binary("maximum", _binary_kernel(np.maximum),
                 {"self": "grad * minmax_mask(self, other, True)",
                  "other": "grad * minmax_mask(other, self, False)"},
                 overload="", inplace=False)
minimum = binary("minimum", _binary_kernel(np.minimum),
                 {"self": "grad * minmax_mask(self, other, True, lt=True)",
                  "other": "grad * minmax_mask(other, self, False, lt=True)"},
                 overload="", inplace=False)


def _bool_result(dt):
    return np.dtype(np.bool_)


_CMP = {}
for _name, _uf, _dunder in (("eq", np.equal, "__eq__"), ("ne", np.not_equal, "__ne__"),
                            ("lt", np.less, "__lt__"), ("le", np.less_equal, "__le__"),
                            ("gt", np.greater, "__gt__"), ("ge", np.greater_equal, "__ge__")):
    def _cmp(a, b, _uf=_uf):
        try:
            return _asarr(_uf(a, b))
        except ValueError:
            raise broadcast_error(shape_of(a), shape_of(b)) from None
    _CMP[_name] = binary(_name, _cmp, None, dunder=(_dunder,))
for _alias, _name in (("greater", "gt"), ("less", "lt"), ("greater_equal", "ge"),
                      ("less_equal", "le"), ("not_equal", "ne")):
    setattr(__import__("tensor._tensor", fromlist=["Tensor"]).Tensor, _alias,
            getattr(__import__("tensor._tensor", fromlist=["Tensor"]).Tensor, _name))


def _logical(uf):
    def k(a, b):
        try:
            return _asarr(uf(a, b))
        except ValueError:
            raise broadcast_error(shape_of(a), shape_of(b)) from None
    return k


logical_and = binary("logical_and", _logical(np.logical_and), None, overload="")
logical_or = binary("logical_or", _logical(np.logical_or), None, overload="")
logical_xor = binary("logical_xor", _logical(np.logical_xor), None, overload="")
logical_not = defop("logical_not(Tensor self) -> Tensor", lambda a: _asarr(np.logical_not(a)),
                    via=("write", 1))
method("logical_not", logical_not)


def _bitwise(uf, name):
    def k(a, b):
        dt = np_result_type(a, b)
        if dt.kind == "f":
            raise RuntimeError(f'"{name}_cpu" not implemented for \'Float\'')
        try:
            np.broadcast_shapes(shape_of(a), shape_of(b))
        except ValueError:
            raise broadcast_error(shape_of(a), shape_of(b)) from None
        return _asarr(uf(a, b)).astype(dt, copy=False)
    return k


bitwise_and = binary("bitwise_and", _bitwise(np.bitwise_and, "bitwise_and"), None,
                     dunder=("__and__",), rdunder="__rand__")
bitwise_or = binary("bitwise_or", _bitwise(np.bitwise_or, "bitwise_or"), None,
                    dunder=("__or__",), rdunder="__ror__")
bitwise_xor = binary("bitwise_xor", _bitwise(np.bitwise_xor, "bitwise_xor"), None,
                     dunder=("__xor__",), rdunder="__rxor__")
bitwise_not = defop("bitwise_not(Tensor self) -> Tensor",
                    lambda a: _asarr(np.logical_not(a) if a.dtype.kind == "b" else np.invert(a)))
method("bitwise_not", bitwise_not)
method("__invert__", bitwise_not)


def _remainder_np(a, b):
    dt = np_result_type(a, b)
    _int_zero_division(b, dt)
    try:
        np.broadcast_shapes(shape_of(a), shape_of(b))
    except ValueError:
        raise broadcast_error(shape_of(a), shape_of(b)) from None
    return _asarr(np.remainder(a, b)).astype(dt, copy=False)


remainder = binary("remainder", _remainder_np,
                   {"self": "grad", "other": "-grad * self.div(other, rounding_mode='floor')"},
                   dunder=("__mod__",), rdunder="__rmod__")


# -- comparisons of whole tensors and float classification ---------------------------------
def _isclose_np(a, b, rtol, atol, equal_nan):
    try:
        return _asarr(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))
    except ValueError:
        raise broadcast_error(shape_of(a), shape_of(b)) from None


isclose = defop("isclose(Tensor self, Tensor other, float rtol=1e-05, float atol=1e-08, "
                "bool equal_nan=False) -> Tensor", _isclose_np)
method("isclose", isclose)
method("allclose", lambda self, other, rtol=1e-05, atol=1e-08, equal_nan=False:
       bool(isclose(self, other, rtol, atol, equal_nan).all()))
method("equal", lambda self, other: tuple(self.shape) == tuple(other.shape)
       and bool((self == other).all()))
for _name, _fn in (("isnan", np.isnan), ("isinf", np.isinf), ("isfinite", np.isfinite)):
    method(_name, defop(f"{_name}(Tensor self) -> Tensor", lambda a, _f=_fn: _asarr(_f(a))))


# In-place operator forms: without them Python would fall back to the out-of-place op and
# rebind the name, leaving the tensor (and its version) untouched.
method("__imod__", remainder["i"])
method("__iand__", bitwise_and["i"])
method("__ior__", bitwise_or["i"])
method("__ixor__", bitwise_xor["i"])
method("__ifloordiv__", lambda self, other: div_mode_(self, other, rounding_mode="floor"))


def _eq_any(self, other):
    return False if other is None else _CMP["eq"]["f"](self, other)


def _ne_any(self, other):
    return True if other is None else _CMP["ne"]["f"](self, other)


method("__eq__", _eq_any)
method("__ne__", _ne_any)
