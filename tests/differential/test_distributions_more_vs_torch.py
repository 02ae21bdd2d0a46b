"""The distributions, transforms, constraint registries, KL pairs and submodule names added
in ``continuous_more``/``discrete_more``/``relaxed``/``lowrank``/``transforms_more`` side by
side with ``torch.distributions`` (skipped without torch).

Every family is built in both libraries from the same numpy arrays and compared on shapes,
reprs, supports, moments, scores, cdf/icdf, entropy, sample shapes/dtypes/supports,
``expand``, gradients of the scores (float64) and validation errors. Sample values differ by
design (our generator is numpy-based); their statistics are checked in the torch-free tests.
"""

from __future__ import annotations

import importlib
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402
import pathlib  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _dist_helpers import (  # noqa: E402
    close as _close, compare_built, outcome as _outcome, pos as _pos, real as _real,
    simplex as _simplex, spd as _spd, unit as _unit)

pytestmark = pytest.mark.differential


def _corr_cholesky(rng, shape, n=3):
    cov = _spd(rng, shape, n)
    d = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1))
    corr = cov / d[..., :, None] / d[..., None, :]
    return np.linalg.cholesky(corr)


def _ints(hi):
    return lambda r, b, p: r.integers(0, hi, size=b).astype(float)


# name -> (parameter maker(rng, batch) -> dict,
#          builder(D, T, params) -> distribution (T makes a library tensor from an array),
#          value maker(rng, batch, params) -> array in the support)
SPECS = {
    "HalfNormal": (lambda r, b: {"s": _pos(r, b)},
                   lambda D, T, p: D.HalfNormal(T(p["s"])), lambda r, b, p: _pos(r, b)),
    "HalfCauchy": (lambda r, b: {"s": _pos(r, b)},
                   lambda D, T, p: D.HalfCauchy(T(p["s"])), lambda r, b, p: _pos(r, b)),
    "Weibull": (lambda r, b: {"s": _pos(r, b), "k": _pos(r, b, 0.6, 3.0)},
                lambda D, T, p: D.Weibull(T(p["s"]), T(p["k"])), lambda r, b, p: _pos(r, b)),
    "Pareto": (lambda r, b: {"s": _pos(r, b, 0.3, 1.0), "a": _pos(r, b, 0.5, 4.0)},
               lambda D, T, p: D.Pareto(T(p["s"]), T(p["a"])),
               lambda r, b, p: _pos(r, b, 1.0, 4.0)),
    "Kumaraswamy": (lambda r, b: {"a": _pos(r, b, 0.5, 3.0), "b": _pos(r, b, 0.5, 3.0)},
                    lambda D, T, p: D.Kumaraswamy(T(p["a"]), T(p["b"])),
                    lambda r, b, p: _unit(r, b)),
    "InverseGamma": (lambda r, b: {"c": _pos(r, b, 0.5, 4.0), "rate": _pos(r, b)},
                     lambda D, T, p: D.InverseGamma(T(p["c"]), T(p["rate"])),
                     lambda r, b, p: _pos(r, b)),
    "FisherSnedecor": (lambda r, b: {"d1": _pos(r, b, 0.5, 8.0), "d2": _pos(r, b, 0.5, 8.0)},
                       lambda D, T, p: D.FisherSnedecor(T(p["d1"]), T(p["d2"])),
                       lambda r, b, p: _pos(r, b)),
    "VonMises": (lambda r, b: {"loc": _real(r, b), "k": _pos(r, b, 0.2, 6.0)},
                 lambda D, T, p: D.VonMises(T(p["loc"]), T(p["k"])),
                 lambda r, b, p: r.uniform(-math.pi, math.pi, size=b)),
    "ContinuousBernoulliProbs": (lambda r, b: {"p": _unit(r, b)},
                                 lambda D, T, p: D.ContinuousBernoulli(probs=T(p["p"])),
                                 lambda r, b, p: _unit(r, b)),
    "ContinuousBernoulliLogits": (lambda r, b: {"l": _real(r, b)},
                                  lambda D, T, p: D.ContinuousBernoulli(logits=T(p["l"])),
                                  lambda r, b, p: _unit(r, b)),
    "ContinuousBernoulliHalf": (lambda r, b: {"p": r.uniform(0.4995, 0.5005, size=b)},
                                lambda D, T, p: D.ContinuousBernoulli(probs=T(p["p"])),
                                lambda r, b, p: _unit(r, b)),
    "GeneralizedPareto": (lambda r, b: {"loc": _real(r, b), "s": _pos(r, b),
                                        "c": r.uniform(-0.4, 0.8, size=b)},
                          lambda D, T, p: D.GeneralizedPareto(T(p["loc"]), T(p["s"]), T(p["c"])),
                          lambda r, b, p: p["loc"] + p["s"] * _pos(r, b, 0.05, 2.0)),
    "NegativeBinomialProbs": (lambda r, b: {"n": _pos(r, b, 0.5, 5.0), "p": _unit(r, b)},
                              lambda D, T, p: D.NegativeBinomial(T(p["n"]), probs=T(p["p"])),
                              _ints(7)),
    "NegativeBinomialLogits": (lambda r, b: {"n": _pos(r, b, 0.5, 5.0), "l": _real(r, b)},
                               lambda D, T, p: D.NegativeBinomial(T(p["n"]), logits=T(p["l"])),
                               _ints(7)),
    "Multinomial": (lambda r, b: {"p": _pos(r, b + (3,))},
                    lambda D, T, p: D.Multinomial(4, probs=T(p["p"])),
                    lambda r, b, p: r.multinomial(4, [0.2, 0.3, 0.5], size=b).astype(float)),
    "MultinomialLogits": (lambda r, b: {"l": _real(r, b + (3,))},
                          lambda D, T, p: D.Multinomial(3, logits=T(p["l"])),
                          lambda r, b, p: r.multinomial(3, [0.4, 0.3, 0.3],
                                                        size=b).astype(float)),
    "LowRankMVN": (lambda r, b: {"loc": _real(r, b + (3,)), "W": _real(r, b + (3, 2)),
                                 "d": _pos(r, b + (3,))},
                   lambda D, T, p: D.LowRankMultivariateNormal(T(p["loc"]), T(p["W"]),
                                                               T(p["d"])),
                   lambda r, b, p: _real(r, b + (3,))),
    "LowRankMVNBroadcast": (lambda r, b: {"loc": _real(r, b + (3,)), "W": _real(r, (3, 1)),
                                          "d": _pos(r, (3,))},
                            lambda D, T, p: D.LowRankMultivariateNormal(T(p["loc"]), T(p["W"]),
                                                                        T(p["d"])),
                            lambda r, b, p: _real(r, b + (3,))),
    "RelaxedBernoulli": (lambda r, b: {"t": _pos(r, (), 0.3, 2.0), "p": _unit(r, b)},
                         lambda D, T, p: D.RelaxedBernoulli(T(p["t"]), probs=T(p["p"])),
                         lambda r, b, p: _unit(r, b)),
    "RelaxedBernoulliLogits": (lambda r, b: {"t": _pos(r, (), 0.3, 2.0), "l": _real(r, b)},
                               lambda D, T, p: D.RelaxedBernoulli(T(p["t"]), logits=T(p["l"])),
                               lambda r, b, p: _unit(r, b)),
    "RelaxedOneHotCategorical": (lambda r, b: {"t": _pos(r, (), 0.3, 2.0),
                                               "p": _pos(r, b + (3,))},
                                 lambda D, T, p: D.RelaxedOneHotCategorical(T(p["t"]),
                                                                            probs=T(p["p"])),
                                 lambda r, b, p: _simplex(r, b + (3,))),
    "LogisticNormal": (lambda r, b: {"loc": _real(r, b + (2,)), "s": _pos(r, b + (2,))},
                       lambda D, T, p: D.LogisticNormal(T(p["loc"]), T(p["s"])),
                       lambda r, b, p: _simplex(r, b + (3,))),
    "OneHotStraightThrough": (lambda r, b: {"p": _pos(r, b + (3,))},
                              lambda D, T, p: D.OneHotCategoricalStraightThrough(
                                  probs=T(p["p"])),
                              lambda r, b, p: np.eye(3)[r.integers(0, 3, size=b)]),
    "Wishart": (lambda r, b: {"df": _pos(r, b, 2.5, 8.0), "cov": _spd(r, b)},
                lambda D, T, p: D.Wishart(T(p["df"]), covariance_matrix=T(p["cov"])),
                lambda r, b, p: _spd(r, b)),
    "WishartTril": (lambda r, b: {"df": _pos(r, b, 3.5, 8.0),
                                  "L": np.linalg.cholesky(_spd(r, b))},
                    lambda D, T, p: D.Wishart(T(p["df"]), scale_tril=T(p["L"])),
                    lambda r, b, p: _spd(r, b)),
    "WishartPrecision": (lambda r, b: {"prec": _spd(r, b)},
                         lambda D, T, p: D.Wishart(4.5, precision_matrix=T(p["prec"])),
                         lambda r, b, p: _spd(r, b)),
    "LKJCholesky": (lambda r, b: {"c": _pos(r, b, 0.3, 4.0)},
                    lambda D, T, p: D.LKJCholesky(3, T(p["c"])),
                    lambda r, b, p: _corr_cholesky(r, b)),
    # TransformedDistributions through the new transforms.
    "Softplus": (lambda r, b: {"loc": _real(r, b), "s": _pos(r, b)},
                 lambda D, T, p: D.TransformedDistribution(D.Normal(T(p["loc"]), T(p["s"])),
                                                           D.SoftplusTransform()),
                 lambda r, b, p: _pos(r, b)),
    "Power": (lambda r, b: {"rate": _pos(r, b), "e": _pos(r, b, 0.5, 2.0)},
              lambda D, T, p: D.TransformedDistribution(D.Exponential(T(p["rate"])),
                                                        D.PowerTransform(T(p["e"]))),
              lambda r, b, p: _pos(r, b)),
    "StickBreaking": (lambda r, b: {"loc": _real(r, b + (3,)), "s": _pos(r, b + (3,))},
                      lambda D, T, p: D.TransformedDistribution(
                          D.Independent(D.Normal(T(p["loc"]), T(p["s"])), 1),
                          D.StickBreakingTransform()),
                      lambda r, b, p: _simplex(r, b + (4,))),
    "Reshape": (lambda r, b: {"loc": _real(r, b + (2, 3)), "s": _pos(r, b + (2, 3))},
                lambda D, T, p: D.TransformedDistribution(
                    D.Independent(D.Normal(T(p["loc"]), T(p["s"])), 2),
                    D.ReshapeTransform((2, 3), (6,))),
                lambda r, b, p: _real(r, b + (6,))),
    "CatExpAffine": (lambda r, b: {"loc": _real(r, b + (3,)), "s": _pos(r, b + (3,))},
                     lambda D, T, p: D.TransformedDistribution(
                         D.Normal(T(p["loc"]), T(p["s"])),
                         D.CatTransform([D.ExpTransform(), D.AffineTransform(1.0, 2.0)],
                                        dim=-1, lengths=[1, 2])),
                     lambda r, b, p: _pos(r, b + (3,))),
    "NormalCdf": (lambda r, b: {"loc": _real(r, b), "s": _pos(r, b)},
                  lambda D, T, p: D.TransformedDistribution(
                      D.Normal(T(p["loc"]), T(p["s"])),
                      D.CumulativeDistributionTransform(D.Normal(0.0, 1.0))),
                  lambda r, b, p: _unit(r, b)),
}

