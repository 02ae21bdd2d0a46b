"""``tensor.nn.modules.pixelshuffle``: ``PixelShuffle`` / ``PixelUnshuffle`` (PyTorch's
``torch.nn.modules.pixelshuffle``)."""

from ..layers import PixelShuffle, PixelUnshuffle  # noqa: F401

__all__ = [
    "PixelShuffle", "PixelUnshuffle"
]
