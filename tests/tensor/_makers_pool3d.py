"""Gradcheck-registry input makers for the ops of ``opdefs/pool3d.py``.

Shapes stay tiny (the checks differentiate numerically, element by element). Max-pooling
inputs have no ties: a shuffled ramp with steps of 0.1, far above the finite-difference step,
so the chosen maxima do not move while the checks perturb the input. Unpooling indices come
from a max pooling of such a ramp, so no two of one plane coincide.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from tensor.opdefs import pool3d as P
from tensor.opdefs import nn_layers as L


def makers(ns):
    Case, Const, values = ns.Case, ns.Const, ns.values

    def distinct(draw, shape):
        perm = np.array(draw(st.permutations(range(int(np.prod(shape))))), dtype=np.float64)
        return (perm * 0.1 - 1.0).reshape(shape)

    def pool_setup(draw, dilation=True):
        lead = draw(st.sampled_from([(1, 2), (2,)]))
        k = tuple(draw(st.integers(1, 2)) for _ in range(3))
        s = tuple(draw(st.integers(1, 2)) for _ in range(3))
        d = tuple(draw(st.integers(1, 2 if dilation else 1)) for _ in range(3))
        p = tuple(draw(st.integers(0, min(ki // 2, ((ki - 1) * di + 1) // 2)))
                  for ki, di in zip(k, d))
        size = tuple((ki - 1) * di + 1 + draw(st.integers(0, 1)) for ki, di in zip(k, d))
        return lead + size, k, s, p, d, draw(st.booleans())

    def m_max_pool(draw, inplace):
        shape, k, s, p, d, ceil = pool_setup(draw)
        return Case(distinct(draw, shape), list(k), list(s), list(p), list(d), ceil)

    def m_max_pool_backward(draw, inplace):
        shape, k, s, p, d, ceil = pool_setup(draw)
        x = distinct(draw, shape)
        out, idx = P._max_pool3d_np(x, k, s, p, d, ceil)
        return Case(values(draw, out.shape), Const(x), list(k), list(s), list(p), list(d),
                    ceil, Const(idx))

    def avg_args(draw):
        shape, k, s, p, _, ceil = pool_setup(draw, dilation=False)
        cip = draw(st.booleans())
        div = draw(st.sampled_from([None, None, 3]))
        return shape, [list(k), list(s), list(p), ceil, cip, div]

    def m_avg_pool(draw, inplace):
        shape, rest = avg_args(draw)
        return Case(values(draw, shape), *rest)

    def m_avg_pool_backward(draw, inplace):
        shape, rest = avg_args(draw)
        x = np.zeros(shape)
        out = P._avg_pool3d_np(x, *rest).shape
        return Case(values(draw, out), Const(x), *rest)

    def adaptive_setup(draw):
        lead = draw(st.sampled_from([(1, 2), (2,)]))
        size = tuple(draw(st.integers(1, 3)) for _ in range(3))
        out = [draw(st.integers(1, 3)) for _ in range(3)]
        return lead + size, out

    def m_adaptive_avg(draw, inplace):
        shape, out = adaptive_setup(draw)
        return Case(values(draw, shape), out)

    def m_adaptive_avg_backward(draw, inplace):
        shape, out = adaptive_setup(draw)
        return Case(values(draw, shape[:-3] + tuple(out)), Const(np.zeros(shape)))

    def m_adaptive_max(draw, inplace):
        shape, out = adaptive_setup(draw)
        return Case(distinct(draw, shape), out)

    def m_adaptive_max_backward(draw, inplace):
        shape, out = adaptive_setup(draw)
        x = distinct(draw, shape)
        vals, idx = P._adaptive_max_pool3d_np(x, out)
        return Case(values(draw, vals.shape), Const(x), Const(idx))

    def m_unpool2d(draw, inplace):
        lead = draw(st.sampled_from([(1, 2), (2,)]))
        size = tuple(draw(st.integers(2, 4)) for _ in range(2))
        x = distinct(draw, lead + size)
        vals, idx = L._max_pool2d_np(x, 2, 2, 0, 1, False)
        return Case(values(draw, vals.shape), Const(idx), list(size))

    def m_unpool3d(draw, inplace):
        lead = draw(st.sampled_from([(1, 2), (2,)]))
        size = tuple(draw(st.integers(2, 3)) for _ in range(3))
        x = distinct(draw, lead + size)
        vals, idx = P._max_pool3d_np(x, 2, 2, 0, 1, False)
        return Case(values(draw, vals.shape), Const(idx), list(size), [2, 2, 2], [0, 0, 0])

    def fractional_setup(draw, nd):
        lead = draw(st.sampled_from([(1, 2), (2,)]))
        k = tuple(draw(st.integers(1, 2)) for _ in range(nd))
        size = tuple(ki + draw(st.integers(0 if nd == 2 else 1, 2)) for ki in k)
        out = [draw(st.integers(1, n - ki + (1 if nd == 2 else 0))) for n, ki in zip(size, k)]
        samples = np.array(draw(st.lists(st.floats(0, 0.99), min_size=2 * nd,
                                         max_size=2 * nd))).reshape(1, 2, nd)
        return lead + size, list(k), out, samples

    def m_fractional(nd):
        def make(draw, inplace):
            shape, k, out, r = fractional_setup(draw, nd)
            return Case(distinct(draw, shape), k, out, Const(r))
        return make

    def m_fractional_backward(nd):
        def make(draw, inplace):
            shape, k, out, r = fractional_setup(draw, nd)
            x = distinct(draw, shape)
            vals, idx = P._fractional_np(x, k, out, r, nd)
            return Case(values(draw, vals.shape), Const(x), k, out, Const(idx))
        return make

    return {
        "aten::fractional_max_pool2d": m_fractional(2),
        "aten::fractional_max_pool3d": m_fractional(3),
        "aten::fractional_max_pool2d_backward": m_fractional_backward(2),
        "aten::fractional_max_pool3d_backward": m_fractional_backward(3),
        "aten::max_pool3d_with_indices": m_max_pool,
        "aten::max_pool3d_with_indices_backward": m_max_pool_backward,
        "aten::avg_pool3d": m_avg_pool,
        "aten::avg_pool3d_backward": m_avg_pool_backward,
        "aten::_adaptive_avg_pool3d": m_adaptive_avg,
        "aten::_adaptive_avg_pool3d_backward": m_adaptive_avg_backward,
        "aten::adaptive_max_pool3d": m_adaptive_max,
        "aten::adaptive_max_pool3d_backward": m_adaptive_max_backward,
        "aten::max_unpool2d": m_unpool2d,
        "aten::max_unpool3d": m_unpool3d,
    }
