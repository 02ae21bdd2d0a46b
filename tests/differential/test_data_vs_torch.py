"""``tensor.utils.data`` side by side with ``torch.utils.data`` (skipped without torch): the
same program prints the same lines (shuffled orders are compared as sets), and each case of
``CASES`` gives the same value (tensors by dtype, shape and values), the same warnings, or the
same error type and first line of message."""

from __future__ import annotations

import contextlib
import io
import textwrap
import warnings

import pytest

torch = pytest.importorskip("torch")

import tensor as tk  # noqa: E402

pytestmark = pytest.mark.differential

PROGRAM = textwrap.dedent('''
from collections import namedtuple
D = torch.utils.data
X = torch.arange(20.).reshape(10, 2); Y = torch.arange(10)
ds = D.TensorDataset(X, Y)
print(len(ds), [t.tolist() for t in ds[3]])
dl = D.DataLoader(ds, batch_size=4)
print(len(dl), [(b[0].shape, b[1].tolist()) for b in dl])
dl = D.DataLoader(ds, batch_size=4, drop_last=True); print(len(dl), [b[1].tolist() for b in dl])
print(sorted(sum([b[1].tolist() for b in D.DataLoader(ds, batch_size=3, shuffle=True)], [])))
print(D.default_collate([1, 2, 3]), D.default_collate([1.5, 2.5]), D.default_collate([(1, 2.), (3, 4.)]), D.default_collate([{"a": torch.ones(2)}, {"a": torch.zeros(2)}])["a"].shape)
print(D.default_collate([[1, 2], [3, 4]]), D.default_collate(["a", "b"]), D.default_collate([True, False]))
P = namedtuple("P", "x y"); print(D.default_collate([P(1, 2), P(3, 4)]))
a, b = D.random_split(ds, [7, 3]); print(len(a), len(b), sorted([int(a[i][1]) for i in range(len(a))] + [int(b[i][1]) for i in range(len(b))]))
a, b = D.random_split(ds, [0.5, 0.5]); print(len(a), len(b))
print(len(D.DataLoader(ds, batch_size=None)), next(iter(D.DataLoader(ds, batch_size=None)))[1])
class Sq(D.Dataset):
    def __len__(self): return 5
    def __getitem__(self, i): return i * i
print([b.tolist() for b in D.DataLoader(Sq(), batch_size=2)])
try: D.TensorDataset(torch.ones(2), torch.ones(3))
except Exception as e: print(type(e).__name__, e)
try: D.random_split(ds, [3, 3])
except Exception as e: print(type(e).__name__, e)
print(len(ds + ds), (ds + ds)[12][1])
''')


def _run(M):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(PROGRAM, {"torch": M, "__name__": "prog"})
    return out.getvalue()


def test_data_utilities_match_torch():
    assert _run(tk) == _run(torch)


PRELUDE = textwrap.dedent('''
import collections, random, warnings
import numpy as np
D = M.utils.data
P = collections.namedtuple("P", "x y")


class It(D.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))


class ItL(It):
    def __len__(self):
        return self.n


class Lying(D.IterableDataset):
    def __iter__(self):
        return iter(range(5))

    def __len__(self):
        return 3


class NoIter(D.IterableDataset):
    pass


class WorkerIds(D.Dataset):
    def __len__(self):
        return 7

    def __getitem__(self, i):
        w = D.get_worker_info()
        return (i, -1 if w is None else w.id, -1 if w is None else w.num_workers)


class WorkerSeeds(D.IterableDataset):
    def __iter__(self):
        w = D.get_worker_info()
        for _ in range(2):
            yield (w.id, w.seed - M.initial_seed(), random.random() == random.random())


class Shard(D.IterableDataset):
    def __init__(self, start, end):
        self.start, self.end = start, end

    def __iter__(self):
        return iter(range(self.start, self.end))


def shard_init(wid):
    info = D.get_worker_info()
    ds = info.dataset
    per = -(-(ds.end - ds.start) // info.num_workers)
    ds.start = ds.start + wid * per
    ds.end = min(ds.start + per, ds.end)


def bad_init(wid):
    raise ValueError("init failed %d" % wid)


class KeyFails(D.Dataset):
    def __len__(self):
        return 3

    def __getitem__(self, i):
        raise KeyError("nope")


class OnlyGetitem(D.Subset):
    def __getitem__(self, i):
        return 0


def set_attr(name, value, **kw):
    dl = D.DataLoader(range(3), **kw)
    setattr(dl, name, value)
    return getattr(dl, name)


def persistent(ds, **kw):
    dl = D.DataLoader(ds, persistent_workers=True, **kw)
    return [list(dl), list(dl), iter(dl) is iter(dl)]
''')

