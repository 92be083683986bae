"""The random number generator behind ``randn``, ``rand`` and ``nn.init``."""

from __future__ import annotations

import numpy as np

_rng = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed graphgrad's generator (and return it), for reproducible runs."""
    global _rng
    _rng = np.random.default_rng(seed)
    return _rng


def generator() -> np.random.Generator:
    """The current generator (changes when ``manual_seed`` is called)."""
    return _rng
