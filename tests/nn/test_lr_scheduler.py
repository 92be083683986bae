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
