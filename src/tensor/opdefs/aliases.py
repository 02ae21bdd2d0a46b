"""PyTorch's alternative names and small conveniences, defined by what they stand for.

Each entry is PyTorch's own definition in terms of another op (``multiply`` is ``mul``,
``movedim`` a permutation, ``addcmul`` ``self + value * t1 * t2`` evaluated left to right
as PyTorch's kernel does), so values, dtypes and views follow from those ops.
"""

from __future__ import annotations

import math

from .. import _dtype as D
from .._defop import method
from .._tensor import Tensor

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
                   ("ndimension", "dim"), ("sgn", "sign"), ("sgn_", "sign_")):
    if hasattr(_T, _old) and not hasattr(_T, _new):
        _alias(_new, _old)


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
method("broadcast_to", lambda self, size: self.expand(*size))
method("flipud", lambda self: self.flip(0))
method("fliplr", lambda self: self.flip(1))


def _tile(self, *dims):
    dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (list, tuple)) else dims
    if len(dims) < self.dim():
        dims = (1,) * (self.dim() - len(dims)) + tuple(dims)
    return self.repeat(*dims)


method("tile", _tile)


def _unflatten(self, dim, sizes):
    nd = self.dim()
    d = dim % nd if -nd <= dim < nd else _bad_dim(dim, nd)
    shape = list(self.shape)
    return self.view(*shape[:d], *sizes, *shape[d + 1:])


method("unflatten", _unflatten)
method("isposinf", lambda self: self.isinf() & (self > 0))
method("isneginf", lambda self: self.isinf() & (self < 0))


def _addcmul(self, tensor1, tensor2, *, value=1):
    return self + value * tensor1 * tensor2


def _addcdiv(self, tensor1, tensor2, *, value=1):
    if not (tensor1.dtype.is_floating_point or tensor2.dtype.is_floating_point):
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a "
                           "future  release addcdiv will perform a true division of tensor1 "
                           "and tensor2. The historic addcdiv behavior can be implemented as "
                           "(input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) "
                           "for integer inputs and as (input + value * tensor1 / tensor2) for "
                           "float inputs. The future addcdiv behavior is just the latter "
                           "implementation: (input + value * tensor1 / tensor2), for all "
                           "dtypes.")
    return self + value * tensor1 / tensor2


method("addcmul", _addcmul)
method("addcdiv", _addcdiv)
method("addcmul_", lambda self, tensor1, tensor2, *, value=1:
       self.add_(value * tensor1 * tensor2))
def _addcdiv_(self, tensor1, tensor2, *, value=1):
    _addcdiv(self, tensor1, tensor2, value=value) if not (
        tensor1.dtype.is_floating_point or tensor2.dtype.is_floating_point) else None
    return self.add_(value * tensor1 / tensor2)


method("addcdiv_", _addcdiv_)

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
method("nansum", lambda self, dim=None, keepdim=False, *, dtype=None:
       self.where(~self.isnan(), 0).sum(dim, keepdim, dtype=dtype) if dim is not None
       else self.where(~self.isnan(), 0).sum(dtype=dtype))
_ = (math, D)
