"""Linear, Flatten, Identity, Dropout, Embedding, BatchNorm and the activation modules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _nn_testing import compare_with_torch, module_gradcheck, torch_state

import autograd as ag
import nn
import nn.functional as F
from autograd import Tensor

TOL = {"rtol": 1e-9, "atol": 1e-10}


def _compare_module(torch, ours, theirs, x, rng, tol=TOL, load=True):
    """Same output, input gradient and parameter gradients as the PyTorch module (float64)."""
    theirs.double()
    ours.double()
    if load:
        ours.load_state_dict(torch_state(theirs))
    compare_with_torch(torch, ours, theirs, x, rng, tol)
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.data, theirs_params[name].grad.numpy(), **tol, err_msg=name)


# ============================================================ Linear
def test_linear_matches_torch(torch, rng):
    _compare_module(torch, nn.Linear(5, 3), torch.nn.Linear(5, 3), rng.standard_normal((4, 5)), rng)
    _compare_module(
        torch, nn.Linear(5, 3, bias=False), torch.nn.Linear(5, 3, bias=False), rng.standard_normal((2, 4, 5)), rng
    )


def test_linear_init_and_layout():
    ag.manual_seed(1)
    layer = nn.Linear(400, 120)
    assert layer.weight.shape == (120, 400) and layer.bias.shape == (120,)
    assert layer.weight.dtype == np.float32
    bound = 1 / math.sqrt(400)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    assert abs(layer.weight.data.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert list(layer.state_dict()) == ["weight", "bias"]
    assert nn.Linear(2, 3, bias=False).bias is None


def test_linear_gradcheck(rng):
    assert module_gradcheck(nn.Linear(4, 3), Tensor(rng.standard_normal((2, 4)), requires_grad=True))


def test_linear_shape_error_names_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Linear\(in_features=4, out_features=3.*4 features.*\(2, 5\)"):
        nn.Linear(4, 3)(ag.zeros(2, 5))


# ============================================================ Flatten, Identity, Dropout
def test_flatten_and_identity(rng):
    x = Tensor(rng.standard_normal((2, 3, 4, 5)), requires_grad=True)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Identity(3, anything=1)(x) is x
    nn.Flatten()(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.ones(x.shape))


def test_dropout_is_inverted_and_off_in_eval():
    ag.manual_seed(0)
    drop = nn.Dropout(0.25)
    x = Tensor(np.ones((200, 100)), requires_grad=True)
    y = drop(x)
    kept = y.data != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(y.data[kept], 1 / 0.75)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, np.where(kept, 1 / 0.75, 0.0))  # the gradient uses the same mask
    assert drop.eval()(x) is x
    assert F.dropout(x, 0.0) is x
    assert not F.dropout(x, 1.0).data.any()


def test_dropout_and_flatten_gradcheck(rng):
    drop = nn.Dropout(0.4)

    def seeded(x):  # the same mask on every call, so finite differences are meaningful
        ag.manual_seed(5)
        return drop(x)

    x = Tensor(rng.standard_normal((4, 5)), requires_grad=True)
    assert ag.gradcheck(seeded, x)
    assert module_gradcheck(nn.Flatten(), Tensor(rng.standard_normal((2, 3, 2)), requires_grad=True))


def test_dropout_is_reproducible_and_checks_p():
    x = ag.ones(50)
    ag.manual_seed(3)
    a = F.dropout(x, 0.5).data
    ag.manual_seed(3)
    np.testing.assert_array_equal(a, F.dropout(x, 0.5).data)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


# ============================================================ Embedding
def test_embedding_matches_torch_with_repeated_indices(torch, rng):
    ours, theirs = nn.Embedding(6, 3), torch.nn.Embedding(6, 3).double()
    ours.load_state_dict(torch_state(theirs))
    ours.double()
    idx = np.array([[0, 2, 2], [5, 0, 2]])
    out, tout = ours(idx), theirs(torch.tensor(idx))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), **TOL)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), **TOL)


def test_embedding_init_gradcheck_and_errors(rng):
    ag.manual_seed(0)
    emb = nn.Embedding(1000, 20)
    assert abs(emb.weight.data.mean()) < 0.02 and abs(emb.weight.data.std() - 1) < 0.02  # N(0, 1)
    assert module_gradcheck(nn.Embedding(4, 2), np.array([1, 3, 1]))
    with pytest.raises(IndexError, match=r"Embedding\(1000, 20\).*\[0, 1000\).*1000"):
        emb(np.array([3, 1000]))
    with pytest.raises(TypeError, match="integers"):
        emb(np.array([1.0]))


# ============================================================ BatchNorm
@pytest.mark.parametrize(
    "cls, shape", [("BatchNorm1d", (8, 3)), ("BatchNorm1d", (4, 3, 5)), ("BatchNorm2d", (4, 3, 5, 2))]
)
def test_batchnorm_matches_torch_in_train_and_eval(torch, rng, cls, shape):
    ours, theirs = getattr(nn, cls)(3, momentum=0.2), getattr(torch.nn, cls)(3, momentum=0.2).double()
    with torch.no_grad():
        theirs.weight.uniform_(0.5, 1.5)
        theirs.bias.uniform_(-1, 1)
    ours.double().load_state_dict(torch_state(theirs))
    for _ in range(3):  # train: batch statistics, running buffers updated
        x = rng.standard_normal(shape) * 3 + 2
        _compare_module(torch, ours, theirs, x, rng, load=False)
        ours.zero_grad()
        theirs.zero_grad()
        for name in ("running_mean", "running_var"):
            np.testing.assert_allclose(getattr(ours, name).data, getattr(theirs, name).numpy(), **TOL)
    assert int(ours.num_batches_tracked.data) == int(theirs.num_batches_tracked) == 3
    ours.eval()
    theirs.eval()
    _compare_module(torch, ours, theirs, rng.standard_normal(shape), rng, load=False)  # eval: running statistics


def test_batchnorm_options_match_torch(torch, rng):
    x = rng.standard_normal((6, 4)) * 2 - 1
    for kwargs in ({"momentum": None}, {"affine": False}, {"track_running_stats": False}, {"eps": 0.1}):
        ours, theirs = nn.BatchNorm1d(4, **kwargs), torch.nn.BatchNorm1d(4, **kwargs).double()
        assert list(ours.state_dict()) == list(theirs.state_dict()), kwargs
        ours.double().load_state_dict(torch_state(theirs))
        for _ in range(2):
            _compare_module(torch, ours, theirs, x + rng.standard_normal(x.shape), rng, load=False)
            ours.zero_grad()
            theirs.zero_grad()
        ours.eval()
        theirs.eval()
        _compare_module(torch, ours, theirs, x, rng, load=False)


def test_batchnorm_defaults_and_state_dict_keys():
    bn = nn.BatchNorm2d(5)
    assert (bn.eps, bn.momentum) == (1e-5, 0.1)
    np.testing.assert_array_equal(bn.weight.data, np.ones(5))
    np.testing.assert_array_equal(bn.bias.data, np.zeros(5))
    state = bn.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert state["num_batches_tracked"].dtype == np.int64 and state["num_batches_tracked"].shape == ()
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]


def test_batchnorm_gradcheck(rng):
    x = Tensor(rng.standard_normal((4, 3, 2, 2)), requires_grad=True)
    bn = nn.BatchNorm2d(3)
    assert module_gradcheck(bn, x)
    bn.eval()
    assert module_gradcheck(bn, x)
    assert module_gradcheck(nn.BatchNorm1d(2), Tensor(rng.standard_normal((5, 2)), requires_grad=True))


def test_batchnorm_errors():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3.*4-D \(N, C, H, W\).*\(2, 3, 5\)"):
        nn.BatchNorm2d(3)(ag.zeros(2, 3, 5))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3.*\(2, 4\) has 4 channels.*expected 3"):
        nn.BatchNorm1d(3)(ag.zeros(2, 4))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(ag.zeros(1, 3))


# ============================================================ activations
ACTIVATIONS = [
    (lambda: nn.ReLU(), lambda torch: torch.nn.ReLU()),
    (lambda: nn.LeakyReLU(0.2), lambda torch: torch.nn.LeakyReLU(0.2)),
    (lambda: nn.PReLU(), lambda torch: torch.nn.PReLU()),
    (lambda: nn.PReLU(3, init=0.1), lambda torch: torch.nn.PReLU(3, init=0.1)),
    (lambda: nn.Sigmoid(), lambda torch: torch.nn.Sigmoid()),
    (lambda: nn.Tanh(), lambda torch: torch.nn.Tanh()),
    (lambda: nn.Softmax(dim=1), lambda torch: torch.nn.Softmax(dim=1)),
    (lambda: nn.LogSoftmax(dim=1), lambda torch: torch.nn.LogSoftmax(dim=1)),
    (lambda: nn.Softplus(), lambda torch: torch.nn.Softplus()),
    (lambda: nn.Softplus(beta=2.0), lambda torch: torch.nn.Softplus(beta=2.0)),
    (lambda: nn.Identity(), lambda torch: torch.nn.Identity()),
]


def _away_from_zero(rng, shape):
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < 0.1, 0.5, x)  # kinks (relu at 0) stay out of finite differences


@pytest.mark.parametrize("make", ACTIVATIONS, ids=lambda m: type(m[0]()).__name__)
def test_activation_matches_torch(torch, rng, make):
    ours, theirs = make[0](), make[1](torch)
    x = _away_from_zero(rng, (2, 3, 4))
    _compare_module(torch, ours, theirs, x, rng)


@pytest.mark.parametrize("make", ACTIVATIONS, ids=lambda m: type(m[0]()).__name__)
def test_activation_gradchecks(rng, make):
    x = _away_from_zero(rng, (2, 3, 4))
    assert module_gradcheck(make[0](), Tensor(x, requires_grad=True))


def test_prelu_default_slope_is_a_parameter():
    p = nn.PReLU()
    assert [n for n, _ in p.named_parameters()] == ["weight"] and p.weight.shape == (1,)
    np.testing.assert_array_equal(p.weight.data, [0.25])


def test_absolute_rectifier_and_maxout(rng):
    x = _away_from_zero(rng, (3, 6))
    np.testing.assert_array_equal(nn.AbsoluteRectifier()(x).data, np.abs(x))
    assert module_gradcheck(nn.AbsoluteRectifier(), Tensor(x, requires_grad=True))
    out = nn.Maxout(3)(x)
    np.testing.assert_array_equal(out.data, x.reshape(3, 2, 3).max(axis=2))
    assert module_gradcheck(nn.Maxout(2), Tensor(x, requires_grad=True))
    layer = nn.Sequential(nn.Linear(4, 6), nn.Maxout(3, dim=1))  # two maxout units of three pieces
    assert layer(ag.zeros(5, 4)).shape == (5, 2)
    with pytest.raises(ValueError, match="groups of 4"):
        F.maxout(x, 4)


# ============================================================ whole models from PyTorch weights
def test_mixed_model_loads_a_torch_state_dict(torch, rng):
    def build(m):
        return m.Sequential(m.Linear(6, 8), m.BatchNorm1d(8), m.LeakyReLU(0.1), m.Dropout(0.3), m.Linear(8, 3))

    torch.manual_seed(0)
    theirs = build(torch.nn).double()
    with torch.no_grad():
        theirs[1].running_mean.uniform_(-1, 1)
        theirs[1].running_var.uniform_(0.5, 2)
    ours = build(nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.double().load_state_dict(torch_state(theirs))
    ours.eval()
    theirs.eval()
    x = rng.standard_normal((5, 6))
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), **TOL)


def test_batchnorm_formats_its_error_label_only_when_raising(rng):
    bn = nn.BatchNorm1d(3)
    calls = []
    object.__setattr__(bn, "extra_repr", lambda: calls.append(1) or "3, labelled")
    bn(ag.Tensor(rng.standard_normal((4, 3))))
    assert calls == []
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3, labelled\): input of shape \(4, 2\)"):
        bn(ag.zeros(4, 2))


def test_softmax_and_log_softmax_are_siblings():
    assert not isinstance(nn.LogSoftmax(), nn.Softmax) and not isinstance(nn.Softmax(), nn.LogSoftmax)
    for cls in (nn.Softmax, nn.LogSoftmax):
        m = cls(dim=0)
        assert m.dim == 0 and repr(m) == f"{cls.__name__}(dim=0)" and cls().dim == -1
    x = ag.tensor([[1.0, 2.0], [3.0, 5.0]])
    np.testing.assert_allclose(nn.LogSoftmax(dim=0)(x).data, np.log(nn.Softmax(dim=0)(x).data), rtol=1e-6)
