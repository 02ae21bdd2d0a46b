"""arange's bounds, index_select's out-of-range indices and addmm's dtype checks, against
PyTorch: the same result (values, dtype) or the same error (type and first sentence; ours may
add a hint)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

ARANGE = [
    "torch.arange(5)", "torch.arange(5.)", "torch.arange(1, 4, 2)", "torch.arange(1., 4)",
    "torch.arange(0, 1, 0.25)", "torch.arange(10, 0, -3)", "torch.arange(-5, 5, 3)",
    "torch.arange(5, 5, -1)", "torch.arange(0, 10, -1)", "torch.arange(10, 0, 1)",
    "torch.arange(-1)", "torch.arange(0., 1., -0.1)", "torch.arange(0, 10, 0)",
    "torch.arange(0, float('inf'))", "torch.arange(float('nan'))",
    "torch.arange(0, 10, float('inf'))", "torch.arange(0., 10, float('nan'))",
    "torch.arange(True)", "torch.arange(torch.tensor(True))", "torch.arange(torch.tensor(2.5))",
    "torch.arange(torch.tensor(3, dtype=torch.int32))", "torch.arange(1.0, torch.tensor(3))",
    "torch.arange(torch.tensor(1), torch.tensor(3))", "torch.arange(end=torch.tensor(3))",
    "torch.arange(torch.tensor(3), dtype=torch.float32)", "torch.arange(torch.tensor([3]))",
    "torch.arange(torch.tensor([1]), 3)", "torch.arange(0, torch.tensor([1, 2]))",
    "torch.arange('a')", "torch.arange(None)", "torch.arange(0, 'a')", "torch.arange(0, 3, 'a')",
    "torch.arange(3, dtype=torch.bool)", "torch.arange(3, dtype=torch.float16)",
    "torch.arange(3.5, dtype=torch.int64)", "torch.arange(0, 3, 0.5, dtype=torch.int64)",
    "torch.arange(-0.5, 2.5, dtype=torch.int64)", "torch.arange(0.5, 3, 1.5, dtype=torch.int64)",
    "torch.arange(-2.7, dtype=torch.int64)", "torch.arange(2.7, -1, -0.9, dtype=torch.int32)",
    "torch.arange(0, 3, 0.5, dtype=torch.uint8)", "torch.arange(0.5, 3, 1.5, dtype=torch.int8)",
    "torch.arange(250, 260, dtype=torch.uint8)", "torch.arange(3, requires_grad=True)",
    "torch.arange(0, 3, 0.5, out=torch.empty(0, dtype=torch.int64))",
    "torch.arange(torch.tensor(3), out=torch.empty(3))",
]
INDEX_SELECT = [
    f"torch.ones{shape}.index_select({dim}, torch.tensor({idx}))"
    for shape, dims in [("(2, 2)", (0, 1, -1)), ("(2,)", (0,)), ("(2, 3, 4)", (0, 1, 2, -2)),
                        ("(())", (0,))]
    for dim in dims for idx in ("[-1]", "[5]", "[1, 7]", "[0]")
] + ["torch.ones(2, 2).t().index_select(1, torch.tensor([2]))",
     "torch.ones(2, 2).index_select(0, torch.tensor([2], dtype=torch.int32))",
     "torch.ones(()).index_select(0, torch.tensor(0))",
     "torch.ones(()).index_select(0, torch.tensor([], dtype=torch.int64))",
     "torch.ones(()).index_select(0, torch.tensor([[0]]))"]
PRODUCTS = [
    f"torch.addmm(torch.ones(2, dtype={s}), torch.ones(2, 3, dtype={a}), "
    f"torch.ones({k}, 2, dtype={b}))"
    for s in ("f", "d") for a in ("f", "d", "i") for b in ("f", "d") for k in (3, 4)
] + [
    "torch.ones(2, 2).addmm_(torch.ones(2, 3, dtype=d), torch.ones(3, 2))",
    "torch.nn.functional.linear(torch.ones(2, 3, dtype=d), torch.ones(2, 3), torch.ones(2))",
    "torch.nn.functional.linear(torch.ones(4, 2, 3, dtype=d), torch.ones(2, 3), torch.ones(2))",
    "torch.nn.functional.linear(torch.ones(3, dtype=d), torch.ones(2, 3), torch.ones(2))",
    "torch.nn.functional.linear(torch.ones(2, 3), torch.ones(2, 3), torch.ones(2, dtype=d))",
    "torch.nn.functional.linear(torch.ones(2, 3), torch.ones(2, 3, dtype=d))",
    "torch.nn.Linear(3, 2)(torch.ones(2, 4))", "torch.nn.Linear(3, 2)(torch.ones(3, dtype=d))",
]


def _outcome(M, expr):
    ns = {"torch": M, "f": M.float32, "d": M.float64, "i": M.int64}
    try:
        r = eval(expr, ns)
    except Exception as e:   # noqa: BLE001 - the error is what we compare
        first = str(e).split("\n")[0].split(" Hint:")[0]
        return type(e).__name__, first.rstrip(".")
    return "ok", str(r.dtype).split(".")[-1], r.tolist()


@pytest.mark.parametrize("expr", ARANGE + INDEX_SELECT + PRODUCTS)
def test_same_outcome_as_torch(expr):
    assert _outcome(tk, expr) == _outcome(torch, expr)
