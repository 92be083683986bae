"""The smallest networks of the notes: the perceptron, logistic regression and softmax regression.

Each is one affine map ``z = W x + b`` of the flattened input (Nielsen ch. 1, Ng week 2, D2L ch. 3):

- ``perceptron``: the output is a step, ``1`` if ``z > 0`` else ``0`` (``predict``). A step is flat
  everywhere it is defined, so its derivative is zero and backpropagation through it gets no
  signal: ``predict`` returns a tensor with no gradient. The model's ``forward`` returns the
  scores ``z``, and :func:`perceptron_criterion` (Rosenblatt's) is the loss whose gradient step
  *is* the perceptron rule ``w += lr * (y - y_hat) * x``.
- ``logistic_regression``: ``sigmoid(z)``, one probability per sample; ``forward`` returns the
  logit ``z`` of shape ``(N,)``, for ``nn.BCEWithLogitsLoss`` with float 0/1 targets.
- ``softmax_regression``: ``softmax(z)`` over ``num_classes``; ``forward`` returns the logits
  ``(N, num_classes)``, for ``nn.CrossEntropyLoss`` with integer targets.

>>> import autograd as ag
>>> net = softmax_regression(in_features=4, num_classes=3)
>>> net(ag.zeros(2, 4)).shape
(2, 3)
>>> logistic_regression(in_features=4)(ag.zeros(5, 4)).shape
(5,)
>>> p = perceptron(in_features=2)
>>> p.predict(ag.Tensor([[1.0, 1.0]])).requires_grad
False
"""

from __future__ import annotations

from typing import Any

from autograd import Tensor, relu, where

from ..layers import Flatten, Linear
from ..module import Module, Sequential

__all__ = ["Perceptron", "perceptron", "perceptron_criterion", "logistic_regression", "softmax_regression"]


class Perceptron(Module):
    """Rosenblatt's perceptron: scores ``z = W x + b`` and a step (binary) or argmax (several classes).

    ``num_classes=2`` gives one output unit (fire when ``z > 0``); more classes give one unit
    per class (the multi-class perceptron: the largest score wins).
    """

    def __init__(self, in_features: int, num_classes: int = 2):
        super().__init__()
        if num_classes < 2:
            raise ValueError(f"perceptron: num_classes must be at least 2, got {num_classes}")
        self.num_classes = num_classes
        self.flatten = Flatten()
        self.linear = Linear(in_features, 1 if num_classes == 2 else num_classes)

    def forward(self, x: Any) -> Tensor:
        z = self.linear(self.flatten(x))
        return z.reshape(-1) if self.num_classes == 2 else z

    def predict(self, x: Any) -> Tensor:
        """The perceptron's output: 0/1 from the step (binary) or the winning class (int64)."""
        z = self.forward(x)
        if self.num_classes == 2:
            return where((z > 0).numpy(), 1.0, 0.0)  # built from a comparison: no path back to W
        return z.argmax(dim=1)


def perceptron(in_features: int = 784, num_classes: int = 2) -> Perceptron:
    """A perceptron over ``in_features`` inputs (images are flattened)."""
    return Perceptron(in_features, num_classes)


def perceptron_criterion(scores: Tensor, targets: Any) -> Tensor:
    """Rosenblatt's perceptron criterion, averaged over the batch; zero once every sample is right.

    Binary (``scores`` of shape ``(N,)``, targets 0/1): ``mean(relu(-s * z))`` with ``s = 2y - 1``.
    Its gradient is ``-s x`` for a misclassified sample and 0 otherwise, so one SGD step is the
    perceptron rule. Several classes (``scores (N, C)``, integer targets): ``mean(max_j z_j - z_y)``.

    >>> import autograd as ag
    >>> float(perceptron_criterion(ag.Tensor([2.0, -1.0]), ag.Tensor([1.0, 1.0])))
    0.5
    """
    y = targets if isinstance(targets, Tensor) else Tensor(targets)
    if scores.ndim == 1:
        if y.shape != scores.shape:
            raise ValueError(f"perceptron_criterion: scores {scores.shape} and targets {y.shape} must match")
        sign = 2.0 * y.numpy().astype(scores.numpy().dtype) - 1.0
        return relu(-(scores * sign)).mean()
    if scores.ndim != 2 or y.shape != scores.shape[:1]:
        raise ValueError(
            f"perceptron_criterion: scores (N, C) and targets (N,) expected, got {scores.shape} and {y.shape}"
        )
    chosen = scores[range(scores.shape[0]), y.numpy()]
    top = scores.max(dim=1)
    return (getattr(top, "values", top) - chosen).mean()  # a named tuple (values, indices), or the values


def logistic_regression(in_features: int = 784, num_classes: int = 2) -> Sequential:
    """``sigmoid(w . x + b)`` as a model returning the logit, shape ``(N,)`` (flattening images first).

    With ``num_classes > 2``: one logistic regression per class (one-vs-rest), logits ``(N, C)``,
    each trained with its own binary cross-entropy; the largest logit is the prediction.
    """
    if num_classes < 2:
        raise ValueError(f"logistic_regression: num_classes must be at least 2, got {num_classes}")
    if num_classes == 2:
        return Sequential(Flatten(), Linear(in_features, 1), Flatten(start_dim=0))
    return Sequential(Flatten(), Linear(in_features, num_classes))


def softmax_regression(in_features: int = 784, num_classes: int = 10) -> Sequential:
    """``softmax(W x + b)`` as a model returning the logits ``(N, num_classes)`` (flattening images first)."""
    return Sequential(Flatten(), Linear(in_features, num_classes))
