"""``torch.distributions``: parameterised probability distributions with sampling,
(reparameterised) ``rsample``, ``log_prob``/``cdf``/``icdf``/``entropy``, argument validation
and KL divergences, all written over the package's tensor ops so that gradients flow to the
parameters and ``torch.manual_seed`` governs the draws."""

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
from .transforms import (  # noqa: F401
    AffineTransform, ComposeTransform, ExpTransform, IndependentTransform, SigmoidTransform,
    TanhTransform, Transform, identity_transform,
)
from . import kl  # noqa: F401
from .kl import kl_divergence, register_kl  # noqa: F401

__all__ = [
    "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2",
    "ComposeTransform", "Dirichlet", "Distribution", "ExpTransform", "Exponential",
    "ExponentialFamily", "Gamma", "Geometric", "Gumbel", "Independent", "IndependentTransform",
    "Laplace", "LogNormal", "MixtureSameFamily", "MultivariateNormal", "Normal",
    "OneHotCategorical", "Poisson", "SigmoidTransform", "StudentT", "TanhTransform",
    "Transform", "TransformedDistribution", "Uniform", "identity_transform", "kl_divergence",
    "register_kl",
]
