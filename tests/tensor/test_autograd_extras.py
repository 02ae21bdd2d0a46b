"""torch.autograd.functional, anomaly mode, saved-tensor hooks and grad options: properties
against closed-form derivatives, and the behaviour of the machinery around them."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
import hypothesis.extra.numpy as hnp

import tensor
from dispatch import keys as K
from tensor.autograd import functional as AF, anomaly

F64 = tensor.float64
vectors = hnp.arrays(np.float64, st.integers(1, 4),
                     elements=st.floats(-2, 2, allow_nan=False, allow_subnormal=False))


def t(a, rg=False):
    return tensor.tensor(np.asarray(a), dtype=F64, requires_grad=rg)


# -- functional: closed forms ----------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(vectors, st.data())
def test_jacobian_and_products_of_elementwise_function(a, data):
    """f(x) = sin(x) * x: J is diagonal with f'(x) = cos(x) x + sin(x)."""
    v = data.draw(hnp.arrays(np.float64, a.shape, elements=st.floats(-2, 2)))
    d = np.cos(a) * a + np.sin(a)
    f = lambda x: x.sin() * x  # noqa: E731
    np.testing.assert_allclose(AF.jacobian(f, t(a)).numpy(), np.diag(d), atol=1e-12)
    out, jv = AF.jvp(f, t(a), t(v))
    np.testing.assert_allclose(jv.numpy(), d * v, atol=1e-12)
    np.testing.assert_allclose(out.numpy(), np.sin(a) * a, atol=1e-12)
    _, vj = AF.vjp(f, t(a), t(v))
    np.testing.assert_allclose(vj.numpy(), d * v, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(vectors, st.data())
def test_hessian_products_of_cubic_form(a, data):
    """f(x) = sum(x^3) + (sum x)^2: H = diag(6x) + 2 (all ones)."""
    v = data.draw(hnp.arrays(np.float64, a.shape, elements=st.floats(-2, 2)))
    f = lambda x: (x ** 3).sum() + x.sum() ** 2  # noqa: E731
    h = np.diag(6 * a) + 2.0
    np.testing.assert_allclose(AF.hessian(f, t(a)).numpy(), h, atol=1e-12)
    np.testing.assert_allclose(AF.hvp(f, t(a), t(v))[1].numpy(), h @ v, atol=1e-12)
    np.testing.assert_allclose(AF.vhp(f, t(a), t(v))[1].numpy(), v @ h, atol=1e-12)


def test_jacobian_structure_for_tuples():
    x, y = t([1.0, 2.0]), t([3.0, 4.0, 5.0])
    jac = AF.jacobian(lambda a, b: (a * 2, b.sum() * a), (x, y))
    assert isinstance(jac, tuple) and len(jac) == 2
    assert [tuple(j.shape) for j in jac[0]] == [(2, 2), (2, 3)]
    assert [tuple(j.shape) for j in jac[1]] == [(2, 2), (2, 3)]
    np.testing.assert_allclose(jac[1][1].numpy(), np.outer([1.0, 2.0], np.ones(3)))
    hess = AF.hessian(lambda a, b: (a * b[:2]).sum(), (x, y))
    assert [[tuple(h.shape) for h in row] for row in hess] == [[(2, 2), (2, 3)],
                                                               [(3, 2), (3, 3)]]


def test_create_graph_results_are_differentiable():
    x = t([0.5, 1.5], rg=True)
    _, jv = AF.jvp(lambda a: a.exp(), x, t([1.0, 1.0]), create_graph=True)
    jv.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.5, 1.5]))


def test_input_captured_by_the_function_is_not_differentiated():
    """The function gets new tensor objects; the caller's tensor used inside is a constant."""
    x = t([1.0, 2.0])
    jac = AF.jacobian(lambda a: a * x, x)
    np.testing.assert_allclose(jac.numpy(), np.diag([1.0, 2.0]))


