"""``fit``, ``evaluate`` and ``Trainer``: the training loop, with validation, early stopping and checkpoints.

One epoch is PyTorch's loop, written once::

    for x, y in train_loader:
        out = model(x)
        loss = loss_fn(out, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

around which ``fit`` adds what every chapter needs: a progress bar, metrics, validation
after every epoch, early stopping (stop after ``patience`` epochs without improving the
watched number, then restore the best weights), a learning-rate schedule stepped once per
epoch, gradient clipping, checkpoints (``best.npz`` and ``last.npz``) that a run can resume
from, per-layer gradient norms and a ``History`` that plots itself.

Language models (a model whose ``forward`` takes a ``state``, such as ``nn.models.CharLM``)
are trained on ``(X, Y)`` batches of token ids shaped ``(batch, steps)``, as the samplers of
``nn.data`` yield them; the loop hands the model time-major ``(steps, batch)`` ids (unless the
model has ``batch_first=True``) and scores every position. With the sequential sampler the
hidden state is carried from one batch to the next and detached (truncated backpropagation
through time); with the random sampler it starts from zero at every batch.

>>> import numpy as np, autograd as ag, nn
>>> from nn.data import DataLoader, TensorDataset
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(200, 2)).astype(np.float32)
>>> y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)        # XOR-like quadrants
>>> ag.manual_seed(0) and None
>>> model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
>>> history = fit(model, DataLoader(TensorDataset(x, y), batch_size=20, shuffle=True),
...               loss_fn=nn.CrossEntropyLoss(), optimizer=nn.optim.Adam(model.parameters(), lr=0.05),
...               epochs=30, progress=False)
>>> history["accuracy"][-1] > 0.9
True
"""

from __future__ import annotations

import inspect
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor

from ..optim.lr_scheduler import ReduceLROnPlateau
from ..utils import clip_grad_norm_
from .checkpoint import load_checkpoint, restore_checkpoint, save_checkpoint
from .history import History, LivePlot
from .metrics import _Totals, split_metrics
from .progress import Progress

__all__ = ["Trainer", "fit", "evaluate", "Callback"]


class Callback:
    """Hooks into ``fit``; override any of them. Set ``trainer.stop_training = True`` to stop after this epoch."""

    def on_train_begin(self, trainer: Trainer) -> None: ...
    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None: ...
    def on_batch_end(self, trainer: Trainer, batch: int, loss: float) -> None: ...
    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, Any]) -> None: ...
    def on_train_end(self, trainer: Trainer, history: History) -> None: ...


def is_language_model(model: Any) -> bool:
    """A model whose ``forward`` takes a recurrent ``state`` and returns ``(output, state)``."""
    try:
        return "state" in inspect.signature(model.forward).parameters
    except (TypeError, ValueError, AttributeError):
        return False


def carries_state(loader: Any) -> bool:
    """Whether consecutive batches continue each other's rows (the sequential sampler)."""
    random = getattr(loader, "random", getattr(loader, "use_random_iter", None))
    return random is False


def _set_epoch(loader: Any, epoch: int) -> None:
    """Tell a loader which epoch (from 0) comes next, so a resumed run draws the same batches."""
    from ..data import SeqDataLoader

    if hasattr(loader, "set_epoch"):
        loader.set_epoch(epoch)
    elif isinstance(loader, SeqDataLoader):  # it draws each epoch's offset and order from (seed, epoch)
        loader.epoch = epoch


def _detach(state: Any) -> Any:
    if isinstance(state, Tensor):
        return state.detach()
    if isinstance(state, (tuple, list)):
        return type(state)(_detach(s) for s in state)
    return state


def _batch_size_of(state: Any) -> int | None:
    while isinstance(state, (tuple, list)) and state:
        state = state[0]
    return state.shape[-2] if isinstance(state, Tensor) and state.ndim >= 2 else None


def _tensor(value: Any) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor(np.asarray(value))


def _pair(batch: Any) -> tuple[Any, Any]:
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    got = f"a {type(batch).__name__}" + (f" of {len(batch)}" if isinstance(batch, (tuple, list)) else "")
    raise TypeError(f"fit: expected (inputs, targets) batches from the loader, got {got}")


