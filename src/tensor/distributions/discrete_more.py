"""More discrete distributions: NegativeBinomial, Multinomial and
OneHotCategoricalStraightThrough."""

import math

import tensor as torch
from . import constraints
from .continuous import Gamma
from .discrete import Binomial, Categorical, OneHotCategorical, _WithParam
from .distribution import Distribution
from .utils import broadcast_all, lazy_property

__all__ = ["NegativeBinomial", "Multinomial", "OneHotCategoricalStraightThrough"]


class NegativeBinomial(_WithParam, Distribution):
    """Successes before ``total_count`` failures, each trial succeeding with probability
    ``probs`` (or ``sigmoid(logits)``); ``total_count`` may be any nonnegative real."""

    arg_constraints = {"total_count": constraints.greater_than_eq(0),
                       "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count, probs=None, logits=None, validate_args=None):
        def with_count(name, value):
            count, value = broadcast_all(total_count, value)
            self.total_count = count.type_as(value)
            return value

        param = self._set_param(probs, logits, with_count)
        super().__init__(param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(NegativeBinomial, batch_shape, _instance, ("total_count",))

    @property
    def mean(self):
        return self.total_count * torch.exp(self.logits)

    @property
    def mode(self):
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self):
        return self.mean / torch.sigmoid(-self.logits)

    @lazy_property
    def _gamma(self):
        # The counts are Poisson with a Gamma(total_count, odds^-1)-distributed rate.
        return Gamma(concentration=self.total_count, rate=torch.exp(-self.logits),
                     validate_args=False)

    def sample(self, sample_shape=torch.Size()):
        with torch.no_grad():
            return torch.poisson(self._gamma.sample(sample_shape=sample_shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logsigmoid = torch.nn.functional.logsigmoid
        n = self.total_count
        unnormalised = n * logsigmoid(-self.logits) + value * logsigmoid(self.logits)
        log_norm = -torch.lgamma(n + value) + torch.lgamma(1.0 + value) + torch.lgamma(n)
        # The term is 0 (not nan) for the point mass at 0 when total_count is 0.
        log_norm = log_norm.masked_fill(n + value == 0.0, 0.0)
        return unnormalised - log_norm


class Multinomial(Distribution):
    """Counts of each of ``K`` classes among ``total_count`` Categorical draws."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits)
        self._binomial = Binomial(total_count=total_count, probs=self.probs)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expanded(Multinomial, batch_shape, _instance)
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(new.batch_shape)
        new._binomial = Binomial(total_count=self.total_count, probs=new.probs)
        return new

    def _new(self, *args, **kwargs):
        return self._categorical._new(*args, **kwargs)

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self):
        return constraints.multinomial(self.total_count)

    @property
    def logits(self):
        return self._categorical.logits

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def param_shape(self):
        return self._categorical.param_shape

    @property
    def mean(self):
        return self.probs * self.total_count

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape=torch.Size()):
        sample_shape = torch.Size(tuple(sample_shape))
        draws = self._categorical.sample(torch.Size((self.total_count,)) + sample_shape)
        # Move the draw index last, then count each class along it.
        order = list(range(1, draws.dim())) + [0]
        draws = draws.permute(*order)
        counts = torch.zeros(tuple(self._extended_shape(sample_shape)), dtype=draws.dtype)
        counts.scatter_add_(-1, draws, torch.ones_like(draws))
        return counts.type_as(self.probs)

    def entropy(self):
        n = torch.tensor(self.total_count)
        first = n * self._categorical.entropy() - torch.lgamma(n + 1)
        # E[sum_k log(x_k!)], each x_k Binomial(n, p_k), summed over the counts 1..n.
        counts = self._binomial.enumerate_support(expand=False)[1:]
        weights = torch.exp(self._binomial.log_prob(counts)) * torch.lgamma(counts + 1)
        return first + weights.sum([0, -1])

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        logits = logits.clone(memory_format=torch.contiguous_format)
        log_fact_total = torch.lgamma(value.sum(-1) + 1)
        log_fact_each = torch.lgamma(value + 1).sum(-1)
        # A class of probability 0 drawn 0 times contributes 0 (not 0 * -inf).
        logits[(value == 0) & (logits == -math.inf)] = 0
        return log_fact_total - log_fact_each + (logits * value).sum(-1)


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """A OneHotCategorical whose ``rsample`` passes gradients straight through: the one-hot
    draw plus ``probs - probs.detach()``."""

    has_rsample = True

    def rsample(self, sample_shape=torch.Size()):
        draws = self.sample(sample_shape)
        probs = self._categorical.probs
        return draws + (probs - probs.detach())
