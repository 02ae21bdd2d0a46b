"""Indexing: ``t[...]``, ``t[...] = v``, and the ops behind them (``index``, ``index_put``),
plus ``masked_select``, ``nonzero``, ``take`` and ``index_fill``.

Note [Basic indexing is a chain of view ops]
    ``t[1, ::2, None]`` is not one numpy expression on ``t._data``: it is ``select``,
    ``slice``, ``unsqueeze`` applied in turn (what PyTorch's ``applySlicing`` does), so the
    result is a tracked view — it shares memory *and* the version counter, has ``_base``, and
    gets ``SelectBackward0``/``SliceBackward0``/... as its history. Integers, slices (positive
    steps), ``None``, ``Ellipsis`` and 0-dim integer tensors are basic.

Note [Advanced indexing is index / index_put_]
    Integer and bool tensors (lists, numpy arrays) in the index make the result a copy: after
    the basic part has been applied, ``index(t, indices)`` gathers, with ``indices`` one entry
    per indexed dimension (``None`` for a dimension taken whole; a k-dim bool mask covers k
    dimensions). Its gradient scatters back with ``index_put(zeros, indices, grad,
    accumulate=True)``, itself differentiable. Setting ``t[idx] = v`` is ``index_put_``.

Note [Setitem is a view plus one write]
    ``t[1:] = v`` takes the basic view and writes it with ``copy_`` (or ``fill_`` for a number),
    exactly one in-place op: the version goes up by one, and every in-place check applies (a
    leaf that requires grad, a view of one, inference tensors). On a non-leaf the write
    rewrites the base's history (CopySlices), so ``y = x.clone(); y[0] = 10`` cuts the
    gradient of entry 0. ``t[False] = v`` does nothing, as in PyTorch.

PyTorch quirks kept: a lone ``t[a:b]`` always records ``SliceBackward0`` while a full slice
inside a tuple is skipped (``t[:, 0]`` is one ``select``); a top-level list that holds
slices, ``None``, ``...`` or sequences is read as a tuple; an out-of-range advanced index
names its position among the index tensors ("dimension 0" for ``t[:, idx]``).
"""

from __future__ import annotations

import operator

import numpy as np

from .. import _dtype as D
from .. import _tensor as T
from .._defop import defop, method, FORMULA_NS
from ..errors import legacy_type_name, warn_user
from . import views as V
from ._util import dim_order, keep_layout, wrap_dim
from .casts import checked_scalar, copy_, fill_tensor, writable_dest

_nd = np.ndarray
_Tensor = T.Tensor
_select, _slice, _unsqueeze, _alias, _expand, _view = (V.select, V.slice_, V.unsqueeze,
                                                       V.alias, V.expand, V.view)

__all__ = ["index", "index_put", "index_put_", "masked_select", "nonzero", "take",
           "index_fill_scalar", "index_fill_scalar_", "index_fill_tensor", "index_fill_tensor_",
           "getitem", "setitem"]


def _fmt(shape):
    return "[" + ", ".join(map(str, shape)) + "]"


# -- the index op --------------------------------------------------------------------------
class _Plan:
    """A validated advanced index over an array of ``shape``: the numpy index tuple and the
    result shape."""

    __slots__ = ("np_index", "shape", "bounds")


