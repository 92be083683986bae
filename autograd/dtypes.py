"""Turning user data into arrays, the default dtype, and PyTorch's type promotion."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import aligned

_DEFAULT_DTYPE: np.dtype = np.dtype(np.float32)


def get_default_dtype() -> np.dtype:
    """The dtype Python floats (and lists of them) become; float32 unless changed."""
    return _DEFAULT_DTYPE


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype for Python floats and ints, e.g. ``set_default_dtype(np.float64)``.

    >>> set_default_dtype(np.float64); set_default_dtype(np.float32)
    """
    global _DEFAULT_DTYPE
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"set_default_dtype: only floating dtypes can be the default, got {dt}")
    _DEFAULT_DTYPE = dt


def common_float(*dtypes: Any) -> np.dtype:
    """The floating dtype operands of these dtypes compute in: their common dtype (NumPy's promotion)
    if it is floating, else (integers, bools only) the default float.

    >>> common_float(np.float32, np.float64), common_float(np.int64, np.bool_)
    (dtype('float64'), dtype('float32'))
    """
    dtype = np.result_type(*dtypes)
    return dtype if dtype.kind == "f" else np.dtype(get_default_dtype())


def check_supported(arr: np.ndarray, where: str = "tensor") -> None:
    """Refuse an array graphgrad can't compute on (object, string or complex data)."""
    check_supported_dtype(arr.dtype, where)


def check_supported_dtype(dtype: np.dtype, where: str = "tensor") -> None:
    """Refuse a dtype graphgrad can't compute in.

    >>> check_supported_dtype(np.dtype(np.complex64))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    TypeError: tensor: unsupported dtype complex64; graphgrad tensors hold floating, integer or bool data ...
    """
    if dtype.kind not in "biuf":
        raise TypeError(
            f"{where}: unsupported dtype {dtype}; graphgrad tensors hold "
            "floating, integer or bool data (not object, string or complex arrays)"
        )


def as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """A new ndarray of ``data`` following graphgrad's dtype rules (the storage of a new Tensor).

    NumPy arrays keep their dtype (and memory order); Python floats and ints, and lists of
    floats, become the default float dtype; lists of ints stay int64, bools stay bool. Large
    arrays are allocated 64-byte aligned (``aligned``).
    """
    if hasattr(data, "_data") and hasattr(data, "requires_grad"):  # a Tensor
        data = data._data
    if isinstance(data, np.ndarray):
        arr = data  # copied once, below
    elif isinstance(data, np.generic):
        arr = np.array(data)
    elif isinstance(data, bool):
        arr = np.array(data)
    elif isinstance(data, (int, float)):
        arr = np.array(data, dtype=_DEFAULT_DTYPE)
    else:
        try:
            arr = np.array(data)
        except ValueError as e:
            raise ValueError(f"tensor: cannot build a tensor from {type(data).__name__}: {e}") from None
        if arr.dtype == np.float64 and not _holds_numpy_float64(data):
            arr = arr.astype(_DEFAULT_DTYPE)
    check_supported(arr)
    if dtype is not None:
        dtype = np.dtype(dtype)
        check_supported_dtype(dtype)
    if arr is data or arr.nbytes >= aligned.MIN_BYTES or (dtype is not None and dtype != arr.dtype):
        arr = aligned.copy(arr, dtype)
    return arr


def _holds_numpy_float64(data: Any) -> bool:
    """True when a nested list is made of float64 arrays (which keep their dtype)."""
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return isinstance(data, np.ndarray) and data.dtype == np.float64


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def result_dtype(x: Any, y: Any) -> np.dtype:
    """PyTorch's type promotion for two raw operands (arrays or Python scalars).

    Categories are bool < integer < float. Within one priority level (arrays with
    dimensions, then 0-d arrays, then Python scalars) the higher category wins, and
    equal categories promote as NumPy does. A lower level only changes the result
    when its category is higher. So ``float32 vector * float64 0-d`` stays float32,
    ``int64 * float32`` is float32, and ``int tensor * 0.5`` is the default float.
    """
    rx, dx = _rank(x), _dtype_of(x)
    ry, dy = _rank(y), _dtype_of(y)
    cx, cy = _CATEGORY[dx.kind], _CATEGORY[dy.kind]
    if rx == ry:
        return dx if cx > cy else dy if cy > cx else np.result_type(dx, dy)
    (d_hi, c_hi), (d_lo, c_lo) = ((dx, cx), (dy, cy)) if rx > ry else ((dy, cy), (dx, cx))
    return d_lo if c_lo > c_hi else d_hi


_PY_SCALARS = (bool, int, float)


def _rank(v: Any) -> int:
    """2 for arrays with dimensions, 1 for 0-d arrays and NumPy scalars, 0 for Python scalars."""
    if type(v) in _PY_SCALARS:
        return 0
    return 2 if np.ndim(v) > 0 else 1


def _dtype_of(v: Any) -> np.dtype:
    if type(v) is bool:
        return np.dtype(bool)
    if type(v) is int:
        return np.dtype(np.int64)
    if type(v) is float:
        return _DEFAULT_DTYPE
    return np.dtype(v.dtype)


def promote(x: Any, y: Any) -> tuple[Any, Any]:
    """Cast two raw operands to their PyTorch result dtype (Python scalars stay weak)."""
    dt = result_dtype(x, y)
    if type(x) not in _PY_SCALARS and x.dtype != dt:
        x = x.astype(dt)
    if type(y) not in _PY_SCALARS and y.dtype != dt:
        y = y.astype(dt)
    return x, y
