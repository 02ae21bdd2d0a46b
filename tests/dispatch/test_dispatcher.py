"""The dispatcher: kernel choice, aliases, fallbacks, the Library API, traces and tables."""

from __future__ import annotations

import inspect
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import event, given, settings, strategies as st

import dispatch
from dispatch import (
    ADInplaceOrView, Autograd, CPU, DispatchKeySet, ExcludeDispatchKeyGuard,
    IncludeDispatchKeyGuard, Library, Meta, MissingKernelError, dispatch_table, dispatch_trace,
    fallthrough_kernel, get_op,
)

# _standins.py sits beside this file; make it importable under any --import-mode
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
from _standins import (
    BUILTIN_FALLTHROUGH_NAMES, BUILTIN_KEY_NAMES, Obj, bits, normal, obj, unique,
    untyped_argument_keys, user_key,
)


@pytest.fixture
def lib():
    """A DEF library in a fresh namespace, removed after the test."""
    lib = Library(unique("t"), "DEF")
    try:
        yield lib
    finally:
        lib.remove()


def define(lib, schema):
    """Define ``schema`` in ``lib`` and return the OpOverload."""
    return get_op(lib.define(schema))


def logger(log, tag, ret=None):
    """A kernel that records ``tag`` and returns ``ret`` (default: its first argument)."""
    def kernel(*args):
        log.append(tag)
        return args[0] if ret is None and args else ret
    kernel.__qualname__ = f"kernel_{tag}"
    return kernel


# -- basic routing -----------------------------------------------------------------------------
def test_cpu_kernel_receives_arguments(lib):
    """A CPU kernel gets the call's arguments (no key set) and its result is returned."""
    op = define(lib, "f(Tensor x, float k) -> Tensor")
    lib.impl("f", lambda x, k: (x.name, k), "CPU")
    assert op(obj("CPU", name="a"), 2.5) == ("a", 2.5)


def test_impl_decorator_forms(lib):
    """impl works as a decorator, with the key as a keyword or as the second argument."""
    op = define(lib, "f(Tensor x) -> Tensor")

    @lib.impl("f", "Meta")
    def f_meta(x):
        return "meta"

    @lib.impl("f", dispatch_key="CPU")
    def f_cpu(x):
        return "cpu"

    assert op(obj("CPU")) == "cpu" and op(obj("Meta")) == "meta"
    assert f_cpu(None) == "cpu"


def test_highest_key_with_a_kernel_runs_first(lib):
    """A normal tensor reaches the Autograd kernel before the CPU kernel."""
    op = define(lib, "f(Tensor x) -> Tensor")
    log = []
    lib.impl("f", logger(log, "CPU"), "CPU")
    lib.impl("f", logger(log, "Autograd"), "Autograd")
    op(normal())
    assert log == ["Autograd"]
    op(obj("CPU"))
    assert log == ["Autograd", "CPU"]


def test_with_keyset_kernel_receives_keyset_and_redispatches(lib):
    """A with_keyset kernel gets a DispatchKeySet and can redispatch below its key."""
    op = define(lib, "f(Tensor x) -> Tensor")
    got = []

    def autograd(ks, x):
        got.append(ks)
        return ("autograd", op.redispatch(ks - Autograd, x))

    lib.impl("f", autograd, "Autograd", with_keyset=True)
    lib.impl("f", lambda x: "cpu", "CPU")
    assert op(normal()) == ("autograd", "cpu")
    assert isinstance(got[0], DispatchKeySet)
    assert got[0] == DispatchKeySet(CPU, ADInplaceOrView, Autograd)


def test_redispatch_accepts_int_or_keyset(lib):
    """redispatch takes the key set as an int or as a DispatchKeySet."""
    op = define(lib, "f(Tensor x) -> Tensor")
    lib.impl("f", lambda x: "cpu", "CPU")
    lib.impl("f", lambda x: "autograd", "Autograd")
    x = normal()
    assert op.redispatch(bits(["CPU", "Autograd"]), x) == "autograd"
    assert op.redispatch(DispatchKeySet(CPU, Autograd), x) == "autograd"
    assert op.redispatch(DispatchKeySet(CPU), x) == "cpu"
    assert op.redispatch(CPU.bit, x) == "cpu"


def test_redispatch_ignores_tls(lib):
    """redispatch uses exactly the given key set: no TLS included/excluded are applied."""
    op = define(lib, "f(Tensor x) -> Tensor")
    lib.impl("f", lambda x: "cpu", "CPU")
    lib.impl("f", lambda x: "autograd", "Autograd")
    with ExcludeDispatchKeyGuard(Autograd):
        assert op(normal()) == "cpu"
        assert op.redispatch(DispatchKeySet(CPU, Autograd), normal()) == "autograd"


def test_user_key_routes_like_a_builtin(lib):
    """A user key between ADInplaceOrView and Autograd runs in the chain like a built-in key."""
    op = define(lib, "f(Tensor x) -> Tensor")
    log = []
    with user_key(above="ADInplaceOrView", below="Autograd") as uk:
        def autograd(ks, x):
            log.append("Autograd")
            return op.redispatch(ks & dispatch.below(Autograd), x)

        def user(ks, x):
            log.append(uk.name)
            return op.redispatch(ks & dispatch.below(uk), x)

        lib.impl("f", autograd, "Autograd", with_keyset=True)
        lib.impl("f", user, uk.name, with_keyset=True)
        lib.impl("f", logger(log, "CPU"), "CPU")
        x = Obj(normal()._dispatch_keys | uk.bit)
        op(x)
        assert log == ["Autograd", uk.name, "CPU"]
        log.clear()
        op(normal())                      # without the user key, the layer is skipped
        assert log == ["Autograd", "CPU"]


