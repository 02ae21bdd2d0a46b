"""Behaviour of the rarer ``nn.functional`` entries against their definitions, computed
independently with numpy / plain Python loops (the comparison with PyTorch itself is in
``tests/differential/test_nn_extra_vs_torch.py``)."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tensor
import tensor.nn.functional as F

EXAMPLES = settings(max_examples=10, deadline=None)


def floats(draw, shape, lo=-3.0, hi=3.0):
    return np.asarray(draw(hnp.arrays(np.float64, shape, elements=st.floats(
        lo, hi, allow_nan=False, allow_subnormal=False))))


@EXAMPLES
@given(data=st.data())
def test_bilinear_is_the_bilinear_form(data):
    draw = data.draw
    n, o, d1, d2 = (draw(st.integers(1, 3)) for _ in range(4))
    x1, x2 = floats(draw, (n, d1)), floats(draw, (n, d2))
    w, b = floats(draw, (o, d1, d2)), floats(draw, (o,))
    want = np.einsum("ni,kij,nj->nk", x1, w, x2) + b
    got = F.bilinear(tensor.tensor(x1), tensor.tensor(x2), tensor.tensor(w), tensor.tensor(b))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)


@EXAMPLES
@given(data=st.data(), p=st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0, math.inf]))
def test_pdist_matches_pairwise_norms(data, p):
    draw = data.draw
    x = floats(draw, (draw(st.integers(1, 4)), draw(st.integers(1, 3))))
    want = [np.linalg.norm(x[i] - x[j], ord=p) if p != 0 else np.count_nonzero(x[i] - x[j])
            for i, j in itertools.combinations(range(len(x)), 2)]
    got = F.pdist(tensor.tensor(x), p).numpy()
    np.testing.assert_allclose(got, np.asarray(want, dtype=np.float64).reshape(-1),
                               rtol=1e-10, atol=1e-12)


@EXAMPLES
@given(data=st.data())
def test_channel_shuffle_interleaves_groups(data):
    draw = data.draw
    g, k = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    x = np.arange(2 * g * k * 2, dtype=np.float64).reshape(2, g * k, 2)
    got = F.channel_shuffle(tensor.tensor(x), g).numpy()
    for c in range(g * k):
        # output channel c is input channel (c % g) * k + c // g
        np.testing.assert_array_equal(got[:, c], x[:, (c % g) * k + c // g])
    back = F.channel_shuffle(tensor.tensor(got), k).numpy()
    np.testing.assert_array_equal(back, x)


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_alpha_dropout_keeps_mean_and_variance(p):
    """On standard normal input the output keeps mean 0 and variance 1 (the point of alpha
    dropout); dropped entries all take one value, ``-alpha' a + b``."""
    tensor.manual_seed(0)
    x = tensor.randn(200_000, dtype=tensor.float64)
    y = F.alpha_dropout(x, p, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.var() - 1) < 0.03
    alpha = 1.7580993408473766
    a = 1 / math.sqrt((alpha * alpha * p + 1) * (1 - p))
    dropped = -alpha * a + alpha * a * p
    share = np.isclose(y, dropped, rtol=0, atol=1e-12).mean()
    assert abs(share - p) < 0.01
    kept = ~np.isclose(y, dropped, rtol=0, atol=1e-12)
    np.testing.assert_allclose(y[kept], x.numpy()[kept] * a + alpha * a * p, rtol=1e-12)


def test_feature_alpha_dropout_drops_whole_channels():
    tensor.manual_seed(1)
    x = tensor.randn(8, 16, 5, dtype=tensor.float64)
    y = F.feature_alpha_dropout(x, 0.5, training=True).numpy()
    alpha = 1.7580993408473766
    a = 1 / math.sqrt((alpha * alpha * 0.5 + 1) * 0.5)
    dropped = np.isclose(y, -alpha * a + alpha * a * 0.5, rtol=0, atol=1e-12)
    per_channel = dropped.all(axis=2) | ~dropped.any(axis=2)
    assert per_channel.all() and 0 < dropped.mean() < 1


def _multilabel_loop(x, y):
    c = len(x)
    targets = []
    for t in y:
        if t < 0:
            break
        targets.append(int(t))
    total = 0.0
    for j in targets:
        for i in range(c):
            if i not in targets:
                total += max(0.0, 1 - (x[j] - x[i]))
    return total / c


@EXAMPLES
@given(data=st.data())
def test_multilabel_margin_loss_matches_definition(data):
    draw = data.draw
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    x = floats(draw, (n, c))
    y = np.asarray(draw(hnp.arrays(np.int64, (n, c), elements=st.integers(-1, c - 1))))
    want = np.array([_multilabel_loop(x[i], y[i]) for i in range(n)])
    got = F.multilabel_margin_loss(tensor.tensor(x), tensor.tensor(y), reduction="none")
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)
    mean = F.multilabel_margin_loss(tensor.tensor(x), tensor.tensor(y))
    assert math.isclose(float(mean), want.mean(), rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax_samples(hard):
    """Rows sum to one; the argmax frequencies follow softmax(logits) (the Gumbel-max
    trick); a hard sample's gradient is the soft sample's."""
    tensor.manual_seed(2)
    logits = np.log(np.array([0.1, 0.2, 0.7]))
    x = tensor.tensor(np.tile(logits, (20_000, 1)), requires_grad=True)
    y = F.gumbel_softmax(x, tau=1.0, hard=hard)
    v = y.detach().numpy()
    np.testing.assert_allclose(v.sum(1), 1.0, rtol=1e-12)
    freq = np.bincount(v.argmax(1), minlength=3) / len(v)
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.7], atol=0.015)
    if hard:
        assert set(np.unique(v)) == {0.0, 1.0}
    w = tensor.tensor(np.arange(3.0))
    (y * w).sum().backward()
    assert x.grad is not None and np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(x.grad.numpy().sum(1), 0.0, atol=1e-12)


