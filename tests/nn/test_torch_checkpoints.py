"""``nn.load`` reads PyTorch's ``torch.save`` files safely: tensors in plain containers, no code run."""

from __future__ import annotations

import os
import pickle
import struct
import sys
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import autograd as ag
import nn
from nn.torch_checkpoint import CheckpointRefused


# ----------------------------------------------------------------------------- files from torch.save
def test_state_dicts_of_every_kind_of_layer_load_and_give_torchs_outputs(torch, tmp_path, rng):
    tnet = torch.nn.Sequential(
        torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(8, 3)
    )
    tnet(torch.randn(4, 1, 4, 4))  # running statistics and num_batches_tracked (int64) move
    tnet.eval()
    torch.save(tnet.state_dict(), tmp_path / "net.pt")
    sd = nn.load(tmp_path / "net.pt")
    assert isinstance(sd, OrderedDict) and list(sd) == list(tnet.state_dict())
    for k, v in tnet.state_dict().items():
        assert isinstance(sd[k], ag.Tensor) and sd[k].dtype == v.numpy().dtype and sd[k].shape == tuple(v.shape)
        np.testing.assert_array_equal(sd[k].data, v.numpy())
    ours = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3)).eval()
    ours.load_state_dict(sd)
    x = rng.standard_normal((2, 1, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(ag.Tensor(x)).data, tnet(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_dtypes_views_offsets_and_shared_storages(torch, tmp_path):
    base = torch.arange(24, dtype=torch.float64).reshape(4, 6)
    tied = torch.nn.Parameter(torch.randn(3, 2))
    obj = {
        "base": base,
        "transposed": base.t(),  # non-contiguous, same storage
        "slice": base[1:3, 2:5],  # an offset into the storage
        "strided": base[::2, ::3],
        "expanded": torch.ones(3, dtype=torch.float32)[None].expand(2, 3),  # stride 0
        "tied_a": tied,
        "tied_b": tied,  # one tensor under two names
        "empty": torch.zeros(0, 3),
        "scalar": torch.tensor(2.5),
        **{str(dt): torch.tensor([0, 1, 1], dtype=dt) for dt in (torch.float16, torch.int64, torch.int32, torch.uint8)},
        "bool": torch.tensor([True, False]),
        "nested": [(1, "two", None, 3.0, True), {"k": torch.tensor([7])}],
    }
    torch.save(obj, tmp_path / "mixed.pth")
    back = nn.load(tmp_path / "mixed.pth")
    for k, v in obj.items():
        if isinstance(v, torch.Tensor):
            assert back[k].dtype == v.detach().numpy().dtype, k
            np.testing.assert_array_equal(back[k].data, v.detach().numpy(), err_msg=k)
    assert back["tied_a"] is back["tied_b"] and isinstance(back["tied_a"], nn.Parameter)
    assert back["tied_a"].requires_grad
    assert not back["base"].requires_grad and back["scalar"].shape == () and back["empty"].shape == (0, 3)
    back["base"].data[0, 0] = 100.0  # every tensor owns its elements
    assert back["transposed"].data[0, 0] == 0.0
    assert back["nested"][0] == (1, "two", None, 3.0, True) and back["nested"][1]["k"].tolist() == [7]


def test_a_pickled_module_is_refused_naming_its_type(torch, tmp_path):
    torch.save(torch.nn.Linear(2, 2), tmp_path / "model.pt")
    with pytest.raises(CheckpointRefused, match=r"model\.pt.*torch\.nn\.modules\.linear\.Linear.*state_dict"):
        nn.load(tmp_path / "model.pt")


def test_the_legacy_format_is_refused_unread(torch, tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match=r"old\.pt is a pickle \(PyTorch's format before 1\.6.*re-save it"):
        nn.load(tmp_path / "old.pt")


def test_bfloat16_is_refused_with_advice(torch, tmp_path):
    torch.save({"w": torch.ones(2, dtype=torch.bfloat16)}, tmp_path / "bf.pt")
    with pytest.raises(CheckpointRefused, match=r"bf\.pt.*BFloat16Storage.*\.float\(\)"):
        nn.load(tmp_path / "bf.pt")


def test_truncated_and_damaged_torch_files(torch, tmp_path):
    torch.save({"w": torch.ones(100)}, tmp_path / "ok.pt")
    raw = (tmp_path / "ok.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match=r"cut\.pt is a truncated or corrupt zip"):
        nn.load(tmp_path / "cut.pt")
    with zipfile.ZipFile(tmp_path / "ok.pt") as src, zipfile.ZipFile(tmp_path / "short.pt", "w") as dst:
        for info in src.infolist():  # the storage cut short, the archive itself intact
            data = src.read(info)
            dst.writestr(info.filename, data[:40] if "/data/" in info.filename else data)
    with pytest.raises(ValueError, match=r"short\.pt is corrupt or truncated: storage '0' has 40 bytes"):
        nn.load(tmp_path / "short.pt")


# ----------------------------------------------------------------------------- without PyTorch
def _str(s: str) -> bytes:
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def _int(n: int) -> bytes:
    return b"J" + struct.pack("<i", n)


def _tuple(*items: bytes) -> bytes:
    return b"(" + b"".join(items) + b"t"


def _global(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _tensor(key: str, storage: str, numel: int, offset: int, size: tuple, stride: tuple) -> bytes:
    """The pickle ops torch.save writes for one tensor (protocol 2)."""
    pid = _tuple(_str("storage"), _global("torch", storage), _str(key), _str("cpu"), _int(numel)) + b"Q"
    hooks = _global("collections", "OrderedDict") + b")R"
    args = _tuple(pid, _int(offset), _tuple(*map(_int, size)), _tuple(*map(_int, stride)), b"\x89", hooks)
    return _global("torch._utils", "_rebuild_tensor_v2") + args + b"R"


def _torch_zip(path, entries: dict[str, bytes], storages: dict[str, bytes], byteorder: str = "little") -> None:
    body = b"".join(_str(k) + v + b"s" for k, v in entries.items())
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02}" + body + b".")
        z.writestr("archive/byteorder", byteorder)
        for key, raw in storages.items():
            z.writestr(f"archive/data/{key}", raw)
        z.writestr("archive/version", "3\n")


def test_the_format_is_read_without_torch(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # as on a machine without PyTorch
    base = np.arange(12, dtype=np.float32)
    _torch_zip(
        tmp_path / "hand.pt",
        {
            "m": _tensor("0", "FloatStorage", 12, 0, (3, 4), (4, 1)),
            "t": _tensor("0", "FloatStorage", 12, 1, (3, 2), (1, 4)),  # a view of the same storage, offset 1
            "i": _tensor("1", "LongStorage", 2, 0, (2,), (1,)),
        },
        {"0": base.tobytes(), "1": np.array([5, -6], np.int64).tobytes()},
    )
    back = nn.load(tmp_path / "hand.pt")
    np.testing.assert_array_equal(back["m"].data, base.reshape(3, 4))
    np.testing.assert_array_equal(back["t"].data, np.lib.stride_tricks.as_strided(base[1:], (3, 2), (4, 16)))
    assert back["i"].tolist() == [5, -6] and back["i"].dtype == np.int64

    big = np.array([1.5, -2.0], ">f8").tobytes()
    _torch_zip(tmp_path / "big.pt", {"w": _tensor("0", "DoubleStorage", 2, 0, (2,), (1,))}, {"0": big}, "big")
    assert nn.load(tmp_path / "big.pt")["w"].tolist() == [1.5, -2.0]

    _torch_zip(tmp_path / "past.pt", {"w": _tensor("0", "FloatStorage", 4, 2, (3,), (1,))}, {"0": bytes(16)})
    with pytest.raises(ValueError, match=r"past\.pt is corrupt: a tensor of size \(3,\).*past its storage of 4"):
        nn.load(tmp_path / "past.pt")


def test_a_malicious_pickle_is_refused_without_running(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    marker = tmp_path / "ran"
    payload = _global("os", "system") + _tuple(_str(f"touch {marker}")) + b"R"
    _torch_zip(tmp_path / "evil.pt", {"w": payload}, {})
    with pytest.raises(CheckpointRefused, match=r"evil\.pt is refused: it names os\.system"):
        nn.load(tmp_path / "evil.pt")
    # the same in a plain (pre-zip) pickle: never unpickled at all
    (tmp_path / "evil.pkl").write_bytes(b"\x80\x02" + payload + b".")
    with pytest.raises(ValueError, match=r"evil\.pkl is a pickle .*can run code"):
        nn.load(tmp_path / "evil.pkl")
    # a builtin that could run code, smuggled in as a storage type or by protocol-4 STACK_GLOBAL
    eval_global = b"\x8c\x08builtins\x94\x8c\x04eval\x94\x93"
    _torch_zip(tmp_path / "eval.pt", {"w": eval_global + _tuple(_str("1")) + b"R"}, {})
    with pytest.raises(CheckpointRefused, match="builtins.eval"):
        nn.load(tmp_path / "eval.pt")
    assert not marker.exists()
    assert pickle.loads(b"\x80\x02" + _global("collections", "OrderedDict") + b")R.") == OrderedDict()  # (sanity)


def test_a_torchscript_archive_is_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "scripted.pt", "w") as z:
        z.writestr("scripted/data.pkl", b"\x80\x02}.")
        z.writestr("scripted/constants.pkl", b"\x80\x02).")
        z.writestr("scripted/code/__torch__.py", "def forward(self): ...")
    with pytest.raises(CheckpointRefused, match=r"scripted\.pt is a TorchScript archive"):
        nn.load(tmp_path / "scripted.pt")


# ----------------------------------------------------------------------------- bad files of any kind
def test_bad_files_get_one_clear_error_naming_the_path(tmp_path):
    nn.save({"w": np.arange(1000.0)}, tmp_path / "good.npz")
    raw = (tmp_path / "good.npz").read_bytes()
    cases = {
        "missing.npz": (None, FileNotFoundError, r"no such file: .*missing\.npz"),
        "empty.npz": (b"", ValueError, r"empty\.npz is empty \(0 bytes\)"),
        "cut.npz": (raw[: len(raw) // 2], ValueError, r"cut\.npz is a truncated or corrupt zip"),
        "text.npz": (b"epoch,loss\n1,0.5\n", ValueError, r"text\.npz is not a checkpoint.*looks like text"),
        "noise.npz": (bytes(range(200, 256)), ValueError, r"noise\.npz is not a checkpoint.*starts with"),
    }
    flipped = bytearray(raw)
    flipped[200] ^= 0xFF  # inside the array's bytes: the zip's CRC check fails
    cases["flipped.npz"] = (bytes(flipped), ValueError, r"flipped\.npz is corrupt")
    for name, (content, exc, message) in cases.items():
        if content is not None:
            (tmp_path / name).write_bytes(content)
        with pytest.raises(exc, match=message):
            nn.load(tmp_path / name)

    np.savez(tmp_path / "objects.npz", a=np.array([{}, 1], dtype=object))
    with pytest.raises(ValueError, match=r"objects\.npz holds an object array .*could run code"):
        nn.load(tmp_path / "objects.npz")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        nn.load(tmp_path)


# ----------------------------------------------------------------------------- temporary files
def test_an_exception_mid_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    import nn.serialization as ser

    def fail(f, **arrays):
        f.write(b"PK\x03\x04 partial")
        raise OSError("disk full")

    monkeypatch.setattr(ser.np, "savez", fail)
    with pytest.raises(OSError, match="disk full"):
        nn.save({"w": np.ones(3)}, tmp_path / "ckpt.npz")
    assert os.listdir(tmp_path) == []


def test_a_killed_writers_temporary_file_is_removed_by_the_next_save(tmp_path):
    import subprocess

    path = tmp_path / "ckpt.npz"
    script = (
        "import os, signal, sys\n"
        "import numpy as np\n"
        "import nn, nn.serialization as ser\n"
        "def die(f, **arrays):\n"
        "    f.write(b'PK' + bytes(1000)); f.flush()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "ser.np.savez = die\n"
        "nn.save({'w': np.ones(3)}, sys.argv[1])\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.run([sys.executable, "-c", script, str(path)], env=env, capture_output=True, timeout=60)
    assert proc.returncode == -9, proc.stderr.decode()
    left = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    assert len(left) == 1 and left[0].startswith(".ckpt.npz.")  # what a killed writer leaves

    # a writer still running (this process: another thread could be saving) keeps its file;
    # an old file of the earlier name format, or from another machine, goes once an hour old
    import nn.serialization as ser

    live = tmp_path / f"{ser._temp_prefix('ckpt.npz')}abcd_123.tmp"
    old = tmp_path / ".ckpt.npz.x1y2z3w4.tmp"
    recent = tmp_path / ".ckpt.npz.00000000-123-abcd_123.tmp"
    other = tmp_path / ".other.npz.x1y2z3w4.tmp"
    longer = tmp_path / ".ckpt.npz.bak.x1y2z3w4.tmp"  # another target's (ckpt.npz.bak)
    for f in (live, old, recent, other, longer):
        f.write_bytes(b"partial")
    for f in (old, other, longer):
        os.utime(f, (1, 1))
    nn.save({"w": np.zeros(3)}, path)
    assert sorted(os.listdir(tmp_path)) == sorted(["ckpt.npz", live.name, recent.name, other.name, longer.name])
    assert nn.load(path)["w"].tolist() == [0.0, 0.0, 0.0]
