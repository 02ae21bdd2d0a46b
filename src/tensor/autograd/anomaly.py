"""Anomaly detection: ``detect_anomaly``, ``set_detect_anomaly`` and the flags behind them.

While anomaly mode is on:

- every node an op records remembers the Python stack of the forward call that made it
  (Note [Watching recording through a dispatch key] in _graph_hooks.py), and, when it is made
  by a backward pass (``create_graph=True``), the node whose backward made it;
- when a node fails during backward, a ``UserWarning`` "Error detected in XBackward0.
  Traceback of forward call that caused the error: ..." shows that stack (and one more
  warning per earlier node that induced it) before the error propagates;
- with ``check_nan`` (the default), a node that returns a gradient containing NaN raises
  ``RuntimeError: Function 'XBackward0' returned nan values in its 0th output.``

The engine asks :data:`ENABLED` once per backward run; with anomaly mode off the only cost
is that test. As in PyTorch, ``detect_anomaly`` is a context manager only (not a decorator).
Beyond PyTorch: the recorded stack ends at the user's call (frames inside tensorkeys are
left out), and the mode is per thread (PyTorch's is process-wide).
"""

from __future__ import annotations

import os
import traceback
import warnings

import numpy as np

from . import _graph_hooks

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "set_anomaly_enabled"]

#: ``[enabled, check_nan]``; read by the engine at the start of every run
ENABLED = [False, True]
_running: list = []      # nodes whose backward is running (innermost last), in anomaly mode

_SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_OURS = tuple(os.path.join(_SRC, p) + os.sep for p in ("tensor", "dispatch", "modes"))


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on."""
    return ENABLED[0]


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly detection checks gradients for NaN."""
    return ENABLED[1]


def set_anomaly_enabled(enabled, check_nan=True):
    """Turn anomaly detection on or off (``torch.set_anomaly_enabled``)."""
    ENABLED[0] = bool(enabled)
    ENABLED[1] = bool(check_nan)
    if ENABLED[0]:
        _graph_hooks.activate("anomaly", _remember_forward)
    else:
        _graph_hooks.deactivate("anomaly")


class detect_anomaly:
    """Context manager enabling anomaly detection inside its block (see the module doc)."""

    def __init__(self, check_nan=True):
        self.prev = is_anomaly_enabled()
        self.check_nan = check_nan
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self):
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *args):
        set_anomaly_enabled(self.prev, self.prev_check_nan)


class set_detect_anomaly:
    """Set anomaly detection on or off at once; used as a context manager, the previous
    setting comes back at the end of the block."""

    def __init__(self, mode, check_nan=True):
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *args):
        set_anomaly_enabled(self.prev, self.prev_check_nan)


# -- recording ------------------------------------------------------------------------------
def _remember_forward(node):
    d = node.__dict__
    if "_anomaly_stack" not in d:
        d["_anomaly_stack"] = _user_stack()
        if _running:
            d["_anomaly_parent"] = _running[-1]


def _user_stack():
    """The formatted Python stack, without the frames inside tensorkeys at its end."""
    frames = traceback.extract_stack()
    while frames and (frames[-1].filename.startswith(_OURS)
                      or frames[-1].filename.startswith("<")):
        frames.pop()
    return traceback.format_list(frames)


# -- the engine's side ----------------------------------------------------------------------
def apply_node(node, grads):
    """``node.apply(grads)``, with ``node`` known as the parent of nodes its formulas
    record."""
    _running.append(node)
    try:
        return node.apply(grads)
    finally:
        _running.pop()


def check_outputs(node, outs):
    """Raise when ``check_nan`` is on and a gradient ``node`` returned holds NaN."""
    if not ENABLED[1]:
        return
    for i, g in enumerate(outs):
        if g is not None and g._data.dtype.kind in "fc" and np.isnan(g._data).any():
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               "output.")


def report_failure(node):
    """Warn with the forward stack of the failing ``node`` and of the nodes that induced it."""
    name = node.name()
    stack = node.__dict__.get("_anomaly_stack")
    if stack is None:
        warnings.warn(f"Error detected in {name}. No forward pass information available. "
                      "Enable detect anomaly during forward pass for more information.",
                      UserWarning, stacklevel=4)
        return
    warnings.warn(f"Error detected in {name}. Traceback of forward call that caused the "
                  f"error:\n{''.join(stack)}", UserWarning, stacklevel=4)
    parent = node.__dict__.get("_anomaly_parent")
    while parent is not None:
        stack = parent.__dict__.get("_anomaly_stack")
        if stack is None:
            break
        warnings.warn(f"\n\nPrevious calculation was induced by {parent.name()}. Traceback of "
                      f"forward call that induced the previous calculation:\n{''.join(stack)}",
                      UserWarning, stacklevel=4)
        parent = parent.__dict__.get("_anomaly_parent")