CASES = [
    # default_collate / default_convert
    "D.default_collate([np.array([1, 2]), np.array([3, 4])])",
    "D.default_collate([np.float32(1), np.float32(2)])",
    "D.default_collate([np.array(['a']), np.array(['b'])])",
    "D.default_collate([[1, 2], [3]])",
    "D.default_collate([object()])",
    "D.default_collate([M.ones(2), M.ones(3)])",
    "D.default_collate([M.ones(2, dtype=M.int32), M.zeros(2, dtype=M.int32)])",
    "D.default_collate([(1, 'a'), (2, 'b')])",
    "D.default_collate([P(M.ones(2), 1.0), P(M.zeros(2), 2.0)])",
    "D.default_collate([{'a': [1, 2]}, {'a': [3, 4]}])",
    "D.default_collate([collections.OrderedDict(a=1.5), collections.OrderedDict(a=2.5)])",
    "D.default_collate([b'x', b'y'])",
    "D.default_collate([True, False])",
    "D.default_collate([np.bool_(True), np.bool_(False)])",
    "D.default_convert({'a': np.array([1, 2]), 'b': (np.int64(3), 's')})",
    "D.default_convert([np.array(['x']), 1.5])",
    "D.default_convert(P(np.zeros(2), 3))",
    "D.default_convert(np.float64(2.5))",
    # samplers
    "list(D.BatchSampler(range(10), 3, False))",
    "list(D.BatchSampler(range(10), 3, True))",
    "(len(D.BatchSampler(range(10), 3, True)), len(D.BatchSampler(range(10), 3, False)))",
    "D.BatchSampler(range(10), 0, True)",
    "D.BatchSampler(range(10), True, True)",
    "D.BatchSampler(range(10), 2, 1)",
    "D.RandomSampler(range(3), replacement=1)",
    "D.RandomSampler(range(3), num_samples=0)",
    "D.RandomSampler(range(3), num_samples=2.0)",
    "D.RandomSampler(range(0))",
    "(len(D.RandomSampler(range(3), num_samples=7)), len(D.RandomSampler(range(4))))",
    "D.WeightedRandomSampler([1., 2.], 0)",
    "D.WeightedRandomSampler([1., 2.], True)",
    "D.WeightedRandomSampler([1., 2.], 2, replacement=0)",
    "D.WeightedRandomSampler([[1., 2.]], 2)",
    "D.WeightedRandomSampler([1., 2.], 3).weights",
    "sorted(D.WeightedRandomSampler([1., 2.], 3, replacement=False))",
    "sorted(D.WeightedRandomSampler([0., 2., 0.], 3))",
    "len(D.Sampler())",
    "list(D.SequentialSampler('abc'))",
    "(len(D.SubsetRandomSampler([5, 6, 7])), sorted(D.SubsetRandomSampler([5, 6, 7])))",
    # datasets
    "D.ConcatDataset([])",
    "D.ConcatDataset([It(3)])",
    "list(It(2) + It(3))",
    "type(It(2) + It(3)).__name__",
    "list(D.ChainDataset([It(2), [1]]))",
    "len(D.ChainDataset([ItL(2), ItL(3)]))",
    "len(D.ChainDataset([ItL(2), It(3)]))",
    "D.StackDataset(range(2), range(3))",
    "D.StackDataset()",
    "D.StackDataset(range(2), a=range(2))",
    "D.StackDataset(range(2), 'ab')[1]",
    "D.StackDataset(a=range(2), b='ab')[1]",
    "D.StackDataset(a=range(2), b='ab').__getitems__([1, 0])",
    "D.StackDataset(range(2), D.Subset('xyz', [2, 0])).__getitems__([1, 0])",
    "list(D.DataLoader(D.StackDataset(a=range(4), b=range(4, 8)), batch_size=3))",
    "D.Subset(range(10), range(3, 6)).indices",
    "D.Subset(range(10), [3, 4]).__getitems__([1])",
    "OnlyGetitem(range(3), [0])",
    "(D.TensorDataset(M.ones(2)) + D.TensorDataset(M.ones(3))).cumulative_sizes",
    "D.ConcatDataset([range(2)]).cummulative_sizes",
    "D.ConcatDataset([range(2), range(3)])[-6]",
    "D.ConcatDataset([range(2), range(3)])[-5]",
    "D.Dataset()[0]",
    "It(2)[0]",
    "NoIter()",
    "[[len(s) for s in D.random_split(range(n), [0.3, 0.3, 0.4])] for n in range(12)]",
    "[len(s) for s in D.random_split(range(2), [0.5, 0.25, 0.25])]",
    "D.random_split(range(2), [1.5, -0.5])",
    "D.random_split(range(4), [0.3, 0.3])",
    "D.random_split(range(4), [2, 1])",
    "type(D.random_split(range(4), [2, 2])[0].indices).__name__",
    # DataLoader over iterable datasets
    "list(D.DataLoader(It(5), batch_size=2))",
    "list(D.DataLoader(It(5), batch_size=2, drop_last=True))",
    "list(D.DataLoader(It(3), batch_size=None))",
    "len(D.DataLoader(It(3)))",
    "(len(D.DataLoader(ItL(5), batch_size=2)), len(D.DataLoader(ItL(5), batch_size=None)))",
    "len(D.DataLoader(ItL(5), batch_size=2, drop_last=True))",
    "D.DataLoader(It(3), shuffle=True)",
    "list(D.DataLoader(It(3), shuffle=False))",
    "D.DataLoader(It(3), sampler=[0])",
    "D.DataLoader(It(3), batch_sampler=[[0]])",
    "[len(D.DataLoader(Lying(), batch_size=2)), len(list(D.DataLoader(Lying(), batch_size=2)))]",
    "(lambda dl: [len(dl), len(list(dl))])(D.DataLoader(Lying(), batch_size=2))",
    # argument checks
    "D.DataLoader(range(3), sampler=[0], shuffle=True)",
    "D.DataLoader(range(3), batch_sampler=[[0]], batch_size=2)",
    "D.DataLoader(range(3), batch_sampler=[[0]], drop_last=True)",
    "D.DataLoader(range(3), batch_sampler=[[0]], shuffle=True)",
    "D.DataLoader(range(3), batch_sampler=[[0]], sampler=[0])",
    "D.DataLoader(range(3), batch_size=None, drop_last=True)",
    "D.DataLoader(range(3), num_workers=-1)",
    "D.DataLoader(range(3), timeout=-1)",
    "D.DataLoader(range(3), prefetch_factor=2)",
    "D.DataLoader(range(3), persistent_workers=True)",
    "D.DataLoader(range(3), num_workers=1, prefetch_factor=-1)",
    "D.DataLoader(range(3), multiprocessing_context='spawn')",
    "D.DataLoader(range(3), num_workers=1, multiprocessing_context='bogus')",
    "D.DataLoader(range(3), num_workers=1, multiprocessing_context=3)",
    "D.DataLoader(range(3), num_workers=1, multiprocessing_context='fork').prefetch_factor",
    "(D.DataLoader(range(3), num_workers=1).prefetch_factor,"
    " D.DataLoader(range(3)).prefetch_factor)",
    "list(D.DataLoader(range(3), timeout=1))",
    "set_attr('batch_size', 3)",
    "set_attr('sampler', [0])",
    "set_attr('num_workers', 3)",
    "set_attr('collate_fn', len)",
    "D.DataLoader(range(3), num_workers=64).num_workers",
    # batching, collation, pin_memory
    "list(D.DataLoader(range(5), batch_sampler=[[0, 1], [4]]))",
    "len(D.DataLoader(range(5), batch_sampler=[[0, 1], [4]]))",
    "(lambda dl: (dl.batch_size, dl.drop_last))(D.DataLoader(range(5), batch_sampler=[[0]]))",
    "list(D.DataLoader(range(3), pin_memory=True))",
    "list(D.DataLoader(range(3), pin_memory=True, pin_memory_device='cuda'))",
    "list(D.DataLoader([np.array([1., 2.]), np.array([3., 4.])], batch_size=None))",
    "list(D.DataLoader([{'a': 1}, {'a': 2}], batch_size=2))",
    "list(D.DataLoader([('s', 1.5)] * 3, batch_size=2))",
    "list(D.DataLoader(range(6), batch_size=4, collate_fn=lambda b: sum(b)))",
    "list(D.DataLoader(range(6), sampler=[5, 0, 3], batch_size=2))",
    "len(D.DataLoader(range(6), sampler=[5, 0, 3], batch_size=2, drop_last=True))",
    "type(D.DataLoader(range(6)).sampler).__name__",
    "type(D.DataLoader(range(6), shuffle=True).sampler).__name__",
    "type(D.DataLoader(range(6), batch_size=None).batch_sampler).__name__",
    "D.DataLoader(range(6), batch_size=None).collate_fn.__name__",
    "D.get_worker_info()",
    # workers (emulated here, processes in PyTorch)
    "[list(D.DataLoader(WorkerIds(), batch_size=2, num_workers=n)) for n in (0, 1, 2, 3)]",
    "list(D.DataLoader(range(7), batch_size=3, num_workers=2))",
    "list(D.DataLoader(It(5), batch_size=2, num_workers=2))",
    "list(D.DataLoader(WorkerSeeds(), batch_size=2, num_workers=2))",
    "list(D.DataLoader(Shard(3, 10), num_workers=2, worker_init_fn=shard_init))",
    "list(D.DataLoader(Shard(3, 10), num_workers=2))",
    "list(D.DataLoader(Shard(3, 10), batch_size=2, num_workers=3, worker_init_fn=shard_init))",
    "list(D.DataLoader(Shard(3, 10), batch_size=2, num_workers=3, worker_init_fn=shard_init, "
    "drop_last=True))",
    "persistent(Shard(3, 10), batch_size=2, num_workers=2, worker_init_fn=shard_init)",
    "(lambda dl: iter(dl) is iter(dl))(D.DataLoader(range(3), num_workers=1))",
    "list(D.DataLoader(range(4), num_workers=2, worker_init_fn=bad_init))",
    "list(D.DataLoader(KeyFails(), num_workers=1))",
    "list(D.DataLoader(KeyFails()))",
    "(lambda ds: (list(D.DataLoader(ds, num_workers=2, worker_init_fn=shard_init)), ds.start,"
    " ds.end))(Shard(3, 10))",
]


