"""Gradcheck inputs for the in-place comparisons with a Python number (``eq_.Scalar`` ...
``ge_.Scalar``, opdefs/pointwise.py): PyTorch records them with a zero gradient for ``self``;
loaded by test_gradcheck_registry.py.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


def makers(ns):
    def apart(draw, inplace):
        """``self`` at least 0.1 from the number everywhere: the 0/1 result does not jump
        within a finite-difference step."""
        other = draw(st.sampled_from([0.5, -1.0, 2.0]))
        shape = ns.shapes(draw)
        gap = ns.values(draw, shape, 0.1, 1.5) * draw(st.sampled_from([1.0, -1.0]))
        return ns.Case(np.asarray(other + gap), other)
    return {f"aten::{name}_.Scalar": apart for name in ("eq", "ne", "lt", "le", "gt", "ge")}