class _Stepper:
    """Runs one batch through the model: plain models, or language models with their state."""

    def __init__(self, model: Any, loss_fn: Callable[..., Any] | None, carry_state: bool | None, loader: Any):
        self.model, self.loss_fn = model, loss_fn
        self.lm = is_language_model(model)
        self.time_major = not getattr(model, "batch_first", False)
        self.carry = carries_state(loader) if carry_state is None else bool(carry_state)
        self.state: Any = None

    def forward(self, batch: Any) -> tuple[Any, Any, Tensor | None]:
        """``(output rows, targets, loss)``; outputs and targets flattened to one row per prediction."""
        x, y = _pair(batch)
        if not self.lm:
            x, y = _tensor(x), _tensor(y)
            out = self.model(x)
        else:
            xa = np.asarray(x.data if isinstance(x, Tensor) else x)
            ya = np.asarray(y.data if isinstance(y, Tensor) else y)
            if self.time_major:
                xa, ya = xa.T, ya.T
            state = (
                self.state
                if self.carry and _batch_size_of(self.state) == xa.shape[1 if self.time_major else 0]
                else None
            )
            out, state = self.model(Tensor(xa), state)
            self.state = _detach(state) if self.carry else None
            out = out.reshape(-1, out.shape[-1])
            y = Tensor(np.ascontiguousarray(ya).reshape(-1))
        loss = self.loss_fn(out, y) if self.loss_fn is not None else None
        return out, y, loss


