"""Public tensor functions: argument checking and composites over the primitives.

Each function accepts Tensors, arrays or Python scalars and returns a Tensor.
``dim`` may be an int or a tuple; ``axis``/``keepdims`` are NumPy-style aliases.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import graph, ops
from .dtypes import common_float, get_default_dtype
from .recording import _check_fresh, _compare, _version_box, _wrap, apply, apply1, apply2, record_multi
from .tensor import Tensor


def as_tensor(x: Any) -> Tensor:
    """``x`` itself if it is a Tensor, else a new (non-grad) Tensor of it."""
    return x if isinstance(x, Tensor) else Tensor(x)


def _dims(x: Tensor, dim: Any, axis: Any, fn: str) -> tuple[int, ...] | None:
    """Normalize ``dim`` (or its alias ``axis``) to a sorted tuple of axes, or None."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{fn}(): pass either dim or axis, not both")
        dim = axis
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    axes = tuple(sorted(_axis(x.ndim, d, fn, x.shape) for d in dims))
    return axes if x._data.ndim else None  # a 0-d tensor: dim 0 (or -1) is the whole tensor, as PyTorch


def _axis(ndim: int, d: Any, fn: str, shape: tuple, extra: int = 0) -> int:
    n = ndim + extra
    if not isinstance(d, (int, np.integer)):
        raise TypeError(f"{fn}(): dim must be an int here, got {d!r}")
    if not -builtins.max(n, 1) <= d < builtins.max(n, 1):
        raise IndexError(f"{fn}(): dim {d} is out of range for a tensor of shape {shape} (valid: {-n} to {n - 1})")
    return int(d) % builtins.max(n, 1)


def _keep(keepdim: bool, keepdims: bool | None) -> bool:
    return bool(keepdim if keepdims is None else keepdims)


# ============================================================ reductions
def _reduce(op: Any, x: Any, dim: Any, keepdim: bool, axis: Any, keepdims: bool | None, fn: str) -> Tensor:
    x = as_tensor(x)
    return apply(op, (x,), {"axis": _dims(x, dim, axis, fn), "keepdims": _keep(keepdim, keepdims)})


def sum(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool | None = None) -> Tensor:
    """Sum over ``dim`` (all elements by default).

    >>> sum(Tensor([[1.0, 2.0], [3.0, 4.0]]), dim=0)
    tensor([4., 6.])
    """
    return _reduce(ops.reduce_sum, x, dim, keepdim, axis, keepdims, "sum")


def mean(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool | None = None) -> Tensor:
    """Mean over ``dim`` (all elements by default): ``sum / count``; over an empty dim it is nan.

    float16 input is summed in float32 (a float16 sum overflows past 65504).
    """
    x = as_tensor(x)
    axes = _dims(x, dim, axis, "mean")
    count = _count(x, axes)
    if x.dtype == np.float16:
        return mean(x.to(np.float32), axes, _keep(keepdim, keepdims)).to(np.float16)
    total = apply(ops.reduce_sum, (x,), {"axis": axes, "keepdims": _keep(keepdim, keepdims)})
    return total / count if count else total * np.nan  # 0/0, without NumPy's warning


def _count(x: Tensor, axes: tuple | None) -> int:
    """How many elements each reduction over ``axes`` combines."""
    return int(x._data.size) if axes is None else math.prod(x.shape[a] for a in axes)


def _ddof(fn: str, unbiased: bool | None, correction: Any) -> int:
    if correction is not None and unbiased is not None:
        raise TypeError(f"{fn}(): pass either unbiased or correction, not both")
    return int(correction) if correction is not None else 1 if unbiased is None else int(bool(unbiased))


def var(
    x: Any, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
    axis: Any = None, keepdims: bool | None = None, correction: int | None = None,
) -> Tensor:  # fmt: skip
    """Variance over ``dim``, divided by ``n - correction``: by default the unbiased estimate
    (``correction=1``, Bessel), as PyTorch; ``unbiased=False`` or ``correction=0`` divide by n.
    With ``n <= correction`` the result is nan (or inf), as PyTorch. float16 is summed in float32.

    >>> var(Tensor([1.0, 2.0, 3.0, 4.0])), var(Tensor([1.0, 2.0, 3.0, 4.0]), correction=0)
    (tensor(1.6667), tensor(1.25))
    """
    x = as_tensor(x)
    axes = _dims(x, dim, axis, "var")
    count = _count(x, axes)
    ddof = _ddof("var", unbiased, correction)
    if x.dtype == np.float16:
        return var(x.to(np.float32), axes, keepdim=_keep(keepdim, keepdims), correction=ddof).to(np.float16)
    centered = x - mean(x, axes, True)
    squares = apply(ops.reduce_sum, (centered * centered,), {"axis": axes, "keepdims": _keep(keepdim, keepdims)})
    if count > ddof:
        return squares / (count - ddof)
    with np.errstate(invalid="ignore"):  # n <= correction: 0 / 0 = nan (inf for a positive sum), as PyTorch
        return squares * np.inf


