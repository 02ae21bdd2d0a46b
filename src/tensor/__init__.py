"""tensorkeys' tensor package: ``import tensor as torch`` runs ordinary PyTorch snippets.

Every op is routed by the dispatcher in ``dispatch``; the mode guards come from ``modes``.
"""

import builtins as _builtins
import re as _re
import warnings as _warnings
from dispatch import dispatcher as _dispatcher
from dispatch import dispatch_trace, dispatch_table, DispatchKeySet, ops  # noqa: F401

from . import _dtype
from ._dtype import (  # noqa: F401
    dtype, float16, float32, float64, half, double, int8, int16, int32, int64, short, long,
    uint8, complex64, complex128, cfloat, cdouble, get_default_dtype, set_default_dtype,
    promote_types, result_type as _result_type,
)
from ._tensor import Tensor, Size, device  # noqa: F401
from . import _torch_function as _tf
_tf.install()      # before any Tensor subclass (nn.Parameter) is defined
from . import autograd  # noqa: F401  (attaches grad/backward/... to Tensor)
from . import opdefs as _ops  # noqa: F401  (defines every op)
from .opdefs.factories import (  # noqa: F401
    tensor, as_tensor, from_numpy, zeros, ones, empty, full, arange, linspace, eye, rand,
    randn, randint, zeros_like, ones_like, empty_like, full_like, rand_like, randn_like,
    randint_like, manual_seed, scalar_tensor,
)
from .opdefs.shape import cat, stack, concat, concatenate  # noqa: F401
from .errors import InferenceTensorError  # noqa: F401
from ._repr import set_printoptions  # noqa: F401
from .opdefs.reduction import return_types  # noqa: F401
from . import nn, optim, library  # noqa: F401
from . import testing  # noqa: F401
from . import utils  # noqa: F401
from . import errors  # noqa: F401
from modes import (  # noqa: F401
    no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled,
    is_inference_mode_enabled, AutoDispatchBelowADInplaceOrView, AutoDispatchBelowAutograd,
    carry_modes, run_in_thread,
)
from ._defop import FORMULA_NS as _FNS, OPS as _OPS

bool = _dtype.bool_           # noqa: A001 - torch.bool
from ._memory_format import (  # noqa: F401,E402 - torch.channels_last and friends
    memory_format, contiguous_format, preserve_format, channels_last, channels_last_3d,
)
float = _dtype.float32        # noqa: A001 - torch.float
int = _dtype.int32            # noqa: A001 - torch.int

# Note [Floating-point warnings stay inside]: IEEE results (log(0) = -inf, 0 * inf = nan,
# overflow to inf) are ordinary results for PyTorch, which reports nothing. numpy reports each
# as a RuntimeWarning from the code that called it — here, our kernels. Those warnings are
# ignored when they come from this package (its modules and generated kernels carry its
# name); the user's own numpy calls keep numpy's settings, and the hot path pays nothing
# (a warning only exists when a floating-point flag was raised). A filter added while pytest
# collects is dropped when collection ends (it restores the filters it found), so inside a
# pytest session these warnings show again. Where a filter of the user's turns them into
# exceptions (``-W error``), the kernel that raised runs again with numpy's reports off
# (``_defop.quietly``), so the result is still the IEEE one and nothing is raised.
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"tensor(\.|$)")

# A Python number in a Tensor position takes part in dispatch like PyTorch's wrapped number:
# with a normal tensor's keys (SEMANTICS-DETAIL §1.2, rules I-16/I-17).
_dispatcher.set_untyped_argument_keys(_ops.factories.T.NORMAL_KEYS)
_dispatcher.set_keyed_class(Tensor)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(t):
    return t.numel()


def result_type(a, b):
    return _result_type(a, b)


# The functions whose first argument may be a Python number when the second is a tensor
# (``torch.add(2, t)``); every other function wants a tensor first, as in PyTorch.
_NUMBER_FIRST = frozenset({"add", "sub", "mul", "div", "divide", "true_divide", "pow",
                           "remainder", "float_power", "floor_divide", "xlogy", "multiply",
                           "subtract", "bitwise_and", "bitwise_or", "bitwise_xor"})
