"""Stochastic gradient descent, with momentum, Nesterov momentum and L2 weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd import aligned

from .optimizer import Optimizer, required

__all__ = ["SGD"]


class SGD(Optimizer):
    """``p -= lr * g``, PyTorch's algorithm step for step.

    With ``weight_decay`` the gradient is ``g + weight_decay * p`` (L2 regularisation).
    With ``momentum`` μ the step direction is the buffer ``b = μ b + (1 - dampening) g``
    (``b = g`` at the first step), or ``g + μ b`` with ``nesterov=True``. The course
    notes' momentum ``v = β v + (1 - β) g`` is ``momentum = dampening = β``, except that
    the buffer starts at ``g`` instead of ``(1 - β) g`` (no bias towards zero early on).

    >>> import autograd as ag
    >>> w = ag.Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> [round(v, 4) for v in w.tolist()]
    [0.8, -1.6]
    """

    def __init__(
        self,
        params: Any,
        lr: float = required,  # type: ignore[assignment]
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
    ):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum > 0 and zero dampening")

    def _step_group(self, group: dict[str, Any], updated: list) -> None:
        if group["momentum"] != 0 or group["weight_decay"] != 0:
            return super()._step_group(group, updated)
        # plain SGD, the common case: the same update as _update, without its branches per parameter
        lr, states = float(group["lr"]), self.state  # (a Python float keeps the parameter's dtype)
        for p, data, g in self._with_grads(group):
            if p not in states:
                states[p] = self._init_state(data, group)
            data -= lr * g
            updated.append(p)

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, momentum, wd = group["lr"], group["momentum"], group["weight_decay"]
        if wd != 0:
            g = np.multiply(p, wd) + g
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:  # first step: the buffer starts as (a copy of) the gradient
                buf = state["momentum_buffer"] = aligned.copy(g)
            else:
                buf *= momentum
                buf += g if group["dampening"] == 0 else (1 - group["dampening"]) * g
            g = g + momentum * buf if group["nesterov"] else buf
        p -= float(lr) * g
