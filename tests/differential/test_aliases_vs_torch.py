"""PyTorch's alternative names and small conveniences (opdefs/aliases.py) side by side with
PyTorch (skipped without torch): the printed result of each expression must be the same."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

CASES = ["x.multiply(2).sum().item()", "x.subtract(1, alpha=2).sum().item()", "x.arccos().isnan().sum().item()", "x.fix().sum().item()", "x.ndimension()",
 "x.sgn().sum().item()", "(x.movedim(0, -1).shape, x.movedim(0, -1).stride(), x.movedim(0,-1).grad_fn.name())", "x.moveaxis((0, 1), (2, 0)).shape", "x.movedim(3, 0)",
 "(x.ravel().shape, x.ravel()._is_view())", "x.detach().transpose(0, 1).ravel()._is_view()", "x.broadcast_to((2, 2, 3, 4)).shape", "x.flipud().shape", "x.fliplr()[0, 0].tolist()",
 "x.tile(2).shape", "x.tile((2, 1, 1, 1)).shape", "x.unflatten(2, (2, 2)).shape", "x.unflatten(-1, (-1, 2)).shape", "torch.tensor([float('inf'), -float('inf'), 1.]).isposinf().tolist()",
 "torch.tensor([float('inf'), -float('inf'), 1.]).isneginf().tolist()", "torch.ones(3).addcmul(torch.ones(3) * 2, torch.ones(3) * 3, value=0.5).tolist()",
 "torch.ones(3).addcdiv(torch.ones(3) * 2, torch.ones(3) * 3, value=0.5).tolist()", "torch.ones(3, dtype=torch.int64).addcdiv(torch.ones(3, dtype=torch.int64), torch.ones(3, dtype=torch.int64))",
 "torch.ones(3).addcmul_(torch.ones(3), torch.ones(3) * 2)._version", "x.is_cpu", "x.nbytes", "x.itemsize", "x.get_device()", "x.is_signed()", "torch.tensor([1], dtype=torch.uint8).is_signed()",
 "torch.tensor([3.]).is_nonzero()", "torch.tensor([0.]).is_nonzero()", "torch.tensor([1., 2.]).is_nonzero()", "i.count_nonzero().item()", "i.count_nonzero(1).tolist()",
 "torch.tensor([1., float('nan'), 2.]).nansum().item()", "torch.tensor([[1., float('nan')], [2., 3.]]).nansum(1).tolist()", "x.divide_"]


def _run(M, expr):
    x = M.arange(24.).reshape(2, 3, 4).requires_grad_()
    i = M.tensor([[1, 0, 3], [0, 0, 2]])
    try:
        return str(eval(expr, {"torch": M, "x": x, "i": i}))
    except Exception as e:   # noqa: BLE001 - the error is what we compare
        return f"{type(e).__name__}: {str(e).split(chr(10))[0]}"


@pytest.mark.parametrize("expr", [c for c in CASES if not c.endswith("divide_")])
def test_alias_matches_torch(expr):
    assert _run(tk, expr) == _run(torch, expr)
