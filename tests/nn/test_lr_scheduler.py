"""nn.optim.lr_scheduler: learning rates against PyTorch's, epoch by epoch, and the API around them."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nn
from nn.optim import lr_scheduler

T_MAX = 7


def _two_group_optimizer(make, params_a, params_b):
    return make([{"params": params_a}, {"params": params_b, "lr": 0.5}], lr=0.1, momentum=0.9)


SCHEDULES = [
    ("StepLR", {"step_size": 3}),
    ("StepLR", {"step_size": 2, "gamma": 0.5}),
    ("ExponentialLR", {"gamma": 0.8}),
    ("CosineAnnealingLR", {"T_max": T_MAX}),
    ("CosineAnnealingLR", {"T_max": T_MAX, "eta_min": 0.01}),
]


@pytest.mark.parametrize("name, kw", SCHEDULES, ids=[f"{n}-{kw}" for n, kw in SCHEDULES])
def test_rates_match_torch_over_three_periods(torch, name, kw):
    ours_opt = _two_group_optimizer(nn.optim.SGD, [nn.Parameter(np.zeros(2))], [nn.Parameter(np.zeros(3))])
    theirs_opt = _two_group_optimizer(
        torch.optim.SGD, [torch.nn.Parameter(torch.zeros(2))], [torch.nn.Parameter(torch.zeros(3))]
    )
    ours = getattr(lr_scheduler, name)(ours_opt, **kw)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **kw)
    for epoch in range(3 * T_MAX + 1):
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12, atol=1e-15, err_msg=epoch)
        np.testing.assert_allclose(
            [g["lr"] for g in ours_opt.param_groups], [g["lr"] for g in theirs_opt.param_groups], rtol=1e-12
        )
        ours_opt.step()
        theirs_opt.step()
        ours.step()
        theirs.step()
    assert ours.last_epoch == theirs.last_epoch == 3 * T_MAX + 1


def test_closed_forms():
    opt = nn.optim.SGD([nn.Parameter(np.zeros(1))], lr=2.0)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=4, eta_min=0.5)
    rates = [sched.get_last_lr()[0]]
    for _ in range(8):
        sched.step()
        rates.append(opt.param_groups[0]["lr"])
    expected = [0.5 + 1.5 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(9)]
    np.testing.assert_allclose(rates, expected, rtol=1e-14)
    assert rates[4] == pytest.approx(0.5) and rates[8] == pytest.approx(2.0)  # down to eta_min, back up

    opt = nn.optim.Adam([nn.Parameter(np.zeros(1))], lr=1.0)
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.9)
    for _ in range(10):
        sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.9**10)


def test_state_dict_round_trip():
    opt = nn.optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        sched.step()
    state = sched.state_dict()
    assert state["last_epoch"] == 3 and "optimizer" not in state
    assert all(isinstance(v, (int, float, list)) for v in state.values())

    opt2 = nn.optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
    opt2.load_state_dict(opt.state_dict())
    resumed = lr_scheduler.StepLR(opt2, step_size=5, gamma=0.1)
    resumed.load_state_dict(state)
    resumed.step()
    sched.step()
    assert resumed.get_last_lr() == sched.get_last_lr() == [0.25]
    assert opt2.param_groups[0]["lr"] == 0.25


def test_resuming_needs_initial_lr():
    opt = nn.optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=4)
    lr_scheduler.StepLR(opt, step_size=2)
    resumed = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5, last_epoch=4)
    assert resumed.last_epoch == 5 and resumed.get_last_lr() == [0.25]
    with pytest.raises(ValueError, match="step_size"):
        lr_scheduler.StepLR(opt, step_size=0)
    with pytest.raises(TypeError, match="expected an Optimizer"):
        lr_scheduler.ExponentialLR(object(), gamma=0.5)


# =============================================================== LambdaLR and ReduceLROnPlateau
def test_lambda_lr_matches_torch_with_one_rule_per_group(torch):
    rules = [lambda epoch: 1 / (1 + 0.5 * epoch), lambda epoch: 0.9**epoch]
    ours_opt = _two_group_optimizer(nn.optim.SGD, [nn.Parameter(np.zeros(2))], [nn.Parameter(np.zeros(3))])
    theirs_opt = _two_group_optimizer(
        torch.optim.SGD, [torch.nn.Parameter(torch.zeros(2))], [torch.nn.Parameter(torch.zeros(3))]
    )
    ours = lr_scheduler.LambdaLR(ours_opt, rules)
    theirs = torch.optim.lr_scheduler.LambdaLR(theirs_opt, rules)
    for epoch in range(12):
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12, err_msg=epoch)
        ours_opt.step(), theirs_opt.step(), ours.step(), theirs.step()


def test_lambda_lr_is_the_notes_decay_and_saves_without_its_function():
    opt = nn.optim.SGD([nn.Parameter(np.zeros(1))], lr=0.5)
    sched = lr_scheduler.LambdaLR(opt, lambda epoch: 1 / (1 + 0.1 * epoch))
    for _ in range(5):
        sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.5 / 1.5)
    state = sched.state_dict()
    assert state["lr_lambdas"] == [None] and state["last_epoch"] == 5
    with pytest.raises(ValueError, match="one per parameter group"):
        lr_scheduler.LambdaLR(opt, [lambda e: 1.0, lambda e: 1.0])
    with pytest.raises(TypeError, match="callable"):
        lr_scheduler.LambdaLR(opt, 0.5)


PLATEAU = [
    {},
    {"mode": "max", "factor": 0.5, "patience": 1},
    {"factor": 0.5, "patience": 0, "threshold_mode": "abs", "threshold": 0.05, "cooldown": 2, "min_lr": 0.02},
    {"mode": "max", "patience": 2, "threshold": 0.1, "min_lr": [0.0, 0.3], "eps": 1e-3},
]


@pytest.mark.parametrize("kw", PLATEAU, ids=[str(kw) for kw in PLATEAU])
def test_reduce_on_plateau_matches_torch(torch, kw):
    values = np.random.default_rng(1).normal(1.0, 0.1, 40)
    values[:10] = np.linspace(2.0, 1.0, 10)  # improving, then noisy plateaus
    ours_opt = _two_group_optimizer(nn.optim.SGD, [nn.Parameter(np.zeros(2))], [nn.Parameter(np.zeros(3))])
    theirs_opt = _two_group_optimizer(
        torch.optim.SGD, [torch.nn.Parameter(torch.zeros(2))], [torch.nn.Parameter(torch.zeros(3))]
    )
    ours = lr_scheduler.ReduceLROnPlateau(ours_opt, **kw)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, **kw)
    changes = 0
    for v in values:
        before = ours.get_last_lr()
        ours.step(float(v))
        theirs.step(float(v))
        changes += ours.get_last_lr() != before
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)
        assert [g["lr"] for g in ours_opt.param_groups] == pytest.approx([g["lr"] for g in theirs_opt.param_groups])
        assert (ours.num_bad_epochs, ours.cooldown_counter, ours.best) == (
            theirs.num_bad_epochs,
            theirs.cooldown_counter,
            theirs.best,
        )
    assert changes > 0  # the case exercises a reduction


def test_reduce_on_plateau_without_torch():
    opt = nn.optim.SGD([nn.Parameter(np.zeros(1))], lr=1.0)
    sched = lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2, min_lr=0.3)
    rates = []
    for loss in [5, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3]:
        sched.step(loss)
        rates.append(opt.param_groups[0]["lr"])
    # 3 bad epochs (more than patience=2) halve the rate; the floor is min_lr
    assert rates == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3]
    resumed = lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=2, min_lr=0.3)
    resumed.load_state_dict(sched.state_dict())
    assert (resumed.best, resumed.num_bad_epochs, resumed.last_epoch) == (3.0, 0, 11)
    with pytest.raises(ValueError, match="factor"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(TypeError, match="watched value"):
        sched.step()
