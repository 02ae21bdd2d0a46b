"""``torch.distributions.negative_binomial``: NegativeBinomial (defined in ``discrete_more``)."""

from .discrete_more import NegativeBinomial

__all__ = ["NegativeBinomial"]
