"""``torch.stft`` / ``torch.istft`` (and the Tensor methods) on tensorkeys and on real PyTorch
with the same inputs: values, shapes, dtypes, strides, float64 gradients through both, the
warnings and the error types and texts, over parametrized n_fft / hop_length / win_length /
center / pad_mode / normalized / onesided / batch.

Graph node names are not compared: PyTorch's core stft is one kernel with its own
decomposition, ours a composition of existing ops (see tensor/spectral.py).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402
from tensor import errors as tk_errors  # noqa: E402

pytestmark = pytest.mark.differential


def _arr(shape, dtype="float64", seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    if dtype.startswith("complex"):
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


def _both(a, grad=False):
    t = torch.from_numpy(np.array(a))
    k = tk.from_numpy(np.array(a))
    if grad:
        t.requires_grad_()
        k.requires_grad_()
    return t, k


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _tol(dtype):
    return (1e-5, 1e-5) if dtype in ("float32", "complex64") else (1e-10, 1e-10)


def _close(ours, theirs, dtype):
    rtol, atol = _tol(dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.stride()) == tuple(theirs.stride())
    np.testing.assert_allclose(_np(ours), _np(theirs), rtol=rtol, atol=atol)


def _window(kind, n, dtype):
    if kind is None:
        return None, None
    rng = np.random.default_rng(7)
    a = {"hann": np.hanning(n + 2)[1:-1] if n > 1 else np.ones(1),
         "rand": rng.uniform(0.5, 1.5, n)}[kind].astype(dtype)
    return _both(a)


def _raises_same(fk, ft, prefix_only=False):
    with pytest.raises(Exception) as et:
        ft()
    with pytest.raises(Exception) as ek:
        fk()
    assert type(ek.value) is type(et.value)
    want = str(et.value)
    if prefix_only:
        assert str(ek.value).startswith(want.split("\n")[0])
    else:
        assert str(ek.value) == want


# -- stft values ----------------------------------------------------------------------------
STFT_CASES = [c for c in itertools.product(
    [(24,), (3, 30)],                     # 1-d and batched
    [(8, None, None), (8, 3, 6), (16, 4, 16), (7, 2, 5)],   # n_fft, hop, win
    [True, False],                        # center
    ["reflect", "constant", "replicate", "circular"],
    [False, True],                        # normalized
    [None, False],                        # onesided
) if c[2] or c[3] == "reflect"]           # (pad_mode only matters when centred)


@pytest.mark.parametrize("shape,geo,center,pad_mode,normalized,onesided", STFT_CASES)
def test_stft_values(shape, geo, center, pad_mode, normalized, onesided):
    n_fft, hop, win = geo
    dtype = "float32" if len(shape) == 2 else "float64"
    t, k = _both(_arr(shape, dtype))
    wt, wk = _window("hann", win or n_fft, dtype)
    kw = dict(hop_length=hop, win_length=win, center=center, pad_mode=pad_mode,
              normalized=normalized, onesided=onesided, return_complex=True)
    _close(tk.stft(k, n_fft, window=wk, **kw), torch.stft(t, n_fft, window=wt, **kw), dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
@pytest.mark.parametrize("wdtype", [None, "float32", "float64", "complex128", "int64",
                                    "float16", "bool"])
def test_stft_dtypes(dtype, wdtype):
    t, k = _both(_arr((2, 20), dtype))
    if wdtype is None:
        wt = wk = None
    elif wdtype in ("int64", "bool"):
        wt, wk = _both((np.arange(1, 7) % 3).astype(wdtype))
    else:
        wt, wk = _both(_arr((6,), wdtype, seed=3))
    kw = dict(n_fft=8, hop_length=2, win_length=None if wdtype is None else 6,
              return_complex=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rt = torch.stft(t, window=wt, **kw)
        rk = tk.stft(k, window=wk, **kw)
    out_dtype = str(rt.dtype).replace("torch.", "")
    _close(rk, rt, "complex64" if out_dtype == "complex64" else "complex128")


def test_stft_return_complex_false_is_view_as_real():
    t, k = _both(_arr((3, 25)))
    wt, wk = _window("rand", 8, "float64")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rt = torch.stft(t, 8, window=wt, return_complex=False)
        rk = tk.stft(k, 8, window=wk, return_complex=False)
    _close(rk, rt, "float64")


def test_stft_complex_input_defaults_to_full_complex():
    t, k = _both(_arr((30,), "complex128"))
    wt, wk = _window("hann", 8, "float64")
    _close(tk.stft(k, 8, window=wk), torch.stft(t, 8, window=wt), "complex128")
    _close(tk.stft(k, 8, window=wk, center=False, return_complex=False),
           torch.stft(t, 8, window=wt, center=False, return_complex=False), "float64")


@pytest.mark.parametrize("win", [4, 5, 8])
def test_stft_align_to_window(win):
    t, k = _both(_arr((2, 21)))
    wt, wk = _window("rand", win, "float64")
    kw = dict(hop_length=3, win_length=win, center=False, align_to_window=True,
              return_complex=True)
    _close(tk.stft(k, 8, window=wk, **kw), torch.stft(t, 8, window=wt, **kw), "float64")


def test_stft_method_and_positional_forms():
    t, k = _both(_arr((26,)))
    wt, wk = _window("hann", 8, "float64")
    _close(k.stft(8, 2, 8, wk, False, "reflect", True, None, True),
           t.stft(8, 2, 8, wt, False, "reflect", True, None, True), "float64")
    _close(tk.stft(k, tk.tensor(8), window=wk, hop_length=tk.tensor(3), return_complex=True),
           torch.stft(t, torch.tensor(8), window=wt, hop_length=torch.tensor(3),
                      return_complex=True), "float64")


# -- stft gradients -------------------------------------------------------------------------
@pytest.mark.parametrize("geo", [(8, None, None), (8, 3, 6), (7, 2, 5)])
@pytest.mark.parametrize("center,pad_mode", [(True, "reflect"), (True, "constant"),
                                             (True, "replicate"), (False, "reflect")])
@pytest.mark.parametrize("normalized,onesided", [(False, None), (True, False)])
def test_stft_gradients(geo, center, pad_mode, normalized, onesided):
    n_fft, hop, win = geo
    t, k = _both(_arr((2, 23)), grad=True)
    wt, wk = _both(_arr((win or n_fft,), seed=5), grad=True)
    kw = dict(hop_length=hop, win_length=win, center=center, pad_mode=pad_mode,
              normalized=normalized, onesided=onesided, return_complex=True)
    lt = torch.view_as_real(torch.stft(t, n_fft, window=wt, **kw)).pow(2).sum()
    lk = tk.view_as_real(tk.stft(k, n_fft, window=wk, **kw)).pow(2).sum()
    np.testing.assert_allclose(lk.item(), lt.item(), rtol=1e-10)
    lt.backward()
    lk.backward()
    np.testing.assert_allclose(_np(k.grad), _np(t.grad), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(_np(wk.grad), _np(wt.grad), rtol=1e-10, atol=1e-10)


def test_stft_gradient_weighted_real_and_imag():
    """A loss that weighs the real and imaginary parts differently, so a wrong sign of the
    imaginary part of a gradient would show."""
    t, k = _both(_arr((29,)), grad=True)
    wt, wk = _window("hann", 8, "float64")
    c = _arr((5, 15, 2), seed=9)
    ct, ck = _both(c)
    lt = (torch.view_as_real(torch.stft(t, 8, window=wt, return_complex=True)) * ct).sum()
    lk = (tk.view_as_real(tk.stft(k, 8, window=wk, return_complex=True)) * ck).sum()
    lt.backward()
    lk.backward()
    np.testing.assert_allclose(_np(k.grad), _np(t.grad), rtol=1e-10, atol=1e-10)


# -- istft ----------------------------------------------------------------------------------
ISTFT_CASES = list(itertools.product(
    [(40,), (2, 37)],
    [(8, None, None, "hann"), (8, 2, 6, "hann"), (16, 4, 16, "rand"), (7, 3, 5, "rand"),
     (8, 4, None, None)],
    [True, False],            # center
    [False, True],            # normalized
    [None, "short", "long"],  # length
))


@pytest.mark.parametrize("shape,geo,center,normalized,length", ISTFT_CASES)
def test_istft_values_and_gradients(shape, geo, center, normalized, length):
    n_fft, hop, win, wkind = geo
    t, k = _both(_arr(shape), grad=True)
    wt, wk = _window(wkind, win or n_fft, "float64")
    n = {None: None, "short": shape[-1] - 5, "long": shape[-1] + 6}[length]
    kw = dict(hop_length=hop, win_length=win, center=center, normalized=normalized)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        St = torch.stft(t, n_fft, window=wt, return_complex=True, **kw)
        Sk = tk.stft(k, n_fft, window=wk, return_complex=True, **kw)
        try:
            yt = torch.istft(St, n_fft, window=wt, length=n, **kw)
        except RuntimeError as e:
            with pytest.raises(RuntimeError) as ek:
                tk.istft(Sk, n_fft, window=wk, length=n, **kw)
            assert str(ek.value) == str(e)
            return
        yk = tk.istft(Sk, n_fft, window=wk, length=n, **kw)
    _close(yk, yt, "float64")
    c = _arr(tuple(yt.shape), seed=11)
    ct, ck = _both(c)
    (yt * ct).sum().backward()
    (yk * ck).sum().backward()
    np.testing.assert_allclose(_np(k.grad), _np(t.grad), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("onesided", [None, False])
@pytest.mark.parametrize("return_complex", [False, True])
def test_istft_of_a_full_spectrum(onesided, return_complex):
    if return_complex and onesided is None:
        onesided = False
    Z = _arr((9, 6), "complex128", seed=2)           # n_fft=9, a full (non-Hermitian) grid
    t, k = _both(Z, grad=True)
    wt, wk = _window("hann", 9, "float64")
    kw = dict(n_fft=9, hop_length=3, onesided=onesided, return_complex=return_complex)
    yt = torch.istft(t, window=wt, **kw)
    yk = tk.istft(k, window=wk, **kw)
    _close(yk, yt, "complex128" if return_complex else "float64")
    c = _arr(tuple(yt.shape), seed=4)
    if return_complex:
        ct, ck = _both(c + 1j * _arr(tuple(yt.shape), seed=5))
        lt, lk = (torch.view_as_real(yt * ct)).sum(), (tk.view_as_real(yk * ck)).sum()
    else:
        ct, ck = _both(c)
        lt, lk = (yt * ct).sum(), (yk * ck).sum()
    lt.backward()
    lk.backward()
    np.testing.assert_allclose(_np(k.grad), _np(t.grad), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("wdtype", ["float32", "float64", "int64"])
def test_istft_dtypes(wdtype):
    t, k = _both(_arr((5, 9), "complex64"))
    wt, wk = _both(np.arange(1, 9).astype(wdtype))
    _close(tk.istft(k, 8, window=wk), torch.istft(t, 8, window=wt), "float32")
    _close(k.istft(8, 2, 8, wk, True, False, None, 12),
           t.istft(8, 2, 8, wt, True, False, None, 12), "float32")


def test_istft_complex_window_complex_output():
    Z = _arr((8, 6), "complex64")
    t, k = _both(Z)
    wt, wk = _both(_arr((8,), "complex64", seed=1) + 2)
    _close(tk.istft(k, 8, window=wk, return_complex=True),
           torch.istft(t, 8, window=wt, return_complex=True), "complex64")


def test_istft_length_zero_pads_the_tail_with_torchs_warning():
    x = _arr((30,))
    t, k = _both(x)
    wt, wk = _window("hann", 8, "float64")
    St = torch.stft(t, 8, window=wt, return_complex=True, center=False)
    Sk = tk.stft(k, 8, window=wk, return_complex=True, center=False)
    tk_errors._WARNED.discard("istft_length_padded")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        yk = tk.istft(Sk, 8, window=wk, center=False, length=40)
    yt = torch.istft(St, 8, window=wt, center=False, length=40)
    _close(yk, yt, "float64")
    assert [str(m.message) for m in w] == ["The length of signal is shorter than the length "
                                           "parameter. Result is being padded with zeros in "
                                           "the tail. Please check your center and "
                                           "hop_length settings."]


# -- warnings -------------------------------------------------------------------------------
def _torch_warning_text(fn):
    """The text of a warning PyTorch gives once per process: its kernels' message without
    the "(Triggered internally at ...)" suffix; produced in a subprocess so that an earlier
    call in this one does not hide it."""
    import subprocess
    import sys
    code = ("import warnings, torch\nwarnings.simplefilter('always')\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            f"    {fn}\n"
            "for m in w: print(repr(str(m.message).split(' (Triggered internally')[0]))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return [eval(line) for line in out.splitlines()]


@pytest.mark.parametrize("call,keys", [
    ("torch.stft(torch.randn(20), 8, return_complex=True)", ["stft_no_window"]),
    ("torch.stft(torch.randn(20), 8, window=torch.ones(8), return_complex=False)",
     ["stft_return_complex_false"]),
    ("torch.istft(torch.stft(torch.randn(20), 8, window=torch.ones(8), return_complex=True), 8)",
     ["istft_no_window"]),
])
def test_warnings_match_torch(call, keys):
    want = _torch_warning_text(call)
    for key in keys:
        tk_errors._WARNED.discard(key)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        eval(call, {"torch": tk})
    got = [str(m.message) for m in w]
    assert got == want
    with warnings.catch_warnings(record=True) as w:      # once per process, as PyTorch's
        warnings.simplefilter("always")
        eval(call, {"torch": tk})
    assert [str(m.message) for m in w] == []


# -- errors ---------------------------------------------------------------------------------
X20 = "M.randn(20)"
W8 = "M.ones(8)"
STFT_ERRORS = [
    f"M.stft({X20}, 8, window={W8})",
    f"M.stft({X20}, 30, window=M.ones(30), return_complex=True, center=False)",
    f"M.stft({X20}, 30, win_length=10, return_complex=True, center=False)",
    f"M.stft({X20}.to(M.complex128), 30, win_length=10, center=False)",
    f"M.stft({X20}, 0, return_complex=True, center=False)",
    f"M.stft({X20}, 8, hop_length=0, window={W8}, return_complex=True)",
    f"M.stft({X20}, 8, hop_length=-1, window={W8}, return_complex=True)",
    f"M.stft({X20}, 8, win_length=9, return_complex=True)",
    f"M.stft({X20}, 8, win_length=0, return_complex=True)",
    f"M.stft({X20}, 8, win_length=6, window={W8}, return_complex=True)",
    f"M.stft({X20}, 8, window=M.ones(2, 4), return_complex=True)",
    f"M.stft({X20}.double(), 8, window=M.ones(2, 4), return_complex=True)",
    f"M.stft(M.arange(20), 8, window={W8}, return_complex=True)",
    f"M.stft(M.arange(20).to(M.bool), 3, center=False, return_complex=True)",
    f"M.stft(M.arange(20).to(M.int16), 3, center=False, return_complex=True)",
    f"M.stft(M.arange(20).to(M.int32), 3, center=False)",
    f"M.stft({X20}.half(), 30, center=False, return_complex=True)",
    f"M.stft({X20}.half(), 3, hop_length=1, center=False, return_complex=True)",
    f"M.stft(M.randn(2, 3, 20), 8, window={W8}, return_complex=True)",
    f"M.stft(M.randn(2, 3, 20), 8, window={W8}, return_complex=True, center=False)",
    f"M.stft(M.randn(()), 8, window={W8}, return_complex=True, center=False)",
    f"M.stft(M.randn(()), 8, window={W8}, return_complex=True)",
    f"M.stft({X20}.to(M.complex64), 8, window={W8}, onesided=True)",
    f"M.stft({X20}, 8, window={W8}.to(M.complex64), onesided=True, return_complex=True)",
    f"M.stft({X20}, 8, window={W8}, return_complex=True, pad_mode='bogus')",
    f"M.stft({X20}, 8, window={W8}, return_complex=True, pad_mode=None)",
    f"M.stft({X20}, 8, window={W8}, return_complex=True, align_to_window=True)",
    f"M.stft(M.randn(3, 2), 4, window=M.ones(4), return_complex=True)",
    f"M.stft(M.randn(3, 0), 4, window=M.ones(4), return_complex=True)",
    f"M.stft(M.randn(0), 4, window=M.ones(4), return_complex=True, pad_mode='replicate')",
    f"M.stft(M.randn(3, 0), 3, center=False, return_complex=True)",
    f"M.stft({X20}[:5], 8, hop_length=2, win_length=4, window=M.ones(4), "
    "return_complex=True, center=False, align_to_window=True)",
    f"M.stft({X20}, 8, window={W8}, foo=3)",
    f"M.stft({X20})",
    f"M.stft({X20}, 8, 2, 8, {W8}, True, 'reflect', False, None, True, None, 3)",
    f"M.stft([1.0] * 20, 8, window={W8}, return_complex=True)",
    f"M.stft({X20}, '8', window={W8}, return_complex=True)",
    f"{X20}.stft(window={W8})",
]
STFT_TYPE_ERRORS = [
    f"M.stft({X20}, 8.0, window={W8}, return_complex=True)",
    f"M.stft({X20}, 8, 2.0, window={W8}, return_complex=True)",
    f"M.stft({X20}, 8, window=[1] * 8, return_complex=True)",
    f"M.stft({X20}, 8, window=(1, 2.0), return_complex=True)",
    f"M.stft({X20}, 8, window=[], return_complex=True)",
    f"M.stft({X20}, 8, window={W8}, return_complex=1)",
    f"M.stft({X20}, 8, window={W8}, return_complex=True, normalized=None)",
    f"M.stft({X20}, 8, window={W8}, return_complex=True, onesided=1)",
    f"M.stft({X20}, 8, window={W8}, hop_length=True, return_complex=True)",
    f"M.stft({X20}, 8, window={W8}, center=False, return_complex=np.bool_(True))",
    f"M.stft({X20}, 8, window={W8}, return_complex=True, center=False, align_to_window=1)",
]


def _run_both(expr):
    def run(M):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return eval(expr, {"M": M, "np": np})
    return (lambda: run(tk)), (lambda: run(torch))


@pytest.mark.parametrize("expr", STFT_ERRORS)
def test_stft_errors(expr):
    fk, ft = _run_both(expr)
    _raises_same(fk, ft)


@pytest.mark.parametrize("expr", STFT_TYPE_ERRORS)
def test_stft_type_errors(expr):
    """The prefix with the types got must agree; the rest of PyTorch's text (the two
    signatures and which arguments it marks) is compared whole as well."""
    fk, ft = _run_both(expr)
    _raises_same(fk, ft)


S_EXPR = "M.stft(M.from_numpy(np.arange(20.0, dtype=np.float32)), 8, window=M.ones(8), " \
         "return_complex=True)"
ISTFT_ERRORS = [
    f"M.istft({S_EXPR}, 8, window=M.hann_window(8), center=False)",
    f"M.istft({S_EXPR}, 8, window=M.hann_window(8), center=False, length=4)",
    f"M.istft(M.view_as_real({S_EXPR}), 8, window=M.ones(8))",
    f"M.istft({S_EXPR}[:, :0], 8, window=M.ones(8))",
    f"M.istft({S_EXPR}[0], 8, window=M.ones(8))",
    f"M.istft({S_EXPR}[None, None], 8, window=M.ones(8))",
    f"M.istft({S_EXPR}, 10, window=M.ones(8))",
    f"M.istft({S_EXPR}, 10, window=M.ones(8), onesided=False)",
    f"M.istft({S_EXPR}, 8, window=M.ones(8), onesided=False)",
    f"M.istft({S_EXPR}, 8, hop_length=9, window=M.ones(8))",
    f"M.istft({S_EXPR}, 8, hop_length=0, window=M.ones(8))",
    f"M.istft({S_EXPR}, 8, win_length=9, window=M.ones(8))",
    f"M.istft({S_EXPR}, 8, win_length=6, window=M.ones(8))",
    f"M.istft({S_EXPR}, 8, window=M.ones(8, 1))",
    f"M.istft({S_EXPR}, 8, window=M.ones(8), return_complex=True)",
    f"M.istft({S_EXPR}, 8, window=M.ones(8), return_complex=True, onesided=False)",
    f"M.istft({S_EXPR}, 8, hop_length=2, window=M.zeros(8))",
    f"M.istft({S_EXPR}, 8, hop_length=8, window=M.hann_window(8), center=False)",
    f"M.istft({S_EXPR}, 8, window=M.ones(8), length=-3)",
    f"M.istft({S_EXPR}, 8, window=M.ones(8), length=0)",
    f"M.istft(M.zeros(8, 3, dtype=M.complex64), 8, window=M.ones(8).to(M.complex64))",
    f"M.istft({S_EXPR}, 8, window=[1.0] * 8)",
    f"M.istft({S_EXPR}, 8.0, window=M.ones(8))",
    f"M.istft({S_EXPR}, 8, window=M.ones(8), length=2.0)",
    f"M.istft({S_EXPR}, 8, window=M.ones(8), center=None)",
    f"M.istft({S_EXPR}, 8, window=M.ones(8), center=1)",
    f"M.istft({S_EXPR}, 8, window=M.ones(8), return_complex=None)",
    f"M.istft({S_EXPR}, 8, window=M.ones(8), hop_length=True)",
    f"M.istft({S_EXPR}, 8, window=M.ones(8), center=np.bool_(True))",
    f"M.istft({S_EXPR}, 8, window=M.ones(8), foo=1)",
    f"M.istft({S_EXPR}, 8, window=M.ones(8), n_fft=8)",
    f"M.istft({S_EXPR})",
    "M.istft()",
    f"M.istft({S_EXPR}, 8, 2, 8, M.ones(8), True, False, None, None, False, 3)",
    "M.istft([1], 8, window=M.ones(8))",
    f"{S_EXPR}.istft(8, window=M.ones(8), center=1)",
    f"{S_EXPR}.istft(8.0, window=M.ones(8))",
    f"{S_EXPR}.istft(window=M.ones(8))",
]


@pytest.mark.parametrize("expr", ISTFT_ERRORS)
def test_istft_errors(expr):
    fk, ft = _run_both(expr)
    _raises_same(fk, ft)


@pytest.mark.parametrize("expr", [
    f"M.istft({S_EXPR}, 8, window=M.ones(8), center=False, length=-3)",
    f"M.istft({S_EXPR}, 8, window=M.ones(8), length=12)",
    f"M.istft({S_EXPR}, 8, window=M.ones(8), length=M.tensor(14))",
    f"M.istft({S_EXPR}, 8, window=M.ones(8), hop_length=np.int64(2))",
    f"M.stft(M.randn(0), 4, window=M.ones(4), return_complex=True, pad_mode='constant')",
    f"M.stft(M.randn(20), 8, window=M.ones(8), return_complex=True, center=False, "
    "pad_mode=3)",
    f"M.stft(M.randn(20), 8, window=M.ones(8), return_complex=True, center=0)",
    f"M.stft(M.randn(20), 30, window=M.ones(30), return_complex=True)",
])
def test_edge_cases_that_succeed(expr):
    fk, ft = _run_both(expr)
    rt, rk = ft(), fk()
    assert tuple(rk.shape) == tuple(rt.shape)
    assert str(rk.dtype) == str(rt.dtype)


@pytest.mark.parametrize("kw", [dict(win_length=5), dict(win_length=5, center=False),
                                dict(win_length=6, hop_length=3, normalized=True),
                                dict(hop_length=3)])
def test_no_window_is_a_centred_rectangle(kw):
    """No window: ones over ``win_length`` points, centred in ``n_fft``, for both
    transforms (values, gradients, or the same NOLA error)."""
    t, k = _both(_arr((2, 30)), grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        St = torch.stft(t, 8, return_complex=True, **kw)
        Sk = tk.stft(k, 8, return_complex=True, **kw)
        _close(Sk, St, "complex128")
        try:
            yt = torch.istft(St, 8, **kw)
        except RuntimeError as e:
            with pytest.raises(RuntimeError) as ek:
                tk.istft(Sk, 8, **kw)
            assert str(ek.value) == str(e)
            return
        yk = tk.istft(Sk, 8, **kw)
    _close(yk, yt, "float64")
    c = _arr(tuple(yt.shape), seed=3)
    (yt * torch.from_numpy(c)).sum().backward()
    (yk * tk.from_numpy(c)).sum().backward()
    np.testing.assert_allclose(_np(k.grad), _np(t.grad), rtol=1e-10, atol=1e-10)
