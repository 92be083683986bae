"""Reverse-mode differentiation over the recorded graph: ``backward`` and ``grad``.

Nodes are processed newest first (a max-heap on their creation number ``seq``):
a node is only created after its inputs, so when a node comes off the heap every
op that used its output has already sent its gradient. No recursion, so graphs of
any depth work, and only the part of the graph reachable from the outputs is
visited.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator, Sequence
from heapq import heapify, heappop, heappush
from typing import Any

import numpy as np

from . import deferred, graph, ops
from .deferred import MatmulSum
from .graph import Node, Select, Slot
from .recording import _check_finite, _version_box, _wrap, apply1
from .tensor import Tensor

_ndarray = np.ndarray


def backward(
    tensors: Sequence[Tensor],
    grad_tensors: Sequence[Any] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """Accumulate the gradients of ``tensors`` (a Tensor or a sequence) into every leaf's ``.grad``."""
    if isinstance(tensors, Tensor):
        tensors = (tensors,)
    if grad_tensors is not None and not isinstance(grad_tensors, (list, tuple)):
        grad_tensors = (grad_tensors,)
    roots, seeds = _roots_and_seeds(tuple(tensors), grad_tensors, create_graph)
    _sweep(roots, seeds, retain_graph if retain_graph is not None else create_graph, create_graph, None)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated).

    >>> x = Tensor(3.0, requires_grad=True)
    >>> (dx,) = grad(x ** 3, x, create_graph=True)   # 3x^2 = 27
    >>> grad(dx, x)                                   # 6x = 18
    (tensor(18.),)
    """
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if grad_outputs is not None and not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = (grad_outputs,)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad, so it has no gradient to compute")
    targets = {(t._node or t): None for t in inputs}
    roots, seeds = _roots_and_seeds(outputs, grad_outputs, create_graph)
    _sweep(roots, seeds, retain_graph if retain_graph is not None else create_graph, create_graph, targets)
    result: list = []
    for i, t in enumerate(inputs):
        g = targets[t._node or t]
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {t.shape}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
        if g is not None:  # each input gets its own gradient object
            g = _own(g) if isinstance(g, Tensor) and any(g is r for r in result) else g
            g = g if isinstance(g, Tensor) else _wrap(_own(g), None, False)
        result.append(g)
    return tuple(result)


def _roots_and_seeds(tensors: Sequence[Tensor], grads: Sequence[Any] | None, create_graph: bool) -> tuple[list, list]:
    if grads is not None and len(grads) != len(tensors):
        raise RuntimeError(f"backward: got {len(grads)} gradients for {len(tensors)} tensors")
    roots, seeds = [], []
    for i, t in enumerate(tensors):
        if not t.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn: "
                "nothing it was computed from has requires_grad=True (or it was computed under no_grad)"
            )
        g = None if grads is None else grads[i]
        if g is None:
            if t._data.size != 1:
                raise RuntimeError(
                    f"backward: grad can be implicitly created only for a single-element output, but this "
                    f"tensor has shape {t.shape}; pass gradient= with that shape (or reduce it, e.g. .sum())"
                )
            d = t._data
            g = np.ones_like(d) if type(d) is _ndarray else d.dtype.type(1)  # NumPy scalars stay scalars
        else:
            g_arr = g._data if isinstance(g, Tensor) else np.asarray(g, dtype=t.dtype)
            if np.shape(g_arr) != t.shape:
                raise RuntimeError(
                    f"backward: gradient has shape {np.shape(g_arr)}, but the tensor has shape {t.shape}"
                )
            if not (create_graph and isinstance(g, Tensor)):
                g = np.array(g_arr, dtype=t.dtype, copy=True)  # never alias the caller's array
        if create_graph and not isinstance(g, Tensor):
            g = _wrap(g, None, False)
        roots.append(t._node or t)
        seeds.append(g)
    return roots, seeds


def _needed(roots: list, targets: dict) -> set:
    """Nodes on some path from the roots to a target (only those are evaluated by ``grad``)."""
    seen, stack = set(), [r for r in roots if type(r) is Node]
    while stack:
        n = stack.pop()
        if n not in seen:
            seen.add(n)
            stack.extend(p for p in n.parents if type(p) is Node and p not in seen)
    needed = set(t for t in targets)
    for n in sorted(seen, key=lambda n: n.seq):  # inputs before the ops that use them
        if any(p in needed for p in n.parents if p is not None):
            needed.add(n)
    return needed


# ============================================================================ the sweep
def _sweep(roots: list, seeds: list, retain_graph: bool, create_graph: bool, targets: dict | None) -> None:
    """Send the seeds' gradients backwards from the roots to every leaf (or to ``targets``).

    The rules run with recording on only under ``create_graph`` (this thread only). Anomaly mode
    then checks each rule's result (naming the op differentiated), not every op inside the rule."""
    check_anomaly = graph.anomaly_enabled()
    grad_mode = graph._set_grad_enabled(create_graph)
    anomaly = graph._set_anomaly(False) if create_graph and check_anomaly else None
    try:
        _propagate(roots, seeds, retain_graph, create_graph, targets, check_anomaly)
    finally:
        graph._set_grad_enabled(grad_mode)
        if anomaly is not None:
            graph._restore_anomaly(anomaly)


