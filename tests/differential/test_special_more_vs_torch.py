"""The special functions of opdefs/special_more.py side by side with PyTorch (skipped without
torch): values over wide argument ranges (negative, zero, huge, inf, NaN), result dtypes,
out= / in-place forms, autograd (which argument has a derivative, node names, the error a
missing derivative raises) and argument errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

UNARY = ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0",
         "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
         "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0",
         "airy_ai"]
POLY = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
        "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
        "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
        "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
        "laguerre_polynomial_l", "legendre_polynomial_p"]
EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 2.09, -2.09, 5.0, -5.0, 8.0, 1e-5, 1e-300,
         1e300, -1e300, 103.9, 8.3203353, float("inf"), -float("inf"), float("nan")]
F64 = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=False)


def _agree(ours, ref):
    """Two outcomes (a value, or an error's type and first line) agree; our error text may
    add a hint after PyTorch's."""
    if ours == ref:
        return True
    return (isinstance(ours, tuple) and isinstance(ref, tuple) and len(ours) == len(ref) == 2
            and ours[0] == ref[0] and ref[0].endswith("Error")
            and isinstance(ours[1], str) and ours[1].startswith(ref[1]))


def _same(ours, ref, rtol, atol=0.0):
    """Values equal up to the tolerances (NaN where the reference is NaN, equal infinities)."""
    a = np.asarray(ours.numpy(), np.float64)
    b = np.asarray(ref.detach().numpy(), np.float64)
    assert ours.dtype == getattr(tk, str(ref.dtype).split(".")[1])
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


# -- unary Bessel / Airy functions ---------------------------------------------------------
@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_unary_edges(name, dtype):
    with np.errstate(over="ignore"):
        x = np.array(EDGES, dtype=np.float64).astype(dtype)
    _same(getattr(tk.special, name)(tk.tensor(x)),
          getattr(torch.special, name)(torch.from_numpy(x)),
          1e-13 if dtype == "float64" else 2e-5)


@pytest.mark.parametrize("name", UNARY)
@settings(max_examples=15, deadline=None)
@given(st.lists(st.one_of(st.floats(-30, 30), st.floats(-1e4, 1e4), F64), min_size=1,
                max_size=12))
def test_unary_values(name, xs):
    x = np.array(xs)
    ref = getattr(torch.special, name)(torch.from_numpy(x))
    # near a zero of the function the relative error of a few-ulp argument error is larger
    atol = 1e-15 * np.maximum(1.0, np.abs(x)).max()
    _same(getattr(tk.special, name)(tk.tensor(x)), ref, 1e-12, atol)


@pytest.mark.parametrize("name", UNARY)
def test_unary_dtypes_out_and_no_grad(name):
    f, g = getattr(tk.special, name), getattr(torch.special, name)
    for src in ([1, 2, 3], [True, False]):
        assert str(f(tk.tensor(src)).dtype) == str(g(torch.tensor(src)).dtype)
    x = tk.tensor([0.5, 2.5], dtype=tk.float64, requires_grad=True)
    y = f(x)
    assert y.requires_grad is False and y.grad_fn is None
    out = tk.empty(2)
    assert f(tk.tensor([0.5, 2.5]), out=out) is out and out._version == 1
    _same(out, g(torch.tensor([0.5, 2.5]), out=torch.empty(2)), 1e-6)


@pytest.mark.parametrize("name", ["bessel_j0", "scaled_modified_bessel_k1", "airy_ai"])
@pytest.mark.parametrize("call", ["h(x=t)", "h(input=t)", "h()", "h(t, t)", "h(t, out=t)",
                                  "h(x=t, out=M.empty(1))"])
def test_unary_argument_forms(name, call):
    def run(M):
        try:
            r = eval(call, {"M": M, "t": M.tensor([1.5]), "h": getattr(M.special, name)})
            return str(r.dtype).split(".")[1], [float(f"{v:.5g}") for v in r.tolist()]
        except Exception as e:   # noqa: BLE001 - the error is what we compare
            return type(e).__name__, str(e).split("\n")[0]
    assert _agree(run(tk), run(torch))


@pytest.mark.parametrize("name", ["bessel_j0", "modified_bessel_k1", "airy_ai"])
def test_unary_errors(name):
    f, g = getattr(tk.special, name), getattr(torch.special, name)
    for call in (lambda m, h: h(1.0),
                 lambda m, h: h(m.tensor([1.0], dtype=m.float16)),
                 lambda m, h: h(m.tensor([1.0j])),
                 lambda m, h: h(m.tensor([1.0]), out=m.empty(1, dtype=m.int64))):
        with pytest.raises(Exception) as ours:
            call(tk, f)
        with pytest.raises(Exception) as ref:
            call(torch, g)
        assert type(ours.value).__name__ == type(ref.value).__name__
        assert str(ours.value).startswith(str(ref.value).split("\n")[0])


# -- polynomials ---------------------------------------------------------------------------
def _poly_case(name, x, n, dtype):
    xs = np.asarray(x, np.float64).astype(dtype)
    ns = np.asarray(n, np.float64).astype(dtype)
    ref = getattr(torch.special, name)(torch.from_numpy(xs), torch.from_numpy(ns))
    ours = getattr(tk.special, name)(tk.tensor(xs), tk.tensor(ns))
    # PyTorch leaves the result of its loop unset for a NaN x (an uninitialized value):
    # those elements are compared only where the degree makes no loop run
    loops = np.isnan(np.broadcast_to(xs, ref.shape)) & (np.broadcast_to(ns, ref.shape) >= 2)
    if "hermite" in name:
        loops[:] = False
    a = ours.numpy().astype(np.float64)[~loops]
    b = ref.numpy().astype(np.float64)[~loops]
    assert ours.dtype == getattr(tk, dtype) and ours.shape == tuple(ref.shape)
    # the closed forms (cos(n acos x)...) for |x| < 1 carry libm's argument error times n
    scale = np.broadcast_to(np.maximum(1.0, np.abs(np.nan_to_num(ns, posinf=0, neginf=0))),
                            ref.shape)[~loops]
    if dtype == "float64":
        with np.errstate(invalid="ignore"):
            diff = np.where((a == b) | (np.isnan(a) & np.isnan(b)), 0.0, np.abs(a - b))
        bad = ~((diff == 0) | (diff <= 1e-10 * np.abs(b) + 1e-13 * scale))
        assert not bad.any(), (a[bad], b[bad])
    else:
        big = np.abs(b) > 1e30       # float32 overflow may come out inf or NaN (FMA order)
        a, b, scale = a[~big], b[~big], scale[~big]
        with np.errstate(invalid="ignore"):
            diff = np.where((a == b) | (np.isnan(a) & np.isnan(b)), 0.0, np.abs(a - b))
        bad = ~((diff == 0) | (diff <= 1e-4 * np.abs(b) + 3e-6 * scale))
        assert not bad.any(), (a[bad], b[bad])


@pytest.mark.parametrize("name", POLY)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_polynomial_grid(name, dtype):
    x = np.array([-3.0, -1.5, -1.0, -0.7, -0.2, 0.0, 0.1, 0.5, 0.9, 1.0, 1.2, 2.5, np.inf,
                  -np.inf, np.nan])[:, None]
    n = np.array([-3, -1, 0, 1, 2, 3, 5, 6, 7, 8, 9, 12, 2.7, -0.5, 40, 129, 513, np.nan,
                  np.inf, -np.inf, 1e20])[None, :]
    _poly_case(name, x, n, dtype)


@pytest.mark.parametrize("name", POLY)
@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(-2.5, 2.5), min_size=1, max_size=8),
       st.lists(st.integers(-2, 60), min_size=1, max_size=6))
