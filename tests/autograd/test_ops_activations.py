"""Activation functions against PyTorch (values, gradients) and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from _vocab import OpCase, check_grad, check_torch

import autograd as ag


def _away(rng, shape, points=(0.0,), gap=0.05):
    """Normal samples (scaled 3x) at least ``gap`` from each kink."""
    x = 3 * rng.standard_normal(shape)
    for p in points:
        x = np.where(np.abs(x - p) < gap, p + gap * 2 * np.sign(x - p + 1e-9), x)
    return x


def _inputs(shape, points=(0.0,)):
    return lambda rng: [_away(rng, shape, points)]


def F(name, **kw):
    return lambda torch, x: getattr(torch.nn.functional, name)(x, **kw)


CASES = [
    OpCase("gelu", ag.gelu, F("gelu"), _inputs((3, 4))),
    OpCase("gelu_tanh", lambda x: ag.gelu(x, approximate="tanh"), F("gelu", approximate="tanh"), _inputs((5,))),
    OpCase("silu", ag.silu, F("silu"), _inputs((3, 4))),
    OpCase("elu", ag.elu, F("elu"), _inputs((3, 4))),
    OpCase("elu_alpha", lambda x: ag.elu(x, 0.5), F("elu", alpha=0.5), _inputs(())),
    OpCase("celu", lambda x: ag.celu(x, 2.0), F("celu", alpha=2.0), _inputs((3, 4))),
    OpCase("selu", ag.selu, F("selu"), _inputs((2, 3, 2))),
    OpCase("mish", ag.mish, F("mish"), _inputs((3, 4))),
    OpCase("hardswish", ag.hardswish, F("hardswish"), _inputs((4, 5), (-3.0, 3.0)), rtol=1e-7),
    OpCase("hardsigmoid", ag.hardsigmoid, F("hardsigmoid"), _inputs((4, 5), (-3.0, 3.0)), rtol=1e-7),
    OpCase("hardtanh", ag.hardtanh, F("hardtanh"), _inputs((4, 5), (-1.0, 1.0))),
    OpCase(
        "hardtanh_range",
        lambda x: ag.hardtanh(x, -2.0, 0.5),
        F("hardtanh", min_val=-2.0, max_val=0.5),
        _inputs((4, 5), (-2.0, 0.5)),
    ),
    OpCase("relu6", ag.relu6, F("relu6"), lambda rng: [_away(rng, (4, 5), (0.0, 6.0)) * 2]),
    OpCase("softsign", ag.softsign, F("softsign"), _inputs((3, 4))),
    OpCase("logsigmoid", ag.logsigmoid, F("logsigmoid"), _inputs((3, 4))),
    OpCase("softmin", lambda x: ag.softmin(x, dim=0), F("softmin", dim=0), _inputs((3, 4))),
    OpCase("softmin_neg_dim", lambda x: ag.softmin(x, dim=-1), F("softmin", dim=-1), _inputs((2, 3, 4))),
    OpCase("normalize", ag.normalize, F("normalize"), _inputs((3, 4))),
    OpCase("normalize_p1_dim0", lambda x: ag.normalize(x, p=1, dim=0), F("normalize", p=1, dim=0), _inputs((3, 4))),
    OpCase(
        "normalize_pinf",
        lambda x: ag.normalize(x, p=float("inf"), dim=-1),
        F("normalize", p=float("inf"), dim=-1),
        lambda rng: [(rng.permutation(12).reshape(3, 4) + 1.0) * rng.choice([-0.3, 0.3], (3, 4))],
    ),
    OpCase("erf", ag.erf, lambda torch, x: torch.erf(x), _inputs((3, 4))),
    OpCase("expm1", ag.expm1, lambda torch, x: torch.expm1(x), lambda rng: [rng.standard_normal((3, 4)) * 1e-3]),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_pytorch(case):
    torch = pytest.importorskip("torch")
    check_torch(case, torch)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_gradcheck(case):
    check_grad(case)


@pytest.mark.parametrize(
    "name, points",
    [
        ("hardswish", [-3.0, 3.0]),
        ("hardsigmoid", [-3.0, 3.0]),
        ("hardtanh", [-1.0, 1.0]),
        ("relu6", [0.0, 6.0]),
        ("elu", [0.0]),
        ("celu", [0.0]),
        ("selu", [0.0]),
    ],
)
def test_gradient_at_the_kinks_is_pytorchs(name, points):
    torch = pytest.importorskip("torch")
    x = ag.Tensor(np.array(points), requires_grad=True)
    getattr(ag, name)(x).sum().backward()
    tx = torch.tensor(points, dtype=torch.float64, requires_grad=True)
    getattr(torch.nn.functional, name)(tx).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-7)


def test_elu_family_does_not_overflow_on_the_unused_side():
    x = ag.Tensor(np.array([1000.0, -1000.0]), requires_grad=True)
    (ag.elu(x) + ag.celu(x, 0.5) + ag.selu(x)).sum().backward()
    assert np.isfinite(x.grad.data).all()


def test_normalize_keeps_a_zero_vector_zero_with_a_zero_gradient():
    x = ag.Tensor(np.zeros((2, 3)), requires_grad=True)
    y = ag.normalize(x, dim=1)
    (y * ag.Tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
    assert np.all(y.data == 0) and np.all(np.isfinite(x.grad.data))


def test_float32_stays_float32_and_integers_are_refused():
    x = ag.Tensor(np.linspace(-2, 2, 5, dtype=np.float32))
    for fn in (ag.gelu, ag.silu, ag.elu, ag.mish, ag.hardswish, ag.softsign, ag.logsigmoid, ag.normalize):
        assert fn(x.reshape(1, 5)).dtype == np.float32, fn.__name__
    with pytest.raises(TypeError, match="gelu"):
        ag.gelu(ag.Tensor([1, 2]))


def test_gelu_rejects_an_unknown_approximation():
    with pytest.raises(ValueError, match="approximate"):
        ag.gelu(ag.Tensor([1.0]), approximate="fast")


def test_erf_is_accurate_to_an_ulp_against_the_standard_library():
    import math

    x = np.concatenate([np.linspace(-7, 7, 2801), [0.0, 1e-300, -1e-20, 0.84375, 1.25, 1 / 0.35, 6.0]])
    ref = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(ag.erf(ag.Tensor(x)).data, ref, rtol=3e-16, atol=3e-16)
    x32 = x.astype(np.float32)
    ref32 = np.array([math.erf(float(v)) for v in x32])
    out32 = ag.erf(ag.Tensor(x32)).data
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, ref32, rtol=3e-7, atol=1e-30)
    special = ag.erf(ag.Tensor(np.array([np.inf, -np.inf, np.nan]))).data
    assert special[0] == 1 and special[1] == -1 and np.isnan(special[2])


def test_gelu_tanh_without_a_gradient_gives_the_same_values():
    """Nothing recorded: the primitive skips the derivative it otherwise keeps for backward."""
    x = ag.Tensor(np.linspace(-4, 4, 200_000).reshape(400, 500), requires_grad=True)
    with_grad = ag.gelu(x, approximate="tanh")
    with ag.no_grad():
        plain = ag.gelu(x, approximate="tanh")
    assert with_grad.grad_fn is not None and plain.grad_fn is None
    np.testing.assert_array_equal(plain.data, with_grad.data)


def test_gelu_tanh_first_order_and_recorded_rules_agree():
    """The rule's two paths (the forward's derivative, and recorded ops under create_graph) do the
    same operations: the same gradient to the last bit."""
    x = ag.Tensor(np.linspace(-5, 5, 1001), requires_grad=True)
    g = np.cos(np.arange(1001.0))
    (fast,) = ag.grad(ag.gelu(x, approximate="tanh"), [x], grad_outputs=ag.Tensor(g))
    (recorded,) = ag.grad(ag.gelu(x, approximate="tanh"), [x], grad_outputs=ag.Tensor(g), create_graph=True)
    assert recorded.requires_grad
    np.testing.assert_array_equal(fast.data, recorded.data)
