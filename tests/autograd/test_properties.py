"""Property tests over random shapes (hypothesis): elementwise ops under broadcasting, and
reductions over random dims, against NumPy forwards and closed-form derivatives."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import autograd as ag
from autograd import Tensor, gradcheck

SETTINGS = settings(max_examples=30, deadline=None, database=None, derandomize=True)
seeds = st.integers(0, 2**32 - 1)


def sum_to(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Reference for undoing broadcasting: sum ``g`` down to ``shape``."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


def _vjp(fn, arrays, g):
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*xs)
    out.backward(g)
    return out, [x.grad.numpy() for x in xs]


# ------------------------------------------------------------------ binary, broadcasting
def _pos(rng, s):
    return rng.uniform(0.5, 2.0, s)


def _real(rng, s):
    return rng.standard_normal(s)


def _away(rng, s):
    return rng.choice([-1.0, 1.0], s) * rng.uniform(0.5, 2.0, s)


_ONE = lambda x, y: np.ones_like(x + y)  # noqa: E731
BINARY = {
    # name: (op, numpy forward, (d/dx, d/dy) as NumPy functions, domains)
    "add": (lambda x, y: x + y, np.add, (_ONE, _ONE), _real),
    "sub": (lambda x, y: x - y, np.subtract, (_ONE, lambda x, y: -_ONE(x, y)), _real),
    "mul": (lambda x, y: x * y, np.multiply, (lambda x, y: y + 0 * x, lambda x, y: x + 0 * y), _real),
    "div": (lambda x, y: x / y, np.divide, (lambda x, y: 1 / y + 0 * x, lambda x, y: -x / y**2), _away),
    "pow": (lambda x, y: x**y, np.power, (lambda x, y: y * x ** (y - 1), lambda x, y: x**y * np.log(x)), _pos),
    "maximum": (ag.maximum, np.maximum, (lambda x, y: (x > y) + 0.0, lambda x, y: (y > x) + 0.0), _real),
    "minimum": (ag.minimum, np.minimum, (lambda x, y: (x < y) + 0.0, lambda x, y: (y < x) + 0.0), _real),
}  # fmt: skip


@pytest.mark.parametrize("name", list(BINARY))
@SETTINGS
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4), seed=seeds)
def test_binary_ops_broadcast(name, shapes, seed):
    op, np_op, (dx, dy), dom = BINARY[name]
    (sx, sy), out_shape = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(seed)
    x, y = dom(rng, sx), dom(rng, sy)
    g = rng.standard_normal(out_shape)
    out, (gx, gy) = _vjp(op, (x, y), g)
    assert out.shape == out_shape and gx.shape == sx and gy.shape == sy
    np.testing.assert_allclose(out.numpy(), np_op(x, y), rtol=1e-12)
    np.testing.assert_allclose(gx, sum_to(g * dx(x, y), sx), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gy, sum_to(g * dy(x, y), sy), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(BINARY))
@settings(max_examples=10, deadline=None, database=None, derandomize=True)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3), seed=seeds)
def test_binary_ops_broadcast_gradcheck(name, shapes, seed):
    op, _, _, dom = BINARY[name]
    rng = np.random.default_rng(seed)
    xs = tuple(Tensor(dom(rng, s), requires_grad=True) for s in shapes.input_shapes)
    assert gradcheck(op, xs, mode="full")  # (continuous random data: no ties for maximum/minimum)


@pytest.mark.parametrize("scalar", [2, -1.5, 0.25])
@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=4, max_side=4), seed=seeds)
def test_python_scalar_on_either_side(scalar, shape, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 2.0, shape)
    x = Tensor(a, requires_grad=True)
    y = scalar * x + x / scalar - scalar / x + x**scalar + abs(scalar) ** x - (scalar - x)
    assert y.shape == shape and y.dtype == np.float64
    ref = scalar * a + a / scalar - scalar / a + a**scalar + abs(scalar) ** a - (scalar - a)
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-12)
    y.backward(np.ones(shape))
    d = scalar + 1 / scalar + scalar / a**2 + scalar * a ** (scalar - 1) + abs(scalar) ** a * np.log(abs(scalar)) + 1
    np.testing.assert_allclose(x.grad.numpy(), d, rtol=1e-10)


# ------------------------------------------------------------------ unary
def _sig(x):
    return 1 / (1 + np.exp(-x))


UNARY = {
    # name: (op, numpy forward, derivative, domain)
    "exp": (ag.exp, np.exp, np.exp, _real),
    "log": (ag.log, np.log, lambda x: 1 / x, _pos),
    "sqrt": (ag.sqrt, np.sqrt, lambda x: 0.5 / np.sqrt(x), _pos),
    "sin": (ag.sin, np.sin, np.cos, _real),
    "cos": (ag.cos, np.cos, lambda x: -np.sin(x), _real),
    "tanh": (ag.tanh, np.tanh, lambda x: 1 - np.tanh(x) ** 2, _real),
    "sigmoid": (ag.sigmoid, _sig, lambda x: _sig(x) * (1 - _sig(x)), _real),
    "softplus": (ag.softplus, lambda x: np.log1p(np.exp(x)), _sig, _real),
    "relu": (ag.relu, lambda x: np.maximum(x, 0), lambda x: (x > 0) + 0.0, _away),
    "leaky_relu": (
        lambda x: ag.leaky_relu(x, 0.1),
        lambda x: np.where(x > 0, x, 0.1 * x),
        lambda x: np.where(x > 0, 1.0, 0.1),
        _away,
    ),
    "abs": (ag.abs, np.abs, np.sign, _away),
    "neg": (ag.neg, np.negative, lambda x: -np.ones_like(x), _real),
    "clamp": (
        lambda x: ag.clamp(x, -0.25, 0.25),
        lambda x: np.clip(x, -0.25, 0.25),
        lambda x: (np.abs(x) <= 0.25) + 0.0,
        _away,
    ),
    "log1p": (ag.log1p, np.log1p, lambda x: 1 / (1 + x), _pos),
    "square": (lambda x: x**2, np.square, lambda x: 2 * x, _real),
}


@pytest.mark.parametrize("name", list(UNARY))
@SETTINGS
@given(shape=array_shapes(min_dims=0, max_dims=4, max_side=5), seed=seeds)
def test_unary_ops(name, shape, seed):
    op, np_op, deriv, dom = UNARY[name]
    rng = np.random.default_rng(seed)
    a, g = dom(rng, shape), rng.standard_normal(shape)
    out, (gx,) = _vjp(op, (a,), g)
    assert out.shape == shape and gx.shape == shape
    np.testing.assert_allclose(out.numpy(), np_op(a), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gx, g * deriv(a), rtol=1e-10, atol=1e-15)


# ------------------------------------------------------------------ reductions
@st.composite
def shape_and_dims(draw, max_dims=4):
    shape = draw(array_shapes(min_dims=1, max_dims=max_dims, max_side=4))
    dims = draw(
        st.none()
        | st.integers(-len(shape), len(shape) - 1)
        | st.lists(st.integers(0, len(shape) - 1), min_size=1, max_size=len(shape), unique=True).map(tuple)
    )
    return shape, dims, draw(st.booleans())


def _axes(dims, ndim):
    if dims is None:
        return tuple(range(ndim))
    return tuple(sorted(d % ndim for d in ((dims,) if isinstance(dims, int) else dims)))


def _distinct(rng, shape):
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) + rng.uniform(0.1, 0.9, shape)) / max(n, 1)


def _red(name):
    def ref_and_grad(a, axes, g_keep):
        n = int(np.prod([a.shape[i] for i in axes]))
        mean = a.mean(axis=axes, keepdims=True)
        if name == "sum":
            return a.sum(axis=axes, keepdims=True), g_keep * np.ones_like(a)
        if name == "mean":
            return mean, g_keep * np.ones_like(a) / n
        if name == "var":
            return a.var(axis=axes, keepdims=True), g_keep * 2 * (a - mean) / n
        if name == "std":
            s = a.std(axis=axes, keepdims=True)
            return s, g_keep * (a - mean) / (n * s)
        if name in ("amax", "amin"):
            m = getattr(np, name)(a, axis=axes, keepdims=True)
            return m, g_keep * (a == m)
        if name == "prod":
            p = a.prod(axis=axes, keepdims=True)
            return p, g_keep * p / a
        if name == "logsumexp":
            m = a.max(axis=axes, keepdims=True)
            lse = m + np.log(np.exp(a - m).sum(axis=axes, keepdims=True))
            return lse, g_keep * np.exp(a - lse)
        raise AssertionError(name)

    return ref_and_grad


@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "amax", "amin", "prod", "logsumexp"])
@SETTINGS
@given(sd=shape_and_dims(), seed=seeds)
def test_reductions(name, sd, seed):
    shape, dims, keepdim = sd
    axes = _axes(dims, len(shape))
    n = int(np.prod([shape[i] for i in axes]))
    if name == "std" and n < 2:
        return  # std of one element: sqrt at 0, derivative infinite
    rng = np.random.default_rng(seed)
    a = _distinct(rng, shape) + (0.5 if name == "prod" else 0.0)
    kw = {} if dims is None else {"dim": dims}
    if name in ("var", "std"):
        kw["correction"] = 0  # the reference divides by n
    out = getattr(Tensor(a), name)(**kw, keepdim=keepdim)
    ref, _ = _red(name)(a, axes, 1.0)
    expected_shape = ref.shape if keepdim else tuple(s for i, s in enumerate(shape) if i not in axes)
    assert out.shape == expected_shape
    np.testing.assert_allclose(out.numpy(), ref.reshape(expected_shape), rtol=1e-12)

    g = rng.standard_normal(expected_shape)
    _, (gx,) = _vjp(lambda t: getattr(t, name)(**kw, keepdim=keepdim), (a,), g)
    _, expected = _red(name)(a, axes, g.reshape(ref.shape))
    np.testing.assert_allclose(gx, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=4, max_side=4), seed=seeds, data=st.data())
def test_softmax_over_random_dims(name, shape, seed, data):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    rng = np.random.default_rng(seed)
    a, g = rng.standard_normal(shape) * 3, rng.standard_normal(shape)
    out, (gx,) = _vjp(lambda t: getattr(t, name)(dim), (a,), g)
    s = np.exp(a - a.max(dim, keepdims=True))
    s /= s.sum(dim, keepdims=True)
    if name == "softmax":
        np.testing.assert_allclose(out.numpy(), s, rtol=1e-12)
        np.testing.assert_allclose(gx, s * (g - (g * s).sum(dim, keepdims=True)), rtol=1e-9, atol=1e-12)
    else:
        np.testing.assert_allclose(out.numpy(), np.log(s), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(gx, g - s * g.sum(dim, keepdims=True), rtol=1e-9, atol=1e-12)


@SETTINGS
@given(shape=array_shapes(min_dims=1, max_dims=4, max_side=4), seed=seeds, data=st.data())
def test_permute_and_reshape_round_trip_gradients(shape, seed, data):
    perm = data.draw(st.permutations(range(len(shape))))
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    w = rng.standard_normal(tuple(shape[p] for p in perm))
    out, (gx,) = _vjp(lambda t: t.permute(*perm).reshape(-1).reshape(w.shape), (a,), w)
    np.testing.assert_allclose(out.numpy(), a.transpose(perm))
    np.testing.assert_allclose(gx, w.transpose(np.argsort(perm)))
