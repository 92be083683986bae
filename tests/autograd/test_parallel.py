"""``autograd.parallel``: large primitives split into blocks of rows across threads.

Splitting must not change what is computed: every row once, exceptions raised in the caller,
the same values whatever the number of threads, no thread before the first large op."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor, parallel

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def threads():
    """Set the number of threads for one test, and restore it after."""
    old = ag.get_num_threads()
    yield ag.set_num_threads
    ag.set_num_threads(old)


def test_for_blocks_visits_every_row_once_in_several_threads(threads):
    threads(3)
    seen, names = np.zeros(10, int), set()

    def work(rows):
        names.add(threading.current_thread().name)
        seen[rows] += 1

    parallel.for_blocks(work, 10, 1, min_elements=1)
    assert seen.tolist() == [1] * 10
    assert any(n.startswith("graphgrad-worker") for n in names)


def test_for_blocks_small_work_and_one_thread_run_in_the_caller(threads):
    names = set()
    parallel.for_blocks(lambda rows: names.add(threading.current_thread().name), 4, 10)  # 40 elements: one block
    threads(1)
    parallel.for_blocks(lambda rows: names.add(threading.current_thread().name), 100, 10**6)
    assert names == {threading.current_thread().name}


def test_for_blocks_raises_a_workers_exception(threads):
    threads(2)

    def work(rows):
        if rows.start > 0:
            raise ValueError("bad block")

    with pytest.raises(ValueError, match="bad block"):
        parallel.for_blocks(work, 8, 1, min_elements=1)


def test_work_started_inside_a_worker_runs_there_in_one_piece(threads):
    threads(2)
    inner = {}

    def work(rows):
        outer = threading.current_thread().name
        parallel.for_blocks(lambda r: inner.setdefault(outer, []).append(r), 6, 1, min_elements=1)

    runner = threading.Thread(target=parallel.for_blocks, args=(work, 2, 1), kwargs={"min_elements": 1}, daemon=True)
    runner.start()
    runner.join(60)
    assert not runner.is_alive(), "a worker waited for the pool's other workers: deadlock"
    from_workers = [calls for name, calls in inner.items() if name.startswith("graphgrad-worker")]
    assert from_workers == [[slice(0, 6)]]  # (a worker waiting for workers could deadlock the pool)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_set_num_threads_refuses_non_positive_ints(bad):
    with pytest.raises(ValueError, match="positive int"):
        ag.set_num_threads(bad)


def _run(code: str, **env: str) -> str:
    environment = {**os.environ, "PYTHONPATH": ROOT, **env}
    environment.pop("OMP_NUM_THREADS", None) if "OMP_NUM_THREADS" not in env else None
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=True, timeout=120
    ).stdout


def test_import_starts_no_thread_and_omp_num_threads_is_read():
    code = (
        "import threading, numpy as np, autograd as ag\n"
        "print(threading.active_count(), ag.get_num_threads())\n"
        "ag.set_num_threads(2)\n"
        "ag.gelu(ag.Tensor(np.ones((512, 512), np.float32)), approximate='tanh')\n"
        "print(sorted(t.name.split('_')[0] for t in threading.enumerate()))\n"
    )
    first, names = _run(code, OMP_NUM_THREADS="3").split("\n")[:2]
    assert first == "1 3"
    assert "graphgrad-worker" in names


def test_a_forked_child_gets_its_own_workers():
    if not hasattr(os, "fork"):
        pytest.skip("no os.fork here")
    code = (
        "import os, numpy as np, autograd as ag\n"
        "ag.set_num_threads(2)\n"
        "x = ag.Tensor(np.ones((512, 512), np.float32))\n"
        "ag.gelu(x, approximate='tanh')\n"  # the parent's pool exists
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    ag.gelu(x, approximate='tanh')\n"  # would wait forever on the parent's (absent) workers
        "    os._exit(0)\n"
        "print(os.waitpid(pid, 0)[1])\n"
    )
    assert _run(code).strip() == "0"


def _step_results(rng_seed: int) -> list[np.ndarray]:
    """Outputs and gradients of the three split primitives on arrays large enough to be split."""
    rng = np.random.default_rng(rng_seed)
    q, k, v = (Tensor(rng.standard_normal((8, 4, 64, 16)).astype(np.float32), requires_grad=True) for _ in range(3))
    bias = np.triu(np.full((64, 64), -np.inf, np.float32), 1)
    x = Tensor(rng.standard_normal((8, 64, 256)).astype(np.float32), requires_grad=True)
    w, b = (Tensor(rng.standard_normal(256).astype(np.float32), requires_grad=True) for _ in range(2))
    att = ag.attention(q, k, v, bias, scale=0.25)
    act = ag.gelu(x, approximate="tanh")
    norm = ag.apply(ag.ops.layer_norm, (x, w, b), {"axes": (2,), "eps": 1e-5})
    (ag.sum(att * att) + ag.sum(act * norm)).backward()
    return [t.data for t in (att, act, norm)] + [t.grad.data for t in (q, k, v, x, w, b)]


def test_results_do_not_depend_on_the_number_of_threads(threads):
    threads(1)
    one = _step_results(0)
    threads(4)
    four = _step_results(0)
    for a, b in zip(one, four):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
