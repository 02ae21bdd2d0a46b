"""Pointwise ops: values against numpy, result dtypes against PyTorch's promotion rule, the
in-place and ``out=`` forms (result, ``_version``, identity, refusals that change nothing), error
texts and the Python operator protocols.

Every expected dtype, value and error text hard-coded here was checked against real PyTorch
2.13 (CPU) while the tests were written; torch is not imported. ``ref_result_type`` below is an
independent statement of PyTorch's rule (it agreed with torch on all 2052 tier/dtype/scalar
combinations it was checked on). A behaviour where tensorkeys is found to differ from PyTorch
gets a test marked ``xfail(strict=True)`` saying what PyTorch does; section 6 holds the ones
that were fixed.
"""

import math
import operator
import re
from typing import NamedTuple

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st
from hypothesis.extra import numpy as hnp

import tensor as torch

F = torch.nn.functional
T = torch.tensor

# numpy's "divide by zero"/"invalid value" RuntimeWarnings leak out of tensorkeys' kernels
# (PyTorch does not warn); they are not what these tests are about
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

# -- dtypes and PyTorch's promotion rule (independent reference) ---------------------------
DTYPES = ("bool", "uint8", "int8", "int32", "int64", "float16", "float32", "float64")
FLOATS = ("float16", "float32", "float64")
NP = {n: np.dtype(np.bool_ if n == "bool" else n) for n in DTYPES + ("int16",)}
_KIND = {"bool": 0, "uint8": 1, "int8": 1, "int16": 1, "int32": 1, "int64": 1,
         "float16": 2, "float32": 2, "float64": 2}
_BITS = {"bool": 1, "uint8": 8, "int8": 8, "int16": 16, "int32": 32, "int64": 64,
         "float16": 16, "float32": 32, "float64": 64}
# the names PyTorch uses in "result type X can't be cast to the desired output type Y"
SHORT = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
         "int64": "Long", "float16": "Half", "float32": "Float", "float64": "Double"}
DEFAULT_FLOAT = "float32"


def kind(name):
    return _KIND[name]


def dtype_name(t):
    return str(t.dtype).replace("torch.", "")


def ref_promote(a, b):
    """``torch.promote_types`` for the dtypes used here."""
    if a == b:
        return a
    if _KIND[a] != _KIND[b]:                 # bool < integer < floating: the higher wins
        return a if _KIND[a] > _KIND[b] else b
    if _KIND[a] == 1 and (a == "uint8") != (b == "uint8"):
        signed = b if a == "uint8" else a    # uint8 with a signed type: a signed type big
        return "int16" if _BITS[signed] == 8 else signed   # enough for both
    return a if _BITS[a] >= _BITS[b] else b


class Meta(NamedTuple):
    """A tensor operand described by its dtype name and number of dims."""
    name: str
    ndim: int


def ref_result_type(*operands):
    """PyTorch's result dtype: operands fall in three tiers (tensors with dims, 0-dim tensors,
    Python numbers), each promoted within itself; a later tier only counts when its category is
    higher, and a Python float then means the default dtype."""
    tiers = [None, None, None]
    for x in operands:
        if isinstance(x, Meta):
            tier, name = (0 if x.ndim else 1), x.name
        elif isinstance(x, torch.Tensor):
            tier, name = (0 if x.dim() else 1), dtype_name(x)
        else:
            tier, name = 2, {bool: "bool", int: "int64", float: DEFAULT_FLOAT}[type(x)]
        tiers[tier] = name if tiers[tier] is None else ref_promote(tiers[tier], name)
    result = None
    for name in tiers:
        if name is not None and (result is None or _KIND[name] > _KIND[result]):
            result = name
    return result


def true_div_type(name):
    return name if kind(name) == 2 else DEFAULT_FLOAT


# -- helpers -------------------------------------------------------------------------------
TOL = {"float16": dict(rtol=4e-3, atol=4e-3), "float32": dict(rtol=2e-5, atol=1e-6),
       "float64": dict(rtol=1e-11, atol=1e-12)}


def tensor_of(arr):
    t = torch.tensor(np.asarray(arr))
    assert t.shape == np.shape(arr) and dtype_name(t) == np.asarray(arr).dtype.name
    return t


def snapshot(t):
    return t.numpy().copy()


def assert_result(out, expected, name):
    """``out`` has dtype ``name``, ``expected``'s shape, and its values (tolerance by dtype)."""
    assert isinstance(out, torch.Tensor)
    assert dtype_name(out) == name
    got = out.numpy()
    with np.errstate(all="ignore"):
        expected = np.asarray(expected).astype(NP[name])   # e.g. overflow to inf in float32
    assert got.shape == expected.shape
    if kind(name) == 2:
        np.testing.assert_allclose(got.astype(np.float64), expected.astype(np.float64),
                                   equal_nan=True, **TOL[name])
    else:
        np.testing.assert_array_equal(got, expected)


def broadcast_message(sa, sb):
    """PyTorch's text for shapes that do not broadcast: the first clash from the right."""
    n = max(len(sa), len(sb))
    pa, pb = (1,) * (n - len(sa)) + tuple(sa), (1,) * (n - len(sb)) + tuple(sb)
    for i in reversed(range(n)):
        if pa[i] != pb[i] and 1 not in (pa[i], pb[i]):
            return (f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) "
                    f"at non-singleton dimension {i}")
    raise AssertionError("shapes broadcast")


def cast_message(result, out):
    return f"result type {SHORT[result]} can't be cast to the desired output type {SHORT[out]}"


def shape_message(out_shape, shape):
    return (f"output with shape [{', '.join(map(str, out_shape))}] doesn't match the broadcast "
            f"shape [{', '.join(map(str, shape))}]")


# -- value strategies ----------------------------------------------------------------------
def values(dt, compute=None, *, lo=None, hi=None):
    """Elements for an operand of dtype ``dt`` in an op computing in ``compute``. Integers may
    wrap when cast to the compute dtype (a negative int8 meeting uint8: PyTorch casts first,
    and so do the references here), and floats are multiples of 1/4 (so the rounding of a
    quotient never crosses an integer)."""
    if dt == "bool":
        return st.booleans()
    if kind(dt) == 1:
        a, b = (0, 100) if dt == "uint8" else (-100, 100)
        a = a if lo is None else max(a, lo)
        b = b if hi is None else min(b, hi)
        return st.integers(a, b)
    qa = -256 if lo is None else math.ceil(lo * 4)
    qb = 256 if hi is None else math.floor(hi * 4)
    return st.integers(qa, qb).map(lambda k: k / 4)


def scalar_of(py_type, compute, **kw):
    if py_type is bool:
        return st.booleans()
    if py_type is int:
        return values("int64", compute, **kw)
    return values("float32", compute, **kw)


def arrays(draw, dt, shape, compute=None, **kw):
    return draw(hnp.arrays(NP[dt], shape, elements=values(dt, compute, **kw)))


def no_zeros(arr):
    """Divisors for integer division: PyTorch raises on an integer zero divisor."""
    if arr.dtype.kind == "f":
        return arr
    return np.where(arr == 0, np.ones((), arr.dtype), arr).astype(arr.dtype)


# -- reference kernels ---------------------------------------------------------------------
def _pow(a, b):
    """``a ** b``; an integer to a negative integer power is 1 for 1, +-1 for -1, else 0
    (PyTorch's rule for tensor exponents; numpy refuses)."""
    if a.dtype.kind not in "iu" or not np.any(b < 0):
        return np.power(a, b)
    neg = b < 0
    r = np.power(a, np.where(neg, 0, b).astype(b.dtype))
    special = np.where(a == 1, 1, np.where(a == -1, np.where(b % 2 == 1, -1, 1), 0))
    return np.where(neg, special.astype(a.dtype), r)


def _trunc_div(a, b):
    if a.dtype.kind == "f":
        return np.trunc(np.true_divide(a, b))
    a64, b64 = a.astype(np.int64), b.astype(np.int64)
    return (np.sign(a64) * np.sign(b64) * (np.abs(a64) // np.abs(b64))).astype(a.dtype)


class Bin(NamedTuple):
    call: object            # (a, b) -> Tensor
    ref: object             # numpy on operands already cast to the compute dtype
    kind: str = "arith"     # arith: result = compute dtype; true: float; cmp/logical: bool
    divisor: bool = False   # an integer zero divisor raises in PyTorch
    no_bool: bool = False   # PyTorch refuses a bool operand (sub)
    no_bool_result: bool = False
    no_float: bool = False  # bitwise ops are integral only
    pow: bool = False


def _div(mode):
    return lambda a, b: torch.div(a, b, rounding_mode=mode)


BINARY = {
    "add": Bin(torch.add, np.add),
    "sub": Bin(torch.sub, np.subtract, no_bool=True),
    "mul": Bin(torch.mul, np.multiply),
    "div": Bin(torch.div, np.true_divide, kind="true"),
    "div_trunc": Bin(_div("trunc"), _trunc_div, divisor=True, no_bool_result=True),
    "div_floor": Bin(_div("floor"), np.floor_divide, divisor=True, no_bool_result=True),
    "pow": Bin(torch.pow, _pow, pow=True, no_bool_result=True),
    "maximum": Bin(torch.maximum, np.maximum),
    "minimum": Bin(torch.minimum, np.minimum),
    "remainder": Bin(torch.remainder, np.remainder, divisor=True, no_bool_result=True),
    "eq": Bin(torch.eq, np.equal, kind="cmp"),
    "ne": Bin(torch.ne, np.not_equal, kind="cmp"),
    "lt": Bin(torch.lt, np.less, kind="cmp"),
    "le": Bin(torch.le, np.less_equal, kind="cmp"),
    "gt": Bin(torch.gt, np.greater, kind="cmp"),
    "ge": Bin(torch.ge, np.greater_equal, kind="cmp"),
    "logical_and": Bin(torch.logical_and, np.logical_and, kind="logical"),
    "logical_or": Bin(torch.logical_or, np.logical_or, kind="logical"),
    "logical_xor": Bin(torch.logical_xor, np.logical_xor, kind="logical"),
    "bitwise_and": Bin(torch.bitwise_and, np.bitwise_and, no_float=True),
    "bitwise_or": Bin(torch.bitwise_or, np.bitwise_or, no_float=True),
    "bitwise_xor": Bin(torch.bitwise_xor, np.bitwise_xor, no_float=True),
}


def op_allows(spec, a_name, b_name, compute):
    """Whether PyTorch accepts the op for these operand dtypes (names, or a Python type); the
    refusals have their own tests."""
    if spec.no_bool and "bool" in (a_name, b_name):
        return False
    if spec.no_bool_result and compute == "bool":
        return False
    if spec.no_float and kind(compute) == 2:
        return False
    return True


def reference(spec, a, b, compute):
    """The op on numpy arrays (or numbers): both operands cast to the compute dtype first, as
    PyTorch's TensorIterator does."""
    with np.errstate(all="ignore"):
        if spec.kind == "logical":
            return np.asarray(spec.ref(np.asarray(a), np.asarray(b)))
        dt = NP[true_div_type(compute) if spec.kind == "true" else compute]
        return np.asarray(spec.ref(np.asarray(a).astype(dt), np.asarray(b).astype(dt)))


def result_name(spec, compute):
    if spec.kind in ("cmp", "logical"):
        return "bool"
    return true_div_type(compute) if spec.kind == "true" else compute


def tensor_only_shapes():
    return hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=0,
                                             max_side=3)


# ==========================================================================================
# 1. binary ops: dtype promotion, values, shapes
# ==========================================================================================
u8, i8, i16, i32, i64 = torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64
f16, f32, f64 = torch.float16, torch.float32, torch.float64

SYMBOLS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
           "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "&": operator.and_,
           "|": operator.or_, "==": operator.eq}


def D(name):
    """A tensor with dims."""
    return Meta(name, 1)


def Z(name):
    """A 0-dim tensor."""
    return Meta(name, 0)


def make(x):
    return torch.ones((2,) * x.ndim, dtype=getattr(torch, x.name)) if isinstance(x, Meta) else x


def describe(x):
    if isinstance(x, Meta):
        return f"{x.name}{' dim' if x.ndim else ' 0-dim'}"
    return f"python {x!r}"


# (a, operator, b, PyTorch 2.13's result dtype)
BINARY_PROMOTION = [
    (D("int64"), "+", 2.5, "float32"),
    (D("int32"), "+", Z("int64"), "int32"),
    (D("int32"), "+", Z("float64"), "float64"),
    (D("uint8"), "+", D("int8"), "int16"),
    (D("bool"), "+", D("bool"), "bool"),
    (D("float16"), "+", 2.5, "float16"),
    (D("int64"), "/", D("int64"), "float32"),
    (D("int8"), "/", D("int8"), "float32"),
    (D("uint8"), "+", Z("int8"), "uint8"),
    (D("int8"), "+", Z("uint8"), "int8"),
    (Z("uint8"), "+", Z("int8"), "int16"),
    (D("bool"), "+", 2, "int64"),
    (D("bool"), "+", True, "bool"),
    (D("bool"), "+", 1.5, "float32"),
    (D("bool"), "+", Z("int8"), "int8"),
    (D("float16"), "+", Z("float64"), "float16"),
    (D("float16"), "+", D("int64"), "float16"),
    (D("int64"), "+", Z("float16"), "float16"),
    (Z("int64"), "+", Z("float16"), "float16"),
    (Z("int32"), "+", 2.5, "float32"),
    (Z("float64"), "+", 2, "float64"),
    (Z("float64"), "+", D("float16"), "float16"),
    (D("int32"), "+", D("int64"), "int64"),
    (D("float32"), "+", D("float64"), "float64"),
    (D("uint8"), "+", 2, "uint8"),
    (D("int8"), "+", True, "int8"),
    (D("float32"), "+", True, "float32"),
    (D("int16"), "+", D("uint8"), "int16"),
    (D("uint8"), "+", D("int64"), "int64"),
    (D("int64"), "+", Z("float32"), "float32"),
    (Z("bool"), "+", Z("bool"), "bool"),
    (Z("int64"), "+", Z("int32"), "int64"),
    (2, "-", D("int32"), "int32"),
    (2.0, "*", D("int32"), "float32"),
    (D("uint8"), "/", 2, "float32"),
    (D("bool"), "/", D("bool"), "float32"),
    (D("float16"), "/", Z("int64"), "float16"),
    (D("int64"), "/", Z("float64"), "float64"),
    (D("int64"), "//", 2.5, "float32"),
    (7, "//", D("int8"), "int8"),
    (D("int8"), "%", Z("int64"), "int8"),
    (2, "**", D("int32"), "int32"),
    (2.5, "**", D("int32"), "float32"),
    (D("int32"), "**", 0.5, "float32"),
    (D("int8"), "**", Z("int64"), "int8"),
    (D("int8"), "&", D("uint8"), "int16"),
    (D("bool"), "|", 2, "int64"),
    (D("int32"), "==", 1.0, "bool"),
]