def _propagate(
    roots: list, seeds: list, retain_graph: bool, create_graph: bool, targets: dict | None, check_anomaly: bool
) -> None:
    """The sweep itself: each node, newest first, passes its output's gradient to its inputs."""
    sums = GradientSums(roots, seeds)  # node or leaf -> its output's gradient so far
    pending, owned = sums.pending, sums.owned
    heap = [(-root.seq, root) for root in pending if type(root) is Node]
    heapify(heap)
    needed = _needed(roots, targets) if targets is not None else None  # grad(): paths to its inputs
    keep_upto = sys.maxsize if graph.recording_gradients() else graph.KEEP_GRADS_UPTO  # node.grad (drawings)
    epoch = graph.INPLACE_EPOCH  # nodes created since the last in-place write need no version check

    while heap:
        node = heappop(heap)[1]  # the newest node: every op that used its output has sent its gradient
        g = pending.pop(node)  # its output's total gradient
        if owned or type(g) is MatmulSum:
            g = sums.taken(g)  # (a sum allocated here, or a deferred product: see GradientSums)
        if targets is not None or node.hooks or node.retained is not None:
            g = _observe(node, g, create_graph, targets)  # hooks, retain_grad(), grad()'s inputs
        if node.args is None or node.epoch != epoch:
            _check_saved(node, needed)  # not freed by an earlier backward, nor overwritten in place
        data = g._data if create_graph and isinstance(g, Tensor) else g  # kept for drawings, if small
        node.grad = data if type(data) is not _ndarray or data.size <= keep_upto else None

        op = node.op
        if type(op) is Select:  # one output of a multi-output node: its gradient joins the node's slot
            _send_to_slot(node, g, sums, heap, needed)
            continue
        if create_graph or op.residual:
            ans, args, params = _rule_arguments(node, create_graph)
        else:
            ans, args, params = node.out, node.args, node.params
        rules, batched, nargs, i = op.vjps, None if create_graph else op.batched_vjps, len(args), -1
        for parent in node.parents:  # apply the rules: one gradient per input that needs one ...
            i += 1
            if parent is None or needed is not None and parent not in needed:
                continue
            prev = pending.get(parent)
            rule = rules[i] if prev is None or batched is None else batched.get(i, rules[i])  # (see deferred)
            # The usual arities spelled out: a call with *args costs more than many rules do.
            if params:
                gi = rule(g, ans, *args, **params)
            elif nargs == 2:
                gi = rule(g, ans, args[0], args[1])
            elif nargs == 1:
                gi = rule(g, ans, args[0])
            else:
                gi = rule(g, ans, *args)
            if gi is None:
                continue
            ref = parent.out if type(parent) is Node else parent._data  # the input's shape and dtype
            if type(gi) is not type(ref) or type(gi) is _ndarray and (gi.shape != ref.shape or gi.dtype != ref.dtype):
                gi = _fit(gi, parent, op.name, create_graph)  # undo broadcasting, cast
            if check_anomaly:
                _check_gradient(gi, node, i, create_graph)
            if prev is None:  # ... and pass it to the input
                if type(parent) is Node:
                    heappush(heap, (-parent.seq, parent))
                elif gi is g:
                    gi = _own(gi)  # a leaf keeps its gradient as .grad: never an array another has
                pending[parent] = gi
            else:
                sums.add(parent, prev, gi)
        if not retain_graph:
            node.release()

    for leaf, g in sums.leaves():  # what is left: the leaves, each with its complete gradient
        if leaf._hooks:
            g = _run_hooks(leaf._hooks, g, create_graph)
        if targets is None:
            _accumulate(leaf, g, create_graph)
        elif leaf in targets:
            targets[leaf] = g


