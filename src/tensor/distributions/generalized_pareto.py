"""``torch.distributions.generalized_pareto``: GeneralizedPareto
(defined in ``continuous_more``)."""

from .continuous_more import GeneralizedPareto

__all__ = ["GeneralizedPareto"]
