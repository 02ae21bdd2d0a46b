"""``tensor.nn.modules.upsampling``: the upsampling modules (PyTorch's
``torch.nn.modules.upsampling``)."""

from ..layers import Upsample, UpsamplingNearest2d, UpsamplingBilinear2d  # noqa: F401

__all__ = [
    "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"
]
