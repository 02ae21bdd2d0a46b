"""Lazy modules: ``UninitializedParameter`` / ``UninitializedBuffer``, ``LazyModuleMixin`` and
``LazyLinear``, ``LazyConv{1,2,3}d``, ``LazyConvTranspose{1,2,3}d``, ``LazyBatchNorm{1,2,3}d``,
``LazyInstanceNorm{1,2,3}d`` (PyTorch's ``torch.nn.modules.lazy`` and friends).

Note [An uninitialized tensor refuses to be used]
    An uninitialized parameter or buffer holds an empty 1-d tensor (its dtype is the one it
    will be materialized with) and refuses every use but a short list, with PyTorch's
    ValueError "Attempted to use an uninitialized parameter in <method ...>". PyTorch does
    this with ``__torch_function__``; we do it in two places:
    - ops: the tensor carries the dispatch key ``Uninitialized``, the highest key, registered
      when the first such tensor is made. Its fallback refuses every op but the conversions
      (``_to_copy``: ``to``/``double``/``half``... and ``copy_``), which run below the key.
      Other tensors never carry the bit, so ordinary calls pay nothing.
    - Python-level methods (``numel``, ``dim``, ``tolist``, ``requires_grad_``...): the
      classes' ``__getattribute__`` hands back a function that raises, for every public
      Tensor method not on PyTorch's list of allowed ones. Properties (``dtype``,
      ``requires_grad``, ``data``, ``grad``) stay readable; ``shape`` raises RuntimeError.
    ``materialize(shape)`` puts real (uninitialized) memory in place, drops the key and
    turns the object into its ``cls_to_become`` (Parameter / Tensor): identity,
    ``requires_grad`` and dtype are kept, so an optimizer built before still holds it.

Note [A lazy module becomes its plain class]
    ``LazyModuleMixin.__init__`` registers a forward pre-hook and a load_state_dict pre-hook.
    The first call infers the missing size from the input (``initialize_parameters``),
    materializes the parameters, runs ``reset_parameters``, removes both hooks and sets
    ``module.__class__ = cls_to_become`` (``LazyLinear`` -> ``Linear``). Loading a state dict
    that holds real tensors materializes the parameters with their shapes first, then copies
    as usual; the module keeps its lazy class until its first call.
"""

from __future__ import annotations

import itertools

from dispatch import dispatcher as _d
from dispatch import keys as _k
from modes import no_grad

from .. import _tensor as T
from ..opdefs import factories
from .. import _dtype as D
from .module import Parameter
from .modules import Linear
from .layers import (Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d,
                     _BatchNorm, BatchNorm1d, BatchNorm2d, BatchNorm3d, _InstanceNorm,
                     InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, _NormBase)

__all__ = ["UninitializedTensorMixin", "UninitializedParameter", "UninitializedBuffer",
           "is_lazy", "LazyModuleMixin", "LazyLinear", "LazyConv1d", "LazyConv2d",
           "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d",
           "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d",
           "LazyInstanceNorm2d", "LazyInstanceNorm3d"]

_Tensor = T.Tensor


# -- the dispatch key (Note [An uninitialized tensor refuses to be used]) -------------------
_KEY_NAME = "Uninitialized"
_state = {"key": None, "bit": 0}
# ops that run on an uninitialized tensor (PyTorch allows the casts and copy_)
_ALLOWED_OPS = frozenset({"_to_copy", "copy_", "to"})


class _Owner:
    """Owner of the fallback registration (named like a library in dispatch tables)."""
    ns, kind = "nn", "lazy"


_OWNER = _Owner()


def _ensure_key():
    if _state["key"] is None:
        top = _k.all_keys()[-1]
        key = _k.register_key(_KEY_NAME, above=top)
        _d.register_fallback(key, _fallback, owner=_OWNER)
        _state["key"], _state["bit"] = key, key.bit
    return _state["bit"]


def _first_uninitialized(args):
    for a in args:
        if isinstance(a, UninitializedTensorMixin):
            return a
        if isinstance(a, (list, tuple)):
            found = _first_uninitialized(a)
            if found is not None:
                return found
    return None


def _fallback(op, ks, *args):
    name = op.schema.name
    if name in _ALLOWED_OPS:
        out = op.redispatch(ks & _state["key"].below_mask, *args)
        lazy = _first_uninitialized(args)
        if isinstance(lazy, UninitializedBuffer) and type(out) is _Tensor and \
                out is not lazy:
            # PyTorch hands a converted buffer back as an UninitializedBuffer again
            out = _as_uninitialized(UninitializedBuffer, out, lazy)
        return out
    lazy = _first_uninitialized(args)
    cls = type(lazy) if lazy is not None else UninitializedParameter
    raise _use_error(cls, f"<method '{name}' of 'torch._C.TensorBase' objects>")


