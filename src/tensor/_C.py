"""``torch._C``: the few names of PyTorch's C extension that user code reaches for (the
``__torch_function__`` switches)."""

from ._torch_function import (  # noqa: F401
    DisableTorchFunction, DisableTorchFunctionSubclass,
    disabled_torch_function_impl as _disabled_torch_function_impl,
)
from ._torch_function import _mode_active


def _is_torch_function_mode_enabled() -> bool:
    return _mode_active()