# Float32 tolerances of the families whose formulas cancel catastrophically (the continuous
# Bernoulli's moments near p = 1/2): one-ulp differences between libms grow there.
_F32_TOL = {"ContinuousBernoulliProbs": 2e-3, "ContinuousBernoulliLogits": 2e-3,
            "ContinuousBernoulliHalf": 2e-3}

PROPS = ["mean", "variance", "stddev", "mode"]
METHODS = ["entropy", "log_prob", "cdf", "icdf", "enumerate_support", "perplexity"]
_DT = {"float32": (torch.float32, tk.float32), "float64": (torch.float64, tk.float64)}


def _make(M, name, params, dtype, grad):
    made = []

    def T(a):
        a = np.asarray(a)
        t = M.tensor(a, dtype=dtype) if a.dtype.kind == "f" else M.tensor(a)
        if grad and t.is_floating_point():
            t.requires_grad_()
        made.append(t)
        return t

    return SPECS[name][1](M.distributions, T, params), made


def _tensor(M, arr, dtype):
    arr = np.asarray(arr)
    return M.tensor(arr, dtype=dtype) if arr.dtype.kind == "f" else M.tensor(arr)


class _DefaultDtype:
    """Both libraries' default dtype set to float64 for a block (GeneralizedPareto compares
    against a default-dtype zero, so in float64 it needs a float64 default)."""

    def __init__(self, on):
        self.on = on

    def __enter__(self):
        if self.on:
            for M in (torch, tk):
                M.set_default_dtype(M.float64)

    def __exit__(self, *exc):
        if self.on:
            for M in (torch, tk):
                M.set_default_dtype(M.float32)


