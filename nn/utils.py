"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_`` (in place, not recorded).

Also the clearing of gradients that ``Module.zero_grad`` and ``Optimizer.zero_grad`` share.

>>> import autograd as ag
>>> w = ag.tensor([3.0, 4.0], requires_grad=True)
>>> (w * w).sum().backward()                     # grad = (6, 8), norm 10
>>> round(clip_grad_norm_([w], max_norm=1.0).item(), 4)
10.0
>>> [round(g, 4) for g in w.grad.tolist()]
[0.6, 0.8]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd import Tensor, no_grad

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    if callable(parameters) and not isinstance(parameters, Tensor):  # model.parameters, not called
        raise TypeError(
            f"expected parameters (a Tensor or an iterable of Tensors), got the method "
            f"{getattr(parameters, '__qualname__', parameters)}; call it: model.parameters()"
        )
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> Tensor:
    """Rescale the gradients in place so their joint norm is at most ``max_norm``.

    The norm is taken over all gradients together, as if concatenated into one
    vector (``norm_type=inf`` for the largest absolute value). Gradients are
    multiplied by ``max_norm / (total + 1e-6)`` when that is below 1. Returns the
    total norm before clipping, as a 0-d Tensor.
    """
    grads = _grads(parameters)
    if not grads:
        return Tensor(np.float32(0.0))
    p = float(norm_type)
    datas = [np.asarray(g.data) for g in grads]
    if p == np.inf:
        total = max(float(np.max(np.abs(d))) if d.size else 0.0 for d in datas)
    else:
        total = float(sum(float(np.sum(np.abs(d.astype(np.float64)) ** p)) for d in datas) ** (1.0 / p))
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total {norm_type}-norm of the gradients is {total}")
    coef = float(max_norm) / (total + 1e-6)
    if coef < 1.0:
        with no_grad():
            for g in grads:
                g *= coef
    return Tensor(np.asarray(total, dtype=datas[0].dtype))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element to ``[-clip_value, clip_value]``, in place.

    >>> import autograd as ag
    >>> w = ag.tensor([1.0, -1.0], requires_grad=True)
    >>> (w * 5).sum().backward()
    >>> clip_grad_value_([w], 2.0)
    >>> w.grad.tolist()
    [2.0, 2.0]
    """
    c = float(clip_value)
    if c < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be non-negative, got {clip_value}")
    for g in _grads(parameters):
        _set(g, np.clip(g.data, -c, c))


def _zero_grad(parameters: Iterable[Tensor], set_to_none: bool = True) -> None:
    """Clear gradients: to None, or to zeros in place with ``set_to_none=False`` (not recorded)."""
    for p in parameters:
        if set_to_none or p._grad is None:
            p._grad = None
        else:
            p._grad.data[...] = 0


def _set(g: Tensor, value: Any) -> None:
    with no_grad():
        g[...] = value
