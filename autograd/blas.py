"""BLAS beyond NumPy's ``@``: blocked long products, and ``axpy`` for optimizer updates.

Matrix products with a long inner dimension and a small result are computed in blocks.

A weight gradient is such a product: ``g @ x.T`` sums over every position of every image
(a convolution's first layer: a 6 x 25 result from 50,176 products each). OpenBLAS copies
both operands into its packing buffers in one go, which then no longer fit in the cache;
the same product as a stack of blocks of ~2,000 (one batched ``np.matmul``, then a sum)
runs 2.5-3x faster here. Only the order of the additions changes.
"""

from __future__ import annotations

import ctypes
import functools
import os
from typing import Any

import numpy as np

LONG = 8192  # inner dimensions from this length on are split
SMALL = 16384  # ... when the result has at most this many elements
BLOCK = 2048  # the block length aimed at (between 1024 and 4096 measured best)


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for 2-D ``a`` (M, K) and ``b`` (K, N); blocked over K when K is long and M x N small.

    >>> a, b = np.ones((2, 30000), np.float32), np.ones((30000, 3), np.float32)
    >>> matmul(a, b)[0, 0]
    np.float32(30000.0)
    """
    m, k = a.shape
    n = b.shape[1]
    if k < LONG or m * n > SMALL:
        return a @ b
    blocks = _blocks(k)
    if blocks is None:
        return a @ b
    size = k // blocks
    stacked_a = a.reshape(m, blocks, size).transpose(1, 0, 2)  # views: (blocks, M, size)
    stacked_b = b.reshape(blocks, size, n)
    return np.matmul(stacked_a, stacked_b).sum(axis=0)


@functools.lru_cache(maxsize=64)
def _blocks(k: int) -> int | None:
    """The number of equal blocks of ``k`` whose length is nearest ``BLOCK`` (within 1024-4096)."""
    counts = [c for c in range(max(1, k // 4096), k // 1024 + 1) if k % c == 0 and 1024 <= k // c <= 4096]
    return min(counts, key=lambda c: abs(k // c - BLOCK), default=None)


# ---------------------------------------------------------------------------- axpy
AXPY_MIN = 4096  # smaller arrays: NumPy (a foreign call costs ~3 us, more than their update)


def axpy(alpha: float, x: np.ndarray, y: np.ndarray) -> None:
    """``y += alpha * x`` in place, as one BLAS ``axpy`` call where that is possible.

    NumPy computes ``alpha * x`` into a temporary and subtracts it: two passes over memory
    and a third array. BLAS reads ``x`` and ``y`` once (with both cores on large arrays): an
    optimizer's update of a 784 x 256 weight runs 5-6x faster. It is used for contiguous
    float32/float64 arrays of one dtype and shape from ``AXPY_MIN`` elements on, when the
    BLAS that NumPy itself loaded is OpenBLAS (found in the process, nothing else loaded);
    otherwise NumPy does it. The product and sum are fused (one rounding, as PyTorch's ``add_``
    with ``alpha``), so results may differ from NumPy's in the last bit.

    >>> y = np.ones(5000, np.float32)
    >>> axpy(-0.5, np.full(5000, 4.0, np.float32), y)
    >>> float(y[0]), float(y[-1])
    (-1.0, -1.0)
    """
    fn = _blas_axpy(y.dtype.char) if y.size >= AXPY_MIN else None
    if (
        fn is not None and type(x) is np.ndarray and x.dtype == y.dtype and x.shape == y.shape
        and x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable
        and (x is y or not np.may_share_memory(x, y))
    ):  # fmt: skip
        fn(y.size, alpha, x.ctypes.data, 1, y.ctypes.data, 1)
    else:
        y += alpha * x  # (a Python float keeps x's float dtype; into an integer y it raises, as NumPy does)


@functools.cache
def _blas_axpy(char: str) -> Any:
    """The ``cblas_?axpy`` of the OpenBLAS in this process for dtype char ``f``/``d``, or None."""
    if char not in "fd":
        return None
    letter, real = ("s", ctypes.c_float) if char == "f" else ("d", ctypes.c_double)
    # OpenBLAS builds with 64-bit integers (NumPy's wheels) mark their symbols with a 64_ suffix;
    # other OpenBLAS libraries in the process (SciPy's, 32-bit) don't have these names.
    for lib in _openblas_libraries():
        for name in (f"scipy_cblas_{letter}axpy64_", f"cblas_{letter}axpy64_"):
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.restype = None
                fn.argtypes = [ctypes.c_int64, real, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64]
                return fn if _works(fn, np.dtype(char)) else None
    return None


def _openblas_libraries() -> list:
    """The OpenBLAS shared libraries loaded in this process (Linux: read from its memory map)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split(maxsplit=5)[-1].strip() for line in maps if "openblas" in line.lower()}
    except OSError:
        return []
    libraries = []
    for path in sorted(p for p in paths if os.path.isfile(p) and ".so" in os.path.basename(p)):
        try:
            libraries.append(ctypes.CDLL(path))
        except OSError:
            continue
    return libraries


def _works(fn: Any, dtype: np.dtype) -> bool:
    """Check the binding on a small case before trusting it."""
    x, y = np.arange(7, dtype=dtype), np.ones(7, dtype)
    fn(7, 2.0, x.ctypes.data, 1, y.ctypes.data, 1)
    return bool((y == 1 + 2 * np.arange(7)).all())
