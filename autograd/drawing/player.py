"""The page that plays :func:`~autograd.drawing.steps.backward_steps`: drawing, slider, play button.

Everything is inline: the drawing as SVG, the frames as JSON, the style and the script, so the
page works offline and in a notebook. The script finds each drawn node by its ``<title>``
(Graphviz writes the DOT node name there), marks the current node, the inputs it sends
gradients to and the nodes already done, and writes each known gradient under its node.
``page.html?step=N`` opens at step N; the widget's ``data-step`` attribute says which step is
shown (a test reads it from the rendered page).
"""

from __future__ import annotations

import html
import uuid
from typing import Any

from . import render
from .steps import BackwardSteps, _json, drawn_ids

__all__ = ["page"]

STYLE = """
.gg-steps { font-family: Helvetica, Arial, sans-serif; font-size: 13px; color: #222; }
.gg-steps .gg-bar { display: flex; align-items: center; gap: 8px; margin: 6px 0; flex-wrap: wrap; }
.gg-steps .gg-bar button { font-size: 14px; min-width: 2.4em; padding: 2px 6px; cursor: pointer; }
.gg-steps .gg-bar input[type=range] { flex: 1; min-width: 160px; max-width: 600px; }
.gg-steps .gg-count { font-variant-numeric: tabular-nums; min-width: 7em; }
.gg-steps pre.gg-text { background: #fbf7ec; border: 1px solid #e0d6b8; border-radius: 6px; padding: 8px 10px;
  margin: 4px 0 8px 0; white-space: pre-wrap; font-size: 12.5px; line-height: 1.45; }
.gg-steps .gg-legend span { display: inline-block; padding: 1px 6px; margin-right: 6px; border-radius: 4px; }
.gg-steps .gg-drawing { overflow: auto; max-height: 80vh; border: 1px solid #ddd; border-radius: 6px; }
.gg-steps .gg-drawing svg { display: block; }
.gg-steps g.gg-current { filter: drop-shadow(0 0 5px #ff6a00) drop-shadow(0 0 3px #ff6a00); }
.gg-steps g.gg-receive { filter: drop-shadow(0 0 4px #1f77b4) drop-shadow(0 0 2px #1f77b4); }
.gg-steps g.gg-done { filter: drop-shadow(0 0 3px #2ca02c); }
.gg-steps g.gg-flow path { stroke: #ff6a00; stroke-width: 3px; }
.gg-steps g.gg-flow polygon { fill: #ff6a00; stroke: #ff6a00; }
.gg-steps text.gg-mark { font-size: 10px; font-family: Courier, monospace; fill: #b03000; font-weight: bold; }
"""

SCRIPT = r"""
(function () {
  var root = document.getElementById("__ID__");
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  var frames = JSON.parse(root.querySelector("script.gg-frames").textContent);
  var svg = root.querySelector(".gg-drawing svg");
  var nodes = {}, edges = {};
  if (svg) {
    svg.querySelectorAll("g.node").forEach(function (g) {
      var t = g.querySelector("title"); if (t) nodes[t.textContent.trim()] = g;
    });
    svg.querySelectorAll("g.edge").forEach(function (g) {
      var t = g.querySelector("title"); if (t) edges[t.textContent.trim().replace("->", "\u2192")] = g;
    });
  }
  var slider = root.querySelector("input.gg-slider"), count = root.querySelector(".gg-count");
  var text = root.querySelector("pre.gg-text"), play = root.querySelector("button.gg-play");
  var timer = null, current = 0;
  slider.max = String(frames.length);
  function mark(id, label) {
    var g = nodes[id]; if (!g) return;
    var box = g.getBBox();
    var t = document.createElementNS("http://www.w3.org/2000/svg", "text");
    t.setAttribute("class", "gg-mark"); t.setAttribute("text-anchor", "middle");
    t.setAttribute("x", box.x + box.width / 2); t.setAttribute("y", box.y + box.height + 10);
    t.textContent = "grad " + label;
    g.appendChild(t);
  }
  var pane = root.querySelector(".gg-drawing");
  function reveal(g) {  // scroll the drawing (only the drawing, not the page) to show node g
    var r = g.getBoundingClientRect(), p = pane.getBoundingClientRect();
    if (r.top < p.top || r.bottom > p.bottom) pane.scrollTop += (r.top + r.bottom) / 2 - (p.top + p.bottom) / 2;
    if (r.left < p.left || r.right > p.right) pane.scrollLeft += (r.left + r.right) / 2 - (p.left + p.right) / 2;
  }
  function show(k) {
    k = Math.max(0, Math.min(frames.length, k | 0));
    current = k; slider.value = String(k);
    root.querySelectorAll(".gg-current,.gg-receive,.gg-done,.gg-flow").forEach(function (e) {
      e.classList.remove("gg-current", "gg-receive", "gg-done", "gg-flow");
    });
    root.querySelectorAll("text.gg-mark").forEach(function (e) { e.remove(); });
    var marks = {};
    for (var j = 0; j < k; j++) {
      var f = frames[j];
      if (j < k - 1 && f.result && nodes[f.result]) nodes[f.result].classList.add("gg-done");
      for (var id in f.marks) marks[id] = f.marks[id];
    }
    for (var id2 in marks) mark(id2, marks[id2]);
    if (k === 0) {
      count.textContent = "before backward";
      text.textContent = "Press play (or drag the slider): the reverse sweep, one node per step, " +
        "in the order backward() takes them. " + frames.length + " steps.";
    } else {
      var fr = frames[k - 1];
      count.textContent = "step " + k + " of " + frames.length;
      text.textContent = fr.text;
      if (fr.node && nodes[fr.node]) { nodes[fr.node].classList.add("gg-current"); reveal(nodes[fr.node]); }
      fr.targets.forEach(function (t) {
        if (nodes[t]) nodes[t].classList.add("gg-receive");
        var e = edges[t + "\u2192" + fr.node] || edges[t + "\u2192" + fr.result];
        if (e) e.classList.add("gg-flow");
      });
    }
    root.dataset.step = String(k);
  }
  function stop() { if (timer) { clearInterval(timer); timer = null; } play.textContent = "play"; }
  play.addEventListener("click", function () {
    if (timer) { stop(); return; }
    if (current >= frames.length) show(0);
    play.textContent = "pause";
    timer = setInterval(function () { if (current >= frames.length) stop(); else show(current + 1); }, 900);
  });
  root.querySelector("button.gg-first").addEventListener("click", function () { stop(); show(0); });
  root.querySelector("button.gg-prev").addEventListener("click", function () { stop(); show(current - 1); });
  root.querySelector("button.gg-next").addEventListener("click", function () { stop(); show(current + 1); });
  root.querySelector("button.gg-last").addEventListener("click", function () { stop(); show(frames.length); });
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
  root.addEventListener("keydown", function (e) {
    if (e.key === "ArrowRight") { stop(); show(current + 1); }
    if (e.key === "ArrowLeft") { stop(); show(current - 1); }
  });
  var start = 0, m = /[?&]step=(\d+)/.exec(window.location.search || "");
  if (m && root.dataset.standalone) start = parseInt(m[1], 10);
  show(start);
})();
"""


