"""``detect_anomaly``: stop at the first NaN or inf, naming the op and your line."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from . import graph


class detect_anomaly:
    """Inside this block every op's output and every gradient is checked for NaN/inf.

    The first one found raises ``FloatingPointError`` naming the op and the line of
    your code that created it (each op records its source line while this is on).

    >>> from autograd import Tensor
    >>> x = Tensor([0.0], requires_grad=True)
    >>> with detect_anomaly():
    ...     y = x.log()                        # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    FloatingPointError: detect_anomaly: log produced inf in its forward ...
    """

    def __init__(self, check_nan: bool = True):
        self.enabled = check_nan

    def __enter__(self) -> None:
        self.previous = graph._set_anomaly(self.enabled)

    def __exit__(self, *exc: object) -> None:
        graph._restore_anomaly(self.previous)

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with detect_anomaly(self.enabled):
                return func(*args, **kwargs)

        return wrapper


def is_anomaly_enabled() -> bool:
    return graph.anomaly_enabled()
