"""``tensor.nn.modules.conv``: the convolutions and their bases ``_ConvNd`` /
``_ConvTransposeNd`` (PyTorch's ``torch.nn.modules.conv``)."""

from ..layers import (  # noqa: F401
    Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, _ConvNd,
    _ConvTransposeNd
)
from ..lazy import (  # noqa: F401
    LazyConv1d, LazyConv2d, LazyConv3d, LazyConvTranspose1d, LazyConvTranspose2d,
    LazyConvTranspose3d, _LazyConvXdMixin
)

__all__ = [
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
    "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
    "LazyConvTranspose2d", "LazyConvTranspose3d"
]
