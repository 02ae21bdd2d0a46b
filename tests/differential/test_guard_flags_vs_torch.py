"""Guard nestings run side by side on real PyTorch and on tensorkeys (skipped without torch).

At every level of every nesting, torch's flags must equal ours, and torch's observable behaviour
(does an op record, are new tensors inference tensors, do in-place ops bump versions, are views
tracked, is in-place on an inference tensor accepted) must equal what the reference model
(tests/modes/reference_model.py) predicts from the state our record is in. We have no tensors
yet, so the op-level facts are checked on torch against the model only.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

torch = pytest.importorskip("torch")

import modes  # noqa: E402
from dispatch import keys as K  # noqa: E402
from dispatch.record import DEFAULT_RECORD, current_record, reset_record, set_record  # noqa: E402

_MODEL_DIR = str(Path(__file__).resolve().parents[1] / "modes")
if _MODEL_DIR not in sys.path:
    sys.path.insert(0, _MODEL_DIR)
import modes.reference as M  # noqa: E402

pytestmark = [pytest.mark.differential, pytest.mark.usefixtures("fresh_record")]

AG = K.AUTOGRAD_KEYS
AIOV = K.ADInplaceOrView.bit

OURS = {
    "no_grad": modes.no_grad,
    "enable_grad": modes.enable_grad,
    "set_grad_enabled(True)": lambda: modes.set_grad_enabled(True),
    "set_grad_enabled(False)": lambda: modes.set_grad_enabled(False),
    "inference_mode(True)": lambda: modes.inference_mode(True),
    "inference_mode(False)": lambda: modes.inference_mode(False),
    "AutoDispatchBelowAutograd": modes.AutoDispatchBelowAutograd,
    "AutoDispatchBelowADInplaceOrView": modes.AutoDispatchBelowADInplaceOrView,
}
THEIRS = {
    "no_grad": torch.no_grad,
    "enable_grad": torch.enable_grad,
    "set_grad_enabled(True)": lambda: torch.set_grad_enabled(True),
    "set_grad_enabled(False)": lambda: torch.set_grad_enabled(False),
    "inference_mode(True)": lambda: torch.inference_mode(True),
    "inference_mode(False)": lambda: torch.inference_mode(False),
    "AutoDispatchBelowAutograd": torch._C._AutoDispatchBelowAutograd,
    "AutoDispatchBelowADInplaceOrView": torch._C._AutoDispatchBelowADInplaceOrView,
}
assert set(OURS) == set(THEIRS) == set(M.GUARDS)


@pytest.fixture(scope="module")
def probes():
    """Torch tensors made in the default modes: a leaf requiring grad, a plain normal tensor and
    an inference tensor."""
    assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()
    w = torch.ones(2, requires_grad=True)
    x = torch.zeros(3)
    with torch.inference_mode():
        t_inf = torch.zeros(3)
    return w, x, t_inf


def torch_observables(probes):
    """What torch shows right now, as a dict keyed like :func:`model_observables`."""
    w, x, t_inf = probes
    v0 = x._version
    x.add_(1)
    bumped = x._version != v0
    try:
        t_inf.add_(1)
        accepted = True
    except RuntimeError:
        accepted = False
    return dict(grad=torch.is_grad_enabled(), inference=torch.is_inference_mode_enabled(),
                records=(w * 2).requires_grad, inference_tensor=torch.ones(1).is_inference(),
                bumps=bumped, view_tracked=x[:1]._base is x, inplace_on_inference=accepted)


def model_observables(s: M.State):
    """What the reference model predicts for state ``s``."""
    return dict(grad=s.grad, inference=s.inference, records=M.records(s),
                inference_tensor=M.makes_inference_tensors(s), bumps=M.inplace_bumps_version(s),
                view_tracked=M.view_is_tracked(s),
                inplace_on_inference=M.inplace_on_inference_tensor_accepted(s))


def ours_state() -> M.State:
    """Our record read as a model State."""
    r = current_record()
    return M.State(grad=modes.is_grad_enabled(), inference=modes.is_inference_mode_enabled(),
                   ag_off=r.excluded & AG == AG, aiv_in=bool(r.included & AIOV),
                   aiv_off=bool(r.excluded & AIOV))


def compare(probes, where):
    """Ours and torch agree on the flags, and torch behaves as the model says for our state."""
    ours = ours_state()
    theirs = torch_observables(probes)
    assert (theirs["grad"], theirs["inference"]) == (ours.grad, ours.inference), where
    assert theirs == model_observables(ours), where


@contextlib.contextmanager
def both_clean():
    """Run from the default modes on both sides, and put both back whatever happens."""
    token = set_record(DEFAULT_RECORD)
    try:
        yield
    finally:
        torch.set_grad_enabled(True)
        assert not torch.is_inference_mode_enabled(), "torch inference mode leaked"
        reset_record(token)


def run_steps(probes, steps):
    """Apply ``steps`` — ("guard", name) or ("statement", bool) — on both sides, comparing after
    each, then exit the open guards innermost first, comparing after each exit."""
    with both_clean():
        compare(probes, "start")
        opened = []
        for i, (kind, arg) in enumerate(steps):
            if kind == "guard":
                a, b = OURS[arg](), THEIRS[arg]()
                a.__enter__()
                b.__enter__()
                opened.append((a, b))
            else:
                modes.set_grad_enabled(arg)
                torch.set_grad_enabled(arg)
            compare(probes, steps[:i + 1])
        while opened:
            a, b = opened.pop()
            b.__exit__(None, None, None)
            a.__exit__(None, None, None)
            compare(probes, f"after exiting back to depth {len(opened)} of {steps}")


def test_every_sequence_of_up_to_three_guards_agrees(probes):
    """All 585 nestings of up to three guards agree with torch at every level in and out."""
    for n in range(4):
        for names in itertools.product(M.GUARDS, repeat=n):
            run_steps(probes, [("guard", g) for g in names])


@given(names=st.lists(st.sampled_from(M.GUARDS), max_size=4))
def test_random_nesting_agrees(probes, names):
    """A random nesting of up to four guards agrees with torch at every level in and out."""
    run_steps(probes, [("guard", g) for g in names])


_STEP = st.one_of(st.tuples(st.just("guard"), st.sampled_from(M.GUARDS)),
                  st.tuples(st.just("statement"), st.booleans()))


@given(steps=st.lists(_STEP, max_size=6))
def test_random_guards_and_set_grad_statements_agree(probes, steps):
    """Guards mixed with plain set_grad_enabled statements agree with torch at every step."""
    run_steps(probes, steps)


def _blocks(depth):
    if depth == 0:
        return st.just([])
    return st.lists(st.tuples(st.sampled_from(M.GUARDS), _blocks(depth - 1)), max_size=3)


def _run_blocks(probes, blocks):
    for name, children in blocks:
        with OURS[name](), THEIRS[name]():
            compare(probes, name)
            _run_blocks(probes, children)
            compare(probes, f"{name} after its children")
        compare(probes, f"after {name}")


@given(blocks=_blocks(4))
def test_random_tree_of_blocks_agrees(probes, blocks):
    """Random trees of sibling and nested guard blocks (depth up to 4) agree with torch."""
    with both_clean():
        _run_blocks(probes, blocks)


def test_statement_inside_below_autograd_outlives_its_exit_on_both(probes):
    """A set_grad_enabled(False) statement inside AutoDispatchBelowAutograd stays after its exit."""
    run_steps(probes, [("guard", "AutoDispatchBelowAutograd"), ("statement", False)])
    with both_clean():
        with modes.AutoDispatchBelowAutograd(), torch._C._AutoDispatchBelowAutograd():
            modes.set_grad_enabled(False)
            torch.set_grad_enabled(False)
        assert modes.is_grad_enabled() is torch.is_grad_enabled() is False


def test_exception_unwinds_both_to_defaults(probes):
    """An exception raised under all eight guards leaves both sides at their defaults."""
    with both_clean():
        with pytest.raises(KeyError):
            with contextlib.ExitStack() as stack:
                for g in M.GUARDS:
                    stack.enter_context(OURS[g]())
                    stack.enter_context(THEIRS[g]())
                raise KeyError("x")
        compare(probes, "after exception")
        assert current_record() == DEFAULT_RECORD
