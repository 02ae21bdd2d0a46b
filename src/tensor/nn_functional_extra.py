"""``nn.functional`` entries over ``opdefs/nn_extra.py`` (re-exported by ``nn.functional``)."""

from __future__ import annotations

__all__: list = []
