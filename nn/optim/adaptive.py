"""Optimizers with per-coordinate step sizes: Adagrad, RMSprop, Adadelta, Adam, AdamW.

Each follows PyTorch's documented algorithm step for step: where ``eps`` is added,
how the bias corrections enter, the state names (``exp_avg``, ``square_avg``, ...).
Updates are in-place NumPy; their temporaries are views of a scratch buffer the optimizer
keeps and reuses (``Optimizer._scratch``), so a step allocates no parameter-sized arrays
(except ``g + weight_decay * p`` for L2 weight decay).

The seed notes' exponentially weighted average ``v = β v + (1 - β) θ`` is the
building block: RMSprop averages ``g²``, Adam averages ``g`` and ``g²`` and corrects
the bias of starting from zero by dividing by ``1 - β^t``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd import aligned

from .optimizer import Optimizer

__all__ = ["Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW"]


def _l2(p: np.ndarray, g: np.ndarray, wd: float) -> np.ndarray:
    """The gradient with L2 weight decay ``g + wd * p`` (a new array; g is never modified)."""
    return g if wd == 0 else np.multiply(p, wd) + g


def _accumulate_square(avg: np.ndarray, g: np.ndarray, decay: float, scratch: np.ndarray) -> None:
    """``avg = decay * avg + (1 - decay) * g * g`` in place (decay 1 with weight 1 for Adagrad's sum)."""
    np.multiply(g, g, out=scratch)
    if decay != 1:
        scratch *= 1 - decay
        avg *= decay
    avg += scratch


class Adagrad(Optimizer):
    """Adagrad (Duchi et al. 2011): ``s += g²``, ``p -= lr * g / (sqrt(s) + eps)``.

    >>> import autograd as ag
    >>> w = ag.Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adagrad([w], lr=0.5)
    >>> (w * w).sum().backward(); opt.step()
    >>> [round(v, 4) for v in w.tolist()]   # the first step moves every coordinate by lr
    [0.5, -1.5]
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
    ):
        defaults = dict(
            lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )  # fmt: skip
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        for key in ("lr_decay", "initial_accumulator_value"):
            if not group[key] >= 0:
                raise ValueError(f"Adagrad: invalid {key} {group[key]!r} (must be >= 0)")

    def _init_state(self, data: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0, "sum": np.full_like(data, group["initial_accumulator_value"])}

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] += 1
        g = _l2(p, g, group["weight_decay"])
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        s, (scratch,) = state["sum"], self._scratch(p)
        _accumulate_square(s, g, 1, scratch)
        np.sqrt(s, out=scratch)
        scratch += group["eps"]
        np.divide(g, scratch, out=scratch)
        scratch *= clr
        p -= scratch


class RMSprop(Optimizer):
    """RMSprop (Hinton): ``v = α v + (1 - α) g²``, ``p -= lr * g / (sqrt(v) + eps)``.

    With ``momentum`` μ: ``b = μ b + g / (sqrt(v) + eps)``, ``p -= lr * b``. With
    ``centered=True`` the running mean of ``g`` is also kept and ``v - mean²`` used.

    >>> import autograd as ag
    >>> w = ag.Tensor([3.0], requires_grad=True)
    >>> opt = RMSprop([w], lr=0.01)
    >>> (w * w).sum().backward(); opt.step()
    >>> round(w.item(), 4)                  # 3 - 0.01 * 6 / sqrt(0.01 * 36)
    2.9
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
    ):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        if not group["alpha"] >= 0:
            raise ValueError(f"RMSprop: invalid alpha {group['alpha']!r} (must be >= 0)")

    def _init_state(self, data: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        state = {"step": 0, "square_avg": aligned.zeros_like(data)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = aligned.zeros_like(data)
        if group["centered"]:
            state["grad_avg"] = aligned.zeros_like(data)
        return state

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] += 1
        g = _l2(p, g, group["weight_decay"])
        alpha, v, (scratch,) = group["alpha"], state["square_avg"], self._scratch(p)
        _accumulate_square(v, g, alpha, scratch)
        if group["centered"]:
            mean = state["grad_avg"]
            np.subtract(g, mean, out=scratch)
            scratch *= 1 - alpha
            mean += scratch
            np.multiply(mean, mean, out=scratch)
            np.subtract(v, scratch, out=scratch)
            np.sqrt(scratch, out=scratch)
        else:
            np.sqrt(v, out=scratch)
        scratch += group["eps"]
        np.divide(g, scratch, out=scratch)
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += scratch
            np.multiply(buf, group["lr"], out=scratch)
        else:
            scratch *= group["lr"]
        p -= scratch


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012): step sizes from the ratio of running RMS of updates and gradients.

    ``v = ρ v + (1 - ρ) g²``, ``Δ = sqrt(u + eps) / sqrt(v + eps) * g``,
    ``u = ρ u + (1 - ρ) Δ²``, ``p -= lr * Δ``.

    >>> import autograd as ag
    >>> w = ag.Tensor([1.0], requires_grad=True)
    >>> opt = Adadelta([w])
    >>> (w * w).sum().backward(); opt.step()
    >>> round(1 - w.item(), 5)              # sqrt(1e-6) / sqrt(0.1 * 4 + 1e-6) * 2
    0.00316
    """

    def __init__(self, params: Any, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        if not 0 <= group["rho"] <= 1:
            raise ValueError(f"Adadelta: invalid rho {group['rho']!r} (must be in [0, 1])")

    def _init_state(self, data: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0, "square_avg": aligned.zeros_like(data), "acc_delta": aligned.zeros_like(data)}

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] += 1
        g = _l2(p, g, group["weight_decay"])
        rho, eps = group["rho"], group["eps"]
        v, u = state["square_avg"], state["acc_delta"]
        delta, scratch = self._scratch(p, 2)
        _accumulate_square(v, g, rho, scratch)
        np.add(v, eps, out=scratch)
        np.sqrt(scratch, out=scratch)  # std
        np.add(u, eps, out=delta)
        np.sqrt(delta, out=delta)
        delta /= scratch
        delta *= g
        _accumulate_square(u, delta, rho, scratch)
        delta *= group["lr"]
        p -= delta


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015): bias-corrected running means of ``g`` and ``g²``.

    ``m = β1 m + (1 - β1) g``, ``v = β2 v + (1 - β2) g²``, and at step t
    ``p -= lr / (1 - β1^t) * m / (sqrt(v) / sqrt(1 - β2^t) + eps)``.
    ``weight_decay`` adds ``weight_decay * p`` to the gradient (L2; see :class:`AdamW`
    for decoupled decay). ``amsgrad=True`` divides by the running maximum of ``v``.

    >>> import autograd as ag
    >>> w = ag.Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> [round(v, 4) for v in w.tolist()]   # the first step is about lr * sign(g)
    [0.9, -1.9]
    """

    _decoupled = False

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
    ):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        betas = group["betas"] = tuple(float(b) for b in group["betas"])
        if len(betas) != 2 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"{type(self).__name__}: invalid betas {betas!r} (two values in [0, 1))")

    def _init_state(self, data: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        state = {"step": 0, "exp_avg": aligned.zeros_like(data), "exp_avg_sq": aligned.zeros_like(data)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = aligned.zeros_like(data)
        return state

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        state["step"] = t = state["step"] + 1
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        if self._decoupled:
            if wd != 0:
                p *= 1 - lr * wd
        else:
            g = _l2(p, g, wd)
        m, v, (scratch,) = state["exp_avg"], state["exp_avg_sq"], self._scratch(p)
        np.subtract(g, m, out=scratch)  # m += (1 - β1) (g - m): PyTorch's lerp
        scratch *= 1 - beta1
        m += scratch
        _accumulate_square(v, g, beta2, scratch)
        if group["amsgrad"]:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        np.sqrt(v, out=scratch)
        scratch /= math.sqrt(1 - beta2**t)
        scratch += group["eps"]
        np.divide(m, scratch, out=scratch)
        scratch *= lr / (1 - beta1**t)
        p -= scratch


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019): ``p *= 1 - lr * weight_decay``
    before the Adam step, instead of adding ``weight_decay * p`` to the gradient.

    >>> import autograd as ag
    >>> w = ag.Tensor([1.0], requires_grad=True)
    >>> opt = AdamW([w], lr=0.1, weight_decay=0.5)
    >>> (w * 0.0).sum().backward(); opt.step()          # zero gradient: only the decay acts
    >>> round(w.item(), 4)
    0.95
    """

    _decoupled = True

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
