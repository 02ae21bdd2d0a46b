"""Behavior of surface_more / opdefs/surface_ops beyond the differential tests."""

import numpy as np
from hypothesis import given, settings, strategies as st

import tensor as torch


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 5), st.lists(st.integers(0, 4), min_size=1, max_size=6))
def test_embedding_matches_numpy_take(rows, idx):
    idx = [i % rows for i in idx]
    w = np.arange(rows * 2, dtype=np.float64).reshape(rows, 2)
    out = torch.embedding(torch.tensor(w), torch.tensor(idx))
    assert np.array_equal(out.numpy(), w[idx])


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 20), st.floats(0, 1))
def test_binomial_in_range_and_seeded(n, p):
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    c, q = torch.full((50,), float(n)), torch.full((50,), p)
    a, b = torch.binomial(c, q, generator=g1), torch.binomial(c, q, generator=g2)
    assert torch.equal(a, b) and bool(((a >= 0) & (a <= n)).all())
    assert bool((a == a.round()).all())


def test_binomial_mean_follows_distribution():
    r = torch.binomial(torch.full((4000,), 10.), torch.full((4000,), 0.3),
                       generator=torch.Generator().manual_seed(0))
    assert abs(float(r.mean()) - 3.0) < 0.15


def test_share_memory_is_honest_and_settings_round_trip():
    t = torch.ones(2)
    assert t.share_memory_() is t and not t.is_shared()
    assert torch.set_flush_denormal(True) is False
    torch.set_warn_always(True)
    assert torch.is_warn_always_enabled()
    torch.set_warn_always(False)
    assert not torch.is_warn_always_enabled()
    assert torch.get_num_interop_threads() >= 1


def test_from_dlpack_shares_numpy_memory():
    n = np.arange(3.)
    t = torch.from_dlpack(n)
    t[0] = 9
    assert n[0] == 9
