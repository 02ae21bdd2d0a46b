"""The aten ops behind the less common ``nn.functional`` entries (``bilinear``,
``channel_shuffle``, ``pdist``, ``grid_sampler``, ``embedding_bag``, the alpha dropouts...).

``FUNCTIONS`` / ``TOPLEVEL`` list what ``tensor/__init__`` exposes as ``torch.<name>``.
"""

from __future__ import annotations

FUNCTIONS: list = []
TOPLEVEL: dict = {}
