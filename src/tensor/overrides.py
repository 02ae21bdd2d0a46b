"""``torch.overrides``: the ``__torch_function__`` protocol's public helpers (see
``_torch_function.py``, Note [Where __torch_function__ is handled])."""

from ._torch_function import (  # noqa: F401
    TorchFunctionMode, get_default_nowrap_functions, handle_torch_function,
    has_torch_function, has_torch_function_unary, has_torch_function_variadic,
    is_tensor_like, _get_current_function_mode, _get_current_function_mode_stack,
)

__all__ = [
    "TorchFunctionMode", "get_default_nowrap_functions", "handle_torch_function",
    "has_torch_function", "has_torch_function_unary", "has_torch_function_variadic",
    "is_tensor_like",
]