def _compare(name, seed, batch, dtype_name, default64=False):
    rng = np.random.default_rng(seed)
    params = SPECS[name][0](rng, batch)
    value = SPECS[name][2](rng, batch, params)
    u = rng.uniform(0.05, 0.95, size=batch)
    tdt, kdt = _DT[dtype_name]
    f32 = _F32_TOL.get(name, 2e-5)
    rtol, atol = (f32, f32) if dtype_name == "float32" else (1e-9, 1e-10)
    dt_, _ = _make(torch, name, params, tdt, False)
    dk, _ = _make(tk, name, params, kdt, False)
    args = {"log_prob": value, "cdf": value, "icdf": u}
    compare_built(torch, tk, dt_, dk, PROPS, METHODS,
                  lambda M, m: None if args.get(m) is None
                  else _tensor(M, args[m], _DT[dtype_name][M is tk]), rtol, atol)
    for shape in [(), (4,), (2, 1)]:
        st_, sk = dt_.sample(shape), dk.sample(shape)
        assert tuple(sk.shape) == tuple(st_.shape)
        assert str(sk.dtype) == str(st_.dtype)
        assert bool(dk.support.check(sk).all())
        assert not sk.requires_grad
        if dt_.has_rsample:
            assert tuple(dk.rsample(shape).shape) == tuple(st_.shape)
    ex = (5,) + tuple(dt_.batch_shape)
    ek, et = dk.expand(ex), dt_.expand(ex)
    assert tuple(ek.batch_shape) == tuple(et.batch_shape)
    assert type(ek) is type(dk)
    rt = _outcome(lambda: et.log_prob(_tensor(torch, value, tdt)))
    rk = _outcome(lambda: ek.log_prob(_tensor(tk, value, kdt)))
    assert rk[0] == rt[0], ("expand", rt, rk)
    if rt[0] == "ok":
        _close(rk[1], rt[1], rtol, atol, "expand")
    assert tuple(ek.sample((2,)).shape) == tuple(et.sample((2,)).shape)
    if dtype_name == "float64":
        with _DefaultDtype(default64):
            _compare_grads(name, params, value)


def _compare_grads(name, params, value):
    """Gradients of ``log_prob(value).sum()``, and of the entropy, cdf and mean where they
    exist, with respect to every floating parameter: the same outcome in both libraries
    (an error such as a missing derivative included) and the same values. A mean that is
    not finite is skipped (its gradient there is a nan in one library, a 0 in the other)."""
    parts = ["log_prob", "entropy", "cdf", "mean"]
    results = {}
    for M in (torch, tk):
        v = _tensor(M, value, M.float64)
        for part in parts:
            d, made = _make(M, name, params, M.float64, True)

            def grad(d=d, made=made, part=part):
                out = getattr(d, part)
                out = out(v) if part in ("log_prob", "cdf") else \
                    out() if part == "entropy" else out
                if part == "mean" and not bool(M.isfinite(out).all()):
                    return None
                leaves = [t for t in made if t.requires_grad]
                return M.autograd.grad(out.sum(), leaves, allow_unused=True)
            results[M is tk, part] = _outcome(grad)
    for part in parts:
        rt, rk = results[False, part], results[True, part]
        assert rk[0] == rt[0], (part, rt, rk)
        if rt[0] == "err" or rt[1] is None or rk[1] is None:
            assert rt[0] == "err" or (rt[1] is None) == (rk[1] is None), part
            continue
        for gt, gk in zip(rt[1], rk[1]):
            if gt is None:
                assert gk is None or not gk.abs().sum().item()
            else:
                _close(gk, gt, 1e-7, 1e-9, f"grad {name} {part}")


BATCHES = st.sampled_from([(), (3,), (2, 3)])


@pytest.mark.parametrize("name", sorted(SPECS))
@settings(max_examples=5)
@given(seed=st.integers(0, 2 ** 32 - 1), batch=BATCHES,
       dtype_name=st.sampled_from(["float32", "float64"]))
def test_family_matches_torch(name, seed, batch, dtype_name):
    _compare(name, seed, batch, dtype_name, default64=(name == "GeneralizedPareto"))


@settings(max_examples=5)
@given(seed=st.integers(0, 2 ** 32 - 1), batch=BATCHES)
def test_generalized_pareto_float64_default_dtype(seed, batch):
    """Under a float64 default dtype the float64 scores work in both (and match)."""
    with _DefaultDtype(True):
        _compare("GeneralizedPareto", seed, batch, "float64", default64=False)


def test_generalized_pareto_zero_concentration_matches_torch():
    for dtype_name in ("float32",):
        tdt, kdt = _DT[dtype_name]
        out = []
        for M, dt in ((torch, tdt), (tk, kdt)):
            d = M.distributions.GeneralizedPareto(M.tensor([0.0, 1.0], dtype=dt),
                                                  M.tensor([1.0, 2.0], dtype=dt),
                                                  M.tensor([0.0, 0.0], dtype=dt))
            x = M.tensor([0.5, 3.0], dtype=dt)
            u = M.tensor([0.2, 0.9], dtype=dt)
            out.append([d.log_prob(x), d.cdf(x), d.icdf(u), d.entropy(), d.mean, d.variance])
        for a, b in zip(*out):
            _close(b, a, 2e-6, 2e-6, "gpd c=0")


# ---- KL divergences ---------------------------------------------------------------------

def _params_for(name, rng, batch):
    return SPECS[name][0](rng, batch) if name in SPECS else _OTHER[name][0](rng, batch)


def _build(M, name, params):
    made = []

    def T(a):
        t = M.tensor(np.asarray(a), dtype=M.float64).requires_grad_()
        made.append(t)
        return t

    spec = SPECS[name] if name in SPECS else _OTHER[name]
    return spec[1](M.distributions, T, params), made