def _widget(steps: BackwardSteps, svg: str | None, note: str | None, standalone: bool, frames: list) -> str:
    ident = f"gg-steps-{uuid.uuid4().hex[:10]}"
    parts = [
        f'<div class="gg-steps" id="{ident}" tabindex="0"' + (' data-standalone="1"' if standalone else "") + ">",
        '<div class="gg-bar">'
        '<button class="gg-first" title="before the first step">start</button>'
        '<button class="gg-prev" title="previous step (left arrow)">\u25c0 back</button>'
        '<button class="gg-play" title="play / pause">play</button>'
        '<button class="gg-next" title="next step (right arrow)">step \u25b6</button>'
        '<button class="gg-last" title="after the last step">end</button>'
        f'<input class="gg-slider" type="range" min="0" max="{len(frames)}" value="0" step="1"/>'
        '<span class="gg-count"></span></div>',
        '<pre class="gg-text"></pre>',
        '<div class="gg-legend"><span style="box-shadow:0 0 5px #ff6a00">current node</span>'
        '<span style="box-shadow:0 0 5px #1f77b4">gets a gradient now</span>'
        '<span style="box-shadow:0 0 4px #2ca02c">done</span>'
        '<span style="color:#b03000;font-family:Courier,monospace;font-weight:bold">grad ...</span>'
        "gradients known so far</div>",
    ]
    if note:
        parts.append(f"<p>{html.escape(note)}</p>")
    parts.append(f'<div class="gg-drawing">{svg or ""}</div>')
    parts.append(f'<script type="application/json" class="gg-frames">{_json(frames)}</script>')
    parts.append("<script>" + SCRIPT.replace("__ID__", ident) + "</script></div>")
    return "".join(parts)


def page(steps: BackwardSteps, standalone: bool = True, **draw_options: Any) -> str:
    """The player as HTML: a whole page (``standalone``), or a fragment for a notebook."""
    from .draw import _source

    options = dict(draw_options)
    options.setdefault("params", steps.params)
    options.setdefault("title", f"backward, step by step: {len(steps)} steps")
    keep: dict = {}
    source, _ = _source((steps.loss,), options, keep)
    note = None
    try:
        svg = render.pipe(source, format="svg")
        svg = svg[svg.index("<svg") :]  # inline: no XML declaration or doctype
    except render.NoGraphvizError as e:
        svg, note = None, f"(no drawing: {e})"
    frames = steps.frames_data(drawn_ids(keep["items"], keep["graph"]), keep["graph"])
    body = _widget(steps, svg, note, standalone, frames)
    style_block = f"<style>{STYLE}</style>"
    if not standalone:
        return style_block + body
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>graphgrad: backward, step by step ({len(steps)} steps)</title>{style_block}</head>"
        f"<body>{body}</body></html>\n"
    )
