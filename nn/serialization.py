"""``save`` and ``load``: checkpoints as plain NumPy ``.npz`` files, written atomically.

A checkpoint is any nesting of dicts, lists and tuples whose leaves are arrays,
Tensors, numbers, strings, booleans or ``None``, e.g.
``{"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}``.
Arrays are stored as ``.npz`` members; the nesting is stored as a JSON string in
the member ``__graphgrad__``. Nothing is pickled, so ``np.load(path,
allow_pickle=False)`` reads the file and loading never runs code.

The file is written to a temporary file in the same directory, flushed to disk
(fsync) and moved over ``path`` with ``os.replace``: a crash mid-save leaves the
previous file intact, never a truncated one. An exception removes the temporary file;
a writer killed outright (SIGKILL, power loss) leaves it behind, and the next ``save``
to the same path removes it (its name carries the writer's host and process id, so a
save still running in another process is left alone).

``load`` also reads PyTorch's ``.pt``/``.pth`` files (``torch.save``'s zip format) holding
tensors in plain containers, such as a ``state_dict``, without PyTorch and without running
any code from the file (see ``nn.torch_checkpoint``). A missing, empty, truncated or
corrupt file, or one of another kind, raises one error naming the file and what is wrong.

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
>>> save({"w": np.arange(3.0), "epoch": 3, "betas": (0.9, 0.999)}, path)
>>> ckpt = load(path)
>>> ckpt["w"].tolist(), ckpt["epoch"], ckpt["betas"]
([0.0, 1.0, 2.0], 3, (0.9, 0.999))
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
import zlib
from typing import Any

import numpy as np

from autograd import Tensor

__all__ = ["save", "load"]

_MANIFEST = "__graphgrad__"
_FORMAT = 1


def _encode(obj: Any, arrays: dict[str, np.ndarray], where: str) -> Any:
    """A JSON-able description of ``obj``; arrays go into ``arrays`` under fresh names."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, float)) and type(obj) in (int, float):
        return obj
    if isinstance(obj, Tensor):
        name = f"a{len(arrays)}"
        arrays[name] = np.asarray(obj.data)
        return {"tensor": name, "requires_grad": bool(obj.requires_grad)}
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "biufc":
            raise TypeError(f"save: the array at {where} has dtype {obj.dtype}, which can't be stored without pickle")
        name = f"a{len(arrays)}"
        arrays[name] = obj
        return {"array": name}
    if isinstance(obj, np.generic):
        name = f"a{len(arrays)}"
        arrays[name] = np.asarray(obj)
        return {"scalar": name}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not (k is None or isinstance(k, (str, int, float, bool))):
                raise TypeError(f"save: dict keys must be str, int, float or bool; got {type(k).__name__} at {where}")
            items.append([k, _encode(v, arrays, f"{where}[{k!r}]")])
        return {"dict": items}
    if isinstance(obj, (list, tuple)):
        kind = "list" if isinstance(obj, list) else "tuple"
        return {kind: [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]}
    raise TypeError(
        f"save: can't store a {type(obj).__name__} at {where}; checkpoints hold dicts, lists, tuples, arrays, "
        "Tensors, numbers, strings, booleans and None (save a module's state_dict(), not the module)"
    )


