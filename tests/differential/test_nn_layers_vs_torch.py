"""Layer functions and modules side by side with PyTorch (skipped without torch): the same
call on both — same inputs, the same weights (copied through numpy) — must agree on values,
gradients, ``grad_fn`` names, shapes, dtypes, errors, module printing, state-dict keys and
running statistics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

TF = torch.nn.functional
KF = tk.nn.functional


def pair(arr, requires_grad=True):
    arr = np.asarray(arr)
    return (torch.tensor(arr, requires_grad=requires_grad and arr.dtype.kind == "f"),
            tk.tensor(arr, requires_grad=requires_grad and arr.dtype.kind == "f"))


def close(t, k, rtol=1e-6, atol=1e-6):
    a = t.detach().numpy()
    b = k.detach().numpy() if hasattr(k, "detach") else np.asarray(k)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    if a.dtype.kind in "iub":
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol)


def same_call(fn_t, fn_k, arrays, rtol=1e-6, atol=1e-6, seed=0):
    """Run both; compare outputs, grad_fn names and the gradients of every float input."""
    ts, ks = zip(*(pair(a) for a in arrays))
    rt, rk = fn_t(*ts), fn_k(*ks)
    outs_t = rt if isinstance(rt, tuple) else (rt,)
    outs_k = rk if isinstance(rk, tuple) else (rk,)
    for a, b in zip(outs_t, outs_k):
        close(a, b, rtol, atol)
    first_t, first_k = outs_t[0], outs_k[0]
    if first_t.grad_fn is not None:
        assert first_k.grad_fn is not None and \
            type(first_k.grad_fn).__name__ == first_t.grad_fn.name()
        g = np.random.default_rng(seed).standard_normal(tuple(first_t.shape))
        first_t.backward(torch.tensor(g, dtype=first_t.dtype))
        first_k.backward(tk.tensor(g, dtype=first_k.dtype))
        for a, b in zip(ts, ks):
            if a.requires_grad:
                close(a.grad, b.grad, rtol, atol)
    return outs_t, outs_k


def same_error(fn_t, fn_k):
    with pytest.raises(Exception) as et:
        fn_t()
    with pytest.raises(Exception) as ek:
        fn_k()
    assert type(ek.value) is type(et.value)
    assert str(ek.value).split("\n")[0].startswith(str(et.value).split("\n")[0]), \
        (str(ek.value), str(et.value))


rng = np.random.default_rng(1234)


def rand(*shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


# -- convolutions --------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(nd=st.sampled_from([1, 2]), groups=st.sampled_from([1, 2]), k=st.integers(1, 3),
       s=st.integers(1, 3), p=st.integers(0, 2), d=st.integers(1, 2), bias=st.booleans(),
       batched=st.booleans(), f32=st.booleans(), extra=st.integers(0, 3))
def test_conv_matches_torch(nd, groups, k, s, p, d, bias, batched, f32, extra):
    dt = np.float32 if f32 else np.float64
    size = (d * (k - 1) + 1 + extra,) * nd
    x = rand(*((2,) if batched else ()), 2 * groups, *size, dtype=dt)
    w = rand(3 * groups, 2, *(k,) * nd, dtype=dt)
    arrays = [x, w] + ([rand(3 * groups, dtype=dt)] if bias else [])
    name = f"conv{nd}d"
    tol = 1e-5 if f32 else 1e-10

    def call(F):
        return lambda x, w, b=None: getattr(F, name)(x, w, b, stride=s, padding=p,
                                                     dilation=d, groups=groups)
    same_call(call(TF), call(KF), arrays, rtol=tol, atol=tol)


@settings(max_examples=25, deadline=None)
@given(nd=st.sampled_from([1, 2]), groups=st.sampled_from([1, 2]), k=st.integers(1, 3),
       s=st.integers(1, 3), p=st.integers(0, 1), d=st.integers(1, 2), bias=st.booleans(),
       op=st.integers(0, 2))
def test_conv_transpose_matches_torch(nd, groups, k, s, p, d, bias, op):
    op = min(op, max(s, d) - 1)
    x = rand(2, 2 * groups, *(3,) * nd)
    w = rand(2 * groups, 3, *(k,) * nd)
    arrays = [x, w] + ([rand(3 * groups)] if bias else [])
    name = f"conv_transpose{nd}d"

    def call(F):
        return lambda x, w, b=None: getattr(F, name)(x, w, b, stride=s, padding=p,
                                                     output_padding=op, groups=groups,
                                                     dilation=d)
    same_call(call(TF), call(KF), arrays, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("k", [(3, 3), (2, 3), (4, 1)])
@pytest.mark.parametrize("d", [1, 2])
def test_conv_padding_strings(k, d):
    x, w = rand(1, 2, 8, 7), rand(3, 2, *k)
    for padding in ("same", "valid"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            same_call(lambda x, w: TF.conv2d(x, w, padding=padding, dilation=d),
                      lambda x, w: KF.conv2d(x, w, padding=padding, dilation=d), [x, w],
                      rtol=1e-10, atol=1e-10)


def test_conv_double_backward_matches_torch():
    x, w = rand(2, 2, 5, 5), rand(3, 2, 3, 3)
    res = []
    for L, F in ((torch, TF), (tk, KF)):
        a = L.tensor(x, requires_grad=True)
        b = L.tensor(w, requires_grad=True)
        y = F.conv2d(a, b, stride=2, padding=1)
        gx, gw = (L.autograd.grad if L is torch else tk.autograd.grad)(
            (y * y).sum(), (a, b), create_graph=True)
        names = (gx.grad_fn.name() if L is torch else type(gx.grad_fn).__name__)
        (gx.sum() + (gw * gw).sum()).backward()
        res.append((gx, gw, a.grad, b.grad, names))
    for t, k in zip(res[0][:4], res[1][:4]):
        close(t, k, 1e-10, 1e-10)


@pytest.mark.parametrize("case", [
    lambda F, L: F.conv2d(L.zeros(2, 3, 5, 5), L.zeros(4, 2, 3, 3)),
    lambda F, L: F.conv2d(L.zeros(2, 3, 5, 5), L.zeros(4, 3, 3)),
    lambda F, L: F.conv2d(L.zeros(5, 5), L.zeros(4, 3, 3, 3)),
    lambda F, L: F.conv2d(L.zeros(2, 3, 5, 5), L.zeros(4, 3, 7, 7)),
    lambda F, L: F.conv2d(L.zeros(2, 3, 5, 5), L.zeros(4, 3, 3, 3), groups=2),
    lambda F, L: F.conv2d(L.zeros(2, 3, 5, 5), L.zeros(3, 1, 3, 3), groups=3,
                          bias=L.zeros(4)),
    lambda F, L: F.conv2d(L.zeros(2, 3, 5, 5), L.zeros(4, 3, 3, 3, dtype=L.float64)),
    lambda F, L: F.conv2d(L.zeros(2, 3, 5, 5), L.zeros(4, 3, 3, 3), stride=0),
    lambda F, L: F.conv2d(L.zeros(2, 3, 5, 5), L.zeros(4, 3, 3, 3), padding=-1),
    lambda F, L: F.conv2d(L.zeros(2, 3, 5, 5), L.zeros(4, 3, 3, 3), padding="same",
                          stride=2),
    lambda F, L: F.conv2d(L.zeros(2, 3, 5, 5), L.zeros(4, 3, 3, 3), padding="foo"),
    lambda F, L: F.conv_transpose2d(L.zeros(2, 3, 5, 5), L.zeros(3, 2, 3, 3), stride=2,
                                    output_padding=2),
    lambda F, L: F.conv_transpose2d(L.zeros(2, 3, 5, 5), L.zeros(4, 2, 3, 3)),
    lambda F, L: F.conv1d(L.zeros(3, 5, 5), L.zeros(4, 3, 3)),
])
def test_conv_errors_match_torch(case):
    same_error(lambda: case(TF, torch), lambda: case(KF, tk))


# -- pooling -------------------------------------------------------------------------------
def distinct(shape):
    return (rng.permutation(int(np.prod(shape))) * 0.1).reshape(shape)


@settings(max_examples=30, deadline=None)
@given(k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 1), d=st.integers(1, 2),
       ceil=st.booleans(), h=st.integers(0, 3), w=st.integers(0, 3), batched=st.booleans())
def test_max_pool2d_matches_torch(k, s, p, d, ceil, h, w, batched):
    eff = d * (k - 1) + 1
    p = min(p, eff // 2)
    x = distinct(((2,) if batched else ()) + (3, eff + h, eff + w))

    def call(F):
        return lambda x: F.max_pool2d(x, k, s, p, d, ceil_mode=ceil, return_indices=True)
    same_call(call(TF), call(KF), [x], 0, 0)


@settings(max_examples=20, deadline=None)
@given(k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 1), d=st.integers(1, 2),
       ceil=st.booleans(), n=st.integers(0, 4))
def test_max_pool1d_matches_torch(k, s, p, d, ceil, n):
    eff = d * (k - 1) + 1
    p = min(p, eff // 2)
    x = distinct((2, 3, eff + n))
    same_call(lambda x: TF.max_pool1d(x, k, s, p, d, ceil_mode=ceil, return_indices=True),
              lambda x: KF.max_pool1d(x, k, s, p, d, ceil_mode=ceil, return_indices=True),
              [x], 0, 0)


@settings(max_examples=30, deadline=None)
@given(k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 1), ceil=st.booleans(),
       cip=st.booleans(), div=st.sampled_from([None, 2]), h=st.integers(0, 3),
       w=st.integers(0, 3), f32=st.booleans())
def test_avg_pool2d_matches_torch(k, s, p, ceil, cip, div, h, w, f32):
    p = min(p, k // 2)
    x = rand(2, 3, k + h, k + w, dtype=np.float32 if f32 else np.float64)

    def call(F):
        return lambda x: F.avg_pool2d(x, k, s, p, ceil, cip, div)
    same_call(call(TF), call(KF), [x], 1e-6, 1e-6)


@settings(max_examples=15, deadline=None)
@given(k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 1), ceil=st.booleans(),
       cip=st.booleans(), n=st.integers(0, 4))
def test_avg_pool1d_matches_torch(k, s, p, ceil, cip, n):
    p = min(p, k // 2)
    x = rand(2, 3, k + n)
    same_call(lambda x: TF.avg_pool1d(x, k, s, p, ceil, cip),
              lambda x: KF.avg_pool1d(x, k, s, p, ceil, cip), [x], 1e-12, 1e-12)


@settings(max_examples=25, deadline=None)
@given(h=st.integers(1, 7), w=st.integers(1, 7), oh=st.sampled_from([1, 2, 3, 5, None]),
       ow=st.integers(1, 5))
def test_adaptive_pools_match_torch(h, w, oh, ow):
    x = distinct((2, 3, h, w))
    same_call(lambda x: TF.adaptive_avg_pool2d(x, (oh, ow)),
              lambda x: KF.adaptive_avg_pool2d(x, (oh, ow)), [x], 1e-12, 1e-12)
    same_call(lambda x: TF.adaptive_max_pool2d(x, (oh, ow), True),
              lambda x: KF.adaptive_max_pool2d(x, (oh, ow), True), [x], 0, 0)
    same_call(lambda x: TF.adaptive_avg_pool1d(x[0], ow),
              lambda x: KF.adaptive_avg_pool1d(x[0], ow), [x], 1e-12, 1e-12)
    same_call(lambda x: TF.adaptive_max_pool1d(x[0], ow, True),
              lambda x: KF.adaptive_max_pool1d(x[0], ow, True), [x], 0, 0)


def test_adaptive_avg_pool_to_one_is_a_mean():
    same_call(lambda x: TF.adaptive_avg_pool2d(x, 1), lambda x: KF.adaptive_avg_pool2d(x, 1),
              [rand(2, 3, 4, 5)], 1e-12, 1e-12)


@pytest.mark.parametrize("case", [
    lambda F, L: F.max_pool2d(L.zeros(2, 3, 5, 5), 2, padding=2),
    lambda F, L: F.max_pool2d(L.zeros(2, 3, 5, 5), 7),
    lambda F, L: F.max_pool2d(L.zeros(2, 3, 5, 5), 2, stride=0),
    lambda F, L: F.avg_pool2d(L.zeros(2, 3, 5, 5), 2, padding=2),
    lambda F, L: F.avg_pool2d(L.zeros(2, 3, 5, 5), 7),
    lambda F, L: F.avg_pool2d(L.zeros(2, 3, 5, 5), 2, divisor_override=0),
    lambda F, L: F.avg_pool1d(L.zeros(3, 5), 7),
    lambda F, L: F.adaptive_avg_pool2d(L.zeros(5), 2),
    lambda F, L: F.adaptive_max_pool2d(L.zeros(5), 2),
    lambda F, L: F.max_pool2d(L.zeros(5), 2),
])
def test_pool_errors_match_torch(case):
    same_error(lambda: case(TF, torch), lambda: case(KF, tk))


# -- normalisation -------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 3), (3, 3, 5), (2, 3, 4, 4)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_matches_torch(shape, training, affine):
    c = shape[1]
    rm, rv = rand(c), np.abs(rand(c)) + 0.5
    arrays = [rand(*shape)] + ([rand(c), rand(c)] if affine else [])
    stats = []

    def call(F, L):
        def f(x, w=None, b=None):
            m, v = L.tensor(rm), L.tensor(rv)
            stats.append((m, v))
            return F.batch_norm(x, m, v, w, b, training=training, momentum=0.3, eps=1e-4)
        return f
    same_call(call(TF, torch), call(KF, tk), arrays, 1e-10, 1e-10)
    (tm, tv), (km, kv) = stats
    close(tm, km, 1e-12, 1e-12)
    close(tv, kv, 1e-12, 1e-12)
    assert km._version == tm._version


@pytest.mark.parametrize("shape,groups", [((2, 4, 3), 2), ((2, 6, 2, 2), 3), ((3, 4), 4),
                                          ((2, 4, 5), 1)])
def test_group_norm_matches_torch(shape, groups):
    c = shape[1]
    same_call(lambda x, w, b: TF.group_norm(x, groups, w, b, eps=1e-3),
              lambda x, w, b: KF.group_norm(x, groups, w, b, eps=1e-3),
              [rand(*shape), rand(c), rand(c)], 1e-10, 1e-10)


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 4)])
def test_instance_norm_matches_torch(shape):
    c = shape[1]
    rm, rv = rand(c), np.abs(rand(c)) + 0.5
    stats = []

    def call(F, L):
        def f(x, w, b):
            m, v = L.tensor(rm), L.tensor(rv)
            stats.append((m, v))
            return F.instance_norm(x, m, v, w, b, use_input_stats=True, momentum=0.2)
        return f
    same_call(call(TF, torch), call(KF, tk), [rand(*shape), rand(c), rand(c)], 1e-10, 1e-10)
    for a, b in zip(*stats):
        close(a, b, 1e-12, 1e-12)
        assert b._version == a._version


def test_local_response_norm_matches_torch():
    for shape in ((2, 5, 4), (2, 5, 3, 3)):
        same_call(lambda x: TF.local_response_norm(x, 3, 0.1, 0.6, 2.0),
                  lambda x: KF.local_response_norm(x, 3, 0.1, 0.6, 2.0), [rand(*shape)],
                  1e-10, 1e-10)


@pytest.mark.parametrize("case", [
    lambda F, L: F.batch_norm(L.zeros(2, 3, 5, 5), L.zeros(4), L.ones(4)),
    lambda F, L: F.batch_norm(L.zeros(1, 3, 1, 1), None, None, training=True),
    lambda F, L: F.group_norm(L.zeros(2, 3, 5, 5), 2),
    lambda F, L: F.instance_norm(L.zeros(2, 3, 1)),
])
def test_norm_errors_match_torch(case):
    same_error(lambda: case(TF, torch), lambda: case(KF, tk))


# -- im2col, pixel shuffle, interpolation --------------------------------------------------
@settings(max_examples=20, deadline=None)
@given(k=st.integers(1, 3), d=st.integers(1, 2), p=st.integers(0, 1), s=st.integers(1, 2),
       h=st.integers(0, 2), batched=st.booleans())
def test_unfold_fold_match_torch(k, d, p, s, h, batched):
    size = (d * (k - 1) + 1 + h, d * (k - 1) + 2)
    x = rand(*((2,) if batched else ()), 3, *size)
    same_call(lambda x: TF.unfold(x, k, d, p, s), lambda x: KF.unfold(x, k, d, p, s), [x],
              0, 0)
    cols = TF.unfold(torch.tensor(x), k, d, p, s).numpy()
    same_call(lambda c: TF.fold(c, size, k, d, p, s), lambda c: KF.fold(c, size, k, d, p, s),
              [cols], 1e-12, 1e-12)


def test_pixel_shuffle_matches_torch():
    same_call(lambda x: TF.pixel_shuffle(x, 2), lambda x: KF.pixel_shuffle(x, 2),
              [rand(2, 8, 3, 2)], 0, 0)
    same_call(lambda x: TF.pixel_unshuffle(x, 2), lambda x: KF.pixel_unshuffle(x, 2),
              [rand(1, 2, 4, 6)], 0, 0)
    same_call(lambda x: torch.pixel_shuffle(x, 3), lambda x: tk.pixel_shuffle(x, 3),
              [rand(9, 1, 2)], 0, 0)


@settings(max_examples=40, deadline=None)
@given(mode=st.sampled_from(["nearest", "bilinear", "linear", "area"]),
       h=st.integers(1, 6), w=st.integers(1, 6), by_size=st.booleans(),
       sh=st.sampled_from([0.5, 1.5, 2.0, 3.0, 0.7]), sw=st.sampled_from([0.5, 2.0, 2.5]),
       oh=st.integers(1, 8), ow=st.integers(1, 8), align=st.booleans(), f32=st.booleans())
def test_interpolate_matches_torch(mode, h, w, by_size, sh, sw, oh, ow, align, f32):
    dt = np.float32 if f32 else np.float64
    one = mode == "linear"
    x = rand(2, 3, w, dtype=dt) if one else rand(2, 3, h, w, dtype=dt)
    kw = {}
    if mode in ("bilinear", "linear"):
        kw["align_corners"] = align
    if by_size:
        kw["size"] = ow if one else (oh, ow)
    else:
        if int(w * sw) < 1 or (not one and int(h * sh) < 1):
            return
        kw["scale_factor"] = sw if one else (sh, sw)
    tol = 1e-5 if f32 else 1e-12
    same_call(lambda x: TF.interpolate(x, mode=mode, **kw),
              lambda x: KF.interpolate(x, mode=mode, **kw), [x], tol, tol)


@pytest.mark.parametrize("case", [
    lambda F, L: F.pixel_shuffle(L.zeros(2, 3, 5, 5), 2),
    lambda F, L: F.pixel_unshuffle(L.zeros(2, 3, 5, 5), 2),
    lambda F, L: F.unfold(L.zeros(2, 3, 5, 5), 7),
    lambda F, L: F.fold(L.zeros(2, 12, 16), (6, 6), 2),
    lambda F, L: F.interpolate(L.zeros(2, 3, 5, 5), mode="bilinear"),
    lambda F, L: F.interpolate(L.zeros(2, 3, 5, 5), size=3, scale_factor=2),
    lambda F, L: F.interpolate(L.zeros(2, 3, 5, 5), size=3, align_corners=True),
    lambda F, L: F.interpolate(L.zeros(2, 3, 5), size=3, mode="bilinear"),
])
def test_resampling_errors_match_torch(case):
    same_error(lambda: case(TF, torch), lambda: case(KF, tk))


# -- channel dropout -----------------------------------------------------------------------
@pytest.mark.parametrize("fn,shape", [("dropout1d", (4, 6, 5)), ("dropout1d", (6, 5)),
                                      ("dropout2d", (4, 6, 3, 3))])
def test_channel_dropout_zeroes_whole_channels(fn, shape):
    x = tk.ones(*shape, requires_grad=True)
    y = getattr(KF, fn)(x, 0.5)
    assert type(y.grad_fn).__name__ == getattr(TF, fn)(
        torch.ones(*shape, requires_grad=True), 0.5).grad_fn.name()
    a = y.detach().numpy().reshape(shape[:-1] + (-1,) if len(shape) == 2 else
                                   shape[:2] + (-1,))
    assert set(np.unique(a)) <= {0.0, 2.0}
    assert (a.min(-1) == a.max(-1)).all()              # whole channels
    close(getattr(TF, fn)(torch.ones(*shape), 0.5, training=False),
          getattr(KF, fn)(x, 0.5, training=False))


# -- modules -------------------------------------------------------------------------------
def module_pairs():
    return [
        lambda L: L.nn.Conv1d(2, 4, 3),
        lambda L: L.nn.Conv2d(2, 4, 3, stride=2, padding=1, dilation=2, groups=2, bias=False),
        lambda L: L.nn.Conv2d(2, 4, (3, 2), padding="same"),
        lambda L: L.nn.ConvTranspose2d(2, 4, 3, stride=2, output_padding=1),
        lambda L: L.nn.ConvTranspose1d(2, 4, 3, groups=2),
        lambda L: L.nn.MaxPool1d(2),
        lambda L: L.nn.MaxPool2d(3, 2, 1, ceil_mode=True),
        lambda L: L.nn.AvgPool1d(3),
        lambda L: L.nn.AvgPool2d(2, divisor_override=2),
        lambda L: L.nn.AvgPool2d(3, 1, 1, count_include_pad=False, ceil_mode=True),
        lambda L: L.nn.AdaptiveAvgPool1d(3),
        lambda L: L.nn.AdaptiveAvgPool2d((2, None)),
        lambda L: L.nn.AdaptiveMaxPool2d(2),
        lambda L: L.nn.AdaptiveMaxPool1d(2),
        lambda L: L.nn.BatchNorm1d(2),
        lambda L: L.nn.BatchNorm2d(2, momentum=None),
        lambda L: L.nn.BatchNorm2d(2, affine=False, track_running_stats=False),
        lambda L: L.nn.InstanceNorm1d(2),
        lambda L: L.nn.InstanceNorm2d(2, affine=True, track_running_stats=True),
        lambda L: L.nn.GroupNorm(2, 2),
        lambda L: L.nn.LocalResponseNorm(2),
        lambda L: L.nn.Unfold((2, 3), dilation=2, padding=1, stride=2),
        lambda L: L.nn.Fold((4, 4), 2),
        lambda L: L.nn.PixelShuffle(2),
        lambda L: L.nn.PixelUnshuffle(2),
        lambda L: L.nn.Upsample(scale_factor=2),
        lambda L: L.nn.Upsample(size=(3, 4), mode="bilinear", align_corners=True),
        lambda L: L.nn.UpsamplingBilinear2d(size=3),
        lambda L: L.nn.UpsamplingNearest2d(scale_factor=2),
        lambda L: L.nn.Dropout1d(),
        lambda L: L.nn.Dropout2d(0.2, inplace=True),
        lambda L: L.nn.ZeroPad2d(1),
        lambda L: L.nn.ZeroPad2d((1, 2, 3, 4)),
        lambda L: L.nn.ZeroPad1d(1),
        lambda L: L.nn.ConstantPad1d(2, 3.5),
        lambda L: L.nn.ConstantPad2d((1, 0, 1, 0), 1),
    ]


def copy_state(mt, mk):
    sd = {k: tk.tensor(v.detach().numpy()) for k, v in mt.state_dict().items()}
    mk.load_state_dict(sd)


def input_for(mt):
    name = type(mt).__name__
    if name.endswith("1d") and name not in ("ZeroPad1d", "ConstantPad1d"):
        return rand(3, 2, 8)
    if name == "Fold":
        return rand(2, 8, 9)
    if name in ("ZeroPad1d", "ConstantPad1d"):
        return rand(2, 5)
    if name == "PixelShuffle":
        return rand(2, 8, 3, 3)
    return rand(3, 2, 6, 6)


@pytest.mark.parametrize("make", module_pairs())
def test_modules_match_torch(make):
    mt, mk = make(torch), make(tk)
    assert repr(mk) == repr(mt)
    assert list(mk.state_dict().keys()) == list(mt.state_dict().keys())
    for (nt, pt), (nk, pk) in zip(mt.state_dict().items(), mk.state_dict().items()):
        assert tuple(pk.shape) == tuple(pt.shape) and str(pk.dtype) == str(pt.dtype)
    assert [n for n, _ in mk.named_parameters()] == [n for n, _ in mt.named_parameters()]
    assert [n for n, _ in mk.named_buffers()] == [n for n, _ in mt.named_buffers()]
    if "Dropout" in type(mt).__name__:
        mt.eval(), mk.eval()
    mt, mk = mt.double(), mk.double()
    copy_state(mt, mk)
    x = input_for(mt)
    out_t, out_k = same_call(mt, mk, [x], 1e-10, 1e-10)
    for (n, pt), (_, pk) in zip(mt.named_parameters(), mk.named_parameters()):
        close(pt.grad, pk.grad, 1e-10, 1e-10)
    for (n, bt), (_, bk) in zip(mt.named_buffers(), mk.named_buffers()):
        close(bt, bk, 1e-10, 1e-10)


@pytest.mark.parametrize("make", [lambda L: L.nn.BatchNorm2d(3),
                                  lambda L: L.nn.BatchNorm2d(3, momentum=None),
                                  lambda L: L.nn.BatchNorm1d(3, affine=False),
                                  lambda L: L.nn.InstanceNorm2d(3, track_running_stats=True)])
def test_running_stats_after_training_steps(make):
    mt, mk = make(torch), make(tk)
    mt, mk = mt.double(), mk.double()
    shape = (4, 3, 5) if isinstance(mt, torch.nn.BatchNorm1d) else (4, 3, 3, 3)
    for step in range(3):
        x = rand(*shape) * (step + 1) + step
        close(mt(torch.tensor(x)), mk(tk.tensor(x)), 1e-10, 1e-10)
    for (n, bt), (_, bk) in zip(mt.named_buffers(), mk.named_buffers()):
        close(bt, bk, 1e-12, 1e-12)
        assert bk._version == bt._version, n
    mt.eval(), mk.eval()
    x = rand(*shape)
    close(mt(torch.tensor(x)), mk(tk.tensor(x)), 1e-10, 1e-10)


def test_conv_transpose_output_size_matches_torch():
    mt, mk = torch.nn.ConvTranspose2d(2, 3, 3, stride=2).double(), \
        tk.nn.ConvTranspose2d(2, 3, 3, stride=2).double()
    copy_state(mt, mk)
    x = rand(1, 2, 4, 4)
    close(mt(torch.tensor(x), output_size=[10, 10]), mk(tk.tensor(x), output_size=[10, 10]),
          1e-10, 1e-10)
    same_error(lambda: mt(torch.tensor(x), output_size=[12, 12]),
               lambda: mk(tk.tensor(x), output_size=[12, 12]))


def test_bad_padding_mode_is_refused_like_torch():
    for L in (torch, tk):
        with pytest.raises(ValueError, match="padding_mode must be one of .*, but got "
                                             "padding_mode='bad'"):
            L.nn.Conv2d(4, 4, 3, padding_mode="bad")


def test_default_init_ranges_match_torch():
    """Conv weights and biases lie in PyTorch's bounds: 1/sqrt(fan_in) for both."""
    tk.manual_seed(0)
    m = tk.nn.Conv2d(4, 8, 3)
    bound = 1 / np.sqrt(4 * 9)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert np.abs(b).max() <= bound
    mt = torch.nn.ConvTranspose2d(4, 8, 3, groups=2)
    mk = tk.nn.ConvTranspose2d(4, 8, 3, groups=2)
    assert tuple(mk.weight.shape) == tuple(mt.weight.shape)
    bound = 1 / np.sqrt(mt.weight.shape[1] * 9)
    assert np.abs(mk.bias.detach().numpy()).max() <= bound


