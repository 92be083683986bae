"""Keep freed memory for reuse: glibc's malloc settings for training loops (opt-in).

A training step allocates and frees the same large temporaries every step (activations,
their gradients, im2col buffers). By default glibc gives large freed blocks back to the
operating system and maps fresh ones on the next step, so every step pays page faults
for memory it just gave away. Two ``mallopt`` settings make glibc keep that memory in the
process and hand it out again instead:

- ``M_MMAP_THRESHOLD`` = 32 MiB: blocks below it come from the heap, not from ``mmap``;
- ``M_TRIM_THRESHOLD`` = 1 GiB: the heap is shrunk only when over 1 GiB of it is free.

Nothing applies them on import: they are process-wide (the host application, PyTorch,
everything in the process is affected, and up to 1 GiB of freed memory stays with the
process), so only a program that owns its process should. Call :func:`keep_freed_memory`
once at its start (``graphgrad train`` and the benchmarks do). glibc also reads the same
settings from the environment when the process starts, without any code:
``MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824 python train.py``
(note the trailing underscores; see ``man mallopt``). On other C libraries nothing happens.
This file imports nothing from graphgrad, so benchmarks can load it alone.

>>> settings()["mmap_threshold"]
33554432
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers
TRIM_THRESHOLD = 1 << 30
MMAP_THRESHOLD = 32 << 20  # glibc's largest allowed value

_applied = False


def settings() -> dict[str, int]:
    """The values ``keep_freed_memory`` sets."""
    return {"mmap_threshold": MMAP_THRESHOLD, "trim_threshold": TRIM_THRESHOLD}


def keep_freed_memory() -> bool:
    """Apply the settings to this whole process; True if glibc accepted them.

    Call it only from a program that owns its process (a training script, a benchmark),
    never from a library.
    """
    global _applied
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl without mallopt)
        return False
    _applied = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _applied


def applied() -> bool:
    """Whether :func:`keep_freed_memory` was called in this process and glibc accepted it."""
    return _applied
