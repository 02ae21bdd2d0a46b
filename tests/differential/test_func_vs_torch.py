"""``torch.func`` transforms, ``torch.vmap``, ``torch.compile``, ``torch.cond`` and
``torch.while_loop`` side by side with PyTorch (skipped without torch): every expression is
evaluated with both libraries and the results must agree in structure (tuple/list/dict
nesting), shapes, dtypes, values, whether they require grad, and, for errors, in type and
first line of the message."""

from __future__ import annotations

import functools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

_A = np.array([[0.5, -1.2, 2.0], [1.5, 0.3, -0.7]])
_B = np.array([0.8, -0.4, 1.1])


def _env(M):
    F = M.func
    x = M.tensor(_A, dtype=M.float64)
    v = M.tensor(_B, dtype=M.float64)
    xg = M.tensor(_A, dtype=M.float64, requires_grad=True)
    return {"torch": M, "functools": functools, "F": F, "grad": F.grad,
            "gv": F.grad_and_value, "vjp": F.vjp,
            "jvp": F.jvp, "jacrev": F.jacrev, "jacfwd": F.jacfwd, "hessian": F.hessian,
            "linearize": F.linearize, "vmap": M.vmap, "x": x, "v": v, "xg": xg,
            "f32": M.tensor(_B, dtype=M.float32)}


def _norm(obj):
    """A comparable picture of a result."""
    if isinstance(obj, (torch.Tensor, tk.Tensor)):
        vals = np.round(obj.detach().numpy().astype(np.float64), 9) + 0.0   # -0.0 -> 0.0
        return ("T", tuple(obj.shape), str(obj.dtype), obj.requires_grad, vals.tolist())
    if isinstance(obj, dict):
        return {k: _norm(v) for k, v in obj.items()}
    if isinstance(obj, (tuple, list)):
        return (type(obj).__name__, [_norm(v) for v in obj])
    return repr(obj)


def _run(M, expr):
    try:
        return _norm(eval(expr, _env(M)))
    except Exception as e:   # noqa: BLE001 - the error is what we compare
        first = str(e).splitlines()[0] if str(e) else ""
        return f"{type(e).__name__}: {first.split(' Hint: ')[0]}"   # our hints may follow


GRAD = [
    "grad(lambda a: (a ** 3).sum())(x)",
    "grad(lambda a: (a ** 3).sum())(xg)",
    "grad(lambda a: (a * v).sum())(x[0])",
    "grad(lambda a: (a * xg[0]).sum())(v)",
    "grad(lambda a, b: (a.sin() * b).sum(), argnums=1)(x, v)",
    "grad(lambda a, b: (a.sin() * b).sum(), argnums=(0, 1))(x, v)",
    "grad(lambda a, b: (a.sin() * b).sum(), argnums=-1)(x, v)",
    "grad(lambda a, b: (a.sin() * b).sum(), argnums=(1, 0))(x, v)",
    "grad(lambda d: (d['p'] * d['q'][0]).sum())({'p': x[0], 'q': [v]})",
    "grad(lambda a: ((a * 2).sum(), {'k': a.exp(), 'm': (a,)}), has_aux=True)(v)",
    "gv(lambda a: a.pow(2).sum())(v)",
    "gv(lambda a: (a.pow(2).sum(), a.cos()), has_aux=True)(v)",
    "grad(lambda a: a.sum() * 0 + 1.0 * v.sum())(x)",
    "grad(lambda a, k: (a * k).sum())(v, 3.0)",
    "grad(lambda a, scale=1.0: (a * scale).sum())(v, scale=2.0)",
    "grad(lambda a: (a * 2).sum())(f32)",
    "(lambda g: (g, xg.grad))(grad(lambda a: (a * xg).sum())(x))",
    "grad(lambda a: a.norm())(xg)",
    "grad(lambda a: (a ** 3).sum())(xg).grad_fn.name()",
    "gv(lambda a: a.sin().sum())(xg)[1].grad_fn.name()",
    "vjp(lambda a: a.exp(), xg)[0].grad_fn.name()",
    "grad(lambda a: a.clone().mul_(2).sum())(x)",
    "(lambda c: (vmap(lambda a: a.add_(1))(c), c))(x.clone())",
    "grad(lambda a: (a * 2).sum())(x.float())",
    "vjp(lambda a: a * 2, x)[1](x.float())",
    "jvp(lambda a: a * 2, (x,), (x.float(),))",
]

