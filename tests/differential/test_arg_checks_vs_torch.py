"""A Python number where PyTorch's Python signature wants a Tensor (opdefs/arg_checks.py):
the same TypeError as PyTorch, in method and ``torch.<name>`` forms (skipped without torch).
Also: numbers where PyTorch does take them keep working."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402
from tensor.opdefs import arg_checks  # noqa: E402

pytestmark = pytest.mark.differential

REFUSED = [
    "t.dot(1)", "torch.dot(t, 1)", "m.mm(1)", "torch.mm(m, 1)", "b.bmm(1)", "m.mv(1)",
    "torch.mv(m, 2.5)", "t.outer(1)", "torch.outer(t, True)", "t.kron(1)", "t.isclose(1)",
    "torch.isclose(t, 1)", "t.fmax(1)", "torch.fmin(t, 1.5)", "t.atan2(1)", "torch.atan2(t, 1)",
    "t.clone().atan2_(1)", "t.hypot(1)", "torch.hypot(t, 1)", "t.logaddexp(1)",
    "t.maximum(1)", "torch.maximum(t, 1)", "torch.minimum(t, 1, out=torch.ones(3))",
    "t.logical_and(1)", "torch.logical_or(t, 1)", "t.clone().logical_xor_(1)",
    "t.gather(0, 1)", "torch.gather(t, 0, 1)", "t.index_select(0, 1)",
    "torch.index_select(t, 0, 1)", "t.masked_select(1)", "t.take(1)", "torch.take(t, 1)",
    "t.index_add(0, 1, t)", "t.index_add(0, i, 1)", "t.clone().index_add_(0, i, 2.0)",
    "t.scatter_add(0, 1, t)", "t.scatter_add(0, i, 1)", "torch.addmm(m, 1, m)",
    "torch.addmm(m, m, 1)", "torch.addmv(t, 1, t)", "torch.addmv(t, m, 1)",
    "t.index_fill(0, 1, 2.0)", "torch.index_fill(t, 0, 1, 2.0)", "t.clone().index_fill_(0, 1, t[0])",
    "t.lerp(1, 0.5)", "torch.lerp(t, 1, 0.5)", "t.clone().lerp_(1, t)", "t.masked_fill(1, 2.0)",
    "torch.masked_fill(t, 1, 2.0)", "t.clone().masked_fill_(0, t[0])", "t.scatter(0, 1, 2.0)",
    "torch.scatter(t, 0, 1, t)", "t.clone().scatter_(0, 1, 2.0)", "t.dot(None)", "t.dot('a')",
    "t.maximum([1.0])", "torch.addbmm(m, 1, b)", "m.clone().addmm_(1, m)", "m.addr(1, t)",
    "torch.vdot(t, 1)", "t.cross(1)", "t.dist(1)", "t.index_copy(0, 1, t)",
    "t.index_copy(0, i, 1)", "t.masked_scatter(1, t)", "t.put(1, t)", "t.put(i, 1)",
    "t.scatter_reduce(0, 1, t, 'sum')", "torch.scatter_reduce(t, 0, i, 1, 'amax')",
    "t.select_scatter(1, 0, 0)", "t.logaddexp2(1)", "torch.nextafter(t, 1)",
    "t.heaviside(1)", "torch.lcm(t.long(), 1)",
]
ACCEPTED = [
    "t + 1", "torch.add(t, 1)", "t.pow(2)", "torch.where(t > 1, t, 0.0)", "t.masked_fill(t > 1, 0.5)",
    "t.clamp(min=1)", "t.eq(1)", "torch.remainder(t, 2)", "t.bitwise_and(1) if False else t.mul(2)",
    "t.lerp(t * 2, 0.5)", "t.index_fill(0, i, -1.0)", "t.scatter(0, i, 5.0)",
]


def _run(M, expr):
    t = M.tensor([1.0, 2.0, 3.0])
    ns = {"torch": M, "t": t, "m": M.ones(3, 3), "b": M.ones(2, 3, 3), "i": M.tensor([0, 2])}
    try:
        return "ok", repr(eval(expr, ns))
    except Exception as e:   # noqa: BLE001 - the error is what we compare
        return type(e).__name__, str(e).split("\n")[0]


@pytest.mark.parametrize("expr", REFUSED + ACCEPTED)
def test_same_outcome_as_torch(expr):
    assert _run(tk, expr) == _run(torch, expr)


def test_the_table_names_real_ops_and_arguments():
    """Every entry reaches an op we have, and each named argument is one of its Tensors."""
    from tensor._defop import OPS
    for table in (arg_checks.SINGLE, arg_checks.OVERLOADED):
        for name, args in table.items():
            op = OPS[name]
            tensor_args = {op.schema.arguments[i].name for i, k in op.schema.tensor_args}
            assert set(args) <= tensor_args, name


NUMBER_FIRST = ["torch.floor_divide(7, torch.tensor([2.]))", "torch.lt(1, torch.ones(2))",
                "torch.sum(1)", "torch.exp(2)", "torch.xlogy(2, torch.tensor([3.]))",
                "torch.bitwise_and(3, torch.tensor([1, 2]))", "torch.clamp(1, 0, 2)",
                "torch.sum(1, 0)", "torch.fmod(2, torch.ones(2))",
                "torch.multiply(2, torch.ones(2))", "torch.remainder(5, torch.tensor([3]))"]


@pytest.mark.parametrize("expr", NUMBER_FIRST)
def test_a_number_as_input_matches_torch(expr):
    assert _run(tk, expr) == _run(torch, expr)