def test_polynomial_values(name, xs, ns):
    _poly_case(name, np.array(xs)[:, None], np.array(ns)[None, :], "float64")


@pytest.mark.parametrize("name", ["chebyshev_polynomial_t", "hermite_polynomial_h",
                                  "legendre_polynomial_p"])
def test_polynomial_overloads_dtypes_and_errors(name):
    f, g = getattr(tk.special, name), getattr(torch.special, name)
    calls = ["M.tensor([1, 2]), M.tensor([1, 2])", "M.tensor([0.5, 2.]), 3",
             "0.5, M.tensor([1, 2])", "M.tensor([0.5], dtype=M.float32), M.tensor([2], "
             "dtype=M.float64)", "M.tensor(0.5, dtype=M.float64), M.tensor([2.], "
             "dtype=M.float32)", "M.tensor([0.5]), True", "M.tensor([True]), M.tensor([2])",
             "M.tensor([0.5]), 2.9", "x=M.tensor([0.5]), n=M.tensor([3.])",
             "M.tensor([0.5]), 2, out=M.empty(1)", "M.tensor([0.5]), 2, out=M.empty(1, "
             "dtype=M.int64)", "1.0, 2.0", "M.tensor([0.5]), 2j", "M.tensor([0.5j]), 2",
             "M.tensor([1.], dtype=M.float16), 2", "M.tensor([0.5]), [2]",
             "input=M.tensor([0.5]), n=2", "M.tensor([0.5]), n=M.tensor([2])"]
    for c in calls:
        def run(M, h):
            try:
                r = eval(f"h({c})", {"M": M, "h": h})
                return str(r.dtype).split(".")[1], r.tolist()
            except Exception as e:   # noqa: BLE001 - the error is what we compare
                return type(e).__name__, str(e).split("\n")[0]
        assert _agree(run(tk, f), run(torch, g)), c