def _plan(shape, indices, check_bounds=True):
    """Validate ``indices`` (numpy arrays or None) against ``shape`` like PyTorch and turn
    them into a numpy index (bool masks become their nonzero() arrays)."""
    ndim = len(shape)
    count = 0
    for t in indices:
        if t is None:
            count += 1
        elif t.dtype.kind == "b" or t.dtype == np.uint8:
            count += t.ndim
        else:
            count += 1
    if count > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    np_index = []
    arrays = []            # (array, dim) of every index array, masks expanded
    dim = 0
    for t in indices:
        if t is None:
            np_index.append(slice(None))
            dim += 1
            continue
        k = t.dtype.kind
        if k == "b" or t.dtype == np.uint8:
            if t.ndim == 0:
                raise IndexError(
                    "a 0-dim bool index is only supported through t[...] (which turns it into "
                    "a new dimension); pass a mask with dimensions to index/index_put. "
                    "(PyTorch stops on an internal assert here.)")
            m = t.astype(bool, copy=False)
            for i, s in enumerate(m.shape):
                if s != shape[dim + i]:
                    raise IndexError(
                        f"The shape of the mask {_fmt(m.shape)} at index {i} does not match "
                        f"the shape of the indexed tensor {_fmt(shape)} at index {dim + i}")
            for z in np.nonzero(m):
                np_index.append(z)
                arrays.append((z, dim))
                dim += 1
        elif k in "iu":
            np_index.append(t)
            arrays.append((t, dim))
            dim += 1
        else:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if not arrays:
        p = _Plan()
        p.np_index = tuple(np_index)
        p.shape = tuple(shape)
        p.bounds = None
        return p
    try:
        bshape = np.broadcast_shapes(*(a.shape for a, _ in arrays))
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together "
                         "with shapes " + ", ".join(_fmt(a.shape) for a, _ in arrays)) from None
    if 0 not in bshape and any(shape[d] == 0 for _, d in arrays):
        # (checked on the broadcast indices, whatever else the result holds)
        raise IndexError("index is out of bounds for dimension with size 0")
    dims = [d for _, d in arrays]
    if dims == list(range(dims[0], dims[0] + len(dims))):
        rshape = tuple(shape[:dims[0]]) + bshape + tuple(shape[dims[-1] + 1:])
    else:
        taken = set(dims)
        rshape = bshape + tuple(s for d, s in enumerate(shape) if d not in taken)
    p = _Plan()
    p.shape = rshape
    if 0 in rshape:
        # nothing is read or written, so PyTorch never looks at the index values
        p.np_index = p.bounds = None
        return p
    p.np_index = tuple(np_index)
    p.bounds = (shape, arrays, bshape)
    if check_bounds:
        _check_bounds(p)
    return p


def _check_bounds(p):
    """The index values' range check (index_put_ makes it after the value's shape check)."""
    if p.bounds is None:
        return
    shape, arrays, bshape = p.bounds
    for a, d in arrays:
        n = shape[d]
        if a.size and (a.min() < -n or a.max() >= n):
            _raise_out_of_bounds(shape, arrays, bshape)


def _raise_out_of_bounds(shape, arrays, bshape):
    """PyTorch's report: the first element (in order) with a bad index, naming the index
    tensor's position among the index tensors."""
    bad = []
    for a, d in arrays:
        n = shape[d]
        b = np.broadcast_to(a, bshape)
        bad.append(((b < -n) | (b >= n), b, n))
    anybad = np.zeros(bshape, bool)
    for m, _, _ in bad:
        anybad |= m
    pos = np.unravel_index(int(np.argmax(anybad.reshape(-1))), bshape) if bshape else ()
    for j, (m, b, n) in enumerate(bad):
        if m[pos]:
            raise IndexError(f"index {int(b[pos])} is out of bounds for dimension {j} with "
                             f"size {n}")


def _dense(r):
    """A C-contiguous array of an advanced-indexing result (numpy gives a scalar for a 0-d
    result, and zero strides to empty ones, which would look like an expanded tensor)."""
    r = np.asarray(r)
    if r.size == 0:
        return np.zeros(r.shape, r.dtype)
    if r.flags.c_contiguous and (1 not in r.shape or r.strides == _c_strides(r)):
        return r
    out = np.empty(r.shape, r.dtype)         # C strides, also on its size-1 dims
    out[...] = r
    return out


def _c_strides(r):
    st, acc = [], r.itemsize
    for n in reversed(r.shape):
        st.append(acc)
        acc *= n
    return tuple(reversed(st))


