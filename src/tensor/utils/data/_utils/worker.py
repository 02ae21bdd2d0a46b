"""Data-loading workers, emulated in this process.

PyTorch's ``num_workers > 0`` starts worker processes; tensorkeys runs each worker's work in
the main process instead, one task at a time, keeping what a worker process would see:

* its own shallow copy of the dataset (``get_worker_info().dataset``), so a
  ``worker_init_fn`` that reconfigures it (the usual way to shard an ``IterableDataset``)
  leaves the loader's dataset and the other workers' copies alone;
* its own random streams: the default ``tensor`` generator seeded with
  ``base_seed + worker_id``, Python's ``random`` with the same seed and numpy's global
  generator with PyTorch's mix of the two (``_generate_state``); they are swapped in while
  the worker runs and out afterwards, so the main process's streams are untouched;
* ``get_worker_info()`` set while it runs (``None`` in the main process);
* ``worker_init_fn(worker_id)`` called once, before its first task.

Batches come back in the sampler's order (batch ``i`` done by worker ``i % num_workers``),
so the data are the same as with ``num_workers=0``. An error raised in a worker is raised
again in the caller as PyTorch does it: same type, message starting ``Caught <Type> in
DataLoader worker process <id>.``.
"""

from __future__ import annotations

import copy
import random
import traceback
from dataclasses import dataclass

import numpy as np

__all__ = ["WorkerInfo", "get_worker_info"]

_worker_info = None


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What ``get_worker_info()`` tells code running in a worker."""

    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str | None = "multiprocessing"


def get_worker_info():
    """The current worker's ``WorkerInfo``; ``None`` in the main process."""
    return _worker_info


def _generate_state(base_seed, worker_id):
    """numpy's seed for a worker: four 32-bit words hashed from the base seed and the worker
    id (the SeedSequence-style mix PyTorch uses, so numpy streams of different workers
    differ)."""
    INIT_A, MULT_A = 0x43B0D7E5, 0x931E8875
    INIT_B, MULT_B = 0x8B51F9DD, 0x58F38DED
    MIX_L, MIX_R = 0xCA01F9DD, 0x4973F715
    SHIFT, MASK = 16, 0xFFFFFFFF
    entropy = [worker_id, base_seed & MASK, base_seed >> 32, 0]
    const_a = INIT_A

    def hash_(value):
        nonlocal const_a
        value = (value ^ const_a) & MASK
        const_a = (const_a * MULT_A) & MASK
        value = (value * const_a) & MASK
        return (value ^ (value >> SHIFT)) & MASK

    def mix(x, y):
        r = ((MIX_L * x) & MASK) - ((MIX_R * y) & MASK)
        r &= MASK
        return (r ^ (r >> SHIFT)) & MASK

    pool = [hash_(e) for e in entropy]
    for src in range(4):
        for dst in range(4):
            if src != dst:
                pool[dst] = mix(pool[dst], hash_(pool[src]))
    const_b = INIT_B
    state = []
    for value in pool:
        value = (value ^ const_b) & MASK
        const_b = (const_b * MULT_B) & MASK
        value = (value * const_b) & MASK
        state.append((value ^ (value >> SHIFT)) & MASK)
    return state


def _rng_states():
    from .... import get_rng_state
    return get_rng_state(), random.getstate(), np.random.get_state()


def _set_rng_states(states):
    from .... import set_rng_state
    set_rng_state(states[0])
    random.setstate(states[1])
    np.random.set_state(states[2])


class KeyErrorMessage(str):
    """A ``KeyError`` message shown as is (``str(KeyError(m))`` would quote it)."""

    def __repr__(self):
        return self


def reraise_from_worker(exc, worker_id):
    """Raise ``exc`` (caught in a worker) again as PyTorch does across processes."""
    where = f"in DataLoader worker process {worker_id}"
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    msg = f"Caught {type(exc).__name__} {where}.\nOriginal {text}"
    if isinstance(exc, KeyError):
        msg = KeyErrorMessage(msg)
    try:
        new = type(exc)(msg)
    except Exception:
        raise RuntimeError(msg) from exc
    raise new from exc


class _Worker:
    """One emulated worker: its dataset copy, random streams and fetcher."""

    def __init__(self, worker_id, num_workers, dataset, base_seed, init_fn, make_fetcher):
        self.id = worker_id
        seed = base_seed + worker_id
        try:
            ds = copy.copy(dataset)
        except Exception:     # an uncopyable dataset is shared, as a thread worker's is
            ds = dataset
        self.dataset = ds
        self.info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=ds)
        self.make_fetcher = make_fetcher
        self.fetcher = None
        self.init_error = None
        from .... import Generator
        main = _rng_states()
        try:
            random.seed(seed)
            g = Generator().manual_seed(seed)
            np.random.seed(_generate_state(base_seed, worker_id))
            self.rng = [g.get_state(), random.getstate(), np.random.get_state()]
            self.run(self._start, init_fn)
        finally:
            _set_rng_states(main)

    def _start(self, init_fn):
        try:
            if init_fn is not None:
                init_fn(self.id)
            self.fetcher = self.make_fetcher(self.dataset)
        except Exception as e:          # reported with the worker's first task, as PyTorch
            self.init_error = e

    def restart(self):
        """A new pass over the data (persistent workers): a fresh fetcher."""
        self.run(lambda: setattr(self, "fetcher", self.make_fetcher(self.dataset)))

    def run(self, fn, *args):
        """Call ``fn`` as this worker: its random streams and ``get_worker_info()``."""
        global _worker_info
        main = _rng_states()
        saved_info = _worker_info
        _set_rng_states(self.rng)
        _worker_info = self.info
        try:
            return fn(*args)
        finally:
            self.rng = list(_rng_states())
            _worker_info = saved_info
            _set_rng_states(main)

    def fetch(self, index):
        if self.init_error is not None:
            e, self.init_error = self.init_error, None
            reraise_from_worker(e, self.id)
        try:
            return self.run(self.fetcher.fetch, index)
        except StopIteration:
            raise
        except Exception as e:
            reraise_from_worker(e, self.id)
