"""Three-dimensional pooling and the unpooling ops (``max_pool3d_with_indices``,
``avg_pool3d``, the adaptive and LP forms, ``max_unpool1d/2d/3d``).

``FUNCTIONS`` / ``TOPLEVEL`` list what ``tensor/__init__`` exposes as ``torch.<name>``.
"""

from __future__ import annotations

FUNCTIONS: list = []
TOPLEVEL: dict = {}
