"""``tensor.utils``: the parts of ``torch.utils`` a training snippet needs (``data``)."""

from . import data  # noqa: F401