def std(
    x: Any, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
    axis: Any = None, keepdims: bool | None = None, correction: int | None = None,
) -> Tensor:  # fmt: skip
    """Standard deviation, ``sqrt(var(...))`` (unbiased by default, as PyTorch).

    Computed as the 2-norm of ``x - mean`` over ``sqrt(n - correction)``, whose gradient is 0
    (not 0/0) where all the values are equal, as PyTorch's.

    >>> std(Tensor([2.0, 2.0]))
    tensor(0.)
    """
    x = as_tensor(x)
    axes = _dims(x, dim, axis, "std")
    count = _count(x, axes)
    ddof = _ddof("std", unbiased, correction)
    if x.dtype == np.float16:
        return std(x.to(np.float32), axes, keepdim=_keep(keepdim, keepdims), correction=ddof).to(np.float16)
    centered = x - mean(x, axes, True)
    norm = apply(ops.vector_norm, (centered,), {"ord": 2.0, "axis": axes, "keepdims": _keep(keepdim, keepdims)})
    if count > ddof:
        return norm * (1 / math.sqrt(count - ddof))
    with np.errstate(invalid="ignore"):
        return norm * np.inf


def _values_indices(x: Any, dim: Any, keepdim: bool, fn: str, pick: Any) -> Any:
    from .reductions import values_indices

    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{fn}(): dim must be an int (the result holds values and indices); "
                        f"for several dims use a{fn}(x, dim={dim!r})")  # fmt: skip
    x = as_tensor(x)
    if x.ndim == 0:
        _axis(0, dim, fn, x.shape)
        return values_indices(x * 1 if x.dtype.kind == "f" else x, _wrap(np.int64(0), None, False))
    d = _axis(x.ndim, dim, fn, x.shape)
    if x.shape[d] == 0:
        raise IndexError(f"{fn}(): dim {d} of shape {x.shape} is empty: there is no {fn}imum to take")
    idx = np.expand_dims(pick(x._data, axis=d), d)
    values = gather(x, d, idx)
    if not keepdim:
        values, idx = squeeze(values, d), np.squeeze(idx, d)
    return values_indices(values, _wrap(idx, None, False))


def max(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool | None = None) -> Any:
    """Without ``dim``: the largest value (tied maxima share the gradient). With an int ``dim``:
    a named tuple ``(values, indices)`` along it, as PyTorch (the gradient goes to the index).
    ``amax`` reduces several dims at once; ``max(a, b)`` with a Tensor ``b`` is ``maximum(a, b)``.

    >>> max(Tensor([[1.0, 5.0], [3.0, 2.0]]), dim=1)
    values_indices(values=tensor([5., 3.]), indices=tensor([1, 0]))
    """
    if dim is None and axis is None:
        return _reduce(ops.reduce_max, x, None, keepdim, None, keepdims, "max")
    if isinstance(dim, Tensor):  # max(a, b): PyTorch's other form, the elementwise maximum
        return maximum(x, dim)
    return _values_indices(x, dim if axis is None else axis, _keep(keepdim, keepdims), "max", np.argmax)


def min(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool | None = None) -> Any:
    """Without ``dim``: the smallest value (tied minima share the gradient). With an int ``dim``:
    a named tuple ``(values, indices)``, as PyTorch. ``amin`` reduces several dims at once."""
    if dim is None and axis is None:
        return _reduce(ops.reduce_min, x, None, keepdim, None, keepdims, "min")
    if isinstance(dim, Tensor):  # min(a, b): the elementwise minimum
        return minimum(x, dim)
    return _values_indices(x, dim if axis is None else axis, _keep(keepdim, keepdims), "min", np.argmin)


def prod(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool | None = None) -> Tensor:
    """Product over ``dim`` (exact gradient even with zeros)."""
    return _reduce(ops.reduce_prod, x, dim, keepdim, axis, keepdims, "prod")


