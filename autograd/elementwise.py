"""Elementwise functions with PyTorch's names and semantics: rounding, trigonometry, logs and
powers, modular arithmetic, comparisons, logical and bitwise operators.

Composites of the primitives in ``autograd.ops``. Where NumPy computes a value more exactly than
the composite (``log2(8)`` is exactly 3), the value is NumPy's and the gradient the composite's
(:func:`_exact`). Rounding functions (``floor``, ``round``, ``sign``, ...) have gradient 0, as in
PyTorch. Integer inputs of floating functions (``sqrt``, ``asin``, ...) give the default float
dtype; ``floor``, ``remainder``, ``//`` and the bitwise operators keep integer dtypes.

>>> from autograd import Tensor
>>> remainder(Tensor([-3.0, 5.0]), 2.0), Tensor([7, 8]) // 3
(tensor([1., 1.]), tensor([2, 2]))
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from . import ops
from .dtypes import get_default_dtype, promote, result_dtype
from .functional import as_tensor, where
from .recording import _wrap, apply, apply1, apply2
from .tensor import Tensor

__all__ = [
    "trunc", "fix", "floor", "ceil", "round", "sign", "sgn", "tan", "asin", "acos", "atan", "atan2", "arctan2",
    "arcsin", "arccos", "arctan", "sinh", "cosh", "asinh", "acosh", "atanh", "log2", "log10", "exp2", "rsqrt",
    "reciprocal", "square", "logaddexp", "logaddexp2", "fmod", "remainder", "floor_divide", "clip", "isinf",
    "isnan", "isfinite", "isposinf", "isneginf", "isclose", "allclose", "equal", "logical_and", "logical_or",
    "logical_not", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
    "bitwise_left_shift", "bitwise_right_shift", "add", "sub", "subtract", "mul", "multiply", "div", "divide",
    "true_divide", "pow", "negative", "positive", "eq", "ne", "lt", "le", "gt", "ge", "greater", "less",
    "frac", "hypot", "xlogy", "sinc", "deg2rad", "rad2deg", "nan_to_num",
]  # fmt: skip


def _floating(x: Any) -> Tensor:
    """``x`` as a Tensor of a floating dtype (integers and bools: the default float, as PyTorch)."""
    x = as_tensor(x)
    return x if x.dtype.kind == "f" else x.to(get_default_dtype())


def _exact(t: Tensor, value: Any) -> Tensor:
    """``t``'s gradient with NumPy's (more exact) ``value``: ``t + (value - t)``, the difference a constant."""
    delta = np.asarray(value, dtype=t.dtype) - t._data
    if not delta.any():
        return t
    return t + (delta if delta.ndim else delta[()])


def _zero_grad(x: Tensor, value: Any) -> Tensor:
    """``value`` (computed from ``x``) with gradient 0 towards ``x`` (rounding, sign)."""
    value = np.asarray(value, dtype=x.dtype)
    if not x.requires_grad:
        return _wrap(value if value.ndim else value[()], None, False)
    return where(np.zeros(value.shape, bool), x, value)


# ============================================================ rounding (gradient 0)
def trunc(x: Any) -> Tensor:
    """Round towards zero (integers unchanged); gradient 0.

    >>> trunc(Tensor([-1.5, 1.5]))
    tensor([-1.,  1.])
    """
    x = as_tensor(x)
    return x * 1 if x.dtype.kind in "biu" else _zero_grad(x, np.trunc(x._data))


fix = trunc


def floor(x: Any) -> Tensor:
    """Round down; gradient 0."""
    x = as_tensor(x)
    return x * 1 if x.dtype.kind in "biu" else _zero_grad(x, np.floor(x._data))


def ceil(x: Any) -> Tensor:
    """Round up; gradient 0."""
    x = as_tensor(x)
    return x * 1 if x.dtype.kind in "biu" else _zero_grad(x, np.ceil(x._data))


def round(x: Any, *, decimals: int = 0) -> Tensor:
    """Round half to even (``decimals`` places); gradient 0, as PyTorch.

    >>> round(Tensor([0.5, 1.5, 2.25]), decimals=1)
    tensor([0.5, 1.5, 2.2])
    """
    x = as_tensor(x)
    if x.dtype.kind in "biu":
        return x * 1
    return _zero_grad(x, np.round(x._data, decimals))


def sign(x: Any) -> Tensor:
    """-1, 0 or 1 (bool: itself); gradient 0.

    >>> sign(Tensor([-2.0, 0.0, 3.0]))
    tensor([-1.,  0.,  1.])
    """
    x = as_tensor(x)
    if x.dtype.kind == "b":
        return _wrap(x._data, None, False)
    return _zero_grad(x, np.sign(x._data))


sgn = sign


def frac(x: Any) -> Tensor:
    """``x - trunc(x)`` (gradient 1)."""
    x = _floating(x)
    return x - trunc(x)


# ============================================================ trigonometric and hyperbolic
def tan(x: Any) -> Tensor:
    """Tangent: NumPy's value, the gradient of ``sin / cos`` (``1 / cos^2``)."""
    x = _floating(x)
    return _exact(apply1(ops.sin, x) / apply1(ops.cos, x), np.tan(x._data))


