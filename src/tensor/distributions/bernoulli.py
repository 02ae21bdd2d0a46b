"""``torch.distributions.bernoulli``: Bernoulli (defined in ``discrete``)."""

from .discrete import Bernoulli

__all__ = ["Bernoulli"]
