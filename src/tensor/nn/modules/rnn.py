"""``tensor.nn.modules.rnn``: the recurrent layers (PyTorch's ``torch.nn.modules.rnn``)."""

from ..recurrent import (  # noqa: F401
    RNNBase, RNN, LSTM, GRU, RNNCellBase, RNNCell, LSTMCell, GRUCell
)

__all__ = [
    "RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"
]


def _apply_permutation(tensor, permutation, dim=1):
    """``tensor`` reordered along ``dim`` by ``permutation`` (PyTorch's helper for packed
    sequences' sorted order)."""
    return tensor.index_select(dim, permutation)
