"""Custom autograd Functions (SEMANTICS.md §5, SEMANTICS-DETAIL.md §7 F-1..F-15, §9 E8, E12-E20).

Every ctx feature, in grad mode, under no_grad, in inference mode and nested; every error text
(leading part verbatim, PyTorch 2.13); double backward; a hypothesis property over which outputs
reach the loss, so that None / materialized zero gradients are exercised.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tensor as torch
from tensor.autograd import Function
from tensor.autograd.function import FunctionCtx, once_differentiable
from tensor.autograd.graph import CreationMeta

F64 = torch.float64


def raises(exc, leading):
    """pytest.raises matching PyTorch's leading text exactly (our hint may follow)."""
    return pytest.raises(exc, match="^" + re.escape(leading))


def rg(*values, dtype=F64):
    return torch.tensor(list(values), dtype=dtype, requires_grad=True)


def meta(t):
    return t._view.creation_meta if t._view is not None else None


E8 = ("Output {nr} of {name} is a view and is being modified inplace. This view was created "
      "inside a custom Function (or because an input was returned as-is) and the autograd logic "
      "to handle view+inplace would override the custom backward associated with the custom "
      "Function, leading to incorrect gradients. This behavior is forbidden. You can fix this by "
      "cloning the output of the custom Function.")
E8_INDIRECT = E8.replace("is being modified inplace.",
                         "its base or another view of its base has been modified inplace.")
E7 = ("Output {nr} of {name} is a view and is being modified inplace. This view is the output of "
      "a function that returns multiple views. Such functions do not allow the output views to "
      "be modified inplace. You should replace the inplace operation by an out-of-place one.")
E12 = "a leaf Variable that requires grad has been used in an in-place operation."
E13 = ("Some elements marked as dirty during the forward method were not returned as output. "
       "The inputs that are modified inplace must all be outputs of the Function.")
E18 = "trying to differentiate twice a function that was marked with @once_differentiable"
E20 = ("Trying to backward through the graph a second time (or directly access saved tensors "
       "after they have already been freed).")
E22 = "element 0 of tensors does not require grad and does not have a grad_fn"
E2 = ("Inplace update to inference tensor outside InferenceMode is not allowed.You can make a "
      "clone to get a normal tensor before doing inplace update.See "
      "https://github.com/pytorch/rfcs/pull/17 for more details.")
E4 = "Inference tensors cannot be saved for backward."
NOGRAD_VIEW = ("A view was created in no_grad mode and is being modified inplace with grad "
               "mode enabled.")


# -- Functions used throughout ---------------------------------------------------------------
class Probe(Function):
    """Records the modes and needs_input_grad it sees."""
    seen = []

    @staticmethod
    def forward(ctx, x, k=2.0):
        Probe.seen.append(("fwd", torch.is_grad_enabled(), torch.is_inference_mode_enabled(),
                           ctx.needs_input_grad, x.requires_grad))
        ctx.k = k
        ctx.save_for_backward(x)
        return x * k

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        Probe.seen.append(("bwd", torch.is_grad_enabled(), torch.is_inference_mode_enabled(),
                           ctx.needs_input_grad))
        return g * ctx.k, None


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * 3 * x ** 2


