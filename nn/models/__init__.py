"""Ready-made models, and a registry of them by name (used by the command line).

>>> from nn import models
>>> net = models.lenet()
>>> sorted(models.REGISTRY)[:3]
['alexnet', 'deep_sigmoid', 'densenet']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .linear import Perceptron, logistic_regression, perceptron, perceptron_criterion, softmax_regression
from .text import CharLM
from .transformer import CharTransformer
from .vision import (
    DenseBlock,
    Inception,
    Residual,
    alexnet,
    deep_sigmoid_mlp,
    densenet,
    googlenet,
    lenet,
    mlp,
    nin,
    nin_block,
    resnet,
    transition,
    vgg,
    vgg_block,
)  # fmt: skip

__all__ = [
    "CharLM", "DenseBlock", "Inception", "Residual", "alexnet", "deep_sigmoid_mlp", "densenet", "googlenet",
    "lenet", "mlp", "nin", "nin_block", "resnet", "transition", "vgg", "vgg_block", "REGISTRY", "Example",
    "example",
]  # fmt: skip
__all__ += ["Perceptron", "perceptron", "perceptron_criterion", "logistic_regression", "softmax_regression"]
__all__ += ["CharTransformer"]


@dataclass
class Example:
    """A model with a loss and one batch of matching random data: enough to draw or time a step."""

    model: Any
    loss_fn: Callable[..., Any]
    inputs: Any
    targets: Any

    def loss(self) -> Any:
        """Forward the batch and return the loss tensor."""
        out = self.model(self.inputs)
        if isinstance(out, tuple):  # language models return (logits, state)
            out = out[0].reshape(-1, out[0].shape[-1])
        return self.loss_fn(out, self.targets)


def _images(batch: int, size: int = 28, channels: int = 1, classes: int = 10, seed: int = 0) -> tuple:
    from autograd import Tensor

    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal((batch, channels, size, size)).astype(np.float32))
    return x, Tensor(rng.integers(0, classes, batch))


def _vision(factory: Callable[[], Any], batch: int = 8) -> Callable[[], Example]:
    def make() -> Example:
        from ..loss import CrossEntropyLoss

        x, y = _images(batch)
        return Example(factory(), CrossEntropyLoss(), x, y)

    return make


def _char_lm(cell: str, steps: int = 8, batch: int = 4, vocab: int = 65) -> Callable[[], Example]:
    def make() -> Example:
        from autograd import Tensor

        from ..loss import CrossEntropyLoss

        rng = np.random.default_rng(0)
        tokens = rng.integers(0, vocab, (steps + 1, batch))
        model = CharLM(vocab, hidden_size=32, cell=cell)
        return Example(model, CrossEntropyLoss(), Tensor(tokens[:-1]), Tensor(tokens[1:].reshape(-1)))

    return make


def _linear(kind: str, batch: int = 8) -> Callable[[], Example]:
    """The models of ``nn.models.linear`` on 28x28 images: 10 classes, or even/odd for logistic regression."""

    def make() -> Example:
        from ..loss import BCEWithLogitsLoss, CrossEntropyLoss

        x, y = _images(batch)
        if kind == "perceptron":
            return Example(perceptron(num_classes=10), perceptron_criterion, x, y)
        if kind == "logistic_regression":
            from autograd import Tensor

            return Example(logistic_regression(), BCEWithLogitsLoss(), x, Tensor((y.numpy() % 2).astype(np.float32)))
        return Example(softmax_regression(), CrossEntropyLoss(), x, y)

    return make


def _char_transformer(steps: int = 8, batch: int = 4, vocab: int = 65) -> Callable[[], Example]:
    def make() -> Example:
        from autograd import Tensor

        from ..loss import CrossEntropyLoss

        rng = np.random.default_rng(0)
        tokens = rng.integers(0, vocab, (steps + 1, batch))
        model = CharTransformer(vocab, d_model=32, nhead=4, num_layers=2, max_len=16)
        return Example(model, CrossEntropyLoss(), Tensor(tokens[:-1]), Tensor(tokens[1:].reshape(-1)))

    return make


REGISTRY: dict[str, Callable[[], Example]] = {
    "mlp": _vision(lambda: mlp()),
    "deep_sigmoid": _vision(lambda: deep_sigmoid_mlp()),
    "lenet": _vision(lenet),
    "alexnet": _vision(alexnet),
    "vgg": _vision(vgg),
    "nin": _vision(nin),
    "googlenet": _vision(googlenet),
    "resnet": _vision(resnet),
    "densenet": _vision(densenet),
    "rnn_lm": _char_lm("rnn"),
    "gru_lm": _char_lm("gru"),
    "lstm_lm": _char_lm("lstm"),
    "perceptron": _linear("perceptron"),
    "logistic_regression": _linear("logistic_regression"),
    "softmax_regression": _linear("softmax_regression"),
    "transformer": _char_transformer(),
}


def example(name: str) -> Example:
    """The registered model ``name`` with a loss and a batch of random data."""
    if name not in REGISTRY:
        raise KeyError(f"unknown model {name!r}; available: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name]()


def graph_main(argv: list[str]) -> int:
    """``graphgrad graph MODEL --out file.svg``: draw one training step of a registered model."""
    from autograd.drawing import main

    return main(argv, registry=REGISTRY)
