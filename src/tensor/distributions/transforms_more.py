"""More transforms of ``torch.distributions.transforms``: absolute value, powers, softplus,
maps onto the simplex (softmax, stick breaking), onto Cholesky factors and positive-definite
matrices, reshaping, transforms applied piecewise along a dimension (cat, stack), and a
distribution's cdf as a transform.

They are re-exported by ``transforms``, so ``from torch.distributions.transforms import X``
finds them there."""

import math

import tensor as torch
from . import constraints
from .transforms import Transform
from .utils import (broadcast_all, lazy_property, tril_matrix_to_vec, vec_to_tril_matrix,
                    _sum_rightmost)

__all__ = ["AbsTransform", "CatTransform", "CorrCholeskyTransform",
           "CumulativeDistributionTransform", "LowerCholeskyTransform",
           "PositiveDefiniteTransform", "PowerTransform", "ReshapeTransform",
           "SoftmaxTransform", "SoftplusTransform", "StackTransform", "StickBreakingTransform"]


def _softplus(x):
    return torch.nn.functional.softplus(x)


def _pad_last(x, before, after, value):
    """``x`` with ``before``/``after`` entries equal to ``value`` added on its last dim."""
    return torch.nn.functional.pad(x, [before, after], value=value)


def _sigmoid_inside(x):
    """The sigmoid kept within ``[tiny, 1 - eps]`` of the dtype."""
    finfo = torch.finfo(x.dtype)
    return torch.clamp(torch.sigmoid(x), min=finfo.tiny, max=1.0 - finfo.eps)


class _SameTypeEqual(Transform):
    """Parameter-free transforms: two instances of the same public class are equal."""

    def __eq__(self, other):
        return isinstance(other, _public_class(self))

    __hash__ = object.__hash__


def _public_class(instance):
    return next(c for c in type(instance).__mro__ if _SameTypeEqual in c.__bases__)


