"""``tensor.nn.modules.batchnorm``: batch normalisation and its bases ``_NormBase`` /
``_BatchNorm`` (PyTorch's ``torch.nn.modules.batchnorm``)."""

from ..layers import BatchNorm1d, BatchNorm2d, BatchNorm3d, _NormBase, _BatchNorm  # noqa: F401
from ..lazy import (  # noqa: F401
    LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, _LazyNormBase
)

__all__ = [
    "BatchNorm1d", "LazyBatchNorm1d", "BatchNorm2d", "LazyBatchNorm2d", "BatchNorm3d",
    "LazyBatchNorm3d"
]
