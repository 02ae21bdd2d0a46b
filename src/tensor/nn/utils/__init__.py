"""``tensor.nn.utils``: gradient clipping, flattening parameters into one vector, and ``rnn``
(packed sequences).

``clip_grad_norm_`` follows PyTorch's CPU path: the norm of each gradient, the norm of those
norms, then every gradient multiplied in place by ``min(max_norm / (total + 1e-6), 1)`` — all
without recording a graph. ``foreach`` is accepted and ignored (one loop serves both).
"""

from .clip_grad import (  # noqa: F401
    clip_grad_norm, clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm,
)
from .convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: F401
from .fusion import (  # noqa: F401
    fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, fuse_linear_bn_weights,
)
from .init import skip_init  # noqa: F401
from .memory_format import (  # noqa: F401
    convert_conv2d_weight_memory_format, convert_conv3d_weight_memory_format,
)
from . import rnn, stateless  # noqa: F401
from . import parametrize, parametrizations, prune  # noqa: F401
from .spectral_norm import remove_spectral_norm, spectral_norm  # noqa: F401
from .weight_norm import remove_weight_norm, weight_norm  # noqa: F401

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grads_with_norm_", "clip_grad_value_",
           "get_total_norm", "parameters_to_vector", "vector_to_parameters", "parametrizations",
           "parametrize", "remove_spectral_norm", "remove_weight_norm", "spectral_norm",
           "weight_norm", "convert_conv2d_weight_memory_format",
           "convert_conv3d_weight_memory_format", "fuse_conv_bn_eval", "fuse_conv_bn_weights",
           "fuse_linear_bn_eval", "fuse_linear_bn_weights", "skip_init"]
