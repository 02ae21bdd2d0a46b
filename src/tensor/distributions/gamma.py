"""``torch.distributions.gamma``: Gamma (defined in ``continuous``)."""

from .continuous import Gamma

__all__ = ["Gamma"]