class Trainer:
    """The pieces of a training run; ``fit`` trains, ``evaluate`` scores a loader.

    ``fit(model, loader, ...)`` is ``Trainer(model, ...).fit(loader, ...)``; see ``fit`` for
    every argument.
    """

    def __init__(
        self,
        model: Any,
        *,
        loss_fn: Callable[..., Any],
        optimizer: Any,
        metrics: Sequence[str | Callable[..., float]] | None = ("accuracy",),
        scheduler: Any = None,
        clip_grad_norm: float | None = None,
        patience: int | None = None,
        monitor: str | None = None,
        restore_best: bool = True,
        checkpoint_dir: str | os.PathLike | None = None,
        progress: bool | str = True,
        grad_norms: bool = False,
        live_plot: bool = False,
        callbacks: Iterable[Callback] = (),
        carry_state: bool | None = None,
    ):
        if patience is not None and (not isinstance(patience, int) or patience < 1):
            raise ValueError(f"fit: patience must be a positive number of epochs, got {patience!r}")
        if clip_grad_norm is not None and not clip_grad_norm > 0:
            raise ValueError(f"fit: clip_grad_norm must be positive, got {clip_grad_norm!r}")
        self.model, self.loss_fn, self.optimizer, self.scheduler = model, loss_fn, optimizer, scheduler
        self.metric_names, self.custom_metrics = split_metrics(metrics)
        self.clip_grad_norm, self.patience, self.monitor, self.restore_best = (
            clip_grad_norm,
            patience,
            monitor,
            restore_best,
        )
        self.checkpoint_dir = None if checkpoint_dir is None else Path(checkpoint_dir)
        self.progress, self.grad_norms, self.live_plot = progress, grad_norms, live_plot
        self.callbacks, self.carry_state = list(callbacks), carry_state
        self.history = History()
        self.stop_training = False
        self.epoch = 0

    # ------------------------------------------------------------------ helpers
    def _monitor(self, has_val: bool) -> tuple[str, str]:
        """The watched number and whether higher is better (``'max'``) or lower (``'min'``)."""
        name = self.monitor
        if name is None:
            prefix = "val_" if has_val else ""
            name = prefix + ("accuracy" if "accuracy" in self.metric_names else "loss")
        return name, ("max" if name.endswith("accuracy") else "min")

    def _layers(self) -> list[tuple[str, list[Tensor]]]:
        kinds = {name: type(m).__name__ for name, m in self.model.named_modules()}
        layers: dict[str, list[Tensor]] = {}
        for name, p in self.model.named_parameters():
            owner = name.rsplit(".", 1)[0] if "." in name else ""
            label = f"{owner} {kinds.get(owner, '')}".strip() or name
            layers.setdefault(label, []).append(p)
        return list(layers.items())

    # ------------------------------------------------------------------ one epoch
    def train_epoch(self, loader: Any, epoch: int, report: Progress) -> dict[str, Any]:
        model, optimizer = self.model, self.optimizer
        model.train()
        stepper = _Stepper(model, self.loss_fn, self.carry_state, loader)
        totals = _Totals(self.metric_names, self.custom_metrics)
        layers = self._layers() if self.grad_norms else []
        norm_sums = np.zeros(len(layers))
        show = (
            "accuracy"
            if "accuracy" in self.metric_names
            else ("perplexity" if "perplexity" in self.metric_names else None)
        )
        try:
            batches = len(loader)
        except TypeError:
            batches = None
        report.start_epoch(epoch, batches)
        start = time.perf_counter()
        steps = 0
        for steps, batch in enumerate(loader, 1):
            out, y, loss = stepper.forward(batch)
            value = loss.item()
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"the training loss became {value} in epoch {epoch}, batch {steps}: "
                    "try a smaller learning rate (or gradient clipping)"
                )
            optimizer.zero_grad()
            loss.backward()
            if layers:
                for i, (_, params) in enumerate(layers):
                    norm_sums[i] += math.sqrt(sum(float(np.square(p.grad.data, dtype=np.float64).sum())
                                                  for p in params if p.grad is not None))  # fmt: skip
            if self.clip_grad_norm is not None:
                clip_grad_norm_(model.parameters(), self.clip_grad_norm)
            optimizer.step()
            totals.add(value, out, y, y.shape[0])
            if report.bar is not None:
                metric = None
                if show == "accuracy" and totals.count:
                    metric = ("accuracy", totals.correct / totals.count)
                elif show == "perplexity":
                    metric = ("perplexity", math.exp(min(totals.loss, 700)))
                report.update(totals.loss, metric, totals.count / max(time.perf_counter() - start, 1e-9))
            for cb in self.callbacks:
                cb.on_batch_end(self, steps, value)
        if steps == 0:
            raise ValueError(
                "fit: the training loader gave no batches (is the dataset empty, or drop_last too strict?)"
            )
        elapsed = time.perf_counter() - start
        logs = totals.results()
        logs.pop("confusion_matrix", None)
        for (label, _), total in zip(layers, norm_sums):
            self.history.grad_norms.setdefault(label, []).append(total / steps)
        logs["samples_per_s"] = totals.count / max(elapsed, 1e-9)
        return logs

    def evaluate(self, loader: Any, metrics: Sequence[str | Callable[..., float]] | None = None) -> dict[str, Any]:
        """Loss and metrics over ``loader`` (eval mode, no graph recorded)."""
        names, custom = (self.metric_names, self.custom_metrics) if metrics is None else split_metrics(metrics)
        return _evaluate(self.model, loader, self.loss_fn, names, custom, self.carry_state)

    # ------------------------------------------------------------------ the run
    def fit(
        self,
        train_loader: Any,
        val_loader: Any = None,
        *,
        epochs: int,
        resume: bool = False,
        seed: int | None = None,
    ) -> History:
        """Train for ``epochs`` epochs in all (a resumed run counts the epochs already done)."""
        if not isinstance(epochs, (int, np.integer)) or isinstance(epochs, bool) or epochs < 1:
            raise ValueError(f"fit: epochs must be a positive int, got {epochs!r}")
        if resume and self.checkpoint_dir is None:
            raise ValueError("fit: resume=True needs checkpoint_dir (where last.npz is)")
        model, history = self.model, self.history
        monitor, mode = self._monitor(val_loader is not None)
        best_value: float | None = None
        best_tie_loss = math.nan
        best_state: dict[str, Any] | None = None
        bad_epochs = 0
        if self.checkpoint_dir is not None:
            self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        report = Progress(self.progress, epochs, unit="tokens" if is_language_model(model) else "samples")
        last_path = None if self.checkpoint_dir is None else self.checkpoint_dir / "last.npz"
        best_path = None if self.checkpoint_dir is None else self.checkpoint_dir / "best.npz"
        start_epoch = 0
        if resume and last_path is not None and last_path.exists():
            ckpt = load_checkpoint(last_path)
            restore_checkpoint(ckpt, model, self.optimizer, self.scheduler)
            history.load_state_dict(ckpt["history"])
            stop = ckpt.get("early_stopping") or {}
            best_value, bad_epochs = stop.get("best"), int(stop.get("bad_epochs", 0))
            best_tie_loss = float(stop.get("best_tie_loss", math.nan))
            if best_path is not None and best_path.exists():
                best_state = dict(load_checkpoint(best_path)["model"])
            start_epoch = int(ckpt["epoch"])
            report.message(f"resuming after epoch {start_epoch} from {last_path}")
            if history.stopped_early:
                report.message("that run had already stopped early; nothing to do")
                start_epoch = max(start_epoch, epochs)
        elif seed is not None:
            ag.manual_seed(seed)
        live = LivePlot() if self.live_plot else None
        self.stop_training = False
        for cb in self.callbacks:
            cb.on_train_begin(self)
        try:
            for epoch in range(start_epoch + 1, epochs + 1):
                self.epoch = epoch
                for loader in (train_loader, val_loader):
                    _set_epoch(loader, epoch - 1)
                for cb in self.callbacks:
                    cb.on_epoch_begin(self, epoch)
                began = time.perf_counter()
                lr = float(self.optimizer.param_groups[0]["lr"])
                train_logs = self.train_epoch(train_loader, epoch, report)
                logs: dict[str, Any] = {"epoch": epoch, **train_logs}
                samples_per_s = logs.pop("samples_per_s")
                if val_loader is not None:
                    val = _evaluate(model, val_loader, self.loss_fn, self.metric_names, self.custom_metrics,
                                    self.carry_state, prefix="val_")  # fmt: skip
                    cm = val.pop("val_confusion_matrix", None)
                    if cm is not None:
                        history.confusion_matrix = cm
                    logs.update(val)
                logs.update(lr=lr, time=time.perf_counter() - began, samples_per_s=samples_per_s)
                if monitor not in logs:
                    raise KeyError(f"fit: monitor {monitor!r} is not among this run's numbers: {', '.join(logs)}")
                value = float(logs[monitor])
                # an accuracy tied with the best counts as better when the loss is lower (few examples: ties are common)
                tie_loss = float(logs.get(monitor.replace("accuracy", "loss"), math.nan)) if mode == "max" else math.nan
                improved = (
                    best_value is None
                    or (value > best_value if mode == "max" else value < best_value)
                    or (value == best_value and tie_loss < best_tie_loss)
                )
                if improved:
                    best_value, best_tie_loss, bad_epochs, history.best_epoch = value, tie_loss, 0, epoch
                    if self.restore_best:
                        best_state = model.state_dict()
                else:
                    bad_epochs += 1
                if self.scheduler is not None:
                    if isinstance(self.scheduler, ReduceLROnPlateau):
                        self.scheduler.step(logs["val_loss" if "val_loss" in logs else "loss"])
                    else:
                        self.scheduler.step()
                history.append(logs)
                report.end_epoch(epoch, logs)
                for cb in self.callbacks:
                    cb.on_epoch_end(self, epoch, logs)
                if self.patience is not None and bad_epochs >= self.patience:
                    history.stopped_early = self.stop_training = True
                if last_path is not None:
                    stop = {
                        "best": best_value,
                        "best_tie_loss": best_tie_loss,
                        "bad_epochs": bad_epochs,
                        "monitor": monitor,
                    }
                    extra = {"early_stopping": stop}
                    state = dict(model=model, optimizer=self.optimizer, scheduler=self.scheduler, history=history)
                    if improved:
                        save_checkpoint(best_path, epoch=epoch, extra=extra, **state)
                    save_checkpoint(last_path, epoch=epoch, extra=extra, **state)
                if live is not None:
                    live.update(history)
                if self.stop_training:
                    if history.stopped_early:
                        report.message(f"early stop: {monitor} has not improved for {self.patience} epochs")
                    break
        except KeyboardInterrupt:
            history.interrupted = True
            report.close()
            where = f"; the last checkpoint is {last_path}" if last_path is not None and last_path.exists() else ""
            report.message(f"interrupted in epoch {self.epoch}{where}")
        finally:
            report.close()
        last_epoch = history["epoch"][-1] if "epoch" in history else None
        if self.restore_best and best_state is not None and (history.interrupted or history.best_epoch != last_epoch):
            model.load_state_dict(best_state)
            report.message(f"restored the weights of epoch {history.best_epoch} (best {monitor}: {best_value:.4g})")
        for cb in self.callbacks:
            cb.on_train_end(self, history)
        return history