class GradientSums:
    """The gradient of each node's output (or leaf) so far in one sweep: the sum of what its users sent.

    ``pending`` maps a node or leaf to its gradient so far. The first gradient is stored as it is;
    summing (``add``) is where the speed is, so it is kept here, in three parts:

    - in place: a sum allocated here is added into in place. Other arrays are never written to
      (a rule may hand one array to several inputs: ``add`` passes ``g`` to both);
    - a multi-output node (``split``, a Function) gets one ``Slot`` per output gradient; they merge
      into one, so the node's rule runs once, with all of them;
    - a deferred product (``deferred.MatmulSum``: ``linear``'s weight in a recurrent network) is
      joined to the pending one, and computed when the gradient is read (``taken``, ``leaves``).
    """

    __slots__ = ("pending", "owned")

    def __init__(self, roots: list, seeds: list):
        self.pending: dict[Any, Any] = {}
        self.owned: set[int] = set()  # ids of the sums allocated here: only those may be added into
        for root, g in zip(roots, seeds):
            prev = self.pending.get(root)
            if prev is None:
                self.pending[root] = g
            else:
                self.add(root, prev, g)

    def add(self, key: Any, prev: Any, g: Any) -> None:
        """Add ``g`` to ``prev``, the gradient ``key`` has so far."""
        if type(prev) is MatmulSum or type(g) is MatmulSum:
            total = self.pending[key] = deferred.add_gradients(prev, g)
        elif type(prev) is Slot:
            prev.add_(g)
            return
        elif type(prev) is _ndarray and id(prev) in self.owned:
            prev += g
            return
        else:
            total = self.pending[key] = prev + g
        if type(total) is _ndarray:
            self.owned.add(id(total))

    def taken(self, g: Any) -> Any:
        """A gradient just taken out of ``pending``: no longer owned here (an id can be reused once its
        array is freed), and a deferred product computed."""
        self.owned.discard(id(g))
        return deferred.value(g)

    def leaves(self) -> Iterator[tuple[Tensor, Any]]:
        for leaf, g in self.pending.items():
            yield leaf, deferred.value(g)


def _rule_arguments(node: Node, create_graph: bool) -> tuple[Any, tuple, dict | None]:
    """``ans``, inputs and parameters for the rules: Tensors under ``create_graph`` (the rules are then
    recorded), else raw arrays, with what the forward kept for the rules (``Op(residual=True)``)."""
    if create_graph:
        return _wrap(node.out, node, True), node.inputs, node.params
    params = node.params
    return node.out, node.args, ({**params, "residual": node.residual} if params else {"residual": node.residual})


def _send_to_slot(node: Node, g: Any, sums: GradientSums, heap: list, needed: set | None) -> None:
    """A ``Select`` node (output ``i`` of a multi-output node) passes its gradient to the node's slot,
    so the node's rule runs once with the gradients of all its outputs."""
    parent = node.parents[0]
    if needed is None or parent in needed:
        prev = sums.pending.get(parent)
        if prev is None:
            sums.pending[parent] = Slot(node.op.index, g)
            heappush(heap, (-parent.seq, parent))
        else:
            prev.add_(Slot(node.op.index, g))


def _check_gradient(gi: Any, node: Node, i: int, create_graph: bool) -> None:
    """Anomaly mode: the gradient a rule computed must be finite."""
    gi = deferred.value(gi)
    _check_finite(gi._data if create_graph else gi, node.op, f"backward (gradient for input {i})", node)


def _observe(node: Node, g: Any, create_graph: bool, targets: dict | None) -> Any:
    """Hooks, ``retain_grad`` and ``grad()`` targets of a node, given its output gradient."""
    if node.hooks:
        g = _run_hooks(node.hooks, g, create_graph)
    if node.retained is not None:
        _retain(node, g, create_graph)
    if targets is not None and node in targets:
        targets[node] = g
    return g


def _fit(gi: Any, parent: Any, op_name: str, create_graph: bool) -> Any:
    """Bring a gradient to its input's shape (undoing broadcasting) and dtype."""
    if type(parent) is Node:
        shape, dtype = parent.shape, parent.dtype
    else:
        shape, dtype = parent._data.shape, parent._data.dtype
    if gi.shape == shape and gi.dtype == dtype:
        return gi  # (a deferred product, a NumPy scalar: stays as it is)
    gi = deferred.value(gi)
    if gi.shape != shape:
        gi = _unbroadcast(gi, shape, op_name)
    if gi.dtype != dtype:
        gi = gi.to(dtype) if create_graph else gi.astype(dtype)
    return gi


def _unbroadcast(g: Any, shape: tuple, op_name: str) -> Any:
    """Sum a gradient over the axes its input was broadcast along."""
    extra = g.ndim - len(shape)
    if extra < 0:
        raise RuntimeError(f"{op_name}: gradient of shape {g.shape} is smaller than its input's shape {shape}")
    axes = tuple(range(extra)) + tuple(i + extra for i, n in enumerate(shape) if n == 1 and g.shape[i + extra] != 1)
    if axes and len(axes) == extra and g.size and g.dtype.kind == "f":
        # only leading axes (a bias's gradient): a product with a row of ones, which BLAS computes
        # ~3x faster than NumPy's sum down a tall array (and with smaller rounding errors); the
        # same operations on Tensors under create_graph
        rows = g.size // max(1, math.prod(shape))
        if type(g) is _ndarray:
            return ops.column_sums(g.reshape(rows, -1)).reshape(shape)
        return ops.matmul(np.ones(rows, g.dtype), g.reshape(rows, -1)).reshape(shape)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if g.shape != shape:
        g = g.reshape(shape)
    return g


