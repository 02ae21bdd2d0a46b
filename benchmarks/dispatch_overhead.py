"""What one dispatch layer costs: a trivial kernel called directly vs. through the dispatcher.

    PYTHONPATH=src python benchmarks/dispatch_overhead.py [--quick] [--rounds N] [--calls N]

Contenders (interleaved in one process, order rotated every round, median over rounds):
  direct      the trivial CPU kernel ``cpu(ks, x) -> x`` called as a plain function
  one layer   ``op.call(x)`` with x carrying {CPU}: TLS adds ADInplaceOrView, which falls through
  two layers  ``op.call(x)`` with x carrying {CPU, ADInplaceOrView, Autograd}: the Autograd kernel
              redispatches with ``ks & Autograd.below_mask`` to the CPU kernel
  composite   ``op.call(x)`` of an op whose only kernel is CompositeImplicitAutograd (runs at
              Autograd)
The added cost per layer is (two layers - direct) / 2 and (one layer - direct); target <= 400 ns.
No numpy, no tensors: stand-in arguments carry a ``_dispatch_keys`` int.
"""

import os

# Pin thread pools before anything can import numpy (DESIGN §10); this script itself does not.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
from time import perf_counter_ns  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

import dispatch  # noqa: E402
from dispatch import Autograd  # noqa: E402

TARGET_NS = 400


class Arg:
    """A tensor stand-in: only the key-set int the dispatcher reads."""

    __slots__ = ("_dispatch_keys",)

    def __init__(self, keys: int):
        self._dispatch_keys = keys


def build(lib: dispatch.Library):
    """Define the ops; return (cpu kernel, layered op, composite op)."""
    layered = dispatch.get_op(lib.define("layered(Tensor x) -> Tensor"))
    composite = dispatch.get_op(lib.define("composite(Tensor x) -> Tensor"))

    def cpu(ks, x):
        return x

    def autograd(ks, x):
        return layered.redispatch(ks & Autograd.below_mask, x)

    lib._impl_raw("layered", cpu, "CPU")
    lib._impl_raw("layered", autograd, "Autograd")
    lib._impl_raw("composite", cpu, "CompositeImplicitAutograd")
    return cpu, layered, composite


def make_contenders(cpu, layered, composite):
    """Each contender: fn(n) -> elapsed ns for n calls (locals bound for a tight loop)."""
    cpu_only = Arg(dispatch.CPU.bit)
    normal = Arg(dispatch.CPU.bit | dispatch.ADInplaceOrView.bit | dispatch.Autograd.bit)
    ks_direct = cpu_only._dispatch_keys

    def empty(n, rng=range):
        t0 = perf_counter_ns()
        for _ in rng(n):
            pass
        return perf_counter_ns() - t0

    def direct(n, f=cpu, x=cpu_only, ks=ks_direct, rng=range):
        t0 = perf_counter_ns()
        for _ in rng(n):
            f(ks, x)
        return perf_counter_ns() - t0

    def one_layer(n, f=layered.call, x=cpu_only, rng=range):
        t0 = perf_counter_ns()
        for _ in rng(n):
            f(x)
        return perf_counter_ns() - t0

    def two_layers(n, f=layered.call, x=normal, rng=range):
        t0 = perf_counter_ns()
        for _ in rng(n):
            f(x)
        return perf_counter_ns() - t0

    def composite_alias(n, f=composite.call, x=normal, rng=range):
        t0 = perf_counter_ns()
        for _ in rng(n):
            f(x)
        return perf_counter_ns() - t0

    def via_dunder_call(n, f=layered, x=cpu_only, rng=range):
        t0 = perf_counter_ns()
        for _ in rng(n):
            f(x)
        return perf_counter_ns() - t0

    return {
        "empty loop": empty,
        "direct kernel call": direct,
        "op.call, one layer (CPU)": one_layer,
        "op.call, two layers (Autograd -> CPU)": two_layers,
        "op.call, CompositeImplicitAutograd": composite_alias,
        "op(x), one layer (via __call__)": via_dunder_call,
    }


def measure(contenders, rounds: int, calls: int):
    """Median ns/call per contender; contenders interleaved, order rotated every round."""
    names = list(contenders)
    samples = {name: [] for name in names}
    for fn in contenders.values():  # warm up: fill the dispatch caches, settle the allocator
        fn(min(calls, 2000))
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for r in range(rounds):
            shift = r % len(names)
            for name in names[shift:] + names[:shift]:
                samples[name].append(contenders[name](calls) / calls)
    finally:
        if gc_was_enabled:
            gc.enable()
    return {name: statistics.median(v) for name, v in samples.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run (5 rounds x 2000 calls)")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--calls", type=int, default=None)
    args = parser.parse_args(argv)
    rounds = args.rounds or (5 if args.quick else 30)
    calls = args.calls or (2000 if args.quick else 20000)

    lib = dispatch.Library(f"bench_overhead_{os.getpid()}", "DEF")
    try:
        cpu, layered, composite = build(lib)
        x = Arg(dispatch.CPU.bit | dispatch.ADInplaceOrView.bit | dispatch.Autograd.bit)
        assert layered.call(x) is x and composite.call(x) is x  # sanity: the routes work
        med = measure(make_contenders(cpu, layered, composite), rounds, calls)
    finally:
        lib.remove()

    direct = med["direct kernel call"]
    one = med["op.call, one layer (CPU)"]
    two = med["op.call, two layers (Autograd -> CPU)"]
    print(f"dispatch overhead, Python {sys.version.split()[0]}: median ns/call over "
          f"{rounds} rounds x {calls} calls")
    width = max(map(len, med)) + 2
    for name, ns in med.items():
        print(f"  {name:<{width}} {ns:8.1f}")
    print(f"added cost per layer (target <= {TARGET_NS} ns):")
    for label, cost in (("one layer - direct", one - direct),
                        ("(two layers - direct) / 2", (two - direct) / 2)):
        verdict = "ok" if cost <= TARGET_NS else "OVER TARGET"
        print(f"  {label:<{width}} {cost:8.1f}   {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
