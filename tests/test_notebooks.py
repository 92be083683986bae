"""The notebooks as committed: one per lesson, each naming its seed chapter, carrying its outputs.

The suite also executes every notebook (nbmake, at the small sizes that ``tests/conftest.py``
switches on); these tests look at the files themselves, so that a notebook committed without
running it (no plots, no drawings, nothing printed) fails here even though it would execute.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))
SEEDS = ("Nielsen", "Andrew Ng", "Dive into Deep Learning")
QUICK_SWITCH = "GRAPHGRAD_NOTEBOOK_QUICK"
MAX_BYTES = 1_000_000
IMAGE_TYPES = ("image/png", "image/svg+xml", "image/jpeg")
SHOWING_CALLS = {"print", "display", "show", "draw"}  # a cell calling one of these must have output


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code" and _source(c).strip()]


def _should_show_something(source: str) -> bool:
    """True when a cell's code displays something: it ends with an expression, or calls print/display/show."""
    tree = ast.parse(source)
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        return True
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            if name in SHOWING_CALLS:
                return True
    return False


def test_the_nine_lessons_are_numbered_in_order():
    numbers = [int(re.match(r"(\d\d)_", p.name).group(1)) for p in NOTEBOOKS if re.match(r"\d\d_", p.name)]
    assert [p.name[:2] for p in NOTEBOOKS] == [f"{n:02d}" for n in numbers], "every notebook starts with NN_"
    assert numbers == list(range(1, 10)), f"expected notebooks 01_ to 09_, found {[p.name for p in NOTEBOOKS]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_opens_with_its_seed_chapter_and_ends_with_what_to_take_away(path):
    cells = _load(path)["cells"]
    first, last = cells[0], cells[-1]
    assert first["cell_type"] == "markdown", f"{path.name}: the first cell must be markdown"
    opening = _source(first)
    assert opening.startswith("# "), f"{path.name}: the first cell must start with the notebook's title"
    follows = re.search(r"\*\*Follows:\*\*(.+)", opening)
    assert follows, f"{path.name}: the first cell must say which seed chapter it follows ('**Follows:** ...')"
    assert any(seed in follows.group(1) for seed in SEEDS), f"{path.name}: name one of {SEEDS} in 'Follows:'"
    assert "What you will see" in opening, f"{path.name}: the first cell must say what the learner will see"
    assert last["cell_type"] == "markdown" and "What to take away" in _source(last), (
        f"{path.name}: the last cell must be a markdown 'What to take away' section"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_with_outputs_from_one_clean_run(path):
    nb = _load(path)
    cells = _code_cells(nb)
    counts = [c.get("execution_count") for c in cells]
    assert None not in counts, f"{path.name}: cells {[i for i, n in enumerate(counts) if n is None]} never ran"
    assert counts == list(range(1, len(cells) + 1)), f"{path.name}: not run top to bottom in one go: {counts}"
    errors = [o for c in cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{path.name}: committed with an error output: {errors[0].get('ename')}"
    silent = [i for i, c in enumerate(cells) if not c.get("outputs") and _should_show_something(_source(c))]
    assert not silent, f"{path.name}: code cells {silent} display something but were committed without output"
    with_output = sum(1 for c in cells if c.get("outputs"))
    assert with_output >= 0.6 * len(cells), f"{path.name}: only {with_output} of {len(cells)} code cells have output"
    images = [o for c in cells for o in c.get("outputs", []) if any(t in o.get("data", {}) for t in IMAGE_TYPES)]
    assert images, f"{path.name}: no plot or drawing among the outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_small_enough_to_read_on_a_code_host_and_training_reads_the_quick_switch(path):
    assert path.stat().st_size < MAX_BYTES, f"{path.name}: {path.stat().st_size:,} bytes (outputs too large?)"
    code = "\n".join(_source(c) for c in _code_cells(_load(path)))
    if "fit(" in code or ".step()" in code:  # it trains something: the suite must be able to shrink it
        assert QUICK_SWITCH in code, f"{path.name}: trains a model but does not read {QUICK_SWITCH}"


def test_the_suite_runs_the_notebooks_in_quick_mode():
    conftest = (Path(__file__).resolve().parent / "conftest.py").read_text(encoding="utf-8")
    assert f'"{QUICK_SWITCH}", "1"' in conftest


def test_the_output_check_catches_a_silent_cell():
    assert _should_show_something("x = 1\nx")
    assert _should_show_something("for i in range(2):\n    print(i)")
    assert _should_show_something("fig, ax = plt.subplots()\nplt.show()")
    assert not _should_show_something("def f(x):\n    return x\n\n\nY = f(2)")
