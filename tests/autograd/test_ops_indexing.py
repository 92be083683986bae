"""Indexing functions (scatters, index_* along a dim, masks, nonzero) against PyTorch and finite
differences."""

from __future__ import annotations

import numpy as np
import pytest
from _vocab import OpCase, check_grad, check_torch

import autograd as ag

IDX = np.array([[0, 2], [1, 0], [2, 2]])  # (3, 2), repeats within a row
MASK = np.array([[True, False, True, False], [False, False, True, True], [True, True, False, False]])


def normal(*shapes):
    return lambda rng: [rng.standard_normal(s) for s in shapes]


def case(name, fn, tfn, inputs, **kw):
    return OpCase(name, fn, tfn, inputs, **kw)


def _T(t, a):
    return t.tensor(a)


def _scatter_reduce_case(r, inc):
    def inputs(rng):
        if r in ("amax", "amin"):  # distinct values: no ties
            return [rng.permutation(12).reshape(3, 4) * 0.3 - 1.6, rng.permutation(6).reshape(3, 2) * 0.3 - 0.73]
        return [rng.standard_normal((3, 4)), rng.standard_normal((3, 2))]

    return case(
        f"scatter_reduce_{r}_{inc}",
        lambda x, s: ag.scatter_reduce(x, 1, IDX, s, r, include_self=inc),
        lambda t, x, s: t.scatter_reduce(x, 1, _T(t, IDX), s, r, include_self=inc),
        inputs,
        grad_args=(0, 1),
    )


