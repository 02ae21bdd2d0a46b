"""``tensor.library`` extras: ``opcheck`` (its five tests, verdict dict and OpCheckError),
the fake-kernel context (``get_ctx``), ``impl_abstract``, ``get_kernel``, ``register_autocast``
and ``register_vmap`` (a rule used by our loop vmap). Expected texts are PyTorch 2.13's."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tensor as torch
from tensor import Tensor
from tensor.library import OpCheckError, custom_op, get_ctx, opcheck

_COUNT = itertools.count()


def fresh(prefix="op"):
    return f"tklibx::{prefix}{next(_COUNT)}"


def raises(exc, leading):
    return pytest.raises(exc, match="^" + re.escape(leading))


def good_op():
    @custom_op(fresh("good"), mutates_args=())
    def good(x: Tensor) -> Tensor:
        return x.sin()

    @good.register_fake
    def _(x):
        return torch.empty_like(x)

    def setup(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * x.cos()
    good.register_autograd(backward, setup_context=setup)
    return good


DEFAULT = ["test_schema", "test_autograd_registration", "test_faketensor",
           "test_aot_dispatch_dynamic"]


# -- opcheck --------------------------------------------------------------------------------------
class TestOpcheckVerdicts:
    def test_a_well_registered_op_passes_every_test(self):
        op = good_op()
        x = torch.randn(3, requires_grad=True)
        assert opcheck(op, (x,)) == dict.fromkeys(DEFAULT, "SUCCESS")
        everything = opcheck(op, (x,), test_utils="ALL")
        assert list(everything) == ["test_schema", "test_autograd_registration",
                                    "test_faketensor", "test_aot_dispatch_static",
                                    "test_aot_dispatch_dynamic"]
        assert set(everything.values()) == {"SUCCESS"}
        # the overload, the packet and the CustomOpDef name the same op
        assert opcheck(op._opoverload, (x,), test_utils="test_schema") == {
            "test_schema": "SUCCESS"}
        assert opcheck(op._opoverload.overloadpacket, (x,),
                       test_utils=("test_faketensor",)) == {"test_faketensor": "SUCCESS"}
        assert x.grad is None and x._version == 0      # opcheck worked on copies

    def test_failures_are_reported_or_raised(self):
        @custom_op(fresh("nofake"), mutates_args=())
        def nofake(x: Tensor) -> Tensor:
            return x * 2
        res = opcheck(nofake, (torch.randn(3),), raise_exception=False)
        assert res["test_schema"] == res["test_autograd_registration"] == "SUCCESS"
        msg = (f"There was no fake impl registered for {nofake!r}. This is necessary for "
               "torch.compile/export/fx tracing to work. Please use `nofake.register_fake` "
               "to add an fake impl.")
        for name in ("test_faketensor", "test_aot_dispatch_dynamic"):
            assert type(res[name]) is RuntimeError and str(res[name]) == msg
        with pytest.raises(OpCheckError) as info:
            opcheck(nofake, (torch.randn(3),))
        assert str(info.value) == (f"opcheck(op, ...): test_faketensor failed with {msg} "
                                   "(scroll up for stack trace)")
        assert type(info.value.__cause__) is RuntimeError
        assert issubclass(OpCheckError, Exception) and not issubclass(OpCheckError,
                                                                       RuntimeError)

    def test_argument_errors(self):
        lib = torch.library.Library(fresh("ns").split("::")[1], "FRAGMENT")
        try:
            lib.define("f(Tensor x) -> Tensor")
            lib.define("f.two(Tensor x, Tensor y) -> Tensor")
            pkt = getattr(torch.ops, lib.ns).f
            with raises(RuntimeError, "opcheck can only test operators without overloads. Got "
                        f"the following overloads for {lib.ns}::f: ['', 'two']"):
                opcheck(pkt, (torch.ones(1),))
            with raises(ValueError, "opcheck(op, ...): if you specify one of rtol/atol, you "
                        "must specify both"):
                opcheck(pkt.default, (torch.ones(1),), rtol=1e-3)
            with raises(ValueError, "opcheck(op, ..., test_utils=('nope',)), expected "
                        "test_utils to be subset of ('test_schema', 'test_autograd_registration',"
                        " 'test_faketensor', 'test_aot_dispatch_static', "
                        "'test_aot_dispatch_dynamic') but it was not"):
                opcheck(pkt.default, (torch.ones(1),), test_utils="nope")
            with raises(ValueError, "opcheck(op, ...): op must be instance of "
                        "torch._ops.OpOverload, e.g. torch.ops.aten.sin.default, got "
                        "<class 'str'>"):
                opcheck(f"{lib.ns}::f", (torch.ones(1),))
        finally:
            lib.remove()


class TestSchemaCheck:
    def test_undeclared_mutation(self):
        @custom_op(fresh("sneaky"), mutates_args=())
        def sneaky(x: Tensor) -> Tensor:
            x.add_(1)
            return x.clone()
        a = torch.zeros(3)
        res = opcheck(sneaky, (a,), test_utils="test_schema", raise_exception=False)
        assert str(res["test_schema"]) == "Argument x is not defined as mutable but was mutated"
        assert a.tolist() == [0.0, 0.0, 0.0] and a._version == 0

    def test_declared_mutation_and_over_declaration_pass(self):
        @custom_op(fresh("inc"), mutates_args=("x",))
        def inc(x: Tensor) -> None:
            x.add_(1)

        @custom_op(fresh("idle"), mutates_args=("x",))
        def idle(x: Tensor) -> None:
            pass
        for op in (inc, idle):      # PyTorch accepts a schema that declares more than happens
            assert set(opcheck(op, (torch.zeros(2),)).values()) == {"SUCCESS"}

    def test_aliasing(self):
        lib = torch.library.Library(fresh("al").split("::")[1], "FRAGMENT")
        try:
            lib.define("view(Tensor x) -> Tensor")
            lib.impl("view", lambda x: x.view(-1), "CPU")
            lib.define("ok(Tensor(a) x) -> Tensor(a)")
            lib.impl("ok", lambda x: x.view(-1), "CPU")
            lib.define("same(Tensor(a) x) -> Tensor(a)")
            lib.impl("same", lambda x: x, "CPU")
            lib.define("pair(Tensor x) -> (Tensor, Tensor)")
            lib.impl("pair", lambda x: (lambda y: (y, y[:1]))(x * 2), "CPU")
            ops = getattr(torch.ops, lib.ns)

            def verdict(name):
                r = opcheck(getattr(ops, name), (torch.ones(3),), test_utils="test_schema",
                            raise_exception=False)["test_schema"]
                return r if isinstance(r, str) else str(r)
            assert verdict("view") == "Argument x is not defined to alias output but was aliasing"
            assert verdict("ok") == "SUCCESS"
            assert verdict("same") == ("Dispatcher operators below autograd are not allowed to "
                                       "directly return inputs.\nHowever, we found that "
                                       "`outputs[0] is x")
            assert verdict("pair") == "Outputs 0 and 1 alias unexpectedly"
        finally:
            lib.remove()


class TestAutogradRegistration:
    def test_autograd_recorded_inside_a_backend_kernel(self):
        lib = torch.library.Library(fresh("ag").split("::")[1], "FRAGMENT")
        try:
            lib.define("twice(Tensor x) -> Tensor")
            lib.impl("twice", lambda x: x * 2, "CPU")
            torch.library.register_fake(f"{lib.ns}::twice", lambda x: torch.empty_like(x),
                                        lib=lib)
            op = getattr(torch.ops, lib.ns).twice.default
            assert opcheck(op, (torch.ones(2),), test_utils="test_autograd_registration") == {
                "test_autograd_registration": "SUCCESS"}       # nothing requires grad
            res = opcheck(op, (torch.ones(2, requires_grad=True),), raise_exception=False)
            err = res["test_autograd_registration"]
            assert type(err) is AssertionError
            assert str(err).startswith(f"{lib.ns}::twice: at least one output of this operator "
                                       "has requires_grad=True but the operator does not have "
                                       "an autograd kernel defined at an autograd key")
            # (the AOT stand-in: traced, such an op would get no gradient)
            assert str(res["test_aot_dispatch_dynamic"]).startswith(
                "Gradients of the operator are different")
            lib.impl("twice", lambda x: x * 2, "CompositeImplicitAutograd")
            assert opcheck(op, (torch.ones(2, requires_grad=True),),
                           test_utils="test_autograd_registration") == {
                "test_autograd_registration": "SUCCESS"}
        finally:
            lib.remove()


class TestFakeCheck:
    @pytest.mark.parametrize("fake, message", [
        (lambda x: x.new_empty(x.shape[0] + 1, x.shape[1]),
         "Shapes torch.Size([3, 2]) and torch.Size([4, 2]) are not equal!"),
        (lambda x: x.new_empty(x.shape, dtype=torch.float64),
         "Dtypes torch.float32 and torch.float64 are not equal!"),
        (lambda x: x.new_empty(x.shape[::-1]).t(),
         "Stride mismatch! Strides are (2, 1) and (1, 3) (mismatched at 0)!"),
    ])
    def test_metadata_mismatches(self, fake, message):
        @custom_op(fresh("f"), mutates_args=())
        def f(x: Tensor) -> Tensor:
            return x.sin()
        f.register_fake(fake)
        err = opcheck(f, (torch.randn(3, 2),), test_utils="test_faketensor",
                      raise_exception=False)["test_faketensor"]
        assert type(err).__name__ == "MetadataMismatchError" and isinstance(err, RuntimeError)
        assert str(err) == (f"When comparing the output of {f._opoverload} on FakeTensor and "
                            f"concrete Tensors, found mismatched tensor metadata: {message}")

    def test_number_of_outputs_and_aliasing(self):
        @custom_op(fresh("f"), mutates_args=())
        def f(x: Tensor) -> Tensor:
            return x.sin()
        f.register_fake(lambda x: (torch.empty_like(x), torch.empty_like(x)))
        err = opcheck(f, (torch.randn(3),), test_utils="test_faketensor",
                      raise_exception=False)["test_faketensor"]
        assert type(err) is AssertionError and str(err).endswith(
            "found mismatch in number of returns 2 != 1")
        f.register_fake(lambda x: x)
        err = opcheck(f, (torch.randn(3),), test_utils="test_faketensor",
                      raise_exception=False)["test_faketensor"]
        assert str(err).endswith("found mismatch in outputs_alias_inputs check True != False")

    def test_library_ops_meta_kernels_and_builtins(self):
        lib = torch.library.Library(fresh("fk").split("::")[1], "FRAGMENT")
        try:
            lib.define("plain(Tensor x) -> Tensor")
            lib.impl("plain", lambda x: x * 2, "CPU")
            ops = getattr(torch.ops, lib.ns)
            err = opcheck(ops.plain, (torch.ones(2),), test_utils="test_faketensor",
                          raise_exception=False)["test_faketensor"]
            assert type(err).__name__ == "UnsupportedOperatorException"
            assert str(err) == f"{lib.ns}.plain.default"
            lib.impl("plain", lambda x: x.new_empty(x.shape[0] + 2), "Meta")
            err = opcheck(ops.plain, (torch.ones(2),), test_utils="test_faketensor",
                          raise_exception=False)["test_faketensor"]
            assert "Shapes torch.Size([2]) and torch.Size([4]) are not equal!" in str(err)
        finally:
            lib.remove()
        assert opcheck(torch.ops.aten.sin.default, (torch.ones(2),)) == dict.fromkeys(
            DEFAULT, "SUCCESS")

    def test_a_mutating_op_without_returns_needs_no_fake(self):
        @custom_op(fresh("fill"), mutates_args=("x",))
        def fill(x: Tensor) -> None:
            x.fill_(3)
        assert opcheck(fill, (torch.zeros(2),))["test_faketensor"] == "SUCCESS"


class TestFakeContext:
    def test_get_ctx_outside_a_fake_kernel(self):
        assert get_ctx() is None

    def test_dynamic_sizes(self):
        seen = []

        @custom_op(fresh("nz"), mutates_args=())
        def nz(x: Tensor) -> Tensor:
            return x.nonzero()

        @nz.register_fake
        def _(x):
            ctx = get_ctx()
            seen.append(type(ctx).__name__)
            with raises(ValueError, "ctx.new_dynamic_size(min=-1, ...): expected min to be "
                        "greater than or equal to 0: this API can only create non-negative "
                        "sizes."):
                ctx.new_dynamic_size(min=-1)
            with pytest.warns(FutureWarning, match="`create_unbacked_symint` is deprecated"):
                ctx.create_unbacked_symint()
            return x.new_empty(ctx.new_dynamic_size(), x.dim(), dtype=torch.int64)
        # the data-dependent dimension matches whatever the kernel returns
        for data in ([0.0, 1.0, 2.0], [0.0, 0.0], [5.0]):
            assert opcheck(nz, (torch.tensor(data),), test_utils="test_faketensor") == {
                "test_faketensor": "SUCCESS"}
        assert seen == ["FakeImplCtx"] * 3 and get_ctx() is None


class TestAotStandIn:
    def test_kernels_that_are_not_functions_of_their_inputs(self):
        @custom_op(fresh("noisy"), mutates_args=())
        def noisy(x: Tensor) -> Tensor:
            return x + torch.from_numpy(np.random.rand(3).astype("float32"))
        noisy.register_fake(lambda x: torch.empty_like(x))
        err = opcheck(noisy, (torch.randn(3),), raise_exception=False)[
            "test_aot_dispatch_dynamic"]
        assert type(err) is AssertionError and str(err).startswith(
            "Outputs of the operator are different in eager-mode PyTorch vs AOTDispatcher")

        @custom_op(fresh("seeded"), mutates_args=())
        def seeded(x: Tensor) -> Tensor:
            return x + torch.rand(3)     # the generator is seeded the same for each run
        seeded.register_fake(lambda x: torch.empty_like(x))
        assert opcheck(seeded, (torch.randn(3),))["test_aot_dispatch_dynamic"] == "SUCCESS"

    def test_backward(self):
        @custom_op(fresh("nobwd"), mutates_args=())
        def nobwd(x: Tensor) -> Tensor:
            return x * 2
        nobwd.register_fake(lambda x: torch.empty_like(x))
        err = opcheck(nobwd, (torch.randn(3, requires_grad=True),), raise_exception=False,
                      test_utils="test_aot_dispatch_static")["test_aot_dispatch_static"]
        assert str(err).startswith("Trying to backward through ")
        count = [0]

        def drifting(ctx, g):
            count[0] += 1
            return g * count[0]
        nobwd.register_autograd(drifting)
        err = opcheck(nobwd, (torch.randn(3, requires_grad=True),), raise_exception=False,
                      test_utils="test_aot_dispatch_static")["test_aot_dispatch_static"]
        assert type(err) is AssertionError and str(err).startswith(
            "Gradients of the operator are different")
        count[0] = -10**6           # tolerances: differences within atol pass
        res = opcheck(nobwd, (torch.randn(3, requires_grad=True),), atol=10.0, rtol=0.0,
                      test_utils="test_aot_dispatch_static")
        assert res == {"test_aot_dispatch_static": "SUCCESS"}

    def test_alias_annotations_on_outputs(self):
        lib = torch.library.Library(fresh("an").split("::")[1], "FRAGMENT")
        try:
            lib.define("v(Tensor(a) x) -> Tensor(a)")
            lib.impl("v", lambda x: x.view(-1), "CPU")
            err = opcheck(getattr(torch.ops, lib.ns).v, (torch.ones(2),),
                          raise_exception=False)["test_aot_dispatch_dynamic"]
            assert str(err).startswith("Found a custom (non-ATen) operator whose output has "
                                       f"alias annotations: {lib.ns}::v(Tensor(a) x) -> "
                                       "Tensor(a). We only support functionalizing")
        finally:
            lib.remove()


# -- impl_abstract, get_kernel --------------------------------------------------------------------
def test_impl_abstract_warns_and_registers():
    name = fresh("ab")
    torch.library.define(name, "(Tensor x) -> Tensor")
    torch.library.impl(name, "cpu", lambda x: x + 1)
    with pytest.warns(FutureWarning, match=re.escape(
            "`torch.library.impl_abstract` was renamed to `torch.library.register_fake`.")):
        torch.library.impl_abstract(name)(lambda x: torch.empty_like(x)[:1])
    op = getattr(torch.ops.tklibx, name.split("::")[1]).default
    err = opcheck(op, (torch.ones(2),), test_utils="test_faketensor",
                  raise_exception=False)["test_faketensor"]
    assert "Shapes torch.Size([2]) and torch.Size([1]) are not equal!" in str(err)


class TestGetKernel:
    def test_call_boxed_runs_the_computed_kernel(self):
        k = torch.library.get_kernel("aten::add.Tensor", "CPU")
        assert repr(k).startswith("SafeKernelFunction(debug='registered at ")
        ks = torch.DispatchKeySet("CPU")
        assert k.call_boxed(ks, torch.ones(2), torch.ones(2), alpha=2).tolist() == [3.0, 3.0]
        x = torch.ones(2, requires_grad=True)
        assert not k.call_boxed(ks, x, x).requires_grad      # below autograd
        ag = torch.library.get_kernel(torch.ops.aten.add.Tensor, "AutogradCPU")
        y = ag.call_boxed(torch.DispatchKeySet("CPU") | torch.DispatchKeySet("Autograd"), x, x)
        assert y.requires_grad and type(y.grad_fn).__name__ == "AddBackward0"
        with raises(RuntimeError, "aten::add() is missing value for argument 'other'. "
                    "Declaration: aten::add.Tensor(Tensor self, Tensor other, *, Scalar "
                    "alpha=1) -> Tensor"):
            k.call_boxed(ks, torch.ones(2))
        with raises(TypeError, "'_SafeKernelFunction' object is not callable"):
            k(torch.ones(2))

    def test_wrapping_the_original_kernel(self):
        orig = torch.library.get_kernel("aten::sin", "CPU")
        lib = torch.library.Library("aten", "IMPL")

        def conditional_sin(keys, x):
            if (x < 0).any():
                return orig.call_boxed(keys, x)
            return torch.zeros_like(x)
        try:
            lib.impl("sin", conditional_sin, "CPU", with_keyset=True)
            assert torch.sin(torch.tensor([1.0, 2.0])).tolist() == [0.0, 0.0]
            assert torch.sin(torch.tensor([-1.0])).tolist() == pytest.approx([-0.841471])
        finally:
            lib.remove()
        assert torch.sin(torch.tensor([1.0])).tolist() == pytest.approx([0.841471])

    def test_errors(self):
        with raises(ValueError, "Invalid dispatch key: Nope"):
            torch.library.get_kernel("aten::sin", "Nope")
        with raises(ValueError, "get_kernel(123): got unexpected type for op: <class 'int'>"):
            torch.library.get_kernel(123, "CPU")
        with raises(RuntimeError, "operator aten::nope does not exist"):
            torch.library.get_kernel("aten::nope", "CPU")
        for alias in ("Autograd", "CompositeImplicitAutograd"):
            with raises(RuntimeError, "Alias keys do not have runtime kernel registrations."):
                torch.library.get_kernel("aten::sin", alias)


# -- register_autocast ----------------------------------------------------------------------------
def test_register_autocast():
    seen = []

    @custom_op(fresh("mm"), mutates_args=())
    def mm(x: Tensor, y: Tensor) -> Tensor:
        seen.append((x.dtype, torch.is_autocast_enabled("cpu")))
        return x @ y
    mm.register_autocast("cpu", torch.float16)
    x = torch.ones(2, 2, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.float16):
        out = mm(x, x)
        assert mm(x.double(), x.double()).dtype is torch.float64
    assert out.dtype is torch.float16 and out.requires_grad
    assert mm(x, x).dtype is torch.float32
    assert seen == [(torch.float16, False), (torch.float64, False), (torch.float32, False)]
    mm.register_autocast("cpu", torch.float64)          # the first registration stays
    with torch.autocast("cpu", dtype=torch.float16):
        assert mm(x, x).dtype is torch.float16
    with raises(ValueError, "Device type 'meta' does not support autocast."):
        torch.library.register_autocast(mm, "meta", torch.float16)
    with raises(ValueError, "register_autocast(1): got unexpected type for op: <class 'int'>"):
        torch.library.register_autocast(1, "cpu", torch.float16)


# -- register_vmap --------------------------------------------------------------------------------
def _npmul_with_rule(log):
    @custom_op(fresh("npmul"), mutates_args=())
    def npmul(x: Tensor, y: Tensor) -> Tensor:
        log.append("kernel")
        return torch.from_numpy(np.asarray(x.numpy() * y.numpy()))

    @npmul.register_vmap
    def _(info, in_dims, x, y):
        log.append(("rule", info.batch_size, info.randomness, in_dims))
        xb, yb = in_dims
        x = x.movedim(xb, -1) if xb is not None else x.unsqueeze(-1)
        y = y.movedim(yb, -1) if yb is not None else y.unsqueeze(-1)
        return (x * y).movedim(-1, 0), 0
    return npmul


class TestRegisterVmap:
    def test_the_rule_replaces_the_loop(self):
        log = []
        npmul = _npmul_with_rule(log)
        x = torch.arange(6.).reshape(3, 2)
        w = torch.arange(2.) + 1
        assert torch.vmap(npmul)(x, x).tolist() == (x * x).tolist()
        assert log == [("rule", 3, "error", (0, 0))]
        log.clear()
        assert torch.vmap(lambda a: npmul(a, w), randomness="same")(x).tolist() == \
            (x * w).tolist()                               # a captured tensor: in_dim None
        assert log == [("rule", 3, "same", (0, None))]
        log.clear()
        # an argument computed inside the function: the kernel runs per slice
        assert torch.vmap(lambda a: npmul(a, a * 2))(x).tolist() == (x * x * 2).tolist()
        assert log[1:] == ["kernel", "kernel"]
        log.clear()
        npmul(x, x)
        assert log == ["kernel"]

    def test_bad_rule(self):
        @custom_op(fresh("bad"), mutates_args=())
        def bad(x: Tensor) -> Tensor:
            return x.clone()
        bad.register_vmap(lambda info, in_dims, x: x)
        with raises(RuntimeError, "Expected the vmap staticmethod to have two returns, an output "
                    "and out_dims with pytree structure compatible with the output. Got a "):
            torch.vmap(bad)(torch.ones(2, 2))

    @settings(max_examples=25, deadline=None)
    @given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data())
    def test_rule_and_loop_agree(self, shape, data):
        """Property: whatever the vmapped dimension, vmap with the rule gives what the loop
        over the kernel gives, with one call of the rule."""
        dim = data.draw(st.integers(-len(shape), len(shape) - 1))
        log = []
        npmul = _npmul_with_rule(log)
        x = torch.randn(*shape)
        y = torch.randn(*shape)
        got = torch.vmap(npmul, in_dims=(dim, dim))(x, y)
        expected = torch.stack([npmul(a, b) for a, b in zip(x.unbind(dim), y.unbind(dim))])
        assert got.shape == expected.shape
        assert np.array_equal(got.numpy(), expected.numpy())
        assert [e for e in log if e != "kernel"] == [
            ("rule", shape[dim], "error", (dim % len(shape), dim % len(shape)))]
