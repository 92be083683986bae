"""Deferred weight gradients: ``linear``'s speed mechanism, which a reader of the engine can skip.

A weight used at every step of a recurrent network gets one gradient contribution per step,
``g_t.T @ x_t``. Computing and adding each costs a product and a full-size addition per step;
keeping the factors and multiplying once over the concatenated rows costs two large products
in all (3-4x less memory traffic). ``linear``'s batched weight rule (``ops.linear``,
``Op.batched_vjps``) returns a :class:`MatmulSum` for every contribution after the first, and
the engine's gradient table (``engine.GradientSums``) sums through :func:`add_gradients`; the
value is computed when the gradient is read (``MatmulSum.value``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import blas, scratch

_ndarray = np.ndarray
_new = object.__new__


class MatmulSum:
    """A gradient ``a_1.T @ b_1 + a_2.T @ b_2 + ...`` kept as its factors until it is needed.

    A weight's first gradient contribution in a sweep is computed at once (a weight used once
    gains nothing by waiting). For later ones the engine uses ``linear``'s batched weight rule
    (``Op.batched_vjps``), which returns one of these instead of computing ``g.T @ x``; the
    engine joins them to the first, and computes their sum when the gradient is read: one
    matmul over the concatenated rows. A weight used at every step of a recurrent network
    thus gets two large products instead of a product and an addition per step (3-4x less
    memory traffic).

    What it holds is bounded: the rule defers only factors smaller than ``KEEP`` times the
    result, and once joined factors exceed that, the product so far is computed and kept
    (``total``) in their place. So deferring never holds much more memory than computing at
    once would, and a 35-step RNN still takes one or two products.
    """

    KEEP = 4
    __slots__ = ("lhs", "rhs", "shape", "dtype", "held", "total")  # one factor each, or lists once joined
    __array_ufunc__ = None  # never mixed with arrays by accident: the engine calls value()

    @staticmethod
    def of(a: np.ndarray, b: np.ndarray) -> MatmulSum:
        """The deferred ``a.T @ b`` of two 2-D arrays."""
        m = _new(MatmulSum)
        m.lhs, m.rhs, m.shape, m.total = a, b, (a.shape[1], b.shape[1]), None
        m.dtype = a.dtype if a.dtype is b.dtype else np.result_type(a, b)
        return m

    def value(self) -> np.ndarray:
        lhs, rhs, total = self.lhs, self.rhs, self.total
        if type(lhs) is list:
            if not lhs:
                return total
            lhs, rhs = _rows(lhs), _rows(rhs)  # read only by the product below
        out = blas.matmul(lhs.T, rhs)
        if total is not None:
            out += total
        return out

    def join(self, other: MatmulSum) -> MatmulSum:
        """Add ``other`` in place (this is the engine's own running total)."""
        if type(self.lhs) is not list:
            self.lhs, self.rhs, self.held = [self.lhs], [self.rhs], self.lhs.size + self.rhs.size
        if type(other.lhs) is list:
            self.lhs += other.lhs
            self.rhs += other.rhs
            self.held += other.held
        else:
            self.lhs.append(other.lhs)
            self.rhs.append(other.rhs)
            self.held += other.lhs.size + other.rhs.size
        if self.held > self.KEEP * self.shape[0] * self.shape[1]:
            self.total, self.lhs, self.rhs, self.held = self.value(), [], [], 0
        if other.total is not None:
            self.total = other.total if self.total is None else self.total + other.total
        return self


def _rows(parts: list) -> np.ndarray:
    """``np.concatenate(parts)``; into a reused array (``scratch``) when the parts share a dtype."""
    dtype = parts[0].dtype
    if not all(p.dtype == dtype for p in parts):
        return np.concatenate(parts)
    shape = (sum(len(p) for p in parts),) + parts[0].shape[1:]
    return np.concatenate(parts, out=scratch.empty(shape, dtype))


def value(g: Any) -> Any:
    """``g`` itself, or its value if it is a :class:`MatmulSum` (a gradient about to be read)."""
    return g.value() if type(g) is MatmulSum else g


def add_gradients(a: Any, b: Any) -> Any:
    """``a + b`` where either may be a :class:`MatmulSum`: two of the same dtype are joined (in
    place, so every use of a weight adds in constant time), anything else is computed and added."""
    if type(b) is MatmulSum:
        if type(a) is MatmulSum and a.dtype == b.dtype:
            return a.join(b)
        if type(a) is _ndarray and a.dtype == b.dtype and a.shape == b.shape and b.total is None:
            b.total = a  # (never written to: value() adds it into a new array)
            return b
    return value(a) + value(b)
