"""The Tensor methods of PyTorch's vocabulary, attached in one place.

Each method is the same-named function of ``elementwise``, ``reductions``, ``shaping`` or
``indexing`` with the tensor as its first argument (PyTorch's ``t.cumsum(0)`` is
``cumsum(t, 0)``). The core methods (``sum``, ``reshape``, operators ...) live in ``tensor.py``.

>>> from autograd import Tensor
>>> Tensor([3.0, 1.0, 2.0]).sort().values
tensor([1., 2., 3.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import activations, elementwise, functional, indexing, reductions, shaping
from .tensor import Tensor


def _names(module: Any, names: str) -> dict[str, Any]:
    return {name: getattr(module, name) for name in names.split()}


# name on Tensor -> function taking the tensor first
_FUNCTIONS: dict[str, Any] = {
    **_names(reductions, """cumsum cumprod cummax cummin logcumsumexp any all norm sort argsort topk kthvalue
        median nanmedian mode amax amin aminmax count_nonzero"""),
    **_names(elementwise, """trunc fix floor ceil round sign sgn frac tan asin acos atan atan2 arcsin arccos arctan
        arctan2 sinh cosh asinh acosh atanh arcsinh arccosh arctanh log2 log10 exp2 rsqrt reciprocal square
        logaddexp logaddexp2 fmod remainder floor_divide clip isinf isnan isfinite isposinf isneginf isclose
        allclose equal logical_and logical_or logical_not logical_xor bitwise_and bitwise_or bitwise_xor
        bitwise_not bitwise_left_shift bitwise_right_shift add sub subtract mul multiply div divide true_divide pow
        negative positive eq ne lt le gt ge greater less hypot xlogy sinc deg2rad rad2deg nan_to_num"""),
    **_names(shaping, """flip fliplr flipud roll repeat repeat_interleave tile chunk tensor_split unflatten unfold
        tril triu diag diagonal diag_embed diagflat trace narrow select movedim moveaxis swapaxes swapdims
        take_along_dim ravel t outer kron cross expand_as reshape_as view_as"""),
    **_names(indexing, """index_select index_add index_copy index_fill masked_fill masked_select masked_scatter
        scatter scatter_add scatter_reduce nonzero argwhere take"""),
    **_names(functional, "gather split unbind log1p neg logsumexp"),
    **_names(activations, "erf expm1"),
}  # fmt: skip


def _method(fn: Any, name: str) -> Any:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        return fn(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (
        f"``{fn.__module__.rpartition('.')[2]}.{fn.__name__}(self, ...)``: "
        + ((fn.__doc__ or "").strip().splitlines() or [""])[0]
    )
    return method


def _cast(dtype: Any, name: str) -> Any:
    def method(self: Tensor) -> Tensor:
        return self.to(dtype)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``self.to({np.dtype(dtype).name})``."
    return method


def _type(self: Tensor, dtype: Any = None) -> Any:
    """``t.type(dtype)`` casts (like ``.to``); ``t.type()`` names the dtype."""
    if dtype is None:
        return str(self.dtype)
    return self.to(dtype)


_CASTS = {
    "int": np.int32, "long": np.int64, "short": np.int16, "char": np.int8, "byte": np.uint8,
    "half": np.float16, "float": np.float32, "double": np.float64, "bool": np.bool_,
}  # fmt: skip


def _where(self: Tensor, condition: Any, y: Any) -> Tensor:
    """``where(condition, self, y)``."""
    return functional.where(condition, self, y)


def _dim(self: Tensor) -> int:
    """The number of dims (``ndim``)."""
    return self.ndim


def _swap(fn: Any) -> Any:
    return lambda self, other: fn(other, self)


# Operators beyond tensor.py's: %, //, ^, <<, >> and the reflected & and |
_OPERATORS = {
    "__mod__": elementwise.remainder, "__rmod__": _swap(elementwise.remainder),
    "__floordiv__": elementwise.floor_divide, "__rfloordiv__": _swap(elementwise.floor_divide),
    "__xor__": elementwise.bitwise_xor, "__rxor__": _swap(elementwise.bitwise_xor),
    "__rand__": _swap(elementwise.bitwise_and), "__ror__": _swap(elementwise.bitwise_or),
    "__lshift__": elementwise.bitwise_left_shift, "__rlshift__": _swap(elementwise.bitwise_left_shift),
    "__rshift__": elementwise.bitwise_right_shift, "__rrshift__": _swap(elementwise.bitwise_right_shift),
}  # fmt: skip


def attach() -> None:
    """Add the methods to :class:`Tensor` (run once, by ``autograd/__init__``). Methods that
    ``tensor.py`` defines itself are left as they are."""
    own = set(vars(Tensor))
    for name, fn in _FUNCTIONS.items():
        if name not in own:
            setattr(Tensor, name, _method(fn, name))
    for name, dtype in _CASTS.items():
        if name not in own:
            setattr(Tensor, name, _cast(dtype, name))
    for name, fn in _OPERATORS.items():
        if name not in own:
            setattr(Tensor, name, fn)
    Tensor.type = _type
    Tensor.where = _where
    Tensor.dim = _dim
