"""``torch.distributions.uniform``: Uniform (defined in ``continuous``)."""

from .continuous import Uniform

__all__ = ["Uniform"]
