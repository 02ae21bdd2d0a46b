"""opdefs/selection.py side by side with PyTorch (skipped without torch): each expression's
printed result (or error type and first line of the message) must be the same, as must the
gradients, grad_fn names and versions of the scripted checks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential


def _env(M):
    return {"torch": M, "x": M.tensor([[3., 1., 2., 1.], [0., 5., 4., 5.]]),
            "I": M.tensor([[0, 1, 2, 0]]), "v": M.tensor([1., 2., 1., 4., 2.5, -1., 7.]),
            "z": M.zeros(3, 4), "a": M.arange(12.).reshape(3, 4)}


def _run(M, expr):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return str(eval(expr, _env(M)))
        except Exception as e:   # noqa: BLE001 - the error is what we compare
            msg = str(e).split("\n")[0]
            return f"{type(e).__name__}: {msg.split(' Hint:')[0].rstrip('.')}"


CASES = [
    'torch.kthvalue(x, 2)',
    'x.kthvalue(1, 0, True)',
    'x.mode()',
    'torch.mode(x, 0)',
    'x.nanmedian()',
    'x.nanmedian(1)',
    'x.msort()',
    'x.aminmax()',
    'torch.aminmax(x, dim=0, keepdim=True)',
    'torch.var_mean(x)',
    'torch.std_mean(x, 1)',
    'torch.var_mean(x, [0, 1], correction=0, keepdim=True)',
    'x.logcumsumexp(1)',
    'x.detach().clone().cumsum_(0)',
    'x.detach().clone().cumprod_(1)',
    'torch.tensor([1,2,3], dtype=torch.int32).cumsum_(0)',
    'torch.kthvalue(x, 5)',
    'torch.kthvalue(torch.tensor(3.), 1)',
    'torch.mode(torch.zeros(2, 0), 1)',
    'torch.tensor([True, False]).kthvalue(1)',
    'torch.tensor([True, False, True]).mode()',
    'torch.nanmedian(torch.tensor([True]))',
    'torch.aminmax(torch.zeros(0))',
    'torch.aminmax(torch.zeros(2,0), dim=1)',
    'torch.logcumsumexp(torch.tensor([1, 2]), 0)',
    'torch.bincount(torch.tensor([0, 2, 2, 5]))',
    'torch.bincount(torch.tensor([0, 2, 2]), torch.tensor([1., 2., 3.]), minlength=5)',
    'torch.bincount(torch.tensor([0, 2, 2]), torch.tensor([1, 2, 3]))',
    'torch.bincount(torch.tensor([-1]))',
    'torch.bincount(torch.tensor([], dtype=torch.int64))',
    'v.histc(4)',
    'v.histc(3, 0, 3)',
    'torch.histc(torch.tensor([1., 1.]), 2)',
    'v.histogram(3)',
    'v.histogram(3, range=(0., 4.), density=True)',
    'v.histogram(torch.tensor([0., 1., 5.]))',
    'v.histogram(2, weight=torch.ones(7) * 2)',
    'torch.bucketize(v, torch.tensor([0., 1., 2.5]))',
    'torch.bucketize(v, torch.tensor([0., 1., 2.5]), right=True, out_int32=True)',
    'torch.searchsorted(torch.tensor([[1, 3, 5], [2, 4, 6]]), torch.tensor([[3, 6], [1, 4]]))',
    "torch.searchsorted(torch.tensor([1, 3, 5]), 3, side='right')",
    'torch.searchsorted(torch.tensor([5, 1, 3]), torch.tensor([3]), sorter=torch.tensor([1, 2, 0]))',
    "torch.searchsorted(torch.tensor([1, 3]), torch.tensor([3]), right=True, side='left')",
    'torch.isin(torch.tensor([1, 2, 3]), torch.tensor([2, 5]))',
    'torch.isin(torch.tensor([1, 2, 3]), 2, invert=True)',
    'torch.isin(3, torch.tensor([1, 3]))',
    'torch.tensor([1, 1, 2, 2, 3, 1, 1]).unique_consecutive(return_inverse=True, return_counts=True)',
    'torch.tensor([[1, 1], [1, 1], [2, 0]]).unique_consecutive(dim=0, return_counts=True)',
    'torch.unique_consecutive(torch.tensor([[1, 1], [1, 1], [2, 0]]), return_inverse=True)',
    'a.renorm(2, 0, 5)',
    'torch.renorm(a, 1, 1, 10)',
    "a.clone().renorm_(float('inf'), 0, 3)",
    'torch.zeros(3, 3).fill_diagonal_(2)',
    'torch.zeros(7, 3).fill_diagonal_(5, wrap=True)',
    'torch.zeros(7, 3).fill_diagonal_(5)',
    'torch.zeros(3, 3, 3).fill_diagonal_(1).sum()',
    'torch.zeros(3, 2, 3).fill_diagonal_(1)',
    'torch.zeros(3).fill_diagonal_(1)',
    '[t.shape for t in a.hsplit(2)]',
    '[t.shape for t in a.hsplit([1, 3])]',
    'a.hsplit(3)',
    '[t.shape for t in a.vsplit(3)]',
    'torch.zeros(2,2,4).dsplit(2)[1].shape',
    'a.dsplit(2)',
    'torch.hsplit(torch.arange(4), 2)',
    'a.unsafe_split(3, 1)',
    'a.unsafe_chunk(2)',
    'a.unsafe_split_with_sizes([1, 3], 1)',
    'torch.unsafe_split(a, 2)',
    'torch.unravel_index(torch.tensor([4, 1, -1]), (3, 2))',
    'torch.unravel_index(torch.tensor(5), (2, 3))',
    'torch.unravel_index(torch.tensor([7]), (2, 3))',
    'torch.tril_indices(3, 3)',
    'torch.triu_indices(3, 4, 1)',
    'torch.tril_indices(4, 3, -1)',
    'torch.combinations(torch.tensor([1, 2, 3]))',
    'torch.combinations(torch.tensor([1., 2.]), 3, True)',
    'torch.combinations(torch.tensor([1, 2]), 3)',
    'a.is_same_size(torch.zeros(3, 4))',
    'torch.is_same_size(a, torch.zeros(4))',
    '(a.new_empty_strided((2, 3), (1, 2)).stride(), a.new_empty_strided((2, 3), (1, 2)).dtype)',
    'torch.nonzero_static(torch.tensor([[0, 1], [2, 0]]), size=3)',
    'torch.tensor([0, 1, 2]).nonzero_static(size=1, fill_value=9)',
    'a.clone().apply_(lambda v: v * 2)',
    'a.clone().map_(torch.ones(4), lambda a, b: a + b)',
    'torch.zeros(2, requires_grad=True).resize_(3)',
    "z.scatter_reduce(0, I, torch.ones(1, 4, dtype=torch.float64), 'sum')",
    "z.scatter_reduce(0, I, torch.ones(1, 4), 'foo')",
    "z.scatter_reduce(0, I.int(), torch.ones(1, 4), 'sum')",
    "z.scatter_reduce(0, I.float(), torch.ones(1, 4), 'sum')",
    "z.scatter_reduce(0, I+5, torch.ones(1, 4), 'sum')",
    "z.scatter_reduce(0, I, torch.ones(1, 2), 'sum')",
    "z.index_reduce(0, torch.tensor([0, 2]), torch.ones(2, 4), 'sum')",
    "z.index_reduce(0, torch.tensor([0, 2]), torch.ones(2, 4), 'mean')",
    "z.index_reduce(0, torch.tensor([0, 5]), torch.ones(2, 4), 'amax')",
    "z.index_reduce(0, torch.tensor([0, 1]).int(), torch.ones(2, 4), 'amax')",
    "z.index_reduce(0, torch.tensor([0, 1]), torch.ones(3, 4), 'amax')",
    "z.index_reduce(0, torch.tensor([0, 1]), torch.ones(2, 4).double(), 'amax')",
    "z.index_reduce(0, torch.tensor([[0, 1]]), torch.ones(2, 4), 'amax')",
    'z.index_copy(0, torch.tensor([0, 5]), torch.ones(2, 4))',
    'z.index_copy(0, torch.tensor([0, 1]).int(), torch.ones(2, 4))',
    'z.index_copy(0, torch.tensor([0, 1]), torch.ones(3, 4))',
    'z.index_copy(0, torch.tensor([0, 1]), torch.ones(2, 4).double())',
    'z.index_copy(0, torch.tensor([0, 1]), torch.ones(2, 3))',
    'z.index_copy(1, torch.tensor([0, 1]), torch.ones(3, 2, 1))',
    'z.masked_scatter(torch.ones(3, 4).bool(), torch.ones(5))',
    'z.masked_scatter(torch.ones(3, 4), torch.ones(12))',
    'z.masked_scatter(torch.ones(3, 4).bool(), torch.ones(12).double())',
    'z.masked_scatter_(torch.ones(2, 3, 4).bool(), torch.ones(24))',
    'z.put(torch.tensor([0, 13]), torch.ones(2))',
    'z.put(torch.tensor([0, 1]).int(), torch.ones(2))',
    'z.put(torch.tensor([0, 1]), torch.ones(3))',
    'z.put(torch.tensor([0, 1]), torch.ones(2).double())',
    'z.select_scatter(torch.ones(4), 0, 5)',
    'z.select_scatter(torch.ones(3), 0, 1)',
    'z.select_scatter(torch.ones(4).double(), 0, 1)',
    'z.slice_scatter(torch.ones(3, 4), 0, 0, 2)',
    'z.diagonal_scatter(torch.ones(4), 0)',
    'z.as_strided_scatter(torch.ones(3), (2,), (1,))',
    'z.as_strided_scatter(torch.ones(2), (2,), (1,), 20)',
    'torch.kthvalue(torch.tensor([3., 1., 2., 1., 3., 1., 2.]), 1)',
    'torch.kthvalue(torch.tensor([3., 1., 2., 1., 3., 1., 2.]), 6)',
    'torch.mode(torch.tensor([2., 1., 1., 2., 3.] * 5))',
    "torch.nanmedian(torch.full((9,), float('nan')), 0)",
    "torch.nanmedian(torch.tensor([1., float('nan'), 1., 2., 1.]), 0)",
    'z.index_copy(1, torch.tensor([3, 0]), torch.arange(6.).reshape(3, 2))',
    'z.masked_scatter(torch.tensor([True, False, True, True]), torch.arange(12.))',
    'z.put(torch.tensor([-1, 3, 3]), torch.tensor([1., 2., 3.]), accumulate=True)',
    'z.select_scatter(torch.ones(3), 1, -1)',
    'z.slice_scatter(torch.ones(3, 2), 1, 1, None, 2)',
    'z.diagonal_scatter(torch.ones(2), -1)',
    'z.as_strided_scatter(torch.arange(4.).reshape(2, 2), (2, 2), (4, 1), 1)',
]


@pytest.mark.parametrize("expr", CASES)
def test_expression_matches_torch(expr):
    assert _run(tk, expr) == _run(torch, expr)


def test_ties_match_torch_on_random_inputs():
    """Note [Which index a tie gets]: kthvalue / mode / nanmedian pick PyTorch's index."""
    import random
    rng = random.Random(7)
    for _ in range(150):
        n = rng.randint(1, 40)
        vals = [float(rng.randint(0, rng.choice([1, 3, 8]))) for _ in range(n)]
        if rng.random() < 0.3:
            for _ in range(rng.randint(1, n)):
                vals[rng.randrange(n)] = float("nan")
        k = rng.randint(1, n)
        for M_expr in ("torch.kthvalue(t, %d)" % k, "torch.mode(t)", "torch.nanmedian(t, 0)"):
            got = [eval(M_expr, {"torch": M, "t": M.tensor(vals, dtype=M.float64)}).indices.item()
                   for M in (tk, torch)]
            assert got[0] == got[1], (M_expr, vals)


