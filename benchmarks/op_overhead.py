"""Per-op cost through the full default dispatch path, against raw numpy and torch (issue 3 item 8).

    python benchmarks/op_overhead.py [--quick] [--threads N] [--no-torch]

For ``a + b``, ``a * b``, ``relu``, ``a @ b`` and ``sum`` on (4,), (16,16) and (512,512) float32
tensors that do not require grad, in the default mode (grad mode on, nothing recorded): ours,
raw numpy on the same arrays, and torch on the same arrays (``torch.from_numpy``) when it is
installed. Contenders are interleaved in one process; figures are medians. Also the cost of
``from_numpy`` and of ``tensor(list)``.

Targets (issue 3): on tiny tensors at most 2.3 µs above raw numpy per op, at most 1.0x torch as
the geometric mean over the five ops and no op above 1.2x torch; (512,512) ops at most 1.05x
numpy; ``from_numpy`` <= 1 µs, ``tensor(list)`` <= 3 µs.
"""

import _common as C  # first: pins the thread pools before numpy is imported

import argparse  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402

import tensor as tk  # noqa: E402

TINY_SHAPES = [(4,), (16, 16)]
BIG_SHAPE = (512, 512)
ADDED_LIMIT_NS = 2300
TORCH_GEO_LIMIT = 1.0
TORCH_MAX_LIMIT = 1.2
BIG_LIMIT = 1.05
FROM_NUMPY_LIMIT_NS = 1000
TENSOR_LIST_LIMIT_NS = 3000


def have_matmul() -> bool:
    return hasattr(tk.Tensor, "__matmul__")


