"""``torch.distributions.log_normal``: LogNormal (defined in ``transformed``)."""

from .transformed import LogNormal

__all__ = ["LogNormal"]
