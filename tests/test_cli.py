"""Smoke tests of the ``graphgrad`` console command (``nn.cli:main``): demo, gradcheck, graph.

Most run ``nn.cli.main([...])`` in-process; one runs ``python -m nn.cli`` as a separate process,
the way the installed console script does.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib import metadata
from pathlib import Path

import pytest

from autograd.drawing import render
from autograd.gradcheck.cases import primitives
from nn import cli
from nn.models import REGISTRY

REPO = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.skipif(
    render.dot_binary() is None, reason="no dot or graphviz-pure program: pip install 'graphgrad[draw]'"
)


def _svg_nodes(path: Path) -> list[ET.Element]:
    """Parse the file as SVG XML; return its graph nodes (``<g class="node">``)."""
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]


def _svg_text(path: Path) -> str:
    return " ".join(t.text or "" for t in ET.parse(path).getroot().iter(f"{SVG}text"))


def test_console_script_points_at_nn_cli_main():
    try:
        scripts = metadata.entry_points(group="console_scripts")
    except metadata.PackageNotFoundError:  # pragma: no cover
        pytest.skip("graphgrad is not installed")
    found = [ep for ep in scripts if ep.name == "graphgrad"]
    if not found:
        pytest.skip("graphgrad is not installed as a distribution (no console script)")
    assert found[0].value == "nn.cli:main"
    assert found[0].load() is cli.main


# =============================================================== demo
_SECTIONS = ("1. An expression", "2. Checking those gradients", "3. Training an MLP", "4. Drawing one training step")


@needs_dot
def test_demo_writes_an_svg_and_prints_the_four_sections(tmp_path, capsys):
    out = tmp_path / "tmp.svg"
    assert cli.main(["demo", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    positions = [printed.find(s) for s in _SECTIONS]
    assert -1 not in positions and positions == sorted(positions), printed
    assert "gradcheck passed" in printed
    assert str(out) in printed
    nodes = _svg_nodes(out)
    assert len(nodes) >= 5
    text = _svg_text(out)
    assert "Linear" in text and "4.bias" in text  # clustered by module, parameters named after the model


@needs_dot
def test_demo_runs_as_a_separate_process(tmp_path):
    out = tmp_path / "demo.svg"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run(
        [sys.executable, "-m", "nn.cli", "demo", "--out", str(out)],
        cwd=tmp_path,  # run elsewhere: the test sees everything it writes
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    for section in _SECTIONS:
        assert section in proc.stdout
    assert len(_svg_nodes(out)) >= 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.svg"]  # nothing else written


# =============================================================== gradcheck
_OP_LINE = re.compile(r"^  (\w+)\s+(pass|FAIL)\s+1st-order max rel err")


def test_gradcheck_checks_every_primitive(capsys):
    assert cli.main(["gradcheck"]) == 0
    lines = capsys.readouterr().out.splitlines()
    checked = [m.groups() for m in map(_OP_LINE.match, lines) if m]
    names = sorted(primitives())
    assert len(names) > 30
    assert [name for name, _ in checked] == names  # one line per primitive, in name order
    assert all(status == "pass" for _, status in checked)
    assert lines[-1].startswith(f"all {len(names)} primitives pass")


def test_gradcheck_on_a_subset_of_ops(capsys):
    assert cli.main(["gradcheck", "matmul", "exp", "--first-order"]) == 0
    lines = capsys.readouterr().out.splitlines()
    checked = [m.group(1) for m in map(_OP_LINE.match, lines) if m]
    assert checked == ["matmul", "exp"]
    assert "2nd-order" not in "\n".join(lines)  # --first-order skips the second derivatives
    assert lines[0].startswith("graphgrad gradcheck: 2 primitives")
    assert lines[-1].startswith("all 2 primitives pass")


def test_gradcheck_unknown_op_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["gradcheck", "no_such_op"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "unknown op(s): no_such_op" in err and "matmul" in err


# =============================================================== graph
@needs_dot
@pytest.mark.parametrize(("model", "module"), [("lenet", "Conv2d"), ("gru_lm", "GRU")])
def test_graph_draws_a_model_as_svg(model, module, tmp_path, capsys):
    out = tmp_path / "tmp.svg"
    assert cli.main(["graph", model, "--out", str(out)]) == 0
    reported = re.search(r"wrote .*: (\d+) ops recorded, (\d+) nodes drawn", capsys.readouterr().err)
    assert reported, "graph should say what it wrote"
    ops, drawn = map(int, reported.groups())
    nodes = _svg_nodes(out)
    assert ops > 10 and len(nodes) == drawn
    text = _svg_text(out)
    assert f"{model}: one training step" in text  # the default caption
    assert module in text  # ops are grouped by the modules that ran them
    assert "gradient norm" in text  # grad_flow legend: the step's backward ran


def test_graph_list_names_every_registered_model(capsys):
    assert cli.main(["graph", "--list"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("models: ")
    assert line[len("models: ") :].split(", ") == sorted(REGISTRY)
    assert {"lenet", "gru_lm"} <= set(REGISTRY)


def test_graph_unknown_model_fails_and_lists_the_models(tmp_path, capsys):
    out = tmp_path / "x.svg"
    assert cli.main(["graph", "no_such_model", "--out", str(out)]) != 0
    err = capsys.readouterr().err
    assert "unknown model 'no_such_model'" in err
    assert all(name in err for name in REGISTRY)
    assert not out.exists()


def test_graph_without_a_model_fails_and_lists_the_models(capsys):
    assert cli.main(["graph"]) != 0
    assert "lenet" in capsys.readouterr().out


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([])
    assert exit_info.value.code == 2
    assert "demo" in capsys.readouterr().err
