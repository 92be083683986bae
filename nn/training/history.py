"""``History``: what happened in each epoch, and plots of it (loss, metrics, learning rate).

``history["val_loss"]`` is the list of per-epoch validation losses (Keras's layout:
``history.history`` maps names to lists). ``history.plot("curves")`` writes
``curves.png`` and ``curves.svg``; in a notebook ``LivePlot`` redraws one output as
epochs finish. Plots use matplotlib's object API (``matplotlib.figure.Figure``), never
``pyplot``, so nothing here changes matplotlib's global backend.

>>> h = History()
>>> h.append({"epoch": 1, "loss": 0.9, "val_loss": 1.0, "lr": 0.1})
>>> h.append({"epoch": 2, "loss": 0.5, "val_loss": 0.7, "lr": 0.1})
>>> h["val_loss"], len(h), h.last["loss"]
([1.0, 0.7], 2, 0.5)
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["History", "LivePlot"]


class History:
    """Per-epoch records of a training run.

    - ``history``: ``{name: [value per epoch]}`` for ``epoch``, ``loss``, each metric, the
      same with ``val_``, ``lr``, ``time`` (seconds) and ``samples_per_s``;
    - ``grad_norms``: ``{layer: [mean gradient L2 norm per epoch]}`` when recorded;
    - ``confusion_matrix``: the last validation confusion matrix, when asked for;
    - ``best_epoch``, ``stopped_early``, ``interrupted``.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[Any]] = {}
        self.grad_norms: dict[str, list[float]] = {}
        self.confusion_matrix: np.ndarray | None = None
        self.best_epoch: int | None = None
        self.stopped_early = False
        self.interrupted = False

    def append(self, logs: dict[str, Any]) -> None:
        """Add one epoch's numbers (a missing name gets NaN in that epoch)."""
        n = len(self)
        for key, value in logs.items():
            if isinstance(value, np.ndarray):
                continue
            column = self.history.setdefault(key, [math.nan] * n)
            column.append(float(value) if not isinstance(value, (int, str)) else value)
        for column in self.history.values():
            if len(column) < n + 1:
                column.append(math.nan)

    def __getitem__(self, key: str) -> list[Any]:
        return self.history[key]

    def __contains__(self, key: str) -> bool:
        return key in self.history

    def __len__(self) -> int:
        return max((len(v) for v in self.history.values()), default=0)

    @property
    def last(self) -> dict[str, Any]:
        """The last epoch's numbers."""
        return {k: v[-1] for k, v in self.history.items() if v}

    def __repr__(self) -> str:
        return f"History({len(self)} epochs: {', '.join(self.history)})"

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        return {
            "history": {k: list(v) for k, v in self.history.items()},
            "grad_norms": {k: list(v) for k, v in self.grad_norms.items()},
            "confusion_matrix": self.confusion_matrix,
            "best_epoch": self.best_epoch,
            "stopped_early": self.stopped_early,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.grad_norms = {k: list(v) for k, v in state.get("grad_norms", {}).items()}
        cm = state.get("confusion_matrix")
        self.confusion_matrix = None if cm is None else np.asarray(cm)
        self.best_epoch = state.get("best_epoch")
        self.stopped_early = bool(state.get("stopped_early", False))

    # ------------------------------------------------------------------ plots
    def _panels(self) -> list[tuple[str, list[str], bool]]:
        """``(title, names, log scale)`` for each panel: loss, each metric, learning rate, gradient norms."""
        names = [k for k in self.history if not k.startswith("val_")]
        panels = [("loss", [k for k in ("loss", "val_loss") if k in self.history], False)]
        for k in names:
            if k in ("epoch", "loss", "lr", "time", "samples_per_s"):
                continue
            panels.append((k, [n for n in (k, "val_" + k) if n in self.history], k == "perplexity"))
        if "lr" in self.history:
            panels.append(("learning rate", ["lr"], False))
        if self.grad_norms:
            panels.append(("gradient norm per layer", list(self.grad_norms), True))
        return panels

    def figure(self, title: str | None = None) -> Any:
        """A ``matplotlib.figure.Figure`` with one panel per curve group (no pyplot involved)."""
        from matplotlib.figure import Figure

        panels = self._panels()
        fig = Figure(figsize=(4.2 * len(panels), 3.6))
        fig.subplots_adjust(left=0.35 / len(panels), right=1 - 0.1 / len(panels), bottom=0.15, top=0.82, wspace=0.3)
        epochs = self.history.get("epoch") or list(range(1, len(self) + 1))
        for ax, (name, keys, log) in zip(fig.subplots(1, len(panels), squeeze=False)[0], panels):
            for key in keys:
                values = self.grad_norms[key] if name.startswith("gradient") else self.history[key]
                label = (
                    "validation" if key.startswith("val_") else ("train" if name != "gradient norm per layer" else key)
                )
                n = min(len(epochs), len(values))  # (an interrupted epoch may have its gradient norms only)
                ax.plot(epochs[:n], values[:n], marker="o", markersize=3, label=label)
            if log:
                ax.set_yscale("log")
            ax.set_title(name)
            if name == "learning rate":
                ax.ticklabel_format(axis="y", useOffset=False)
            ax.set_xlabel("epoch")
            ax.grid(alpha=0.3)
            if len(keys) > 1 or name.startswith("gradient"):
                ax.legend(fontsize="small")
        if title:
            fig.suptitle(title)
        return fig

    def plot(self, path: str | os.PathLike, title: str | None = None) -> list[Path]:
        """Write the curves: ``path.png`` and ``path.svg``, or only the format ``path``'s suffix names.

        Returns the files written.
        """
        path = Path(path)
        if not len(self):
            raise ValueError("History.plot: there is nothing to plot yet (no epoch finished)")
        if path.suffix.lower() in (".png", ".svg", ".pdf"):
            targets = [path]
        else:
            targets = [path.with_name(path.name + ".png"), path.with_name(path.name + ".svg")]
        fig = self.figure(title)
        for target in targets:
            fig.savefig(target, dpi=110)
        return targets


def plot_confusion_matrix(matrix: np.ndarray, path: str | os.PathLike, classes: list[str] | None = None) -> list[Path]:
    """Write a confusion matrix (rows: true class, columns: predicted) as ``path.png`` and ``path.svg``."""
    from matplotlib.figure import Figure

    matrix = np.asarray(matrix)
    k = len(matrix)
    labels = [str(c) for c in classes] if classes is not None and len(classes) == k else [str(i) for i in range(k)]
    size = max(3.5, 0.45 * k + 1.5)
    fig = Figure(figsize=(size + 1.2, size))
    fig.subplots_adjust(left=0.2, right=0.95, bottom=0.2, top=0.95)
    ax = fig.subplots()
    image = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set_xticks(range(k), labels, rotation=45 if max(map(len, labels)) > 2 else 0, ha="right")
    ax.set_yticks(range(k), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = matrix.max() / 2 if matrix.size else 0
    if k <= 20:
        for i in range(k):
            for j in range(k):
                color = "white" if matrix[i, j] > threshold else "black"
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7, color=color)
    path = Path(path)
    targets = [path] if path.suffix else [path.with_name(path.name + ".png"), path.with_name(path.name + ".svg")]
    for target in targets:
        fig.savefig(target, dpi=110)
    return targets


def in_notebook() -> bool:
    """Whether this runs inside a Jupyter kernel (where rich output can be displayed)."""
    import sys

    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        ip = shell.get_ipython()
    except AttributeError:
        return False
    return ip is not None and getattr(ip, "kernel", None) is not None


class LivePlot:
    """Redraw a history's curves in one notebook output as epochs finish (nothing outside notebooks)."""

    def __init__(self) -> None:
        self.handle: Any = None
        self.enabled = in_notebook()

    def update(self, history: History) -> None:
        if not self.enabled or not len(history):
            return
        from IPython.display import Image, display

        buffer = io.BytesIO()
        history.figure().savefig(buffer, format="png", dpi=90)
        image = Image(data=buffer.getvalue(), format="png")
        if self.handle is None:
            self.handle = display(image, display_id=True)
        else:
            self.handle.update(image)
