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

from . import reductions
from .tensor import Tensor

# name on Tensor -> function taking the tensor first
_FUNCTIONS: dict[str, Any] = {
    name: getattr(reductions, name)
    for name in (
        "cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "any", "all", "norm", "sort", "argsort", "topk",
        "kthvalue", "median", "nanmedian", "mode", "amax", "amin", "aminmax", "count_nonzero",
    )
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


def attach() -> None:
    """Add the methods to :class:`Tensor` (run once, by ``autograd/__init__``)."""
    for name, fn in _FUNCTIONS.items():
        setattr(Tensor, name, _method(fn, name))
    for name, dtype in _CASTS.items():
        if name not in ("float", "double"):  # (those two are in tensor.py already)
            setattr(Tensor, name, _cast(dtype, name))
    Tensor.type = _type
