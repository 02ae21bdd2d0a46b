"""``torch.func.functional_call`` / ``nn.utils.stateless.functional_call`` side by side with
PyTorch (skipped without torch): results, gradients to the given tensors, the module left
untouched, tied weights, strict-mode errors."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential


def _story(M):
    fc = M.func.functional_call
    out = []
    m = M.nn.Sequential(M.nn.Linear(2, 2), M.nn.BatchNorm1d(2))
    before = {k: v.clone() for k, v in m.state_dict().items()}
    w = M.ones(2, 2, requires_grad=True)
    p = {"0.weight": w, "0.bias": M.zeros(2), "1.running_mean": M.ones(2)}
    m.eval()
    y = fc(m, p, (M.tensor([[1.0, 2.0]]),))
    out.append([round(v, 5) for v in y.flatten().tolist()])
    (g,) = M.autograd.grad(y.sum(), w)
    out.append([round(v, 5) for v in g.flatten().tolist()])
    out.append(all(M.equal(before[k], v) for k, v in m.state_dict().items()))
    out.append(type(m[0].weight).__name__)
    lin = M.nn.Linear(2, 1)
    out.append(fc(lin, ({"weight": M.ones(1, 2)}, {"bias": M.ones(1)}), M.ones(1, 2)).tolist())
    for kw in ({"strict": True}, {}):
        try:
            fc(lin, {"nope": M.ones(1), "weight": M.ones(1, 2)}, (M.ones(3, 2),), **kw)
            out.append("ok")
        except Exception as e:   # noqa: BLE001
            out.append((type(e).__name__, str(e)))
    try:
        fc(lin, ({"weight": M.ones(1, 2)}, {"weight": M.ones(1, 2)}), (M.ones(1, 2),))
    except Exception as e:   # noqa: BLE001
        out.append((type(e).__name__, str(e)))
    tied = M.nn.Sequential(M.nn.Linear(2, 2, bias=False), M.nn.Linear(2, 2, bias=False))
    tied[1].weight = tied[0].weight
    out.append(fc(tied, {"0.weight": M.eye(2) * 2}, (M.ones(1, 2),)).tolist())
    out.append(fc(tied, {"0.weight": M.eye(2) * 2}, (M.ones(1, 2),), tie_weights=False).shape
               == (1, 2))
    return out


def test_functional_call_matches_torch():
    assert _story(tk) == _story(torch)
