"""The showcase: why does PyTorch have two flags, ``no_grad`` and ``inference_mode``?

Run it as ``tensorkeys-showcase`` (console script) or ``python examples/showcase.py``;
``--trace`` also prints the dispatch trace of ``x @ W`` under each mode, ``--fast`` makes a short
run. It makes a 2-class spiral data set, trains a small MLP with hand-written SGD (weights are
leaves that require grad, the update runs under ``no_grad``), then evaluates the test set under
grad mode, ``no_grad`` and ``inference_mode`` and prints, for each mode: time per batch, the graph
memory the output keeps alive (saved arrays reachable from its ``grad_fn``), whether the output is
an inference tensor, and the dispatch layers each op passed — then what the outputs can still be
used for. That last part is the answer.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time

import numpy as np

import tensor as tk

__all__ = ["main", "make_spirals", "init_mlp", "forward", "train", "saved_arrays",
           "op_routes", "MODES"]

#: The three evaluation modes: (label, guard factory).
MODES = (
    ("grad mode", contextlib.nullcontext),
    ("no_grad", tk.no_grad),
    ("inference_mode", tk.inference_mode),
)


# -- data and model ----------------------------------------------------------------------------
def make_spirals(n_per_class: int, seed: int = 0, noise: float = 0.15):
    """Two interleaved spirals in the plane: features (2n, 2) float32, labels (2n, 1) in {-1, 1}."""
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.uniform(0.05, 1.0, n_per_class)) * 3.0 * np.pi
    arms = []
    for sign in (1.0, -1.0):
        pts = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) * sign / (3.0 * np.pi)
        arms.append(pts + rng.normal(0.0, noise / 3.0, pts.shape))
    x = np.concatenate(arms).astype(np.float32)
    y = np.concatenate([np.ones(n_per_class), -np.ones(n_per_class)]).astype(np.float32)
    perm = rng.permutation(len(x))
    return tk.from_numpy(x[perm]), tk.from_numpy(y[perm, None])


def init_mlp(sizes=(2, 32, 32, 1), seed: int = 0):
    """Weights and biases as leaves that require grad: [W1, b1, W2, b2, ...]."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        W = rng.normal(0.0, 1.0 / np.sqrt(fan_in), (fan_in, fan_out)).astype(np.float32)
        params.append(tk.from_numpy(W).requires_grad_())
        params.append(tk.zeros(fan_out, requires_grad=True))
    return params


def linear(h, W, b):
    return h @ W + b


def forward(params, x):
    """The MLP: tanh hidden layers, one logit per point."""
    h = x
    n = len(params) // 2
    for i in range(n):
        h = linear(h, params[2 * i], params[2 * i + 1])
        if i < n - 1:
            h = h.tanh()
    return h


def logistic_loss(logits, y):
    """mean(log(1 + exp(-y * logit))), written stably: relu(-m) + log1p(exp(-|m|))."""
    m = logits * y
    return ((-m).relu() + (-m.abs()).exp().log1p()).mean()


def predict_proba(params, x):
    """Probabilities of class +1; the sigmoid is in place (it makes ADInplaceOrView visible)."""
    return forward(params, x).sigmoid_()


def train(params, x, y, steps: int, lr: float = 0.3, momentum: float = 0.9, log=print,
          every: int = 100):
    """Full-batch SGD with momentum, by hand: the update runs under ``no_grad`` so that it is
    neither recorded nor refused (in-place on a leaf that requires grad)."""
    velocity = [tk.zeros_like(p) for p in params]
    losses = []
    for step in range(steps + 1):
        loss = logistic_loss(forward(params, x), y)
        losses.append(loss.item())
        if step % every == 0 or step == steps:
            log(f"  step {step:4d}   loss {losses[-1]:.4f}")
        if step == steps:
            break
        loss.backward()
        with tk.no_grad():
            for p, v in zip(params, velocity):
                v.mul_(momentum).add_(p.grad)
                p -= lr * v
                p.grad = None
    return losses


def accuracy(params, x, y) -> float:
    with tk.inference_mode():
        logits = forward(params, x)
    return float(((logits.numpy() > 0) == (y.numpy() > 0)).mean())


