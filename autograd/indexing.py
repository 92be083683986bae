"""Indexing functions with PyTorch's names and semantics: scatters, index_* along a dim,
masks, and ``nonzero``.

Composites of ``getitem`` and its adjoint ``scatter_add``, ``gather`` and its adjoint
``scatter_along``, ``index_put`` and ``where``. Gradients are PyTorch's: ``scatter`` passes
the gradient of each written position to its source element (and none to the element it
overwrote); ``scatter_reduce`` with ``amax``/``amin`` shares it evenly between the tied values.

>>> from autograd import Tensor
>>> index_add(Tensor([0.0, 0.0, 0.0]), 0, np.array([0, 2, 0]), Tensor([1.0, 2.0, 3.0]))
tensor([4., 0., 2.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ops
from .elementwise import _exact
from .functional import _axis, as_tensor, expand, getitem, reshape, where
from .recording import _wrap, apply
from .tensor import Tensor

__all__ = [
    "index_select", "index_add", "index_copy", "index_fill", "masked_fill", "masked_select", "masked_scatter",
    "scatter", "scatter_add", "scatter_reduce", "nonzero", "argwhere", "take",
]  # fmt: skip


def _raw_index(index: Any, fn: str) -> np.ndarray:
    idx = np.asarray(index._data if isinstance(index, Tensor) else index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{fn}(): index must be integers, got {idx.dtype}")
    return idx.astype(np.int64, copy=False)


def _raw_mask(mask: Any, fn: str) -> np.ndarray:
    m = np.asarray(mask._data if isinstance(mask, Tensor) else mask)
    if m.dtype != bool:
        raise TypeError(f"{fn}(): the mask must be bool, got {m.dtype}")
    return m


def _dim_index(x: Tensor, dim: int, index: Any, fn: str) -> tuple[int, np.ndarray]:
    """The dim, and a 1-d index along it (negative entries counted from the end), checked."""
    d = _axis(x.ndim, dim, fn, x.shape) if x.ndim else 0
    idx = _raw_index(index, fn)
    if idx.ndim > 1:
        raise ValueError(f"{fn}(): index must be 0-d or 1-d, got shape {idx.shape}")
    n = x.shape[d] if x.ndim else 1
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"{fn}(): index values must be in [{-n}, {n}) for dim {d} of shape {x.shape}")
    return d, np.where(idx < 0, idx + n, idx).reshape(-1)


# ============================================================ along a dim, by a 1-d index
def index_select(x: Any, dim: int, index: Any) -> Tensor:
    """The slices at ``index`` along ``dim`` (repeats allowed; their gradients add up).

    >>> index_select(Tensor([[1.0, 2.0], [3.0, 4.0]]), 1, np.array([1, 1]))
    tensor([[2., 2.],
            [4., 4.]])
    """
    x = as_tensor(x)
    d, idx = _dim_index(x, dim, index, "index_select")
    if x.ndim == 0:
        return reshape(x, (1,))[idx].reshape(())
    return getitem(x, (slice(None),) * d + (idx,))


def index_add(x: Any, dim: int, index: Any, source: Any, *, alpha: float = 1) -> Tensor:
    """``x`` with ``alpha * source[i]`` added at ``index[i]`` along ``dim`` (repeats accumulate)."""
    x, src = as_tensor(x), as_tensor(source)
    d, idx = _dim_index(x, dim, index, "index_add")
    expected = x.shape[:d] + (len(idx),) + x.shape[d + 1 :]
    if src.shape != expected:
        raise ValueError(f"index_add(): source of shape {src.shape} should be {expected} (index of length {len(idx)})")
    if alpha != 1:
        src = src * alpha
    if src.dtype != x.dtype:
        src = src.to(x.dtype)
    return x + apply(ops.scatter_add, (src,), {"index": (slice(None),) * d + (idx,), "shape": x.shape})


def index_copy(x: Any, dim: int, index: Any, source: Any) -> Tensor:
    """``x`` with the slices at ``index`` along ``dim`` replaced by ``source``'s."""
    x, src = as_tensor(x), as_tensor(source)
    d, idx = _dim_index(x, dim, index, "index_copy")
    return apply(ops.index_put, (x, src.to(x.dtype)), {"index": (slice(None),) * d + (idx,)})


def index_fill(x: Any, dim: int, index: Any, value: Any) -> Tensor:
    """``x`` with the slices at ``index`` along ``dim`` set to ``value``."""
    x = as_tensor(x)
    d, idx = _dim_index(x, dim, index, "index_fill")
    mask = np.zeros(x.shape, bool)
    mask[(slice(None),) * d + (idx,)] = True
    return masked_fill(x, mask, value)


def take(x: Any, index: Any) -> Tensor:
    """Elements of the flattened ``x`` at ``index`` (shaped like ``index``).

    >>> take(Tensor([[1.0, 2.0], [3.0, 4.0]]), np.array([3, 0]))
    tensor([4., 1.])
    """
    x = as_tensor(x)
    idx = _raw_index(index, "take")
    return getitem(reshape(x, (-1,)), idx)


