"""``tensor.distributions`` side by side with ``torch.distributions`` (skipped without torch).

Parameters are drawn by hypothesis (a seed for numpy, a batch shape, a dtype); every family is
built in both libraries from the same arrays and compared on shapes, moments, scores, entropy,
reprs, sample shapes and dtypes, gradients of the scores, KL values and validation errors."""

from __future__ import annotations

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


# name -> (parameter maker(rng, batch) -> dict, builder(D, T, params), value maker(rng, batch))
# T turns a numpy array into the library's tensor (with the dtype under test, tracking grad).
def _normalish(cls):
    return (lambda r, b: {"loc": _real(r, b), "scale": _pos(r, b)},
            lambda D, T, p: getattr(D, cls)(T(p["loc"]), T(p["scale"])),
            _real)


SPECS = {
    "Normal": _normalish("Normal"),
    "Laplace": _normalish("Laplace"),
    "Cauchy": _normalish("Cauchy"),
    "LogNormal": (lambda r, b: {"loc": _real(r, b), "scale": _pos(r, b)},
                  lambda D, T, p: D.LogNormal(T(p["loc"]), T(p["scale"])), _pos),
    "Gumbel": _normalish("Gumbel"),
    "Uniform": (lambda r, b: {"low": _real(r, b) - 2.5, "high": 0.5 + _pos(r, b)},
                lambda D, T, p: D.Uniform(T(p["low"]), T(p["high"])),
                lambda r, b: r.uniform(-0.4, 0.4, size=b)),
    "Exponential": (lambda r, b: {"rate": _pos(r, b)},
                    lambda D, T, p: D.Exponential(T(p["rate"])), _pos),
    "Gamma": (lambda r, b: {"c": _pos(r, b, 0.5, 4.0), "rate": _pos(r, b)},
              lambda D, T, p: D.Gamma(T(p["c"]), T(p["rate"])), _pos),
    "Chi2": (lambda r, b: {"df": _pos(r, b, 0.5, 6.0)},
             lambda D, T, p: D.Chi2(T(p["df"])), _pos),
    "Beta": (lambda r, b: {"a": _pos(r, b), "b": _pos(r, b)},
             lambda D, T, p: D.Beta(T(p["a"]), T(p["b"])), _unit),
    "StudentT": (lambda r, b: {"df": _pos(r, b, 0.5, 6.0), "loc": _real(r, b),
                               "scale": _pos(r, b)},
                 lambda D, T, p: D.StudentT(T(p["df"]), T(p["loc"]), T(p["scale"])), _real),
    "BernoulliProbs": (lambda r, b: {"p": _unit(r, b)},
                       lambda D, T, p: D.Bernoulli(probs=T(p["p"])),
                       lambda r, b: r.integers(0, 2, size=b).astype(float)),
    "BernoulliLogits": (lambda r, b: {"l": _real(r, b)},
                        lambda D, T, p: D.Bernoulli(logits=T(p["l"])),
                        lambda r, b: r.integers(0, 2, size=b).astype(float)),
    "Geometric": (lambda r, b: {"p": _unit(r, b)},
                  lambda D, T, p: D.Geometric(probs=T(p["p"])),
                  lambda r, b: r.integers(0, 6, size=b).astype(float)),
    "Poisson": (lambda r, b: {"rate": _pos(r, b)},
                lambda D, T, p: D.Poisson(T(p["rate"])),
                lambda r, b: r.integers(0, 6, size=b).astype(float)),
    "Binomial": (lambda r, b: {"p": _unit(r, b)},
                 lambda D, T, p: D.Binomial(5, probs=T(p["p"])),
                 lambda r, b: r.integers(0, 6, size=b).astype(float)),
    "BinomialLogits": (lambda r, b: {"l": _real(r, b)},
                       lambda D, T, p: D.Binomial(4, logits=T(p["l"])),
                       lambda r, b: r.integers(0, 5, size=b).astype(float)),
    "CategoricalProbs": (lambda r, b: {"p": _pos(r, b + (4,))},
                         lambda D, T, p: D.Categorical(probs=T(p["p"])),
                         lambda r, b: r.integers(0, 4, size=b)),
    "CategoricalLogits": (lambda r, b: {"l": _real(r, b + (4,))},
                          lambda D, T, p: D.Categorical(logits=T(p["l"])),
                          lambda r, b: r.integers(0, 4, size=b)),
    "OneHotCategorical": (lambda r, b: {"p": _pos(r, b + (3,))},
                          lambda D, T, p: D.OneHotCategorical(probs=T(p["p"])),
                          lambda r, b: np.eye(3)[r.integers(0, 3, size=b)]),
    "Dirichlet": (lambda r, b: {"c": _pos(r, b + (3,))},
                  lambda D, T, p: D.Dirichlet(T(p["c"])),
                  lambda r, b: _simplex(r, b + (3,))),
    "MVNCov": (lambda r, b: {"loc": _real(r, b + (3,)), "cov": _spd(r, b)},
               lambda D, T, p: D.MultivariateNormal(T(p["loc"]), covariance_matrix=T(p["cov"])),
               lambda r, b: _real(r, b + (3,))),
    "MVNPrec": (lambda r, b: {"loc": _real(r, b + (3,)), "prec": _spd(r, b)},
                lambda D, T, p: D.MultivariateNormal(T(p["loc"]), precision_matrix=T(p["prec"])),
                lambda r, b: _real(r, b + (3,))),
    "MVNTril": (lambda r, b: {"loc": _real(r, (3,)), "L": np.linalg.cholesky(_spd(r, b))},
                lambda D, T, p: D.MultivariateNormal(T(p["loc"]), scale_tril=T(p["L"])),
                lambda r, b: _real(r, b + (3,))),
    "IndependentNormal": (lambda r, b: {"loc": _real(r, b + (2,)), "scale": _pos(r, b + (2,))},
                          lambda D, T, p: D.Independent(D.Normal(T(p["loc"]), T(p["scale"])), 1),
                          lambda r, b: _real(r, b + (2,))),
    "SigmoidAffine": (lambda r, b: {"loc": _real(r, b), "scale": _pos(r, b)},
                      lambda D, T, p: D.TransformedDistribution(
                          D.Normal(T(p["loc"]), T(p["scale"])),
                          [D.AffineTransform(0.5, 2.0), D.SigmoidTransform()]), _unit),
    "TanhNeg": (lambda r, b: {"loc": _real(r, b), "scale": _pos(r, b)},
                lambda D, T, p: D.TransformedDistribution(
                    D.Normal(T(p["loc"]), T(p["scale"])),
                    D.ComposeTransform([D.AffineTransform(0.0, -1.5), D.TanhTransform()])),
                lambda r, b: r.uniform(-0.9, 0.9, size=b)),
    "Mixture": (lambda r, b: {"w": _pos(r, b + (3,)), "loc": _real(r, b + (3,)),
                              "scale": _pos(r, b + (3,))},
                lambda D, T, p: D.MixtureSameFamily(D.Categorical(probs=T(p["w"])),
                                                    D.Normal(T(p["loc"]), T(p["scale"]))),
                _real),
}

