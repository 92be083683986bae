"""Parameter gradients checked by finite differences on each parameter's ``.data``, in place.

Used instead of swapping parameters for the tensors a gradcheck perturbs: here the module
runs exactly as in use (it reads its own parameters), and only their values move.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd as ag


def _scalar(module: Any, inputs: tuple, g: np.ndarray) -> Any:
    out = module(*inputs)
    if isinstance(out, tuple):
        out = out[0]
    return out, ag.sum(out * g)


def check_parameter_grads(
    module: Any, *inputs: Any, rng: np.random.Generator, per_param: int = 6, eps: float = 1e-6, tol: float = 1e-6
) -> int:
    """Backward of ``sum(module(*inputs) * g)`` (``g`` random) against central differences of the
    same sum, at up to ``per_param`` random entries of every parameter (float64). Returns how many
    entries were checked."""
    module.double()
    out, _ = _scalar(module, inputs, 0.0)
    g = rng.standard_normal(out.shape)
    module.zero_grad()
    _scalar(module, inputs, g)[1].backward()
    checked = 0
    for name, p in module.named_parameters():
        assert p.grad is not None, f"{name}: no gradient"
        flat = p.data.reshape(-1)
        for i in rng.choice(flat.size, size=min(per_param, flat.size), replace=False):
            saved = flat[i]
            with ag.no_grad():
                flat[i] = saved + eps
                up = _scalar(module, inputs, g)[1].item()
                flat[i] = saved - eps
                down = _scalar(module, inputs, g)[1].item()
            flat[i] = saved
            numeric = (up - down) / (2 * eps)
            analytic = p.grad.data.reshape(-1)[i]
            assert abs(numeric - analytic) <= tol * (1 + abs(numeric)), (name, int(i), numeric, analytic)
            checked += 1
    return checked