# ============================================================ masks
def masked_fill(x: Any, mask: Any, value: Any) -> Tensor:
    """``value`` where ``mask`` (broadcast to ``x``) is true, else ``x``.

    >>> masked_fill(Tensor([1.0, 2.0]), np.array([True, False]), -1.0)
    tensor([-1.,  2.])
    """
    x = as_tensor(x)
    m = _raw_mask(mask, "masked_fill")
    np.broadcast_shapes(m.shape, x.shape)
    if isinstance(value, Tensor):
        if value.ndim:
            raise ValueError(f"masked_fill(): value must be a number or a 0-d tensor, got shape {value.shape}")
        value = value.to(x.dtype) if value.dtype != x.dtype else value
    else:
        value = x.dtype.type(value)
    out = where(m, value, x)
    return out if out.shape == x.shape else expand(out, x.shape)


def masked_select(x: Any, mask: Any) -> Tensor:
    """The elements of ``x`` where ``mask`` is true, as a 1-d tensor (both broadcast).

    >>> masked_select(Tensor([[1.0, 2.0], [3.0, 4.0]]), np.array([True, False]))
    tensor([1., 3.])
    """
    x = as_tensor(x)
    m = _raw_mask(mask, "masked_select")
    shape = np.broadcast_shapes(m.shape, x.shape)
    return getitem(x if x.shape == shape else expand(x, shape), np.broadcast_to(m, shape))


def masked_scatter(x: Any, mask: Any, source: Any) -> Tensor:
    """``x`` with the positions where ``mask`` is true filled, in order, from ``source``'s elements.

    >>> masked_scatter(Tensor([0.0, 0.0, 0.0]), np.array([True, False, True]), Tensor([5.0, 6.0]))
    tensor([5., 0., 6.])
    """
    x, src = as_tensor(x), as_tensor(source)
    m = np.broadcast_to(_raw_mask(mask, "masked_scatter"), x.shape)
    k = int(m.sum())
    if src.size < k:
        raise ValueError(f"masked_scatter(): the mask selects {k} positions but source has only {src.size} elements")
    flat = getitem(reshape(src, (-1,)), slice(0, k))
    placed = apply(ops.scatter_add, (flat.to(x.dtype),), {"index": np.nonzero(m), "shape": x.shape})
    return where(m, placed, x)


def nonzero(x: Any, *, as_tuple: bool = False) -> Any:
    """Indices of the non-zero elements: an (N, ndim) int64 tensor, or one index tensor per dim.

    >>> nonzero(Tensor([[0.0, 1.0], [2.0, 0.0]]))
    tensor([[0, 1],
            [1, 0]])
    """
    xd = np.asarray(as_tensor(x)._data)
    if as_tuple:
        return tuple(_wrap(i.astype(np.int64), None, False) for i in np.nonzero(np.atleast_1d(xd)))
    return _wrap(np.argwhere(xd).astype(np.int64), None, False)


def argwhere(x: Any) -> Tensor:
    """``nonzero(x)``: the (N, ndim) indices of the non-zero elements."""
    return nonzero(x)


# ============================================================ scatters (PyTorch's along-a-dim form)
def _scatter_args(x: Tensor, dim: int, index: Any, src: Any, fn: str) -> tuple[int, np.ndarray, Any]:
    d = _axis(x.ndim, dim, fn, x.shape) if x.ndim else 0
    idx = _raw_index(index, fn)
    if idx.ndim != x.ndim:
        raise ValueError(f"{fn}(): index of shape {idx.shape} needs {x.ndim} dims like the input {x.shape}")
    if any(n > m for i, (n, m) in enumerate(zip(idx.shape, x.shape)) if i != d):
        raise ValueError(f"{fn}(): index of shape {idx.shape} is larger than the input {x.shape} outside dim {d}")
    n = x.shape[d] if x.ndim else 1
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise IndexError(f"{fn}(): index values must be in [{-n}, {n}) for dim {d} of shape {x.shape}")
    idx = np.where(idx < 0, idx + n, idx)
    if isinstance(src, Tensor):
        if src.ndim != x.ndim or any(a > b for a, b in zip(idx.shape, src.shape)):
            raise ValueError(f"{fn}(): src of shape {src.shape} must have {x.ndim} dims and cover index {idx.shape}")
        if src.shape != idx.shape:
            src = getitem(src, tuple(slice(0, k) for k in idx.shape))
        if src.dtype != x.dtype:
            src = src.to(x.dtype)
    return d, idx, src


def scatter(x: Any, dim: int, index: Any, src: Any = None, *, value: Any = None, reduce: str | None = None) -> Tensor:
    """``x`` with ``src`` written at ``index`` along ``dim``: for ``dim=1``,
    ``out[i][index[i][j]] = src[i][j]``. ``src`` may be a number (or pass ``value=``).

    >>> scatter(Tensor([[0.0, 0.0, 0.0]]), 1, np.array([[2, 0]]), Tensor([[1.0, 2.0]]))
    tensor([[2., 0., 1.]])
    """
    x = as_tensor(x)
    if src is None:
        src = value
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise ValueError(f"scatter(): reduce must be 'add' or 'multiply', got {reduce!r}")
        if not isinstance(src, Tensor):
            src = Tensor(np.full(_raw_index(index, "scatter").shape, src, x.dtype))
        return scatter_reduce(x, dim, index, src, "sum" if reduce == "add" else "prod")
    d, idx, src = _scatter_args(x, dim, index, src, "scatter")
    if not isinstance(src, Tensor):
        src = x.dtype.type(src)
    return apply(ops.index_put, (x, src), {"index": ops._along_index(idx, d)})


