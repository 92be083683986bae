"""bench_train.py's two columns run the same epoch on the same IDX files (tiny ones here; timings are the
script's job, not the tests')."""

import os
import sys

import numpy as np
import pytest

from nn.data import write_idx

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
bench_train = pytest.importorskip("bench_train")


@pytest.fixture
def idx_folder(tmp_path, rng):
    for part, n in (("train", 300), ("t10k", 50)):
        write_idx(tmp_path / f"{part}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(tmp_path / f"{part}-labels-idx1-ubyte.gz", rng.integers(0, 10, n, dtype=np.uint8))
    return tmp_path


@pytest.mark.parametrize("column", ["graphgrad", "pytorch"])
def test_each_column_loads_trains_and_evaluates(idx_folder, column):
    if column == "pytorch":
        pytest.importorskip("torch")
    result = bench_train.COLUMNS[column](str(idx_folder), limit=128)
    assert result["images"] == 128  # 270 after the 30 held out for validation, then the limit
    assert set(result) >= {"s", "load", "train+val", "test", "val_acc", "test_acc"}
    assert 0 <= result["test_acc"] <= 1 and result["s"] >= result["load"] + result["test"]
