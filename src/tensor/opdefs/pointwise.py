"""Pointwise ops: each declared once (functional, in-place and out= forms come from one entry).

Derivative formulas follow PyTorch's ``derivatives.yaml`` in content (they are mathematical
facts), written here with our own ops.

Note [Operands are cast to the computation dtype]
    PyTorch computes a binary op in one dtype (the promoted one, Note [Promotion is
    PyTorch's]) after casting every operand to it: a 0-dim int8 -5 meets a uint8 tensor as
    251, a Python int wraps into the tensor's integer dtype (``u8 + 300`` adds 44), and a
    comparison compares the cast values. numpy compares and divides the mathematical values,
    and (NEP 50) refuses a Python int outside the array's dtype, so every slow path here
    casts its operands first (``as_operand``); the fast paths only take operands for which
    numpy's own rule gives the same answer (one dtype, or a floating array and a Python
    number).
"""

from __future__ import annotations

import cmath
import math

import numpy as np

from ..errors import warn_user
from .. import _dtype as D
from .._defop import FORMULA_NS, OPS, defop, fast_path, method, quietly
from .._out import OutShapeMismatch
from .._tensor import Tensor
from ._util import (as_operand, broadcast_error, check_inplace_result, check_no_overlap,
                    check_py_int, checked_scalar, elementwise_layout, is_operand, keep_layout,
                    not_implemented, np_result_type, scalar_as, shape_of, type_name)

_nd = np.ndarray
_BY_NP = D._BY_NP
# ``x is _ONE``: the int 1 itself (CPython keeps one object per small int), not True, 1.0 or
# a numpy integer: the cheap test for "alpha was left at its default"
_ONE = 1
_FLOAT_DTYPES = frozenset(np.dtype(t) for t in (np.float16, np.float32, np.float64))
_IINFO = {np.dtype(t): (int(np.iinfo(t).min), int(np.iinfo(t).max))
          for t in (np.uint8, np.int8, np.int16, np.int32, np.int64)}


def _quiet(fn):
    """``fn()`` without numpy's warnings for out-of-domain inputs (PyTorch gives NaN/inf
    silently)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return fn()


def _asarr(r):
    return r if type(r) is _nd else np.asarray(r)


def _broadcast(*xs):
    """The broadcast shape of the operands (numbers count as 0-dim), or PyTorch's error."""
    shapes = [shape_of(x) for x in xs if x is not None]
    first = shapes[0]
    if all(s == first or not s for s in shapes):
        return first if first or len(shapes) == 1 else max(shapes, key=len)
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        if len(shapes) > 2:   # report the first pair that clashes
            acc = shapes[0]
            for s in shapes[1:]:
                try:
                    acc = np.broadcast_shapes(acc, s)
                except ValueError:
                    raise broadcast_error(acc, s) from None
        raise broadcast_error(*shapes) from None


# -- refusals of operands that are not tensors or numbers ----------------------------------
def _operator_error(symbol):
    """``t + None``: Python's own text for an operator whose operands do not fit."""
    def make(a, b):
        return TypeError(f"unsupported operand type(s) for {symbol}: '{type_name(a)}' and "
                         f"'{type_name(b)}'")
    return make


def _compare_error(symbol):
    def make(a, b):
        return TypeError(f"'{symbol}' not supported between instances of '{type_name(a)}' "
                         f"and '{type_name(b)}'")
    return make


def _tensor_only_error(name):
    """Ops whose signature takes two tensors (``maximum``, ``logical_and``): PyTorch refuses
    a Python number as well. (The position is the one of ``torch.<name>(input, other)``.)"""
    def make(a, b):
        if type(a) is not _nd:
            return TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                             f"{type(a).__name__}")
        # counted as in ``t.<name>(x)``; tensor/__init__ adds one for ``torch.<name>(t, x)``
        e = TypeError(f"{name}(): argument 'other' (position 1) must be Tensor, not "
                      f"{type(b).__name__}")
        e.method_form = True
        return e
    return make


def _is_bool(x):
    return x.dtype.kind == "b" if type(x) is _nd else isinstance(x, (bool, np.bool_))


# -- binary kernels ------------------------------------------------------------------------
def _binary_kernel(ufunc, bad, check=None, scalars=True, half_opmath=False):
    """numpy kernel for a binary op with PyTorch's promotion and broadcast errors. ``bad``
    makes the TypeError for operands that are not tensors or numbers, ``check(a, b)`` refuses
    operands the op does not take (sub on bools); ``scalars=False`` refuses Python numbers;
    ``half_opmath``: Note [float16 with a scalar operand]."""
    def slow(a, b):
        return _binary_slow(ufunc, bad, check, scalars, half_opmath, a, b)

    # the floating dtypes (numpy's dtype.char) for which numpy's handling of a Python number
    # is PyTorch's: it is cast to the tensor's dtype (NEP 50)
    chars = "fd" if half_opmath else "efd"

    if not scalars:
        def kernel(a, b):
            if type(a) is _nd and type(b) is _nd and a.dtype == b.dtype:
                try:
                    return _asarr(ufunc(a, b))
                except ValueError:
                    raise broadcast_error(a.shape, b.shape) from None
            return slow(a, b)
        return kernel

    def kernel(a, b):
        if type(a) is _nd:
            tb = type(b)
            if tb is _nd:
                if a.dtype == b.dtype:
                    try:
                        return _asarr(ufunc(a, b))
                    except ValueError:
                        raise broadcast_error(a.shape, b.shape) from None
                    except TypeError:   # no numpy loop (bool - bool): the slow path says why
                        pass
            elif (tb is float or tb is int and
                  -9223372036854775808 <= b < 18446744073709551616) and a.dtype.char in chars:
                # a Python number never changes a floating tensor's dtype (it is the weakest
                # operand in PyTorch's promotion) and numpy 2 casts it to that dtype too
                return _asarr(ufunc(a, b))
        return slow(a, b)
    kernel.ufunc = ufunc
    kernel.scalar_chars = chars
    return kernel


def _half_scalar(x):
    """Note [float16 with a scalar operand]
        PyTorch's mul and div kernels (true, floor and trunc division) take a CPU scalar
        operand — a Python number or a 0-dim tensor — out of the computation when the result
        is float16 and keep its value in float32: ``h * 0.1`` is ``float16(float32(h) *
        float32(0.1))``, not a product with 0.1 rounded to float16 first (add, sub, remainder,
        pow and comparisons do round it). This gives that float32 value, or None."""
    if type(x) is _nd:
        return x.astype(np.float32) if x.ndim == 0 else None
    return np.float32(x) if isinstance(x, (int, float, np.number)) else None


