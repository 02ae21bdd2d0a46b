"""The distributions and transforms of ``continuous_more``, ``discrete_more``, ``relaxed``,
``lowrank``, ``transforms_more`` and ``constraint_registry`` on their own (no PyTorch):

* densities integrate to one on a fine grid, and their moments, cdfs and entropies agree with
  closed forms (or numpy integrals) written out here;
* sample statistics over many draws agree with the closed-form moments; draws lie in the
  support, have the right shapes, follow ``torch.manual_seed``, and reparameterised draws
  carry the right gradients;
* gradchecks of scores, entropies, cdfs, KL divergences and transform log-determinants;
* transforms invert, and their log-determinants equal those of finite-difference Jacobians;
  ``biject_to``/``transform_to`` land inside their constraints;
* KL divergences vanish for equal arguments and agree with Monte Carlo estimates;
* PyTorch's submodule names and a few exact error texts.
"""

import contextlib
import importlib
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tensor as torch
from tensor import distributions as D
from tensor.autograd import gradcheck


def _t(values, grad=False):
    return torch.tensor(values, dtype=torch.float64, requires_grad=grad)


def _np(t):
    return t.detach().numpy()


@contextlib.contextmanager
def _default_dtype_for(name):
    """GeneralizedPareto compares its shape with a default-dtype zero (as PyTorch does), so
    its float64 scores need a float64 default dtype."""
    if "GeneralizedPareto" not in name:
        yield
        return
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(torch.float32)


def _bessel_i(order, x, terms=80):
    """Modified Bessel function of the first kind by its power series."""
    return sum((x / 2) ** (2 * m + order) / (math.factorial(m) * math.gamma(m + order + 1))
               for m in range(terms))


def _kumaraswamy_raw_moment(a, b, n):
    return b * math.exp(math.lgamma(1 + n / a) + math.lgamma(b) - math.lgamma(1 + n / a + b))


# ---- densities on a grid ------------------------------------------------------------------

# name -> (distribution, grid, closed-form mean, closed-form variance, closed-form entropy
# or None). Grids cover all but a negligible part of the mass and avoid singular endpoints.
def _cb_moments(p):
    """Mean and variance of ContinuousBernoulli(p) by integrating its density in numpy."""
    x = np.linspace(0, 1, 200001)
    c = 2 * np.arctanh(1 - 2 * p) / (1 - 2 * p)
    dens = c * p ** x * (1 - p) ** (1 - x)
    mean = np.trapezoid(x * dens, x)
    return mean, np.trapezoid((x - mean) ** 2 * dens, x)


_KW = (2.0, 3.0)
_KW_MEAN = _kumaraswamy_raw_moment(*_KW, 1)
DENSITIES = {
    "HalfNormal": (lambda: D.HalfNormal(_t(1.5)), np.linspace(0, 15, 200001),
                   1.5 * math.sqrt(2 / math.pi), 2.25 * (1 - 2 / math.pi),
                   0.5 * math.log(math.pi * 2.25 / 2) + 0.5),
    "Weibull": (lambda: D.Weibull(_t(2.0), _t(1.5)), np.linspace(1e-12, 30, 300001),
                2.0 * math.gamma(1 + 1 / 1.5),
                4.0 * (math.gamma(1 + 2 / 1.5) - math.gamma(1 + 1 / 1.5) ** 2), None),
    "Pareto": (lambda: D.Pareto(_t(1.0), _t(5.5)), np.geomspace(1.0, 1e4, 400001),
               5.5 / 4.5, 5.5 / (4.5 ** 2 * 3.5), math.log(1 / 5.5) + 1 + 1 / 5.5),
    "Kumaraswamy": (lambda: D.Kumaraswamy(_t(_KW[0]), _t(_KW[1])),
                    np.linspace(1e-12, 1 - 1e-12, 200001),
                    _KW_MEAN, _kumaraswamy_raw_moment(*_KW, 2) - _KW_MEAN ** 2, None),
    "InverseGamma": (lambda: D.InverseGamma(_t(4.5), _t(2.0)),
                     np.geomspace(1e-3, 1e4, 400001), 2.0 / 3.5, 4.0 / (3.5 ** 2 * 2.5),
                     None),
    "FisherSnedecor": (lambda: D.FisherSnedecor(_t(5.0), _t(11.0)),
                       np.geomspace(1e-10, 1e5, 400001),
                       11.0 / 9.0, 2 * 121.0 * 14.0 / (5.0 * 81.0 * 7.0), None),
    "ContinuousBernoulli": (lambda: D.ContinuousBernoulli(_t(0.2)), np.linspace(0, 1, 200001),
                            *_cb_moments(0.2), None),
    "ContinuousBernoulliNearHalf": (lambda: D.ContinuousBernoulli(_t(0.4996)),
                                    np.linspace(0, 1, 200001), *_cb_moments(0.4996), None),
    "ContinuousBernoulliLogits": (lambda: D.ContinuousBernoulli(logits=_t(1.3)),
                                  np.linspace(0, 1, 200001),
                                  *_cb_moments(1 / (1 + math.exp(-1.3))), None),
    "GeneralizedPareto": (lambda: D.GeneralizedPareto(_t(0.5), _t(1.5), _t(0.2)),
                          np.geomspace(1e-9, 1e6, 400001) + 0.5, 0.5 + 1.5 / 0.8,
                          2.25 / (0.64 * 0.6), math.log(1.5) + 1.2),
    "GeneralizedParetoBounded": (lambda: D.GeneralizedPareto(_t(-1.0), _t(2.0), _t(-0.4)),
                                 np.linspace(-1.0, 4.0, 200001), -1.0 + 2.0 / 1.4,
                                 4.0 / (1.96 * 1.8), math.log(2.0) + 0.6),
    "VonMises": (lambda: D.VonMises(_t(0.5), _t(2.0)), np.linspace(-math.pi, math.pi, 200001),
                 None, 1 - _bessel_i(1, 2.0) / _bessel_i(0, 2.0), None),
    "VonMisesConcentrated": (lambda: D.VonMises(_t(-1.0), _t(7.5)),
                             np.linspace(-math.pi, math.pi, 200001), None,
                             1 - _bessel_i(1, 7.5) / _bessel_i(0, 7.5), None),
    "RelaxedBernoulli": (lambda: D.RelaxedBernoulli(_t(1.5), probs=_t(0.3)),
                         np.linspace(1e-9, 1 - 1e-9, 200001), None, None, None),
    "HalfCauchy": (lambda: D.HalfCauchy(_t(0.7)), np.geomspace(1e-9, 1e7, 400001), None, None,
                   math.log(2 * math.pi * 0.7)),
    "TransformedSoftplus": (lambda: D.TransformedDistribution(D.Normal(_t(0.3), _t(0.8)),
                                                              D.SoftplusTransform()),
                            np.geomspace(1e-9, 20, 300001), None, None, None),
}


@pytest.mark.parametrize("name", sorted(DENSITIES))
def test_density_integrates_to_one_and_matches_moments(name):
    with _default_dtype_for(name):
        _check_density(name)


