"""The reverse sweep: backward/grad semantics, hooks, graph release, deep graphs, memory,
higher-order derivatives, grad mode, user Functions, and NumPy interop."""

from __future__ import annotations

import gc
import math
import sys
import tracemalloc
import warnings
import weakref

import numpy as np
import pytest

import autograd as ag
from autograd import Function, Tensor, enable_grad, no_grad
from autograd.graph import Node


def leaf(*values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), requires_grad=True)


def _assert_close(t, expected, rtol=1e-12, atol=1e-12):
    assert t is not None
    np.testing.assert_allclose(t.numpy() if isinstance(t, Tensor) else t, expected, rtol=rtol, atol=atol)


# =============================================================== backward
class TestBackward:
    def test_scalar_backward_fills_leaf_grads(self):
        a, b = leaf(2.0), leaf(-3.0)
        (a * b + a.exp()).sum().backward()
        _assert_close(a.grad, [-3.0 + math.exp(2.0)])
        _assert_close(b.grad, [2.0])
        assert isinstance(a.grad, Tensor) and not a.grad.requires_grad and a.grad.grad_fn is None

    def test_leaf_gradients_accumulate_until_zero_grad(self):
        x = leaf(1.0, 2.0)
        for k in range(1, 4):
            (x * x).sum().backward()
            _assert_close(x.grad, k * 2 * x.data)
        x.zero_grad()
        assert x.grad is None
        (3 * x).sum().backward()
        _assert_close(x.grad, [3.0, 3.0])

    def test_accumulated_grads_of_different_leaves_never_alias(self):
        # The same upstream gradient reaches both leaves through views (transposes):
        # accumulating into one leaf's .grad in place must not change the other's.
        p, q = Tensor(np.ones((2, 2)), requires_grad=True), Tensor(np.ones((2, 2)), requires_grad=True)
        c = Tensor(np.arange(4.0).reshape(2, 2))
        for k in (1, 2):
            ((p.T + q.T) * c).sum().backward()
            _assert_close(p.grad, k * c.data.T)
            _assert_close(q.grad, k * c.data.T)
        assert not np.shares_memory(p.grad.data, q.grad.data)

    def test_leaf_used_twice_gets_the_sum(self):
        x = leaf(3.0)
        y = x * x + x.sin() * x
        y.sum().backward()
        _assert_close(x.grad, [2 * 3.0 + math.cos(3.0) * 3.0 + math.sin(3.0)])

    def test_gradient_argument_gives_a_vector_jacobian_product(self, rng):
        a = rng.standard_normal((3, 4))
        v = rng.standard_normal(3)
        x = Tensor(a, requires_grad=True)
        y = (x * x).sum(1)
        y.backward(gradient=v)
        _assert_close(x.grad, 2 * a * v[:, None])
        # A Tensor works as the gradient too, and a list is converted.
        x.zero_grad()
        (x * 2).backward(Tensor(np.ones((3, 4))))
        _assert_close(x.grad, np.full((3, 4), 2.0))
        x.zero_grad()
        x.sum(0).backward([1.0, 2.0, 3.0, 4.0])
        _assert_close(x.grad, np.tile([1.0, 2.0, 3.0, 4.0], (3, 1)))

    def test_gradient_argument_is_not_aliased(self):
        x = leaf(1.0, 2.0)
        seed = np.array([1.0, 1.0])
        (x * 1).backward(seed)
        x.grad.data[:] = 5.0
        assert seed.tolist() == [1.0, 1.0]

    def test_backward_of_a_leaf_itself(self):
        x = Tensor(2.0, requires_grad=True)
        x.backward()
        _assert_close(x.grad, 1.0)

    def test_several_roots_with_autograd_backward(self):
        x = leaf(1.0, 2.0)
        y1, y2 = x * 2, (x * x).sum()
        ag.backward([y1, y2], [np.array([1.0, 10.0]), None])
        _assert_close(x.grad, np.array([2.0, 20.0]) + 2 * x.data)

    def test_float32_gradients_stay_float32(self):
        x = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
        y = (x * 2.5 + 1).exp().sum() / 3
        y.backward()
        assert y.dtype == np.float32 and x.grad.dtype == np.float32
        _assert_close(x.grad, 2.5 * np.exp(2.5 * x.data + 1) / 3, rtol=1e-6)

    def test_mixed_precision_gradient_has_each_inputs_dtype(self):
        x32 = Tensor(np.ones(3, np.float32), requires_grad=True)
        x64 = Tensor(np.full(3, 2.0), requires_grad=True)
        (x32 * x64).sum().backward()
        assert x32.grad.dtype == np.float32 and x64.grad.dtype == np.float64
        _assert_close(x32.grad, [2.0] * 3)
        _assert_close(x64.grad, [1.0] * 3)

    def test_only_reachable_part_of_graph_is_used(self):
        x, w = leaf(1.0), leaf(2.0)
        unrelated = w * 3  # noqa: F841  (recorded, but not part of y)
        y = x * 4
        y.sum().backward()
        _assert_close(x.grad, [4.0])
        assert w.grad is None


