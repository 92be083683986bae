"""Attention and the transformer encoder layer, with PyTorch's names, parameter layouts and masks.

- ``scaled_dot_product_attention(q, k, v)``: ``softmax(q @ k^T * scale + mask) @ v`` over the
  last two dims, any leading batch dims.
- ``MultiheadAttention``: one packed input projection ``in_proj_weight`` (3E, E) for the
  query, key and value, ``num_heads`` heads of size E / num_heads, an output projection
  ``out_proj``; a PyTorch ``state_dict`` loads as it is.
- ``TransformerEncoderLayer`` (self-attention and a feed-forward block, each with a residual
  connection and ``LayerNorm``) and ``TransformerEncoder`` (a stack of copies).

Masks follow PyTorch, whose two conventions differ: in ``scaled_dot_product_attention`` a
boolean ``attn_mask`` is True where attention is *allowed*; in ``MultiheadAttention`` (and the
transformer layers) boolean ``attn_mask`` and ``key_padding_mask`` are True where it is *not*.
Float masks are added to the scores in both. Everything is composed of autograd ops.

>>> import autograd as ag
>>> q = ag.randn(2, 5, 8)
>>> scaled_dot_product_attention(q, q, q, is_causal=True).shape
(2, 5, 8)
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor

from . import functional as F
from . import init
from .layers import Dropout, Linear
from .module import Module, ModuleList, Parameter
from .normalization import LayerNorm

__all__ = ["scaled_dot_product_attention", "MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder"]

scaled_dot_product_attention = F.scaled_dot_product_attention
_causal_bias, _float_mask = F._causal_bias, F._float_mask


def _attention_mask(
    attn_mask: Any, key_padding_mask: Any, is_causal: bool, n: int, heads: int, length: int, source: int, dtype: Any
) -> Any:
    """MultiheadAttention's masks (True = blocked) as one additive bias broadcasting to (N, H, L, S)."""
    who = "MultiheadAttention"
    bias = _float_mask(attn_mask, dtype, False, who)
    if bias is not None:
        if bias.ndim == 2:
            if bias.shape != (length, source):
                raise ValueError(
                    f"{who}: a 2-D attn_mask must have shape (L, S) = {(length, source)}, got {bias.shape}"
                )
        elif bias.ndim == 3 and bias.shape == (n * heads, length, source):
            bias = ag.reshape(bias, (n, heads, length, source))
        else:
            raise ValueError(
                f"{who}: attn_mask must have shape (L, S) = {(length, source)} or (N*num_heads, L, S) = "
                f"{(n * heads, length, source)}, got {bias.shape}"
            )
    elif is_causal:
        bias = _causal_bias(length, source, np.dtype(dtype))
    padding = _float_mask(key_padding_mask, dtype, False, who)
    if padding is not None:
        if padding.shape != (n, source):
            raise ValueError(f"{who}: key_padding_mask must have shape (N, S) = {(n, source)}, got {padding.shape}")
        padding = ag.reshape(padding, (n, 1, 1, source)) if isinstance(padding, Tensor) else padding[:, None, None]
        bias = padding if bias is None else bias + padding
    return bias


