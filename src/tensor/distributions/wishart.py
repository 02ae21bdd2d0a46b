"""``torch.distributions.wishart``: Wishart (defined in ``matrix``)."""

from .matrix import Wishart
from .matrix import _mvdigamma  # noqa: F401

__all__ = ["Wishart"]
