"""``torch.jit`` for code that runs eagerly (``torch.compiler`` is in compiler.py).

tensorkeys has no TorchScript and no compiler. What code written for PyTorch asks of these
modules falls in two kinds:

- questions and markers that eager PyTorch itself answers trivially: ``is_scripting()`` and
  ``is_tracing()`` are False outside a script or a trace
  (always, here); ``ignore``, ``unused`` and ``export`` mark a function and return it;
  ``annotate`` returns its value.
  These behave exactly as in PyTorch's eager mode.
- ``script`` and ``trace``, which would turn a function or module into a TorchScript program.
  Here they return it unchanged, so it runs eagerly: the same results for code TorchScript
  accepts, and none of TorchScript's checks. ``trace`` runs the function once on its example
  inputs, as PyTorch does when it records. ``save`` / ``load`` of TorchScript archives are
  refused with a pointer to ``torch.save``.
"""

from __future__ import annotations

import warnings
from typing import Final  # noqa: F401  (``torch.jit.Final`` is typing's)

__all__ = ["is_scripting", "is_tracing", "ignore", "unused", "export", "annotate", "Final",
           "script", "trace", "save", "load"]


def is_scripting() -> bool:
    """True inside TorchScript; tensorkeys never scripts, so always False."""
    return False


def is_tracing() -> bool:
    """True while ``jit.trace`` records; tensorkeys never records a trace, so always False."""
    return False


def ignore(drop=False, **kwargs):
    """Mark a function for TorchScript to leave as Python; eagerly a no-op. Usable as
    ``@ignore`` and ``@ignore(drop=True)``."""
    if callable(drop):
        return drop
    if not isinstance(drop, bool):
        raise RuntimeError("Argument to @torch.jit.ignore must be a bool or a function but "
                           f"got {drop}")
    return lambda fn: fn


def unused(fn):
    """Mark a method TorchScript should not compile; eagerly it is returned as it is."""
    return fn


def export(fn):
    """Mark a method TorchScript should compile as an entry point; eagerly a no-op."""
    return fn


def annotate(the_type, the_value):
    """Give TorchScript the type of ``the_value``; eagerly the value itself."""
    return the_value


def _deprecated(name):
    warnings.warn(f"`torch.jit.{name}` is deprecated. Please switch to `torch.compile` or "
                  "`torch.export`.", DeprecationWarning, stacklevel=3)


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Return ``obj`` (a function or module) unchanged: it runs eagerly, with no TorchScript
    compilation or type checks (see the module docstring)."""
    _deprecated("script")
    if not callable(obj):
        raise TypeError(f"{type(obj)} is a built-in class. Hint: jit.script takes a "
                        "function, a module or a class.")
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None,
          check_tolerance=1e-05, strict=True, _force_outplace=False, _module_class=None,
          _compilation_unit=None, example_kwarg_inputs=None, _store_inputs=True):
    """Run ``func`` once on ``example_inputs`` (a tensor or a tuple of them) or
    ``example_kwarg_inputs`` (a dict), as PyTorch does to record a trace, and return ``func``
    unchanged: later calls run eagerly, so data-dependent control flow is not frozen as it
    would be in a real trace."""
    _deprecated("trace")
    if not callable(func):
        raise RuntimeError("Could not get name of python class object. Hint: jit.trace takes "
                           "a function or a module.")
    if example_inputs is None and example_kwarg_inputs is None:
        raise TypeError("'NoneType' object is not iterable. Hint: pass example_inputs, the "
                        "arguments to run the function on once.")
    if example_kwarg_inputs is not None:
        if not isinstance(example_kwarg_inputs, dict):
            raise RuntimeError("example_kwarg_inputs should be a dict")
        func(**example_kwarg_inputs)
    else:
        args = example_inputs if isinstance(example_inputs, tuple) else (example_inputs,)
        func(*args)
    return func


def save(m, f, _extra_files=None):
    raise RuntimeError("torch.jit.save writes TorchScript archives, which tensorkeys cannot "
                       "make. Hint: save the state with torch.save(m.state_dict(), f).")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    raise RuntimeError("torch.jit.load reads TorchScript archives, which tensorkeys cannot "
                       "run. Hint: rebuild the module and load a state_dict saved with "
                       "torch.save.")
