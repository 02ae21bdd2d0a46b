"""tensor.utils.data: batching covers every sample once, in order or shuffled."""

from __future__ import annotations

from hypothesis import given, strategies as st

import tensor
from tensor.utils.data import DataLoader, TensorDataset, random_split


@given(n=st.integers(0, 30), bs=st.integers(1, 8), shuffle=st.booleans(),
       drop_last=st.booleans())
def test_loader_batches(n, bs, shuffle, drop_last):
    ds = TensorDataset(tensor.arange(float(2 * n)).reshape(n, 2), tensor.arange(n))
    dl = DataLoader(ds, batch_size=bs, shuffle=shuffle, drop_last=drop_last)
    batches = list(dl)
    assert len(batches) == len(dl)
    seen = [int(i) for _, y in batches for i in y.tolist()]
    assert all(len(y) == bs for _, y in batches[:-1])
    if drop_last:
        assert len(seen) == (n // bs) * bs
    else:
        assert sorted(seen) == list(range(n))
    if not shuffle:
        assert seen == sorted(seen)
    for x, y in batches:
        assert x[:, 0].tolist() == [2.0 * i for i in y.tolist()]


@given(n=st.integers(1, 40), k=st.integers(1, 5))
def test_random_split_partitions(n, k):
    sizes = [n // k] * k
    sizes[0] += n - sum(sizes)
    parts = random_split(TensorDataset(tensor.arange(n)), sizes)
    got = sorted(int(p[i][0]) for p in parts for i in range(len(p)))
    assert got == list(range(n)) and [len(p) for p in parts] == sizes
