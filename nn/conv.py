"""Convolution and pooling over images (N, C, H, W) (and sequences (N, C, L)), built from autograd ops.

Every function here is a composition of differentiable primitives, so gradients
(of any order) come from the engine and nothing here defines a derivative:

- ``conv2d`` is im2col plus one matrix product: ``pad`` -> ``sliding_window`` (a
  strided view of every window, no copy) -> ``permute``/``reshape`` to a
  ``(C*kh*kw, N*OH*OW)`` column matrix -> one ``matmul`` with the weight seen as
  ``(O, C*kh*kw)`` -> ``reshape``/``permute`` back to ``(N, O, OH, OW)``. The
  gradient of the window view adds each window back where it came from (col2im).
- pooling copies the same window view to ``(kh*kw, N, C, OH, OW)`` and reduces
  (``max``, ``sum``) over the first axis.
- ``adaptive_avg_pool2d`` multiplies by two constant averaging matrices.
- ``dilation`` takes every d-th element of a window d*(k-1)+1 wide (a slice of the view);
  ``groups`` turns the one matmul into a batched matmul over the groups; ``conv1d`` is a
  ``conv2d`` of height 1; ``conv_transpose2d`` is a ``conv2d`` of the input spread out with
  zeros, with the kernel flipped; ``max_unpool2d`` scatters values back to their indices.

Memory layout matters for speed, not for results: the copies above are ordered to
follow the input's memory order, so after the first convolution activations stay
"batch innermost" (a permuted view) and every copy runs over long contiguous rows.

Inputs may also be unbatched ``(C, H, W)``, as in PyTorch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.graph import op_scope  # composites draw as one op (autograd.drawing)

from . import init
from .module import Module, Parameter

_memory_order = ag.ops.memory_order  # the axes from outermost to innermost in memory

__all__ = [
    "conv2d", "max_pool2d", "avg_pool2d", "lp_pool2d", "adaptive_avg_pool2d",
    "Conv2d", "MaxPool2d", "AvgPool2d", "LPPool2d", "AdaptiveAvgPool2d",
]  # fmt: skip
__all__ += ["conv1d", "conv_transpose2d", "max_unpool2d", "Conv1d", "ConvTranspose2d", "MaxUnpool2d"]


# ``who`` below names the caller in error messages: a function's name, or the module itself, whose
# ``repr`` (e.g. ``Conv2d(3, 6, kernel_size=(5, 5), ...)``) is only built if an error is raised.
def _pair(v: Any, what: str, who: Any) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; ``(2, 3)`` stays; anything else is a clear error."""
    pair = (v, v) if isinstance(v, (int, np.integer)) else tuple(v)
    if len(pair) != 2 or not all(isinstance(p, (int, np.integer)) for p in pair):
        raise TypeError(f"{who}: {what} must be an int or a pair of ints, got {v!r}")
    return int(pair[0]), int(pair[1])


def _batched(x: Any, who: Any) -> tuple[Tensor, bool]:
    """The input as 4-D (N, C, H, W), and whether it was unbatched (C, H, W)."""
    x = ag.as_tensor(x)
    if x.ndim == 3:
        return ag.reshape(x, (1,) + x.shape), True
    if x.ndim != 4:
        raise ValueError(
            f"{who}: expected a 4-D input (N, C, H, W) or an unbatched 3-D input (C, H, W), got shape {x.shape}"
        )
    return x, False


def _unbatch(y: Tensor, unbatched: bool) -> Tensor:
    return ag.reshape(y, y.shape[1:]) if unbatched else y


def _span(kernel: tuple, dilation: tuple) -> tuple[int, int]:
    """The extent of a dilated kernel: ``d * (k - 1) + 1`` per dim."""
    return tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))  # type: ignore[return-value]


