"""The autograd engine: accumulation, graph freeing, higher order, hooks, errors, in-place
rules, rebase of views, memory — each against PyTorch 2.13's observed behavior
(SEMANTICS.md §4, SEMANTICS-DETAIL.md §5, §8, §9)."""

from __future__ import annotations

import gc
import warnings
import weakref

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
import hypothesis.extra.numpy as hnp

import tensor
from tensor import autograd, _defop
from tensor.autograd.graph import AccumulateGrad

F64 = tensor.float64
HINT = "Hint: enable anomaly detection to find the operation that failed to compute its " \
       "gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False)."
E20 = ("Trying to backward through the graph a second time (or directly access saved tensors "
       "after they have already been freed). Saved intermediate values of the graph are freed "
       "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
       "backward through the graph a second time or if you need to access saved tensors after "
       "calling backward.")


def leaf(vals, dtype=tensor.float32):
    return tensor.tensor(vals, dtype=dtype, requires_grad=True)


def raises_starting(text, exc=RuntimeError):
    """pytest.raises whose message must *start* with torch's text (our hint may follow)."""
    class _Ctx:
        def __enter__(self):
            self.cm = pytest.raises(exc)
            self.info = self.cm.__enter__()
            return self.info

        def __exit__(self, *a):
            r = self.cm.__exit__(*a)
            msg = str(self.info.value)
            assert msg.startswith(text), f"{msg!r} does not start with {text!r}"
            return r
    return _Ctx()


# -- accumulation, graph freeing ------------------------------------------------------------
def test_backward_accumulates_in_place_into_the_same_grad_object():
    """A second backward adds into the existing ``.grad`` tensor (same object, like torch)."""
    x = leaf([1.0, 2.0])
    (x * 2).sum().backward()
    g = x.grad
    (x * 3).sum().backward()
    assert x.grad is g
    assert x.grad.tolist() == [5.0, 5.0]


def test_second_backward_without_retain_graph_raises_exact_text():
    """The graph's saved tensors are freed: E20, verbatim."""
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with raises_starting(E20):
        y.backward()
    assert x.grad.tolist() == [2.0, 4.0]      # the failed run added nothing


def test_retain_graph_allows_a_second_backward_and_accumulates():
    """With ``retain_graph=True`` the same graph runs twice; gradients add up."""
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_graph_without_saved_tensors_can_run_twice():
    """Like torch, only *saved tensors* are freed: ``(x + 1).sum()`` backs up twice."""
    x = leaf([1.0, 2.0])
    y = (x + 1).sum()
    y.backward()
    y.backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_non_scalar_output_needs_a_gradient():
    """E21, and the explicit-gradient form works."""
    x = leaf([1.0, 2.0])
    y = x * 2
    with raises_starting("grad can be implicitly created only for scalar outputs"):
        y.backward()
    y.backward(tensor.tensor([1.0, 10.0]))
    assert x.grad.tolist() == [2.0, 20.0]


def test_root_without_history_raises_e22():
    """E22 for a tensor that neither requires grad nor has a grad_fn."""
    with raises_starting("element 0 of tensors does not require grad and does not have a "
                         "grad_fn"):
        tensor.tensor(1.0).backward()
    x = leaf([1.0])
    with tensor.no_grad():
        y = (x * 2).sum()
    with raises_starting("element 0 of tensors does not require grad"):
        y.backward()


def test_backward_under_no_grad_runs_a_graph_built_before():
    """no_grad only affects recording (SEMANTICS-DETAIL §8)."""
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    with tensor.no_grad():
        y.backward()
    assert x.grad.tolist() == [2.0, 4.0]


# -- autograd.grad ---------------------------------------------------------------------------
def test_autograd_grad_unused_input_e29_and_allow_unused():
    """An input the outputs do not depend on: E29 with its index, or None when allowed."""
    a, b = leaf(1.0), leaf(1.0)
    with raises_starting("The differentiated Tensor at index 1 appears to not have been used "
                         "in the graph. Set allow_unused=True if this is the desired "
                         "behavior."):
        autograd.grad(a * 2, [a, b])
    with raises_starting("The differentiated Tensor at index 0 appears to not have been used "
                         "in the graph."):
        autograd.grad(a * 2, [b, a])
    ga, gb = autograd.grad(a * 2, [a, b], allow_unused=True)
    assert ga.item() == 2.0 and gb is None
    assert a.grad is None and b.grad is None       # grad returns, it does not accumulate


