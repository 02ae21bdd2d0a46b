"""A training step and the engine's fixed costs, against a numpy floor and torch (issue 4 item 8).

    python benchmarks/autograd_step.py [--quick] [--threads N] [--no-torch] [--no-2threads]

Contenders, interleaved in one process, medians:
  step   forward + backward + SGD update (``p -= lr * p.grad; p.grad = None`` under no_grad) of
         an MLP (Linear-ReLU-...-Linear, mean squared error against a one-hot target), float32:
         784-256-256-10 at batch 64 and 32-32-32 at batch 8. The floor is the same step written
         by hand in numpy (forward, hand-derived backward, in-place update): what any
         numpy-backed framework must at least spend.
  backward() fixed cost   ``((w * 2) + 1).sum()`` on a (4,) leaf: 3 nodes + AccumulateGrad;
         (forward + backward) - (forward alone).
  chain  1000 tiny ops (alternating ``* 0.999`` and ``+ 0.001`` on a (4,) leaf), then
         ``sum().backward()``; forward and backward shown per op.

Targets (issue 4): large step <= 1.2x the numpy floor at 1 thread (1.35x at 2 threads; the
2-thread figure is measured in a child process, as the thread pools are sized at start-up);
backward() fixed cost <= 50 µs; tiny step and 1000-op chain <= 1.0x torch.
"""

import _common as C  # first: pins the thread pools before numpy is imported

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

import tensor as tk  # noqa: E402

LR = 0.01
LARGE = ((784, 256, 256, 10), 64)
TINY = ((32, 32, 32), 8)
CHAIN = 1000


def have_matmul() -> bool:
    return hasattr(tk.Tensor, "__matmul__")


def init_mlp(sizes, batch, seed=0):
    """numpy float32 weights [(W, b), ...], an input batch and one-hot targets."""
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        W = (rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)).astype(np.float32)
        b = np.zeros(fan_out, np.float32)
        layers.append((W, b))
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = np.eye(sizes[-1], dtype=np.float32)[rng.integers(0, sizes[-1], batch)]
    return layers, x, y


# -- the numpy floor ---------------------------------------------------------------------------
def numpy_step(layers, x, y, lr=LR):
    """One SGD step written by hand: the least work a numpy-backed step can do."""
    acts = [x]
    pre = []
    h = x
    last = len(layers) - 1
    for i, (W, b) in enumerate(layers):
        z = h @ W + b
        pre.append(z)
        h = np.maximum(z, 0) if i < last else z
        acts.append(h)
    diff = h - y
    loss = (diff * diff).mean()
    g = diff * np.float32(2.0 / diff.size)
    for i in range(last, -1, -1):
        W, b = layers[i]
        gW = acts[i].T @ g
        gb = g.sum(0)
        if i > 0:
            g = g @ W.T
            g *= pre[i - 1] > 0
        W -= lr * gW
        b -= lr * gb
    return loss


# -- the framework step (same code for tensorkeys and torch) ------------------------------------
def framework_step(M, params, x, y, lr=LR):
    h = x
    last = len(params) // 2 - 1
    for i in range(last + 1):
        h = h @ params[2 * i] + params[2 * i + 1]
        if i < last:
            h = h.relu()
    diff = h - y
    loss = (diff * diff).mean()
    loss.backward()
    with M.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None
    return loss


def framework_params(M, layers, x, y):
    params = []
    for W, b in layers:
        params.append(M.from_numpy(W.copy()).requires_grad_())
        params.append(M.from_numpy(b.copy()).requires_grad_())
    return params, M.from_numpy(x), M.from_numpy(y)


def step_contenders(spec, torch):
    sizes, batch = spec
    layers, x, y = init_mlp(sizes, batch)
    np_layers = [(W.copy(), b.copy()) for W, b in layers]
    c = {"numpy floor": lambda: numpy_step(np_layers, x, y)}
    if have_matmul():
        p, kx, ky = framework_params(tk, layers, x, y)
        c["ours"] = lambda: framework_step(tk, p, kx, ky)
    if torch is not None:
        tp, tx, ty = framework_params(torch, layers, x, y)
        c["torch"] = lambda: framework_step(torch, tp, tx, ty)
    return c


def check_steps_agree(spec, torch):
    """Sanity: ours and the floor compute the same losses over a few steps."""
    if not have_matmul():
        return
    sizes, batch = spec
    layers, x, y = init_mlp(sizes, batch)
    np_layers = [(W.copy(), b.copy()) for W, b in layers]
    p, kx, ky = framework_params(tk, layers, x, y)
    for _ in range(3):
        a = float(numpy_step(np_layers, x, y))
        b = framework_step(tk, p, kx, ky).item()
        assert abs(a - b) <= 1e-4 * max(1.0, abs(a)), (a, b)


# -- engine fixed costs --------------------------------------------------------------------------
def backward_contenders(M, tag):
    w = M.ones(4, requires_grad=True)

    def fwd():
        ((w * 2.0) + 1.0).sum()
        w.grad = None

    def fwd_bwd():
        ((w * 2.0) + 1.0).sum().backward()
        w.grad = None

    return {(tag, "fwd"): fwd, (tag, "fwd+bwd"): fwd_bwd}


