"""Gradcheck inputs for the in-place comparisons (``eq_.Tensor`` ... ``ge_.Tensor``,
opdefs/pointwise.py): PyTorch records them with zero gradients for both operands; loaded by
test_gradcheck_registry.py.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


def makers(ns):
    def apart(draw, inplace):
        """``other`` at least 0.1 from ``self`` everywhere: the 0/1 result does not jump
        within a finite-difference step."""
        shape = ns.shapes(draw)
        a = ns.values(draw, shape, -2.0, 2.0)
        gap = ns.values(draw, shape, 0.1, 1.0) * draw(st.sampled_from([1.0, -1.0]))
        return ns.Case(a, np.asarray(a + gap))
    return {f"aten::{name}_.Tensor": apart for name in ("eq", "ne", "lt", "le", "gt", "ge")}
