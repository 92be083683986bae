"""Activation functions with PyTorch's names, signatures and gradients (``torch.nn.functional``).

All are composites of the primitives in ``autograd.ops``, so every derivative order works.
At kinks the gradient is PyTorch's: ``hardtanh``/``relu6``/``hardsigmoid`` pass no gradient
at their bounds, ``elu``/``celu``/``selu`` take the negative side's slope at 0, ``hardswish``
passes 0 at -3 and 1 at 3.

>>> from autograd import Tensor
>>> gelu(Tensor([-1.0, 0.0, 1.0]))
tensor([-0.1587,  0.0000,  0.8413])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import ops
from .functional import as_tensor, clamp, log_softmax, softmax, softplus, where
from .grad_mode import is_grad_enabled
from .recording import apply, apply1
from .tensor import Tensor

__all__ = [
    "gelu", "silu", "elu", "celu", "selu", "mish", "hardswish", "hardsigmoid", "hardtanh", "relu6",
    "softsign", "logsigmoid", "softmin", "normalize", "erf", "expm1",
]  # fmt: skip

# SELU's constants (Klambauer et al., 2017), as PyTorch uses them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _float(x: Any, fn: str) -> Tensor:
    x = as_tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}(): expected a floating-point tensor, got {x.dtype} (convert with .float())")
    return x


def erf(x: Any) -> Tensor:
    """The error function, elementwise (a primitive).

    >>> erf(Tensor([0.0, 1.0]))
    tensor([0.0000, 0.8427])
    """
    x = as_tensor(x)
    return apply1(ops.erf, x if x.dtype.kind == "f" else x.float())


def expm1(x: Any) -> Tensor:
    """``exp(x) - 1``, accurate near 0 (a primitive).

    >>> expm1(Tensor([0.0, 1.0]))
    tensor([0.0000, 1.7183])
    """
    x = as_tensor(x)
    return apply1(ops.expm1, x if x.dtype.kind == "f" else x.float())


def gelu(input: Any, approximate: str = "none") -> Tensor:
    """Gaussian Error Linear Unit: ``x * Phi(x)``; ``approximate='tanh'`` uses
    ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.

    >>> gelu(Tensor([1.0]), approximate="tanh")
    tensor([0.8412])
    """
    x = _float(input, "gelu")
    if approximate == "none":
        return x * (apply1(ops.erf, x * (1 / math.sqrt(2))) + 1) * 0.5
    if approximate == "tanh":  # one primitive: the composite is nine passes over x forward (ops.gelu_tanh)
        recorded = x.requires_grad and is_grad_enabled()  # (else the forward skips the derivative it keeps)
        return apply(ops.gelu_tanh, (x,), None if recorded else {"derivative": False})
    raise ValueError(f"gelu(): approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(input: Any) -> Tensor:
    """``x * sigmoid(x)`` (also called swish).

    >>> silu(Tensor([0.0, 1.0]))
    tensor([0.0000, 0.7311])
    """
    x = _float(input, "silu")
    return x * apply1(ops.sigmoid, x)


def _negative_part(x: Tensor, alpha: float, scale: float) -> Tensor:
    """``alpha * (exp(x / scale) - 1)`` on ``x <= 0``; evaluated at ``min(x, 0)`` so the unused
    positive side cannot overflow (clamp passes the gradient at 0: the slope there is alpha/scale)."""
    neg = clamp(x, max=0.0)
    return apply1(ops.expm1, neg if scale == 1 else neg * (1 / scale)) * alpha


def elu(input: Any, alpha: float = 1.0) -> Tensor:
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    >>> elu(Tensor([-1.0, 2.0]))
    tensor([-0.6321,  2.0000])
    """
    x = _float(input, "elu")
    return where(x._data > 0, x, _negative_part(x, alpha, 1.0))


def celu(input: Any, alpha: float = 1.0) -> Tensor:
    """``x`` for ``x > 0``, ``alpha * (exp(x / alpha) - 1)`` otherwise.

    >>> celu(Tensor([-1.0, 2.0]), alpha=2.0)
    tensor([-0.7869,  2.0000])
    """
    if alpha == 0:
        raise ValueError("celu(): alpha must not be 0 (it divides x)")
    x = _float(input, "celu")
    return where(x._data > 0, x, _negative_part(x, alpha, alpha))


