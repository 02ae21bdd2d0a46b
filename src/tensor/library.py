"""``tensor.library``: new operators that behave like built-ins in every mode.

Two ways to make one.

**By key, with the Library API** (``dispatch.Library``, re-exported here), as PyTorch's C++
custom-op example does for ROIAlign (``examples/custom_op_roi_align.py``)::

    lib = Library("myops", "DEF")
    lib.define("myops::scale(Tensor x, float k) -> Tensor")
    lib.impl("scale", scale_cpu, "CPU")            # the numpy kernel
    lib.impl("scale", scale_autograd, "Autograd")  # applies a Function that calls the op
                                                   # again under AutoDispatchBelowADInplaceOrView

**From a typed Python function, with** :func:`custom_op` (in the spirit of
``torch.library.custom_op``): the schema is inferred from the type hints, the function becomes
the CPU kernel, :meth:`CustomOpDef.register_autograd` adds the derivative::

    @custom_op("myops::scale2", mutates_args=())
    def scale2(x: Tensor, k: float) -> Tensor:
        return x * k

    scale2.register_autograd(lambda ctx, g: (g * ctx.k, None),
                             setup_context=lambda ctx, inputs, output: setattr(ctx, "k", inputs[1]))

Note [What custom_op registers]
    - CPU: runs the function under ``AutoDispatchBelowAutograd``, as PyTorch does: the ops it
      calls record nothing, but in-place ops inside it still pass ADInplaceOrView and bump
      their tensors. A functional op's results may not alias its inputs (PyTorch's rule and
      message).
    - ADInplaceOrView, for ops that mutate (``mutates_args``): refuses inference tensors outside
      inference mode *before* anything is written, then bumps each written tensor's version
      once (so ``x.add_(1)`` inside such an op leaves ``x`` at version 2, as in PyTorch).
    - Autograd: with grad mode on and an input requiring grad, the op applies a generated
      Function (``GeneratedBackwardFor_<ns>_<name>_<overload>``, as PyTorch names it) whose
      forward redispatches below Autograd; without a registered formula its backward raises,
      as in PyTorch. A mutating op goes through the same Function, as in PyTorch: it makes no
      in-place checks (a leaf that requires grad may be written) and leaves the history of
      the tensors it writes alone. Otherwise (no_grad, nothing requiring grad) the kernel
      just redispatches below Autograd. Inside inference mode the Autograd key is excluded:
      the op goes straight to the backend (and to ADInplaceOrView only for normal tensors,
      which carry that key).

Deliberate difference from PyTorch: inference tensors are refused before the write (PyTorch
writes, then raises), since a failed op must change nothing. ``register_inplace_layers`` (our
own helper for Library-defined ops whose kernels write through numpy) adds the built-in
in-place checks and a history that refuses backward.
"""

from __future__ import annotations

import collections.abc
import functools
import inspect
import types
import typing

import numpy as np

from dispatch import keys as _k
from dispatch.dispatcher import OpOverload, OpOverloadPacket, get_op
from dispatch.library import Library, fallthrough_kernel
from dispatch.schema import NO_DEFAULT
from dispatch.record import current_record as _get
from modes import AutoDispatchBelowADInplaceOrView, AutoDispatchBelowAutograd

from . import _dtype as D
from . import _tensor as T
from .autograd import graph as G
from .autograd.function import Function
from .errors import inplace_inference_error

__all__ = ["Library", "fallthrough_kernel", "custom_op", "CustomOpDef", "register_autograd",
           "define", "impl", "register_kernel", "register_fake",
           "register_inplace_layers", "infer_schema", "opcheck", "OpCheckError", "get_ctx",
           "impl_abstract", "get_kernel", "register_autocast", "register_vmap"]

_Tensor = T.Tensor
_AG = _k.Autograd
_AIOV = _k.ADInplaceOrView
_CUSTOM_OPS: dict[str, "CustomOpDef"] = {}
_AUTOGRAD_LIBS: dict[str, Library] = {}     # register_autograd on Library-defined ops


# -- schema inference ----------------------------------------------------------------------
_BASE_TYPES = {
    _Tensor: "Tensor", int: "SymInt", float: "float", bool: "bool", str: "str",
    D.dtype: "ScalarType", T.device: "Device",
}
_SEQUENCES = (list, collections.abc.Sequence, typing.Sequence, typing.List)


def _is_optional(ann):
    origin = typing.get_origin(ann)
    if origin is typing.Union or (hasattr(types, "UnionType") and origin is types.UnionType):
        args = typing.get_args(ann)
        if type(None) in args:
            rest = tuple(a for a in args if a is not type(None))
            if len(rest) == 1:
                return rest[0]
            return typing.Union[rest]
    return None


def _schema_type(ann):
    """Schema type text for a parameter annotation, or None when unsupported."""
    inner = _is_optional(ann)
    if inner is not None:
        t = _schema_type(inner)
        return None if t is None or t.endswith("?") else t + "?"
    if ann in _BASE_TYPES:
        return _BASE_TYPES[ann]
    origin = typing.get_origin(ann)
    if origin is typing.Union or (hasattr(types, "UnionType") and origin is types.UnionType):
        if set(typing.get_args(ann)) <= {int, float, bool} and float in typing.get_args(ann):
            return "Scalar"
        return None
    if origin in _SEQUENCES or ann in _SEQUENCES:
        args = typing.get_args(ann)
        if len(args) != 1:
            return None
        elem = args[0]
        e_inner = _is_optional(elem)
        if e_inner is _Tensor:
            return "Tensor?[]"
        if elem in (_Tensor, int, float, bool):
            return _BASE_TYPES[elem] + "[]"
    return None


def _return_type(ann):
    if ann is None or ann is type(None):
        return "()"
    if typing.get_origin(ann) is tuple:
        parts = [_return_type(a) for a in typing.get_args(ann)]
        if any(p is None or p.startswith("(") for p in parts):
            return None
        return "(" + ", ".join(parts) + ")"
    t = _schema_type(ann)
    if t in ("Tensor", "SymInt", "float", "bool", "Tensor[]", "Scalar", "ScalarType"):
        return t
    return None


def _default_text(v):
    if v is None:
        return "None"
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, D.dtype):
        return repr(v).split(".")[-1]
    return None


def infer_schema(prototype_function, /, *, mutates_args, op_name=None) -> str:
    """The schema of a typed Python function, as ``torch.library.infer_schema`` writes it:
    ``int`` -> ``SymInt``, ``Optional[Tensor]`` -> ``Tensor?``, ``list[int]`` -> ``SymInt[]``,
    mutated tensors -> ``Tensor(a0!)``; ``mutates_args="unknown"`` marks every tensor."""
    sig = inspect.signature(prototype_function)
    try:
        hints = typing.get_type_hints(prototype_function)
    except Exception:
        hints = {}

    def error(what):
        raise ValueError(f"infer_schema(func): {what} Got func with signature {sig})")

    names = list(sig.parameters)
    if mutates_args == "unknown":
        mutated = None
    else:
        if isinstance(mutates_args, str):
            raise ValueError("mutates_args must be a tuple of argument names or 'unknown', "
                             f"not the string {mutates_args!r} (write ({mutates_args!r},))")
        mutated = set(mutates_args)
        missing = mutated - set(names)
        if missing:
            error(f"{missing} in mutates_args were not found in the custom op's signature. "
                  "mutates_args should contain the names of all args that the custom op "
                  "mutates, or just the string 'unknown' if you don't know.")
    parts, star, alias_n = [], False, 0
    for name, p in sig.parameters.items():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.POSITIONAL_ONLY):
            error("We do not support positional-only args, varargs, or varkwargs.")
        if p.annotation is inspect.Parameter.empty:
            error(f"Parameter {name} must have a type annotation.")
        ann = hints.get(name, p.annotation)
        t = _schema_type(ann)
        if t is None:
            error(f"Parameter {name} has unsupported type {ann}. The valid types are: Tensor, "
                  "Optional[Tensor], list[Tensor], list[Optional[Tensor]], int, float, bool, "
                  "str, dtype, device, their Optional forms and list[int|float|bool].")
        tensorish = t.startswith("Tensor")
        if (mutated is None and tensorish) or (mutated is not None and name in mutated):
            if not tensorish:
                error(f"Parameter {name} is in mutable_args but only Tensors or collections of "
                      "Tensors can be mutated")
            t = t.replace("Tensor", f"Tensor(a{alias_n}!)", 1)
            alias_n += 1
        if p.kind == p.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        text = f"{t} {name}"
        if p.default is not inspect.Parameter.empty:
            dt = _default_text(p.default)
            if dt is None or (tensorish and p.default is not None):
                error(f"Parameter {name} has an unsupported default value {p.default!r}.")
            text += f"={dt}"
        parts.append(text)
    if sig.return_annotation is inspect.Signature.empty:
        error("No return type annotation was provided. Please add one.")
    ret = _return_type(hints.get("return", sig.return_annotation))
    if ret is None:
        error(f"Return has unsupported type {sig.return_annotation}. The valid types are: "
              "Tensor, tuple[Tensor, ...], list[Tensor], int, float, bool, None.")
    schema = f"({', '.join(parts)}) -> {ret}"
    return f"{op_name}{schema}" if op_name else schema


