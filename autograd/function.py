"""User-defined differentiable operations, with PyTorch's ``Function``/``ctx`` interface."""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from . import graph
from .grad_mode import no_grad
from .graph import (
    Op,
    Select,  # noqa: F401  (drawing and gradcheck import them from here)
    Slot,
)
from .recording import _check_finite, _mark_view, _output, _wrap, record_multi, select
from .tensor import Tensor


class FunctionCtx:
    """The ``ctx`` passed to ``forward`` and ``backward``: saves what backward needs."""

    def __init__(self, needs_input_grad: tuple[bool, ...]):
        self.needs_input_grad = needs_input_grad
        self._saved: tuple = ()
        self._non_differentiable: set[int] = set()
        self._outputs: dict[int, int] = {}  # id(output tensor) -> output index
        self._nodes: list = []  # weak references to the nodes of the outputs
        self._main: Any = None  # weak reference to the Function's own node (several outputs)

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep tensors (inputs or outputs) for ``backward``; read them as ``ctx.saved_tensors``."""
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        out = []
        for t in self._saved:
            if isinstance(t, tuple) and t and t[0] is _OUTPUT:
                _, j, data = t
                ref = self._nodes[j] if self._nodes else None  # None: a non-differentiable output
                node = ref() if ref is not None else None
                main = self._main() if node is None and ref is not None and self._main is not None else None
                if main is not None:  # output j was dropped by the caller: a fresh edge into the node
                    out.append(_output(select(j), (None,), (None,), (main,), None, data, True))
                else:
                    out.append(_wrap(data, node, node is not None))
            else:
                out.append(t)
        return tuple(out)

    def mark_non_differentiable(self, *outputs: Tensor) -> None:
        """Declare outputs that get no gradient (e.g. indices)."""
        self._non_differentiable |= {id(t) for t in outputs}


_OUTPUT = object()


class FunctionOp(Op):
    """The op recorded for one call of a user ``Function``: runs its ``backward``."""

    __slots__ = ("fn", "ctx", "output_shapes", "_cache")

    def __init__(self, fn: type, ctx: FunctionCtx, output_shapes: list, saves_output: bool):
        saves_inputs = any(isinstance(t, Tensor) for t in ctx._saved)  # what save_for_backward kept
        saves = " ".join(w for w, on in (("inputs", saves_inputs), ("output", saves_output)) if on)
        super().__init__(fn.__name__, fn.forward, saves=saves)
        self.fn, self.ctx, self.output_shapes = fn, ctx, output_shapes
        self._cache: tuple | None = None

    @property  # type: ignore[override]
    def vjps(self) -> _FunctionRules:
        return _FunctionRules(self)

    @vjps.setter
    def vjps(self, value: Any) -> None:
        pass  # the rules come from the user's backward

    def grad_for(self, i: int, g: Any, args: tuple) -> Any:
        """Gradient for input ``i``: runs the user's backward once per output gradient."""
        if self._cache is None or self._cache[0] is not g:
            self._cache = (g, self._run_backward(g, args))
        return self._cache[1][i]

    def _run_backward(self, g: Any, args: tuple) -> tuple:
        create_graph = graph.grad_enabled()
        slots = g.grads if isinstance(g, Slot) else {0: g}
        grads_out = []
        for j, shape in enumerate(self.output_shapes):
            gj = slots.get(j)
            if gj is None:  # outputs that got no gradient count as zeros
                dtype = next(iter(slots.values())).dtype
                gj = np.zeros(shape, dtype)
            grads_out.append(gj if isinstance(gj, Tensor) else _wrap(gj, None, False))
        result = self.fn.backward(self.ctx, *grads_out)
        result = result if isinstance(result, tuple) else (result,)
        n_in = len(self.ctx.needs_input_grad)
        if len(result) < n_in or any(r is not None for r in result[n_in:]):
            raise RuntimeError(
                f"{self.fn.__name__}.backward returned {len(result)} gradient(s), "
                f"but forward took {n_in} input(s): return one per input (None for non-tensors)"
            )
        grads = []
        for k, (r, needed) in enumerate(zip(result, self.ctx.needs_input_grad)):
            if r is None or not needed:
                grads.append(None)
                continue
            arr = r._data if isinstance(r, Tensor) else np.asarray(r)
            want = np.shape(args[k])
            if np.shape(arr) != want:
                try:
                    np.broadcast_shapes(np.shape(arr), want)
                    if len(np.shape(arr)) < len(want):
                        raise ValueError
                except ValueError:
                    raise RuntimeError(
                        f"{self.fn.__name__}.backward returned a gradient of shape {np.shape(arr)} for "
                        f"input {k}, which has shape {want}"
                    ) from None
            if create_graph:
                grads.append(r if isinstance(r, Tensor) else _wrap(arr, None, False))
            else:
                grads.append(np.array(arr, copy=True))  # user code may hand back shared arrays
        return tuple(grads)


