"""The primitives: each one's NumPy forward, and its derivative rules, side by side.

A rule ``lambda g, ans, *inputs, **params: ...`` returns the gradient for one input
from the output gradient ``g`` and the output ``ans``. Rules use operators and the
primitives defined here, so one line serves both first-order backward on raw arrays
and ``create_graph=True`` (where it runs on Tensors and is recorded). A rule may
return its gradient in the broadcast shape: the engine sums it back to the input's
shape and dtype in one place.

Everything else in graphgrad (softmax cross-entropy, convolution, GRUs, ...) is
composed from these.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
from typing import Any

import numpy as np

from . import blas, scratch, special
from .deferred import MatmulSum
from .dtypes import get_default_dtype
from .graph import Op
from .tensor import Tensor


def _raw(x: Any) -> Any:
    """The array inside a Tensor (used for masks, which carry no gradient)."""
    return x._data if isinstance(x, Tensor) else x


def _mask(cond: Any, like: Any) -> np.ndarray:
    """A 0/1 mask in the dtype of ``like``, so multiplying by it doesn't upcast."""
    return np.asarray(cond).astype(_raw(like).dtype)


# The ufuncs' own reductions, for the hot spots below: ``.sum()``/``.max()`` go through a
# Python wrapper that costs more than the work on a small array (same results).
_sum, _max = np.add.reduce, np.maximum.reduce
_ndarray, _matmul_sum, _KEEP = np.ndarray, MatmulSum.of, MatmulSum.KEEP
_POOLED = scratch.MIN_BYTES  # results at least this large go into reused arrays (``scratch.empty``)


_ONES: dict[tuple, np.ndarray] = {}  # (length, dtype) -> a read-only row of ones, shared by every call


def _ones(n: int, dtype: np.dtype) -> np.ndarray:
    ones = _ONES.get((n, dtype))
    if ones is None:
        if len(_ONES) >= 64:  # (another batch size each call: keep the latest few)
            _ONES.clear()
        ones = _ONES[n, dtype] = np.ones(n, dtype)
        ones.flags.writeable = False
    return ones


def column_sums(g: np.ndarray) -> np.ndarray:
    """The sums down the columns of a 2-D floating-point array, as one BLAS product with a row of
    ones: ~3x faster than ``g.sum(0)`` (NumPy's reduction down a tall array), with smaller rounding
    errors. A bias's gradient.

    >>> column_sums(np.array([[1.0, 2.0], [3.0, 4.0]]))
    array([4., 6.])
    """
    return _ones(g.shape[0], g.dtype) @ g


# ============================================================ elementwise, binary
# Operators (not ufunc calls) as forwards: on NumPy scalars they are 20x faster.
add = Op("add", operator.add, lambda g, ans, x, y: g, lambda g, ans, x, y: g, saves="")
sub = Op("sub", operator.sub, lambda g, ans, x, y: g, lambda g, ans, x, y: -g, saves="")
mul = Op("mul", operator.mul, lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x, saves="inputs")


def _true_divide(x: Any, y: Any) -> Any:
    """x / y; dividing integers gives the default float dtype (as PyTorch), not float64."""
    out = x / y
    if out.dtype == np.float64 and _integral(x) and _integral(y):
        return out.astype(get_default_dtype())
    return out


def _integral(v: Any) -> bool:
    return type(v) in (bool, int) or getattr(v, "dtype", None) is not None and v.dtype.kind in "biu"


div = Op("div", _true_divide, lambda g, ans, x, y: g / y, lambda g, ans, x, y: -g * ans / y)


def _log_base(x: Any) -> Any:
    """log(x) with log(0) taken as 0, so d(x**y)/dy is 0 (not nan) at x = 0."""
    zero = np.asarray(_raw(x) == 0)  # x may be a Python number (2 ** t)
    return log(where(1.0, x, cond=zero)) if zero.any() else log(x)  # 1.0 where x == 0, else x


power = Op(
    "pow",
    operator.pow,
    lambda g, ans, x, y: g * _power_slope(x, y),
    lambda g, ans, x, y: g * ans * _log_base(x),
)


def _power_slope(x: Any, y: Any) -> Any:
    """d(x**y)/dx = y * x**(y-1), taken as 0 where y == 0 (x**0 is constant; 0**-1 would be inf)."""
    zero = np.asarray(_raw(y) == 0)
    if zero.any():  # evaluate x**(y-1) at 1 there: y * 1 = 0, and 0**-1 is never computed
        x = where(x, 1.0, cond=~zero)
    return y * x ** (y - 1)


def _powc(x: Any, p: Any) -> Any:
    if p == 2:
        return x * x
    if type(p) is float and x.dtype.kind != "f":  # int tensor ** float: the default float, as PyTorch
        x = x.astype(get_default_dtype())
    return x**p


powc = Op(  # x ** p for a Python number p
    "pow",
    _powc,
    lambda g, ans, x, p: g * (2 * x if p == 2 else p * x ** (p - 1) if p != 0 else 0 * x),  # x**0: 0, not 0/0
    saves="inputs",
)


def _tie_mask(x: Any, y: Any) -> np.ndarray:
    """1 where x wins, 0.5 on ties (the gradient is shared), 0 where y wins."""
    xr, yr = _raw(x), _raw(y)
    m = _mask(xr > yr, xr)
    m += 0.5 * (xr == yr)
    return m


maximum = Op(
    "maximum",
    np.maximum,
    lambda g, ans, x, y: g * _tie_mask(x, y),
    lambda g, ans, x, y: g * _tie_mask(y, x),
    saves="inputs",
)
minimum = Op(
    "minimum",
    np.minimum,
    lambda g, ans, x, y: g * _tie_mask(y, x),
    lambda g, ans, x, y: g * _tie_mask(x, y),
    saves="inputs",
)
where = Op(
    "where",
    lambda x, y, cond: np.where(cond, x, y),
    lambda g, ans, x, y, cond: g * cond,
    lambda g, ans, x, y, cond: g * ~cond,
    saves="",
)


# ============================================================ elementwise, ternary (PyTorch's lerp and addcmul)
def _same_layout(a: Any, b: Any, c: Any) -> bool:
    """Three ndarrays of one shape and dtype: the fused forwards below may then work in place."""
    return (
        type(a) is _ndarray and type(b) is _ndarray and type(c) is _ndarray
        and a.dtype == b.dtype == c.dtype and a.shape == b.shape == c.shape
    )  # fmt: skip


def _lerp(a: Any, b: Any, w: Any) -> Any:
    """``a + w * (b - a)``; with equal shapes and dtypes in one new array."""
    if not _same_layout(a, b, w):
        return a + w * (b - a)
    out = np.subtract(b, a, out=scratch.empty_like(b)) if b.nbytes >= _POOLED else b - a  # (``scratch``)
    out *= w
    out += a
    return out


lerp = Op(
    "lerp",
    _lerp,
    lambda g, ans, a, b, w: g * (1 - w),
    lambda g, ans, a, b, w: g * w,
    lambda g, ans, a, b, w: g * (b - a),
    saves="inputs",
)


def _addcmul(x: Any, y: Any, z: Any, value: float) -> Any:
    """``x + value * y * z``; with equal shapes and dtypes in one new array."""
    if not _same_layout(x, y, z):
        return x + value * y * z if value != 1 else x + y * z
    out = np.multiply(y, z, out=scratch.empty_like(y)) if y.nbytes >= _POOLED else y * z  # (``scratch``)
    if value != 1:
        out *= value
    out += x
    return out


addcmul = Op(
    "addcmul",
    _addcmul,
    lambda g, ans, x, y, z, value: g,
    lambda g, ans, x, y, z, value: g * z * value if value != 1 else g * z,
    lambda g, ans, x, y, z, value: g * y * value if value != 1 else g * y,
    saves="inputs",
)

# ============================================================ elementwise, unary
neg = Op("neg", operator.neg, lambda g, ans, x: -g, saves="")
exp = Op("exp", np.exp, lambda g, ans, x: g * ans, saves="output")
log = Op("log", np.log, lambda g, ans, x: g / x, saves="inputs")
log1p = Op("log1p", np.log1p, lambda g, ans, x: g / (1 + x), saves="inputs")
sqrt = Op("sqrt", np.sqrt, lambda g, ans, x: g / (2 * ans), saves="output")
sin = Op("sin", np.sin, lambda g, ans, x: g * cos(x), saves="inputs")
cos = Op("cos", np.cos, lambda g, ans, x: -g * sin(x), saves="inputs")


def _tanh(x: Any) -> Any:
    """``np.tanh(x)``; a float array's result goes into a reused array (``scratch``)."""
    if type(x) is _ndarray and x.nbytes >= _POOLED and x.dtype.kind == "f":
        return np.tanh(x, out=scratch.empty_like(x))
    return np.tanh(x)


def _tanh_vjp(g: Any, ans: Any, x: Any) -> Any:
    if type(g) is _ndarray and type(ans) is _ndarray:  # first order: one new array, not three
        d = np.multiply(ans, ans, out=scratch.empty_like(ans)) if ans.nbytes >= _POOLED else ans * ans  # (``scratch``)
        np.subtract(1, d, out=d)
        d *= g
        return d
    return g * (1 - ans * ans)