def _half_opmath(ufunc, a, s):
    """``ufunc(a, s)`` in float32 for a float16 result, ``s`` the float32 scalar."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        r = ufunc(as_operand(a, np.dtype(np.float16)).astype(np.float32), s)
        return _asarr(r).astype(np.float16)


def _binary_slow(ufunc, bad, check, scalars, half_opmath, a, b):
    if not scalars:
        if type(a) is not _nd or type(b) is not _nd:
            raise bad(a, b)
    elif not (is_operand(a) and is_operand(b)):
        raise bad(a, b)
    if check is not None:
        check(a, b)
    # an integer tensor and a Python int of its dtype's range: numpy's own rule agrees
    ta, tb = type(a), type(b)
    if ta is _nd and tb is int and a.dtype.kind in "iu" or \
            tb is _nd and ta is int and b.dtype.kind in "iu":
        try:
            return _asarr(ufunc(a, b))
        except OverflowError:   # outside the dtype's range: cast (wrap) below
            pass
    dt = np_result_type(a, b)
    if half_opmath and dt == np.float16:
        sb = _half_scalar(b)
        if sb is not None:
            return _half_opmath(ufunc, a, sb)
        sa = _half_scalar(a)
        if sa is not None:          # (mul commutes)
            return _half_opmath(ufunc, b, sa)
    A, B = as_operand(a, dt), as_operand(b, dt)
    try:
        return _asarr(ufunc(A, B))
    except ValueError:
        raise broadcast_error(shape_of(a), shape_of(b)) from None


SUB_BOOL2 = ("Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
             "`^` or `logical_xor()` operator instead.")
SUB_BOOL1 = ("Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
             "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
NEG_BOOL = ("Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead.")


def _sub_check(a, b):
    ba, bb = _is_bool(a), _is_bool(b)
    if ba and bb:
        raise RuntimeError(SUB_BOOL2)
    if ba or bb:
        raise RuntimeError(SUB_BOOL1)


# -- alpha: ``self + alpha * other`` -------------------------------------------------------
def _with_alpha(np_kernel, bad, check=None, negate=False, name="add"):
    """``a + alpha * b`` (``a - alpha * b``); with ``alpha`` left at 1 it is the binary kernel.

    PyTorch applies alpha in the computation dtype, after the promotion: both operands are
    cast first, alpha is converted (refused when it does not fit, Note [Scalar arguments are
    checked]) and floating results come from one fused multiply-add, as its CPU kernels do.
    """
    def functional(a, b, al):
        if al is _ONE:
            return np_kernel(a, b)
        return _alpha_slow(bad, check, negate, name, a, b, al)

    def into(self, other, al):
        """``self += alpha * other`` for a floating ``self`` and an operand of its dtype
        (already checked by the in-place fast path): True when done."""
        if self.dtype.kind != "f":
            return False
        fused_multiply_add(other if type(other) is _nd else scalar_as(other, self.dtype),
                           _alpha_value(al, self.dtype, negate, name), self, out=self)
        return True
    functional.ufunc = np_kernel.ufunc     # the in-place fast paths
    functional.scalar_chars = np_kernel.scalar_chars
    functional.alpha_into = into
    return functional


def _alpha_slow(bad, check, negate, name, a, b, al):
    if not (is_operand(a) and is_operand(b)):
        raise bad(a, b)
    if check is not None:
        check(a, b)
    dt = np_result_type(a, b)
    w = _alpha_value(al, dt, negate, name)
    _broadcast(a, b)
    A, B = as_operand(a, dt), as_operand(b, dt)
    kind = dt.kind
    if kind == "b":
        r = A | (B & w)
    elif kind in "iu":
        r = A + B * w              # wraps around the dtype, like PyTorch
    elif kind == "f":
        r = fused_multiply_add(B, w, np.asarray(A))
    else:
        r = A + B * w
    return _asarr(r)


def _alpha_value(al, dt, negate, name):
    if isinstance(al, Tensor):     # PyTorch takes a one-element tensor as a number
        al = al.item()
    if isinstance(al, (bool, np.bool_)):
        if dt.kind != "b":
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
        return np.array(bool(al))
    if isinstance(al, (float, np.floating)):
        if dt.kind in "biu":
            raise RuntimeError("For integral input tensors, argument alpha must not be a "
                               "floating point number.")
    elif isinstance(al, (complex, np.complexfloating)):
        if dt.kind != "c":
            raise RuntimeError("For non-complex input tensors, argument alpha must not be a "
                               "complex number.")
    elif not isinstance(al, (int, np.integer)):
        raise TypeError(f"{name}(): argument 'alpha' must be Number, not {type(al).__name__}")
    if dt.kind == "b":
        return np.array(bool(al))
    if negate:
        al = -al
        if type(al) is int and al == 2 ** 63:   # -(-2**63) wraps in int64, as in PyTorch
            al = -al
    return checked_scalar(al, dt)


def fused_multiply_add(x, y, z, out=None):
    """``x * y + z`` rounded once to ``z``'s dtype (float16/32/64), as PyTorch's vectorized
    ``fmadd`` computes ``self + alpha * other`` (``y`` is alpha, a 0-d array); written into
    ``out`` when given.

    numpy has no fma. float16/float32 products are exact in float64, so the sum is formed
    there and rounded to the target: exact but for a double rounding when the float64 sum
    falls exactly halfway between two float32 numbers (a chance of about 2**-28 for an
    inexact sum; not checked, it would cost three more passes). float64 uses error-free
    transformations (Note [An exact fma for float64])."""
    dt = z.dtype
    if dt != np.float64:
        with np.errstate(over="ignore", invalid="ignore"):
            s = np.add(np.multiply(x, y, dtype=np.float64), z)
            if dt == np.float16:   # PyTorch's float16 kernels compute in float32 first
                s = s.astype(np.float32)
            if out is None:
                return s.astype(dt)
            np.copyto(out, s, casting="unsafe")
            return out
    if z.size > _FMA64_EXACT_MAX:
        # Note [An exact fma for float64] costs ~30 passes: past this size the plain
        # ``x * y + z`` (two roundings; the last bit differs from PyTorch's in about a quarter
        # of the elements) keeps alpha ops as fast as the others
        with np.errstate(over="ignore", invalid="ignore"):
            r = np.multiply(x, y, dtype=np.float64)
            r += z
        if out is None:
            return r
        np.copyto(out, r)
        return out
    if x.ndim == 0:           # (the passes below need arrays, not numpy scalars)
        r = _fma64(x.reshape(1), float(y), z)
        if z.ndim == 0:
            r = r.reshape(())
    else:
        r = _fma64(x, float(y), z)
    if out is None:
        return r
    np.copyto(out, r)
    return out


_SPLIT = 134217729.0      # 2**27 + 1: Veltkamp's splitting constant for float64
_FMA64_EXACT_MAX = 4096   # float64 results up to this many elements get the exact fma


def _fma64(x, y, z):
    """Note [An exact fma for float64]
        ``x * y`` is ``p + e`` exactly (``p`` its rounding; ``e`` from Dekker's product of
        the Veltkamp halves of ``x`` and ``y``), ``z + p`` is ``s + e2`` exactly (Knuth's
        two-sum), and ``fma = RN(s + RO(e2 + e))``, RO rounding to odd (Boldo and
        Melquiond's emulation of an fma, proved for binary64). About 30 numpy passes, so
        some 30 times slower than ``x * y + z``, temporaries reused where possible. Huge
        operands (the split overflows) and inf/nan take the plain ``x * y + z``."""
    cy = _SPLIT * y
    yh = cy - (cy - y)
    yl = y - yh
    with np.errstate(over="ignore", invalid="ignore"):
        p = x * y
        t = x * _SPLIT
        xh = t - x
        np.subtract(t, xh, out=xh)          # the high half of x
        xl = np.subtract(x, xh, out=t)      # ... and the low half
        e = xh * yh
        e -= p
        xh *= yl
        e += xh
        np.multiply(xl, yh, out=xh)
        e += xh
        xl *= yl
        e += xl                             # p + e == x * y
        s = z + p                           # s + e2 == z + p
        bb = s - z
        e2 = s - bb
        np.subtract(z, e2, out=e2)
        np.subtract(p, bb, out=bb)
        e2 += bb
        v = e2 + e                          # v + ve == e2 + e
        bb = np.subtract(v, e2)
        ve = v - bb
        np.subtract(e2, ve, out=ve)
        np.subtract(e, bb, out=bb)
        ve += bb
        # v rounded to odd: inexact with an even last bit, it moves one ulp toward ve
        bits = v.view(np.int64)
        move = ve != 0
        move &= (bits & 1) == 0
        if move.any():
            step = ((ve < 0) == (v < 0)).astype(np.int64)   # 1: away from zero
            step *= 2
            step -= 1
            step *= move
            bits += step
        s += v
        bad = ~np.isfinite(s)
        if bad.any():
            s = np.where(bad, x * y + z, s)
    return s


def _float_dtype(dt):
    """Ops that always produce floating results (true division, exp of ints...)."""
    return dt if dt.kind in "fc" else D.get_default_dtype().np


# -- in-place and out= forms ---------------------------------------------------------------
def _after_fp_report(w, ufunc, self, other):
    """Note [Floating-point warnings stay inside]: a user's warnings filter raised numpy's
    report from ``ufunc(self, other, out=self)``. A report about converting the Python number
    comes before anything is written: the ufunc runs again quietly. Any other comes after the
    loop: ``self`` holds the result already."""
    if "in cast" in str(w):
        quietly(ufunc, self, other, self)


def _inplace(functional, ufunc=None, alpha=False, pre=None):
    """In-place kernel from a functional one: compute, validate, then write (so a failed op
    changes nothing). ``pre(self, *rest)`` makes the checks PyTorch makes before its kernel
    runs (the result's shape, then its dtype), so they win over the kernel's own errors
    (an integer zero divisor, a float alpha) as in PyTorch.

    Note [In-place straight into self]: for a ufunc whose result would have ``self``'s shape
    and dtype (the usual case, e.g. ``p -= lr * p.grad``), everything is validated first and
    the ufunc then writes into ``self`` directly — one pass over memory instead of computing a
    temporary and copying it in.
    """
    chars = getattr(functional, "scalar_chars", "")

    def kernel(self, *rest):
        if ufunc is not None and self.base is None and (not alpha or rest[1] is _ONE):
            # the commonest case first: ``self`` owns its memory (so no element repeats) and
            # ``other`` is an array of its shape and dtype that owns its own (so they are
            # the same array or do not overlap), or a Python float
            other = rest[0]
            t = type(other)
            if (t is _nd and other.base is None and other.dtype == self.dtype and
                    other.shape == self.shape) or (t is float and self.dtype.char in chars):
                try:
                    ufunc(self, other, self)
                    return
                except (TypeError, ValueError):  # no numpy loop (bool - bool), a read-only
                    pass                         # self (expand): nothing written
                except RuntimeWarning as w:      # a user's filter raised numpy's report
                    _after_fp_report(w, ufunc, self, other)
                    return
        check_no_overlap(self, rest)
        if ufunc is not None:
            other = rest[0]
            t = type(other)
            if (t is _nd and other.dtype == self.dtype and
                    (other.shape == self.shape or _broadcasts_to(other.shape, self.shape)) or
                    (t is float or t is int and
                     -9223372036854775808 <= other < 18446744073709551616) and
                    self.dtype.char in chars):
                if not alpha or rest[1] is _ONE:
                    try:
                        ufunc(self, other, out=self)
                        return
                    except (TypeError, ValueError):  # (as above): nothing written
                        pass
                    except RuntimeWarning as w:      # (as above)
                        _after_fp_report(w, ufunc, self, other)
                        return
                elif functional.alpha_into(self, other, rest[1]):
                    return
            # (a shape that does not fit is refused below, after the op's own checks)
        if pre is not None:
            pre(self, *rest)
        try:
            r = functional(self, *rest)
        except RuntimeWarning:      # nothing written yet (Note [Floating-point warnings ...])
            r = quietly(functional, self, *rest)
        check_inplace_result(self, r.shape, r.dtype)
        # (a read-only self is an expand result: written through an alias unless elements
        # repeat, which PyTorch refuses)
        if not self.flags.writeable:
            from .casts import writable_dest
            self = writable_dest(self, False)
        np.copyto(self, r, casting="unsafe")
    return kernel


def _broadcasts_to(shape, target):
    try:
        return np.broadcast_shapes(target, shape) == target
    except ValueError:
        return False


def _binary_pre(result=None, check=None):
    """``pre`` for a binary in-place op: its own operand check, then the result's shape and
    dtype (``result`` maps the computation dtype to the result's: bool for comparisons)."""
    def pre(self, other, *_):
        if not is_operand(other):
            return                      # the functional raises the TypeError
        if check is not None:
            check(self, other)
        shape = _broadcast(self, other)
        dt = np_result_type(self, other)
        check_inplace_result(self, shape, result(dt) if result else dt)
    return pre


def _out(functional, exact=False):
    """out= kernel. ``exact``: PyTorch wants ``out`` of the result's dtype (ops that keep
    their input's dtype: neg, floor, round, clamp...); else a castable one will do.
    ``exact="where"``: the same, in where's words."""
    def kernel(*args):
        out = args[-1]
        check_no_overlap(out, args[:-1])
        r = functional(*args[:-1])
        if exact and out.dtype != r.dtype and out.shape == r.shape:
            o, e = _BY_NP[out.dtype].short, _BY_NP[r.dtype].short
            raise RuntimeError(f"Expected out type to be {e} but got {o}" if exact == "where"
                               else f"Found dtype {o} but expected {e}")
        _write_out(out, r)
    return kernel


def _write_out(out, r):
    if out.shape != r.shape:
        check_inplace_result(out, out.shape, r.dtype)   # PyTorch checks the dtype first
        # the Tensor-level caller resizes ``out`` and runs the kernel again (Note [Resizing
        # out], _out.py); nothing is written yet
        raise OutShapeMismatch(
            f"out= tensor has shape {list(out.shape)} but the result has shape {list(r.shape)}"
            ". Hint: pass the out= tensor through torch.<name>(..., out=t), which resizes it, "
            "or allocate it with the result's shape.", r.shape)
    check_inplace_result(out, r.shape, r.dtype)
    np.copyto(out, r, casting="unsafe")


class _OutRoute:
    """What ``torch.<name>(..., out=o)`` runs for an op whose aten ``out=`` overloads are not
    called ``.out`` (``eq.Tensor_out``, ``pow.Tensor_Scalar_out``...): ``tensor/__init__``
    looks ``aten::<name>.out`` up in ``OPS``, so this stands there and picks the overload the
    way PyTorch's argument parser does. It is not an op (no schema, no kernels)."""

    def __init__(self, pick):
        self.call = pick


def _route_out(name, pick):
    OPS[f"aten::{name}.out"] = _OutRoute(pick)


def binary(name, np_kernel, grad, *, alpha=False, inplace=True, out=True, node=None,
           overload="Tensor", out_overload="out", dunder=None, rdunder=None, pre=None,
           inplace_grad=None, inplace_node=None):
    """Declare ``name``, ``name_`` and the out= overload from one numpy kernel and one formula
    set (``np_kernel`` is already ``a + alpha * b`` for ``alpha`` ops). ``inplace_grad`` /
    ``inplace_node``: the in-place form's own formulas and node name, where they differ."""
    tail = ", *, Scalar alpha=1" if alpha else ""
    ov = f".{overload}" if overload else ""
    uf = getattr(np_kernel, "ufunc", None)
    if uf is not None and getattr(np_kernel, "fast", None) is None:
        # Note [Inline fast paths] (_defop.py): the first branch of _binary_kernel, inlined
        when = ("d0.__class__ is _nd and (d1.__class__ is _nd and d0.dtype is d1.dtype or "
                "d1.__class__ is float and d0.dtype.char in _CH)")
        fast_path(np_kernel, ("a2 is _ONE and " if alpha else "") + when, "_uf(d0, d1)",
                  _uf=uf, _CH=np_kernel.scalar_chars, _ONE=_ONE)
    f = defop(f"{name}{ov}(Tensor self, Tensor other{tail}) -> Tensor",
              keep_layout(np_kernel, 0, 1),
              grad=grad, node_name=node)
    ops = {"f": f}
    if inplace:
        ops["i"] = defop(f"{name}_{ov}(Tensor(a!) self, Tensor other{tail}) -> Tensor(a!)",
                         _inplace(np_kernel, getattr(np_kernel, "ufunc", None), alpha, pre),
                         grad=inplace_grad or grad, node_name=inplace_node or node)
        method(f"{name}_", ops["i"])
    if out:
        otail = (tail + ", Tensor(a!) out") if alpha else ", *, Tensor(a!) out"
        ops["o"] = defop(f"{name}.{out_overload}(Tensor self, Tensor other{otail}) -> "
                         "Tensor(a!)", _out(np_kernel))
        if out_overload != "out":
            _route_out(name, ops["o"])
    method(name, f)
    if dunder:
        for d in dunder:
            method(d, f)
    if rdunder:
        # (through the method's entry point: PyTorch reports ``Tensor.add`` for ``2 + t``)
        method(rdunder, _reflected(getattr(Tensor, name), rdunder in _COMMUTATIVE))
    return ops


# Note [Reflected operators]: ``2 * t`` reaches ``t.__rmul__(2)``. For a commutative op
# PyTorch computes ``t * 2`` (the tensor first: same value, and our fast paths apply); the
# others compute ``other op t``. A numpy array on the left is refused (NotImplemented, so
# Python raises its TypeError), as PyTorch 2.13 does for every operator but ``/``.
_COMMUTATIVE = frozenset(("__radd__", "__rmul__", "__rand__", "__ror__", "__rxor__"))


def _reflected(f, commutative):
    if commutative:
        def rop(self, other):
            c = other.__class__
            if c is not float and c is not int and (   # (``lr * p.grad``: tested first)
                    c is _nd or not (isinstance(other, Tensor) or is_operand(other))):
                return NotImplemented      # (Python then names the operands in their order)
            return f(self, other)
    else:
        def rop(self, other):
            if other.__class__ is _nd:
                return NotImplemented
            return f(other, self)
    return rop


def unary(name, np_fn, grad, *, floating=True, inplace=True, out=True, node=None, via=None,
          out_exact=None):
    """Declare a unary op family. ``floating``: integer inputs give default-float results
    (and ``out=`` may have another dtype; ops keeping the dtype want it exactly)."""
    if floating:
        def functional(a, _f=np_fn):
            if a.dtype.kind not in "fc":
                # (an integer input takes this slower path anyway: log(0) = -inf and the like
                # are computed without numpy's report, as PyTorch gives them)
                with np.errstate(all="ignore"):
                    return _asarr(_f(a.astype(D.get_default_dtype().np)))
            return _asarr(_f(a))
        # Note [Inline fast paths] (_defop.py): a float array goes straight to the function
        fast_path(functional, "d0.__class__ is _nd and d0.dtype in _FLOATS", "_f(d0)",
                  _f=np_fn, _FLOATS=_FLOAT_DTYPES)
    else:
        def functional(a, _f=np_fn):
            return _asarr(_f(a))
        if getattr(np_fn, "fast", None) is not None:     # the function's own fast path
            functional.fast = np_fn.fast
        else:
            fast_path(functional, "d0.__class__ is _nd", "_f(d0)", _f=np_fn)
    f = defop(f"{name}(Tensor self) -> Tensor", functional, grad=grad, node_name=node, via=via)
    ops = {"f": f}
    if inplace:
        # (an integer self cannot hold a floating result: refused before the kernel runs, so
        # no numpy warning about the integer values escapes first)
        pre = _float_result_pre if floating else None
        ops["i"] = defop(f"{name}_(Tensor(a!) self) -> Tensor(a!)",
                         _inplace(functional, pre=pre), grad=grad, node_name=node)
        method(f"{name}_", ops["i"])
    if out:
        ops["o"] = defop(f"{name}.out(Tensor self, *, Tensor(a!) out) -> Tensor(a!)",
                         _out(functional, not floating if out_exact is None else out_exact))
    method(name, f)
    return ops


def _float_result_pre(self):
    if self.dtype.kind not in "fc":
        check_inplace_result(self, self.shape, D.get_default_dtype().np)


# -- arithmetic ----------------------------------------------------------------------------
def _true_divide(a, b):
    if type(a) is _nd and type(b) is _nd and a.dtype == b.dtype and a.dtype.kind == "f":
        A, B = a, b
    else:
        if not (is_operand(a) and is_operand(b)):
            raise _operator_error("/")(a, b)
        dt = _float_dtype(np_result_type(a, b))
        if dt == np.float16:
            sb = _half_scalar(b)
            if sb is not None:
                return _half_opmath(np.true_divide, a, sb)
        A, B = as_operand(a, dt), as_operand(b, dt)
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            return _asarr(np.true_divide(A, B))
    except ValueError:
        raise broadcast_error(shape_of(a), shape_of(b)) from None


_add_np = _binary_kernel(np.add, _operator_error("+"))
_sub_np = _binary_kernel(np.subtract, _operator_error("-"), check=_sub_check)
add = binary("add", _with_alpha(_add_np, _operator_error("+")),
             {"self": "grad", "other": "grad if alpha == 1 else grad * conj_if_complex(alpha)"},
             alpha=True,
             dunder=("__add__",), rdunder="__radd__", pre=_binary_pre())
_sub_fn = _with_alpha(_sub_np, _operator_error("-"), _sub_check, negate=True, name="sub")
sub = binary("sub", _sub_fn,
             {"self": "grad",
              "other": "-grad if alpha == 1 else grad * conj_if_complex(-alpha)"}, alpha=True,
             dunder=("__sub__",), pre=_binary_pre(check=_sub_check))
# ``2 - t`` is PyTorch's rsub (``other - alpha * self``; RsubBackward1 for a number)
rsub_scalar = defop("rsub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor",
                    keep_layout(lambda a, other, al: _sub_fn(other, a, al), 0, 1),
                    grad={"self": "-grad if alpha == 1 else grad * conj_if_complex(-alpha)"},
                    node_name="RsubBackward1")
rsub_tensor = defop("rsub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
                    keep_layout(lambda a, other, al: _sub_fn(other, a, al), 1, 0),
                    grad={"self": "-grad if alpha == 1 else grad * conj_if_complex(-alpha)",
                          "other": "grad"}, node_name="RsubBackward0")


def _rsub_operator(self, other):
    if isinstance(other, Tensor):
        return sub["f"](other, self)
    if other.__class__ is _nd or not is_operand(other):
        return NotImplemented
    return rsub_scalar(self, other)


method("__rsub__", _rsub_operator)
mul = binary("mul", _binary_kernel(np.multiply, _operator_error("*"), half_opmath=True),
             {"self": "grad * conj_if_complex(other)", "other": "grad * conj_if_complex(self)"},
             dunder=("__mul__",), rdunder="__rmul__", pre=_binary_pre())
# ``mul.Scalar`` / ``add.Scalar``: the overloads PyTorch's C++ composites reach when they
# multiply or shift by a C++ number (``torch.special.ndtr`` records MulBackward1 and
# AddBackward1, one edge each). Python's ``t * 2.0`` wraps the number and runs ``mul.Tensor``.
mul_scalar = defop("mul.Scalar(Tensor self, Scalar other) -> Tensor",
                   _binary_kernel(np.multiply, _operator_error("*"), half_opmath=True),
                   grad={"self": "grad * conj_if_complex(other)"}, node_name="MulBackward1")
add_scalar = defop("add.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor",
                   _with_alpha(_add_np, _operator_error("+")), grad={"self": "grad"},
                   node_name="AddBackward1")
# (and the C++ composites' subtraction of a number, cosine_embedding_loss's ``cos - margin``)
# (its own kernel: sub.Tensor's carries an inline fast path for two tensors)
sub_scalar = defop("sub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor",
                   keep_layout(_with_alpha(_sub_np, _operator_error("-"), _sub_check,
                                           negate=True, name="sub"), 0, 1),
                   grad={"self": "grad"}, node_name="SubBackward1")
div = binary("div", _true_divide,
             {"self": "grad / conj_if_complex(other)",
              "other": "-grad * conj_if_complex(self) / conj_if_complex(other * other)"},
             dunder=("__truediv__",), pre=_binary_pre(result=_float_dtype))
# (the C++ composites' division by a number, e.g. trapezoid's final ``/ 2``: DivBackward1)
div_scalar = defop("div.Scalar(Tensor self, Scalar other) -> Tensor", _true_divide,
                   grad={"self": "grad / conj_if_complex(other)"}, node_name="DivBackward1")


def _int_zero_division(b, shape):
    """PyTorch refuses integer division by zero (numpy would return garbage), when there is
    anything to divide (an empty result of ``shape`` is fine)."""
    if 0 not in shape and np.any(b == 0):
        raise RuntimeError("ZeroDivisionError")


def _check_rounding_mode(mode):
    if mode != "trunc" and mode != "floor":
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or "
                           f"'floor' but found '{mode}'")


def _div_mode(a, b, rounding_mode):
    if rounding_mode is None:
        return _true_divide(a, b)
    _check_rounding_mode(rounding_mode)
    if not (is_operand(a) and is_operand(b)):
        raise _operator_error("//")(a, b)
    dt = np_result_type(a, b)
    shape = _broadcast(a, b)
    if dt.kind == "b":
        raise not_implemented(f"div_{rounding_mode}_cpu", dt)
    A, B = as_operand(a, dt), as_operand(b, dt)
    if dt.kind in "iu":
        _int_zero_division(B, shape)
        with np.errstate(over="ignore"):        # INT_MIN // -1 wraps
            q = np.floor_divide(A, B)
            if rounding_mode == "trunc" and dt.kind == "i":
                # exact integer division (no detour through float64): the floor quotient,
                # one up when the division was inexact and the signs differ
                up = (np.remainder(A, B) != 0) & ((A < 0) != (B < 0))
                q = q + up.astype(dt)
        return _asarr(q)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        sb = _half_scalar(b) if dt == np.float16 else None
        if sb is not None:
            q = _half_opmath(_TRUNC_DIVIDE if rounding_mode == "trunc" else np.floor_divide,
                             a, sb)
        elif rounding_mode == "trunc":
            q = np.trunc(np.true_divide(A, B))
        elif dt == np.float16:
            q = _floor_divide_half(A, B)
        else:
            # numpy's floor_divide is Python's float floor division (from fmod, so the
            # quotient is exact: 1.0 // 0.1 == 9.0), which is PyTorch's too
            q = np.floor_divide(A, B)
    return _asarr(q)


def _TRUNC_DIVIDE(a, b):
    return np.trunc(np.true_divide(a, b))


def _floor_divide_half(a, b):
    """Floor division of float16 operands, each step rounded to float16 as PyTorch's
    ``c10::Half`` arithmetic does: ``(a - fmod(a, b)) / b``, corrected toward the floor."""
    h = np.float16
    mod = np.fmod(a, b)
    div = (a - mod) / b
    div = np.where((mod != 0) & ((b < 0) != (mod < 0)), div - h(1), div)
    fl = np.floor(div)
    fl = np.where(div - fl > h(0.5), fl + h(1), fl)
    r = np.where(div != 0, fl, np.copysign(h(0), a / b))
    return np.where(b == 0, a / b, r).astype(h)


def _div_mode_pre(self, other, rounding_mode):
    if rounding_mode is not None:
        _check_rounding_mode(rounding_mode)
    (_PRE_SAME if rounding_mode is not None else _PRE_FLOAT)(self, other)


_PRE_SAME = _binary_pre()
_PRE_FLOAT = _binary_pre(result=_float_dtype)
_DIV_GRAD = {"self": "grad * 0 if rounding_mode else grad / conj_if_complex(other)",
             "other": "grad * 0 if rounding_mode else -grad * conj_if_complex(self) / "
                      "conj_if_complex(other * other)"}
div_mode = defop("div.Tensor_mode(Tensor self, Tensor other, *, str? rounding_mode) -> Tensor",
                 keep_layout(_div_mode, 0, 1), grad=_DIV_GRAD, node_name="DivBackward2")
div_mode_ = defop("div_.Tensor_mode(Tensor(a!) self, Tensor other, *, str? rounding_mode) -> "
                  "Tensor(a!)", _inplace(_div_mode, pre=_div_mode_pre), grad=_DIV_GRAD,
                  node_name="DivBackward2")
div_mode_out = defop("div.out_mode(Tensor self, Tensor other, *, str? rounding_mode, "
                     "Tensor(a!) out) -> Tensor(a!)", _out(_div_mode))


def _div_dispatch(self, other, *, rounding_mode=None, out=None):
    if out is not None:
        if rounding_mode is None:
            return div["o"](self, other, out=out)
        return div_mode_out(self, other, rounding_mode=rounding_mode, out=out)
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
# ``//`` is PyTorch's floor_divide (no derivative): its operators are in opdefs/special.py

# dunder in-place operators go through the in-place ops (they bump versions, are checked)
for _op, _name in (("add", "__iadd__"), ("sub", "__isub__"), ("mul", "__imul__"),
                   ("div", "__itruediv__")):
    method(_name, {"add": add, "sub": sub, "mul": mul, "div": div}[_op]["i"])


# -- pow -----------------------------------------------------------------------------------
NEG_POW = "Integers to negative integer powers are not allowed."


def _pow_values(A, B, dt):
    """``A ** B`` for operands already in ``dt``. An integer to a negative integer power is
    1 for a base of 1, +-1 for -1 and 0 otherwise (PyTorch; numpy refuses it)."""
    if dt.kind == "i":
        neg = B < 0
        if np.any(neg):
            r = np.power(A, np.where(neg, 0, B))
            special = np.where(A == 1, 1, np.where(A == -1, np.where(B & 1, -1, 1), 0))
            return np.where(neg, special.astype(dt), r)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = np.power(A, B)
    if dt.kind == "f" and (type(B) is not _nd or B.size == 1 or 0 in B.strides) and \
            np.any(B == 0.5):
        # numpy takes a lone exponent of 0.5 as sqrt, which gives nan for -inf and keeps the
        # sign of -0; C's pow (PyTorch's, for a tensor exponent) gives +inf and +0 there
        fix = (B == 0.5) & ((A == 0) | (A == -np.inf))
        if np.any(fix):
            r = np.where(fix, np.abs(A), r).astype(dt)
    return r


def _pow_tensor(a, b):
    """``pow.Tensor_Tensor`` (also ``pow_.Tensor`` and ``Scalar ** tensor``)."""
    if not (is_operand(a) and is_operand(b)):
        raise _operator_error("** or pow()")(a, b)
    dt = np_result_type(a, b)
    _broadcast(a, b)
    if dt.kind == "b":
        raise not_implemented("pow", dt)
    return _asarr(_pow_values(as_operand(a, dt), as_operand(b, dt), dt))


def _is_integral(x):
    return isinstance(x, (int, np.integer, np.bool_))


def _check_int_exponent(a, e):
    """PyTorch reads an integral exponent of an integral tensor as an int64 first."""
    if a.dtype.kind in "biu" and _is_integral(e):
        if type(e) is int:
            check_py_int(e)
            if e > 0x7FFFFFFFFFFFFFFF:
                raise RuntimeError("value cannot be converted to type int64_t without "
                                   "overflow")
        if e < 0:
            raise RuntimeError(NEG_POW)


def _pow_scalar_np(a, e):
    """``pow.Tensor_Scalar``: the exponent is a Scalar argument (checked where PyTorch checks
    it, Note [Scalar arguments are checked])."""
    _check_int_exponent(a, e)
    if not is_operand(e):
        raise _operator_error("** or pow()")(a, e)
    dt = np_result_type(a, e)
    if dt.kind == "b":                  # a bool tensor to a bool power stays bool
        return a.copy("K") if e else np.ones_like(a)
    A = as_operand(a, dt)
    E = checked_scalar(e, dt) if dt.kind in "iu" or dt == np.float16 else scalar_as(e, dt)
    if dt in (np.float32, np.float64) and E in (0.5, -0.5):
        # PyTorch computes these as sqrt / rsqrt, which keep the sign of -0 (-0 ** -0.5 is
        # -inf there, +inf for C's pow)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.sqrt(A)
            return _asarr(r if E > 0 else (1 / r).astype(dt))
    return _asarr(_pow_values(A, E, dt))


def _pow_scalar_pre(self, e):
    _check_int_exponent(self, e)
    if is_operand(e):
        check_inplace_result(self, self.shape, np_result_type(self, e))


def _pow_scalar_base_np(s, e):
    """``pow.Scalar``: a Python number to the power of a tensor (the base wraps into an
    integer dtype like any wrapped number). The result is C-contiguous whatever the exponent's
    layout: PyTorch's kernel asks for no particular strides here."""
    r = _pow_tensor(s, e)
    return r if r.flags.c_contiguous else np.ascontiguousarray(r)


_POW_T_GRAD = {"self": "grad * conj_if_complex(other) * conj_if_complex(self.pow(other - 1)) "
                       "if not isinstance(other, Tensor) "
                       "else grad * conj_if_complex(other) * conj_if_complex(where("
                       "other == 0, zeros_like(self), self.pow(other - 1)))",
               "other": "grad * conj_if_complex(where((self == 0).logical_and(other >= 0), "
                        "zeros_like(result), result * self.log()))"}
pow_ = binary("pow", _pow_tensor, _POW_T_GRAD, overload="Tensor_Tensor",
              out_overload="Tensor_Tensor_out", node="PowBackward1", inplace=False)

# A Python-number exponent is a Scalar, not a wrapped tensor: it brings no dispatch keys, so
# an inference tensor requiring grad does not record ``c.pow(2)`` (PyTorch's Tensor_Scalar).
_POW_S_GRAD = {"self": "grad * conj_if_complex(exponent) * "
                       "conj_if_complex(self.pow(exponent - 1)) if exponent != 0 else grad * 0"}
pow_scalar = defop("pow.Tensor_Scalar(Tensor self, Scalar exponent) -> Tensor",
                   keep_layout(_pow_scalar_np, 0),
                   grad=_POW_S_GRAD, node_name="PowBackward0")
pow_scalar_ = defop("pow_.Scalar(Tensor(a!) self, Scalar exponent) -> Tensor(a!)",
                    _inplace(_pow_scalar_np, pre=_pow_scalar_pre),
                    grad=_POW_S_GRAD, node_name="PowBackward0")
pow_scalar_out = defop("pow.Tensor_Scalar_out(Tensor self, Scalar exponent, *, Tensor(a!) out) "
                       "-> Tensor(a!)", _out(_pow_scalar_np))
pow_tensor_ = defop("pow_.Tensor(Tensor(a!) self, Tensor exponent) -> Tensor(a!)",
                    _inplace(_pow_tensor, pre=_binary_pre()),
                    grad={"self": "grad * conj_if_complex(exponent) * conj_if_complex(where("
                                  "exponent == 0, zeros_like(self), self.pow(exponent - 1)))",
                          "exponent": "grad * conj_if_complex(where((self == 0).logical_and("
                                      "exponent >= 0), zeros_like(result), "
                                      "result * self.log()))"},
                    node_name="PowBackward1")
pow_scalar_base = defop("pow.Scalar(Scalar self, Tensor exponent) -> Tensor",
                        _pow_scalar_base_np,
                        grad={"exponent": "grad * conj_if_complex(result * cmath.log(self)) "
                                          "if isinstance(self, py_complex) else "
                                          "grad * conj_if_complex(result) * math.log(self) "
                                          "if self > 0 else "
                                          "grad * where(exponent >= 0, zeros_like(result), "
                                          "result * float('-inf')) if self == 0 else "
                                          "grad * result * float('nan')"},
                        node_name="PowBackward2")
pow_scalar_base_out = defop("pow.Scalar_out(Scalar self, Tensor exponent, *, Tensor(a!) out) "
                            "-> Tensor(a!)", _out(_pow_scalar_base_np))


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


def _pow_out(self, exponent, *, out):
    if not isinstance(self, Tensor):
        return pow_scalar_base_out(self, exponent, out=out)
    if _is_number(exponent):
        return pow_scalar_out(self, exponent, out=out)
    return pow_["o"](self, exponent, out=out)


_route_out("pow", _pow_out)
method("pow", _pow_method)
method("__pow__", _pow_method)
method("pow_", _pow_inplace)
method("__ipow__", _pow_inplace)
method("__rpow__", lambda self, base: pow_scalar_base(base, self) if _is_number(base)
       else NotImplemented if base.__class__ is _nd else pow_["f"](base, self))
method("square", lambda self: _pow_method(self, 2))
# torch.square(t, out=o) is PyTorch's composite: pow(t, 2, out=o)
_route_out("square", lambda self, *, out: pow_scalar_out(self, 2, out=out))


# -- unary ---------------------------------------------------------------------------------
def _neg_np(a):
    if a.dtype.kind == "b":
        raise RuntimeError(NEG_BOOL)
    return np.negative(a)


def _abs_np(a):
    if a.dtype.kind == "b":
        raise not_implemented("abs_cpu", a.dtype)
    return np.abs(a)


def _rounding(np_fn, kernel):
    """floor/ceil/trunc: integers are already whole (kept, dtype and all); no bool kernel."""
    def f(a):
        k = a.dtype.kind
        if k in "fc":
            return np_fn(a)
        if k == "b":
            raise not_implemented(kernel, a.dtype)
        return a.copy("K")     # (in the input's memory layout, as an elementwise result)
    return f


def _relu_np(a):
    if a.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    z = _ZEROS.get(a.dtype)
    return np.maximum(a, 0 if z is None else z)     # numpy 2: a Python 0 keeps the dtype


# a 0-d zero of the array's own dtype: np.maximum skips converting a Python 0 (twice as fast)
_ZEROS = {np.dtype(t): np.zeros((), t) for t in (np.float16, np.float32, np.float64, np.int8,
                                                 np.int16, np.int32, np.int64, np.uint8)}
fast_path(_relu_np, "d0.__class__ is _nd and d0.dtype in _Z", "_max(d0, _Z[d0.dtype])",
          _max=np.maximum, _Z=_ZEROS)


def _sign_np(a):
    k = a.dtype.kind
    if k == "b":
        return a.copy("K")
    r = _asarr(np.sign(a))
    if k == "f":
        r = np.where(r != r, 0, r)      # sign(nan) is 0 in PyTorch
    # (numpy lays out the dims of size 1 of a non-contiguous input's result its own way)
    return r if a.flags.c_contiguous else elementwise_layout(r, (a,))


neg = unary("neg", _neg_np, {"self": "-grad"}, floating=False)
method("__neg__", neg["f"])
method("negative", neg["f"])
# (Note [Complex gradients are conjugated], _util.py: each factor of a derivative is
# wrapped in conj_if_complex, a no-op for real values)
exp = unary("exp", np.exp, {"self": "grad * conj_if_complex(result)"})
log = unary("log", np.log, {"self": "grad / conj_if_complex(self)"})
log1p = unary("log1p", np.log1p, {"self": "grad / conj_if_complex(self + 1)"},
              node="Log1PBackward0")
log2 = unary("log2", np.log2, {"self": "grad / conj_if_complex(self * 0.6931471805599453)"})
sqrt = unary("sqrt", np.sqrt, {"self": "grad / conj_if_complex(2 * result)"})
rsqrt = unary("rsqrt", lambda a: _quiet(lambda: 1 / np.sqrt(a)),
              {"self": "-0.5 * grad * conj_if_complex(result.pow(3))"})
sin = unary("sin", np.sin, {"self": "grad * conj_if_complex(self.cos())"})
cos = unary("cos", np.cos, {"self": "grad * conj_if_complex(-self.sin())"})
tan = unary("tan", np.tan, {"self": "grad * conj_if_complex(1 + result * result)"})
tanh = unary("tanh", np.tanh, {"self": "grad * conj_if_complex(1 - result * result)"})
sigmoid = unary("sigmoid", lambda a: _sigmoid(a),
                {"self": "grad * conj_if_complex(result) * conj_if_complex(1 - result)"})
# via: PyTorch's abs kernel writes through abs.out (Note [Kernels that re-enter the dispatcher])
abs_ = unary("abs", _abs_np, {"self": "grad * self.sgn()"}, floating=False,
             via=("out", "abs", 1))
method("__abs__", abs_["f"])
method("absolute", abs_["f"])
# PyTorch's threshold_backward: the gradient passes where the result is not <= 0 (a NaN
# input passes it; an infinite gradient at a negative input gives 0, not NaN)
relu = unary("relu", _relu_np, {"self": "threshold_backward(grad, result, 0)"}, floating=False,
             out=False)
sign = unary("sign", _sign_np, {"self": "zeros_like(grad)"}, floating=False)
# sgn is its own op in PyTorch (SgnBackward0); for real tensors it is sign
def _sgn_backward(self, grad, result):
    """PyTorch's ``sgn_backward(self, grad, result)``: zero almost everywhere for a real
    input. It names self and result, so a node saves both (Note [What a node saves]). For a
    complex ``z`` (``sgn = z / |z|``): ``(grad - Re(grad * conj(sgn)) * sgn) / |z|``, 0 where
    ``z`` is 0."""
    if not self.dtype.is_complex:
        return FORMULA_NS["zeros_like"](grad)
    where = FORMULA_NS["where"]
    a = self.abs()
    zero = a == 0
    t = (grad - (grad * result.conj_physical()).real * result) / where(zero, 1.0, a)
    return where(zero, 0.0, t)


FORMULA_NS["sgn_backward"] = _sgn_backward
# (``complex`` there is the op torch.complex)
FORMULA_NS.update(cmath=cmath, py_complex=complex)
sgn = unary("sgn", _sign_np, {"self": "sgn_backward(self, grad, result)"}, floating=False)
floor = unary("floor", _rounding(np.floor, "floor_vml_cpu"), {"self": "grad * 0"},
              floating=False)
ceil = unary("ceil", _rounding(np.ceil, "ceil_vml_cpu"), {"self": "grad * 0"}, floating=False)
trunc = unary("trunc", _rounding(np.trunc, "trunc_vml_cpu"), {"self": "grad * 0"},
              floating=False)
reciprocal = unary("reciprocal", lambda a: 1 / a,
                   {"self": "-grad * conj_if_complex(result) * conj_if_complex(result)"})
# ``x / t`` is ``t.reciprocal() * x`` in PyTorch (two roundings, MulBackward0)
def _rtruediv(self, other):
    if isinstance(other, Tensor):
        return div["f"](other, self)
    if other.__class__ is not _nd and not is_operand(other):
        return NotImplemented
    # (``ndarray / t`` too: the array acts as a tensor of its dtype, as in PyTorch)
    return mul["f"](reciprocal["f"](self), other)


method("__rtruediv__", _rtruediv)
_verf = np.frompyfunc(math.erf, 1, 1)
erf = unary("erf", lambda a: np.asarray(_verf(a), dtype=a.dtype),
            {"self": "grad * 1.1283791670955126 * (-(self * self)).exp()"})
def _silu_np(a):
    """``a * sigmoid(a)``; PyTorch's kernel exists for floating dtypes only (no promotion)."""
    if a.dtype.kind not in "fc":
        raise not_implemented("silu_cpu", a.dtype)
    return a * _sigmoid(a)


silu = unary("silu", _silu_np,
             {"self": "grad * self.sigmoid() * (1 + self * (1 - self.sigmoid()))"},
             floating=False, out_exact=True)


def _sigmoid(a):
    with np.errstate(over="ignore"):
        return (1 / (1 + np.exp(-a))).astype(a.dtype, copy=False)


def _gelu_np(a, approximate):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    if a.dtype.kind != "f":     # PyTorch's kernel exists for floating dtypes only
        raise not_implemented("GeluKernelImpl", a.dtype)
    if approximate == "tanh":
        k = math.sqrt(2 / math.pi)
        return (0.5 * a * (1 + np.tanh(k * (a + 0.044715 * a ** 3)))).astype(a.dtype)
    from math import erf
    verf = np.vectorize(erf, otypes=[np.float64])
    return (0.5 * a * (1 + verf(a / math.sqrt(2)))).astype(a.dtype)


gelu = defop('gelu(Tensor self, *, str approximate="none") -> Tensor', _gelu_np,
             grad={"self": "grad * gelu_derivative(self, approximate)"})
_gelu_out_exact = _out(_gelu_np, exact=True)


def _gelu_out(a, approximate, out):
    """PyTorch checks ``out``'s dtype (it must be ``self``'s) before its kernel's checks."""
    if out.dtype != a.dtype:
        raise RuntimeError(f"Found dtype {_BY_NP[out.dtype].short} but expected "
                           f"{_BY_NP[a.dtype].short}")
    _gelu_out_exact(a, approximate, out)


gelu_out = defop('gelu.out(Tensor self, *, str approximate="none", Tensor(a!) out) -> '
                 'Tensor(a!)', _gelu_out)
method("gelu", gelu)


# -- round ---------------------------------------------------------------------------------
def _round_np(a):
    k = a.dtype.kind
    if k in "fc":
        return _asarr(np.rint(a))      # half to even, like PyTorch's nearbyint
    if k == "b":
        raise not_implemented("round_vml_cpu", a.dtype)
    return a.copy("K")


def _round_decimals_np(a, decimals):
    if a.dtype.kind not in "fc":
        raise not_implemented("round_vml_cpu" if decimals == 0 else "round_cpu", a.dtype)
    return _asarr(np.round(a, decimals))


_ROUND_GRAD = {"self": "grad * 0"}
round_ = defop("round(Tensor self) -> Tensor", _round_np, grad=_ROUND_GRAD,
               node_name="RoundBackward0")
round_i = defop("round_(Tensor(a!) self) -> Tensor(a!)", _inplace(_round_np),
                grad=_ROUND_GRAD, node_name="RoundBackward0")
round_out = defop("round.out(Tensor self, *, Tensor(a!) out) -> Tensor(a!)",
                  _out(_round_np, exact=True))
round_d = defop("round.decimals(Tensor self, *, int decimals) -> Tensor", _round_decimals_np,
                grad=_ROUND_GRAD, node_name="RoundBackward1")
round_d_i = defop("round_.decimals(Tensor(a!) self, *, int decimals) -> Tensor(a!)",
                  _inplace(_round_decimals_np), grad=_ROUND_GRAD, node_name="RoundBackward1")
round_d_out = defop("round.decimals_out(Tensor self, *, int decimals, Tensor(a!) out) -> "
                    "Tensor(a!)", _out(_round_decimals_np, exact=True))
_NO_DECIMALS = object()


def _round_positional(name, args):
    if args:    # (PyTorch's own wording)
        raise TypeError(f"{name}() takes from 1 to 0 positional arguments but {len(args)} "
                        "were given")


def _round_method(self, *args, decimals=_NO_DECIMALS):
    _round_positional("round", args)
    if decimals is _NO_DECIMALS:
        return round_(self)
    return round_d(self, decimals=decimals)


def _round_inplace_method(self, *args, decimals=_NO_DECIMALS):
    _round_positional("round_", args)
    if decimals is _NO_DECIMALS:
        return round_i(self)
    return round_d_i(self, decimals=decimals)


method("round", _round_method)
method("round_", _round_inplace_method)


# -- clamp ---------------------------------------------------------------------------------
_CLAMP_NONE = "torch.clamp: At least one of 'min' or 'max' must not be None"
# clamp_ with Scalar bounds names self's C++ type in its cast refusal
_C_NAME = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char",
           "int16": "short int", "int32": "int", "int64": "long int"}


def _clamp_np(a, lo, hi):
    """``clamp`` with Scalar bounds: converted to the result dtype (checked), then
    ``min(max(a, lo), hi)`` with NaN propagating (PyTorch's vectorized clamp)."""
    if lo is None:
        if hi is None:
            raise RuntimeError(_CLAMP_NONE)
        dt = np_result_type(a, hi)
    else:
        dt = np_result_type(a, lo) if hi is None else np_result_type(a, lo, hi)
    if dt.kind == "b":
        raise not_implemented("clamp_scalar_cpu" if lo is not None and hi is not None else
                              "clamp_min_scalar_cpu" if lo is not None else
                              "clamp_max_scalar_cpu", dt)
    r = as_operand(a, dt)
    if lo is not None:
        r = np.maximum(r, checked_scalar(lo, dt))
    if hi is not None:
        r = np.minimum(r, checked_scalar(hi, dt))
    return _asarr(r)


def _clamp_tensor_np(a, lo, hi):
    """``clamp.Tensor``: all three cast to the promoted dtype, then compared."""
    if lo is None and hi is None:
        raise RuntimeError(_CLAMP_NONE)
    dt = np_result_type(a, lo, hi)
    _broadcast(a, lo, hi)
    if dt == np.bool_ and lo is not None and hi is not None:
        raise not_implemented("clamp_cpu", dt)  # (one bound: clamp_min / clamp_max take bool)
    r = as_operand(a, dt)
    if lo is not None:
        r = np.maximum(r, as_operand(lo, dt))
    if hi is not None:
        r = np.minimum(r, as_operand(hi, dt))
    return _asarr(r)


def _clamp_pre(self, lo, hi):
    if lo is None and hi is None:
        raise RuntimeError(_CLAMP_NONE)
    dt = np_result_type(self, *(x for x in (lo, hi) if x is not None))
    sd = self.dtype
    if _BY_NP[dt].category > _BY_NP[sd].category:
        raise RuntimeError(
            f"result type {_BY_NP[dt].short} can't be cast to the desired output type "
            f"{_C_NAME[sd.name]}. Hint: convert the tensor first (e.g. t = t.float()) or use "
            "the out-of-place op.")


def _clamp_tensor_pre(self, lo, hi):
    if lo is None and hi is None:
        raise RuntimeError(_CLAMP_NONE)
    check_inplace_result(self, _broadcast(self, lo, hi), np_result_type(self, lo, hi))


# a selection, not a product with the mask: an infinite or NaN gradient where a bound wins
# gives 0, as PyTorch's
_CLAMP_GRAD = {"self": "where(clamp_mask(self, min, max), grad, 0.0)"}


def _clamp_t_grad_self(grad, self, min, max):
    m = None if min is None else self >= min
    if max is not None:
        m = self <= max if m is None else m.logical_and(self <= max)
    return where(m, grad, 0.0)


def _clamp_t_grad_min(grad, self, min, max):
    # min wins where self is below it (with both bounds: only where min < max)
    m = self < min
    if max is not None:
        m = m.logical_and(min < max)
    return where(m, grad, 0.0)


def _clamp_t_grad_max(grad, self, min, max):
    # max wins where self is above it, and everywhere it is below min
    m = self > max
    if min is not None:
        m = m.logical_or(max < min)
    return where(m, grad, 0.0)


clamp = defop("clamp(Tensor self, Scalar? min=None, Scalar? max=None) -> Tensor",
              keep_layout(_clamp_np, 0),
              grad=_CLAMP_GRAD, node_name="ClampBackward1")
clamp_i = defop("clamp_(Tensor(a!) self, Scalar? min=None, Scalar? max=None) -> Tensor(a!)",
                _inplace(_clamp_np, pre=_clamp_pre), grad=_CLAMP_GRAD,
                node_name="ClampBackward1")
_clamp_out_exact, _clamp_t_out_kernel = _out(_clamp_np, exact=True), _out(_clamp_tensor_np)


def _clamp_out(self, lo, hi, out):
    """clamp.out wants ``out`` of the result's dtype; ``torch.clamp(t, min=T, out=o)`` (tensor
    bounds, where a Scalar is declared) reaches it too, and there PyTorch's Tensor_out
    overload casts."""
    if isinstance(lo, Tensor) or isinstance(hi, Tensor):
        _clamp_t_out_kernel(self, getattr(lo, "_data", lo), getattr(hi, "_data", hi), out)
    else:
        _clamp_out_exact(self, lo, hi, out)


clamp_out = defop("clamp.out(Tensor self, Scalar? min=None, Scalar? max=None, *, "
                  "Tensor(a!) out) -> Tensor(a!)", _clamp_out)
_CLAMP_T_GRAD = {"self": _clamp_t_grad_self, "min": _clamp_t_grad_min,
                 "max": _clamp_t_grad_max}
clamp_t = defop("clamp.Tensor(Tensor self, Tensor? min=None, Tensor? max=None) -> Tensor",
                keep_layout(_clamp_tensor_np, 0, 1, 2), grad=_CLAMP_T_GRAD,
                node_name="ClampBackward0")
clamp_t_i = defop("clamp_.Tensor(Tensor(a!) self, Tensor? min=None, Tensor? max=None) -> "
                  "Tensor(a!)", _inplace(_clamp_tensor_np, pre=_clamp_tensor_pre),
                  grad=_CLAMP_T_GRAD, node_name="ClampBackward0")
clamp_t_out = defop("clamp.Tensor_out(Tensor self, Tensor? min=None, Tensor? max=None, *, "
                    "Tensor(a!) out) -> Tensor(a!)", _clamp_t_out_kernel)


def _clamp_bounds(args, kwargs):
    """``(min, max)`` from ``clamp``'s arguments; True when either is a tensor. Tensors and
    numbers do not mix (PyTorch has one overload for each)."""
    n = len(args)
    if not kwargs and n <= 2:       # the common case
        lo = args[0] if n else None
        hi = args[1] if n == 2 else None
        if not isinstance(lo, Tensor) and not isinstance(hi, Tensor):
            return lo, hi, False
    if len(args) > 2 or set(kwargs) - {"min", "max"}:
        raise TypeError(f"clamp() takes at most 2 arguments ({len(args) + len(kwargs)} given)")
    names = ("min", "max")
    vals = dict(zip(names, args))
    for k, v in kwargs.items():
        if k in vals:
            raise TypeError(f"clamp() got multiple values for argument '{k}'")
        vals[k] = v
    lo, hi = vals.get("min"), vals.get("max")
    tensors = isinstance(lo, Tensor) or isinstance(hi, Tensor)
    if tensors and not (isinstance(lo, (Tensor, type(None))) and
                        isinstance(hi, (Tensor, type(None)))):
        # a 0-dim tensor that does not require grad passes for a Number
        if all(not isinstance(x, Tensor) or x.dim() == 0 and not x.requires_grad
               for x in (lo, hi)):
            return (lo.item() if isinstance(lo, Tensor) else lo,
                    hi.item() if isinstance(hi, Tensor) else hi, False)
        got = ", ".join(["Tensor"] + [type(a).__name__ for a in args] +
                        [f"{k}={type(kwargs[k]).__name__}" for k in sorted(kwargs)])
        raise TypeError(
            f"clamp() received an invalid combination of arguments - got ({got}), but "
            "expected one of:\n"
            " * (Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)\n"
            " * (Tensor input, Number min = None, Number max = None, *, Tensor out = None)\n")
    return lo, hi, tensors


def _clamp_method(self, *args, **kwargs):
    lo, hi, tensors = _clamp_bounds(args, kwargs)
    return (clamp_t if tensors else clamp)(self, lo, hi)


def _clamp_inplace_method(self, *args, **kwargs):
    lo, hi, tensors = _clamp_bounds(args, kwargs)
    return (clamp_t_i if tensors else clamp_i)(self, lo, hi)


method("clamp", _clamp_method)
method("clip", _clamp_method)
method("clamp_", _clamp_inplace_method)
method("clip_", _clamp_inplace_method)
# clamp_min / clamp_max: ops of their own in PyTorch (ClampMinBackward0 / ClampMaxBackward0)
def _clamp_side(name, low):
    """``clamp_min`` / ``clamp_max`` and their in-place forms (ops of their own in PyTorch:
    ClampMinBackward0 / ClampMaxBackward0)."""
    arg = "min" if low else "max"
    np_fn = (lambda a, b: _clamp_np(a, b, None)) if low else (lambda a, b: _clamp_np(a, None, b))
    grad = {"self": f"where(clamp_mask(self, {'min, None' if low else 'None, max'}), grad, "
                    "0.0)"}
    node = f"Clamp{arg.title()}Backward0"
    f = defop(f"{name}(Tensor self, Scalar {arg}) -> Tensor", np_fn, grad=grad, node_name=node)
    # (the refusal to cast a floating result into an integer self names self's C++ type)
    pre = (lambda s, b: _clamp_pre(s, b, None)) if low else (lambda s, b: _clamp_pre(s, None, b))
    i = defop(f"{name}_(Tensor(a!) self, Scalar {arg}) -> Tensor(a!)", _inplace(np_fn, pre=pre),
              grad=grad, node_name=node)
    return f, i


clamp_min, clamp_min_ = _clamp_side("clamp_min", True)
clamp_max, clamp_max_ = _clamp_side("clamp_max", False)


def _clamp_one_side(scalar_op, low):
    def m(self, bound):
        if isinstance(bound, Tensor):        # the Tensor overloads: through clamp.Tensor
            return _clamp_method(self, bound, None) if low else \
                _clamp_method(self, None, bound)
        return scalar_op(self, bound)
    return m


method("clamp_min", _clamp_one_side(clamp_min, True))
method("clamp_max", _clamp_one_side(clamp_max, False))
method("clamp_min_", _clamp_one_side(clamp_min_, True))
method("clamp_max_", _clamp_one_side(clamp_max_, False))


# -- where ---------------------------------------------------------------------------------
def _where_np(cond, a, b):
    if cond.dtype.kind != "b":
        if cond.dtype != np.uint8:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a "
                               f"tensor with dtype {_BY_NP[cond.dtype].short}")
        warn_user("where received a uint8 condition tensor. This behavior is deprecated "
                  "and will be removed in a future version of PyTorch. Use a boolean "
                  "condition instead.")
        cond = cond.astype(bool)
    _broadcast(cond, a, b)
    dt = np_result_type(a, b)
    # a tensor operand is cast (wraps); a Python number is a Scalar argument (checked)
    A = as_operand(a, dt) if type(a) is _nd else checked_scalar(a, dt)
    B = as_operand(b, dt) if type(b) is _nd else checked_scalar(b, dt)
    return _asarr(np.where(cond, A, B))