def _use_error(cls, where):
    return ValueError(
        f"Attempted to use an uninitialized parameter in {where}. This error happens when you "
        "are using a `LazyModule` or explicitly manipulating "
        f"`torch.nn.parameter.{cls.__name__}` objects. When using LazyModules Call `forward` "
        "with a dummy batch to initialize the parameters before calling torch functions")


def _as_uninitialized(cls, t, like=None):
    """``t`` (a fresh tensor) turned into an uninitialized ``cls`` carrying the key."""
    bit = _ensure_key()
    t.__class__ = cls
    t._dispatch_keys |= bit
    if like is not None and like._extra:
        T.own_extra(t).update({k: v for k, v in like._extra.items()
                               if k == "nn_buffer_persistent"})
    return t


# -- the tensors -------------------------------------------------------------------------
# PyTorch's methods that keep working on an uninitialized tensor
_ALLOWED_METHODS = frozenset({"size", "copy_", "is_complex", "is_floating_point", "half",
                              "float", "double", "char", "short", "int", "long", "cuda",
                              "cpu", "to", "get_device", "materialize", "share_memory_"})
# Tensor methods PyTorch writes in Python: its error names them as functions
_PY_METHODS = frozenset({"storage", "is_shared", "backward", "register_hook", "norm", "split",
                         "unique", "unique_consecutive", "stft", "istft", "lu", "unflatten",
                         "refine_names", "align_to", "rename", "rename_", "dim_order",
                         "module_load", "to_sparse_coo", "storage_type",
                         "register_post_accumulate_grad_hook"})
_ALIASES = {"nelement": "numel"}       # PyTorch names the method an alias stands for
_BLOCKED: set = set()       # public Tensor methods (filled on first use: ops attach late)


def _blocked_names():
    if not _BLOCKED:
        for klass in reversed(_Tensor.__mro__):
            for name, attr in vars(klass).items():
                if not name.startswith("_") and callable(attr) and \
                        not isinstance(attr, (property, type, staticmethod, classmethod)):
                    _BLOCKED.add(name)
        _BLOCKED.difference_update(_ALLOWED_METHODS)
    return _BLOCKED


def _method_text(name):
    name = _ALIASES.get(name, name)
    if name in _PY_METHODS or name.startswith("__") and name in (
            "__len__", "__format__", "__reversed__", "__contains__", "__array__",
            "__deepcopy__"):
        func = getattr(_Tensor, name, None)
        return f"<function Tensor.{name} at 0x{id(func):x}>"
    return f"<method '{name}' of 'torch._C.TensorBase' objects>"


def _refuse(cls, name):
    def refused(*args, **kwargs):
        raise _use_error(cls, _method_text(name))
    refused.__name__ = name
    return refused


def _dunder(name, shown=None):
    def method(self, *args, **kwargs):
        raise _use_error(type(self), shown or _method_text(name))
    method.__name__ = name
    return method


class UninitializedTensorMixin:
    """What an uninitialized parameter and buffer share: refuses use (Note [An uninitialized
    tensor refuses to be used]) until ``materialize(shape)``."""

    __slots__ = ()
    cls_to_become: type = _Tensor
    # (refusals are made by a dispatch key and __getattribute__, not the protocol)
    from .._torch_function import disabled_torch_function_impl as __torch_function__

    def __getattribute__(self, name):
        if name[0] != "_" and name in (_BLOCKED or _blocked_names()):
            return _refuse(type(self), name)
        return object.__getattribute__(self, name)

    def materialize(self, shape, device=None, dtype=None):
        """Give the tensor real (uninitialized) memory of ``shape`` and turn it into its
        ``cls_to_become``; dtype and device default to its own."""
        if device is not None:
            T.check_cpu(device)
        if dtype is None:
            dtype = self.dtype
        new = factories.empty(shape, dtype=dtype)
        self._data = new._data
        self._dispatch_keys &= ~_state["bit"]
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error "
            "usually happens in `load_state_dict` when trying to load an uninitialized "
            "parameter into an initialized one. Call `forward` to initialize the parameters "
            "before accessing their attributes.")

    @property
    def data(self):
        out = T.fresh(_Tensor, self._data, self._dispatch_keys & ~_state["bit"],
                      [0, None] if self._vc is not None else None)
        if isinstance(self, UninitializedBuffer):
            # PyTorch's ``.data`` keeps a plain Tensor subclass, so a buffer's is one too
            return _as_uninitialized(UninitializedBuffer, out, self)
        return out

    @data.setter
    def data(self, value):
        _Tensor.data.fset(self, value)

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. Call `forward` to "
            "initialize the parameters before calling `module.share_memory()`.")

    def __repr__(self):
        return f"<{type(self).__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (type(self), (self.requires_grad,))

    # Python-level dunders of Tensor that touch the data without dispatch
    __len__ = _dunder("__len__")
    __bool__ = _dunder("__bool__")
    __float__ = _dunder("__float__")
    __int__ = _dunder("__int__")
    __index__ = _dunder("__index__")
    __complex__ = _dunder("__complex__")
    __iter__ = _dunder("__iter__", "<method 'dim' of 'torch._C.TensorBase' objects>")
    __array__ = _dunder("__array__")
    __format__ = _dunder("__format__")
    __getitem__ = _dunder("__getitem__",
                          "<slot wrapper '__getitem__' of 'torch._C.TensorBase' objects>")
    __setitem__ = _dunder("__setitem__",
                          "<slot wrapper '__setitem__' of 'torch._C.TensorBase' objects>")