PROPS = ["mean", "variance", "stddev", "mode"]
METHODS = ["entropy", "log_prob", "cdf", "icdf", "enumerate_support", "perplexity"]
_DT = {"float32": (torch.float32, tk.float32), "float64": (torch.float64, tk.float64)}


def _make(M, D, name, params, dtype, grad):
    made = {}

    def T(a):
        a = np.asarray(a)
        t = M.tensor(a, dtype=dtype) if a.dtype.kind == "f" else M.tensor(a)
        if grad and t.is_floating_point():
            t.requires_grad_()
        made[len(made)] = t
        return t

    return SPECS[name][1](D, T, params), made


def _compare(name, seed, batch, dtype_name):
    rng = np.random.default_rng(seed)
    params = SPECS[name][0](rng, batch)
    value = SPECS[name][2](rng, batch)
    u = rng.uniform(0.05, 0.95, size=batch)
    tdt, kdt = _DT[dtype_name]
    rtol, atol = (2e-5, 2e-5) if dtype_name == "float32" else (1e-9, 1e-10)
    dt_, _ = _make(torch, torch.distributions, name, params, tdt, False)
    dk, _ = _make(tk, tk.distributions, name, params, kdt, False)
    args = {"log_prob": value, "cdf": value, "icdf": u}

    def arg_of(M, m):
        if args.get(m) is None:
            return None
        arr = np.asarray(args[m])
        return (M.tensor(arr, dtype=_DT[dtype_name][M is tk]) if arr.dtype.kind == "f"
                else M.tensor(arr))
    compare_built(torch, tk, dt_, dk, PROPS, METHODS, arg_of, rtol, atol)
    for shape in [(), (4,), (2, 1)]:
        st_, sk = dt_.sample(shape), dk.sample(shape)
        assert tuple(sk.shape) == tuple(st_.shape)
        assert str(sk.dtype) == str(st_.dtype)
        assert bool(dk.support.check(sk).all())
        if dt_.has_rsample:
            assert tuple(dk.rsample(shape).shape) == tuple(st_.shape)
    ex = (5,) + tuple(dt_.batch_shape)
    assert tuple(dk.expand(ex).batch_shape) == tuple(dt_.expand(ex).batch_shape)
    _close(dk.expand(ex).log_prob(tk.tensor(np.asarray(value), dtype=kdt) if
                                  np.asarray(value).dtype.kind == "f" else tk.tensor(value)),
           dt_.expand(ex).log_prob(torch.tensor(np.asarray(value), dtype=tdt) if
                                   np.asarray(value).dtype.kind == "f" else torch.tensor(value)),
           rtol, atol, "expand")
    if dtype_name == "float64":
        _compare_grads(name, params, value)