_WHERE_GRAD = {"self": "where(condition, grad, 0.0)", "other": "where(condition, 0.0, grad)"}
where = defop("where.self(Tensor condition, Tensor self, Tensor other) -> Tensor",
              keep_layout(_where_np, 0, 1, 2),
              grad=_WHERE_GRAD)
where_out = defop("where.self_out(Tensor condition, Tensor self, Tensor other, *, "
                  "Tensor(a!) out) -> Tensor(a!)", _out(_where_np, exact="where"))
method("where", lambda self, condition, other: where(condition, self, other))


# -- maximum, minimum, comparisons, logical and bitwise ops --------------------------------
maximum = binary("maximum", _binary_kernel(np.maximum, _tensor_only_error("maximum"),
                                           scalars=False),
                 {"self": "grad * minmax_mask(self, other, True)",
                  "other": "grad * minmax_mask(other, self, False)"},
                 overload="", inplace=False)
minimum = binary("minimum", _binary_kernel(np.minimum, _tensor_only_error("minimum"),
                                           scalars=False),
                 {"self": "grad * minmax_mask(self, other, True, lt=True)",
                  "other": "grad * minmax_mask(other, self, False, lt=True)"},
                 overload="", inplace=False)


def _compare(uf, bad):
    """A comparison in the promoted dtype (Note [Operands are cast to the computation
    dtype]): ``uint8 < 256`` compares with 256 wrapped to 0, as PyTorch does."""
    nd, asarray = _nd, np.asarray

    def kernel(a, b):
        if a.__class__ is nd:
            tb = b.__class__
            if tb is nd:
                da = a.dtype
                if da is b.dtype or da == b.dtype:
                    try:
                        r = uf(a, b)
                    except ValueError:
                        raise broadcast_error(a.shape, b.shape) from None
                    return r if r.__class__ is nd else asarray(r)
            elif tb is float and a.dtype.kind == "f":
                return asarray(uf(a, b))
        return _compare_slow(uf, bad, a, b)
    return fast_path(kernel, "d0.__class__ is _nd and (d1.__class__ is _nd and d0.dtype is "
                     "d1.dtype or d1.__class__ is float and d0.dtype.kind == 'f')",
                     "_uf(d0, d1)", _uf=uf)