tanh = Op("tanh", _tanh, _tanh_vjp, saves="output")


def _sigmoid(x: Any) -> Any:
    """1 / (1 + exp(-x)), exact in the tails; exp(-x) -> inf just gives 0."""
    if x.dtype.kind != "f":
        x = x.astype(get_default_dtype())
    if type(x) is not np.ndarray:  # NumPy scalar (0-d tensors)
        if x >= -60:
            return 1 / (1 + np.exp(-x))
        e = np.exp(x)
        return e / (1 + e)
    with np.errstate(over="ignore"):
        e = np.negative(x, out=scratch.empty_like(x)) if x.nbytes >= _POOLED else np.negative(x)  # (``scratch``)
        np.exp(e, out=e)
        e += 1
        return np.reciprocal(e, out=e)


def _softplus(x: Any) -> Any:
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): never overflows."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _leaky_slope(x: Any, slope: float) -> np.ndarray:
    m = _mask(_raw(x) > 0, x)
    m *= 1 - slope
    m += slope
    return m


def _sigmoid_vjp(g: Any, ans: Any, x: Any) -> Any:
    if type(g) is _ndarray and type(ans) is _ndarray:  # first order: one (reused, ``scratch``) array, not three
        d = np.subtract(1, ans, out=scratch.empty_like(ans)) if ans.nbytes >= _POOLED else 1 - ans
        d *= ans
        d *= g
        return d
    return g * ans * (1 - ans)


sigmoid = Op("sigmoid", _sigmoid, _sigmoid_vjp, saves="output")
softplus = Op("softplus", _softplus, lambda g, ans, x: g * sigmoid(x), saves="inputs")
# Kinks: relu'(0) = 0, leaky_relu'(0) = slope, |x|'(0) = 0, clamp' = 1 on the bounds.
relu = Op("relu", lambda x: np.maximum(x, 0), lambda g, ans, x: g * (x > 0), saves="inputs")
leaky_relu = Op(
    "leaky_relu",
    lambda x, slope: np.maximum(x, x * slope) if slope <= 1 else np.minimum(x, x * slope),
    lambda g, ans, x, slope: g * _leaky_slope(x, slope),
    saves="inputs",
)
absolute = Op("abs", np.abs, lambda g, ans, x: g * np.sign(_raw(x)), saves="inputs")


def _clamp_mask(x: Any, lo: float | None, hi: float | None) -> np.ndarray:
    xr = _raw(x)
    inside = np.ones(xr.shape, bool) if lo is None else xr >= lo
    return inside if hi is None else inside & (xr <= hi)


clamp = Op(
    "clamp",
    lambda x, lo, hi: np.clip(x, lo, hi),
    lambda g, ans, x, lo, hi: g * _clamp_mask(x, lo, hi),
    saves="inputs",
)
copy = Op("copy", lambda x: np.array(x, copy=True), lambda g, ans, x: g, saves="")
cast = Op("cast", lambda x, dtype: x.astype(dtype), lambda g, ans, x, dtype: cast(g, dtype=_raw(x).dtype), saves="")


# ============================================================ reductions
def _keepdims(v: Any, shape: tuple, axis: tuple | None, keepdims: bool) -> Any:
    """Give a reduction's result back its reduced axes (as size 1), to broadcast."""
    if keepdims or axis is None:
        return v
    kept = tuple(1 if i in axis else n for i, n in enumerate(shape))
    return reshape(v, shape=kept)


def _sum_vjp(g: Any, ans: Any, x: Any, axis: tuple | None, keepdims: bool) -> Any:
    return _spread(_keepdims(g, x.shape, axis, keepdims), x.shape)


def _spread(v: Any, shape: tuple) -> Any:
    """``v`` broadcast to ``shape``: a view when large; small ones are filled in (6x faster)."""
    if isinstance(v, Tensor):
        return expand(v, shape=shape)
    if math.prod(shape) > 65536:
        return np.broadcast_to(v, shape)
    out = np.empty(shape, v.dtype)
    out[...] = v
    return out


def _extreme_vjp(g: Any, ans: Any, x: Any, axis: tuple | None, keepdims: bool) -> Any:
    """max/min: the gradient is shared evenly between tied extremes."""
    hit = _mask(_raw(x) == _keepdims(_raw(ans), x.shape, axis, keepdims), x)
    hit /= hit.sum(axis=axis, keepdims=True)
    return _keepdims(g, x.shape, axis, keepdims) * hit


def _prod_others(x: np.ndarray, axis: tuple | None) -> np.ndarray:
    """For each element, the product of the others in its reduction (zeros allowed)."""
    axes = tuple(range(x.ndim)) if axis is None else axis
    rest = [i for i in range(x.ndim) if i not in axes]
    moved = np.transpose(x, rest + list(axes))
    flat = moved.reshape(moved.shape[: len(rest)] + (-1,))
    ones = np.ones(flat.shape[:-1] + (1,), x.dtype)
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
    right = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], -1), -1)[..., ::-1]
    return np.transpose((left * right).reshape(moved.shape), np.argsort(rest + list(axes)))


def _prod_vjp(g: Any, ans: Any, x: Any, axis: tuple | None, keepdims: bool) -> Any:
    gk = _keepdims(g, x.shape, axis, keepdims)
    if np.all(_raw(x) != 0):
        return gk * _keepdims(ans, x.shape, axis, keepdims) / x
    return gk * _prod_others(_raw(x), axis)  # with zeros: exact, but first order only


def _logsumexp(x: np.ndarray, axis: tuple | None, keepdims: bool) -> Any:
    m = x.max(axis=axis, keepdims=True)
    if not np.isfinite(m).all():
        m = np.where(np.isfinite(m), m, 0)  # all -inf (or inf) slices: no shift
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else out.reshape(m.sum(axis=axis).shape)


# ndarray methods, not np.sum & co.: on small arrays NumPy's Python wrappers cost more than the work.
reduce_sum = Op("sum", lambda x, axis, keepdims: x.sum(axis=axis, keepdims=keepdims), _sum_vjp, saves="")
reduce_max = Op("max", lambda x, axis, keepdims: x.max(axis=axis, keepdims=keepdims), _extreme_vjp)
reduce_min = Op("min", lambda x, axis, keepdims: x.min(axis=axis, keepdims=keepdims), _extreme_vjp)
reduce_prod = Op("prod", lambda x, axis, keepdims: x.prod(axis=axis, keepdims=keepdims), _prod_vjp)
logsumexp = Op(
    "logsumexp",
    _logsumexp,
    lambda g, ans, x, axis, keepdims: (
        _keepdims(g, x.shape, axis, keepdims) * exp(x - _keepdims(ans, x.shape, axis, keepdims))
    ),
)


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = x - _max(x, axis, keepdims=True)
    e = np.exp(e, out=e) if type(e) is _ndarray else np.exp(e)  # in place: attention scores are large
    e /= _sum(e, axis, keepdims=True)
    return e


def _softmax_vjp(g: Any, ans: Any, x: Any, axis: int) -> Any:
    """``ans * (g - sum(g * ans))``; on raw arrays the last product is taken in place."""
    if type(g) is _ndarray and type(ans) is _ndarray and g.shape == ans.shape:
        d = g - _sum(g * ans, axis, keepdims=True)
        d *= ans
        return d
    return ans * (g - reduce_sum(g * ans, axis=(axis,), keepdims=True))


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - _max(x, axis, keepdims=True)
    shifted -= np.log(_sum(np.exp(shifted), axis, keepdims=True))
    return shifted


softmax = Op("softmax", _softmax, _softmax_vjp, saves="output")
log_softmax = Op(
    "log_softmax",
    _log_softmax,
    lambda g, ans, x, axis: g - exp(ans) * reduce_sum(g, axis=(axis,), keepdims=True),
    saves="output",
)


def _cross_entropy(x: np.ndarray, target: np.ndarray, reduction: str) -> Any:
    """Softmax cross-entropy of logits ``x`` (N, C) against class indices (N,), never overflowing.

    Returns the loss and, for the rule, the shifted exponentials, their row sums and row numbers.
    """
    rows = np.arange(len(target))
    shifted = x - _max(x, 1, keepdims=True)
    e = np.exp(shifted)
    s = _sum(e, 1, keepdims=True)
    losses = np.log(s[:, 0])
    losses -= shifted[rows, target]
    if reduction == "mean":  # as .mean() computes it (a float32 sum, then one division)
        out = losses.dtype.type(_sum(losses, 0) / len(losses)) if len(losses) else losses.mean()
    else:
        out = _sum(losses, 0) if reduction == "sum" else losses
    return out, (e, s, rows)


