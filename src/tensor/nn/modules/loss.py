"""``tensor.nn.modules.loss``: the losses and their bases ``_Loss`` / ``_WeightedLoss``
(PyTorch's ``torch.nn.modules.loss``)."""

from . import (  # noqa: F401
    L1Loss, NLLLoss, MSELoss, BCELoss, BCEWithLogitsLoss, SmoothL1Loss, HuberLoss,
    CrossEntropyLoss, _Loss, _WeightedLoss
)
from ..modules_more import (  # noqa: F401
    PoissonNLLLoss, GaussianNLLLoss, KLDivLoss, HingeEmbeddingLoss, SoftMarginLoss,
    MultiLabelSoftMarginLoss, CosineEmbeddingLoss, MarginRankingLoss, MultiMarginLoss,
    TripletMarginLoss
)
from ..modules_extra import (  # noqa: F401
    MultiLabelMarginLoss, TripletMarginWithDistanceLoss, CTCLoss
)

__all__ = [
    "L1Loss", "NLLLoss", "PoissonNLLLoss", "GaussianNLLLoss", "KLDivLoss", "MSELoss",
    "BCELoss", "BCEWithLogitsLoss", "HingeEmbeddingLoss", "MultiLabelMarginLoss",
    "SmoothL1Loss", "HuberLoss", "SoftMarginLoss", "CrossEntropyLoss",
    "MultiLabelSoftMarginLoss", "CosineEmbeddingLoss", "MarginRankingLoss",
    "MultiMarginLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss", "CTCLoss"
]