def _operand_strides(a, p):
    """The element strides, over the result's dims, of the operands PyTorch's index kernel
    iterates: ``self`` with its indexed dims zero-strided, then every index tensor broadcast
    over the result."""
    shape, arrays, bshape = p.bounds
    dims = [d for _, d in arrays]
    nb = len(bshape)
    own = [st // a.itemsize for st in a.strides]
    if dims == list(range(dims[0], dims[0] + len(dims))):
        lo, hi = dims[0], dims[-1] + 1
        self_st = own[:lo] + [0] * nb + own[hi:]
        before, after = lo, len(shape) - hi
    else:
        taken = set(dims)
        self_st = [0] * nb + [own[d] for d in range(len(shape)) if d not in taken]
        before, after = 0, len(shape) - len(taken)
    out = [self_st]
    for ix, _ in arrays:
        b = np.broadcast_to(ix, bshape)
        st = [0] * before + [x // ix.itemsize for x in b.strides] + [0] * after
        # the index is reshaped (size-1 dims inserted around it), then broadcast: a dim of
        # the result that has size 1 keeps the reshape's stride, the others get 0
        acc = st[before + nb - 1] if nb else 1
        for d in reversed(range(len(st))):
            if before <= d < before + nb:
                acc = st[d] * max(p.shape[d], 1)
            elif p.shape[d] == 1:
                st[d] = acc
        out.append(st)
    return out


def _index_np(a, indices):
    p = _plan(a.shape, indices)
    if p.np_index is None:
        return np.empty(p.shape, a.dtype)
    r = _dense(a[p.np_index])
    if p.bounds is None or r.ndim < 2:
        return r
    # lay the result out the way PyTorch's kernel allocates it (it follows self's layout)
    slow_first = list(reversed(dim_order(r.shape, _operand_strides(a, p))))
    if slow_first == list(range(r.ndim)):
        return r
    buf = np.empty([r.shape[d] for d in slow_first], r.dtype)
    out = buf.transpose([slow_first.index(d) for d in range(r.ndim)])
    out[...] = r
    return out


index = defop("index.Tensor(Tensor self, Tensor?[] indices) -> Tensor", _index_np,
              grad={"self": "ix_index_backward(grad, self_shape, indices)"})


def _single_mask(indices):
    """Whether ``indices`` holds exactly one index tensor and it is a bool (or uint8) mask."""
    given = [t for t in indices if t is not None]
    return len(given) == 1 and (given[0].dtype.kind == "b" or given[0].dtype == np.uint8)


def _put_checked(a, indices, values, accumulate):
    """Validate an index_put on array ``a`` completely (before anything is written); return
    the numpy index and the values to write."""
    p = _plan(a.shape, indices, check_bounds=False)
    if type(values) is not _nd:
        values = np.asarray(checked_scalar(values, a.dtype), a.dtype)
    elif not accumulate and values.size == 1 and _single_mask(indices):
        # PyTorch turns this case into masked_fill_ with the value as a number: it is cast
        if any(t is not None and t.dtype == np.uint8 for t in indices):
            raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with "
                               "dtype unsigned char")
        values = np.asarray(checked_scalar(values.reshape(()).item(), a.dtype), a.dtype)
    try:
        ok = np.broadcast_shapes(values.shape, p.shape) == p.shape
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"shape mismatch: value tensor of shape {_fmt(values.shape)} cannot "
                           f"be broadcast to indexing result of shape {_fmt(p.shape)}")
    if values.dtype != a.dtype:
        raise RuntimeError(
            f"Index put requires the source and destination dtypes match, got "
            f"{D._BY_NP[a.dtype].short} for the destination and {D._BY_NP[values.dtype].short} "
            "for the source. Hint: cast the values first (v.to(t.dtype)).")
    _check_bounds(p)
    if values.ndim and np.may_share_memory(values, a):
        values = values.copy()            # t[idx] = t[0]: read everything before writing
    return p.np_index, values


def _write(dst, np_index, values, accumulate):
    if np_index is None:         # an empty selection
        return
    if accumulate:
        np.add.at(dst, np_index, values)     # duplicates add up (a[ix] += v would not)
    else:
        dst[np_index] = values


def _index_put_np(a, indices, values, accumulate):
    ix, v = _put_checked(a, indices, values, accumulate)
    out = a.copy()
    _write(out, ix, v, accumulate)
    return out


def _index_put_inplace_np(a, indices, values, accumulate):
    ix, v = _put_checked(a, indices, values, accumulate)
    _write(writable_dest(a, True), ix, v, accumulate)


_PUT_GRAD = {"self": "grad if accumulate else ix_zero_at(grad, indices)",
             "values": "ix_index(grad, indices)"}
index_put = defop("index_put(Tensor self, Tensor?[] indices, Tensor values, "
                  "bool accumulate=False) -> Tensor", keep_layout(_index_put_np, 0),
                  grad=_PUT_GRAD)       # (results laid out like self, as PyTorch's clone)
