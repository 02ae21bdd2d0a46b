"""One op, one definition (DESIGN §5).

``defop(schema, cpu, grad={...})`` declares an op once: its schema, its numpy kernel and its
derivative formulas. From the schema's alias annotations the generic machinery here registers

- the CPU kernel: unwraps tensors to numpy arrays, calls ``cpu``, wraps the result (a view op's
  result keeps its input's key set; an in-place op returns ``self``);
- the ADInplaceOrView kernel, for in-place / out= ops (refuse inference tensors outside
  inference mode *before* writing, then bump versions) and view ops (track the view);
- the Autograd kernel, from the derivative formulas: records one node when grad mode is on and
  an input requires grad, otherwise just redispatches.

Formulas are Python expressions over our own ops, compiled once, so ``create_graph=True`` gets
higher-order gradients for free. Names a formula may use: ``grad`` (``grads[i]`` for several
outputs), the schema's argument names, ``result`` (``results[i]``), and ``<arg>_shape`` /
``<arg>_dtype`` / ``<arg>_numel`` for facts about an argument (saved as plain values, so they
need no version check). A formula for a ``Tensor[]`` argument returns a list.

Note [Redispatch without guards]
    PyTorch's autograd kernels install ``AutoDispatchBelowADInplaceOrView`` around their
    redispatch so that a backend kernel calling other ops does not re-enter autograd. Our
    built-in backend kernels are numpy code and never call ops, so the generic kernels skip
    that guard (a ContextVar write per op). Kernels that do call ops — custom ops, composite
    kernels — install it themselves, as the ROIAlign example shows.
"""

from __future__ import annotations

import builtins

import numpy as np

from dispatch import keys as _k
from dispatch.library import Library
from dispatch.record import current_record as _get

from . import _tensor as T
from .autograd import graph as G
from .errors import inplace_inference_error

__all__ = ["defop", "fast_path", "LIB", "OPS", "method", "FORMULA_NS"]

LIB = Library("aten", "DEF")
OPS: dict[str, "object"] = {}          # full name -> OpOverload, every op we define
FORMULA_NS: dict = {}                  # names formulas can use (filled by the op modules)
_AG = _k.Autograd
_AIOV = _k.ADInplaceOrView
_wrap = T.wrap
_wrap_like = T.wrap_like_keys
_Tensor = T.Tensor


def method(name, fn=None):
    """Attach ``fn`` to Tensor as ``name`` (decorator when ``fn`` is None)."""
    if fn is None:
        return lambda f: method(name, f)
    setattr(_Tensor, name, fn)
    return fn


def _node_name(schema, given):
    if given:
        return given
    base = schema.name.strip("_")
    camel = "".join(p[:1].upper() + p[1:] for p in base.split("_"))
    return f"{camel}Backward0"


class OpNode(G.Node):
    """A node recorded by a generated Autograd kernel. Subclassed per op (``MulBackward0``)."""

    __slots__ = ("_saved", "_in_meta", "_needs")
    _spec = None

    def _release(self):
        # Only saved tensors are freed (PyTorch): a node that saved none may run again.
        if self._saved and any(type(v) is G.SavedVariable or (type(v) is list and v and type(
                v[0]) is G.SavedVariable) for v in self._saved.values()):
            self._saved = None

    def apply(self, grads):
        spec = self._spec
        saved = self._saved
        if saved is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")
        if spec.n_out == 1:
            g = grads[0]
            if g is None:
                g = _zeros_for(self._meta[0])
            env_grad = g
        else:
            gl = list(grads)
            for i, g in enumerate(gl):
                if g is None:
                    gl[i] = _zeros_for(self._meta[i])
            env_grad = gl[0]
            grads = gl
        out = []
        k = 0
        for fi, (fn, names, count) in enumerate(spec.formulas):
            if spec.list_formula[fi]:   # a Tensor[] argument: one gradient per list element
                count = len(self._needs) - len(spec.formulas) + 1
            if not any(self._needs[k:k + count]):
                out.extend([None] * count)
                k += count
                continue
            vals = []
            for n in names:
                if n == "grad":
                    vals.append(env_grad)
                elif n == "grads":
                    vals.append(grads)
                else:
                    vals.append(_unpack(saved[n], self))
            r = fn(*vals)
            if count == 1 and not spec.list_formula[fi]:
                r = (r,)
            for j in range(count):
                gi = r[j] if r is not None else None
                if gi is not None and self._needs[k + j]:
                    gi = _fit_grad(gi, self._in_meta[k + j])
                    out.append(gi)
                else:
                    out.append(None)
            k += count
        return out


