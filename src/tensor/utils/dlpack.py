"""``torch.utils.dlpack``: exchange tensors with other array libraries through DLPack."""

from __future__ import annotations

from ..surface_more import from_dlpack

__all__ = ["from_dlpack", "to_dlpack"]


def to_dlpack(tensor):
    """A DLPack capsule over ``tensor``'s memory (consumable once, by ``from_dlpack``)."""
    return tensor.__dlpack__()
