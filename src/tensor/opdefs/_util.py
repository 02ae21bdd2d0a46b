"""Helpers for numpy kernels: PyTorch's promotion on unwrapped operands, its error texts."""

from __future__ import annotations

import functools

import numpy as np
from numpy.lib.stride_tricks import as_strided as _as_strided

from .. import _dtype as D
from .._tensor import Tensor as _Tensor

_nd = np.ndarray
_BY_NP = D._BY_NP


# A Python int is a 64-bit scalar in PyTorch: int64, or uint64 from 2**63 on.
I64_MIN, U64_END = -2 ** 63, 2 ** 64


def check_py_int(x):
    """PyTorch's refusal of a Python int that fits neither int64 nor uint64."""
    if x >= U64_END:
        raise OverflowError("int too big to convert")
    if x < I64_MIN:
        raise OverflowError("can't convert negative int to unsigned")


def np_result_type(*xs) -> np.dtype:
    """PyTorch's result dtype for unwrapped operands: arrays with dims, 0-d arrays (0-dim
    tensors) and Python numbers form the three tiers of Note [Promotion is PyTorch's]."""
    if len(xs) == 2:
        a, b = xs
        if type(a) is _nd and type(b) is _nd and a.dtype == b.dtype:
            return a.dtype            # the common case: same dtype, no promotion
    dim_t = zero_t = num = None
    unsigned64 = False
    for x in xs:
        if type(x) is _nd:
            d = _BY_NP[x.dtype]
            if x.ndim:
                dim_t = d if dim_t is None else D._PROMO[(dim_t, d)]
            else:
                zero_t = d if zero_t is None else D._PROMO[(zero_t, d)]
        elif x is None:
            continue
        else:
            if type(x) is int and not -0x8000000000000000 <= x <= 0x7FFFFFFFFFFFFFFF:
                check_py_int(x)
                unsigned64 = True     # 2**63 <= x < 2**64: a uint64 scalar
            d = D._scalar_dtype(x)
            num = d if num is None else D._PROMO[(num, d)]
    res = D._combine(dim_t, zero_t)
    if num is not None:
        if unsigned64 and num.category == 1 and res is not None and res.category == 0:
            raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, "
                               f"attempted to promote {res.short} and UInt64")
        # (PyTorch's combine_categories: dims over 0-dim tensors over numbers)
        res = D._combine(dim_t, D._combine(zero_t, D._number_default(num)))
    return res.np


# -- operands in the computation dtype ----------------------------------------------------
_U64_MASK = 2 ** 64 - 1
_IGNORE = dict(over="ignore", invalid="ignore")
_INF = float("inf")
_EXACT = 2 ** 53
_FMAX = {np.dtype(t): float(np.finfo(t).max) for t in (np.float16, np.float32, np.float64)}
_FMAX.update({np.dtype(np.complex64): _FMAX[np.dtype(np.float32)],
              np.dtype(np.complex128): _FMAX[np.dtype(np.float64)]})
_INTS = [np.dtype(t) for t in (np.uint8, np.int8, np.int16, np.int32, np.int64)]
_IMIN = {d: int(np.iinfo(d).min) for d in _INTS}
_IMAX = {d: int(np.iinfo(d).max) for d in _INTS}


def scalar_as(x, dt):
    """A Python number as a 0-d array of ``dt``, converted the way PyTorch converts a wrapped
    number into the computation dtype: an int wraps around an integer dtype (``-1`` is 255 in
    uint8), a value too large for a floating dtype becomes inf."""
    t = type(x)
    if t is float and dt.kind in "fc" and not abs(x) > _FMAX[dt]:
        return np.array(x, dt)          # the common case, nothing to wrap or overflow
    if t is int and dt.kind in "fc" and -_EXACT <= x <= _EXACT and abs(x) <= _FMAX[dt]:
        return np.array(float(x), dt)   # exact in float64: one rounding, as from int64
    if t is int:
        if dt.kind in "iu":
            if _IMIN[dt] <= x <= _IMAX[dt]:
                return np.array(x, dt)
            return np.array(x & _U64_MASK, np.uint64).astype(dt)
        if dt.kind == "b":
            return np.array(x != 0)
        src = np.array(x, np.int64 if x < 2 ** 63 else np.uint64)
    else:
        src = np.asarray(x)
    with np.errstate(**_IGNORE):
        return src.astype(dt)


