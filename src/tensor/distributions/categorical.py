"""``torch.distributions.categorical``: Categorical (defined in ``discrete``)."""

from .discrete import Categorical

__all__ = ["Categorical"]
