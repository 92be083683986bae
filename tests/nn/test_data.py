"""nn.data: datasets, splits and mini-batches."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from nn.data import DataLoader, Dataset, Subset, TensorDataset, random_split


def test_batches_cover_the_data_in_order_and_keep_dtypes():
    x, y = np.arange(20.0, dtype=np.float32).reshape(10, 2), np.arange(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in batches]), x)
    assert batches[0][0].dtype == np.float32 and batches[0][1].dtype == np.int64
    assert not batches[0][0].requires_grad
    assert len(DataLoader(TensorDataset(x, y), batch_size=4, drop_last=True)) == 2


def test_shuffle_is_a_permutation_each_epoch_and_follows_manual_seed():
    data = TensorDataset(np.arange(50))
    loader = DataLoader(data, batch_size=7, shuffle=True)
    ag.manual_seed(3)
    first = np.concatenate([b[0].numpy() for b in loader])
    second = np.concatenate([b[0].numpy() for b in loader])
    assert sorted(first) == list(range(50)) and sorted(second) == list(range(50))
    assert not np.array_equal(first, second)
    ag.manual_seed(3)
    np.testing.assert_array_equal(np.concatenate([b[0].numpy() for b in loader]), first)


def test_random_split_by_lengths_and_fractions():
    data = TensorDataset(np.arange(10))
    ag.manual_seed(0)
    parts = random_split(data, [7, 3])
    assert [len(p) for p in parts] == [7, 3]
    seen = np.concatenate([[p[i][0].item() for i in range(len(p))] for p in parts])
    assert sorted(seen) == list(range(10))
    assert [len(p) for p in random_split(TensorDataset(np.arange(11)), [0.5, 0.5])] == [6, 5]
    # a loader over a subset of a TensorDataset gathers from the arrays directly
    (batch,) = next(iter(DataLoader(parts[1], batch_size=3)))
    np.testing.assert_array_equal(batch.numpy(), data.arrays[0][parts[1].indices])
    with pytest.raises(ValueError, match="add up"):
        random_split(data, [5, 4])


def test_any_dataset_is_stacked_sample_by_sample():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return ag.tensor([float(i), float(i * i)]), i % 2

    x, parity = next(iter(DataLoader(Squares(), batch_size=5)))
    np.testing.assert_array_equal(x.numpy()[:, 1], [0, 1, 4, 9, 16])
    np.testing.assert_array_equal(parity.numpy(), [0, 1, 0, 1, 0])
    assert isinstance(Subset(Squares(), [4])[0][0], ag.Tensor)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match=r"first dimension.*\(3, 2\), \(4,\)"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(TensorDataset(np.zeros(3)), batch_size=0)
    with pytest.raises(NotImplementedError):
        len(Dataset())
