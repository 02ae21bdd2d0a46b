"""Matrix products: mm, bmm, mv, dot, outer, addmm and matmul.

``mm``/``bmm``/``mv``/``dot``/``addmm`` are primitives with derivative formulas (nodes
``MmBackward0``, ``BmmBackward0``...). ``matmul`` and ``outer`` are composites, as in PyTorch:
they reshape and call a primitive, so the result's ``grad_fn`` is the primitive's node
(``MmBackward0`` for 2-D @ 2-D). Like PyTorch, the products do not promote: both operands
must have the same dtype.
"""

from __future__ import annotations

import numpy as np

from dispatch.record import current_record

from .._defop import FORMULA_NS, OPS, defop, fast_path, inline_kernel, method
from .._tensor import Tensor as _Tensor
from ._util import column_major_layout, conj_if_complex
from .reduction import cxx_name, short_name


def _x(shape):
    return "x".join(map(str, shape))


def _not_for_bool(name, *arrs):
    for a in arrs:
        if a.dtype.kind == "b":
            raise NotImplementedError(f'"{name}" not implemented for \'Bool\'')


def int_factors(dt, beta, alpha):
    """``beta`` and ``alpha`` of an integer product (addmm, addbmm, baddbmm) as PyTorch's
    kernels take them: converted to the integer dtype first (a float truncates toward zero;
    a value out of range, NaN or a complex one is refused), before they multiply."""
    from .casts import checked_scalar
    return checked_scalar(beta, dt), checked_scalar(alpha, dt)


def _matmul_np(a, b):
    # numpy's matmul of integer arrays keeps the dtype; float16 stays float16.
    return np.asarray(np.matmul(a, b))


_dot_np_ = np.dot     # for 2-D (and 1-D) operands the same product as matmul, and cheaper
# (the fast paths below call the method, ``d0.dot(d1)``: the same product without np.dot's
# dispatch wrapper)
_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)
# the fast paths' condition: two n-D arrays of one dtype, float32 or float64 (each dtype read
# once and compared by identity: numpy's builtin dtypes are singletons, and a non-native one
# just takes the full kernel)
_FAST_WHEN = ("d0.__class__ is _nd and d1.__class__ is _nd and (dt_ := d0.dtype) is d1.dtype "
              "and (dt_ is _F32 or dt_ is _F64) and d0.ndim == {n} == d1.ndim")


# -- mm ------------------------------------------------------------------------------------
def _mm_np(a, b):
    if a.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_x(a.shape)} and {_x(b.shape)}). "
            f"Hint: the inner dimensions must agree ({a.shape[1]} != {b.shape[0]}); transpose "
            "or reshape one operand.")
    if a.dtype != b.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {cxx_name(a.dtype)} != "
            f"{cxx_name(b.dtype)}. Hint: matrix products do not promote; convert one operand "
            "(e.g. .double()).")
    _not_for_bool("addmm_impl_cpu_", a)
    return np.asarray(_dot_np_(a, b))


# two matrices of one floating dtype (a wrong inner size makes np.dot raise: the full kernel
# then raises PyTorch's error)
fast_path(_mm_np, _FAST_WHEN.format(n=2), "d0.dot(d1)", _F32=_F32, _F64=_F64)
# Note [Gradients in their input's layout]: like PyTorch's mm backward, a column-major
# (transposed) operand gets a column-major gradient, computed as the transpose of the other
# product. The values are the same; the layout lets AccumulateGrad keep the gradient of a
# leaf used transposed (a Linear weight) as its ``.grad`` without a copy (Note [The
# gradient layout contract], autograd/engine.py). The node keeps the operand's sizes and
# strides, not the operand (Note [Saved metadata], _defop.py): as in PyTorch, writing to a
# weight in place between forward and backward is no error when only the weight's own
# gradient is wanted.
def mm_mat1_backward(grad, mat1_shape, mat1_strides, mat2):
    mat2 = conj_if_complex(mat2)     # Note [Complex gradients are conjugated]
    if column_major_layout(mat1_shape, mat1_strides):
        return mat2.mm(grad.t()).t()
    return grad.mm(mat2.t())