# -- autograd for an op ----------------------------------------------------------------------
def _torch_name(op: OpOverload) -> str:
    s = op.schema
    return f"{s.namespace}.{s.name}.{s.overload_name or 'default'}"


class _Meta:
    """Non-tensor last argument of the generated Function: the call's key set and how to
    regroup ``Tensor[]`` arguments (flattened so that each element gets its own edge)."""

    __slots__ = ("ks", "spec", "list_out")

    def __init__(self, ks, spec):
        self.ks = ks
        self.spec = spec
        self.list_out = False


def _flatten(args, list_pos):
    if not list_pos:
        return list(args), None
    flat, spec = [], []
    for i, a in enumerate(args):
        if i in list_pos and a is not None:
            spec.append(len(a))
            flat.extend(a)
        else:
            spec.append(None)
            flat.append(a)
    return flat, spec


def _unflatten(flat, spec):
    if spec is None:
        return list(flat)
    out, k = [], 0
    for n in spec:
        if n is None:
            out.append(flat[k])
            k += 1
        else:
            out.append(list(flat[k:k + n]))
            k += n
    return out


class _AutogradImpl:
    """The Autograd-key kernel of an op: applies a generated Function when something requires
    grad (Note [What custom_op registers])."""

    def __init__(self, op: OpOverload, backward=None, setup_context=None):
        self.op = op
        self.backward_fn = backward
        self.setup_context_fn = setup_context
        s = op.schema
        self.list_pos = {i for i, k in s.tensor_args if k == "tensor_list"}
        self.list_return = len(s.returns) == 1 and "[]" in str(s.returns[0].type)
        self.generated = self._make_function()

    def _make_function(self):
        impl = self
        op = self.op
        s = op.schema
        name = f"GeneratedBackwardFor_{s.namespace}_{s.name}_{s.overload_name or 'default'}"
        n_args = len(s.arguments)

        def forward(ctx, *flat):
            meta = flat[-1]
            args = _unflatten(flat[:-1], meta.spec)
            # (below Autograd only, as PyTorch's: a mutating op's ADInplaceOrView kernel
            # still bumps, and in-place ops inside the function still bump their tensors)
            with AutoDispatchBelowAutograd():
                out = op.redispatch(meta.ks & _AG.below_mask, *args)
            object.__setattr__(ctx, "_tk_meta", meta)
            if impl.setup_context_fn is not None:
                impl.setup_context_fn(ctx, tuple(args), out)
            if impl.list_return:
                meta.list_out = True
                return tuple(out)
            return out

        def backward(ctx, *grads):
            if impl.backward_fn is None:
                raise RuntimeError(
                    f"Trying to backward through {_torch_name(op)} but no autograd formula was "
                    "registered. Please use register_autograd to add one.")
            meta = ctx._tk_meta
            d = ctx.__dict__
            prev = d["needs_input_grad"]
            needs = _unflatten(prev[:-1], meta.spec)
            d["needs_input_grad"] = tuple(tuple(x) if isinstance(x, list) else x
                                          for x in needs)
            try:
                if meta.list_out:
                    res = impl.backward_fn(ctx, list(grads))
                else:
                    res = impl.backward_fn(ctx, *grads)
            finally:
                d["needs_input_grad"] = prev
            if not isinstance(res, tuple):
                res = (res,)
            if len(res) != n_args:
                raise RuntimeError(
                    f"function {type(ctx).__name__} returned an incorrect number of gradients "
                    f"(expected {n_args}, got {len(res)}) Hint: the backward of {op.name()} "
                    "must return one gradient (or None) per argument of the op.")
            flat = []
            for i, r in enumerate(res):
                n = meta.spec[i] if meta.spec is not None else None
                if n is None:
                    flat.append(r)
                elif r is None:
                    flat.extend([None] * n)
                else:
                    flat.extend(r)
            return tuple(flat) + (None,)

        return type(name, (Function,), {"forward": staticmethod(forward),
                                        "backward": staticmethod(backward),
                                        "__module__": __name__})

    def __repr__(self):
        return f"<autograd kernel of {self.op.name()} ({self.generated.__name__})>"

    def __call__(self, ks, *args):
        if _get()[2] and _any_requires_grad(args, self.op.schema.tensor_args):
            flat, spec = _flatten(args, self.list_pos)
            res = self.generated.apply(*flat, _Meta(int(ks), spec))
            return list(res) if self.list_return else res
        return self.op.redispatch(int(ks) & _AG.below_mask, *args)


def _any_requires_grad(args, tensor_args):
    for i, kind in tensor_args:
        if i >= len(args):
            continue
        a = args[i]
        items = a if kind == "tensor_list" else (a,)
        for t in items or ():
            if isinstance(t, _Tensor) and t.requires_grad:
                return True
    return False


def _written_tensors(op, args):
    out = []
    for i in op.schema.written_args:
        a = args[i]
        items = a if isinstance(a, (list, tuple)) else (a,)
        out.extend(t for t in items if isinstance(t, _Tensor))
    return out


class _NoFormula(G.Node):
    """History of a tensor written by a custom op that has no derivative: backward raises."""

    __slots__ = ("_opname", "_needs")

    def __init__(self, opname, edges):
        super().__init__(edges)
        self._opname = opname
        self._needs = [e is not None for e in edges]
        self._meta = [None]

    def name(self):
        return f"NoFormulaFor_{self._opname}"

    def apply(self, grads):
        raise RuntimeError(
            f"Trying to backward through {self._opname} but no autograd formula was registered. "
            "Hint: an op that mutates its inputs cannot have one (register_autograd works on "
            "functional ops); write the mutation under no_grad(), or make a functional op.")


def _make_mutating_autograd(op):
    """Autograd kernel of a mutating custom op (no formula can be registered)."""
    from ._defop import check_inplace
    from .autograd.views import rebase_history
    schema = op.schema
    tpos = schema.tensor_args
    opname = _torch_name(op)
    is_out = schema.kind == "out"

    def mutating_autograd(ks, *args):
        ks2 = int(ks) & _AG.below_mask
        if not (_get()[2] and _any_requires_grad(args, tpos)):
            return op.redispatch(ks2, *args)
        if is_out:
            raise RuntimeError(
                f"{schema.name}(): functions with out=... arguments don't support automatic "
                "differentiation, but one of the arguments requires grad. Hint: call it under "
                "no_grad().")
        written = _written_tensors(op, args)
        for t in written:
            check_inplace(t, True)             # leaf / view rules, before anything is written
        inputs = []
        for i, kind in tpos:
            a = args[i]
            inputs.extend(a if kind == "tensor_list" else [a])
        edges = tuple(G.gradient_edge(t) if isinstance(t, _Tensor) and t.requires_grad
                      and t._data.dtype.kind in "fc" else None for t in inputs)
        out = op.redispatch(ks2, *args)        # ADInplaceOrView refuses / bumps, CPU writes
        node = _NoFormula(opname, edges)
        for t in written:
            if t._data.dtype.kind not in "fc":
                continue
            if t._view is not None and t._base is not None:
                rebase_history(t, node)
            else:
                t._grad_fn = node
                t._output_nr = 0
                t._requires_grad = True
        return out
    return mutating_autograd


def _make_aiov_kernel(op):
    """ADInplaceOrView for a mutating custom op: refuse inference tensors first, then bump."""
    name = op.schema.name

    def aiov(ks, *args):
        written = _written_tensors(op, args)
        if not _get()[3]:
            for t in written:
                if t._vc is None:
                    raise inplace_inference_error(t)   # refused before anything is written
        out = op.redispatch(int(ks) & _AIOV.below_mask, *args)
        for t in written:
            vc = t._vc
            if vc is not None:
                vc[0] += 1
                vc[1] = name
        return out
    return aiov


