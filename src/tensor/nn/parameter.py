"""``tensor.nn.parameter`` (``from torch.nn.parameter import Parameter`` keeps working)."""

from .module import Parameter, Buffer  # noqa: F401

__all__ = ["Parameter", "Buffer"]
