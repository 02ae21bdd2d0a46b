"""Gradcheck-registry input makers for the upsampling ops of ``opdefs/upsample_more.py``
(bicubic, trilinear, nearest 3-d and nearest-exact): tiny inputs, output sizes drawn directly
or from a scale factor that is then passed along."""

from __future__ import annotations

from hypothesis import strategies as st


def makers(ns):
    Case, values = ns.Case, ns.values

    def setup(draw, nd):
        size_in = [draw(st.integers(1, 3)) for _ in range(nd)]
        if draw(st.booleans()):
            scales = [draw(st.sampled_from([0.5, 1.5, 2.0])) for _ in range(nd)]
            out = [max(1, int(n * sc)) for n, sc in zip(size_in, scales)]
        else:
            scales = [None] * nd
            out = [draw(st.integers(1, 4)) for _ in range(nd)]
        return [1, 2] + size_in, out, scales

    def maker(nd, aligned, backward):
        def make(draw, inplace):
            ishape, out, scales = setup(draw, nd)
            ac = [draw(st.booleans())] if aligned else []
            if backward:
                return Case(values(draw, tuple(ishape[:2] + out)), out, ishape, *ac, *scales)
            return Case(values(draw, tuple(ishape)), out, *ac, *scales)
        return make

    out = {}
    for name, nd, aligned in (("upsample_nearest3d", 3, False),
                              ("_upsample_nearest_exact1d", 1, False),
                              ("_upsample_nearest_exact2d", 2, False),
                              ("_upsample_nearest_exact3d", 3, False),
                              ("upsample_trilinear3d", 3, True),
                              ("upsample_bicubic2d", 2, True)):
        out[f"aten::{name}"] = maker(nd, aligned, False)
        out[f"aten::{name}_backward"] = maker(nd, aligned, True)
    return out
