"""The examples run, as a user would run them: each one in its own Python process."""

import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
TIMEOUT = 120


def run_example(name, *args):
    """Run ``examples/<name>`` with this interpreter; return its stdout (fails on rc != 0)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src")] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    proc = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True,
                          text=True, timeout=TIMEOUT, env=env, cwd=str(ROOT))
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_quickstart_runs():
    """The README's quickstart runs and shows the shared version counter."""
    out = run_example("quickstart.py")
    assert "versions are shared by base and view" in out


def test_dispatch_demo_runs():
    """The dispatcher demo runs and prints the computed dispatch table."""
    out = run_example("dispatch_demo.py")
    assert "demo::scale" in out


def test_train_mlp_loss_falls():
    """Hand-written SGD on train_mlp.py's synthetic data at least halves the loss."""
    out = run_example("train_mlp.py")
    m = re.search(r"loss: initial ([0-9.e+-]+) -> final ([0-9.e+-]+)", out)
    assert m, out
    initial, final = float(m.group(1)), float(m.group(2))
    assert final < 0.5 * initial, out


def test_showcase_answers_why_two_flags():
    """The showcase's fast run prints the per-mode table and the answer."""
    out = run_example("showcase.py", "--fast")
    assert "Why are there two flags?" in out
    rows = {line.split()[0]: line for line in out.splitlines()
            if line.startswith(("no_grad ", "inference_mode "))}
    assert "0 arrays" in rows["no_grad"] and "0 arrays" in rows["inference_mode"]
    assert rows["inference_mode"].rstrip().endswith("True")     # is_inference column
    assert rows["no_grad"].rstrip().endswith("False")
    assert "Inference tensors cannot be saved for backward" in out


def test_showcase_trace_flag_prints_each_mode():
    """``--trace`` adds the dispatch trace of ``x @ W`` under each of the three modes."""
    out = run_example("showcase.py", "--fast", "--trace")
    for mode in ("grad mode", "no_grad", "inference_mode"):
        assert f"dispatch trace of x @ W under {mode}" in out


def test_showcase_console_script_target(capsys):
    """``tensor._showcase:main``, the console script's target, runs in-process and returns 0."""
    from tensor._showcase import main
    assert main(["--fast"]) == 0
    assert "Why are there two flags?" in capsys.readouterr().out



def test_train_cnn_learns_and_restores():
    """The CNN example learns its synthetic task and a checkpoint restores the same model."""
    out = run_example("train_cnn.py")
    acc = float(re.search(r"test accuracy after training: ([0-9.]+)", out).group(1))
    assert acc >= 0.9
    assert "restored from a checkpoint: same" in out
