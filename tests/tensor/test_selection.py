"""Behavior of opdefs/selection.py against numpy / plain Python (hypothesis where the op has a
rule), plus the exact error texts."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
import hypothesis.extra.numpy as hnp

import tensor as torch
from tensor.opdefs import selection as S

ints = hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=6),
                  elements=st.integers(0, 4))


@settings(max_examples=40, deadline=None)
@given(ints, st.data())
def test_kthvalue_value_is_the_kth_smallest(a, data):
    d = data.draw(st.integers(0, a.ndim - 1))
    k = data.draw(st.integers(1, a.shape[d]))
    v, i = torch.tensor(a).kthvalue(k, d)
    assert np.array_equal(v.numpy(), np.sort(a, axis=d).take(k - 1, axis=d))
    # the index points at an element with that value
    assert np.array_equal(np.take_along_axis(a, np.expand_dims(i.numpy(), d), d).squeeze(d),
                          v.numpy())


@settings(max_examples=40, deadline=None)
@given(ints)
def test_mode_is_the_smallest_most_frequent_value(a):
    v, i = torch.tensor(a).mode(-1)
    for row, val, idx in zip(a.reshape(-1, a.shape[-1]), v.numpy().reshape(-1),
                             i.numpy().reshape(-1)):
        vals, counts = np.unique(row, return_counts=True)
        assert val == vals[np.argmax(counts)] and row[idx] == val


def test_std_sort_replay_sorts_and_is_deterministic():
    rng = np.random.default_rng(0)
    for n in (1, 5, 17, 40, 100):
        pairs = [(float(v), i) for i, v in enumerate(rng.integers(0, 5, n))]
        s = list(pairs)
        S._std_sort(s)
        assert [p[0] for p in s] == sorted(p[0] for p in pairs)
        assert sorted(s) == sorted(pairs)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 8),
                  elements=st.sampled_from([0.0, 1.0, 2.0, float("nan")])))
def test_nanmedian_ignores_nan(a):
    valid = a[~np.isnan(a)]
    want = np.nan if valid.size == 0 else np.sort(valid)[(valid.size - 1) // 2]
    got = torch.tensor(a).nanmedian().item()
    assert (np.isnan(want) and np.isnan(got)) or got == want


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.int64, st.integers(0, 8), elements=st.integers(0, 6)),
       st.integers(0, 9))
def test_bincount_is_numpys(a, minlength):
    assert torch.bincount(torch.tensor(a), minlength=minlength).tolist() == \
        np.bincount(a, minlength=minlength).tolist()


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 6), elements=st.integers(-3, 3)),
       hnp.arrays(np.float64, st.integers(0, 6), elements=st.integers(-4, 4)),
       st.booleans())
def test_searchsorted_and_bucketize_are_numpys(seq, x, right):
    seq = np.sort(seq)
    side = "right" if right else "left"
    want = np.searchsorted(seq, x, side=side).tolist()
    assert torch.searchsorted(torch.tensor(seq), torch.tensor(x), right=right).tolist() == want
    assert torch.bucketize(torch.tensor(x), torch.tensor(seq), right=right).tolist() == want


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.int64, st.integers(0, 10), elements=st.integers(0, 2)))
def test_unique_consecutive_round_trips(a):
    out, inv, cnt = torch.tensor(a).unique_consecutive(return_inverse=True, return_counts=True)
    groups = [k for k, _ in itertools.groupby(a.tolist())]
    assert out.tolist() == groups
    assert out.numpy()[inv.numpy()].tolist() == a.tolist()
    assert cnt.sum().item() == a.size


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_scatter_reduce_matches_a_loop(data):
    n, k = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 6))
    red = data.draw(st.sampled_from(["sum", "prod", "mean", "amax", "amin"]))
    inc = data.draw(st.booleans())
    self_ = np.array(data.draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n)), float)
    idx = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k)))
    src = np.array(data.draw(st.lists(st.integers(-3, 3), min_size=k, max_size=k)), float)
    want = self_.copy()
    for j in range(n):
        got = list(src[idx == j]) + ([self_[j]] if inc else [])
        if not (idx == j).any():
            continue
        f = {"sum": sum, "prod": np.prod, "mean": np.mean, "amax": max, "amin": min}[red]
        want[j] = f(got)
    out = torch.tensor(self_).scatter_reduce(0, torch.tensor(idx), torch.tensor(src), red,
                                             include_self=inc)
    np.testing.assert_allclose(out.numpy(), want)


def test_index_copy_masked_scatter_put():
    z = torch.zeros(2, 3)
    assert z.index_copy(1, torch.tensor([2, 0]), torch.tensor([[1., 2.], [3., 4.]])).tolist() \
        == [[2., 0., 1.], [4., 0., 3.]]
    m = torch.tensor([[True, False, True], [False, True, False]])
    assert z.masked_scatter(m, torch.arange(5.)).tolist() == [[0., 0., 1.], [0., 2., 0.]]
    assert z.put(torch.tensor([0, 0, -1]), torch.ones(3), accumulate=True).tolist() == \
        [[2., 0., 0.], [0., 0., 1.]]


def test_scatter_views_family():
    z = torch.zeros(3, 3)
    assert z.diagonal_scatter(torch.ones(3)).tolist() == np.eye(3).tolist()
    assert z.select_scatter(torch.ones(3), 1, 0).sum().item() == 3
    assert z.slice_scatter(torch.ones(3, 1), 1, 2).tolist() == [[0, 0, 1]] * 3
    assert z.as_strided_scatter(torch.ones(3), (3,), (4,)).tolist() == np.eye(3).tolist()


def test_small_utilities():
    assert [t.tolist() for t in torch.unravel_index(torch.tensor([5]), (2, 3))] == [[1], [2]]
    assert torch.tril_indices(3, 3).tolist() == [list(r) for r in np.tril_indices(3)]
    assert torch.combinations(torch.tensor([1, 2, 3])).tolist() == [[1, 2], [1, 3], [2, 3]]
    assert torch.zeros(3, 3).fill_diagonal_(1).tolist() == np.eye(3).tolist()
    assert torch.tensor([0, 2, 0, 3]).nonzero_static(size=3).tolist() == [[1], [3], [-1]]
    t = torch.arange(4.)
    assert t.clone().apply_(lambda v: v * v).tolist() == [0., 1., 4., 9.]
    assert t.clone().resize_(2, 3).tolist() == [[0., 1., 2.], [3., 0., 0.]]
    assert [p.shape[1] for p in torch.zeros(2, 4).hsplit(2)] == [2, 2]
    v, m = torch.var_mean(torch.tensor([1., 2., 3., 4.]))
    assert (round(v.item(), 6), m.item()) == (round(np.var([1, 2, 3, 4], ddof=1), 6), 2.5)


@pytest.mark.parametrize("expr, err, text", [
    ("torch.zeros(3).kthvalue(4)", RuntimeError,
     "kthvalue(): selected number k out of range for dimension 0"),
    ("torch.zeros(3).scatter_reduce(0, torch.tensor([0]), torch.ones(1), 'foo')", RuntimeError,
     "reduce argument must be either sum, prod, mean, amax or amin, got foo"),
    ("torch.zeros(3).put(torch.tensor([5]), torch.ones(1))", IndexError,
     "out of range: tried to access index 5 on a tensor of 3 elements."),
    ("torch.zeros(3).masked_scatter(torch.ones(3).bool(), torch.ones(2))", RuntimeError,
     "Number of elements of source < number of ones in mask"),
    ("torch.bincount(torch.tensor([-1]))", RuntimeError,
     "bincount only supports 1-d non-negative integral inputs."),
    ("torch.zeros(2, 4).hsplit(3)", RuntimeError,
     "torch.hsplit attempted to split along dimension 1, but the size of the dimension 4 is "
     "not divisible by the split_size 3!"),
    ("torch.zeros(2, requires_grad=True).resize_(3)", RuntimeError,
     "cannot resize variables that require grad"),
])
def test_errors(expr, err, text):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(err) as e:
            eval(expr)
    assert str(e.value).startswith(text)


def test_failed_inplace_changes_nothing():
    t = torch.arange(4.)
    with pytest.raises(IndexError):
        t.index_copy_(0, torch.tensor([0, 9]), torch.ones(2))
    assert t.tolist() == [0., 1., 2., 3.] and t._version == 0