def _compare_slow(uf, bad, a, b):
    if not (is_operand(a) and is_operand(b)):
        raise bad(a, b)
    ta, tb = type(a), type(b)
    if ta is _nd and tb is int and a.dtype.kind in "iu":
        lo, hi = _IINFO[a.dtype]
        if lo <= b <= hi:           # in range: the cast changes nothing
            return _asarr(uf(a, b))
    dt = np_result_type(a, b)
    try:
        return _asarr(uf(as_operand(a, dt), as_operand(b, dt)))
    except ValueError:
        raise broadcast_error(shape_of(a), shape_of(b)) from None


def _bool_result(dt):
    return np.dtype(np.bool_)


def _by_other(tensor_op, scalar_op):
    """A method that runs ``scalar_op`` for a number ``other`` (Python's or a numpy scalar)
    and ``tensor_op`` otherwise, as PyTorch's argument parser picks between an op's two
    overloads."""
    def pick(self, other):
        if type(other) in _NUMBERS or isinstance(other, np.generic):
            return scalar_op(self, other)
        return tensor_op(self, other)
    return pick


_NUMBERS = frozenset((int, float, bool, complex))
_CMP = {}
for _name, _uf, _dunder, _sym in (("eq", np.equal, "__eq__", "=="),
                                  ("ne", np.not_equal, "__ne__", "!="),
                                  ("lt", np.less, "__lt__", "<"),
                                  ("le", np.less_equal, "__le__", "<="),
                                  ("gt", np.greater, "__gt__", ">"),
                                  ("ge", np.greater_equal, "__ge__", ">=")):
    # an in-place comparison writes into a floating ``self`` and is recorded (zero gradients),
    # as PyTorch records ``EqBackward1``
    _kernel = _compare(_uf, _compare_error(_sym))
    _CMP[_name] = binary(_name, _kernel, None, dunder=(_dunder,),
                         out_overload="Tensor_out", pre=_binary_pre(result=_bool_result),
                         inplace_grad={"self": "zeros_like(grad)",
                                       "other": "zeros_like(other)"},
                         inplace_node=f"{_name.capitalize()}Backward1")
    # ``t.eq_(1)``: PyTorch's ``eq_.Scalar`` overload, recorded as EqBackward0 (one edge)
    _scalar_ = defop(f"{_name}_.Scalar(Tensor(a!) self, Scalar other) -> Tensor(a!)",
                     _inplace(_kernel, getattr(_kernel, "ufunc", None),
                              pre=_binary_pre(result=_bool_result)),
                     grad={"self": "zeros_like(grad)"},
                     node_name=f"{_name.capitalize()}Backward0")
    method(f"{_name}_", _by_other(_CMP[_name]["i"], _scalar_))
