"""Shared helpers for the benchmark scripts (DESIGN §10).

Import this module FIRST, before anything that imports numpy: importing it pins the BLAS/OpenMP
thread pools (``--threads N`` on the command line, default 1) through environment variables,
which the pools only read when they start.

    from _common import ...      # benchmarks/ is the script's own directory, so this works

What is here:
  - thread pinning (done at import), ``load_torch()`` (None when torch is absent or ``--no-torch``)
  - ``warm_blas()``: the first large matmul of a process is 2-3x slower than later ones
  - ``measure()`` / ``measure_loops()``: interleaved contenders, order rotated every round,
    medians, minus the cost of calling an empty function (so "ours - numpy" is the real added
    cost); ``loop_of(fn, guard)`` times ``fn`` inside a mode guard entered outside the timing
  - ``Table`` and ``verdict()``: a readable table with the target beside each figure
"""

from __future__ import annotations

import gc
import math
import os
import statistics
import sys
from time import perf_counter_ns

_HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(_HERE, "..", "src"))


def threads_from_argv(argv=None) -> int:
    """The ``--threads N`` (or ``--threads=N``) value of the command line; 1 when absent."""
    argv = sys.argv[1:] if argv is None else argv
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return int(argv[i + 1])
        if a.startswith("--threads="):
            return int(a.split("=", 1)[1])
    return 1


def pin_threads(n: int) -> None:
    """Set the thread-pool sizes for numpy's BLAS and torch's OpenMP (must run before numpy).

    With more than one thread, the pools must not spin: numpy's OpenBLAS and torch's OpenMP
    pools busy-wait by default and starve each other on a 2-core machine (DESIGN §10)."""
    if "numpy" in sys.modules:
        print("warning: numpy was imported before benchmarks/_common.py; thread pinning may "
              "not take effect", file=sys.stderr)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
        os.environ[var] = str(n)
    if n > 1:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
        os.environ["OPENBLAS_THREAD_TIMEOUT"] = "4"


THREADS = threads_from_argv()
pin_threads(THREADS)

# The project's sources go first on the path, always: this directory (the script's, which Python
# puts first) holds ``modes.py``, which would otherwise shadow the ``modes`` package.
while SRC in sys.path:
    sys.path.remove(SRC)
sys.path.insert(0, SRC)

import numpy as np  # noqa: E402  (after pinning, on purpose)


def add_common_args(parser) -> None:
    parser.add_argument("--quick", action="store_true", help="a short run (fewer rounds)")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS/OpenMP threads for numpy and torch (default 1)")
    parser.add_argument("--no-torch", action="store_true", help="skip the torch columns")


def load_torch(disabled: bool = False, threads: int | None = None):
    """Real PyTorch pinned to the same thread count, or None (absent, or ``--no-torch``)."""
    if disabled:
        return None
    try:
        import torch
    except Exception:  # noqa: BLE001 - any import failure means "no torch here"
        return None
    torch.set_num_threads(threads or THREADS)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    return torch


def warm_blas(torch=None, n: int = 512, reps: int = 4) -> None:
    """Run a few large matmuls so that the first measured one is not the slow first call."""
    a = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)
    for _ in range(reps):
        a @ a
    if torch is not None:
        t = torch.from_numpy(a)
        for _ in range(reps):
            t @ t


# -- timing ------------------------------------------------------------------------------------
def _loop(fn, n, rng=range, clock=perf_counter_ns):
    t0 = clock()
    for _ in rng(n):
        fn()
    return clock() - t0


def _empty():
    return None


def loop_of(fn, guard=None):
    """A timing loop ``run(n) -> ns`` calling ``fn()`` n times, inside ``guard()`` when given
    (the guard is entered outside the timed region: the figure is the op alone, in that mode)."""
    if guard is None:
        return lambda n: _loop(fn, n)

    def run(n):
        with guard():
            return _loop(fn, n)
    return run


def calibrate(run, target_ns: float) -> int:
    """How many calls make ``run(n)`` take about ``target_ns`` (at least 1)."""
    n = 1
    while True:
        t = run(n)
        if t >= target_ns / 10 or n >= 1 << 22:
            break
        n *= 4
    per = max(t / n, 1.0)
    return max(1, int(target_ns / per))


