"""``torch.distributions.exponential``: Exponential (defined in ``continuous``)."""

from .continuous import Exponential

__all__ = ["Exponential"]
