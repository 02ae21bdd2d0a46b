"""Backward without ``create_graph`` may run formulas on numpy arrays (Note [Backward on numpy
arrays], _defop.py) and take a gradient into ``.grad`` without a copy (Note [Stealing
gradients into .grad], engine.py). Both must be invisible: same bits, same dtypes, same
errors, no shared memory. Each test runs a program twice, with and without the numpy path."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tensor
from tensor import _defop
from tensor.autograd import engine

SPECIAL = [0.0, -0.0, 1.5, -2.25, np.inf, -np.inf, np.nan, 1e-30, 3.0, -1.0]
DTYPES = [tensor.float16, tensor.float32, tensor.float64]


def _data(shape, seed, special=True):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    if special and a.size:
        flat = a.reshape(-1)
        for i, v in enumerate(SPECIAL[: flat.size // 2]):
            flat[(i * 7) % flat.size] = v
    return a


def _run(program, numpy_path, monkeypatch):
    """Run ``program() -> leaves`` (it calls backward); return each leaf's .grad array and
    the warnings the backward gave (numpy's RuntimeWarnings are part of the behavior)."""
    with monkeypatch.context() as m:
        m.setattr(_defop, "_numpy_env_ok", _defop._numpy_env_ok if numpy_path else
                  (lambda: False))
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            leaves = program()
    grads = [None if t.grad is None else t.grad.numpy().copy() for t in leaves]
    return grads, sorted((w.category.__name__, str(w.message)) for w in seen)


def _same(program, monkeypatch):
    """The numpy path and the dispatching path give bit-identical gradients, and the same
    warnings."""
    fast, fast_warnings = _run(program, True, monkeypatch)
    slow, slow_warnings = _run(program, False, monkeypatch)
    assert fast_warnings == slow_warnings
    assert len(fast) == len(slow)
    for a, b in zip(fast, slow):
        if a is None or b is None:
            assert a is None and b is None
            continue
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes(), (a, b)


def _leaf(shape, seed, dtype=tensor.float32, special=True):
    return tensor.tensor(_data(shape, seed, special), dtype=dtype, requires_grad=True)


def _grad_for(y, seed):
    g = _data(tuple(y.shape), seed + 100)
    return tensor.tensor(g, dtype=y.dtype)


UNARY = {
    "neg": lambda x: -x, "relu": lambda x: x.relu(), "exp": lambda x: x.exp(),
    "tanh": lambda x: x.tanh(), "sigmoid": lambda x: x.sigmoid(), "log": lambda x: x.log(),
    "sqrt": lambda x: x.sqrt(), "sin": lambda x: x.sin(), "cos": lambda x: x.cos(),
    "clone": lambda x: x.clone(), "mean": lambda x: x.mean(), "square": lambda x: x ** 2,
    "pow_half": lambda x: x ** 0.5, "pow0": lambda x: x ** 0, "pow_neg": lambda x: x ** -1,
    "pow3": lambda x: x.pow(3.0), "pow_bool": lambda x: x.pow(True),
    "relu_": lambda x: (x * 1).relu_(), "exp_": lambda x: (x * 1).exp_(),
    "relu_big": lambda x: x.reshape(-1).repeat(1100).relu(),    # the bit-masking path
    "sum": lambda x: x.sum() * 1, "sum_dim": lambda x: x.sum(-1) * 1 if x.dim() else x.sum(),
    "sum_keep": lambda x: x.sum(0, keepdim=True) * 1 if x.dim() else x.sum(),
    "sum_dims": lambda x: x.sum((0, -1)) * 1 if x.dim() > 1 else x.sum(),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", [(), (5,), (3, 4)])
def test_unary_formulas_match(name, dtype, shape, monkeypatch):
    """Unary ops: the numpy twins give the dispatched formulas' bits, specials included."""
    def program():
        x = _leaf(shape, 1, dtype)
        y = UNARY[name](x)
        y.backward(_grad_for(y, 1))
        return [x]
    _same(program, monkeypatch)


BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "add_alpha": lambda a, b: tensor.add(a, b, alpha=2.5),
    "sub_alpha": lambda a, b: tensor.sub(a, b, alpha=3),
    "mul_": lambda a, b: (a * 1).mul_(b), "div_": lambda a, b: (a * 1).div_(b),
    "add_": lambda a, b: (a * 1).add_(b), "sub_": lambda a, b: (a * 1).sub_(b, alpha=0.5),
    "mse": lambda a, b: tensor.nn.functional.mse_loss(a, b),
    "mse_sum": lambda a, b: tensor.nn.functional.mse_loss(a, b, reduction="sum"),
}


def _binary_cases():
    """Every op with every shape pair it accepts: an in-place op cannot broadcast its self,
    and mse_loss is checked on equal shapes."""
    shape_pairs = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1), (1, 3)), ((), (3,))]
    for name in sorted(BINARY):
        for shapes in shape_pairs:
            if name.endswith("_") and shapes[0] != tuple(np.broadcast_shapes(*shapes)):
                continue
            if name.startswith("mse") and shapes[0] != shapes[1]:
                continue
            yield name, shapes


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,shapes", list(_binary_cases()))
def test_binary_formulas_match(name, dtype, shapes, monkeypatch):
    """Binary ops, broadcast or not: both inputs' gradients match bit for bit."""

    def program():
        a = _leaf(shapes[0], 2, dtype)
        b = _leaf(shapes[1], 3, dtype)
        y = BINARY[name](a, b)
        y.backward(_grad_for(y, 2))
        return [a, b]
    _same(program, monkeypatch)


