"""PyTorch's alternative names and small conveniences, defined by what they stand for.

Each entry is PyTorch's own definition in terms of another op (``multiply`` is ``mul``,
``movedim`` a permutation, ``addcmul`` ``self + value * t1 * t2`` evaluated left to right
as PyTorch's kernel does), so values, dtypes and views follow from those ops.
"""

from __future__ import annotations

import math

import numpy as np

from .._defop import OPS, defop, method
from .._tensor import Tensor
from ._fused import fma
from ._util import (as_operand, check_inplace_result, contiguous_layout, keep_layout,
                    not_implemented, np_result_type, scalar_as)
from .pointwise import _broadcast, _inplace, _out, _route_out

_T = Tensor


def _alias(new, old):
    method(new, getattr(_T, old))


for _new, _old in (("multiply", "mul"), ("multiply_", "mul_"), ("subtract", "sub"),
                   ("subtract_", "sub_"), ("divide_", "div_"), ("true_divide_", "div_"),
                   ("absolute_", "abs_"), ("negative_", "neg_"), ("arccos", "acos"),
                   ("arcsin", "asin"), ("arctan", "atan"), ("arccos_", "acos_"),
                   ("arcsin_", "asin_"), ("arctan_", "atan_"), ("fix", "trunc"),
                   ("fix_", "trunc_"), ("greater_", "gt_"), ("less_", "lt_"),
                   ("greater_equal_", "ge_"), ("less_equal_", "le_"), ("not_equal_", "ne_"),
                   ("ndimension", "dim")):
    if hasattr(_T, _old) and not hasattr(_T, _new):
        _alias(_new, _old)

# torch.<alias>(..., out=o) runs the out= overload of the op the alias stands for
_OUT_ALIASES = {"multiply": "mul", "subtract": "sub", "divide": "div", "true_divide": "div",
                "absolute": "abs", "negative": "neg", "arccos": "acos", "arcsin": "asin",
                "arctan": "atan", "arctan2": "atan2", "arccosh": "acosh", "arcsinh": "asinh",
                "arctanh": "atanh", "fix": "trunc", "greater": "gt", "less": "lt",
                "greater_equal": "ge", "less_equal": "le", "not_equal": "ne", "clip": "clamp"}
for _new, _old in _OUT_ALIASES.items():
    if hasattr(_T, _old) and not hasattr(_T, _new):
        _alias(_new, _old)
    if f"aten::{_old}.out" in OPS and f"aten::{_new}.out" not in OPS:
        _route_out(_new, OPS[f"aten::{_old}.out"].call)
# the function forms of these names (``torch.arccos(t)``), picked up by tensor/__init__
FUNCTIONS = sorted(_OUT_ALIASES)


def _moveaxis(self, source, destination):
    nd = self.dim()
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} "
                           "dims)")
    src = [s % max(nd, 1) if -nd <= s < max(nd, 1) else _bad_dim(s, nd) for s in src]
    dst = [d % max(nd, 1) if -nd <= d < max(nd, 1) else _bad_dim(d, nd) for d in dst]
    order = [None] * nd
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(i for i in range(nd) if i not in src)
    order = [o if o is not None else next(rest) for o in order]
    return self.permute(*order)


def _bad_dim(d, nd):
    n = max(nd, 1)
    raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but "
                     f"got {d})")


method("movedim", _moveaxis)
method("moveaxis", _moveaxis)
method("ravel", lambda self: self.contiguous().view(-1))   # (a view of the copy, as torch)
method("broadcast_to", lambda self, size: self.expand(size))
method("flipud", lambda self: self.flip(0))
method("fliplr", lambda self: self.flip(1))


def _tile(self, *dims):
    if not dims:
        raise TypeError('tile() missing 1 required positional arguments: "dims"')
    dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (list, tuple)) else dims
    if len(dims) < self.dim():
        dims = (1,) * (self.dim() - len(dims)) + tuple(dims)
    return self.repeat(dims)


method("tile", _tile)


