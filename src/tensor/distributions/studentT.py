"""``torch.distributions.studentT``: StudentT (defined in ``continuous``)."""

from .continuous import StudentT

__all__ = ["StudentT"]
