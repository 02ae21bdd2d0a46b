"""``torch.distributions.mixture_same_family``: MixtureSameFamily (defined in ``independent``)."""

from .independent import MixtureSameFamily

__all__ = ["MixtureSameFamily"]