def _unflatten(self, dim, sizes):
    """Split dim ``dim`` into ``sizes`` (one of them may be -1): always a view. The sizes
    must multiply up to that dim's size; errors are worded as PyTorch's."""
    if not isinstance(sizes, (list, tuple)):
        raise _sizes_type_error(sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    shape = self._data.shape
    nd = len(shape)
    n = nd or 1
    d = dim % n if -n <= dim < n else _bad_dim(dim, nd)
    if nd:
        try:
            r = self.view(*shape[:d], *sizes, *shape[d + 1:])
            # (the sizes multiply up to dim d's size unless an empty tensor hides it)
            if self._data.size or math.prod(r.shape[d:d + len(sizes)]) == shape[d]:
                return r
        except RuntimeError:
            pass
        except TypeError:
            raise _sizes_type_error(sizes) from None
    return _unflatten_slow(self, shape, d, sizes)


def _sizes_type_error(sizes):
    from .factories import size_type_error
    return size_type_error("unflatten", (sizes,), "sizes", pos=2, seq_only=True) or \
        TypeError(f"unflatten(): argument 'sizes' (position 2) must be tuple of ints, not "
                  f"{type(sizes).__name__}")


def _unflatten_slow(self, shape, d, sizes):
    """unflatten when the quick view did not do: the sizes inferred from dim ``d`` alone
    (the quick view infers -1 from the whole tensor, which an empty one cannot tell), or
    PyTorch's error."""
    from .views import _fmt, _infer_size
    if not shape:
        raise RuntimeError("unflatten got an unexpected error:\nDimension specified as 0 but "
                           "tensor has no dimensions")
    try:
        inferred = _infer_size(sizes, shape[d])
    except RuntimeError as e:
        if not str(e).startswith("shape '["):
            raise RuntimeError(f"unflatten got an unexpected error:\n{e}") from None
        raise RuntimeError(f"unflatten: Provided sizes {_fmt(sizes)} don't multiply up to the "
                           f"size of dim {d} ({shape[d]}) in the input tensor") from None
    return self.view(*shape[:d], *inferred, *shape[d + 1:])


method("unflatten", _unflatten)


_ADDCDIV_INT = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
    "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can "
    "be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
    "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
    "addcdiv behavior is just the latter implementation: (input + value * tensor1 / "
    "tensor2), for all dtypes.")


def _addc_kernel(name, divide, called=None):
    """``self + value * tensor1 * tensor2`` (or ``/ tensor2``), evaluated left to right in
    the promoted dtype (half precision in float32, rounded once), as PyTorch's kernels do;
    ``value`` is cast to that dtype (an integer result truncates a float ``value``).
    ``called``: the name argument errors give (the in-place method's)."""
    def kernel(a, t1, t2, value):
        for pos, (arg, x) in enumerate((("tensor1", t1), ("tensor2", t2)), start=1):
            if type(x) is not np.ndarray:
                e = TypeError(f"{called or name}(): argument '{arg}' (position {pos}) must be Tensor, "
                              f"not {type(x).__name__}")
                e.method_form = True        # (torch.addcmul counts one further)
                raise e
        if divide and t1.dtype.kind in "biu" and t2.dtype.kind in "biu":
            raise RuntimeError(_ADDCDIV_INT)
        dt = np_result_type(a, t1, t2)
        if dt.kind == "b":
            raise not_implemented(f"{name}_cpu_out", dt)
        _broadcast(a, t1, t2)
        if isinstance(value, complex) and dt.kind != "c":
            ctype = {"f": "double" if dt == np.float64 else "float", "u": "uint8_t",
                     "i": "int" if dt == np.int32 else f"int{dt.itemsize * 8}_t"}[dt.kind]
            raise RuntimeError(f"value cannot be converted to type {ctype} without overflow")
        op = np.dtype(np.float32) if dt == np.float16 else dt
        A, B, C = (as_operand(x, dt).astype(op, copy=False) for x in (a, t1, t2))
        # (the value in the computing dtype: float32 for half, as PyTorch's opmath)
        v = op.type(value) if op.kind == "f" else scalar_as(value, dt)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if divide or op.kind != "f":
                r = A + (v * B / C if divide else v * B * C)
            else:           # PyTorch fuses the final multiply-add of addcmul (one rounding)
                r = fma(v * B, C, A)
        return np.asarray(r, dtype=dt)
    return kernel


def _addc_pre(self, t1, t2, value):
    if type(t1) is np.ndarray and type(t2) is np.ndarray:
        check_inplace_result(self, _broadcast(self, t1, t2), np_result_type(self, t1, t2))


# (Note [Complex gradients are conjugated], _util.py)
_ADDCMUL_GRAD = {"self": "grad", "tensor1": "grad * conj_if_complex(tensor2 * value)",
                 "tensor2": "grad * conj_if_complex(tensor1 * value)"}