def _compare_grads(name, params, value):
    """Gradients of ``log_prob(value).sum()`` (plus the entropy where defined) w.r.t. every
    floating parameter."""
    grads = []
    for M in (torch, tk):
        d, made = _make(M, M.distributions, name, params, M.float64, True)
        arr = np.asarray(value)
        v = M.tensor(arr, dtype=M.float64) if arr.dtype.kind == "f" else M.tensor(arr)
        total = d.log_prob(v).sum()
        try:
            total = total + d.entropy().sum()
        except NotImplementedError:
            pass
        leaves = [t for t in made.values() if t.requires_grad]
        grads.append(M.autograd.grad(total, leaves, allow_unused=True))
    for gt, gk in zip(*grads):
        if gt is None:
            assert gk is None or not gk.abs().sum().item()
        else:
            _close(gk, gt, 1e-8, 1e-9, f"grad {name}")


BATCHES = st.sampled_from([(), (3,), (2, 3)])


@pytest.mark.parametrize("name", sorted(SPECS))
@settings(max_examples=6)
@given(seed=st.integers(0, 2 ** 32 - 1), batch=BATCHES,
       dtype_name=st.sampled_from(["float32", "float64"]))
def test_family_matches_torch(name, seed, batch, dtype_name):
    _compare(name, seed, batch, dtype_name)


KL_PAIRS = ["Normal", "BernoulliProbs", "BernoulliLogits", "CategoricalProbs",
            "CategoricalLogits", "OneHotCategorical", "Exponential", "Gamma", "Beta",
            "Dirichlet", "MVNCov", "MVNTril", "IndependentNormal", "Laplace", "Poisson",
            "Geometric", "Gumbel", "LogNormal", "Binomial"]


