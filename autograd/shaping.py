"""Shape functions with PyTorch's names and semantics: flips, rolls, repeats, triangles and
diagonals, views along dims, and the factories PyTorch has beyond ``factories.py``.

(``repeat``, ``unfold``, ``expand_as``, ``reshape_as``, ``view_as`` are Tensor methods only, as in
PyTorch.) All are composites of indexing, ``reshape``, ``expand``, ``cat`` and ``einsum``, so their
gradients (every order) come from those primitives.

>>> from autograd import Tensor
>>> roll(Tensor([1.0, 2.0, 3.0]), 1)
tensor([3., 1., 2.])
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import ops, random
from .dtypes import get_default_dtype
from .functional import (
    _axis,
    _shape_arg,
    as_tensor,
    cat,
    einsum,
    expand,
    gather,
    getitem,
    permute,
    reshape,
    split,
    where,
)  # fmt: skip
from .recording import _wrap, apply
from .tensor import Tensor

__all__ = [
    "flip", "fliplr", "flipud", "roll", "repeat_interleave", "tile", "chunk", "tensor_split", "unflatten",
    "tril", "triu", "diag", "diagonal", "diag_embed", "diagflat", "trace", "meshgrid", "narrow", "movedim",
    "moveaxis", "swapaxes", "swapdims", "take_along_dim", "hstack", "vstack", "column_stack", "atleast_1d",
    "atleast_2d", "ravel", "t", "outer", "kron", "full_like", "empty", "empty_like", "linspace", "logspace",
    "rand_like", "randn_like", "randint", "randint_like", "tril_indices", "triu_indices",
    "dstack", "select", "cross", "block_diag", "cartesian_prod", "broadcast_tensors",
]  # fmt: skip


def _dim(x: Tensor, d: Any, fn: str) -> int:
    return _axis(x.ndim, d, fn, x.shape)


def _dims_arg(dims: Any) -> tuple:
    if isinstance(dims, (int, np.integer)):
        return (int(dims),)
    return tuple(int(d) for d in dims)


# ============================================================ reorderings
def flip(x: Any, dims: Any) -> Tensor:
    """Reverse the order along ``dims``.

    >>> flip(Tensor([[1.0, 2.0], [3.0, 4.0]]), [1])
    tensor([[2., 1.],
            [4., 3.]])
    """
    x = as_tensor(x)
    axes = {_dim(x, d, "flip") for d in _dims_arg(dims)}
    if not axes:
        return x * 1 if x.dtype.kind == "f" else x
    return getitem(x, tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim)))


def fliplr(x: Any) -> Tensor:
    """Reverse dim 1 (left-right)."""
    return flip(x, (1,))


def flipud(x: Any) -> Tensor:
    """Reverse dim 0 (up-down)."""
    return flip(x, (0,))


def roll(x: Any, shifts: Any, dims: Any = None) -> Tensor:
    """Shift elements along ``dims`` cyclically (without ``dims``: the flattened tensor).

    >>> roll(Tensor([[1.0, 2.0, 3.0]]), -1, 1)
    tensor([[2., 3., 1.]])
    """
    x = as_tensor(x)
    if dims is None:
        if not isinstance(shifts, (int, np.integer)):
            raise ValueError("roll(): without dims, shifts must be one int")
        return reshape(roll(reshape(x, (-1,)), shifts, 0), x.shape)
    shifts, dims = _dims_arg(shifts), _dims_arg(dims)
    if len(shifts) != len(dims):
        raise ValueError(f"roll(): {len(shifts)} shifts for {len(dims)} dims")
    for s, d in zip(shifts, dims):
        d = _dim(x, d, "roll")
        n = x.shape[d]
        if n == 0:
            continue
        order = (np.arange(n) - s) % n
        x = getitem(x, (slice(None),) * d + (order,))
    return x


def movedim(x: Any, source: Any, destination: Any) -> Tensor:
    """Move dims from ``source`` to ``destination`` positions (the others keep their order).

    >>> movedim(Tensor(np.zeros((2, 3, 4))), 0, -1).shape
    (3, 4, 2)
    """
    x = as_tensor(x)
    if x.ndim == 0:  # dims 0 / -1 of a 0-d tensor: nothing moves
        [_axis(0, d, "movedim", ()) for d in _dims_arg(source) + _dims_arg(destination)]
        return x
    src = [_dim(x, d, "movedim") for d in _dims_arg(source)]
    dst = [_dim(x, d, "movedim") for d in _dims_arg(destination)]
    if len(src) != len(dst) or len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"movedim(): source {source} and destination {destination} must be distinct dims, as many")
    order = [d for d in range(x.ndim) if d not in src]
    for s, d in sorted(zip(dst, src)):
        order.insert(s, d)
    return permute(x, tuple(order))


moveaxis = movedim


def swapaxes(x: Any, axis0: int, axis1: int) -> Tensor:
    """Swap two dims (``transpose``)."""
    from .functional import transpose

    return transpose(x, axis0, axis1)


swapdims = swapaxes


def t(x: Any) -> Tensor:
    """Transpose of a matrix (0-d and 1-d tensors unchanged), as ``torch.t``."""
    x = as_tensor(x)
    if x.ndim > 2:
        raise ValueError(f"t(): expects a tensor with at most 2 dims, got shape {x.shape}; use transpose or mT")
    return swapaxes(x, 0, 1) if x.ndim == 2 else x


# ============================================================ repeats
def repeat(x: Any, *sizes: Any) -> Tensor:
    """Tile the tensor ``sizes`` times along each dim (``Tensor.repeat``; leading new dims allowed).

    >>> repeat(Tensor([1.0, 2.0]), 2, 2)
    tensor([[1., 2., 1., 2.],
            [1., 2., 1., 2.]])
    """
    x = as_tensor(x)
    sizes = _shape_arg(sizes)
    if len(sizes) < x.ndim:
        raise ValueError(f"repeat(): {len(sizes)} repeat counts for a tensor of {x.ndim} dims (shape {x.shape})")
    shape = (1,) * (len(sizes) - x.ndim) + x.shape
    x = reshape(x, shape)
    # (a, b) -> (ra, a, rb, b) by broadcasting, then merged: one expand and one reshape
    inter = reshape(x, tuple(v for n in shape for v in (1, n)))
    big = expand(inter, tuple(v for r, n in zip(sizes, shape) for v in (r, n)))
    return reshape(big, tuple(r * n for r, n in zip(sizes, shape)))


def tile(x: Any, dims: Any) -> Tensor:
    """``repeat`` with fewer counts than dims allowed (leading counts of 1), as ``torch.tile``.

    >>> tile(Tensor([[1.0, 2.0]]), (2,))
    tensor([[1., 2., 1., 2.]])
    """
    x = as_tensor(x)
    dims = _dims_arg(dims)
    dims = (1,) * (x.ndim - len(dims)) + dims
    return repeat(x, *dims)


def repeat_interleave(x: Any, repeats: Any, dim: int | None = None, *, output_size: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times along ``dim`` (without ``dim``: of the flattened tensor).

    >>> repeat_interleave(Tensor([1.0, 2.0]), 2)
    tensor([1., 1., 2., 2.])
    """
    x = as_tensor(x)
    if dim is None:
        x, d = reshape(x, (-1,)), 0
    else:
        d = _dim(x, dim, "repeat_interleave")
    r = np.asarray(repeats._data if isinstance(repeats, Tensor) else repeats)
    n = x.shape[d]
    if r.ndim == 0 or r.size == 1:
        r = np.full(n, int(r.reshape(-1)[0]) if r.size else 0)
    if r.shape != (n,) or (r < 0).any():
        raise ValueError(f"repeat_interleave(): repeats must be one non-negative count, or one per element ({n})")
    return getitem(x, (slice(None),) * d + (np.repeat(np.arange(n), r),))


