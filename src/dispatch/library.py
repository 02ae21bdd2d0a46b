"""The Library API: define operators and register kernels, fallbacks and fallthroughs.

Mirrors ``torch.library.Library``::

    lib = Library("myops", "DEF")
    lib.define("myops::scale(Tensor x, float k) -> Tensor")

    @lib.impl("scale", dispatch_key="CPU")
    def scale_cpu(x, k): ...

Kernels registered through the public API receive the arguments only, like PyTorch's; pass
``with_keyset=True`` to receive the call's :class:`DispatchKeySet` first (needed to
redispatch). Fallbacks are boxed: ``fn(op, keyset, *args)``.

A library owns everything it registered; ``lib.remove()`` (or leaving ``with Library(...)``)
takes it all back, restoring whatever was registered before.
"""

from __future__ import annotations

from . import dispatcher as _d
from . import keys as _k

__all__ = ["Library", "fallthrough_kernel"]

fallthrough_kernel = _d.FALLTHROUGH
_DEF_NAMESPACES: dict[str, "Library"] = {}


class Library:
    """A set of registrations in one namespace. ``kind`` is "DEF", "IMPL" or "FRAGMENT".

    "DEF" may define ops (one DEF library per namespace at a time), "FRAGMENT" may define ops
    in a namespace another library defined too, "IMPL" only registers kernels.
    """

    def __init__(self, ns: str, kind: str, dispatch_key: str = ""):
        if kind not in ("DEF", "IMPL", "FRAGMENT"):
            raise ValueError(f"Library kind must be 'DEF', 'IMPL' or 'FRAGMENT', not {kind!r}")
        if not ns.isidentifier():
            raise ValueError(f"namespace must be an identifier, got {ns!r}")
        if kind == "DEF" and ns in _DEF_NAMESPACES:
            raise RuntimeError(
                f"Only a single Library('{ns}', 'DEF') may exist at a time; use "
                f"Library('{ns}', 'FRAGMENT') to add more ops, or remove the first one")
        self.ns = ns
        self.kind = kind
        self.dispatch_key = dispatch_key
        self._defined: list[_d.OpOverload] = []
        self._touched: set[_d.OpOverload] = set()
        self._has_fallbacks = False
        self._removed = False
        if kind == "DEF":
            _DEF_NAMESPACES[ns] = self

    def __repr__(self):
        return f"Library(kind={self.kind}, ns={self.ns}, dispatch_key={self.dispatch_key})"

    # -- defining ----------------------------------------------------------------------------
    def define(self, schema: str, alias_analysis: str = "", *, tags=()) -> str:
        """Define an op from its schema; returns its name (``ns::name.overload``)."""
        self._check_alive()
        if self.kind == "IMPL":
            raise RuntimeError("an IMPL library cannot define operators; use 'DEF' or 'FRAGMENT'")
        op = _d.define_op(schema, owner=self, namespace=self.ns)
        if op.schema.namespace != self.ns:
            _d.undefine_op(op)
            raise ValueError(f"schema namespace {op.schema.namespace!r} does not match the "
                             f"library's namespace {self.ns!r}")
        self._defined.append(op)
        return op.name()

    # -- kernels -------------------------------------------------------------------------
    def impl(self, op_name, fn=None, dispatch_key: str = "", *, with_keyset: bool = False):
        """Register ``fn`` for ``op_name`` at ``dispatch_key`` (or use as a decorator).

        ``dispatch_key`` may be a runtime key, an alias key (``CompositeImplicitAutograd``
        serves Autograd and every backend), or ``""`` for the library's default key
        (CompositeImplicitAutograd when the library has none). ``fn`` may be
        ``fallthrough_kernel``.
        """
        self._check_alive()
        if fn is None or isinstance(fn, str):
            if isinstance(fn, str):        # impl(name, "CPU") decorator form
                dispatch_key = fn

            def deco(f):
                self.impl(op_name, f, dispatch_key, with_keyset=with_keyset)
                return f
            return deco
        op = self._lookup(op_name)
        key = _k.key(dispatch_key or self.dispatch_key or "CompositeImplicitAutograd")
        if fn is fallthrough_kernel:
            raw = fn
        elif with_keyset:
            def raw(ks, *args, _fn=fn):
                return _fn(_k.DispatchKeySet(ks), *args)
        else:
            def raw(ks, *args, _fn=fn):
                return _fn(*args)
        op._register(key, _d.Registration(fn, raw, self, key))
        self._touched.add(op)
        return fn

    def _impl_raw(self, op_name, raw, dispatch_key) -> None:
        """Register a kernel that takes the raw key-set int first (the framework's own)."""
        op = self._lookup(op_name)
        key = _k.key(dispatch_key)
        op._register(key, _d.Registration(raw, raw, self, key))
        self._touched.add(op)

    def fallthrough(self, op_name, dispatch_key: str) -> None:
        """Make ``op_name`` skip ``dispatch_key``."""
        self.impl(op_name, fallthrough_kernel, dispatch_key)

    def fallback(self, fn, dispatch_key: str = "", *, with_keyset: bool = True):
        """Register a boxed kernel ``fn(op, keyset, *args)`` for every op at ``dispatch_key``
        (or ``fallthrough_kernel``, to make every op skip that key)."""
        self._check_alive()
        key = _k.key(dispatch_key or self.dispatch_key)
        if fn is fallthrough_kernel:
            raw = fn
        elif with_keyset:
            def raw(op, ks, *args, _fn=fn):
                return _fn(op, _k.DispatchKeySet(ks), *args)
        else:
            def raw(op, ks, *args, _fn=fn):
                return _fn(op, *args)
        _d.register_fallback(key, fn, owner=self, raw=raw)
        self._has_fallbacks = True
        return fn

    # -- lifetime ------------------------------------------------------------------------------
    def remove(self) -> None:
        """Take back every op definition and registration this library made."""
        if self._removed:
            return
        for op in self._touched:
            op._unregister_owner(self)
        if self._has_fallbacks:
            _d._unregister_fallbacks(self)
        for op in self._defined:
            _d.undefine_op(op)
            # kernels other libraries registered for it go with it
        if _DEF_NAMESPACES.get(self.ns) is self:
            del _DEF_NAMESPACES[self.ns]
        self._removed = True
        _d._invalidate_all()

    _destroy = remove

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False

    # -- helpers ---------------------------------------------------------------------------
    def _check_alive(self):
        if self._removed:
            raise RuntimeError(f"{self!r} was removed; create a new Library")

    def _lookup(self, op_name) -> _d.OpOverload:
        if isinstance(op_name, _d.OpOverload):
            return op_name
        name = op_name if "::" in op_name else f"{self.ns}::{op_name}"
        try:
            return _d.get_op(name)
        except KeyError:
            raise RuntimeError(
                f"operator {name} is not defined; define it first with "
                f"Library('{self.ns}', 'DEF').define('{name}(...) -> ...')") from None
