"""Autograd details side by side with PyTorch (skipped without torch): the grid samplers'
double backward (``grid_sampler_{2,3}d_backward`` and their own derivatives),
``convolution_backward``'s ``output_mask`` (undefined outputs) and its double backward, and
``sum_to_size`` as PyTorch's composite (graph, dtype, identity when nothing is reduced)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import given, settings, strategies as st  # noqa: E402

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

LIBS = (torch, tk)


def _name(t):
    return None if t is None or t.grad_fn is None else t.grad_fn.name()


def _np(t):
    return None if t is None else t.detach().numpy()


def _same_arrays(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert (x is None) == (y is None)
        if x is not None:
            assert x.shape == y.shape
            np.testing.assert_allclose(y, x, rtol=1e-9, atol=1e-12)


def _weights(M, t, lo, hi):
    return M.from_numpy(np.linspace(lo, hi, t.numel()).reshape(tuple(t.shape)))


# -- grid samplers ---------------------------------------------------------------------------
def _grid_case(d, mode, padding, align, seed):
    """Everything the grid sampler comparisons need, in library ``M``: forward, first
    gradients (create_graph) and the second gradients of a weighted sum of them."""
    rng = np.random.default_rng(seed)
    xs = rng.standard_normal((2, 2) + (3,) * d)
    # off the cells' edges and the image borders (kinks, where the libraries may differ)
    gs = np.round(rng.uniform(-1.4, 1.4, (2,) + (2,) * d + (d,)) * 4) / 4 + 0.061
    out = {}
    for M in LIBS:
        x = M.from_numpy(xs.copy()).requires_grad_()
        g = M.from_numpy(gs.copy()).requires_grad_()
        y = (M.grid_sampler_2d if d == 2 else M.grid_sampler_3d)(x, g, mode, padding, align)
        go = M.from_numpy(np.linspace(-1, 1.5, y.numel()).reshape(tuple(y.shape)))
        go.requires_grad_()
        gx, gg = M.autograd.grad(y, (x, g), go, create_graph=True)
        second = M.autograd.grad((gx * _weights(M, gx, -1, 1)).sum()
                                 + (gg * _weights(M, gg, -2, 1)).sum(), (x, g, go),
                                 allow_unused=True, create_graph=True)
        out[M] = dict(y=y, grads=(gx, gg), second=second)
    return out


GRID_CASES = [(d, mode, padding, align) for d in (2, 3) for mode in (0, 1)
              for padding in (0, 1, 2) for align in (False, True)]


@pytest.mark.parametrize("d, mode, padding, align", GRID_CASES)
def test_grid_sampler_double_backward_matches_torch(d, mode, padding, align):
    r = _grid_case(d, mode, padding, align, seed=d * 100 + mode * 10 + padding * 2 + align)
    a, b = r[torch], r[tk]
    _same_arrays([_np(a["y"])], [_np(b["y"])])
    _same_arrays([_np(t) for t in a["grads"]], [_np(t) for t in b["grads"]])
    # the first gradients are differentiable, with PyTorch's double-backward node
    assert [(t.requires_grad, _name(t)) for t in b["grads"]] == \
        [(t.requires_grad, _name(t)) for t in a["grads"]]
    assert _name(b["grads"][0]) == f"GridSampler{d}DBackwardBackward0"
    # second derivatives: values, which are None (nearest: grad_input does not depend on
    # input), and the nodes on top of them
    _same_arrays([_np(t) for t in a["second"]], [_np(t) for t in b["second"]])
    assert [_name(t) for t in b["second"]] == [_name(t) for t in a["second"]]


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("mask", [[True, True], [False, True]])
def test_grid_sampler_backward_op_output_mask(d, mask):
    """Without output_mask[0] grad_input is undefined. (A False output_mask[1] leaves
    grad_grid undefined here, where PyTorch's CPU kernel computes it anyway: not compared.)"""
    rng = np.random.default_rng(7)
    xs = rng.standard_normal((1, 2) + (3,) * d)
    gs = rng.uniform(-1, 1, (1,) + (2,) * d + (d,))
    gos = rng.standard_normal((1, 2) + (2,) * d)
    res = {}
    for M in LIBS:
        x, g, go = (M.from_numpy(a.copy()).requires_grad_() for a in (xs, gs, gos))
        op = getattr(M.ops.aten, f"grid_sampler_{d}d_backward")
        outs = op(go, x, g, 0, 0, False, mask)
        defined = [o for o in outs if o is not None]
        loss = sum((o * _weights(M, o, -1, 1)).sum() for o in defined)
        res[M] = ([None if o is None else (o.requires_grad, _name(o)) for o in outs],
                  [_np(o) for o in outs],
                  [_np(t) for t in M.autograd.grad(loss, (go, x, g), allow_unused=True)])
    assert res[tk][0] == res[torch][0]
    _same_arrays(res[torch][1], res[tk][1])
    _same_arrays(res[torch][2], res[tk][2])


@pytest.mark.parametrize("dtypes", [
    ("float32", "float64", "float64"), ("float64", "float32", "float32"),
    ("float64", "float64", "float32"), ("int64", "int64", "int64"), ("bool", "bool", "bool")])
@pytest.mark.parametrize("d", [2, 3])
def test_grid_sampler_backward_op_refuses_like_torch(d, dtypes):
    shapes = [(1, 1) + (2,) * d, (1, 1) + (3,) * d, (1,) + (2,) * d + (d,)]
    msgs = []
    for M in LIBS:
        args = [M.zeros(s, dtype=getattr(M, dt)) for s, dt in zip(shapes, dtypes)]
        with pytest.raises(Exception) as e:
            getattr(M.ops.aten, f"grid_sampler_{d}d_backward")(*args, 0, 0, False, [True, True])
        msgs.append((type(e.value).__name__, str(e.value).splitlines()[0]))
    assert msgs[1][0] == msgs[0][0] and msgs[1][1].startswith(msgs[0][1])


# -- convolution_backward --------------------------------------------------------------------
CONV_CASES = [  # input shape, weight shape, stride, padding, dilation, transposed, out pad, groups
    ((1, 2, 5, 5), (4, 2, 2, 2), [1, 1], [0, 0], [1, 1], False, [0, 0], 1),
    ((2, 4, 7, 6), (4, 2, 3, 2), [2, 3], [1, 0], [1, 2], False, [0, 0], 2),
    ((1, 2, 4, 5), (2, 3, 3, 2), [2, 1], [1, 0], [1, 1], True, [1, 0], 1),
    ((1, 2, 3, 3), (2, 2, 2, 2), [1, 1], [0, 0], [3, 3], True, [2, 2], 1),
    ((1, 2, 7), (3, 2, 3), [2], [1], [1], False, [0], 1),
]


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("mask", list(itertools.product([False, True], repeat=3)))
def test_convolution_backward_output_mask_matches_torch(case, mask):
    """A False output_mask entry leaves that output undefined (None); the defined ones are
    differentiable, and a second backward through them matches (values and top nodes)."""
    xsh, wsh, s, p, d, tr, op, g = case
    rng = np.random.default_rng(3)
    xs, ws = rng.standard_normal(xsh), rng.standard_normal(wsh)
    ys = tuple(torch.ops.aten.convolution(torch.from_numpy(xs), torch.from_numpy(ws), None, s, p,
                                          d, tr, op, g).shape)
    gys = rng.standard_normal(ys)
    res = {}
    for M in LIBS:
        gy, x, w = (M.from_numpy(a.copy()).requires_grad_() for a in (gys, xs, ws))
        outs = M.ops.aten.convolution_backward(gy, x, w, [wsh[1] * g if tr else wsh[0]], s, p,
                                               d, tr, op, g, list(mask))
        info = [None if o is None else (o.requires_grad, _name(o), tuple(o.shape))
                for o in outs]
        defined = [o for o in outs if o is not None]
        second = []
        if defined:
            loss = sum((o * _weights(M, o, -1, 2)).sum() for o in defined)
            second = M.autograd.grad(loss, (gy, x, w), allow_unused=True, create_graph=True)
        res[M] = (info, [_np(o) for o in outs], [_np(t) for t in second],
                  [_name(t) for t in second])
    assert res[tk][0] == res[torch][0]
    _same_arrays(res[torch][1], res[tk][1])
    _same_arrays(res[torch][2], res[tk][2])
    # (the weight's double-backward graph is PyTorch's transposed-convolution trick: not
    # compared)
    assert res[tk][3][:2] == res[torch][3][:2]


# -- sum_to_size -----------------------------------------------------------------------------
def _graph(node, depth=0):
    if node is None or depth > 4:
        return None
    return (node.name(), tuple(_graph(n, depth + 1) for n, _ in node.next_functions))


def _sum_to_size_facts(M, arr, size, dtype):
    x = M.from_numpy(np.array(arr)).to(getattr(M, dtype))
    if dtype == "float64":
        x.requires_grad_()
    try:
        y = x.sum_to_size(size)
    except Exception as e:  # noqa: BLE001 - the error is what is compared
        return ("error", type(e).__name__, str(e).splitlines()[0]), []
    facts = (str(y.dtype).rsplit(".", 1)[-1], tuple(y.shape), y is x, _graph(y.grad_fn))
    values = [y.detach().numpy().astype(np.float64)]
    if dtype == "float64":
        (g,) = M.autograd.grad(y, x, M.ones(tuple(y.shape), dtype=M.float64))
        values.append(g.numpy())
    return facts, values


@st.composite
def _sum_to_size_cases(draw):
    shape = tuple(draw(st.lists(st.integers(1, 3), max_size=4)))
    lead = draw(st.integers(0, len(shape)))
    size = [n if draw(st.booleans()) else 1 for n in shape[lead:]]
    if draw(st.integers(0, 5)) == 0:          # sometimes not expandable
        size = [draw(st.integers(2, 4))] + size
    return shape, tuple(size)


@settings(max_examples=40, deadline=None)
@given(case=_sum_to_size_cases(), dtype=st.sampled_from(["float64", "int32", "bool"]))
def test_sum_to_size_matches_torch(case, dtype):
    """Values, dtype (integer and bool inputs sum to int64 once anything is reduced), the
    graph (SumBackward0 / SumBackward1, ViewBackward0), the input itself when nothing is
    reduced, gradients, and the refusal of a size that does not expand to the input's."""
    shape, size = case
    arr = np.random.default_rng(len(shape)).standard_normal(shape)
    arr = np.round(arr * 2) if dtype != "float64" else arr
    theirs, ours = (_sum_to_size_facts(M, arr, size, dtype) for M in LIBS)
    assert ours[0] == theirs[0]
    _same_arrays(theirs[1], ours[1])


def test_expand_double_backward_reduces_like_at_sum_to():
    """expand's gradient is ``sum_to_size``: with create_graph its graph is PyTorch's."""
    names = []
    for M in LIBS:
        x = M.ones(3, 1, dtype=M.float64, requires_grad=True)
        y = x.expand(2, 3, 4)
        (g,) = M.autograd.grad(y, x, M.ones(2, 3, 4, dtype=M.float64), create_graph=True)
        names.append(_graph(g.grad_fn))
    assert names[1] == names[0]


# -- hardsigmoid / multi_margin_loss: backward ops without a derivative ----------------------
def _second_derivative_facts(M, f, arr):
    """The first gradient (values, requires_grad, node) of ``f`` and what differentiating it
    again does, along the input and along the incoming gradient."""
    x = M.from_numpy(arr.copy()).requires_grad_()
    y = f(M, x)
    go = M.from_numpy(np.linspace(0.5, 1.5, y.numel()).reshape(tuple(y.shape)))
    go.requires_grad_()
    (g,) = M.autograd.grad(y, x, go, create_graph=True)
    again = []
    for wrt in (x, go):
        try:
            M.autograd.grad(g.sum(), wrt)
            again.append("ok")
        except RuntimeError as e:
            again.append(str(e).splitlines()[0])
    return [g.detach().numpy()], (g.requires_grad, _name(g), len(g.grad_fn.next_functions),
                                  again)


SECOND_ORDER_CASES = {
    "hardsigmoid": (lambda M, x: M.ops.aten.hardsigmoid(x), np.array([-4, -2.5, 0.5, 2.9, 4])),
    "hardsigmoid_": (lambda M, x: M.ops.aten.hardsigmoid_(x.clone()), np.array([-1.0, 2.0])),
    "multi_margin_p1": (lambda M, x: M.ops.aten.multi_margin_loss(
        x, M.tensor([2, 0]), 1, 0.9, None, 1), np.array([[0.25, -0.5, 1.0], [0.5, 0.75, -1.0]])),
    "multi_margin_p2_none": (lambda M, x: M.ops.aten.multi_margin_loss(
        x, M.tensor([1, 0]), 2, 1.0, M.tensor([1.0, 2.0, 0.5], dtype=M.float64), 0),
        np.array([[0.25, -0.5, 1.0], [0.5, 0.75, -1.0]])),
}


@pytest.mark.parametrize("label", list(SECOND_ORDER_CASES))
def test_backward_op_without_derivative_matches_torch(label):
    """The gradient is PyTorch's NotImplemented node (one edge: the input; the incoming
    gradient's edge too when it requires grad) whose backward raises PyTorch's error."""
    f, arr = SECOND_ORDER_CASES[label]
    theirs, ours = (_second_derivative_facts(M, f, arr.astype(np.float64)) for M in LIBS)
    assert ours[1] == theirs[1]
    _same_arrays(theirs[0], ours[0])


@pytest.mark.parametrize("dtypes", [("float64", "float64"), ("float32", "float32"),
                                    ("int64", "float64"), ("float32", "float64"),
                                    ("int64", "int64"), ("bool", "bool")])
def test_hardsigmoid_backward_op_matches_torch(dtypes):
    out = []
    for M in LIBS:
        g = M.from_numpy(np.linspace(-2, 2, 6).reshape(2, 3)).to(getattr(M, dtypes[0]))
        x = M.from_numpy(np.array([[-3.0, -2.9, 0.0], [1.5, 3.0, 7.0]])).to(getattr(M, dtypes[1]))
        try:
            r = M.ops.aten.hardsigmoid_backward(g, x)
            out.append((str(r.dtype).rsplit(".", 1)[-1], r.numpy().tolist()))
        except Exception as e:  # noqa: BLE001 - the error is what is compared
            out.append((type(e).__name__, str(e).splitlines()[0]))
    assert out[1] == out[0]


@pytest.mark.parametrize("grad_dtype, self_dtype, p", [
    ("float64", "float64", 1), ("float64", "float64", 2), ("float32", "float32", 1),
    ("int64", "float64", 1), ("float32", "float64", 1), ("int64", "int64", 1),
    ("float64", "float64", 3)])
@pytest.mark.parametrize("reduction", [0, 1, 2])
def test_multi_margin_loss_backward_op_matches_torch(grad_dtype, self_dtype, p, reduction):
    out = []
    xs = np.array([[0.25, -0.5, 1.0], [0.5, 0.75, -1.0]])
    for M in LIBS:
        g = M.from_numpy(np.array([1.5, -0.5]) if reduction == 0 else np.array(1.5))
        x = M.from_numpy(xs.copy()).to(getattr(M, self_dtype))
        try:
            r = M.ops.aten.multi_margin_loss_backward(
                g.to(getattr(M, grad_dtype)), x, M.tensor([2, 0]), p, 0.9, None, reduction)
            out.append((str(r.dtype).rsplit(".", 1)[-1], tuple(r.shape), r.stride()))
            out.append(r.numpy().astype(np.float64))
        except Exception as e:  # noqa: BLE001 - the error is what is compared
            out += [(type(e).__name__, str(e).splitlines()[0]), None]
    assert out[2] == out[0]
    if out[1] is not None:
        np.testing.assert_allclose(out[3], out[1], rtol=1e-6)


# -- nll_loss: a backward op with its own derivative -----------------------------------------
@pytest.mark.parametrize("reduction", [0, 1, 2])
@pytest.mark.parametrize("weighted, ignore", [(False, -100), (True, -100), (True, 0)])
@pytest.mark.parametrize("shape", [(3,), (4, 3)])
def test_nll_loss_double_backward_matches_torch(shape, weighted, ignore, reduction):
    """The gradient is an ``nll_loss_backward`` node (NllLossBackwardBackward0): linear in the
    incoming gradient, flat in the input."""
    rng = np.random.default_rng(5)
    xs = rng.standard_normal(shape)
    ts = rng.integers(0, 3, shape[:-1])
    ws = rng.uniform(0.5, 2.0, 3)
    res = {}
    for M in LIBS:
        x = M.from_numpy(xs.copy()).requires_grad_()
        w = M.from_numpy(ws.copy()) if weighted else None
        y = M.ops.aten.nll_loss(x, M.from_numpy(np.array(ts)), w, reduction, ignore)
        go = M.from_numpy(np.linspace(0.5, 1.5, y.numel()).reshape(tuple(y.shape)))
        go.requires_grad_()
        (g,) = M.autograd.grad(y, x, go, create_graph=True)
        second = M.autograd.grad((g * _weights(M, g, -1, 1)).sum(), (x, go), create_graph=True)
        res[M] = ((g.requires_grad, _name(g), [_name(t) for t in second]),
                  [_np(g)] + [_np(t) for t in second])
    assert res[tk][0] == res[torch][0]
    _same_arrays(res[torch][1], res[tk][1])


@pytest.mark.parametrize("change", ["none", "int grad", "int all", "bool all", "int self",
                                    "int total", "float32 grad", "total vector", "3d"])
def test_nll_loss_backward_op_matches_torch(change):
    out = []
    for M in LIBS:
        f64 = M.float64
        g, x = M.tensor(2.0, dtype=f64), M.tensor([[0.25, -0.5, 1.0], [0.5, 0.75, -1.0]],
                                                  dtype=f64)
        t, tw = M.tensor([2, 0]), M.tensor(1.5, dtype=f64)
        if change in ("int grad", "int all", "bool all"):
            g = g.to(M.bool if change == "bool all" else M.int64)
        if change in ("int all", "bool all", "int self"):
            x = x.to(M.bool if change == "bool all" else M.int64)
        if change in ("int all", "bool all", "int total"):
            tw = tw.to(M.bool if change == "bool all" else M.int64)
        if change == "float32 grad":
            g = g.float()
        if change == "total vector":
            tw = M.ones(2, dtype=f64)
        if change == "3d":
            x, t = x[None], t[None]
        try:
            r = M.ops.aten.nll_loss_backward(g, x, t, None, 1, -100, tw)
            out.append((str(r.dtype).rsplit(".", 1)[-1], r.numpy().tolist()))
        except Exception as e:  # noqa: BLE001 - the error is what is compared
            out.append((type(e).__name__, str(e).splitlines()[0]))
    assert out[1] == out[0]