index_put_ = defop("index_put_(Tensor(a!) self, Tensor?[] indices, Tensor values, "
                   "bool accumulate=False) -> Tensor(a!)", _index_put_inplace_np,
                   grad=_PUT_GRAD)


def _index_backward(grad, shape, indices):
    z = T.wrap(np.zeros(tuple(shape), grad._data.dtype))
    return index_put(z, list(indices), grad, True)


def _zero_at(grad, indices):
    return index_put(grad, list(indices), T.wrap(np.zeros((), grad._data.dtype)), False)


def _as_index_list(indices):
    if isinstance(indices, (_Tensor, type(None))):
        indices = (indices,)
    return [_to_index_tensor(i) if i is not None else None for i in indices]


method("index_put_", lambda self, indices, values, accumulate=False:
       index_put_(self, _as_index_list(indices), _value_tensor(self, values), accumulate))
method("index_put", lambda self, indices, values, accumulate=False:
       index_put(self, _as_index_list(indices), _value_tensor(self, values), accumulate))


def _value_tensor(self, v):
    if isinstance(v, _Tensor):
        return v
    return T.wrap(np.asarray(checked_scalar(v, self._data.dtype), self._data.dtype))


# -- parsing an index ----------------------------------------------------------------------
_INT_TYPES = (int, np.integer)
_BOOL_TYPES = (bool, np.bool_)


def _treat_sequence_as_tuple(index):
    """PyTorch's legacy rule: a short list holding slices, None, ..., tensors or sequences is
    a tuple of indices (``t[[0, slice(None)]]``), otherwise it is one index tensor."""
    if isinstance(index, tuple):
        return True
    if not isinstance(index, list) or len(index) >= 32:
        return False
    for obj in index:
        if isinstance(obj, (_Tensor, list, tuple, slice, _nd)) or obj is None or \
                obj is Ellipsis:
            return True
    return False


def _to_index_tensor(obj):
    """Lists and numpy arrays in an index become tensors (an empty list is an int64 one)."""
    if isinstance(obj, _Tensor):
        return obj
    if isinstance(obj, _nd):
        return T.wrap(np.array(obj))
    if isinstance(obj, (list, tuple)):
        if len(obj) == 0:
            return T.wrap(np.zeros((0,), np.int64))
        from .factories import tensor
        return tensor(list(obj))
    raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                     f"Variables are valid indices (got {type(obj).__name__})")


def _items(index):
    if isinstance(index, tuple):
        return index
    if isinstance(index, list) and _treat_sequence_as_tuple(index):
        warn_user("Using a non-tuple sequence for multidimensional indexing is deprecated; "
                  "use x[tuple(seq)] instead of x[seq].")
        return tuple(index)
    return (index,)


def _classify(obj):
    """Normalise one index item: returns (kind, value) with kind in
    'none', 'ellipsis', 'bool', 'int', 'slice', 'tensor'."""
    if obj is None:
        return "none", None
    if obj is Ellipsis:
        return "ellipsis", None
    if isinstance(obj, _BOOL_TYPES):
        return "bool", bool(obj)
    if isinstance(obj, _INT_TYPES):
        return "int", int(obj)
    if type(obj) is slice:
        return "slice", obj
    if isinstance(obj, _Tensor):
        a = obj._data
        if a.ndim == 0 and a.dtype.kind in "iub":
            if a.dtype.kind == "b" or a.dtype == np.uint8:
                return "bool", bool(a)
            return "int", int(a)
        return "tensor", obj
    if isinstance(obj, _nd) and obj.ndim == 0 and obj.dtype.kind in "iu":
        return "int", int(obj)
    if isinstance(obj, (list, tuple, _nd)):
        return _classify(_to_index_tensor(obj))
    if isinstance(obj, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(obj).__name__}'")
    if hasattr(type(obj), "__index__") and not isinstance(obj, (float, complex)):
        return "int", operator.index(obj)
    if isinstance(obj, (float, complex)):
        return "invalid", obj           # refused in place (it still counts as a dimension)
    _refuse_index(obj)


def _refuse_index(obj):
    raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                     f"Variables are valid indices (got {type(obj).__name__})")


def _select_checked(t, dim, i, real_dim):
    n = t._data.shape[dim]
    if not -n <= i < n:
        raise IndexError(f"index {i} is out of bounds for dimension {real_dim} with size {n}")
    return _select(t, dim, i)


