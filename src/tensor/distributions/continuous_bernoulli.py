"""``torch.distributions.continuous_bernoulli``: ContinuousBernoulli
(defined in ``continuous_more``)."""

from .continuous_more import ContinuousBernoulli

__all__ = ["ContinuousBernoulli"]
