"""One epoch of LeNet on Fashion-MNIST: ``graphgrad train``'s loop vs the same training in PyTorch.

    python benchmarks/bench_train.py                  # one round: a graphgrad process, then a PyTorch one
    python benchmarks/bench_train.py --rounds 3       # alternate three times, report medians
    python benchmarks/bench_train.py --data DIR       # the four IDX files elsewhere

Each column, in its own process, times what a user waits for in one epoch:

1. load: read the IDX files (gzip), standardise the images, hold out 6,000 for validation;
2. train: one epoch over the 54,000 other images, batch 64, shuffled, Adam (lr 5e-3), D2L's
   LeNet-5 (sigmoid, average pooling: ``nn.models.lenet()``'s default);
3. evaluate: accuracy on the validation images and on the 10,000 test images, batches of 512.

graphgrad runs the pipeline ``graphgrad train lenet --data fashion-mnist`` runs (whose recipe
trains the ReLU/max-pooling variant instead):
``nn.data.load_dataset`` and ``nn.training.fit`` (with validation every epoch) and
``evaluate``. PyTorch runs the same steps written the way a careful PyTorch user would:
NumPy reads the IDX files, and batches are slices of a shuffled index into one tensor (faster
than ``torch.utils.data.DataLoader``'s per-sample collation). Both use the same allocator
setting (``common.py``). Target: graphgrad's epoch within 1.5x of PyTorch's.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import allocator_note, run_worker, worker_main  # noqa: E402

DATA = Path(os.environ.get("FASHION_MNIST", "/usr/share/datasets/fashion-mnist"))
BATCH, LR, EVAL_BATCH, VAL = 64, 5e-3, 512, 0.1


def graphgrad_epoch(folder: str, limit: int | None = None) -> dict:
    """``graphgrad train lenet``'s data loading, one epoch of ``fit`` with validation, and the test evaluation."""
    import autograd as ag
    import nn
    from nn.data import DataLoader, load_dataset
    from nn.training import evaluate, fit

    t0 = time.perf_counter()
    data = load_dataset(folder, val_fraction=VAL, seed=0, limit=limit)
    t1 = time.perf_counter()
    ag.manual_seed(0)
    model = nn.models.lenet()
    history = fit(model, DataLoader(data.train, batch_size=BATCH, shuffle=True), loss_fn=nn.CrossEntropyLoss(),
                  optimizer=nn.optim.Adam(model.parameters(), lr=LR), epochs=1,
                  val_loader=DataLoader(data.val, batch_size=EVAL_BATCH), progress=False)  # fmt: skip
    t2 = time.perf_counter()
    test = evaluate(model, DataLoader(data.test, batch_size=EVAL_BATCH), nn.CrossEntropyLoss())
    t3 = time.perf_counter()
    return {"s": t3 - t0, "load": t1 - t0, "train+val": t2 - t1, "test": t3 - t2, "images": len(data.train),
            "val_acc": history["val_accuracy"][0], "test_acc": test["accuracy"]}  # fmt: skip


def _read_idx(path: Path) -> np.ndarray:
    """An IDX file (gzip or not) as an array: the 4-byte magic gives the number of dimensions."""
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _idx(folder: Path, stem: str) -> Path:
    return next(p for p in (folder / f"{stem}.gz", folder / stem) if p.exists())