def test_included_user_key_routes_every_call(lib):
    """A user key in the TLS included set takes part in every call."""
    op = define(lib, "f(Tensor x) -> Tensor")
    with user_key(above="Autocast") as uk:
        lib.impl("f", lambda x: "user", uk.name)
        lib.impl("f", lambda x: "cpu", "CPU")
        assert op(obj("CPU")) == "cpu"
        with IncludeDispatchKeyGuard(uk):
            assert op(obj("CPU")) == "user"
            with ExcludeDispatchKeyGuard(uk):
                assert op(obj("CPU")) == "cpu"


def test_no_backend_key_adds_cpu(lib):
    """With no backend key among the arguments (or none at all), the CPU kernel serves."""
    make = define(lib, "make(int n) -> Tensor")
    lib.impl("make", lambda n: ("cpu", n), "CPU")
    assert make(3) == ("cpu", 3)
    f = define(lib, "f(Tensor x) -> Tensor")
    lib.impl("f", lambda x: "cpu", "CPU")
    assert f(obj("Autograd")) == "cpu"


def test_backend_user_key_suppresses_cpu(lib):
    """A backend user key counts as a backend: CPU is not added and its kernel runs."""
    op = define(lib, "f(Tensor x) -> Tensor")
    with user_key(above="Meta", below="Python", backend=True) as dev:
        lib.impl("f", lambda x: "dev", dev.name)
        lib.impl("f", lambda x: "cpu", "CPU")
        assert op(obj(dev, "Autograd")) == "dev"


def test_backend_user_key_falling_through_does_not_reach_cpu(lib):
    """When the only backend key present falls through, CPU is not added and the call is missing."""
    op = define(lib, "f(Tensor x) -> Tensor")
    with user_key(above="Meta", below="Python", backend=True) as dev:
        lib.fallthrough("f", dev.name)
        lib.impl("f", lambda x: "cpu", "CPU")
        with pytest.raises(MissingKernelError):
            op(obj(dev))
        assert op(obj("Autograd")) == "cpu"


# -- fallthrough and fallbacks ---------------------------------------------------------------
def test_op_fallthrough_skips_a_kernel(lib):
    """An op-level fallthrough registered later hides an earlier kernel at that key."""
    op = define(lib, "f(Tensor x) -> Tensor")
    lib.impl("f", lambda x: "autograd", "Autograd")
    lib.impl("f", lambda x: "cpu", "CPU")
    assert op(normal()) == "autograd"
    lib.fallthrough("f", "Autograd")
    assert op(normal()) == "cpu"


def test_op_fallthrough_beats_a_fallback(lib):
    """An op-level fallthrough at a key skips that key's boxed fallback for this op only."""
    f = define(lib, "f(Tensor x) -> Tensor")
    g = define(lib, "g(Tensor x) -> Tensor")
    with user_key(above="Autograd") as uk:
        lib.fallback(lambda op, ks, x: f"fallback {op.name()}", uk.name)
        for name in ("f", "g"):
            lib.impl(name, lambda x: "cpu", "CPU")
        lib.fallthrough("f", uk.name)
        x = obj("CPU", uk)
        assert f(x) == "cpu"
        assert g(x) == f"fallback {g.name()}"


def test_boxed_fallback_gets_op_keyset_and_args(lib):
    """A boxed fallback is called as fn(op, keyset, *args) and can redispatch below its key."""
    op = define(lib, "f(Tensor x, int k) -> Tensor")
    lib.impl("f", lambda x, k: ("cpu", k), "CPU")
    seen = []
    with user_key(above="Autograd") as uk:
        def fb(op_, ks, *args):
            seen.append((op_, ks, args))
            return op_.redispatch(ks - uk, *args)

        lib.fallback(fb, uk.name)
        x = obj("CPU", uk)
        assert op(x, 7) == ("cpu", 7)
    (op_, ks, args), = seen
    assert op_ is op and isinstance(ks, DispatchKeySet)
    assert ks == DispatchKeySet(CPU, ADInplaceOrView, uk.bit)
    assert args == (x, 7)


def test_fallback_fallthrough_skips_key_for_every_op(lib):
    """A fallthrough fallback makes every op without a kernel there skip the key."""
    op = define(lib, "f(Tensor x) -> Tensor")
    lib.impl("f", lambda x: "cpu", "CPU")
    with user_key(above="Autograd") as uk:
        with pytest.raises(MissingKernelError):
            op(obj("CPU", uk))
        lib.fallback(fallthrough_kernel, uk.name)
        assert op(obj("CPU", uk)) == "cpu"


def test_kernel_beats_fallback(lib):
    """An op's own kernel at a key wins over that key's fallback."""
    op = define(lib, "f(Tensor x) -> Tensor")
    lib.fallback(lambda op_, ks, x: "fallback", "Autograd")
    lib.impl("f", lambda x: "cpu", "CPU")
    assert op(normal()) == "fallback"
    lib.impl("f", lambda x: "kernel", "Autograd")
    assert op(normal()) == "kernel"


