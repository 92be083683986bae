"""Every registered model can learn: it overfits one small batch (100% accuracy on it, loss near zero).

A model that cannot fit 4 to 32 examples has a broken forward or a gradient that does not reach
its parameters, whatever its other tests say.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
from nn import models
from nn.models import example, perceptron, perceptron_criterion

# Adam's (learning rate, most steps): the deep ones need a smaller step, the small ones get there fast
SETTINGS = {
    "vgg": (3e-3, 60), "googlenet": (1e-2, 60), "resnet": (1e-2, 30), "densenet": (1e-2, 60),
    "deep_sigmoid": (5e-2, 80), "lenet": (1e-2, 80),
}  # fmt: skip
# AlexNet and NiN at PyTorch's default initialisation shrink the input's signal through their stacks of
# ReLU convolutions until the logits hardly depend on the image (test_slow_starters_hardly_see_their_input):
# as Dive into Deep Learning does, they are trained from Xavier's initialisation.
SLOW_STARTERS = ("alexnet", "nin")
SETTINGS.update({"alexnet": (3e-3, 60), "nin": (3e-3, 60)})


def _digit_images(n: int) -> tuple:
    """``n`` embedded digits of different classes, enlarged to 28x28 (real images: noise is too alike)."""
    from nn.data import load_dataset

    x, y = load_dataset("digits").test.arrays
    first = [int(np.flatnonzero(y == c)[0]) for c in range(n)]
    big = np.kron(x[first], np.ones((1, 1, 3, 3), dtype=np.float32))
    return ag.Tensor(np.pad(big, ((0, 0), (0, 0), (2, 2), (2, 2)))), ag.Tensor(y[first])


def _predictions(out, loss_fn) -> np.ndarray:
    if isinstance(out, tuple):  # language models: (logits, state)
        out = out[0].reshape(-1, out[0].shape[-1])
    z = out.numpy()
    if z.ndim == 1:  # one logit per sample (logistic regression, binary perceptron)
        return (z > 0).astype(np.int64)
    return z.argmax(axis=1)


def _batch_accuracy(ex) -> float:
    ex.model.eval()
    with ag.no_grad():
        predicted = _predictions(ex.model(ex.inputs), ex.loss_fn)
    ex.model.train()
    return float((predicted == ex.targets.numpy().astype(np.int64)).mean())


@pytest.mark.parametrize("name", sorted(models.REGISTRY))
def test_registered_model_overfits_one_batch(name):
    ag.manual_seed(0)
    ex = example(name)
    if name in SLOW_STARTERS:
        for module in ex.model.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d)):
                nn.init.xavier_uniform_(module.weight)
    if ex.inputs.ndim == 4:  # image models: two real digits (four for the cheap linear ones)
        ex.inputs, labels = _digit_images(4 if name in ("mlp", "perceptron", "softmax_regression") else 2)
        ex.targets = labels if name != "logistic_regression" else ag.Tensor((labels.numpy() % 2).astype(np.float32))
    lr, most_steps = SETTINGS.get(name, (1e-2, 60))
    optimizer = nn.optim.Adam(ex.model.parameters(), lr=lr)
    first, learned = None, False
    for step in range(1, most_steps + 1):
        optimizer.zero_grad()
        loss = ex.loss()
        loss.backward()
        optimizer.step()
        first = loss.item() if first is None else first
        # every example right in eval mode, or a near-zero training loss (batch norm's running statistics
        # lag behind the batch's own for a few dozen steps, so eval mode can trail a fitted batch)
        if step % 5 == 0 and (_batch_accuracy(ex) == 1.0 or loss.item() < 0.05):
            learned = True
            break
    assert learned, f"{name}: the batch is not learned after {step} steps (loss {first:.3f} -> {loss.item():.3f})"
    assert loss.item() < 0.5 * first, f"{name}: loss {first:.3f} -> {loss.item():.3f}"


@pytest.mark.parametrize("name", SLOW_STARTERS)
def test_slow_starters_hardly_see_their_input(name):
    """Why AlexNet and NiN start from Xavier's initialisation above: at the default one their logits are
    nearly the same for every image."""
    ag.manual_seed(0)
    model = example(name).model.eval()
    images, _ = _digit_images(4)
    with ag.no_grad():
        logits = model(images).numpy()
    spread = logits.std(axis=0).mean() / np.abs(logits).mean()
    assert spread < 0.05, f"{name} now separates images at its default initialisation (spread {spread:.3f})"


def test_perceptron_rule_is_sgd_on_the_perceptron_criterion(rng):
    """One SGD step (lr 1) on the criterion changes w by mean((y - y_hat) x) over the misclassified samples."""
    p = perceptron(in_features=3)
    x = ag.Tensor(rng.standard_normal((6, 3)).astype(np.float32))
    y = ag.Tensor((rng.random(6) > 0.5).astype(np.float32))
    y_hat = p.predict(x).numpy()
    assert not p.predict(x).requires_grad  # the step itself carries no gradient
    expected = p.linear.weight.numpy() + ((y.numpy() - y_hat)[:, None] * x.numpy()).mean(axis=0)
    assert (y_hat != y.numpy()).any() and (y_hat == y.numpy()).any()  # some right, some wrong
    perceptron_criterion(p(x), y).backward()
    nn.optim.SGD(p.parameters(), lr=1.0).step()
    np.testing.assert_allclose(p.linear.weight.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_perceptron_criterion_checks_shapes():
    with pytest.raises(ValueError, match="perceptron_criterion"):
        perceptron_criterion(ag.zeros(4), ag.zeros(3))
