"""The hand-written NumPy training steps of benchmarks/reference_numpy.py agree with PyTorch.

Same weights in both (float64, so the tolerance can be tight): the loss and every parameter's
gradient must match ``torch.autograd``, and one SGD step must give the same new weights.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "reference_numpy.py"
_spec = importlib.util.spec_from_file_location("reference_numpy", _PATH)
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)

nn = torch.nn


class _TorchGRULM(nn.Module):
    def __init__(self, vocab: int, hidden: int) -> None:
        super().__init__()
        self.rnn = nn.GRU(vocab, hidden)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = nn.functional.one_hot(tokens, self.head.out_features).to(self.head.weight.dtype)
        out, _ = self.rnn(x)
        return self.head(out).reshape(-1, self.head.out_features)


def _torch_mlp() -> nn.Module:
    return nn.Sequential(
        nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)
    )


def _torch_lenet() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(2, stride=2),
        nn.Flatten(), nn.Linear(400, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10),
    )  # fmt: skip


def _case(name: str, rng: np.random.Generator) -> tuple:
    """(reference class, torch model, params, x, y) for a small batch in float64."""
    if name == "mlp":
        x, y = ref.mlp_batch(rng, batch=16, dtype=np.float64)
        return ref.MLPReference, _torch_mlp(), ref.mlp_params(rng, dtype=np.float64), x, y
    if name == "lenet":
        # scale the weights up so the sigmoids leave their linear range and every term matters
        params = {k: 3 * v for k, v in ref.lenet_params(rng, dtype=np.float64).items()}
        x, y = ref.lenet_batch(rng, batch=8, dtype=np.float64)
        return ref.LeNetReference, _torch_lenet(), params, x, y
    params = {k: 3 * v for k, v in ref.gru_lm_params(rng, vocab=11, hidden=24, dtype=np.float64).items()}
    x, y = ref.gru_lm_batch(rng, steps=7, batch=5, vocab=11)
    return ref.GRULMReference, _TorchGRULM(11, 24), params, x, y


def _torch_loss_and_grads(model: nn.Module, params: dict, x: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    model = model.double()
    missing = model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in params.items()})
    assert not missing.missing_keys and not missing.unexpected_keys
    loss = nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y).reshape(-1))
    loss.backward()
    return loss.item(), {k: p.grad.numpy() for k, p in model.named_parameters()}


@pytest.mark.parametrize("name", ["mlp", "lenet", "gru"])
def test_loss_and_every_gradient_match_torch(name: str, rng: np.random.Generator) -> None:
    cls, model, params, x, y = _case(name, rng)
    loss, grads = cls(params).loss_and_grads(x, y)
    t_loss, t_grads = _torch_loss_and_grads(model, params, x, y)
    assert np.isclose(loss, t_loss, rtol=1e-12, atol=0)
    assert set(grads) == set(t_grads) == set(params)
    for key, t_grad in t_grads.items():
        assert grads[key].shape == params[key].shape, key
        assert np.abs(t_grad).max() > 1e-6, f"{key}: a vanishing gradient would test nothing"
        np.testing.assert_allclose(grads[key], t_grad, rtol=1e-9, atol=1e-12, err_msg=key)


@pytest.mark.parametrize("name", ["mlp", "lenet", "gru"])
def test_sgd_step_matches_torch(name: str, rng: np.random.Generator) -> None:
    cls, model, params, x, y = _case(name, rng)
    net = cls(params)
    loss0 = net.step(x, y, lr=0.5)
    model = model.double()
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in params.items()})
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    t_loss0 = nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y).reshape(-1))
    t_loss0.backward()
    opt.step()
    assert np.isclose(loss0, t_loss0.item(), rtol=1e-12)
    for key, p in model.named_parameters():
        np.testing.assert_allclose(net.params[key], p.detach().numpy(), rtol=1e-9, atol=1e-12, err_msg=key)
    assert not np.array_equal(net.params[key], params[key]), "the step must change the weights"
    loss1, _ = net.loss_and_grads(x, y)
    assert loss1 < loss0


def test_float32_stays_float32(rng: np.random.Generator) -> None:
    """The benchmark sizes in float32: no silent upcast to float64 anywhere in the step."""
    for cls, params, (x, y) in [
        (ref.MLPReference, ref.mlp_params(rng), ref.mlp_batch(rng, batch=4)),
        (ref.LeNetReference, ref.lenet_params(rng), ref.lenet_batch(rng, batch=2)),
        (ref.GRULMReference, ref.gru_lm_params(rng), ref.gru_lm_batch(rng, steps=3, batch=2)),
    ]:
        loss, grads = cls(params).loss_and_grads(x, y)
        assert np.isfinite(loss)
        for key, g in grads.items():
            assert g.dtype == np.float32 and g.shape == params[key].shape, key