def test_builtin_layers_fall_through_by_default(lib):
    """Python, ADInplaceOrView, Autograd and Autocast are fallthroughs until something registers."""
    op = define(lib, "f(Tensor x) -> Tensor")
    lib.impl("f", lambda x: "cpu", "CPU")
    every = obj("CPU", "Python", "ADInplaceOrView", "Autograd", "Autocast")
    with IncludeDispatchKeyGuard(DispatchKeySet(dispatch.Autocast, dispatch.Python)):
        assert op(every) == "cpu"
    rows = dispatch_table(op).as_dict()
    assert {k for k, d in rows.items() if d == "fallthrough (fallback)"} == \
        set(BUILTIN_FALLTHROUGH_NAMES)


# -- alias keys --------------------------------------------------------------------------------
def test_composite_implicit_serves_autograd_and_cpu(lib):
    """A CompositeImplicitAutograd kernel runs at Autograd for normal args and at CPU otherwise."""
    op = define(lib, "f(Tensor x) -> Tensor")
    lib.impl("f", lambda x: "cia", "CompositeImplicitAutograd")
    with dispatch_trace(echo=False) as t:
        assert op(normal()) == "cia"
        assert op(obj("CPU")) == "cia"
        with ExcludeDispatchKeyGuard(Autograd):
            assert op(normal()) == "cia"
        assert op(obj("Meta")) == "cia"
    assert t.keys() == ["Autograd", "CPU", "CPU", "Meta"]
    assert {e.how for e in t.events} == {"alias:CompositeImplicitAutograd"}


def test_library_default_key_is_composite_implicit(lib):
    """impl without a key registers at CompositeImplicitAutograd."""
    op = define(lib, "f(Tensor x) -> Tensor")
    lib.impl("f", lambda x: "cia")
    assert dispatch_table(op)["CompositeImplicitAutograd"].startswith("kernel")
    assert op(normal()) == "cia"


def test_composite_explicit_serves_backends_only(lib):
    """A CompositeExplicitAutograd kernel serves CPU/Meta, not Autograd (whose fallback runs)."""
    op = define(lib, "f(Tensor x) -> Tensor")
    lib.impl("f", lambda x: "cea", "CompositeExplicitAutograd")
    lib.fallback(lambda op_, ks, x: ("autograd fallback", op_.redispatch(ks - Autograd, x)),
                 "Autograd")
    assert op(normal()) == ("autograd fallback", "cea")
    assert op(obj("Meta")) == "cea"
    rows = dispatch_table(op).as_dict()
    assert rows["CPU"].startswith("alias CompositeExplicitAutograd")
    assert rows["Autograd"].startswith("fallback")


def test_composite_implicit_beats_autograd_fallback(lib):
    """At Autograd, a CompositeImplicitAutograd kernel wins over the Autograd fallback."""
    op = define(lib, "f(Tensor x) -> Tensor")
    lib.impl("f", lambda x: "cia", "CompositeImplicitAutograd")
    lib.fallback(lambda op_, ks, x: "fallback", "Autograd")
    assert op(normal()) == "cia"


def test_direct_kernel_beats_alias(lib):
    """A kernel registered at CPU wins over the alias kernel for CPU."""
    op = define(lib, "f(Tensor x) -> Tensor")
    lib.impl("f", lambda x: "cia", "CompositeImplicitAutograd")
    lib.impl("f", lambda x: "cpu", "CPU")
    assert op(obj("CPU")) == "cpu"
    assert op(obj("Meta")) == "cia"


def test_composite_implicit_does_not_serve_non_backend_user_keys(lib):
    """A non-backend user key is not covered by the alias: without a kernel there it is missing."""
    op = define(lib, "f(Tensor x) -> Tensor")
    lib.impl("f", lambda x: "cia", "CompositeImplicitAutograd")
    with user_key(above="Autograd") as uk:
        with pytest.raises(MissingKernelError, match=uk.name):
            op(obj("CPU", uk))


def test_fallback_at_alias_key_is_refused(lib):
    """Fallbacks belong to runtime keys: an alias key raises ValueError."""
    with pytest.raises(ValueError, match="alias"):
        lib.fallback(lambda op, ks, *a: None, "CompositeImplicitAutograd")


# -- missing kernels ---------------------------------------------------------------------------
def test_missing_kernel_error_is_notimplemented(lib):
    """A call with no kernel, alias or fallback raises MissingKernelError, a NotImplementedError."""
    op = define(lib, "f(Tensor x) -> Tensor")
    with pytest.raises(NotImplementedError):
        op(obj("CPU"))
    assert issubclass(MissingKernelError, NotImplementedError)


def test_missing_kernel_message_names_op_key_args_and_kernels(lib):
    """The message names the op, the chosen key, each argument's key set and keys with kernels."""
    op = define(lib, "f(Tensor x, Tensor other) -> Tensor")
    lib.impl("f", lambda x, o: x, "Meta")
    lib.impl("f", lambda x, o: x, "Python")
    with pytest.raises(MissingKernelError) as info:
        op(obj("CPU", "Autograd", name="a"), obj("CPU"))
    msg = str(info.value)
    assert op.name() in msg
    assert "'CPU'" in msg
    assert "x=DispatchKeySet(CPU, Autograd)" in msg and "other=DispatchKeySet(CPU)" in msg
    assert "[Meta, Python]" in msg.split("has kernels for")[1]


def test_missing_kernel_after_redispatch(lib):
    """Redispatching to a key set with nothing to run raises MissingKernelError too."""
    op = define(lib, "f(Tensor x) -> Tensor")
    lib.impl("f", lambda ks, x: op.redispatch(ks - Autograd, x), "Autograd", with_keyset=True)
    with pytest.raises(MissingKernelError, match="'CPU'"):
        op(normal())


