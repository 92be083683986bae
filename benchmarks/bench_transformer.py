"""Training-step speed of the character transformer: graphgrad vs PyTorch CPU (same model, same weights).

    python benchmarks/bench_transformer.py            # 3 processes per framework, alternating
    python benchmarks/bench_transformer.py --quick    # fewer repeats, one process each
    python benchmarks/bench_transformer.py --threads 1  # one BLAS/OpenMP thread in both columns

Workload (float32, full step: forward, softmax cross-entropy over every position, backward,
Adam update): ``nn.models.CharTransformer(65, d_model=64, nhead=4, num_layers=2, max_len=64,
dropout=0)`` on 64 steps x batch 32 of token ids (time-major, as the other language models).
Dropout is off so that both columns compute exactly the same thing: each reports the losses of
its first two steps (``loss0`` before any update, ``loss1`` after one Adam step), which must agree.

Columns: graphgrad (public ``nn`` API) and PyTorch (``torch.nn.TransformerEncoderLayer`` blocks
in the same arrangement, loaded with the same state_dict). There is no hand-written NumPy column:
a hand-derived backward of attention, LayerNorm and GELU blocks would be a second transformer
implementation to keep correct; the graphgrad column is checked against PyTorch instead (here by
the losses, and step for step in float64 in ``tests/nn/test_char_transformer.py``).
Each framework runs in its own process, alternating (``common.py``); a column's time is the median
step over its repeats, then the median over processes; the verdict is the median of the ratios of
neighbouring processes. ``paired`` also alternates the two steps in one process, in blocks of 10,
and takes the median ratio of neighbouring blocks (steadier when the machine's speed drifts).
On a machine shared with other work, multithreaded BLAS in both columns swings wildly (threads
waiting for cores); ``--threads 1`` compares one core against one core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
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

VOCAB, D_MODEL, NHEAD, LAYERS, STEPS, BATCH = 65, 64, 4, 2, 64, 32
LR, SEED, FACTOR = 1e-3, 16, 1.5


def _setup() -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Initial weights (graphgrad's initialisation, PyTorch's names) and one batch, the same in every process."""
    import autograd as ag
    from nn.models import CharTransformer

    ag.manual_seed(SEED)
    model = CharTransformer(VOCAB, d_model=D_MODEL, nhead=NHEAD, num_layers=LAYERS, max_len=STEPS, dropout=0.0)
    rng = np.random.default_rng(SEED)
    tokens = rng.integers(0, VOCAB, (STEPS + 1, BATCH))
    return {k: v.astype(np.float32) for k, v in model.state_dict().items()}, tokens[:-1], tokens[1:].reshape(-1)


def _measure(step: Any, repeat: int) -> dict:
    """Record the first two steps' losses, then time ``repeat`` more steps."""
    losses = [step(), step()]
    times = time_calls(step, repeat, warmup=2)
    return {"ms": 1e3 * float(np.median(times)), "loss0": f"{losses[0]:.6f}", "loss1": f"{losses[1]:.6f}"}


def _graphgrad_step() -> Any:
    import autograd as ag
    import nn
    from nn.models import CharTransformer

    params, x_np, y_np = _setup()
    model = CharTransformer(VOCAB, d_model=D_MODEL, nhead=NHEAD, num_layers=LAYERS, max_len=STEPS, dropout=0.0)
    model.load_state_dict(params)
    opt = nn.optim.Adam(model.parameters(), lr=LR)
    x, y = ag.Tensor(x_np), ag.Tensor(y_np)

    def step() -> float:
        opt.zero_grad()
        logits, _ = model(x)
        loss = nn.functional.cross_entropy(logits.reshape(-1, VOCAB), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def _graphgrad(repeat: int) -> dict:
    return _measure(_graphgrad_step(), repeat)


def torch_char_transformer(
    torch: Any, vocab: int = VOCAB, d_model: int = D_MODEL, nhead: int = NHEAD, num_layers: int = LAYERS,
    max_len: int = STEPS,
) -> Any:  # fmt: skip
    """PyTorch's twin of ``CharTransformer`` (same submodule names, so state_dicts match), no dropout.

    Also the reference of ``tests/nn/test_char_transformer.py``."""
    tnn = torch.nn

    class Twin(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.token_embedding = tnn.Embedding(vocab, d_model)
            self.position_embedding = tnn.Embedding(max_len, d_model)
            self.drop = tnn.Dropout(0.0)
            self.layers = tnn.ModuleList(
                tnn.TransformerEncoderLayer(
                    d_model, nhead, 4 * d_model, 0.0, activation=tnn.GELU("tanh"), norm_first=True
                )
                for _ in range(num_layers)
            )
            self.norm = tnn.LayerNorm(d_model)
            self.head = tnn.Linear(d_model, vocab)

        def forward(self, tokens: Any) -> Any:
            steps = tokens.shape[0]
            x = self.drop(self.token_embedding(tokens) + self.position_embedding(torch.arange(steps))[:, None])
            mask = tnn.Transformer.generate_square_subsequent_mask(steps, dtype=x.dtype)
            for layer in self.layers:
                x = layer(x, src_mask=mask, is_causal=True)
            return self.head(self.norm(x))

    return Twin()


def _torch_step() -> Any:
    import torch

    params, x_np, y_np = _setup()
    model = torch_char_transformer(torch)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in params.items()})
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)

    def step() -> float:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x).reshape(-1, VOCAB), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def _torch(repeat: int) -> dict:
    return _measure(_torch_step(), repeat)