def _unpack(v, node):
    if type(v) is G.SavedVariable:
        return v.unpack(node)
    if type(v) is list and any(type(x) is G.SavedVariable for x in v):  # Tensor?[]: None ok
        return [x.unpack(node) if x is not None else None for x in v]
    return v


def _zeros_for(meta):
    shape, dt = meta
    return _wrap(np.zeros(shape, dt))


def _fit_grad(g, meta):
    """Reduce a broadcast gradient back to the input's shape and give it the input's dtype."""
    if not isinstance(g, _Tensor):
        g = FORMULA_NS["scalar_tensor_like"](g, meta)
    shape, dt = meta
    if g._data.shape != shape:
        g = FORMULA_NS["sum_to_size"](g, shape)
    if g._data.dtype != dt and dt.kind in "fc":
        g = g.to(T.D._BY_NP[dt])
    return g


class Spec:
    """Compiled derivative information of one op."""

    __slots__ = ("formulas", "list_formula", "arg_index", "n_out", "needed_by", "node_cls",
                 "diff_args", "save_result")


def _compile_formulas(schema, grad, node_name):
    spec = Spec()
    names = [a.name for a in schema.arguments]
    spec.arg_index = {n: i for i, n in enumerate(names)}
    spec.n_out = len(schema.returns) if not _returns_list(schema) else -1
    if spec.n_out == -1:
        spec.n_out = 1  # list return (split/unbind): grads arrive as a list; see view ops
    spec.formulas = []
    spec.list_formula = []
    spec.diff_args = []
    spec.needed_by = []
    spec.save_result = False
    for i, a in enumerate(schema.arguments):
        kind = a.is_tensor_like
        if kind not in ("tensor", "tensor_list", "opt_tensor") or a.name not in grad:
            continue
        expr = grad[a.name]
        if isinstance(expr, str):
            params = _formula_names(expr, names)
            fn = eval(f"lambda {', '.join(params)}: ({expr})", FORMULA_NS)
        else:  # a Python function whose parameter names say what it needs
            import inspect
            params = list(inspect.signature(expr).parameters)
            fn = expr
        spec.formulas.append((fn, tuple(params), 1))
        spec.list_formula.append(kind == "tensor_list")
        spec.diff_args.append(i)
        spec.needed_by.append(tuple(p for p in params if p not in ("grad", "grads")))
        if any(p == "result" or p == "results" for p in params):
            spec.save_result = True
    spec.node_cls = type(node_name, (OpNode,), {"__slots__": (), "_spec": spec})
    return spec


def _formula_names(expr, argnames):
    code = compile(expr, "<formula>", "eval")
    allowed = set(argnames) | {"grad", "grads", "result", "results"}
    allowed |= {f"{n}_{suffix}" for n in argnames for suffix in ("shape", "dtype", "numel")}
    used = []
    for n in _all_names(code):
        if n in allowed and n not in used:
            used.append(n)
    return used


def _all_names(code):
    out = list(code.co_names) + list(code.co_varnames)
    for c in code.co_consts:
        if hasattr(c, "co_names"):
            out += _all_names(c)
    return out


def _returns_list(schema):
    return len(schema.returns) == 1 and "[]" in str(schema.returns[0].type)


# -- CPU kernels ---------------------------------------------------------------------------
def fast_path(kernel, when, then, **env):
    """Give the numpy ``kernel`` an inline fast path (Note [Inline fast paths]).

    ``when`` and ``then`` are Python expressions over ``d0, d1, ...`` (the op's arguments, with
    tensors unwrapped to their arrays) and ``a0, a1, ...`` (the arguments as passed); ``env``
    names what they use besides ``_nd`` (``np.ndarray``). Returns ``kernel``.
    """
    kernel.fast = (when, then, env)
    return kernel


