"""PyTorch's ``F.pad`` (flat pad tuple; constant, reflect, replicate and circular modes) and the padding layers.

``autograd.pad`` keeps NumPy's ``pad_width`` form; this is PyTorch's: ``pad`` lists
``(left, right)`` for the last dim, then ``(top, bottom)`` for the one before, and so on.
The non-constant modes pick elements with one integer index per padded dim, so their
gradient adds the copies back onto the elements they came from. Negative constant padding crops.

>>> import autograd as ag
>>> pad(ag.tensor([[1.0, 2.0, 3.0]]), (2, 1), mode="reflect").tolist()
[[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.graph import op_scope  # composites draw as one op (autograd.drawing)

from .module import Module

__all__ = ["pad", "ZeroPad2d", "ConstantPad2d", "ReflectionPad2d", "ReplicationPad2d", "CircularPad2d"]

_MODES = ("constant", "reflect", "replicate", "circular")


def _source_index(mode: str, n: int, before: int, after: int) -> np.ndarray:
    """For each position of the padded dim, the index of the element it copies."""
    idx = np.arange(-before, n + after)
    if mode == "reflect":  # mirror at the edges, the edge itself not repeated
        idx = np.abs(idx)
        return np.where(idx >= n, 2 * (n - 1) - idx, idx)
    if mode == "replicate":
        return np.clip(idx, 0, n - 1)
    return idx % n  # circular


@op_scope("pad")
def pad(input: Any, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad ``input`` as PyTorch's ``F.pad``: ``pad = (left, right, top, bottom, ...)`` from the last dim back.

    ``mode``: ``'constant'`` (``value``, default 0; negative sizes crop), ``'reflect'`` (mirror, the
    edge not repeated; each size below the dim's length), ``'replicate'`` (repeat the edge) or
    ``'circular'`` (wrap around; each size at most the dim's length).

    >>> x = ag.tensor([[1.0, 2.0]])
    >>> pad(x, (1, 2), value=9.0).tolist()
    [[9.0, 1.0, 2.0, 9.0, 9.0]]
    >>> pad(x, (1, 1), mode="replicate").tolist(), pad(x, (1, 1), mode="circular").tolist()
    ([[1.0, 1.0, 2.0, 2.0]], [[2.0, 1.0, 2.0, 1.0]])
    """
    x = ag.as_tensor(input)
    sizes = tuple(pad)
    if len(sizes) % 2 or len(sizes) // 2 > x.ndim or not all(isinstance(p, (int, np.integer)) for p in sizes):
        raise ValueError(
            f"pad: pad must be a flat tuple of ints (left, right, top, bottom, ...) of even length at most "
            f"2 * ndim = {2 * x.ndim} for an input of shape {x.shape}, got {pad!r}"
        )
    if mode not in _MODES:
        raise ValueError(f"pad: mode must be one of {_MODES}, got {mode!r}")
    if mode != "constant" and value:
        raise ValueError(f"pad: value is only for mode='constant', got value={value} with mode={mode!r}")
    pairs = {x.ndim - 1 - i: (int(sizes[2 * i]), int(sizes[2 * i + 1])) for i in range(len(sizes) // 2)}
    if mode == "constant":
        widths = tuple((max(a, 0), max(b, 0)) for a, b in (pairs.get(d, (0, 0)) for d in range(x.ndim)))
        if any(w != (0, 0) for w in widths):
            x = ag.pad(x, widths, value=0.0 if value is None else value)
        if any(min(a, b) < 0 for a, b in pairs.values()):  # negative padding crops
            crop = tuple(
                slice(max(-a, 0), n - max(-b, 0))
                for n, (a, b) in zip(x.shape, (pairs.get(d, (0, 0)) for d in range(x.ndim)))
            )
            x = x[crop]
        return x
    for dim, (before, after) in sorted(pairs.items()):
        n = x.shape[dim]
        if before < 0 or after < 0:
            raise ValueError(f"pad: mode={mode!r} needs non-negative sizes, got {pad!r}")
        if (mode == "reflect" and max(before, after) >= n) or (mode == "circular" and max(before, after) > n) or n == 0:
            limit = "smaller than" if mode == "reflect" else "at most"
            raise ValueError(
                f"pad: with mode={mode!r} each padding size must be {limit} the size of its dim: padding "
                f"({before}, {after}) for dim {dim} of size {n} (input shape {x.shape})"
            )
        if before or after:
            x = ag.getitem(x, (slice(None),) * dim + (_source_index(mode, n, before, after),))
    return x


class _Pad2d(Module):
    _mode = "constant"

    def __init__(self, padding: Any) -> None:
        super().__init__()
        self.padding = (int(padding),) * 4 if isinstance(padding, (int, np.integer)) else tuple(int(p) for p in padding)
        if len(self.padding) != 4:
            raise ValueError(
                f"{type(self).__name__}: padding must be an int or (left, right, top, bottom), got {padding!r}"
            )

    def forward(self, x: Any) -> Tensor:
        return pad(x, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(_Pad2d):
    """Pad the last two dims with zeros: ``padding`` an int or ``(left, right, top, bottom)``.

    >>> ZeroPad2d(1)(ag.ones(1, 2, 2)).shape
    (1, 4, 4)
    """


class ConstantPad2d(_Pad2d):
    """Pad the last two dims with ``value``."""

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        self.value = float(value)

    def forward(self, x: Any) -> Tensor:
        return pad(x, self.padding, "constant", self.value)


class ReflectionPad2d(_Pad2d):
    """Pad the last two dims with their mirror image (edges not repeated)."""

    _mode = "reflect"


class ReplicationPad2d(_Pad2d):
    """Pad the last two dims by repeating their edges."""

    _mode = "replicate"


class CircularPad2d(_Pad2d):
    """Pad the last two dims by wrapping around."""

    _mode = "circular"
