"""Deferred weight gradients (``MatmulSum``): a weight used by many ``linear`` calls gets the
sum of its per-use gradients, computed once; every way the engine hands a gradient out
(``.grad``, hooks, ``grad()``, non-leaf weights, mixed contributions) sees a plain array."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor, gradcheck, ops
from autograd.graph import MatmulSum, add_gradients


def _recurrence(w: Tensor, xs: list, h: Tensor) -> Tensor:
    """A weight used at every step, as in an RNN: h <- tanh(h W^T + x_t)."""
    for x in xs:
        h = ag.tanh(ag.linear(h, w, x))
    return h.sum()


def _expected_weight_grad(w: np.ndarray, xs: list, h0: np.ndarray) -> np.ndarray:
    """Backpropagation through the same recurrence by hand: sum over steps of g_t^T h_{t-1}."""
    hs = [h0]
    for x in xs:
        hs.append(np.tanh(hs[-1] @ w.T + x))
    g, total = np.ones_like(h0), np.zeros_like(w)
    for t in range(len(xs), 0, -1):
        g = g * (1 - hs[t] ** 2)
        total += g.T @ hs[t - 1]
        g = g @ w
    return total


def test_a_weight_used_at_every_step_gets_the_summed_gradient(rng):
    w0, h0 = 0.3 * rng.standard_normal((4, 4)), rng.standard_normal((3, 4))
    xs = [rng.standard_normal((3, 4)) for _ in range(25)]
    w = Tensor(w0, requires_grad=True)
    _recurrence(w, [Tensor(x) for x in xs], Tensor(h0)).backward()
    assert type(w.grad.data) is np.ndarray
    np.testing.assert_allclose(w.grad.data, _expected_weight_grad(w0, xs, h0), rtol=1e-12, atol=1e-12)


def test_recurrent_weight_gradient_matches_finite_differences(rng):
    xs = [Tensor(rng.standard_normal((2, 3))) for _ in range(6)]
    h0 = Tensor(rng.standard_normal((2, 3)))
    assert gradcheck(lambda w: _recurrence(w, xs, h0), (Tensor(0.4 * rng.standard_normal((3, 3)), requires_grad=True),))


def test_deferred_and_dense_contributions_add_up(rng):
    """The weight also feeds an op whose gradient is an ordinary array, before and after its linear uses."""
    w0, x0 = rng.standard_normal((3, 4)), rng.standard_normal((5, 4))
    w, x = Tensor(w0, requires_grad=True), Tensor(x0)
    loss = (w * w).sum() + ag.linear(x, w).sum() + ag.linear(x * 2, w).sum() + (w * 3).sum()
    loss.backward()
    expected = 2 * w0 + 3 * np.ones((5, 3)).T @ x0 + 3
    np.testing.assert_allclose(w.grad.data, expected, rtol=1e-12)


def test_contributions_of_different_dtypes(rng):
    """float32 and float64 inputs through one float64 weight (linear refuses mixed dtypes, as
    PyTorch: the float32 one is converted, a cast in the graph) and a float32 copy of the weight."""
    w0 = rng.standard_normal((2, 3))
    x32, x64 = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 3))
    w = Tensor(w0, requires_grad=True)
    with pytest.raises(TypeError, match="input is float32 but the weight is float64"):
        ag.linear(Tensor(x32), w)
    (ag.linear(Tensor(x32).double(), w).sum() + ag.linear(Tensor(x64), w).sum()).backward()
    assert w.grad.dtype == np.float64
    expected = np.ones((4, 2)).T @ x32.astype(np.float64) + np.ones((4, 2)).T @ x64
    np.testing.assert_allclose(w.grad.data, expected, rtol=1e-6)


def test_a_float32_weight_with_float64_inputs_gets_a_float32_gradient(rng):
    w = Tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    x = Tensor(rng.standard_normal((4, 3)))
    ag.linear(x.float(), w).sum().backward()  # (ag.linear(x, w) raises, as PyTorch)
    (x @ w.T).sum().backward()  # matmul promotes: the float64 contribution is cast to the weight's dtype
    assert w.grad.dtype == np.float32 and w.grad.shape == (2, 3)


def test_hooks_grad_and_non_leaf_weights_see_arrays(rng):
    w0, xs = rng.standard_normal((3, 3)), [Tensor(rng.standard_normal((2, 3))) for _ in range(4)]
    expected = sum(np.ones((2, 3)).T @ x.data for x in xs)
    seen = []
    w = Tensor(w0, requires_grad=True)
    w.register_hook(lambda g: seen.append(g))
    sum(ag.linear(x, w).sum() for x in xs).backward()
    assert len(seen) == 1 and isinstance(seen[0], Tensor) and type(seen[0].data) is np.ndarray
    np.testing.assert_allclose(seen[0].data, expected, rtol=1e-12)

    # grad() with the weight as an input, and a non-leaf weight (its node gets the deferred sum)
    (dw,) = ag.grad(sum(ag.linear(x, w).sum() for x in xs), w)
    np.testing.assert_allclose(dw.data, expected, rtol=1e-12)
    w.grad = None
    scaled = w * 2.0
    scaled.retain_grad()
    sum(ag.linear(x, scaled).sum() for x in xs).backward()
    np.testing.assert_allclose(scaled.grad.data, expected, rtol=1e-12)
    np.testing.assert_allclose(w.grad.data, 2 * expected, rtol=1e-12)


def test_retained_graph_backward_twice_and_create_graph(rng):
    w0, x0 = rng.standard_normal((2, 3)), rng.standard_normal((4, 3))
    w = Tensor(w0, requires_grad=True)
    loss = (ag.linear(Tensor(x0), w) ** 2).sum()
    loss.backward(retain_graph=True)
    first = w.grad.data.copy()
    loss.backward()
    np.testing.assert_allclose(w.grad.data, 2 * first, rtol=1e-12)
    (dw,) = ag.grad((ag.linear(Tensor(x0), w) ** 2).sum(), w, create_graph=True)
    assert dw.requires_grad  # under create_graph the rule runs on Tensors: nothing is deferred
    np.testing.assert_allclose(dw.data, first, rtol=1e-12)


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_anomaly_mode_checks_the_deferred_gradient(rng):
    """Finite forward, finite output gradient, but g^T x overflows float32: named at linear's backward."""
    w = Tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    x = Tensor(np.full((4, 3), 1e10, np.float32))
    out = ag.linear(x, w)
    out.register_hook(lambda g: g * np.float32(1e30))
    with ag.detect_anomaly(), pytest.raises(FloatingPointError, match=r"linear produced inf in its backward"):
        out.sum().backward()


