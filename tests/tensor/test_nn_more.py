"""Behaviour of the nn-more area without PyTorch: activations and losses against numpy
formulas (hypothesis), rrelu's noise, module backward hooks and ``nn.utils``."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tensor
import tensor.nn as nn
import tensor.nn.functional as F

EX = settings(max_examples=25, deadline=None)


def arrays(lo=-5.0, hi=5.0, min_dims=0):
    return hnp.arrays(np.float64, hnp.array_shapes(min_dims=min_dims, max_dims=3, max_side=4),
                      elements=st.floats(lo, hi, allow_nan=False))


def sig(x):
    return 1.0 / (1.0 + np.exp(-x))


# -- activations against their definitions -------------------------------------------------
REFERENCE = {
    "hardshrink": (lambda x: F.hardshrink(x, 0.5), lambda a: np.where(np.abs(a) > 0.5, a, 0)),
    "softshrink": (lambda x: F.softshrink(x, 0.5),
                   lambda a: np.where(a > 0.5, a - 0.5, np.where(a < -0.5, a + 0.5, 0))),
    "tanhshrink": (F.tanhshrink, lambda a: a - np.tanh(a)),
    "softsign": (F.softsign, lambda a: a / (1 + np.abs(a))),
    "threshold": (lambda x: F.threshold(x, 0.2, -7.0), lambda a: np.where(a <= 0.2, -7.0, a)),
    "mish": (F.mish, lambda a: a * np.tanh(np.log1p(np.exp(a)))),
    "hardswish": (F.hardswish, lambda a: a * np.clip(a + 3, 0, 6) / 6),
    "hardsigmoid": (F.hardsigmoid, lambda a: np.clip(a + 3, 0, 6) / 6),
    "selu": (F.selu, lambda a: 1.0507009873554805 * np.where(
        a > 0, a, 1.6732632423543772 * np.expm1(a))),
    "celu": (lambda x: F.celu(x, 0.5), lambda a: np.where(a > 0, a, 0.5 * np.expm1(a / 0.5))),
    "rrelu_eval": (lambda x: F.rrelu(x, 0.1, 0.3), lambda a: np.where(a > 0, a, 0.2 * a)),
    "prelu": (lambda x: F.prelu(x, tensor.tensor([0.25], dtype=tensor.float64)),
              lambda a: np.where(a > 0, a, 0.25 * a)),
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
@EX
@given(a=arrays())
def test_activation_matches_definition(name, a):
    fn, ref = REFERENCE[name]
    out = fn(tensor.from_numpy(a))
    np.testing.assert_allclose(out.numpy(), ref(a), rtol=1e-12, atol=1e-12)


@EX
@given(a=arrays(min_dims=1), dim=st.integers(-1, 0))
def test_glu_halves(a, dim):
    a = np.concatenate([a, a[::-1] * 0.5], axis=dim)
    first, second = np.split(a, 2, axis=dim)
    out = F.glu(tensor.from_numpy(a), dim)
    np.testing.assert_allclose(out.numpy(), first * sig(second), rtol=1e-12)


@EX
@given(a=arrays(), value=st.floats(-3, 3))
def test_inplace_forms_write_in_place(a, value):
    x = tensor.from_numpy(a.copy())
    for fn in (lambda t: F.threshold(t, 0.0, value, inplace=True), lambda t: F.mish(t, True),
               lambda t: F.hardswish(t, True), lambda t: F.celu(t, 2.0, True),
               lambda t: F.selu(t, True)):
        v = x._version
        assert fn(x) is x and x._version == v + 1


def test_errors():
    with pytest.raises(NotImplementedError, match='"hardswish_cpu" not implemented for'):
        F.hardswish(tensor.tensor([1, 2]))
    with pytest.raises(RuntimeError, match=r"lambda must be in range \[0, 3.40282e\+38\]"):
        F.softshrink(tensor.ones(2), -1.0)
    with pytest.raises(RuntimeError, match="Halving dimension must be even"):
        F.glu(tensor.ones(2, 3))
    with pytest.raises(RuntimeError, match="alpha cannot be 0 for CELU"):
        F.celu(tensor.ones(2), 0.0)
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers"):
        F.prelu(tensor.ones(2, 3), tensor.ones(2))


# -- rrelu ---------------------------------------------------------------------------------
@EX
@given(a=arrays(min_dims=1), seed=st.integers(0, 1000))
def test_rrelu_training_noise(a, seed):
    """Negative inputs get a slope in [lower, upper] that is also their gradient; positive
    inputs pass unchanged; the same seed gives the same slopes."""
    a = np.where(a == 0, 1.0, a)
    outs = []
    for _ in range(2):
        tensor.manual_seed(seed)
        x = tensor.from_numpy(a.copy()).requires_grad_()
        out = F.rrelu(x, 0.1, 0.3, training=True)
        out.sum().backward()
        slopes = out.detach().numpy() / a
        assert np.all(np.where(a > 0, slopes == 1.0, (slopes >= 0.1) & (slopes <= 0.3)))
        np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-12)
        outs.append(out.detach().numpy())
    np.testing.assert_array_equal(outs[0], outs[1])


def test_rrelu_module_modes():
    m = nn.RReLU(0.1, 0.3)
    x = -tensor.ones(1000)
    assert float(m.eval()(x).mean()) == pytest.approx(-0.2)
    train = m.train()(x).numpy()
    assert train.min() >= -0.3 and train.max() <= -0.1 and np.unique(train).size > 10


# -- losses against numpy ------------------------------------------------------------------
@EX
@given(a=arrays(-3, 3, min_dims=1), red=st.sampled_from(["none", "sum", "mean"]))
def test_losses_match_formulas(a, red):
    rng = np.random.default_rng(0)
    t = rng.uniform(0.1, 2.0, a.shape)
    y = np.where(rng.random(a.shape) < 0.5, -1.0, 1.0)
    red_np = {"none": lambda v: v, "sum": np.sum, "mean": np.mean}[red]
    x, T, Y = tensor.from_numpy(a), tensor.from_numpy(t), tensor.from_numpy(y)
    warnings.filterwarnings("ignore", "reduction: 'mean' divides")   # kl_div's 'mean' note
    cases = [
        (F.kl_div(x, T, reduction=red), red_np(t * (np.log(t) - a))),
        (F.poisson_nll_loss(x, T, reduction=red), red_np(np.exp(a) - t * a)),
        (F.soft_margin_loss(x, Y, reduction=red), red_np(np.log1p(np.exp(-y * a)))),
        (F.hinge_embedding_loss(x, Y, reduction=red),
         red_np(np.where(y == 1, a, np.maximum(0, 1 - a)))),
        (F.margin_ranking_loss(x, T, Y, 0.3, reduction=red),
         red_np(np.maximum(0, -y * (a - t) + 0.3))),
        (F.gaussian_nll_loss(x, T, T, reduction=red),
         red_np(0.5 * (np.log(t) + (a - t) ** 2 / t))),
    ]
    for got, want in cases:
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)
    batch = F.kl_div(x, T, reduction="batchmean")
    np.testing.assert_allclose(batch.numpy(), np.sum(t * (np.log(t) - a)) / a.shape[0])


@EX
@given(n=st.integers(1, 4), c=st.integers(1, 5), p=st.sampled_from([1, 2]),
       seed=st.integers(0, 100))
def test_multi_margin_loss_formula(n, c, p, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, c))
    y = rng.integers(0, c, n)
    w = rng.uniform(0.5, 2.0, c)
    z = 1.0 - a[np.arange(n), y][:, None] + a
    z[np.arange(n), y] = 0
    want = (np.maximum(z, 0) ** p * w[y][:, None]).sum(1) / c
    got = F.multi_margin_loss(tensor.from_numpy(a), tensor.from_numpy(y), p,
                              weight=tensor.from_numpy(w), reduction="none")
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)


def test_pairwise_and_triplet():
    a = tensor.tensor([[0.0, 0.0], [1.0, 1.0]])
    b = tensor.tensor([[3.0, 4.0], [1.0, 1.0]])
    d = F.pairwise_distance(a, b, eps=0.0)
    np.testing.assert_allclose(d.numpy(), [5.0, 0.0])
    loss = F.triplet_margin_loss(a, a, b, margin=1.0, eps=0.0, reduction="none")
    np.testing.assert_allclose(loss.numpy(), [0.0, 1.0])


# -- module backward hooks -----------------------------------------------------------------
def test_full_backward_hook_sees_and_replaces_grads():
    lin = nn.Linear(3, 2)
    seen = []
    handle = lin.register_full_backward_hook(
        lambda m, gi, go: seen.append((m, gi, go)) or (gi[0] * 2,))
    x = tensor.randn(4, 3, requires_grad=True)
    lin(x).sum().backward()
    m, gi, go = seen[0]
    assert m is lin and len(gi) == 1 and len(go) == 1
    np.testing.assert_allclose(go[0].numpy(), np.ones((4, 2)))
    np.testing.assert_allclose(gi[0].numpy(), np.ones((4, 2)) @ lin.weight.detach().numpy(),
                               rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), 2 * gi[0].numpy())
    handle.remove()
    x.grad = None
    lin(x).sum().backward()
    assert len(seen) == 1
    np.testing.assert_allclose(x.grad.numpy(), gi[0].numpy())


def test_hook_order_prepend_and_pre_hooks():
    m = nn.Tanh()
    order = []
    m.register_full_backward_hook(lambda *a: order.append("a"))
    m.register_full_backward_hook(lambda *a: order.append("b"), prepend=True)
    m.register_full_backward_pre_hook(lambda mod, go: order.append("pre-a"))
    m.register_full_backward_pre_hook(lambda mod, go: order.append("pre-b"), prepend=True)
    x = tensor.randn(3, requires_grad=True)
    m(x).sum().backward()
    assert order == ["pre-b", "pre-a", "b", "a"]


def test_hooks_refuse_mixing_and_inplace_outputs():
    m = nn.Linear(2, 2)
    m.register_backward_hook(lambda *a: None)
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks"):
        m.register_full_backward_hook(lambda *a: None)
    r = nn.ReLU(inplace=True)
    r.register_full_backward_hook(lambda *a: None)
    with pytest.raises(RuntimeError, match="is a view and is being modified inplace"):
        r(tensor.randn(3, requires_grad=True) * 1)


def test_hook_with_no_input_requiring_grad_warns():
    lin = nn.Linear(2, 2)
    got = []
    lin.register_full_backward_hook(lambda m, gi, go: got.append(gi))
    with pytest.warns(UserWarning, match="Full backward hook is firing"):
        lin(tensor.ones(1, 2)).sum().backward()
    assert got == [(None,)]


# -- nn.utils ------------------------------------------------------------------------------
@EX
@given(seed=st.integers(0, 1000), max_norm=st.floats(0.01, 10.0),
       norm_type=st.sampled_from([1.0, 2.0, 3.0, math.inf]))
def test_clip_grad_norm_bounds_the_norm(seed, max_norm, norm_type):
    rng = np.random.default_rng(seed)
    params = [tensor.zeros(s, dtype=tensor.float64, requires_grad=True) for s in [(3,), (2, 2)]]
    grads = [rng.standard_normal(p.shape) for p in params]
    for p, g in zip(params, grads):
        p.grad = tensor.from_numpy(g.copy())
    flat = np.concatenate([g.ravel() for g in grads])
    want = np.max(np.abs(flat)) if norm_type == math.inf else \
        np.sum(np.abs(flat) ** norm_type) ** (1 / norm_type)
    total = nn.utils.clip_grad_norm_(params, max_norm, norm_type)
    assert float(total) == pytest.approx(want, rel=1e-9)
    coef = min(max_norm / (want + 1e-6), 1.0)
    for p, g in zip(params, grads):
        np.testing.assert_allclose(p.grad.numpy(), g * coef, rtol=1e-9)


def test_clip_grad_value_and_vectors():
    p = tensor.zeros(4, requires_grad=True)
    p.grad = tensor.tensor([-3.0, -0.5, 0.5, 3.0])
    assert nn.utils.clip_grad_value_(p, 1.0) is None
    assert p.grad.tolist() == [-1.0, -0.5, 0.5, 1.0]
    lin = nn.Linear(3, 2)
    vec = nn.utils.parameters_to_vector(lin.parameters())
    nn.utils.vector_to_parameters(vec * 2, lin.parameters())
    np.testing.assert_allclose(nn.utils.parameters_to_vector(lin.parameters()).detach().numpy(),
                               vec.detach().numpy() * 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.utils.clip_grad_norm_([p], 1.0)
