"""Gradcheck inputs for the ops the differential sweeps added: ``mul.Scalar``, ``add.Scalar``,
``div.Scalar``, ``remainder.Scalar`` (opdefs/pointwise.py), ``norm.ScalarOpt_dim``
(opdefs/reduction.py), ``nansum`` (opdefs/aliases.py) and the plain ``sort`` overload
(opdefs/extra.py); loaded by test_gradcheck_registry.py.
"""

from __future__ import annotations

from hypothesis import strategies as st

XFAIL = {("aten::remainder.Scalar_Tensor", check):
         "PyTorch records a NotImplemented node for number % tensor: backward raises by design"
         for check in ("grad", "gradgrad")}


def makers(ns):
    def tensor_scalar(scalars, alpha=False):
        def make(draw, inplace):
            kw = {"alpha": draw(st.sampled_from([1, 2, -0.5]))} if alpha else {}
            a = ns.values(draw, ns.shapes(draw), -2.0, 2.0)
            return ns.Case(a, draw(st.sampled_from(scalars)), **kw)
        return make

    def remainder_scalar(draw, inplace):
        """self / other away from integers: the floored quotient does not jump there."""
        other = draw(st.sampled_from([0.75, -1.5, 2.0]))
        q = ns.values(draw, ns.shapes(draw), -3.0, 3.0, ns.away_from_integers(margin=0.05))
        return ns.Case(q * other, other)

    def scalar_tensor(draw, inplace):
        return ns.Case(draw(st.sampled_from([2.5, -3])), ns.values(
            draw, ns.shapes(draw), 0.5, 2.0))

    def sort_default(draw, inplace):
        shape = ns.shapes(draw)
        return ns.Case(ns.distinct(draw, shape), ns.dim_of(draw, len(shape)),
                       draw(st.booleans()))

    def norm_dims(draw, inplace):
        """The vector norm's inputs, with ``dim`` always given (None stands for p=2)."""
        case = ns.m_vector_norm(draw, inplace)
        a, p, dim, keepdim = case.args
        if dim is None:
            dim = list(range(a.ndim)) or [0]
        return ns.Case(a, draw(st.sampled_from([p, None])), dim, keepdim)

    return {"aten::remainder.Scalar_Tensor": scalar_tensor,
            "aten::nansum": ns.m_dim_reduce(),
            "aten::sort": sort_default,
            "aten::mul.Scalar": tensor_scalar([2, -0.5, 3.25, True]),
            "aten::add.Scalar": tensor_scalar([2, -0.5, 3.25], alpha=True),
            "aten::div.Scalar": tensor_scalar([2, -0.5, 3.25]),
            "aten::norm.ScalarOpt_dim": norm_dims,
            "aten::remainder.Scalar": remainder_scalar,
            "aten::remainder_.Scalar": remainder_scalar}
