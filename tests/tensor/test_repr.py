"""Tensor printing: PyTorch's exact texts (the expected strings below were printed by PyTorch
2.13), and properties of the layout on random tensors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import tensor

T = tensor.tensor

CASES = [
    (lambda: T([1.0, 2.5, -3.0]), "tensor([ 1.0000,  2.5000, -3.0000])"),
    (lambda: T([True, False]), "tensor([ True, False])"),
    (lambda: T([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
    (lambda: T([123456.789, 0.001]), "tensor([1.2346e+05, 1.0000e-03])"),
    (lambda: T([9.9999e5, 1.0]), "tensor([9.9999e+05, 1.0000e+00])"),
    (lambda: T([100.0, 200.0]), "tensor([100., 200.])"),
    (lambda: T([float("nan"), float("inf"), -float("inf"), 1.0]),
     "tensor([nan, inf, -inf, 1.])"),
    (lambda: T([1, -2], dtype=tensor.int8), "tensor([ 1, -2], dtype=torch.int8)"),
    (lambda: T([]), "tensor([])"),
    (lambda: tensor.zeros(0, 3), "tensor([], size=(0, 3))"),
    (lambda: T(5), "tensor(5)"),
    (lambda: T(1.5, dtype=tensor.float64), "tensor(1.5000, dtype=torch.float64)"),
    (lambda: T([0.5], dtype=tensor.float16) * 3, "tensor([1.5000], dtype=torch.float16)"),
    (lambda: T([1.0, 2.0], requires_grad=True), "tensor([1., 2.], requires_grad=True)"),
    (lambda: T([1.0, 2.0], requires_grad=True) * 2, "tensor([2., 4.], grad_fn=<MulBackward0>)"),
    (lambda: tensor.arange(2000), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"),
    (lambda: T([[1e-3, 1e3], [1.0, 2.0]]),
     "tensor([[1.0000e-03, 1.0000e+03],\n        [1.0000e+00, 2.0000e+00]])"),
    (lambda: tensor.zeros(2, 1, 2),
     "tensor([[[0., 0.]],\n\n        [[0., 0.]]])"),
    (lambda: tensor.arange(30.0),
     "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
     "        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n"
     "        28., 29.])"),
]


@pytest.mark.parametrize("make,text", CASES)
def test_pytorch_texts(make, text):
    t = make()
    assert repr(t) == text and str(t) == text


def test_printoptions():
    try:
        tensor.set_printoptions(precision=2)
        assert repr(T([1.0 / 3])) == "tensor([0.33])"
        tensor.set_printoptions(sci_mode=True)
        assert repr(T([1.5])) == "tensor([1.50e+00])"
    finally:
        tensor.set_printoptions(profile="default")
    assert repr(T([1.0 / 3])) == "tensor([0.3333])"


@given(hnp.arrays(st.sampled_from([np.float32, np.float64]),
                  hnp.array_shapes(min_dims=1, max_dims=3, max_side=6),
                  elements=st.floats(-1e6, 1e6, width=32)))
def test_layout_rules(a):
    """Every line fits 80 columns (plus the closing brackets and parenthesis, which PyTorch
    does not count), and the printed numbers read back to the values (to the printed
    precision)."""
    text = repr(tensor.from_numpy(a))
    assert all(len(line) <= 80 + a.ndim + 1 for line in text.split("\n"))
    body = text[len("tensor("):].split("dtype=")[0]
    items = [x for x in body.replace("[", " ").replace("]", " ").replace(")", " ").split(",")
             if x.strip()]
    assert len(items) == a.size
    got = np.array([float(x) for x in items])
    want = a.reshape(-1).astype(np.float64)
    assert np.allclose(got, want, rtol=1e-4, atol=5e-5)


@pytest.mark.parametrize("sci", [True, False])
def test_forced_sci_mode_sets_the_widths(sci):
    """With sci_mode forced, the column width comes from the forced format (PyTorch 2.13:
    ``tensor([0.00, 1.00])`` at precision 2, not padded to the scientific width)."""
    try:
        tensor.set_printoptions(precision=2, sci_mode=sci)
        got = repr(tensor.tensor([1e-6, 1.0]))
        assert got == ("tensor([1.00e-06, 1.00e+00])" if sci else "tensor([0.00, 1.00])")
        # nothing nonzero and finite: the forced mode does not apply
        assert repr(tensor.tensor([0.0, float("nan")])) == "tensor([0., nan])"
    finally:
        tensor.set_printoptions(profile="default")
