"""What each mode costs: grad mode, no_grad and inference_mode side by side, with torch (issue 5 item 7).

    python benchmarks/modes.py [--quick] [--threads N] [--no-torch]

  per-op   ``a + b``, ``a * b``, ``relu``, ``a @ b``, ``sum`` on (4,) and (16,16) float32 tensors
           (made outside any mode, not requiring grad), timed inside each mode (the guard is
           entered outside the timed loop). inference_mode skips the Autograd layer (and leaves
           ADInplaceOrView out of the TLS included set); no_grad passes Autograd, which records
           nothing.
  views    (informational) ``x.t()``, ``x[0]``, ``x.add_(1.)`` under no_grad, inference_mode on
           a normal tensor, and inference_mode on an inference tensor, which skips
           ADInplaceOrView too.
  guards   one ``with guard(): pass`` (construction + enter + exit).
  MLP eval forward of a 32-64-64-10 ReLU MLP whose weights require grad, batch 1 and 64, in
           each mode; and the number of saved arrays the output keeps alive per mode.

Targets (issue 5): inference_mode per-op time <= 0.85x no_grad's (geometric mean over the ops
and shapes); ours <= 1.0x torch in every mode (same geomean); guard enter+exit <= 1.5 µs; MLP eval
forward <= 1.1x torch in every mode and batch; zero saved arrays under no_grad and
inference_mode.
"""

import _common as C  # first: pins the thread pools before numpy is imported

import argparse  # noqa: E402
import contextlib  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

import tensor as tk  # noqa: E402
from tensor._showcase import saved_arrays  # noqa: E402

SHAPES = [(4,), (16, 16)]
OPS = ["add", "mul", "relu", "matmul", "sum"]
MODE_NAMES = ["grad", "no_grad", "inference"]
MLP_SIZES = (32, 64, 64, 10)
BATCHES = (1, 64)
INF_LIMIT = 0.85
TORCH_LIMIT = 1.0
GUARD_LIMIT_NS = 1500
MLP_LIMIT = 1.1


def guards(M):
    return {"grad": contextlib.nullcontext, "no_grad": M.no_grad,
            "inference": M.inference_mode}


def op_fns(M, shape):
    rng = np.random.default_rng(0)
    a = M.from_numpy(rng.standard_normal(shape).astype(np.float32))
    b = M.from_numpy(rng.standard_normal(shape).astype(np.float32))
    return {
        "add": lambda a=a, b=b: a + b,
        "mul": lambda a=a, b=b: a * b,
        "relu": lambda a=a: a.relu(),
        "matmul": lambda a=a, b=b: a @ b,
        "sum": lambda a=a: a.sum(),
    }


def per_op_loops(torch):
    loops = {}
    for who, M in (("ours", tk), ("torch", torch)):
        if M is None:
            continue
        g = guards(M)
        for shape in SHAPES:
            for op, fn in op_fns(M, shape).items():
                for mode in MODE_NAMES:
                    loops[(who, shape, op, mode)] = C.loop_of(fn, g[mode])
    return loops


# Views and in-place writes: the ops where ADInplaceOrView does work (a view shares the version
# counter and records how it was made; a write bumps the version). Informational, not a target.
VIEW_OPS = ["t()", "x[0]", "add_(1.)"]
VIEW_MODES = ["no_grad", "inference", "inference, inference tensor"]


def view_op_loops(torch):
    loops = {}
    for who, M in (("ours", tk), ("torch", torch)):
        if M is None:
            continue
        g = guards(M)
        for mode in VIEW_MODES:
            guard = g["inference" if mode.startswith("inference") else mode]
            if mode.endswith("tensor"):
                with M.inference_mode():
                    x = M.zeros(16, 16)          # an inference tensor: no ADInplaceOrView key
            else:
                x = M.zeros(16, 16)
            fns = {"t()": lambda x=x: x.t(), "x[0]": lambda x=x: x[0],
                   "add_(1.)": lambda x=x: x.add_(1.0)}
            for op in VIEW_OPS:
                loops[(who, op, mode)] = C.loop_of(fns[op], guard)
    return loops