# -- custom_op ---------------------------------------------------------------------------------
class CustomOpDef:
    """An op made by :func:`custom_op`. Call it like the function it wraps; it dispatches
    (``dispatch_trace`` shows it), and ``tensor.ops.<ns>.<name>`` reaches the same op."""

    def __init__(self, namespace, name, schema, fn):
        self._namespace = namespace
        self._name = name
        self._qualname = f"{namespace}::{name}"
        self._init_fn = fn
        self._cpu_fn = fn
        self._lib = Library(namespace, "FRAGMENT")
        try:
            self._lib.define(f"{name}{schema}")
        except BaseException:
            self._lib.remove()
            raise
        self._opoverload = self._op = get_op(self._qualname)
        s = self._opoverload.schema
        self._mutating = bool(s.written_args)
        self._lib._impl_raw(name, self._cpu_kernel, "CPU")
        if self._mutating:
            self._lib._impl_raw(name, _make_aiov_kernel(self._opoverload), "ADInplaceOrView")
        self._autograd = _AutogradImpl(self._opoverload)
        self._lib._impl_raw(name, self._autograd, "Autograd")
        self._fake_fn = None
        functools.update_wrapper(self, fn)

    def __repr__(self):
        return f"<CustomOpDef({self._qualname})>"

    def __call__(self, *args, **kwargs):
        return self._opoverload.call(*args, **kwargs)

    @property
    def schema(self):
        return self._opoverload.schema

    def _cpu_kernel(self, ks, *args):
        s = self._opoverload.schema
        pos, kw = [], {}
        for a, v in zip(s.arguments, args):
            if a.kwarg_only:
                kw[a.name] = v
            else:
                pos.append(v)
        with AutoDispatchBelowAutograd():
            out = self._cpu_fn(*pos, **kw)
        if self._mutating and not s.returns:
            return None
        if not self._mutating:
            self._check_no_alias(args, out)
        return out

    def _check_no_alias(self, args, out):
        outs = [o for o in (out if isinstance(out, (tuple, list)) else (out,))
                if isinstance(o, _Tensor)]
        ins = []
        for a in args:
            for t in (a if isinstance(a, (list, tuple)) else (a,)):
                if isinstance(t, _Tensor):
                    ins.append(t)
        bad = False
        for i, o in enumerate(outs):
            others = ins + outs[:i]
            if any(o is t or np.may_share_memory(o._data, t._data) for t in others):
                bad = True
        if bad:
            mod = getattr(self._cpu_fn, "__module__", "?")
            raise RuntimeError(
                f"{self._name} (with implementation in {mod!r}): The output of this custom "
                "operator (1) must not also be an input to this custom operator and (2) may not "
                "alias any inputs to this custom operator or other returns. The most common way "
                "to trigger this error is if we have y = custom_op(x) and y and x are the same "
                "Tensor. Please instead return a clone of the offending output tensor(s) (e.g. "
                "return x.clone()) or refactor the custom operator to not return y.")

    def register_kernel(self, device_types, fn=None):
        """Replace the kernel for ``"cpu"``. A kernel for another device type (``"cuda"``) is
        accepted and never runs: tensorkeys has no such device, as a CPU-only PyTorch build
        accepts a CUDA kernel it cannot call."""
        if isinstance(device_types, str):
            device_types = (device_types,)
        for d in device_types or ():
            if d.split(":")[0] not in _DEVICE_TYPES:
                raise RuntimeError(f"Expected one of {', '.join(_DEVICE_TYPES)} device type at "
                                   f"start of device string: {d}")

        def deco(f):
            if device_types is None or "cpu" in device_types:
                self._cpu_fn = f
            return f
        return deco(fn) if fn is not None else deco

    def register_fake(self, fn=None, /, *, _stacklevel=1):
        """The op's fake (meta) implementation: output shapes and dtypes from input shapes.
        tensorkeys has no fake or meta tensors, so nothing calls it; it is kept
        (``_fake_fn``) so that code written for ``torch.compile`` runs unchanged."""
        def deco(f):
            self._fake_fn = f
            return f
        return deco(fn) if fn is not None else deco

    def register_autograd(self, backward, /, *, setup_context=None):
        """``backward(ctx, *grads)`` returns one gradient (or None) per op argument;
        ``setup_context(ctx, inputs, output)`` saves what it needs (runs in the forward)."""
        if self._mutating:
            raise RuntimeError(
                f"Cannot register autograd formula for non-functional operator {self!r} with "
                f"schema {self._opoverload.schema}. Please create a functional operator and "
                "register an autograd formula for that.")
        self._autograd.backward_fn = backward
        self._autograd.setup_context_fn = setup_context

    def _destroy(self):
        _VMAP_RULES.pop(self._opoverload, None)
        self._lib.remove()
        if _CUSTOM_OPS.get(self._qualname) is self:
            del _CUSTOM_OPS[self._qualname]


def custom_op(name, fn=None, /, *, mutates_args=(), device_types=None, schema=None):
    """Turn a typed Python function into an operator ``name`` (``"ns::op"``).

    The function is the CPU kernel (it receives and returns tensors); ``mutates_args`` names
    the arguments it writes (or ``"unknown"``); ``schema`` overrides the inferred one. Defining
    the same name again replaces the earlier custom op (as in PyTorch).
    """
    if "::" not in name:
        raise ValueError(f"custom_op name must be 'namespace::name', got {name!r}")
    ns, opname = name.split("::", 1)
    if device_types not in (None, "cpu") and tuple(device_types) != ("cpu",):
        raise ValueError(f"tensorkeys only has the 'cpu' device (got {device_types!r})")

    def inner(f):
        sch = schema if schema is not None else infer_schema(f, mutates_args=mutates_args)
        old = _CUSTOM_OPS.get(name)
        if old is not None:
            old._destroy()
        op = CustomOpDef(ns, opname, sch, f)
        _CUSTOM_OPS[name] = op
        return op

    return inner(fn) if fn is not None else inner


def register_autograd(op, backward, /, *, setup_context=None, lib=None):
    """Give ``op`` (a CustomOpDef, an OpOverload or ``"ns::name"``) a derivative.

    For an op made with the Library API this installs an Autograd-key kernel (in ``lib``, or
    in a library kept here) that applies a generated Function and redispatches below
    ADInplaceOrView — the pattern of the ROIAlign example, without writing the Function.
    """
    if isinstance(op, CustomOpDef):
        return op.register_autograd(backward, setup_context=setup_context)
    if isinstance(op, str) and op in _CUSTOM_OPS:
        return _CUSTOM_OPS[op].register_autograd(backward, setup_context=setup_context)
    opov = op if isinstance(op, OpOverload) else get_op(op)
    if opov.schema.written_args:
        raise RuntimeError(
            f"Cannot register autograd formula for non-functional operator {opov.name()} with "
            f"schema {opov.schema}. Please create a functional operator and register an "
            "autograd formula for that.")
    impl = _AutogradImpl(opov, backward, setup_context)
    if lib is None:
        prev = _AUTOGRAD_LIBS.pop(opov.name(), None)
        if prev is not None:
            prev.remove()
        lib = _AUTOGRAD_LIBS[opov.name()] = Library(opov.schema.namespace, "FRAGMENT")
    lib._impl_raw(opov, impl, "Autograd")
    return None


def _kept_library(qualname, lib):
    if lib is not None:
        return lib
    ns = qualname.split("::", 1)[0]
    kept = _KEPT_LIBS.get(ns)
    if kept is None:
        kept = _KEPT_LIBS[ns] = Library(ns, "FRAGMENT")
    return kept


# the device types PyTorch's device strings may start with (in its error's order)
_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
                 "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                 "privateuseone")
_KEPT_LIBS: dict[str, Library] = {}      # torch.library.define/impl without lib=
_FAKE_IMPLS: dict[str, typing.Callable] = {}


def define(qualname, schema, *, lib=None, tags=()):
    """``torch.library.define``: a new op ``"ns::name"`` with ``schema`` (its arguments and
    returns, e.g. ``"(Tensor x) -> Tensor"``), in ``lib`` or in a library kept here."""
    if "::" not in qualname:
        raise ValueError(f"define(qualname, ...): expected qualname of the form "
                         f"'namespace::name', got {qualname!r}")
    name = qualname.split("::", 1)[1]
    _kept_library(qualname, lib).define(name + schema)


_DEVICE_KEYS = {"cpu": "CPU", "default": "CompositeExplicitAutograd",
                "meta": "Meta"}


