"""view_as_real / view_as_complex and the complex tensor's real / imag views against
PyTorch: values, strides, sharing of memory and version counter, gradients (PyTorch's
conjugate Wirtinger convention), node names and errors."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential


def _trace(M):
    out = []
    z = M.tensor([1 + 2j, 3 - 1j], requires_grad=True)
    r, i = z.real, z.imag
    out += [r.tolist(), r.grad_fn.name(), r._base is z, i.grad_fn.name(), r.stride()]
    v = M.view_as_real(z)
    out += [v.tolist(), v.grad_fn.name(), tuple(v.shape), v.stride(), v._base is z]
    c = M.view_as_complex(v)
    out += [c.grad_fn.name(), c._base is z]
    (r.sum() + 2 * i.sum()).backward()
    out.append(z.grad.tolist())
    w = M.tensor([1 + 2j, 3 - 1j])
    wr = w.real
    wr.mul_(10)
    out += [w.tolist(), w._version, wr._version]
    w.imag.zero_()
    out += [w.tolist(), w._version]
    x = M.arange(4.0, requires_grad=True)
    M.view_as_complex(x.view(2, 2)).abs().sum().backward()
    out.append(np.round(x.grad.numpy(), 12).tolist())
    try:
        M.tensor(1 + 1j, requires_grad=True).mul(2).backward()
    except RuntimeError as e:
        out.append(str(e).split(" Hint")[0].rstrip("."))
    return out


def test_views_and_gradients_like_torch():
    assert _trace(tk) == _trace(torch)


CASES = [
    "torch.view_as_real(torch.ones(2))", "torch.view_as_complex(torch.ones(3))",
    "torch.view_as_complex(torch.ones(2, 2).t())",
    "torch.view_as_complex(torch.ones(2, dtype=torch.int64))",
    "torch.view_as_complex(torch.ones(3, 2)[1:])", "torch.view_as_complex(torch.ones(4)[1:3])",
    "torch.view_as_complex(torch.ones(2, 4)[:, :2])",
    "torch.view_as_complex(torch.ones(2, 3, 2)[:, ::2])",
    "torch.view_as_complex(torch.arange(6.).view(3, 2))",
    "torch.view_as_real(torch.tensor([[1+1j, 2], [3j, 4]]).t())",
    "torch.view_as_real(torch.tensor(1+2j))", "torch.view_as_complex(torch.tensor([1., 2.]))",
    "torch.view_as_complex(torch.tensor(1.))",
]


@pytest.mark.parametrize("expr", CASES)
def test_same_as_torch(expr):
    out = []
    for M in (tk, torch):
        try:
            r = eval(expr, {"torch": M})
            out.append((tuple(r.shape), tuple(r.stride()), str(r.dtype), r.tolist()))
        except Exception as e:   # noqa: BLE001 - the error is what we compare
            out.append((type(e).__name__, str(e).split(" Hint")[0]))
    assert out[0] == out[1]


BUILD = [
    "torch.complex(torch.ones(2), torch.zeros(2))",
    "torch.complex(torch.ones(2, dtype=torch.int64), torch.zeros(2, dtype=torch.int64))",
    "torch.complex(torch.ones(2), torch.zeros(2, dtype=torch.float64))",
    "torch.complex(torch.ones(2, dtype=torch.float64), torch.zeros(2))",
    "torch.complex(torch.ones(2, 1), torch.arange(3.))", "torch.complex(torch.ones(2), torch.ones(3))",
    "torch.polar(torch.tensor([1., 2.]), torch.tensor([0., 1.5707964]))",
    "torch.polar(torch.ones(2, dtype=torch.int64), torch.zeros(2, dtype=torch.int64))",
]


@pytest.mark.parametrize("expr", BUILD)
def test_building_complex_tensors_like_torch(expr):
    out = []
    for M in (tk, torch):
        try:
            r = eval(expr, {"torch": M})
            out.append((tuple(r.shape), str(r.dtype), np.round(r.numpy(), 6).tolist()))
        except Exception as e:   # noqa: BLE001 - the error is what we compare
            out.append((type(e).__name__, str(e).split(" Hint")[0].rstrip(".")))
    assert out[0] == out[1]


def _grads(M, which):
    a = M.tensor([0.0, 2.0, 1.5], dtype=M.float64, requires_grad=True)
    b = M.tensor([0.3, -1.4, 2.0], dtype=M.float64, requires_grad=True)
    z = M.polar(a, b) if which == "polar" else M.complex(a, b)
    (z.abs() ** 2 + z.real * 3 - z.imag * 0.5).sum().backward()
    return z.grad_fn.name(), a.grad.numpy(), b.grad.numpy()


@pytest.mark.parametrize("which", ["polar", "complex"])
def test_gradients_like_torch(which):
    ours, theirs = _grads(tk, which), _grads(torch, which)
    assert ours[0] == theirs[0]
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours[2], theirs[2], rtol=1e-12, atol=1e-12)
