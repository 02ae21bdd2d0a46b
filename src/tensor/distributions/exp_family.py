"""``torch.distributions.exp_family``: ExponentialFamily (defined in ``distribution``)."""

from .distribution import ExponentialFamily

__all__ = ["ExponentialFamily"]
