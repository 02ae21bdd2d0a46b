"""``out=``: how a function writes its result into a tensor the caller gives it.

PyTorch's out= contract, which every function here follows:

1. In grad mode, an argument (or ``out``) that requires grad is refused: out= results take no
   history ("functions with out=... arguments don't support automatic differentiation").
2. The result's dtype is checked against ``out``'s by the op family's rule (below), before
   anything is written.
3. ``out`` of another shape is resized (Note [Resizing out]), with PyTorch's deprecation
   warning when it held elements; a correctly shaped ``out`` keeps its strides.
4. The result is written into ``out``, whose version goes up once, and ``out`` is returned
   (a ``(values, indices)`` pair of outs comes back as ``torch.return_types.<name>_out``).

Ops declared with an aten ``.out`` overload (the pointwise ones, the factories) run their own
out= kernel; the rest of the functions that take ``out=`` in PyTorch go through
:func:`call_with_out`, which runs the functional op and writes its result by the rules above.

Note [Resizing out]
    PyTorch resizes ``out`` in place (``resize_output``). Here a tensor holds a numpy array,
    so a resize gives it a new array: the first elements of its own memory when it is
    contiguous and large enough (a view then still aliases its base, as in PyTorch), else
    fresh memory. A view that would need more memory than it spans is refused with a hint:
    PyTorch would grow it inside its base's storage, which a numpy view cannot do.
"""

from __future__ import annotations

import math
import warnings
from collections import namedtuple

import numpy as np

from . import _dtype as D
from ._tensor import Tensor

__all__ = ["OutShapeMismatch", "resize_output", "call_with_out", "POLICIES"]


class OutShapeMismatch(RuntimeError):
    """Raised by an array-level out= kernel whose ``out`` has another shape than the result;
    the Tensor-level caller resizes ``out`` (Note [Resizing out]) and runs the kernel again.
    Nothing has been written when it is raised."""

    def __init__(self, message, shape):
        super().__init__(message)
        self.shape = tuple(shape)


def _dims(shape):
    return f"[{', '.join(map(str, shape))}]"


def resize_output(out, shape, stacklevel=3, warn=True, order="C"):
    """Give ``out`` the shape ``shape`` (Note [Resizing out]); no version bump (the write that
    follows bumps it). ``warn``: PyTorch's deprecation warning when ``out`` held elements
    (its factories resize without it). Returns whether it changed."""
    shape = tuple(int(s) for s in shape)
    d = out._data
    if tuple(d.shape) == shape:
        return False
    if d.size and warn:
        warnings.warn(
            f"An output with one or more elements was resized since it had shape "
            f"{_dims(d.shape)}, which does not match the required output shape "
            f"{_dims(shape)}. This behavior is deprecated, and in a future PyTorch release "
            "outputs will not be resized unless they have zero elements. You can explicitly "
            "reuse an out tensor t by resizing it, inplace, to zero elements with "
            "t.resize_(0).", UserWarning, stacklevel=stacklevel + 1)
    n = math.prod(shape)
    if d.flags.c_contiguous and n <= d.size:
        out._data = d.reshape(-1)[:n].reshape(shape, order=order)
    elif out._base is not None:
        raise RuntimeError(
            f"out= tensor of shape {_dims(d.shape)} is a view that would have to grow to "
            f"{_dims(shape)} inside its base; tensorkeys cannot grow a view. Hint: pass "
            "out=torch.empty(0) (or a tensor of the result's shape) instead.")
    else:
        out._data = np.empty(shape, d.dtype, order=order)
    return True


# -- dtype rules --------------------------------------------------------------------------
_CXX = {"float16": "c10::Half", "float32": "float", "float64": "double", "int8": "signed char",
        "int16": "short int", "int32": "int", "int64": "long int", "uint8": "unsigned char",
        "bool": "bool"}


def _cxx(dt):
    return _CXX[np.dtype(dt.np).name]


def _expected(name, r, o):
    return f"Expected out tensor to have dtype {_cxx(r)}, but got {_cxx(o)} instead"


