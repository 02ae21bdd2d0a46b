"""``torch.stft`` and ``torch.istft`` (and the ``Tensor`` methods of the same names): the
short-time Fourier transform and its inverse, built from ops that already have gradients,
so autograd needs nothing of its own here.

``stft`` follows PyTorch's two layers: the Python function pads a centred signal with
``nn.functional.pad`` (viewed as a 3-d tensor, as PyTorch does), then the core checks its
arguments (PyTorch's overloaded-binding TypeError for a wrongly typed one), pads a short
window to ``n_fft`` on both sides, cuts the signal into frames (``unfold``, a strided view),
multiplies them by the window and transforms each frame with ``_fft_r2c`` (one-sided or
full) or ``_fft_c2c``; the frequency dim is moved before the frame dim by a transpose.

``istft`` transforms every frame back (``_fft_c2r`` or ``_fft_c2c``), multiplies it by the
window, adds the overlapping frames together with ``unfold_backward`` (the overlap-add; its
gradient is ``unfold``), divides by the overlap-added squared window (the envelope) after
trimming the centre padding, refusing an envelope that comes near zero (the NOLA
condition), and zero-pads to ``length`` when asked for more than there is.

Differences from PyTorch: graph node names are those of this composition (PyTorch's core
``stft`` is one kernel whose graph shows its own decomposition); an empty batch is
transformed to an empty result where PyTorch's MKL build raises a "DFTI ERROR"; the
wrong-type TypeError of ``stft`` marks the arguments after ``n_fft`` as PyTorch's parser
was seen to, not by re-deriving its rule.
"""

from __future__ import annotations

import numpy as np

from ._tensor import Tensor
from .errors import warn_once
from .opdefs import fft as _ops
from .opdefs.nn_layers import constant_pad_nd as _const_pad

__all__ = ["stft", "istft"]

_r2c, _c2r, _c2c = _ops.fft_r2c, _ops.fft_c2r, _ops.fft_c2c

_NO_WINDOW_STFT = (
    "A window was not provided. A rectangular window will be applied,which is known to cause "
    "spectral leakage. Other windows such as torch.hann_window or torch.hamming_window are "
    "recommended to reduce spectral leakage.To suppress this warning and use a rectangular "
    "window, explicitly set `window=torch.ones(n_fft, device=<device>)`.")
_NO_WINDOW_ISTFT = (
    "A window was not provided. A rectangular window will be applied.Please provide the same "
    "window used by stft to make the inversion lossless.To suppress this warning and use a "
    "rectangular window, explicitly set `window=torch.ones(n_fft, device=<device>)`.")
_REAL_OUTPUT_DEPRECATED = (
    "stft with return_complex=False is deprecated. In a future pytorch release, stft will "
    "return complex tensors for all inputs, and return_complex=False will raise an error.\n"
    "Note: you can still call torch.view_as_real on the complex output to recover the old "
    "return format.")
_LENGTH_PADDED = (
    "The length of signal is shorter than the length parameter. Result is being padded with "
    "zeros in the tail. Please check your center and hop_length settings.")
_NEEDS_RETURN_COMPLEX = (
    "stft requires the return_complex parameter be given for real inputs, and will further "
    "require that return_complex=True in a future PyTorch release.")
_ONESIDED_COMPLEX = "Cannot have onesided output if window or input is complex"

# the names PyTorch's C++ ``toString()`` gives tensors in these messages (observed)
_TYPE_STRING = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
                "float16": "torch.HalfTensor", "int64": "torch.LongTensor",
                "int32": "torch.IntTensor", "int16": "torch.ShortTensor",
                "int8": "torch.CharTensor", "uint8": "torch.ByteTensor",
                "bool": "CPUBoolType", "complex64": "CPUComplexFloatType",
                "complex128": "CPUComplexDoubleType"}
_FFT_DTYPES = {np.dtype(t) for t in (np.float32, np.float64, np.complex64, np.complex128)}

