"""The shape of the graph, side by side with real PyTorch (skipped without torch).

Values and gradients are not enough: users read ``grad_fn`` names, walk ``next_functions``,
check ``_is_view()``, ``stride()`` and ``_version``. These tests build the same expression on
both and compare the whole backward graph (node names, depth-first) and the result's layout:

- ``matmul`` over every rank combination and ``requires_grad`` pattern (PyTorch decomposes it
  into dot / mv / mm / bmm with folds, squeezes and ``_unsafe_view``);
- ``reshape`` (``view`` / ``_reshape_alias`` / copy), the ``squeeze`` overloads, ``t``;
- strides and storage offsets of view ops;
- the in-place view ops (``t_``, ``transpose_``, ``unsqueeze_``, ``squeeze_``).
"""

from __future__ import annotations

import itertools

import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential


def graph(t):
    """The backward graph below ``t`` as nested (name, children) tuples, AccumulateGrad as a
    leaf."""
    def walk(node):
        if node is None:
            return None
        name = node.name().replace("torch::autograd::", "")
        return (name, tuple(walk(f) for f, _ in node.next_functions))
    return walk(t.grad_fn)


def layout(t):
    return (tuple(t.shape), tuple(t.stride()), t.storage_offset(), t.is_contiguous(),
            t._is_view(), graph(t))


RANKS = [(3,), (2, 3), (4, 2, 3), (1, 2, 3), (0, 2, 3), (5, 4, 2, 3), (4, 1, 2, 3)]
RHS = [(3,), (3, 2), (4, 3, 2), (1, 3, 2), (5, 4, 3, 2), (1, 3), (1, 1, 3, 2)]


@pytest.mark.parametrize("sa,sb", list(itertools.product(RANKS, RHS)))
@pytest.mark.parametrize("rg", [(True, True), (True, False), (False, True)])
def test_matmul_graph_matches_torch(sa, sb, rg):
    def make(M):
        a = M.ones(*sa, requires_grad=rg[0])
        b = M.ones(*sb, requires_grad=rg[1])
        return a, b
    got = []
    for M in (torch, tk):
        a, b = make(M)
        try:
            r = a @ b
            got.append((tuple(r.shape), graph(r), r._is_view()))
        except RuntimeError as e:
            got.append(("RuntimeError", str(e).split(". Hint:")[0]))
    assert got[0] == got[1]


@pytest.mark.parametrize("expr", [
    "x.reshape(24)", "x.reshape(4, 6)", "x[:, :1].reshape(2, 4)", "x.transpose(0, 1).reshape(3, 8)",
    "x.transpose(1, 2).reshape(2, 12)", "x.permute(0, 2, 1).reshape(-1, 3)",
    "x.unsqueeze(0).expand(2, 2, 3, 4).reshape(4, 3, 4)", "x.view(6, 4).reshape(2, 12)",
    "x.flatten()", "x.transpose(0, 2).flatten()", "x[:, 0].flatten()",
    "x[:, :1].squeeze()", "x[:, :1].squeeze(1)", "x[:, :1].squeeze((1,))", "x.squeeze(0)",
    "x[0].t()", "x[0, 0].t()", "x.mT", "x.permute(2, 1, 0)",
    "x.unsqueeze(0)", "x.unsqueeze(-1)", "x[:, 0].unsqueeze(0)", "x[:, 0].unsqueeze(1)",
    "x.transpose(0, 2).unsqueeze(1)", "x[None]", "x[..., None]", "x[:, None, 1:]",
    "x.expand(2, 2, 3, 4)", "x.select(1, 0)", "x.narrow(2, 1, 2)", "x.diagonal()",
    "x.unfold(2, 2, 1)", "x[::2, 1:, ::3]", "x.unbind(1)[0]", "x.split(2, 2)[1]",
    "x.chunk(2, 1)[0]", "x.contiguous()", "x.transpose(0, 1).contiguous()",
    "x.transpose(0, 1).clone()",
])
def test_views_and_reshapes_match_torch(expr):
    def x(M):
        return M.arange(24.0).reshape(2, 3, 4).requires_grad_()
    ours = []
    for M in (torch, tk):
        t = eval(expr, {}, {"x": x(M)})
        ours.append(layout(t))
    assert ours[0] == ours[1]


