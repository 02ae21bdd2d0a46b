"""The guards against the reference model of the mode state (SEMANTICS-DETAIL §3.2).

The model lives in ``reference_model.py`` beside this file; here we check that every nesting of
the eight guards leaves the real record where the model says, at every level in and out.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
from pathlib import Path

import pytest
from hypothesis import given, strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, precondition,
                                 rule)

import modes
from dispatch import keys as K
from dispatch.record import DEFAULT_RECORD, current_record, reset_record, set_record
# reference_model.py sits beside this file; make it importable under any --import-mode
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
from modes.reference import (DEFAULT_STATE, GUARDS, ModelStack, State,
                             enter, exit_to, records)

AG = K.AUTOGRAD_KEYS
AIOV = K.ADInplaceOrView.bit

pytestmark = pytest.mark.usefixtures("fresh_record")

#: model guard name -> factory of the real guard
FACTORY = {
    "no_grad": modes.no_grad,
    "enable_grad": modes.enable_grad,
    "set_grad_enabled(True)": lambda: modes.set_grad_enabled(True),
    "set_grad_enabled(False)": lambda: modes.set_grad_enabled(False),
    "inference_mode(True)": lambda: modes.inference_mode(True),
    "inference_mode(False)": lambda: modes.inference_mode(False),
    "AutoDispatchBelowAutograd": modes.AutoDispatchBelowAutograd,
    "AutoDispatchBelowADInplaceOrView": modes.AutoDispatchBelowADInplaceOrView,
}
assert set(FACTORY) == set(GUARDS)


def observe() -> State:
    """Read the real record as a model State (through the public flag functions for the flags)."""
    r = current_record()
    assert r.excluded & AG in (0, AG), "Autograd keys only partly excluded"
    return State(grad=modes.is_grad_enabled(), inference=modes.is_inference_mode_enabled(),
                 ag_off=r.excluded & AG == AG, aiv_in=bool(r.included & AIOV),
                 aiv_off=bool(r.excluded & AIOV))


def other_keys(r):
    """The parts of a record the model does not describe (must never change)."""
    return r.included & ~AIOV, r.excluded & ~(AG | AIOV)


def _expect(state, where):
    assert observe() == state, f"unwinding to {where}"


def check_chain(names):
    """Enter ``names`` nested with an ExitStack, checking every level going in and coming out."""
    original = current_record()
    model = ModelStack()
    assert observe() == model.state == DEFAULT_STATE
    with contextlib.ExitStack() as stack:
        for depth, name in enumerate(names, 1):
            stack.enter_context(FACTORY[name]())
            model.enter(name)
            assert observe() == model.state, (names[:depth], model.state)
            assert other_keys(current_record()) == other_keys(original)
            # runs on the way out, just before this guard exits: we are inside it again
            stack.callback(_expect, model.state, names[:depth])
    assert current_record() == original


# ---------------------------------------------------------------------------------------------
# The model itself
# ---------------------------------------------------------------------------------------------

def test_model_default_state():
    """The model's default is (grad T, inference F, ag_off F, aiv_in T, aiv_off F)."""
    assert DEFAULT_STATE == State(True, False, False, True, False)


def test_model_matches_default_record():
    """The real default record reads as the model's default state."""
    assert current_record() == DEFAULT_RECORD
    assert observe() == DEFAULT_STATE


@pytest.mark.parametrize("nesting,expected", [
    ((), (True, False, True)),
    (("no_grad",), (False, False, False)),
    (("no_grad", "enable_grad"), (True, False, True)),
    (("inference_mode(True)",), (False, True, False)),
    (("inference_mode(True)", "enable_grad"), (True, True, False)),
    (("inference_mode(True)", "set_grad_enabled(True)"), (True, True, False)),
    (("inference_mode(True)", "no_grad"), (False, True, False)),
    (("inference_mode(True)", "inference_mode(False)"), (True, False, True)),
    (("no_grad", "inference_mode(True)"), (False, True, False)),
    (("no_grad", "inference_mode(False)"), (True, False, True)),
    (("no_grad", "enable_grad", "inference_mode(True)"), (False, True, False)),
    (("AutoDispatchBelowAutograd",), (True, False, False)),
    (("AutoDispatchBelowADInplaceOrView",), (True, False, False)),
    (("AutoDispatchBelowAutograd", "inference_mode(False)"), (True, False, True)),
])
def test_model_common_nestings_table(nesting, expected):
    """The model reproduces SEMANTICS-DETAIL §3.2's table of common nestings."""
    m = ModelStack()
    for g in nesting:
        m.enter(g)
    assert (m.state.grad, m.state.inference, records(m.state)) == expected


def test_model_unknown_guard_rejected():
    """The model refuses a guard name it does not know."""
    with pytest.raises(ValueError, match="unknown guard"):
        enter(DEFAULT_STATE, "no_such_guard")


def test_model_exclude_guard_exit_restores_only_its_fields():
    """In the model, an exclude guard's exit leaves a grad change made inside it in place."""
    inside = enter(DEFAULT_STATE, "AutoDispatchBelowAutograd")._replace(grad=False)
    assert exit_to("AutoDispatchBelowAutograd", DEFAULT_STATE, inside) == \
        DEFAULT_STATE._replace(grad=False)


