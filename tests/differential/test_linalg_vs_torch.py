"""tensorkeys' linear algebra against PyTorch: values, dtypes, shapes, strides, grad_fn names,
gradients and error texts, on the same inputs.

Decompositions have sign ambiguity (LAPACK builds may choose differently), so SVD / eigh
outputs are compared through reconstructions and sign-invariant losses."""

import warnings

import numpy as np
import pytest

import tensor as tk

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.differential

_rng = np.random.default_rng(7)
A = _rng.standard_normal((3, 3)) + 3 * np.eye(3)
AB = _rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
B = _rng.standard_normal((3, 2))
B4 = _rng.standard_normal((4, 2))
V = _rng.standard_normal(3)
W = _rng.standard_normal(3)
R = _rng.standard_normal((4, 3))
WIDE = _rng.standard_normal((3, 4))
_a = _rng.standard_normal((3, 3))
S = _a @ _a.T + 3 * np.eye(3)
INF = float("inf")

CASES = {
    "det": lambda m, a: m.linalg.det(a(A)),
    "det_batch": lambda m, a: a(AB).det(),
    "slogdet": lambda m, a: m.slogdet(a(AB)),
    "linalg_slogdet": lambda m, a: m.linalg.slogdet(a(A)),
    "logdet": lambda m, a: m.logdet(a(S)),
    "inv": lambda m, a: m.linalg.inv(a(AB)),
    "inverse": lambda m, a: a(A).inverse(),
    "inv_ex": lambda m, a: m.linalg.inv_ex(a(A)),
    "solve": lambda m, a: m.linalg.solve(a(AB), a(B)),
    "solve_vector": lambda m, a: m.linalg.solve(a(AB), a(V)),
    "solve_right": lambda m, a: m.linalg.solve(a(A), a(B.T), left=False),
    "solve_ex": lambda m, a: m.linalg.solve_ex(a(A), a(B)),
    "cholesky": lambda m, a: m.linalg.cholesky(a(S)),
    "cholesky_upper": lambda m, a: m.linalg.cholesky(a(S), upper=True),
    "cholesky_ex": lambda m, a: m.linalg.cholesky_ex(a(S)),
    "cholesky_method": lambda m, a: a(S).cholesky(),
    "cholesky_solve": lambda m, a: m.cholesky_solve(a(B), m.linalg.cholesky(a(S))),
    "cholesky_solve_upper": lambda m, a: m.cholesky_solve(
        a(B), m.linalg.cholesky(a(S), upper=True), True),
    "cholesky_inverse": lambda m, a: m.cholesky_inverse(m.linalg.cholesky(a(S))),
    "qr": lambda m, a: m.linalg.qr(a(R)),
    "qr_wide": lambda m, a: m.linalg.qr(a(WIDE)),
    "qr_method": lambda m, a: a(R).qr(),
    "svdvals": lambda m, a: m.linalg.svdvals(a(R)),
    "eigvalsh": lambda m, a: m.linalg.eigvalsh(a(S)),
    "pinv": lambda m, a: m.linalg.pinv(a(R)),
    "pinv_hermitian": lambda m, a: m.linalg.pinv(a(S), hermitian=True),
    "pinverse": lambda m, a: a(WIDE).pinverse(),
    "matrix_power_0": lambda m, a: a(A).matrix_power(0),
    "matrix_power_1": lambda m, a: a(A).matrix_power(1),
    "matrix_power_3": lambda m, a: a(A).matrix_power(3),
    "matrix_power_5": lambda m, a: m.linalg.matrix_power(a(A), 5),
    "matrix_power_neg": lambda m, a: a(A).matrix_power(-2),
    "matrix_exp": lambda m, a: a(AB).matrix_exp(),
    "matrix_exp_large": lambda m, a: m.linalg.matrix_exp(a(A * 5)),
    "matrix_norm_fro": lambda m, a: m.linalg.matrix_norm(a(R)),
    "matrix_norm_nuc": lambda m, a: m.linalg.matrix_norm(a(R), "nuc"),
    "matrix_norm_inf": lambda m, a: m.linalg.matrix_norm(a(AB), INF),
    "matrix_norm_-1": lambda m, a: m.linalg.matrix_norm(a(AB), -1),
    "matrix_norm_2": lambda m, a: m.linalg.matrix_norm(a(AB), 2, keepdim=True),
    "matrix_norm_-2": lambda m, a: m.linalg.matrix_norm(a(AB), -2, dim=(0, 2)),
    "norm": lambda m, a: m.linalg.norm(a(R)),
    "norm_2": lambda m, a: m.linalg.norm(a(R), 2),
    "norm_vector": lambda m, a: m.linalg.norm(a(V), 3),
    "matrix_rank": lambda m, a: m.linalg.matrix_rank(a(R)),
    "lstsq": lambda m, a: m.linalg.lstsq(a(R), a(B4)),
    "solve_triangular": lambda m, a: m.linalg.solve_triangular(a(A).triu(), a(B), upper=True),
    "solve_triangular_right": lambda m, a: m.linalg.solve_triangular(
        a(A).tril(), a(B.T), upper=False, left=False),
    "triangular_solve": lambda m, a: m.triangular_solve(a(B), a(A)),
    "triangular_solve_t": lambda m, a: a(B).triangular_solve(a(A), False, True, True),
    "linalg_cross": lambda m, a: m.linalg.cross(a(V), a(W)),
    "cross": lambda m, a: m.cross(a(np.stack([V, W])), a(np.stack([W, V])), dim=1),
    "vdot": lambda m, a: m.vdot(a(V), a(W)),
    "addr": lambda m, a: m.addr(a(A), a(V), a(W), beta=2, alpha=0.5),
    "addbmm": lambda m, a: m.addbmm(a(A), a(AB), a(AB)),
    "baddbmm": lambda m, a: a(AB).baddbmm(a(AB), a(AB), alpha=2),
    "multi_dot": lambda m, a: m.linalg.multi_dot([a(V), a(A), a(B)]),
    "multi_dot_4": lambda m, a: m.linalg.multi_dot([a(R), a(A), a(B), a(B.T)]),
    "chain_matmul": lambda m, a: m.chain_matmul(a(A), a(A), a(B), a(B.T)),
    "cdist": lambda m, a: m.cdist(a(R), a(WIDE.T)),
    "cdist_1": lambda m, a: m.cdist(a(R), a(WIDE.T), p=1),
    "cdist_3": lambda m, a: m.cdist(a(R), a(WIDE.T), p=3),
    "cdist_inf": lambda m, a: m.cdist(a(R), a(WIDE.T), p=INF),
    "cdist_mm": lambda m, a: m.cdist(a(R), a(WIDE.T), compute_mode="use_mm_for_euclid_dist"),
    "dist": lambda m, a: m.dist(a(A), a(AB)),
    "dist_3": lambda m, a: m.dist(a(V), a(W), 3),
    "cumulative_trapezoid": lambda m, a: m.cumulative_trapezoid(a(R), dx=0.5, dim=0),
    "cov": lambda m, a: m.cov(a(R)),
    "cov_weights": lambda m, a: m.cov(a(R), correction=0, fweights=m.tensor([1, 2, 3]),
                                      aweights=a(np.array([0.5, 1.0, 2.0]))),
    "corrcoef": lambda m, a: m.corrcoef(a(R)),
    "diagflat": lambda m, a: m.diagflat(a(B), 1),
    "block_diag": lambda m, a: m.block_diag(a(A), a(V), m.tensor(2.0, dtype=m.float64)),
    "cartesian_prod": lambda m, a: m.cartesian_prod(a(V), a(W)),
    "rot90": lambda m, a: m.rot90(a(R)),
    "rot90_3": lambda m, a: a(R).rot90(3, [1, 0]),
    "vecdot": lambda m, a: m.linalg.vecdot(a(R), a(R)),
    "vecdot_1d": lambda m, a: m.linalg.vecdot(a(V), a(W)),
    "diagonal": lambda m, a: m.linalg.diagonal(a(AB), offset=1),
}


