"""Gradcheck input makers for the grid samplers' backward ops (the samples of the forward ops
plus a gradient), ``hardsigmoid_backward``, ``multi_margin_loss_backward`` and
``nll_loss_backward`` (loaded by ``test_gradcheck_registry.py``)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

_NO_HSIG_BW = "PyTorch defines no derivative for hardsigmoid_backward"
_NO_MM_BW = "PyTorch defines no derivative for multi_margin_loss_backward"
XFAIL = {
    ("aten::hardsigmoid", "gradgrad"): _NO_HSIG_BW,
    ("aten::hardsigmoid_", "gradgrad"): _NO_HSIG_BW,
    ("aten::hardsigmoid_backward", "grad"): _NO_HSIG_BW,
    ("aten::hardsigmoid_backward", "gradgrad"): _NO_HSIG_BW,
    ("aten::multi_margin_loss", "gradgrad"): _NO_MM_BW,
    ("aten::multi_margin_loss_backward", "grad"): _NO_MM_BW,
    ("aten::multi_margin_loss_backward", "gradgrad"): _NO_MM_BW,
}


def makers(ns):
    def m_grid_sampler_backward(d):
        def make(draw, inplace):
            x, grid, mode, padding, align = \
                ns.MAKERS[f"aten::grid_sampler_{d}d"](draw, inplace).args
            go = ns.values(draw, x.shape[:2] + grid.shape[1:-1])
            # (output_mask[0] False: no grad_input)
            mask = [draw(st.booleans()), True]
            return ns.Case(go, x, grid, mode, padding, align, mask)
        return make

    def m_hardsigmoid_backward(draw, inplace):
        shape = ns.shapes(draw)
        return ns.Case(ns.values(draw, shape),
                       ns.values(draw, shape, -4.0, 4.0, fix=ns.away_from(-3.0, 3.0)))

    def m_multi_margin_backward(draw, inplace):
        x, target, p, margin, weight, reduction = \
            ns.MAKERS["aten::multi_margin_loss"](draw, inplace).args
        shape = target.arr.shape if reduction == 0 else ()
        return ns.Case(ns.values(draw, shape), x, target, p, margin, weight, reduction)

    def m_nll_loss_backward(draw, inplace):
        """nll_loss's samples of 1 or 2 dims (the backward op takes no more), with the
        forward's total weight (the sum of the counted targets' weights)."""
        while True:
            x, target, weight, reduction, ignore = \
                ns.MAKERS["aten::nll_loss"](draw, inplace).args
            if x.ndim <= 2:
                break
        t = target.arr.reshape(-1)
        w = np.ones(x.shape[-1]) if weight is None else weight.arr
        total = np.asarray(np.where(t == ignore, 0.0, w[np.where(t == ignore, 0, t)]).sum())
        shape = target.arr.shape if reduction == 0 else ()
        return ns.Case(ns.values(draw, shape), x, target, weight, reduction, ignore,
                       ns.Const(total))

    return {"aten::grid_sampler_2d_backward": m_grid_sampler_backward(2),
            "aten::grid_sampler_3d_backward": m_grid_sampler_backward(3),
            "aten::hardsigmoid_backward": m_hardsigmoid_backward,
            "aten::multi_margin_loss_backward": m_multi_margin_backward,
            "aten::nll_loss_backward": m_nll_loss_backward}
