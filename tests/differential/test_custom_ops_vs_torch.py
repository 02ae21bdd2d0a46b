"""``torch.library`` custom ops against PyTorch: what the op's body sees (grad mode, inference
mode), how versions count (the op's own bump plus the in-place ops inside it), what a mutating
op does to autograd (no checks, no history), and the registration helpers (``define``,
``impl``, ``register_kernel``, ``register_fake``). Each case runs the same code on both."""


import itertools

import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

_N = {}


def _fresh(prefix):
    """A new op name; the same sequence in each library, so names (and texts) agree."""
    n = _N.setdefault(prefix, itertools.count())
    return f"tkdiff::{prefix}{next(n)}"


def _run(M, case):
    _N.clear()
    log = []
    try:
        case(M, log)
    except Exception as e:  # noqa: BLE001 - the error is what we compare
        log.append(("E", type(e).__name__, str(e).split("\n")[0][:80]))
    return log


def _tensor_summary(t):
    return (t.tolist(), t.requires_grad, t.is_leaf, t._version,
            None if t.grad_fn is None else type(t.grad_fn).__name__)


def c_body_modes(M, log):
    @M.library.custom_op(_fresh("peek"), mutates_args=())
    def peek(x: M.Tensor) -> M.Tensor:
        log.append((M.is_grad_enabled(), M.is_inference_mode_enabled()))
        return x.clone()
    peek(M.ones(1))
    peek(M.ones(1, requires_grad=True))
    with M.no_grad():
        peek(M.ones(1, requires_grad=True))
    with M.inference_mode():
        peek(M.ones(1))


def c_mutating_versions(M, log):
    @M.library.custom_op(_fresh("two"), mutates_args=("x",))
    def two_(x: M.Tensor) -> None:
        x.add_(1)
        x.mul_(2)
    t = M.zeros(2)
    two_(t)
    log.append(_tensor_summary(t))
    with M.no_grad():
        two_(t)
    log.append(_tensor_summary(t))
    u = M.zeros(2)
    with M.inference_mode():
        two_(u)
    log.append(_tensor_summary(u))


def c_noop_mutation_bumps_once(M, log):
    @M.library.custom_op(_fresh("noop"), mutates_args=("x",))
    def noop_(x: M.Tensor) -> None:
        pass
    t = M.zeros(2)
    noop_(t)
    log.append(t._version)


def c_mutating_leaf_and_nonleaf(M, log):
    @M.library.custom_op(_fresh("inc"), mutates_args=("x",))
    def inc_(x: M.Tensor) -> None:
        x.add_(1)
    leaf = M.ones(2, requires_grad=True)
    inc_(leaf)
    log.append(_tensor_summary(leaf))
    w = M.ones(2, requires_grad=True)
    y = w * 3
    inc_(y)
    log.append(_tensor_summary(y))
    y.sum().backward()
    log.append(w.grad.tolist())


def c_functional_with_formula(M, log):
    @M.library.custom_op(_fresh("sin"), mutates_args=())
    def mysin(x: M.Tensor) -> M.Tensor:
        return x.sin()

    def setup(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    def bwd(ctx, g):
        x, = ctx.saved_tensors
        return g * x.cos()
    mysin.register_autograd(bwd, setup_context=setup)
    x = M.tensor([0.5, 1.0], dtype=M.float64, requires_grad=True)
    y = mysin(x)
    y.sum().backward()
    log.append((_tensor_summary(y), [round(v, 12) for v in x.grad.tolist()]))


def c_functional_without_formula(M, log):
    @M.library.custom_op(_fresh("noauto"), mutates_args=())
    def noauto(x: M.Tensor) -> M.Tensor:
        return x * 3
    y = noauto(M.ones(2, requires_grad=True))
    log.append((y.requires_grad, y._version))
    y.sum().backward()


def c_define_impl_fake(M, log):
    name = _fresh("cube")
    M.library.define(name, "(Tensor x) -> Tensor")
    M.library.impl(name, "cpu", lambda x: x ** 3)
    M.library.register_fake(name, lambda x: M.empty_like(x))
    ns, op = name.split("::")
    log.append(getattr(getattr(M.ops, ns), op)(M.tensor([2.0])).tolist())
    sch = str(getattr(getattr(M.ops, ns), op).default._schema)
    log.append(sch[sch.index("("):])


def c_register_kernel_and_fake(M, log):
    @M.library.custom_op(_fresh("twice"), mutates_args=())
    def twice(x: M.Tensor) -> M.Tensor:
        return x * 2

    @twice.register_fake
    def _(x):
        return M.empty_like(x)

    @twice.register_kernel("cuda")
    def _(x):
        return x * 200
    log.append(twice(M.ones(2)).tolist())
    M.library.register_kernel(twice, "cpu", lambda x: x * 30)
    log.append(twice(M.ones(1)).tolist())
    sch = str(twice._opoverload._schema)
    log.append(sch[sch.index("("):])


def c_op_names(M, log):
    """How an op and its overload packet print and name themselves, builtin and custom."""
    lib = M.library.Library(_fresh("names").split("::")[0], "FRAGMENT")
    name = _fresh("nm").split("::")[1]
    lib.define(f"{name}(Tensor x) -> Tensor")
    lib.define(f"{name}.two(Tensor x, Tensor y) -> Tensor")
    lib.impl(name, lambda x: x + 1, "CPU")
    packet = getattr(M.ops.tkdiff, name)
    for op in (M.ops.aten.add.Tensor, M.ops.aten.relu.default, M.ops.aten.sum.dim_IntList,
               packet.default, packet.two):
        log.append((str(op), repr(op), op.name(), op.__name__, f"{op}"))
    for p in (M.ops.aten.add, packet):
        log.append((str(p), repr(p), p.__name__, p._qualified_op_name))
    # an OpOverload names the op it stands for, to torch.library's helpers
    M.library.register_kernel(packet.default, "cpu", lambda x: x * 10)
    log.append(packet.default(M.ones(2)).tolist())


CASES = {f.__name__: f for f in (
    c_op_names,
    c_body_modes, c_mutating_versions, c_noop_mutation_bumps_once, c_mutating_leaf_and_nonleaf,
    c_functional_with_formula, c_functional_without_formula, c_define_impl_fake,
    c_register_kernel_and_fake)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_custom_op_matches_torch(name):
    assert _run(tk, CASES[name]) == _run(torch, CASES[name])
