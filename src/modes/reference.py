"""A plain reference model of the mode state (SEMANTICS-DETAIL §3.2), for checking guards.

Self-contained on purpose (standard library only): it states what the guards *should* do, in
five booleans, without looking at how tensorkeys implements them. It is meant to move into a
public module later.

State
    ``State(grad, inference, ag_off, aiv_in, aiv_off)``:

    - ``grad``      what ``is_grad_enabled()`` reports;
    - ``inference`` what ``is_inference_mode_enabled()`` reports;
    - ``ag_off``    the Autograd keys are in the thread's *excluded* set;
    - ``aiv_in``    ADInplaceOrView is in the thread's *included* set;
    - ``aiv_off``   ADInplaceOrView is in the thread's *excluded* set.

    The default (every new thread) is ``(T, F, F, T, F)``.

Guards (what entering does; anything not named is unchanged)
    ====================================  ==================================================
    ``no_grad``                           grad := F
    ``enable_grad``                       grad := T
    ``set_grad_enabled(True)``            grad := T
    ``set_grad_enabled(False)``           grad := F
    ``inference_mode(True)``              grad := F, inference := T, ag_off := T, aiv_in := F
    ``inference_mode(False)``             grad := T, inference := F, ag_off := F, aiv_in := T
    ``AutoDispatchBelowAutograd``         ag_off := T
    ``AutoDispatchBelowADInplaceOrView``  ag_off := T, aiv_off := T
    ====================================  ==================================================

    On exit a guard restores the state seen on its entry. Precisely, each guard restores only
    the fields it owns (grad-mode guards: ``grad``; ``inference_mode``: everything; the
    ``AutoDispatchBelow*`` exclude guards: the exclusions they may have added). With properly
    nested guards and nothing else changing the state this is the same as restoring the whole
    state, so the guards form a stack of states. The difference only shows with a plain
    ``set_grad_enabled(b)`` *statement* (:meth:`ModelStack.set_grad_statement`) made inside an
    exclude guard: it outlives that guard's exit (verified on torch 2.13).

Observables (SEMANTICS-DETAIL §3.2)
    :func:`records`, :func:`makes_inference_tensors`, :func:`inplace_bumps_version`,
    :func:`view_is_tracked`, :func:`inplace_on_inference_tensor_accepted`.

>>> s = ModelStack()
>>> s.enter("no_grad"); s.enter("inference_mode(False)")
>>> s.state.grad, s.state.inference, records(s.state)
(True, False, True)
>>> s.exit(); s.exit(); s.state == DEFAULT_STATE
True
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "State", "DEFAULT_STATE", "GUARDS", "GRAD_GUARDS", "EXCLUDE_GUARDS", "INFERENCE_GUARDS",
    "enter", "exit_to", "ModelStack", "records", "makes_inference_tensors",
    "inplace_bumps_version", "view_is_tracked", "inplace_on_inference_tensor_accepted",
]


class State(NamedTuple):
    """The five facts about a thread's modes that decide every observable (see module doc)."""

    grad: bool
    inference: bool
    ag_off: bool
    aiv_in: bool
    aiv_off: bool


#: What every new thread starts from.
DEFAULT_STATE = State(grad=True, inference=False, ag_off=False, aiv_in=True, aiv_off=False)

#: The guards that only set the grad flag.
GRAD_GUARDS = ("no_grad", "enable_grad", "set_grad_enabled(True)", "set_grad_enabled(False)")
#: The guards that snapshot and restore everything.
INFERENCE_GUARDS = ("inference_mode(True)", "inference_mode(False)")
#: The exclude guards (flags untouched; they undo only the exclusions they added).
EXCLUDE_GUARDS = ("AutoDispatchBelowAutograd", "AutoDispatchBelowADInplaceOrView")
#: The eight guards of the model, by name.
GUARDS = GRAD_GUARDS + INFERENCE_GUARDS + EXCLUDE_GUARDS

# Fields each guard sets on entry.
_ENTER = {
    "no_grad": dict(grad=False),
    "enable_grad": dict(grad=True),
    "set_grad_enabled(True)": dict(grad=True),
    "set_grad_enabled(False)": dict(grad=False),
    "inference_mode(True)": dict(grad=False, inference=True, ag_off=True, aiv_in=False),
    "inference_mode(False)": dict(grad=True, inference=False, ag_off=False, aiv_in=True),
    "AutoDispatchBelowAutograd": dict(ag_off=True),
    "AutoDispatchBelowADInplaceOrView": dict(ag_off=True, aiv_off=True),
}

# Fields each guard puts back on exit (see the module doc).
_RESTORES = {
    **{g: ("grad",) for g in GRAD_GUARDS},
    **{g: State._fields for g in INFERENCE_GUARDS},
    "AutoDispatchBelowAutograd": ("ag_off",),
    "AutoDispatchBelowADInplaceOrView": ("ag_off", "aiv_off"),
}


def enter(state: State, guard: str) -> State:
    """The state inside ``guard`` entered from ``state``.

    >>> enter(DEFAULT_STATE, "inference_mode(True)")
    State(grad=False, inference=True, ag_off=True, aiv_in=False, aiv_off=False)
    """
    try:
        changes = _ENTER[guard]
    except KeyError:
        raise ValueError(f"unknown guard {guard!r}; expected one of {GUARDS}") from None
    return state._replace(**changes)


def exit_to(guard: str, on_entry: State, current: State) -> State:
    """The state after ``guard`` exits, given the state seen on its entry and the current one.

    An exclude guard removes an exclusion only if it added it (the key was not excluded on
    entry), which amounts to putting that field back to its value on entry.
    """
    return current._replace(**{f: getattr(on_entry, f) for f in _RESTORES[guard]})


class ModelStack:
    """Properly nested (LIFO) guards over the model: :meth:`enter`, :meth:`exit`, :attr:`state`."""

    def __init__(self, state: State = DEFAULT_STATE):
        self.state = state
        self._open: list[tuple[str, State]] = []

    @property
    def depth(self) -> int:
        """How many guards are open."""
        return len(self._open)

    @property
    def guards(self) -> tuple[str, ...]:
        """The open guards, outermost first."""
        return tuple(g for g, _ in self._open)

    def enter(self, guard: str) -> None:
        """Enter ``guard`` (one of :data:`GUARDS`)."""
        new = enter(self.state, guard)
        self._open.append((guard, self.state))
        self.state = new

    def exit(self) -> None:
        """Exit the innermost open guard."""
        guard, on_entry = self._open.pop()
        self.state = exit_to(guard, on_entry, self.state)

    def set_grad_statement(self, mode: bool) -> None:
        """A plain ``set_grad_enabled(mode)`` statement (not a guard): sets ``grad`` until changed."""
        self.state = self.state._replace(grad=bool(mode))


def records(s: State) -> bool:
    """An op on a tensor that requires grad records a ``grad_fn``."""
    return s.grad and not s.ag_off


def makes_inference_tensors(s: State) -> bool:
    """A freshly allocated tensor is an inference tensor."""
    return s.inference


def inplace_bumps_version(s: State) -> bool:
    """An in-place op on a normal tensor bumps its version counter."""
    return not s.aiv_off


def view_is_tracked(s: State) -> bool:
    """A view of a normal tensor is tracked (has ``_base``)."""
    return not s.aiv_off


def inplace_on_inference_tensor_accepted(s: State) -> bool:
    """An in-place op on an existing inference tensor is accepted."""
    return (not s.aiv_in) or s.aiv_off