def mm_mat2_backward(grad, mat1, mat2_shape, mat2_strides):
    mat1 = conj_if_complex(mat1)
    if column_major_layout(mat2_shape, mat2_strides):
        return grad.t().mm(mat1).t()
    return mat1.t().mm(grad)


FORMULA_NS.update(mm_mat1_backward=mm_mat1_backward, mm_mat2_backward=mm_mat2_backward)
mm = defop("mm(Tensor self, Tensor mat2) -> Tensor", _mm_np,
           grad={"self": "mm_mat1_backward(grad, self_shape, self_strides, mat2)",
                 "mat2": "mm_mat2_backward(grad, self, mat2_shape, mat2_strides)"})
method("mm", mm)


# -- bmm -----------------------------------------------------------------------------------
def _bmm_np(a, b):
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b.shape[0] != a.shape[0] or b.shape[1] != a.shape[2]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}]. Hint: "
            "batch sizes and inner dimensions must agree.")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {short_name(a.dtype)} but found "
                           f"{short_name(b.dtype)}")
    _not_for_bool("bmm", a)
    return _matmul_np(a, b)


bmm = defop("bmm(Tensor self, Tensor mat2) -> Tensor", _bmm_np,
            grad={"self": "grad.bmm(conj_if_complex(mat2).transpose(1, 2))",
                  "mat2": "conj_if_complex(self).transpose(1, 2).bmm(grad)"})
method("bmm", bmm)


# -- mv ------------------------------------------------------------------------------------
def _mv_np(a, v):
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.ndim}, {v.ndim}")
    if a.shape[1] != v.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({a.shape[0]}), mat ({_x(a.shape)}), vec ({v.shape[0]})"
            f". Hint: the matrix needs as many columns as the vector has elements.")
    if a.dtype != v.dtype:
        # (PyTorch names the result's dtype first: mv's result takes vec's)
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got "
                           f"{short_name(v.dtype)}, {short_name(a.dtype)}, and "
                           f"{short_name(v.dtype)}")
    _not_for_bool("addmv_impl_cpu", a)
    return _matmul_np(a, v)


mv = defop("mv(Tensor self, Tensor vec) -> Tensor", _mv_np,
           grad={"self": "grad.unsqueeze(1) * conj_if_complex(vec)",
                 "vec": "conj_if_complex(self).t().mv(grad)"})
method("mv", mv)


# -- dot -----------------------------------------------------------------------------------
def _dot_np(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] "
            f"to have the same number of elements, but got {a.shape[0]} and {b.shape[0]} "
            "elements respectively")
    if a.dtype != b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{short_name(a.dtype)} and {short_name(b.dtype)}")
    _not_for_bool("dot", a)
    return np.asarray(np.dot(a, b), dtype=a.dtype)


# (the method returns a numpy scalar, which the kernel makes a 0-d array: about 0.13 µs
# cheaper than having it write into a fresh 0-d ``out``, measured on (4,) float32)
fast_path(_dot_np, _FAST_WHEN.format(n=1), "d0.dot(d1)", _F32=_F32, _F64=_F64)
dot = defop("dot(Tensor self, Tensor tensor) -> Tensor", _dot_np,
            grad={"self": "grad * conj_if_complex(tensor)",
                  "tensor": "grad * conj_if_complex(self)"},
            via=("write", 1))   # Note [Kernels that re-enter the dispatcher] (_defop.py)
method("dot", dot)
method("inner", lambda self, other: dot(self, other) if self.dim() == 1 and other.dim() == 1
       else matmul(self, other.transpose(-1, -2) if other.dim() > 1 else other))


# -- outer (composite: self.view(n, 1) * vec2, like PyTorch; grad_fn is MulBackward0) ------
def _outer(self, vec2):
    for name, t in (("self", self), ("vec2", vec2)):
        if t.dim() != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.dim()}-D")
    return self.view(self.shape[0], 1) * vec2


outer = defop("outer(Tensor self, Tensor vec2) -> Tensor", composite=_outer)
method("outer", outer)
method("ger", outer)