def impl(qualname, types, func=None, *, lib=None):
    """``torch.library.impl``: register ``func`` as the kernel of ``qualname`` for a device
    type (``"cpu"``) or a dispatch key name (``"CPU"``, ``"Autograd"``, ...); a kernel for a
    device tensorkeys lacks (``"cuda"``) is accepted and never runs."""
    if isinstance(types, str):
        types = (types,)

    def deco(f):
        name = qualname.split("::", 1)[1] if "::" in qualname else qualname
        for t in types:
            low = t.lower()
            if low in _DEVICE_KEYS:
                key = _DEVICE_KEYS[low]
            elif low in _DEVICE_TYPES:
                continue                # a device tensorkeys does not have
            else:
                key = t                 # a dispatch key's name
            _kept_library(qualname, lib).impl(name, f, key)
        return f
    return deco(func) if func is not None else deco


def _qualname_of(op):
    """``ns::name[.overload]`` of a custom op, an OpOverload, or a name given as a string."""
    if isinstance(op, CustomOpDef):
        return op._qualname
    if isinstance(op, str):
        return op
    name = getattr(op, "name", None)
    return name() if callable(name) else str(op)


def register_kernel(op, device_types, func=None, /, *, lib=None):
    """``torch.library.register_kernel``: a custom op's kernel for ``device_types``."""
    name = _qualname_of(op)
    if name in _CUSTOM_OPS:
        return _CUSTOM_OPS[name].register_kernel(device_types, func)
    return impl(name, "cpu" if device_types is None else device_types, func, lib=lib)


def register_fake(op, func=None, /, *, lib=None, _stacklevel=1):
    """``torch.library.register_fake``: the op's fake implementation (kept; tensorkeys has no
    fake tensors to run it on, see :meth:`CustomOpDef.register_fake`)."""
    name = _qualname_of(op)
    if name.endswith(".default"):
        name = name[:-len(".default")]
    if name in _CUSTOM_OPS:
        return _CUSTOM_OPS[name].register_fake(func)

    def deco(f):
        _FAKE_IMPLS[name] = f
        return f
    return deco(func) if func is not None else deco


def register_inplace_layers(lib, op_name) -> None:
    """Give a Library-defined op that writes its arguments (``Tensor(a!)``) the layers a
    built-in in-place op has: at ADInplaceOrView, refuse inference tensors outside inference
    mode *before* writing and bump each written tensor's version once; at Autograd, PyTorch's
    in-place checks and, when something requires grad, a history that refuses backward (no
    formula). Needed when the CPU kernel writes through numpy; a kernel that writes with our
    own in-place ops gets all of this from them.
    """
    op = lib._lookup(op_name)
    if not op.schema.written_args:
        raise ValueError(f"{op.name()} writes none of its arguments (no Tensor(a!) in "
                         f"{op.schema}); register_inplace_layers is for mutating ops")
    lib._impl_raw(op, _make_aiov_kernel(op), "ADInplaceOrView")
    lib._impl_raw(op, _make_mutating_autograd(op), "Autograd")


# -- opcheck -----------------------------------------------------------------------------------
class OpCheckError(Exception):
    """One of :func:`opcheck`'s tests failed (with ``raise_exception=True``); the test's own
    exception is the ``__cause__``. (PyTorch keeps this class in
    ``torch.testing._internal.optests``; tensorkeys exposes it here.)"""


class MetadataMismatchError(RuntimeError):
    """The fake kernel's output metadata (shape, dtype, strides, ...) differs from the real
    kernel's (PyTorch's ``torch._subclasses.fake_tensor.MetadataMismatchError``)."""


class UnsupportedOperatorException(RuntimeError):
    """The op has no fake implementation and no Meta kernel, so code that traces with fake
    tensors cannot run it; the message is the op (as PyTorch prints it)."""

    def __init__(self, func):
        super().__init__(func)
        self.func = func


_OPCHECK_DEFAULT_UTILS = ("test_schema", "test_autograd_registration", "test_faketensor",
                          "test_aot_dispatch_dynamic")
_BUILTIN_NAMESPACES = ("aten", "prims", "prim")
_UNSAFE_ALIASING = ("aten::_unsafe_view", "aten::unsafe_split")


def _leaves(tree):
    """The values of a nest of tuples, lists and dicts, depth first (``None`` has none)."""
    if tree is None:
        return []
    if isinstance(tree, (tuple, list)):
        return [x for item in tree for x in _leaves(item)]
    if isinstance(tree, dict):
        return [x for item in tree.values() for x in _leaves(item)]
    return [tree]


def _map_tensors(fn, tree):
    if isinstance(tree, _Tensor):
        return fn(tree)
    if isinstance(tree, tuple):
        return tuple(_map_tensors(fn, x) for x in tree)
    if isinstance(tree, list):
        return [_map_tensors(fn, x) for x in tree]
    if isinstance(tree, dict):
        return {k: _map_tensors(fn, v) for k, v in tree.items()}
    return tree


def _clone_input(t):
    """A copy with the same values, strides and (for a leaf) requires_grad, outside any
    graph (PyTorch's opcheck copies its inputs this way, so the caller's are left alone)."""
    from modes import no_grad
    with no_grad():
        c = t.clone()
    if t.is_leaf and t.requires_grad:
        c.requires_grad_(True)
    return c


def _normalized(op, args, kwargs):
    """Every argument of ``op`` in schema order, defaults filled in."""
    if op.schema.is_vararg:
        return list(args)
    bound = inspect.signature(op.call).bind(*args, **kwargs)
    bound.apply_defaults()
    return list(bound.arguments.values())


def _split_kwarg_only(op, vals):
    pos, kw = [], {}
    for a, v in zip(op.schema.arguments, vals):
        if a.kwarg_only:
            kw[a.name] = v
        else:
            pos.append(v)
    return pos, kw


def _decomposes(op) -> bool:
    """A CompositeImplicitAutograd op without a backend kernel: a mode below Autograd (as
    PyTorch's checks are) only ever sees the ops it is made of."""
    return op._alias_kernel(_k.Autograd) is not None


def _overlaps(a, b) -> bool:
    return (isinstance(a, _Tensor) and isinstance(b, _Tensor)
            and bool(np.may_share_memory(a._data, b._data)))


def _alias_sets(alias):
    return set() if alias is None else set(alias.before) | set(alias.after)


def _may_alias(x, y) -> bool:
    sx, sy = _alias_sets(x), _alias_sets(y)
    return bool(sx and sy and ("*" in sx or "*" in sy or sx & sy))


def _tensors_in(v):
    if isinstance(v, _Tensor):
        return [v]
    if isinstance(v, (list, tuple)):
        return [t for t in v if isinstance(t, _Tensor)]
    return []


def _snapshot(t):
    return t.detach().clone(), t.stride(), t.untyped_storage().data_ptr()


def _mutated(snap, t) -> bool:
    copy, stride, ptr = snap
    if copy.shape != t.shape or stride != t.stride() or ptr != t.untyped_storage().data_ptr():
        return True
    a, b = copy._data, t._data
    if a.dtype.kind == "b" or b.dtype.kind == "b":
        return not np.array_equal(a, b)
    return not np.allclose(a, b, equal_nan=True)     # as PyTorch's check: allclose, not ==


def _check_schema(op, args, kwargs):
    """test_schema: run the op once and compare what it did with what its schema declares:
    an argument whose values, shape, strides or storage changed must be ``Tensor(a!)``; an
    output sharing memory with an argument (or with another output) must share an alias set
    with it; only a written argument may be returned as is."""
    if _decomposes(op):
        return
    schema = op.schema
    vals = _normalized(op, args, kwargs)
    before = [[_snapshot(t) for t in _tensors_in(v)] for v in vals]
    out = op(*args, **kwargs)
    outs = out if isinstance(out, tuple) else (out,)
    rets = schema.returns
    for i, a in enumerate(schema.arguments):
        if i >= len(vals) or vals[i] is None:
            continue
        v = vals[i]
        name = "input" if a.name == "self" else a.name
        for j, o in enumerate(outs):
            if _overlaps(o, v) and schema.full_name not in _UNSAFE_ALIASING:
                if not _may_alias(rets[j].alias if j < len(rets) else None, a.alias):
                    raise RuntimeError(
                        f"Argument {name} is not defined to alias output but was aliasing")
            if o is v and isinstance(v, _Tensor) and not a.is_write:
                raise RuntimeError(
                    "Dispatcher operators below autograd are not allowed to directly return "
                    f"inputs.\nHowever, we found that `outputs[{j}] is {name}")
        if any(_mutated(s, t) for s, t in zip(before[i], _tensors_in(v))) and not a.is_write:
            raise RuntimeError(f"Argument {name} is not defined as mutable but was mutated")
    for i in range(len(rets)):
        for j in range(i + 1, len(rets)):
            if (j < len(outs) and _overlaps(outs[i], outs[j])
                    and not _may_alias(rets[i].alias, rets[j].alias)):
                raise RuntimeError(f"Outputs {i} and {j} alias unexpectedly")
    return out


