"""``tensor.optim``: PyTorch's optimizers and learning-rate schedulers.

Each optimizer's ``step`` follows PyTorch's single-tensor CPU algorithm operation by operation,
in the parameter's dtype, so results agree with PyTorch's (bit for bit on small tensors, where
PyTorch's kernels take their scalar path). State is kept per parameter under PyTorch's names and
``state_dict`` / ``load_state_dict`` use PyTorch's layout.
"""

from . import lr_scheduler, swa_utils  # noqa: F401
from ._first_order import (ASGD, SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, NAdam, RAdam,
                           RMSprop, Rprop)
from .adafactor import Adafactor
from .lbfgs import LBFGS
from .optimizer import Optimizer

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "NAdam",
           "RAdam", "Adadelta", "ASGD", "Rprop", "LBFGS", "Adafactor", "lr_scheduler", "swa_utils"]