# -- caching and registration order ------------------------------------------------------------
def test_cache_invalidated_by_new_kernel(lib):
    """A kernel registered after a first call is used by the next call."""
    op = define(lib, "f(Tensor x) -> Tensor")
    lib.impl("f", lambda x: "cpu", "CPU")
    assert op(normal()) == "cpu"
    lib.impl("f", lambda x: "autograd", "Autograd")
    assert op(normal()) == "autograd"


def test_cache_invalidated_after_missing(lib):
    """A call that failed for lack of a kernel succeeds once the kernel is registered."""
    op = define(lib, "f(Tensor x) -> Tensor")
    with pytest.raises(MissingKernelError):
        op(obj("CPU"))
    lib.impl("f", lambda x: "cpu", "CPU")
    assert op(obj("CPU")) == "cpu"


def test_cache_invalidated_by_new_key(lib):
    """Registering a key after a first call reroutes argument sets that carry its bit."""
    op = define(lib, "f(Tensor x) -> Tensor")
    lib.impl("f", lambda x: "cpu", "CPU")
    lib.fallback(lambda op_, ks, x: "fallback", "Autograd")
    x = normal()
    assert op(x) == "fallback"
    with user_key(above="Autograd") as uk:
        lib.impl("f", lambda x: "user", uk.name)
        assert op(x) == "fallback"
        assert op(Obj(x._dispatch_keys | uk.bit)) == "user"
    # Insert a key below Autograd: the set's bits are unchanged, the choice must be too.
    with user_key(below="Autograd"):
        assert op(x) == "fallback"


def test_cache_invalidated_by_fallback_registration(lib):
    """A fallback registered after a first call takes effect immediately."""
    op = define(lib, "f(Tensor x) -> Tensor")
    lib.impl("f", lambda x: "cpu", "CPU")
    assert op(normal()) == "cpu"
    lib.fallback(lambda op_, ks, x: "fallback", "Autograd")
    assert op(normal()) == "fallback"


def test_newest_registration_wins(lib):
    """Two kernels at one key: the newest one runs."""
    op = define(lib, "f(Tensor x) -> Tensor")
    lib.impl("f", lambda x: "old", "CPU")
    lib.impl("f", lambda x: "new", "CPU")
    assert op(obj("CPU")) == "new"


def test_library_remove_restores_previous_kernel(lib):
    """Removing a library that overrode a kernel brings the previous kernel back."""
    op = define(lib, "f(Tensor x) -> Tensor")
    lib.impl("f", lambda x: "first", "CPU")
    assert op(obj("CPU")) == "first"
    over = Library(lib.ns, "IMPL")
    over.impl("f", lambda x: "override", "CPU")
    over.fallback(lambda op_, ks, x: "fallback", "Autograd")
    assert op(obj("CPU")) == "override" and op(normal()) == "fallback"
    over.remove()
    assert op(obj("CPU")) == "first" and op(normal()) == "first"


def test_library_remove_undefines_ops():
    """Removing a DEF library takes its ops and namespace away."""
    ns = unique("gone")
    with Library(ns, "DEF") as lib:
        name = lib.define("f(Tensor x) -> Tensor")
        assert getattr(dispatch.ops, ns).f.default is get_op(name)
    with pytest.raises(KeyError):
        get_op(name)
    with pytest.raises(AttributeError):
        getattr(dispatch.ops, ns)


def test_removed_library_refuses_registrations():
    """A removed library raises on further registrations; remove() twice is harmless."""
    lib = Library(unique("gone"), "DEF")
    lib.remove()
    lib.remove()
    with pytest.raises(RuntimeError):
        lib.define("f(Tensor x) -> Tensor")


def test_define_twice_raises(lib):
    """Defining the same op twice raises RuntimeError naming it."""
    define(lib, "f(Tensor x) -> Tensor")
    with pytest.raises(RuntimeError, match=f"{lib.ns}::f"):
        lib.define("f(Tensor x, Tensor y) -> Tensor")


def test_second_def_library_for_namespace_raises(lib):
    """Only one DEF library per namespace; FRAGMENT adds ops to it."""
    with pytest.raises(RuntimeError, match="FRAGMENT"):
        Library(lib.ns, "DEF")
    with Library(lib.ns, "FRAGMENT") as frag:
        op = get_op(frag.define("g(Tensor x) -> Tensor"))
        assert op.name() == f"{lib.ns}::g"


def test_impl_for_unknown_op_raises(lib):
    """Registering a kernel for an undefined op raises RuntimeError naming it."""
    with pytest.raises(RuntimeError, match="nope"):
        lib.impl("nope", lambda x: x, "CPU")


@pytest.mark.parametrize("name", ["_cache", "getattr"])
def test_op_name_does_not_clobber_call_helpers(lib, name):
    """Any identifier works as an op name, even one the generated call function uses inside."""
    op = define(lib, f"{name}(Tensor x) -> Tensor")
    lib.impl(name, lambda x: "cpu", "CPU")
    assert op(obj("CPU")) == "cpu"


# -- ops namespace ---------------------------------------------------------------------------
def test_ops_namespace_overloads(lib):
    """ops.<ns>.<name>.<overload> and .default reach each overload; the packet picks by arity."""
    f = define(lib, "f(Tensor x) -> Tensor")
    f2 = define(lib, "f.two(Tensor x, Tensor y) -> Tensor")
    lib.impl("f", lambda x: "one", "CPU")
    lib.impl("f.two", lambda x, y: "two", "CPU")
    packet = getattr(dispatch.ops, lib.ns).f
    assert packet.default is f and packet.two is f2
    assert sorted(packet.overloads()) == ["default", "two"]
    assert f2.name() == f"{lib.ns}::f.two"
    assert packet(obj("CPU")) == "one" and packet(obj("CPU"), obj("CPU")) == "two"
    with pytest.raises(AttributeError, match="three"):
        packet.three


