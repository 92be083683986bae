"""autograd.scratch: arrays reused between steps must never change a value anyone can still read."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import ops, scratch

# Arrays of this shape (float32) are large enough for the pool: 512 KiB, over ``scratch.MIN_BYTES``.
SHAPE = (256, 512)


@pytest.fixture(autouse=True)
def _fresh_pool():
    scratch.clear()
    yield
    scratch.clear()


def _conv_gru_steps(seed: int, steps: int = 3) -> list[np.ndarray]:
    """A few SGD steps of a small conv net and a small GRU (arrays large enough for the pool);
    the parameters after them and the losses."""
    rng = np.random.default_rng(seed)
    conv = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.Sigmoid(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(512, 5))
    gru, head = nn.GRU(20, 128), nn.Linear(128, 5)  # batch 192: per-step gates of 288 KiB, pooled
    for p in [*conv.parameters(), *gru.parameters(), *head.parameters()]:
        p.data[...] = rng.standard_normal(p.shape).astype(p.dtype) * 0.1
    params = [*conv.parameters(), *gru.parameters(), *head.parameters()]
    opt = nn.optim.SGD(params, lr=0.1)
    x_img = ag.Tensor(rng.standard_normal((16, 3, 16, 16)).astype(np.float32))
    x_seq = ag.Tensor(rng.standard_normal((12, 192, 20)).astype(np.float32))
    y_img, y_seq = ag.Tensor(rng.integers(0, 5, 16)), ag.Tensor(rng.integers(0, 5, 12 * 192))
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        out, _ = gru(x_seq)
        loss = nn.functional.cross_entropy(conv(x_img), y_img) + nn.functional.cross_entropy(
            head(out).reshape(-1, 5), y_seq
        )
        loss.backward()
        opt.step()
        losses.append(np.array(loss.item()))
    return [p.data.copy() for p in params] + losses


def test_training_is_bitwise_the_same_with_and_without_the_pool():
    with_pool = _conv_gru_steps(0)
    assert scratch._pool.shelves, "the pool was not used: this test checks nothing"
    with scratch.disabled():
        without = _conv_gru_steps(0)
    for a, b in zip(with_pool, without):
        np.testing.assert_array_equal(a, b)


def test_a_saved_value_survives_later_forwards_and_backwards(rng):
    """tanh saves its output for backward; forwards and backwards of the same shapes in between
    must not write into it (retain_graph: the first graph is walked twice)."""
    x = ag.Tensor(rng.standard_normal(SHAPE).astype(np.float32), requires_grad=True)
    y = ag.tanh(x)
    kept = y.data.copy()
    y.sum().backward(retain_graph=True)
    first = x.grad.data.copy()
    for _ in range(3):
        other = ag.Tensor(rng.standard_normal(SHAPE).astype(np.float32), requires_grad=True)
        ag.tanh(other).sum().backward()
    np.testing.assert_array_equal(y.data, kept)
    assert scratch._pool.shelves, "the pool was not used: this test checks nothing"
    x.grad = None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, first)
    np.testing.assert_array_equal(first, 1 - kept * kept)


def test_arrays_the_user_keeps_are_not_reused_and_freed_ones_are(rng):
    x = ag.Tensor(rng.standard_normal(SHAPE).astype(np.float32))
    kept = ag.tanh(x).data  # the Tensor is gone, its array is the user's
    view = ag.sigmoid(x).data[:2]  # a view keeps its base
    values, view_values = kept.copy(), view.copy()
    address = ag.tanh(x * 2).data.ctypes.data  # freed at once: its memory may come back
    for _ in range(3):
        ag.tanh(x * 3), ag.sigmoid(x * 3)
    np.testing.assert_array_equal(kept, values)
    np.testing.assert_array_equal(view, view_values)
    assert ag.tanh(x * 4).data.ctypes.data == address  # reuse does happen (else nothing is tested)


def test_second_order_gradients_are_the_same_with_and_without_the_pool(rng):
    x_np = rng.standard_normal(SHAPE).astype(np.float32)

    def hessian_diagonal_sum() -> np.ndarray:
        x = ag.Tensor(x_np, requires_grad=True)
        (g,) = ag.grad(ag.tanh(ag.sigmoid(x) @ ag.Tensor(x_np.T)).sum(), x, create_graph=True)
        (h,) = ag.grad(g.sum(), x)
        return h.data.copy()

    with_pool = hessian_diagonal_sum()
    assert scratch._pool.shelves, "the pool was not used: this test checks nothing"
    with scratch.disabled():
        without = hessian_diagonal_sum()
    np.testing.assert_array_equal(with_pool, without)


def test_two_threads_have_their_own_pools_and_the_same_results():
    alone = _conv_gru_steps(1, steps=2)
    results, shelves, errors = {}, {}, []

    def train(name: str) -> None:
        try:
            results[name] = _conv_gru_steps(1, steps=2)
            shelves[name] = [a for shelf in scratch._pool.shelves.values() for a in shelf.arrays]
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=train, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert shelves["a"] and not {id(a) for a in shelves["a"]} & {id(b) for b in shelves["b"]}  # (all kept alive)
    for name in ("a", "b"):
        for got, want in zip(results[name], alone):
            np.testing.assert_array_equal(got, want)


def test_disabled_and_clear():
    with scratch.disabled():
        a = scratch.empty((256, 256), np.float32)
    assert not scratch._pool.shelves
    b = scratch.empty((256, 256), np.float32)
    assert a is not b and scratch._pool.nbytes == b.nbytes
    scratch.clear()
    assert not scratch._pool.shelves and scratch._pool.nbytes == 0
    assert scratch.empty((4,), np.float32).shape == (4,)  # small: never pooled
    assert not scratch._pool.shelves


def test_the_pool_forgets_old_shapes_beyond_its_budget(monkeypatch):
    monkeypatch.setattr(scratch, "MAX_BYTES", 256 * (3 * 262) * 4)  # room for the last three
    kept = [scratch.empty((256, 256 + i), np.float32) for i in range(6)]  # six shapes, in use
    assert scratch._pool.nbytes <= scratch.MAX_BYTES
    assert list(scratch._pool.shelves) == [((256, 256 + i), np.dtype(np.float32)) for i in (3, 4, 5)]
    kept[0][...] = 1  # forgotten by the pool, still the user's
    assert (kept[0] == 1).all() and scratch.empty((256, 256), np.float32) is not kept[0]


def test_products_under_min_bytes_come_from_malloc_and_larger_ones_from_the_pool(rng):
    """A small product is read at once by the next op: malloc's just-freed (cached) block beats a
    pooled array last written a step ago. From ``scratch.MIN_BYTES`` on, products are pooled."""

    def pooled(batch: int, features: int) -> bool:
        scratch.clear()
        x = rng.standard_normal((batch, 64)).astype(np.float32)
        w = rng.standard_normal((features, 64)).astype(np.float32)
        out = ops._linear(x, w, np.zeros(features, np.float32))
        np.testing.assert_allclose(out, x @ w.T, rtol=1e-5, atol=1e-5)
        return any(out is a for shelf in scratch._pool.shelves.values() for a in shelf.arrays)

    rows = scratch.MIN_BYTES // 4 // 256  # rows of 256 float32: exactly the bound
    assert not pooled(rows - 1, 256)
    assert pooled(rows, 256)
