"""``torch.distributions.lkj_cholesky``: LKJCholesky (defined in ``matrix``)."""

from .matrix import LKJCholesky

__all__ = ["LKJCholesky"]