def _run(mod, fn):
    ins = []

    def arg(x):
        t = mod.tensor(np.asarray(x), requires_grad=True)
        ins.append(t)
        return t
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(mod, arg)
    return out, ins


def _outs(r):
    return list(r) if isinstance(r, tuple) else [r]


def _loss(mod, outs):
    total = None
    for o in outs:
        if o.requires_grad and o.numel():
            w = mod.tensor(np.cos(np.arange(o.numel())).reshape(tuple(o.shape)))
            term = (o * w).sum()
            total = term if total is None else total + term
    return total


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    rt, it = _run(torch, CASES[name])
    rk, ik = _run(tk, CASES[name])
    assert type(rt).__name__ == type(rk).__name__
    if isinstance(rt, tuple) and hasattr(rt, "_fields"):
        assert rt._fields == rk._fields
        assert type(rk).__module__ == "torch.return_types"
    for x, y in zip(_outs(rt), _outs(rk)):
        assert tuple(x.shape) == tuple(y.shape)
        assert str(x.dtype) == str(y.dtype)
        np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy(), rtol=1e-7,
                                   atol=1e-9)
        assert (type(x.grad_fn).__name__ if x.grad_fn else None) == \
            (type(y.grad_fn).__name__ if y.grad_fn else None)
        if x.numel():
            assert x.stride() == y.stride()
    lt, lk = _loss(torch, _outs(rt)), _loss(tk, _outs(rk))
    if lt is None:
        assert lk is None
        return
    gt = torch.autograd.grad(lt, it, allow_unused=True)
    gk = tk.autograd.grad(lk, ik, allow_unused=True)
    for x, y in zip(gt, gk):
        assert (x is None) == (y is None)
        if x is not None:
            np.testing.assert_allclose(y.numpy(), x.numpy(), rtol=1e-6, atol=1e-8)


