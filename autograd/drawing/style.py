"""How graph drawings look: numbers, colours, the HTML-like labels of the nodes.

The functions turn plain values into DOT attribute text, and :class:`Painter` turns the
items of :mod:`autograd.drawing.scene` into DOT node statements; :mod:`autograd.drawing.draw` decides
what to draw. Colours by kind (header of a tensor node, fill of an op node):

- parameters green, inputs and data blue, constants grey, ops amber, modules lavender;
  the tensors that were drawn (``draw(loss)``) have a thick orange border.
- with ``grad_flow=True``: the gradient norm on a log scale (viridis: dark = vanishing,
  yellow = large), grey for exactly zero, red for NaN/inf.

>>> fmt_number(0.000123456), fmt_number(3), fmt_shape(()), fmt_shape((4, 3))
('0.0001235', '3', 'scalar', '(4, 3)')
>>> scale = GradScale([1e-6, 1e-2, 0.5])
>>> scale.color(1e-6)[0], scale.color(float("nan"))[0]
('#440154', '#d62728')
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..function import FunctionOp, Select, Slot
from ..graph import Node, ReleasedInput
from ..tensor import Parameter, Tensor
from .scene import MISSING, Graph, Item, is_multi, value_of

FONT = "Helvetica"
MONO = "Courier"

HEADER = {"parameter": "#cdebc5", "input": "#cfe2f7", "const": "#ececec", "result": "#f4f4f4", "output": "#fbd5ad"}
BORDER = {"parameter": "#3f8f32", "input": "#3a6ea5", "const": "#9a9a9a", "result": "#777777", "output": "#d2691e"}
OP_FILL, OP_BORDER = "#fff0c2", "#b8962e"
MODULE_FILL, MODULE_BORDER = "#e6def5", "#6b52a3"
CLUSTER_FILLS = ("#fbfbfd", "#f2f4fa", "#e9edf6", "#e0e6f2")
CLUSTER_BORDER = "#8c96a8"
EDGE = "#6b6b6b"

# viridis, one colour per tenth of the range: perceptually ordered and readable in grey
VIRIDIS = ("#440154", "#482878", "#3e4a89", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725")
BAD, ZERO = "#d62728", "#c8c8c8"


# ----------------------------------------------------------------------------- text
def esc(text: Any) -> str:
    """Text for inside an HTML-like label."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def quote(text: Any) -> str:
    """A double-quoted DOT string."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def attrs(**values: Any) -> str:
    """``[key=value ...]``: a label starting with ``<`` is HTML-like, everything else is quoted."""
    parts = []
    for key, value in values.items():
        if value is None:
            continue
        value = str(value)
        parts.append(f"{key}={value}" if key == "label" and value.startswith("<") else f"{key}={quote(value)}")
    return "[" + " ".join(parts) + "]"


def fmt_number(x: Any) -> str:
    """Four significant digits; integers and booleans as they are."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(np.real(x))
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.4g}"


def fmt_shape(shape: tuple) -> str:
    return "scalar" if len(shape) == 0 else "(" + ", ".join(str(n) for n in shape) + (",)" if len(shape) == 1 else ")")


def fmt_dtype(dtype: Any) -> str:
    return "" if dtype is None else str(np.dtype(dtype))


def short(value: Any, limit: int = 24) -> str:
    """A parameter or constant, briefly: numbers, short tuples, ``array(3, 4)`` for arrays."""
    if isinstance(value, np.ndarray) and value.size > 4:
        text = f"array{fmt_shape(value.shape)}"
    elif isinstance(value, (np.ndarray, np.generic)) and np.size(value) == 1:
        text = fmt_number(np.asarray(value).reshape(()).item())
    elif isinstance(value, (float, int, np.floating, np.integer)):
        text = fmt_number(value)
    elif isinstance(value, np.dtype) or isinstance(value, type) and issubclass(value, np.generic):
        text = str(np.dtype(value))
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def value_lines(a: Any, limit: int) -> list[str] | None:
    """The values of a small array as text lines (None when it has more than ``limit`` elements)."""
    a = np.asarray(a)
    if a.size > limit:
        return None
    if a.ndim == 0:
        return [fmt_number(a.item())]
    text = np.array2string(
        a, precision=4, separator=", ", suppress_small=True, max_line_width=52, threshold=limit + 1
    )  # fmt: skip
    return text.split("\n")