def test_autograd_grad_materialize_grads():
    """``materialize_grads=True`` gives zeros instead of None."""
    a, b = leaf([1.0, 2.0]), leaf([3.0])
    ga, gb = autograd.grad((a * 2).sum(), [a, b], materialize_grads=True)
    assert ga.tolist() == [2.0, 2.0] and gb.tolist() == [0.0]


def test_second_derivative_of_cube_with_create_graph():
    """d/dx x**3 = 3x**2 and d2/dx2 = 6x, through ``create_graph=True``."""
    x = leaf(2.0, F64)
    y = x ** 3
    (g,) = autograd.grad(y, x, create_graph=True)
    assert g.item() == pytest.approx(12.0)
    assert g.requires_grad and g.grad_fn is not None
    (g2,) = autograd.grad(g, x)
    assert g2.item() == pytest.approx(12.0)
    (g3,) = autograd.grad(autograd.grad(autograd.grad(x ** 3, x, create_graph=True)[0], x,
                                        create_graph=True)[0], x)
    assert g3.item() == pytest.approx(6.0)


def test_backward_with_create_graph_gives_a_differentiable_grad():
    """``backward(create_graph=True)`` leaves a ``.grad`` with history (torch: requires_grad)."""
    x = leaf(2.0, F64)
    (x ** 3).backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and g.item() == pytest.approx(12.0)
    x.grad = None
    g.backward()
    assert x.grad.item() == pytest.approx(12.0)


def test_grad_of_grad_without_create_graph_has_no_history():
    """Without create_graph the returned gradient is detached."""
    x = leaf(2.0, F64)
    (g,) = autograd.grad(x ** 3, x)
    assert not g.requires_grad and g.grad_fn is None


# -- hooks and retain_grad -------------------------------------------------------------------
def test_tensor_hook_on_leaf_replaces_its_gradient():
    """A hook's return value replaces the gradient that reaches ``.grad``."""
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
    (x * 2).sum().backward()
    assert seen == [[2.0, 2.0]]
    assert x.grad.tolist() == [20.0, 20.0]


def test_tensor_hook_on_non_leaf_changes_what_flows_on():
    """A hook on an intermediate sees its gradient and may change it for everything upstream."""
    x = leaf([1.0, 2.0])
    y = x * 3
    h = y.register_hook(lambda g: g + 1)
    (y * 2).sum().backward()
    assert x.grad.tolist() == [9.0, 9.0]              # 3 * (2 + 1)
    h.remove()
    x.grad = None
    y2 = x * 3
    (y2 * 2).sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]


def test_hook_returning_none_keeps_the_gradient():
    x = leaf([1.0])
    calls = []
    x.register_hook(lambda g: calls.append(1))
    (x * 4).sum().backward()
    assert calls == [1] and x.grad.tolist() == [4.0]


def test_register_hook_on_tensor_without_grad_raises():
    with raises_starting("cannot register a hook on a tensor that doesn't require gradient"):
        tensor.tensor([1.0]).register_hook(lambda g: g)


def test_retain_grad_on_non_leaf_and_the_warning_without_it():
    """``retain_grad`` keeps a non-leaf's gradient; without it ``.grad`` warns and is None."""
    x = leaf([1.0, 2.0])
    y = x * 2
    z = y * y
    y.retain_grad()
    assert y.retains_grad
    z.sum().backward(retain_graph=True)
    assert y.grad.tolist() == [4.0, 8.0]
    z.sum().backward()
    assert y.grad.tolist() == [8.0, 16.0]              # accumulates like a leaf's
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert z.grad is None
    assert any("is not a leaf Tensor is being accessed" in str(i.message) for i in w)


def test_retain_grad_runs_after_the_tensors_own_hooks():
    """The ``.grad`` kept by ``retain_grad`` is the gradient after the tensor's hooks, even
    when ``retain_grad`` came first (PyTorch runs it last); node pre-hooks come after both."""
    x = leaf([1.0, 2.0])
    y = x * 3
    order = []
    y.grad_fn.register_prehook(lambda go: order.append("node"))
    y.retain_grad()
    y.register_hook(lambda g: order.append("tensor") or g * 2)
    (y * y).sum().backward()
    assert order == ["tensor", "node"]
    assert y.grad.tolist() == [12.0, 24.0]          # 2 * (2 * y)
    assert x.grad.tolist() == [36.0, 72.0]