def scatter_add(x: Any, dim: int, index: Any, src: Any) -> Tensor:
    """``x`` with ``src[i][j]`` added at ``index[i][j]`` along ``dim`` (repeats accumulate).

    >>> scatter_add(Tensor([[0.0, 0.0, 0.0]]), 1, np.array([[2, 2, 0]]), Tensor([[1.0, 2.0, 3.0]]))
    tensor([[3., 0., 3.]])
    """
    x = as_tensor(x)
    d, idx, src = _scatter_args(x, dim, index, as_tensor(src), "scatter_add")
    return x + apply(ops.scatter_along, (src,), {"index": idx, "axis": d, "shape": x.shape})


def scatter_reduce(
    x: Any, dim: int, index: Any, src: Any, reduce: str, *, include_self: bool = True
) -> Tensor:  # fmt: skip
    """Combine ``src`` into ``x`` at ``index`` along ``dim`` with ``reduce`` ('sum', 'prod', 'mean',
    'amax', 'amin'); ``include_self=False`` leaves ``x``'s own values out at the scattered positions.

    >>> scatter_reduce(Tensor([1.0, 1.0]), 0, np.array([0, 0, 1]), Tensor([5.0, 3.0, 0.0]), "amax")
    tensor([5., 1.])
    """
    x = as_tensor(x)
    d, idx, src = _scatter_args(x, dim, index, as_tensor(src), "scatter_reduce")
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise ValueError(f"scatter_reduce(): reduce must be 'sum', 'prod', 'mean', 'amax' or 'amin', got {reduce!r}")
    where_idx = ops._along_index(idx, d)
    hit = np.zeros(x.shape, bool)
    hit[where_idx] = True
    base = x if include_self else where(hit, x.dtype.type(0), x)

    def spread(v: Tensor) -> Tensor:
        return apply(ops.scatter_along, (v,), {"index": idx, "axis": d, "shape": x.shape})

    if reduce == "sum":
        return base + spread(src)
    if reduce == "mean" and x.dtype.kind != "f":  # integers: the floor of the mean, as PyTorch
        counts = np.zeros(x.shape, np.int64)
        np.add.at(counts, where_idx, 1)
        counts += 1 if include_self else ~hit
        return _wrap(np.asarray((base + spread(src))._data // counts, dtype=x.dtype), None, False)
    if reduce == "mean":
        counts = np.zeros(x.shape, x.dtype)
        np.add.at(counts, where_idx, 1)
        counts += 1 if include_self else ~hit
        return (base + spread(src)) / counts
    xd, sd = x._data, src._data
    if reduce == "prod":
        value = np.array(xd if include_self else np.where(hit, 1, xd), dtype=x.dtype, copy=True)
        np.multiply.at(value, where_idx, sd)
        if not (x.requires_grad or src.requires_grad):
            return _wrap(value, None, False)
        if (sd == 0).any():
            raise NotImplementedError("scatter_reduce(): no gradient for 'prod' with zeros in src")
        # own * sign * exp(sum of log|src|), the sign of the src product a constant: d/d src_i = out / src_i
        logs = spread(apply(ops.log, (apply(ops.absolute, (src,)),)))
        own = base if include_self else where(hit, x.dtype.type(1), x)
        negatives = np.zeros(x.shape, np.int64)
        np.add.at(negatives, where_idx, sd < 0)
        sign = np.where(negatives % 2, -1, 1).astype(x.dtype)
        return _exact(own * apply(ops.exp, (logs,)) * sign, value)
    # amax / amin: the result computed in NumPy, the gradient shared evenly by the values equal to it
    fn = np.maximum if reduce == "amax" else np.minimum
    value = np.array(xd, dtype=x.dtype, copy=True)
    if not include_self:
        info = np.finfo(x.dtype) if x.dtype.kind == "f" else np.iinfo(x.dtype)
        lowest, highest = (-np.inf, np.inf) if x.dtype.kind == "f" else (info.min, info.max)
        value[hit] = lowest if reduce == "amax" else highest
    fn.at(value, where_idx, sd)
    if not (x.requires_grad or src.requires_grad):
        return _wrap(value, None, False)

    self_tie = (np.asarray(xd) == value) & (hit if include_self else False) | ~hit
    src_tie = sd == value[where_idx]
    counts = self_tie.astype(x.dtype)
    np.add.at(counts, where_idx, src_tie.astype(x.dtype))
    mixed = (x * self_tie.astype(x.dtype) + spread(src * src_tie.astype(x.dtype))) / counts
    return _exact(mixed, value)
