"""Reductions, scans, norms, sorting and order statistics against PyTorch and finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _vocab import OpCase, check_grad, check_torch

import autograd as ag


def distinct(*shape):
    """Values 0.1+ apart (no ties: sorting and max are smooth), random order and sign."""

    def make(rng):
        n = math.prod(shape)
        return [((rng.permutation(n) - n / 2) * 0.3 + rng.uniform(0.05, 0.1, n)).reshape(shape)]

    return make


def normal(*shape):
    return lambda rng: [rng.standard_normal(shape)]


def positive(*shape):
    return lambda rng: [rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)]


def case(name, fn, tfn, inputs, **kw):
    return OpCase(name, fn, tfn, inputs, **kw)


def _matrix_norm_case(o):
    return case(
        f"matrix_norm_{o}", lambda x: ag.matrix_norm(x, o), lambda t, x: t.linalg.matrix_norm(x, o), normal(2, 3, 4)
    )


CASES = [
    case("cumsum", lambda x: ag.cumsum(x, 1), lambda t, x: t.cumsum(x, 1), normal(3, 4)),
    case("cumsum_neg_dim", lambda x: x.cumsum(-3), lambda t, x: x.cumsum(-3), normal(2, 3, 2)),
    case("cumsum_0d", lambda x: x.cumsum(0), lambda t, x: x.cumsum(0), normal()),
    case("cumsum_empty", lambda x: x.cumsum(0), lambda t, x: x.cumsum(0), normal(0, 3)),
    case("cumprod", lambda x: ag.cumprod(x, 0), lambda t, x: t.cumprod(x, 0), positive(4, 3)),
    case(
        "cumprod_with_zeros",
        lambda x: x.cumprod(1),
        lambda t, x: x.cumprod(1),
        lambda rng: [np.array([[1.5, 0.0, 2.0, -1.0], [0.0, 3.0, 0.0, 2.0]])],
    ),
    case("cummax", lambda x: ag.cummax(x, 1), lambda t, x: t.cummax(x, 1), distinct(3, 4)),
    case("cummin", lambda x: x.cummin(0), lambda t, x: x.cummin(0), distinct(4, 3)),
    case(
        "cummax_ties",
        lambda x: x.cummax(0),
        lambda t, x: x.cummax(0),
        lambda rng: [np.array([1.0, 3.0, 3.0, 2.0, 3.0])],
        differentiable=False,
    ),
    case(
        "cummax_cummin_nan_ties",
        lambda x: (*x.cummax(1), *x.cummin(1)),
        lambda t, x: (*x.cummax(1), *x.cummin(1)),
        lambda rng: [np.array([[1.0, 3.0, np.nan, 2.0, 5.0], [2.0, 2.0, 1.0, 2.0, 0.0]])],
        differentiable=False,
    ),
    case("logcumsumexp", lambda x: ag.logcumsumexp(x, 1), lambda t, x: t.logcumsumexp(x, 1), normal(3, 4)),
    case(
        "logcumsumexp_wide_range",
        lambda x: x.logcumsumexp(0),
        lambda t, x: x.logcumsumexp(0),
        lambda rng: [np.array([-800.0, 0.5, 700.0, 3.0, -2.0, 750.0])],
    ),
    case("logcumsumexp_0d", lambda x: x.logcumsumexp(0), lambda t, x: x.logcumsumexp(0), normal()),
    case("vector_norm", lambda x: ag.vector_norm(x), lambda t, x: t.linalg.vector_norm(x), normal(3, 4)),
    case(
        "vector_norm_3_dim",
        lambda x: ag.vector_norm(x, 3, dim=1, keepdim=True),
        lambda t, x: t.linalg.vector_norm(x, 3, dim=1, keepdim=True),
        positive(3, 4),
    ),
    case(
        "vector_norm_1",
        lambda x: ag.vector_norm(x, 1, (0, 2)),
        lambda t, x: t.linalg.vector_norm(x, 1, (0, 2)),
        positive(2, 3, 2),
    ),
    case(
        "vector_norm_inf",
        lambda x: ag.vector_norm(x, math.inf, -1),
        lambda t, x: t.linalg.vector_norm(x, math.inf, -1),
        distinct(3, 4),
    ),
    case(
        "vector_norm_-inf",
        lambda x: ag.vector_norm(x, -math.inf),
        lambda t, x: t.linalg.vector_norm(x, -math.inf),
        distinct(3, 4),
    ),
    case(
        "vector_norm_0",
        lambda x: ag.vector_norm(x, 0),
        lambda t, x: t.linalg.vector_norm(x, 0),
        lambda rng: [np.array([0.0, 1.0, -2.0, 0.0])],
        differentiable=False,
    ),
    case(
        "vector_norm_-1",
        lambda x: ag.vector_norm(x, -1, 1),
        lambda t, x: t.linalg.vector_norm(x, -1, 1),
        positive(2, 3),
    ),
    case("norm", lambda x: ag.norm(x), lambda t, x: t.norm(x), normal(3, 4)),
    case("norm_method_p1_dim", lambda x: x.norm(1, 0), lambda t, x: x.norm(1, 0), positive(3, 4)),
    case("norm_nuc", lambda x: ag.norm(x, "nuc"), lambda t, x: t.norm(x, "nuc"), normal(3, 4)),
    case("matrix_norm_fro", lambda x: ag.matrix_norm(x), lambda t, x: t.linalg.matrix_norm(x), normal(2, 3, 4)),
    *[_matrix_norm_case(o) for o in (1, -1, math.inf, -math.inf, 2, -2, "nuc")],
    case(
        "matrix_norm_dims_keep",
        lambda x: ag.matrix_norm(x, 1, (0, 2), keepdim=True),
        lambda t, x: t.linalg.matrix_norm(x, 1, (0, 2), keepdim=True),
        normal(3, 2, 4),
    ),
    case("std_mean", lambda x: ag.std_mean(x, 1), lambda t, x: t.std_mean(x, 1), normal(3, 4)),
    case(
        "var_mean",
        lambda x: ag.var_mean(x, (0, 1), correction=0, keepdim=True),
        lambda t, x: t.var_mean(x, (0, 1), correction=0, keepdim=True),
        normal(3, 4, 2),
    ),
    case("sort", lambda x: ag.sort(x), lambda t, x: t.sort(x), distinct(3, 4)),
    case(
        "sort_desc_dim0", lambda x: x.sort(0, descending=True), lambda t, x: x.sort(0, descending=True), distinct(3, 4)
    ),
    case(
        "sort_stable_ties",
        lambda x: x.sort(stable=True),
        lambda t, x: x.sort(stable=True),
        lambda rng: [np.array([2.0, 1.0, 2.0, 1.0, np.nan, 0.0])],
        differentiable=False,
    ),
    case(
        "sort_desc_ties_nan",
        lambda x: x.sort(descending=True, stable=True),
        lambda t, x: x.sort(descending=True, stable=True),
        lambda rng: [np.array([2.0, 1.0, np.nan, 2.0, 1.0, 0.0])],
        differentiable=False,
    ),
    case(
        "argsort",
        lambda x: ag.argsort(x, 1, descending=True),
        lambda t, x: t.argsort(x, 1, descending=True),
        distinct(3, 4),
        differentiable=False,
    ),
    case("topk", lambda x: ag.topk(x, 2), lambda t, x: t.topk(x, 2), distinct(3, 4)),
    case(
        "topk_smallest_dim0",
        lambda x: x.topk(2, 0, largest=False),
        lambda t, x: x.topk(2, 0, largest=False),
        distinct(3, 4),
    ),
    case("kthvalue", lambda x: ag.kthvalue(x, 2, 1), lambda t, x: t.kthvalue(x, 2, 1), distinct(3, 4)),
    case(
        "kthvalue_keepdim",
        lambda x: x.kthvalue(3, 0, keepdim=True),
        lambda t, x: x.kthvalue(3, 0, keepdim=True),
        distinct(3, 4),
    ),
    case("median_all", lambda x: ag.median(x), lambda t, x: t.median(x), distinct(3, 4)),
    case("median_dim", lambda x: x.median(1), lambda t, x: x.median(1), distinct(3, 4)),
    case(
        "median_dim_nan",
        lambda x: x.median(0),
        lambda t, x: x.median(0),
        lambda rng: [np.array([[1.0, np.nan], [np.nan, 2.0], [3.0, 0.5]])],
        differentiable=False,
    ),
    case(
        "nanmedian",
        lambda x: x.nanmedian(0),
        lambda t, x: x.nanmedian(0),
        lambda rng: [np.array([[1.0, np.nan], [np.nan, 2.0], [3.0, 0.5], [4.0, 7.0]])],
        differentiable=False,
    ),
    case(
        "mode",
        lambda x: ag.mode(x, 1),
        lambda t, x: t.mode(x, 1),
        lambda rng: [np.array([[1.0, 2.0, 2.0, 1.0, 3.0], [4.0, 4.0, 1.0, 1.0, 0.5]])],
    ),
    case(
        "mode_dim0_ints_ties",
        lambda x: x.mode(0, keepdim=True),
        lambda t, x: x.mode(0, keepdim=True),
        lambda rng: [rng.integers(0, 3, (7, 5)).astype(np.float64)],
        differentiable=False,
    ),
    case("amax", lambda x: ag.amax(x, (0, 2)), lambda t, x: t.amax(x, (0, 2)), distinct(2, 3, 2)),
    case("amin_keep", lambda x: x.amin(-1, keepdim=True), lambda t, x: x.amin(-1, keepdim=True), distinct(3, 4)),
    case("aminmax", lambda x: ag.aminmax(x, dim=1), lambda t, x: t.aminmax(x, dim=1), distinct(3, 4)),
    case("max_dim", lambda x: ag.max(x, 1), lambda t, x: t.max(x, 1), distinct(3, 4)),
    case("min_dim_keep", lambda x: x.min(-2, keepdim=True), lambda t, x: x.min(-2, keepdim=True), distinct(3, 4)),
    case(
        "max_dim_ties",
        lambda x: x.max(1),
        lambda t, x: x.max(1),
        lambda rng: [np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])],
    ),
    case("max_0d", lambda x: x.max(0), lambda t, x: x.max(0), normal()),
    case("std_constant", lambda x: x.std(1), lambda t, x: x.std(1), lambda rng: [np.full((2, 3), 1.5)]),
    case("var_0d_dim", lambda x: x.var(0, correction=0), lambda t, x: x.var(0, correction=0), normal()),
    case("sum_0d_dim0", lambda x: x.sum(0), lambda t, x: x.sum(0), normal()),
    case("logsumexp_0d", lambda x: x.logsumexp(-1), lambda t, x: x.logsumexp(-1), normal()),
    case("softmax_0d", lambda x: x.softmax(0), lambda t, x: x.softmax(0), normal()),
    case("log_softmax_0d", lambda x: ag.log_softmax(x, -1), lambda t, x: t.log_softmax(x, -1), normal()),
    case("median_empty", lambda x: x.median(), lambda t, x: x.median(), normal(0, 3), differentiable=False),
    case("softmax_empty", lambda x: x.softmax(1), lambda t, x: x.softmax(1), normal(0, 3)),
    case("log_softmax_empty_dim", lambda x: x.log_softmax(0), lambda t, x: x.log_softmax(0), normal(0, 3)),
    case("mean_empty", lambda x: x.mean(0), lambda t, x: x.mean(0), normal(0, 3), differentiable=False),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_pytorch(case):
    torch = pytest.importorskip("torch")
    check_torch(case, torch)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_gradcheck(case):
    if case.name in ("cumprod_with_zeros", "max_dim_ties", "std_constant", "mode"):
        check_grad(case, second=False)  # (at a kink or a tie: the one-sided choices are PyTorch's, first order)
        return
    if case.name in ("norm_nuc", "matrix_norm_2", "matrix_norm_-2", "matrix_norm_nuc"):
        check_grad(case, second=False)  # singular values: first order only (see test_svdvals_...)
        return
    check_grad(case)


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.bool_])
def test_integer_and_bool_inputs_match_pytorch(dtype):
    torch = pytest.importorskip("torch")
    a = np.array([[3, 0, 2], [1, 1, 0]]).astype(dtype)
    x, t = ag.Tensor(a), torch.tensor(a)
    pairs = [
        (x.cumsum(1), t.cumsum(1)),
        (ag.any(x, 1), torch.any(t, 1)),
        (ag.all(x), torch.all(t)),
        (x.any(), t.any()),
        (ag.count_nonzero(x, 0), torch.count_nonzero(t, 0)),
        (ag.count_nonzero(x), torch.count_nonzero(t)),
    ]
    if dtype != np.bool_:
        pairs += [
            (x.cumprod(0), t.cumprod(0)),
            (x.sort(1).values, t.sort(dim=1, stable=True).values),
            (x.sort(1, descending=True).indices, t.sort(dim=1, descending=True, stable=True).indices),
            (x.amax(1), t.amax(1)),
            (x.max(0).indices, t.max(0).indices),
            (x.cummax(1).indices, t.cummax(1).indices),
            (x.topk(2).values, t.topk(2).values),
        ]
    for ours, theirs in pairs:
        assert ours.dtype == theirs.numpy().dtype
        np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_std_and_norm_of_a_constant_have_a_zero_gradient():
    for fn in (
        lambda x: x.std(),
        lambda x: x.std(0, correction=0),
        lambda x: ag.vector_norm(x - x.detach()),
        lambda x: ag.norm(x * 0),
    ):
        x = ag.Tensor(np.full((3, 2), 2.0), requires_grad=True)
        fn(x).sum().backward()
        assert np.all(x.grad.data == 0)


def test_named_tuples_unpack_and_name_their_fields():
    values, indices = ag.sort(ag.Tensor([2.0, 1.0]))
    assert values.tolist() == [1.0, 2.0] and indices.tolist() == [1, 0]
    r = ag.topk(ag.Tensor([2.0, 1.0, 3.0]), 1)
    assert r.values.tolist() == [3.0] and r[1].tolist() == [2]


def test_errors_name_the_op_and_the_problem():
    x = ag.Tensor([1.0, 2.0])
    with pytest.raises(IndexError, match="topk.*k=3"):
        ag.topk(x, 3)
    with pytest.raises(IndexError, match="kthvalue"):
        ag.kthvalue(x, 0)
    with pytest.raises(TypeError, match="amax"):
        ag.max(ag.Tensor(np.ones((2, 2))), dim=(0, 1))
    with pytest.raises(IndexError, match="max.*empty"):
        ag.max(ag.Tensor(np.ones((0, 2))), 0)
    with pytest.raises(ValueError, match="matrix_norm"):
        ag.matrix_norm(ag.Tensor(np.ones((2, 2))), "bad")


def test_svdvals_refuse_second_derivatives_clearly():
    x = ag.Tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    (g,) = ag.grad(ag.matrix_norm(x, "nuc"), x)  # first order works
    np.testing.assert_allclose(g.data, sum(np.outer(u, v) for u, v in zip(*_uv(x.data))), rtol=1e-10)
    with pytest.raises(NotImplementedError, match="svdvals.*second"):
        ag.grad(ag.matrix_norm(x, 2), x, create_graph=True)


def _uv(a):
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    return u.T, vh


def test_logcumsumexp_of_a_leading_minus_infinity_has_a_zero_gradient_there():
    x = ag.Tensor(np.array([-np.inf, -np.inf, 1.0, 2.0]), requires_grad=True)
    y = ag.logcumsumexp(x, 0)
    assert y.data[0] == -np.inf and np.isclose(y.data[3], np.logaddexp(1.0, 2.0))
    y[2:].sum().backward()
    assert x.grad.data[0] == 0 and x.grad.data[1] == 0 and np.isfinite(x.grad.data).all()