# ============================================================ pieces and views along dims
def chunk(x: Any, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into ``chunks`` pieces of ``ceil(n / chunks)`` (fewer pieces if they run out), as PyTorch.

    >>> [c.tolist() for c in chunk(Tensor([1.0, 2.0, 3.0, 4.0, 5.0]), 2)]
    [[1.0, 2.0, 3.0], [4.0, 5.0]]
    """
    x = as_tensor(x)
    if chunks <= 0:
        raise ValueError(f"chunk(): chunks must be positive, got {chunks}")
    d = _dim(x, dim, "chunk")
    n = x.shape[d]
    size = max(-(-n // chunks), 1)
    return split(x, size, d)


def tensor_split(x: Any, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into ``n`` nearly equal pieces (the first ones one larger), or at the given indices."""
    x = as_tensor(x)
    d = _dim(x, dim, "tensor_split")
    n = x.shape[d]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    else:
        bounds = [0] + [builtins.min(builtins.max(int(i), 0), n) for i in indices_or_sections] + [n]
        sizes = [builtins.max(b - a, 0) for a, b in zip(bounds, bounds[1:])]
    from .functional import _apply_multi

    return _apply_multi(ops.split, x, {"axis": d, "sizes": tuple(sizes), "squeeze": False})


def unflatten(x: Any, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dim ``dim`` into ``sizes`` (one may be -1).

    >>> unflatten(Tensor(np.zeros((2, 6))), 1, (2, 3)).shape
    (2, 2, 3)
    """
    x = as_tensor(x)
    d = _dim(x, dim, "unflatten")
    return reshape(x, x.shape[:d] + tuple(int(s) for s in sizes) + x.shape[d + 1 :])


def unfold(x: Any, dimension: int, size: int, step: int) -> Tensor:
    """Every slice of length ``size`` along ``dimension``, ``step`` apart, in a new last dim
    (``Tensor.unfold``).

    >>> unfold(Tensor([1.0, 2.0, 3.0, 4.0]), 0, 2, 1).tolist()
    [[1.0, 2.0], [2.0, 3.0], [3.0, 4.0]]
    """
    from .functional import sliding_window

    x = as_tensor(x)
    if x.ndim == 0:
        return reshape(x, (1,)) if size == 1 else sliding_window(reshape(x, (1,)), size, step)
    d = _dim(x, dimension, "unfold")
    if size > x.shape[d] or step <= 0 or size < 0:
        raise ValueError(f"unfold(): size {size} / step {step} don't fit dim {d} of shape {x.shape}")
    moved = movedim(x, d, -1)
    windows = sliding_window(moved, size, step)  # (..., n_windows, size)
    return movedim(windows, -2, d)


def narrow(x: Any, dim: int, start: int, length: int) -> Tensor:
    """``length`` elements along ``dim`` from ``start`` (a view).

    >>> narrow(Tensor([1.0, 2.0, 3.0, 4.0]), 0, 1, 2)
    tensor([2., 3.])
    """
    x = as_tensor(x)
    d = _dim(x, dim, "narrow")
    n = x.shape[d]
    start = int(start) + (n if int(start) < 0 else 0)
    if not (0 <= start <= n and 0 <= length and start + length <= n):
        raise IndexError(f"narrow(): start {start} and length {length} don't fit dim {d} of size {n}")
    return getitem(x, (slice(None),) * d + (slice(start, start + length),))


def select(x: Any, dim: int, index: int) -> Tensor:
    """``x`` at ``index`` along ``dim``, that dim removed."""
    x = as_tensor(x)
    d = _dim(x, dim, "select")
    return getitem(x, (slice(None),) * d + (int(index),))


def take_along_dim(x: Any, indices: Any, dim: int | None = None) -> Tensor:
    """Values at ``indices`` along ``dim`` (indices broadcast against ``x`` outside ``dim``);
    without ``dim``, of the flattened tensor.

    >>> take_along_dim(Tensor([[10.0, 30.0, 20.0]]), np.array([[1, 2]]), 1)
    tensor([[30., 20.]])
    """
    x = as_tensor(x)
    idx = np.asarray(indices._data if isinstance(indices, Tensor) else indices)
    if dim is None:
        return gather(reshape(x, (-1,)), 0, idx.reshape(-1))
    d = _dim(x, dim, "take_along_dim")
    if idx.ndim != x.ndim:
        raise ValueError(f"take_along_dim(): indices of shape {idx.shape} need {x.ndim} dims like the input {x.shape}")
    shape = list(np.broadcast_shapes(tuple(1 if i == d else n for i, n in enumerate(x.shape)),
                                     tuple(1 if i == d else n for i, n in enumerate(idx.shape))))  # fmt: skip
    xs, ids = list(shape), list(shape)
    xs[d], ids[d] = x.shape[d], idx.shape[d]
    idx = np.where(idx < 0, idx + x.shape[d], idx)
    return gather(expand(x, tuple(xs)), d, np.broadcast_to(idx, tuple(ids)))


# ============================================================ triangles and diagonals
def _tri_mask(shape: tuple, k: int, lower: bool) -> np.ndarray:
    r, c = shape[-2], shape[-1]
    m = np.tri(r, c, k, dtype=bool)
    return m if lower else ~np.tri(r, c, k - 1, dtype=bool)


def tril(x: Any, diagonal: int = 0) -> Tensor:
    """The lower triangle (on and below ``diagonal``) of the last two dims, zeros elsewhere.

    >>> tril(Tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor([[1., 0.],
            [3., 4.]])
    """
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"tril(): needs at least 2 dims, got shape {x.shape}")
    return where(_tri_mask(x.shape, diagonal, True), x, x.dtype.type(0))


def triu(x: Any, diagonal: int = 0) -> Tensor:
    """The upper triangle (on and above ``diagonal``) of the last two dims, zeros elsewhere."""
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"triu(): needs at least 2 dims, got shape {x.shape}")
    return where(_tri_mask(x.shape, diagonal, False), x, x.dtype.type(0))


def diagonal(x: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of dims ``dim1``, ``dim2`` (``offset`` above it), as a new last dim.

    >>> diagonal(Tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor([1., 4.])
    """
    x = as_tensor(x)
    a, b = _dim(x, dim1, "diagonal"), _dim(x, dim2, "diagonal")
    if a == b:
        raise ValueError(f"diagonal(): dim1 and dim2 must differ, got {dim1} and {dim2}")
    moved = movedim(x, (a, b), (-2, -1))
    r, c = moved.shape[-2:]
    rows = np.arange(builtins.max(0, -offset), r)
    cols = rows + offset
    keep = (cols >= 0) & (cols < c)
    rows, cols = rows[keep], cols[keep]
    return getitem(moved, (Ellipsis, rows, cols))


def diag_embed(x: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices with the last dim of ``x`` on their diagonal (``offset`` above it), zeros elsewhere.

    >>> diag_embed(Tensor([1.0, 2.0]))
    tensor([[1., 0.],
            [0., 2.]])
    """
    x = as_tensor(x)
    k = np.arange(x.shape[-1])
    n = x.shape[-1] + builtins.abs(offset)
    rows, cols = (k, k + offset) if offset >= 0 else (k - offset, k)
    out = apply(ops.scatter_add, (x,), {"index": (Ellipsis, rows, cols), "shape": x.shape[:-1] + (n, n)})
    nd = out.ndim
    a, b = _axis(nd, dim1, "diag_embed", out.shape), _axis(nd, dim2, "diag_embed", out.shape)
    if (a, b) == (nd - 2, nd - 1):
        return out
    return movedim(out, (-2, -1), (a, b))


def diag(x: Any, diagonal: int = 0) -> Tensor:
    """A 1-d tensor: the square matrix with it on the ``diagonal``; a 2-d one: its diagonal.

    >>> diag(Tensor([[1.0, 2.0], [3.0, 4.0]])), diag(Tensor([1.0, 2.0])).shape
    (tensor([1., 4.]), (2, 2))
    """
    x = as_tensor(x)
    if x.ndim == 1:
        return diag_embed(x, diagonal)
    if x.ndim == 2:
        return globals()["diagonal"](x, diagonal)
    raise ValueError(f"diag(): expects a 1-d or 2-d tensor, got shape {x.shape}")


def diagflat(x: Any, offset: int = 0) -> Tensor:
    """A square matrix with the flattened input on its ``offset`` diagonal."""
    return diag_embed(reshape(as_tensor(x), (-1,)), offset)


def trace(x: Any) -> Tensor:
    """The sum of the diagonal of a matrix."""
    x = as_tensor(x)
    if x.ndim != 2:
        raise ValueError(f"trace(): expects a matrix, got shape {x.shape}")
    return diagonal(x).sum()


# ============================================================ joining
def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple[Tensor, ...]:
    """Coordinate grids from 1-d tensors (``indexing='ij'`` matrix order, ``'xy'`` Cartesian).

    >>> [g.shape for g in meshgrid(Tensor([1.0, 2.0]), Tensor([3.0, 4.0, 5.0]))]
    [(2, 3), (2, 3)]
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    ts = [as_tensor(v) for v in tensors]
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid(): indexing must be 'ij' or 'xy', got {indexing!r}")
    for v in ts:
        if v.ndim > 1:
            raise ValueError(f"meshgrid(): expects 0-d or 1-d tensors, got shape {v.shape}")
    ts = [reshape(v, (-1,)) for v in ts]
    swap = indexing == "xy" and len(ts) >= 2
    order = [1, 0] + list(range(2, len(ts))) if swap else list(range(len(ts)))
    shape = tuple(ts[i].shape[0] for i in order)
    out = []
    for i, v in enumerate(ts):
        pos = order.index(i)
        out.append(expand(reshape(v, tuple(-1 if j == pos else 1 for j in range(len(ts)))), shape))
    return tuple(out)


def hstack(tensors: Sequence[Any]) -> Tensor:
    """Join along dim 1 (dim 0 for 1-d tensors).

    >>> hstack([Tensor([1.0]), Tensor([2.0, 3.0])])
    tensor([1., 2., 3.])
    """
    ts = [atleast_1d(v) for v in tensors]
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Any]) -> Tensor:
    """Join along dim 0, 1-d tensors as rows."""
    return cat([atleast_2d(v) for v in tensors], 0)


def dstack(tensors: Sequence[Any]) -> Tensor:
    """Join along dim 2, lower-dim tensors made at least 2-d (and given a last dim)."""
    ts = [atleast_2d(v) for v in tensors]
    ts = [reshape(v, v.shape + (1,)) if v.ndim == 2 else v for v in ts]
    return cat(ts, 2)


def column_stack(tensors: Sequence[Any]) -> Tensor:
    """Join as columns: 0-d and 1-d tensors become columns, the rest join along dim 1."""
    ts = [as_tensor(v) for v in tensors]
    return cat([reshape(v, (-1, 1)) if v.ndim <= 1 else v for v in ts], 1)


def atleast_1d(x: Any) -> Tensor:
    """A 0-d tensor as shape (1,); others unchanged."""
    x = as_tensor(x)
    return reshape(x, (1,)) if x.ndim == 0 else x


def atleast_2d(x: Any) -> Tensor:
    """Leading dims of size 1 added up to 2 dims."""
    x = as_tensor(x)
    return reshape(x, (1,) * (2 - x.ndim) + x.shape) if x.ndim < 2 else x


def ravel(x: Any) -> Tensor:
    """The flattened tensor (``reshape(-1)``)."""
    return reshape(as_tensor(x), (-1,))


def outer(a: Any, b: Any) -> Tensor:
    """Outer product of two vectors."""
    return einsum("i,j->ij", as_tensor(a), as_tensor(b))


def kron(a: Any, b: Any) -> Tensor:
    """Kronecker product (same number of dims)."""
    a, b = as_tensor(a), as_tensor(b)
    nd = builtins.max(a.ndim, b.ndim)
    a, b = reshape(a, (1,) * (nd - a.ndim) + a.shape), reshape(b, (1,) * (nd - b.ndim) + b.shape)
    spread_a = reshape(a, tuple(v for n in a.shape for v in (n, 1)))
    inter = spread_a * reshape(b, tuple(v for n in b.shape for v in (1, n)))
    return reshape(inter, tuple(m * n for m, n in zip(a.shape, b.shape)))


def cross(a: Any, b: Any, dim: int = -1) -> Tensor:
    """Cross product of 3-vectors along ``dim``."""
    a, b = as_tensor(a), as_tensor(b)
    d = _dim(a, dim, "cross")
    if a.shape[d] != 3:
        raise ValueError(f"cross(): dim {d} must have size 3, got shape {a.shape}")

    def c(v: Tensor, i: int) -> Tensor:
        return select(v, d, i)

    from .functional import stack

    return stack([c(a, 1) * c(b, 2) - c(a, 2) * c(b, 1), c(a, 2) * c(b, 0) - c(a, 0) * c(b, 2),
                  c(a, 0) * c(b, 1) - c(a, 1) * c(b, 0)], d)  # fmt: skip


def block_diag(*tensors: Any) -> Tensor:
    """A block-diagonal matrix of the given matrices."""
    from .functional import pad

    ts = [atleast_2d(v) for v in tensors]
    rows, cols = builtins.sum(v.shape[0] for v in ts), builtins.sum(v.shape[1] for v in ts)
    del rows
    out, c0 = [], 0
    for v in ts:
        out.append(pad(v, ((0, 0), (c0, cols - c0 - v.shape[1]))))
        c0 += v.shape[1]
    return cat(out, 0)


def cartesian_prod(*tensors: Any) -> Tensor:
    """Every combination of the elements of 1-d tensors, one per row.

    >>> cartesian_prod(Tensor([1.0, 2.0]), Tensor([3.0, 4.0])).tolist()
    [[1.0, 3.0], [1.0, 4.0], [2.0, 3.0], [2.0, 4.0]]
    """
    from .functional import stack

    grids = meshgrid(*tensors)
    return stack([reshape(g, (-1,)) for g in grids], 1) if len(grids) > 1 else grids[0]


def broadcast_tensors(*tensors: Any) -> tuple[Tensor, ...]:
    """The tensors expanded to their common broadcast shape (views)."""
    ts = [as_tensor(v) for v in tensors]
    shape = np.broadcast_shapes(*(v.shape for v in ts))
    return tuple(expand(v, shape) for v in ts)


def expand_as(x: Any, other: Any) -> Tensor:
    return expand(as_tensor(x), as_tensor(other).shape)


def reshape_as(x: Any, other: Any) -> Tensor:
    return reshape(as_tensor(x), as_tensor(other).shape)


view_as = reshape_as


# ============================================================ factories
def _dtype(dtype: Any, like: Any = None) -> np.dtype:
    if dtype is not None:
        return np.dtype(dtype)
    return np.asarray(like).dtype if like is not None else get_default_dtype()


def full_like(x: Any, fill_value: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``x``'s shape (and dtype) filled with ``fill_value``."""
    return Tensor(np.full(np.shape(x), fill_value, _dtype(dtype, x)), requires_grad=requires_grad)


def empty(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor (here: zeros, so nothing depends on leftover memory)."""
    return Tensor(np.zeros(_shape_arg(shape), _dtype(dtype)), requires_grad=requires_grad)


def empty_like(x: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``x``'s shape and dtype (zeros: nothing depends on leftover memory)."""
    return Tensor(np.zeros(np.shape(x), _dtype(dtype, x)), requires_grad=requires_grad)


def rand_like(x: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) of ``x``'s shape and dtype (graphgrad's generator)."""
    arr = random.generator().random(np.shape(x)).astype(_dtype(dtype, x))
    return Tensor(arr, requires_grad=requires_grad)


def randn_like(x: Any, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples of ``x``'s shape and dtype (graphgrad's generator)."""
    arr = random.generator().standard_normal(np.shape(x)).astype(_dtype(dtype, x))
    return Tensor(arr, requires_grad=requires_grad)


def randint(low: int, high: Any = None, size: Any = None, *, dtype: Any = None) -> Tensor:
    """Random integers in ``[low, high)`` (``randint(high, size)`` starts at 0), int64."""
    if size is None:
        low, high, size = 0, low, high
    return Tensor(random.generator().integers(low, high, tuple(size)).astype(dtype or np.int64))


def randint_like(x: Any, low: int, high: Any = None, *, dtype: Any = None) -> Tensor:
    """Random integers in ``[low, high)`` of ``x``'s shape and dtype."""
    if high is None:
        low, high = 0, low
    return Tensor(random.generator().integers(low, high, np.shape(x)).astype(_dtype(dtype, x)))


def linspace(start: float, end: float, steps: int, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    >>> linspace(0, 1, 5)
    tensor([0.00, 0.25, 0.50, 0.75, 1.00])
    """
    return Tensor(np.linspace(start, end, int(steps)).astype(_dtype(dtype)), requires_grad=requires_grad)


def logspace(
    start: float, end: float, steps: int, base: float = 10.0, *, dtype: Any = None, requires_grad: bool = False
) -> Tensor:  # fmt: skip
    """``base ** linspace(start, end, steps)``."""
    arr = np.logspace(start, end, int(steps), base=base).astype(_dtype(dtype))
    return Tensor(arr, requires_grad=requires_grad)


def tril_indices(row: int, col: int, offset: int = 0) -> Tensor:
    """The (2, N) indices of the lower triangle, row by row."""
    return _wrap(np.stack(np.tril_indices(row, offset, col)).astype(np.int64), None, False)


def triu_indices(row: int, col: int, offset: int = 0) -> Tensor:
    """The (2, N) indices of the upper triangle, row by row."""
    return _wrap(np.stack(np.triu_indices(row, offset, col)).astype(np.int64), None, False)
