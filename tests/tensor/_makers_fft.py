"""Gradcheck-registry input makers for the FFT ops of ``opdefs/fft.py``: ``_fft_r2c`` (a real
signal), ``_fft_c2c`` / ``_fft_c2r`` / ``_conj_copy`` (a complex one), with drawn dims,
normalization codes and directions."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

# The registry's gradcheck differentiates real functions of real inputs; every FFT op has a
# complex input or output. Their gradients (float64 / complex128, against PyTorch's, first
# and second order) are checked in tests/differential/test_fft_vs_torch.py, and a real-to-real
# composition against finite differences in tests/tensor/test_fft.py.
_COMPLEX_IO = ("gradcheck here is real-only, and this op has a complex input or output: its "
               "derivative is checked against PyTorch in test_fft_vs_torch.py")
XFAIL = {(f"aten::{n}", check): _COMPLEX_IO
         for n in ("_fft_r2c", "_fft_c2r", "_fft_c2c", "_conj_copy")
         for check in ("grad", "gradgrad", "forward_ad")}


def makers(ns):
    Case, values = ns.Case, ns.values

    def shape_and_dims(draw, min_dims=1):
        shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
        nd = len(shape)
        # (wrapped dims only: PyTorch's kernels take them as the public functions pass them,
        # and index arrays with them unchecked)
        dims = draw(st.lists(st.integers(0, nd - 1), min_size=min_dims, max_size=nd,
                             unique=True))
        return shape, dims

    def complex_values(draw, shape):
        # (a constant: the registry's inputs are float64; the audits then still compare the
        # forward with PyTorch's)
        return ns.Const(np.asarray(values(draw, shape) + 1j * values(draw, shape)))

    def m_r2c(draw, inplace):
        shape, dims = shape_and_dims(draw)
        return Case(values(draw, shape), dims, draw(st.integers(0, 2)), draw(st.booleans()))

    def m_c2c(draw, inplace):
        shape, dims = shape_and_dims(draw, min_dims=0)
        return Case(complex_values(draw, shape), dims, draw(st.integers(0, 2)),
                    draw(st.booleans()))

    def m_c2r(draw, inplace):
        shape, dims = shape_and_dims(draw)
        m = shape[dims[-1]]
        n = draw(st.sampled_from([1] if m == 1 else [2 * (m - 1), 2 * m - 1]))
        return Case(complex_values(draw, shape), dims, draw(st.integers(0, 2)), n)

    def m_conj(draw, inplace):
        shape = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
        return Case(complex_values(draw, shape))

    return {"aten::_fft_r2c": m_r2c, "aten::_fft_c2c": m_c2c, "aten::_fft_c2r": m_c2r,
            "aten::_conj_copy": m_conj}
