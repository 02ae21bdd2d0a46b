"""``kl_divergence`` between different families (and Cauchy with itself) side by side with
``torch.distributions`` (skipped without torch): values (with their +inf positions), shape,
dtype, whether the result tracks grad, and the gradients with respect to every parameter of
both distributions; plus the registry holding exactly the pairs torch registers."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402
import pathlib  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _dist_helpers import close as _close, outcome as _outcome, pos as _pos  # noqa: E402

pytestmark = pytest.mark.differential


def _real(rng, shape):
    return rng.uniform(-2.0, 2.0, size=shape)


def _unit(rng, shape):
    return rng.uniform(0.05, 0.95, size=shape)


def _lows(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, size=shape)


# family -> list of (parameter name, sampler(rng, shape)); the constructor takes them in order.
FAMILIES = {
    "Bernoulli": [("probs", _unit)],
    "Poisson": [("rate", _pos)],
    "Binomial": [("total_count", None), ("probs", _unit)],
    "Beta": [("concentration1", _pos), ("concentration0", _pos)],
    "Cauchy": [("loc", _real), ("scale", _pos)],
    "Exponential": [("rate", _pos)],
    "Gamma": [("concentration", _pos), ("rate", _pos)],
    "Gumbel": [("loc", _real), ("scale", _pos)],
    "Laplace": [("loc", _real), ("scale", _pos)],
    "Normal": [("loc", _real), ("scale", _pos)],
    # low, then a positive width added to it (so low < high).
    "Uniform": [("low", _real), ("high", _pos)],
}

# Uniform bounds for a p whose support may or may not lie inside q's (so the +inf cases
# appear next to finite ones), and for a q Uniform that may or may not cover [0, 1].
UNIFORM_P_LOW = {"Beta": _lows(-0.3, 0.6), "Exponential": _lows(-0.6, 1.5),
                 "Gamma": _lows(-0.6, 1.5)}
UNIFORM_P_WIDTH = {"Beta": _lows(0.1, 0.6)}
UNIFORM_Q_FOR_BETA = (_lows(-0.5, 0.2), _lows(0.8, 1.8))  # low, width

PAIRS = [
    ("Bernoulli", "Poisson"), ("Beta", "Exponential"), ("Beta", "Gamma"), ("Beta", "Normal"),
    ("Beta", "Uniform"), ("Cauchy", "Cauchy"), ("Exponential", "Beta"),
    ("Exponential", "Gamma"), ("Exponential", "Gumbel"), ("Exponential", "Normal"),
    ("Exponential", "Uniform"), ("Gamma", "Beta"), ("Gamma", "Exponential"),
    ("Gamma", "Gumbel"), ("Gamma", "Normal"), ("Gamma", "Uniform"), ("Gumbel", "Beta"),
    ("Gumbel", "Exponential"), ("Gumbel", "Gamma"), ("Gumbel", "Normal"),
    ("Gumbel", "Uniform"), ("Laplace", "Beta"), ("Laplace", "Exponential"),
    ("Laplace", "Gamma"), ("Laplace", "Normal"), ("Laplace", "Uniform"), ("Normal", "Beta"),
    ("Normal", "Exponential"), ("Normal", "Gamma"), ("Normal", "Gumbel"),
    ("Normal", "Laplace"), ("Normal", "Uniform"), ("Poisson", "Bernoulli"),
    ("Poisson", "Binomial"), ("Uniform", "Beta"), ("Uniform", "Exponential"),
    ("Uniform", "Gamma"), ("Uniform", "Gumbel"), ("Uniform", "Normal"),
]

ALWAYS_INFINITE = {
    ("Exponential", "Beta"), ("Exponential", "Uniform"), ("Gamma", "Beta"),
    ("Gamma", "Uniform"), ("Gumbel", "Beta"), ("Gumbel", "Exponential"),
    ("Gumbel", "Gamma"), ("Gumbel", "Uniform"), ("Laplace", "Beta"),
    ("Laplace", "Exponential"), ("Laplace", "Gamma"), ("Laplace", "Uniform"),
    ("Normal", "Beta"), ("Normal", "Exponential"), ("Normal", "Gamma"),
    ("Normal", "Uniform"), ("Poisson", "Bernoulli"), ("Poisson", "Binomial"),
}

# (p batch shape, q batch shape): equal, broadcasting both ways, scalar against a batch.
SHAPES = [((4,), (4,)), ((2, 1), (3,)), ((3,), (2, 1)), ((), (5,)), ((2, 3), ())]


def _params(rng, family, shape, role, other):
    """numpy arrays for ``family`` playing ``role`` ("p" or "q") against ``other``."""
    out = {}
    if family == "Uniform":
        if role == "p":
            low = UNIFORM_P_LOW.get(other, _real)(rng, shape)
            width = UNIFORM_P_WIDTH.get(other, _pos)(rng, shape)
        elif other == "Beta":
            low, width = (s(rng, shape) for s in UNIFORM_Q_FOR_BETA)
        else:
            low, width = _real(rng, shape), _pos(rng, shape)
        return {"low": low, "high": low + width}
    for name, sampler in FAMILIES[family]:
        out[name] = np.full(shape, 5.0) if sampler is None else sampler(rng, shape)
    return out


def _build(M, family, arrays, grad):
    made = {k: M.tensor(v, dtype=M.float64, requires_grad=grad and k != "total_count")
            for k, v in arrays.items()}
    cls = getattr(M.distributions, family)
    return cls(**made), made


def _both(pair, shape_p, shape_q, seed, grad):
    rng = np.random.default_rng(seed)
    fp, fq = pair
    ap = _params(rng, fp, shape_p, "p", fq)
    aq = _params(rng, fq, shape_q, "q", fp)
    out = []
    for M in (torch, tk):
        p, made_p = _build(M, fp, ap, grad)
        q, made_q = _build(M, fq, aq, grad)
        leaves = [t for t in list(made_p.values()) + list(made_q.values()) if t.requires_grad]
        out.append((M, p, q, leaves))
    return out


@pytest.mark.parametrize("shapes", SHAPES, ids=lambda s: f"{s[0]}-{s[1]}")
@pytest.mark.parametrize("pair", PAIRS, ids=lambda pq: f"{pq[0]}-{pq[1]}")
@pytest.mark.parametrize("seed", [0, 1])
def test_kl_value_shape_dtype(pair, shapes, seed):
    (_, pt, qt, _), (_, pk, qk, _) = _both(pair, *shapes, seed, grad=False)
    rt = _outcome(lambda: torch.distributions.kl_divergence(pt, qt))
    rk = _outcome(lambda: tk.distributions.kl_divergence(pk, qk))
    assert rk[0] == rt[0], (rt, rk)
    if rt[0] == "err":
        # torch's boolean-mask assignment refuses some broadcast shapes: so must we, with
        # the same error type and message.
        assert rk[1] == rt[1], (rt, rk)
        return
    _close(rk[1], rt[1], 1e-10, 1e-11, f"kl {pair} {shapes}")
    if pair in ALWAYS_INFINITE:
        assert np.isposinf(rt[1].numpy()).all()


@pytest.mark.parametrize("shapes", SHAPES, ids=lambda s: f"{s[0]}-{s[1]}")
@pytest.mark.parametrize("pair", PAIRS, ids=lambda pq: f"{pq[0]}-{pq[1]}")
def test_kl_gradients(pair, shapes):
    results = []
    for M, p, q, leaves in _both(pair, *shapes, 3, grad=True):
        res = _outcome(lambda: M.distributions.kl_divergence(p, q))
        if res[0] == "err":
            results.append((res, None, None))
            continue
        kl = res[1]
        if not kl.requires_grad:
            results.append((res, False, None))
            continue
        finite = M.isfinite(kl.detach())
        total = M.where(finite, kl, M.zeros_like(kl)).sum()
        grads = M.autograd.grad(total, leaves, allow_unused=True)
        results.append((res, True, grads))
    (rt, tracks_t, gt), (rk, tracks_k, gk) = results
    assert rk[0] == rt[0], (rt, rk)
    if rt[0] == "err":
        return
    _close(rk[1], rt[1], 1e-10, 1e-11, f"kl {pair} {shapes}")
    assert tracks_k == tracks_t
    assert (pair in ALWAYS_INFINITE) == (not tracks_t)
    if not tracks_t:
        return
    assert len(gk) == len(gt)
    for i, (a, b) in enumerate(zip(gk, gt)):
        assert (a is None) == (b is None), i
        if b is not None:
            _close(a, b, 1e-8, 1e-10, f"grad {i} of {pair} {shapes}")


def test_infinite_positions_exercised():
    """The support checks flag exactly the batch positions torch flags (a fixed case with
    both finite and infinite entries for every parameter-dependent check)."""
    cases = [
        ("Beta", {"concentration1": [2.0, 2.0, 2.0], "concentration0": [3.0, 3.0, 3.0]},
         "Uniform", {"low": [-0.5, 0.1, 0.0], "high": [1.5, 2.0, 0.9]}),
        ("Uniform", {"low": [0.1, -0.1, 0.2], "high": [0.9, 0.5, 1.3]},
         "Beta", {"concentration1": [2.0, 2.0, 2.0], "concentration0": [3.0, 3.0, 3.0]}),
        ("Uniform", {"low": [0.0, -0.1, 0.2], "high": [1.0, 0.5, 1.3]},
         "Exponential", {"rate": [2.0, 1.0, 0.5]}),
        ("Uniform", {"low": [0.0, -0.1, 0.2], "high": [1.0, 0.5, 1.3]},
         "Gamma", {"concentration": [2.0, 1.0, 0.5], "rate": [1.0, 2.0, 3.0]}),
    ]
    for fp, ap, fq, aq in cases:
        vals = []
        for M in (torch, tk):
            p, _ = _build(M, fp, {k: np.array(v) for k, v in ap.items()}, False)
            q, _ = _build(M, fq, {k: np.array(v) for k, v in aq.items()}, False)
            vals.append(M.distributions.kl_divergence(p, q))
        kt, kk = vals
        inf_t = np.isinf(kt.numpy())
        assert inf_t.any() and not inf_t.all(), (fp, fq)
        _close(kk, kt, 1e-10, 1e-11, f"{fp}-{fq}")


def test_cauchy_kl_zero_for_identical():
    for M in (torch, tk):
        loc = M.tensor([0.5, -1.0], dtype=M.float64, requires_grad=True)
        scale = M.tensor([1.5, 0.2], dtype=M.float64, requires_grad=True)
        d = M.distributions.Cauchy(loc, scale)
        kl = M.distributions.kl_divergence(d, M.distributions.Cauchy(loc, scale))
        assert np.allclose(kl.detach().numpy(), 0.0, atol=1e-14)


def test_float32_dtype_kept():
    for pair in [("Normal", "Laplace"), ("Uniform", "Gamma"), ("Bernoulli", "Poisson")]:
        rng = np.random.default_rng(7)
        ap = _params(rng, pair[0], (3,), "p", pair[1])
        aq = _params(rng, pair[1], (3,), "q", pair[0])
        out = []
        for M in (torch, tk):
            p = getattr(M.distributions, pair[0])(
                **{k: M.tensor(v, dtype=M.float32) for k, v in ap.items()})
            q = getattr(M.distributions, pair[1])(
                **{k: M.tensor(v, dtype=M.float32) for k, v in aq.items()})
            out.append(M.distributions.kl_divergence(p, q))
        _close(out[1], out[0], 1e-5, 1e-6, f"float32 {pair}")


def test_registry_pairs_equal_torch():
    ours = {(a.__name__, b.__name__) for a, b in tk.distributions.kl._KL_REGISTRY}
    theirs = {(a.__name__, b.__name__) for a, b in torch.distributions.kl._KL_REGISTRY}
    assert ours == theirs
    assert set(PAIRS) <= ours