for _alias, _name in (("greater", "gt"), ("less", "lt"), ("greater_equal", "ge"),
                      ("less_equal", "le"), ("not_equal", "ne")):
    setattr(Tensor, _alias, getattr(Tensor, _name))


def _logical(uf, name):
    bad = _tensor_only_error(name)

    def kernel(a, b):
        if type(a) is not _nd or type(b) is not _nd:
            raise bad(a, b)            # PyTorch's signature takes two tensors
        if a.dtype != b.dtype:         # truth of the values cast to the promoted dtype
            dt = np_result_type(a, b)
            a, b = as_operand(a, dt), as_operand(b, dt)
        try:
            return _asarr(uf(a, b))
        except ValueError:
            raise broadcast_error(shape_of(a), shape_of(b)) from None
    return kernel


logical_and = binary("logical_and", _logical(np.logical_and, "logical_and"), None, overload="")
logical_or = binary("logical_or", _logical(np.logical_or, "logical_or"), None, overload="")
logical_xor = binary("logical_xor", _logical(np.logical_xor, "logical_xor"), None, overload="")
logical_not = defop("logical_not(Tensor self) -> Tensor", lambda a: _asarr(np.logical_not(a)),
                    via=("write", 1))
method("logical_not", logical_not)
logical_not_out = defop("logical_not.out(Tensor self, *, Tensor(a!) out) -> Tensor(a!)",
                        _out(lambda a: _asarr(np.logical_not(a))))


