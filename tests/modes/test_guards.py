"""The mode guards (SEMANTICS §2, SEMANTICS-DETAIL §3.1, §3.3, §6): flags and key sets only.

No tensors here (the tensor package is separate): every check reads the thread's mode record.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest

import modes
from dispatch import keys as K
from dispatch.record import DEFAULT_RECORD, current_record

AG = K.AUTOGRAD_KEYS
AIOV = K.ADInplaceOrView.bit
D_INC = DEFAULT_RECORD.included
D_EXC = DEFAULT_RECORD.excluded

pytestmark = pytest.mark.usefixtures("fresh_record")


def flags():
    """(is_grad_enabled, is_inference_mode_enabled) as the public functions report them."""
    return modes.is_grad_enabled(), modes.is_inference_mode_enabled()


def rec():
    """The whole record as (grad, inference, included, excluded)."""
    r = current_record()
    return r.grad_enabled, r.inference_mode, r.included, r.excluded


# name -> factory of a fresh guard (set_grad_enabled switches at construction, so factories are
# only called where the guard is entered).
GUARDS = {
    "no_grad": modes.no_grad,
    "enable_grad": modes.enable_grad,
    "set_grad_enabled(True)": lambda: modes.set_grad_enabled(True),
    "set_grad_enabled(False)": lambda: modes.set_grad_enabled(False),
    "inference_mode(True)": modes.inference_mode,
    "inference_mode(False)": lambda: modes.inference_mode(False),
    "AutoDispatchBelowAutograd": modes.AutoDispatchBelowAutograd,
    "AutoDispatchBelowADInplaceOrView": modes.AutoDispatchBelowADInplaceOrView,
}

# outer contexts a guard can be entered from
OUTER = {
    "default": contextlib.nullcontext,
    "no_grad": modes.no_grad,
    "inference_mode": modes.inference_mode,
    "BelowAutograd": modes.AutoDispatchBelowAutograd,
    "BelowADInplaceOrView": modes.AutoDispatchBelowADInplaceOrView,
}


class CustomInterrupt(BaseException):
    """A BaseException subclass that is not an Exception (like KeyboardInterrupt)."""


# ---------------------------------------------------------------------------------------------
# The table, one guard at a time (entered from the default record)
# ---------------------------------------------------------------------------------------------

def test_default_record():
    """The default record: grad on, inference off, ADInplaceOrView included, Autocast excluded."""
    assert rec() == (True, False, D_INC, D_EXC)
    assert D_INC & AIOV and not D_EXC & AG and not D_EXC & AIOV


def test_no_grad_turns_only_grad_off():
    """no_grad turns grad mode off and leaves inference mode and both key sets alone."""
    with modes.no_grad():
        assert rec() == (False, False, D_INC, D_EXC)


def test_enable_grad_turns_only_grad_on():
    """enable_grad inside no_grad turns grad mode on and touches nothing else."""
    with modes.no_grad(), modes.enable_grad():
        assert rec() == (True, False, D_INC, D_EXC)


@pytest.mark.parametrize("mode", [True, False])
def test_set_grad_enabled_sets_only_grad(mode):
    """set_grad_enabled(b) as a context manager sets grad mode to b and touches nothing else."""
    with modes.no_grad():
        with modes.set_grad_enabled(mode):
            assert rec() == (mode, False, D_INC, D_EXC)


def test_inference_mode_true_edits_flags_and_keys():
    """inference_mode() sets grad off, inference on, stops including AIOV, excludes Autograd."""
    with modes.inference_mode():
        assert rec() == (False, True, D_INC & ~AIOV, D_EXC | AG)


def test_inference_mode_false_edits_flags_and_keys():
    """inference_mode(False) inside inference_mode restores grad on, inference off and the keys."""
    with modes.inference_mode(), modes.inference_mode(False):
        assert rec() == (True, False, D_INC | AIOV, D_EXC & ~AG)


def test_inference_mode_false_switches_grad_on_inside_no_grad():
    """inference_mode(False) turns grad mode on even inside no_grad."""
    with modes.no_grad(), modes.inference_mode(False):
        assert flags() == (True, False)


def test_inference_mode_false_from_default_still_switches_grad_on():
    """inference_mode(False) turns grad on even when inference mode was never on."""
    modes.set_grad_enabled(False)
    try:
        with modes.inference_mode(False):
            assert rec() == (True, False, D_INC, D_EXC)
        assert flags() == (False, False)
    finally:
        modes.set_grad_enabled(True)


def test_inference_mode_false_removes_autograd_exclusion_of_below_autograd():
    """inference_mode(False) inside AutoDispatchBelowAutograd removes the Autograd exclusion."""
    with modes.AutoDispatchBelowAutograd(), modes.inference_mode(False):
        assert not current_record().excluded & AG
    assert rec() == (True, False, D_INC, D_EXC)


def test_enable_grad_inside_inference_mode_reports_true_but_autograd_stays_excluded():
    """enable_grad inside inference_mode reports grad on, but the Autograd keys stay excluded."""
    with modes.inference_mode(), modes.enable_grad():
        assert rec() == (True, True, D_INC & ~AIOV, D_EXC | AG)


def test_set_grad_enabled_true_inside_inference_mode_keeps_autograd_excluded():
    """set_grad_enabled(True) inside inference_mode reports grad on; Autograd stays excluded."""
    with modes.inference_mode(), modes.set_grad_enabled(True):
        assert rec() == (True, True, D_INC & ~AIOV, D_EXC | AG)


def test_no_grad_inside_inference_mode():
    """no_grad inside inference_mode leaves inference mode and the keys as they are."""
    with modes.inference_mode(), modes.no_grad():
        assert rec() == (False, True, D_INC & ~AIOV, D_EXC | AG)


def test_inference_mode_inside_no_grad_then_exit_goes_back_to_no_grad():
    """Leaving inference_mode entered inside no_grad gives back (grad off, inference off)."""
    with modes.no_grad():
        with modes.inference_mode():
            assert flags() == (False, True)
        assert rec() == (False, False, D_INC, D_EXC)


def test_no_grad_enable_grad_inference_mode_exits_unwind_in_order():
    """no_grad -> enable_grad -> inference_mode unwinds through (T, F) then (F, F)."""
    with modes.no_grad():
        with modes.enable_grad():
            with modes.inference_mode():
                assert flags() == (False, True)
            assert flags() == (True, False)
        assert flags() == (False, False)
    assert flags() == (True, False)


def test_below_autograd_excludes_autograd_only():
    """AutoDispatchBelowAutograd adds the Autograd keys to excluded and changes nothing else."""
    with modes.AutoDispatchBelowAutograd():
        assert rec() == (True, False, D_INC, D_EXC | AG)


def test_below_adinplaceorview_excludes_autograd_and_adinplaceorview():
    """AutoDispatchBelowADInplaceOrView excludes Autograd and ADInplaceOrView, nothing else."""
    with modes.AutoDispatchBelowADInplaceOrView():
        assert rec() == (True, False, D_INC, D_EXC | AG | AIOV)


def test_public_guards_never_exclude_adinplaceorview_nor_include_autograd():
    """No public guard or nesting of two puts ADInplaceOrView in excluded or Autograd in included."""
    public = [n for n in GUARDS if not n.startswith("AutoDispatch")]
    for a in public:
        for b in public:
            with GUARDS[a](), GUARDS[b]():
                r = current_record()
                assert not r.excluded & AIOV and not r.included & AG, (a, b)


# ---------------------------------------------------------------------------------------------
# Exit restores; exception safety; building without entering
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("outer", list(OUTER))
@pytest.mark.parametrize("name", list(GUARDS))
def test_exit_restores_previous_record(name, outer):
    """Every guard, entered from any of several outer contexts, gives back the exact record."""
    with OUTER[outer]():
        before = current_record()
        with GUARDS[name]():
            pass
        assert current_record() == before


@pytest.mark.parametrize("name", list(GUARDS))
def test_exit_restores_on_exception(name):
    """Every guard restores the exact record when an Exception leaves its block."""
    before = current_record()
    with pytest.raises(ValueError):
        with GUARDS[name]():
            raise ValueError("boom")
    assert current_record() == before


@pytest.mark.parametrize("name", list(GUARDS))
def test_exit_restores_on_base_exception_subclass(name):
    """Every guard restores the exact record when a non-Exception BaseException leaves its block."""
    before = current_record()
    with pytest.raises(CustomInterrupt):
        with GUARDS[name]():
            raise CustomInterrupt()
    assert current_record() == before


def test_exception_through_deep_nesting_restores_every_level():
    """An exception raised under all eight guards nested restores the original record."""
    before = current_record()
    with pytest.raises(CustomInterrupt):
        with contextlib.ExitStack() as stack:
            for name in GUARDS:
                stack.enter_context(GUARDS[name]())
            raise CustomInterrupt()
    assert current_record() == before


def test_guard_does_not_swallow_exceptions():
    """A guard's __exit__ returns a false value, so the exception propagates."""
    for name in GUARDS:
        g = GUARDS[name]()
        g.__enter__()
        assert not g.__exit__(ValueError, ValueError("x"), None)


