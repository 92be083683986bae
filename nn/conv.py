"""Convolution and pooling over images (N, C, H, W), built from autograd ops.

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


def _out_size(x: Tensor, kernel: tuple, stride: tuple, padding: tuple, who: Any) -> tuple[int, int]:
    h, w = x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1]
    if kernel[0] > h or kernel[1] > w:
        raise ValueError(
            f"{who}: kernel {kernel} is larger than the input's spatial size {x.shape[2:]}"
            + (f" padded by {padding} to {(h, w)}" if any(padding) else "")
        )
    return (h - kernel[0]) // stride[0] + 1, (w - kernel[1]) // stride[1] + 1


def _pad_hw(x: Tensor, padding: tuple[int, int], value: float = 0.0, batch_innermost: bool = False) -> Tensor:
    """Pad the spatial dims. ``batch_innermost``: the copy is laid out (C, H, W, N) in memory
    (the same copy, reading the input in its order and writing in that one)."""
    if padding == (0, 0):
        return x
    ph, pw = padding
    if batch_innermost and _memory_order(x)[0] == 0:
        inner = ag.pad(ag.permute(x, (1, 2, 3, 0)), ((0, 0), (ph, ph), (pw, pw), (0, 0)), value=value)
        return ag.permute(inner, (3, 0, 1, 2))
    return ag.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), value=value)


def _padded(
    x: Tensor, kernel: tuple, stride: tuple, padding: tuple, who: Any, value: float = 0.0, batch_innermost: bool = False
) -> Tensor:
    """The input padded for windows of ``kernel`` at ``stride`` (checked: sizes, kernel fits)."""
    for name, v, low in (("kernel_size", kernel, 1), ("stride", stride, 1), ("padding", padding, 0)):
        if min(v) < low:
            raise ValueError(f"{who}: {name} must be >= {low}, got {v}")
    _out_size(x, kernel, stride, padding, who)
    return _pad_hw(x, padding, value, batch_innermost)


def _windows(
    x: Tensor, kernel: tuple, stride: tuple, padding: tuple, who: Any, value: float = 0.0
) -> tuple[Tensor, Tensor]:
    """(N, C, OH, OW, kh, kw): every window of the padded input, as a view; and the padded input."""
    padded = _padded(x, kernel, stride, padding, who, value)
    return ag.sliding_window(padded, kernel, stride), padded


def _window_totals(x: Tensor, kernel: tuple, stride: tuple, padding: tuple, who: Any) -> Tensor:
    """(N, C, OH, OW): the sum of every window of the zero-padded input (sum pooling)."""
    return ag.window_totals(_padded(x, kernel, stride, padding, who), kernel, stride)


def _window_stack(x: Tensor, kernel: tuple, stride: tuple, padding: tuple, who: Any, value: float = 0.0) -> Tensor:
    """(kh*kw, N, C, OH, OW) as a view of a copy whose last four axes follow ``x``'s memory order.

    Pooling reduces over axis 0 of this: NumPy reduces a leading axis with k*k long
    vectorised passes, 10x faster than reducing the two tiny trailing axes of the
    window view; and following the input's layout keeps the copy a run of long rows.
    """
    win, padded = _windows(x, kernel, stride, padding, who, value)
    order = _memory_order(padded)
    stack = ag.reshape(ag.permute(win, (4, 5) + order), (kernel[0] * kernel[1],) + tuple(win.shape[a] for a in order))
    return ag.permute(stack, (0,) + tuple(1 + int(a) for a in np.argsort(order)))


# ============================================================ functional forms
@op_scope("conv2d")
def conv2d(
    input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, *, _who: Any = "conv2d"
) -> Tensor:
    """2-D cross-correlation, PyTorch's ``conv2d`` (no groups/dilation).

    ``input`` (N, C, H, W) or (C, H, W); ``weight`` (O, C, kh, kw); ``bias`` (O,).
    Output (N, O, OH, OW) with ``OH = (H + 2*padding - kh) // stride + 1``.

    >>> x = ag.ones(1, 1, 3, 3)
    >>> conv2d(x, ag.ones(1, 1, 2, 2)).shape
    (1, 1, 2, 2)
    """
    x, unbatched = _batched(input, _who)
    weight = ag.as_tensor(weight)
    if weight.ndim != 4:
        raise ValueError(f"{_who}: weight must be 4-D (out_channels, in_channels, kh, kw), got shape {weight.shape}")
    n, c = x.shape[:2]
    o, wc, kh, kw = weight.shape
    if c != wc:
        raise ValueError(
            f"{_who}: input of shape {x.shape[1:] if unbatched else x.shape} has {c} channels, but the weight of shape "
            f"{weight.shape} expects {wc} input channels"
        )
    if bias is not None:
        bias = ag.as_tensor(bias)
        if bias.shape != (o,):
            raise ValueError(f"{_who}: bias must have shape ({o},), got {bias.shape}")
    stride, padding = _pair(stride, "stride", _who), _pair(padding, "padding", _who)
    padded = _padded(x, (kh, kw), stride, padding, _who, batch_innermost=True)
    win = ag.sliding_window(padded, (kh, kw), stride)  # (N, C, OH, OW, kh, kw), a view
    oh, ow = win.shape[2:4]
    # im2col: the window view copied to a (C*kh*kw, N*OH*OW) matrix, then one matmul with
    # the weight as (O, C*kh*kw). The batch axis goes innermost in the columns unless it is
    # the input's outermost axis (a user's (N, C, H, W) batch, when no padding copy moved it
    # innermost): the activations then stay "batch innermost", where this copy and its
    # gradient's col2im run over long contiguous rows (3-5x faster than rows of OW elements).
    batch_last = _memory_order(padded)[0] != 0
    cols_axes = (2, 3, 0) if batch_last else (0, 2, 3)
    cols = ag.reshape(ag.permute(win, (1, 4, 5) + cols_axes), (c * kh * kw, n * oh * ow))
    w = ag.reshape(weight, (o, c * kh * kw))
    out = ag.matmul(w, cols) if bias is None else ag.addmm(ag.reshape(bias, (o, 1)), w, cols)  # (O, N*OH*OW)
    if batch_last:
        out = ag.permute(ag.reshape(out, (o, oh, ow, n)), (3, 0, 1, 2))
    else:
        out = ag.permute(ag.reshape(out, (o, n, oh, ow)), (1, 0, 2, 3))
    return _unbatch(out, unbatched)


def _kernel_stride(kernel_size: Any, stride: Any, who: Any) -> tuple[tuple[int, int], tuple[int, int]]:
    """Kernel and stride as pairs; the stride defaults to the kernel size (every pooling layer)."""
    k = _pair(kernel_size, "kernel_size", who)
    return k, (k if stride is None else _pair(stride, "stride", who))


def _pool_args(kernel_size: Any, stride: Any, padding: Any, who: Any) -> tuple[tuple, tuple, tuple]:
    """Kernel, stride (the kernel by default) and padding as pairs; padding at most half the kernel."""
    k, s = _kernel_stride(kernel_size, stride, who)
    p = _pair(padding, "padding", who)
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"{who}: padding {p} must be at most half the kernel size {k}")
    return k, s, p


@op_scope("max_pool2d")
def max_pool2d(
    input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0, *, _who: Any = "max_pool2d"
) -> Tensor:
    """Largest value of each window; padding counts as -inf (never picked).

    Tied maxima in a window share the gradient evenly (PyTorch gives all of it to one).

    >>> max_pool2d(ag.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    x, unbatched = _batched(input, _who)
    k, s, p = _pool_args(kernel_size, stride, padding, _who)
    return _unbatch(ag.max(_window_stack(x, k, s, p, _who, value=-np.inf), dim=0), unbatched)


@op_scope("avg_pool2d")
def avg_pool2d(
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    *,
    _who: Any = "avg_pool2d",
) -> Tensor:
    """Mean of each window. Padded zeros count in the mean unless ``count_include_pad=False``.

    Arguments in PyTorch's order; ``ceil_mode=True`` is not implemented (a clear error).

    >>> avg_pool2d(ag.arange(16.0).reshape(1, 1, 4, 4), 2).tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    _no_ceil_mode(ceil_mode, _who)
    x, unbatched = _batched(input, _who)
    k, s, p = _pool_args(kernel_size, stride, padding, _who)
    total = _window_totals(x, k, s, p, _who)
    if count_include_pad or p == (0, 0):
        out = total * (1.0 / (k[0] * k[1]))
    else:  # divide by the number of real (unpadded) elements in each window
        ones = np.pad(np.ones(x.shape[2:], x.dtype), ((p[0], p[0]), (p[1], p[1])))
        counts = np.lib.stride_tricks.sliding_window_view(ones, k)[:: s[0], :: s[1]].sum(axis=(2, 3))
        out = total / counts.astype(x.dtype)
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


def _no_ceil_mode(ceil_mode: bool, who: Any) -> None:
    if ceil_mode:
        raise NotImplementedError(f"{who}: ceil_mode=True is not implemented (output sizes round down)")


def _not_implemented(who: Any, **options: Any) -> None:
    """A clear error for PyTorch options graphgrad doesn't implement, given at a non-default value."""
    for name, (value, default) in options.items():
        if _as_pair(value) != _as_pair(default):
            raise NotImplementedError(f"{who}: {name}={value!r} is not implemented (only {name}={default!r})")


def _as_pair(v: Any) -> Any:
    """``2`` and ``(2, 2)`` compare equal; flags (bools) and anything else stay as they are."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        return int(v), int(v)
    return tuple(v) if isinstance(v, (tuple, list)) else v


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
class Conv2d(Module):
    """2-D convolution layer: ``weight`` (out_channels, in_channels, kh, kw), ``bias`` (out_channels,).

    Initialised as PyTorch: ``kaiming_uniform_(weight, a=sqrt(5))`` and bias from
    ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))`` with ``fan_in = in_channels * kh * kw``.

    >>> conv = Conv2d(1, 6, kernel_size=5, padding=2)
    >>> conv(ag.zeros(8, 1, 28, 28)).shape
    (8, 6, 28, 28)
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
        bias: bool = True, *, dilation: Any = 1, groups: int = 1,
    ) -> None:  # fmt: skip
        # bias is 6th, as the API fixes it (PyTorch has dilation there); dilation and groups are
        # accepted by keyword so code written for PyTorch gets a clear error, not a silent difference
        _not_implemented("Conv2d", dilation=(dilation, 1), groups=(groups, 1))
        super().__init__()
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _pair(kernel_size, "kernel_size", "Conv2d")
        self.stride = _pair(stride, "stride", "Conv2d")
        self.padding = _pair(padding, "padding", "Conv2d")
        dtype = ag.get_default_dtype()
        self.weight = Parameter(np.empty((self.out_channels, self.in_channels) + self.kernel_size, dtype))
        self.bias = Parameter(np.empty(self.out_channels, dtype)) if bias else None
        if not bias:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Any) -> Tensor:
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, _who=self)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        return s + ("" if self.bias is not None else ", bias=False")