def _cross_entropy_vjp(g: Any, ans: Any, x: Any, target: np.ndarray, reduction: str, residual: Any = None) -> Any:
    """softmax(x) - onehot(target), scaled by the loss gradient (per row for 'none')."""
    if residual is not None:  # first-order backward: the forward's softmax terms, in place on one new array
        e, s, rows = residual
        p = e / s
        p[rows, target] -= 1
        p *= g / len(target) if reduction == "mean" else g if reduction == "sum" else g.reshape(-1, 1)
        return p
    onehot = np.zeros(x.shape, _raw(x).dtype)
    onehot[np.arange(len(target)), target] = 1
    scale = g / len(target) if reduction == "mean" else g if reduction == "sum" else reshape(g, shape=(-1, 1))
    return (softmax(x, axis=1) - onehot) * scale


cross_entropy = Op("cross_entropy", _cross_entropy, _cross_entropy_vjp, saves="inputs", residual=True)


# ============================================================ shapes and indexing
def _reshape(x: Any, shape: Any) -> Any:
    """``x.reshape(shape)``; when that must copy (e.g. im2col's matrix of windows), the copy goes
    into a reused array (``scratch``)."""
    if type(x) is not _ndarray or x.nbytes < scratch.MIN_BYTES:
        return x.reshape(shape)
    try:
        return np.reshape(x, shape, copy=False)
    except TypeError:  # NumPy < 2.1 has no copy=
        return x.reshape(shape)
    except ValueError:  # not a view of x (or a wrong shape: x.reshape below raises NumPy's error)
        dims = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
        if dims.count(-1) == 1 and x.size % -math.prod(dims) == 0:  # (x.size > 0 here)
            dims = tuple(x.size // -math.prod(dims) if n == -1 else n for n in dims)
        if math.prod(dims) != x.size or min(dims) < 0:
            return x.reshape(shape)
        out = scratch.empty(dims, x.dtype)
        np.copyto(out.reshape(x.shape), x)  # C order, as np.reshape copies
        return out


reshape = Op(
    "reshape",
    _reshape,
    lambda g, ans, x, shape: reshape(g, shape=x.shape),
    saves="",
    view=True,
)
permute = Op(
    "permute",
    lambda x, axes: x.transpose(axes),
    lambda g, ans, x, axes: permute(g, axes=tuple(np.argsort(axes))),
    saves="",
    view=True,
)
# The engine sums a gradient back over broadcast axes, so expand's rule is the identity.
expand = Op("expand", lambda x, shape: np.broadcast_to(x, shape), lambda g, ans, x, shape: g, saves="", view=True)


def is_basic_index(index: Any) -> bool:
    """True when ``index`` only slices (no integer or bool arrays): no repeats."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in items)


def _scatter_add(g: Any, index: Any, shape: tuple) -> np.ndarray:
    out = np.zeros(shape, np.asarray(g).dtype)
    if is_basic_index(index):
        out[index] = g
    elif type(index) is _ndarray and index.dtype.kind in "iu" and np.shape(g) == index.shape + shape[1:] and g.size:
        _add_rows(out.reshape(shape[0], -1), index.reshape(-1), np.reshape(g, (index.size, -1)))
    else:
        np.add.at(out, index, g)  # repeated indices accumulate
    return out


def _add_rows(out: np.ndarray, rows: np.ndarray, g: np.ndarray) -> None:
    """``out[rows[j]] += g[j]`` for every j (an embedding's gradient): ``np.add.at`` does this one
    row at a time, ~5x slower; sorted by row, each row's sum is one ``add.reduceat`` segment."""
    rows = np.where(rows < 0, rows + len(out), rows)
    order = np.argsort(rows, kind="stable")
    ids = rows[order]
    starts = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
    out[ids[starts]] = np.add.reduceat(g[order], starts, axis=0)


def _index_put(x: Any, v: Any, index: Any) -> np.ndarray:
    out = np.array(x, copy=True)
    out[index] = v
    return out


getitem = Op(
    "getitem",
    lambda x, index: x[index],
    lambda g, ans, x, index: scatter_add(g, index=index, shape=x.shape),
    saves="",
    view=True,
)
scatter_add = Op(  # the adjoint of getitem: add g into zeros at index
    "scatter_add",
    _scatter_add,
    lambda g, ans, x, index, shape: getitem(g, index=index),
    saves="",
)
index_put = Op(  # x with x[index] = v
    "index_put",
    _index_put,
    lambda g, ans, x, v, index: index_put(g, 0, index=index),
    lambda g, ans, x, v, index: getitem(g, index=index),
    saves="",
)


def _along_index(index: np.ndarray, axis: int) -> tuple:
    """The fancy index picking ``x[..., index[...], ...]`` along ``axis`` (NumPy's take_along_axis)."""
    fancy = []
    for d, n in enumerate(index.shape):
        if d == axis:
            fancy.append(index)
        else:
            fancy.append(np.arange(n).reshape((1,) * d + (n,) + (1,) * (index.ndim - d - 1)))
    return tuple(fancy)


def _scatter_along(g: Any, index: np.ndarray, axis: int, shape: tuple) -> np.ndarray:
    out = np.zeros(shape, np.asarray(g).dtype)
    if index.shape[axis] == 1:  # one pick per slice: no position repeats
        out[_along_index(index, axis)] = g
    else:
        np.add.at(out, _along_index(index, axis), g)
    return out


gather = Op(  # PyTorch's gather: out[i][j] = x[i][index[i][j]] for axis=1
    "gather",
    lambda x, index, axis: x[_along_index(index, axis)],
    lambda g, ans, x, index, axis: scatter_along(g, index=index, axis=axis, shape=x.shape),
    saves="",
)
scatter_along = Op(  # the adjoint of gather: add g into zeros at the gathered positions
    "scatter_along",
    _scatter_along,
    lambda g, ans, x, index, axis, shape: gather(g, index=index, axis=axis),
    saves="",
)


def _along(axis: int, key: Any) -> tuple:
    return (slice(None),) * axis + (key,)


def _cat_vjp(i: int, g: Any, ans: Any, *xs: Any, axis: int, offsets: tuple) -> Any:
    return getitem(g, index=_along(axis, slice(offsets[i], offsets[i + 1])))


def _joined(join: Any, xs: tuple, axis: int, shape: tuple) -> np.ndarray:
    """``join(xs, axis=axis)`` (``np.concatenate`` or ``np.stack``) of arrays of one dtype, into a
    reused array of the result's ``shape`` (``scratch``); other inputs as NumPy joins them."""
    dtype = xs[0].dtype if type(xs[0]) is _ndarray else None
    if dtype is None or not all(type(x) is _ndarray and x.dtype == dtype for x in xs):
        return join(xs, axis=axis)
    return join(xs, axis=axis, out=scratch.empty(shape, dtype))


def _cat(*xs: Any, axis: int, offsets: tuple) -> np.ndarray:
    first = np.shape(xs[0])
    at = axis % max(len(first), 1)
    return _joined(np.concatenate, xs, axis, first[:at] + (offsets[-1],) + first[at + 1 :])


def _stack(*xs: Any, axis: int) -> np.ndarray:
    first = np.shape(xs[0])
    at = axis % (len(first) + 1)
    return _joined(np.stack, xs, axis, first[:at] + (len(xs),) + first[at:])


cat = Op(  # offsets: where each input starts along axis (and the total), set by functional.cat
    "cat",
    _cat,
    argnum_vjp=_cat_vjp,
    saves="",
)
stack = Op(
    "stack",
    _stack,
    argnum_vjp=lambda i, g, ans, *xs, axis: getitem(g, index=_along(axis, i)),
    saves="",
)


# A multi-output primitive (recorded by ``functional._apply_multi``): its forward returns a
# tuple of views, and its rule receives a ``Slot`` (``g.grads``: output index -> gradient)
# holding the gradients of the pieces that got one. The whole input gradient is then built
# with one cat/stack, instead of one input-sized scatter per piece as with ``getitem``.
def _split(x: np.ndarray, axis: int, sizes: tuple, squeeze: bool) -> tuple:
    """Consecutive pieces of ``sizes`` along ``axis`` (``squeeze``: size-1 pieces, axis dropped)."""
    lead = (slice(None),) * axis
    pieces, start = [], 0
    for n in sizes:
        pieces.append(x[lead + ((start,) if squeeze else (slice(start, start + n),))])
        start += n
    return tuple(pieces)


def _split_vjp(g: Any, ans: Any, x: Any, axis: int, sizes: tuple, squeeze: bool) -> Any:
    grads = g.grads
    if type(x) is _ndarray and not x.flags.c_contiguous and all(type(v) is _ndarray for v in grads.values()):
        # x is a view (e.g. q, k and v: one packed projection, permuted): the gradient is laid out
        # as x is, so the reshapes and permutes that made x need no copies backward either
        out = np.empty_like(x)
        for j, piece in enumerate(_split(out, axis, sizes, squeeze)):
            piece[...] = grads.get(j, 0)
        return out
    pieces = []
    for j, n in enumerate(sizes):
        gj = grads.get(j)
        if gj is None:  # a piece that was not used: zeros
            gj = np.zeros(x.shape[:axis] + (() if squeeze else (n,)) + x.shape[axis + 1 :], x.dtype)
        pieces.append(gj)
    if squeeze:
        return stack(*pieces, axis=axis)
    offsets = tuple(itertools.accumulate([0] + [p.shape[axis] for p in pieces]))
    return cat(*pieces, axis=axis, offsets=offsets)


split = Op("split", _split, _split_vjp, saves="", view=True)


def _pad(x: Any, pad_width: tuple, value: float) -> np.ndarray:
    """``np.pad`` with a constant, as a fill and one copy (np.pad's general machinery costs 2x)."""
    x = np.asarray(x)
    shape = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, pad_width))
    out = np.zeros(shape, x.dtype) if value == 0 else np.full(shape, value, x.dtype)
    out[tuple(slice(lo, lo + n) for (lo, _), n in zip(pad_width, x.shape))] = x
    return out