@pytest.mark.parametrize("name", ["no_grad", "enable_grad", "inference_mode(True)",
                                  "inference_mode(False)", "AutoDispatchBelowAutograd",
                                  "AutoDispatchBelowADInplaceOrView"])
def test_building_a_guard_without_entering_changes_nothing(name):
    """Constructing a guard (other than set_grad_enabled) does not change the record."""
    with modes.inference_mode():          # a record every guard would change
        before = current_record()
        GUARDS[name]()
        assert current_record() == before


# ---------------------------------------------------------------------------------------------
# The same instance nested twice (tensorkeys improves on torch, which leaks)
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("outer,name", [
    ("default", "no_grad"), ("no_grad", "enable_grad"), ("default", "inference_mode(True)"),
    ("inference_mode", "inference_mode(False)"), ("default", "AutoDispatchBelowAutograd"),
    ("default", "AutoDispatchBelowADInplaceOrView"),
    ("default", "set_grad_enabled(False)"), ("no_grad", "set_grad_enabled(True)"),
])
def test_same_instance_nested_twice_restores(outer, name):
    """Entering one guard instance twice, nested, restores the record at each exit."""
    with OUTER[outer]():
        before = current_record()
        g = GUARDS[name]()
        with g:
            inside = current_record()
            with g:
                assert current_record() == inside
            assert current_record() == inside
        assert current_record() == before


