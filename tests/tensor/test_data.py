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


# -- samplers: properties of random orders ---------------------------------------------------
import random  # noqa: E402
from collections import Counter  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from tensor.utils import data as D  # noqa: E402


def _gen(seed):
    return tensor.Generator().manual_seed(seed)


@given(n=st.integers(1, 20), seed=st.integers(0, 2 ** 32))
def test_random_sampler_is_a_reproducible_permutation(n, seed):
    a = list(D.RandomSampler(range(n), generator=_gen(seed)))
    assert sorted(a) == list(range(n))
    assert a == list(D.RandomSampler(range(n), generator=_gen(seed)))
    assert len(D.RandomSampler(range(n))) == n


@given(n=st.integers(1, 8), k=st.integers(1, 40), seed=st.integers(0, 2 ** 32))
def test_random_sampler_num_samples_without_replacement(n, k, seed):
    """Whole permutations back to back, the last one cut short."""
    a = list(D.RandomSampler(range(n), num_samples=k, generator=_gen(seed)))
    assert len(a) == k
    for s in range(0, k - k % n, n):
        assert sorted(a[s:s + n]) == list(range(n))
    assert len(set(a[k - k % n:])) == k % n


@given(n=st.integers(1, 6), k=st.integers(1, 80), seed=st.integers(0, 2 ** 32))
def test_random_sampler_with_replacement(n, k, seed):
    s = D.RandomSampler(range(n), replacement=True, num_samples=k, generator=_gen(seed))
    a = list(s)
    assert len(a) == len(s) == k and all(0 <= i < n for i in a)
    assert a == list(D.RandomSampler(range(n), True, k, generator=_gen(seed)))


def test_random_sampler_replacement_is_uniform():
    a = list(D.RandomSampler(range(4), replacement=True, num_samples=4000, generator=_gen(1)))
    counts = Counter(a)
    assert all(abs(counts[i] - 1000) < 150 for i in range(4))


def test_sampler_without_generator_follows_the_default_seed():
    tensor.manual_seed(5)
    a = list(D.RandomSampler(range(10)))
    tensor.manual_seed(5)
    assert list(D.RandomSampler(range(10))) == a
    s = D.RandomSampler(range(30))
    assert list(s) != list(s)          # a new order at each pass (30! orders)


@given(idx=st.lists(st.integers(-5, 50), max_size=12, unique=True), seed=st.integers(0, 99))
def test_subset_random_sampler_permutes_the_indices(idx, seed):
    a = list(D.SubsetRandomSampler(idx, generator=_gen(seed)))
    assert sorted(a) == sorted(idx)
    assert a == list(D.SubsetRandomSampler(idx, generator=_gen(seed)))


@given(w=st.lists(st.sampled_from([0.0, 0.5, 1.0, 3.0]), min_size=1, max_size=8),
       k=st.integers(1, 10), seed=st.integers(0, 99))
def test_weighted_sampler_never_draws_zero_weights(w, k, seed):
    positive = [i for i, x in enumerate(w) if x > 0]
    if not positive:
        return
    a = list(D.WeightedRandomSampler(w, k, generator=_gen(seed)))
    assert len(a) == k and set(a) <= set(positive)
    if k <= len(positive):
        b = list(D.WeightedRandomSampler(w, k, replacement=False, generator=_gen(seed)))
        assert len(set(b)) == k and set(b) <= set(positive)


def test_weighted_sampler_follows_the_weights():
    a = list(D.WeightedRandomSampler([1.0, 3.0, 0.0, 4.0], 8000, generator=_gen(2)))
    counts = Counter(a)
    assert counts[2] == 0
    for i, p in ((0, 1 / 8), (1, 3 / 8), (3, 4 / 8)):
        assert abs(counts[i] / 8000 - p) < 0.03


@given(n=st.integers(0, 25), bs=st.integers(1, 7), drop=st.booleans())
def test_batch_sampler_chunks(n, bs, drop):
    got = list(D.BatchSampler(range(n), bs, drop))
    want = [list(range(s, min(s + bs, n))) for s in range(0, n, bs)]
    if drop:
        want = [b for b in want if len(b) == bs]
    assert got == want and len(D.BatchSampler(range(n), bs, drop)) == len(want)