def _check_autograd_registration(op, args, kwargs):
    """test_autograd_registration: with an input that requires grad, an op without a kernel
    at Autograd (or CompositeImplicitAutograd) must not return outputs that require grad:
    they would come from autograd recorded inside its backend kernel, which is wrong."""
    flat = _leaves((args, kwargs))
    tensors = [t for t in flat if isinstance(t, _Tensor)]
    if not any(t.requires_grad for t in tensors):
        return
    if op.has_kernel_for("Autograd") or op.has_kernel_for("CompositeImplicitAutograd"):
        return
    outs = op(*args, **kwargs)       # the Autograd layer passes through: nothing recorded
    ids = {id(a) for a in flat}
    if any(isinstance(o, _Tensor) and o.requires_grad and id(o) not in ids
           for o in _leaves(outs)):
        raise AssertionError(
            f"{op.name()}: at least one output of this operator has requires_grad=True but "
            "the operator does not have an autograd kernel defined at an autograd key (e.g. "
            "DispatchKey::Autograd). This could mean that you have incorrectly registered an "
            "autograd kernel to a non-Autograd DispatchKey, which may lead to silently "
            "incorrect results. If your operator consists of regular PyTorch operations, "
            "consider not using an operator at all or registering your operator as "
            "CompositeImplicitAutograd. If you have an autograd.Function registered to a "
            "backend (CPU/CUDA/XPU) key, the correct location for it is the Autograd key.")


# -- fake kernels and their context ----------------------------------------------------------
class FakeImplCtx:
    """What :func:`get_ctx` returns inside a fake kernel run by :func:`opcheck`.

    tensorkeys has no symbolic shapes: :meth:`new_dynamic_size` returns the plain int ``min``
    and remembers it; when the fake output is compared with the real one, a dimension of that
    size is taken as data-dependent (any real size matches, as PyTorch's unbacked sizes do)
    and that tensor's strides are not compared."""

    def __init__(self, op):
        self._op = op
        self._dynamic = []

    def new_dynamic_size(self, *, min=0, max=None) -> int:
        if min < 0:
            raise ValueError(
                f"ctx.new_dynamic_size(min={min}, ...): expected min to be greater than or "
                "equal to 0: this API can only create non-negative sizes.")
        self._dynamic.append(int(min))
        return int(min)

    def create_unbacked_symint(self, *, min=2, max=None) -> int:
        import warnings
        warnings.warn("`create_unbacked_symint` is deprecated, please use `new_dynamic_size` "
                      "instead", FutureWarning, stacklevel=2)
        return self.new_dynamic_size(min=min, max=max)


import contextvars as _contextvars  # noqa: E402

_FAKE_CTX: _contextvars.ContextVar = _contextvars.ContextVar("tensorkeys_fake_ctx",
                                                             default=None)


def get_ctx():
    """``torch.library.get_ctx``: the context of the fake kernel being run (a
    :class:`FakeImplCtx`), ``None`` outside one (as in PyTorch when no fake kernel runs)."""
    return _FAKE_CTX.get()


def _no_returns_mutating(op) -> bool:
    # PyTorch derives a fake kernel for an op that writes its arguments and returns nothing
    return bool(op.schema.written_args) and not op.schema.returns


def _find_fake(op):
    """``run(values) -> outputs`` with the op's fake kernel, or the error tracing would raise."""
    cop = _CUSTOM_OPS.get(op.name())
    if cop is not None and cop._opoverload is op:
        fn = cop._fake_fn
        if fn is None:
            if _no_returns_mutating(op):
                return lambda vals: None
            raise RuntimeError(
                f"There was no fake impl registered for {cop!r}. This is necessary for "
                "torch.compile/export/fx tracing to work. Please use "
                f"`{cop._init_fn.__name__}.register_fake` to add an fake impl.")
    else:
        fn = _FAKE_IMPLS.get(op.name())
    if fn is not None:
        def run(vals):
            pos, kw = _split_kwarg_only(op, vals)
            return fn(*pos, **kw)
        return run
    regs = op._kernels.get(_k.Meta)
    if regs and not regs[-1].is_fallthrough:
        raw = regs[-1].raw
        return lambda vals: raw(_k.Meta.bit, *vals)
    if _no_returns_mutating(op):
        return lambda vals: None
    raise UnsupportedOperatorException(op)


def _storage_ids(tree):
    return {t.untyped_storage().data_ptr() for t in _leaves(tree) if isinstance(t, _Tensor)}


def _alias_facts(out, inputs):
    outs = [t for t in _leaves(out) if isinstance(t, _Tensor)]
    ins = _storage_ids(inputs)
    in_ids = {id(t) for t in _leaves(inputs) if isinstance(t, _Tensor)}
    seen, each_other = set(), False
    for t in outs:
        p = t.untyped_storage().data_ptr()
        each_other = each_other or p in seen
        seen.add(p)
    return (any(t.untyped_storage().data_ptr() in ins for t in outs),
            any(id(t) in in_ids for t in outs), each_other)


def _compare_meta(real, fake, dynamic):
    """PyTorch's metadata comparison of a real output with its fake counterpart."""
    if real.requires_grad != fake.requires_grad:
        raise MetadataMismatchError(
            " mismatched requires_grad-ness of outputs. This usually means that you have added "
            "autograd support for your operator at a dispatch key other than Autograd, which "
            "will lead to problems")
    free = [i for i, n in enumerate(fake.shape) if n in dynamic] if dynamic else []
    if real.storage_offset() != fake.storage_offset() and not free:
        raise MetadataMismatchError(" mismatched storage offset")
    same = real.dim() == fake.dim() and all(
        a == b or i in free for i, (a, b) in enumerate(zip(real.shape, fake.shape)))
    if not same:
        raise MetadataMismatchError(f"Shapes {real.shape} and {fake.shape} are not equal!")
    if real.dtype != fake.dtype:
        raise MetadataMismatchError(f"Dtypes {real.dtype} and {fake.dtype} are not equal!")
    if real.device != fake.device:
        raise MetadataMismatchError(f"Devices {real.device} and {fake.device} are not equal!")
    if not free and real.numel() > 0:
        rs, fs = real.stride(), fake.stride()
        for i in range(real.dim()):
            if real.shape[i] > 1 and rs[i] != fs[i]:
                raise MetadataMismatchError(
                    f"Stride mismatch! Strides are {rs} and {fs} (mismatched at {i})!")
        if real.storage_offset() != fake.storage_offset():
            raise MetadataMismatchError(
                f"Storage offset mismatch! Storage offsets are {real.storage_offset()} and "
                f"{fake.storage_offset()}!")
    if real.is_conj() != fake.is_conj():
        raise MetadataMismatchError(
            f"Conj mismatch! is_conj is set to {real.is_conj()} and {fake.is_conj()}")
    if real.is_neg() != fake.is_neg():
        raise MetadataMismatchError(
            f"Neg mismatch! is_neg is set to {real.is_neg()} and {fake.is_neg()}")


def _check_fake(op, args, kwargs):
    """test_faketensor: the fake kernel (``register_fake``, ``impl_abstract`` or a Meta-key
    kernel) must describe the real output: same number of outputs, same aliasing of inputs,
    same shapes, dtypes, devices, strides (of dimensions longer than 1) and storage offsets.

    tensorkeys has no fake tensors: the fake kernel runs on copies of the real inputs (so a
    fake kernel that reads values works here, where PyTorch's fake tensors would refuse), and
    only the metadata of what it returns is used. Built-in (aten) ops and ops that decompose
    (CompositeImplicitAutograd) are not checked, as in PyTorch."""
    if op.namespace in _BUILTIN_NAMESPACES or _decomposes(op):
        return
    fake = _find_fake(op)
    vals = _normalized(op, args, kwargs)
    fake_vals = _map_tensors(_clone_input, vals)
    ctx = FakeImplCtx(op)
    token = _FAKE_CTX.set(ctx)
    try:
        with AutoDispatchBelowAutograd():
            fake_r = fake(fake_vals)
    finally:
        _FAKE_CTX.reset(token)
    with AutoDispatchBelowAutograd():
        real_r = op(*args, **kwargs)
    context = f"When comparing the output of {op} on FakeTensor and concrete Tensors, found"
    r_flat, f_flat = _leaves(real_r), _leaves(fake_r)
    if len(f_flat) != len(r_flat):
        raise AssertionError(
            f"{context} mismatch in number of returns {len(f_flat)} != {len(r_flat)}")
    r_alias = _alias_facts(real_r, vals)
    f_alias = _alias_facts(fake_r, fake_vals)
    for what, r, f in zip(("outputs_alias_inputs", "outputs_are_inputs",
                           "outputs_alias_each_other"), r_alias, f_alias):
        if r != f:
            raise MetadataMismatchError(f"{context} mismatch in {what} check {f} != {r}")
    for idx, (r, f) in enumerate(zip(r_flat, f_flat)):
        if isinstance(r, _Tensor) != isinstance(f, _Tensor):
            raise AssertionError(f"{context} mismatched number of tensor outputs")
        if isinstance(r, _Tensor):
            try:
                _compare_meta(r, f, ctx._dynamic)
            except MetadataMismatchError as e:
                where = "" if len(r_flat) == 1 else f" for output[{idx}]"
                raise MetadataMismatchError(
                    f"{context} mismatched tensor metadata{where}: {e}") from e


