"""Shared test setup: every test starts from graphgrad's default global state."""

from __future__ import annotations

import numpy as np
import pytest

import autograd
from autograd import graph


@pytest.fixture(autouse=True)
def _restore_global_state():
    """Undo a test's changes to the default dtype and the recording switches, even when it fails."""
    dtype = autograd.get_default_dtype()
    switches = graph._switches()
    yield
    autograd.set_default_dtype(dtype)
    graph._restore_switches(switches)


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded NumPy generator: tests draw their data from it, so failures reproduce."""
    return np.random.default_rng(0)