def test_retain_grad_follows_the_tensor_through_in_place_writes():
    """After an in-place op ``.grad`` is the gradient of the tensor's new value: the kept
    gradient moves to the new node, also for a view's base and for a view itself."""
    x = leaf([1.0, 1.0])
    y = x * 1
    y.retain_grad()
    y.mul_(2)
    (y * 3).sum().backward()
    assert y.grad.tolist() == [3.0, 3.0]
    assert x.grad.tolist() == [6.0, 6.0]

    x = leaf([1.0, 1.0, 1.0, 1.0])
    y = x * 1
    y.retain_grad()
    y[:2].mul_(3)                                   # the base's history is rewritten
    (y * tensor.arange(4.0)).sum().backward()
    assert y.grad.tolist() == [0.0, 1.0, 2.0, 3.0]

    x = leaf([1.0, 1.0, 1.0, 1.0])
    v = (x * 1)[:2]
    v.retain_grad()
    v.mul_(3)
    (v * 5).sum().backward()
    assert v.grad.tolist() == [5.0, 5.0]
    assert x.grad.tolist() == [15.0, 15.0, 0.0, 0.0]


def test_retained_grad_is_a_copy_recorded_under_create_graph():
    """The first kept gradient is a fresh copy (writing to it changes nothing else); under
    ``create_graph`` the copy is recorded, so it is differentiable."""
    x = leaf([1.0, 2.0])
    y = x * 2
    y.retain_grad()
    y.sum().backward()
    y.grad.add_(1)
    assert x.grad.tolist() == [2.0, 2.0]
    assert y.grad._version == 1 and y.grad.grad_fn is None
    x = leaf([1.0, 2.0])
    y = x ** 2
    y.retain_grad()
    (y ** 2).sum().backward(create_graph=True)
    assert y.grad.requires_grad and type(y.grad.grad_fn).__name__ == "CloneBackward0"


# -- broadcasting ----------------------------------------------------------------------------
def _sum_to(a, shape):
    lead = a.ndim - len(shape)
    a = a.sum(axis=tuple(range(lead))) if lead else a
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and a.shape[i] != 1)
    return a.sum(axis=axes, keepdims=True) if axes else a


@pytest.mark.parametrize("sa, sb", [((2, 3), (3,)), ((2, 1), (1, 3)), ((4, 1, 3), (2, 1)),
                                    ((), (2, 2)), ((1,), (3,))])
def test_broadcast_gradients_are_summed_back_to_each_input_shape(sa, sb):
    """Each input's gradient has its own shape: summed over the broadcast dims."""
    an = np.arange(1, int(np.prod(sa)) + 1, dtype=float).reshape(sa)
    bn = np.arange(2, int(np.prod(sb)) + 2, dtype=float).reshape(sb)
    a = tensor.tensor(an, dtype=F64, requires_grad=True)
    b = tensor.tensor(bn, dtype=F64, requires_grad=True)
    (a * b).sum().backward()
    out = np.broadcast_shapes(sa, sb)
    assert tuple(a.grad.shape) == sa and tuple(b.grad.shape) == sb
    assert np.allclose(a.grad.numpy(), _sum_to(np.broadcast_to(bn, out), sa))
    assert np.allclose(b.grad.numpy(), _sum_to(np.broadcast_to(an, out), sb))


def test_broadcast_add_pinned_gradient():
    """SEMANTICS-DETAIL §8: broadcasting add is summed over the broadcast dim."""
    a = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b = leaf([1.0, 1.0, 1.0])
    (a + b).sum().backward()
    assert b.grad.tolist() == [2.0, 2.0, 2.0]
    assert a.grad.tolist() == [[1.0] * 3] * 2


# -- requires_grad flags and .numpy() --------------------------------------------------------
def test_integer_tensors_cannot_require_grad():
    """E23 (requires_grad_), the attribute form, E24 (factories and tensor())."""
    t = tensor.tensor([1, 2])
    with raises_starting("only Tensors of floating point dtype can require gradients"):
        t.requires_grad_()
    with raises_starting("only Tensors of floating point and complex dtype can require "
                         "gradients"):
        t.requires_grad = True
    with raises_starting("Only Tensors of floating point and complex dtype can require "
                         "gradients"):
        tensor.tensor([1, 2], requires_grad=True)
    with raises_starting("Only Tensors of floating point and complex dtype can require "
                         "gradients"):
        tensor.ones(2, dtype=tensor.int64, requires_grad=True)
    assert not t.requires_grad
    t.requires_grad_(False)                   # turning it off is fine