def _check_density(name):
    make, x, mean, var, entropy = DENSITIES[name]
    d = make()
    logp = _np(d.log_prob(_t(x)))
    dens = np.exp(logp)
    mass = np.trapezoid(dens, x)
    if name == "HalfCauchy":
        assert abs(mass - 2 / math.pi * math.atan(1e7 / 0.7)) < 1e-4
    else:
        assert abs(mass - 1) < 2e-6, mass
    if mean is not None:
        assert abs(_np(d.mean) - mean) < 1e-9 * max(1, abs(mean))
        assert abs(np.trapezoid(x * dens, x) - mean) < 1e-6 * max(1, abs(mean))
    if var is not None:
        # (VonMises uses polynomial approximations of I0 and I1, good to about 1e-8.)
        tol = 1e-7 if name.startswith("VonMises") else 1e-9
        assert abs(_np(d.variance) - var) < tol * max(1, var)
        if name.startswith("VonMises"):
            loc = _np(d.loc)
            assert abs(1 - np.trapezoid(np.cos(x - loc) * dens, x) - var) < 1e-6
        else:
            assert abs(np.trapezoid((x - mean) ** 2 * dens, x) - var) < 2e-6 * max(1, var)
    if entropy is not None:
        assert abs(_np(d.entropy()) - entropy) < 1e-9
    try:
        h = _np(d.entropy())
    except NotImplementedError:
        h = None
    if h is not None and name != "HalfCauchy":
        safe = np.where(dens > 0, logp, 0.0)
        assert abs(-np.trapezoid(dens * safe, x) - h) < 1e-5


CDFS = ["HalfNormal", "HalfCauchy", "Weibull", "Pareto", "Kumaraswamy", "InverseGamma",
        "ContinuousBernoulli", "ContinuousBernoulliNearHalf", "GeneralizedPareto",
        "GeneralizedParetoBounded", "TransformedSoftplus"]


@pytest.mark.parametrize("name", CDFS)
def test_cdf_is_integral_of_density_and_icdf_inverts_it(name):
    with _default_dtype_for(name):
        _check_cdf(name)


def _check_cdf(name):
    make, x, *_ = DENSITIES[name]
    d = make()
    dens = np.exp(_np(d.log_prob(_t(x))))
    running = np.concatenate([[0.0], np.cumsum((dens[1:] + dens[:-1]) / 2 * np.diff(x))])
    cdf = _np(d.cdf(_t(x)))
    picks = np.linspace(0, len(x) - 1, 40).astype(int)[1:-1]
    expected = running[picks] + cdf[0]
    assert np.allclose(cdf[picks], expected, atol=3e-4)
    u = np.linspace(0.02, 0.98, 25)
    if name == "InverseGamma":  # its Gamma base has no icdf, in PyTorch too
        with pytest.raises(NotImplementedError):
            d.icdf(_t(u))
        return
    back = _np(d.cdf(d.icdf(_t(u))))
    assert np.allclose(back, u, atol=1e-9)


def test_discrete_pmfs_sum_to_one_and_match_moments():
    n, p = 3.5, 0.35
    d = D.NegativeBinomial(_t(n), probs=_t(p))
    k = np.arange(0, 400.0)
    pmf = np.exp(_np(d.log_prob(_t(k))))
    assert abs(pmf.sum() - 1) < 1e-10
    mean, var = n * p / (1 - p), n * p / (1 - p) ** 2
    assert abs((k * pmf).sum() - mean) < 1e-9 and abs(_np(d.mean) - mean) < 1e-12
    assert abs(((k - mean) ** 2 * pmf).sum() - var) < 1e-8
    assert abs(_np(d.variance) - var) < 1e-12
    assert _np(d.mode) == math.floor((n - 1) * p / (1 - p))
    # Multinomial: every count vector with total n, against the multinomial formula.
    probs = np.array([0.2, 0.5, 0.3])
    m = D.Multinomial(4, probs=_t(probs))
    vecs = np.array([(a, b, 4 - a - b) for a in range(5) for b in range(5 - a)], float)
    pmf = np.exp(_np(m.log_prob(_t(vecs))))
    direct = [math.factorial(4) / np.prod([math.factorial(int(c)) for c in v])
              * np.prod(probs ** v) for v in vecs]
    assert np.allclose(pmf, direct, rtol=1e-12)
    assert abs(pmf.sum() - 1) < 1e-12
    assert np.allclose(_np(m.mean), 4 * probs) and np.allclose(_np(m.variance),
                                                               4 * probs * (1 - probs))
    # (PyTorch's formula takes lgamma(n + 1) of an integer tensor, in float32.)
    assert abs(_np(m.entropy()) + (pmf * np.log(pmf)).sum()) < 1e-6


def test_lowrank_mvn_against_numpy():
    rng = np.random.default_rng(0)
    loc, w, diag = rng.normal(size=(2, 4)), rng.normal(size=(4, 2)), rng.uniform(0.5, 2, 4)
    d = D.LowRankMultivariateNormal(_t(loc), _t(w), _t(diag))
    cov = w @ w.T + np.diag(diag)
    x = rng.normal(size=(5, 2, 4))
    diff = x - loc
    expected = -0.5 * (np.einsum("...i,ij,...j->...", diff, np.linalg.inv(cov), diff)
                       + np.linalg.slogdet(cov)[1] + 4 * math.log(2 * math.pi))
    assert np.allclose(_np(d.log_prob(_t(x))), expected, rtol=1e-12)
    assert np.allclose(_np(d.covariance_matrix), cov)
    assert np.allclose(_np(d.precision_matrix), np.linalg.inv(cov))
    assert np.allclose(_np(d.scale_tril), np.linalg.cholesky(cov))
    assert np.allclose(_np(d.variance), np.diag(cov))
    assert np.allclose(_np(d.entropy()), 0.5 * np.linalg.slogdet(2 * math.pi * math.e * cov)[1])
    assert d.batch_shape == (2,) and d.event_shape == (4,)
    assert d.expand((3, 2)).log_prob(_t(x[0])).shape == (3, 2)


# ---- sampling -----------------------------------------------------------------------------

# name -> (distribution, statistic of the draws, its expected value, tolerance)
def _stat_mean(x):
    return x.mean(0)


def _stat_var(x):
    return x.var(0)


