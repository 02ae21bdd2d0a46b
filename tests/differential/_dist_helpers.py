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


def compare_built(torch_mod, ours_mod, dt_, dk, props, methods, arg_of, rtol, atol):
    """The checks every family gets: shapes, flags, reprs and support, then each property of
    ``props`` and each method of ``methods`` (called with ``arg_of(M, name)``, or with no
    argument where that is None) with the same outcome and close values."""
    assert tuple(dk.batch_shape) == tuple(dt_.batch_shape)
    assert tuple(dk.event_shape) == tuple(dt_.event_shape)
    assert dk.has_rsample == dt_.has_rsample
    assert dk.has_enumerate_support == dt_.has_enumerate_support
    assert repr(dk) == repr(dt_)
    assert repr(dk.support) == repr(dt_.support)
    for prop in props:
        rt, rk = outcome(lambda: getattr(dt_, prop)), outcome(lambda: getattr(dk, prop))
        assert rk[0] == rt[0], (prop, rt, rk)
        if rt[0] == "ok":
            close(rk[1], rt[1], rtol, atol, prop)
    for meth in methods:
        def call(M, d, m=meth):
            a = arg_of(M, m)
            return getattr(d, m)() if a is None else getattr(d, m)(a)
        rt, rk = outcome(lambda: call(torch_mod, dt_)), outcome(lambda: call(ours_mod, dk))
        assert rk[0] == rt[0], (meth, rt, rk)
        if rt[0] == "ok":
            close(rk[1], rt[1], rtol, atol, meth)
