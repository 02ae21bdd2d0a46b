"""``torch.distributions.laplace``: Laplace (defined in ``continuous``)."""

from .continuous import Laplace

__all__ = ["Laplace"]
