"""Tensor arguments that refuse Python numbers, as PyTorch's Python argument parser does.

Our ops take a Python number in any Tensor position (PyTorch's wrapped number: ``t + 2``
reaches ``add.Tensor``), because PyTorch's own Python signatures usually offer a Scalar
overload beside the Tensor one. Where they do not — ``t.dot(2)``, ``t.gather(0, 1)`` —
PyTorch refuses the number before anything runs, with a TypeError naming the argument (or,
for a name with several signatures, "received an invalid combination of arguments"). The
table lists those arguments, checked from PyTorch's overloads of each op; ``apply`` hands it
to the dispatcher (Note [Argument checks precede dispatch], dispatcher.py). Positions in the
messages count as in a method call; the ``torch.<name>(input, ...)`` forms shift them
(tensor/__init__.py).
"""

from __future__ import annotations

from .._defop import OPS

# op -> Tensor arguments that must be tensors
SINGLE = {
    "aten::addmm": ("mat1", "mat2"), "aten::addmv": ("mat", "vec"), "aten::bmm": ("mat2",),
    "aten::dot": ("tensor",), "aten::mm": ("mat2",), "aten::mv": ("vec",),
    "aten::outer": ("vec2",), "aten::kron": ("other",), "aten::isclose": ("other",),
    "aten::fmax": ("other",), "aten::fmin": ("other",), "aten::atan2": ("other",),
    "aten::atan2_": ("other",), "aten::hypot": ("other",), "aten::hypot_": ("other",),
    "aten::hypot.out": ("other",), "aten::logaddexp": ("other",),
    "aten::logaddexp.out": ("other",), "aten::maximum": ("other",),
    "aten::maximum.out": ("other",), "aten::minimum": ("other",),
    "aten::minimum.out": ("other",), "aten::gather": ("index",),
    "aten::index_select": ("index",), "aten::masked_select": ("mask",),
    "aten::take": ("index",), "aten::index_add": ("index", "source"),
    "aten::index_add_": ("index", "source"), "aten::scatter_add": ("index", "src"),
    "aten::scatter_add_": ("index", "src"),
    **{f"aten::logical_{n}{s}": ("other",) for n in ("and", "or", "xor")
       for s in ("", "_", ".out")},
    **{f"aten::{n}{s}": ("batch1", "batch2") for n in ("addbmm", "baddbmm") for s in ("", "_")},
    "aten::addmm_": ("mat1", "mat2"), "aten::addmv_": ("mat", "vec"),
    "aten::addr": ("vec1", "vec2"), "aten::addr_": ("vec1", "vec2"),
    "aten::as_strided_scatter": ("src",), "aten::diagonal_scatter": ("src",),
    "aten::select_scatter": ("src",), "aten::slice_scatter": ("src",),
    "aten::cholesky_solve": ("input2",), "aten::triangular_solve": ("A",),
    "aten::cross": ("other",), "aten::dist": ("other",), "aten::vdot": ("other",),
    "aten::gcd_": ("other",), "aten::lcm": ("other",), "aten::lcm_": ("other",),
    "aten::ldexp_": ("other",), "aten::logaddexp2": ("other",), "aten::nextafter": ("other",),
    "aten::nextafter_": ("other",), "aten::heaviside": ("values",),
    "aten::heaviside_": ("values",),
    **{f"aten::{n}{s}": ("index", "source") for n in ("index_copy", "index_reduce")
       for s in ("", "_")},
    **{f"aten::masked_scatter{s}": ("mask", "source") for s in ("", "_")},
    **{f"aten::put{s}": ("index", "source") for s in ("", "_")},
    **{f"aten::scatter_reduce{s}.two": ("index", "src") for s in ("", "_")},
}
# names whose Python binding has several signatures: the "invalid combination" error
OVERLOADED = {
    **{f"aten::index_fill{s}.int_{k}": ("index",) for s in ("", "_") for k in ("Scalar", "Tensor")},
    **{f"aten::lerp{s}.{k}": ("end",) for s in ("", "_") for k in ("Scalar", "Tensor")},
    **{f"aten::masked_fill{s}.{k}": ("mask",) for s in ("", "_") for k in ("Scalar", "Tensor")},
    **{f"aten::scatter{s}.{k}": ("index",) for s in ("", "_") for k in ("src", "value")},
}


def apply():
    for table, overloaded in ((SINGLE, False), (OVERLOADED, True)):
        for name, args in table.items():
            op = OPS.get(name)
            if op is not None and hasattr(op, "require_tensors"):
                op.require_tensors(args, overloaded)
