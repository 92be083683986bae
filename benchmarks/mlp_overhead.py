"""Where the MLP step's time over the hand-written NumPy step goes: a ladder of hybrid steps.

    python benchmarks/mlp_overhead.py            # 3 processes per rung, alternating
    python benchmarks/mlp_overhead.py --quick    # one process per rung
    python benchmarks/mlp_overhead.py --run graphgrad --steps 10   # just run steps, untimed (for a profiler)

The workload is ``bench_nn.py``'s MLP (784-256-128-10 ReLU, batch 128, float32, SGD). Every rung
is timed *paired* against the numpy-by-hand step (``common.time_pairs``: blocks of 10 steps
alternating in one process, median ratio of neighbouring blocks), so the ratios of one run are
comparable although this VM's speed drifts. Rungs, from the hand step to graphgrad's:

1. ``numpy-by-hand``: the reference against itself (the noise floor, ~1.00).
2. ``hand + graphgrad optimizer``: forward and backward by hand on the model's own arrays; the
   gradients set as ``.grad`` and applied by graphgrad's ``zero_grad``/``SGD.step`` (what the
   optimizer costs, with the setting of ``.grad``).
3. ``graphgrad forward + hand backward``: the forward through the ``nn`` modules, recorded as
   in training; loss and gradients by hand from the layers' outputs; graphgrad's optimizer
   (adds what recording the forward costs).
4. ``graphgrad``: the whole step through the public API (adds the backward sweep).

And a yardstick: ``minimal tape engine``, the step through the smallest reasonable autograd
(micrograd's design on arrays, written here in ~50 lines: closures and a topological order,
nothing else), i.e. what recording and differentiating in Python costs at all.

All rungs compute the same losses (printed as ``loss0``/``loss1``). Each rung's ratio minus the
one before it is what that part of graphgrad costs beyond the hand-written code. PyTorch's
column is ``bench_nn.py mlp``'s: paired in one process with NumPy, PyTorch's thread pool and
OpenBLAS's would compete for the two cores, so it runs in processes of its own there.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_nn  # noqa: E402
import reference_numpy as ref  # noqa: E402
from common import compare, time_pairs, use_system_malloc, worker_main  # noqa: E402


def _graphgrad_hybrid(forward_by_graphgrad: bool) -> Callable[[], float]:
    """A step whose backward is written by hand, with graphgrad's optimizer (rungs 2 and 3)."""
    import autograd as ag
    import nn

    params, x_np, y_np = bench_nn._setup("mlp")
    model = bench_nn._graphgrad_model("mlp")
    model.load_state_dict(params)
    opt = nn.optim.SGD(model.parameters(), lr=bench_nn.LR)
    weights = list(model.parameters())  # w1, b1, w2, b2, w3, b3
    holders = [ag.Tensor(np.zeros_like(p.data)) for p in weights]  # .grad Tensors; .data set without copying
    x, y = ag.Tensor(x_np), y_np.reshape(-1)
    layers = list(model)

    def step() -> float:
        opt.zero_grad()
        w1, b1, w2, b2, w3, b3 = (p.data for p in weights)
        if forward_by_graphgrad:
            outputs, h = [], x
            for layer in layers:
                h = layer(h)
                outputs.append(h)
            h1, h2, logits = outputs[2].data, outputs[4].data, outputs[5].data
        else:
            h1, h2, logits = ref.mlp_forward(x_np, w1, b1, w2, b2, w3, b3)
        loss, grads = ref.mlp_loss_and_grads(x_np, y, h1, h2, logits, w2, w3)
        for p, holder, g in zip(weights, holders, grads):
            holder.data = g
            p.grad = holder
        opt.step()
        return loss

    return step


class _Value:
    """A value of the minimal tape engine: its array, its gradient so far, and how it was made."""

    __slots__ = ("data", "grad", "vjp", "inputs")

    def __init__(self, data: np.ndarray, vjp: Callable | None = None, inputs: tuple = ()) -> None:
        self.data, self.grad, self.vjp, self.inputs = data, None, vjp, inputs


