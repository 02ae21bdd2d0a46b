"""``tensor.nn.modules.sparse``: ``Embedding`` / ``EmbeddingBag`` (PyTorch's
``torch.nn.modules.sparse``)."""

from . import Embedding  # noqa: F401
from ..modules_extra import EmbeddingBag  # noqa: F401

__all__ = [
    "Embedding", "EmbeddingBag"
]