def _primitive(op: Any, doc: str) -> Any:
    def fn(x: Any) -> Tensor:
        return apply1(op, _floating(x))

    fn.__name__ = fn.__qualname__ = op.name
    fn.__doc__ = doc + " (a primitive; integers give the default float)."
    return fn


asin = arcsin = _primitive(ops.asin, "Inverse sine")
acos = arccos = _primitive(ops.acos, "Inverse cosine")
atan = arctan = _primitive(ops.atan, "Inverse tangent")
asinh = arcsinh = _primitive(ops.asinh, "Inverse hyperbolic sine")
acosh = arccosh = _primitive(ops.acosh, "Inverse hyperbolic cosine")
atanh = arctanh = _primitive(ops.atanh, "Inverse hyperbolic tangent")


def atan2(input: Any, other: Any) -> Tensor:
    """The angle of the point ``(other, input)``: ``atan(input / other)`` in the right quadrant.

    >>> atan2(Tensor([1.0]), Tensor([-1.0]))
    tensor([2.3562])
    """
    y, x = _float_pair(input, other)
    return apply2(ops.atan2, y, x)


arctan2 = atan2


def sinh(x: Any) -> Tensor:
    """Hyperbolic sine: NumPy's value, the gradient of ``(exp(x) - exp(-x)) / 2``."""
    x = _floating(x)
    return _exact((apply1(ops.exp, x) - apply1(ops.exp, -x)) * 0.5, np.sinh(x._data))


def cosh(x: Any) -> Tensor:
    """Hyperbolic cosine: NumPy's value, the gradient of ``(exp(x) + exp(-x)) / 2``."""
    x = _floating(x)
    return _exact((apply1(ops.exp, x) + apply1(ops.exp, -x)) * 0.5, np.cosh(x._data))


def deg2rad(x: Any) -> Tensor:
    """Degrees to radians."""
    return _floating(x) * (math.pi / 180)


def rad2deg(x: Any) -> Tensor:
    """Radians to degrees."""
    return _floating(x) * (180 / math.pi)


def sinc(x: Any) -> Tensor:
    """``sin(pi x) / (pi x)``, 1 at 0 (gradient 0 there)."""
    x = _floating(x)
    zero = np.asarray(x._data == 0)
    safe = where(zero, 1.0, x) if zero.any() else x
    px = safe * math.pi
    return where(zero, 1.0, apply1(ops.sin, px) / px) if zero.any() else apply1(ops.sin, px) / px


# ============================================================ logs, exponentials, powers
def log2(x: Any) -> Tensor:
    """Base-2 logarithm (``log2(8)`` is exactly 3)."""
    x = _floating(x)
    return _exact(apply1(ops.log, x) * (1 / math.log(2)), np.log2(x._data))


