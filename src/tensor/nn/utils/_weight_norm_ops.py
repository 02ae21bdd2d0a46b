"""The tensor functions behind weight normalisation: ``norm_except_dim``, ``_weight_norm``
and the op ``aten::_weight_norm_interface`` (node ``WeightNormInterfaceBackward0``).

``w = g * v / ||v||`` where the norm is taken over every dimension of ``v`` except ``dim``.
As in PyTorch's CPU path, ``_weight_norm`` uses the fused op when ``dim`` is the first or the
last dimension (and neither tensor is float16) and otherwise composes
``v * (g / norm_except_dim(v, 2, dim))``.

The fused op's gradient (with ``s = sum over the slice of grad * v`` and ``n`` the slice
norm): ``grad_g = s / n`` and ``grad_v = (g / n) * (grad - v * s / n**2)``. PyTorch's formula
uses the saved norms, which carry no graph, so its second derivatives miss the dependence of
``n`` on ``v``; ours keeps the norms too but, under ``create_graph``, recomputes ``n`` from
``v`` so that double backward is exact (first derivatives are the same). The second output
(the norms) does not require grad, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from ..._defop import FORMULA_NS, defop

__all__ = ["norm_except_dim", "weight_norm"]


def _dtype_name(dt):
    return {"float64": "Double", "float32": "Float", "float16": "Half",
            "complex64": "ComplexFloat", "complex128": "ComplexDouble"}.get(str(dt), str(dt))


def _interface_np(v, g, dim):
    if v.dtype != g.dtype:
        raise RuntimeError(f"expected scalar type {_dtype_name(v.dtype)} but found "
                           f"{_dtype_name(g.dtype)}")
    axes = tuple(i for i in range(v.ndim) if i != dim)
    norm = np.sqrt(np.sum(v * v, axis=axes, keepdims=True))
    w = v * (g.reshape(norm.shape) / norm)
    # (the norms are returned shaped like g, as PyTorch's)
    return w.astype(v.dtype, copy=False), norm.reshape(g.shape).astype(v.dtype, copy=False)


def _interface_backward(grad, v, g, norms, dim, grad_input_mask):
    """The gradients of ``v`` and ``g`` the mask asks for; one formula for both, naming the
    saved ``norms`` output, as PyTorch's (so a node keeps v, g and the norms: Note [Shared
    formulas]). Without grad mode (a first-order backward) the saved norms are used, as
    PyTorch's plain backward does; with it (``create_graph``) they are recomputed from ``v``
    so that the second derivatives see how they depend on ``v``."""
    from modes import is_grad_enabled
    axes = [i for i in range(v.dim()) if i != dim]
    prod = grad * v
    s = prod.sum(axes, keepdim=True) if axes else prod
    if is_grad_enabled():
        norms = v.norm(2, axes, keepdim=True) if axes else v.abs()
    else:       # (saved shaped like g: back to the shape that broadcasts against v)
        norms = norms.reshape(s.shape)
    gb = g.reshape(norms.shape)
    grad_v = (gb / norms) * (grad - v * (s / (norms * norms))) if grad_input_mask[0] else None
    grad_g = (s / norms).reshape(g.shape) if grad_input_mask[1] else None
    return grad_v, grad_g


FORMULA_NS.update(weight_norm_interface_backward=_interface_backward)

_weight_norm_interface = defop(
    "_weight_norm_interface(Tensor v, Tensor g, int dim=0) -> (Tensor, Tensor)", _interface_np,
    grad={"v, g": "weight_norm_interface_backward(grad, v, g, results[1], dim, "
                  "grad_input_mask)"},
    output_differentiability=(True, False))


def norm_except_dim(v, pow=2, dim=0):
    """The ``pow``-norm of ``v`` over every dimension except ``dim``, shaped to broadcast
    against ``v`` (``dim=-1``: the norm of the whole tensor, a 0-d tensor)."""
    if dim == -1:
        return v.norm(pow)
    if dim == 0:
        out = [v.size(0)] + [1] * (v.dim() - 1)
        return v.contiguous().view(v.size(0), -1).norm(pow, 1).view(out)
    if dim == v.dim() - 1:
        out = [1] * (v.dim() - 1) + [v.size(-1)]
        return v.contiguous().view(-1, v.size(-1)).norm(pow, 0).view(out)
    return norm_except_dim(v.transpose(0, dim), pow, 0).transpose(0, dim)


def weight_norm(v, g, dim=0):
    """``torch._weight_norm``: ``g * v / norm_except_dim(v, 2, dim)``."""
    v = v.contiguous()
    g = g.contiguous()
    half = "float16" in (str(v.dtype), str(g.dtype))
    if not half and (dim == 0 or dim == v.dim() - 1):
        return _weight_norm_interface(v, g, dim)[0]
    return v * (g / norm_except_dim(v, 2, dim))
