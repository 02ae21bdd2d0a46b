"""The thread-local mode record and the key guards (threads, pools, asyncio)."""

from __future__ import annotations

import asyncio
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

import dispatch
from dispatch import (
    ADInplaceOrView, Autocast, Autograd, DEFAULT_RECORD, DispatchKeySet,
    ExcludeDispatchKeyGuard, IncludeDispatchKeyGuard, Meta, Python, carry_record,
    current_record,
)

# _standins.py sits beside this file; make it importable under any --import-mode
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
from _standins import keysets


def run_in_thread(fn):
    """Run ``fn`` in a fresh thread and return its result (re-raising its exception)."""
    out = {}

    def target():
        try:
            out["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed back to the test
            out["error"] = e

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


class Boom(BaseException):
    """A BaseException that is not an Exception (like KeyboardInterrupt)."""


# -- the default record ------------------------------------------------------------------------
def test_default_record(fresh_record):
    """The default record includes ADInplaceOrView, excludes Autocast, grad on, inference off."""
    r = current_record()
    assert r == DEFAULT_RECORD
    assert DispatchKeySet(r.included) == DispatchKeySet(ADInplaceOrView)
    assert DispatchKeySet(r.excluded) == DispatchKeySet(Autocast)
    assert r.grad_enabled is True and r.inference_mode is False


def test_tls_accessors_read_the_record(fresh_record):
    """tls_local_dispatch_key_set / tls_is_dispatch_key_* report the record's sets."""
    local = dispatch.tls_local_dispatch_key_set()
    assert local.included == DispatchKeySet(ADInplaceOrView)
    assert local.excluded == DispatchKeySet(Autocast)
    assert dispatch.tls_is_dispatch_key_included(ADInplaceOrView)
    assert dispatch.tls_is_dispatch_key_included("ADInplaceOrView")
    assert not dispatch.tls_is_dispatch_key_included(Autograd)
    assert dispatch.tls_is_dispatch_key_excluded("Autocast")
    assert not dispatch.tls_is_dispatch_key_excluded(Autograd)


def test_tls_accessors_follow_guards():
    """Inside guards the accessors see the guards' keys, and after them they do not."""
    with ExcludeDispatchKeyGuard(Autograd), IncludeDispatchKeyGuard(Python):
        assert dispatch.tls_is_dispatch_key_excluded(Autograd)
        assert dispatch.tls_is_dispatch_key_included(Python)
        assert Autograd in dispatch.tls_local_dispatch_key_set().excluded
    assert not dispatch.tls_is_dispatch_key_excluded(Autograd)
    assert not dispatch.tls_is_dispatch_key_included(Python)


def test_describe_names_the_sets():
    """A record describes itself with key names and flags."""
    text = DEFAULT_RECORD.describe()
    assert "ADInplaceOrView" in text and "Autocast" in text and "grad_enabled=True" in text


# -- guards --------------------------------------------------------------------------------
def test_exclude_guard_adds_and_restores():
    """ExcludeDispatchKeyGuard excludes its keys inside the block and restores the record after."""
    before = current_record()
    with ExcludeDispatchKeyGuard(DispatchKeySet(Autograd, ADInplaceOrView)):
        r = current_record()
        assert r.excluded == before.excluded | Autograd.bit | ADInplaceOrView.bit
        assert r.included == before.included and r.grad_enabled == before.grad_enabled
    assert current_record() == before


def test_include_guard_adds_and_restores():
    """IncludeDispatchKeyGuard includes its keys inside the block and restores the record after."""
    before = current_record()
    with IncludeDispatchKeyGuard(Python):
        assert current_record().included == before.included | Python.bit
        assert current_record().excluded == before.excluded
    assert current_record() == before


def test_exclude_guard_keeps_keys_it_did_not_add():
    """An inner exclude of an already-excluded key does not un-exclude it on exit."""
    with ExcludeDispatchKeyGuard(Autograd):
        with ExcludeDispatchKeyGuard(DispatchKeySet(Autograd, Meta)):
            assert dispatch.tls_is_dispatch_key_excluded(Meta)
        assert dispatch.tls_is_dispatch_key_excluded(Autograd)
        assert not dispatch.tls_is_dispatch_key_excluded(Meta)
    # Autocast was excluded by default; excluding it again and leaving keeps it excluded.
    with ExcludeDispatchKeyGuard(Autocast):
        pass
    assert dispatch.tls_is_dispatch_key_excluded(Autocast)


def test_include_guard_keeps_keys_it_did_not_add():
    """Including the default-included ADInplaceOrView and leaving keeps it included."""
    with IncludeDispatchKeyGuard(DispatchKeySet(ADInplaceOrView, Python)):
        pass
    assert dispatch.tls_is_dispatch_key_included(ADInplaceOrView)
    assert not dispatch.tls_is_dispatch_key_included(Python)


def test_guard_removes_only_what_it_added_even_if_record_changed_inside():
    """On exit a guard removes its own keys, leaving changes made inside by others in place."""
    before = current_record()
    outer = ExcludeDispatchKeyGuard(Autograd)
    inner = ExcludeDispatchKeyGuard(Meta)
    outer.__enter__()
    inner.__enter__()
    outer.__exit__(None, None, None)   # out of order: only Autograd goes
    assert dispatch.tls_is_dispatch_key_excluded(Meta)
    assert not dispatch.tls_is_dispatch_key_excluded(Autograd)
    inner.__exit__(None, None, None)
    assert current_record() == before


def test_same_guard_instance_nested_in_itself():
    """One guard instance entered twice keeps one undo per entry."""
    g = ExcludeDispatchKeyGuard(Autograd)
    before = current_record()
    with g:
        with g:
            assert dispatch.tls_is_dispatch_key_excluded(Autograd)
        assert dispatch.tls_is_dispatch_key_excluded(Autograd)
    assert current_record() == before
    gi = IncludeDispatchKeyGuard(Python)
    with gi:
        with gi:
            pass
        assert dispatch.tls_is_dispatch_key_included(Python)
    assert current_record() == before


def test_guard_instance_is_reusable():
    """A guard can be entered again after it exited."""
    g = ExcludeDispatchKeyGuard(Autograd)
    for _ in range(2):
        with g:
            assert dispatch.tls_is_dispatch_key_excluded(Autograd)
        assert not dispatch.tls_is_dispatch_key_excluded(Autograd)


@pytest.mark.parametrize("exc", [ValueError, KeyboardInterrupt, Boom])
@pytest.mark.parametrize("guard", [ExcludeDispatchKeyGuard, IncludeDispatchKeyGuard])
def test_guard_restores_on_exception(guard, exc):
    """A guard restores the record when the block raises, BaseException subclasses included."""
    before = current_record()
    with pytest.raises(exc):
        with guard(DispatchKeySet(Autograd, Python)):
            assert current_record() != before
            raise exc()
    assert current_record() == before


def test_guard_init_changes_nothing():
    """Constructing a guard does not touch the record."""
    before = current_record()
    ExcludeDispatchKeyGuard(Autograd)
    IncludeDispatchKeyGuard(Python)
    assert current_record() == before


def test_guard_accepts_keys_names_ints_and_iterables():
    """Guards take a key, a key name, a key set, an int or an iterable of keys."""
    for spec in (Autograd, "Autograd", DispatchKeySet(Autograd), Autograd.bit, [Autograd]):
        with ExcludeDispatchKeyGuard(spec):
            assert dispatch.tls_is_dispatch_key_excluded(Autograd)
        assert not dispatch.tls_is_dispatch_key_excluded(Autograd)


@given(st.lists(st.tuples(st.booleans(), keysets), max_size=5))
def test_nested_guards_restore_each_level(stack):
    """Any nesting of include/exclude guards restores every level's record on the way out."""
    seen = []

    def enter(i):
        seen.append(current_record())
        if i == len(stack):
            return
        include, ks = stack[i]
        before = current_record()
        with (IncludeDispatchKeyGuard if include else ExcludeDispatchKeyGuard)(ks):
            r = current_record()
            if include:
                assert r.included == before.included | ks.bits and r.excluded == before.excluded
            else:
                assert r.excluded == before.excluded | ks.bits and r.included == before.included
            enter(i + 1)
            assert current_record() == r
        assert current_record() == before

    before = current_record()
    enter(0)
    assert current_record() == before


# -- threads -----------------------------------------------------------------------------------
def test_new_thread_starts_from_default_record():
    """A new thread sees the default record even when its parent has a guard active."""
    with ExcludeDispatchKeyGuard(Autograd), IncludeDispatchKeyGuard(Python):
        assert current_record() != DEFAULT_RECORD
        assert run_in_thread(current_record) == DEFAULT_RECORD


def test_guard_in_thread_does_not_leak_to_parent():
    """A guard entered in another thread is invisible to this one."""
    entered, release = threading.Event(), threading.Event()

    def worker():
        with ExcludeDispatchKeyGuard(Autograd):
            entered.set()
            release.wait(5)

    t = threading.Thread(target=worker)
    t.start()
    try:
        assert entered.wait(5)
        assert not dispatch.tls_is_dispatch_key_excluded(Autograd)
    finally:
        release.set()
        t.join()


def test_thread_pool_workers_start_from_default_record():
    """ThreadPoolExecutor workers see the default record, whatever the submitter has."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        with ExcludeDispatchKeyGuard(Autograd):
            results = [f.result() for f in [pool.submit(current_record) for _ in range(4)]]
    assert all(r == DEFAULT_RECORD for r in results)


def test_carry_record_runs_under_callers_record_in_a_thread():
    """carry_record(fn) runs fn in another thread under the record current when it was wrapped."""
    with ExcludeDispatchKeyGuard(Autograd):
        expected = current_record()
        wrapped = carry_record(current_record)
    assert run_in_thread(wrapped) == expected
    assert dispatch.tls_is_dispatch_key_excluded(Autograd) is False


def test_carry_record_in_thread_pool():
    """carry_record works with a pool and leaves the worker's own record intact afterwards."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        with ExcludeDispatchKeyGuard(Autograd):
            expected = current_record()
            got = pool.submit(carry_record(current_record)).result()
        after = pool.submit(current_record).result()
    assert got == expected
    assert after == DEFAULT_RECORD


def test_carry_record_restores_on_exception():
    """carry_record restores the running thread's record when fn raises."""
    with ExcludeDispatchKeyGuard(Autograd):
        wrapped = carry_record(lambda: 1 / 0)

    def target():
        with pytest.raises(ZeroDivisionError):
            wrapped()
        return current_record()

    assert run_in_thread(target) == DEFAULT_RECORD


def test_carry_record_passes_arguments_and_result():
    """carry_record forwards positional and keyword arguments and the return value."""
    wrapped = carry_record(lambda a, b=0: a + b)
    assert run_in_thread(lambda: wrapped(1, b=2)) == 3


# -- asyncio -------------------------------------------------------------------------------
def test_asyncio_tasks_do_not_share_guards():
    """A guard entered in one task and held across an await is invisible to a sibling task."""
    seen = {}

    async def excluder(entered, checked):
        with ExcludeDispatchKeyGuard(Autograd):
            entered.set()
            await asyncio.sleep(0)
            await checked.wait()
            seen["excluder"] = dispatch.tls_is_dispatch_key_excluded(Autograd)

    async def checker(entered, checked):
        await entered.wait()
        await asyncio.sleep(0)
        seen["checker"] = dispatch.tls_is_dispatch_key_excluded(Autograd)
        checked.set()

    async def main():
        entered, checked = asyncio.Event(), asyncio.Event()
        await asyncio.gather(excluder(entered, checked), checker(entered, checked))
        seen["main"] = dispatch.tls_is_dispatch_key_excluded(Autograd)

    asyncio.run(main())
    assert seen == {"excluder": True, "checker": False, "main": False}


def test_asyncio_task_inherits_record_at_creation():
    """A task starts with the record active where it was created, and its guards stay inside it."""
    seen = {}

    async def child():
        seen["child_start"] = dispatch.tls_is_dispatch_key_excluded(Autograd)
        with IncludeDispatchKeyGuard(Python):
            await asyncio.sleep(0)
        seen["child_python"] = dispatch.tls_is_dispatch_key_included(Python)

    async def main():
        with ExcludeDispatchKeyGuard(Autograd):
            task = asyncio.create_task(child())
        seen["main_after_guard"] = dispatch.tls_is_dispatch_key_excluded(Autograd)
        with IncludeDispatchKeyGuard(Meta):
            await task
        seen["main_python"] = dispatch.tls_is_dispatch_key_included(Python)

    asyncio.run(main())
    assert seen == {"child_start": True, "child_python": False,
                    "main_after_guard": False, "main_python": False}


def test_record_holds_ints_for_the_hot_path():
    """included/excluded are plain ints and the record is immutable."""
    r = current_record()
    assert type(r.included) is int and type(r.excluded) is int
    with pytest.raises(AttributeError):
        r.included = 0