def _decode(node: Any, z: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if "dict" in node:
        return {k: _decode(v, z) for k, v in node["dict"]}
    if "list" in node:
        return [_decode(v, z) for v in node["list"]]
    if "tuple" in node:
        return tuple(_decode(v, z) for v in node["tuple"])
    if "array" in node:
        return z[node["array"]]
    if "scalar" in node:
        return z[node["scalar"]][()]
    if "tensor" in node:
        return Tensor(z[node["tensor"]], requires_grad=node["requires_grad"])
    raise ValueError(f"load: unknown entry {node!r} in the checkpoint's manifest")


def save(obj: Any, path: str | os.PathLike, compress: bool = False) -> None:
    """Write ``obj`` (nested dicts/lists/tuples of arrays, Tensors and plain values) to ``path``.

    The write is atomic: a temporary file in the same directory is fsynced and then
    renamed over ``path``. ``compress=True`` uses zip compression.
    """
    arrays: dict[str, np.ndarray] = {}
    manifest = {"format": _FORMAT, "root": _encode(obj, arrays, "checkpoint")}
    arrays[_MANIFEST] = np.array(json.dumps(manifest, allow_nan=True))
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    _remove_stale_temp_files(directory, os.path.basename(path))
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(os.path.basename(path)), suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o666 & ~_umask())  # mkstemp makes it private; a checkpoint follows the umask
            (np.savez_compressed if compress else np.savez)(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_dir(directory)


def _host() -> str:
    """This machine, as a short token for temporary file names."""
    import socket  # (here: importing nn stays light)

    return f"{zlib.crc32(socket.gethostname().encode()):08x}"


def _temp_prefix(base: str) -> str:
    return f".{base}.{_host()}-{os.getpid()}-"


_OLD_TEMP_AGE = 3600.0  # seconds: a temporary file without a process id this old is abandoned


def _remove_stale_temp_files(directory: str, base: str) -> None:
    """Remove temporary files of ``base`` left by writers that died before renaming them.

    A file written on this machine by a process that no longer exists is stale; one by a live
    process (another save in progress, or this process's own) is kept. Files from another
    machine, or in the older name format without a process id, are removed once an hour old.
    """
    # (mkstemp's random part: 8 of [a-z0-9_]; a longer target name sharing this prefix doesn't match)
    pattern = re.compile(re.escape(f".{base}.") + r"(?:([0-9a-f]{8})-(\d+)-)?[a-z0-9_]{8}\.tmp")
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        m = pattern.fullmatch(name)
        if m is None:
            continue
        full = os.path.join(directory, name)
        host, pid = m.group(1), m.group(2)
        try:
            if host == _host() and pid is not None:
                if int(pid) == os.getpid() or _alive(int(pid)):
                    continue
            elif time.time() - os.path.getmtime(full) < _OLD_TEMP_AGE:
                continue
            os.remove(full)
        except OSError:
            pass  # gone already, or not ours to remove


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # exists (another user's), or can't tell: keep the file
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(directory: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories can't be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load(path: str | os.PathLike) -> Any:
    """Read a checkpoint written by ``save`` (arrays come back as ndarrays, Tensors as Tensors).

    A plain ``.npz`` of named arrays (e.g. ``np.savez(path, **state_dict)``) loads as a
    dict of arrays, a ``.npy`` file as its array. A PyTorch ``torch.save`` file of tensors in
    dicts, lists and tuples (a ``state_dict``) loads with its tensors as Tensors, ready for
    ``load_state_dict``; anything else in it is refused. Nothing is unpickled that could run code.
    """
    import zipfile  # (here, as torch_checkpoint: importing nn stays light)

    from .torch_checkpoint import is_torch_zip, load_torch_zip

    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except FileNotFoundError:
        raise FileNotFoundError(f"load: no such file: {path}") from None
    except IsADirectoryError:
        raise IsADirectoryError(f"load: {path} is a directory, not a checkpoint file") from None
    if not head:
        raise ValueError(f"load: {path} is empty (0 bytes): not a checkpoint, or a save that never finished")
    if head.startswith(b"PK"):
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
            raise ValueError(f"load: {path} is a truncated or corrupt zip archive ({e})") from None
        with zf:
            if is_torch_zip(zf.namelist()):
                return load_torch_zip(zf, path)
        return _load_npz(path)
    if head.startswith(b"\x93NUMPY"):
        return _numpy_call(lambda: np.load(path, allow_pickle=False), path)
    if head[:1] == b"\x80":
        raise ValueError(
            f"load: {path} is a pickle (PyTorch's format before 1.6, or a plain pickle), which can run code "
            "when loaded: graphgrad reads only .npz files and torch.save's zip files (re-save it with a "
            "current PyTorch: torch.save(torch.load(path), path))"
        )
    text = all(32 <= b < 127 or b in b"\t\r\n" for b in head)
    raise ValueError(
        f"load: {path} is not a checkpoint: neither a .npz (zip) archive nor a PyTorch file "
        f"({'it looks like text' if text else 'it starts with ' + repr(head)})"
    )


def _numpy_call(fn: Any, path: str) -> Any:
    """``fn()``, with NumPy's and zipfile's errors turned into one naming ``path``."""
    import zipfile

    try:
        return fn()
    except ValueError as e:
        if str(e).startswith("load: "):
            raise
        if "pickle" in str(e) or "Object arrays" in str(e):
            raise ValueError(
                f"load: {path} holds an object array (pickled Python objects), which graphgrad doesn't load "
                "because loading it could run code"
            ) from None
        raise ValueError(f"load: {path} is corrupt: {e}") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, zlib.error) as e:
        raise ValueError(f"load: {path} is corrupt or truncated ({type(e).__name__}: {e})") from None


def _load_npz(path: str) -> Any:
    def read() -> Any:
        with np.load(path, allow_pickle=False) as z:
            if _MANIFEST not in z.files:
                return {k: z[k] for k in z.files}
            try:
                manifest = json.loads(str(z[_MANIFEST][()]))
            except json.JSONDecodeError as e:
                raise ValueError(f"load: {path} is corrupt: its manifest is not valid JSON ({e})") from None
            if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT:
                found = manifest.get("format") if isinstance(manifest, dict) else None
                raise ValueError(f"load: {path} has checkpoint format {found}, expected {_FORMAT}")
            return _decode(manifest["root"], z)

    return _numpy_call(read, path)