def _out_size(
    x: Tensor, kernel: tuple, stride: tuple, padding: tuple, who: Any, ceil_mode: bool = False, dilation: tuple = (1, 1)
) -> tuple:
    """Output size per spatial dim, and the extra bottom/right padding ``ceil_mode`` needs.

    ``ceil_mode`` rounds the number of windows up (PyTorch's rule: the last window must still
    start inside the input or its left padding).
    """
    sizes, extra = [], []
    span = _span(kernel, dilation)
    for n, k, s, p in zip(x.shape[2:], span, stride, padding):
        room = n + 2 * p - k
        if room < 0:
            raise ValueError(
                f"{who}: kernel {tuple(kernel)}"
                + (f" dilated by {dilation}" if dilation != (1, 1) else "")
                + f" is larger than the input's spatial size {x.shape[2:]}"
                + (f" padded by {padding}" if any(padding) else "")
            )
        o = (-(-room // s) if ceil_mode else room // s) + 1
        if ceil_mode and (o - 1) * s >= n + p:
            o -= 1
        sizes.append(o)
        extra.append(max(0, (o - 1) * s + k - (n + 2 * p)))
    return tuple(sizes), tuple(extra)


def _pad_hw(
    x: Tensor, padding: tuple, value: float = 0.0, batch_innermost: bool = False, extra: tuple = (0, 0)
) -> Tensor:
    """Pad the spatial dims by ``padding`` on each side plus ``extra`` at the bottom/right.
    ``batch_innermost``: the copy is laid out (C, H, W, N) in memory (the same copy, reading the
    input in its order and writing in that one)."""
    (ph, pw), (eh, ew) = padding, extra
    if padding == (0, 0) and extra == (0, 0):
        return x
    if batch_innermost and _memory_order(x)[0] == 0:
        inner = ag.pad(ag.permute(x, (1, 2, 3, 0)), ((0, 0), (ph, ph + eh), (pw, pw + ew), (0, 0)), value=value)
        return ag.permute(inner, (3, 0, 1, 2))
    return ag.pad(x, ((0, 0), (0, 0), (ph, ph + eh), (pw, pw + ew)), value=value)


def _check_args(who: Any, **values: tuple) -> None:
    lows = {"kernel_size": 1, "stride": 1, "padding": 0, "dilation": 1}
    for name, v in values.items():
        if min(v) < lows[name]:
            raise ValueError(f"{who}: {name} must be >= {lows[name]}, got {v}")


def _padded(
    x: Tensor, kernel: tuple, stride: tuple, padding: tuple, who: Any, value: float = 0.0,
    batch_innermost: bool = False, dilation: tuple = (1, 1), ceil_mode: bool = False,
) -> Tensor:  # fmt: skip
    """The input padded for windows of ``kernel`` at ``stride`` (checked: sizes, kernel fits)."""
    _check_args(who, kernel_size=kernel, stride=stride, padding=padding, dilation=dilation)
    _, extra = _out_size(x, kernel, stride, padding, who, ceil_mode, dilation)
    return _pad_hw(x, padding, value, batch_innermost, extra)


def _dilated_windows(padded: Tensor, kernel: tuple, stride: tuple, dilation: tuple) -> Tensor:
    """(N, C, OH, OW, kh, kw): every (dilated) window of ``padded``, as a view.

    A dilated window is every ``d``-th element of a window ``d * (k - 1) + 1`` wide: the view of
    the wide windows, sliced (still a view; its gradient puts zeros between the taps).
    """
    win = ag.sliding_window(padded, _span(kernel, dilation), stride)
    if dilation != (1, 1):
        win = win[..., :: dilation[0], :: dilation[1]]
    return win


def _window_totals(
    x: Tensor, kernel: tuple, stride: tuple, padding: tuple, who: Any, ceil_mode: bool = False
) -> Tensor:
    """(N, C, OH, OW): the sum of every window of the zero-padded input (sum pooling)."""
    return ag.window_totals(_padded(x, kernel, stride, padding, who, ceil_mode=ceil_mode), kernel, stride)


def _window_stack(
    x: Tensor, kernel: tuple, stride: tuple, padding: tuple, who: Any, value: float = 0.0,
    dilation: tuple = (1, 1), ceil_mode: bool = False,
) -> Tensor:  # fmt: skip
    """(kh*kw, N, C, OH, OW) as a view of a copy whose last four axes follow ``x``'s memory order.

    Pooling reduces over axis 0 of this: NumPy reduces a leading axis with k*k long
    vectorised passes, 10x faster than reducing the two tiny trailing axes of the
    window view; and following the input's layout keeps the copy a run of long rows.
    """
    padded = _padded(x, kernel, stride, padding, who, value, dilation=dilation, ceil_mode=ceil_mode)
    win = _dilated_windows(padded, kernel, stride, dilation)
    order = _memory_order(padded)
    stack = ag.reshape(ag.permute(win, (4, 5) + order), (kernel[0] * kernel[1],) + tuple(win.shape[a] for a in order))
    return ag.permute(stack, (0,) + tuple(1 + int(a) for a in np.argsort(order)))


# ============================================================ functional forms
def _same_padding(x: Tensor, kernel: tuple, stride: tuple, dilation: tuple, who: Any) -> tuple[Tensor, tuple]:
    """``padding='same'``: output size = input size (stride 1). An odd total pads one more at the
    bottom/right, as PyTorch; that asymmetric part is padded here, the rest is returned."""
    if stride != (1, 1):
        raise ValueError(f"{who}: padding='same' needs stride 1, got stride {stride}")
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    if any(v % 2 for v in total):
        x = ag.pad(x, ((0, 0), (0, 0), (0, total[0] % 2), (0, total[1] % 2)))
    return x, (total[0] // 2, total[1] // 2)


@op_scope("conv2d")
def conv2d(
    input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1, groups: int = 1,
    *, _who: Any = "conv2d",
) -> Tensor:  # fmt: skip
    """2-D cross-correlation, PyTorch's ``conv2d``.

    ``input`` (N, C, H, W) or (C, H, W); ``weight`` (O, C / groups, kh, kw); ``bias`` (O,).
    Output (N, O, OH, OW) with ``OH = (H + 2*padding - dilation*(kh - 1) - 1) // stride + 1``.
    ``padding`` may also be ``'valid'`` (none) or ``'same'`` (stride 1). ``groups`` splits the
    channels into groups convolved separately (``groups = C``: a depthwise convolution).

    >>> x = ag.ones(1, 1, 3, 3)
    >>> conv2d(x, ag.ones(1, 1, 2, 2)).shape
    (1, 1, 2, 2)
    >>> conv2d(ag.ones(1, 4, 5, 5), ag.ones(4, 1, 3, 3), padding="same", dilation=2, groups=4).shape
    (1, 4, 5, 5)
    """
    x, unbatched = _batched(input, _who)
    weight = ag.as_tensor(weight)
    if weight.ndim != 4:
        raise ValueError(
            f"{_who}: weight must be 4-D (out_channels, in_channels / groups, kh, kw), got shape {weight.shape}"
        )
    n, c = x.shape[:2]
    o, wc, kh, kw = weight.shape
    groups = int(groups)
    if groups < 1 or c % groups or o % groups:
        raise ValueError(f"{_who}: groups={groups} must divide both the {c} input and the {o} output channels")
    if c != wc * groups:
        raise ValueError(
            f"{_who}: input of shape {x.shape[1:] if unbatched else x.shape} has {c} channels, but the weight of shape "
            f"{weight.shape} expects {wc * groups} input channels ({wc} per group x {groups} groups)"
        )
    if x.dtype != weight.dtype:
        raise ag.ops.mixed_dtypes("input", x.dtype, weight.dtype, _who)
    if bias is not None:
        bias = ag.as_tensor(bias)
        if bias.shape != (o,):
            raise ValueError(f"{_who}: bias must have shape ({o},), got {bias.shape}")
        if bias.dtype != weight.dtype:
            raise ag.ops.mixed_dtypes("bias", bias.dtype, weight.dtype, _who)
    stride, dilation = _pair(stride, "stride", _who), _pair(dilation, "dilation", _who)
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"{_who}: padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
        _check_args(_who, stride=stride, dilation=dilation)
        x, padding = _same_padding(x, (kh, kw), stride, dilation, _who) if padding == "same" else (x, (0, 0))
    padding = _pair(padding, "padding", _who)
    padded = _padded(x, (kh, kw), stride, padding, _who, batch_innermost=True, dilation=dilation)
    win = _dilated_windows(padded, (kh, kw), stride, dilation)  # (N, C, OH, OW, kh, kw), a view
    oh, ow = win.shape[2:4]
    # im2col: the window view copied to a (C*kh*kw, N*OH*OW) matrix, then one matmul with
    # the weight as (O, C*kh*kw). The batch axis goes innermost in the columns unless it is
    # the input's outermost axis (a user's (N, C, H, W) batch, when no padding copy moved it
    # innermost): the activations then stay "batch innermost", where this copy and its
    # gradient's col2im run over long contiguous rows (3-5x faster than rows of OW elements).
    batch_last = _memory_order(padded)[0] != 0
    cols_axes = (2, 3, 0) if batch_last else (0, 2, 3)
    cols = ag.reshape(ag.permute(win, (1, 4, 5) + cols_axes), (c * kh * kw, n * oh * ow))
    if groups == 1:
        w = ag.reshape(weight, (o, c * kh * kw))
        out = ag.matmul(w, cols) if bias is None else ag.addmm(ag.reshape(bias, (o, 1)), w, cols)  # (O, N*OH*OW)
    else:  # one product per group, as a batched matmul: (g, O/g, C/g*kh*kw) @ (g, C/g*kh*kw, N*OH*OW)
        w = ag.reshape(weight, (groups, o // groups, wc * kh * kw))
        out = ag.reshape(ag.matmul(w, ag.reshape(cols, (groups, wc * kh * kw, n * oh * ow))), (o, n * oh * ow))
        if bias is not None:
            out = out + ag.reshape(bias, (o, 1))
    if batch_last:
        out = ag.permute(ag.reshape(out, (o, oh, ow, n)), (3, 0, 1, 2))
    else:
        out = ag.permute(ag.reshape(out, (o, n, oh, ow)), (1, 0, 2, 3))
    return _unbatch(out, unbatched)


def _single(v: Any, what: str, who: Any) -> int:
    """``3`` or ``(3,)`` -> ``3``."""
    if isinstance(v, (tuple, list)) and len(v) == 1:
        v = v[0]
    if not isinstance(v, (int, np.integer)):
        raise TypeError(f"{who}: {what} must be an int or a 1-tuple, got {v!r}")
    return int(v)


@op_scope("conv1d")
def conv1d(
    input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1, groups: int = 1,
    *, _who: Any = "conv1d",
) -> Tensor:  # fmt: skip
    """1-D cross-correlation, PyTorch's ``conv1d``: ``input`` (N, C, L) or (C, L), ``weight``
    (O, C / groups, k); computed as a ``conv2d`` over a height of 1.

    >>> conv1d(ag.ones(2, 3, 10), ag.ones(4, 3, 3), stride=2).shape
    (2, 4, 4)
    """
    x = ag.as_tensor(input)
    if x.ndim not in (2, 3):
        raise ValueError(f"{_who}: expected a 3-D input (N, C, L) or an unbatched 2-D input (C, L), got {x.shape}")
    weight = ag.as_tensor(weight)
    if weight.ndim != 3:
        raise ValueError(f"{_who}: weight must be 3-D (out_channels, in_channels / groups, k), got {weight.shape}")
    pad = padding if isinstance(padding, str) else (0, _single(padding, "padding", _who))
    out = conv2d(
        ag.unsqueeze(x, -2), ag.unsqueeze(weight, -2), bias, (1, _single(stride, "stride", _who)), pad,
        (1, _single(dilation, "dilation", _who)), groups, _who=_who,
    )  # fmt: skip
    return ag.squeeze(out, -2)


def _dilate(x: Tensor, stride: tuple) -> Tensor:
    """Insert ``stride - 1`` zeros between neighbouring elements of the spatial dims (N, C, H, W)."""
    sh, sw = stride
    if stride == (1, 1):
        return x
    n, c, h, w = x.shape
    spread = ag.pad(ag.reshape(x, (n, c, h, 1, w, 1)), ((0, 0), (0, 0), (0, 0), (0, sh - 1), (0, 0), (0, sw - 1)))
    return ag.reshape(spread, (n, c, h * sh, w * sw))[:, :, : (h - 1) * sh + 1, : (w - 1) * sw + 1]


def _pad_or_crop(x: Tensor, top: int, bottom: int, left: int, right: int) -> Tensor:
    """Pad (positive) or crop (negative) each side of the spatial dims."""
    x = ag.pad(x, ((0, 0), (0, 0), (max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))))
    h, w = x.shape[2:]
    if min(top, bottom, left, right) < 0:
        x = x[:, :, max(-top, 0) : h - max(-bottom, 0), max(-left, 0) : w - max(-right, 0)]
    return x


@op_scope("conv_transpose2d")
def conv_transpose2d(
    input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
    groups: int = 1, dilation: Any = 1, *, _who: Any = "conv_transpose2d",
) -> Tensor:  # fmt: skip
    """Transposed convolution (the gradient of ``conv2d`` with respect to its input), PyTorch's
    ``conv_transpose2d``: ``weight`` (C, O / groups, kh, kw), output (N, O, OH, OW) with
    ``OH = (H - 1)*stride - 2*padding + dilation*(kh - 1) + output_padding + 1``.

    Computed as a ``conv2d`` (stride 1) of the input with zeros inserted between its elements,
    padded by ``dilation*(k - 1) - padding``, with the kernel flipped and its channel axes swapped.

    >>> conv_transpose2d(ag.ones(1, 2, 3, 3), ag.ones(2, 5, 3, 3), stride=2, padding=1, output_padding=1).shape
    (1, 5, 6, 6)
    """
    x, unbatched = _batched(input, _who)
    weight = ag.as_tensor(weight)
    if weight.ndim != 4:
        raise ValueError(
            f"{_who}: weight must be 4-D (in_channels, out_channels / groups, kh, kw), got shape {weight.shape}"
        )
    c, og, kh, kw = weight.shape
    groups = int(groups)
    if groups < 1 or c % groups:
        raise ValueError(f"{_who}: groups={groups} must divide the weight's {c} input channels")
    if x.shape[1] != c:
        raise ValueError(f"{_who}: input of shape {x.shape} has {x.shape[1]} channels, the weight {weight.shape} {c}")
    stride, padding = _pair(stride, "stride", _who), _pair(padding, "padding", _who)
    dilation, output_padding = _pair(dilation, "dilation", _who), _pair(output_padding, "output_padding", _who)
    _check_args(_who, stride=stride, padding=padding, dilation=dilation)
    if any(op >= max(s, d) or op < 0 for op, s, d in zip(output_padding, stride, dilation)):
        raise ValueError(f"{_who}: output_padding {output_padding} must be smaller than stride {stride} or dilation")
    # (C, O/g, kh, kw) -> (O, C/g, kh, kw), flipped: the weight of the equivalent convolution
    w = ag.reshape(weight, (groups, c // groups, og, kh, kw))
    w = ag.reshape(ag.permute(w, (0, 2, 1, 3, 4)), (groups * og, c // groups, kh, kw))[:, :, ::-1, ::-1]
    ph, pw = (d * (k - 1) - p for d, k, p in zip(dilation, (kh, kw), padding))
    x = _pad_or_crop(_dilate(x, stride), ph, ph + output_padding[0], pw, pw + output_padding[1])
    out = conv2d(x, w, bias, 1, 0, dilation, groups, _who=_who)
    return _unbatch(out, unbatched)


def _kernel_stride(kernel_size: Any, stride: Any, who: Any) -> tuple[tuple[int, int], tuple[int, int]]:
    """Kernel and stride as pairs; the stride defaults to the kernel size (every pooling layer)."""
    k = _pair(kernel_size, "kernel_size", who)
    return k, (k if stride is None or stride == () else _pair(stride, "stride", who))


def _pool_args(
    kernel_size: Any, stride: Any, padding: Any, who: Any, dilation: Any = 1
) -> tuple[tuple, tuple, tuple, tuple]:
    """Kernel, stride (the kernel by default), padding and dilation as pairs; padding at most half
    the (dilated) kernel."""
    k, s = _kernel_stride(kernel_size, stride, who)
    p, d = _pair(padding, "padding", who), _pair(dilation, "dilation", who)
    span = _span(k, d)
    if p[0] > span[0] // 2 or p[1] > span[1] // 2:
        raise ValueError(f"{who}: padding {p} must be at most half the kernel size {k}" + (
            f" dilated by {d}" if d != (1, 1) else ""))  # fmt: skip
    return k, s, p, d


@op_scope("max_pool2d")
def max_pool2d(
    input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
    return_indices: bool = False, *, _who: Any = "max_pool2d",
) -> Any:  # fmt: skip
    """Largest value of each window; padding counts as -inf (never picked). PyTorch's arguments.

    Tied maxima in a window share the gradient evenly (PyTorch gives all of it to one).
    ``return_indices=True`` also returns, for each output, the position of its maximum in the
    flattened (H, W) input plane (the first in window order, as PyTorch), for ``max_unpool2d``.

    >>> max_pool2d(ag.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    >>> max_pool2d(ag.arange(16.0).reshape(1, 1, 4, 4), 2, return_indices=True)[1].tolist()
    [[[[5, 7], [13, 15]]]]
    """
    x, unbatched = _batched(input, _who)
    k, s, p, d = _pool_args(kernel_size, stride, padding, _who, dilation)
    stack = _window_stack(x, k, s, p, _who, value=-np.inf, dilation=d, ceil_mode=bool(ceil_mode))
    out = _unbatch(ag.amax(stack, dim=0), unbatched)
    if not return_indices:
        return out
    first = stack.data.argmax(axis=0)  # (N, C, OH, OW): the window offset of the first maximum
    oh, ow = first.shape[2:]
    rows = (np.arange(oh) * s[0] - p[0])[:, None] + (first // k[1]) * d[0]
    cols = (np.arange(ow) * s[1] - p[1])[None, :] + (first % k[1]) * d[1]
    indices = (rows * x.shape[3] + cols).astype(np.int64)
    return out, Tensor(indices[0] if unbatched else indices)


@op_scope("max_unpool2d")
def max_unpool2d(
    input: Any, indices: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, output_size: Any = None,
    *, _who: Any = "max_unpool2d",
) -> Tensor:  # fmt: skip
    """The partial inverse of ``max_pool2d``: each value put back at its ``indices`` (from
    ``max_pool2d(..., return_indices=True)``), zeros elsewhere. The output is
    ``(H - 1)*stride - 2*padding + kernel_size`` high (and wide), or ``output_size``.
    Values that share an index add up (PyTorch keeps one of them).

    >>> y, i = max_pool2d(ag.arange(16.0).reshape(1, 1, 4, 4), 2, return_indices=True)
    >>> max_unpool2d(y, i, 2).tolist()[0][0][1]
    [0.0, 5.0, 0.0, 7.0]
    """
    x, unbatched = _batched(input, _who)
    idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if unbatched:
        idx = idx.reshape((1,) + idx.shape)
    if idx.shape != x.shape or idx.dtype.kind not in "iu":
        raise ValueError(
            f"{_who}: indices must be integers of the input's shape {x.shape}, got {idx.dtype} {idx.shape}"
        )
    k, s = _kernel_stride(kernel_size, stride, _who)
    p = _pair(padding, "padding", _who)
    if output_size is None:
        size = tuple((n - 1) * st - 2 * pd + kk for n, st, pd, kk in zip(x.shape[2:], s, p, k))
    else:
        size = tuple(int(v) for v in tuple(output_size)[-2:])
    n, c = x.shape[:2]
    plane = size[0] * size[1]
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        raise ValueError(f"{_who}: indices must be in [0, {plane}) for an output of size {size}, got {idx.max()}")
    flat = ag.reshape(x, (n, c, -1))
    spread = ag.apply(
        ag.ops.scatter_along, (flat,), {"index": idx.reshape(n, c, -1), "axis": 2, "shape": (n, c, plane)}
    )
    return _unbatch(ag.reshape(spread, (n, c) + size), unbatched)


@op_scope("avg_pool2d")
def avg_pool2d(
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
    *,
    _who: Any = "avg_pool2d",
) -> Tensor:
    """Mean of each window. Padded zeros count in the mean unless ``count_include_pad=False``.

    Arguments in PyTorch's order. With ``ceil_mode`` the last windows may reach past the padded
    input; the part past it never counts (PyTorch's rule). ``divisor_override`` replaces the count.

    >>> avg_pool2d(ag.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    x, unbatched = _batched(input, _who)
    k, s, p, _ = _pool_args(kernel_size, stride, padding, _who)
    total = _window_totals(x, k, s, p, _who, ceil_mode=bool(ceil_mode))
    if divisor_override is not None:
        out = total * (1.0 / divisor_override)
    elif total.shape[2:] == _out_size(x, k, s, p, _who)[0] and (count_include_pad or p == (0, 0)):
        out = total * (1.0 / (k[0] * k[1]))  # every window is whole: one divisor
    else:  # divide each window by the number of elements that count: real ones (and padding if included)
        (oh, ow), (eh, ew) = _out_size(x, k, s, p, _who, bool(ceil_mode))
        h, w = x.shape[2:]
        counted = np.zeros((h + 2 * p[0] + eh, w + 2 * p[1] + ew), x.dtype if x.dtype.kind == "f" else np.float64)
        if count_include_pad:
            counted[: h + 2 * p[0], : w + 2 * p[1]] = 1
        else:
            counted[p[0] : p[0] + h, p[1] : p[1] + w] = 1
        counts = np.lib.stride_tricks.sliding_window_view(counted, k)[:: s[0], :: s[1]].sum(axis=(2, 3))
        out = total / counts.astype(counted.dtype)
    return _unbatch(out, unbatched)


@op_scope("lp_pool2d")
def lp_pool2d(input: Any, norm_type: float, kernel_size: Any, stride: Any = None, *, _who: Any = "lp_pool2d") -> Tensor:
    """Power-average pooling: ``(sum of x**p over each window) ** (1/p)``; p=2 is L2 pooling.

    >>> lp_pool2d(ag.full((1, 1, 2, 2), 3.0), 2, 2).tolist()
    [[[[6.0]]]]
    """
    x, unbatched = _batched(input, _who)
    k, s = _kernel_stride(kernel_size, stride, _who)
    p = float(norm_type)
    if p <= 0:
        raise ValueError(f"{_who}: norm_type must be positive, got {norm_type}")
    total = _window_totals(x**p, k, s, (0, 0), _who)
    return _unbatch(total ** (1.0 / p), unbatched)


def _avg_matrix(n_in: int, n_out: int, dtype: Any) -> np.ndarray:
    """(n_out, n_in): row i averages PyTorch's adaptive bin [floor(i*n/m), ceil((i+1)*n/m))."""
    m = np.zeros((n_out, n_in), dtype)
    for i in range(n_out):  # builds a constant, once per call: not a loop over the data
        lo, hi = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m


@op_scope("adaptive_avg_pool2d")
def adaptive_avg_pool2d(input: Any, output_size: Any, *, _who: Any = "adaptive_avg_pool2d") -> Tensor:
    """Average over PyTorch's adaptive bins so the output is ``output_size`` (``None`` keeps a size).

    ``adaptive_avg_pool2d(x, 1)`` is global average pooling.

    >>> adaptive_avg_pool2d(ag.arange(16.0).reshape(1, 1, 4, 4), 1).tolist()
    [[[[7.5]]]]
    """
    x, unbatched = _batched(input, _who)
    size = (output_size, output_size) if output_size is None or isinstance(output_size, int) else output_size
    if len(size) != 2:
        raise TypeError(f"{_who}: output_size must be an int or a pair, got {output_size!r}")
    h, w = x.shape[2:]
    oh, ow = (h if size[0] is None else int(size[0])), (w if size[1] is None else int(size[1]))
    if oh <= 0 or ow <= 0:
        raise ValueError(f"{_who}: output_size must be positive, got {output_size!r}")
    dtype = x.dtype if x.dtype.kind == "f" else ag.get_default_dtype()
    if h % oh == 0 and w % ow == 0:  # equal bins: plain average pooling
        k = (h // oh, w // ow)
        return _unbatch(_window_totals(x, k, k, (0, 0), _who) * (1.0 / (k[0] * k[1])), unbatched)
    out = ag.matmul(ag.matmul(_avg_matrix(h, oh, dtype), x), _avg_matrix(w, ow, dtype).T)
    return _unbatch(out, unbatched)


# ============================================================ modules
class _ConvNd(Module):
    """What the convolution layers share: arguments, PyTorch's initialisation, the repr."""

    _dims = 2
    _transposed = False

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
        groups: int, bias: bool, output_padding: Any = 0,
    ) -> None:  # fmt: skip
        super().__init__()
        name = type(self).__name__
        self.in_channels, self.out_channels, self.groups = int(in_channels), int(out_channels), int(groups)
        if self.groups < 1 or self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"{name}: groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}"
            )
        tuple_of = _pair if self._dims == 2 else (lambda v, what, who: (_single(v, what, who),))
        self.kernel_size = tuple_of(kernel_size, "kernel_size", name)
        self.stride = tuple_of(stride, "stride", name)
        self.padding = padding if isinstance(padding, str) else tuple_of(padding, "padding", name)
        self.dilation = tuple_of(dilation, "dilation", name)
        self.output_padding = tuple_of(output_padding, "output_padding", name)
        channels = (
            (self.in_channels, self.out_channels // self.groups)
            if self._transposed
            else (self.out_channels, self.in_channels // self.groups)
        )
        dtype = ag.get_default_dtype()
        self.weight = Parameter(np.empty(channels + self.kernel_size, dtype))
        if bias:
            self.bias = Parameter(np.empty(self.out_channels, dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's: ``kaiming_uniform_(a=sqrt(5))``, bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
        ``fan_in = weight.shape[1] * kernel size``."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * int(np.prod(self.kernel_size))
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        ones, zeros = (1,) * self._dims, (0,) * self._dims
        if self.padding != zeros:
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) else f", padding={self.padding}"
        if self.output_padding != zeros:
            s += f", output_padding={self.output_padding}"
        if self.dilation != ones:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        return s + ("" if self.bias is not None else ", bias=False")


class Conv2d(_ConvNd):
    """2-D convolution layer: ``weight`` (out_channels, in_channels / groups, kh, kw), ``bias`` (out_channels,).

    Initialised as PyTorch: ``kaiming_uniform_(weight, a=sqrt(5))`` and bias from
    ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with ``fan_in = in_channels / groups * kh * kw``.
    ``padding`` may be ``'valid'`` or ``'same'``. ``bias`` is the 6th argument (graphgrad's API);
    ``dilation`` and ``groups`` (PyTorch's 6th and 7th) are keyword-only here.

    >>> conv = Conv2d(1, 6, kernel_size=5, padding=2)
    >>> conv(ag.zeros(8, 1, 28, 28)).shape
    (8, 6, 28, 28)
    >>> Conv2d(4, 8, 3, groups=2, dilation=2).weight.shape
    (8, 2, 3, 3)
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
        bias: bool = True, *, dilation: Any = 1, groups: int = 1,
    ) -> None:  # fmt: skip
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias)

    def forward(self, x: Any) -> Tensor:
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups, _who=self)


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L): ``weight`` (out_channels, in_channels / groups, k). PyTorch's
    arguments in its order.

    >>> Conv1d(3, 8, 5, padding=2)(ag.zeros(4, 3, 20)).shape
    (4, 8, 20)
    """

    _dims = 1

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
        dilation: Any = 1, groups: int = 1, bias: bool = True,
    ) -> None:  # fmt: skip
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias)

    def forward(self, x: Any) -> Tensor:
        return conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups, _who=self)


class ConvTranspose2d(_ConvNd):
    """Transposed 2-D convolution (``conv_transpose2d``): ``weight`` (in_channels, out_channels / groups,
    kh, kw), PyTorch's layout, arguments and initialisation.

    >>> ConvTranspose2d(8, 4, 4, stride=2, padding=1)(ag.zeros(1, 8, 5, 5)).shape
    (1, 4, 10, 10)
    """

    _transposed = True

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
        output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
    ) -> None:  # fmt: skip
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, output_padding
        )

    def forward(self, x: Any, output_size: Any = None) -> Tensor:
        output_padding = self.output_padding
        if output_size is not None:  # PyTorch's: the output_padding that gives this size
            x = ag.as_tensor(x)
            want = tuple(int(v) for v in tuple(output_size)[-2:])
            base = tuple(
                (n - 1) * s - 2 * p + d * (k - 1) + 1
                for n, s, p, d, k in zip(x.shape[-2:], self.stride, self.padding, self.dilation, self.kernel_size)
            )
            output_padding = tuple(w - b for w, b in zip(want, base))
        return conv_transpose2d(
            x, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups, self.dilation, _who=self
        )


class _Pool(Module):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.dilation = _pool_args(
            kernel_size, stride, padding, type(self).__name__, dilation
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool):
    """Max pooling; ``stride`` defaults to ``kernel_size``. PyTorch's arguments, in its order.

    ``return_indices=True`` returns ``(output, indices)`` for ``MaxUnpool2d``.

    >>> MaxPool2d(2)(ag.zeros(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
    >>> MaxPool2d(2, ceil_mode=True)(ag.zeros(1, 3, 7, 7)).shape
    (1, 3, 4, 4)
    """

    def __init__(
        self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1, return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:  # fmt: skip
        super().__init__(kernel_size, stride, padding, dilation)
        self.return_indices, self.ceil_mode = bool(return_indices), bool(ceil_mode)

    def forward(self, x: Any) -> Any:
        return max_pool2d(
            x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode, self.return_indices,
            _who=self,
        )  # fmt: skip

    def extra_repr(self) -> str:
        return super().extra_repr() + f", dilation={self.dilation}, ceil_mode={self.ceil_mode}"


class MaxUnpool2d(Module):
    """Put max-pooled values back where ``MaxPool2d(..., return_indices=True)`` found them, zeros elsewhere.

    >>> pool, unpool = MaxPool2d(2, return_indices=True), MaxUnpool2d(2)
    >>> y, i = pool(ag.randn(1, 1, 4, 4))
    >>> unpool(y, i).shape
    (1, 1, 4, 4)
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size, self.stride = _kernel_stride(kernel_size, stride, "MaxUnpool2d")
        self.padding = _pair(padding, "padding", "MaxUnpool2d")

    def forward(self, x: Any, indices: Any, output_size: Any = None) -> Tensor:
        return max_unpool2d(x, indices, self.kernel_size, self.stride, self.padding, output_size, _who=self)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_Pool):
    """Average pooling; padded zeros count in the average (PyTorch's default).

    >>> AvgPool2d(2, stride=2)(ag.zeros(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
    """

    def __init__(
        self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
        count_include_pad: bool = True, divisor_override: int | None = None,
    ) -> None:  # fmt: skip
        super().__init__(kernel_size, stride, padding)
        self.ceil_mode, self.count_include_pad = bool(ceil_mode), bool(count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x: Any) -> Tensor:
        return avg_pool2d(
            x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
            self.divisor_override, _who=self,
        )  # fmt: skip


class LPPool2d(Module):
    """Power-average pooling ``(sum x**p)**(1/p)`` over each window (``norm_type=2``: L2 pooling).

    >>> LPPool2d(2, 2)(ag.ones(1, 1, 4, 4)).tolist()
    [[[[2.0, 2.0], [2.0, 2.0]]]]
    """

    def __init__(self, norm_type: float, kernel_size: Any, stride: Any = None) -> None:
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size, self.stride = _kernel_stride(kernel_size, stride, "LPPool2d")

    def forward(self, x: Any) -> Tensor:
        return lp_pool2d(x, self.norm_type, self.kernel_size, self.stride, _who=self)

    def extra_repr(self) -> str:
        return f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size; ``AdaptiveAvgPool2d(1)`` is global average pooling.

    >>> AdaptiveAvgPool2d((1, 1))(ag.zeros(2, 5, 7, 7)).shape
    (2, 5, 1, 1)
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Any) -> Tensor:
        return adaptive_avg_pool2d(x, self.output_size, _who=self)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