SCALAR = {
    "mul_f": lambda x: x * 0.999, "rmul_i": lambda x: 3 * x, "add_f": lambda x: x + 0.001,
    "rsub": lambda x: 2 - x, "div_f": lambda x: x / 3.0, "rdiv_i": lambda x: 2 / x,
    "mul_bool": lambda x: x * True, "mul_np": lambda x: x * np.float64(0.5),
    "mul_0d64": lambda x: x * tensor.tensor(0.3, dtype=tensor.float64),
    "mul_mixed": lambda x: x * tensor.ones(x.shape, dtype=tensor.float64),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(SCALAR))
def test_numbers_and_mixed_dtypes_match(name, dtype, monkeypatch):
    """Python numbers, numpy scalars, bools and other dtypes (where the twins step aside)."""
    def program():
        x = _leaf((3, 4), 4, dtype)
        y = SCALAR[name](x)
        y.backward(_grad_for(y, 4))
        return [x]
    _same(program, monkeypatch)


MATRIX = {
    "mm": ((3, 4), (4, 5), lambda a, b, c: a @ b),
    "mm_t": ((4, 3), (4, 5), lambda a, b, c: a.t() @ b),
    "bmm": ((2, 3, 4), (2, 4, 5), lambda a, b, c: a.bmm(b)),
    "addmm": ((3, 4), (4, 5), lambda a, b, c: tensor.addmm(c, a, b)),
    "addmm_ab": ((3, 4), (4, 5), lambda a, b, c: tensor.addmm(c, a, b, beta=0.5, alpha=2.0)),
    "linear": ((3, 4), (4, 5), lambda a, b, c: (a @ b + c).relu()),
}


@pytest.mark.parametrize("dtype", [tensor.float32, tensor.float64])
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_matrix_products_match(name, dtype, monkeypatch):
    """mm / bmm / addmm through the numpy twins: the same matmuls on the same layouts."""
    sa, sb, f = MATRIX[name]

    def program():
        a = _leaf(sa, 5, dtype, special=False)
        b = _leaf(sb, 6, dtype, special=False)
        c = _leaf((5,), 7, dtype, special=False)
        y = f(a, b, c)
        y.backward(_grad_for(y, 5))
        return [a, b, c]
    _same(program, monkeypatch)


def test_mlp_step_matches(monkeypatch):
    """A small MLP's whole backward (fan-out sums included) matches the dispatching path."""
    def program():
        rng = np.random.default_rng(0)
        x = tensor.from_numpy(rng.standard_normal((8, 6)).astype(np.float32))
        w1 = tensor.from_numpy(rng.standard_normal((6, 5)).astype(np.float32)).requires_grad_()
        b1 = tensor.zeros(5, requires_grad=True)
        w2 = tensor.from_numpy(rng.standard_normal((5, 3)).astype(np.float32)).requires_grad_()
        h = (x @ w1 + b1).relu()
        out = h @ w2 + h[:, :3].sigmoid()
        d = out - 1.0
        (d * d).mean().backward()
        return [w1, b1, w2]
    _same(program, monkeypatch)


def test_modified_saved_tensor_still_refused():
    """The numpy path still checks saved tensors' versions, with the same message."""
    x = tensor.ones(3, requires_grad=True)
    y = x * 1
    z = y * y
    with tensor.no_grad():
        y.add_(1)
    with pytest.raises(RuntimeError, match="one of the variables needed for gradient "
                                           "computation has been modified by an inplace"):
        z.sum().backward()


def test_trace_sees_the_formula_ops():
    """Inside dispatch_trace the formulas dispatch, so the trace shows the backward's ops."""
    x = tensor.ones(3, requires_grad=True)
    y = (x * 2.0).sum()
    with tensor.dispatch_trace(echo=False) as t:
        y.backward()
    names = " ".join(str(e) for e in t.events)
    assert "mul" in names


def test_overridden_kernel_is_used_by_backward():
    """A kernel registered over a built-in op (here mul's CPU kernel) is what backward runs."""
    from dispatch.library import Library
    calls = []
    lib = Library("aten", "IMPL")
    try:
        def mul_cpu(a, b):
            calls.append(1)
            return tensor.from_numpy(np.multiply(a.numpy(), b if not isinstance(
                b, tensor.Tensor) else b.numpy()))
        x = tensor.ones(3, requires_grad=True)
        y = (x * 2.0).sum()
        lib.impl("mul.Tensor", mul_cpu, "CPU")
        y.backward()
        assert calls
    finally:
        lib.remove()
    x = tensor.ones(3, requires_grad=True)
    (x * 2.0).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


