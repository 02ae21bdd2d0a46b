"""torch.autograd.functional, anomaly detection, saved-tensor hooks and autograd.grad options,
side by side with PyTorch (skipped without torch): the same code runs on both libraries and
the results must agree in structure (tuples), shapes, dtypes, requires_grad, values, and in
the type and first line of any error."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential


def _summary(M, r):
    """A library-independent picture of a (nested) result."""
    if isinstance(r, M.Tensor):
        return ("T", tuple(r.shape), str(r.dtype), bool(r.requires_grad),
                r.grad_fn is None, r.detach().numpy().copy())
    if isinstance(r, (tuple, list)):
        return (type(r).__name__, [_summary(M, x) for x in r])
    return ("V", r)


def _run(M, fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _summary(M, fn(M))
    except Exception as e:  # noqa: BLE001 - the error is what we compare
        return ("E", type(e).__name__, str(e).split("\n")[0].split(" Hint:")[0])


def _same(a, b, path="r"):
    assert type(a) is type(b), path
    if isinstance(a, np.ndarray):
        assert a.shape == b.shape and a.dtype == b.dtype, path
        np.testing.assert_allclose(a, b, rtol=1e-6 if a.dtype == np.float32 else 1e-12,
                                   atol=1e-6 if a.dtype == np.float32 else 1e-12,
                                   err_msg=path)
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), f"{path}: {a!r} vs {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
    else:
        assert a == b, f"{path}: {a!r} vs {b!r}"


def check(fn):
    _same(_run(tk, fn), _run(torch, fn))


_RNG = np.random.default_rng(7)
A = _RNG.standard_normal(3)
B = _RNG.standard_normal(3)
C = _RNG.standard_normal((2, 3))
S = _RNG.standard_normal(())


def t(M, a, rg=False, dtype="float64"):
    return M.tensor(a, dtype=getattr(M, dtype), requires_grad=rg)


# functions under test, written once for both libraries
def f_exp(x):
    return x.exp() * x


def f_pair(x, y):
    return x * y, x.sin() + y ** 2


def f_sum_x(x, y):
    return (x ** 2).sum()


def f_linear(x):
    return (x * 2).sum()


def f_scalar2(x, y):
    return (x * y).sum() + x.sin().sum() * y.exp().sum()


def f_cubic(x):
    return (x ** 3).sum()


def f_mat(x):
    return x.tanh().sum(0)


def f_detached(x):
    return x.detach() * 2


FUNCTIONAL = {
    # vjp
    "vjp_single": lambda M: M.autograd.functional.vjp(f_exp, t(M, A), t(M, B)),
    "vjp_f32": lambda M: M.autograd.functional.vjp(f_exp, t(M, A, dtype="float32"),
                                                    t(M, B, dtype="float32")),
    "vjp_tuple": lambda M: M.autograd.functional.vjp(f_pair, (t(M, A), t(M, B)),
                                                      (t(M, B), t(M, A))),
    "vjp_v_none_scalar": lambda M: M.autograd.functional.vjp(f_cubic, t(M, A)),
    "vjp_v_none_vector": lambda M: M.autograd.functional.vjp(f_exp, t(M, A)),
    "vjp_create_graph": lambda M: M.autograd.functional.vjp(f_exp, t(M, A, True), t(M, B),
                                                             create_graph=True),
    "vjp_unused_zero": lambda M: M.autograd.functional.vjp(f_sum_x, (t(M, A), t(M, B))),
    "vjp_unused_strict": lambda M: M.autograd.functional.vjp(f_sum_x, (t(M, A), t(M, B)),
                                                              strict=True),
    "vjp_detached_strict": lambda M: M.autograd.functional.vjp(f_detached, t(M, A), t(M, B),
                                                                strict=True),
    "vjp_detached": lambda M: M.autograd.functional.vjp(f_detached, t(M, A), t(M, B)),
    "vjp_bad_v_len": lambda M: M.autograd.functional.vjp(f_pair, (t(M, A), t(M, B)),
                                                          (t(M, B),)),
    "vjp_bad_v_single": lambda M: M.autograd.functional.vjp(f_exp, t(M, A),
                                                             (t(M, B), t(M, B))),
    "vjp_bad_v_size": lambda M: M.autograd.functional.vjp(f_pair, (t(M, A), t(M, B)),
                                                           (t(M, B), t(M, C))),
    "vjp_bad_v_size_single": lambda M: M.autograd.functional.vjp(f_exp, t(M, A), t(M, C)),
    "vjp_bad_input": lambda M: M.autograd.functional.vjp(f_exp, [t(M, A)]),
    "vjp_bad_input_tuple": lambda M: M.autograd.functional.vjp(f_pair, (t(M, A), 3.0)),
    "vjp_bad_output": lambda M: M.autograd.functional.vjp(lambda x: [x], t(M, A)),
    "vjp_bad_v_type": lambda M: M.autograd.functional.vjp(f_exp, t(M, A), [1.0, 2.0, 3.0]),
    # jvp
    "jvp_single": lambda M: M.autograd.functional.jvp(f_exp, t(M, A), t(M, B)),
    "jvp_tuple": lambda M: M.autograd.functional.jvp(f_pair, (t(M, A), t(M, B)),
                                                      (t(M, B), t(M, A))),
    "jvp_matrix": lambda M: M.autograd.functional.jvp(f_mat, t(M, C), t(M, C) * 2),
    "jvp_v_none": lambda M: M.autograd.functional.jvp(f_exp, t(M, A)),
    "jvp_v_none_scalar": lambda M: M.autograd.functional.jvp(lambda x: x * x.exp(),
                                                              t(M, S)),
    "jvp_create_graph": lambda M: M.autograd.functional.jvp(f_exp, t(M, A, True), t(M, B),
                                                             create_graph=True),
    "jvp_unused": lambda M: M.autograd.functional.jvp(f_sum_x, (t(M, A), t(M, B)),
                                                       (t(M, B), t(M, A))),
    "jvp_unused_strict": lambda M: M.autograd.functional.jvp(
        f_sum_x, (t(M, A), t(M, B)), (t(M, B), t(M, A)), strict=True),
    "jvp_linear_strict": lambda M: M.autograd.functional.jvp(lambda x: x * 3, t(M, A),
                                                              t(M, B), strict=True),
    "jvp_bad_v_size": lambda M: M.autograd.functional.jvp(f_exp, t(M, A), t(M, C)),
    # jacobian
    "jac_single": lambda M: M.autograd.functional.jacobian(f_exp, t(M, A)),
    "jac_matrix": lambda M: M.autograd.functional.jacobian(f_mat, t(M, C)),
    "jac_tuple_in": lambda M: M.autograd.functional.jacobian(f_scalar2, (t(M, A), t(M, B))),
    "jac_tuple_both": lambda M: M.autograd.functional.jacobian(f_pair, (t(M, A), t(M, B))),
    "jac_tuple_out": lambda M: M.autograd.functional.jacobian(lambda x: (x.exp(), x.sum()),
                                                              t(M, A)),
    "jac_scalar_in": lambda M: M.autograd.functional.jacobian(lambda x: x * x, t(M, S)),
    "jac_create_graph": lambda M: M.autograd.functional.jacobian(f_exp, t(M, A, True),
                                                                  create_graph=True),
    "jac_create_graph_no_rg": lambda M: M.autograd.functional.jacobian(f_exp, t(M, A),
                                                                        create_graph=True),
    "jac_unused": lambda M: M.autograd.functional.jacobian(f_sum_x, (t(M, A), t(M, B))),
    "jac_unused_strict": lambda M: M.autograd.functional.jacobian(f_sum_x, (t(M, A), t(M, B)),
                                                                   strict=True),
    "jac_linear_strict_cg": lambda M: M.autograd.functional.jacobian(
        lambda x: x * 2, t(M, A), strict=True, create_graph=True),
    "jac_detached_strict": lambda M: M.autograd.functional.jacobian(f_detached, t(M, A),
                                                                     strict=True),
    "jac_vectorize": lambda M: M.autograd.functional.jacobian(f_exp, t(M, A), vectorize=True,
                                                              strict=True),
    "jac_bad_strategy": lambda M: M.autograd.functional.jacobian(f_exp, t(M, A),
                                                                  strategy="x"),
    "jac_fwd_cg": lambda M: M.autograd.functional.jacobian(f_exp, t(M, A),
                                                            strategy="forward-mode",
                                                            create_graph=True),
    "jac_fwd_strict": lambda M: M.autograd.functional.jacobian(f_exp, t(M, A),
                                                                strategy="forward-mode",
                                                                strict=True),
    "jac_fwd": lambda M: M.autograd.functional.jacobian(f_exp, t(M, A),
                                                         strategy="forward-mode"),
    "jac_bad_input": lambda M: M.autograd.functional.jacobian(f_exp, [t(M, A)]),
    # hessian
    "hess_single": lambda M: M.autograd.functional.hessian(f_cubic, t(M, A)),
    "hess_matrix": lambda M: M.autograd.functional.hessian(lambda x: x.exp().prod(), t(M, C)),
    "hess_tuple": lambda M: M.autograd.functional.hessian(f_scalar2, (t(M, A), t(M, B))),
    "hess_create_graph": lambda M: M.autograd.functional.hessian(f_cubic, t(M, A, True),
                                                                  create_graph=True),
    "hess_linear": lambda M: M.autograd.functional.hessian(f_linear, t(M, A)),
    "hess_linear_strict": lambda M: M.autograd.functional.hessian(f_linear, t(M, A),
                                                                   strict=True),
    "hess_quad_strict": lambda M: M.autograd.functional.hessian(lambda x: (x * x).sum(),
                                                                 t(M, A), strict=True),
    "hess_unused_strict": lambda M: M.autograd.functional.hessian(f_sum_x, (t(M, A), t(M, B)),
                                                                   strict=True),
    "hess_unused": lambda M: M.autograd.functional.hessian(f_sum_x, (t(M, A), t(M, B))),
    "hess_not_scalar": lambda M: M.autograd.functional.hessian(f_exp, t(M, A)),
    "hess_tuple_out": lambda M: M.autograd.functional.hessian(lambda x: (x.sum(),), t(M, A)),
    "hess_bad_strategy": lambda M: M.autograd.functional.hessian(
        f_cubic, t(M, A), outer_jacobian_strategy="nope"),
    # vhp / hvp
    "vhp_single": lambda M: M.autograd.functional.vhp(f_cubic, t(M, A), t(M, B)),
    "hvp_single": lambda M: M.autograd.functional.hvp(f_cubic, t(M, A), t(M, B)),
    "vhp_tuple": lambda M: M.autograd.functional.vhp(f_scalar2, (t(M, A), t(M, B)),
                                                      (t(M, B), t(M, A))),
    "hvp_tuple": lambda M: M.autograd.functional.hvp(f_scalar2, (t(M, A), t(M, B)),
                                                      (t(M, B), t(M, A))),
    "vhp_cg": lambda M: M.autograd.functional.vhp(f_cubic, t(M, A, True), t(M, B),
                                                   create_graph=True),
    "hvp_cg": lambda M: M.autograd.functional.hvp(f_cubic, t(M, A, True), t(M, B),
                                                   create_graph=True),
    "vhp_v_none": lambda M: M.autograd.functional.vhp(f_cubic, t(M, S)),
    "hvp_v_none_vector": lambda M: M.autograd.functional.hvp(f_cubic, t(M, A)),
    "vhp_linear_strict": lambda M: M.autograd.functional.vhp(f_linear, t(M, A), t(M, B),
                                                              strict=True),
    "hvp_linear_strict": lambda M: M.autograd.functional.hvp(f_linear, t(M, A), t(M, B),
                                                              strict=True),
    "vhp_linear": lambda M: M.autograd.functional.vhp(f_linear, t(M, A), t(M, B)),
    "hvp_linear": lambda M: M.autograd.functional.hvp(f_linear, t(M, A), t(M, B)),
    "hvp_quad_strict": lambda M: M.autograd.functional.hvp(lambda x: (x * x).sum(), t(M, A),
                                                           t(M, B), strict=True),
    "vhp_quad_strict_cg": lambda M: M.autograd.functional.vhp(
        lambda x: (x * x).sum(), t(M, A), t(M, B), strict=True, create_graph=True),
    "vhp_unused_strict": lambda M: M.autograd.functional.vhp(f_sum_x, (t(M, A), t(M, B)),
                                                             (t(M, B), t(M, A)), strict=True),
    "hvp_unused": lambda M: M.autograd.functional.hvp(f_sum_x, (t(M, A), t(M, B)),
                                                      (t(M, B), t(M, A))),
    "vhp_not_scalar": lambda M: M.autograd.functional.vhp(f_exp, t(M, A), t(M, B)),
    "hvp_tuple_out": lambda M: M.autograd.functional.hvp(lambda x: (x.sum(),), t(M, A),
                                                         t(M, B)),
    "hvp_bad_v": lambda M: M.autograd.functional.hvp(f_cubic, t(M, A), t(M, C)),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONAL))
def test_functional_matches_torch(name):
    check(FUNCTIONAL[name])


# -- anomaly detection ---------------------------------------------------------------------
def _anomaly_run(M, body):
    """Run ``body(M)``; return the error and, per warning, its category and first line plus
    whether the forward line ``# FWD`` of this file shows in it."""
    out = {}
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            out["result"] = _summary(M, body(M))
        except Exception as e:  # noqa: BLE001
            out["error"] = (type(e).__name__, str(e).split("\n")[0])
        finally:
            M.autograd.set_detect_anomaly(False)
    out["warnings"] = [(x.category.__name__,
                        str(x.message).split("\n")[0].split(" (Triggered internally")[0],
                        "# FWD" in str(x.message))
                       for x in w if x.category is not RuntimeWarning]
    return out