def _own(g: Any) -> Any:
    """A copy of a gradient that is also going elsewhere, safe to keep as ``.grad``.

    Under ``create_graph`` the copy is a recorded op, so it stays differentiable.
    """
    if type(g) is _ndarray:
        return g.copy()
    if isinstance(g, Tensor):
        return apply1(ops.copy, g)
    return g


def _shared_or_readonly(data: Any) -> bool:
    """A view (of a broadcast, or of a gradient another tensor also got), or read-only."""
    return type(data) is _ndarray and (data.base is not None or not data.flags.writeable)


def _accumulate(leaf: Tensor, g: Any, create_graph: bool) -> None:
    old = leaf._grad
    if old is None and not create_graph:  # the usual case: a step's first gradient, kept as it is
        leaf._grad = _wrap(g.copy() if _shared_or_readonly(g) else g, None, False)
        return
    if create_graph:
        g = g if isinstance(g, Tensor) else _wrap(g, None, False)
        if old is None:
            leaf._grad = _own(g) if _shared_or_readonly(g._data) else g
        else:
            leaf._grad = old + g
        return
    if old.requires_grad or type(old._data) is not _ndarray or not old._data.flags.writeable:
        leaf._grad = _wrap(np.asarray(old._data + g), None, False)
    else:
        old._data += g  # in place, as PyTorch does outside create_graph
        _version_box(old)[0] = graph._bump_epoch()


def _run_hooks(hooks: list, g: Any, create_graph: bool) -> Any:
    for hook in list(hooks):
        t = g if isinstance(g, Tensor) else _wrap(g, None, False)
        out = hook(t)
        if out is not None:
            new = out if create_graph else (out._data if isinstance(out, Tensor) else np.asarray(out))
            new_shape = np.shape(new._data if isinstance(new, Tensor) else new)
            if new_shape != np.shape(t._data):
                raise RuntimeError(f"hook {hook!r} returned a gradient of shape {new_shape}, expected {t.shape}")
            dtype = t.dtype
            if not isinstance(new, Tensor) and np.result_type(new) != dtype:
                new = np.asarray(new).astype(dtype)  # a hook's result keeps the gradient's dtype
            elif isinstance(new, Tensor) and new.dtype != dtype:
                new = new.to(dtype)
            g = new
    return g


def _retain(node: Node, g: Any, create_graph: bool) -> None:
    t = node.retained()
    if t is None or t._node is not node:
        return
    if create_graph:
        t._grad = g if t._grad is None else t._grad + g
    else:
        t._grad = _wrap(_own(g), None, False) if t._grad is None else _wrap(t._grad._data + g, None, False)


def _check_saved(node: Node, needed: set | None) -> None:
    """The values the node's rules read must still be there and unchanged."""
    if node.args is None:
        raise RuntimeError(
            f"trying to backward through the graph a second time (at '{node.op.name}'): its saved values "
            "were freed by the first backward. Specify retain_graph=True on the first backward "
            "(or grad()) call if you need to backward through the graph again."
        )
    _check_versions(node, needed)


def _check_versions(node: Node, needed: set | None) -> None:
    """Refuse to differentiate with values that were overwritten in place, among those that the
    rules about to run read (``Op.reads``): a weight updated after the forward does not matter
    to a backward that only wants the gradient of that weight, as in PyTorch."""
    op = node.op
    read_inputs: set | range = set()
    read_output = False
    for i, parent in enumerate(node.parents):
        if parent is None or needed is not None and parent not in needed:
            continue  # this input's rule won't run
        reads = op.reads[i] if op.reads is not None else None
        if reads is None:
            read_inputs, read_output = range(len(node.parents)), True
            break
        read_inputs |= reads[0]
        read_output = read_output or reads[1]
    stale = []
    if op.saves_inputs and node.inputs is not None:
        stale += [
            f"input {i}"
            for i, t in enumerate(node.inputs)
            if i in read_inputs and isinstance(t, Tensor) and t._vc is not None and t._vc[0] > node.epoch
        ]
    if read_output and op.saves_output and node.out_vc is not None and node.out_vc[0] > node.epoch:
        stale.append("its output")
    if stale:
        where = f"; the op was created at {node.trace}" if node.trace else ""
        raise RuntimeError(
            f"one of the variables needed for gradient computation has been modified by an in-place "
            f"operation: {' and '.join(stale)} of '{op.name}' (output shape {node.shape}) changed after "
            f"'{op.name}' saved it{where}. Use an out-of-place op (x = x + y instead of x += y), "
            "or .clone() the tensor before modifying it."
        )
