"""Assigning ``.grad``, ``grad_dtype`` and ``requires_grad`` against PyTorch: what is
accepted, the dtype backward accumulates in, and the errors' texts."""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

# each step runs on the same three tensors: a leaf that requires grad, a plain tensor, and a
# non-leaf
STEPS = [
    "a.grad_dtype", "b.grad_dtype", "c.grad_dtype", "setattr(a, 'grad_dtype', torch.float64)",
    "a.grad_dtype", "(a * 2).sum().backward()", "a.grad",
    "setattr(a, 'grad', torch.ones(2, dtype=torch.float64))", "setattr(a, 'grad', torch.ones(2))",
    "setattr(a, 'grad_dtype', None)", "a.grad_dtype",
    "setattr(a, 'grad', torch.ones(2, dtype=torch.int64))", "a.grad",
    "setattr(c, 'grad_dtype', torch.float64)", "setattr(a, 'grad_dtype', 'x')",
    "setattr(b, 'grad_dtype', torch.float64)", "b.grad_dtype", "setattr(b, 'requires_grad', 1)",
    "setattr(b, 'requires_grad', None)", "b.requires_grad_(1)", "b.requires_grad_(None)",
    "setattr(b, 'grad', torch.ones(3))", "setattr(b, 'grad', torch.ones(2, dtype=torch.float64))",
    "setattr(b, 'grad', torch.ones(2, 2, dtype=torch.float64))", "b.requires_grad_(True)",
    "(b * 3).sum().backward()", "b.grad", "(b * 3).sum().backward()", "b.grad",
    "setattr(c, 'grad', torch.ones(2))", "c.grad", "setattr(c, 'grad', torch.ones(3))",
    "setattr(c, 'grad', torch.ones(2, dtype=torch.float64))", "setattr(c, 'grad', [1., 2.])",
]


def _run(M):
    a, b = M.ones(2, requires_grad=True), M.ones(2)
    ns = {"torch": M, "a": a, "b": b, "c": M.ones(2, requires_grad=True) * 2}
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for s in STEPS:
            try:
                r = eval(s, ns)
            except Exception as e:   # noqa: BLE001 - the error is what we compare
                r = (type(e).__name__, str(e).split("\n")[0].split(" Hint:")[0].rstrip("."))
            if isinstance(r, M.Tensor):
                r = (r.tolist(), str(r.dtype))
            elif r is not None and not isinstance(r, tuple):
                r = str(r)
            out.append((s, r))
    return out


def test_grad_assignments_like_torch():
    for ours, theirs in zip(_run(tk), _run(torch)):
        assert ours == theirs