def an_sqrt(M):
    x = M.tensor([0.0, 1.0], requires_grad=True)
    with M.autograd.detect_anomaly():
        y = x.sqrt()  # FWD
        (y * 0).sum().backward()


def an_no_check_nan(M):
    x = M.tensor([0.0, 1.0], requires_grad=True)
    with M.autograd.detect_anomaly(check_nan=False):
        y = x.sqrt()  # FWD
        (y * 0).sum().backward()
    return x.grad


def an_forward_outside(M):
    x = M.tensor([0.0, 1.0], requires_grad=True)
    y = x.sqrt()  # FWD
    with M.autograd.set_detect_anomaly(True):
        (y * 0).sum().backward()


def an_second_output(M):
    a = M.tensor([1.0], requires_grad=True)
    b = M.tensor([float("inf")], requires_grad=True)
    M.autograd.set_detect_anomaly(True)
    (a * b * 0).sum().backward()  # FWD


def an_double_backward(M):
    x = M.tensor([0.0, 1.0], requires_grad=True)
    with M.autograd.detect_anomaly():
        y = x.pow(1.5)  # FWD
        g, = M.autograd.grad(y.sum(), x, create_graph=True)
        (g * 0).sum().backward()


def an_hook_error(M):
    x = M.tensor([0.0, 1.0], requires_grad=True)
    with M.autograd.set_detect_anomaly(True):
        y = x.exp()  # FWD
        y.register_hook(lambda g: g.new_zeros(()).item() / 0)
        y.sum().backward()