def test_error_texts():
    with pytest.raises(RuntimeError, match=r"^pdist only supports 2D tensors, got: 1D"):
        F.pdist(tensor.ones(3))
    with pytest.raises(RuntimeError, match=r"^Number of channels must be divisible by groups"):
        F.channel_shuffle(tensor.ones(1, 4, 2), 3)
    with pytest.raises(ValueError, match=r"^dropout probability has to be between 0 and 1"):
        F.alpha_dropout(tensor.ones(3), 1.5)
    with pytest.raises(RuntimeError, match=r"^bilinear\(\): input dimensions do not match"):
        F.bilinear(tensor.ones(2, 3), tensor.ones(3), tensor.ones(1, 3, 3))
    with pytest.raises(RuntimeError, match=r"^argument #2 'target' is out of range"):
        F.multilabel_margin_loss(tensor.ones(2, 3), tensor.tensor([[3, -1, 0], [0, 1, 2]]))


@EXAMPLES
@given(data=st.data(), mode=st.sampled_from(["sum", "mean", "max"]))
def test_embedding_bag_matches_loops(data, mode):
    draw = data.draw
    n, d, k = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(0, 6))
    w = floats(draw, (n, d))
    idx = np.asarray(draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k)), np.int64)
    offsets = np.asarray([0] + sorted(draw(st.lists(st.integers(0, k), max_size=3))), np.int64)
    pad = draw(st.sampled_from([None, 0]))
    want = []
    for b in range(len(offsets)):
        end = offsets[b + 1] if b + 1 < len(offsets) else k
        rows = [w[i] for i in idx[offsets[b]:end] if i != pad]
        if not rows:
            want.append(np.zeros(d))
        else:
            want.append({"sum": np.sum, "mean": np.mean, "max": np.max}[mode](rows, axis=0))
    got = F.embedding_bag(tensor.tensor(idx), tensor.tensor(w), tensor.tensor(offsets),
                          mode=mode, padding_idx=pad)
    np.testing.assert_allclose(got.numpy(), np.asarray(want).reshape(-1, d), rtol=1e-12)


@pytest.mark.filterwarnings("ignore:Since version 1.3.0")
@EXAMPLES
@given(data=st.data(), mode=st.sampled_from(["bilinear", "nearest"]),
       padding=st.sampled_from(["zeros", "border", "reflection"]))
def test_grid_sample_identity_grid_returns_input(data, mode, padding):
    """The identity affine grid samples every pixel centre exactly (either alignment)."""
    draw = data.draw
    h, w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    align = draw(st.booleans())
    x = floats(draw, (1, 2, h, w))
    theta = tensor.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]], dtype=tensor.float64)
    grid = F.affine_grid(theta, (1, 2, h, w), align_corners=align)
    got = F.grid_sample(tensor.tensor(x), grid, mode=mode, padding_mode=padding,
                        align_corners=align)
    np.testing.assert_allclose(got.numpy(), x, rtol=1e-12, atol=1e-12)


def _ctc_brute_force(lp, target, blank):
    """``-log`` of the summed probability of every path that collapses to ``target``."""
    t_len, c = lp.shape
    total = 0.0
    for path in itertools.product(range(c), repeat=t_len):
        collapsed = [p for i, p in enumerate(path) if i == 0 or p != path[i - 1]]
        if [p for p in collapsed if p != blank] == list(target):
            total += math.exp(sum(lp[t, p] for t, p in enumerate(path)))
    return -math.log(total) if total else math.inf


@EXAMPLES
@given(data=st.data())
def test_ctc_loss_matches_path_enumeration(data):
    draw = data.draw
    t, c = draw(st.integers(1, 4)), draw(st.integers(2, 3))
    blank = draw(st.integers(0, c - 1))
    labels = [k for k in range(c) if k != blank]
    target = draw(st.lists(st.sampled_from(labels), max_size=3))
    x = floats(draw, (t, c))
    lp = x - np.log(np.exp(x).sum(1, keepdims=True))
    got = F.ctc_loss(tensor.tensor(lp[:, None]), tensor.tensor([target], dtype=tensor.int64),
                     [t], [len(target)], blank=blank, reduction="sum")
    want = _ctc_brute_force(lp, target, blank)
    if math.isinf(want):
        assert math.isinf(float(got))
    else:
        assert math.isclose(float(got), want, rel_tol=1e-10, abs_tol=1e-10)