def test_jacobian_strategies_agree():
    """vectorize=True (PyTorch batches the passes) and forward mode (forward AD, one pass per
    input element) give the reverse-mode loop's Jacobian."""
    x = t([[1.0, 2.0], [0.5, -1.0]])

    def f(a):
        return (a @ a).sin().sum(0) * a[0]
    ref = AF.jacobian(f, x)
    for kw in (dict(vectorize=True), dict(vectorize=True, strategy="forward-mode")):
        np.testing.assert_allclose(AF.jacobian(f, x, **kw).numpy(), ref.numpy(), rtol=1e-12)


def test_batched_grad_outputs_give_one_gradient_per_row():
    """is_grads_batched: row b of the result is the gradient for row b of grad_outputs."""
    x = t([1.0, 2.0, 3.0], rg=True)
    y = x * x
    rows = t([[1.0, 0.0, 2.0], [0.5, 0.5, 0.5]])
    g, = tensor.autograd.grad(y, x, rows, is_grads_batched=True, retain_graph=True)
    for b in range(2):
        one, = tensor.autograd.grad(y, x, rows[b], retain_graph=True)
        np.testing.assert_allclose(g[b].numpy(), one.numpy())


# -- anomaly mode ------------------------------------------------------------------------------
def test_anomaly_key_exists_only_while_needed():
    before = K.all_keys()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with tensor.autograd.detect_anomaly():
            assert "AutogradGraphHooks" in [k.name for k in K.all_keys()]
            with tensor.autograd.graph.saved_tensors_hooks(lambda p: p, lambda p: p):
                pass
            assert "AutogradGraphHooks" in [k.name for k in K.all_keys()]
    assert K.all_keys() == before
    assert not anomaly.is_anomaly_enabled()


def test_anomaly_traceback_names_the_user_line():
    x = t([0.0, 4.0], rg=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with tensor.autograd.detect_anomaly():
            y = x.log()   # the line the warning must show
            with pytest.raises(RuntimeError, match="Function 'LogBackward0' returned nan"):
                (y * 0).sum().backward()
    msgs = [str(m.message) for m in w if "Error detected in LogBackward0" in str(m.message)]
    assert len(msgs) == 1
    assert "y = x.log()   # the line the warning must show" in msgs[0]
    assert "src/tensor" not in msgs[0]


def test_no_nan_error_without_anomaly_mode():
    x = t([0.0, 4.0], rg=True)
    (x.sqrt() * 0).sum().backward()
    assert np.isnan(x.grad.numpy()[0])


def test_custom_function_nodes_have_no_forward_information():
    class Bad(tensor.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a.clone()

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    x = t([1.0], rg=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with tensor.autograd.set_detect_anomaly(True):
            with pytest.raises(RuntimeError, match="returned nan values in its 0th output"):
                Bad.apply(x).sum().backward()
    assert any("No forward pass information available" in str(m.message) for m in w)


# -- saved-tensor hooks ------------------------------------------------------------------------
def test_hooked_graph_can_be_retained_and_then_freed():
    calls = []
    x = t([1.0, 2.0], rg=True)
    with tensor.autograd.graph.saved_tensors_hooks(lambda a: a, lambda p: calls.append(1) or p):
        y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert len(calls) == 4
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second"):
        y.backward()


def test_pack_may_store_anything_and_unpack_rebuilds():
    store = {}

    def pack(a):
        store[len(store)] = a.detach().numpy().copy()
        return len(store) - 1

    x = t([1.0, 2.0, 3.0], rg=True)
    with tensor.autograd.graph.saved_tensors_hooks(pack, lambda k: tensor.tensor(store[k])):
        y = (x.exp() * x.sin()).sum()
    y.backward()
    a = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(x.grad.numpy(), np.exp(a) * (np.sin(a) + np.cos(a)))


def test_numpy_backward_path_returns_after_hooks():
    """The key leaves the thread's included set, so the fast backward path is back."""
    from tensor import _defop
    with tensor.autograd.graph.saved_tensors_hooks(lambda a: a, lambda p: p):
        with tensor.no_grad():       # as during a backward without create_graph
            assert not _defop._numpy_env_ok()
    with tensor.no_grad():
        assert _defop._numpy_env_ok()
