"""Normalisation over features rather than the batch: ``LayerNorm`` and ``GroupNorm``.

Both normalise each sample on its own (mean and *biased* variance), so they behave the
same in training and evaluation and keep no running statistics. No derivative is defined
here: ``layer_norm`` with a weight and a bias is autograd's ``layer_norm`` primitive (one op
instead of about nine, for speed), anything else a composition of autograd ops.

>>> import autograd as ag
>>> [round(v, 4) for v in LayerNorm(2)(ag.tensor([[1.0, 3.0]])).data.ravel().tolist()]
[-1.0, 1.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.graph import op_scope  # composites draw as one op (autograd.drawing)

from .module import Module, Parameter

__all__ = ["layer_norm", "group_norm", "LayerNorm", "GroupNorm"]


def _normalize(x: Tensor, axes: tuple[int, ...], eps: float) -> Tensor:
    """``(x - mean) / sqrt(var + eps)`` over ``axes``, with the biased variance."""
    centered = x - ag.mean(x, dim=axes, keepdim=True)
    var = ag.mean(centered * centered, dim=axes, keepdim=True)
    return centered * (var + eps) ** -0.5


def _shape_arg(shape: Any) -> tuple[int, ...]:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)


@op_scope("layer_norm")
def layer_norm(input: Any, normalized_shape: Any, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dims, then scale by ``weight`` and shift by ``bias``.

    >>> x = ag.tensor([[0.0, 2.0, 4.0]])
    >>> [round(v, 3) for v in layer_norm(x, (3,)).data.ravel().tolist()]
    [-1.225, 0.0, 1.225]
    """
    x = ag.as_tensor(input)
    shape = _shape_arg(normalized_shape)
    k = len(shape)
    if k == 0 or x.shape[x.ndim - k :] != shape or x.ndim < k:
        raise ValueError(
            f"layer_norm: normalized_shape {shape} must be the trailing dims of the input, got input shape {x.shape}"
        )
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(ag.as_tensor(p).shape) != shape:
            raise ValueError(f"layer_norm: {name} must have shape {shape}, got {ag.as_tensor(p).shape}")
    axes = tuple(range(x.ndim - k, x.ndim))
    if weight is not None and bias is not None and x.dtype.kind == "f":  # the usual case: one primitive
        w, b = ag.as_tensor(weight), ag.as_tensor(bias)
        if w.dtype == x.dtype and b.dtype == x.dtype:
            return ag.apply(ag.ops.layer_norm, (x, w, b), {"axes": axes, "eps": float(eps)})
    out = _normalize(x, axes, eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


@op_scope("group_norm")
def group_norm(input: Any, num_groups: int, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Tensor:
    """Split the channels (dim 1) into ``num_groups`` groups and normalise each group of each sample.

    ``input`` (N, C, *); ``weight`` and ``bias`` (C,), one per channel.

    >>> x = ag.tensor([[[1.0], [3.0], [5.0], [9.0]]])
    >>> [round(v, 3) for v in group_norm(x, 2).data.ravel().tolist()]
    [-1.0, 1.0, -1.0, 1.0]
    """
    x = ag.as_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"group_norm: expected an input (N, C, *) with at least 2 dims, got shape {x.shape}")
    n, c = x.shape[:2]
    if num_groups <= 0 or c % num_groups:
        raise ValueError(f"group_norm: {c} channels (dim 1 of shape {x.shape}) don't split into {num_groups} groups")
    grouped = ag.reshape(x, (n, num_groups, -1))
    out = ag.reshape(_normalize(grouped, (2,), eps), x.shape)
    shape = (c,) + (1,) * (x.ndim - 2)
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(ag.as_tensor(p).shape) != (c,):
            raise ValueError(f"group_norm: {name} must have shape ({c},), got {ag.as_tensor(p).shape}")
    if weight is not None:
        out = out * ag.reshape(weight, shape)
    if bias is not None:
        out = out + ag.reshape(bias, shape)
    return out


class LayerNorm(Module):
    """Layer normalisation over the trailing ``normalized_shape`` dims (PyTorch's ``nn.LayerNorm``).

    ``weight`` (ones) and ``bias`` (zeros) have shape ``normalized_shape`` when
    ``elementwise_affine``; ``bias=False`` leaves out the shift.

    >>> ln = LayerNorm(4)
    >>> ln(ag.randn(2, 3, 4)).shape, [k for k in ln.state_dict()]
    ((2, 3, 4), ['weight', 'bias'])
    """

    def __init__(
        self, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True
    ) -> None:
        super().__init__()
        self.normalized_shape = _shape_arg(normalized_shape)
        self.eps, self.elementwise_affine = float(eps), bool(elementwise_affine)
        dtype = ag.get_default_dtype()
        if self.elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype))
        else:
            self.register_parameter("weight", None)
        if self.elementwise_affine and bias:
            self.bias = Parameter(np.zeros(self.normalized_shape, dtype))
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Any) -> Tensor:
        try:
            return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        except ValueError as e:
            raise ValueError(f"{self!r}: {e}") from None

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    """Group normalisation (PyTorch's ``nn.GroupNorm``): ``num_channels`` split into ``num_groups``.

    ``GroupNorm(1, C)`` normalises over all of (C, H, W) per sample; ``GroupNorm(C, C)`` is
    instance normalisation with a per-channel affine. ``weight`` ones, ``bias`` zeros, shape (C,).

    >>> GroupNorm(2, 4)(ag.randn(3, 4, 5, 5)).shape
    (3, 4, 5, 5)
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True) -> None:
        super().__init__()
        if num_groups <= 0 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels={num_channels} must be divisible by num_groups={num_groups}")
        self.num_groups, self.num_channels = int(num_groups), int(num_channels)
        self.eps, self.affine = float(eps), bool(affine)
        dtype = ag.get_default_dtype()
        if self.affine:
            self.weight = Parameter(np.ones(self.num_channels, dtype))
            self.bias = Parameter(np.zeros(self.num_channels, dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: Any) -> Tensor:
        x = ag.as_tensor(x)
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"{self!r}: expected an input (N, {self.num_channels}, *), got shape {x.shape}")
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"
