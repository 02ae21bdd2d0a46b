"""``F.pad`` in every mode side by side with PyTorch (skipped without torch): values, the
input's gradient, and errors, on random shapes and widths (negative widths crop)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential


def _run(M, x, pad, mode, value):
    F = M.nn.functional
    t = M.tensor(x, requires_grad=True)
    try:
        kw = {} if value is None else {"value": value}
        out = F.pad(t, pad, mode=mode, **kw)
    except Exception as e:   # noqa: BLE001 - the error is what we compare
        return type(e).__name__, str(e).split("\n")[0].split(" Hint:")[0]
    w = M.tensor(np.arange(out.numel(), dtype=np.float64).reshape(tuple(out.shape)))
    (out * w).sum().backward()
    return "ok", tuple(out.shape), out.detach().numpy().tolist(), t.grad.numpy().tolist()


@settings(max_examples=150)
@given(ndim=st.integers(1, 5), data=st.data(),
       mode=st.sampled_from(["constant", "reflect", "replicate", "circular"]))
def test_pad_matches_torch(ndim, data, mode):
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    k = data.draw(st.integers(1, min(3, ndim)))
    pad = tuple(data.draw(st.lists(st.integers(-2, 4), min_size=2 * k, max_size=2 * k)))
    value = data.draw(st.sampled_from([None, 0, 1.5])) if mode == "constant" else None
    # PyTorch's errors for a negative output size differ by kernel (some are allocation
    # failures); those are left out
    assume(all(shape[ndim - 1 - i] + pad[2 * i] + pad[2 * i + 1] >= 0 for i in range(k)))
    x = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) * 0.5 - 1
    assert _run(tk, x, pad, mode, value) == _run(torch, x, pad, mode, value)


@pytest.mark.parametrize("expr", ["F.pad(x, (1,), mode='reflect')", "F.pad(x, (1, 1), mode='foo')",
                                  "F.pad(x, (1, 1), mode='reflect', value=2.0)",
                                  "F.pad(x, (1, 1, 1, 1, 1, 1, 1, 1))"])
def test_pad_errors_match_torch(expr):
    def run(M):
        try:
            eval(expr, {"F": M.nn.functional, "x": M.ones(2, 3)})
        except Exception as e:   # noqa: BLE001
            return type(e).__name__, str(e).split("\n")[0]
        return "ok"
    assert run(tk) == run(torch)
