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
    needs ``erf``, many times slower in NumPy. Embeddings and the head start from N(0, 0.02)
    (GPT-2's choice), the blocks from PyTorch's init.

    Same call convention as ``CharLM``: ``forward(tokens, state=None)`` takes int token ids
    ``(steps, batch)`` and returns ``(logits (steps, batch, vocab), state)``. A transformer has
    no recurrent state; its ``state`` is the context: the last ``max_len`` token ids seen (an int
    Tensor (k, batch), no gradient). Passed back in, the new tokens attend to that context as
    well (so generating one character at a time sees up to ``max_len`` characters); ``None``
    starts afresh. At most ``max_len`` tokens are attended to (positions are learned).

    >>> model = CharTransformer(vocab_size=65, d_model=32, nhead=4, num_layers=2, max_len=16)
    >>> logits, state = model(ag.Tensor(np.zeros((10, 3), np.int64)))
    >>> logits.shape, state.shape
    ((10, 3, 65), (10, 3))
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
        steps = ids.shape[0]
        if steps > self.max_len:
            raise ValueError(f"CharTransformer: {steps} steps at once is more than max_len={self.max_len}")
        if state is not None:
            context = state.data if isinstance(state, Tensor) else np.asarray(state)
            if context.ndim != 2 or context.shape[1] != ids.shape[1]:
                raise ValueError(
                    f"CharTransformer: state (context token ids) of shape {context.shape} doesn't fit tokens of "
                    f"shape {ids.shape}: expected (k, {ids.shape[1]})"
                )
            ids = np.concatenate([context, ids])[-self.max_len :]
        length = ids.shape[0]
        positions = self.position_embedding(np.arange(length))
        x = self.drop(self.token_embedding(ids) + ag.reshape(positions, (length, 1, self.d_model)))
        for layer in self.layers:
            x = layer(x, is_causal=True)
        logits = self.head(self.norm(x))
        if length > steps:  # context tokens were only there to be attended to
            logits = logits[length - steps :]
        return logits, Tensor(ids)