# -- addmm ---------------------------------------------------------------------------------
def _addmm_np(c, a, b, beta, alpha):
    # (PyTorch compares the dtypes before anything else, self's first)
    for name, x in (("self", c), ("mat1", a)):
        if x.dtype != b.dtype:
            raise RuntimeError(f"{name} and mat2 must have the same dtype, but got "
                               f"{short_name(x.dtype)} and {short_name(b.dtype)}. Hint: "
                               "matrix products do not promote; convert one operand (e.g. "
                               ".double()).")
    if a.ndim != 2:
        raise RuntimeError("mat1 must be a matrix, got {}-D tensor".format(a.ndim))
    if b.ndim != 2:
        raise RuntimeError("mat2 must be a matrix, got {}-D tensor".format(b.ndim))
    if a.shape[1] != b.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_x(a.shape)} and {_x(b.shape)}). "
            "Hint: the inner dimensions must agree; transpose or reshape one operand.")
    _not_for_bool("addmm_impl_cpu_", a)
    out_shape = (a.shape[0], b.shape[1])
    try:
        cb = np.broadcast_to(c, out_shape)
    except ValueError:
        raise RuntimeError(
            f"The expanded size of the tensor ({out_shape[-1]}) must match the existing size "
            f"({c.shape[-1] if c.ndim else 1}) at non-singleton dimension "
            f"{1 if c.ndim and c.shape[-1] not in (1, out_shape[-1]) else 0}.  Target sizes: "
            f"[{', '.join(map(str, out_shape))}].  Tensor sizes: "
            f"[{', '.join(map(str, c.shape))}]") from None
    if a.dtype == np.float16:
        # PyTorch sums a half product and self in float and rounds once: so do we
        a, b, cb = a.astype(np.float32), b.astype(np.float32), cb.astype(np.float32)
    if c.dtype.kind in "iu":
        beta, alpha = int_factors(c.dtype, beta, alpha)
    prod = _matmul_np(a, b)
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:                         # PyTorch ignores self then (NaN does not propagate)
        r = prod
    else:
        r = prod + (cb * beta if beta != 1 else cb)
    return np.asarray(r, dtype=c.dtype)


_ADDMM_MAT1 = ("mm_mat1_backward(grad, mat1_shape, mat1_strides, mat2) if alpha == 1 else "
               "mm_mat1_backward(grad, mat1_shape, mat1_strides, mat2) * alpha")
_ADDMM_MAT2 = ("mm_mat2_backward(grad, mat1, mat2_shape, mat2_strides) if alpha == 1 else "
               "mm_mat2_backward(grad, mat1, mat2_shape, mat2_strides) * alpha")
addmm = defop("addmm(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1) "
              "-> Tensor", _addmm_np,
              grad={"self": "grad if beta == 1 else grad * beta",
                    "mat1": _ADDMM_MAT1, "mat2": _ADDMM_MAT2})
method("addmm", addmm)


# -- matmul (composite) --------------------------------------------------------------------
def _broadcast_batch(a, b):
    nd = max(len(a), len(b))
    pa = (1,) * (nd - len(a)) + tuple(a)
    pb = (1,) * (nd - len(b)) + tuple(b)
    out = []
    for i, (x, y) in enumerate(zip(pa, pb)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                f"non-singleton dimension {i}. Hint: the batch dimensions {list(a)} and "
                f"{list(b)} of matmul's operands do not broadcast.")
        out.append(max(x, y) if x and y else 0)
    return tuple(out)


def _not_a_tensor(fn, name, pos, v):
    return TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not "
                     f"{type(v).__name__}")