@pytest.mark.parametrize("mode", [True, False])
def test_same_set_grad_enabled_instance_nested_twice_restores_at_outer_exit(mode):
    """A set_grad_enabled instance entered twice, nested, gives back the original mode at the end."""
    with modes.set_grad_enabled(not mode):
        before = current_record()
        g = modes.set_grad_enabled(mode)
        with g:
            with g:
                assert modes.is_grad_enabled() is mode
        assert current_record() == before


def test_same_instance_reused_sequentially():
    """One guard instance entered, exited, and entered again behaves the same both times."""
    g = modes.inference_mode()
    for _ in range(2):
        with g:
            assert flags() == (False, True)
        assert rec() == (True, False, D_INC, D_EXC)


# ---------------------------------------------------------------------------------------------
# set_grad_enabled: statement, context manager, decorator
# ---------------------------------------------------------------------------------------------

def test_set_grad_enabled_statement_switches_until_changed():
    """set_grad_enabled(False) as a plain statement turns grad off until changed back."""
    try:
        modes.set_grad_enabled(False)
        assert flags() == (False, False)
        assert flags() == (False, False)          # still off on the next statement
    finally:
        modes.set_grad_enabled(True)
    assert flags() == (True, False)


def test_set_grad_enabled_context_restores_value_seen_at_construction():
    """A set_grad_enabled object switches at construction and its with-block restores that value."""
    try:
        g = modes.set_grad_enabled(False)
        assert flags() == (False, False)
        with g:
            assert flags() == (False, False)
        assert flags() == (True, False)
    finally:
        modes.set_grad_enabled(True)


def test_set_grad_enabled_statement_inside_guard_is_undone_by_grad_guard_exit():
    """A set_grad_enabled statement inside no_grad is undone when no_grad exits."""
    with modes.no_grad():
        modes.set_grad_enabled(True)
        assert flags() == (True, False)
    assert flags() == (True, False)
    with modes.enable_grad():
        modes.set_grad_enabled(False)
    assert flags() == (True, False)


def test_set_grad_enabled_statement_inside_inference_mode_is_undone_on_exit():
    """A set_grad_enabled statement inside inference_mode is undone when inference_mode exits."""
    with modes.inference_mode():
        modes.set_grad_enabled(True)
    assert rec() == (True, False, D_INC, D_EXC)


def test_set_grad_enabled_statement_outlives_below_autograd_exit():
    """AutoDispatchBelowAutograd restores only its keys: a grad statement inside it stays (torch)."""
    try:
        with modes.AutoDispatchBelowAutograd():
            modes.set_grad_enabled(False)
        assert rec() == (False, False, D_INC, D_EXC)
    finally:
        modes.set_grad_enabled(True)


def test_set_grad_enabled_decorator_leaves_mode_at_definition():
    """@set_grad_enabled(False) leaves grad mode on at definition time."""
    @modes.set_grad_enabled(False)
    def f():
        return flags()
    assert flags() == (True, False)


def test_set_grad_enabled_decorator_applies_to_each_call():
    """@set_grad_enabled(False) turns grad off inside every call and restores it after each."""
    @modes.set_grad_enabled(False)
    def f():
        return flags()
    assert f() == (False, False)
    assert flags() == (True, False)
    assert f() == (False, False)
    assert flags() == (True, False)


def test_set_grad_enabled_true_decorator_inside_no_grad():
    """@set_grad_enabled(True) turns grad on inside a call made under no_grad."""
    @modes.set_grad_enabled(True)
    def f():
        return flags()
    with modes.no_grad():
        assert f() == (True, False)
        assert flags() == (False, False)