def an_post_hook_nan(M):
    x = M.tensor([0.0, 1.0], requires_grad=True)
    with M.autograd.set_detect_anomaly(True):
        y = x.exp()  # FWD
        y.grad_fn.register_hook(lambda gi, go: (M.full((2,), float("nan")),))
        y.sum().backward()


def an_freed(M):
    x = M.tensor([0.0, 1.0], requires_grad=True)
    with M.autograd.set_detect_anomaly(True):
        y = x.exp()  # FWD
        y.sum().backward()
        y.sum().backward()


def an_clean(M):
    x = M.tensor([1.0, 2.0], requires_grad=True)
    with M.autograd.detect_anomaly():
        (x.exp() * x).sum().backward()
    return x.grad


def an_flags(M):
    flags = []
    with M.autograd.detect_anomaly(check_nan=False):
        with M.autograd.set_detect_anomaly(True, check_nan=True):
            flags.append("inner")
        flags.append("outer")
    return flags


def an_not_decorator(M):
    @M.autograd.detect_anomaly()
    def f():
        return 1
    return f()


ANOMALY = {f.__name__: f for f in (an_sqrt, an_no_check_nan, an_forward_outside,
                                    an_second_output, an_double_backward, an_hook_error,
                                    an_post_hook_nan, an_freed, an_clean, an_flags,
                                    an_not_decorator)}


