"""``tensor.utils.data`` side by side with ``torch.utils.data`` (skipped without torch): the
same program prints the same lines (shuffled orders are compared as sets)."""

from __future__ import annotations

import contextlib
import io
import textwrap

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
