"""Minor page faults per training step of bench_nn's workloads: graphgrad vs PyTorch vs NumPy by hand.

    python benchmarks/page_faults.py                 # glibc's default malloc settings
    python benchmarks/page_faults.py --keep-freed    # with autograd.allocator.keep_freed_memory()
    python benchmarks/page_faults.py --steps 50 gru

A page fault is counted each time a process touches a page of memory the kernel has not yet
given it (``getrusage``'s ``ru_minflt``): with glibc's defaults, memory a step frees goes back to
the system and the next step faults it in again. Unlike a time, this count does not depend on
the machine's load, so it shows what memory reuse saves even on a busy machine. Each column
runs in its own fresh process (the same steps as ``bench_nn.py``), warms up, then counts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

COLUMNS = ("graphgrad", "pytorch", "numpy-by-hand")


def _torch_step(workload: str) -> object:
    """bench_nn's PyTorch step (without its timing)."""
    import bench_nn
    import reference_numpy as ref
    import torch

    params, x_np, y_np = bench_nn._setup(workload)
    model = bench_nn._torch_model(workload)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in params.items()})
    opt = torch.optim.SGD(model.parameters(), lr=bench_nn.LR)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np.reshape(-1))

    def step() -> float:
        opt.zero_grad()
        inp = torch.nn.functional.one_hot(x, ref.GRU_VOCAB).float() if workload == "gru" else x
        logits = model(inp).reshape(-1, ref.GRU_VOCAB) if workload == "gru" else model(inp)
        loss = torch.nn.functional.cross_entropy(logits, y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def _worker(workload: str, column: str, steps: int, keep_freed: bool) -> None:
    if keep_freed:
        from autograd import allocator

        allocator.keep_freed_memory()
    import bench_nn

    if column == "graphgrad":
        step = bench_nn._graphgrad_step(workload)
    elif column == "pytorch":
        step = _torch_step(workload)
    else:
        step = bench_nn._numpy_step(workload)
    for _ in range(5):
        step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(steps):
        step()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    print(json.dumps({"faults_per_step": (after - before) / steps}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20, help="steps counted (after 5 warm-up steps)")
    parser.add_argument("--keep-freed", action="store_true", help="call autograd.allocator.keep_freed_memory() first")
    parser.add_argument("workloads", nargs="*", default=["mlp", "lenet", "gru"], help="mlp, lenet, gru")
    args = parser.parse_args()
    setting = "keep_freed_memory()" if args.keep_freed else "glibc's default malloc settings"
    print(f"minor page faults per training step ({setting}; {args.steps} steps after 5 warm-up steps)")
    print(f"{'workload':<10}" + "".join(f"{c:>16}" for c in COLUMNS))
    for workload in args.workloads:
        row = []
        for column in COLUMNS:
            cmd = [sys.executable, __file__, "--worker", workload, column, str(args.steps), str(int(args.keep_freed))]
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode:
                last = (done.stderr.strip().splitlines() or ["failed"])[-1]
                row.append("error" if "No module named 'torch'" not in last else "no torch")
            else:
                row.append(f"{json.loads(done.stdout.splitlines()[-1])['faults_per_step']:.0f}")
        print(f"{workload:<10}" + "".join(f"{v:>16}" for v in row))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _worker(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1")
    else:
        main()
