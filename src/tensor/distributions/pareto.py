"""``torch.distributions.pareto``: Pareto (defined in ``continuous_more``)."""

from .continuous_more import Pareto

__all__ = ["Pareto"]