def _bitwise(uf, name, symbol):
    bad = _operator_error(symbol)

    def kernel(a, b):
        if not (is_operand(a) and is_operand(b)):
            raise bad(a, b)
        dt = np_result_type(a, b)
        _broadcast(a, b)
        if dt.kind in "fc":
            raise not_implemented(f"{name}_cpu", dt)
        return _asarr(uf(as_operand(a, dt), as_operand(b, dt)))
    return kernel


bitwise_and = binary("bitwise_and", _bitwise(np.bitwise_and, "bitwise_and", "&"), None,
                     dunder=("__and__",), rdunder="__rand__", out_overload="Tensor_out",
                     pre=_binary_pre())
bitwise_or = binary("bitwise_or", _bitwise(np.bitwise_or, "bitwise_or", "|"), None,
                    dunder=("__or__",), rdunder="__ror__", out_overload="Tensor_out",
                    pre=_binary_pre())
bitwise_xor = binary("bitwise_xor", _bitwise(np.bitwise_xor, "bitwise_xor", "^"), None,
                     dunder=("__xor__",), rdunder="__rxor__", out_overload="Tensor_out",
                     pre=_binary_pre())


def _bitwise_not_np(a):
    k = a.dtype.kind
    if k in "fc":
        raise not_implemented("bitwise_not_cpu", a.dtype)
    return _asarr(np.logical_not(a) if k == "b" else np.invert(a))


