"""Large array work split across threads, for the few primitives whose arrays are large.

NumPy releases the GIL inside its loops and BLAS calls, so two threads working on two halves
of an array run at the same time. A primitive whose rows are independent (softmax over the
last axis, GELU, layer norm, a batch of attention products) hands ``for_blocks`` a function of a
block of rows; ``for_blocks`` runs the first block in the calling thread and the others in a
small pool of worker threads, and returns when all are done. Every row is computed by the same
NumPy calls whatever the blocking, so results don't depend on the number of threads.

The pool is created on first use (importing autograd starts no thread) and has
``get_num_threads() - 1`` workers. The default is the ``OMP_NUM_THREADS`` environment variable
when set (as PyTorch reads it), else the number of CPUs this process may run on, at most 8;
``set_num_threads(1)`` turns splitting off. Work smaller than ``MIN_ELEMENTS`` per block runs in
one piece: waking a thread costs tens of microseconds.

>>> import numpy as np
>>> x = np.arange(12.0).reshape(6, 2)
>>> out = np.empty_like(x)
>>> for_blocks(lambda rows: np.multiply(x[rows], 2, out=out[rows]), len(x), 2, min_elements=1)
>>> out[:, 0].tolist()
[0.0, 4.0, 8.0, 12.0, 16.0, 20.0]
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

MIN_ELEMENTS = 1 << 16  # per block: below this, a worker's wake-up costs more than it saves

_lock = threading.Lock()
_threads: int | None = None  # None: not decided yet (the default is read on first use)
_pool: ThreadPoolExecutor | None = None
_fork_hook = False
_inside = threading.local()  # set in worker threads: work they start runs there, in one piece


def _default_threads() -> int:
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # (not on Linux)
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, 8))


def get_num_threads() -> int:
    """How many threads graphgrad's large primitives use (the caller's included)."""
    global _threads
    if _threads is None:
        _threads = _default_threads()
    return _threads


def set_num_threads(n: int) -> None:
    """Use ``n`` threads (the caller's included) for large primitives; 1: no worker threads.

    >>> old = get_num_threads(); set_num_threads(1); get_num_threads()
    1
    >>> set_num_threads(old)
    """
    global _threads, _pool
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads: n must be a positive int, got {n!r}")
    with _lock:
        _threads = n
        if _pool is not None:  # the next use makes a pool of the new size
            _pool.shutdown(wait=False)
            _pool = None


def _workers() -> ThreadPoolExecutor:
    global _pool, _fork_hook
    with _lock:
        if _pool is None:
            if not _fork_hook and hasattr(os, "register_at_fork"):  # a forked child has no workers: start afresh
                os.register_at_fork(after_in_child=_forget_pool)
                _fork_hook = True
            _pool = ThreadPoolExecutor(get_num_threads() - 1, "graphgrad-worker", _mark_worker)
        return _pool


def _forget_pool() -> None:
    global _pool, _lock
    _pool, _lock = None, threading.Lock()


def _mark_worker() -> None:
    _inside.worker = True


def for_blocks(work: Callable[[slice], Any], rows: int, row_size: int, min_elements: int = MIN_ELEMENTS) -> None:
    """Call ``work(slice)`` on consecutive blocks of ``range(rows)``, in parallel when worth it.

    ``row_size`` is the number of elements a row's work touches (to judge whether splitting
    pays). ``work`` must only touch its own rows of any output. Exceptions are raised here.
    """
    threads = get_num_threads()
    blocks = min(threads, rows, max(1, rows * row_size // max(min_elements, 1)))
    if blocks <= 1 or getattr(_inside, "worker", False):
        work(slice(0, rows))
        return
    bounds = [rows * i // blocks for i in range(blocks + 1)]
    pool = _workers()
    futures = [pool.submit(work, slice(bounds[i], bounds[i + 1])) for i in range(1, blocks)]
    try:
        work(slice(bounds[0], bounds[1]))
    finally:
        for f in futures:
            f.result()


def for_rows(kernel: Callable[..., Any], inputs: tuple, outputs: tuple) -> None:
    """``kernel(*inputs, *outputs)`` for an elementwise kernel that writes its ``outputs``, run on
    blocks of rows in parallel when all the arrays are C-contiguous, of one shape, and large."""
    arrays = (*inputs, *outputs)
    shape = outputs[0].shape
    if len(shape) == 0 or not all(a.shape == shape and a.flags.c_contiguous for a in arrays):
        kernel(*arrays)
        return
    rows = [a.reshape(-1, shape[-1]) for a in arrays]
    for_blocks(lambda r: kernel(*(a[r] for a in rows)), len(rows[0]), shape[-1])
