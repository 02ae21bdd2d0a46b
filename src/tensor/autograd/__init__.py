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
    if name == "profiler":      # torch.autograd.profiler
        import importlib
        return importlib.import_module(__name__ + ".profiler")
    raise AttributeError(name)


class grad_mode:
    """``torch.autograd.grad_mode`` names."""
    no_grad = no_grad
    enable_grad = enable_grad
    set_grad_enabled = set_grad_enabled
    inference_mode = inference_mode
from . import functional  # noqa: F401,E402
from . import forward_ad  # noqa: F401,E402
from .anomaly import detect_anomaly, set_detect_anomaly  # noqa: F401,E402


class _VariableMeta(type):
    def __instancecheck__(cls, other):
        from .._tensor import Tensor
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    """The pre-0.4 wrapper, as PyTorch keeps it: ``Variable(t, requires_grad)`` is a new
    tensor sharing ``t``'s memory (detached from its history), and every tensor is an
    instance."""

    def __new__(cls, data=None, requires_grad=False, volatile=False):
        from .._tensor import Tensor
        from ..opdefs.factories import empty
        if data is None:
            return empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = data.detach()
        return out.requires_grad_() if requires_grad else out


_MULTITHREADING = [True]


def is_multithreading_enabled():
    return _MULTITHREADING[0]


class set_multithreading_enabled:
    """Recorded for ``is_multithreading_enabled``: the engine runs every backward in the
    calling thread either way."""

    def __init__(self, mode):
        self.prev = _MULTITHREADING[0]
        _MULTITHREADING[0] = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _MULTITHREADING[0] = self.prev
        return False