pad = Op(
    "pad",
    _pad,
    lambda g, ans, x, pad_width, value: getitem(
        g, index=tuple(slice(lo, n + lo) for (lo, _), n in zip(pad_width, x.shape))
    ),
    saves="",
)


# ============================================================ sliding windows
def _sliding_window(x: np.ndarray, window: tuple, stride: tuple) -> np.ndarray:
    """View of every window over the last ``len(window)`` axes (no copy).

    Shape: ``x.shape[:-k] + out + window`` with ``out[d] = (n[d] - w[d]) // s[d] + 1``.
    """
    x = np.asarray(x)
    k = len(window)
    lead, spatial = x.shape[:-k], x.shape[-k:]
    out = tuple((n - w) // s + 1 for n, w, s in zip(spatial, window, stride))
    if any(o <= 0 for o in out):
        raise ValueError(f"window {window} is larger than the input's last dims {spatial}")
    strides = x.strides[:-k] + tuple(st * s for st, s in zip(x.strides[-k:], stride)) + x.strides[-k:]
    return np.lib.stride_tricks.as_strided(x, lead + out + window, strides, writeable=False)


def memory_order(x: Any) -> tuple:
    """The axes of an array from outermost to innermost in memory (``(0, 1, 2)`` for C order)."""
    strides = _raw(x).strides
    return tuple(sorted(range(len(strides)), key=lambda a: -abs(strides[a])))


def _fold_windows(g: np.ndarray, shape: tuple, window: tuple, stride: tuple, order: tuple | None = None) -> np.ndarray:
    """The adjoint of ``sliding_window`` (PyTorch calls its own ``fold``): every window added back where it came from.

    The result is laid out in memory with its axes in ``order`` (outermost first), or in
    ``g``'s memory order: the rules pass their input's, so a gradient has the layout of the
    values it meets next (e.g. batch innermost after a convolution). Each add below runs
    over long contiguous rows when g has that layout too. The values are the same either way.
    """
    g = np.asarray(g)
    k = len(window)
    order = order or sorted(range(len(shape)), key=lambda a: -abs(g.strides[a]))
    n_out = g.shape[-2 * k : -k]
    # Windows that tile the input exactly (pooling's usual case) cover each element once:
    # their values are copied in, with no zeros to start from and no additions.
    tiled = stride == window and all(n * w == m for n, w, m in zip(n_out, window, shape[-k:]))
    out = (np.empty if tiled else np.zeros)([shape[a] for a in order], g.dtype).transpose(np.argsort(order))
    lead = (slice(None),) * (len(shape) - k)
    for offset in itertools.product(*(range(w) for w in window)):  # loop over the window only
        dst = lead + tuple(slice(o, o + s * (n - 1) + 1, s) for o, s, n in zip(offset, stride, n_out))
        if tiled:
            out[dst] = g[(Ellipsis,) + offset]
        else:
            out[dst] += g[(Ellipsis,) + offset]
    return out


sliding_window = Op(
    "sliding_window",
    _sliding_window,
    lambda g, ans, x, window, stride: fold_windows(g, shape=x.shape, window=window, stride=stride),
    saves="",
    view=True,
)
fold_windows = Op(
    "fold_windows",
    _fold_windows,
    lambda g, ans, x, shape, window, stride, order=None: sliding_window(g, window=window, stride=stride),
    saves="",
)


def _window_totals(x: np.ndarray, window: tuple, stride: tuple) -> np.ndarray:
    """The sum of every window (sum pooling): ``sliding_window(x).sum(window axes)``.

    One strided add per window offset, each over the whole output: much faster than copying
    the windows out or reducing their small trailing axes. The result follows ``x``'s memory order.
    """
    win = _sliding_window(x, window, stride)
    offsets = itertools.product(*(range(w) for w in window))
    total = win[(Ellipsis,) + next(offsets)].copy(order="K")
    for offset in offsets:
        total += win[(Ellipsis,) + offset]
    return total


def _window_totals_vjp(g: Any, ans: Any, x: Any, window: tuple, stride: tuple) -> Any:
    """Every input element gets the gradients of the windows it lies in.

    The result is laid out like ``x`` (what it meets next); on raw arrays ``g`` is first copied
    into that layout too when it differs, so the adds run along the same contiguous rows.
    """
    order = memory_order(x)
    if type(g) is _ndarray and memory_order(g) != order:
        g = np.ascontiguousarray(g.transpose(order)).transpose(np.argsort(order))
    spread = expand(reshape(g, shape=g.shape + (1,) * len(window)), shape=g.shape + window)
    return fold_windows(spread, shape=x.shape, window=window, stride=stride, order=order)


window_totals = Op("window_totals", _window_totals, _window_totals_vjp, saves="")


# ============================================================ linear algebra
def _swap_last(x: Any) -> Any:
    axes = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return permute(x, axes=axes)


def _matmul_vjp_x(g: Any, ans: Any, x: Any, y: Any) -> Any:
    if y.ndim == 1:  # (..., n) @ (n,)
        return reshape(g, shape=g.shape + (1,)) * y
    if x.ndim == 1:  # (n,) @ (..., n, m): batch axes are summed by the engine
        return reshape(matmul(y, reshape(g, shape=g.shape + (1,))), shape=g.shape[:-1] + (y.shape[-2],))
    if type(g) is _ndarray and g.ndim == 2 and type(y) is _ndarray and y.ndim == 2:
        return blas.matmul(g, y.T)  # e.g. a convolution's weight gradient: a long sum, blocked
    return matmul(g, _swap_last(y))


def _matmul_vjp_y(g: Any, ans: Any, x: Any, y: Any) -> Any:
    if x.ndim == 1 and y.ndim == 1:
        return g * x
    if x.ndim == 1:  # outer product of x with each row of g
        return reshape(x, shape=(x.shape[0], 1)) * reshape(g, shape=g.shape[:-1] + (1, g.shape[-1]))
    if y.ndim == 1:
        return reshape(matmul(_swap_last(x), reshape(g, shape=g.shape + (1,))), shape=g.shape[:-1] + (x.shape[-1],))
    if type(g) is _ndarray and g.ndim == 2 and type(x) is _ndarray and x.ndim == 2:
        return blas.matmul(x.T, g)
    return matmul(_swap_last(x), g)


def _matmul(a: Any, b: Any) -> Any:
    """``a @ b``; a large 2-D product is written into a reused array (``scratch``)."""
    if type(a) is _ndarray and type(b) is _ndarray and a.ndim == b.ndim == 2 and a.dtype == b.dtype:
        if a.shape[0] * b.shape[1] * a.itemsize < _POOLED:
            return a @ b
        return np.matmul(a, b, out=scratch.empty((a.shape[0], b.shape[1]), a.dtype))
    return a @ b  # (Tensors too: the rules call this under create_graph)


matmul = Op("matmul", _matmul, _matmul_vjp_x, _matmul_vjp_y, saves="inputs")


def _addmm(c: Any, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = _matmul(a, b)
    out += c  # (functional.addmm checked that c broadcasts to the product and shares its dtype)
    return out


addmm = Op(  # PyTorch's addmm: c + a @ b for 2-D a, b, with c broadcast (e.g. a convolution's bias column)
    "addmm",
    _addmm,
    lambda g, ans, c, a, b: g,
    lambda g, ans, c, a, b: _matmul_vjp_x(g, ans, a, b),
    lambda g, ans, c, a, b: _matmul_vjp_y(g, ans, a, b),
    saves="inputs",
)


def _matmul_rows(x: Any, w: Any) -> Any:
    """``x @ w`` for an N-D ``x`` and a 2-D ``w``, with x's leading axes merged into one: NumPy
    multiplies a stack of matrices one matrix at a time, several times slower than one BLAS call."""
    return _matmul(x.reshape(-1, x.shape[-1]), w).reshape(x.shape[:-1] + (w.shape[-1],))


def mixed_dtypes(what: str, dtype: np.dtype, weight_dtype: np.dtype, who: str = "") -> TypeError:
    """The error for a layer's input (or bias) whose dtype isn't the weight's: PyTorch refuses
    it, NumPy would silently compute in the wider dtype (float64 for a float32 model)."""

    def cast(name: str, dt: np.dtype) -> str:
        return f"{name}." + {"float32": "float()", "float64": "double()"}.get(dt.name, f"to(np.{dt.name})")

    name, target = "x" if what == "input" else what, weight_dtype.name
    advice = f"convert the {what} with {cast(name, weight_dtype)} (a NumPy array: {name}.astype(np.{target}))"
    if dtype.kind == "f" and what == "input":
        advice += f", or the model with {cast('model', dtype)}"
    return TypeError(f"{who}: " * bool(who) + f"the {what} is {dtype} but the weight is {weight_dtype}: {advice}")


def _linear(x: np.ndarray, w: np.ndarray, b: Any = None) -> np.ndarray:
    if w.ndim != 2:
        raise ValueError(f"the weight must be 2-D (out_features, in_features), got shape {w.shape}")
    if x.dtype is not w.dtype and x.dtype != w.dtype:  # (the same dtype object, almost always)
        raise mixed_dtypes("input", x.dtype, w.dtype)  # (apply names the op)
    out = _matmul(x, w.T) if x.ndim <= 2 else _matmul_rows(x, w.T)  # (a large one: reused, ``scratch``)
    if b is not None:
        if b.dtype is not out.dtype and b.dtype != out.dtype:
            raise mixed_dtypes("bias", b.dtype, w.dtype)
        out += b
    return out


def _linear_dx(g: Any, ans: Any, x: Any, w: Any, b: Any = None) -> Any:
    return _matmul(g, w) if g.ndim <= 2 else _matmul_rows(g, w)  # (raw arrays: reused, ``scratch``)


def _linear_dw(g: Any, ans: Any, x: Any, w: Any, b: Any = None) -> Any:
    """Weight gradient ``g.T @ x``, with any leading axes of the input flattened first."""
    if g.ndim == 1:  # a single input vector: an outer product
        return g.reshape(-1, 1) * x
    if g.ndim > 2:
        g, x = g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1])
    if len(g) >= blas.LONG and type(g) is _ndarray and type(x) is _ndarray:  # a long sum: blocked
        return blas.matmul(g.T, x)
    return g.T @ x