def _slice_checked(t, dim, s, optimize):
    step = 1 if s.step is None else operator.index(s.step)
    if step == 0:
        raise ValueError("slice step cannot be zero")
    if step < 0:
        raise ValueError("step must be greater than zero. Hint: use t.flip(dim) to reverse a "
                         "tensor (negative steps are not supported, as in PyTorch).")
    n = t._data.shape[dim]
    start, stop, step = slice(s.start, s.stop, step).indices(n)
    if stop < start:
        stop = start
    # the skip looks at the slice as written: start 0 (or none), stop at least the length
    if optimize and step == 1 and s.start in (None, 0) and \
            (s.stop is None or operator.index(s.stop) >= n):
        return t
    return _slice(t, dim, start, stop, step)


_EMPTY_LONG = np.zeros((0,), np.int64)
_ZERO_LONG = np.zeros((1,), np.int64)


def _apply_slicing(self, items):
    """Note [Basic indexing is a chain of view ops]. Returns the view and the advanced
    indices still to apply (a list for ``index``/``index_put_``, empty when none)."""
    ndim = self._data.ndim
    parsed = [_classify(o) for o in items]
    specified = 0
    for kind, v in parsed:
        if kind in ("int", "slice", "invalid"):
            specified += 1
        elif kind == "tensor":
            a = v._data
            specified += a.ndim if (a.dtype.kind == "b" or a.dtype == np.uint8) else 1
    if specified > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    result = self
    dim = real_dim = 0
    recorded = []              # (dim, tensor)
    for kind, v in parsed:
        if kind == "int":
            result = _select_checked(result, dim, v, real_dim)
            real_dim += 1
        elif kind == "slice":
            result = _slice_checked(result, dim, v, True)
            dim += 1
            real_dim += 1
        elif kind == "none":
            result = _unsqueeze(result, dim)
            dim += 1
            real_dim += 1
        elif kind == "invalid":
            _refuse_index(v)
        elif kind == "ellipsis":
            dim += ndim - specified
            real_dim += 1          # PyTorch names a dimension by its item's position
        elif kind == "bool":
            result = _unsqueeze(result, dim)
            recorded.append((dim, T.wrap(_ZERO_LONG.copy() if v else _EMPTY_LONG.copy())))
            dim += 1
            real_dim += 1
        else:
            a = v._data
            recorded.append((dim, v))
            dim += a.ndim if (a.dtype.kind == "b" or a.dtype == np.uint8) else 1
            real_dim += 1
    if not recorded:
        return result, None
    lst, covered = [], 0
    for d, t in recorded:
        while covered < d:
            lst.append(None)
            covered += 1
        lst.append(t)
        a = t._data
        covered += a.ndim if (a.dtype.kind == "b" or a.dtype == np.uint8) else 1
    return result, lst


def _zero_dim_index(i):
    """PyTorch's refusal of ``t[i]`` on a 0-dim ``t``: 0 gets a pointer to ``item()``, any
    other number is out of bounds of a size-0 dimension."""
    if i == 0:
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python "
                         "or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    raise IndexError(f"index {i} is out of bounds for dimension 0 with size 0")


def getitem(self, idx):
    """``self[index]``: a tracked view for basic indices, a copy (``index``) otherwise."""
    t = type(idx)
    if t is int:
        shape = self._data.shape
        if shape and -shape[0] <= idx < shape[0]:
            return _select(self, 0, idx)
        if not shape:
            _zero_dim_index(idx)
        return _select_checked(self, 0, idx, 0)
    if t is slice:
        if self._data.ndim == 0:
            if idx.step == 0:
                raise ValueError("slice step cannot be zero")
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        return _slice_checked(self, 0, idx, False)
    if idx is None:
        return _unsqueeze(self, 0)
    if idx is Ellipsis:
        return _alias(self)
    result, indices = _apply_slicing(self, _items(idx))
    if indices is None:
        return _alias(result) if result is self else result
    return index(result, indices)


def _strip_leading_ones(v):
    shape = v._data.shape
    k = 0
    while k < len(shape) and shape[k] == 1:
        k += 1
    return _view(v, shape[k:]) if k else v


