"""Gradcheck input makers for the activations' ``*_backward`` ops of ``opdefs/nn_more.py``
(``threshold_backward``, ``hardtanh_backward``, ...; loaded by ``test_gradcheck_registry.py``).

Each takes an upstream gradient and the activation's input; ``self`` is kept away from the
kinks (where the op is flat in ``self`` on either side)."""

from __future__ import annotations

from hypothesis import strategies as st


def makers(ns):
    Case, values, shapes, away_from, Const = (ns.Case, ns.values, ns.shapes, ns.away_from,
                                              ns.Const)

    def pair(draw, *kinks):
        shape = shapes(draw)
        return values(draw, shape), values(draw, shape, fix=away_from(*kinks))

    def m_threshold(draw, inplace):
        th = draw(st.sampled_from([0.0, 0.5, -1.0]))
        return Case(*pair(draw, th), th)

    def m_hardtanh(draw, inplace):
        lo, hi = draw(st.sampled_from([(-1.0, 1.0), (-0.5, 2.0)]))
        return Case(*pair(draw, lo, hi), lo, hi)

    def m_leaky(draw, inplace):
        slope = draw(st.sampled_from([0.01, 0.2]))
        return Case(*pair(draw, 0.0), slope, draw(st.booleans()))

    def m_shrink(draw, inplace):
        lambd = draw(st.sampled_from([0.5, 0.25]))
        return Case(*pair(draw, -lambd, lambd), lambd)

    def m_rrelu(draw, inplace):
        g, x = pair(draw, 0.0)
        noise = Const(values(draw, x.shape, 0.1, 0.4))
        return Case(g, x, noise, 0.1, 0.4, draw(st.booleans()), draw(st.booleans()))

    return {
        "aten::threshold_backward": m_threshold,
        "aten::hardtanh_backward": m_hardtanh,
        "aten::leaky_relu_backward": m_leaky,
        "aten::hardshrink_backward": m_shrink,
        "aten::softshrink_backward": m_shrink,
        "aten::rrelu_with_noise_backward": m_rrelu,
    }
