"""``nn.functional`` as a whole, the ``nn`` exports, and ``nn.utils`` gradient clipping."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd import Tensor

FUNCTIONAL = [
    "linear", "conv2d", "max_pool2d", "avg_pool2d", "lp_pool2d", "adaptive_avg_pool2d", "batch_norm", "dropout",
    "embedding", "flatten", "relu", "leaky_relu", "prelu", "sigmoid", "tanh", "softmax", "log_softmax", "softplus",
    "absolute_rectifier", "maxout", "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
]  # fmt: skip
FUNCTIONAL += [
    "conv1d", "conv_transpose2d", "max_unpool2d", "layer_norm", "group_norm", "scaled_dot_product_attention", "gelu",
    "silu", "elu", "celu", "selu", "mish", "hardswish", "hardsigmoid", "hardtanh", "relu6", "softsign", "logsigmoid",
    "softmin", "normalize", "pad", "interpolate",
]  # fmt: skip
MODULES = [
    "Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "LPPool2d", "AdaptiveAvgPool2d", "BatchNorm1d", "BatchNorm2d",
    "Dropout", "Flatten", "Embedding", "Identity", "ReLU", "LeakyReLU", "PReLU", "Sigmoid", "Tanh", "Softmax",
    "LogSoftmax", "Softplus", "AbsoluteRectifier", "Maxout", "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss",
    "BCELoss", "BCEWithLogitsLoss",
]  # fmt: skip
MODULES += [
    "Conv1d", "ConvTranspose2d", "MaxUnpool2d", "LayerNorm", "GroupNorm", "MultiheadAttention",
    "TransformerEncoderLayer", "TransformerEncoder", "GELU", "SiLU", "ELU", "CELU", "SELU", "Mish", "Hardswish",
    "Hardsigmoid", "Hardtanh", "ReLU6", "Softsign", "LogSigmoid", "Softmin", "Upsample",
]  # fmt: skip


def test_every_functional_form_and_module_is_exported():
    assert sorted(F.__all__) == sorted(FUNCTIONAL)
    for name in FUNCTIONAL:
        assert callable(getattr(F, name)) and getattr(F, name).__doc__, name
    for name in MODULES + ["functional", "utils", "save", "load"]:
        assert name in nn.__all__ and hasattr(nn, name), name
    assert nn.functional is F
    assert callable(nn.utils.clip_grad_norm_) and callable(nn.utils.clip_grad_value_)


def test_functional_forms_equal_the_modules(rng):
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    conv = nn.Conv2d(3, 4, 3, stride=2, padding=1)
    cases = [
        (conv(x), F.conv2d(x, conv.weight, conv.bias, 2, 1)),
        (nn.MaxPool2d(3, 2, 1)(x), F.max_pool2d(x, 3, 2, 1)),
        (nn.AvgPool2d(2)(x), F.avg_pool2d(x, 2)),
        (nn.LPPool2d(2, 3)(np.abs(x)), F.lp_pool2d(np.abs(x), 2, 3)),
        (nn.AdaptiveAvgPool2d(1)(x), F.adaptive_avg_pool2d(x, 1)),
        (nn.Flatten()(x), F.flatten(x)),
        (nn.ReLU()(x), F.relu(x)),
        (nn.LeakyReLU(0.3)(x), F.leaky_relu(x, 0.3)),
        (nn.Softmax(1)(x), F.softmax(x, 1)),
        (nn.LogSoftmax(1)(x), F.log_softmax(x, 1)),
        (nn.Softplus(2.0)(x), F.softplus(x, 2.0)),
        (nn.Sigmoid()(x), F.sigmoid(x)),
        (nn.Tanh()(x), F.tanh(x)),
    ]
    for a, b in cases:
        np.testing.assert_array_equal(a.data, b.data)
    lin = nn.Linear(6, 2)
    np.testing.assert_array_equal(lin(x).data, F.linear(x, lin.weight, lin.bias).data)
    bn = nn.BatchNorm2d(3).eval()
    np.testing.assert_allclose(
        bn(x).data, F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias).data, rtol=1e-6
    )


def test_functional_batch_norm_updates_given_buffers(rng):
    x = rng.standard_normal((10, 2)) + 3.0
    rm, rv = Tensor(np.zeros(2)), Tensor(np.ones(2))
    F.batch_norm(x, rm, rv, training=True, momentum=0.5)
    np.testing.assert_allclose(rm.data, 0.5 * x.mean(0))
    np.testing.assert_allclose(rv.data, 0.5 + 0.5 * x.var(0, ddof=1))  # unbiased in the running estimate


def test_functional_outputs_are_in_the_graph(rng):
    w = Tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    loss = F.mse_loss(F.relu(F.linear(ag.ones(2, 4), w)), ag.zeros(2, 3))
    loss.backward()
    assert w.grad is not None and w.grad.shape == (3, 4)


# ============================================================ clipping
def _grads(rng, shapes):
    params = [Tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    for p in params:
        p.grad = Tensor(rng.standard_normal(p.shape) * 3)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm_matches_torch(rng, norm_type):
    torch = pytest.importorskip("torch")
    params = _grads(rng, [(3, 4), (5,), ()])
    tparams = [torch.tensor(p.data, requires_grad=True) for p in params]
    for p, t in zip(params, tparams):
        t.grad = torch.tensor(p.grad.data)
    total = nn.utils.clip_grad_norm_(params, max_norm=1.5, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(tparams, max_norm=1.5, norm_type=norm_type)
    assert isinstance(total, Tensor) and total.item() == pytest.approx(ttotal.item(), rel=1e-12)
    for p, t in zip(params, tparams):
        np.testing.assert_allclose(p.grad.data, t.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_leaves_small_gradients_alone(rng):
    params = _grads(rng, [(4,)])
    before = params[0].grad.data.copy()
    total = nn.utils.clip_grad_norm_(params[0], max_norm=1e6)
    assert total.item() == pytest.approx(np.linalg.norm(before))
    np.testing.assert_array_equal(params[0].grad.data, before)
    assert nn.utils.clip_grad_norm_([Tensor(np.ones(2), requires_grad=True)], 1.0).item() == 0.0  # no grads


def test_clip_grad_value_matches_torch_and_is_not_recorded(rng):
    torch = pytest.importorskip("torch")
    params = _grads(rng, [(3, 4), (2,)])
    expected = [np.clip(p.grad.data, -0.5, 0.5) for p in params]
    tparams = [torch.tensor(p.data, requires_grad=True) for p in params]
    for p, t in zip(params, tparams):
        t.grad = torch.tensor(p.grad.data)
    nn.utils.clip_grad_value_(params, 0.5)
    torch.nn.utils.clip_grad_value_(tparams, 0.5)
    for p, t, e in zip(params, tparams, expected):
        np.testing.assert_array_equal(p.grad.data, e)
        np.testing.assert_array_equal(p.grad.data, t.grad.numpy())
        assert p.grad.grad_fn is None and not p.grad.requires_grad


def test_clipping_after_a_real_backward(rng):
    model = nn.Linear(3, 2)
    F.mse_loss(model(rng.standard_normal((4, 3)).astype(np.float32) * 100), ag.zeros(4, 2)).backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    total = np.sqrt(sum((p.grad.data.astype(np.float64) ** 2).sum() for p in model.parameters()))
    assert total == pytest.approx(1.0, rel=1e-4)
    with pytest.raises(RuntimeError, match="total 2.0-norm"):
        model.weight.grad.data[0, 0] = np.nan
        nn.utils.clip_grad_norm_(model.parameters(), 1.0, error_if_nonfinite=True)
