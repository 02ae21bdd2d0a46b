"""``torch.distributions.half_normal``: HalfNormal (defined in ``continuous_more``)."""

from .continuous_more import HalfNormal

__all__ = ["HalfNormal"]
