"""The activation modules and functional forms over autograd's activations (GELU ... Softmin, normalize)."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd import Tensor

TOL = {"rtol": 1e-10, "atol": 1e-12}

# (our module, PyTorch's module name and arguments)
MODULES = [
    (lambda: nn.GELU(), "GELU", {}),
    (lambda: nn.GELU(approximate="tanh"), "GELU", {"approximate": "tanh"}),
    (lambda: nn.SiLU(), "SiLU", {}),
    (lambda: nn.ELU(0.7), "ELU", {"alpha": 0.7}),
    (lambda: nn.CELU(1.3), "CELU", {"alpha": 1.3}),
    (lambda: nn.SELU(), "SELU", {}),
    (lambda: nn.Mish(), "Mish", {}),
    (lambda: nn.Hardswish(), "Hardswish", {}),
    (lambda: nn.Hardsigmoid(), "Hardsigmoid", {}),
    (lambda: nn.Hardtanh(-2.0, 1.5), "Hardtanh", {"min_val": -2.0, "max_val": 1.5}),
    (lambda: nn.ReLU6(), "ReLU6", {}),
    (lambda: nn.Softsign(), "Softsign", {}),
    (lambda: nn.LogSigmoid(), "LogSigmoid", {}),
    (lambda: nn.Softmin(dim=1), "Softmin", {"dim": 1}),
]


def _input(rng, shape=(3, 4, 5)):
    # spread out, away from the kinks of the piecewise ones (-3, 0, 3, 6 and the Hardtanh bounds)
    x = rng.uniform(-7, 7, shape)
    for kink in (-3.0, -2.0, 0.0, 1.5, 3.0, 6.0):
        x = np.where(np.abs(x - kink) < 0.05, x + 0.1, x)
    return x


@pytest.mark.parametrize("make, name, kwargs", MODULES, ids=[m[1] + str(m[2]) for m in MODULES])
def test_activation_modules_match_torch(torch, rng, make, name, kwargs):
    x = _input(rng)
    ours, theirs = make(), getattr(torch.nn, name)(**kwargs)
    xa, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = ours(xa), theirs(xt)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), **TOL)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    # PyTorch's float64 backward of these two rounds a constant to float32 (alpha, 1/6): ours is
    # exact (the gradcheck below), so they agree to float32 precision only
    tol = {"rtol": 1e-6, "atol": 1e-12} if name in ("CELU", "Hardsigmoid") else TOL
    np.testing.assert_allclose(xa.grad.data, xt.grad.numpy(), **tol)


@pytest.mark.parametrize("make, name, kwargs", MODULES, ids=[m[1] + str(m[2]) for m in MODULES])
def test_activation_modules_gradcheck(rng, make, name, kwargs):
    x = Tensor(_input(rng, (2, 3, 2)), requires_grad=True)
    assert ag.gradcheck(make(), (x,))


def test_functional_forms_match_the_modules_and_torch(torch, TF, rng):
    x = _input(rng)
    for fn, args in [(F.gelu, {"approximate": "tanh"}), (F.elu, {"alpha": 0.5}), (F.hardtanh, {"min_val": -3.0}),
                     (F.silu, {}), (F.relu6, {}), (F.logsigmoid, {}), (F.softsign, {}), (F.mish, {})]:  # fmt: skip
        ours, theirs = fn(Tensor(x), **args), getattr(TF, fn.__name__)(torch.tensor(x), **args)
        np.testing.assert_allclose(ours.data, theirs.numpy(), **TOL, err_msg=fn.__name__)
    for dim in (0, 1, -1):
        np.testing.assert_allclose(F.softmin(Tensor(x), dim).data, TF.softmin(torch.tensor(x), dim).numpy(), **TOL)
    for p, dim in ((2.0, 1), (1.0, -1), (3.0, 0)):
        xa, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, tout = F.normalize(xa, p, dim), TF.normalize(xt, p, dim)
        np.testing.assert_allclose(out.data, tout.detach().numpy(), **TOL)
        g = rng.standard_normal(out.shape)
        out.backward(g)
        tout.backward(torch.tensor(g))
        np.testing.assert_allclose(xa.grad.data, xt.grad.numpy(), **TOL)


@pytest.mark.filterwarnings("ignore:Implicit dimension choice")
def test_softmin_implicit_dim_is_pytorchs(torch, TF, rng):
    for shape in ((5,), (3, 4), (2, 3, 4), (2, 3, 4, 5)):
        x = rng.standard_normal(shape)
        np.testing.assert_allclose(F.softmin(Tensor(x)).data, TF.softmin(torch.tensor(x)).numpy(), **TOL)
        np.testing.assert_allclose(nn.Softmin()(Tensor(x)).data, TF.softmin(torch.tensor(x)).numpy(), **TOL)


def test_normalize_gradcheck_and_module_reprs(rng):
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert ag.gradcheck(lambda a: F.normalize(a, dim=1), (x,))
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.Hardtanh()) == "Hardtanh(min_val=-1.0, max_val=1.0)" and repr(nn.ELU()) == "ELU(alpha=1.0)"
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        nn.GELU("fast")
    with pytest.raises(ValueError, match="max_val"):
        nn.Hardtanh(1.0, -1.0)