def test_non_leaf_requires_grad_flag_e25():
    """E25 for turning the flag off on a non-leaf; turning it on is a no-op."""
    y = leaf([1.0]) * 2
    with raises_starting("you can only change requires_grad flags of leaf variables. If you "
                         "want to use a computed variable in a subgraph that doesn't require "
                         "differentiation use var_no_grad = var.detach()."):
        y.requires_grad = False
    with raises_starting("you can only change requires_grad flags of leaf variables."):
        y.requires_grad_(False)
    assert y.requires_grad_() is y and y.requires_grad


def test_numpy_of_tensor_that_requires_grad_e26():
    """E26, and ``detach().numpy()`` shares memory."""
    x = leaf([1.0, 2.0])
    with raises_starting("Can't call numpy() on Tensor that requires grad. Use "
                         "tensor.detach().numpy() instead."):
        x.numpy()
    a = x.detach().numpy()
    assert np.shares_memory(a, x.detach().numpy())


# -- saved tensors and versions --------------------------------------------------------------
def test_saved_output_modified_under_no_grad_e9_exact():
    """The exact E9 text of SEMANTICS §4: saved result of exp, bumped once."""
    x = leaf([1.0, 2.0])
    y = x.exp()
    with tensor.no_grad():
        y.add_(1)
    with raises_starting(
            "one of the variables needed for gradient computation has been modified by an "
            "inplace operation: [torch.FloatTensor [2]], which is output 0 of Exp, is at "
            "version 1; expected version 0 instead. " + HINT):
        y.sum().backward()


def test_saved_tensor_names_its_current_grad_fn():
    """After ``b.add_(1)`` the message names Add (the tensor's current node)."""
    a = leaf([1.0, 2.0])
    b = a.exp()
    c = b * b
    b.add_(1)
    with raises_starting("one of the variables needed for gradient computation has been "
                         "modified by an inplace operation: [torch.FloatTensor [2]], which is "
                         "output 0 of Add, is at version 1; expected version 0 instead. "):
        c.sum().backward()


def test_saved_leaf_has_no_which_is_output_clause():
    """A saved tensor without grad_fn: no ", which is output …" clause (torch)."""
    w = leaf([1.0, 2.0])
    x = tensor.tensor([3.0, 4.0])
    y = w * x
    x.add_(1)
    with raises_starting("one of the variables needed for gradient computation has been "
                         "modified by an inplace operation: [torch.FloatTensor [2]] is at "
                         "version 1; expected version 0 instead. " + HINT):
        y.sum().backward()


def test_saved_double_tensor_2d_names_double_and_full_shape():
    w = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], F64)
    y = w.sin()
    z = y * y
    y.mul_(2)
    y.mul_(2)
    with raises_starting("one of the variables needed for gradient computation has been "
                         "modified by an inplace operation: [torch.DoubleTensor [2, 3]], which "
                         "is output 0 of Mul, is at version 2; expected version 0 instead."):
        z.sum().backward()


def test_write_through_a_view_of_a_saved_tensor_is_detected():
    """The version counter is shared with views: a write through one is seen (V-7)."""
    x = leaf([1.0, 2.0, 3.0])
    y = x * 1
    z = y * y
    with tensor.no_grad():
        y[1:].mul_(0)
    with raises_starting("one of the variables needed for gradient computation has been "
                         "modified by an inplace operation"):
        z.sum().backward()


def test_modifying_an_unsaved_tensor_is_fine():
    """``a + 3`` saves nothing: later writes to ``a`` do not matter (V-7)."""
    a = leaf([1.0, 2.0])
    b = a * 1
    c = b + 3
    b.mul_(5)
    c.sum().backward()
    assert a.grad.tolist() == [1.0, 1.0]