def _make_cpu_kernel(schema, cpu, kind, via_slow=None):
    """Generate the CPU kernel. With ``via_slow`` (see :func:`via_rule`), the kernel first
    tests inline for the common case — the op's Autograd kernel ran, so PyTorch's inner
    re-entry is invisible — and hands every other case to ``via_slow``.

    Note [Inline fast paths]
        A tiny op spends most of its time in Python frames, not in numpy. A numpy kernel may
        therefore carry ``fast = (when, then, env)`` (see :func:`fast_path`): the generated
        kernel evaluates ``then`` itself when ``when`` holds — e.g. ``np.add(d0, d1)`` for two
        arrays of one dtype — and calls the full kernel otherwise, or when ``then`` raises
        (the full kernel then raises PyTorch's error). ``then`` must agree with the full kernel
        wherever ``when`` holds; a numpy scalar it returns becomes a 0-dim array. The wrap of
        a fresh result is inlined too, so a functional op is one Python frame at this layer.
    """
    tpos = [(i, k) for i, k in schema.tensor_args]
    n = len(schema.arguments)
    names = [f"a{i}" for i in range(n)]
    lines = [f"def cpu_kernel(ks, {', '.join(names)}):" if n else "def cpu_kernel(ks):"]
    if via_slow is not None:
        ran = " or ".join(f"(a{i}.__class__ is _T and a{i}._dispatch_keys & AGB)"
                          for i, k in tpos if k == "tensor")
        lines.append("    r_ = _get()")
        lines.append(f"    if not r_[3] and not (({ran}) and not r_[1] & AGB):")
        lines.append(f"        return via_slow(ks, {', '.join(names)})")
    call_args = list(names)
    for i, kind_ in tpos:
        if kind_ == "tensor_list":
            call_args[i] = f"[getattr(x, '_data', x) for x in a{i}]"
        else:
            lines.append(f"    d{i} = a{i}._data if a{i}.__class__ is _T "
                         f"else getattr(a{i}, '_data', a{i})")
            call_args[i] = f"d{i}"
    call = f"cpu({', '.join(call_args)})"
    ret_list = _returns_list(schema)
    fast = getattr(cpu, "fast", None)
    ns = {}
    single = kind not in ("inplace", "out", "view") and not ret_list \
        and len(schema.returns) == 1
    if single:
        if fast is not None:
            when, then, env = fast
            ns.update(env)
            lines += [f"    if {when}:",
                      "        try:",
                      f"            r = {then}",
                      "            if r.__class__ is not _nd:",
                      "                r = r.__array__()",
                      "        except (ValueError, TypeError, IndexError):",
                      f"            r = {call}",
                      "    else:",
                      f"        r = {call}"]
        else:
            lines.append(f"    r = {call}")
        # the wrap of a fresh result, inlined (``_tensor.wrap``)
        lines += ["    t = _new(_T)",
                  "    t._data = r",
                  "    t._base = None",
                  "    t._view = None",
                  "    t._requires_grad = False",
                  "    t._grad_fn = None",
                  "    t._output_nr = 0",
                  "    t._grad = None",
                  "    if _get()[3]:",
                  "        t._dispatch_keys = IK",
                  "        t._vc = None",
                  # Note [Provenance of inference tensors]: remember which op made one, so
                  # errors about it can say so (DESIGN §8).
                  "        if STACKS[0]:",
                  "            t._extra = None",
                  f"            note_origin(t, {schema.full_name!r})",
                  "        else:",
                  "            t._extra = ORIGIN     # shared (Note [Shared extras])",
                  "    else:",
                  "        t._dispatch_keys = NK",
                  "        t._vc = [0, None]",
                  "        t._extra = None",
                  "    return t"]
    elif kind == "inplace":
        w = schema.written_args[0]
        lines.append(f"    {call}")
        lines.append(f"    return a{w}")
    elif kind == "out":
        outs = schema.written_args
        lines.append(f"    {call}")
        if len(outs) == 1:
            lines.append(f"    return a{outs[0]}")
        else:
            lines.append(f"    return ({', '.join(f'a{o}' for o in outs)},)")
    elif kind == "view":
        src = _view_source(schema)
        if ret_list:
            lines.append(f"    return [wrap_like(r, a{src}) for r in {call}]")
        elif len(schema.returns) > 1:
            lines.append(f"    return tuple(wrap_like(r, a{src}) for r in {call})")
        else:
            lines.append(f"    return wrap_like({call}, a{src})")
    else:
        if ret_list:
            lines.append(f"    return [wrap(r) for r in {call}]")
        elif len(schema.returns) > 1:
            lines.append(f"    return tuple(wrap(r) for r in {call})")
        else:
            lines.append(f"    {call}")
    from .errors import note_origin, shared_origin, _STACKS
    ns.update({"cpu": cpu, "wrap": _wrap, "wrap_like": _wrap_like, "getattr": builtins.getattr,
               "_T": _Tensor, "note_origin": note_origin, "STACKS": _STACKS,
               "ORIGIN": shared_origin(schema.full_name), "_get": _get, "AGB": _AG.bit,
               "via_slow": via_slow, "_nd": np.ndarray, "_new": object.__new__,
               "IK": T.INFERENCE_KEYS, "NK": T.NORMAL_KEYS})
    exec(compile("\n".join(lines) + "\n", f"<cpu {schema.full_name}>", "exec"), ns)
    return ns["cpu_kernel"]


