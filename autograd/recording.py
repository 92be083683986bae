"""Recording: the one place where an operation on Tensors becomes a node of the graph.

``apply(op, args, params)`` runs a primitive on raw arrays and, when grad mode is on and
some input requires grad, wraps the output in a Tensor whose ``grad_fn`` is a new
``Node``. ``apply1``/``apply2`` are the same for the hot one- and two-input cases (with
PyTorch's type promotion). In-place writes (``t += x``, ``t[i] = v``) live here too,
with the version counters that make the engine refuse overwritten saved values.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from . import graph
from .dtypes import promote
from .graph import Node, Op, Select, anomaly_enabled, grad_enabled, user_frame
from .tensor import _PY_SCALARS, Tensor

_ndarray = np.ndarray
_generic = np.generic
_new = object.__new__
_init_node = Node.__init__


def _wrap(data: Any, node: Node | None, requires_grad: bool) -> Tensor:
    """Build a Tensor around raw data without copying or validation."""
    t = _new(Tensor)
    t._data = data
    t.requires_grad = requires_grad
    t._node = node
    t._vc = None
    return t


def _output(op: Op, inputs: tuple, args: tuple, parents: tuple, params: dict | None, out: Any, record: Any) -> Tensor:
    """Wrap ``out`` in a Tensor; when ``record`` is true its ``grad_fn`` is a new node for this call.

    This is the one place where nodes are created (``apply``, ``record_multi`` and user Functions
    come through here)."""
    if graph.DEBUG_USED and anomaly_enabled():
        _check_finite(out, op, "forward", None)
    t = _new(Tensor)
    t._data = out
    t._vc = None
    if record:
        t._node = node = _new(Node)
        _init_node(node, op, parents, inputs, args, params, out)  # (cheaper than calling the class)
        t.requires_grad = True
    else:
        t._node = None
        t.requires_grad = False
    if op.view:
        _mark_view(t, inputs[0])
    return t


def record_multi(op: Op, inputs: tuple, args: tuple, parents: tuple, params: dict | None, pieces: Any) -> list:
    """Record a call of an op with several outputs (``split``, a Function returning a tuple).

    One node for the call, without an output of its own, and one pass-through ``Select`` node per
    output: the engine gathers the outputs' gradients into one ``Slot`` and runs the op's rule once.
    """
    node = _output(op, inputs, args, parents, params, None, True)._node
    node._meta, node.multi_output = ((), None), True
    return [_output(select(j), _NONE, _NONE, (node,), None, p, True) for j, p in enumerate(pieces)]


_NONE = (None,)
_SELECT: list[Select] = []  # the pass-through ops, shared by every multi-output node
_SELECT_LOCK = threading.Lock()


def select(j: int) -> Select:
    """The ``Select`` op that takes output ``j`` out of a multi-output node."""
    if j >= len(_SELECT):
        with _SELECT_LOCK:  # (two threads growing the list at once would misnumber it)
            _SELECT.extend(Select(k) for k in range(len(_SELECT), j + 1))
    return _SELECT[j]


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


def _as_output(out: Any) -> Any:
    """Outputs are ndarrays, or NumPy scalars for 0-d results (much faster to compute on)."""
    return out if type(out) is _ndarray or isinstance(out, _generic) else np.asarray(out)


def _check_fresh(t: Tensor) -> None:
    """Refuse a view whose base was overwritten in place after the view was taken."""
    if t._node is not None and t._vc[0] > t._node.epoch:
        raise RuntimeError(
            f"a view (shape {t.shape}, made by '{t._node.op.name}') is used after the tensor it views was "
            "modified in place: its values changed but its recorded history did not, so its gradient would "
            "be wrong. Take the view again after the in-place operation (or .clone() it before)."
        )


def apply(op: Op, args: tuple, params: dict | None = None) -> Tensor:
    """Run primitive ``op`` on ``args`` (Tensors or raw values); record it if needed."""
    raw = []
    parents = []
    needs_grad = False
    for a in args:
        if isinstance(a, Tensor):
            if a._base is not None:  # a view: were its base's values overwritten since?
                _check_fresh(a)
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
        out = op.forward(*raw, **params) if params else op.forward(*raw)
    except (ValueError, IndexError, TypeError) as e:
        raise _op_error(op, raw, e) from None
    record = needs_grad and grad_enabled()
    if op.residual:
        out, residual = out
        t = _output(op, args, tuple(raw), tuple(parents) if record else (), params, _as_output(out), record)
        if record:
            t._node.residual = residual
        return t
    return _output(op, args, tuple(raw), tuple(parents) if record else (), params, _as_output(out), record)


def apply1(op: Op, x: Tensor) -> Tensor:
    """``apply`` for a one-input op without parameters (the hot path)."""
    xd = x._data
    if x._base is not None:
        _check_fresh(x)
    try:
        out = op.forward(xd)
    except (ValueError, TypeError) as e:
        raise _op_error(op, (xd,), e) from None
    record = x.requires_grad and grad_enabled()
    return _output(op, (x,), (xd,), ((x._node or x),) if record else (None,), None, out, record)


def apply2(op: Op, x: Any, y: Any) -> Tensor:
    """``apply`` for a broadcasting binary op (the hot path), with type promotion."""
    if isinstance(x, Tensor):
        xd = x._data
        px = (x._node or x) if x.requires_grad else None
        if x._base is not None:
            _check_fresh(x)
    else:
        xd, px = x, None
    if isinstance(y, Tensor):
        yd = y._data
        py = (y._node or y) if y.requires_grad else None
        if y._base is not None:
            _check_fresh(y)
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
    record = (px is not None or py is not None) and grad_enabled()
    return _output(op, (x, y), (xd, yd), (px, py), None, out, record)


def _plain_scalar(v: Any) -> Any:
    """Subclasses of int/float (e.g. ``t.size``) as the plain Python number; NumPy scalars stay."""
    if type(v) in _PY_SCALARS or isinstance(v, _generic) or not isinstance(v, (int, float)):
        return v
    return bool(v) if isinstance(v, bool) else int(v) if isinstance(v, int) else float(v)


def _coerce(op: Op, xd: Any, yd: Any) -> tuple[Any, Any]:
    """Operands of different types: check them, and apply PyTorch's promotion."""
    # The common case first: a tensor of floats and a Python number. A NumPy scalar (0-d
    # data) gets the number in its own type: NumPy 2 would keep the number "weak" anyway,
    # NumPy 1.x would make a float32 result float64, and one scalar type computes fastest. An int
    # goes in as a float: NumPy 1.x would promote float32 to float64 for an int of 65536 or more.
    tx, ty = type(xd), type(yd)
    if (ty is float or ty is int) and tx is not float and tx is not int and tx is not bool and xd.dtype.kind == "f":
        return xd, ((yd if ty is float else float(yd)) if tx is _ndarray else tx(yd))
    if (tx is float or tx is int) and ty is not float and ty is not int and ty is not bool and yd.dtype.kind == "f":
        return ((xd if tx is float else float(xd)) if ty is _ndarray else ty(xd)), yd
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
    message = f"{op.name}: {e} (inputs: {shapes})"
    try:
        return type(e)(message)
    except Exception:  # a class with another constructor (NumPy's casting errors): its builtin base
        return next(c for c in type(e).__mro__ if c in (TypeError, ValueError, IndexError))(message)


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
    if grad_enabled() and (t.requires_grad or other_rg):
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
        try:
            _write(t, res._data)
        except TypeError:
            raise _dtype_error(op, res._data, t) from None
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
        result = op.forward(t._data, od)
        try:
            _write(t, result)
        except TypeError:
            raise _dtype_error(op, result, t) from None
    _version_box(t)[0] = graph._bump_epoch()
    return t


def _dtype_error(op: Op, result: Any, t: Tensor) -> TypeError:
    return TypeError(
        f"in-place {op.name}: the result is {np.result_type(result)}, which can't be stored in this "
        f"{t.dtype} tensor without losing information; use an out-of-place op (t = t {op.name} x)"
    )


def _write(t: Tensor, value: Any) -> None:
    if np.shape(value) != t.shape:
        raise RuntimeError(f"in-place op: result shape {np.shape(value)} doesn't match the tensor's shape {t.shape}")
    if type(t._data) is _ndarray:
        np.copyto(t._data, value, casting="same_kind")
    else:  # 0-d data is held as an immutable NumPy scalar
        t._data = np.asarray(value, dtype=t.dtype)[()]


def mark_modified(*tensors: Tensor) -> None:
    """Record that ``tensors`` were changed in place outside the graph (e.g. by an optimizer).

    A backward pass through a graph that saved one of them before the change then
    raises, as in PyTorch, instead of using the new values.
    """
    epoch = graph._bump_epoch()
    for t in tensors:
        box = t._vc
        (box if box is not None else _version_box(t))[0] = epoch