@pytest.mark.parametrize("name", sorted(ANOMALY))
def test_anomaly_matches_torch(name):
    ours = _anomaly_run(tk, ANOMALY[name])
    theirs = _anomaly_run(torch, ANOMALY[name])
    _same(ours.get("result"), theirs.get("result"))
    assert ours.get("error") == theirs.get("error")
    assert ours["warnings"] == theirs["warnings"]


def test_anomaly_flags_match_torch():
    from tensor.autograd import anomaly
    seen = {}
    for M, get, getnan in ((tk, anomaly.is_anomaly_enabled, anomaly.is_anomaly_check_nan_enabled),
                           (torch, torch.is_anomaly_enabled,
                            torch.is_anomaly_check_nan_enabled)):
        log = [(get(), getnan())]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with M.autograd.detect_anomaly(check_nan=False):
                log.append((get(), getnan()))
                with M.autograd.set_detect_anomaly(True):
                    log.append((get(), getnan()))
                log.append((get(), getnan()))
        log.append((get(), getnan()))
        M.autograd.set_detect_anomaly(True, check_nan=False)
        log.append((get(), getnan()))
        M.autograd.set_detect_anomaly(False)
        log.append((get(), getnan()))
        seen[M.__name__] = log
    assert seen["tensor"] == seen["torch"]


# -- saved-tensor hooks --------------------------------------------------------------------
def _hooked(M, pack_kind, unpack_kind, body, retain=False):
    """Run ``body(M, x)`` under hooks that log each call; return the log, the value, x.grad."""
    log = []

    def pack(t):
        log.append(("pack", tuple(t.shape), t.requires_grad, t.grad_fn is not None,
                    M.is_grad_enabled()))
        return {"same": t, "detach": t.detach(), "double": t.detach() * 2,
                "int": 3}[pack_kind]

    def unpack(p):
        log.append(("unpack",))
        return {"same": p, "half": p / 2 if isinstance(p, M.Tensor) else p}[unpack_kind]

    x = M.tensor([0.5, -1.0, 2.0], dtype=M.float64, requires_grad=True)
    with M.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = body(M, x)
    log.append("forward done")
    y.sum().backward(retain_graph=retain)
    return log, y, x.grad


def _partly_no_grad(M, x):
    with M.no_grad():
        c = x.sin()          # records nothing: nothing packed
    return x.cos() * c


SAVED = {
    "mul_same": lambda M: _hooked(M, "same", "same", lambda M, x: x * x),
    "exp_result": lambda M: _hooked(M, "same", "same", lambda M, x: x.exp()),
    "chain": lambda M: _hooked(M, "detach", "same", lambda M, x: (x.sin() * x).exp()),
    "scaled": lambda M: _hooked(M, "double", "half", lambda M, x: x.pow(3)),
    "changed_values": lambda M: _hooked(M, "double", "same", lambda M, x: x * x),
    "not_tensor": lambda M: _hooked(M, "int", "same", lambda M, x: x.exp()),
    "inplace_after": lambda M: _hooked(M, "same", "same",
                                       lambda M, x: (lambda a: (a * a, a.add_(1))[0])(
                                           x.clone())),
    "no_grad_inside": lambda M: _hooked(M, "same", "same", _partly_no_grad),
}


