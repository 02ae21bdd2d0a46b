"""``torch.distributions.multivariate_normal``: MultivariateNormal (defined in ``multivariate``)."""

from .multivariate import MultivariateNormal
from .multivariate import (  # noqa: F401
    _batch_mahalanobis, _batch_mv, _precision_to_scale_tril,
)

__all__ = ["MultivariateNormal"]
