"""Recurrent layers: ``RNN``, ``GRU``, ``LSTM`` and their one-step cells.

Parameter names, shapes, gate orders and equations are PyTorch's, so weights move
between the two one-to-one. Everything is composed of autograd ops (backpropagation
through time is just the engine's reverse sweep over the unrolled loop).

Layer ``k`` holds ``weight_ih_l{k}`` of shape ``(G * hidden_size, in_k)``,
``weight_hh_l{k}`` of shape ``(G * hidden_size, hidden_size)`` and the biases
``bias_ih_l{k}``, ``bias_hh_l{k}`` of shape ``(G * hidden_size,)``, with G = 1 (RNN),
3 (GRU: r, z, n) or 4 (LSTM: i, f, g, o).

- RNN:  ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`` (or relu)
- GRU:  ``r = σ(W_ir x + b_ir + W_hr h + b_hr)``, ``z = σ(W_iz x + b_iz + W_hz h + b_hz)``,
  ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``
- LSTM: ``i, f, o = σ(...)``, ``g = tanh(...)``, ``c' = f * c + i * g``, ``h' = o * tanh(c')``

As in PyTorch, ``dropout`` (multi-layer modules, training mode) drops elements of each
layer's output except the last layer's.

For speed, the input projections of all time steps are one matmul before the loop (two for
the GRU); inside it there is only the recurrent matmul ``h @ W_hh.T`` (one for all gates) and
the gates' elementwise arithmetic: one op for the GRU (``autograd.gru_gates``, fused as
PyTorch fuses it), a few for the LSTM (``addcmul`` fuses two).
The time steps are taken with ``autograd.unbind``, whose backward stacks the per-step
gradients once (slicing step by step would scatter into a full-size array per step).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor

from . import init
from .functional import dropout as _dropout
from .module import Module, Parameter

__all__ = ["RNN", "GRU", "LSTM", "RNNCell", "GRUCell", "LSTMCell"]

_ACTIVATIONS = {"tanh": ag.tanh, "relu": ag.relu}


# ============================================================ one time step
# ``pre`` is the input's share of the pre-activations, W_ih x plus every bias that can join
# it (see ``_project``), so the recurrent matmul and that sum are one ``linear`` node.
def _gates(pieces: tuple, names: tuple) -> tuple:
    """The gate blocks of a step, named as the equations name them (drawings label them so)."""
    for t, name in zip(pieces, names):
        t.name = name
    return pieces


def _rnn_step(pre: Tensor, h: Tensor, w_hh: Tensor, act: Any) -> Tensor:
    return act(ag.linear(h, w_hh, pre))


def _gru_step(pre: Tensor, gi_n: Tensor, h: Tensor, w_hh: Tensor) -> Tensor:
    # one matmul for all three gates, [W_hr h + pre_r, W_hz h + pre_z, W_hn h + b_hn], then all the
    # elementwise arithmetic (the gates r, z, n and the new state) as one op (ag.gru_gates)
    return ag.gru_gates(ag.linear(h, w_hh, pre), gi_n, h)


def _lstm_step(pre: Tensor, h: Tensor, c: Tensor, w_hh: Tensor) -> tuple[Tensor, Tensor]:
    i, f, g, o = _gates(ag.split(ag.linear(h, w_hh, pre), h.shape[-1], dim=-1), ("i", "f", "g", "o"))
    c = ag.addcmul(ag.sigmoid(f) * c, ag.sigmoid(i), ag.tanh(g))
    return ag.sigmoid(o) * ag.tanh(c), c


def _project(x: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None, gru: bool) -> Any:
    """The input pre-activations of every time step, before the loop.

    RNN/LSTM: ``x W_ih^T + b_ih + b_hh``. GRU: b_hh's n block must stay inside
    ``r * (W_hn h + b_hn)``, so the steps get two parts: ``pre`` holds the r and z blocks of
    ``x W_ih^T + b_ih + b_hh`` and ``b_hn`` in the n block (W_ih's n rows zeroed), so one
    matmul per step, ``h W_hh^T + pre``, gives every gate's hidden-side term; and
    ``gi_n = x W_in^T + b_in``. (Two input matmuls: copying one result apart costs more.)
    """
    if not gru:
        return ag.linear(x, w_ih, None if b_ih is None else b_ih + b_hh)
    hidden = w_hh.shape[1]
    w_rz, w_n = ag.split(w_ih, [2 * hidden, hidden])
    w_pre = ag.pad(w_rz, ((0, hidden), (0, 0)))
    if b_hh is None:
        return ag.linear(x, w_pre), ag.linear(x, w_n)
    b_rz, b_n = ag.split(b_ih, [2 * hidden, hidden])
    return ag.linear(x, w_pre, ag.pad(b_rz, (0, hidden)) + b_hh), ag.linear(x, w_n, b_n)


# ============================================================ shared checks and setup
def _float_input(x: Any, weight: Tensor) -> Tensor:
    """``x`` as a Tensor (Python floats in the default dtype); integer/bool data (e.g. one-hot
    codes) becomes the weights' dtype."""
    x = ag.as_tensor(x)
    return x if x.dtype.kind == "f" else Tensor(x.data.astype(weight.dtype))


def _check_state(module: Module, name: str, t: Any, expected: tuple, meaning: str) -> Tensor:
    t = ag.as_tensor(t)  # Python lists take the default dtype
    if t.shape != expected:
        raise ValueError(f"{type(module).__name__}: {name} has shape {t.shape}, expected {meaning} = {expected}")
    return t


def _init_uniform(module: Module, hidden_size: int) -> None:
    """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
    bound = 1.0 / math.sqrt(hidden_size)
    for p in module.parameters():
        init.uniform_(p, -bound, bound)


def _check_sizes(cls: str, input_size: Any, hidden_size: Any) -> None:
    for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
            raise ValueError(f"{cls}: {name} must be a positive int, got {v!r}")


# ============================================================ multi-layer sequence modules
class _RNNBase(Module):
    """Parameters, checks and the layer loop shared by RNN, GRU and LSTM."""

    _gates = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
    ):
        super().__init__()
        cls = type(self).__name__
        _check_sizes(cls, input_size, hidden_size)
        if not isinstance(num_layers, (int, np.integer)) or isinstance(num_layers, bool) or num_layers < 1:
            raise ValueError(f"{cls}: num_layers must be a positive int, got {num_layers!r}")
        if not 0 <= dropout <= 1:
            raise ValueError(f"{cls}: dropout must be a probability in [0, 1], got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"{cls}: dropout={dropout} acts between layers, so it does nothing with num_layers=1", stacklevel=2
            )
        self.input_size, self.hidden_size, self.num_layers = int(input_size), int(hidden_size), int(num_layers)
        self.bias, self.batch_first, self.dropout = bool(bias), bool(batch_first), float(dropout)
        rows, dtype = self._gates * self.hidden_size, ag.get_default_dtype()
        for k in range(self.num_layers):
            n_in = self.input_size if k == 0 else self.hidden_size
            setattr(self, f"weight_ih_l{k}", Parameter(np.empty((rows, n_in), dtype)))
            setattr(self, f"weight_hh_l{k}", Parameter(np.empty((rows, self.hidden_size), dtype)))
            if self.bias:
                setattr(self, f"bias_ih_l{k}", Parameter(np.empty(rows, dtype)))
                setattr(self, f"bias_hh_l{k}", Parameter(np.empty(rows, dtype)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _init_uniform(self, self.hidden_size)

    def flatten_parameters(self) -> None:
        """A no-op, for code written for PyTorch (where it packs weights for cuDNN)."""

    def layer_params(self, k: int) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        """``(weight_ih, weight_hh, bias_ih, bias_hh)`` of layer ``k`` (biases None without bias)."""
        p = self._parameters
        return p[f"weight_ih_l{k}"], p[f"weight_hh_l{k}"], p.get(f"bias_ih_l{k}"), p.get(f"bias_hh_l{k}")

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        return s

    # ---------------------------------------------------------------- forward
    def forward(self, input: Any, h0: Any = None, *, hx: Any = None) -> tuple[Tensor, Any]:
        """Run the whole sequence; ``h0`` (PyTorch calls it ``hx``) defaults to zeros."""
        cls = type(self).__name__
        if hx is not None:
            if h0 is not None:
                raise TypeError(f"{cls}: pass the initial state once (h0 or hx), not both")
            h0 = hx
        x = _float_input(input, self.weight_ih_l0)
        if x.ndim not in (2, 3):
            layout = "(batch, seq_len, input_size)" if self.batch_first else "(seq_len, batch, input_size)"
            raise ValueError(
                f"{cls}: expected a 3-D input {layout} or a 2-D unbatched input (seq_len, input_size), "
                f"got shape {x.shape}"
            )
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{cls}: input of shape {x.shape} has {x.shape[-1]} features, but the layer was built "
                f"with input_size={self.input_size}"
            )
        batched = x.ndim == 3
        if not batched:
            x = ag.unsqueeze(x, 1)  # (seq_len, 1, input_size)
        t_axis = 1 if self.batch_first and batched else 0
        steps, batch = x.shape[t_axis], x.shape[1 - t_axis]
        if steps == 0:
            raise ValueError(f"{cls}: the input sequence is empty (shape {x.shape})")
        states = self._initial_states(h0, batch, batched, x.dtype)
        finals = []
        for k in range(self.num_layers):
            outs, final = self._run_layer(x, k, [s[k] for s in states], t_axis)
            x = ag.stack(outs, dim=t_axis)
            finals.append(final)
            if self.dropout and self.training and k < self.num_layers - 1:
                x = _dropout(x, self.dropout)  # between layers only, as PyTorch
        h_n = [ag.stack([f[j] for f in finals]) for j in range(len(states))]
        if not batched:
            x = ag.squeeze(x, 1)
            h_n = [ag.squeeze(h, 1) for h in h_n]
        return x, (h_n[0] if len(h_n) == 1 else tuple(h_n))

    def _initial_states(self, hx: Any, batch: int, batched: bool, dtype: Any) -> list:
        """One list per state tensor (h, or h and c), holding each layer's (batch, hidden) state."""
        names = ("h0", "c0") if self._gates == 4 else ("h0",)
        if hx is None:
            zeros = Tensor(np.zeros((batch, self.hidden_size), dtype))
            return [[zeros] * self.num_layers for _ in names]
        if len(names) == 2:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"LSTM: the initial state must be a tuple (h0, c0), got {type(hx).__name__}")
        elif isinstance(hx, (tuple, list)):
            raise TypeError(f"{type(self).__name__}: the initial state must be one tensor h0, not a tuple")
        else:
            hx = (hx,)
        shape = (self.num_layers, batch, self.hidden_size) if batched else (self.num_layers, self.hidden_size)
        meaning = "(num_layers, batch, hidden_size)" if batched else "(num_layers, hidden_size) for unbatched input"
        states = []
        for name, t in zip(names, hx):
            t = _check_state(self, name, t, shape, meaning)
            states.append(list(ag.unbind(t if batched else ag.unsqueeze(t, 1))))
        return states

    def _run_layer(self, x: Tensor, k: int, state: list, t_axis: int) -> tuple[list, tuple]:
        raise NotImplementedError


