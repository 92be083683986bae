"""Large arrays reused from one training step to the next, so their pages are not faulted in again.

A training step allocates the same large arrays every step (im2col matrices, activations,
their gradients) and frees them all by the end of it. With glibc's default settings the
freed memory goes back to the operating system, and the next step pays a page fault for
every 4 KiB it touches again (``autograd.allocator`` can change that, but only for the
whole process). Instead, the few ops that make such arrays ask this module for them:
``empty(shape, dtype)`` returns an array that nothing else references any more, left
over from an earlier step, or a new one that is remembered for later steps.

The lifetime rule: an array is handed out again only when this pool holds the *only*
reference to it (CPython's reference count says so): no Tensor, saved value, gradient,
graph node, view (a view references its base) or user variable can still see it, so
reuse never changes a value anyone can read. Its contents are undefined, as
``np.empty``'s: callers overwrite it whole. The pool is per thread (two models trained in
two threads never share an array); it keeps arrays of at least ``MIN_BYTES`` (malloc reuses
smaller blocks by itself), at most ``PER_KEY`` per (shape, dtype) and ``MAX_BYTES`` in all
(the oldest shapes are forgotten first): about the most a step had in use at once, which
stays with the thread, as it would with ``autograd.allocator.keep_freed_memory``, but for
graphgrad's arrays only.
``clear()`` lets this thread's arrays go; ``disabled()`` turns the pool off for a block
(then ``empty`` is ``np.empty``).

>>> a = empty((512, 256), np.float32)
>>> b = empty((512, 256), np.float32)  # a is still referenced: b is another array
>>> a is b
False
>>> a_id = id(a)
>>> del a
>>> id(empty((512, 256), np.float32)) == a_id  # a's memory, now free, comes back
True
>>> clear()
"""

from __future__ import annotations

import contextlib
import math
import sys
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import aligned

# Smaller arrays come from malloc: glibc hands back a block freed moments before, still in the
# CPU's caches, where a pooled array was last written a whole step earlier. Larger ones are where
# malloc is slow: it maps fresh pages for them (a page fault per 4 KiB first written) or returns
# freed memory to the system. The bound is measured (benchmarks/ab_revisions.py, docs/ARCHITECTURE.md
# "Memory"): the GRU LM step ~11% faster than with 16 KiB, LeNet and the MLP unchanged or slightly
# faster; 1 MiB makes the GRU LM step ~8% slower again.
MIN_BYTES = 256 << 10
PER_KEY = 512  # e.g. a GRU's per-time-step arrays: several per step, all saved until backward
MAX_BYTES = 256 << 20  # per thread, over all keys (a LeNet step keeps ~13 MiB, the GRU LM's ~27 MiB)


class _Shelf:
    """The arrays of one (shape, dtype), and where the last search stopped: arrays come free in
    about the order they were handed out, so the next search starts there."""

    __slots__ = ("arrays", "next")

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []
        self.next = 0


class _Pool(threading.local):
    def __init__(self) -> None:
        self.shelves: dict[tuple, _Shelf] = {}
        self.nbytes = 0
        self.enabled = True


_pool = _Pool()


def _take_free(shelf: _Shelf, free: int) -> np.ndarray | None:
    """An array of ``shelf`` referenced only by the shelf (``free``: the count seen here for one)."""
    arrays, n = shelf.arrays, len(shelf.arrays)
    for i in range(shelf.next, shelf.next + n):
        a = arrays[i % n]
        if sys.getrefcount(a) == free:
            shelf.next = (i + 1) % n
            return a
    return None


def _count_free() -> int:
    """The reference count ``_take_free`` sees for an array that only its shelf holds (3 on
    CPython 3.11: the list, the local variable, getrefcount's argument); measured, not assumed."""
    shelf = _Shelf()
    shelf.arrays.append(np.empty(0))
    for free in range(1, 10):
        if _take_free(shelf, free) is not None:
            return free
    raise RuntimeError("autograd.scratch: cannot tell a free array by its reference count here")


_FREE = _count_free()


def empty(shape: tuple, dtype: Any) -> np.ndarray:
    """An uninitialised C-contiguous array, reused from this thread's pool when one is free."""
    dtype = np.dtype(dtype)
    nbytes = dtype.itemsize * math.prod(shape)
    if nbytes < MIN_BYTES or not _pool.enabled:
        return np.empty(shape, dtype)
    key = (tuple(shape), dtype)
    shelf = _pool.shelves.get(key)
    if shelf is None:
        shelf = _pool.shelves[key] = _Shelf()
    elif (found := _take_free(shelf, _FREE)) is not None:
        return found
    out = np.empty(shape, dtype)
    if len(shelf.arrays) < PER_KEY and nbytes <= MAX_BYTES:
        _make_room(nbytes, key)
        shelf.arrays.append(out)
        _pool.nbytes += nbytes
    return out


def _make_room(nbytes: int, keep: tuple) -> None:
    """Forget the oldest shelves (but ``keep``'s) until ``nbytes`` more fit under ``MAX_BYTES``:
    shapes no longer used (another batch size, sequence length) do not hold memory for ever.
    Forgetting is always safe: an array still in use stays with its users."""
    shelves = _pool.shelves
    for key in list(shelves):
        if _pool.nbytes + nbytes <= MAX_BYTES:
            return
        if key != keep:
            shelf = shelves.pop(key)
            _pool.nbytes -= sum(a.nbytes for a in shelf.arrays)


def empty_like(x: np.ndarray) -> np.ndarray:
    """``empty`` with ``x``'s shape, dtype and memory order (as ``np.empty_like``), so that
    elementwise results keep the layout NumPy would give them."""
    if x.nbytes < MIN_BYTES or not _pool.enabled:
        return np.empty_like(x)
    return aligned.empty_like(x, empty=empty)


def clear() -> None:
    """Forget this thread's arrays (those still in use stay with their users)."""
    _pool.shelves.clear()
    _pool.nbytes = 0


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """Inside the block, this thread allocates every array afresh (``np.empty``)."""
    before = _pool.enabled
    _pool.enabled = False
    try:
        yield
    finally:
        _pool.enabled = before
