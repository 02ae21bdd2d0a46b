"""``torch.distributions.one_hot_categorical``: OneHotCategorical and its
straight-through variant."""

from .discrete import OneHotCategorical
from .discrete_more import OneHotCategoricalStraightThrough

__all__ = ["OneHotCategorical", "OneHotCategoricalStraightThrough"]