def _view_source(schema):
    for r in schema.aliased_returns.values():
        return r
    return 0


# -- ADInplaceOrView kernels ---------------------------------------------------------------
def _make_aiov_write_kernel(op, written):
    name = op.schema.name

    def aiov_write(ks, *args):
        rec = _get()
        if not rec[3]:
            for i in written:
                t = args[i]
                if t._vc is None:
                    _refuse_inference_write(op, ks, args, written, t)
        out = op.redispatch(ks & _AIOV.below_mask, *args)
        for i in written:
            vc = args[i]._vc
            if vc is not None:
                vc[0] += 1
                vc[1] = name
        return out
    return aiov_write


def _refuse_inference_write(op, ks, args, written, t):
    """Refuse an in-place write to an inference tensor outside inference mode (E2) without
    writing anything. PyTorch runs the kernel first and raises afterwards, so a kernel error
    (a shape mismatch, say) wins over E2; to keep that precedence we rehearse the op on
    scratch copies of the written tensors, then refuse."""
    from .opdefs._util import check_no_overlap
    for i in written:
        others = [getattr(a, "_data", None) for j, a in enumerate(args) if j != i]
        check_no_overlap(args[i]._data, [o for o in others if o is not None])
    scratch = list(args)
    for i in written:
        a = args[i]
        scratch[i] = _wrap_like(np.array(a._data, copy=True), a)
    ks2 = ks & _AIOV.below_mask
    op.redispatch(ks2, *scratch)
    raise inplace_inference_error(t)


def _make_aiov_view_kernel(op, src_index, multi):
    extra_idx = [i for i in range(len(op.schema.arguments)) if i != src_index]

    def aiov_view(ks, *args):
        out = op.redispatch(ks & _AIOV.below_mask, *args)
        src = args[src_index]
        if src._vc is None:
            return out      # views of inference tensors are not tracked (RFC-0011)
        extra = tuple(args[i] for i in extra_idx)
        if multi:
            for j, v in enumerate(out):
                make_view(v, src, op, extra, j, True)
        else:
            make_view(out, src, op, extra, None, False)
        return out
    return aiov_view


def make_view(v, src, op, extra, idx, multi, creation_meta=None):
    """Track ``v`` as a view of ``src``'s root base: shared version counter, ``_base``, and
    how to re-make it (for CopySlices and for regenerating its ``grad_fn``)."""
    root = src._base if src._base is not None else src
    v._base = root
    v._vc = src._vc
    v._dispatch_keys = src._dispatch_keys
    meta = creation_meta or G.current_creation_meta(multi)
    pinfo = src._view
    if pinfo is not None:
        meta = G.propagate_creation_meta(pinfo.creation_meta, meta)
        chain = pinfo.chain + ((op, extra, idx),)
        fn_name = pinfo.fn_name
    else:
        chain = ((op, extra, idx),)
        fn_name = None
    v._view = G.ViewInfo(chain, meta, src._vc[0], fn_name)
    # The view's own requires_grad flag stays False: it inherits requires_grad from its root
    # base through the property (Note [Own and inherited requires_grad], autograd/graph.py).
    return v


