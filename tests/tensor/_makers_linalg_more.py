"""Input makers for the ops of ``opdefs/linalg_more.py`` (loaded by
``test_gradcheck_registry.py``). LU inputs are diagonally dominant matrices with their rows
shuffled, so partial pivoting makes the same choices under a finite-difference step (the
factorisation is only piecewise smooth) and every pivot is far from zero."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


XFAIL = {
    ("aten::detach_copy", "grad"): "PyTorch gives detach_copy no derivative: its backward "
                                   "raises 'derivative for aten::detach_copy is not "
                                   "implemented', and so does ours",
    ("aten::detach_copy", "gradgrad"): "as for grad: detach_copy has no derivative",
}
for _n in ("aten::linalg_ldl_factor_ex", "aten::linalg_ldl_solve"):
    for _check in ("grad", "gradgrad"):
        XFAIL[(_n, _check)] = ("PyTorch gives the LDL factorisation and solve no derivative "
                               "(grad_fn NotImplemented, whose backward raises); ours match")

# each *_copy op takes the arguments of its view op: the view op's maker serves it
_COPY_OF_VIEW = {
    "view_copy": "view", "expand_copy": "expand", "permute_copy": "permute",
    "select_copy.int": "select.int", "slice_copy.Tensor": "slice.Tensor",
    "split_copy.Tensor": "split.Tensor", "split_with_sizes_copy": "split_with_sizes",
    "squeeze_copy": "squeeze", "squeeze_copy.dim": "squeeze.dim",
    "squeeze_copy.dims": "squeeze.dims", "unsqueeze_copy": "unsqueeze", "t_copy": "t",
    "transpose_copy.int": "transpose.int", "unbind_copy.int": "unbind.int",
    "unfold_copy": "unfold", "alias_copy": "alias", "as_strided_copy": "as_strided",
    "fill.Scalar": "fill_.Scalar", "fill.Tensor": "fill_.Tensor",
}


def makers(ns):
    Case, values, Const = ns.Case, ns.values, ns.Const

    def mat(draw, shape):
        return np.array(values(draw, shape, -1.0, 1.0))

    def batch_of(draw):
        return draw(st.sampled_from([(), (), (2,)]))

    def size(draw, lo=1):
        return draw(st.integers(lo, 3))

    def pivoted(draw, m, n, batch=()):
        """An m x n matrix whose pivots are clear: a dominant diagonal, rows shuffled."""
        a = mat(draw, batch + (m, n))
        k = min(m, n)
        a[..., range(k), range(k)] += 4.0 * max(m, n)
        perm = draw(st.permutations(list(range(m))))
        return np.ascontiguousarray(a[..., perm, :])

    def lu_data(draw, n, batch=()):
        """Packed LU data (U's diagonal away from zero) and valid pivots."""
        lu = mat(draw, batch + (n, n))
        lu[..., range(n), range(n)] += np.where(lu[..., range(n), range(n)] < 0, -2.0, 2.0)
        piv = [draw(st.integers(i + 1, n)) for i in range(n)]
        pivots = np.broadcast_to(np.array(piv, np.int32), batch + (n,)).copy()
        return lu, Const(pivots)

    def m_lu_factor_ex(draw, inplace):
        return Case(pivoted(draw, size(draw), size(draw), batch_of(draw)), check_errors=False)

    def m_lu_factor(draw, inplace):
        n = size(draw)
        return Case(pivoted(draw, n, n, batch_of(draw)))

    def m_lu(draw, inplace):
        return Case(pivoted(draw, size(draw), size(draw), batch_of(draw)))

    def m_lu_with_info(draw, inplace):
        n = size(draw)
        return Case(pivoted(draw, n, n, batch_of(draw)), True, False)

    def m_lu_unpack(draw, inplace):
        m, n, batch = size(draw), size(draw), batch_of(draw)
        k = min(m, n)
        piv = np.array([draw(st.integers(i + 1, m)) for i in range(k)], np.int32)
        # (unpack_data=False leaves L and U empty, and their backward fails, as PyTorch's)
        return Case(mat(draw, batch + (m, n)), Const(np.broadcast_to(piv, batch + (k,)).copy()),
                    True, draw(st.booleans()))

    def m_lu_solve_linalg(draw, inplace):
        n, batch = size(draw), batch_of(draw)
        lu, piv = lu_data(draw, n, batch)
        left = draw(st.booleans())
        k = size(draw)
        b = mat(draw, (n, k) if left else (k, n))
        return Case(lu, piv, b, left=left, adjoint=draw(st.booleans()))

    def m_lu_solve_old(draw, inplace):
        n, batch = size(draw), batch_of(draw)
        lu, piv = lu_data(draw, n, batch)
        return Case(mat(draw, batch + (n, size(draw))), lu, piv)

    def m_narrow_copy(draw, inplace):
        shape = ns.shapes(draw, min_dims=1)
        d = draw(st.integers(0, len(shape) - 1))
        start = draw(st.integers(0, shape[d]))
        return Case(values(draw, shape), d, start, draw(st.integers(0, shape[d] - start)))

    def m_householder(draw, inplace):
        n, batch = size(draw), batch_of(draw)
        m = n + draw(st.integers(0, 2))
        k = draw(st.integers(1, n))
        return Case(mat(draw, batch + (m, n)), mat(draw, batch + (k,)))

    def m_ldl_factor(draw, inplace):
        n, batch = size(draw), batch_of(draw)
        a = mat(draw, batch + (n, n))
        return Case(a + a.swapaxes(-1, -2) + 4 * n * np.eye(n), hermitian=False,
                    check_errors=False)

    def m_ldl_solve(draw, inplace):
        n = size(draw)
        ld = np.tril(mat(draw, (n, n)), -1) + 3 * np.eye(n)
        return Case(ld, Const(np.arange(1, n + 1, dtype=np.int32)), mat(draw, (n, size(draw))))

    out = {f"aten::{c}": ns.MAKERS[f"aten::{v}"] for c, v in _COPY_OF_VIEW.items()}
    out["aten::detach_copy"] = ns.unary()
    out["aten::narrow_copy"] = m_narrow_copy
    out["aten::linalg_householder_product"] = m_householder
    out["aten::orgqr"] = m_householder
    out["aten::linalg_ldl_factor_ex"] = m_ldl_factor
    out["aten::linalg_ldl_solve"] = m_ldl_solve
    return {
        **out,
        "aten::linalg_lu_factor_ex": m_lu_factor_ex,
        "aten::linalg_lu_factor": m_lu_factor,
        "aten::linalg_lu": m_lu,
        "aten::_lu_with_info": m_lu_with_info,
        "aten::lu_unpack": m_lu_unpack,
        "aten::linalg_lu_solve": m_lu_solve_linalg,
        "aten::lu_solve": m_lu_solve_old,
    }
