"""Shared benchmark plumbing: time a workload in a fresh subprocess per framework.

Each (workload, framework) pair runs in its own Python process, so one framework's
imports (PyTorch brings ~150k Python objects that the garbage collector must walk)
don't slow down another. Frameworks are run in alternation, and each reports the
median of its repeats. The printed ratios compare numbers from the same run.
"""

from __future__ import annotations

import json
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


def worker_main(workloads: dict[str, dict[str, Callable[[int], dict]]]) -> None:
    """Entry point of a worker process: ``--worker WORKLOAD FRAMEWORK REPEAT``."""
    _, _, workload, framework, repeat = sys.argv[:5]
    result = workloads[workload][framework](int(repeat))
    print("RESULT " + json.dumps(result))


def run_worker(script: str, workload: str, framework: str, repeat: int) -> dict:
    out = subprocess.run(
        [sys.executable, script, "--worker", workload, framework, str(repeat)],
        capture_output=True,
        text=True,
        check=False,
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
            results[workload][fw] = merged
    return results


def print_table(title: str, results: dict[str, dict], reference: str, target: str) -> None:
    print(f"\n{title}")
    rows = [(fw, r) for fw, r in results.items()]
    base = results.get(reference, {}).get("ms")
    for fw, r in rows:
        if "error" in r:
            print(f"  {fw:<14} unavailable ({r['error']})")
            continue
        ratio = f"{r['ms'] / base:5.2f}x {reference}" if base else ""
        extra = "  ".join(f"{k}={v}" for k, v in r.items() if k not in ("ms",))
        print(f"  {fw:<14} {r['ms']:9.2f} ms   {ratio:<22} {extra}")
    if target:
        print(f"  target: {target}")