def as_operand(x, dt):
    """``x`` (an array or a Python number) as an operand of dtype ``dt``: PyTorch casts every
    operand to the computation dtype before computing (integers wrap)."""
    if type(x) is _nd:
        if x.dtype == dt:
            return x
        with np.errstate(**_IGNORE):
            return x.astype(dt)
    return scalar_as(x, dt)


# PyTorch names the C++ type in "value cannot be converted to type ... without overflow"
_CTYPE = {"bool": "bool", "uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t",
          "int32": "int", "int64": "int64_t", "float16": "c10::Half", "float32": "float",
          "float64": "double", "complex64": "c10::complex<float>",
          "complex128": "c10::complex<double>"}


def checked_scalar(x, dt):
    """A Scalar argument (``alpha``, clamp bounds, a ``where`` value, a pow exponent) as a
    0-d array of ``dt``, refused like PyTorch when it does not fit: an integer dtype takes
    [min, max] (an unsigned one also the negatives down to -max, which wrap), a floating one
    any value up to its largest finite magnitude (inf and nan pass)."""
    t = type(x)
    if t is float and dt.kind == "f":   # the common cases first
        v = abs(x)
        if v <= _FMAX[dt] or v == _INF or v != v:
            return np.array(x, dt)
        raise _overflow(dt)
    if t is int and dt.kind in "iu" and _IMIN[dt] <= x <= _IMAX[dt]:
        return np.array(x, dt)
    if t is int and dt.kind == "f" and -_EXACT <= x <= _EXACT:
        if abs(x) <= _FMAX[dt]:
            return np.array(float(x), dt)
        raise _overflow(dt)
    if t is int:
        check_py_int(x)
    if dt.kind in "iu" and (t is int or isinstance(x, np.integer)):
        hi = _IMAX[dt]
        if not (_IMIN[dt] if dt.kind == "i" else -hi) <= int(x) <= hi:
            raise _overflow(dt)
    elif dt.kind in "fc" and t is not bool and not isinstance(x, (complex, np.complexfloating)):
        v = abs(float(x))
        if _FMAX[dt] < v < _INF:
            raise _overflow(dt)
    return scalar_as(x, dt)


def _overflow(dt):
    return RuntimeError(f"value cannot be converted to type {_CTYPE[dt.name]} without "
                        "overflow")


def not_implemented(kernel, dt):
    """PyTorch's refusal of a dtype its kernel was not built for."""
    return NotImplementedError(f'"{kernel}" not implemented for \'{_BY_NP[np.dtype(dt)].short}\'')


def is_operand(x):
    """Whether ``x`` can be a (wrapped) operand: an array or a number."""
    return type(x) in _OPERAND_TYPES or isinstance(x, (_nd, np.generic))


_OPERAND_TYPES = {_nd, int, float, bool, complex}


def type_name(x):
    return "Tensor" if isinstance(x, _nd) else type(x).__name__


def broadcast_error(*shapes):
    """PyTorch's text for shapes that do not broadcast (the rightmost clash)."""
    a, b = shapes[0], shapes[1] if len(shapes) > 1 else ()
    nd = max(len(a), len(b))
    pa = (1,) * (nd - len(a)) + tuple(a)
    pb = (1,) * (nd - len(b)) + tuple(b)
    for i in range(nd - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return RuntimeError(
                f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) at "
                f"non-singleton dimension {i}. Hint: shapes {list(a)} and {list(b)} do not "
                "broadcast; reshape or unsqueeze one of them.")
    return RuntimeError(f"shapes {list(a)} and {list(b)} cannot be broadcast together")


