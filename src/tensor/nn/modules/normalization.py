"""``tensor.nn.modules.normalization``: layer, group, RMS and local-response normalisation
(PyTorch's ``torch.nn.modules.normalization``)."""

from ..layers import LocalResponseNorm, GroupNorm, RMSNorm  # noqa: F401
from . import LayerNorm  # noqa: F401

__all__ = [
    "LocalResponseNorm", "LayerNorm", "GroupNorm", "RMSNorm"
]