# -- .grad without a copy -----------------------------------------------------------------
def test_grad_is_not_shared_with_a_hook_that_kept_it():
    """A tensor hook that keeps the gradient gets its own copy: .grad shares nothing."""
    x = tensor.ones(3, requires_grad=True)
    kept = []
    x.register_hook(lambda g: kept.append(g))
    (x * 3.0).sum().backward()
    assert not np.shares_memory(kept[0].numpy(), x.grad.numpy())
    (x * 3.0).sum().backward()
    assert kept[0].tolist() == [3.0, 3.0, 3.0] and x.grad.tolist() == [6.0, 6.0, 6.0]


def test_two_leaves_given_one_gradient_do_not_share_it():
    """add's backward hands the same tensor to both inputs: each .grad owns its memory."""
    a = tensor.ones(3, requires_grad=True)
    b = tensor.ones(3, requires_grad=True)
    (a * 2.0 + b * 1.0).sum().backward()
    c = tensor.ones(3, requires_grad=True)
    d = tensor.ones(3, requires_grad=True)
    (c + d).backward(tensor.ones(3))
    for p, q in ((a, b), (c, d)):
        assert not np.shares_memory(p.grad.numpy(), q.grad.numpy())


def test_caller_gradient_is_copied():
    """A gradient the caller passed never becomes .grad itself."""
    x = tensor.ones(3, requires_grad=True)
    g = tensor.ones(3)
    (x + 0.0).backward(g)
    assert x.grad is not g and not np.shares_memory(x.grad.numpy(), g.numpy())


def test_custom_function_returning_a_kept_tensor_is_copied():
    """A custom Function whose backward returns a tensor the user holds: .grad is a copy."""
    held = tensor.full((3,), 5.0)

    class F(tensor.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return held

    x = tensor.ones(3, requires_grad=True)
    F.apply(x).sum().backward()
    assert not np.shares_memory(x.grad.numpy(), held.numpy())
    x.grad.add_(1)
    assert held.tolist() == [5.0, 5.0, 5.0]


def test_fresh_gradient_is_taken_without_copy(monkeypatch):
    """The common case: a gradient nobody else holds becomes .grad without a copy."""
    taken = []
    real = engine._stealable
    monkeypatch.setattr(engine, "_stealable", lambda h: taken.append(real(h)) or taken[-1])
    w = tensor.ones(3, 2, requires_grad=True)
    (tensor.ones(4, 3) @ w).sum().backward()
    assert taken == [True]
    assert w.grad.tolist() == [[4.0, 4.0]] * 3


def test_every_twin_mirrors_its_current_formula():
    """Each numpy twin names the formula it was written for; a formula edited since is caught
    here (and on the op's first backward), not silently computed the old way."""
    for name in _defop.NUMPY_FORMULAS:
        spec = _defop.OPS[name]._ns["_spec"]
        assert _defop._resolve_numpy_formulas(spec) is not None, name


def test_first_grad_under_create_graph_is_a_recorded_copy():
    """PyTorch 2.13: with create_graph, a leaf's first .grad is an empty tensor ``copy_``-ed
    from the gradient (grad_fn CopyBackwards, version 1), not the gradient itself; a second
    backward adds out of place (AddBackward0)."""
    x = tensor.ones(3, requires_grad=True)
    kept = []
    x.register_hook(lambda g: kept.append(g))
    (x * x).sum().backward(create_graph=True)
    assert type(x.grad.grad_fn).__name__ == "CopyBackwards" and x.grad._version == 1
    assert x.grad is not kept[0] and not np.shares_memory(x.grad._data, kept[0]._data)
    (x * x).sum().backward(create_graph=True)
    assert type(x.grad.grad_fn).__name__ == "AddBackward0" and x.grad.tolist() == [4.0] * 3
    x.grad.sum().backward()
    assert x.grad.tolist() == [8.0] * 3


def test_gradient_kept_by_a_non_leaf_hook_is_not_taken():
    """``x + 0`` passes its gradient on as is; a hook on the sum that kept it keeps its own
    tensor, not x's .grad."""
    x = tensor.ones(3, requires_grad=True)
    y = x + 0
    kept = []
    y.register_hook(lambda g: kept.append(g))
    y.retain_grad()
    (y * 2.0).sum().backward()
    assert not np.shares_memory(kept[0].numpy(), x.grad.numpy())
    assert not np.shares_memory(y.grad.numpy(), x.grad.numpy())
    x.grad.add_(1)
    assert kept[0].tolist() == [2.0] * 3 and y.grad.tolist() == [2.0] * 3