class TestNonLeafGradients:
    def test_non_leaf_grad_is_none_without_retain_grad(self):
        x = leaf(1.0, 2.0)
        y = x * 3
        (y * y).sum().backward()
        with pytest.warns(UserWarning, match="not a leaf.*retain_grad"):  # (PyTorch warns too)
            assert y.grad is None
        assert not y.is_leaf and x.is_leaf
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert x.grad is not None  # a leaf: no warning
            y.retain_grad()
            assert y.grad is None  # retained, before a backward: None, no warning

    def test_retain_grad_keeps_and_accumulates(self):
        x = leaf(1.0, 2.0)
        y = x * 3
        y.retain_grad()
        z = (y * y).sum()
        z.backward(retain_graph=True)
        _assert_close(y.grad, 2 * y.data)
        z.backward()
        _assert_close(y.grad, 4 * y.data)
        _assert_close(x.grad, 2 * 2 * y.data * 3)

    def test_retain_grad_on_a_leaf_is_harmless(self):
        x = leaf(1.0)
        x.retain_grad()
        (x * 2).sum().backward()
        _assert_close(x.grad, [2.0])


class TestHooks:
    def test_leaf_hook_sees_total_gradient_once_and_may_replace_it(self):
        x = leaf(1.0, 2.0)
        seen = []

        def hook(g):
            seen.append(g.numpy().copy())
            return g * 10

        x.register_hook(hook)
        (x * 2 + x * 3).sum().backward()
        assert len(seen) == 1
        _assert_close(seen[0], [5.0, 5.0])
        _assert_close(x.grad, [50.0, 50.0])

    def test_hook_returning_none_keeps_the_gradient(self):
        x = leaf(1.0)
        calls = []
        x.register_hook(lambda g: calls.append(type(g)))
        (x * 4).sum().backward()
        assert calls == [Tensor]
        _assert_close(x.grad, [4.0])

    def test_non_leaf_hook_changes_what_flows_upstream(self):
        x = leaf(1.0, 2.0)
        y = x * x
        y.register_hook(lambda g: g * 0 + 1)  # replace dL/dy (3) with 1
        (3 * y).sum().backward()
        _assert_close(x.grad, 2 * x.data)

    def test_non_leaf_hook_output_is_what_retain_grad_stores(self):
        x = leaf(1.0)
        y = x * 2
        y.retain_grad()
        y.register_hook(lambda g: g * 7)
        (y * 1).sum().backward()
        _assert_close(y.grad, [7.0])
        _assert_close(x.grad, [14.0])

    def test_hooks_run_in_order_and_chain(self):
        x = leaf(1.0)
        x.register_hook(lambda g: g + 1)
        x.register_hook(lambda g: g * 3)
        (x * 1).sum().backward()
        _assert_close(x.grad, [6.0])

    def test_removed_hook_does_not_run(self):
        x = leaf(1.0)
        handle = x.register_hook(lambda g: g * 100)
        handle.remove()
        handle.remove()  # idempotent
        (x * 2).sum().backward()
        _assert_close(x.grad, [2.0])

    def test_hooks_run_for_grad_too(self):
        x = leaf(2.0)
        x.register_hook(lambda g: g * 2)
        (g,) = ag.grad((x * x).sum(), x)
        _assert_close(g, [8.0])
        assert x.grad is None


