"""Shared derivative formulas (Note [Shared formulas]) and the ops whose nodes now save what
PyTorch's save: values, first and second derivatives, and in-place checks, against PyTorch.

Each check runs one function on both libraries (``lib`` is ``torch`` or ``tensor``) and
compares what comes back.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hypothesis import given, settings, strategies as st  # noqa: E402

import tensor as tk  # noqa: E402
from tensor import _defop  # noqa: E402

pytestmark = pytest.mark.differential

INPLACE = "one of the variables needed for gradient computation has been modified"
RNG = np.random.default_rng(7)


def _arr(*shape, lo=-1.0, hi=1.0):
    return RNG.uniform(lo, hi, shape)


def _np(x):
    if isinstance(x, (tuple, list)):
        return [_np(v) for v in x]
    if x is None or isinstance(x, np.ndarray):
        return x
    return x.detach().numpy() if isinstance(x, torch.Tensor) else np.asarray(x._data)


def both(fn, *arrays):
    """``fn(lib, *tensors)`` on both libraries, tensors made from float64 ``arrays``."""
    out = []
    for lib in (torch, tk):
        ts = [None if a is None else lib.tensor(a, dtype=lib.float64) for a in arrays]
        out.append(fn(lib, *ts))
    return out


def assert_same(theirs, ours, rtol=1e-9, atol=1e-11):
    theirs, ours = _np(theirs), _np(ours)
    if isinstance(theirs, list):
        assert len(theirs) == len(ours)
        for a, b in zip(theirs, ours):
            assert_same(a, b, rtol, atol)
    elif theirs is None:
        assert ours is None
    else:
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


def outcome(fn):
    try:
        fn()
    except RuntimeError as e:
        return "inplace" if INPLACE in str(e) else f"error: {e}"
    return "ok"


# -- the declaration ------------------------------------------------------------------------
def _tensors_always_saved(op):
    schema = _defop.OPS[op].schema
    tensors = {schema.arguments[i].name for i, _ in schema.tensor_args}
    spec = _defop.OPS[op]._ns["_spec"]
    return {n for n in _defop._always_saved(schema, spec) if n in tensors}


@pytest.mark.parametrize("op, names", [
    ("aten::native_layer_norm", {"input", "weight", "bias"}),
    ("aten::native_batch_norm", {"input", "weight", "running_mean", "running_var"}),
    ("aten::native_group_norm", {"input", "weight"}),
    ("aten::_prelu_kernel", {"self", "weight"}),
    ("aten::cholesky_solve", {"self", "input2"}),
    ("aten::linalg_householder_product", {"input", "tau"}),
    ("aten::triangular_solve", {"self", "A"}),
    ("aten::linalg_lstsq", {"self", "b"}),
    ("aten::_weight_norm_interface", {"v", "g"}),
])
def test_shared_formulas_save_all_they_name(op, names):
    spec = _defop.OPS[op]._ns["_spec"]
    assert spec.shared == names
    assert _tensors_always_saved(op) == names


def test_an_unshared_op_saves_under_guards():
    spec = _defop.OPS["aten::mul.Tensor"]._ns["_spec"]
    assert spec.shared == frozenset()
    assert _tensors_always_saved("aten::mul.Tensor") == set()


def test_plain_arguments_are_always_saved():
    # PyTorch keeps a node's non-tensor values whichever inputs need a gradient
    schema = _defop.OPS["aten::add.Tensor"].schema
    spec = _defop.OPS["aten::add.Tensor"]._ns["_spec"]
    assert _defop._always_saved(schema, spec) == {"alpha"}
    x = tk.ones(2, requires_grad=True)
    assert (x + 2).grad_fn._saved_alpha == 1
    assert x.add(tk.ones(2), alpha=3).grad_fn._saved_alpha == 3


# -- norms: gradients from the saved statistics ---------------------------------------------
def _norm_case(lib, which, x, w, b, rm, rv, training):
    if which == "layer":
        return lib.native_layer_norm(x, [x.shape[-1]], w, b, 1e-5)
    if which == "batch":
        return lib.native_batch_norm(x, w, b, rm, rv, training, 0.1, 1e-5)
    n, c = x.shape[:2]
    return lib.native_group_norm(x, w, b, n, c, x[0, 0].numel(), 2, 1e-5)


@pytest.mark.parametrize("which, training", [("layer", True), ("batch", True),
                                             ("batch", False), ("group", True)])
def test_norm_gradients_and_second_derivatives(which, training):
    x = _arr(2, 4, 3) + np.arange(24).reshape(2, 4, 3) * 0.2
    w, b = _arr(3 if which == "layer" else 4, lo=0.5, hi=2), _arr(3 if which == "layer" else 4)
    rm, rv = _arr(4), _arr(4, lo=0.5, hi=2)
    g = _arr(2, 4, 3)

    def run(lib, x, w, b, rm, rv, g):
        for t in (x, w, b):
            t.requires_grad_()
        out = _norm_case(lib, which, x, w, b, rm, rv, training)
        gx, gw, gb = lib.autograd.grad(out[0], (x, w, b), g, create_graph=True)
        # second derivatives: of a scalar mixing all three first derivatives
        second = lib.autograd.grad((gx * gx).sum() + (gw * gw).sum(), (x, w))
        return [out[0], gx, gw, gb, *second]
    theirs, ours = both(run, x, w, b, rm, rv, g)
    assert_same(theirs, ours, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("which", ["layer", "batch", "group"])
@pytest.mark.parametrize("stat", [1, 2])
def test_norm_statistics_are_checked_when_only_bias_needs_grad(which, stat):
    x = _arr(2, 4, 3)

    def run(lib, x, w, b, rm, rv):
        b.requires_grad_()
        out = _norm_case(lib, which, x, w, b, None, None, True)
        with lib.no_grad():
            out[stat].copy_(out[stat].clone())
        return outcome(lambda: out[0].sum().backward())
    n = 3 if which == "layer" else 4
    theirs, ours = both(run, x, _arr(n), _arr(n), None, None)
    assert theirs == ours == "inplace"


# -- linalg ---------------------------------------------------------------------------------
@pytest.mark.parametrize("vector", [False, True])
def test_lstsq_residuals_carry_a_gradient(vector):
    a = _arr(2, 5, 3) + np.eye(5, 3)
    b = _arr(2, 5) if vector else _arr(2, 5, 2)

    def run(lib, a, b):
        a.requires_grad_()
        b.requires_grad_()
        x, res, _, _ = lib.linalg.lstsq(a, b, driver="gelsd")
        weights = lib.arange(1.0, res.numel() + 1, dtype=lib.float64).reshape(res.shape)
        grads = lib.autograd.grad((x * x).sum() + (res * weights).sum(), (a, b))
        return [x, res, *grads, res.requires_grad]
    theirs, ours = both(run, a, b)
    assert theirs[-1] is ours[-1] is True
    assert_same(theirs[:-1], ours[:-1], rtol=1e-8, atol=1e-10)


def test_lstsq_keeps_the_solution():
    def run(lib, a, b):
        a.requires_grad_()
        x = lib.linalg.lstsq(a, b, driver="gelsd")[0]
        with lib.no_grad():
            x.copy_(x.clone())
        return outcome(lambda: x.sum().backward())
    theirs, ours = both(run, _arr(4, 3), _arr(4, 2))
    assert theirs == ours == "inplace"


@pytest.mark.parametrize("shape", [(3, 5), (4, 4), (5, 2)])
def test_qr_needs_only_q_and_r(shape):
    """Writing to A after the forward is no error; the wide case's gradient matches."""
    def run(lib, a):
        a.requires_grad_()
        q, r = lib.linalg.qr(a)
        with lib.no_grad():
            a.copy_(a.clone())
        g = lib.autograd.grad((q.sin().sum() + (r * r).sum()), a, create_graph=True)[0]
        return [g, lib.autograd.grad((g * g).sum(), a)[0]]
    theirs, ours = both(run, _arr(*shape) + np.eye(*shape))
    assert_same(theirs, ours, rtol=1e-7, atol=1e-9)