@pytest.mark.parametrize("name", sorted(SAVED))
def test_saved_tensor_hooks_match_torch(name):
    check(SAVED[name])


def _double_backward_through_hooks(M):
    x = M.tensor([0.5, -1.0, 2.0], dtype=M.float64, requires_grad=True)
    with M.autograd.graph.saved_tensors_hooks(lambda t: t.detach(), lambda p: p):
        y = (x * x * x).sum()
    g, = M.autograd.grad(y, x, create_graph=True)
    (g * g).sum().backward()
    return g, x.grad


def _save_on_cpu(M):
    x = M.tensor([0.5, -1.0, 2.0], dtype=M.float64, requires_grad=True)
    with M.autograd.graph.save_on_cpu():
        y = (x.exp() * x).sum()
    y.backward()
    return y, x.grad


def _saved_attrs(M):
    x = M.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = x * x
    e = x.exp()
    out = [y.grad_fn._saved_self, y.grad_fn._saved_other, e.grad_fn._saved_result,
           isinstance(y.grad_fn, M.autograd.graph.Node),
           isinstance(x.exp().grad_fn, M.autograd.graph.Node),
           e.grad_fn._saved_result.grad_fn is e.grad_fn]
    e.sum().backward()
    try:
        e.grad_fn._saved_result
    except RuntimeError as err:
        out.append(str(err)[:60])
    try:
        y.grad_fn._saved_nothing
    except AttributeError as err:
        out.append(str(err))
    return out


def _saved_attr_after_inplace(M):
    x = M.tensor([0.5, -1.0, 2.0], requires_grad=True)
    a = x.clone()
    y = a * x
    a.mul_(2)
    return y.grad_fn._saved_self


def _saved_attr_through_hooks(M):
    log = []
    x = M.tensor([0.5, -1.0, 2.0], requires_grad=True)
    with M.autograd.graph.saved_tensors_hooks(lambda t: t, lambda p: log.append(1) or p):
        y = x.exp()
    return y.grad_fn._saved_result, len(log)


def _disable_hooks(M):
    with M.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
        with M.autograd.graph.saved_tensors_hooks(lambda t: t, lambda p: p):
            pass


def _disable_inside_hooks(M):
    with M.autograd.graph.saved_tensors_hooks(lambda t: t, lambda p: p):
        with M.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
            pass


def _nested_hooks(M):
    log = []
    x = M.tensor([0.5, -1.0, 2.0], requires_grad=True)
    with M.autograd.graph.saved_tensors_hooks(lambda t: log.append("outer") or t, lambda p: p):
        with M.autograd.graph.saved_tensors_hooks(lambda t: log.append("inner") or t,
                                                  lambda p: p):
            a = x.exp()
        b = x.sin()
    c = x.cos()
    (a + b + c).sum().backward()
    return log, x.grad


def _mm_keeps_layout_not_operand(M):
    """mm/addmm/linear keep an operand's sizes and strides for its own gradient, not the
    operand: writing to a weight in place before backward is fine when only its gradient is
    wanted, and an error when the other operand's gradient needs it."""
    out = []
    for make in (lambda x, w: x @ w, lambda x, w: M.addmm(M.zeros(4), x, w),
                 lambda x, w: M.nn.functional.linear(x, w.t()), lambda x, w: x @ w.t().t()):
        for needs_x in (False, True):
            x = M.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=needs_x)
            w = M.ones(3, 4, requires_grad=True)
            y = make(x, w)
            with M.no_grad():
                w.add_(1.0)
            try:
                y.sum().backward()
                out.append((w.grad, x.grad))
            except RuntimeError as e:
                out.append(str(e)[:80])
    x = M.ones(2, 3, requires_grad=True)
    w = M.ones(4, 3, requires_grad=True)
    y = x @ w.t()
    out.append((y.grad_fn._saved_mat2_sym_strides, y.grad_fn._saved_self_sym_sizes,
                y.grad_fn._saved_self_sym_strides, y.grad_fn._saved_mat2_sym_sizes))
    y.sum().backward()
    out.append((w.grad.stride(), x.grad.stride()))
    return out


GRAPH = {f.__name__: f for f in (_double_backward_through_hooks, _save_on_cpu, _saved_attrs,
                                  _saved_attr_after_inplace, _saved_attr_through_hooks,
                                  _disable_hooks, _disable_inside_hooks, _nested_hooks,
                                  _mm_keeps_layout_not_operand)}


@pytest.mark.parametrize("name", sorted(GRAPH))
def test_graph_utilities_match_torch(name):
    check(GRAPH[name])


# -- autograd.grad options -----------------------------------------------------------------
def _grad_case(kw):
    def run(M):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        y = M.tensor([3.0, 4.0], requires_grad=True)
        return M.autograd.grad((x * x).sum(), (x, y), **kw)
    return run


