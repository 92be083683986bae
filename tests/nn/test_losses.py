"""Losses: agreement with PyTorch (values and gradients), finite differences, stability, errors."""

from __future__ import annotations

import numpy as np
import pytest
from _nn_testing import compare_with_torch

import autograd as ag
import nn
import nn.functional as F
from autograd import Tensor

TOL = {"rtol": 1e-9, "atol": 1e-11}
REDUCTIONS = ["mean", "sum", "none"]


def _both(torch, ours, theirs, x, rng, tol=TOL):
    """Compare loss values and the gradient with respect to the prediction ``x``."""
    return compare_with_torch(torch, ours, theirs, x, rng, tol)


# ============================================================ agreement with PyTorch
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_and_nll_match_torch(torch, TF, rng, reduction):
    logits, target = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    tt = torch.tensor(target)
    _both(torch, lambda x: F.cross_entropy(x, target, reduction=reduction),
          lambda x: TF.cross_entropy(x, tt, reduction=reduction), logits, rng)  # fmt: skip
    _both(torch, lambda x: nn.CrossEntropyLoss(reduction=reduction)(x, target),
          lambda x: torch.nn.CrossEntropyLoss(reduction=reduction)(x, tt), logits, rng)  # fmt: skip
    logp = np.log(rng.dirichlet(np.ones(4), 6))
    _both(torch, lambda x: nn.NLLLoss(reduction=reduction)(x, target),
          lambda x: torch.nn.NLLLoss(reduction=reduction)(x, tt), logp, rng)  # fmt: skip


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_options_match_torch(torch, TF, rng, reduction):
    w = rng.uniform(0.2, 2.0, 4)
    logits, target = rng.standard_normal((6, 4)), np.array([0, 3, -100, 1, 3, 2])
    tt, tw = torch.tensor(target), torch.tensor(w)
    _both(torch, lambda x: nn.CrossEntropyLoss(weight=w, reduction=reduction)(x, target),
          lambda x: torch.nn.CrossEntropyLoss(weight=tw, reduction=reduction)(x, tt), logits, rng)  # fmt: skip
    _both(torch, lambda x: F.nll_loss(x, np.where(target < 0, 1, target), ignore_index=1, reduction=reduction),
          lambda x: TF.nll_loss(x, torch.tensor(np.where(target < 0, 1, target)), ignore_index=1,
                                reduction=reduction), logits, rng)  # fmt: skip
    # (N, C, d1, d2) logits with per-position targets
    l4, t4 = rng.standard_normal((2, 4, 3, 5)), rng.integers(0, 4, (2, 3, 5))
    _both(torch, lambda x: F.cross_entropy(x, t4, weight=w, reduction=reduction),
          lambda x: TF.cross_entropy(x, torch.tensor(t4), weight=tw, reduction=reduction), l4, rng)  # fmt: skip
    # class probabilities as targets
    p = rng.dirichlet(np.ones(4), 6)
    _both(torch, lambda x: F.cross_entropy(x, p, reduction=reduction),
          lambda x: TF.cross_entropy(x, torch.tensor(p), reduction=reduction), logits, rng)  # fmt: skip
    # unbatched: (C,) logits, 0-d target
    _both(torch, lambda x: F.cross_entropy(x, np.array(2), reduction=reduction),
          lambda x: TF.cross_entropy(x, torch.tensor(2), reduction=reduction), logits[0], rng)  # fmt: skip


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_and_binary_losses_match_torch(torch, rng, reduction):
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    yt = torch.tensor(y)
    _both(torch, lambda a: nn.MSELoss(reduction)(a, y), lambda a: torch.nn.MSELoss(reduction=reduction)(a, yt), x, rng)
    _both(torch, lambda a: nn.L1Loss(reduction)(a, y), lambda a: torch.nn.L1Loss(reduction=reduction)(a, yt), x, rng)
    p, t = rng.uniform(0.05, 0.95, (3, 4)), rng.uniform(0, 1, (3, 4))
    w, tt = rng.uniform(0.5, 2, 4), torch.tensor(t)
    _both(torch, lambda a: nn.BCELoss(reduction=reduction)(a, t),
          lambda a: torch.nn.BCELoss(reduction=reduction)(a, tt), p, rng)  # fmt: skip
    _both(torch, lambda a: nn.BCELoss(weight=w, reduction=reduction)(a, t),
          lambda a: torch.nn.BCELoss(weight=torch.tensor(w), reduction=reduction)(a, tt), p, rng)  # fmt: skip
    _both(torch, lambda a: nn.BCEWithLogitsLoss(reduction=reduction)(a, t),
          lambda a: torch.nn.BCEWithLogitsLoss(reduction=reduction)(a, tt), x, rng)  # fmt: skip
    _both(torch, lambda a: nn.BCEWithLogitsLoss(weight=w, reduction=reduction, pos_weight=w[::-1].copy())(a, t),
          lambda a: torch.nn.BCEWithLogitsLoss(weight=torch.tensor(w), reduction=reduction,
                                               pos_weight=torch.tensor(w[::-1].copy()))(a, tt), x, rng)  # fmt: skip


