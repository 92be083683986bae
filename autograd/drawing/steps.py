"""The backward pass, step by step: ``backward_steps(loss)`` records the reverse sweep as frames.

One :class:`Frame` per node, in the order the engine processes them (newest node first: a
max-heap on the creation number ``node.seq``, the nodes reachable from the loss). Each frame
holds the gradient arriving at the node's output, the op's local derivative written as the
chain rule (``d(a*b)/da = b``) and the product sent to each input. The frames are computed by
running the ops' own derivative rules (the rule table of :mod:`autograd.ops`) in that order on
the saved values, so they are the engine's numbers; nothing is accumulated: no ``.grad`` changes
and the graph is not released, so ``loss.backward()`` can run afterwards as usual.

Hooks (``register_hook``, ``retain_grad``) are not run: the frames show the gradients as the
rules compute them.

>>> import autograd as ag
>>> a = ag.Tensor(2.0, requires_grad=True, name="a")
>>> b = ag.Tensor(-3.0, requires_grad=True, name="b")
>>> e = a * b
>>> e.name = "e"
>>> L = e + 10.0
>>> L.name = "L"
>>> steps = backward_steps(L)
>>> [f.op for f in steps]
['add', 'mul']
>>> print(steps[1].text())
step 2 of 2: e = mul(a, b)
  gradient arriving at e: dL/de = 1
  to a: d(a*b)/da = b = -3;  dL/da += dL/de * b = -3
  to b: d(a*b)/db = a = 2;  dL/db += dL/de * a = 2
>>> a.grad is None                  # nothing accumulated
True
>>> L.backward(); float(a.grad)     # the graph is still there
-3.0

In Jupyter the result displays as the graph drawing with a slider and a play button;
``steps.save_html("steps.html")`` writes the same as one self-contained page (no network).
"""

from __future__ import annotations

import html
import json
from heapq import heappop, heappush
from pathlib import Path
from typing import Any

import numpy as np

from .. import graph as recording_state
from ..function import Select, Slot
from ..graph import Node, OpName
from ..tensor import Tensor
from . import render, style
from .scene import Graph, Item, composite_of

__all__ = ["backward_steps", "BackwardSteps", "Frame", "MAX_FRAMES"]

MAX_FRAMES = 2000  # more frames than a page can usefully play (and the page grows with each)
KEEP_VALUES = 1 << 16  # frames keep gradients up to this many elements; larger ones as a summary
SHOW_VALUES = 16  # tensors up to this many elements show their values; larger ones a summary

