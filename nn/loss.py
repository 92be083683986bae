"""Losses as modules, each with ``reduction='mean'|'sum'|'none'`` (see ``nn.functional``).

>>> import autograd as ag
>>> MSELoss()(ag.tensor([1.0, 3.0]), ag.tensor([1.0, 1.0])).item()
2.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

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


class _WeightedLoss(_Loss):
    """A loss with optional per-class weights, kept as the buffer ``weight`` (as PyTorch)."""

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        w = None if weight is None else Tensor(np.asarray(weight.data if isinstance(weight, Tensor) else weight))
        self.register_buffer("weight", w)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy of logits (N, C) against integer classes (N,) (or class probabilities).

    >>> import autograd as ag
    >>> loss = CrossEntropyLoss()(ag.tensor([[2.0, 0.0, 0.0]]), np.array([0]))
    >>> round(loss.item(), 4)
    0.2395
    """

    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(weight, reduction)
        self.ignore_index = int(ignore_index)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction)


class NLLLoss(CrossEntropyLoss):
    """Negative log-likelihood of integer classes, given log-probabilities (e.g. from ``LogSoftmax``)."""

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


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
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross-entropy of ``sigmoid(logits)``, computed stably from the logits.

    >>> import autograd as ag
    >>> BCEWithLogitsLoss()(ag.tensor([1000.0]), ag.tensor([0.0])).item()
    1000.0
    """

    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(weight, reduction)
        pw = None if pos_weight is None else Tensor(np.asarray(getattr(pos_weight, "data", pos_weight)))
        self.register_buffer("pos_weight", pw)

    def forward(self, input: Any, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction, self.pos_weight)