def _promotion_id(e):
    return f"{describe(e[0])} {e[1]} {describe(e[2])}"


@pytest.mark.parametrize("a,sym,b,expected", BINARY_PROMOTION,
                         ids=[_promotion_id(e) for e in BINARY_PROMOTION])
def test_binary_promotion_table_verified_against_pytorch(a, sym, b, expected):
    out = SYMBOLS[sym](make(a), make(b))
    assert dtype_name(out) == expected
    # and the independent statement of the rule agrees
    res = ref_result_type(a, b)
    res = true_div_type(res) if sym == "/" else "bool" if sym == "==" else res
    assert res == expected


OTHER_PROMOTION = [
    ("maximum(uint8 dim, int8 dim)",
     lambda: torch.maximum(T([1], dtype=u8), T([2], dtype=i8)), "int16"),
    ("minimum(bool dim, 0-dim float64)",
     lambda: torch.minimum(T([True]), T(0.5, dtype=f64)), "float64"),
    ("logical_and(int dim, float dim)", lambda: torch.logical_and(T([1]), T([0.5])), "bool"),
    ("where(c, int8 dim, 0-dim int64)",
     lambda: torch.where(T([True, False]), T([1, 2], dtype=i8), T(3)), "int8"),
    ("where(c, int8 dim, python float)",
     lambda: torch.where(T([True, False]), T([1, 2], dtype=i8), 2.5), "float32"),
    ("where(c, python int, python float)", lambda: torch.where(T([True, False]), 1, 0.),
     "float32"),
    ("where(c, float16 dim, 0-dim float64)",
     lambda: torch.where(T([True]), T([1.], dtype=f16), T(2., dtype=f64)), "float16"),
    ("where(c, 0-dim int64, 0-dim float32)",
     lambda: torch.where(T([True, False]), T(1), T(0.5)), "float32"),
    ("clamp(int32 dim, min=python float)", lambda: torch.clamp(T([1, 5], dtype=i32), min=2.5),
     "float32"),
    ("clamp(uint8 dim, max=python int)", lambda: torch.clamp(T([1, 5], dtype=u8), max=2),
     "uint8"),
    ("clamp(bool dim, min=python int)", lambda: torch.clamp(T([True, False]), min=0), "int64"),
    ("clamp(float16 dim, min=python float)",
     lambda: torch.clamp(T([1, 5], dtype=f16), min=2.5), "float16"),
    ("sub(int8 dim, 0-dim int64, alpha=2)", lambda: torch.sub(T([5], dtype=i8), T(2), alpha=2),
     "int8"),
    ("add(float16 dim, python float, alpha=2)",
     lambda: torch.add(T([1.], dtype=f16), 2.5, alpha=2), "float16"),
    ("div(uint8 dim, int8 dim, floor)",
     lambda: torch.div(T([4], dtype=u8), T([2], dtype=i8), rounding_mode="floor"), "int16"),
    ("div(float16 dim, python int)", lambda: torch.div(T([4], dtype=f16), 2), "float16"),
]


@pytest.mark.parametrize("desc,thunk,expected", OTHER_PROMOTION,
                         ids=[d for d, _, _ in OTHER_PROMOTION])
def test_other_promotion_cases_verified_against_pytorch(desc, thunk, expected):
    assert dtype_name(thunk()) == expected


@pytest.mark.parametrize("op", sorted(BINARY))
@given(data=st.data())
def test_binary_op_matches_numpy_with_pytorch_dtype(op, data):
    spec = BINARY[op]
    sa, sb = data.draw(tensor_only_shapes()).input_shapes
    pairs = []
    for da in DTYPES:
        for db in DTYPES:
            compute = ref_result_type(Meta(da, len(sa)), Meta(db, len(sb)))
            if op_allows(spec, da, db, compute):
                pairs.append((da, db, compute))
    da, db, compute = data.draw(st.sampled_from(pairs), label="dtypes")
    a = arrays(data.draw, da, sa, compute)
    if spec.pow:   # (a tensor exponent may be negative, also for integers)
        b = arrays(data.draw, db, sb, compute, lo=-3 if kind(compute) < 2 else -4,
                   hi=5 if kind(compute) < 2 else 4)
    else:
        b = arrays(data.draw, db, sb, compute)
    if spec.divisor and kind(compute) < 2:
        b = no_zeros(b)
    ta, tb = tensor_of(a), tensor_of(b)
    out = spec.call(ta, tb)
    assert tuple(out.shape) == np.broadcast_shapes(sa, sb)
    assert_result(out, reference(spec, a, b, compute), result_name(spec, compute))
    np.testing.assert_array_equal(ta.numpy(), a)      # inputs untouched
    np.testing.assert_array_equal(tb.numpy(), b)


SCALAR_OPS = {
    "+": (operator.add, "add"), "-": (operator.sub, "sub"), "*": (operator.mul, "mul"),
    "/": (operator.truediv, "div"), "//": (operator.floordiv, "div_floor"),
    "%": (operator.mod, "remainder"), "**": (operator.pow, "pow"),
    "&": (operator.and_, "bitwise_and"), "|": (operator.or_, "bitwise_or"),
    "^": (operator.xor, "bitwise_xor"), "==": (operator.eq, "eq"), "!=": (operator.ne, "ne"),
    "<": (operator.lt, "lt"), "<=": (operator.le, "le"), ">": (operator.gt, "gt"),
    ">=": (operator.ge, "ge"),
}


@pytest.mark.parametrize("sym", list(SCALAR_OPS))
@given(data=st.data())
def test_operator_with_python_scalar_both_sides(sym, data):
    """``t op s`` and ``s op t`` for Python bool/int/float ``s``: a Python number is the weakest
    operand (it only matters when its category is higher, and then as int64/float32)."""
    fn, opname = SCALAR_OPS[sym]
    spec = BINARY[opname]
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3))
    combos = []
    for dt in DTYPES:
        for py in (bool, int, float):
            compute = ref_result_type(Meta(dt, len(shape)), py(1))
            if op_allows(spec, dt, "bool" if py is bool else py, compute):
                combos.append((dt, py, compute))
    dt, py, compute = data.draw(st.sampled_from(combos), label="dtype,scalar type")
    reflected = data.draw(st.booleans(), label="scalar on the left")
    int_compute = kind(compute) < 2
    exp_kw = dict(lo=0 if int_compute else -4, hi=5 if int_compute else 4)
    if spec.pow and not reflected:
        s = data.draw(scalar_of(py, compute, **exp_kw))
        a = arrays(data.draw, dt, shape, compute)
    elif spec.pow:
        s = data.draw(scalar_of(py, compute, lo=-10, hi=10))
        a = arrays(data.draw, dt, shape, compute, **exp_kw)
    else:
        s = data.draw(scalar_of(py, compute))
        a = arrays(data.draw, dt, shape, compute)
    if spec.divisor and int_compute:
        if reflected:
            a = no_zeros(a)
        else:
            assume(s != 0)
    t = tensor_of(a)
    out = fn(s, t) if reflected else fn(t, s)
    ref = reference(spec, s, a, compute) if reflected else reference(spec, a, s, compute)
    assert_result(out, ref, result_name(spec, compute))


@pytest.mark.parametrize("op", ["add", "sub"])
@given(data=st.data())
def test_add_sub_alpha(op, data):
    """``a + alpha * b`` (``a - alpha * b``) in the compute dtype: both operands cast to it
    first, alpha too (wrapping: -1 is 255 in uint8); bools (add only) give ``a | alpha & b``."""
    sa, sb = data.draw(hnp.mutually_broadcastable_shapes(
        num_shapes=2, min_dims=0, max_dims=3, max_side=3)).input_shapes
    pairs = [(da, db, c) for da in DTYPES for db in DTYPES
             if op == "add" or "bool" not in (da, db)
             for c in [ref_result_type(Meta(da, len(sa)), Meta(db, len(sb)))]]
    da, db, compute = data.draw(st.sampled_from(pairs))
    a, b = arrays(data.draw, da, sa, compute), arrays(data.draw, db, sb, compute)
    if kind(compute) == 2:
        alpha = data.draw(st.one_of(st.integers(-3, 3), values("float32", lo=-4, hi=4)))
    else:
        alpha = data.draw(st.integers(-3, 3))
    inplace = data.draw(st.booleans()) and compute == da and len(sa) >= len(sb) and \
        np.broadcast_shapes(sa, sb) == sa
    ta = tensor_of(a)
    if inplace:
        out = getattr(ta, op + "_")(tensor_of(b), alpha=alpha)
        assert out is ta
    else:
        out = getattr(torch, op)(ta, tensor_of(b), alpha=alpha)
    A, B = a.astype(NP[compute]), b.astype(NP[compute])
    with np.errstate(all="ignore"):
        if compute == "bool":
            ref = A | (B & bool(alpha))
        else:
            w = -alpha if op == "sub" else alpha
            ref = np.add(A, np.multiply(B, np.asarray(w).astype(NP[compute])))
    assert_result(out, ref, compute)


def test_alpha_scales_other_only():
    assert torch.add(T([1., 2.]), T([10., 20.]), alpha=2).tolist() == [21., 42.]
    assert torch.sub(T([1., 2.]), T([10., 20.]), alpha=0.5).tolist() == [-4., -8.]
    assert T([5, 6]).sub(1, alpha=3).tolist() == [2, 3]
    assert torch.sub(T([5], dtype=i8), T(2), alpha=2).tolist() == [1]


