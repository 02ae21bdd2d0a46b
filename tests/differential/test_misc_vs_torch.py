"""quantile / nanquantile, the conjugate transposes of real tensors, the legacy ``new``
constructor and the CPU build's predicates, side by side with PyTorch (skipped without
torch): values, gradients, the graph's node names, errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

EXPRS = [
    "x.quantile(0.3)", "x.quantile(0.3, dim=1)", "x.quantile(0.5, dim=0, keepdim=True)",
    "x.quantile(torch.tensor([0.25, 0.75]), dim=1, keepdim=True)", "x.nanquantile(0.5, dim=1)",
    "x.quantile(0.5, keepdim=True)", "x.quantile(torch.tensor([0.1, 0.9]), dim=0)",
    "x.nanquantile(torch.tensor([0.1, 0.9]))", "torch.quantile(x, 0.2, 1)",
    "x[0].quantile(0.5, interpolation='lower')", "x[0].quantile(0.5, interpolation='nearest')",
    "x[0].quantile(0.4, interpolation='midpoint')", "x[0].quantile(0.4, interpolation='higher')",
    "x[0].quantile(1.5)", "x[0].quantile(0.5, interpolation='foo')",
    "torch.tensor([1, 2]).quantile(0.5)", "x[0].quantile(torch.tensor([[0.5]]))",
    "torch.tensor([]).quantile(0.5)", "x[0].quantile(torch.tensor([0.5], dtype=torch.float64))",
    "x.quantile(torch.tensor([1.5]))", "torch.tensor(3.).quantile(0.5)",
    "torch.tensor(3.).quantile(0.5, dim=0)", "torch.tensor([0., 1, 2, 3]).quantile(0.5, "
    "interpolation='nearest')", "x.H", "x.mH", "x.adjoint()", "x[0].H", "torch.ones(2, 3, 4).mH.shape",
    "torch.ones(2, 3, 4).H", "x[0].mH", "x[0].adjoint()", "x.new(2, 3).shape", "x.new([1, 2])",
    "x.new(torch.Size([2])).shape", "x.new().shape", "x.is_sparse", "x.is_meta", "x.is_quantized",
    "x.is_pinned()",
]


def _run(M, expr):
    x = M.tensor([[1., 5., 2., 8.], [3., float("nan"), 4., 0.]], requires_grad=True)
    try:
        r = eval(expr, {"torch": M, "x": x})
    except Exception as e:   # noqa: BLE001 - the error is what we compare
        return type(e).__name__, str(e).split("\n")[0]
    if not isinstance(r, M.Tensor):
        return "ok", repr(r)
    if expr.startswith("x.new(") and "[" not in expr:
        return "ok", tuple(r.shape), str(r.dtype)     # uninitialised values
    names, n = [], r.grad_fn
    while n is not None:
        names.append(n.name())
        n = n.next_functions[0][0] if n.next_functions else None
    grad = repr(M.autograd.grad(r.nansum(), x)[0].tolist()) if r.requires_grad else None
    return "ok", repr(r.tolist()), str(r.dtype), names, grad      # (repr: nan == nan)


@pytest.mark.parametrize("expr", EXPRS)
def test_matches_torch(expr):
    assert _run(tk, expr) == _run(torch, expr)


@settings(max_examples=60)
@given(data=st.data(), shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       mode=st.sampled_from(["linear", "lower", "higher", "midpoint", "nearest"]),
       nan=st.booleans(), keepdim=st.booleans())
def test_quantile_property_matches_torch(data, shape, mode, nan, keepdim):
    rng = np.random.default_rng(data.draw(st.integers(0, 10 ** 6)))
    a = rng.integers(-5, 5, size=shape).astype(np.float64) / 2      # ties included
    if nan:
        a.reshape(-1)[rng.integers(0, a.size)] = np.nan
    dim = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    q = data.draw(st.one_of(st.floats(0, 1), st.lists(st.floats(0, 1), min_size=1,
                                                         max_size=3)))
    out = []
    for M in (tk, torch):
        x = M.tensor(a, requires_grad=True)
        qq = M.tensor(q, dtype=M.float64) if isinstance(q, list) else q
        fns = [lambda: x.quantile(qq, dim, keepdim, interpolation=mode),
               lambda: x.nanquantile(qq, dim, keepdim, interpolation=mode)]
        res = []
        for f in fns:
            r = f()
            res.append((r.detach().numpy(), M.autograd.grad(r.nansum(), x)[0].numpy()))
        out.append(res)
    for (ra, ga), (rb, gb) in zip(*out):
        np.testing.assert_allclose(ra, rb, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(ga, gb, rtol=1e-12, atol=1e-12)


PRODUCTS = [
    "torch.ones(2, 3).addmm_(a22, b23, beta=0.5, alpha=2)", "torch.ones(3).addmm_(a22, b23)",
    "torch.ones(2, 1).addmm_(a22, b23)", "torch.ones(3).addmv_(torch.ones(3, 2), v2)",
    "torch.ones(1).addmv_(torch.ones(3, 2), v2)", "torch.ones(2, 3).addr_(v2, torch.ones(3))",
    "torch.ones(3).addr_(v2, torch.ones(3))",
    "torch.ones(2, 2, 3).baddbmm_(torch.ones(2, 2, 4), torch.ones(2, 4, 3), alpha=0.5)",
    "torch.ones(3).baddbmm_(torch.ones(2, 2, 4), torch.ones(2, 4, 3))",
    "torch.ones(2, 3).addbmm_(torch.ones(2, 2, 4), torch.ones(2, 4, 3), beta=0)",
]


@pytest.mark.parametrize("expr", PRODUCTS)
def test_inplace_products_match_torch(expr):
    def run(M):
        ns = {"torch": M, "a22": M.arange(4.).reshape(2, 2), "b23": M.arange(6.).reshape(2, 3),
              "v2": M.tensor([1., -2.])}
        try:
            r = eval(expr, ns)
        except Exception as e:   # noqa: BLE001
            return type(e).__name__, str(e).split("\n")[0]
        return r.tolist(), r._version
    assert run(tk) == run(torch)


def test_inplace_product_records_the_functional_node_and_bumps():
    for M in (tk, torch):
        w = M.ones(2, 2, requires_grad=True)
        x = M.ones(2, 3, requires_grad=True).clone()
        x.addmm_(w, M.ones(2, 3), alpha=3)
        assert x.grad_fn.name() == "AddmmBackward0" and x._version == 1
        x.sum().backward()
        assert w.grad.tolist() == [[9.0, 9.0], [9.0, 9.0]]


TOPLEVEL_FORMS = [
    "torch.hann_window(5)", "torch.hann_window(5, periodic=False)", "torch.hamming_window(4)",
    "torch.hamming_window(6, True, 0.5, 0.3)", "torch.blackman_window(5)",
    "torch.bartlett_window(5)", "torch.bartlett_window(6, periodic=False)",
    "torch.kaiser_window(5)", "torch.kaiser_window(6, False, 5.0)", "torch.hann_window(1)",
    "torch.hann_window(0)", "torch.hann_window(5, dtype=torch.float64)", "torch.hann_window(-1)",
    "torch.hann_window(3, dtype=torch.int64)", "torch.dropout(torch.ones(4), 0.0, True)",
    "torch.layer_norm(torch.arange(3.), [3])", "torch.abs_(torch.tensor([-1.]))",
    "torch.cosine_similarity(torch.ones(2, 3), torch.ones(2, 3))",
    "torch.greater(torch.ones(2), 0)", "torch.clamp_(torch.tensor([-2., 5.]), -1, 1)",
    "torch.swapdims(torch.ones(2, 3), 0, 1).shape", "torch.is_inference(torch.ones(1))",
    "(lambda x: x.flatten(0, 0) is x)(torch.ones(2, 3))",
    "(lambda x: x.flatten() is x)(torch.ones(3))",
    "torch.ones(3, requires_grad=True).flatten().grad_fn",
    "torch.zeros(2).copy_(torch.ones(2, requires_grad=True)).grad_fn.name()",
    "(torch.ones(2, requires_grad=True) * 2).grad_fn.next_functions[0][0].name()",
    "torch.tensor(1.).mH", "torch.hstack([])", "torch.vstack([])", "torch.dstack([])",
    "torch.column_stack([])",
]


@pytest.mark.parametrize("expr", TOPLEVEL_FORMS)
def test_toplevel_forms_match_torch(expr):
    def run(M):
        try:
            r = eval(expr, {"torch": M})
        except Exception as e:   # noqa: BLE001
            return type(e).__name__, str(e).split("\n")[0]
        if isinstance(r, M.Tensor):
            return str(r.dtype), tuple(r.shape), r.tolist()
        return repr(r)
    a, b = run(tk), run(torch)
    if isinstance(a, tuple) and len(a) == 3 and isinstance(b, tuple) and len(b) == 3:
        assert a[:2] == b[:2]
        np.testing.assert_allclose(np.asarray(a[2], float), np.asarray(b[2], float),
                                   rtol=2e-6, atol=1e-7)
    else:
        assert a == b


def _set_story(lib):
    """set_ and is_set_to: shared memory, versions, views, grad rules and errors."""
    out = []

    def note(f):
        try:
            out.append(f())
        except Exception as e:      # noqa: BLE001 - type and message start are compared
            out.append(("raised", "RuntimeError" if isinstance(e, RuntimeError) else
                        type(e).__name__, str(e).split("\n")[0]))

    def shared():
        x, y = lib.ones(3), lib.arange(6.0).view(2, 3)
        r = x.set_(y)
        y[0, 0] = 9
        return (r is x, x.tolist(), x._version, y._version, tuple(x.shape), x.is_set_to(y))

    def views():
        x = lib.ones(3)
        v = x[:2]
        x.set_(lib.zeros(4))
        return v.tolist(), v._version, x._version

    def nonleaf():
        x = lib.ones(3, requires_grad=True).clone()
        y = x.set_(lib.zeros(2))
        return (y.grad_fn.name(), [n.name() if n else None for n, _ in y.grad_fn.next_functions],
                x.requires_grad)

    def backward():
        x = lib.ones(3, requires_grad=True).clone()
        x.set_(lib.zeros(2))
        x.sum().backward()

    def strided():
        t = lib.ones(2, 3).t()
        y = lib.empty(0)
        y.set_(t)
        return tuple(y.shape), y.stride(), y.is_contiguous(), y.is_set_to(t)

    def same():
        x = lib.ones(3)
        return x.is_set_to(x), x.is_set_to(x.view(3)), x.is_set_to(x[:2]), x.is_set_to(
            lib.ones(3))

    for f in (shared, views, nonleaf, backward, strided, same,
              lambda: (lambda x: (x.set_(), tuple(x.shape), x._version))(lib.ones(3))[1:],
              lambda: lib.ones(3, requires_grad=True).set_(lib.zeros(2)),
              lambda: lib.ones(3).set_(lib.zeros(2, dtype=lib.int64)),
              lambda: lib.ones(3, dtype=lib.float64).set_(lib.ones(2))):
        note(f)
    return out


def test_set_and_is_set_to_match_torch():
    ours, theirs = _set_story(tk), _set_story(torch)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        if isinstance(b, tuple) and b[:1] == ("raised",):
            # torch's type and message, to which ours may add a hint
            assert a[:2] == b[:2] and a[2].startswith(b[2]), (a, b)
        else:
            assert a == b


# -- Python types as dtypes, and the constructor warnings ------------------------------------
PY_DTYPES = ["torch.ones(2, dtype=float).dtype", "torch.ones(2, dtype=complex).dtype",
             "torch.zeros(2, dtype=int).dtype", "torch.zeros(2, dtype=bool).dtype",
             "torch.tensor([1], dtype=float).dtype", "torch.ones(1).to(float).dtype",
             "torch.ones(1).to(dtype=complex).dtype", "torch.empty(1, dtype=float).dtype",
             "torch.arange(3, dtype=float).dtype"]


@pytest.mark.parametrize("expr", PY_DTYPES)
@pytest.mark.parametrize("default", ["float32", "float64"])
def test_python_types_as_dtypes_match_torch(expr, default):
    def run(M):
        old = M.get_default_dtype()
        M.set_default_dtype(getattr(M, default))
        try:
            return str(eval(expr, {"torch": M}))
        finally:
            M.set_default_dtype(old)
    assert run(tk) == run(torch)


def test_constructor_warnings_match_torch():
    import warnings

    def run(M):
        out = []
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            M.tensor(M.ones(2, requires_grad=True))
            M.tensor([M.ones(()), M.ones(())])           # (a list of tensors: no warning)
            out.append([str(x.message) for x in w])
        return out
    assert run(tk) == run(torch)


def test_non_writable_numpy_array_warns_once_like_torch():
    import warnings
    from tensor import errors
    errors._WARNED.discard("from_numpy_not_writable")
    a = np.ones(2)
    a.flags.writeable = False
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        tk.from_numpy(a)
        tk.from_numpy(a)
        tk.as_tensor(a)
    assert len(w) == 1 and w[0].category is UserWarning
    msg = str(w[0].message)
    with warnings.catch_warnings(record=True) as tw:
        warnings.simplefilter("always")
        torch.from_numpy(a)
    # (once per process in torch too: it may have warned already in this session)
    assert not tw or str(tw[0].message).startswith(msg)
    assert msg.startswith("The given NumPy array is not writable, and PyTorch does not support "
                          "non-writable tensors.")


def test_promote_types_table_matches_torch():
    import itertools
    names = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32",
             "float64", "complex64", "complex128"]
    for a, b in itertools.product(names, names):
        ours = tk.promote_types(getattr(tk, a), getattr(tk, b))
        theirs = torch.promote_types(getattr(torch, a), getattr(torch, b))
        assert str(ours) == str(theirs), (a, b)
        x = (tk.ones(2, dtype=getattr(tk, a)), tk.ones(2, dtype=getattr(tk, b)))
        y = (torch.ones(2, dtype=getattr(torch, a)), torch.ones(2, dtype=getattr(torch, b)))
        assert str(tk.result_type(*x)) == str(torch.result_type(*y)), (a, b)


def test_make_subclass_and_subclass_repr_match_torch():
    def run(M):
        class Sub(M.Tensor):
            pass
        out = []
        d = M.ones(2)
        p = M.Tensor._make_subclass(Sub, d, True)
        out.append((type(p).__name__, p.requires_grad, p.is_leaf, p._base is None, p._version))
        d.add_(1)                                   # shares memory and the version counter
        out.append((p._version, p.tolist(), M.Tensor._make_subclass(Sub, d).requires_grad))
        out.append(repr(p))
        out.append(repr(M.ones(2, 2).as_subclass(Sub)))
        out.append(repr(M.nn.Parameter(M.zeros(1))))
        for bad in ((Sub, M.ones(2, dtype=M.int64), True), (Sub, [1.0])):
            try:
                M.Tensor._make_subclass(*bad)
            except (RuntimeError, TypeError) as e:
                out.append((type(e).__name__, str(e)))
        return out
    assert run(tk) == run(torch)
