"""``tensor.nn.utils.init``: ``skip_init`` (PyTorch's ``torch.nn.utils.init``)."""

from __future__ import annotations

import inspect

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """``module_cls(*args, **kwargs)`` with its parameters and buffers left uninitialized
    (``to_empty``). PyTorch builds the module on the meta device; there is none here, so it is
    built on the CPU with the random generator's state put back afterwards — as in PyTorch,
    no random number is drawn."""
    from ..module import Module
    from ... import _random
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    final_device = kwargs.pop("device", "cpu")
    kwargs["device"] = "cpu"
    state = _random.get_rng_state()
    try:
        module = module_cls(*args, **kwargs)
    finally:
        _random.set_rng_state(state)
    return module.to_empty(device=final_device)
