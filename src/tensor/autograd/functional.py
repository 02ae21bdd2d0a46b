"""``torch.autograd.functional``: vjp, jvp, jacobian, hessian, vhp and hvp of a function.

Everything here is built on :func:`tensor.autograd.grad`. The calling conventions follow
PyTorch 2.13: ``inputs`` (and ``v``) may be one Tensor or a tuple of Tensors, the function may
return one Tensor or a tuple, and each result comes back in the matching structure (a tuple
only where the caller used one). ``jacobian`` and ``hessian`` return ``J[i][j]`` = the
derivative of output ``i`` with respect to input ``j``, shaped ``out_i.shape + in_j.shape``.

Note [Forward products by double backward]
    Without forward-mode AD, ``jvp`` and ``hvp`` use the double-backward trick: for a dummy
    cotangent ``u`` (zeros that require grad), ``g(u) = J^T u`` is linear in ``u``, so the
    gradient of ``g(u) . v`` with respect to ``u`` is ``J v``. This costs two backward passes
    and needs every op on the way to be twice differentiable, as in PyTorch.

Note [Fresh input tensors]
    The inputs handed to the user's function are always new tensor objects (a detached copy
    that requires grad, or a view of an input that already requires grad under
    ``create_graph``), so a tensor the function captures from outside is never mistaken for
    one of the inputs being differentiated.

Not supported (raise ``NotImplementedError`` with a hint): ``vectorize=True`` (needs batched
gradients, i.e. vmap) and ``strategy="forward-mode"`` (needs forward-mode AD).
"""

from __future__ import annotations

from .. import _tensor as T
from modes import enable_grad, set_grad_enabled, is_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]

_Tensor = T.Tensor


# -- argument normalisation ------------------------------------------------------------------
def _tupled(value, what, fn_name):
    """``(was_tuple, tuple_of_tensors)``; a TypeError names the first non-Tensor."""
    was_tuple = isinstance(value, tuple)
    items = value if was_tuple else (value,)
    for i, el in enumerate(items):
        if not isinstance(el, _Tensor):
            where = f"value at index {i}" if was_tuple else f"given {what}"
            raise TypeError(f"The {what} given to {fn_name} must be either a Tensor or a tuple "
                            f"of Tensors but the {where} has type {type(el)}.")
    return was_tuple, items


def _restructure(res, tupled):
    """Undo :func:`_tupled`: ``tupled`` is one flag (for a flat tuple) or a pair of flags
    (outer, inner) for a tuple of tuples, as jacobian and hessian return."""
    if isinstance(tupled, tuple):
        outer, inner = tupled
        if not inner:
            res = tuple(r[0] for r in res)
        return res if outer else res[0]
    return res if tupled else res[0]


def _fresh_inputs(inputs, create_graph, need_graph):
    """Note [Fresh input tensors]."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t.view_as(t))
        else:
            out.append(t.detach().requires_grad_(need_graph))
    return tuple(out)


def _detached_unless(results, create_graph):
    """Drop the history of (possibly nested tuples of) results unless ``create_graph``."""
    if create_graph:
        return results
    if isinstance(results[0], _Tensor):
        return tuple(r.detach() for r in results)
    return tuple(_detached_unless(r, create_graph) for r in results)


def _check_v(v, ref, ref_is_tuple):
    """``v`` must have one tensor per reference tensor, each of the same size."""
    if len(v) != len(ref):
        if ref_is_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(ref)} but got "
                               f"{len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, ref)):
        if a.size() != b.size():
            entry = f"Entry {i} in " if ref_is_tuple else ""
            raise RuntimeError(f"{entry}v has invalid size: should be {b.size()} but got "
                               f"{a.size()}.")


_STRICT_GRAD_ERRORS = {
    "hessian": ("The hessian of the user-provided function with respect to input {i} is "
                "independent of the input. This is not allowed in strict mode. You should "
                "ensure that your function is thrice differentiable and that the hessian "
                "depends on the inputs."),
    "jacobian": ("While computing the hessian, found that the jacobian of the user-provided "
                 "function with respect to input {i} is independent of the input. This is not "
                 "allowed in strict mode. You should ensure that your function is twice "
                 "differentiable and that the jacobian depends on the inputs (this would be "
                 "violated by a linear function for example)."),
    "grad_inputs": ("The gradient with respect to input {i} is independent of the inputs of "
                    "the user-provided function. This is not allowed in strict mode."),
    "outputs": ("Output {i} of the user-provided function does not require gradients. The "
                "outputs must be computed in a differentiable manner from the input when "
                "running in strict mode."),
}


def _strict_requires_grad(tensors, kind, strict):
    """In strict mode, every tensor (``kind`` says what they are) must exist and carry
    history."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(f"The output of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode.")
        if not t.requires_grad:
            raise RuntimeError(_STRICT_GRAD_ERRORS[kind].format(i=i))


