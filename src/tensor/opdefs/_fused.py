"""Fused multiply-add on numpy arrays.

PyTorch's CPU kernels compute ``x + y * z`` as one fused multiply-add (a single rounding) in
``add(alpha=)``, ``addcmul``, ``lerp`` and the optimizers' updates built on them; numpy has no
fma, so :func:`fma` emulates it: float32 and float16 through float64 (the product of two
float32 values is exact there), float64 with Dekker's exact product and an error-free sum.
"""

from __future__ import annotations

import numpy as np

_SPLIT = 134217729.0          # 2**27 + 1, Veltkamp's constant for splitting a float64


def _two_prod(a, b):
    """``a * b`` as ``p + e`` exactly (Dekker's product for float64)."""
    p = a * b
    ca = _SPLIT * a
    ahi = ca - (ca - a)
    alo = a - ahi
    cb = _SPLIT * b
    bhi = cb - (cb - b)
    blo = b - bhi
    e = ((ahi * bhi - p) + ahi * blo + alo * bhi) + alo * blo
    return p, e


def fma(a, b, c):
    """``a * b + c`` rounded once, in the dtype of the (array) operands."""
    dtype = np.result_type(a, b, c)
    if dtype == np.float32 or dtype == np.float16:
        wide = (np.asarray(a, np.float64) * np.asarray(b, np.float64)
                + np.asarray(c, np.float64))
        return wide.astype(dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        a, b, c = (np.asarray(v, dtype) for v in (a, b, c))
        p, e = _two_prod(a, b)
        s = p + c
        z = s - p
        err = (p - (s - z)) + (c - z)
        out = s + (err + e)
    # where the splitting is not exact (huge, tiny or non-finite values) use the plain form
    plain = a * b + c
    return np.where(np.isfinite(out) & (np.abs(p) < 1e300), out, plain)