# -- looking inside ----------------------------------------------------------------------------
def saved_arrays(t):
    """(count, bytes) of the arrays saved for backward that ``t``'s graph keeps alive.

    Walks ``grad_fn`` and ``next_functions``; a node's ``_saved`` dict holds its saved tensors
    (a CopySlices node keeps the node of the in-place op in ``_fn``). Bytes count each distinct
    array once."""
    from .autograd.graph import SavedVariable

    count, seen_arrays, seen_nodes = 0, {}, set()
    stack = [t.grad_fn] if t.grad_fn is not None else []

    def visit_saved(v):
        nonlocal count
        if isinstance(v, SavedVariable):
            arr = v._data if v._data is not None else (v._t._data if v._t is not None else None)
            if arr is not None:
                count += 1
                seen_arrays[id(arr)] = arr.nbytes
        elif isinstance(v, (list, tuple)):
            for x in v:
                visit_saved(x)
        elif isinstance(v, dict):
            for x in v.values():
                visit_saved(x)

    while stack:
        node = stack.pop()
        if node is None or id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        visit_saved(getattr(node, "_saved", None))
        inner = getattr(node, "_fn", None)
        if inner is not None and hasattr(inner, "next_functions"):
            stack.append(inner)
        stack.extend(fn for fn, _ in node.next_functions if fn is not None)
    return count, sum(seen_arrays.values())


def op_routes(events):
    """Group trace events into top-level calls: [(op, [keys in order, nested ops marked])]."""
    calls = []
    for e in events:
        short = e.op.split("::")[-1]
        key = e.key + ("(c)" if e.how.startswith("alias") else "")
        if e.depth == 0:
            calls.append((short, [key]))
        elif calls:
            top, keys = calls[-1]
            keys.append(key if short == top else f"{key}[{short}]")
    return calls


def summarize_routes(calls) -> list[str]:
    """'Autograd > CPU: mm, add, tanh' lines, one per distinct route, ops in first-seen order."""
    by_route: dict[str, list[str]] = {}
    for op, keys in calls:
        ops = by_route.setdefault(" > ".join(keys), [])
        if op not in ops:
            ops.append(op)
    return [f"{route}: {', '.join(ops)}" for route, ops in by_route.items()]


def _fmt_bytes(n: int) -> str:
    return f"{n / 1024:.1f} KiB" if n >= 1024 else f"{n} B"


def _rows(x, n):
    """The first ``n`` rows of ``x`` as a tensor of their own."""
    return tk.from_numpy(x.numpy()[:n].copy())


def _median_times(params, x, reps):
    """Median seconds of ``predict_proba(params, x)`` per mode, modes interleaved."""
    times = {label: [] for label, _ in MODES}
    for label, guard in MODES:       # warm the dispatch caches
        with guard():
            predict_proba(params, x)
    for r in range(reps):            # interleaved, order rotated every round
        for label, guard in MODES[r % 3:] + MODES[:r % 3]:
            with guard():
                t0 = time.perf_counter()
                predict_proba(params, x)
                times[label].append(time.perf_counter() - t0)
    return {label: statistics.median(v) for label, v in times.items()}


def evaluate_modes(params, x, reps: int):
    """Per mode: median time per batch (one point, and all of ``x``), saved arrays, output
    flags, and the route of each op."""
    one = _median_times(params, _rows(x, 1), reps * 4)
    full = _median_times(params, x, reps)
    rows = []
    for label, guard in MODES:
        with guard():
            with tk.dispatch_trace(echo=False) as trace:
                out = predict_proba(params, x)
        n, nbytes = saved_arrays(out)
        rows.append({
            "mode": label,
            "time1": one[label],
            "time": full[label],
            "saved": n,
            "bytes": nbytes,
            "requires_grad": out.requires_grad,
            "inference": out.is_inference(),
            "routes": summarize_routes(op_routes(trace.events)),
            "out": out,
        })
    return rows


def print_table(rows, batch: int):
    nog = next(r for r in rows if r["mode"] == "no_grad")
    print(f"{'':<15} {'time per batch':^29}")
    print(f"{'mode':<15} {'1 point':>14} {f'{batch} points':>14} {'graph memory retained':>24} "
          f"{'requires_grad':>14} {'is_inference':>13}")
    print("-" * 100)
    for r in rows:
        mem = f"{r['saved']} arrays, {_fmt_bytes(r['bytes'])}" if r["saved"] else "0 arrays"
        t1 = f"{r['time1'] * 1e6:.0f} µs ({r['time1'] / nog['time1']:.2f})"
        tn = f"{r['time'] * 1e6:.0f} µs ({r['time'] / nog['time']:.2f})"
        print(f"{r['mode']:<15} {t1:>14} {tn:>14} {mem:>24} {str(r['requires_grad']):>14} "
              f"{str(r['inference']):>13}")
    print(f"{'':<15} (x no_grad's time in brackets)")
    print()
    print(f"Dispatch layers each op passed (one forward of the batch of {batch}; "
          "'K[op]' = a nested call,\n'(c)' = a composite kernel registered for an alias key):")
    for r in rows:
        print(f"  {r['mode']}:")
        for line in r["routes"]:
            print(f"      {line}")
    print()