class _FunctionRules:
    __slots__ = ("op",)

    def __init__(self, op: FunctionOp):
        self.op = op

    def __getitem__(self, i: int) -> Any:
        op = self.op
        return lambda g, ans, *args: op.grad_for(i, g, args)


class Function:
    """Base class for user-defined ops.

    >>> class Cube(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x * x
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (x,) = ctx.saved_tensors
    ...         return g * 3 * x * x
    >>> x = Tensor(2.0, requires_grad=True)
    >>> Cube.apply(x).backward()
    >>> x.grad
    tensor(12.)

    ``forward`` runs without recording; ``backward`` gets one gradient per output
    and returns one per input (None where there is none). Under
    ``create_graph=True`` the operations in ``backward`` are recorded.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Any:
        raise NotImplementedError("Function subclasses must implement forward(ctx, *args)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        raise NotImplementedError("Function subclasses must implement backward(ctx, *grad_outputs)")

    @classmethod
    def apply(cls, *args: Any) -> Any:
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx = FunctionCtx(needs)
        with no_grad():
            result = cls.forward(ctx, *args)
        single = not isinstance(result, tuple)
        outputs = [r if isinstance(r, Tensor) else Tensor(r) for r in ((result,) if single else result)]
        for t in outputs:
            if graph.anomaly_enabled():
                _check_finite(t._data, Op(cls.__name__, None), "forward", None)
        if not (any(needs) and graph.grad_enabled()):
            return outputs[0] if single else tuple(outputs)

        saved_ids = {id(t): j for j, t in enumerate(outputs)}
        ctx._saved = tuple(
            (_OUTPUT, saved_ids[id(t)], t._data) if isinstance(t, Tensor) and id(t) in saved_ids else t
            for t in ctx._saved
        )
        saves_output = any(isinstance(t, tuple) and t and t[0] is _OUTPUT for t in ctx._saved)
        op = FunctionOp(cls, ctx, [t.shape for t in outputs], saves_output)
        parents = tuple((a._node or a) if isinstance(a, Tensor) and a.requires_grad else None for a in args)
        raw = tuple(a._data if isinstance(a, Tensor) else a for a in args)
        if single:
            recorded = [_output(op, args, raw, parents, None, outputs[0]._data, True)]
        else:
            recorded = record_multi(op, args, raw, parents, None, [t._data for t in outputs])
            ctx._main = weakref.ref(recorded[0]._node.parents[0])
        results = []
        for t, out in zip(outputs, recorded):
            if id(t) in ctx._non_differentiable:
                results.append(_wrap(t._data, None, False))
                ctx._nodes.append(None)  # no gradient: a saved copy is a constant
                continue
            for a in args:  # an output that is (a view of) an input shares its version counter
                if isinstance(a, Tensor) and out._base is None:
                    _mark_view(out, a)
            ctx._nodes.append(weakref.ref(out._node))
            results.append(out)
        return results[0] if single else tuple(results)
