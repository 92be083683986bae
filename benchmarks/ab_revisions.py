"""Compare two revisions of graphgrad on one training step, in alternating processes.

    python benchmarks/ab_revisions.py HEAD~1 HEAD                 # the MLP, 6 rounds
    python benchmarks/ab_revisions.py main . --system-malloc      # '.': the working tree as it is
    python benchmarks/ab_revisions.py HEAD . --workload gru --rounds 4

Each revision is checked out into a temporary git worktree (``.`` is this checkout, uncommitted
changes included). Every round starts one worker process per revision, one after the other, and
each worker runs ``bench_nn.py``'s measurement in its own revision: for the MLP the paired ratio
graphgrad / numpy-by-hand (the MLP target's verdict), for LeNet and the GRU graphgrad's median
step time. The verdict is the median over rounds of the per-round difference (B - A): the two
processes of a round run next to each other in time.

Why a script of its own: on these 2-core VMs the MLP's paired ratio for *identical* code moves by
~0.03 between runs minutes apart (machine state, memory placement per process), more than most
single changes are worth. Alternating the two revisions' processes over several rounds sees both
under the same conditions; even so, differences under ~0.01 are noise.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_nn import REPEATS  # noqa: E402
from common import run_worker, use_system_malloc  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# workload -> (bench_nn.py column, what its result means, the result's key)
MEASURES = {
    "mlp": ("paired", "graphgrad / numpy-by-hand, paired in each process", "ratio"),
    "lenet": ("graphgrad", "graphgrad's median step, ms", "ms"),
    "gru": ("graphgrad", "graphgrad's median step, ms", "ms"),
}


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True, check=True).stdout.strip()


def _checkout(revision: str, into: str) -> tuple[str, str]:
    """The folder holding ``revision`` (this checkout for '.'), and a label naming its commit."""
    if revision == ".":
        dirty = " + uncommitted changes" if _git("status", "--porcelain", "--untracked-files=no") else ""
        return ROOT, f"working tree ({_git('rev-parse', '--short', 'HEAD')}{dirty})"
    try:
        commit = _git("rev-parse", "--short", "--verify", f"{revision}^{{commit}}")
    except subprocess.CalledProcessError:
        raise SystemExit(f"ab_revisions.py: {revision!r} is not a revision of {ROOT} (a commit, branch, tag)") from None
    _git("worktree", "add", "--detach", into, revision)
    return into, commit


def _measure(tree: str, workload: str, repeat: int) -> float:
    """One worker process: the revision in ``tree`` imports its own graphgrad (``PYTHONPATH``)."""
    column, _, key = MEASURES[workload]
    script = os.path.join(tree, "benchmarks", "bench_nn.py")
    result = run_worker(script, workload, column, repeat, env={**os.environ, "PYTHONPATH": tree})
    if "error" in result:
        raise RuntimeError(f"{script}: no result ({result['error']})")
    return float(result[key])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", help="the base revision (a commit, branch or tag; '.' for the working tree)")
    parser.add_argument("b", help="the revision compared with it")
    parser.add_argument("--workload", choices=list(MEASURES), default="mlp")
    parser.add_argument("--rounds", type=int, default=6, help="worker processes per revision, alternating")
    parser.add_argument("--repeat", type=int, help="steps per worker (default: bench_nn.py's)")
    parser.add_argument("--system-malloc", action="store_true", help="glibc's default malloc settings in every worker")
    args = parser.parse_args()
    use_system_malloc(args.system_malloc)
    repeat = args.repeat or REPEATS[args.workload]
    with tempfile.TemporaryDirectory(prefix="graphgrad-ab-") as tmp:
        trees, labels = [], []
        try:
            for i, revision in enumerate((args.a, args.b)):
                tree, label = _checkout(revision, os.path.join(tmp, str(i)))
                trees.append(tree)
                labels.append(label if revision in (".", label) else f"{revision} ({label})")
            results: list[list[float]] = [[], []]
            for _ in range(args.rounds):
                for i, tree in enumerate(trees):
                    results[i].append(_measure(tree, args.workload, repeat))
        finally:
            for tree in trees:
                if tree != ROOT:
                    _git("worktree", "remove", "--force", tree)
    malloc = "glibc's default malloc" if args.system_malloc else "graphgrad's malloc settings"
    print(f"{args.workload}: {MEASURES[args.workload][1]} ({args.rounds} rounds of {repeat} steps; {malloc})")
    width = max(len(label) for label in labels)
    for name, label, values in zip("AB", labels, results):
        rounds = " ".join(f"{v:.3f}" for v in values)
        print(f"  {name}  {label:<{width}}  median {statistics.median(values):.3f}  rounds {rounds}")
    differences = [b - a for a, b in zip(*results)]
    print(f"  B - A, round by round: median {statistics.median(differences):+.3f} (lower is faster)")


if __name__ == "__main__":
    main()
