"""``tensor.autograd``: PyTorch's autograd names over our graph and engine."""

from . import graph, engine, views, tensor_methods  # noqa: F401
from .engine import backward, grad  # noqa: F401
from .graph import Node  # noqa: F401
from modes import (no_grad, enable_grad, set_grad_enabled, inference_mode,  # noqa: F401
                   is_grad_enabled, is_inference_mode_enabled)


def __getattr__(name):
    if name in ("Function", "once_differentiable", "FunctionCtx"):
        from . import function
        return getattr(function, name)
    if name in ("gradcheck", "gradgradcheck", "GradcheckError"):
        from . import gradcheck as gc
        return getattr(gc, name)
    raise AttributeError(name)


class grad_mode:
    """``torch.autograd.grad_mode`` names."""
    no_grad = no_grad
    enable_grad = enable_grad
    set_grad_enabled = set_grad_enabled
    inference_mode = inference_mode
