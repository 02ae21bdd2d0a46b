"""Layer ops and modules against plain reference computations: convolutions and pooling
against direct loops over output positions (slow, tiny shapes), normalisation against its
formula, im2col / pixel shuffle / interpolation against their definitions; plus module
behaviour (train / eval, buffers, state dicts) and argument errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import tensor as tk
import tensor.nn.functional as F

rng = np.random.default_rng(7)


def rand(*shape):
    return rng.standard_normal(shape)


def arr(t):
    return t.detach().numpy()


# -- references ----------------------------------------------------------------------------
def ref_conv2d(x, w, b, s, p, d, g):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    oh = (h + 2 * p - d * (kh - 1) - 1) // s + 1
    ow = (wd + 2 * p - d * (kw - 1) - 1) // s + 1
    out = np.zeros((n, o, oh, ow))
    og = o // g
    for oc, i, j in itertools.product(range(o), range(oh), range(ow)):
        grp = oc // og
        patch = xp[:, grp * cg:(grp + 1) * cg, i * s:i * s + d * (kh - 1) + 1:d,
                   j * s:j * s + d * (kw - 1) + 1:d]
        out[:, oc, i, j] = (patch * w[oc]).sum(axis=(1, 2, 3))
    return out + (0 if b is None else b.reshape(1, -1, 1, 1))


def ref_conv_transpose2d(x, w, s, p, op, d, g):
    """Scatter each input pixel times the kernel into the output (the definition)."""
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    oh = (h - 1) * s - 2 * p + d * (kh - 1) + op + 1
    ow = (wd - 1) * s - 2 * p + d * (kw - 1) + op + 1
    full = np.zeros((n, og * g, oh + 2 * p + d * kh, ow + 2 * p + d * kw))
    cg = c // g
    for ic, i, j in itertools.product(range(c), range(h), range(wd)):
        grp = ic // cg
        for a, bb in itertools.product(range(kh), range(kw)):
            full[:, grp * og:(grp + 1) * og, i * s + a * d, j * s + bb * d] += \
                x[:, ic, i, j][:, None] * w[ic, :, a, bb]
    return full[:, :, p:p + oh, p:p + ow]


def ref_pool2d(x, k, s, p, d, ceil, reduce, pad_value):
    h, w = x.shape[-2:]

    def out_len(n):
        o = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
        return o - 1 if ceil and (o - 1) * s >= n + p else o
    oh, ow = out_len(h), out_len(w)
    xp = np.pad(x, ((0, 0),) * (x.ndim - 2) + ((p, p + k * d), (p, p + k * d)),
                constant_values=pad_value)
    out = np.zeros(x.shape[:-2] + (oh, ow))
    for i, j in itertools.product(range(oh), range(ow)):
        win = xp[..., i * s:i * s + d * (k - 1) + 1:d, j * s:j * s + d * (k - 1) + 1:d]
        out[..., i, j] = reduce(win, i, j)
    return out


# -- convolutions --------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(g=st.sampled_from([1, 2]), k=st.integers(1, 3), s=st.integers(1, 2),
       p=st.integers(0, 2), d=st.integers(1, 2), extra=st.integers(0, 2), bias=st.booleans())
def test_conv2d_is_the_sliding_dot_product(g, k, s, p, d, extra, bias):
    size = d * (k - 1) + 1 + extra
    x, w = rand(2, 2 * g, size, size + 1), rand(3 * g, 2, k, k)
    b = rand(3 * g) if bias else None
    out = F.conv2d(tk.tensor(x), tk.tensor(w), None if b is None else tk.tensor(b), s, p, d, g)
    np.testing.assert_allclose(arr(out), ref_conv2d(x, w, b, s, p, d, g), rtol=1e-10,
                               atol=1e-10)


@settings(max_examples=30, deadline=None)
@given(g=st.sampled_from([1, 2]), k=st.integers(1, 3), s=st.integers(1, 3),
       p=st.integers(0, 1), d=st.integers(1, 2), op=st.integers(0, 2))
def test_conv_transpose2d_scatters_the_kernel(g, k, s, p, d, op):
    op = min(op, max(s, d) - 1)
    assume(2 * s - 2 * p + d * (k - 1) + op >= 1 and s - 2 * p + d * (k - 1) + op >= 1)
    x, w = rand(2, 2 * g, 3, 2), rand(2 * g, 3, k, k)
    out = F.conv_transpose2d(tk.tensor(x), tk.tensor(w), None, s, p, op, g, d)
    np.testing.assert_allclose(arr(out), ref_conv_transpose2d(x, w, s, p, op, d, g),
                               rtol=1e-10, atol=1e-10)


@settings(max_examples=20, deadline=None)
@given(k=st.integers(1, 3), s=st.integers(1, 2), p=st.integers(0, 2), d=st.integers(1, 2))
def test_conv_transpose_is_the_adjoint_of_conv(k, s, p, d):
    """<conv(x, w), y> == <x, conv_transpose(y, w)> for every x, y."""
    x = rand(1, 2, d * (k - 1) + 1 + 3, 5 + d * (k - 1))
    w = rand(3, 2, k, k)
    y = F.conv2d(tk.tensor(x), tk.tensor(w), None, s, p, d)
    z = rand(*y.shape)
    # the output padding that gives back x's size (trailing pixels no window reads)
    op = [x.shape[2 + i] - ((y.shape[2 + i] - 1) * s - 2 * p + d * (k - 1) + 1)
          for i in range(2)]
    assume(all(v < max(s, d) for v in op))
    back = arr(F.conv_transpose2d(tk.tensor(z), tk.tensor(w), None, s, p, op, 1, d))
    assert back.shape == x.shape
    assert abs((arr(y) * z).sum() - (x * back).sum()) < 1e-9


def test_conv1d_unbatched_and_grad_fn():
    x = tk.tensor(rand(2, 6), requires_grad=True)
    w = tk.tensor(rand(3, 2, 2), requires_grad=True)
    y = F.conv1d(x, w)
    assert tuple(y.shape) == (3, 5)
    assert type(y.grad_fn).__name__ == "SqueezeBackward1"
    yb = F.conv1d(x.unsqueeze(0), w)
    assert type(yb.grad_fn).__name__ == "ConvolutionBackward0"
    np.testing.assert_allclose(arr(y), arr(yb)[0])


def test_conv_integer_inputs_are_allowed():
    x = tk.ones(1, 1, 3, 3, dtype=tk.int64)
    out = F.conv2d(x, tk.ones(1, 1, 2, 2, dtype=tk.int64))
    assert out.dtype == tk.int64 and arr(out).tolist() == [[[[4, 4], [4, 4]]]]


def test_convolution_backward_mask_leaves_skipped_outputs_undefined():
    from tensor.opdefs.nn_layers import convolution_backward
    gi, gw, gb = convolution_backward(tk.ones(1, 2, 2), tk.ones(1, 1, 3), tk.ones(2, 1, 2),
                                      [2], [1], [0], [1], False, [0], 1, [True, False, True])
    assert gw is None
    assert arr(gi).tolist() == [[[2, 4, 2]]] and arr(gb).tolist() == [2, 2]


# -- pooling -------------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 1), d=st.integers(1, 2),
       ceil=st.booleans(), extra=st.integers(0, 3))
def test_max_pool2d_takes_window_maxima(k, s, p, d, ceil, extra):
    eff = d * (k - 1) + 1
    p = min(p, eff // 2)
    x = rng.permutation(2 * 3 * (eff + extra) * (eff + 1)).reshape(
        2, 3, eff + extra, eff + 1).astype(np.float64)
    out, idx = F.max_pool2d(tk.tensor(x), k, s, p, d, ceil, return_indices=True)
    ref = ref_pool2d(x, k, s, p, d, ceil, lambda w, i, j: w.max(axis=(-2, -1)), -np.inf)
    np.testing.assert_array_equal(arr(out), ref)
    flat = x.reshape(2, 3, -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, arr(idx).reshape(2, 3, -1), -1),
                                  ref.reshape(2, 3, -1))


@settings(max_examples=30, deadline=None)
@given(k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 1), ceil=st.booleans(),
       cip=st.booleans(), extra=st.integers(0, 3))
def test_avg_pool2d_averages_windows(k, s, p, ceil, cip, extra):
    p = min(p, k // 2)
    h = w = k + extra
    x = rand(2, h, w)
    ones = np.pad(np.ones((h, w)), p)

    def mean(win, i, j):
        total = win.sum(axis=(-2, -1))
        # window extent clipped to the padded input; valid count excludes padding
        rows = range(i * s, min(i * s + k, h + 2 * p))
        cols = range(j * s, min(j * s + k, w + 2 * p))
        if cip:
            n = len(rows) * len(cols)
        else:
            n = sum(ones[r, c] for r in rows for c in cols)
        return total / n
    ref = ref_pool2d(x, k, s, p, 1, ceil, mean, 0.0)
    out = F.avg_pool2d(tk.tensor(x), k, s, p, ceil, cip)
    np.testing.assert_allclose(arr(out), ref, rtol=1e-12, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(h=st.integers(1, 7), oh=st.integers(1, 5), w=st.integers(1, 6), ow=st.integers(2, 4))
def test_adaptive_pools_cover_pytorch_windows(h, oh, w, ow):
    x = rand(3, h, w)
    avg = arr(F.adaptive_avg_pool2d(tk.tensor(x), (oh, ow)))
    mx = arr(F.adaptive_max_pool2d(tk.tensor(x), (oh, ow)))
    for i, j in itertools.product(range(oh), range(ow)):
        r0, r1 = (i * h) // oh, -(-((i + 1) * h) // oh)
        c0, c1 = (j * w) // ow, -(-((j + 1) * w) // ow)
        win = x[:, r0:r1, c0:c1]
        np.testing.assert_allclose(avg[:, i, j], win.mean(axis=(1, 2)), rtol=1e-12,
                                   atol=1e-14)
        np.testing.assert_array_equal(mx[:, i, j], win.max(axis=(1, 2)))


def test_pool_1d_variants_squeeze_a_2d_pool():
    x = tk.tensor(rand(2, 3, 7), requires_grad=True)
    for y in (F.max_pool1d(x, 3), F.avg_pool1d(x, 3), F.adaptive_avg_pool1d(x, 2),
              F.adaptive_max_pool1d(x, 2)):
        assert type(y.grad_fn).__name__ == "SqueezeBackward1"
    np.testing.assert_allclose(arr(F.avg_pool1d(x, 2, 1)),
                               (arr(x)[..., 1:] + arr(x)[..., :-1]) / 2)


@pytest.mark.parametrize("call,err", [
    (lambda: F.max_pool2d(tk.zeros(1, 1, 4, 4), 2, padding=2), "pad should be at most half"),
    (lambda: F.max_pool2d(tk.zeros(1, 1, 4, 4), 5), "Given input size: (1x4x4). Calculated "
                                                    "output size: (1x0x0)"),
    (lambda: F.avg_pool2d(tk.zeros(1, 1, 4, 4), 2, divisor_override=0),
     "divisor must be not zero"),
    (lambda: F.max_pool1d(tk.zeros(5), 2), "max_pool1d() Expected 2D or 3D input"),
])
def test_pool_errors(call, err):
    with pytest.raises(RuntimeError) as e:
        call()
    assert str(e.value).startswith(err)


# -- normalisation -------------------------------------------------------------------------
@settings(max_examples=20, deadline=None)
@given(shape=st.sampled_from([(5, 3), (2, 3, 4), (2, 3, 2, 2)]), momentum=st.floats(0, 1))
def test_batch_norm_formula_and_running_stats(shape, momentum):
    x = rand(*shape)
    c = shape[1]
    rm, rv = tk.zeros(c, dtype=tk.float64), tk.ones(c, dtype=tk.float64)
    w, b = rand(c), rand(c)
    out = F.batch_norm(tk.tensor(x), rm, rv, tk.tensor(w), tk.tensor(b), True, momentum, 1e-5)
    axes = (0,) + tuple(range(2, len(shape)))
    cs = (1, c) + (1,) * (len(shape) - 2)
    mean, var = x.mean(axes), x.var(axes)
    ref = (x - mean.reshape(cs)) / np.sqrt(var.reshape(cs) + 1e-5) * w.reshape(cs) + \
        b.reshape(cs)
    np.testing.assert_allclose(arr(out), ref, rtol=1e-10, atol=1e-10)
    n = x.size // c
    np.testing.assert_allclose(arr(rm), momentum * mean, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(arr(rv), (1 - momentum) + momentum * var * n / (n - 1),
                               rtol=1e-10)
    assert rm._version == 0          # updated by the kernel, no version bump (as PyTorch)


def test_group_norm_normalises_each_group():
    x = rand(2, 4, 3)
    out = arr(F.group_norm(tk.tensor(x), 2))
    g = out.reshape(2, 2, -1)
    np.testing.assert_allclose(g.mean(-1), 0, atol=1e-12)
    np.testing.assert_allclose(g.var(-1), 1, rtol=1e-4)


def test_batch_norm_module_train_and_eval():
    tk.manual_seed(0)
    bn = tk.nn.BatchNorm2d(3, momentum=None)
    x1, x2 = rand(4, 3, 2, 2), rand(4, 3, 2, 2) + 1
    bn(tk.tensor(x1))
    bn(tk.tensor(x2))
    assert int(bn.num_batches_tracked) == 2
    # momentum=None: the running mean is the plain average of the batch means
    np.testing.assert_allclose(arr(bn.running_mean),
                               (x1.mean((0, 2, 3)) + x2.mean((0, 2, 3))) / 2, rtol=1e-6)
    bn.eval()
    y = arr(bn(tk.tensor(x1)))
    rm = arr(bn.running_mean).reshape(1, 3, 1, 1)
    rv = arr(bn.running_var).reshape(1, 3, 1, 1)
    np.testing.assert_allclose(y, (x1 - rm) / np.sqrt(rv + 1e-5), rtol=1e-5, atol=1e-6)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    assert bn.num_batches_tracked.dtype == tk.int64


def test_batch_norm_without_running_stats_uses_batch_stats_in_eval():
    bn = tk.nn.BatchNorm1d(2, track_running_stats=False).eval()
    x = rand(5, 2)
    np.testing.assert_allclose(arr(bn(tk.tensor(x).float())),
                               (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-4)
    assert bn.running_mean is None and list(bn.state_dict()) == ["weight", "bias"]


def test_norm_errors():
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        F.batch_norm(tk.zeros(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        tk.nn.BatchNorm2d(3)(tk.zeros(2, 3, 4))
    with pytest.raises(RuntimeError, match="running_mean should contain 3 elements not 4"):
        F.batch_norm(tk.zeros(2, 3), tk.zeros(4), tk.ones(4))


# -- im2col, pixel shuffle, interpolation --------------------------------------------------
@settings(max_examples=20, deadline=None)
@given(k=st.integers(1, 3), d=st.integers(1, 2), p=st.integers(0, 1), s=st.integers(1, 2))
def test_unfold_lists_patches_and_fold_sums_them(k, d, p, s):
    x = rand(2, 3, 2 + d * (k - 1), 3 + d * (k - 1))
    cols = arr(F.unfold(tk.tensor(x), k, d, p, s))
    w = rand(4, 3, k, k)
    # a convolution is a matrix product with the unfolded input
    conv = arr(F.conv2d(tk.tensor(x), tk.tensor(w), None, s, p, d))
    np.testing.assert_allclose((w.reshape(4, -1) @ cols).reshape(conv.shape), conv,
                               rtol=1e-10, atol=1e-10)
    # fold(unfold(ones)) counts how many patches cover each pixel
    ones = tk.ones(1, 1, *x.shape[2:], dtype=tk.float64)
    cover = arr(F.fold(F.unfold(ones, k, d, p, s), x.shape[2:], k, d, p, s))
    assert cover.min() >= 0 and cover.max() <= k * k


def test_pixel_shuffle_round_trip():
    x = tk.tensor(rand(2, 8, 3, 2))
    y = F.pixel_shuffle(x, 2)
    assert tuple(y.shape) == (2, 2, 6, 4)
    assert arr(y)[0, 1, 3, 2] == arr(x)[0, 1 * 4 + 1 * 2 + 0, 1, 1]
    np.testing.assert_array_equal(arr(F.pixel_unshuffle(y, 2)), arr(x))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 6), out=st.integers(1, 9), align=st.booleans())
def test_linear_interpolation_matches_numpy_interp(n, out, align):
    x = rand(1, 1, n)
    y = arr(F.interpolate(tk.tensor(x), size=out, mode="linear", align_corners=align))[0, 0]
    i = np.arange(out)
    if align:
        src = i * ((n - 1) / (out - 1)) if out > 1 else np.zeros(out)
    else:
        src = np.maximum((i + 0.5) * n / out - 0.5, 0)
    np.testing.assert_allclose(y, np.interp(src, np.arange(n), x[0, 0]), rtol=1e-10,
                               atol=1e-12)


def test_nearest_interpolation_repeats():
    x = tk.tensor(rand(1, 1, 2, 3))
    y = arr(F.interpolate(x, scale_factor=2))
    np.testing.assert_array_equal(y, arr(x).repeat(2, axis=2).repeat(2, axis=3))
    assert type(F.interpolate(x.requires_grad_(), size=(3, 4)).grad_fn).__name__ == \
        "UpsampleNearest2DBackward0"


def test_interpolate_refuses_antialiasing_with_a_hint():
    with pytest.raises(NotImplementedError, match="not supported by tensorkeys"):
        F.interpolate(tk.zeros(1, 1, 3, 3), size=2, mode="bilinear", antialias=True)


# -- modules -------------------------------------------------------------------------------
def test_conv_module_parameters_and_init():
    tk.manual_seed(3)
    m = tk.nn.Conv2d(4, 6, (3, 2), groups=2)
    assert tuple(m.weight.shape) == (6, 2, 3, 2) and tuple(m.bias.shape) == (6,)
    bound = 1 / np.sqrt(2 * 3 * 2)
    assert np.abs(arr(m.weight)).max() <= bound and np.abs(arr(m.bias)).max() <= bound
    t = tk.nn.ConvTranspose1d(4, 6, 3, groups=2)
    assert tuple(t.weight.shape) == (4, 3, 3)
    assert repr(m) == "Conv2d(4, 6, kernel_size=(3, 2), stride=(1, 1), groups=2)"


def test_dropout_modules_zero_channels_in_training_only():
    tk.manual_seed(0)
    m = tk.nn.Dropout2d(0.5)
    x = tk.ones(8, 6, 2, 2)
    y = arr(m(x)).reshape(8, 6, -1)
    assert set(np.unique(y)) <= {0.0, 2.0} and (y.min(-1) == y.max(-1)).all()
    m.eval()
    assert m(x) is x


def test_pad_modules():
    x = tk.tensor(rand(1, 2, 3), requires_grad=True)
    y = tk.nn.ConstantPad1d((1, 2), 7.0)(x)
    assert tuple(y.shape) == (1, 2, 6) and arr(y)[0, 0, 0] == 7.0
    assert type(y.grad_fn).__name__ == "ConstantPadNdBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(arr(x.grad), np.ones((1, 2, 3)))
    z = tk.nn.ZeroPad2d((1, -1, 0, 1))(tk.ones(1, 2, 3))
    assert arr(z).tolist() == [[[0, 1, 1], [0, 1, 1], [0, 0, 0]]]
