"""Fixtures shared by the nn tests."""

import pytest


@pytest.fixture(scope="module")
def torch():
    """PyTorch, for the comparisons only: without it they skip and every other test still runs."""
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def TF(torch):
    """``torch.nn.functional``."""
    return torch.nn.functional