def _linear_dw_batched(g: Any, ans: Any, x: Any, w: Any, b: Any = None) -> Any:
    """The weight gradient as a :class:`MatmulSum` (the weight already has one pending), unless
    its factors are large next to the result (holding them would cost more than computing)."""
    if g.ndim > 2:
        g, x = g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1])
    if g.ndim == 2 and g.size + x.size <= _KEEP * g.shape[1] * x.shape[1]:
        return _matmul_sum(g, x)
    return _linear_dw(g, None, x, None)  # (passing only what it reads: see graph.rule_reads)


def _linear_db(g: Any, ans: Any, x: Any, w: Any, b: Any = None) -> Any:
    """Bias gradient: summed over the batch axes (the engine sums any others)."""
    if g.ndim == 2 and b.ndim == 1:
        if type(g) is _ndarray:
            return column_sums(g) if g.dtype.kind == "f" else _sum(g, 0)
        return g.sum(0)
    return g


# The rules use operators (@, .T, .sum), not primitive calls: the linear layers of every
# model run through here, and on raw arrays operators skip the dispatch.
linear = Op(  # x @ w.T + b, with w stored (out_features, in_features)
    "linear",
    _linear,
    _linear_dx,
    _linear_dw,
    _linear_db,
    saves="inputs",
    batched_vjps={1: _linear_dw_batched},
)


# ------------------------------------------------------------ einsum
def parse_einsum(subscripts: str, shapes: list[tuple]) -> tuple[list[str], str]:
    """Explicit per-operand letters and output letters, with ``...`` spelled out."""
    subscripts = subscripts.replace(" ", "")
    lhs, arrow, out = subscripts.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: {len(ins)} operand subscripts for {len(shapes)} operands")
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in subscripts]
    n_ell = max((len(s) - len(sub.replace("...", "")) for sub, s in zip(ins, shapes) if "..." in sub), default=0)
    ell = "".join(spare[:n_ell])
    explicit = []
    for sub, shape in zip(ins, shapes):
        if "..." in sub:
            k = len(shape) - len(sub.replace("...", ""))
            sub = sub.replace("...", ell[n_ell - k :])
        if len(sub) != len(shape):
            raise ValueError(f"einsum: subscripts {sub!r} don't match an operand of shape {shape}")
        explicit.append(sub)
    if arrow:
        out = out.replace("...", ell)
    else:
        letters = "".join(explicit)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    return explicit, out


def _einsum(*xs: np.ndarray, subscripts: str) -> np.ndarray:
    return np.einsum(subscripts, *xs, optimize=len(xs) > 1)


def _einsum_vjp(i: int, g: Any, ans: Any, *xs: Any, subscripts: str) -> Any:
    ins, out = parse_einsum(subscripts, [x.shape for x in xs])
    target, x = ins[i], xs[i]
    unique = "".join(dict.fromkeys(target))  # a letter repeated in the operand ("ii": its diagonal) once
    size = {c: x.shape[k] for k, c in enumerate(target)}
    others = [s for j, s in enumerate(ins) if j != i]
    present = "".join(c for c in unique if c in out or any(c in s for s in others))
    spec = ",".join([out] + others) + "->" + present
    grad = einsum(g, *(x for j, x in enumerate(xs) if j != i), subscripts=spec)
    if present != unique:  # letters summed only inside operand i: broadcast back
        grad = reshape(grad, shape=tuple(size[c] if c in present else 1 for c in unique))
        grad = expand(grad, shape=tuple(size[c] for c in unique))
    if unique != target:  # place it on the diagonal: each repeat renamed, tied to its letter by an identity
        used = "".join(ins) + out
        spare = iter(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used)
        seen, renamed, eyes = set(), "", []
        for c in target:
            if c in seen:
                r = next(spare)
                renamed += r
                eyes.append((c + r, np.eye(size[c], dtype=_raw(g).dtype)))
            else:
                seen.add(c)
                renamed += c
        spec = ",".join([unique] + [s for s, _ in eyes]) + "->" + renamed
        grad = einsum(grad, *(e for _, e in eyes), subscripts=spec)
    return grad


einsum = Op("einsum", _einsum, argnum_vjp=_einsum_vjp, saves="inputs", view=True)  # "ij->ji" is a view


# ============================================================ PyTorch's vocabulary (issue 16)
# Primitives the composites of elementwise.py, activations.py, reductions.py ... build on.
# Each exists because no composition of the ops above computes it, or computes it much
# slower or less accurately; the reason is given with each.


# erf: no composition of exp/log/... gives it (it is an integral). Forward in special.py.
erf = Op("erf", special.erf, lambda g, ans, x: g * (2 / math.sqrt(math.pi)) * exp(-(x * x)), saves="inputs")
# expm1: exp(x) - 1 loses every digit near 0 (ELU, CELU, SELU and expm1 itself rely on it).
expm1 = Op("expm1", np.expm1, lambda g, ans, x: g * exp(x), saves="inputs")


def _vector_norm(x: np.ndarray, ord: float, axis: tuple | None, keepdims: bool) -> Any:
    """``sum(|x|^ord) ^ (1/ord)`` over ``axis``; ord 2 without the powers."""
    if ord == 2:
        return np.sqrt(_sum(x * x, axis, keepdims=keepdims) if axis is not None else (x * x).sum(keepdims=keepdims))
    return (np.abs(x) ** ord).sum(axis=axis, keepdims=keepdims) ** (1.0 / ord)


def _vector_norm_vjp(g: Any, ans: Any, x: Any, ord: float, axis: tuple | None, keepdims: bool) -> Any:
    """``g * x |x|^(ord-2) / norm^(ord-1)``, and 0 where the norm is 0 (all of the slice is 0:
    its gradient is 0/0; PyTorch's convention, and a subgradient)."""
    n = _keepdims(ans, x.shape, axis, keepdims)
    gk = _keepdims(g, x.shape, axis, keepdims)
    zero = np.asarray(_raw(n) == 0)
    if zero.any():  # divide by 1 there, then zero the result
        n = where(1.0, n, cond=zero)
        gk = gk * _mask(~zero, n)
    if ord == 2:
        return gk * x / n
    sign = np.sign(_raw(x))
    return gk * sign * absolute(x) ** (ord - 1) / n ** (ord - 1)


# vector_norm: sqrt(sum(x * x)) composed has the gradient 0 * inf = nan where the norm is 0
# (a zero vector, std of a constant); PyTorch's norm gives 0 there, and so does this rule.
vector_norm = Op("vector_norm", _vector_norm, _vector_norm_vjp)


def _reverse_cumsum(g: Any, axis: int) -> Any:
    flip = _along(axis, slice(None, None, -1))
    return getitem(cumsum(getitem(g, index=flip), axis=axis), index=flip)


# cumsum: a composition (a matmul with a triangle of ones) is O(n^2). The adjoint is the
# sum from the other end.
cumsum = Op(
    "cumsum", lambda x, axis: np.cumsum(x, axis=axis), lambda g, ans, x, axis: _reverse_cumsum(g, axis), saves=""
)