def test_special_float_values():
    nan, inf = float("nan"), float("inf")
    x = T([1., -1., 0., inf, -inf, nan])
    y = T([0., 0., 0., inf, inf, 1.])
    np.testing.assert_array_equal((x / y).numpy(), [inf, -inf, nan, nan, nan, nan])
    np.testing.assert_array_equal((x + y).numpy(), [1., -1., 0., inf, nan, nan])
    np.testing.assert_array_equal((x * y).numpy(), [0., -0., 0., inf, -inf, nan])
    assert (x == x).tolist() == [True, True, True, True, True, False]
    assert (x != x).tolist() == [False, False, False, False, False, True]
    assert (x < inf).tolist() == [True, True, True, False, True, False]
    np.testing.assert_array_equal(torch.maximum(T([1., nan]), T([nan, 2.])).numpy(),
                                  [nan, nan])       # NaN propagates (PyTorch)
    np.testing.assert_array_equal(torch.minimum(T([1., nan]), T([nan, 2.])).numpy(),
                                  [nan, nan])
    np.testing.assert_array_equal((T([5., -5., 0.]) % 0).numpy(), [nan, nan, nan])
    np.testing.assert_array_equal((T([5., -5., 0.]) // 0).numpy(), [inf, -inf, nan])
    np.testing.assert_array_equal(T([5, -5, 0]) / 0, [inf, -inf, nan])
    np.testing.assert_array_equal(torch.div(T([5., -5.]), T([0., 0.]), rounding_mode="trunc"),
                                  [inf, -inf])
    np.testing.assert_array_equal(torch.remainder(T([5., -5.]), T([inf, inf])), [5., inf])
    np.testing.assert_array_equal(T([0.]) ** -1, [inf])
    assert math.isnan((T([-2.]) ** 0.5).item())
    assert (T([1., 2.], dtype=f16) * 1e10).tolist() == [inf, inf]    # float16 overflows


def test_integer_wraparound_like_pytorch():
    assert (T([120], dtype=i8) + T([120], dtype=i8)).tolist() == [-16]
    assert (T([200], dtype=u8) + T([100], dtype=u8)).tolist() == [44]
    assert (T([200], dtype=u8) * 2).tolist() == [144]
    assert (T([100, 2], dtype=i8) * 3).tolist() == [44, 6]
    assert (T([3], dtype=i8) ** 5).tolist() == [-13]
    assert (T([2]) ** 70).tolist() == [0]
    assert (T([-2]) ** 3).tolist() == [-8]
    assert torch.neg(T([1], dtype=u8)).tolist() == [255]
    assert torch.abs(T([-128], dtype=i8)).tolist() == [-128]
    assert torch.neg(T([-128], dtype=i8)).tolist() == [-128]
    # casts into the compute dtype wrap for arithmetic (the 0-dim int8 becomes uint8 251)
    assert torch.add(T([7], dtype=u8), T(-5, dtype=i8)).tolist() == [2]
    assert torch.mul(T([7], dtype=u8), T(-5, dtype=i8)).tolist() == [221]
    assert torch.maximum(T([7], dtype=u8), T(-5, dtype=i8)).tolist() == [251]
    assert torch.bitwise_and(T([7], dtype=u8), T(-5, dtype=i8)).tolist() == [3]
    assert torch.add(T([100], dtype=i8), T(300, dtype=i16)).tolist() == [-112]


def test_division_rounding_modes():
    assert torch.div(T([7, -7]), 2, rounding_mode="floor").tolist() == [3, -4]
    assert torch.div(T([7, -7]), 2, rounding_mode="trunc").tolist() == [3, -3]
    assert torch.div(T([7., -7.]), 2, rounding_mode="trunc").tolist() == [3., -3.]
    r = torch.div(T([7, -7]), 2.5, rounding_mode="floor")
    assert dtype_name(r) == "float32" and r.tolist() == [2., -3.]
    assert (T([7, -7]) // 2).tolist() == [3, -4]
    assert (7 // T([2, -2])).tolist() == [3, -4]
    assert (7 % T([2, -2])).tolist() == [1, -1]
    assert (7.5 % T([2, -2])).tolist() == [1.5, -0.5]
    assert torch.remainder(T([-7.5, 7.5]), 2).tolist() == [0.5, 1.5]
    assert torch.remainder(T([-7.5, 7.5]), -2).tolist() == [-1.5, -0.5]
    assert (T([-7, 7]) % -2).tolist() == [-1, -1]
    r = torch.div(T([5.5, -5.5], dtype=f16), 2, rounding_mode="floor")
    assert dtype_name(r) == "float16" and r.tolist() == [2., -3.]
    r = torch.div(T([5, -5], dtype=i8), T([2.]), rounding_mode="floor")
    assert dtype_name(r) == "float32" and r.tolist() == [2., -3.]
    assert (T([1, 2]) / T([2])).tolist() == [0.5, 1.0]


def test_integer_pow():
    assert (T([2, 3]) ** 2).tolist() == [4, 9]
    assert (T([2, 3]) ** 0).tolist() == [1, 1]
    assert (T([0]) ** 0).tolist() == [1]
    assert dtype_name(T([2, 3]) ** True) == "int64"
    assert (T([1, 2]) ** 0.5).tolist() == pytest.approx([1.0, 1.4142135381698608])
    assert (T([1, 2]) ** T([2., 3])).tolist() == [1., 8.]
    assert (2 ** T([1, 2])).tolist() == [2, 4]
    assert (2.0 ** T([1, 2])).tolist() == [2., 4.]
    assert torch.pow(2.5, T([1, 2])).tolist() == [2.5, 6.25]
    assert dtype_name(torch.pow(T(2.5), T([1, 2]))) == "float32"
    assert torch.pow(T(2), T([1, 2], dtype=i8)).tolist() == [2, 4]
    assert dtype_name(torch.pow(T(2), T([1, 2], dtype=i8))) == "int8"
    assert torch.pow(T([2., 3]), -2).tolist() == pytest.approx([0.25, 1 / 9])


def test_comparisons_and_logical_ops_return_bool():
    assert torch.eq(T([1, 2]), T([1.0, 2.5])).tolist() == [True, False]
    assert torch.eq(T([1, 2], dtype=u8), T([1, 2], dtype=i8)).tolist() == [True, True]
    assert torch.lt(T([1, 2], dtype=u8), T([-1], dtype=i8)).tolist() == [False, False]
    assert torch.lt(T([1, 2], dtype=i8), 2.5).tolist() == [True, True]
    assert torch.logical_and(T([1, 0]), T([0.5, 0.5])).tolist() == [True, False]
    assert torch.logical_xor(T([1, 0]), T([True])).tolist() == [False, True]
    assert torch.logical_or(T([1, 0], dtype=u8), T(0.)).tolist() == [True, False]
    assert torch.bitwise_and(T([True, False]), T([3])).tolist() == [1, 0]
    assert torch.bitwise_or(T([True, False]), T(3)).tolist() == [3, 3]
    assert dtype_name(torch.bitwise_or(T([True, False]), T(3))) == "int64"
    assert torch.bitwise_and(T([-1], dtype=i8), T([200], dtype=u8)).tolist() == [200]
    for name in ("greater", "less", "greater_equal", "less_equal", "not_equal"):
        assert dtype_name(getattr(T([1., 2.]), name)(1.5)) == "bool"


# ==========================================================================================
# 2. unary ops
# ==========================================================================================
def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


class Un(NamedTuple):
    call: object
    ref: object               # numpy, float64 for floating ops, the input dtype otherwise
    floating: bool = True     # integer inputs give float32; else the dtype is kept
    dtypes: tuple = DTYPES


_NO_BOOL = tuple(d for d in DTYPES if d != "bool")
UNARY = {
    "neg": Un(torch.neg, np.negative, floating=False, dtypes=_NO_BOOL),
    "abs": Un(torch.abs, np.abs, floating=False, dtypes=_NO_BOOL),
    "exp": Un(torch.exp, np.exp),
    "log": Un(torch.log, np.log),
    "log1p": Un(torch.log1p, np.log1p),
    "log2": Un(torch.log2, np.log2),
    "sqrt": Un(torch.sqrt, np.sqrt),
    "rsqrt": Un(torch.rsqrt, lambda x: 1 / np.sqrt(x)),
    "sin": Un(torch.sin, np.sin),
    "cos": Un(torch.cos, np.cos),
    "tan": Un(torch.tan, np.tan),
    "tanh": Un(torch.tanh, np.tanh),
    "sigmoid": Un(torch.sigmoid, _sigmoid),
    "reciprocal": Un(torch.reciprocal, lambda x: 1 / x),
    "erf": Un(torch.erf, _erf),
    "relu": Un(torch.relu, lambda x: np.maximum(x, np.zeros((), x.dtype)), floating=False,
               dtypes=_NO_BOOL),
    "sign": Un(torch.sign, lambda x: x.copy() if x.dtype == np.bool_ else np.sign(x),
               floating=False),
    "floor": Un(torch.floor, np.floor, floating=False, dtypes=_NO_BOOL),
    "ceil": Un(torch.ceil, np.ceil, floating=False, dtypes=_NO_BOOL),
    "trunc": Un(torch.trunc, np.trunc, floating=False, dtypes=_NO_BOOL),
    "round": Un(torch.round, np.round, floating=False, dtypes=_NO_BOOL),
    "gelu": Un(F.gelu, lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))), dtypes=FLOATS),
    "gelu_tanh": Un(lambda t: F.gelu(t, approximate="tanh"), _gelu_tanh, dtypes=FLOATS),
    "silu": Un(F.silu, lambda x: x * _sigmoid(x), dtypes=FLOATS),
}


def unary_values(dt):
    if kind(dt) == 2:
        return st.floats(-10, 10, width=_BITS[dt])
    return values(dt)


@pytest.mark.parametrize("op", sorted(UNARY))
@given(data=st.data())
def test_unary_op_matches_numpy(op, data):
    spec = UNARY[op]
    dt = data.draw(st.sampled_from(spec.dtypes))
    x = data.draw(hnp.arrays(NP[dt], hnp.array_shapes(min_dims=0, max_dims=3, min_side=0,
                                                      max_side=4), elements=unary_values(dt)))
    out = spec.call(tensor_of(x))
    with np.errstate(all="ignore"):
        if spec.floating:
            expected_dt = dt if kind(dt) == 2 else DEFAULT_FLOAT
            ref = spec.ref(x.astype(np.float64))
        else:
            expected_dt = dt
            ref = spec.ref(x)
    assert_result(out, np.asarray(ref), expected_dt)


@pytest.mark.parametrize("dt", DTYPES)
def test_integer_and_bool_inputs_to_floating_ops_give_float32(dt):
    x = T([1, 0, 1], dtype=getattr(torch, dt)) if dt != "bool" else T([True, False, True])
    for op in ("exp", "log", "log1p", "log2", "sqrt", "rsqrt", "sin", "cos", "tan", "tanh",
               "sigmoid", "reciprocal", "erf"):
        assert dtype_name(getattr(torch, op)(x)) == (dt if kind(dt) == 2 else "float32"), op


@given(data=st.data())
def test_round_with_decimals(data):
    dt = data.draw(st.sampled_from(FLOATS))
    d = data.draw(st.integers(-1, 2))
    x = data.draw(hnp.arrays(NP[dt], hnp.array_shapes(min_dims=0, max_dims=2, max_side=4),
                             elements=values(dt, lo=-16, hi=16)))
    out = torch.round(tensor_of(x), decimals=d)
    assert_result(out, np.round(x, d), dt)


def test_round_examples():
    assert torch.round(T([0.5, 1.5, 2.5, -0.5, 2.675])).tolist() == [0., 2., 2., -0., 3.]
    r = torch.round(T([0.5, 1.5, 2.5, -0.5, 2.675]), decimals=2).tolist()
    assert r == pytest.approx([0.5, 1.5, 2.5, -0.5, 2.680000066757202])
    assert torch.round(T([1234.5678]), decimals=-2).tolist() == [1200.]
    assert torch.round(T([0.125, 0.375], dtype=f64), decimals=2).tolist() == [0.12, 0.38]
    assert torch.round(T([1, -2, 7])).tolist() == [1, -2, 7]


def test_unary_special_values():
    nan, inf = float("nan"), float("inf")
    np.testing.assert_array_equal(torch.reciprocal(T([0, 2, -4])), [inf, 0.5, -0.25])
    np.testing.assert_array_equal(torch.reciprocal(T([0., -0.])), [inf, -inf])
    np.testing.assert_array_equal(torch.rsqrt(T([0., -1., 4.])), [inf, nan, 0.5])
    np.testing.assert_array_equal(torch.log(T([0., -1., 1.])), [-inf, nan, 0.])
    np.testing.assert_array_equal(torch.log1p(T([-1., -2.])), [-inf, nan])
    np.testing.assert_array_equal(torch.log2(T([0, 8])), [-inf, 3.])
    assert torch.sqrt(T([4, 9], dtype=u8)).tolist() == [2., 3.]
    assert torch.exp(T([100.], dtype=f16)).tolist() == [inf]
    assert torch.sigmoid(T([-100., 100.])).tolist() == [0., 1.]
    assert torch.tanh(T([-100., 100.])).tolist() == [-1., 1.]
    np.testing.assert_array_equal(torch.relu(T([nan, -1., 2.])), [nan, 0., 2.])
    np.testing.assert_array_equal(torch.clamp(T([nan, 1., 5.]), min=2, max=4), [nan, 2., 4.])
    assert torch.clamp(T([1., 5.]), min=4, max=2).tolist() == [2., 2.]   # min > max: max
    assert torch.sign(T([-0.0, 0.0, -inf, 2.])).tolist() == [0., 0., -1., 1.]
    assert torch.floor(T([-1.5, 2.5], dtype=f16)).tolist() == [-2., 2.]
    assert torch.trunc(T([-1.5, 2.5])).tolist() == [-1., 2.]
    assert torch.ceil(T([-1.5, 2.5])).tolist() == [-1., 3.]
    assert torch.floor(T([1, -2])).tolist() == [1, -2]
    got = F.gelu(T([-3., 0.5]), approximate="tanh").tolist()
    assert got == pytest.approx([-0.0036374330520629883, 0.3457140028476715], rel=1e-4)
    got = F.silu(T([-3., 0.5])).tolist()
    assert got == pytest.approx([-0.14227761328220367, 0.3112296760082245], rel=1e-6)


@given(data=st.data())
def test_clamp_matches_numpy_with_scalar_promotion(data):
    dt = data.draw(st.sampled_from(DTYPES))
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
    bound_types = data.draw(st.tuples(st.sampled_from([None, int, float]),
                                      st.sampled_from([None, int, float])).filter(
                                          lambda p: p != (None, None)))
    compute = ref_result_type(Meta(dt, len(shape)), *(p(1) for p in bound_types if p))
    # (an int bound outside the tensor's dtype is converted first: -1 is 255 for uint8)
    lo, hi = (None if p is None else data.draw(scalar_of(p, compute)) for p in bound_types)
    x = arrays(data.draw, dt, shape, compute)
    out = torch.clamp(tensor_of(x), min=lo, max=hi)
    ref = x.astype(NP[compute])
    if lo is not None:
        ref = np.maximum(ref, np.asarray(lo).astype(NP[compute]))
    if hi is not None:
        ref = np.minimum(ref, np.asarray(hi).astype(NP[compute]))
    assert_result(out, ref, compute)
    assert torch.clip(tensor_of(x), min=lo, max=hi).tolist() == out.tolist()


def test_clamp_min_and_clamp_max():
    assert T([1., 5.]).clamp_min(2).tolist() == [2., 5.]
    assert T([1., 5.]).clamp_max(2).tolist() == [1., 2.]
    assert torch.clamp(T([1, 5]), min=2.5).tolist() == [2.5, 5.]
    assert torch.clamp(T([1, 5], dtype=i32), min=True).tolist() == [1, 5]
    assert dtype_name(torch.clamp(T([1, 5], dtype=i32), min=True)) == "int32"


@given(data=st.data())
def test_where_matches_numpy(data):
    sc, sx, sy = data.draw(hnp.mutually_broadcastable_shapes(
        num_shapes=3, min_dims=0, max_dims=3, min_side=0, max_side=3)).input_shapes
    cond = data.draw(hnp.arrays(np.bool_, sc))
    ops = []
    for s in (sx, sy):
        if data.draw(st.booleans(), label="python scalar?"):
            ops.append(data.draw(st.sampled_from([bool, int, float])))
        else:
            ops.append(Meta(data.draw(st.sampled_from(DTYPES)), len(s)))
    compute = ref_result_type(*(o if isinstance(o, Meta) else o(1) for o in ops))
    vals, args = [], []
    for o, s in zip(ops, (sx, sy)):
        if isinstance(o, Meta):
            v = arrays(data.draw, o.name, s, compute)
            args.append(tensor_of(v))
        else:
            v = data.draw(scalar_of(o, compute))
            args.append(v)
        vals.append(np.asarray(v).astype(NP[compute]))
    out = torch.where(tensor_of(cond), *args)
    assert_result(out, np.where(cond, *vals), compute)


def test_where_examples():
    c = T([True, False])
    assert torch.where(c, T([1., 2.]), T([3., 4.])).tolist() == [1., 4.]
    assert torch.where(c, T([1, 2]), T([3., 4.])).tolist() == [1., 4.]
    assert torch.where(T([[True], [False]]), T([1., 2.]), 0.).tolist() == [[1., 2.], [0., 0.]]
    assert torch.where(c, T([1, 2]), T([True, True])).tolist() == [1, 1]
    assert T([1., 2.]).where(c, 0.).tolist() == [1., 0.]
    assert [x.tolist() for x in torch.where(c)] == [[0]]
    with pytest.raises(RuntimeError, match=re.escape(broadcast_message((3,), (2,)))):
        torch.where(T([True, False, True]), T([1., 2.]), T([3., 4.]))


# ==========================================================================================
# 3. in-place and out= forms
# ==========================================================================================
def _f(*v, dtype=None):
    return lambda: T(list(v), dtype=dtype)


INPLACE_CASES = [
    # (id, self maker, in-place call, functional call)
    ("add_", _f(1.5, -2., 3.), lambda x: x.add_(T([1., 2., 3.])), lambda x: x.add(T([1., 2., 3.]))),
    ("add_ alpha", _f(1, -2, 3), lambda x: x.add_(2, alpha=3), lambda x: x.add(2, alpha=3)),
    ("sub_ alpha", _f(1.5, -2., 3.), lambda x: x.sub_(T([1., 2., 3.]), alpha=2),
     lambda x: x.sub(T([1., 2., 3.]), alpha=2)),
    ("sub_ alpha int", _f(1, -2, 3), lambda x: x.sub_(T([1, 2, 3]), alpha=-2),
     lambda x: x.sub(T([1, 2, 3]), alpha=-2)),
    ("sub_ alpha float", _f(1.5, -2., 3.), lambda x: x.sub_(T([1., 2., 3.]), alpha=1.5),
     lambda x: x.sub(T([1., 2., 3.]), alpha=1.5)),
    ("mul_ scalar", _f(1.5, -2., 3.), lambda x: x.mul_(2.5), lambda x: x.mul(2.5)),
    ("mul_ broadcast", lambda: T([[1., 2., 3.], [4., 5., 6.]]), lambda x: x.mul_(T([1., 0., -1.])),
     lambda x: x.mul(T([1., 0., -1.]))),
    ("mul_ 0-dim", _f(1, 2, dtype=i32), lambda x: x.mul_(T(2)), lambda x: x.mul(T(2))),
    ("div_", _f(1.5, -2., 3.), lambda x: x.div_(2), lambda x: x.div(2)),
    ("div_ by zero", _f(1.5, -2., 3.), lambda x: x.div_(T(0)), lambda x: x.div(T(0))),
    ("div_ floor", _f(1.5, -2., 3.), lambda x: x.div_(2, rounding_mode="floor"),
     lambda x: x.div(2, rounding_mode="floor")),
    ("div_ floor int", _f(3, -3), lambda x: x.div_(2, rounding_mode="floor"),
     lambda x: x.div(2, rounding_mode="floor")),
    ("div_ trunc", _f(1.5, -2., 3.), lambda x: x.div_(2, rounding_mode="trunc"),
     lambda x: x.div(2, rounding_mode="trunc")),
    ("pow_ scalar", _f(1.5, -2., 3.), lambda x: x.pow_(2), lambda x: x.pow(2)),
    ("pow_ negative scalar", _f(1.5, -2., 3.), lambda x: x.pow_(-1), lambda x: x.pow(-1)),
    ("pow_ tensor", _f(1.5, -2., 3.), lambda x: x.pow_(T([1., 2., 3.])),
     lambda x: x.pow(T([1., 2., 3.]))),
    ("pow_ int", _f(1, -2, 3), lambda x: x.pow_(3), lambda x: x.pow(3)),
    ("remainder_", _f(1.5, -2., 3.), lambda x: x.remainder_(2), lambda x: x.remainder(2)),
    ("clamp_ min", _f(1.5, -2., 3.), lambda x: x.clamp_(min=0), lambda x: x.clamp(min=0)),
    ("clamp_ both", _f(1.5, -2., 3.), lambda x: x.clamp_(min=-1, max=2),
     lambda x: x.clamp(min=-1, max=2)),
    ("clamp_ int", _f(1, -2, 3), lambda x: x.clamp_(max=1), lambda x: x.clamp(max=1)),
    ("relu_", _f(1.5, -2., 3.), lambda x: x.relu_(), lambda x: x.relu()),
    ("relu_ int", _f(1, -2, 3), lambda x: x.relu_(), lambda x: x.relu()),
    ("sigmoid_", _f(1.5, -2., 3.), lambda x: x.sigmoid_(), lambda x: x.sigmoid()),
    ("exp_", _f(1.5, -2., 3.), lambda x: x.exp_(), lambda x: x.exp()),
    ("tanh_", _f(1.5, -2., 3.), lambda x: x.tanh_(), lambda x: x.tanh()),
    ("sqrt_", _f(1.5, 2., 9.), lambda x: x.sqrt_(), lambda x: x.sqrt()),
    ("neg_", _f(1, -2, 3), lambda x: x.neg_(), lambda x: x.neg()),
    ("abs_", _f(1.5, -2., 3.), lambda x: x.abs_(), lambda x: x.abs()),
    ("floor_", _f(1.5, -2.5, 3.), lambda x: x.floor_(), lambda x: x.floor()),
    ("sign_", _f(1.5, -2.5, 0.), lambda x: x.sign_(), lambda x: x.sign()),
    ("reciprocal_", _f(1.5, -2.5, 4.), lambda x: x.reciprocal_(), lambda x: x.reciprocal()),
    ("F.silu inplace", _f(1.5, -2.5, 4.), lambda x: F.silu(x, inplace=True), lambda x: F.silu(x)),
    ("bitwise_and_", _f(6, 3, 5), lambda x: x.bitwise_and_(T([3, 3, 3])),
     lambda x: x.bitwise_and(T([3, 3, 3]))),
    ("bitwise_xor_ bool", _f(True, False), lambda x: x.bitwise_xor_(T([True, True])),
     lambda x: x.bitwise_xor(T([True, True]))),
    ("logical_and_", _f(1.5, 0., 3.), lambda x: x.logical_and_(T([1., 0., 1.])),
     lambda x: x.logical_and(T([1., 0., 1.]))),
    ("eq_", _f(1.5, 0., 3.), lambda x: x.eq_(T([1.5, 0., 2.])), lambda x: x.eq(T([1.5, 0., 2.]))),
    ("lt_ int", _f(1, -2, 3), lambda x: x.lt_(2), lambda x: x.lt(2)),
    ("add_ float64 into float16", _f(1., 2., dtype=f16), lambda x: x.add_(T([2.], dtype=f64)),
     lambda x: x.add(T([2.], dtype=f64))),
    ("add_ int64 into int8", _f(100, 2, dtype=i8), lambda x: x.add_(T([100])),
     lambda x: x.add(T([100]))),
    ("+=", _f(1.5, -2., 3.), lambda x: operator.iadd(x, 1), lambda x: x + 1),
    ("-=", _f(1, -2, 3), lambda x: operator.isub(x, T([1, 1, 1])), lambda x: x - T([1, 1, 1])),
    ("*=", _f(1.5, -2., 3.), lambda x: operator.imul(x, 2), lambda x: x * 2),
    ("/=", _f(1.5, -2., 3.), lambda x: operator.itruediv(x, 4), lambda x: x / 4),
    ("**=", _f(1.5, -2., 3.), lambda x: operator.ipow(x, 2), lambda x: x ** 2),
]


@pytest.mark.parametrize("case", INPLACE_CASES, ids=[c[0] for c in INPLACE_CASES])
def test_inplace_matches_functional_bumps_version_once_returns_self(case):
    _, make, inplace, functional = case
    x = make()
    dt = dtype_name(x)
    expected = functional(make()).numpy().astype(NP[dt])
    v0 = x._version
    r = inplace(x)
    assert r is x
    assert x._version == v0 + 1
    assert dtype_name(x) == dt
    np.testing.assert_allclose(x.numpy().astype(np.float64), expected.astype(np.float64),
                               rtol=1e-6, equal_nan=True)


def test_inplace_through_a_view_writes_the_base():
    base = T([[1., 2.], [3., 4.]])
    row = base[1]
    row.mul_(10)
    assert base.tolist() == [[1., 2.], [30., 40.]]
    assert base._version == row._version == 1


def _aten(name):
    return getattr(torch.ops.aten, name).out


OUT_CASES = [
    # (id, call(out), functional, out dtype)
    ("aten.add.out", lambda o: _aten("add")(T([1., 2., 3.]), T([1., 2., 3.]), out=o),
     lambda: T([1., 2., 3.]) + T([1., 2., 3.]), "float32"),
    ("aten.add.out alpha", lambda o: _aten("add")(T([1., 2., 3.]), T([1., 2., 3.]), alpha=2,
                                                   out=o),
     lambda: torch.add(T([1., 2., 3.]), T([1., 2., 3.]), alpha=2), "float32"),
    ("aten.add.out int into float", lambda o: _aten("add")(T([1, 2, 3]), T([1, 2, 3]), out=o),
     lambda: T([1, 2, 3]) + T([1, 2, 3]), "float32"),
    ("aten.add.out broadcast", lambda o: _aten("add")(T([1., 2, 3]), T([[1.], [2]]), out=o),
     lambda: T([1., 2, 3]) + T([[1.], [2]]), "float32"),
    ("aten.sub.out alpha", lambda o: _aten("sub")(T([1., 2, 3]), T([3., 2, 1]), alpha=3, out=o),
     lambda: torch.sub(T([1., 2, 3]), T([3., 2, 1]), alpha=3), "float64"),
    ("aten.mul.out", lambda o: _aten("mul")(T([1., -2, 3]), T([2., 2, 2]), out=o),
     lambda: T([1., -2, 3]) * 2, "float32"),
    ("aten.div.out", lambda o: _aten("div")(T([1, 2, 3]), T([2, 2, 2]), out=o),
     lambda: T([1, 2, 3]) / 2, "float32"),
    ("aten.maximum.out", lambda o: _aten("maximum")(T([1., -2, 3]), T([1., 2, 0]), out=o),
     lambda: torch.maximum(T([1., -2, 3]), T([1., 2, 0])), "float32"),
    ("aten.minimum.out", lambda o: _aten("minimum")(T([1, -2, 3]), T([1, 2, 0]), out=o),
     lambda: torch.minimum(T([1, -2, 3]), T([1, 2, 0])), "int64"),
    ("aten.logical_and.out", lambda o: _aten("logical_and")(T([1, 0, 3]), T([3, 3, 0]), out=o),
     lambda: torch.logical_and(T([1, 0, 3]), T([3, 3, 0])), "bool"),
    ("aten.abs.out", lambda o: _aten("abs")(T([1., -2, 3]), out=o),
     lambda: torch.abs(T([1., -2, 3])), "float32"),
    ("aten.exp.out into float64", lambda o: _aten("exp")(T([1., 2, 3]), out=o),
     lambda: torch.exp(T([1., 2, 3])), "float64"),
    ("aten.neg.out", lambda o: _aten("neg")(T([1., -2, 3]), out=o),
     lambda: torch.neg(T([1., -2, 3])), "float32"),
    ("aten.sigmoid.out", lambda o: _aten("sigmoid")(T([1., -2, 3]), out=o),
     lambda: torch.sigmoid(T([1., -2, 3])), "float32"),
    ("torch.add out=", lambda o: torch.add(T([1., 2, 3]), T([1., 2, 3]), out=o),
     lambda: T([1., 2, 3]) * 2, "float32"),
    ("torch.sub out= alpha", lambda o: torch.sub(T([1., 2, 3]), 2, alpha=2, out=o),
     lambda: T([-3., -2., -1.]), "float32"),
    ("torch.div out=", lambda o: torch.div(T([1, 2, 3]), 2, out=o),
     lambda: T([0.5, 1., 1.5]), "float32"),
    ("torch.pow out=", lambda o: torch.pow(T([1., -2, 3]), T([1., 2, 3]), out=o),
     lambda: T([1., 4., 27.]), "float32"),
    ("torch.remainder out=", lambda o: torch.remainder(T([1., -2, 3]), T([2., 2, 2]), out=o),
     lambda: T([1., 0., 1.]), "float32"),
    ("torch.eq out= bool", lambda o: torch.eq(T([1., -2, 3]), T([1., 2, 3]), out=o),
     lambda: T([True, False, True]), "bool"),
    ("torch.eq out= float", lambda o: torch.eq(T([1., -2, 3]), T([1., 2, 3]), out=o),
     lambda: T([1., 0., 1.]), "float32"),
    ("torch.bitwise_and out=", lambda o: torch.bitwise_and(T([1, 2, 3]), T([3, 3, 3]), out=o),
     lambda: T([1, 2, 3]), "int64"),
    ("torch.sin out=", lambda o: torch.sin(T([1., 2, 3]), out=o),
     lambda: torch.sin(T([1., 2, 3])), "float32"),
]


@pytest.mark.parametrize("case", OUT_CASES, ids=[c[0] for c in OUT_CASES])
def test_out_variant_writes_out_bumps_version_once_returns_out(case):
    _, call, functional, out_dt = case
    expected = functional()
    o = torch.empty(tuple(expected.shape), dtype=getattr(torch, out_dt))
    v0 = o._version
    r = call(o)
    assert r is o
    assert o._version == v0 + 1
    assert dtype_name(o) == out_dt
    np.testing.assert_allclose(o.numpy().astype(np.float64),
                               expected.numpy().astype(NP[out_dt]).astype(np.float64),
                               rtol=1e-6)


def test_out_variant_refusals_leave_out_unchanged():
    o = torch.zeros(2, dtype=i64)
    with pytest.raises(RuntimeError, match=cast_message("float32", "int64")):
        _aten("add")(T([1, 2]), T([1.5]), out=o)
    with pytest.raises(RuntimeError, match=cast_message("float32", "int64")):
        _aten("exp")(T([1, 2]), out=o)
    with pytest.raises(RuntimeError, match=cast_message("float32", "int64")):
        torch.div(T([1, 2]), 2, out=o)
    ob = torch.zeros(2, dtype=torch.bool)
    with pytest.raises(RuntimeError, match=cast_message("int64", "bool")):
        _aten("add")(T([1, 2]), T([1, 2]), out=ob)
    with pytest.raises(RuntimeError, match=re.escape(broadcast_message((2,), (3,)))):
        _aten("add")(T([1, 2]), T([1, 2, 3]), out=torch.zeros(2))
    assert o.tolist() == [0, 0] and o._version == 0
    assert ob.tolist() == [False, False] and ob._version == 0


def test_out_may_alias_an_input_exactly_but_not_partly():
    x = torch.arange(4.)
    r = _aten("add")(x, x, out=x)
    assert r is x and x.tolist() == [0., 2., 4., 6.] and x._version == 1
    y = torch.arange(4.)
    with pytest.raises(RuntimeError, match="unsupported operation: some elements of the input "
                                           "tensor and the written-to tensor refer to a single "
                                           "memory location"):
        _aten("add")(y[:3], y[:3], out=y[1:])
    assert y.tolist() == [0., 1., 2., 3.] and y._version == 0


# -- hypothesis: in-place good and bad cases -----------------------------------------------
INPLACE_BINARY = {
    "add_": "add", "sub_": "sub", "mul_": "mul", "div_": "div", "pow_": "pow",
    "remainder_": "remainder", "bitwise_and_": "bitwise_and", "bitwise_or_": "bitwise_or",
    "eq_": "eq", "lt_": "lt", "ge_": "ge", "logical_or_": "logical_or",
}


@st.composite
def shrunk_shape(draw, shape):
    """A shape that broadcasts to ``shape``: leading dims dropped, some dims set to 1."""
    k = draw(st.integers(0, len(shape)))
    tail = list(shape[k:])
    for i in range(len(tail)):
        if draw(st.booleans()):
            tail[i] = 1
    return tuple(tail)


def _operand(data, shape, allow_scalar=True):
    """("tensor", dtype, shape) or ("scalar", python type)."""
    if allow_scalar and data.draw(st.booleans(), label="python scalar?"):
        return ("scalar", data.draw(st.sampled_from([bool, int, float])))
    return ("tensor", data.draw(st.sampled_from(DTYPES)), data.draw(shrunk_shape(shape)))


def _meta(o):
    return Meta(o[1], len(o[2])) if o[0] == "tensor" else o[1](1)


def _make_other(data, o, compute, **kw):
    if o[0] == "scalar":
        return data.draw(scalar_of(o[1], compute, **kw))
    return tensor_of(arrays(data.draw, o[1], o[2], compute, **kw))


@given(data=st.data())
def test_inplace_binary_property_equals_functional(data):
    op = data.draw(st.sampled_from(sorted(INPLACE_BINARY)))
    spec = BINARY[INPLACE_BINARY[op]]
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
    ds = data.draw(st.sampled_from(DTYPES))
    o = _operand(data, shape)
    compute = ref_result_type(Meta(ds, len(shape)), _meta(o))
    res = result_name(spec, compute)
    other_name = o[1] if o[0] == "tensor" else ("bool" if o[1] is bool else o[1])
    assume(op_allows(spec, ds, other_name, compute) and kind(res) <= kind(ds))
    int_c = kind(compute) < 2
    kw = dict(lo=0, hi=5) if spec.pow and int_c else dict(lo=-4, hi=4) if spec.pow else {}
    x = tensor_of(arrays(data.draw, ds, shape, compute))
    other = _make_other(data, o, compute, **kw)
    if spec.divisor and int_c:
        if isinstance(other, torch.Tensor):
            other = tensor_of(no_zeros(other.numpy()))
        else:
            assume(other != 0)
    expected = getattr(torch.Tensor, op[:-1])(torch.tensor(snapshot(x)), other)
    v0 = x._version
    r = getattr(x, op)(other)
    assert r is x and x._version == v0 + 1 and dtype_name(x) == ds
    assert tuple(x.shape) == shape
    want = expected.numpy().astype(NP[ds])
    if kind(ds) == 2:
        np.testing.assert_allclose(x.numpy().astype(np.float64), want.astype(np.float64),
                                   equal_nan=True, **TOL[ds])
    else:
        np.testing.assert_array_equal(x.numpy(), want)


BAD_INPLACE = ["add_", "sub_", "mul_", "div_", "pow_", "remainder_", "bitwise_and_", "eq_"]


@given(data=st.data())
def test_inplace_refusals_leave_data_and_version_unchanged(data):
    """A result larger than ``self`` or of a higher category than ``self``'s dtype: RuntimeError
    with PyTorch's text (the shape is checked first), nothing written, no version bump."""
    op = data.draw(st.sampled_from(BAD_INPLACE))
    spec = BINARY[op[:-1]]
    bad_shape, bad_dtype = data.draw(st.sampled_from([(True, False), (False, True),
                                                      (True, True)]))
    if bad_shape:
        big = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
        shape = data.draw(shrunk_shape(big).filter(lambda s: s != big))
        o = ("tensor", None, big)
    else:
        shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3))
        o = _operand(data, shape)
    candidates = []
    for ds in DTYPES:
        others = [o[1]] if o[0] == "scalar" else DTYPES
        for do in others:
            oo = o if o[0] == "scalar" else ("tensor", do, o[2])
            compute = ref_result_type(Meta(ds, len(shape)), _meta(oo))
            res = result_name(spec, compute)
            other_name = do if o[0] == "tensor" else ("bool" if do is bool else do)
            if not op_allows(spec, ds, other_name, compute):
                continue
            if spec.no_bool_result is False and op == "sub_" and "bool" in (ds, other_name):
                continue
            if (kind(res) > kind(ds)) == bad_dtype:
                candidates.append((ds, oo, res))
    assume(candidates)
    ds, o, res = data.draw(st.sampled_from(candidates))
    x = tensor_of(arrays(data.draw, ds, shape, lo=0, hi=3))
    # (zero divisors included: the shape and dtype refusals come before the division's own)
    other = _make_other(data, o, res if kind(res) > kind(ds) else ds, lo=0, hi=3)
    before, v0 = snapshot(x), x._version
    msg = shape_message(shape, o[2]) if bad_shape else cast_message(res, ds)
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        getattr(x, op)(other)
    assert x._version == v0
    np.testing.assert_array_equal(x.numpy(), before)


