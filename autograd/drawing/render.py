"""Turning DOT text into SVG: a system Graphviz ``dot`` when there is one, else ``graphviz-pure``.

``graphviz-pure`` (a PyPI package, ``pip install graphviz-pure``) installs a self-contained,
``dot``-compatible program, so drawings render on a machine where only ``pip`` was run.
:func:`dot_binary` picks the program; :func:`pipe` runs it on DOT text; :func:`digraph_class`
is a ``graphviz.Digraph`` whose ``render()``, ``pipe()``, ``view()`` and Jupyter display go
through that program. The ``graphviz`` Python package is imported only when needed.

The environment variable ``GRAPHGRAD_DOT`` names a program to use instead of the search.

>>> svg = pipe("digraph { a -> b }")
>>> svg.lstrip().startswith("<?xml")
True
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import threading
from pathlib import Path
from typing import Any

__all__ = ["dot_binary", "pipe", "digraph_class", "NoGraphvizError", "FormatError"]

_PURE = "graphviz-pure.exe" if os.name == "nt" else "graphviz-pure"


class NoGraphvizError(RuntimeError):
    """No program to lay out the graph was found."""

    def __init__(self) -> None:
        super().__init__(
            "no Graphviz `dot` program found: `pip install graphviz-pure` (or install Graphviz, e.g. "
            "`apt-get install graphviz`). The DOT text is available without one: `draw(...).source`."
        )


class FormatError(ValueError):
    """The program found cannot write the format asked for (``.pdf`` with ``graphviz-pure``)."""

    def __init__(self, fmt: str, binary: str, message: str):
        program = Path(binary).name
        known = message.split("Use one of:", 1)[1].split() if "Use one of:" in message else []
        wanted = [f for f in ("svg", "png", "jpg") if f in known]
        can = f" It writes: {', '.join(wanted)} (and DOT text: .dot)." if wanted else ""
        super().__init__(
            f"cannot save a drawing as {fmt!r}: the renderer {program!r} does not write that format.{can} "
            f"For {fmt}, install Graphviz (e.g. `apt-get install graphviz`, `brew install graphviz` or "
            "`conda install graphviz`), which graphgrad then uses; or save as .svg and convert that file."
        )
        self.format, self.program = fmt, program


def _format_error(binary: str, fmt: str, message: str) -> FormatError | None:
    """A :class:`FormatError` when the program's error message says the format is unknown."""
    if "not recognized" in message or "Format:" in message:
        return FormatError(fmt, binary, message)
    return None


def dot_binary() -> str | None:
    """The program that renders DOT: ``$GRAPHGRAD_DOT``, a system ``dot``, or ``graphviz-pure``.

    ``graphviz-pure`` is looked for next to the running Python (a virtual environment's
    ``bin``), in the scripts folders of this interpreter, then on ``PATH``. None if none.
    """
    chosen = os.environ.get("GRAPHGRAD_DOT")
    if chosen:
        return shutil.which(chosen) or chosen
    system = shutil.which("dot")
    if system:
        return system
    folders = [Path(sys.executable).parent]
    for scheme in (None, f"{os.name}_user"):
        try:
            folders.append(Path(sysconfig.get_path("scripts", scheme) if scheme else sysconfig.get_path("scripts")))
        except KeyError:  # no user scheme on this platform
            pass
    for folder in folders:
        candidate = folder / _PURE
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("graphviz-pure")


def pipe(source: str, format: str = "svg", engine: str = "dot") -> str | bytes:
    """Render DOT text with :func:`dot_binary`: a ``str`` for text formats (svg, dot), else ``bytes``."""
    binary = dot_binary()
    if binary is None:
        raise NoGraphvizError()
    proc = subprocess.run(
        [binary, f"-K{engine}", f"-T{format}"], input=source.encode("utf-8"), capture_output=True, check=False
    )
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip()
        unknown = _format_error(binary, format, message)
        if unknown is not None:
            raise unknown
        raise RuntimeError(f"{Path(binary).name} failed (exit status {proc.returncode}): {message}")
    text_formats = ("svg", "dot", "gv", "xdot", "plain", "json", "canon")
    return proc.stdout.decode("utf-8") if format.split(":")[0] in text_formats else proc.stdout


# ----------------------------------------------------------------------------- graphviz.Digraph
_LOCK = threading.Lock()
_CLASS: list = []


def _through_binary(function: Any) -> Any:
    """Wrap one of the graphviz package's backend functions so it runs :func:`dot_binary`.

    The package calls the program named by ``graphviz.backend.dot_command.DOT_BINARY``
    (``dot``); while the wrapped call runs, that name points at the chosen program.
    """
    from graphviz.backend import dot_command

    def run(*args: Any, **kwargs: Any) -> Any:
        binary = dot_binary()
        if binary is None:
            raise NoGraphvizError()
        with _LOCK:
            previous = dot_command.DOT_BINARY
            dot_command.DOT_BINARY = Path(binary)
            try:
                return function(*args, **kwargs)
            except subprocess.CalledProcessError as e:  # the graphviz package's error: say what it means
                stderr = e.stderr.decode("utf-8", "replace") if isinstance(e.stderr, bytes) else str(e.stderr or "")
                fmt = kwargs.get("format") or (args[1] if len(args) > 1 else "?")
                unknown = _format_error(binary, str(fmt), stderr)
                if unknown is not None:
                    raise unknown from None
                raise
            finally:
                dot_command.DOT_BINARY = previous

    return run


def digraph_class() -> type:
    """``graphviz.Digraph`` rendering through :func:`dot_binary` (created on first use).

    Everything else is the graphviz package's own: ``source``, ``render(outfile=...)``,
    ``pipe(format=...)``, ``view()``, ``_repr_mimebundle_`` (inline SVG in Jupyter).
    """
    if _CLASS:
        return _CLASS[0]
    import graphviz
    from graphviz.backend import piping, rendering

    class Drawing(graphviz.Digraph):
        """A ``graphviz.Digraph`` that renders with a system ``dot`` or with ``graphviz-pure``."""

        @property
        def _render(self) -> Any:
            return _through_binary(rendering.render)

        @property
        def _pipe_lines(self) -> Any:
            return _through_binary(piping.pipe_lines)

        @property
        def _pipe_lines_string(self) -> Any:
            return _through_binary(piping.pipe_lines_string)

    Drawing.__module__ = __name__
    Drawing.__qualname__ = "Drawing"
    _CLASS.append(Drawing)
    return Drawing
