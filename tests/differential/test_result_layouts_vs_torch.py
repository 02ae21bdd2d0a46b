"""The strides of results against PyTorch, for inputs in several memory layouts.

Users see a result's layout through ``stride()`` / ``is_contiguous()``. Each case builds the
same values in one memory layout in both libraries (C order, Fortran order, other
permutations, a strided slice; shapes with and without dims of size 1), runs one expression
and compares every result's shape, strides and contiguity (and its values, which the layout
must not change). The families:

- results PyTorch allocates C-contiguous whatever the input's layout: reductions over dims
  (keepdim or not), softmax / log_softmax, scans (cumsum ...), norms, padding, gather,
  masked_fill / masked_scatter, cdist, convolution ...;
- elementwise results, which follow TensorIterator's layout rules: the operands' own strides
  when they all share them (a dim of size 1 too), else the dims ordered by the operands'
  strides, a wrapped number (``x - 1``) or a broadcast operand counting as one more operand;
- LAPACK results: column-major matrices, the batch outermost.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

SHAPES = [(3, 4), (3, 1), (1, 3), (2, 3, 4), (3, 1, 3), (2, 1, 1), (1, 1, 3), (4, 3, 1),
          (2, 1, 3, 1)]


def _orders(nd):
    """Physical dim orders (slowest first) tried for ``nd`` dims: C, Fortran, and for three
    or more dims two more permutations."""
    out = [tuple(range(nd)), tuple(reversed(range(nd)))]
    if nd >= 3:
        out += [(1, 0) + tuple(range(2, nd)), (nd - 1,) + tuple(range(nd - 1))]
    return out


LAYOUTS = [(shape, order) for shape in SHAPES for order in _orders(len(shape))]
LAYOUTS += [((3, 4), "sliced"), ((2, 1, 3), "sliced")]


def _values(shape, seed=0):
    return np.random.default_rng(seed).uniform(-2.0, 2.0, size=shape)


def make(M, arr, order):
    """``arr`` as a tensor of ``M`` laid out with dims in physical ``order`` (slowest first),
    or, for "sliced", as every other element of a buffer twice as long in the last dim."""
    if order == "sliced":
        buf = np.zeros(arr.shape[:-1] + (2 * arr.shape[-1],))
        buf[..., ::2] = arr
        return M.from_numpy(buf)[..., ::2]
    base = M.from_numpy(np.ascontiguousarray(arr.transpose(order)))
    return base.permute(*np.argsort(order).tolist())


def _layout(t):
    return tuple(t.shape), tuple(t.stride()), t.is_contiguous()


def _run(M, expr, shape, order, y_order):
    """``expr`` over ``x`` (laid out in ``order``) and ``y`` (same shape, other values, laid
    out in ``y_order``)."""
    x = make(M, _values(shape), order)
    y = make(M, _values(shape, seed=1), y_order)
    r = eval(expr, {"torch": M, "F": M.nn.functional, "x": x, "y": y})
    return list(r) if isinstance(r, (tuple, list)) else [r]


def compare(expr, shape, order, y_order=None):
    y_order = order if y_order is None else y_order
    theirs = _run(torch, expr, shape, order, y_order)
    ours = _run(tk, expr, shape, order, y_order)
    assert len(theirs) == len(ours)
    for a, b in zip(theirs, ours):
        assert _layout(b) == _layout(a), expr
        np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)


# Ops computed on the inline fast path of a numpy ufunc (Note [Inline fast paths]): numpy
# orders the result's dims in memory as PyTorch does, but when a dim of size 1 of a
# non-contiguous input shares its stride with another dim (these two layouts) it gives that
# dim its own stride; PyTorch copies the input's. (Checking the input's layout there would
# slow down every call on contiguous tensors.)
_UFUNC_FAST = {"x.sin()", "F.relu(x)", "F.silu(x)", "F.gelu(x)", "x.abs()", "x.eq(0.5)",
               "F.l1_loss(x, y, reduction='none')"}
_NUMPY_OWN_SIZE1 = {((3, 1, 3), (2, 0, 1)), ((4, 3, 1), (1, 0, 2))}


def _params(exprs, layouts=LAYOUTS):
    out = []
    for e, (s, o) in itertools.product(exprs, layouts):
        marks = ()
        if e in _UFUNC_FAST and (s, o) in _NUMPY_OWN_SIZE1:
            marks = pytest.mark.xfail(strict=True, reason="numpy's strides for size-1 dims "
                                      "on an inline ufunc fast path")
        out.append(pytest.param(e, s, o, id=f"{e}|{s}|{o}", marks=marks))
    return out


REDUCTIONS = ["x.sum(-1)", "x.sum(0, keepdim=True)", "x.sum(-1, keepdim=True)",
              "x.sum((0, -1))", "x.mean(0)", "x.mean(-1, keepdim=True)",
              "x.nansum(0, keepdim=True)", "x.prod(0, keepdim=True)", "x.prod(-1)",
              "x.amax(-1, keepdim=True)", "x.max(0, keepdim=True)", "x.argmin(-1)",
              "x.var(0, keepdim=True)", "torch.var_mean(x, 0, keepdim=True)",
              "x.logsumexp(-1, keepdim=True)", "x.norm(dim=0, keepdim=True)",
              "torch.aminmax(x, dim=0, keepdim=True)",
              "(x > 0).any(0, keepdim=True)", "(x > 0).all(-1)"]
SOFTMAX_SCANS = ["x.softmax(-1)", "x.softmax(0)", "x.log_softmax(-1)", "x.log_softmax(0)",
                 "x.cumsum(0)", "x.cumsum(-1)", "x.cumprod(0)", "x.logcumsumexp(-1)",
                 "x.cummax(0)"]
CONTIGUOUS = ["x.masked_fill(x > 0, 0.5)", "x.masked_fill(x > 0, torch.tensor(0.5))",
              "x.masked_scatter(x > 0, y)", "x.gather(0, torch.zeros_like(x, dtype=torch.long))",
              "x.gather(-1, torch.zeros_like(x, dtype=torch.long))", "F.pad(x, (1, 1))",
              "F.pad(x, (0, 0, 1, 0))", "F.layer_norm(x, x.shape[-1:])",
              "torch.native_layer_norm(x, x.shape[-1:], None, None, 1e-5)",
              "torch.native_batch_norm(x, None, None, None, None, True, 0.1, 1e-5)",
              "torch.cdist(x, y)", "x.roll(1, 0)", "x.tril()", "x.triu(1)",
              "x.renorm(2, 0, 1.0)", "F.logsigmoid(x)",
              "torch.ops.aten.rrelu_with_noise(x, torch.zeros_like(x), 0.1, 0.3, False)"]
UNARY = ["x.sin()", "x - 1", "x.sub(1, alpha=2)", "x * 2", "x.sign()", "x.sgn()", "x.sinc()",
         "x.nan_to_num()", "F.elu(x)", "F.celu(x)", "F.selu(x)", "F.leaky_relu(x)",
         "F.softplus(x)", "torch.frexp(x)", "x.clamp(-1, 1)", "x.pow(2)", "F.hardtanh(x)",
         "F.threshold(x, 0.1, 0.)", "F.hardshrink(x)", "x.clone()", "x.to(torch.float32)",
         "F.relu(x)", "F.gelu(x)", "F.silu(x)", "x.abs()", "x.eq(0.5)", "x.flip(0)",
         "x.sort(0)", "x.remainder(2)", "x.fmod(2)", "2 - x", "x.div(2, rounding_mode='trunc')",
         "torch.special.entr(x)", "torch.special.log_ndtr(x)", "x.digamma()"]
BINARY = ["x + y", "x.remainder(y)", "x ** y", "torch.addcmul(x, y, x)",
          "torch.addcdiv(x, y, y)", "torch.where(x > 0, x, y)", "torch.lerp(x, y, 0.3)",
          "torch.clamp(x, x, y)", "x.div(y, rounding_mode='floor')",
          "F.smooth_l1_loss(x, y, reduction='none')", "F.mse_loss(x, y, reduction='none')",
          "F.huber_loss(x, y, reduction='none')", "F.l1_loss(x, y, reduction='none')",
          "F.binary_cross_entropy(x.clamp(0.05, 0.95), y.clamp(0.05, 0.95), "
          "reduction='none')"]


@pytest.mark.filterwarnings("ignore:var:UserWarning")      # (a dim of size 1: dof <= 0)
@pytest.mark.parametrize("expr, shape, order", _params(REDUCTIONS))
def test_reduction_results_are_contiguous(expr, shape, order):
    compare(expr, shape, order)


@pytest.mark.parametrize("expr, shape, order", _params(SOFTMAX_SCANS + CONTIGUOUS))
def test_results_pytorch_allocates_contiguous(expr, shape, order):
    compare(expr, shape, order)


@pytest.mark.parametrize("expr, shape, order", _params(UNARY))
def test_unary_elementwise_layout(expr, shape, order):
    compare(expr, shape, order)


@pytest.mark.parametrize("expr, shape, order", _params(BINARY))
def test_binary_elementwise_layout(expr, shape, order):
    compare(expr, shape, order)


_MIXED = [(s, o) for s, o in LAYOUTS if o != "sliced" and len(s) == 3]


def _mixed_params():
    out = []
    for e, (s, o) in itertools.product(["x + y", "y + x", "torch.addcmul(x, y, y)",
                                        "torch.where(y > 0, x, y)"], _MIXED):
        # (``y + x`` with a C-contiguous ``y`` runs add's inline fast path, where numpy picks
        # the strides of dims of size 1, not always the same ones)
        if e != "y + x" or 1 not in s:
            out.append(pytest.param(e, s, o, id=f"{e}|{s}|{o}"))
    return out


@pytest.mark.parametrize("expr, shape, order", _mixed_params())
def test_elementwise_layout_with_a_contiguous_operand(expr, shape, order):
    """The first operand that orders two dims decides (a C-contiguous ``y`` first makes a
    C-contiguous result, a C-contiguous ``y`` second does not; numpy settles such a
    disagreement with C order either way)."""
    compare(expr, shape, order, y_order=tuple(range(len(shape))))


@pytest.mark.parametrize("expr", [
    "x - 1", "x.sub(1, alpha=2)", "x.add(1)", "x * 2", "x.clamp(0.2, 0.4)", "x.softmax(0)",
    "x.sum(0, keepdim=True)", "x.cumsum(1)", "x.masked_fill(x > 0.5, 0.0)", "F.elu(x)",
    "x.unsqueeze(0).transpose(0, 2) - 1", "x.t().unsqueeze(0).transpose(0, 2) - 1",
    "x + torch.ones(3, 1, dtype=torch.float64)"])
def test_transposed_vectors(expr):
    """A transposed column (strides (1, 1) for a (1, 3) tensor: contiguous, with a stride
    of size-1 dim that differs from C order's) through the ops' general paths."""
    def run(M):
        x = M.from_numpy(_values((3, 1))).t()
        r = eval(expr, {"torch": M, "F": M.nn.functional, "x": x})
        return _layout(r), r.detach().numpy()
    (lt, vt), (lo, vo) = run(torch), run(tk)
    assert lo == lt
    np.testing.assert_allclose(vo, vt, rtol=1e-12)


LAPACK = ["torch.linalg.qr(a)", "torch.linalg.qr(a, mode='complete')", "torch.qr(a)",
          "torch.linalg.svd(a, full_matrices=False)", "torch.svd(a)",
          "torch.linalg.svd(a.mT, full_matrices=False)",
          "torch.linalg.solve_triangular(torch.eye(a.shape[-2], dtype=a.dtype) + 0.5, a, "
          "upper=True)",
          "torch.cholesky_solve(a, torch.eye(a.shape[-2], dtype=a.dtype))",
          "torch.triangular_solve(a, torch.eye(a.shape[-2], dtype=a.dtype) + 0.5)"]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("expr", LAPACK)
@pytest.mark.parametrize("shape", [(3, 1), (1, 3), (3, 3), (3, 2), (2, 3, 1), (2, 1, 3)])
def test_lapack_results_are_column_major(expr, shape):
    """Each matrix column-major, the batch outermost; a dim of size 1 gets the stride
    PyTorch's rule gives it (``(1, 3)`` for a (3, 1) matrix). Only the layouts are
    compared (the signs of singular vectors may differ)."""
    def run(M):
        a = M.from_numpy(_values(shape))
        r = eval(expr, {"torch": M, "a": a})
        return [_layout(t) for t in (r if isinstance(r, tuple) else [r])]
    assert run(tk) == run(torch)


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("order", [(0, 1, 2, 3), (3, 2, 1, 0)])
def test_convolution_result_is_contiguous(transposed, order):
    """Including a channel dim of size 1 (transposed: the result is a crop of a larger
    buffer on our side, PyTorch's strides are C order's)."""
    def run(M):
        x = make(M, _values((1, 2, 3, 3)), order)
        w = M.from_numpy(_values((2, 1, 1, 2), seed=2))
        r = M.ops.aten.convolution(x, w, None, [2, 1], [1, 0], [1, 1], transposed, [0, 0],
                                   1 if transposed else 2)
        return _layout(r), r.detach().numpy()
    (lt, vt), (lo, vo) = run(torch), run(tk)
    assert lo == lt
    np.testing.assert_allclose(vo, vt, rtol=1e-12)


@pytest.mark.parametrize("shape, strides", [((1, 3), (1, 1)), ((3, 1), (1, 3)), ((2, 3), (1, 2)),
                                            ((1, 1), (7, 9)), ((2, 1, 3), (3, 7, 1)),
                                            ((1,), (5,))])
def test_unsqueeze_stride_of_the_new_dim(shape, strides):
    """PyTorch's rule: size times stride of the dim the new one lands before (1 at the end),
    also for a contiguous tensor whose dims of size 1 have strides other than C order's."""
    def run(M):
        x = M.zeros(64, dtype=M.float64).as_strided(shape, strides)
        return [x.unsqueeze(d).stride() for d in range(-len(shape) - 1, len(shape) + 1)]
    assert run(tk) == run(torch)
