"""Behaviour of ``tensor.func`` (grad, vjp, jvp, jacrev, jacfwd, hessian, linearize, vmap) and
of ``compile``/``cond``/``while_loop``: the transforms' defining identities checked on drawn
inputs, against plain autograd and numpy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tensor as torch
from tensor import func

_SETTINGS = settings(max_examples=25, deadline=None)

# elementwise-and-reduce functions of one tensor, written with our ops
_FUNCS = {
    "sin_sum": lambda a: a.sin().sum(),
    "poly": lambda a: (a ** 3 - 2 * a).sum(),
    "exp_mean": lambda a: a.exp().mean(),
    "tanh_norm": lambda a: a.tanh().pow(2).sum(),
}
_VEC_FUNCS = {
    "sin": lambda a: a.sin(),
    "cumsum": lambda a: a.cumsum(0),
    "outer": lambda a: a * a.sum(),
    "softmax": lambda a: a.softmax(0),
}


def _arrays(min_dims=1, max_dims=3):
    return hnp.arrays(np.float64, hnp.array_shapes(min_dims=min_dims, max_dims=max_dims,
                                                   min_side=1, max_side=4),
                      elements=st.floats(-2, 2))


@_SETTINGS
@given(_arrays(), st.sampled_from(sorted(_FUNCS)))
def test_grad_equals_autograd_grad(arr, name):
    f = _FUNCS[name]
    x = torch.tensor(arr)
    got = func.grad(f)(x)
    xr = torch.tensor(arr, requires_grad=True)
    (want,) = torch.autograd.grad(f(xr), xr)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-12)
    assert not got.requires_grad and x.grad is None


@_SETTINGS
@given(_arrays(1, 1), st.sampled_from(sorted(_VEC_FUNCS)))
def test_jacrev_equals_jacfwd_and_products(arr, name):
    f = _VEC_FUNCS[name]
    x = torch.tensor(arr)
    jr, jf = func.jacrev(f)(x), func.jacfwd(f)(x)
    np.testing.assert_allclose(jr.numpy(), jf.numpy(), rtol=1e-12, atol=1e-12)
    t = torch.tensor(np.linspace(-1, 1, arr.size))
    _, jvp_out = func.jvp(f, (x,), (t,))
    np.testing.assert_allclose(jvp_out.numpy(), jr.numpy() @ t.numpy(), rtol=1e-10,
                               atol=1e-12)
    _, pull = func.vjp(f, x)
    np.testing.assert_allclose(pull(t)[0].numpy(), t.numpy() @ jr.numpy(), rtol=1e-10,
                               atol=1e-12)
    _, push = func.linearize(f, x)
    np.testing.assert_allclose(push(t).numpy(), jvp_out.numpy(), rtol=1e-12, atol=1e-12)


@_SETTINGS
@given(_arrays(1, 1), st.sampled_from(sorted(_FUNCS)))
def test_hessian_is_symmetric_jacobian_of_gradient(arr, name):
    f = _FUNCS[name]
    x = torch.tensor(arr)
    h = func.hessian(f)(x).numpy()
    np.testing.assert_allclose(h, h.T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h, func.jacrev(func.grad(f))(x).numpy(), rtol=1e-12,
                               atol=1e-12)


@_SETTINGS
@given(_arrays(1, 3), st.data())
def test_vmap_equals_stack_of_slices(arr, data):
    in_dim = data.draw(st.integers(-arr.ndim, arr.ndim - 1))
    name = data.draw(st.sampled_from(sorted(_FUNCS) + ["identity", "double"]))
    f = {**_FUNCS, "identity": lambda a: a, "double": lambda a: a * 2}[name]
    x = torch.tensor(arr)
    out_nd = f(x.select(in_dim, 0)).dim() + 1
    out_dim = data.draw(st.integers(-out_nd, out_nd - 1))
    got = torch.vmap(f, in_dims=in_dim, out_dims=out_dim)(x)
    want = np.stack([f(x.select(in_dim, i)).numpy() for i in range(x.shape[in_dim])],
                    axis=out_dim)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)


@_SETTINGS
@given(_arrays(2, 2))
def test_vmap_of_grad_is_per_row_gradient_and_grad_of_vmap_agrees(arr):
    f = _FUNCS["poly"]
    x = torch.tensor(arr)
    rows = torch.vmap(func.grad(f))(x)
    whole = func.grad(lambda a: torch.vmap(f)(a).sum())(x)
    np.testing.assert_allclose(rows.numpy(), 3 * arr ** 2 - 2, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(whole.numpy(), rows.numpy(), rtol=1e-12, atol=1e-12)


def test_nested_grad_gives_higher_derivatives():
    x = torch.tensor(0.7, dtype=torch.float64)
    d3 = func.grad(func.grad(func.grad(lambda a: a.sin())))(x)
    assert d3.item() == pytest.approx(-np.cos(0.7), abs=1e-14)


def test_transforms_never_touch_grad_fields():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    x = torch.tensor([0.5, -1.0], requires_grad=True)
    g = func.grad(lambda a: (a * w).sum() * (a * x).sum())(x)
    func.jacrev(lambda a: a * w)(x)
    func.vjp(lambda a: a * w, x)[1](torch.ones(2))
    assert w.grad is None and x.grad is None
    assert g.requires_grad          # depends on w and x from outside the transform
    (gw,) = torch.autograd.grad(g.sum(), w)
    xv = x.detach().numpy()
    np.testing.assert_allclose(gw.numpy(), xv @ xv + xv.sum() * xv)   # d/dw of w(a.x)+x(a.w)


def test_closure_over_the_differentiated_input_is_a_constant():
    """Only the argument is differentiated: the same tensor captured by the function is a
    constant for the transform, as in torch.func."""
    x = torch.tensor([1.5, -2.0])
    g = func.grad(lambda a: (a * x).sum())(x)
    np.testing.assert_allclose(g.numpy(), x.numpy())


def test_vjp_fn_can_be_called_repeatedly_and_under_no_grad():
    x = torch.tensor([0.3, 0.9], requires_grad=True)
    out, pull = func.vjp(lambda a: a.exp(), x)
    first = pull(torch.ones(2))[0]
    with torch.no_grad():
        second = pull(torch.ones(2) * 2)[0]
    assert first.requires_grad and not second.requires_grad
    np.testing.assert_allclose(second.numpy(), 2 * first.detach().numpy())


def test_vmap_runs_the_function_once_per_slice():
    """Note [vmap is a loop]: Python side effects happen per slice, and ``.item()`` works."""
    seen = []
    out = torch.vmap(lambda a: seen.append(a.item()) or a * 2)(torch.tensor([1.0, 2.0, 3.0]))
    assert seen == [1.0, 2.0, 3.0]
    assert out.tolist() == [2.0, 4.0, 6.0]


def test_vmap_randomness_modes():
    zeros = torch.zeros(3, 2)
    with pytest.raises(RuntimeError, match="vmap: called random operation while in "
                                           "randomness error mode"):
        torch.vmap(lambda a: a + torch.rand(2))(zeros)
    same = torch.vmap(lambda a: a + torch.rand(2), randomness="same")(zeros)
    assert (same == same[0]).all()
    diff = torch.vmap(lambda a: a + torch.rand(2), randomness="different")(zeros)
    assert not (diff == diff[0]).all()
    gen = torch.Generator().manual_seed(1)     # an explicit generator is not watched
    torch.vmap(lambda a: a + torch.rand(2, generator=gen))(zeros)


def test_vmap_of_empty_dimension_keeps_output_shape():
    out = torch.vmap(lambda a: a[:2] * 2, out_dims=1)(torch.zeros(0, 3))
    assert out.shape == (2, 0)


def test_vmap_slices_with_different_structures_are_refused():
    with pytest.raises(ValueError, match="returned outputs of different structures"):
        torch.vmap(lambda a: (a,) if a.item() > 0 else a)(torch.tensor([1.0, -1.0]))


def test_compile_returns_an_uncompiled_wrapper():
    lin = torch.nn.Linear(2, 3)
    opt = torch.compile(lin)
    assert opt._orig_mod is lin and opt.in_features == 2 and opt.weight is lin.weight
    x = torch.ones(4, 2)
    assert torch.equal(opt(x), lin(x))
    opt.eval()
    assert not lin.training

    @torch.compile
    def f(a):
        return a + 1

    @torch.compile(mode="reduce-overhead")
    def g(a):
        return a * 3

    assert f(torch.ones(1)).item() == 2.0 and g(torch.ones(1)).item() == 3.0
    assert f.__name__ == "f" and g.__wrapped__(torch.ones(1)).item() == 3.0
    with pytest.raises(AttributeError):
        opt.no_such_attribute


def test_cond_and_while_loop_carry_gradients():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = torch.cond(x.sum() > 0, lambda a: a * 3, lambda a: a, (x,))
    (gx,) = torch.autograd.grad(y.sum(), x)
    assert gx.tolist() == [3.0, 3.0]
    _, z = torch.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * 2),
                            (torch.tensor(0), x))
    (gz,) = torch.autograd.grad(z.sum(), x)
    assert gz.tolist() == [8.0, 8.0]


def test_while_loop_argument_errors():
    with pytest.raises(RuntimeError, match="carried_inputs must be a tuple or list but got"):
        torch.while_loop(lambda i: i < 3, lambda i: (i + 1,), torch.tensor(0))
    with pytest.raises(RuntimeError, match="cond_fn must return a boolean scalar tensor or a "
                                           "boolean but got"):
        torch.while_loop(lambda i: i.sum(), lambda i: (i + 1,), (torch.tensor(0),))
    with pytest.raises(AssertionError, match="body_fn should return the same number of "
                                             "elements as carried_inputs, got 2 vs 1"):
        torch.while_loop(lambda i: i < 3, lambda i: (i + 1, i), (torch.tensor(0),))
    with pytest.raises(RuntimeError, match="Expected pred to be bool or tensor, but got"):
        torch.cond("yes", lambda: 1, lambda: 2)


def test_treespec_repr_is_torchs_layout():
    spec = func.flatten((1, [2, 3], {"a": 4}))[1]
    assert repr(spec) == ("TreeSpec(tuple, None, [*,\n  TreeSpec(list, None, [*,\n    *]),\n"
                          "  TreeSpec(dict, ['a'], [*])])")
    assert spec.pprint() == "(*, [*, *], {'a': *})"