def _minimal_engine() -> Callable[[], float]:
    """The same step through the smallest reasonable autograd (micrograd's design on arrays): each op
    returns a value with a closure for its input gradients; backward walks a topological order.
    No module calls, scopes, version checks, hooks, drawing data or reused buffers: a yardstick
    for what recording and differentiating in Python costs at all."""
    params, x_np, y_np = bench_nn._setup("mlp")
    w = {k: _Value(v.copy()) for k, v in params.items()}
    x, y = _Value(x_np), y_np.reshape(-1)

    def linear(v: _Value, weight: _Value, bias: _Value) -> _Value:
        out = v.data @ weight.data.T
        out += bias.data
        needs_input = v.vjp is not None  # (the batch itself needs no gradient)
        return _Value(
            out, lambda g: (g @ weight.data if needs_input else None, g.T @ v.data, g.sum(0)), (v, weight, bias)
        )

    def relu(v: _Value) -> _Value:
        return _Value(np.maximum(v.data, 0), lambda g: (g * (v.data > 0),), (v,))

    def cross_entropy(z: _Value) -> _Value:
        loss, d = ref._softmax_cross_entropy(z.data, y)
        return _Value(np.float32(loss), lambda g: (d * g,), (z,))

    def backward(root: _Value) -> None:
        order, seen, stack = [], set(), [(root, False)]
        while stack:  # depth first; a value goes after everything it was made from
            v, expanded = stack.pop()
            if expanded:
                order.append(v)
            elif id(v) not in seen:
                seen.add(id(v))
                stack.append((v, True))
                stack.extend((u, False) for u in v.inputs)
        root.grad = np.float32(1)
        for v in reversed(order):
            if v.vjp is not None:
                for u, g in zip(v.inputs, v.vjp(v.grad)):
                    if g is not None:
                        u.grad = g if u.grad is None else u.grad + g

    def step() -> float:
        for p in w.values():
            p.grad = None
        h = relu(linear(x, w["1.weight"], w["1.bias"]))
        h = relu(linear(h, w["3.weight"], w["3.bias"]))
        loss = cross_entropy(linear(h, w["5.weight"], w["5.bias"]))
        backward(loss)
        for p in w.values():
            p.data -= bench_nn.LR * p.grad
        return float(loss.data)

    return step


RUNGS: dict[str, Callable[[], Callable[[], float]]] = {
    "numpy-by-hand": lambda: bench_nn._numpy_step("mlp"),
    "hand + graphgrad optimizer": lambda: _graphgrad_hybrid(forward_by_graphgrad=False),
    "graphgrad forward + hand backward": lambda: _graphgrad_hybrid(forward_by_graphgrad=True),
    "graphgrad": lambda: bench_nn._graphgrad_step("mlp"),
    "minimal tape engine": _minimal_engine,  # a yardstick, not a rung: printed without a step up
}


def _paired(rung: str, repeat: int) -> dict:
    step = RUNGS[rung]()
    losses = [f"{step():.6f}", f"{step():.6f}"]
    result = time_pairs(step, bench_nn._numpy_step("mlp"), repeat)
    return {**result, "loss0": losses[0], "loss1": losses[1]}


WORKLOADS = {"mlp": {rung: (lambda repeat, rung=rung: _paired(rung, repeat)) for rung in RUNGS}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one process per rung, fewer steps (a smoke run)")
    parser.add_argument("--rounds", type=int, default=3, help="processes per rung (alternating)")
    parser.add_argument("--system-malloc", action="store_true", help="glibc's default malloc settings in every worker")
    parser.add_argument("--run", choices=list(RUNGS), help="run one rung's step in this process, untimed")
    parser.add_argument("--steps", type=int, default=10, help="steps for --run, after 5 to warm up")
    args = parser.parse_args()
    if args.run:  # e.g. under cachegrind, once with --steps 0 and once with --steps N: the difference / N is a step
        step = RUNGS[args.run]()
        for _ in range(5 + args.steps):
            loss = step()
        print(f"{args.run}: {5 + args.steps} steps, last loss {loss:.6f}")
        return
    use_system_malloc(args.system_malloc)
    rounds, repeat = (1, 60) if args.quick else (args.rounds, 400)
    results = compare(__file__, WORKLOADS, ["mlp"], repeat, rounds)["mlp"]
    print(f"MLP step, each rung paired with numpy-by-hand ({repeat} steps each, {rounds} process(es) per rung)")
    previous = None
    for rung, r in results.items():
        if "error" in r:
            print(f"  {rung:<34} unavailable ({r['error']})")
            continue
        last_rung = previous is not None and rung != "minimal tape engine"
        step_up = f"  ({r['ratio'] - previous:+.3f} over the last rung)" if last_rung else ""
        losses = f"loss0={r['loss0']} loss1={r['loss1']}"
        print(f"  {rung:<34} {r['ratio']:.3f}x  per process {r['ratios']}  {losses}{step_up}")
        previous = r["ratio"]


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker_main(WORKLOADS)
    else:
        main()