def test_op_vjp_returns_an_array(rng):
    g, x, w = rng.standard_normal((4, 2)), rng.standard_normal((4, 3)), rng.standard_normal((2, 3))
    out = ops.linear.vjp(1, g, None, (x, w))
    assert type(out) is np.ndarray
    np.testing.assert_allclose(out, g.T @ x)


def test_joining_is_in_place_and_bounded(rng):
    """Joined factors are kept while they are small next to the result, then folded into a total."""
    parts = [(rng.standard_normal((2, 30)), rng.standard_normal((2, 40))) for _ in range(80)]
    total = MatmulSum.of(*parts[0])
    for a, b in parts[1:4]:
        assert add_gradients(total, MatmulSum.of(a, b)) is total
    assert len(total.lhs) == 4 and total.total is None and total.shape == (30, 40)
    for a, b in parts[4:]:
        total = add_gradients(total, MatmulSum.of(a, b))
        assert total.held <= MatmulSum.KEEP * 30 * 40  # never much more than the result itself
    assert total.total is not None
    np.testing.assert_allclose(total.value(), sum(a.T @ b for a, b in parts), rtol=1e-12)
    dense = rng.standard_normal((30, 40))
    kept = dense.copy()
    mixed = add_gradients(dense, MatmulSum.of(*parts[0]))  # an array first, then deferred parts: kept as the total
    assert type(mixed) is MatmulSum
    mixed = add_gradients(mixed, MatmulSum.of(*parts[1]))
    np.testing.assert_allclose(mixed.value(), dense + parts[0][0].T @ parts[0][1] + parts[1][0].T @ parts[1][1])
    np.testing.assert_array_equal(dense, kept)  # the array itself was not written to
    with pytest.raises(TypeError):
        dense + total  # never silently mixed with arrays


def test_only_later_small_contributions_are_deferred(rng):
    """linear's own weight rule computes; its batched rule (a gradient is already pending) defers,
    except a big batch through a small layer (holding batch-sized factors until the gradient is
    read would cost more memory than the result)."""
    g, x, w = rng.standard_normal((1000, 3)), rng.standard_normal((1000, 4)), rng.standard_normal((3, 4))
    assert type(ops.linear.vjps[1](g[:5], None, x[:5], w)) is np.ndarray
    assert type(ops.linear.batched_vjps[1](g[:5], None, x[:5], w)) is MatmulSum
    assert type(ops.linear.batched_vjps[1](g, None, x, w)) is np.ndarray