def _evaluate(
    model: Any,
    loader: Any,
    loss_fn: Callable[..., Any] | None,
    names: Sequence[str],
    custom: Sequence[tuple[str, Callable[..., float]]],
    carry_state: bool | None = None,
    prefix: str = "",
) -> dict[str, Any]:
    if loss_fn is None and "perplexity" in names:
        from ..loss import CrossEntropyLoss

        loss_fn = CrossEntropyLoss()
    was_training = model.training
    model.eval()
    stepper = _Stepper(model, loss_fn, carry_state, loader)
    totals = _Totals(names, custom)
    try:
        with ag.no_grad():
            for batch in loader:
                out, y, loss = stepper.forward(batch)
                totals.add(math.nan if loss is None else loss.item(), out, y, y.shape[0])
    finally:
        model.train(was_training)
    if totals.count == 0:
        raise ValueError("evaluate: the loader gave no batches")
    logs = totals.results(prefix)
    if loss_fn is None:
        logs.pop(prefix + "loss")
    return logs


def evaluate(
    model: Any,
    loader: Any,
    loss_fn: Callable[..., Any] | None = None,
    metrics: Sequence[str | Callable[..., float]] | None = ("accuracy",),
    carry_state: bool | None = None,
) -> dict[str, Any]:
    """Score ``model`` on every batch of ``loader`` (eval mode, nothing recorded).

    Returns ``{'loss': ..., 'accuracy': ..., 'confusion_matrix': array, ...}`` for the
    requested metrics (``'accuracy'``, ``'confusion_matrix'``, ``'perplexity'``, or functions
    ``fn(output, target) -> float``, averaged over examples); ``loss`` only with a ``loss_fn``.
    """
    names, custom = split_metrics(metrics)
    return _evaluate(model, loader, loss_fn, names, custom, carry_state)


