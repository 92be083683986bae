"""Reductions and scans with PyTorch's names: norms, cumulative ops, sorting, order statistics.

Values picked by index (``sort``, ``topk``, ``median``, ``cummax`` ...) are ``gather``\\ s of the
input at indices NumPy computes, so their gradient goes to exactly the picked elements,
as in PyTorch.

>>> from autograd import Tensor
>>> vector_norm(Tensor([3.0, 4.0]))
tensor(5.)
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

import numpy as np

from . import ops
from .functional import _axis, _dims, as_tensor, gather, sum
from .recording import _wrap, apply, apply1
from .tensor import Tensor

__all__ = [
    "vector_norm", "matrix_norm", "norm", "cumsum", "cumprod", "cummax", "cummin", "logcumsumexp",
    "any", "all", "var_mean", "std_mean", "sort", "argsort", "topk", "kthvalue", "median", "nanmedian",
    "mode", "amax", "amin", "aminmax", "count_nonzero", "values_indices",
]  # fmt: skip

values_indices = namedtuple("values_indices", ["values", "indices"])  # what torch.return_types hold


def _floating(x: Tensor, fn: str) -> Tensor:
    if x.dtype.kind == "f":
        return x
    if x.dtype.kind in "biu":
        from .dtypes import get_default_dtype

        return x.to(get_default_dtype())
    raise TypeError(f"{fn}(): unsupported dtype {x.dtype}")


# ============================================================ norms
def vector_norm(
    x: Any, ord: float = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None
) -> Tensor:  # fmt: skip
    """``sum(|x|^ord)^(1/ord)`` over ``dim`` (all elements by default), as ``torch.linalg.vector_norm``.

    ``ord`` may be any positive number, ``inf`` (largest ``|x|``), ``-inf`` (smallest) or 0
    (the count of non-zeros). The gradient at a zero vector is 0 (not 0/0).

    >>> vector_norm(Tensor([[3.0, 4.0], [0.0, 1.0]]), dim=1)
    tensor([5., 1.])
    """
    x = as_tensor(x)
    x = _floating(x if dtype is None else x.to(dtype), "vector_norm")
    axes = _dims(x, dim, None, "vector_norm")
    ord = float(ord)
    if ord == math.inf:
        return amax(apply1(ops.absolute, x), axes if axes is not None else None, keepdim)
    if ord == -math.inf:
        return amin(apply1(ops.absolute, x), axes if axes is not None else None, keepdim)
    if ord == 0:
        return sum((x != 0).to(x.dtype), axes, keepdim)
    if ord < 0:
        s = sum(apply1(ops.absolute, x) ** ord, axes, keepdim)
        return s ** (1.0 / ord)
    return apply(ops.vector_norm, (x,), {"ord": ord, "axis": axes, "keepdims": bool(keepdim)})


def matrix_norm(x: Any, ord: Any = "fro", dim: tuple = (-2, -1), keepdim: bool = False) -> Tensor:
    """Matrix norms over two dims, as ``torch.linalg.matrix_norm``: ``'fro'``, ``'nuc'`` (sum of
    singular values), ``1``/``-1`` (largest/smallest column sum of ``|x|``), ``inf``/``-inf``
    (rows), ``2``/``-2`` (largest/smallest singular value).

    >>> matrix_norm(Tensor([[1.0, -2.0], [3.0, 4.0]]), ord=1)
    tensor(6.)
    """
    x = _floating(as_tensor(x), "matrix_norm")
    if len(dim) != 2:
        raise ValueError(f"matrix_norm(): dim must be two dims, got {dim}")
    r, c = (_axis(x.ndim, d, "matrix_norm", x.shape) for d in dim)
    if r == c:
        raise ValueError(f"matrix_norm(): the two dims must differ, got {dim}")
    if ord == "fro":
        return vector_norm(x, 2, (r, c), keepdim)
    if ord in ("nuc", 2, -2):
        s = _singular_values(x, r, c)
        out = s.sum(-1) if ord == "nuc" else amax(s, -1) if ord == 2 else amin(s, -1)
        if keepdim:
            out = out.reshape(tuple(1 if i in (r, c) else n for i, n in enumerate(x.shape)))
        return out
    if ord in (1, -1, math.inf, -math.inf):
        summed, other = (r, c) if ord in (1, -1) else (c, r)
        sums = sum(apply1(ops.absolute, x), summed, keepdim=True)
        pick = amax if ord > 0 else amin
        out = pick(sums, other, keepdim=True)
        return out if keepdim else out.reshape(tuple(n for i, n in enumerate(x.shape) if i not in (r, c)))
    raise ValueError(f"matrix_norm(): unsupported ord {ord!r} (choose 'fro', 'nuc', 1, -1, 2, -2, inf, -inf)")


def _singular_values(x: Tensor, r: int, c: int) -> Tensor:
    """Singular values (last dim, descending) of the matrices over dims ``r``, ``c`` (first-order
    differentiable: see ``ops.svdvals``)."""
    from .functional import permute

    rest = [i for i in range(x.ndim) if i not in (r, c)]
    return apply(ops.svdvals, (permute(x, tuple(rest) + (r, c)),))


def norm(x: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    """``torch.norm``: a vector norm of all elements (or over ``dim``), or with ``p='fro'``/``'nuc'``
    and two dims a matrix norm. ``p=2`` and ``'fro'`` over all elements are the same.

    >>> norm(Tensor([3.0, 4.0]))
    tensor(5.)
    """
    x = as_tensor(x)
    if dtype is not None:
        x = x.to(dtype)
    if p == "fro":
        return vector_norm(x, 2, dim, keepdim)
    if p == "nuc":
        return matrix_norm(x, "nuc", (-2, -1) if dim is None else tuple(dim), keepdim)
    return vector_norm(x, p, dim, keepdim)


# ============================================================ scans
def _scan_dim(x: Tensor, dim: Any, fn: str) -> int:
    return _axis(x.ndim, dim, fn, x.shape) if x.ndim else 0


def _scan(op: Any, x: Any, dim: int, fn: str, dtype: Any) -> Tensor:
    x = as_tensor(x)
    if dtype is not None:
        x = x.to(dtype)
    d = _scan_dim(x, dim, fn)
    if x.ndim == 0:
        return apply(op, (x.reshape(1),), {"axis": 0}).reshape(())
    if x.dtype.kind == "b":
        x = x.to(np.int64)
    return apply(op, (x,), {"axis": d})


def cumsum(x: Any, dim: int, *, dtype: Any = None) -> Tensor:
    """Running sum along ``dim`` (integers and bools: int64, as PyTorch).

    >>> cumsum(Tensor([1.0, 2.0, 3.0]), 0)
    tensor([1., 3., 6.])
    """
    out = _scan(ops.cumsum, x, dim, "cumsum", dtype)
    return out.to(np.int64) if out.dtype.kind in "iu" and out.dtype != np.int64 else out


def cumprod(x: Any, dim: int, *, dtype: Any = None) -> Tensor:
    """Running product along ``dim``; exact gradient with zeros (first order only there).

    >>> cumprod(Tensor([1.0, 2.0, 3.0]), 0)
    tensor([1., 2., 6.])
    """
    out = _scan(ops.cumprod, x, dim, "cumprod", dtype)
    return out.to(np.int64) if out.dtype.kind in "iu" and out.dtype != np.int64 else out


def _cum_extreme(x: Any, dim: int, fn: str, running: Any) -> values_indices:
    x = as_tensor(x)
    d = _scan_dim(x, dim, fn)
    if x.ndim == 0:
        return values_indices(x * 1 if x.dtype.kind == "f" else x, _wrap(np.int64(0), None, False))
    xd = x._data
    best = running.accumulate(xd, axis=d)  # (NaN propagates, as PyTorch's)
    hits = xd == best
    if xd.dtype.kind == "f":
        hits |= np.isnan(xd)
    positions = np.arange(xd.shape[d]).reshape((-1,) + (1,) * (xd.ndim - d - 1))
    # the last position so far whose value is the running extreme: ties go to the later index, as PyTorch
    idx = np.maximum.accumulate(np.where(hits, positions, 0), axis=d).astype(np.int64)
    return values_indices(gather(x, d, idx), _wrap(idx, None, False))


def cummax(x: Any, dim: int) -> values_indices:
    """Running maximum along ``dim`` and where it was found: ``(values, indices)``.

    >>> cummax(Tensor([1.0, 3.0, 2.0]), 0).values
    tensor([1., 3., 3.])
    """
    return _cum_extreme(x, dim, "cummax", np.maximum)


def cummin(x: Any, dim: int) -> values_indices:
    """Running minimum along ``dim`` and where it was found: ``(values, indices)``.

    >>> cummin(Tensor([3.0, 1.0, 2.0]), 0).indices
    tensor([0, 1, 1])
    """
    return _cum_extreme(x, dim, "cummin", np.minimum)


def logcumsumexp(x: Any, dim: int) -> Tensor:
    """``log(cumsum(exp(x)))`` along ``dim``, exact at any magnitude (a primitive).

    >>> logcumsumexp(Tensor([0.0, 0.0]), 0)
    tensor([0.0000, 0.6931])
    """
    x = _floating(as_tensor(x), "logcumsumexp")
    d = _scan_dim(x, dim, "logcumsumexp")
    if x.ndim == 0:
        return apply(ops.logcumsumexp, (x.reshape(1),), {"axis": 0}).reshape(())
    return apply(ops.logcumsumexp, (x,), {"axis": d})


# ============================================================ logical reductions
def _bool_reduce(fn: Any, name: str, x: Any, dim: Any, keepdim: bool) -> Tensor:
    x = as_tensor(x)
    axes = _dims(x, dim, None, name)
    return _wrap(np.asarray(fn(x._data, axis=axes, keepdims=bool(keepdim))), None, False)


def any(x: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Whether any element (over ``dim``) is non-zero (bool, no gradient).

    >>> any(Tensor([0.0, 1.0]))
    tensor(True)
    """
    return _bool_reduce(np.any, "any", x, dim, keepdim)


