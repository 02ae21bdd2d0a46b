"""``torch.distributions.lowrank_multivariate_normal``: LowRankMultivariateNormal
(defined in ``lowrank``)."""

from .lowrank import LowRankMultivariateNormal
from .lowrank import (  # noqa: F401
    _batch_capacitance_tril, _batch_lowrank_logdet, _batch_lowrank_mahalanobis,
)

__all__ = ["LowRankMultivariateNormal"]
