"""``nn.functional`` (import as ``F``): every layer, activation and loss as a function.

Names, arguments and defaults follow ``torch.nn.functional``. Everything is a
composition of autograd ops; no function here defines a derivative.

>>> import autograd as ag
>>> import nn.functional as F
>>> F.relu(ag.tensor([-1.0, 2.0])).tolist()
[0.0, 2.0]
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor
from autograd.graph import op_scope  # composites draw as one op (autograd.drawing)
from autograd.random import generator

from .conv import adaptive_avg_pool2d, avg_pool2d, conv1d, conv2d, conv_transpose2d, lp_pool2d, max_pool2d, max_unpool2d
from .normalization import group_norm, layer_norm
from .padding import pad
from .upsampling import interpolate

__all__ = [
    "linear", "conv2d", "max_pool2d", "avg_pool2d", "lp_pool2d", "adaptive_avg_pool2d", "batch_norm",
    "dropout", "embedding", "flatten", "relu", "leaky_relu", "prelu", "sigmoid", "tanh", "softmax",
    "log_softmax", "softplus", "absolute_rectifier", "maxout", "cross_entropy", "nll_loss", "mse_loss",
    "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
]  # fmt: skip
__all__ += [
    "conv1d", "conv_transpose2d", "max_unpool2d", "pad", "interpolate", "layer_norm", "group_norm",
    "scaled_dot_product_attention", "gelu", "silu", "elu", "celu", "selu", "mish", "hardswish", "hardsigmoid",
    "hardtanh", "relu6", "softsign", "logsigmoid", "softmin", "normalize",
]  # fmt: skip


# ============================================================ activations
def relu(input: Any) -> Tensor:
    """``max(x, 0)``; its derivative at 0 is taken as 0."""
    return ag.relu(input)


def leaky_relu(input: Any, negative_slope: float = 0.01) -> Tensor:
    """``x`` where positive, ``negative_slope * x`` elsewhere.

    >>> leaky_relu(ag.tensor([-2.0, 3.0]), 0.5).tolist()
    [-1.0, 3.0]
    """
    return ag.leaky_relu(input, negative_slope)


@op_scope("prelu")
def prelu(input: Any, weight: Any) -> Tensor:
    """Leaky ReLU with a learned slope: ``x`` where positive, ``weight * x`` elsewhere.

    ``weight`` has one element, or one per channel (dim 1 of ``input``).

    >>> prelu(ag.tensor([[-2.0, 3.0]]), ag.tensor([0.25])).tolist()
    [[-0.5, 3.0]]
    """
    x, w = ag.as_tensor(input), ag.as_tensor(weight)
    if w.ndim != 1:
        raise ValueError(f"prelu: weight must be 1-D, got shape {w.shape}")
    if w.shape[0] != 1:
        channels = x.shape[1] if x.ndim >= 2 else (x.shape[0] if x.ndim == 1 else 1)
        if channels != w.shape[0]:
            raise ValueError(f"prelu: {w.shape[0]} slopes for an input with {channels} channels (shape {x.shape})")
        if x.ndim >= 2:
            w = ag.reshape(w, (w.shape[0],) + (1,) * (x.ndim - 2))
    return ag.where(x.data > 0, x, w * x)


def sigmoid(input: Any) -> Tensor:
    """``1 / (1 + exp(-x))``, exact in both tails."""
    return ag.sigmoid(input)


def tanh(input: Any) -> Tensor:
    """Hyperbolic tangent."""
    return ag.tanh(input)


def softmax(input: Any, dim: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim`` (stable for large inputs)."""
    return ag.softmax(input, dim)


def log_softmax(input: Any, dim: int = -1) -> Tensor:
    """``x - logsumexp(x)`` along ``dim`` (stable for large inputs)."""
    return ag.log_softmax(input, dim)