ERRORS = [
    "grad(lambda a: a * 2)(x)",
    "grad(lambda a: 3)(x)",
    "grad(lambda a: (a.sum(), a.sum()))(v)",
    "grad(lambda a: a.sum())(3.0)",
    "grad(lambda a: a.sum(), argnums=2)(v)",
    "grad(lambda a: a.sum(), argnums=())(v)",
    "grad(lambda a: a.sum(), argnums=1.0)(v)",
    "grad(lambda a, b: a.sum(), argnums=(0, 0))(v, v)",
    "grad(lambda a, b: a.sum(), argnums=(0, 1.5))(v, v)",
    "grad(lambda a: a.sum(), has_aux=True)(v)",
    "grad(lambda a: (a.sum(), 1, 2), has_aux=True)(v)",
    "grad(lambda a: (a.sum(), 1), has_aux=True)(v)",
    "grad(lambda a: (a * 2).sum())(torch.tensor([1, 2]))",
    "vjp(lambda a: 3, v)",
    "vjp(lambda a: a, 3.0)",
    "vjp(lambda a: (a, a), v)[1](v)",
    "vjp(lambda a: (a, a), v)[1]((v,))",
    "vjp(lambda a: a, v)[1](x)",
    "vjp(lambda a: a.sum(), v, has_aux=True)",
    "jvp(lambda a: a, v, v)",
    "jvp(lambda a: a, (v,), (x,))",
    "jvp(lambda a: a, (v,), (v, v))",
    "jvp(lambda a: 3, (v,), (v,))",
    "jvp(lambda a: (), (v,), (v,))",
    "jvp(lambda a: (a, {'k': 3}), (v,), (v,))",
    "jvp(lambda a: a, (v,), (v.int(),))",
    "jvp(lambda a: a, (v,), (3.0,))",
    "jvp(lambda a: a, (), ())",
    "jvp(lambda a: a, (v,), (v,), has_aux=True)",
    "jacrev(lambda a: 3)(v)",
    "jacrev(lambda a: a, argnums=1)(v)",
    "jacrev(lambda a: a, chunk_size=0)(v)",
    "jacfwd(lambda a: a, randomness='x')(v)",
    "jacfwd(lambda a: a + torch.rand(3, dtype=torch.float64))(v)",
    "jacfwd(lambda a: a * torch.rand(3, dtype=torch.float64).sum() * 0, randomness='same')(v)",
    "jacrev(lambda a, k=1: a * k)(v, k=2)",
    "grad(lambda a: a.mul_(2).sum())(x)",
    "jacrev(lambda a: a.sum(), has_aux=True)(v)",
]