def afterwards(params, rows):
    """Try to use each mode's output in later autograd and in-place code: the real difference."""
    w = params[-1]                                   # any leaf that requires grad
    lines = []
    for r in rows:
        out = r["out"]
        try:
            (out * w).sum().backward()               # mul saves `out` for backward
            w.grad = None
            use = "fine: it can enter a training graph"
        except RuntimeError as e:
            use = "RuntimeError: " + str(e).split(".")[0] + "."
        try:
            out.add_(1.0)
            inplace = f"fine (version now {out._version})"
        except RuntimeError as e:
            inplace = "RuntimeError: " + str(e).split(".")[0] + "."
        lines.append((r["mode"], use, inplace))
    print("Afterwards, outside any mode: use each output in a new graph "
          "(`(out * w).sum().backward()`)\nand change it in place (`out.add_(1)`):")
    for mode, use, inplace in lines:
        print(f"  {mode:<15} graph: {use}")
        print(f"  {'':<15} add_:  {inplace}")
    print()


ANSWER = """\
Why are there two flags?
  no_grad only stops recording. Ops still pass the Autograd layer (it records nothing) and
    keep ADInplaceOrView in their key set (versions bump, views are tracked), so the outputs
    are ordinary tensors: you may mutate them, train on them later, save them for backward,
    and every safety check still holds.
  inference_mode also takes those layers off the route (Autograd excluded, ADInplaceOrView no
    longer included): ops go straight to the kernel, {ratio1:.2f}x of no_grad's time for one
    point here ({ratio:.2f}x for {batch} points, where numpy's own work dominates). The price:
    its outputs are inference tensors -- no version counter, never saved for backward, not
    mutable outside the mode -- since the bookkeeping that would make that safe was skipped.
  So: inference_mode for evaluation and serving whose results never return to autograd;
  no_grad for the rest (weight updates, targets you train on later, caches you mutate).
"""


def print_traces(params, x):
    W = params[0]
    xs = _rows(x, 4)
    for label, guard in MODES:
        print(f"--- dispatch trace of x @ W under {label} ---")
        with guard():
            with tk.dispatch_trace():
                xs @ W
        print()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="tensorkeys-showcase",
        description="Train a small MLP, then evaluate it under grad mode, no_grad and "
                    "inference_mode: why are there two flags?")
    parser.add_argument("--trace", action="store_true",
                        help="print the dispatch trace of x @ W under each mode")
    parser.add_argument("--fast", action="store_true", help="a short run (for tests)")
    parser.add_argument("--steps", type=int, default=None, help="training steps")
    args = parser.parse_args(argv)
    steps = args.steps if args.steps is not None else (150 if args.fast else 1500)
    reps = 5 if args.fast else 51

    t_start = time.perf_counter()
    x_train, y_train = make_spirals(200, seed=0)
    x_test, y_test = make_spirals(200, seed=1)
    print("tensorkeys showcase: why are there two flags, no_grad and inference_mode?\n")
    print(f"1. Data: two interleaved spirals, {len(x_train)} training and {len(x_test)} test "
          "points (made here).")
    params = init_mlp()
    sizes = [params[0].shape[0]] + [p.shape[-1] for p in params[0::2]]
    print(f"2. Training an MLP {'-'.join(map(str, sizes))} (tanh) with hand-written SGD + "
          f"momentum for {steps} steps;\n   weights are leaves that require grad, the update "
          "runs under no_grad.")
    every = max(1, steps // 5)
    losses = train(params, x_train, y_train, steps, every=every)
    print(f"   accuracy: train {accuracy(params, x_train, y_train):.1%}, "
          f"test {accuracy(params, x_test, y_test):.1%}\n")

    print(f"3. Evaluating in each mode: one point, and the whole test set as one batch of "
          f"{len(x_test)}\n   (medians of interleaved runs):\n")
    rows = evaluate_modes(params, x_test, reps)
    print_table(rows, len(x_test))
    afterwards(params, rows)
    print(ANSWER.format(ratio1=rows[2]["time1"] / rows[1]["time1"],
                        ratio=rows[2]["time"] / rows[1]["time"], batch=len(x_test)))
    if args.trace:
        print_traces(params, x_test)
    print(f"(loss {losses[0]:.3f} -> {losses[-1]:.3f}; ran in "
          f"{time.perf_counter() - t_start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
