"""The Tensor: an ndarray that records every operation applied to it.

``apply`` is the single place where an operation is recorded into the graph; the
operators and methods of :class:`Tensor` are thin sugar over it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import graph
from .dtypes import as_array, check_supported, get_default_dtype, promote
from .graph import Node, Op, user_frame

_ndarray = np.ndarray
_generic = np.generic
_new = object.__new__
_PY_SCALARS = frozenset((bool, int, float))


class Tensor:
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
        value = value._data if isinstance(value, Tensor) else value
        arr = np.asarray(value)
        check_supported(arr, "Tensor.data")
        self._data = arr

    @property
    def grad(self) -> Tensor | None:
        """Accumulated gradient (leaves, or tensors that called ``retain_grad``)."""
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
        return permute(self, tuple(range(self.ndim - 1, -1, -1)))

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
        return arr if dtype is None else arr.astype(dtype, copy=False)

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
        return (self[i] for i in range(self._data.shape[0]))

    __hash__ = object.__hash__  # tensors are hashable by identity (== is elementwise)

    def detach(self) -> Tensor:
        """A tensor sharing this one's data, cut from the graph."""
        t = _wrap(self._data, None, False)
        t._vc = _version_box(self)  # in-place writes through either are seen by both
        return t

    def clone(self) -> Tensor:
        """A copy of the data that stays in the graph."""
        return apply1(ops.copy, self)

    def to(self, dtype: Any) -> Tensor:
        """Cast to ``dtype`` (differentiable between floating dtypes)."""
        dtype = np.dtype(dtype)
        return self if dtype == self.dtype else apply(ops.cast, (self,), {"dtype": dtype})

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

    def __invert__(self) -> Tensor:
        if self.dtype.kind != "b":
            raise TypeError(f"~ is only defined for bool tensors, got {self.dtype}")
        return _wrap(~self._data, None, False)

    def __and__(self, other: Any) -> Tensor:
        return _compare(np.logical_and, self, other)

    def __or__(self, other: Any) -> Tensor:
        return _compare(np.logical_or, self, other)

    def __getitem__(self, index: Any) -> Tensor:
        return F.getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        _inplace(self, ops.index_put, value, {"index": F.normalize_index(index, self.shape)})

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

    def var(self, dim: Any = None, unbiased: bool = False, keepdim: bool = False, **kw: Any) -> Tensor:
        return F.var(self, dim, unbiased, keepdim, **kw)

    def std(self, dim: Any = None, unbiased: bool = False, keepdim: bool = False, **kw: Any) -> Tensor:
        return F.std(self, dim, unbiased, keepdim, **kw)

    def max(self, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
        return F.max(self, dim, keepdim, **kw)

    def min(self, dim: Any = None, keepdim: bool = False, **kw: Any) -> Tensor:
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


# ====================================================================== recording
def _wrap(data: Any, node: Node | None, requires_grad: bool) -> Tensor:
    """Build a Tensor around raw data without copying or validation."""
    t = _new(Tensor)
    t._data = data
    t.requires_grad = requires_grad
    t._node = node
    t._vc = None
    return t


def _record(op: Op, inputs: tuple, args: tuple, parents: tuple, params: dict | None, out: Any) -> Tensor:
    """Wrap ``out`` in a Tensor whose ``grad_fn`` is a new node for this op call."""
    if graph.ANOMALY:
        _check_finite(out, op, "forward", None)
    node = Node(op, parents, inputs, args, params, out)
    t = _new(Tensor)
    t._data = out
    t.requires_grad = True
    t._node = node
    t._vc = None
    if op.view:
        _mark_view(t, inputs[0])
    return t


def _version_box(t: Tensor) -> list:
    """The tensor's version counter, created (and linked to its node) on first use."""
    box = t._vc
    if box is None:
        box = t._vc = [0]
        node = t._node
        if node is not None and node.out is t._data:
            node.out_vc = box
    return box


def _mark_view(t: Tensor, base: Any) -> None:
    if isinstance(base, Tensor) and type(t._data) is _ndarray and np.may_share_memory(t._data, base._data):
        t._vc = _version_box(base)
        t._base = base._base if base._base is not None else base
        if t._node is not None:
            t._node.out_vc = t._vc


def _plain(op: Op, inputs: tuple, out: Any) -> Tensor:
    """Wrap ``out`` without recording (nothing requires grad, or under no_grad)."""
    if graph.ANOMALY:
        _check_finite(out, op, "forward", None)
    t = _new(Tensor)
    t._data = out
    t.requires_grad = False
    t._node = None
    t._vc = None
    if op.view:
        _mark_view(t, inputs[0])
    return t


def _as_output(out: Any) -> Any:
    """Outputs are ndarrays, or NumPy scalars for 0-d results (much faster to compute on)."""
    return out if type(out) is _ndarray or isinstance(out, _generic) else np.asarray(out)


def apply(op: Op, args: tuple, params: dict | None = None) -> Tensor:
    """Run primitive ``op`` on ``args`` (Tensors or raw values); record it if needed."""
    raw = []
    parents = []
    needs_grad = False
    for a in args:
        if isinstance(a, Tensor):
            raw.append(a._data)
            if a.requires_grad:
                needs_grad = True
                parents.append(a._node or a)
            else:
                parents.append(None)
        else:
            raw.append(a)
            parents.append(None)
    try:
        out = _as_output(op.forward(*raw, **params) if params else op.forward(*raw))
    except (ValueError, IndexError, TypeError) as e:
        raise _op_error(op, raw, e) from None
    if needs_grad and graph.GRAD_ENABLED:
        return _record(op, args, tuple(raw), tuple(parents), params, out)
    return _plain(op, args, out)


def apply1(op: Op, x: Tensor) -> Tensor:
    """``apply`` for a one-input op without parameters (the hot path)."""
    xd = x._data
    try:
        out = op.forward(xd)
    except (ValueError, TypeError) as e:
        raise _op_error(op, (xd,), e) from None
    if x.requires_grad and graph.GRAD_ENABLED:
        return _record(op, (x,), (xd,), (x._node or x,), None, out)
    return _plain(op, (x,), out)


def apply2(op: Op, x: Any, y: Any) -> Tensor:
    """``apply`` for a broadcasting binary op (the hot path), with type promotion."""
    if isinstance(x, Tensor):
        xd = x._data
        px = (x._node or x) if x.requires_grad else None
    else:
        xd, px = x, None
    if isinstance(y, Tensor):
        yd = y._data
        py = (y._node or y) if y.requires_grad else None
    else:
        yd, py = y, None
    tx = type(xd)
    if tx is not type(yd):
        xd, yd = _coerce(op, xd, yd)
    elif tx is _ndarray and xd.dtype is not yd.dtype:
        xd, yd = _coerce(op, xd, yd)  # checks the dtypes too (object, string arrays)
    try:
        out = op.forward(xd, yd)
    except (ValueError, TypeError) as e:
        raise _op_error(op, (xd, yd), e) from None
    if (px is not None or py is not None) and graph.GRAD_ENABLED:
        return _record(op, (x, y), (xd, yd), (px, py), None, out)
    return _plain(op, (x, y), out)


def _plain_scalar(v: Any) -> Any:
    """Subclasses of int/float (e.g. ``t.size``) as the plain Python number; NumPy scalars stay."""
    if type(v) in _PY_SCALARS or isinstance(v, _generic) or not isinstance(v, (int, float)):
        return v
    return bool(v) if isinstance(v, bool) else int(v) if isinstance(v, int) else float(v)


def _coerce(op: Op, xd: Any, yd: Any) -> tuple[Any, Any]:
    """Operands of different types: check them, and apply PyTorch's promotion."""
    for v in (xd, yd):
        if not isinstance(v, (_ndarray, _generic, bool, int, float)):
            raise TypeError(
                f"{op.name}: unsupported operand of type {type(v).__name__} (expected a Tensor, array or number)"
            )
        if isinstance(v, (_ndarray, _generic)) and v.dtype.kind not in "biuf":
            raise TypeError(
                f"{op.name}: unsupported operand of dtype {v.dtype} (shape {v.shape}); graphgrad computes on "
                "floating, integer or bool data (not object, string or complex arrays)"
            )
    xd, yd = _plain_scalar(xd), _plain_scalar(yd)
    if type(xd) in _PY_SCALARS or type(yd) in _PY_SCALARS:
        scalar, arr = (xd, yd) if type(xd) in _PY_SCALARS else (yd, xd)
        kind = arr.dtype.kind
        if type(scalar) is float and kind != "f" or type(scalar) is int and kind == "b":
            return promote(xd, yd)
        return xd, yd
    if xd.dtype != yd.dtype:
        return promote(xd, yd)
    return xd, yd


def _compare(fn: Callable, x: Tensor, y: Any) -> Tensor:
    yd = y._data if isinstance(y, Tensor) else y
    try:
        out = fn(x._data, yd)
    except (ValueError, TypeError) as e:
        raise type(e)(f"{fn.__name__}: {e}") from None
    return _wrap(out, None, False)


def _describe(v: Any) -> str:
    if isinstance(v, (_ndarray, _generic)):
        return f"{v.dtype}{list(v.shape)}"
    return type(v).__name__


def _op_error(op: Op, raw: tuple, e: Exception) -> Exception:
    shapes = ", ".join(_describe(v) for v in raw)
    return type(e)(f"{op.name}: {e} (inputs: {shapes})")


def _check_finite(value: Any, op: Op, phase: str, node: Node | None) -> None:
    arr = np.asarray(value)
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        bad = "nan" if np.isnan(arr).any() else "inf"
        where = node.trace if node is not None else user_frame()
        if where is None:
            where = "an unknown line (it was recorded before detect_anomaly() was turned on)"
        raise FloatingPointError(
            f"detect_anomaly: {op.name} produced {bad} in its {phase} (output shape {arr.shape}); created at {where}"
        )


# ====================================================================== in place
def _inplace(t: Tensor, op: Op, other: Any, params: dict | None = None) -> Tensor:
    """``t op= other`` (or ``t[index] = other``), writing into t's own array."""
    other_rg = isinstance(other, Tensor) and other.requires_grad
    if graph.GRAD_ENABLED and (t.requires_grad or other_rg):
        if t._node is None and t.requires_grad:
            raise RuntimeError(
                f"a leaf Tensor that requires grad is being used in an in-place operation ({op.name}); "
                "wrap the update in `with no_grad():` or use an out-of-place op"
            )
        if t._base is not None:
            raise RuntimeError(
                f"in-place {op.name} on a view of another tensor while recording gradients is not supported; "
                "use an out-of-place op or .clone() the view first"
            )
        # Record the op on a snapshot of t's current value, then write the result back.
        _version_box(t)  # links t's current node to the counter, so it sees this write
        old = t._data.copy() if op.saves_inputs and type(t._data) is _ndarray else t._data
        snapshot = _wrap(old, t._node, t.requires_grad)
        od = other._data if isinstance(other, Tensor) else other
        if op.saves_inputs and type(od) is _ndarray and type(old) is _ndarray and np.may_share_memory(od, t._data):
            # The other operand is (a view of) t itself, as in h *= h: it must be saved as it is now.
            if not isinstance(other, Tensor):
                other = od.copy()
            elif other._node is None and other.requires_grad:
                raise RuntimeError(
                    f"in-place {op.name}: the other operand is a leaf that requires grad and shares memory "
                    "with the tensor being modified; use an out-of-place op"
                )
            else:
                other = _wrap(od.copy(), other._node, other.requires_grad)
        res = apply(op, (snapshot, other), params)
        _write(t, res._data)
        node = res._node
        t._node, t.requires_grad = node, True
        _version_box(t)[0] = graph._bump_epoch()
        node.epoch, node.out, node.out_vc = graph.INPLACE_EPOCH, t._data, t._vc
        return t
    od = other._data if isinstance(other, Tensor) else other
    if params is not None:  # item assignment
        if type(t._data) is not _ndarray:
            t._data = np.asarray(t._data)
        t._data[params["index"]] = od
    else:
        _write(t, op.forward(t._data, od))
    _version_box(t)[0] = graph._bump_epoch()
    return t


def _write(t: Tensor, value: Any) -> None:
    if np.shape(value) != t.shape:
        raise RuntimeError(f"in-place op: result shape {np.shape(value)} doesn't match the tensor's shape {t.shape}")
    if type(t._data) is _ndarray:
        np.copyto(t._data, value, casting="same_kind")
    else:  # 0-d data is held as an immutable NumPy scalar
        t._data = np.asarray(value, dtype=t.dtype)[()]


graph._bind_tensor(Tensor, apply)

# The primitives and composites are defined in terms of Tensor, so they come last.
from . import functional as F  # noqa: E402
from . import ops  # noqa: E402
from .engine import backward as _engine_backward  # noqa: E402
from .ops import add, div, mul, sub  # noqa: E402

permute = F.permute
