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
from dispatch.dispatcher import OpOverload, get_op
from dispatch.library import Library, fallthrough_kernel
from dispatch.record import current_record as _get
from modes import AutoDispatchBelowADInplaceOrView, AutoDispatchBelowAutograd

from . import _dtype as D
from . import _tensor as T
from .autograd import graph as G
from .autograd.function import Function
from .errors import inplace_inference_error

__all__ = ["Library", "fallthrough_kernel", "custom_op", "CustomOpDef", "register_autograd",
           "define", "impl", "register_kernel", "register_fake",
           "register_inplace_layers", "infer_schema"]

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
