"""Ops that derivative formulas use: each builds a gradient shaped like an op's input and is
itself differentiable (so higher-order gradients work)."""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .. import _tensor as T
from .._defop import defop, method, FORMULA_NS
from ._util import column_major_layout, conj_if_complex, dims_arg, expanded, wrap_dim


_add_reduce = np.add.reduce


def _sum_to_np(a, size):
    size = tuple(size)
    if a.shape == size:
        return a.copy()
    lead = a.ndim - len(size)
    if lead < 0:
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size "
                           f"{{{list(a.shape)}}}.")
    kept = tuple(lead + i for i, s in enumerate(size) if s == 1 and a.shape[lead + i] != 1)
    # np.add.reduce is what ndarray.sum runs, without its Python-level wrapper
    if not kept:            # only leading dims go (a bias's gradient): a fresh array
        r = _add_reduce(a, axis=tuple(range(lead))) if lead else a
    else:
        r = _add_reduce(a, axis=tuple(range(lead)) + kept, keepdims=True)
        if lead:
            r = r.reshape(r.shape[lead:])
    if r.shape != size:
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size "
                           f"{{{list(a.shape)}}}.")
    return np.asarray(r, dtype=a.dtype)


def _sum_to_size(self, size):
    """PyTorch's composite (``at::sum_to``): a full ``sum()`` to a 0-d size; else one
    ``sum(dims, keepdim=True)`` over the leading dims and those ``size`` has as 1, then a
    ``view`` dropping the leading ones; ``self`` itself when nothing is reduced. So the graph
    is PyTorch's (SumBackward0 / SumBackward1 / ViewBackward0) and an integer or bool input
    sums to int64, as ``sum`` does."""
    size = tuple(size)
    shape = tuple(self.shape)
    lead = len(shape) - len(size)
    if lead < 0 or any(n != 1 and n != shape[lead + i] for i, n in enumerate(size)):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size "
                           f"{{{list(shape)}}}.")
    if not size:
        return self.sum()
    dims = list(range(lead)) + [lead + i for i, n in enumerate(size)
                                if n == 1 and shape[lead + i] != 1]
    r = self.sum(dims, keepdim=True) if dims else self
    return r.view(size) if lead > 0 else r


sum_to_size = defop("sum_to_size(Tensor self, SymInt[] size) -> Tensor", composite=_sum_to_size)
method("sum_to_size", lambda self, *size: sum_to_size(
    self, tuple(size[0]) if len(size) == 1 and isinstance(size[0], (list, tuple)) else size))


def _select_bw_np(grad, shape, dim, index):
    z = np.zeros(tuple(shape), grad.dtype)
    idx = [slice(None)] * len(shape)
    d = wrap_dim(dim, len(shape))
    idx[d] = index % shape[d]
    z[tuple(idx)] = grad
    return z


select_backward = defop("select_backward(Tensor grad_output, SymInt[] input_sizes, int dim, "
                        "SymInt index) -> Tensor", _select_bw_np,
                        grad={"grad_output": "grad.select(dim, index)"})


def _slice_bw_np(grad, shape, dim, start, end, step):
    z = np.zeros(tuple(shape), grad.dtype)
    idx = [slice(None)] * len(shape)
    idx[wrap_dim(dim, len(shape))] = slice(start, end, step)
    z[tuple(idx)] = grad
    return z


slice_backward = defop("slice_backward(Tensor grad_output, SymInt[] input_sizes, int dim, "
                       "SymInt? start, SymInt? end, SymInt step) -> Tensor", _slice_bw_np,
                       grad={"grad_output": "slice_of(grad, dim, start, end, step)"})


def _diag_bw_np(grad, shape, offset, d1, d2):
    z = np.zeros(tuple(shape), grad.dtype)
    d1, d2 = wrap_dim(d1, len(shape)), wrap_dim(d2, len(shape))
    view = np.diagonal(z, offset, d1, d2)
    view.setflags(write=True)
    view[...] = grad
    return z


