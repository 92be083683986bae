"""Arrays whose data starts on a 64-byte boundary: the storage of the Tensors graphgrad builds.

NumPy puts an array wherever ``malloc`` does, 16-byte aligned: a large array usually starts in
the middle of a 64-byte cache line, and then the vector loads and stores of NumPy's SIMD loops
(64 bytes wide with AVX-512) and of BLAS straddle two lines. PyTorch aligns its CPU allocations
to 64 bytes for that reason. graphgrad does the same for the arrays that live long and are read
and written at every training step: the data of Tensors built from data (``Tensor(x)``, so
parameters and input batches), parameters after ``load_state_dict`` or a dtype change, and
optimizer states. What it gains is measured in docs/ARCHITECTURE.md ("Memory").

An aligned array is a view into a slightly larger byte buffer (``.base`` is that buffer): NumPy
cannot be asked for aligned memory without replacing its allocator for the whole process.
Arrays under ``MIN_BYTES`` are allocated as usual (the view would cost more than it gains).

>>> a = copy(np.arange(4096, dtype=np.float32))
>>> int(a.ctypes.data % ALIGNMENT), str(a.dtype), float(a[-1])
(0, 'float32', 4095.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

ALIGNMENT = 64  # bytes: a cache line, and the width of an AVX-512 vector
MIN_BYTES = 4096


def empty(shape: tuple, dtype: Any) -> np.ndarray:
    """An uninitialised C-contiguous array whose data starts on an ``ALIGNMENT``-byte boundary."""
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < MIN_BYTES:
        return np.empty(shape, dtype)
    buffer = np.empty(nbytes + ALIGNMENT, np.uint8)
    start = -buffer.ctypes.data % ALIGNMENT
    return buffer[start : start + nbytes].view(dtype).reshape(shape)


def empty_like(a: np.ndarray, dtype: Any = None, empty: Callable[[tuple, Any], np.ndarray] = empty) -> np.ndarray:
    """``empty`` with ``a``'s shape and memory order (as ``np.empty_like``: an F-ordered array
    gives an F-ordered one), and ``dtype`` (default ``a``'s). ``empty`` makes the C-contiguous
    array that is laid out so (``scratch.empty_like`` passes its own)."""
    dtype = a.dtype if dtype is None else np.dtype(dtype)
    if a.ndim < 2 or a.flags.c_contiguous:
        return empty(a.shape, dtype)
    order = sorted(range(a.ndim), key=lambda axis: -abs(a.strides[axis]))  # outermost axis first
    return empty(tuple(a.shape[axis] for axis in order), dtype).transpose(np.argsort(order))


def copy(a: np.ndarray, dtype: Any = None) -> np.ndarray:
    """An aligned copy of ``a`` (cast to ``dtype`` if given, as ``astype`` casts), in ``a``'s memory order."""
    if a.size * (a.itemsize if dtype is None else np.dtype(dtype).itemsize) < MIN_BYTES:
        return np.array(a, dtype=dtype, copy=True)
    out = empty_like(a, dtype)
    np.copyto(out, a, casting="unsafe")
    return out


def zeros_like(a: np.ndarray) -> np.ndarray:
    """An aligned array of zeros shaped like ``a`` (an optimizer's state)."""
    out = empty_like(a)
    out.fill(0)
    return out


def is_aligned(a: np.ndarray) -> bool:
    """Whether ``a``'s data starts on an ``ALIGNMENT``-byte boundary."""
    return a.ctypes.data % ALIGNMENT == 0
