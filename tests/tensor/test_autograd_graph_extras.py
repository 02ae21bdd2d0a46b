"""torch.autograd.graph extras: GradientEdge, register_multi_grad_hook,
allow_mutation_on_saved_tensors, RemovableHandle, Node.metadata (hand-computed values)."""

import threading

import numpy as np
import pytest

import tensor as torch
from tensor.autograd import engine
from tensor.autograd.graph import GradientEdge, get_gradient_edge
from tensor.utils.hooks import RemovableHandle

G = torch.autograd.graph


def test_get_gradient_edge_leaf_and_non_leaf():
    a = torch.tensor([1., 2.], requires_grad=True)
    e = get_gradient_edge(a)
    assert isinstance(e, GradientEdge) and e.output_nr == 0 and e.ownership_token is None
    assert e.node.name() == "torch::autograd::AccumulateGrad" and e.node.variable is a
    b = a * 3
    assert b.grad_fn.next_functions[0][0] is e.node      # the same accumulator
    assert get_gradient_edge(b) == (b.grad_fn, 0, None)
    parts = torch.ones(3, requires_grad=True).unbind(0)
    assert get_gradient_edge(parts[2]).output_nr == 2


def test_get_gradient_edge_errors():
    with pytest.raises(RuntimeError, match="^It is not possible to get the gradient edge for a "
                                           "Tensor that does not require gradients$"):
        get_gradient_edge(torch.ones(2))
    a = torch.ones(2, requires_grad=True)
    with torch.no_grad():
        v = a[:1]
    with pytest.raises(AssertionError, match="Expected gradient function to be set"):
        get_gradient_edge(v)


def test_edges_in_grad_and_backward():
    a = torch.tensor([1., 2.], requires_grad=True)
    b = a * 3
    c = (b * b).sum()                       # dc/db = 2b = [6, 12]; dc/da = 18a = [18, 36]
    eb, ea = get_gradient_edge(b), get_gradient_edge(a)
    gb, = torch.autograd.grad(c, eb, retain_graph=True)
    assert gb.tolist() == [6., 12.]
    ga, gb = torch.autograd.grad(c, [ea, eb], retain_graph=True)
    assert ga.tolist() == [18., 36.] and gb.tolist() == [6., 12.]
    g, = torch.autograd.grad(eb, a, grad_outputs=torch.ones(2), retain_graph=True)
    assert g.tolist() == [3., 3.]
    c.backward(inputs=ea, retain_graph=True)
    assert a.grad.tolist() == [18., 36.]
    torch.autograd.backward(eb, grad_tensors=torch.ones(2))
    assert a.grad.tolist() == [21., 39.]


def test_edge_output_checks():
    a = torch.tensor([1., 2.], requires_grad=True)
    eb = get_gradient_edge(a * 3)
    with pytest.raises(RuntimeError, match="^grad can be implicitly created only for scalar"):
        torch.autograd.grad(eb, a, retain_graph=True)
    with pytest.raises(RuntimeError, match=r"^Mismatch in shape: grad_output\[0\] has a shape "
                                           r"of torch.Size\(\[3\]\) and output\[0\]"):
        torch.autograd.grad(eb, a, grad_outputs=torch.ones(3), retain_graph=True)
    with pytest.raises(TypeError, match="^gradients can be either Tensors or None, but got float"):
        torch.autograd.grad(eb, a, grad_outputs=[1.0], retain_graph=True)
    s = get_gradient_edge((a * a).sum())
    assert torch.autograd.grad(s, a)[0].tolist() == [2., 4.]
    q = get_gradient_edge(torch.ones(2, requires_grad=True))
    with pytest.raises(RuntimeError, match="materialize_grads cannot be used when the given "
                                           "input is a GradientEdge"):
        torch.autograd.grad((a * a).sum(), [q], materialize_grads=True)
    with pytest.raises(RuntimeError, match="^all inputs have to be Tensors or GradientEdges, "
                                           "but got int"):
        torch.autograd.grad((a * a).sum(), [a, 3])


def test_grad_dict_inputs():
    a = torch.tensor([1., 2.], requires_grad=True)
    b = a * 2
    r = torch.autograd.grad((b * a).sum(), {"a": a, "b": b})     # d/da (2a^2) = 4a; d/db = a
    assert list(r) == ["a", "b"] and r["a"].tolist() == [4., 8.] and r["b"].tolist() == [1., 2.]
    with pytest.raises(RuntimeError, match=r"^`inputs` argument to `grad\(\)` cannot be empty"):
        torch.autograd.grad((a * a).sum(), [])


def test_multi_grad_hook_all_waits_for_what_runs():
    a = torch.tensor([1., 2.], requires_grad=True)
    b = torch.tensor([3., 4.], requires_grad=True)
    c, d = a * b, a * b
    seen = []
    h = G.register_multi_grad_hook((a, b, c, d), lambda gs: seen.append(
        [None if g is None else g.tolist() for g in gs]))
    c.sum().backward(retain_graph=True)
    c.sum().backward(inputs=(a,), retain_graph=True)
    assert seen == [[[3., 4.], [1., 2.], [1., 1.], None], [[3., 4.], None, [1., 1.], None]]
    h.remove()
    c.sum().backward()
    assert len(seen) == 2


def test_multi_grad_hook_any_once_per_backward():
    a = torch.tensor([1., 2.], requires_grad=True)
    b = torch.tensor([3., 4.], requires_grad=True)
    seen = []
    G.register_multi_grad_hook((a, b), lambda g: seen.append(g.tolist()), mode="any")
    (a * b).sum().backward()          # a's gradient (= b) arrives first
    (b * 7).sum().backward()
    assert seen == [[3., 4.], [7., 7.]]


