"""nn.optim: every optimizer against PyTorch step for step, parameter groups, state dicts, API."""

from __future__ import annotations

import os

import numpy as np
import pytest

import autograd as ag
import nn
from nn import optim

SHAPES = [(4, 3), (3,), (), (2, 2, 2)]
STEPS = 6


def _grad(p: np.ndarray, t: int) -> np.ndarray:
    """A gradient that depends on the parameter (so any divergence grows) and on the step."""
    return np.sin(3 * p) + 0.5 * np.cos(p * (t + 1)) + 0.1 * p


def _init(rng) -> list[np.ndarray]:
    return [rng.standard_normal(s) for s in SHAPES]


def _run_ours(cls, kw, values, steps, groups=None, dtype=np.float64, opt=None, params=None):
    params = params or [nn.Parameter(v.astype(dtype)) for v in values]
    if opt is None:
        opt = cls(groups(params) if groups else params, **kw)
    for t in range(steps):
        opt.zero_grad()
        for p in params:
            p.grad = ag.Tensor(_grad(p.data, t).astype(dtype))
        opt.step()
    return params, opt


def _run_torch(torch, cls, kw, values, steps, groups=None, dtype=np.float64):
    params = [torch.nn.Parameter(torch.tensor(v.astype(dtype))) for v in values]
    opt = getattr(torch.optim, cls.__name__)(groups(params) if groups else params, **kw)
    for t in range(steps):
        opt.zero_grad()
        for p in params:
            p.grad = torch.tensor(_grad(p.detach().numpy(), t).astype(dtype))
        opt.step()
    return params, opt


def _assert_same(ours, theirs, rtol=1e-10, atol=1e-12):
    for a, b in zip(ours, theirs):
        assert a.data.shape == tuple(b.shape)
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=rtol, atol=atol)


