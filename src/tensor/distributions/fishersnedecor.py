"""``torch.distributions.fishersnedecor``: FisherSnedecor (defined in ``continuous_more``)."""

from .continuous_more import FisherSnedecor

__all__ = ["FisherSnedecor"]