def test_multi_grad_hook_errors():
    y = torch.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match=r"^Expects mode to be one of \('all', 'any'\) but got x"):
        G.register_multi_grad_hook((y,), lambda g: None, mode="x")
    with pytest.raises(AssertionError):
        G.register_multi_grad_hook((torch.ones(2), y), lambda g: None)
    with pytest.raises(RuntimeError, match="^A leaf node was passed to "
                                           "_will_engine_execute_node"):
        G.register_multi_grad_hook((y,), lambda g: None)
        torch.autograd.grad((y * 2).sum(), y)


def test_engine_task_ids_and_will_execute():
    assert engine.current_graph_task_id() == -1
    a = torch.ones(2, requires_grad=True)
    b = a * 2
    other = torch.ones(2, requires_grad=True) * 3
    got = []
    b.register_hook(lambda g: got.append((engine.current_graph_task_id(),
                                          engine.will_engine_execute_node(b.grad_fn),
                                          engine.will_engine_execute_node(other.grad_fn))))
    b.sum().backward(retain_graph=True)
    b.sum().backward()
    assert [x[1:] for x in got] == [(True, False), (True, False)]
    assert got[0][0] != got[1][0] and got[0][0] >= 0


def test_multi_grad_hook_threads_count_apart():
    a = torch.tensor([1., 2.], requires_grad=True)
    b = torch.tensor([3., 4.], requires_grad=True)
    barrier = threading.Barrier(2, timeout=20)
    b.register_hook(lambda g: (barrier.wait(), None)[1])
    calls = []
    G.register_multi_grad_hook((a, b), lambda gs: calls.append([g.tolist() for g in gs]))
    ts = [threading.Thread(target=lambda k=k: (a * k + b * (k + 1)).sum().backward())
          for k in (1, 2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert sorted(calls) == [[[1., 1.], [2., 2.]], [[2., 2.], [3., 3.]]]


def test_allow_mutation_uses_saved_values():
    with G.allow_mutation_on_saved_tensors() as ctx:
        a = torch.tensor([1., 2., 3.], requires_grad=True)
        b = a.clone()
        out = (b ** 2).sum()
        b.mul_(10)
        assert len(ctx.cloned) == 1 and len(ctx.original) == 0
        out.backward()
    assert a.grad.tolist() == [2., 4., 6.]          # 2 * b as saved
    assert b.tolist() == [10., 20., 30.]
    assert len(ctx.cloned) == 0


def test_allow_mutation_errors():
    with G.allow_mutation_on_saved_tensors():
        a = torch.tensor([1., 2.], requires_grad=True)
        out = (a.clone() ** 2).sum()
    with pytest.raises(AssertionError, match="^Trying to backward outside of the "
                                             "'allow_mutation_on_saved_tensors' contextin"):
        out.backward()
    with pytest.raises(RuntimeError, match="^allow_mutation_on_saved_tensors contexts cannot "
                                           "be nested$"):
        with G.allow_mutation_on_saved_tensors():
            with G.allow_mutation_on_saved_tensors():
                pass
    # without the context, the version check refuses the changed tensor
    a = torch.tensor([1., 2.], requires_grad=True)
    b = a.clone()
    out = (b ** 2).sum()
    b.add_(1)
    with pytest.raises(RuntimeError, match="^one of the variables needed for gradient "
                                           "computation has been modified by an inplace"):
        out.backward()


def test_custom_function_saves_are_packed():
    class Sq(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 2 * x * g
    packed = []
    a = torch.tensor([1., 2.], requires_grad=True)
    with G.saved_tensors_hooks(lambda t: packed.append(1) or t * 2, lambda t: t):
        out = Sq.apply(a).sum()
    assert packed == [1]
    out.backward()
    assert a.grad.tolist() == [4., 8.]               # 2 * (2a) from the packed value


def test_removable_handle():
    from collections import OrderedDict
    hooks = OrderedDict()                            # (a plain dict takes no weak reference)
    h = RemovableHandle(hooks)
    hooks[h.id] = "x"
    h2 = RemovableHandle(hooks)
    assert h2.id == h.id + 1
    with h:
        assert h.id in hooks
    assert h.id not in hooks
    h.remove()                                       # twice is harmless
    a = torch.ones(1, requires_grad=True)
    for hd in (a.register_hook(lambda g: None), a.register_post_accumulate_grad_hook(
            lambda t: None), (a * 1).grad_fn.register_prehook(lambda g: None)):
        assert type(hd) is RemovableHandle
    assert G.RemovableHandle is RemovableHandle
    assert torch.nn.modules.module.RemovableHandle is RemovableHandle


def test_same_hook_twice_removes_one():
    a = torch.ones(2, requires_grad=True)
    calls = []

    def f(g):
        calls.append(1)
    a.register_hook(f)
    h = a.register_hook(f)
    h.remove()
    (a * 1).sum().backward()
    assert calls == [1]


def test_node_metadata_and_acc_hooks():
    a = torch.tensor([1., 2.], requires_grad=True)
    b = a * 2
    b.grad_fn.metadata["k"] = 1
    assert b.grad_fn.metadata == {"k": 1}
    log = []
    acc = get_gradient_edge(a).node
    acc.register_prehook(lambda go: log.append("pre"))
    acc.register_hook(lambda gi, go: log.append(("post", gi, np.asarray(go[0]._data).tolist())))
    a.register_hook(lambda g: log.append("tensor"))
    a.register_post_accumulate_grad_hook(lambda t: log.append("post-acc"))
    (a * 3).sum().backward()
    assert log == ["tensor", "pre", "post-acc", ("post", (), [3., 3.])]
