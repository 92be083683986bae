"""Every op's forward, gradient and second derivative against PyTorch, in float64.

Skipped as a whole when PyTorch is not installed.
"""

from __future__ import annotations

import numpy as np
import pytest
from _cases import ALL_CASES, ids

import autograd as ag

torch = pytest.importorskip("torch")

TOL = {"rtol": 1e-9, "atol": 1e-11}


def _tuple(out):
    return out if isinstance(out, tuple) else (out,)


def _run_ag(case, arrays):
    xs = [ag.Tensor(a, requires_grad=True) for a in arrays]
    return xs, _tuple(case.fn(*xs))


def _run_torch(case, arrays):
    xs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return xs, _tuple(case.torch_fn()(*xs))


def _np(t):
    if t is None:
        return None
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.numpy()


def _loss(outs, ws):
    """sum(w * out) + 0.5 sum(out^2): its Hessian involves each op's second derivative."""
    total = 0
    for o, w in zip(outs, ws):
        total = total + (o * w).sum() + 0.5 * (o * o).sum()
    return total


@pytest.mark.parametrize("case", ALL_CASES, ids=ids(ALL_CASES))
def test_forward_and_gradient_match_pytorch(case):
    arrays = case.arrays()
    xs, outs = _run_ag(case, arrays)
    txs, touts = _run_torch(case, arrays)
    assert len(outs) == len(touts)
    rng = np.random.default_rng(1)
    ws = [rng.standard_normal(tuple(o.shape)) for o in touts]
    for o, to in zip(outs, touts):
        assert isinstance(o, ag.Tensor)
        assert o.shape == tuple(to.shape)
        assert o.dtype == np.float64
        assert o.requires_grad
        np.testing.assert_allclose(o.data, _np(to), **TOL)

    if len(outs) == 1:
        outs[0].backward(gradient=ws[0])
    else:
        ag.backward(outs, ws)
    torch.autograd.backward(touts, [torch.tensor(w) for w in ws])
    for x, tx in zip(xs, txs):
        assert x.grad is not None and x.grad.shape == x.shape and x.grad.dtype == np.float64
        np.testing.assert_allclose(x.grad.data, _np(tx.grad), **TOL)


@pytest.mark.parametrize("case", ALL_CASES, ids=ids(ALL_CASES))
def test_hessian_vector_product_matches_pytorch(case):
    arrays = case.arrays()
    rng = np.random.default_rng(2)
    xs, outs = _run_ag(case, arrays)
    txs, touts = _run_torch(case, arrays)
    ws = [rng.standard_normal(tuple(o.shape)) for o in touts]
    vs = [rng.standard_normal(a.shape) for a in arrays]

    gs = ag.grad(_loss(outs, ws), xs, create_graph=True)
    assert all(g.requires_grad for g in gs)
    hv = ag.grad(sum((g * v).sum() for g, v in zip(gs, vs)), xs, allow_unused=True)

    tgs = torch.autograd.grad(_loss(touts, [torch.tensor(w) for w in ws]), txs, create_graph=True)
    thv = torch.autograd.grad(sum((g * torch.tensor(v)).sum() for g, v in zip(tgs, vs)), txs, allow_unused=True)

    for g, tg in zip(gs, tgs):
        np.testing.assert_allclose(_np(g), _np(tg), **TOL)
    for h, th, a in zip(hv, thv, arrays):
        h = np.zeros_like(a) if h is None else _np(h)
        th = np.zeros_like(a) if th is None else _np(th)
        np.testing.assert_allclose(h, th, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_argmax_argmin_match_pytorch(dim, keepdim, rng):
    a = rng.standard_normal((3, 4))
    x = ag.Tensor(a, requires_grad=True)
    for name in ("argmax", "argmin"):
        ours = getattr(x, name)(dim, keepdim=keepdim)
        theirs = getattr(torch.tensor(a), name)(dim, keepdim=keepdim)
        assert not ours.requires_grad and ours.dtype == np.int64
        np.testing.assert_array_equal(ours.data, theirs.numpy())
        np.testing.assert_array_equal(getattr(ag, name)(x, dim, keepdim).data, theirs.numpy())


def test_one_hot_matches_pytorch():
    idx = np.array([[0, 2], [3, 1]])
    ours = ag.one_hot(ag.tensor(idx), 5)
    theirs = torch.nn.functional.one_hot(torch.tensor(idx), 5)
    assert ours.dtype == np.int64 and ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.data, theirs.numpy())
    np.testing.assert_array_equal(ag.one_hot(idx).data, torch.nn.functional.one_hot(torch.tensor(idx)).numpy())


