"""The benchmark columns do the same work: in every workload of ``bench_nn.py``, graphgrad,
PyTorch and the hand-written NumPy step start from the same weights and batch and report
the same loss before and after one update. (Timings are not checked: they are the
scripts' job, and noisy.)"""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
bench_nn = pytest.importorskip("bench_nn")


@pytest.mark.parametrize("workload", ["mlp", "lenet", "gru"])
def test_every_column_computes_the_same_losses(workload):
    pytest.importorskip("torch")
    results = {
        name: column(1) for name, column in bench_nn.WORKLOADS[workload].items() if not name.startswith("paired")
    }
    for key in ("loss0", "loss1"):
        values = {name: float(r[key]) for name, r in results.items()}
        spread = max(values.values()) - min(values.values())
        assert spread <= 1e-5 * max(1.0, abs(min(values.values()))), (key, values)
    assert float(results["graphgrad"]["loss1"]) < float(results["graphgrad"]["loss0"])  # the update helped


def test_the_paired_column_reports_both_times_and_their_ratio():
    r = bench_nn.WORKLOADS["mlp"]["paired"](2)
    assert r["ms"] > 0 and r["reference_ms"] > 0 and r["ratio"] > 0


def test_every_rung_of_the_mlp_overhead_ladder_computes_the_same_losses():
    """``mlp_overhead.py``'s hybrid steps (backward by hand, forward and optimizer by graphgrad or by
    hand) train exactly as the hand-written step does: same loss before and after each of 3 updates."""
    mlp_overhead = pytest.importorskip("mlp_overhead")
    losses = {}
    for name, make_step in mlp_overhead.RUNGS.items():
        step = make_step()
        losses[name] = [step() for _ in range(4)]
    reference = losses["numpy-by-hand"]
    assert reference[-1] < reference[0]  # it learns
    for name, values in losses.items():
        assert values == pytest.approx(reference, rel=1e-5), name


def test_mlp_overhead_runs_one_rung_untimed_for_a_profiler():
    """``--run RUNG --steps N`` runs that rung's step 5 + N times in its own process and prints only the
    last loss (a profiler run twice, with N and with 0 steps, gives the cost of one step)."""
    import subprocess

    mlp_overhead = pytest.importorskip("mlp_overhead")
    step = mlp_overhead.RUNGS["graphgrad"]()
    expected = [step() for _ in range(6)][-1]
    script = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "mlp_overhead.py")
    done = subprocess.run(
        [sys.executable, script, "--run", "graphgrad", "--steps", "1"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"graphgrad: 6 steps, last loss {expected:.6f}\n"
    bad = subprocess.run([sys.executable, script, "--run", "no-such-rung"], capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "invalid choice" in bad.stderr
