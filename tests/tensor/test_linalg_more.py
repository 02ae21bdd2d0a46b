"""Behavior of ``opdefs/linalg_more.py`` against numpy and the defining identities: the LU
family (P L U = A, LAPACK's pivot choice, solves), Householder products, ``vander``,
``tensorinv`` / ``tensorsolve``, ``cond``, ``torch.gradient``, the ``*_copy`` functions,
``range`` and ``fill``; and error texts by example."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tensor

F64 = np.float64


def _t(a):
    return tensor.from_numpy(np.array(a))


def _matrices(min_side=1, max_side=4, square=False, batch=True):
    @st.composite
    def draw(draw):
        b = draw(st.sampled_from([(), (2,)])) if batch else ()
        m = draw(st.integers(min_side, max_side))
        n = m if square else draw(st.integers(min_side, max_side))
        return draw(hnp.arrays(F64, b + (m, n), elements=st.floats(-4, 4, allow_nan=False,
                                                                    allow_subnormal=False)))
    return draw()


def _reference_lu(a):
    """Textbook partial pivoting, one matrix at a time: the largest |value| in the column
    (the first of equals), rows swapped, then the multipliers."""
    lu = np.array(a, dtype=F64)
    m, n = lu.shape
    piv = []
    for j in range(min(m, n)):
        p = j + int(np.argmax(np.abs(lu[j:, j])))
        piv.append(p + 1)
        lu[[j, p]] = lu[[p, j]]
        if lu[j, j] != 0:
            lu[j + 1:, j] /= lu[j, j]
        lu[j + 1:, j + 1:] -= np.outer(lu[j + 1:, j], lu[j, j + 1:])
    return lu, np.array(piv, np.int32)


# -- LU ------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(_matrices())
def test_lu_factor_matches_partial_pivoting(a):
    LU, piv, info = tensor.linalg.lu_factor_ex(_t(a))
    assert LU.dtype == tensor.float64 and piv.dtype == tensor.int32 and info.dtype == tensor.int32
    flat_a = a.reshape((-1,) + a.shape[-2:])
    flat_lu = LU.numpy().reshape(flat_a.shape)
    flat_piv = piv.numpy().reshape(flat_a.shape[0], -1)
    for x, lu, p in zip(flat_a, flat_lu, flat_piv):
        ref_lu, ref_piv = _reference_lu(x)
        np.testing.assert_array_equal(p, ref_piv)
        np.testing.assert_allclose(lu, ref_lu, rtol=1e-10, atol=1e-10)


@settings(max_examples=40, deadline=None)
@given(_matrices())
def test_linalg_lu_rebuilds_the_matrix(a):
    P, L, U = tensor.linalg.lu(_t(a))
    m, n = a.shape[-2:]
    k = min(m, n)
    assert tuple(L.shape) == a.shape[:-2] + (m, k) and tuple(U.shape) == a.shape[:-2] + (k, n)
    Ln, Un, Pn = L.numpy(), U.numpy(), P.numpy()
    np.testing.assert_allclose(Pn @ Ln @ Un, a, atol=1e-9)
    np.testing.assert_array_equal(np.triu(Ln, 1), 0)
    np.testing.assert_array_equal(np.diagonal(Ln, axis1=-2, axis2=-1), 1)
    np.testing.assert_array_equal(np.tril(Un, -1), 0)
    assert np.all(np.abs(Ln) <= 1 + 1e-12)            # partial pivoting bounds L
    np.testing.assert_array_equal(Pn.sum(-1), 1)
    np.testing.assert_array_equal(Pn.sum(-2), 1)
    P2, L2, U2 = tensor.lu_unpack(*tensor.linalg.lu_factor_ex(_t(a))[:2])
    np.testing.assert_array_equal(P2.numpy(), Pn)
    np.testing.assert_array_equal(L2.numpy(), Ln)
    np.testing.assert_array_equal(U2.numpy(), Un)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2 ** 31 - 1), st.integers(1, 4), st.integers(1, 3), st.booleans(),
       st.booleans())
def test_lu_solve_matches_numpy(seed, n, k, left, adjoint):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((2, n, n)) + 2 * n * np.eye(n)
    b = rng.standard_normal((2, n, k) if left else (2, k, n))
    LU, piv = tensor.linalg.lu_factor(_t(a))
    x = tensor.linalg.lu_solve(LU, piv, _t(b), left=left, adjoint=adjoint).numpy()
    op = np.swapaxes(a, -1, -2) if adjoint else a
    if left:
        np.testing.assert_allclose(op @ x, b, atol=1e-9)
    else:
        np.testing.assert_allclose(x @ op, b, atol=1e-9)


def test_lu_info_and_errors():
    _, _, info = tensor.linalg.lu_factor_ex(_t(np.zeros((2, 3, 3))))
    np.testing.assert_array_equal(info.numpy(), [1, 1])
    _, _, info = tensor.linalg.lu_factor_ex(_t([[1.0, 2.0], [2.0, 4.0]]))
    assert int(info) == 2
    with pytest.raises(RuntimeError, match=r"^torch.linalg.lu_factor: \(Batch element 0\): "
                                           r"U\[1,1\] is zero"):
        tensor.linalg.lu_factor(_t(np.zeros((2, 3, 3))))
    with pytest.raises(NotImplementedError, match="\"lu_cpu\" not implemented for 'Long'"):
        tensor.linalg.lu_factor(tensor.ones(2, 2, dtype=tensor.int64))
    with pytest.raises(RuntimeError, match="pivots should be a Tensor of scalar type"):
        LU, piv = tensor.linalg.lu_factor(tensor.eye(2))
        tensor.linalg.lu_solve(LU, piv.long(), tensor.ones(2, 1))


def test_lu_result_types_and_grad_fns():
    a = _t(np.array([[1.0, 2.0], [3.0, 4.0]])).requires_grad_()
    r = tensor.linalg.lu_factor(a)
    assert type(r).__name__ == "linalg_lu_factor" and r.LU.grad_fn.name() \
        == "LinalgLuFactorExBackward0"
    r = tensor.linalg.lu(a)
    assert type(r).__name__ == "linalg_lu" and r.P.grad_fn is None
    assert r.L.grad_fn.name() == "LinalgLuBackward0"
    x = tensor.linalg.lu_solve(*tensor.linalg.lu_factor(a), tensor.ones(2, 1, dtype=a.dtype))
    assert x.grad_fn.name() == "LinalgLuSolveBackward0"
    with pytest.warns(UserWarning, match="torch.lu is deprecated"):
        assert type(tensor.lu(a, get_infos=True)).__name__ == "_lu_with_info"
    with pytest.warns(UserWarning, match="torch.lu is deprecated"):
        assert type(tensor.lu(a)) is tuple


@pytest.mark.parametrize("fn", ["lu_factor", "lu"])
def test_lu_gradients_pass_gradcheck_and_gradgradcheck(fn):
    rng = np.random.default_rng(3)
    for shape in ((3, 3), (4, 2), (2, 4)):
        a = _t(rng.standard_normal(shape) + np.eye(*shape) * 4).requires_grad_()

        def f(x):
            out = getattr(tensor.linalg, fn)(x)
            return out[0] if fn == "lu_factor" else (out[1], out[2])
        assert tensor.autograd.gradcheck(f, (a,))
        assert tensor.autograd.gradgradcheck(f, (a,))


# -- Householder products ------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2 ** 31 - 1), st.integers(1, 4), st.integers(0, 2))
def test_householder_product_is_the_product_of_reflectors(seed, n, extra):
    rng = np.random.default_rng(seed)
    m = n + extra
    k = int(rng.integers(0, n + 1))
    a, tau = rng.standard_normal((m, n)), rng.standard_normal(k)
    q = np.eye(m)
    for i in range(k):
        v = np.concatenate([np.zeros(i), [1.0], a[i + 1:, i]])
        q = q @ (np.eye(m) - tau[i] * np.outer(v, v))
    got = tensor.linalg.householder_product(_t(a), _t(tau))
    np.testing.assert_allclose(got.numpy(), q[:, :n], atol=1e-12)
    np.testing.assert_array_equal(tensor.orgqr(_t(a), _t(tau)).numpy(), got.numpy())


def test_householder_reflectors_give_orthonormal_columns():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 3))
    tau = np.array([2.0 / (1 + a[i + 1:, i] @ a[i + 1:, i]) for i in range(3)])
    q = tensor.linalg.householder_product(_t(a), _t(tau)).numpy()
    np.testing.assert_allclose(q.T @ q, np.eye(3), atol=1e-12)


# -- vander, tensorinv, tensorsolve, cond --------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(hnp.arrays(F64, st.integers(2, 5), elements=st.floats(-3, 3)), st.integers(2, 5))
def test_vander_matches_numpy(x, N):
    got = tensor.linalg.vander(_t(x), N=N).numpy()
    np.testing.assert_allclose(got, np.vander(x, N, increasing=True), rtol=1e-12, atol=1e-12)


def test_tensorinv_and_tensorsolve_match_numpy():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((4, 6, 8, 3))
    np.testing.assert_allclose(tensor.linalg.tensorinv(_t(a), ind=2).numpy(),
                               np.linalg.tensorinv(a, ind=2), rtol=1e-8, atol=1e-10)
    a, b = rng.standard_normal((2, 3, 6)), rng.standard_normal((2, 3))
    np.testing.assert_allclose(tensor.linalg.tensorsolve(_t(a), _t(b)).numpy(),
                               np.linalg.tensorsolve(a, b), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", np.inf, -np.inf, 1, -1])
def test_cond_matches_numpy(p):
    a = np.random.default_rng(2).standard_normal((2, 3, 3))
    got = tensor.linalg.cond(_t(a), p).numpy()
    np.testing.assert_allclose(got, np.linalg.cond(a, p), rtol=1e-9)


def test_cond_of_a_singular_matrix_is_infinite():
    assert float(tensor.linalg.cond(tensor.zeros(3, 3), 1)) == np.inf
    with pytest.raises(RuntimeError, match="linalg.cond got an invalid norm type: 3"):
        tensor.linalg.cond(tensor.eye(3), 3)


# -- torch.gradient ------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(hnp.arrays(F64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=3, max_side=5),
                  elements=st.floats(-5, 5)),
       st.sampled_from([1, 2]), st.floats(0.1, 3))
def test_gradient_matches_numpy(x, edge_order, dx):
    got = tensor.gradient(_t(x), spacing=dx, edge_order=edge_order)
    ref = np.gradient(x, dx, edge_order=edge_order)
    ref = ref if isinstance(ref, (list, tuple)) else [ref]
    assert isinstance(got, tuple) and len(got) == x.ndim
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g.numpy(), r, rtol=1e-9, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2 ** 31 - 1), st.integers(3, 6), st.sampled_from([1, 2]))
def test_gradient_with_coordinates_matches_numpy(seed, n, edge_order):
    rng = np.random.default_rng(seed)
    y = rng.standard_normal((2, n))
    xs = np.cumsum(0.2 + rng.random(n))
    (got,) = tensor.gradient(_t(y), spacing=(_t(xs),), dim=1, edge_order=edge_order)
    np.testing.assert_allclose(got.numpy(), np.gradient(y, xs, axis=1, edge_order=edge_order),
                               rtol=1e-9, atol=1e-9)


def test_gradient_errors():
    with pytest.raises(RuntimeError, match="^torch.gradient only supports edge_order=1 and "
                                           "edge_order=2."):
        tensor.gradient(tensor.ones(3), edge_order=3)
    with pytest.raises(RuntimeError, match="^torch.gradient expected each dimension size to "
                                           "be at least edge_order\\+1"):
        tensor.gradient(tensor.ones(2), edge_order=2)


# -- the *_copy functions, range, fill -----------------------------------------------------
def test_copies_equal_the_views_and_do_not_share_memory():
    x = _t(np.arange(24.0).reshape(2, 3, 4))
    pairs = [(tensor.permute_copy(x, (2, 0, 1)), x.permute(2, 0, 1)),
             (tensor.transpose_copy(x, 0, 1), x.transpose(0, 1)),
             (tensor.select_copy(x, 2, 1), x.select(2, 1)),
             (tensor.unfold_copy(x, 2, 2, 2), x.unfold(2, 2, 2)),
             (tensor.narrow_copy(x, 1, 1, 2), x.narrow(1, 1, 2)),
             (tensor.expand_copy(x[:1], (3, 3, 4)), x[:1].expand(3, 3, 4))]
    for c, v in pairs:
        np.testing.assert_array_equal(c.numpy(), v.numpy())
        assert c.is_contiguous() and not c._is_view()
        c.add_(100)
    np.testing.assert_array_equal(x.numpy(), np.arange(24.0).reshape(2, 3, 4))
    parts = tensor.split_copy(x, 2, 2)
    assert isinstance(parts, tuple) and len(parts) == 2


def test_range_includes_the_end():
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        r = tensor.range(1, 2, 0.25)
    np.testing.assert_allclose(r.numpy(), [1.0, 1.25, 1.5, 1.75, 2.0])
    assert r.dtype == tensor.float32
    with pytest.raises(RuntimeError, match="^upper bound and lower bound inconsistent"), \
            pytest.warns(UserWarning):
        tensor.range(2, 1)


def test_fill():
    x = _t(np.ones((2, 2))).requires_grad_()
    y = tensor.fill(x, 3.0)
    np.testing.assert_array_equal(y.detach().numpy(), np.full((2, 2), 3.0))
    assert y.grad_fn.name() == "FillBackward0"
    v = _t(np.array(2.0)).requires_grad_()
    (g,) = tensor.autograd.grad(tensor.fill(x, v).sum(), v)
    assert float(g) == 4.0


def test_removed_functions_raise_with_pytorch_text():
    x = tensor.eye(2)
    for fn in (lambda: tensor.solve(x, x), lambda: x.symeig(), lambda: tensor.eig(x),
               lambda: x.lstsq(x), lambda: tensor.matrix_rank(x)):
        with pytest.raises(RuntimeError, match="^This function was deprecated since version "
                                               "1.9 and is now removed."):
            fn()


# -- LDL -----------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2 ** 31 - 1), st.integers(1, 6), st.booleans())
def test_ldl_solve_matches_numpy_for_symmetric_indefinite_matrices(seed, n, small_diag):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n))
    a = a + a.T
    if small_diag:
        a[np.diag_indices(n)] *= 0.01
    b = rng.standard_normal((n, 3))
    LD, piv, info = tensor.linalg.ldl_factor_ex(_t(a))
    assert int(info) == 0 and piv.dtype == tensor.int32
    np.testing.assert_array_equal(np.triu(LD.numpy(), 1), 0)
    p = piv.numpy()
    neg = p < 0                      # a 2x2 block: both of its pivots negative and equal
    for k in np.nonzero(neg)[0]:
        assert (k + 1 < n and p[k + 1] == p[k]) or (k > 0 and p[k - 1] == p[k])
    x = tensor.linalg.ldl_solve(LD, piv, _t(b)).numpy()
    np.testing.assert_allclose(a @ x, b, atol=1e-7 * max(1.0, np.abs(x).max()))