VJP_JVP = [
    "vjp(lambda a: (a * 2, a.sum()), v)[0]",
    "vjp(lambda: torch.ones(2))[0]",
    "vjp(lambda a: (a * 2, a.sum()), v)[1]((v, torch.tensor(2.0, dtype=torch.float64)))",
    "vjp(lambda a, b: a * b, v, x[1])[1](v)",
    "vjp(lambda d: {'o': d['p'].exp()}, {'p': v})[1]({'o': v})",
    "(lambda r: (r[0], r[1](v), r[2]))(vjp(lambda a: (a.sin(), a.cos()), v, has_aux=True))",
    "(lambda r: (r[1](v), r[1](v * 2)))(vjp(lambda a: a.sin(), v))",
    "vjp(lambda a: a.sin(), xg)[1](x)",
    "vjp(lambda a: a * 0 + 1, v)[1](v)",
    "jvp(lambda a: (a * a, a.sum()), (v,), (v,))",
    "jvp(lambda a, b: a * b.exp(), (v, x[0]), (v, v))",
    "jvp(lambda a: a.sin(), (xg,), (x,))",
    "jvp(lambda a: (a.tanh(), {'s': a}), (v,), (v,), has_aux=True)",
    "jvp(lambda a: torch.ones(2, dtype=torch.float64), (v,), (v,))",
    "jvp(lambda d: d['k'] ** 2, ({'k': v},), ({'k': v},))",
    "(lambda r: (r[0], r[1](v), r[1](v * 3)))(linearize(lambda a: a.sin() * a, v))",
]

JAC = [
    "jacrev(lambda a: a.sin())(v)",
    "jacfwd(lambda a: a.sin())(v)",
    "jacrev(lambda a: a @ a.t())(x)",
    "jacfwd(lambda a: a @ a.t())(x)",
    "jacrev(lambda a: a.sum())(x)",
    "jacrev(lambda a, b: {'p': a.sum() * b, 'q': (a * 2,)}, argnums=(0, 1))(v, x[0])",
    "jacfwd(lambda a, b: {'p': a.sum() * b, 'q': (a * 2,)}, argnums=(0, 1))(v, x[0])",
    "jacrev(lambda d: d['a'] * 2)({'a': v})",
    "jacrev(lambda a: (a * 2, {'z': a.sum()}), has_aux=True)(v)",
    "jacfwd(lambda a: (a * 2, {'z': a.sum()}), has_aux=True)(v)",
    "jacrev(lambda a, b: a * b, argnums=1)(v, x[1])",
    "jacrev(lambda a: a[:0] * 2)(v)",
    "jacrev(lambda a: a.exp())(xg)",
    "hessian(lambda a: (a ** 3).sum())(v)",
    "hessian(lambda a: (a.sin() * a).sum())(x)",
    "hessian(lambda a, b: (a * b).sum() * a.sum(), argnums=(0, 1))(v, x[0])",
    "jacrev(jacrev(lambda a: a.sin().sum()))(v)",
    "jacfwd(jacrev(lambda a: (a ** 3)))(v)",
]

COMPOSE = [
    "grad(grad(lambda a: a.sin()))(torch.tensor(0.7, dtype=torch.float64))",
    "grad(lambda a: grad(lambda z: z.sin().sum())(a).sum())(v)",
    "grad(grad(grad(lambda a: a ** 4)))(torch.tensor(1.3, dtype=torch.float64))",
    "vmap(grad(lambda a: (a ** 2).sum()))(x)",
    "grad(lambda a: vmap(lambda r: (r ** 2).sum())(a).sum())(x)",
    "vmap(jacrev(lambda a: a.sin() * a.sum()))(x)",
    "vmap(vmap(lambda a, b: a * b))(x, x)",
    "vmap(lambda r: vmap(lambda e: e * r.sum())(r))(x)",
    "vmap(lambda r: jvp(lambda a: a.exp(), (r,), (r,))[1])(x)",
    "vmap(lambda r: vjp(lambda a: a.exp(), r)[1](r)[0])(x)",
    "vmap(hessian(lambda a: (a ** 3).sum()))(x)",
    "grad(lambda a: vmap(lambda r: r * a)(x).sum())(v)",
    "vmap(grad(lambda a, b: (a * b).sum()), in_dims=(0, None))(x, v)",
    "vmap(lambda r: r * xg[0])(x)",
    "vmap(lambda r: r * 2)(xg)",
    "torch.autograd.grad(vmap(lambda r: r.exp().sum())(xg).sum(), xg)",
]

