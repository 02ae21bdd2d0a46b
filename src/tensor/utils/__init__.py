"""``tensor.utils``: the parts of ``torch.utils`` a training loop needs: ``data`` (datasets,
samplers, ``DataLoader``) and ``checkpoint`` (activation checkpointing)."""

from . import checkpoint, data, hooks  # noqa: F401
from . import _pytree  # noqa: F401  (torch.utils._pytree)