def guard_contenders(torch):
    c = {}
    for who, M in (("ours", tk), ("torch", torch)):
        if M is None:
            continue
        for name, guard in (("no_grad", M.no_grad), ("inference_mode", M.inference_mode),
                            ("enable_grad", M.enable_grad)):
            def enter_exit(guard=guard):
                with guard():
                    pass
            c[(who, name)] = enter_exit
    return c


def mlp(M, seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for fi, fo in zip(MLP_SIZES[:-1], MLP_SIZES[1:]):
        params.append(M.from_numpy((rng.standard_normal((fi, fo)) / np.sqrt(fi))
                                   .astype(np.float32)).requires_grad_())
        params.append(M.from_numpy(np.zeros(fo, np.float32)).requires_grad_())
    return params


def mlp_forward(params, x):
    h = x
    last = len(params) // 2 - 1
    for i in range(last + 1):
        h = h @ params[2 * i] + params[2 * i + 1]
        if i < last:
            h = h.relu()
    return h


def mlp_loops(torch):
    loops, outputs = {}, {}
    for who, M in (("ours", tk), ("torch", torch)):
        if M is None:
            continue
        params = mlp(M)
        g = guards(M)
        for batch in BATCHES:
            x = M.from_numpy(np.random.default_rng(1).standard_normal(
                (batch, MLP_SIZES[0])).astype(np.float32))
            for mode in MODE_NAMES:
                loops[(who, batch, mode)] = C.loop_of(
                    lambda p=params, x=x: mlp_forward(p, x), g[mode])
                with g[mode]():
                    outputs[(who, batch, mode)] = mlp_forward(params, x)
    return loops, outputs


def torch_saved_arrays(t):
    """Saved tensors reachable from a torch tensor's grad_fn (its ``_saved_*`` attributes)."""
    import torch
    count, seen, stack = 0, set(), [t.grad_fn] if t.grad_fn is not None else []
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        for name in dir(node):
            if name.startswith("_saved_"):
                v = getattr(node, name)
                vs = v if isinstance(v, (tuple, list)) else (v,)
                count += sum(isinstance(x, torch.Tensor) for x in vs)
        stack.extend(fn for fn, _ in node.next_functions if fn is not None)
    return count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    C.add_common_args(parser)
    args = parser.parse_args(argv)
    torch = C.load_torch(args.no_torch, args.threads)
    C.header("modes", torch)
    C.warm_blas(torch)
    # Many short samples: a sample that a context switch hits is an outlier the median drops;
    # on a busy machine longer samples are hit more often than not.
    rounds = 7 if args.quick else 101
    sample_ns = 2e5
    summary = C.Summary()

    # 1. per-op time per mode
    med = C.measure_loops(per_op_loops(torch), rounds=rounds, sample_ns=sample_ns)
    t = C.Table("per-op time on tiny tensors, by mode (median per call)",
                ["op", "shape", "ours: grad", "no_grad", "inference", "inf/no_grad",
                 "torch: grad", "no_grad", "inference", "inf/no_grad"])
    ours_inf, torch_inf = [], []
    vs_torch = {m: [] for m in MODE_NAMES}
    t_vs = C.Table("ours / torch per op, by mode", ["op", "shape"] + MODE_NAMES)
    for shape in SHAPES:
        for op in OPS:
            o = {m: med[("ours", shape, op, m)] for m in MODE_NAMES}
            tt = {m: med.get(("torch", shape, op, m)) for m in MODE_NAMES}
            ri = o["inference"] / o["no_grad"]
            ours_inf.append(ri)
            rti = None
            if torch is not None:
                rti = tt["inference"] / tt["no_grad"]
                torch_inf.append(rti)
                for m in MODE_NAMES:
                    vs_torch[m].append(o[m] / tt[m])
                t_vs.add(op, shape, *(C.ratio(o[m] / tt[m]) for m in MODE_NAMES))
            t.add(op, shape, *(C.us(o[m]) for m in MODE_NAMES), C.ratio(ri),
                  *(C.us(tt[m]) for m in MODE_NAMES), C.ratio(rti))
    geo_inf = C.geomean(ours_inf)
    geo_tinf = C.geomean(torch_inf) if torch_inf else None
    t.sep()
    t.add("geomean", "", "", "", "", f"{C.ratio(geo_inf)} {C.verdict(geo_inf, INF_LIMIT)}",
          "", "", "", C.ratio(geo_tinf))
    t.add("target", "", "", "", "", f"<= {INF_LIMIT}x")
    t.print()
    summary.add("inference_mode / no_grad per op (geomean)", C.ratio(geo_inf), f"{INF_LIMIT}x",
                C.verdict(geo_inf, INF_LIMIT))
    if torch is not None:
        t_vs.sep()
        geos = {m: C.geomean(vs_torch[m]) for m in MODE_NAMES}
        t_vs.add("geomean", "", *(f"{C.ratio(geos[m])} {C.verdict(geos[m], TORCH_LIMIT)}"
                                  for m in MODE_NAMES))
        t_vs.add("target", "", *([f"<= {TORCH_LIMIT}x"] * 3))
        t_vs.print()
        for m in MODE_NAMES:
            summary.add(f"ours/torch per op, {m} (geomean)", C.ratio(geos[m]),
                        f"{TORCH_LIMIT}x", C.verdict(geos[m], TORCH_LIMIT))

    # 1b. views and in-place writes (informational)
    med = C.measure_loops(view_op_loops(torch), rounds=rounds, sample_ns=sample_ns)
    t = C.Table("views and in-place writes on a (16, 16) tensor (median per call; not a target: "
                "where inference tensors skip ADInplaceOrView)",
                ["op", "mode", "ours", "x no_grad", "torch", "x no_grad"])
    for op in VIEW_OPS:
        for mode in VIEW_MODES:
            o, base = med[("ours", op, mode)], med[("ours", op, "no_grad")]
            tt, tbase = med.get(("torch", op, mode)), med.get(("torch", op, "no_grad"))
            t.add(op, mode, C.us(o), C.ratio(o / base), C.us(tt),
                  C.ratio(tt and tbase and tt / tbase))
    t.print()

    # 2. guards
    med = C.measure(guard_contenders(torch), rounds=rounds, sample_ns=sample_ns)
    t = C.Table("guard construction + enter + exit (median)",
                ["guard", "ours", "torch", "ours/torch", "target", "result"])
    for name in ("no_grad", "inference_mode", "enable_grad"):
        o, tt = med[("ours", name)], med.get(("torch", name))
        t.add(name, C.us(o), C.us(tt), C.ratio(tt and o / tt), "<= 1.5 µs",
              C.verdict(o, GUARD_LIMIT_NS))
        if name != "enable_grad":
            summary.add(f"{name} enter+exit", C.us(o), "1.5 µs", C.verdict(o, GUARD_LIMIT_NS))
    t.print()

    # 3. MLP eval forward, and what each mode keeps alive
    loops, outs = mlp_loops(torch)
    med = C.measure_loops(loops, rounds=rounds, sample_ns=sample_ns * 2)
    t = C.Table(f"MLP {'-'.join(map(str, MLP_SIZES))} eval forward, weights require grad "
                "(median per forward)",
                ["batch", "mode", "ours", "torch", "ours/torch", "<=1.1x",
                 "saved arrays: ours", "torch", "inference output"])
    for batch in BATCHES:
        for mode in MODE_NAMES:
            o, tt = med[("ours", batch, mode)], med.get(("torch", batch, mode))
            r = None if tt is None else o / tt
            n_ours, _ = saved_arrays(outs[("ours", batch, mode)])
            n_torch = (torch_saved_arrays(outs[("torch", batch, mode)])
                       if torch is not None else None)
            t.add(batch, mode, C.us(o), C.us(tt), C.ratio(r), C.verdict(r, MLP_LIMIT),
                  n_ours, "-" if n_torch is None else n_torch,
                  outs[("ours", batch, mode)].is_inference())
            if r is not None:
                summary.add(f"MLP eval batch {batch}, {mode}: ours/torch", C.ratio(r),
                            f"{MLP_LIMIT}x", C.verdict(r, MLP_LIMIT))
            if mode != "grad":
                summary.add(f"saved arrays, batch {batch}, {mode}", str(n_ours), "0",
                            "PASS" if n_ours == 0 else "MISS")
    t.print()

    summary.print("modes targets (issue 5 item 7)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