def op_contenders(shape, torch):
    """{(op, who): zero-arg callable}; who in numpy / ours / torch."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape).astype(np.float32)
    b = rng.standard_normal(shape).astype(np.float32)
    ka, kb = tk.from_numpy(a), tk.from_numpy(b)
    c = {
        ("add", "numpy"): lambda a=a, b=b: a + b,
        ("add", "ours"): lambda a=ka, b=kb: a + b,
        ("mul", "numpy"): lambda a=a, b=b: a * b,
        ("mul", "ours"): lambda a=ka, b=kb: a * b,
        ("relu", "numpy"): lambda a=a, f=np.maximum: f(a, 0),
        ("relu", "ours"): lambda a=ka: a.relu(),
        ("matmul", "numpy"): lambda a=a, b=b: a @ b,
        ("matmul", "ours"): (lambda a=ka, b=kb: a @ b) if have_matmul() else None,
        ("sum", "numpy"): lambda a=a: a.sum(),
        ("sum", "ours"): lambda a=ka: a.sum(),
    }
    if torch is not None:
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        c.update({
            ("add", "torch"): lambda a=ta, b=tb: a + b,
            ("mul", "torch"): lambda a=ta, b=tb: a * b,
            ("relu", "torch"): lambda a=ta: a.relu(),
            ("matmul", "torch"): lambda a=ta, b=tb: a @ b,
            ("sum", "torch"): lambda a=ta: a.sum(),
        })
    return {k: v for k, v in c.items() if v is not None}


OPS = ["add", "mul", "relu", "matmul", "sum"]


def run_shape(shape, torch, rounds, sample_ns):
    return C.measure(op_contenders(shape, torch), rounds=rounds, sample_ns=sample_ns)


def factory_contenders(torch):
    arr = np.arange(4, dtype=np.float32)
    lst = [1.0, 2.0, 3.0, 4.0]
    c = {
        ("from_numpy", "ours"): lambda a=arr: tk.from_numpy(a),
        ("tensor(list)", "ours"): lambda v=lst: tk.tensor(v),
        ("tensor(list)", "numpy"): lambda v=lst, f=np.array, d=np.float32: f(v, dtype=d),
    }
    if torch is not None:
        c[("from_numpy", "torch")] = lambda a=arr, f=torch.from_numpy: f(a)
        c[("tensor(list)", "torch")] = lambda v=lst, f=torch.tensor: f(v)
    return c


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    C.add_common_args(parser)
    args = parser.parse_args(argv)
    torch = C.load_torch(args.no_torch, args.threads)
    C.header("op_overhead", torch)
    C.warm_blas(torch)
    # Many short samples: a sample that a context switch hits is an outlier the median drops;
    # on a busy machine longer samples are hit more often than not.
    rounds = 7 if args.quick else 101
    sample_ns = 2e5
    summary = C.Summary()
    if not have_matmul():
        print("note: Tensor.__matmul__ is not defined yet: the matmul rows are skipped\n")

    for shape in TINY_SHAPES:
        med = run_shape(shape, torch, rounds, sample_ns)
        t = C.Table(f"tiny tensors {shape}, float32, default mode (median per call)",
                    ["op", "numpy", "ours", "torch", "ours-numpy", "<=2.3µs",
                     "ours/torch", "<=1.2x"])
        tratios = []
        for op in OPS:
            n, o, tt = med.get((op, "numpy")), med.get((op, "ours")), med.get((op, "torch"))
            added = None if o is None else o - n
            r = None if o is None or tt is None else o / tt
            if r is not None:
                tratios.append(r)
            t.add(op, C.us(n), C.us(o), C.us(tt), C.us(added),
                  C.verdict(added, ADDED_LIMIT_NS), C.ratio(r), C.verdict(r, TORCH_MAX_LIMIT))
            if added is not None:
                summary.add(f"{op} {shape}: ours - numpy", C.us(added), "2.3 µs",
                            C.verdict(added, ADDED_LIMIT_NS))
        geo = C.geomean(tratios) if tratios else None
        t.sep()
        t.add(f"geomean over {len(tratios)} ops", "", "", "", "", "", C.ratio(geo),
              C.verdict(geo, TORCH_GEO_LIMIT) + " (<=1.0x)" if geo else "-")
        t.print()
        if tratios:
            summary.add(f"{shape}: ours/torch geomean", C.ratio(geo), "1.0x",
                        C.verdict(geo, TORCH_GEO_LIMIT))
            worst = max(tratios)
            summary.add(f"{shape}: worst op ours/torch", C.ratio(worst), "1.2x",
                        C.verdict(worst, TORCH_MAX_LIMIT))

    med = run_shape(BIG_SHAPE, torch, max(5, rounds // 2), sample_ns * 4)
    t = C.Table(f"large tensors {BIG_SHAPE}, float32 (median per call)",
                ["op", "numpy", "ours", "torch", "ours/numpy", "<=1.05x", "ours/torch"])
    for op in OPS:
        n, o, tt = med.get((op, "numpy")), med.get((op, "ours")), med.get((op, "torch"))
        r = None if o is None else o / n
        t.add(op, C.us(n), C.us(o), C.us(tt), C.ratio(r), C.verdict(r, BIG_LIMIT),
              C.ratio(None if o is None or tt is None else o / tt))
        if r is not None:
            summary.add(f"{op} {BIG_SHAPE}: ours/numpy", C.ratio(r), "1.05x",
                        C.verdict(r, BIG_LIMIT))
    t.print()

    med = C.measure(factory_contenders(torch), rounds=rounds, sample_ns=sample_ns)
    t = C.Table("making tensors (median per call)",
                ["call", "numpy", "ours", "torch", "target", "result"])
    fn = med[("from_numpy", "ours")]
    t.add("from_numpy(float32[4])", "-", C.us(fn), C.us(med.get(("from_numpy", "torch"))),
          "<= 1 µs", C.verdict(fn, FROM_NUMPY_LIMIT_NS))
    tl = med[("tensor(list)", "ours")]
    t.add("tensor([1., 2., 3., 4.])", C.us(med[("tensor(list)", "numpy")]), C.us(tl),
          C.us(med.get(("tensor(list)", "torch"))), "<= 3 µs",
          C.verdict(tl, TENSOR_LIST_LIMIT_NS))
    t.print()
    summary.add("from_numpy", C.us(fn), "1 µs", C.verdict(fn, FROM_NUMPY_LIMIT_NS))
    summary.add("tensor(list)", C.us(tl), "3 µs", C.verdict(tl, TENSOR_LIST_LIMIT_NS))

    summary.print("op_overhead targets (issue 3 item 8)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
