"""Gradcheck inputs for the ops of opdefs/special.py (loaded by test_gradcheck_registry.py).

Inputs stay away from each function's poles and jumps: copysign and the Bessel
formulas at 0, xlogy's switch at self == 0, frexp's exponent steps at powers of two,
nextafter's direction change at self == other.
"""

from __future__ import annotations

from hypothesis import strategies as st

_NO_DERIVATIVE = "PyTorch records a NotImplemented node: backward raises by design"
XFAIL = {(f"aten::{n}", check): _NO_DERIVATIVE
         for n in ("heaviside", "heaviside_", "floor_divide", "floor_divide.Scalar",
                   "floor_divide_.Tensor", "floor_divide_.Scalar")
         for check in ("grad", "gradgrad")}
XFAIL.update({(f"aten::{n}_", check): "PyTorch has no derivative for the in-place form: "
              f"{n.capitalize()}Backward1 raises at backward by design"
              for n in ("asinh", "acosh", "atanh") for check in ("grad", "gradgrad")})


def makers(ns):
    not0 = ns.away_from(0.0, margin=0.1)

    def pair(self_lo=-2.0, self_hi=2.0, self_fix=None, lo=-2.0, hi=2.0, fix=None):
        def make(draw, inplace):
            s, o = ns.broadcast_pair(draw, inplace)
            return ns.Case(ns.values(draw, s, self_lo, self_hi, self_fix),
                           ns.values(draw, o, lo, hi, fix))
        return make

    def tensor_scalar(scalars, self_lo=-2.0, self_hi=2.0, self_fix=None):
        def make(draw, inplace):
            return ns.Case(ns.values(draw, ns.shapes(draw), self_lo, self_hi, self_fix),
                           draw(st.sampled_from(scalars)))
        return make

    def scalar_tensor(scalars, lo, hi):
        def make(draw, inplace):
            return ns.Case(draw(st.sampled_from(scalars)),
                           ns.values(draw, ns.shapes(draw), lo, hi))
        return make

    def polygamma(draw, inplace):
        n = draw(st.integers(0, 3))
        x = ns.values(draw, ns.shapes(draw), 0.5, 3.0)
        return ns.Case(x, n) if inplace else ns.Case(n, x)

    def mvlgamma(draw, inplace):
        p = draw(st.integers(1, 3))
        return ns.Case(ns.values(draw, ns.shapes(draw), (p - 1) / 2 + 0.3, (p - 1) / 2 + 3.0),
                       p)

    def nextafter(draw, inplace):
        s, o = ns.broadcast_pair(draw, inplace)
        a = ns.values(draw, s)
        step = ns.values(draw, o, 0.2, 1.0) * draw(st.sampled_from([1.0, -1.0]))
        return ns.Case(a, ns.Const(a + step) if a.shape == (a + step).shape else a + step)

    out = {
        "aten::angle": ns.unary(fix=not0),
        "aten::conj_physical": ns.unary(), "aten::conj_physical_": ns.unary(),
        "aten::_conj_physical": ns.unary(),
        "aten::erfc": ns.unary(), "aten::erfc_": ns.unary(),
        "aten::i0": ns.unary(), "aten::i0_": ns.unary(),
        "aten::frexp.Tensor": ns.unary(0.55, 0.95),
        "aten::logaddexp2": pair(),
        "aten::mvlgamma": mvlgamma, "aten::mvlgamma_": mvlgamma,
        "aten::nextafter": nextafter, "aten::nextafter_": nextafter,
        "aten::polygamma": polygamma, "aten::polygamma_": polygamma,
        "aten::ldexp.Tensor": pair(), "aten::ldexp_": pair(),
        "aten::special_entr": ns.unary(0.2, 3.0),
        "aten::special_erfcx": ns.unary(),
        "aten::special_i0e": ns.unary(fix=not0),
        "aten::special_i1": ns.unary(fix=not0),
        "aten::special_i1e": ns.unary(fix=not0),
        "aten::special_log_ndtr": ns.unary(),
        "aten::special_ndtri": ns.unary(0.1, 0.9),
        "aten::special_xlog1py.Tensor": pair(self_fix=not0, lo=-0.5, hi=2.0),
        "aten::special_xlog1py.Scalar_Other": tensor_scalar([1.5, -0.5], self_fix=not0),
        "aten::special_xlog1py.Scalar_Self": scalar_tensor([2.0, -1.5], -0.5, 2.0),
        "aten::copysign.Tensor": pair(self_fix=not0, fix=not0),
        "aten::copysign_.Tensor": pair(self_fix=not0, fix=not0),
        "aten::copysign.Scalar": tensor_scalar([-1.5, 2.0], self_fix=not0),
        "aten::copysign_.Scalar": tensor_scalar([-1.5, 2.0], self_fix=not0),
        "aten::heaviside": pair(self_fix=not0), "aten::heaviside_": pair(self_fix=not0),
        "aten::floor_divide": pair(fix=ns.away_from(0.0, margin=0.3)),
        "aten::floor_divide_.Tensor": pair(fix=ns.away_from(0.0, margin=0.3)),
        "aten::floor_divide.Scalar": tensor_scalar([0.7, -1.5]),
        "aten::floor_divide_.Scalar": tensor_scalar([0.7, -1.5]),
    }
    for name in ("xlogy", "xlogy_"):
        out[f"aten::{name}.Tensor"] = pair(self_fix=not0, lo=0.2, hi=3.0)
        out[f"aten::{name}.Scalar_Other"] = tensor_scalar([2.5, 0.5], self_fix=not0)
    out["aten::xlogy.Scalar_Self"] = scalar_tensor([2.0, -1.5], 0.2, 3.0)
    return out
