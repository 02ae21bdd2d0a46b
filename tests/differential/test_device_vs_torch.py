"""``torch.device`` side by side with PyTorch (skipped without torch): any of PyTorch's device
types can be named, with its parsing and errors; tensors and modules refuse every device but
the CPU with a CPU-only build's errors (ours may add a hint after PyTorch's message)."""

from __future__ import annotations

import pickle

import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

CASES = [
    "torch.device('cpu')", "torch.device('cuda')", "torch.device('cuda:1')", "torch.device('meta')",
    "str(torch.device('cuda:1'))", "torch.device('cpu', 0)", "str(torch.device('cpu', 0))",
    "torch.device('cuda', 1).index", "torch.device('cpu').index", "torch.device('cuda:1').type",
    "torch.device(type='cpu', index=2)", "torch.device(torch.device('cuda:1'))",
    "torch.device('cpu') == 'cpu'", "torch.device('cpu') != 'cpu'",
    "torch.device('cuda:1') == torch.device('cuda', 1)", "torch.device('cpu') == torch.device('cpu', 0)",
    "hash(torch.device('cuda:1')) == hash(torch.device('cuda', 1))",
    "{torch.device('cpu'): 1}[torch.device('cpu')]",
    "torch.zeros(2).device == torch.device('cpu')", "torch.zeros(2).device.index",
    "torch.ones(1).to(device='cpu:0').device", "torch.ones(1).to('cpu').device",
    "torch.device(0)", "torch.device('foo')", "torch.device('CPU')", "torch.device('cuda:x')",
    "torch.device(' cpu')", "torch.device('cpu:-1')", "torch.device('cuda:01')",
    "torch.device('cuda:1', 0)", "torch.device('cpu', -1)", "torch.device('cpu', 'a')",
    "torch.zeros(2).to('cuda')", "torch.zeros(2).to(torch.device('cuda:0'))",
    "torch.zeros(2).to('mps')", "torch.zeros(2).cuda()", "torch.nn.Linear(2, 2, device='cuda')",
    "torch.nn.Linear(2, 2, device='cpu').weight.device",
]


def _run(M, expr):
    try:
        return "ok", repr(eval(expr, {"torch": M}))
    except Exception as e:   # noqa: BLE001 - the error is what we compare
        return type(e).__name__, str(e).split("\n")[0]


@pytest.mark.parametrize("expr", CASES)
def test_device_matches_torch(expr):
    ours, theirs = _run(tk, expr), _run(torch, expr)
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "ok":
        assert ours[1] == theirs[1]
    else:
        assert ours[1].startswith(theirs[1].split(" Hint:")[0].rstrip(".")), (ours, theirs)


def test_device_pickles_to_an_equal_device():
    for d in (tk.device("cpu"), tk.device("cuda:1"), tk.device("cpu", 0)):
        again = pickle.loads(pickle.dumps(d))
        assert again == d and repr(again) == repr(d)
