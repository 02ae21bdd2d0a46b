"""docs/modes.md cannot go stale: its generated blocks equal a fresh run of the generator."""

import importlib.util
import pathlib

import pytest

DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_modes_traces",
                                                  DOCS / "gen_modes_traces.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


GEN = load_generator()


@pytest.mark.parametrize("block", ["guards", "trace"])
def test_generated_block_is_current(block):
    """The text between a block's markers is exactly what the generator prints today
    (if not: run ``python docs/gen_modes_traces.py`` and review the diff)."""
    text = (DOCS / "modes.md").read_text(encoding="utf-8")
    assert GEN.embedded(text, block) == GEN.blocks()[block]


def test_trace_block_shows_each_mode():
    """The trace block covers ``x * w`` under grad mode, no_grad and inference_mode."""
    trace = GEN.blocks()["trace"]
    for mode in ("grad mode (default)", "no_grad()", "inference_mode()"):
        assert f"## x * w under {mode}" in trace


def test_inference_mode_skips_autograd_in_trace():
    """In the generated trace, x * w reaches Autograd in grad mode and no_grad, not in
    inference_mode."""
    trace = GEN.blocks()["trace"]
    sections = {s.split("\n", 1)[0]: s for s in trace.split("\n## ")[1:]}
    assert "-> Autograd" in sections["x * w under grad mode (default)"]
    assert "-> Autograd" in sections["x * w under no_grad()"]
    assert "-> Autograd" not in sections["x * w under inference_mode()"]