def logsumexp(
    x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool | None = None
) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``, computed without overflow."""
    return _reduce(ops.logsumexp, x, dim, keepdim, axis, keepdims, "logsumexp")


def _arg(fn: Any, name: str, x: Any, dim: Any, keepdim: bool, axis: Any, keepdims: bool | None) -> Tensor:
    x = as_tensor(x)
    d = dim if axis is None else axis
    if d is None:
        out = fn(x._data)
        return _wrap(np.asarray(out).reshape((1,) * x.ndim) if _keep(keepdim, keepdims) else out, None, False)
    a = _axis(x.ndim, d, name, x.shape)
    return _wrap(np.asarray(fn(x._data, axis=a, keepdims=_keep(keepdim, keepdims))), None, False)


def argmax(
    x: Any, dim: int | None = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool | None = None
) -> Tensor:
    """Index of the largest value (int64, no gradient)."""
    return _arg(np.argmax, "argmax", x, dim, keepdim, axis, keepdims)


def argmin(
    x: Any, dim: int | None = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool | None = None
) -> Tensor:
    """Index of the smallest value (int64, no gradient)."""
    return _arg(np.argmin, "argmin", x, dim, keepdim, axis, keepdims)


def softmax(x: Any, dim: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``, stable for large inputs."""
    x = as_tensor(x)
    if x._data.size == 0:  # nothing to normalise (NumPy's max would refuse the empty axis)
        return apply(ops.copy, (x,)) if x.dtype.kind == "f" else x
    if x.ndim == 0:  # (PyTorch: 1)
        return reshape(apply(ops.softmax, (reshape(x, (1,)),), {"axis": _axis(0, dim, "softmax", ())}), ())
    return apply(ops.softmax, (x,), {"axis": _axis(x.ndim, dim, "softmax", x.shape)})


def attention(
    query: Any, key: Any, value: Any, bias: Any = None, *, scale: float, dropout_mask: Any = None, causal: bool = False
) -> Tensor:
    """``softmax(query @ key^T * scale + bias) * dropout_mask @ value`` over the last two dims, one primitive.

    ``query`` (..., L, E), ``key`` (..., S, E), ``value`` (..., S, Ev), leading dims broadcasting;
    ``bias`` (an additive mask: 0 / -inf, or a float Tensor, which gets a gradient) and
    ``dropout_mask`` (a constant array of multipliers: dropout's scaled keep mask) broadcast to
    (..., L, S). ``causal=True`` (without a bias): query i sees keys 0..i, and the scores the mask
    would hide in the first half of the queries are not computed. The engine behind
    ``nn.functional.scaled_dot_product_attention``, which checks the arguments and builds the masks;
    see ``ops.attention`` for why it is one primitive.

    >>> q = Tensor([[1.0, 0.0], [0.0, 1.0]])
    >>> attention(q, q, q, scale=1.0).shape
    (2, 2)
    """
    q, k, v = as_tensor(query), as_tensor(key), as_tensor(value)
    mask = (
        None
        if dropout_mask is None
        else np.asarray(dropout_mask._data if isinstance(dropout_mask, Tensor) else dropout_mask)
    )
    if causal and bias is not None:
        raise ValueError("attention: give a bias or causal=True, not both")
    params = {"scale": float(scale), "causal": True} if causal else {"scale": float(scale)}
    return apply(ops.attention, (q, k, v, bias, mask), params)


def log_softmax(x: Any, dim: int = -1) -> Tensor:
    """``x - logsumexp(x)`` along ``dim``, stable for large inputs."""
    x = as_tensor(x)
    if x._data.size == 0:
        return apply(ops.copy, (x,)) if x.dtype.kind == "f" else x
    if x.ndim == 0:  # (PyTorch: 0)
        return reshape(apply(ops.log_softmax, (reshape(x, (1,)),), {"axis": _axis(0, dim, "log_softmax", ())}), ())
    return apply(ops.log_softmax, (x,), {"axis": _axis(x.ndim, dim, "log_softmax", x.shape)})


# ============================================================ elementwise
_KEEP_INTEGERS = (ops.neg, ops.absolute, ops.relu)


def _unary(op: Any) -> Any:
    def fn(x: Any) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x._data.dtype.kind != "f" and op not in _KEEP_INTEGERS:  # exp(int): the default float, as PyTorch
            x = x.to(get_default_dtype())
        return apply1(op, x)

    fn.__name__ = fn.__qualname__ = op.name
    fn.__doc__ = f"Elementwise ``{op.name}`` (a primitive; see ``autograd.ops``)."
    return fn


exp = _unary(ops.exp)
log = _unary(ops.log)
log1p = _unary(ops.log1p)
sqrt = _unary(ops.sqrt)
sin = _unary(ops.sin)
cos = _unary(ops.cos)
tanh = _unary(ops.tanh)
sigmoid = _unary(ops.sigmoid)
relu = _unary(ops.relu)
softplus = _unary(ops.softplus)
abs = _unary(ops.absolute)
neg = _unary(ops.neg)


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    """``x`` where positive, ``negative_slope * x`` elsewhere."""
    return apply(ops.leaky_relu, (as_tensor(x),), {"slope": float(negative_slope)})


