"""The gate arithmetic of recurrent cells as one op (``nn.GRU`` and ``nn.GRUCell`` use it).

A recurrent layer runs its cell once per time step on small arrays, so the number of recorded
ops per step, not the arithmetic, sets its speed: PyTorch fuses a GRU cell's elementwise work
into one kernel for the same reason. ``gru_gates`` is that fusion here: one primitive
(``ops.gru_gates``), one node in drawings, with first- and higher-order derivatives.

>>> import autograd as ag
>>> h = ag.zeros(2, 4)
>>> ag.gru_gates(ag.zeros(2, 12), ag.ones(2, 4), h).shape  # a: (batch, 3 * hidden)
(2, 4)
"""

from __future__ import annotations

from typing import Any

from . import ops
from .dtypes import common_float
from .functional import as_tensor
from .recording import apply
from .tensor import Tensor

__all__ = ["gru_gates"]


def gru_gates(a: Any, gi_n: Any, h: Any) -> Tensor:
    """A GRU cell's new state from its pre-activations (PyTorch's equations, gate order r, z, n)::

        r = sigmoid(a_r)    z = sigmoid(a_z)    n = tanh(gi_n + r * a_n)    h' = (1 - z) * n + z * h

    ``a`` (..., 3 * hidden) holds the [r, z, n] blocks of the hidden side, ``W_hh h + b_hh``, with
    the input's r and z shares (``W_ir x + b_ir``, ``W_iz x + b_iz``) already added; ``gi_n``
    (..., hidden) is the input's n share ``W_in x + b_in``, kept apart because ``r`` multiplies the
    hidden side only. ``h`` (..., hidden) is the previous state. The leading shapes must be equal.

    >>> import autograd as ag
    >>> a = ag.Tensor([[0.0, 0.0, 2.0]])                  # hidden size 1: a_r, a_z, a_n
    >>> out = ag.gru_gates(a, ag.Tensor([[-1.0]]), ag.Tensor([[1.0]]))
    >>> round(out.item(), 6)                              # r = z = 0.5, n = tanh(-1 + 0.5 * 2) = 0
    0.5
    """
    a, gi_n, h = (v if isinstance(v, Tensor) else as_tensor(v) for v in (a, gi_n, h))
    lead, hidden = h.shape[:-1], h.shape[-1] if h.ndim else 0
    if h.ndim == 0 or gi_n.shape != h.shape or a.shape != lead + (3 * hidden,):
        raise ValueError(
            f"gru_gates(): expected a (..., 3 * hidden), gi_n and h (..., hidden) with the same leading shape, "
            f"got a {a.shape}, gi_n {gi_n.shape}, h {h.shape}"
        )
    dtype = a.dtype
    if dtype.kind != "f" or gi_n.dtype != dtype or h.dtype != dtype:  # one floating dtype, as PyTorch promotes
        dtype = common_float(a.dtype, gi_n.dtype, h.dtype)
        a, gi_n, h = (t if t.dtype == dtype else t.to(dtype) for t in (a, gi_n, h))
    return apply(ops.gru_gates, (a, gi_n, h))