GRAD = {
    "materialize": _grad_case(dict(materialize_grads=True)),
    "materialize_allow_unused": _grad_case(dict(materialize_grads=True, allow_unused=True)),
    "materialize_refused": _grad_case(dict(materialize_grads=True, allow_unused=False)),
    "materialize_create_graph": _grad_case(dict(materialize_grads=True, create_graph=True)),
    "unused": _grad_case(dict(allow_unused=True)),
    "unused_error": _grad_case({}),
}


@pytest.mark.parametrize("name", sorted(GRAD))
def test_grad_options_match_torch(name):
    check(GRAD[name])


# -- node hooks ------------------------------------------------------------------------------
def _node_hooks(M):
    x = M.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    log = []
    h1 = y.grad_fn.register_prehook(
        lambda go: log.append(("pre", [g.tolist() for g in go])) or (go[0] * 10,))
    y.register_hook(lambda g: log.append(("tensor", g.tolist())) or g + 1)
    h2 = y.grad_fn.register_hook(
        lambda gi, go: log.append(("post", [None if g is None else g.tolist() for g in gi],
                                   [g.tolist() for g in go])))
    y.sum().backward(retain_graph=True)
    first = x.grad.clone()
    h1.remove()
    h2.remove()
    y.sum().backward()
    return log, first, x.grad


def _prehook_returning_none(M):
    x = M.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    seen = []
    y.grad_fn.register_prehook(lambda go: seen.append(len(go)))
    y.sum().backward()
    return seen, x.grad


@pytest.mark.parametrize("fn", [_node_hooks, _prehook_returning_none],
                         ids=lambda f: f.__name__)
def test_node_hooks_match_torch(fn):
    check(fn)


def _post_accumulate_story(M):
    out, log = [], []
    x = M.ones(2, requires_grad=True)
    h = x.register_post_accumulate_grad_hook(lambda t: log.append((t.grad.tolist(), t is x)))
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    out.append(list(log))
    h.remove()
    (x * 3).sum().backward()
    out.append(len(log))
    for f in (lambda: (x * 2).register_post_accumulate_grad_hook(lambda t: None),
              lambda: M.ones(2).register_post_accumulate_grad_hook(lambda t: None)):
        try:
            f()
        except Exception as e:   # noqa: BLE001 - the error is what we compare
            out.append((type(e).__name__, str(e)))
    y = M.ones(2, requires_grad=True)
    y.register_post_accumulate_grad_hook(lambda t: 5)
    try:
        (y * 2).sum().backward()
    except Exception as e:   # noqa: BLE001
        out.append((type(e).__name__, str(e)))
    z = M.ones(2, requires_grad=True)
    z.register_post_accumulate_grad_hook(lambda t: log.append("z"))
    out.append((M.autograd.grad((z * 2).sum(), z)[0].tolist(), log[-1]))   # grad(): no hook
    w, order = M.ones(2, requires_grad=True), []
    w.register_hook(lambda g: order.append("tensor hook") or g * 10)
    w.register_post_accumulate_grad_hook(lambda t: order.append(("post", t.grad.tolist())))
    (w * 1).sum().backward()
    out.append(order)
    return out


def test_post_accumulate_grad_hooks_match_torch():
    assert _post_accumulate_story(tk) == _post_accumulate_story(torch)


def _variable_story(M):
    from importlib import import_module
    Variable = import_module(M.__name__ + ".autograd").Variable
    x = M.ones(2)
    v = Variable(x)
    w = Variable(x, requires_grad=True)
    out = [v is x, v.requires_grad, isinstance(x, Variable), w is x, w.requires_grad,
           x.requires_grad, w.is_leaf, w.data_ptr() == x.data_ptr(), Variable().shape]
    try:
        Variable([1, 2])
    except Exception as e:   # noqa: BLE001
        out.append((type(e).__name__, str(e)))
    A = M.autograd
    out.append(A.is_multithreading_enabled())
    with A.set_multithreading_enabled(False):
        out.append(A.is_multithreading_enabled())
    out.append(A.is_multithreading_enabled())
    return out


def test_variable_and_multithreading_flag_match_torch():
    assert _variable_story(tk) == _variable_story(torch)


def _batched_grad_story(lib):
    out = []
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = lib.ones(3, requires_grad=True)
    u = lib.ones(3, requires_grad=True)
    calls = [
        lambda: lib.autograd.grad(x * x, x, lib.eye(3), is_grads_batched=True),
        lambda: lib.autograd.grad(x * x, x, lib.ones(3), is_grads_batched=True),
        lambda: lib.autograd.grad(x.sum(), x, lib.tensor([1.0, 2.0]), is_grads_batched=True),
        lambda: lib.autograd.grad((x * 2, x * 3), (x,), (lib.ones(2, 3), lib.ones(2, 3)),
                                  is_grads_batched=True),
        lambda: lib.autograd.grad(x * x, x, None, is_grads_batched=True),
        lambda: lib.autograd.grad(x * w, (x, w), lib.eye(3), is_grads_batched=True,
                                  create_graph=True),
        lambda: lib.autograd.grad(x * 2, (x, u), lib.eye(3), is_grads_batched=True,
                                  allow_unused=True),
        lambda: lib.autograd.grad(x * 2, (x, u), lib.eye(3), is_grads_batched=True,
                                  materialize_grads=True),
    ]
    for call in calls:
        try:
            res = call()
            out.append([None if r is None else (r.tolist(), r.requires_grad) for r in res])
        except RuntimeError as e:
            out.append(str(e))
    return out