def _grad_of_some(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """``autograd.grad`` over the outputs that require grad (the others, and ``None``
    entries, contribute nothing); ``None`` for every input when none does."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    keep = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not keep:
        return (None,) * len(inputs)
    from .engine import grad
    return grad(tuple(o for o, _ in keep), inputs, tuple(g for _, g in keep),
                retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)


_MISSING_GRAD_ERRORS = {
    "back": ("The output of the user-provided function is independent of input {i}. This is "
             "not allowed in strict mode."),
    "back_trick": ("The gradient with respect to the input is independent of entry {i} in the "
                   "grad_outputs when using the double backward trick to compute forward mode "
                   "gradients. This is not allowed in strict mode."),
    "double_back": ("The jacobian of the user-provided function is independent of input {i}. "
                    "This is not allowed in strict mode."),
    "double_back_trick": ("The hessian of the user-provided function is independent of entry "
                          "{i} in the grad_jacobian. This is not allowed in strict mode as it "
                          "prevents from using the double backward trick to replace forward "
                          "mode AD."),
}


def _zeros_for_missing(grads, refs, strict, create_graph, stage):
    """Replace missing gradients by zeros shaped like ``refs`` (strict mode refuses them, and,
    with ``create_graph``, also gradients without history)."""
    from ..opdefs.factories import zeros_like
    out = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_MISSING_GRAD_ERRORS[stage].format(i=i))
            g = zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode when "
                               f"create_graph=True.")
        out.append(g)
    return tuple(out)


def _prepare_v(v, ref, ref_is_tuple, create_graph, fn_name, none_msg):
    if v is not None:
        _, v = _tupled(v, "v", fn_name)
        v = _fresh_inputs(v, create_graph, need_graph=False)
        _check_v(v, ref, ref_is_tuple)
    elif len(ref) != 1 or ref[0].nelement() != 1:
        raise RuntimeError(none_msg)
    return v


_V_NONE_INPUT = ("The vector v can only be None if the input to the user-provided function is "
                 "a single Tensor with a single element.")


def _call(func, inputs, fn_name, strict):
    outputs = func(*inputs)
    is_tuple, outputs = _tupled(outputs, "outputs of the user-provided function", fn_name)
    _strict_requires_grad(outputs, "outputs", strict)
    return is_tuple, outputs


def _single_scalar_output(is_tuple, outputs, fn_name):
    if is_tuple or not isinstance(outputs[0], _Tensor):
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].nelement() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should "
                           "contain a single element")


# -- the public functions --------------------------------------------------------------------
def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``. ``v`` is shaped
    like the output (may be omitted for a one-element output); the product is shaped like
    the inputs. ``strict`` refuses an input no output depends on (zeros otherwise)."""
    with enable_grad():
        in_tuple, inputs = _tupled(inputs, "inputs", "vjp")
        inputs = _fresh_inputs(inputs, create_graph, need_graph=True)
        out_tuple, outputs = _call(func, inputs, "vjp", strict)
        v = _prepare_v(v, outputs, out_tuple, create_graph, "vjp",
                       "The vector v can only be None if the user-provided function returns a "
                       "single Tensor with a single element.")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _grad_of_some(outputs, inputs, v, create_graph=create_graph)
        res = _zeros_for_missing(res, inputs, strict, create_graph, "back")
    return (_restructure(_detached_unless(outputs, create_graph), out_tuple),
            _restructure(_detached_unless(res, create_graph), in_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product at ``inputs``, ``v`` shaped like
    the inputs, the product like the outputs (Note [Forward products by double backward])."""
    with enable_grad():
        in_tuple, inputs = _tupled(inputs, "inputs", "jvp")
        inputs = _fresh_inputs(inputs, create_graph, need_graph=True)
        v = _prepare_v(v, inputs, in_tuple, create_graph, "jvp", _V_NONE_INPUT)
        out_tuple, outputs = _call(func, inputs, "jvp", strict)
        from ..opdefs.factories import zeros_like
        dummies = tuple(zeros_like(o, requires_grad=True) for o in outputs)
        grad_inputs = _grad_of_some(outputs, inputs, dummies, create_graph=True)
        _strict_requires_grad(grad_inputs, "grad_inputs", strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _grad_of_some(grad_inputs, dummies, v, create_graph=create_graph)
        res = _zeros_for_missing(res, outputs, strict, create_graph, "back_trick")
    return (_restructure(_detached_unless(outputs, create_graph), out_tuple),
            _restructure(_detached_unless(res, create_graph), out_tuple))


def _unsupported_jacobian(inputs, vectorize, strategy, create_graph, strict):
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more '
            'performant. Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                'torch.autograd.functional.jacobian: `create_graph=True` and '
                '`strategy="forward-mode"` are not supported together (yet). Please either '
                'set `create_graph=False` or `strategy="reverse-mode"`.')
        if strict:
            raise RuntimeError(
                'torch.autograd.functional.jacobian: `strict=True` and '
                '`strategy="forward-mode"` are not supported together (yet). Please either '
                'set `strict=False` or `strategy="reverse-mode"`.')
        _tupled(inputs, "inputs", "jacobian")
        if not vectorize:
            raise NotImplementedError(
                "Computing Jacobian using forward-AD or forward-over-reverse Hessian isonly "
                "implemented for `vectorize=True`.")


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``, one backward pass per output element."""
    _unsupported_jacobian(inputs, vectorize, strategy, create_graph, strict)
    if strategy == "forward-mode":
        return _jacobian_forward(func, inputs)
    with enable_grad():
        in_tuple, inputs = _tupled(inputs, "inputs", "jacobian")
        inputs = _fresh_inputs(inputs, create_graph, need_graph=True)
        out_tuple, outputs = _call(func, inputs, "jacobian", strict)
        if vectorize:
            if strict:
                raise RuntimeError(
                    "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` "
                    "are not supported together. Please either set `strict=False` or "
                    "`vectorize=False`.")
            # (vectorize asks PyTorch to batch the backward passes with vmap: a question of
            # speed only, so the passes below, one per output element, give its result)
        from ..opdefs.factories import zeros_like
        from ..opdefs.shape import stack
        result = []
        for i, out in enumerate(outputs):
            rows = [[] for _ in inputs]       # rows[j][k]: d out.flat[k] / d input j
            flat = out.reshape(-1)
            for k in range(out.nelement()):
                grads = _grad_of_some((flat[k],), inputs, retain_graph=True,
                                      create_graph=create_graph)
                for j, (g, inp) in enumerate(zip(grads, inputs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(
                                f"Output {i} of the user-provided function is independent of "
                                f"input {j}. This is not allowed in strict mode.")
                        g = zeros_like(inp)
                    elif strict and create_graph and not g.requires_grad:
                        raise RuntimeError(
                            f"The jacobian of the user-provided function is independent of "
                            f"input {i}. This is not allowed in strict mode when "
                            f"create_graph=True.")
                    rows[j].append(g)
            result.append(tuple(stack(r, dim=0).view(out.size() + inp.size())
                                for r, inp in zip(rows, inputs)))
        result = _detached_unless(tuple(result), create_graph)
        return _restructure(result, (out_tuple, in_tuple))


def _jacobian_forward(func, inputs):
    """``jacobian(strategy="forward-mode")``: one forward pass per input element, each with a
    basis tangent (forward_ad.py), whose output tangents are the Jacobian's columns."""
    from . import forward_ad as fw
    from ..opdefs.factories import zeros_like
    from ..opdefs.shape import stack
    in_tuple, inputs = _tupled(inputs, "inputs", "jacobian")
    inputs = tuple(x.detach() for x in inputs)
    columns = None                    # columns[i][j]: output i's tangents, input j's basis
    out_tuple = False
    for j, x in enumerate(inputs):
        for k in range(x.nelement()):
            basis = zeros_like(x).reshape(-1)
            basis[k] = 1
            with fw.dual_level():
                args = tuple(fw.make_dual(y, basis.view(y.shape)) if m == j else y
                             for m, y in enumerate(inputs))
                out_tuple, outputs = _call(func, args, "jacobian", False)
                tangents = [fw.unpack_dual(o) for o in outputs]
            if columns is None:
                columns = [[[] for _ in inputs] for _ in outputs]
                shapes = [tuple(p.shape) for p, _ in tangents]
            for i, (p, t) in enumerate(tangents):
                columns[i][j].append(t if t is not None else zeros_like(p))
    result = tuple(
        tuple(stack(columns[i][j], dim=-1).view(shapes[i] + tuple(x.shape))
              if columns[i][j] else zeros_like(x).new_zeros(shapes[i] + tuple(x.shape))
              for j, x in enumerate(inputs))
        for i in range(len(columns or ())))
    return _restructure(result, (out_tuple, in_tuple))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a function with one scalar output: ``H[i][j]`` shaped
    ``in_i.shape + in_j.shape`` (the Jacobian of its gradient)."""
    in_tuple, inputs = _tupled(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_func(*args):
        out = func(*args)
        is_tuple, outs = _tupled(out, "outputs of the user-provided function", "hessian")
        _strict_requires_grad(outs, "outputs", strict)
        _single_scalar_output(is_tuple, outs, "hessian")
        return out.squeeze()

    def gradient(*args):
        if outer_jacobian_strategy == "forward-mode":
            args = tuple(t.requires_grad_(True) for t in args)
        jac = jacobian(scalar_func, args, create_graph=True)
        _strict_requires_grad(jac, "jacobian", strict)
        return jac

    res = jacobian(gradient, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _restructure(res, (in_tuple, in_tuple))


def _first_derivative(func, inputs, v, create_graph, strict, fn_name):
    """Shared start of vhp and hvp: fresh inputs, checked ``v``, the scalar output and its
    gradient (with a graph)."""
    in_tuple, inputs = _tupled(inputs, "inputs", fn_name)
    inputs = _fresh_inputs(inputs, create_graph, need_graph=True)
    v = _prepare_v(v, inputs, in_tuple, create_graph, fn_name, _V_NONE_INPUT)
    out_tuple, outputs = _call(func, inputs, fn_name, strict)
    _single_scalar_output(out_tuple, outputs, fn_name)
    jac = _grad_of_some(outputs, inputs, create_graph=True)
    _strict_requires_grad(jac, "jacobian", strict)
    return in_tuple, inputs, v, out_tuple, outputs, jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for a function with one scalar output."""
    with enable_grad():
        in_tuple, inputs, v, out_tuple, outputs, jac = _first_derivative(
            func, inputs, v, create_graph, strict, "vhp")
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _grad_of_some(jac, inputs, v, create_graph=create_graph)
        res = _zeros_for_missing(res, inputs, strict, create_graph, "double_back")
    return (_restructure(_detached_unless(outputs, create_graph), out_tuple),
            _restructure(_detached_unless(res, create_graph), in_tuple))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a function with one scalar output (Note [Forward products
    by double backward])."""
    with enable_grad():
        in_tuple, inputs, v, out_tuple, outputs, jac = _first_derivative(
            func, inputs, v, create_graph, strict, "hvp")
        from ..opdefs.factories import zeros_like
        dummies = tuple(zeros_like(t, requires_grad=True) for t in inputs)
        double_back = _grad_of_some(jac, inputs, dummies, create_graph=True)
        # (PyTorch checks ``jac`` again here, not ``double_back``: kept for equal errors)
        _strict_requires_grad(jac, "hessian", strict)
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        res = _grad_of_some(double_back, dummies, v, create_graph=create_graph)
        res = _zeros_for_missing(res, inputs, strict, create_graph, "double_back_trick")
    return (_restructure(_detached_unless(outputs, create_graph), out_tuple),
            _restructure(_detached_unless(res, create_graph), in_tuple))
