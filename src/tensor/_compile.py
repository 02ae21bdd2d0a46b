"""``torch.compile``, ``torch.cond`` and ``torch.while_loop`` without a compiler.

tensorkeys has no graph capture and no code generation: ``compile`` checks its arguments as
PyTorch does and hands back something that runs the original function or module unchanged
(an ``OptimizedModule`` wrapper for a module, as PyTorch returns). ``cond`` and
``while_loop`` are PyTorch's control-flow operators run eagerly: the chosen branch, or the loop
body, is an ordinary Python call, so gradients flow through whatever ran.
"""

from __future__ import annotations

import functools

from . import _tensor as T
from . import _dtype as D
from .nn.module import Module

__all__ = ["compile", "OptimizedModule", "cond", "while_loop"]

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
_BACKENDS = ("inductor", "eager", "aot_eager", "cudagraphs", "openxla", "tvm", "onnxrt",
             "tensorrt", "torch_tensorrt", "aot_eager_decomp_partition")


class InvalidBackend(RuntimeError):
    """``torch._dynamo.exc.InvalidBackend``: an unknown backend name."""


class OptimizedModule(Module):
    """What ``torch.compile(module)`` returns: a module holding the original one as
    ``_orig_mod`` (so its state_dict keys start with ``_orig_mod.``), calling it unchanged,
    and forwarding the attributes it does not have itself."""

    def __init__(self, mod):
        super().__init__()
        self._orig_mod = mod
        self.training = mod.training

    def forward(self, *args, **kwargs):
        return self._orig_mod(*args, **kwargs)

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            mods = self.__dict__.get("_modules")
            if mods is None or "_orig_mod" not in mods:
                raise
            return getattr(mods["_orig_mod"], name)


def _check_compile_args(mode, options, backend):
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be "
                           "specified at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if isinstance(backend, str) and backend not in _BACKENDS:
        raise InvalidBackend(f"Invalid backend: {backend!r}, see "
                             "`torch._dynamo.list_backends()` for available backends.")


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,
            options=None, disable=False):
    """``torch.compile``: no compilation happens in tensorkeys. A module comes back wrapped
    in an :class:`OptimizedModule`, a function as a wrapper that calls it; without ``model``
    this returns the decorator. ``disable=True`` returns ``model`` itself."""
    if model is None:
        def decorator(fn):
            return compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend,
                           mode=mode, options=options, disable=disable)
        return decorator
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is "
                             "provided.")
    _check_compile_args(mode, options, backend)
    if disable:
        return model
    if isinstance(model, Module):
        return OptimizedModule(model)

    @functools.wraps(model)
    def compiled(*args, **kwargs):
        return model(*args, **kwargs)

    return compiled


def _leaves(tree):
    from .func import flatten
    return flatten(tree)[0]


def cond(pred, true_fn, false_fn, operands=()):
    """``true_fn(*operands)`` if ``pred`` else ``false_fn(*operands)``; ``pred`` is a bool or
    a one-element tensor. Run eagerly (PyTorch traces both branches; here only the chosen one
    runs, so the branches are not checked against each other). As in PyTorch, a Python
    constant ``pred`` picks its branch without any check of the other arguments."""
    if isinstance(pred, (bool, int, float)):
        return true_fn(*operands) if pred else false_fn(*operands)
    if not isinstance(pred, T.Tensor):
        raise RuntimeError(f"Expected pred to be bool or tensor, but got {pred}.")
    if isinstance(pred, T.Tensor) and pred.numel() != 1:
        raise RuntimeError(f"Expected pred to be bool or single-element tensor, but got "
                           f"{pred}.")
    if not callable(true_fn) or not callable(false_fn):
        raise RuntimeError("Expect both branches to be callable.")
    if not isinstance(operands, (tuple, list)) or any(
            not isinstance(t, T.Tensor) for t in _leaves(operands)):
        raise RuntimeError("Expect operands to be a tuple of possibly nested dict/list/tuple "
                           f"that only consists of tensor leaves, but got {operands}.")
    if bool(pred):
        return true_fn(*operands)
    return false_fn(*operands)


def while_loop(cond_fn, body_fn, carried_inputs):
    """``while cond_fn(*vals): vals = body_fn(*vals)``, run eagerly. ``cond_fn`` must return
    a bool or a boolean scalar tensor; ``body_fn`` returns the next values (as many as
    ``carried_inputs``). Without a single iteration the result is clones of the inputs."""
    if not callable(cond_fn) or not callable(body_fn):
        raise RuntimeError("Expect cond_fn and body_fn to be callable.")
    if not isinstance(carried_inputs, (tuple, list)):
        raise RuntimeError(f"carried_inputs must be a tuple or list but got "
                           f"{type(carried_inputs)}")
    leaves = _leaves(carried_inputs)
    if not all(isinstance(x, (T.Tensor, int)) for x in leaves):
        raise AssertionError(f"{leaves} can only be of (<class 'torch.Tensor'>, <class 'int'>, "
                             f"<class 'torch.SymInt'>) but got {tuple(type(x) for x in leaves)}")

    def should_loop(vals):
        pred = cond_fn(*vals)
        scalar_bool = (isinstance(pred, T.Tensor) and pred.dim() == 0
                       and pred.dtype is D.bool_)
        if not (scalar_bool or isinstance(pred, bool)):
            raise RuntimeError(f"cond_fn must return a boolean scalar tensor or a boolean but "
                               f"got {pred}")
        return bool(pred)

    vals = tuple(carried_inputs)
    if not should_loop(vals):
        return tuple(v.clone() if isinstance(v, T.Tensor) else v for v in vals)
    while True:
        out = body_fn(*vals)
        vals = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        if len(vals) != len(carried_inputs):
            raise AssertionError(f"body_fn should return the same number of elements as "
                                 f"carried_inputs, got {len(vals)} vs {len(carried_inputs)}")
        if not should_loop(vals):
            return out
