"""Behaviour of the linear-algebra ops (opdefs/linalg_extra.py, tensor.linalg): properties
against numpy and the defining identities, and gradients of the ops whose input is read
through one triangle (checked on symmetric inputs, as PyTorch's own tests do)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
import hypothesis.extra.numpy as hnp

import tensor as tk
from tensor.autograd import gradcheck, gradgradcheck

F64 = np.float64


@st.composite
def square(draw, max_n=4, batch=True):
    n = draw(st.integers(1, max_n))
    b = draw(st.sampled_from([(), (2,)])) if batch else ()
    a = draw(hnp.arrays(F64, b + (n, n), elements=st.floats(-1, 1)))
    return a + n * np.eye(n)


@st.composite
def spd(draw, max_n=4):
    a = draw(square(max_n))
    return a @ a.swapaxes(-1, -2) + np.eye(a.shape[-1])


@settings(max_examples=25, deadline=None)
@given(square())
def test_det_inv_solve_agree_with_numpy(a):
    t = tk.tensor(a)
    np.testing.assert_allclose(tk.linalg.det(t).numpy(), np.linalg.det(a), rtol=1e-10)
    inv = tk.linalg.inv(t).numpy()
    np.testing.assert_allclose(a @ inv, np.broadcast_to(np.eye(a.shape[-1]), a.shape),
                               atol=1e-10)
    b = np.arange(a.shape[-1], dtype=F64)
    x = tk.linalg.solve(t, tk.tensor(b)).numpy()
    np.testing.assert_allclose(np.einsum("...ij,...j->...i", a, x),
                               np.broadcast_to(b, x.shape), atol=1e-10)
    sign, logabs = tk.linalg.slogdet(t)
    np.testing.assert_allclose(sign.numpy() * np.exp(logabs.numpy()), np.linalg.det(a),
                               rtol=1e-10)


@settings(max_examples=25, deadline=None)
@given(spd())
def test_cholesky_and_eigh_reconstruct(a):
    t = tk.tensor(a)
    L = tk.linalg.cholesky(t).numpy()
    np.testing.assert_allclose(L @ L.swapaxes(-1, -2), a, rtol=1e-10, atol=1e-10)
    assert np.allclose(np.triu(L, 1), 0)
    U = tk.linalg.cholesky(t, upper=True).numpy()
    np.testing.assert_allclose(U, L.swapaxes(-1, -2), atol=1e-12)
    w, v = tk.linalg.eigh(t)
    np.testing.assert_allclose((v.numpy() * w.numpy()[..., None, :]) @ v.numpy().swapaxes(-1, -2),
                               a, atol=1e-9)
    assert np.all(np.diff(w.numpy(), axis=-1) >= 0)
    np.testing.assert_allclose(tk.cholesky_inverse(tk.tensor(L)).numpy(), np.linalg.inv(a),
                               rtol=1e-8, atol=1e-10)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.data())
def test_qr_svd_pinv_properties(m, n, data):
    a = data.draw(hnp.arrays(F64, (m, n), elements=st.floats(-2, 2)))
    t = tk.tensor(a)
    q, r = tk.linalg.qr(t)
    np.testing.assert_allclose(q.numpy() @ r.numpy(), a, atol=1e-10)
    assert np.allclose(np.tril(r.numpy(), -1), 0)
    u, s, vh = tk.linalg.svd(t, full_matrices=False)
    np.testing.assert_allclose((u.numpy() * s.numpy()) @ vh.numpy(), a, atol=1e-10)
    np.testing.assert_allclose(s.numpy(), np.linalg.svd(a, compute_uv=False), atol=1e-10)
    np.testing.assert_allclose(tk.linalg.pinv(t).numpy(), np.linalg.pinv(a), atol=1e-8)
    assert int(tk.linalg.matrix_rank(t)) == np.linalg.matrix_rank(a)
    assert math.isclose(float(tk.linalg.matrix_norm(t, "nuc")), s.numpy().sum(), rel_tol=1e-12,
                        abs_tol=1e-12)
    for o in (1, -1, 2, -2, math.inf, -math.inf, "fro"):
        np.testing.assert_allclose(float(tk.linalg.matrix_norm(t, o)), np.linalg.norm(a, o),
                                   rtol=1e-10, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(hnp.arrays(F64, (3, 3), elements=st.floats(-1, 1)), st.integers(-3, 6))
def test_matrix_power_and_exp(a, k):
    a = a + 3 * np.eye(3)
    t = tk.tensor(a)
    expected = np.linalg.matrix_power(a, k)
    np.testing.assert_allclose(t.matrix_power(k).numpy(), expected, rtol=1e-9, atol=1e-12)
    # exp(A) exp(-A) = I and exp of a diagonal matrix
    e = tk.linalg.matrix_exp(t).numpy()
    np.testing.assert_allclose(e @ tk.linalg.matrix_exp(-t).numpy(), np.eye(3), atol=1e-8)
    d = np.diag(np.diag(a))
    np.testing.assert_allclose(tk.linalg.matrix_exp(tk.tensor(d)).numpy(),
                               np.diag(np.exp(np.diag(a))), rtol=1e-12)


@settings(max_examples=20, deadline=None)
@given(hnp.arrays(F64, (2, 3), elements=st.floats(-2, 2)),
       hnp.arrays(F64, (4, 3), elements=st.floats(-2, 2)),
       st.sampled_from([0.0, 1.0, 2.0, 3.0, math.inf]))
def test_cdist_matches_definition(x1, x2, p):
    d = tk.cdist(tk.tensor(x1), tk.tensor(x2), p=p).numpy()
    diff = x1[:, None, :] - x2[None, :, :]
    want = np.linalg.norm(diff, ord=p, axis=-1) if p else (diff != 0).sum(-1)
    np.testing.assert_allclose(d, want, rtol=1e-12, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(hnp.arrays(F64, (3, 5), elements=st.floats(-2, 2)))
def test_cov_corrcoef_trapezoid_match_numpy(x):
    np.testing.assert_allclose(tk.cov(tk.tensor(x)).numpy(), np.cov(x), atol=1e-12)
    fw = np.array([1, 2, 1, 3, 1])
    aw = np.array([0.5, 1.0, 2.0, 1.0, 0.25])
    np.testing.assert_allclose(
        tk.cov(tk.tensor(x), fweights=tk.tensor(fw), aweights=tk.tensor(aw)).numpy(),
        np.cov(x, fweights=fw, aweights=aw), atol=1e-12)
    xs = np.cumsum(np.abs(x[0]) + 0.1)
    np.testing.assert_allclose(tk.trapezoid(tk.tensor(x), tk.tensor(xs)).numpy(),
                               np.trapezoid(x, xs, axis=-1), atol=1e-12)
    np.testing.assert_allclose(tk.trapezoid(tk.tensor(x), dx=0.5, dim=0).numpy(),
                               np.trapezoid(x, dx=0.5, axis=0), atol=1e-12)


def test_block_builders():
    a, v = tk.ones(2, 2), tk.tensor([1.0, 2.0, 3.0])
    bd = tk.block_diag(a, v, tk.tensor(5.0))
    assert bd.shape == (4, 6) and bd[2, 2:5].tolist() == [1.0, 2.0, 3.0] and bd[3, 5] == 5
    cp = tk.cartesian_prod(tk.tensor([1, 2]), tk.tensor([3, 4, 5]))
    assert cp.tolist() == [[1, 3], [1, 4], [1, 5], [2, 3], [2, 4], [2, 5]]
    assert tk.rot90(tk.tensor([[1, 2], [3, 4]])).tolist() == [[2, 4], [1, 3]]
    assert tk.vander(tk.tensor([1, 2, 3])).tolist() == [[1, 1, 1], [4, 2, 1], [9, 3, 1]]
    assert tk.diagflat(tk.tensor([[1, 2], [3, 4]])).tolist() == np.diag([1, 2, 3, 4]).tolist()


# -- gradients of the ops read through one triangle, on symmetric inputs -----------------
def _sym(x):
    return (x + x.mT) * 0.5 + tk.eye(x.shape[-1], dtype=tk.float64) * 3


SYMMETRIC = {
    "cholesky": lambda x: tk.linalg.cholesky(_sym(x)),
    "cholesky_upper": lambda x: tk.linalg.cholesky(_sym(x), upper=True),
    "cholesky_method": lambda x: _sym(x).cholesky(),
    "cholesky_ex": lambda x: tk.linalg.cholesky_ex(_sym(x)).L,
    "eigh": lambda x: tuple(tk.linalg.eigh(_sym(x) + tk.diag(tk.tensor([0.0, 1.0, 2.5],
                                                                       dtype=tk.float64)))),
    "eigvalsh": lambda x: tk.linalg.eigvalsh(_sym(x), UPLO="U"),
    "cholesky_inverse": lambda x: tk.cholesky_inverse(
        tk.linalg.cholesky(_sym(x))),
    "cholesky_solve_L": lambda x: tk.cholesky_solve(
        tk.ones(3, 2, dtype=tk.float64), tk.linalg.cholesky(_sym(x))),
}


@pytest.mark.parametrize("name", list(SYMMETRIC))
def test_symmetric_input_gradients(name):
    x = tk.tensor(np.random.default_rng(3).uniform(-0.5, 0.5, (3, 3)), requires_grad=True)
    assert gradcheck(SYMMETRIC[name], (x,))
    assert gradgradcheck(SYMMETRIC[name], (x,))


def test_singular_det_gradient_is_the_cofactor_matrix():
    a = tk.tensor([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]], dtype=tk.float64,
                  requires_grad=True)
    g, = tk.autograd.grad(tk.linalg.det(a), a)
    an = a.detach().numpy()
    cof = np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(an, i, 0), j, 1))
                     for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(g.numpy(), cof, atol=1e-10)


def test_outputs_that_do_not_require_grad():
    a = tk.tensor(np.eye(2) * 2, requires_grad=True)
    r = tk.linalg.inv_ex(a)
    assert r.info.dtype == tk.int32 and not r.info.requires_grad
    assert r.inverse.grad_fn.__class__.__name__ == "LinalgInvExBackward0"
    assert not tk.linalg.matrix_rank(a).requires_grad
    assert tk.linalg.lstsq(a, a).singular_values.grad_fn is None
