"""A small decoder-only character transformer, built from ``nn`` layers only."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor

from .. import init
from ..activation import GELU
from ..attention import TransformerEncoderLayer
from ..layers import Dropout, Embedding, Linear
from ..module import Module, ModuleList
from ..normalization import LayerNorm


class CharTransformer(Module):
    """Predict the next character with causal self-attention (a GPT-style decoder).

    ``token_embedding`` + ``position_embedding`` -> ``Dropout`` -> ``num_layers`` pre-norm
    ``TransformerEncoderLayer`` blocks (causal self-attention with ``nhead`` heads, a GELU MLP of
    width ``dim_feedforward``, 4 x ``d_model`` by default, each with ``LayerNorm`` and a residual
    connection) -> a final ``LayerNorm`` (``norm``) -> ``head`` (Linear to the vocabulary).
    The GELU is the tanh approximation (as GPT-2's): a few elementwise ops, where the exact one
    needs ``erf``, about five times slower in NumPy. Embeddings and the head start from N(0, 0.02)
    (GPT-2's choice), the blocks from PyTorch's init.

    Same call convention as ``CharLM``: ``forward(tokens, state=None)`` takes int token ids
    ``(steps, batch)`` and returns ``(logits (steps, batch, vocab), state)``. A transformer has
    no recurrent state; its ``state`` is the context: the last ``max_len`` token ids seen, an int
    Tensor ``(batch, k)`` (batch first, in the place of an RNN state's batch dim), no gradient.
    Passed back in, the new tokens attend to that context as well (so generating one character
    at a time sees up to ``max_len`` characters); ``None`` starts afresh. Positions are learned
    for ``max_len`` tokens, so each token attends to at most ``max_len`` (itself included):
    longer inputs are run in pieces of ``max_len // 2`` steps, each after the context before it.

    >>> model = CharTransformer(vocab_size=65, d_model=32, nhead=4, num_layers=2, max_len=16)
    >>> logits, state = model(ag.Tensor(np.zeros((10, 3), np.int64)))
    >>> logits.shape, state.shape
    ((10, 3, 65), (3, 10))
    """

    def __init__(
        self,
        vocab_size: int,
        d_model: int = 64,
        nhead: int = 4,
        num_layers: int = 2,
        max_len: int = 128,
        dropout: float = 0.1,
        dim_feedforward: int | None = None,
    ) -> None:
        super().__init__()
        self.vocab_size, self.d_model, self.max_len = int(vocab_size), int(d_model), int(max_len)
        self.token_embedding = Embedding(vocab_size, d_model)
        self.position_embedding = Embedding(max_len, d_model)
        self.drop = Dropout(dropout)
        width = 4 * d_model if dim_feedforward is None else dim_feedforward
        self.layers = ModuleList(
            TransformerEncoderLayer(d_model, nhead, width, dropout, activation=GELU("tanh"), norm_first=True)
            for _ in range(num_layers)
        )
        self.norm = LayerNorm(d_model)
        self.head = Linear(d_model, vocab_size)
        for p in (self.token_embedding.weight, self.position_embedding.weight, self.head.weight):
            init.normal_(p, 0.0, 0.02)
        init.zeros_(self.head.bias)

    def forward(self, tokens: Any, state: Any = None) -> tuple[Tensor, Tensor]:
        ids = tokens.data if isinstance(tokens, Tensor) else np.asarray(tokens)
        if ids.ndim != 2 or ids.dtype.kind not in "iu":
            raise ValueError(f"CharTransformer: expected int token ids (steps, batch), got {ids.dtype} {ids.shape}")
        context = None
        if state is not None:
            context = state.data if isinstance(state, Tensor) else np.asarray(state)
            if context.ndim != 2 or context.shape[0] != ids.shape[1] or context.dtype.kind not in "iu":
                raise ValueError(
                    f"CharTransformer: state (the context's token ids, batch first) of shape {context.shape} doesn't "
                    f"fit tokens of shape {ids.shape}: expected int ids (batch={ids.shape[1]}, k)"
                )
            context = context.T
        if ids.shape[0] > self.max_len:  # longer than the positions: in pieces, each with the context before it
            piece = max(1, self.max_len // 2)
            outs = []
            for start in range(0, ids.shape[0], piece):
                out, state = self.forward(ids[start : start + piece], state)
                outs.append(out)
            return ag.cat(outs), state
        return self._window(ids, context)

    def _window(self, ids: np.ndarray, context: np.ndarray | None) -> tuple[Tensor, Tensor]:
        """Logits for ``ids`` (steps <= max_len) after the ``context`` ids (time-major), and the new state."""
        steps = ids.shape[0]
        if context is not None:
            ids = np.concatenate([context, ids])[-self.max_len :]
        length = ids.shape[0]
        positions = self.position_embedding(np.arange(length))
        x = self.drop(self.token_embedding(ids) + ag.reshape(positions, (length, 1, self.d_model)))
        for layer in self.layers:
            x = layer(x, is_causal=True)
        logits = self.head(self.norm(x))
        if length > steps:  # context tokens were only there to be attended to
            logits = logits[length - steps :]
        return logits, Tensor(np.ascontiguousarray(ids.T))
