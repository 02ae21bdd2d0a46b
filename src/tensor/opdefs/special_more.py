"""More special functions: Bessel functions, the orthogonal polynomial families, the
incomplete gamma functions, ``zeta``, ``airy_ai``.

``SPECIAL`` maps names to the functions ``tensor.special`` exposes; ``FUNCTIONS`` /
``TOPLEVEL`` list what ``tensor/__init__`` exposes as ``torch.<name>``.
"""

from __future__ import annotations

SPECIAL: dict = {}
FUNCTIONS: list = []
TOPLEVEL: dict = {}
