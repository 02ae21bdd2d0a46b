"""The op table, grouped by family. Importing this package defines every built-in op."""

from . import factories, pointwise, views, backward_ops, shape, reduction  # noqa: F401
from . import casts, indexing, linalg, nn  # noqa: F401
from . import extra  # noqa: F401
from . import aliases  # noqa: F401
from . import special, linalg_extra, selection, nn_layers, nn_more, misc  # noqa: F401
from . import pool3d, linalg_more, special_more, nn_extra, upsample_more  # noqa: F401
from . import complex_views  # noqa: F401
from . import fft  # noqa: F401
from . import surface_ops  # noqa: F401
from . import arg_checks as _arg_checks  # noqa: E402

_arg_checks.apply()       # after every op module: PyTorch's refusals of numbers (see there)