# =============================================================== grad()
class TestGrad:
    def test_returns_tuple_and_leaves_dot_grad_alone(self):
        x, y = leaf(1.0, 2.0), leaf(3.0, 4.0)
        out = (x * y).sum()
        gx, gy = ag.grad(out, (x, y))
        _assert_close(gx, y.data)
        _assert_close(gy, x.data)
        assert x.grad is None and y.grad is None
        assert isinstance(ag.grad((x * 2).sum(), x), tuple)

    def test_grad_with_respect_to_a_non_leaf(self):
        x = leaf(1.0, 2.0)
        h = x * 3
        out = (h * h).sum()
        (gh,) = ag.grad(out, h)
        _assert_close(gh, 2 * h.data)

    def test_grad_outputs_and_several_outputs(self):
        x = leaf(1.0, 2.0)
        (g,) = ag.grad([x * 2, x * x], [x], grad_outputs=[np.array([1.0, 0.0]), Tensor(np.array([0.0, 1.0]))])
        _assert_close(g, [2.0, 4.0])

    def test_unused_input(self):
        x, w = leaf(1.0), leaf(2.0)
        with pytest.raises(RuntimeError, match="allow_unused=True"):
            ag.grad((x * 2).sum(), [x, w], retain_graph=True)
        gx, gw = ag.grad((x * 2).sum(), [x, w], allow_unused=True)
        _assert_close(gx, [2.0])
        assert gw is None

    def test_retain_graph_defaults_to_create_graph(self):
        x = leaf(1.5)
        y = (x.exp() * x).sum()
        ag.grad(y, x)
        with pytest.raises(RuntimeError, match="retain_graph=True"):
            ag.grad(y, x)
        z = (x.exp() * x).sum()
        (g1,) = ag.grad(z, x, create_graph=True)
        (g2,) = ag.grad(z, x)  # still there
        _assert_close(g1, g2.numpy())

    def test_returned_gradients_are_owned(self):
        x = leaf(1.0, 2.0)
        (g,) = ag.grad((x + 0).sum(), x)
        g.data[:] = 9.0
        (g2,) = ag.grad((x + 0).sum(), x)
        _assert_close(g2, [1.0, 1.0])


# =============================================================== graph release
class TestRelease:
    def test_backward_releases_saved_arrays_but_keeps_structure(self):
        x = Tensor(np.random.default_rng(0).standard_normal(1000), requires_grad=True)
        h = x.exp()
        loss = (h * h).sum()
        node = loss.grad_fn
        mul = node.parents[0]
        exp_node = mul.parents[0]
        saved = weakref.ref(exp_node.out)
        del h
        loss.backward()
        gc.collect()
        assert saved() is None, "exp's saved output is still alive after backward"
        for n in (mul, exp_node):
            assert n.released and n.inputs is None and n.args is None
        # The structure is still there: ops, edges, shapes and dtypes, for drawing.
        assert [n.op.name for n in (node, mul, exp_node)] == ["sum", "mul", "exp"]
        assert exp_node.parents == (x,) and mul.parents == (exp_node, exp_node)
        assert exp_node.shape == (1000,) and exp_node.dtype == np.float64
        assert node.next_functions == ((mul, 0),)
        assert exp_node.grad is not None and exp_node.grad.shape == (1000,)
        assert repr(loss).endswith("grad_fn=<sum>)")

    def test_second_backward_through_released_graph_says_retain_graph(self):
        x = leaf(1.0, 2.0)
        y = (x.exp() * x).sum()
        y.backward()
        with pytest.raises(RuntimeError, match=r"second time.*retain_graph=True"):
            y.backward()

    def test_retain_graph_allows_repeated_backward(self):
        x = leaf(1.0, 2.0)
        y = (x.exp() * x).sum()
        for k in (1, 2, 3):
            y.backward(retain_graph=k < 3)
            _assert_close(x.grad, k * (np.exp(x.data) * (x.data + 1)))
        with pytest.raises(RuntimeError, match="retain_graph=True"):
            y.backward()

    def test_backward_through_a_shared_subgraph_after_one_was_released(self):
        x = leaf(1.0)
        shared = x.exp()
        (shared * 2).sum().backward()
        with pytest.raises(RuntimeError, match="retain_graph"):
            (shared * 3).sum().backward()


# =============================================================== deep graphs
def test_chain_of_100000_ops_differentiates_without_recursion():
    assert sys.getrecursionlimit() < 100_000
    x = Tensor(np.float64(1.0), requires_grad=True)
    y = x
    for _ in range(50_000):  # two ops per step
        y = y * 0.9999 + 0.001
    count = 0
    node = y.grad_fn
    while node is not None and type(node) is Node:
        count += 1
        node = next((p for p in node.parents if p is not None), None)
    assert count == 100_000
    y.backward()
    _assert_close(x.grad, 0.9999**50_000, rtol=1e-9)
    del y, node
    gc.collect()  # tearing down the chain must not recurse either


def test_grad_through_a_deep_chain():
    x = Tensor(np.array([0.3, 0.7]), requires_grad=True)
    y, ref, dref = x, x.data.copy(), np.ones(2)
    for _ in range(20_000):
        dref *= np.cos(ref)
        ref = np.sin(ref)
        y = y.sin()
    (g,) = ag.grad(y.sum(), x)
    _assert_close(y, ref)
    _assert_close(g, dref, rtol=1e-9)


