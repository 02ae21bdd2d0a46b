"""Gradcheck inputs for opdefs/surface_ops.py (as_strided_, embedding, its dense backward,
binomial); loaded by test_gradcheck_registry.py."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

XFAIL = {("aten::binomial", check): "PyTorch records a NotImplemented node for binomial: "
         "backward raises by design" for check in ("grad", "gradgrad")}


def makers(ns):
    def m_as_strided_(draw, inplace):
        n = draw(st.integers(2, 6))
        size = [draw(st.integers(1, 3))]
        stride = [draw(st.integers(0, 2))]
        if (size[0] - 1) * stride[0] >= n:
            size = [1]
        span = (size[0] - 1) * stride[0]
        off = draw(st.one_of(st.none(), st.integers(0, n - 1 - span)))
        return ns.Case(ns.values(draw, (n,), layout=False), size, stride, off)

    def indices(draw, rows):
        shape = ns.shapes(draw, min_dims=1, max_dims=2)
        return np.asarray(draw(st.lists(st.integers(0, rows - 1), min_size=int(np.prod(shape)),
                                        max_size=int(np.prod(shape))))).reshape(shape)

    def m_embedding(draw, inplace):
        rows = draw(st.integers(1, 4))
        idx = indices(draw, rows)
        # a padding row that is looked up, or a scaled gradient, differs from finite
        # differences by design (PyTorch's too): padding only among rows not looked up
        free = sorted(set(range(rows)) - set(idx.reshape(-1).tolist()))
        pad = draw(st.sampled_from([-1] + free))
        return ns.Case(ns.values(draw, (rows, 2)), ns.Const(idx), pad, False, False)

    def m_dense_backward(draw, inplace):
        rows = draw(st.integers(1, 4))
        idx = indices(draw, rows)
        pad = draw(st.integers(-1, rows - 1))
        return ns.Case(ns.values(draw, idx.shape + (2,), layout=False), ns.Const(idx), rows,
                       pad, False)

    def m_binomial(draw, inplace):
        return ns.Case(ns.values(draw, (2,), 1.0, 5.0), ns.values(draw, (2,), 0.1, 0.9))

    return {"aten::as_strided_": m_as_strided_, "aten::embedding": m_embedding,
            "aten::embedding_dense_backward": m_dense_backward, "aten::binomial": m_binomial}
