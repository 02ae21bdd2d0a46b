"""``torch.distributions.binomial``: Binomial (defined in ``discrete``)."""

from .discrete import Binomial

__all__ = ["Binomial"]
