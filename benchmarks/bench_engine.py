"""Engine speed: per-op overhead, graph depth, and an MLP training step.

    python benchmarks/bench_engine.py            # all three, printed side by side
    python benchmarks/bench_engine.py --quick    # fewer repeats

1. per-op: a micrograd-style MLP 2-16-16-1 on 0-d (scalar) tensors, evaluated point
   by point (~20,000 ops), forward plus backward. graphgrad vs PyTorch CPU.
2. depth: 20,000 chained ops on a 16-vector, forward plus backward. graphgrad vs PyTorch.
3. mlp-step: a 784-256-128-10 ReLU MLP training step (batch 128, float32, softmax
   cross-entropy, SGD): graphgrad vs PyTorch vs the same step written by hand in NumPy,
   twice: ``numpy-by-hand`` with in-place tricks (``reference_numpy.MLPReference``) and
   ``numpy-plain``, one new array per operation as most hand-written code does.
   Each column runs in its own processes; ``paired`` also alternates the graphgrad and
   numpy-by-hand steps back to back in one process and takes the median ratio over pairs,
   which this machine's speed drift (up to +-25% within minutes) barely moves.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (  # noqa: E402
    allocator_note,
    compare,
    print_pairs,
    print_table,
    time_calls,
    time_pairs,
    use_system_malloc,
    worker_main,
)  # fmt: skip

# ----------------------------------------------------------------------------- per-op
SIZES = [2, 16, 16, 1]
POINTS = 30  # ~640 ops per point -> ~19,500 ops


def _scalar_mlp_data() -> tuple[list, list, list, list]:
    rng = np.random.default_rng(0)
    weights = [rng.uniform(-1, 1, (b, a)).tolist() for a, b in zip(SIZES[:-1], SIZES[1:])]
    biases = [[0.0] * b for b in SIZES[1:]]
    xs = rng.standard_normal((POINTS, 2)).tolist()
    ys = [1.0 if v > 0 else -1.0 for v in rng.standard_normal(POINTS)]
    return weights, biases, xs, ys


def _scalar_mlp_loss(make: callable, W: list, B: list, xs: list, ys: list) -> object:
    """Squared error of the MLP over all points, every neuron written out as scalar ops."""
    loss = None
    for x, y in zip(xs, ys):
        h = [make(v) for v in x]
        for li, (layer, bias) in enumerate(zip(W, B)):
            out = []
            for row, b in zip(layer, bias):
                s = b
                for w, hv in zip(row, h):
                    s = s + w * hv
                out.append(s.tanh() if li < len(W) - 1 else s)
            h = out
        d = h[0] - y
        loss = d * d if loss is None else loss + d * d
    return loss


def _scalar_params(make_param: callable) -> tuple[list, list, list, list]:
    weights, biases, xs, ys = _scalar_mlp_data()
    W = [[[make_param(w) for w in row] for row in layer] for layer in weights]
    B = [[make_param(b) for b in layer] for layer in biases]
    return W, B, xs, ys


def _scalar_mlp(make: callable, make_param: callable, repeat: int) -> dict:
    W, B, xs, ys = _scalar_params(make_param)
    times = time_calls(lambda: _scalar_mlp_loss(make, W, B, xs, ys).backward(), repeat)
    return {"ms": 1e3 * float(np.median(times))}


def per_op_graphgrad(repeat: int) -> dict:
    import autograd as ag

    result = _scalar_mlp(ag.Tensor, lambda v: ag.Tensor(v, requires_grad=True), repeat)
    loss = _scalar_mlp_loss(ag.Tensor, *_scalar_params(lambda v: ag.Tensor(v, requires_grad=True)))
    seen, stack = set(), [loss.grad_fn]
    while stack:  # count the recorded ops
        n = stack.pop()
        if isinstance(n, ag.Node) and n not in seen:
            seen.add(n)
            stack.extend(n.parents)
    result["ops"] = len(seen)
    return result


def per_op_torch(repeat: int) -> dict:
    import torch

    return _scalar_mlp(torch.tensor, lambda v: torch.tensor(v, requires_grad=True), repeat)


# ----------------------------------------------------------------------------- depth
CHAIN = 10_000  # two ops per link -> 20,000 ops


def _chain(tensor: callable, repeat: int) -> dict:
    rng = np.random.default_rng(1)
    x = tensor(rng.standard_normal(16).astype(np.float32), requires_grad=True)

    def step() -> None:
        h = x
        for _ in range(CHAIN):
            h = (h * 0.999).tanh()
        h.sum().backward()

    return {"ms": 1e3 * float(np.median(time_calls(step, repeat)))}


def depth_graphgrad(repeat: int) -> dict:
    import autograd as ag

    return _chain(ag.Tensor, repeat)


def depth_torch(repeat: int) -> dict:
    import torch

    return _chain(lambda a, requires_grad: torch.tensor(a, requires_grad=requires_grad), repeat)


# ----------------------------------------------------------------------------- mlp step
MLP = [784, 256, 128, 10]
BATCH, LR = 128, 0.01


def _mlp_data() -> tuple[list, list, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    ws = [(rng.standard_normal((b, a)) / np.sqrt(a)).astype(np.float32) for a, b in zip(MLP[:-1], MLP[1:])]
    bs = [np.zeros(b, np.float32) for b in MLP[1:]]
    x = rng.standard_normal((BATCH, MLP[0])).astype(np.float32)
    y = rng.integers(0, MLP[-1], BATCH)
    return ws, bs, x, y


def _mlp_graphgrad_step() -> Callable[[], None]:
    import autograd as ag

    ws, bs, x_np, y_np = _mlp_data()
    params = [ag.Tensor(a, requires_grad=True) for pair in zip(ws, bs) for a in pair]
    x = ag.Tensor(x_np)

    def step() -> None:
        for p in params:  # clear the last step's gradients first, as zero_grad() in a training loop
            p.grad = None
        h = x
        for i in range(0, len(params), 2):
            h = ag.linear(h, params[i], params[i + 1])
            if i < len(params) - 2:
                h = h.relu()
        loss = ag.cross_entropy(h, y_np)  # fused, as the PyTorch and NumPy columns
        loss.backward()
        for p in params:  # SGD, in place on the raw arrays (outside the graph)
            p.data -= LR * p.grad.data

    return step


def _mlp_numpy_step() -> Callable[[], None]:
    """The same step written by hand in NumPy (``reference_numpy.MLPReference``, shared with bench_nn.py)."""
    from reference_numpy import MLP_LAYERS, MLPReference

    ws, bs, x, y = _mlp_data()
    params = {f"{key}.{kind}": a for key, w, b in zip(MLP_LAYERS, ws, bs) for kind, a in (("weight", w), ("bias", b))}
    net = MLPReference(params)
    return lambda: net.step(x, y, LR)


def mlp_graphgrad(repeat: int) -> dict:
    return {"ms": 1e3 * float(np.median(time_calls(_mlp_graphgrad_step(), repeat, warmup=5)))}


def mlp_pairs(repeat: int) -> dict:
    """graphgrad and numpy-by-hand steps alternated in one process (``common.time_pairs``)."""
    return time_pairs(_mlp_graphgrad_step(), _mlp_numpy_step(), repeat)


def mlp_torch(repeat: int) -> dict:
    import torch

    ws, bs, x_np, y_np = _mlp_data()
    params = [torch.tensor(a, requires_grad=True) for pair in zip(ws, bs) for a in pair]
    x, y = torch.tensor(x_np), torch.tensor(y_np)

    def step() -> None:
        for p in params:
            p.grad = None
        h = x
        for i in range(0, len(params), 2):
            h = torch.nn.functional.linear(h, params[i], params[i + 1])
            if i < len(params) - 2:
                h = h.relu()
        loss = torch.nn.functional.cross_entropy(h, y)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad

    return {"ms": 1e3 * float(np.median(time_calls(step, repeat, warmup=5)))}


def mlp_numpy(repeat: int) -> dict:
    return {"ms": 1e3 * float(np.median(time_calls(_mlp_numpy_step(), repeat, warmup=5)))}


def _mlp_numpy_plain_step() -> Callable[[], None]:
    """The same step written plainly by hand: one new array per operation, no in-place tricks."""
    ws, bs, x, y = _mlp_data()
    rows = np.arange(BATCH)

    def step() -> None:
        z1 = x @ ws[0].T + bs[0]
        h1 = np.maximum(z1, 0)
        z2 = h1 @ ws[1].T + bs[1]
        h2 = np.maximum(z2, 0)
        z3 = h2 @ ws[2].T + bs[2]
        shifted = z3 - z3.max(1, keepdims=True)
        e = np.exp(shifted)
        probs = e / e.sum(1, keepdims=True)
        _loss = -np.log(probs[rows, y]).mean()
        d3 = probs.copy()
        d3[rows, y] -= 1
        d3 = d3 / BATCH
        d2 = (d3 @ ws[2]) * (z2 > 0)
        d1 = (d2 @ ws[1]) * (z1 > 0)
        grads = [d1.T @ x, d1.sum(0), d2.T @ h1, d2.sum(0), d3.T @ h2, d3.sum(0)]
        for p, g in zip([ws[0], bs[0], ws[1], bs[1], ws[2], bs[2]], grads):
            p -= LR * g

    return step


def mlp_numpy_plain(repeat: int) -> dict:
    return {"ms": 1e3 * float(np.median(time_calls(_mlp_numpy_plain_step(), repeat, warmup=5)))}


def mlp_pairs_plain(repeat: int) -> dict:
    """graphgrad and numpy-plain steps alternated in one process (``common.time_pairs``)."""
    return time_pairs(_mlp_graphgrad_step(), _mlp_numpy_plain_step(), repeat)


WORKLOADS = {
    "per-op": {"graphgrad": per_op_graphgrad, "pytorch": per_op_torch},
    "depth": {"graphgrad": depth_graphgrad, "pytorch": depth_torch},
    "mlp-step": {
        "graphgrad": mlp_graphgrad,
        "pytorch": mlp_torch,
        "numpy-by-hand": mlp_numpy,
        "numpy-plain": mlp_numpy_plain,
        "paired": mlp_pairs,
        "paired-plain": mlp_pairs_plain,
    },  # fmt: skip
}
REPEATS = {"per-op": 7, "depth": 7, "mlp-step": 200}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    parser.add_argument("--rounds", type=int, default=3, help="processes per framework (alternating)")
    parser.add_argument("--system-malloc", action="store_true", help="glibc's default malloc settings in every worker")
    parser.add_argument("workloads", nargs="*", help=f"any of {', '.join(WORKLOADS)} (default: all)")
    args = parser.parse_args()
    args.workloads = args.workloads or list(WORKLOADS)
    unknown = [w for w in args.workloads if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}")
    scale = 0.3 if args.quick else 1.0
    use_system_malloc(args.system_malloc)
    print(f"graphgrad engine benchmark (median of repeats, {args.rounds} processes per framework; {allocator_note()})")
    for name in args.workloads:
        repeat = max(2, int(REPEATS[name] * scale))
        res = compare(__file__, WORKLOADS, [name], repeat, 1 if args.quick else args.rounds)[name]
        if name == "per-op":
            print_table(
                "per-op overhead: scalar MLP 2-16-16-1, forward+backward", res, "pytorch", "faster than PyTorch"
            )
        elif name == "depth":
            print_table("graph depth: 20,000 chained ops on a 16-vector", res, "pytorch", "faster than PyTorch")
        else:
            print_table(
                "MLP 784-256-128-10 training step (batch 128, float32)", res, "numpy-by-hand",
                "within 1.1x of numpy-by-hand",
            )  # fmt: skip
            gg = res.get("graphgrad", {}).get("ms")
            refs = [ref for ref in ("numpy-by-hand", "numpy-plain") if gg and "ms" in res[ref]]
            ratios = [f"{gg / res[ref]['ms']:.2f}x {ref}" for ref in refs]
            print(f"  columns: graphgrad {', '.join(ratios)} (medians taken at different times; the verdict is paired)")
            print_pairs(res, "paired", "numpy-by-hand", 1.1)
            print_pairs(res, "paired-plain", "numpy-plain", 1.1)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker_main(WORKLOADS)
    else:
        main()
