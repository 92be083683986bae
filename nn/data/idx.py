"""IDX files, the format MNIST and Fashion-MNIST come in: a 4-byte magic number (two zero bytes, a type
code, the number of dimensions), each dimension as a big-endian uint32, then the values, big-endian, in
C order. Files may be gzip-compressed (recognised by their first bytes, whatever their name).

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "labels-idx1-ubyte.gz"
>>> write_idx(path, np.array([3, 1, 4], dtype=np.uint8))
>>> read_idx(path)
array([3, 1, 4], dtype=uint8)
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

__all__ = ["read_idx", "write_idx"]

# type code -> NumPy dtype (big-endian, as the format stores it)
_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as e:  # EOFError: cut short; BadGzipFile (an OSError), zlib: corrupt
        raise ValueError(
            f"{path}: the gzip data is damaged or cut short ({e}); delete the file and get it again"
        ) from None


def read_idx(path: str | Path) -> np.ndarray:
    """The array stored in an IDX file (gzip-compressed or not), in the file's dtype in native byte order.

    Raises ``ValueError`` naming the file when it is not IDX, is cut short, or has bytes left over.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES:
        raise ValueError(
            f"{path}: not an IDX file (it starts with bytes {raw[:4].hex(' ') or 'nothing'}; an IDX file starts "
            "with 00 00, a type code among 08 09 0b 0c 0d 0e, and the number of dimensions)"
        )
    dtype, ndim = np.dtype(_TYPES[raw[2]]), raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: IDX header cut short ({len(raw)} bytes, {ndim} dimensions need {header})")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header
    if found != expected:
        what = "cut short" if found < expected else "longer than its header says"
        raise ValueError(
            f"{path}: IDX file {what}: shape {shape} of {dtype.name} needs {expected:,} bytes of data, found "
            f"{found:,}; delete the file and get it again"
        )
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write ``array`` (uint8, int8, int16, int32, float32 or float64) as an IDX file, gzip-compressed when
    ``path`` ends in ``.gz``."""
    array = np.asarray(array)
    codes = {np.dtype(t).newbyteorder("="): code for code, t in _TYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(
            f"write_idx: IDX has no type for {array.dtype}; use uint8, int8, int16, int32, float32, float64"
        )
    if array.ndim > 255:
        raise ValueError(f"write_idx: IDX holds at most 255 dimensions, got {array.ndim}")
    data = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    data += np.ascontiguousarray(array, dtype=_TYPES[code]).tobytes()
    path = Path(path)
    path.write_bytes(gzip.compress(data, mtime=0) if path.suffix == ".gz" else data)