def measure_loops(loops: dict, rounds: int = 15, sample_ns: float = 2e6) -> dict:
    """Median ns per call of each timing loop ``run(n) -> ns`` in ``loops``.

    Contenders run interleaved: in every round each one runs one sample (a loop of its calls),
    and the order rotates from round to round, so that drift (frequency, caches, other load)
    hits them all alike. The garbage collector is off while timing. The cost of calling an
    empty function in the same kind of loop is subtracted from every median, so that a
    difference "ours - numpy" is the real added cost. Each sample is calibrated to about
    ``sample_ns``."""
    names = list(loops)
    number = {}
    for name in names:
        loops[name](1)  # warm-up: dispatch caches, allocator, lazy imports
        number[name] = calibrate(loops[name], sample_ns)
    empty = loop_of(_empty)
    base_n = calibrate(empty, sample_ns / 4)
    samples = {name: [] for name in names}
    base = []
    gc_was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for r in range(rounds):
            shift = r % len(names)
            for name in names[shift:] + names[:shift]:
                samples[name].append(loops[name](number[name]) / number[name])
            base.append(empty(base_n) / base_n)
    finally:
        if gc_was:
            gc.enable()
    b = statistics.median(base)
    return {name: max(statistics.median(v) - b, 0.0) for name, v in samples.items()}


def measure(contenders: dict, rounds: int = 15, sample_ns: float = 2e6) -> dict:
    """``measure_loops`` for zero-argument callables: median ns per call of each."""
    return measure_loops({k: loop_of(f) for k, f in contenders.items()}, rounds, sample_ns)


def geomean(values) -> float:
    values = [v for v in values if v is not None]
    if not values:
        return float("nan")
    return math.exp(sum(math.log(v) for v in values) / len(values))


# -- reporting ---------------------------------------------------------------------------------
def us(ns) -> str:
    """ns -> a µs figure with sensible precision."""
    if ns is None:
        return "-"
    v = ns / 1000.0
    if v >= 1000:
        return f"{v / 1000:.2f} ms"
    if v >= 100:
        return f"{v:.0f} µs"
    if v >= 10:
        return f"{v:.1f} µs"
    return f"{v:.2f} µs"


def ratio(x) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2f}x"


def verdict(value, limit) -> str:
    """PASS when ``value <= limit``; '-' when there is no figure (e.g. torch absent)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return "PASS" if value <= limit else "MISS"


class Table:
    """Rows of strings printed with aligned columns (numbers right-aligned)."""

    def __init__(self, title: str, headers):
        self.title = title
        self.headers = list(headers)
        self.rows = []

    def add(self, *cells):
        self.rows.append(["" if c is None else str(c) for c in cells])

    def sep(self):
        self.rows.append(None)

    def __str__(self):
        rows = [r for r in self.rows if r is not None]
        widths = [max([len(h)] + [len(r[i]) for r in rows if i < len(r)])
                  for i, h in enumerate(self.headers)]

        def line(cells):
            out = []
            for i, w in enumerate(widths):
                c = cells[i] if i < len(cells) else ""
                out.append(c.ljust(w) if i == 0 else c.rjust(w))
            return "  ".join(out).rstrip()

        rule = "-" * len(line(self.headers))
        lines = [self.title, line(self.headers), rule]
        for r in self.rows:
            lines.append(rule if r is None else line(r))
        return "\n".join(lines)

    def print(self):
        print(self)
        print()


class Summary:
    """Collects (target description, figure, verdict) for the closing PASS/MISS list."""

    def __init__(self):
        self.items = []

    def add(self, what: str, figure: str, target: str, result: str):
        self.items.append((what, figure, target, result))
        return result

    def print(self, title="targets"):
        t = Table(title, ["target", "measured", "limit", "result"])
        for what, fig, lim, res in self.items:
            t.add(what, fig, lim, res)
        t.print()
        missed = [w for w, _, _, r in self.items if r == "MISS"]
        print(f"{len(self.items) - len(missed)} of {len(self.items)} checked targets met"
              + (f"; missed: {', '.join(missed)}" if missed else ""))


def header(name: str, torch) -> None:
    import platform
    tv = f"torch {torch.__version__} (threads={torch.get_num_threads()})" if torch else \
        "torch absent: torch columns skipped"
    print(f"{name} -- Python {platform.python_version()}, numpy {np.__version__}, {tv}, "
          f"BLAS threads={THREADS}")
    try:
        load, cores = os.getloadavg()[0], os.cpu_count() or 1
        note = "  (busy machine: figures are noisy)" if load > 0.5 * cores else ""
        print(f"load average {load:.2f} on {cores} cores{note}")
    except OSError:
        pass
    print()
