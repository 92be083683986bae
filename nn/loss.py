"""Losses as modules, each with ``reduction='mean'|'sum'|'none'`` (see ``nn.functional``).

>>> import autograd as ag
>>> MSELoss()(ag.tensor([1.0, 3.0]), ag.tensor([1.0, 1.0])).item()
2.0
"""

from __future__ import annotations

from typing import Any

import autograd as ag
from autograd import Tensor

from . import functional as F
from .module import Module

__all__ = ["CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss"]


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


def _weight_buffer(weight: Any) -> Tensor | None:
    """A weight argument (Tensor, array, list or None) as the Tensor kept in a buffer: a copy;
    Python numbers and lists take the default dtype, arrays keep theirs."""
    return None if weight is None else Tensor(weight.data if isinstance(weight, Tensor) else weight)


def _like(weight: Tensor | None, x: Tensor) -> Any:
    """``weight`` in the input's floating dtype, so a weight never promotes the loss (float32 stays float32)."""
    if weight is None or x.dtype.kind != "f" or weight.dtype == x.dtype:
        return weight
    return weight.data.astype(x.dtype)


class _WeightedLoss(_Loss):
    """A loss with optional per-class weights, kept as the buffer ``weight`` (as PyTorch)."""

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", _weight_buffer(weight))


class _ClassLoss(_WeightedLoss):
    """What CrossEntropyLoss and NLLLoss share (neither is a kind of the other): class weights, ``ignore_index``."""

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(weight, reduction)
        self.ignore_index = int(ignore_index)


class CrossEntropyLoss(_ClassLoss):
    """Softmax cross-entropy of logits (N, C) against integer classes (N,) (or class probabilities).

    ``weight`` (C,) rescales classes; ``label_smoothing`` mixes targets with the uniform distribution.

    >>> import autograd as ag, numpy as np
    >>> loss = CrossEntropyLoss()(ag.tensor([[2.0, 0.0, 0.0]]), np.array([0]))
    >>> round(loss.item(), 4)
    0.2395
    """

    def __init__(
        self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0
    ) -> None:
        super().__init__(weight, ignore_index, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be between 0 and 1, got {label_smoothing}")
        self.label_smoothing = float(label_smoothing)

    def forward(self, input: Any, target: Any) -> Tensor:
        x = ag.as_tensor(input)
        return F.cross_entropy(
            x, target, _like(self.weight, x), self.ignore_index, self.reduction, label_smoothing=self.label_smoothing
        )


class NLLLoss(_ClassLoss):
    """Negative log-likelihood of integer classes, given log-probabilities (e.g. from ``LogSoftmax``)."""

    def forward(self, input: Any, target: Any) -> Tensor:
        x = ag.as_tensor(input)
        return F.nll_loss(x, target, _like(self.weight, x), self.ignore_index, self.reduction)


class MSELoss(_Loss):
    """Mean squared error; input and target must have the same shape."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """Mean absolute error; input and target must have the same shape."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.l1_loss(input, target, self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities in [0, 1] (e.g. after ``Sigmoid``); ``weight`` rescales elements."""

    def forward(self, input: Any, target: Any) -> Tensor:
        x = ag.as_tensor(input)
        return F.binary_cross_entropy(x, target, _like(self.weight, x), self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross-entropy of ``sigmoid(logits)``, computed stably from the logits.

    >>> import autograd as ag
    >>> BCEWithLogitsLoss()(ag.tensor([1000.0]), ag.tensor([0.0])).item()
    1000.0
    """

    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(weight, reduction)
        self.register_buffer("pos_weight", _weight_buffer(pos_weight))

    def forward(self, input: Any, target: Any) -> Tensor:
        x = ag.as_tensor(input)
        weight, pos_weight = _like(self.weight, x), _like(self.pos_weight, x)
        return F.binary_cross_entropy_with_logits(x, target, weight, self.reduction, pos_weight)
