"""``tensor.stft`` / ``tensor.istft`` without PyTorch: shapes and dtypes from the documented
rules, values against the windowed DFT of each frame written out from its definition,
the inverse reconstructing the signal for windows that satisfy the overlap-add condition,
gradients against finite differences (gradcheck, gradgradcheck), and the errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tensor
from tensor import errors


def _t(a):
    return tensor.from_numpy(np.array(a))


def _hann(n):
    """The periodic Hann window: its squares overlap-add to a constant for hop = n / 4."""
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)


def _stft_by_definition(x, n_fft, hop, window, center, onesided, normalized):
    """Each frame times the window, through the DFT matrix; (freqs, frames)."""
    if center:
        p = n_fft // 2
        x = np.pad(x, (p, p), mode="reflect")
    n_frames = 1 + (len(x) - n_fft) // hop
    frames = np.stack([x[t * hop:t * hop + n_fft] * window for t in range(n_frames)])
    k = np.arange(n_fft)
    dft = np.exp(-2j * np.pi * np.outer(k, k) / n_fft)
    out = frames @ dft.T
    if normalized:
        out = out / np.sqrt(n_fft)
    if onesided:
        out = out[:, :n_fft // 2 + 1]
    return out.T


@st.composite
def stft_args(draw):
    n_fft = draw(st.integers(2, 12))
    hop = draw(st.integers(1, n_fft))
    win = draw(st.integers(1, n_fft))
    center = draw(st.booleans())
    lo = n_fft if not center else n_fft // 2 + 1
    length = draw(st.integers(lo, 40))
    batch = draw(st.sampled_from([None, 1, 3]))
    seed = draw(st.integers(0, 2 ** 16))
    return n_fft, hop, win, center, length, batch, seed


@settings(max_examples=60, deadline=None)
@given(stft_args(), st.booleans(), st.sampled_from([None, False]))
def test_stft_matches_the_definition(args, normalized, onesided):
    n_fft, hop, win, center, length, batch, seed = args
    rng = np.random.default_rng(seed)
    shape = (length,) if batch is None else (batch, length)
    x = rng.standard_normal(shape)
    w = rng.uniform(0.5, 1.5, win)
    left = (n_fft - win) // 2
    w_full = np.zeros(n_fft)
    w_full[left:left + win] = w
    out = tensor.stft(_t(x), n_fft, hop, win, _t(w), center, "reflect", normalized, onesided,
                      return_complex=True)
    rows = [x] if batch is None else list(x)
    want = np.stack([_stft_by_definition(r, n_fft, hop, w_full, center, onesided is None,
                                         normalized) for r in rows])
    if batch is None:
        want = want[0]
    assert out.dtype is tensor.complex128
    assert tuple(out.shape) == want.shape
    padded = length + 2 * (n_fft // 2) if center else length
    n_frames = 1 + (padded - n_fft) // hop
    assert out.shape[-1] == n_frames
    assert out.shape[-2] == (n_fft // 2 + 1 if onesided is None else n_fft)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-10, atol=1e-10)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([4, 8, 12, 16]), st.booleans(), st.sampled_from([None, 2]),
       st.integers(0, 2 ** 16), st.booleans())
def test_istft_inverts_stft_for_an_ola_window(n_fft, center, batch, seed, normalized):
    """With the periodic Hann window and hop = n_fft / 4 the envelope never vanishes in the
    interior, so istft(stft(x)) gives x back (all of it when centred)."""
    rng = np.random.default_rng(seed)
    n = 3 * n_fft + int(rng.integers(0, n_fft))
    x = rng.standard_normal((n,) if batch is None else (batch, n))
    hop = n_fft // 4
    w = _t(_hann(n_fft))
    S = tensor.stft(_t(x), n_fft, hop, window=w, center=center, normalized=normalized,
                    return_complex=True)
    if center:
        y = tensor.istft(S, n_fft, hop, window=w, center=True, normalized=normalized, length=n)
        np.testing.assert_allclose(y.numpy(), x, rtol=1e-9, atol=1e-9)
    else:
        # not centred: the first sample is under a zero of the window, so skip it when
        # reconstructing; use the rectangular window instead
        ones = _t(np.ones(n_fft))
        S = tensor.stft(_t(x), n_fft, hop, window=ones, center=False, normalized=normalized,
                        return_complex=True)
        y = tensor.istft(S, n_fft, hop, window=ones, center=False, normalized=normalized)
        covered = n_fft + hop * (S.shape[-1] - 1)
        assert y.shape[-1] == covered
        np.testing.assert_allclose(y.numpy(), x[..., :covered], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("win", [4, 6, 8])
def test_istft_inverts_a_short_window(win):
    x = np.random.default_rng(1).standard_normal(37)
    w = _t(np.ones(win))
    S = tensor.stft(_t(x), 8, 2, win, w, return_complex=True)
    y = tensor.istft(S, 8, 2, win, w, length=37)
    np.testing.assert_allclose(y.numpy(), x, rtol=1e-10, atol=1e-10)


def test_istft_of_a_full_spectrum_and_complex_output():
    x = np.random.default_rng(2).standard_normal(30) + 0j
    w = _t(_hann(8) + 0.1)
    S = tensor.stft(_t(x), 8, 2, window=w)                 # complex input: full spectrum
    assert S.shape == (8, 16)
    y = tensor.istft(S, 8, 2, window=w, length=30, return_complex=True)
    assert y.dtype is tensor.complex128
    np.testing.assert_allclose(y.numpy(), x, rtol=1e-10, atol=1e-10)
    y = tensor.istft(S, 8, 2, window=w, length=30, onesided=False)   # real: the half used
    assert y.dtype is tensor.float64
    np.testing.assert_allclose(y.numpy(), x.real, rtol=1e-10, atol=1e-10)


def test_return_complex_false_is_the_real_view_with_the_deprecation_warning():
    x = _t(np.arange(20.0))
    w = _t(np.ones(8))
    errors._WARNED.discard("stft_return_complex_false")
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        r = tensor.stft(x, 8, window=w, return_complex=False)
    assert len(got) == 1 and "return_complex=False is deprecated" in str(got[0].message)
    c = tensor.stft(x, 8, window=w, return_complex=True)
    assert r.shape == (5, 11, 2) and r.dtype is tensor.float64
    np.testing.assert_array_equal(r.numpy(), tensor.view_as_real(c).numpy())


def test_method_forms():
    x = _t(np.random.default_rng(3).standard_normal(25))
    w = _t(_hann(8))
    a = x.stft(8, 2, window=w, return_complex=True)
    b = tensor.stft(x, 8, 2, window=w, return_complex=True)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(a.istft(8, 2, window=w, length=25).numpy(),
                                  tensor.istft(b, 8, 2, window=w, length=25).numpy())


@pytest.mark.parametrize("center,win", [(True, 6), (False, 8)])
def test_gradcheck_through_stft_and_istft(center, win):
    rng = np.random.default_rng(4)
    x = _t(rng.standard_normal((2, 14))).requires_grad_()
    w = _t(rng.uniform(0.5, 1.5, win)).requires_grad_()

    def f(x, w):
        S = tensor.stft(x, 8, 3, win, w, center=center, return_complex=True)
        return tensor.view_as_real(S)

    def g(x, w):
        S = tensor.stft(x, 8, 3, win, w, center=center, return_complex=True)
        return tensor.istft(S, 8, 3, win, w, center=center, length=10)

    assert tensor.autograd.gradcheck(f, (x, w))
    assert tensor.autograd.gradgradcheck(f, (x, w))
    assert tensor.autograd.gradcheck(g, (x, w))


def test_nola_error():
    S = tensor.stft(_t(np.arange(20.0)), 8, window=_t(np.ones(8)), return_complex=True)
    with pytest.raises(RuntimeError, match="window overlap add min: 1"):
        tensor.istft(S, 8, window=_t(_hann(8)), center=False)
    with pytest.raises(RuntimeError, match="window overlap add min"):
        tensor.istft(S, 8, hop_length=2, window=_t(np.zeros(8)))


def test_real_input_needs_return_complex():
    with pytest.raises(RuntimeError, match="^stft requires the return_complex parameter be "
                                           "given for real inputs"):
        tensor.stft(_t(np.zeros(20)), 8, window=_t(np.ones(8)))


def test_istft_refuses_real_input():
    with pytest.raises(RuntimeError, match="^istft requires a complex-valued input tensor"):
        tensor.istft(_t(np.zeros((5, 11))), 8, window=_t(np.ones(8)))