CASES = [
    (optim.SGD, {"lr": 0.1}),
    (optim.SGD, {"lr": 0.05, "momentum": 0.9}),
    (optim.SGD, {"lr": 0.05, "momentum": 0.9, "dampening": 0.5, "weight_decay": 0.1}),
    (optim.SGD, {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01}),
    (optim.Adagrad, {}),
    (optim.Adagrad, {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1, "initial_accumulator_value": 0.3}),
    (optim.RMSprop, {}),
    (optim.RMSprop, {"lr": 0.01, "alpha": 0.9, "momentum": 0.9, "weight_decay": 0.1}),
    (optim.RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.5}),
    (optim.Adadelta, {}),
    (optim.Adadelta, {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1}),
    (optim.Adam, {"lr": 0.05}),
    (optim.Adam, {"lr": 0.05, "betas": (0.8, 0.95), "eps": 1e-6, "weight_decay": 0.1}),
    (optim.Adam, {"lr": 0.05, "amsgrad": True}),
    (optim.AdamW, {"lr": 0.05}),
    (optim.AdamW, {"lr": 0.05, "weight_decay": 0.3, "amsgrad": True}),
]
IDS = [f"{cls.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for cls, kw in CASES]


@pytest.mark.parametrize("cls, kw", CASES, ids=IDS)
def test_matches_torch_step_for_step(torch, rng, cls, kw):
    values = _init(rng)
    ours, _ = _run_ours(cls, kw, values, STEPS)
    theirs, _ = _run_torch(torch, cls, kw, values, STEPS)
    _assert_same(ours, theirs)


@pytest.mark.parametrize("cls, kw", CASES[1::3], ids=IDS[1::3])
def test_float32_matches_torch(torch, rng, cls, kw):
    values = _init(rng)
    ours, _ = _run_ours(cls, kw, values, STEPS, dtype=np.float32)
    theirs, _ = _run_torch(torch, cls, kw, values, STEPS, dtype=np.float32)
    assert all(p.dtype == np.float32 for p in ours)
    _assert_same(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls, kw", CASES[:4], ids=IDS[:4])
def test_sgd_on_large_and_small_parameters_matches_torch(torch, rng, cls, kw, dtype):
    """The same steps as PyTorch on parameters of several sizes (a large matrix among them)."""
    values = [rng.standard_normal((80, 64)), rng.standard_normal(4096), rng.standard_normal(7)]
    ours, _ = _run_ours(cls, kw, values, STEPS, dtype=dtype)
    theirs, _ = _run_torch(torch, cls, kw, values, STEPS, dtype=dtype)
    _assert_same(ours, theirs, *((1e-5, 1e-6) if dtype == np.float32 else (1e-10, 1e-12)))


def _two_groups(params):
    return [{"params": params[:2]}, {"params": params[2:], "lr": 0.02, "weight_decay": 0.05}]


@pytest.mark.parametrize("cls, kw", [CASES[1], CASES[7], CASES[12], CASES[15]], ids=[IDS[1], IDS[7], IDS[12], IDS[15]])
def test_parameter_groups_match_torch(torch, rng, cls, kw):
    values = _init(rng)
    ours, opt = _run_ours(cls, kw, values, STEPS, groups=_two_groups)
    theirs, topt = _run_torch(torch, cls, kw, values, STEPS, groups=_two_groups)
    _assert_same(ours, theirs)
    assert opt.param_groups[1]["lr"] == topt.param_groups[1]["lr"] == 0.02
    assert opt.param_groups[0]["lr"] == topt.param_groups[0]["lr"]


@pytest.mark.parametrize("cls, kw", CASES[1::2], ids=IDS[1::2])
def test_state_dict_round_trip_mid_run(torch, rng, cls, kw, tmp_path):
    """Save after 3 steps, load into a fresh optimizer (through an .npz file), go on: same as 6 steps."""
    values = _init(rng)
    params, opt = _run_ours(cls, kw, values, 3, groups=_two_groups)
    state = opt.state_dict()
    before = {k: v.copy() for k, v in state["state"][0].items() if isinstance(v, np.ndarray)}
    _run_ours(cls, kw, values, 1, opt=opt, params=params)  # the snapshot must not follow the optimizer
    for k, v in before.items():
        np.testing.assert_array_equal(state["state"][0][k], v)
    nn.save(state, os.fspath(tmp_path / "opt.npz"))
    state = nn.load(os.fspath(tmp_path / "opt.npz"))

    params, _ = _run_ours(cls, kw, values, 3, groups=_two_groups)  # the same first 3 steps, again
    fresh = cls(_two_groups(params), lr=123.0) if "lr" not in kw else cls(_two_groups(params), **{**kw, "lr": 123.0})
    fresh.load_state_dict(state)
    assert fresh.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    for t in range(3, STEPS):
        for p in params:
            p.grad = ag.Tensor(_grad(p.data, t))
        fresh.step()
    theirs, _ = _run_torch(torch, cls, kw, values, STEPS, groups=_two_groups)
    _assert_same(params, theirs)


def test_state_dict_layout_is_pytorchs(torch, rng):
    values = _init(rng)
    _, opt = _run_ours(optim.Adam, {"lr": 0.1}, values, 2, groups=_two_groups)
    _, topt = _run_torch(torch, optim.Adam, {"lr": 0.1}, values, 2, groups=_two_groups)
    ours, theirs = opt.state_dict(), topt.state_dict()
    assert ours["state"].keys() == theirs["state"].keys() == {0, 1, 2, 3}
    assert ours["state"][0].keys() == theirs["state"][0].keys()
    assert ours["state"][3]["step"] == 2 and isinstance(ours["state"][3]["exp_avg"], np.ndarray)
    assert [g["params"] for g in ours["param_groups"]] == [g["params"] for g in theirs["param_groups"]]
    for g, tg in zip(ours["param_groups"], theirs["param_groups"]):
        assert {k: g[k] for k in ("lr", "betas", "eps", "weight_decay", "amsgrad")} == {
            k: tg[k] for k in ("lr", "betas", "eps", "weight_decay", "amsgrad")
        }


def test_live_learning_rate_and_skipped_parameters(torch, rng):
    """Changing param_groups[i]['lr'] mid-run acts at once; parameters without grads are left alone."""
    values = _init(rng)
    ours = [nn.Parameter(v) for v in values]
    theirs = [torch.nn.Parameter(torch.tensor(v)) for v in values]
    opt, topt = optim.Adam(ours, lr=0.1), torch.optim.Adam(theirs, lr=0.1)
    for t in range(4):
        if t == 2:
            opt.param_groups[0]["lr"] = topt.param_groups[0]["lr"] = 0.01
        opt.zero_grad()
        topt.zero_grad()
        for p, q in zip(ours[1:], theirs[1:]):
            p.grad = ag.Tensor(_grad(p.data, t))
            q.grad = torch.tensor(_grad(q.detach().numpy(), t))
        opt.step()
        topt.step()
    _assert_same(ours, theirs)
    np.testing.assert_array_equal(ours[0].data, values[0])
    assert ours[0] not in opt.state


# ============================================================ behaviour without torch
def test_zero_grad():
    p = nn.Parameter(np.ones(3))
    opt = optim.SGD([p], lr=0.1)
    p.grad = ag.Tensor(np.ones(3))
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and (g.data == 0).all()
    opt.zero_grad()
    assert p.grad is None


@pytest.mark.parametrize(
    "cls, kw",
    [
        (optim.Adagrad, {}),
        (optim.RMSprop, {}),
        (optim.RMSprop, {"centered": True, "momentum": 0.9}),
        (optim.Adadelta, {}),
        (optim.Adam, {}),
        (optim.Adam, {"amsgrad": True}),
        (optim.AdamW, {}),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else ",".join(v) or "defaults",
)
def test_adaptive_steps_allocate_no_parameter_sized_temporaries(cls, kw):
    """After the first step (which creates the state), a step reuses the optimizer's scratch buffers."""
    import tracemalloc

    params = [nn.Parameter(np.full((500, 400), 0.5, np.float32)), nn.Parameter(np.ones((3,), np.float32))]
    for p in params:
        p.grad = ag.Tensor(np.full(p.shape, 0.25, np.float32))
    opt = cls(params, **kw)
    opt.step()
    size = params[0].data.nbytes  # 800 kB
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        opt.step()
        opt.step()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert peak < size / 10, f"{cls.__name__} allocated {peak} bytes in a step"
    assert all(not k.startswith("_") for s in opt.state_dict()["state"].values() for k in s)  # scratch: not state


def test_training_with_module_and_closure():
    ag.manual_seed(0)
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    x = ag.Tensor(rng.standard_normal((64, 3)).astype(np.float32))
    y = ag.Tensor((x.data @ np.array([[1.0], [-2.0], [0.5]])).astype(np.float32))
    opt = optim.Adam(model.parameters(), lr=0.03)

    def closure():
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        return loss

    first = opt.step(closure).item()
    for _ in range(150):
        last = opt.step(closure).item()
    assert last < 0.02 * first


def test_graph_recorded_before_step_is_stale_after_it():
    w = nn.Parameter(np.array([1.0, 2.0]))
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    y = (w * w).sum()  # records w's current values
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


@pytest.mark.parametrize(
    "make", [lambda ps: optim.SGD(ps, lr=0.1), lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9), optim.Adam]
)
def test_gradient_that_no_longer_fits_its_parameter(make):
    p = nn.Parameter(np.ones(2))
    opt = make([p])
    (p * p).sum().backward()
    p.data = np.ones(3)  # replaced after backward: the (2,) gradient no longer fits
    with pytest.raises(RuntimeError, match=r"gradient of shape \(2,\) for a parameter of \(3,\)"):
        opt.step()
    np.testing.assert_array_equal(p.data, np.ones(3))  # nothing was updated
    assert ag.is_grad_enabled()  # and recording is back on


def test_bad_arguments():
    p = nn.Parameter(np.ones(2))
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(ValueError, match="required option 'lr'"):
        optim.SGD([p])
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="invalid lr"):
        optim.Adam([p], lr=-1)
    with pytest.raises(ValueError, match="invalid betas"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)
    opt = optim.Adam([p])
    with pytest.raises(ValueError, match="parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": []})


def test_defaults_and_repr():
    p = nn.Parameter(np.ones(2))
    assert optim.Adam([p]).param_groups[0]["betas"] == (0.9, 0.999)
    assert optim.AdamW([p]).param_groups[0]["weight_decay"] == 0.01
    assert optim.Adadelta([p]).param_groups[0]["lr"] == 1.0
    assert optim.RMSprop([p]).param_groups[0]["alpha"] == 0.99
    assert optim.Adagrad([p]).param_groups[0]["eps"] == 1e-10
    assert "lr: 0.001" in repr(optim.Adam([p]))