@pytest.mark.parametrize("name", KL_PAIRS)
@settings(max_examples=5)
@given(seed=st.integers(0, 2 ** 32 - 1), batch=BATCHES)
def test_kl_matches_torch(name, seed, batch):
    rng = np.random.default_rng(seed)
    pp, pq = SPECS[name][0](rng, batch), SPECS[name][0](rng, batch)
    results = []
    for M in (torch, tk):
        p, made_p = _make(M, M.distributions, name, pp, M.float64, True)
        q, made_q = _make(M, M.distributions, name, pq, M.float64, True)
        kl = M.distributions.kl_divergence(p, q)
        leaves = [t for t in list(made_p.values()) + list(made_q.values()) if t.requires_grad]
        results.append((kl, M.autograd.grad(kl.sum(), leaves)))
    (kt, gt), (kk, gk) = results
    _close(kk, kt, 1e-9, 1e-10, f"kl {name}")
    for a, b in zip(gk, gt):
        _close(a, b, 1e-8, 1e-9, f"kl grad {name}")


def test_uniform_kl_infinite_and_unregistered_pair():
    for M in (torch, tk):
        D = M.distributions
        kl = D.kl_divergence(D.Uniform(M.tensor([0., 0.]), M.tensor([1., 1.])),
                             D.Uniform(M.tensor([-1., 0.5]), M.tensor([2., 3.])))
        assert kl[1].item() == float("inf")
        assert abs(kl[0].item() - np.log(3.0)) < 1e-6
    for p, q in [("Normal(0., 1.)", "Cauchy(0., 1.)"), ("Normal(0., 1.)", "Bernoulli(0.3)"),
                 ("Uniform(0., 1.)", "Laplace(0., 1.)")]:
        errs = []
        for M in (torch, tk):
            D = M.distributions
            errs.append(_outcome(lambda: D.kl_divergence(eval(p, vars(D)), eval(q, vars(D)))))
        assert errs[0] == errs[1] and errs[0][0] == "err"