# -- decompositions with sign freedom: reconstructions and invariant losses ----------------
def _svd_invariant(m, a, full):
    U, S_, Vh = m.linalg.svd(a, full_matrices=full)
    k = S_.shape[-1]
    rec = (U[..., :, :k] * S_.unsqueeze(-2)) @ Vh[..., :k, :]
    # |u_i|^2 and products u_i v_i^T do not depend on the signs
    inv = (U[..., :, :k] ** 2).sum() + (U[..., :, :k] ** 3 * 0).sum() + \
        ((U[..., :, :k].unsqueeze(-1) * Vh[..., :k, :].unsqueeze(-3)) ** 2).sum()
    return rec, S_, inv + (U[..., :, :k].abs() * 0.3).sum()


@pytest.mark.parametrize("shape,full", [((4, 3), False), ((3, 4), False), ((3, 3), True),
                                        ((2, 3, 2), False)])
def test_svd_reconstruction_and_grads(shape, full):
    x = _rng.standard_normal(shape)
    res = []
    for m in (torch, tk):
        a = m.tensor(x, requires_grad=True)
        rec, s, inv = _svd_invariant(m, a, full)
        g, = m.autograd.grad(rec.sum() + (s * 2).sum() + inv, a)
        res.append((rec.detach().numpy(), s.detach().numpy(), g.numpy(),
                    type(s.grad_fn).__name__))
    for x_, y_ in zip(res[0][:3], res[1][:3]):
        np.testing.assert_allclose(y_, x_, rtol=1e-7, atol=1e-9)
    assert res[0][3] == res[1][3] == "LinalgSvdBackward0"


def test_tensor_svd_returns_v():
    x = _rng.standard_normal((4, 3))
    U, S_, Vt = torch.svd(torch.tensor(x))
    u, s, v = tk.tensor(x).svd()
    np.testing.assert_allclose(((u * s) @ v.mT).numpy(), ((U * S_) @ Vt.mT).numpy(), atol=1e-12)
    assert type(tk.svd(tk.tensor(x))).__name__ == "svd"
    assert v.stride() == Vt.stride()


def test_eigh_reconstruction_and_grads():
    res = []
    for m in (torch, tk):
        a = m.tensor(S, requires_grad=True)
        w, v = m.linalg.eigh(a)
        rec = (v * w.unsqueeze(-2)) @ v.mT
        g, = m.autograd.grad((rec * m.tensor(A)).sum() + (w ** 2).sum()
                             + ((v ** 2) * m.tensor(B @ B.T)).sum(), a)
        res.append((w.detach().numpy(), rec.detach().numpy(), g.numpy(),
                    type(v.grad_fn).__name__))
    for x_, y_ in zip(res[0][:3], res[1][:3]):
        np.testing.assert_allclose(y_, x_, rtol=1e-7, atol=1e-9)
    assert res[0][3] == res[1][3]


