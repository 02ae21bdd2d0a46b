"""The second batch of conveniences (diff, take_along_dim, tensor_split, nanmean, signbit,
fmax/fmin, unique, bernoulli) side by side with PyTorch (skipped without torch)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

CASES = ["x.diff().tolist()", "x.diff(dim=0).tolist()", "x.diff(n=2).tolist()", "x.diff(prepend=torch.zeros(2, 1)).tolist()", "x.diff().grad_fn.name()",
 "torch.tensor([180.]).deg2rad().item()", "torch.tensor([3.14159]).rad2deg().item()", "x.take_along_dim(torch.tensor([[0], [3]]), 1).tolist()", "x.take_along_dim(torch.tensor([1, 5])).tolist()",
 "[t.shape for t in x.split_with_sizes([1, 3], 1)]", "[t.shape for t in torch.arange(7).tensor_split(3)]", "[t.tolist() for t in torch.arange(7).tensor_split([1, 5])]",
 "torch.tensor([1., float('nan'), 3.]).nanmean().item()", "torch.tensor([[1., float('nan')], [2., 4.]]).nanmean(0).tolist()", "torch.tensor([-0., 0., -1., 2.]).signbit().tolist()",
 "torch.tensor([1., float('nan'), 3.]).fmax(torch.tensor([2., 2., float('nan')])).tolist()", "torch.tensor([1, 5]).fmin(torch.tensor([2., 2.])).tolist()",
 "torch.tensor([3, 1, 3, 2]).unique().tolist()", "[t.tolist() for t in torch.tensor([3, 1, 3, 2]).unique(return_inverse=True, return_counts=True)]",
 "torch.ones(1000).bernoulli_(0.3).mean().item() < 0.4", "torch.full((1000,), 0.25).bernoulli().mean().item() < 0.35", "torch.ones(3).bernoulli_(2.0)", "torch.tensor(2.).diff()"]


def _run(M, expr):
    x = M.tensor([[1., 4., 9., 16.], [2., 3., 5., 7.]], requires_grad=True)
    try:
        return str(eval(expr, {"torch": M, "x": x}))
    except Exception as e:   # noqa: BLE001 - the error is what we compare
        return f"{type(e).__name__}: {str(e).split(chr(10))[0]}"


@pytest.mark.parametrize("expr", CASES)
def test_matches_torch(expr):
    assert _run(tk, expr) == _run(torch, expr)


def test_fmax_gradients_match_torch():
    got = []
    for M in (torch, tk):
        a = M.tensor([1., 5., 2.], requires_grad=True)
        b = M.tensor([3., 4., float("nan")], requires_grad=True)
        a.fmax(b).sum().backward()
        got.append((a.grad.tolist(), b.grad.tolist()))
    assert got[0] == got[1]
