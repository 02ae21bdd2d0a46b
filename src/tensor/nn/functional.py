"""``tensor.nn.functional`` (``import tensor.nn.functional as F``)."""

from ..nn_functional import *  # noqa: F401,F403
from ..nn_functional import __all__  # noqa: F401
