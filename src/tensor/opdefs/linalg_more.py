"""More linear algebra: the LU family, LDL, Householder products, ``tensorinv`` /
``tensorsolve``, ``vander``, ``cond``; and ``torch.*`` functions of the same kind.

``LINALG`` maps names to the functions ``tensor.linalg`` exposes; ``FUNCTIONS`` / ``TOPLEVEL``
list what ``tensor/__init__`` exposes as ``torch.<name>``.
"""

from __future__ import annotations

LINALG: dict = {}
FUNCTIONS: list = []
TOPLEVEL: dict = {}
