"""Downloading a file once into graphgrad's cache, checked against its published checksum.

The cache is ``$GRAPHGRAD_DATA`` if set, else ``$XDG_CACHE_HOME/graphgrad``, else ``~/.cache/graphgrad``.
A download is written to a temporary file beside its destination and renamed only once it is complete and
its checksum matches, so an interrupted or bad download never leaves a file behind that looks finished.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

__all__ = ["DownloadError", "cache_dir", "download_file"]


class DownloadError(OSError):
    """A download failed: the network, an HTTP error, a truncated transfer or a checksum mismatch
    (``corrupt`` is true for the last two: the server answered, but not with the right file)."""

    def __init__(self, message: str, corrupt: bool = False):
        super().__init__(message)
        self.corrupt = corrupt


def cache_dir() -> Path:
    """Where downloaded datasets are kept (see the module docstring); not created here.

    >>> cache_dir().name in ("graphgrad", os.environ.get("GRAPHGRAD_DATA", "").rstrip("/").split("/")[-1])
    True
    """
    if os.environ.get("GRAPHGRAD_DATA"):
        return Path(os.environ["GRAPHGRAD_DATA"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "graphgrad"


def download_file(url: str, dest: str | Path, md5: str | None = None, timeout: float = 30.0) -> Path:
    """Fetch ``url`` into ``dest`` (its folder is created), checking its length against the server's
    ``Content-Length`` and its MD5 against ``md5``. Returns ``dest``; raises ``DownloadError`` (leaving
    nothing at ``dest``) on any failure."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        digest, received = hashlib.md5(usedforsecurity=False), 0
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    length = response.headers.get("Content-Length")
                    while chunk := response.read(1 << 20):
                        out.write(chunk)
                        digest.update(chunk)
                        received += len(chunk)
            except http.client.IncompleteRead as e:
                received += len(e.partial)
                raise DownloadError(
                    f"download of {url} was cut short after {received:,} bytes of {length or '?'}; try again",
                    corrupt=True,
                ) from None
            except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
                reason = getattr(e, "reason", None) or e
                raise DownloadError(f"could not download {url}: {reason}") from None
        if length is not None and received != int(length):
            raise DownloadError(
                f"download of {url} was cut short: {received:,} bytes of {int(length):,}; try again", corrupt=True
            )
        if md5 is not None and digest.hexdigest() != md5.lower():
            raise DownloadError(
                f"download of {url} has the wrong checksum (MD5 {digest.hexdigest()}, expected {md5}); the file "
                "was damaged on the way or the server changed it: nothing was kept",
                corrupt=True,
            )
        os.replace(tmp, dest)
        return dest
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