# ---------------------------------------------------------------------------------------------
# Real guards vs the model
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", GUARDS)
def test_each_guard_alone_matches_model(name):
    """Each guard entered from the default record gives the model's state, and exits cleanly."""
    check_chain([name])


def test_every_sequence_of_up_to_three_guards_matches_model():
    """All 585 nestings of up to three of the eight guards match the model at every level."""
    count = 0
    for n in range(4):
        for names in itertools.product(GUARDS, repeat=n):
            check_chain(list(names))
            count += 1
    assert count == 585


@given(st.lists(st.sampled_from(GUARDS), max_size=4))
def test_random_chain_matches_model(names):
    """A random nesting of up to four guards matches the model at every level in and out."""
    check_chain(names)


def _blocks(depth):
    """Strategy: a list of sibling blocks (guard, children), nested up to ``depth`` deep."""
    if depth == 0:
        return st.just([])
    return st.lists(st.tuples(st.sampled_from(GUARDS), _blocks(depth - 1)), max_size=3)


def _run_blocks(blocks, model):
    for name, children in blocks:
        on_entry = model.state
        assert observe() == on_entry
        with contextlib.ExitStack() as stack:
            stack.enter_context(FACTORY[name]())
            model.enter(name)
            assert observe() == model.state
            _run_blocks(children, model)
            assert observe() == model.state
        model.exit()
        assert observe() == model.state == on_entry


@given(_blocks(4))
def test_random_tree_of_blocks_matches_model(blocks):
    """Random trees of guard blocks (siblings and nesting, depth up to 4) match the model."""
    original = current_record()
    _run_blocks(blocks, ModelStack())
    assert current_record() == original


@given(st.lists(st.sampled_from(GUARDS), min_size=1, max_size=4))
def test_exception_at_innermost_level_unwinds_to_original(names):
    """An exception raised under a random nesting leaves the original record."""
    original = current_record()

    class Stop(BaseException):
        pass

    with pytest.raises(Stop):
        with contextlib.ExitStack() as stack:
            for name in names:
                stack.enter_context(FACTORY[name]())
            raise Stop()
    assert current_record() == original


_STEP = st.one_of(st.tuples(st.just("guard"), st.sampled_from(GUARDS)),
                  st.tuples(st.just("statement"), st.booleans()))


@given(st.lists(_STEP, max_size=6))
def test_chain_with_set_grad_statements_matches_model(steps):
    """Plain set_grad_enabled statements between guards move the real record as the model says."""
    token = set_record(DEFAULT_RECORD)
    try:
        model, opened = ModelStack(), []
        for kind, arg in steps:
            if kind == "guard":
                g = FACTORY[arg]()
                g.__enter__()
                opened.append(g)
                model.enter(arg)
            else:
                modes.set_grad_enabled(arg)
                model.set_grad_statement(arg)
            assert observe() == model.state
        while opened:
            opened.pop().__exit__(None, None, None)
            model.exit()
            assert observe() == model.state
    finally:
        reset_record(token)


# ---------------------------------------------------------------------------------------------
# Stateful: enter and exit guards in LIFO order, with statements and same-instance re-entry
# ---------------------------------------------------------------------------------------------

class GuardMachine(RuleBasedStateMachine):
    """Open and close guards (LIFO) at random; the record must always match the model."""

    MAX_DEPTH = 6

    def __init__(self):
        super().__init__()
        self.token = None
        self.model = ModelStack()
        self.open = []          # (name, guard object) of the open guards, outermost first

    @initialize()
    def start_from_default(self):
        self.token = set_record(DEFAULT_RECORD)
        self.original = current_record()

    @precondition(lambda self: len(self.open) < self.MAX_DEPTH)
    @rule(name=st.sampled_from(GUARDS))
    def enter_guard(self, name):
        g = FACTORY[name]()
        g.__enter__()
        self.open.append((name, g))
        self.model.enter(name)

    @precondition(lambda self: 0 < len(self.open) < self.MAX_DEPTH)
    @rule(data=st.data())
    def reenter_open_instance(self, data):
        """Enter again an instance that is already open (set_grad_enabled excluded: its exit
        restores the value seen at construction, by design)."""
        candidates = [(n, g) for n, g in self.open if not n.startswith("set_grad_enabled")]
        if not candidates:
            return
        name, g = data.draw(st.sampled_from(candidates))
        g.__enter__()
        self.open.append((name, g))
        self.model.enter(name)

    @precondition(lambda self: self.open)
    @rule()
    def exit_innermost(self):
        _, g = self.open.pop()
        g.__exit__(None, None, None)
        self.model.exit()

    @rule(mode=st.booleans())
    def set_grad_statement(self, mode):
        modes.set_grad_enabled(mode)
        self.model.set_grad_statement(mode)

    @invariant()
    def record_matches_model(self):
        if self.token is not None:
            assert observe() == self.model.state
            assert other_keys(current_record()) == other_keys(self.original)

    def teardown(self):
        try:
            while self.open:
                self.exit_innermost()
                assert observe() == self.model.state
        finally:
            if self.token is not None:
                reset_record(self.token)


TestGuardMachine = GuardMachine.TestCase