def log10(x: Any) -> Tensor:
    """Base-10 logarithm."""
    x = _floating(x)
    return _exact(apply1(ops.log, x) * (1 / math.log(10)), np.log10(x._data))


def exp2(x: Any) -> Tensor:
    """``2 ** x``."""
    x = _floating(x)
    return apply2(ops.power, x.dtype.type(2), x)


def rsqrt(x: Any) -> Tensor:
    """``1 / sqrt(x)``."""
    return apply(ops.powc, (_floating(x),), {"p": -0.5})


def reciprocal(x: Any) -> Tensor:
    """``1 / x`` (integers: the default float)."""
    return 1.0 / _floating(x)


def square(x: Any) -> Tensor:
    """``x * x`` (integers stay integers, as PyTorch)."""
    x = as_tensor(x)
    if x.dtype.kind == "b":
        x = x.to(np.int64)
    return apply(ops.powc, (x,), {"p": 2})


def logaddexp(a: Any, b: Any) -> Tensor:
    """``log(exp(a) + exp(b))`` without overflow.

    >>> logaddexp(Tensor([1000.0]), Tensor([1000.0]))
    tensor([1000.6932])
    """
    a, b = _float_pair(a, b)
    m = np.maximum(a._data, b._data)
    bad = ~np.isfinite(m)  # both -inf (or an inf): no shift, and no 0/0 in the gradient
    if bad.any():
        m = np.where(bad, 0, m).astype(a.dtype)
        shape = np.broadcast_shapes(a.shape, b.shape)
        both_neg = np.broadcast_to((a._data == -np.inf) & (b._data == -np.inf), shape)
        if both_neg.any():
            out = logaddexp(where(both_neg, a.dtype.type(0), a), where(both_neg, a.dtype.type(0), b))
            return where(both_neg, a.dtype.type(-np.inf), out)
        m = m[()] if m.ndim == 0 else m
    return apply1(ops.log, apply1(ops.exp, a - m) + apply1(ops.exp, b - m)) + m


def logaddexp2(a: Any, b: Any) -> Tensor:
    """``log2(2**a + 2**b)``."""
    a, b = _float_pair(a, b)
    return logaddexp(a * math.log(2), b * math.log(2)) * (1 / math.log(2))


def hypot(a: Any, b: Any) -> Tensor:
    """``sqrt(a^2 + b^2)`` (gradient 0 at the origin)."""
    from .reductions import vector_norm

    a, b = _float_pair(a, b)
    from .functional import broadcast_to, stack

    shape = np.broadcast_shapes(a.shape, b.shape)
    return vector_norm(stack([broadcast_to(a, shape), broadcast_to(b, shape)]), 2, 0)


def xlogy(x: Any, y: Any) -> Tensor:
    """``x * log(y)``, and 0 where ``x`` is 0 (unless ``y`` is NaN), as PyTorch.

    >>> xlogy(Tensor([0.0, 2.0]), Tensor([0.0, 1.0]))
    tensor([0., 0.])
    """
    x, y = _float_pair(x, y)
    xd, yd = np.broadcast_arrays(x._data, y._data)
    undefined = (xd == 0) & ((yd <= 0) | np.isinf(yd))  # 0 * log(0), 0 * log(inf): taken as 0
    safe = where(undefined, y.dtype.type(1), y) if undefined.any() else y
    return x * apply1(ops.log, safe)


