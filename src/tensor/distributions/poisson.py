"""``torch.distributions.poisson``: Poisson (defined in ``discrete``)."""

from .discrete import Poisson

__all__ = ["Poisson"]