def test_batched_grad_outputs_match_torch():
    assert _batched_grad_story(tk) == _batched_grad_story(torch)


def test_size_slices_and_sums_are_sizes():
    for lib in (tk, torch):
        s = lib.ones(2, 3, 4).shape
        assert [repr(v) for v in (s[1:], s + (5,), (1,) + s, s * 2, s[::2])] == [
            "torch.Size([3, 4])", "torch.Size([2, 3, 4, 5])", "torch.Size([1, 2, 3, 4])",
            "torch.Size([2, 3, 4, 2, 3, 4])", "torch.Size([2, 4])"]
        assert s[0] == 2 and type(s[-1]) is int


def _grad_layouts(lib):
    """A leaf's first .grad has the leaf's layout (a Linear weight's is row-major although its
    gradient is computed transposed), and its version."""
    lib.manual_seed(0)
    out = []
    lin = lib.nn.Linear(3, 4)
    x = lib.randn(5, 3)
    lin(x).sum().backward()
    out.append((lin.weight.grad.stride(), lin.weight.grad._version, lin.bias.grad._version))
    w = lib.randn(4, 3, requires_grad=True)
    (x @ w.t()).sum().backward()
    out.append((w.grad.stride(), w.grad._version))
    v = lib.randn(3, 4, requires_grad=True)
    (x @ v).sum().backward()
    out.append((v.grad.stride(), v.grad._version))
    c = lib.nn.Conv2d(2, 3, 3)
    c(lib.randn(1, 2, 5, 5)).sum().backward()
    out.append((c.weight.grad.stride(), c.weight.grad._version))
    return out


def test_gradient_layouts_match_torch():
    assert _grad_layouts(tk) == _grad_layouts(torch)


def _grad_versions(lib):
    """.grad's version and memory: PyTorch keeps a gradient nobody else holds when it has the
    leaf's layout, and copies anything else with copy_ (version 1)."""
    out = []
    x = lib.randn(3, requires_grad=True)
    g = lib.ones(3)
    x.backward(g)
    out.append(("user root", x.grad._version))
    x = lib.randn(2, 3, requires_grad=True)
    (x + 0).sum().backward()
    out.append(("expanded", x.grad._version))
    x.sum().backward()
    out.append(("accumulated", x.grad._version))
    x = lib.randn(2, 3, requires_grad=True)
    x.t().sum().backward()
    out.append(("transposed", x.grad._version, x.grad.stride()))
    w = lib.ones(2, 3, requires_grad=True)
    g = lib.ones(6)
    w.view(6).backward(g)
    out.append(("view of the caller's", w.grad.data_ptr() == g.data_ptr(), w.grad._version,
                w.grad._is_view()))
    t = lib.randn(3, 2).t().detach().requires_grad_()
    (t @ lib.ones(3, 1)).sum().backward()
    out.append(("column-major leaf", t.grad._version, t.grad.stride()))
    counts = [0, 0]

    def pack(v):
        counts[0] += 1
        return v

    def unpack(v):
        counts[1] += 1
        return v
    a, b = lib.randn(3, 3, requires_grad=True), lib.randn(3, 3, requires_grad=True)
    with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = lib.nn.functional.linear(a, b, b[0]) / b
    y.sum().backward()
    out.append(("unpacked once each", counts))
    return out


def test_gradient_versions_and_unpacks_match_torch():
    assert _grad_versions(tk) == _grad_versions(torch)


@pytest.mark.parametrize("expr", [
    "x.sum(0, dtype=M.int64)", "x.sum(dtype=M.int64)", "x.to(M.int64)", "x.long()",
    "x.cumsum(0, dtype=M.int64)", "x.prod(dtype=M.int32)", "x.mean(dtype=M.float64)",
    "x.sum(0, dtype=M.float16)", "x.nansum(dtype=M.int64)", "x.sum(dtype=M.bool)",
    "x.cumprod(1, dtype=M.int8)", "x.detach().sum(dtype=M.int64)", "x.prod(1, dtype=M.int64)",
])
def test_integer_dtype_of_a_recorded_reduction(expr):
    """A differentiable op asked for an integer result while recording: PyTorch refuses
    ("Autograd not support dtype: Long"); casts and unrecorded calls are fine."""
    def run(M):
        x = M.tensor([[1.5, -2.0], [3.0, 0.5]], requires_grad=True)
        try:
            r = eval(expr, {"M": M, "x": x})
        except Exception as e:  # noqa: BLE001 - the error is what we compare
            return type(e).__name__, str(e)
        return str(r.dtype), r.requires_grad, type(r.grad_fn).__name__, r.tolist()
    assert run(tk) == run(torch)