# Functions whose Python binding has several signatures: a non-tensor ``input`` gets PyTorch's
# "invalid combination of arguments" error rather than the single-signature one.
_OVERLOADED = frozenset(
    "addbmm addcdiv addcmul addmm addmv addmv_ addr all any argsort baddbmm clamp clamp_ "
    "clamp_max clamp_max_ clamp_min clamp_min_ clip clip_ copysign count_nonzero dsplit eq "
    "fill_ fmod ge greater greater_equal gt histogram hsplit index_fill le lerp less less_equal "
    "lt masked_fill max mean min moveaxis movedim nanquantile narrow ne not_equal prod "
    "quantile repeat_interleave round scatter searchsorted sort squeeze std std_mean sum "
    "tensor_split trapezoid trapz var var_mean vsplit where xlogy_".split())


_NUMBERS = (_builtins.int, _builtins.float, _builtins.bool)


def _kind(v):
    return "Tensor" if isinstance(v, Tensor) else type(v).__name__


from . import _out as _out_mod  # noqa: E402


def _function(name):
    number_first = name in _NUMBER_FIRST
    meth = getattr(Tensor, name)
    if _dispatcher.is_entry_point(meth):
        # Note [Where __torch_function__ is handled] (_torch_function.py): the method's code,
        # reported as ``torch.<name>``
        meth = _dispatcher.entry_point(meth._op, name=name)
    else:
        meth = None

    def fn(input, *args, out=None, **kwargs):
        if input.__class__ is not Tensor and _tf.wants_protocol(
                (input,) + args + tuple(kwargs.values())):
            if out is not None:
                kwargs = dict(kwargs, out=out)
            return _tf.handle_from_python(fn, (input,) + args, kwargs)
        if input.__class__ is Tensor and meth is not None and out is None:
            try:
                return meth(input, *args, **kwargs)
            except TypeError as e:
                shifted = _as_function_error(name, e)
                if shifted is None:
                    raise
                raise shifted from None
        if not isinstance(input, Tensor):
            if not (number_first and isinstance(input, _NUMBERS) and args
                    and isinstance(args[0], Tensor)):
                if name in _OVERLOADED and (args or kwargs):
                    got = [_kind(v) for v in (input,) + args] + \
                        [f"{k}={_kind(v)}" for k, v in kwargs.items()]
                    raise TypeError(f"{name}() received an invalid combination of arguments - "
                                    f"got ({', '.join(got)}), but expected one of:")
                raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                                f"{type(input).__name__}")
            if out is None:
                # the number takes part as PyTorch's wrapped number (weakest in promotion):
                # the op itself accepts it in its tensor position
                if name == "pow":
                    return _ops.pointwise.pow_scalar_base(input, *args, **kwargs)
                if name == "float_power":      # pow(number, exponent in double)
                    return _ops.pointwise.pow_scalar_base(input, args[0].to(float64))
                return getattr(Tensor, name)(input, *args, **kwargs)
            input = tensor(input)
        try:
            if out is not None:
                # ``torch.add(a, b, out=c)`` runs the op's out= overload (it writes ``c``,
                # bumps its version, refuses arguments that require grad in grad mode)
                over = _OPS.get(f"aten::{name}.out")
                if over is None:
                    if name in _out_mod.POLICIES:
                        return _out_mod.call_with_out(name, getattr(Tensor, name),
                                                      (input,) + args, kwargs, out)
                    raise TypeError(f"{name}() got an unexpected keyword argument 'out'")
                return _out_mod.write_resizing(
                    lambda: over.call(input, *args, out=out, **kwargs), out)
            return getattr(input, name)(*args, **kwargs)
        except TypeError as e:
            shifted = _as_function_error(name, e)
            if shifted is None:
                raise
            raise shifted from None
    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = f"``torch.{name}(input, ...)``: same as ``input.{name}(...)``."
    if meth is not None:
        meth.__globals__["_FN"] = fn
    return fn


