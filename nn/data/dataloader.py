"""Datasets and mini-batches, with PyTorch's names: ``Dataset``, ``TensorDataset``, ``Subset``,
``random_split`` and ``DataLoader``.

A ``DataLoader`` over a ``TensorDataset`` takes each batch with one fancy index per array
(no Python loop over the samples); over any other dataset it stacks the samples it gets.
Shuffling draws from graphgrad's generator, so ``autograd.manual_seed`` makes it repeatable.

>>> import numpy as np
>>> data = TensorDataset(np.arange(10.0).reshape(5, 2), np.array([0, 1, 0, 1, 1]))
>>> [y.tolist() for _, y in DataLoader(data, batch_size=2)]
[[0, 1], [0, 1], [1]]
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "DataLoader"]


class Dataset:
    """A sized collection of samples: subclasses define ``__getitem__`` and ``__len__``."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} has no __len__")


class TensorDataset(Dataset):
    """Samples are the rows of arrays (or Tensors) with the same first dimension.

    >>> TensorDataset(np.zeros((3, 4)), np.arange(3))[1][1]
    tensor(1)
    """

    def __init__(self, *arrays: Any):
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = [a.data if isinstance(a, Tensor) else np.asarray(a) for a in arrays]
        sizes = [len(a) if a.ndim else None for a in self.arrays]
        if None in sizes or len(set(sizes)) != 1:
            shapes = ", ".join(str(a.shape) for a in self.arrays)
            raise ValueError(f"TensorDataset: every array needs the same first dimension, got shapes {shapes}")

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(Tensor(a[index]) for a in self.arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset, self.indices = dataset, np.asarray(indices, dtype=np.int64)

    def __getitem__(self, index: Any) -> Any:
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


def random_split(dataset: Dataset, lengths: Sequence[float]) -> list[Subset]:
    """Split into random disjoint subsets of the given lengths (or fractions that add up to 1).

    >>> ag.manual_seed(0) is not None
    True
    >>> train, val = random_split(TensorDataset(np.arange(10)), [0.8, 0.2])
    >>> len(train), len(val)
    (8, 2)
    """
    n = len(dataset)
    if all(isinstance(v, float) for v in lengths) and math.isclose(sum(lengths), 1.0):
        counts = [math.floor(n * f) for f in lengths]
        for i in range(n - sum(counts)):  # PyTorch's rule: the remainder goes round-robin
            counts[i % len(counts)] += 1
    else:
        counts = [int(v) for v in lengths]
    if any(c < 0 for c in counts) or sum(counts) != n:
        raise ValueError(f"random_split: lengths {list(lengths)} don't add up to the dataset's {n} samples")
    order = ag.random.generator().permutation(n)
    bounds = np.cumsum([0, *counts])
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


class DataLoader:
    """Mini-batches of a dataset: tuples of Tensors whose first dimension is the batch.

    ``shuffle=True`` draws a new order every epoch (from graphgrad's generator);
    ``drop_last=True`` leaves out a last batch smaller than ``batch_size``.
    """

    def __init__(self, dataset: Dataset, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False):
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, int(batch_size), shuffle, drop_last

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        n = len(self.dataset)
        order = ag.random.generator().permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            yield self._batch(order[start : start + self.batch_size])

    def _batch(self, indices: np.ndarray) -> tuple[Tensor, ...]:
        data = self.dataset
        if isinstance(data, Subset) and isinstance(data.dataset, TensorDataset):
            data, indices = data.dataset, data.indices[indices]
        if isinstance(data, TensorDataset):  # one gather per array
            return tuple(Tensor(a[indices]) for a in data.arrays)
        samples = [data[int(i)] for i in indices]
        if isinstance(samples[0], tuple):
            return tuple(_stack([s[j] for s in samples]) for j in range(len(samples[0])))
        return (_stack(samples),)


def _stack(values: list) -> Tensor:
    """Samples (Tensors, arrays or numbers) stacked along a new first dimension."""
    return Tensor(np.stack([v.data if isinstance(v, Tensor) else np.asarray(v) for v in values]))