class _NeedsLastDim(Transform):
    """Shape rules of the vector transforms: the input needs a last dimension."""

    def _check_rank(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")


class AbsTransform(_SameTypeEqual):
    """``y = |x|`` (not injective: its inverse returns the nonnegative preimage)."""

    domain = constraints.real
    codomain = constraints.positive

    def _call(self, x):
        return x.abs()

    def _inverse(self, y):
        return y


class SoftplusTransform(_SameTypeEqual):
    """``y = log(1 + exp(x))``, linear for large ``x``."""

    domain = constraints.real
    codomain = constraints.positive
    bijective = True
    sign = +1

    def _call(self, x):
        return _softplus(x)

    def _inverse(self, y):
        # log(exp(y) - 1) written as y + log(1 - exp(-y)).
        return y + (-y).expm1().neg().log()

    def log_abs_det_jacobian(self, x, y):
        return -_softplus(-x)


class PowerTransform(Transform):
    """``y = x ** exponent`` on the positive reals."""

    domain = constraints.positive
    codomain = constraints.positive
    bijective = True

    def __init__(self, exponent, cache_size=0):
        super().__init__(cache_size=cache_size)
        (self.exponent,) = broadcast_all(exponent)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return PowerTransform(self.exponent, cache_size=cache_size)

    @lazy_property
    def sign(self):
        return self.exponent.sign()

    def __eq__(self, other):
        if not isinstance(other, PowerTransform):
            return False
        return self.exponent.eq(other.exponent).all().item()

    __hash__ = object.__hash__

    def _call(self, x):
        return x.pow(self.exponent)

    def _inverse(self, y):
        return y.pow(1 / self.exponent)

    def log_abs_det_jacobian(self, x, y):
        # dy/dx = exponent * x ** (exponent - 1) = exponent * y / x.
        return (self.exponent * y / x).abs().log()

    def _shape(self, shape):
        return torch.broadcast_shapes(tuple(shape), tuple(getattr(self.exponent, "shape", ())))

    def forward_shape(self, shape):
        return self._shape(shape)

    def inverse_shape(self, shape):
        return self._shape(shape)


class SoftmaxTransform(_SameTypeEqual, _NeedsLastDim):
    """Real vectors to the simplex by exponentiating and normalising (not injective; the
    inverse returns the log-probabilities)."""

    domain = constraints.real_vector
    codomain = constraints.simplex

    def _call(self, x):
        e = (x - x.max(-1, True)[0]).exp()
        return e / e.sum(-1, True)

    def _inverse(self, y):
        return y.log()

    def forward_shape(self, shape):
        self._check_rank(shape)
        return shape

    def inverse_shape(self, shape):
        self._check_rank(shape)
        return shape


def _stick_offsets(x, count):
    """``[count, count - 1, ..., 1]`` shifted so the map sends zeros to the simplex centre:
    the log of these is subtracted from the logits before each break."""
    return count + 1 - x.new_ones(count).cumsum(-1)


class StickBreakingTransform(_SameTypeEqual, _NeedsLastDim):
    """Real vectors of length ``K`` to the simplex of length ``K + 1``: each entry, through a
    sigmoid, takes its share of the stick left by the entries before it."""

    domain = constraints.real_vector
    codomain = constraints.simplex
    bijective = True

    def _call(self, x):
        k = x.shape[-1]
        z = _sigmoid_inside(x - _stick_offsets(x, k).log())
        remaining = (1 - z).cumprod(-1)
        return _pad_last(z, 0, 1, 1) * _pad_last(remaining, 1, 0, 1)

    def _inverse(self, y):
        head = y[..., :-1]
        k = head.shape[-1]
        offsets = y.shape[-1] - y.new_ones(k).cumsum(-1)
        left = (1 - head.cumsum(-1)).clamp(min=torch.finfo(y.dtype).tiny)
        return head.log() - left.log() + offsets.log()

    def log_abs_det_jacobian(self, x, y):
        shifted = x - _stick_offsets(x, x.shape[-1]).log()
        # With 1 - sigmoid(t) = exp(-t) sigmoid(t), each break contributes
        # log sigmoid(t) - t, and the stick left before it, y_i / z_i, contributes log y_i.
        terms = -shifted + torch.nn.functional.logsigmoid(shifted) + y[..., :-1].log()
        return terms.sum(-1)

    def forward_shape(self, shape):
        self._check_rank(shape)
        return tuple(shape[:-1]) + (shape[-1] + 1,)

    def inverse_shape(self, shape):
        self._check_rank(shape)
        return tuple(shape[:-1]) + (shape[-1] - 1,)


class LowerCholeskyTransform(_SameTypeEqual):
    """Square matrices to lower-triangular ones with a positive diagonal: the strict lower
    part is kept and the diagonal exponentiated."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def _call(self, x):
        return x.tril(-1) + x.diagonal(dim1=-2, dim2=-1).exp().diag_embed()

    def _inverse(self, y):
        return y.tril(-1) + y.diagonal(dim1=-2, dim2=-1).log().diag_embed()


class PositiveDefiniteTransform(_SameTypeEqual):
    """Square matrices to positive-definite ones, ``L L^T`` for ``L`` the lower Cholesky
    transform of the input."""

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def _call(self, x):
        factor = LowerCholeskyTransform()(x)
        return factor @ factor.mT

    def _inverse(self, y):
        return LowerCholeskyTransform().inv(torch.linalg.cholesky(y))


class CorrCholeskyTransform(Transform):
    """Real vectors of length ``D (D - 1) / 2`` to Cholesky factors of ``D x D`` correlation
    matrices: the entries, squashed by tanh, fill the strict lower triangle row by row, and
    each row is scaled by a signed stick-breaking so that it has unit length."""

    domain = constraints.real_vector
    codomain = constraints.corr_cholesky
    bijective = True

    def _call(self, x):
        eps = torch.finfo(x.dtype).eps
        r = vec_to_tril_matrix(torch.tanh(x).clamp(min=-1 + eps, max=1 - eps), diag=-1)
        # Entry j of a row keeps the part of the row's unit length not used by the entries
        # before it: y_ij = r_ij * prod_{k<j} sqrt(1 - r_ik^2), and y_ii = that remainder.
        kept = (1 - r ** 2).sqrt().cumprod(-1)
        r = r + torch.eye(r.shape[-1], dtype=r.dtype)
        return r * _pad_last(kept[..., :-1], 1, 0, 1)

    def _inverse(self, y):
        left = 1 - torch.cumsum(y * y, dim=-1)
        left_before = _pad_last(left[..., :-1], 1, 0, 1)
        t = tril_matrix_to_vec(y, diag=-1) / tril_matrix_to_vec(left_before, diag=-1).sqrt()
        return (t.log1p() - t.neg().log1p()) / 2

    def log_abs_det_jacobian(self, x, y, intermediates=None):
        # The Jacobian of x against the flattened strict lower triangle of y.
        left = 1 - (y * y).cumsum(dim=-1)
        stick = 0.5 * tril_matrix_to_vec(left, diag=-2).log().sum(-1)
        tanh_part = -2 * (x + _softplus(-2 * x) - math.log(2.0)).sum(dim=-1)
        return stick + tanh_part

    def forward_shape(self, shape):
        if len(shape) < 1:
            raise ValueError("Too few dimensions on input")
        n = shape[-1]
        d = round((0.25 + 2 * n) ** 0.5 + 0.5)
        if d * (d - 1) // 2 != n:
            raise ValueError("Input is not a flattened lower-diagonal number")
        return tuple(shape[:-1]) + (d, d)

    def inverse_shape(self, shape):
        if len(shape) < 2:
            raise ValueError("Too few dimensions on input")
        if shape[-2] != shape[-1]:
            raise ValueError("Input is not square")
        d = shape[-1]
        return tuple(shape[:-2]) + (d * (d - 1) // 2,)


class ReshapeTransform(Transform):
    """Reshapes the rightmost ``in_shape`` dimensions to ``out_shape`` (unit Jacobian)."""

    bijective = True

    def __init__(self, in_shape, out_shape, cache_size=0):
        self.in_shape = torch.Size(tuple(in_shape))
        self.out_shape = torch.Size(tuple(out_shape))
        if self.in_shape.numel() != self.out_shape.numel():
            raise ValueError("in_shape, out_shape have different numbers of elements")
        super().__init__(cache_size=cache_size)

    @constraints.dependent_property
    def domain(self):
        return constraints.independent(constraints.real, len(self.in_shape))

    @constraints.dependent_property
    def codomain(self):
        return constraints.independent(constraints.real, len(self.out_shape))

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return ReshapeTransform(self.in_shape, self.out_shape, cache_size=cache_size)

    @staticmethod
    def _swap(t, old, new):
        keep = tuple(t.shape[:t.dim() - len(old)])
        return t.reshape(keep + tuple(new))

    def _call(self, x):
        return self._swap(x, self.in_shape, self.out_shape)

    def _inverse(self, y):
        return self._swap(y, self.out_shape, self.in_shape)

    def log_abs_det_jacobian(self, x, y):
        return x.new_zeros(tuple(x.shape[:x.dim() - len(self.in_shape)]))

    @staticmethod
    def _reshaped(shape, old, new):
        if len(shape) < len(old):
            raise ValueError("Too few dimensions on input")
        cut = len(shape) - len(old)
        if shape[cut:] != old:
            raise ValueError(f"Shape mismatch: expected {shape[cut:]} but got {old}")
        return shape[:cut] + new

    def forward_shape(self, shape):
        return self._reshaped(shape, self.in_shape, self.out_shape)

    def inverse_shape(self, shape):
        return self._reshaped(shape, self.out_shape, self.in_shape)


class _Piecewise(Transform):
    """Shared part of CatTransform and StackTransform: a list of transforms, each applied to
    its own part of dimension ``dim``."""

    def __init__(self, tseq, dim, cache_size):
        if not all(isinstance(t, Transform) for t in tseq):
            raise AssertionError("All elements of tseq must be Transform instances")
        if cache_size:
            tseq = [t.with_cache(cache_size) for t in tseq]
        super().__init__(cache_size=cache_size)
        self.transforms = list(tseq)
        self.dim = dim

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    def _check(self, t, label, what, expected):
        """The input checks: ``dim`` exists on ``t`` and its size there is ``expected``."""
        if not -t.dim() <= self.dim < t.dim():
            raise AssertionError(f"dim {self.dim} out of range for {label} with {t.dim()} "
                                 "dimensions")
        if t.size(self.dim) != expected:
            name = label if label in ("x", "y") else what
            raise AssertionError(f"{name}.size({self.dim}) = {t.size(self.dim)} must equal "
                                 f"{self._expected_name()} {expected}")

    def _map(self, t, what, inverse):
        self._check(t, "tensor", what, self._expected())
        pieces = [(tr.inv if inverse else tr)(part)
                  for tr, part in zip(self.transforms, self._parts(t))]
        return self._join(pieces)

    def _call(self, x):
        return self._map(x, "x", inverse=False)

    def _inverse(self, y):
        return self._map(y, "y", inverse=True)


class CatTransform(_Piecewise):
    """Transforms applied to consecutive slices of dimension ``dim`` (slice ``i`` has
    ``lengths[i]`` entries), joined back as ``torch.cat`` does."""

    def __init__(self, tseq, dim=0, lengths=None, cache_size=0):
        super().__init__(tseq, dim, cache_size)
        self.lengths = [1] * len(self.transforms) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.transforms):
            raise AssertionError(f"lengths ({len(self.lengths)}) must match transforms "
                                 f"({len(self.transforms)})")

    @lazy_property
    def event_dim(self):
        return max(t.event_dim for t in self.transforms)

    @lazy_property
    def length(self):
        return sum(self.lengths)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return CatTransform(self.transforms, self.dim, self.lengths, cache_size)

    def _expected(self):
        return self.length

    def _expected_name(self):
        return "length"

    def _parts(self, t):
        parts, start = [], 0
        for length in self.lengths:
            parts.append(t.narrow(self.dim, start, length))
            start = start + length
        return parts

    def _join(self, pieces):
        return torch.cat(pieces, dim=self.dim)

    def log_abs_det_jacobian(self, x, y):
        self._check(x, "x", "x", self.length)
        self._check(y, "y", "y", self.length)
        terms = []
        for t, xs, ys in zip(self.transforms, self._parts(x), self._parts(y)):
            term = t.log_abs_det_jacobian(xs, ys)
            if t.event_dim < self.event_dim:
                term = _sum_rightmost(term, self.event_dim - t.event_dim)
            terms.append(term)
        # When dim is a batch dimension the pieces are joined along it, otherwise (inside
        # the event) they are added up.
        dim = self.dim - x.dim() if self.dim >= 0 else self.dim
        dim = dim + self.event_dim
        if dim < 0:
            return torch.cat(terms, dim=dim)
        return sum(terms)

    @constraints.dependent_property
    def domain(self):
        return constraints.cat([t.domain for t in self.transforms], self.dim, self.lengths)

    @constraints.dependent_property
    def codomain(self):
        return constraints.cat([t.codomain for t in self.transforms], self.dim, self.lengths)


class StackTransform(_Piecewise):
    """Transforms applied to successive entries of dimension ``dim``, joined back as
    ``torch.stack`` does."""

    def __init__(self, tseq, dim=0, cache_size=0):
        super().__init__(tseq, dim, cache_size)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return StackTransform(self.transforms, self.dim, cache_size)

    def _expected(self):
        return len(self.transforms)

    def _expected_name(self):
        return "len(transforms)"

    def _parts(self, t):
        return [t.select(self.dim, i) for i in range(t.size(self.dim))]

    def _join(self, pieces):
        return torch.stack(pieces, dim=self.dim)

    def log_abs_det_jacobian(self, x, y):
        self._check(x, "x", "x", len(self.transforms))
        self._check(y, "y", "y", len(self.transforms))
        terms = [t.log_abs_det_jacobian(xs, ys)
                 for xs, ys, t in zip(self._parts(x), self._parts(y), self.transforms)]
        return torch.stack(terms, dim=self.dim)

    @constraints.dependent_property
    def domain(self):
        return constraints.stack([t.domain for t in self.transforms], self.dim)

    @constraints.dependent_property
    def codomain(self):
        return constraints.stack([t.codomain for t in self.transforms], self.dim)


class CumulativeDistributionTransform(Transform):
    """``y = F(x)`` for ``F`` the cdf of ``distribution``; its log-det is the log-density."""

    bijective = True
    codomain = constraints.unit_interval
    sign = +1

    def __init__(self, distribution, cache_size=0):
        super().__init__(cache_size=cache_size)
        self.distribution = distribution

    @property
    def domain(self):
        return self.distribution.support

    def _call(self, x):
        return self.distribution.cdf(x)

    def _inverse(self, y):
        return self.distribution.icdf(y)

    def log_abs_det_jacobian(self, x, y):
        return self.distribution.log_prob(x)

    def with_cache(self, cache_size=1):
        if self._cache_size == cache_size:
            return self
        return CumulativeDistributionTransform(self.distribution, cache_size=cache_size)
