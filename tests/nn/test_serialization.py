"""``nn.save``/``nn.load``: plain .npz checkpoints, no pickle, atomic writes."""

from __future__ import annotations

import os

import numpy as np
import pytest

import autograd as ag
import nn
import nn.serialization as ser
from autograd import Tensor


def _checkpoint():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    optimizer_state = {  # the shape of a PyTorch optimizer state_dict: int keys, lists, tuples
        "state": {0: {"momentum_buffer": np.ones((4, 3), np.float32), "step": 7}, 3: {}},
        "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1, 2, 3], "nesterov": False,
                          "name": "main", "foreach": None, "eps": float("inf")}],
    }  # fmt: skip
    return model, {"model": model.state_dict(), "optimizer": optimizer_state, "epoch": 3, "loss": np.float32(0.25)}


def test_round_trip_of_a_training_checkpoint(tmp_path):
    model, ckpt = _checkpoint()
    path = tmp_path / "ckpt.npz"
    nn.save(ckpt, path)
    back = nn.load(path)
    assert back["epoch"] == 3 and type(back["epoch"]) is int
    assert back["loss"] == np.float32(0.25) and back["loss"].dtype == np.float32
    assert list(back["model"]) == list(ckpt["model"])
    for k, v in ckpt["model"].items():
        assert back["model"][k].dtype == v.dtype and back["model"][k].shape == v.shape
        np.testing.assert_array_equal(back["model"][k], v)
    assert back["optimizer"]["param_groups"] == ckpt["optimizer"]["param_groups"]  # tuples, None, inf kept
    assert list(back["optimizer"]["state"]) == [0, 3]  # int keys stay ints
    np.testing.assert_array_equal(back["optimizer"]["state"][0]["momentum_buffer"], np.ones((4, 3)))
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    fresh.load_state_dict(back["model"])
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_array_equal(fresh.eval()(x).data, model.eval()(x).data)


def test_file_is_plain_npz_readable_without_pickle(tmp_path):
    _, ckpt = _checkpoint()
    path = tmp_path / "ckpt.npz"
    nn.save(ckpt, path, compress=True)
    with np.load(path, allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)
        assert "__graphgrad__" in z.files


def test_tensors_come_back_as_tensors(tmp_path):
    t = Tensor(np.arange(3.0), requires_grad=True)
    nn.save({"t": t, "frozen": Tensor(np.ones(2))}, tmp_path / "t.npz")
    back = nn.load(tmp_path / "t.npz")
    assert isinstance(back["t"], Tensor) and back["t"].requires_grad and back["t"].tolist() == [0.0, 1.0, 2.0]
    assert not back["frozen"].requires_grad


def test_a_plain_npz_of_arrays_loads_as_a_dict(tmp_path):
    """e.g. a PyTorch state_dict converted with np.savez(path, **{k: v.numpy()})."""
    np.savez(tmp_path / "plain.npz", **{"0.weight": np.ones((2, 3)), "0.bias": np.zeros(2)})
    back = nn.load(tmp_path / "plain.npz")
    assert sorted(back) == ["0.bias", "0.weight"]
    nn.Sequential(nn.Linear(3, 2)).load_state_dict(back)


def test_unsupported_objects_are_refused_with_the_path(tmp_path):
    with pytest.raises(TypeError, match=r"Linear at checkpoint\['model'\].*state_dict"):
        nn.save({"model": nn.Linear(2, 2)}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="dict keys"):
        nn.save({(1, 2): 3}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="dtype object"):
        nn.save({"a": np.array([{}, 1], dtype=object)}, tmp_path / "x.npz")
    assert os.listdir(tmp_path) == []  # nothing half-written left behind


def test_a_crash_mid_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    nn.save({"epoch": 1, "w": np.zeros(3)}, path)

    def crash(f, **arrays):
        f.write(b"PK\x03\x04 partial")  # some bytes of a zip, then the process "dies"
        raise KeyboardInterrupt

    monkeypatch.setattr(ser.np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        nn.save({"epoch": 2, "w": np.ones(3)}, path)
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # the temporary file was removed
    assert nn.load(path)["epoch"] == 1


def test_save_writes_a_temp_file_then_renames(tmp_path, monkeypatch):
    calls = []
    real_replace, real_fsync = os.replace, os.fsync
    monkeypatch.setattr(ser.os, "fsync", lambda fd: calls.append("fsync") or real_fsync(fd))
    monkeypatch.setattr(
        ser.os, "replace", lambda a, b: calls.append(("replace", os.path.dirname(a))) or real_replace(a, b)
    )
    nn.save({"x": ag.ones(2)}, tmp_path / "a.npz")
    assert calls[0] == "fsync" and calls[1] == ("replace", str(tmp_path))  # same directory: an atomic rename
    assert nn.load(tmp_path / "a.npz")["x"].tolist() == [1.0, 1.0]


def test_saved_checkpoints_follow_the_umask(tmp_path):
    path = tmp_path / "ckpt.npz"
    mask = os.umask(0o022)
    try:
        nn.save({"w": np.ones(2)}, path)
    finally:
        os.umask(mask)
    assert (path.stat().st_mode & 0o777) == 0o644