SAMPLING = {
    "HalfNormal": (lambda: D.HalfNormal(_t([0.5, 2.0])),
                   [(_stat_mean, [0.5 * math.sqrt(2 / math.pi), 2 * math.sqrt(2 / math.pi)]),
                    (_stat_var, [0.25 * (1 - 2 / math.pi), 4 * (1 - 2 / math.pi)])]),
    "HalfCauchy": (lambda: D.HalfCauchy(_t([0.5, 3.0])),
                   [(lambda x: (x < np.array([0.5, 3.0])).mean(0), [0.5, 0.5])]),
    "Weibull": (lambda: D.Weibull(_t([1.0, 2.0]), _t([0.8, 3.0])),
                [(_stat_mean, [math.gamma(1 + 1 / 0.8), 2 * math.gamma(1 + 1 / 3)])]),
    "Pareto": (lambda: D.Pareto(_t([1.0, 0.5]), _t([5.0, 8.0])),
               [(_stat_mean, [5.0 / 4.0, 0.5 * 8.0 / 7.0]),
                (lambda x: x.min(0), [1.0, 0.5])]),
    "Kumaraswamy": (lambda: D.Kumaraswamy(_t([0.5, 3.0]), _t([2.0, 0.7])),
                    [(_stat_mean, [_kumaraswamy_raw_moment(0.5, 2.0, 1),
                                   _kumaraswamy_raw_moment(3.0, 0.7, 1)])]),
    "InverseGamma": (lambda: D.InverseGamma(_t([5.0, 3.0]), _t([2.0, 1.0])),
                     [(_stat_mean, [0.5, 0.5])]),
    "FisherSnedecor": (lambda: D.FisherSnedecor(_t([4.0, 10.0]), _t([10.0, 6.0])),
                       [(_stat_mean, [10 / 8, 6 / 4])]),
    "VonMises": (lambda: D.VonMises(_t([0.5, -3.0]), _t([2.0, 0.05])),
                 [(lambda x: np.cos(x - np.array([0.5, -3.0])).mean(0),
                   [_bessel_i(1, 2.0) / _bessel_i(0, 2.0),
                    _bessel_i(1, 0.05) / _bessel_i(0, 0.05)]),
                  (lambda x: np.sin(x - np.array([0.5, -3.0])).mean(0), [0.0, 0.0])]),
    "ContinuousBernoulli": (lambda: D.ContinuousBernoulli(_t([0.1, 0.5, 0.8])),
                            [(_stat_mean, [_cb_moments(0.1)[0], 0.5, _cb_moments(0.8)[0]])]),
    "GeneralizedPareto": (lambda: D.GeneralizedPareto(_t([0.0, 1.0]), _t([1.0, 2.0]),
                                                      _t([0.1, -0.5])),
                          [(_stat_mean, [1 / 0.9, 1 + 2 / 1.5])]),
    "NegativeBinomial": (lambda: D.NegativeBinomial(_t([2.0, 0.7]), _t([0.3, 0.6])),
                         [(_stat_mean, [2 * 0.3 / 0.7, 0.7 * 0.6 / 0.4]),
                          (_stat_var, [2 * 0.3 / 0.49, 0.7 * 0.6 / 0.16])]),
    "Multinomial": (lambda: D.Multinomial(6, probs=_t([0.2, 0.3, 0.5])),
                    [(_stat_mean, [1.2, 1.8, 3.0]), (_stat_var, [0.96, 1.26, 1.5]),
                     (lambda x: x.sum(-1).mean(), 6.0)]),
    "RelaxedBernoulli": (lambda: D.RelaxedBernoulli(_t(0.5), probs=_t([0.2, 0.7])),
                         [(lambda x: (x > 0.5).mean(0), [0.2, 0.7])]),
    "RelaxedOneHotCategorical": (lambda: D.RelaxedOneHotCategorical(
        _t(0.7), probs=_t([0.1, 0.6, 0.3])),
        [(lambda x: np.bincount(x.argmax(-1), minlength=3) / len(x), [0.1, 0.6, 0.3])]),
    "OneHotCategoricalStraightThrough": (lambda: D.OneHotCategoricalStraightThrough(
        _t([0.1, 0.6, 0.3])), [(_stat_mean, [0.1, 0.6, 0.3])]),
}


@pytest.mark.parametrize("name", sorted(SAMPLING))
def test_sampling_statistics(name):
    make, checks = SAMPLING[name]
    torch.manual_seed(2024)
    d = make()
    s = d.sample((20000,))
    assert s.shape == (20000,) + tuple(d.batch_shape) + tuple(d.event_shape)
    assert s.dtype == torch.float64 and not s.requires_grad
    assert bool(d.support.check(s).all())
    x = _np(s)
    for stat, expected in checks:
        got = stat(x)
        assert np.allclose(got, expected, rtol=0.04, atol=0.02), (name, got, expected)


def test_lowrank_and_logistic_normal_sampling():
    torch.manual_seed(11)
    w, diag = np.array([[1.0], [0.5], [-1.0]]), np.array([0.5, 1.0, 0.3])
    d = D.LowRankMultivariateNormal(_t([1.0, 0.0, -1.0]), _t(w), _t(diag))
    x = _np(d.sample((40000,)))
    assert np.allclose(x.mean(0), [1.0, 0.0, -1.0], atol=0.03)
    assert np.allclose(np.cov(x.T), w @ w.T + np.diag(diag), atol=0.05)
    ln = D.LogisticNormal(_t([0.3, -0.5]), _t([0.5, 1.2]))
    y = ln.sample((40000,))
    assert y.shape == (40000, 3) and bool(D.constraints.simplex.check(y).all())
    z = _np(D.StickBreakingTransform().inv(y))
    assert np.allclose(z.mean(0), [0.3, -0.5], atol=0.03)
    assert np.allclose(z.std(0), [0.5, 1.2], atol=0.03)


@pytest.mark.parametrize("make", [
    lambda: D.HalfNormal(_t([1.0, 2.0])), lambda: D.Weibull(_t(1.0), _t([1.0, 2.0])),
    lambda: D.Pareto(_t(1.0), _t([2.0, 3.0])), lambda: D.VonMises(_t([0.0, 1.0]), _t(1.0)),
    lambda: D.NegativeBinomial(_t(2.0), logits=_t([0.3, -1.0])),
    lambda: D.Multinomial(3, logits=_t([[0.1, 0.2, 0.3]] * 2)),
    lambda: D.ContinuousBernoulli(logits=_t([0.3, 2.0])),
    lambda: D.FisherSnedecor(_t([2.0, 5.0]), _t(4.0)),
    lambda: D.GeneralizedPareto(_t(0.0), _t(1.0), _t([0.2, 0.0])),
    lambda: D.LowRankMultivariateNormal(_t([[0.0, 1.0]]), _t([[1.0], [2.0]]), _t([1.0, 1.0])),
    lambda: D.RelaxedOneHotCategorical(_t(0.5), logits=_t([[0.1, 0.2, 0.3]] * 2)),
])
def test_sample_shapes_and_seeding(make):
    d = make()
    full = tuple(d.batch_shape) + tuple(d.event_shape)
    for shape in [(), (3,), (2, 4)]:
        assert d.sample(shape).shape == shape + full
        if d.has_rsample:
            assert d.rsample(shape).shape == shape + full
    draws = []
    for _ in range(2):
        torch.manual_seed(5)
        draws.append(d.sample((6,)))
    assert torch.equal(draws[0], draws[1])
    assert d.expand((4,) + tuple(d.batch_shape)).sample().shape == (4,) + full