diagonal_backward = defop("diagonal_backward(Tensor grad_output, SymInt[] input_sizes, "
                          "int offset, int dim1, int dim2) -> Tensor", _diag_bw_np,
                          grad={"grad_output": "grad.diagonal(offset, dim1, dim2)"})


def _unfold_bw_np(grad, shape, dim, size, step):
    z = np.zeros(tuple(shape), grad.dtype)
    d = wrap_dim(dim, len(shape))
    cnt = grad.shape[d]
    for i in range(cnt):
        idx = [slice(None)] * len(shape)
        idx[d] = slice(i * step, i * step + size)
        src = np.take(grad, i, axis=d)          # (..., size) with dim d removed
        src = np.moveaxis(src, -1, d)
        z[tuple(idx)] += src
    return z


unfold_backward = defop("unfold_backward(Tensor grad_in, SymInt[] input_sizes, int dim, "
                        "int size, int step) -> Tensor", _unfold_bw_np,
                        grad={"grad_in": "grad.unfold(dim, size, step)"})


def _as_strided_maybe_overlaps(sizes, strides):
    """Whether a geometry (dims of size 1 already dropped) may name a storage slot twice:
    walking the dims by growing stride, each stride must pass the span of the ones before."""
    reach = 0
    for i in sorted(range(len(sizes)), key=lambda i: strides[i]):
        if strides[i] <= reach:
            return True
        reach += strides[i] * (sizes[i] - 1)
    return False


def _as_strided_bw(grad, geometry, size, stride, storage_offset):
    """PyTorch's ``as_strided_backward``, given the input's geometry ``(sizes, strides,
    storage offset)`` (what the node keeps, Note [Saved metadata]; not the input): both
    geometries live in one storage (the output's
    offset is absolute there; none means the input's own). Lay a zero storage under the two,
    scatter-add ``grad`` into it through the output geometry, divide each slot by how often
    the input geometry names it (when the input overlaps itself), and read the result back
    through the input geometry. Written with ops, so it is linear in ``grad`` and
    differentiable again."""
    from .factories import ones, zeros
    from .nn import index_add
    from .views import as_strided, reshape
    inp_size, inp_stride, inp_off = (tuple(geometry[0]), tuple(geometry[1]), geometry[2])
    out_off = inp_off if storage_offset is None else storage_offset
    if 0 in size or 0 in inp_size:
        return zeros(inp_size, dtype=grad.dtype)
    out_sizes, out_strides = [], []
    for i in reversed(range(len(size))):
        if size[i] == 1:
            grad = grad.squeeze(i)
        elif stride[i] == 0:
            grad = grad.sum(i)
        else:
            out_sizes.insert(0, size[i])
            out_strides.insert(0, stride[i])
    keep = [i for i, n in enumerate(inp_size) if n != 1]
    in_sizes, in_strides = [inp_size[i] for i in keep], [inp_stride[i] for i in keep]
    shared = min(inp_off, out_off)
    inp_eff, out_eff = inp_off - shared, out_off - shared

    def span(sizes, strides, off):
        return off + 1 + sum(st * (n - 1) for n, st in zip(sizes, strides))

    n = max(span(in_sizes, in_strides, inp_eff), span(out_sizes, out_strides, out_eff))
    full = np.arange(n, dtype=np.int64)

    def slots(sizes, strides, off):
        idx = np.lib.stride_tricks.as_strided(full[off:], tuple(sizes),
                                              tuple(s * 8 for s in strides))
        return T.wrap(idx.reshape(-1).copy())

    storage = index_add(zeros((n,), dtype=grad.dtype), 0,
                        slots(out_sizes, out_strides, out_eff), reshape(grad, -1))
    if _as_strided_maybe_overlaps(in_sizes, in_strides):
        idx = slots(in_sizes, in_strides, inp_eff)
        count = index_add(zeros((n,), dtype=grad.dtype), 0, idx,
                          ones((1,), dtype=grad.dtype).expand(idx.shape[0]))
        storage = storage / count
    return as_strided(storage, inp_size, inp_stride, inp_eff)