@given(data=st.data())
def test_out_variant_property(data):
    opname = data.draw(st.sampled_from(["add", "sub", "mul", "div", "maximum", "minimum",
                                        "logical_and", "logical_xor"]))
    spec = BINARY[opname]
    sa, sb = data.draw(tensor_only_shapes()).input_shapes
    da, db = data.draw(st.sampled_from(DTYPES)), data.draw(st.sampled_from(DTYPES))
    compute = ref_result_type(Meta(da, len(sa)), Meta(db, len(sb)))
    assume(op_allows(spec, da, db, compute))
    res = result_name(spec, compute)
    out_dt = data.draw(st.sampled_from([d for d in DTYPES if kind(d) >= kind(res)]))
    a, b = arrays(data.draw, da, sa, compute), arrays(data.draw, db, sb, compute)
    ta, tb = tensor_of(a), tensor_of(b)
    o = torch.empty(np.broadcast_shapes(sa, sb), dtype=getattr(torch, out_dt))
    v0 = o._version
    r = getattr(torch.ops.aten, opname).out(ta, tb, out=o)
    assert r is o and o._version == v0 + 1 and dtype_name(o) == out_dt
    want = spec.call(ta, tb).numpy().astype(NP[out_dt])
    if kind(out_dt) == 2:
        np.testing.assert_allclose(o.numpy().astype(np.float64), want.astype(np.float64),
                                   equal_nan=True, **TOL[out_dt])
    else:
        np.testing.assert_array_equal(o.numpy(), want)


