"""nn.training.fit: early stopping, best weights, resuming from a checkpoint, determinism, schedules, clipping,
progress output, gradient norms, Ctrl-C."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn.data import DataLoader, TensorDataset
from nn.optim import lr_scheduler
from nn.training import Callback, History, evaluate, fit, load_checkpoint

VOLATILE = ("time", "samples_per_s")  # wall-clock numbers: the only ones that may differ between runs


def _blobs(n: int, seed: int, noise: float = 1.0) -> TensorDataset:
    """Three Gaussian blobs in 4-D: learnable, not perfectly separable."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centres = np.array([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]], dtype=np.float32)
    x = centres[y] + noise * rng.standard_normal((n, 4)).astype(np.float32)
    return TensorDataset(x, y)


def _model(seed: int = 0, dropout: float = 0.0) -> nn.Module:
    ag.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 3))


def _run(tmp_path=None, epochs=4, seed=0, resume=False, model=None, stop_after=None, progress=False, **kw):
    model = model if model is not None else _model(seed, dropout=0.2)
    opt = nn.optim.Adam(model.parameters(), lr=0.01)
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    train = DataLoader(_blobs(120, 1), batch_size=16, shuffle=True)
    val = DataLoader(_blobs(60, 2), batch_size=32)
    callbacks = [_StopAt(stop_after)] if stop_after else []
    history = fit(model, train, loss_fn=nn.CrossEntropyLoss(), optimizer=opt, epochs=epochs, val_loader=val,
                  scheduler=sched, checkpoint_dir=tmp_path, resume=resume, seed=seed, progress=progress,
                  callbacks=callbacks, **kw)  # fmt: skip
    return model, history


class _StopAt(Callback):
    def __init__(self, epoch: int):
        self.epoch = epoch

    def on_epoch_end(self, trainer, epoch, logs):
        if epoch == self.epoch:
            trainer.stop_training = True


def _numbers(history: History) -> dict:
    return {k: v for k, v in history.history.items() if k not in VOLATILE}


def _weights(model) -> dict:
    return {k: v.copy() for k, v in model.state_dict().items()}


def test_fit_learns_and_records_every_epoch():
    model, history = _run(epochs=5)
    assert len(history) == 5 and history["epoch"] == [1, 2, 3, 4, 5]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr", "time", "samples_per_s"):
        assert len(history[key]) == 5 and all(math.isfinite(v) for v in history[key]), key
    assert history["loss"][-1] < history["loss"][0]
    assert history["val_accuracy"][-1] > 0.8
    assert history["lr"] == [0.01, 0.01, 0.005, 0.005, 0.0025]  # the rate each epoch trained with (StepLR)


def test_same_seed_same_numbers_and_another_seed_others():
    model_a, a = _run(epochs=3, seed=3)
    model_b, b = _run(epochs=3, seed=3)
    _, c = _run(epochs=3, seed=4)
    assert _numbers(a) == _numbers(b)
    for k, v in _weights(model_a).items():
        np.testing.assert_array_equal(v, _weights(model_b)[k])
    assert _numbers(a)["loss"] != _numbers(c)["loss"]


def test_resume_from_checkpoint_gives_the_numbers_of_an_uninterrupted_run(tmp_path):
    whole_model, whole = _run(tmp_path / "whole", epochs=5, patience=10)
    # the same run stopped after 2 epochs, then continued by a new process-like setup: a fresh model
    # (other initial weights), optimizer and scheduler, everything restored from last.npz
    _, first = _run(tmp_path / "parts", epochs=5, patience=10, stop_after=2)
    assert len(first) == 2
    ag.manual_seed(123)  # the generator moves on elsewhere: the checkpoint's state must win
    resumed_model, resumed = _run(tmp_path / "parts", epochs=5, patience=10, resume=True, model=_model(99, 0.2))
    assert len(resumed) == 5
    assert _numbers(resumed) == _numbers(whole)
    for k, v in _weights(whole_model).items():
        np.testing.assert_array_equal(v, _weights(resumed_model)[k], err_msg=k)
    ckpt = load_checkpoint(tmp_path / "parts" / "last.npz")
    assert ckpt["epoch"] == 5 and ckpt["scheduler"]["last_epoch"] == 5
    assert sorted(p.name for p in (tmp_path / "parts").iterdir()) == ["best.npz", "last.npz"]  # no temporaries


