"""Printing side by side with PyTorch (skipped without torch): random tensors of every dtype,
shape and magnitude must print the same text."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int8", "uint8", "bool"]


@st.composite
def arrays(draw):
    dt = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=7))
    if dt.kind == "f":
        scale = draw(st.sampled_from([1e-6, 1e-3, 1.0, 1e3, 1e6, 1e9]))
        elems = st.one_of(st.floats(-3, 3, width=16).map(lambda v: v * scale),
                          st.integers(-50, 50).map(float),
                          st.sampled_from([0.0, -0.0, float("nan"), float("inf")]))
        with np.errstate(over="ignore"):     # float16 overflows to inf: printed as such
            return draw(hnp.arrays(dt, shape, elements=elems.map(lambda v: dt.type(v))))
    return draw(hnp.arrays(dt, shape))


@given(a=arrays(), rg=st.booleans())
def test_repr_matches_torch(a, rg):
    theirs = torch.from_numpy(a.copy())
    ours = tk.from_numpy(a.copy())
    if rg and a.dtype.kind == "f":
        theirs.requires_grad_()
        ours.requires_grad_()
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("n", [999, 1000, 1001, 5000])
@pytest.mark.parametrize("dt", ["float32", "int64"])
def test_summarized_repr_matches_torch(n, dt):
    a = (np.arange(n) * 1.5).astype(dt).reshape(-1, 1) if n % 2 == 0 else \
        (np.arange(n) * 1.5).astype(dt)
    assert repr(tk.from_numpy(a.copy())) == repr(torch.from_numpy(a.copy()))


@pytest.mark.parametrize("expr", [
    "f'{M.tensor(0.5)}'", "f'{M.tensor(0.5):.3f}'", "f'{M.tensor(3)}'", "f'{M.tensor(True)}'",
    "f'{M.tensor(2.5, requires_grad=True)}'", "f'{M.tensor([1., 2.])}'",
    "f'{M.tensor([1., 2.]):.2f}'", "f'{M.nn.Parameter(M.tensor(1.5))}'",
    "'{:>8}'.format(M.tensor(7))", "f'{M.tensor(1e-8):e}'",
])
def test_format_like_torch(expr):
    """``format``: a 0-d tensor formats as its Python number, others as their repr, and a
    format spec on those is refused (as PyTorch)."""
    def run(M):
        try:
            return eval(expr, {"M": M})
        except Exception as e:  # noqa: BLE001 - the error is what we compare
            return type(e).__name__, str(e)
    assert run(tk) == run(torch)