# -- the AOT checks, without an AOT compiler -------------------------------------------------
_OUTPUTS_MSG = (
    "Outputs of the operator are different in eager-mode PyTorch vs AOTDispatcher tracing. "
    "This means the operator will have incorrect output underneath torch.compile. This could "
    "be because the operator's implementation not traceable.")
_GRADS_MSG = (
    "Gradients of the operator are different in eager-mode PyTorch vs AOTDispatcher. This "
    "means the operator will have incorrect gradients underneath torch.compile. This could "
    "be because the operator's backward is incorrectly registered or not traceable.")


def _trace_requirements(op):
    """What tracing the op with fake tensors would refuse: a non-aten op whose outputs carry
    alias annotations (it cannot be functionalized), an op without a fake kernel."""
    if op.namespace in _BUILTIN_NAMESPACES or _decomposes(op):
        return
    if any(r.alias is not None for r in op.schema.returns):
        raise RuntimeError(
            f"Found a custom (non-ATen) operator whose output has alias annotations: "
            f"{op.schema}. We only support functionalizing operators whose outputs do not "
            "have alias annotations (e.g. 'Tensor(a)' is a Tensor with an alias annotation "
            "whereas 'Tensor' is a Tensor without. The '(a)' is the alias annotation). The "
            "alias annotation specifies that the output Tensor shares storage with an input "
            "that has the same annotation. Please check if (1) the output needs to be an "
            "output (if not, don't return it), (2) if the output doesn't share storage with "
            "any inputs, then delete the alias annotation. (3) if the output indeed shares "
            "storage with an input, then add a .clone() before returning it to prevent "
            "storage sharing and then delete the alias annotation. Otherwise, please file an "
            "issue on GitHub.")
    _find_fake(op)


def _check_aot(op, args, kwargs, *, rtol=None, atol=None):
    """test_aot_dispatch_static / test_aot_dispatch_dynamic, as far as they go without a
    compiler (tensorkeys has none; both names run this same check).

    PyTorch runs the op eagerly and through AOTAutograd and compares outputs and gradients
    (of the sum of the outputs' absolute sums). Here the compiled run is replaced by a second
    eager run that must first pass what tracing requires (a fake kernel; no alias
    annotations on a custom op's outputs). Each run gets fresh clones of the inputs and the
    generator seeded with 42. So this finds a missing or failing backward, a missing fake
    kernel, outputs that alias, and kernels whose results are not a function of their inputs
    and of the seeded generator (numpy randomness, hidden state, a backward that changes
    between calls); it cannot find bugs that only tracing shows (a kernel that is not
    traceable, a graph that bakes in data)."""
    from . import autograd
    from ._random import fork_rng, manual_seed
    from .testing import assert_close

    tensors = [t for t in _leaves((args, kwargs)) if isinstance(t, _Tensor)]

    # a kernel that records autograd below the Autograd key records nothing when traced
    no_autograd_kernel = not (op.has_kernel_for("Autograd")
                              or op.has_kernel_for("CompositeImplicitAutograd"))

    def run(as_compiled):
        if as_compiled:
            _trace_requirements(op)
        a, k = _map_tensors(lambda t: t.clone(), (tuple(args), dict(kwargs)))
        with fork_rng():
            manual_seed(42)
            if as_compiled and no_autograd_kernel:
                with AutoDispatchBelowAutograd():
                    return op(*a, **k)
            return op(*a, **k)

    if rtol and atol:
        same = functools.partial(assert_close, rtol=rtol, atol=atol)
    else:
        same = assert_close
    out = run(False)
    if not (any(t.requires_grad for t in tensors)
            and any(isinstance(o, _Tensor) and o.requires_grad for o in _leaves(out))):
        same(run(True), out, msg=_OUTPUTS_MSG)
        return

    def forward_backward(as_compiled):
        diff = [t for t in tensors if t.requires_grad]
        o = run(as_compiled)
        total = 0
        for t in _leaves(o):
            if isinstance(t, _Tensor):
                total = total + t.sum().abs()
        if as_compiled and not (isinstance(total, _Tensor) and total.requires_grad):
            return o, tuple(d.new_zeros(d.shape) for d in diff)
        return o, autograd.grad(total, diff, allow_unused=True)

    first_out, first_grad = forward_backward(False)
    if all(g is None for g in first_grad) and any(t.grad_fn is not None for t in tensors):
        return
    second_out, second_grad = forward_backward(True)
    try:
        same(second_out, first_out)
    except Exception as e:
        raise type(e)(_OUTPUTS_MSG) from e
    try:
        same(second_grad, first_grad)
    except Exception as e:
        raise type(e)(_GRADS_MSG) from e


_OPCHECK_TESTS = {
    "test_schema": lambda op, a, k, rtol, atol: _check_schema(op, a, k),
    "test_autograd_registration": lambda op, a, k, rtol, atol: _check_autograd_registration(
        op, a, k),
    "test_faketensor": lambda op, a, k, rtol, atol: _check_fake(op, a, k),
    "test_aot_dispatch_static": lambda op, a, k, rtol, atol: _check_aot(op, a, k, rtol=rtol,
                                                                        atol=atol),
    "test_aot_dispatch_dynamic": lambda op, a, k, rtol, atol: _check_aot(op, a, k, rtol=rtol,
                                                                         atol=atol),
}


def _unique_overload(packet):
    ovs = list(packet._overloads)
    if len(ovs) != 1:
        raise RuntimeError(f"opcheck can only test operators without overloads. Got the "
                           f"following overloads for {packet._qualified_op_name}: {ovs}")
    return packet._overloads[ovs[0]]


def opcheck(op, args, kwargs=None, *, test_utils=_OPCHECK_DEFAULT_UTILS,
            raise_exception=True, atol=None, rtol=None) -> dict:
    """``torch.library.opcheck``: test that a custom op is registered consistently, with
    these tests (PyTorch's names; ``test_utils="ALL"`` runs them all, in this order):

    - ``test_schema``: the op writes only the arguments its schema marks ``Tensor(a!)``
      (``mutates_args``) and its outputs alias inputs (or each other) only as declared;
    - ``test_autograd_registration``: with an input requiring grad, an op that has no
      Autograd-key kernel does not return outputs requiring grad (autograd recorded inside a
      backend kernel);
    - ``test_faketensor``: the fake kernel describes the real outputs (see
      :func:`_check_fake`: it runs on copies of the real inputs here);
    - ``test_aot_dispatch_static`` / ``test_aot_dispatch_dynamic``: with no compiler in
      tensorkeys, both are the same eager stand-in (see :func:`_check_aot`).

    Every test works on copies of ``args`` and ``kwargs``: the caller's tensors are never
    written. Returns ``{test name: "SUCCESS" or the exception}``; with
    ``raise_exception=True`` the first failure raises :class:`OpCheckError` instead.
    ``rtol`` and ``atol`` (both or neither) are the tolerances of the AOT stand-in.
    """
    if (rtol is None) ^ (atol is None):
        raise ValueError("opcheck(op, ...): if you specify one of rtol/atol, you must specify "
                         "both")
    if kwargs is None:
        kwargs = {}
    if isinstance(op, CustomOpDef):
        op = op._opoverload
    if isinstance(op, OpOverloadPacket):
        op = _unique_overload(op)
    if not isinstance(op, OpOverload):
        raise ValueError(f"opcheck(op, ...): op must be instance of torch._ops.OpOverload, "
                         f"e.g. torch.ops.aten.sin.default, got {type(op)}")
    if test_utils == "ALL":
        test_utils = tuple(_OPCHECK_TESTS)
    if isinstance(test_utils, str):
        test_utils = (test_utils,)
    if not isinstance(test_utils, (tuple, list)) or not set(test_utils) <= set(_OPCHECK_TESTS):
        raise ValueError(f"opcheck(op, ..., test_utils={test_utils}), expected test_utils to "
                         f"be subset of {tuple(_OPCHECK_TESTS)} but it was not")
    results = {}
    for name in test_utils:
        a, k = _map_tensors(_clone_input, (tuple(args), dict(kwargs)))
        if name.startswith("test_aot"):
            a, k = tuple(args), dict(kwargs)     # (it clones for each of its runs)
        try:
            _OPCHECK_TESTS[name](op, a, k, rtol, atol)
            results[name] = "SUCCESS"
        except Exception as ex:
            if raise_exception:
                raise OpCheckError(f"opcheck(op, ...): {name} failed with {ex} (scroll up for "
                                   "stack trace)") from ex
            results[name] = ex
    return results