# -- in-place rules for leaves --------------------------------------------------------------
def test_in_place_on_leaf_or_view_of_leaf_errors_and_bumps_nothing():
    """E10/E11 (also item assignment), the version is unchanged, the data too."""
    x = leaf([1.0, 2.0])
    with raises_starting("a leaf Variable that requires grad is being used in an in-place "
                         "operation."):
        x.add_(1)
    with raises_starting("a view of a leaf Variable that requires grad is being used in an "
                         "in-place operation."):
        x[0:1].mul_(2)
    with raises_starting("a view of a leaf Variable that requires grad is being used in an "
                         "in-place operation."):
        x[0] = 3.0
    assert x._version == 0
    assert x.detach().tolist() == [1.0, 2.0]


def test_in_place_on_leaf_is_allowed_under_no_grad():
    """The optimizer idiom: allowed, bumps versions, the leaf stays a leaf."""
    x = leaf([1.0, 2.0])
    with tensor.no_grad():
        x.add_(1)
        x[0:1].mul_(2)
    assert x._version == 2
    assert x.is_leaf and x.grad_fn is None and x.requires_grad
    assert x.detach().tolist() == [4.0, 3.0]
    (x * x).sum().backward()
    assert x.grad.tolist() == [8.0, 6.0]


def test_in_place_on_plain_tensor_with_grad_value_makes_it_a_non_leaf():
    """V-5: ``m.add_(w)`` gives ``m`` history (AddBackward0) and gradients reach ``w``."""
    m = tensor.zeros(2)
    w = leaf([1.0, 2.0])
    m.add_(w)
    assert not m.is_leaf and m.requires_grad and type(m.grad_fn).__name__ == "AddBackward0"
    (m * m).sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]


def test_in_place_through_view_of_plain_tensor_gives_the_base_copyslices():
    """V-5 through a view: the base's grad_fn is CopySlices; gradients flow correctly."""
    n = tensor.zeros(3)
    w = leaf([1.0, 2.0])
    n[0:2].add_(w * 3)
    assert n.grad_fn.name() == "torch::autograd::CopySlices" and n.requires_grad
    (n * n).sum().backward()
    assert w.grad.tolist() == [18.0, 36.0]


# -- V-11: rebase of views -------------------------------------------------------------------
def test_in_place_mul_on_slice_of_non_leaf_v11():
    """``y = 2x; y[1:] *= x[1:]`` gives dy.sum/dx = [2, 8, 12] for x = [1, 2, 3]."""
    x = leaf([1.0, 2.0, 3.0])
    y = 2 * x
    v = y[1:]
    v *= x[1:]
    assert y.grad_fn.name() == "torch::autograd::CopySlices"
    assert type(v.grad_fn).__name__ == "AsStridedBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 8.0, 12.0]


def test_v11_with_select_and_slice_ops():
    """The same program written with the select/slice ops directly."""
    x = leaf([1.0, 2.0, 3.0])
    y = 2 * x
    sl = _defop.OPS["aten::slice.Tensor"]
    sl.call(y, 0, 1, None, 1).mul_(sl.call(x, 0, 1, None, 1))
    y.select(0, 0).mul_(5)
    y.sum().backward()
    assert x.grad.tolist() == [10.0, 8.0, 12.0]


def test_assignment_cuts_the_gradient_of_the_overwritten_entry():
    """``y = x.clone(); y[0] = 10`` — entry 0 no longer depends on x."""
    x = leaf([1.0, 2.0, 3.0])
    y = x.clone()
    y[0] = 10.0
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0]


def test_write_through_sibling_view_is_seen_by_the_other_view():
    """Values and gradients of a view follow writes through its sibling (V-11)."""
    x = leaf([1.0, 2.0, 3.0, 4.0])
    y = x * 1
    a = y[0:2]
    b = y[1:3]
    b.mul_(10)                      # y = [1, 20, 30, 4]
    assert a.detach().tolist() == [1.0, 20.0]
    (a * a).sum().backward()        # a = [x0, 10 x1]: d/dx = [2 x0, 200 x1]
    assert x.grad.tolist() == [2.0, 400.0, 0.0, 0.0]


def test_view_grad_fn_is_regenerated_after_the_base_changes():
    """A view made before a write to its base gets a fresh grad_fn on next access."""
    x = leaf([1.0, 2.0])
    y = x * 1
    v = y[0:1]
    old = v.grad_fn
    y.mul_(3)
    assert v.grad_fn is not old and type(v.grad_fn).__name__ == "AsStridedBackward0"
    v.sum().backward()
    assert x.grad.tolist() == [3.0, 0.0]


