"""How the dispatcher routes one op through its layers (no tensors involved).

    PYTHONPATH=src python examples/dispatch_demo.py

An op is a schema plus one kernel per dispatch key. A call computes the key set
(arguments' keys | TLS included) - TLS excluded and runs the kernel of its highest key; a kernel
continues downward with ``op.redispatch(ks & below(its key), ...)``. Here we define
``demo::scale``, give it a CPU kernel and an Autograd kernel, add our own ``Logging`` key above
Autograd with a boxed fallback (one function serving every op), and watch the traces.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

import dispatch  # noqa: E402
from dispatch import (  # noqa: E402
    Autograd, DispatchKeySet, ExcludeDispatchKeyGuard, IncludeDispatchKeyGuard, Library,
    dispatch_table, dispatch_trace,
)


class Value:
    """A stand-in for a tensor: a number plus the key set the dispatcher reads."""

    __slots__ = ("_dispatch_keys", "value")

    def __init__(self, value, keys):
        self.value = value
        self._dispatch_keys = int(keys)

    def __repr__(self):
        return f"Value({self.value})"


def main():
    lib = Library("demo", "DEF")
    logging_key = dispatch.register_key("Logging", above="Autograd")
    try:
        lib.define("scale(Tensor x, float k) -> Tensor")
        scale = dispatch.ops.demo.scale.default

        @lib.impl("scale", "CPU")
        def scale_cpu(x, k):
            return Value(x.value * k, dispatch.CPU.bit)

        @lib.impl("scale", "Autograd", with_keyset=True)
        def scale_autograd(ks, x, k):
            print(f"    [Autograd kernel] would record a graph node; ks={ks!r}")
            return scale.redispatch(ks & dispatch.below(Autograd), x, k)

        def log_everything(op, ks, *args):  # boxed: serves every op that reaches Logging
            print(f"    [Logging fallback] {op.name()}{args}")
            return op.redispatch(ks & dispatch.below(logging_key), *args)

        lib.fallback(log_everything, "Logging")

        # A normal tensor carries {CPU, ADInplaceOrView, Autograd}.
        x = Value(3.0, DispatchKeySet(dispatch.CPU, dispatch.ADInplaceOrView, Autograd))

        print("1. A normal call: Autograd kernel, then CPU.")
        with dispatch_trace():
            print("   result:", scale(x, 2.0))

        print("\n2. With Logging included in the TLS: Logging -> Autograd -> CPU.")
        with IncludeDispatchKeyGuard(logging_key), dispatch_trace():
            print("   result:", scale(x, 2.0))

        print("\n3. Inside ExcludeDispatchKeyGuard(Autograd): the Autograd layer is skipped.")
        with ExcludeDispatchKeyGuard(Autograd), dispatch_trace():
            print("   result:", scale(x, 2.0))

        print("\n4. The computed dispatch table, highest key first:")
        print(dispatch_table(scale))
    finally:
        lib.remove()
        dispatch.unregister_key(logging_key)


if __name__ == "__main__":
    main()