_POSITION = _re.compile(r"\(position (\d+)\)")


def _as_function_error(name, e):
    """An argument error raised by the method ``input.<name>(...)``, restated for
    ``torch.<name>(input, ...)``: PyTorch counts ``input`` there (positions one further,
    and ``Tensor`` first among the argument types). None for any other TypeError."""
    if not getattr(e, "method_form", False):
        return None
    msg = str(e)
    if msg.startswith(f"{name}(): argument '"):
        msg = _POSITION.sub(lambda m: f"(position {_builtins.int(m.group(1)) + 1})", msg,
                            count=1)
        return TypeError(msg)
    head = f"{name}() received an invalid combination of arguments - got ("
    if msg.startswith(head):
        rest = msg[len(head):]
        return TypeError(head + ("Tensor" if rest.startswith(")") else "Tensor, ") + rest)
    return None


_FUNCTIONS = [
    "add", "sub", "mul", "div", "divide", "true_divide", "pow", "neg", "negative", "exp", "log",
    "log1p", "log2", "sqrt", "rsqrt", "sin", "cos", "tan", "tanh", "sigmoid", "abs", "absolute",
    "relu", "sign", "floor", "ceil", "trunc", "round", "reciprocal", "silu", "clamp", "clip",
    "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or",
    "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    "remainder", "sum", "mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin", "var",
    "std", "norm", "logsumexp", "all", "any", "matmul", "mm", "bmm", "mv", "dot", "outer",
    "softmax", "log_softmax", "masked_fill", "clone", "detach", "gather", "index_select",
    "reshape", "flatten", "transpose", "swapaxes", "t", "permute", "squeeze", "unsqueeze",
    "narrow", "select", "diagonal", "unbind", "split", "chunk", "as_strided", "gelu",
    "square", "cumsum", "topk", "sort", "argsort", "allclose", "isclose", "equal", "isnan",
    "isinf", "isfinite", "nonzero", "masked_select", "count_nonzero", "erf", "expm1",
    "sinh", "cosh", "asin", "acos", "atan", "atan2", "lerp", "addmm", "tril", "triu", "roll",
    "flip", "repeat_interleave", "take", "scatter", "scatter_add", "index_add", "diag",
    "trace", "einsum_", "frac", "fmod", "hypot", "logaddexp", "var_mean", "std_mean",
    "median", "mode", "cummax", "cumprod", "kron", "tensordot", "baddbmm", "addmv",
    "sgn", "square_", "positive", "float_power", "heaviside", "nan_to_num", "clamp_min",
    "clamp_max", "relu_", "sigmoid_", "exp_", "tanh_", "zero_", "fill_", "view_as_real",
    "index_put", "index_put_", "index_fill", "index_fill_", "argwhere", "masked_fill_",
    "scatter_add_", "index_add_", "logsumexp", "cumsum", "norm",
    "log10", "exp2", "cummin", "diag_embed", "nan_to_num_",
    "tile", "movedim", "moveaxis", "take_along_dim", "tensor_split", "diff", "addcmul",
    "addcdiv", "unique", "nanmean", "nansum", "signbit", "fmax", "fmin", "deg2rad", "rad2deg",
    "ravel", "broadcast_to", "flipud", "fliplr", "unflatten", "isposinf", "isneginf",
    "multiply", "subtract", "is_nonzero", "bernoulli", "split_with_sizes",
]
# An op module may list more function forms (``FUNCTIONS``) and functions of its own
# (``TOPLEVEL``), so that declaring an op and exposing it stay in one file.
for _m in (_ops.special, _ops.linalg_extra, _ops.selection, _ops.nn_layers, _ops.nn_more,
           _ops.misc, _ops.aliases, _ops.pool3d, _ops.linalg_more, _ops.special_more,
           _ops.nn_extra, _ops.complex_views):
    _FUNCTIONS += [n for n in getattr(_m, "FUNCTIONS", ()) if n not in _FUNCTIONS]
    for _name, _fn in getattr(_m, "TOPLEVEL", {}).items():
        globals().setdefault(_name, _fn)