def test_multi_output_view_in_place_e7():
    """V-10: split/unbind outputs of a tensor requiring grad cannot be written."""
    x = leaf([1.0, 2.0, 3.0, 4.0])
    y = x * 1
    with raises_starting("Output 0 of Split is a view and is being modified inplace. This view "
                         "is the output of a function that returns multiple views."):
        y.split(2)[0].mul_(2)
    with raises_starting("Output 0 of Unbind is a view and is being modified inplace."):
        y.unbind(0)[0].mul_(2)


def test_no_grad_view_modified_in_grad_mode_e6():
    """V-9: a view made under no_grad, written in grad mode."""
    x = leaf([1.0, 2.0])
    y = x * 1
    with tensor.no_grad():
        v = y[0:1]
    with raises_starting("A view was created in no_grad mode and is being modified inplace "
                         "with grad mode enabled."):
        v.mul_(2)


# -- memory ----------------------------------------------------------------------------------
def _nodes(t):
    out, seen, stack = [], set(), [t.grad_fn]
    while stack:
        n = stack.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        out.append(n)
        stack.extend(e[0] for e in n.next_functions if e[0] is not None)
    return out


def test_backward_frees_saved_tensors():
    """After a backward without retain_graph no node keeps saved arrays alive."""
    x = leaf([1.0, 2.0, 3.0], F64)
    y = x.exp()
    data = weakref.ref(y._data)
    loss = (y * y.sin()).sum()
    del y
    gc.collect()
    assert data() is not None                 # the graph keeps exp's result for backward
    loss.backward()
    assert data() is None                     # ... and lets it go after
    for n in _nodes(loss):
        saved = getattr(n, "_saved", None)
        assert not saved or all(not hasattr(v, "unpack") for v in saved.values()), n


def _graph_programs():
    def plain(x):
        return (x.exp() * x.sin()).sum()

    def views(x):
        y = x * 2
        return (y[1:] * y.transpose(0, 0)[:2]).sum()

    def inplace(x):
        y = x * 2
        y[1:].mul_(x[1:])
        y.exp_()
        return y.sum()

    def lists(x):
        a, b = (x * 1).split([1, 2])
        return tensor.cat([b, a * 3]).sum()
    return [plain, views, inplace, lists]


@pytest.mark.parametrize("prog", _graph_programs(), ids=lambda f: f.__name__)
@pytest.mark.parametrize("run_backward", [False, True])
def test_dropping_the_output_frees_the_graph_without_gc(prog, run_backward):
    """No reference cycles: with the cycle collector off, deleting the output (and the
    intermediates) frees every node at once."""
    x = leaf([1.0, 2.0, 3.0], F64)
    out = prog(x)
    if run_backward:
        out.backward(retain_graph=True)
    refs = [weakref.ref(n) for n in _nodes(out) if not isinstance(n, AccumulateGrad)]
    assert refs
    gc.collect()
    gc.disable()
    try:
        del out
        alive = [r() for r in refs if r() is not None]
        assert not alive, alive
    finally:
        gc.enable()


# -- random programs of views and in-place ops -------------------------------------------------
_SHAPES = st.sampled_from([(4,), (2, 3), (3, 2), (2, 2, 2)])


def _contiguous(a):
    if a.size <= 1:
        return True
    expected = a.itemsize
    for n, s in zip(reversed(a.shape), reversed(a.strides)):
        if n != 1 and s != expected:
            return False
        expected *= n
    return True


@st.composite
def view_path(draw, shape):
    """A list of view steps valid for ``shape``, checked on a numpy stand-in."""
    probe = np.empty(shape)
    steps = []
    for _ in range(draw(st.integers(0, 3))):
        nd = probe.ndim
        kinds = ["unsqueeze"] + (["select", "slice"] if nd else []) + \
            (["transpose"] if nd >= 2 else []) + (["view"] if _contiguous(probe) else [])
        k = draw(st.sampled_from(kinds))
        if k == "select":
            d = draw(st.integers(0, nd - 1))
            if probe.shape[d] == 0:
                continue
            i = draw(st.integers(-probe.shape[d], probe.shape[d] - 1))
            step = ("select", d, i)
        elif k == "slice":
            d = draw(st.integers(0, nd - 1))
            n = probe.shape[d]
            start = draw(st.integers(0, n))
            step = ("slice", d, start, draw(st.integers(start, n)), draw(st.integers(1, 2)))
        elif k == "transpose":
            step = ("transpose", draw(st.integers(0, nd - 1)), draw(st.integers(0, nd - 1)))
        elif k == "view":
            step = ("view", draw(st.sampled_from(["flat", "unsq"])))
        else:
            step = ("unsqueeze", draw(st.integers(0, nd)))
        probe = apply_np(probe, [step])
        steps.append(step)
    return steps


