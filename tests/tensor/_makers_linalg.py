"""Input makers for the linear-algebra ops of ``opdefs/linalg_extra.py`` (loaded by
``test_gradcheck_registry.py``). Matrices are kept well conditioned: diagonally dominant for
solves and inverses, ``A A^T + n I`` for Cholesky, and singular values / eigenvalues built to
be distinct and away from zero for the decompositions."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

_SYM = ("the gradient is PyTorch's symmetrised one (the input is read through one triangle), "
        "so finite differences of a single entry disagree; checked with a symmetrising "
        "wrapper in test_linalg_extra.py")
XFAIL = {}
for _n in ("aten::linalg_cholesky_ex", "aten::linalg_cholesky", "aten::cholesky",
           "aten::_linalg_eigh", "aten::linalg_eigh", "aten::linalg_eigvalsh",
           "aten::cholesky_inverse"):
    XFAIL[(_n, "grad")] = _SYM
    XFAIL[(_n, "gradgrad")] = _SYM


def _offsets(shape):
    n = int(np.prod(shape)) if shape else 1
    return (0.05 + 0.37 * np.arange(n)).reshape(shape)


def makers(ns):
    Case, values, Const = ns.Case, ns.values, ns.Const

    def mat(draw, shape):
        return np.array(values(draw, shape, -1.0, 1.0))

    def batch_of(draw):
        return draw(st.sampled_from([(), (), (2,)]))

    def well(draw, n, batch=()):
        # strictly diagonally dominant (entries are in [-1, 1]): never singular, not even
        # for n = 1 with a drawn -1
        return mat(draw, batch + (n, n)) + (n + 0.5) * np.eye(n)

    def spd(draw, n, batch=()):
        a = mat(draw, batch + (n, n))
        return a @ a.swapaxes(-1, -2) + n * np.eye(n)

    def orth(draw, n, batch):
        # a generic rotation even when the draw is all zeros: an axis-aligned factor puts the
        # decompositions where LAPACK's choice of signs (a gauge, not a value) jumps under a
        # finite-difference step, and the numerical derivative there is meaningless
        return np.linalg.qr(mat(draw, batch + (n, n)) + 2 * np.eye(n)
                            + 0.3 * _offsets((n, n)))[0]

    def distinct_sv(draw, m, n, batch=()):
        k = min(m, n)
        s = 1.0 + 0.7 * np.arange(k)[::-1] + mat(draw, (k,)) * 0.1
        S = np.zeros(batch + (m, n))
        S[..., range(k), range(k)] = s
        return orth(draw, m, batch) @ S @ orth(draw, n, batch)

    def sym_distinct(draw, n, batch=()):
        q = orth(draw, n, batch)
        w = 0.8 * np.arange(n) - 1.0 + mat(draw, (n,)) * 0.1
        return (q * w) @ q.swapaxes(-1, -2)

    def size(draw, lo=1):
        return draw(st.integers(lo, 3))

    # -- determinants and inverses ---------------------------------------------------------
    def m_square(draw, inplace):
        return Case(well(draw, size(draw), batch_of(draw)))

    def m_spd(draw, inplace):
        return Case(spd(draw, size(draw), batch_of(draw)))

    def m_inv_ex(draw, inplace):
        return Case(well(draw, size(draw), batch_of(draw)), check_errors=False)

    def m_solve(ex):
        def make(draw, inplace):
            n, batch = size(draw), batch_of(draw)
            left = draw(st.booleans())
            kind = draw(st.sampled_from(["matrix", "vector"])) if left else "matrix"
            k = size(draw)
            if not left and tuple(batch) == (k,):
                k += 1      # (k, n) would read as a batch of vectors, which left=False refuses
            b = mat(draw, (n,) if kind == "vector" else ((n, k) if left else (k, n)))
            kw = {"left": left}
            if ex:
                kw["check_errors"] = False
            return Case(well(draw, n, batch), b, **kw)
        return make

    def m_solve_triangular(draw, inplace):
        n, batch = size(draw), batch_of(draw)
        left = draw(st.booleans())
        k = size(draw)
        b = mat(draw, (n, k) if left else (k, n))
        return Case(well(draw, n, batch), b, upper=draw(st.booleans()), left=left,
                    unitriangular=draw(st.booleans()))

    def m_triangular_solve(draw, inplace):
        n, batch = size(draw), batch_of(draw)
        return Case(mat(draw, (n, size(draw))), well(draw, n, batch), draw(st.booleans()),
                    draw(st.booleans()), draw(st.booleans()))

    # -- Cholesky --------------------------------------------------------------------------
    def m_cholesky_ex(draw, inplace):
        return Case(spd(draw, size(draw, 2), batch_of(draw)), upper=draw(st.booleans()),
                    check_errors=False)

    def m_linalg_cholesky(draw, inplace):
        return Case(spd(draw, size(draw, 2), batch_of(draw)), upper=draw(st.booleans()))

    def m_cholesky(draw, inplace):
        return Case(spd(draw, size(draw, 2), batch_of(draw)), draw(st.booleans()))

    def chol_factor(draw, n, batch, upper):
        L = np.linalg.cholesky(spd(draw, n, batch))
        return L.swapaxes(-1, -2).copy() if upper else L

    def m_cholesky_solve(draw, inplace):
        n, batch, upper = size(draw), batch_of(draw), draw(st.booleans())
        return Case(mat(draw, (n, size(draw))), Const(chol_factor(draw, n, batch, upper)),
                    upper)

    def m_cholesky_inverse(draw, inplace):
        upper = draw(st.booleans())
        return Case(chol_factor(draw, size(draw, 2), batch_of(draw), upper), upper)

    # -- QR, SVD, eigh, pinv -------------------------------------------------------------
    def shape_mn(draw):
        return size(draw), size(draw)

    def m_linalg_qr(draw, inplace):
        m, n = shape_mn(draw)
        modes = ["reduced"] + (["complete"] if m <= n else [])
        return Case(distinct_sv(draw, m, n, batch_of(draw)), draw(st.sampled_from(modes)))

    def m_qr(draw, inplace):
        m, n = shape_mn(draw)
        return Case(distinct_sv(draw, m, n, batch_of(draw)), True)

    def m_svd_prim(draw, inplace):
        m, n = shape_mn(draw)
        full = m == n and draw(st.booleans())
        return Case(distinct_sv(draw, m, n, batch_of(draw)), full, True)

    def m_linalg_svd(draw, inplace):
        m, n = shape_mn(draw)
        return Case(distinct_sv(draw, m, n, batch_of(draw)), m == n and draw(st.booleans()))

    def m_svdvals(draw, inplace):
        m, n = shape_mn(draw)
        return Case(distinct_sv(draw, m, n, batch_of(draw)))

    def m_svd_old(draw, inplace):
        m, n = shape_mn(draw)
        return Case(distinct_sv(draw, m, n, batch_of(draw)), True, True)

    def m_eigh_prim(draw, inplace):
        return Case(sym_distinct(draw, size(draw, 2), batch_of(draw)),
                    draw(st.sampled_from(["L", "U"])), True)

    def m_eigh(draw, inplace):
        return Case(sym_distinct(draw, size(draw, 2), batch_of(draw)),
                    draw(st.sampled_from(["L", "U"])))

    def m_pinv(draw, inplace):
        m, n = shape_mn(draw)
        return Case(distinct_sv(draw, m, n, batch_of(draw)))

    def m_lstsq(draw, inplace):
        n = size(draw)
        m = n + draw(st.integers(0, 2))
        b = mat(draw, (m,) if draw(st.booleans()) else (m, size(draw)))
        return Case(distinct_sv(draw, m, n), b)

    # -- powers, exponential, norms ----------------------------------------------------------
    def m_matrix_power(draw, inplace):
        n, batch = size(draw), batch_of(draw)
        a = well(draw, n, batch) / n
        return Case(a, draw(st.integers(-2, 5)))

    def m_matrix_exp(draw, inplace):
        return Case(mat(draw, batch_of(draw) + (size(draw),) * 2))

    def m_matrix_norm(draw, inplace):
        ord_ = draw(st.sampled_from([1, -1, 2, -2, math.inf, -math.inf]))
        m, n = shape_mn(draw)
        if abs(ord_) == 2:
            a = distinct_sv(draw, m, n, batch_of(draw))
        else:
            a = values(draw, batch_of(draw) + (m, n), -2.0, 2.0, ns.away_from(0.0, margin=0.1))
        return Case(a, ord_, [-2, -1], draw(st.booleans()), dtype=None)

    def m_matrix_norm_str(draw, inplace):
        m, n = shape_mn(draw)
        return Case(distinct_sv(draw, m, n, batch_of(draw)), draw(st.sampled_from(["fro", "nuc"])),
                    [-2, -1], draw(st.booleans()), dtype=None)

    # -- products --------------------------------------------------------------------------
    def m_multi_dot(vectors):
        def make(draw, inplace):
            k = draw(st.integers(2, 4))
            dims = [size(draw) for _ in range(k + 1)]
            ms = [mat(draw, (dims[i], dims[i + 1])) for i in range(k)]
            if vectors and draw(st.booleans()):
                ms[0] = ms[0][0]
            if vectors and draw(st.booleans()):
                ms[-1] = ms[-1][:, 0]
            return Case(ms)
        return make

    def m_cross(draw, inplace):
        shape = list(ns.shapes(draw, min_dims=1, max_dims=3))
        d = draw(st.integers(0, len(shape) - 1))
        shape[d] = 3
        return Case(mat(draw, tuple(shape)), mat(draw, tuple(shape)), dim=d - len(shape))

    def m_cross_old(draw, inplace):
        shape = list(ns.shapes(draw, min_dims=1, max_dims=3))
        d = draw(st.integers(0, len(shape) - 1))
        shape[d] = 3
        return Case(mat(draw, tuple(shape)), mat(draw, tuple(shape)), d)

    def m_vdot(draw, inplace):
        n = size(draw)
        return Case(mat(draw, (n,)), mat(draw, (n,)))

    def m_addr(draw, inplace):
        n, m = shape_mn(draw)
        c = draw(st.sampled_from([(n, m), (m,), ()]))
        return Case(mat(draw, c), mat(draw, (n,)), mat(draw, (m,)),
                    beta=draw(st.sampled_from([1, 0.5, 0])), alpha=draw(st.sampled_from([1, -2])))

    def m_baddbmm(summed):
        def make(draw, inplace):
            b, n, k, p = (size(draw) for _ in range(4))
            c = (n, p) if summed else draw(st.sampled_from([(b, n, p), (n, p), (p,)]))
            return Case(mat(draw, c), mat(draw, (b, n, k)), mat(draw, (b, k, p)),
                        beta=draw(st.sampled_from([1, 0.5, 0])),
                        alpha=draw(st.sampled_from([1, -2])))
        return make

    # -- distances, statistics, builders -------------------------------------------------------
    def m_cdist(draw, inplace):
        r1, r2, c = size(draw), size(draw), size(draw)
        batch = batch_of(draw)
        p = draw(st.sampled_from([1.0, 2.0, 3.0, 1.5, math.inf]))
        # distinct offsets: no two |differences| tie (the inf-norm picks one of them)
        return Case(mat(draw, batch + (r1, c)), mat(draw, batch + (r2, c)) + _offsets((c,)),
                    p, None)

    def m_dist(draw, inplace):
        s, o = ns.broadcast_pair(draw, False)
        p = draw(st.sampled_from([1, 2, 3, 1.5, math.inf]))
        return Case(mat(draw, s), values(draw, o, -1.0, 1.0) + _offsets(o), p)

    def m_cov(draw, inplace):
        nv, no = size(draw), draw(st.integers(3, 5))
        x = mat(draw, (nv, no) if draw(st.booleans()) else (no,))
        fw = Const(np.array(draw(st.lists(st.integers(1, 3), min_size=no, max_size=no))))
        aw = values(draw, (no,), 0.5, 2.0)
        return Case(x, correction=draw(st.sampled_from([0, 1])),
                    fweights=draw(st.sampled_from([None, fw])),
                    aweights=draw(st.sampled_from([None, aw])))

    def m_corrcoef(draw, inplace):
        # distinct values: every variable has a nonzero variance
        return Case(ns.distinct(draw, (size(draw, 2), draw(st.integers(3, 5))), gap=0.3))

    def m_diagflat(draw, inplace):
        return Case(mat(draw, ns.shapes(draw)), draw(st.integers(-2, 2)))

    def m_block_diag(draw, inplace):
        k = draw(st.integers(1, 3))
        return Case([mat(draw, ns.shapes(draw, max_dims=2)) for _ in range(k)])

    def m_cartesian_prod(draw, inplace):
        k = draw(st.integers(1, 3))
        return Case([mat(draw, (size(draw),)) for _ in range(k)])

    def m_rot90(draw, inplace):
        shape = ns.shapes(draw, min_dims=2)
        nd = len(shape)
        d0, d1 = draw(st.lists(st.integers(0, nd - 1), min_size=2, max_size=2, unique=True))
        return Case(mat(draw, shape), draw(st.integers(-5, 5)), [d0, d1 - nd])

    return {
        "aten::linalg_det": m_square, "aten::det": m_square, "aten::logdet": m_spd,
        "aten::linalg_slogdet": m_square, "aten::slogdet": m_square,
        "aten::linalg_inv_ex": m_inv_ex, "aten::linalg_inv": m_square, "aten::inverse": m_square,
        "aten::linalg_solve_ex": m_solve(True), "aten::linalg_solve": m_solve(False),
        "aten::linalg_solve_triangular": m_solve_triangular,
        "aten::triangular_solve": m_triangular_solve,
        "aten::linalg_cholesky_ex": m_cholesky_ex, "aten::linalg_cholesky": m_linalg_cholesky,
        "aten::cholesky": m_cholesky, "aten::cholesky_solve": m_cholesky_solve,
        "aten::cholesky_inverse": m_cholesky_inverse,
        "aten::linalg_qr": m_linalg_qr, "aten::qr": m_qr,
        "aten::_linalg_svd": m_svd_prim, "aten::linalg_svd": m_linalg_svd,
        "aten::linalg_svdvals": m_svdvals, "aten::svd": m_svd_old,
        "aten::_linalg_eigh": m_eigh_prim, "aten::linalg_eigh": m_eigh,
        "aten::linalg_eigvalsh": m_eigh,
        "aten::linalg_pinv.atol_rtol_float": m_pinv, "aten::pinverse": m_pinv,
        "aten::linalg_lstsq": m_lstsq,
        "aten::linalg_matrix_power": m_matrix_power, "aten::matrix_power": m_matrix_power,
        "aten::linalg_matrix_exp": m_matrix_exp, "aten::matrix_exp": m_matrix_exp,
        "aten::linalg_matrix_norm": m_matrix_norm,
        "aten::linalg_matrix_norm.str_ord": m_matrix_norm_str,
        "aten::linalg_multi_dot": m_multi_dot(True), "aten::chain_matmul": m_multi_dot(False),
        "aten::linalg_cross": m_cross, "aten::cross": m_cross_old, "aten::vdot": m_vdot,
        "aten::addr": m_addr, "aten::baddbmm": m_baddbmm(False), "aten::addbmm": m_baddbmm(True),
        "aten::_cdist_forward": m_cdist, "aten::dist": m_dist,
        "aten::cov": m_cov, "aten::corrcoef": m_corrcoef, "aten::diagflat": m_diagflat,
        "aten::block_diag": m_block_diag, "aten::cartesian_prod": m_cartesian_prod,
        "aten::rot90": m_rot90,
    }