def _cumprod_vjp(g: Any, ans: Any, x: Any, axis: int) -> Any:
    """Without zeros: ``revcumsum(g * out) / x``. With zeros: exact, first order only (the
    products of the other factors, one position at a time)."""
    xr = _raw(x)
    if np.all(xr != 0):
        return _reverse_cumsum(g * ans, axis) / x
    gr, xm = np.moveaxis(np.asarray(_raw(g)), axis, -1), np.moveaxis(np.asarray(xr), axis, -1)
    out = np.zeros_like(xm)
    before = np.cumprod(np.concatenate([np.ones_like(xm[..., :1]), xm[..., :-1]], -1), -1)  # prod_{k<i}
    for i in range(xm.shape[-1]):
        after = np.cumprod(xm[..., i + 1 :], -1)  # prod_{i<k<=j} for j > i
        out[..., i] = before[..., i] * (gr[..., i] + (gr[..., i + 1 :] * after).sum(-1))
    return np.moveaxis(out, -1, axis)


# cumprod: exp(cumsum(log x)) fails on zeros and negatives.
cumprod = Op("cumprod", lambda x, axis: np.cumprod(x, axis=axis), _cumprod_vjp)


def _inverse_trig_op(name: str, fn: Any, slope: Any) -> Op:
    """An elementwise primitive whose derivative ``slope(x)`` is written with the ops above."""
    return Op(name, fn, lambda g, ans, x: g * slope(x), saves="inputs")


# The inverse trigonometric and hyperbolic functions: no composition of exp/log/sqrt computes
# them to full precision everywhere (asinh(x) = log(x + sqrt(x^2 + 1)) cancels for x < 0,
# acos(x) = pi/2 - asin(x) loses the digits near 1). Their derivatives are algebraic.
asin = _inverse_trig_op("asin", np.arcsin, lambda x: 1 / sqrt(1 - x * x))
acos = _inverse_trig_op("acos", np.arccos, lambda x: -1 / sqrt(1 - x * x))
atan = _inverse_trig_op("atan", np.arctan, lambda x: 1 / (1 + x * x))
asinh = _inverse_trig_op("asinh", np.arcsinh, lambda x: 1 / sqrt(x * x + 1))
acosh = _inverse_trig_op("acosh", np.arccosh, lambda x: 1 / sqrt(x * x - 1))
atanh = _inverse_trig_op("atanh", np.arctanh, lambda x: 1 / (1 - x * x))
# atan2(y, x): atan(y / x) plus a quadrant correction divides by zero on the y axis.
atan2 = Op(
    "atan2",
    np.arctan2,
    lambda g, ans, y, x: g * x / (x * x + y * y),
    lambda g, ans, y, x: -g * y / (x * x + y * y),
    saves="inputs",
)


# gelu with the tanh approximation, 0.5 x (1 + tanh(c (x + a x^3))), PyTorch's approximate='tanh'.
# A primitive for speed: composed, it is nine elementwise ops forward and about twice that backward,
# each a pass over a transformer MLP's hidden activations (the largest arrays of its step). Here
# the forward also computes the derivative when a gradient will be wanted (``derivative=True``,
# the default; ``autograd.gelu`` passes False when nothing is recorded), while x is in the
# cache (``_in_chunks``), and the first-order rule is one product. Under create_graph the rule is
# recorded ops, the same operations in the same order, so both paths give the same numbers.
_GELU_C, _GELU_A = math.sqrt(2 / math.pi), 0.044715


def _gelu_tanh(x: Any, derivative: bool = True) -> Any:
    x = np.asarray(x)
    y = np.empty_like(x)
    d = np.empty_like(x) if derivative else None
    _in_chunks(_gelu_tanh_into, (x,), (y, d) if derivative else (y,))
    return y, d


def _gelu_tanh_into(x: np.ndarray, y: np.ndarray, d: np.ndarray | None = None) -> None:
    x2 = np.multiply(x, x, out=np.empty_like(x))  # (an array even for 0-d x, for the in-place passes)
    h = np.multiply(x2, _GELU_A * _GELU_C, out=np.empty_like(x))
    h += _GELU_C
    h *= x  # c (x + a x^3)
    np.tanh(h, out=h)
    h += 1
    h *= 0.5  # h = (1 + tanh(...)) / 2
    np.multiply(x, h, out=y)
    if d is not None:  # h (1 + (1 - h) 2c (x + 3 a x^3)), as 1 - tanh^2 = 4 h (1 - h)
        x2 *= 6 * _GELU_A * _GELU_C
        x2 += 2 * _GELU_C
        x2 *= x
        np.subtract(1, h, out=d)
        d *= x2
        d += 1
        d *= h


def _gelu_tanh_vjp(g: Any, ans: Any, x: Any, derivative: bool = True, residual: Any = None) -> Any:
    """``g h (1 + (1 - h) 2c (x + 3 a x^3))`` with ``h = (1 + tanh(c (x + a x^3))) / 2``."""
    if residual is not None and type(g) is _ndarray:  # first order: the forward's derivative
        return g * residual
    h = (tanh((x * x * (_GELU_A * _GELU_C) + _GELU_C) * x) + 1) * 0.5
    return ((1 - h) * ((x * x * (6 * _GELU_A * _GELU_C) + 2 * _GELU_C) * x) + 1) * h * g


def _in_chunks(kernel: Any, inputs: tuple, outputs: tuple, chunk: int = 1 << 16) -> None:
    """``kernel(*inputs, *outputs)``, an elementwise kernel of several passes that writes its outputs,
    run on chunks of ``chunk`` elements when the arrays are large, C-contiguous and of one shape:
    each chunk's passes then stay in the CPU's cache (on a transformer's MLP activations, ~1.5x faster)."""
    arrays = (*inputs, *outputs)
    size = outputs[0].size
    if size <= chunk or not all(a.shape == outputs[0].shape and a.flags.c_contiguous for a in arrays):
        kernel(*arrays)
        return
    flat = [a.reshape(-1) for a in arrays]
    for start in range(0, size, chunk):
        kernel(*(a[start : start + chunk] for a in flat))


gelu_tanh = Op("gelu_tanh", _gelu_tanh, _gelu_tanh_vjp, saves="inputs", residual=True)


# Layer normalisation with its affine part, ((x - mean) / sqrt(var + eps)) * w + b over the trailing
# ``axes`` (the biased variance). A primitive for speed: composed it is about nine ops forward and
# twenty backward over a transformer's activations, a seventh of its training step; here the forward
# keeps the normalised values and 1/std for the first-order rules, which take three passes for x.
# Both paths (raw arrays with the residual, Tensors under create_graph) do the same operations in the
# same order, so they agree to the last bit.
def _ln_stats(x: Any, axes: tuple, eps: float) -> tuple[Any, Any]:
    centered = x - _trailing_mean(x, axes)
    rstd = (_trailing_mean(centered * centered, axes) + eps) ** -0.5
    return centered * rstd, rstd


def _trailing_mean(x: Any, axes: tuple) -> Any:
    """The mean over the trailing ``axes`` (kept, size 1), as a product with a column of 1/n: NumPy's
    own reduction over a short last axis is ~5x slower. Recorded ops on Tensors (create_graph)."""
    lead, n = x.shape[: x.ndim - len(axes)], math.prod(x.shape[x.ndim - len(axes) :])
    column = np.full((n, 1), 1 / n, _raw(x).dtype)
    rows = (math.prod(lead), n)  # one matrix: NumPy multiplies a stack of them one at a time
    if type(x) is _ndarray:  # the same operations, without the cost of three op calls
        return (x.reshape(rows) @ column).reshape(lead + (1,) * len(axes))
    return reshape(matmul(reshape(x, shape=rows), column), shape=lead + (1,) * len(axes))


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, axes: tuple, eps: float) -> Any:
    xhat, rstd = _ln_stats(x, axes, eps)
    y = xhat * w
    y += b
    return y, (xhat, rstd)


def _layer_norm_dx(g: Any, ans: Any, x: Any, w: Any, b: Any, axes: tuple, eps: float, residual: Any = None) -> Any:
    """``((d - mean(d)) - xhat * mean(d * xhat)) / std`` with ``d = g * w`` (means over ``axes``)."""
    xhat, rstd = residual if residual is not None else _ln_stats(x, axes, eps)
    d = g * w
    s1 = _trailing_mean(d, axes)
    s2 = _trailing_mean(d * xhat, axes)
    if type(d) is _ndarray and type(xhat) is _ndarray:  # in place, the same operations
        d -= s1
        d -= xhat * s2
        d *= rstd
        return d
    return (d - s1 - xhat * s2) * rstd


def _layer_norm_dw(g: Any, ans: Any, x: Any, w: Any, b: Any, axes: tuple, eps: float, residual: Any = None) -> Any:
    xhat = residual[0] if residual is not None else _ln_stats(x, axes, eps)[0]
    return g * xhat  # summed over the leading axes by the engine


layer_norm = Op(
    "layer_norm",
    _layer_norm,
    _layer_norm_dx,
    _layer_norm_dw,
    lambda g, ans, x, w, b, axes, eps, residual=None: g,
    saves="inputs",
    residual=True,
)