INPLACE_VIEW_PROGRAMS = {
    "t_ on a non-leaf": """
x = T.ones(2, 3, requires_grad=True); y = x * 1; y.t_()
(y * T.arange(6.).view(3, 2)).sum().backward()
out = (graph(y), y._version, y.is_leaf, y._is_view(), x.grad.tolist(), y.stride())""",
    "unsqueeze_ on a view": """
b = T.ones(2, 3); v = b[0]; v.unsqueeze_(0)
out = (v._is_view(), v._base is b, tuple(v.shape), v._version, b._version, v.stride())""",
    "unsqueeze_ on a view of a non-leaf": """
x = T.ones(2, 3, requires_grad=True); y = x * 1; z = y[0]; z.unsqueeze_(0)
(z * T.tensor([[1., 2., 3.]])).sum().backward()
out = (graph(z), z._base is y, x.grad.tolist())""",
    "squeeze_ overloads": """
x = T.ones(3); x.squeeze_(); a = x._version; x.squeeze_(0); b = x._version
x.unsqueeze_(1).squeeze_(1)
y = T.ones(2, 1, 3, requires_grad=True) * 2; y.squeeze_((1,)); y.transpose_(0, 1)
out = (a, b, x._version, tuple(x.shape), graph(y), tuple(y.shape))""",
    "in-place view op in no_grad on a leaf": """
with T.no_grad():
    x = T.ones(2, 3, requires_grad=True); x.t_()
out = (tuple(x.shape), x._version, x.requires_grad, x.is_leaf)""",
    "in-place view op on a leaf that requires grad": """
x = T.ones(2, 3, requires_grad=True); x.t_()""",
    "in-place view op on an inference tensor outside the mode": """
with T.inference_mode():
    i = T.ones(2, 3)
i.t_()""",
    "in-place view op inside inference mode": """
with T.inference_mode():
    i = T.ones(2, 3); i.t_()
    out = (tuple(i.shape), i.is_inference())""",
    "in-place view op on a no_grad view": """
x = T.ones(2, 3, requires_grad=True)
with T.no_grad():
    v = x[0]
v.unsqueeze_(0)""",
    "in-place view op on a multi-output view": """
x = T.ones(2, 3, requires_grad=True); y = x * 1; a, b = y.unbind(0); a.unsqueeze_(0)""",
    "views of the tensor keep its counter": """
x = T.ones(2, 3, requires_grad=True); y = x * 1; v = y.view(6); y.t_()
out = (v._version, y._version, tuple(y.shape), tuple(v.shape))""",
    "bad dim": """
x = T.ones(2, 3); x.t_(); x.add_(1); x.transpose_(0, 5)""",
}


@pytest.mark.parametrize("name", sorted(INPLACE_VIEW_PROGRAMS))
def test_inplace_view_ops_match_torch(name):
    results = []
    for M in (torch, tk):
        env = {"T": M, "graph": graph}
        try:
            exec(INPLACE_VIEW_PROGRAMS[name], env)
            results.append(env.get("out"))
        except Exception as e:   # noqa: BLE001 - the error is what we compare
            kind = "RuntimeError" if isinstance(e, RuntimeError) else type(e).__name__
            results.append((kind, str(e).split("\n")[0]))
    theirs, ours = results
    if isinstance(theirs, tuple) and theirs and theirs[0] == "RuntimeError":
        # PyTorch's message, then (ours only) a hint
        assert ours[0] == "RuntimeError" and ours[1].startswith(theirs[1].rstrip(".")), ours
    else:
        assert theirs == ours


NUMBER_FIRST = ["torch.add(2, x)", "torch.add(2, x, alpha=3)", "torch.sub(2, x)",
                "torch.mul(2.5, i)", "torch.div(3, i)", "torch.pow(2., x)", "torch.pow(2, i)",
                "torch.remainder(5, i)", "torch.true_divide(1, i)", "torch.float_power(2, x)",
                "torch.add(2**62, i)", "1 - x", "torch.rsub(x, 2, alpha=3)"]


@pytest.mark.parametrize("expr", NUMBER_FIRST)
def test_number_first_functions_match_torch(expr):
    """A Python number in the first position is PyTorch's wrapped (weakest) scalar, and the
    overload (pow.Scalar, rsub.Scalar...) is PyTorch's."""
    got = []
    for M in (torch, tk):
        x = M.tensor([1.0, 2.0], requires_grad=True)
        i = M.tensor([1, 2])
        r = eval(expr, {"torch": M, "x": x, "i": i})
        got.append((str(r.dtype), r.tolist(), graph(r)))
    assert got[0] == got[1]


def test_float32_cumsum_rounds_double_sums_like_torch():
    import numpy as np
    a = np.random.default_rng(0).standard_normal((7, 300)).astype(np.float32)
    for dim in (0, 1):
        np.testing.assert_array_equal(tk.from_numpy(a).cumsum(dim).numpy(),
                                      torch.from_numpy(a).cumsum(dim).numpy())