# -- Autograd kernels ----------------------------------------------------------------------
def _view_requires_grad(t):
    """A view requires grad when its base does, even if the base gained its history after
    the view was made (then the view's ``grad_fn`` is re-made on first use)."""
    if t._base is None or t._data.dtype.kind not in "fc":
        return False
    b = t._base
    return b._requires_grad or b._grad_fn is not None


def _requires_grad(t):
    return getattr(t, "_requires_grad", False) or (
        getattr(t, "_view", None) is not None and _view_requires_grad(t))


def _any_requires_grad(args, tpos):
    for i, kind in tpos:
        a = args[i]
        if kind == "tensor_list":
            for t in a:
                if _requires_grad(t):
                    return True
        elif _requires_grad(a):
            return True
    return False


def _make_autograd_kernel(op, spec, kind):
    schema = op.schema
    tpos = tuple((i, k) for i, k in schema.tensor_args)
    record = _make_recorder(op, spec, kind)
    if kind != "inplace" and all(k != "tensor_list" for _, k in tpos) and tpos:
        return _generate_autograd_kernel(op, tpos, record)

    def autograd_kernel(ks, *args):
        if _get()[2]:
            for i, k in tpos:
                a = args[i]
                if k == "tensor_list":
                    if any(_requires_grad(t) for t in a):
                        return record(ks, args)
                elif getattr(a, "_requires_grad", False) or (
                        getattr(a, "_view", None) is not None and _view_requires_grad(a)):
                    return record(ks, args)
            # nothing requires grad: PyTorch makes no in-place check (V-9: a no_grad view of a
            # plain tensor may be written in grad mode)
        return op.redispatch(ks & _AG.below_mask, *args)
    return autograd_kernel


def _generate_autograd_kernel(op, tpos, record):
    """The Autograd kernel of a functional or view op, unrolled for its tensor arguments.

    Note [The no-record path is the hot path]: with grad mode off, or no input requiring
    grad, the kernel must only test and redispatch. Generated code tests each tensor argument
    with plain attribute reads (a Tensor is the common case; anything else goes through
    ``_requires_grad``) and looks the next kernel up in the op's cache itself.
    """
    n = len(op.schema.arguments)
    names = [f"a{i}" for i in range(n)]
    tests = []
    for i, _ in tpos:
        a = f"a{i}"
        tests.append(f"({a}._requires_grad or {a}._view is not None and _vrg({a})) "
                     f"if {a}.__class__ is _T else _rg({a})")
    cond = " or ".join(f"({t})" for t in tests)
    src = (
        f"def autograd_kernel(ks, {', '.join(names)}):\n"
        f"    if _get()[2] and ({cond}):\n"
        f"        return record(ks, ({', '.join(names)},))\n"
        f"    ks = ks & _AGK.below_mask\n"
        f"    try:\n"
        f"        k = cache[ks]\n"
        f"    except KeyError:\n"
        f"        k = resolve(ks)\n"
        f"    return k(ks, {', '.join(names)})\n")
    ns = {"_get": _get, "_T": _Tensor, "_vrg": _view_requires_grad, "_rg": _requires_grad,
          "record": record, "_AGK": _AG, "cache": op._cache, "resolve": op._resolve}
    exec(compile(src, f"<autograd {op.schema.full_name}>", "exec"), ns)
    return ns["autograd_kernel"]


def _make_out_autograd_kernel(op):
    tpos = op.schema.tensor_args
    opname = op.schema.name

    def out_autograd(ks, *args):
        if _get()[2] and _any_requires_grad(args, tpos):
            raise RuntimeError(
                f"{opname}(): functions with out=... arguments don't support automatic "
                "differentiation, but one of the arguments requires grad. Hint: call the "
                "op without out= (or under no_grad()).")
        return op.redispatch(ks & _AG.below_mask, *args)
    return out_autograd


