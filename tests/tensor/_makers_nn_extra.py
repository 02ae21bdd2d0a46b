"""Gradcheck input makers for the ops of ``opdefs/nn_extra.py`` (loaded by
``test_gradcheck_registry.py``)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
import hypothesis.extra.numpy as hnp

import tensor

XFAIL = {
    ("aten::_pdist_forward", "gradgrad"): "PyTorch's _pdist_backward has no derivative",
    ("aten::pdist", "gradgrad"): "PyTorch's _pdist_backward has no derivative",
    ("aten::_pdist_backward", "grad"): "PyTorch's _pdist_backward has no derivative",
    ("aten::_pdist_backward", "gradgrad"): "PyTorch's _pdist_backward has no derivative",
    ("aten::native_channel_shuffle", "grad"): "PyTorch defines no derivative for it",
    ("aten::native_channel_shuffle", "gradgrad"): "PyTorch defines no derivative for it",
    ("aten::multilabel_margin_loss_forward", "gradgrad"):
        "PyTorch's multilabel_margin_loss_backward has no derivative",
    ("aten::multilabel_margin_loss", "gradgrad"):
        "PyTorch's multilabel_margin_loss_backward has no derivative",
    ("aten::multilabel_margin_loss_backward", "grad"): "PyTorch defines no derivative for it",
    ("aten::multilabel_margin_loss_backward", "gradgrad"): "PyTorch defines no derivative for it",
    ("aten::_ctc_loss_backward", "grad"): "PyTorch defines no derivative for it",
    ("aten::_ctc_loss_backward", "gradgrad"): "PyTorch defines no derivative for it",
}
# PyTorch's ctc gradient adds exp(log_probs), right only for normalised log_probs (the term
# vanishes through log_softmax); finite differences perturb one entry and leave that set
for _name in ("aten::_ctc_loss", "aten::ctc_loss.IntList", "aten::ctc_loss.Tensor"):
    XFAIL[(_name, "grad")] = "PyTorch's gradient assumes normalised log_probs"
    XFAIL[(_name, "gradgrad")] = "PyTorch's gradient assumes normalised log_probs"


def _seeded_p(p):
    """``p``, reseeding the global generator first: every call of a check draws one mask."""
    def make():
        tensor.manual_seed(0)
        return p
    return make


def makers(ns):
    Case, values, shapes, Fresh = ns.Case, ns.values, ns.shapes, ns.Fresh

    def m_trilinear(draw, inplace):
        n, o = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        d1, d2 = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        return Case(values(draw, (n, d1)), values(draw, (o, d1, d2)), values(draw, (n, d2)),
                    [1, 3], [0], [1, 2], [2, 3])

    def m_bilinear(draw, inplace):
        batch = shapes(draw, max_dims=2)
        o, d1, d2 = (draw(st.integers(1, 3)) for _ in range(3))
        bias = values(draw, (o,)) if draw(st.booleans()) else None
        return Case(values(draw, batch + (d1,)), values(draw, batch + (d2,)),
                    values(draw, (o, d1, d2)), bias)

    def _distinct_rows(draw, n, m):
        # rows far apart in every coordinate: no pair has a zero or tied |difference|
        base = np.arange(n * m, dtype=np.float64).reshape(n, m) * 0.37
        return np.asarray(base + values(draw, (n, m), -0.05, 0.05, layout=False))

    def m_pdist(draw, inplace):
        n, m = draw(st.integers(1, 4)), draw(st.integers(1, 3))
        x = _distinct_rows(draw, n, m)
        if draw(st.booleans()):
            x = np.asfortranarray(x)
        return Case(x, draw(st.sampled_from([2.0, 1.0, 1.5, 3.0, 0.0, float("inf")])))

    def m_pdist_backward(draw, inplace):
        n, m = draw(st.integers(2, 3)), draw(st.integers(1, 3))
        x = _distinct_rows(draw, n, m)
        k = n * (n - 1) // 2
        return Case(values(draw, (k,)), x, 2.0, ns.Const(np.ones(k)))

    def m_channel_shuffle(draw, inplace):
        g = draw(st.integers(1, 3))
        c = g * draw(st.integers(1, 2))
        shape = (draw(st.integers(1, 2)), c) + shapes(draw, min_dims=1, max_dims=2)
        return Case(values(draw, shape), g)

    def m_alpha_dropout(draw, inplace):
        shape = shapes(draw, min_dims=2)
        p = draw(st.sampled_from([0.0, 0.3, 0.6, 1.0]))
        return Case(values(draw, shape), Fresh(_seeded_p(p)), draw(st.booleans()))

    def _multilabel_args(draw):
        batched = draw(st.booleans())
        n, c = draw(st.integers(1, 3)), draw(st.integers(1, 4))
        shape = (n, c) if batched else (c,)
        # a grid of 0.3: a hinge term 1 + 0.3 k is never within 0.1 of its kink
        x = np.asarray(draw(hnp.arrays(np.int64, shape, elements=st.integers(-4, 4))) * 0.3)
        rows = []
        for _ in range(n):
            k = draw(st.integers(0, c))
            labels = draw(st.permutations(range(c)))[:k]
            rows.append(list(labels) + [-1] * (c - k))
        target = np.asarray(rows if batched else rows[0], dtype=np.int64)
        return x, ns.Const(target), draw(st.sampled_from([0, 1, 2]))

    def m_multilabel(draw, inplace):
        return Case(*_multilabel_args(draw))

    def m_multilabel_backward(draw, inplace):
        x, target, red = _multilabel_args(draw)
        g = values(draw, (x.shape[0],) if red == 0 and x.ndim == 2 else ())
        return Case(g, x, target, red, ns.Const(np.zeros(x.shape)))

    def m_embedding_bag(draw, inplace):
        n, d = draw(st.integers(1, 4)), draw(st.integers(1, 3))
        k = draw(st.integers(0, 6))
        idx = np.asarray(draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k)),
                         dtype=np.int64)
        cuts = sorted(draw(st.lists(st.integers(0, k), min_size=0, max_size=3)))
        last = draw(st.booleans())
        offsets = np.asarray([0] + cuts + ([k] if last else []), dtype=np.int64)
        mode = draw(st.sampled_from([0, 1, 2]))
        # max mode: distinct weights, so every maximum is strict
        w = _distinct_rows(draw, n, d) if mode == 2 else values(draw, (n, d))
        psw = values(draw, (k,)) if mode == 0 and draw(st.booleans()) else None
        pad = draw(st.sampled_from([-1, 0]))
        # (scale_grad_by_freq is left off: it scales the gradient away from the derivative
        # on purpose; the differential tests compare it with PyTorch)
        return Case(w, ns.Const(idx), ns.Const(offsets), False, mode, False, psw, last, pad)

    def m_embedding_bag_public(draw, inplace):
        c = m_embedding_bag(draw, inplace)
        c.args[-1] = None if c.args[-1] == -1 else c.args[-1]
        return c

    def m_affine_grid(draw, inplace):
        d = draw(st.sampled_from([2, 3]))
        n = draw(st.integers(1, 2))
        size = [n, 1] + [draw(st.integers(1, 3)) for _ in range(d)]
        return Case(values(draw, (n, d, d + 1)), size, draw(st.booleans()))

    def _sample_grid(draw, n, out, d, sizes, align, padding):
        """Grid points kept off the cells' edges (where the interpolation has kinks) and, for
        border / reflection, off the image border and the reflection folds."""
        g = values(draw, (n,) + out + (d,), -1.3, 1.3, layout=False)
        for k in range(d):
            size = sizes[d - 1 - k]
            if align:
                src = (g[..., k] + 1) / 2 * (size - 1)
            else:
                src = ((g[..., k] + 1) * size - 1) / 2
            src = np.floor(src * 2) / 2 + 0.23     # a quarter away from integers and halves
            g[..., k] = (src / (size - 1) * 2 - 1 if size > 1 else 0.0) if align \
                else (2 * src + 1) / size - 1
        return np.asarray(g)

    def m_grid_sampler(dims):
        def make(draw, inplace):
            d = draw(st.sampled_from([2, 3])) if dims is None else dims
            n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
            sizes = tuple(draw(st.integers(2, 3)) for _ in range(d))
            out = tuple(draw(st.integers(1, 2)) for _ in range(d))
            align, padding = draw(st.booleans()), draw(st.sampled_from([0, 1, 2]))
            mode = draw(st.sampled_from([0, 1]))
            grid = _sample_grid(draw, n, out, d, sizes, align, padding)
            return Case(values(draw, (n, c) + sizes), grid, mode, padding, align)
        return make

    def m_ctc(lengths_as_tensors):
        def make(draw, inplace):
            t, n, c = draw(st.integers(2, 4)), draw(st.integers(1, 2)), draw(st.integers(2, 3))
            tl = [draw(st.integers(1, t // 2)) for _ in range(n)]
            targets = np.asarray([[draw(st.integers(1, c - 1)) for _ in range(max(tl))]
                                  for _ in range(n)], dtype=np.int64)
            x = values(draw, (t, n, c), -2.0, 0.0)
            il, tl_ = [t] * n, tl
            if lengths_as_tensors:
                il, tl_ = ns.Const(np.asarray(il)), ns.Const(np.asarray(tl))
            extra = () if lengths_as_tensors is None else (draw(st.sampled_from([0, 1, 2])),)
            return Case(x, ns.Const(targets), il, tl_, 0, *extra, draw(st.booleans()))
        return make

    def m_ctc_backward(draw, inplace):
        c = m_ctc(None)(draw, inplace)
        x, targets, il, tl, blank, zi = c.args
        n = x.shape[1]
        return Case(values(draw, (n,)), x, targets, il, tl, ns.Const(np.ones(n)),
                    ns.Const(np.zeros((n, x.shape[0], 2 * max(tl) + 1))), blank, zi)

    return {
        "aten::_ctc_loss": m_ctc(None), "aten::ctc_loss.IntList": m_ctc(False),
        "aten::ctc_loss.Tensor": m_ctc(True), "aten::_ctc_loss_backward": m_ctc_backward,
        "aten::affine_grid_generator": m_affine_grid,
        "aten::grid_sampler": m_grid_sampler(None),
        "aten::grid_sampler_2d": m_grid_sampler(2), "aten::grid_sampler_3d": m_grid_sampler(3),
        "aten::_embedding_bag": m_embedding_bag,
        "aten::embedding_bag.padding_idx": m_embedding_bag_public,
        "aten::multilabel_margin_loss_forward": m_multilabel,
        "aten::multilabel_margin_loss": m_multilabel,
        "aten::multilabel_margin_loss_backward": m_multilabel_backward,
        "aten::_trilinear": m_trilinear, "aten::bilinear": m_bilinear,
        "aten::pdist": m_pdist, "aten::_pdist_forward": m_pdist,
        "aten::_pdist_backward": m_pdist_backward,
        "aten::channel_shuffle": m_channel_shuffle,
        "aten::native_channel_shuffle": m_channel_shuffle,
        "aten::alpha_dropout": m_alpha_dropout, "aten::alpha_dropout_": m_alpha_dropout,
        "aten::feature_alpha_dropout": m_alpha_dropout,
        "aten::feature_alpha_dropout_": m_alpha_dropout,
    }
