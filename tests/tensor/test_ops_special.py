"""Special functions and the newer pointwise ops (opdefs/special.py, tensor/special.py):
properties against Python's ``math`` and numpy, identities between the functions, and
PyTorch's error texts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
import hypothesis.extra.numpy as hnp

import tensor as torch

F64 = torch.float64
settings_small = settings(max_examples=40, deadline=None)


def floats(lo, hi):
    return hnp.arrays(np.float64, st.integers(1, 6),
                      elements=st.floats(lo, hi, allow_nan=False, allow_infinity=False))


def t64(a):
    return torch.tensor(np.asarray(a).tolist(), dtype=F64)


@settings_small
@given(floats(-30.0, 60.0))
def test_lgamma_matches_math(a):
    expect = [math.lgamma(v) if not (v <= 0 and v == int(v)) else math.inf for v in a]
    np.testing.assert_allclose(t64(a).lgamma().numpy(), expect, rtol=1e-14, atol=1e-14)


@settings_small
@given(floats(0.05, 50.0))
def test_digamma_and_trigamma_recurrences(a):
    x = t64(a)
    np.testing.assert_allclose((x + 1).digamma().numpy(), (x.digamma() + 1 / x).numpy(),
                               rtol=1e-12, atol=1e-12)
    # (PyTorch's trigamma series is good to about 1e-9, and so is ours: the same algorithm)
    np.testing.assert_allclose((x + 1).polygamma(1).numpy(),
                               (x.polygamma(1) - 1 / (x * x)).numpy(), rtol=1e-8)
    # polygamma(2) is the derivative of polygamma(1)
    h = 1e-5
    fd = ((x + h).polygamma(1) - (x - h).polygamma(1)) / (2 * h)
    np.testing.assert_allclose(torch.polygamma(2, x).numpy(), fd.numpy(), rtol=1e-5)


@settings_small
@given(floats(-5.0, 5.0))
def test_erfc_erfinv_against_math(a):
    x = t64(a)
    np.testing.assert_allclose(x.erfc().numpy(), [math.erfc(v) for v in a], rtol=1e-15)
    y = t64([math.erf(v) for v in a if abs(v) < 5.8])
    back = y.erfinv()
    np.testing.assert_allclose([math.erf(v) for v in back.tolist()], y.tolist(),
                               rtol=1e-15, atol=1e-16)


@settings_small
@given(floats(-700.0, 700.0))
def test_bessel_against_numpy(a):
    x = t64(a)
    np.testing.assert_allclose(x.i0().numpy(), np.i0(a), rtol=1e-13)
    np.testing.assert_allclose(torch.special.i0e(x).numpy(), np.i0(a) * np.exp(-np.abs(a)),
                               rtol=1e-12)
    # I1 = d/dx I0
    small = t64(np.clip(a, -30, 30))
    h = 1e-6
    fd = ((small + h).i0() - (small - h).i0()) / (2 * h)
    np.testing.assert_allclose(torch.special.i1(small).numpy(), fd.numpy(), rtol=1e-6,
                               atol=1e-9)


@settings_small
@given(floats(-8.0, 8.0))
def test_normal_distribution_functions(a):
    x = t64(a)
    p = torch.special.ndtr(x)
    # (PyTorch's composite 1 + erf(...) cancels in the lower tail: absolute accuracy there)
    np.testing.assert_allclose(p.numpy(), [0.5 * math.erfc(-v / math.sqrt(2)) for v in a],
                               rtol=1e-12, atol=1e-16)
    exact = t64([0.5 * math.erfc(-v / math.sqrt(2)) for v in a])
    ok = (exact > 0) & (exact < 0.999)        # (near 1 the inverse is ill-conditioned)
    np.testing.assert_allclose(torch.special.ndtri(exact[ok]).numpy(), x[ok].numpy(),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(torch.special.log_ndtr(x).numpy(),
                               [math.log(0.5 * math.erfc(-v / math.sqrt(2))) if v < -1 else
                                math.log1p(-0.5 * math.erfc(v / math.sqrt(2))) for v in a],
                               rtol=1e-12)
    np.testing.assert_allclose(torch.special.erfcx(x).numpy(),
                               [math.exp(v * v) * math.erfc(v) for v in a], rtol=1e-12)


@settings_small
@given(floats(-3.0, 3.0), floats(0.0, 3.0))
def test_xlogy_xlog1py_entr(a, b):
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    a[::2] = 0.0
    x, y = t64(a), t64(b)
    with np.errstate(all="ignore"):
        expect = np.where(a == 0, 0.0, a * np.log(b))
        expect1 = np.where(a == 0, 0.0, a * np.log1p(b))
    np.testing.assert_array_equal(torch.xlogy(x, y).numpy(), expect)
    np.testing.assert_array_equal(torch.special.xlog1py(x, y).numpy(), expect1)
    with np.errstate(all="ignore"):
        ent = np.where(b == 0, 0.0, -b * np.log(b))
    np.testing.assert_allclose(torch.special.entr(y).numpy(), ent, rtol=1e-15)


@settings_small
@given(floats(-1e6, 1e6), floats(-5.0, 5.0))
def test_copysign_frexp_ldexp(a, b):
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    x, y = t64(a), t64(b)
    assert x.copysign(y).tolist() == [math.copysign(u, v) for u, v in zip(a, b)]
    m, e = torch.frexp(x)
    assert e.dtype == torch.int32
    assert torch.ldexp(m, e).tolist() == a.tolist()
    assert [math.frexp(v) for v in a] == list(zip(m.tolist(), e.tolist()))


@settings_small
@given(st.lists(st.integers(-2 ** 31, 2 ** 31), min_size=1, max_size=6),
       st.lists(st.integers(-2 ** 31, 2 ** 31), min_size=1, max_size=6))
def test_gcd_lcm_against_math(a, b):
    n = min(len(a), len(b))
    x, y = torch.tensor(a[:n]), torch.tensor(b[:n])
    assert x.gcd(y).tolist() == [math.gcd(u, v) for u, v in zip(a, b)]
    assert x.lcm(y).tolist() == [math.lcm(u, v) for u, v in zip(a, b)]


@settings_small
@given(st.lists(st.integers(-128, 127), min_size=1, max_size=6), st.integers(-3, 12))
def test_shifts_of_int8_follow_twos_complement(vals, s):
    x = torch.tensor(vals, dtype=torch.int8)

    def wrap(v):
        return (v + 128) % 256 - 128
    left = [0 if not 0 <= s < 8 else wrap(v << s) for v in vals]
    right = [v >> (s if 0 <= s < 8 else 7) for v in vals]
    assert (x << s).tolist() == left
    assert (x >> s).tolist() == right
    assert x.dtype == (x << s).dtype == torch.int8


def test_floor_divide_matches_floor_of_the_quotient():
    a = torch.tensor([7., -7., 7.5, -0.5])
    assert torch.floor_divide(a, 2).tolist() == [3.0, -4.0, 3.0, -1.0]
    assert (a // 2).tolist() == [3.0, -4.0, 3.0, -1.0]
    t = torch.tensor([7, -7])
    assert t.floor_divide_(2) is t and t.tolist() == [3, -4]


def test_inverse_hyperbolic_functions_and_aliases():
    x = t64([0.5, -0.25, 0.0])
    np.testing.assert_allclose(x.asinh().sinh().numpy(), x.numpy(), atol=1e-15)
    np.testing.assert_allclose((x + 2).acosh().numpy(), np.arccosh(x.numpy() + 2))
    np.testing.assert_allclose(x.atanh().tanh().numpy(), x.numpy(), atol=1e-15)
    for alias, name in (("arcsinh", "asinh"), ("arccosh", "acosh"), ("arctanh", "atanh")):
        np.testing.assert_array_equal(getattr(torch, alias)(x + 2).numpy(),
                                      getattr(torch, name)(x + 2).numpy())
        y = (x + 2).clone()
        assert getattr(y, alias + "_")() is y


def test_mvlgamma_is_a_sum_of_lgammas():
    x = t64([2.5, 3.0])
    expect = sum(math.lgamma(2.5 - j / 2) for j in range(3)) + 3 * 2 / 4 * math.log(math.pi)
    assert x.mvlgamma(3)[0].item() == pytest.approx(expect, rel=1e-14)


def test_sinc_logit_angle():
    x = t64([0.0, 0.5, -2.5])
    np.testing.assert_allclose(x.sinc().numpy(), np.sinc(x.numpy()), rtol=1e-15)
    p = t64([0.25, 0.5])
    np.testing.assert_allclose(p.logit().numpy(), np.log(p.numpy() / (1 - p.numpy())))
    assert t64([0.01]).logit(eps=0.2).item() == pytest.approx(math.log(0.25))
    assert t64([-3.0, 2.0]).angle().tolist() == [math.pi, 0.0]


def test_errors():
    with pytest.raises(RuntimeError, match=r"^polygamma\(n, x\) does not support negative n"):
        torch.polygamma(-1, t64([1.0]))
    with pytest.raises(RuntimeError, match=r"^torch.frexp\(\) only supports floating-point"):
        torch.frexp(torch.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="^heaviside is not yet implemented for tensors "
                                           "with different dtypes"):
        torch.heaviside(torch.tensor([1.0]), torch.tensor([1]))
    with pytest.raises(NotImplementedError, match='^"gcd_cpu" not implemented for \'Float\''):
        torch.gcd(torch.tensor([1.0]), torch.tensor([2.0]))
    with pytest.raises(NotImplementedError, match='^"lshift_cpu" not implemented for'):
        torch.tensor([1.0]) << 1
    with pytest.raises(RuntimeError, match="^imag is not implemented for tensors with "
                                           "non-complex dtypes"):
        torch.tensor([1.0]).imag
    with pytest.raises(RuntimeError, match="^p has to be greater than or equal to 1"):
        t64([3.0]).mvlgamma(0)
    x = torch.tensor([1.0, 0.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="^derivative for aten::heaviside is not "
                                           "implemented"):
        torch.heaviside(x, x).sum().backward()


def test_failed_inplace_changes_nothing():
    t = torch.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
        t.lgamma_()
    assert t.tolist() == [1, 2] and t._version == 0


def test_special_namespace_is_exposed():
    import tensor.special as sp
    assert torch.special is sp
    x = t64([0.3])
    assert torch.special.expit(x).grad_fn is None
    assert torch.special.gammaln(x).item() == x.lgamma().item()
    assert torch.special.psi(x).item() == x.digamma().item()
    assert torch.special.multigammaln(x + 2, 2).item() == (x + 2).mvlgamma(2).item()
    y = torch.empty(1, dtype=F64)
    assert torch.special.i1e(x, out=y) is y
