"""Behavior of opdefs/special_more.py: the Bessel and Airy functions, the polynomial families,
igamma / igammac and zeta, checked against identities and independent numpy evaluations
(numpy.polynomial, math.erf, closed forms), plus dtypes, out= / in-place forms and autograd."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from numpy.polynomial import chebyshev, hermite, hermite_e, laguerre, legendre

import tensor as torch

S = torch.special


def _t(v):
    return torch.tensor(np.asarray(v, dtype=np.float64))


def _np(t):
    return t.detach().numpy()


POSITIVE = st.lists(st.floats(0.05, 40.0), min_size=1, max_size=8)
REAL = st.lists(st.floats(-40.0, 40.0), min_size=1, max_size=8)
UNIT = st.lists(st.floats(-0.999, 0.999), min_size=1, max_size=6)


# -- Bessel and Airy functions -------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(POSITIVE)
def test_bessel_wronskians(xs):
    """J1 Y0 - J0 Y1 = 2 / (pi x) and I0 K1 + I1 K0 = 1 / x."""
    x = np.array(xs)
    j0, j1, y0, y1 = (_np(f(_t(x))) for f in (S.bessel_j0, S.bessel_j1, S.bessel_y0,
                                              S.bessel_y1))
    # (PyTorch's Y0 / Y1 up to 5 are only good to about 1e-9 relative, e.g. at x = 4, and to
    # 7e-8 at x = 5 exactly, where its expansions meet; these functions follow PyTorch's
    # values, which the differential tests pin to 1e-15)
    np.testing.assert_allclose(j1 * y0 - j0 * y1, 2 / (np.pi * x), rtol=2e-7, atol=1e-15)
    i0, i1, k0, k1 = (_np(f(_t(x))) for f in (S.modified_bessel_i0, S.modified_bessel_i1,
                                              S.modified_bessel_k0, S.modified_bessel_k1))
    np.testing.assert_allclose(i0 * k1 + i1 * k0, 1 / x, rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(REAL)
def test_bessel_symmetry_and_series(xs):
    x = np.array(xs)
    np.testing.assert_array_equal(_np(S.bessel_j0(_t(-x))), _np(S.bessel_j0(_t(x))))
    np.testing.assert_array_equal(_np(S.bessel_j1(_t(-x))), -_np(S.bessel_j1(_t(x))))
    np.testing.assert_array_equal(_np(S.modified_bessel_i1(_t(-x))),
                                  -_np(S.modified_bessel_i1(_t(x))))
    # the power series, where it converges quickly
    small = x[np.abs(x) < 4]
    k = np.arange(40)[:, None]
    lg = np.array([math.lgamma(v + 1.0) for v in range(40)])[:, None]
    h = np.abs(small) / 2
    with np.errstate(divide="ignore"):
        term = np.exp(2 * k * np.log(np.where(h == 0, 1e-300, h)) - 2 * lg)
    term[0] = 1.0
    sign = (-1.0) ** k
    np.testing.assert_allclose(_np(S.bessel_j0(_t(small))), (sign * term).sum(0),
                               rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(_np(S.modified_bessel_i0(_t(small))), term.sum(0),
                               rtol=1e-12)
    np.testing.assert_allclose(_np(S.spherical_bessel_j0(_t(x))),
                               np.where(x == 0, 1.0, np.sin(x) / np.where(x == 0, 1, x)),
                               rtol=1e-13, atol=1e-16)


@settings(max_examples=25, deadline=None)
@given(POSITIVE)
def test_scaled_k_is_exp_times_k(xs):
    x = np.array(xs)
    for f, g in ((S.scaled_modified_bessel_k0, S.modified_bessel_k0),
                 (S.scaled_modified_bessel_k1, S.modified_bessel_k1)):
        np.testing.assert_allclose(_np(f(_t(x))), np.exp(x) * _np(g(_t(x))), rtol=1e-13)


def test_special_values():
    nan, inf = float("nan"), float("inf")
    assert S.airy_ai(_t([0.0])).item() == pytest.approx(0.355028053887817239, rel=1e-15)
    assert np.isnan(S.airy_ai(_t([inf, -inf, nan]))).all()
    assert S.airy_ai(_t([200.0])).item() == 0.0
    assert S.bessel_y0(_t([0.0])).item() == -inf and np.isnan(S.bessel_y1(_t([-1.0])).item())
    assert S.modified_bessel_k0(_t([0.0])).item() == inf
    assert np.isnan(S.modified_bessel_k1(_t([-2.0])).item())
    assert S.spherical_bessel_j0(_t([inf, -inf])).tolist() == [0.0, 0.0]
    # Ai by its Maclaurin series at a point of the middle branch
    x = 1.3
    f = sum(x ** (3 * k) / math.prod(range(2, 3 * k + 1, 3)) * 1.0 /
            math.prod(range(3, 3 * k + 1, 3)) for k in range(30))
    g = sum(x ** (3 * k + 1) / math.prod(range(3, 3 * k + 2, 3)) /
            math.prod(range(4, 3 * k + 2, 3)) for k in range(30))
    want = 0.355028053887817239260 * f - 0.258819403792806798405 * g
    assert S.airy_ai(_t([x])).item() == pytest.approx(want, rel=1e-14)


@pytest.mark.parametrize("name", ["bessel_j0", "modified_bessel_k1", "airy_ai",
                                  "spherical_bessel_j0"])
def test_unary_dtypes_forms_and_no_grad(name):
    f = getattr(S, name)
    assert f(torch.tensor([1, 2])).dtype == torch.float32
    assert f(torch.tensor([1.0], dtype=torch.float64)).dtype == torch.float64
    x = torch.tensor([0.5, 1.5], requires_grad=True)
    y = f(x)
    assert not y.requires_grad and y.grad_fn is None
    out = torch.empty(2)
    assert f(x.detach(), out=out) is out and out._version == 1
    assert out.tolist() == f(x.detach()).tolist()
    with pytest.raises(NotImplementedError, match=f'"{name}_cpu" not implemented for'):
        f(torch.tensor([1.0], dtype=torch.float16))
    with pytest.raises(TypeError, match=f"special_{name}\\(\\): argument"):
        f(1.0)


# -- polynomials ---------------------------------------------------------------------------
def _basis(n):
    c = np.zeros(n + 1)
    c[n] = 1.0
    return c


@settings(max_examples=25, deadline=None)
@given(UNIT, st.integers(0, 12))
def test_polynomials_against_numpy(xs, n):
    x = np.array(xs)
    for name, ev, arg in (("chebyshev_polynomial_t", chebyshev.chebval, x),
                          ("shifted_chebyshev_polynomial_t", chebyshev.chebval, 2 * x - 1),
                          ("hermite_polynomial_h", hermite.hermval, x),
                          ("hermite_polynomial_he", hermite_e.hermeval, x),
                          ("legendre_polynomial_p", legendre.legval, x)):
        want = ev(arg, _basis(n))
        scale = max(1.0, float(np.abs(ev(np.abs(arg), np.abs(_basis(n)))).max()))
        got = _np(getattr(S, name)(_t(arg if "shifted" not in name else x), float(n)))
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12 * scale * (n + 1),
                                   err_msg=name)
    lag = laguerre.lagval(np.abs(x) * 10, _basis(n))
    np.testing.assert_allclose(_np(S.laguerre_polynomial_l(_t(np.abs(x) * 10), n)), lag,
                               rtol=1e-9, atol=1e-11 * np.exp(np.abs(x).max() * 5))


@settings(max_examples=25, deadline=None)
@given(UNIT, st.integers(0, 40))
def test_chebyshev_kinds_by_their_trigonometric_forms(xs, n):
    """U, V, W at cos(t): sin((n+1)t)/sin t, cos((n+1/2)t)/cos(t/2), sin((n+1/2)t)/sin(t/2);
    the shifted ones are the same polynomials at 2x - 1."""
    x = np.array(xs)
    th = np.arccos(x)
    want = {"u": np.sin((n + 1) * th) / np.sin(th),
            "v": np.cos((n + 0.5) * th) / np.cos(th / 2),
            "w": np.sin((n + 0.5) * th) / np.sin(th / 2)}
    for kind, w in want.items():
        got = _np(getattr(S, f"chebyshev_polynomial_{kind}")(_t(x), n))
        np.testing.assert_allclose(got, w, rtol=1e-8, atol=1e-11 * (n + 1) ** 2)
        shifted = _np(getattr(S, f"shifted_chebyshev_polynomial_{kind}")(_t((x + 1) / 2), n))
        np.testing.assert_allclose(shifted, w, rtol=1e-8, atol=1e-11 * (n + 1) ** 2)


def test_polynomial_degree_rules():
    x = _t([0.3, -2.0])
    t = S.chebyshev_polynomial_t
    assert t(x, -1).tolist() == [0.0, 0.0]                  # negative degree: 0
    assert t(x, 2.9).tolist() == t(x, 2).tolist()           # truncated to an integer
    assert t(x, float("nan")).tolist() == [0.0, 0.0]
    assert t(x, float("inf")).tolist() == [0.0, 0.0]
    assert np.isnan(S.hermite_polynomial_h(x, 513).numpy()).all()     # beyond float64's cap
    assert np.isfinite(S.hermite_polynomial_h(torch.tensor([0.3]), 30).numpy()).all()
    assert np.isnan(S.hermite_polynomial_h(torch.tensor([0.3]), 129).numpy()).all()
    assert S.chebyshev_polynomial_u(_t([1.0, -1.0]), 4).tolist() == [5.0, 5.0]
    assert S.chebyshev_polynomial_v(_t([1.0, -1.0]), 3).tolist() == [1.0, -7.0]
    assert S.laguerre_polynomial_l(_t([0.0]), 7).tolist() == [1.0]
    assert np.isnan(t(_t([3.0]), 1000).item())              # the recurrence overflows


def test_polynomial_dtypes_forms_and_errors():
    f = S.legendre_polynomial_p
    assert f(torch.tensor([1, 2]), torch.tensor([1, 2])).dtype == torch.float32
    assert f(0.5, torch.tensor([3], dtype=torch.float64)).dtype == torch.float64
    assert f(torch.tensor([0.5], dtype=torch.float32), 3).dtype == torch.float32
    assert f(x=torch.tensor([0.5]), n=2).tolist() == [-0.125]
    out = torch.empty(1, dtype=torch.float64)
    assert f(0.5, torch.tensor([2.0]), out=out) is out and out.tolist() == [-0.125]
    y = f(torch.tensor([0.5], requires_grad=True), 2)
    assert not y.requires_grad
    with pytest.raises(TypeError, match=r"special_legendre_polynomial_p\(\) received an "
                                        r"invalid combination of arguments - got \(float, "
                                        r"float\), but expected one of:"):
        f(0.5, 2.0)
    with pytest.raises(NotImplementedError,
                       match="\"legendre_polynomial_p_cpu\" not implemented for 'ComplexFloat'"):
        f(torch.tensor([0.5]), 2j)


# -- igamma / igammac ----------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0.01, 300.0), min_size=1, max_size=6),
       st.lists(st.floats(0.0, 400.0), min_size=1, max_size=6))
def test_igamma_complements(a, x):
    A, X = _t(np.array(a)[:, None]), _t(np.array(x)[None, :])
    p, q = _np(torch.igamma(A, X)), _np(torch.igammac(A, X))
    np.testing.assert_allclose(p + q, 1.0, rtol=0, atol=5e-15)
    assert ((p >= 0) & (p <= 1)).all()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0.0, 60.0), min_size=1, max_size=8), st.integers(1, 12))
def test_igamma_closed_forms(x, n):
    """Q(n, x) = exp(-x) sum_{k<n} x^k / k!, and P(1/2, x) = erf(sqrt(x))."""
    xs = np.array(x)
    k = np.arange(n)[:, None]
    lg = np.array([math.lgamma(v + 1.0) for v in range(n)])[:, None]
    with np.errstate(divide="ignore"):
        terms = np.exp(k * np.log(np.where(xs == 0, 1e-300, xs)) - lg - xs)
    terms[0] = np.exp(-xs)
    np.testing.assert_allclose(_np(torch.igammac(_t(float(n)), _t(xs))), terms.sum(0),
                               rtol=1e-12, atol=1e-300)
    erf = np.array([math.erf(math.sqrt(v)) for v in xs])
    np.testing.assert_allclose(_np(S.gammainc(_t(0.5), _t(xs))), erf, rtol=1e-13)


def test_igamma_boundaries():
    """SciPy's values on the edges of the domain (a or x zero or infinite, negative, NaN)."""
    nan, inf = float("nan"), float("inf")
    a = _t([0.0, 0.0, 1.0, inf, inf, 2.0, -1.0, nan, nan])
    x = _t([1.0, 0.0, 0.0, 1.0, inf, inf, 1.0, 0.0, 1.0])
    lower = [1.0, nan, 0.0, 0.0, nan, 1.0, nan, 0.0, nan]
    np.testing.assert_array_equal(_np(torch.igamma(a, x)), lower)
    np.testing.assert_array_equal(_np(torch.igammac(a, x)), 1.0 - np.array(lower))


