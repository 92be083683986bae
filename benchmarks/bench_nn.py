"""Training-step speed of three networks: graphgrad vs PyTorch CPU vs the step written by hand in NumPy.

    python benchmarks/bench_nn.py              # mlp, lenet, gru, printed side by side
    python benchmarks/bench_nn.py --quick gru  # fewer repeats, one process per framework
    python benchmarks/bench_nn.py --rounds 5 lenet

Workloads (float32, full step: forward, softmax cross-entropy, backward, SGD update):

1. mlp: 784-256-128-10 ReLU MLP, batch 128 (``nn.models.mlp()``).
2. lenet: LeNet-5 as in Dive into Deep Learning (sigmoid, average pooling), batch 64,
   1x28x28 inputs (``nn.models.lenet()``).
3. gru: character language model: one-hot tokens (35 steps x batch 32, vocabulary 65)
   -> ``nn.GRU(65, 256)`` -> ``nn.Linear(256, 65)`` on every step, loss averaged over all tokens.

Columns: graphgrad (public ``nn`` API only), PyTorch (``torch.nn``), and numpy-by-hand
(``reference_numpy.py``: hand-derived backward passes). All three load the same weights
(PyTorch state-dict names) and the same batch, and each reports the loss of its first two
steps (``loss0`` before any update, ``loss1`` after one): equal values mean the three do the
same computation. Each framework runs in its own process, alternating (``common.py``); a
column's time is the median step over its repeats, then the median over processes. For
the MLP, whose target is relative to numpy-by-hand, ``paired`` also alternates the
graphgrad and numpy-by-hand steps back to back in one process and takes the median ratio
over pairs: this machine's speed drifts by up to +-25% within minutes, which moves the
ratio of two columns measured at different times, but not the ratio within a pair.
graphgrad's SGD and the hand-written step update parameters the same way (plain NumPy,
``p -= lr * g``).

Every worker runs with the same malloc settings: by default each one, whatever its framework,
calls ``autograd.allocator.keep_freed_memory()`` (the benchmark owns its process, so it may
tune malloc; ``import autograd`` alone changes nothing), glibc's defaults with ``--system-malloc``.
Without them a step's large temporaries come back as fresh pages every step, and on
this machine the page faults cost up to half of a LeNet step, in the PyTorch and NumPy
columns; graphgrad reuses its own large arrays (``autograd.scratch``), so its steps take
few page faults either way (``page_faults.py`` counts them).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_numpy as ref  # noqa: E402
from common import (  # noqa: E402
    allocator_note,
    compare,
    print_pairs,
    print_table,
    round_ratios,
    time_calls,
    time_pairs,
    use_system_malloc,
    worker_main,
)  # fmt: skip

LR = 0.1
SEED = {"mlp": 10, "lenet": 11, "gru": 12}


def _setup(workload: str) -> tuple[dict, np.ndarray, np.ndarray]:
    """Initial weights (PyTorch state-dict names) and one batch, identical in every process."""
    rng = np.random.default_rng(SEED[workload])
    if workload == "mlp":
        return ref.mlp_params(rng), *ref.mlp_batch(rng, batch=128)
    if workload == "lenet":
        return ref.lenet_params(rng), *ref.lenet_batch(rng, batch=64)
    return ref.gru_lm_params(rng), *ref.gru_lm_batch(rng)


def _measure(step: object, repeat: int) -> dict:
    """Record the first two steps' losses, then time ``repeat`` more steps."""
    losses = [step(), step()]
    times = time_calls(step, repeat, warmup=3)
    return {"ms": 1e3 * float(np.median(times)), "loss0": f"{losses[0]:.6f}", "loss1": f"{losses[1]:.6f}"}


def _gru_lm(nn: Any) -> Any:
    """One-hot input -> GRU -> Linear on every step, built from ``nn`` (graphgrad's or PyTorch's)."""

    class GRULM(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.GRU(ref.GRU_VOCAB, ref.GRU_HIDDEN)
            self.head = nn.Linear(ref.GRU_HIDDEN, ref.GRU_VOCAB)

        def forward(self, x: object) -> object:
            out, _ = self.rnn(x)
            return self.head(out)

    return GRULM()


# ----------------------------------------------------------------------------- graphgrad
def _graphgrad_model(workload: str) -> object:
    import nn
    from nn import models

    if workload == "mlp":
        return models.mlp((784, 256, 128, 10))
    if workload == "lenet":
        return models.lenet()
    return _gru_lm(nn)


def _graphgrad_step(workload: str) -> Callable[[], float]:
    import autograd as ag
    import nn

    params, x_np, y_np = _setup(workload)
    model = _graphgrad_model(workload)
    model.load_state_dict(params)
    opt = nn.optim.SGD(model.parameters(), lr=LR)
    x, y = ag.Tensor(x_np), ag.Tensor(y_np.reshape(-1))

    def step() -> float:
        opt.zero_grad()
        if workload == "gru":
            logits = model(ag.one_hot(x, ref.GRU_VOCAB).to(np.float32)).reshape(-1, ref.GRU_VOCAB)
        else:
            logits = model(x)
        loss = nn.functional.cross_entropy(logits, y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def _graphgrad(workload: str, repeat: int) -> dict:
    return _measure(_graphgrad_step(workload), repeat)


def _pairs(workload: str, repeat: int) -> dict:
    """graphgrad and numpy-by-hand steps alternated in one process (``common.time_pairs``)."""
    return time_pairs(_graphgrad_step(workload), _numpy_step(workload), repeat)


# ----------------------------------------------------------------------------- PyTorch
def _torch_model(workload: str) -> object:
    from torch import nn

    if workload == "mlp":
        return nn.Sequential(
            nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)
        )
    if workload == "lenet":
        return nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, stride=2),
            nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(2, stride=2),
            nn.Flatten(), nn.Linear(400, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10),
        )  # fmt: skip
    return _gru_lm(nn)


