"""``torch.cpu``: the one device tensorkeys has, and its deprecated ``amp`` names."""

from __future__ import annotations

from . import amp as _amp

__all__ = ["is_available", "device_count", "current_device", "synchronize", "amp"]


def is_available() -> bool:
    return True


def device_count() -> int:
    return 1


def current_device() -> str:
    return "cpu"


def synchronize(device=None) -> None:
    """Wait for the CPU's work: every op has finished when it returns, so nothing to do."""


amp = _amp.deprecated_amp("cpu")