def _matmul(ks, self, other):
    if not (self.__class__ is _Tensor or isinstance(self, _Tensor)):
        raise _not_a_tensor("matmul", "input", 1, self)
    if not (other.__class__ is _Tensor or isinstance(other, _Tensor)):
        raise _not_a_tensor("matmul", "other", 2, other)
    d1, d2 = self._data.ndim, other._data.ndim
    # the common cases first, through the inner op's kernel for this very key set (Note
    # [Composites may reuse the key set] in _defop.py)
    if d1 == 2 and d2 == 2:
        try:
            k = _mm_cache[ks]
        except KeyError:
            k = _mm_op._resolve(ks)
        return k(ks, self, other)
    if d1 == 1 and d2 == 1:
        try:
            k = _dot_cache[ks]
        except KeyError:
            k = _dot_op._resolve(ks)
        return k(ks, self, other)
    if d1 == 0 or d2 == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{d1}D and {d2}D")
    if d1 == 2 and d2 == 1:
        return _mv_rd(ks, self, other)
    # The rest follows PyTorch's decomposition step by step, so that the graph (node names,
    # which results are views or copies) is PyTorch's too.
    from .views import _unsafe_view
    if d1 == 1 and d2 == 2:
        return mm(self.unsqueeze(0), other).squeeze_(0)
    if d1 == 3 and d2 == 3:
        # a batch of one that requires grad, against a real batch: drop its batch dim, so its
        # gradient is one mm instead of a bmm summed over the batch (PyTorch does the same)
        b1, b2 = self._data.shape[0], other._data.shape[0]
        if b2 == 1 and b1 != 1 and other.requires_grad:
            return _matmul(ks, self, other.squeeze(0))
        if b1 == 1 and b2 != 1 and self.requires_grad:
            return _matmul(ks, self.squeeze(0), other)
    if _should_fold(self, other, d1, d2):
        # fold the batch of the larger operand into the rows of one mm / mv
        transpose = d2 > d1
        t1 = other.mT if transpose else self
        t2 = (self.t() if d1 == 2 else self) if transpose else other
        s1 = tuple(t1.shape)
        out_shape = s1[:-1]
        rows = 1
        for x in out_shape:
            rows *= x
        folded = t1.reshape(rows, s1[-1])
        if t2.dim() == 2:
            out = _unsafe_view(mm(folded, t2), out_shape + (t2.shape[1],))
            return out.mT.contiguous() if transpose else out
        return _unsafe_view(mv(folded, t2), out_shape)
    # batched: broadcast the batch dims, then one bmm
    sa, sb = tuple(self.shape), tuple(other.shape)
    n = sa[-2] if d1 > 1 else 1
    m1 = sa[-1]
    m2 = sb[-2] if d2 > 1 else sb[0]
    p = sb[-1] if d2 > 1 else 1
    batch = _broadcast_batch(sa[:max(d1 - 2, 0)], sb[:max(d2 - 2, 0)])
    nb = 1
    for x in batch:
        nb *= x
    a3 = self.expand(batch + (n, m1)).reshape(nb, n, m1)
    if d2 == 1:
        b3 = other.expand(batch + (m2,)).reshape(nb, m2).unsqueeze(2)
    else:
        b3 = other.expand(batch + (m2, p)).reshape(nb, m2, p)
    out_shape = batch + ((n,) if d1 > 1 else ()) + ((p,) if d2 > 1 else ())
    out = bmm(a3, b3)
    if d2 == 1:
        out = out.squeeze_(-1)
    return _unsafe_view(out, out_shape)


def _should_fold(a, b, d1, d2):
    """PyTorch's choice between one mm/mv over a folded batch and a bmm: fold when the larger
    operand has >= 3 dims and the other 1 or 2, and folding costs no copy (or the smaller
    operand requires grad, where folding keeps its gradient a single mm)."""
    larger_first = d1 >= d2
    big_dims, small_dims = (d1, d2) if larger_first else (d2, d1)
    if not (big_dims >= 3 and small_dims in (1, 2)):
        return False
    small = b if larger_first else a
    if small.requires_grad:
        return True
    if d1 == 2:
        return False
    t1 = a if larger_first else b.mT
    if t1.numel() == 0:
        return True
    shape, strides = tuple(t1.shape), t1.stride()
    for i in range(len(shape) - 2):
        if strides[i] != strides[i + 1] * shape[i + 1]:
            return False
    return True


_mm_op, _dot_op = OPS["aten::mm"], OPS["aten::dot"]
_mm_cache, _dot_cache = _mm_op._cache, _dot_op._cache   # cleared in place, never replaced
_mv_rd = OPS["aten::mv"].redispatch


