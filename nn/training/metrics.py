"""Metrics: ``accuracy``, ``confusion_matrix``, ``perplexity``, and their per-epoch running totals.

The functions take model outputs (logits or probabilities, one row per example) and
integer targets, as Tensors or arrays:

>>> import numpy as np
>>> logits = np.array([[2.0, 0.1], [0.3, 0.9], [1.5, 0.2]])
>>> targets = np.array([0, 1, 1])
>>> round(accuracy(logits, targets), 4)
0.6667
>>> confusion_matrix(logits, targets)
array([[1, 0],
       [1, 1]])
>>> round(perplexity(np.log(5.0)), 6)          # exp of the mean cross-entropy per token
5.0
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd import Tensor

__all__ = ["accuracy", "confusion_matrix", "perplexity", "METRICS"]


def _array(x: Any) -> np.ndarray:
    return np.asarray(x.data if isinstance(x, Tensor) else x)


def _predictions(output: Any) -> np.ndarray:
    out = _array(output)
    return out.argmax(axis=-1) if out.ndim > 1 else out


def accuracy(output: Any, target: Any) -> float:
    """The fraction of rows whose largest output is at the target class (0 to 1)."""
    pred, tgt = _predictions(output).reshape(-1), _array(target).reshape(-1)
    if pred.shape != tgt.shape:
        raise ValueError(f"accuracy: {pred.size} predictions but {tgt.size} targets")
    return float((pred == tgt).mean()) if tgt.size else math.nan


def confusion_matrix(output: Any, target: Any, num_classes: int | None = None) -> np.ndarray:
    """``m[i, j]``: how many examples of true class ``i`` were predicted as class ``j``.

    ``output`` is logits (the argmax is taken along the last axis) or predicted labels.
    """
    pred, tgt = _predictions(output).reshape(-1).astype(np.int64), _array(target).reshape(-1).astype(np.int64)
    if num_classes is None:
        out = _array(output)
        num_classes = out.shape[-1] if out.ndim > 1 else int(max(pred.max(initial=-1), tgt.max(initial=-1)) + 1)
    m = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(m, (tgt, pred), 1)
    return m


def perplexity(mean_loss: float) -> float:
    """``exp(mean cross-entropy per token)``: a language model's effective number of choices per token."""
    loss = float(mean_loss.item() if isinstance(mean_loss, Tensor) else mean_loss)
    return math.exp(loss) if loss < 700 else math.inf


class _Totals:
    """One epoch's running totals: loss (weighted by examples), correct predictions, a confusion matrix."""

    def __init__(self, names: Sequence[str], custom: Sequence[tuple[str, Callable[..., float]]]):
        self.names, self.custom = tuple(names), tuple(custom)
        self.want_acc = "accuracy" in self.names
        self.want_cm = "confusion_matrix" in self.names
        self.loss_sum, self.count, self.correct = 0.0, 0, 0
        self.custom_sums = [0.0] * len(self.custom)
        self.cm: np.ndarray | None = None

    def add(self, loss: float, output: Any, target: Any, n: int) -> None:
        self.loss_sum += loss * n
        self.count += n
        if self.want_acc or self.want_cm or self.custom:
            out, tgt = _array(output), _array(target)
            if self.want_acc:
                self.correct += int((out.argmax(axis=-1) == tgt).sum())
            if self.want_cm:
                m = confusion_matrix(out, tgt)
                if self.cm is None:
                    self.cm = m
                elif self.cm.shape == m.shape:
                    self.cm += m
            for i, (_, fn) in enumerate(self.custom):
                self.custom_sums[i] += float(fn(out, tgt)) * n

    @property
    def loss(self) -> float:
        return self.loss_sum / self.count if self.count else math.nan

    def results(self, prefix: str = "") -> dict[str, Any]:
        """``{'loss': ..., 'accuracy': ..., ...}`` with ``prefix`` on every key (``val_``)."""
        logs: dict[str, Any] = {prefix + "loss": self.loss}
        for name in self.names:
            if name == "accuracy":
                logs[prefix + name] = self.correct / self.count if self.count else math.nan
            elif name == "perplexity":
                logs[prefix + name] = perplexity(self.loss)
            elif name == "confusion_matrix" and self.cm is not None:
                logs[prefix + name] = self.cm
        for (name, _), total in zip(self.custom, self.custom_sums):
            logs[prefix + name] = total / self.count if self.count else math.nan
        return logs


METRICS = ("accuracy", "confusion_matrix", "perplexity")


def split_metrics(metrics: Any) -> tuple[tuple[str, ...], tuple[tuple[str, Callable[..., float]], ...]]:
    """Metric names (built in) and ``(name, function)`` pairs for user functions ``fn(output, target)``."""
    if metrics is None:
        return (), ()
    if isinstance(metrics, str) or callable(metrics):
        metrics = (metrics,)
    names, custom = [], []
    for m in metrics:
        if callable(m):
            custom.append((getattr(m, "__name__", "metric"), m))
        elif m in METRICS:
            names.append(m)
        else:
            raise ValueError(f"unknown metric {m!r}: use one of {', '.join(METRICS)}, or a function (output, target)")
    return tuple(names), tuple(custom)
