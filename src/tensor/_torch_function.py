"""PyTorch's ``__torch_function__`` protocol: Tensor subclasses, override objects and
``TorchFunctionMode``.

Note [Where __torch_function__ is handled]
    PyTorch checks every argument of every public function for an override before parsing
    it. We may not make plain tensors pay for that, so the check lives only where a plain
    Tensor never goes:

    - generated op calls (``Tensor.add``, ``torch.add``, ``torch.ops.aten.add.Tensor``...):
      an argument of the keyed class (Tensor) reads its key set directly; any other argument
      takes the dispatcher's slow branch, where a class this module calls *hooked* (it has a
      ``__torch_function__`` other than ``_disabled_torch_function_impl``) adds the
      dispatcher's HOOK_ARG_BIT to the key set. A key set with a hook bit runs
      :func:`_dispatch_hook` instead of a kernel (dispatch Note [Call hooks]). Each public
      entry point is its own copy of the op's call function (dispatch Note [Entry points])
      and is reported as ``func``;
    - Tensor methods and properties written in Python (``size``, ``shape``, ``__getitem__``,
      ``sum``...): a Tensor subclass gets, when it is created, a wrapper for each one it
      inherits from Tensor (``__init_subclass__``), which hands the call to the protocol.
      Tensor's own methods are untouched;
    - ``torch.<name>`` functions: their wrapper tests ``input.__class__ is not Tensor``, a
      test it made anyway.

    ``DisableTorchFunctionSubclass`` puts HOOK_ARG_BIT in the record's excluded set (so the
    dispatcher drops it like an excluded key) and ``DisableTorchFunction`` both hook bits.
    An active ``TorchFunctionMode`` puts HOOK_TLS_BIT in the included set: every op call
    then takes the hook, and nothing is paid while no mode is active.
"""

from __future__ import annotations

import contextvars

from dispatch import dispatcher as _dd
from dispatch.dispatcher import _pyname
from dispatch.record import current_record as _get, set_record as _set, \
    ExcludeDispatchKeyGuard
from dispatch.schema import NO_DEFAULT

from ._tensor import Tensor

__all__ = [
    "DisableTorchFunctionSubclass", "DisableTorchFunction", "disabled_torch_function_impl",
    "has_torch_function", "has_torch_function_unary", "has_torch_function_variadic",
    "handle_torch_function", "is_tensor_like", "get_default_nowrap_functions",
    "TorchFunctionMode",
]

_ARG = _dd.HOOK_ARG_BIT
_TLS = _dd.HOOK_TLS_BIT
_HOOKS = _ARG | _TLS


# -- switches --------------------------------------------------------------------------------
class DisableTorchFunctionSubclass(ExcludeDispatchKeyGuard):
    """``torch._C.DisableTorchFunctionSubclass()``: inside, Tensor subclasses and override
    objects are not consulted (modes still are)."""

    __slots__ = ()

    def __init__(self):
        super().__init__(_ARG)


class DisableTorchFunction(ExcludeDispatchKeyGuard):
    """``torch._C.DisableTorchFunction()``: inside, neither overrides nor modes run."""

    __slots__ = ()

    def __init__(self):
        super().__init__(_HOOKS)


class _DisabledImpl:
    """``torch._C._disabled_torch_function_impl``: a ``__torch_function__`` that runs ``func``
    with subclass handling off (so results are plain tensors). A class using it (such as
    ``nn.Parameter``) is not an override at all."""

    __slots__ = ()

    def __call__(self, func, types, args=(), kwargs=None):
        with DisableTorchFunctionSubclass():
            return func(*args, **(kwargs or {}))

    def __repr__(self):
        return "<built-in function _disabled_torch_function_impl>"


disabled_torch_function_impl = _DisabledImpl()


def _hooked(cls) -> bool:
    """Whether arguments of class ``cls`` take part in the protocol."""
    tf = getattr(cls, "__torch_function__", None)
    return tf is not None and tf is not disabled_torch_function_impl and cls is not Tensor


def _subclass_enabled() -> bool:
    return not _get()[1] & _ARG


# -- modes -----------------------------------------------------------------------------------
_MODES: contextvars.ContextVar[tuple] = contextvars.ContextVar("tensorkeys_tf_modes",
                                                               default=())


def _set_modes(stack) -> None:
    """Install ``stack`` as the mode stack, with HOOK_TLS_BIT included iff it is not
    empty."""
    _MODES.set(stack)
    r = _get()
    inc = (r[0] | _TLS) if stack else (r[0] & ~_TLS)
    if inc != r[0]:
        _set(r._replace(included=inc))


def _mode_active() -> bool:
    r = _get()
    return bool(r[0] & ~r[1] & _TLS)