def unbind_backward(grads, shape, dim, dtype):
    from .shape import stack
    from .factories import zeros
    parts = [g if g is not None else zeros(tuple(s for i, s in enumerate(shape)
                                                if i != wrap_dim(dim, len(shape))), dtype=dtype)
             for g in grads]
    return stack(parts, dim)


def split_backward(grads, shape, dim, dtype, sizes, split_size):
    from .shape import cat
    from .factories import zeros
    d = wrap_dim(dim, len(shape))
    n = shape[d]
    if split_size is not None:
        sizes = [split_size] * (n // split_size) + ([n % split_size] if n % split_size else [])
    parts = []
    for g, s in zip(grads, sizes):
        if g is None:
            shp = list(shape)
            shp[d] = s
            g = zeros(tuple(shp), dtype=dtype)
        parts.append(g)
    return cat(parts, d)


def inverse_permutation(dims, nd):
    dims = [d % nd for d in dims]
    inv = [0] * nd
    for i, d in enumerate(dims):
        inv[d] = i
    return tuple(inv)


def slice_of(t, dim, start, end, step):
    from .views import slice_
    return slice_(t, dim, start, end, step)


def clamp_mask(x, lo, hi):
    m = None
    if lo is not None:
        m = x >= lo
    if hi is not None:
        m2 = x <= hi
        m = m2 if m is None else m.logical_and(m2)
    return m


def minmax_mask(x, y, first, lt=False):
    """The share of the gradient ``x`` gets in a max (or min) against ``y``: none where it
    loses, half on a tie, all of it otherwise (so a NaN on either side passes it whole, as
    PyTorch's masks do)."""
    lose = (x > y) if lt else (x < y)
    tie = x == y
    return (~lose) * 1.0 - tie * 0.5


def gelu_derivative(x, approximate):
    import math
    if approximate == "tanh":
        k = math.sqrt(2 / math.pi)
        inner = k * (x + 0.044715 * x * x * x)
        t = inner.tanh()
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x)
    cdf = 0.5 * (1 + (x * (1 / math.sqrt(2))).erf())
    pdf = (-0.5 * x * x).exp() * (1 / math.sqrt(2 * math.pi))
    return cdf + x * pdf


def scalar_tensor_like(v, meta):
    shape, dt = meta
    return T.wrap(np.full(shape, v, dt))


FORMULA_NS.update(
    sum_to_size=sum_to_size, select_backward=select_backward, slice_backward=slice_backward,
    diagonal_backward=diagonal_backward, unfold_backward=unfold_backward,
    as_strided_backward=_as_strided_bw, unbind_backward=unbind_backward,
    split_backward=split_backward, inverse_permutation=inverse_permutation, slice_of=slice_of,
    clamp_mask=clamp_mask, minmax_mask=minmax_mask, gelu_derivative=gelu_derivative,
    scalar_tensor_like=scalar_tensor_like, conj_if_complex=conj_if_complex, Tensor=T.Tensor,
    len=len, int=int, list=list, isinstance=isinstance, D=D)


# -- numpy twins of common formulas (Note [Backward on numpy arrays], _defop.py) -------------
# Each twin computes its formula by calling, for every op the formula calls, the kernel that
# op's dispatch reaches below Autograd for normal tensors (the CPU kernel: the same numpy code,
# promotion, warnings), on the arrays of the same tensors; what it skips is only the Autograd
# layer, which records nothing without grad mode, and the Python-level call machinery. Views a
# formula takes on the way (``mat2.t()``, ``grad.expand(...)``) are numpy views here: only
# their values reach a kernel. Parameters are the formula's names; an op's saved tensors come
# as arrays, its other values as they were saved. GRAD: "the incoming gradient itself".
from dispatch import keys as _k  # noqa: E402