# -- DataLoader -------------------------------------------------------------------------------
class _Noisy(D.Dataset):
    """Each sample carries its worker's seed and a draw from each current random stream."""

    def __len__(self):
        return 9

    def __getitem__(self, i):
        info = D.get_worker_info()
        return (info.seed, float(tensor.rand(()).item()), random.random(),
                float(np.random.rand()))


@given(n=st.integers(0, 20), bs=st.sampled_from([None, 1, 3]), workers=st.integers(1, 2),
       drop=st.booleans())
def test_workers_give_the_same_batches_as_the_main_process(n, bs, workers, drop):
    if bs is None:
        drop = False
    ds = TensorDataset(tensor.arange(n))
    one = [b[0].tolist() for b in DataLoader(ds, batch_size=bs, drop_last=drop)]
    many = [b[0].tolist() for b in DataLoader(ds, batch_size=bs, drop_last=drop,
                                              num_workers=workers)]
    assert one == many


def test_workers_have_their_own_random_streams():
    random.seed(0)
    np.random.seed(0)
    py_state, np_state = random.getstate(), np.random.get_state()[1].copy()
    tensor.manual_seed(0)
    batches = list(DataLoader(_Noisy(), batch_size=3, num_workers=2))
    after = tensor.get_rng_state()
    # the main streams moved only by the one base-seed draw
    tensor.manual_seed(0)
    tensor.empty((), dtype=tensor.int64).random_()
    assert tensor.equal(after, tensor.get_rng_state())
    assert random.getstate() == py_state and (np.random.get_state()[1] == np_state).all()
    # batches 0 and 1 start the streams of workers 0 and 1, seeded base_seed + worker id
    seeds = [int(b[0][0]) for b in batches]
    assert seeds[1] == seeds[0] + 1 and seeds[2] == seeds[0]
    for b in batches[:2]:
        seed = int(b[0][0])
        want = tensor.rand((), generator=tensor.Generator().manual_seed(seed))
        assert float(b[1][0]) == float(want)
        assert float(b[2][0]) == random.Random(seed).random()
    assert float(batches[0][3][0]) != float(batches[1][3][0])
    # the same base seed gives the same draws
    tensor.manual_seed(0)
    again = list(DataLoader(_Noisy(), batch_size=3, num_workers=2))
    assert all(tensor.equal(x, y) for a, b in zip(batches, again) for x, y in zip(a, b))


def test_worker_info_and_init_fn():
    seen = []

    def init(wid):
        info = D.get_worker_info()
        seen.append((wid, info.id, info.num_workers, info.seed == tensor.initial_seed()))

    assert D.get_worker_info() is None
    list(DataLoader(range(5), num_workers=2, worker_init_fn=init))
    assert seen == [(0, 0, 2, True), (1, 1, 2, True)]
    assert D.get_worker_info() is None


def test_timeout_with_workers():
    class Slow(D.Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            import time
            time.sleep(0.05)
            return i

    with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 0.01 seconds"):
        list(DataLoader(Slow(), num_workers=1, timeout=0.01))
    assert len(list(DataLoader(Slow(), num_workers=1, timeout=5))) == 2


@given(n=st.integers(0, 30), fracs=st.sampled_from([[0.5, 0.5], [0.3, 0.3, 0.4],
                                                    [0.1, 0.9], [1 / 3] * 3]))
def test_random_split_fractions(n, fracs):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parts = random_split(range(n), fracs, generator=_gen(0))
    sizes = [len(p) for p in parts]
    floors = [int(np.floor(n * f)) for f in fracs]
    assert sum(sizes) == n
    assert all(0 <= s - f <= 1 for s, f in zip(sizes, floors))
    assert sorted(i for p in parts for i in p) == list(range(n))


@given(shape=st.lists(st.integers(0, 3), max_size=3), k=st.integers(1, 4))
def test_default_collate_stacks_like_numpy(shape, k):
    arrays = [np.full(shape, i, np.float32) for i in range(k)]
    out = D.default_collate(arrays)
    assert out.dtype == tensor.float32 and tuple(out.shape) == (k, *shape)
    np.testing.assert_array_equal(out.numpy(), np.stack(arrays))
    out = D.default_collate([tensor.from_numpy(a) for a in arrays])
    np.testing.assert_array_equal(out.numpy(), np.stack(arrays))
