"""Memory formats: ``torch.contiguous_format``, ``torch.channels_last`` and friends.

A memory format names an order of a tensor's dims in memory. ``contiguous_format`` is the
logical order (row-major); ``channels_last`` lays a 4-d NCHW tensor out as NHWC
(``channels_last_3d``: NCDHW as NDHWC); ``preserve_format`` keeps the input's own layout where
an op makes a copy. Schemas type them as ``MemoryFormat``; they travel as their names, which
is why ``memory_format`` is a ``str`` (PyTorch prints them as ``torch.<name>``).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = ["memory_format", "contiguous_format", "preserve_format", "channels_last",
           "channels_last_3d", "format_order", "is_in_format", "copy_in_format",
           "suggest_memory_format"]


class memory_format(str):
    """``torch.memory_format``: the layout a copy of a tensor is to have."""

    __slots__ = ()
    __module__ = "torch"

    def __repr__(self):
        return f"torch.{str.__str__(self)}"

    __str__ = __repr__


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")

# the dims of a channels-last tensor, outermost first, and the rank it needs
_ORDERS = {"channels_last": ((0, 2, 3, 1), 4), "channels_last_3d": ((0, 2, 3, 4, 1), 5)}


def format_order(fmt, ndim, name=None):
    """The dims of a tensor of rank ``ndim`` in ``fmt``, outermost first; None for the logical
    (row-major) order. A channels-last format on a tensor of another rank is PyTorch's
    RuntimeError; something that is no memory format, its TypeError (``name``: the function
    that took it)."""
    if fmt is None or fmt == "contiguous_format":
        return None
    if fmt in _ORDERS:
        order, rank = _ORDERS[fmt]
        if ndim != rank:
            raise RuntimeError(f"required rank {rank} tensor to use {str.__str__(fmt)} format. "
                               f"Hint: {str.__str__(fmt)} applies to {rank}-d tensors only "
                               "(e.g. a batch of images); keep contiguous_format for others.")
        return order
    if fmt == "preserve_format":
        raise ValueError("preserve_format names no order of its own")
    raise TypeError(f"{name or 'memory_format'}(): argument 'memory_format' must be "
                    f"torch.memory_format, not {type(fmt).__name__}")


def _dense_in_order(shape, strides, order):
    expected = 1
    for d in reversed(order):
        if shape[d] != 1 and strides[d] != expected:
            return False
        expected *= shape[d]
    return True


def is_in_format(a, fmt):
    """Whether array ``a`` is laid out densely in ``fmt`` (dims of size 1 do not count), as
    ``Tensor.is_contiguous(memory_format=fmt)`` asks; a channels-last format on a tensor of
    another rank answers False."""
    if fmt in _ORDERS:
        order, rank = _ORDERS[fmt]
        if a.ndim != rank:
            return False
        if a.size <= 1:
            return True
        isz = a.itemsize
        return _dense_in_order(a.shape, [s // isz for s in a.strides], order)
    if fmt is None or fmt in ("contiguous_format", "preserve_format"):
        return None          # (the caller answers the logical order itself)
    raise TypeError(f"is_contiguous(): argument 'memory_format' must be torch.memory_format, "
                    f"not {type(fmt).__name__}")


def copy_in_format(a, fmt, dtype=None, name=None):
    """A copy of array ``a`` (converted to ``dtype``) laid out densely in ``fmt``."""
    order = format_order(fmt, a.ndim, name)
    if order is None:
        return np.array(a, dtype=dtype, copy=True, order="C")
    out = np.empty(tuple(a.shape[d] for d in order), dtype if dtype is not None else a.dtype)
    out = out.transpose(np.argsort(order))
    np.copyto(out, a, casting="unsafe")
    return out


def _strides_like_channels_last(shape, strides, dims):
    """PyTorch's test of whether strides look channels-last: visiting C, then the spatial dims
    innermost first, then N, each stride is at least the extent of the dims before it."""
    if strides[1] == 0:
        return False
    least = 0
    for d in dims:
        if shape[d] == 0 or strides[d] < least:
            return False
        if d == 0 and least == strides[1]:
            return False
        least = strides[d] * (shape[d] if shape[d] > 1 else 1)
    return True


def suggest_memory_format(a):
    """The memory format whose layout array ``a``'s strides follow (PyTorch's
    ``suggest_memory_format``): a channels-last one for 4-d / 5-d arrays whose strides look
    like it, else ``contiguous_format``."""
    if a.ndim in (4, 5):
        isz = a.itemsize
        strides = [s // isz for s in a.strides]
        dims = (1, 3, 2, 0) if a.ndim == 4 else (1, 4, 3, 2, 0)
        if _strides_like_channels_last(a.shape, strides, dims):
            return channels_last if a.ndim == 4 else channels_last_3d
    return contiguous_format


def follow_channels_last(kernel, *positions, ranks=(4, 5)):
    """``kernel`` (numpy arrays in, fresh results out) with its results laid out channels-last
    when an input at ``positions`` of a rank in ``ranks`` is laid out that way, as PyTorch's
    convolution, pooling, normalisation, padding and upsampling kernels lay theirs out
    (``suggest_memory_format`` of the input)."""
    def channels_last_kernel(*args):
        r = kernel(*args)
        for i in positions:
            a = args[i]
            if a.__class__ is np.ndarray and a.ndim in ranks:
                fmt = suggest_memory_format(a)
                if fmt != "contiguous_format":
                    return _relaid(r, fmt)
        return r
    return channels_last_kernel


def _channels_last_strides(shape, order, itemsize):
    """PyTorch's strides of a dense tensor of ``shape`` in the dim ``order`` (a dim of size 0
    or 1 counts as one element long)."""
    strides, step = [0] * len(shape), itemsize
    for d in reversed(order):
        strides[d] = step
        step *= max(shape[d], 1)
    return tuple(strides)


def _relaid(r, fmt):
    if r.__class__ is tuple or r.__class__ is list:
        return r.__class__(_relaid(x, fmt) for x in r)
    order, rank = _ORDERS[fmt]
    if r.__class__ is not np.ndarray or r.ndim != rank:
        return r
    want = _channels_last_strides(r.shape, order, r.itemsize)
    if r.strides == want:
        return r
    if not is_in_format(r, fmt):
        r = copy_in_format(r, fmt)
        if r.strides == want:
            return r
    # (only strides of dims of size 1 differ: they never move in memory)
    return as_strided(r, r.shape, want)