class TorchFunctionMode:
    """``torch.overrides.TorchFunctionMode``: inside ``with mode:``, every torch function
    called goes to ``mode.__torch_function__(func, types, args, kwargs)`` first. While that
    runs the mode is off, so calling ``func(*args, **kwargs)`` there runs the function."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        raise NotImplementedError

    def __enter__(self):
        _set_modes(_MODES.get() + (self,))
        return self

    def __exit__(self, *exc):
        stack = _MODES.get()
        if not stack or stack[-1] is not self:
            raise RuntimeError("TorchFunctionMode exited out of order")
        _set_modes(stack[:-1])
        return False

    @classmethod
    def push(cls, *args, **kwargs):
        return cls(*args, **kwargs)


def _get_current_function_mode():
    stack = _MODES.get()
    return stack[-1] if stack else None


def _get_current_function_mode_stack():
    return list(_MODES.get())


# -- the protocol ----------------------------------------------------------------------------
def _add_overloaded(arg, out, seen) -> None:
    c = type(arg)
    if c is Tensor or c in seen or not _hooked(c):
        return
    seen.add(c)
    # a subclass goes before its first superclass already listed (PyTorch's order)
    for i, o in enumerate(out):
        if issubclass(c, type(o)):
            out.insert(i, arg)
            return
    out.append(arg)


def _overloaded(values):
    """The arguments whose ``__torch_function__`` is consulted, in PyTorch's order (one per
    type; subclasses before their superclasses, else left to right). Lists and tuples are
    looked into one level, as PyTorch does for ``Tensor[]`` arguments."""
    out, seen = [], set()
    for v in values:
        c = v.__class__
        if c is list or c is tuple:
            for x in v:
                if x.__class__ is not Tensor:
                    _add_overloaded(x, out, seen)
        elif c is not Tensor:
            _add_overloaded(v, out, seen)
    return out


def _func_name(func) -> str:
    """How PyTorch names ``func`` in its "Multiple dispatch failed" error."""
    self_ = getattr(func, "__self__", None)
    if isinstance(self_, (property,)) or type(self_).__name__ in ("member_descriptor",
                                                                   "getset_descriptor"):
        for k, v in Tensor.__dict__.items():
            if v is self_:
                return f"torch.Tensor.{k}.{func.__name__}"
    name = getattr(func, "__name__", repr(func))
    if getattr(Tensor, name, None) is func:
        return f"torch.Tensor.{name}"
    if isinstance(func, _dd.OpOverload):
        return str(func)
    mod = getattr(func, "__module__", None) or ""
    if mod == "tensor" or mod.startswith("tensor."):
        mod = "torch" + mod[len("tensor"):]
    return f"{mod}.{name}" if mod else name


class OperatorEntry:
    """The identity of an operator's entry point (``Tensor.__add__``): reported as ``func``
    (``Tensor.add``, as PyTorch does), and when every override returns NotImplemented the
    operator returns NotImplemented, so Python raises its "unsupported operand" TypeError."""

    __slots__ = ("func",)

    def __init__(self, func):
        self.func = func


# binary operators written in Python whose wrappers behave the same way
_OPERATORS = frozenset("__floordiv__ __mod__ __matmul__ __and__ __or__ __xor__ __lshift__ "
                       "__rshift__ __pow__ __truediv__ __sub__ __mul__ __add__ __eq__ __ne__ "
                       "__lt__ __le__ __gt__ __ge__".split())


def _handle(func, overloaded, args, kwargs, operator=False):
    """Run ``func(*args, **kwargs)`` through the protocol: the innermost active mode first
    (switched off while it runs), then each overloaded argument's ``__torch_function__``;
    the first answer that is not NotImplemented wins."""
    types = tuple(type(a) for a in overloaded)
    tried = []
    stack = _MODES.get()
    if stack and _mode_active():
        mode = stack[-1]
        _set_modes(stack[:-1])
        try:
            r = mode.__torch_function__(func, types, args, kwargs)
        finally:
            _set_modes(stack)
        if r is not NotImplemented:
            return r
        tried.append(f"  - mode object {mode!r}")
    if overloaded and _subclass_enabled():
        for a in overloaded:
            r = a.__torch_function__(func, types, args, kwargs)
            if r is not NotImplemented:
                return r
            kind = "tensor subclass" if isinstance(a, Tensor) else "object"
            tried.append(f"  - {kind} {type(a)!r}")
    elif not tried:
        with DisableTorchFunction():
            return func(*args, **kwargs)
    if operator:
        return NotImplemented
    raise TypeError(f"Multiple dispatch failed for '{_func_name(func)}'; all "
                    f"__torch_function__ handlers returned NotImplemented:\n\n"
                    + "\n".join(tried) + "\n\nFor more information, try re-running with "
                    "TORCH_LOGS=not_implemented")


def _call_form(schema, ns, args):
    """``(args, kwargs)`` for a call of an op's entry point with normalised arguments
    ``args``: positional arguments positionally (trailing defaults dropped), keyword-only
    ones by name when they differ from their defaults."""
    pos, kw = [], {}
    defaults = []
    for i, (a, v) in enumerate(zip(schema.arguments, args)):
        d = ns.get(f"_d{i}", NO_DEFAULT) if a.default is not NO_DEFAULT else NO_DEFAULT
        is_default = d is not NO_DEFAULT and (v is d or (
            type(v) is type(d) and type(v) in (int, float, bool, str, type(None)) and v == d))
        if a.kwarg_only:
            if not is_default:
                kw[_pyname(a.name)] = v
        else:
            pos.append(v)
            defaults.append(is_default)
    while defaults and defaults[-1]:
        defaults.pop()
        pos.pop()
    return tuple(pos), kw


def _dispatch_hook(entry, op, ks, args):
    """The dispatcher's call hook (Note [Where __torch_function__ is handled])."""
    overloaded = _overloaded(args) if ks & _ARG else ()
    if not overloaded and not ks & _TLS:
        # nothing to consult after all (an object whose class stopped being hooked)
        return op.redispatch(ks & ~_HOOKS, *args)
    pargs, kwargs = _call_form(op.schema, op._ns, args)
    if entry.__class__ is OperatorEntry:
        return _handle(entry.func, overloaded, pargs, kwargs, True)
    return _handle(entry, overloaded, pargs, kwargs)