# -- generated call functions ------------------------------------------------------------------
def test_call_binds_defaults_and_keyword_only(lib):
    """op.call has the schema's signature: defaults filled, keyword-only args enforced."""
    op = define(lib, "f(Tensor x, int k=2, *, float alpha=1.0) -> Tensor")
    lib.impl("f", lambda x, k, alpha: (k, alpha), "CPU")
    x = obj("CPU")
    assert op(x) == (2, 1.0)
    assert op(x, 5) == (5, 1.0)
    assert op(x, k=7, alpha=0.5) == (7, 0.5)
    assert op.call(x=x, alpha=3.0) == (2, 3.0)
    with pytest.raises(TypeError):
        op(x, 1, 2.0)
    params = inspect.signature(op.call).parameters
    assert list(params) == ["x", "k", "alpha"]
    assert params["alpha"].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["k"].default == 2


def test_kernels_get_normalised_positional_args(lib):
    """Kernels and fallbacks receive every argument positionally, defaults included."""
    op = define(lib, "f(Tensor x, int k=2, *, float alpha=1.0) -> Tensor")
    got = []
    with user_key(above="Autograd") as uk:
        lib.fallback(lambda op_, ks, *args: got.append(args), uk.name)
        x = obj("CPU", uk)
        op(x, alpha=4.0)
    assert got == [(x, 2, 4.0)]


def test_tensor_list_contributes_union_of_elements(lib):
    """A Tensor[] argument contributes the union of its elements' key sets."""
    op = define(lib, "f(Tensor[] xs) -> Tensor")
    got = []
    lib.impl("f", lambda ks, xs: got.append(ks), "CPU", with_keyset=True)
    with ExcludeDispatchKeyGuard(ADInplaceOrView):
        op([obj("CPU"), obj("Python", "Autograd")])
        op([])
    assert got[0] == DispatchKeySet(CPU, dispatch.Python, Autograd)
    assert got[1] == DispatchKeySet()


def test_optional_tensor_none_contributes_nothing(lib):
    """A Tensor? argument contributes its keys, or nothing when it is None."""
    op = define(lib, "f(Tensor x, Tensor? w=None) -> Tensor")
    got = []
    lib.impl("f", lambda ks, x, w: got.append(ks), "CPU", with_keyset=True)
    with ExcludeDispatchKeyGuard(ADInplaceOrView):
        op(obj("CPU"))
        op(obj("CPU"), obj("Autograd"))
    assert got == [DispatchKeySet(CPU), DispatchKeySet(CPU, Autograd)]


def test_untyped_argument_keys_for_number_in_tensor_position(lib):
    """A number in a Tensor position contributes the configured untyped key set."""
    op = define(lib, "f(Tensor x, Tensor y) -> Tensor")
    got = []
    lib.impl("f", lambda ks, x, y: got.append(ks), "CPU", with_keyset=True)
    before = dispatch.dispatcher._untyped_keys
    with ExcludeDispatchKeyGuard(ADInplaceOrView):
        with untyped_argument_keys(DispatchKeySet(CPU, Autograd)):
            op(obj("CPU"), 2.0)
        with untyped_argument_keys(0):
            op(obj("CPU"), 2.0)
    assert dispatch.dispatcher._untyped_keys == before
    assert got == [DispatchKeySet(CPU, Autograd), DispatchKeySet(CPU)]


def test_untyped_keys_in_tensor_list(lib):
    """In a Tensor[] argument a number contributes the untyped keys and None contributes nothing."""
    op = define(lib, "f(Tensor?[] xs) -> Tensor")
    got = []
    lib.impl("f", lambda ks, xs: got.append(ks), "CPU", with_keyset=True)
    with ExcludeDispatchKeyGuard(ADInplaceOrView), \
            untyped_argument_keys(DispatchKeySet(CPU, dispatch.Python)):
        op([None, 1.0])
        op([None])
    assert got == [DispatchKeySet(CPU, dispatch.Python), DispatchKeySet()]


def test_non_tensor_arguments_contribute_nothing(lib):
    """An object carrying keys in a non-Tensor position does not take part in dispatch."""
    op = define(lib, "f(Tensor x, int k) -> Tensor")
    got = []
    lib.impl("f", lambda ks, x, k: got.append(ks), "CPU", with_keyset=True)
    with ExcludeDispatchKeyGuard(ADInplaceOrView):
        op(obj("CPU"), obj("Autograd"))
    assert got == [DispatchKeySet(CPU)]


def test_tls_included_and_excluded_apply_to_calls(lib):
    """The call's key set is (args | TLS included) - TLS excluded."""
    op = define(lib, "f(Tensor x) -> Tensor")
    got = []
    lib.impl("f", lambda ks, x: got.append(("CPU", ks)), "CPU", with_keyset=True)
    lib.impl("f", lambda ks, x: got.append(("Meta", ks)), "Meta", with_keyset=True)
    op(obj("CPU", "Autocast"))
    with IncludeDispatchKeyGuard(Meta), ExcludeDispatchKeyGuard(CPU):
        op(obj("CPU"))
    assert got == [("CPU", DispatchKeySet(CPU, ADInplaceOrView)),   # Autocast excluded by default
                   ("Meta", DispatchKeySet(Meta, ADInplaceOrView))]


