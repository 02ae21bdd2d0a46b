"""``torch.utils.data``: datasets, samplers, collation and the ``DataLoader``.

Random orders (shuffling, random samplers, ``random_split``) come from tensorkeys' generators,
so one seed gives other orders than PyTorch's, with PyTorch's reproducibility: the same seeded
``tensor.Generator`` gives the same order. ``num_workers > 0`` runs the workers in this
process (see ``dataloader``)."""

from .dataloader import (DataLoader, _DatasetKind, default_collate, default_convert,
                         get_worker_info)
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset,
                      Subset, TensorDataset, random_split)
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                      SubsetRandomSampler, WeightedRandomSampler)

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset",
           "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "StackDataset",
           "Subset", "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler",
           "_DatasetKind", "default_collate", "default_convert", "get_worker_info",
           "random_split"]
