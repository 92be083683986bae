"""Recording is per thread: grad mode, anomaly mode, module scopes and ``record_gradients`` set
in one thread (directly, or inside ``backward`` and ``optimizer.step``) never change what
another thread records. Real threads, switching as often as the interpreter allows; every
gradient must equal the one from the same training run alone in one thread."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor, graph

STEPS = 25


@pytest.fixture(autouse=True)
def _switch_often():
    """Make the interpreter switch threads every few bytecodes, so the threads interleave."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def _model(seed: int) -> nn.Module:
    ag.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))


def _batches(seed: int) -> list[tuple[Tensor, Tensor]]:
    rng = np.random.default_rng(seed)
    return [
        (Tensor(rng.standard_normal((8, 6)).astype(np.float32)), Tensor(rng.integers(0, 3, 8))) for _ in range(STEPS)
    ]


def _trainer(seed: int, start: threading.Barrier | None = None):
    """A training run to start in a thread. Its model is made here, in the calling thread: the
    random generator that initialises it is process-wide (as PyTorch's)."""
    model = _model(seed)
    return lambda: _train(seed, start, model)


def _train(seed: int, start: threading.Barrier | None = None, model: nn.Module | None = None) -> list:
    """STEPS steps of SGD; every step's parameter gradients (None where one is missing)."""
    model, batches = model if model is not None else _model(seed), _batches(seed)
    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    if start is not None:
        start.wait()
    grads = []
    for x, y in batches:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        grads.append([None if p.grad is None else p.grad.numpy().copy() for p in model.parameters()])
        opt.step()
    return grads


def _run(*targets) -> list:
    """Run each target in its own thread; re-raise the first error; the targets' results."""
    results: list = [None] * len(targets)
    errors: list = []

    def run(i, fn):
        try:
            results[i] = fn()
        except BaseException as e:  # (reported in the main thread)
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    if errors:
        raise errors[0]
    return results


def _assert_same(got, expected):
    assert len(got) == len(expected) == STEPS
    for step, (g, e) in enumerate(zip(got, expected)):
        for k, (a, b) in enumerate(zip(g, e)):
            assert a is not None, f"step {step}: parameter {k} got no gradient"
            np.testing.assert_array_equal(a, b, err_msg=f"step {step}, parameter {k}")


def test_two_trainers_on_separate_models():
    expected = [_train(1), _train(2)]
    start = threading.Barrier(2)
    got = _run(_trainer(1, start), _trainer(2, start))
    _assert_same(got[0], expected[0])
    _assert_same(got[1], expected[1])


def test_trainer_beside_an_evaluator_in_no_grad():
    expected = _train(1)
    model, batches = _model(5), _batches(5)
    start, done = threading.Barrier(2), threading.Event()

    def evaluate():
        start.wait()
        n = 0
        with ag.no_grad():
            while not done.is_set() or n == 0:
                for x, _ in batches:
                    out = model(x)
                    assert not out.requires_grad and out.grad_fn is None
                n += 1
        return n

    run = _trainer(1, start)

    def train():
        try:
            return run()
        finally:
            done.set()

    got, evaluations = _run(train, evaluate)
    _assert_same(got, expected)
    assert evaluations >= 1


def test_metrics_thread_in_short_no_grad_bursts():
    expected = _train(3)
    start, done = threading.Barrier(2), threading.Event()
    w = Tensor(np.ones(4, np.float32), requires_grad=True)

    def metrics():
        start.wait()
        bursts = 0
        while not done.is_set() or bursts == 0:
            with ag.no_grad():
                assert not (w * 2).requires_grad
            bursts += 1
        return bursts

    run = _trainer(3, start)

    def train():
        try:
            return run()
        finally:
            done.set()

    got, bursts = _run(train, metrics)
    _assert_same(got, expected)
    assert bursts >= 1
    assert ag.is_grad_enabled()  # the main thread's mode was never touched


def test_each_thread_starts_with_the_defaults_and_keeps_its_own_switches():
    seen = {}

    def other():
        seen["defaults"] = (ag.is_grad_enabled(), ag.is_anomaly_enabled(), graph.current_scope())
        with ag.no_grad(), ag.detect_anomaly(), ag.module_scope("other"):
            seen["inside"] = (ag.is_grad_enabled(), ag.is_anomaly_enabled(), tuple(graph.current_scope()))

    with ag.no_grad(), ag.detect_anomaly(), ag.module_scope("main"), ag.record_gradients():
        _run(other)
        assert not ag.is_grad_enabled() and ag.is_anomaly_enabled() and graph.current_scope() == ("main",)
        assert graph.recording_gradients()
    assert seen["defaults"] == (True, False, ())
    assert seen["inside"] == (False, True, ("other",))


def test_backward_with_create_graph_does_not_switch_recording_on_in_other_threads():
    """``backward(create_graph=True)`` records its rules: in its own thread only."""
    start, done = threading.Barrier(2), threading.Event()
    w = Tensor(np.ones(3), requires_grad=True)

    def differentiate():
        start.wait()
        for _ in range(200):
            x = Tensor(np.arange(3.0), requires_grad=True)
            (g,) = ag.grad((x**3).sum(), x, create_graph=True)
            assert g.requires_grad
        done.set()

    def inference():
        start.wait()
        with ag.no_grad():
            while not done.is_set():
                assert not (w * w).requires_grad

    _run(differentiate, inference)
