"""Keep freed memory for reuse: glibc's malloc settings for training loops.

A training step allocates and frees the same large temporaries every step (activations,
their gradients, im2col buffers). By default glibc gives large freed blocks back to the
operating system and maps fresh ones on the next step, so every step pays page faults:
on a small VM, about 0.7 ms per MB touched, up to half of a LeNet step. Two ``mallopt``
settings make glibc keep that memory in the process and hand it out again instead:

- ``M_MMAP_THRESHOLD`` = 32 MiB: blocks below it come from the heap, not from ``mmap``;
- ``M_TRIM_THRESHOLD`` = 1 GiB: the heap is shrunk only when over 1 GiB of it is free.

``import autograd`` applies them once (glibc only; elsewhere nothing happens). They are
process-wide: the process keeps up to 1 GiB of freed memory for reuse. Set the
environment variable ``GRAPHGRAD_MALLOC=system`` before importing to keep glibc's
defaults. This file imports nothing from graphgrad, so benchmarks can load it alone.

>>> settings()["mmap_threshold"]
33554432
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers
TRIM_THRESHOLD = 1 << 30
MMAP_THRESHOLD = 32 << 20  # glibc's largest allowed value
ENV = "GRAPHGRAD_MALLOC"

_applied = False


def settings() -> dict[str, int]:
    """The values ``keep_freed_memory`` sets."""
    return {"mmap_threshold": MMAP_THRESHOLD, "trim_threshold": TRIM_THRESHOLD}


def keep_freed_memory() -> bool:
    """Apply the settings to this process; True if glibc accepted them."""
    global _applied
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl without mallopt)
        return False
    _applied = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _applied


def applied() -> bool:
    """Whether this process runs with the settings (see the module docstring)."""
    return _applied


def configure_from_env() -> bool:
    """What ``import autograd`` does: apply the settings unless ``GRAPHGRAD_MALLOC=system``."""
    if os.environ.get(ENV, "").strip().lower() == "system":
        return False
    return keep_freed_memory()