def test_polynomial_out_versions_and_no_grad():
    x = tk.tensor([0.25, 0.5], requires_grad=True)
    y = tk.special.chebyshev_polynomial_u(x, 3)
    assert not y.requires_grad and y.grad_fn is None
    out = tk.empty(2)
    r = tk.special.laguerre_polynomial_l(0.5, tk.tensor([1, 2]), out=out)
    assert r is out and out._version == 1
    assert out.tolist() == torch.special.laguerre_polynomial_l(0.5, torch.tensor([1, 2])).tolist()


# -- igamma / igammac ----------------------------------------------------------------------
A_EDGES = [0.0, 1e-3, 0.5, 1.0, 3.0, 20.5, 150.0, 250.0, 1e4, 1e6, float("inf"),
           float("nan"), -1.0]
X_EDGES = [0.0, 1e-3, 0.5, 1.0, 1.1, 21.0, 150.0, 260.0, 1e4, 1.001e6, float("inf"),
           float("nan"), -1.0]


@pytest.mark.parametrize("fname", ["igamma", "igammac"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_igamma_edges(fname, dtype):
    a = np.array(A_EDGES)[:, None].astype(dtype)
    x = np.array(X_EDGES)[None, :].astype(dtype)
    _same(getattr(tk, fname)(tk.tensor(a), tk.tensor(x)),
          getattr(torch, fname)(torch.from_numpy(a), torch.from_numpy(x)),
          # (PyTorch's float32 kernel runs SciPy's algorithm in float: errors near 1e-4)
          1e-11 if dtype == "float64" else 5e-4, 1e-300 if dtype == "float64" else 1e-30)


@pytest.mark.parametrize("fname", ["igamma", "igammac"])
@settings(max_examples=20, deadline=None)
@given(st.lists(st.one_of(st.floats(0, 5), st.floats(0, 400), st.floats(0, 1e5)),
                min_size=1, max_size=6),
       st.lists(st.one_of(st.floats(0, 5), st.floats(0, 400), st.floats(0, 1e5)),
                min_size=1, max_size=6))
def test_igamma_values(fname, a, x):
    A, X = np.array(a)[:, None], np.array(x)[None, :]
    _same(getattr(tk, fname)(tk.tensor(A), tk.tensor(X)),
          getattr(torch, fname)(torch.from_numpy(A), torch.from_numpy(X)), 1e-10, 1e-300)


@pytest.mark.parametrize("fname", ["igamma", "igammac"])
def test_igamma_forms_and_autograd(fname):
    special = {"igamma": "gammainc", "igammac": "gammaincc"}[fname]

    def run(M):
        a = M.tensor([0.5, 2.0], dtype=M.float64, requires_grad=True)
        x = M.tensor([1.5, 0.7], dtype=M.float64, requires_grad=True)
        rec = []
        for f in (getattr(M, fname), getattr(M.special, special),
                  lambda s, o: getattr(s, fname)(o)):
            y = f(a.detach(), x)
            y.sum().backward()
            rec += [y.grad_fn.name(), [n is None for n, _ in y.grad_fn.next_functions],
                    x.grad.tolist()]
            x.grad = None
            y = f(a, x.detach())
            rec.append(y.grad_fn.name())
            try:
                y.sum().backward()
            except Exception as e:   # noqa: BLE001
                rec.append((type(e).__name__, str(e)))
        t = M.tensor([1.0, 2.0], dtype=M.float64)
        v = t._version
        r = getattr(t, fname + "_")(M.tensor([1.0, 3.0], dtype=M.float64))
        rec += [r is t, t._version - v, t.tolist()]
        c = a.detach().clone()
        getattr(c, fname + "_")(x)
        c.sum().backward()
        rec += [c.grad_fn.name(), x.grad.tolist()]
        o = M.empty(2)
        rec += [getattr(M, fname)(M.tensor([1., 2.]), M.tensor([1., 2.]), out=o) is o,
                o._version]
        o = M.empty(2, dtype=M.float64)
        getattr(M.special, special)(M.tensor([1., 2.], dtype=M.float64),
                                    M.tensor([1., 2.], dtype=M.float64), out=o)
        rec.append(o.tolist())
        return rec
    ours, ref = run(tk), run(torch)
    assert len(ours) == len(ref)
    for u, r in zip(ours, ref):
        if isinstance(r, list) and r and isinstance(r[0], float):
            np.testing.assert_allclose(u, r, rtol=1e-12)
        else:
            assert _agree(u, r)


@pytest.mark.parametrize("fname", ["igamma", "igammac"])
def test_igamma_errors(fname):
    special = {"igamma": "gammainc", "igammac": "gammaincc"}[fname]
    calls = ["f(M.tensor([1, 2]), M.tensor([1, 2]))", "f(M.tensor([True]), M.tensor([True]))",
             "f(M.tensor([1]), M.tensor([1.5]))",
             "f(M.tensor([1.]), M.tensor([1.], dtype=M.complex64))",
             "f(M.tensor([1.], dtype=M.float16), M.tensor([1.], dtype=M.float16))",
             "f(M.tensor([1.]), M.tensor([1.], dtype=M.float64))",
             "f(M.tensor([1.]), 2.0)", "f(1.0, M.tensor([1.]))", "s(1.0, M.tensor([1.]))",
             "s(M.tensor([1.]), 2)", "M.tensor([1.]).__getattribute__(n)(2.0)",
             "M.tensor([1.]).__getattribute__(n + '_')(M.tensor([1., 2.]))",
             "M.tensor([1]).__getattribute__(n + '_')(M.tensor([1.]))",
             "M.tensor([1.]).__getattribute__(n + '_')(M.tensor([2.], dtype=M.float64))",
             "f(M.tensor([1.]), M.tensor([1.]), out=M.empty(1, dtype=M.int64))"]
    for c in calls:
        def run(M):
            env = {"M": M, "f": getattr(M, fname), "s": getattr(M.special, special),
                   "n": fname}
            try:
                r = eval(c, env)
                return str(r.dtype).split(".")[1], [round(v, 4) for v in r.tolist()]
            except Exception as e:   # noqa: BLE001
                return type(e).__name__, str(e).split("\n")[0]
        assert _agree(run(tk), run(torch)), c


# -- zeta ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_zeta_edges(dtype):
    s = np.array([1.0, 0.5, -2.0, 1.0000001, 2.0, 3.0, 4.5, 30.0, np.inf, np.nan])[:, None]
    q = np.array([0.0, -1.0, -2.5, 1e-8, 1.0, 7.5, 1e10, np.inf, -np.inf, np.nan])[None, :]
    s, q = s.astype(dtype), q.astype(dtype)
    _same(tk.special.zeta(tk.tensor(s), tk.tensor(q)),
          torch.special.zeta(torch.from_numpy(s), torch.from_numpy(q)),
          1e-13 if dtype == "float64" else 1e-6)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.floats(1.0, 40.0), min_size=1, max_size=6),
       st.lists(st.one_of(st.floats(-20, 60), st.integers(-5, 5).map(float)), min_size=1,
                max_size=6))