bitwise_not = defop("bitwise_not(Tensor self) -> Tensor", _bitwise_not_np)
bitwise_not_out = defop("bitwise_not.out(Tensor self, *, Tensor(a!) out) -> Tensor(a!)",
                        _out(_bitwise_not_np, exact=True))


def _invert(self):
    if self._data.dtype.kind in "fc":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return bitwise_not(self)


method("bitwise_not", bitwise_not)
method("__invert__", _invert)


def _remainder_np(a, b):
    """Python's modulus (the result takes the divisor's sign), from ``fmod`` for floats like
    PyTorch: a zero result keeps the dividend's sign (``-4. % 2 == -0.``)."""
    if not (is_operand(a) and is_operand(b)):
        raise _operator_error("%")(a, b)
    dt = np_result_type(a, b)
    shape = _broadcast(a, b)
    if dt.kind == "b":
        raise not_implemented("remainder_cpu", dt)
    A, B = as_operand(a, dt), as_operand(b, dt)
    if dt.kind in "iu":
        _int_zero_division(B, shape)
        return _asarr(np.remainder(A, B))
    with np.errstate(invalid="ignore"):
        r = np.fmod(A, B)
        fix = (r != 0) & ((B < 0) != (r < 0))
        return _asarr(np.where(fix, r + B, r)) if np.any(fix) else _asarr(r)