def apply_np(a, path):
    for s in path:
        if s[0] == "select":
            a = a[(slice(None),) * s[1] + (s[2], Ellipsis)]     # a view, also when 0-d
        elif s[0] == "slice":
            a = a[(slice(None),) * s[1] + (slice(s[2], s[3], s[4]),)]
        elif s[0] == "transpose":
            a = np.swapaxes(a, s[1], s[2])
        elif s[0] == "view":
            a = a.reshape(-1) if s[1] == "flat" else a.reshape(a.shape + (1,))
            assert a.base is not None or a.size <= 1
        else:
            a = np.expand_dims(a, s[1])
    return a


def apply_t(t, path):
    sl = _defop.OPS["aten::slice.Tensor"]
    for s in path:
        if s[0] == "select":
            t = t.select(s[1], s[2])
        elif s[0] == "slice":
            t = sl.call(t, s[1], s[2], s[3], s[4])
        elif s[0] == "transpose":
            t = t.transpose(s[1], s[2])
        elif s[0] == "view":
            t = t.view(-1) if s[1] == "flat" else t.view(tuple(t.shape) + (1,))
        else:
            t = t.unsqueeze(s[1])
    return t


@st.composite
def programs(draw):
    shape = draw(_SHAPES)
    x = draw(hnp.arrays(np.float64, shape, elements=st.floats(-1.5, 1.5, allow_subnormal=False)))
    steps = []
    for _ in range(draw(st.integers(1, 4))):
        path = draw(view_path(shape))
        op = draw(st.sampled_from(["add_", "mul_"]))
        src = draw(st.sampled_from(["const", "sin", "cos"]))
        steps.append((path, op, src, draw(st.sampled_from([0.5, -2.0, 3.0]))))
    w = draw(hnp.arrays(np.float64, shape, elements=st.floats(-1, 1, allow_subnormal=False)))
    return shape, x, steps, w


def run_inplace(x, steps, w):
    """The program as written: views of a non-leaf, modified in place."""
    base = x * 1.5
    views = []
    for path, op, src, c in steps:
        v = apply_t(base, path)
        other = c if src == "const" else apply_t(getattr(x, src)(), path)
        getattr(v, op)(other)
        views.append(v)
    loss = (base * tensor.from_numpy(w)).sum()
    for k, v in enumerate(views):
        loss = loss + (v * (k + 1)).sum()
    return loss, base


def run_functional(x, steps, w):
    """The same program out of place: each view is a one-hot projection of the flat base."""
    n = int(np.prod(x.shape))
    pos = np.arange(n).reshape(tuple(x.shape))
    flat = (x * 1.5).reshape(-1)
    projections = []
    for path, op, src, c in steps:
        idx = np.asarray(apply_np(pos, path)).reshape(-1)
        P = tensor.from_numpy(np.eye(n)[idx]) if idx.size else tensor.zeros(0, n, dtype=F64)
        v = P.mm(flat.reshape(n, 1)).reshape(-1)
        other = c if src == "const" else P.mm(getattr(x, src)().reshape(n, 1)).reshape(-1)
        new = v + other if op == "add_" else v * other
        flat = flat + P.t().mm((new - v).reshape(-1, 1)).reshape(-1)
        projections.append(P)
    loss = (flat * tensor.from_numpy(w.reshape(-1))).sum()
    for k, P in enumerate(projections):
        loss = loss + (P.mm(flat.reshape(n, 1)) * (k + 1)).sum()
    return loss


def run_numpy(xa, steps, w):
    base = xa * 1.5
    views = []
    for path, op, src, c in steps:
        v = apply_np(base, path)
        other = c if src == "const" else apply_np(getattr(np, src)(xa), path)
        if op == "add_":
            v += other
        else:
            v *= other
        views.append(v)
    loss = (base * w).sum()
    for k, v in enumerate(views):
        loss = loss + (v * (k + 1)).sum()
    return loss, base


