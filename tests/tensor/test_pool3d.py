"""3-d pooling, unpooling and fractional max pooling against plain-loop references: each
output element recomputed from its window by definition (max with its flat index, mean with
the count PyTorch documents, adaptive windows ``[floor(i*n/o), ceil((i+1)*n/o))``), plus
round trips, gradients and error texts."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tensor as torch
import tensor.nn.functional as F

SETTINGS = settings(max_examples=25, deadline=None)


def ramp(shape, seed=0):
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n) * 0.5 - n / 4).reshape(shape)


def out_len(n, k, s, p, d, ceil):
    eff = d * (k - 1) + 1
    o = (n + 2 * p - eff + (s - 1 if ceil else 0)) // s + 1
    if ceil and (o - 1) * s >= n + p:
        o -= 1
    return o


@st.composite
def pool_case(draw, dilation=True):
    k = tuple(draw(st.integers(1, 3)) for _ in range(3))
    s = tuple(draw(st.integers(1, 3)) for _ in range(3))
    d = tuple(draw(st.integers(1, 2 if dilation else 1)) for _ in range(3))
    p = tuple(draw(st.integers(0, min(ki // 2, ((ki - 1) * di + 1) // 2)))
              for ki, di in zip(k, d))
    size = tuple((ki - 1) * di + 1 + draw(st.integers(0, 3)) for ki, di in zip(k, d))
    return (2, 2) + size, k, s, p, d, draw(st.booleans())


def window(size, o, k, s, p, d):
    """The input positions of window ``o`` (a tuple per dim), padding left out."""
    return [[o[i] * s[i] - p[i] + j * d[i] for j in range(k[i])
             if 0 <= o[i] * s[i] - p[i] + j * d[i] < size[i]] for i in range(3)]


@SETTINGS
@given(pool_case(), st.integers(0, 5))
def test_max_pool3d_matches_loops(case, seed):
    shape, k, s, p, d, ceil = case
    x = ramp(shape, seed)
    out, idx = F.max_pool3d(torch.tensor(x), k, s, p, d, ceil, return_indices=True)
    size = shape[2:]
    osz = tuple(out_len(size[i], k[i], s[i], p[i], d[i], ceil) for i in range(3))
    assert tuple(out.shape) == shape[:2] + osz
    for b, c in itertools.product(range(2), range(2)):
        for o in itertools.product(*map(range, osz)):
            pos = list(itertools.product(*window(size, o, k, s, p, d)))
            vals = [x[(b, c) + q] for q in pos]
            best = pos[int(np.argmax(vals))]
            assert out[(b, c) + o].item() == max(vals)
            assert idx[(b, c) + o].item() == (best[0] * size[1] + best[1]) * size[2] + best[2]


@SETTINGS
@given(pool_case(dilation=False), st.booleans(), st.sampled_from([None, 4]),
       st.integers(0, 5))
def test_avg_pool3d_matches_loops(case, cip, div, seed):
    shape, k, s, p, _, ceil = case
    x = np.random.default_rng(seed).standard_normal(shape)
    out = F.avg_pool3d(torch.tensor(x), k, s, p, ceil, cip, div).numpy()
    size = shape[2:]
    for o in itertools.product(*map(range, out.shape[2:])):
        start = [o[i] * s[i] - p[i] for i in range(3)]
        end = [min(start[i] + k[i], size[i] + p[i]) for i in range(3)]
        lo = [max(v, 0) for v in start]
        hi = [min(end[i], size[i]) for i in range(3)]
        total = x[(Ellipsis,) + tuple(slice(a, b) for a, b in zip(lo, hi))].sum((-3, -2, -1))
        count = div or math.prod((b - a) for a, b in (zip(start, end) if cip else zip(lo, hi)))
        np.testing.assert_allclose(out[(Ellipsis,) + o], total / count, rtol=1e-12, atol=1e-12)


@SETTINGS
@given(st.tuples(*[st.integers(1, 5)] * 3), st.tuples(*[st.integers(1, 4)] * 3),
       st.integers(0, 5))
def test_adaptive_pools_match_loops(size, osz, seed):
    x = ramp((2,) + size, seed)
    avg = F.adaptive_avg_pool3d(torch.tensor(x), osz).numpy()
    mx, idx = F.adaptive_max_pool3d(torch.tensor(x), osz, return_indices=True)
    for o in itertools.product(*map(range, osz)):
        sl = tuple(slice(o[i] * size[i] // osz[i], -(-(o[i] + 1) * size[i] // osz[i]))
                   for i in range(3))
        win = x[(slice(None),) + sl]
        np.testing.assert_allclose(avg[(Ellipsis,) + o], win.mean((-3, -2, -1)), rtol=1e-12)
        np.testing.assert_array_equal(mx.numpy()[(Ellipsis,) + o], win.max((-3, -2, -1)))
        flat = x.reshape(2, -1)
        np.testing.assert_array_equal(
            np.take_along_axis(flat, idx.numpy()[(Ellipsis,) + o].reshape(2, 1), 1)[:, 0],
            win.max((-3, -2, -1)))


@SETTINGS
@given(st.sampled_from([1, 2, 3]), st.integers(1, 3), st.integers(0, 5))
def test_unpool_puts_maxima_back(nd, k, seed):
    size = (2 * k,) * nd
    x = torch.tensor(ramp((2, 3) + size, seed) + 1000)      # positive: zeros are not maxima
    pool = [F.max_pool1d, F.max_pool2d, F.max_pool3d][nd - 1]
    unpool = [F.max_unpool1d, F.max_unpool2d, F.max_unpool3d][nd - 1]
    v, i = pool(x, k, return_indices=True)
    u = unpool(v, i, k)
    assert tuple(u.shape) == tuple(x.shape)
    kept = u.numpy() != 0
    np.testing.assert_array_equal(u.numpy()[kept], x.numpy()[kept])
    assert kept.sum() == v.numel()
    np.testing.assert_array_equal(pool(u, k), v.numpy())


def test_gradients_go_to_the_maxima_and_back():
    x = torch.tensor(ramp((1, 2, 4, 4, 4)), requires_grad=True)
    out, idx = F.max_pool3d(x, 2, return_indices=True)
    (g,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    assert type(g.grad_fn).__name__ == "MaxPool3DWithIndicesBackwardBackward0"
    assert g.sum().item() == out.numel()
    flat = g.detach().numpy().reshape(1, 2, -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, idx.numpy().reshape(1, 2, -1), 2),
                                  1.0)
    u = F.max_unpool3d(out, idx, 2)
    assert type(u.grad_fn).__name__ == "MaxUnpool3DBackward0"
    (gu,) = torch.autograd.grad(u.sum(), x)
    np.testing.assert_array_equal(gu.numpy(), g.detach().numpy())


def test_avg_pool3d_integer_truncates_toward_zero():
    x = torch.tensor([[[[[-7, 2], [5, -3]]]]])
    out = F.avg_pool3d(x, (1, 1, 2))
    assert out.dtype == torch.int64
    assert out.flatten().tolist() == [-2, 1]


def test_fractional_windows_cover_input_edges():
    x = torch.tensor(ramp((1, 2, 9, 11)))
    r = torch.tensor(np.array([[[0.2, 0.7], [0.9, 0.1]]]))
    out, idx = F.fractional_max_pool2d(x, (2, 3), (4, 5), return_indices=True,
                                       _random_samples=r)
    flat = x.numpy().reshape(2, -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, idx.numpy().reshape(2, -1), 1),
                                  out.numpy().reshape(2, -1))
    # the last window ends at the input's edge
    rows = idx.numpy() // 11
    assert (rows[..., -1, :] >= 9 - 2).all()


@pytest.mark.parametrize("fn,msg", [
    (lambda x: F.max_pool3d(x, 2, padding=2), "pad should be at most half of effective"),
    (lambda x: F.max_pool3d(x, (2, 2)), "max_pool3d: kernel_size must either be a single int,"
                                        " or a tuple of three ints"),
    (lambda x: F.max_pool3d(x, 7), "Given input size: (3x4x5x6). Calculated output size: "
                                   "(3x0x0x0). Output size is too small"),
    (lambda x: F.avg_pool3d(x, 7), "input image (T: 4 H: 5 W: 6) smaller than kernel size "
                                   "(kT: 7 kH: 7 kW: 7)"),
    (lambda x: F.avg_pool3d(x, 2, divisor_override=0), "divisor must be not zero"),
    (lambda x: F.adaptive_max_pool3d(x, (2, 2)), "adaptive_max_pool3d(): internal error: "
                                                 "output_size.size() must be 3"),
    (lambda x: F.max_unpool3d(x, x.long(), 2, output_size=(1, 1)),
     "output_size should be a sequence containing 3 or 5 elements"),
])
def test_error_texts(fn, msg):
    with pytest.raises((RuntimeError, ValueError)) as e:
        fn(torch.zeros(2, 3, 4, 5, 6))
    assert str(e.value).startswith(msg)


def test_modules_print_like_torch():
    assert repr(torch.nn.MaxPool3d(2)) == \
        "MaxPool3d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(torch.nn.AvgPool3d(3, 2)) == "AvgPool3d(kernel_size=3, stride=2, padding=0)"
    assert repr(torch.nn.MaxUnpool2d(2)) == \
        "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    assert repr(torch.nn.AdaptiveMaxPool3d((1, None, 2))) == \
        "AdaptiveMaxPool3d(output_size=(1, None, 2))"
    assert repr(torch.nn.LPPool3d(2, 3)) == \
        "LPPool3d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)"
    assert repr(torch.nn.FractionalMaxPool3d(2, 3)) == "FractionalMaxPool3d()"