@pytest.mark.parametrize("case", [
    lambda L: L.nn.Conv2d(3, 4, 3, groups=2),
    lambda L: L.nn.Conv2d(4, 3, 3, groups=2),
    lambda L: L.nn.Conv2d(4, 4, 3, groups=0),
    lambda L: L.nn.Conv2d(4, 4, 3, padding="foo"),
    lambda L: L.nn.Conv2d(4, 4, 3, padding="same", stride=2),
    lambda L: L.nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"),
    lambda L: L.nn.GroupNorm(3, 4),
    lambda L: L.nn.BatchNorm2d(3)(L.zeros(2, 3)),
    lambda L: L.nn.BatchNorm1d(3)(L.zeros(2, 3, 4, 4)),
    lambda L: L.nn.InstanceNorm2d(3, affine=True)(L.zeros(2, 4, 3, 3)),
    lambda L: L.nn.Dropout2d(1.5),
])
def test_module_errors_match_torch(case):
    same_error(lambda: case(torch), lambda: case(tk))


@pytest.mark.parametrize("rows", [
    [[float("nan"), 1.0], [float("nan"), 2.0]],      # every NaN replaces: the last one wins
    [[3.0, 3.0], [1.0, 3.0]],                         # ties: the first maximum wins
    [[1.0, float("nan")], [5.0, 2.0]],
    [[-float("inf"), -float("inf")], [-float("inf"), -float("inf")]],
])
def test_max_pool_nan_and_tie_indices_match_torch(rows):
    def run(M):
        x = M.tensor([[rows]], requires_grad=True)
        v, i = M.nn.functional.max_pool2d(x, 2, return_indices=True)
        (g,) = M.autograd.grad(v.sum(), x)
        return repr(v.tolist()), i.tolist(), repr(g.tolist())
    assert run(tk) == run(torch)


@pytest.mark.parametrize("k,s", [(2, 2), (3, 2), (3, 1), (2, 3)])   # overlapping or not
def test_max_pool_gradient_overlapping_windows_match_torch(k, s):
    a = np.random.default_rng(k * 10 + s).integers(0, 4, (2, 3, 7, 7)).astype(np.float32)

    def run(M):
        x = M.tensor(a, requires_grad=True)
        v = M.nn.functional.max_pool2d(x, k, s)
        (g,) = M.autograd.grad((v * v).sum(), x)
        return v.detach().numpy(), g.numpy()
    (va, ga), (vb, gb) = run(tk), run(torch)
    np.testing.assert_array_equal(va, vb)
    np.testing.assert_array_equal(ga, gb)