def test_rsample_gradients():
    """Draws that scale with a parameter have d x / d param = x / param; others are checked
    through E[dx/dparam] = d E[x] / d param."""
    torch.manual_seed(0)
    for cls, args, k in [(D.HalfNormal, ([1.5],), 0), (D.HalfCauchy, ([0.5],), 0),
                         (D.Weibull, ([2.0], [1.5]), 0), (D.Pareto, ([0.7], [3.0]), 0)]:
        params = [_t(a, grad=True) for a in args]
        x = cls(*params).rsample((50,))
        g = torch.autograd.grad(x.sum(), params[k])[0]
        assert abs(g.item() - (x.detach() / params[k].detach()).sum().item()) < 1e-8
    loc = _t([0.5], grad=True)
    x = D.GeneralizedPareto(loc, _t(1.0), _t(0.3)).rsample((7,))
    assert torch.autograd.grad(x.sum(), loc)[0].item() == pytest.approx(7.0)
    rate = _t([2.0], grad=True)
    x = D.InverseGamma(_t(4.0), rate).rsample((20000,))
    assert torch.autograd.grad(x.mean(), rate)[0].item() == pytest.approx(1 / 3, abs=0.01)
    a = _t([2.0], grad=True)
    x = D.Kumaraswamy(a, _t(3.0)).rsample((20000,))
    h = 1e-5
    slope = (_kumaraswamy_raw_moment(2.0 + h, 3.0, 1) - _kumaraswamy_raw_moment(2.0 - h, 3.0,
                                                                                1)) / (2 * h)
    assert torch.autograd.grad(x.mean(), a)[0].item() == pytest.approx(slope, abs=0.01)
    w = _t([[1.0], [2.0]], grad=True)
    x = D.LowRankMultivariateNormal(_t([0.0, 0.0]), w, _t([1.0, 1.0])).rsample((3,))
    assert torch.autograd.grad(x.sum(), w)[0].shape == (2, 1)
    p = _t([0.2, 0.3, 0.5], grad=True)
    s = D.OneHotCategoricalStraightThrough(p).rsample((4,))
    g = torch.autograd.grad((s * _t([1.0, 2.0, 3.0])).sum(), p)[0]
    # probs are normalised on construction, so the identity passes through that too.
    weights = np.array([1.0, 2.0, 3.0])
    assert np.allclose(_np(g), 4 * (weights - weights @ np.array([0.2, 0.3, 0.5])))
    for d in [D.RelaxedBernoulli(_t(0.5), probs=_t([0.3], grad=True)),
              D.RelaxedOneHotCategorical(_t(0.5), logits=_t([0.1, 0.4], grad=True)),
              D.LogisticNormal(_t([0.1], grad=True), _t([1.0])),
              D.FisherSnedecor(_t([3.0], grad=True), _t(5.0)),
              D.ContinuousBernoulli(_t([0.3], grad=True))]:
        assert d.rsample((2,)).requires_grad and not d.sample((2,)).requires_grad
    assert not D.VonMises(0.0, 1.0).has_rsample and not D.NegativeBinomial(2.0, 0.5).has_rsample


# ---- gradchecks ---------------------------------------------------------------------------

GRADCHECKS = {
    "HalfNormal": (lambda a: D.HalfNormal(a), [[0.7, 1.4]], [0.1, 2.5], True),
    "HalfCauchy": (lambda a: D.HalfCauchy(a), [[0.7, 1.4]], [0.1, 2.5], True),
    "Weibull": (lambda a, b: D.Weibull(a, b), [[0.7, 1.4], [0.8, 2.5]], [0.4, 2.5], True),
    "Pareto": (lambda a, b: D.Pareto(a, b), [[0.7, 1.4], [0.8, 2.5]], [1.5, 2.5], True),
    "Kumaraswamy": (lambda a, b: D.Kumaraswamy(a, b), [[0.7, 1.4], [0.8, 2.5]], [0.3, 0.8],
                    False),
    "InverseGamma": (lambda a, b: D.InverseGamma(a, b), [[0.7, 1.4], [0.8, 2.5]], [0.3, 2.8],
                     False),
    "FisherSnedecor": (lambda a, b: D.FisherSnedecor(a, b), [[0.7, 4.4], [3.8, 2.5]],
                       [0.3, 2.8], False),
    "VonMises": (lambda a, b: D.VonMises(a, b), [[0.7, -1.4], [0.8, 4.5]], [0.3, 2.8], False),
    "ContinuousBernoulli": (lambda a: D.ContinuousBernoulli(a), [[0.2, 0.7]], [0.3, 0.8],
                            True),
    "ContinuousBernoulliLogits": (lambda a: D.ContinuousBernoulli(logits=a), [[-1.2, 0.7]],
                                  [0.3, 0.8], True),
    "GeneralizedPareto": (lambda a, b, c: D.GeneralizedPareto(a, b, c),
                          [[0.1, -0.4], [0.8, 2.5], [0.3, -0.2]], [0.5, 1.1], True),
    "NegativeBinomial": (lambda a, b: D.NegativeBinomial(a, b), [[0.7, 4.4], [0.3, 0.6]],
                         [0.0, 3.0], False),
    "NegativeBinomialLogits": (lambda a, b: D.NegativeBinomial(a, logits=b),
                               [[0.7, 4.4], [0.3, -0.6]], [2.0, 3.0], False),
    "RelaxedBernoulli": (lambda t, p: D.RelaxedBernoulli(t, probs=p), [[0.7], [0.3, 0.6]],
                         [0.2, 0.9], False),
    "LogitRelaxedBernoulli": (lambda t, p: D.relaxed_bernoulli.LogitRelaxedBernoulli(
        t, logits=p), [[0.7], [0.3, -0.6]], [0.2, -1.9], False),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradcheck_scores(name):
    make, params, value, with_cdf = GRADCHECKS[name]
    v = _t(value)

    def f(*ps):
        d = make(*ps)
        out = [d.log_prob(v)]
        try:
            out.append(d.entropy())
        except NotImplementedError:
            pass
        if with_cdf:
            out.append(d.cdf(v))
        return tuple(out)

    with _default_dtype_for(name):
        assert gradcheck(f, tuple(_t(p, grad=True) for p in params))


def test_generalized_pareto_float64_needs_float64_default():
    """As in PyTorch: the shape is compared with ``torch.tensor(0.0)``, which must share its
    dtype, so float64 scores under a float32 default fail while ``icdf`` works."""
    d = D.GeneralizedPareto(_t([0.0]), _t([1.0]), _t([0.5]))
    with pytest.raises(RuntimeError, match="Double did not match Float"):
        d.log_prob(_t([1.0]))
    assert d.icdf(_t([0.5])).dtype == torch.float64
    f = D.GeneralizedPareto(torch.tensor([0.0]), torch.tensor([1.0]), torch.tensor([0.0]))
    assert abs(f.log_prob(torch.tensor([1.0])).item() + 1.0) < 1e-6


def test_gradcheck_multivariate_scores():
    counts = _t([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]])
    assert gradcheck(lambda l: D.Multinomial(3, logits=l).log_prob(counts),
                     (_t([0.1, -0.4, 0.9], grad=True),))
    assert gradcheck(lambda p: D.Multinomial(3, probs=p).entropy(),
                     (_t([0.2, 0.3, 0.5], grad=True),))
    x = _t([[0.1, -0.5, 1.0], [2.0, 0.3, -0.2]])
    assert gradcheck(lambda m, w, d: D.LowRankMultivariateNormal(m, w, d).log_prob(x),
                     (_t([0.2, 0.0, -0.3], grad=True), _t([[1.0, 0.2], [0.5, -0.4],
                                                           [0.0, 0.7]], grad=True),
                      _t([0.5, 1.2, 0.8], grad=True)))
    assert gradcheck(lambda w, d: D.LowRankMultivariateNormal(_t([0.0, 0.0]), w, d).entropy(),
                     (_t([[1.0], [0.5]], grad=True), _t([0.5, 1.2], grad=True)))
    y = _t([[0.2, 0.5, 0.3]])
    assert gradcheck(lambda t, l: D.RelaxedOneHotCategorical(t, logits=l).log_prob(y),
                     (_t(0.7, grad=True), _t([0.1, -0.4, 0.9], grad=True)))
    assert gradcheck(lambda m, s: D.LogisticNormal(m, s).log_prob(y),
                     (_t([0.1, -0.4], grad=True), _t([0.5, 1.3], grad=True)))


