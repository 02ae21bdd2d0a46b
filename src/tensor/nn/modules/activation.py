"""``tensor.nn.modules.activation``: the activation modules (PyTorch's
``torch.nn.modules.activation``)."""

from ..modules_more import (  # noqa: F401
    Threshold, RReLU, Hardtanh, ReLU6, Hardsigmoid, Mish, Hardswish, CELU, SELU, GLU,
    Hardshrink, LogSigmoid, Softshrink, PReLU, Softsign, Tanhshrink, Softmin, Softmax2d
)
from . import (  # noqa: F401
    ReLU, Sigmoid, Tanh, SiLU, ELU, GELU, LeakyReLU, Softplus, Softmax, LogSoftmax
)
from ..transformer import MultiheadAttention  # noqa: F401

__all__ = [
    "Threshold", "ReLU", "RReLU", "Hardtanh", "ReLU6", "Sigmoid", "Hardsigmoid", "Tanh",
    "SiLU", "Mish", "Hardswish", "ELU", "CELU", "SELU", "GLU", "GELU", "Hardshrink",
    "LeakyReLU", "LogSigmoid", "Softplus", "Softshrink", "MultiheadAttention", "PReLU",
    "Softsign", "Tanhshrink", "Softmin", "Softmax", "Softmax2d", "LogSoftmax"
]
