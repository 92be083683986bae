"""Reading PyTorch checkpoints (``torch.save``'s zip format) without PyTorch, and without running code.

A ``.pt``/``.pth`` file written by ``torch.save`` (PyTorch >= 1.6) is a zip archive:
``<name>/data.pkl`` is a pickle of the saved object, in which every tensor is a call to
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)``
and every storage a persistent id ``('storage', torch.FloatStorage, key, device, numel)``
whose bytes are the member ``<name>/data/<key>``; ``<name>/byteorder`` says little or big
endian. Several tensors may share one storage (views, tied weights).

Unpickling runs whatever callables a pickle names, so this reader admits only what a
state_dict is made of, as PyTorch's ``weights_only=True`` does: the tensor and parameter
rebuilders, storage types, ``torch.Size``, dtypes and ``collections.OrderedDict``. They
build inert records during unpickling; tensors are made from them afterwards, while the
result is checked to hold only tensors, dicts, lists, tuples, strings, numbers, booleans
and ``None``. Anything else (a pickled module or optimizer object, ``os.system``, a
TorchScript archive, PyTorch's pre-1.6 format) is refused with an error naming the file
and what was found. Each tensor comes back as a graphgrad ``Tensor`` (``Parameter`` for
parameters) owning a copy of its elements: views of one storage become separate arrays;
one tensor saved under two names (tied weights) comes back as one Tensor.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np

from autograd import Parameter, Tensor

__all__ = ["is_torch_zip", "load_torch_zip"]

# PyTorch's storage types and dtypes, by name, as NumPy dtypes (bfloat16 has none).
_STORAGES = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "LongStorage": "int64", "IntStorage": "int32", "ShortStorage": "int16", "CharStorage": "int8",
    "ByteStorage": "uint8", "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128", "UntypedStorage": "uint8", "BFloat16Storage": None,
}  # fmt: skip
_DTYPES = {
    "float32": "float32", "float": "float32", "float64": "float64", "double": "float64",
    "float16": "float16", "half": "float16", "int64": "int64", "long": "int64", "int32": "int32",
    "int": "int32", "int16": "int16", "short": "int16", "int8": "int8", "uint8": "uint8",
    "bool": "bool", "complex64": "complex64", "complex128": "complex128", "bfloat16": None,
}  # fmt: skip


class _StorageType:
    __slots__ = ("name", "dtype")

    def __init__(self, name: str, dtype: str | None):
        self.name, self.dtype = name, dtype


class _Dtype(_StorageType):
    __slots__ = ()


class _Storage:
    __slots__ = ("array",)

    def __init__(self, array: np.ndarray):
        self.array = array


class _TensorRecord:
    """What a rebuild call in the pickle asked for; made into a Tensor after unpickling."""

    __slots__ = ("storage", "offset", "size", "stride", "requires_grad", "parameter", "dtype")

    def __init__(self, storage: Any, offset: Any, size: Any, stride: Any, requires_grad: Any, dtype: Any = None):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride
        self.requires_grad, self.parameter, self.dtype = requires_grad, False, dtype


class CheckpointRefused(pickle.UnpicklingError):
    """A PyTorch file holds something other than tensors and plain containers."""


def _no_hooks(hooks: Any) -> None:
    if hooks is not None and not (isinstance(hooks, dict) and not hooks):
        raise CheckpointRefused("a tensor saved with backward hooks (code), which are not loaded")


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks, metadata=None):  # type: ignore[no-untyped-def]
    _no_hooks(hooks)
    return _TensorRecord(storage, offset, size, stride, requires_grad)


def _rebuild_tensor_v3(storage, offset, size, stride, requires_grad, hooks, dtype, metadata=None):  # type: ignore[no-untyped-def]
    _no_hooks(hooks)
    return _TensorRecord(storage, offset, size, stride, requires_grad, dtype)


def _rebuild_parameter(data, requires_grad, hooks, state=None):  # type: ignore[no-untyped-def]
    _no_hooks(hooks)
    if not isinstance(data, _TensorRecord) or state:
        raise CheckpointRefused("a Parameter that is not a plain tensor (or carries extra state)")
    data.requires_grad, data.parameter = requires_grad, True
    return data


def _size(*args: Any) -> tuple:
    return tuple(*args)


_ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter,
    ("torch", "Size"): _size,
    **{("torch", name): _StorageType(name, dtype) for name, dtype in _STORAGES.items()},
    **{("torch", name): _Dtype(name, dtype) for name, dtype in _DTYPES.items()},
}


class _Unpickler(pickle.Unpickler):
    """An unpickler that resolves only the names in ``_ALLOWED`` and loads storages from the zip."""

    def __init__(self, data: bytes, read_storage: Any):
        super().__init__(io.BytesIO(data), encoding="utf-8")
        self._read_storage = read_storage
        self._storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str) -> Any:
        found = _ALLOWED.get((module, name))
        if found is None:
            raise CheckpointRefused(
                f"it names {module}.{name}, which is not a tensor or a plain container; only state_dicts "
                "(tensors in dicts, lists and tuples, with numbers and strings) load without PyTorch, and "
                "nothing in the file is run: save model.state_dict() rather than the model or other objects"
            )
        return found

    def persistent_load(self, pid: Any) -> _Storage:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise CheckpointRefused(f"an unknown persistent reference {str(pid)[:80]}")
        kind, key, _location, numel = pid[1:]
        if not isinstance(kind, _StorageType) or isinstance(kind, _Dtype):
            raise CheckpointRefused(f"a storage of unknown type {kind!r}")
        if kind.dtype is None:
            raise CheckpointRefused(f"a {kind.name} (bfloat16 has no NumPy dtype: convert it with .float() first)")
        if not isinstance(key, str) or not isinstance(numel, int) or numel < 0:
            raise CheckpointRefused(f"a malformed storage reference {str(pid)[:80]}")
        if key not in self._storages:
            self._storages[key] = _Storage(self._read_storage(key, np.dtype(kind.dtype), numel))
        return self._storages[key]


def is_torch_zip(names: list[str]) -> bool:
    return any(n == "data.pkl" or n.endswith("/data.pkl") for n in names)


def load_torch_zip(zf: zipfile.ZipFile, path: str) -> Any:
    """The object saved in the PyTorch zip checkpoint ``zf`` (opened from ``path``), safely."""
    names = zf.namelist()
    if any(n.endswith("/constants.pkl") for n in names) or any("/code/" in n for n in names):
        raise CheckpointRefused(
            f"load: {path} is a TorchScript archive (torch.jit.save), which holds code; load it with PyTorch "
            "and save its state_dict() with torch.save"
        )
    pkl = next(n for n in names if n == "data.pkl" or n.endswith("/data.pkl"))
    prefix = pkl[: -len("data.pkl")]
    order = _read(zf, prefix + "byteorder", path).decode() if prefix + "byteorder" in names else "little"
    if order not in ("little", "big"):
        raise ValueError(f"load: {path} has an unknown byte order {order[:20]!r}")

    def read_storage(key: str, dtype: np.dtype, numel: int) -> np.ndarray:
        member = f"{prefix}data/{key}"
        if member not in names:
            raise ValueError(f"load: {path} is corrupt or truncated: its storage {key!r} is missing")
        raw = _read(zf, member, path)
        if len(raw) < numel * dtype.itemsize:
            raise ValueError(
                f"load: {path} is corrupt or truncated: storage {key!r} has {len(raw)} bytes, "
                f"expected {numel} x {dtype.itemsize}"
            )
        arr = np.frombuffer(raw, dtype.newbyteorder("<" if order == "little" else ">"), count=numel)
        return arr.astype(dtype)  # native byte order, and writable

    try:
        root = _Unpickler(_read(zf, pkl, path), read_storage).load()
    except CheckpointRefused as e:
        if str(e).startswith("load: "):
            raise
        raise CheckpointRefused(f"load: {path} is refused: {e}") from None
    except (pickle.UnpicklingError, EOFError, TypeError, AttributeError, IndexError, KeyError) as e:
        raise ValueError(f"load: {path} is corrupt: its data.pkl can't be read ({type(e).__name__}: {e})") from None
    return _build(root, path, {})


def _read(zf: zipfile.ZipFile, member: str, path: str) -> bytes:
    try:
        return zf.read(member)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        raise ValueError(f"load: {path} is corrupt or truncated: reading {member} failed ({e})") from None


def _build(obj: Any, path: str, memo: dict[int, Any]) -> Any:
    """The unpickled tree with tensors made, checked to hold only plain values."""
    if obj is None or type(obj) in (bool, int, float, complex, str, bytes):
        return obj
    if id(obj) in memo:
        return memo[id(obj)]
    if isinstance(obj, _TensorRecord):
        out = memo[id(obj)] = _tensor(obj, path)
    elif type(obj) in (dict, OrderedDict):
        out = memo[id(obj)] = type(obj)()
        for k, v in obj.items():
            out[_build(k, path, memo)] = _build(v, path, memo)
    elif type(obj) is list:
        out = memo[id(obj)] = []
        out.extend(_build(v, path, memo) for v in obj)
    elif type(obj) is tuple:
        out = memo[id(obj)] = tuple(_build(v, path, memo) for v in obj)
    elif type(obj) is _Dtype and obj.dtype is not None:
        out = np.dtype(obj.dtype)
    else:
        what = obj.name if isinstance(obj, _StorageType) else type(obj).__name__
        raise CheckpointRefused(f"load: {path} is refused: it holds a {what}, not a tensor or a plain container")
    return out


def _tensor(rec: _TensorRecord, path: str) -> Tensor:
    storage = rec.storage
    if not isinstance(storage, _Storage):
        raise CheckpointRefused(f"load: {path} is refused: a tensor whose storage is a {type(storage).__name__}")
    base = storage.array
    if isinstance(rec.dtype, _Dtype):  # _rebuild_tensor_v3: the storage's bytes read as this dtype
        if rec.dtype.dtype is None:
            raise CheckpointRefused(f"load: {path} is refused: a {rec.dtype.name} tensor (no NumPy dtype)")
        base = base.view(np.dtype(rec.dtype.dtype))
    try:
        size, stride, offset = tuple(int(s) for s in rec.size), tuple(int(s) for s in rec.stride), int(rec.offset)
    except (TypeError, ValueError):
        raise ValueError(f"load: {path} is corrupt: a tensor with size {rec.size!r}, stride {rec.stride!r}") from None
    if len(size) != len(stride) or min(size + stride + (offset,), default=0) < 0:
        raise ValueError(f"load: {path} is corrupt: a tensor with size {size}, stride {stride}, offset {offset}")
    last = offset + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else offset - 1
    if last >= base.size:
        raise ValueError(
            f"load: {path} is corrupt: a tensor of size {size}, stride {stride}, offset {offset} reaches past "
            f"its storage of {base.size} elements"
        )
    strides = tuple(s * base.itemsize for s in stride)
    arr = np.lib.stride_tricks.as_strided(base[offset:], size, strides, writeable=False).copy()
    requires_grad = bool(rec.requires_grad) and arr.dtype.kind == "f"
    if rec.parameter and arr.dtype.kind == "f":
        return Parameter(arr, requires_grad=requires_grad)
    return Tensor(arr, requires_grad=requires_grad)
