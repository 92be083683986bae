"""Progress output: a tqdm bar per epoch on a terminal or in a notebook, one plain line per epoch otherwise.

On a terminal (or in Jupyter, through ``tqdm.auto``'s widget) each epoch gets a bar that
shows the running loss, the metric and the throughput, and stays on screen with the
epoch's final numbers. When output goes to a file or a pipe (logs, CI) no bar is drawn:
each epoch prints one line on stdout, e.g.::

    epoch  3/20  loss 0.1234  accuracy 96.5%  val_loss 0.1111  val_accuracy 97.2%  lr 0.001  12,345 samples/s  0.4s
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any, TextIO

from .history import in_notebook

__all__ = ["Progress", "format_logs"]


def _fmt(key: str, value: Any) -> str:
    if isinstance(value, float) and math.isnan(value):
        return f"{key} -"
    if key.endswith("accuracy"):
        return f"{key} {100 * value:.1f}%"
    if key == "lr":
        return f"lr {value:.3g}"
    if key.endswith("perplexity"):
        return f"{key} {value:.3f}"
    return f"{key} {value:.4f}"


def format_logs(logs: dict[str, Any], unit: str = "samples") -> str:
    """One epoch's numbers as ``name value`` pairs (accuracies in percent)."""
    parts = []
    for key, value in logs.items():
        if key in ("epoch", "time", "samples_per_s") or not isinstance(value, (int, float)):
            continue
        parts.append(_fmt(key, value))
    if "samples_per_s" in logs:
        parts.append(f"{logs['samples_per_s']:,.0f} {unit}/s")
    if "time" in logs:
        parts.append(f"{logs['time']:.1f}s")
    return "  ".join(parts)


class Progress:
    """``mode``: ``'bar'`` (terminal or notebook), ``'lines'`` (anything else) or ``'off'``."""

    def __init__(
        self, enabled: bool | str = True, epochs: int = 1, stream: TextIO | None = None, unit: str = "samples"
    ):
        self.stream = stream
        self.epochs, self.unit = epochs, unit
        if enabled in ("bar", "lines", "off"):
            self.mode = enabled
        elif not enabled:
            self.mode = "off"
        else:
            err = sys.stderr
            self.mode = "bar" if (hasattr(err, "isatty") and err.isatty()) or in_notebook() else "lines"
        self.bar: Any = None
        self._next_refresh = 0.0

    @property
    def out(self) -> TextIO:
        return self.stream if self.stream is not None else sys.stdout

    def start_epoch(self, epoch: int, batches: int | None) -> None:
        if self.mode != "bar":
            return
        from tqdm.auto import tqdm

        width = len(str(self.epochs))
        self.bar = tqdm(total=batches, desc=f"epoch {epoch:>{width}}/{self.epochs}", unit="batch", leave=True,
                        dynamic_ncols=True)  # fmt: skip
        self._next_refresh = 0.0

    def update(self, loss: float, metric: tuple[str, float] | None, samples_per_s: float) -> None:
        """After each batch: advance the bar; its numbers are refreshed at most 5 times a second."""
        bar = self.bar
        if bar is None:
            return
        bar.update(1)
        now = time.perf_counter()
        if now >= self._next_refresh:
            self._next_refresh = now + 0.2
            post = {"loss": f"{loss:.4f}"}
            if metric is not None:
                name, value = metric
                post[name] = f"{100 * value:.1f}%" if name == "accuracy" else f"{value:.3f}"
            post[f"{self.unit}/s"] = f"{samples_per_s:,.0f}"
            bar.set_postfix(post, refresh=False)

    def end_epoch(self, epoch: int, logs: dict[str, Any]) -> None:
        text = format_logs(logs, self.unit)
        if self.mode == "bar" and self.bar is not None:
            self.bar.set_postfix_str(text, refresh=True)
            self.bar.close()
            self.bar = None
        elif self.mode == "lines":
            width = len(str(self.epochs))
            print(f"epoch {epoch:>{width}}/{self.epochs}  {text}", file=self.out, flush=True)

    def message(self, text: str) -> None:
        if self.mode == "off":
            return
        if self.bar is not None:
            self.bar.write(text)
        else:
            print(text, file=self.out, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
