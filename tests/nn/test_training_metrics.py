"""nn.training's metrics, History and its plots, and the progress output's format."""

from __future__ import annotations

import math
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
from nn.training import History, accuracy, confusion_matrix, perplexity
from nn.training.history import LivePlot, plot_confusion_matrix
from nn.training.progress import format_logs

REPO = Path(__file__).resolve().parents[2]


def test_accuracy_and_confusion_matrix_against_a_count_by_hand(rng):
    logits = rng.standard_normal((50, 4))
    target = rng.integers(0, 4, 50)
    pred = logits.argmax(1)
    assert accuracy(ag.tensor(logits), ag.tensor(target)) == pytest.approx(np.mean(pred == target))
    m = confusion_matrix(logits, target)
    expected = np.zeros((4, 4), int)
    for t, p in zip(target, pred):
        expected[t, p] += 1
    np.testing.assert_array_equal(m, expected)
    np.testing.assert_array_equal(confusion_matrix(pred, target, num_classes=6)[:4, :4], expected)
    assert m.sum() == 50 and np.trace(m) == np.sum(pred == target)
    with pytest.raises(ValueError, match="3 predictions but 2 targets"):
        accuracy(logits[:3], target[:2])


def test_confusion_matrix_matches_sklearn(rng):
    metrics = pytest.importorskip("sklearn.metrics")
    pred, target = rng.integers(0, 5, 80), rng.integers(0, 5, 80)
    np.testing.assert_array_equal(confusion_matrix(pred, target, 5), metrics.confusion_matrix(target, pred))


def test_perplexity():
    assert perplexity(0.0) == 1.0
    assert perplexity(math.log(65)) == pytest.approx(65)  # uniform over 65 characters
    assert perplexity(ag.tensor(1.0)) == pytest.approx(math.e, rel=1e-6)
    assert perplexity(1e4) == math.inf


def _history() -> History:
    h = History()
    for e in range(1, 5):
        h.append({"epoch": e, "loss": 1 / e, "accuracy": 1 - 0.5 / e, "val_loss": 1.2 / e,
                  "val_accuracy": 0.9 - 0.4 / e, "lr": 0.1 / e, "time": 0.5, "samples_per_s": 1000.0})  # fmt: skip
    h.grad_norms = {"0 Linear": [1e-3, 2e-3, 1e-3, 1e-3], "2 Linear": [1e-1, 2e-1, 1e-1, 1e-1]}
    return h


def test_history_columns_state_and_missing_values():
    h = _history()
    assert len(h) == 4 and h["epoch"] == [1, 2, 3, 4] and h.last["lr"] == 0.025
    h.append({"epoch": 5, "loss": 0.1})  # an epoch without validation
    assert math.isnan(h["val_loss"][-1]) and len(h["val_loss"]) == 5
    copy = History()
    copy.load_state_dict(h.state_dict())
    assert copy.history.keys() == h.history.keys() and copy["loss"] == h["loss"] and copy.grad_norms == h.grad_norms


def test_history_plot_writes_png_and_svg(tmp_path):
    h = _history()
    files = h.plot(tmp_path / "curves", title="a run")
    assert [f.name for f in files] == ["curves.png", "curves.svg"]
    assert files[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = ET.parse(files[1]).getroot()
    assert svg.tag.endswith("svg")
    text = files[1].read_text()
    for title in ("loss", "accuracy", "learning rate", "gradient norm per layer", "a run"):
        assert title in text, title
    assert h.plot(tmp_path / "only.svg") == [tmp_path / "only.svg"] and not (tmp_path / "only.png").exists()
    with pytest.raises(ValueError, match="nothing to plot"):
        History().plot(tmp_path / "empty")
    cm = plot_confusion_matrix(np.array([[5, 1], [0, 7]]), tmp_path / "cm", classes=["cat", "dog"])
    assert all(p.exists() for p in cm) and "dog" in cm[1].read_text()


def test_a_run_interrupted_after_an_epochs_gradient_norms_still_plots(tmp_path):
    h = History()
    h.append({"epoch": 1, "loss": 0.5})
    h.grad_norms = {"0": [1.0, 0.8]}  # epoch 2 recorded its gradient norms, then Ctrl-C came
    assert [f.name for f in h.plot(tmp_path / "curves")] == ["curves.png", "curves.svg"]


def test_plots_leave_matplotlib_global_state_alone(tmp_path):
    """Importing nn.training loads no matplotlib; plotting never imports pyplot or picks a backend."""
    code = (
        "import sys, nn, nn.training\n"
        "assert 'matplotlib' not in sys.modules, 'imported on import'\n"
        "from nn.training import History\n"
        "h = History(); h.append({'epoch': 1, 'loss': 1.0}); h.append({'epoch': 2, 'loss': 0.5})\n"
        f"h.plot({str(tmp_path / 'c')!r})\n"
        "import matplotlib\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
        "print(matplotlib.rcParams._get_backend_or_none())\n"
    )
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "MPLBACKEND": ""}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "None"  # no backend was chosen for the user


def test_live_plot_does_nothing_outside_a_notebook():
    live = LivePlot()
    assert not live.enabled
    live.update(_history())
    assert live.handle is None


def test_epoch_line_format():
    line = format_logs({"epoch": 3, "loss": 0.12345, "accuracy": 0.9651, "val_perplexity": 4.56789, "lr": 0.001,
                        "time": 2.04, "samples_per_s": 12345.6})  # fmt: skip
    assert line == "loss 0.1235  accuracy 96.5%  val_perplexity 4.568  lr 0.001  12,346 samples/s  2.0s"


def test_live_plot_in_a_notebook_redraws_one_output(monkeypatch):
    display_module = pytest.importorskip("IPython.display")
    from nn.training import history as history_module

    shown = []

    class Handle:
        def update(self, obj):
            shown.append(("update", obj))

    def display(obj, display_id=None):
        shown.append(("display", obj, display_id))
        return Handle()

    monkeypatch.setattr(history_module, "in_notebook", lambda: True)
    monkeypatch.setattr(display_module, "display", display)
    live = LivePlot()
    h = _history()
    live.update(h)
    live.update(h)
    assert [s[0] for s in shown] == ["display", "update"] and shown[0][2] is True
    assert shown[1][1].data[:8] == b"\x89PNG\r\n\x1a\n"  # a PNG of the curves, replacing the first
