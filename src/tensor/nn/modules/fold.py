"""``tensor.nn.modules.fold``: ``Fold`` / ``Unfold`` (PyTorch's ``torch.nn.modules.fold``)."""

from ..layers import Fold, Unfold  # noqa: F401

__all__ = [
    "Fold", "Unfold"
]
