"""Activation functions as modules (``nn.ReLU()`` etc.), thin wrappers of ``nn.functional``.

>>> import autograd as ag
>>> ReLU()(ag.tensor([-1.0, 2.0])).tolist()
[0.0, 2.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor

from . import functional as F
from .module import Module, Parameter

__all__ = [
    "ReLU", "LeakyReLU", "PReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Softplus",
    "AbsoluteRectifier", "Maxout",
]  # fmt: skip
__all__ += [
    "GELU", "SiLU", "ELU", "CELU", "SELU", "Mish", "Hardswish", "Hardsigmoid", "Hardtanh", "ReLU6", "Softsign",
    "LogSigmoid", "Softmin",
]  # fmt: skip


class ReLU(Module):
    """``max(x, 0)``."""

    def forward(self, x: Any) -> Tensor:
        return ag.relu(x)


class LeakyReLU(Module):
    """``x`` where positive, ``negative_slope * x`` elsewhere.

    >>> LeakyReLU(0.1)(ag.tensor([-10.0])).tolist()
    [-1.0]
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x: Any) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class PReLU(Module):
    """Leaky ReLU whose slope is a parameter ``weight`` (``num_parameters`` slopes, one per
    channel or one shared), initialised to ``init=0.25`` as PyTorch.

    >>> PReLU()(ag.tensor([-4.0, 4.0])).tolist()
    [-1.0, 4.0]
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25) -> None:
        super().__init__()
        self.num_parameters = int(num_parameters)
        self.weight = Parameter(np.full(self.num_parameters, init, ag.get_default_dtype()))

    def forward(self, x: Any) -> Tensor:
        return F.prelu(x, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Sigmoid(Module):
    """``1 / (1 + exp(-x))``."""

    def forward(self, x: Any) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    """Hyperbolic tangent."""

    def forward(self, x: Any) -> Tensor:
        return F.tanh(x)


class _SoftmaxBase(Module):
    """What Softmax and LogSoftmax share (neither is a kind of the other): the ``dim``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_SoftmaxBase):
    """Softmax along ``dim`` (default: the last dim).

    >>> Softmax(dim=1)(ag.zeros(1, 4)).tolist()
    [[0.25, 0.25, 0.25, 0.25]]
    """

    def forward(self, x: Any) -> Tensor:
        return F.softmax(x, self.dim)


class LogSoftmax(_SoftmaxBase):
    """Log of the softmax along ``dim`` (default: the last dim), computed stably."""

    def forward(self, x: Any) -> Tensor:
        return F.log_softmax(x, self.dim)


class Softplus(Module):
    """``log(1 + exp(beta * x)) / beta``, a smooth ReLU."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x: Any) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class AbsoluteRectifier(Module):
    """``|x|``: the absolute-value rectifier of the seed notes (leaky ReLU with slope -1).

    >>> AbsoluteRectifier()(ag.tensor([-3.0])).tolist()
    [3.0]
    """

    def forward(self, x: Any) -> Tensor:
        return F.absolute_rectifier(x)


class Maxout(Module):
    """Maxout: the max over each group of ``pieces`` consecutive values along ``dim``.

    ``nn.Sequential(nn.Linear(n_in, units * pieces), nn.Maxout(pieces))`` is a layer
    of ``units`` maxout units, each the max of ``pieces`` linear functions.

    >>> Maxout(3)(ag.zeros(2, 12)).shape
    (2, 4)
    """

    def __init__(self, pieces: int, dim: int = -1) -> None:
        super().__init__()
        self.pieces, self.dim = int(pieces), dim

    def forward(self, x: Any) -> Tensor:
        return F.maxout(x, self.pieces, self.dim)

    def extra_repr(self) -> str:
        return f"pieces={self.pieces}, dim={self.dim}"


class GELU(Module):
    """``x * Phi(x)``; ``approximate='tanh'`` for the tanh formula.

    >>> GELU(approximate="tanh")(ag.tensor([0.0])).tolist()
    [0.0]
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Any) -> Tensor:
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class _Alpha(Module):
    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = float(alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class ELU(_Alpha):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""

    def forward(self, x: Any) -> Tensor:
        return F.elu(x, self.alpha)


class CELU(_Alpha):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""

    def forward(self, x: Any) -> Tensor:
        return F.celu(x, self.alpha)


class Hardtanh(Module):
    """``x`` clamped to ``[min_val, max_val]``.

    >>> Hardtanh()(ag.tensor([-3.0, 0.5, 3.0])).tolist()
    [-1.0, 0.5, 1.0]
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0) -> None:
        super().__init__()
        if max_val <= min_val:
            raise ValueError(f"Hardtanh: max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val, self.max_val = float(min_val), float(max_val)

    def forward(self, x: Any) -> Tensor:
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class Softmin(_SoftmaxBase):
    """``softmax(-x)`` along ``dim``.

    >>> Softmin(dim=0)(ag.tensor([0.0, 0.0])).tolist()
    [0.5, 0.5]
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__(dim)  # type: ignore[arg-type]

    def forward(self, x: Any) -> Tensor:
        return F.softmin(x, self.dim)


def _elementwise(name: str, fn: Any, doc: str) -> type:
    """A module without arguments around a function of ``nn.functional``."""
    return type(name, (Module,), {"forward": lambda self, x: fn(x), "__doc__": doc, "__module__": __name__})


SiLU = _elementwise("SiLU", F.silu, "``x * sigmoid(x)``.")
SELU = _elementwise("SELU", F.selu, "``scale * elu(x, alpha)`` with the self-normalising constants.")
Mish = _elementwise("Mish", F.mish, "``x * tanh(softplus(x))``.")
Hardswish = _elementwise("Hardswish", F.hardswish, "``x * relu6(x + 3) / 6``.")
Hardsigmoid = _elementwise("Hardsigmoid", F.hardsigmoid, "``relu6(x + 3) / 6``.")
ReLU6 = _elementwise("ReLU6", F.relu6, "``min(max(x, 0), 6)``.")
Softsign = _elementwise("Softsign", F.softsign, "``x / (1 + |x|)``.")
LogSigmoid = _elementwise("LogSigmoid", F.logsigmoid, "``log(sigmoid(x))``, stable for any ``x``.")