# ---------------------------------------------------------------------------- the chain rule, op by op
# Per op: the names its inputs take in the formulas (when the tensor has no name of its own),
# and per input the local derivative and the product sent back, with {0}, {1}, ... for the
# inputs, {me} for the input the line is about (ops with any number of inputs: cat, stack), {o}
# for the output and {g} for the gradient arriving at the output (dL/d{o}).
RULES: dict[str, tuple[tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    "add": (("x", "y"), (("d({0}+{1})/d{0} = 1", "{g}"), ("d({0}+{1})/d{1} = 1", "{g}"))),
    "sub": (("x", "y"), (("d({0}-{1})/d{0} = 1", "{g}"), ("d({0}-{1})/d{1} = -1", "-{g}"))),
    "mul": (("x", "y"), (("d({0}*{1})/d{0} = {1}", "{g} * {1}"), ("d({0}*{1})/d{1} = {0}", "{g} * {0}"))),
    "div": (
        ("x", "y"),
        (("d({0}/{1})/d{0} = 1/{1}", "{g} / {1}"), ("d({0}/{1})/d{1} = -{0}/{1}^2", "-{g} * {0} / {1}^2")),
    ),
    "pow": (
        ("x", "p"),
        (
            ("d({0}^{1})/d{0} = {1} * {0}^({1}-1)", "{g} * {1} * {0}^({1}-1)"),
            ("d({0}^{1})/d{1} = {0}^{1} * ln {0}", "{g} * {o} * ln {0}"),
        ),
    ),
    "maximum": (
        ("x", "y"),
        (("1 where {0} > {1}, 1/2 on ties, else 0", "{g} * [{0} wins]"), ("1 where {1} > {0}", "{g} * [{1} wins]")),
    ),
    "minimum": (
        ("x", "y"),
        (("1 where {0} < {1}, 1/2 on ties, else 0", "{g} * [{0} wins]"), ("1 where {1} < {0}", "{g} * [{1} wins]")),
    ),
    "where": (("x", "y"), (("1 where cond, else 0", "{g} * cond"), ("1 where not cond, else 0", "{g} * ~cond"))),
    "lerp": (
        ("a", "b", "w"),
        (
            ("d(lerp)/d{0} = 1 - {2}", "{g} * (1 - {2})"),
            ("d(lerp)/d{1} = {2}", "{g} * {2}"),
            ("d(lerp)/d{2} = {1} - {0}", "{g} * ({1} - {0})"),
        ),
    ),
    "addcmul": (
        ("x", "y", "z"),
        (
            ("d({0} + {1}*{2})/d{0} = 1", "{g}"),
            ("d({0} + {1}*{2})/d{1} = {2}", "{g} * {2}"),
            ("d({0} + {1}*{2})/d{2} = {1}", "{g} * {1}"),
        ),
    ),
    "neg": (("x",), (("d(-{0})/d{0} = -1", "-{g}"),)),
    "exp": (("x",), (("d exp({0})/d{0} = exp({0})", "{g} * {o}"),)),
    "log": (("x",), (("d ln({0})/d{0} = 1/{0}", "{g} / {0}"),)),
    "log1p": (("x",), (("d ln(1+{0})/d{0} = 1/(1+{0})", "{g} / (1 + {0})"),)),
    "sqrt": (("x",), (("d sqrt({0})/d{0} = 1/(2 sqrt({0}))", "{g} / (2 * {o})"),)),
    "sin": (("x",), (("d sin({0})/d{0} = cos({0})", "{g} * cos({0})"),)),
    "cos": (("x",), (("d cos({0})/d{0} = -sin({0})", "-{g} * sin({0})"),)),
    "tanh": (("x",), (("d tanh({0})/d{0} = 1 - tanh({0})^2", "{g} * (1 - {o}^2)"),)),
    "sigmoid": (("x",), (("d sigmoid({0})/d{0} = sigmoid({0}) * (1 - sigmoid({0}))", "{g} * {o} * (1 - {o})"),)),
    "softplus": (("x",), (("d softplus({0})/d{0} = sigmoid({0})", "{g} * sigmoid({0})"),)),
    "relu": (("x",), (("d relu({0})/d{0} = 1 where {0} > 0, else 0", "{g} * [{0} > 0]"),)),
    "leaky_relu": (("x",), (("1 where {0} > 0, else the slope", "{g} * slope'({0})"),)),
    "abs": (("x",), (("d|{0}|/d{0} = sign({0})", "{g} * sign({0})"),)),
    "clamp": (("x",), (("1 inside the bounds, else 0", "{g} * [inside]"),)),
    "copy": (("x",), (("1", "{g}"),)),
    "cast": (("x",), (("1", "{g}, cast back to the dtype of {0}"),)),
    "sum": (("x",), (("d sum({0})/d{0} = 1 for every element", "{g} spread to the shape of {0}"),)),
    "max": (("x",), (("1 at the maximum (shared on ties), else 0", "{g} at the maxima of {0}"),)),
    "min": (("x",), (("1 at the minimum (shared on ties), else 0", "{g} at the minima of {0}"),)),
    "prod": (("x",), (("d prod({0})/d{0}_i = product of the others", "{g} * {o} / {0}"),)),
    "logsumexp": (("x",), (("d logsumexp({0})/d{0} = softmax({0})", "{g} * exp({0} - {o})"),)),
    "softmax": (("x",), (("d softmax/d{0} = diag(s) - s s^T, s = {o}", "{o} * ({g} - sum({g} * {o}))"),)),
    "log_softmax": (("x",), (("d log_softmax/d{0} = 1 - softmax({0})", "{g} - softmax({0}) * sum({g})"),)),
    "cross_entropy": (
        ("logits",),
        (("dCE/d{0} = (softmax({0}) - onehot(target)) / N", "{g} * (softmax({0}) - onehot(target)) / N"),),
    ),
    "reshape": (("x",), (("1 (same values, new shape)", "{g} reshaped to the shape of {0}"),)),
    "permute": (("x",), (("1 (same values, axes permuted)", "{g} with the axes put back"),)),
    "expand": (("x",), (("1 for every copy", "{g} summed over the broadcast axes"),)),
    "getitem": (("x",), (("1 at the picked elements, else 0", "{g} put back at the picked places (zeros elsewhere)"),)),
    "gather": (("x",), (("1 at the gathered elements, else 0", "{g} added back at the gathered places"),)),
    "cat": (("x",), (("1", "the slice of {g} where {me} went"),)),
    "stack": (("x",), (("1", "the slice of {g} where {me} went"),)),
    "split": (("x",), (("1", "the pieces' gradients put back together (zeros for unused pieces)"),)),
    "pad": (("x",), (("1 inside, the padding gets nothing", "{g} without the padding"),)),
    "sliding_window": (("x",), (("1 for every window an element is in", "every window of {g} added back (col2im)"),)),
    "window_totals": (("x",), (("1 for every window an element is in", "the sum of {g} over the windows"),)),
    "matmul": (
        ("A", "B"),
        (("d({0} @ {1})/d{0}: {g} @ {1}^T", "{g} @ {1}^T"), ("d({0} @ {1})/d{1}: {0}^T @ {g}", "{0}^T @ {g}")),
    ),
    "addmm": (
        ("c", "A", "B"),
        (
            ("d(c + A@B)/d{0} = 1", "{g} (summed over broadcast axes)"),
            ("d(c + A@B)/d{1}: {g} @ {2}^T", "{g} @ {2}^T"),
            ("d(c + A@B)/d{2}: {1}^T @ {g}", "{1}^T @ {g}"),
        ),
    ),
    "linear": (
        ("x", "W", "b"),
        (
            ("d({0} @ {1}^T + {2})/d{0} = {1}", "{g} @ {1}"),
            ("d({0} @ {1}^T + {2})/d{1} = {0}", "{g}^T @ {0}"),
            ("d({0} @ {1}^T + {2})/d{2} = 1", "{g} summed over the batch"),
        ),
    ),
    "einsum": (("x", "y", "z"), (("the other operands", "einsum of {g} with the operands other than {me}"),)),
}
ROLE_NAMES = ("x", "y", "z", "u", "v")


def _rule_text(op: str, i: int) -> tuple[str, str]:
    """``(local derivative, product sent)`` templates for input ``i`` of ``op``."""
    entry = RULES.get(op)
    if entry is not None:
        rules = entry[1]
        return rules[i] if i < len(rules) else rules[-1]
    return (f"the derivative rule of {op} (ops.{op})", f"vjp of {op} applied to {{g}}")


def _roles(op: str, n: int) -> tuple[str, ...]:
    """The names of an op's inputs in the formulas (at least ``n``)."""
    names = RULES[op][0] if op in RULES else ROLE_NAMES
    return tuple(names[i] if i < len(names) else f"x{i}" for i in range(max(n, len(names))))


# ---------------------------------------------------------------------------- values as text
class Summary:
    """A large gradient as a frame keeps it: its description, not its values (``keep_values``)."""

    __slots__ = ("text", "mark", "shape")

    def __init__(self, a: Any):
        self.text, self.mark, self.shape = value_text(a), mark_text(a), np.shape(a)

    def __repr__(self) -> str:
        return f"<Summary {self.text}>"


def _kept(v: Any, limit: int) -> Any:
    if isinstance(v, Slot):
        return Summary(v) if sum(np.size(g) for g in v.grads.values()) > limit else v
    return Summary(v) if np.size(v) > limit else v


def _arr(v: Any) -> Any:
    return v._data if isinstance(v, Tensor) else v


def value_text(v: Any, limit: int = SHOW_VALUES) -> str:
    """Small arrays in full, large ones as shape, norm and range; one line."""
    if isinstance(v, Summary):
        return v.text
    if isinstance(v, Slot):
        return "; ".join(f"piece {k}: {value_text(g, limit)}" for k, g in sorted(v.grads.items()))
    a = np.asarray(_arr(v))
    if a.dtype.kind not in "biufc":
        return style.short(v, 40)
    if a.size <= limit:
        if a.ndim == 0:
            return style.fmt_number(a.item())
        return " ".join(style.value_lines(a, limit) or []).replace("  ", " ")
    lines = style.stat_lines(a)
    return f"{style.fmt_shape(a.shape)}, |.| {style.fmt_number(style.grad_norm(a))}, " + ", ".join(lines)


def mark_text(v: Any) -> str:
    """A gradient written under its node: up to 4 values, else its norm."""
    if isinstance(v, Summary):
        return v.mark
    if isinstance(v, Slot):
        return "; ".join(mark_text(g) for _, g in sorted(v.grads.items()))
    a = np.asarray(_arr(v))
    return value_text(a, 4) if a.size <= 4 else f"|.| {style.fmt_number(style.grad_norm(a))}"


# ---------------------------------------------------------------------------- frames
class Frame:
    """One step of the reverse sweep: a node, the gradient arriving at it, what it sends back.

    ``node``: the :class:`~autograd.graph.Node`; ``op``: its op's name; ``grad``: the gradient
    of its output (``dL/d(out)``; for a node with several outputs, a ``Slot`` whose ``grads``
    map output -> gradient; a :class:`Summary` when large);
    ``sends``: one :class:`Send` per input that gets a gradient. ``index`` counts from 0.
    """

    __slots__ = ("index", "node", "op", "name", "grad", "sends", "count", "inputs_text", "top", "where")

    def __init__(self, index: int, node: Node, name: str, grad: Any):
        self.index, self.node, self.op, self.name, self.grad = index, node, node.op.name, name, grad
        self.sends: list[Send] = []
        self.count = 0
        self.inputs_text = ""
        self.top = "L"  # the name of what is differentiated
        self.where = ""  # the module (and composite function) the op ran in

    def text(self) -> str:
        """The frame as a few lines of text (what the page shows beside the drawing)."""
        call = f"{self.op}({self.inputs_text})"
        if isinstance(self.node.op, Select):  # piece i of a split, an unbind or a Function's outputs
            call = f"{self.inputs_text}[{self.node.op.index}]"
        head = self.name if self.name == call else f"{self.name} = {call}"
        lines = [f"step {self.index + 1} of {self.count}: {head}{self.where}"]
        top = self.top
        start = " (where the sweep starts)" if self.index == 0 and self.name == top else ""
        lines.append(f"  gradient arriving at {self.name}: d{top}/d{self.name} = {value_text(self.grad)}{start}")
        if isinstance(self.node.op, Select):
            lines.append(
                f"  passed on as piece {self.node.op.index} of {self.inputs_text}, whose rule runs once, "
                "with the gradients of all its pieces"
            )
        for s in self.sends:
            local = f"{s.local} = {s.local_value}" if s.local_value is not None else s.local
            lines.append(f"  to {s.name}: {local};  d{top}/d{s.name} += {s.product} = {value_text(s.grad)}")
        if not self.sends and not isinstance(self.node.op, Select):
            lines.append("  no input needs a gradient")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Frame {self.index}: {self.op} (#{self.node.seq})>"


class Send:
    """The gradient one frame sends to one input: ``target`` is the input's node or leaf tensor."""

    __slots__ = ("position", "target", "name", "local", "product", "local_value", "grad", "total")

    def __init__(self, position: int, target: Any, name: str, local: str, product: str, grad: Any):
        self.position, self.target, self.name, self.local, self.product = position, target, name, local, product
        self.grad = grad
        self.local_value: str | None = None  # the local derivative's value, when it is one input
        self.total: str | None = None  # a leaf's: its gradient so far, briefly (the page writes it)

    def __repr__(self) -> str:
        return f"<Send to {self.name}>"


def _fit(g: Any, shape: tuple, dtype: Any) -> Any:
    """A rule's result brought to its input's shape (summed over broadcast axes) and dtype."""
    g = np.asarray(g)
    if g.shape != shape:
        extra = g.ndim - len(shape)
        axes = tuple(range(extra)) + tuple(
            i + extra for i, n in enumerate(shape) if n == 1 and g.shape[i + extra] != 1
        )  # fmt: skip
        if axes:
            g = g.sum(axis=axes, keepdims=True)
        g = g.reshape(shape)
    return g.astype(dtype, copy=False) if g.dtype != dtype else g


def _shape_dtype(target: Any) -> tuple[tuple, Any]:
    if type(target) is Node:
        return target.shape, target.dtype
    d = target._data
    return np.shape(d), np.asarray(d).dtype


def _add(prev: Any, g: Any) -> Any:
    return g if prev is None else prev + g


class BackwardSteps:
    """The frames of one reverse sweep (see the module docstring); a sequence of :class:`Frame`.

    ``save_html(path)`` writes the page; in Jupyter it displays itself (``_repr_html_``).
    ``leaf_grads`` maps each leaf tensor reached (by ``id``) to its total gradient.
    """

    def __init__(
        self,
        loss: Tensor,
        gradient: Any = None,
        params: Any = None,
        max_frames: int = MAX_FRAMES,
        keep_values: int = KEEP_VALUES,
    ):
        if not isinstance(loss, Tensor):
            raise TypeError(f"backward_steps: expected a Tensor, got {type(loss).__name__}")
        if loss._node is None:
            raise RuntimeError(
                "backward_steps: this tensor has no recorded graph (it is a leaf, or was computed without "
                "requires_grad / under no_grad): there is no backward pass to show"
            )
        self.loss, self.params, self.keep_values = loss, params, keep_values
        nodes = Graph._collect((loss,))
        if len(nodes) > max_frames:
            raise ValueError(
                f"backward_steps: the graph has {len(nodes):,} nodes, more than max_frames={max_frames:,} steps "
                "can usefully be played one by one. Show a smaller piece (a smaller model, or one layer's output "
                f"as the tensor), pass max_frames={len(nodes)} to play them all, or draw the whole graph "
                "instead: autograd.draw(loss, collapse=1)."
            )
        released = [n for n in nodes if n.released]
        if released:
            raise RuntimeError(
                f"backward_steps: the graph was already released by backward() (at '{released[0].op.name}'). "
                "Call backward_steps(loss) before loss.backward(), or run backward(retain_graph=True)."
            )
        if gradient is None:
            if loss._data.size != 1:
                raise RuntimeError(
                    f"backward_steps: the tensor has shape {loss.shape}; pass gradient= with that shape "
                    "(or reduce it first, e.g. .sum())"
                )
            seed = np.ones_like(np.asarray(loss._data))
        else:
            seed = np.array(_arr(gradient), dtype=loss.dtype)
            if seed.shape != loss.shape:
                raise RuntimeError(f"backward_steps: gradient has shape {seed.shape}, the tensor {loss.shape}")
        self.scene = Graph((loss,), params, "auto", SHOW_VALUES)
        self._names: dict[int, str] = {}
        self.top = self.scene.titles.get(id(loss._node)) or loss._node.label or "L"  # the L of dL/dx
        self._names[id(loss._node)] = self.top
        counts: dict[str, int] = {}
        for n in nodes:  # unnamed results: the op and how many of it came before (linear1, linear2)
            if id(n) not in self._names and not isinstance(n.op, Select):
                counts[n.op.name] = k = counts.get(n.op.name, 0) + 1
                self._names[id(n)] = f"{n.op.name}{k}"
        previous = recording_state._set_grad_enabled(False)
        try:
            self.frames, self.leaf_grads = self._sweep(loss._node, seed)
        finally:
            recording_state._set_grad_enabled(previous)
        for f in self.frames:
            f.count = len(self.frames)

    # ---- names used in the formulas
    def name_of(self, target: Any, role: str | None = None) -> str:
        """A tensor's name for the formulas: its own, its parameter name, else ``role`` or ``#seq``."""
        if type(target) is Node:
            if target.label:
                return target.label
            if id(target) in self.scene.titles:
                return self.scene.titles[id(target)]
            if id(target) not in self._names and isinstance(target.op, Select):  # piece i of a split
                self._names[id(target)] = f"{self.name_of(target.parents[0])}[{target.op.index}]"
            return self._names.get(id(target)) or f"{target.op.name}#{target.seq}"
        if isinstance(target, Tensor):
            return target.name or self.scene.tensor_names.get(id(target)) or role or "x"
        return style.short(target, 12)

    def where(self, node: Node) -> str:
        """`` in layers.0 (Linear)``, `` in 0 (Conv2d), inside conv2d``: where the op ran."""
        scope, parts = node.scope, []
        comp = composite_of(scope)
        modules = [m for m in (comp.parent if comp is not None else scope) if type(m) is not OpName]
        if modules:
            m = modules[-1]
            qual = self.scene.mod_names.get(id(m))
            cls = "" if isinstance(m, str) else type(m).__name__
            parts.append(f"in {qual} ({cls})" if qual and cls else f"in {qual or cls or m}")
        if comp is not None:
            parts.append(f"inside {comp.owner}")
        return ("   [" + ", ".join(parts) + "]") if parts else ""

    # ---- the sweep: the engine's order, the ops' rules
    def _sweep(self, root: Node, seed: Any) -> tuple[list[Frame], dict[int, Any]]:
        pending: dict[Any, Any] = {root: seed}
        heap = [(-root.seq, root)]
        frames: list[Frame] = []
        leaves: dict[int, Any] = {}
        while heap:
            node = heappop(heap)[1]
            g = pending.pop(node)
            frame = Frame(len(frames), node, self.name_of(node), g)
            frame.top, frame.where = self.top, self.where(node)
            frames.append(frame)
            if type(node.op) is Select:  # one output of a multi-output node: its gradient joins a slot
                parent = node.parents[0]
                prev = pending.get(parent)
                if prev is None:
                    pending[parent] = Slot(node.op.index, g)
                    heappush(heap, (-parent.seq, parent))
                else:
                    prev.add_(Slot(node.op.index, g))
                frame.inputs_text = self.name_of(parent)
                continue
            self._frame(frame, node, g, pending, heap, leaves)
            frame.grad = _kept(g, self.keep_values)  # the sweep is done with them: large ones summarised
            for send in frame.sends:
                send.grad = _kept(send.grad, self.keep_values)
        return frames, leaves

    def _frame(self, frame: Frame, node: Node, g: Any, pending: dict, heap: list, leaves: dict) -> None:
        op, args, params = node.op, node.args, dict(node.params or {})
        if op.residual:
            params["residual"] = node.residual
        roles = _roles(op.name, len(args))
        names = []
        for i, p in enumerate(node.parents):
            if p is not None:
                names.append(self.name_of(p, roles[i]))
            else:
                v = node.inputs[i]  # a constant: a number by its value, a tensor by its name
                if v is None:  # an optional input left out (attention without a mask)
                    continue
                number = np.size(_arr(v)) == 1 and not (isinstance(v, Tensor) and v.name)
                names.append(style.short(_arr(v), 10) if number else self.name_of(v, roles[i]))
        frame.inputs_text = ", ".join(names)
        ans = node.out
        for i, parent in enumerate(node.parents):
            if parent is None:
                continue
            gi = op.vjps[i](g, ans, *args, **params) if params else op.vjps[i](g, ans, *args)
            if gi is None:
                continue
            shape, dtype = _shape_dtype(parent)
            if type(gi) is Slot:  # a Function's share for one of several outputs
                raise NotImplementedError("backward_steps: Functions whose inputs are outputs of split are not shown")
            gi = _fit(gi, shape, dtype)
            local, product = _rule_text(op.name, i)
            named = (
                names
                + [  # inputs given as keywords (x ** 2: the power is a parameter)
                    style.short(params[r], 10) if r in params else r
                    for r in roles[len(names) :] + ROLE_NAMES[len(roles) :]
                ]
            )
            fill = {"g": f"d{self.top}/d{frame.name}", "o": frame.name, "me": names[i]}
            local, product = local.format(*named, **fill), product.format(*named, **fill)
            send = Send(i, parent, names[i], local, product, gi)
            if op.name == "mul" and len(args) == 2:  # the local derivative is the other input: its value
                send.local_value = value_text(args[1 - i])
            frame.sends.append(send)
            prev = pending.get(parent)
            if prev is None and type(parent) is Node:
                heappush(heap, (-parent.seq, parent))
            pending[parent] = _add(prev, gi)
            if type(parent) is not Node:
                leaves[id(parent)] = pending[parent]
                send.total = mark_text(pending[parent])

    # ---- a sequence of frames
    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, i: int) -> Frame:
        return self.frames[i]

    def __iter__(self) -> Any:
        return iter(self.frames)

    def __repr__(self) -> str:
        return f"<backward_steps: {len(self.frames)} steps from '{self.frames[0].name if self.frames else ''}'>"

    def text(self) -> str:
        """Every frame as text."""
        return "\n".join(f.text() for f in self.frames)

    # ---- the page
    def html(self, standalone: bool = True, **draw_options: Any) -> str:
        """The player: the drawing as inline SVG, the frames as data, a slider and a play button."""
        from .player import page

        return page(self, standalone=standalone, **draw_options)

    def save_html(self, path: str | Path, **draw_options: Any) -> str:
        """Write one self-contained HTML page (inline SVG and script, nothing fetched); returns the path.

        Open it in any browser; ``page.html?step=5`` opens at step 5. ``draw_options`` go to
        :func:`autograd.draw` (``collapse``, ``detail``, ...).
        """
        path = Path(path)
        path.write_text(self.html(standalone=True, **draw_options), encoding="utf-8")
        return str(path)

    def _repr_html_(self) -> str:
        try:
            return self.html(standalone=False)
        except render.NoGraphvizError as e:
            return f"<pre>{html.escape(str(e))}\n\n{html.escape(self.text())}</pre>"

    def frames_data(self, drawn: dict[str, str], scene: Graph) -> list[dict]:
        """What the page needs per frame: its text, and which nodes of the drawing to mark.

        ``scene`` is the drawing's graph, ``drawn`` maps its items to the nodes that show them.
        """
        out = []
        for f in self.frames:
            n = f.node
            node_id = drawn.get(f"op{n.seq}") or drawn.get(f"t{n.seq}")
            result_id = drawn.get(f"t{n.seq}") or node_id
            marks = {}
            if result_id:
                marks[result_id] = mark_text(f.grad)
            targets = []
            for s in f.sends:
                tid = self._drawn_target(s.target, drawn, scene)
                if tid:
                    targets.append(tid)
                    if s.total is not None:  # a leaf: its total so far
                        marks[tid] = s.total
            out.append({"node": node_id, "result": result_id, "targets": targets, "marks": marks, "text": f.text()})
        return out

    @staticmethod
    def _drawn_target(target: Any, drawn: dict[str, str], scene: Graph) -> str | None:
        if type(target) is Node:
            return drawn.get(f"t{target.seq}") or drawn.get(f"op{target.seq}")
        leaf = scene._leaves.get(id(target))
        return drawn.get(leaf.id) if leaf is not None else None


def backward_steps(
    tensor: Tensor,
    gradient: Any = None,
    *,
    params: Any = None,
    max_frames: int = MAX_FRAMES,
    keep_values: int = KEEP_VALUES,
) -> BackwardSteps:
    """Record the reverse sweep from ``tensor`` as frames, without computing any ``.grad``.

    One frame per node, in the order ``backward()`` processes them, each with the gradient
    arriving at the node, the op's local derivative (the chain rule for that op) and the product
    sent to each input, values filled in for small tensors. ``params`` (a Module, a dict, or
    ``named_parameters()``) names the parameters. Above ``max_frames`` nodes it refuses, saying
    what to do. Frames keep gradients of up to ``keep_values`` elements as arrays, larger ones
    as a :class:`Summary` (shape, norm, range); ``leaf_grads`` always has the arrays. See
    :mod:`autograd.drawing.steps`.

    >>> import autograd as ag
    >>> x = ag.Tensor([1.0, -2.0], requires_grad=True, name="x")
    >>> steps = backward_steps((x.relu() * 3).sum())
    >>> [(f.op, [s.name for s in f.sends]) for f in steps]
    [('sum', ['mul1']), ('mul', ['relu1']), ('relu', ['x'])]
    >>> steps[-1].sends[0].grad
    array([3., 0.], dtype=float32)
    """
    return BackwardSteps(tensor, gradient, params, max_frames, keep_values)


def drawn_ids(items: dict[str, Item], scene: Graph) -> dict[str, str]:
    """Each item of the full drawing -> the id of the node that shows it (a composite, a module)."""
    shown: dict[str, str] = {}

    def visit(it: Item, top: str) -> None:
        shown[it.id] = top
        for m in it.members:
            visit(m, top)

    for key, it in items.items():
        visit(it, key)
    for inner, outer in scene.merged.items():  # (composites are members already; this is a fallback)
        if inner not in shown and outer in shown:
            shown[inner] = shown[outer]
    return shown


def _json(data: Any) -> str:
    """JSON safe to put inside a <script> element."""
    return json.dumps(data).replace("</", "<\\/")