VMAP = [
    "vmap(lambda a: a * 2)(x)",
    "vmap(lambda a: a.sum())(x)",
    "vmap(lambda a: a.sum(), in_dims=1)(x)",
    "vmap(lambda a: a.sum(), in_dims=-1)(x)",
    "vmap(lambda a: a * 2, out_dims=1)(x)",
    "vmap(lambda a: a * 2, out_dims=-1)(x)",
    "vmap(lambda a, b: a * b, in_dims=(0, None))(x, v)",
    "vmap(lambda a, b: a * b, in_dims=(1, 0))(x, v)",
    "vmap(lambda a, k: a * k, in_dims=(0, None))(x, 5)",
    "vmap(lambda a, b: a + b, in_dims=(0, None))(v, x)",
    "vmap(lambda d: d['p'] * d['q'][0])({'p': x, 'q': [x]})",
    "vmap(lambda d: d['p'] * d['q'][0], in_dims=({'p': 0, 'q': [1]},))"
    "({'p': x[:, :2], 'q': [x[:, :2].t()]})",
    "vmap(lambda p: p[0] + p[1], in_dims=((0, None),))((x, v))",
    "vmap(lambda a: (a, a.sum()), out_dims=(1, 0))(x)",
    "vmap(lambda a: (a, torch.ones(2)), out_dims=(1, None))(x)",
    "vmap(lambda a: {'s': a.sum(), 'l': [a * 2]})(x)",
    "vmap(lambda a: {'s': a.sum(), 'l': [a * 2]}, out_dims={'s': 0, 'l': [1]})(x)",
    "vmap(lambda a: torch.ones(2))(x)",
    "vmap(lambda a, scale=1: a * scale)(x, scale=3)",
    "vmap(lambda a: a, out_dims=(0,))(x)",
    "vmap(lambda a: a.sum())(torch.zeros(0, 3))",
    "vmap(lambda a: a.dot(a))(x)",
    "vmap(lambda a: a.mv(a.new_ones(3)))(x.reshape(2, 1, 3))",
    "vmap(lambda a: a * 2, chunk_size=1)(x)",
    "(lambda r: (r.stride(), r.is_contiguous()))(vmap(lambda a: a * 2, out_dims=1)(x))",
    "vmap(lambda a: a.sum(), out_dims=-1)(torch.zeros(0, 3))",
    "vmap(lambda a: a.int())(x)",
    "vmap(lambda a: a.exp().sum())(xg)",
]

VMAP_ERRORS = [
    "vmap(lambda a, b: a + b)(v, x)",
    "vmap(lambda a: a, in_dims=1)(v)",
    "vmap(lambda a: a, in_dims=-2)(v)",
    "vmap(lambda a: torch.rand(2))(v)",
    "vmap(lambda a: a + torch.randn(()))(v)",
    "vmap(lambda a: a, in_dims=(0, 0))(v)",
    "vmap(lambda a: a, in_dims=None)(v)",
    "vmap(lambda a: a, in_dims=[0])(v)",
    "vmap(lambda a: a, in_dims=0.5)(v)",
    "vmap(lambda a: a, in_dims=(0.5,))(v)",
    "vmap(lambda a: 3)(v)",
    "vmap(lambda a: (a, 3))(v)",
    "vmap(lambda a: a)(3.0)",
    "vmap(lambda a: a)()",
    "vmap(lambda a, b: a, in_dims=(None, None))(v, v)",
    "vmap(lambda a: a, out_dims=2)(v)",
    "vmap(lambda a: a, out_dims=1.5)(v)",
    "vmap(lambda a: (a, a), out_dims=(0, 0, 0))(v)",
    "vmap(lambda a: a, out_dims=(0, 0))(v)",
    "vmap(lambda a: a, randomness='x')",
    "vmap(lambda a: a.sum(), out_dims=None)(x)",
    "vmap(lambda a: (a.sum(), 3.0, v), out_dims=(0, None, None))(x)",
    "vmap(lambda a: 3.0, out_dims=None)(x)",
    "vmap(functools.partial(lambda a, b: a, b=1), in_dims=(0.5,))(x)",
    "vmap(lambda a: a, chunk_size=0)",
]

