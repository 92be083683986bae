"""The Tensor: an ndarray that records every operation applied to it.

``apply`` is the single place where an operation is recorded into the graph; the
operators and methods of :class:`Tensor` are thin sugar over it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import aligned, graph
from .dtypes import as_array, check_supported, get_default_dtype
from .graph import Node

_ndarray = np.ndarray
_PY_SCALARS = frozenset((bool, int, float))


class Tensor(graph.Recorded):
    """An n-dimensional array with reverse-mode automatic differentiation.

    >>> a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> loss = (a * a).sum()
    >>> loss.backward()
    >>> a.grad
    tensor([2., 4., 6.])

    ``data`` may be a NumPy array (its dtype is kept), a Python scalar or a nested
    list (floats become the default dtype, float32; ints stay int64). The data is
    copied. Only floating tensors can require grad.
    """

    # Hot attributes live in slots; rarely set ones fall back to class defaults.
    # ``_vc`` is the version counter, a one-element list shared with views; it is
    # created on first need (in-place write, view), so most tensors never pay for it.
    __slots__ = ("_data", "requires_grad", "_node", "_vc", "__dict__", "__weakref__")
    __array_priority__ = 1000

    _grad: Tensor | None = None
    _base: Tensor | None = None  # the tensor this one is a view of
    _hooks: list | None = None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None):
        arr = as_array(data, dtype)
        self._data = arr[()] if arr.ndim == 0 else arr
        self._node = None
        self._vc = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)
        if name is not None:
            self.name = name

    def __setstate__(self, state: Any) -> None:
        """Restore a tensor from ``pickle`` or ``copy.deepcopy``. NumPy rebuilds the array wherever
        malloc puts it: a leaf's large array (a parameter's) is aligned again, as ``Tensor(data)``
        makes it (``autograd.aligned``), so a copied model trains as fast as the original.

        >>> import copy
        >>> w = Tensor(np.ones((64, 64), np.float32), requires_grad=True)
        >>> aligned.is_aligned(copy.deepcopy(w).data)
        True
        """
        attributes, slots = state if isinstance(state, tuple) else (state, None)
        for values in (attributes, slots):
            for name, value in (values or {}).items():
                object.__setattr__(self, name, value)
        d = self._data
        if self._node is None and self._base is None and type(d) is _ndarray and d.nbytes >= aligned.MIN_BYTES:
            if not aligned.is_aligned(d):
                self._data = aligned.copy(d)

    # ------------------------------------------------------------------ attributes
    @property
    def data(self) -> np.ndarray:
        """The underlying ndarray. Writes to it are not recorded (as in PyTorch)."""
        d = self._data
        if type(d) is not _ndarray:
            d = self._data = np.asarray(d)
        return d

    @data.setter
    def data(self, value: Any) -> None:
        if value is self._data:  # ``t.data -= x`` wrote in place and assigns the same array back
            return
        value = value._data if isinstance(value, Tensor) else value
        arr = np.asarray(value)
        check_supported(arr, "Tensor.data")
        self._data = arr

    @property
    def grad(self) -> Tensor | None:
        """Accumulated gradient (leaves, or tensors that called ``retain_grad``).

        Reading it on a result of an op that doesn't retain its gradient warns, as PyTorch does:
        backward never fills it, so ``None`` there is not "no gradient".
        """
        if self._grad is None and self._node is not None and self._node.retained is None:
            warnings.warn(
                "The .grad of a tensor that is not a leaf (it was computed by an op) is not kept by backward, "
                "so it is None. Call .retain_grad() on it before backward to keep it, or read the gradient of "
                "a leaf (an input or parameter with requires_grad=True) instead.",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                value = Tensor(value, dtype=self.dtype)
            if value.shape != self.shape:
                raise RuntimeError(f"assigned grad has shape {value.shape}, but the tensor has shape {self.shape}")
        self._grad = value

    @property
    def name(self) -> str | None:
        """An optional label, shown by ``repr`` and on graph drawings (also for results: ``e.name = "e"``)."""
        return self.__dict__.get("name")

    @name.setter
    def name(self, value: str | None) -> None:
        self.__dict__["name"] = value
        if self._node is not None:
            self._node.label = value

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> _Numel:
        """Number of elements; ``t.size(dim)`` also works, as in PyTorch."""
        return _Numel(self._data.size, self._data.shape)

    def numel(self) -> int:
        return int(self._data.size)

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (inputs, parameters)."""
        return self._node is None

    @property
    def grad_fn(self) -> Node | None:
        """The recorded op node that produced this tensor, or None for leaves."""
        return self._node

    @property
    def T(self) -> Tensor:
        """All dims reversed (NumPy's ``.T``)."""
        return apply(ops.permute, (self,), {"axes": tuple(range(self._data.ndim - 1, -1, -1))})

    @property
    def version(self) -> int:
        """Changes whenever the tensor's data is modified in place."""
        return 0 if self._vc is None else self._vc[0]

    # ------------------------------------------------------------------ conversion
    def numpy(self) -> np.ndarray:
        """The data as an ndarray (shared, not copied)."""
        return self.data

    def item(self) -> float | int | bool:
        if self._data.size != 1:
            raise ValueError(
                f"item(): only a tensor with one element can be converted to a Python scalar, got shape {self.shape}"
            )
        return self._data.item() if self._data.ndim == 0 else self._data.reshape(()).item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        arr = np.asarray(self._data)
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        return arr.copy() if copy and arr is self._data else arr

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError(
                f"only integer tensors of a single element can be converted to an index, got {self.dtype} {self.shape}"
            )
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with more than one element is ambiguous (shape {self.shape})"
            )
        return bool(self.item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(F.unbind(self, 0))  # one node for all rows (indexing each would be O(n^2))

    __hash__ = object.__hash__  # tensors are hashable by identity (== is elementwise)

    def detach(self) -> Tensor:
        """A tensor sharing this one's data, cut from the graph.

        (A 0-d tensor holds an immutable NumPy scalar: its detached copy has the value,
        and writing into one does not change the other.)
        """
        t = _wrap(self._data, None, False)
        if type(self._data) is np.ndarray:
            t._vc = _version_box(self)  # in-place writes through either are seen by both
        return t

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph."""
        return apply1(ops.copy, self)

    def to(self, dtype: Any) -> Tensor:
        """Cast to ``dtype`` (differentiable between floating dtypes; an integer or bool
        result carries no gradient, as in PyTorch)."""
        dtype = np.dtype(dtype)
        if dtype == self.dtype:
            return self
        source = self if dtype.kind == "f" else self.detach()
        return apply(ops.cast, (source,), {"dtype": dtype})

    astype = to

    def double(self) -> Tensor:
        return self.to(np.float64)

    def float(self) -> Tensor:
        return self.to(np.float32)

    # ------------------------------------------------------------------ autograd
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place (leaves only); returns self."""
        if self._node is not None:
            if not requires_grad:
                raise RuntimeError(
                    "requires_grad_: you can only change requires_grad of leaf tensors; "
                    "use .detach() to get a tensor cut from the graph"
                )
            return self
        if requires_grad and self._data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {self._data.dtype} "
                f"(convert with .to(np.float32) or build it from floats)"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: can't retain_grad on a tensor that does not require grad")
        if self._node is not None:
            import weakref

            self._node.retained = weakref.ref(self)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed; a non-None
        return value replaces the gradient. Returns a handle with ``remove()``."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that doesn't require gradient")
        owner = self._node if self._node is not None else self
        hooks = owner.hooks if owner is self._node else self._hooks
        if hooks is None:
            hooks = []
            if owner is self._node:
                owner.hooks = hooks
            else:
                self._hooks = hooks
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``gradient`` is required unless the tensor has a single element.
        Without ``retain_graph`` the graph's saved arrays are released afterwards.
        """
        _engine_backward((self,), None if gradient is None else (gradient,), retain_graph, create_graph)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (sets ``.grad`` to None)."""
        self._grad = None

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        body = np.array2string(
            np.asarray(self._data), separator=", ", prefix="tensor(", precision=4,
            threshold=200, edgeitems=3, suppress_small=True, floatmode="maxprec_equal",
        )  # fmt: skip
        extras = []
        if self._data.dtype not in (get_default_dtype(), np.dtype(np.int64), np.dtype(bool)):
            extras.append(f"dtype={self._data.dtype}")
        if self._node is not None:
            extras.append(f"grad_fn=<{self._node.op.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name is not None:
            extras.append(f"name={self.name!r}")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # ------------------------------------------------------------------ operators
    def __add__(self, other: Any) -> Tensor:
        return apply2(add, self, other)

    def __radd__(self, other: Any) -> Tensor:
        return apply2(add, other, self)

    def __sub__(self, other: Any) -> Tensor:
        return apply2(sub, self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return apply2(sub, other, self)

    def __mul__(self, other: Any) -> Tensor:
        return apply2(mul, self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return apply2(mul, other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return apply2(div, self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return apply2(div, other, self)

    def __pow__(self, other: Any) -> Tensor:
        if type(other) in _PY_SCALARS:
            return apply(ops.powc, (self,), {"p": other})
        return apply2(ops.power, self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return apply2(ops.power, other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return F.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return F.matmul(other, self)

    def __neg__(self) -> Tensor:
        return apply1(ops.neg, self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return apply1(ops.absolute, self)

    def __lt__(self, other: Any) -> Tensor:
        return _compare(np.less, self, other)

    def __le__(self, other: Any) -> Tensor:
        return _compare(np.less_equal, self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _compare(np.greater, self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _compare(np.greater_equal, self, other)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _compare(np.equal, self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _compare(np.not_equal, self, other)

    # Bitwise on integers (dtype kept), logical on bools; the rest of the operators: methods.py
    def __invert__(self) -> Tensor:
        return _elementwise.bitwise_not(self)

    def __and__(self, other: Any) -> Tensor:
        return _elementwise.bitwise_and(self, other)

    def __or__(self, other: Any) -> Tensor:
        return _elementwise.bitwise_or(self, other)

    def __getitem__(self, index: Any) -> Tensor:
        return F.getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        _inplace(self, ops.index_put, value, {"index": F.normalize_index(index)})

    def __iadd__(self, other: Any) -> Tensor:
        return _inplace(self, add, other)

    def __isub__(self, other: Any) -> Tensor:
        return _inplace(self, sub, other)

    def __imul__(self, other: Any) -> Tensor:
        return _inplace(self, mul, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return _inplace(self, div, other)

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """NumPy ufuncs on Tensors: ``np.exp(t)``, ``ndarray + t`` return Tensors."""
        fn = F.UFUNCS.get(ufunc.__name__)
        if method != "__call__" or fn is None or kwargs:
            return NotImplemented
        return fn(*inputs)

    # ------------------------------------------------------------------ methods
    # Every method below is the same-named function of autograd.functional.
    def sum(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool | None = None) -> Tensor:
        return F.sum(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def mean(self, dim: Any = None, keepdim: bool = False, *, axis: Any = None, keepdims: bool | None = None) -> Tensor:
        return F.mean(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def var(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, **kw: Any) -> Tensor:
        return F.var(self, dim, unbiased, keepdim, **kw)

    def std(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, **kw: Any) -> Tensor:
        return F.std(self, dim, unbiased, keepdim, **kw)

    def max(self, dim: Any = None, keepdim: bool = False, **kw: Any) -> Any:
        return F.max(self, dim, keepdim, **kw)

    def min(self, dim: Any = None, keepdim: bool = False, **kw: Any) -> Any:
        return F.min(self, dim, keepdim, **kw)

    def argmax(self, dim: int | None = None, keepdim: bool = False, **kw: Any) -> Tensor:
        return F.argmax(self, dim, keepdim, **kw)

    def argmin(self, dim: int | None = None, keepdim: bool = False, **kw: Any) -> Tensor:
        return F.argmin(self, dim, keepdim, **kw)

    def prod(self, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
        return F.prod(self, dim, keepdim, **kw)

    def logsumexp(self, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
        return F.logsumexp(self, dim, keepdim, **kw)

    def softmax(self, dim: int = -1) -> Tensor:
        return F.softmax(self, dim)

    def log_softmax(self, dim: int = -1) -> Tensor:
        return F.log_softmax(self, dim)

    def exp(self) -> Tensor:
        return apply1(ops.exp, self)

    def log(self) -> Tensor:
        return apply1(ops.log, self)

    def sqrt(self) -> Tensor:
        return apply1(ops.sqrt, self)

    def sin(self) -> Tensor:
        return apply1(ops.sin, self)

    def cos(self) -> Tensor:
        return apply1(ops.cos, self)

    def tanh(self) -> Tensor:
        return apply1(ops.tanh, self)

    def sigmoid(self) -> Tensor:
        return apply1(ops.sigmoid, self)

    def relu(self) -> Tensor:
        return apply1(ops.relu, self)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        return F.leaky_relu(self, negative_slope)

    def softplus(self) -> Tensor:
        return apply1(ops.softplus, self)

    def abs(self) -> Tensor:
        return apply1(ops.absolute, self)

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:
        return F.clamp(self, min, max)

    def reshape(self, *shape: Any) -> Tensor:
        return F.reshape(self, shape)

    def view(self, *shape: Any) -> Tensor:
        return F.reshape(self, shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return F.flatten(self, start_dim, end_dim)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        return F.transpose(self, dim0, dim1)

    def permute(self, *dims: Any) -> Tensor:
        return F.permute(self, dims)

    def squeeze(self, dim: Any = None) -> Tensor:
        return F.squeeze(self, dim)

    def unsqueeze(self, dim: int) -> Tensor:
        return F.unsqueeze(self, dim)

    def expand(self, *shape: Any) -> Tensor:
        return F.expand(self, shape)

    def matmul(self, other: Any) -> Tensor:
        return F.matmul(self, other)


class Parameter(Tensor):
    """A Tensor that is a model parameter: a leaf that requires grad by default."""

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None, name: str | None = None):
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, name=name)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class _Numel(int):
    """An int (the element count) that can also be called like PyTorch's ``size()``."""

    def __new__(cls, n: int, shape: tuple[int, ...]) -> _Numel:
        obj = super().__new__(cls, n)
        obj.shape = shape
        return obj

    def __call__(self, dim: int | None = None) -> tuple[int, ...] | int:
        return self.shape if dim is None else self.shape[dim]


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, hooks: list, hook: Callable):
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


# ----------------------------------------------------------------------------- the one way back
# The engine's modules are layered, each importing only the ones before it:
#     graph -> tensor -> recording -> ops -> function -> engine -> functional
# (graph: Op, Node, the switches; recording: apply, the one place nodes are made; ops: the rule
# table; engine: the reverse sweep; functional and the vocabulary modules beside it (elementwise,
# reductions, ...): the public functions). Tensor's operators and
# methods are sugar over the layers above it, so the names they call are bound here, last, once
# those modules can load. This is the only import that points back up the layers.
from . import elementwise as _elementwise  # noqa: E402
from . import functional as F  # noqa: E402
from . import ops  # noqa: E402
from .engine import backward as _engine_backward  # noqa: E402
from .ops import add, div, mul, sub  # noqa: E402
from .recording import (  # noqa: E402
    _compare,
    _inplace,
    _version_box,
    _wrap,
    apply,
    apply1,
    apply2,
)  # fmt: skip