def test_set_grad_enabled_accepts_truthy_non_bool():
    """set_grad_enabled(0) / set_grad_enabled(1) act as False / True."""
    with modes.set_grad_enabled(0):
        assert modes.is_grad_enabled() is False
        with modes.set_grad_enabled(1):
            assert modes.is_grad_enabled() is True


# ---------------------------------------------------------------------------------------------
# Decorator forms
# ---------------------------------------------------------------------------------------------

# form -> (decorator, outer context for the call, (grad, inference) expected inside)
DECORATORS = {
    "@no_grad": (lambda f: modes.no_grad(f), contextlib.nullcontext, (False, False)),
    "@no_grad()": (lambda f: modes.no_grad()(f), contextlib.nullcontext, (False, False)),
    "@enable_grad": (lambda f: modes.enable_grad(f), modes.no_grad, (True, False)),
    "@enable_grad()": (lambda f: modes.enable_grad()(f), modes.no_grad, (True, False)),
    "@inference_mode": (lambda f: modes.inference_mode(f), contextlib.nullcontext, (False, True)),
    "@inference_mode()": (lambda f: modes.inference_mode()(f), contextlib.nullcontext,
                          (False, True)),
    "@inference_mode(False)": (lambda f: modes.inference_mode(False)(f), modes.inference_mode,
                               (True, False)),
    "@set_grad_enabled(False)": (lambda f: modes.set_grad_enabled(False)(f),
                                 contextlib.nullcontext, (False, False)),
    "@set_grad_enabled(True)": (lambda f: modes.set_grad_enabled(True)(f), modes.no_grad,
                                (True, False)),
}


@pytest.mark.parametrize("form", list(DECORATORS))
def test_decorator_form_applies_mode_inside_call(form):
    """Each decorator form runs the body under its mode and restores the caller's after."""
    deco, outer, expected = DECORATORS[form]
    f = deco(lambda: flags())
    with outer():
        before = current_record()
        assert f() == expected
        assert current_record() == before


def test_literal_decorator_syntax():
    """The bare and called decorator spellings work with @ syntax."""
    @modes.no_grad
    def a():
        return flags()

    @modes.no_grad()
    def b():
        return flags()

    @modes.enable_grad
    def c():
        return flags()

    @modes.enable_grad()
    def d():
        return flags()

    @modes.inference_mode
    def e():
        return flags()

    @modes.inference_mode()
    def f():
        return flags()

    @modes.inference_mode(False)
    def g():
        return flags()

    assert (a(), b(), e(), f()) == ((False, False),) * 2 + ((False, True),) * 2
    with modes.no_grad():
        assert (c(), d()) == ((True, False),) * 2
    with modes.inference_mode():
        assert g() == (True, False)


@pytest.mark.parametrize("form", list(DECORATORS))
def test_decorating_does_not_change_mode_at_definition(form):
    """Applying any decorator form leaves the record unchanged."""
    deco, _, _ = DECORATORS[form]
    before = current_record()
    deco(lambda: None)
    assert current_record() == before


@pytest.mark.parametrize("form", list(DECORATORS))
def test_decorator_keeps_name_and_doc(form):
    """functools.wraps keeps the decorated function's __name__ and __doc__."""
    deco, _, _ = DECORATORS[form]

    def my_function():
        """My docstring."""

    f = deco(my_function)
    assert (f.__name__, f.__doc__) == ("my_function", "My docstring.")
    assert f.__wrapped__ is my_function


@pytest.mark.parametrize("form", list(DECORATORS))
def test_decorated_call_restores_on_exception(form):
    """A decorated call that raises restores the caller's record."""
    deco, outer, _ = DECORATORS[form]

    def boom():
        raise CustomInterrupt()

    f = deco(boom)
    with outer():
        before = current_record()
        with pytest.raises(CustomInterrupt):
            f()
        assert current_record() == before


def test_decorator_passes_arguments_and_result():
    """Positional and keyword arguments reach the body and its result comes back."""
    @modes.no_grad()
    def f(a, b=0, *, c):
        return a + b + c
    assert f(1, b=2, c=3) == 6


def test_no_grad_call_form():
    """no_grad(fn) returns a wrapped function running fn under no_grad."""
    def body():
        return flags()
    f = modes.no_grad(body)
    assert callable(f) and not isinstance(f, modes.no_grad)
    assert f() == (False, False)