for _name in _FUNCTIONS:
    if hasattr(Tensor, _name) and _name not in globals():
        globals()[_name] = _function(_name)


from .opdefs.extra import einsum, tensordot  # noqa: E402,F401  (no Tensor method in torch)
from . import linalg  # noqa: E402,F401
from . import fft  # noqa: E402,F401  (torch.fft)
from .spectral import stft, istft  # noqa: E402,F401  (and Tensor.stft / istft)
from ._toplevel import (  # noqa: E402,F401
    finfo, iinfo, broadcast_shapes, broadcast_tensors, hstack, vstack, dstack, column_stack,
    atleast_1d, atleast_2d, atleast_3d, randperm, meshgrid, logspace, cuda, is_floating_point,
    can_cast,
)
from . import _toplevel as _tl  # noqa: E402
from .autograd.anomaly import (  # noqa: E402,F401
    is_anomaly_enabled, is_anomaly_check_nan_enabled, set_anomaly_enabled,
)

for _name, _fn in getattr(_tl, "TOPLEVEL", {}).items():    # more torch.* names, by module
    globals().setdefault(_name, _fn)
from . import func  # noqa: E402,F401  (torch.func; torch.vmap, torch.compile... are its)
from . import distributions  # noqa: E402,F401  (torch.distributions)
from . import jit, compiler  # noqa: E402,F401  (eager: see jit.py)
from . import amp  # noqa: E402,F401  (torch.amp: autocast, GradScaler)
from .amp import autocast, get_autocast_dtype, set_autocast_dtype  # noqa: E402,F401
from modes.autocast import (  # noqa: E402,F401
    is_autocast_enabled, set_autocast_enabled, is_autocast_cache_enabled,
    set_autocast_cache_enabled, clear_autocast_cache, autocast_increment_nesting,
    autocast_decrement_nesting)
from . import cpu  # noqa: E402,F401  (torch.cpu)
from . import profiler  # noqa: E402,F401  (torch.profiler)
from . import overrides, _C  # noqa: E402,F401  (torch.overrides, torch._C's switches)
from . import types, multiprocessing  # noqa: E402,F401  (torch.types, torch.multiprocessing)
cuda.amp = amp.deprecated_amp("cuda")
from .storage import UntypedStorage, TypedStorage  # noqa: E402,F401  (and Tensor.storage())
from .surface_more import *  # noqa: E402,F401,F403  (more torch.* names: see there)
from .nn.utils._weight_norm_ops import (  # noqa: E402,F401
    _weight_norm_interface, norm_except_dim, weight_norm as _weight_norm)
for _name, _fn in getattr(func, "TOPLEVEL", {}).items():
    globals().setdefault(_name, _fn)


def rsub(input, other, *, alpha=1):
    """``torch.rsub``: ``other - alpha * input``."""
    if isinstance(other, Tensor):
        return _ops.pointwise.rsub_tensor(input, other, alpha=alpha)
    return _ops.pointwise.rsub_scalar(input, other, alpha)


def matmul(input, other, *, out=None):
    """``torch.matmul``: the op itself (its argument checks count positions from ``input``)."""
    if out is not None:
        return _function("matmul")(input, other, out=out)
    return _ops.linalg.matmul(input, other)


def where(condition, input=None, other=None, *, out=None):
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    from .opdefs.pointwise import where as _w
    if out is not None:
        return _out_mod.call_with_out("where", _w, (condition, input, other), {}, out)
    return _w(condition, input, other)


def _fill_formula_namespace():
    """Derivative formulas see the public functions by name. Python's builtins keep their
    meaning there (``all``, ``any``, ``min``, ``max``, ``abs``, ``sum``...): a formula wanting
    the tensor version calls the method (``t.abs()``)."""
    import builtins
    import math
    g = globals()
    for k, v in g.items():
        if not k.startswith("_") and callable(v) and k not in _FNS and not hasattr(builtins, k):
            _FNS[k] = v
    _FNS.setdefault("math", math)


_fill_formula_namespace()