def _copy_to(dst, value):
    """PyTorch's ``copy_to``: one write of ``value`` into ``dst``."""
    if not isinstance(value, _Tensor):
        value = _value_tensor(dst, value)      # PyTorch's valueToTensor: dst's dtype
    if value._data.shape == dst._data.shape:
        return copy_(dst, value)
    if value._data.ndim == 0:
        return fill_tensor(dst, value)
    src = _strip_leading_ones(value)
    if src._data.shape != dst._data.shape:
        src = _expand(src, dst._data.shape)
    return copy_(dst, src)


_NUMBER_TYPES = (bool, int, float, complex, np.number, np.bool_)


def setitem(self, idx, value):
    """Note [Setitem is a view plus one write]."""
    if not isinstance(value, (_Tensor,) + _NUMBER_TYPES):
        raise TypeError(f"can't assign a {type(value).__name__} to a "
                        f"{legacy_type_name(self.dtype)}")
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, _Tensor):
        checked_scalar(value, self._data.dtype)   # a number that does not fit fails first
    if idx is False:
        return
    t = type(idx)
    if t is int:
        if self._data.ndim == 0:
            _zero_dim_index(idx)
        _copy_to(_select_checked(self, 0, idx, 0), value)
        return
    if idx is Ellipsis:
        _copy_to(self, value)
        return
    if t is slice and self._data.ndim == 0:
        if idx.step == 0:
            raise ValueError("slice step cannot be zero")
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    if idx is True:              # alone, a True is a new leading dimension (no index_put_)
        _copy_to(_unsqueeze(self, 0), value)
        return
    result, indices = _apply_slicing(self, _items(idx))
    if indices is None:
        _copy_to(result, value)
        return
    v = _value_tensor(self, value)
    index_put_(result, indices, _strip_leading_ones(v))


method("__getitem__", getitem)
method("__setitem__", setitem)


# -- masked_select / nonzero / take --------------------------------------------------------
def _masked_select_np(a, mask):
    if mask.dtype.kind != "b":
        raise RuntimeError("masked_select: expected BoolTensor for mask. Hint: pass mask.bool() "
                           "or a comparison such as t > 0.")
    try:
        shape = np.broadcast_shapes(a.shape, mask.shape)
    except ValueError:
        from ._util import broadcast_error
        raise broadcast_error(mask.shape, a.shape) from None
    return _dense(np.broadcast_to(a, shape)[np.broadcast_to(mask, shape)])


def _masked_select_backward(grad, self_shape, mask):
    shape = np.broadcast_shapes(tuple(self_shape), mask._data.shape)
    if shape == ():          # a 0-d mask is no index: go through one-element views
        return V.reshape(_masked_select_backward(grad, (1,), V.reshape(mask, (1,))), ())
    z = T.wrap(np.zeros(shape, grad._data.dtype))
    m = mask if mask._data.shape == shape else _expand(mask, shape)
    return index_put(z, [m], grad, True)


masked_select = defop("masked_select(Tensor self, Tensor mask) -> Tensor", _masked_select_np,
                      grad={"self": "ix_masked_select_backward(grad, self.shape, mask)"})
method("masked_select", masked_select)


def _nonzero_np(a):
    return np.argwhere(a).astype(np.int64, copy=False)


nonzero = defop("nonzero(Tensor self) -> Tensor", _nonzero_np)


def _nonzero_method(self, *, as_tuple=False):
    if not as_tuple:
        return nonzero(self)
    src = V.view(self, (1,)) if self._data.ndim == 0 else self
    nz = nonzero(src)
    return tuple(T.wrap(nz._data[:, i].copy())
                 for i in range(nz._data.shape[1]))


method("nonzero", _nonzero_method)
method("argwhere", lambda self: nonzero(self))


def _take_np(a, idx):
    if idx.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got "
                           f"{D._BY_NP[idx.dtype].short}")
    n = a.size
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = idx.reshape(-1)[np.argmax(((idx < -n) | (idx >= n)).reshape(-1))]
        raise IndexError(f"out of range: tried to access index {int(bad)} on a tensor of {n} "
                         "elements.")
    return _dense(a.reshape(-1)[idx])


def _take_backward(grad, self_shape, idx):
    n = 1
    for s in self_shape:
        n *= s
    z = T.wrap(np.zeros((n,), grad._data.dtype))
    flat_idx = V.reshape(idx, (-1,))
    flat_g = V.reshape(grad, (-1,))
    return V.reshape(index_put(z, [flat_idx], flat_g, True), tuple(self_shape))


