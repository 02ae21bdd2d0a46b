"""``torch.func`` as far as tensorkeys goes: ``functional_call``. The function transforms
(``vmap``, ``grad``, ``jacrev``...) need PyTorch's functorch levels and are not here; for
gradients use ``tensor.autograd.grad`` or ``tensor.autograd.functional``."""

from .nn.utils.stateless import functional_call  # noqa: F401

__all__ = ["functional_call"]

# torch.* names that are this module's (``torch.vmap`` is ``torch.func.vmap``...)
TOPLEVEL: dict = {}
