"""Gradcheck inputs for ``sub.Scalar`` (opdefs/pointwise.py), the overload PyTorch's C++
composites reach when they subtract a number (cosine_embedding_loss's ``cos - margin``), and
for the ops PyTorch records a node for without a derivative: ``_unique2`` (opdefs/aliases.py),
``unique_consecutive``, ``bincount`` and ``histogram`` (opdefs/selection.py); loaded by
test_gradcheck_registry.py.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

_NO_DERIVATIVE = ("PyTorch has no derivative here (Unique2Backward0 / "
                  "UniqueConsecutiveBackward0 / its NotImplemented node): backward raises by "
                  "design")
XFAIL = {(f"aten::{n}", check): _NO_DERIVATIVE
         for n in ("_unique2", "unique_consecutive", "bincount", "histogram.bin_ct",
                   "histogram.bins_tensor")
         for check in ("grad", "gradgrad")}


def makers(ns):
    def sub_scalar(draw, inplace):
        a = ns.values(draw, ns.shapes(draw), -2.0, 2.0)
        return ns.Case(a, draw(st.sampled_from([2, -0.5, 3.25])),
                       alpha=draw(st.sampled_from([1, 2, -0.5])))

    def unique2(draw, inplace):
        a = ns.values(draw, ns.shapes(draw, min_dims=1), -2.0, 2.0)
        return ns.Case(a, True, draw(st.booleans()), draw(st.booleans()))

    def unique_consecutive(draw, inplace):
        a = ns.values(draw, ns.shapes(draw, min_dims=1), -2.0, 2.0)
        return ns.Case(a, draw(st.booleans()), draw(st.booleans()), None)

    def bincount(draw, inplace):
        n = draw(st.integers(1, 5))
        idx = np.array(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)), np.int64)
        return ns.Case(ns.Const(idx), ns.values(draw, (n,), -2.0, 2.0))

    def histogram_bins(draw, inplace):
        shape = ns.shapes(draw, min_dims=1)
        return ns.Case(ns.values(draw, shape, -2.0, 2.0), draw(st.integers(1, 4)),
                       range=[-2.0, 2.0], weight=ns.values(draw, shape, 0.0, 2.0))

    def histogram_edges(draw, inplace):
        edges = ns.Const(np.array([-2.0, -0.5, 0.5, 2.0]))
        return ns.Case(ns.values(draw, ns.shapes(draw, min_dims=1), -2.0, 2.0), edges)

    return {"aten::sub.Scalar": sub_scalar, "aten::_unique2": unique2,
            "aten::unique_consecutive": unique_consecutive, "aten::bincount": bincount,
            "aten::histogram.bin_ct": histogram_bins,
            "aten::histogram.bins_tensor": histogram_edges}
