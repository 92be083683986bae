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
