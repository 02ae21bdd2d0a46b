"""``torch.distributions.dirichlet``: Dirichlet (defined in ``multivariate``)."""

from .multivariate import Dirichlet

__all__ = ["Dirichlet"]
