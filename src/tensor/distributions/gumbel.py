"""``torch.distributions.gumbel``: Gumbel (defined in ``transformed``)."""

from .transformed import Gumbel
from .utils import euler_constant  # noqa: F401

__all__ = ["Gumbel"]
