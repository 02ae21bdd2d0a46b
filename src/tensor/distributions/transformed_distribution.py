"""``torch.distributions.transformed_distribution``: TransformedDistribution
(defined in ``transformed``)."""

from .transformed import TransformedDistribution

__all__ = ["TransformedDistribution"]