_STFT_SIGNATURES = (
    '(Tensor input, int n_fft, int hop_length = None, int win_length = None, Tensor window = '
    'None, bool center = True, str pad_mode = "reflect", bool normalized = False, bool '
    'onesided = None, bool return_complex = None, bool align_to_window = None)',
    '(Tensor input, int n_fft, int hop_length = None, int win_length = None, Tensor window = '
    'None, bool normalized = False, bool onesided = None, bool return_complex = None, bool '
    'align_to_window = None)')


# -- argument checks, as PyTorch's C++ bindings make them ----------------------------------
def _type_name(v, detailed=False):
    if isinstance(v, Tensor):
        return "Tensor"
    if detailed and type(v) in (list, tuple):    # the marked list names element types too
        inner = ", ".join(_type_name(e) for e in v)
        return f"list of [{inner}]" if type(v) is list else f"tuple of ({inner})"
    t = type(v)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"


def _is_int(v):
    if isinstance(v, (bool, np.bool_)):
        return False
    if isinstance(v, (int, np.integer)):
        return True
    return isinstance(v, Tensor) and v._data.size == 1 and v._data.dtype.kind in "iu"


def _to_int(v):
    return None if v is None else int(v._data.reshape(-1)[0]) if isinstance(v, Tensor) \
        else int(v)


def _check_stft_args(args):
    """The types the core ``stft`` binding accepts, positionally: ``args`` are (input,
    n_fft, hop_length, win_length, window, normalized, onesided, return_complex,
    align_to_window). A mismatch raises PyTorch's "invalid combination" TypeError."""
    ok = [isinstance(args[0], Tensor), _is_int(args[1]),
          args[2] is None or _is_int(args[2]), args[3] is None or _is_int(args[3]),
          args[4] is None or isinstance(args[4], Tensor), type(args[5]) is bool]
    ok += [v is None or type(v) is bool for v in args[6:]]
    if all(ok):
        return
    got = ", ".join(_type_name(v) for v in args)
    marked = ", ".join(_type_name(v) if (i < 2 and ok[i]) else f"!{_type_name(v, True)}!"
                       for i, v in enumerate(args))
    raise TypeError(f"stft() received an invalid combination of arguments - got ({got}), but "
                    f"expected one of:\n * {_STFT_SIGNATURES[0]}\n * {_STFT_SIGNATURES[1]}\n"
                    f"      didn't match because some of the arguments have invalid types: "
                    f"({marked})\n")


_ISTFT_PARAMS = (("input", "tensor"), ("n_fft", "int"), ("hop_length", "int?"),
                 ("win_length", "int?"), ("window", "tensor?"), ("center", "bool"),
                 ("normalized", "bool"), ("onesided", "bool?"), ("length", "int?"),
                 ("return_complex", "bool"))


def _parse_istft(args, kwargs):
    """``istft``'s binding (a single signature): PyTorch's TypeErrors, by name and
    position."""
    names = [p[0] for p in _ISTFT_PARAMS]
    if len(args) > len(names):
        raise TypeError(f"istft() takes from 2 to {len(names)} positional arguments but "
                        f"{len(args)} were given")
    given = {names[i]: (v, i + 1) for i, v in enumerate(args)}
    for k, v in kwargs.items():
        if k not in names:
            raise TypeError(f"istft() got an unexpected keyword argument '{k}'")
        if k in given:
            raise TypeError(f"istft() got multiple values for argument '{k}'")
        given[k] = (v, None)
    missing = [n for n in names[:2] if n not in given]
    if missing:
        noun = "argument" if len(missing) == 2 else "arguments"
        raise TypeError(f"istft() missing {len(missing)} required positional {noun}: "
                        + ", ".join(f'"{n}"' for n in missing))
    vals = {"hop_length": None, "win_length": None, "window": None, "center": True,
            "normalized": False, "onesided": None, "length": None, "return_complex": False}
    for name, kind in _ISTFT_PARAMS:
        if name not in given:
            continue
        v, pos = given[name]
        where = f" (position {pos})" if pos else ""
        base = kind.rstrip("?")
        if v is None and kind.endswith("?"):
            vals[name] = None
            continue
        if base == "tensor":
            good = isinstance(v, Tensor)
        elif base == "int":
            good = _is_int(v)
            v = _to_int(v) if good else v
        else:
            good = type(v) is bool
        if not good:
            want = {"tensor": "Tensor", "int": "int", "bool": "bool"}[base]
            raise TypeError(f"istft(): argument '{name}'{where} must be {want}, not "
                            f"{_type_name(v)}")
        vals[name] = v
    return vals


