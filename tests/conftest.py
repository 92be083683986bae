"""Shared test setup: every test starts from graphgrad's default global state."""

from __future__ import annotations

import os

import numpy as np
import pytest

import autograd
from autograd import graph

# The suite executes the notebooks (nbmake) at small sizes: their kernels inherit this process's environment.
# (Run `GRAPHGRAD_NOTEBOOK_QUICK=0 pytest` for full size, `GRAPHGRAD_NOTEBOOK_QUICK=1 pytest --nbmake notebooks` alone.)
os.environ.setdefault("GRAPHGRAD_NOTEBOOK_QUICK", "1")


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
