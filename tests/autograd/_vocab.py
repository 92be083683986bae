"""Shared checks for the PyTorch-vocabulary op tests (test_ops_*.py).

An :class:`OpCase` holds one op as a graphgrad function and the same computation in PyTorch
(``tfn(torch, *tensors)``), with the inputs to try it on. ``check_torch`` compares outputs and
gradients (of a random weighting of every floating output) with PyTorch; ``check_grad`` runs
graphgrad's own gradcheck in float64, which needs no PyTorch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

import autograd as ag


@dataclass
class OpCase:
    name: str
    fn: Any
    tfn: Any
    inputs: Any  # rng -> list of arrays
    differentiable: bool = True
    rtol: float = 1e-10
    atol: float = 1e-12
    grad_args: tuple = field(default_factory=lambda: (0,))  # which inputs get a gradient

    def __str__(self) -> str:
        return self.name


def _outputs(out: Any) -> list:
    if isinstance(out, tuple):
        return [o for o in out]
    return [out]


def _np(t: Any) -> np.ndarray:
    if hasattr(t, "detach"):
        t = t.detach()
        return t.numpy() if hasattr(t, "numpy") else np.asarray(t)
    return np.asarray(t)


def check_torch(case: OpCase, torch: Any, seed: int = 0) -> None:
    """Outputs (values, shapes, dtypes) and gradients equal to PyTorch's."""
    arrays = case.inputs(np.random.default_rng(seed))
    grads = [case.differentiable and i in case.grad_args and a.dtype.kind == "f" for i, a in enumerate(arrays)]
    xs = [ag.Tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
    txs = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
    outs, touts = _outputs(case.fn(*xs)), _outputs(case.tfn(torch, *txs))
    assert len(outs) == len(touts), f"{case.name}: {len(outs)} outputs, PyTorch has {len(touts)}"
    for o, to in zip(outs, touts):
        to_np = _np(to)
        assert tuple(o.shape) == tuple(to_np.shape), f"{case.name}: shape {o.shape} vs PyTorch {to_np.shape}"
        assert o.dtype == to_np.dtype, f"{case.name}: dtype {o.dtype} vs PyTorch {to_np.dtype}"
        np.testing.assert_allclose(o.data, to_np, rtol=case.rtol, atol=case.atol, err_msg=case.name)
    if not any(grads):
        return
    rng = np.random.default_rng(seed + 1)
    loss, tloss = 0, 0
    for o, to in zip(outs, touts):
        if o.dtype.kind == "f" and o.requires_grad:
            w = rng.standard_normal(o.shape)
            loss = loss + (o * ag.Tensor(w)).sum()
            tloss = tloss + (to * torch.tensor(w)).sum()
    if isinstance(loss, int):
        return
    loss.backward()
    tloss.backward()
    for x, tx, g in zip(xs, txs, grads):
        if g:
            tg = np.zeros(x.shape) if tx.grad is None else _np(tx.grad)
            got = np.zeros(x.shape) if x.grad is None else x.grad.data
            np.testing.assert_allclose(got, tg, rtol=case.rtol, atol=max(case.atol, 1e-10), err_msg=case.name)


def check_grad(case: OpCase, seed: int = 0, second: bool = True) -> None:
    """Finite-difference gradient (and second derivative) checks in float64, without PyTorch."""
    arrays = case.inputs(np.random.default_rng(seed))
    idx = [i for i in case.grad_args if i < len(arrays) and arrays[i].dtype.kind == "f"]
    if not case.differentiable or not idx or not any(arrays[i].size for i in idx):
        return

    def fn(*gx: Any) -> Any:
        args = [ag.Tensor(a) for a in arrays]
        for i, t in zip(idx, gx):
            args[i] = t
        outs = [o for o in _outputs(case.fn(*args)) if o.dtype.kind == "f"]
        return tuple(outs) if len(outs) > 1 else outs[0]

    inputs = tuple(ag.Tensor(arrays[i], requires_grad=True) for i in idx)
    ag.gradcheck(fn, inputs)
    if second:
        ag.gradgradcheck(fn, inputs)
