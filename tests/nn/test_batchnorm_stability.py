"""BatchNorm's batch statistics in float32 on inputs whose mean is large next to their spread."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn


def _reference(x32: np.ndarray, momentum: float = 0.1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Output, running_mean and running_var after one step, computed in float64 from the float32 data."""
    xd = x32.astype(np.float64)
    axes = (0,) + tuple(range(2, xd.ndim))
    mu, var = xd.mean(axes, keepdims=True), xd.var(axes, keepdims=True)
    n = xd.size // xd.shape[1]
    out = (xd - mu) / np.sqrt(var + 1e-5)
    return out, momentum * mu.ravel(), (1 - momentum) + momentum * var.ravel() * n / (n - 1)


def _ours(x32: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    bn = (nn.BatchNorm1d if x32.ndim == 2 else nn.BatchNorm2d)(x32.shape[1])
    out = bn(ag.Tensor(x32))
    assert out.dtype == np.float32 and bn.running_var.dtype == np.float32
    return out.data, bn.running_mean.data, bn.running_var.data


def _errors(got: tuple, ref: tuple) -> list[float]:
    return [float(np.abs(np.asarray(g, np.float64) - r).max()) for g, r in zip(got, ref)]


CASES = {
    "long batch (200000, 2), mean 1000": lambda rng: 1000 + rng.standard_normal((200_000, 2)),
    "small batch (64, 3), mean 1e4": lambda rng: 1e4 + rng.standard_normal((64, 3)),
    "images (512, 2, 6, 6), mean 1000": lambda rng: 1000 + rng.standard_normal((512, 2, 6, 6)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_float32_statistics_are_accurate_with_a_large_mean(rng, case):
    x32 = CASES[case](rng).astype(np.float32)
    out_err, mean_err, var_err = _errors(_ours(x32), _reference(x32))
    # The float32 data itself is exact; a mean of 1000 rounds to within 3e-5, a standardised
    # value to within about 1e-5 of its size. A mean summed naively in float32 over 200000 rows
    # was off by ~0.03 (and by 16 over 2e6 rows), which shifts every output by as much.
    assert out_err < 2e-5, out_err
    assert mean_err < 4 * np.spacing(np.float32(0.1 * np.abs(x32).max())), mean_err  # float32 rounding
    assert var_err < 1e-6, var_err


@pytest.mark.parametrize("case", list(CASES))
def test_no_worse_than_torch(torch, rng, case):
    x32 = CASES[case](rng).astype(np.float32)
    ref = _reference(x32)
    tb = (torch.nn.BatchNorm1d if x32.ndim == 2 else torch.nn.BatchNorm2d)(x32.shape[1])
    theirs = _errors((tb(torch.tensor(x32)).detach().numpy(), tb.running_mean.numpy(), tb.running_var.numpy()), ref)
    ours = _errors(_ours(x32), ref)
    ulp = np.spacing(np.float32(0.1 * np.abs(x32).max()))  # running_mean's own float32 rounding
    for what, o, t, floor in zip(("output", "running_mean", "running_var"), ours, theirs, (0, ulp, 0)):
        assert o <= max(t, floor), f"{what}: graphgrad's error {o:.3g}, PyTorch's {t:.3g}"


def test_long_float32_batch_gradients_match_float64(rng):
    """Past 4096 rows the squares are summed in float64: the gradient goes through that cast too."""
    x = 50 + 3 * rng.standard_normal((5000, 2))
    g = rng.standard_normal(x.shape)
    grads = []
    for dtype in (np.float32, np.float64):
        bn = nn.BatchNorm1d(2).to(dtype)
        xt = ag.Tensor(x.astype(dtype), requires_grad=True)
        bn(xt).backward(ag.Tensor(g.astype(dtype)))
        assert xt.grad.dtype == dtype and bn.weight.grad.dtype == dtype
        grads.append((xt.grad.data, bn.weight.grad.data, bn.bias.grad.data))
    for g32, g64 in zip(*grads):
        np.testing.assert_allclose(g32, g64, rtol=1e-3, atol=1e-4 * np.abs(g64).max())