def clamp(x: Any, min: float | None = None, max: float | None = None) -> Tensor:
    """Limit values to ``[min, max]``; the gradient is 1 inside (bounds included), 0 outside."""
    if min is None and max is None:
        raise ValueError("clamp(): at least one of min and max must be given")
    return apply(ops.clamp, (as_tensor(x),), {"lo": min, "hi": max})


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum; on ties each input gets half the gradient."""
    return apply2(ops.maximum, a, b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum; on ties each input gets half the gradient."""
    return apply2(ops.minimum, a, b)


def lerp(input: Any, end: Any, weight: Any) -> Tensor:
    """Linear interpolation ``input + weight * (end - input)``, as PyTorch's ``lerp``.

    ``weight`` may be a Tensor (it then gets a gradient too) or a number. One recorded op
    instead of three, e.g. a GRU's new state ``lerp(n, h, z)``.

    >>> lerp(Tensor([0.0, 10.0]), Tensor([1.0, 20.0]), 0.25)
    tensor([ 0.25, 12.50])
    """
    if not isinstance(weight, Tensor) and np.ndim(weight) == 0:  # a number: no gradient, its dtype stays weak
        return apply(ops.lerp, _float_operands("lerp", input, end) + (float(weight),))
    return apply(ops.lerp, _float_operands("lerp", input, end, weight))


def addcmul(input: Any, tensor1: Any, tensor2: Any, *, value: float = 1) -> Tensor:
    """``input + value * tensor1 * tensor2``, as PyTorch's ``addcmul``: one recorded op instead of two.

    >>> addcmul(Tensor([1.0, 1.0]), Tensor([2.0, 3.0]), Tensor([4.0, 5.0]), value=0.5)
    tensor([5.0, 8.5])
    """
    return apply(ops.addcmul, _float_operands("addcmul", input, tensor1, tensor2), {"value": value})


def _float_operands(name: str, *values: Any) -> tuple[Tensor, ...]:
    """The operands as Tensors of one floating dtype (integers become the default float), their
    shapes checked to broadcast together."""
    ts = tuple([v if isinstance(v, Tensor) else as_tensor(v) for v in values])
    first = ts[0]._data
    usual = first.dtype.kind == "f"  # and one shape, one dtype: checked cheaply, this runs at every RNN step
    for t in ts:
        if not usual:
            break
        usual = t._data.dtype == first.dtype and t._data.shape == first.shape
    if usual:
        return ts
    try:
        np.broadcast_shapes(*(t.shape for t in ts))
    except ValueError:
        raise ValueError(f"{name}(): shapes {', '.join(str(t.shape) for t in ts)} don't broadcast together") from None
    return _float_operands_any_shape(*ts)


def _float_operands_any_shape(*ts: Tensor) -> tuple[Tensor, ...]:
    """Tensors cast to their common floating dtype (integers and bools: the default float)."""
    dtype = common_float(*(t.dtype for t in ts))
    return tuple(t if t.dtype == dtype else t.to(dtype) for t in ts)


def addmm(input: Any, mat1: Any, mat2: Any) -> Tensor:
    """``input + mat1 @ mat2`` for 2-D ``mat1``, ``mat2``, with ``input`` broadcast to the product,
    as PyTorch's ``addmm``: one recorded op, the sum made in place on the product.

    >>> addmm(Tensor([[10.0], [20.0]]), Tensor([[1.0, 2.0], [3.0, 4.0]]), Tensor([[1.0], [1.0]]))
    tensor([[13.],
            [27.]])
    """
    c, a, b = (v if isinstance(v, Tensor) else as_tensor(v) for v in (input, mat1, mat2))
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"addmm(): mat1 {a.shape} and mat2 {b.shape} are not 2-D matrices that can be multiplied")
    product = (a.shape[0], b.shape[1])
    if c.ndim > 2 or any(n not in (1, p) for n, p in zip(c.shape[::-1], product[::-1])):
        raise ValueError(f"addmm(): input of shape {c.shape} doesn't broadcast to the product's shape {product}")
    c, a, b = _float_operands_any_shape(c, a, b)
    return apply(ops.addmm, (c, a, b))


_NOT_GIVEN: Any = object()