_ADDCDIV_GRAD = {"self": "grad", "tensor1": "grad * conj_if_complex(value / tensor2)",
                 "tensor2": "-grad * conj_if_complex(value) * conj_if_complex(tensor1) / "
                            "conj_if_complex(tensor2 * tensor2)"}
_ADDC_ARGS = "Tensor tensor1, Tensor tensor2, *, Scalar value=1"
addcmul = defop(f"addcmul(Tensor self, {_ADDC_ARGS}) -> Tensor",
                keep_layout(_addc_kernel("addcmul", False), 0, 1, 2), grad=_ADDCMUL_GRAD)
addcmul_ = defop(f"addcmul_(Tensor(a!) self, {_ADDC_ARGS}) -> Tensor(a!)",
                 _inplace(_addc_kernel("addcmul", False, "addcmul_"), pre=_addc_pre), grad=_ADDCMUL_GRAD,
                 node_name="AddcmulBackward0")
addcmul_out = defop(f"addcmul.out(Tensor self, {_ADDC_ARGS}, Tensor(a!) out) -> Tensor(a!)",
                    _out(_addc_kernel("addcmul", False)))
addcdiv = defop(f"addcdiv(Tensor self, {_ADDC_ARGS}) -> Tensor",
                keep_layout(_addc_kernel("addcdiv", True), 0, 1, 2), grad=_ADDCDIV_GRAD)
addcdiv_ = defop(f"addcdiv_(Tensor(a!) self, {_ADDC_ARGS}) -> Tensor(a!)",
                 _inplace(_addc_kernel("addcdiv", True, "addcdiv_"), pre=_addc_pre), grad=_ADDCDIV_GRAD,
                 node_name="AddcdivBackward0")
addcdiv_out = defop(f"addcdiv.out(Tensor self, {_ADDC_ARGS}, Tensor(a!) out) -> Tensor(a!)",
                    _out(_addc_kernel("addcdiv", True)))
for _n, _f, _fi in (("addcmul", addcmul, addcmul_), ("addcdiv", addcdiv, addcdiv_)):
    method(_n, _f)
    method(_n + "_", _fi)

# facts about a tensor
_T.is_cpu = property(lambda self: True)
_T.nbytes = property(lambda self: self._data.nbytes)
_T.itemsize = property(lambda self: self._data.itemsize)
method("get_device", lambda self: -1)
method("is_signed", lambda self: self.dtype.is_signed if hasattr(self.dtype, "is_signed")
       else self._data.dtype.kind in "if")
method("is_nonzero", lambda self: _is_nonzero(self))


def _is_nonzero(self):
    n = self.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(self.item())


method("count_nonzero", lambda self, dim=None: (self != 0).sum(dim) if dim is not None
       else (self != 0).sum())


# -- a second batch: composites as PyTorch composes them, and a few numpy kernels ------------
from .._defop import defop  # noqa: E402
from .casts import writable_dest  # noqa: E402


def _diff(self, n=1, dim=-1, prepend=None, append=None):
    from .shape import cat
    if self.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    x = self
    if prepend is not None or append is not None:
        x = cat([t for t in (prepend, x, append) if t is not None], dim)
    for _ in range(n):
        m = x.shape[dim]
        if m == 0:
            break
        x = x.narrow(dim, 1, m - 1) - x.narrow(dim, 0, m - 1)
    return x


method("diff", _diff)


def _take_along_dim(self, indices, dim=None):
    if dim is None:
        return self.reshape(-1).gather(0, indices.reshape(-1))
    nd = self.dim()
    d = dim % nd if -nd <= dim < nd else _bad_dim(dim, nd)
    shape_self = list(self.shape)
    shape_idx = list(indices.shape)
    shape_self[d] = shape_idx[d] = 1
    b = np.broadcast_shapes(tuple(shape_self), tuple(shape_idx))
    s_shape = list(b)
    s_shape[d] = self.shape[d]
    i_shape = list(b)
    i_shape[d] = indices.shape[d]
    return self.expand(*s_shape).gather(d, indices.expand(*i_shape))


method("take_along_dim", _take_along_dim)
method("split_with_sizes", lambda self, split_sizes, dim=0: self.split(list(split_sizes), dim))