def check_inplace(t, value_requires_grad):
    """PyTorch's in-place checks, made when grad mode is on and something requires grad:
    the view creation-mode rules first, then the leaf rules."""
    from .autograd.views import handle_view_on_rebase
    if t._view is not None and t._base is not None:
        handle_view_on_rebase(t, indirect=False)
        if t.requires_grad and t._base.is_leaf:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation. Hint: wrap the update in `with no_grad():` (as optimizers do) or "
                "clone() the leaf first.")
    if t._requires_grad and t._grad_fn is None and t._base is None:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation. Hint: "
            "wrap the update in `with no_grad():` (as optimizers do), or use the out-of-place "
            "op.")


def _make_recorder(op, spec, kind):
    """The recording half of an Autograd kernel.

    Note [Recording is precomputed]: everything that depends only on the op — which
    arguments are differentiable, which saved values each formula needs and how to take them
    — is worked out here, once; ``record`` itself only walks the arguments."""
    schema = op.schema
    args_names = [a.name for a in schema.arguments]
    tlist = {i for i, k in schema.tensor_args if k == "tensor_list"}
    written = schema.written_args
    multi_view = kind == "view" and _returns_list(schema)
    diff = tuple(spec.diff_args)
    has_lists = any(i in tlist for i in diff)
    # per formula: the (name, getter) pairs it needs saved (result is saved after the op)
    savers = [tuple((n, _saver(n, args_names, tlist, kind, written))
                    for n in names if n not in ("result", "results"))
              for names in spec.needed_by]
    node_cls = spec.node_cls
    save_result = spec.save_result
    inplace = kind == "inplace"
    f64 = np.dtype("float64")
    SV = G.SavedVariable
    edge_of = G.gradient_edge
    vrg = _view_requires_grad

    def record(ks, args):
        if inplace:   # PyTorch checks the written tensor before looking at the inputs' edges
            self_t = args[written[0]]
            check_inplace(self_t, True)
        # Which inputs need a gradient, and along which edges it flows.
        edges, needs, in_meta = [], [], []
        for i in diff:
            items = args[i] if has_lists and i in tlist else (args[i],)
            for t in items:
                if isinstance(t, _Tensor):
                    a = t._data
                    in_meta.append((a.shape, a.dtype))
                    if a.dtype.kind in "fc" and (t._requires_grad or t._grad_fn is not None or
                                                 (t._view is not None and vrg(t))):
                        e = edge_of(t)
                        edges.append(e)
                        needs.append(e is not None)
                        continue
                else:
                    in_meta.append(((), f64))
                edges.append(None)
                needs.append(False)
        # Save what the formulas of the needed inputs use.
        saved = {}
        if has_lists:
            k = 0
            for fi, i in enumerate(diff):
                count = len(args[i]) if i in tlist else 1
                if any(needs[k:k + count]):
                    for n, get in savers[fi]:
                        if n not in saved:
                            saved[n] = get(args)
                k += count
        else:
            for fi in range(len(diff)):
                if needs[fi]:
                    for n, get in savers[fi]:
                        if n not in saved:
                            saved[n] = get(args)
        # Run the op below Autograd.
        out = op.redispatch(ks & _AG.below_mask, *args)
        node = node_cls(tuple(edges))
        node._needs = needs
        node._in_meta = in_meta
        if out.__class__ is _Tensor:
            outs = (out,)
            node._meta = [(out._data.shape, out._data.dtype)]
        else:
            outs = out if isinstance(out, (tuple, list)) else (out,)
            node._meta = [(o._data.shape, o._data.dtype) if isinstance(o, _Tensor) else None
                          for o in outs]
        if inplace:
            from .autograd.views import rebase_history
            rebase_history(self_t, node)
        else:
            for j, o in enumerate(outs):
                if isinstance(o, _Tensor) and o._data.dtype.kind in "fc":
                    o._grad_fn = node
                    o._output_nr = j
                    o._requires_grad = True
                    if o._view is not None:
                        o._view.attr_version = o._vc[0] if o._vc is not None else 0
        if save_result:
            if multi_view or len(outs) > 1:
                saved["results"] = [SV(o, is_output=True) for o in outs]
                saved["result"] = saved["results"][0]
            else:
                saved["result"] = SV(outs[0], is_output=True)
        node._saved = saved
        return out
    return record