# -- retain_grad and hook order --------------------------------------------------------------
def rg_hook_after(M):
    x = t(M, A, True)
    y = x * 3
    y.retain_grad()
    y.register_hook(lambda g: g * 2)
    (y * y).sum().backward()
    return y.grad, x.grad


def rg_order(M):
    x = t(M, A, True)
    y = x * 2
    order = []
    y.grad_fn.register_prehook(lambda go: order.append("node"))
    y.retain_grad()
    y.register_hook(lambda g: order.append("tensor"))
    y.register_hook(lambda g: order.append("tensor2"))
    y.sum().backward()
    return order, y.grad


def rg_inplace(M):
    x = t(M, A, True)
    y = x * 1
    y.retain_grad()
    y.mul_(2)
    y.add_(1)
    (y * 3).sum().backward()
    return y.grad, x.grad


def rg_hooks_before_and_after_inplace(M):
    x = t(M, A, True)
    y = x * 1
    seen = []
    y.register_hook(lambda g: seen.append(("old", g.tolist())))
    y.retain_grad()
    y.mul_(2)
    y.register_hook(lambda g: seen.append(("new", g.tolist())) or g * 10)
    (y * 3).sum().backward()
    return seen, y.grad, x.grad


def rg_base_of_written_view(M):
    x = t(M, C, True)
    y = x * 1
    y.retain_grad()
    y[0].mul_(3)
    (y * y).sum().backward()
    return y.grad, x.grad


def rg_written_view(M):
    x = t(M, C, True)
    v = (x * 1)[1]
    v.retain_grad()
    v.mul_(3)
    (v * 5).sum().backward()
    return v.grad, x.grad


def rg_view_then_base_written(M):
    x = t(M, C, True)
    y = x * 1
    v = y[1]
    v.retain_grad()
    y.mul_(2)
    (v * 5).sum().backward()
    return v.grad, x.grad


def rg_create_graph(M):
    x = t(M, A, True)
    y = x ** 2
    y.retain_grad()
    (y ** 2).sum().backward(create_graph=True)
    return y.grad, type(y.grad.grad_fn).__name__, y.grad._version


def rg_accumulates(M):
    x = t(M, A, True)
    y = x * 2
    y.retain_grad()
    (y * y).sum().backward(retain_graph=True)
    first = y.grad.clone()
    (y * y).sum().backward()
    return first, y.grad, y.grad._version


RETAIN = {f.__name__: f for f in (
    rg_hook_after, rg_order, rg_inplace, rg_hooks_before_and_after_inplace,
    rg_base_of_written_view, rg_written_view, rg_view_then_base_written, rg_create_graph,
    rg_accumulates)}


@pytest.mark.parametrize("name", sorted(RETAIN))
def test_retain_grad_matches_torch(name):
    check(RETAIN[name])


def test_non_leaf_grad_warning_matches_torch():
    def grab(M):
        x = t(M, A, True)
        y = x * 2
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            assert y.grad is None
        return str(w[0].message)
    ours, theirs = grab(tk), grab(torch)
    assert theirs.startswith(ours)      # (torch appends where in its C++ it warned)


def test_increment_version_matches_torch():
    def case(M):
        x = t(M, A, True)
        y = x.exp()
        M.autograd.graph.increment_version(y)
        M.autograd.graph.increment_version([y, x.detach()])
        with M.inference_mode():
            i = M.ones(2)
        M.autograd.graph.increment_version(i)        # no counter: left alone
        out = [y._version, x._version]
        try:
            y.sum().backward()          # exp saved its result, now at version 2
        except RuntimeError as e:
            out.append(str(e).split(";")[0][:60])
        try:
            M.autograd.graph.increment_version(3)
        except RuntimeError as e:
            out.append(str(e))
        return out
    assert _run(tk, case) == _run(torch, case)


# -- backward(inputs=...) with non-leaf inputs ----------------------------------------------
def bi_nonleaf(M):
    x = t(M, A, True)
    h = x * 3
    before = h.retains_grad
    (h * h).sum().backward(inputs=[h])
    return before, h.grad, x.grad, h.retains_grad


def bi_view_and_leaf(M):
    x = t(M, A, True)
    h = x * 3
    v = h[:2]
    out = (v * v).sum() + h.sum()
    out.backward(inputs=[v, x], retain_graph=True)
    first = (v.grad.clone(), x.grad.clone(), v.retains_grad, h.retains_grad)
    out.backward(inputs=[v])
    return first, v.grad, x.grad


def bi_functional_backward(M):
    x = t(M, A, True)
    h = x.exp()
    M.autograd.backward([h.sum()], inputs=[h])
    return h.grad, x.grad


@pytest.mark.parametrize("case", [bi_nonleaf, bi_view_and_leaf, bi_functional_backward],
                         ids=lambda f: f.__name__)
def test_backward_inputs_non_leaf_matches_torch(case):
    check(case)
