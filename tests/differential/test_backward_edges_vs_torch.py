"""Backward passes at their awkward inputs, compared with PyTorch: cumprod with zeros next to
infinities (PyTorch's first-order rule, Note [cumprod's two backward rules]), aminmax at a
NaN, as_strided over overlapping windows (and its second derivative), and the graph PyTorch's
C++ composites record (pairwise_distance, trapezoid, cumulative_trapezoid, the nuclear norm).
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

torch = pytest.importorskip("torch")

import tensor  # noqa: E402
from tensor.autograd import gradcheck, gradgradcheck  # noqa: E402

pytestmark = pytest.mark.differential

# zeros, infinities and NaN often enough that lines hold several of them
AWKWARD = st.sampled_from([0.0, 0.0, 1.5, -2.0, 3.0, float("inf"), float("-inf"),
                           float("nan")])


def _grad(lib, x, fn, g):
    t = lib.tensor(x, requires_grad=True)
    fn(lib, t).backward(lib.tensor(g))
    return t.grad.numpy()


@settings(max_examples=200)
@given(data=st.data())
def test_cumprod_backward_with_zeros_and_infinities(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    x = data.draw(hnp.arrays(np.float64, shape, elements=AWKWARD))
    g = data.draw(hnp.arrays(np.float64, shape, elements=st.floats(-2, 2)))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    ours = _grad(tensor, x, lambda lib, t: t.cumprod(dim), g)
    theirs = _grad(torch, x, lambda lib, t: t.cumprod(dim), g)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0, equal_nan=True)


def test_cumprod_second_order_uses_the_omitted_products():
    """With create_graph the quadratic rule runs (and is differentiable): same as PyTorch's."""
    x = np.array([2.0, 0.0, -1.5, 0.0, 3.0])
    for lib in (tensor, torch):
        t = lib.tensor(x, requires_grad=True)
        g, = lib.autograd.grad(t.cumprod(0).sum(), t, create_graph=True)
        gg, = lib.autograd.grad(g.sum(), t)
        if lib is tensor:
            ours = (g.detach().numpy(), gg.numpy())
        else:
            theirs = (g.detach().numpy(), gg.numpy())
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    t = tensor.tensor(x, requires_grad=True)
    assert gradgradcheck(lambda v: v.cumprod(0), (t,))


@pytest.mark.parametrize("which", ["min", "max", "both"])
@pytest.mark.parametrize("values", [[1.0, float("nan"), 3.0], [1.0, 3.0, 3.0],
                                    [2.0, 2.0, 1.0], [[1.0, float("nan")], [2.0, 2.0]]])
@pytest.mark.parametrize("dim", [None, 0, -1])
def test_aminmax_gradient_matches(which, values, dim):
    def run(lib):
        t = lib.tensor(values, requires_grad=True)
        mn, mx = lib.aminmax(t) if dim is None else lib.aminmax(t, dim=dim)
        out = {"min": mn, "max": mx, "both": mn * 2 + mx}[which]
        out.sum().backward()
        assert mn.grad_fn.name() == "AminmaxBackward0"
        return t.grad.numpy()
    np.testing.assert_array_equal(run(tensor), run(torch))


@pytest.mark.parametrize("size,stride,offset", [((3, 2), (1, 1), 1), ((2,), (0,), 0),
                                                ((2, 2), (2, 1), 2), ((4,), (1,), None)])
def test_as_strided_backward_sums_overlaps(size, stride, offset):
    def run(lib):
        x = lib.arange(6.0, dtype=lib.float64).requires_grad_()
        y = x.as_strided(size, stride, offset)
        y.backward(lib.arange(float(np.prod(size)), dtype=lib.float64).reshape(size))
        return x.grad.numpy(), y.grad_fn.name()
    (g1, n1), (g2, n2) = run(tensor), run(torch)
    np.testing.assert_array_equal(g1, g2)
    assert n1 == n2
    x = tensor.arange(6.0, dtype=tensor.float64).requires_grad_()
    assert gradgradcheck(lambda v: v.as_strided(size, stride, offset) ** 2, (x,))


def _graph(lib, fn):
    y = lib.tensor([[1.0, 2.0, 4.0], [0.0, 1.0, 3.0]], requires_grad=True)
    x1 = lib.tensor([0.0, 1.0, 3.0])
    r = fn(lib, y, x1)
    names = [r.grad_fn.name()] + [n.name() if n is not None else None
                                  for n, _ in r.grad_fn.next_functions]
    return r.detach().numpy(), names


@pytest.mark.parametrize("name,fn", [
    ("trapezoid_x", lambda lib, y, x: lib.trapezoid(y, x)),
    ("trapezoid_x_2d", lambda lib, y, x: lib.trapezoid(y, x.expand(2, 3) + y.detach())),
    ("trapezoid_dx", lambda lib, y, x: lib.trapezoid(y, dx=2)),
    ("cumulative_trapezoid_x", lambda lib, y, x: lib.cumulative_trapezoid(y, x)),
    ("cumulative_trapezoid_dx", lambda lib, y, x: lib.cumulative_trapezoid(y, dx=2.5)),
    ("cumulative_trapezoid", lambda lib, y, x: lib.cumulative_trapezoid(y)),
    ("pairwise_distance", lambda lib, y, x: lib.nn.functional.pairwise_distance(y, x)),
    ("pairwise_distance_p1", lambda lib, y, x: lib.nn.functional.pairwise_distance(
        y, x, p=1, keepdim=True)),
    ("norm_nuc", lambda lib, y, x: lib.norm(y, "nuc")),
    ("norm_nuc_keepdim", lambda lib, y, x: y.norm("nuc", keepdim=True)),
])
def test_composites_record_pytorchs_graph(name, fn):
    (v1, n1), (v2, n2) = _graph(tensor, fn), _graph(torch, fn)
    np.testing.assert_allclose(v1, v2, rtol=1e-6)
    assert n1 == n2


@pytest.mark.parametrize("p,dim", [("bogus", None), ("fro", (0, 1, 2)), ("nuc", None)])
def test_string_norm_errors(p, dim):
    def run(lib):
        x = lib.ones(2, 3, 4)
        with pytest.raises(Exception) as e:
            lib.norm(x, p, dim=dim)
        return type(e.value), str(e.value).split("\n")[0]
    assert run(tensor) == run(torch)


@pytest.mark.parametrize("call", [
    lambda lib, x: x.sum(1), lambda lib, x: x.cumsum(1), lambda lib, x: x.prod(),
    lambda lib, x: x.prod(1), lambda lib, x: x.nansum(1), lambda lib, x: x.nanmean(),
    lambda lib, x: lib.cov(x), lambda lib, x: lib.corrcoef(x)])
def test_reductions_over_infinities_warn_nothing(call):
    """inf - inf inside a sum is an ordinary NaN for PyTorch: no numpy RuntimeWarning
    escapes (Note [Floating-point warnings stay inside])."""
    data = [[float("inf"), float("-inf"), 0.0, float("nan")], [1e38, 1e38, -0.0, 2.0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        # the package filter, as outside pytest (pytest drops the one set at import)
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"tensor(\.|$)")
        ours = call(tensor, tensor.tensor(data)).numpy()
    theirs = call(torch, torch.tensor(data)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, equal_nan=True)
