"""Switching recording off and on: ``no_grad``, ``enable_grad``, ``set_grad_enabled``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from . import graph
from .graph import _GRAD_ENABLED


class _GradMode:
    """Context manager and decorator that sets the recording switch to ``self.mode``."""

    mode = True

    def __new__(cls, func: Callable | None = None) -> Any:
        self = super().__new__(cls)
        return self if func is None else self(func)  # bare @no_grad works too

    def __init__(self, func: Callable | None = None):
        self.previous: list[bool] = []  # one per nested entry of this same object

    def __enter__(self) -> None:
        self.previous.append(_GRAD_ENABLED.get())
        _GRAD_ENABLED.set(self.mode)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        _GRAD_ENABLED.set(self.previous.pop())

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Don't record operations (inference, optimizer updates).

    >>> from autograd import Tensor
    >>> w = Tensor([1.0], requires_grad=True)
    >>> with no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """

    mode = False


class enable_grad(_GradMode):
    """Record operations again inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled:
    """Set recording on or off: as a function call, or as a context manager."""

    def __init__(self, mode: bool):
        self.previous = graph._set_grad_enabled(mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        graph._set_grad_enabled(self.previous)


def is_grad_enabled() -> bool:
    """Whether operations are recorded in this thread (each thread has its own grad mode)."""
    return graph.grad_enabled()
