"""``torch.linalg``: norms, determinants, inverses and solvers, decompositions (Cholesky, QR,
SVD, symmetric eigen), pseudo-inverse, matrix functions and products. The ops themselves are
declared in ``opdefs/linalg_extra.py`` (and ``vector_norm`` in ``opdefs/reduction.py``)."""

from __future__ import annotations

import numpy as np

from .opdefs import linalg_extra as _x
from .opdefs.reduction import vector_norm as _vector_norm

__all__ = ["vector_norm", "matrix_norm", "norm", "det", "slogdet", "inv", "inv_ex", "solve",
           "solve_ex", "cholesky", "cholesky_ex", "qr", "svd", "svdvals", "eigh", "eigvalsh",
           "pinv", "matrix_power", "matrix_exp", "matrix_rank", "lstsq", "solve_triangular",
           "cross", "multi_dot", "vecdot", "diagonal", "LinAlgError"]

LinAlgError = _x._LinAlgError


def _no_out(name, out):
    if out is not None:
        raise TypeError(f"linalg.{name}(): out= is not supported by tensorkeys; assign the "
                        "result instead")


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """``torch.linalg.vector_norm``: the ``ord``-norm of ``x`` over ``dim`` (all dims when
    None), as one op (``LinalgVectorNormBackward0``)."""
    _no_out("vector_norm", out)
    if isinstance(dim, (int, np.integer)):
        dim = (int(dim),)
    elif dim is not None:
        dim = tuple(dim)
    return _vector_norm(x, ord, dim, keepdim, dtype=dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """``torch.linalg.matrix_norm``: 'fro', 'nuc', or the induced 1 / inf / 2 norms (and
    their negative 'minimum' versions) over the two dims ``dim``."""
    _no_out("matrix_norm", out)
    if isinstance(ord, str):
        return _x.linalg_matrix_norm_str(A, ord, list(dim), keepdim, dtype=dtype)
    return _x.linalg_matrix_norm(A, ord, list(dim), keepdim, dtype=dtype)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """``torch.linalg.norm``: a matrix norm when ``ord`` is given and the norm is over two
    dims (or ``A`` is 2-D), a vector norm otherwise (the 2-norm when ``ord`` is None)."""
    _no_out("norm", out)
    if isinstance(dim, (int, np.integer)):
        dim = (int(dim),)
    if dim is not None:
        dim = tuple(dim)
        if len(dim) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. "
                               f"Got {list(dim)}")
    elif ord is not None and A.dim() not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be "
                           f"1D or 2D. Got {A.dim()}D.")
    if isinstance(ord, str):
        return matrix_norm(A, ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    if ord is not None and ((dim is not None and len(dim) == 2)
                            or (dim is None and A.dim() == 2)):
        return matrix_norm(A, ord, (0, 1) if dim is None else dim, keepdim, dtype=dtype)
    return _vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def det(A, *, out=None):
    """``torch.linalg.det`` (``LinalgDetBackward0``)."""
    _no_out("det", out)
    return _x.linalg_det(A)


def slogdet(A, *, out=None):
    """``torch.linalg.slogdet``: (sign, log|det|) as ``torch.return_types.linalg_slogdet``."""
    _no_out("slogdet", out)
    return _x._lslogdet_t(*_x.linalg_slogdet(A))


def inv(A, *, out=None):
    """``torch.linalg.inv``; a singular matrix raises :class:`LinAlgError`."""
    _no_out("inv", out)
    return _x.linalg_inv(A)


def inv_ex(A, *, check_errors=False, out=None):
    """``torch.linalg.inv_ex``: (inverse, info) — info is LAPACK's, nonzero when singular."""
    _no_out("inv_ex", out)
    return _x._inv_ex_t(*_x.linalg_inv_ex(A, check_errors=check_errors))


def solve(A, B, *, left=True, out=None):
    """``torch.linalg.solve``: X with AX = B (``left``) or XA = B; batches broadcast."""
    _no_out("solve", out)
    return _x.linalg_solve(A, B, left=left)


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """``torch.linalg.solve_ex``: (result, info)."""
    _no_out("solve_ex", out)
    return _x._solve_ex_t(*_x.linalg_solve_ex(A, B, left=left, check_errors=check_errors))


def cholesky(A, *, upper=False, out=None):
    """``torch.linalg.cholesky``: L with A = L L^T (or U = L^T when ``upper``)."""
    _no_out("cholesky", out)
    return _x.linalg_cholesky(A, upper=upper)


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """``torch.linalg.cholesky_ex``: (L, info)."""
    _no_out("cholesky_ex", out)
    return _x._chol_ex_t(*_x.linalg_cholesky_ex(A, upper=upper, check_errors=check_errors))


def qr(A, mode="reduced", *, out=None):
    """``torch.linalg.qr``: (Q, R) for mode 'reduced', 'complete' or 'r' (Q empty)."""
    _no_out("qr", out)
    return _x._lqr_t(*_x.linalg_qr(A, mode))


def svd(A, full_matrices=True, *, driver=None, out=None):
    """``torch.linalg.svd``: (U, S, Vh) with A = U diag(S) Vh."""
    _no_out("svd", out)
    return _x._lsvd_t(*_x.linalg_svd(A, full_matrices, driver=driver))


def svdvals(A, *, driver=None, out=None):
    """``torch.linalg.svdvals``: the singular values, in descending order."""
    _no_out("svdvals", out)
    return _x.linalg_svdvals(A, driver=driver)


def eigh(A, UPLO="L", *, out=None):
    """``torch.linalg.eigh``: ascending eigenvalues and eigenvectors of a symmetric matrix
    (read through its ``UPLO`` triangle)."""
    _no_out("eigh", out)
    return _x._eigh_t(*_x.linalg_eigh(A, UPLO))


def eigvalsh(A, UPLO="L", *, out=None):
    """``torch.linalg.eigvalsh``: the eigenvalues of a symmetric matrix, ascending."""
    _no_out("eigvalsh", out)
    return _x.linalg_eigvalsh(A, UPLO)


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """``torch.linalg.pinv``: the Moore-Penrose pseudo-inverse; singular values at most
    ``max(atol, rtol * largest)`` count as zero."""
    _no_out("pinv", out)
    return _x.linalg_pinv(A, atol=_float_or_none(atol), rtol=_float_or_none(rtol),
                          hermitian=hermitian)


def _float_or_none(v):
    if v is None:
        return None
    if hasattr(v, "item"):
        if getattr(v, "numel", lambda: 1)() != 1:
            raise RuntimeError("linalg.pinv: tensor tolerances are supported by tensorkeys "
                               "only as single numbers. Hint: pass a float.")
        return float(v.item())
    return float(v)


def matrix_power(A, n, *, out=None):
    """``torch.linalg.matrix_power``: A^n by repeated products (negative n: of A^{-1})."""
    _no_out("matrix_power", out)
    return _x.linalg_matrix_power(A, n)


def matrix_exp(A):
    """``torch.linalg.matrix_exp``: the matrix exponential."""
    return _x.linalg_matrix_exp(A)


matrix_rank = _x.matrix_rank


def lstsq(A, B, rcond=None, *, driver=None):
    """``torch.linalg.lstsq``: (solution, residuals, rank, singular_values); which of the
    last three are filled depends on ``driver`` (default 'gelsy', as PyTorch on CPU)."""
    solution, residuals, rank, sv = _x.linalg_lstsq(A, B, rcond, driver=driver)
    # the singular values are not differentiable (PyTorch: no grad_fn on them)
    return _x._lstsq_t(solution, residuals, rank, sv.detach())


def solve_triangular(A, B, *, upper=None, left=True, unitriangular=False, out=None):
    """``torch.linalg.solve_triangular``: X with AX = B (or XA = B), A triangular;
    ``upper`` is required."""
    if upper is None:
        raise TypeError('linalg_solve_triangular() missing 1 required positional arguments: '
                        '"upper"')
    _no_out("solve_triangular", out)
    return _x.linalg_solve_triangular(A, B, upper=upper, left=left,
                                      unitriangular=unitriangular)


def cross(input, other, *, dim=-1, out=None):
    """``torch.linalg.cross``: the cross product of 3-vectors along ``dim``."""
    _no_out("cross", out)
    return _x.linalg_cross(input, other, dim=dim)


def multi_dot(tensors, *, out=None):
    """``torch.linalg.multi_dot``: the product of a chain of matrices, in the cheapest
    order (the first / last may be vectors)."""
    _no_out("multi_dot", out)
    return _x.linalg_multi_dot(list(tensors))


vecdot = _x._vecdot_fn


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """``torch.linalg.diagonal``: ``A.diagonal`` with the last two dims as default."""
    return A.diagonal(offset, dim1, dim2)


# functions declared in opdefs/linalg_more.py
from .opdefs.linalg_more import LINALG as _MORE  # noqa: E402

globals().update(_MORE)
__all__ += [n for n in _MORE if n not in __all__]
