"""``tensor.nn.modules.container``: the containers (PyTorch's ``torch.nn.modules.container``)."""

from ..containers import (  # noqa: F401
    Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict
)
from ..module import _addindent  # noqa: F401

__all__ = [
    "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"
]
