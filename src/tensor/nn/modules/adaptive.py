"""``tensor.nn.modules.adaptive``: ``AdaptiveLogSoftmaxWithLoss`` (PyTorch's
``torch.nn.modules.adaptive``)."""

from ..modules_extra import AdaptiveLogSoftmaxWithLoss, _ASMoutput  # noqa: F401

__all__ = [
    "AdaptiveLogSoftmaxWithLoss"
]