class MultiheadAttention(Module):
    """Multi-head attention with PyTorch's parameters: ``in_proj_weight`` (3E, E), ``in_proj_bias`` (3E,),
    ``out_proj`` (a ``Linear(E, E)``).

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(output, weights)``: ``output`` shaped
    like ``query``; ``weights`` (N, L, S) averaged over the heads (after dropout, as PyTorch), (N, H, L, S) with
    ``average_attn_weights=False``, or ``None`` with ``need_weights=False``. Inputs are (L, N, E)
    (sequence first), (N, L, E) with ``batch_first=True``, or unbatched (L, E).
    ``key_padding_mask`` (N, S) and a bool ``attn_mask`` (L, S) or (N*H, L, S) are True where a
    key must be ignored; float masks are added to the scores. ``is_causal=True`` without an
    ``attn_mask`` applies the causal mask (PyTorch asks for the mask as well).
    ``dropout`` drops attention weights in training. Not implemented: ``kdim``/``vdim``
    different from ``embed_dim``, ``add_bias_kv``, ``add_zero_attn`` (clear errors).

    >>> mha = MultiheadAttention(8, 2)
    >>> out, w = mha(ag.randn(5, 3, 8), ag.randn(4, 3, 8), ag.randn(4, 3, 8))
    >>> out.shape, w.shape
    ((5, 3, 8), (3, 5, 4))
    """

    def __init__(
        self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True, add_bias_kv: bool = False,
        add_zero_attn: bool = False, kdim: int | None = None, vdim: int | None = None, batch_first: bool = False,
    ) -> None:  # fmt: skip
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim={embed_dim} must be divisible by num_heads={num_heads}")
        if add_bias_kv or add_zero_attn or (kdim not in (None, embed_dim)) or (vdim not in (None, embed_dim)):
            raise NotImplementedError(
                "MultiheadAttention: add_bias_kv, add_zero_attn and kdim/vdim other than embed_dim are not implemented"
            )
        self.embed_dim, self.num_heads, self.head_dim = int(embed_dim), int(num_heads), embed_dim // num_heads
        self.dropout, self.batch_first = float(dropout), bool(batch_first)
        dtype = ag.get_default_dtype()
        self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dtype))
        if bias:
            self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        """PyTorch's: Xavier-uniform packed projection, zero biases (``out_proj.weight`` keeps Linear's init)."""
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def _heads(self, x: Tensor, time_major: bool) -> Tensor:
        """(L, N, E) or (N, L, E) -> (N, H, L, head_dim)."""
        a, b = x.shape[:2]
        x = ag.reshape(x, (a, b, self.num_heads, self.head_dim))
        return ag.permute(x, (1, 2, 0, 3) if time_major else (0, 2, 1, 3))

    def forward(
        self, query: Any, key: Any, value: Any, key_padding_mask: Any = None, need_weights: bool = True,
        attn_mask: Any = None, average_attn_weights: bool = True, is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:  # fmt: skip
        query, key, value = ag.as_tensor(query), ag.as_tensor(key), ag.as_tensor(value)
        e, heads = self.embed_dim, self.num_heads
        unbatched = query.ndim == 2
        if unbatched:
            query, key, value = (ag.unsqueeze(t, 1) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = ag.unsqueeze(ag.as_tensor(key_padding_mask), 0)
        if any(t.ndim != 3 or t.shape[-1] != e for t in (query, key, value)):
            layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
            raise ValueError(
                f"{self!r}: query, key and value must be {layout} with E = {e}, or unbatched (L, E), got shapes "
                f"{query.shape}, {key.shape}, {value.shape}"
            )
        time_major = not self.batch_first or unbatched
        n = query.shape[1] if time_major else query.shape[0]
        length, source = (query.shape[0], key.shape[0]) if time_major else (query.shape[1], key.shape[1])
        if key.shape[:2] != value.shape[:2] or (key.shape[1] if time_major else key.shape[0]) != n:
            raise ValueError(f"{self!r}: key {key.shape} and value {value.shape} don't fit query {query.shape}")
        w, b = self.in_proj_weight, self.in_proj_bias
        if query is key and key is value:  # self-attention: one projection for all three
            packed = ag.linear(query, w, b)
            a0, a1 = packed.shape[:2]
            packed = ag.reshape(packed, (a0, a1, 3, heads, self.head_dim))
            q, k, v = ag.unbind(ag.permute(packed, (2, 1, 3, 0, 4) if time_major else (2, 0, 3, 1, 4)))
        else:
            ws = ag.split(w, e)
            bs = (None, None, None) if b is None else ag.split(b, e)
            q, k, v = (self._heads(ag.linear(x, wi, bi), time_major) for x, wi, bi in zip((query, key, value), ws, bs))
        causal = is_causal and attn_mask is None and key_padding_mask is None  # (the op builds that mask)
        bias = (
            None
            if causal
            else _attention_mask(attn_mask, key_padding_mask, is_causal, n, heads, length, source, q.dtype)
        )
        scale = 1.0 / math.sqrt(self.head_dim)
        drop = self.training and self.dropout > 0.0
        keep = F._dropout_mask(q, k, v, bias, self.dropout, q.dtype) if drop else None
        out = ag.attention(q, k, v, bias, scale=scale, dropout_mask=keep, causal=causal)  # (N, H, L, head_dim)
        out = ag.reshape(ag.permute(out, (2, 0, 1, 3) if time_major else (0, 2, 1, 3)), query.shape)
        out = self.out_proj(out)
        if unbatched:
            out = ag.squeeze(out, 1)
        if not need_weights:
            return out, None
        scores = ag.matmul(q * scale, ag.transpose(k, -2, -1))  # (N, H, L, S), again, for the weights
        if causal:
            bias = _causal_bias(length, source, np.dtype(scores.dtype))
        weights = ag.softmax(scores if bias is None else scores + bias, -1)
        weights = weights if keep is None else weights * keep  # as PyTorch: the weights used, after dropout
        if average_attn_weights:
            weights = ag.mean(weights, dim=1)
        return out, (ag.squeeze(weights, 0) if unbatched else weights)

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, " + (
            f"batch_first={self.batch_first}"
        )


_ACTIVATIONS: dict[str, Callable[[Any], Tensor]] = {"relu": F.relu}


def _activation(activation: Any) -> Callable[[Any], Tensor]:
    if callable(activation):
        return activation
    if activation == "gelu":
        return F.gelu
    if activation in _ACTIVATIONS:
        return _ACTIVATIONS[activation]
    raise ValueError(f"TransformerEncoderLayer: activation must be 'relu', 'gelu' or a callable, got {activation!r}")


class TransformerEncoderLayer(Module):
    """Self-attention and a feed-forward block, each with a residual connection and ``LayerNorm``
    (PyTorch's ``nn.TransformerEncoderLayer``, same submodules and defaults).

    Post-norm by default, ``x = norm1(x + sa(x)); x = norm2(x + ff(x))``; with ``norm_first=True``
    pre-norm, ``x = x + sa(norm1(x)); x = x + ff(norm2(x))``. ``ff(x) = linear2(dropout(act(linear1(x))))``.
    ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``; masks as in
    ``MultiheadAttention`` (``is_causal=True`` alone applies the causal mask).

    >>> layer = TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16)
    >>> layer(ag.randn(5, 3, 8)).shape
    (5, 3, 8)
    """

    def __init__(
        self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1, activation: Any = "relu",
        layer_norm_eps: float = 1e-5, batch_first: bool = False, norm_first: bool = False, bias: bool = True,
    ) -> None:  # fmt: skip
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias)
        self.norm_first = bool(norm_first)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation(activation)

    def _sa_block(self, x: Tensor, attn_mask: Any, key_padding_mask: Any, is_causal: bool) -> Tensor:
        out = self.self_attn(
            x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False, is_causal=is_causal
        )[0]
        return self.dropout1(out)

    def _ff_block(self, x: Tensor) -> Tensor:
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def forward(
        self, src: Any, src_mask: Any = None, src_key_padding_mask: Any = None, is_causal: bool = False
    ) -> Tensor:
        x = ag.as_tensor(src)
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x))
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x))


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of ``encoder_layer`` (independent parameters), then ``norm`` if given.

    >>> enc = TransformerEncoder(TransformerEncoderLayer(8, 2, 16), num_layers=2)
    >>> enc(ag.randn(5, 3, 8)).shape, len(enc.layers)
    ((5, 3, 8), 2)
    """

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None) -> None:
        super().__init__()
        self.layers = ModuleList(copy.deepcopy(encoder_layer) for _ in range(num_layers))
        self.num_layers = int(num_layers)
        self.add_module("norm", norm)

    def forward(self, src: Any, mask: Any = None, src_key_padding_mask: Any = None, is_causal: bool = False) -> Tensor:
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=is_causal)
        return x if self.norm is None else self.norm(x)