def test_igamma_gradient_and_missing_derivative():
    a = _t([0.5, 2.0, 3.5])
    x = _t([0.7, 1.5, 4.0]).requires_grad_()
    y = torch.igamma(a, x)
    assert y.grad_fn.name() == "IgammaBackward0"
    (g,) = torch.autograd.grad(y.sum(), x)
    an, xn = _np(a), _np(x)
    dens = np.exp((an - 1) * np.log(xn) - xn - np.array([math.lgamma(v) for v in an]))
    np.testing.assert_allclose(_np(g), dens, rtol=1e-14)
    (gc,) = torch.autograd.grad(torch.igammac(a, x).sum(), x)
    np.testing.assert_allclose(_np(gc), -dens, rtol=1e-14)
    s = S.gammaincc(a.clone().requires_grad_(), x.detach())
    assert s.grad_fn.name() == "IgammacBackward0"
    with pytest.raises(NotImplementedError,
                       match="^the derivative for 'igammac: input' is not implemented.$"):
        s.sum().backward()


def test_igamma_inplace_out_and_errors():
    t = _t([1.0, 2.0])
    v = t._version
    assert t.igamma_(_t([1.0, 1.0])) is t and t._version == v + 1
    np.testing.assert_allclose(t.tolist(), [1 - math.exp(-1), 1 - 2 * math.exp(-1)])
    o = torch.empty(2, dtype=torch.float64)
    assert torch.igammac(_t([1.0, 2.0]), _t([1.0, 1.0]), out=o) is o and o._version == 1
    assert S.gammainc(_t([1.0]), _t([1.0]), out=torch.empty(1)).dtype == torch.float32
    with pytest.raises(NotImplementedError, match="\"igamma_cpu\" not implemented for 'Long'"):
        torch.igamma(torch.tensor([1]), torch.tensor([2]))
    assert torch.igamma(torch.tensor([1]), torch.tensor([2.0])).dtype == torch.float32
    with pytest.raises(TypeError, match=r"igamma\(\): argument 'other' \(position 1\) must be "
                                        "Tensor, not float"):
        torch.tensor([1.0]).igamma(2.0)
    with pytest.raises(TypeError, match=r"special_gammaincc\(\): argument 'input' "):
        S.gammaincc(1.0, torch.tensor([1.0]))
    before = torch.tensor([1.0])
    with pytest.raises(RuntimeError, match=r"output with shape \[1\] doesn't match the "
                                           r"broadcast shape \[2\]"):
        before.igammac_(torch.tensor([1.0, 2.0]))
    assert before.tolist() == [1.0] and before._version == 0