def where(cond: Any, a: Any = _NOT_GIVEN, b: Any = _NOT_GIVEN) -> Any:
    """``a`` where ``cond`` is true, else ``b`` (branches may be Python scalars). With ``cond``
    alone: the indices where it is non-zero, one tensor per dim (``nonzero(as_tuple=True)``).

    >>> where(np.array([True, False]), Tensor([1.0, 2.0]), 0.0)
    tensor([1., 0.])
    """
    if a is _NOT_GIVEN and b is _NOT_GIVEN:
        from .indexing import nonzero

        return nonzero(cond, as_tuple=True)
    if a is _NOT_GIVEN or b is _NOT_GIVEN:
        raise TypeError("where(): pass both branches (where(cond, a, b)), or only cond")
    c = cond._data if isinstance(cond, Tensor) else np.asarray(cond)
    if c.dtype != bool:
        raise TypeError(f"where(): the condition must be bool, got {c.dtype}")
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor(a)
    for v in (a, b):
        if not isinstance(v, Tensor) and np.asarray(v).dtype.kind not in "biuf":
            raise TypeError(f"where(): unsupported branch of dtype {np.asarray(v).dtype} (not a number)")
    return apply(ops.where, (a, b), {"cond": c})


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with NumPy's rules (1-D operands, batch broadcasting).

    >>> matmul(Tensor([[1.0, 2.0]]), Tensor([[3.0], [4.0]]))
    tensor([[11.]])
    """
    a, b = as_tensor(a), as_tensor(b)
    sa, sb = a.shape, b.shape
    if not sa or not sb:
        raise ValueError(f"matmul: both operands need at least 1 dimension, got shapes {sa} and {sb}")
    k_b = sb[0] if len(sb) == 1 else sb[-2]
    if sa[-1] != k_b:
        raise ValueError(
            f"matmul: shapes {sa} and {sb} cannot be multiplied "
            f"({sa[-1]} columns in the first vs {k_b} rows in the second)"
        )
    if len(sa) > 2 or len(sb) > 2:  # batch dims (only then: this check costs more than a small matmul)
        try:
            np.broadcast_shapes(sa[:-2], sb[:-2])
        except ValueError:
            raise ValueError(
                f"matmul: shapes {sa} and {sb} cannot be multiplied "
                f"(batch dims {sa[:-2]} and {sb[:-2]} don't broadcast)"
            ) from None
    return apply2(ops.matmul, a, b)


def linear(x: Any, weight: Any, bias: Any = None) -> Tensor:
    """``x @ weight.T + bias`` with ``weight`` of shape (out_features, in_features).

    The input and bias must have the weight's dtype (a ``TypeError`` otherwise, as PyTorch
    refuses them): a float64 batch into a float32 layer would silently compute in float64.
    """
    if not isinstance(x, Tensor):
        x = Tensor(x)
    try:  # the primitive's matmul fails exactly when the shapes don't fit: check them only then
        return apply(ops.linear, (x, weight) if bias is None else (x, weight, bias))
    except ValueError:
        xs, ws = x.shape, np.shape(weight)
        if len(ws) == 2 and xs and xs[-1] == ws[1]:
            raise
    raise ValueError(
        f"linear: input of shape {xs} has {xs[-1] if xs else 0} features, "
        f"but the weight of shape {tuple(ws)} expects {ws[1] if len(ws) == 2 else '?'}"
    )


def einsum(subscripts: str, *tensors: Any) -> Tensor:
    """Einstein summation, as ``np.einsum``; differentiable in every operand.

    >>> einsum("ij,jk->ik", Tensor([[1.0, 2.0]]), Tensor([[3.0], [4.0]]))
    tensor([[11.]])
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    ts = tuple(as_tensor(t) for t in tensors)
    ops.parse_einsum(subscripts, [t.shape for t in ts])  # clear errors before NumPy's
    return apply(ops.einsum, ts, {"subscripts": subscripts})


# ============================================================ shapes
def _shape_arg(shape: Any) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def reshape(x: Any, shape: Any) -> Tensor:
    """Same data, new shape (one entry may be -1)."""
    x = as_tensor(x)
    shape = _shape_arg(shape if isinstance(shape, (tuple, list)) else (shape,))
    return apply(ops.reshape, (x,), {"shape": shape})


