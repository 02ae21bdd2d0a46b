"""``tensor.nn.modules.distance``: the distance modules (PyTorch's
``torch.nn.modules.distance``)."""

from ..modules_more import PairwiseDistance, CosineSimilarity  # noqa: F401

__all__ = [
    "PairwiseDistance", "CosineSimilarity"
]