KL_GRADCHECKS = [
    (lambda a, b: D.kl_divergence(D.HalfNormal(a), D.HalfNormal(b)), [[0.5, 2.0], [1.5, 0.7]]),
    (lambda a, b, c, d: D.kl_divergence(D.Pareto(a, b), D.Pareto(c, d)),
     [[1.5, 2.0], [1.5, 0.7], [0.5, 1.0], [2.5, 3.0]]),
    (lambda a, b: D.kl_divergence(D.ContinuousBernoulli(a), D.ContinuousBernoulli(b)),
     [[0.2, 0.8], [0.6, 0.3]]),
    (lambda w1, d1, w2: D.kl_divergence(
        D.LowRankMultivariateNormal(_t([0.0, 1.0]), w1, d1),
        D.LowRankMultivariateNormal(_t([0.5, -1.0]), w2, _t([1.0, 2.0]))),
     [[[1.0], [0.5]], [0.5, 1.2], [[0.3], [-0.5]]]),
    (lambda w, c: D.kl_divergence(
        D.LowRankMultivariateNormal(_t([0.0, 1.0]), w, _t([1.0, 2.0])),
        D.MultivariateNormal(_t([0.5, -1.0]), covariance_matrix=c @ c.mT)),
     [[[1.0], [0.5]], [[1.0, 0.0], [0.3, 1.2]]]),
    (lambda c, w: D.kl_divergence(
        D.MultivariateNormal(_t([0.5, -1.0]), covariance_matrix=c @ c.mT),
        D.LowRankMultivariateNormal(_t([0.0, 1.0]), w, _t([1.0, 2.0]))),
     [[[1.0, 0.0], [0.3, 1.2]], [[1.0], [0.5]]]),
    (lambda a, b, r: D.kl_divergence(D.Pareto(a, b), D.Exponential(r)),
     [[1.5, 2.0], [1.5, 2.7], [0.5, 1.0]]),
    (lambda a, b, c, r: D.kl_divergence(D.Pareto(a, b), D.Gamma(c, r)),
     [[1.5, 2.0], [1.5, 2.7], [0.5, 1.0], [1.5, 0.4]]),
    (lambda a, b, m, s: D.kl_divergence(D.Pareto(a, b), D.Normal(m, s)),
     [[1.5, 2.0], [2.5, 3.7], [0.5, 1.0], [1.5, 0.4]]),
    (lambda p, m, s: D.kl_divergence(D.ContinuousBernoulli(p), D.Normal(m, s)),
     [[0.2, 0.7], [0.5, 1.0], [1.5, 0.4]]),
    (lambda a, b, p: D.kl_divergence(D.Beta(a, b), D.ContinuousBernoulli(p)),
     [[1.2, 0.7], [0.5, 1.0], [0.3, 0.6]]),
]


@pytest.mark.parametrize("case", range(len(KL_GRADCHECKS)))
def test_gradcheck_kl(case):
    f, params = KL_GRADCHECKS[case]
    assert gradcheck(f, tuple(_t(p, grad=True) for p in params))


# ---- KL divergences -----------------------------------------------------------------------

def _lowrank(loc, w, d):
    return D.LowRankMultivariateNormal(_t(loc), _t(w), _t(d))


KL_MC = {
    "HalfNormal": (lambda: D.HalfNormal(_t(1.0)), lambda: D.HalfNormal(_t(1.7))),
    "Pareto": (lambda: D.Pareto(_t(1.5), _t(2.0)), lambda: D.Pareto(_t(1.0), _t(3.0))),
    "ContinuousBernoulli": (lambda: D.ContinuousBernoulli(_t(0.2)),
                            lambda: D.ContinuousBernoulli(logits=_t(0.9))),
    "LowRank": (lambda: _lowrank([0.0, 1.0, 0.0], [[1.0], [0.5], [0.0]], [0.5, 1.0, 0.7]),
                lambda: _lowrank([0.5, 0.0, -0.5], [[0.2, 1.0], [0.1, 0.3], [1.0, 0.0]],
                                 [1.0, 2.0, 0.4])),
    "LowRankMVN": (lambda: _lowrank([0.0, 1.0], [[1.0], [0.5]], [0.5, 1.0]),
                   lambda: D.MultivariateNormal(_t([0.5, 0.0]),
                                                _t([[2.0, 0.3], [0.3, 1.0]]))),
    "MVNLowRank": (lambda: D.MultivariateNormal(_t([0.5, 0.0]), _t([[2.0, 0.3], [0.3, 1.0]])),
                   lambda: _lowrank([0.0, 1.0], [[1.0], [0.5]], [0.5, 1.0])),
    "ParetoExponential": (lambda: D.Pareto(_t(1.0), _t(3.0)), lambda: D.Exponential(_t(0.7))),
    "ParetoGamma": (lambda: D.Pareto(_t(1.0), _t(3.0)), lambda: D.Gamma(_t(2.0), _t(0.7))),
    "ParetoNormal": (lambda: D.Pareto(_t(1.0), _t(6.0)), lambda: D.Normal(_t(1.0), _t(0.7))),
    "CBExponential": (lambda: D.ContinuousBernoulli(_t(0.3)), lambda: D.Exponential(_t(2.0))),
    "CBNormal": (lambda: D.ContinuousBernoulli(_t(0.7)), lambda: D.Normal(_t(0.2), _t(0.6))),
    "CBUniform": (lambda: D.ContinuousBernoulli(_t(0.7)), lambda: D.Uniform(_t(-0.5), _t(2.0))),
    "BetaCB": (lambda: D.Beta(_t(2.0), _t(3.0)), lambda: D.ContinuousBernoulli(_t(0.3))),
    "UniformCB": (lambda: D.Uniform(_t(0.2), _t(0.7)), lambda: D.ContinuousBernoulli(_t(0.3))),
    "UniformPareto": (lambda: D.Uniform(_t(2.0), _t(3.0)), lambda: D.Pareto(_t(1.0), _t(2.0))),
}


@pytest.mark.parametrize("temperature", [1.0, 1.5, 2.5])
def test_relaxed_one_hot_density_integrates_to_one(temperature):
    """For two classes the density (on the first coordinate) integrates to one."""
    d = D.RelaxedOneHotCategorical(_t(temperature), probs=_t([0.3, 0.7]))
    s = np.linspace(1e-9, 1 - 1e-9, 400001)
    y = np.stack([s, 1 - s], -1)
    assert abs(np.trapezoid(np.exp(_np(d.log_prob(_t(y)))), s) - 1) < 1e-6


# univariate pairs: (p, q, grid covering p's support)
KL_GRID = {
    "HalfNormal": (*KL_MC["HalfNormal"], np.linspace(0, 20, 200001)),
    "Pareto": (*KL_MC["Pareto"], np.geomspace(1.5, 1e8, 400001)),
    "ContinuousBernoulli": (*KL_MC["ContinuousBernoulli"], np.linspace(0, 1, 200001)),
    "ParetoExponential": (*KL_MC["ParetoExponential"], np.geomspace(1.0, 1e7, 400001)),
    "ParetoGamma": (*KL_MC["ParetoGamma"], np.geomspace(1.0, 1e7, 400001)),
    "ParetoNormal": (*KL_MC["ParetoNormal"], np.geomspace(1.0, 1e5, 400001)),
    "CBExponential": (*KL_MC["CBExponential"], np.linspace(0, 1, 200001)),
    "CBNormal": (*KL_MC["CBNormal"], np.linspace(0, 1, 200001)),
    "CBUniform": (*KL_MC["CBUniform"], np.linspace(0, 1, 200001)),
    "BetaCB": (*KL_MC["BetaCB"], np.linspace(1e-12, 1 - 1e-12, 200001)),
    "UniformCB": (*KL_MC["UniformCB"], np.linspace(0.2, 0.7, 200001)[:-1]),
    "UniformPareto": (*KL_MC["UniformPareto"], np.linspace(2.0, 3.0, 200001)[:-1]),
}