def stat_lines(a: Any) -> list[str]:
    """mean, std, min, max of a large array (NaN/inf are counted, not averaged)."""
    a = np.asarray(a)
    if a.size == 0:
        return ["empty"]
    if a.dtype.kind == "b":
        return [f"{int(a.sum())} of {a.size} true"]
    a = a.astype(np.float64, copy=False)
    finite = np.isfinite(a)
    lines = []
    if not finite.all():
        lines.append(f"{int(np.isnan(a).sum())} nan, {int(np.isinf(a).sum())} inf")
        a = a[finite]
        if a.size == 0:
            return lines
    lines.append(f"mean {fmt_number(a.mean())}  std {fmt_number(a.std())}")
    lines.append(f"min {fmt_number(a.min())}  max {fmt_number(a.max())}")
    return lines


def grad_norm(g: Any) -> float:
    """L2 norm of a gradient (NaN if it holds a NaN, inf if it holds an inf)."""
    a = np.asarray(g)
    if a.dtype.kind not in "fc":
        a = a.astype(np.float64)
    if not np.isfinite(a).all():
        return math.nan if np.isnan(a).any() else math.inf
    return float(np.sqrt(np.sum(np.square(a, dtype=np.float64))))


# ----------------------------------------------------------------------------- colours
class GradScale:
    """Fill colours for gradient norms on a log10 scale, and the legend that explains them."""

    def __init__(self, norms: Iterable[float]):
        norms = list(norms)
        positive = [n for n in norms if math.isfinite(n) and n > 0]
        self.count = len(norms)
        if positive:
            self.lo = math.floor(math.log10(min(positive)))
            self.hi = max(math.ceil(math.log10(max(positive))), self.lo + 1)
        else:
            self.lo, self.hi = -1, 0

    def color(self, norm: float) -> tuple[str, str]:
        """``(fill, font colour)`` for one norm."""
        if not math.isfinite(norm):
            return BAD, "white"
        if norm == 0:
            return ZERO, "black"
        t = (math.log10(norm) - self.lo) / (self.hi - self.lo)
        i = min(len(VIRIDIS) - 1, max(0, round(t * (len(VIRIDIS) - 1))))
        return VIRIDIS[i], "white" if i < 6 else "black"

    def legend(self) -> str:
        """HTML rows: one swatch per power of ten, then zero and NaN/inf."""
        span = self.hi - self.lo
        step = max(1, math.ceil(span / 10))
        cells = []
        for e in range(self.lo, self.hi + 1, step):
            fill, font = self.color(10.0**e)
            cells.append(f'<td bgcolor="{fill}"><font color="{font}" point-size="9">1e{e}</font></td>')
        cells.append(f'<td bgcolor="{ZERO}"><font point-size="9">0</font></td>')
        cells.append(f'<td bgcolor="{BAD}"><font color="white" point-size="9">NaN/inf</font></td>')
        return (
            f'<tr><td colspan="{len(cells)}" align="left"><font point-size="10">'
            "gradient norm |grad| (L2, log scale): dark = vanishing, yellow = large</font></td></tr>"
            "<tr>" + "".join(cells) + "</tr>"
        )


# ----------------------------------------------------------------------------- labels
def _text(lines: list[str], *, mono: bool = False, size: int | None = None, color: str | None = None) -> str:
    body = '<br align="left"/>'.join(esc(line) for line in lines) + ('<br align="left"/>' if len(lines) > 1 else "")
    if mono:
        body = f'<font face="{MONO}">{body}</font>'
    if size or color:
        body = (
            "<font"
            + (f' point-size="{size}"' if size else "")
            + (f' color="{color}"' if color else "")
            + f">{body}</font>"
        )
    return body


def _labelled(prefix: str, lines: list[str] | None) -> list[str] | None:
    if not lines:
        return lines
    return [f"{prefix} {lines[0]}"] if len(lines) == 1 else [prefix, *lines]