# ============================================================ finite differences
@pytest.mark.parametrize(
    "loss",
    [
        lambda x: F.cross_entropy(x, np.array([0, 2, 1])),
        lambda x: F.cross_entropy(x, np.array([0, 2, -100]), weight=np.array([0.5, 1.0, 2.0]), reduction="sum"),
        lambda x: F.nll_loss(ag.log_softmax(x, 1), np.array([1, 1, 0]), reduction="none"),
        lambda x: F.mse_loss(x, ag.ones(3, 3)),
        lambda x: F.l1_loss(x, ag.full((3, 3), 5.0), reduction="sum"),
        lambda x: F.binary_cross_entropy(ag.sigmoid(x), ag.full((3, 3), 0.3)),
        lambda x: F.binary_cross_entropy_with_logits(x, ag.full((3, 3), 0.7), pos_weight=2.0),
    ],
)
def test_loss_gradcheck(rng, loss):
    assert ag.gradcheck(loss, Tensor(rng.standard_normal((3, 3)), requires_grad=True))


def test_loss_gradcheck_in_the_target_too(rng):
    x = Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    y = Tensor(rng.uniform(0.1, 0.9, (2, 3)), requires_grad=True)
    assert ag.gradcheck(lambda x, y: F.binary_cross_entropy_with_logits(x, y), (x, y))
    assert ag.gradcheck(lambda x, y: F.mse_loss(x, y), (x, y))
    assert ag.gradcheck(lambda x, y: F.cross_entropy(x, ag.softmax(y, 1)), (x, y))


# ============================================================ numerical stability
_HUGE_LOGITS = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_of_huge_logits_matches_torch(torch, TF, dtype):
    x = Tensor(_HUGE_LOGITS.astype(dtype))
    loss = F.cross_entropy(x, np.array([1, 2]), reduction="sum")
    tloss = TF.cross_entropy(torch.tensor(x.data), torch.tensor([1, 2]), reduction="sum")
    assert loss.item() == pytest.approx(tloss.item(), rel=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_stable_for_huge_logits(dtype):
    x = Tensor(_HUGE_LOGITS.astype(dtype), requires_grad=True)
    loss = F.cross_entropy(x, np.array([1, 2]), reduction="sum")
    assert np.isfinite(loss.item())
    loss.backward()
    assert np.isfinite(x.grad.data).all()
    np.testing.assert_allclose(x.grad.data, [[1.0, -1.0, 0.0], [0.0, np.e / (1 + np.e), -np.e / (1 + np.e)]], atol=1e-6)


def test_binary_losses_are_stable_at_the_extremes():
    x = Tensor(np.array([1000.0, -1000.0, 1000.0, -1000.0]), requires_grad=True)
    t = np.array([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_allclose(loss.data, [0.0, 0.0, 1000.0, 1000.0])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.0, 1.0, -1.0])
    p = Tensor(np.array([0.0, 1.0, 0.5]), requires_grad=True)
    bce = F.binary_cross_entropy(p, np.array([1.0, 0.0, 1.0]), reduction="none")
    np.testing.assert_allclose(bce.data, [100.0, 100.0, np.log(2)])  # logs clamped at -100, as PyTorch
    bce.sum().backward()
    assert np.isfinite(p.grad.data).all()


# ============================================================ errors
def test_class_target_out_of_range_is_a_clear_error():
    with pytest.raises(IndexError, match=r"target class 5 is out of range for 3 classes \(valid 0..2\)"):
        F.cross_entropy(ag.zeros(2, 3), np.array([0, 5]))
    with pytest.raises(IndexError, match="target class -1"):
        nn.CrossEntropyLoss()(ag.zeros(2, 3), np.array([-1, 0]))
    with pytest.raises(TypeError, match="integers"):
        F.nll_loss(ag.zeros(2, 3), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"target shape \(3,\) doesn't fit input shape \(2, 3\)"):
        F.cross_entropy(ag.zeros(2, 3), np.array([0, 1, 2]))


def test_shape_mismatch_and_bad_arguments():
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(4, 1\) and target shape \(4,\) differ"):
        F.mse_loss(ag.zeros(4, 1), ag.zeros(4))
    with pytest.raises(ValueError, match="reduction"):
        nn.L1Loss(reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(ag.zeros(2), ag.zeros(2), reduction="avg")
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\]"):
        F.binary_cross_entropy(ag.tensor([1.5]), ag.tensor([1.0]))


def test_loss_weight_is_a_buffer_like_torch(torch):
    loss = nn.CrossEntropyLoss(weight=np.array([1.0, 2.0]))
    assert list(loss.state_dict()) == list(torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0])).state_dict())
    assert list(nn.MSELoss().state_dict()) == []


