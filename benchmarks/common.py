"""Shared benchmark plumbing: time a workload in a fresh subprocess per framework.

Each (workload, framework) pair runs in its own Python process, so one framework's
imports (PyTorch brings ~150k Python objects that the garbage collector must walk)
don't slow down another. Frameworks are run in alternation, and each reports the
median of its repeats. The printed ratios compare numbers from the same run.

Allocator: a benchmark owns its processes, so it opts in to keeping freed memory for reuse
(``autograd.allocator.keep_freed_memory()``; ``import autograd`` alone changes nothing). So
that no column gets an advantage, every worker, whatever its framework, runs with the same
setting: kept freed memory by default, or glibc's defaults for all with ``--system-malloc``
(passed to the workers as ``GRAPHGRAD_BENCH_MALLOC=system``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any


def time_calls(step: Callable[[], Any], repeat: int, warmup: int = 2) -> list[float]:
    """Wall-clock seconds of ``repeat`` calls of ``step`` after ``warmup`` calls."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return times


def time_pairs(
    step: Callable[[], Any], reference: Callable[[], Any], repeat: int, block: int = 10, warmup: int = 5
) -> dict:
    """Alternate two steps in one process, in blocks of ``block`` back-to-back steps each.

    ``repeat`` steps of each in all. Returns both median step times (``ms``, ``reference_ms``)
    and ``ratio``: the median over neighbouring blocks of (median ``step`` time in its
    block / median ``reference`` time in the next). This VM's speed drifts by up to +-25%
    within minutes; two neighbouring blocks run within a few tens of milliseconds, at the
    same speed, so this ratio is far steadier than one of medians taken at different
    times. Blocks, not single alternating steps: within a block each step follows one of
    its own kind, as in a training loop, so neither pays for the other evicting its
    working set from the caches.
    """
    for _ in range(warmup):
        step()
        reference()
    clock = time.perf_counter
    times, ref_times, ratios = [], [], []
    for _ in range(max(1, repeat // block)):
        pair = []
        for fn, out in ((step, times), (reference, ref_times)):
            t = []
            for _ in range(block):
                t0 = clock()
                fn()
                t.append(clock() - t0)
            out.extend(t)
            pair.append(statistics.median(t))
        ratios.append(pair[0] / pair[1])
    return {
        "ms": 1e3 * statistics.median(times),
        "reference_ms": 1e3 * statistics.median(ref_times),
        "ratio": statistics.median(ratios),
    }


def print_pairs(results: dict[str, dict], name: str, reference: str, factor: float | None) -> None:
    """The paired ratio of ``name`` (``time_pairs`` in each process; median over processes),
    with its verdict when there is a target ``factor``."""
    r = results.get(name)
    if r is None or "error" in r:
        return
    verdict = "" if factor is None else f" -> within {factor}x: {'met' if r['ratio'] <= factor else 'NOT met'}"
    print(
        f"  paired, in one process ({r['pairs']} steps each, alternating blocks of 10, x {r['processes']} "
        f"processes): graphgrad / {reference} = {r['ratio']:.3f} (per process {r['ratios']}){verdict}"
    )


ALLOCATOR_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "autograd", "allocator.py")


def _allocator_module() -> Any:
    """autograd/allocator.py, loaded on its own (without importing autograd into other columns)."""
    spec = importlib.util.spec_from_file_location("graphgrad_allocator", ALLOCATOR_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MALLOC_ENV = "GRAPHGRAD_BENCH_MALLOC"


def use_system_malloc(enabled: bool) -> None:
    """Choose the allocator setting of every worker started from now on (see the docstring)."""
    if enabled:
        os.environ[MALLOC_ENV] = "system"
    else:
        os.environ.pop(MALLOC_ENV, None)


def allocator_note() -> str:
    if os.environ.get(MALLOC_ENV) == "system":
        return "glibc's default malloc settings in every worker"
    return "graphgrad's malloc settings (keep freed memory) in every worker"


def worker_main(workloads: dict[str, dict[str, Callable[[int], dict]]]) -> None:
    """Entry point of a worker process: ``--worker WORKLOAD FRAMEWORK REPEAT``."""
    if os.environ.get(MALLOC_ENV) != "system":  # same setting for every framework
        _allocator_module().keep_freed_memory()
    _, _, workload, framework, repeat = sys.argv[:5]
    result = workloads[workload][framework](int(repeat))
    print("RESULT " + json.dumps(result))


def run_worker(script: str, workload: str, framework: str, repeat: int, env: dict | None = None) -> dict:
    """One worker process of ``script`` (``env``: its environment, if not this one's)."""
    out = subprocess.run(
        [sys.executable, script, "--worker", workload, framework, str(repeat)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {"error": (out.stderr.strip().splitlines() or ["no output"])[-1]}


def compare(
    script: str, workloads: dict[str, dict[str, Callable]], names: list[str], repeat: int, rounds: int
) -> dict[str, dict[str, dict]]:
    """Run every framework of every workload ``rounds`` times, alternating; keep medians."""
    results: dict[str, dict[str, dict]] = {}
    for workload in names:
        per_fw: dict[str, list[dict]] = {fw: [] for fw in workloads[workload]}
        for _ in range(rounds):
            for fw in workloads[workload]:
                per_fw[fw].append(run_worker(script, workload, fw, repeat))
        results[workload] = {}
        for fw, runs in per_fw.items():
            good = [r for r in runs if "error" not in r]
            if not good:
                results[workload][fw] = runs[0]
                continue
            merged = dict(good[0])
            merged["ms"] = statistics.median(r["ms"] for r in good)
            merged["round_ms"] = [r.get("ms") for r in runs]  # None for a round that failed
            if "ratio" in merged:  # a paired measurement (time_pairs)
                merged["ratios"] = " ".join(f"{r['ratio']:.3f}" for r in good)
                merged["ratio"] = statistics.median(r["ratio"] for r in good)
                merged["pairs"], merged["processes"] = repeat, len(good)
            results[workload][fw] = merged
    return results


def round_ratios(results: dict[str, dict], name: str, reference: str) -> list[float]:
    """``name``'s time over ``reference``'s in each round: processes run one after the other, so
    these compare numbers measured seconds apart (the machine's speed drifts over minutes)."""
    mine, ref = results.get(name, {}).get("round_ms", []), results.get(reference, {}).get("round_ms", [])
    return [a / b for a, b in zip(mine, ref) if a is not None and b is not None]


def print_table(title: str, results: dict[str, dict], reference: str, target: str) -> None:
    print(f"\n{title}")
    rows = [(fw, r) for fw, r in results.items() if "ratio" not in r]  # paired ones: print_pairs
    base = results.get(reference, {}).get("ms")
    for fw, r in rows:
        if "error" in r:
            print(f"  {fw:<14} unavailable ({r['error']})")
            continue
        ratio = f"{r['ms'] / base:5.2f}x {reference}" if base else ""
        extra = "  ".join(f"{k}={v}" for k, v in r.items() if k not in ("ms", "round_ms"))
        print(f"  {fw:<14} {r['ms']:9.2f} ms   {ratio:<22} {extra}")
    if target:
        print(f"  target: {target}")
