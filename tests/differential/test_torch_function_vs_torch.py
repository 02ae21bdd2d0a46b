"""``__torch_function__`` against PyTorch: the same programs on a logging Tensor subclass,
comparing result types (by name), the ``func`` names the override receives, and values."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import tensor as tk  # noqa: E402


def _run(lib, src):
    log = []

    class Log(lib.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            log.append((func.__name__, tuple(t.__name__ for t in types)))
            return super().__torch_function__(func, types, args, kwargs)

    a = lib.tensor([1.5, -2.0, 3.0, 0.5])
    b = lib.tensor([0.5, 1.0, -1.0, 2.0])
    m = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
    env = dict(torch=lib, a=a, b=b, m=m, s=a.as_subclass(Log), t=b.as_subclass(Log),
               sm=m.as_subclass(Log), i=lib.tensor([1, 2, 3]).as_subclass(Log))
    log.clear()
    try:
        r = eval(src, env)
    except Exception as e:           # noqa: BLE001 - compared below
        return ("raised", type(e).__name__), log, None
    seen = list(log)

    def kind(x):
        if isinstance(x, (tuple, list)):
            return tuple(kind(y) for y in x)
        return type(x).__name__

    with lib._C.DisableTorchFunctionSubclass():
        def value(x):
            if isinstance(x, lib.Tensor):
                return np.asarray(x.detach().tolist())
            if isinstance(x, (tuple, list)):
                return [value(y) for y in x]
            return x if isinstance(x, (int, float, bool)) else None
        v = value(r)
    return kind(r), seen, v


PROGRAMS = """
s + 1 | 1 + s | a + s | s + a | s - a | a - s | 2 - s | s * 2 | 2 * s | s / 2 | 2 / s
s ** 2 | 2 ** s | s // 2 | s % 2 | -s | abs(s) | +s | s == a | s < a | a < s | s >= 1
i & 1 | i | 1 | i ^ 1 | ~i | i << 1 | s @ t | a @ s | sm @ m | s.add(a) | s.add(a, alpha=2)
a.add(s) | torch.add(s, a) | torch.add(a, s) | torch.mul(2, s) | torch.ops.aten.add.Tensor(s, a)
s.relu() | torch.relu(s) | torch.exp(s) | s.exp() | s.sum() | s.sum(0) | s.mean() | s.max()
s.max(0) | s.sort() | s.topk(2) | s.split(2) | s.chunk(2) | s[0] | s[1:3] | s[a > 0]
s.view(2, 2) | s.reshape(2, 2) | sm.t() | sm.T | sm.transpose(0, 1) | s.unsqueeze(0)
s.detach() | s.clone() | s.shape | s.dtype | s.size() | s.size(0) | s.dim() | s.numel()
s.grad | s.requires_grad | s.is_leaf | s.data | s.tolist() | len(s) | float(s[0])
bool(s[0]) | s.add_(1) | s.mul_(2) | s.zero_() | s.fill_(3.0) | s.new_zeros(2)
s.to(torch.float64) | s.double() | s.abs() | s.clamp(0, 1) | s.where(a > 0, a)
s.masked_fill(a > 0, 0.0) | s.argmax() | s.norm() | s.cumsum(0) | s.flip(0) | s.expand(2, 4)
s.repeat(2) | torch.nn.functional.relu(s) | torch.zeros_like(s) | torch.ones_like(s)
s.contiguous() | s.requires_grad_() | s.sigmoid() | s.tanh() | s.pow(2) | s.sqrt()
s.allclose(a) | s.eq(a) | s.equal(a) | s.isnan() | s.any() | s.min(0) | s.std()
torch.cat([a, s]).sum() | torch.stack([s, a]).shape
"""
CASES = [p.strip() for line in PROGRAMS.strip().splitlines() for p in line.split(" | ")
         if p.strip()]
# (``i | 1`` splits on the separator: put it back)
CASES = [c for c in CASES if c not in ("i", "1")] + ["i | 1"]


@pytest.mark.parametrize("src", CASES)
def test_same_types_funcs_and_values(src):
    want = _run(torch, src)
    got = _run(tk, src)
    assert got[0] == want[0]
    assert got[1] == want[1]
    if want[2] is not None:
        np.testing.assert_allclose(np.asarray(got[2], dtype=float),
                                   np.asarray(want[2], dtype=float), rtol=1e-6)


def _mode_log(lib, src):
    log = []

    class M(lib.overrides.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            log.append(func.__name__)
            return func(*args, **(kwargs or {}))

    a = lib.tensor([1.0, -2.0, 3.0])
    b = lib.tensor([0.5, 1.0, 2.0])
    with M():
        r = eval(src, dict(torch=lib, a=a, b=b))
    return log, type(r).__name__, np.asarray(r.tolist())


@pytest.mark.parametrize("src", ["a + b", "torch.add(a, b)", "a.relu()", "torch.relu(a)",
                                 "a.add(b, alpha=2)", "torch.ops.aten.add.Tensor(a, b)",
                                 "a * 2", "torch.exp(a)"])
def test_mode_sees_the_same_funcs(src):
    want = _mode_log(torch, src)
    got = _mode_log(tk, src)
    assert got[0] == want[0] and got[1] == want[1]
    np.testing.assert_allclose(got[2], want[2])


def _notimpl(lib, src):
    class NI(lib.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return NotImplemented

    s = lib.tensor([1.0, 2.0]).as_subclass(NI)
    try:
        eval(src, dict(torch=lib, s=s))
    except TypeError as e:
        return str(e).splitlines()[0]
    return None


@pytest.mark.parametrize("src", ["torch.add(s, 1)", "s.sum()", "s.shape", "s + 1"])
def test_not_implemented_error(src):
    assert _notimpl(tk, src) == _notimpl(torch, src)


def _autograd(lib):
    class L(lib.Tensor):
        pass

    x = lib.Tensor._make_subclass(L, lib.tensor([1.0, 2.0, 3.0]), True)
    y = (x * x).sum()
    y.backward()
    return (type(x).__name__, x.is_leaf, type(y).__name__, type(y.grad_fn).__name__,
            type(x.grad).__name__, x.grad.tolist())


def test_autograd_through_subclass():
    assert _autograd(tk) == _autograd(torch)


def _parameter(lib):
    p = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
    return [type(r).__name__ for r in (p * 2, p.detach(), p[0], p.data, p.view(2),
                                       lib.add(p, 1))]


def test_parameter_results_are_plain():
    assert _parameter(tk) == _parameter(torch)


def _has(lib):
    class L(lib.Tensor):
        pass

    class N:
        def __torch_function__(self, func, types, args=(), kwargs=None):
            return ("N", func.__name__)

    s = lib.tensor([1.0]).as_subclass(L)
    p = lib.nn.Parameter(lib.tensor([1.0]))
    o = lib.overrides
    return (o.has_torch_function((s,)), o.has_torch_function((lib.tensor(1.0),)),
            o.has_torch_function((p,)), o.has_torch_function((N(),)),
            o.is_tensor_like(s), o.is_tensor_like(N()), o.is_tensor_like(1),
            lib.add(N(), 1), lib.add(lib.tensor([1.0]), N()),
            len(o.get_default_nowrap_functions()))


def test_overrides_helpers_and_plain_objects():
    assert _has(tk) == _has(torch)