def _cast_rule(name, r, o):
    if r.category > o.category:
        return f"result type {r.short} can't be cast to the desired output type {o.short}"
    return None


def _exact(message):
    def rule(name, r, o):
        return message.format(r=r.short, o=o.short, rc=_cxx(r), oc=_cxx(o), name=name)
    return rule


# A rule maps (function name, result dtype, out dtype) to the error message for a mismatch,
# or None when the result may be written (cast) into ``out``. "reduce" ops compute in
# ``out``'s dtype (they take ``dtype=``), as PyTorch's do.
_SAME = "same"
RULES = {
    "cast": _cast_rule,
    "expected": _expected,
    "amax": _exact("Expected the dtype for input and out to match, but got {r} for input's "
                   "dtype and {o} for out's dtype."),
    "dot": _exact("result dtype {o} does not match input dtype {r}"),
    "index_select": _exact("index_select(): self and result must have the same scalar type"),
    "masked_select": _exact("masked_select(): self and result must have the same scalar "
                            "type"),
    "take": _exact("take(): self and out expected to have the same dtype, but got self.dtype "
                   "= {r} and out.dtype = {o}"),
    "where": _exact("Expected out type to be {r} but got {o}"),
    "tensordot": _exact("tensordot: Expected the output tensor to have dtype {r}, but got an "
                        "output tensor with dtype {o}"),
    "nonzero": _exact("nonzero: Expected out tensor to have scalar type Long but got scalar "
                      "type{o}"),
    "bool_result": _exact("{name} only supports bool tensor for result, got: {o}"),
    "indices": _exact("Expected out tensor to have dtype long int, but got {oc} instead"),
}


def _logsumexp_rule(name, r, o):
    if o.category < D.float32.category:
        return f"logsumexp(): Expected floating point type for result tensor, but got: {o.short}"
    return None


def _diag_rule(name, r, o):
    if r.category > o.category:
        return f"diag: result type {r.short} can't be cast to the desired out= type {o.short}"
    return _expected(name, r, o)


def _max_full_rule(name, r, o):
    if r.category > o.category or o is D.bool_ and r is not D.bool_:
        return ("Expected canCast( typeMetaToScalarType(self.dtype()), typeMetaToScalarType("
                "out.dtype())) to be true, but got false.  (Could this error message be "
                "improved?  If so, please report an enhancement request to PyTorch.)")
    return None


RULES["logsumexp"] = _logsumexp_rule
RULES["max_full"] = _max_full_rule
RULES["diag"] = _diag_rule

# function -> (how the dtype is chosen: "reduce" passes dtype=out.dtype, "upcast" computes
# in a wider floating ``out``'s dtype, "result" keeps the op's own; rule name for the values;
# rule name for indices of a (values, indices) pair)
POLICIES = {
    **{n: ("reduce", "cast", None) for n in ("sum", "prod", "cumsum", "cumprod", "nansum")},
    **{n: ("upcast", "cast", None) for n in ("mean", "nanmean", "var", "std")},
    **{n: ("result", "cast", None) for n in (
        "outer", "diff", "kron", "lerp", "fmax", "fmin")},
    **{n: ("result", "expected", None) for n in (
        "norm", "mm", "bmm", "mv", "addmm", "gather", "tril", "triu", "softmax",
        "log_softmax", "baddbmm", "addmv", "matmul")},
    "amax": ("result", "amax", None), "amin": ("result", "amax", None),
    "logsumexp": ("upcast", "logsumexp", None), "dot": ("result", "dot", None),
    "index_select": ("result", "index_select", None),
    "masked_select": ("result", "masked_select", None), "take": ("result", "take", None),
    "tensordot": ("result", "tensordot", None), "nonzero": ("result", "nonzero", None),
    "all": ("result", "bool_result", None), "any": ("result", "bool_result", None),
    "argmax": ("result", "indices", None), "argmin": ("result", "indices", None),
    "diag": ("result", "diag", None), "where": ("result", "where", None),
    **{n: ("result", "expected", "indices") for n in ("sort", "topk", "max", "min")},
}