_OTHER = {
    "Normal": (lambda r, b: {"loc": _real(r, b), "s": _pos(r, b)},
               lambda D, T, p: D.Normal(T(p["loc"]), T(p["s"]))),
    "Exponential": (lambda r, b: {"rate": _pos(r, b)},
                    lambda D, T, p: D.Exponential(T(p["rate"]))),
    "Gamma": (lambda r, b: {"c": _pos(r, b), "rate": _pos(r, b)},
              lambda D, T, p: D.Gamma(T(p["c"]), T(p["rate"]))),
    "Beta": (lambda r, b: {"a": _pos(r, b), "b": _pos(r, b)},
             lambda D, T, p: D.Beta(T(p["a"]), T(p["b"]))),
    "Uniform": (lambda r, b: {"lo": r.uniform(0.01, 0.3, size=b),
                              "hi": r.uniform(0.6, 0.99, size=b)},
                lambda D, T, p: D.Uniform(T(p["lo"]), T(p["hi"]))),
    "UniformWide": (lambda r, b: {"lo": r.uniform(-1.0, 0.5, size=b),
                                  "hi": r.uniform(0.6, 2.0, size=b)},
                    lambda D, T, p: D.Uniform(T(p["lo"]), T(p["hi"]))),
    "UniformHigh": (lambda r, b: {"lo": r.uniform(0.5, 2.0, size=b),
                                  "hi": r.uniform(2.5, 4.0, size=b)},
                    lambda D, T, p: D.Uniform(T(p["lo"]), T(p["hi"]))),
    "Laplace": (lambda r, b: {"loc": _real(r, b), "s": _pos(r, b)},
                lambda D, T, p: D.Laplace(T(p["loc"]), T(p["s"]))),
    "Gumbel": (lambda r, b: {"loc": _real(r, b), "s": _pos(r, b)},
               lambda D, T, p: D.Gumbel(T(p["loc"]), T(p["s"]))),
    "MVN": (lambda r, b: {"loc": _real(r, b + (3,)),
                          "L": np.tril(_real(r, b + (3, 3)), -1) + np.eye(3) * 1.5},
            lambda D, T, p: D.MultivariateNormal(T(p["loc"]), scale_tril=T(p["L"]))),
}

KL_PAIRS = [
    ("HalfNormal", "HalfNormal"), ("Pareto", "Pareto"),
    ("ContinuousBernoulliProbs", "ContinuousBernoulliLogits"),
    ("ContinuousBernoulliHalf", "ContinuousBernoulliProbs"),
    ("LowRankMVN", "LowRankMVN"), ("LowRankMVNBroadcast", "LowRankMVN"),
    ("MVN", "LowRankMVN"), ("LowRankMVN", "MVN"),
    ("Beta", "ContinuousBernoulliProbs"), ("ContinuousBernoulliProbs", "Exponential"),
    ("ContinuousBernoulliLogits", "Normal"), ("ContinuousBernoulliProbs", "UniformWide"),
    ("Uniform", "ContinuousBernoulliLogits"), ("Pareto", "Exponential"),
    ("Pareto", "Gamma"), ("Pareto", "Normal"), ("UniformHigh", "Pareto"),
    ("Beta", "Pareto"), ("ContinuousBernoulliProbs", "Pareto"),
    ("Exponential", "ContinuousBernoulliProbs"), ("Exponential", "Pareto"),
    ("Gamma", "Pareto"), ("Gumbel", "ContinuousBernoulliProbs"), ("Laplace", "Pareto"),
    ("Normal", "ContinuousBernoulliProbs"), ("Normal", "Pareto"), ("Pareto", "Beta"),
    ("Pareto", "ContinuousBernoulliProbs"), ("Pareto", "UniformWide"),
    ("Weibull", "Weibull"), ("Kumaraswamy", "Kumaraswamy"),
]


@pytest.mark.parametrize("pair", KL_PAIRS, ids=lambda p: f"{p[0]}-{p[1]}")
@settings(max_examples=4)
@given(seed=st.integers(0, 2 ** 32 - 1), batch=BATCHES)
def test_kl_matches_torch(pair, seed, batch):
    rng = np.random.default_rng(seed)
    pp, pq = _params_for(pair[0], rng, batch), _params_for(pair[1], rng, batch)
    results = []
    for M in (torch, tk):
        p, made_p = _build(M, pair[0], pp)
        q, made_q = _build(M, pair[1], pq)
        out = _outcome(lambda: M.distributions.kl_divergence(p, q))
        if out[0] == "err":
            results.append((out, None))
            continue
        kl = out[1]
        grads = None
        if bool(torch.isfinite(torch.as_tensor(kl.detach().numpy())).all()):
            grads = M.autograd.grad(kl.sum(), made_p + made_q, allow_unused=True)
        results.append((("ok", kl), grads))
    (ot, gt), (ok, gk) = results
    assert ok[0] == ot[0], (ot, ok)
    if ot[0] == "err":
        assert ok == ot
        return
    _close(ok[1], ot[1], 1e-8, 1e-9, f"kl {pair}")
    if gt is not None:
        for a, b in zip(gk, gt):
            if b is None:
                assert a is None or not a.abs().sum().item()
            else:
                _close(a, b, 1e-7, 1e-9, f"kl grad {pair}")


# ---- transforms -------------------------------------------------------------------------

def _transform_cases(M):
    T = M.distributions.transforms
    D = M.distributions
    return {
        "Abs": (T.AbsTransform(), (3, 4), "real"),
        "Power": (T.PowerTransform(M.tensor([0.5, 2.0, 3.0], dtype=M.float64)), (2, 3), "pos"),
        "PowerNeg": (T.PowerTransform(-1.5), (4,), "pos"),
        "Softplus": (T.SoftplusTransform(), (2, 3), "real"),
        "Softmax": (T.SoftmaxTransform(), (2, 4), "real"),
        "StickBreaking": (T.StickBreakingTransform(), (2, 3), "real"),
        "LowerCholesky": (T.LowerCholeskyTransform(), (2, 3, 3), "real"),
        "PositiveDefinite": (T.PositiveDefiniteTransform(), (2, 3, 3), "real"),
        "CorrCholesky": (T.CorrCholeskyTransform(), (2, 6), "real"),
        "Reshape": (T.ReshapeTransform((2, 3), (3, 2)), (4, 2, 3), "real"),
        "Cat": (T.CatTransform([T.ExpTransform(), T.AffineTransform(1.0, -2.0),
                                T.SoftplusTransform()], dim=0, lengths=[1, 2, 2]),
                (5, 3), "real"),
        "CatEvent": (T.CatTransform([T.IndependentTransform(T.ExpTransform(), 1),
                                     T.SoftmaxTransform()], dim=-1, lengths=[2, 3]),
                     (4, 5), "real"),
        "Stack": (T.StackTransform([T.ExpTransform(), T.SoftplusTransform(),
                                    T.AffineTransform(0.5, 3.0)], dim=1), (4, 3), "real"),
        "CDF": (T.CumulativeDistributionTransform(D.Normal(0.5, 2.0)), (3,), "real"),
        "ComposedInv": (T.ComposeTransform([T.SoftplusTransform(),
                                            T.PowerTransform(2.0).inv]), (3,), "real"),
    }