from .._defop import NUMPY_FORMULAS, GRAD, OPS  # noqa: E402
from .linalg import _ADDMM_MAT1, _ADDMM_MAT2  # noqa: E402

_BELOW_AUTOGRAD = ((T.NORMAL_KEYS | _k.DEFAULT_INCLUDED) & ~_k.DEFAULT_EXCLUDED
                   & _k.Autograd.below_mask)


def _kernel(name):
    """``f(*args)``: op ``name``'s kernel for a normal tensor's key set below Autograd, looked
    up in the op's own cache as a redispatch would (arguments complete, as the schema's)."""
    op = OPS[name]
    cache, resolve, ks = op._cache, op._resolve, _BELOW_AUTOGRAD

    def call(*args):
        try:
            k = cache[ks]
        except KeyError:
            k = resolve(ks)
        return k(ks, *args)
    call.__name__ = f"kernel_{name}"
    return call


def _kernels(**names):
    return {key: _kernel(f"aten::{n}") for key, n in names.items()}


class _K:
    """The kernels the twins call (bound on first use: some ops are defined after this
    module)."""

    _NAMES = dict(mul="mul.Tensor", add="add.Tensor", sub="sub.Tensor", div="div.Tensor",
                  neg="neg", mm="mm", bmm="bmm", pow="pow.Tensor_Scalar",
                  sin="sin", cos="cos", threshold_backward="threshold_backward")

    def __getattr__(self, key):
        if key not in self._NAMES:
            raise AttributeError(key)
        self.__dict__.update(_kernels(**self._NAMES))
        return self.__dict__[key]


K = _K()


def _cj(x):
    """``conj_if_complex`` on a twin's values (arrays, a kernel's tensors, numbers)."""
    c = x.__class__
    if c is np.ndarray:
        return np.conjugate(x) if x.dtype.kind == "c" else x
    if c is T.Tensor:
        d = x._data
        return np.conjugate(d) if d.dtype.kind == "c" else x
    if c is complex:
        return x.conjugate()
    return x


def _scaled(grad, alpha):
    """``grad if alpha == 1 else grad * alpha``."""
    return GRAD if alpha == 1 else K.mul(grad, alpha)


def _mean_grad(grad, self_shape, self_numel):
    """``div_scalar(grad.expand(self_shape), self_numel)``: every element is the same quotient,
    so the kernel divides once and the result is filled with it."""
    if not self_numel or grad.ndim:
        return K.div(expanded(grad, tuple(self_shape)), max(self_numel, 1))
    if grad.__class__ is np.ndarray and grad.dtype.kind == "f":
        q = grad / self_numel     # the count is a weak scalar: divided in grad's own dtype
    else:
        q = K.div(grad, max(self_numel, 1))._data
    out = np.empty(tuple(self_shape), q.dtype)
    out.fill(q)
    return out


def _expand_reduced_np(grad, shape, dim, keepdim):
    """``expand_reduced`` (reduction.py) on arrays: the reduced dims back, then broadcast."""
    shape = tuple(shape)
    if not keepdim and dim is not None and shape:
        grad = np.expand_dims(grad, dims_arg(dim, len(shape)))
    return expanded(grad, shape)


def _mse_grad(grad, self, target, reduction):
    """``mse_backward(grad, self, target, reduction)`` (nn.py)."""
    d = K.sub(self, target, 1)
    if reduction == 1:
        return K.mul(d, K.mul(grad, 2.0 / max(d._data.size, 1)))
    return K.mul(d, K.mul(grad, 2.0))


