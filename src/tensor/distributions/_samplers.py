"""Samplers our op set lacks, built from ``torch.rand``/``torch.randn`` draws (so that
``torch.manual_seed`` governs them): Gamma variates with reparameterised gradients, and
Binomial counts."""

import numpy as np

import tensor as torch
from ..autograd.function import Function, once_differentiable


def _gamma_draws(alpha):
    """Standard Gamma(alpha) variates (float64 numpy) by Marsaglia and Tsang's squeeze method.
    Shapes below one are boosted: Gamma(a) = Gamma(a + 1) * U ** (1 / a)."""
    alpha = np.asarray(alpha, dtype=np.float64)
    flat = alpha.reshape(-1)
    small = flat < 1
    a = np.where(small, flat + 1.0, flat)
    d = a - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)
    out = np.empty_like(a)
    pending = np.arange(a.size)
    while pending.size:
        x = torch.randn(pending.size, dtype=torch.float64).numpy()
        u = torch.rand(pending.size, dtype=torch.float64).numpy()
        dp, cp = d[pending], c[pending]
        v = (1.0 + cp * x) ** 3
        with np.errstate(invalid="ignore", divide="ignore"):
            ok = (v > 0) & (np.log(u) < 0.5 * x * x + dp - dp * v + dp * np.log(v))
        out[pending[ok]] = dp[ok] * v[ok]
        pending = pending[~ok]
    if small.any():
        u = torch.rand(int(small.sum()), dtype=torch.float64).numpy()
        out[small] *= u ** (1.0 / flat[small])
    return out.reshape(alpha.shape)


def _gamma_sample_grad(x, alpha):
    """d x / d alpha for a Gamma(alpha) draw x held fixed in probability: the implicit
    derivative -(dP(alpha, x) / d alpha) / pdf(x; alpha), P the regularised lower incomplete
    gamma function (its alpha-derivative taken by a central difference in float64)."""
    x64 = torch.as_tensor(x, dtype=torch.float64)
    a64 = torch.as_tensor(alpha, dtype=torch.float64)
    h = a64 * 1e-5
    dp = (torch.special.gammainc(a64 + h, x64) - torch.special.gammainc(a64 - h, x64)) / (2 * h)
    log_pdf = torch.xlogy(a64 - 1, x64) - x64 - torch.lgamma(a64)
    return -dp / log_pdf.exp()


class _StandardGamma(Function):
    @staticmethod
    def forward(ctx, alpha):
        draws = _gamma_draws(alpha.detach().numpy())
        x = torch.as_tensor(draws, dtype=alpha.dtype)
        x = x.clamp(min=torch.finfo(alpha.dtype).tiny)
        ctx.save_for_backward(x, alpha)
        return x

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        x, alpha = ctx.saved_tensors
        return grad * _gamma_sample_grad(x, alpha).to(grad.dtype)


def standard_gamma(alpha):
    """Gamma(alpha, 1) draws shaped like ``alpha``, differentiable in ``alpha``."""
    return _StandardGamma.apply(alpha)


def binomial(total_count, probs):
    """Binomial(total_count, probs) counts (same shape and dtype as ``probs``), each the
    number of uniform draws below ``probs`` among ``total_count`` trials."""
    n_max = int(total_count.max()) if total_count.numel() else 0
    if n_max <= 0:
        return torch.zeros_like(probs)
    u = torch.rand(tuple(probs.shape) + (n_max,), dtype=probs.dtype)
    trial = torch.arange(n_max, dtype=probs.dtype)
    hits = (u < probs.unsqueeze(-1)) & (trial < total_count.unsqueeze(-1))
    return hits.sum(-1).to(probs.dtype)