def _saver(n, names, tlist, kind, written):
    """A function ``args -> value to save`` for formula name ``n`` (decided once per op)."""
    for suffix in ("_shape", "_dtype", "_numel"):
        if n.endswith(suffix) and n[: -len(suffix)] in names:
            i = names.index(n[: -len(suffix)])
            if suffix == "_shape":
                return lambda args: tuple(args[i]._data.shape)
            if suffix == "_dtype":
                return lambda args: args[i].dtype
            return lambda args: args[i]._data.size
    return lambda args: _save(n, args, names, tlist, kind, written)


def _save(n, args, names, tlist, kind, written):
    for suffix in ("_shape", "_dtype", "_numel"):
        if n.endswith(suffix) and n[: -len(suffix)] in names:
            a = args[names.index(n[: -len(suffix)])]
            if suffix == "_shape":
                return tuple(a._data.shape)
            if suffix == "_dtype":
                return a.dtype
            return a._data.size
    i = names.index(n)
    a = args[i]
    if i in tlist:
        return [G.SavedVariable(t) if t is not None else None for t in a]
    if isinstance(a, _Tensor):
        if kind == "inplace" and i in written:
            # the formula wants the value *before* the write: keep a private copy
            if a._vc is None:
                from .errors import inference_save_error
                raise inference_save_error(a)
            # a recorded clone (as PyTorch's ``original_self``): double backward reaches
            # self's history through it
            return G.SavedVariable(a.clone())
        return G.SavedVariable(a)
    return a


# -- defop ---------------------------------------------------------------------------------
class CopyBackwards(G.Node):
    """The node a result written by ``copy_`` gets when its source requires grad (see
    :func:`via_rule`): the gradient goes back to the source, in the source's dtype."""

    __slots__ = ("_src_meta",)

    def __init__(self, edge, src_meta):
        super().__init__((edge,))
        self._src_meta = src_meta
        self._meta = None

    def apply(self, grads):
        g = grads[0]
        return [None if g is None else _fit_grad(g, self._src_meta)]


def via_rule(kernel, via, n_tensor_args):
    """Reproduce how some PyTorch kernels write their result: through an inner ``out=`` op
    (``("out", name, bumps)``), an inner in-place write (``("write", bumps)``) or ``copy_``
    (``("copy", 1)``), re-entering the dispatcher.

    Note [Kernels that re-enter the dispatcher]: when the op's own Autograd kernel ran, it
    called below ADInplaceOrView, so the inner call skips both autograd layers and nothing is
    visible. When it did not run (all inputs are inference tensors outside inference mode, or
    Autograd is excluded), the inner call meets the layers the *result* carries: Autograd
    refuses an ``out=`` argument that requires grad (E27, naming the inner op) and records a
    ``copy_`` from a source that requires grad; ADInplaceOrView bumps the fresh result. Hence
    ``inference_t.clone()._version == 1`` while ``normal_t.clone()._version == 0``.
    """
    ag, aiov = _AG.bit, _AIOV.bit
    how = via[0]

    def cpu_via(ks, *args):
        rec = _get()
        exc = rec[1]
        if rec[3]:
            return kernel(ks, *args)     # an inference result: nothing to see
        a0 = args[0]
        if a0.__class__ is _Tensor and a0._dispatch_keys & ag and not exc & ag \
                and n_tensor_args == 1:
            return kernel(ks, *args)     # the common case: the Autograd kernel ran
        tensors = [a for a in args[:n_tensor_args] if isinstance(a, _Tensor)]
        if any(t._dispatch_keys & ag for t in tensors) and not exc & ag:
            return kernel(ks, *args)
        grad_on = rec[2] and not exc & ag
        if how == "out" and grad_on and any(_requires_grad(t) for t in tensors):
            raise RuntimeError(
                f"{via[1]}(): functions with out=... arguments don't support automatic "
                "differentiation, but one of the arguments requires grad. Hint: this input "
                "is an inference tensor that requires grad; clone() it outside "
                "inference_mode first.")
        out = kernel(ks, *args)
        first = out if out.__class__ is _Tensor else out[0]   # (values, indices): values
        vc = first._vc
        if vc is not None and not exc & aiov:
            vc[0] += via[-1]
        if how == "copy" and grad_on and tensors and _requires_grad(tensors[0]):
            src = tensors[0]
            edge = G.gradient_edge(src)
            if edge is not None:
                out._grad_fn = CopyBackwards(edge, (src._data.shape, src._data.dtype))
                out._requires_grad = True
        return out
    return cpu_via