def _torch(workload: str, repeat: int) -> dict:
    import torch

    params, x_np, y_np = _setup(workload)
    model = _torch_model(workload)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in params.items()})
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np.reshape(-1))

    def step() -> float:
        opt.zero_grad()
        if workload == "gru":
            logits = model(torch.nn.functional.one_hot(x, ref.GRU_VOCAB).float()).reshape(-1, ref.GRU_VOCAB)
        else:
            logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits, y)
        loss.backward()
        opt.step()
        return loss.item()

    return _measure(step, repeat)


# ----------------------------------------------------------------------------- NumPy by hand
_REFERENCE = {"mlp": ref.MLPReference, "lenet": ref.LeNetReference, "gru": ref.GRULMReference}


def _numpy_step(workload: str, update: Callable | None = None) -> Callable[[], float]:
    params, x, y = _setup(workload)
    net = _REFERENCE[workload](params, update)
    return lambda: net.step(x, y, LR)


def _numpy(workload: str, repeat: int) -> dict:
    return _measure(_numpy_step(workload), repeat)


def _column(fn: object, workload: str) -> object:
    return lambda repeat: fn(workload, repeat)


WORKLOADS = {
    w: {"graphgrad": _column(_graphgrad, w), "pytorch": _column(_torch, w), "numpy-by-hand": _column(_numpy, w)}
    for w in ("mlp", "lenet", "gru")
}
WORKLOADS["mlp"]["paired"] = _column(_pairs, "mlp")  # its target is relative to numpy-by-hand
REPEATS = {"mlp": 200, "lenet": 60, "gru": 20}
TITLES = {
    "mlp": "MLP 784-256-128-10 training step (batch 128, float32)",
    "lenet": "LeNet (D2L) training step (batch 64, 1x28x28, float32)",
    "gru": "GRU language model training step (vocab 65, hidden 256, 35 steps, batch 32, float32)",
}
# (reference column for the printed ratios, target factor, target text)
TARGETS = {
    "mlp": ("numpy-by-hand", 1.1, "within 1.1x of numpy-by-hand"),
    "lenet": ("pytorch", 1.6, "within 1.6x of PyTorch CPU"),
    "gru": ("pytorch", 1.3, "within 1.3x of PyTorch CPU"),
}


def _verdict(workload: str, res: dict) -> None:
    """Both ratios of graphgrad, whether the target is met, and first-step loss parity."""
    ms = {fw: r["ms"] for fw, r in res.items() if "error" not in r}
    if "graphgrad" in ms:
        ratios = "  ".join(f"{ms['graphgrad'] / ms[fw]:.2f}x {fw}" for fw in ("pytorch", "numpy-by-hand") if fw in ms)
        reference, factor, _ = TARGETS[workload]
        if "paired" in res:  # the target's reference runs in the same process: its verdict is the paired ratio
            print(f"  graphgrad: {ratios} (medians taken at different times; the verdict is paired)")
        elif reference in ms:  # the verdict: the median of the ratios of neighbouring processes
            per_round = round_ratios(res, "graphgrad", reference)
            ratio = statistics.median(per_round)
            verdict = "met" if ratio <= factor else "NOT met"
            rounds = " ".join(f"{r:.2f}" for r in per_round)
            print(f"  graphgrad: {ratios}")
            print(
                f"  graphgrad / {reference}, process by process (neighbours in time): {rounds}; median "
                f"{ratio:.3f} -> within {factor}x: {verdict}"
            )
        if workload == "lenet" and "numpy-by-hand" in ms:
            faster = ms["graphgrad"] < ms["numpy-by-hand"]
            print(f"  graphgrad faster than numpy-by-hand: {'yes' if faster else 'no'}")
    for key in ("loss0", "loss1"):
        losses = {fw: float(r[key]) for fw, r in res.items() if key in r}
        if len(losses) > 1:
            spread = max(losses.values()) - min(losses.values())
            ok = "same" if spread <= 1e-4 * max(1.0, abs(min(losses.values()))) else "DIFFERENT"
            print(f"  {key} across columns: {ok} (max difference {spread:.1e})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, one process per framework (a smoke run)")
    parser.add_argument("--rounds", type=int, default=3, help="processes per framework (alternating)")
    parser.add_argument(
        "--system-malloc", action="store_true", help="glibc's default malloc settings in every worker (see above)"
    )
    parser.add_argument("workloads", nargs="*", help=f"any of {', '.join(WORKLOADS)} (default: all)")
    args = parser.parse_args()
    args.workloads = args.workloads or list(WORKLOADS)
    unknown = [w for w in args.workloads if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}")
    scale = 0.3 if args.quick else 1.0
    rounds = 1 if args.quick else args.rounds
    use_system_malloc(args.system_malloc)
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"graphgrad nn benchmark (median step, {rounds} processes per framework; {allocator_note()}; load {load})")
    for name in args.workloads:
        repeat = max(3, int(REPEATS[name] * scale))
        res = compare(__file__, WORKLOADS, [name], repeat, rounds)[name]
        reference, _, target = TARGETS[name]
        print_table(TITLES[name], res, reference, target)
        _verdict(name, res)
        print_pairs(res, "paired", reference, TARGETS[name][1])
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"\nload average at the end: {load}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker_main(WORKLOADS)
    else:
        main()