def chain_contenders(M, tag, n=CHAIN):
    x = M.ones(4, requires_grad=True)

    def build():
        y = x
        for i in range(n // 2):
            y = y * 0.999
            y = y + 0.001
        return y.sum()

    def fwd():
        build()

    def fwd_bwd():
        build().backward()
        x.grad = None

    return {(tag, "fwd"): fwd, (tag, "fwd+bwd"): fwd_bwd}


# -- running -------------------------------------------------------------------------------------
def large_step_figures(torch, rounds, sample_ns):
    med = C.measure(step_contenders(LARGE, torch), rounds=rounds, sample_ns=sample_ns)
    return {k: med.get(k) for k in ("numpy floor", "ours", "torch")}


def two_thread_figures(args):
    """Run the large step in a child process with 2 BLAS/OpenMP threads."""
    cmd = [sys.executable, os.path.abspath(__file__), "--threads", "2", "--child-large"]
    if args.quick:
        cmd.append("--quick")
    if args.no_torch:
        cmd.append("--no-torch")
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=True)
    except (subprocess.SubprocessError, OSError) as e:
        print(f"note: the 2-thread child failed: {e}")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    C.add_common_args(parser)
    parser.add_argument("--no-2threads", action="store_true",
                        help="skip the 2-thread child run of the large MLP step")
    parser.add_argument("--child-large", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    torch = C.load_torch(args.no_torch, args.threads)
    C.warm_blas(torch)
    rounds = 7 if args.quick else 41      # many short samples: robust medians on a shared machine
    sample_ns = 4e6 if args.quick else 5e6

    if args.child_large:
        print(json.dumps(large_step_figures(torch, rounds, sample_ns)))
        return 0

    C.header("autograd_step", torch)
    summary = C.Summary()
    if not have_matmul():
        print("note: Tensor.__matmul__ is not defined yet: the MLP step rows are skipped\n")
    for spec in (LARGE, TINY):
        check_steps_agree(spec, torch)

    # 1. the MLP steps
    t = C.Table("MLP step: forward + backward + SGD update (median per step)",
                ["model", "threads", "numpy floor", "ours", "torch", "ours/floor",
                 "torch/floor", "ours/torch", "target", "result"])
    large = large_step_figures(torch, rounds, sample_ns)
    figs = [(1, large)]
    if not args.no_2threads and args.threads == 1:
        two = two_thread_figures(args)
        if two:
            figs.append((2, two))
    for threads, f in figs:
        fl, o, tt = f["numpy floor"], f["ours"], f["torch"]
        r = None if o is None else o / fl
        limit = 1.2 if threads == 1 else 1.35
        t.add("784-256-256-10, batch 64", threads, C.us(fl), C.us(o), C.us(tt), C.ratio(r),
              C.ratio(None if tt is None else tt / fl),
              C.ratio(None if o is None or tt is None else o / tt),
              f"ours/floor <= {limit}x", C.verdict(r, limit))
        summary.add(f"large MLP step, {threads} thread(s): ours/floor", C.ratio(r),
                    f"{limit}x", C.verdict(r, limit))
    tiny = C.measure(step_contenders(TINY, torch), rounds=rounds, sample_ns=sample_ns / 4)
    fl, o, tt = tiny.get("numpy floor"), tiny.get("ours"), tiny.get("torch")
    rt = None if o is None or tt is None else o / tt
    t.add("32-32-32, batch 8", args.threads, C.us(fl), C.us(o), C.us(tt),
          C.ratio(None if o is None else o / fl), C.ratio(None if tt is None else tt / fl),
          C.ratio(rt), "ours/torch <= 1.0x", C.verdict(rt, 1.0))
    summary.add("tiny MLP step: ours/torch", C.ratio(rt), "1.0x", C.verdict(rt, 1.0))
    t.print()

    # 2. fixed cost of backward() and the 1000-op chain
    c = backward_contenders(tk, "ours")
    if torch is not None:
        c.update(backward_contenders(torch, "torch"))
    bw = C.measure(c, rounds=rounds * 2, sample_ns=sample_ns / 8)
    c = chain_contenders(tk, "ours")
    if torch is not None:
        c.update(chain_contenders(torch, "torch"))
    ch = C.measure(c, rounds=rounds, sample_ns=sample_ns)

    def split(med, tag):
        if (tag, "fwd") not in med:
            return None, None, None
        f, fb = med[(tag, "fwd")], med[(tag, "fwd+bwd")]
        return f, fb - f, fb

    t = C.Table("engine costs (median)",
                ["what", "ours", "torch", "ours/torch", "target", "result"])
    of, ob, _ = split(bw, "ours")
    tf, tb, _ = split(bw, "torch")
    t.add("3-node graph: forward", C.us(of), C.us(tf), C.ratio(tf and of / tf), "", "")
    t.add("3-node graph: backward() fixed cost", C.us(ob), C.us(tb), C.ratio(tb and ob / tb),
          "<= 50 µs", C.verdict(ob, 50_000))
    summary.add("backward() fixed cost, 3-node graph", C.us(ob), "50 µs",
                C.verdict(ob, 50_000))
    of, ob, ot = split(ch, "ours")
    tf, tb, tt = split(ch, "torch")
    rc = None if tt is None else ot / tt
    t.add(f"{CHAIN}-op chain: forward, per op", C.us(of / CHAIN),
          C.us(tf and tf / CHAIN), C.ratio(tf and of / tf), "", "")
    t.add(f"{CHAIN}-op chain: backward, per op", C.us(ob / CHAIN),
          C.us(tb and tb / CHAIN), C.ratio(tb and ob / tb), "", "")
    t.add(f"{CHAIN}-op chain: forward + backward", C.us(ot), C.us(tt), C.ratio(rc),
          "<= 1.0x torch", C.verdict(rc, 1.0))
    summary.add(f"{CHAIN}-op chain + backward: ours/torch", C.ratio(rc), "1.0x",
                C.verdict(rc, 1.0))
    t.print()

    summary.print("autograd_step targets (issue 4 item 8)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
