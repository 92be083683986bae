"""Every Python package in the repository ships in the distribution (a non-editable
install must be able to ``import nn.optim`` and ``nn.models``)."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_under_autograd_and_nn_is_included():
    if sys.version_info < (3, 11):
        pytest.skip("tomllib needs Python 3.11")
    import tomllib
    from setuptools import find_packages

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    included = set(find_packages(where=str(ROOT), **config["packages"]["find"]))
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("autograd", "nn")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert on_disk <= included, f"not shipped: {sorted(on_disk - included)}"
    assert {"nn.optim", "nn.models"} <= included