def test_resume_without_a_checkpoint_starts_afresh_and_needs_a_directory(tmp_path):
    _, h = _run(tmp_path / "new", epochs=2, resume=True)
    assert len(h) == 2
    with pytest.raises(ValueError, match="checkpoint_dir"):
        _run(None, epochs=2, resume=True)


def test_early_stopping_stops_and_restores_the_best_weights(tmp_path):
    # validation labels unrelated to the inputs: the validation loss can only get worse after a while
    rng = np.random.default_rng(5)
    val = TensorDataset(rng.standard_normal((60, 4)).astype(np.float32), rng.integers(0, 3, 60))
    model = _model(0)
    opt = nn.optim.Adam(model.parameters(), lr=0.05)
    snapshots = {}

    class Snap(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            snapshots[epoch] = _weights(trainer.model)

    history = fit(model, DataLoader(_blobs(120, 1), batch_size=16, shuffle=True), loss_fn=nn.CrossEntropyLoss(),
                  optimizer=opt, epochs=60, val_loader=DataLoader(val, batch_size=64), metrics=(), patience=3,
                  checkpoint_dir=tmp_path, progress=False, callbacks=[Snap()])  # fmt: skip
    best = int(np.argmin(history["val_loss"])) + 1
    assert history.stopped_early and len(history) == best + 3 < 60
    assert history.best_epoch == best
    for k, v in snapshots[best].items():  # the model ends with the best epoch's weights...
        np.testing.assert_array_equal(_weights(model)[k], v)
    np.testing.assert_array_equal(
        load_checkpoint(tmp_path / "best.npz")["model"]["0.weight"], snapshots[best]["0.weight"]
    )
    assert load_checkpoint(tmp_path / "best.npz")["epoch"] == best
    again = evaluate(model, DataLoader(val, batch_size=64), nn.CrossEntropyLoss(), metrics=())
    assert again["loss"] == pytest.approx(history["val_loss"][best - 1], rel=1e-6)  # ...and scores as it did


def test_early_stopping_on_accuracy_breaks_ties_by_loss(monkeypatch):
    import nn.training.loop as loop

    val_numbers = iter([(0.9, 0.5), (0.95, 0.4), (0.95, 0.3), (0.95, 0.35), (0.9, 0.2)])  # (accuracy, loss)

    def scripted_evaluate(*args, **kwargs):
        acc, loss = next(val_numbers)
        return {"val_loss": loss, "val_accuracy": acc}

    monkeypatch.setattr(loop, "_evaluate", scripted_evaluate)
    model = _model(0)
    history = fit(model, DataLoader(_blobs(32, 1), batch_size=16), loss_fn=nn.CrossEntropyLoss(),
                  optimizer=nn.optim.SGD(model.parameters(), lr=0.0), epochs=5, val_loader=[None],
                  progress=False)  # fmt: skip
    # 95% first in epoch 2; epoch 3 ties it with a lower loss; epoch 5 has the lowest loss but not the accuracy
    assert history.best_epoch == 3


def test_schedules_in_fit_lambda_and_plateau():
    model = _model(0)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    sched = lr_scheduler.LambdaLR(opt, lambda epoch: 1 / (1 + 0.5 * epoch))  # the notes' decay
    h = fit(model, DataLoader(_blobs(64, 1), batch_size=32), loss_fn=nn.CrossEntropyLoss(), optimizer=opt, epochs=4,
            scheduler=sched, progress=False)  # fmt: skip
    assert h["lr"] == pytest.approx([0.1 / (1 + 0.5 * e) for e in range(4)])

    model = _model(0)
    opt = nn.optim.SGD(model.parameters(), lr=1e-9)  # too small to change float32 weights: no progress
    sched = lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0, eps=1e-12)
    h = fit(model, DataLoader(_blobs(64, 1), batch_size=32), loss_fn=nn.CrossEntropyLoss(), optimizer=opt, epochs=4,
            val_loader=DataLoader(_blobs(32, 2), batch_size=32), scheduler=sched, progress=False)  # fmt: skip
    # epoch 1 sets the best; from epoch 2 on no progress, so the rate halves after each epoch
    assert h["lr"] == pytest.approx([1e-9, 1e-9, 5e-10, 2.5e-10], rel=1e-9)