def _relu_twin(grad, result):
    """``threshold_backward(grad, result, 0)``: a selection, so it can be done on the arrays
    with the kernel's exact bits; other dtypes or shapes take the kernel."""
    g = getattr(grad, "_data", grad)
    r = getattr(result, "_data", result)
    if g.__class__ is np.ndarray and r.__class__ is np.ndarray and g.dtype == r.dtype \
            and g.shape == r.shape and g.dtype in _SAME_WIDTH_INT:
        if g.size < 1024:
            return np.where(r <= 0.0, np.zeros((), g.dtype), g)
        # Large arrays select by masking bits, fast passes instead of np.where's slow one
        # (about three times faster): the mask is all ones where the result is positive (or
        # NaN) and zero where it is <= 0, so ``grad_bits & mask`` is grad's exact bits or
        # +0.0. (The widening ``astype`` then an in-place ``-= 1`` is twice as fast as one
        # mixed-type subtract.)
        bits = _SAME_WIDTH_INT[g.dtype]
        keep = (r <= 0.0).view(np.uint8).astype(bits)
        keep -= 1
        keep &= g.view(bits)
        return keep.view(g.dtype)
    return K.threshold_backward(grad, result, 0)


_SAME_WIDTH_INT = {np.dtype(np.float16): np.dtype(np.int16),
                   np.dtype(np.float32): np.dtype(np.int32),
                   np.dtype(np.float64): np.dtype(np.int64)}


def _twins(names, table):
    """Register numpy twins: ``table`` maps an argument to (the formula it mirrors, twin).
    A twin whose formula has since changed is refused on the op's first backward."""
    for n in names:
        NUMPY_FORMULAS[f"aten::{n}"] = table


_GRAD = ("grad", lambda grad: GRAD)
_twins(["add.Tensor", "add_.Tensor"], {
    "self": _GRAD,
    "other": ("grad if alpha == 1 else grad * conj_if_complex(alpha)",
              lambda grad, alpha: _scaled(grad, _cj(alpha)))})
_twins(["sub.Tensor", "sub_.Tensor"], {
    "self": _GRAD,
    "other": ("-grad if alpha == 1 else grad * conj_if_complex(-alpha)",
              lambda grad, alpha: K.neg(grad) if alpha == 1 else K.mul(grad, _cj(-alpha)))})
_twins(["mul.Tensor", "mul_.Tensor"], {
    "self": ("grad * conj_if_complex(other)", lambda grad, other: K.mul(grad, _cj(other))),
    "other": ("grad * conj_if_complex(self)", lambda grad, self: K.mul(grad, _cj(self)))})
_twins(["div.Tensor", "div_.Tensor"], {
    "self": ("grad / conj_if_complex(other)", lambda grad, other: K.div(grad, _cj(other))),
    "other": ("-grad * conj_if_complex(self) / conj_if_complex(other * other)",
              lambda grad, self, other: K.div(K.mul(K.neg(grad), _cj(self)),
                                              _cj(K.mul(other, other))))})
for _name, _entry in {
    "neg": ("-grad", lambda grad: K.neg(grad)),
    "relu": ("threshold_backward(grad, result, 0)",
             lambda grad, result: _relu_twin(grad, result)),
    "exp": ("grad * conj_if_complex(result)",
            lambda grad, result: K.mul(grad, _cj(result))),
    "tanh": ("grad * conj_if_complex(1 - result * result)",
             lambda grad, result: K.mul(grad, _cj(K.sub(1, K.mul(result, result), 1)))),
    "sigmoid": ("grad * conj_if_complex(result) * conj_if_complex(1 - result)",
                lambda grad, result: K.mul(K.mul(grad, _cj(result)), _cj(K.sub(1, result, 1)))),
    "log": ("grad / conj_if_complex(self)", lambda grad, self: K.div(grad, _cj(self))),
    "sqrt": ("grad / conj_if_complex(2 * result)",
             lambda grad, result: K.div(grad, _cj(K.mul(2, result)))),
    "sin": ("grad * conj_if_complex(self.cos())",
            lambda grad, self: K.mul(grad, _cj(K.cos(self)))),
    "cos": ("grad * conj_if_complex(-self.sin())",
            lambda grad, self: K.mul(grad, _cj(K.neg(K.sin(self))))),
}.items():
    _twins([_name, _name + "_"], {"self": _entry})