# -- errors ------------------------------------------------------------------------------
_I = np.ones((3, 3), np.int64)
_Z = np.zeros((3, 3), np.float32)
_ZB = np.stack([np.eye(3, dtype=np.float32), _Z])
_R32 = np.ones((2, 3), np.float32)
_F = np.float32
ERRORS = {
    "det_int": lambda m: m.linalg.det(m.tensor(_I)),
    "det_rect": lambda m: m.tensor(_R32).det(),
    "det_1d": lambda m: m.linalg.det(m.ones(3)),
    "logdet_rect": lambda m: m.logdet(m.tensor(_R32)),
    "inv_singular": lambda m: m.linalg.inv(m.tensor(_Z)),
    "inv_singular_batch": lambda m: m.linalg.inv(m.tensor(_ZB)),
    "inverse_rect": lambda m: m.inverse(m.tensor(_R32)),
    "solve_singular": lambda m: m.linalg.solve(m.tensor(_Z), m.ones(3)),
    "solve_singular_batch": lambda m: m.linalg.solve(m.tensor(_ZB), m.ones(2, 3)),
    "solve_shapes": lambda m: m.linalg.solve(m.eye(3), m.ones(2, 4)),
    "solve_dtype": lambda m: m.linalg.solve(m.eye(3), m.ones(3, dtype=m.float64)),
    "solve_vector_right": lambda m: m.linalg.solve(m.eye(3), m.ones(3), left=False),
    "cholesky_not_pd": lambda m: m.linalg.cholesky(-m.eye(3)),
    "cholesky_not_pd_batch": lambda m: m.linalg.cholesky(m.stack([m.eye(3), -m.eye(3)])),
    "cholesky_method_not_pd": lambda m: (-m.eye(3)).cholesky(),
    "cholesky_solve_sizes": lambda m: m.cholesky_solve(m.ones(2, 2), m.eye(3)),
    "qr_mode": lambda m: m.linalg.qr(m.tensor(_R32), mode="foo"),
    "qr_1d": lambda m: m.linalg.qr(m.ones(3)),
    "svd_int": lambda m: m.linalg.svd(m.tensor(_I)),
    "tensor_svd_1d": lambda m: m.ones(3).svd(),
    "eigh_uplo": lambda m: m.linalg.eigh(m.eye(3), UPLO="X"),
    "eigh_int": lambda m: m.linalg.eigh(m.tensor(_I)),
    "pinv_1d": lambda m: m.linalg.pinv(m.ones(3)),
    "matrix_power_rect": lambda m: m.tensor(_R32).matrix_power(2),
    "matrix_power_singular": lambda m: m.tensor(_Z).matrix_power(-1),
    "matrix_exp_int": lambda m: m.tensor(_I).matrix_exp(),
    "matrix_norm_ord": lambda m: m.linalg.matrix_norm(m.tensor(_R32), 3),
    "matrix_norm_dims": lambda m: m.linalg.matrix_norm(m.tensor(_R32), dim=(0, 0)),
    "norm_3d_ord": lambda m: m.linalg.norm(m.ones(2, 2, 2), 2),
    "matrix_rank_int": lambda m: m.linalg.matrix_rank(m.tensor(_I)),
    "lstsq_rows": lambda m: m.linalg.lstsq(m.ones(3, 2), m.ones(2, 2)),
    "solve_triangular_no_upper": lambda m: m.linalg.solve_triangular(m.eye(3), m.ones(3, 2)),
    "solve_triangular_shapes": lambda m: m.linalg.solve_triangular(m.eye(3), m.ones(2, 2),
                                                                   upper=True),
    "triangular_solve_sizes": lambda m: m.triangular_solve(m.ones(2, 2), m.eye(3)),
    "cross_len": lambda m: m.linalg.cross(m.ones(2), m.ones(2)),
    "cross_dtype": lambda m: m.linalg.cross(m.ones(3), m.ones(3, dtype=m.float64)),
    "vdot_2d": lambda m: m.vdot(m.ones(2, 3), m.ones(2, 3)),
    "addr_2d": lambda m: m.addr(m.zeros(3, 3), m.zeros(3, 3), m.ones(3)),
    "addbmm_batches": lambda m: m.addbmm(m.zeros(3, 3), m.ones(2, 3, 3), m.ones(3, 3, 3)),
    "baddbmm_shapes": lambda m: m.baddbmm(m.zeros(3, 3), m.ones(2, 3, 3), m.ones(2, 2, 3)),
    "multi_dot_one": lambda m: m.linalg.multi_dot([m.eye(3)]),
    "multi_dot_shapes": lambda m: m.linalg.multi_dot([m.eye(3), m.ones(2, 3)]),
    "cdist_1d": lambda m: m.cdist(m.ones(3), m.ones(3)),
    "cdist_p": lambda m: m.cdist(m.ones(2, 3), m.ones(2, 3), p=-1),
    "dist_int": lambda m: m.dist(m.tensor(_I), m.tensor(_I)),
    "trapezoid_x": lambda m: m.trapezoid(m.ones(3), m.ones(2)),
    "cov_3d": lambda m: m.cov(m.ones(2, 2, 2)),
    "cov_fweights": lambda m: m.cov(m.tensor(_R32), fweights=m.ones(3)),
    "block_diag_3d": lambda m: m.block_diag(m.ones(2, 2, 2)),
    "cartesian_2d": lambda m: m.cartesian_prod(m.tensor(_R32), m.tensor(_R32)),
    "rot90_dims": lambda m: m.rot90(m.tensor(_R32), 1, [0]),
    "rot90_same": lambda m: m.rot90(m.tensor(_R32), 1, [0, 0]),
    "vander_2d": lambda m: m.vander(m.tensor(_R32)),
    "vecdot_dtype": lambda m: m.linalg.vecdot(m.ones(3), m.ones(3, dtype=m.float64)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as et:
            ERRORS[name](torch)
        with pytest.raises(Exception) as ek:
            ERRORS[name](tk)
    assert type(ek.value).__name__ == type(et.value).__name__
    assert isinstance(ek.value, RuntimeError) == isinstance(et.value, RuntimeError)
    assert str(ek.value).startswith(str(et.value).split("\n")[0].split(" Hint:")[0])


def test_linalg_error_class():
    assert issubclass(tk.linalg.LinAlgError, RuntimeError)
    with pytest.raises(tk.linalg.LinAlgError):
        tk.linalg.inv(tk.zeros(2, 2))


def test_inv_ex_info_matches_torch():
    z = np.stack([np.eye(3), np.diag([1.0, 0.0, 2.0]), np.zeros((3, 3))])
    it = torch.linalg.inv_ex(torch.tensor(z)).info
    ik = tk.linalg.inv_ex(tk.tensor(z)).info
    assert ik.tolist() == it.tolist() and str(ik.dtype) == str(it.dtype)
    ct = torch.linalg.cholesky_ex(-torch.tensor(z)).info
    ck = tk.linalg.cholesky_ex(-tk.tensor(z)).info
    assert ck.tolist() == ct.tolist()


def test_float32_values_close():
    x = (A + 1).astype(np.float32)
    for f in (lambda m, t: m.linalg.inv(t), lambda m, t: m.linalg.det(t),
              lambda m, t: m.linalg.matrix_exp(t), lambda m, t: m.linalg.svdvals(t)):
        rt, rk = f(torch, torch.tensor(x)), f(tk, tk.tensor(x))
        assert str(rk.dtype) == str(rt.dtype) == "torch.float32"
        np.testing.assert_allclose(rk.numpy(), rt.numpy(), rtol=2e-5, atol=1e-5)


def test_baddbmm_addr_integer_and_bool():
    i = np.arange(6).reshape(1, 2, 3)
    for f in (lambda m: m.baddbmm(m.tensor(i[0, :, :2]), m.tensor(i), m.tensor(i.swapaxes(1, 2))),
              lambda m: m.addr(m.ones(2, 3, dtype=m.int64), m.tensor([1, 2]), m.tensor([3, 4, 5]),
                               beta=2, alpha=3),
              lambda m: m.addr(m.zeros(2, 2, dtype=m.bool), m.tensor([True, False]),
                               m.tensor([True, True]))):
        rt, rk = f(torch), f(tk)
        assert rk.tolist() == rt.tolist() and str(rk.dtype) == str(rt.dtype)
