"""``torch.distributions.inverse_gamma``: InverseGamma (defined in ``continuous_more``)."""

from .continuous_more import InverseGamma

__all__ = ["InverseGamma"]
