"""KL divergences PyTorch registers for the distributions of ``continuous_more``,
``lowrank`` and friends: same-family pairs (ContinuousBernoulli, HalfNormal, Pareto,
LowRankMultivariateNormal with itself and with MultivariateNormal) and the closed forms
(or infinities, where the support of ``p`` leaves that of ``q``) between ContinuousBernoulli
or Pareto and the other univariate families. Importing this module registers them in
``kl``'s table."""

import math

import tensor as torch
from .continuous import Beta, Exponential, Gamma, Laplace, Normal, Uniform
from .continuous_more import ContinuousBernoulli, HalfNormal, Pareto
from .kl import register_kl, _batch_trace_XXT, _kl_normal_normal
from .lowrank import (LowRankMultivariateNormal, _batch_lowrank_logdet,
                      _batch_lowrank_mahalanobis)
from .multivariate import MultivariateNormal, _batch_mahalanobis
from .transformed import Gumbel

__all__ = []


def _inf_like(t):
    return torch.full_like(t, math.inf)


def _x_log_x(t):
    return torch.special.xlogy(t, t)


# ---- same family ------------------------------------------------------------------------

@register_kl(ContinuousBernoulli, ContinuousBernoulli)
def _kl_continuous_bernoulli_continuous_bernoulli(p, q):
    return p.mean * (p.logits - q.logits) + p._cont_bern_log_norm() \
        + torch.log1p(-p.probs) - q._cont_bern_log_norm() - torch.log1p(-q.probs)


@register_kl(HalfNormal, HalfNormal)
def _kl_halfnormal_halfnormal(p, q):
    # Folding both at zero leaves the ratio of densities unchanged.
    return _kl_normal_normal(p.base_dist, q.base_dist)


@register_kl(Pareto, Pareto)
def _kl_pareto_pareto(p, q):
    alpha_ratio = q.alpha / p.alpha
    result = q.alpha * (p.scale / q.scale).log() - alpha_ratio.log() + alpha_ratio - 1
    result[p.support.lower_bound < q.support.lower_bound] = math.inf
    return result


def _same_event(p, q, what):
    if p.event_shape != q.event_shape:
        raise ValueError(f"KL-divergence between two {what} with"
                         "                          different event shapes cannot be "
                         "computed")


def _lowrank_parts(q):
    return q._unbroadcasted_cov_factor, q._unbroadcasted_cov_diag, q._capacitance_tril


def _woodbury_a(q):
    """``A = L^-1 W^T D^-1`` for ``q``'s factor ``W``, diagonal ``D`` and capacitance factor
    ``L``, so that ``Sigma_q^-1 = D^-1 - A^T A``."""
    w, d, cap = _lowrank_parts(q)
    return torch.linalg.solve_triangular(cap, w.mT / d.unsqueeze(-2), upper=False)


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal)
def _kl_lowrankmultivariatenormal_lowrankmultivariatenormal(p, q):
    _same_event(p, q, "Low Rank Multivariate Normals")
    pw, pd, pcap = _lowrank_parts(p)
    qw, qd, qcap = _lowrank_parts(q)
    log_det = _batch_lowrank_logdet(qw, qd, qcap) - _batch_lowrank_logdet(pw, pd, pcap)
    mahalanobis = _batch_lowrank_mahalanobis(qw, qd, q.loc - p.loc, qcap)
    a = _woodbury_a(q)
    # trace(Sigma_q^-1 Sigma_p) with Sigma_p = pW pW^T + pD, Sigma_q^-1 = qD^-1 - A^T A.
    trace = (pd / qd).sum(-1) + _batch_trace_XXT(pw * qd.rsqrt().unsqueeze(-1)) \
        - _batch_trace_XXT(a * pd.sqrt().unsqueeze(-2)) - _batch_trace_XXT(a.matmul(pw))
    return 0.5 * (log_det + trace + mahalanobis - p.event_shape[0])


@register_kl(MultivariateNormal, LowRankMultivariateNormal)
def _kl_multivariatenormal_lowrankmultivariatenormal(p, q):
    _same_event(p, q, "(Low Rank) Multivariate Normals")
    qw, qd, qcap = _lowrank_parts(q)
    pl = p._unbroadcasted_scale_tril
    log_det = _batch_lowrank_logdet(qw, qd, qcap) \
        - 2 * pl.diagonal(dim1=-2, dim2=-1).log().sum(-1)
    mahalanobis = _batch_lowrank_mahalanobis(qw, qd, q.loc - p.loc, qcap)
    a = _woodbury_a(q)
    trace = _batch_trace_XXT(pl * qd.rsqrt().unsqueeze(-1)) - _batch_trace_XXT(a.matmul(pl))
    return 0.5 * (log_det + trace + mahalanobis - p.event_shape[0])


@register_kl(LowRankMultivariateNormal, MultivariateNormal)
def _kl_lowrankmultivariatenormal_multivariatenormal(p, q):
    _same_event(p, q, "(Low Rank) Multivariate Normals")
    pw, pd, pcap = _lowrank_parts(p)
    ql = q._unbroadcasted_scale_tril
    log_det = 2 * ql.diagonal(dim1=-2, dim2=-1).log().sum(-1) \
        - _batch_lowrank_logdet(pw, pd, pcap)
    mahalanobis = _batch_mahalanobis(ql, q.loc - p.loc)
    batch = tuple(torch.broadcast_shapes(tuple(ql.shape[:-2]), tuple(pw.shape[:-2])))
    n = p.event_shape[0]
    ql = ql.expand(batch + (n, n))
    trace = _batch_trace_XXT(torch.linalg.solve_triangular(
        ql, pw.expand(batch + (n, p.cov_factor.size(-1))), upper=False)) \
        + _batch_trace_XXT(torch.linalg.solve_triangular(
            ql, torch.diag_embed(pd.sqrt()).expand(batch + (n, n)), upper=False))
    return 0.5 * (log_det + trace + mahalanobis - p.event_shape[0])