def test_recursion_with_decorated_function():
    """A recursive no_grad function whose levels re-enable grad sees the right mode at each level."""
    seen = []

    @modes.no_grad
    def rec_(n):
        seen.append(("enter", n, modes.is_grad_enabled()))
        if n:
            with modes.enable_grad():
                rec_(n - 1)
                seen.append(("after", n, modes.is_grad_enabled()))
        seen.append(("leave", n, modes.is_grad_enabled()))

    rec_(3)
    assert all(g is False for tag, _, g in seen if tag != "after")
    assert all(g is True for tag, _, g in seen if tag == "after")
    assert flags() == (True, False)


def test_one_instance_decorating_two_reentrant_functions():
    """One guard instance decorating two functions that call each other restores correctly."""
    guard = modes.inference_mode()

    @guard
    def outer_fn():
        with modes.inference_mode(False):
            return inner_fn(), flags()

    @guard
    def inner_fn():
        return flags()

    assert outer_fn() == ((False, True), (True, False))
    assert rec() == (True, False, D_INC, D_EXC)


# ---------------------------------------------------------------------------------------------
# Decorated generator functions
# ---------------------------------------------------------------------------------------------

def test_decorated_generator_call_runs_nothing():
    """Calling a decorated generator function runs none of its body and changes no mode."""
    started = []

    @modes.no_grad()
    def gen():
        started.append(True)
        yield 1

    g = gen()
    assert started == [] and flags() == (True, False)
    g.close()


def test_decorated_generator_body_runs_under_mode_and_caller_keeps_its_own():
    """The body sees the decorator's mode at every step; the caller sees its own between yields."""
    @modes.inference_mode()
    def gen():
        for _ in range(3):
            yield flags()

    g = gen()
    assert next(g) == (False, True)
    assert flags() == (True, False)
    with modes.no_grad():                        # resumed under another mode
        assert next(g) == (False, True)
        assert flags() == (False, False)
    assert next(g) == (False, True)
    assert rec() == (True, False, D_INC, D_EXC)
    with pytest.raises(StopIteration):
        next(g)


def test_decorated_generator_ignores_mode_it_was_created_in():
    """A generator created under one mode still runs its body under the decorator's mode."""
    @modes.enable_grad()
    def gen():
        yield flags()

    with modes.no_grad():
        g = gen()
    assert next(g) == (True, False)
    with modes.no_grad():
        with pytest.raises(StopIteration):
            next(g)


def test_decorated_generator_send_values_reach_body():
    """Values passed with send() arrive in the body, which runs under the mode."""
    @modes.no_grad()
    def gen():
        got = []
        while True:
            x = yield got
            got = [x, modes.is_grad_enabled()]

    g = gen()
    next(g)
    assert g.send("a") == ["a", False]
    assert g.send("b") == ["b", False]
    assert modes.is_grad_enabled()
    g.close()


def test_decorated_generator_throw_is_delivered_inside_mode_and_catchable():
    """throw() raises inside the body under the mode, where it can be caught."""
    @modes.no_grad()
    def gen():
        try:
            yield "first"
        except KeyError:
            yield ("caught", flags())

    g = gen()
    next(g)
    with modes.enable_grad():
        assert g.throw(KeyError("k")) == ("caught", (False, False))
        assert flags() == (True, False)
    g.close()


def test_decorated_generator_uncaught_throw_restores_caller_state():
    """A thrown exception the body does not catch escapes and leaves the caller's record."""
    @modes.inference_mode()
    def gen():
        yield 1

    g = gen()
    next(g)
    with modes.no_grad():
        before = current_record()
        with pytest.raises(CustomInterrupt):
            g.throw(CustomInterrupt())
        assert current_record() == before


def test_decorated_generator_exception_from_body_restores_caller_state():
    """An exception raised by the body during next() leaves the caller's record as it was."""
    @modes.inference_mode()
    def gen():
        yield 1
        raise ValueError("inside")

    g = gen()
    next(g)
    with pytest.raises(ValueError, match="inside"):
        next(g)
    assert rec() == (True, False, D_INC, D_EXC)


def test_decorated_generator_close_runs_finally_inside_mode():
    """close() runs the body's finally block under the mode and restores the caller's after."""
    seen = []

    @modes.inference_mode()
    def gen():
        try:
            yield 1
        finally:
            seen.append(flags())

    g = gen()
    next(g)
    g.close()
    assert seen == [(False, True)]
    assert rec() == (True, False, D_INC, D_EXC)


def test_decorated_generator_return_value_in_stop_iteration():
    """A return value in the body arrives as StopIteration.value."""
    @modes.no_grad()
    def gen():
        yield 1
        return ("done", modes.is_grad_enabled())

    g = gen()
    next(g)
    with pytest.raises(StopIteration) as info:
        next(g)
    assert info.value.value == ("done", False)