# PyTorch's overloads: ``remainder.Tensor`` (RemainderBackward1), ``remainder.Scalar`` for a
# Python number (RemainderBackward0, one edge) and ``remainder.Scalar_Tensor`` for ``3 % t``
# (no derivative: its NotImplemented node is declared in opdefs/special.py)
remainder = binary("remainder", _remainder_np,
                   {"self": "grad", "other": "-grad * self.div(other, rounding_mode='floor')"},
                   out_overload="Tensor_out", pre=_binary_pre(), node="RemainderBackward1")
remainder_s = defop("remainder.Scalar(Tensor self, Scalar other) -> Tensor",
                    keep_layout(_remainder_np, 0, 1),
                    grad={"self": "grad"}, node_name="RemainderBackward0")
remainder_s_ = defop("remainder_.Scalar(Tensor(a!) self, Scalar other) -> Tensor(a!)",
                     _inplace(_remainder_np, pre=_binary_pre()), grad={"self": "grad"},
                     node_name="RemainderBackward0")
remainder_s_out = defop("remainder.Scalar_out(Tensor self, Scalar other, *, Tensor(a!) out) -> "
                        "Tensor(a!)", _out(_remainder_np))


def _remainder_method(self, other):
    if not isinstance(self, Tensor):      # torch.remainder(3, t) (declared in special.py)
        return OPS["aten::remainder.Scalar_Tensor"](self, other)
    if isinstance(other, Tensor):
        return remainder["f"](self, other)
    return remainder_s(self, other)


def _remainder_inplace_method(self, other):
    if isinstance(other, Tensor):
        return remainder["i"](self, other)
    return remainder_s_(self, other)


def _mod_operator(self, other):
    if other.__class__ is _nd:
        return NotImplemented
    return _remainder_method(self, other)


method("remainder", _remainder_method)
method("remainder_", _remainder_inplace_method)
method("__mod__", _mod_operator)
method("__imod__", _remainder_inplace_method)
_route_out("remainder", lambda self, other, *, out: (
    remainder["o"] if isinstance(other, Tensor) else remainder_s_out)(self, other, out=out))


# -- comparisons of whole tensors and float classification ---------------------------------
def _isclose_np(a, b, rtol, atol, equal_nan):
    if type(b) is _nd and a.dtype != b.dtype:
        raise RuntimeError(f"{_BY_NP[a.dtype].short} did not match {_BY_NP[b.dtype].short}")
    try:
        return _asarr(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))
    except ValueError:
        raise broadcast_error(shape_of(a), shape_of(b)) from None


isclose = defop("isclose(Tensor self, Tensor other, float rtol=1e-05, float atol=1e-08, "
                "bool equal_nan=False) -> Tensor", keep_layout(_isclose_np, 0, 1))
method("isclose", isclose)
method("allclose", lambda self, other, rtol=1e-05, atol=1e-08, equal_nan=False:
       bool(isclose(self, other, rtol, atol, equal_nan).all()))
method("equal", lambda self, other: tuple(self.shape) == tuple(other.shape)
       and bool((self == other).all()))
for _name, _fn in (("isnan", np.isnan), ("isinf", np.isinf), ("isfinite", np.isfinite)):
    method(_name, defop(f"{_name}(Tensor self) -> Tensor", lambda a, _f=_fn: _asarr(_f(a))))


# In-place operator forms: without them Python would fall back to the out-of-place op and
# rebind the name, leaving the tensor (and its version) untouched.
method("__iand__", bitwise_and["i"])
method("__ior__", bitwise_or["i"])
method("__ixor__", bitwise_xor["i"])

_eq, _ne = _CMP["eq"]["f"], _CMP["ne"]["f"]


def _eq_any(self, other):
    """``t == x``: anything that is not a tensor or a number (None, a str, a list) is not
    equal, by Python's own fallback (PyTorch returns NotImplemented for it too)."""
    if isinstance(other, Tensor) or is_operand(other):
        return _eq(self, other)
    return NotImplemented


def _ne_any(self, other):
    if isinstance(other, Tensor) or is_operand(other):
        return _ne(self, other)
    return NotImplemented


method("__eq__", _eq_any)
method("__ne__", _ne_any)
