"""linspace, logspace and full against PyTorch: linspace's values bit for bit (its two
halves, fused multiply-adds, half and integer results), logspace's, and full's dtypes and
overflow errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

BOUNDS = [(-1, 1, 7), (0, 1, 5), (0, 1, 11), (-3.7, 2.2, 13), (1e-3, 7.1, 100), (5, -5, 21),
          (0.1, 0.9, 9), (-1, 1, 1000), (0, 10, 4), (2, 3, 2), (1, 1, 5), (0, 1, 0), (3, 4, 1),
          (-250.5, 1e4, 37)]
DTYPES = ["float32", "float64", "float16", "int64", "int32", "uint8", "int8"]


def _fits(name, a, b):
    if name in ("uint8", "int8"):
        lo, hi = (0, 255) if name == "uint8" else (-128, 127)
        return lo <= min(a, b) and max(a, b) <= hi
    return True


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("a, b, n", BOUNDS)
def test_linspace_bit_for_bit(a, b, n, dtype):
    if not _fits(dtype, a, b):
        return
    ours = tk.linspace(a, b, n, dtype=getattr(tk, dtype)).numpy()
    theirs = torch.linspace(a, b, n, dtype=getattr(torch, dtype)).numpy()
    assert ours.dtype == theirs.dtype
    assert ours.tobytes() == theirs.tobytes()


@pytest.mark.parametrize("base", [10.0, 2.0, 0.5])
@pytest.mark.parametrize("a, b, n", [(0, 2, 3), (-1, 1, 7), (0.5, 3.3, 11), (-2, 2, 100)])
def test_logspace(a, b, n, base):
    for name in ("float32", "float64", "int64"):
        ours = tk.logspace(a, b, n, base=base, dtype=getattr(tk, name)).numpy()
        theirs = torch.logspace(a, b, n, base=base, dtype=getattr(torch, name)).numpy()
        if name == "float64":     # (the power itself may differ in the last place)
            np.testing.assert_allclose(ours, theirs, rtol=4e-16, atol=0)
        else:
            assert ours.tobytes() == theirs.tobytes(), name


FULL = [
    "torch.full((2,), 1j, dtype=torch.float32)", "torch.full((2,), 1+0j, dtype=torch.float32)",
    "torch.full((2,), 1j, dtype=torch.int64)", "torch.full((2,), 1.5, dtype=torch.int64)",
    "torch.full((2,), 300, dtype=torch.uint8)", "torch.full((2,), -1, dtype=torch.uint8)",
    "torch.full((2,), 1e40, dtype=torch.float32)",
    "torch.full((2,), float('nan'), dtype=torch.int64)", "torch.full((2,), 1j)",
    "torch.full((2,), True)", "torch.full((2,), 2**63)", "torch.full((2,), 7, dtype=torch.bool)",
    "torch.full((2,), 1.5)", "torch.full((2, 2), -2.5, dtype=torch.int8)",
    "torch.full_like(torch.ones(2), 1j)", "torch.full_like(torch.ones(2, dtype=torch.int64), 2.7)",
]


@pytest.mark.parametrize("expr", FULL)
def test_full_like_torch(expr):
    out = []
    for M in (tk, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                r = eval(expr, {"torch": M})
                out.append((r.tolist(), str(r.dtype)))
            except Exception as e:   # noqa: BLE001 - the error is what we compare
                out.append((type(e).__name__, str(e).split(" Hint:")[0].rstrip(".")))
    assert out[0] == out[1]
