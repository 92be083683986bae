"""Graph drawings, checked on real SVG: rendered by a real dot-compatible program, parsed as XML.

Each test compares what the SVG shows (nodes, edges, clusters, texts, fill colours) with the
graph that was recorded, walked independently here.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
import nn
from autograd.drawing import main, render, save_svg, to_dot
from autograd.drawing import style as draw_style
from autograd.drawing.style import GradScale, grad_norm
from autograd.graph import Node

SVG = "{http://www.w3.org/2000/svg}"
GRAD_COLOURS = set(draw_style.VIRIDIS) | {draw_style.BAD, draw_style.ZERO}

if render.dot_binary() is None:  # pragma: no cover - the [draw] extra installs graphviz-pure
    pytest.skip("no dot or graphviz-pure program: pip install 'graphgrad[draw]'", allow_module_level=True)


# ----------------------------------------------------------------------------- reading SVG
class Drawing:
    """The parts of a rendered SVG the tests look at."""

    def __init__(self, svg: str | bytes):
        self.root = ET.fromstring(svg)
        self.nodes: dict[str, ET.Element] = {}
        self.edges: list[tuple[str, str]] = []
        self.clusters: list[ET.Element] = []
        for g in self.root.iter(f"{SVG}g"):
            cls, title = g.get("class"), g.find(f"{SVG}title")
            if cls == "node":
                self.nodes[title.text] = g
            elif cls == "edge":
                tail, head = title.text.split("->")
                self.edges.append((tail, head))
            elif cls == "cluster":
                self.clusters.append(g)

    @staticmethod
    def texts(g: ET.Element) -> list[str]:
        return [t.text for t in g.iter(f"{SVG}text") if t.text and t.text.strip()]

    def text(self, node_id: str) -> str:
        return " ".join(" ".join(self.texts(self.nodes[node_id])).split())

    def fills(self, node_id: str) -> set[str]:
        return {e.get("fill") for e in self.nodes[node_id].iter() if e.get("fill") not in (None, "none")}

    def all_fills(self) -> set[str]:
        return set().union(*(self.fills(n) for n in self.nodes)) if self.nodes else set()

    def caption(self) -> str:
        """Texts of the graph label (outside every node, edge and cluster)."""
        top = self.root.find(f"{SVG}g")
        return " ".join(t.text for t in top.findall(f"{SVG}text") if t.text)

    def cluster_boxes(self) -> dict[str, tuple[float, float, float, float]]:
        """Cluster label -> bounding box of its frame."""
        boxes = {}
        for c in self.clusters:
            shape = c.find(f"{SVG}path")
            shape = shape if shape is not None else c.find(f"{SVG}polygon")
            nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", shape.get("d") or shape.get("points"))]
            xs, ys = nums[0::2], nums[1::2]
            boxes[" ".join(" ".join(self.texts(c)).split())] = (min(xs), min(ys), max(xs), max(ys))
        return boxes

    def centre(self, node_id: str) -> tuple[float, float]:
        ts = list(self.nodes[node_id].iter(f"{SVG}text"))
        return (sum(float(t.get("x")) for t in ts) / len(ts), sum(float(t.get("y")) for t in ts) / len(ts))


def rendered(*tensors: ag.Tensor, **options) -> Drawing:
    return Drawing(ag.draw(*tensors, **options).pipe(format="svg"))


# ----------------------------------------------------------------------------- the recorded graph
def recorded(*tensors: ag.Tensor) -> list[Node]:
    seen, stack = {}, [t.grad_fn for t in tensors if t.grad_fn is not None]
    while stack:
        n = stack.pop()
        if id(n) not in seen:
            seen[id(n)] = n
            stack.extend(p for p in n.parents if isinstance(p, Node))
    return sorted(seen.values(), key=lambda n: n.seq)


def full_counts(*tensors: ag.Tensor) -> tuple[int, int]:
    """Nodes and edges of the full drawing: op + result per node, one per leaf or no-grad tensor,
    one per other constant use; an edge per input and one from each op to its result."""
    nodes = recorded(*tensors)
    leaves, consts, edges = set(), 0, 0
    for n in nodes:
        inputs = n.inputs if n.inputs is not None else [(n.const_inputs or {}).get(i) for i in range(len(n.parents))]
        for p, v in zip(n.parents, inputs):
            edges += 1
            if isinstance(p, ag.Tensor):
                leaves.add(id(p))
            elif p is None and isinstance(v, ag.Tensor):
                leaves.add(id(v))
            elif p is None and hasattr(v, "ident"):  # a large input, described after release
                leaves.add(v.ident)
            elif p is None:
                consts += 1
    return 2 * len(nodes) + len(leaves) + consts, edges + len(nodes)


# ----------------------------------------------------------------------------- small models
class Linear(nn.Module):
    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator, scale: float | None = None):
        super().__init__()
        scale = 1 / math.sqrt(n_in) if scale is None else scale
        self.weight = nn.Parameter(rng.standard_normal((n_out, n_in)) * scale)
        self.bias = nn.Parameter(rng.standard_normal(n_out) * (scale if scale != 1 / math.sqrt(n_in) else 0))

    def forward(self, x):
        return x @ self.weight.T + self.bias


class Sigmoid(nn.Module):
    def forward(self, x):
        return x.sigmoid()


class Block(nn.Module):
    def __init__(self, n: int, rng: np.random.Generator):
        super().__init__()
        self.fc, self.act = Linear(n, n, rng), Sigmoid()

    def forward(self, x):
        return self.act(self.fc(x))


class Net(nn.Module):
    def __init__(self, width: int, depth: int, rng: np.random.Generator):
        super().__init__()
        self.inp = Linear(4, width, rng)
        self.layers = nn.Sequential(*[Block(width, rng) for _ in range(depth)])
        self.out = Linear(width, 3, rng)

    def forward(self, x):
        return self.out(self.layers(self.inp(x)))


def net_loss(rng: np.random.Generator, width: int = 6, depth: int = 2, batch: int = 5):
    net = Net(width, depth, rng)
    x = ag.Tensor(rng.standard_normal((batch, 4)), name="x")
    y = ag.Tensor(rng.standard_normal((batch, 3)), name="y")
    return net, ((net(x) - y) ** 2).mean()


# ============================================================================= micrograd-sized
def micrograd():
    a = ag.Tensor(2.0, requires_grad=True, name="a")
    b = ag.Tensor(-3.0, requires_grad=True, name="b")
    c = ag.Tensor(10.0, requires_grad=True, name="c")
    f = ag.Tensor(-2.0, requires_grad=True, name="f")
    e = a * b
    e.name = "e"
    d = e + c
    d.name = "d"
    L = d * f
    L.name = "L"
    return (a, b, c, f, e, d), L


def test_micrograd_expression_nodes_edges_values_and_gradients():
    (a, b, c, f, e, d), L = micrograd()
    before = rendered(L)
    assert len(before.nodes) == 4 + 3 + 3 and len(before.edges) == 6 + 3  # leaves, ops, results
    for n in recorded(L):
        assert n.op.name in before.text(f"op{n.seq}").split()
        assert f"data {float(n.out):g}" in before.text(f"t{n.seq}")
    by_name = {t.name: t for t in (a, b, c, f)}
    leaf_ids = {before.text(k).split()[0]: k for k in before.nodes if k.startswith("l")}
    assert set(leaf_ids) == set(by_name)
    for name, t in by_name.items():
        assert f"data {float(t.data):g}" in before.text(leaf_ids[name])
        assert "grad" not in before.text(leaf_ids[name])
    # the edges are the recorded ones: each op takes its inputs, then gives its result
    for n in recorded(L):
        for p in n.parents:
            src = f"t{p.seq}" if isinstance(p, Node) else leaf_ids[p.name]
            assert (src, f"op{n.seq}") in before.edges
        assert (f"op{n.seq}", f"t{n.seq}") in before.edges
    assert "e" in before.text(f"t{e.grad_fn.seq}").split() and "L" in before.text(f"t{L.grad_fn.seq}").split()

    L.backward()
    after = rendered(L)
    assert set(after.nodes) == set(before.nodes) and sorted(after.edges) == sorted(before.edges)
    for name, t in by_name.items():
        assert f"grad {float(t.grad):g}" in after.text(leaf_ids[name])
    assert "grad -4" in after.text(leaf_ids["b"]) and "grad 6" in after.text(leaf_ids["a"])
    assert "grad 1" in after.text(f"t{L.grad_fn.seq}") and "grad -2" in after.text(f"t{e.grad_fn.seq}")


def test_counts_match_the_recorded_graph_before_and_after_backward(rng):
    w = ag.Parameter(rng.standard_normal((3, 2)), name="w")
    x = ag.Tensor(rng.standard_normal((4, 3)), name="x")  # an input without a gradient, used twice
    big = ag.Tensor(rng.standard_normal((10, 10)), name="big")  # large: described after release
    h = (x @ w).tanh() * 2.0 + 1.0
    z = (h.sum() + (x * w.mean()).sum() + ((x * x) * w.mean()).sum() + (big * w.sum()).sum() / 3).exp()
    nodes, edges = full_counts(z)
    before = rendered(z, detail="full")
    assert (len(before.nodes), len(before.edges)) == (nodes, edges)
    z.backward()
    assert all(n.released for n in recorded(z))
    after = rendered(z, detail="full")
    assert (len(after.nodes), len(after.edges)) == (nodes, edges)  # the structure survives release
    assert set(after.nodes) == set(before.nodes)
    x_node = next(k for k in after.nodes if after.text(k).startswith("x "))
    assert "(4, 3) float64" in after.text(x_node)
    assert sum(1 for s, _ in after.edges if s == x_node) == 2  # x @ w and x * w.mean(): one node
    big_node = next(k for k in after.nodes if after.text(k).startswith("big "))
    assert "(10, 10) float64" in after.text(big_node)


def test_small_tensors_show_values_large_ones_a_summary(rng):
    W = ag.Parameter(np.array([[0.5, -1.25], [2.0, 0.125]]), name="W")
    V = ag.Parameter(rng.standard_normal((20, 30)), name="V")
    y = (W.sum() * V).sum()
    d = rendered(y)
    w_id = next(k for k in d.nodes if d.text(k).startswith("W "))
    v_id = next(k for k in d.nodes if d.text(k).startswith("V "))
    assert "(2, 2) float64" in d.text(w_id) and "-1.25" in d.text(w_id) and "0.125" in d.text(w_id)
    v = V.data
    for word, value in (("mean", v.mean()), ("std", v.std()), ("min", v.min()), ("max", v.max())):
        assert f"{word} {value:.4g}" in d.text(v_id)
    y.backward()
    d = rendered(y)
    assert f"|grad| {np.linalg.norm(V.grad.data):.4g}" in d.text(v_id)
    g = W.grad.data  # each entry of W gets sum(V)
    assert f"{g[0, 0]:.4g}"[:5] in d.text(w_id)


def test_parameters_inputs_and_constants_look_different(rng):
    w = ag.Parameter(rng.standard_normal(3), name="w")
    x = ag.Tensor(rng.standard_normal(3), name="x")
    y = (w * x * 3.0).sum()
    d = rendered(y, detail="full")
    strokes = {}
    for k in d.nodes:
        first = d.text(k).split()[0] if d.text(k) else ""
        strokes[first] = {e.get("stroke") for e in d.nodes[k].iter() if e.get("stroke") not in (None, "none")}
    assert draw_style.BORDER["parameter"] in strokes["w"]
    assert draw_style.BORDER["input"] in strokes["x"]
    assert draw_style.BORDER["const"] in strokes["3"]
    assert strokes["w"] != strokes["x"] != strokes["3"]


def test_multi_output_function():
    class SplitTwo(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x[:2] * 1.0, x[2:] * 2.0

        @staticmethod
        def backward(ctx, g1, g2):
            return ag.cat([g1, g2 * 2.0])

    x = ag.Tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True, name="x")
    a, b = SplitTwo.apply(x)
    z = a.sum() * b.sum()
    d = rendered(z)
    fn = next(n for n in recorded(z) if n.op.name == "SplitTwo")
    assert "2 outputs" in d.text(f"op{fn.seq}")
    outs = [(s, t) for s, t in d.edges if s == f"op{fn.seq}"]
    assert len(outs) == 2 and all(t.startswith("t") for _, t in outs)
    # x; SplitTwo; its two outputs, drawn as tensors only; sum, sum and mul, each op and result
    assert len(d.nodes) == 1 + 1 + 2 + 2 * 3


def test_several_roots_named_scopes_params_dict_and_plain_tensors():
    x = ag.Tensor([1.0, 2.0], requires_grad=True)
    w = ag.Tensor([0.5, 0.25], requires_grad=True)
    with ag.module_scope("encoder"):
        a = x * w
    b = (a + 1.0).sum()
    d = rendered(b, a, params={"x": x, "w": w})
    assert len(d.nodes) == full_counts(b)[0] and set(d.cluster_boxes()) == {"encoder"}
    roots = [k for k in d.nodes if draw_style.BORDER["output"] in {e.get("stroke") for e in d.nodes[k].iter()}]
    assert sorted(roots) == sorted([f"t{a.grad_fn.seq}", f"t{b.grad_fn.seq}"])
    assert {d.text(k).split()[0] for k in d.nodes if k.startswith("l")} == {"x", "w"}
    plain = rendered(ag.Tensor([3.0, 4.0], name="data"))  # no graph at all: just the tensor
    assert len(plain.nodes) == 1 and "data (2,) float32 data [3., 4.]" == plain.text("l0")


# ============================================================================= modules
def test_parameter_names_and_clusters_follow_the_modules(rng):
    net, loss = net_loss(rng)
    d = rendered(loss)
    names = [d.text(k).split()[0] for k in d.nodes if k.startswith("l")]
    for name, _ in net.named_parameters():
        assert name in names
    assert "x" in names and "y" in names
    boxes = d.cluster_boxes()
    expected = {"Net", "inp Linear", "layers Sequential", "out Linear"}
    expected |= {f"layers.{i} Block" for i in range(2)} | {f"layers.{i}.fc Linear" for i in range(2)}
    expected |= {f"layers.{i}.act Sigmoid" for i in range(2)}
    assert set(boxes) == expected
    qual = {id(m): q for q, m in net.named_modules()}
    for n in recorded(loss):  # every op sits inside the box of its innermost module
        if n.scope:
            m = n.scope[-1]
            label = f"{qual[id(m)]} {type(m).__name__}".strip()
            x0, y0, x1, y1 = boxes[label]
            cx, cy = d.centre(f"op{n.seq}")
            assert x0 <= cx <= x1 and y0 <= cy <= y1, (n, label)
        else:
            cx, cy = d.centre(f"op{n.seq}")
            x0, y0, x1, y1 = boxes["Net"]
            assert not (x0 <= cx <= x1 and y0 <= cy <= y1)


def test_collapse_draws_modules_as_single_nodes(rng):
    net, loss = net_loss(rng, depth=3)
    full = rendered(loss, detail="compact", collapse=False)
    nodes = recorded(loss)
    assert len(full.nodes) == len(nodes) + 2 + len(list(net.parameters()))  # ops + x, y + parameters
    for level, modules in ((1, 3), (2, 3)):  # Net's children: inp, layers, out; then the 3 blocks
        d = rendered(loss, detail="compact", collapse=level)
        outside = sum(1 for n in nodes if len(n.scope) <= level)
        # a parameter stays a node when its module (Net + its path) is not below the level
        params = sum(1 for name, _ in net.named_parameters() if len(name.split(".")) <= level)
        assert len(d.nodes) == outside + 2 + params + modules
        texts = [d.text(k) for k in d.nodes if k.startswith("m")]
        assert len(texts) == modules
    d = rendered(loss, detail="compact", collapse=1)
    inp = next(d.text(k) for k in d.nodes if d.text(k).startswith("inp "))
    assert "Linear" in inp and "3 ops - 2 params (30 values)" in inp and "-> (5, 6)" in inp
    # by name, and by class: every Block, or every Linear wherever it is
    by_name = rendered(loss, detail="compact", collapse=["layers.1"])
    assert len(by_name.nodes) == len(full.nodes) - (4 + 2) + 1
    by_class = rendered(loss, detail="compact", collapse=[Linear])
    assert len(by_class.nodes) == len(full.nodes) - 5 * (3 + 2) + 5


def test_a_module_called_twice_is_two_clusters_and_two_collapsed_nodes(rng):
    act, lin = Sigmoid(), Linear(3, 3, rng)

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.act, self.lin = act, lin

        def forward(self, x):
            return self.act(self.lin(self.act(self.lin(x))))

    m = Twice()
    y = m(ag.Tensor(rng.standard_normal((2, 3)), name="x")).sum()
    d = rendered(y, detail="compact")
    assert {"act Sigmoid call 1 of 2", "act Sigmoid call 2 of 2", "lin Linear call 1 of 2"} <= set(d.cluster_boxes())
    c = rendered(y, detail="compact", collapse=1)
    modules = [k for k in c.nodes if k.startswith("m")]
    assert len(modules) == 4  # lin, act, lin, act: a chain, no loop
    chain = [(s, t) for s, t in c.edges if s in modules and t in modules]
    assert len(chain) == 3
    # the shared weights sit outside both calls and feed each of them
    w = next(k for k in c.nodes if c.text(k).startswith("lin.weight"))
    assert sum(1 for s, t in c.edges if s == w) == 2


# ============================================================================= gradient flow
def test_gradient_colouring_appears_after_backward_only(rng):
    net, loss = net_loss(rng)
    before = rendered(loss, grad_flow=True)
    assert not (before.all_fills() & set(draw_style.VIRIDIS))
    assert "gradient norm" not in before.caption() and "no gradients yet" in before.caption()
    loss.backward()
    after = rendered(loss, grad_flow=True)
    assert after.all_fills() & set(draw_style.VIRIDIS)
    assert "gradient norm |grad|" in after.caption() and "NaN/inf" in after.caption()
    plain = rendered(loss)  # colouring is an option
    assert not (plain.all_fills() & GRAD_COLOURS)
    # each parameter's colour is the one its gradient norm gets on the drawing's scale
    norms = [grad_norm(n.grad) for n in recorded(loss)] + [grad_norm(p.grad.data) for p in net.parameters()]
    scale = GradScale(norms)
    for name, p in net.named_parameters():
        k = next(k for k in after.nodes if after.text(k).startswith(name + " "))
        assert scale.color(grad_norm(p.grad.data))[0] in after.fills(k)


def test_vanishing_gradients_of_a_deep_sigmoid_network_are_visible():
    """Nielsen ch. 5: with N(0, 1) weights, earlier layers of a sigmoid net learn much slower."""
    rng = np.random.default_rng(0)
    sizes = [16, 12, 12, 12, 12, 4]
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers += [Linear(n_in, n_out, rng, scale=1.0), Sigmoid()]
    net = nn.Sequential(*layers)
    x = ag.Tensor(rng.standard_normal((8, sizes[0])), name="x")
    y = ag.Tensor(rng.random((8, sizes[-1])), name="y")
    loss = ((net(x) - y) ** 2).mean()
    loss.backward()
    d = rendered(loss, grad_flow=True, collapse=1)
    speed = [
        grad_norm(np.concatenate([lin.weight.grad.data.ravel(), lin.bias.grad.data.ravel()])) for lin in layers[::2]
    ]
    assert speed[0] < speed[-1] / 10  # the effect being drawn
    colour_index = []
    for i in range(0, len(layers), 2):
        k = next(k for k in d.nodes if d.text(k).startswith(f"{i} Linear"))
        assert f"|grad params| {speed[i // 2]:.4g}" in d.text(k)
        fill = d.fills(k) & set(draw_style.VIRIDIS)
        colour_index.append(draw_style.VIRIDIS.index(fill.pop()))
    assert colour_index[0] < colour_index[-1]  # darker = smaller, at a glance


def test_nan_and_inf_gradients_are_red():
    w = ag.Tensor([1.0, -1.0, 4.0], requires_grad=True, name="w")
    with np.errstate(invalid="ignore"):
        q = (w.sqrt() * 0.0).sum()
    q.backward()
    d = rendered(q, grad_flow=True)
    w_id = next(k for k in d.nodes if d.text(k).startswith("w "))
    assert draw_style.BAD in d.fills(w_id)
    assert draw_style.BAD not in d.fills(next(k for k in d.nodes if "sum" in d.text(k).split()))


# ============================================================================= big graphs
def test_max_nodes_says_what_it_left_out():
    x = ag.Tensor(0.5, requires_grad=True, name="x")
    y = x
    for _ in range(300):
        y = (y * 1.01).tanh()
    d = rendered(y, detail="compact", max_nodes=50)
    assert len(d.nodes) == 50
    more = d.text("more")
    assert f"{600 + 1 - 49:,} more nodes not drawn" in more and "tanh" in more and "mul" in more
    assert any(s == "more" for s, _ in d.edges)
    assert f"{600 + 1 - 49:,} nodes left out (max_nodes=50)" in d.caption()


def test_deep_graph_draws_without_recursion():
    x = ag.Tensor(1.0, requires_grad=True, name="x")
    y = x
    for _ in range(20_000):
        y = y * 1.0001
    dot = to_dot(y)  # 20,000 ops: kept to max_nodes, nearest the output first
    assert dot.count("->") == 998 + 1 and "more nodes not drawn" in dot  # a chain of 999, and 'more'
    assert dot.count("[shape=") == 1000
    y.backward()
    assert "more nodes not drawn" in to_dot(y, max_nodes=100)


def test_2000_op_graph_renders_with_collapse_as_one_node_per_block(rng):
    net, loss = net_loss(rng, width=8, depth=500, batch=4)
    loss.backward()
    assert len(recorded(loss)) > 2000
    start = time.perf_counter()
    g = ag.draw(loss, collapse=2, grad_flow=True)
    svg = g.pipe(format="svg")
    elapsed = time.perf_counter() - start
    d = Drawing(svg)
    assert len(d.nodes) == g.graph_info["nodes"] and g.graph_info["modules"] == 500  # the blocks
    # what keeps it fast is the size of the drawing, not the 2,000 ops: one node per collapsed block
    # plus the few ops outside them (a bound on nodes, not on wall time, which flakes under load)
    assert 500 <= g.graph_info["nodes"] <= 520 and g.graph_info["left_out"] == 0
    print(f"\n2,000+ op graph ({len(recorded(loss))} ops), collapse=2: drawn and rendered in {elapsed:.2f}s")
    auto = ag.draw(loss)  # too many nodes: collapsed only as far as needed
    assert auto.graph_info["nodes"] <= 1000 and auto.graph_info["left_out"] == 0


# ============================================================================= rendering
def pure_binary() -> str:
    for path in (Path(sys.executable).parent / "graphviz-pure", shutil.which("graphviz-pure")):
        if path and Path(path).is_file():
            return str(path)
    pytest.skip("graphviz-pure is not installed")


def test_no_system_dot_renders_through_graphviz_pure(tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("GRAPHGRAD_DOT", raising=False)
    assert shutil.which("dot") is None
    assert Path(render.dot_binary()).name.startswith("graphviz-pure")
    _, L = micrograd()
    g = ag.draw(L)
    out = g.render(outfile=tmp_path / "L.svg")
    assert len(Drawing(Path(out).read_bytes()).nodes) == 10
    bundle = g._repr_mimebundle_()  # what Jupyter displays
    assert len(Drawing(bundle["image/svg+xml"]).nodes) == 10
    assert g.pipe(format="png")[:4] == b"\x89PNG"


def test_a_system_dot_is_preferred(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "dot").symlink_to(pure_binary())  # a real program called dot, first on PATH
    monkeypatch.setenv("PATH", str(bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    monkeypatch.delenv("GRAPHGRAD_DOT", raising=False)
    assert render.dot_binary() == str(bin_dir / "dot")
    _, L = micrograd()
    assert len(Drawing(ag.draw(L).pipe(format="svg")).nodes) == 10
    monkeypatch.setenv("GRAPHGRAD_DOT", pure_binary())
    assert render.dot_binary() == pure_binary()


def test_save_svg_and_dot_text(tmp_path):
    _, L = micrograd()
    path = save_svg(L, tmp_path / "L.svg", title="L = (a*b + c) * f")
    d = Drawing(Path(path).read_bytes())
    assert len(d.nodes) == 10 and "L = (a*b + c) * f" in d.caption()
    dot = Path(save_svg(L, tmp_path / "L.dot")).read_text()
    assert dot.startswith("digraph") and dot == to_dot(L)
    again = Drawing(subprocess.run([render.dot_binary(), "-Tsvg"], input=dot.encode(), capture_output=True).stdout)
    assert set(again.nodes) == set(d.nodes)
    drawn = ag.draw(L)
    assert len(Drawing(Path(save_svg(drawn, tmp_path / "g.svg")).read_bytes()).nodes) == 10


def test_import_autograd_does_not_import_graphviz():
    code = "import sys, autograd; autograd.draw.to_dot(autograd.ones(2, requires_grad=True).sum()); "
    code += "print('graphviz' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_compact_detail_folds_scalar_constants(rng):
    x = ag.Tensor(rng.standard_normal((2, 2)), requires_grad=True, name="x")
    y = (1.0 - x).mean()
    d = rendered(y, detail="compact")
    assert len(d.nodes) == len(recorded(y)) + 1  # ops and the leaf: constants are inside the ops
    texts = [d.text(k) for k in d.nodes]
    assert any(t.startswith("sub(1, _)") for t in texts) and any(t.startswith("div(_, 4)") for t in texts)


# ============================================================================= command line
def tiny_model():
    rng = np.random.default_rng(1)
    net = nn.Sequential(Linear(4, 5, rng), Sigmoid(), Linear(5, 2, rng))
    x = ag.Tensor(rng.standard_normal((3, 4)))
    y = ag.Tensor(rng.standard_normal((3, 2)))
    return net, (lambda out, target: ((out - target) ** 2).mean()), x, y


def test_command_line_draws_a_training_step(tmp_path, capsys):
    out = tmp_path / "tiny.svg"
    assert main(["tiny", "--out", str(out)], registry={"tiny": tiny_model}) == 0
    d = Drawing(out.read_bytes())
    texts = " ".join(d.text(k) for k in d.nodes)
    for name in ("0.weight", "0.bias", "2.weight", "2.bias", "loss"):
        assert name in texts
    assert "gradient norm" in d.caption() and d.all_fills() & set(draw_style.VIRIDIS)
    assert main(["tiny", "--out", str(tmp_path / "c.svg"), "--collapse", "1"], registry={"tiny": tiny_model}) == 0
    assert len(Drawing((tmp_path / "c.svg").read_bytes()).nodes) < len(d.nodes)
    assert main(["--list"], registry={"tiny": tiny_model}) == 0 and "tiny" in capsys.readouterr().out
    assert main(["nope"], registry={"tiny": tiny_model}) == 2


def test_draw_training_step(rng):
    net, loss_fn, x, y = tiny_model()
    g = ag.draw.draw_training_step(net, loss_fn, x, y, collapse=1)
    d = Drawing(g.pipe(format="svg"))
    assert g.graph_info["modules"] == 3 and all(p.grad is not None for p in net.parameters())
    assert d.all_fills() & set(draw_style.VIRIDIS)


# ============================================================================= drawings that teach
def small_convnet(rng, batch=2):
    ag.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3), nn.ReLU(),
        nn.AvgPool2d(2), nn.Flatten(), nn.Linear(6, 3),
    )  # fmt: skip
    x = ag.Tensor(rng.standard_normal((batch, 1, 8, 8)).astype(np.float32), name="images")
    return net, x, nn.CrossEntropyLoss()(net(x), np.arange(batch) % 3)


@pytest.mark.parametrize("after_backward", [False, True])
def test_a_convolution_is_one_op_with_the_learners_image_as_input(rng, after_backward):
    net, x, loss = small_convnet(rng)
    if after_backward:
        loss.backward()
    d = rendered(loss, params=net)
    texts = {k: d.text(k) for k in d.nodes}
    image = [k for k, t in texts.items() if t.startswith("images (2, 1, 8, 8) float32")]
    assert len(image) == 1  # the learner's own batch, with its name and shape
    convs = [k for k, t in texts.items() if t.startswith("conv2d ")]
    assert len(convs) == 2 and (image[0], convs[0]) in d.edges
    assert "padding=1" in texts[convs[0]] and "padding" not in texts[convs[1]]  # settings as written
    assert any((k, convs[0]) in d.edges for k, t in texts.items() if t.startswith("0.weight"))
    for name in ("max_pool2d", "avg_pool2d", "cross_entropy"):
        assert sum(t.startswith(name) for t in texts.values()) == 1, name
    shown = " ".join(texts.values())
    for primitive in ("sliding_window", "addmm", "window_totals", "permute", "(9, 128)"):
        assert primitive not in shown  # the implementation (im2col) is not drawn
    inner = rendered(loss, params=net, implementation=True, collapse=False)  # ... unless asked for
    inner_text = " ".join(inner.text(k) for k in inner.nodes)
    assert "sliding_window" in inner_text and "addmm" in inner_text
    assert any(" ".join(inner.texts(c)).strip() == "conv2d" for c in inner.clusters)  # boxed by its name


@pytest.mark.parametrize("after_backward", [False, True])
@pytest.mark.parametrize("loss_fn", [nn.functional.cross_entropy, ag.cross_entropy])
def test_cross_entropy_is_one_op_with_the_learners_labels_as_its_second_input(rng, loss_fn, after_backward):
    logits = ag.Tensor(rng.standard_normal((100, 3)), requires_grad=True, name="logits")
    labels = ag.Tensor(np.arange(100) % 3, name="labels")  # (more than drawings keep the values of)
    loss = loss_fn(logits, labels)
    if after_backward:
        loss.backward()
    d = rendered(loss)
    texts = {k: d.text(k) for k in d.nodes}
    (op,) = [k for k, t in texts.items() if t.startswith("cross_entropy")]
    assert sorted(texts[s].split()[0] for s, t in d.edges if t == op) == ["labels", "logits"]
    assert "(100,) int64" in " ".join(texts.values())


def test_a_convolution_of_a_tensor_that_requires_grad_draws_it_as_its_input(rng):
    x = ag.Tensor(rng.standard_normal((1, 2, 5, 5)), requires_grad=True, name="x")
    w = ag.Tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True, name="w")
    y = nn.functional.conv2d(x, w, padding=1).sum()
    d = rendered(y, detail="compact")
    texts = {k: d.text(k) for k in d.nodes}
    conv = next(k for k, t in texts.items() if t.startswith("conv2d"))
    assert {texts[s].split()[0] for s, t in d.edges if t == conv} == {"x", "w"}
    assert len(d.nodes) == 4  # x, w, conv2d, sum


def gate_labels(d: Drawing) -> list[str]:
    return [d.text(k).split()[0] for k in d.nodes]


def test_a_gru_step_is_drawn_as_its_recurrent_matmul_and_one_gru_gates_node(rng):
    ag.manual_seed(0)
    layer = nn.GRU(3, 4)
    out, _ = layer(ag.Tensor(rng.standard_normal((3, 2, 3)).astype(np.float32)))
    for detail in ("compact", "full"):
        labels = gate_labels(Drawing(ag.draw(out.sum(), params=layer, detail=detail).pipe(format="svg")))
        assert labels.count("gru_gates") == 3, (detail, labels)  # r, z, n and the new state: one op per step
        assert labels.count("linear") == 3 + 2, (detail, labels)  # one recurrent matmul per step, two input ones
        assert not any(name in labels for name in ("sigmoid", "tanh", "lerp", "addcmul"))


@pytest.mark.parametrize("cell, gates", [("LSTM", ["i", "f", "g", "o"])])
def test_recurrent_gates_carry_the_names_of_the_equations(rng, cell, gates):
    ag.manual_seed(0)
    layer = getattr(nn, cell)(3, 4)
    out, _ = layer(ag.Tensor(rng.standard_normal((3, 2, 3)).astype(np.float32)))
    loss = out.sum()
    for detail in ("compact", "full"):
        g = ag.draw(loss, params=layer, detail=detail)
        d = Drawing(g.pipe(format="svg"))
        labels = gate_labels(d)
        edge_labels = [" ".join(Drawing.texts(e)) for e in d.root.iter(f"{SVG}g") if e.get("class") == "edge"]
        named = labels if detail == "compact" else edge_labels
        for gate in gates:
            assert named.count(gate) == 3, (detail, gate)  # once per time step
        assert not any(re.match(r"output ?\d", t) for t in labels + edge_labels)
    assert 'rankdir="LR"' in to_dot(loss, params=layer)  # time steps read left to right


def test_a_resnet_step_is_drawn_collapsed_to_a_readable_size_and_says_how_to_expand(rng):
    from nn import models

    ag.manual_seed(0)
    model = models.resnet()
    x = ag.Tensor(rng.standard_normal((2, 1, 28, 28)).astype(np.float32))
    loss = nn.CrossEntropyLoss()(model(x), np.array([1, 2]))
    g = ag.draw(loss, params=model)
    svg = g.pipe(format="svg", encoding="utf-8")
    width, height = (float(v) for v in re.search(r'<svg width="(\d+)pt" height="(\d+)pt"', svg).groups())
    assert height < 2000 and width < 2000  # was 24,815 pixels tall
    d = Drawing(svg)
    assert "collapse=2" in d.caption() and "collapse=False" in d.caption()
    assert sum(d.text(k).split()[1:2] == ["Residual"] for k in d.nodes) == 6  # one node per block
    full = ag.draw(loss, params=model, collapse=False)
    assert full.graph_info["nodes"] > 100 and full.graph_info["modules"] == 0


def test_saving_to_a_format_the_renderer_cannot_write_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GRAPHGRAD_DOT", pure_binary())
    _, L = micrograd()
    with pytest.raises(render.FormatError, match=r"'pdf'.*'graphviz-pure'.*svg, png.*install Graphviz") as e:
        save_svg(L, tmp_path / "L.pdf")
    assert e.value.__cause__ is None and e.value.__suppress_context__ is False
    with pytest.raises(render.FormatError, match="'pdf'"):
        ag.draw(L).render(outfile=tmp_path / "L2.pdf")
    assert main(["tiny", "--out", str(tmp_path / "t.pdf")], registry={"tiny": tiny_model}) == 2
    assert "install Graphviz" in capsys.readouterr().err
    assert save_svg(L, tmp_path / "L.png")  # what it can write still works


def test_op_scope_draws_any_composite_as_one_op(rng):
    from autograd.graph import op_scope

    @op_scope("smooth_l1")
    def smooth_l1(a, b):
        d = (a - b).abs()
        return ag.where(d.data < 1, 0.5 * d * d, d - 0.5).mean()

    x = ag.Tensor(rng.standard_normal(5), requires_grad=True, name="x")
    target = ag.Tensor(rng.standard_normal(5), name="target")
    with op_scope("scaled"):
        y = smooth_l1(x, target) * 3.0
    d = rendered(y, detail="compact")
    texts = {k: d.text(k) for k in d.nodes}
    assert [t.split()[0] for t in texts.values()].count("scaled") == 1  # the outermost call: one node
    assert {texts[s].split()[0] for s, _ in d.edges} == {"x", "target"}
    assert len(rendered(y, detail="compact", implementation=True, collapse=False).nodes) > len(d.nodes)


def test_an_unrolled_cell_reads_left_to_right_a_shared_activation_does_not(rng):
    ag.manual_seed(0)
    cell = nn.RNNCell(2, 3)
    h = None
    for _ in range(4):
        h = cell(ag.Tensor(rng.standard_normal((1, 2)).astype(np.float32)), h)
    assert 'rankdir="LR"' in to_dot(h.sum(), params=cell)
    act, lin = nn.ReLU(), [nn.Linear(3, 3) for _ in range(3)]
    x = ag.Tensor(rng.standard_normal((1, 3)).astype(np.float32))
    y = act(lin[2](act(lin[1](act(lin[0](act(x)))))))  # one ReLU module called 4 times: still top to bottom
    assert 'rankdir="TB"' in to_dot(y.sum(), detail="compact")


@pytest.mark.parametrize("detail", ["compact", "full"])
def test_optional_inputs_not_given_are_not_drawn(detail):
    """``attention`` without a mask or dropout gets None for them: no 'None' boxes, no 'attention(_, None)'."""
    q = ag.Tensor(np.ones((2, 3, 4)), requires_grad=True)
    dot = to_dot(ag.attention(q, q, q, scale=0.5).sum(), detail=detail)
    assert "attention" in dot and "None" not in dot
