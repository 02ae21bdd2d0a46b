"""tensor.utils.checkpoint: gradients equal the plain ones, activations are not kept, the
function is run again in backward, and PyTorch's warnings and errors."""

from __future__ import annotations

import gc
import warnings
import weakref

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tensor
from tensor.utils.checkpoint import CheckpointError, checkpoint, checkpoint_sequential

floats = st.floats(-2, 2, allow_nan=False, width=64)


def _f(x, w):
    h = (x @ w).tanh()
    return (h * x.sin()).sum(1).exp()


def _leaves(xv, wv):
    x = tensor.tensor(xv, dtype=tensor.float64, requires_grad=True)
    w = tensor.tensor(wv, dtype=tensor.float64, requires_grad=True)
    return x, w


@settings(max_examples=25, deadline=None)
@given(xv=st.lists(st.lists(floats, min_size=3, max_size=3), min_size=1, max_size=3),
       wv=st.lists(st.lists(floats, min_size=3, max_size=3), min_size=3, max_size=3),
       reentrant=st.booleans())
def test_gradients_equal_the_plain_ones(xv, wv, reentrant):
    x, w = _leaves(xv, wv)
    out = checkpoint(_f, x, w, use_reentrant=reentrant)
    x2, w2 = _leaves(xv, wv)
    ref = _f(x2, w2)
    np.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())
    g = tensor.arange(float(len(xv)), dtype=tensor.float64) + 1
    out.backward(g)
    ref.backward(g)
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(w.grad.numpy(), w2.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reentrant", [True, False])
def test_intermediates_are_not_kept(reentrant):
    refs = []

    def fn(x):
        h = x.exp()
        k = h.sin()
        refs.extend([weakref.ref(h), weakref.ref(k)])
        return (k * h).sum()

    x = tensor.ones(4, dtype=tensor.float64, requires_grad=True)
    out = checkpoint(fn, x, use_reentrant=reentrant)
    gc.collect()
    assert [r() for r in refs] == [None, None]
    out.backward()
    refs.clear()
    y = fn(x)     # the plain call keeps them for backward (the check above can fail)
    gc.collect()
    assert refs[0]() is not None and refs[1]() is not None
    y.backward()


@pytest.mark.parametrize("reentrant", [True, False])
def test_function_runs_again_in_backward(reentrant):
    calls = []

    def fn(x):
        calls.append(tensor.is_grad_enabled())
        return (x * x).sin().sum()

    x = tensor.ones(3, requires_grad=True)
    out = checkpoint(fn, x, use_reentrant=reentrant)
    assert calls == [not reentrant]          # reentrant: forward under no_grad
    out.backward(retain_graph=not reentrant)
    assert len(calls) == 2 and calls[1] is True
    if not reentrant:                         # one recomputation per backward pass
        out.backward()
        assert len(calls) == 3


def test_non_reentrant_double_backward():
    x = tensor.tensor([0.3, -0.7], dtype=tensor.float64, requires_grad=True)
    out = checkpoint(lambda a: (a ** 3).sum(), x, use_reentrant=False)
    (g,) = tensor.autograd.grad(out, x, create_graph=True)
    (gg,) = tensor.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(g.detach().numpy(), 3 * x.detach().numpy() ** 2)
    np.testing.assert_allclose(gg.numpy(), 6 * x.detach().numpy())


def test_warnings_and_errors():
    x = tensor.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="^torch.utils.checkpoint: the use_reentrant "
                                         "parameter should be passed explicitly"):
        checkpoint(lambda a: a * 2, x)
    with pytest.warns(UserWarning, match="^None of the inputs have requires_grad=True"):
        out = checkpoint(lambda a: a * 2, tensor.ones(2), use_reentrant=True)
    assert not out.requires_grad
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checkpoint(lambda a: a * 2, tensor.ones(2), use_reentrant=False)
    with pytest.raises(ValueError, match="^Unexpected keyword arguments: k"):
        checkpoint(lambda a, k: a, x, use_reentrant=True, k=1)
    with pytest.raises(RuntimeError, match="^When use_reentrant=True, torch.utils.checkpoint "
                                           "is incompatible with .grad()"):
        tensor.autograd.grad(checkpoint(lambda a: a.sin().sum(), x, use_reentrant=True), x)
    calls = [0]

    def grows(a):
        calls[0] += 1
        return (a[:calls[0]] * 2).exp().sum()

    with pytest.raises(CheckpointError, match="^torch.utils.checkpoint: Recomputed values"):
        checkpoint(grows, tensor.ones(4, requires_grad=True), use_reentrant=False).backward()


@pytest.mark.parametrize("reentrant", [True, False])
@pytest.mark.parametrize("segments", [1, 2, 3])
def test_checkpoint_sequential_matches_plain(reentrant, segments):
    tensor.manual_seed(0)
    seq = tensor.nn.Sequential(tensor.nn.Linear(3, 4), tensor.nn.Tanh(),
                               tensor.nn.Linear(4, 4), tensor.nn.Dropout(0.3),
                               tensor.nn.Linear(4, 2))
    x = tensor.randn(5, 3, requires_grad=True)
    state = tensor.get_rng_state()
    out = checkpoint_sequential(seq, segments, x, use_reentrant=reentrant)
    out.sum().backward()
    grads = [x.grad.clone()] + [p.grad.clone() for p in seq.parameters()]
    x.grad = None
    seq.zero_grad()
    tensor.set_rng_state(state)
    ref = seq(x)
    ref.sum().backward()
    assert tensor.equal(out, ref)
    for a, b in zip(grads, [x.grad] + [p.grad for p in seq.parameters()]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)