def test_wide_graph_many_uses_of_one_tensor():
    x = leaf(2.0)
    total = x * 0
    for i in range(2000):
        total = total + x * i
    total.sum().backward()
    _assert_close(x.grad, [sum(range(2000))])


# =============================================================== memory
def _train_step(w, b, x, t):
    h = (x @ w + b).tanh()
    loss = ((h - t) ** 2).mean() + 0.01 * (w * w).sum()
    loss.backward()
    with no_grad():
        w -= 0.1 * w.grad
        b -= 0.1 * b.grad
    w.zero_grad()
    b.zero_grad()
    return loss


def _live_nodes():
    return sum(1 for o in gc.get_objects() if type(o) is Node)


def test_memory_stays_flat_over_1000_training_iterations():
    rng = np.random.default_rng(0)
    w = Tensor(rng.standard_normal((20, 10)) * 0.1, requires_grad=True)
    b = Tensor(np.zeros(10), requires_grad=True)
    x, t = Tensor(rng.standard_normal((32, 20))), Tensor(rng.standard_normal((32, 10)))
    losses = []
    for _ in range(50):  # warm up (caches, first-use allocations)
        _train_step(w, b, x, t)
    gc.collect()
    nodes_before = _live_nodes()
    tracemalloc.start()
    try:
        for i in range(1000):
            loss = _train_step(w, b, x, t)
            if i % 100 == 0:
                losses.append(loss.item())
            if i == 99:
                gc.collect()
                base, _ = tracemalloc.get_traced_memory()
        del loss
        gc.collect()
        end, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # A leak of a single float per iteration would be 8 kB here; one saved batch, 2.5 MB.
    assert end - base < 8_000, f"memory grew by {end - base} bytes over 900 iterations"
    assert _live_nodes() <= nodes_before
    assert losses[-1] < losses[0]  # and it did train


def test_graph_is_freed_when_its_output_is_dropped():
    x = Tensor(np.ones(100), requires_grad=True)
    y = (x.exp() * 2).sin().sum()
    node = weakref.ref(y.grad_fn)
    del y
    assert node() is None  # no reference cycles: freed without the garbage collector


# =============================================================== higher order
class TestHigherOrder:
    def test_third_derivative_of_a_cubic(self):
        x = leaf(2.0)
        (d1,) = ag.grad((x**3).sum(), x, create_graph=True)
        (d2,) = ag.grad(d1.sum(), x, create_graph=True)
        (d3,) = ag.grad(d2.sum(), x)
        _assert_close(d1, [12.0])
        _assert_close(d2, [12.0])
        _assert_close(d3, [6.0])

    def test_hessian_of_a_multivariate_function(self):
        a = np.array([0.4, -1.2, 0.7])
        x = Tensor(a, requires_grad=True)
        f = (x.sin() * x[0]).sum() + (x * x).sum() * x[2]
        (g,) = ag.grad(f, x, create_graph=True)
        hessian = np.stack([ag.grad(g[i], x, retain_graph=True)[0].numpy() for i in range(3)])
        # f = x0 * sum(sin x) + x2 * sum(x^2)
        s, c = np.sin(a), np.cos(a)
        expected = np.diag(-a[0] * s + 2 * a[2])
        expected[0, :] += c
        expected[:, 0] += c
        expected[2, :] += 2 * a
        expected[:, 2] += 2 * a
        _assert_close(hessian, expected)
        _assert_close(hessian, hessian.T)

    def test_hessian_vector_product(self, rng):
        a, v = rng.standard_normal(4), rng.standard_normal(4)
        x = Tensor(a, requires_grad=True)
        f = (x.exp() * x).sum() + (x.sum()) ** 2
        (g,) = ag.grad(f, x, create_graph=True)
        (hv,) = ag.grad((g * Tensor(v)).sum(), x)
        expected = np.exp(a) * (a + 2) * v + 2 * v.sum()
        _assert_close(hv, expected)

    def test_backward_with_create_graph_makes_grad_differentiable(self):
        x = leaf(1.5)
        (x**4).sum().backward(create_graph=True)
        assert x.grad.requires_grad and x.grad.grad_fn is not None
        _assert_close(x.grad, [4 * 1.5**3])
        g = x.grad
        x.grad = None
        g.sum().backward()
        _assert_close(x.grad, [12 * 1.5**2])

    def test_create_graph_gradient_of_gradient_norm(self):
        # d/dx |grad f|^2 for f = sum(x^3): grad f = 3x^2, |.|^2 = 9 sum x^4, derivative 36 x^3.
        x = leaf(0.5, -1.0, 2.0)
        (g,) = ag.grad((x**3).sum(), x, create_graph=True)
        (g * g).sum().backward()
        _assert_close(x.grad, 36 * x.data**3)

    def test_double_backward_of_first_order_graph_is_not_differentiable(self):
        x = leaf(1.0)
        (g,) = ag.grad((x * x).sum(), x)
        assert not g.requires_grad and g.grad_fn is None