def _grads(M, build):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = M.tensor([[3., 1., 2., 1.5], [0., 5., 4., 5.5], [1., -2., 0.5, 7.]], dtype=M.float64,
                     requires_grad=True)
        s = M.tensor([[10., -1., 2., 3.], [4., 6., 6.5, 7.]], dtype=M.float64, requires_grad=True)
        out = build(M, a, s)
        out = out[0] if isinstance(out, tuple) else out
        w = M.arange(float(out.numel()), dtype=M.float64).reshape(out.shape) * 0.5 - 1
        (out * w).sum().backward()
        return (out.grad_fn.name(), out.detach().tolist(), a.grad.tolist(),
                None if s.grad is None else s.grad.tolist())


GRAD_CASES = {
    "kthvalue": lambda M, a, s: M.kthvalue(a, 2, 1),
    "mode": lambda M, a, s: M.mode(a, 0, True),
    "nanmedian": lambda M, a, s: a.nanmedian(),
    "nanmedian_dim": lambda M, a, s: a.nanmedian(1),
    "msort": lambda M, a, s: a.msort(),
    "aminmax": lambda M, a, s: sum(M.aminmax(a, dim=0)),
    "var_mean": lambda M, a, s: M.var_mean(a, 1)[0] * M.var_mean(a, 1)[1],
    "std_mean": lambda M, a, s: M.std_mean(a, [0, 1], correction=0)[0] + M.std_mean(a)[1],
    "logcumsumexp": lambda M, a, s: a.logcumsumexp(1),
    "cumsum_": lambda M, a, s: (a * 1).cumsum_(0),
    "cumprod_": lambda M, a, s: (a * 1).cumprod_(1),
    "index_copy": lambda M, a, s: a.index_copy(0, M.tensor([2, 0]), s),
    "index_copy_": lambda M, a, s: (a * 1).index_copy_(0, M.tensor([2, 0]), s),
    "masked_scatter": lambda M, a, s: a.masked_scatter(M.tensor([True, False, True, False]), s),
    "put": lambda M, a, s: a.put(M.tensor([1, 5, 5, 2, 0, 1, 2, 3]), s, True),
    "put_": lambda M, a, s: (a * 1).put_(M.tensor([1, 5, 6, 2, 0, 11, 4, 3]), s),
    "select_scatter": lambda M, a, s: a.select_scatter(s[0], 0, 1),
    "slice_scatter": lambda M, a, s: a.slice_scatter(s, 0, 1),
    "diagonal_scatter": lambda M, a, s: a.diagonal_scatter(s[0, :3], 0),
    "as_strided_scatter": lambda M, a, s: a.as_strided_scatter(s, (2, 4), (1, 2), 1),
    "renorm": lambda M, a, s: a.renorm(2, 0, 5),
    "renorm_": lambda M, a, s: (a * 1).renorm_(1, 1, 6),
    "fill_diagonal_": lambda M, a, s: (a * 1).fill_diagonal_(2.),
    "unsafe_split": lambda M, a, s: a.unsafe_split(3, 1)[1],
    "combinations": lambda M, a, s: M.combinations(a[0]),
}
for _red in ("sum", "prod", "mean", "amax", "amin"):
    for _inc in (True, False):
        GRAD_CASES[f"scatter_reduce_{_red}_{_inc}"] = (
            lambda M, a, s, r=_red, i=_inc: a.scatter_reduce(
                0, M.tensor([[0, 1, 2, 0], [0, 0, 2, 2]]), s, r, include_self=i))
        if _red != "sum":
            GRAD_CASES[f"index_reduce_{_red}_{_inc}"] = (
                lambda M, a, s, r=_red, i=_inc: a.index_reduce(
                    1, M.tensor([3, 0, 3, 3]), s.t(), r, include_self=i)
                if False else a.index_reduce(0, M.tensor([2, 2]), s, r, include_self=i))


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradients_match_torch(name):
    ours, theirs = _grads(tk, GRAD_CASES[name]), _grads(torch, GRAD_CASES[name])
    assert ours[0] == theirs[0]
    for x, y in zip(ours[1:], theirs[1:]):
        if y is None:
            assert x is None
        else:
            np.testing.assert_allclose(np.asarray(x, float), np.asarray(y, float),
                                       rtol=1e-9, atol=1e-12)


