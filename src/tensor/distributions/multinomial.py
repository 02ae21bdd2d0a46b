"""``torch.distributions.multinomial``: Multinomial (defined in ``discrete_more``)."""

from .discrete_more import Multinomial

__all__ = ["Multinomial"]