# Scaled dot-product attention, softmax(q @ k^T * scale + bias) * keep @ v over the last two dims
# (``keep``: dropout's scaled mask, or None; ``bias``: an additive mask, or None; ``causal``: query i
# sees keys 0..i, the mask built here). Composed of the ops above it works, and that is how its
# rules run under create_graph; as one primitive it takes about half the time, the largest part
# of a transformer's step. The first-order path makes few passes over the scores (L x S per head,
# the largest arrays of the step): they are laid out (key, query), because NumPy reduces over the
# axis before the last ~3x faster than over a short last axis; a causal op computes them in two
# blocks of queries, the first half of the queries against the first half of the keys only (a
# quarter of the scores, all masked, is never computed); the scores' gradient, which the query, key
# and bias rules share, is computed once (``_Attention.scores_grads``). Outputs and gradients are
# laid out like the query, key and value (often views of one packed projection), so the reshapes
# after them copy nothing.
class _Attention:
    """What the forward keeps for the first-order rules: per block of queries ``(rows, keys, p, a)``:
    the block's query rows and key count, its softmax weights and the weights after dropout, both
    transposed (..., keys, rows); and the scores' gradients of the last output gradient."""

    __slots__ = ("blocks", "g", "ds")

    def __init__(self, blocks: list) -> None:
        self.blocks, self.g, self.ds = blocks, None, None

    def scores_grads(self, g: np.ndarray, out: np.ndarray, v: np.ndarray, keep: Any) -> list:
        """Per block, d loss / d scores, transposed: ``p * (dp - sum(dp * p))`` with
        ``dp = (g @ v^T) * keep``. The sum over the keys is ``sum(g * out)`` over the output's last
        axis (as FlashAttention computes it), ``v``'s width instead of the keys."""
        if self.g is not g:
            self.ds = []
            for rows, keys, p, _ in self.blocks:
                gb = g[..., rows, :]
                d = np.matmul(v[..., :keys, :], np.ascontiguousarray(_swap(gb)))  # (a transposed factor: 2x slower)
                if keep is not None:
                    d *= _swap(keep[..., rows, :keys])
                d -= np.expand_dims(np.matmul(gb * out[..., rows, :], np.ones(out.shape[-1], out.dtype)), -2)
                d *= p
                self.ds.append(d)
            self.g = g
        return self.ds


def _swap(x: Any) -> Any:
    return x.swapaxes(-1, -2)


def _key_sums(s: np.ndarray) -> np.ndarray:
    """Sums over the keys (axis -2, kept) as a product with a row of ones: ~4x faster than NumPy's reduction."""
    return np.matmul(np.ones((1, s.shape[-2]), s.dtype), s)


def _like(x: np.ndarray, shape: tuple, dtype: Any) -> np.ndarray:
    """A new array of ``shape``, laid out in memory like ``x`` when it has that shape."""
    return np.empty_like(x, dtype) if x.shape == shape else np.empty(shape, dtype)


@functools.lru_cache(maxsize=32)
def _causal_bias_t(start: int, stop: int, keys: int, dtype: Any) -> np.ndarray:
    """The causal mask of queries start..stop-1 against keys 0..keys-1, transposed (keys, queries):
    -inf where the key comes after the query (read-only, cached)."""
    bias = np.where(np.arange(keys)[:, None] > np.arange(start, stop)[None, :], -np.inf, 0.0).astype(dtype)
    bias.flags.writeable = False
    return bias


def _query_blocks(length: int, source: int, causal: bool) -> list:
    """``(query rows, number of keys)`` per block: one block, or two for a causal op (top-left aligned,
    as PyTorch's is_causal: the first half of the queries sees at most the first half of the keys)."""
    if not causal or length < 2:
        return [(slice(0, length), source)]
    half = (length + 1) // 2
    return [(slice(0, half), min(half, source)), (slice(half, length), min(length, source))]


def _attention(q: Any, k: Any, v: Any, bias: Any, keep: Any, scale: float, causal: bool = False) -> Any:
    (length, depth), source = q.shape[-2:], k.shape[-2]
    dtype = np.result_type(q, k, v)
    batch = np.broadcast_shapes(*(x.shape[:-2] for x in (q, k, v, bias, keep) if x is not None))
    out = _like(q, batch + (length, v.shape[-1]), dtype)
    blocks = []
    for rows, keys in _query_blocks(length, source, causal):
        qb = q[..., rows, :]
        q_t = np.empty(qb.shape[:-2] + (depth, qb.shape[-2]), dtype)
        np.multiply(_swap(qb), scale, out=q_t)
        s = np.matmul(k[..., :keys, :], q_t)  # the scores, transposed (..., keys, rows)
        b = _causal_bias_t(rows.start, rows.stop, keys, dtype) if causal else None if bias is None else _swap(bias)
        if b is not None:  # added in place, unless the bias brings batch dims of its own
            b = b if b.ndim > 2 else np.ascontiguousarray(b)  # (a contiguous (S, L) mask: 2x faster)
            s = s + b if np.broadcast_shapes(s.shape, b.shape) != s.shape else operator.iadd(s, b)
        with np.errstate(invalid="ignore"):  # a query that may see no key: NaN (documented), no warning
            s -= _max(s, -2, keepdims=True) if s.size else 0  # softmax over the keys (none: zeros out, as PyTorch)
            np.exp(s, out=s)
            s /= _key_sums(s)
        a = s if keep is None else s * _swap(keep[..., rows, :keys])
        np.matmul(_swap(a), v[..., :keys, :], out=out[..., rows, :])
        blocks.append((rows, keys, s, a))
    return out, _Attention(blocks)


def _attention_composed(q: Any, k: Any, v: Any, bias: Any, keep: Any, scale: float, causal: bool) -> tuple:
    """The weights and the scores' gradient machinery as recorded ops (the rules under create_graph)."""
    s = matmul(q, _swap_last(k)) * scale
    if causal:
        bias = _swap(_causal_bias_t(0, q.shape[-2], k.shape[-2], _raw(s).dtype))
    p = softmax(s if bias is None else s + bias, axis=-1)
    return p, (p if keep is None else p * keep)


def _attention_ds(g: Any, q: Any, k: Any, v: Any, bias: Any, keep: Any, scale: float, causal: bool) -> Any:
    """The scores' gradient as recorded ops (..., L, S)."""
    p, _ = _attention_composed(q, k, v, bias, keep, scale, causal)
    dp = matmul(g, _swap_last(v))
    if keep is not None:
        dp = dp * keep
    return p * (dp - reduce_sum(dp * p, axis=(-1,), keepdims=True))


def _by_blocks(residual: _Attention, factors: list, b: Any, like: Any, rows_out: bool, scale: float | None) -> Any:
    """The sum over blocks of ``factor @ b-block`` (times ``scale``), laid out like the input ``like``:
    into the block's query rows (``rows_out``: dq), or into its first keys, summed (dk, dv)."""
    blocks = residual.blocks
    shape = np.broadcast_shapes(factors[0].shape[:-2], b.shape[:-2]) + like.shape[-2:]
    out = _like(like, shape, factors[0].dtype)
    every_key = blocks[-1][1] == like.shape[-2]  # the last block's queries see every key
    if not rows_out and not every_key:
        out[...] = 0  # (keys no query sees: no gradient)
    for i, ((rows, keys, _, _), f) in enumerate(reversed(list(zip(blocks, factors)))):
        if rows_out:
            np.matmul(f, b[..., :keys, :], out=out[..., rows, :])
        elif i == 0 and every_key:
            np.matmul(f, b[..., rows, :], out=out)
        else:
            out[..., :keys, :] += np.matmul(f, b[..., rows, :])
    if scale is not None:
        out *= scale
    return out


def _attention_dq(g: Any, ans: Any, q: Any, k: Any, v: Any, bias: Any, keep: Any, scale: float,
                  causal: bool = False, residual: Any = None) -> Any:  # fmt: skip
    if residual is not None and type(g) is _ndarray:
        ds = residual.scores_grads(g, ans, v, keep)
        return _by_blocks(residual, [_swap(d) for d in ds], k, q, True, scale)
    return matmul(_attention_ds(g, q, k, v, bias, keep, scale, causal), k) * scale


def _attention_dk(g: Any, ans: Any, q: Any, k: Any, v: Any, bias: Any, keep: Any, scale: float,
                  causal: bool = False, residual: Any = None) -> Any:  # fmt: skip
    if residual is not None and type(g) is _ndarray:
        return _by_blocks(residual, residual.scores_grads(g, ans, v, keep), q, k, False, scale)
    return matmul(_swap_last(_attention_ds(g, q, k, v, bias, keep, scale, causal)), q) * scale


def _attention_dv(g: Any, ans: Any, q: Any, k: Any, v: Any, bias: Any, keep: Any, scale: float,
                  causal: bool = False, residual: Any = None) -> Any:  # fmt: skip
    if residual is not None and type(g) is _ndarray:
        return _by_blocks(residual, [a for _, _, _, a in residual.blocks], g, v, False, None)
    _, a = _attention_composed(q, k, v, bias, keep, scale, causal)
    return matmul(_swap_last(a), g)


