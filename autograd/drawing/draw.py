"""Drawing the recorded graph: ``draw(loss)`` returns a ``graphviz.Digraph``, shown as SVG in Jupyter.

>>> import autograd as ag
>>> a = ag.Tensor(2.0, requires_grad=True, name="a")
>>> b = ag.Tensor(-3.0, requires_grad=True, name="b")
>>> e = a * b
>>> e.name = "e"
>>> L = e + 10.0
>>> L.name = "L"
>>> L.backward()
>>> dot = to_dot(L)          # the DOT text, no program needed
>>> "grad -3" in dot and "<b>mul</b>" in dot
True
>>> g = draw(L)              # a graphviz.Digraph: g.render(outfile="L.svg"), or display it

What is drawn, and the options of :func:`draw`:

- ``detail``: ``"full"`` draws every tensor (leaves and results, micrograd style: name, shape,
  dtype, values and gradient when small, mean/std/min/max and gradient norm when large) and
  every op between them. ``"compact"`` draws ops only, each with its output's shape, plus the
  leaves; scalar constants are folded into the op (``div(_, 64)``). ``"auto"`` (default):
  full up to 40 ops, compact above.
- parameters are green, inputs/data blue, constants grey; the drawn tensors have an orange
  border. Names come from ``t.name`` (results too: ``e.name = "e"``), else from ``params``
  (a Module, a dict, or ``named_parameters()``), else from the ``nn.Module``s that ran
  (``layers.0.weight``).
- ops are grouped in boxes by the ``nn.Module`` whose forward created them (``node.scope``),
  one box per call: a module run twice (a shared ReLU, an RNN cell) gets two boxes, and the
  weights they share sit outside both.
- composite functions (``conv2d``, pooling, ``batch_norm``, the losses of ``nn.functional``:
  whatever runs inside ``autograd.graph.op_scope``) are drawn as one op, as the learner wrote
  them, with the learner's tensors as inputs. ``implementation=True`` draws their primitives
  instead (pad, sliding window, matmul, ...), boxed by the function's name.
- ``collapse``: an int ``k`` draws each module at depth ``k`` as one node (0: the whole model,
  1: its children, ...); or module names / class names / classes to collapse; ``False``: never.
  ``None`` (default): collapse modules only as deep as needed to draw at most ``fit`` nodes
  (default 150), at most 40 of them on the longest path when drawn top to bottom (a readable
  page, not a 20,000-pixel scroll), and say so in the caption, with how to expand. A collapsed module shows its op
  and parameter counts, output shapes, and parameter gradient norm.
- ``max_nodes`` (default 1000): beyond it, the nodes nearest the output are kept and one node
  says what was left out.
- ``grad_flow=True``: after backward, nodes are coloured by gradient norm (log scale, with a
  legend), NaN/inf in red.
- ``max_values`` (16): tensors up to this many elements show their values.
- ``rankdir``: ``"LR"`` for small graphs and recurrent ones (time steps read left to right),
  ``"TB"`` otherwise; ``title``: a caption.

A graph can be drawn at any time: before ``backward`` (values), after it (values kept for small
tensors, gradients everywhere), even after the saved arrays were released.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .. import graph as recording_state
from ..function import Select
from ..graph import Node, record_gradients
from ..tensor import Tensor
from . import render, style
from .scene import Graph

__all__ = ["draw", "to_dot", "save_svg", "draw_training_step", "main", "MODELS", "register_model"]

LR_UPTO = 25  # left-to-right layout up to this many ops
FIT = 150  # collapse=None: collapse modules until the drawing has at most this many nodes
RANKS = 40  # ... and, drawn top to bottom, at most this many nodes on its longest path (its height)


def _unrecorded_gradients(g: Graph) -> int:
    """How many recorded results (collapsed or not) lost their gradient to the size limit."""
    nodes = {it.obj for it in g.items.values() if it.kind in ("op", "result") and isinstance(it.obj, Node)}
    if not any(n.grad is not None or n.released for n in nodes):
        return 0  # no backward yet
    limit = recording_state.KEEP_GRADS_UPTO
    return sum(1 for n in nodes if n.grad is None and n.shape and int(np.prod(n.shape)) > limit)


def _layout(tensors: tuple, options: dict, keep: dict | None = None) -> tuple[dict, dict, dict, list, dict]:
    """Everything :func:`draw` needs: graph, node and edge attributes, body lines, counts.

    ``keep`` (a dict) receives the scene (``graph``) and the items drawn (``items``).
    """
    params = options.pop("params", None)
    collapse = options.pop("collapse", None)
    max_nodes = int(options.pop("max_nodes", 1000))
    fit = int(options.pop("fit", FIT))
    implementation = bool(options.pop("implementation", False))
    grad_flow = bool(options.pop("grad_flow", False))
    detail = options.pop("detail", "auto")
    max_values = int(options.pop("max_values", 16))
    rankdir = options.pop("rankdir", None)
    title = options.pop("title", None)
    if options:
        raise TypeError(f"draw: unknown option(s) {', '.join(sorted(options))}")
    if max_nodes < 2:
        raise ValueError("draw: max_nodes must be at least 2")

    g = Graph(tensors, params, detail, max_values, implementation)
    notes = []
    if collapse is None:  # collapse only as deep as needed to stay readable
        items, edges = g.items, g.edges
        budget = min(fit, max_nodes)
        readable = lambda items, edges: (
            len(items) <= budget
            and (  # noqa: E731
                _ranks(edges) <= RANKS or (rankdir or ("LR" if _recurrent(g, items) else "TB")) != "TB"
            )
        )
        if not readable(items, edges):
            best = None
            for k in range(g.depth() - 1, -1, -1):
                items, edges = g.collapsed(k)
                if best is None or len(items) < len(best[1]):
                    best = (k, items, edges)
                if readable(items, edges):
                    break
            if best is not None:
                k, items, edges = best if not readable(items, edges) else (k, items, edges)
                deeper = f"collapse={k + 1} to open one more level, " if k + 1 < g.depth() else ""
                notes.append(
                    f"modules at depth {k} drawn as single nodes ({len(g.items):,} nodes in full, {len(items)} here); "
                    f"{deeper}collapse=False to draw every op"
                )
    else:
        items, edges = g.collapsed(collapse)
    items, edges, more = Graph.limited(items, edges, max_nodes)
    if more is not None:
        notes.append(f"{len(more.obj):,} nodes left out (max_nodes={max_nodes})")

    if keep is not None:
        keep["graph"], keep["items"] = g, items
    painter = style.Painter(g)
    legend = None
    if grad_flow:
        norms = [n for n in (painter.norm(it) for it in items.values()) if n is not None]
        if norms:
            painter.scale = style.GradScale(norms)
            legend = painter.scale.legend()
        else:
            notes.append("grad_flow: no gradients yet (call backward() first)")
        unrecorded = _unrecorded_gradients(g)
        if unrecorded:
            notes.append(
                f"{unrecorded} large intermediate gradients were not kept: run backward() inside "
                "autograd.record_gradients() to see them"
            )

    # clusters: one per module path, nested as the modules were
    clusters: dict[tuple, list] = {(): []}
    children: dict[tuple, list] = {(): []}
    paths: dict[tuple, tuple] = {}
    for it in items.values():  # one cluster per call of a module
        s, key = it.scope, it.calls
        for j in range(1, len(s) + 1):
            k = key[:j]
            if k not in clusters:
                clusters[k], children[k], paths[k] = [], [], s[:j]
                children[key[: j - 1]].append(k)
        clusters[key].append(it)
    body = ["\t" + painter.node(it) + "\n" for it in clusters[()]]
    counter = 0
    stack: list = [(k, 0) for k in reversed(children[()])]
    while stack:  # depth-first, closing each cluster after its children
        entry = stack.pop()
        if entry is None:
            body.append("\t}\n")
            continue
        k, depth = entry
        counter += 1
        s = paths[k]
        fill = style.CLUSTER_FILLS[min(depth, len(style.CLUSTER_FILLS) - 1)]
        label = style.cluster_label(painter.scope_name(s), painter.class_name(s[-1]), g.call_number.get(k[-1]))
        body.append(
            f'\tsubgraph cluster_{counter} {{\n\t\tlabel={label}\n\t\tstyle="rounded,filled" '
            f'fillcolor="{fill}" color="{style.CLUSTER_BORDER}" fontsize=11 labeljust=l\n'
        )
        body.extend("\t\t" + painter.node(it) + "\n" for it in clusters[k])
        stack.append(None)
        stack.extend((c, depth + 1) for c in reversed(children[k]))
    for s, d, label in edges:
        extra = []
        if label is not None:
            extra.append(f"label={style.quote(label)} fontsize=9")
        if s == "more":
            extra.append('style=dashed color="#999999"')
        body.append(f"\t{s} -> {d}" + (f" [{' '.join(extra)}]" if extra else "") + "\n")

    n_ops = sum(1 for it in items.values() if it.kind == "op")
    graph_attr = {
        "rankdir": rankdir or ("LR" if n_ops <= LR_UPTO and not g.depth() or _recurrent(g, items) else "TB"),
        "fontname": style.FONT, "nodesep": "0.25", "ranksep": "0.35", "labelloc": "t", "labeljust": "l",
    }  # fmt: skip
    caption = style.graph_label(title, notes, legend)
    if caption:
        graph_attr["label"] = caption
    node_attr = {"fontname": style.FONT, "fontsize": "11"}
    edge_attr = {"color": style.EDGE, "arrowsize": "0.7"}
    info = {
        "ops": len(g.nodes), "nodes": len(items), "edges": len(edges), "left_out": 0 if more is None else len(more.obj),
        "modules": sum(1 for it in items.values() if it.kind == "module"), "detail": "full" if g.full else "compact",
    }  # fmt: skip
    return graph_attr, node_attr, edge_attr, body, info


def _ranks(edges: list) -> int:
    """The number of nodes on the longest path (how many rows a top-to-bottom drawing needs)."""
    into: dict[str, list] = {}
    for s, d, _ in edges:
        into.setdefault(d, []).append(s)
    depth: dict[str, int] = {}
    for start in into:
        stack = [start]
        while stack:  # iterative: graphs can be deep
            node = stack[-1]
            if node in depth:
                stack.pop()
                continue
            todo = [p for p in into.get(node, ()) if p not in depth]
            if todo:
                stack.extend(todo)
            else:
                depth[node] = 1 + max((depth[p] for p in into.get(node, ())), default=0)
                stack.pop()
    return max(depth.values(), default=1)


def _recurrent(g: Graph, items: dict) -> bool:
    """A graph of time steps (an unrolled RNN): one taken apart by ``unbind`` into 3 or more steps
    that are drawn, or a module with parameters (a cell) called 3 or more times. Drawn left to
    right, the steps follow in reading order. (A shared activation called often is not a cell.)"""
    for m, n in g.repeated:
        if n >= 3 and hasattr(m, "parameters") and any(True for _ in m.parameters()):
            return True
    steps: dict[int, int] = {}
    for it in items.values():
        n = it.obj
        if it.kind in ("op", "result") and isinstance(n, Node) and isinstance(n.op, Select):
            parent = n.parents[0]
            if type(parent) is Node and (parent.params or {}).get("squeeze"):
                steps[id(parent)] = steps.get(id(parent), 0) + 1
    return any(v >= 3 for v in steps.values())


def _attr_stmt(kind: str, values: dict) -> str:
    parts = [f"{k}={v}" if k == "label" and v.startswith("<") else f"{k}={style.quote(v)}" for k, v in values.items()]
    return f"\t{kind} [{' '.join(parts)}]\n"


def _source(tensors: tuple, options: dict, keep: dict | None = None) -> tuple[str, dict]:
    graph_attr, node_attr, edge_attr, body, info = _layout(tensors, options, keep)
    head = [_attr_stmt("graph", graph_attr), _attr_stmt("node", node_attr), _attr_stmt("edge", edge_attr)]
    return "digraph graphgrad {\n" + "".join(head) + "".join(body) + "}\n", info


def to_dot(*tensors: Tensor, **options: Any) -> str:
    """The DOT text of the graph behind ``tensors`` (same options as :func:`draw`); needs no program.

    >>> import autograd as ag
    >>> x = ag.Tensor([1.0, 2.0], requires_grad=True, name="x")
    >>> print(to_dot((x * x).sum(), detail="compact").splitlines()[0])
    digraph graphgrad {
    """
    return _source(tensors, options)[0]


def draw(*tensors: Tensor, **options: Any) -> Any:
    """Draw the recorded graph behind ``tensors`` as a ``graphviz.Digraph`` (see the module docstring).

    In Jupyter the result displays as SVG. ``.render(outfile="graph.svg")`` saves it,
    ``.pipe(format="svg")`` returns it, ``.source`` is the DOT text. Rendering uses a system
    Graphviz ``dot`` when there is one and the ``graphviz-pure`` program otherwise.
    ``.graph_info`` counts what was drawn (ops, nodes, edges, left_out, modules).

    >>> import autograd as ag
    >>> w = ag.Tensor([[0.5, -1.0]], requires_grad=True, name="w")
    >>> y = (w @ ag.Tensor([[2.0], [1.0]], name="x")).sum()
    >>> y.backward()
    >>> g = draw(y, grad_flow=True)
    >>> g.graph_info["ops"], g.pipe(format="svg", encoding="utf-8").count('class="node"')
    (2, 6)
    """
    try:
        cls = render.digraph_class()
    except ImportError:
        raise ImportError(
            "draw() needs the graphviz package: pip install 'graphgrad[draw]' (to_dot() gives the DOT text without it)"
        ) from None
    graph_attr, node_attr, edge_attr, body, info = _layout(tensors, options)
    dot = cls(name="graphgrad", format="svg", graph_attr=graph_attr, node_attr=node_attr, edge_attr=edge_attr)
    dot.body.extend(body)
    dot.graph_info = info
    return dot


def save_svg(what: Any, path: str | Path, **options: Any) -> str:
    """Draw and save in one call; returns the path.

    ``what``: a Tensor, a list of Tensors, a drawing from :func:`draw`, or DOT text. The
    format follows the suffix: ``.svg`` (default), ``.png``, or ``.dot``/``.gv`` for the DOT
    text itself. Needs a ``dot`` or ``graphviz-pure`` program, not the graphviz package.

    >>> import os, tempfile, autograd as ag
    >>> x = ag.Tensor(3.0, requires_grad=True, name="x")
    >>> path = save_svg(x * x, os.path.join(tempfile.mkdtemp(), "square.svg"))
    >>> svg = open(path).read()
    >>> svg.count('class="node"'), svg.count('class="edge"')  # x, mul, x*x; x goes in twice
    (3, 3)
    """
    if isinstance(what, Tensor):
        source = to_dot(what, **options)
    elif isinstance(what, (list, tuple)):
        source = to_dot(*what, **options)
    elif isinstance(what, str):
        source = what
    elif hasattr(what, "source"):
        source = what.source
    else:
        raise TypeError(f"save_svg: expected Tensor(s), a drawing or DOT text, got {type(what).__name__}")
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "svg"
    if fmt in ("dot", "gv"):
        path.write_text(source, encoding="utf-8")
    else:
        out = render.pipe(source, format=fmt)
        path.write_bytes(out.encode("utf-8") if isinstance(out, str) else out)
    return str(path)


# ====================================================================== training step, command line
MODELS: dict[str, Callable[[], tuple]] = {}
"""Models for ``graphgrad graph``: name -> factory returning ``(model, loss_fn, inputs, targets)``."""


def register_model(name: str, factory: Callable[[], tuple] | None = None) -> Any:
    """Add a model to :data:`MODELS` (usable as a decorator).

    >>> @register_model("tiny-example")
    ... def tiny():
    ...     import autograd as ag
    ...     w = ag.Parameter([[1.0, 2.0]])
    ...     return (lambda x: x @ w.T), (lambda out, y: ((out - y) ** 2).mean()), ag.ones(3, 2), ag.zeros(3, 1)
    >>> "tiny-example" in MODELS
    True
    >>> del MODELS["tiny-example"]
    """
    if factory is None:
        return lambda f: register_model(name, f)
    MODELS[name] = factory
    return factory


def training_step_loss(model: Any, loss_fn: Callable, inputs: Any, targets: Any, zero_grad: bool = True) -> Tensor:
    """Run one training step's forward and backward; return the loss (its graph holds the step)."""
    if zero_grad and hasattr(model, "zero_grad"):
        model.zero_grad()
    if inputs is None:  # loss_fn runs the model itself
        loss = loss_fn(None, targets)
    else:
        loss = loss_fn(model(*inputs) if isinstance(inputs, tuple) else model(inputs), targets)
    if loss.name is None:
        loss.name = "loss"
    with record_gradients():  # keep every intermediate gradient, to draw them
        loss.backward()
    return loss


def draw_training_step(model: Any, loss_fn: Callable, inputs: Any, targets: Any, **options: Any) -> Any:
    """The graph of one training step (forward, loss, backward) of ``model``, with gradients.

    Clears the model's gradients first. Parameters are named after the model
    (``params=model``), and ``grad_flow`` is on unless told otherwise.
    """
    loss = training_step_loss(model, loss_fn, inputs, targets, options.pop("zero_grad", True))
    options.setdefault("params", model if hasattr(model, "named_modules") else None)
    options.setdefault("grad_flow", True)
    return draw(loss, **options)


def main(argv: list[str] | None = None, registry: dict[str, Callable[[], tuple]] | None = None) -> int:
    """``graphgrad graph MODEL --out file.svg``: draw the training-step graph of a named model.

    ``registry`` (default :data:`MODELS`) maps names to factories returning
    ``(model, loss_fn, inputs, targets)``, or an object with ``model`` and ``loss()``.
    Returns the exit status.
    """
    registry = MODELS if registry is None else registry
    parser = argparse.ArgumentParser(
        prog="graphgrad graph", description="Draw the computation graph of one training step of a model."
    )
    parser.add_argument("model", nargs="?", help="model name (--list shows them)")
    parser.add_argument("--out", "-o", help="output file: .svg (default MODEL.svg), .png, or .dot for the DOT text")
    parser.add_argument("--collapse", type=int, default=None, help="draw modules at this depth as single nodes")
    parser.add_argument("--max-nodes", type=int, default=1000, help="most nodes to draw (default 1000)")
    parser.add_argument("--detail", choices=("auto", "full", "compact"), default="auto")
    parser.add_argument("--no-grad-flow", action="store_true", help="don't colour nodes by gradient norm")
    parser.add_argument("--title", help="caption (default: the model name)")
    parser.add_argument("--list", action="store_true", help="list the models and exit")
    args = parser.parse_args(argv)
    if args.list or args.model is None:
        print("models: " + (", ".join(sorted(registry)) or "(none registered)"))
        return 0 if args.list else 2
    if args.model not in registry:
        print(f"graphgrad graph: unknown model {args.model!r}; models: {', '.join(sorted(registry))}", file=sys.stderr)
        return 2
    made = registry[args.model]()
    if isinstance(made, tuple):
        model, loss_fn, inputs, targets = made
        loss = training_step_loss(model, loss_fn, inputs, targets)
    else:  # an object with ``model`` and ``loss()`` (as ``nn.models.example`` gives)
        model = made.model
        loss = training_step_loss(model, lambda out, _: made.loss(), None, None)
    out = args.out or f"{args.model}.svg"
    options = dict(
        params=model if hasattr(model, "named_modules") else None, collapse=args.collapse, max_nodes=args.max_nodes,
        detail=args.detail, grad_flow=not args.no_grad_flow, title=args.title or f"{args.model}: one training step",
    )  # fmt: skip
    source, info = _source((loss,), options)
    try:
        save_svg(source, out)
    except render.FormatError as e:
        print(f"graphgrad graph: {e}", file=sys.stderr)
        return 2
    print(f"wrote {out}: {info['ops']} ops recorded, {info['nodes']} nodes drawn", file=sys.stderr)
    return 0


# ``autograd.draw`` is the function once the package has imported it: the helpers ride along.
for _f in (to_dot, save_svg, draw_training_step, training_step_loss, main, register_model):
    setattr(draw, _f.__name__, _f)
draw.MODELS = MODELS
