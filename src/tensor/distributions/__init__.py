"""``torch.distributions``: parameterised probability distributions with sampling,
(reparameterised) ``rsample``, ``log_prob``/``cdf``/``icdf``/``entropy``, argument validation
and KL divergences, all written over the package's tensor ops so that gradients flow to the
parameters and ``torch.manual_seed`` governs the draws.

The classes live in a few grouped modules (``continuous``, ``discrete``, ``multivariate``,
...); the per-distribution module names PyTorch has (``normal``, ``half_cauchy``,
``transformed_distribution``, ...) are small modules re-exporting them, imported on first
use."""

import importlib as _importlib

from . import constraints, transforms  # noqa: F401
from .continuous import (  # noqa: F401
    Beta, Cauchy, Chi2, Exponential, Gamma, Laplace, Normal, StudentT, Uniform,
)
from .discrete import (  # noqa: F401
    Bernoulli, Binomial, Categorical, Geometric, OneHotCategorical, Poisson,
)
from .distribution import Distribution, ExponentialFamily  # noqa: F401
from .independent import Independent, MixtureSameFamily  # noqa: F401
from .multivariate import Dirichlet, MultivariateNormal  # noqa: F401
from .transformed import Gumbel, LogNormal, TransformedDistribution  # noqa: F401
from .continuous_more import (  # noqa: F401
    ContinuousBernoulli, FisherSnedecor, GeneralizedPareto, HalfCauchy, HalfNormal,
    InverseGamma, Kumaraswamy, Pareto, VonMises, Weibull,
)
from .discrete_more import (  # noqa: F401
    Multinomial, NegativeBinomial, OneHotCategoricalStraightThrough,
)
from .lowrank import LowRankMultivariateNormal  # noqa: F401
from .matrix import LKJCholesky, Wishart  # noqa: F401
from .relaxed import LogisticNormal, RelaxedBernoulli, RelaxedOneHotCategorical  # noqa: F401
from .transforms import (  # noqa: F401
    AbsTransform, AffineTransform, CatTransform, ComposeTransform, CorrCholeskyTransform,
    CumulativeDistributionTransform, ExpTransform, IndependentTransform,
    LowerCholeskyTransform, PositiveDefiniteTransform, PowerTransform, ReshapeTransform,
    SigmoidTransform, SoftmaxTransform, SoftplusTransform, StackTransform,
    StickBreakingTransform, TanhTransform, Transform, identity_transform,
)
from .constraint_registry import biject_to, transform_to  # noqa: F401
from . import kl, kl_more  # noqa: F401
from .kl import kl_divergence, register_kl  # noqa: F401

__all__ = [
    "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "ContinuousBernoulli",
    "Dirichlet", "Distribution", "Exponential", "ExponentialFamily", "FisherSnedecor",
    "Gamma", "GeneralizedPareto", "Geometric", "Gumbel", "HalfCauchy", "HalfNormal",
    "Independent", "InverseGamma", "Kumaraswamy", "LKJCholesky", "Laplace", "LogNormal",
    "LogisticNormal", "LowRankMultivariateNormal", "MixtureSameFamily", "Multinomial", "MultivariateNormal",
    "NegativeBinomial", "Normal", "OneHotCategorical", "OneHotCategoricalStraightThrough",
    "Pareto", "RelaxedBernoulli", "RelaxedOneHotCategorical", "StudentT", "Poisson",
    "Uniform", "VonMises", "Weibull", "Wishart", "TransformedDistribution", "biject_to",
    "kl_divergence", "register_kl", "transform_to",
]
__all__.extend(transforms.__all__)

# PyTorch's per-distribution module names, loaded when first read as an attribute (an
# ``import torch.distributions.normal`` statement loads them anyway).
_SUBMODULES = frozenset({
    "bernoulli", "beta", "binomial", "categorical", "cauchy", "chi2", "constraint_registry",
    "constraints", "continuous_bernoulli", "dirichlet", "distribution", "exp_family",
    "exponential", "fishersnedecor", "independent", "kl", "transforms",
    "gamma", "generalized_pareto", "geometric", "gumbel", "half_cauchy", "half_normal",
    "inverse_gamma", "kumaraswamy", "laplace", "lkj_cholesky", "log_normal",
    "logistic_normal", "lowrank_multivariate_normal", "mixture_same_family", "multinomial",
    "multivariate_normal", "negative_binomial", "normal", "one_hot_categorical", "pareto",
    "poisson", "relaxed_bernoulli", "relaxed_categorical", "studentT",
    "transformed_distribution", "uniform", "utils", "von_mises", "weibull", "wishart",
})


def __getattr__(name):
    if name in _SUBMODULES:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES)
