"""Parameter samplers and comparison helpers shared by the distribution audits
(``test_distributions_vs_torch.py`` and ``test_distributions_more_vs_torch.py``). pytest runs
with ``--import-mode=importlib``, so those files put this directory on ``sys.path`` first."""

from __future__ import annotations

import numpy as np


def pos(rng, shape, lo=0.3, hi=3.0):
    return rng.uniform(lo, hi, size=shape)


def real(rng, shape):
    return rng.uniform(-2.0, 2.0, size=shape)


def unit(rng, shape):
    return rng.uniform(0.05, 0.95, size=shape)


def spd(rng, shape, n=3):
    a = rng.normal(size=shape + (n, n))
    return a @ np.swapaxes(a, -1, -2) + np.eye(n)


def simplex(rng, shape):
    p = rng.uniform(0.1, 1.0, size=shape)
    return p / p.sum(-1, keepdims=True)


def outcome(fn):
    """``("ok", value)`` or ``("err", "<type>: <first line>")``: what the audits compare."""
    try:
        return "ok", fn()
    except Exception as e:  # noqa: BLE001 - the error is what we compare
        return "err", f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"


def close(a, b, rtol, atol, what):
    assert tuple(a.shape) == tuple(b.shape), what
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], what
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol,
                               equal_nan=True, err_msg=what)