def test_zeta_values(s, q):
    S, Q = np.array(s)[:, None], np.array(q)[None, :]
    _same(tk.special.zeta(tk.tensor(S), tk.tensor(Q)),
          torch.special.zeta(torch.from_numpy(S), torch.from_numpy(Q)), 1e-12, 1e-300)


def test_zeta_forms_and_autograd():
    def run(M):
        rec = []
        s = M.tensor([2.5, 3.0], dtype=M.float64)
        q = M.tensor([1.5, 0.7], dtype=M.float64, requires_grad=True)
        for y in (M.special.zeta(s, q), M.special.zeta(3.0, q)):
            (g,) = M.autograd.grad(y.sum(), q)
            rec += [y.grad_fn.name(), g.tolist()]
        for y in (M.special.zeta(q, s), M.special.zeta(q, 2.0)):
            rec.append(y.grad_fn.name())
            try:
                y.sum().backward()
            except Exception as e:   # noqa: BLE001
                rec.append((type(e).__name__, str(e)))
        for c in ("M.special.zeta(M.tensor([2, 3]), M.tensor([1, 2]))",
                  "M.special.zeta(2, M.tensor([1, 2]))", "M.special.zeta(M.tensor([2]), 2)",
                  "M.special.zeta(2.5, M.tensor([1.], dtype=M.float64))",
                  "M.special.zeta(M.tensor([2.]), True)",
                  "M.special.zeta(M.tensor([2.]), M.tensor([1.]), out=M.empty(1))",
                  "M.special.zeta(2., M.tensor([1.]), out=M.empty(1))",
                  "M.special.zeta(M.tensor([2.]), 1., out=M.empty(1))",
                  "M.special.zeta(1.0, 2.0)", "M.special.zeta(M.tensor([2.]), 2j)",
                  "M.special.zeta(input=M.tensor([2.]), other=2.)",
                  "M.special.zeta(M.tensor([2.]), q=1.)",
                  "M.special.zeta(other=M.tensor([2.]), input=2.)",
                  "M.special.zeta(other=M.tensor([2.]), self=2.)",
                  "M.special.zeta(M.tensor([2.]), other=M.tensor([2.]))",
                  "M.special.zeta(M.tensor([2.], dtype=M.float16), M.tensor([1.], "
                  "dtype=M.float16))",
                  "M.special.zeta(M.tensor([2.]), M.tensor([1.]), out=M.empty(1, "
                  "dtype=M.int64))"):
            try:
                r = eval(c, {"M": M})
                rec.append((str(r.dtype).split(".")[1], [round(v, 6) for v in r.tolist()]))
            except Exception as e:   # noqa: BLE001
                rec.append((type(e).__name__, str(e).split("\n")[0]))
        return rec
    ours, ref = run(tk), run(torch)
    assert len(ours) == len(ref)
    for u, r in zip(ours, ref):
        if isinstance(r, list) and r and isinstance(r[0], float):
            np.testing.assert_allclose(u, r, rtol=1e-12)
        else:
            assert _agree(u, r)
