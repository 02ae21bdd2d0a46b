"""``torch.distributions.cauchy``: Cauchy (defined in ``continuous``)."""

from .continuous import Cauchy

__all__ = ["Cauchy"]
