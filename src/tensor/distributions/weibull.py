"""``torch.distributions.weibull``: Weibull (defined in ``continuous_more``)."""

from .continuous_more import Weibull

__all__ = ["Weibull"]