def _tensor_split(self, indices_or_sections, dim=0):
    n = self.shape[dim]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        q, r = divmod(n, k)
        bounds, start = [], 0
        for j in range(k):
            start += q + (1 if j < r else 0)
            bounds.append(start)
        bounds = bounds[:-1]
    else:
        bounds = list(indices_or_sections)
    out, prev = [], 0
    for b in bounds + [n]:
        b = max(min(b, n), prev) if b >= 0 else max(n + b, prev)
        out.append(self.narrow(dim, prev, b - prev) if b > prev else self.narrow(dim, prev, 0))
        prev = b
    return tuple(out)


method("tensor_split", _tensor_split)


def _nansum_np(a, dim, keepdim, dtype):
    from .reduction import _axes, _sum_dtype
    axis = _axes(dim, a.ndim, in_order=True) if dim is not None else None
    if a.dtype.kind in "fc":
        a = np.where(a != a, a.dtype.type(0), a)
    # (np.add.reduce, not np.nansum: Note [Floating-point warnings stay inside])
    return np.asarray(np.add.reduce(a, axis, _sum_dtype(a, dtype), keepdims=keepdim))


nansum = defop("nansum(Tensor self, int[1]? dim=None, bool keepdim=False, *, "
               "ScalarType? dtype=None) -> Tensor", contiguous_layout(_nansum_np),
               grad={"self": "expand_reduced(grad, self_shape, dim, keepdim) * "
                             "self.isnan().logical_not()"})
method("nansum", lambda self, dim=None, keepdim=False, *, dtype=None:
       nansum(self, dim, keepdim, dtype=dtype))


def _nanmean(self, dim=None, keepdim=False, *, dtype=None):
    """PyTorch's composite: ``nansum(self) / (count of non-NaN elements)``."""
    if not self.dtype.is_floating_point:
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex "
                           f"dtype but got {self.dtype.short}")
    count = self.isnan().logical_not().sum(dim, keepdim) if dim is not None else \
        self.isnan().logical_not().sum()
    return nansum(self, dim, keepdim, dtype=dtype).div(count)


method("nanmean", _nanmean)

def _bool_classifier(name, np_fn):
    """``isposinf`` / ``isneginf``: a bool result, and an out= that must be bool too."""
    def out_kernel(a, out):
        if out.dtype != np.bool_:
            raise RuntimeError(f"{name} does not support non-boolean outputs.")
        if out.shape != a.shape:
            from .pointwise import _write_out
            _write_out(out, np.zeros(a.shape, np.bool_))
        np.copyto(out, np_fn(a))

    f = defop(f"{name}(Tensor self) -> Tensor", lambda a: np.asarray(np_fn(a)))
    defop(f"{name}.out(Tensor self, *, Tensor(a!) out) -> Tensor(a!)", out_kernel)
    method(name, f)
    return f


def _classify(np_fn):
    """``np_fn`` on floats; integers and bools are never infinite nor negative zero."""
    return lambda a: np_fn(a) if a.dtype.kind == "f" else (
        a < 0 if np_fn is np.signbit and a.dtype.kind == "i" else np.zeros_like(a, np.bool_))


isposinf = _bool_classifier("isposinf", _classify(np.isposinf))
isneginf = _bool_classifier("isneginf", _classify(np.isneginf))
_signbit = _bool_classifier("signbit", _classify(np.signbit))


def _fmax_fmin(np_fn):
    def kernel(a, b):
        from .pointwise import _broadcast, as_operand, np_result_type
        dt = np_result_type(a, b)
        _broadcast(a, b)
        return np.asarray(np_fn(as_operand(a, dt), as_operand(b, dt)))
    return kernel


fmax = defop("fmax(Tensor self, Tensor other) -> Tensor", keep_layout(_fmax_fmin(np.fmax)),
             grad={"self": "grad.masked_fill(self < other, 0.0).masked_fill(self != self, 0.0)",
                   "other": "grad.masked_fill(self >= other, 0.0).masked_fill(other != other, 0.0)"})
fmin = defop("fmin(Tensor self, Tensor other) -> Tensor", keep_layout(_fmax_fmin(np.fmin)),
             grad={"self": "grad.masked_fill(self > other, 0.0).masked_fill(self != self, 0.0)",
                   "other": "grad.masked_fill(self <= other, 0.0).masked_fill(other != other, 0.0)"})
method("fmax", fmax)
method("fmin", fmin)