# -- the key property: dispatch agrees with a plain reference resolution -------------------------
def reference_choice(order_high_first, backends, table, fallbacks, has_cia, arg_bits, included,
                     excluded, bit_of):
    """Written independently of dispatcher.py: returns (effective bits, (how, key name|None))."""
    effective = (arg_bits | included) & ~excluded
    ks = effective
    if not any(bit_of[k] & ks for k in backends):
        ks |= bit_of["CPU"]
    for name in order_high_first:
        if not bit_of[name] & ks:
            continue
        entry = table.get(name)
        if entry == "kernel":
            return effective, ("kernel", name)
        if entry == "fallthrough":
            continue
        # PyTorch's precedence: at Autograd the CompositeImplicitAutograd kernel serves only
        # ops that have no backend kernel of their own.
        has_backend_kernel = any(table.get(b) == "kernel" for b in backends)
        if has_cia and (name in backends or (name == "Autograd" and not has_backend_kernel)):
            return effective, ("alias", name)
        fb = fallbacks.get(name)
        if fb is None and name in BUILTIN_FALLTHROUGH_NAMES:
            fb = "fallthrough"
        if fb == "boxed":
            return effective, ("fallback", name)
        if fb == "fallthrough":
            continue
        return effective, ("missing", name)
    return effective, ("missing", None)


def subset(data, names, label):
    return data.draw(st.sets(st.sampled_from(names)) if names else st.just(set()), label=label)


@settings(max_examples=max(200, settings.default.max_examples))
@given(st.data())
def test_dispatch_matches_reference_model(data):
    """Random keys, tables, fallbacks, guards and arguments: the op runs what the model predicts."""
    made, lib = [], None
    model = [k.name for k in dispatch.all_keys()]          # lowest first, kept by hand below
    backends = {k.name for k in dispatch.all_keys() if k.backend}
    # Keys other code registered in this process (tensor's lazy modules add one, with a
    # fallback of their own) stay in the order but are never drawn: the model knows only the
    # built-in keys and the ones made here.
    known = {k for k in model if k in BUILTIN_KEY_NAMES}
    try:
        for _ in range(data.draw(st.integers(0, 3), label="n_user_keys")):
            anchor = data.draw(st.sampled_from(model), label="anchor")
            side = data.draw(st.sampled_from(["above", "below"]), label="side")
            backend = data.draw(st.booleans(), label="backend")
            name = unique("Prop")
            made.append(dispatch.register_key(name, backend=backend, **{side: anchor}))
            model.insert(model.index(anchor) + (side == "above"), name)
            known.add(name)
            if backend:
                backends.add(name)
        assert [k.name for k in dispatch.all_keys()] == model
        bit_of = {n: dispatch.key(n).bit for n in model}

        lib = Library(unique("prop"), "DEF")
        op = define(lib, "f(Tensor a, Tensor b) -> Tensor")
        log = []

        def kernel_at(name):
            def kernel(ks, a, b):
                log.append(("kernel", name, ks))
            return kernel

        def fallback_at(name):
            def fallback(op_, ks, a, b):
                assert op_ is op
                log.append(("fallback", name, ks))
            return fallback

        table, fallbacks = {}, {}
        drawn = [n for n in model if n in known]
        for name in drawn:
            entry = data.draw(st.sampled_from(["kernel", "fallthrough", None]), label=f"op@{name}")
            fb = data.draw(st.sampled_from(["boxed", "fallthrough", None]), label=f"fb@{name}")
            if entry == "kernel":
                lib.impl("f", kernel_at(name), name, with_keyset=True)
            elif entry == "fallthrough":
                lib.fallthrough("f", name)
            if fb == "boxed":
                lib.fallback(fallback_at(name), name)
            elif fb == "fallthrough":
                lib.fallback(fallthrough_kernel, name)
            table[name], fallbacks[name] = entry, fb
        has_cia = data.draw(st.booleans(), label="cia")
        if has_cia:
            lib.impl("f", lambda ks, a, b: log.append(("alias", None, ks)),
                     "CompositeImplicitAutograd", with_keyset=True)

        included = subset(data, drawn, "included")
        excluded = subset(data, drawn, "excluded")
        a_keys = subset(data, drawn, "a")
        b_keys = subset(data, drawn, "b")
        a, b = Obj(bits(a_keys), "a"), Obj(bits(b_keys), "b")

        effective, (how, chosen) = reference_choice(
            model[::-1], backends, table, fallbacks, has_cia, a._dispatch_keys | b._dispatch_keys,
            bits(ADInplaceOrView) | bits(included), bits(dispatch.Autocast) | bits(excluded),
            bit_of)
        event(f"chosen: {how}" + (" (exhausted)" if chosen is None else ""))

        with IncludeDispatchKeyGuard(bits(included)), ExcludeDispatchKeyGuard(bits(excluded)):
            for _ in range(2):                      # the second call is served from the cache
                if how == "missing":
                    with pytest.raises(MissingKernelError) as info:
                        op(a, b)
                    assert op.name() in str(info.value)
                    if chosen is not None:
                        assert f"'{chosen}'" in str(info.value)
                else:
                    op(a, b)
                    got_how, got_key, got_ks = log.pop()
                    assert got_how == how
                    if how != "alias":
                        assert got_key == chosen
                    assert isinstance(got_ks, DispatchKeySet) and got_ks.bits == effective
                assert log == []
            if how != "missing":
                with dispatch_trace(echo=False) as t:
                    op(a, b)
                assert [(e.key, e.depth) for e in t.events] == [(chosen, 0)]
                assert t.events[0].how == ("alias:CompositeImplicitAutograd"
                                           if how == "alias" else how)
    finally:
        if lib is not None:
            lib.remove()
        for k in reversed(made):
            dispatch.unregister_key(k)


