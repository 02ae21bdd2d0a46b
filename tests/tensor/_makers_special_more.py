"""Gradcheck inputs for the differentiable ops of opdefs/special_more.py (loaded by
test_gradcheck_registry.py).

Only the second argument of igamma / igammac / zeta has a derivative in PyTorch, so the first
is a constant of the check; ``special_zeta.other_scalar`` has no differentiable input at all.
Inputs stay where the functions are smooth: positive shape parameters, x > 0, zeta's s > 1
and q > 0.
"""

from __future__ import annotations

from hypothesis import strategies as st

XFAIL = {("aten::special_zeta.other_scalar", check):
         "PyTorch has no derivative for zeta's first argument: its node raises by design"
         for check in ("grad", "gradgrad")}


def makers(ns):
    def pair(lo_a, hi_a, lo_x, hi_x):
        def make(draw, inplace):
            s, o = ns.broadcast_pair(draw, inplace)
            return ns.Case(ns.Const(ns.values(draw, s, lo_a, hi_a)),
                           ns.values(draw, o, lo_x, hi_x))
        return make

    def zeta_scalar_self(draw, inplace):
        return ns.Case(draw(st.sampled_from([2.5, 3.0, 4.0])),
                       ns.values(draw, ns.shapes(draw), 0.5, 3.0))

    def zeta_scalar_other(draw, inplace):
        return ns.Case(ns.values(draw, ns.shapes(draw), 1.5, 4.0), 1.5)

    gamma = pair(0.5, 3.0, 0.3, 3.0)
    return {
        "aten::igamma": gamma, "aten::igamma_": gamma,
        "aten::igammac": gamma, "aten::igammac_": gamma,
        "aten::special_gammainc": gamma, "aten::special_gammaincc": gamma,
        "aten::special_zeta": pair(1.5, 4.0, 0.5, 3.0),
        "aten::special_zeta.self_scalar": zeta_scalar_self,
        "aten::special_zeta.other_scalar": zeta_scalar_other,
    }