# -- zeta ----------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(1.1, 30.0), min_size=1, max_size=6),
       st.lists(st.floats(0.05, 50.0), min_size=1, max_size=6))
def test_zeta_recurrence(s, q):
    """zeta(s, q) = q**-s + zeta(s, q + 1)."""
    S_, Q = np.array(s)[:, None], np.array(q)[None, :]
    lhs = _np(S.zeta(_t(S_), _t(Q)))
    rhs = Q ** -S_ + _np(S.zeta(_t(S_), _t(Q + 1)))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-13)


def test_zeta_values_and_gradient():
    got = S.zeta(_t([2.0, 4.0, 1.0, 0.5]), 1.0).tolist()
    assert got[0] == pytest.approx(math.pi ** 2 / 6, rel=1e-15)
    assert got[1] == pytest.approx(math.pi ** 4 / 90, rel=1e-15)
    assert got[2] == math.inf and math.isnan(got[3])
    assert S.zeta(_t([2.0]), _t([-3.0])).item() == math.inf
    assert S.zeta(torch.tensor([2]), torch.tensor([1])).dtype == torch.float32
    q = _t([0.5, 2.0]).requires_grad_()
    y = S.zeta(3.0, q)
    assert y.grad_fn.name() == "SpecialZetaBackward1"
    (g,) = torch.autograd.grad(y.sum(), q)
    np.testing.assert_allclose(_np(g), -3.0 * _np(S.zeta(4.0, q.detach())), rtol=1e-14)
    y = S.zeta(q, 2.0)
    assert y.grad_fn.name() == "SpecialZetaBackward2"
    with pytest.raises(NotImplementedError, match="^the derivative for 'zeta' is not "
                                                  "implemented.$"):
        y.sum().backward()
    with pytest.raises(NotImplementedError, match="\"zeta_cpu\" not implemented for 'Half'"):
        S.zeta(torch.tensor([2.0], dtype=torch.float16), 1.0)