# -- dispatch_trace ------------------------------------------------------------------------------
@pytest.fixture
def chain(lib):
    """An op whose Autograd kernel redispatches to its CPU kernel."""
    op = define(lib, "f(Tensor x) -> Tensor")
    lib.impl("f", lambda ks, x: op.redispatch(ks & dispatch.below(Autograd), x), "Autograd",
             with_keyset=True)
    lib.impl("f", lambda x: "cpu", "CPU")
    return op


def test_trace_records_chosen_keys_and_depth(chain):
    """A trace records each kernel run, with its key and redispatch nesting depth."""
    with dispatch_trace(echo=False) as t:
        assert chain(normal()) == "cpu"
    assert [(e.op, e.key, e.depth) for e in t.events] == [
        (chain.name(), "Autograd", 0), (chain.name(), "CPU", 1)]
    assert t.keys() == ["Autograd", "CPU"] == t.keys(chain.name())
    assert t.events[0].keyset == DispatchKeySet(CPU, ADInplaceOrView, Autograd)
    assert t.events[1].keyset == DispatchKeySet(CPU, ADInplaceOrView)
    assert t.events[0].args == [("x", DispatchKeySet(CPU, ADInplaceOrView, Autograd))]


def test_trace_records_tls_sets(chain):
    """Each event carries the TLS included/excluded sets and mode flags at call time."""
    with dispatch_trace(echo=False) as t:
        with ExcludeDispatchKeyGuard(Autograd):
            chain(normal())
    ev, = t.events
    assert ev.key == "CPU" and Autograd in ev.excluded and ADInplaceOrView in ev.included
    assert ev.grad_enabled is True and ev.inference_mode is False


def test_trace_echo_prints(chain, capsys):
    """With echo (the default), each event is printed as it happens, nested ones indented."""
    with dispatch_trace():
        chain(normal())
    out = capsys.readouterr().out
    assert chain.name() in out and "-> Autograd" in out and "-> CPU" in out
    assert "TLS included={ADInplaceOrView}" in out
    cpu_line = next(line for line in out.splitlines() if "-> CPU" in line)
    assert cpu_line.startswith("  ")


def test_trace_without_echo_prints_nothing(chain, capsys):
    """echo=False records silently."""
    with dispatch_trace(echo=False) as t:
        chain(normal())
    assert capsys.readouterr().out == "" and len(t.events) == 2


def test_trace_records_nothing_after_exit(chain):
    """Calls after the block are not recorded."""
    with dispatch_trace(echo=False) as t:
        chain(normal())
    chain(normal())
    assert len(t.events) == 2


def test_trace_format_is_readable(chain):
    """str(trace) shows the op, its arguments' keys and the chosen keys."""
    with dispatch_trace(echo=False) as t:
        chain(normal())
    text = str(t)
    assert "args: x={Autograd, ADInplaceOrView, CPU}" in text
    assert "-> Autograd" in text and "-> CPU" in text


def test_trace_records_only_the_entering_thread(chain):
    """Another thread's calls during a trace run normally and are not recorded."""
    results = []
    with dispatch_trace(echo=False) as t:
        th = threading.Thread(target=lambda: results.append(chain(normal())))
        th.start()
        th.join()
        chain(obj("CPU"))
    assert results == ["cpu"]
    assert t.keys() == ["CPU"]


def test_trace_records_fallbacks_and_missing(lib):
    """Fallback runs and missing-kernel failures show up in the trace with how they were chosen."""
    op = define(lib, "f(Tensor x) -> Tensor")
    lib.fallback(lambda op_, ks, x: op_.redispatch(ks - Autograd, x), "Autograd")
    with dispatch_trace(echo=False) as t:
        with pytest.raises(MissingKernelError):
            op(normal())
    assert [(e.key, e.how, e.depth) for e in t.events] == [
        ("Autograd", "fallback", 0), ("CPU", "missing", 1)]


# -- dispatch_table ------------------------------------------------------------------------------
def test_dispatch_table_rows(lib):
    """The table shows kernel, fallthrough, alias, fallback and missing rows, highest key first."""
    op = define(lib, "f(Tensor x) -> Tensor")
    g = define(lib, "g(Tensor x) -> Tensor")

    def f_cpu(x):
        return x

    def f_autograd_fb(op_, ks, x):
        return x

    lib.impl("f", f_cpu, "CPU")
    lib.fallthrough("f", "Meta")
    lib.fallback(f_autograd_fb, "Autograd")
    lib.impl("g", lambda x: x, "CompositeImplicitAutograd")
    rows = dispatch_table(op).as_dict()
    assert rows["CPU"] == f"kernel {f_cpu.__qualname__} [{lib.ns} DEF]"
    assert rows["Meta"] == "fallthrough"
    assert rows["Autograd"].startswith("fallback ") and "f_autograd_fb" in rows["Autograd"]
    assert rows["Autocast"] == "fallthrough (fallback)"
    gt = dispatch_table(g)
    assert gt["Autograd"].startswith("alias CompositeImplicitAutograd")
    assert gt["Meta"].startswith("alias CompositeImplicitAutograd")
    assert gt["CompositeImplicitAutograd"].startswith("kernel")
    assert list(dispatch_table(op).as_dict())[:len(dispatch.all_keys())] == \
        [k.name for k in reversed(dispatch.all_keys())]