view = reshape


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one."""
    x = as_tensor(x)
    n = x._data.ndim
    if n == 0:
        return reshape(x, (1,))
    # (the usual dims, a batch dim kept and the rest merged, without the general check)
    s = start_dim if type(start_dim) is int and 0 <= start_dim < n else _axis(n, start_dim, "flatten", x.shape)
    e = n - 1 if type(end_dim) is int and end_dim == -1 else _axis(n, end_dim, "flatten", x.shape)
    if s > e:
        raise ValueError(f"flatten(): start_dim {start_dim} comes after end_dim {end_dim}")
    if s == e:  # nothing to merge: the tensor itself, as PyTorch returns
        return x
    return reshape(x, x.shape[:s] + (-1,) + x.shape[e + 1 :])


def permute(x: Any, dims: Any) -> Tensor:
    """Reorder the dims: ``permute(x, (2, 0, 1))``."""
    x = as_tensor(x)
    dims = _shape_arg(dims if isinstance(dims, (tuple, list)) else (dims,))
    axes = tuple(_axis(x.ndim, d, "permute", x.shape) for d in dims)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"permute(): {dims} is not a permutation of the {x.ndim} dims of shape {x.shape}")
    return apply(ops.permute, (x,), {"axes": axes})


def transpose(x: Any, dim0: int, dim1: int) -> Tensor:
    """Swap two dims."""
    x = as_tensor(x)
    axes = list(range(x.ndim))
    a, b = _axis(x.ndim, dim0, "transpose", x.shape), _axis(x.ndim, dim1, "transpose", x.shape)
    axes[a], axes[b] = axes[b], axes[a]
    return apply(ops.permute, (x,), {"axes": tuple(axes)})


def squeeze(x: Any, dim: Any = None) -> Tensor:
    """Drop dims of size 1 (only ``dim`` if given; a no-op if its size isn't 1)."""
    x = as_tensor(x)
    dims = _dims(x, dim, None, "squeeze")
    keep = [n for i, n in enumerate(x.shape) if n != 1 or (dims is not None and i not in dims)]
    return reshape(x, tuple(keep))


def unsqueeze(x: Any, dim: int) -> Tensor:
    """Insert a dim of size 1 at ``dim``."""
    x = as_tensor(x)
    d = _axis(x.ndim, dim, "unsqueeze", x.shape, extra=1)
    return reshape(x, x.shape[:d] + (1,) + x.shape[d:])


def expand(x: Any, shape: Any) -> Tensor:
    """Broadcast to ``shape`` without copying (-1 keeps a size)."""
    x = as_tensor(x)
    shape = _shape_arg(shape if isinstance(shape, (tuple, list)) else (shape,))
    lead = len(shape) - x.ndim
    if lead < 0:
        raise ValueError(f"expand(): target shape {shape} has fewer dims than the tensor's shape {x.shape}")
    target = tuple(x.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(shape))
    for i, n in enumerate(x.shape):
        if n != 1 and n != target[i + lead]:
            raise ValueError(
                f"expand(): the size {n} at dim {i} of shape {x.shape} can't become {target[i + lead]} "
                f"(only size-1 dims expand); target {shape}"
            )
    return apply(ops.expand, (x,), {"shape": target})


def broadcast_to(x: Any, shape: Any) -> Tensor:
    return expand(x, shape)


def cat(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim."""
    ts = _sequence(tensors, "cat")
    ref = ts[0].shape
    d = _axis(len(ref), dim, "cat", ref)
    for i, t in enumerate(ts):
        if t.ndim != len(ref) or t.shape[:d] + t.shape[d + 1 :] != ref[:d] + ref[d + 1 :]:
            raise ValueError(f"cat(): tensor {i} has shape {t.shape}, which doesn't match {ref} outside dim {d}")
    offsets = tuple(int(o) for o in np.cumsum([0] + [t.shape[d] for t in ts]))
    return apply(ops.cat, ts, {"axis": d, "offsets": offsets})


def stack(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    ts = _sequence(tensors, "stack")
    ref = ts[0].shape
    for i, t in enumerate(ts):
        if t.shape != ref:
            raise ValueError(f"stack(): all tensors need the same shape; tensor 0 is {ref}, tensor {i} is {t.shape}")
    return apply(ops.stack, ts, {"axis": _axis(len(ref), dim, "stack", ref, extra=1)})


def _sequence(tensors: Any, fn: str) -> tuple[Tensor, ...]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence) or len(tensors) == 0:
        raise TypeError(f"{fn}(): expected a non-empty list or tuple of tensors")
    return tuple(as_tensor(t) for t in tensors)


def split(x: Any, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
    """Split into chunks of a given size (the last may be smaller) or given sizes."""
    x = as_tensor(x)
    d = _axis(x.ndim, dim, "split", x.shape)
    n = x.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size <= 0:
            raise ValueError(f"split(): chunk size must be positive, got {size}")
        sizes = [builtins.min(size, n - s) for s in range(0, n, size)] or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if builtins.min(sizes, default=0) < 0:
            raise ValueError(f"split(): sizes must not be negative, got {sizes}")
        if builtins.sum(sizes) != n:
            raise ValueError(f"split(): sizes {sizes} add up to {builtins.sum(sizes)}, but dim {d} has size {n}")
    return _apply_multi(ops.split, x, {"axis": d, "sizes": tuple(sizes), "squeeze": False})


def unbind(x: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``dim``, with that dim removed (views), as PyTorch's ``unbind``.

    Like ``split``, one node serves all the slices: backward stacks their gradients
    once, so taking every time step of a sequence costs O(T), not O(T^2).

    >>> [t.tolist() for t in unbind(Tensor([[1.0, 2.0], [3.0, 4.0]]), dim=1)]
    [[1.0, 3.0], [2.0, 4.0]]
    """
    x = as_tensor(x)
    d = _axis(x.ndim, dim, "unbind", x.shape)
    return _apply_multi(ops.split, x, {"axis": d, "sizes": (1,) * x.shape[d], "squeeze": True})


def _apply_multi(op: Any, x: Tensor, params: dict) -> tuple[Tensor, ...]:
    """Run a primitive whose forward returns a tuple of views of ``x``, recording it once.

    Each output gets a pass-through node (``Select``) whose gradient goes into a slot of
    the shared node; the primitive's rule receives them all together (see ``ops.split``).
    """
    raw = x._data
    if x._base is not None:
        _check_fresh(x)
    pieces = op.forward(raw, **params)
    if x.requires_grad and graph.grad_enabled():
        outs = record_multi(op, (x,), (raw,), (x._node or x,), params, pieces)
    else:
        outs = [_wrap(p, None, False) for p in pieces]
    if type(raw) is np.ndarray:  # the pieces are views of x: they share its version counter
        box, base = _version_box(x), x._base if x._base is not None else x
        for t in outs:
            t._vc, t._base = box, base
            if t._node is not None:
                t._node.out_vc = box
    return tuple(outs)


def pad(x: Any, pad_width: Any, value: float = 0) -> Tensor:
    """Constant padding with NumPy's ``pad_width`` form: int, (before, after), or one pair per dim.
    A negative width crops instead, as PyTorch's ``pad``.

    >>> pad(Tensor([1.0, 2.0, 3.0]), ((1, -1),))
    tensor([0., 1., 2.])
    """
    x = as_tensor(x)
    try:
        pairs = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    except ValueError:
        raise ValueError(f"pad(): pad_width {pad_width!r} doesn't fit a tensor of shape {x.shape}") from None
    if (pairs < 0).any():
        if (pairs.clip(max=0).sum(1) + np.asarray(x.shape) < 0).any():
            raise ValueError(f"pad(): negative pad widths {pad_width!r} crop more than the shape {x.shape} holds")
        x = getitem(x, tuple(slice(-int(a), n + int(b)) for (a, b), n in zip(pairs.clip(max=0), x.shape)))
        pairs = pairs.clip(min=0)
        if not pairs.any():
            return x
    pw = tuple((int(a), int(b)) for a, b in pairs)
    return apply(ops.pad, (x,), {"pad_width": pw, "value": value})


def sliding_window(x: Any, window_shape: int | Sequence[int], stride: int | Sequence[int] = 1) -> Tensor:
    """Every window over the last ``len(window_shape)`` dims, as a view.

    Shape ``x.shape[:-k] + out + window_shape``; this is what convolution and
    pooling are built from. Its gradient adds each window back where it came from.
    """
    x = as_tensor(x)
    window, strides = _window_args(x, window_shape, stride, "sliding_window")
    return apply(ops.sliding_window, (x,), {"window": window, "stride": strides})


def _window_args(x: Tensor, window_shape: Any, stride: Any, who: str) -> tuple[tuple, tuple]:
    """Window and stride as tuples of ints, one per trailing dim, each at least 1 and the window fitting."""
    window = (window_shape,) if isinstance(window_shape, (int, np.integer)) else tuple(window_shape)
    strides = (stride,) * len(window) if isinstance(stride, (int, np.integer)) else tuple(stride)
    if (
        len(window) > x.ndim or len(strides) != len(window) or builtins.min(window + strides) <= 0
        or builtins.any(w > n for w, n in zip(window, x.shape[x.ndim - len(window):]))
    ):  # fmt: skip
        raise ValueError(f"{who}(): bad window {window} / stride {strides} for shape {x.shape}")
    return tuple(map(int, window)), tuple(map(int, strides))


def window_totals(x: Any, window_shape: int | Sequence[int], stride: int | Sequence[int] = 1) -> Tensor:
    """The sum of every window over the last ``len(window_shape)`` dims (sum pooling).

    The same values as ``sliding_window(x, window_shape, stride)`` summed over its window
    dims, computed with one strided add per window offset instead of copying the windows.

    >>> window_totals(Tensor(np.arange(16.0).reshape(4, 4)), (2, 2), stride=2).tolist()
    [[10.0, 18.0], [42.0, 50.0]]
    """
    x = as_tensor(x)
    window, strides = _window_args(x, window_shape, stride, "window_totals")
    return apply(ops.window_totals, (x,), {"window": window, "stride": strides})


# ============================================================ indexing
def normalize_index(index: Any) -> Any:
    """Turn Tensors and lists inside an index into arrays NumPy understands."""
    if isinstance(index, tuple):
        return tuple(_index_item(i) for i in index)
    return _index_item(index)


def _index_item(i: Any) -> Any:
    if isinstance(i, Tensor):
        i = i._data
    elif isinstance(i, list):
        i = np.asarray(i)
    if isinstance(i, np.ndarray) and i.dtype.kind not in "biu":
        raise IndexError(f"index arrays must be integer or bool, got {i.dtype}")
    return i


def getitem(x: Any, index: Any) -> Tensor:
    """``x[index]`` with NumPy semantics (basic and advanced; repeats accumulate grads)."""
    x = as_tensor(x)
    return apply(ops.getitem, (x,), {"index": normalize_index(index)})


def cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of ``logits`` (N, C) against integer classes ``target`` (N,).

    One primitive (``logsumexp(x_i) - x_i[t_i]`` per row), stable at any magnitude, whose
    gradient is ``softmax(x) - onehot(t)``. ``nn.functional.cross_entropy`` adds class
    weights, ``ignore_index`` and other shapes on top.

    >>> round(cross_entropy(Tensor([[0.0, 0.0]]), np.array([1])).item(), 4)
    0.6931
    """
    x = as_tensor(logits)
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    if x.ndim != 2 or t.shape != x.shape[:1]:
        raise ValueError(f"cross_entropy(): expected logits (N, C) and targets (N,), got {x.shape} and {t.shape}")
    if t.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy(): targets must be integer classes, got {t.dtype}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"cross_entropy(): reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    # Classes >= C make the forward's indexing raise; only negative ones (which would index
    # from the end) need a check of their own. (argmin: a fraction of min()'s fixed cost.)
    if not t.size or t.dtype.kind == "u" or t[t.argmin()] >= 0:
        try:
            # (the target is the op's second input, without a gradient: drawings show it)
            return apply(ops.cross_entropy, (x, target if isinstance(target, Tensor) else t), {"reduction": reduction})
        except IndexError:
            pass
    raise IndexError(f"cross_entropy(): target classes must be in [0, {x.shape[1]}), got {t.min()}..{t.max()}")


def gather(x: Any, dim: int, index: Any) -> Tensor:
    """Pick values along ``dim`` by index, as PyTorch's ``gather``: for ``dim=1``,
    ``out[i][j] = x[i][index[i][j]]``. ``index`` has ``x``'s number of dims; repeated
    picks accumulate their gradients.

    >>> gather(Tensor([[1.0, 2.0], [3.0, 4.0]]), 1, np.array([[1], [0]])).tolist()
    [[2.0], [3.0]]
    """
    x = as_tensor(x)
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    d = _axis(x.ndim, dim, "gather", x.shape)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"gather(): index must be integers, got {idx.dtype}")
    if idx.ndim != x.ndim or any(n > m for i, (n, m) in enumerate(zip(idx.shape, x.shape)) if i != d):
        raise ValueError(
            f"gather(): index of shape {idx.shape} doesn't fit input of shape {x.shape} along dim {d} "
            "(same number of dims, and no larger than the input outside dim)"
        )
    if idx.size and (idx.min() < 0 or idx.max() >= x.shape[d]):
        raise IndexError(f"gather(): index values must be in [0, {x.shape[d]}) for dim {d} of shape {x.shape}")
    return apply(ops.gather, (x,), {"index": idx, "axis": d})


def one_hot(indices: Any, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding with a new last dim of size ``num_classes``."""
    idx = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot(): indices must be integers, got {idx.dtype}")
    if num_classes < 0:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    if idx.size and (idx.min() < 0 or idx.max() >= num_classes):
        raise ValueError(
            f"one_hot(): class values must be in [0, {num_classes}), got values from {idx.min()} to {idx.max()}"
        )
    return _wrap(np.eye(num_classes, dtype=np.int64)[idx], None, False)


# ============================================================ NumPy ufunc dispatch
def _compare_fn(fn: Any) -> Any:
    return lambda a, b: _compare(fn, as_tensor(a), b)


UFUNCS = {
    "add": lambda a, b: apply2(ops.add, a, b),
    "subtract": lambda a, b: apply2(ops.sub, a, b),
    "multiply": lambda a, b: apply2(ops.mul, a, b),
    "divide": lambda a, b: apply2(ops.div, a, b),
    "true_divide": lambda a, b: apply2(ops.div, a, b),
    "power": lambda a, b: as_tensor(a) ** b,
    "matmul": matmul,
    "maximum": maximum,
    "minimum": minimum,
    "negative": neg,
    "exp": exp,
    "log": log,
    "log1p": log1p,
    "sqrt": sqrt,
    "sin": sin,
    "cos": cos,
    "tanh": tanh,
    "absolute": abs,
    "less": _compare_fn(np.less),
    "less_equal": _compare_fn(np.less_equal),
    "greater": _compare_fn(np.greater),
    "greater_equal": _compare_fn(np.greater_equal),
    "equal": _compare_fn(np.equal),
    "not_equal": _compare_fn(np.not_equal),
}