# the 1-D @ 1-D case runs dot's kernel for the key set in place (Note [Inlined kernels])
_MATMUL_TEMPLATE = """def cpu_kernel(ks, a0, a1):
    if a0.__class__ is _T and a1.__class__ is _T:
        n_ = a0._data.ndim
        if n_ == a1._data.ndim:
            if n_ == 2:
                return kmm_(ks, a0, a1)
            if n_ == 1:
                {body}
    return matmul_(ks, a0, a1)
"""


# where dot's body is pasted, both operands are Tensors (whose ``_data`` is an ndarray) of one
# dimension: the body's own tests of that are dropped
_KNOWN_1D = tuple(
    [(f"a{i}._data if a{i}.__class__ is _T else getattr(a{i}, '_data', a{i})", f"a{i}._data")
     for i in (0, 1)]
    + [(f"((a{i}._requires_grad or a{i}._view is not None and _vrg(a{i})) if a{i}.__class__ "
        f"is _T else _rg(a{i}))", f"(a{i}._requires_grad or a{i}._view is not None and "
        f"_vrg(a{i}))") for i in (0, 1)]
    + [(f"(a{i}.__class__ is _T and a{i}._dispatch_keys & AGB)", f"a{i}._dispatch_keys & AGB")
       for i in (0, 1)]
    + [("d0.__class__ is _nd and d1.__class__ is _nd and (dt_ := d0.dtype)",
        "(dt_ := d0.dtype)"),
       (" and d0.ndim == 1 == d1.ndim:", ":")])


def _matmul_for_keyset(ks, key):
    """matmul for one key set (Note [Kernels specialised to a key set], dispatch/dispatcher.py):
    its two commonest cases call the mm or dot kernel chosen for that key set, found once;
    dot's, when it is one of ours, runs inlined (one frame less for ``a @ b`` on vectors)."""
    kmm = _mm_cache.get(ks) or _mm_op._resolve(ks)
    kdot = _dot_cache.get(ks) or _dot_op._resolve(ks)
    env = dict(kmm_=kmm, matmul_=_matmul, _T=_Tensor)
    inlined = inline_kernel(kdot, _MATMUL_TEMPLATE, f"<matmul+dot {ks}>", known=_KNOWN_1D,
                            **env)
    if inlined is not None:
        return inlined
    # dot's kernel is not one of ours (a user's, a traced wrapper): the same cases, calling it
    ns = dict(env, kdot_=kdot)
    exec(_MATMUL_TEMPLATE.replace("{body}", "return kdot_(ks, a0, a1)"), ns)
    return ns["cpu_kernel"]


_matmul.for_keyset = _matmul_for_keyset
matmul = defop("matmul(Tensor self, Tensor other) -> Tensor", composite=_matmul,
               composite_keys=True)
_matmul_cache, _matmul_resolve = matmul._op._cache, matmul._op._resolve


def _matmul_method(self, other):
    if not isinstance(other, _Tensor):
        raise _not_a_tensor("matmul", "other", 1, other)
    return matmul(self, other)


method("matmul", _matmul_method)


def _matmul_operator(self, other):
    # anything but a tensor: let Python raise "unsupported operand type(s) for @" (PyTorch)
    if other.__class__ is not _Tensor and isinstance(other, _Tensor):
        # a subclass may take part in __torch_function__, which PyTorch tells Tensor.matmul
        from .._torch_function import wants_protocol, handle_from_python
        if wants_protocol((self, other)):
            return handle_from_python(_Tensor.matmul, (self, other), {})
        return matmul(self, other)
    if other.__class__ is _Tensor:
        # ``matmul(self, other)`` with its call function's body inlined (the operator is the
        # common spelling): the operands' key set under the thread's record, then the kernel
        # the dispatcher chose for it
        r = current_record()
        ks = (self._dispatch_keys | other._dispatch_keys | r[0]) & ~r[1]
        try:
            k = _matmul_cache[ks]
        except KeyError:
            k = _matmul_resolve(ks)
        return k(ks, self, other)
    return NotImplemented


method("__matmul__", _matmul_operator)


def _rmatmul(self, other):
    if not isinstance(other, _Tensor):
        return NotImplemented       # PyTorch: `[1., 2.] @ t` is a TypeError, not a matmul
    return matmul(other, self)


method("__rmatmul__", _rmatmul)
