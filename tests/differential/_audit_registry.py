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
