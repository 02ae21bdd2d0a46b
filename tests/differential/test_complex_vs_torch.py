"""Complex tensors against PyTorch: how they print, and the dtype that complex Python numbers
give under each default dtype."""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

REPRS = [
    "torch.tensor([1+2j, 3-1j])", "torch.tensor([1.5+0.25j, -3-1e-5j])", "torch.tensor([1j])",
    "torch.tensor(2+3j)", "torch.tensor([1+2j], dtype=torch.complex128)",
    "torch.tensor([[1+1j, 2], [3, 1e5j]])", "torch.zeros(2, dtype=torch.complex64)",
    "torch.tensor([float('nan')+1j, float('inf')-2j])", "torch.arange(30.).view(3, 10) * (1+.5j)",
    "torch.tensor([1+2j], requires_grad=True)", "torch.empty(0, dtype=torch.complex64)",
    "torch.tensor([0.1+0.2j, 100+1j])", "torch.tensor([1+2j], dtype=torch.complex64)",
]
DTYPES = [
    "torch.tensor(2+3j)", "torch.tensor([1+2j])", "torch.as_tensor(1j)", "torch.ones(2) * 1j",
    "torch.ones(2, dtype=torch.int64) * 1j", "torch.tensor([1, 2]) + 1j",
    "torch.zeros(2, dtype=torch.complex64) + 1.5", "torch.tensor([1j, 2])",
    "torch.tensor([1j, 2.5])", "torch.arange(3) * (1+1j)", "torch.result_type(torch.ones(2), 1j)",
    "torch.result_type(torch.ones(2, dtype=torch.float32), 1j)",
    "torch.result_type(torch.ones(2, dtype=torch.float64), torch.tensor(1j))",
    "torch.result_type(torch.ones(2, dtype=torch.int32), torch.tensor(1j))",
    "torch.ones(2, dtype=torch.float32) * 1j", "torch.ones(2, dtype=torch.float64) * 1j",
    "torch.ones(2, dtype=torch.float64) + torch.tensor(1j)",
    "torch.ones(2, dtype=torch.float32) + torch.tensor(1j, dtype=torch.complex128)",
    "torch.tensor(1.5) * 1j", "torch.tensor(2) * 1j", "torch.ones(2, dtype=torch.bool) * 1j",
    "torch.full((2,), 1j)",
]


def _set_default(M, name):
    M.set_default_dtype(getattr(M, name))


@pytest.fixture(params=["float32", "float64"])
def default(request):
    yield request.param
    tk.set_default_dtype(tk.float32)
    torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("expr", REPRS)
def test_prints_like_torch(expr, default):
    out = []
    for M in (tk, torch):
        _set_default(M, default)
        out.append(repr(eval(expr, {"torch": M})))
    assert out[0] == out[1]


@pytest.mark.parametrize("expr", DTYPES)
def test_dtype_like_torch(expr, default):
    out = []
    for M in (tk, torch):
        _set_default(M, default)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = eval(expr, {"torch": M})
        out.append(str(getattr(r, "dtype", r)))
    assert out[0] == out[1]