def _pairs(repeat: int) -> dict:
    """graphgrad and PyTorch steps alternated in one process (``common.time_pairs``): both run at the
    same moment's machine speed. PyTorch's import slows graphgrad's garbage collection a little
    (its objects are walked too): ``gc.freeze()`` moves what both imported out of the collector's way."""
    import gc

    steps = _graphgrad_step(), _torch_step()
    gc.collect()
    gc.freeze()
    return time_pairs(*steps, repeat)


WORKLOADS = {"transformer": {"graphgrad": _graphgrad, "pytorch": _torch, "paired": _pairs}}
TITLE = (
    f"Character transformer training step (vocab {VOCAB}, d_model {D_MODEL}, {NHEAD} heads, {LAYERS} layers, "
    f"{STEPS} steps x batch {BATCH}, Adam, float32)"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, one process per framework (a smoke run)")
    parser.add_argument("--rounds", type=int, default=3, help="processes per framework (alternating)")
    parser.add_argument("--repeat", type=int, default=20, help="timed steps per process")
    parser.add_argument("--system-malloc", action="store_true", help="glibc's default malloc settings in every worker")
    parser.add_argument(
        "--threads", type=int, help="BLAS/OpenMP threads in every worker (both columns; default: the libraries' own)"
    )
    args = parser.parse_args()
    use_system_malloc(args.system_malloc)
    if args.threads:  # read by OpenBLAS and PyTorch when a worker starts
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[name] = str(args.threads)
    rounds, repeat = (1, max(3, args.repeat // 4)) if args.quick else (args.rounds, args.repeat)
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    threads = f"{args.threads} BLAS/OpenMP threads" if args.threads else "the libraries' default threads"
    print(f"graphgrad transformer benchmark (median step, {rounds} processes per framework; {allocator_note()}; "
          f"{threads}; load {load})")  # fmt: skip
    res = compare(__file__, WORKLOADS, ["transformer"], repeat, rounds)["transformer"]
    print_table(TITLE, res, "pytorch", f"within {FACTOR}x of PyTorch CPU")
    per_round = round_ratios(res, "graphgrad", "pytorch")
    if per_round:
        ratio = statistics.median(per_round)
        rounds_text = " ".join(f"{r:.2f}" for r in per_round)
        verdict = "met" if ratio <= FACTOR else "NOT met"
        print(f"  graphgrad / pytorch, process by process: {rounds_text}; median {ratio:.3f} -> within {FACTOR}x: "
              f"{verdict}")  # fmt: skip
    print_pairs(res, "paired", "pytorch", FACTOR)
    for key in ("loss0", "loss1"):
        losses = {fw: float(r[key]) for fw, r in res.items() if key in r}
        if len(losses) > 1:
            spread = max(losses.values()) - min(losses.values())
            ok = "same" if spread <= 1e-4 * max(1.0, abs(min(losses.values()))) else "DIFFERENT"
            print(f"  {key} across columns: {ok} (max difference {spread:.1e})")
    print(f"\nload average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker_main({name: {fw: (lambda repeat, fn=fn: fn(repeat)) for fw, fn in fws.items()}
                     for name, fws in WORKLOADS.items()})  # fmt: skip
    else:
        main()
