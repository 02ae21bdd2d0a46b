"""Gradcheck makers for ``addcmul`` / ``addcdiv`` (declared in opdefs/aliases.py): three
broadcastable operands, ``tensor2`` kept away from 0 for the division, and a Scalar
``value``."""

from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


def makers(ns):
    def m_addc(divide):
        def make(draw, inplace):
            bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
            s, t1, t2 = bs.input_shapes
            if inplace:
                s = bs.result_shape
            fix = ns.away_from(0.0, margin=0.3) if divide else None
            value = draw(st.sampled_from([1, -0.5, 2.0]))
            return ns.Case(ns.values(draw, s), ns.values(draw, t1),
                           ns.values(draw, t2, fix=fix), value=value)
        return make
    return {"aten::addcmul": m_addc(False), "aten::addcmul_": m_addc(False),
            "aten::addcdiv": m_addc(True), "aten::addcdiv_": m_addc(True)}
