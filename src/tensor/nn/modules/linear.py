"""``tensor.nn.modules.linear``: the linear layers (PyTorch's ``torch.nn.modules.linear``)."""

from ..modules_extra import Bilinear  # noqa: F401
from . import Identity, Linear  # noqa: F401
from ..lazy import LazyLinear  # noqa: F401

__all__ = [
    "Bilinear", "Identity", "LazyLinear", "Linear"
]