def test_slogdet_keeps_the_sign():
    def run(lib, a):
        a.requires_grad_()
        sign, logabs = lib.linalg.slogdet(a)
        with lib.no_grad():
            sign.copy_(sign.clone())
        return outcome(lambda: logabs.backward())
    theirs, ours = both(run, _arr(3, 3) + 2 * np.eye(3))
    assert theirs == ours == "inplace"


@pytest.mark.parametrize("target", ["self", "input2", "result"])
def test_cholesky_solve_keeps_all_its_formula_names(target):
    """Only ``self`` needs a gradient, and every tensor of the shared formula is checked."""
    l_arr = np.tril(_arr(3, 3)) + 2 * np.eye(3)

    def run(lib, b, l):
        b.requires_grad_()
        x = lib.cholesky_solve(b, l)
        victim = {"self": b, "input2": l, "result": x}[target]
        with lib.no_grad():
            victim.copy_(victim.clone())
        return outcome(lambda: x.sum().backward())
    theirs, ours = both(run, _arr(3, 2), l_arr)
    assert theirs == ours == "inplace"


# -- weight norm ----------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1])
def test_weight_norm_interface_gradients(dim):
    v, g = _arr(3, 4), _arr(3 if dim == 0 else 4, lo=0.5, hi=2)

    def run(lib, v, g):
        v.requires_grad_()
        g.requires_grad_()
        shape = (-1, 1) if dim == 0 else (1, -1)
        w, norms = lib._weight_norm_interface(v, g.reshape(shape), dim)
        out = lib.autograd.grad(w.sin().sum(), (v, g), retain_graph=True)
        with lib.no_grad():
            norms.copy_(norms.clone())
        return [w, norms, *out, norms.requires_grad,
                outcome(lambda: w.sum().backward())]
    theirs, ours = both(run, v, g)
    assert theirs[-2:] == ours[-2:] == [False, "inplace"]
    assert_same(theirs[:-2], ours[:-2])