CASES = [
    case(
        "index_select",
        lambda x: ag.index_select(x, 1, np.array([2, 0, 2])),
        lambda t, x: t.index_select(x, 1, _T(t, [2, 0, 2])),
        normal((3, 4)),
    ),
    case(
        "index_select_neg_dim",
        lambda x: x.index_select(-2, np.array([1])),
        lambda t, x: x.index_select(-2, _T(t, [1])),
        normal((3, 4)),
    ),
    case(
        "index_add",
        lambda x, s: ag.index_add(x, 0, np.array([0, 2, 0]), s, alpha=2.0),
        lambda t, x, s: t.index_add(x, 0, _T(t, [0, 2, 0]), s, alpha=2.0),
        normal((3, 2), (3, 2)),
        grad_args=(0, 1),
    ),
    case(
        "index_copy",
        lambda x, s: x.index_copy(1, np.array([3, 0]), s),
        lambda t, x, s: x.index_copy(1, _T(t, [3, 0]), s),
        normal((2, 4), (2, 2)),
        grad_args=(0, 1),
    ),
    case(
        "index_fill",
        lambda x: x.index_fill(1, np.array([1, 3]), -1.0),
        lambda t, x: x.index_fill(1, _T(t, [1, 3]), -1.0),
        normal((2, 4)),
    ),
    case(
        "take",
        lambda x: ag.take(x, np.array([[0, 5], [11, 5]])),
        lambda t, x: t.take(x, _T(t, [[0, 5], [11, 5]])),
        normal((3, 4)),
    ),
    case(
        "masked_fill",
        lambda x: ag.masked_fill(x, MASK, 0.5),
        lambda t, x: x.masked_fill(_T(t, MASK), 0.5),
        normal((3, 4)),
    ),
    case(
        "masked_fill_broadcast",
        lambda x: x.masked_fill(np.array([True, False, False, True]), -2.0),
        lambda t, x: x.masked_fill(_T(t, [True, False, False, True]), -2.0),
        normal((3, 4)),
    ),
    case(
        "masked_fill_tensor_value",
        lambda x, v: x.masked_fill(MASK, v),
        lambda t, x, v: x.masked_fill(_T(t, MASK), v),
        normal((3, 4), ()),
        grad_args=(0, 1),
    ),
    case(
        "masked_select",
        lambda x: ag.masked_select(x, MASK),
        lambda t, x: t.masked_select(x, _T(t, MASK)),
        normal((3, 4)),
    ),
    case(
        "masked_select_broadcast",
        lambda x: x.masked_select(MASK),
        lambda t, x: x.masked_select(_T(t, MASK)),
        normal((4,)),
    ),
    case(
        "masked_scatter",
        lambda x, s: x.masked_scatter(MASK, s),
        lambda t, x, s: x.masked_scatter(_T(t, MASK), s),
        normal((3, 4), (2, 5)),
        grad_args=(0, 1),
    ),
    case(
        "scatter",
        lambda x, s: ag.scatter(x, 1, np.array([[0, 2], [1, 3], [3, 2]]), s),
        lambda t, x, s: t.scatter(x, 1, _T(t, [[0, 2], [1, 3], [3, 2]]), s),
        normal((3, 4), (3, 2)),
        grad_args=(0, 1),
    ),
    case(
        "scatter_value",
        lambda x: x.scatter(0, np.array([[2, 0, 1, 1]]), 9.0),
        lambda t, x: x.scatter(0, _T(t, [[2, 0, 1, 1]]), 9.0),
        normal((3, 4)),
    ),
    case(
        "scatter_add",
        lambda x, s: ag.scatter_add(x, 1, IDX, s),
        lambda t, x, s: t.scatter_add(x, 1, _T(t, IDX), s),
        normal((3, 4), (3, 2)),
        grad_args=(0, 1),
    ),
    case(
        "scatter_add_dim0",
        lambda x, s: x.scatter_add(0, np.array([[1, 0, 1, 1], [1, 1, 0, 1]]), s),
        lambda t, x, s: x.scatter_add(0, _T(t, [[1, 0, 1, 1], [1, 1, 0, 1]]), s),
        normal((2, 4), (2, 4)),
        grad_args=(0, 1),
    ),
    *[_scatter_reduce_case(r, inc) for r in ("sum", "prod", "mean", "amax", "amin") for inc in (True, False)],
    case(
        "scatter_reduce_amax_ties",
        lambda x, s: x.scatter_reduce(0, np.array([0, 0, 1]), s, "amax"),
        lambda t, x, s: x.scatter_reduce(0, _T(t, [0, 0, 1]), s, "amax"),
        lambda rng: [np.array([2.0, 1.0]), np.array([2.0, 2.0, 0.5])],
        grad_args=(0, 1),
    ),
    case(
        "scatter_reduce_prod_zero_self",
        lambda x, s: x.scatter_reduce(0, np.array([0, 0, 1, 2]), s, "prod"),
        lambda t, x, s: x.scatter_reduce(0, _T(t, [0, 0, 1, 2]), s, "prod"),
        lambda rng: [np.array([0.0, 0.0, 1.5]), np.array([-2.0, 0.5, 3.0, -1.5])],
        grad_args=(0, 1),
    ),
    case("gather_method", lambda x: x.gather(1, IDX), lambda t, x: x.gather(1, _T(t, IDX)), normal((3, 4))),
    case(
        "where_method",
        lambda x, y: x.where(MASK, y),
        lambda t, x, y: x.where(_T(t, MASK), y),
        normal((3, 4), (4,)),
        grad_args=(0, 1),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_pytorch(case):
    torch = pytest.importorskip("torch")
    check_torch(case, torch)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_gradcheck(case):
    if case.name == "scatter_reduce_amax_ties":
        check_grad(case, second=False)  # a tie: the gradient is shared, first order
        return
    check_grad(case)


def test_nonzero_and_one_argument_where_match_pytorch():
    torch = pytest.importorskip("torch")
    for a in (np.array([[0.0, 1.0], [2.0, 0.0]]), np.array([0, 3, 0, 1]), np.array(5.0), np.zeros((2, 0))):
        x, t = ag.Tensor(a), torch.tensor(a)
        np.testing.assert_array_equal(ag.nonzero(x).data, torch.nonzero(t).numpy())
        assert ag.nonzero(x).dtype == np.int64
        for ours, theirs in zip(ag.where(x), torch.where(t)):
            np.testing.assert_array_equal(ours.data, theirs.numpy())
        for ours, theirs in zip(x.nonzero(as_tuple=True), t.nonzero(as_tuple=True)):
            np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_integer_tensors_keep_their_dtype():
    torch = pytest.importorskip("torch")
    a = np.arange(12, dtype=np.int32).reshape(3, 4)
    x, t = ag.Tensor(a), torch.tensor(a)
    pairs = [
        (x.index_select(1, np.array([0, 0])), t.index_select(1, torch.tensor([0, 0]))),
        (x.masked_fill(MASK, 7), t.masked_fill(torch.tensor(MASK), 7)),
        (x.scatter_add(1, IDX, x[:, :2]), t.scatter_add(1, torch.tensor(IDX), t[:, :2])),
        (x.scatter_reduce(1, IDX, x[:, :2], "amax"), t.scatter_reduce(1, torch.tensor(IDX), t[:, :2], "amax")),
        (x.masked_select(MASK), t.masked_select(torch.tensor(MASK))),
        (x.scatter_reduce(1, IDX, x[:, :2], "mean"), t.scatter_reduce(1, torch.tensor(IDX), t[:, :2], "mean")),
        (
            x.scatter_reduce(1, IDX, -x[:, :2], "mean", include_self=False),
            t.scatter_reduce(1, torch.tensor(IDX), -t[:, :2], "mean", include_self=False),
        ),
        (
            x.scatter_reduce(1, IDX, x[:, :2], "amin", include_self=False),
            t.scatter_reduce(1, torch.tensor(IDX), t[:, :2], "amin", include_self=False),
        ),
        (x.scatter_reduce(1, IDX, x[:, :2], "prod"), t.scatter_reduce(1, torch.tensor(IDX), t[:, :2], "prod")),
    ]
    for ours, theirs in pairs:
        assert ours.dtype == theirs.numpy().dtype
        np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_indexing_errors_name_the_op():
    x = ag.Tensor(np.zeros((2, 3)))
    for fn, exc, match in [
        (lambda: ag.index_select(x, 1, np.array([3])), IndexError, "index_select"),
        (lambda: ag.index_select(x, 1, np.array([0.5])), TypeError, "index_select"),
        (lambda: ag.masked_fill(x, np.ones((2, 3)), 0.0), TypeError, "masked_fill.*bool"),
        (lambda: ag.scatter(x, 1, np.array([[5]]), 1.0), IndexError, "scatter"),
        (lambda: ag.scatter(x, 1, np.array([0, 1]), 1.0), ValueError, "scatter"),
        (lambda: ag.masked_scatter(x, np.ones((2, 3), bool), ag.Tensor([1.0])), ValueError, "masked_scatter"),
        (lambda: ag.scatter_reduce(x, 0, np.zeros((1, 3), np.int64), x, "median"), ValueError, "scatter_reduce"),
        (lambda: ag.index_add(x, 0, np.array([0]), ag.Tensor(np.ones((2, 3)))), ValueError, "index_add"),
    ]:
        with pytest.raises(exc, match=match):
            fn()


def test_scatter_with_a_larger_src_uses_its_leading_part():
    x = ag.Tensor(np.zeros((2, 3)))
    src = ag.Tensor(np.arange(8.0).reshape(2, 4), requires_grad=True)
    out = ag.scatter(x, 1, np.array([[2], [0]]), src)
    assert out.tolist() == [[0.0, 0.0, 0.0], [4.0, 0.0, 0.0]]
    out.sum().backward()
    assert src.grad.tolist() == [[1.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]]


def test_scatter_reduce_prod_with_a_zero_refuses_a_gradient_rather_than_giving_nan():
    x = ag.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="prod"):
        ag.scatter_reduce(x, 0, np.array([0]), ag.Tensor([0.0]), "prod")
    assert ag.scatter_reduce(ag.Tensor([1.0, 2.0]), 0, np.array([0]), ag.Tensor([0.0]), "prod").tolist() == [0.0, 2.0]


def test_rows_picked_by_an_int_array_sum_their_gradients():
    """``table[ids]`` (an embedding): repeated and negative ids accumulate, as ``np.add.at`` does."""
    rng = np.random.default_rng(3)
    table = ag.Tensor(rng.standard_normal((7, 3)), requires_grad=True)
    ids = rng.integers(-7, 7, (5, 9))
    g = rng.standard_normal((5, 9, 3))
    table[ids].backward(g)
    expected = np.zeros((7, 3))
    np.add.at(expected, ids, g)
    np.testing.assert_allclose(table.grad.data, expected, rtol=1e-12, atol=1e-12)
