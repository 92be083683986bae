"""``autograd.backward_steps``: the reverse sweep as frames, checked against the engine's own sweep.

The engine's order is observed with a hook on every node (hooks run as the engine takes each
node), its gradients with ``record_gradients`` (every node keeps its output gradient) and the
leaves' ``.grad``. The HTML page is opened in a real headless browser where one is installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

import autograd as ag
import nn
from autograd.drawing import render
from autograd.drawing.scene import Graph
from autograd.drawing.steps import BackwardSteps
from autograd.function import Select, Slot

F64 = np.float64


def graph_nodes(t):
    return Graph._collect((t,))


def engine_sweep(loss):
    """The engine's order (node by node) and every node's output gradient, from a real backward."""
    order = []
    for n in graph_nodes(loss):
        n.hooks = [lambda g, n=n: order.append(n)]  # runs when the engine takes the node
    with ag.record_gradients():
        loss.backward()
    return order


def as_array(g):
    return g._data if isinstance(g, ag.Tensor) else np.asarray(g)


def assert_same(a, b):
    if isinstance(a, Slot) or isinstance(b, Slot):
        assert isinstance(a, Slot) and isinstance(b, Slot)
        assert sorted(a.grads) == sorted(b.grads)
        for k in a.grads:
            assert_same(a.grads[k], b.grads[k])
        return
    a, b = as_array(a), as_array(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def check_against_engine(loss, leaves, **options):
    """Frames first (nothing may change), then the engine; same order, same values."""
    nodes = graph_nodes(loss)
    before = [(n.grad, n.released) for n in nodes]
    steps = ag.backward_steps(loss, **options)
    assert [(n.grad, n.released) for n in nodes] == before, "backward_steps changed the graph"
    assert all(t.grad is None for t in leaves), "backward_steps accumulated a gradient"
    assert [f.node for f in steps] == sorted(nodes, key=lambda n: -n.seq)  # newest first, as the engine
    order = engine_sweep(loss)  # the graph is still whole: backward runs normally
    assert [f.node for f in steps] == order
    for f in steps:
        assert_same(f.grad, f.node.grad)
    for t in leaves:  # each leaf's total: the sum of what the frames sent it
        sent = [s.grad for f in steps for s in f.sends if s.target is t]
        assert sent, t.name
        assert_same(sum(sent[1:], sent[0]), t.grad)
        assert_same(steps.leaf_grads[id(t)], t.grad)
    return steps


def test_micrograd_expression():
    a = ag.Tensor(2.0, requires_grad=True, name="a", dtype=F64)
    b = ag.Tensor(-3.0, requires_grad=True, name="b", dtype=F64)
    c = ag.Tensor(10.0, requires_grad=True, name="c", dtype=F64)
    e = a * b
    e.name = "e"
    d = e + c
    d.name = "d"
    f = ag.Tensor(-2.0, requires_grad=True, name="f", dtype=F64)
    L = (d * f).tanh() + a * a  # a used three times: its gradient adds up
    L.name = "L"
    steps = check_against_engine(L, [a, b, c, f])
    assert len(steps) == 6 and [fr.op for fr in steps][:2] == ["add", "mul"]
    mul_e = next(fr for fr in steps if fr.name == "e")
    text = mul_e.text()
    assert "d(a*b)/da = b = -3" in text and "d(a*b)/db = a = 2" in text
    assert f"dL/de = {mul_e.grad:.4g}" in text
    assert "d tanh(" in steps[1].text() or "d tanh(" in steps[2].text()


def test_broadcasting_tensor_expression(rng):
    x = ag.Tensor(rng.standard_normal((3, 1)), requires_grad=True, name="x")
    y = ag.Tensor(rng.standard_normal(4), requires_grad=True, name="y")
    w = ag.Tensor(rng.standard_normal((3, 4)), requires_grad=True, name="w")
    out = ((x * y + w).sigmoid() / (1.0 + y**2)).mean()
    steps = check_against_engine(out, [x, y, w])
    to_x = next(s for fr in steps for s in fr.sends if s.target is x)
    assert to_x.grad.shape == (3, 1)  # summed back over the broadcast axis
    assert steps.leaf_grads[id(y)].shape == (4,)


def test_one_training_step_of_a_small_mlp(rng):
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 3)).to(F64)
    x = ag.Tensor(rng.standard_normal((6, 4)))
    y = rng.integers(0, 3, 6)
    loss = nn.CrossEntropyLoss()(model(x), y)
    steps = check_against_engine(loss, list(model.parameters()), params=model)
    assert [f.op for f in steps] == ["cross_entropy", "linear", "relu", "linear", "relu", "linear"]
    text = steps.text()
    for name, _ in model.named_parameters():
        assert f"to {name}:" in text  # parameters go by their names in the model
    assert "d(relu2 @ 4.weight^T + 4.bias)/d4.weight = relu2" in text


def test_multi_output_ops_split_and_unbind(rng):
    x = ag.Tensor(rng.standard_normal((4, 6)), requires_grad=True, name="x")
    a, b, c = ag.split(x * 2.0, 2, dim=1)
    rows = ag.unbind(a, dim=0)
    out = (rows[0] * rows[3]).sum() + (b.tanh() * 3.0).sum()  # c unused; rows 1, 2 unused
    steps = check_against_engine(out, [x])
    kinds = [type(f.node.op) is Select for f in steps]
    assert sum(kinds) == 4  # a, b, rows[0], rows[3]: one pass-through step each
    split_frames = [f for f in steps if f.op == "split"]
    assert len(split_frames) == 2  # the unbind, then the split, each once with all its pieces
    assert isinstance(split_frames[0].grad, Slot) and sorted(split_frames[0].grad.grads) == [0, 3]


def test_gru_gates_step_by_step(rng):
    ag.manual_seed(0)
    gru = nn.GRU(3, 4).to(F64)
    out, _ = gru(ag.Tensor(rng.standard_normal((3, 2, 3))))
    loss = out.sum()
    steps = check_against_engine(loss, list(gru.parameters()), params=gru)
    assert [f.op for f in steps].count("gru_gates") == 3  # one step of the sweep per time step


def test_refuses_a_released_graph_and_a_graph_too_large():
    x = ag.Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"already released by backward\(\).*retain_graph=True"):
        ag.backward_steps(y)
    z = x
    for _ in range(30):
        z = z * 1.5
    with pytest.raises(ValueError, match=r"31 nodes, more than max_frames=20 .*max_frames=31.*collapse=1"):
        ag.backward_steps(z.sum(), max_frames=20)
    with pytest.raises(RuntimeError, match="pass gradient="):
        ag.backward_steps(z)
    assert len(ag.backward_steps(z, gradient=np.ones(2, np.float32))) == 30
    with pytest.raises(RuntimeError, match="no recorded graph"):
        ag.backward_steps(x)


def test_retain_graph_after_backward_is_fine():
    x = ag.Tensor([1.0, 2.0], requires_grad=True, name="x")
    y = (x * x).sum()
    y.backward(retain_graph=True)
    g = x.grad.data.copy()
    steps = ag.backward_steps(y)
    np.testing.assert_array_equal(steps.leaf_grads[id(x)], g)
    np.testing.assert_array_equal(x.grad.data, g)  # untouched


# ============================================================================ the page
def small_mlp_steps(rng):
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3))
    loss = nn.functional.cross_entropy(model(ag.Tensor(rng.standard_normal((6, 4)).astype(np.float32))), [0, 1, 2] * 2)
    return ag.backward_steps(loss, params=model)


def test_page_is_self_contained(tmp_path, rng):
    steps = small_mlp_steps(rng)
    page = open(steps.save_html(tmp_path / "steps.html"), encoding="utf-8").read()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|@import|https?://(?!www\.w3\.org/)", page)
    assert page.count('class="node"') >= 10
    data = re.search(r'<script type="application/json" class="gg-frames">(.*?)</script>', page).group(1)
    assert data.count('"text"') == len(steps)  # one entry per frame
    fragment = steps._repr_html_()
    assert fragment.startswith("<style>") and "<svg" in fragment and "<html" not in fragment
    assert "data-standalone" not in fragment


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def dump_dom(path, query=""):
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", f"file://{path}{query}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed")
def test_page_plays_in_a_headless_browser(tmp_path, rng):
    steps = small_mlp_steps(rng)
    path = steps.save_html(tmp_path / "steps.html")
    k = 3
    dom = dump_dom(path, f"?step={k}")
    root = re.search(r'<div class="gg-steps"[^>]*>', dom).group(0)
    assert f'data-step="{k}"' in root and 'data-ready="1"' in root  # the script ran, at the step asked
    shown = re.search(r'<pre class="gg-text">([^<]*)</pre>', dom).group(1)
    first_line = steps[k - 1].text().splitlines()[0]
    assert shown.startswith(first_line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    current = re.findall(r'<g id="[^"]*" class="node gg-current">\s*<title>([^<]*)</title>', dom)
    assert current == [f"op{steps[k - 1].node.seq}"]
    marks = re.findall(r'class="gg-mark"[^>]*>grad ([^<]*)<', dom)
    assert len(marks) >= k  # the gradients known so far, written under their nodes
    dom0 = dump_dom(path)
    assert 'data-step="0"' in re.search(r'<div class="gg-steps"[^>]*>', dom0).group(0)
    assert "gg-mark" not in dom0.split("</style>", 1)[1].split("<script", 1)[0]


def test_without_a_renderer_the_notebook_view_is_the_text(monkeypatch, rng):
    steps = small_mlp_steps(rng)
    monkeypatch.setattr(render, "dot_binary", lambda: None)
    out = steps._repr_html_()
    assert "pip install graphviz-pure" in out and "step 1 of 4" in out
    assert isinstance(steps, BackwardSteps)


def test_large_gradients_are_kept_as_summaries(rng):
    x = ag.Tensor(rng.standard_normal((30, 40)), requires_grad=True, name="x")
    w = ag.Tensor(rng.standard_normal((40, 2)), requires_grad=True, name="w")
    loss = (x @ w).tanh().sum()
    small = ag.backward_steps(loss, keep_values=100)
    full = ag.backward_steps(loss)
    big = [s for f in small for s in f.sends if s.target is x][0]
    assert type(big.grad).__name__ == "Summary" and big.grad.shape == (30, 40)
    exact = [s for f in full for s in f.sends if s.target is x][0].grad
    assert f"|.| {np.linalg.norm(exact):.4g}" in big.grad.text
    np.testing.assert_array_equal(small.leaf_grads[id(x)], exact)  # the totals stay arrays
    w_send = [s for f in small for s in f.sends if s.target is w][0]
    assert isinstance(w_send.grad, np.ndarray)  # 80 elements: kept
    assert small.text().count("step ") == len(small) == 3


class SinCos(ag.Function):
    """A user Function with two outputs."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x.data), np.cos(x.data)

    @staticmethod
    def backward(ctx, gs, gc):
        (x,) = ctx.saved_tensors
        return gs * np.cos(x.data) - gc * np.sin(x.data)