@pytest.mark.parametrize("name", sorted(KL_GRID))
def test_kl_equals_integral_of_log_ratio(name):
    """KL(p || q) = integral of p (log p - log q), on a fine grid."""
    make_p, make_q, x = KL_GRID[name]
    p, q = make_p(), make_q()
    logp = _np(p.log_prob(_t(x)))
    integrand = np.exp(logp) * (logp - _np(q.log_prob(_t(x))))
    assert abs(np.trapezoid(integrand, x) - _np(D.kl_divergence(p, q))) < 2e-5


@pytest.mark.parametrize("name", sorted(KL_MC))
def test_kl_agrees_with_monte_carlo(name):
    make_p, make_q = KL_MC[name]
    p, q = make_p(), make_q()
    torch.manual_seed(0)
    x = p.sample((200000,))
    terms = _np(p.log_prob(x) - q.log_prob(x))
    kl = _np(D.kl_divergence(p, q))
    assert kl >= 0
    assert abs(terms.mean() - kl) < 5 * terms.std() / math.sqrt(len(terms)) + 1e-6


@pytest.mark.parametrize("name", ["HalfNormal", "Pareto", "ContinuousBernoulli", "LowRank"])
def test_kl_of_a_distribution_with_itself_is_zero(name):
    p = KL_MC[name][0]()
    assert np.allclose(_np(D.kl_divergence(p, p)), 0.0, atol=1e-12)


def test_kl_infinities_and_unregistered_pairs():
    inf = math.inf
    assert _np(D.kl_divergence(D.Pareto(_t([1.0, 2.0]), _t(2.0)),
                               D.Pareto(_t(1.5), _t(2.0)))).tolist()[0] == inf
    assert _np(D.kl_divergence(D.Pareto(_t(1.0), _t([0.5, 2.0])),
                               D.Exponential(_t(1.0)))).tolist()[0] == inf
    for p, q in [(D.Normal(0.0, 1.0), D.Pareto(1.0, 2.0)),
                 (D.Exponential(1.0), D.ContinuousBernoulli(0.3)),
                 (D.Pareto(1.0, 2.0), D.Beta(1.0, 2.0)),
                 (D.Gumbel(0.0, 1.0), D.Pareto(1.0, 2.0)),
                 (D.ContinuousBernoulli(0.3), D.Pareto(1.0, 2.0))]:
        assert _np(D.kl_divergence(p, q)).item() == inf
    assert _np(D.kl_divergence(D.ContinuousBernoulli(0.3),
                               D.Uniform(0.1, 2.0))).item() == inf
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(D.HalfCauchy(1.0), D.VonMises(0.0, 1.0))
    with pytest.raises(ValueError, match="different event shapes cannot be computed"):
        D.kl_divergence(_lowrank([0.0, 0.0], [[1.0], [1.0]], [1.0, 1.0]),
                        _lowrank([0.0] * 3, [[1.0]] * 3, [1.0] * 3))


# ---- transforms ---------------------------------------------------------------------------

def _numeric_log_det(f, x, keep=None):
    """log |det J| of ``f`` at the vector ``x`` by central differences (numpy), using only the
    output entries ``keep`` (all by default) so that the Jacobian is square."""
    h = 1e-6
    cols = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        cols.append((f(x + e) - f(x - e)).reshape(-1) / (2 * h))
    jac = np.stack(cols, -1)
    if keep is not None:
        jac = jac[keep]
    return np.linalg.slogdet(jac)[1]


def _apply(t):
    return lambda a: _np(t(_t(a)))


VECTOR_TRANSFORMS = {
    "Softplus": (D.SoftplusTransform, 3, None),
    "PowerHalf": (lambda: D.PowerTransform(0.5), 3, "pos"),
    "PowerTensor": (lambda: D.PowerTransform(_t([0.5, -2.0, 3.0])), 3, "pos"),
    "StickBreaking": (D.StickBreakingTransform, 3, slice(0, 3)),
    "CorrCholesky": (D.CorrCholeskyTransform, 3, np.array([3, 6, 7])),
    "CDF": (lambda: D.CumulativeDistributionTransform(D.Normal(_t(0.5), _t(2.0))), 3, None),
    "Cat": (lambda: D.CatTransform([D.ExpTransform(), D.SoftplusTransform()], 0, [1, 2]),
            3, None),
    "Stack": (lambda: D.StackTransform([D.ExpTransform(), D.AffineTransform(1.0, -3.0),
                                        D.SoftplusTransform()]), 3, None),
}


@pytest.mark.parametrize("name", sorted(VECTOR_TRANSFORMS))
@settings(max_examples=15)
@given(seed=st.integers(0, 2 ** 31))
def test_transform_inverts_and_log_det_matches_jacobian(name, seed):
    make, n, extra = VECTOR_TRANSFORMS[name]
    rng = np.random.default_rng(seed)
    positive = isinstance(extra, str)
    x = rng.uniform(0.2, 2.0, n) if positive else rng.uniform(-1.5, 1.5, n)
    t = make()
    y = t(_t(x))
    assert t.bijective
    assert bool(t.codomain.check(y).all())
    assert np.allclose(_np(t.inv(y)), x, rtol=1e-8, atol=1e-8)
    keep = None if positive else extra
    ladj = t.log_abs_det_jacobian(_t(x), y)
    event = t.domain.event_dim
    total = _np(ladj).sum() if event == 0 else _np(ladj).item()
    assert abs(total - _numeric_log_det(_apply(t), x, keep)) < 1e-5