take = defop("take(Tensor self, Tensor index) -> Tensor", _take_np,
             grad={"self": "ix_take_backward(grad, self.shape, index)"})
method("take", take)


# -- index_fill ----------------------------------------------------------------------------
def _index_fill_plan(a, dim, idx, value, tensor_value):
    """Validate an index_fill completely (PyTorch's order and texts); return where to write
    and the converted value."""
    d = wrap_dim(dim, a.ndim)
    if idx.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index. Hint: pass "
                         "index.long().")
    if idx.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    if tensor_value and type(value) is _nd and value.ndim != 0:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got "
                           f"tensor with {value.ndim} dimension(s).")
    n = a.shape[d] if a.ndim else 1
    flat = idx.reshape(-1)
    bad = (flat < -n) | (flat >= n)
    if bad.any():
        raise IndexError(f"index {int(flat[np.argmax(bad)])} is out of bounds for dimension "
                         f"{d} with size {n}")
    v = checked_scalar(value.item() if type(value) is _nd else value, a.dtype)
    if a.ndim == 0:
        return (Ellipsis,) if flat.size else None, v
    where = [slice(None)] * a.ndim
    where[d] = flat % n if n else flat
    return tuple(where), v


def _index_fill_np(tensor_value):
    def functional(a, dim, idx, value):
        where, v = _index_fill_plan(a, dim, idx, value, tensor_value)
        out = a.copy()
        if where is not None:
            out[where] = v
        return out

    def inplace(a, dim, idx, value):
        where, v = _index_fill_plan(a, dim, idx, value, tensor_value)
        if where is not None:
            writable_dest(a, True)[where] = v
    return functional, inplace


def _index_fill_value_grad(grad, dim, idx):
    """The value's gradient: the sum over the *distinct* filled slices (as PyTorch)."""
    if grad._data.ndim == 0:
        return grad if idx._data.size else grad * 0
    d = wrap_dim(dim, grad._data.ndim)
    n = max(grad._data.shape[d], 1)
    uniq = T.wrap(np.unique(idx._data.reshape(-1) % n))
    return index(grad, [None] * d + [uniq]).sum()


_FILL_SELF = {"self": "grad.index_fill(dim, index, 0)"}
_fs, _is = _index_fill_np(False)
_ft, _it = _index_fill_np(True)
index_fill_scalar = defop("index_fill.int_Scalar(Tensor self, int dim, Tensor index, "
                          "Scalar value) -> Tensor", keep_layout(_fs, 0), grad=_FILL_SELF,
                          node_name="IndexFillBackward0")
index_fill_scalar_ = defop("index_fill_.int_Scalar(Tensor(a!) self, int dim, Tensor index, "
                           "Scalar value) -> Tensor(a!)", _is, grad=_FILL_SELF,
                           node_name="IndexFillBackward0")
_FILL_BOTH = dict(_FILL_SELF, value="ix_index_fill_value_grad(grad, dim, index)")
index_fill_tensor = defop("index_fill.int_Tensor(Tensor self, int dim, Tensor index, "
                          "Tensor value) -> Tensor", keep_layout(_ft, 0), grad=_FILL_BOTH,
                          node_name="IndexFillBackward1")
index_fill_tensor_ = defop("index_fill_.int_Tensor(Tensor(a!) self, int dim, Tensor index, "
                           "Tensor value) -> Tensor(a!)", _it, grad=_FILL_BOTH,
                           node_name="IndexFillBackward1")
method("index_fill", lambda self, dim, index, value: (
    index_fill_tensor if isinstance(value, _Tensor) else index_fill_scalar)(
        self, dim, index, value))
method("index_fill_", lambda self, dim, index, value: (
    index_fill_tensor_ if isinstance(value, _Tensor) else index_fill_scalar_)(
        self, dim, index, value))

FORMULA_NS.update(ix_index_fill_value_grad=_index_fill_value_grad)
FORMULA_NS.update(ix_index_backward=_index_backward, ix_zero_at=_zero_at,
                  ix_index=lambda grad, indices: index(grad, list(indices)),
                  ix_masked_select_backward=_masked_select_backward,
                  ix_take_backward=_take_backward)