# =============================================================== grad mode
class TestGradMode:
    def test_no_grad_records_nothing(self):
        x = leaf(1.0)
        with no_grad():
            assert not ag.is_grad_enabled()
            y = x * 2 + x.exp()
        assert ag.is_grad_enabled()
        assert not y.requires_grad and y.grad_fn is None and y.is_leaf

    def test_nothing_recorded_when_no_input_requires_grad(self):
        a, b = Tensor([1.0, 2.0]), Tensor([3.0, 4.0])
        for y in (a * b, (a @ b), a.exp().sum(), ag.cat([a, b]), a[0], ag.stack([a, b]).mean(0)):
            assert not y.requires_grad and y.grad_fn is None

    def test_output_requires_grad_if_any_input_does(self):
        a, b = Tensor([1.0, 2.0]), leaf(3.0, 4.0)
        assert (a * b).requires_grad and (a * b).grad_fn.parents[0] is None

    def test_enable_grad_inside_no_grad(self):
        x = leaf(1.0)
        with no_grad():
            with enable_grad():
                y = x * 2
            z = x * 2
        assert y.requires_grad and not z.requires_grad

    def test_decorators_with_and_without_parentheses(self):
        x = leaf(1.0)

        @no_grad()
        def f(t):
            return t * 2

        @no_grad
        def g(t):
            return t * 2

        @enable_grad()
        def h(t):
            return t * 2

        assert not f(x).requires_grad and not g(x).requires_grad
        assert f.__name__ == "f"
        with no_grad():
            assert h(x).requires_grad
        assert ag.is_grad_enabled()

    def test_state_is_restored_after_an_exception_and_nesting(self):
        with pytest.raises(ZeroDivisionError):
            with no_grad():
                raise ZeroDivisionError
        assert ag.is_grad_enabled()

        @no_grad()
        def recurse(n):
            assert not ag.is_grad_enabled()
            return 0 if n == 0 else recurse(n - 1)

        recurse(3)
        assert ag.is_grad_enabled()
        ctx = no_grad()
        with ctx:
            with ctx:  # the same object nested
                pass
            assert not ag.is_grad_enabled()
        assert ag.is_grad_enabled()

    def test_set_grad_enabled(self):
        x = leaf(1.0)
        with ag.set_grad_enabled(False):
            assert not (x * 2).requires_grad
        assert (x * 2).requires_grad
        ag.set_grad_enabled(False)
        try:
            assert not (x * 2).requires_grad
        finally:
            ag.set_grad_enabled(True)

    def test_optimizer_step_under_no_grad(self):
        w = leaf(1.0, 2.0)
        (w * w).sum().backward()
        with no_grad():
            w -= 0.5 * w.grad
            w *= 2
        assert w.is_leaf and w.requires_grad and w.grad_fn is None
        _assert_close(w, [0.0, 0.0])


# =============================================================== Function
class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


class ScaleShift(Function):
    """y = x * scale + shift, with a non-Tensor ``scale`` argument.

    The gradient for ``shift`` (shape (1,)) comes back in the output's shape: like PyTorch,
    the engine sums it over the broadcast axes.
    """

    @staticmethod
    def forward(ctx, x, scale, shift):
        ctx.scale = scale
        return x * scale + shift

    @staticmethod
    def backward(ctx, g):
        return g * ctx.scale, None, g


class SinCos(Function):
    """Two outputs; saves its output."""

    @staticmethod
    def forward(ctx, x):
        s, c = x.sin(), x.cos()
        ctx.save_for_backward(s, c)
        return s, c

    @staticmethod
    def backward(ctx, gs, gc_):
        s, c = ctx.saved_tensors
        return gs * c - gc_ * s


