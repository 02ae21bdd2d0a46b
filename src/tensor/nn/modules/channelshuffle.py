"""``tensor.nn.modules.channelshuffle``: ``ChannelShuffle`` (PyTorch's
``torch.nn.modules.channelshuffle``)."""

from ..modules_extra import ChannelShuffle  # noqa: F401

__all__ = [
    "ChannelShuffle"
]
