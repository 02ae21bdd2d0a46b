"""Forward-mode AD (``torch.autograd.forward_ad``) against PyTorch's: tangents of many ops,
views sharing tangents, in-place updates, levels and their errors, and the printed form."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

torch = pytest.importorskip("torch")

import tensor  # noqa: E402

pytestmark = pytest.mark.differential


def _fw(lib):
    return lib.autograd.forward_ad


EXPRESSIONS = {
    "sin_mul": lambda lib, x, y: x.sin() * x,
    "add_alpha": lambda lib, x, y: lib.add(x, y, alpha=2.5),
    "sub_div": lambda lib, x, y: (x - y) / (y.abs() + 1),
    "pow": lambda lib, x, y: x.abs().add(0.5) ** 1.7,
    "exp_log": lambda lib, x, y: (x.exp() + 1).log(),
    "tanh_sigmoid": lambda lib, x, y: x.tanh() * y.sigmoid(),
    "relu": lambda lib, x, y: lib.nn.functional.relu(x - 0.3),
    "gelu": lambda lib, x, y: lib.nn.functional.gelu(x),
    "softmax": lambda lib, x, y: x.softmax(-1),
    "log_softmax": lambda lib, x, y: lib.log_softmax(x * y, dim=0),
    "sum_dim": lambda lib, x, y: (x * y).sum(0),
    "mean": lambda lib, x, y: x.mean(),
    "var": lambda lib, x, y: x.var(-1),
    "norm": lambda lib, x, y: x.norm(),
    "amax": lambda lib, x, y: x.amax(-1),
    "matmul": lambda lib, x, y: x @ y.mT,
    "linear": lambda lib, x, y: lib.nn.functional.linear(x, y, y[0]),
    "cat_stack": lambda lib, x, y: lib.stack([lib.cat([x, y]), lib.cat([y, x])]),
    "view_ops": lambda lib, x, y: x.t().reshape(-1)[1:].unsqueeze(0) * 2,
    "index": lambda lib, x, y: x[:, 1] + y[0],
    "where": lambda lib, x, y: lib.where(x > y, x * y, x - y),
    "clamp": lambda lib, x, y: x.clamp(-0.5, 0.5),
    "cumsum": lambda lib, x, y: x.cumsum(-1) * y,
    "expand": lambda lib, x, y: x[:1].expand(3, -1) + y,
    "layer_norm": lambda lib, x, y: lib.nn.functional.layer_norm(x, (x.shape[-1],)),
    "mse": lambda lib, x, y: lib.nn.functional.mse_loss(x, y),
    "max_dim": lambda lib, x, y: x.max(-1).values,
    "einsum": lambda lib, x, y: lib.einsum("ij,kj->ik", x, y),
}


@pytest.mark.parametrize("name", list(EXPRESSIONS))
@settings(max_examples=8)
@given(data=st.data())
def test_tangents_match(name, data):
    shape = (3, 3)
    x = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-2, 2)))
    y = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-2, 2)))
    tx = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-1, 1)))
    ty = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-1, 1)))
    fn = EXPRESSIONS[name]

    def run(lib):
        fw = _fw(lib)
        with fw.dual_level():
            dx = fw.make_dual(lib.tensor(x), lib.tensor(tx))
            dy = fw.make_dual(lib.tensor(y), lib.tensor(ty))
            p, t = fw.unpack_dual(fn(lib, dx, dy))
            return p.numpy().copy(), None if t is None else t.numpy().copy()
    (p1, t1), (p2, t2) = run(tensor), run(torch)
    np.testing.assert_allclose(p1, p2, rtol=1e-10, atol=1e-12)
    assert (t1 is None) == (t2 is None)
    if t1 is not None:
        np.testing.assert_allclose(t1, t2, rtol=1e-8, atol=1e-10)


def _script(lib):
    fw = _fw(lib)
    x = lib.tensor([1.0, 2.0])
    t = lib.tensor([1.0, 0.0])
    out = []
    with fw.dual_level() as level:
        out.append(level)
        d = fw.make_dual(x, t)
        out += [d._base is x, d._is_view(), d.grad_fn, repr(d)]
        p, tg = fw.unpack_dual(d * 2)
        out += [p._is_view(), tg.tolist(), fw.unpack_dual(x).tangent]
        d2 = d.clone()
        v = d2[1:]
        d2.mul_(3)
        out += [fw.unpack_dual(d2).tangent.tolist(), fw.unpack_dual(v).tangent.tolist(),
                t.tolist(), d2._version]
        z = lib.ones(2)
        z.add_(d)
        out += [fw.unpack_dual(z).tangent.tolist(), z._version]
        i = d.argmax()
        out += [fw.unpack_dual(i).tangent, i.item()]
        with lib.no_grad():
            out.append(fw.unpack_dual(d * 3).tangent.tolist())
        w = lib.ones(2, requires_grad=True)
        dw = fw.make_dual(w, t)
        (dw * dw).sum().backward()
        out += [w.grad.tolist(), dw.grad_fn.name()]
        keep = d * 5
    out += [fw.unpack_dual(keep).tangent, repr(keep)]
    return out


def test_dual_tensor_semantics_match():
    assert _script(tensor) == _script(torch)


@pytest.mark.parametrize("case", ["outside", "size", "nested", "int", "exit_twice", "exit_other",
                                  "bad_level"])
def test_errors_match(case):
    def run(lib):
        fw = _fw(lib)
        x = lib.tensor([1.0, 2.0])
        try:
            if case == "outside":
                fw.make_dual(x, x)
            elif case == "size":
                with fw.dual_level():
                    fw.make_dual(x, lib.ones(3))
            elif case == "nested":
                with fw.dual_level():
                    with fw.dual_level():
                        pass
            elif case == "int":
                with fw.dual_level():
                    fw.make_dual(lib.tensor([1, 2]), lib.tensor([1, 2]))
            elif case == "exit_twice":
                fw.enter_dual_level()
                fw.exit_dual_level()
                fw.exit_dual_level()
            elif case == "exit_other":
                fw.enter_dual_level()
                try:
                    fw.exit_dual_level(level=5)
                finally:
                    fw.exit_dual_level()
            elif case == "bad_level":
                with fw.dual_level():
                    assert fw.unpack_dual(x, level=3).tangent is None
                    fw.make_dual(x, x, level=3)
        except Exception as e:      # noqa: BLE001 - the type is what is compared
            return type(e).__name__, str(e).split("\n")[0]
        return None
    ours, theirs = run(tensor), run(torch)
    assert (ours is None) == (theirs is None)
    if ours is not None:        # torch's message, to which ours may add a hint
        assert ours[0] == theirs[0] and ours[1].startswith(theirs[1])


def test_dropout_tangent_uses_the_same_mask():
    """A random op draws once: its tangent follows the mask of its value."""
    fw = tensor.autograd.forward_ad
    tensor.manual_seed(0)
    with fw.dual_level():
        d = fw.make_dual(tensor.ones(200, dtype=tensor.float64),
                         tensor.ones(200, dtype=tensor.float64))
        p, t = fw.unpack_dual(tensor.nn.functional.dropout(d, 0.5))
        np.testing.assert_array_equal(p.numpy(), t.numpy())


@pytest.mark.parametrize("kw", [dict(vectorize=True, strategy="forward-mode"),
                                dict(vectorize=True), dict()])
def test_functional_jacobian_strategies(kw):
    """autograd.functional.jacobian by forward passes (forward AD) and by backward passes;
    ``vectorize`` changes only how PyTorch batches them."""
    def run(lib):
        x = lib.tensor([[1.0, 2.0], [0.5, -1.0]], dtype=lib.float64)
        y = lib.tensor([0.3, 0.7], dtype=lib.float64)
        jac = lib.autograd.functional.jacobian(
            lambda a, b: ((a @ b).sin(), a.sum() * b), (x, y), **kw)
        return [[t.numpy() for t in row] for row in jac]
    for r1, r2 in zip(run(tensor), run(torch)):
        for a, b in zip(r1, r2):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


HESSIAN_FUNCTIONS = {
    "matmul_prod": lambda lib, a, b: (a @ b).sin().sum() * b.prod(),
    "norm": lambda lib, a, b: (a @ b).norm() + b.norm(),
    "softmax": lambda lib, a, b: ((a @ b).softmax(0) * b).sum(),
    "cumprod": lambda lib, a, b: (a.cumprod(1) @ b).exp().sum(),
}


@pytest.mark.parametrize("name", list(HESSIAN_FUNCTIONS))
def test_forward_over_reverse_hessian(name):
    """Backward formulas run on dual tensors, saved outputs included. Values only: PyTorch's
    result here keeps the inner gradient's graph (requires_grad, a ReshapeAliasBackward0
    node) although create_graph is False; ours is detached."""
    f = HESSIAN_FUNCTIONS[name]

    def run(lib):
        x = lib.tensor([[1.0, 2.0], [0.5, -1.0]], dtype=lib.float64)
        y = lib.tensor([0.3, 0.7], dtype=lib.float64)
        h = lib.autograd.functional.hessian(lambda a, b: f(lib, a, b), (x, y),
                                            vectorize=True,
                                            outer_jacobian_strategy="forward-mode")
        return [[t.detach().numpy() for t in row] for row in h]
    for r1, r2 in zip(run(tensor), run(torch)):
        for a, b in zip(r1, r2):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def _custom_function_script(lib):
    """A custom Function under forward AD: forward sees plain values, ``jvp`` gets the
    tangents (zeros for a plain tensor input, None for a number) and ``ctx.saved_tensors``
    are what ``save_for_forward`` kept; without ``jvp`` PyTorch refuses."""
    fw = lib.autograd.forward_ad
    seen = []

    class F(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y, k):
            ctx.save_for_forward(x, y)
            ctx.k = k
            z = x * y
            seen.append((fw.unpack_dual(x).tangent, fw.unpack_dual(z).tangent, repr(x)))
            return z, x + 1

        @staticmethod
        def backward(ctx, g, h):
            return g * 2, g, None

        @staticmethod
        def jvp(ctx, tx, ty, tk):
            x, y = ctx.saved_tensors
            seen.append((tx.tolist(), ty.tolist(), tk, repr(x)))
            return tx * y * ctx.k, tx

    class NoJvp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g

    out = []
    with fw.dual_level():
        w = lib.ones(2, requires_grad=True)
        d = fw.make_dual(w, lib.tensor([1.0, 2.0]))
        a, b = F.apply(d, lib.tensor([2.0, 2.0]), 3)
        out += [fw.unpack_dual(a).tangent.tolist(), fw.unpack_dual(b).tangent.tolist(),
                a.grad_fn.name(), repr(a)]
        a.sum().backward()
        out.append(w.grad.tolist())
        try:
            NoJvp.apply(d)
        except NotImplementedError as e:
            out.append(str(e))
        out.append(fw.unpack_dual(NoJvp.apply(lib.ones(2))).tangent)
    return out, seen


def test_custom_function_jvp_matches():
    assert _custom_function_script(tensor) == _custom_function_script(torch)


def _inplace_shape_script(lib):
    fw = lib.autograd.forward_ad
    with fw.dual_level():
        t = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        d = fw.make_dual(lib.zeros(2, 3), t)
        e = d.clone()
        e.t_()
        e.unsqueeze_(0)
        out = [tuple(fw.unpack_dual(e).tangent.shape), tuple(t.shape)]
        d.t_()                              # the caller's tangent is transposed too
        out += [tuple(fw.unpack_dual(d).tangent.shape), tuple(t.shape)]
        f = d * 1
        f.squeeze_()
        f.transpose_(0, 1)
        out.append(fw.unpack_dual(f).tangent.tolist())
        g = fw.make_dual(lib.tensor([0.5, -1.0, 2.0]), lib.ones(3))
        out.append(fw.unpack_dual(g.logcumsumexp(0)).tangent.tolist())
    return out


def test_in_place_shape_changes_and_log_formulas():
    ours, theirs = _inplace_shape_script(tensor), _inplace_shape_script(torch)
    assert ours[:-1] == theirs[:-1]
    np.testing.assert_allclose(ours[-1], theirs[-1], rtol=1e-6)


@pytest.mark.parametrize("order", ["C", "F"])
def test_make_dual_gives_the_tangent_the_primals_layout(order):
    """A tangent laid out unlike its primal is copied into the primal's layout (PyTorch's
    make_dual); the batched matmul's jvp then reads it in logical order."""
    results = []
    for M in (torch, tensor):
        fw = M.autograd.forward_ad
        p = M.from_numpy(np.asfortranarray(np.arange(4.0).reshape(2, 1, 2)))
        t = M.from_numpy(np.asarray(np.arange(4.0).reshape(2, 1, 2) * 10 + 1, order=order))
        a = M.from_numpy(np.asfortranarray(np.ones((2, 1, 1))))
        with fw.dual_level():
            d = fw.make_dual(p, t)
            tangent = fw.unpack_dual(d).tangent
            jvp = fw.unpack_dual(M.matmul(a, d)).tangent
            results.append((tangent.stride(), tangent.numpy().copy(), jvp.numpy().copy()))
    (ts, tv, tj), (os_, ov, oj) = results
    assert ts == os_
    np.testing.assert_array_equal(ov, tv)
    np.testing.assert_array_equal(oj, tj)


def test_a_layout_changing_op_keeps_tangent_and_primal_alike():
    """contiguous() of a transposed dual tensor: the output's tangent has the output's layout,
    so a view of both (diagflat's view(-1)) works, as in PyTorch."""
    results = []
    for M in (torch, tensor):
        fw = M.autograd.forward_ad
        x = M.zeros(2, 3, dtype=M.float64).t()
        with fw.dual_level():
            d = fw.make_dual(x, M.arange(6.0, dtype=M.float64).reshape(3, 2))
            c = d.contiguous()
            results.append((fw.unpack_dual(c).tangent.stride(),
                            fw.unpack_dual(M.diagflat(d)).tangent.numpy().copy()))
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])
