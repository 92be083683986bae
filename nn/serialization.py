"""``save`` and ``load``: checkpoints as plain NumPy ``.npz`` files, written atomically.

A checkpoint is any nesting of dicts, lists and tuples whose leaves are arrays,
Tensors, numbers, strings, booleans or ``None``, e.g.
``{"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}``.
Arrays are stored as ``.npz`` members; the nesting is stored as a JSON string in
the member ``__graphgrad__``. Nothing is pickled, so ``np.load(path,
allow_pickle=False)`` reads the file and loading never runs code.

The file is written to a temporary file in the same directory, flushed to disk
(fsync) and moved over ``path`` with ``os.replace``: a crash mid-save leaves the
previous file intact, never a truncated one.

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
import tempfile
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
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
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
    dict of arrays. Nothing is unpickled.
    """
    with np.load(os.fspath(path), allow_pickle=False) as z:
        if _MANIFEST not in z.files:
            return {k: z[k] for k in z.files}
        manifest = json.loads(str(z[_MANIFEST][()]))
        if manifest.get("format") != _FORMAT:
            raise ValueError(f"load: {path} has checkpoint format {manifest.get('format')}, expected {_FORMAT}")
        return _decode(manifest["root"], z)