@pytest.mark.parametrize("op", ["relu_", "sigmoid_", "exp_", "sqrt_", "tanh_", "sin_",
                                "reciprocal_", "log_"])
@pytest.mark.parametrize("dt", ["bool", "uint8", "int32", "int64"])
def test_floating_inplace_on_integer_tensor_refused(op, dt):
    x = T([1, 0, 1], dtype=getattr(torch, dt)) if dt != "bool" else T([True, False, True])
    before = snapshot(x)
    if op == "relu_":
        if dt == "bool":
            with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
                x.relu_()
            assert x._version == 0
            np.testing.assert_array_equal(x.numpy(), before)
            return
        assert x.relu_() is x and x._version == 1
        return
    with pytest.raises(RuntimeError, match=cast_message("float32", dt)):
        getattr(x, op)()
    assert x._version == 0
    np.testing.assert_array_equal(x.numpy(), before)


# ==========================================================================================
# 4. error texts
# ==========================================================================================
@st.composite
def non_broadcastable_shapes(draw):
    shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4)
    sa = draw(shapes)
    sb = draw(shapes)

    def clash(pair):
        try:
            np.broadcast_shapes(*pair)
            return False
        except ValueError:
            return True
    pair = (sa, sb)
    if not clash(pair):
        # force a clash at a random position from the right
        n = min(len(sa), len(sb))
        i = draw(st.integers(1, n))
        sa = sa[:len(sa) - i] + (2,) + sa[len(sa) - i + 1:]
        sb = sb[:len(sb) - i] + (3,) + sb[len(sb) - i + 1:]
    return sa, sb


@given(op=st.sampled_from(sorted(BINARY)), shapes=non_broadcastable_shapes())
def test_broadcast_mismatch_text(op, shapes):
    """Every binary op: PyTorch's text, naming the first clash from the right."""
    sa, sb = shapes
    spec = BINARY[op]
    dt = np.int64 if spec.no_float else np.float32
    a, b = tensor_of(np.ones(sa, dt)), tensor_of(np.ones(sb, dt))
    with pytest.raises(RuntimeError, match=re.escape(broadcast_message(sa, sb))):
        spec.call(a, b)


def test_broadcast_mismatch_examples_verbatim():
    msg = "The size of tensor a (3) must match the size of tensor b (2) at non-singleton " \
          "dimension 0"
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        T([1, 2, 3]) + T([1, 2])
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        T([1., 2., 3.]).add_(T([1., 2.]))       # a non-broadcastable in-place op, same text
    with pytest.raises(RuntimeError, match=re.escape(
            "The size of tensor a (4) must match the size of tensor b (5) at non-singleton "
            "dimension 2")):
        torch.ones(2, 3, 4) + torch.ones(3, 1, 5)
    with pytest.raises(RuntimeError, match=re.escape(
            "The size of tensor a (2) must match the size of tensor b (4) at non-singleton "
            "dimension 1")):
        torch.ones(2, 3) * torch.ones(5, 4, 3)
    assert (torch.ones(3) + torch.ones(0, 1)).shape == (0, 3)


def test_inplace_result_larger_than_self_text():
    x = T([1, 2, 3])
    with pytest.raises(RuntimeError, match=re.escape(
            "output with shape [3] doesn't match the broadcast shape [2, 3]")):
        x.add_(T([[1.5] * 3] * 2))
    with pytest.raises(RuntimeError, match=re.escape(
            "output with shape [] doesn't match the broadcast shape [1]")):
        T(1.).add_(T([1.]))
    with pytest.raises(RuntimeError, match=re.escape(
            "result type Float can't be cast to the desired output type Long")):
        x.add_(1.5)
    assert x.tolist() == [1, 2, 3] and x._version == 0


NEG_POW = "Integers to negative integer powers are not allowed."


@pytest.mark.parametrize("call", [
    lambda: T([2, 3]).pow(-1),
    lambda: T([2, 3]) ** -2,
    lambda: T(2).pow(-1),
    lambda: torch.pow(T([2, 3], dtype=i8), -1),
    lambda: T([True]).pow(-1),
], ids=["pow", "**", "0-dim", "int8", "bool"])
def test_integer_to_negative_scalar_power_text(call):
    with pytest.raises(RuntimeError, match=re.escape(NEG_POW)):
        call()


def test_integer_to_negative_scalar_power_inplace_changes_nothing():
    x = T([2, 3])
    with pytest.raises(RuntimeError, match=re.escape(NEG_POW)):
        x.pow_(-1)
    assert x.tolist() == [2, 3] and x._version == 0


CLAMP_MSG = "torch.clamp: At least one of 'min' or 'max' must not be None"


@pytest.mark.parametrize("call", [lambda x: torch.clamp(x), lambda x: x.clamp(),
                                  lambda x: x.clamp_(), lambda x: torch.clamp(x, None, None),
                                  lambda x: x.clip()],
                         ids=["torch.clamp", "method", "clamp_", "None,None", "clip"])
def test_clamp_without_bounds_text(call):
    x = T([1., 2.])
    with pytest.raises(RuntimeError, match=re.escape(CLAMP_MSG)):
        call(x)
    assert x._version == 0


@pytest.mark.parametrize("mode", ["bad", "round", "", "Floor"])
def test_div_invalid_rounding_mode_text(mode):
    msg = (f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
           f"'{mode}'")
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        torch.div(T([1., 2.]), 2, rounding_mode=mode)
    x = T([1., 2.])
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        x.div_(2, rounding_mode=mode)
    assert x.tolist() == [1., 2.] and x._version == 0


def test_float_alpha_with_integer_tensors_text():
    msg = "For integral input tensors, argument alpha must not be a floating point number."
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        T([1, 2, 3]).add(2, alpha=1.5)
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        T([1, 2, 3]).add(T([1, 2, 3]), alpha=0.5)
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        T([1, 2, 3]).sub(1, alpha=2.0)


def test_bitwise_on_float_text():
    with pytest.raises(RuntimeError, match=re.escape(
            "\"bitwise_and_cpu\" not implemented for 'Float'")):
        torch.bitwise_and(T([1.5]), T([1.]))
    with pytest.raises(RuntimeError, match=re.escape(
            "\"bitwise_xor_cpu\" not implemented for 'Float'")):
        T([1, 2]) ^ 2.5


def test_gelu_bad_approximate_and_integer_input_texts():
    with pytest.raises(RuntimeError, match=re.escape(
            "approximate argument must be either none or tanh.")):
        F.gelu(T([1.]), approximate="bad")
    with pytest.raises(NotImplementedError, match=re.escape(
            "\"GeluKernelImpl\" not implemented for 'Long'")):
        F.gelu(T([1]), approximate="tanh")
    with pytest.raises(NotImplementedError, match=re.escape(
            "\"silu_cpu\" not implemented for 'Long'")):
        F.silu(T([-3, 1]))


def test_none_operand_is_a_type_error():
    with pytest.raises(TypeError):
        T([1, 2]) + None
    with pytest.raises(TypeError):
        None + T([1, 2])
    with pytest.raises(TypeError, match=re.escape("'<' not supported between instances of")):
        T([1, 2]) < None