def selu(input: Any) -> Tensor:
    """``scale * elu(x, alpha)`` with the self-normalising constants (alpha 1.6733, scale 1.0507).

    >>> selu(Tensor([-1.0, 1.0]))
    tensor([-1.1113,  1.0507])
    """
    return elu(input, SELU_ALPHA) * SELU_SCALE


def mish(input: Any) -> Tensor:
    """``x * tanh(softplus(x))``.

    >>> mish(Tensor([1.0]))
    tensor([0.8651])
    """
    x = _float(input, "mish")
    return x * apply1(ops.tanh, softplus(x))


def hardtanh(input: Any, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``x`` clipped to ``[min_val, max_val]``; no gradient at or beyond the bounds (as PyTorch).

    >>> hardtanh(Tensor([-2.0, 0.5, 2.0]))
    tensor([-1.0,  0.5,  1.0])
    """
    if min_val > max_val:
        raise ValueError(f"hardtanh(): min_val {min_val} is larger than max_val {max_val}")
    x = _float(input, "hardtanh")
    inside = (x._data > min_val) & (x._data < max_val)
    return where(inside, x, np.clip(x._data, min_val, max_val))


def relu6(input: Any) -> Tensor:
    """``min(max(x, 0), 6)``.

    >>> relu6(Tensor([-1.0, 3.0, 7.0]))
    tensor([0., 3., 6.])
    """
    return hardtanh(input, 0.0, 6.0)


def hardsigmoid(input: Any) -> Tensor:
    """``x / 6 + 1/2`` clipped to ``[0, 1]``; gradient 1/6 strictly inside ``(-3, 3)``.

    >>> hardsigmoid(Tensor([-4.0, 0.0, 1.5]))
    tensor([0.00, 0.50, 0.75])
    """
    x = _float(input, "hardsigmoid")
    inside = (x._data > -3) & (x._data < 3)
    return where(inside, x * (1 / 6) + 0.5, (x._data >= 3).astype(x.dtype))


def hardswish(input: Any) -> Tensor:
    """``x * relu6(x + 3) / 6``; gradient ``x / 3 + 1/2`` strictly inside ``(-3, 3)``, 0 below, 1 above.

    >>> hardswish(Tensor([-4.0, 1.0, 4.0]))
    tensor([0.0000, 0.6667, 4.0000])
    """
    x = _float(input, "hardswish")
    xd = x._data
    inside = (xd > -3) & (xd < 3)
    return where(inside, x * (x + 3.0) * (1 / 6), where(xd >= 3, x, 0.0))  # (0, not -0, below -3)


def softsign(input: Any) -> Tensor:
    """``x / (1 + |x|)``.

    >>> softsign(Tensor([-1.0, 3.0]))
    tensor([-0.50,  0.75])
    """
    x = _float(input, "softsign")
    return x / (apply1(ops.absolute, x) + 1)


def logsigmoid(input: Any) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``, stable for large ``|x|``.

    >>> logsigmoid(Tensor([0.0, -100.0]))
    tensor([  -0.6931, -100.0000])
    """
    x = _float(input, "logsigmoid")
    return -softplus(-x)


def softmin(input: Any, dim: int = -1) -> Tensor:
    """``softmax(-x, dim)``.

    >>> softmin(Tensor([0.0, 1.0]), dim=0)
    tensor([0.7311, 0.2689])
    """
    return softmax(-_float(input, "softmin"), dim)


def log_softmin(input: Any, dim: int = -1) -> Tensor:
    return log_softmax(-_float(input, "softmin"), dim)


def normalize(input: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim`` (``torch.nn.functional.normalize``).

    A zero vector stays zero, with a finite gradient.

    >>> normalize(Tensor([[3.0, 4.0]]))
    tensor([[0.6, 0.8]])
    """
    from .reductions import vector_norm

    x = _float(input, "normalize")
    return x / clamp(vector_norm(x, p, dim, keepdim=True), min=eps)