ERRORS = [
    "D.Normal(torch.zeros(2), torch.tensor([1., -1.]))",
    "D.Normal(0., -1.)",
    "D.Normal(torch.tensor([0., float('nan')]), 1.)",
    "D.Exponential(1.).log_prob(torch.tensor([-1.]))",
    "D.Exponential(1.).log_prob(1)",
    "D.Normal(torch.zeros(2), 1.).log_prob(torch.ones(3))",
    "D.Bernoulli(torch.tensor([0.3, 1.5]))",
    "D.Bernoulli(probs=0.3, logits=0.1)",
    "D.Bernoulli()",
    "D.Bernoulli(0.3).log_prob(torch.tensor(0.5))",
    "D.Categorical(torch.tensor([0.3, -0.1]))",
    "D.Categorical(torch.tensor(0.3))",
    "D.Categorical(logits=torch.tensor(0.3))",
    "D.Categorical(torch.ones(3)).log_prob(torch.tensor([3]))",
    "D.Uniform(1., 0.)",
    "D.Uniform(0., 1.).log_prob(torch.tensor(2.))",
    "D.Gamma(torch.tensor([1., 0.]), 1.)",
    "D.Beta(1., -1.)",
    "D.Dirichlet(torch.tensor(1.))",
    "D.Dirichlet(torch.tensor([1., -1.]))",
    "D.Dirichlet(torch.ones(3)).log_prob(torch.tensor([0.5, 0.6, 0.1]))",
    "D.Poisson(torch.tensor(2.)).log_prob(torch.tensor(1.5))",
    "D.Geometric(torch.tensor([0., 0.5]))",
    "D.Binomial(3, torch.tensor(0.5)).log_prob(torch.tensor(4.))",
    "D.Binomial(torch.tensor([2., 3.]), torch.tensor(0.5)).entropy()",
    "D.MultivariateNormal(torch.zeros(2))",
    "D.MultivariateNormal(torch.tensor(0.), torch.eye(2))",
    "D.MultivariateNormal(torch.zeros(2), torch.tensor([[1., 2.], [2., 1.]]))",
    "D.MultivariateNormal(torch.zeros(2), scale_tril=torch.tensor([[1., 1.], [0., 1.]]))",
    "D.MultivariateNormal(torch.zeros(2), torch.ones(2))",
    "D.Independent(D.Normal(torch.zeros(2), 1.), 2)",
    "D.Independent(D.Normal(torch.zeros(2), 1.), 1).enumerate_support()",
    "D.Independent(D.Bernoulli(torch.ones(2) * 0.5), 1).enumerate_support()",
    "D.Normal(0., 1.).expand([2]).expand([3])",
    "D.Normal(0., 1.).enumerate_support()",
    "D.Normal(0., 1., validate_args=False).log_prob(torch.tensor(1.)).item()",
    "D.Exponential(1., validate_args=False).log_prob(torch.tensor(-1.)).item()",
    "D.Cauchy(0., 1.).mode.item()",
    "D.Laplace(0., 1.).sample().shape",
    "D.TransformedDistribution(D.Normal(0., 1.), 3)",
    "D.TransformedDistribution(D.Normal(0., 1.), [3])",
    "D.MixtureSameFamily(D.Normal(0., 1.), D.Normal(torch.zeros(2), 1.))",
    "D.MixtureSameFamily(D.Categorical(torch.ones(3)), D.Normal(torch.zeros(2), 1.))",
    "D.Normal(0., 1.).mode",
    "D.Poisson(torch.tensor([-1.]))",
    "repr(D.constraints.interval(0., 2.))",
    "repr(D.constraints.independent(D.constraints.positive, 2))",
    "repr(D.constraints.integer_interval(0, 3))",
    "[repr(c) for c in (D.constraints.simplex, D.constraints.lower_cholesky, "
    "D.constraints.positive_definite, D.constraints.nonnegative_integer, D.constraints.boolean, "
    "D.constraints.unit_interval, D.constraints.half_open_interval(0., 1.), "
    "D.constraints.greater_than_eq(1.), D.constraints.less_than(2.), D.constraints.one_hot)]",
    "D.constraints.simplex.check(torch.tensor([[0.5, 0.5], [0.5, 0.6]])).tolist()",
    "D.constraints.lower_cholesky.check(torch.tensor([[[1., 0.], [2., 1.]], [[1., 1.], "
    "[0., 1.]]])).tolist()",
    "D.constraints.positive_definite.check(torch.tensor([[2., 1.], [1., 2.]])).item()",
    "D.constraints.independent(D.constraints.real, 1).check(torch.tensor([[1., float('nan')],"
    " [0., 1.]])).tolist()",
    "D.constraints.integer_interval(0, 3).check(torch.tensor([0., 1.5, 3., 4.])).tolist()",
    "D.constraints.dependent.check(torch.ones(1))",
    "D.constraints.is_dependent(D.Uniform.support)",
    "repr(D.ExpTransform().inv.inv)",
    "D.AffineTransform(1., 2.).log_abs_det_jacobian(torch.ones(2), torch.ones(2)).tolist()",
    "repr(D.ComposeTransform([D.ExpTransform(), D.AffineTransform(0., 2.)]))",
    "D.Normal(0., 1.).stddev.item()",
    "D.Bernoulli(torch.tensor([0.5, 0.7])).mode.tolist()",
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


def test_default_validate_args_switch():
    try:
        for M in (torch, tk):
            M.distributions.Distribution.set_default_validate_args(False)
            assert M.distributions.Normal(0., -1.).scale.item() == -1.0
            with pytest.raises(ValueError):
                M.distributions.Distribution.set_default_validate_args(3)
    finally:
        for M in (torch, tk):
            M.distributions.Distribution.set_default_validate_args(True)