def defop(schema: str, cpu=None, *, grad=None, composite=None, node_name=None,
          autograd=None, via=None, composite_keys=False):
    """Declare an op (see module docstring). Returns the op's ``call`` function.

    ``composite``: a function over our ops registered at CompositeImplicitAutograd instead of
    a numpy kernel; it gets its gradient from its parts.

    Note [Composites may reuse the key set]
        With ``composite_keys=True`` the composite is the kernel itself, ``f(ks, *args)``. When
        it calls an op on exactly its own tensor arguments it may run that op's kernel for
        ``ks`` (``op.redispatch(ks, ...)``, or the op's cache) instead of calling ``op(...)``: nothing changed the thread's record in between and the tensors are the
        same, so a full call would compute the same key set again. (Any other call — on a view,
        a new tensor — must go through the op as usual.) ``autograd``: a hand-written
    Autograd-key kernel ``(ks, *args)`` (rarely needed). Ops with neither ``grad`` nor a
    composite are not differentiable: their outputs never require grad.
    """
    name = LIB.define(schema)
    from dispatch.dispatcher import get_op
    op = get_op(name)
    OPS[name] = op
    sch = op.schema
    kind = sch.kind
    if composite is not None:
        # generated so the composite gets its arguments without packing them into a tuple;
        # with ``composite_keys`` it also gets the key set (Note [Composites may reuse the
        # key set])
        if composite_keys:
            cia = composite       # already a kernel: f(ks, *args)
        else:
            names = ", ".join(f"a{i}" for i in range(len(sch.arguments)))
            ns = {"f": composite}
            exec(compile(f"def cia(ks, {names}):\n    return f({names})\n",
                         f"<composite {name}>", "exec"), ns)
            cia = ns["cia"]
        LIB._impl_raw(name, cia, "CompositeImplicitAutograd")
        return op.call
    cpu_kernel = _make_cpu_kernel(sch, cpu, kind)
    if via is not None:
        n_t = max((i for i, _ in sch.tensor_args), default=-1) + 1
        slow = via_rule(cpu_kernel, via, n_t)
        plain = all(k == "tensor" for _, k in sch.tensor_args)
        cpu_kernel = _make_cpu_kernel(sch, cpu, kind, via_slow=slow) if plain else slow
    LIB._impl_raw(name, cpu_kernel, "CPU")
    if kind in ("inplace", "out"):
        LIB._impl_raw(name, _make_aiov_write_kernel(op, sch.written_args), "ADInplaceOrView")
    elif kind == "view":
        LIB._impl_raw(name, _make_aiov_view_kernel(op, _view_source(sch), _returns_list(sch)),
                      "ADInplaceOrView")
    if autograd is not None:
        LIB._impl_raw(name, autograd, "Autograd")
    elif kind == "out":
        LIB._impl_raw(name, _make_out_autograd_kernel(op), "Autograd")
    elif grad is not None:
        spec = _compile_formulas(sch, grad, _node_name(sch, node_name))
        op._ns["_spec"] = spec
        LIB._impl_raw(name, _make_autograd_kernel(op, spec, kind), "Autograd")
    elif kind == "inplace":
        LIB._impl_raw(name, _make_nondiff_inplace_kernel(op), "Autograd")
    return op.call


def _make_nondiff_inplace_kernel(op):
    """In-place ops without a derivative (random fills, ...) still obey the in-place checks;
    afterwards the written tensor no longer depends differentiably on anything."""
    w = op.schema.written_args[0]

    def nondiff_inplace(ks, *args):
        t = args[w]
        if _get()[2] and _requires_grad(t):
            check_inplace(t, True)
        return op.redispatch(ks & _AG.below_mask, *args)
    return nondiff_inplace

