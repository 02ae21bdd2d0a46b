"""The gradcheck registry (``tests/tensor/test_gradcheck_registry.py``: its input makers, not
its tests), loaded once by path and shared by the audit files of this directory.

pytest runs with ``--import-mode=importlib``, so test modules cannot import one another by
name; an audit puts this directory on ``sys.path`` and calls :func:`load`."""

from __future__ import annotations

import importlib.util
import pathlib
import sys

_NAME = "_audit_gradcheck_registry"


def load():
    mod = sys.modules.get(_NAME)
    if mod is None:
        path = (pathlib.Path(__file__).resolve().parents[1] / "tensor"
                / "test_gradcheck_registry.py")
        spec = importlib.util.spec_from_file_location(_NAME, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[_NAME] = mod
        try:
            spec.loader.exec_module(mod)
        except BaseException:
            del sys.modules[_NAME]
            raise
    return mod


# -- pieces every audit uses --------------------------------------------------------------------
# Our overload names that differ from PyTorch's for the same schema.
TORCH_NAMES = {
    "aten::special_xlog1py.Tensor": "aten::special_xlog1py.default",
    "aten::special_xlog1py.Scalar_Other": "aten::special_xlog1py.other_scalar",
    "aten::special_xlog1py.Scalar_Self": "aten::special_xlog1py.self_scalar",
}


def torch_op(name):
    """PyTorch's aten overload for registry op ``name`` (``aten::add.Tensor``), through
    ``TORCH_NAMES`` for the ops PyTorch names otherwise."""
    import torch
    full = TORCH_NAMES.get(name, name)
    base, _, overload = full[len("aten::"):].partition(".")
    return getattr(getattr(torch.ops.aten, base), overload or "default")


def torch_value(v):
    """A plain argument as PyTorch takes it: our dtypes become its dtypes."""
    import tensor
    import torch
    if isinstance(v, tensor.dtype):
        return getattr(torch, str(v).rsplit(".", 1)[1])
    if isinstance(v, (list, tuple)):
        return type(v)(torch_value(x) for x in v)
    return v


def case_param(values, reason, id):
    """One audit case: a strict xfail when a known difference (``reason``) is listed."""
    import pytest
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(*values, marks=marks, id=id)


def run_sample(M, plan, rg):
    """Run a drawn sample's op in library ``M`` (``tensor`` or ``torch``) on fresh copies of
    its arrays, the slots in ``rg`` requiring grad: ``(tensor inputs, outputs)``. A written
    argument is a clone; an undefined output (convolution_backward's with a False in its mask)
    keeps its place as None, so the outputs after it keep their indices."""
    import warnings
    import numpy as np
    import torch
    from tensor import _defop
    ins = []
    for i, arr in enumerate(plan.arrays):
        t = M.from_numpy(np.array(arr, copy=True, order="K"))
        ins.append(t.requires_grad_() if i in rg else t)

    def sub(t):
        kind, v = t[0], t[1]
        if kind == "slot":
            return ins[v].clone() if t[2] else ins[v]
        if kind == "list":
            return [sub(x) for x in v]
        if kind == "fresh":
            v = v()
            return None if M is torch and isinstance(v, np.random.Generator) else v
        return torch_value(v) if M is torch else v

    args = [sub(a) for a in plan.args]
    kwargs = {k: sub(v) for k, v in plan.kwargs.items()}
    fn = torch_op(plan.name) if M is torch else _defop.OPS[plan.name].call
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn(*args, **kwargs)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    return ins, [o if isinstance(o, M.Tensor) else None for o in outs]


class SamplePlan:
    """A drawn registry case split into tensor slots and argument templates: ``labels``,
    ``kinds`` ("diff" for float inputs of a dtype in ``DIFF_DTYPES``, which may require grad;
    "const" for the others), ``arrays``; ``args``/``kwargs`` hold ``("slot", i, written)``,
    ``("list", [...])``, ``("fresh", make)`` or ``("value", v)`` (what :func:`run_sample`
    takes). Audits subclass it to add their own variations of a case."""

    DIFF_DTYPES = ("float64",)

    def __init__(self, name, case):
        from tensor import _defop
        reg = load()
        self._reg = reg
        self.name = name
        schema = _defop.OPS[name].schema
        self.inplace = schema.kind == "inplace"
        self.written = set(schema.written_args) if self.inplace else set()
        argnames = [a.name for a in schema.positional]
        self.labels, self.kinds, self.arrays = [], [], []
        self.fresh = False
        self.args = [self._conv(a, argnames[i] if i < len(argnames) else str(i), i)
                     for i, a in enumerate(case.args)]
        self.kwargs = {k: self._conv(v, k, None) for k, v in case.kwargs.items()}

    def _conv(self, a, label, pos):
        import numpy as np
        reg = self._reg
        if isinstance(a, np.float64):
            a = np.asarray(a)
        if isinstance(a, np.ndarray) and a.dtype.name in self.DIFF_DTYPES:
            return self._slot(label, "diff", a, pos)
        if isinstance(a, reg.Const):
            return self._slot(label, "const", a.arr, pos)
        if isinstance(a, list) and any(isinstance(x, (np.ndarray, reg.Const)) for x in a):
            return ("list", [self._conv(x, f"{label}[{i}]", None) for i, x in enumerate(a)])
        if isinstance(a, reg.Fresh):
            self.fresh = True
            return ("fresh", a.make)
        return ("value", a)

    def _slot(self, label, kind, arr, pos):
        self.labels.append(label)
        self.kinds.append(kind)
        self.arrays.append(arr)
        return ("slot", len(self.arrays) - 1, pos in self.written)

    @property
    def diff(self):
        return [i for i, k in enumerate(self.kinds) if k == "diff"]

    def with_arrays(self, arrays):
        """The same call over other input values."""
        other = object.__new__(type(self))
        other.__dict__.update(self.__dict__)
        other.arrays = arrays
        return other
