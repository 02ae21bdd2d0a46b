"""``torch.distributions.geometric``: Geometric (defined in ``discrete``)."""

from .discrete import Geometric

__all__ = ["Geometric"]
