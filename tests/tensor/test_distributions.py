"""``tensor.distributions`` on its own: gradchecks of scores, entropies and KL divergences in
the parameters, sampling statistics (means and variances over many draws against the
closed-form moments), reparameterised gradients, seeding and constraint checks."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tensor as torch
from tensor import distributions as D
from tensor.autograd import gradcheck


def _t(values, grad=True):
    return torch.tensor(values, dtype=torch.float64, requires_grad=grad)


GRADCHECKS = {
    "Normal": (lambda a, b: D.Normal(a, b), [0.3, -1.0], [0.7, 1.4], [0.1, 0.5]),
    "Laplace": (lambda a, b: D.Laplace(a, b), [0.3, -1.0], [0.7, 1.4], [0.1, 0.5]),
    "Cauchy": (lambda a, b: D.Cauchy(a, b), [0.3, -1.0], [0.7, 1.4], [0.1, 0.5]),
    "Gumbel": (lambda a, b: D.Gumbel(a, b), [0.3, -1.0], [0.7, 1.4], [0.1, 0.5]),
    "LogNormal": (lambda a, b: D.LogNormal(a, b), [0.3, -1.0], [0.7, 1.4], [0.4, 2.5]),
    "Gamma": (lambda a, b: D.Gamma(a, b), [0.8, 2.5], [0.7, 1.4], [0.4, 2.5]),
    "Beta": (lambda a, b: D.Beta(a, b), [0.8, 2.5], [0.7, 1.4], [0.4, 0.8]),
    "StudentT": (lambda a, b: D.StudentT(a, 0.2, b), [1.8, 4.5], [0.7, 1.4], [0.4, -2.5]),
    "Uniform": (lambda a, b: D.Uniform(a, b + 1.0), [-0.8, -2.5], [0.7, 1.4], [0.4, 0.1]),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKS))
def test_gradcheck_log_prob_and_entropy(name):
    make, p1, p2, value = GRADCHECKS[name]
    v = _t(value, grad=False)

    def f(a, b):
        d = make(a, b)
        return d.log_prob(v), d.entropy()

    assert gradcheck(f, (_t(p1), _t(p2)))


def test_gradcheck_discrete_and_multivariate():
    k = torch.tensor([0.0, 1.0, 3.0], dtype=torch.float64)
    assert gradcheck(lambda p: D.Bernoulli(probs=p).log_prob(k.clamp(max=1)), (_t([.2, .6, .9]),))
    assert gradcheck(lambda l: D.Bernoulli(logits=l).entropy(), (_t([-1.0, 0.2, 2.0]),))
    assert gradcheck(lambda r: D.Poisson(r).log_prob(k), (_t([0.5, 1.5, 4.0]),))
    assert gradcheck(lambda p: D.Geometric(p).log_prob(k), (_t([0.2, 0.5, 0.7]),))
    assert gradcheck(lambda p: D.Binomial(4, p).log_prob(k), (_t([0.2, 0.5, 0.7]),))
    idx = torch.tensor([0, 2])
    assert gradcheck(lambda l: D.Categorical(logits=l).log_prob(idx), (_t([[.1, .5, -.3]] * 2),))
    assert gradcheck(lambda p: D.Categorical(probs=p).entropy(), (_t([[.1, .5, .3]]),))
    x = _t([0.2, 0.5, 0.3], grad=False)
    assert gradcheck(lambda c: D.Dirichlet(c).log_prob(x), (_t([0.7, 1.5, 2.0]),))
    cov = torch.tensor([[2.0, 0.3], [0.3, 1.0]], dtype=torch.float64)
    y = _t([0.4, -1.0], grad=False)
    assert gradcheck(lambda m, c: D.MultivariateNormal(m, covariance_matrix=c @ c.mT).log_prob(y),
                     (_t([0.1, 0.2]), cov.clone().requires_grad_()))


def test_gradcheck_kl():
    def kl_normal(a, b, c, d):
        return D.kl_divergence(D.Normal(a, b), D.Normal(c, d))

    assert gradcheck(kl_normal, (_t([0.1]), _t([0.5]), _t([1.0]), _t([2.0])))
    assert gradcheck(lambda a, b: D.kl_divergence(D.Gamma(a, 1.0), D.Gamma(b, 2.0)),
                     (_t([0.5, 2.0]), _t([1.5, 0.7])))
    assert gradcheck(lambda a, b: D.kl_divergence(D.Dirichlet(a), D.Dirichlet(b)),
                     (_t([0.5, 2.0, 1.0]), _t([1.5, 0.7, 3.0])))
    assert gradcheck(lambda a, b: D.kl_divergence(D.Categorical(logits=a),
                                                  D.Categorical(logits=b)),
                     (_t([0.5, 2.0, 1.0]), _t([1.5, 0.7, 3.0])))


# family -> (distribution, expected mean, expected variance), moments in float64
MOMENTS = {
    "Normal": (lambda: D.Normal(_t([1.0, -2.0], False), _t([0.5, 2.0], False)),
               [1.0, -2.0], [0.25, 4.0]),
    "Uniform": (lambda: D.Uniform(_t([0.0, -1.0], False), _t([1.0, 3.0], False)),
                [0.5, 1.0], [1 / 12, 16 / 12]),
    "Exponential": (lambda: D.Exponential(_t([0.5, 2.0], False)), [2.0, 0.5], [4.0, 0.25]),
    "Laplace": (lambda: D.Laplace(_t([1.0], False), _t([0.5], False)), [1.0], [0.5]),
    "Gamma": (lambda: D.Gamma(_t([0.4, 3.0], False), _t([1.0, 2.0], False)),
              [0.4, 1.5], [0.4, 0.75]),
    "Beta": (lambda: D.Beta(_t([0.5, 2.0], False), _t([0.5, 3.0], False)),
             [0.5, 0.4], [0.125, 0.04]),
    "Poisson": (lambda: D.Poisson(_t([0.7, 6.0], False)), [0.7, 6.0], [0.7, 6.0]),
    "Binomial": (lambda: D.Binomial(_t([3.0, 10.0], False), _t([0.2, 0.6], False)),
                 [0.6, 6.0], [0.48, 2.4]),
    "Geometric": (lambda: D.Geometric(_t([0.3, 0.8], False)), [7 / 3, 0.25],
                  [0.7 / 0.09, 0.3125]),
    "Bernoulli": (lambda: D.Bernoulli(_t([0.2, 0.7], False)), [0.2, 0.7], [0.16, 0.21]),
    "LogNormal": (lambda: D.LogNormal(_t([0.0], False), _t([0.5], False)),
                  [math.exp(0.125)], [(math.exp(0.25) - 1) * math.exp(0.25)]),
    "Gumbel": (lambda: D.Gumbel(_t([1.0], False), _t([2.0], False)),
               [1.0 + 2.0 * 0.5772156649], [math.pi ** 2 / 6 * 4]),
    "StudentT": (lambda: D.StudentT(_t([6.0], False), _t([1.0], False), _t([2.0], False)),
                 [1.0], [6.0]),
}


@pytest.mark.parametrize("name", sorted(MOMENTS))
def test_sampling_statistics(name):
    make, mean, var = MOMENTS[name]
    torch.manual_seed(1234)
    d = make()
    x = d.sample((20000,)).numpy()
    assert bool(d.support.check(torch.tensor(x)).all())
    assert np.allclose(d.mean.numpy(), mean) and np.allclose(d.variance.numpy(), var)
    se = np.sqrt(np.asarray(var) / x.shape[0])
    assert np.all(np.abs(x.mean(0) - mean) < 6 * se + 1e-9)
    assert np.allclose(x.var(0), var, rtol=0.12)


def test_multivariate_sampling_statistics():
    torch.manual_seed(7)
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    d = D.MultivariateNormal(_t([1.0, -1.0], False), precision_matrix=torch.tensor(
        np.linalg.inv(cov)))
    x = d.sample((20000,)).numpy()
    assert np.allclose(x.mean(0), [1.0, -1.0], atol=0.06)
    assert np.allclose(np.cov(x.T), cov, atol=0.08)
    assert np.allclose(d.covariance_matrix.detach().numpy(), cov)
    c = D.Categorical(torch.tensor([0.1, 0.6, 0.3]))
    counts = np.bincount(c.sample((20000,)).numpy(), minlength=3) / 20000
    assert np.allclose(counts, [0.1, 0.6, 0.3], atol=0.02)
    oh = D.OneHotCategorical(torch.tensor([0.1, 0.6, 0.3])).sample((5000,))
    assert oh.shape == (5000, 3) and bool((oh.sum(-1) == 1).all())
    dirichlet = D.Dirichlet(torch.tensor([1.0, 2.0, 3.0]))
    s = dirichlet.sample((20000,)).numpy()
    assert np.allclose(s.sum(-1), 1, atol=1e-5)
    assert np.allclose(s.mean(0), [1 / 6, 1 / 3, 1 / 2], atol=0.01)
    mix = D.MixtureSameFamily(D.Categorical(torch.tensor([0.25, 0.75])),
                              D.Normal(torch.tensor([-2.0, 2.0]), torch.tensor([0.5, 0.5])))
    assert abs(mix.sample((20000,)).mean().item() - 1.0) < 0.06


def test_manual_seed_controls_draws():
    draws = []
    for _ in range(2):
        torch.manual_seed(3)
        draws.append([D.Gamma(torch.tensor([0.5, 3.0]), 1.0).sample((3,)),
                      D.Binomial(5, torch.tensor(0.3)).sample((4,)),
                      D.Normal(0.0, 1.0).sample((2,)), D.Poisson(torch.tensor(3.0)).sample()])
    for a, b in zip(*draws):
        assert torch.equal(a, b)


@settings(max_examples=10)
@given(loc=st.floats(-3, 3), scale=st.floats(0.2, 3))
def test_rsample_is_reparameterised(loc, scale):
    """A location-scale draw is ``loc + scale * eps``: d/dloc = 1 and d/dscale = eps."""
    for cls in (D.Normal, D.Laplace, D.Cauchy):
        a, b = _t([loc]), _t([scale])
        x = cls(a, b).rsample((5,))
        assert x.requires_grad
        ga, gb = torch.autograd.grad(x.sum(), (a, b))
        eps = (x.detach() - loc) / scale
        assert math.isclose(ga.item(), 5.0)
        assert math.isclose(gb.item(), eps.sum().item(), rel_tol=1e-9, abs_tol=1e-9)
    assert not D.Normal(_t([loc]), _t([scale])).sample().requires_grad


def test_gamma_and_dirichlet_rsample_gradients():
    """The implicit reparameterisation of Gamma draws: E[dx/dalpha] = d E[x] / dalpha = 1/rate
    for Gamma, and for Beta d E[x] / da = b / (a + b)^2."""
    torch.manual_seed(0)
    a = _t([0.5, 2.0, 6.0])
    x = D.Gamma(a, 2.0).rsample((20000,))
    (g,) = torch.autograd.grad(x.mean(0).sum(), (a,))
    assert np.allclose(g.numpy(), 0.5, atol=0.02)
    c1, c0 = _t([2.0]), _t([3.0])
    y = D.Beta(c1, c0).rsample((20000,))
    g1, g0 = torch.autograd.grad(y.mean(), (c1, c0))
    assert abs(g1.item() - 3 / 25) < 0.01 and abs(g0.item() + 2 / 25) < 0.01
    assert D.Chi2(_t([3.0])).rsample((2,)).requires_grad


def test_transformed_rsample_and_log_prob():
    loc, scale = _t([0.2]), _t([0.8])
    d = D.TransformedDistribution(D.Normal(loc, scale), [D.AffineTransform(1.0, 2.0),
                                                          D.ExpTransform()])
    torch.manual_seed(5)
    y = d.rsample((4,))
    assert bool((y > 0).all()) and y.requires_grad
    x = (y.detach().log() - 1.0) / 2.0
    expected = D.Normal(loc, scale).log_prob(x) - math.log(2.0) - y.detach().log()
    assert torch.allclose(d.log_prob(y.detach()), expected)
    t = D.ComposeTransform([D.SigmoidTransform(), D.TanhTransform().inv])
    v = _t([0.3, -1.2], False)
    assert torch.allclose(t.inv(t(v)), v)


def test_expand_and_validation_switch():
    d = D.Normal(torch.zeros(1, 2), 1.0).expand((3, 2))
    assert d.batch_shape == torch.Size([3, 2]) and d.loc.shape == (3, 2)
    assert d.sample((4,)).shape == (4, 3, 2)
    assert D.Normal(0.0, -1.0, validate_args=False).scale.item() == -1.0
    with pytest.raises(ValueError, match="to satisfy the constraint GreaterThan"):
        D.Normal(0.0, -1.0, validate_args=True)
    with pytest.warns(FutureWarning):
        assert D.Exponential(torch.ones(2)).sample_n(3).shape == (3, 2)


def test_register_kl_dispatch():
    class MyNormal(D.Normal):
        pass

    p, q = MyNormal(0.0, 1.0), D.Normal(1.0, 2.0)
    assert torch.allclose(D.kl_divergence(p, q), D.kl_divergence(D.Normal(0.0, 1.0), q))

    @D.register_kl(MyNormal, D.Normal)
    def _mine(p, q):
        return torch.tensor(42.0)

    try:
        assert D.kl_divergence(p, q).item() == 42.0
        assert D.kl_divergence(D.Normal(0.0, 1.0), q).item() != 42.0
    finally:
        D.kl._KL_REGISTRY.pop((MyNormal, D.Normal))
        D.kl._KL_MEMOIZE.clear()
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(D.Uniform(0.0, 1.0), D.Laplace(0.0, 1.0))


def test_constraint_checks():
    c = D.constraints
    x = torch.tensor([-1.0, 0.0, 0.5, 1.0, float("nan")])
    assert c.real.check(x).tolist() == [True, True, True, True, False]
    assert c.positive.check(x).tolist() == [False, False, True, True, False]
    assert c.unit_interval.check(x).tolist() == [False, True, True, True, False]
    assert c.nonnegative_integer.check(x).tolist() == [False, True, False, True, False]
    assert c.boolean.check(x).tolist() == [False, True, False, True, False]
    assert c.simplex.check(torch.tensor([[0.2, 0.8], [0.3, 0.8]])).tolist() == [True, False]
    assert c.one_hot.check(torch.tensor([[0.0, 1.0], [1.0, 1.0]])).tolist() == [True, False]
    assert c.positive_definite.check(torch.tensor([[1.0, 2.0], [2.0, 1.0]])).item() is False
    assert c.independent(c.positive, 1).event_dim == 1
    assert repr(c.greater_than(torch.tensor(1.5))) == "GreaterThan(lower_bound=1.5)"
    assert D.Uniform.support.is_discrete is False
    assert D.Categorical(torch.ones(3)).support.upper_bound == 2
