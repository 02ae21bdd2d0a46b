"""Reductions (sum, mean, ...) with ``dim``/``keepdim``."""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._defop import defop, method
from ._util import dims_arg


def _sum_dtype(a, dtype):
    if dtype is not None:
        return D.to_dtype(dtype).np
    return np.dtype(np.int64) if a.dtype.kind in "biu" else a.dtype


def _sum_np(a, dtype):
    return np.asarray(a.sum(dtype=_sum_dtype(a, dtype)))


def _sum_dim_np(a, dim, keepdim, dtype):
    return np.asarray(a.sum(axis=dims_arg(dim, a.ndim), keepdims=keepdim,
                            dtype=_sum_dtype(a, dtype)))


def expand_reduced(grad, shape, dim, keepdim):
    """Broadcast a reduced gradient back over the reduced dims."""
    if not keepdim and dim is not None and len(shape):
        for d in dims_arg(dim, len(shape)):
            grad = grad.unsqueeze(d)
    return grad.expand(shape)


sum_ = defop("sum(Tensor self, *, ScalarType? dtype=None) -> Tensor", _sum_np,
             grad={"self": "grad.expand(self_shape)"})
sum_dim = defop("sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, "
                "ScalarType? dtype=None) -> Tensor", _sum_dim_np,
                grad={"self": "expand_reduced(grad, self_shape, dim, keepdim)"},
                node_name="SumBackward1")


def _sum_method(self, dim=None, keepdim=False, *, dtype=None):
    if dim is None and not keepdim:
        return sum_(self, dtype=dtype)
    return sum_dim(self, dim, keepdim, dtype=dtype)


method("sum", _sum_method)


def _mean_check(a, dtype):
    if dtype is None and a.dtype.kind not in "fc":
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating "
            f"point or complex dtype. Got: {D._BY_NP[a.dtype].short}")


def _mean_np(a, dtype):
    _mean_check(a, dtype)
    return np.asarray(a.mean(dtype=_sum_dtype(a, dtype)), dtype=_sum_dtype(a, dtype))


def _mean_dim_np(a, dim, keepdim, dtype):
    _mean_check(a, dtype)
    dt = _sum_dtype(a, dtype)
    return np.asarray(a.mean(axis=dims_arg(dim, a.ndim), keepdims=keepdim, dtype=dt), dtype=dt)


def _numel_of(shape, dim):
    n = 1
    for d in (dims_arg(dim, len(shape)) if dim is not None else range(len(shape))):
        n *= shape[d]
    return n


mean = defop("mean(Tensor self, *, ScalarType? dtype=None) -> Tensor", _mean_np,
             grad={"self": "grad.expand(self_shape) / max(self_numel, 1) if self_numel else "
                           "grad.expand(self_shape) * float('nan')"})
mean_dim = defop("mean.dim(Tensor self, int[1]? dim, bool keepdim=False, *, "
                 "ScalarType? dtype=None) -> Tensor", _mean_dim_np,
                 grad={"self": "expand_reduced(grad, self_shape, dim, keepdim) / "
                               "numel_of(self_shape, dim)"},
                 node_name="MeanBackward1")


def _mean_method(self, dim=None, keepdim=False, *, dtype=None):
    if dim is None and not keepdim:
        return mean(self, dtype=dtype)
    return mean_dim(self, dim, keepdim, dtype=dtype)


method("mean", _mean_method)

from .._defop import FORMULA_NS  # noqa: E402
FORMULA_NS.update(expand_reduced=expand_reduced, numel_of=_numel_of, max=max, float=float)
