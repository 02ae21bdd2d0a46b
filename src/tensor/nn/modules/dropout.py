"""``tensor.nn.modules.dropout``: the dropouts and their base ``_DropoutNd`` (PyTorch's
``torch.nn.modules.dropout``)."""

from . import Dropout  # noqa: F401
from ..layers import Dropout1d, Dropout2d, Dropout3d, _DropoutNd  # noqa: F401
from ..modules_extra import AlphaDropout, FeatureAlphaDropout  # noqa: F401

__all__ = [
    "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
    "FeatureAlphaDropout"
]