class TestFunction:
    def test_custom_op_gradient(self):
        x = leaf(2.0, -1.0)
        y = Cube.apply(x)
        assert y.grad_fn is not None and y.grad_fn.op.name == "Cube"
        y.sum().backward()
        _assert_close(y, x.data**3)
        _assert_close(x.grad, 3 * x.data**2)

    def test_forward_runs_without_recording_and_ctx_flags(self):
        seen = {}

        class Probe(Function):
            @staticmethod
            def forward(ctx, a, b, k):
                seen["recording"] = ag.is_grad_enabled()
                seen["needs"] = ctx.needs_input_grad
                return a * b * k

            @staticmethod
            def backward(ctx, g):
                return g, g, None

        Probe.apply(leaf(1.0), Tensor([2.0]), 3)
        assert seen == {"recording": False, "needs": (True, False, False)}

    def test_non_tensor_arguments_get_none(self):
        x, shift = leaf(1.0, 2.0), leaf(0.5)
        y = ScaleShift.apply(x, 3.0, shift)
        (y * y).sum().backward()
        _assert_close(x.grad, 2 * y.data * 3.0)
        _assert_close(shift.grad, [2 * y.data.sum()])

    def test_multiple_outputs(self):
        a = np.array([0.3, 1.1])
        x = Tensor(a, requires_grad=True)
        s, c = SinCos.apply(x)
        (2 * s + 3 * c).sum().backward()
        _assert_close(x.grad, 2 * np.cos(a) - 3 * np.sin(a))

    def test_only_one_of_several_outputs_used(self):
        a = np.array([0.3, 1.1])
        x = Tensor(a, requires_grad=True)
        _, c = SinCos.apply(x)
        c.sum().backward()
        _assert_close(x.grad, -np.sin(a))

    def test_output_used_twice_and_with_other_ops(self):
        x = leaf(1.5)
        y = Cube.apply(x)
        (y * y + y.exp()).sum().backward()
        y0 = 1.5**3
        _assert_close(x.grad, [(2 * y0 + math.exp(y0)) * 3 * 1.5**2])

    def test_second_order_through_backward(self):
        x = leaf(2.0)
        (g,) = ag.grad(Cube.apply(x).sum(), x, create_graph=True)
        (h,) = ag.grad(g.sum(), x)
        _assert_close(g, [12.0])
        _assert_close(h, [12.0])

    def test_second_order_through_the_saved_output_of_a_dropped_output(self):
        a = np.array([0.3, 1.1])
        x = Tensor(a, requires_grad=True)
        _, c = SinCos.apply(x)  # sin is dropped here, but backward reads it (a saved output)
        (g,) = ag.grad(c.sum(), x, create_graph=True)
        (h,) = ag.grad(g.sum(), x)
        _assert_close(g, -np.sin(a))
        _assert_close(h, -np.cos(a))

    def test_mark_non_differentiable(self):
        class MaxWithIndex(Function):
            @staticmethod
            def forward(ctx, x):
                i = x.argmax()
                ctx.mark_non_differentiable(i)
                ctx.i, ctx.shape = int(i.item()), x.shape
                return x.max(), i

            @staticmethod
            def backward(ctx, g, _gi):
                out = np.zeros(ctx.shape)
                out[ctx.i] = 1.0
                return g * Tensor(out)

        x = leaf(1.0, 5.0, 2.0)
        v, i = MaxWithIndex.apply(x)
        assert not i.requires_grad and v.requires_grad
        v.backward()
        _assert_close(x.grad, [0.0, 1.0, 0.0])

    def test_no_graph_when_nothing_requires_grad(self):
        y = Cube.apply(Tensor([2.0]))
        assert not y.requires_grad and y.grad_fn is None
        with no_grad():
            assert not Cube.apply(leaf(2.0)).requires_grad

    def test_saved_tensors_are_released_after_backward(self):
        x = Tensor(np.ones(1000), requires_grad=True)
        h = x * 2
        saved = weakref.ref(h.data)
        y = Cube.apply(h)
        del h
        y.sum().backward()
        gc.collect()
        assert saved() is None, "ctx.save_for_backward's tensor outlives backward"
        _assert_close(x.grad, np.full(1000, 24.0))
        with pytest.raises(RuntimeError, match="retain_graph"):
            y.sum().backward()

    def test_saved_tensors_kept_with_retain_graph(self):
        x = leaf(2.0)
        y = Cube.apply(x).sum()
        y.backward(retain_graph=True)
        y.backward()
        _assert_close(x.grad, [24.0])


