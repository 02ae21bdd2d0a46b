"""``tensor.autograd``: PyTorch's autograd names over our graph and engine."""

from . import graph, engine, views, tensor_methods  # noqa: F401
from .engine import backward, grad  # noqa: F401
from .graph import Node  # noqa: F401
# Eager, as in torch: the submodule ``gradcheck`` and the function share a name, so a lazy
# ``from . import gradcheck`` in __getattr__ recursed, and importing the submodule first
# (pytest --doctest-modules does) left ``autograd.gradcheck`` bound to the module.
from .gradcheck import gradcheck, gradgradcheck, GradcheckError  # noqa: F401,E402
from modes import (no_grad, enable_grad, set_grad_enabled, inference_mode,  # noqa: F401
                   is_grad_enabled, is_inference_mode_enabled)


def __getattr__(name):
    if name in ("Function", "once_differentiable", "FunctionCtx", "function"):
        import importlib     # not ``from . import function``: that asks __getattr__ again
        function = importlib.import_module(__name__ + ".function")
        return function if name == "function" else getattr(function, name)
    raise AttributeError(name)


class grad_mode:
    """``torch.autograd.grad_mode`` names."""
    no_grad = no_grad
    enable_grad = enable_grad
    set_grad_enabled = set_grad_enabled
    inference_mode = inference_mode
from . import functional  # noqa: F401,E402
from .anomaly import detect_anomaly, set_detect_anomaly  # noqa: F401,E402