def shape_of(x):
    return x.shape if type(x) is _nd else ()


def check_inplace_result(self_arr, res_shape, res_dtype):
    """Before an in-place write: the result must fit ``self`` and be castable to its dtype."""
    if tuple(res_shape) != self_arr.shape:
        raise RuntimeError(
            f"output with shape [{', '.join(map(str, self_arr.shape))}] doesn't match the "
            f"broadcast shape [{', '.join(map(str, res_shape))}]. Hint: an in-place op cannot "
            "grow its tensor; use the out-of-place op.")
    rd = _BY_NP[np.dtype(res_dtype)]
    sd = _BY_NP[self_arr.dtype]
    if rd.category > sd.category:
        raise RuntimeError(
            f"result type {rd.short} can't be cast to the desired output type {sd.short}. "
            "Hint: convert the tensor first (e.g. t = t.float()) or use the out-of-place op.")


def wrap_dim(dim, ndim):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


def dims_arg(dim, ndim):
    """Normalise a ``dim`` argument (None, int or list) to a tuple of non-negative dims."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (int, np.integer)):
        return (wrap_dim(int(dim), ndim),)
    if len(dim) == 0:
        return tuple(range(ndim))
    return tuple(sorted(wrap_dim(int(d), ndim) for d in dim))


try:                                   # numpy >= 2 moved it
    from numpy.lib.array_utils import byte_bounds as _byte_bounds
except ImportError:                    # pragma: no cover - numpy 1.x
    _byte_bounds = np.byte_bounds


def column_major(a) -> bool:
    """A 2-d array laid out column by column (a transposed row-major matrix)."""
    return a.ndim == 2 and a.strides[0] == a.itemsize and a.strides[1] == a.shape[0] * a.itemsize


def column_major_layout(shape, strides) -> bool:
    """``column_major`` from sizes and strides in elements (what a node keeps)."""
    return len(shape) == 2 and strides[0] == 1 and strides[1] == shape[0]


def _non_overlapping_and_dense(a) -> bool:
    """Strides that lay the elements out densely, in some order of the dims."""
    if a.size <= 1:
        return True
    dims = sorted((st, n) for n, st in zip(a.shape, a.strides) if n != 1)
    expected = a.itemsize
    for st, n in dims:
        if st != expected:
            return False
        expected *= n
    return True


def check_no_overlap(out, inputs):
    """PyTorch's memory-overlap rules for a written tensor, checked before anything else:
    the written tensor may not have elements that share memory (an ``expand``-ed view), and an
    input may not *partly* overlap it (exactly the same memory is fine)."""
    if out.base is None:
        # ``out`` owns a fresh allocation (so no element repeats), and arrays that own theirs
        # cannot share a byte with it: the common case, decided without address arithmetic
        for b in inputs:
            if type(b) is _nd and b.base is not None:
                break
        else:
            return
    if out.size and any(st == 0 and n > 1 for n, st in zip(out.shape, out.strides)):
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a "
            "single memory location. Please clone() the tensor before performing the "
            "operation.")
    if not _non_overlapping_and_dense(out) or out.size == 0:
        return
    lo = out.__array_interface__["data"][0]
    hi = lo + out.size * out.itemsize
    for b in inputs:
        if type(b) is not _nd or b is out or b.size == 0 or not _non_overlapping_and_dense(b):
            continue
        blo = b.__array_interface__["data"][0]
        bhi = blo + b.size * b.itemsize
        # the same memory with the same layout is a full overlap, which is allowed
        same = blo == lo and bhi == hi and b.strides == out.strides
        if blo < hi and lo < bhi and not same:
            raise RuntimeError(
                "unsupported operation: some elements of the input tensor and the written-to "
                "tensor refer to a single memory location. Please clone() the tensor before "
                "performing the operation.")


def expanded(a, shape):
    """A read-only view of ``a`` broadcast to ``shape`` (a tuple that ``a.shape`` expands
    to; not checked here), with PyTorch's expand strides: a dim that keeps its size keeps its
    stride, a new or widened dim has stride 0.

    Note [Fast expand]: ``np.broadcast_to`` builds an iterator in Python and costs several
    µs, more than the rest of a tiny backward node (a ``sum()``'s gradient is an expand).
    For a C-contiguous ``a`` the view is made directly on its buffer; anything else goes
    through ``as_strided``. Either way the view is read-only, as numpy's broadcasts are."""
    lead = len(shape) - a.ndim
    if lead == len(shape):                       # a 0-d array: every dim is new
        strides = (0,) * lead
    else:
        sh, st = a.shape, a.strides
        strides = tuple([st[i - lead] if i >= lead and sh[i - lead] == shape[i] else 0
                         for i in range(len(shape))])
    if a.flags.c_contiguous and a.size:
        r = _nd(shape, a.dtype, a, 0, strides)
        r.setflags(write=False)
        return r
    return _as_strided(a, shape, strides, writeable=False)


def storage_root(arr):
    """The ndarray owning the memory ``arr`` views (through numpy views and the helper
    object ``as_strided`` leaves in between)."""
    r = arr
    while True:
        b = r.base
        if isinstance(b, np.ndarray):
            r = b
        elif b is not None and isinstance(getattr(b, "base", None), np.ndarray):
            r = b.base
        else:
            return r


def dim_order(shape, strides):
    """The dims of a result of ``shape``, fastest-moving first, ordered as PyTorch's
    TensorIterator orders them from the operands' ``strides`` (one tuple per operand, in
    operand order; see Note [Elementwise results follow the first operand's layout])."""
    nd = len(shape)

    def should_swap(d0, d1):
        for s in strides:
            s0, s1 = s[d0], s[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return 1 if s0 > s1 else -1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    return sort_dims(nd, should_swap)


def sort_dims(nd, should_swap):
    """PyTorch's insertion sort of dims, fastest-moving first: ``should_swap(d0, d1)`` is 1
    when ``d0`` moves faster than ``d1``, -1 when slower, 0 when the pair is unordered (then it
    stays in place)."""
    perm = list(range(nd - 1, -1, -1))
    for i in range(1, nd):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    return perm


def dense_copy(a, dtype=None):
    """A copy of ``a`` laid out densely with its dims in the order of ``a``'s strides, as
    PyTorch's ``preserve_format`` lays out a copy of a tensor that is not dense itself."""
    strides = tuple(st // a.itemsize for st in a.strides)
    slow_first = dim_order(a.shape, [strides])[::-1]
    out = np.empty([a.shape[d] for d in slow_first], a.dtype if dtype is None else dtype)
    out = out.transpose(np.argsort(slow_first))
    np.copyto(out, a, casting="unsafe")
    return out


def preserved_copy(a, dtype=None):
    """A copy of ``a`` (cast to ``dtype``) laid out as PyTorch's ``preserve_format`` lays it
    out: a dense ``a``'s strides exactly (those of dims of size 1 too), else
    :func:`dense_copy`'s."""
    dt = a.dtype if dtype is None else np.dtype(dtype)
    if not _non_overlapping_and_dense(a):
        return dense_copy(a, dt) if a.ndim > 1 else np.array(a, dtype=dt, copy=True)
    r = np.array(a, dtype=dt, copy=True, order="K")
    if a.ndim < 2 or a.size < 2:
        return r
    k, ka = r.itemsize, a.itemsize
    return with_strides(r, tuple(st // ka * k for st in a.strides))


@functools.lru_cache(maxsize=512)
def c_strides(shape, step=1):
    """The strides of a C-contiguous tensor of ``shape`` (in units of ``step``), as PyTorch
    gives them: a dim of size 1 (or 0) counts as one element long."""
    out = [0] * len(shape)
    for i in range(len(shape) - 1, -1, -1):
        out[i] = step
        n = shape[i]
        if n > 1:
            step *= n
    return tuple(out)


def with_strides(r, want):
    """``r``'s values laid out densely with byte strides ``want``: ``r`` itself when it has
    them, a view of it when only strides of dims of size 1 differ (such a stride never moves
    in memory, so any value does), else a copy."""
    have, shape = r.strides, r.shape
    if have == want:
        return r
    if any(w != h and n != 1 for w, h, n in zip(want, have, shape)):
        slow_first = sort_dims(r.ndim, lambda d0, d1: (want[d0] > want[d1]) - (
            want[d0] < want[d1]))[::-1]
        out = np.empty([shape[d] for d in slow_first], r.dtype).transpose(
            np.argsort(slow_first))
        np.copyto(out, r)
        if out.strides == want:
            return out
        r = out
    return _as_strided(r, shape, want)


def contiguous_result(r):
    """``r`` with PyTorch's C-contiguous strides, including those of dims of size 1 (numpy's
    C-contiguous flag ignores them): what a kernel returns that allocates its result with
    ``at::empty(sizes)`` (reductions, softmax, scans, norms, padding, gather ...)."""
    if r.__class__ is not _nd or r.ndim == 0 or r.size == 0:
        return r
    if not r.flags.c_contiguous:
        return np.ascontiguousarray(r)
    want = c_strides(r.shape, r.itemsize)
    return r if r.strides == want else _as_strided(r, r.shape, want)


def contiguous_layout(kernel):
    """``kernel`` (numpy arrays in, fresh results out: one array or a tuple/list of them) with
    its results laid out C-contiguously as PyTorch's are (:func:`contiguous_result`)."""
    def contiguous(*args):
        r = kernel(*args)
        if r.__class__ is _nd:
            # (C-contiguous without dims of size 1: numpy's strides are PyTorch's)
            if r.flags.c_contiguous and (1 not in r.shape or r.size == 0 or r.strides
                                         == c_strides(r.shape, r.itemsize)):
                return r
            return contiguous_result(r)
        if r.__class__ is tuple or r.__class__ is list:
            return r.__class__(contiguous_result(x) for x in r)
        return r
    # (an inline fast path is kept: those of reductions give 0-dim results)
    for attr in ("fast",):
        if hasattr(kernel, attr):
            setattr(contiguous, attr, getattr(kernel, attr))
    return contiguous


def elementwise_layout(r, operands, scalar=False):
    """``r``, the fresh result of an elementwise op over ``operands``, laid out in memory as
    PyTorch lays it out (Note [Elementwise results follow the first operand's layout]).
    ``scalar``: PyTorch also passes a wrapped number (a 0-dim tensor) to its TensorIterator.

    Note [Elementwise results follow the first operand's layout]
        PyTorch's TensorIterator gives a result of operands that all have the result's shape
        (and no wrapped number among them) C-contiguous strides when they are all contiguous,
        and their own strides when they share them and are dense. Otherwise it orders the
        result's dims by the operands' strides, asking the operands in turn and taking the
        first one that tells two dims apart (a broadcast dim, stride 0, tells nothing); equal
        strides put the smaller dim first; each dim's stride (a dim of size 1 too) is then
        the number of elements of the dims ordered before it. numpy's ``order="K"`` asks
        every operand too, but settles a disagreement with C order: a transposed matrix plus
        a contiguous one gives a contiguous result in numpy and a transposed one in PyTorch;
        and it picks other strides for dims of size 1."""
    nd = r.ndim
    if nd < 2 or r.size < 2:
        return r
    shape = r.shape
    arrs = [o for o in operands if o.__class__ is _nd]
    if not arrs:
        return r
    k = r.itemsize
    if not scalar and all(o.shape == shape for o in arrs):
        if all(o.flags.c_contiguous for o in arrs):
            return with_strides(r, c_strides(shape, k))
        last = arrs[-1]
        first = tuple(st // last.itemsize for st in last.strides)
        if all(_non_overlapping_and_dense(o)
               and tuple(st // o.itemsize for st in o.strides) == first for o in arrs):
            return with_strides(r, tuple(st * k for st in first))
    strides = []
    for o in arrs:
        if o.ndim == 0:
            continue
        lead = nd - o.ndim
        strides.append((0,) * lead + tuple(0 if n == 1 and shape[lead + i] != 1 else st
                                           for i, (n, st) in enumerate(zip(o.shape, o.strides))))
    if not strides:
        return with_strides(r, c_strides(shape, k))
    want = [0] * nd
    step = k
    for d in dim_order(shape, strides):
        want[d] = step
        step *= shape[d]
    return with_strides(r, tuple(want))


def _is_number(x):
    return isinstance(x, (int, float, complex, np.number)) and not isinstance(x, np.ndarray)


def _elementwise_result(r, ops, pos):
    """Note [Elementwise results follow the first operand's layout] for :func:`keep_layout`:
    numpy already agrees when every operand is C-contiguous, unless a wrapped number or a
    broadcast operand makes PyTorch order the dims of a result with dims of size 1."""
    if r.__class__ is not _nd or r.ndim < 2:
        return r
    for o in ops:
        if o.__class__ is _nd and not o.flags.c_contiguous:
            return elementwise_layout(r, ops, bool(pos) and any(map(_is_number, ops)))
    if 1 in r.shape:
        scalar = bool(pos) and any(map(_is_number, ops))
        if scalar or any(o.__class__ is _nd and o.shape != r.shape for o in ops):
            return elementwise_layout(r, ops, scalar)
    return r


def keep_layout(kernel, *operand_positions):
    """``kernel`` (numpy arrays in, a fresh result or a tuple of them out) with its results
    laid out as PyTorch's elementwise results are (Note [Elementwise results follow the first
    operand's layout]), looking at the arguments at ``operand_positions`` (default: every
    array argument; a number at one of the given positions is a wrapped number). An inline
    fast path of ``kernel`` is kept, for C-contiguous first operands only."""
    pos = operand_positions
    if len(pos) == 1:
        (p0,) = pos

        def kept(*args):
            # one operand: numpy agrees unless it is laid out other than C-contiguously
            r = kernel(*args)
            a = args[p0]
            if a.__class__ is not _nd or a.flags.c_contiguous:
                return r
            if r.__class__ is tuple:
                return tuple(elementwise_layout(x, (a,)) if x.__class__ is _nd else x
                             for x in r)
            return elementwise_layout(r, (a,)) if r.__class__ is _nd else r
    else:
        def kept(*args):
            r = kernel(*args)
            ops = [args[i] for i in pos] if pos else args
            if r.__class__ is tuple:
                return tuple(_elementwise_result(x, ops, pos) for x in r)
            return _elementwise_result(r, ops, pos)
    fast = getattr(kernel, "fast", None)
    if fast is not None:
        when, then, env = fast
        test = ("d0.flags.c_contiguous" if len(pos) == 1
                else "(d1.__class__ is not _nd or d0.flags.c_contiguous)")
        kept.fast = (f"({when}) and {test}", then, env)
    for attr in ("ufunc", "scalar_chars"):
        if hasattr(kernel, attr):
            setattr(kept, attr, getattr(kernel, attr))
    return kept


def conj_if_complex(x):
    """Note [Complex gradients are conjugated]
        PyTorch's gradient of a real loss with respect to a complex ``z`` is
        ``dL/dRe(z) + i dL/dIm(z)``: a holomorphic op's backward multiplies the incoming
        gradient by the conjugate of its derivative (``grad * conj(other)`` for mul). Formulas
        wrap each factor of the derivative in this helper: a complex tensor's conjugated copy
        (``conj_physical``, differentiable), a complex number's conjugate, and the value
        itself for anything real (one test; no copy, no node), so real paths are unchanged."""
    c = x.__class__
    if c is _Tensor:
        return x.conj_physical() if x._data.dtype.kind == "c" else x
    if c is complex:
        return x.conjugate()
    if isinstance(x, _Tensor) and x.dtype.is_complex:
        return x.conj_physical()
    return x