def test_list_weights_do_not_promote_float32_losses(rng):
    x = Tensor(rng.uniform(0.1, 0.9, (3, 2)).astype(np.float32), requires_grad=True)
    t = Tensor(rng.uniform(0, 1, (3, 2)).astype(np.float32))
    losses = [
        nn.BCELoss(weight=[0.5, 2.0]),
        nn.BCELoss(weight=np.array([0.5, 2.0])),  # a float64 array too: cast to the input's dtype
        nn.BCEWithLogitsLoss(pos_weight=[3.0, 1.0]),
        nn.BCEWithLogitsLoss(weight=[0.5, 2.0], pos_weight=np.array([3.0, 1.0])),
    ]
    for loss_fn in losses:
        for reduction in REDUCTIONS:
            loss_fn.reduction = reduction
            loss = loss_fn(x, t)
            assert loss.dtype == np.float32, (loss_fn, reduction)
        loss.sum().backward()
        assert x.grad.dtype == np.float32
        x.grad = None
    assert nn.BCELoss(weight=[0.5, 2.0]).weight.dtype == np.float32  # lists take the default dtype
    assert nn.BCEWithLogitsLoss(pos_weight=[3.0]).pos_weight.dtype == np.float32
    assert nn.BCELoss(weight=np.array([0.5, 2.0])).weight.dtype == np.float64  # arrays keep theirs
    ce = nn.CrossEntropyLoss(weight=np.array([1.0, 2.0]))(x, np.array([0, 1, 1]))
    assert ce.dtype == np.float32
    # float64 inputs give a float64 loss (the list, kept in the default dtype, is cast up)
    x64, t64 = x.data.astype(np.float64), t.data.astype(np.float64)
    w = np.array([0.3, 1.7], np.float32).astype(np.float64)
    expected = -(w * (t64 * np.log(x64) + (1 - t64) * np.log(1 - x64))).mean()
    loss = nn.BCELoss(weight=[0.3, 1.7])(x64, t64)
    assert loss.dtype == np.float64 and loss.item() == pytest.approx(expected, rel=1e-12)


def test_list_weights_match_torch_in_float32(torch, rng):
    x = rng.uniform(-2, 2, (4, 3)).astype(np.float32)
    t = rng.uniform(0, 1, (4, 3)).astype(np.float32)
    w, pw = [0.5, 2.0, 1.0], [3.0, 1.0, 0.25]
    ours = nn.BCEWithLogitsLoss(weight=w, pos_weight=pw)(x, t)
    theirs = torch.nn.BCEWithLogitsLoss(weight=torch.tensor(w), pos_weight=torch.tensor(pw))(
        torch.tensor(x), torch.tensor(t)
    )
    assert ours.dtype == np.float32 and theirs.dtype == torch.float32
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-6)
    p = 1 / (1 + np.exp(-x))
    ours = nn.BCELoss(weight=w)(p, t)
    theirs = torch.nn.BCELoss(weight=torch.tensor(w))(torch.tensor(p), torch.tensor(t))
    assert ours.dtype == np.float32 and ours.item() == pytest.approx(theirs.item(), rel=1e-5)


def test_nll_loss_is_not_a_kind_of_cross_entropy():
    assert not isinstance(nn.NLLLoss(), nn.CrossEntropyLoss)
    assert not isinstance(nn.CrossEntropyLoss(), nn.NLLLoss)
    for cls in (nn.NLLLoss, nn.CrossEntropyLoss):
        loss = cls(weight=[1.0, 2.0], ignore_index=1, reduction="sum")
        assert loss.ignore_index == 1 and loss.reduction == "sum" and list(loss.state_dict()) == ["weight"]
    logp = ag.log_softmax(ag.tensor([[1.0, 2.0], [0.5, -1.0]]), 1)
    assert nn.NLLLoss()(logp, np.array([0, 1])).item() == pytest.approx(
        nn.CrossEntropyLoss()(ag.tensor([[1.0, 2.0], [0.5, -1.0]]), np.array([0, 1])).item()
    )


def test_bce_of_a_saturated_sigmoid_has_finite_gradients_in_float32():
    # e^-100 is subnormal in float32: clamping p there and taking log would give 0 * inf = nan
    x = ag.Tensor(np.array([-120.0, 20.0, 0.3], np.float32), requires_grad=True)
    target = ag.Tensor(np.array([1.0, 0.0, 1.0], np.float32))
    loss = F.binary_cross_entropy(ag.sigmoid(x), target, reduction="none")
    loss.sum().backward()
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss.data[:2], [100.0, 100.0])  # log clamped at -100, as PyTorch
    assert np.isfinite(x.grad.data).all()
    np.testing.assert_allclose(x.grad.data[:2], 0.0)  # the sigmoid is flat there
    expected = 1 / (1 + np.exp(-0.3)) - 1  # d/dx of -log(sigmoid(x))
    np.testing.assert_allclose(x.grad.data[2], expected, rtol=1e-5)
