"""``torch.nn.utils.parametrizations``: ``weight_norm``, ``spectral_norm`` and ``orthogonal``
built on :mod:`parametrize`.

- ``weight_norm``: ``original0`` is the magnitude ``g`` (``norm_except_dim(w, 2, dim)``),
  ``original1`` the direction ``v`` (the weight itself); the weight is ``g * v / ||v||``.
- ``spectral_norm``: the weight divided by an estimate of its largest singular value, from a
  power iteration whose vectors ``_u`` and ``_v`` are buffers of the parametrization. They
  start random and get 15 iterations at registration; afterwards every access in training
  mode runs ``n_power_iterations`` more (in place, without grad); eval mode reuses them.
- ``orthogonal``: an orthogonal matrix (or a batch) from the matrix exponential or the Cayley
  map of a skew-symmetric matrix, or from Householder reflectors; with
  ``use_trivialization`` (the default) the result is multiplied by a stored ``base``.
"""

from __future__ import annotations

from enum import Enum, auto

import numpy as np

import tensor as torch
from modes import no_grad

from ... import _tensor as T
from ...nn_functional import normalize
from ..module import Module
from . import parametrize
from ._weight_norm_ops import norm_except_dim, weight_norm as _weight_norm

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]

_Tensor = T.Tensor


# -- orthogonal ----------------------------------------------------------------------------
def _is_orthogonal(Q):
    n, k = Q.size(-2), Q.size(-1)
    Id = torch.eye(k, dtype=Q.dtype)
    eps = 10.0 * n * torch.finfo(Q.dtype).eps
    return torch.allclose(Q.mH @ Q, Id, atol=eps)


def _geqrf(A):
    """LAPACK's ``geqrf`` (Householder QR) of a real matrix or batch: the reflectors below the
    diagonal with R on and above it, and the scalar factors ``tau``."""
    h, tau = np.linalg.qr(A.numpy(), mode="raw")
    return (torch.from_numpy(np.ascontiguousarray(np.swapaxes(h, -1, -2))),
            torch.from_numpy(np.ascontiguousarray(tau)))


def _make_orthogonal(A):
    """The Q of ``A = QR`` (A tall) with the diagonal of R made non-negative."""
    if A.is_complex():
        raise NotImplementedError("orthogonal: complex tensors are not supported by "
                                  "tensorkeys. Hint: use a real weight.")
    X, tau = _geqrf(A)
    Q = torch.linalg.householder_product(X, tau)
    Q *= X.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)
    return Q


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        # a complex matrix has more degrees of freedom than its reflectors can express
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex "
                             "tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.size(-2), X.size(-1)
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        # X is now tall (n >= k)
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:
                X = torch.cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mH             # skew-symmetric (skew-hermitian)
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = torch.matrix_exp(A)
            else:
                # Cayley: (I + A/2)(I - A/2)^{-1}
                Id = torch.eye(n, dtype=A.dtype)
                Q = torch.linalg.solve(torch.add(Id, A, alpha=-0.5), torch.add(Id, A, alpha=0.5))
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = torch.linalg.householder_product(A, tau)
            # the diagonal of X holds the signs (+-1); it is not differentiated through
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        with no_grad():
            return self._right_inverse(Q)

    def _right_inverse(self, Q):
        if Q.shape != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                             f"Got a tensor of shape {Q.shape}.")
        Q_init = Q
        n, k = Q.size(-2), Q.size(-1)
        transpose = n < k
        if transpose:
            Q = Q.mT
            n, k = k, n
        if not hasattr(self, "base"):
            if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                raise NotImplementedError("It is not possible to assign to the matrix "
                                          "exponential or the Cayley parametrizations when "
                                          "use_trivialization=False.")
            # Householder: the reflectors of Q's QR decomposition, with the signs of diag(R)
            # on the diagonal (reflections LAPACK skipped, tau == 0, flip the sign)
            A, tau = _geqrf(Q)
            diag = A.diagonal(dim1=-2, dim2=-1)
            diag.sign_()
            diag[tau == 0.0] *= -1
            return A.mT if transpose else A
        if n == k:
            Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
        else:
            # complete Q to a square orthogonal matrix
            N = torch.randn(*(Q.size()[:-2] + (n, n - k)), dtype=Q.dtype)
            Q = _make_orthogonal(torch.cat([Q, N], dim=-1))
        self.base = Q
        # -Id: the Householder map sends it (and the exponential maps send 0) to Id
        neg_Id = torch.zeros_like(Q_init)
        neg_Id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
        return neg_Id


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Make ``module.<name>`` (a matrix or a batch of matrices) orthogonal: orthonormal
    columns when it is tall, orthonormal rows when it is wide. ``orthogonal_map`` is
    ``"matrix_exp"``, ``"cayley"`` or ``"householder"`` (default: ``"matrix_exp"`` for square
    or complex matrices, ``"householder"`` otherwise). Returns ``module``."""
    weight = getattr(module, name, None)
    if not isinstance(weight, _Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError("Expected a matrix or batch of matrices. "
                         f"Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = ("matrix_exp" if weight.size(-2) == weight.size(-1)
                          or weight.is_complex() else "householder")
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder". Got: {orthogonal_map}')
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


# -- weight norm ---------------------------------------------------------------------------
class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        if dim is None:
            dim = -1
        self.dim = dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Split ``module.<name>`` into a magnitude ``original0`` and a direction ``original1``
    (``w = g * v / ||v||``, the norm over every dimension but ``dim``; ``dim=None``: over the
    whole tensor). State dicts saved with the old ``name_g`` / ``name_v`` keys still load.
    Returns ``module``."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(state_dict, prefix, local_metadata, strict, missing_keys,
                                 unexpected_keys, error_msgs):
        g_key = f"{prefix}{name}_g"
        v_key = f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            original0 = state_dict.pop(g_key)
            original1 = state_dict.pop(v_key)
            state_dict[f"{prefix}parametrizations.{name}.original0"] = original0
            state_dict[f"{prefix}parametrizations.{name}.original1"] = original1

    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


# -- spectral norm -------------------------------------------------------------------------
def _normalize_into(x, eps, out):
    """``F.normalize(x, dim=0, eps=eps, out=out)``: writes into ``out`` (one version bump)."""
    denom = x.norm(2, 0, keepdim=True).clamp_min(eps).expand_as(x)
    return torch.div(x, denom, out=out)


class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError("Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            # (a vector is normalised exactly, see forward)
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.size()
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations):
        # u and v are updated in place (a module replica sharing the buffers sees the
        # update); forward clones them before use, so two forwards can share one backward
        with no_grad():
            for _ in range(n_power_iterations):
                self._u = _normalize_into(torch.mv(weight_mat, self._v), self.eps, self._u)
                self._v = _normalize_into(torch.mv(weight_mat.H, self._u), self.eps, self._v)

    def forward(self, weight):
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u = self._u.clone(memory_format=torch.contiguous_format)
        v = self._v.clone(memory_format=torch.contiguous_format)
        sigma = torch.vdot(u, torch.mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divide ``module.<name>`` by an estimate of its spectral norm (see the module
    docstring). ``dim`` is the output dimension: 1 for ``ConvTranspose{1,2,3}d``, else 0.
    Returns ``module``."""
    weight = getattr(module, name, None)
    if not isinstance(weight, _Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        nn = torch.nn
        dim = 1 if isinstance(module, (nn.ConvTranspose1d, nn.ConvTranspose2d,
                                       nn.ConvTranspose3d)) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
