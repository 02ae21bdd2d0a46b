"""Gradcheck input makers for the ops of ``opdefs/nn_more.py`` (loaded by
``test_gradcheck_registry.py``)."""

from __future__ import annotations

import numpy as np
import hypothesis
from hypothesis import strategies as st
import hypothesis.extra.numpy as hnp


def makers(ns):
    Case, values, shapes, away_from, Const, Fresh = (ns.Case, ns.values, ns.shapes, ns.away_from,
                                                     ns.Const, ns.Fresh)

    def m_shrink(draw, inplace):
        lambd = draw(st.sampled_from([0.5, 0.25, 1.0]))
        return Case(values(draw, shapes(draw), fix=away_from(-lambd, lambd)), lambd)

    def m_threshold(draw, inplace):
        th = draw(st.sampled_from([0.0, 0.5, -1.0]))
        value = draw(st.sampled_from([th - 1.0, th, 2.0]))
        return Case(values(draw, shapes(draw), fix=away_from(th)), th, value)

    def m_glu(draw, inplace):
        shape = list(shapes(draw, min_dims=1))
        dim = draw(st.integers(-len(shape), len(shape) - 1))
        shape[dim] = 2 * draw(st.integers(1, 2))
        return Case(values(draw, tuple(shape)), dim)

    def m_prelu_kernel(draw, inplace):
        shape = shapes(draw, min_dims=1)
        w_shape = [1] * len(shape)
        if len(shape) > 1:
            w_shape[1] = shape[1]
        return Case(values(draw, shape, fix=away_from(0.0)),
                    values(draw, tuple(w_shape), -1.0, 1.0))

    def m_prelu(draw, inplace):
        shape = shapes(draw)
        n = shape[1] if len(shape) > 1 and draw(st.booleans()) else 1
        w_shape = draw(st.sampled_from([(n,), ()])) if n == 1 else (n,)
        return Case(values(draw, shape, fix=away_from(0.0)), values(draw, w_shape, -1.0, 1.0))

    def m_rrelu_noise(draw, inplace):
        shape = shapes(draw)
        training = draw(st.booleans())
        x = values(draw, shape, fix=away_from(0.0))
        # a seeded generator per call: every perturbation draws the same slopes
        return Case(x, Const(np.zeros(shape)), 0.1, 0.4, training,
                    Fresh(lambda: np.random.default_rng(0)))

    def m_rrelu(draw, inplace):
        return Case(values(draw, shapes(draw), fix=away_from(0.0)), 0.1, 0.4,
                    draw(st.booleans()), Fresh(lambda: np.random.default_rng(1)))

    def m_kl_div(draw, inplace):
        shape = shapes(draw)
        log_target = draw(st.booleans())
        target = values(draw, shape, -2.0, 1.0) if log_target else values(draw, shape, 0.1, 2.0)
        return Case(values(draw, shape), target, draw(st.sampled_from([0, 1, 2])),
                    log_target=log_target)

    def m_poisson(draw, inplace):
        shape = shapes(draw)
        log_input = draw(st.booleans())
        x = values(draw, shape) if log_input else values(draw, shape, 0.2, 3.0)
        target = values(draw, shape, 0.2, 3.0, fix=away_from(1.0))
        return Case(x, target, log_input, draw(st.booleans()), 1e-8,
                    draw(st.sampled_from([0, 1, 2])))

    def _signs(draw, shape):
        return np.asarray(draw(hnp.arrays(np.float64, shape, elements=st.sampled_from(
            [-1.0, 1.0]))))

    def m_margin_ranking(draw, inplace):
        shape = shapes(draw)
        margin = draw(st.sampled_from([0.0, 0.5]))
        x1 = values(draw, shape)
        d = values(draw, shape, fix=away_from(-margin, margin, margin=0.05))
        return Case(x1, np.asarray(x1 - d), Const(_signs(draw, shape)), margin,
                    draw(st.sampled_from([0, 1, 2])))

    def m_hinge(draw, inplace):
        shape = shapes(draw)
        margin = draw(st.sampled_from([1.0, 0.5]))
        return Case(values(draw, shape, fix=away_from(margin)), Const(_signs(draw, shape)),
                    margin, draw(st.sampled_from([0, 1, 2])))

    def m_cosine_embedding(draw, inplace):
        batched = draw(st.booleans())
        n, d = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        shape = (n, d) if batched else (d,)
        x1 = values(draw, shape, fix=away_from(0.0, margin=0.2))
        x2 = values(draw, shape, fix=away_from(0.0, margin=0.2))
        margin = draw(st.sampled_from([0.0, 0.3]))
        cos = (x1 * x2).sum(-1) / np.sqrt((x1 * x1).sum(-1) * (x2 * x2).sum(-1))
        target = _signs(draw, (n,) if batched else ())
        # no row on the hinge's kink (cos == margin for a -1 target)
        target = np.where(np.abs(cos - margin) < 0.05, 1.0, target)
        return Case(x1, x2, Const(target), margin, draw(st.sampled_from([0, 1, 2])))

    def m_pairwise_distance(draw, inplace):
        shape = shapes(draw, min_dims=1)
        x1 = values(draw, shape)
        diff = values(draw, shape, fix=away_from(0.0, margin=0.1))
        return Case(x1, np.asarray(x1 - diff + 1e-6), draw(st.sampled_from([2.0, 1.0, 3.0])),
                    1e-6, draw(st.booleans()))

    def m_triplet(draw, inplace):
        n, d = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        a = values(draw, (n, d))
        pos = np.asarray(a + values(draw, (n, d), fix=away_from(0.0, margin=0.1)))
        neg = np.asarray(a + values(draw, (n, d), fix=away_from(0.0, margin=0.1)))
        swap = draw(st.booleans())
        dist = lambda u, v: np.sqrt(((u - v + 1e-6) ** 2).sum(-1))  # noqa: E731
        dn = dist(a, neg)
        if swap:
            ds = dist(pos, neg)
            hypothesis.assume(np.abs(dn - ds).min() > 0.02)
            dn = np.minimum(dn, ds)
        gaps = {m: np.abs(dist(a, pos) + m - dn).min() for m in (0.5, 1.0, 2.0)}
        margin = max(gaps, key=gaps.get)
        hypothesis.assume(gaps[margin] > 0.02)
        return Case(a, pos, neg, margin, 2.0, 1e-6, swap, draw(st.sampled_from([0, 1, 2])))

    def m_soft_margin(draw, inplace):
        shape = shapes(draw)
        return Case(values(draw, shape), Const(_signs(draw, shape)),
                    draw(st.sampled_from([0, 1, 2])))

    def m_multi_margin(draw, inplace):
        batched = draw(st.booleans())
        n, c = draw(st.integers(1, 3)), draw(st.integers(1, 4))
        shape = (n, c) if batched else (c,)
        # a grid of quarters and a margin of 0.9: no hinge term is ever 0
        x = np.asarray(np.round(values(draw, shape) * 4) / 4)
        target = np.asarray(draw(hnp.arrays(np.int64, (n,) if batched else (),
                                            elements=st.integers(0, c - 1))))
        weight = draw(st.one_of(st.none(), hnp.arrays(np.float64, (c,),
                                                       elements=st.floats(0.5, 2.0))))
        return Case(x, Const(target), draw(st.sampled_from([1, 2])), 0.9,
                    None if weight is None else Const(weight), draw(st.sampled_from([0, 1, 2])))

    return {
        "aten::kl_div": m_kl_div, "aten::poisson_nll_loss": m_poisson,
        "aten::log_sigmoid": ns.unary(),
        "aten::margin_ranking_loss": m_margin_ranking, "aten::hinge_embedding_loss": m_hinge,
        "aten::cosine_embedding_loss": m_cosine_embedding,
        "aten::pairwise_distance": m_pairwise_distance, "aten::triplet_margin_loss": m_triplet,
        "aten::soft_margin_loss": m_soft_margin, "aten::multi_margin_loss": m_multi_margin,
        "aten::hardshrink": m_shrink, "aten::softshrink": m_shrink,
        "aten::threshold": m_threshold, "aten::threshold_": m_threshold,
        "aten::glu": m_glu, "aten::_prelu_kernel": m_prelu_kernel, "aten::prelu": m_prelu,
        "aten::rrelu_with_noise": m_rrelu_noise, "aten::rrelu_with_noise_": m_rrelu_noise,
        "aten::rrelu": m_rrelu, "aten::rrelu_": m_rrelu,
    }