def test_decorated_generator_yield_from_differently_decorated_generator():
    """yield from an inference_mode generator inside a no_grad one: each step has its own mode."""
    @modes.inference_mode()
    def inner():
        x = yield ("inner", flags())
        yield ("inner got", x, flags())
        return "inner result"

    @modes.no_grad()
    def outer():
        yield ("outer", flags())
        r = yield from inner()
        yield ("outer after", r, flags())

    with modes.enable_grad():
        g = outer()
        assert next(g) == ("outer", (False, False))
        assert next(g) == ("inner", (False, True))
        assert flags() == (True, False)
        assert g.send("hello") == ("inner got", "hello", (False, True))
        assert next(g) == ("outer after", "inner result", (False, False))
        assert flags() == (True, False)
        with pytest.raises(StopIteration):
            next(g)


def test_decorated_generator_in_for_loop():
    """A decorated generator used in a for loop yields all its values under the mode."""
    @modes.no_grad
    def gen(n):
        for i in range(n):
            yield i, modes.is_grad_enabled()

    out = []
    for i, g in gen(3):
        out.append((i, g, modes.is_grad_enabled()))
    assert out == [(0, False, True), (1, False, True), (2, False, True)]


def test_decorated_generator_keeps_name():
    """A decorated generator function keeps __name__ and __doc__ and is a generator function."""
    import inspect

    @modes.no_grad()
    def my_gen():
        """Gen doc."""
        yield 1

    assert (my_gen.__name__, my_gen.__doc__) == ("my_gen", "Gen doc.")
    assert inspect.isgeneratorfunction(my_gen)


# ---------------------------------------------------------------------------------------------
# Decorating a class
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["@no_grad", "@no_grad()", "@inference_mode()"])
def test_decorating_class_warns_and_runs_init_under_mode(form):
    """Decorating a class warns FutureWarning, and construction runs __init__ under the mode."""
    deco, _, expected = DECORATORS[form]

    class C:
        def __init__(self, x):
            self.x = x
            self.seen = flags()

    with pytest.warns(FutureWarning, match="Decorating classes is deprecated"):
        D = deco(C)
    assert flags() == (True, False)
    obj = D(5)
    assert (obj.x, obj.seen) == (5, expected)
    assert isinstance(obj, C)
    assert rec() == (True, False, D_INC, D_EXC)


# ---------------------------------------------------------------------------------------------
# async def (tensorkeys improves on torch)
# ---------------------------------------------------------------------------------------------

def test_decorated_async_body_runs_under_mode_after_await():
    """A decorated coroutine's body keeps the mode across an await."""
    @modes.no_grad()
    async def body():
        before = flags()
        await asyncio.sleep(0)
        return before, flags()

    assert asyncio.run(body()) == ((False, False), (False, False))
    assert flags() == (True, False)


def test_decorated_async_keeps_name():
    """A decorated coroutine function keeps __name__ and stays a coroutine function."""
    import inspect

    @modes.inference_mode()
    async def my_coro():
        """Coro doc."""

    assert (my_coro.__name__, my_coro.__doc__) == ("my_coro", "Coro doc.")
    assert inspect.iscoroutinefunction(my_coro)


def test_decorated_async_mode_invisible_to_concurrent_task():
    """While a decorated coroutine waits inside its mode, another task sees the default modes."""
    async def main():
        entered, release = asyncio.Event(), asyncio.Event()

        @modes.inference_mode()
        async def holder():
            entered.set()
            await release.wait()
            return flags()

        async def watcher():
            await entered.wait()
            seen = flags()
            release.set()
            return seen

        return await asyncio.gather(holder(), watcher())

    assert asyncio.run(main()) == [(False, True), (True, False)]


def test_with_block_across_await_invisible_to_concurrent_task():
    """A task suspended inside `with no_grad()` does not turn grad off for other tasks."""
    async def main():
        entered, release = asyncio.Event(), asyncio.Event()

        async def holder():
            with modes.no_grad():
                entered.set()
                await release.wait()
                return modes.is_grad_enabled()

        async def watcher():
            await entered.wait()
            seen = modes.is_grad_enabled()
            release.set()
            return seen

        return await asyncio.gather(holder(), watcher())

    assert asyncio.run(main()) == [False, True]


def test_decorated_async_generator_body_runs_under_mode():
    """A decorated async generator's body runs under the mode at every step."""
    @modes.no_grad()
    async def agen():
        yield modes.is_grad_enabled()
        await asyncio.sleep(0)
        yield modes.is_grad_enabled()

    async def main():
        return [x async for x in agen()]

    assert asyncio.run(main()) == [False, False]


def test_decorated_async_exception_restores():
    """A decorated coroutine that raises after an await leaves the caller's modes unchanged."""
    @modes.inference_mode()
    async def body():
        await asyncio.sleep(0)
        raise CustomInterrupt()

    async def main():
        with pytest.raises(CustomInterrupt):
            await body()
        return rec()

    assert asyncio.run(main()) == (True, False, D_INC, D_EXC)


