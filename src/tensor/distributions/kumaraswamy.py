"""``torch.distributions.kumaraswamy``: Kumaraswamy (defined in ``continuous_more``)."""

from .continuous_more import Kumaraswamy

__all__ = ["Kumaraswamy"]