def test_comparisons_match_pytorch(rng):
    a, b = rng.integers(0, 3, (2, 3)).astype(float), rng.integers(0, 3, (3,)).astype(float)
    x, tx = ag.Tensor(a, requires_grad=True), torch.tensor(a)
    for op in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"):
        for other, tother in ((ag.Tensor(b), torch.tensor(b)), (1.0, 1.0), (b, torch.tensor(b))):
            ours = getattr(x, op)(other)
            assert ours.dtype == np.bool_ and not ours.requires_grad and ours.grad_fn is None
            np.testing.assert_array_equal(ours.data, getattr(tx, op)(tother).numpy())


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.tensor(1.5),
        lambda m: m.tensor([1.0, 2.0]),
        lambda m: m.tensor([1, 2]),
        lambda m: m.tensor([True, False]),
        lambda m: m.tensor([1, 2]) * 1.5,
        lambda m: m.tensor([1, 2]) + 1,
        lambda m: m.tensor([1.0, 2.0]) * 3,
        lambda m: m.tensor([True, False]) + 1,
        lambda m: m.tensor(np.float64([1.0, 2.0])) * 3.0,
        lambda m: m.tensor(np.float64([1.0, 2.0])) * m.tensor(np.float32([1.0, 2.0])),
        lambda m: m.tensor(np.float32([1.0, 2.0])) * m.tensor(np.float64(2.0)),
        lambda m: m.tensor(np.int64([1, 2])) * m.tensor(np.float32([1.0, 2.0])),
        lambda m: m.tensor(np.int32([1, 2])) + m.tensor(np.int64([1, 2])),
        lambda m: m.tensor(np.float32([1.0, 2.0])).exp(),
        lambda m: m.tensor(np.float32([[1.0, 2.0]])).sum(0),
        lambda m: m.tensor(np.float32([1.0, 2.0])).mean(),
    ],
)
def test_dtypes_follow_pytorch(make):
    """Python scalars are weak, floats default to float32, lists of ints stay int64.

    (Where API.md differs from PyTorch, e.g. ``tensor(2)`` is float32: test_engine.TestConstruction.)
    """
    ours, theirs = make(ag), make(torch)
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch.").replace("bool", "bool_"))
    np.testing.assert_allclose(ours.data, theirs.numpy())


@pytest.mark.parametrize(
    "make",
    [lambda m: m.tensor([1, 2]) / 2, lambda m: m.tensor([1, 2]) / m.tensor([2, 4]), lambda m: 1 / m.tensor([1, 2])],
)
def test_integer_true_division_dtype_follows_pytorch(make):
    ours, theirs = make(ag), make(torch)
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_power_with_zero_base_matches_pytorch():
    base, expo = np.array([0.0, 0.0, 2.0, 0.5]), np.array([2.0, 0.5, 3.0, -1.0])
    x, y = ag.Tensor(base, requires_grad=True), ag.Tensor(expo, requires_grad=True)
    tx, ty = torch.tensor(base, requires_grad=True), torch.tensor(expo, requires_grad=True)
    (x**y).sum().backward()
    (tx**ty).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy())
    for p in (0, 1, 2, 3, 0.5):
        x = ag.Tensor(np.array([0.0, 1.5]), requires_grad=True)
        tx = torch.tensor([0.0, 1.5], dtype=torch.float64, requires_grad=True)
        (x**p).sum().backward()
        (tx**p).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_kinks_match_pytorch():
    a = np.array([-1.0, 0.0, 0.0, 1.0, 2.0])
    for ours, theirs in [
        (lambda t: t.relu(), lambda t: t.relu()),
        (lambda t: abs(t), lambda t: t.abs()),
        (lambda t: ag.leaky_relu(t, 0.1), lambda t: torch.nn.functional.leaky_relu(t, 0.1)),
        (lambda t: t.clamp(0.0, 1.0), lambda t: t.clamp(0.0, 1.0)),
        (lambda t: t.max(), lambda t: t.amax()),
        (lambda t: t.min(), lambda t: t.amin()),
        (lambda t: ag.maximum(t, ag.Tensor(np.zeros(5))), lambda t: torch.maximum(t, torch.zeros(5, dtype=t.dtype))),
        (lambda t: ag.minimum(t, ag.Tensor(np.ones(5))), lambda t: torch.minimum(t, torch.ones(5, dtype=t.dtype))),
    ]:
        for data in (a, np.array([2.0, -1.0, 2.0, -1.0, 0.0])):  # kinks at 0; tied max and min
            x, tx = ag.Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
            ours(x).sum().backward()
            theirs(tx).sum().backward()
            np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