# =============================================================== NumPy interop, repr, attributes
class TestInterop:
    def test_np_asarray(self):
        t = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        a = np.asarray(t)
        assert isinstance(a, np.ndarray) and a.dtype == np.float32
        np.testing.assert_array_equal(a, [[1.0, 2.0], [3.0, 4.0]])
        assert np.asarray(t, dtype=np.float64).dtype == np.float64
        assert np.asarray(Tensor(2.5)).shape == ()
        assert np.array(t).tolist() == t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
        assert isinstance(t.numpy(), np.ndarray) and isinstance(t.data, np.ndarray)
        assert isinstance(Tensor(2.5).data, np.ndarray)

    @pytest.mark.parametrize(
        "expr, dx",
        [
            (lambda a, x: a + x, lambda a, x: np.ones_like(x)),
            (lambda a, x: a - x, lambda a, x: -np.ones_like(x)),
            (lambda a, x: a * x, lambda a, x: a),
            (lambda a, x: a / x, lambda a, x: -a / x**2),
            (lambda a, x: a**x, lambda a, x: a**x * np.log(a)),
            (lambda a, x: np.exp(x) * a, lambda a, x: np.exp(x) * a),
            (lambda a, x: np.maximum(a, x), lambda a, x: (x > a).astype(float)),
            (lambda a, x: np.sin(x) + np.tanh(x), lambda a, x: np.cos(x) + 1 - np.tanh(x) ** 2),
        ],
    )
    def test_ndarray_on_the_left_returns_a_tensor(self, expr, dx):
        a = np.array([1.5, 2.5, 0.7])
        xa = np.array([0.3, 2.0, 1.1])
        x = Tensor(xa, requires_grad=True)
        y = expr(a, x)
        assert isinstance(y, Tensor) and y.requires_grad
        np.testing.assert_allclose(y.numpy(), expr(a, xa))
        y.sum().backward()
        _assert_close(x.grad, dx(a, xa))

    def test_ndarray_matmul_tensor(self):
        a = np.arange(6.0).reshape(2, 3)
        x = Tensor(np.ones((3, 2)), requires_grad=True)
        y = a @ x
        assert isinstance(y, Tensor)
        y.sum().backward()
        _assert_close(x.grad, np.tile(a.sum(0)[:, None], (1, 2)))

    def test_ndarray_comparison_gives_bool_tensor(self):
        y = np.array([1.0, 2.0]) < Tensor([1.5, 1.5])
        assert isinstance(y, Tensor) and y.dtype == np.bool_ and y.tolist() == [True, False]

    def test_repr_shows_data_grad_fn_and_requires_grad(self):
        x = Tensor([1.0, 2.0], requires_grad=True, name="x")
        assert repr(x) == "tensor([1., 2.], requires_grad=True, name='x')"
        y = x * 2
        assert repr(y) == "tensor([2., 4.], grad_fn=<mul>)"
        assert repr(Tensor([1, 2])) == "tensor([1, 2])"
        assert "dtype=float64" in repr(Tensor(np.array([1.0])))
        assert "..." in repr(Tensor(np.zeros(1000)))  # summarized, not 1000 numbers
        assert repr(ag.Parameter([1.0])).startswith("Parameter containing:\ntensor([1.], requires_grad=True")

    def test_attributes(self):
        x = Tensor(np.zeros((2, 3, 4)), requires_grad=True, name="w")
        assert x.shape == (2, 3, 4) and x.ndim == 3 and x.size == 24 and x.size() == (2, 3, 4)
        assert x.size(1) == 3 and x.numel() == 24 and len(x) == 2 and x.name == "w"
        assert x.dtype == np.float64 and x.is_leaf and x.grad_fn is None and x.grad is None
        assert x.T.shape == (4, 3, 2)
        assert Tensor([[2.5]]).item() == 2.5 and float(Tensor(1.5)) == 1.5 and int(Tensor(3.0)) == 3

    def test_detach_shares_data_and_cuts_the_graph(self):
        x = leaf(1.0, 2.0)
        y = x * 2
        d = y.detach()
        assert not d.requires_grad and d.grad_fn is None and d.is_leaf
        assert np.shares_memory(d.data, y.data)

    def test_requires_grad_(self):
        x = Tensor([1.0])
        assert x.requires_grad_() is x and x.requires_grad
        x.requires_grad_(False)
        assert not x.requires_grad
        y = leaf(1.0) * 2
        with pytest.raises(RuntimeError, match="leaf"):
            y.requires_grad_(False)

    def test_grad_can_be_assigned(self):
        x = leaf(1.0, 2.0)
        x.grad = np.array([3.0, 4.0])
        assert isinstance(x.grad, Tensor) and x.grad.dtype == np.float64
        (x * 1).sum().backward()
        _assert_close(x.grad, [4.0, 5.0])
        with pytest.raises(RuntimeError, match="shape"):
            x.grad = np.zeros(3)