def test_user_functions_with_several_outputs(rng):
    x = ag.Tensor(rng.standard_normal(3), requires_grad=True, name="x")
    s, c = SinCos.apply(x * 2.0)
    out = (s * c * 3.0).sum() + s.sum()
    steps = check_against_engine(out, [x])
    fn = next(f for f in steps if f.op == "SinCos")
    assert isinstance(fn.grad, Slot) and sorted(fn.grad.grads) == [0, 1]
    assert "the derivative rule of SinCos" in fn.text()


def test_a_bigger_model_plays_over_its_collapsed_drawing(tmp_path, rng):
    import json

    ag.manual_seed(0)
    model = nn.Sequential(*[nn.Sequential(nn.Linear(4, 4), nn.Sigmoid()) for _ in range(30)])
    loss = model(ag.Tensor(rng.standard_normal((2, 4)).astype(np.float32))).sum()
    steps = ag.backward_steps(loss, params=model)
    page = open(steps.save_html(tmp_path / "deep.html"), encoding="utf-8").read()
    assert "collapse=2 to open one more level" in page.replace("&#45;", "-")  # the drawing is collapsed
    titles = set(re.findall(r'<g id="node\d+" class="node">\s*<title>([^<]*)</title>', page))
    frames = json.loads(re.search(r'class="gg-frames">(.*?)</script>', page, re.S).group(1))
    assert len(frames) == len(steps) == 61
    assert all(f["node"] in titles for f in frames)  # every step highlights a drawn node: its block
    assert len({f["node"] for f in frames}) == 31 and sum(t.startswith("m") for t in titles) == 30


def test_each_input_of_a_variadic_op_has_its_own_line():
    a = ag.Tensor([1.0], requires_grad=True, name="a")
    b = ag.Tensor([2.0], requires_grad=True, name="b")
    c = ag.Tensor([3.0], requires_grad=True, name="c")
    text = ag.backward_steps(ag.cat([a, b, c]).sum()).text()
    for name in "abc":
        assert f"dL/d{name} += the slice of dL/dcat1 where {name} went" in text
