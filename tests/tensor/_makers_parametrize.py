"""Gradcheck input makers for ``aten::_weight_norm_interface`` (declared in
``tensor/nn/utils/_weight_norm_ops.py``; loaded by ``test_gradcheck_registry.py``)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


def makers(ns):
    Case, values, shapes = ns.Case, ns.values, ns.shapes

    def m_weight_norm_interface(draw, inplace):
        shape = shapes(draw, min_dims=1)
        dim = draw(st.sampled_from([0, len(shape) - 1]))
        # each slice kept away from norm 0 (the norm has a kink there)
        v = values(draw, shape, 0.5, 2.0)
        v = v * np.where(values(draw, shape, -1.0, 1.0, layout=False) < 0, -1.0, 1.0)
        g_shape = tuple(s if i == dim else 1 for i, s in enumerate(shape))
        if draw(st.booleans()):
            g_shape = (shape[dim],)
        return Case(v, values(draw, g_shape), dim)

    return {"aten::_weight_norm_interface": m_weight_norm_interface}
