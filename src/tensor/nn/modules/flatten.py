"""``tensor.nn.modules.flatten``: ``Flatten`` / ``Unflatten`` (PyTorch's
``torch.nn.modules.flatten``)."""

from . import Flatten, Unflatten  # noqa: F401

__all__ = [
    "Flatten", "Unflatten"
]