class RNN(_RNNBase):
    """Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``, stacked ``num_layers`` deep.

    ``forward(input, h0=None)`` returns ``(output, h_n)``: ``output`` holds the last
    layer's ``h_t`` for every step, ``h_n`` (num_layers, batch, hidden_size) the last step
    of every layer. ``nonlinearity='relu'`` uses relu instead of tanh.

    >>> rnn = RNN(10, 20, num_layers=2)
    >>> output, h_n = rnn(ag.randn(5, 3, 10))         # (seq_len, batch, input_size)
    >>> output.shape, h_n.shape
    ((5, 3, 20), (2, 3, 20))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
    ):
        if nonlinearity not in _ACTIVATIONS:
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout)
        self.nonlinearity = nonlinearity

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + ", nonlinearity='relu'"

    def _run_layer(self, x: Tensor, k: int, state: list, t_axis: int) -> tuple[list, tuple]:
        w_ih, w_hh, b_ih, b_hh = self.layer_params(k)
        act = _ACTIVATIONS[self.nonlinearity]
        pre = _project(x, w_ih, w_hh, b_ih, b_hh, gru=False)
        (h,) = state
        outs = []
        for pre_t in ag.unbind(pre, t_axis):
            h = _rnn_step(pre_t, h, w_hh, act)
            outs.append(h)
        return outs, (h,)


class GRU(_RNNBase):
    """Gated recurrent unit (Cho et al. 2014), PyTorch's form, gate order (r, z, n).

    ``r`` (reset) and ``z`` (update) are sigmoid gates; the candidate state
    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`` and ``h' = (1 - z) * n + z * h``.
    ``forward(input, h0=None)`` returns ``(output, h_n)``.

    >>> gru = GRU(8, 16, batch_first=True)
    >>> output, h_n = gru(ag.randn(4, 7, 8))          # (batch, seq_len, input_size)
    >>> output.shape, h_n.shape, gru.weight_hh_l0.shape
    ((4, 7, 16), (1, 4, 16), (48, 16))
    """

    _gates = 3

    def _run_layer(self, x: Tensor, k: int, state: list, t_axis: int) -> tuple[list, tuple]:
        w_ih, w_hh, b_ih, b_hh = self.layer_params(k)
        pre, gi_n = _project(x, w_ih, w_hh, b_ih, b_hh, gru=True)
        (h,) = state
        outs = []
        for pre_t, n_t in zip(ag.unbind(pre, t_axis), ag.unbind(gi_n, t_axis)):
            h = _gru_step(pre_t, n_t, h, w_hh)
            outs.append(h)
        return outs, (h,)


class LSTM(_RNNBase):
    """Long short-term memory (Hochreiter & Schmidhuber 1997), gate order (i, f, g, o).

    ``forward(input, (h0, c0)=None)`` returns ``(output, (h_n, c_n))``, each state of
    shape (num_layers, batch, hidden_size).

    >>> lstm = LSTM(6, 12, num_layers=2)
    >>> output, (h_n, c_n) = lstm(ag.randn(9, 2, 6))
    >>> output.shape, h_n.shape, c_n.shape
    ((9, 2, 12), (2, 2, 12), (2, 2, 12))
    """

    _gates = 4

    def _run_layer(self, x: Tensor, k: int, state: list, t_axis: int) -> tuple[list, tuple]:
        w_ih, w_hh, b_ih, b_hh = self.layer_params(k)
        pre = _project(x, w_ih, w_hh, b_ih, b_hh, gru=False)
        h, c = state
        outs = []
        for pre_t in ag.unbind(pre, t_axis):
            h, c = _lstm_step(pre_t, h, c, w_hh)
            outs.append(h)
        return outs, (h, c)


# ============================================================ single-step cells
class _CellBase(Module):
    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        _check_sizes(type(self).__name__, input_size, hidden_size)
        self.input_size, self.hidden_size, self.bias = int(input_size), int(hidden_size), bool(bias)
        rows, dtype = self._gates * self.hidden_size, ag.get_default_dtype()
        self.weight_ih = Parameter(np.empty((rows, self.input_size), dtype))
        self.weight_hh = Parameter(np.empty((rows, self.hidden_size), dtype))
        if self.bias:
            self.bias_ih = Parameter(np.empty(rows, dtype))
            self.bias_hh = Parameter(np.empty(rows, dtype))
        else:
            self.bias_ih = self.bias_hh = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _init_uniform(self, self.hidden_size)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")

    def _prepare(self, input: Any, hx: Any, names: tuple) -> tuple[Tensor, list]:
        """The checked input and the states (zeros if not given)."""
        cls = type(self).__name__
        x = _float_input(input, self.weight_ih)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{cls}: expected input of shape (batch, {self.input_size}) or ({self.input_size},), "
                f"got shape {x.shape}"
            )
        batched = x.ndim == 2
        shape = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        if hx is None:
            states = [Tensor(np.zeros(shape, x.dtype)) for _ in names]
        else:
            if len(names) == 2 and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
                raise TypeError(f"{cls}: the state must be a tuple (h, c), got {type(hx).__name__}")
            if len(names) == 1:
                if isinstance(hx, (tuple, list)):
                    raise TypeError(f"{cls}: the state must be one tensor h, not a tuple")
                hx = (hx,)
            meaning = "(batch, hidden_size)" if batched else "(hidden_size,) for unbatched input"
            states = [_check_state(self, n, t, shape, meaning) for n, t in zip(names, hx)]
        return x, states


class RNNCell(_CellBase):
    """One step of an Elman RNN: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``.

    >>> cell = RNNCell(3, 5)
    >>> h = cell(ag.randn(2, 3))                      # h defaults to zeros
    >>> cell(ag.randn(2, 3), h).shape
    (2, 5)
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh"):
        if nonlinearity not in _ACTIVATIONS:
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias)
        self.nonlinearity = nonlinearity

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        x, (h,) = self._prepare(input, hx, ("hx",))
        pre = _project(x, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, gru=False)
        return _rnn_step(pre, h, self.weight_hh, _ACTIVATIONS[self.nonlinearity])


class GRUCell(_CellBase):
    """One GRU step (gate order r, z, n; PyTorch's equations, see :class:`GRU`).

    >>> cell = GRUCell(3, 5)
    >>> cell(ag.randn(2, 3)).shape
    (2, 5)
    """

    _gates = 3

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        x, (h,) = self._prepare(input, hx, ("hx",))
        pre, gi_n = _project(x, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, gru=True)
        return _gru_step(pre, gi_n, h, self.weight_hh)


class LSTMCell(_CellBase):
    """One LSTM step (gate order i, f, g, o); returns ``(h', c')``.

    >>> cell = LSTMCell(3, 5)
    >>> h, c = cell(ag.randn(2, 3))
    >>> h.shape, c.shape
    ((2, 5), (2, 5))
    """

    _gates = 4

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        x, (h, c) = self._prepare(input, hx, ("hx", "cx"))
        pre = _project(x, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, gru=False)
        return _lstm_step(pre, h, c, self.weight_hh)
