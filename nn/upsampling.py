"""``F.interpolate`` and ``nn.Upsample``: resizing (N, C, *spatial) inputs, with PyTorch's index rules.

Resizing is separable: one spatial dim at a time, ``nearest`` picks one source element per
output position (an integer index), the linear modes mix the two neighbours
``x[i0] * (1 - t) + x[i1] * t``. Gradients come from indexing and arithmetic.

>>> import autograd as ag
>>> interpolate(ag.tensor([[[1.0, 2.0]]]), scale_factor=2).tolist()
[[[1.0, 1.0, 2.0, 2.0]]]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.graph import op_scope  # composites draw as one op (autograd.drawing)

from .conv import adaptive_avg_pool2d
from .module import Module

__all__ = ["interpolate", "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]

_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3}


def _per_dim(value: Any, dims: int, what: str) -> tuple:
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims
    if len(values) != dims:
        raise ValueError(f"interpolate: {what} must have one entry per spatial dim ({dims}), got {value!r}")
    return values


def _along(x: Tensor, axis: int, index: np.ndarray) -> Tensor:
    return ag.getitem(x, (slice(None),) * axis + (index,))


@op_scope("interpolate")
def interpolate(
    input: Any,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
) -> Tensor:
    """Resize the spatial dims of ``input`` (N, C, *spatial) to ``size``, or by ``scale_factor``.

    Modes: ``'nearest'`` (source ``floor(i * in / out)``, PyTorch's rule, computed in float32 as
    PyTorch does), ``'nearest-exact'`` (``floor((i + 0.5) * in / out)``), ``'linear'`` (3-D input),
    ``'bilinear'`` (4-D), ``'trilinear'`` (5-D), and ``'area'`` (4-D: adaptive average pooling).
    With ``align_corners=True`` the linear modes map the corner pixels onto each other; by default
    pixel centres are aligned. With ``scale_factor`` the source positions use ``1 / scale_factor``
    unless ``recompute_scale_factor=True`` (then ``in / out``), as PyTorch.

    >>> x = ag.tensor([[[1.0, 3.0]]])
    >>> interpolate(x, size=3, mode="linear", align_corners=True).tolist()
    [[[1.0, 2.0, 3.0]]]
    """
    x = ag.as_tensor(input)
    dims = x.ndim - 2
    if dims not in (1, 2, 3):
        raise ValueError(f"interpolate: expected a 3-D, 4-D or 5-D input (N, C, *spatial), got shape {x.shape}")
    if mode in _LINEAR and _LINEAR[mode] != dims:
        raise ValueError(f"interpolate: mode={mode!r} needs a {_LINEAR[mode] + 2}-D input, got shape {x.shape}")
    if mode not in _LINEAR and mode not in ("nearest", "nearest-exact", "area"):
        raise NotImplementedError(f"interpolate: mode={mode!r} is not implemented (nearest, nearest-exact, linear, "
                                  "bilinear, trilinear, area)")  # fmt: skip
    if align_corners is not None and mode not in _LINEAR:
        raise ValueError(f"interpolate: align_corners is only for the linear modes, not mode={mode!r}")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    spatial = x.shape[2:]
    if size is not None:
        out = tuple(int(s) for s in _per_dim(size, dims, "size"))
        scales: tuple = (None,) * dims
    else:
        factors = tuple(float(f) for f in _per_dim(scale_factor, dims, "scale_factor"))
        out = tuple(int(math.floor(n * f)) for n, f in zip(spatial, factors))
        scales = (None,) * dims if recompute_scale_factor else factors
    if min(out) <= 0:
        raise ValueError(f"interpolate: the output size {out} must be positive (input spatial size {spatial})")
    if mode == "area":
        if dims != 2:
            raise NotImplementedError(f"interpolate: mode='area' is implemented for 4-D inputs, got shape {x.shape}")
        return adaptive_avg_pool2d(x, out)
    for d, (n, m, factor) in enumerate(zip(spatial, out, scales)):
        axis = 2 + d
        if mode in ("nearest", "nearest-exact"):
            # PyTorch computes these source indices in float32
            scale = np.float32(1.0 / factor) if factor is not None else np.float32(n) / np.float32(m)
            shift = np.float32(0.5 if mode == "nearest-exact" else 0.0)
            src = np.floor((np.arange(m, dtype=np.float32) + shift) * scale).astype(np.int64)
            if n != m or factor is not None:
                x = _along(x, axis, np.minimum(src, n - 1))
            continue
        if align_corners:
            scale = (n - 1) / (m - 1) if m > 1 else 0.0
            src = np.arange(m) * scale
        else:
            scale = 1.0 / factor if factor is not None else n / m
            src = np.maximum((np.arange(m) + 0.5) * scale - 0.5, 0.0)
        i0 = np.minimum(np.floor(src).astype(np.int64), n - 1)
        i1 = np.minimum(i0 + 1, n - 1)
        dtype = x.dtype if x.dtype.kind == "f" else ag.get_default_dtype()
        t = (src - i0).astype(dtype).reshape((m,) + (1,) * (x.ndim - 1 - axis))
        x = _along(x, axis, i0) * (1 - t) + _along(x, axis, i1) * t
    return x


class Upsample(Module):
    """``interpolate`` as a layer: ``Upsample(size=None, scale_factor=None, mode='nearest', align_corners=None)``.

    >>> Upsample(scale_factor=2, mode="bilinear")(ag.zeros(1, 3, 4, 5)).shape
    (1, 3, 8, 10)
    """

    def __init__(
        self, size: Any = None, scale_factor: Any = None, mode: str = "nearest", align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ) -> None:  # fmt: skip
        super().__init__()
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, x: Any) -> Tensor:
        return interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners, self.recompute_scale_factor)

    def extra_repr(self) -> str:
        what = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``Upsample(..., mode='nearest')`` for 4-D inputs."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, "nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample(..., mode='bilinear', align_corners=True)`` (PyTorch's choice for this class)."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, "bilinear", align_corners=True)