# -- embedding bag --------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_embedding_bag_outputs_and_gradients(data):
    """All four outputs (the last bag runs to the end of the indices, even past a last
    offset smaller than their count) and the gradients read from them."""
    k = data.draw(st.integers(0, 6))
    idx = np.asarray(data.draw(st.lists(st.integers(0, 4), min_size=k, max_size=k)), np.int64)
    include_last = data.draw(st.booleans())
    # (with include_last_offset, at least one bag: PyTorch's kernel crashes with none)
    cuts = sorted(data.draw(st.lists(st.integers(0, k), min_size=int(include_last),
                                     max_size=3)))
    offsets = np.asarray([0] + cuts, np.int64)
    mode = data.draw(st.sampled_from([0, 1, 2]))
    pad = data.draw(st.sampled_from([-1, 0]))
    w = RNG.permutation(10).reshape(5, 2) * 0.5 - 2.0     # distinct: strict maxima
    psw = _arr(k) if mode == 0 and data.draw(st.booleans()) else None

    def run(lib, w, psw):
        w.requires_grad_()
        if psw is not None:
            psw.requires_grad_()
        out = lib.ops.aten._embedding_bag(w, lib.tensor(idx), lib.tensor(offsets), False,
                                          mode, False, psw, include_last, pad)
        wanted = (w,) if psw is None else (w, psw)
        grads = lib.autograd.grad((out[0] * out[0]).sum(), wanted, allow_unused=True)
        return [*out, *grads]
    theirs, ours = both(run, w, psw)
    assert_same(theirs, ours)


def test_embedding_bag_keeps_offsets_and_offset2bag():
    def run(lib, w, psw):
        psw.requires_grad_()
        offs = lib.tensor([0, 2])
        out = lib.ops.aten._embedding_bag(w, lib.tensor([1, 0, 2]), offs, False, 0, False,
                                          psw, False, -1)
        with lib.no_grad():
            offs.copy_(offs.clone())
        first = outcome(lambda: out[0].sum().backward(retain_graph=True))
        out = lib.ops.aten._embedding_bag(w, lib.tensor([1, 0, 2]), lib.tensor([0, 2]), False,
                                          0, False, psw, False, -1)
        with lib.no_grad():
            out[1].copy_(out[1].clone())
        return [first, outcome(lambda: out[0].sum().backward())]
    theirs, ours = both(run, _arr(3, 2), _arr(3))
    assert theirs == ours == ["inplace", "inplace"]