class _Pool(Module):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = _pool_args(kernel_size, stride, padding, type(self).__name__)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool):
    """Max pooling; ``stride`` defaults to ``kernel_size``.

    PyTorch's arguments, in its order; ``dilation``, ``return_indices`` and ``ceil_mode``
    are only accepted at their defaults (anything else is not implemented: a clear error).

    >>> MaxPool2d(2)(ag.zeros(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
    """

    def __init__(
        self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1, return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:  # fmt: skip
        _not_implemented("MaxPool2d", dilation=(dilation, 1), return_indices=(return_indices, False))
        _no_ceil_mode(ceil_mode, "MaxPool2d")
        super().__init__(kernel_size, stride, padding)

    def forward(self, x: Any) -> Tensor:
        return max_pool2d(x, self.kernel_size, self.stride, self.padding, _who=self)


class AvgPool2d(_Pool):
    """Average pooling; padded zeros count in the average (PyTorch's default).

    >>> AvgPool2d(2, stride=2)(ag.zeros(1, 3, 8, 8)).shape
    (1, 3, 4, 4)
    """

    def __init__(
        self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:  # fmt: skip
        _no_ceil_mode(ceil_mode, "AvgPool2d")
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = bool(count_include_pad)

    def forward(self, x: Any) -> Tensor:
        return avg_pool2d(
            x, self.kernel_size, self.stride, self.padding, count_include_pad=self.count_include_pad, _who=self
        )


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