# ---------------------------------------------------------------------------------------------
# Threads
# ---------------------------------------------------------------------------------------------

def _in_new_thread(fn):
    out = []
    t = threading.Thread(target=lambda: out.append(fn()))
    t.start()
    t.join()
    return out[0]


@pytest.mark.parametrize("outer", ["no_grad", "inference_mode", "BelowADInplaceOrView"])
def test_new_thread_sees_default_record(outer):
    """A thread started inside a guard starts from the default record."""
    with OUTER[outer]():
        assert _in_new_thread(current_record) == DEFAULT_RECORD


def test_new_thread_sees_default_after_set_grad_enabled_statement():
    """A thread started after set_grad_enabled(False) sees grad mode on."""
    try:
        modes.set_grad_enabled(False)
        assert _in_new_thread(flags) == (True, False)
    finally:
        modes.set_grad_enabled(True)


def test_mode_entered_in_worker_is_invisible_to_main_thread():
    """A guard entered in a worker thread does not change the main thread's record."""
    entered, release = threading.Event(), threading.Event()

    def worker():
        with modes.inference_mode():
            entered.set()
            release.wait(5)

    t = threading.Thread(target=worker)
    t.start()
    try:
        assert entered.wait(5)
        assert rec() == (True, False, D_INC, D_EXC)
    finally:
        release.set()
        t.join()


def test_run_in_thread_carries_caller_modes():
    """modes.run_in_thread runs fn in another thread under the caller's record."""
    with modes.no_grad(), modes.AutoDispatchBelowAutograd():
        here = current_record()
        name, there = modes.run_in_thread(lambda: (threading.current_thread().name,
                                                   current_record()))
    assert there == here
    assert name != threading.current_thread().name


def test_run_in_thread_passes_arguments_and_reraises():
    """run_in_thread passes arguments, returns the result, and re-raises the worker's exception."""
    assert modes.run_in_thread(lambda a, b=0: a + b, 2, b=3) == 5

    def fail():
        raise KeyError("worker")

    with pytest.raises(KeyError, match="worker"):
        modes.run_in_thread(fail)


def test_carry_modes_into_thread_pool():
    """carry_modes makes a pool worker run under the caller's modes; without it, the defaults."""
    with ThreadPoolExecutor(1) as pool:
        with modes.inference_mode():
            here = current_record()
            carried = pool.submit(modes.carry_modes(current_record)).result()
            plain = pool.submit(current_record).result()
    assert carried == here
    assert plain == DEFAULT_RECORD


def test_carry_modes_captures_at_wrap_time_and_restores_after_call():
    """carry_modes uses the modes current when wrapping, and the calling thread gets its own back."""
    with modes.no_grad():
        f = modes.carry_modes(flags)
    assert f() == (False, False)
    assert rec() == (True, False, D_INC, D_EXC)


# ---------------------------------------------------------------------------------------------
# The exclude guards undo only what they added
# ---------------------------------------------------------------------------------------------

def test_below_autograd_inside_inference_mode_adds_and_removes_nothing():
    """Inside inference_mode, AutoDispatchBelowAutograd adds nothing, and its exit removes nothing."""
    with modes.inference_mode():
        before = current_record()
        with modes.AutoDispatchBelowAutograd():
            assert current_record() == before
        assert current_record() == before


def test_below_adinplaceorview_inside_inference_mode_adds_only_adinplaceorview():
    """Inside inference_mode, AutoDispatchBelowADInplaceOrView adds only AIOV and removes only it."""
    with modes.inference_mode():
        before = current_record()
        with modes.AutoDispatchBelowADInplaceOrView():
            assert current_record() == before._replace(excluded=before.excluded | AIOV)
        assert current_record() == before
        assert current_record().excluded & AG


def test_below_autograd_nested_in_itself_keeps_exclusion_until_outer_exit():
    """An inner AutoDispatchBelowAutograd exit leaves the outer one's exclusion in place."""
    with modes.AutoDispatchBelowAutograd():
        with modes.AutoDispatchBelowAutograd():
            pass
        assert current_record().excluded & AG
    assert not current_record().excluded & AG


def test_below_autograd_inside_below_adinplaceorview_adds_nothing():
    """AutoDispatchBelowAutograd inside AutoDispatchBelowADInplaceOrView changes nothing."""
    with modes.AutoDispatchBelowADInplaceOrView():
        before = current_record()
        with modes.AutoDispatchBelowAutograd():
            assert current_record() == before
        assert current_record() == before