COMPILE = [
    "repr(torch.compile(torch.nn.Linear(2, 2)))",
    "list(torch.compile(torch.nn.Linear(2, 2)).state_dict())",
    "[n for n, _ in torch.compile(torch.nn.Linear(2, 2)).named_parameters()]",
    "(lambda m: (m.in_features, m._orig_mod is m._orig_mod, m.weight.shape))"
    "(torch.compile(torch.nn.Linear(2, 3)))",
    "(lambda l: torch.compile(l)(x[:, :2].float()) .shape)(torch.nn.Linear(2, 4))",
    "(lambda l: (torch.compile(l).eval(), l.training)[1])(torch.nn.Linear(2, 4))",
    "(lambda l: isinstance(torch.compile(l), torch.nn.Module))(torch.nn.Linear(2, 4))",
    "(lambda l: isinstance(torch.compile(l), torch.nn.Linear))(torch.nn.Linear(2, 4))",
    "torch.compile(lambda a: a * 2)(v)",
    "torch.compile(fullgraph=True)(lambda a: a * 2)(v)",
    "torch.compile(mode='max-autotune', dynamic=True)(lambda a: a + 1)(v)",
    "torch.compile(backend='eager')(lambda a: a + 1)(v)",
    "(lambda f: torch.compile(f).__wrapped__ is f)(lambda a: a)",
    "(lambda f: torch.compile(f, disable=True) is f)(lambda a: a)",
    "torch.compile(lambda a: a, mode='x')",
    "torch.compile(lambda a: a, mode='default', options={})",
    "torch.compile(lambda a: a, backend='nope')",
    "torch.compile(3)",
]

CONTROL = [
    "torch.cond(torch.tensor(True), lambda a: a + 1, lambda a: a - 1, (v,))",
    "torch.cond(False, lambda a: a + 1, lambda a: a - 1, (v,))",
    "torch.cond(torch.tensor([False]), lambda a: a + 1, lambda a: a - 1, [v])",
    "torch.cond(v.sum() > 0, lambda a, b: a * b, lambda a, b: a - b, (v, x[0]))",
    "torch.cond(True, lambda: torch.ones(1), lambda: torch.zeros(1))",
    "torch.cond(True, lambda a: a * 2, lambda a: a, (xg,))",
    "torch.cond(torch.tensor([True, False]), lambda a: a, lambda a: a, (v,))",
    "torch.cond(1.5, lambda a: a, lambda a: a, (v,))",
    "torch.cond(True, 3, lambda a: a, (v,))",
    "torch.cond(torch.tensor(True), 3, lambda a: a, (v,))",
    "torch.cond(0, lambda a: a, lambda a: a * 3, (v,))",
    "torch.cond(True, lambda a: a + 1, lambda a: a, (3,))",
    "torch.cond(True, lambda a: a + 1, lambda a: a, v)",
    "torch.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a * 2), (torch.tensor(0), v))",
    "torch.while_loop(lambda i, a: i < 0, lambda i, a: (i + 1, a * 2), [torch.tensor(0), v])",
    "torch.while_loop(lambda a: a.sum() < 20, lambda a: (a * 2,), (v.abs(),))",
    "torch.while_loop(3, lambda i: (i,), (torch.tensor(0),))",
    "torch.while_loop(lambda i: i < 3, lambda i: (i + 1,), (2.0,))",
    "torch.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a), (1, 2.0))",
    "torch.vmap is torch.func.vmap",
]


@pytest.mark.parametrize("expr", GRAD + ERRORS + VJP_JVP)
def test_grad_vjp_jvp_match_torch(expr):
    assert _run(tk, expr) == _run(torch, expr)


@pytest.mark.parametrize("expr", JAC + COMPOSE)
def test_jacobians_and_compositions_match_torch(expr):
    assert _run(tk, expr) == _run(torch, expr)