def fit(
    model: Any,
    train_loader: Any,
    *,
    loss_fn: Callable[..., Any],
    optimizer: Any,
    epochs: int,
    val_loader: Any = None,
    metrics: Sequence[str | Callable[..., float]] | None = ("accuracy",),
    scheduler: Any = None,
    clip_grad_norm: float | None = None,
    patience: int | None = None,
    monitor: str | None = None,
    restore_best: bool = True,
    checkpoint_dir: str | os.PathLike | None = None,
    resume: bool = False,
    seed: int | None = None,
    progress: bool | str = True,
    grad_norms: bool = False,
    live_plot: bool = False,
    callbacks: Iterable[Callback] = (),
    carry_state: bool | None = None,
) -> History:
    """Train ``model`` for ``epochs`` epochs; returns the ``History``.

    - ``loss_fn(output, target)`` must return the batch's mean loss; ``optimizer`` any of
      ``nn.optim``; ``metrics``: ``'accuracy'``, ``'perplexity'``, ``'confusion_matrix'``
      (the last validation one is kept in ``history.confusion_matrix``) or functions.
    - ``val_loader``: scored after every epoch (``val_loss``, ``val_accuracy``, ...).
    - ``patience``: stop after that many epochs without improving ``monitor`` (default
      ``val_accuracy`` when accuracy is a metric, else ``val_loss``; without validation data
      the training numbers; an accuracy equal to the best counts as better when its loss is
      lower). ``restore_best``: end with the weights of the best epoch.
    - ``scheduler``: stepped once per epoch (``ReduceLROnPlateau`` with the validation loss).
    - ``clip_grad_norm``: rescale the gradients to at most this joint L2 norm before each step.
    - ``checkpoint_dir``: write ``best.npz`` and ``last.npz`` there (atomically) every epoch;
      ``resume=True`` continues from ``last.npz`` to ``epochs`` in all, with the same numbers
      as an uninterrupted run.
    - ``seed``: reseed graphgrad's generator first (shuffling, dropout) so runs repeat
      exactly; seed it before building the model too (``autograd.manual_seed``).
    - ``progress``: ``True`` (a bar on a terminal or in a notebook, one line per epoch
      otherwise), ``False``, ``'bar'`` or ``'lines'``. ``live_plot``: redraw the curves in the
      notebook after every epoch. ``grad_norms``: record each layer's mean gradient norm
      per epoch in ``history.grad_norms``.
    - ``carry_state`` (language models): carry the hidden state across batches; by default
      when the loader is the sequential sampler.

    Ctrl-C stops the run at once: the history so far is returned (``history.interrupted``
    set), the best weights restored, and the last checkpoint (the last finished epoch) kept.
    """
    trainer = Trainer(
        model, loss_fn=loss_fn, optimizer=optimizer, metrics=metrics, scheduler=scheduler,
        clip_grad_norm=clip_grad_norm, patience=patience, monitor=monitor, restore_best=restore_best,
        checkpoint_dir=checkpoint_dir, progress=progress, grad_norms=grad_norms, live_plot=live_plot,
        callbacks=callbacks, carry_state=carry_state,
    )  # fmt: skip
    return trainer.fit(train_loader, val_loader, epochs=epochs, resume=resume, seed=seed)
