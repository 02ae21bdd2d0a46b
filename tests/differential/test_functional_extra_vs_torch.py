"""The composed nn.functional helpers (pad, one_hot, embedding, normalize...) against PyTorch
(skipped without torch): values, gradients and errors."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

PROGRAMS = {
    "embedding with padding_idx": """
w = T.tensor(np.arange(12, dtype=np.float32).reshape(4, 3), requires_grad=True)
e = F.embedding(T.tensor([[0, 2], [2, 3]]), w, padding_idx=2)
(e * e).sum().backward()
out = (e.tolist(), w.grad.tolist())""",
    "pad": """
x = T.arange(6.).reshape(2, 3).requires_grad_()
p = F.pad(x, (1, 2, 0, 1), value=-1.)
(p * p).sum().backward()
out = (p.tolist(), x.grad.tolist(), F.pad(T.arange(6.).reshape(2, 3), (-1, 1)).tolist())""",
    "one_hot": "out = (F.one_hot(T.tensor([0, 2, 1])).tolist(), str(F.one_hot(T.tensor([1]), 4).dtype))",
    "normalize": "out = F.normalize(T.tensor([[3., 4.], [0., 0.]])).tolist()",
    "relu6 / hardtanh": """
out = (F.relu6(T.tensor([-1., 3., 9.])).tolist(), F.hardtanh(T.tensor([-2., 0.5, 2.])).tolist())""",
    "cosine_similarity graph, zero vectors, int inputs": """
x = T.tensor([[1., 2., 3.], [0., 0., 0.]], requires_grad=True)
y = T.tensor([[1., 0., 1.], [1., 1., 0.]], requires_grad=True)
r = F.cosine_similarity(x, y)
r.sum().backward()
names, n = [], r.grad_fn
while n is not None:
    names.append(n.name())
    n = n.next_functions[0][0] if n.next_functions else None
out = (r.tolist(), x.grad.tolist(), y.grad.tolist(), names,
       F.cosine_similarity(T.tensor([[1, 2]]), T.tensor([[1., 0.]])).tolist(),
       F.cosine_similarity(T.ones(2, 3), T.ones(3), dim=-1).tolist())""",
    "hardtanh / relu6 / logsigmoid graphs": """
x = T.tensor([-1., 1., 0.5, -2., float('nan'), 6., 3.], requires_grad=True)
ys = [F.hardtanh(x), F.relu6(x), F.logsigmoid(x), F.hardtanh(x * 1, -0.5, 2., inplace=True),
      F.relu6(x * 1, inplace=True)]
grads = [T.autograd.grad(y.sum(), x)[0].tolist() for y in ys]
out = ([y.grad_fn.name() for y in ys], [y.tolist() for y in ys], grads,
       F.hardtanh(T.tensor([1, 2, 3]), 0, 2).tolist(), F.logsigmoid(T.tensor([-100., 100.])).tolist())""",
    "softmin": """
x = T.tensor([[1., 2., 3.]], requires_grad=True)
y = F.softmin(x, 1)
(y * T.tensor([[1., 0., 0.]])).sum().backward()
out = (np.round(y.detach().numpy(), 6).tolist(), np.round(x.grad.numpy(), 6).tolist())""",
    "cosine_similarity": """
out = F.cosine_similarity(T.tensor([[1., 0.], [0., 0.]]), T.tensor([[1., 1.], [1., 0.]])).tolist()""",
    "one_hot negative": "F.one_hot(T.tensor([-1]))",
    "one_hot too large": "F.one_hot(T.tensor([3]), 2)",
    "pad odd": "F.pad(T.ones(2), (1,))",
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_functional_helpers_match_torch(name):
    results = []
    for M in (torch, tk):
        env = {"T": M, "F": M.nn.functional, "np": np}
        try:
            exec(PROGRAMS[name], env)
            results.append(env.get("out"))
        except Exception as e:   # noqa: BLE001 - the error is what we compare
            results.append(_Error(type(e).__name__, str(e).split("\n")[0]))
    theirs, ours = results
    if isinstance(theirs, _Error):
        assert isinstance(ours, _Error) and ours.kind == theirs.kind, ours
        assert ours.text.startswith(theirs.text.rstrip(".")), ours
    else:
        assert len(_flat(ours)) == len(_flat(theirs))
        np.testing.assert_allclose(np.array(_flat(ours)), np.array(_flat(theirs)),
                                   rtol=1e-6, atol=1e-7)


class _Error:
    def __init__(self, kind, text):
        self.kind, self.text = kind, text

    def __repr__(self):
        return f"{self.kind}: {self.text}"


def _flat(x):
    if isinstance(x, (list, tuple)):
        return [v for y in x for v in _flat(y)]
    if isinstance(x, str):
        return [float(sum(map(ord, x)))]
    return [float(x)]
