"""Top-level helpers (finfo/iinfo, broadcast_*, *stack, atleast_*, randperm, meshgrid,
logspace, cuda, is_floating_point, can_cast) and the torch.* spellings of newer methods, side
by side with PyTorch (skipped without torch)."""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

CASES = ["torch.cuda.is_available()", "torch.cuda.device_count()", "torch.finfo(torch.float32).eps", "torch.finfo(torch.float32).max", "torch.finfo(torch.float16).bits",
 "torch.finfo().tiny", "repr(torch.finfo(torch.float32))", "repr(torch.finfo(torch.float64))", "repr(torch.finfo(torch.float16))", "repr(torch.iinfo(torch.int32))", "torch.iinfo(torch.int64).max",
 "torch.iinfo(torch.uint8).min", "torch.finfo(torch.int32)", "torch.iinfo(torch.float32)", "torch.broadcast_shapes((2, 1), (3,))", "[t.shape for t in torch.broadcast_tensors(torch.ones(2, 1), torch.ones(3))]",
 "torch.broadcast_shapes((2,), (3,))", "torch.hstack([torch.ones(2), torch.zeros(1)])", "torch.hstack([torch.ones(2, 1), torch.zeros(2, 2)]).shape", "torch.vstack([torch.ones(2), torch.zeros(2)]).shape",
 "torch.dstack([torch.ones(2), torch.zeros(2)]).shape", "torch.column_stack([torch.ones(2), torch.zeros(2, 2)]).shape", "torch.atleast_2d(torch.tensor(1.)).shape", "torch.atleast_1d(torch.tensor(1.)).shape",
 "[t.shape for t in torch.atleast_3d(torch.ones(2), torch.ones(2, 2))]", "torch.randperm(5).dtype", "torch.randperm(5).sort().values.tolist()",
 "[t.tolist() for t in torch.meshgrid(torch.arange(2), torch.arange(3), indexing='ij')]", "[t.tolist() for t in torch.meshgrid(torch.arange(2), torch.arange(3), indexing='xy')]",
 "[t.shape for t in torch.meshgrid(torch.arange(2), torch.arange(3))]", "torch.logspace(0, 2, 3)", "torch.logspace(0, 3, 4, base=2).tolist()", "torch.is_floating_point(torch.ones(1))",
 "torch.can_cast(torch.float32, torch.int32)", "torch.can_cast(torch.int32, torch.float32)", "torch.tile(torch.arange(3), (2,)).tolist()", "torch.diff(torch.tensor([1, 4, 9])).tolist()",
 "torch.movedim(torch.ones(2, 3, 4), 0, -1).shape", "torch.addcmul(torch.ones(2), torch.ones(2), torch.ones(2), value=2).tolist()", "torch.unique(torch.tensor([2, 1, 2])).tolist()"]


def _run(M, expr):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return str(eval(expr, {"torch": M}))
        except Exception as e:   # noqa: BLE001 - the error is what we compare
            return f"{type(e).__name__}: {str(e).split(chr(10))[0]}"


@pytest.mark.parametrize("expr", CASES)
def test_matches_torch(expr):
    assert _run(tk, expr) == _run(torch, expr)


def test_meshgrid_without_indexing_warns_like_torch():
    with pytest.warns(UserWarning, match="it will be required to pass the indexing argument"):
        tk.meshgrid(tk.arange(2), tk.arange(3))
