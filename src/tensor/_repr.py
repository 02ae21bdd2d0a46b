"""``repr`` of tensors in PyTorch's style: ``tensor([1., 2.], requires_grad=True)``."""

from __future__ import annotations

import numpy as np


def _fmt_array(a: np.ndarray) -> str:
    kind = a.dtype.kind
    if kind == "f":
        finite = a[np.isfinite(a)] if a.size else a
        ints = finite.size == 0 or bool(np.all(finite == np.round(finite)))
        big = finite.size and (np.abs(finite).max() >= 1e8 or
                               (np.abs(finite[finite != 0]).min() < 1e-4
                                if np.any(finite != 0) else False))
        if ints and not big:
            fmt = {"float_kind": lambda x: f"{x:.0f}." if np.isfinite(x) else str(x)}
        elif big:
            fmt = {"float_kind": lambda x: f"{x:.4e}"}
        else:
            fmt = {"float_kind": lambda x: f"{x:.4f}"}
        s = np.array2string(a, separator=", ", formatter=fmt, threshold=1000, edgeitems=3,
                            max_line_width=75, prefix="tensor(")
    elif kind == "b":
        s = np.array2string(a, separator=", ", formatter={"bool": lambda x: str(bool(x))},
                            threshold=1000, prefix="tensor(")
    else:
        s = np.array2string(a, separator=", ", threshold=1000, max_line_width=75,
                            prefix="tensor(")
    return s.replace("inf", "inf").replace("nan", "nan")


def tensor_repr(t) -> str:
    a = t._data
    body = _fmt_array(a)
    extras = []
    from ._dtype import get_default_dtype, int64, bool_
    d = t.dtype
    if a.size == 0 and a.ndim != 1:
        body = "[]"
        extras.append(f"size={tuple(a.shape)}")
    if d is not get_default_dtype() and d is not int64 and d is not bool_:
        extras.append(f"dtype={d!r}")
    fn = t._grad_fn if t._view is None else t.grad_fn
    if fn is not None:
        extras.append(f"grad_fn=<{type(fn).__name__}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    inner = ", ".join([body] + extras)
    return f"tensor({inner})"