def tensor_label(
    *,
    title: str | None,
    kind: str,
    shape: tuple,
    dtype: Any,
    value: Any = None,
    value_note: str | None = None,
    grad: Any = None,
    max_values: int = 16,
    fill: tuple[str, str] | None = None,
) -> str:
    """A tensor node: name, shape and dtype; values and gradient when small, a summary when large.

    ``fill`` is the ``(background, font colour)`` of the body (gradient colouring).
    """
    border = BORDER["output" if kind == "output" else kind]
    if value is not None and np.asarray(value).dtype.kind in "fc" and not np.isfinite(value).all():
        border = BAD  # NaN/inf in the values: a red frame
    bg, font = fill if fill else ("white", None)
    size = int(np.prod(shape)) if shape else 1
    small = None if value is None else value_lines(value, max_values)
    if small is not None:
        data = _labelled("data", small)
    elif value is not None:
        data = stat_lines(value)
    else:
        data = [value_note] if value_note else None
    grads = None
    if grad is not None:
        small = value_lines(grad, max_values) if size <= max_values else None
        grads = _labelled("grad", small) if small else [f"|grad| {fmt_number(grad_norm(grad))}"]
    meta = f"{fmt_shape(shape)} {fmt_dtype(dtype)}".strip()
    style = ' style="rounded"' if kind == "parameter" else ""
    width = 3 if kind == "output" else 2 if kind == "parameter" else 1
    table = (
        f'<table border="{width}" cellborder="0" cellspacing="0" cellpadding="3" color="{border}" '
        f'bgcolor="{bg}"{style}>'
    )
    head_bg = HEADER["output" if kind == "output" else kind]
    mono_values = small is not None
    if size == 1 and len(shape) <= 1 and (data is None or len(data) == 1) and (grads is None or len(grads) == 1):
        # one row, micrograd style: [ a | data 2 | grad -3 ]
        cells = []
        cells.append(
            f'<td bgcolor="{head_bg}">' + (f"<b>{esc(title)}</b><br/>" if title else "")
            + _text([meta], size=9) + "</td>"
        )  # fmt: skip
        for lines in (data, grads):
            if lines:
                cells.append("<vr/><td>" + _text(lines, color=font) + "</td>")
        return "<" + table + "<tr>" + "".join(cells) + "</tr></table>>"
    rows = []
    if title:
        rows.append(f'<tr><td bgcolor="{head_bg}"><b>{esc(title)}</b></td></tr>')
    rows.append(f'<tr><td bgcolor="{head_bg if not title else bg}">' + _text([meta], size=9, color=None) + "</td></tr>")
    for lines, mono in ((data, mono_values), (grads, grad is not None and "|grad|" not in grads[0])):
        if lines:
            rows.append('<hr/><tr><td align="left" balign="left">' + _text(lines, mono=mono, color=font) + "</td></tr>")
    return "<" + table + "".join(rows) + "</table>>"


def op_label(
    op: str, detail: str | None, *, title: str | None = None, lines: Iterable[str] = (), font: str | None = None
) -> str:
    """An op node: its name (with constant operands), parameters, and optional extra lines."""
    parts = []
    if title:
        parts.append(f"<b>{esc(title)}</b>")
    parts.append(f"<b>{esc(op)}</b>" if not title else esc(op))
    if detail:
        parts.append(_text([detail], size=9))
    parts.extend(_text([line], size=9) for line in lines)
    body = "<br/>".join(parts)
    return f'<<font color="{font}">{body}</font>>' if font else f"<{body}>"


def module_label(name: str, cls: str, lines: Iterable[str], font: str | None = None) -> str:
    """A collapsed module: its path, class, and what it holds."""
    parts = [f"<b>{esc(name or cls)}</b>"]
    if name and cls:
        parts.append(_text([cls], size=10))
    parts.extend(_text([line], size=9) for line in lines)
    body = "<br/>".join(parts)
    return f'<<font color="{font}">{body}</font>>' if font else f"<{body}>"


def settings_text(call: Any) -> str | None:
    """A composite call's settings that differ from the defaults: ``stride=2, padding=1``."""
    params = getattr(getattr(call, "owner", None), "params", ())
    parts = []
    for key, value in getattr(call, "settings", ()):
        name, default = params[key] if isinstance(key, int) and key < len(params) else (key, None)
        if not isinstance(name, str) or name.startswith("_"):
            continue  # (``_who``: the caller, for error messages)
        if isinstance(value, tuple) and len(value) > 1 and all(type(v) is int and v == value[0] for v in value):
            value = value[0]  # (2, 2): 2
        try:
            same = bool(value == default)
        except (TypeError, ValueError):
            same = False
        if not same and value is not None:
            parts.append(f"{name}={short(value, 16)}")
    text = ", ".join(parts)
    return (text if len(text) <= 48 else text[:45] + "...") or None


def call_text(call: tuple[int, int] | None) -> str:
    return f"call {call[0]} of {call[1]}" if call else ""


