"""cross_entropy's label_smoothing, class weights and probability targets; float class ids; Embedding(padding_idx)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd import Tensor

TOL = {"rtol": 1e-10, "atol": 1e-12}


@pytest.mark.parametrize("shape", [(4, 5), (3, 5, 2)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_label_smoothing_and_weights_match_torch(torch, TF, rng, shape, reduction):
    x = rng.standard_normal(shape)
    target = rng.integers(0, 5, (shape[0],) + shape[2:])
    target.flat[0] = -100  # ignored
    weight = rng.random(5) + 0.5
    for w in (None, weight):
        for smoothing in (0.0, 0.3):
            xa, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
            loss = F.cross_entropy(xa, target, w, reduction=reduction, label_smoothing=smoothing)
            tloss = TF.cross_entropy(
                xt, torch.tensor(target), None if w is None else torch.tensor(w), reduction=reduction,
                label_smoothing=smoothing,
            )  # fmt: skip
            np.testing.assert_allclose(loss.data, tloss.detach().numpy(), **TOL)
            g = rng.standard_normal(loss.shape)
            loss.backward(g)
            tloss.backward(torch.tensor(g))
            np.testing.assert_allclose(xa.grad.data, xt.grad.numpy(), **TOL)


def test_cross_entropy_probability_targets_match_torch(torch, TF, rng):
    x = rng.standard_normal((4, 5, 3))
    p = rng.random((4, 5, 3))
    p /= p.sum(1, keepdims=True)
    weight = rng.random(5)
    for kw in ({}, {"label_smoothing": 0.2}, {"reduction": "sum"}):
        for w in (None, weight):
            xa, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
            pa, pt = Tensor(p, requires_grad=True), torch.tensor(p, requires_grad=True)
            loss = F.cross_entropy(xa, pa, w, **kw)
            tloss = TF.cross_entropy(xt, pt, None if w is None else torch.tensor(w), **kw)
            np.testing.assert_allclose(loss.data, tloss.detach().numpy(), **TOL)
            loss.backward()
            tloss.backward()
            np.testing.assert_allclose(xa.grad.data, xt.grad.numpy(), **TOL)
            np.testing.assert_allclose(pa.grad.data, pt.grad.numpy(), **TOL)


def test_cross_entropy_gradcheck_with_smoothing_and_weights(rng):
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    target, weight = np.array([0, 3, 1]), rng.random(4) + 0.5
    assert ag.gradcheck(lambda x: F.cross_entropy(x, target, weight, label_smoothing=0.25), (x,))
    module = nn.CrossEntropyLoss(weight=weight, label_smoothing=0.25)
    assert module(x, target).item() == pytest.approx(F.cross_entropy(x, target, weight, label_smoothing=0.25).item())
    # smoothing 1 is the mean over classes of -log p: uniform logits give log(C) whatever the target
    assert F.cross_entropy(ag.zeros(2, 4), np.array([0, 1]), label_smoothing=1.0).item() == pytest.approx(np.log(4))


def test_float_class_ids_give_a_clear_error():
    """Issue 14: class ids in a float array are not probabilities; say what targets must be."""
    with pytest.raises(ValueError, match=r"float target must hold class probabilities with the input's shape \(3, 4\)"
                       r".*got shape \(3,\); class indices must be integers"):  # fmt: skip
        F.cross_entropy(ag.randn(3, 4), np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="class indices must be integers"):
        nn.CrossEntropyLoss()(ag.randn(3, 4), ag.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(TypeError, match="integer class indices or float class probabilities, got bool"):
        F.cross_entropy(ag.randn(3, 2), np.array([True, False, True]))
    with pytest.raises(ValueError, match="label_smoothing must be between 0 and 1"):
        nn.CrossEntropyLoss(label_smoothing=1.5)


def test_embedding_padding_idx_matches_torch(torch, rng):
    for padding_idx in (2, -1):
        emb, temb = nn.Embedding(6, 3, padding_idx=padding_idx), torch.nn.Embedding(6, 3, padding_idx=padding_idx)
        assert emb.padding_idx == temb.padding_idx
        assert not emb.weight.data[emb.padding_idx].any()  # starts at zero
        weights = rng.standard_normal((6, 3))  # a non-zero padding row: still no gradient to it
        emb.weight.data = weights.copy()
        temb.weight.data = torch.tensor(weights)
        ids = np.array([[2, 5, 1], [5, 2, 2]])
        out, tout = emb(ids), temb(torch.tensor(ids))
        np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=0, atol=0)
        g = rng.standard_normal(out.shape)
        out.backward(g)
        tout.backward(torch.tensor(g))
        np.testing.assert_allclose(emb.weight.grad.data, temb.weight.grad.numpy(), **TOL)


def test_embedding_padding_idx_without_torch(rng):
    emb = nn.Embedding(5, 2, padding_idx=0)
    ids = np.array([0, 3, 0, 1])
    F.embedding(ids, emb.weight, padding_idx=0).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.data, [[0, 0], [1, 1], [0, 0], [1, 1], [0, 0]])
    # against finite differences: the true derivative, except at the padding row (its gradient is
    # zero by definition, although the output depends on it: PyTorch's meaning of padding_idx)
    w = Tensor(rng.standard_normal((5, 2)), requires_grad=True)
    ids = np.array([[3, 1], [4, 3]])
    g = rng.standard_normal((2, 2, 2))
    (F.embedding(ids, w, padding_idx=3) * g).sum().backward()
    numeric = np.zeros((5, 2))
    for i in np.ndindex(5, 2):
        up, down = w.data.copy(), w.data.copy()
        up[i] += 1e-6
        down[i] -= 1e-6
        numeric[i] = ((up[ids] - down[ids]) * g).sum() / 2e-6
    numeric[3] = 0
    np.testing.assert_allclose(w.grad.data, numeric, rtol=1e-6, atol=1e-8)
    assert "padding_idx=0" in repr(emb)
    with pytest.raises(ValueError, match=r"padding_idx must be within \[-5, 5\)"):
        nn.Embedding(5, 2, padding_idx=5)
