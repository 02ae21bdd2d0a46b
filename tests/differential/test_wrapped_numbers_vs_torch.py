"""Python numbers given for Tensor arguments, and what a node saves, against PyTorch.

In PyTorch ``x * 2`` multiplies by a 0-dim "wrapped number" tensor, and the node saves it
like any tensor: a backward without ``retain_graph`` frees it, so a second backward through
the node raises, and ``grad_fn._saved_other`` shows it as a tensor of the number's own type.
``x + 2`` saves only its Scalar ``alpha``, so it may run again. Non-tensor values are saved
whichever inputs need a gradient (Note [Wrapped numbers are saved tensors], _defop.py).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

EXPRS = [
    "x * 2", "2 * x", "x / 2", "2 / x", "x - 2", "x + 2", "x.mul(2)", "torch.mul(x, 2)",
    "x.div(2)", "x.div(2.5, rounding_mode=None)", "x ** 2", "2 ** x", "x.pow(2)", "x * c",
    "x / c", "x.sub(2, alpha=3)", "x.add(c, alpha=2)", "x.clamp(0, 1)", "x.clamp(min=0.5)",
    "torch.where(x > 2, x, 0.)", "x.masked_fill(x > 2, 3.)", "x.lerp(c, 0.5)", "x.fmod(2)",
    "x.remainder(2)", "torch.maximum(x, c)", "x.addcmul(c, c, value=2)", "x.exp()",
    "x.sum()", "x.mean()", "x.relu()", "x.view(2)", "x.expand(3, 2)", "torch.atan2(x, c)",
    "x.mul(True)", "x.mul(2.5)", "x * c.sum()",
]


def _run(lib, expr):
    x = lib.tensor([1.5, 2.5], requires_grad=True)
    c = lib.tensor([2.0, 3.0])
    y = eval(expr, {"torch": lib, "x": x, "c": c})
    out = []
    for _ in range(2):
        try:
            y.sum().backward()
            out.append("ok")
        except RuntimeError as e:
            out.append(str(e).split(".")[0])
    return out, x.grad.tolist()


@pytest.mark.parametrize("expr", EXPRS)
def test_second_backward_like_torch(expr):
    (ours, g_ours), (theirs, g_theirs) = _run(tk, expr), _run(torch, expr)
    assert ours == theirs
    np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-6)


def _saved(lib, expr):
    x = lib.tensor([1.5, 2.5], requires_grad=True)
    c = lib.tensor([2.0, 3.0])
    fn = eval(expr, {"torch": lib, "x": x, "c": c}).grad_fn
    names = sorted(a for a in dir(fn) if a.startswith("_saved_"))
    out = {}
    for a in names:
        v = getattr(fn, a)
        if isinstance(v, lib.Tensor):
            v = ("tensor", str(v.dtype).split(".")[-1], tuple(v.shape), v.tolist())
        out[a] = v
    return out


@pytest.mark.parametrize("expr", ["x * 2", "x / 2.5", "x.mul(True)", "x + 2",
                                  "x.add(1, alpha=3)", "x.pow(2)", "x.clamp(min=0.5)",
                                  "x.sub(c, alpha=2)", "x * c"])
def test_saved_values_before_backward_like_torch(expr):
    ours, theirs = _saved(tk, expr), _saved(torch, expr)
    # (PyTorch also lists ``_raw_saved_*``, which we do not offer)
    assert ours == theirs