def _tensor_string(t):
    return _TYPE_STRING.get(t._data.dtype.name, "Tensor")


def _sizes(t):
    return "[" + ", ".join(str(s) for s in t.shape) + "]"


def _opt(v):
    return "None" if v is None else str(int(v))


def _window_string(window):
    if window is None:
        return "None"
    return f"{_tensor_string(window)}{{{_sizes(window)}}}"


def _fft_dtype_check(t):
    if t._data.dtype not in _FFT_DTYPES:
        raise RuntimeError(f"MKL FFT doesn't support tensors of type: {t.dtype.short}")


def _padded_window(window, n_fft, win_length, dtype):
    """The window centred in ``n_fft`` points (zeros either side, the extra one on the
    right); ones when none is given."""
    if window is None:
        from .opdefs.factories import ones
        window = ones((win_length,), dtype=dtype)
    left = (n_fft - win_length) // 2
    return _const_pad(window, [left, n_fft - win_length - left])


# -- stft ----------------------------------------------------------------------------------
def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True,
         pad_mode="reflect", normalized=False, onesided=None, return_complex=None,
         align_to_window=None):
    """``torch.stft``: the Fourier transforms of ``n_fft``-point frames of ``input`` (1-d,
    or 2-d with a batch dim), taken every ``hop_length`` points, each multiplied by
    ``window`` (``win_length`` points, centred in the frame). The result is
    ``(batch?, freqs, frames)`` complex, or its ``view_as_real`` for
    ``return_complex=False``."""
    if center and align_to_window is not None:
        raise RuntimeError("stft align_to_window should only be set when center = false")
    if center:
        signal_dim = input.dim()
        extended = [1] * (3 - signal_dim) + list(input.size())
        pad = int(n_fft // 2)
        padded = input.view(extended)
        if not isinstance(pad_mode, str):
            raise TypeError(f"pad(): argument 'mode' (position 3) must be str, not "
                            f"{_type_name(pad_mode)}")
        if pad_mode in ("reflect", "replicate") and 0 in list(padded.shape)[1:]:
            raise RuntimeError("Expected 2D or 3D (batch mode) tensor with possibly 0 batch "
                               "size and other non-zero dimensions for input, but got: "
                               f"{list(padded.shape)}")
        from .nn_functional import pad as _pad
        padded = _pad(padded, [pad, pad], pad_mode)
        input = padded.view(padded.shape[-signal_dim:])
    return _stft_core(input, n_fft, hop_length, win_length, window, normalized, onesided,
                      return_complex, align_to_window)


def _stft_core(input, n_fft, hop_length, win_length, window, normalized, onesided,
               return_complex, align_to_window):
    _check_stft_args((input, n_fft, hop_length, win_length, window, normalized, onesided,
                      return_complex, align_to_window))
    n_fft = _to_int(n_fft)
    if window is None:
        warn_once("stft_no_window", _NO_WINDOW_STFT)
    is_complex = input.dtype.is_complex or (window is not None and window.dtype.is_complex)
    as_complex = is_complex if return_complex is None else return_complex
    if not as_complex:
        if return_complex is None:
            raise RuntimeError(_NEEDS_RETURN_COMPLEX)
        warn_once("stft_return_complex_false", _REAL_OUTPUT_DEPRECATED)
    hop = n_fft >> 2 if hop_length is None else _to_int(hop_length)
    win = n_fft if win_length is None else _to_int(win_length)
    head = (f"stft({_tensor_string(input)}{_sizes(input)}, n_fft={n_fft}, hop_length={hop}, "
            f"win_length={win}, window={_window_string(window)}, normalized={int(normalized)}, "
            f"onesided={_opt(onesided)}, return_complex={_opt(return_complex)}, "
            f"align_to_window={_opt(align_to_window)}) : ")
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(head + "expected a tensor of floating point or complex values")
    if input.dim() not in (1, 2):
        raise RuntimeError(head + "expected a 1D or 2D tensor")
    x = input.unsqueeze(0) if input.dim() == 1 else input
    length = x.shape[1]
    if n_fft <= 0 or n_fft > length:
        raise RuntimeError(head + f"expected 0 < n_fft < {length}, but got n_fft={win}")
    if hop <= 0:
        raise RuntimeError(head + f"expected hop_length > 0, but got hop_length={hop}")
    if win <= 0 or win > n_fft:
        raise RuntimeError(head + f"expected 0 < win_length <= n_fft, but got win_length={win}")
    if window is not None and (window.dim() != 1 or window.shape[0] != win):
        raise RuntimeError(head + f"expected a 1D window tensor of size equal to win_length="
                           f"{win}, but got window with size {_sizes(window)}")
    w = window
    if win < n_fft:
        w = _padded_window(window, n_fft, win, input.dtype)
        if align_to_window:
            # frames start where the window does: the signal gets the window's zero margins
            left = (n_fft - win) // 2
            x = _const_pad(x, [left, n_fft - win - left])
    frames = x.unfold(-1, n_fft, hop)                  # (batch, n_frames, n_fft), a view
    if w is not None:
        frames = frames * w
    _fft_dtype_check(frames)
    complex_fft = frames.dtype.is_complex
    if onesided is None:
        onesided = not complex_fft
    code = 1 if normalized else 0
    if complex_fft:
        if onesided:
            raise RuntimeError(_ONESIDED_COMPLEX)
        out = _c2c(frames, [2], code, True)
    else:
        out = _r2c(frames, [2], code, onesided)
    out = out.transpose(1, 2)
    if input.dim() == 1:
        out = out.squeeze(0)
    if as_complex:
        return out
    from .opdefs.complex_views import view_as_real
    return view_as_real(out)


# -- istft ---------------------------------------------------------------------------------
def istft(*args, **kwargs):
    """``torch.istft``: the inverse of :func:`stft` (least squares, Griffin and Lim): each
    frame transformed back and windowed, the frames overlap-added and divided by the
    overlap-added squared window. ``input`` is complex, ``(batch?, freqs, frames)``."""
    a = _parse_istft(args, kwargs)
    return _istft(**a)


def _istft(input, n_fft, hop_length, win_length, window, center, normalized, onesided,
           length, return_complex):
    if window is None:
        warn_once("istft_no_window", _NO_WINDOW_ISTFT)
    hop = n_fft >> 2 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    if not input.dtype.is_complex:
        raise RuntimeError("istft requires a complex-valued input tensor matching the output "
                           "from stft with return_complex=True.")
    from .opdefs.complex_views import view_as_real
    real = view_as_real(input)
    input_dim = real.dim()
    n_frames = real.size(-2)
    fft_size = real.size(-3)
    expected_len = n_fft + hop * (n_frames - 1)
    head = (f"istft({_tensor_string(input)}{_sizes(input)}, n_fft={n_fft}, hop_length={hop}, "
            f"win_length={win}, window={_window_string(window)}, center={int(center)}, "
            f"normalized={int(normalized)}, onesided={_opt(onesided)}, length={_opt(length)}, "
            f"return_complex={int(return_complex)}) ")
    if input.numel() == 0:
        raise RuntimeError(head + ": input tensor cannot be empty.")
    if input_dim not in (3, 4):
        raise RuntimeError(head + f": expected a tensor with 3 or 4 dimensions, but got "
                           f"{input_dim}")
    if onesided is None:
        onesided = fft_size != n_fft
    if onesided:
        if n_fft // 2 + 1 != fft_size:
            raise RuntimeError(head + ": expected the frequency dimension (3rd to the last) of "
                               "the input tensor to match n_fft / 2 + 1 when onesided=True, "
                               f"but got {fft_size}")
    elif n_fft != fft_size:
        raise RuntimeError(head + ": expected the frequency dimension (3rd to the last) of the "
                           f"input tensor to match n_fft when onesided=False, but got "
                           f"{fft_size}")
    if not 0 < hop <= win:
        raise RuntimeError(head + ": expected 0 < hop_length <= win_length")
    if not 0 < win <= n_fft:
        raise RuntimeError(head + ": expected 0 < win_length <= n_fft")
    if window is not None and (window.dim() != 1 or window.shape[0] != win):
        raise RuntimeError(head + ": Invalid window shape. window has to be 1D and length of "
                           "`win_length`")
    if window is None or win != n_fft:
        w = _padded_window(window, n_fft, win, real.dtype)
    else:
        w = window
    z = input.unsqueeze(0) if input_dim == 3 else input
    z = z.transpose(1, 2)                              # (batch, n_frames, fft_size)
    code = 1 if normalized else 2
    if return_complex:
        if onesided:
            raise RuntimeError(_ONESIDED_COMPLEX)
        _fft_dtype_check(z)
        frames = _c2c(z, [2], code, False)
    else:
        if window is not None and window.dtype.is_complex:
            raise RuntimeError("Complex windows are incompatible with return_complex=False")
        if not onesided:
            z = z.narrow(-1, 0, n_fft // 2 + 1)
        _fft_dtype_check(z)
        frames = _c2r(z, [2], code, n_fft)             # (batch, n_frames, n_fft)
    frames = frames * w.view(1, 1, n_fft)
    from .opdefs.backward_ops import unfold_backward
    y = unfold_backward(frames, [frames.shape[0], expected_len], 1, n_fft, hop)
    envelope = unfold_backward(w.pow(2).expand(1, n_frames, n_fft), [1, expected_len], 1,
                               n_fft, hop)
    start = n_fft // 2 if center else 0
    if length is not None:
        end = start + length
    elif center:
        end = -(n_fft // 2)
    else:
        end = expected_len
    y = y[:, start:end]
    envelope = envelope[:, start:end]
    if bool(envelope.abs().min().lt(1e-11)):
        raise RuntimeError(head + "window overlap add min: 1\n[ CPUBoolType{} ]")
    y = y / envelope
    if input_dim == 3:
        y = y.squeeze(0)
    if end > expected_len:
        warn_once("istft_length_padded", _LENGTH_PADDED)
        y = _const_pad(y, [0, end - expected_len])
    return y


# -- the Tensor methods: PyTorch's pass their arguments on positionally --------------------
def _tensor_stft(self, n_fft, hop_length=None, win_length=None, window=None, center=True,
                 pad_mode="reflect", normalized=False, onesided=None, return_complex=None,
                 align_to_window=None):
    """``Tensor.stft``: see :func:`stft`."""
    return stft(self, n_fft, hop_length, win_length, window, center, pad_mode, normalized,
                onesided, return_complex=return_complex, align_to_window=align_to_window)


def _tensor_istft(self, n_fft, hop_length=None, win_length=None, window=None, center=True,
                  normalized=False, onesided=None, length=None, return_complex=False):
    """``Tensor.istft``: see :func:`istft`."""
    return istft(self, n_fft, hop_length, win_length, window, center, normalized, onesided,
                 length, return_complex=return_complex)


_tensor_stft.__name__ = "stft"
_tensor_istft.__name__ = "istft"
_tensor_stft.__qualname__ = "Tensor.stft"
_tensor_istft.__qualname__ = "Tensor.istft"
Tensor.stft = _tensor_stft
Tensor.istft = _tensor_istft