def handle_from_python(func, args, kwargs, operator=False):
    """The protocol for a function written in Python, called with ``args``/``kwargs``."""
    overloaded = _overloaded(list(args) + list(kwargs.values())) if _subclass_enabled() \
        else ()
    return _handle(func, overloaded, args, kwargs, operator)


def wants_protocol(values) -> bool:
    """Whether a call with these arguments must go through the protocol (a mode is active,
    or one of them is an override with subclass handling on)."""
    if _mode_active():
        return True
    return _subclass_enabled() and bool(_overloaded(values))


# -- torch.overrides -------------------------------------------------------------------------
def has_torch_function(relevant_args) -> bool:
    if _mode_active() and any(is_tensor_like(a) for a in relevant_args):
        return True
    return _subclass_enabled() and bool(_overloaded(relevant_args))


def has_torch_function_unary(obj) -> bool:
    return has_torch_function((obj,))


def has_torch_function_variadic(*args) -> bool:
    return has_torch_function(args)


def handle_torch_function(public_api, relevant_args, *args, **kwargs):
    """``torch.overrides.handle_torch_function``: run ``public_api`` through the protocol,
    consulting the overrides among ``relevant_args``."""
    overloaded = _overloaded(relevant_args) if _subclass_enabled() else ()
    return _handle(public_api, overloaded, args, kwargs)


def is_tensor_like(inp) -> bool:
    return type(inp) is Tensor or hasattr(inp, "__torch_function__")


_NOWRAP = None


def get_default_nowrap_functions() -> set:
    """The getters whose results the default ``__torch_function__`` leaves as they are."""
    return set(_nowrap())


def _nowrap():
    global _NOWRAP
    if _NOWRAP is None:
        _NOWRAP = frozenset((Tensor._base.__get__, Tensor.grad.__get__,
                             Tensor._grad.__get__))
    return _NOWRAP


# -- Tensor's default __torch_function__ -------------------------------------------------------
def _convert(ret, cls):
    if isinstance(ret, Tensor):
        if not isinstance(ret, cls):
            ret = ret.as_subclass(cls)
        return ret
    c = type(ret)
    if c is tuple or c is list:
        return c(_convert(r, cls) for r in ret)
    if isinstance(ret, tuple) and hasattr(c, "_make"):        # return_types.max and kin
        return c._make(_convert(r, cls) for r in ret)
    return ret


def _default_torch_function(cls, func, types, args=(), kwargs=None):
    """``Tensor.__torch_function__``: run ``func`` with subclass handling off, then make its
    Tensor results (also inside tuples and lists) instances of ``cls`` with ``as_subclass``,
    except for the getters of :func:`get_default_nowrap_functions`."""
    if kwargs is None:
        kwargs = {}
    if not all(issubclass(cls, t) for t in types):
        return NotImplemented
    with DisableTorchFunctionSubclass():
        ret = func(*args, **kwargs)
        if func in _nowrap():
            return ret
        return _convert(ret, cls)