@pytest.mark.parametrize("expr", VMAP + VMAP_ERRORS)
def test_vmap_matches_torch(expr):
    assert _run(tk, expr) == _run(torch, expr)


@pytest.mark.parametrize("expr", COMPILE + CONTROL)
def test_compile_and_control_flow_match_torch(expr):
    assert _run(tk, expr) == _run(torch, expr)


@pytest.mark.parametrize("mode", ["same", "different"])
def test_vmap_randomness_modes_match_torch(mode):
    def rows(M):
        M.manual_seed(0)
        out = M.vmap(lambda a: a + M.rand(3), randomness=mode)(M.zeros(4, 3))
        return [bool((out[i] == out[0]).all()) for i in range(4)]
    assert rows(tk) == rows(torch)


def test_grad_results_keep_history_like_torch():
    """The gradient of a transform requires grad exactly when torch's does, and it can be
    differentiated again with plain autograd."""
    def run(M):
        x = M.tensor(_B, requires_grad=True)
        g = M.func.grad(lambda a: (a ** 3).sum())(x)
        (gg,) = M.autograd.grad(g.sum(), x)
        with M.no_grad():
            g2 = M.func.grad(lambda a: (a ** 3).sum())(x)
        return (g.requires_grad, g.grad_fn is None, gg.detach().numpy().round(9).tolist(),
                g2.requires_grad, x.grad)
    assert run(tk) == run(torch)


MODULE_HELPERS = [
    "(lambda p, b: ({k: (v.shape, v.requires_grad, v.is_leaf) for k, v in p.items()}, b))"
    "(*F.stack_module_state(ms))",
    "(lambda p, b: torch.vmap(lambda pp, bb, d: F.functional_call(ms[0], (pp, bb), (d,)), "
    "in_dims=(0, 0, None))(p, b, torch.ones(4, 3)))(*F.stack_module_state(ms))",
    "(lambda p, b: {k: v.shape for k, v in b.items()})"
    "(*F.stack_module_state([torch.nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)]))",
    "F.stack_module_state([])",
    "F.stack_module_state([torch.nn.Linear(1, 1), torch.nn.Linear(1, 1).eval()])",
    "F.stack_module_state([torch.nn.Linear(1, 1), torch.nn.Conv1d(1, 1, 1)])",
    "F.stack_module_state([torch.nn.Linear(1, 1), torch.nn.Linear(1, 1).requires_grad_(False)])",
    "(lambda r: (r[1].running_mean, r[1].track_running_stats, r[1].num_batches_tracked, r is bn))"
    "(F.replace_all_batch_norm_modules_(bn))",
    "F.functionalize(lambda a: a.add_(1) * 2)(torch.ones(2))",
    "(lambda a: (F.functionalize(lambda b: b.mul_(3))(a), a))(torch.ones(2))",
    "F.functionalize(lambda a: a, remove='x')",
    "F.debug_unwrap(torch.ones(2))",
]


def _run_modules(M, expr):
    w = M.tensor(_A, dtype=M.float32)
    ms = [M.nn.Linear(3, 2) for _ in range(3)]
    for i, m in enumerate(ms):
        with M.no_grad():
            m.weight.copy_(w * (i + 1))
            m.bias.fill_(0.5 * i)
    bn = M.nn.Sequential(M.nn.Linear(3, 3), M.nn.BatchNorm1d(3))
    try:
        return _norm(eval(expr, {"torch": M, "F": M.func, "ms": ms, "bn": bn}))
    except Exception as e:   # noqa: BLE001 - the error is what we compare
        return f"{type(e).__name__}: {str(e).splitlines()[0]}"


@pytest.mark.parametrize("expr", MODULE_HELPERS)
def test_module_helpers_match_torch(expr):
    assert _run_modules(tk, expr) == _run_modules(torch, expr)
