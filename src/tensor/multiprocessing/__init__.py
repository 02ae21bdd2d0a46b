"""``tensor.multiprocessing``: Python's ``multiprocessing`` with PyTorch's additions
(``torch.multiprocessing``): every name of the standard module, the sharing-strategy
switches, and ``spawn`` / ``start_processes`` with ``ProcessContext`` (see ``spawn.py``).

The sharing strategy is only recorded: our tensors live in numpy arrays, so a tensor sent to
another process (through a ``Queue``, as an argument) arrives as a pickled copy, not as a view
of shared memory. ``init_reductions`` therefore registers nothing.
"""

import multiprocessing
import sys

from multiprocessing import *  # noqa: F401,F403

from .spawn import (  # noqa: F401
    ENV_VAR_PARALLEL_START, ProcessContext, ProcessException, ProcessExitedException,
    ProcessRaisedException, SpawnContext, spawn, start_processes,
)

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies"]
__all__ += multiprocessing.__all__

if sys.platform in ("darwin", "win32"):
    _sharing_strategy = "file_system"
    _all_sharing_strategies = {"file_system"}
else:
    _sharing_strategy = "file_descriptor"
    _all_sharing_strategies = {"file_descriptor", "file_system"}


def set_sharing_strategy(new_strategy):
    """Choose how CPU tensors would be shared: one of ``get_all_sharing_strategies()``."""
    global _sharing_strategy
    if new_strategy not in _all_sharing_strategies:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}, expected one of "
                             f"{_all_sharing_strategies}")
    _sharing_strategy = new_strategy


def get_sharing_strategy():
    return _sharing_strategy


def get_all_sharing_strategies():
    """The strategies this platform supports (a set of names)."""
    return _all_sharing_strategies


def init_reductions():
    """Nothing to register: tensors cross processes as pickled copies (see above)."""
