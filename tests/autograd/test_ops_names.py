"""The vocabulary's names are PyTorch's: every function exported from the new modules and every
Tensor method attached by ``methods.py`` exists in PyTorch under the same name."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd import activations, elementwise, indexing, methods, reductions, shaping

# Names PyTorch keeps elsewhere than ``torch`` (``torch.nn.functional``, ``torch.linalg``)
FUNCTIONAL = set(activations.__all__) - {"erf", "expm1"}
LINALG = {"vector_norm", "matrix_norm"}
NOT_IN_TORCH = {"values_indices"}  # graphgrad's name for torch.return_types' tuples


@pytest.mark.parametrize("module", [activations, elementwise, reductions, shaping, indexing], ids=lambda m: m.__name__)
def test_every_exported_function_has_a_pytorch_namesake(module):
    torch = pytest.importorskip("torch")
    missing = []
    for name in module.__all__:
        if name in NOT_IN_TORCH:
            continue
        where = torch.nn.functional if name in FUNCTIONAL else torch.linalg if name in LINALG else torch
        if not hasattr(where, name):
            missing.append(name)
        assert hasattr(ag, name), f"autograd.{name} is not exported"
    assert not missing, f"not PyTorch names: {missing}"


def test_every_attached_method_is_a_pytorch_tensor_method():
    torch = pytest.importorskip("torch")
    names = [*methods._FUNCTIONS, *methods._CASTS, *methods._OPERATORS, "type", "where", "dim"]
    missing = [n for n in names if not hasattr(torch.Tensor, n)]
    assert not missing, f"not PyTorch Tensor methods: {missing}"
    t = ag.Tensor(np.ones((2, 2)))
    assert all(callable(getattr(t, n)) for n in names)


@pytest.mark.parametrize("pad", [((1, -1),), ((-2, 0), (0, -1)), ((-1, 2), (1, -2)), ((0, 0), (-3, 1))])
def test_negative_padding_crops_as_pytorch(pad, rng):
    torch = pytest.importorskip("torch")
    a = rng.standard_normal((3, 4)) if len(pad) == 2 else rng.standard_normal(4)
    x = ag.Tensor(a, requires_grad=True)
    out = ag.pad(x, pad, value=0.5)
    flat = [w for pair in reversed(pad) for w in pair]  # PyTorch's order: last dim first
    t = torch.tensor(a, requires_grad=True)
    tout = torch.nn.functional.pad(t, flat, value=0.5)
    np.testing.assert_array_equal(out.data, tout.detach().numpy())
    w = rng.standard_normal(out.shape)
    (out * ag.Tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, t.grad.numpy())


def test_negative_padding_that_crops_everything_is_refused():
    with pytest.raises(ValueError, match="pad.*crop"):
        ag.pad(ag.Tensor([1.0, 2.0]), ((-2, -1),))