def is_lazy(param) -> bool:
    """True for an ``UninitializedParameter`` or ``UninitializedBuffer``."""
    return isinstance(param, UninitializedTensorMixin)


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter whose shape is not known yet (``cls_to_become`` is ``Parameter``)."""

    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        if device is not None:
            T.check_cpu(device)
        data = factories.empty(0, dtype=dtype)
        # built as a plain Parameter, then turned into this class (its methods refuse use)
        t = Parameter(data, requires_grad)
        return _as_uninitialized(cls, t)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.requires_grad, None, self.dtype)
        memo[id(self)] = result
        return result


class UninitializedBuffer(UninitializedTensorMixin, _Tensor):
    """A buffer whose shape is not known yet (``cls_to_become`` is ``Tensor``); assigning
    it to a module attribute registers a buffer (``persistent`` as given)."""

    __slots__ = ()
    cls_to_become = _Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        if device is not None:
            T.check_cpu(device)
        t = factories.empty(0, dtype=dtype)
        if requires_grad:
            t.requires_grad_()
        T.own_extra(t)["nn_buffer_persistent"] = bool(persistent)
        return _as_uninitialized(cls, t)

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        pass

    @property
    def persistent(self):
        return bool(self._extra.get("nn_buffer_persistent")) if self._extra else False

    __deepcopy__ = _dunder("__deepcopy__")


# -- the mixin (Note [A lazy module becomes its plain class]) -----------------------------
class LazyModuleMixin:
    """Mix in before a Module class: parameters left as ``UninitializedParameter`` are
    materialized by ``initialize_parameters`` on the first call."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters,
                                                               with_kwargs=True)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        # an uninitialized tensor is saved as itself (it refuses ``detach``)
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if (keep_vars or is_lazy(p)) else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if (keep_vars or is_lazy(b)) else b.detach()

    def _lazy_load_hook(self, state_dict, prefix, local_metadata, strict, missing_keys,
                        unexpected_keys, error_msgs):
        """Materialize each uninitialized entry that the state dict gives a real tensor
        for, with that tensor's shape; the copy itself is the usual one."""
        for name, t in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and t is not None and is_lazy(t):
                value = state_dict[key]
                if not is_lazy(value):
                    with no_grad():
                        t.materialize(value.shape)

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {self.__class__.__name__}")

    def has_uninitialized_params(self):
        return any(is_lazy(t) for t in itertools.chain(self._parameters.values(),
                                                       self._buffers.values()))

    def _infer_parameters(self, module, args, kwargs=None):
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        delattr(module, "_initialize_hook")
        delattr(module, "_load_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def share_memory(self):
        for t in itertools.chain(self._parameters.values(), self._buffers.values()):
            if is_lazy(t):
                t.share_memory_()       # refuses, as PyTorch's
        return super().share_memory()

    def to_empty(self, *, device, recurse=True):
        for t in itertools.chain(self._parameters.values(), self._buffers.values()):
            if is_lazy(t):      # PyTorch's empty_like refuses it
                raise _use_error(type(t), "<built-in method empty_like of type object at "
                                          f"0x{id(_Tensor):x}>")
        return super().to_empty(device=device, recurse=recurse)

    def _replicate_for_data_parallel(self):
        raise RuntimeError("Modules with uninitialized parameters can't be used with "
                           "`DataParallel`. Run a dummy forward pass to correctly initialize "
                           "the modules")


# -- Linear --------------------------------------------------------------------------------
class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` whose ``in_features`` is the last dimension of the first input."""

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        if self.in_features == 0:
            # parameters materialized by load_state_dict: take the size from the input
            if input.shape[-1] != self.weight.shape[-1]:
                raise AssertionError(
                    f"The in_features inferred from input: {input.shape[-1]} is not equal to "
                    f"in_features from self.weight: {self.weight.shape[-1]}")
            self.in_features = input.shape[-1]


# -- convolutions --------------------------------------------------------------------------
class _LazyConvXdMixin(LazyModuleMixin):
    _spatial_dims = 0

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            if self.transposed:
                shape = (self.in_channels, self.out_channels // self.groups,
                         *self.kernel_size)
            else:
                shape = (self.out_channels, self.in_channels // self.groups,
                         *self.kernel_size)
            self.weight.materialize(shape)
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()

    def _get_in_channels(self, input):
        unbatched = self._spatial_dims + 1
        if input.dim() not in (unbatched, unbatched + 1):
            raise RuntimeError(
                f"Expected {unbatched}D (unbatched) or {unbatched + 1}D (batched) input to "
                f"{self.__class__.__name__}, but got input of size: {input.shape}")
        return input.shape[1] if input.dim() == unbatched + 1 else input.shape[0]


def _lazy_conv(name, base, nd):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        base.__init__(self, 0, 0, kernel_size, stride, padding, dilation, groups, False,
                      padding_mode, device, dtype)
        _finish_conv(self, out_channels, bias, device, dtype)
    return _make_conv(name, base, nd, __init__)


def _lazy_conv_transpose(name, base, nd):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 groups=1, bias=True, dilation=1, padding_mode="zeros", device=None,
                 dtype=None):
        base.__init__(self, 0, 0, kernel_size, stride, padding, output_padding, groups, False,
                      dilation, padding_mode, device, dtype)
        _finish_conv(self, out_channels, bias, device, dtype)
    return _make_conv(name, base, nd, __init__)


def _finish_conv(self, out_channels, bias, device, dtype):
    # the hooks of LazyModuleMixin.__init__ (base.__init__ is called directly)
    self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
    self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters,
                                                           with_kwargs=True)
    self.weight = UninitializedParameter(device=device, dtype=dtype)
    self.out_channels = out_channels
    if bias:
        self.bias = UninitializedParameter(device=device, dtype=dtype)


def _make_conv(name, base, nd, init_fn):
    init_fn.__qualname__ = f"{name}.__init__"
    cls = type(name, (_LazyConvXdMixin, base), {
        "__init__": init_fn, "cls_to_become": base, "_spatial_dims": nd,
        "__module__": __name__,
        "__doc__": f"``{base.__name__}`` whose ``in_channels`` is read from the first input."})
    return cls


LazyConv1d = _lazy_conv("LazyConv1d", Conv1d, 1)
LazyConv2d = _lazy_conv("LazyConv2d", Conv2d, 2)
LazyConv3d = _lazy_conv("LazyConv3d", Conv3d, 3)
LazyConvTranspose1d = _lazy_conv_transpose("LazyConvTranspose1d", ConvTranspose1d, 1)
LazyConvTranspose2d = _lazy_conv_transpose("LazyConvTranspose2d", ConvTranspose2d, 2)
LazyConvTranspose3d = _lazy_conv_transpose("LazyConvTranspose3d", ConvTranspose3d, 3)


# -- normalization -------------------------------------------------------------------------
class _LazyNormBase(LazyModuleMixin, _NormBase):
    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        # built with no parameters and no running stats, then given uninitialized ones
        super().__init__(0, eps, momentum, False, False, device, dtype)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = factories.tensor(0, dtype=D.int64)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            if self.affine:
                self.weight.materialize((self.num_features,))
                if self.bias is not None:
                    self.bias.materialize((self.num_features,))
            if self.track_running_stats:
                self.running_mean.materialize((self.num_features,))
                self.running_var.materialize((self.num_features,))
            self.reset_parameters()


def _lazy_norm(name, kind, target):
    attrs = {"cls_to_become": target, "_check_input_dim": target._check_input_dim,
             "__module__": __name__,
             "__doc__": f"``{target.__name__}`` whose ``num_features`` is read from the first "
                        "input."}
    if "_no_batch_dim" in vars(target):
        attrs["_no_batch_dim"] = target._no_batch_dim
    return type(name, (_LazyNormBase, kind), attrs)


LazyBatchNorm1d = _lazy_norm("LazyBatchNorm1d", _BatchNorm, BatchNorm1d)
LazyBatchNorm2d = _lazy_norm("LazyBatchNorm2d", _BatchNorm, BatchNorm2d)
LazyBatchNorm3d = _lazy_norm("LazyBatchNorm3d", _BatchNorm, BatchNorm3d)
LazyInstanceNorm1d = _lazy_norm("LazyInstanceNorm1d", _InstanceNorm, InstanceNorm1d)
LazyInstanceNorm2d = _lazy_norm("LazyInstanceNorm2d", _InstanceNorm, InstanceNorm2d)
LazyInstanceNorm3d = _lazy_norm("LazyInstanceNorm3d", _InstanceNorm, InstanceNorm3d)