def torch_epoch(folder: str, limit: int | None = None) -> dict:
    """The same epoch in PyTorch: IDX files read with NumPy, tensors sliced by a shuffled index."""
    import torch
    from torch import nn

    t0 = time.perf_counter()
    folder_ = Path(folder)
    x = _read_idx(_idx(folder_, "train-images-idx3-ubyte"))
    y = _read_idx(_idx(folder_, "train-labels-idx1-ubyte")).astype(np.int64)
    xt = _read_idx(_idx(folder_, "t10k-images-idx3-ubyte"))
    yt = _read_idx(_idx(folder_, "t10k-labels-idx1-ubyte")).astype(np.int64)
    order = np.random.default_rng(0).permutation(len(x))
    n_val = round(VAL * len(x))
    val_idx, train_idx = np.sort(order[:n_val]), np.sort(order[n_val:])[:limit]
    counts = np.bincount(x[train_idx].reshape(-1), minlength=256)  # pixel statistics from a histogram
    values = np.arange(256) / 255
    mean = float(counts @ values / counts.sum())
    std = float(np.sqrt(counts @ (values - mean) ** 2 / counts.sum()))

    def tensor(images: np.ndarray) -> torch.Tensor:
        out = torch.tensor(images[:, None], dtype=torch.float32)
        return out.mul_(1 / (255 * std)).sub_(mean / std)

    train_x, train_y = tensor(x[train_idx]), torch.from_numpy(y[train_idx])
    val_x, val_y = tensor(x[val_idx]), torch.from_numpy(y[val_idx])
    test_x, test_y = tensor(xt), torch.from_numpy(yt)
    t1 = time.perf_counter()
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(2, stride=2), nn.Flatten(),
        nn.Linear(400, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10),
    )  # fmt: skip
    loss_fn, opt = nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=LR)

    def evaluate(xs: torch.Tensor, ys: torch.Tensor) -> float:
        model.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, len(xs), EVAL_BATCH):
                correct += int((model(xs[i : i + EVAL_BATCH]).argmax(1) == ys[i : i + EVAL_BATCH]).sum())
        model.train()
        return correct / len(xs)

    perm = torch.randperm(len(train_x))
    for i in range(0, len(train_x), BATCH):
        idx = perm[i : i + BATCH]
        loss = loss_fn(model(train_x[idx]), train_y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    val_acc = evaluate(val_x, val_y)
    t2 = time.perf_counter()
    test_acc = evaluate(test_x, test_y)
    t3 = time.perf_counter()
    return {"s": t3 - t0, "load": t1 - t0, "train+val": t2 - t1, "test": t3 - t2, "images": len(train_x),
            "val_acc": val_acc, "test_acc": test_acc}  # fmt: skip


COLUMNS = {"graphgrad": graphgrad_epoch, "pytorch": torch_epoch}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(DATA), help="folder with Fashion-MNIST's four IDX files")
    parser.add_argument("--rounds", type=int, default=1, help="processes per framework, alternating")
    parser.add_argument("--limit", type=int, default=0, help="train on the first N images only (0: all)")
    parser.add_argument("--threads", type=int, help="BLAS/OpenMP threads of both columns (default: theirs)")
    args = parser.parse_args()
    if args.threads:  # read by OpenBLAS (NumPy) and by PyTorch's OpenMP in the worker processes
        os.environ["OPENBLAS_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"] = str(args.threads)
    if not Path(args.data).is_dir():
        sys.exit(f"bench_train: no folder {args.data}: install Debian's dataset-fashion-mnist, or pass --data DIR")
    runs: dict[str, list[dict]] = {name: [] for name in COLUMNS}
    for _ in range(args.rounds):
        for name in COLUMNS:
            runs[name].append(run_worker(__file__, f"{args.data}::{args.limit}", name, 1))
    threads = f"{args.threads} thread(s) each" if args.threads else "default threads"
    print(f"one epoch of LeNet on Fashion-MNIST, batch {BATCH}, Adam: load + train + validation + test "
          f"({allocator_note()}; {threads}; {args.rounds} process(es) per framework)")  # fmt: skip
    medians = {}
    for name, results in runs.items():
        good = [r for r in results if "error" not in r]
        if not good:
            print(f"  {name:<10} unavailable ({results[0]['error']})")
            continue
        med = {k: statistics.median(r[k] for r in good) for k in ("s", "load", "train+val", "test")}
        medians[name] = med["s"]
        per = ", ".join(f"{r['s']:.1f}" for r in good)
        print(f"  {name:<10} {med['s']:7.2f} s  (load {med['load']:.2f}, train+val {med['train+val']:.2f}, "
              f"test {med['test']:.2f}; rounds: {per}) images {good[0]['images']:,}  val acc "
              f"{good[0]['val_acc']:.3f}  test acc {good[0]['test_acc']:.3f}")  # fmt: skip
    if len(medians) == 2:
        ratios = [g["s"] / p["s"] for g, p in zip(runs["graphgrad"], runs["pytorch"]) if "s" in g and "s" in p]
        print(f"  graphgrad / pytorch: {medians['graphgrad'] / medians['pytorch']:.2f}x (per round: "
              f"{', '.join(f'{r:.2f}' for r in ratios)}); target: within 1.5x")  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        folder, limit = sys.argv[2].rsplit("::", 1)
        workloads = {
            sys.argv[2]: {name: (lambda _r, f=fn: f(folder, int(limit) or None)) for name, fn in COLUMNS.items()}
        }
        worker_main(workloads)
    else:
        main()
