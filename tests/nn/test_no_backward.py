"""Issue 5's rule: nothing under ``nn/`` defines a derivative.

Every file of the package is parsed with ``ast`` and searched for the ways a
derivative could be written by hand: a ``Function`` subclass, a function or method
named ``backward``/``_backward``/``vjp`` (or ``*_vjp``/``jvp``), an assignment to
``vjps``, or an ``Op(...)`` primitive. Gradients in ``nn`` must come from the engine.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

NN_DIR = Path(__file__).resolve().parents[2] / "nn"
BANNED_NAMES = {"backward", "_backward", "vjp", "jvp", "vjps"}


def _name(node: ast.AST) -> str:
    """The last component of a (dotted) name: ``autograd.Function`` -> ``Function``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return _name(node.value)
    return ""


def violations(source: str, filename: str = "<source>") -> list[str]:
    """Every place in ``source`` that defines a derivative by hand."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                if _name(base) in ("Function", "FunctionOp", "Op"):
                    found.append(f"{where}: class {node.name} subclasses {_name(base)}")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name in BANNED_NAMES or node.name.endswith("_vjp"):
                found.append(f"{where}: defines {node.name}()")
        elif isinstance(node, ast.Call) and _name(node.func) in ("Op", "FunctionOp"):
            found.append(f"{where}: constructs a primitive {_name(node.func)}(...)")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for sub in ast.walk(t):
                    if _name(sub) in BANNED_NAMES or _name(sub).endswith("_vjp"):
                        found.append(f"{where}: assigns to {_name(sub)}")
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name in ("Function", "Op", "FunctionOp"):
                    found.append(f"{where}: imports {alias.name}")
    return found


def _nn_files() -> list[Path]:
    return sorted(NN_DIR.rglob("*.py"))


def test_the_scan_covers_the_package():
    names = {p.name for p in _nn_files()}
    assert {"module.py", "functional.py", "layers.py", "conv.py", "loss.py", "activation.py"} <= names


@pytest.mark.parametrize("path", _nn_files(), ids=lambda p: str(p.relative_to(NN_DIR)))
def test_nn_file_defines_no_derivative(path):
    problems = violations(path.read_text(encoding="utf-8"), str(path.relative_to(NN_DIR.parent)))
    assert not problems, "nn must not define derivatives (use autograd ops instead):\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "snippet",
    [
        "import autograd\nclass Square(autograd.Function):\n    pass\n",
        "from autograd import Function\n",
        "class Layer:\n    def backward(self, g):\n        return g\n",
        "def _backward(g):\n    return g\n",
        "def softmax_vjp(g, ans):\n    return g\n",
        "from autograd.graph import Op\nsquare = Op('square', lambda x: x * x, lambda g, ans, x: 2 * g * x)\n",
        "import autograd\nsq = autograd.Op('sq', abs)\n",
        "def patch(op):\n    op.vjps = (None,)\n",
    ],
)
def test_the_scan_catches_handwritten_derivatives(snippet):
    assert violations(snippet), snippet


def test_the_scan_allows_ordinary_layer_code():
    ok = "import autograd as ag\nclass Layer:\n    def forward(self, x):\n        return ag.relu(x).sum()\n"
    assert violations(ok) == []