def test_below_adinplaceorview_inside_below_autograd_removes_only_aiov():
    """BelowADInplaceOrView inside BelowAutograd adds AIOV only; on exit Autograd stays excluded."""
    with modes.AutoDispatchBelowAutograd():
        with modes.AutoDispatchBelowADInplaceOrView():
            assert current_record().excluded & (AG | AIOV) == AG | AIOV
        assert current_record().excluded & (AG | AIOV) == AG


def test_inference_mode_exit_inside_below_keeps_below_exclusion():
    """inference_mode entered inside AutoDispatchBelowAutograd leaves Autograd excluded on exit."""
    with modes.AutoDispatchBelowAutograd():
        with modes.inference_mode():
            pass
        assert rec() == (True, False, D_INC, D_EXC | AG)


# ---------------------------------------------------------------------------------------------
# inference_mode(<non-bool>) (quirk Q-17; torch 2.13 returns a plain decorated function)
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call", [lambda: modes.inference_mode(0),
                                  lambda: modes.inference_mode(mode=0),
                                  lambda: modes.inference_mode(None)],
                         ids=["positional 0", "mode=0", "None"])
def test_inference_mode_non_bool_returns_wrapper_not_guard(call):
    """inference_mode(<non-bool>) returns a wrapper function (no guard), changing no mode."""
    w = call()
    assert callable(w) and not isinstance(w, modes.inference_mode)
    assert not hasattr(w, "__enter__")
    assert rec() == (True, False, D_INC, D_EXC)


def test_inference_mode_zero_wraps_the_argument():
    """inference_mode(0) wraps 0: __wrapped__ is 0 and calling it raises TypeError, modes intact."""
    w = modes.inference_mode(0)
    assert w.__wrapped__ == 0
    with pytest.raises(TypeError, match="'int' object is not callable"):
        w()
    assert rec() == (True, False, D_INC, D_EXC)


def test_inference_mode_keyword_bool():
    """inference_mode(mode=False) is a guard like inference_mode(False)."""
    g = modes.inference_mode(mode=False)
    assert isinstance(g, modes.inference_mode)
    with modes.inference_mode(), g:
        assert flags() == (True, False)


def test_inference_mode_function_argument_decorates():
    """inference_mode(fn) (call form) returns fn wrapped to run under inference mode."""
    def body():
        return flags()
    assert modes.inference_mode(body)() == (False, True)


def test_guard_reprs():
    """Guard reprs name the guard and its mode."""
    assert repr(modes.no_grad()) == "no_grad()"
    assert repr(modes.enable_grad()) == "enable_grad()"
    assert repr(modes.inference_mode(False)) == "inference_mode(mode=False)"
    assert repr(modes.set_grad_enabled(True)) == "set_grad_enabled(mode=True)"


def test_warnings_not_emitted_for_function_decoration():
    """Decorating a plain function emits no warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        modes.no_grad(lambda: None)
        modes.inference_mode()(lambda: None)


# -- Note [Guards reuse records] ------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(n for n in GUARDS if not n.startswith("AutoDispatch")))
def test_exit_reinstalls_the_record_seen_on_entry(name):
    """A mode guard's exit puts back the very record it found (not an equal copy), and
    entering the same way again installs the same record as the first time. (The key guards
    remove the keys they added, which gives an equal record.)"""
    outer = current_record()
    with GUARDS[name]():
        first = current_record()
    assert current_record() is outer
    with GUARDS[name]():
        assert current_record() is first
    assert current_record() is outer


@pytest.mark.parametrize("flag", [0, 1])
def test_grad_guards_on_a_hand_made_record_with_a_non_bool_flag(flag):
    """A record built by hand with 0/1 for grad mode: each guard still sets exactly its own
    flag inside and restores the caller's value (0 or 1, as given) on exit."""
    from dispatch.record import ModeRecord, reset_record, set_record
    token = set_record(ModeRecord(D_INC, D_EXC, flag, False))
    try:
        for guard, inside in ((modes.no_grad, False), (modes.enable_grad, True),
                              (lambda: modes.set_grad_enabled(not flag), not flag)):
            with guard():
                assert current_record().grad_enabled is inside
            assert current_record().grad_enabled is flag
            assert current_record() == (D_INC, D_EXC, flag, False)
    finally:
        reset_record(token)


def test_inference_mode_subclass_calls_super_init():
    """A subclass of inference_mode that calls ``super().__init__(mode)`` works (as it does
    with PyTorch's class)."""
    class quiet_inference(modes.inference_mode):
        def __init__(self, mode=True):
            super().__init__(mode)
            self.extra = 1

        __slots__ = ("extra",)

    with quiet_inference():
        assert modes.is_inference_mode_enabled()
    with quiet_inference(False):
        assert not modes.is_inference_mode_enabled()
    assert not modes.is_inference_mode_enabled()
