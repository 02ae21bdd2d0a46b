"""Gradcheck input makers for the random ops of ``opdefs/factories.py`` (loaded by
``test_gradcheck_registry.py``). Each call gets a freshly seeded numpy generator, so every
perturbation of gradcheck draws the same numbers."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


def _fresh(ns, seed=0):
    return ns.Fresh(lambda: np.random.default_rng(seed))


def makers(ns):
    Case, values, shapes = ns.Case, ns.values, ns.shapes

    def fill(*args):
        def m(draw, inplace):
            return Case(values(draw, shapes(draw)), *args, generator=_fresh(ns))
        return m

    def m_random_from(draw, inplace):
        to = draw(st.sampled_from([None, 7]))
        return Case(values(draw, shapes(draw)), -3, to, generator=_fresh(ns))

    def m_normal_tensor_float(draw, inplace):
        return Case(values(draw, shapes(draw)), 0.5, generator=_fresh(ns))

    def m_normal_float_tensor(draw, inplace):
        return Case(0.5, values(draw, shapes(draw), 0.5, 2.0), generator=_fresh(ns))

    def m_normal_tensor_tensor(draw, inplace):
        s = shapes(draw)
        return Case(values(draw, s), values(draw, s, 0.5, 2.0), generator=_fresh(ns))

    def m_bernoulli_tensor(draw, inplace):
        s = shapes(draw)
        return Case(values(draw, s), values(draw, s, 0.1, 0.9), generator=_fresh(ns))

    def m_poisson(draw, inplace):
        # rates away from zero; the counts are whole numbers, flat under small perturbations
        return Case(values(draw, shapes(draw), 0.5, 4.0), generator=_fresh(ns))

    return {
        "aten::exponential_": fill(1.5), "aten::geometric_": fill(0.3),
        "aten::log_normal_": fill(0.0, 0.5), "aten::cauchy_": fill(0.0, 1.0),
        "aten::random_": fill(), "aten::random_.to": fill(9),
        "aten::bernoulli_.float": fill(0.5), "aten::bernoulli_.Tensor": m_bernoulli_tensor,
        "aten::random_.from": m_random_from,
        "aten::normal.Tensor_float": m_normal_tensor_float,
        "aten::normal.float_Tensor": m_normal_float_tensor,
        "aten::normal.Tensor_Tensor": m_normal_tensor_tensor,
        "aten::poisson": m_poisson,
    }


_ZERO_BY_DEFINITION = (
    "PyTorch defines the gradient of normal() as zero (no reparameterisation), while the "
    "numerical derivative of mean + std * z with z fixed is not zero")
XFAIL = {(f"aten::normal.{o}", "grad"): _ZERO_BY_DEFINITION
         for o in ("Tensor_float", "float_Tensor", "Tensor_Tensor")}