@pytest.mark.parametrize("name", sorted(_transform_cases(tk)))
@settings(max_examples=5)
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_transform_matches_torch(name, seed):
    rng = np.random.default_rng(seed)
    res = {}
    for M in (torch, tk):
        t, shape, kind = _transform_cases(M)[name]
        x0 = rng.uniform(0.2, 2.0, size=shape) if kind == "pos" else _real(rng, shape)
        rng = np.random.default_rng(seed)  # same draws for the second library
        x = M.tensor(x0, dtype=M.float64, requires_grad=True)
        y = t(x)
        x_back = t.inv(y.detach())
        r = {"y": y, "x_back": x_back, "repr": repr(t), "dom": repr(t.domain),
             "cod": repr(t.codomain), "bij": t.bijective,
             "fs": tuple(t.forward_shape(shape)), "is": tuple(t.inverse_shape(tuple(y.shape)))}
        r["sign"] = _outcome(lambda: t.sign)[0]
        r["event_dim"] = _outcome(lambda: t.event_dim)
        r["eq"] = t == _transform_cases(M)[name][0]
        ladj = _outcome(lambda: t.log_abs_det_jacobian(x, y))
        r["ladj"] = ladj
        if ladj[0] == "ok":
            r["grad"] = M.autograd.grad(ladj[1].sum() + y.sum(), x)[0]
        else:
            r["grad"] = M.autograd.grad(y.sum(), x)[0]
        res[M is tk] = r
    rt, rk = res[False], res[True]
    for key in ("repr", "dom", "cod", "bij", "fs", "is", "sign", "event_dim", "eq"):
        if key == "event_dim" and rt[key][0] == "ok":
            assert rk[key][0] == "ok" and rk[key][1] == rt[key][1], key
        else:
            assert rk[key] == rt[key], (key, rt[key], rk[key])
    assert rk["ladj"][0] == rt["ladj"][0], (rt["ladj"], rk["ladj"])
    for key in ("y", "x_back", "grad"):
        _close(rk[key], rt[key], 1e-9, 1e-10, key)
    if rt["ladj"][0] == "ok":
        _close(rk["ladj"][1], rt["ladj"][1], 1e-9, 1e-10, "ladj")
    else:
        assert rk["ladj"] == rt["ladj"]


# ---- constraint registries ---------------------------------------------------------------

REGISTRY_CASES = [
    "C.real", "C.positive", "C.nonnegative", "C.unit_interval", "C.interval(-1., 2.)",
    "C.half_open_interval(0., 3.)", "C.greater_than(2.)", "C.greater_than_eq(-1.)",
    "C.less_than(1.5)", "C.simplex", "C.real_vector", "C.independent(C.positive, 2)",
    "C.lower_cholesky", "C.positive_definite", "C.positive_semidefinite", "C.corr_cholesky",
    "C.cat([C.positive, C.real, C.unit_interval], 0, [1, 2, 1])",
    "C.stack([C.positive, C.interval(-2., 2.)], -1)", "C.boolean", "C.nonnegative_integer",
    "C.integer_interval(0, 3)", "C.one_hot", "C.multinomial(3)",
]


@pytest.mark.parametrize("which", ["biject_to", "transform_to"])
@pytest.mark.parametrize("expr", REGISTRY_CASES)
def test_registry_matches_torch(which, expr):
    rng = np.random.default_rng(0)
    out = []
    for M in (torch, tk):
        C = M.distributions.constraints
        c = eval(expr, {"C": C})
        res = _outcome(lambda: getattr(M.distributions, which)(c))
        if res[0] == "err":
            out.append(res)
            continue
        t = res[1]
        shape = {"C.lower_cholesky": (2, 3, 3), "C.positive_definite": (2, 3, 3),
                 "C.positive_semidefinite": (2, 3, 3), "C.corr_cholesky": (2, 3),
                 "C.independent(C.positive, 2)": (2, 3, 2),
                 "C.cat([C.positive, C.real, C.unit_interval], 0, [1, 2, 1])": (4, 2),
                 "C.stack([C.positive, C.interval(-2., 2.)], -1)": (3, 2),
                 "C.simplex": (2, 3), "C.real_vector": (2, 3)}.get(expr, (5,))
        x = M.tensor(np.random.default_rng(1).uniform(-2, 2, size=shape), dtype=M.float64)
        y = t(x)
        out.append(("ok", repr(t), y.detach().numpy(), bool(c.check(y).all())))
    del rng
    assert out[1][0] == out[0][0], out
    if out[0][0] == "err":
        assert out[1] == out[0]
    else:
        assert out[1][1] == out[0][1]
        np.testing.assert_allclose(out[1][2], out[0][2], rtol=1e-10, atol=1e-12)
        assert out[1][3] and out[0][3]


def test_registry_register_rules_match_torch():
    for M in (torch, tk):
        R = importlib.import_module(M.__name__ + ".distributions.constraint_registry")
        reg = R.ConstraintRegistry()
        with pytest.raises(TypeError, match="Expected constraint to be either a Constraint "
                                            "subclass or instance, but got 3"):
            reg.register(3, lambda c: None)
        with pytest.raises(NotImplementedError, match="Cannot transform _Real constraints"):
            reg(M.distributions.constraints.real)
        marker = M.distributions.transforms.ExpTransform()
        reg.register(M.distributions.constraints.real)(lambda c: marker)
        assert reg(M.distributions.constraints.real) is marker


# ---- submodule names --------------------------------------------------------------------

