"""``parameters_to_vector`` / ``vector_to_parameters``."""

from __future__ import annotations

from ... import _tensor as T
from ...errors import legacy_type_name

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-D tensor (a ``cat`` of views, so
    it is differentiable)."""
    from ...opdefs.shape import cat
    return cat([p.view(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Point each parameter's ``.data`` at its slice of ``vec`` (shared memory)."""
    if not isinstance(vec, T.Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n


def _typename(obj):
    if isinstance(obj, T.Tensor):
        return legacy_type_name(obj.dtype)
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in ("builtins", None) else f"{module}.{name}"
