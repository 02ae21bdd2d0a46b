"""RMSNorm / F.rms_norm and the reflection, replication, circular and 3-d constant padding
modules, side by side with PyTorch (skipped without torch): values, gradients, the graph's
node names, reprs, state_dict keys and errors."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential


def _graph_names(out):
    names, todo = [], [out.grad_fn]
    while todo:
        n = todo.pop(0)
        if n is not None:
            names.append(n.name())
            todo += [c[0] for c in n.next_functions]
    return names


def _rms_story(M):
    F, out = M.nn.functional, []
    x = M.tensor(np.random.default_rng(0).standard_normal((2, 3)), dtype=M.float32,
                 requires_grad=True)
    w = M.tensor([0.5, 1.0, 2.0], requires_grad=True)
    r = F.rms_norm(x, [3], w)
    gx, gw = M.autograd.grad(r.sum(), (x, w))
    out.append((_graph_names(r), np.round(r.detach().numpy(), 6).tolist(),
                np.round(gx.numpy(), 5).tolist(), np.round(gw.numpy(), 5).tolist()))
    out.append(F.rms_norm(x, [3]).grad_fn.name())
    out.append(np.round(F.rms_norm(x.double(), (2, 3), eps=1e-3).detach().numpy(), 10).tolist())
    try:
        F.rms_norm(x, [4])
    except Exception as e:   # noqa: BLE001 - the error is what we compare
        out.append((type(e).__name__, str(e)))
    out.append(tuple(M.rms_norm(x, [3]).shape))
    return out


def test_rms_norm_matches_torch():
    assert _rms_story(tk) == _rms_story(torch)


MODULES = ["nn.RMSNorm(3)", "nn.RMSNorm([2, 3], eps=1e-5, elementwise_affine=False)",
           "nn.ReflectionPad1d(2)", "nn.ReflectionPad2d(1)", "nn.ReplicationPad1d((1, 2))",
           "nn.ReplicationPad2d((1, 0, 2, 1))", "nn.CircularPad1d(1)", "nn.CircularPad2d(1)",
           "nn.ConstantPad3d(1, 2.0)", "nn.ZeroPad3d((1, 0, 0, 1, 1, 0))"]


@pytest.mark.parametrize("expr", MODULES)
def test_module_matches_torch(expr):
    def run(M):
        m = eval(expr, {"nn": M.nn})
        x = M.tensor(np.arange(2 * 2 * 3 * 3, dtype=np.float64).reshape(1, 2, 2, 3, 3) / 7,
                     requires_grad=True)
        x = x[0] if "3d" not in expr else x
        x = x[0] if "1d" in expr else x
        if "RMSNorm" in expr:
            x = x.reshape(3, 2, 2, 3)[0]          # trailing dims (2, 3)
        y = m(x)
        (g,) = M.autograd.grad((y * y).sum(), x)
        return repr(m), list(m.state_dict().keys()), np.round(y.detach().numpy(), 10).tolist(), \
            np.round(g.numpy(), 10).tolist()
    assert run(tk) == run(torch)