@op_scope("softplus")
def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, a smooth ReLU.

    Computed in the overflow-free form everywhere, so ``threshold`` (where PyTorch
    switches to ``x``) only changes results by less than ``exp(-threshold)``.

    >>> round(softplus(ag.tensor(0.0)).item(), 4)
    0.6931
    """
    x = ag.as_tensor(input)
    return ag.softplus(x) if beta == 1 else ag.softplus(x * beta) * (1.0 / beta)


def absolute_rectifier(input: Any) -> Tensor:
    """``|x|``: the absolute-value rectifier (a leaky ReLU with slope -1).

    >>> absolute_rectifier(ag.tensor([-2.0, 3.0])).tolist()
    [2.0, 3.0]
    """
    return ag.abs(input)


@op_scope("maxout")
def maxout(input: Any, pieces: int, dim: int = -1) -> Tensor:
    """Maxout: split ``dim`` into groups of ``pieces`` consecutive values and keep each group's max.

    Put it after a linear layer with ``units * pieces`` outputs to get ``units`` maxout units.

    >>> maxout(ag.tensor([[1.0, 5.0, -2.0, -3.0]]), pieces=2).tolist()
    [[5.0, -2.0]]
    """
    x = ag.as_tensor(input)
    d = dim % x.ndim if x.ndim else 0
    if x.ndim == 0 or pieces <= 0 or x.shape[d] % pieces:
        raise ValueError(f"maxout: dim {dim} of shape {x.shape} doesn't split into groups of {pieces}")
    grouped = ag.reshape(x, x.shape[:d] + (x.shape[d] // pieces, pieces) + x.shape[d + 1 :])
    return ag.amax(grouped, dim=d + 1)


def _implicit_dim(ndim: int) -> int:
    """PyTorch's choice when a softmax-like function gets ``dim=None`` (it warns; this is its rule)."""
    return 0 if ndim in (0, 1, 3) else 1


def gelu(input: Any, approximate: str = "none") -> Tensor:
    """``x * Phi(x)`` (Phi: the standard normal CDF); ``approximate='tanh'`` uses the tanh formula.

    >>> round(gelu(ag.tensor(1.0)).item(), 4)
    0.8413
    """
    return ag.gelu(input, approximate=approximate)


def silu(input: Any) -> Tensor:
    """``x * sigmoid(x)`` (the swish)."""
    return ag.silu(input)


def elu(input: Any, alpha: float = 1.0) -> Tensor:
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    return ag.elu(input, alpha)


def celu(input: Any, alpha: float = 1.0) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    return ag.celu(input, alpha)


def selu(input: Any) -> Tensor:
    """``scale * elu(x, alpha)`` with the self-normalising constants."""
    return ag.selu(input)


def mish(input: Any) -> Tensor:
    """``x * tanh(softplus(x))``."""
    return ag.mish(input)


def hardswish(input: Any) -> Tensor:
    """``x * relu6(x + 3) / 6``."""
    return ag.hardswish(input)


def hardsigmoid(input: Any) -> Tensor:
    """``relu6(x + 3) / 6``."""
    return ag.hardsigmoid(input)


