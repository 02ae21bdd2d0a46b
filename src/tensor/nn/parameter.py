"""``tensor.nn.parameter`` (``from torch.nn.parameter import Parameter`` keeps working)."""

from .module import Parameter, Buffer  # noqa: F401
from .lazy import (UninitializedTensorMixin, UninitializedParameter,  # noqa: F401
                   UninitializedBuffer, is_lazy)

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "is_lazy"]