SUBMODULES = {
    "normal": ["Normal"], "uniform": ["Uniform"], "bernoulli": ["Bernoulli"],
    "categorical": ["Categorical"], "beta": ["Beta"], "gamma": ["Gamma"],
    "dirichlet": ["Dirichlet"], "multivariate_normal": ["MultivariateNormal"],
    "transforms": ["AbsTransform", "PowerTransform", "StickBreakingTransform",
                   "CatTransform", "StackTransform", "CumulativeDistributionTransform",
                   "ReshapeTransform", "LowerCholeskyTransform", "SoftplusTransform",
                   "SoftmaxTransform", "CorrCholeskyTransform", "PositiveDefiniteTransform",
                   "Transform", "identity_transform", "ComposeTransform"],
    "constraints": ["positive", "simplex", "Constraint", "independent"],
    "kl": ["kl_divergence", "register_kl"], "transformed_distribution":
    ["TransformedDistribution"], "distribution": ["Distribution"],
    "exp_family": ["ExponentialFamily"], "independent": ["Independent"],
    "mixture_same_family": ["MixtureSameFamily"], "binomial": ["Binomial"],
    "cauchy": ["Cauchy"], "chi2": ["Chi2"], "continuous_bernoulli": ["ContinuousBernoulli"],
    "exponential": ["Exponential"], "fishersnedecor": ["FisherSnedecor"],
    "generalized_pareto": ["GeneralizedPareto"], "geometric": ["Geometric"],
    "gumbel": ["Gumbel", "euler_constant"], "half_cauchy": ["HalfCauchy"],
    "half_normal": ["HalfNormal"], "inverse_gamma": ["InverseGamma"],
    "kumaraswamy": ["Kumaraswamy"], "laplace": ["Laplace"], "log_normal": ["LogNormal"],
    "logistic_normal": ["LogisticNormal"],
    "lowrank_multivariate_normal": ["LowRankMultivariateNormal"],
    "multinomial": ["Multinomial"], "negative_binomial": ["NegativeBinomial"],
    "one_hot_categorical": ["OneHotCategorical", "OneHotCategoricalStraightThrough"],
    "pareto": ["Pareto"], "poisson": ["Poisson"],
    "relaxed_bernoulli": ["RelaxedBernoulli", "LogitRelaxedBernoulli"],
    "relaxed_categorical": ["RelaxedOneHotCategorical", "ExpRelaxedCategorical"],
    "studentT": ["StudentT"], "von_mises": ["VonMises"], "weibull": ["Weibull"],
    "wishart": ["Wishart"], "lkj_cholesky": ["LKJCholesky"],
    "constraint_registry": ["biject_to", "transform_to", "ConstraintRegistry"],
    "utils": ["broadcast_all", "lazy_property", "probs_to_logits", "logits_to_probs",
              "clamp_probs"],
}


@pytest.mark.parametrize("mod", sorted(SUBMODULES))
def test_submodule_names_match_torch(mod):
    tmod = importlib.import_module(f"torch.distributions.{mod}")
    kmod = importlib.import_module(f"tensor.distributions.{mod}")
    assert getattr(tk.distributions, mod) is kmod
    for name in SUBMODULES[mod]:
        assert hasattr(tmod, name), (mod, name)
        obj = getattr(kmod, name)
        if isinstance(obj, type) and mod not in ("constraints",):
            top = getattr(tk.distributions, name, None)
            if top is not None:
                assert top is obj
    if hasattr(tmod, "__all__") and mod not in ("utils", "constraints", "kl"):
        assert set(getattr(kmod, "__all__", [])) >= set(tmod.__all__), (mod, tmod.__all__)


def test_top_level_all_matches_torch():
    missing = set(torch.distributions.__all__) - set(tk.distributions.__all__)
    assert not missing, missing
    for name in tk.distributions.__all__:
        assert hasattr(tk.distributions, name), name


# ---- errors and small results -----------------------------------------------------------