def cluster_label(name: str, cls: str, call: tuple[int, int] | None = None) -> str:
    """A module's box: its path and class (and which call, for a module run several times)."""
    sub = f"{cls} {call_text(call)}".strip() if name else call_text(call)
    head = f"<b>{esc(name or cls)}</b>"
    return f"<{head} " + _text([sub], size=10, color="#555555") + ">" if sub else f"<{head}>"


def graph_label(title: str | None, notes: list[str], legend: str | None) -> str | None:
    """The caption: a title, notes (what was collapsed or left out), and the gradient legend."""
    if not (title or notes or legend):
        return None
    rows = []
    if title:
        rows.append(f'<tr><td align="left"><font point-size="14"><b>{esc(title)}</b></font></td></tr>')
    rows.extend(f'<tr><td align="left"><font point-size="10">{esc(n)}</font></td></tr>' for n in notes)
    if legend:
        rows.append(
            f'<tr><td align="left"><table border="0" cellspacing="1" cellpadding="3">{legend}</table></td></tr>'
        )
    return '<<table border="0" cellspacing="0" cellpadding="2">' + "".join(rows) + "</table>>"


# ----------------------------------------------------------------------------- nodes
class Painter:
    """Turns items into DOT node statements (labels, colours, tooltips)."""

    def __init__(self, graph: Graph):
        self.g = graph
        self.scale: GradScale | None = None  # set for gradient colouring

    # ---- what an item knows
    def grad(self, it: Item) -> Any:
        if it.kind == "leaf":
            t = it.obj
            return t._grad._data if isinstance(t, Tensor) and t._grad is not None else None
        if it.kind in ("op", "result", "composite"):
            g = it.obj.grad
            if isinstance(g, Tensor):
                g = g._data
            if isinstance(g, Slot):
                parts = [np.ravel(value_of(g.grads[k])) for k in sorted(g.grads)]  # in output order
                return np.concatenate(parts) if parts else None
            return g
        return None

    def norm(self, it: Item) -> float | None:
        if it.kind == "module":
            params = [m for m in it.members if m.kind == "leaf" and self.leaf_kind(m) == "parameter"]
            grads = [self.grad(m) for m in params]
            if not any(g is not None for g in grads):  # no parameter gradients: what flows out of it
                grads = [
                    self.grad(m) for m in it.members if m.id in it.leaving and m.kind in ("op", "result", "composite")
                ]
            norms = [grad_norm(g) for g in grads if g is not None]
            return float(np.sqrt(np.sum(np.square(norms)))) if norms else None
        if it.kind == "op" and self.g.full:
            return None  # the tensor after it carries the gradient
        g = self.grad(it)
        return None if g is None else grad_norm(g)

    def leaf_kind(self, it: Item) -> str:
        t = it.obj
        if isinstance(t, Parameter) or (id(t) in self.g.tensor_names and isinstance(t, Tensor) and t.requires_grad):
            return "parameter"
        return "input"

    def name(self, it: Item) -> str | None:
        t = it.obj
        if it.kind == "leaf":
            if isinstance(t, ReleasedInput):
                return t.name or self.g.tensor_names.get(t.ident)
            return t.name or self.g.tensor_names.get(id(t))
        if it.kind in ("op", "result", "composite"):
            return self.g.titles.get(id(t)) or t.label
        return None

    def scope_name(self, scope: tuple) -> str:
        if not scope:
            return ""
        m = scope[-1]
        qual = self.g.mod_names.get(id(m))
        return qual if qual else (str(m) if isinstance(m, str) else "")

    @staticmethod
    def class_name(m: Any) -> str:
        return "" if isinstance(m, str) else type(m).__name__  # module_scope("encoder"): the name says it

    def op_text(self, n: Node) -> tuple[str, str | None]:
        """``mul`` or ``div(_, 64)`` (constants folded in compact mode), and the parameters."""
        name = n.op.name
        if isinstance(n.op, Select):  # one output of split/unbind/a Function: its name (a gate: r, z, n)
            parent = n.parents[0]
            unbind = type(parent) is Node and (parent.params or {}).get("squeeze")
            name = n.label or (f"[{n.op.index}]" if unbind else f"output {n.op.index}")
        if not self.g.full and any(p is None for p in n.parents):
            args, folded = [], False
            for i, p in enumerate(n.parents):
                v = self.g.constant(n, i) if p is None else None
                if p is None and v is not MISSING and v is not None and self.g.scalar_like(v):
                    args.append(short(value_of(v), 10))
                    folded = True
                else:
                    args.append("_")
            name = f"{name}({', '.join(args)})" if folded else name
        params = n.params
        detail = None
        if params:  # parameters that say something (keepdims=False, axis=None don't)
            detail = ", ".join(f"{k}={short(v)}" for k, v in params.items() if v is not None and v is not False)
            detail = detail if len(detail) <= 48 else detail[:45] + "..."
        if isinstance(n.op, FunctionOp) and len(n.op.output_shapes) > 1:
            detail = f"{len(n.op.output_shapes)} outputs"
        return name, detail or None

    def fill(self, it: Item) -> tuple[str, str] | None:
        if self.scale is None:
            return None
        norm = self.norm(it)
        return None if norm is None else self.scale.color(norm)

    def tooltip(self, it: Item) -> str | None:
        lines = []
        if it.kind in ("op", "result"):
            n = it.obj
            name, detail = self.op_text(n)
            lines.append(f"{n.op.name} (#{n.seq})" + (f": {detail}" if detail else ""))
            if n.scope:
                lines.append("in " + (self.scope_name(n.scope) or self.class_name(n.scope[-1])))
            if n.trace:
                lines.append("created at " + n.trace)
        return "\n".join(lines) or None

    # ---- node statements
    def node(self, it: Item) -> str:
        kind, fill = it.kind, self.fill(it)
        tip = self.tooltip(it)
        if kind == "op" and self.g.full:
            name, detail = self.op_text(it.obj)
            label = op_label(name, detail)
            shape = "ellipse" if detail is None and len(name) <= 6 else "box"
            return f"{it.id} " + attrs(
                shape=shape, style="rounded,filled", fillcolor=OP_FILL, color=OP_BORDER,
                margin="0.06,0.03", height="0.3", label=label, tooltip=tip,
            )  # fmt: skip
        if kind == "op":  # compact: the op and its output
            n = it.obj
            name, detail = self.op_text(n)
            lines = [] if is_multi(n) else [f"{fmt_shape(n.shape)} {fmt_dtype(n.dtype)}"]
            norm = self.norm(it)
            if norm is not None:
                lines.append(f"|grad| {fmt_number(norm)}")
            title = self.name(it)
            title = None if title == name else title  # a gate named r: once
            label = op_label(name, detail, title=title, lines=lines, font=fill[1] if fill else None)
            return f"{it.id} " + attrs(
                shape="box", style="rounded,filled", fillcolor=fill[0] if fill else OP_FILL,
                color=BORDER["output"] if it.root else OP_BORDER, penwidth=3 if it.root else 1,
                margin="0.08,0.04", label=label, tooltip=tip,
            )  # fmt: skip
        if kind == "result":
            n = it.obj
            value = n.out
            note = "values freed by backward" if value is None and n.released and n.grad is None else None
            label = tensor_label(
                title=self.name(it) or ("output" if it.root else None), kind="output" if it.root else "result",
                shape=n.shape, dtype=n.dtype, value=value, value_note=note, grad=self.grad(it),
                max_values=self.g.max_values, fill=fill,
            )  # fmt: skip
            return f"{it.id} " + attrs(shape="plain", label=label, tooltip=tip)
        if kind == "leaf":
            t = it.obj
            lk = self.leaf_kind(it)
            default = "parameter" if lk == "parameter" else "input"
            if isinstance(t, ReleasedInput):
                shape, dtype, value = t.shape, t.dtype, None
            else:
                shape, dtype, value = t.shape, t.dtype, t._data
            limit = self.g.max_values if self.g.full else 1  # compact: values of scalars only
            if not self.g.full and np.size(value) > 1:
                value = None
            label = tensor_label(
                title=self.name(it) or default, kind="output" if it.root else lk, shape=shape, dtype=dtype,
                value=value, grad=self.grad(it), max_values=limit, fill=fill,
            )  # fmt: skip
            return f"{it.id} " + attrs(shape="plain", label=label)
        if kind == "const":
            v = it.obj
            if v is MISSING:
                label = tensor_label(title="constant", kind="const", shape=(), dtype=None, value_note="released")
            elif isinstance(v, (np.ndarray, np.generic)) and np.size(v) > 1:
                label = tensor_label(
                    title="constant", kind="const", shape=v.shape, dtype=v.dtype, value=v, max_values=self.g.max_values
                )  # fmt: skip
            else:  # a number (or any other argument): just its value, in a small grey box
                return f"{it.id} " + attrs(
                    shape="box", style="rounded,filled,dashed", fillcolor=HEADER["const"],
                    color=BORDER["const"], fontsize=10, height="0.25", width="0.3", margin="0.05,0.02",
                    label=short(value_of(v), 32), tooltip="constant",
                )  # fmt: skip
            return f"{it.id} " + attrs(shape="plain", label=label)
        if kind == "module":
            return self.module(it, fill)
        if kind == "composite":
            return self.composite(it, fill)
        return self.more(it)

    def composite(self, it: Item, fill: tuple[str, str] | None) -> str:
        """A composite call (conv2d, cross_entropy) as the one op the learner wrote."""
        n = it.obj
        lines = [] if is_multi(n) else [f"{fmt_shape(n.shape)} {fmt_dtype(n.dtype)}"]
        norm = self.norm(it)
        if norm is not None:
            lines.append(f"|grad| {fmt_number(norm)}")
        ops = [m.obj.op.name for m in it.members if m.kind == "op"]
        label = op_label(
            it.title, settings_text(it.call), title=self.name(it), lines=lines, font=fill[1] if fill else None
        )  # fmt: skip
        tip = (
            f"{it.title}: {len(ops)} primitive{'s' if len(ops) != 1 else ''} ({', '.join(dict.fromkeys(ops))}); "
            "draw(..., implementation=True) draws them"
        )
        return f"{it.id} " + attrs(
            shape="box", style="rounded,filled", fillcolor=fill[0] if fill else OP_FILL,
            color=BORDER["output"] if it.root else OP_BORDER, penwidth=3 if it.root else 1.5, peripheries=1,
            margin="0.08,0.04", label=label, tooltip=tip,
        )  # fmt: skip

    def module(self, it: Item, fill: tuple[str, str] | None) -> str:
        ops = sum(1 if m.kind == "op" else sum(mm.kind == "op" for mm in m.members) for m in it.members)
        params = [m for m in it.members if m.kind == "leaf" and self.leaf_kind(m) == "parameter"]
        size = sum(int(np.prod(m.obj.shape)) for m in params)
        lines = [f"{ops} ops" + (f" - {len(params)} params ({size:,} values)" if params else "")]
        members = {m.id: m for m in it.members}
        shapes = [  # what leaves the module: the shapes of its members used outside it
            fmt_shape(members[k].obj.shape)
            for k in it.leaving
            if members[k].kind in ("op", "result", "composite") and not is_multi(members[k].obj)
        ]
        if shapes:
            lines.append("-> " + ", ".join(dict.fromkeys(shapes)))
        norm = self.norm(it)
        if norm is not None:
            which = "params" if any(self.grad(p) is not None for p in params) else "out"
            lines.append(f"|grad {which}| {fmt_number(norm)}")
        scope = it.scope + (it.obj,)
        call = self.g.call_number.get(it.call)
        if call:
            lines.insert(0, call_text(call))
        label = module_label(self.scope_name(scope), self.class_name(it.obj), lines, font=fill[1] if fill else None)
        return f"{it.id} " + attrs(
            shape="box3d", style="filled", fillcolor=fill[0] if fill else MODULE_FILL,
            color=BORDER["output"] if it.root else MODULE_BORDER, penwidth=3 if it.root else 1,
            label=label,
        )  # fmt: skip

    def more(self, it: Item) -> str:
        left: list[Item] = it.obj
        ops = Counter(m.obj.op.name for m in left if m.kind == "op")
        ops.update(m.title for m in left if m.kind == "composite")
        for m in left:
            if m.kind == "module":
                ops.update(mm.obj.op.name for mm in m.members if mm.kind == "op")
                ops.update(mm.title for mm in m.members if mm.kind == "composite")
        counts = Counter(m.kind for m in left)
        words = (
            ("op", "ops"),
            ("result", "tensors"),
            ("leaf", "leaves"),
            ("const", "constants"),
            ("composite", "calls"),
            ("module", "modules"),
        )
        parts = [f"{counts[k]} {w}" for k, w in words if counts[k]]
        lines = [f"... {len(left):,} more nodes not drawn (max_nodes)", ", ".join(parts)]
        if ops:
            lines.append("ops: " + ", ".join(f"{c} {name}" for name, c in ops.most_common(6)))
        lines.append("raise max_nodes, or pass collapse=1 to draw modules as single nodes")
        label = "<" + "<br/>".join(esc(line) for line in lines) + ">"
        return f"{it.id} " + attrs(shape="note", style="dashed", color="#888888", fontsize=10, label=label)