def _unique_np(a, sorted_, return_inverse, return_counts):
    vals, inv, cnt = np.unique(a.reshape(-1), return_inverse=True, return_counts=True)
    # (PyTorch returns empty tensors for the inverse / counts not asked for)
    none = np.zeros(0, np.int64)
    return (vals, np.asarray(inv.reshape(a.shape), np.int64) if return_inverse else none,
            np.asarray(cnt, np.int64) if return_counts else none)


def _unique2_no_derivative(grads):
    raise NotImplementedError("the derivative for '_unique2' is not implemented.")


# PyTorch records Unique2Backward0 on the values (derivatives.yaml: not_implemented, the
# inverse indices and counts not differentiable): backward through it raises
_unique2 = defop("_unique2(Tensor self, bool sorted=True, bool return_inverse=False, "
                 "bool return_counts=False) -> (Tensor, Tensor, Tensor)", _unique_np,
                 grad={"self": _unique2_no_derivative}, node_name="Unique2Backward0",
                 output_differentiability=[True, False, False])


def _unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
    if dim is not None:
        raise NotImplementedError("unique(dim=...) is not supported by tensorkeys")
    vals, inv, cnt = _unique2(self, sorted, return_inverse, return_counts)
    out = (vals,) + ((inv,) if return_inverse else ()) + ((cnt,) if return_counts else ())
    return out[0] if len(out) == 1 else out


method("unique", _unique)


def _bernoulli_np(a, p, generator):
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
    dst = writable_dest(a, False)
    from .factories import default_generator
    from .. import _random as R
    g = generator or default_generator()
    R.write_in_order(dst, R.bernoulli_scalar(g, a.size, p))


# (PyTorch records BernoulliBackward2, whose gradient is zero: the written values do not depend
# on the old ones, and a written view rebases its base's history like any in-place op)
bernoulli_ = defop("bernoulli_.float(Tensor(a!) self, float p=0.5, *, Generator? generator=None)"
                   " -> Tensor(a!)", _bernoulli_np, grad={"self": "zeros_like(grad)"},
                   node_name="BernoulliBackward2")


def _bernoulli_tensor_np(a, p, generator):
    """``bernoulli_(p)`` for a tensor ``p`` broadcast to ``a``: one float uniform below
    the (float) probability per element, in memory order, as PyTorch's kernel."""
    from .views import _expand_np
    probs = np.asarray(_expand_np(p, a.shape, False))
    if probs.size and not ((probs >= 0) & (probs <= 1)).all():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could "
                           "this error message be improved?  If so, please report an "
                           "enhancement request to PyTorch.)")
    dst = writable_dest(a, False)
    from .factories import default_generator
    from .. import _random as R
    g = generator or default_generator()
    # (the probabilities visited in the order the written tensor's elements are)
    axes = R.iteration_axes(dst)
    drawn = R.bernoulli_tensor(g, np.ascontiguousarray(np.broadcast_to(probs, a.shape)
                                                       .transpose(axes)))
    dst.transpose(axes)[...] = drawn


bernoulli_tensor_ = defop("bernoulli_.Tensor(Tensor(a!) self, Tensor p, *, Generator? "
                          "generator=None) -> Tensor(a!)", _bernoulli_tensor_np,
                          grad={"self": "zeros_like(grad)", "p": "zeros_like(p)"},
                          node_name="BernoulliBackward1")


def _bernoulli_inplace(self, p=0.5, *, generator=None):
    if isinstance(p, Tensor):
        return bernoulli_tensor_(self, p, generator=generator)
    return bernoulli_(self, float(p), generator=generator)


method("bernoulli_", _bernoulli_inplace)


def _bernoulli(self, p=None, *, generator=None):
    """``bernoulli()``: 1 with the probability in each element (``p`` given: that one)."""
    from .factories import default_generator, empty_like
    if p is not None:
        return bernoulli_(empty_like(self), float(p), generator=generator)
    probs = self.detach()
    if not ((probs >= 0) & (probs <= 1)).all():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could "
                           "this error message be improved?  If so, please report an "
                           "enhancement request to PyTorch.)")
    g = generator or default_generator()
    from .._tensor import wrap
    from .. import _random as R
    out = np.empty(probs._data.shape, self._data.dtype)
    R.write_in_order(out, R.bernoulli_tensor(g, probs._data).reshape(-1))
    return wrap(out)


method("bernoulli", _bernoulli)
