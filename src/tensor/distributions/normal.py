"""``torch.distributions.normal``: Normal (defined in ``continuous``)."""

from .continuous import Normal

__all__ = ["Normal"]