# ==========================================================================================
# 5. Python protocols
# ==========================================================================================
PROTOCOL_CASES = [
    # (source, result dtype, result values) - all verified against PyTorch 2.13
    ("2 - T([1., 2])", "float32", [1., 0.]),
    ("2 - T([1, 2])", "int64", [1, 0]),
    ("2.5 - T([1, 2])", "float32", [1.5, 0.5]),
    ("2 ** T([1, 2])", "int64", [2, 4]),
    ("2.0 ** T([1, 2])", "float32", [2., 4.]),
    ("2 ** T([1., 2])", "float32", [2., 4.]),
    ("T([1, 2]) ** 2", "int64", [1, 4]),
    ("2 / T([1, 2])", "float32", [2., 1.]),
    ("7 // T([2, 3])", "int64", [3, 2]),
    ("7.5 // T([2, 3])", "float32", [3., 2.]),
    ("7 % T([2, 3])", "int64", [1, 1]),
    ("2 * T([1, 2])", "int64", [2, 4]),
    ("2 + T([1, 2])", "int64", [3, 4]),
    ("True + T([1, 2])", "int64", [2, 3]),
    ("T([1, 2]) @ T([3, 4])", "int64", 11),
    ("T([[1., 2]]) @ T([[3.], [4]])", "float32", [[11.]]),
    ("np.float64(2.0) * T([1., 2])", "float32", [2., 4.]),
    ("np.float64(2.0) + T([1, 2])", "float32", [3., 4.]),
    ("T([1, 2]) + np.float64(2.0)", "float32", [3., 4.]),
    ("T([1, 2]) + np.array([1.5, 2.5])", "float64", [2.5, 4.5]),
    ("T([1, 2]) + np.array(1.5)", "float64", [2.5, 3.5]),
    ("T([1., 2]) < 2", "bool", [True, False]),
    ("2 < T([1., 2])", "bool", [False, False]),
    ("T([1., 2]) == T([1., 3])", "bool", [True, False]),
    ("T([1., 2]) != 2", "bool", [True, False]),
    ("T([1., 2]) >= T([2.])", "bool", [False, True]),
    ("np.array([1., 2]) == T([1., 1.5])", "bool", [True, False]),
    ("abs(T([-1, 2]))", "int64", [1, 2]),
    ("abs(T([-1.5, 2]))", "float32", [1.5, 2.]),
    ("-T([1, -2])", "int64", [-1, 2]),
    ("-T([1.5])", "float32", [-1.5]),
    ("~T([True, False])", "bool", [False, True]),
    ("~T([1, -2])", "int64", [-2, 1]),
    ("~T([1, 2], dtype=u8)", "uint8", [254, 253]),
    ("T([True, False]) & T([True, True])", "bool", [True, False]),
    ("T([True, False]) | T([False, False])", "bool", [True, False]),
    ("T([True, False]) ^ T([True, True])", "bool", [False, True]),
    ("T([6, 3]) & T([3, 3])", "int64", [2, 3]),
    ("T([6, 3]) | 1", "int64", [7, 3]),
    ("T([6, 3]) ^ 1", "int64", [7, 2]),
    ("1 & T([6, 3])", "int64", [0, 1]),
    ("1 | T([6, 3])", "int64", [7, 3]),
    ("1 ^ T([6, 3])", "int64", [7, 2]),
    ("True & T([True, False])", "bool", [True, False]),
    ("T([True, False]) & 1", "int64", [1, 0]),
    ("T([True, False]) | True", "bool", [True, True]),
    ("T([1., 2]).__rsub__(3)", "float32", [2., 1.]),
    ("T([7, -7]).__rfloordiv__(2)", "int64", [0, -1]),
    ("T([2, 3]).__rpow__(2.5)", "float32", [6.25, 15.625]),
    ("T([2, 3]).__rpow__(T([2, 2]))", "int64", [4, 8]),
]


@pytest.mark.parametrize("src,dt,expected", PROTOCOL_CASES, ids=[c[0] for c in PROTOCOL_CASES])
def test_operator_protocols(src, dt, expected):
    out = eval(src, {"T": T, "np": np, "u8": u8})
    assert isinstance(out, torch.Tensor)
    assert dtype_name(out) == dt
    assert out.tolist() == expected


NUMPY_LEFT_REFUSED = [
    ("+", operator.add), ("-", operator.sub), ("*", operator.mul), ("//", operator.floordiv),
    ("%", operator.mod), ("**", operator.pow), ("&", operator.and_), ("|", operator.or_),
    ("^", operator.xor), ("@", operator.matmul),
]


@pytest.mark.parametrize("sym,fn", NUMPY_LEFT_REFUSED, ids=[s for s, _ in NUMPY_LEFT_REFUSED])
@pytest.mark.parametrize("left_dt,right_dt", [("float64", "float32"), ("int64", "int64"),
                                              ("int32", "float64"), ("bool", "bool")])
def test_numpy_array_on_the_left_is_refused(sym, fn, left_dt, right_dt):
    """PyTorch 2.13: ``ndarray op tensor`` is a TypeError for these operators (the tensor's
    reflected operator declines the array; Python then raises)."""
    a = np.array([3, 4], dtype=left_dt)
    b = tensor_of(np.array([2, 3], dtype=right_dt))
    with pytest.raises(TypeError):
        fn(a, b)


@pytest.mark.parametrize("left_dt,right_dt", [("float64", "float32"), ("float32", "float32"),
                                              ("int32", "float64")])
def test_numpy_array_divided_by_a_tensor(left_dt, right_dt):
    """``ndarray / t`` works in PyTorch, as ``t.reciprocal() * ndarray`` (the array acting as a
    tensor of its dtype)."""
    a = np.array([3, 4], dtype=left_dt)
    b = np.array([2, 3], dtype=right_dt)
    out = a / tensor_of(b)
    assert isinstance(out, torch.Tensor)
    recip = (1 / b.astype(np.float64)).astype(right_dt if right_dt != "int32" else "float32")
    want = recip * a
    assert dtype_name(out) == str(want.dtype)
    np.testing.assert_array_equal(out.numpy(), want)


def test_bool_float_int_index_of_one_element_tensors():
    assert bool(T([1.5])) is True and bool(T(0.)) is False and bool(T([[0]])) is False
    assert float(T([1.5])) == 1.5 and float(T(2)) == 2.0
    assert int(T([2.7])) == 2 and int(T(-2.7)) == -2 and int(T(True)) == 1
    assert complex(T([1.5])) == 1.5 + 0j
    assert T(3).__index__() == 3 and T([3]).__index__() == 3 and T(True).__index__() == 1
    assert operator.index(T(2)) == 2 and hex(T(255)) == "0xff"
    assert [10, 20, 30][T(1)] == 20 and list(range(5))[T(1):T(3)] == [1, 2]


def test_bool_of_multi_element_tensor_text():
    with pytest.raises(RuntimeError, match=re.escape(
            "Boolean value of Tensor with more than one value is ambiguous")):
        bool(T([1, 2]))
    with pytest.raises(RuntimeError, match="ambiguous"):
        if T([1., 2.]) > 0:
            pass


@pytest.mark.parametrize("x", [lambda: T([1, 2]), lambda: T(3.), lambda: T([3.]),
                               lambda: T(True)], ids=["multi", "float0d", "float1", "bool?"])
def test_index_text(x):
    t = x()
    if t.dtype in (torch.int64, torch.bool) and t.numel() == 1:
        assert t.__index__() == int(t.item())
        return
    with pytest.raises(TypeError, match=re.escape(
            "only integer tensors of a single element can be converted to an index")):
        operator.index(t)
    with pytest.raises(TypeError, match=re.escape(
            "only integer tensors of a single element can be converted to an index")):
        [10, 20, 30][t]


def test_len_and_iter():
    assert len(T([1, 2, 3])) == 3 and len(T([[1, 2, 3]])) == 1 and len(T([])) == 0
    assert T([1, 2]).__len__() == 2
    assert [x.tolist() for x in T([[1, 2], [3, 4]])] == [[1, 2], [3, 4]]
    assert [x.tolist() for x in T([1, 2])] == [1, 2]
    assert all(x.dim() == 0 for x in T([1, 2]))
    assert list(T([])) == []
    with pytest.raises(TypeError, match=re.escape("len() of a 0-d tensor")):
        len(T(3))
    with pytest.raises(TypeError, match=re.escape("iteration over a 0-d tensor")):
        list(iter(T(3)))
    assert (5 in T([1, 2, 3])) is False and (2 in T([1, 2, 3])) is True


def test_round_and_divmod_are_not_protocols():
    with pytest.raises(TypeError, match=re.escape("type Tensor doesn't define __round__ method")):
        round(T(2.5))
    with pytest.raises(TypeError):
        divmod(T([7, -7]), 2)
    with pytest.raises(TypeError):
        divmod(7, T([2, -2]))


def test_hash_is_identity():
    a, b = T([1]), T([1])
    assert hash(a) == hash(a) and {a: 1}[a] == 1 and len({a, b}) == 2


# ==========================================================================================
# 6. behaviour that once differed from PyTorch 2.13 (values, dtypes and texts checked
#    against torch; each test was an xfail until fixed)
# ==========================================================================================


def test_pow_integer_tensor_exponent_with_negatives():
    assert T([2, 3]).pow(T([-1, 2])).tolist() == [0, 9]
    assert T([1, -1, 2, 0]).pow(T([-1, -1, -2, -1])).tolist() == [1, -1, 0, 0]
    assert T([2, 3], dtype=i16).pow(T(-1)).tolist() == [0, 0]
    assert (2 ** T([-1, 2])).tolist() == [0, 4]


def test_pow_uint8_result_with_signed_operand():
    r = torch.pow(T([1, 2, 3], dtype=u8), T(2, dtype=i8))
    assert dtype_name(r) == "uint8" and r.tolist() == [1, 4, 9]
    r = torch.pow(T(2, dtype=i8), T([1, 2], dtype=u8))
    assert dtype_name(r) == "uint8" and r.tolist() == [2, 4]


def test_pow_bool_tensor_python_bool():
    r = T([True, False]) ** True
    assert dtype_name(r) == "bool" and r.tolist() == [True, False]


@pytest.mark.parametrize("call", [
    lambda: T([1, 2]) % T([0, 1]), lambda: T([1, 2]) // T([0, 1]),
    lambda: torch.div(T([1, 2]), T([0, 1]), rounding_mode="trunc"),
    lambda: torch.div(T([1, 2]), 0, rounding_mode="floor"), lambda: T([1, 2]) % 0,
    lambda: torch.remainder(T([3], dtype=i8), T([True, False])),
], ids=["%", "//", "trunc", "floor scalar", "% scalar", "bool divisor"])
def test_integer_division_by_zero_raises(call):
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        call()


def test_integer_division_by_zero_inplace_does_not_bump_version():
    # (PyTorch may already have written the elements before the zero; only the version
    # counter is specified)
    x = T([1, 2])
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        x.div_(0, rounding_mode="floor")
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        x.remainder_(T([1, 0]))
    assert x._version == 0


def test_inplace_shape_checked_before_zero_division():
    with pytest.raises(RuntimeError, match=re.escape(shape_message((2,), (2, 2)))):
        T([1, 2]).remainder_(T([[0, 1], [1, 1]]))
    with pytest.raises(RuntimeError, match=re.escape(shape_message((), (1,)))):
        T(0, dtype=u8).remainder_(T([False]))


@pytest.mark.parametrize("call,expected", [
    (lambda: T([1, 2, 3], dtype=u8) + -1, [0, 1, 2]),
    (lambda: T([1, 2, 3], dtype=u8) * -1, [255, 254, 253]),
    (lambda: T([1, 2], dtype=u8) + 300, [45, 46]),
    (lambda: T([1, 2], dtype=i8) + 300, [45, 46]),
    (lambda: T([1, 2], dtype=i32) + 2 ** 40, [1, 2]),
    (lambda: T([1, 2, 3], dtype=u8) & -1, [1, 2, 3]),
    (lambda: torch.clamp(T([1, 5], dtype=u8), min=-1), [255, 255]),
], ids=["u8+-1", "u8*-1", "u8+300", "i8+300", "i32+2**40", "u8&-1", "clamp u8 min=-1"])
def test_out_of_range_python_int_wraps(call, expected):
    assert call().tolist() == expected


@pytest.mark.parametrize("call,expected", [
    (lambda: torch.eq(T([251], dtype=u8), T(-5, dtype=i8)), [True]),
    (lambda: torch.lt(T([1, 2], dtype=u8), T(-1, dtype=i8)), [True, True]),
    (lambda: torch.lt(T([1, 2], dtype=i8), T(200, dtype=u8)), [False, False]),
    (lambda: T([1, 2], dtype=u8) < 256, [False, False]),
    (lambda: torch.remainder(T([7], dtype=u8), T(-5, dtype=i8)), [7]),
    (lambda: torch.div(T([7], dtype=u8), T(-5, dtype=i8), rounding_mode="floor"), [0]),
    (lambda: torch.div(T([7], dtype=u8), T(-5, dtype=i8), rounding_mode="trunc"), [0]),
], ids=["eq", "lt 0-dim", "lt i8", "lt 256", "remainder", "floor", "trunc"])
def test_ops_compute_in_the_promoted_dtype(call, expected):
    assert call().tolist() == expected