ERRORS = [
    "D.HalfNormal(torch.tensor([1., -1.]))",
    "D.HalfNormal(0.)",
    "D.HalfCauchy(torch.tensor([-2.]))",
    "D.HalfNormal(1.).log_prob(torch.tensor([-1.]))",
    "D.HalfNormal(1., validate_args=False).log_prob(torch.tensor([-1., 1.])).tolist()",
    "D.HalfCauchy(1., validate_args=False).log_prob(torch.tensor([-1., 1.])).tolist()",
    "D.Weibull(torch.tensor([1., 2.]), torch.tensor([-1., 1.]))",
    "D.Weibull(1., 2.).log_prob(torch.tensor(-1.))",
    "D.Pareto(1., 2.).log_prob(torch.tensor(0.5))",
    "D.Pareto(torch.tensor([1., 2.]), 0.)",
    "D.Pareto(1., 0.5).mean.item()",
    "D.Pareto(1., 1.5).variance.item()",
    "D.Kumaraswamy(0., 1.)",
    "D.Kumaraswamy(2., 3.).log_prob(torch.tensor(1.5))",
    "D.Kumaraswamy(torch.tensor([0.5, 2.]), torch.tensor([2., 3.])).mode.tolist()",
    "D.InverseGamma(torch.tensor([1., -1.]), 1.)",
    "D.InverseGamma(torch.tensor([0.5, 1.5, 3.]), 1.).mean.tolist()",
    "D.InverseGamma(torch.tensor([0.5, 1.5, 3.]), 1.).variance.tolist()",
    "D.FisherSnedecor(1., -1.)",
    "D.FisherSnedecor(torch.tensor([1., 3., 5.]), torch.tensor([1., 3., 5.])).mean.tolist()",
    "D.FisherSnedecor(torch.tensor([1., 3., 5.]), torch.tensor([1., 3., 5.])).mode.tolist()",
    "D.FisherSnedecor(torch.tensor([1., 3., 5.]), torch.tensor([3., 4.5, 6.])).variance"
    ".tolist()",
    "D.FisherSnedecor(2., 3.).entropy()",
    "D.FisherSnedecor(2., 3.).cdf(torch.tensor(1.))",
    "D.VonMises(0., -1.)",
    "D.VonMises(0., 1.).entropy()",
    "D.VonMises(0., 1.).rsample()",
    "D.VonMises(0., 1.).cdf(torch.tensor(1.))",
    "D.ContinuousBernoulli(torch.tensor([0.3, 1.5]))",
    "D.ContinuousBernoulli(torch.tensor([0.3, 1.5]), validate_args=True)",
    "D.ContinuousBernoulli(torch.tensor([0.3, 1.5]), validate_args=False).probs.tolist()",
    "D.ContinuousBernoulli()",
    "D.ContinuousBernoulli(0.3, 0.2)",
    "D.ContinuousBernoulli(0.3).log_prob(torch.tensor(1.5))",
    "D.ContinuousBernoulli(torch.tensor([0.2, 0.4999, 0.5, 0.9])).cdf(torch.tensor("
    "[-0.5, 0.3, 0.6, 1.5]))",
    "D.GeneralizedPareto(0., -1., 0.5)",
    "D.GeneralizedPareto(0., 1., -0.5).log_prob(torch.tensor(3.))",
    "D.GeneralizedPareto(torch.tensor([0.]), 1., 0.5).log_prob(torch.tensor([1.]))",
    "D.GeneralizedPareto(0., 1., torch.tensor([0.5, 1.5])).mean.tolist()",
    "D.GeneralizedPareto(0., 1., torch.tensor([0.2, 0.7])).variance.tolist()",
    "D.NegativeBinomial(-1., 0.5)",
    "D.NegativeBinomial(2., torch.tensor(1.))",
    "D.NegativeBinomial(2.)",
    "D.NegativeBinomial(2., 0.5).log_prob(torch.tensor(1.5))",
    "D.NegativeBinomial(torch.tensor([0., 2.]), torch.tensor([0.5, 0.5]))"
    ".log_prob(torch.tensor([0., 0.])).tolist()",
    "D.NegativeBinomial(torch.tensor([0.5, 3.]), torch.tensor([0.2, 0.9])).mode.tolist()",
    "D.NegativeBinomial(2., 0.5).entropy()",
    "D.Multinomial(torch.tensor(3.), torch.tensor([0.5, 0.5]))",
    "D.Multinomial(3, torch.tensor([0.5, -0.5]))",
    "D.Multinomial(3, torch.tensor([0.5, 0.5])).log_prob(torch.tensor([2., 2.]))",
    "D.Multinomial(3, torch.tensor([0.5, 0.5])).log_prob(torch.tensor([-1., 2.]))",
    "D.Multinomial(3, torch.tensor([0.5, 0.5, 0.])).log_prob(torch.tensor([1., 2., 0.]))"
    ".item()",
    "D.Multinomial(3, torch.tensor([0.5, 0.5])).log_prob(torch.tensor([1., 1., 1.]))",
    "D.Multinomial(3, torch.tensor([0.5, 0.5])).cdf(torch.tensor([1., 2.]))",
    "D.Multinomial(3, torch.tensor([0.5, 0.5])).support.check(torch.tensor([[1., 2.], "
    "[2., 2.]])).tolist()",
    "D.LowRankMultivariateNormal(torch.tensor(0.), torch.ones(1, 1), torch.ones(1))",
    "D.LowRankMultivariateNormal(torch.zeros(2), torch.ones(2), torch.ones(2))",
    "D.LowRankMultivariateNormal(torch.zeros(2), torch.ones(3, 1), torch.ones(2))",
    "D.LowRankMultivariateNormal(torch.zeros(2), torch.ones(2, 1), torch.ones(3))",
    "D.LowRankMultivariateNormal(torch.zeros(2, 2), torch.ones(3, 2, 1), torch.ones(2))",
    "D.LowRankMultivariateNormal(torch.zeros(2), torch.ones(2, 1), torch.tensor([1., -1.]))",
    "D.LowRankMultivariateNormal(torch.zeros(2), torch.ones(2, 1), torch.ones(2))"
    ".log_prob(torch.ones(3))",
    "D.RelaxedBernoulli(torch.tensor(0.5), probs=torch.tensor([0.3, 1.2]))",
    "D.RelaxedBernoulli(torch.tensor(0.5))",
    "D.RelaxedBernoulli(torch.tensor(0.5), probs=0.3).log_prob(torch.tensor(1.5))",
    "D.RelaxedBernoulli(torch.tensor(0.5), probs=0.3).mean",
    "D.RelaxedBernoulli(torch.tensor(0.5), probs=0.3).entropy()",
    "D.RelaxedOneHotCategorical(torch.tensor(0.5), probs=torch.tensor([0.3, -0.2]))",
    "D.RelaxedOneHotCategorical(torch.tensor(0.5), probs=torch.tensor([0.3, 0.7]))"
    ".log_prob(torch.tensor([0.3, 0.6]))",
    "D.LogisticNormal(torch.zeros(2), torch.tensor([1., -1.]))",
    "D.LogisticNormal(0., 1.).batch_shape",
    "D.LogisticNormal(0., 1.).event_shape",
    "D.LogisticNormal(torch.zeros(2), 1.).log_prob(torch.tensor([0.2, 0.2, 0.2]))",
    "D.LogisticNormal(torch.zeros(2), 1.).mean",
    "D.OneHotCategoricalStraightThrough(torch.tensor([0.3, -0.2]))",
    "D.OneHotCategoricalStraightThrough(torch.tensor([0.3, 0.7])).log_prob(torch.tensor("
    "[0.5, 0.5]))",
    "D.Wishart(torch.tensor([3., 1.]), torch.eye(2))",
    "D.Wishart(3., torch.ones(2))",
    "D.Wishart(3., torch.tensor([[1., 2.], [2., 1.]]))",
    "D.Wishart(3., scale_tril=torch.tensor([[1., 1.], [0., 1.]]))",
    "D.Wishart(3., torch.eye(2), scale_tril=torch.eye(2))",
    "D.Wishart(3., torch.eye(2)).log_prob(torch.tensor([[1., 2.], [2., 1.]]))",
    "D.Wishart(torch.tensor([2.5, 4.]), torch.eye(2)).mode.tolist()",
    "D.Wishart(3., precision_matrix=torch.eye(2) * 2).covariance_matrix.tolist()",
    "D.Wishart(3., torch.eye(2) * 2).precision_matrix.mul(1e4).round().tolist()",
    "D.Wishart(3., torch.eye(2)).expand([4]).sample().shape",
    "D.Wishart(3., torch.eye(2)).cdf(torch.eye(2))",
    "D.LKJCholesky(1)",
    "D.LKJCholesky(3, -1.)",
    "D.LKJCholesky(3, torch.tensor([0.5, 2.]))",
    "D.LKJCholesky(3).log_prob(torch.eye(2))",
    "D.LKJCholesky(3).log_prob(torch.tensor([[1., 0., 0.], [1., 1., 0.], [0., 0., 1.]]))",
    "D.LKJCholesky(3).mean",
    "D.LKJCholesky(3).entropy()",
    "D.LKJCholesky(2, torch.ones(2)).expand([3, 2]).sample().shape",
    "D.wishart._mvdigamma(torch.tensor([0.2]), 3)",
    "repr(D.PowerTransform(2.)), repr(D.PowerTransform(2.).inv), repr(D.AbsTransform())",
    "D.ReshapeTransform((2, 3), (5,))",
    "D.ReshapeTransform((2, 3), (6,)).forward_shape((3, 3))",
    "D.ReshapeTransform((2, 3), (6,)).forward_shape((3,))",
    "D.ReshapeTransform((2, 3), (6,)).inverse_shape((4,))",
    "D.ReshapeTransform((2, 3), (6,)).inverse_shape(())",
    "D.StickBreakingTransform().forward_shape(())",
    "D.SoftmaxTransform().inverse_shape(())",
    "D.CorrCholeskyTransform().forward_shape((4,))",
    "D.CorrCholeskyTransform().inverse_shape((2, 3))",
    "D.CorrCholeskyTransform().inverse_shape((3,))",
    "D.CatTransform([D.ExpTransform()], lengths=[1, 2])",
    "D.CatTransform([3])",
    "D.StackTransform([3])",
    "D.CatTransform([D.ExpTransform(), D.ExpTransform()], dim=0, lengths=[2, 3])"
    "(torch.ones(4))",
    "D.CatTransform([D.ExpTransform()], dim=2)(torch.ones(4))",
    "D.CatTransform([D.ExpTransform()], dim=0).inv(torch.ones(3))",
    "D.CatTransform([D.ExpTransform()], dim=0).log_abs_det_jacobian(torch.ones(1), "
    "torch.ones(2))",
    "D.CatTransform([D.ExpTransform()], dim=3).log_abs_det_jacobian(torch.ones(1), "
    "torch.ones(1))",
    "D.StackTransform([D.ExpTransform(), D.ExpTransform()], dim=0)(torch.ones(3))",
    "D.StackTransform([D.ExpTransform()], dim=-3)(torch.ones(3))",
    "D.StackTransform([D.ExpTransform()], dim=0).inv(torch.ones(3))",
    "D.StackTransform([D.ExpTransform()], dim=0).log_abs_det_jacobian(torch.ones(1), "
    "torch.ones(2))",
    "D.StackTransform([D.ExpTransform()], dim=1).log_abs_det_jacobian(torch.ones(1), "
    "torch.ones(1))",
    "D.AbsTransform().log_abs_det_jacobian(torch.ones(1), torch.ones(1))",
    "D.AbsTransform().sign",
    "D.AbsTransform().inv(torch.tensor([-1., 2.])).tolist()",
    "D.AbsTransform() == D.AbsTransform(), D.AbsTransform() == D.ExpTransform()",
    "D.PowerTransform(torch.tensor([1., -2.])).sign.tolist()",
    "D.PowerTransform(2.) == D.PowerTransform(2.), D.PowerTransform(2.) == "
    "D.PowerTransform(3.), D.PowerTransform(2.) == D.AbsTransform()",
    "D.PowerTransform(2.).with_cache(1)._cache_size, D.SoftplusTransform().with_cache(1)"
    "._cache_size",
    "D.CatTransform([D.ExpTransform(), D.SoftplusTransform()]).with_cache(1).transforms[1]"
    "._cache_size",
    "D.StackTransform([D.ExpTransform()]).with_cache(1)._cache_size",
    "D.ReshapeTransform((2,), (2, 1)).with_cache(1)._cache_size",
    "D.CumulativeDistributionTransform(D.Normal(0., 1.)).with_cache(1)._cache_size",
    "D.CumulativeDistributionTransform(D.Normal(0., 1.)).domain",
    "D.CumulativeDistributionTransform(D.Exponential(1.)).domain",
    "D.CorrCholeskyTransform().with_cache(1)",
    "D.LowerCholeskyTransform().log_abs_det_jacobian(torch.eye(2), torch.eye(2))",
    "D.SoftmaxTransform().bijective, D.StickBreakingTransform().bijective, "
    "D.LowerCholeskyTransform().bijective, D.CorrCholeskyTransform().bijective",
    "[t().event_dim for t in (D.SoftmaxTransform, D.StickBreakingTransform, "
    "D.LowerCholeskyTransform, D.PositiveDefiniteTransform, D.CorrCholeskyTransform)]",
    "D.CorrCholeskyTransform().event_dim",
    "D.CatTransform([D.ExpTransform(), D.StickBreakingTransform()], dim=-1).event_dim",
    "D.StackTransform([D.ExpTransform()], dim=-1).event_dim",
    "D.HalfNormal(torch.ones(2)).expand([3, 2]).batch_shape",
    "D.HalfNormal(torch.ones(2)).expand([3])",
    "D.Multinomial(3, torch.ones(2, 3)).expand([4, 2]).sample().shape",
    "D.VonMises(torch.zeros(2), 1.).expand([3, 2]).sample().shape",
    "D.Weibull(torch.ones(2), 2.).expand([3, 2]).concentration_reciprocal.shape",
    "D.LowRankMultivariateNormal(torch.zeros(2), torch.ones(2, 1), torch.ones(2))"
    ".expand([3]).cov_factor.shape",
]


