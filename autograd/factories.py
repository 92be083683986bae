"""Tensor factories: ``zeros``, ``ones``, ``full``, ``arange``, ``randn``, ``rand``, ``eye``."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import random
from .dtypes import get_default_dtype
from .tensor import Tensor


def _shape(shape: tuple) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _make(arr: np.ndarray, requires_grad: bool, name: str | None = None) -> Tensor:
    return Tensor(arr, requires_grad=requires_grad, name=name)


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _make(np.zeros(_shape(shape), dtype or get_default_dtype()), requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return _make(np.ones(_shape(shape), dtype or get_default_dtype()), requires_grad)


def full(shape: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return _make(np.full(shape, fill_value, dtype or get_default_dtype()), requires_grad)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.zeros(np.shape(t), dtype or np.asarray(t).dtype), requires_grad)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.ones(np.shape(t), dtype or np.asarray(t).dtype), requires_grad)


def arange(
    start: float, end: float | None = None, step: float = 1, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """Evenly spaced values in ``[start, end)``; int64 for integer arguments."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else get_default_dtype()
    return _make(np.arange(start, end, step, dtype=dtype), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Identity matrix of shape (n, m or n)."""
    return _make(np.eye(n, m, dtype=dtype or get_default_dtype()), requires_grad)


def randn(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from graphgrad's generator (see ``manual_seed``)."""
    arr = random.generator().standard_normal(_shape(shape)).astype(dtype or get_default_dtype())
    return _make(arr, requires_grad)


def rand(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1)."""
    arr = random.generator().random(_shape(shape)).astype(dtype or get_default_dtype())
    return _make(arr, requires_grad)