def test_integer_trunc_division_is_exact():
    big = 2 ** 62 + 1
    assert torch.div(T([big, -big]), 1, rounding_mode="trunc").tolist() == [big, -big]
    assert torch.div(T([big]), T([3]), rounding_mode="trunc").tolist() == [big // 3]


def test_float_floor_division_python_semantics():
    assert (T([1.]) // 0.1).tolist() == [9.]
    assert torch.div(T([1.], dtype=f64), T([0.1], dtype=f64),
                     rounding_mode="floor").tolist() == [9.]
    assert torch.div(T([-5.]), T([float("inf")]), rounding_mode="floor").tolist() == [-1.]


def test_alpha_keeps_0dim_tier():
    assert dtype_name(T([1, 2], dtype=i32).add(T(2.5, dtype=f64), alpha=2)) == "float64"
    assert dtype_name(T([1, 2], dtype=i32).add(T(2.5, dtype=f16), alpha=2)) == "float16"
    assert dtype_name(T(2, dtype=i32).add(T(3), alpha=2)) == "int64"


def test_float_alpha_refused_for_integer_inplace():
    msg = "For integral input tensors, argument alpha must not be a floating point number."
    x = T([1, 2, 3])
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        x.add_(T([1, 2, 3]), alpha=1.5)
    assert x.tolist() == [1, 2, 3] and x._version == 0
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        T([1, 2]).add(T([1, 2]), alpha=1.0)


def test_bool_add_with_alpha():
    r = T([True, False]).add(T([True, True]), alpha=2)
    assert dtype_name(r) == "bool" and r.tolist() == [True, True]
    with pytest.raises(RuntimeError, match="Boolean alpha only supported for Boolean results."):
        T([1, 2, 3]).add(T([1, 2, 3]), alpha=True)


SUB_BOOL2 = ("Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
             "`^` or `logical_xor()` operator instead.")
SUB_BOOL1 = ("Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
             "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
NEG_BOOL = ("Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead.")


@pytest.mark.parametrize("call,msg", [
    (lambda: T([True]) - T([True]), SUB_BOOL2),
    (lambda: T([True]) - True, SUB_BOOL2),
    (lambda: T([True]) - T([1]), SUB_BOOL1),
    (lambda: T([1.5]) - T([True]), SUB_BOOL1),
    (lambda: T([1]) - True, SUB_BOOL1),
    (lambda: T([True]) - 2, SUB_BOOL1),
    (lambda: -T([True]), NEG_BOOL),
    (lambda: torch.neg(T([True])), NEG_BOOL),
], ids=["b-b", "b-True", "b-i", "f-b", "i-True", "b-2", "-b", "neg(b)"])
def test_bool_subtraction_and_negation_refused(call, msg):
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        call()


@pytest.mark.parametrize("call,exc,msg", [
    (lambda: torch.abs(T([True])), NotImplementedError, "\"abs_cpu\" not implemented for 'Bool'"),
    (lambda: torch.floor(T([True])), NotImplementedError,
     "\"floor_vml_cpu\" not implemented for 'Bool'"),
    (lambda: torch.round(T([True])), NotImplementedError,
     "\"round_vml_cpu\" not implemented for 'Bool'"),
    (lambda: torch.round(T([1, 2]), decimals=1), NotImplementedError,
     "\"round_cpu\" not implemented for 'Long'"),
    (lambda: torch.relu(T([True])), RuntimeError, "Boolean inputs not supported for relu"),
    (lambda: torch.remainder(T([True]), T([True])), NotImplementedError,
     "\"remainder_cpu\" not implemented for 'Bool'"),
    (lambda: torch.div(T([True]), T([True]), rounding_mode="floor"), NotImplementedError,
     "\"div_floor_cpu\" not implemented for 'Bool'"),
    (lambda: torch.pow(T([True]), T([True])), NotImplementedError,
     "\"pow\" not implemented for 'Bool'"),
    (lambda: torch.bitwise_and(T([1.5], dtype=f64), T([1.], dtype=f64)), NotImplementedError,
     "\"bitwise_and_cpu\" not implemented for 'Double'"),
    (lambda: ~T([1.5]), TypeError,
     "~ (operator.invert) is only implemented on integer and Boolean-type tensors"),
    (lambda: torch.where(T([1, 0]), T([1., 2.]), T([3., 4.])), RuntimeError,
     "where expected condition to be a boolean tensor, but got a tensor with dtype Long"),
    (lambda: torch.maximum(T([1.]), 2.), TypeError,
     "maximum(): argument 'other' (position 2) must be Tensor, not float"),
    (lambda: torch.logical_and(T([True]), True), TypeError,
     "logical_and(): argument 'other' (position 2) must be Tensor, not bool"),
], ids=["abs bool", "floor bool", "round bool", "round int decimals", "relu bool",
        "remainder bool", "div floor bool", "pow bool", "bitwise double", "~float",
        "where int cond", "maximum scalar", "logical_and scalar"])
def test_unsupported_dtypes_and_arguments_refused_like_pytorch(call, exc, msg):
    with pytest.raises(exc, match=re.escape(msg)):
        call()


def test_sign_bool_and_nan():
    r = torch.sign(T([True, False]))
    assert dtype_name(r) == "bool" and r.tolist() == [True, False]
    assert torch.sign(T([float("nan")])).tolist() == [0.]


def test_clamp_promotes_before_comparing():
    r = torch.clamp(T([0, 5], dtype=u8), min=-1, max=2.5)
    assert dtype_name(r) == "float32" and r.tolist() == [0., 2.5]
    assert torch.clamp(T([0, 5], dtype=i8), min=200, max=300.5).tolist() == [200., 200.]


def test_clamp_with_tensor_bounds():
    assert torch.clamp(T([1, 5]), min=T([2, 3])).tolist() == [2, 5]
    r = torch.clamp(T([1, 5], dtype=i8), max=T(2.5))
    assert dtype_name(r) == "float32" and r.tolist() == [1., 2.5]


def test_missing_round_inplace_and_clamp_out():
    x = T([0.4, 1.6])
    assert x.round_() is x and x.tolist() == [0., 2.] and x._version == 1
    o = torch.empty(2)
    assert torch.clamp(T([1., 5.]), min=2, out=o) is o and o.tolist() == [2., 5.]


def test_aten_out_overload_names():
    o = torch.empty(2, dtype=torch.bool)
    assert torch.ops.aten.eq.Tensor_out(T([1, 2]), T([1, 3]), out=o) is o
    o = torch.empty(2)
    assert torch.ops.aten.pow.Tensor_Tensor_out(T([1., 2.]), T([2., 2.]), out=o) is o


@pytest.mark.parametrize("fn,expected", [
    (operator.imod, [1, 0, 1]), (operator.ifloordiv, [0, -1, 1]),
    (operator.iand, [1, 0, 1]), (operator.ior, [1, -1, 3]), (operator.ixor, [0, -1, 2]),
], ids=["%=", "//=", "&=", "|=", "^="])
def test_inplace_dunders_mod_floordiv_bitwise(fn, expected):
    x = T([1, -2, 3])
    operand = 2 if fn in (operator.imod, operator.ifloordiv) else 1
    r = fn(x, operand)
    assert r is x and x.tolist() == expected and x._version == 1


def test_unary_plus():
    assert (+T([1, 2])).tolist() == [1, 2]


def test_bool_of_empty_tensor_text():
    with pytest.raises(RuntimeError, match=re.escape(
            "Boolean value of Tensor with no values is ambiguous")):
        bool(T([]))


@pytest.mark.parametrize("conv", [float, int], ids=["float", "int"])
def test_float_int_of_multi_element_tensor_text(conv):
    with pytest.raises(ValueError, match=re.escape(
            "only one element tensors can be converted to Python scalars")):
        conv(T([1, 2]))


def test_compare_with_none_and_non_numbers():
    assert (T([1, 2]) == None) is False     # noqa: E711
    assert (T([1, 2]) != None) is True      # noqa: E711
    assert (T([1, 2]) == "a") is False


def test_matmul_and_none_operand_type_error_texts():
    with pytest.raises(TypeError, match=re.escape(
            "unsupported operand type(s) for @: 'Tensor' and 'int'")):
        T([1, 2]) @ 2
    with pytest.raises(TypeError, match=re.escape(
            "unsupported operand type(s) for +: 'Tensor' and 'NoneType'")):
        T([1, 2]) + None


@pytest.mark.parametrize("call,dt,expected", [
    (lambda: torch.add(T([0], dtype=u8), T([43], dtype=i8), alpha=3), "int16", [129]),
    (lambda: torch.add(T([1.]), T([1, 2]), alpha=0.5), "float32", [1.5, 2.0]),
    (lambda: torch.add(T(1., dtype=f16), T([1], dtype=u8), alpha=0.5), "float16", [1.5]),
    (lambda: torch.sub(T([5], dtype=u8), T([1], dtype=u8), alpha=-1), "uint8", [6]),
    (lambda: torch.add(T([5], dtype=u8), 1, alpha=-1), "uint8", [4]),
], ids=["int8 overflow", "float alpha int other", "float16 0-dim", "uint8 alpha=-1",
        "uint8 scalar alpha=-1"])
def test_alpha_applied_after_promotion(call, dt, expected):
    r = call()
    assert dtype_name(r) == dt and r.tolist() == expected


# -- more of PyTorch's behaviour around the fixes above -----------------------------------
def _raises(exc, msg):
    return pytest.raises(exc, match=re.escape(msg))


BOOL_ALPHA = "Boolean alpha only supported for Boolean results."
FLOAT_ALPHA = "For integral input tensors, argument alpha must not be a floating point number."


def test_alpha_is_checked_like_pytorch():
    """A bool alpha needs a bool result, a float one (1.0 too) a floating result, and alpha must
    fit the result dtype (uint8 also takes -255..-1, which wrap; sub checks -alpha)."""
    with _raises(RuntimeError, BOOL_ALPHA):
        T([1., 2.]).add(T([1., 1.]), alpha=True)
    with _raises(RuntimeError, BOOL_ALPHA):
        T([1, 2]).sub(T([1, 1]), alpha=False)
    with _raises(RuntimeError, FLOAT_ALPHA):
        T([1, 2]).add(1, alpha=1.0)
    with _raises(RuntimeError, FLOAT_ALPHA):
        T([True]).add(T([True]), alpha=2.5)
    with _raises(RuntimeError, "value cannot be converted to type uint8_t without overflow"):
        T([1], dtype=u8).add(T([1], dtype=u8), alpha=256)
    assert T([1, 2], dtype=u8).add(T([1, 1], dtype=u8), alpha=-255).tolist() == [2, 3]
    with _raises(RuntimeError, "value cannot be converted to type int8_t without overflow"):
        T([1], dtype=i8).sub(T([1], dtype=i8), alpha=-128)
    assert T([1], dtype=i8).sub(T([1], dtype=i8), alpha=128).tolist() == [-127]
    with _raises(RuntimeError, "value cannot be converted to type float without overflow"):
        T([1.]).add(T([1.]), alpha=1e39)
    with _raises(RuntimeError, "value cannot be converted to type c10::Half without overflow"):
        T([1.], dtype=f16).add(T([1.], dtype=f16), alpha=65520)
    assert T([1.], dtype=f16).add(T([1.], dtype=f16), alpha=float("inf")).tolist() == [math.inf]
    with _raises(TypeError, "add(): argument 'alpha' must be Number, not NoneType"):
        T([1]).add(T([1]), alpha=None)
    with _raises(OverflowError, "int too big to convert"):
        T([1]).add(T([1]), alpha=2 ** 64)
    assert T([1, 2]).add(T([1, 1]), alpha=T(2)).tolist() == [3, 4]


def test_alpha_refusals_in_place_come_after_shape_and_dtype_and_change_nothing():
    x = T([1, 2, 3])
    with _raises(RuntimeError, shape_message((3,), (2, 3))):
        x.add_(T([[1, 2, 3]] * 2), alpha=1.5)
    with _raises(RuntimeError, cast_message("float32", "int64")):
        x.add_(T([1.5, 2, 3]), alpha=1.5)
    y = T([1., 2.])
    with _raises(RuntimeError, BOOL_ALPHA):
        y.add_(T([1, 1]), alpha=True)
    with _raises(RuntimeError, BOOL_ALPHA):
        y.add_(T([1., 1.]), alpha=True)
    assert x.tolist() == [1, 2, 3] and y.tolist() == [1., 2.]
    assert x._version == 0 and y._version == 0


@pytest.mark.parametrize("inplace", [False, True], ids=["add", "add_"])
def test_alpha_is_a_fused_multiply_add(inplace):
    """PyTorch's CPU kernels compute ``self + alpha * other`` with one rounding (an fma), where
    rounding ``alpha * other`` first gives 3.4250001907348633 (float32) and 0.6375 (float64)."""
    for dt, a, b, expected in ((f32, 2.375, 10.5, 3.424999952316284),
                               (f64, 0.25, 3.875, 0.6375000000000001)):
        x, y = T([a] * 16, dtype=dt), T([b] * 16, dtype=dt)
        r = x.add_(y, alpha=0.1) if inplace else torch.add(x, y, alpha=0.1)
        assert r.tolist() == [expected] * 16
        r = T([a] * 16, dtype=dt).sub(y, alpha=-0.1)
        assert r.tolist() == [expected] * 16


def test_python_ints_beyond_64_bits():
    """A Python int is an int64 (uint64 from 2**63 on) scalar; beyond that PyTorch refuses it."""
    with _raises(OverflowError, "int too big to convert"):
        T([1.]) + 2 ** 64
    with _raises(OverflowError, "int too big to convert"):
        T([1]) * 2 ** 64
    with _raises(OverflowError, "can't convert negative int to unsigned"):
        T([1.]) + (-2 ** 63 - 1)
    assert (T([1, 2]) + 2 ** 63).tolist() == [-2 ** 63 + 1, -2 ** 63 + 2]
    assert (T([1.]) + (2 ** 64 - 1)).tolist() == [1.8446744073709552e19]
    assert (T([1], dtype=u8) + (2 ** 64 - 1)).tolist() == [0]
    msg = ("Promotion for uint16, uint32, uint64 types is not supported, attempted to promote "
           "Bool and UInt64")
    with _raises(RuntimeError, msg):
        T([True]) + 2 ** 63
    with _raises(RuntimeError, msg):
        T(True) < 2 ** 63


def test_float_floor_division_and_remainder_signs():
    nan, inf = math.nan, math.inf
    r = torch.div(T([-0.0, 0.0, 5., -5., 0.]), T([3., -3., inf, -inf, -1.]),
                  rounding_mode="floor")
    np.testing.assert_array_equal(r.numpy(), np.array([-0.0, -0.0, 0.0, 0.0, -0.0], np.float32))
    assert [math.copysign(1, v) for v in r.tolist()] == [-1, -1, 1, 1, -1]
    # the remainder keeps fmod's zero (the dividend's sign), and takes the divisor's otherwise
    r = T([-4., 4., -0.0, 0.0, -1.]) % 2
    assert [math.copysign(1, v) for v in r.tolist()] == [-1, 1, -1, 1, 1]
    assert r.tolist() == [0., 0., 0., 0., 1.]
    np.testing.assert_array_equal((T([5., -5.]) % -inf).numpy(), [-inf, -5.])
    np.testing.assert_array_equal((T([inf, 1.]) // 1).numpy(), [nan, 1.])


def test_float16_floor_division_and_scalar_operands():
    """float16 floor division rounds each step to float16; a Python number (or 0-dim tensor)
    operand of mul and div stays float32 (PyTorch's float16 kernels), of add and % not."""
    x = T([-7.5, 9.75, -9.5], dtype=f16)
    assert (x // T([0.1], dtype=f16)).tolist() == [-76., 97., -96.]
    assert (x // 0.1).tolist() == [-75., 97., -95.]
    assert (x % 0.1).tolist() == [0.09814453125, 0.0523681640625, 0.09765625]
    h = T([1.5, 3.3], dtype=f16)
    assert (h * 0.1).tolist() == [0.1500244140625, 0.330078125]
    assert (h * T(0.1, dtype=f64)).tolist() == [0.1500244140625, 0.330078125]
    assert (h * T(0.1, dtype=f16)).tolist() == [0.14990234375, 0.330078125]
    assert (h / 0.1).tolist() == [15., 33.]
    assert (h + 0.1).tolist() == [1.599609375, 3.400390625]
    y = h.clone()
    assert y.mul_(0.1) is y and y.tolist() == [0.1500244140625, 0.330078125]


def test_number_divided_by_tensor_is_reciprocal_times_number():
    assert (0.3 / T([3.])).tolist() == [0.10000000894069672]     # two roundings
    assert torch.div(0.3, T([3.])).tolist() == [0.10000000149011612]
    assert type((0.3 / T([3.], requires_grad=True)).grad_fn).__name__ == "MulBackward0"
    r = 2 / T([1, 2])
    assert dtype_name(r) == "float32" and r.tolist() == [2., 1.]
    with _raises(TypeError, "unsupported operand type(s) for /: 'NoneType' and 'Tensor'"):
        None / T([1, 2])


def test_operand_type_error_texts():
    for sym, fn in (("-", operator.sub), ("*", operator.mul), ("/", operator.truediv),
                    ("//", operator.floordiv), ("%", operator.mod), ("**", operator.pow),
                    ("&", operator.and_), ("|", operator.or_), ("^", operator.xor)):
        name = "** or pow()" if sym == "**" else sym
        with _raises(TypeError, f"unsupported operand type(s) for {name}: 'Tensor' and "
                                f"'NoneType'"):
            fn(T([1, 2]), None)
    with _raises(TypeError, "unsupported operand type(s) for +: 'NoneType' and 'Tensor'"):
        None + T([1, 2])
    with _raises(TypeError, "'<' not supported between instances of 'Tensor' and 'NoneType'"):
        T([1, 2]) < None
    with _raises(TypeError, "'>=' not supported between instances of 'Tensor' and 'str'"):
        T([1, 2]) >= "a"
    assert (T([1, 2]) == [1, 2]) is False and (T([1, 2]) != "a") is True


def test_integer_pow_exponents_are_checked_and_wrap():
    with _raises(RuntimeError, "value cannot be converted to type int64_t without overflow"):
        T([1, 2]) ** 2 ** 63
    with _raises(RuntimeError, "value cannot be converted to type uint8_t without overflow"):
        T([7], dtype=u8) ** 257
    assert (T([7], dtype=u8) ** T(257)).tolist() == [7]          # a tensor exponent wraps
    assert (T([1., 2.]) ** 2 ** 63).tolist() == [1., math.inf]
    assert (300 ** T([1], dtype=u8)).tolist() == [44]
    assert ((-1) ** T([1], dtype=u8)).tolist() == [255]
    assert (1 ** T([-5, 2])).tolist() == [1, 1]
    x = T([2, 3])
    with _raises(RuntimeError, NEG_POW):
        x.pow_(-1)
    assert x.pow_(T([-1, 2])) is x and x.tolist() == [0, 9]


def test_rounding_ops_keep_integer_dtypes_and_refuse_bool():
    for fn in (torch.floor, torch.ceil, torch.trunc, torch.round):
        r = fn(T([1, -2]))
        assert dtype_name(r) == "int64" and r.tolist() == [1, -2]
        r = fn(T([1, 254], dtype=u8))
        assert dtype_name(r) == "uint8" and r.tolist() == [1, 254]
    with _raises(NotImplementedError, "\"ceil_vml_cpu\" not implemented for 'Bool'"):
        torch.ceil(T([True]))
    with _raises(NotImplementedError, "\"trunc_vml_cpu\" not implemented for 'Bool'"):
        torch.trunc(T([True]))
    with _raises(NotImplementedError, "\"round_vml_cpu\" not implemented for 'Long'"):
        torch.round(T([1, 2]), decimals=0)          # explicit decimals: the decimals overload
    with _raises(NotImplementedError, "\"round_cpu\" not implemented for 'Byte'"):
        torch.round(T([1, 2], dtype=u8), decimals=2)
    with _raises(TypeError, "round() takes from 1 to 0 positional arguments but 1 were given"):
        T([1.]).round(1)
    assert torch.round(T([0.5, 1.5, 2.5, -0.5]), decimals=0).tolist() == [0., 2., 2., -0.]
    assert type(torch.round(T([0.4], requires_grad=True)).grad_fn).__name__ == \
        "RoundBackward0"
    assert type(torch.round(T([0.4], requires_grad=True), decimals=1).grad_fn).__name__ == \
        "RoundBackward1"
    x = T([0.44, 1.66])
    assert x.round_(decimals=1) is x and x.tolist() == pytest.approx([0.4, 1.7])


def test_clamp_scalar_bounds_are_checked_and_tensor_bounds_cast():
    with _raises(RuntimeError, "value cannot be converted to type int8_t without overflow"):
        torch.clamp(T([0, 5], dtype=i8), min=200)
    with _raises(RuntimeError, "value cannot be converted to type float without overflow"):
        torch.clamp(T([1., 5.]), max=1e39)
    with _raises(OverflowError, "int too big to convert"):
        torch.clamp(T([1, 5], dtype=i8), max=2 ** 70)
    assert torch.clamp(T([1, 5], dtype=u8), max=-2).tolist() == [1, 5]        # -2 is 254
    assert torch.clamp(T([1, 5], dtype=u8), min=T(-1), max=T(300)).tolist() == [44, 44]
    r = torch.clamp(T([1, 5], dtype=u8), min=T([-1]), max=T([300]))
    assert dtype_name(r) == "int64" and r.tolist() == [1, 5]
    assert torch.clamp(T([True, False]), min=T([False])).tolist() == [True, False]
    for kw, kernel in ((dict(min=True), "clamp_min_scalar_cpu"),
                       (dict(max=False), "clamp_max_scalar_cpu"),
                       (dict(min=True, max=False), "clamp_scalar_cpu")):
        with _raises(NotImplementedError, f"\"{kernel}\" not implemented for 'Bool'"):
            torch.clamp(T([True, False]), **kw)
    np.testing.assert_array_equal(torch.clamp(T([1., math.nan, 3.]), min=math.nan).numpy(),
                                  [math.nan] * 3)
    assert torch.clamp(T([1., 2., 3.]), min=T([3.]), max=T([2.])).tolist() == [2., 2., 2.]


def test_clamp_overloads_tensor_or_number():
    """Tensor bounds and numbers do not mix, except that a 0-dim tensor which does not require
    grad passes for a number."""
    assert torch.clamp(T([1., 2., 3.]), min=3, max=T(2.)).tolist() == [2., 2., 2.]
    x = T([1., 5.])
    assert x.clamp_(T(2.), 4) is x and x.tolist() == [2., 4.]
    assert T([1., 5.]).clamp_min(T([2.])).tolist() == [2., 5.]
    assert T([1., 5.]).clamp_max(T([2.])).tolist() == [1., 2.]
    msg = ("clamp() received an invalid combination of arguments - got (Tensor, Tensor, int), "
           "but expected one of:\n"
           " * (Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)\n"
           " * (Tensor input, Number min = None, Number max = None, *, Tensor out = None)\n")
    with _raises(TypeError, msg):
        torch.clamp(T([1., 5.]), T([2.]), 4)
    with _raises(TypeError, msg):
        torch.clamp(T([1., 5.]), T(2., requires_grad=True), 4)
    with _raises(TypeError, msg.replace("(Tensor, Tensor, int)", "(Tensor, max=int, min=Tensor)")):
        torch.clamp(T([1., 5.]), min=T([2.]), max=4)


def test_clamp_inplace_texts_and_order():
    with _raises(RuntimeError, shape_message((2,), (2, 2))):
        T([1., 5.]).clamp_(min=T([[2.], [3.]]))
    with _raises(RuntimeError, "result type Float can't be cast to the desired output type Long"):
        T([1, 5]).clamp_(min=T([2.5]))
    # with Scalar bounds PyTorch names self's C++ type
    for dt, name in ((i64, "long int"), (i8, "signed char"), (u8, "unsigned char"),
                     (i16, "short int"), (i32, "int")):
        x = T([1, 5], dtype=dt)
        with _raises(RuntimeError, f"result type Float can't be cast to the desired output "
                                   f"type {name}"):
            x.clamp_(min=2.5)
        assert x.tolist() == [1, 5] and x._version == 0
    with _raises(RuntimeError, "result type Long can't be cast to the desired output type bool"):
        T([True]).clamp_(min=2)


def test_clamp_with_tensor_bounds_gradients():
    """Where self is clamped the gradient goes to the bound; with min > max, to max (and with
    min == max to neither bound below it)."""
    x = T([0.5, 1.5, 3.0, 0.5], requires_grad=True)
    lo = T([1.0, 1.0, 1.0, 2.0], requires_grad=True)
    hi = T([2.0, 2.0, 2.0, 1.0], requires_grad=True)
    y = torch.clamp(x, lo, hi)
    assert type(y.grad_fn).__name__ == "ClampBackward0"
    assert y.tolist() == [1.0, 1.5, 2.0, 1.0]
    y.sum().backward()
    assert x.grad.tolist() == [0., 1., 0., 0.]
    assert lo.grad.tolist() == [1., 0., 0., 0.]
    assert hi.grad.tolist() == [0., 0., 1., 1.]
    x = T([0.5], requires_grad=True)
    b = T([1.0], requires_grad=True)
    torch.clamp(x, b, b).sum().backward()
    assert x.grad.tolist() == [0.] and b.grad.tolist() == [0.]
    x = T([[0.5, 3.0]], requires_grad=True)
    lo = T([1.0], requires_grad=True)
    torch.clamp(x, min=lo).sum().backward()
    assert x.grad.tolist() == [[0., 1.]] and lo.grad.tolist() == [1.]
    assert type(torch.clamp(x, min=1.).grad_fn).__name__ == "ClampBackward1"


def test_where_condition_and_scalar_values():
    with pytest.warns(UserWarning, match="where received a uint8 condition tensor"):
        r = torch.where(T([1, 0], dtype=u8), T([1., 2.]), 3.)
    assert r.tolist() == [1., 3.]
    with _raises(RuntimeError, "where expected condition to be a boolean tensor, but got a "
                               "tensor with dtype Float"):
        torch.where(T([1., 0.]), T([1., 2.]), T([3., 4.]))
    assert torch.where(T([True, False]), T([1], dtype=u8), -1).tolist() == [1, 255]
    with _raises(RuntimeError, "value cannot be converted to type uint8_t without overflow"):
        torch.where(T([True, False]), T([1], dtype=u8), 300)
    with _raises(RuntimeError, "value cannot be converted to type float without overflow"):
        torch.where(T([True, False]), T([1.]), 1e39)
    assert torch.where(T([True, False]), T([1], dtype=u8), T(-1, dtype=i8)).tolist() == [1, 255]
    with _raises(RuntimeError, broadcast_message((3,), (2,))):
        torch.where(T([True]), T([1., 2., 3.]), T([1., 2.]))


def test_out_dtype_rules():
    """Ops that keep their input's dtype want ``out`` of exactly that dtype; floating ops and
    binary ops write into any dtype the result can be cast to."""
    aten = torch.ops.aten
    for call, msg in (
            (lambda: aten.neg.out(T([1., 5.]), out=torch.empty(2, dtype=f64)),
             "Found dtype Double but expected Float"),
            (lambda: aten.abs.out(T([1, 5]), out=torch.empty(2, dtype=f64)),
             "Found dtype Double but expected Long"),
            (lambda: aten.floor.out(T([1., 5.]), out=torch.empty(2, dtype=f64)),
             "Found dtype Double but expected Float"),
            (lambda: torch.round(T([1, 5]), out=torch.empty(2)),
             "Found dtype Float but expected Long"),
            (lambda: torch.clamp(T([1., 5.]), min=2, out=torch.empty(2, dtype=f64)),
             "Found dtype Double but expected Float"),
            (lambda: aten.silu.out(T([1., 5.]), out=torch.empty(2, dtype=f64)),
             "Found dtype Double but expected Float"),
            (lambda: aten.where.self_out(T([True, False]), T([1, 5]), T([1, 5]),
                                         out=torch.empty(2)),
             "Expected out type to be Long but got Float")):
        with _raises(RuntimeError, msg):
            call()
    o = torch.empty(2, dtype=f64)
    assert torch.clamp(T([1, 5]), min=T([2]), out=o) is o and o.tolist() == [2., 5.]
    o = torch.empty(2, dtype=f64)
    assert aten.exp.out(T([0., 0.]), out=o) is o and o.tolist() == [1., 1.]
    o = torch.empty(2, dtype=f64)
    assert torch.pow(T([1, 5]), 2, out=o) is o and o.tolist() == [1., 25.]
    o = torch.empty(2)
    assert torch.pow(2, T([1., 2.]), out=o) is o and o.tolist() == [2., 4.]
    o = torch.empty(2, dtype=i64)
    assert torch.remainder(T([5, 6]), 4, out=o) is o and o.tolist() == [1, 2]
    o = torch.empty(2)
    assert aten.div.out_mode(T([7., -7.]), 2, rounding_mode="floor", out=o) is o
    assert o.tolist() == [3., -4.]


def test_logical_and_bitwise_ops_cast_to_the_promoted_dtype_first():
    assert torch.logical_and(T([0.5]), T(1e-50, dtype=f64)).tolist() == [False]
    assert torch.logical_xor(T([1, 0], dtype=u8), T(-256)).tolist() == [True, False]
    # a shape clash is reported before the dtype refusal
    with _raises(RuntimeError, broadcast_message((3,), (2,))):
        torch.bitwise_and(T([1., 2., 3.]), T([1., 2.]))


def test_ieee_special_results_give_no_numpy_warnings():
    """log(0), 0 * inf, overflow, 0/0: ordinary results, reported by nothing (as PyTorch),
    while a user's own numpy call keeps numpy's warning (Note [Floating-point warnings stay
    inside], tensor/__init__.py). Run as a script: pytest resets warning filters added while
    it collects."""
    import os
    import subprocess
    import sys
    code = ("import numpy as np, tensor as torch\n"
            "x = torch.tensor([0.0, -1.0, 1e38, float('inf')], requires_grad=True)\n"
            "y = x.log() + x.log1p() + x * 10 + x * 0 + x / 0 + x.sqrt()\n"
            "y.sum().backward()\n"
            "print('ours done', flush=True)\n"
            "np.log(np.zeros(1))\n")
    src = os.path.join(os.path.dirname(torch.__file__), os.pardir)
    env = dict(os.environ, PYTHONPATH=os.path.abspath(src))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 0 and "ours done" in out.stdout, out.stderr
    assert out.stderr.count("RuntimeWarning") == 1, out.stderr       # the user's np.log
    assert "divide by zero encountered in log" in out.stderr
