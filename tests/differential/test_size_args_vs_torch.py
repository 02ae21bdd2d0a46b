"""Size arguments (``view(2, -1)``, ``expand(-1, 3)``, ``zeros(2, -3)``...) against PyTorch:
the same shape, or the same error type and message (ours may add a hint after PyTorch's
text). Drawn by hypothesis, negatives included (skipped without torch).

One PyTorch behaviour is not copied: ``expand`` / ``broadcast_to`` of a new leading dim to a
negative size, when another size is 0, returns a tensor whose shape has a negative entry
(``torch.zeros(()).expand(0, -2).shape == (0, -2)``). Such a tensor breaks every later op;
tensorkeys refuses the call with a RuntimeError instead (checked below)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

# each: (name, call(M, x, sizes)); x has the drawn shape
CALLS = {
    "view": lambda M, x, s: x.view(*s),
    "view_tuple": lambda M, x, s: x.view(tuple(s)),
    "reshape": lambda M, x, s: x.reshape(s),
    "reshape_varargs": lambda M, x, s: x.reshape(*s),
    "torch.reshape": lambda M, x, s: M.reshape(x, s),
    "expand": lambda M, x, s: x.expand(*s),
    "expand_list": lambda M, x, s: x.expand(s),
    "expand_as": lambda M, x, s: x.expand_as(M.zeros([max(n, 0) for n in s])),
    "broadcast_to": lambda M, x, s: M.broadcast_to(x, s),
    "repeat": lambda M, x, s: x.repeat(*s),
    "repeat_list": lambda M, x, s: x.repeat(s),
    "tile": lambda M, x, s: x.tile(s),
    "tile_varargs": lambda M, x, s: x.tile(*s),
    "zeros": lambda M, x, s: M.zeros(*s),
    "zeros_list": lambda M, x, s: M.zeros(s),
    "zeros_kw": lambda M, x, s: M.zeros(size=s),
    "ones": lambda M, x, s: M.ones(s),
    "ones_varargs": lambda M, x, s: M.ones(*s),
    "empty": lambda M, x, s: M.empty(*s),
    "empty_list": lambda M, x, s: M.empty(s),
    "full": lambda M, x, s: M.full(s, 2.0),
    "full_tuple": lambda M, x, s: M.full(tuple(s), 2, dtype=M.int64),
    "new_zeros": lambda M, x, s: x.new_zeros(s),
    "new_zeros_varargs": lambda M, x, s: x.new_zeros(*s),
    "new_ones": lambda M, x, s: x.new_ones(*s),
    "new_empty": lambda M, x, s: x.new_empty(s),
    "new_full": lambda M, x, s: x.new_full(s, 3.0),
    "rand": lambda M, x, s: M.rand(*s),
    "rand_list": lambda M, x, s: M.rand(s),
    "randn": lambda M, x, s: M.randn(s),
    "randn_varargs": lambda M, x, s: M.randn(*s),
    "randint": lambda M, x, s: M.randint(0, 5, s),
    "randint_high": lambda M, x, s: M.randint(5, tuple(s)),
    "normal": lambda M, x, s: M.normal(0.0, 1.0, s),
    "empty_strided": lambda M, x, s: M.empty_strided(s, [1] * len(s)),
    "unflatten": lambda M, x, s: x.unflatten(0, s),
    "unflatten_last": lambda M, x, s: x.unflatten(-1, tuple(s)),
    "view_as_shape": lambda M, x, s: x.view(s).view_as(x) if s else x,
    "zeros_size_object": lambda M, x, s: M.zeros(M.Size(s)) if min(s, default=0) >= 0
    else M.zeros(s),
    "zeros_numpy_ints": lambda M, x, s: M.zeros(*[np.int64(n) for n in s]),
    "view_numpy_ints": lambda M, x, s: x.view(*[np.int64(n) for n in s]),
}


def _outcome(M, name, shape, sizes):
    x = M.zeros(shape)
    try:
        r = CALLS[name](M, x, list(sizes))
    except Exception as e:  # noqa: BLE001 - the error is what we compare
        return type(e).__name__, str(e).split("\n")[0]
    return "ok", tuple(r.shape), (r.data_ptr() == x.data_ptr()) if r.numel() else None


def _same(ours, theirs):
    if ours[0] == "ok" or theirs[0] == "ok":
        return ours == theirs
    return ours[0] == theirs[0] and (ours[1] == theirs[1] or
                                     ours[1].startswith(theirs[1].rstrip(".")))


def _negative_shape(outcome):
    return outcome[0] == "ok" and min(outcome[1], default=0) < 0


def _check(name, shape, sizes):
    ours = _outcome(tk, name, shape, sizes)
    theirs = _outcome(torch, name, shape, sizes)
    if _negative_shape(theirs):     # PyTorch's negative-size tensor (module docstring)
        assert ours[0] == "RuntimeError", (name, shape, sizes, ours, theirs)
        return
    assert _same(ours, theirs), (name, shape, sizes, ours, theirs)


@given(name=st.sampled_from(sorted(CALLS)),
       shape=st.lists(st.integers(0, 4), max_size=3),
       sizes=st.lists(st.integers(-3, 6), max_size=4))
def test_size_arguments_match_torch(name, shape, sizes):
    _check(name, shape, sizes)


@pytest.mark.parametrize("name", sorted(CALLS))
@pytest.mark.parametrize("shape,sizes", [((2, 3), ()), ((), ()), ((), (-1,)), ((0,), (-2,)),
                                         ((2, 3), (-1, 2, -1)), ((3,), (2, -3)),
                                         ((1,), (0, -3)), ((), (5, -3, -1)), ((0, 2), (-1, 2))])
def test_edge_sizes_match_torch(name, shape, sizes):
    _check(name, shape, sizes)


@pytest.mark.parametrize("sizes", [(-2, 3), (-3, -1), (6, -2), (-1, -1, -2), (-2, -1, -1),
                                   (-1, -2), (2, -1, -1), (3, -1), (-1,), (6,)])
def test_view_sizes_name_the_first_bad_entry(sizes):
    for name in ("view", "reshape"):
        assert _outcome(tk, name, (2, 3), sizes) == _outcome(torch, name, (2, 3), sizes)


# sizes that are not whole numbers: PyTorch's argument parser words these by position
BAD_TYPES = ["zeros(2.0, 3)", "zeros(2, 3.0)", "zeros([2.0, 3])", "zeros([2, 3.5])",
             "zeros(2.0)", "zeros(None)", "zeros('a')", "zeros(x)", "zeros([2, None])",
             "zeros(True)", "zeros([True, 2])", "zeros(np.float64(2))", "zeros((2,), (3,))",
             "ones(2, 3, 4.0)", "empty([np.float64(2.0)])", "rand(2.0, 3)", "randn(None, 2)",
             "rand([2, 3.5])", "x.new_zeros(2.0)", "x.new_ones([2.0])", "x.new_empty(2, None)",
             "x.view(2.0, 3)", "x.view([2.0, 3])", "x.view(2, 3.0)", "x.view(2.0)",
             "x.reshape(2.0, 3)", "x.reshape([2, 3.0])", "x.reshape(x)", "x.expand(2.0, 3)",
             "x.expand([2, 3.0])", "x.repeat(2.0, 3)", "x.unflatten(0, 6)",
             "x.unflatten(0, [2.0, 3])", "full(2, 1.0)", "full((2, 3.0), 1.0)",
             "x.new_full(2, 1.0)", "randint(5, 3)", "randint(5, [2.0])",
             "empty_strided(3, (1,))", "empty_strided((2, 3.0), (1, 1))",
             "zeros(torch.tensor(3))", "zeros([torch.tensor(2), 3])",
             "zeros(torch.tensor([2, 3]))", "zeros([torch.tensor(2.0)])",
             "x.view(torch.tensor(6))", "zeros()", "ones()", "empty()", "rand()", "randn()",
             "full()", "full((2,))", "x.new_zeros()", "x.new_full()", "x.repeat()",
             "x.tile()", "x.expand()", "x.view()", "x.reshape()", "x.unflatten(0, [])",
             "zeros(size=(2, 3))", "rand(size=[2])", "x.new_zeros(size=(2,))",
             "empty_strided((2, 3), (1,))", "empty_strided((2, 3), (1, -1))",
             "empty_strided((0, 3), (1, -1))", "empty_strided((2, -3), (1,))",
             "normal(0., -1., (2, -3))", "rand(2, -3, dtype=torch.int64)",
             "randint(5, 5, (-2,))", "randint(5, (-2,), dtype=torch.complex64)",
             "torch.zeros(()).unflatten(1, (1,))", "torch.zeros(3, 4).unflatten(1, (5, -1))",
             "x.unflatten(-1, (-1, 2, -1))", "x.unflatten(0, (-2, -3))"]


def _run(M, expr):
    x = M.zeros(6)
    g = {"torch": M, "x": x, "np": np}
    try:
        r = eval(expr if expr.startswith(("x.", "torch.")) else f"torch.{expr}", g)
    except Exception as e:  # noqa: BLE001 - the error is what we compare
        return type(e).__name__, str(e).split("\n")[0]
    return "ok", tuple(r.shape), str(r.dtype)


@pytest.mark.parametrize("expr", BAD_TYPES)
def test_size_argument_types_match_torch(expr):
    ours, theirs = _run(tk, expr), _run(torch, expr)
    assert _same(ours, theirs), (ours, theirs)


OUT_CASES = ["zeros(2, 3, out=o)", "ones([2, 3], out=o)", "full((2, 3), 7.0, out=o)",
             "rand(2, 3, out=o)", "randn(2, 3, out=o)", "empty(2, 3, out=o)",
             "zeros(2, 3, out=i)", "full((2, 3), 7, out=i)", "rand(2, 3, out=i)",
             "zeros(2, 3, out=o, dtype=torch.float64)", "empty(2, 3, out=i, dtype=torch.float32)",
             "zeros(2, -3, out=o)", "ones(-1, out=o)", "rand(2, -3, out=o)",
             "full((2, -3), 1.0, out=o)", "empty(2, -3, out=o)", "zeros(2, 3, out=g)"]


def _run_out(M, expr):
    o, i = M.ones(2, 3), M.ones(2, 3, dtype=M.int64)
    g = M.ones(2, 3, requires_grad=True)
    before = o._version
    try:
        r = eval(f"torch.{expr}", {"torch": M, "o": o, "i": i, "g": g})
    except Exception as e:  # noqa: BLE001 - the error is what we compare
        return type(e).__name__, str(e).split("\n")[0], o._version == before
    same = r is o or r is i
    values = r.tolist() if "rand" not in expr and "empty" not in expr else None
    return "ok", same, tuple(r.shape), str(r.dtype), values, o._version > before


@pytest.mark.parametrize("expr", OUT_CASES)
def test_factory_out_matches_torch(expr):
    ours, theirs = _run_out(tk, expr), _run_out(torch, expr)
    if ours[0] != "ok" and theirs[0] != "ok":
        assert _same(ours[:2], theirs[:2]) and ours[2] == theirs[2], (ours, theirs)
    else:
        assert ours == theirs


def test_out_of_another_shape_is_resized_like_torch():
    """A factory's ``out`` of another shape is resized (with PyTorch's warning, as it held
    elements) and written once."""
    def run(M):
        o = M.ones(4)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = M.zeros(2, 3, out=o)
        return r is o, tuple(o.shape), o.tolist(), o._version, [str(x.message)[:80] for x in w]
    assert run(tk) == run(torch)


def test_failed_calls_change_nothing():
    """A refused size leaves the input and the random generator as they were."""
    x = tk.arange(6.0)
    for bad in (lambda: x.expand(2, -3), lambda: x.view(-2, 3), lambda: x.repeat(-1),
                lambda: x.unflatten(0, (4, -1)), lambda: x.reshape(-1, -1)):
        with pytest.raises(RuntimeError):
            bad()
        assert x.shape == (6,) and x._version == 0 and x.tolist() == list(range(6))
    tk.manual_seed(3)
    want = tk.rand(4).tolist()
    tk.manual_seed(3)
    for bad in (lambda: tk.rand(2, -3), lambda: tk.randn(-1), lambda: tk.randint(0, 4, (-2,)),
                lambda: tk.normal(0.0, 1.0, (2, -1))):
        with pytest.raises(RuntimeError, match="negative dimension"):
            bad()
    assert tk.rand(4).tolist() == want


@given(shape=st.lists(st.integers(0, 4), max_size=3))
def test_size_objects_and_numpy_ints_round_trip(shape):
    """``x.shape`` (a torch.Size) and numpy integers are sizes like any tuple of ints."""
    x = tk.zeros(shape)
    for make in (lambda s: tk.zeros(s), lambda s: tk.ones(*s) if s else tk.ones(s),
                 lambda s: x.new_empty(s), lambda s: tk.full(s, 1.0), lambda s: x.view(s),
                 lambda s: x.reshape(tuple(np.int64(n) for n in s)),
                 lambda s: x.expand(s), lambda s: tk.rand(s)):
        assert tuple(make(x.shape).shape) == tuple(shape)
