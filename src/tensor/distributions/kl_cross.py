"""KL divergences between *different* families among the basic distributions (Bernoulli,
Poisson, Binomial, Beta, Exponential, Gamma, Gumbel, Laplace, Normal, Uniform) and the
Cauchy-Cauchy closed form. ``kl`` imports this module at its end, so every pair here is in
its table as soon as ``kl`` is loaded.

Most closed forms are ``KL(p || q) = -H(p) - E_p[log q(X)]`` with the moments of ``p``
written out; a pair whose ``p`` puts mass where ``q`` has none is ``+inf`` everywhere (of
the shape of one parameter of ``p``) or, where that depends on the parameters, ``+inf``
just at those batch positions."""

import math

import tensor as torch
from .continuous import Beta, Cauchy, Exponential, Gamma, Laplace, Normal, Uniform
from .discrete import Bernoulli, Binomial, Poisson
from .kl import register_kl
from .transformed import Gumbel
from .utils import euler_constant

__all__ = []

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _inf_of(t):
    return torch.full_like(t, math.inf)


def _xlogx(t):
    # xlogy gives 0 at t == 0, where t * t.log() would give nan.
    return torch.special.xlogy(t, t)


# ---- +inf everywhere: p's support is never inside q's ------------------------------------

def _always_infinite(param, *pairs):
    def kl(p, q):
        return _inf_of(getattr(p, param))
    for type_p, type_q in pairs:
        register_kl(type_p, type_q)(kl)


_always_infinite("rate", (Exponential, Beta), (Exponential, Uniform))
_always_infinite("concentration", (Gamma, Beta), (Gamma, Uniform))
_always_infinite("loc", (Gumbel, Beta), (Gumbel, Exponential), (Gumbel, Gamma),
                 (Gumbel, Uniform))
_always_infinite("loc", (Laplace, Beta), (Laplace, Exponential), (Laplace, Gamma),
                 (Laplace, Uniform))
_always_infinite("loc", (Normal, Beta), (Normal, Exponential), (Normal, Gamma),
                 (Normal, Uniform))
_always_infinite("rate", (Poisson, Bernoulli), (Poisson, Binomial))


# ---- discrete ---------------------------------------------------------------------------

@register_kl(Bernoulli, Poisson)
def _kl_bernoulli_poisson(p, q):
    # log q(k) = k log(rate) - rate on k in {0, 1} (log k! vanishes there).
    return -p.entropy() - (p.probs * q.rate.log() - q.rate)


# ---- Cauchy -----------------------------------------------------------------------------

@register_kl(Cauchy, Cauchy)
def _kl_cauchy_cauchy(p, q):
    spread = (p.scale + q.scale).pow(2) + (p.loc - q.loc).pow(2)
    return spread.log() - (4 * p.scale * q.scale).log()


# ---- Beta against other families --------------------------------------------------------

@register_kl(Beta, Exponential)
def _kl_beta_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.mean


@register_kl(Beta, Gamma)
def _kl_beta_gamma(p, q):
    total = p.concentration1 + p.concentration0
    mean_log = p.concentration1.digamma() - total.digamma()
    log_norm_q = q.concentration.lgamma() - q.concentration * q.rate.log()
    return -p.entropy() + log_norm_q - (q.concentration - 1) * mean_log \
        + q.rate * p.concentration1 / total


@register_kl(Beta, Normal)
def _kl_beta_normal(p, q):
    mean = p.mean
    total = p.concentration1 + p.concentration0
    second_moment = mean * (1 - mean) / (total + 1) + mean.pow(2)
    var_q = q.scale.pow(2)
    quad = 0.5 * second_moment - q.loc * mean + 0.5 * q.loc.pow(2)
    return -p.entropy() + 0.5 * (2 * math.pi * var_q).log() + quad / var_q


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p, q):
    result = (q.high - q.low).log() - p.entropy()
    unit = p.support
    result[(q.low > unit.lower_bound) | (q.high < unit.upper_bound)] = math.inf
    return result


# ---- Exponential against other families -------------------------------------------------

@register_kl(Exponential, Gamma)
def _kl_exponential_gamma(p, q):
    # E_p[log x] = -euler - log(rate_p), E_p[x] = 1 / rate_p.
    ratio = q.rate / p.rate
    return ratio - q.concentration * ratio.log() + q.concentration.lgamma() \
        + q.concentration * euler_constant - (1 + euler_constant)


@register_kl(Exponential, Gumbel)
def _kl_exponential_gumbel(p, q):
    rs = p.rate * q.scale
    shift = q.loc / q.scale
    return rs.log() - 1 - shift + shift.exp() * rs / (rs + 1) + rs.reciprocal()


@register_kl(Exponential, Normal)
def _kl_exponential_normal(p, q):
    # E_p[x] = 1 / rate, E_p[x^2] = 2 / rate^2.
    var_q = q.scale.pow(2)
    rate2 = p.rate.pow(2)
    quad = rate2.reciprocal() - q.loc / p.rate + 0.5 * q.loc.pow(2)
    return 0.5 * (2 * math.pi * rate2 * var_q).log() - 1 + quad / var_q


# ---- Gamma against other families -------------------------------------------------------

@register_kl(Gamma, Exponential)
def _kl_gamma_exponential(p, q):
    return -p.entropy() - q.rate.log() + q.rate * p.concentration / p.rate