@settings(max_examples=15)
@given(seed=st.integers(0, 2 ** 31), k=st.integers(1, 5))
def test_simplex_and_cholesky_transforms_land_in_their_codomains(seed, k):
    rng = np.random.default_rng(seed)
    x = _t(rng.normal(scale=2.0, size=(2, k)))
    for t in (D.StickBreakingTransform(), D.SoftmaxTransform()):
        y = t(x)
        assert bool(D.constraints.simplex.check(y).all())
        assert tuple(y.shape) == tuple(t.forward_shape(tuple(x.shape)))
    assert np.allclose(_np(D.SoftmaxTransform()(D.SoftmaxTransform().inv(
        D.SoftmaxTransform()(x)))), _np(D.SoftmaxTransform()(x)))
    m = _t(rng.normal(size=(3, k, k)))
    lower = D.LowerCholeskyTransform()(m)
    assert bool(D.constraints.lower_cholesky.check(lower).all())
    assert np.allclose(_np(D.LowerCholeskyTransform().inv(lower)), np.tril(_np(m)))
    pd = D.PositiveDefiniteTransform()(m)
    assert bool(D.constraints.positive_definite.check(pd).all())
    assert np.allclose(_np(D.PositiveDefiniteTransform().inv(pd)), np.tril(_np(m)), atol=1e-8)
    vec = _t(rng.normal(size=(2, k * (k - 1) // 2)))
    corr = D.CorrCholeskyTransform()(vec)
    assert corr.shape == (2, k, k)
    assert bool(D.constraints.corr_cholesky.check(corr).all())


def test_abs_reshape_and_shapes():
    t = D.AbsTransform()
    assert _np(t(_t([-2.0, 3.0]))).tolist() == [2.0, 3.0]
    assert not t.bijective and t == D.AbsTransform() and t != D.ExpTransform()
    r = D.ReshapeTransform((2, 3), (3, 2))
    x = _t(np.arange(24.0).reshape(4, 2, 3))
    assert r(x).shape == (4, 3, 2) and torch.equal(r.inv(r(x)), x)
    assert r.log_abs_det_jacobian(x, r(x)).shape == (4,)
    assert r.forward_shape((5, 2, 3)) == (5, 3, 2) and r.inverse_shape((3, 2)) == (2, 3)
    assert D.StickBreakingTransform().forward_shape((4, 3)) == (4, 4)
    assert D.StickBreakingTransform().inverse_shape((4, 3)) == (4, 2)
    assert D.CorrCholeskyTransform().forward_shape((6,)) == (4, 4)
    assert D.CorrCholeskyTransform().inverse_shape((2, 4, 4)) == (2, 6)
    assert D.PowerTransform(_t([1.0, 2.0])).forward_shape((3, 1)) == (3, 2)
    with pytest.raises(ValueError, match="in_shape, out_shape have different numbers of "
                                         "elements"):
        D.ReshapeTransform((2,), (3,))
    with pytest.raises(AssertionError, match=r"x.size\(0\) = 2 must equal length 3"):
        D.CatTransform([D.ExpTransform(), D.ExpTransform()], 0, [1, 2])(_t([1.0, 2.0]))
    with pytest.raises(AssertionError, match=r"must equal len\(transforms\) 1"):
        D.StackTransform([D.ExpTransform()])(_t([1.0, 2.0]))


def test_transforms_cache_and_compose_with_new_parts():
    t = D.PowerTransform(2.0, cache_size=1)
    x = _t([1.5])
    y = t(x)
    assert t.inv(y) is x
    cat = D.CatTransform([D.ExpTransform(), D.SoftplusTransform()], cache_size=1)
    assert all(p._cache_size == 1 for p in cat.transforms)
    composed = D.ComposeTransform([D.SoftplusTransform(), D.PowerTransform(3.0)])
    z = _t([-0.5, 0.4, 2.0])
    expected = np.log1p(np.exp(_np(z))) ** 3
    assert np.allclose(_np(composed(z)), expected)
    assert np.allclose(_np(composed.inv(composed(z))), _np(z))


# ---- constraint registries ----------------------------------------------------------------

REGISTRY = [
    (D.constraints.real, (4,)), (D.constraints.positive, (4,)),
    (D.constraints.nonnegative, (4,)), (D.constraints.unit_interval, (4,)),
    (D.constraints.interval(-1.0, 2.0), (4,)), (D.constraints.half_open_interval(0.0, 3.0), (4,)),
    (D.constraints.greater_than(2.0), (4,)), (D.constraints.greater_than_eq(-1.0), (4,)),
    (D.constraints.less_than(1.5), (4,)), (D.constraints.simplex, (2, 3)),
    (D.constraints.real_vector, (2, 3)), (D.constraints.independent(D.constraints.positive, 1),
                                          (2, 3)),
    (D.constraints.corr_cholesky, (2, 3)),
    (D.constraints.cat([D.constraints.positive, D.constraints.unit_interval], 0, [1, 2]), (3,)),
    (D.constraints.stack([D.constraints.positive, D.constraints.less_than(0.0)], -1), (5, 2)),
]


@pytest.mark.parametrize("case", range(len(REGISTRY)))
@settings(max_examples=10)
@given(seed=st.integers(0, 2 ** 31))
def test_biject_to_and_transform_to_land_in_the_constraint(case, seed):
    c, shape = REGISTRY[case]
    x = _t(np.random.default_rng(seed).uniform(-3, 3, size=shape))
    b = D.biject_to(c)
    y = b(x)
    assert bool(c.check(y).all())
    assert b.bijective
    assert np.allclose(_np(b.inv(y)), _np(x), rtol=1e-6, atol=1e-6)
    assert bool(c.check(D.transform_to(c)(x)).all())


def test_registry_matrix_constraints_and_errors():
    m = _t(np.random.default_rng(1).normal(size=(2, 3, 3)))
    assert bool(D.constraints.lower_cholesky.check(D.transform_to(
        D.constraints.lower_cholesky)(m)).all())
    assert bool(D.constraints.positive_definite.check(D.transform_to(
        D.constraints.positive_definite)(m)).all())
    assert isinstance(D.transform_to(D.constraints.simplex), D.SoftmaxTransform)
    assert isinstance(D.biject_to(D.constraints.simplex), D.StickBreakingTransform)
    assert isinstance(D.biject_to(D.constraints.unit_interval), D.SigmoidTransform)
    with pytest.raises(NotImplementedError, match="Cannot transform _LowerCholesky constraints"):
        D.biject_to(D.constraints.lower_cholesky)
    with pytest.raises(NotImplementedError, match="Cannot transform _Boolean constraints"):
        D.transform_to(D.constraints.boolean)
    with pytest.raises(TypeError, match="Expected constraint to be either a Constraint"):
        D.biject_to.register(int, lambda c: None)
    registry = D.constraint_registry.ConstraintRegistry()

    @registry.register(D.constraints.boolean)
    def _factory(constraint):
        return D.AbsTransform()

    assert isinstance(registry(D.constraints.boolean), D.AbsTransform)


# ---- validation, reprs and names ----------------------------------------------------------

def test_validation_error_texts():
    with pytest.raises(ValueError, match=r"Expected parameter scale \(Tensor of shape \(2,\)\) "
                                         r"of distribution HalfNormal\(\) to satisfy the "
                                         r"constraint GreaterThan\(lower_bound=0.0\)"):
        D.HalfNormal(_t([1.0, -1.0]))
    with pytest.raises(ValueError, match="The parameter probs has invalid values"):
        D.ContinuousBernoulli(_t([1.5]), validate_args=True)
    with pytest.raises(NotImplementedError, match="inhomogeneous total_count is not supported"):
        D.Multinomial(_t(3.0), _t([0.5, 0.5]))
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified, but "
                                         "not both."):
        D.NegativeBinomial(2.0)
    with pytest.raises(ValueError, match="cov_factor must be a batch of matrices with shape 2 x m"):
        D.LowRankMultivariateNormal(_t([0.0, 0.0]), _t([[1.0]]), _t([1.0, 1.0]))
    with pytest.raises(ValueError, match="Expected value argument"):
        D.Pareto(_t(1.0), _t(2.0)).log_prob(_t(0.5))
    assert repr(D.Pareto(_t(1.0), _t(2.0))) == "Pareto(alpha: 2.0, scale: 1.0)"
    assert repr(D.Weibull(_t([1.0, 2.0]), _t(3.0))) == \
        "Weibull(scale: torch.Size([2]), concentration: torch.Size([2]))"
    assert repr(D.HalfNormal(_t(1.0))) == "HalfNormal()"
    assert repr(D.PowerTransform(2.0)) == "PowerTransform()"
    assert D.ContinuousBernoulli(_t([1.5])).probs.item() == 1 - torch.finfo(torch.float64).eps


def test_submodule_names():
    from tensor.distributions.normal import Normal
    from tensor.distributions.half_normal import HalfNormal
    from tensor.distributions.transforms import StickBreakingTransform, CatTransform
    from tensor.distributions.one_hot_categorical import OneHotCategoricalStraightThrough
    from tensor.distributions.constraint_registry import biject_to
    assert Normal is D.Normal and HalfNormal is D.HalfNormal
    assert StickBreakingTransform is D.StickBreakingTransform and CatTransform is D.CatTransform
    assert OneHotCategoricalStraightThrough is D.OneHotCategoricalStraightThrough
    assert biject_to is D.biject_to
    names = ["bernoulli", "beta", "binomial", "categorical", "cauchy", "chi2",
             "continuous_bernoulli", "dirichlet", "exp_family", "exponential", "fishersnedecor",
             "gamma", "generalized_pareto", "geometric", "gumbel", "half_cauchy",
             "inverse_gamma", "kumaraswamy", "laplace", "log_normal", "logistic_normal",
             "lowrank_multivariate_normal", "mixture_same_family", "multinomial",
             "multivariate_normal", "negative_binomial", "pareto", "poisson",
             "relaxed_bernoulli", "relaxed_categorical", "studentT", "transformed_distribution",
             "uniform", "von_mises", "weibull", "kl", "constraints", "distribution",
             "independent", "utils"]
    for name in names:
        mod = importlib.import_module(f"tensor.distributions.{name}")
        assert getattr(D, name) is mod
        for exported in getattr(mod, "__all__", []):
            if exported in D.__all__ and isinstance(getattr(mod, exported), type):
                assert getattr(mod, exported) is getattr(D, exported)
    assert "normal" in dir(D)
    with pytest.raises(AttributeError):
        D.not_a_module  # noqa: B018
    for name in D.__all__:
        assert hasattr(D, name)


# ---- matrix distributions -----------------------------------------------------------------

def _wishart_log_density(x, df, cov):
    """The Wishart log-density written out in numpy."""
    p = cov.shape[-1]
    log_mvgamma = p * (p - 1) / 4 * math.log(math.pi) + sum(
        math.lgamma(df / 2 - j / 2) for j in range(p))
    return ((df - p - 1) / 2 * np.linalg.slogdet(x)[1]
            - np.trace(np.linalg.solve(cov, x)) / 2 - df * p / 2 * math.log(2)
            - df / 2 * np.linalg.slogdet(cov)[1] - log_mvgamma)


def test_wishart_density_moments_and_sampling():
    cov = np.array([[2.0, 0.5, 0.1], [0.5, 1.0, -0.3], [0.1, -0.3, 1.5]])
    df = 6.5
    rng = np.random.default_rng(4)
    xs = [(lambda a: a @ a.T + np.eye(3))(rng.normal(size=(3, 3))) for _ in range(4)]
    for kwargs in ({"covariance_matrix": _t(cov)}, {"precision_matrix": _t(np.linalg.inv(cov))},
                   {"scale_tril": _t(np.linalg.cholesky(cov))}):
        w = D.Wishart(_t(df), **kwargs)
        got = _np(w.log_prob(_t(np.stack(xs))))
        assert np.allclose(got, [_wishart_log_density(x, df, cov) for x in xs], rtol=1e-10)
        assert np.allclose(_np(w.mean), df * cov)
        assert np.allclose(_np(w.mode), (df - 4) * cov)
        assert np.allclose(_np(w.variance), df * (cov ** 2 + np.outer(np.diag(cov),
                                                                       np.diag(cov))))
    torch.manual_seed(3)
    w = D.Wishart(_t(df), covariance_matrix=_t(cov))
    with pytest.warns(UserWarning, match="Singular sample detected."):
        s = w.rsample((20000,))
    assert s.shape == (20000, 3, 3)
    assert bool(D.constraints.positive_definite.check(s[:200]).all())
    assert np.allclose(_np(s).mean(0), df * cov, atol=0.15)
    assert np.allclose(_np(s).var(0), _np(w.variance), rtol=0.1)
    with pytest.warns(UserWarning, match="Low df values detected"):
        D.Wishart(2.5, torch.eye(3))
    with pytest.raises(ValueError, match=r"Value of df=1.0 expected to be greater than ndim - 1"):
        D.Wishart(1.0, torch.eye(3))


def test_wishart_gradchecks():
    x = _t([[2.0, 0.3], [0.3, 1.0]])
    assert gradcheck(lambda df, c: D.Wishart(df, covariance_matrix=c @ c.mT).log_prob(x),
                     (_t([3.5, 5.0], grad=True), _t([[1.0, 0.0], [0.4, 1.2]], grad=True)))
    assert gradcheck(lambda df, c: D.Wishart(df, scale_tril=c.tril()).entropy(),
                     (_t([3.5, 5.0], grad=True), _t([[1.0, 0.0], [0.4, 1.2]], grad=True)))


@pytest.mark.parametrize("eta", [0.5, 1.0, 3.0])
def test_lkj_cholesky_two_by_two(eta):
    """For 2 x 2 matrices the correlation r has density proportional to (1 - r^2)^(eta - 1):
    the log-density integrates to one over r, and draws have E[r^2] = 1 / (2 eta + 1)."""
    d = D.LKJCholesky(2, _t(eta))
    r = np.linspace(-1 + 1e-12, 1 - 1e-12, 400001)
    chol = np.zeros((len(r), 2, 2))
    chol[:, 0, 0] = 1.0
    chol[:, 1, 0] = r
    chol[:, 1, 1] = np.sqrt(1 - r ** 2)
    dens = np.exp(_np(d.log_prob(_t(chol))))
    expected = (1 - r ** 2) ** (eta - 1) * math.gamma(eta + 0.5) / (math.sqrt(math.pi)
                                                                    * math.gamma(eta))
    assert np.allclose(dens[1000:-1000], expected[1000:-1000], rtol=1e-10)
    torch.manual_seed(8)
    s = d.sample((20000,))
    assert s.shape == (20000, 2, 2)
    assert bool(D.constraints.corr_cholesky.check(s).all())
    assert abs((_np(s)[:, 1, 0] ** 2).mean() - 1 / (2 * eta + 1)) < 0.01


def test_lkj_cholesky_larger_and_gradcheck():
    torch.manual_seed(1)
    d = D.LKJCholesky(4, _t([0.7, 2.0]))
    s = d.sample((500,))
    assert s.shape == (500, 2, 4, 4) and bool(D.constraints.corr_cholesky.check(s).all())
    corr = _np(s @ s.mT)
    assert np.allclose(np.diagonal(corr, axis1=-2, axis2=-1), 1.0)
    # The first correlation has mean 0 and variance 1 / (2 eta + dim - 1). (PyTorch's onion
    # sampler, mirrored here, gives the later rows slightly wider marginals.)
    off = corr[..., 1, 0]
    assert np.allclose(off.mean(0), 0.0, atol=0.1)
    assert np.allclose((off ** 2).mean(0), [1 / (1.4 + 3), 1 / (4 + 3)], rtol=0.2)
    value = s[:3, 0].detach()
    assert gradcheck(lambda c: D.LKJCholesky(4, c).log_prob(value), (_t([1.3], grad=True),))
    with pytest.raises(ValueError, match="Expected dim to be an integer greater than or equal "
                                         "to 2. Found dim=1."):
        D.LKJCholesky(1)