@pytest.mark.parametrize("expr", ERRORS)
def test_errors_and_small_results_match_torch(expr):
    out = []
    for M in (torch, tk):
        try:
            out.append(str(eval(expr, {"torch": M, "D": M.distributions})))
        except Exception as e:  # noqa: BLE001
            out.append(f"{type(e).__name__}: {e}")
    assert out[1] == out[0]


def test_lowrank_matrices_match_torch():
    rng = np.random.default_rng(3)
    loc, w, d = _real(rng, (2, 3)), _real(rng, (3, 2)), _pos(rng, (2, 3))
    res = []
    for M in (torch, tk):
        dist = M.distributions.LowRankMultivariateNormal(
            M.tensor(loc), M.tensor(w, requires_grad=True), M.tensor(d))
        mats = [dist.covariance_matrix, dist.precision_matrix, dist.scale_tril,
                dist.variance, dist.stddev]
        res.append(mats)
    for a, b in zip(*res):
        _close(b, a, 1e-6, 1e-6, "lowrank matrices")


def test_multinomial_entropy_and_expand_match_torch():
    res = []
    for M in (torch, tk):
        p = M.tensor([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]], dtype=M.float64)
        d = M.distributions.Multinomial(5, probs=p)
        res.append([d.entropy(), d.mean, d.variance,
                    d.expand([4, 2]).log_prob(M.tensor([1., 1., 3.], dtype=M.float64))])
    for a, b in zip(*res):
        _close(b, a, 1e-10, 1e-12, "multinomial")


def test_multinomial_mode_is_not_implemented_in_both():
    for M in (torch, tk):
        with pytest.raises(NotImplementedError, match="does not implement mode"):
            M.distributions.Multinomial(3, M.tensor([0.5, 0.5])).mode


def test_one_hot_straight_through_gradient_matches_torch():
    """The straight-through gradient: d rsample / d probs is the identity on the probs."""
    grads = []
    for M in (torch, tk):
        p = M.tensor([[0.2, 0.3, 0.5]], dtype=M.float64, requires_grad=True)
        d = M.distributions.OneHotCategoricalStraightThrough(probs=p)
        s = d.rsample((4,))
        assert s.requires_grad
        weights = M.tensor([1.0, -2.0, 3.0], dtype=M.float64)
        grads.append(M.autograd.grad((s * weights).sum(), p)[0])
    _close(grads[1], grads[0], 1e-12, 1e-12, "straight-through grad")
