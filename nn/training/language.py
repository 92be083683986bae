"""Sampling text from a trained language model: ``generate``.

The model reads the prefix (warming up its hidden state), then predicts one token at a
time, each fed back as the next input. At ``temperature=0`` it takes the most likely token
(greedy, deterministic); otherwise it samples from ``softmax(logits / temperature)``:
below 1 sharper and more repetitive, above 1 flatter and more surprising.

>>> import autograd as ag, nn
>>> from nn.data import Vocab
>>> vocab = Vocab(list("abcab"))
>>> ag.manual_seed(0) and None
>>> lm = nn.models.CharLM(len(vocab), hidden_size=8)
>>> text = generate(lm, vocab, "ab", 5, temperature=0)
>>> len(text), text.startswith("ab"), text == generate(lm, vocab, "ab", 5, temperature=0)
(7, True, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor

__all__ = ["generate"]


def _is_char_vocab(vocab: Any) -> bool:
    tokens = getattr(vocab, "idx_to_token", None)
    if tokens is None:
        tokens = vocab.to_tokens(list(range(len(vocab))))
    plain = [t for t in tokens if not (isinstance(t, str) and t.startswith("<") and t.endswith(">") and len(t) > 2)]
    return all(isinstance(t, str) and len(t) == 1 for t in plain)


def generate(
    model: Any,
    vocab: Any,
    prefix: str,
    n: int,
    temperature: float = 1.0,
    seed: int | None = None,
    token: str | None = None,
) -> str:
    """``prefix`` followed by ``n`` tokens sampled from ``model`` (a ``CharLM``-like model).

    ``vocab`` maps tokens to ids (``vocab[token]``, unknown ones to ``<unk>``) and back
    (``vocab.to_tokens``). ``token``: ``'char'`` or ``'word'`` (how the prefix is split and
    the tokens joined); by default ``'char'`` when every token of the vocabulary is one
    character. ``seed`` makes sampling repeatable (it uses its own generator).
    """
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"generate: n must be a non-negative int, got {n!r}")
    if not temperature >= 0:
        raise ValueError(f"generate: temperature must be >= 0, got {temperature!r}")
    if token is None:
        token = "char" if _is_char_vocab(vocab) else "word"
    if token == "char":
        tokens, sep = list(prefix), ""
    else:
        from ..data.text import tokenize

        tokens, sep = tokenize(prefix, "word"), " "
    if not tokens:
        raise ValueError(
            "generate: the prefix must contain at least one token (the model needs an input to start from)"
        )
    ids = [int(i) for i in vocab[tokens]]
    rng = np.random.default_rng(seed)
    batch_first = getattr(model, "batch_first", False)
    was_training = model.training
    model.eval()
    out: list[int] = []
    try:
        with ag.no_grad():
            x = np.asarray(ids, dtype=np.int64)[:, None]
            logits, state = model(Tensor(x.T if batch_first else x))
            for _ in range(n):
                last = np.asarray(logits.data, dtype=np.float64)
                last = last[0, -1] if batch_first else last[-1, 0]
                if temperature == 0:
                    nxt = int(last.argmax())
                else:
                    z = last / temperature
                    p = np.exp(z - z.max())
                    nxt = int(rng.choice(len(p), p=p / p.sum()))
                out.append(nxt)
                logits, state = model(Tensor(np.array([[nxt]], dtype=np.int64)), state)
    finally:
        model.train(was_training)
    generated = vocab.to_tokens(out) if out else []
    if token == "char":
        return prefix + "".join(generated)
    return prefix + (sep if generated else "") + sep.join(generated)
