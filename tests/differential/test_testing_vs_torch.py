"""``torch.testing.assert_close`` / ``make_tensor`` side by side with PyTorch (skipped without
torch): the same verdicts and the same failure messages."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

CASES = [
    'assert_close(torch.tensor([1.,2.,3.]), torch.tensor([1.,2.5,3.]))',
    'assert_close(torch.tensor([1.,2.]), torch.tensor([1.,2.],dtype=torch.float64))',
    'assert_close(torch.tensor([1.,2.]), torch.tensor([1.,2.,3.]))',
    'assert_close(torch.tensor([1,2]), torch.tensor([1,3]))',
    'assert_close(1.0, 1.1)',
    'assert_close([torch.ones(2)], [torch.zeros(2)])',
    'assert_close({"a": torch.ones(2)}, {"a": torch.zeros(2)})',
    'assert_close(torch.ones(2), torch.ones(2), rtol=0.1)',
    'assert_close(torch.tensor([float("nan")]), torch.tensor([float("nan")]))',
    'assert_close(torch.tensor([float("nan")]), torch.tensor([float("nan")]), equal_nan=True)',
    'assert_close(torch.ones(2,2), torch.ones(2,2)*1.1, msg="boom")',
    'assert_close(torch.ones(2,2)[0,0], torch.ones(2,2)[0,0]*2)',
    'assert_close(torch.tensor([True]), torch.tensor([False]))',
    'assert_close(torch.ones(3), torch.ones(3).t())',
    'assert_close(torch.ones(2,3).t(), torch.ones(3,2), check_stride=True)',
    'assert_close(torch.tensor([1e-6]), torch.tensor([0.]))',
    'assert_close(torch.tensor([[1.,2.],[3.,4.]]), torch.tensor([[1.,2.],[3.,5.]]))',
    'assert_close(torch.ones(2), torch.ones(2).double(), check_dtype=False)',
    'assert_close(torch.tensor([1,2]), torch.tensor([1.,2.]))',
    'assert_close(1, 1.0)',
    'assert_close((1,2),[1,2])',
    'assert_close(torch.tensor([0., 1.]), torch.tensor([1., 1.]))',
    'assert_close(torch.tensor([1., 2.]), torch.tensor([1.001, 2.]), rtol=0, atol=0)',
    'assert_close(np.ones(2), np.zeros(2))',
    'assert_close(torch.tensor([1.,float("nan")]), torch.tensor([2.,1.]))',
    'assert_close([1,2],[1,2,3])',
    'assert_close(torch.half(torch.ones(2)) if False else torch.ones(2).half(), torch.ones(2).half()*1.01)',
    'assert_close(torch.ones(3,dtype=torch.int8), torch.tensor([1,1,-128],dtype=torch.int8))',
    'assert_close(torch.ones(2), torch.ones(2)+1e-6)',
    'assert_close(torch.tensor(1.), torch.tensor(1.5))',
    'assert_close(torch.ones(2), torch.zeros(2), msg=lambda m: "custom: " + m.splitlines()[0])',
]


def _run(M, expr):
    try:
        eval(expr, {"torch": M, "assert_close": M.testing.assert_close, "np": np})
        return "OK"
    except TypeError as e:     # (the type names in these messages are the library's own)
        return "TypeError", str(e).split(" of type")[0]
    except Exception as e:   # noqa: BLE001 - the error is what we compare
        return type(e).__name__, str(e)


@pytest.mark.parametrize("expr", CASES)
def test_assert_close_matches_torch(expr):
    assert _run(tk, expr) == _run(torch, expr)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8", "bool", "float16"])
def test_make_tensor_ranges_and_dtypes_match_torch(dtype):
    for M in (tk, torch):
        t = M.testing.make_tensor(3, 4, dtype=getattr(M, dtype), device="cpu")
        assert tuple(t.shape) == (3, 4) and str(t.dtype) == f"torch.{dtype}"
        a = t.numpy().astype(float)
        lo, hi = {"uint8": (0, 10), "bool": (0, 1)}.get(dtype, (-9, 10))
        assert a.min() >= lo and a.max() <= hi
    t = tk.testing.make_tensor((2, 3), dtype=tk.float32, low=0.5, high=1.0, requires_grad=True)
    assert t.requires_grad and float(t.min()) >= 0.5 and float(t.max()) < 1.0