# -- impl_abstract, get_kernel -----------------------------------------------------------------
def impl_abstract(qualname, func=None, *, lib=None, _stacklevel=1):
    """Deprecated name of :func:`register_fake` (warns with a FutureWarning, as PyTorch)."""
    import warnings
    warnings.warn("`torch.library.impl_abstract` was renamed to `torch.library.register_fake`. "
                  "Please use that instead; we will remove `torch.library.impl_abstract` in a "
                  "future version of PyTorch.", FutureWarning, stacklevel=2)
    return register_fake(qualname, func, lib=lib, _stacklevel=_stacklevel + 1)


# PyTorch key names that name one of ours differently (its per-backend keys are our one key)
_KEY_ALIASES = {"AutogradCPU": "Autograd", "AutocastCPU": "Autocast",
                "PythonDispatcher": "Python"}
_TORCH_ALIAS_KEYS = ("Autograd", "CompositeImplicitAutograd", "CompositeExplicitAutograd",
                     "CompositeExplicitAutogradNonFunctional", "CompositeImplicitAutogradNestedTensor")


class _SafeKernelFunction:
    """The kernel the dispatcher computes for an op at one key (``get_kernel``). Call it with
    :meth:`call_boxed`: a key set first (the one to continue dispatching with), then the op's
    arguments."""

    __slots__ = ("_op", "_key", "_raw", "_debug")

    def __init__(self, op, key, raw, debug):
        self._op = op
        self._key = key
        self._raw = raw
        self._debug = debug

    def __repr__(self):
        return f"SafeKernelFunction(debug='{self._debug}')"

    __str__ = __repr__

    @property
    def op_handle(self):
        return self._op

    def call_boxed(self, keyset, *args, **kwargs):
        from dispatch.keys import DispatchKeySet
        if not isinstance(keyset, DispatchKeySet):
            raise TypeError(
                "call_boxed(): incompatible function arguments. The following argument types "
                "are supported:\n    1. (self: torch._C._SafeKernelFunction, arg0: "
                f"c10::DispatchKeySet, *args, **kwargs) -> object\n\nInvoked with: {self!r}, "
                f"{keyset!r}")
        try:
            vals = _normalized(self._op, args, kwargs)
        except TypeError:
            s = self._op.schema
            names = {a.name for a in s.arguments}
            given = len(args) + len(kwargs)
            missing = [a.name for i, a in enumerate(s.arguments)
                       if i >= len(args) and a.name not in kwargs and a.default is NO_DEFAULT]
            if missing:
                raise RuntimeError(f"{s.namespace}::{s.name}() is missing value for argument "
                                   f"'{missing[0]}'. Declaration: {s}") from None
            unknown = [k for k in kwargs if k not in names]
            raise RuntimeError(
                f"{s.namespace}::{s.name}() expected at most {len(s.arguments)} argument(s) but "
                f"received {given} argument(s)" + (f" (unknown: {unknown})" if unknown else "")
                + f". Declaration: {s}") from None
        return self._raw(int(keyset), *vals)


def get_kernel(op, dispatch_key):
    """``torch.library.get_kernel``: the kernel the dispatcher would run for ``op`` (an
    OpOverload or ``"ns::name[.overload]"``) at ``dispatch_key`` (a key name, or one of our
    DispatchKey objects), following fallthroughs, alias keys and fallbacks as a call does.

    PyTorch's per-backend autograd and autocast keys (``AutogradCPU``, ``AutocastCPU``) name
    our single ``Autograd`` / ``Autocast`` keys; ``Autograd`` and the ``Composite*`` names are
    alias keys to PyTorch, with no kernel of their own, so they are refused as there. A key
    tensorkeys does not have (``CUDA``) is refused with ValueError (PyTorch would hand back a
    kernel for it)."""
    from dispatch import keys as K
    from dispatch.dispatcher import _bind_fallback
    if not isinstance(op, (str, OpOverload)):
        raise ValueError(f"get_kernel({op}): got unexpected type for op: {type(op)}")
    if isinstance(op, str):
        try:
            op = get_op(op)
        except KeyError:
            raise RuntimeError(f"operator {op} does not exist") from None
    if isinstance(dispatch_key, K.DispatchKey):
        key = dispatch_key
        name = key.name
    else:
        name = str(dispatch_key)
        if name in _TORCH_ALIAS_KEYS:
            raise RuntimeError("Alias keys do not have runtime kernel registrations.")
        try:
            key = K.key(_KEY_ALIASES.get(name, name))
        except (KeyError, ValueError):
            raise ValueError(f"Invalid dispatch key: {name}") from None
    if key.alias:
        raise RuntimeError("Alias keys do not have runtime kernel registrations.")
    k, how, reg = op.compute(key.bit)
    if reg is None:
        from dispatch.dispatcher import _missing_kernel
        return _SafeKernelFunction(op, k, _missing_kernel(op, key.bit, k),
                                  f"missing kernel for {op.name()} at {name}")
    raw = _bind_fallback(op, reg.raw) if how == "fallback" else reg.raw
    fn = reg.fn
    code = getattr(fn, "__code__", None)
    where = (f"{code.co_filename}:{code.co_firstlineno}" if code is not None
             else getattr(fn, "__qualname__", type(fn).__name__))
    return _SafeKernelFunction(op, k, raw, f"registered at {where}")


# -- register_autocast -------------------------------------------------------------------------
def _autocast_cast(value, device_type, dtype):
    """A floating tensor (not float64) of ``device_type`` becomes ``dtype``; lists and tuples
    are cast element by element; anything else is left alone."""
    if isinstance(value, _Tensor):
        ok = (value.is_floating_point() and value.device.type == device_type
              and value.dtype is not D.float64)
        return value.to(dtype) if ok else value
    if isinstance(value, (list, tuple)):
        return type(value)(_autocast_cast(v, device_type, dtype) for v in value)
    return value


def _check_autocast_device(device_type):
    from modes import autocast as _state
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    name = _state.device_name(device_type)
    if name not in _state._DEFAULT_DTYPES:
        raise ValueError(f"Device type '{device_type}' does not support autocast.")
    return name


def _make_autocast_kernel(op, device_type, cast_inputs):
    """Autocast-key kernel: with autocast excluded (so the op and what it is made of are not
    cast again), cast the eligible inputs to ``cast_inputs`` and run the op below the key."""
    from dispatch.record import ModeRecord, set_record, reset_record
    bit = _k.Autocast.bit

    def custom_autocast(ks, *args):
        r = _get()
        token = set_record(ModeRecord(r[0], r[1] | bit, r[2], r[3]))
        try:
            cast = [_autocast_cast(a, device_type, cast_inputs) for a in args]
            return op.redispatch(int(ks) & _k.Autocast.below_mask, *cast)
        finally:
            reset_record(token)
    return custom_autocast


def _register_autocast_on(op, device_type, cast_inputs, lib):
    kernel = _make_autocast_kernel(op, device_type, cast_inputs)
    if device_type == "cpu":              # (another device's autocast never runs here)
        lib._impl_raw(op, kernel, "Autocast")
    return kernel


def _custom_register_autocast(self, device_type, cast_inputs):
    """``CustomOpDef.register_autocast``: inside ``autocast(device_type)``, the op's floating
    inputs (not float64) are cast to ``cast_inputs`` first. The first registration for a
    device type stays, as in PyTorch."""
    name = _check_autocast_device(device_type)
    done = self.__dict__.setdefault("_autocast_dtype", {})
    kernel = _make_autocast_kernel(self._opoverload, name, cast_inputs)
    if done.get(name) is None:
        done[name] = cast_inputs
        if name == "cpu":
            self._lib._impl_raw(self._name, kernel, "Autocast")
    return kernel


