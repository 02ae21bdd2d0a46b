"""``torch.distributions.von_mises``: VonMises (defined in ``continuous_more``)."""

from .continuous_more import VonMises
from .continuous_more import _log_modified_bessel_fn  # noqa: F401

__all__ = ["VonMises"]
