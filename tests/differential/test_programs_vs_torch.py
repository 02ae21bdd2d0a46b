"""Random mode/op programs run on tensorkeys and on real PyTorch: every observable must agree.

Skipped when torch is not installed. The ``ci`` profile runs a bounded number of programs; the
``fuzz`` profile (HYPOTHESIS_PROFILE=fuzz) runs 5,000.
"""

import pytest
from hypothesis import given, settings

torch = pytest.importorskip("torch")

import tensor  # noqa: E402
from modes.strategies import programs  # noqa: E402
from tensor.testing import compare_runs, run_program  # noqa: E402

pytestmark = pytest.mark.differential


@given(programs(max_steps=12))
def test_program_agrees_with_torch(program):
    """A random program of guards, factories, views, in-place ops and backward behaves alike."""
    theirs = run_program(torch, program)
    ours = run_program(tensor, program)
    compare_runs(ours, theirs, program)


@settings(max_examples=30)
@given(programs(max_steps=10, include_internal=True))
def test_program_with_dispatch_guards_agrees_with_torch(program):
    """The same, with the AutoDispatchBelow* guards in the mix."""
    theirs = run_program(torch, program)
    ours = run_program(tensor, program)
    compare_runs(ours, theirs, program)