CustomOpDef.register_autocast = _custom_register_autocast


def _resolve_for_registration(op, what):
    if not isinstance(op, (str, OpOverload, CustomOpDef)):
        raise ValueError(f"{what}({op}): got unexpected type for op: {type(op)}")
    if isinstance(op, OpOverload):
        op = op.name()
    return _CUSTOM_OPS.get(op, op)


def register_autocast(op, device_type, cast_inputs, /, *, lib=None):
    """``torch.library.register_autocast``: inside ``autocast(device_type)``, cast the op's
    floating inputs (except float64) to ``cast_inputs`` before running it, with autocast off
    for what the op calls. Only the CPU autocasts here; a registration for another device
    type with an autocast (``"cuda"``) is accepted and never runs."""
    op = _resolve_for_registration(op, "register_autocast")
    name = _check_autocast_device(device_type)
    if isinstance(op, CustomOpDef):
        return op.register_autocast(device_type, cast_inputs)
    opov = get_op(op)
    return _register_autocast_on(opov, name, cast_inputs, _kept_library(op, lib))


# -- register_vmap -----------------------------------------------------------------------------
class VmapInfo(typing.NamedTuple):
    """What a vmap rule learns about the vmap it runs in."""
    batch_size: int
    randomness: str


_VMAP_RULES: dict = {}        # OpOverload -> rule(info, in_dims, *args, **kwargs)
_VMAP_SCOPE: _contextvars.ContextVar = _contextvars.ContextVar("tensorkeys_vmap_scope",
                                                               default=None)


class _VmapScope:
    """One running ``vmap`` (Note [vmap rules of custom ops]).

    Note [vmap rules of custom ops]
        Our vmap is a loop over slices (func.py), so an op never sees a batched tensor. While
        a vmap runs and some op has a rule, the loop adds the Python key to the thread's
        included keys; the rule's op has a kernel there (below Autograd, as PyTorch's
        FuncTorchBatched rule sits below autograd), which recognises arguments that are the
        current slices of the vmapped inputs. At the k-th call of the op in a slice, if its
        tensor arguments are slices (in_dim = the input's dim) or the very objects the k-th
        call got in the first slice (in_dim None, e.g. a captured weight), the rule runs once
        on the whole inputs, and each slice gets its part of the rule's output. Any other
        call (an argument computed inside the function) runs the kernel on the slice: the
        values are the same when the rule is right, only the rule is not used."""

    def __init__(self, flat_args, flat_dims, size, randomness):
        self.batched = {}               # id(slice tensor) -> (whole tensor, dim)
        self.inputs = list(zip(flat_args, flat_dims))
        self.info = VmapInfo(size, randomness)
        self.index = -1
        self.calls = {}                 # (op, ordinal) -> (args of the first slice, out, dims)
        self.count = {}
        self.keep = []

    def start_slice(self, index, sliced):
        self.index = index
        self.count = {}
        self.batched = {id(s): (a, d) for s, (a, d) in zip(sliced, self.inputs)
                        if d is not None}
        self.keep = sliced              # (ids stay theirs while the slice runs)

    def run(self, op, ks, args):
        n = self.count.get(op, 0)
        self.count[op] = n + 1
        key = (op, n)
        in_dims, whole = [], []
        for v in args:
            hit = self.batched.get(id(v)) if isinstance(v, _Tensor) else None
            if hit is None:
                in_dims.append(None)
                whole.append(v)
            else:
                in_dims.append(hit[1])
                whole.append(hit[0])
        if all(d is None for d in in_dims):
            return _NOT_HANDLED
        cached = self.calls.get(key)
        if cached is None:
            if self.index != 0:
                return _NOT_HANDLED
            out, out_dims = _call_vmap_rule(op, self.info, in_dims, whole, ks)
            self.calls[key] = (list(args), in_dims, out, out_dims)
        else:
            first_args, first_dims, out, out_dims = cached
            if first_dims != in_dims or any(
                    d is None and isinstance(a, _Tensor) and a is not b
                    for a, b, d in zip(args, first_args, in_dims)):
                return _NOT_HANDLED
        i = self.index

        def part(o, d):
            return o if d is None or not isinstance(o, _Tensor) else o.select(d, i)
        if isinstance(out, tuple):
            dims = out_dims if isinstance(out_dims, tuple) else (out_dims,) * len(out)
            return tuple(part(o, d) for o, d in zip(out, dims))
        if isinstance(out, list):
            dims = out_dims if isinstance(out_dims, (tuple, list)) else [out_dims] * len(out)
            return [part(o, d) for o, d in zip(out, dims)]
        return part(out, out_dims)


_NOT_HANDLED = object()


def _call_vmap_rule(op, info, in_dims, whole, ks):
    rule = _VMAP_RULES[op]
    pos, kw = _split_kwarg_only(op, whole)
    dims = tuple(in_dims[:len(pos)])
    token = _VMAP_SCOPE.set(None)       # what the rule calls is not batched again
    try:
        res = rule(info, dims, *pos, **kw)
    finally:
        _VMAP_SCOPE.reset(token)
    base = ("Expected the vmap staticmethod to have two returns, an output and out_dims with "
            "pytree structure compatible with the output. ")
    if not isinstance(res, tuple):
        raise RuntimeError(base + f"Got a {type(res)} instead")
    if len(res) != 2:
        raise RuntimeError(base + f"Got {len(res)} returns instead")
    return res


def _make_vmap_kernel(op):
    below = _k.Python.below_mask

    def vmap_kernel(ks, *args):
        scope = _VMAP_SCOPE.get()
        if scope is not None and op in _VMAP_RULES:
            out = scope.run(op, ks, args)
            if out is not _NOT_HANDLED:
                return out
        return op.redispatch(int(ks) & below, *args)
    return vmap_kernel


class _vmap_scope:
    """Used by ``func.vmap`` around its loop when some op has a vmap rule."""

    def __init__(self, flat_args, flat_dims, size, randomness):
        self.scope = _VmapScope(flat_args, flat_dims, size, randomness)

    def __enter__(self):
        from dispatch.record import ModeRecord, set_record
        r = _get()
        self._tokens = (_VMAP_SCOPE.set(self.scope),
                        set_record(ModeRecord(r[0] | _k.Python.bit, r[1], r[2], r[3])))
        return self.scope

    def __exit__(self, *exc):
        from dispatch.record import reset_record
        reset_record(self._tokens[1])
        _VMAP_SCOPE.reset(self._tokens[0])
        return False


def _has_kwarg_only_tensors(schema):
    return any(a.kwarg_only and a.is_tensor_like for a in schema.arguments)


def _custom_register_vmap(self, func=None):
    """``CustomOpDef.register_vmap``: the op's rule under ``vmap``,
    ``func(info, in_dims, *args, **kwargs) -> (output, out_dims)``; ``info.batch_size`` and
    ``info.randomness`` describe the vmap (see Note [vmap rules of custom ops])."""
    def register(f):
        op = self._opoverload
        first = op not in _VMAP_RULES
        _VMAP_RULES[op] = f
        if first:
            self._lib._impl_raw(self._name, _make_vmap_kernel(op), "Python")
        return f
    return register(func) if func is not None else register


CustomOpDef.register_vmap = _custom_register_vmap


def register_vmap(op, func=None, /, *, lib=None):
    """``torch.library.register_vmap``: give ``op`` a rule for ``vmap``:
    ``func(info, in_dims, *args, **kwargs)`` returns ``(output, out_dims)``, where ``in_dims``
    has one entry per positional argument (the vmapped dimension, or None) and
    ``info`` has ``batch_size`` and ``randomness``. tensorkeys's vmap is a loop; the rule is
    used as Note [vmap rules of custom ops] says."""
    op = _resolve_for_registration(op, "register_vmap")
    if isinstance(op, CustomOpDef):
        return op.register_vmap(func)
    opov = get_op(op)
    if _has_kwarg_only_tensors(opov.schema):
        raise NotImplementedError(
            f"register_vmap with kwarg-only Tensor args. In the original definition of the op, "
            f"please make your tensors not kwarg-only. Got: {opov.schema}")

    def register(f):
        first = opov not in _VMAP_RULES
        _VMAP_RULES[opov] = f
        if first:
            _kept_library(op, lib)._impl_raw(opov, _make_vmap_kernel(opov), "Python")
        return f
    return register(func) if func is not None else register