# =============================================================== construction and dtypes (API.md)
class TestConstruction:
    @pytest.mark.parametrize(
        "data, dtype",
        [
            (1.5, np.float32),
            (2, np.float32),  # API.md: Python ints become the default dtype too
            ([1.0, 2.0], np.float32),
            ([1.0, 2], np.float32),
            ([[1, 2], [3, 4]], np.int64),  # lists of ints stay int64
            ([True, False], np.bool_),
            (np.array([1.0, 2.0]), np.float64),  # NumPy arrays keep their dtype
            (np.array([1.0], np.float16), np.float16),
            (np.array([1, 2], np.int32), np.int32),
            (np.float64(2.0), np.float64),
            ([np.float64(1.0), np.float64(2.0)], np.float32),
        ],
    )
    def test_dtype_rules(self, data, dtype):
        assert Tensor(data).dtype == dtype
        assert ag.tensor(data).dtype == dtype

    def test_default_dtype_can_be_changed(self):
        ag.set_default_dtype(np.float64)
        assert ag.get_default_dtype() == np.float64
        assert Tensor(1.5).dtype == np.float64 and Tensor([1, 2.0]).dtype == np.float64
        assert ag.zeros(2).dtype == np.float64 and ag.randn(2).dtype == np.float64
        assert (Tensor(np.float32([1.0])) * 2.5).dtype == np.float32  # scalars stay weak

    def test_explicit_dtype_and_copy(self):
        a = np.array([1.0, 2.0])
        t = Tensor(a, dtype=np.float32, requires_grad=True, name="t")
        assert t.dtype == np.float32 and t.requires_grad and t.name == "t"
        a[0] = 9.0
        assert t.tolist() == [1.0, 2.0]  # the data is copied
        c = Tensor(t)
        assert c.is_leaf and not c.requires_grad and not np.shares_memory(c.data, t.data)

    def test_factories(self):
        assert ag.zeros(2, 3).shape == (2, 3) and ag.zeros((2, 3)).tolist() == [[0.0] * 3] * 2
        assert ag.ones(3).tolist() == [1.0] * 3 and ag.ones(3).dtype == np.float32
        assert ag.full((2,), 3.5).tolist() == [3.5, 3.5]
        assert ag.arange(4).tolist() == [0, 1, 2, 3] and ag.arange(4).dtype == np.int64
        assert ag.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75] and ag.arange(0, 1, 0.25).dtype == np.float32
        np.testing.assert_array_equal(ag.eye(3).numpy(), np.eye(3))
        assert ag.eye(2, 3).shape == (2, 3)
        base = Tensor(np.ones((2, 2)))
        assert ag.zeros_like(base).dtype == np.float64 and ag.ones_like(base).tolist() == [[1.0, 1.0]] * 2
        w = ag.zeros(3, requires_grad=True)
        assert w.requires_grad and w.is_leaf
        ag.manual_seed(7)
        r1, u1 = ag.randn(4), ag.rand(4)
        ag.manual_seed(7)
        assert ag.randn(4).tolist() == r1.tolist() and ag.rand(4).tolist() == u1.tolist()
        assert ((0 <= u1.numpy()) & (u1.numpy() < 1)).all()
        assert ag.randn(2, 3, requires_grad=True).requires_grad


def test_user_functions_pass_gradcheck_and_gradgradcheck():
    x = Tensor(np.array([0.3, -1.1, 2.0]), requires_grad=True)
    shift = Tensor(np.array([0.5]), requires_grad=True)
    assert ag.gradcheck(Cube.apply, (x,), mode="full")
    assert ag.gradgradcheck(Cube.apply, (x,), mode="full")
    assert ag.gradcheck(SinCos.apply, (x,), mode="full")
    assert ag.gradgradcheck(lambda t: SinCos.apply(t)[1], (x,), mode="full")
    assert ag.gradcheck(lambda t, s: ScaleShift.apply(t, 3.0, s), (x, shift), mode="full")


@pytest.mark.parametrize(
    "big, small",
    [((5, 4, 3), (3,)), ((6, 3), (6, 3)), ((2, 0, 3), (3,)), ((4, 2), ()), ((3, 2, 1), (2, 1)), ((3, 4), (1, 4))],
)
def test_gradients_summed_back_over_broadcast_axes(big, small):
    """A bias's gradient (a sum over leading axes, computed as a product with a row of ones) and
    the other broadcasts (size-1 axes) against NumPy's sums, empty batches included."""
    rng = np.random.default_rng(0)
    b = ag.Tensor(rng.standard_normal(small), requires_grad=True)
    g = rng.standard_normal(big)
    (ag.Tensor(np.zeros(big)) + b).backward(g)
    extra = len(big) - len(small)
    axes = tuple(range(extra)) + tuple(extra + i for i, n in enumerate(small) if n == 1 and big[extra + i] != 1)
    expected = g.sum(axis=axes, keepdims=True).reshape(small)
    assert b.grad.shape == small
    np.testing.assert_allclose(b.grad.data, expected, rtol=1e-12, atol=1e-12)
