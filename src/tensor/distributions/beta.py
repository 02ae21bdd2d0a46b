"""``torch.distributions.beta``: Beta (defined in ``continuous``)."""

from .continuous import Beta

__all__ = ["Beta"]
