"""Character-level language models: an embedding, a recurrent layer, a linear readout."""

from __future__ import annotations

from typing import Any

from autograd import Tensor

from ..layers import Embedding, Linear
from ..module import Module
from ..rnn import GRU, LSTM, RNN

_CELLS = {"rnn": RNN, "gru": GRU, "lstm": LSTM}


class CharLM(Module):
    """Predict the next character: ``Embedding -> RNN/GRU/LSTM -> Linear``.

    ``forward(tokens, state=None)`` takes int token ids of shape ``(steps, batch)``
    and returns ``(logits (steps, batch, vocab), state)``; pass ``state`` back in
    to continue a sequence (truncated backpropagation through time).

    >>> import autograd as ag
    >>> lm = CharLM(vocab_size=65, hidden_size=32, cell="gru")
    >>> logits, state = lm(ag.Tensor([[1, 2], [3, 4], [5, 6]]))
    >>> logits.shape, state.shape
    ((3, 2, 65), (1, 2, 32))
    """

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int = 256,
        embed_size: int | None = None,
        cell: str = "gru",
        num_layers: int = 1,
    ):
        super().__init__()
        if cell not in _CELLS:
            raise ValueError(f"CharLM: cell must be one of {sorted(_CELLS)}, got {cell!r}")
        embed_size = embed_size or hidden_size
        self.embedding = Embedding(vocab_size, embed_size)
        self.rnn = _CELLS[cell](embed_size, hidden_size, num_layers=num_layers)
        self.head = Linear(hidden_size, vocab_size)

    def forward(self, tokens: Any, state: Any = None) -> tuple[Tensor, Any]:
        output, state = self.rnn(self.embedding(tokens), state)
        return self.head(output), state