def _gamma_neg_entropy_part(p):
    """``-H(p)`` of a Gamma without its ``log(rate)`` term."""
    k = p.concentration
    return (k - 1) * k.digamma() - k.lgamma() - k


@register_kl(Gamma, Gumbel)
def _kl_gamma_gumbel(p, q):
    rs = p.rate * q.scale
    shift = q.loc / q.scale
    # E_p[exp(-x / scale)] = (1 + 1 / (rate * scale)) ** -concentration.
    mgf = (1 + rs.reciprocal()).pow(-p.concentration)
    return _gamma_neg_entropy_part(p) + rs.log() + p.concentration / rs \
        + shift.exp() * mgf - shift


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p, q):
    k = p.concentration
    var_q = q.scale.pow(2)
    rate2 = p.rate.pow(2)
    quad = 0.5 * (k.pow(2) + k) / rate2 - q.loc * k / p.rate + 0.5 * q.loc.pow(2)
    return 0.5 * (2 * math.pi * rate2 * var_q).log() + _gamma_neg_entropy_part(p) \
        + quad / var_q


# ---- Gumbel / Laplace / Normal against other families -----------------------------------

@register_kl(Gumbel, Normal)
def _kl_gumbel_normal(p, q):
    ratio = p.scale / q.scale
    mean_gap = (p.loc + p.scale * euler_constant - q.loc) / q.scale
    return -(ratio / math.sqrt(2 * math.pi)).log() + (0.5 * math.pi * ratio).pow(2) / 3 \
        + 0.5 * mean_gap.pow(2) - (euler_constant + 1)


@register_kl(Laplace, Normal)
def _kl_laplace_normal(p, q):
    var_q = q.scale.pow(2)
    ratio2 = p.scale.pow(2) / var_q
    quad = 0.5 * p.loc.pow(2) - p.loc * q.loc + 0.5 * q.loc.pow(2)
    return ratio2 - 0.5 * (2 * ratio2 / math.pi).log() + quad / var_q - 1


@register_kl(Normal, Gumbel)
def _kl_normal_gumbel(p, q):
    z_mean = p.loc / q.scale
    ratio2 = (p.scale / q.scale).pow(2)
    shift = q.loc / q.scale
    # E_p[exp(-(x - loc_q) / scale_q)] from the Normal moment generating function.
    mgf = (shift - z_mean + 0.5 * ratio2).exp()
    return -0.5 * ratio2.log() + z_mean - shift + mgf - (0.5 + _HALF_LOG_2PI)


@register_kl(Normal, Laplace)
def _kl_normal_laplace(p, q):
    gap = p.loc - q.loc
    z = gap / p.scale
    # E_p|x - loc_q| for a Normal: folded-normal mean.
    abs_mean = math.sqrt(2 / math.pi) * p.scale * (-0.5 * z.pow(2)).exp() \
        + gap * torch.erf(z * math.sqrt(0.5))
    return -(p.scale / q.scale).log() + abs_mean / q.scale \
        - 0.5 * (1 + math.log(0.5 * math.pi))


# ---- Uniform against other families -----------------------------------------------------

def _uniform_mean_log(p, width):
    """``E_p[log x]`` for a Uniform on ``[low, high]`` inside ``[0, inf)``."""
    return (_xlogx(p.high) - _xlogx(p.low) - width) / width


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p, q):
    width = p.high - p.low
    mean_log = _uniform_mean_log(p, width)
    # E_p[log(1 - x)], written with 1 - x running over [1 - high, 1 - low].
    mean_log1m = -(_xlogx(1 - p.high) - _xlogx(1 - p.low) + width) / width
    log_beta_fn = q.concentration1.lgamma() + q.concentration0.lgamma() \
        - (q.concentration1 + q.concentration0).lgamma()
    result = log_beta_fn - width.log() - (q.concentration1 - 1) * mean_log \
        - (q.concentration0 - 1) * mean_log1m
    unit = q.support
    result[(p.high > unit.upper_bound) | (p.low < unit.lower_bound)] = math.inf
    return result


@register_kl(Uniform, Exponential)
def _kl_uniform_exponential(p, q):
    result = 0.5 * q.rate * (p.high + p.low) - (q.rate * (p.high - p.low)).log()
    result[p.low < q.support.lower_bound] = math.inf
    return result


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p, q):
    width = p.high - p.low
    log_norm_q = q.concentration.lgamma() - q.concentration * q.rate.log()
    result = log_norm_q - width.log() + (1 - q.concentration) * _uniform_mean_log(p, width) \
        + 0.5 * q.rate * (p.high + p.low)
    result[p.low < q.support.lower_bound] = math.inf
    return result


@register_kl(Uniform, Gumbel)
def _kl_uniform_gumbel(p, q):
    rel = q.scale / (p.high - p.low)
    z_high = (p.high - q.loc) / q.scale
    z_low = (p.low - q.loc) / q.scale
    return rel.log() + 0.5 * (z_high + z_low) - rel * ((-z_high).exp() - (-z_low).exp())


@register_kl(Uniform, Normal)
def _kl_uniform_normal(p, q):
    width = p.high - p.low
    centre_gap = 0.5 * (p.high + p.low) - q.loc
    return (math.sqrt(2 * math.pi) * q.scale / width).log() \
        + 0.5 * (width.pow(2) / 12 + centre_gap.pow(2)) / q.scale.pow(2)
