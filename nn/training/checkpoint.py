"""Training checkpoints: everything needed to continue a run exactly where it stopped.

A checkpoint is an ``nn.save`` file (``.npz``, nothing pickled, written atomically) holding
``{"epoch", "model", "optimizer", "scheduler", "history", "rng", "early_stopping"}``:
the model's ``state_dict``, the optimizer's and the scheduler's, the ``History`` so far,
the state of graphgrad's random generator (shuffling, dropout) and the early-stopping
counters. ``fit(..., checkpoint_dir=d)`` writes ``d/last.npz`` after every epoch and
``d/best.npz`` whenever the watched number improves; ``fit(..., resume=True)`` continues
from ``d/last.npz`` and gives the same numbers as a run that was never interrupted.

To use a checkpoint's weights elsewhere: ``model.load_state_dict(load_checkpoint(path)["model"])``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from autograd import random as ag_random

from ..serialization import load, save

__all__ = ["save_checkpoint", "load_checkpoint", "restore_checkpoint", "rng_state", "set_rng_state"]

FORMAT = "graphgrad-training-1"


def rng_state() -> dict[str, Any]:
    """The state of graphgrad's generator (``autograd.random.generator()``), as plain values."""
    return ag_random.generator().bit_generator.state


def set_rng_state(state: dict[str, Any]) -> None:
    ag_random.generator().bit_generator.state = state


def save_checkpoint(
    path: str | os.PathLike,
    *,
    model: Any,
    epoch: int,
    optimizer: Any = None,
    scheduler: Any = None,
    history: Any = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write a checkpoint atomically (a crash mid-write leaves the previous file intact)."""
    ckpt = {
        "format": FORMAT,
        "epoch": int(epoch),
        "model": model.state_dict(),
        "optimizer": None if optimizer is None else optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "history": None if history is None else history.state_dict(),
        "rng": rng_state(),
        **(extra or {}),
    }
    save(ckpt, path)
    return Path(path)


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read a checkpoint written by ``save_checkpoint`` (or ``fit``)."""
    ckpt = load(path)
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise ValueError(f"{path} is not a graphgrad training checkpoint (written by fit or save_checkpoint)")
    return ckpt


def restore_checkpoint(ckpt: dict[str, Any], model: Any, optimizer: Any = None, scheduler: Any = None) -> None:
    """Load a checkpoint's model, optimizer, scheduler and random-generator state in place."""
    model.load_state_dict(ckpt["model"])
    if optimizer is not None and ckpt.get("optimizer") is not None:
        optimizer.load_state_dict(ckpt["optimizer"])
    if scheduler is not None and ckpt.get("scheduler") is not None:
        scheduler.load_state_dict(ckpt["scheduler"])
    if ckpt.get("rng") is not None:
        set_rng_state(ckpt["rng"])
