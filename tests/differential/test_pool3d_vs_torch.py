"""3-d pooling, unpooling and fractional max pooling side by side with PyTorch (skipped
without torch): the same call on both must agree on values, indices, output shapes (ceil
mode included), gradients, double-backward gradients, ``grad_fn`` names, dtypes, errors and
module printing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

TF = torch.nn.functional
KF = tk.nn.functional
SETTINGS = settings(max_examples=30, deadline=None)


def distinct(shape, seed=0, dtype=np.float64):
    """Values without ties (a shuffled ramp), so every maximum is unique."""
    n = int(np.prod(shape))
    perm = np.random.default_rng(seed).permutation(n).astype(np.float64)
    return (perm * 0.25 - n / 8).reshape(shape).astype(dtype)


def close(t, k, rtol=1e-6, atol=1e-6):
    a = t.detach().numpy()
    b = k.detach().numpy()
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    if a.dtype.kind in "iub":
        np.testing.assert_array_equal(b, a)
    else:
        np.testing.assert_allclose(b, a, rtol=rtol, atol=atol)


def same(fn_t, fn_k, arrays, rtol=1e-6, atol=1e-6, double=True, names2=True):
    """Run both on the same arrays; compare every output, the first output's ``grad_fn``
    name, the gradients of the float inputs and (``double``) a second-order gradient (and,
    with ``names2``, its graph's ``grad_fn`` name)."""
    ts = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    ks = [tk.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    rt, rk = fn_t(*ts), fn_k(*ks)
    outs_t = rt if isinstance(rt, tuple) else (rt,)
    outs_k = rk if isinstance(rk, tuple) else (rk,)
    assert len(outs_t) == len(outs_k)
    for a, b in zip(outs_t, outs_k):
        close(a, b, rtol, atol)
    ot, ok = outs_t[0], outs_k[0]
    if ot.grad_fn is None:
        assert ok.grad_fn is None
        return outs_t, outs_k
    assert type(ok.grad_fn).__name__ == ot.grad_fn.name()
    diff_t = [t for t in ts if t.requires_grad]
    diff_k = [k for k in ks if k.requires_grad]
    g = np.random.default_rng(1).standard_normal(tuple(ot.shape)).astype(arrays[0].dtype)
    gt = torch.tensor(g, requires_grad=True)
    gk = tk.tensor(g, requires_grad=True)
    grads_t = torch.autograd.grad(ot, diff_t, gt, create_graph=double)
    grads_k = tk.autograd.grad(ok, diff_k, gk, create_graph=double)
    for a, b in zip(grads_t, grads_k):
        close(a, b, rtol, atol)
    if double and names2:
        assert type(grads_k[0].grad_fn).__name__ == grads_t[0].grad_fn.name()
        w = np.random.default_rng(2).standard_normal(tuple(grads_t[0].shape))
        w = w.astype(arrays[0].dtype)
        (ggt,) = torch.autograd.grad(grads_t[0], gt, torch.tensor(w))
        (ggk,) = tk.autograd.grad(grads_k[0], gk, tk.tensor(w))
        close(ggt, ggk, rtol, atol)
    return outs_t, outs_k


def same_error(fn_t, fn_k):
    with pytest.raises(Exception) as et:
        fn_t()
    with pytest.raises(Exception) as ek:
        fn_k()
    assert type(ek.value).__name__ == type(et.value).__name__, (ek.value, et.value)
    assert str(ek.value).split("\n")[0].startswith(str(et.value).split("\n")[0]), \
        (str(ek.value), str(et.value))


@st.composite
def pool_case(draw, dilation=True, eff_pad=True):
    """A 3-d pooling configuration valid for PyTorch: the padding at most half the
    (effective) kernel, the input at least one kernel extent."""
    lead = draw(st.sampled_from([(1, 2), (2, 1), (2,)]))
    k = tuple(draw(st.integers(1, 3)) for _ in range(3))
    s = tuple(draw(st.integers(1, 3)) for _ in range(3))
    d = tuple(draw(st.integers(1, 2 if dilation else 1)) for _ in range(3))
    p = tuple(draw(st.integers(0, min(ki // 2, ((ki - 1) * di + 1) // 2)))
              for ki, di in zip(k, d))
    size = tuple((ki - 1) * di + 1 + draw(st.integers(0, 3)) for ki, di in zip(k, d))
    return lead + size, k, s, p, d, draw(st.booleans())


@SETTINGS
@given(pool_case(), st.sampled_from(["float64", "float32"]), st.integers(0, 3))
def test_max_pool3d(case, dt, seed):
    shape, k, s, p, d, ceil = case
    x = distinct(shape, seed, np.dtype(dt))
    tol = 1e-5 if dt == "float32" else 1e-10
    same(lambda t: TF.max_pool3d(t, k, s, p, d, ceil, True),
         lambda t: KF.max_pool3d(t, k, s, p, d, ceil, True), [x], tol, tol)


@SETTINGS
@given(pool_case(dilation=False), st.booleans(), st.sampled_from([None, None, 2, 5]),
       st.integers(0, 3))
def test_avg_pool3d(case, cip, div, seed):
    shape, k, s, p, _, ceil = case
    x = np.random.default_rng(seed).standard_normal(shape)
    same(lambda t: TF.avg_pool3d(t, k, s, p, ceil, cip, div),
         lambda t: KF.avg_pool3d(t, k, s, p, ceil, cip, div), [x], 1e-10, 1e-12)


@settings(max_examples=15, deadline=None)
@given(pool_case(dilation=False), st.integers(0, 3))
def test_avg_pool3d_int64_truncates(case, seed):
    shape, k, s, p, _, ceil = case
    x = np.random.default_rng(seed).integers(-50, 50, shape)
    same(lambda t: TF.avg_pool3d(t, k, s, p, ceil), lambda t: KF.avg_pool3d(t, k, s, p, ceil),
         [x])


@SETTINGS
@given(st.sampled_from([(1, 2), (2,)]), st.tuples(*[st.integers(1, 5)] * 3),
       st.tuples(*[st.integers(1, 4)] * 3), st.integers(0, 3))
def test_adaptive_pool3d(lead, size, out, seed):
    assume(out != (1, 1, 1))          # a mean (test_adaptive_pool3d_sizes)
    shape = lead + size
    x = distinct(shape, seed)
    same(lambda t: TF.adaptive_avg_pool3d(t, out), lambda t: KF.adaptive_avg_pool3d(t, out),
         [x], 1e-10, 1e-12)
    same(lambda t: TF.adaptive_max_pool3d(t, out, True),
         lambda t: KF.adaptive_max_pool3d(t, out, True), [x])


def test_adaptive_pool3d_sizes():
    x = distinct((2, 3, 4, 5, 6))
    for out in [1, (None, 2, 3), (2, None, None), (1, 1, 1)]:
        # (1, 1, 1) is a mean: its double backward is the mean's, outside this area
        same(lambda t: TF.adaptive_avg_pool3d(t, out), lambda t: KF.adaptive_avg_pool3d(t, out),
             [x], names2=out not in (1, (1, 1, 1)))
        same(lambda t: TF.adaptive_max_pool3d(t, out, True),
             lambda t: KF.adaptive_max_pool3d(t, out, True), [x])
    # an empty output: the forward works, the backward is PyTorch's error
    xt, xk = torch.tensor(x, requires_grad=True), tk.tensor(x, requires_grad=True)
    for fn in [lambda F, t: F.adaptive_avg_pool3d(t, (2, 0, 3)),
               lambda F, t: F.adaptive_max_pool3d(t, (2, 0, 3))]:
        close(fn(TF, xt), fn(KF, xk))
        same_error(lambda: fn(TF, xt).sum().backward(), lambda: fn(KF, xk).sum().backward())


def test_pool3d_nan_and_inf():
    x = distinct((1, 2, 4, 4, 4))
    x[0, 0, 0, 0, :2] = np.nan
    x[0, 0, 1, 1, 1] = np.nan
    x[0, 1] = -np.inf
    for fn in [lambda F, t: F.max_pool3d(t, 2, 2, 1, return_indices=True),
               lambda F, t: F.max_pool3d(t, 3, 1, 1, 1, True, True),
               lambda F, t: F.adaptive_max_pool3d(t, (3, 2, 3), True)]:
        outs_t = fn(TF, torch.tensor(x))
        outs_k = fn(KF, tk.tensor(x))
        for a, b in zip(outs_t, outs_k):
            close(a, b)


@pytest.mark.parametrize("dt", ["int64", "int32", "int8", "uint8", "float16"])
def test_max_pool3d_dtypes(dt):
    x = np.random.default_rng(0).integers(-100, 100, (2, 3, 4, 4, 5)).astype(dt)
    same(lambda t: TF.max_pool3d(t, 2, 1, 1, return_indices=True),
         lambda t: KF.max_pool3d(t, 2, 1, 1, return_indices=True), [x], 1e-3, 1e-3,
         double=False)


@pytest.mark.parametrize("dt", ["int32", "uint8", "bool"])
def test_dtype_errors(dt):
    x = np.ones((1, 2, 3, 3, 3), dtype=dt)
    for fn in [lambda F, t: F.avg_pool3d(t, 2), lambda F, t: F.adaptive_avg_pool3d(t, 2),
               lambda F, t: F.adaptive_max_pool3d(t, 2)]:
        same_error(lambda: fn(TF, torch.tensor(x)), lambda: fn(KF, tk.tensor(x)))


def test_unbatched_4d():
    x = distinct((3, 4, 5, 6))
    same(lambda t: TF.max_pool3d(t, 2, 1, 1, return_indices=True),
         lambda t: KF.max_pool3d(t, 2, 1, 1, return_indices=True), [x])
    same(lambda t: TF.avg_pool3d(t, 3, 2, 1, True, False),
         lambda t: KF.avg_pool3d(t, 3, 2, 1, True, False), [x])
    same(lambda t: TF.adaptive_avg_pool3d(t, (2, 3, 4)),
         lambda t: KF.adaptive_avg_pool3d(t, (2, 3, 4)), [x])
    same(lambda t: TF.adaptive_max_pool3d(t, (2, 3, 4), True),
         lambda t: KF.adaptive_max_pool3d(t, (2, 3, 4), True), [x])
    same(lambda t: TF.lp_pool3d(t, 2, 2), lambda t: KF.lp_pool3d(t, 2, 2), [x + 100])
    same(lambda t: torch.max_pool3d(t, 2), lambda t: tk.max_pool3d(t, 2), [x])
    same(lambda t: torch._adaptive_avg_pool3d(t, (2, 2, 2)),
         lambda t: tk._adaptive_avg_pool3d(t, (2, 2, 2)), [x])


@pytest.mark.parametrize("norm", [1, 2, 3.5, float("inf"), -float("inf")])
def test_lp_pool3d(norm):
    x = distinct((2, 2, 4, 5, 5)) + 40
    same(lambda t: TF.lp_pool3d(t, norm, (2, 3, 2), 2, True),
         lambda t: KF.lp_pool3d(t, norm, (2, 3, 2), 2, True), [x], 1e-9, 1e-9)


def _pool_for_unpool(nd, shape, k, s, p, seed=0):
    x = distinct(shape, seed)
    pool = {1: TF.max_pool1d, 2: TF.max_pool2d, 3: TF.max_pool3d}[nd]
    out, idx = pool(torch.tensor(x), k, s, p, return_indices=True)
    return out.numpy(), idx.numpy()


@settings(max_examples=25, deadline=None)
@given(st.sampled_from([1, 2, 3]), st.integers(1, 3), st.integers(1, 3), st.integers(0, 1),
       st.integers(0, 2), st.booleans(), st.integers(0, 3))
def test_max_unpool(nd, k, s, pad, m, batched, seed):
    p = min(pad, k // 2)
    # an input size the default unpooled size gives back, so every index fits
    n = k - 2 * p + s * m
    if n < 1:
        n += s
    size = (n,) * nd
    lead = (2, 2) if batched else (2,)
    v, idx = _pool_for_unpool(nd, lead + size, k, s, p, seed)
    fn = {1: "max_unpool1d", 2: "max_unpool2d", 3: "max_unpool3d"}[nd]
    # (1-d: the double backward ends in unsqueeze's derivative, outside this area)
    same(lambda t, i: getattr(TF, fn)(t, i, k, s, p),
         lambda t, i: getattr(KF, fn)(t, i, k, s, p), [v, idx], names2=nd > 1)
    same(lambda t, i: getattr(TF, fn)(t, i, k, s, p, size),
         lambda t, i: getattr(KF, fn)(t, i, k, s, p, size), [v, idx], names2=nd > 1)
    bigger = tuple(x + s - 1 for x in size)
    same(lambda t, i: getattr(TF, fn)(t, i, k, s, p, bigger),
         lambda t, i: getattr(KF, fn)(t, i, k, s, p, bigger), [v, idx], names2=nd > 1)


def _one_bad(idx, value):
    """``idx`` with one invalid entry (PyTorch's threads decide which of several it names)."""
    out = idx.copy()
    out.reshape(-1)[out.size // 2 + 1] = value
    return out


def test_max_unpool_errors():
    v, idx = _pool_for_unpool(2, (2, 3, 4, 4), 2, 2, 0)
    v3, idx3 = _pool_for_unpool(3, (2, 3, 4, 4, 4), 2, 2, 0)
    cases = [
        lambda M, F: F.max_unpool2d(M.tensor(v), M.tensor(idx), 2, output_size=(5,)),
        lambda M, F: F.max_unpool2d(M.tensor(v), M.tensor(idx), 2, output_size=(9, 9)),
        lambda M, F: F.max_unpool2d(M.tensor(v), M.tensor(_one_bad(idx, 16)), 2),
        lambda M, F: F.max_unpool2d(M.tensor(v), M.tensor(_one_bad(idx, -3)), 2),
        lambda M, F: F.max_unpool2d(M.tensor(v), M.tensor(idx).int(), 2),
        lambda M, F: F.max_unpool2d(M.tensor(v).int(), M.tensor(idx), 2),
        lambda M, F: F.max_unpool2d(M.tensor(v), M.tensor(idx[:1]), 2),
        lambda M, F: F.max_unpool2d(M.tensor(v[0, 0]), M.tensor(idx[0, 0]), 2),
        lambda M, F: F.max_unpool2d(M.tensor(v[:, :0]), M.tensor(idx[:, :0]), 2),
        lambda M, F: M._C._nn.max_unpool2d(M.tensor(v), M.tensor(idx), (-1, 4))
        if M is torch else M.ops.aten.max_unpool2d(M.tensor(v), M.tensor(idx), (-1, 4)),
        lambda M, F: F.max_unpool3d(M.tensor(v3), M.tensor(idx3), 2, output_size=(5, 5)),
        lambda M, F: F.max_unpool3d(M.tensor(v3), M.tensor(idx3), 2, 0),
        lambda M, F: F.max_unpool3d(M.tensor(v3), M.tensor(idx3).int(), 2),
        lambda M, F: F.max_unpool3d(M.tensor(v3).long(), M.tensor(idx3), 2),
        lambda M, F: F.max_unpool3d(M.tensor(v3[0, 0]), M.tensor(idx3[0, 0]), 2),
        lambda M, F: F.max_unpool3d(M.tensor(v3), M.tensor(_one_bad(idx3, 64)), 2),
        lambda M, F: F.max_unpool3d(M.tensor(v3), M.tensor(idx3[0]), 2),
        lambda M, F: F.max_unpool1d(M.tensor(v[0, 0]), M.tensor(np.array([[0, 3], [1, 7]])), 2),
        lambda M, F: F.max_unpool1d(M.tensor(v[0, 0]), M.tensor(np.array([[0, 3], [1, 2]])), 2,
                                    output_size=(7,)),
    ]
    for c in cases:
        same_error(lambda: c(torch, TF), lambda: c(tk, KF))


ERROR_CASES = [
    ((2, 3, 4, 5, 6), dict(kernel_size=0)),
    ((2, 3, 4, 5, 6), dict(kernel_size=0, stride=1)),
    ((2, 3, 4, 5, 6), dict(kernel_size=(1, 0, 2), stride=1)),
    ((2, 3, 4, 5, 6), dict(kernel_size=2, stride=-1)),
    ((2, 3, 4, 5, 6), dict(kernel_size=2, padding=2)),
    ((2, 3, 4, 5, 6), dict(kernel_size=3, stride=1, padding=2)),
    ((2, 3, 4, 5, 6), dict(kernel_size=2, padding=-1)),
    ((2, 3, 4, 5, 6), dict(kernel_size=(2, 2))),
    ((2, 3, 4, 5, 6), dict(kernel_size=2, stride=(1, 1))),
    ((2, 3, 4, 5, 6), dict(kernel_size=2, padding=(1, 1))),
    ((2, 3, 4, 5, 6), dict(kernel_size=7)),
    ((2, 3, 4, 5, 6), dict(kernel_size=5, stride=1)),
    ((3, 4, 5), dict(kernel_size=2)),
    ((3, 3), dict(kernel_size=0)),
    ((2, 0, 4, 5, 6), dict(kernel_size=2)),
    ((3, 0, 5, 6), dict(kernel_size=2)),
    ((0, 5, 5, 6), dict(kernel_size=2)),
]


@pytest.mark.parametrize("shape,kw", ERROR_CASES)
def test_pool3d_errors(shape, kw):
    x = np.zeros(shape)
    same_error(lambda: TF.max_pool3d(torch.tensor(x), **kw),
               lambda: KF.max_pool3d(tk.tensor(x), **kw))
    same_error(lambda: TF.avg_pool3d(torch.tensor(x), **kw),
               lambda: KF.avg_pool3d(tk.tensor(x), **kw))


def test_pool3d_more_errors():
    x = np.zeros((2, 3, 4, 5, 6))
    cases = [
        lambda M, F: F.max_pool3d(M.tensor(x), 2, 1, 2, 3),
        lambda M, F: F.max_pool3d(M.tensor(x), 2, 1, 0, (1, 1)),
        lambda M, F: F.max_pool3d(M.tensor(x), 2, 1, 0, 0),
        lambda M, F: F.max_pool3d(M.tensor(x).bool(), 2),
        lambda M, F: F.avg_pool3d(M.tensor(x), 2, divisor_override=0),
        lambda M, F: F.avg_pool3d(M.tensor(x[0, 0]), 2, divisor_override=0),
        lambda M, F: F.adaptive_avg_pool3d(M.tensor(x[0, 0]), 2),
        lambda M, F: F.adaptive_avg_pool3d(M.tensor(x), (2, 2)),
        lambda M, F: F.adaptive_avg_pool3d(M.tensor(x), (2, -1, 2)),
        lambda M, F: F.adaptive_avg_pool3d(M.tensor(x[:, :0]), 2),
        lambda M, F: F.adaptive_avg_pool3d(M.tensor(x[0, 0, 0]), (2, 2, 2)),
        lambda M, F: F.adaptive_max_pool3d(M.tensor(x[0, 0]), 2),
        lambda M, F: F.adaptive_max_pool3d(M.tensor(x), (2, 2)),
        lambda M, F: F.adaptive_max_pool3d(M.tensor(x), (2, -1, 2)),
        lambda M, F: F.adaptive_max_pool3d(M.tensor(x[:, :0]), 2),
    ]
    for c in cases:
        same_error(lambda: c(torch, TF), lambda: c(tk, KF))


MODULES = [
    ("MaxPool3d", (2,), {}), ("MaxPool3d", ((1, 2, 2), 1, (0, 1, 1), 1, True, True), {}),
    ("AvgPool3d", (3,), dict(stride=2, padding=1, ceil_mode=True, count_include_pad=False,
                             divisor_override=3)),
    ("AdaptiveAvgPool3d", ((2, None, 3),), {}), ("AdaptiveMaxPool3d", (2, True), {}),
    ("LPPool3d", (2, 2), dict(stride=1)), ("MaxUnpool1d", (2,), {}),
    ("MaxUnpool2d", (3, 2, 1), {}), ("MaxUnpool3d", ((2, 1, 2),), dict(stride=(1, 1, 2))),
]


@pytest.mark.parametrize("name,args,kwargs", MODULES)
def test_module_repr(name, args, kwargs):
    mt = getattr(torch.nn, name)(*args, **kwargs)
    mk = getattr(tk.nn, name)(*args, **kwargs)
    assert repr(mk) == repr(mt)


def test_modules_forward():
    x = distinct((2, 3, 4, 6, 6))
    xt, xk = torch.tensor(x), tk.tensor(x)
    for name, args, kwargs in MODULES[:6]:
        rt = getattr(torch.nn, name)(*args, **kwargs)(xt)
        rk = getattr(tk.nn, name)(*args, **kwargs)(xk)
        for a, b in zip(rt if isinstance(rt, tuple) else (rt,),
                        rk if isinstance(rk, tuple) else (rk,)):
            close(a, b, 1e-10, 1e-10)
    o, i = torch.nn.MaxPool3d(2, return_indices=True)(xt)
    close(torch.nn.MaxUnpool3d(2)(o, i, (4, 6, 6)),
          tk.nn.MaxUnpool3d(2)(tk.tensor(o.numpy()), tk.tensor(i.numpy()), (4, 6, 6)))


# -- fractional max pooling ----------------------------------------------------------------
@st.composite
def fractional_case(draw, nd):
    batched = draw(st.booleans())
    c = draw(st.integers(1, 2))
    lead = (draw(st.integers(1, 2)), c) if batched else (c,)
    k = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    # PyTorch's bound: out + k - 1 <= n (2-d), < n (3-d)
    size = tuple(ki + draw(st.integers(0 if nd == 2 else 1, 4)) for ki in k)
    out = tuple(draw(st.integers(1, n - ki + (1 if nd == 2 else 0))) for n, ki in zip(size, k))
    n_samples = lead[0] if batched else 1
    samples = draw(st.lists(st.floats(0, 0.999), min_size=n_samples * c * nd,
                            max_size=n_samples * c * nd))
    return lead + size, k, out, np.array(samples).reshape(n_samples, c, nd)


@SETTINGS
@given(st.sampled_from([2, 3]), st.data(), st.sampled_from(["float64", "float32"]),
       st.integers(0, 3))
def test_fractional_max_pool(nd, data, dt, seed):
    shape, k, out, samples = data.draw(fractional_case(nd))
    x = distinct(shape, seed, np.dtype(dt))
    r = samples.astype(dt)
    name = f"fractional_max_pool{nd}d"
    tol = 1e-5 if dt == "float32" else 1e-10
    same(lambda t: getattr(TF, name)(t, k, out, return_indices=True,
                                      _random_samples=torch.tensor(r)),
         lambda t: getattr(KF, name)(t, k, out, return_indices=True,
                                     _random_samples=tk.tensor(r)), [x], tol, tol)


def test_fractional_output_ratio_and_nan():
    x = distinct((2, 3, 8, 9))
    r = np.random.default_rng(0).random((2, 3, 2))
    same(lambda t: TF.fractional_max_pool2d(t, 2, output_ratio=(0.5, 0.7),
                                            _random_samples=torch.tensor(r)),
         lambda t: KF.fractional_max_pool2d(t, 2, output_ratio=(0.5, 0.7),
                                            _random_samples=tk.tensor(r)), [x])
    x3 = distinct((3, 6, 7, 8))
    r3 = np.random.default_rng(1).random((1, 3, 3))
    same(lambda t: TF.fractional_max_pool3d(t, (2, 3, 2), output_ratio=0.5,
                                            _random_samples=torch.tensor(r3),
                                            return_indices=True),
         lambda t: KF.fractional_max_pool3d(t, (2, 3, 2), output_ratio=0.5,
                                            _random_samples=tk.tensor(r3), return_indices=True),
         [x3])
    y = x.copy()
    y[0, 0, :3, :3] = np.nan
    y[1, 1] = -np.inf
    rt = TF.fractional_max_pool2d(torch.tensor(y), 3, 4, return_indices=True,
                                  _random_samples=torch.tensor(r))
    rk = KF.fractional_max_pool2d(tk.tensor(y), 3, 4, return_indices=True,
                                  _random_samples=tk.tensor(r))
    for a, b in zip(rt, rk):
        close(a, b)


def test_fractional_draws_samples():
    x = tk.tensor(distinct((2, 3, 6, 6)), requires_grad=True)
    o, i = KF.fractional_max_pool2d(x, 2, 3, return_indices=True)
    assert tuple(o.shape) == (2, 3, 3, 3) and type(o.grad_fn).__name__ == \
        "FractionalMaxPool2DBackward0"
    # each value is the input at its index
    flat = x.detach().numpy().reshape(2, 3, -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, i.numpy().reshape(2, 3, -1), 2),
                                  o.detach().numpy().reshape(2, 3, -1))


def test_fractional_errors():
    x = np.zeros((2, 3, 7, 9))
    r = np.full((2, 3, 2), 0.5)
    x3 = np.zeros((2, 3, 5, 6, 7))
    r3 = np.full((2, 3, 3), 0.5)
    cases = [
        lambda M, F: F.fractional_max_pool2d(M.tensor(x), 3),
        lambda M, F: F.fractional_max_pool2d(M.tensor(x), 3, output_ratio=(0.5, 0.5, 0.5)),
        lambda M, F: F.fractional_max_pool2d(M.tensor(x), 3, (6, 7), _random_samples=M.tensor(r)),
        lambda M, F: F.fractional_max_pool2d(M.tensor(x), 3, (5, 8), _random_samples=M.tensor(r)),
        lambda M, F: F.fractional_max_pool2d(M.tensor(x), 3, 2, _random_samples=M.tensor(r[:1])),
        lambda M, F: F.fractional_max_pool2d(M.tensor(x), 3, 2,
                                             _random_samples=M.tensor(r[:, :2])),
        lambda M, F: F.fractional_max_pool2d(M.tensor(x), 3, 2, _random_samples=M.tensor(r[0])),
        lambda M, F: F.fractional_max_pool2d(M.tensor(x), 3, 2,
                                             _random_samples=M.tensor(r[..., :1])),
        lambda M, F: F.fractional_max_pool2d(M.tensor(x), 3, 2,
                                             _random_samples=M.tensor(r).float()),
        lambda M, F: F.fractional_max_pool2d(M.tensor(x[0, 0]), 3, 2,
                                             _random_samples=M.tensor(r)),
        lambda M, F: F.fractional_max_pool2d(M.tensor(x[:, :0]), 3, 2,
                                             _random_samples=M.tensor(r)),
        lambda M, F: F.fractional_max_pool2d(M.tensor(x).long(), 3, 2,
                                             _random_samples=M.tensor(r).long()),
        lambda M, F: F.fractional_max_pool2d(M.tensor(x), (3, 3, 3), 2,
                                             _random_samples=M.tensor(r)),
        lambda M, F: F.fractional_max_pool2d(M.tensor(x), 3, (2, 2, 2),
                                             _random_samples=M.tensor(r)),
        lambda M, F: F.fractional_max_pool2d(M.tensor(x), 3, (-1, 2),
                                             _random_samples=M.tensor(r)),
        lambda M, F: F.fractional_max_pool3d(M.tensor(x3), 2, 4, _random_samples=M.tensor(r3)),
        lambda M, F: F.fractional_max_pool3d(M.tensor(x3), 2, (3, 5, 3),
                                             _random_samples=M.tensor(r3)),
        lambda M, F: F.fractional_max_pool3d(M.tensor(x3), 2, 3,
                                             _random_samples=M.tensor(r3[..., :2])),
        lambda M, F: F.fractional_max_pool3d(M.tensor(x3[0, 0]), 2, 3,
                                             _random_samples=M.tensor(r3)),
        lambda M, F: F.fractional_max_pool3d(M.tensor(x3[:, :0]), 2, 3,
                                             _random_samples=M.tensor(r3)),
        lambda M, F: F.fractional_max_pool3d(M.tensor(x3), (2, 2), 3,
                                             _random_samples=M.tensor(r3)),
        lambda M, F: F.fractional_max_pool3d(M.tensor(x3).long(), 2, 3,
                                             _random_samples=M.tensor(r3).long()),
        lambda M, F: F.fractional_max_pool2d(M.tensor(x, requires_grad=True), 3, 2,
                                             _random_samples=M.tensor(r, requires_grad=True)),
        lambda M, F: M.nn.FractionalMaxPool2d(2),
        lambda M, F: M.nn.FractionalMaxPool2d(2, 2, 0.5),
        lambda M, F: M.nn.FractionalMaxPool2d(2, output_ratio=1.5),
        lambda M, F: M.nn.FractionalMaxPool3d(0, 2),
        lambda M, F: M.nn.FractionalMaxPool3d((2, 0, 1), 2),
        lambda M, F: M.nn.FractionalMaxPool3d(2, output_ratio=(0.5, 0.5, 1)),
    ]
    for c in cases:
        same_error(lambda: c(torch, TF), lambda: c(tk, KF))


def test_fractional_modules():
    for name, args in [("FractionalMaxPool2d", (2, 3)), ("FractionalMaxPool3d", (2, None, 0.5)),
                       ("FractionalMaxPool2d", ((2, 1), None, (0.5, 0.6), True))]:
        assert repr(getattr(tk.nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))
    r = np.random.default_rng(0).random((2, 3, 3))
    x = distinct((2, 3, 5, 6, 7))
    mt = torch.nn.FractionalMaxPool3d(2, (3, 4, 5), return_indices=True,
                                      _random_samples=torch.tensor(r))
    mk = tk.nn.FractionalMaxPool3d(2, (3, 4, 5), return_indices=True,
                                   _random_samples=tk.tensor(r))
    assert list(mk.state_dict()) == list(mt.state_dict())
    for a, b in zip(mt(torch.tensor(x)), mk(tk.tensor(x))):
        close(a, b)