# -- subclass wrappers -----------------------------------------------------------------------
# Reflected operators that reach ``func`` themselves (the commutative ones call the named
# method, whose entry point reports it). Their wrappers step aside (NotImplemented) when the
# other operand is a tensor: Python then runs the other operand's forward operator, as it
# does in PyTorch, where a subclass does not override them.
_REFLECTED = frozenset("__radd__ __rmul__ __rand__ __ror__ __rxor__ __rlshift__ "
                       "__rrshift__".split())
_OWN_REFLECTED = frozenset("__rsub__ __rtruediv__ __rdiv__ __rfloordiv__ __rmod__ __rpow__ "
                           "__rmatmul__".split())
# operators PyTorch reports as the named method
_AS_METHOD = {"__mod__": "remainder", "__matmul__": "matmul"}
_SKIP = frozenset("__new__ __init__ __init_subclass__ __torch_function__ __slots__ __module__ "
                  "__doc__ __weakref__ __dict__ __getattribute__ __getattr__ __setattr__ "
                  "__delattr__ __dir__ __class__ __reduce__ __reduce_ex__ __deepcopy__ "
                  "__copy__ __getstate__ __setstate__ __array__ __array_wrap__ "
                  "__array_priority__ __array_ufunc__ __array_function__ __hash__ __sizeof__ "
                  "__subclasshook__ __class_getitem__ _make_subclass as_subclass "
                  "__annotations__ __qualname__".split())
_WRAPPERS = None


def _reflected_wrapper(func):
    def tf_reflected(self, other):
        r = _get()
        if not (r[0] | _ARG) & ~r[1] & _HOOKS:
            return func(self, other)
        if isinstance(other, Tensor):
            return NotImplemented
        return handle_from_python(func, (self, other), {}, True)
    tf_reflected.__name__ = tf_reflected.__qualname__ = getattr(func, "__name__", "method")
    tf_reflected.__wrapped__ = func
    return tf_reflected


def _method_wrapper(func, report=None, operator=False):
    report = func if report is None else report

    def tf_method(self, *args, **kwargs):
        r = _get()
        if not (r[0] | _ARG) & ~r[1] & _HOOKS:
            return func(self, *args, **kwargs)
        return handle_from_python(report, (self,) + args, kwargs, operator)
    tf_method.__name__ = getattr(func, "__name__", "method")
    tf_method.__qualname__ = getattr(func, "__qualname__", tf_method.__name__)
    tf_method.__doc__ = getattr(func, "__doc__", None)
    tf_method.__wrapped__ = func
    return tf_method


def _property_wrapper(prop):
    get, set_ = prop.__get__, prop.__set__

    def fget(self):
        r = _get()
        if not (r[0] | _ARG) & ~r[1] & _HOOKS:
            return get(self)
        return handle_from_python(get, (self,), {})

    def fset(self, value):
        r = _get()
        if not (r[0] | _ARG) & ~r[1] & _HOOKS:
            return set_(self, value)
        handle_from_python(set_, (self, value), {})

    return property(fget, fset if prop.fset is not None else None, prop.fdel, prop.__doc__)


def _wrappers():
    """One wrapper per Python-level Tensor method and property (built once)."""
    global _WRAPPERS
    if _WRAPPERS is None:
        out = {}
        for name, v in list(Tensor.__dict__.items()):
            if name in _SKIP or name in _REFLECTED:
                continue
            if name.startswith("_") and not (name.startswith("__") and name.endswith("__")) \
                    and name not in ("_version",):
                continue
            if isinstance(v, property):
                out[name] = _property_wrapper(v)
            elif isinstance(v, (staticmethod, classmethod)) or not callable(v) \
                    or type(v).__name__ in ("member_descriptor", "getset_descriptor"):
                continue
            elif _dd.is_entry_point(v):
                continue         # a generated call: the dispatcher's hook handles it
            elif name in _OWN_REFLECTED:
                out[name] = _reflected_wrapper(v)
            elif name in _AS_METHOD:
                out[name] = _method_wrapper(v, getattr(Tensor, _AS_METHOD[name]), True)
            elif hasattr(v, "__get__"):
                out[name] = _method_wrapper(v, operator=name in _OPERATORS)
        _WRAPPERS = out
    return _WRAPPERS


def _init_subclass(cls, **kwargs):
    super(Tensor, cls).__init_subclass__(**kwargs)
    if not _hooked(cls):
        return
    mro = cls.__mro__
    for name, w in _wrappers().items():
        for k in mro:
            if name in k.__dict__:
                if k is Tensor:
                    setattr(cls, name, w)
                break


def install():
    Tensor.__torch_function__ = classmethod(_default_torch_function)
    Tensor.__init_subclass__ = classmethod(_init_subclass)
    _dd.set_call_hook(_dispatch_hook, _hooked)