_OUT_TYPES = {}


def _out_type(name):
    """``torch.return_types.<name>_out``: the (values, indices) pair an out= call returns."""
    cls = _OUT_TYPES.get(name)
    if cls is None:
        cls = namedtuple(f"{name}_out", ["values", "indices"])
        cls.__module__ = "torch.return_types"

        def __repr__(self, _n=f"{name}_out"):
            return (f"torch.return_types.{_n}(\nvalues={self.values!r},\n"
                    f"indices={self.indices!r})")
        cls.__repr__ = __repr__
        _OUT_TYPES[name] = cls
    return cls


def _tensors_in(values):
    for v in values:
        if isinstance(v, Tensor):
            yield v
        elif isinstance(v, (list, tuple)):
            yield from (x for x in v if isinstance(x, Tensor))


def refuse_grad(name, args, outs):
    """Rule 1: no out= call records history."""
    from modes.grad import is_grad_enabled
    from ._defop import _requires_grad
    if is_grad_enabled() and any(_requires_grad(t) for t in _tensors_in(list(args) + outs)):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support "
                           "automatic differentiation, but one of the arguments requires grad.")


def _refuse_inference(outs):
    from modes import is_inference_mode_enabled
    for o in outs:
        if o._vc is None and not is_inference_mode_enabled():
            from .errors import inplace_inference_error
            raise inplace_inference_error(o)


def call_with_out(name, fn, args, kwargs, out):
    """``torch.<name>(*args, out=out, **kwargs)`` for a function without its own out= kernel:
    ``fn(*args, **kwargs)`` computes the result, which is written by the module's rules."""
    how, rule, index_rule = POLICIES[name]
    # max/min without a dim reduce to one tensor: one out, checked like the values
    pair = index_rule is not None and not (
        name in ("max", "min") and len(args) < 2 and "dim" not in kwargs)
    if pair:
        if not (isinstance(out, (tuple, list)) and len(out) == 2
                and all(isinstance(o, Tensor) for o in out)):
            raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors, not "
                            f"{type(out).__name__}")
        outs = list(out)
    else:
        if not isinstance(out, Tensor):
            raise TypeError(f"{name}(): argument 'out' (position {len(args) + 1}) must be "
                            f"Tensor, not {type(out).__name__}")
        outs = [out]
    refuse_grad(name, args, outs)
    o0 = outs[0].dtype
    if how == "reduce" and kwargs.get("dtype") is None:
        if o0 is D.bool_ and name in ("cumsum", "cumprod"):
            raise NotImplementedError(f'"{name}_out_cpu" not implemented for \'Bool\'')
        kwargs = dict(kwargs, dtype=o0)
    elif how == "upcast" and isinstance(args[0], Tensor):
        i0 = args[0].dtype
        if i0.is_floating_point and o0.is_floating_point and o0.itemsize > i0.itemsize:
            args = (args[0].to(o0),) + tuple(args[1:])
    if name in ("max", "min") and not pair:
        rule = "max_full"
    result = fn(*args, **kwargs)
    results = list(result) if pair else [result]
    if len(results) != len(outs):
        raise RuntimeError(f"{name}(): expected {len(results)} out tensors, got {len(outs)}")
    for k, (o, r) in enumerate(zip(outs, results)):
        check = RULES[index_rule if pair and k == 1 else rule]
        if r.dtype is not o.dtype:
            msg = check(name, r.dtype, o.dtype)
            if msg is not None:
                raise RuntimeError(msg)
    _refuse_inference(outs)
    for o, r in zip(outs, results):
        # (nonzero lays its resized out column by column, as PyTorch does)
        resize_output(o, r.shape, stacklevel=4, order="F" if name == "nonzero" else "C")
    from modes.grad import no_grad
    with no_grad():
        for o, r in zip(outs, results):
            o.copy_(r)
    return _out_type(name)(*outs) if pair else outs[0]
