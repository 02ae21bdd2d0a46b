"""``torch.distributions.logistic_normal``: LogisticNormal (defined in ``relaxed``)."""

from .relaxed import LogisticNormal

__all__ = ["LogisticNormal"]