def nan_to_num(x: Any, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    """NaN and infinities replaced by finite numbers (gradient 0 there, 1 elsewhere)."""
    x = as_tensor(x)
    if x.dtype.kind != "f":
        return x * 1
    bad = ~np.isfinite(x._data)
    value = np.nan_to_num(x._data, nan=nan, posinf=posinf, neginf=neginf)
    return where(bad, value, x) if np.any(bad) else x * 1


# ============================================================ arithmetic with PyTorch's signatures
def _float_pair(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Both operands as Tensors of their common floating dtype (PyTorch's promotion; integers:
    the default float)."""
    ad, bd = _operand(a), _operand(b)
    dt = result_dtype(ad, bd)
    if dt.kind != "f":
        dt = get_default_dtype()
    return _as(a, ad, dt), _as(b, bd, dt)


def _operand(v: Any) -> Any:
    if isinstance(v, Tensor):
        return v._data
    return v if type(v) in (bool, int, float) else np.asarray(v)


def _as(v: Any, raw: Any, dt: np.dtype) -> Tensor:
    if isinstance(v, Tensor):
        return v if v.dtype == dt else v.to(dt)
    return Tensor(np.asarray(raw, dtype=dt))


def _raw_pair(a: Any, b: Any) -> tuple[Any, Any]:
    ad, bd = _operand(a), _operand(b)
    if type(ad) in (bool, int, float) and type(bd) in (bool, int, float):
        return np.asarray(ad), bd
    return promote(ad, bd)


def _raw(v: Any) -> Any:
    return v._data if isinstance(v, Tensor) else v


def _integral(*vs: Any) -> bool:
    return builtins.all(
        (type(v) in (bool, int)) or (not isinstance(v, float) and np.asarray(v).dtype.kind in "biu") for v in vs
    )


def add(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """``input + alpha * other``."""
    return apply2(ops.add, as_tensor(input), other if alpha == 1 else other * alpha)


def sub(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """``input - alpha * other``."""
    return apply2(ops.sub, as_tensor(input), other if alpha == 1 else other * alpha)


subtract = sub


def mul(input: Any, other: Any) -> Tensor:
    """``input * other`` (PyTorch's type promotion)."""
    return apply2(ops.mul, as_tensor(input), other)


multiply = mul


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """``input / other``; ``rounding_mode='trunc'`` or ``'floor'`` rounds the quotient (gradient 0;
    integers then stay integers), as PyTorch.

    >>> div(Tensor([-7, 7]), 2, rounding_mode="trunc"), div(Tensor([-7.0, 7.0]), 2, rounding_mode="floor")
    (tensor([-3,  3]), tensor([-4.,  3.]))
    """
    if rounding_mode is None:
        return apply2(ops.div, as_tensor(input), other)
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode != "trunc":
        raise ValueError(f"div(): rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")
    if _integral(_raw(input), _raw(other)):
        a, b = _raw_pair(input, other)
        _check_int_divisor(b, "div")
        q = np.abs(a) // np.abs(b) * np.sign(a) * np.sign(b)
        return _wrap(np.asarray(q, dtype=np.result_type(a, b)), None, False)
    return trunc(apply2(ops.div, as_tensor(input), other))


divide = true_divide = div


def _check_int_divisor(b: Any, fn: str) -> None:
    if np.any(np.asarray(b) == 0):
        raise ZeroDivisionError(f"{fn}(): integer division by zero")


def floor_divide(input: Any, other: Any) -> Tensor:
    """``floor(input / other)`` (``//``); integers stay integers; gradient 0.

    >>> floor_divide(Tensor([-7, 7]), 2)
    tensor([-4,  3])
    """
    if _integral(_raw(input), _raw(other)):
        a, b = _raw_pair(input, other)
        _check_int_divisor(b, "floor_divide")
        return _wrap(np.asarray(np.floor_divide(a, b)), None, False)
    q = apply2(ops.div, as_tensor(input), other)
    return _zero_grad(q, np.floor(q._data)) if q.requires_grad else _wrap(np.floor(q._data), None, False)


def _modulo(input: Any, other: Any, fn: Any, rounding: Any, name: str) -> Tensor:
    if _integral(_raw(input), _raw(other)):
        a, b = _raw_pair(input, other)
        _check_int_divisor(b, name)
        out = fn(a, b)
        return _wrap(out if isinstance(out, (np.ndarray, np.generic)) else np.asarray(out)[()], None, False)
    a, b = _float_pair(input, other)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = rounding(a._data / b._data)
        value = fn(a._data, b._data)
    if not (a.requires_grad or b.requires_grad):
        return _wrap(value, None, False)
    # a - b * q with q held constant: gradient 1 towards a and -q towards b (as PyTorch)
    return _exact(a - b * q, value)


def fmod(input: Any, other: Any) -> Tensor:
    """Remainder of ``input / other`` with the sign of ``input`` (C's fmod).

    >>> fmod(Tensor([-3.0, 3.0]), 2.0)
    tensor([-1.,  1.])
    """
    return _modulo(input, other, np.fmod, np.trunc, "fmod")


def remainder(input: Any, other: Any) -> Tensor:
    """Remainder with the sign of ``other`` (Python's ``%``).

    >>> remainder(Tensor([-3.0, 3.0]), 2.0)
    tensor([1., 1.])
    """
    return _modulo(input, other, np.remainder, np.floor, "remainder")


def pow(input: Any, exponent: Any) -> Tensor:
    """``input ** exponent`` (either may be a number)."""
    return as_tensor(input) ** exponent if isinstance(input, Tensor) or not isinstance(exponent, Tensor) else (
        exponent.__rpow__(input))  # fmt: skip


def negative(x: Any) -> Tensor:
    """``-x``."""
    return -as_tensor(x)


def positive(x: Any) -> Tensor:
    """``x`` itself."""
    return as_tensor(x)


def clip(x: Any, min: Any = None, max: Any = None) -> Tensor:
    """Alias of ``clamp``."""
    from .functional import clamp

    return clamp(x, min, max)


# ============================================================ tests of values (bool, no gradient)
def _bool(fn: Any, *vs: Any) -> Tensor:
    return _wrap(np.asarray(fn(*(_raw(v) for v in vs))), None, False)


def isinf(x: Any) -> Tensor:
    """Whether each element is +-inf (bool, no gradient).

    >>> isinf(Tensor([1.0, float("inf"), float("nan")]))
    tensor([False,  True, False])
    """
    return _bool(np.isinf, as_tensor(x))


def isnan(x: Any) -> Tensor:
    """Whether each element is NaN (bool, no gradient)."""
    return _bool(np.isnan, as_tensor(x))


def isfinite(x: Any) -> Tensor:
    """Whether each element is neither inf nor NaN (bool, no gradient)."""
    return _bool(np.isfinite, as_tensor(x))


def isposinf(x: Any) -> Tensor:
    """Whether each element is +inf (bool)."""
    return _bool(np.isposinf, as_tensor(x))


def isneginf(x: Any) -> Tensor:
    """Whether each element is -inf (bool)."""
    return _bool(np.isneginf, as_tensor(x))


def isclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """``|input - other| <= atol + rtol * |other|`` elementwise."""
    return _bool(lambda a, b: np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan), input, other)


def allclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """Whether ``isclose`` holds everywhere (a Python bool).

    >>> allclose(Tensor([1.0, 2.0]), Tensor([1.0, 2.0 + 1e-9]))
    True
    """
    return bool(np.allclose(_raw(input), _raw(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input: Any, other: Any) -> bool:
    """Same shape and elements (a Python bool)."""
    a, b = np.asarray(_raw(input)), np.asarray(_raw(other))
    return a.shape == b.shape and bool((a == b).all())


def eq(a: Any, b: Any) -> Tensor:
    """``a == b`` elementwise (bool, no gradient); ``ne``, ``lt``, ``le``, ``gt``, ``ge`` likewise.

    >>> eq(Tensor([1.0, 2.0]), 2.0)
    tensor([False,  True])
    """
    return _bool(np.equal, a, b)


def ne(a: Any, b: Any) -> Tensor:
    """``a != b`` elementwise (bool)."""
    return _bool(np.not_equal, a, b)


def lt(a: Any, b: Any) -> Tensor:
    """``a < b`` elementwise (bool)."""
    return _bool(np.less, a, b)


def le(a: Any, b: Any) -> Tensor:
    """``a <= b`` elementwise (bool)."""
    return _bool(np.less_equal, a, b)


def gt(a: Any, b: Any) -> Tensor:
    """``a > b`` elementwise (bool)."""
    return _bool(np.greater, a, b)


def ge(a: Any, b: Any) -> Tensor:
    """``a >= b`` elementwise (bool)."""
    return _bool(np.greater_equal, a, b)


greater, less = gt, lt


def logical_and(a: Any, b: Any) -> Tensor:
    """Elementwise ``a and b`` of the truth values (non-zero is true); bool.

    >>> logical_and(Tensor([0.0, 1.0, 2.0]), Tensor([1.0, 1.0, 0.0]))
    tensor([False,  True, False])
    """
    return _bool(np.logical_and, a, b)


def logical_or(a: Any, b: Any) -> Tensor:
    """Elementwise ``a or b`` of the truth values; bool."""
    return _bool(np.logical_or, a, b)


def logical_xor(a: Any, b: Any) -> Tensor:
    """Elementwise ``a xor b`` of the truth values; bool."""
    return _bool(np.logical_xor, a, b)


def logical_not(a: Any) -> Tensor:
    """Elementwise ``not a``; bool."""
    return _bool(np.logical_not, a)


# ============================================================ bitwise (integers and bools)
def _bitwise(fn: Any, name: str, a: Any, b: Any) -> Tensor:
    ad, bd = _raw(a), _raw(b)
    for v in (ad, bd):
        if isinstance(v, float) or (type(v) not in (bool, int) and np.asarray(v).dtype.kind not in "biu"):
            raise TypeError(
                f"{name}: only integer and bool tensors have bitwise operations, got "
                f"{type(v).__name__ if isinstance(v, float) else np.asarray(v).dtype} "
                "(for masks, compare first: (x > 0) & (x < 1))"
            )
    if type(ad) not in (bool, int) and type(bd) not in (bool, int):
        ad, bd = promote(ad, bd)  # int32 & int32 stays int32, int32 & int64 is int64
    out = fn(ad, bd)
    return _wrap(out if isinstance(out, (np.ndarray, np.generic)) else np.asarray(out)[()], None, False)


def bitwise_and(a: Any, b: Any) -> Tensor:
    """``a & b`` for integer (bitwise) or bool (logical) tensors, keeping the dtype.

    >>> bitwise_and(Tensor(np.array([6, 3], dtype=np.int32)), 5)
    tensor([4, 1], dtype=int32)
    """
    return _bitwise(np.bitwise_and, "bitwise_and (&)", a, b)


def bitwise_or(a: Any, b: Any) -> Tensor:
    """``a | b`` for integer (bitwise) or bool (logical) tensors, keeping the dtype."""
    return _bitwise(np.bitwise_or, "bitwise_or (|)", a, b)


def bitwise_xor(a: Any, b: Any) -> Tensor:
    """``a ^ b`` for integer (bitwise) or bool (logical) tensors, keeping the dtype."""
    return _bitwise(np.bitwise_xor, "bitwise_xor (^)", a, b)


def bitwise_left_shift(a: Any, b: Any) -> Tensor:
    """``a << b`` for integer tensors, keeping the dtype.

    >>> bitwise_left_shift(Tensor([1, 3]), 2)
    tensor([ 4, 12])
    """
    return _bitwise(np.left_shift, "bitwise_left_shift (<<)", a, b)


def bitwise_right_shift(a: Any, b: Any) -> Tensor:
    """``a >> b`` (arithmetic shift) for integer tensors, keeping the dtype."""
    return _bitwise(np.right_shift, "bitwise_right_shift (>>)", a, b)


def bitwise_not(a: Any) -> Tensor:
    """``~a``: bitwise not of integers, logical not of bools."""
    ad = as_tensor(a)._data
    if ad.dtype.kind not in "biu":
        raise TypeError(f"bitwise_not (~): only integer and bool tensors, got {ad.dtype}")
    return _wrap(np.invert(ad), None, False)