def _attention_dbias(g: Any, ans: Any, q: Any, k: Any, v: Any, bias: Any, keep: Any, scale: float,
                     causal: bool = False, residual: Any = None) -> Any:  # fmt: skip
    if residual is not None and type(g) is _ndarray:  # (one block: a causal op has no bias input)
        return _swap(residual.scores_grads(g, ans, v, keep)[0])  # (summed to bias's shape by the engine)
    return _attention_ds(g, q, k, v, bias, keep, scale, causal)


attention = Op(
    "attention",
    _attention,
    _attention_dq,
    _attention_dk,
    _attention_dv,
    _attention_dbias,
    None,  # keep: a constant mask
    saves="inputs output",
    residual=True,
)


def _svdvals_vjp(g: Any, ans: Any, x: Any) -> Any:
    """``u diag(g) v^T`` (distinct singular values). Its own derivative would need the derivatives
    of u and v, which are not implemented: refused under create_graph rather than left out."""
    if isinstance(g, Tensor):
        raise NotImplementedError(
            "svdvals (matrix norms 2, -2, 'nuc'): no second derivatives; use 'fro' or a vector norm "
            "where create_graph=True is needed"
        )
    u, _, vh = np.linalg.svd(x, full_matrices=False)
    return np.einsum("...ik,...k,...kj->...ij", u, g, vh)


# svdvals: the singular values of the last two dims (matrix norms 2, -2, 'nuc'); no composition
# of the ops above computes them. First order only.
svdvals = Op("svdvals", lambda x: np.linalg.svd(x, compute_uv=False), _svdvals_vjp)


def _logcumsumexp_vjp(g: Any, ans: Any, x: Any, axis: int) -> Any:
    """``grad_i = sum_{j >= i} g_j exp(x_i - out_j)``, computed from the end as
    ``T_i = g_i + exp(out_i - out_{i+1}) T_{i+1}``, ``grad_i = exp(x_i - out_i) T_i``: every
    exponent is <= 0 (``out`` only grows), so nothing overflows whatever the range of ``x``.
    A loop over ``axis`` (the recurrence is not a cumulative sum); each step is recorded under
    create_graph, so higher derivatives follow."""

    def at(v: Any, i: int) -> Any:
        return getitem(v, index=_along(axis, i))

    def safe(d: Any) -> Any:  # -inf - (-inf) (a prefix of -inf): no contribution
        bad = np.isnan(np.asarray(_raw(d)))
        return where(-np.inf, d, cond=bad) if bad.any() else d

    n = x.shape[axis]
    pieces: list[Any] = [None] * n
    t = None
    with np.errstate(invalid="ignore"):
        for i in reversed(range(n)):
            gi, oi = at(g, i), at(ans, i)
            t = gi if t is None else gi + exp(safe(oi - at(ans, i + 1))) * t
            pieces[i] = exp(safe(at(x, i) - oi)) * t
    return stack(*pieces, axis=axis)


# logcumsumexp: log(cumsum(exp(x))) underflows to -inf wherever a running sum starts far below
# the slice's largest value; np.logaddexp.accumulate is exact at any range, and so is the rule.
logcumsumexp = Op("logcumsumexp", lambda x, axis: np.logaddexp.accumulate(x, axis=axis), _logcumsumexp_vjp)


# A GRU cell's gate arithmetic (PyTorch's gate order r, z, n), after the matmuls:
#     r = sigmoid(a_r), z = sigmoid(a_z), n = tanh(gi_n + r * a_n), h' = (1 - z) * n + z * h
# where ``a`` = (..., 3H) holds the [r, z, n] pre-activations of the hidden side (the input's r and
# z shares already added, so a GRU step is one recurrent matmul and this op) and ``gi_n`` the
# input's n share. A primitive for speed: composed it is six ops at every time step (split, two
# sigmoids, addcmul, tanh, lerp: nine nodes with the split's outputs) and ten rules in backward, on
# arrays so small that the per-op overhead outweighs the arithmetic (PyTorch fuses this too). The
# forward keeps sigmoid([a_r, a_z]) and n for the first-order rules; under create_graph the rules
# recompute them from the inputs with recorded ops, in the same order, so higher derivatives work
# and both paths give the same numbers. The first-order rules work on whole, separate arrays and
# join the three blocks of a's gradient at the end: NumPy cannot tell that views of different
# blocks of one array don't overlap, and copies its operands when they might.
def _gru_gates(a: np.ndarray, gi_n: np.ndarray, h: np.ndarray) -> Any:
    hidden = h.shape[-1]
    rz = np.negative(a[..., : 2 * hidden], out=_new(h.shape[:-1] + (2 * hidden,), h.dtype))
    with np.errstate(over="ignore"):  # sigmoid of both gates as ``_sigmoid`` computes it
        np.exp(rz, out=rz)
    rz += 1
    np.reciprocal(rz, out=rz)
    r, z = rz[..., :hidden], rz[..., hidden:]
    n = np.multiply(r, a[..., 2 * hidden :], out=_new(h.shape, h.dtype))
    n += gi_n
    np.tanh(n, out=n)
    out = np.subtract(h, n, out=_new(h.shape, h.dtype))
    out *= z
    out += n  # (h - n) z + n = (1 - z) n + z h
    return out, (rz, n)


def _new(shape: tuple, dtype: np.dtype) -> np.ndarray:
    """An uninitialised C-contiguous array; one that outlives the op is reused from step to step
    (``scratch``)."""
    return scratch.empty(shape, dtype) if dtype.itemsize * math.prod(shape) >= _POOLED else np.empty(shape, dtype)


def _gru_gates_recomputed(a: Any, gi_n: Any, h: Any) -> tuple[Any, Any, Any, Any]:
    """``r, z, n, a_n`` from the inputs, with (possibly recorded) ops, as the forward computes them."""
    hidden = h.shape[-1]
    rz = sigmoid(getitem(a, index=(Ellipsis, slice(0, 2 * hidden))))
    r = getitem(rz, index=(Ellipsis, slice(0, hidden)))
    z = getitem(rz, index=(Ellipsis, slice(hidden, 2 * hidden)))
    a_n = getitem(a, index=(Ellipsis, slice(2 * hidden, 3 * hidden)))
    return r, z, tanh(r * a_n + gi_n), a_n


def _gru_gates_dn(g: np.ndarray, rz: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``dn = (1 - n^2) (1 - z) g``, the gradient of tanh's argument, and ``1 - z`` (first order)."""
    hidden = n.shape[-1]
    dn = np.multiply(n, n)
    np.subtract(1, dn, out=dn)
    one_minus_z = np.subtract(1, rz[..., hidden:])
    dn *= one_minus_z
    dn *= g
    return dn, one_minus_z


def _gru_gates_da(g: Any, ans: Any, a: Any, gi_n: Any, h: Any, residual: Any = None) -> Any:
    """``[dn r (1 - r) a_n, g (h - n) z (1 - z), dn r]`` with ``dn = g (1 - z) (1 - n^2)``."""
    hidden = h.shape[-1]
    if residual is not None and type(g) is _ndarray:  # first order
        rz, n = residual
        r, z = rz[..., :hidden], rz[..., hidden:]
        dn, dz = _gru_gates_dn(g, rz, n)
        dz *= z
        dz *= g
        dz *= np.subtract(h, n)  # (1 - z) z g (h - n)
        dr = np.subtract(1, r)
        dr *= r
        dr *= a[..., 2 * hidden :]
        dr *= dn  # (1 - r) r a_n dn
        dn *= r
        return np.concatenate((dr, dz, dn), axis=-1, out=_new(a.shape, a.dtype))
    # the same operations in the same order as above, so both paths give the same numbers
    r, z, n, a_n = _gru_gates_recomputed(a, gi_n, h)
    dn = (1 - n * n) * (1 - z) * g
    pieces = ((1 - r) * r * a_n * dn, (1 - z) * z * g * (h - n), dn * r)
    return cat(*pieces, axis=a.ndim - 1, offsets=(0, hidden, 2 * hidden, 3 * hidden))


def _gru_gates_dgi_n(g: Any, ans: Any, a: Any, gi_n: Any, h: Any, residual: Any = None) -> Any:
    """``dn = (1 - n^2) (1 - z) g``."""
    if residual is not None and type(g) is _ndarray:
        return _gru_gates_dn(g, *residual)[0]
    _, z, n, _ = _gru_gates_recomputed(a, gi_n, h)
    return (1 - n * n) * (1 - z) * g


def _gru_gates_dh(g: Any, ans: Any, a: Any, gi_n: Any, h: Any, residual: Any = None) -> Any:
    """``g z``."""
    hidden = h.shape[-1]
    if residual is not None and type(g) is _ndarray:
        return np.multiply(g, residual[0][..., hidden:], out=_new(g.shape, g.dtype))
    return g * _gru_gates_recomputed(a, gi_n, h)[1]


gru_gates = Op("gru_gates", _gru_gates, _gru_gates_da, _gru_gates_dgi_n, _gru_gates_dh, saves="inputs", residual=True)