def _show(M, x):
    """A comparable text of ``x``: tensors by dtype, shape and values; containers by type."""
    if isinstance(x, M.Tensor):
        return f"T({x.dtype},{tuple(x.shape)},{x.tolist()})"
    if isinstance(x, dict):
        inner = ",".join(f"{k}:{_show(M, v)}" for k, v in x.items())
        return f"{type(x).__name__}{{{inner}}}"
    if isinstance(x, (list, tuple)):
        return f"{type(x).__name__}[{','.join(_show(M, v) for v in x)}]"
    if isinstance(x, (int, float, str, bytes, bool, type(None))):
        return repr(x)
    return type(x).__name__


def _case(M, expr):
    ns = {"M": M, "__name__": "prog"}
    exec(PRELUDE, ns)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = "OK " + _show(M, eval(expr, ns))
        except Exception as e:          # noqa: BLE001 - compared with torch's
            result = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    msgs = [(w.category.__name__, str(w.message).replace(" object at 0x", "@").split("@")[0])
            for w in caught]
    return result, msgs


@pytest.mark.parametrize("expr", CASES)
def test_case_matches_torch(expr):
    assert _case(tk, expr) == _case(torch, expr)


def test_random_orders_are_permutations_and_seeded_like_torch():
    """Orders differ from torch's (another stream), but what they are made of does not."""
    for M in (tk, torch):
        D = M.utils.data
        g = M.Generator().manual_seed(3)
        a = list(D.DataLoader(range(9), batch_size=4, shuffle=True, generator=g))
        g.manual_seed(3)
        b = list(D.DataLoader(range(9), batch_size=4, shuffle=True, generator=g))
        assert [t.tolist() for t in a] == [t.tolist() for t in b]
        assert sorted(sum((t.tolist() for t in a), [])) == list(range(9))
        assert [len(t) for t in a] == [4, 4, 1]