@settings(max_examples=max(20, settings().max_examples // 2))
@given(programs())
def test_views_and_in_place_match_out_of_place_and_finite_differences(prog):
    """Random programs of views + in-place ops on a non-leaf: values equal numpy's, and the
    gradient equals the out-of-place program's and central differences of the numpy one."""
    shape, xa, steps, w = prog
    x = tensor.tensor(xa, dtype=F64, requires_grad=True)
    loss, base = run_inplace(x, steps, w)
    ref_loss, ref_base = run_numpy(xa.copy(), steps, w)
    assert np.allclose(base.detach().numpy(), ref_base)
    assert np.isclose(loss.item(), ref_loss)
    loss.backward()
    g_inplace = x.grad.numpy().copy()

    x2 = tensor.tensor(xa, dtype=F64, requires_grad=True)
    run_functional(x2, steps, w).backward()
    assert np.allclose(g_inplace, x2.grad.numpy(), rtol=1e-10, atol=1e-10)

    eps = 1e-6
    fd = np.zeros(xa.size)
    for i in range(xa.size):
        hi, lo = xa.copy().reshape(-1), xa.copy().reshape(-1)
        hi[i] += eps
        lo[i] -= eps
        fd[i] = (run_numpy(hi.reshape(shape), steps, w)[0]
                 - run_numpy(lo.reshape(shape), steps, w)[0]) / (2 * eps)
    assert np.allclose(g_inplace.reshape(-1), fd, rtol=1e-5, atol=1e-6)


def test_relu_gradient_is_pytorchs_threshold_backward():
    """The gradient passes where the result is not <= 0: a NaN input passes it, an infinite
    gradient at a negative input gives 0 (not NaN) -- PyTorch 2.13's values."""
    import warnings
    g = tensor.tensor([1.0, float("inf"), 2.0, 3.0])
    x = tensor.tensor([-1.0, -1.0, float("nan"), 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.relu().backward(g)
    assert x.grad.tolist() == [0.0, 0.0, 2.0, 3.0]


@pytest.mark.parametrize("n", [5, 1024, 3001])     # small arrays and the bit-masking path
@pytest.mark.parametrize("dt", ["float16", "float32", "float64"])
def test_relu_gradient_bits_match_a_plain_selection(n, dt):
    """The gradient is grad's exact bits where the result is > 0 or NaN, and +0.0 where it
    is <= 0 (-0.0 inputs included), whatever grad holds there (inf, NaN, -0.0)."""
    rng = np.random.default_rng(n)
    specials = np.array([-1.0, 0.0, -0.0, 2.0, np.nan, np.inf, -np.inf, 1e-30], dt)
    xa = np.concatenate([specials, rng.standard_normal(n).astype(dt)])
    ga = np.concatenate([np.array([np.inf, np.nan, -0.0, 5.0, -0.0, np.nan, np.inf, 3.0], dt),
                         rng.standard_normal(n).astype(dt)])
    x = tensor.tensor(xa, requires_grad=True)
    x.relu().backward(tensor.tensor(ga))
    r = np.where(np.isnan(xa), xa, np.maximum(xa, 0))      # relu keeps NaN
    expected = np.where(r <= 0, np.zeros((), dt), ga)
    assert x.grad.dtype == getattr(tensor, dt)
    assert x.grad.numpy().tobytes() == expected.tobytes()


def test_backward_with_create_graph_warns_once_like_pytorch(monkeypatch):
    from tensor import errors
    errors._WARNED.discard("backward_create_graph")
    x = tensor.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="Using backward\\(\\) with create_graph=True will "
                                         "create a reference cycle"):
        (x * x).sum().backward(create_graph=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (x * x).sum().backward(create_graph=True)       # once per process, as PyTorch
        tensor.autograd.grad((x * x).sum(), x, create_graph=True)   # grad() never warns


def test_grad_of_two_outputs_of_one_node():
    """Roots that share a node (both outputs of var_mean, aminmax, unbind) are walked once:
    each output's gradient reaches the input."""
    x = tensor.tensor([1.0, 3.0, 2.0], requires_grad=True)
    lo, hi = x.aminmax()
    (g,) = tensor.autograd.grad([lo, hi], x, grad_outputs=[tensor.tensor(1.0),
                                                           tensor.tensor(2.0)])
    assert g.tolist() == [1.0, 2.0, 0.0]
    parts = x.unbind()
    tensor.autograd.backward(list(parts))
    assert x.grad.tolist() == [1.0, 1.0, 1.0]