def test_clip_grad_norm_bounds_each_step():
    norms = []
    model = _model(0)
    opt = nn.optim.SGD(model.parameters(), lr=1.0)
    original_step = opt.step

    def step(closure=None):
        total = math.sqrt(sum(float((p.grad.data.astype(np.float64) ** 2).sum()) for p in model.parameters()))
        norms.append(total)
        return original_step(closure)

    opt.step = step
    fit(model, DataLoader(_blobs(64, 1), batch_size=16), loss_fn=nn.CrossEntropyLoss(), optimizer=opt, epochs=1,
        clip_grad_norm=0.01, progress=False)  # fmt: skip
    assert len(norms) == 4 and max(norms) <= 0.01 * (1 + 1e-4)


def test_gradient_norms_per_layer_show_the_vanishing_gradient():
    ag.manual_seed(0)
    model = nn.models.deep_sigmoid_mlp(depth=5, width=16, in_features=4, num_classes=3)
    h = fit(model, DataLoader(_blobs(64, 1), batch_size=32), loss_fn=nn.CrossEntropyLoss(),
            optimizer=nn.optim.SGD(model.parameters(), lr=0.1), epochs=2, grad_norms=True, progress=False)  # fmt: skip
    layers = list(h.grad_norms)
    assert layers == [f"{i} Linear" for i in range(1, 13, 2)]
    assert all(len(v) == 2 for v in h.grad_norms.values())
    assert h.grad_norms[layers[0]][0] < h.grad_norms[layers[-1]][0] / 10  # early layers learn far more slowly


def test_progress_lines_when_not_a_terminal_and_silence_when_off(capsys):
    _run(epochs=2, progress=True)
    out = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[0] for line in out] == ["epoch 1/2", "epoch 2/2"]
    assert "val_accuracy" in out[0] and "samples/s" in out[0] and "%" in out[0]
    _run(epochs=2, progress=False)
    assert capsys.readouterr().out == ""


def test_ctrl_c_stops_cleanly_keeping_the_last_checkpoint(tmp_path, capsys):
    class CtrlC(Callback):
        def on_batch_end(self, trainer, batch, loss):
            if trainer.epoch == 3 and batch == 2:
                raise KeyboardInterrupt

    model = _model(0)
    history = fit(model, DataLoader(_blobs(120, 1), batch_size=16, shuffle=True), loss_fn=nn.CrossEntropyLoss(),
                  optimizer=nn.optim.Adam(model.parameters(), lr=0.01), epochs=6,
                  val_loader=DataLoader(_blobs(60, 2), batch_size=32), checkpoint_dir=tmp_path, progress="lines",
                  callbacks=[CtrlC()])  # fmt: skip
    assert history.interrupted and len(history) == 2
    assert load_checkpoint(tmp_path / "last.npz")["epoch"] == 2
    assert "interrupted in epoch 3" in capsys.readouterr().out


def test_a_loss_that_becomes_nan_stops_with_a_clear_error():
    model = _model(0)
    with pytest.raises(FloatingPointError, match="smaller learning rate"):
        fit(model, DataLoader(_blobs(64, 1), batch_size=16), loss_fn=lambda out, y: (out * np.nan).sum(),
            optimizer=nn.optim.SGD(model.parameters(), lr=0.1), epochs=1, metrics=(), progress=False)  # fmt: skip


def test_fit_argument_errors():
    model = _model(0)
    loader = DataLoader(_blobs(16, 1), batch_size=8)
    kw = dict(loss_fn=nn.CrossEntropyLoss(), optimizer=nn.optim.SGD(model.parameters(), lr=0.1), progress=False)
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        fit(model, loader, epochs=0, **kw)
    with pytest.raises(ValueError, match="patience"):
        fit(model, loader, epochs=1, patience=0, **kw)
    with pytest.raises(ValueError, match="unknown metric 'acc'"):
        fit(model, loader, epochs=1, metrics=("acc",), **kw)
    with pytest.raises(TypeError, match=r"expected \(inputs, targets\) batches"):
        fit(model, [(np.zeros((2, 4), np.float32),)], epochs=1, **kw)