class CubeOnce(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * 3 * x ** 2


class Exp(Function):
    """Saves its output."""

    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * y


class Id(Function):
    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        return g


class Inc(Function):
    """x += 1 in place, marked dirty."""

    @staticmethod
    def forward(ctx, x):
        x.add_(1)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g * 3


class Head(Function):
    """Returns a view (the first two elements) made inside forward."""

    @staticmethod
    def forward(ctx, x):
        ctx.n = x.shape[0]
        return x[:2]

    @staticmethod
    def backward(ctx, g):
        r = torch.zeros(ctx.n, dtype=g.dtype)
        r[:2] = g
        return r


class Halves(Function):
    """Returns two views: two differentiable outputs."""

    @staticmethod
    def forward(ctx, x):
        return x[:2], x[2:]

    @staticmethod
    def backward(ctx, g, h):
        return torch.cat([g, h])


def returning(grads):
    """A one-argument Function whose backward returns ``grads`` (a callable of g)."""
    class Ret(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return grads(g)
    return Ret


# -- forward, node, ctx basics -----------------------------------------------------------------
class TestBasics:
    def test_forward_runs_without_grad_and_one_node_is_recorded(self):
        Probe.seen.clear()
        x = rg(1.0, 2.0)
        y = Probe.apply(x, 3.0)
        assert type(y.grad_fn).__name__ == "ProbeBackward"
        assert y.grad_fn.name() == "ProbeBackward"
        assert y.requires_grad and not y.is_leaf
        assert Probe.seen == [("fwd", False, False, (True, False), True)]
        y.sum().backward()
        assert x.grad.tolist() == [3.0, 3.0]
        assert Probe.seen[1] == ("bwd", False, False, (True, False))

    def test_ctx_is_the_node_and_plain_attributes_survive(self):
        x = rg(1.0)
        y = Probe.apply(x, 5.0)
        assert y.grad_fn.k == 5.0
        assert isinstance(y.grad_fn, FunctionCtx)
        assert Probe._backward_cls is type(y.grad_fn)
        assert y.grad_fn.next_functions[0][0] is not None
        assert y.grad_fn.next_functions[1] == (None, 0)

    def test_default_argument_and_keyword(self):
        x = rg(1.0, 2.0)
        assert Probe.apply(x).tolist() == [2.0, 4.0]
        y = Probe.apply(x, k=4.0)
        y.sum().backward()
        assert x.grad.tolist() == [4.0, 4.0]

    def test_nothing_requires_grad_records_nothing(self):
        y = Probe.apply(torch.ones(2), 2.0)
        assert y.grad_fn is None and not y.requires_grad and y.is_leaf

    def test_enable_grad_inside_forward_records_inside(self):
        inner = []

        class EG(Function):
            @staticmethod
            def forward(ctx, x):
                with torch.enable_grad():
                    y = x * 2
                inner.append(y.grad_fn)
                return y

            @staticmethod
            def backward(ctx, g):
                return g * 10

        x = rg(1.0, 1.0)
        y = EG.apply(x)
        assert type(inner[0]).__name__ == "MulBackward0"
        assert type(y.grad_fn).__name__ == "EGBackward"      # the Function's node wins
        y.sum().backward()
        assert x.grad.tolist() == [10.0, 10.0]

    def test_saved_tensors_order_none_and_version_check(self):
        class S(Function):
            @staticmethod
            def forward(ctx, a, b):
                ctx.save_for_backward(None, a, b)
                return a * b

            @staticmethod
            def backward(ctx, g):
                none, a, b = ctx.saved_tensors
                assert none is None
                return g * b, g * a

        a, b = rg(1.0, 2.0), rg(3.0, 4.0)
        y = S.apply(a, b)
        y.sum().backward()
        assert a.grad.tolist() == [3.0, 4.0] and b.grad.tolist() == [1.0, 2.0]
        y = S.apply(a * 1, b)
        with torch.no_grad():
            b.add_(1)
        with raises(RuntimeError, "one of the variables needed for gradient computation has "
                                  "been modified by an inplace operation: [torch.DoubleTensor "
                                  "[2]] is at version 1; expected version 0 instead."):
            y.sum().backward()

    def test_saved_output_version_check_names_the_function(self):
        x = rg(0.0, 1.0)
        y = Exp.apply(x)
        y.add_(1)
        with raises(RuntimeError, "one of the variables needed for gradient computation has "
                                  "been modified by an inplace operation: [torch.DoubleTensor "
                                  "[2]], which is output 0 of Exp, is at version 1; expected "
                                  "version 0 instead."):
            y.sum().backward()

    def test_saved_output_comes_back_with_the_node(self):
        seen = []

        class E(Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, g):
                y, = ctx.saved_tensors
                seen.append(y.grad_fn)
                return g * y

        x = rg(0.0)
        y = E.apply(x)
        y.backward()
        assert seen == [y.grad_fn]

    def test_saved_tensors_freed_after_backward(self):
        x = rg(1.0, 2.0)
        y = Cube.apply(x)
        y.sum().backward()
        with raises(RuntimeError, E20):
            y.grad_fn.saved_tensors
        with raises(RuntimeError, E20):
            y.sum().backward()

    def test_retain_graph_accumulates(self):
        x = rg(1.0, 2.0)
        y = Cube.apply(x)
        y.sum().backward(retain_graph=True)
        y.sum().backward()
        assert x.grad.tolist() == [6.0, 24.0]

    def test_second_backward_without_saved_tensors_is_allowed(self):
        x = rg(1.0)
        y = Id.apply(x)
        y.backward()
        y.backward()
        assert x.grad.tolist() == [2.0]

    def test_save_for_backward_type_error_only_when_recording(self):
        class S(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x, None, 3)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g

        x = rg(1.0)
        with raises(TypeError, "save_for_backward can only save variables, but argument 2 is "
                               "of type int"):
            S.apply(x)
        with torch.no_grad():
            assert S.apply(x).tolist() == [2.0]
        assert S.apply(torch.ones(1)).tolist() == [2.0]

    def test_saved_tensors_in_forward_and_without_recording_are_empty(self):
        got = []

        class S(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                got.append(ctx.saved_tensors)
                S.ctx = ctx
                return x * 2

        with torch.no_grad():
            S.apply(rg(1.0))
        assert got == [()] and S.ctx.saved_tensors == ()

    def test_inference_tensor_saved_raises_only_when_recording(self):
        class S(Function):
            @staticmethod
            def forward(ctx, x, t):
                ctx.save_for_backward(t)
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g, None

        with torch.inference_mode():
            t = torch.ones(1)
        x = rg(1.0)
        with raises(RuntimeError, E4):
            S.apply(x, t)
        with torch.no_grad():
            assert S.apply(x, t).tolist() == [2.0]
        assert S.apply(torch.ones(1), t).tolist() == [2.0]

    def test_exceptions_in_backward_propagate(self):
        class Boom(Function):
            @staticmethod
            def forward(ctx, x):
                return x * 1

            @staticmethod
            def backward(ctx, g):
                raise ValueError("boom")

        with pytest.raises(ValueError, match="^boom$"):
            Boom.apply(rg(1.0)).sum().backward()

    def test_missing_backward_and_forward(self):
        class NoBw(Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

        with raises(NotImplementedError, "You must implement either the backward or vjp method "
                                         "for your custom autograd.Function to use it with "
                                         "backward mode AD."):
            NoBw.apply(rg(1.0)).sum().backward()

        class NoFw(Function):
            pass

        with raises(NotImplementedError, "You must implement the forward function for custom "
                                         "autograd.Function."):
            NoFw.apply(rg(1.0))

    def test_vjp_is_an_alias_of_backward(self):
        class V(Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def vjp(ctx, g):
                return g * 7

        x = rg(1.0)
        V.apply(x).backward()
        assert x.grad.tolist() == [7.0]

    def test_instances_are_legacy(self):
        with pytest.warns(DeprecationWarning, match="should not be instantiated"):
            f = Cube()
        with raises(RuntimeError, "Legacy autograd function with non-static forward method is "
                                  "deprecated."):
            f(rg(1.0))

    def test_failed_forward_restores_the_mode(self):
        class Bad(Function):
            @staticmethod
            def forward(ctx, x):
                raise KeyError("x")

        with pytest.raises(KeyError):
            Bad.apply(rg(1.0))
        assert torch.is_grad_enabled()


# -- setup_context style, non-tensor inputs and outputs ---------------------------------------
class TestSetupContextAndNonTensors:
    def test_setup_context(self):
        seen = []

        class Mul(Function):
            @staticmethod
            def forward(x, k):
                seen.append(("fwd", torch.is_grad_enabled()))
                return x * k

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, k = inputs
                seen.append(("setup", torch.is_grad_enabled(), ctx.needs_input_grad,
                             output.tolist()))
                ctx.k = k
                ctx.save_for_backward(x)

            @staticmethod
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return g * ctx.k, None

        x = rg(1.0, 2.0)
        y = Mul.apply(x, 3.0)
        assert type(y.grad_fn).__name__ == "MulBackward"
        y.sum().backward()
        assert x.grad.tolist() == [3.0, 3.0]
        assert seen == [("fwd", False), ("setup", False, (True, False), [3.0, 6.0])]
        assert Mul.apply(x, k=2.0).tolist() == [2.0, 4.0]

    def test_non_tensor_outputs_pass_through_and_get_a_gradient_slot(self):
        got = []

        class NT(Function):
            @staticmethod
            def forward(ctx, x, k):
                return x * k, "meta", None, 3

            @staticmethod
            def backward(ctx, *gs):
                got.append(gs)
                return gs[0] * 2, None

        x = rg(1.0, 1.0)
        y, s, n, i = NT.apply(x, 2.0)
        assert (s, n, i) == ("meta", None, 3)
        assert y.output_nr == 0
        y.sum().backward()
        assert [g if g is None else g.tolist() for g in got[0]] == [[1.0, 1.0], None, None, None]
        assert x.grad.tolist() == [2.0, 2.0]

    def test_output_after_a_non_tensor_keeps_its_position(self):
        class NT(Function):
            @staticmethod
            def forward(ctx, x):
                return "a", x * 2

            @staticmethod
            def backward(ctx, a, g):
                assert a is None
                return g * 2

        x = rg(1.0)
        s, y = NT.apply(x)
        assert y.output_nr == 1
        y.backward()
        assert x.grad.tolist() == [2.0]

    def test_list_output_is_one_non_tensor_output(self):
        class L(Function):
            @staticmethod
            def forward(ctx, x):
                return [x * 2, x * 3]

        out = L.apply(rg(1.0))
        assert isinstance(out, list) and all(o.grad_fn is None for o in out)

    def test_tensor_list_input_is_not_tracked(self):
        class TL(Function):
            @staticmethod
            def forward(ctx, xs):
                return xs[0] * 2

        assert not TL.apply([rg(1.0)]).requires_grad

    def test_same_output_twice(self):
        got = []

        class Same(Function):
            @staticmethod
            def forward(ctx, x):
                y = x * 2
                return y, y

            @staticmethod
            def backward(ctx, a, b):
                got.append((a.tolist(), b.tolist()))
                return a + b

        x = rg(1.0)
        a, b = Same.apply(x)
        assert a is b and a.output_nr == 1
        (a + b).backward()
        assert got == [([0.0], [2.0])] and x.grad.tolist() == [2.0]

    def test_returning_a_non_input_leaf(self):
        w = rg(1.0)

        class RetW(Function):
            @staticmethod
            def forward(ctx, x):
                return w

            @staticmethod
            def backward(ctx, g):
                return g

        x = rg(2.0)
        with torch.no_grad():
            o = RetW.apply(x)
        assert o is w and not w.requires_grad     # detach_()ed, as PyTorch does
        w.requires_grad_()
        o = RetW.apply(x)
        assert o is w and type(w.grad_fn).__name__ == "RetWBackward" and not w.is_leaf


# -- needs_input_grad and modes ---------------------------------------------------------------
class TestModes:
    def test_needs_input_grad_ignores_the_mode(self):
        x = rg(1.0)
        for guard in (torch.no_grad, torch.inference_mode, torch.enable_grad):
            Probe.seen.clear()
            with guard():
                Probe.apply(x, 2.0)
            assert Probe.seen[0][3] == (True, False)

    def test_no_grad(self):
        Probe.seen.clear()
        x = rg(1.0, 2.0)
        with torch.no_grad():
            y = Probe.apply(x, 2.0)
        assert y.grad_fn is None and not y.requires_grad and not y.is_inference()
        assert Probe.seen == [("fwd", False, False, (True, False), True)]

    def test_inference_mode(self):
        Probe.seen.clear()
        x = rg(1.0, 2.0)
        with torch.inference_mode():
            y = Probe.apply(x, 2.0)
            t = torch.ones(2)
            z = Probe.apply(t, 2.0)
        assert Probe.seen[0][:3] == ("fwd", False, True)
        assert y.is_inference() and y.grad_fn is None and not y.requires_grad
        assert z.is_inference()

    def test_inference_tensors_outside_the_mode_give_normal_outputs(self):
        with torch.inference_mode():
            t = torch.ones(2)
        y = Probe.apply(t, 2.0)
        assert not y.is_inference() and y._version == 0

    def test_nested_inference_mode_false_records(self):
        x = rg(1.0)
        with torch.inference_mode():
            with torch.inference_mode(False):
                y = Cube.apply(x)
        assert type(y.grad_fn).__name__ == "CubeBackward" and not y.is_inference()
        y.backward()
        assert x.grad.tolist() == [3.0]

    def test_nested_enable_grad_inside_no_grad_records(self):
        x = rg(2.0)
        with torch.no_grad():
            with torch.enable_grad():
                y = Cube.apply(x)
            z = Cube.apply(x)
        assert y.grad_fn is not None and z.grad_fn is None

    def test_enable_grad_inside_inference_mode_records_like_pytorch(self):
        # PyTorch's rule for Functions is grad mode (not the key sets): a node is recorded, on
        # an inference output that ops outside the mode then ignore (I-16).
        x = rg(1.0)
        with torch.inference_mode():
            with torch.enable_grad():
                y = Probe.apply(x, 2.0)
        assert y.is_inference() and y.requires_grad
        assert type(y.grad_fn).__name__ == "ProbeBackward"
        with raises(RuntimeError, E22):
            y.sum().backward()

    def test_backward_mode_follows_create_graph(self):
        Probe.seen.clear()
        x = rg(1.0)
        Probe.apply(x, 2.0).backward()
        Probe.apply(x, 2.0).backward(create_graph=True)
        with torch.no_grad():
            y = Probe.apply(x * 1, 2.0)
        bw = [s for s in Probe.seen if s[0] == "bwd"]
        assert [s[1] for s in bw] == [False, True]
        assert y.grad_fn is None

    def test_backward_inside_inference_mode_runs_backward_in_it(self):
        Probe.seen.clear()
        x = rg(1.0)
        y = Probe.apply(x, 2.0)
        with torch.inference_mode():
            y.backward()
        assert Probe.seen[-1][:3] == ("bwd", False, True)
        assert x.grad.tolist() == [2.0]


# -- mark_dirty --------------------------------------------------------------------------------
class TestMarkDirty:
    def test_plain_tensor(self):
        a = torch.ones(2)
        b = Inc.apply(a)
        assert b is a and a._version == 2 and a.grad_fn is None and not a.requires_grad

    def test_non_leaf_gets_the_node_and_two_bumps(self):
        x = rg(1.0, 1.0)
        y = x * 1
        r = Inc.apply(y)
        assert r is y and y._version == 2 and type(y.grad_fn).__name__ == "IncBackward"
        y.sum().backward()
        assert x.grad.tolist() == [3.0, 3.0]

    def test_mark_without_write_bumps_once(self):
        class Mark(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.mark_dirty(x)
                return x

        a = torch.ones(2)
        Mark.apply(a)
        assert a._version == 1

    def test_leaf_requiring_grad_refused_after_forward_wrote(self):
        x = rg(1.0, 1.0)
        with raises(RuntimeError, E12):
            Inc.apply(x)
        # forward's own write happened (it cannot be undone); nothing else: no extra bump,
        # no history (PyTorch bumps once more before raising)
        assert x.tolist() == [2.0, 2.0] and x._version == 1 and x.is_leaf

    def test_leaf_under_no_grad_is_returned_detached(self):
        x = rg(1.0)
        with torch.no_grad():
            r = Inc.apply(x)
        assert r is not x and x.is_leaf and not r.requires_grad and x._version == 2
        assert r._base is None and r._version == 2      # shares the version counter

    def test_dirty_and_non_differentiable_leaf(self):
        class DND(Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                ctx.mark_non_differentiable(x)
                return x

        x = rg(1.0)
        r = DND.apply(x)
        assert r is not x and not r.requires_grad and x._version == 2

    def test_plain_tensor_with_a_grad_input_becomes_non_leaf(self):
        class IncBy(Function):
            @staticmethod
            def forward(ctx, x, w):
                x.add_(w)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g, g * 2

        a, w = torch.zeros(2, dtype=F64), rg(1.0, 1.0)
        r = IncBy.apply(a, w)
        assert r is a and a.requires_grad and not a.is_leaf
        r.sum().backward()
        assert w.grad.tolist() == [2.0, 2.0]

    def test_not_returned_changes_nothing(self):
        class NotRet(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.mark_dirty(x)
                return x * 2

        x = rg(1.0)
        y = x * 1
        with raises(RuntimeError, E13):
            NotRet.apply(y)
        assert y._version == 0 and type(y.grad_fn).__name__ == "MulBackward0"

    def test_tensor_saved_earlier_fails_at_backward(self):
        x = rg(1.0, 2.0)
        y = x * 1
        z = y * y
        Inc.apply(y)
        with raises(RuntimeError, "one of the variables needed for gradient computation has "
                                  "been modified by an inplace operation: [torch.DoubleTensor "
                                  "[2]], which is output 0 of Inc, is at version 2; expected "
                                  "version 0 instead."):
            z.sum().backward()

    def test_dirty_view_rewrites_the_base(self):
        x = rg(1.0, 1.0, 1.0, 1.0)
        y = x * 2
        v = y[1:3]
        r = Inc.apply(v)
        assert r is v and y.grad_fn.name() == "torch::autograd::CopySlices"
        assert type(v.grad_fn).__name__ == "AsStridedBackward0"
        y.sum().backward()
        assert x.grad.tolist() == [2.0, 6.0, 6.0, 2.0]

    def test_dirty_view_in_second_position_gets_correct_gradients(self):
        # Beyond PyTorch, which routes the first argument's gradient into the base here.
        class IncSecond(Function):
            @staticmethod
            def forward(ctx, w, x):
                x.add_(w)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, g):
                return g * 5, g * 3

        x, w = rg(1.0, 1.0, 1.0, 1.0), rg(1.0, 1.0)
        y = x * 2
        IncSecond.apply(w, y[1:3])
        y.sum().backward()
        assert x.grad.tolist() == [2.0, 6.0, 6.0, 2.0] and w.grad.tolist() == [5.0, 5.0]

    def test_dirty_view_with_two_outputs_refused(self):
        class IncTwo(Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x, x * 2

        y = rg(1.0, 1.0, 1.0) * 2
        with raises(RuntimeError, "If your Function modifies inplace an input that is a view "
                                  "of another Tensor, your Function cannot return more than "
                                  "one Tensor."):
            IncTwo.apply(y[1:])

    def test_dirty_view_checks(self):
        x = rg(1.0, 1.0, 1.0)
        with raises(RuntimeError, "a view of a leaf Variable that requires grad is being used "
                                  "in an in-place operation."):
            Inc.apply(x[1:])
        y = x * 2
        with torch.no_grad():
            v = y[1:]
        with raises(RuntimeError, E12):       # a no_grad view is a leaf that requires grad
            Inc.apply(v)
        h = Head.apply(y)
        with raises(RuntimeError, E8.format(nr=0, name="Head")):
            Inc.apply(h)

    def test_inference_tensors(self):
        class Mark(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.mark_dirty(x)
                return x

        with torch.inference_mode():
            t = torch.ones(2)
            assert Inc.apply(t) is t and t.tolist() == [2.0, 2.0]
        with raises(RuntimeError, E2):
            Inc.apply(t)                    # refused by add_ itself, before writing
        with raises(RuntimeError, E2):
            Mark.apply(t)                   # refused before the bump
        assert t.tolist() == [2.0, 2.0]
        with torch.no_grad(), raises(RuntimeError, E2):
            Mark.apply(t)

    def test_normal_tensor_inside_inference_mode_bumps(self):
        a = torch.ones(2)
        with torch.inference_mode():
            Inc.apply(a)
        assert a._version == 2 and not a.is_inference()

    def test_non_input_warns_and_non_tensor_refused(self):
        class DirtyOut(Function):
            @staticmethod
            def forward(ctx, x):
                o = x * 2
                ctx.mark_dirty(o)
                return o

            @staticmethod
            def backward(ctx, g):
                return g

        with pytest.warns(UserWarning, match=re.escape(
                "ctx.mark_dirty() received a tensor that was not an input.")):
            DirtyOut.apply(rg(1.0))

        class DirtyInt(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.mark_dirty(x, 3)
                return x

        with raises(RuntimeError, "mark_dirty can only accept variables, but argument "):
            DirtyInt.apply(torch.ones(1))


# -- mark_non_differentiable and set_materialize_grads ------------------------------------------
class TestNonDifferentiableAndMaterialize:
    def test_non_differentiable_outputs_get_zero_gradients_of_their_dtype(self):
        got = []

        class Sort(Function):
            @staticmethod
            def forward(ctx, x):
                idx = torch.arange(x.shape[0])
                m = x * 3
                ctx.mark_non_differentiable(idx, m)
                return x * 2, idx, m

            @staticmethod
            def backward(ctx, g, gi, gm):
                got.append((gi.dtype, gi.tolist(), gm.tolist()))
                return g

        x = rg(1.0, 2.0)
        a, i, m = Sort.apply(x)
        assert a.requires_grad and not i.requires_grad and not m.requires_grad
        assert m.is_leaf and m.grad_fn is None
        a.sum().backward()
        assert got == [(torch.int64, [0, 0], [0.0, 0.0])]
        with raises(RuntimeError, E22):
            m.sum().backward()

    def test_integer_outputs_never_require_grad(self):
        class IO(Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2, torch.arange(2)

            @staticmethod
            def backward(ctx, g, gi):
                return g

        a, b = IO.apply(rg(1.0, 1.0))
        assert a.requires_grad and not b.requires_grad

    def test_non_tensor_refused(self):
        class ND(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.mark_non_differentiable(3)
                return x

        with raises(RuntimeError, "mark_non_differentiable only accepts variable arguments, "
                                  "but got "):
            ND.apply(torch.ones(1))

    @pytest.mark.parametrize("materialize", [True, False])
    def test_unused_output(self, materialize):
        got = []

        class Two(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(materialize)
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, g1, g2):
                got.append((g1 if g1 is None else g1.tolist(), g2.tolist()))
                return (0 if g1 is None else g1 * 2) + g2 * 3

        x = rg(1.0, 1.0)
        a, b = Two.apply(x)
        b.sum().backward()
        assert got == [([0.0, 0.0] if materialize else None, [1.0, 1.0])]
        assert x.grad.tolist() == [3.0, 3.0]


# -- views returned from forward (F-14, F-15) ------------------------------------------------
class TestViews:
    def test_input_returned_as_is_becomes_a_new_view(self):
        x = rg(1.0, 2.0)
        y = Id.apply(x)
        assert y is not x and y._base is x and type(y.grad_fn).__name__ == "IdBackward"
        assert meta(y) == CreationMeta.IN_CUSTOM_FUNCTION
        with raises(RuntimeError, E8.format(nr=0, name="Id")):
            y.add_(1)
        y.sum().backward()
        assert x.grad.tolist() == [1.0, 1.0]

    def test_input_returned_under_no_grad_and_inference(self):
        x, p = rg(1.0), torch.ones(2)
        with torch.no_grad():
            y, z = Id.apply(x), Id.apply(p)
        assert y._base is None and not y.requires_grad and y is not x   # detached alias
        assert z._base is p and meta(z) == CreationMeta.IN_CUSTOM_FUNCTION
        with torch.inference_mode():
            y, z = Id.apply(x), Id.apply(p)
            t = torch.ones(2)
            w = Id.apply(t)
        assert not y.is_inference() and y._base is None and not y.requires_grad
        assert z._base is p and meta(z) == CreationMeta.IN_CUSTOM_FUNCTION
        assert w is not t and w.is_inference() and w._base is None

    def test_view_made_in_forward(self):
        y = rg(1.0, 2.0, 3.0, 4.0) * 1
        v = Head.apply(y)
        assert v._base is y and meta(v) == CreationMeta.IN_CUSTOM_FUNCTION
        assert type(v.grad_fn).__name__ == "HeadBackward"
        with raises(RuntimeError, E8.format(nr=0, name="Head")):
            v.mul_(2)
        with torch.no_grad():
            v.mul_(2)                         # allowed under no_grad
        v = Head.apply(y)
        assert v.clone().add_(1).requires_grad       # allowed after clone

    def test_base_modified_later(self):
        y = rg(1.0, 2.0, 3.0) * 1
        v = Head.apply(y)
        with torch.no_grad():
            y.add_(1)
        with raises(RuntimeError, E8_INDIRECT.format(nr=0, name="Head")):
            v.grad_fn
        with raises(RuntimeError, E8_INDIRECT.format(nr=0, name="Head")):
            v * 2

    def test_view_of_input_not_requiring_grad(self):
        p = torch.ones(4)
        v = Head.apply(p)
        assert meta(v) == CreationMeta.IN_CUSTOM_FUNCTION and not v.requires_grad
        v.add_(1)                             # nothing requires grad: allowed
        assert p.tolist() == [2.0, 2.0, 1.0, 1.0]
        v = Head.apply(p)
        with raises(RuntimeError, NOGRAD_VIEW + E8.split("inplace.", 1)[1]):
            v.add_(rg(1.0, 1.0))

    def test_view_of_view_names_its_own_node(self):
        v = Head.apply(rg(1.0, 2.0, 3.0) * 1)
        vv = v[:1]
        assert meta(vv) == CreationMeta.IN_CUSTOM_FUNCTION
        with raises(RuntimeError, E8.format(nr=0, name="Slice")):
            vv.add_(1)

    def test_two_differentiable_outputs_get_multi_output_meta(self):
        y = rg(1.0, 2.0, 3.0, 4.0) * 1
        a, b = Halves.apply(y)
        assert meta(a) == meta(b) == CreationMeta.MULTI_OUTPUT_NODE
        assert (a.output_nr, b.output_nr) == (0, 1)
        with raises(RuntimeError, E7.format(nr=1, name="Halves")):
            b.add_(1)
        (a.sum() + 2 * b.sum()).backward()

    def test_input_and_another_output(self):
        class TwoIn(Function):
            @staticmethod
            def forward(ctx, x):
                return x, x * 2

            @staticmethod
            def backward(ctx, g, h):
                return g + 2 * h

        y = rg(1.0, 2.0) * 1
        a, b = TwoIn.apply(y)
        assert a._base is y and meta(a) == CreationMeta.MULTI_OUTPUT_NODE
        with raises(RuntimeError, E7.format(nr=0, name="TwoIn")):
            a.add_(1)

    def test_non_tensor_or_non_differentiable_second_output_does_not_count(self):
        class ViewMeta(Function):
            @staticmethod
            def forward(ctx, x):
                return x[:2], "meta"

            @staticmethod
            def backward(ctx, g, s):
                return torch.cat([g, torch.zeros(2, dtype=g.dtype)])

        class ViewIdx(Function):
            @staticmethod
            def forward(ctx, x):
                i = torch.arange(2)
                ctx.mark_non_differentiable(i)
                return x[:2], i

        y = rg(1.0, 2.0, 3.0, 4.0) * 1
        assert meta(ViewMeta.apply(y)[0]) == CreationMeta.IN_CUSTOM_FUNCTION
        assert meta(ViewIdx.apply(y)[0]) == CreationMeta.IN_CUSTOM_FUNCTION

    def test_non_differentiable_view_of_grad_input(self):
        class TwoND(Function):
            @staticmethod
            def forward(ctx, x):
                a, b = x[:2], x[2:]
                ctx.mark_non_differentiable(b)
                return a, b

        y = rg(1.0, 2.0, 3.0, 4.0) * 1
        a, b = TwoND.apply(y)
        assert b.requires_grad and b.grad_fn is None and b._base is y   # like a no_grad view
        with raises(RuntimeError, NOGRAD_VIEW):
            b.add_(1)


# -- what backward returns (F-11..F-13) ----------------------------------------------------
class TestBackwardResults:
    def test_wrong_count(self):
        x = rg(1.0, 2.0)
        with raises(RuntimeError, "function RetBackward returned an incorrect number of "
                                  "gradients (expected 1, got 2)"):
            returning(lambda g: (g, g)).apply(x).sum().backward()
        returning(lambda g: (g, None, None)).apply(x).sum().backward()    # trailing None ok
        assert x.grad.tolist() == [1.0, 1.0]

        class Two(Function):
            @staticmethod
            def forward(ctx, x, y):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g

        with raises(RuntimeError, "function TwoBackward returned an incorrect number of "
                                  "gradients (expected 2, got 1)"):
            Two.apply(x, x).sum().backward()

    @pytest.mark.parametrize("shape,got", [((3,), "[3]"), ((1,), "[1]"), ((2, 1), "[2, 1]")])
    def test_wrong_shape(self, shape, got):
        x = rg(1.0, 2.0)
        with raises(RuntimeError, f"Function RetBackward returned an invalid gradient at index "
                                  f"0 - got {got} but expected shape compatible with [2]"):
            returning(lambda g: torch.ones(*shape, dtype=F64)).apply(x).sum().backward()
        assert x.grad is None

    def test_larger_broadcastable_gradient_is_summed(self):
        x = rg(1.0, 2.0)
        returning(lambda g: torch.ones(3, 2, dtype=F64)).apply(x).sum().backward()
        assert x.grad.tolist() == [3.0, 3.0]
        s = torch.tensor(1.0, dtype=F64, requires_grad=True)
        returning(lambda g: torch.ones(3, dtype=F64)).apply(s).backward()
        assert s.grad.item() == 3.0

    def test_dtype_is_cast(self):
        x = rg(1.0, 2.0, dtype=torch.float32)
        returning(lambda g: g.double()).apply(x).sum().backward()
        assert x.grad.dtype == torch.float32
        x.grad = None
        returning(lambda g: torch.ones(2, dtype=torch.int64)).apply(x).sum().backward()
        assert x.grad.dtype == torch.float32 and x.grad.tolist() == [1.0, 1.0]

    def test_gradient_for_non_tensor_input(self):
        class NV(Function):
            @staticmethod
            def forward(ctx, x, k, z):
                return x * k

            @staticmethod
            def backward(ctx, g):
                return g, g, None

        with raises(RuntimeError, "function NVBackward returned a gradient different than None "
                                  "at position 2, but the corresponding forward input was not a "
                                  "Variable"):
            NV.apply(rg(1.0), 2, None).sum().backward()

    def test_non_tensor_gradient(self):
        with raises(RuntimeError, "expected Variable or None (got int)"):
            returning(lambda g: 3).apply(rg(1.0)).sum().backward()
        with raises(RuntimeError, "expected Variable or None (got list)"):
            returning(lambda g: [g]).apply(rg(1.0)).sum().backward()

    def test_none_and_unwanted_gradients(self):
        class Two(Function):
            @staticmethod
            def forward(ctx, x, y):
                return x * y

            @staticmethod
            def backward(ctx, g):
                return None, torch.ones(5)      # y does not require grad: dropped unchecked

        x = rg(1.0, 2.0)
        Two.apply(x, torch.ones(2, dtype=F64)).sum().backward()
        assert x.grad is None


# -- once_differentiable and double backward ------------------------------------------------
class TestHigherOrder:
    def test_double_backward_with_differentiable_backward(self):
        x = rg(1.0, 2.0)
        g, = torch.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
        assert g.tolist() == [3.0, 12.0] and g.requires_grad
        g2, = torch.autograd.grad(g.sum(), x)
        assert g2.tolist() == [6.0, 12.0]

    def test_double_backward_through_a_saved_output(self):
        x = rg(0.0, 1.0)
        g, = torch.autograd.grad(Exp.apply(x).sum(), x, create_graph=True)
        g2, = torch.autograd.grad(g.sum(), x)
        assert np.allclose(g2.tolist(), np.exp([0.0, 1.0]))

    def test_once_differentiable_first_order(self):
        x = rg(1.0, 2.0)
        CubeOnce.apply(x).sum().backward()
        assert x.grad.tolist() == [3.0, 12.0]

    def test_once_differentiable_with_plain_incoming_gradient(self):
        x = rg(1.0, 2.0)
        g, = torch.autograd.grad(CubeOnce.apply(x).sum(), x, create_graph=True)
        assert not g.requires_grad and g.grad_fn is None
        with raises(RuntimeError, E22):
            g.sum().backward()

    def test_once_differentiable_with_incoming_gradient_requiring_grad(self):
        x = rg(1.0, 2.0)
        y = CubeOnce.apply(x)
        g, = torch.autograd.grad((y * y).sum(), x, create_graph=True)
        assert g.requires_grad
        with raises(RuntimeError, E18):
            g.sum().backward()

    def test_once_differentiable_runs_without_grad(self):
        seen = []

        class F(Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            @once_differentiable
            def backward(ctx, g):
                seen.append(torch.is_grad_enabled())
                return g * 2

        x = rg(1.0)
        torch.autograd.grad(F.apply(x), x, create_graph=True)
        assert seen == [False]

    def test_gradcheck_and_gradgradcheck(self):
        gradcheck = getattr(torch.autograd, "gradcheck")
        gradgradcheck = getattr(torch.autograd, "gradgradcheck")
        x = rg(0.3, -1.2, 2.0)
        assert gradcheck(Cube.apply, (x,))
        assert gradgradcheck(Cube.apply, (x,))
        assert gradcheck(Exp.apply, (x,))
        assert gradgradcheck(Exp.apply, (x,))
        assert gradcheck(lambda t: Probe.apply(t, 1.5), (x,))
        assert gradcheck(CubeOnce.apply, (x,))


# -- the ctx-attribute warning (beyond PyTorch) ----------------------------------------------
class TestCtxAttributeWarning:
    def test_tensor_attribute_warns(self):
        class Leaky(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.x = x
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

        with pytest.warns(UserWarning, match="LeakyBackward: a Tensor was stored as the plain "
                                             "ctx attribute 'x'"):
            Leaky.apply(rg(1.0))

    def test_tensors_in_a_tuple_warn_too(self):
        class Leaky(Function):
            @staticmethod
            def forward(ctx, x):
                ctx.both = (x, 1)
                return x * 2

        with pytest.warns(UserWarning, match="save_for_backward"):
            Leaky.apply(torch.ones(1))

    def test_no_warning_for_the_proper_way(self):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            x = rg(1.0, 2.0)
            Probe.apply(x, 2.0).sum().backward()
            Cube.apply(x).sum().backward()


# -- property: which outputs reach the loss ------------------------------------------------
class Three(Function):
    """Three outputs: 2x, x**2 and an optional non-differentiable one; backward records what
    it received."""
    received = []

    @staticmethod
    def forward(ctx, x, materialize, nondiff):
        ctx.set_materialize_grads(materialize)
        ctx.save_for_backward(x)
        outs = (x * 2, x * x, x * 5)
        if nondiff:
            ctx.mark_non_differentiable(outs[2])
        return outs

    @staticmethod
    def backward(ctx, g1, g2, g3):
        x, = ctx.saved_tensors
        Three.received.append(tuple(None if g is None else g.tolist() for g in (g1, g2, g3)))
        total = torch.zeros_like(x)
        if g1 is not None:
            total = total + 2 * g1
        if g2 is not None:
            total = total + 2 * x * g2
        if g3 is not None:
            total = total + 5 * g3
        return total, None, None


@given(used=st.lists(st.booleans(), min_size=3, max_size=3),
       weights=st.lists(st.integers(1, 4), min_size=3, max_size=3),
       materialize=st.booleans(), nondiff=st.booleans(),
       mode=st.sampled_from(["grad", "no_grad", "inference"]))
def test_property_used_outputs(used, weights, materialize, nondiff, mode):
    Three.received.clear()
    x = torch.tensor([1.0, -2.0], dtype=F64, requires_grad=True)
    if mode != "grad":
        guard = torch.no_grad() if mode == "no_grad" else torch.inference_mode()
        with guard:
            outs = Three.apply(x, materialize, nondiff)
        assert all(o.grad_fn is None and not o.requires_grad for o in outs)
        assert all(o.is_inference() == (mode == "inference") for o in outs)
        return
    outs = Three.apply(x, materialize, nondiff)
    assert outs[2].requires_grad == (not nondiff)
    diff_used = [u and not (i == 2 and nondiff) for i, u in enumerate(used)]
    loss = None
    for i, o in enumerate(outs):
        if diff_used[i]:
            term = (o * weights[i]).sum()
            loss = term if loss is None else loss + term
    if loss is None:
        if any(used):
            with raises(RuntimeError, E22):
                sum((outs[i] * weights[i]).sum() for i in range(3) if used[i]).backward()
        assert Three.received == []
        return
    loss.backward()
    xs = np.array([1.0, -2.0])
    expect = np.zeros(2)
    for i, d in enumerate((2 * np.ones(2), 2 * xs, 5 * np.ones(2))):
        if diff_used[i]:
            expect += weights[i] * d
    assert np.allclose(x.grad.tolist(), expect)
    got, = Three.received
    for i, g in enumerate(got):
        if diff_used[i]:
            assert g == [float(weights[i])] * 2
        elif materialize:
            assert g == [0.0, 0.0]       # materialized zeros (also for the non-diff output)
        else:
            assert g is None