def test_inplace_versions_match_torch():
    def run(M):
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for f in (lambda t: t.cumsum_(0), lambda t: t.cumprod_(1),
                      lambda t: t.index_copy_(0, M.tensor([1]), M.ones(1, 4)),
                      lambda t: t.masked_scatter_(M.tensor([True, False, True, True]),
                                                  M.arange(12.)),
                      lambda t: t.put_(M.tensor([1, 5]), M.ones(2)),
                      lambda t: t.scatter_reduce_(0, M.tensor([[0, 1]]), M.ones(1, 2), "sum"),
                      lambda t: t.index_reduce_(0, M.tensor([1]), M.ones(1, 4), "amax"),
                      lambda t: t.renorm_(2, 0, 1), lambda t: t.fill_diagonal_(3.),
                      lambda t: t.resize_(2, 2), lambda t: t.apply_(lambda v: v + 1)):
                t = M.arange(12.).reshape(3, 4)
                v0 = t._version
                r = f(t)
                out.append((r is t, t._version - v0,
                            np.round(np.asarray(t.tolist(), float), 5).tolist()))
        return out
    assert run(tk) == run(torch)


def test_inplace_on_leaf_requiring_grad_is_refused_like_torch():
    def run(M):
        t = M.zeros(3, 4, requires_grad=True)
        try:
            t.index_copy_(0, M.tensor([1]), M.ones(1, 4))
        except RuntimeError as e:
            return str(e).split("\n")[0][:60]
    assert run(tk) == run(torch)
