"""``torch.distributions.half_cauchy``: HalfCauchy (defined in ``continuous_more``)."""

from .continuous_more import HalfCauchy

__all__ = ["HalfCauchy"]