# ---- infinite: the support of p reaches outside that of q --------------------------------

def _register_infinite(pairs, param):
    def kl(p, q):
        return _inf_like(getattr(p, param))
    for type_p, type_q in pairs:
        register_kl(type_p, type_q)(kl)


_register_infinite([(Beta, Pareto)], "concentration1")
_register_infinite([(ContinuousBernoulli, Pareto)], "probs")
_register_infinite([(Exponential, ContinuousBernoulli), (Exponential, Pareto)], "rate")
_register_infinite([(Gamma, ContinuousBernoulli), (Gamma, Pareto)], "concentration")
_register_infinite([(Gumbel, ContinuousBernoulli), (Gumbel, Pareto)], "loc")
_register_infinite([(Laplace, ContinuousBernoulli), (Laplace, Pareto)], "loc")
_register_infinite([(Normal, ContinuousBernoulli), (Normal, Pareto)], "loc")
_register_infinite([(Pareto, Beta), (Pareto, ContinuousBernoulli), (Pareto, Uniform)], "scale")


# ---- ContinuousBernoulli against other families -------------------------------------------

def _cb_cross_entropy_linear(mean, q):
    """``-E_p[log q(x)]`` for ``q`` continuous Bernoulli, given ``E_p[x]``."""
    return -mean * q.logits - torch.log1p(-q.probs) - q._cont_bern_log_norm()


@register_kl(Beta, ContinuousBernoulli)
def _kl_beta_continuous_bernoulli(p, q):
    return -p.entropy() + _cb_cross_entropy_linear(p.mean, q)


@register_kl(ContinuousBernoulli, Exponential)
def _kl_continuous_bernoulli_exponential(p, q):
    return -p.entropy() - torch.log(q.rate) + q.rate * p.mean


@register_kl(ContinuousBernoulli, Normal)
def _kl_continuous_bernoulli_normal(p, q):
    cross = 0.5 * (math.log(2.0 * math.pi) + torch.square(q.loc / q.scale)) + torch.log(q.scale)
    second = (p.variance + torch.square(p.mean) - 2.0 * q.loc * p.mean) \
        / (2.0 * torch.square(q.scale))
    return -p.entropy() + cross + second


@register_kl(ContinuousBernoulli, Uniform)
def _kl_continuous_bernoulli_uniform(p, q):
    result = -p.entropy() + (q.high - q.low).log()
    outside = torch.max(torch.ge(q.low, p.support.lower_bound),
                        torch.le(q.high, p.support.upper_bound))
    return torch.where(outside, torch.ones_like(result) * math.inf, result)


@register_kl(Uniform, ContinuousBernoulli)
def _kl_uniform_continuous_bernoulli(p, q):
    result = -p.entropy() + _cb_cross_entropy_linear(p.mean, q)
    outside = torch.max(torch.ge(p.high, q.support.upper_bound),
                        torch.le(p.low, q.support.lower_bound))
    return torch.where(outside, torch.ones_like(result) * math.inf, result)


# ---- Pareto against other families ------------------------------------------------------

@register_kl(Pareto, Exponential)
def _kl_pareto_exponential(p, q):
    scale_rate = p.scale * q.rate
    result = (p.alpha / scale_rate).log() - p.alpha.reciprocal() \
        + p.alpha * scale_rate / (p.alpha - 1) - 1
    result[p.alpha <= 1] = math.inf
    return result


@register_kl(Pareto, Gamma)
def _kl_pareto_gamma(p, q):
    # E_p[log x] = log(scale) + 1 / alpha.
    mean_log = p.scale.log() + p.alpha.reciprocal()
    result = p.alpha.log() - mean_log \
        + q.concentration.lgamma() - q.concentration * q.rate.log() \
        + (1 - q.concentration) * mean_log \
        + q.rate * p.alpha * p.scale / (p.alpha - 1) - 1
    result[p.alpha <= 1] = math.inf
    return result


@register_kl(Pareto, Normal)
def _kl_pareto_normal(p, q):
    two_var = 2 * q.scale.pow(2)
    common = p.scale / (p.alpha - 1)
    t1 = (math.sqrt(2 * math.pi) * q.scale * p.alpha / p.scale).log()
    t3 = p.alpha * common.pow(2) / (p.alpha - 2)
    t4 = (p.alpha * common - q.loc).pow(2)
    result = t1 - p.alpha.reciprocal() + (t3 + t4) / two_var - 1
    result[p.alpha <= 2] = math.inf
    return result


@register_kl(Uniform, Pareto)
def _kl_uniform_pareto(p, q):
    width = p.high - p.low
    t1 = (q.alpha * q.scale.pow(q.alpha) * width).log()
    mean_log = (_x_log_x(p.high) - _x_log_x(p.low) - width) / width
    result = mean_log * (q.alpha + 1) - t1
    result[p.low < q.support.lower_bound] = math.inf
    return result