def all(x: Any, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Whether every element (over ``dim``) is non-zero (bool, no gradient).

    >>> all(Tensor([[1.0, 0.0], [2.0, 3.0]]), dim=1)
    tensor([False,  True])
    """
    return _bool_reduce(np.all, "all", x, dim, keepdim)


def count_nonzero(x: Any, dim: Any = None) -> Tensor:
    """The number of non-zero elements (over ``dim``), int64.

    >>> count_nonzero(Tensor([[0.0, 1.0], [2.0, 3.0]]), dim=0)
    tensor([1, 2])
    """
    x = as_tensor(x)
    axes = _dims(x, dim, None, "count_nonzero")
    return _wrap(np.asarray(np.count_nonzero(x._data, axis=axes), dtype=np.int64), None, False)


# ============================================================ statistics
def var_mean(x: Any, dim: Any = None, *, correction: Any = None, unbiased: Any = None, keepdim: bool = False) -> tuple:
    """``(var, mean)`` over ``dim``, as ``torch.var_mean`` (unbiased by default).

    >>> var_mean(Tensor([1.0, 2.0, 3.0]))
    (tensor(1.), tensor(2.))
    """
    from .functional import mean, var

    return var(x, dim, unbiased, keepdim, correction=correction), mean(x, dim, keepdim)


def std_mean(x: Any, dim: Any = None, *, correction: Any = None, unbiased: Any = None, keepdim: bool = False) -> tuple:
    """``(std, mean)`` over ``dim``, as ``torch.std_mean`` (unbiased by default)."""
    from .functional import mean, std

    return std(x, dim, unbiased, keepdim, correction=correction), mean(x, dim, keepdim)


def amax(x: Any, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Largest value over ``dim`` (all dims by default); tied maxima share the gradient equally.

    >>> amax(Tensor([[1.0, 5.0], [3.0, 2.0]]), dim=0)
    tensor([3., 5.])
    """
    x = as_tensor(x)
    return apply(ops.reduce_max, (x,), {"axis": _dims(x, dim if dim != () else None, None, "amax"),
                                        "keepdims": bool(keepdim)})  # fmt: skip


def amin(x: Any, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Smallest value over ``dim`` (all dims by default); tied minima share the gradient equally."""
    x = as_tensor(x)
    return apply(ops.reduce_min, (x,), {"axis": _dims(x, dim if dim != () else None, None, "amin"),
                                        "keepdims": bool(keepdim)})  # fmt: skip


def aminmax(x: Any, *, dim: Any = None, keepdim: bool = False) -> tuple:
    """``(min, max)``, as ``torch.aminmax``."""
    mm = namedtuple("aminmax", ["min", "max"])
    return mm(amin(x, () if dim is None else dim, keepdim), amax(x, () if dim is None else dim, keepdim))


# ============================================================ sorting and order statistics
def _pick(x: Tensor, d: int, idx: np.ndarray, keepdim: bool = True) -> values_indices:
    """Values of ``x`` at ``idx`` along ``d`` (a gather: gradients go to the picked elements)."""
    if x.ndim == 0:
        return values_indices(x * 1 if x.dtype.kind == "f" else x, _wrap(np.int64(0), None, False))
    vals = gather(x, d, idx)
    if not keepdim:
        vals, idx = vals.squeeze(d), np.squeeze(idx, d)
    return values_indices(vals, _wrap(np.asarray(idx, dtype=np.int64), None, False))


def _order(xd: np.ndarray, d: int, descending: bool) -> np.ndarray:
    """A stable order along ``d``; NaN sorts as the largest value (as PyTorch)."""
    if not descending:
        return np.argsort(xd, axis=d, kind="stable")
    if xd.dtype.kind == "b":
        return np.argsort(~xd, axis=d, kind="stable")
    if xd.dtype.kind == "f":  # descending with NaN first and ties in order: sort the negation, NaN as -inf first
        key = np.where(np.isnan(xd), -np.inf, -xd.astype(np.float64))
        nan_first = np.argsort(~np.isnan(xd), axis=d, kind="stable")
        key_sorted = np.argsort(np.take_along_axis(key, nan_first, d), axis=d, kind="stable")
        return np.take_along_axis(nan_first, key_sorted, d)
    return np.argsort(-xd.astype(np.int64) if xd.dtype.kind == "u" else -xd, axis=d, kind="stable")


def sort(x: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> values_indices:
    """``(values, indices)`` sorted along ``dim`` (stable: equal values keep their order).

    >>> sort(Tensor([3.0, 1.0, 2.0])).indices
    tensor([1, 2, 0])
    """
    x = as_tensor(x)
    d = _scan_dim(x, dim, "sort")
    if x.ndim == 0:
        return _pick(x, 0, np.zeros((), np.int64))
    return _pick(x, d, _order(x._data, d, descending))


def argsort(x: Any, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``x`` along ``dim`` (int64).

    >>> argsort(Tensor([3.0, 1.0, 2.0]), descending=True)
    tensor([0, 2, 1])
    """
    return sort(x, dim, descending, stable).indices


def topk(x: Any, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> values_indices:
    """The ``k`` largest (``largest=False``: smallest) values along ``dim`` and their indices.

    >>> topk(Tensor([1.0, 4.0, 2.0, 3.0]), 2).values
    tensor([4., 3.])
    """
    x = as_tensor(x)
    d = _scan_dim(x, dim, "topk")
    n = x.shape[d] if x.ndim else 1
    if not 0 <= k <= n:
        raise IndexError(f"topk(): k={k} is out of range for dim {d} of size {n} (shape {x.shape})")
    if x.ndim == 0:
        return _pick(x, 0, np.zeros((), np.int64))
    order = _order(x._data, d, largest)
    return _pick(x, d, np.take(order, np.arange(k), axis=d))


def kthvalue(x: Any, k: int, dim: int = -1, keepdim: bool = False) -> values_indices:
    """The ``k``-th smallest value (1-based) along ``dim`` and its index. Among equal values the
    index is that of the stable sort (PyTorch leaves which one unspecified, and its quickselect
    may pick another).

    >>> kthvalue(Tensor([3.0, 1.0, 2.0]), 2)
    values_indices(values=tensor(2.), indices=tensor(2))
    """
    x = as_tensor(x)
    d = _scan_dim(x, dim, "kthvalue")
    n = x.shape[d] if x.ndim else 1
    if not 1 <= k <= n:
        raise IndexError(f"kthvalue(): k={k} is out of range for dim {d} of size {n} (shape {x.shape})")
    if x.ndim == 0:
        return _pick(x, 0, np.zeros((), np.int64))
    order = _order(x._data, d, False)
    return _pick(x, d, np.take(order, [k - 1], axis=d), keepdim)


def median(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """The lower median (of an even count, the smaller middle value), as PyTorch.

    Without ``dim``: the value over all elements. With ``dim``: ``(values, indices)``.

    >>> median(Tensor([4.0, 1.0, 3.0, 2.0]))
    tensor(2.)
    """
    x = as_tensor(x)
    if dim is None:
        flat = x.reshape(-1)
        if flat.shape[0] == 0:  # nan, as PyTorch
            return sum(_floating(flat, "median")) * np.nan
        return median(flat, 0).values
    d = _scan_dim(x, dim, "median")
    n = x.shape[d] if x.ndim else 1
    if n == 0:
        raise IndexError(f"median(): dim {d} of shape {x.shape} is empty")
    if x.ndim == 0:
        return _pick(x, 0, np.zeros((), np.int64))
    xd = x._data
    order = _order(xd, d, False)
    idx = np.take(order, [(n - 1) // 2], axis=d)
    if xd.dtype.kind == "f":  # a slice with NaN has median NaN (at its first NaN), as PyTorch
        has_nan = np.isnan(xd).any(axis=d, keepdims=True)
        if has_nan.any():
            idx = np.where(has_nan, np.argmax(np.isnan(xd), axis=d).reshape(has_nan.shape), idx)
    return _pick(x, d, idx, keepdim)


def nanmedian(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """``median`` ignoring NaN (NaN only if a slice is all NaN)."""
    x = as_tensor(x)
    if dim is None:
        return nanmedian(x.reshape(-1), 0).values
    d = _scan_dim(x, dim, "nanmedian")
    if x.ndim == 0:
        return _pick(x, 0, np.zeros((), np.int64))
    xd = x._data
    order = _order(xd, d, False)  # NaN sorts last
    valid = (~np.isnan(xd)).sum(axis=d, keepdims=True) if xd.dtype.kind == "f" else np.full(1, x.shape[d])
    pos = np.maximum((valid - 1) // 2, 0)
    pos = np.broadcast_to(pos, tuple(1 if i == d else n for i, n in enumerate(xd.shape)))
    return _pick(x, d, np.take_along_axis(order, pos, d), keepdim)


def mode(x: Any, dim: int = -1, keepdim: bool = False) -> values_indices:
    """The most frequent value along ``dim`` (the smallest of equally frequent ones) and the
    index of its last occurrence, as PyTorch on CPU.

    >>> mode(Tensor([1.0, 2.0, 2.0, 3.0])).values
    tensor(2.)
    """
    x = as_tensor(x)
    d = _scan_dim(x, dim, "mode")
    if x.ndim == 0:
        return _pick(x, 0, np.zeros((), np.int64))
    n = x.shape[d]
    if n == 0:
        raise IndexError(f"mode(): dim {d} of shape {x.shape} is empty")
    xd = np.moveaxis(x._data, d, -1)
    flat = xd.reshape(-1, n)
    rows = np.arange(len(flat))[:, None]
    ordered = np.sort(flat, axis=1)
    starts = np.ones(ordered.shape, bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    run = np.cumsum(starts, axis=1) - 1  # which run of equal values each sorted element is in
    counts = np.zeros(ordered.shape, np.int64)
    np.add.at(counts, (rows, run), 1)
    best_run = counts.argmax(axis=1)[:, None]  # the first longest run: the smallest most frequent value
    best = ordered[rows[:, 0], (run == best_run).argmax(axis=1)]
    picks = n - 1 - (flat[:, ::-1] == best[:, None]).argmax(axis=1)  # its last occurrence
    idx = np.moveaxis(picks.reshape(xd.shape[:-1] + (1,)), -1, d)
    return _pick(x, d, idx, keepdim)
