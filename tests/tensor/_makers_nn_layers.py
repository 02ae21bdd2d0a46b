"""Gradcheck-registry input makers for the layer ops of ``opdefs/nn_layers.py`` (and the
upsampling modes of ``opdefs/upsample_more.py``).

Shapes stay tiny (the checks differentiate numerically, element by element). Max-pooling
inputs have no ties: a shuffled ramp with steps of 0.1, far above the finite-difference step,
so the chosen maxima do not move while the checks perturb the input.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from tensor.opdefs import nn_layers as L


def makers(ns):
    Case, Const, values = ns.Case, ns.Const, ns.values

    def distinct(draw, shape):
        perm = np.array(draw(st.permutations(range(int(np.prod(shape))))), dtype=np.float64)
        return (perm * 0.1 - 1.0).reshape(shape)

    def conv_setup(draw):
        nd = draw(st.sampled_from([1, 2]))
        g = draw(st.sampled_from([1, 2]))
        transposed = draw(st.booleans())
        n = draw(st.integers(1, 2))
        cin, cout = g * draw(st.integers(1, 2)), g * draw(st.integers(1, 2))
        k = tuple(draw(st.integers(1, 3)) for _ in range(nd))
        s = tuple(draw(st.integers(1, 2)) for _ in range(nd))
        d = tuple(draw(st.integers(1, 2)) for _ in range(nd))
        p = tuple(draw(st.integers(0, 1)) for _ in range(nd))
        if transposed:
            op = tuple(draw(st.integers(0, max(si, di) - 1)) for si, di in zip(s, d))
            size = tuple(draw(st.integers(1, 3)) for _ in range(nd))
            # the output must not be empty
            p = tuple(min(p[i], ((size[i] - 1) * s[i] + d[i] * (k[i] - 1) + op[i]) // 2)
                      for i in range(nd))
            wshape = (cin, cout // g) + k
        else:
            op = (0,) * nd
            size = tuple(d[i] * (k[i] - 1) + 1 - 2 * p[i] + draw(st.integers(0, 2))
                         for i in range(nd))
            size = tuple(max(v, 1) for v in size)
            wshape = (cout, cin // g) + k
        xshape = (n, cin) + size
        x = np.zeros(xshape)
        w = np.zeros(wshape)
        out = L._convolution_np(x, w, None, s, p, d, transposed, op, g).shape
        return nd, g, transposed, xshape, wshape, cout, s, p, d, op, out

    def m_convolution(draw, inplace):
        nd, g, tr, xs, ws, cout, s, p, d, op, _ = conv_setup(draw)
        bias = values(draw, (cout,)) if draw(st.booleans()) else None
        return Case(values(draw, xs), values(draw, ws), bias, list(s), list(p), list(d), tr,
                    list(op), g)

    def m_convolution_backward(draw, inplace):
        nd, g, tr, xs, ws, cout, s, p, d, op, out = conv_setup(draw)
        mask = draw(st.sampled_from([[True, True, True], [True, False, False],
                                     [False, True, True], [True, True, False]]))
        return Case(values(draw, out), values(draw, xs), values(draw, ws), [cout], list(s),
                    list(p), list(d), tr, list(op), g, mask)

    def pool_setup(draw, eff_pad=True, max_dilation=2):
        lead = draw(st.sampled_from([(1, 2), (2, 1), (2,)]))
        k = tuple(draw(st.integers(1, 3)) for _ in range(2))
        s = tuple(draw(st.integers(1, 2)) for _ in range(2))
        d = tuple(draw(st.integers(1, max_dilation)) for _ in range(2))
        p = tuple(draw(st.integers(0, (((ki - 1) * di + 1) if eff_pad else ki) // 2))
                  for ki, di in zip(k, d))
        # at least one kernel extent: no window lies wholly in the padding
        size = tuple((ki - 1) * di + 1 + draw(st.integers(0, 2)) for ki, di in zip(k, d))
        return lead + size, k, s, p, d, draw(st.booleans())

    def m_max_pool(draw, inplace):
        shape, k, s, p, d, ceil = pool_setup(draw)
        return Case(distinct(draw, shape), list(k), list(s), list(p), list(d), ceil)

    def m_max_pool_backward(draw, inplace):
        shape, k, s, p, d, ceil = pool_setup(draw)
        x = distinct(draw, shape)
        out, idx = L._max_pool2d_np(x, k, s, p, d, ceil)
        return Case(values(draw, out.shape), Const(x), list(k), list(s), list(p), list(d),
                    ceil, Const(idx))

    def avg_args(draw):
        shape, k, s, p, d, ceil = pool_setup(draw, eff_pad=False, max_dilation=1)
        cip = draw(st.booleans())
        div = draw(st.sampled_from([None, None, 3]))
        return shape, [list(k), list(s), list(p), ceil, cip, div]

    def m_avg_pool(draw, inplace):
        shape, rest = avg_args(draw)
        return Case(values(draw, shape), *rest)

    def m_avg_pool_backward(draw, inplace):
        shape, rest = avg_args(draw)
        x = np.zeros(shape)
        out = L._avg_pool2d_np(x, *rest).shape
        return Case(values(draw, out), Const(x), *rest)

    def adaptive_setup(draw):
        lead = draw(st.sampled_from([(1, 2), (2,)]))
        size = tuple(draw(st.integers(1, 5)) for _ in range(2))
        out = [draw(st.integers(1, 4)) for _ in range(2)]
        return lead + size, out

    def m_adaptive_avg(draw, inplace):
        shape, out = adaptive_setup(draw)
        return Case(values(draw, shape), out)

    def m_adaptive_avg_backward(draw, inplace):
        shape, out = adaptive_setup(draw)
        return Case(values(draw, shape[:-2] + tuple(out)), Const(np.zeros(shape)))

    def m_adaptive_max(draw, inplace):
        shape, out = adaptive_setup(draw)
        return Case(distinct(draw, shape), out)

    def m_adaptive_max_backward(draw, inplace):
        shape, out = adaptive_setup(draw)
        x = distinct(draw, shape)
        vals, idx = L._adaptive_max_pool2d_np(x, out)
        return Case(values(draw, vals.shape), Const(x), Const(idx))

    def m_batch_norm(draw, inplace):
        shape = draw(st.sampled_from([(3, 2), (2, 3, 2), (2, 2, 2, 2), (1, 2, 3)]))
        c = shape[1]
        training = draw(st.booleans())
        w = values(draw, (c,), 0.5, 2.0) if draw(st.booleans()) else None
        b = values(draw, (c,)) if draw(st.booleans()) else None
        stats = draw(st.booleans()) or not training
        rm = Const(values(draw, (c,))) if stats else None
        rv = Const(values(draw, (c,), 0.5, 2.0)) if stats else None
        # spread-out samples: the variance stays away from 0
        x = values(draw, shape) + np.arange(np.prod(shape)).reshape(shape) * 0.3
        return Case(x, w, b, rm, rv, training, 0.1, 1e-5)

    def m_group_norm(draw, inplace):
        n, g = draw(st.integers(1, 2)), draw(st.integers(1, 2))
        c = g * draw(st.integers(1, 2))
        spatial = draw(st.sampled_from([(), (2,), (2, 2)]))
        if c // g == 1 and not spatial:
            spatial = (2,)
        shape = (n, c) + spatial
        hw = int(np.prod(spatial))
        w = values(draw, (c,), 0.5, 2.0) if draw(st.booleans()) else None
        b = values(draw, (c,)) if draw(st.booleans()) else None
        x = values(draw, shape) + np.arange(np.prod(shape)).reshape(shape) * 0.3
        return Case(x, w, b, n, c, hw, g, 1e-5)

    def cols_setup(draw):
        k = [draw(st.integers(1, 2)) for _ in range(2)]
        d = [draw(st.integers(1, 2)) for _ in range(2)]
        p = [draw(st.integers(0, 1)) for _ in range(2)]
        s = [draw(st.integers(1, 2)) for _ in range(2)]
        size = [max(1, d[i] * (k[i] - 1) + 1 - 2 * p[i] + draw(st.integers(0, 2)))
                for i in range(2)]
        lead = draw(st.sampled_from([(1, 2), (2,)]))
        return lead, size, k, d, p, s

    def m_im2col(draw, inplace):
        lead, size, k, d, p, s = cols_setup(draw)
        return Case(values(draw, lead + tuple(size)), k, d, p, s)

    def m_col2im(draw, inplace):
        lead, size, k, d, p, s = cols_setup(draw)
        cols = L._im2col_np(np.zeros(lead + tuple(size)), k, d, p, s).shape
        return Case(values(draw, cols), size, k, d, p, s)

    def m_pixel_shuffle(draw, inplace):
        r = draw(st.integers(1, 2))
        lead = draw(st.sampled_from([(1,), (2,), (1, 2)]))
        h, w = draw(st.integers(1, 2)), draw(st.integers(1, 2))
        return Case(values(draw, lead + (r * r, h, w)), r)

    def m_pixel_unshuffle(draw, inplace):
        r = draw(st.integers(1, 2))
        lead = draw(st.sampled_from([(1,), (2,), (1, 2)]))
        h, w = r * draw(st.integers(1, 2)), r * draw(st.integers(1, 2))
        return Case(values(draw, lead + (1, h, w)), r)

    def up_setup(draw, nd, small):
        # (``small``: the sizes the ops of opdefs/upsample_more.py are drawn with)
        size_in = [draw(st.integers(1, 3 if small else 4)) for _ in range(nd)]
        if draw(st.booleans()):
            scales = [draw(st.sampled_from([0.5, 1.5, 2.0])) for _ in range(nd)]
            out = [max(1, int(n * sc)) for n, sc in zip(size_in, scales)]
        else:
            scales = [None] * nd
            out = [draw(st.integers(1, 4 if small else 5)) for _ in range(nd)]
        return [1, 2] + size_in, out, scales

    def m_up(nd, linear, backward, small=False):
        def make(draw, inplace):
            ishape, out, scales = up_setup(draw, nd, small)
            ac = [draw(st.booleans())] if linear else []
            if backward:
                return Case(values(draw, tuple(ishape[:2] + out)), out, ishape, *ac, *scales)
            return Case(values(draw, tuple(ishape)), out, *ac, *scales)
        return make

    def m_constant_pad(draw, inplace):
        shape = ns.shapes(draw, min_dims=1, max_dims=3, min_side=2)
        pad = []
        for i in range(draw(st.integers(1, len(shape)))):
            pad += [draw(st.integers(-1, 2)), draw(st.integers(-1, 2))]
        return Case(values(draw, shape), pad, draw(st.sampled_from([0, 1.5])))

    out = {
        "aten::constant_pad_nd": m_constant_pad,
        "aten::convolution": m_convolution,
        "aten::convolution_backward": m_convolution_backward,
        "aten::max_pool2d_with_indices": m_max_pool,
        "aten::max_pool2d_with_indices_backward": m_max_pool_backward,
        "aten::avg_pool2d": m_avg_pool,
        "aten::avg_pool2d_backward": m_avg_pool_backward,
        "aten::_adaptive_avg_pool2d": m_adaptive_avg,
        "aten::_adaptive_avg_pool2d_backward": m_adaptive_avg_backward,
        "aten::adaptive_max_pool2d": m_adaptive_max,
        "aten::adaptive_max_pool2d_backward": m_adaptive_max_backward,
        "aten::native_batch_norm": m_batch_norm,
        "aten::native_group_norm": m_group_norm,
        "aten::im2col": m_im2col,
        "aten::col2im": m_col2im,
        "aten::pixel_shuffle": m_pixel_shuffle,
        "aten::pixel_unshuffle": m_pixel_unshuffle,
    }
    for name, nd, linear in (("nearest1d", 1, False), ("nearest2d", 2, False),
                             ("linear1d", 1, True), ("bilinear2d", 2, True)):
        out[f"aten::upsample_{name}"] = m_up(nd, linear, False)
        out[f"aten::upsample_{name}_backward"] = m_up(nd, linear, True)
    # the modes of opdefs/upsample_more.py (bicubic, trilinear, 3-d nearest, nearest-exact)
    for name, nd, aligned in (("upsample_nearest3d", 3, False),
                              ("_upsample_nearest_exact1d", 1, False),
                              ("_upsample_nearest_exact2d", 2, False),
                              ("_upsample_nearest_exact3d", 3, False),
                              ("upsample_trilinear3d", 3, True),
                              ("upsample_bicubic2d", 2, True)):
        out[f"aten::{name}"] = m_up(nd, aligned, False, small=True)
        out[f"aten::{name}_backward"] = m_up(nd, aligned, True, small=True)
    return out
