"""``torch.linalg`` (the part tensorkeys has): ``vector_norm``."""

from __future__ import annotations

import numpy as np

from .opdefs.reduction import vector_norm as _vector_norm

__all__ = ["vector_norm"]


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """``torch.linalg.vector_norm``: the ``ord``-norm of ``x`` over ``dim`` (all dims when
    None), as one op (``LinalgVectorNormBackward0``)."""
    if out is not None:
        raise TypeError("linalg.vector_norm(): out= is not supported by tensorkeys; assign the "
                        "result instead")
    if isinstance(dim, (int, np.integer)):
        dim = (int(dim),)
    elif dim is not None:
        dim = tuple(dim)
    return _vector_norm(x, ord, dim, keepdim, dtype=dtype)
