"""``torch.nn.utils.rnn``: packed sequences and padding helpers (defined in nn/rnn_utils.py)."""

from ..rnn_utils import *  # noqa: F401,F403
from ..rnn_utils import __all__  # noqa: F401