def test_dispatch_table_missing_and_user_keys(lib):
    """Keys with nothing read 'missing', user keys included; the table accepts an op name."""
    op = define(lib, "f(Tensor x) -> Tensor")
    with user_key(above="Autograd") as uk:
        table = dispatch_table(op.name())
        assert table[uk] == "missing" and table["CPU"] == "missing"
        assert op.name() in str(table) and uk.name in str(table)


def test_dispatch_table_accepts_call_function(lib):
    """dispatch_table also takes the generated call function (op.call)."""
    op = define(lib, "f(Tensor x) -> Tensor")
    assert dispatch_table(op.call).as_dict() == dispatch_table(op).as_dict()


# -- layering ------------------------------------------------------------------------------------
def test_dispatch_imports_neither_tensor_nor_modes():
    """Importing dispatch loads neither the tensor nor the modes package (DESIGN §1)."""
    import os
    import subprocess
    src = str(Path(dispatch.__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=src)
    code = ("import sys; import dispatch; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensor', 'modes')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout
    assert out.strip() == "[]"


# -- argument checks before dispatch -----------------------------------------------------------
def test_tensor_only_arguments_refuse_values_without_a_key_set(lib):
    """require_tensors: an argument without a key set is refused with the argument parser's
    TypeError (method positions) before any kernel runs; keyed values — even with an empty
    key set — pass, and the op's existing call function (already handed out) sees the check."""
    log = []
    op = define(lib, "g(Tensor self, Tensor other, float k=1.0) -> Tensor")
    lib.impl("g", logger(log, "cpu"), "CPU")
    call = op.call
    assert call(obj("CPU"), 2) is not None          # a number takes part as a wrapped number
    op.require_tensors(["other"])
    assert op.call is call
    with pytest.raises(TypeError, match=r"^g\(\): argument 'other' \(position 1\) must be "
                                        r"Tensor, not int$") as info:
        call(obj("CPU"), 2)
    assert info.value.method_form
    assert log == ["cpu"]                            # nothing ran for the refused call
    empty = Obj(0)
    call(obj("CPU"), empty, 3.0)
    assert log == ["cpu", "cpu"]
    with pytest.raises(ValueError, match="no Tensor argument named 'k'"):
        op.require_tensors(["k"])


def test_tensor_only_argument_of_an_overloaded_name(lib):
    """With several Python signatures, the refusal lists the given argument types (trailing
    arguments left at their defaults are not counted as given)."""
    op = define(lib, "h(Tensor self, Tensor mask, float value, int n=3) -> Tensor")
    lib.impl("h", lambda *a: None, "CPU")
    op.require_tensors(["mask"], overloaded=True)
    with pytest.raises(TypeError, match=r"^h\(\) received an invalid combination of arguments "
                                        r"- got \(int, float\), but expected one of:"):
        op.call(obj("CPU"), 1, 2.0)
    with pytest.raises(TypeError, match=r"got \(int, float, int\)"):
        op.call(obj("CPU"), 1, 2.0, 4)


# -- kernels specialised to a key set (Note [Kernels specialised to a key set]) ----------------
def _specialising(log, tag):
    """A raw kernel that offers, per key set, a specialised stand-in logging ``tag:ks``."""
    def kernel(ks, *args):
        log.append(tag)
        return "plain"

    def for_keyset(ks, key):
        log.append(("asked", ks, key.name))

        def special(ks_, *args):
            log.append(f"{tag}:special")
            return ("special", ks_ == ks)
        return special
    kernel.for_keyset = for_keyset
    return kernel


def test_a_kernel_may_specialise_itself_to_the_key_set(lib):
    """The dispatcher asks once per key set and caches the specialised kernel, which then runs
    with that very key set; a registration clears it and the kernel is asked again."""
    op = define(lib, "f(Tensor x) -> Tensor")
    log = []
    lib._impl_raw("f", _specialising(log, "cpu"), "CPU")
    x = obj("CPU")
    assert op(x) == ("special", True) and op(x) == ("special", True)
    asked = [e for e in log if isinstance(e, tuple)]
    assert len(asked) == 1 and asked[0][2] == "CPU" and asked[0][1] & bits(["CPU"])
    lib.impl("f", lambda x: "meta", "Meta")          # any registration clears every cache
    assert op(x) == ("special", True)
    assert sum(isinstance(e, tuple) for e in log) == 2


def test_a_kernel_that_declines_runs_itself(lib):
    op = define(lib, "f(Tensor x) -> Tensor")
    log = []
    k = _specialising(log, "cpu")
    k.for_keyset = lambda ks, key: None
    lib._impl_raw("f", k, "CPU")
    assert op(obj("CPU")) == "plain" and log == ["cpu"]


def test_a_trace_sees_the_unspecialised_kernels(lib):
    """Traced kernels are wrappers: no specialisation while a trace is on, so every layer
    shows; after it, specialisation resumes."""
    op = define(lib, "f(Tensor x) -> Tensor")
    log = []
    lib._impl_raw("f", _specialising(log, "cpu"), "CPU")
    x = obj("CPU")
    with dispatch_trace() as tr:
        assert op(x) == "plain"
    assert [e.key for e in tr.events] == ["CPU"]
    assert op(x) == ("special", True)