def hardtanh(input: Any, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``x`` clamped to ``[min_val, max_val]``."""
    return ag.hardtanh(input, min_val, max_val)


def relu6(input: Any) -> Tensor:
    """``min(max(x, 0), 6)``."""
    return ag.relu6(input)


def softsign(input: Any) -> Tensor:
    """``x / (1 + |x|)``."""
    return ag.softsign(input)


def logsigmoid(input: Any) -> Tensor:
    """``log(sigmoid(x))``, stable for any ``x``."""
    return ag.logsigmoid(input)


def softmin(input: Any, dim: int | None = None) -> Tensor:
    """``softmax(-x)`` along ``dim`` (``None``: PyTorch's implicit choice, dim 0 for 1-D and 3-D inputs, else 1).

    >>> softmin(ag.tensor([0.0, 0.0]), dim=0).tolist()
    [0.5, 0.5]
    """
    x = ag.as_tensor(input)
    return ag.softmin(x, _implicit_dim(x.ndim) if dim is None else dim)


def normalize(input: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``x / max(||x||_p, eps)`` along ``dim``.

    >>> [round(v, 4) for v in normalize(ag.tensor([[3.0, 4.0]])).tolist()[0]]
    [0.6, 0.8]
    """
    return ag.normalize(input, p, dim, eps)


# ============================================================ layers
def linear(input: Any, weight: Any, bias: Any = None) -> Tensor:
    """``input @ weight.T + bias`` with ``weight`` (out_features, in_features), as PyTorch.

    >>> linear(ag.ones(2, 3), ag.ones(4, 3)).shape
    (2, 4)
    """
    return ag.linear(input, weight, bias)


def flatten(input: Any, start_dim: int = 1, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim``; the defaults keep the batch dim (as ``nn.Flatten``).

    >>> flatten(ag.zeros(2, 3, 4, 5)).shape
    (2, 60)
    """
    return ag.flatten(input, start_dim, end_dim)


@op_scope("dropout")
def dropout(input: Any, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by ``1/(1-p)``.

    Outside training (or with ``p=0``) the input is returned unchanged. The mask
    comes from graphgrad's generator (``autograd.manual_seed``).

    >>> x = ag.ones(1000)
    >>> dropout(x, 0.5, training=False) is x
    True
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability must be between 0 and 1, got {p}")
    x = ag.as_tensor(input)
    if not training or p == 0.0:
        return x
    dtype = x.dtype if x.dtype.kind == "f" else ag.get_default_dtype()
    if p == 1.0:
        return x * np.zeros(x.shape, dtype)
    keep = generator().random(x.shape) >= p
    return x * (keep * (1.0 / (1.0 - p))).astype(dtype)


def embedding(input: Any, weight: Any, padding_idx: int | None = None) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) picked by integer indices of any shape.

    With ``padding_idx``, entries equal to it get that row's value but pass no gradient to it
    (PyTorch's meaning: the padding row is not trained).

    >>> embedding(np.array([[0, 2]]), ag.eye(3)).tolist()
    [[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]]
    """
    idx = input.data if isinstance(input, Tensor) else np.asarray(input)
    w = ag.as_tensor(weight)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got {idx.dtype}")
    if w.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape {w.shape}")
    if idx.size and (idx.min() < 0 or idx.max() >= w.shape[0]):
        raise IndexError(
            f"embedding: indices must be in [0, {w.shape[0]}) for a table of {w.shape[0]} rows, "
            f"got values from {idx.min()} to {idx.max()}"
        )
    rows = ag.getitem(w, idx)
    if padding_idx is None:
        return rows
    row = _padding_index(padding_idx, w.shape[0], "embedding")
    is_pad = idx == row
    if not is_pad.any():
        return rows
    # the padding row's current value, as a constant: the same output, no gradient to that row
    return ag.where(is_pad[..., None], w.data[row], rows)


def _padding_index(padding_idx: int, num_embeddings: int, who: Any) -> int:
    """``padding_idx`` in [0, num_embeddings) (a negative one counts from the end, as PyTorch)."""
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"{who}: padding_idx must be within [-{num_embeddings}, {num_embeddings}), got {padding_idx}")
    return int(padding_idx) % num_embeddings


_LONG_BATCH = 4096  # batch_norm sums the squares of longer batches in float64


@op_scope("batch_norm")
def batch_norm(
    input: Any,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Any = None,
    bias: Any = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation over dim 1 (channels) of (N, C), (N, C, L) or (N, C, H, W).

    Training: normalise with the batch mean and *biased* variance, and update the
    running buffers in place, ``r = (1 - momentum) * r + momentum * batch_stat``,
    using the *unbiased* variance for ``running_var`` (as PyTorch). Otherwise the
    running statistics are used (batch statistics if they are ``None``). The batch statistics
    are those of the input shifted by one of its samples per channel (summed at the size of the
    spread, not of the mean), and past 4096 rows the squares are summed in float64, so float32
    inputs with a large mean are normalised as accurately as their values allow.

    >>> x = ag.tensor([[1.0], [3.0]])
    >>> [round(v, 4) for v in batch_norm(x, None, None, training=True).data.ravel().tolist()]
    [-1.0, 1.0]
    """
    x = ag.as_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected an input with a batch and a channel dim, got shape {x.shape}")
    c = x.shape[1]
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, c) + (1,) * (x.ndim - 2)
    if training or running_mean is None or running_var is None:
        count = x.size // c
        if training and count <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got shape {x.shape}")
        # Shifted data: the statistics of x - s, with s one sample per channel (a constant), are
        # summed from values the size of the spread, not of the mean. NumPy sums along the batch
        # axis one row at a time, and in float32 a mean of 1000 over 2e6 rows came out 16 off.
        shift = Tensor(x.data[(slice(0, 1), slice(None)) + (slice(0, 1),) * (x.ndim - 2)].copy())
        shifted = x - shift
        shifted_mean = ag.mean(shifted, dim=axes, keepdim=True)
        centered = shifted - shifted_mean
        squares = centered * centered
        if x.shape[0] > _LONG_BATCH and squares.dtype != np.float64:  # all positive: rounding errors add up
            var = ag.mean(squares.to(np.float64), dim=axes, keepdim=True).to(squares.dtype)
        else:
            var = ag.mean(squares, dim=axes, keepdim=True)
        if training and running_mean is not None and running_var is not None:
            with ag.no_grad():
                running_mean *= 1.0 - momentum
                running_mean += momentum * (shift.data + shifted_mean.data).reshape(c)
                running_var *= 1.0 - momentum
                running_var += (momentum * count / max(count - 1, 1)) * var.data.reshape(c)
        out = centered * (var + eps) ** -0.5
    else:
        rm = ag.reshape(running_mean, shape)
        rv = ag.reshape(running_var, shape)
        out = (x - rm) * (rv + eps) ** -0.5
    if weight is not None:
        out = out * ag.reshape(weight, shape)
    if bias is not None:
        out = out + ag.reshape(bias, shape)
    return out


# ============================================================ attention
@functools.lru_cache(maxsize=32)
def _causal_bias(length: int, source: int, dtype: np.dtype) -> np.ndarray:
    """(L, S): 0 where query i may see key j (j <= i), -inf above the diagonal (read-only, cached)."""
    bias = np.triu(np.full((length, source), -np.inf, dtype), 1)
    bias.flags.writeable = False
    return bias


def _float_mask(mask: Any, dtype: np.dtype, allowed_if_true: bool, who: str) -> Any:
    """A mask as something to add to the scores: a bool mask becomes 0 / -inf (an ndarray), a float
    mask stays as it is (a Tensor that requires grad stays differentiable: a learned bias)."""
    if mask is None:
        return None
    raw = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if raw.dtype == np.bool_:
        blocked = ~raw if allowed_if_true else raw
        return np.where(blocked, -np.inf, 0.0).astype(dtype)
    if raw.dtype.kind != "f":
        raise TypeError(f"{who}: a mask must be bool or floating, got {raw.dtype}")
    if isinstance(mask, Tensor) and mask.requires_grad:
        return mask
    return raw.astype(dtype, copy=False)


@op_scope("scaled_dot_product_attention")
def scaled_dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """``softmax(query @ key^T * scale + mask) @ value``, PyTorch's function.

    ``query`` (..., L, E), ``key`` (..., S, E), ``value`` (..., S, Ev); the output is (..., L, Ev).
    ``scale`` defaults to ``1 / sqrt(E)``. ``attn_mask`` broadcasts to (..., L, S): a bool mask is
    True where a query may attend, a float mask is added to the scores. ``is_causal=True`` lets
    query i see keys 0..i only (an error together with ``attn_mask``, as in PyTorch).
    ``dropout_p`` drops attention weights (always: the function has no training flag, so pass
    0 in evaluation). A query that may see no key gets NaN, as in PyTorch.

    >>> q = ag.tensor([[1.0, 0.0], [0.0, 1.0]])
    >>> scaled_dot_product_attention(q, q, q, is_causal=True).tolist()[0]
    [1.0, 0.0]
    """
    q, k, v = ag.as_tensor(query), ag.as_tensor(key), ag.as_tensor(value)
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise ValueError(
            f"scaled_dot_product_attention: query, key and value need at least 2 dims, got shapes "
            f"{q.shape}, {k.shape}, {v.shape}"
        )
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"scaled_dot_product_attention: query (..., L, E) {q.shape}, key (..., S, E) {k.shape} and value "
            f"(..., S, Ev) {v.shape} don't fit: query and key need the same E, key and value the same S"
        )
    if is_causal and attn_mask is not None:
        raise ValueError("scaled_dot_product_attention: give attn_mask or is_causal=True, not both")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"scaled_dot_product_attention: dropout_p must be between 0 and 1, got {dropout_p}")
    factor = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    dtype = np.result_type(q.dtype, k.dtype)
    bias = _float_mask(attn_mask, dtype, True, "scaled_dot_product_attention")
    keep = _dropout_mask(q, k, v, bias, dropout_p, dtype) if dropout_p > 0.0 else None
    return ag.attention(q, k, v, bias, scale=factor, dropout_mask=keep, causal=is_causal)


def _dropout_mask(q: Tensor, k: Tensor, v: Tensor, bias: Any, p: float, dtype: Any) -> np.ndarray:
    """Dropout's scaled keep mask for attention weights (..., L, S), as ``dropout`` draws it."""
    shapes = [t.shape[:-2] for t in (q, k, v, bias) if t is not None and t.ndim > 2]
    shape = np.broadcast_shapes(*shapes) + (q.shape[-2], k.shape[-2])
    if p == 1.0:
        return np.zeros(shape, dtype)
    return ((generator().random(shape) >= p) * (1.0 / (1.0 - p))).astype(dtype)


# ============================================================ losses
_REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss: Tensor, reduction: str, who: str) -> Tensor:
    if reduction == "mean":
        return ag.mean(loss) if 0 not in loss.shape else _empty_batch_mean(loss, who, stacklevel=4)
    if reduction == "sum":
        return ag.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{who}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _empty_batch_mean(input: Tensor, who: str, stacklevel: int = 3) -> Tensor:
    """The mean loss over no elements: nan, as in PyTorch, with a warning that says why."""
    warnings.warn(
        f"{who}: the batch is empty (input shape {input.shape}), so the mean loss is nan, as in PyTorch; "
        "a batch with no samples usually comes from a slice or a filter that selected nothing",
        RuntimeWarning,
        stacklevel=stacklevel,
    )
    return ag.sum(input) * float("nan")  # (in the graph: its gradient is empty, like the input)


def _same_shape(input: Tensor, target: Tensor, who: str) -> None:
    if input.shape != target.shape:
        raise ValueError(
            f"{who}: input shape {input.shape} and target shape {target.shape} differ; they would broadcast "
            "(e.g. (N, 1) against (N,) gives (N, N)): reshape one so they match"
        )


@op_scope("nll_loss")
def nll_loss(
    input: Any,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    *,
    _who: str = "nll_loss",
) -> Tensor:
    """Negative log-likelihood of integer class targets, given log-probabilities.

    ``input`` (N, C), (N, C, d1, ...) or (C,); ``target`` (N,), (N, d1, ...) or ().
    ``weight`` (C,) rescales each class; targets equal to ``ignore_index`` count
    for nothing. ``'mean'`` divides by the total weight of the counted targets.

    >>> logp = ag.log(ag.tensor([[0.5, 0.5], [0.25, 0.75]]))
    >>> round(nll_loss(logp, np.array([0, 1])).item(), 4)
    0.4904
    """
    logp = ag.as_tensor(input)
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{_who}: class targets must be integers, got {t.dtype}")
    unbatched = logp.ndim == 1
    if unbatched:
        logp, t = ag.reshape(logp, (1,) + logp.shape), t.reshape((1,) + t.shape)
    if logp.ndim < 2 or t.shape != logp.shape[:1] + logp.shape[2:]:
        one_hot = t.shape == logp.shape and t.size and t.min() >= 0 and t.max() <= 1
        raise ValueError(
            f"{_who}: target shape {t.shape} doesn't fit input shape {logp.shape}; expected input (N, C, ...) "
            "with target (N, ...), or input (C,) with a 0-d target"
            + ("; one-hot targets? pass the class indices, target.argmax(1)" if one_hot else "")
        )
    if reduction == "mean" and t.size == 0:
        return _empty_batch_mean(logp, "nll_loss")
    c = logp.shape[1]
    in_range = t.size == 0 or (t.min() >= 0 and t.max() < c)
    if in_range and weight is None and logp.ndim == 2 and not 0 <= ignore_index < c:
        # The common case, kept to three recorded ops: pick each row's log-probability, reduce.
        # the range is checked above, so call the gather primitive directly
        picked = ag.apply(ag.ops.gather, (logp,), {"index": t.reshape(-1, 1), "axis": 1})
        if reduction == "mean":
            return ag.sum(picked) / -t.size
        if reduction == "sum":
            return -ag.sum(picked)
        return _reduce(-ag.reshape(picked, () if unbatched else t.shape), reduction, _who)
    ignored = t == ignore_index
    bad = (t < 0) | (t >= c)
    if (bad & ~ignored).any():
        wrong = t[bad & ~ignored]
        raise IndexError(
            f"{_who}: target class {int(wrong.flat[0])} is out of range for {c} classes (valid 0..{c - 1})"
        )
    safe = np.where(ignored, 0, t).reshape(-1)
    flat = ag.reshape(ag.permute(logp, (0,) + tuple(range(2, logp.ndim)) + (1,)), (-1, c)) if logp.ndim > 2 else logp
    picked = ag.getitem(flat, (np.arange(safe.size), safe))
    dtype = logp.dtype
    if weight is not None:
        w = (weight.data if isinstance(weight, Tensor) else np.asarray(weight)).astype(dtype)
        if w.shape != (c,):
            raise ValueError(f"{_who}: weight must have shape ({c},), got {w.shape}")
        per = w[safe] * ~ignored.reshape(-1)
    else:
        per = (~ignored.reshape(-1)).astype(dtype) if ignored.any() else None
    loss = -picked if per is None else -(picked * per)
    if reduction == "mean":
        total = safe.size if per is None else per.sum()
        return ag.sum(loss) / total
    return _reduce(ag.reshape(loss, () if unbatched else t.shape), reduction, _who)


def cross_entropy(
    input: Any,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy of logits, ``nll_loss(log_softmax(input, dim=1), target)``.

    ``input`` (N, C), (N, C, d1, ...) or (C,). ``target`` holds integer class indices (N, d1, ...),
    or class probabilities with the same shape as ``input`` (a float tensor). ``weight`` (C,)
    rescales each class. ``label_smoothing`` in [0, 1] mixes the target with the uniform
    distribution over the C classes, as PyTorch: ``(1 - eps) * loss + eps * (mean over classes of
    -log p)``, each term reduced as PyTorch reduces it (the mean divides by the targets' total weight).
    Stable for any logits (they never go through ``exp`` unshifted).

    >>> logits = ag.tensor([[1000.0, -1000.0]])
    >>> cross_entropy(logits, np.array([1])).item()
    2000.0
    >>> round(cross_entropy(ag.tensor([[0.0, 0.0]]), np.array([0]), label_smoothing=0.2).item(), 4)
    0.6931
    """
    x = ag.as_tensor(input)
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    shape = x.shape
    if (
        len(shape) == 2 and weight is None and t.dtype.kind in "iu" and t.shape == shape[:1]
        and reduction in ("mean", "sum", "none") and not 0 <= ignore_index < shape[1] and label_smoothing == 0.0
        and (0 not in shape or reduction != "mean") and (t.size == 0 or t.dtype.kind == "u" or t[t.argmin()] >= 0)
    ):  # fmt: skip
        # the common case: one fused, stable primitive (gradient softmax - onehot), drawn as the call
        # itself, the target its second input. A class >= C makes its indexing raise; the general
        # path below then names the bad target (as it says why the mean of no losses is nan).
        # (argmin: ~1/4 of min()'s fixed cost)
        try:
            return ag.apply(
                ag.ops.cross_entropy, (x, target if isinstance(target, Tensor) else t), {"reduction": reduction}
            )
        except IndexError:
            pass
    return _cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing)


@op_scope("cross_entropy")
def _cross_entropy(
    input: Any,
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """``cross_entropy`` from log_softmax and nll_loss (class probabilities, weights, ignored classes,
    label smoothing, more dims), drawn as one ``cross_entropy`` call. Its parameters are
    ``cross_entropy``'s: drawings name the call's settings after this signature (``op_scope``)."""
    x = ag.as_tensor(input)
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    shape = x.shape
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0 and 1, got {label_smoothing}")
    if 0 in shape and reduction == "mean" and x.ndim > 1:
        return _empty_batch_mean(x, "cross_entropy")
    class_dim = 0 if x.ndim == 1 else 1
    n_classes = shape[class_dim] if x.ndim else 0
    if t.dtype.kind == "f":  # class probabilities
        if t.shape != shape:
            raise ValueError(
                f"cross_entropy: a float target must hold class probabilities with the input's shape {shape}, got "
                f"shape {t.shape}; class indices must be integers (e.g. target.astype(np.int64))"
            )
        logp = ag.log_softmax(x, dim=class_dim)
        if label_smoothing > 0.0:
            target = ag.as_tensor(target) * (1.0 - label_smoothing) + label_smoothing / n_classes
        w = 1.0 if weight is None else ag.reshape(ag.as_tensor(weight), (-1,) + (1,) * (x.ndim - 2))
        loss = -ag.sum(logp * target * w, dim=class_dim)
        return _reduce(loss, reduction, "cross_entropy")
    if t.dtype.kind not in "iu":
        raise TypeError(
            f"cross_entropy: target must hold integer class indices or float class probabilities, got {t.dtype}"
        )
    logp = ag.log_softmax(x, dim=class_dim)
    loss = nll_loss(logp, t, weight, ignore_index, reduction, _who="cross_entropy")
    if label_smoothing == 0.0:
        return loss
    return (1.0 - label_smoothing) * loss + _smoothing_term(logp, t, weight, ignore_index, reduction) * (
        label_smoothing / n_classes
    )


def _smoothing_term(logp: Tensor, t: np.ndarray, weight: Any, ignore_index: int, reduction: str) -> Tensor:
    """PyTorch's label-smoothing term: the (weighted) sum over classes of -log p, zero at ignored
    targets, reduced; 'mean' divides by the total weight of the counted targets (as ``nll_loss``)."""
    class_dim = 0 if logp.ndim == 1 else 1
    shape = (-1,) + (1,) * (logp.ndim - 2) if logp.ndim > 1 else (-1,)
    w = None if weight is None else ag.reshape(ag.as_tensor(weight), shape)
    per = -ag.sum(logp if w is None else logp * w, dim=class_dim)
    ignored = t == ignore_index
    if ignored.any():
        per = per * (~ignored).astype(logp.dtype)
    if reduction == "mean":
        if weight is None:
            return ag.sum(per) / int((~ignored).sum())
        wd = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
        return ag.sum(per) / wd[t[~ignored]].sum()
    return _reduce(per, reduction, "cross_entropy")


@op_scope("mse_loss")
def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Squared error ``(input - target)**2``, averaged by default.

    >>> mse_loss(ag.tensor([1.0, 2.0]), ag.tensor([0.0, 0.0])).item()
    2.5
    """
    x, t = ag.as_tensor(input), ag.as_tensor(target)
    _same_shape(x, t, "mse_loss")
    d = x - t
    return _reduce(d * d, reduction, "mse_loss")


@op_scope("l1_loss")
def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Absolute error ``|input - target|``, averaged by default."""
    x, t = ag.as_tensor(input), ag.as_tensor(target)
    _same_shape(x, t, "l1_loss")
    return _reduce(ag.abs(x - t), reduction, "l1_loss")


def _log_at_least_minus_100(p: Tensor) -> Tensor:
    """``max(log p, -100)`` (PyTorch's clamp in BCE), with a zero, never NaN, gradient where p = 0.

    log(0) is never evaluated: zeros go through log(1) and are then replaced by -100, so no
    inf meets a zero in the backward pass (clamping p itself at e^-100 would: that is
    subnormal in float32, and its reciprocal overflows).
    """
    positive = p.data > 0
    return ag.clamp(ag.where(positive, ag.log(ag.where(positive, p, 1.0)), -100.0), min=-100.0)


@op_scope("binary_cross_entropy")
def binary_cross_entropy(input: Any, target: Any, weight: Any = None, reduction: str = "mean") -> Tensor:
    """``-(t log p + (1 - t) log(1 - p))`` for probabilities ``p``; logs are clamped at -100 (PyTorch).

    >>> round(binary_cross_entropy(ag.tensor([0.5]), ag.tensor([1.0])).item(), 4)
    0.6931
    """
    p, t = ag.as_tensor(input), ag.as_tensor(target)
    _same_shape(p, t, "binary_cross_entropy")
    if p.size and (p.data.min() < 0 or p.data.max() > 1):
        raise ValueError("binary_cross_entropy: input values must be probabilities in [0, 1]; for logits use "
                         "binary_cross_entropy_with_logits")  # fmt: skip
    loss = -(t * _log_at_least_minus_100(p) + (1 - t) * _log_at_least_minus_100(1 - p))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy")


@op_scope("binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(
    input: Any, target: Any, weight: Any = None, reduction: str = "mean", pos_weight: Any = None
) -> Tensor:
    """Binary cross-entropy of ``sigmoid(input)``, computed stably from the logits.

    ``loss = (1 - t) * x + (1 + (pos_weight - 1) * t) * softplus(-x)``, which never
    overflows; ``pos_weight`` weights the positive class.

    >>> binary_cross_entropy_with_logits(ag.tensor([-1000.0]), ag.tensor([1.0])).item()
    1000.0
    """
    x, t = ag.as_tensor(input), ag.as_tensor(target)
    _same_shape(x, t, "binary_cross_entropy_with_logits")
    if pos_weight is None:
        loss = (1 - t) * x + ag.softplus(-x)
    else:
        loss = (1 - t) * x + (1 + (pos_weight - 1) * t) * ag.softplus(-x)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")
