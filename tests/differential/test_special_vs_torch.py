"""Special functions and the newer pointwise ops (opdefs/special.py, tensor/special.py) side by
side with PyTorch (skipped without torch): values (tight tolerances, special points included),
dtypes, shapes, gradients, grad_fn names, versions and errors must agree."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

INF, NAN = float("inf"), float("nan")
# special points (zero of both signs, poles, infinities, nan) and ordinary values
POINTS = [0.0, -0.0, 1.0, 2.0, -1.0, -2.0, -2.5, 0.5, -0.5, 1e-30, 3.7, 9.99, 10.0, 10.5, 25.0,
          -7.3, 1e10, 123.4, INF, -INF, NAN, 0.999, -0.999, 0.25, 8.0, -8.5, 30.0, 1e-8]
UNIT = [0.0, -0.0, 1e-300, 1e-20, 1e-5, 0.01, 0.2, 0.3, 0.5, 0.7, 0.75, 0.9, 0.99, 1 - 1e-12,
        1.0, -1.0, 1.5, -0.5, NAN, -0.9, -0.999999, 0.4, 0.6, -0.2]


def _summary(r):
    if isinstance(r, tuple):
        return tuple(_summary(x) for x in r)
    if hasattr(r, "dtype") and hasattr(r, "grad_fn"):
        gf = r.grad_fn
        return ("tensor", str(r.dtype).replace("torch.", ""), tuple(r.shape),
                None if gf is None else type(gf).__name__ if hasattr(gf, "next_functions")
                and not hasattr(gf, "name") else gf.name(), r.requires_grad,
                np.asarray(r.detach().tolist(), dtype=object if r.dtype in (torch.bool,)
                           else None))
    return ("value", r)


def _run(M, fn):
    try:
        return ("ok", _summary(fn(M)))
    except Exception as e:   # noqa: BLE001 - the error is what we compare
        # (our messages may end in ". Hint: ...")
        return ("error", type(e).__name__,
                str(e).split("\n")[0].split(" Hint:")[0].rstrip("."))


def _close(a, b, rtol, atol):
    if isinstance(a, tuple) and a and a[0] == "tensor":
        assert a[:5] == b[:5], (a[:5], b[:5])
        x, y = a[5], b[5]
        if x.dtype.kind in "fc" and y.dtype.kind in "fc":
            np.testing.assert_allclose(x.astype(float), y.astype(float), rtol=rtol, atol=atol,
                                       equal_nan=True)
            # signed zeros and infinities exactly
            assert np.array_equal(np.signbit(x[x == 0]), np.signbit(y[y == 0]))
        else:
            assert np.array_equal(x, y), (x, y)
    elif isinstance(a, tuple):
        assert len(a) == len(b)
        for p, q in zip(a, b):
            _close(p, q, rtol, atol)
    else:
        assert a == b


def check(fn, rtol=1e-13, atol=0.0, rtol32=3e-6):
    """Run ``fn(module)`` with ``tensor`` and with ``torch``; compare the outcomes."""
    ours, theirs = _run(tk, fn), _run(torch, fn)
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "error":
        assert ours == theirs
        return
    flat = repr(theirs)
    tol = rtol32 if "float32" in flat or "float16" in flat else rtol
    _close(ours[1], theirs[1], tol, atol)


UNARY = ["lgamma", "digamma", "erfc", "erfinv", "i0", "sinc", "logit", "asinh", "acosh",
         "atanh", "arcsinh", "arccosh", "arctanh", "angle", "deg2rad", "rad2deg"]
SPECIAL_UNARY = ["erf", "erfc", "erfcx", "erfinv", "expit", "logit", "gammaln", "digamma",
                 "psi", "i0", "i0e", "i1", "i1e", "ndtr", "ndtri", "log_ndtr", "sinc", "log1p",
                 "expm1", "exp2", "entr", "round"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", UNARY)
def test_unary_values(name, dtype):
    pts = UNIT if name in ("erfinv", "logit", "atanh", "arctanh") else POINTS
    check(lambda M: getattr(M, name)(M.tensor(pts, dtype=getattr(M, dtype))))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", SPECIAL_UNARY)
def test_special_namespace_values(name, dtype):
    pts = UNIT if name in ("erfinv", "logit", "ndtri") else POINTS
    pts = pts + [-40.0, -1e3, -27.0, 26.0, 5.0, -5.0, 700.0, -700.0]
    # far tails where float32 overflows differently are compared in float64 only
    check(lambda M: getattr(M.special, name)(M.tensor(pts, dtype=getattr(M, dtype))),
          rtol=1e-12 if name in ("erfcx", "log_ndtr", "ndtri") else 1e-13, rtol32=1e-5)


def test_random_values_float64():
    rng = np.random.default_rng(0)
    v = (rng.standard_normal(200) * 6).tolist()
    u = rng.uniform(0, 1, 200).tolist()
    for name in ["lgamma", "digamma", "erfc", "i0", "sinc", "asinh", "angle"]:
        check(lambda M: getattr(M, name)(M.tensor(v, dtype=M.float64)))
    for name in ["erfcx", "i0e", "i1", "i1e", "log_ndtr", "entr"]:
        check(lambda M: getattr(M.special, name)(M.tensor(v, dtype=M.float64)), rtol=1e-12)
    for name in ["erfinv", "logit"]:
        check(lambda M: getattr(M, name)(M.tensor(u, dtype=M.float64) * 2 - 1))
    check(lambda M: M.special.ndtri(M.tensor(u, dtype=M.float64)), rtol=1e-12)
    for n in range(5):
        check(lambda M: M.polygamma(n, M.tensor(v, dtype=M.float64)), rtol=1e-11, atol=1e-300)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4])
def test_polygamma_special_points(n):
    # (at negative integers PyTorch's trigamma returns the rounding error of sin(pi x))
    pts = [p for p in POINTS if not (-INF < p < 0 and p == int(p))]
    check(lambda M: M.polygamma(n, M.tensor(pts, dtype=M.float64)), rtol=1e-11)
    check(lambda M: M.tensor(pts).polygamma(n), rtol32=2e-5, atol=1e-37)   # (subnormals)


@pytest.mark.parametrize("dtype", ["int64", "bool", "uint8"])
@pytest.mark.parametrize("name", UNARY + ["special.i0e", "special.entr", "special.ndtr"])
def test_integer_inputs_give_floats(name, dtype):
    def f(M):
        fn = getattr(M.special, name[8:]) if name.startswith("special.") else getattr(M, name)
        return fn(M.tensor([0, 1, 2, 1], dtype=getattr(M, dtype)))
    check(f, atol=1e-7)


GRAD_CASES = [
    ("lgamma", lambda M, x: x.lgamma()), ("digamma", lambda M, x: x.digamma()),
    ("polygamma", lambda M, x: M.polygamma(2, x)), ("mvlgamma", lambda M, x: (x + 2).mvlgamma(3)),
    ("erfc", lambda M, x: x.erfc()), ("erfinv", lambda M, x: (x / 3).erfinv()),
    ("i0", lambda M, x: x.i0()), ("sinc", lambda M, x: x.sinc()),
    ("logit", lambda M, x: (x / 3 + 0.5).logit()), ("logit eps", lambda M, x: x.logit(0.2)),
    ("asinh", lambda M, x: x.asinh()), ("acosh", lambda M, x: (x + 3).acosh()),
    ("atanh", lambda M, x: (x / 3).atanh()), ("angle", lambda M, x: x.angle()),
    ("xlogy", lambda M, x: M.xlogy(x, x.abs() + 1)), ("xlogy s", lambda M, x: x.xlogy(2.5)),
    ("xlogy s1", lambda M, x: M.xlogy(2.5, x.abs())),
    ("copysign", lambda M, x: x.copysign(-x.flip(0))), ("copysign s", lambda M, x: x.copysign(-1)),
    ("nextafter", lambda M, x: M.nextafter(x, x.flip(0))),
    ("ldexp", lambda M, x: M.ldexp(x, x.flip(0))),
    ("frexp", lambda M, x: M.frexp(x)[0]), ("logaddexp2", lambda M, x: x.logaddexp2(x.flip(0))),
    ("deg2rad", lambda M, x: x.deg2rad()), ("rad2deg", lambda M, x: M.rad2deg(x)),
    ("erfcx", lambda M, x: M.special.erfcx(x)), ("i0e", lambda M, x: M.special.i0e(x)),
    ("i1", lambda M, x: M.special.i1(x)), ("i1e", lambda M, x: M.special.i1e(x)),
    ("ndtri", lambda M, x: M.special.ndtri(x / 3 + 0.5)),
    ("log_ndtr", lambda M, x: M.special.log_ndtr(x)),
    ("entr", lambda M, x: M.special.entr(x.abs())),
    ("xlog1py", lambda M, x: M.special.xlog1py(x, x.abs())),
    ("xlog1py s", lambda M, x: M.special.xlog1py(x, 2.0)),
    ("xlog1py s1", lambda M, x: M.special.xlog1py(3.0, x.abs())),
    ("ndtr", lambda M, x: M.special.ndtr(x)), ("expit", lambda M, x: M.special.expit(x)),
    ("multigammaln", lambda M, x: M.special.multigammaln(x + 3, 2)),
    ("special.round", lambda M, x: M.special.round(x)),
    ("logsumexp", lambda M, x: M.special.logsumexp(x, 0)),
    ("softmax", lambda M, x: M.special.softmax(x, 0)),
    ("log_softmax", lambda M, x: M.special.log_softmax(x, 0)),
    ("square_", lambda M, x: x.clone().square_()),
    ("polygamma_", lambda M, x: x.clone().polygamma_(1)),
    ("lgamma_", lambda M, x: x.clone().lgamma_()),
    ("copysign_ s", lambda M, x: x.clone().copysign_(2.0)),
    ("xlogy_ s", lambda M, x: x.clone().xlogy_(2.0)),
    ("deg2rad_", lambda M, x: x.clone().deg2rad_()),
    ("mvlgamma_", lambda M, x: (x + 3).mvlgamma_(1)),
]


@pytest.mark.parametrize("name,fn", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradients_and_nodes(name, fn):
    def run(M):
        x = M.tensor([0.3, -1.2, 1.7, 0.9], dtype=M.float64, requires_grad=True)
        y = fn(M, x)
        (g,) = M.autograd.grad(y.sum(), [x])
        return y, g
    check(run, rtol=1e-11)


NO_DERIVATIVE = [("heaviside", lambda M, x: M.heaviside(x, x)),
                 ("floor_divide", lambda M, x: M.floor_divide(x, 0.7))]


@pytest.mark.parametrize("name,fn", NO_DERIVATIVE, ids=[c[0] for c in NO_DERIVATIVE])
def test_ops_without_a_derivative(name, fn):
    def run(M):
        x = M.tensor([0.3, -1.2, 0.0], requires_grad=True)
        y = fn(M, x)
        return (y, y.grad_fn.name(), y.requires_grad)
    check(run)

    def backward(M):
        x = M.tensor([0.3, -1.2, 0.0], requires_grad=True)
        fn(M, x).sum().backward()
    check(backward)


EXPRS = [
    "torch.xlogy(torch.tensor([0., 0., 1., 2.]), torch.tensor([0., nan, 0., 3.]))",
    "torch.xlogy(2, torch.tensor([3]))", "torch.xlogy(torch.tensor([3]), 2)",
    "torch.xlogy(torch.tensor([3], dtype=torch.float64), torch.tensor([2.]))",
    "torch.special.xlog1py(torch.tensor([0., 0., 1.]), torch.tensor([-1., nan, -1.]))",
    "torch.copysign(torch.tensor([0., -0., 3.]), torch.tensor([-0., 0., nan]))",
    "torch.copysign(torch.tensor([3], dtype=torch.int8), torch.tensor([-2], dtype=torch.int8))",
    "torch.copysign(torch.tensor([True]), torch.tensor([False]))",
    "torch.copysign(torch.tensor([1.], dtype=torch.float64), torch.tensor([-1.]))",
    "torch.heaviside(torch.tensor([nan, -0.0, 0.0, -1.0, 2.0]), torch.tensor(7.))",
    "torch.heaviside(torch.tensor([1, 0, -3]), torch.tensor([5, 6, 7]))",
    "torch.heaviside(torch.tensor([True, False]), torch.tensor([True, True]))",
    "torch.heaviside(torch.tensor([1., 0.]), torch.tensor([2, 3]))",
    "torch.heaviside(torch.tensor([1., 0.]), 2.)",
    "torch.nextafter(torch.tensor([1., 0., -1.]), torch.tensor([2., -1., -inf]))",
    "torch.nextafter(torch.tensor([1.], dtype=torch.float64), torch.tensor([2.]))",
    "torch.nextafter(torch.tensor([1]), torch.tensor([2]))",
    "torch.nextafter(torch.tensor([1.]), 2.)",
    "torch.ldexp(torch.tensor([1., -3., 0.5]), torch.tensor([3, -2, 130]))",
    "torch.ldexp(torch.tensor([1, 2]), torch.tensor([1, 2]))",
    "torch.ldexp(torch.tensor([1.], dtype=torch.float16), torch.tensor([3]))",
    "torch.frexp(torch.tensor([0., -0., inf, nan, 1e-40, 8., -3.5]))",
    "torch.frexp(torch.tensor([8., 0.1], dtype=torch.float64))",
    "torch.frexp(torch.tensor([8.], dtype=torch.float16))", "torch.frexp(torch.tensor([1, 2]))",
    "tuple(torch.frexp(torch.tensor([3.])))", "torch.frexp(torch.tensor([3.])).exponent",
    "torch.gcd(torch.tensor([-4, 0, 6, -9]), torch.tensor([6, 0, -4, 0]))",
    "torch.lcm(torch.tensor([-4, 0, 6, -9]), torch.tensor([6, 0, -4, 3]))",
    "torch.gcd(torch.tensor([4], dtype=torch.uint8), torch.tensor([6], dtype=torch.int8))",
    "torch.gcd(torch.tensor([1.]), torch.tensor([2.]))",
    "torch.gcd(torch.tensor([True]), torch.tensor([True]))", "torch.gcd(torch.tensor([4]), 6)",
    "torch.tensor([12, 18]).gcd_(torch.tensor([8, 4]))",
    "torch.floor_divide(torch.tensor([5, -5]), 2)", "torch.floor_divide(torch.tensor([5]), 2.5)",
    "torch.floor_divide(torch.tensor([5]), 0)",
    "torch.tensor([5., -5.]).floor_divide(torch.tensor(2.))",
    "torch.tensor([7, -7]).floor_divide_(2)", "torch.tensor([5.2, -1.]) // 0.7",
    "torch.logaddexp2(torch.tensor([1., -inf, 3.]), torch.tensor([2., -inf, inf]))",
    "torch.logaddexp2(torch.tensor([1]), torch.tensor([2]))",
    "torch.logaddexp2(torch.tensor([1.]), 2.)",
    "torch.tensor([1, -8, 3], dtype=torch.int8) << 9",
    "torch.tensor([1, -8, 3], dtype=torch.int8) << -1",
    "torch.tensor([1, -8, 3], dtype=torch.int8) >> 9",
    "torch.tensor([1, -8, 3], dtype=torch.int8) >> 2",
    "torch.tensor([1, -8, 3], dtype=torch.int8) << torch.tensor([1, 7, 8], dtype=torch.int8)",
    "torch.tensor([200, 255, 1], dtype=torch.uint8) >> 8",
    "torch.tensor([200, 255, 1], dtype=torch.uint8) >> 7",
    "torch.tensor([200], dtype=torch.uint8) << 1", "torch.tensor([1, 2]) << 1.5",
    "3 << torch.tensor([1, -8, 3], dtype=torch.int8)",
    "64 >> torch.tensor([1, 2, 3], dtype=torch.int8)",
    "torch.tensor([True]) << 1", "torch.tensor([True]) << torch.tensor([True])",
    "torch.bitwise_left_shift(torch.tensor([1, 2]), 2)",
    "torch.bitwise_left_shift(2, torch.tensor([1, 2]))",
    "torch.bitwise_right_shift(torch.tensor([1.]), 2)", "torch.tensor([1, -1]) << 63",
    "torch.tensor([1, -1]) << 64", "torch.tensor([5, -5]) >> 64", "torch.tensor([5, -5]) >> 63",
    "torch.tensor([1], dtype=torch.int16) << 2**40",
    "torch.tensor([1, 2]).bitwise_left_shift_(3)",
    "torch.tensor([16, 2]).bitwise_right_shift_(torch.tensor([2, 1]))",
    "torch.tensor([1., 2.]).real", "torch.real(torch.tensor([1, 2]))", "torch.tensor([1.]).imag",
    "torch.imag(torch.tensor([1.]))", "torch.isreal(torch.tensor([1., nan]))",
    "torch.isreal(torch.tensor([1]))",
    "torch.tensor([1.]).is_conj()",
    "torch.is_neg(torch.tensor([1.]))",
    "torch.angle(torch.tensor([nan, -0.0, -2., 3.]))", "torch.angle(torch.tensor([-1, 2]))",
    "torch.polygamma(-1, torch.tensor([1.]))", "torch.mvlgamma(torch.tensor([2.5]), 0)",
    "torch.mvlgamma(torch.tensor([0.5, -1.5, 3.]), 2)", "torch.mvlgamma(torch.tensor([3, 4]), 3)",
    "torch.logit(torch.tensor([0., 0.3, 1., -1., nan]), eps=0.1)",
    "torch.logit(torch.tensor([0., 0.3, 1., -1., nan]))",
    "torch.special.logit(torch.tensor([0.2]), 0.3)",
    "torch.special.round(torch.tensor([1.25, 2.5]), decimals=1)",
    "torch.special.logsumexp(torch.tensor([[1., 2.], [3., 4.]]), 1, keepdim=True)",
    "torch.special.softmax(torch.tensor([1, 2]), 0, dtype=torch.float64)",
    "torch.special.polygamma(1, torch.tensor([0.5]))",
    "torch.special.multigammaln(torch.tensor([2.5]), 2)",
    "torch.lgamma(torch.tensor([1, 2]), out=torch.empty(2, dtype=torch.float64))",
    "torch.lgamma(torch.tensor([1., 2]), out=torch.empty(2, dtype=torch.int64))",
    "torch.tensor([1, 2]).lgamma_()", "torch.tensor([1, 2]).erfinv_()",
    "torch.tensor([1, 2]).deg2rad_()", "torch.tensor([1.]).bitwise_not_()",
    "torch.tensor([1., 0.]).logical_not_()", "torch.tensor([1, 0]).bitwise_not_()",
    "torch.tensor([True, False]).bitwise_not_()", "torch.tensor([3, 0]).logical_not_()",
    "torch.tensor([1., 2.], dtype=torch.float16).deg2rad()",
    "torch.tensor([1., 2.], dtype=torch.float16).rad2deg()",
    "torch.tensor([1, 2]).square_()", "torch.erfc(torch.tensor([1.]), out=torch.empty(1))",
    "torch.special.erfcx(torch.tensor([1.]), out=torch.empty(1, dtype=torch.float64))",
    "torch.special.i0e(torch.tensor([1.]), out=torch.empty(1))",
    "torch.special.xlog1py(2, torch.tensor([1.]))",
    "torch.xlogy(torch.tensor([1., 2.]), 3., out=torch.empty(2))",
    "torch.polygamma(2, torch.tensor([1.5]), out=torch.empty(1))",
    "torch.copysign(torch.tensor([1., 2.]), -1., out=torch.empty(2))",
    "torch.sinc(torch.tensor([1, 2, 0]))", "torch.sinc(torch.tensor([0.5, 1e-20, -3.]))",
    "torch.i0(torch.tensor([0., 1., -800., inf], dtype=torch.float64))",
    "torch.special.i1(torch.tensor([0., 1., -800., inf], dtype=torch.float64))",
    "torch.special.i0e(torch.tensor([0., 1., -800., inf], dtype=torch.float64))",
    "torch.special.i1e(torch.tensor([0., 1., -800., inf], dtype=torch.float64))",
    "torch.special.ndtri(torch.tensor([0., 1., 0.5, 1e-300, -1, 2, 1 - 1e-16], "
    "dtype=torch.float64))",
    "torch.conj_physical(torch.tensor([1.]))",
]


@pytest.mark.parametrize("expr", EXPRS)
def test_expression(expr):
    check(lambda M: eval(expr, {"torch": M, "nan": NAN, "inf": INF}), atol=1e-300)


def test_identity_and_versions():
    def run(M):
        x = M.tensor([1., 2.])
        v = x._version
        out = [x.real is x, x.conj() is x, x.resolve_conj() is x, x.resolve_neg() is x,
               x.conj_physical() is x, x.conj_physical_() is x, x._version - v]
        t = M.tensor([1, 2])
        v = t._version
        t <<= 1
        t >>= 1
        out += [t.tolist(), t._version - v]
        for name, arg in (("lgamma_", ()), ("xlogy_", (2.0,)), ("copysign_", (-1.0,)),
                          ("logit_", ()), ("sinc_", ()), ("heaviside_", (M.tensor(1.),)),
                          ("nextafter_", (M.tensor(3.),)), ("ldexp_", (M.tensor(2),)),
                          ("logical_not_", ()), ("deg2rad_", ()), ("polygamma_", (1,))):
            y = M.tensor([0.25, 0.5])
            v = y._version
            r = getattr(y, name)(*arg)
            out += [name, r is y, y._version - v, y.dtype]
        return tuple(out)
    ours, theirs = run(tk), run(torch)
    assert [str(o).replace("torch.", "") for o in ours] == \
        [str(o).replace("torch.", "") for o in theirs]