_twins(["clone"], {"self": _GRAD})
def _mm_mat1_np(grad, shape1, strides1, mat2):
    """``mm_mat1_backward`` (Note [Gradients in their input's layout], linalg.py)."""
    mat2 = _cj(mat2)
    return (K.mm(mat2, grad.T).T if column_major_layout(shape1, strides1)
            else K.mm(grad, mat2.T))


def _mm_mat2_np(grad, mat1, shape2, strides2):
    mat1 = _cj(mat1)
    return (K.mm(grad.T, mat1).T if column_major_layout(shape2, strides2)
            else K.mm(mat1.T, grad))


_twins(["mm"], {"self": ("mm_mat1_backward(grad, self_shape, self_strides, mat2)",
                         lambda grad, self_shape, self_strides, mat2:
                         _mm_mat1_np(grad, self_shape, self_strides, mat2)),
                "mat2": ("mm_mat2_backward(grad, self, mat2_shape, mat2_strides)",
                         lambda grad, self, mat2_shape, mat2_strides:
                         _mm_mat2_np(grad, self, mat2_shape, mat2_strides))})
_twins(["bmm"], {
    "self": ("grad.bmm(conj_if_complex(mat2).transpose(1, 2))",
             lambda grad, mat2: K.bmm(grad, np.swapaxes(_cj(mat2), 1, 2))),
    "mat2": ("conj_if_complex(self).transpose(1, 2).bmm(grad)",
             lambda self, grad: K.bmm(np.swapaxes(_cj(self), 1, 2), grad))})
def _times(r, alpha):
    return r if alpha == 1 else K.mul(r, alpha)


_twins(["addmm"], {
    "self": ("grad if beta == 1 else grad * beta", lambda beta, grad: _scaled(grad, beta)),
    "mat1": (_ADDMM_MAT1,
             lambda alpha, grad, mat1_shape, mat1_strides, mat2:
             _times(_mm_mat1_np(grad, mat1_shape, mat1_strides, mat2), alpha)),
    "mat2": (_ADDMM_MAT2,
             lambda alpha, grad, mat1, mat2_shape, mat2_strides:
             _times(_mm_mat2_np(grad, mat1, mat2_shape, mat2_strides), alpha))})
_twins(["sum"], {"self": ("grad.expand(self_shape)",
                          lambda grad, self_shape: expanded(grad, tuple(self_shape)))})
_twins(["expand"], {"self": ("grad.sum_to_size(self_shape)",
                             lambda grad, self_shape: GRAD if grad.shape == tuple(self_shape)
                             else _sum_to_np(grad, self_shape))})
_twins(["sum.dim_IntList"], {"self": ("expand_reduced(grad, self_shape, dim, keepdim)",
                                      lambda grad, self_shape, dim, keepdim:
                                      _expand_reduced_np(grad, self_shape, dim, keepdim))})
_twins(["mean"], {"self": ("div_scalar(grad.expand(self_shape), self_numel) if self_numel "
                           "else grad.expand(self_shape) * float('nan')",
                           lambda grad, self_shape, self_numel:
                           _mean_grad(grad, self_shape, self_numel) if self_numel else
                           K.mul(expanded(grad, tuple(self_shape)), float("nan")))})
_twins(["pow.Tensor_Scalar", "pow_.Scalar"], {
    "self": ("grad * conj_if_complex(exponent) * conj_if_complex(self.pow(exponent - 1)) "
             "if exponent != 0 else grad * 0",
             lambda grad, exponent, self: K.mul(K.mul(grad, _cj(exponent)),
                                                _cj(K.pow(self, exponent - 1)))
             if exponent != 0 else K.mul(grad, 0))})
_twins(["mse_loss"], {
    "self": ("mse_backward(grad, self, target, reduction)", _mse_grad),
    "target": ("-mse_backward(grad, self, target, reduction)",
               lambda grad, self, target, reduction: K.neg(_mse_grad(grad, self, target,
                                                                      reduction)))})
