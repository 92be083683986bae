"""Shape functions and factories against PyTorch (values, gradients) and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from _vocab import OpCase, check_grad, check_torch

import autograd as ag


def normal(*shape):
    return lambda rng: [rng.standard_normal(shape)]


def case(name, fn, tfn, inputs, **kw):
    return OpCase(name, fn, tfn, inputs, **kw)


CASES = [
    case("flip", lambda x: ag.flip(x, (0, -1)), lambda t, x: t.flip(x, (0, -1)), normal(2, 3, 4)),
    case("flip_method", lambda x: x.flip(1), lambda t, x: x.flip(1), normal(3, 4)),
    case("fliplr", lambda x: x.fliplr(), lambda t, x: x.fliplr(), normal(3, 4)),
    case("flipud", lambda x: x.flipud(), lambda t, x: x.flipud(), normal(3, 4)),
    case("roll", lambda x: ag.roll(x, 2, 1), lambda t, x: t.roll(x, 2, 1), normal(3, 4)),
    case("roll_multi", lambda x: x.roll((1, -1), (0, -1)), lambda t, x: x.roll((1, -1), (0, -1)), normal(3, 4)),
    case("roll_flat", lambda x: ag.roll(x, 5), lambda t, x: t.roll(x, 5), normal(3, 4)),
    case("repeat", lambda x: x.repeat(2, 1, 3), lambda t, x: x.repeat(2, 1, 3), normal(3, 2)),
    case("repeat_tuple", lambda x: x.repeat((2, 2)), lambda t, x: x.repeat((2, 2)), normal(3)),
    case("tile", lambda x: ag.tile(x, (2,)), lambda t, x: t.tile(x, (2,)), normal(2, 3)),
    case(
        "repeat_interleave", lambda x: ag.repeat_interleave(x, 2), lambda t, x: t.repeat_interleave(x, 2), normal(2, 3)
    ),
    case(
        "repeat_interleave_dim",
        lambda x: x.repeat_interleave(np.array([1, 0, 3]), dim=1),
        lambda t, x: x.repeat_interleave(t.tensor([1, 0, 3]), dim=1),
        normal(2, 3),
    ),
    case("chunk", lambda x: ag.chunk(x, 3, 1), lambda t, x: t.chunk(x, 3, 1), normal(2, 7)),
    case("chunk_uneven", lambda x: x.chunk(4), lambda t, x: x.chunk(4), normal(6, 2)),
    case("tensor_split", lambda x: ag.tensor_split(x, 3), lambda t, x: t.tensor_split(x, 3), normal(7)),
    case("tensor_split_idx", lambda x: x.tensor_split([1, 4], 1), lambda t, x: x.tensor_split([1, 4], 1), normal(2, 6)),
    case("unflatten", lambda x: x.unflatten(1, (2, -1)), lambda t, x: x.unflatten(1, (2, -1)), normal(3, 6)),
    case("unfold", lambda x: x.unfold(1, 2, 1), lambda t, x: x.unfold(1, 2, 1), normal(2, 5, 3)),
    case("unfold_step", lambda x: x.unfold(-1, 3, 2), lambda t, x: x.unfold(-1, 3, 2), normal(2, 7)),
    case("tril", lambda x: ag.tril(x), lambda t, x: t.tril(x), normal(3, 4)),
    case("tril_k", lambda x: x.tril(-1), lambda t, x: x.tril(-1), normal(2, 3, 3)),
    case("triu", lambda x: ag.triu(x, 1), lambda t, x: t.triu(x, 1), normal(4, 3)),
    case("diag_2d", lambda x: ag.diag(x), lambda t, x: t.diag(x), normal(3, 4)),
    case("diag_2d_offset", lambda x: x.diag(-1), lambda t, x: x.diag(-1), normal(3, 4)),
    case("diag_1d", lambda x: ag.diag(x, 1), lambda t, x: t.diag(x, 1), normal(3)),
    case("diagonal", lambda x: ag.diagonal(x, 1, 0, 2), lambda t, x: t.diagonal(x, 1, 0, 2), normal(3, 2, 4)),
    case("diagonal_neg", lambda x: x.diagonal(-1, -1, -2), lambda t, x: x.diagonal(-1, -1, -2), normal(2, 3, 3)),
    case("diag_embed", lambda x: ag.diag_embed(x), lambda t, x: t.diag_embed(x), normal(2, 3)),
    case(
        "diag_embed_offset_dims",
        lambda x: ag.diag_embed(x, -1, 0, 2),
        lambda t, x: t.diag_embed(x, -1, 0, 2),
        normal(2, 3),
    ),
    case("diagflat", lambda x: ag.diagflat(x), lambda t, x: t.diagflat(x), normal(2, 2)),
    case("trace", lambda x: ag.trace(x), lambda t, x: t.trace(x), normal(3, 4)),
    case("narrow", lambda x: ag.narrow(x, 1, 1, 2), lambda t, x: t.narrow(x, 1, 1, 2), normal(3, 4)),
    case("narrow_neg", lambda x: x.narrow(0, -2, 2), lambda t, x: x.narrow(0, -2, 2), normal(3, 4)),
    case("select", lambda x: x.select(1, -1), lambda t, x: x.select(1, -1), normal(3, 4)),
    case("movedim", lambda x: ag.movedim(x, 0, -1), lambda t, x: t.movedim(x, 0, -1), normal(2, 3, 4)),
    case("movedim_multi", lambda x: x.movedim((0, 1), (2, 0)), lambda t, x: x.movedim((0, 1), (2, 0)), normal(2, 3, 4)),
    case("moveaxis", lambda x: ag.moveaxis(x, -1, 0), lambda t, x: t.moveaxis(x, -1, 0), normal(2, 3, 4)),
    case("swapaxes", lambda x: x.swapaxes(0, 2), lambda t, x: x.swapaxes(0, 2), normal(2, 3, 4)),
    case("swapdims", lambda x: ag.swapdims(x, -1, 0), lambda t, x: t.swapdims(x, -1, 0), normal(2, 3)),
    case("t", lambda x: x.t(), lambda t, x: x.t(), normal(2, 3)),
    case(
        "take_along_dim",
        lambda x: ag.take_along_dim(x, np.array([[2, 0], [1, 1], [0, 0]]), 1),
        lambda t, x: t.take_along_dim(x, t.tensor([[2, 0], [1, 1], [0, 0]]), 1),
        normal(3, 4),
    ),
    case(
        "take_along_dim_broadcast",
        lambda x: x.take_along_dim(np.array([[0], [2]]), 0),
        lambda t, x: x.take_along_dim(t.tensor([[0], [2]]), 0),
        normal(3, 4),
    ),
    case(
        "take_along_dim_flat",
        lambda x: ag.take_along_dim(x, np.array([5, 0, 5])),
        lambda t, x: t.take_along_dim(x, t.tensor([5, 0, 5])),
        normal(2, 3),
    ),
    case(
        "meshgrid_ij",
        lambda a, b: ag.meshgrid(a, b, indexing="ij"),
        lambda t, a, b: t.meshgrid(a, b, indexing="ij"),
        lambda rng: [rng.standard_normal(3), rng.standard_normal(2)],
        grad_args=(0, 1),
    ),
    case(
        "meshgrid_xy",
        lambda a, b, c: ag.meshgrid(a, b, c, indexing="xy"),
        lambda t, a, b, c: t.meshgrid(a, b, c, indexing="xy"),
        lambda rng: [rng.standard_normal(3), rng.standard_normal(2), rng.standard_normal(4)],
        grad_args=(0, 1, 2),
    ),
    case(
        "outer",
        lambda a, b: ag.outer(a, b),
        lambda t, a, b: t.outer(a, b),
        lambda rng: [rng.standard_normal(3), rng.standard_normal(2)],
        grad_args=(0, 1),
    ),
    case(
        "kron",
        lambda a, b: ag.kron(a, b),
        lambda t, a, b: t.kron(a, b),
        lambda rng: [rng.standard_normal((2, 3)), rng.standard_normal((2, 2))],
        grad_args=(0, 1),
    ),
    case(
        "cross",
        lambda a, b: ag.cross(a, b, dim=1),
        lambda t, a, b: t.linalg.cross(a, b, dim=1),
        lambda rng: [rng.standard_normal((2, 3)), rng.standard_normal((2, 3))],
        grad_args=(0, 1),
    ),
    case(
        "hstack",
        lambda a, b: ag.hstack([a, b]),
        lambda t, a, b: t.hstack([a, b]),
        lambda rng: [rng.standard_normal((2, 3)), rng.standard_normal((2, 1))],
        grad_args=(0, 1),
    ),
    case(
        "vstack",
        lambda a, b: ag.vstack([a, b]),
        lambda t, a, b: t.vstack([a, b]),
        lambda rng: [rng.standard_normal(3), rng.standard_normal((2, 3))],
        grad_args=(0, 1),
    ),
    case(
        "column_stack",
        lambda a, b: ag.column_stack([a, b]),
        lambda t, a, b: t.column_stack([a, b]),
        lambda rng: [rng.standard_normal(3), rng.standard_normal((3, 2))],
        grad_args=(0, 1),
    ),
    case(
        "block_diag",
        lambda a, b: ag.block_diag(a, b),
        lambda t, a, b: t.block_diag(a, b),
        lambda rng: [rng.standard_normal((2, 3)), rng.standard_normal((1, 2))],
        grad_args=(0, 1),
    ),
    case(
        "cartesian_prod",
        lambda a, b: ag.cartesian_prod(a, b),
        lambda t, a, b: t.cartesian_prod(a, b),
        lambda rng: [rng.standard_normal(3), rng.standard_normal(2)],
        grad_args=(0, 1),
    ),
    case(
        "broadcast_tensors",
        lambda a, b: ag.broadcast_tensors(a, b),
        lambda t, a, b: t.broadcast_tensors(a, b),
        lambda rng: [rng.standard_normal((3, 1)), rng.standard_normal(4)],
        grad_args=(0, 1),
    ),
    case(
        "expand_as",
        lambda a, b: a.expand_as(b),
        lambda t, a, b: a.expand_as(b),
        lambda rng: [rng.standard_normal((3, 1)), rng.standard_normal((2, 3, 4))],
    ),
    case("ravel", lambda x: x.ravel(), lambda t, x: x.ravel(), normal(2, 3)),
    case("flip_empty", lambda x: x.flip(0), lambda t, x: x.flip(0), normal(0, 3)),
    case("movedim_0d", lambda x: x.movedim(0, -1), lambda t, x: x.movedim(0, -1), normal()),
    case("roll_0d", lambda x: ag.roll(x, 1), lambda t, x: t.roll(x, 1), normal()),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_pytorch(case):
    torch = pytest.importorskip("torch")
    check_torch(case, torch)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_gradcheck(case):
    check_grad(case)


@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
def test_integer_and_bool_tensors_keep_their_dtype(dtype):
    torch = pytest.importorskip("torch")
    a = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    x, t = ag.Tensor(a), torch.tensor(a)
    for ours, theirs in [
        (x.flip(0), t.flip(0)),
        (x.roll(1, 1), t.roll(1, 1)),
        (x.repeat(2, 1), t.repeat(2, 1)),
        (x.tril(), t.tril()),
        (x.diagonal(), t.diagonal()),
        (x.unfold(1, 2, 2), t.unfold(1, 2, 2)),
        (ag.diag_embed(x), torch.diag_embed(t)),
        (x.repeat_interleave(2, 0), t.repeat_interleave(2, 0)),
    ]:
        assert ours.dtype == theirs.numpy().dtype
        np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_factories_match_pytorch():
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(ag.linspace(-1, 2, 7).data, torch.linspace(-1, 2, 7).numpy(), rtol=1e-6)
    assert ag.linspace(0, 1, 3).dtype == np.float32
    np.testing.assert_allclose(ag.logspace(0, 2, 3).data, torch.logspace(0, 2, 3).numpy(), rtol=1e-6)
    np.testing.assert_allclose(ag.logspace(0, 3, 4, base=2).data, [1, 2, 4, 8])
    x = ag.Tensor(np.ones((2, 3), np.float64))
    f = ag.full_like(x, 7)
    assert f.dtype == np.float64 and f.shape == (2, 3) and np.all(f.data == 7)
    assert ag.full_like(x, 1, dtype=np.int32).dtype == np.int32
    assert ag.empty(2, 3).shape == (2, 3) and ag.empty((4,)).dtype == np.float32
    assert ag.empty_like(x).shape == x.shape and ag.empty_like(x).dtype == np.float64
    ag.manual_seed(0)
    assert ag.rand_like(x).shape == (2, 3) and ag.randn_like(x, dtype=np.float32).dtype == np.float32
    r = ag.randint(3, 7, (50,))
    assert r.dtype == np.int64 and r.data.min() >= 3 and r.data.max() < 7
    assert ag.randint_like(ag.Tensor(np.zeros((2, 2), np.int32)), 5).dtype == np.int32
    np.testing.assert_array_equal(ag.tril_indices(3, 4, 1).data, torch.tril_indices(3, 4, 1).numpy())
    np.testing.assert_array_equal(ag.triu_indices(4, 3, -1).data, torch.triu_indices(4, 3, -1).numpy())


def test_shape_errors_name_the_op():
    x = ag.Tensor(np.zeros((2, 3)))
    for fn, match in [
        (lambda: ag.narrow(x, 1, 2, 2), "narrow"),
        (lambda: x.unfold(1, 4, 1), "unfold"),
        (lambda: ag.tril(ag.Tensor([1.0])), "tril"),
        (lambda: ag.diag(ag.Tensor(np.zeros((2, 2, 2)))), "diag"),
        (lambda: ag.movedim(x, (0, 0), (1, 0)), "movedim"),
        (lambda: x.repeat(2), "repeat"),
        (lambda: ag.chunk(x, 0), "chunk"),
        (lambda: ag.roll(x, (1, 2), 0), "roll"),
    ]:
        with pytest.raises((ValueError, IndexError), match=match):
            fn()
