"""Mini-batches for language models: the two samplers of the notes, a re-iterable loader, and a corpus split
into train / validation / test token ids with its vocabulary.

Each batch is ``(X, Y)``, two int64 arrays of shape ``(batch_size, num_steps)`` where ``Y`` is ``X`` shifted
by one token (the next token to predict at every step).

- **Random sampling** (``seq_data_iter_random``): the corpus is cut into back-to-back subsequences of
  ``num_steps`` tokens; each batch takes ``batch_size`` of them at random, each used once per epoch. Two
  batches are not neighbours in the text, so a model starts every batch from a fresh hidden state.
- **Sequential sampling** (``seq_data_iter_sequential``): the corpus is laid out as ``batch_size`` rows and
  each batch is the next ``num_steps`` columns, so row ``i`` of a batch continues row ``i`` of the batch
  before. A model carries its hidden state over from batch to batch, detached so that backpropagation
  stops at the batch boundary.

With 33 tokens ``1 .. 33``, ``batch_size=2`` and ``num_steps=4`` the rows are ``1 .. 16`` and ``17 .. 32``:

>>> for X, Y in seq_data_iter_sequential(np.arange(1, 34), batch_size=2, num_steps=4):
...     print(X.tolist())
[[1, 2, 3, 4], [17, 18, 19, 20]]
[[5, 6, 7, 8], [21, 22, 23, 24]]
[[9, 10, 11, 12], [25, 26, 27, 28]]
[[13, 14, 15, 16], [29, 30, 31, 32]]

Both samplers start at a random offset (below ``num_steps``, drawn from ``seed``) so that an epoch does not
always cut the text at the same places; the offset never costs a batch, so every epoch has the same number
of batches (the offset is 0 when the corpus has no tokens to spare, as above).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .text import Vocab, load_corpus, tokenize

__all__ = [
    "seq_data_iter_random",
    "seq_data_iter_sequential",
    "SeqDataLoader",
    "LanguageData",
    "load_language_data",
]


def _layout(corpus: Any, batch_size: int, num_steps: int, who: str) -> tuple[np.ndarray, int]:
    """The corpus as an int64 array, and the number of batches one epoch has."""
    for name, v in (("batch_size", batch_size), ("num_steps", num_steps)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{who}: {name} must be a positive int, got {v!r}")
    corpus = np.asarray(getattr(corpus, "data", corpus))
    if corpus.ndim != 1 or (corpus.size and not np.issubdtype(corpus.dtype, np.integer)):
        raise TypeError(
            f"{who}: corpus must be a 1-D sequence of token ids, got {corpus.dtype} of shape {corpus.shape}"
        )
    corpus = corpus.astype(np.int64, copy=False)
    num_batches = (len(corpus) - 1) // (batch_size * num_steps)  # -1: the last X token needs a Y after it
    if num_batches < 1:
        raise ValueError(
            f"{who}: a corpus of {len(corpus)} tokens is too short for one batch of batch_size={batch_size} x "
            f"num_steps={num_steps} (it needs at least {batch_size * num_steps + 1} tokens)"
        )
    return corpus, num_batches


def _offset(rng: np.random.Generator, offset: int | None, spare: int, num_steps: int, who: str) -> int:
    """Where the first subsequence starts: drawn below ``num_steps`` among the ``spare`` tokens, or given."""
    if offset is None:
        return int(rng.integers(0, min(num_steps - 1, spare) + 1))
    if not 0 <= offset <= spare:
        raise ValueError(f"{who}: offset must be in [0, {spare}] for this corpus and batch shape, got {offset}")
    return int(offset)


def seq_data_iter_random(
    corpus: Sequence[int] | np.ndarray, batch_size: int, num_steps: int, seed: Any = 0, *, offset: int | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Random sampling: batches of ``batch_size`` subsequences of ``num_steps`` tokens, taken in random order.

    The subsequences are back to back from ``offset`` (random below ``num_steps`` if not given, from
    ``seed``); each is used at most once. Reset the hidden state at every batch.

    >>> batches = list(seq_data_iter_random(np.arange(1, 18), batch_size=2, num_steps=4))
    >>> len(batches), sorted(row for X, Y in batches for row in X.tolist())
    (2, [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]])
    """
    who = "seq_data_iter_random"
    corpus, num_batches = _layout(corpus, batch_size, num_steps, who)
    rng = np.random.default_rng(seed)
    start = _offset(rng, offset, len(corpus) - 1 - num_batches * batch_size * num_steps, num_steps, who)
    starts = start + num_steps * np.arange((len(corpus) - 1 - start) // num_steps)
    rng.shuffle(starts)
    steps = np.arange(num_steps)
    for b in range(num_batches):
        index = starts[b * batch_size : (b + 1) * batch_size, None] + steps
        yield corpus[index], corpus[index + 1]


def seq_data_iter_sequential(
    corpus: Sequence[int] | np.ndarray, batch_size: int, num_steps: int, seed: Any = 0, *, offset: int | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Sequential (adjacent) sampling: the corpus from ``offset`` laid out as ``batch_size`` rows; batch ``k``
    is columns ``k * num_steps`` to ``(k + 1) * num_steps``. Carry the hidden state from batch to batch
    (detached). ``offset`` is random below ``num_steps`` if not given (from ``seed``).

    >>> [X.tolist() for X, Y in seq_data_iter_sequential(np.arange(35), 2, 5, offset=0)][:2]
    [[[0, 1, 2, 3, 4], [15, 16, 17, 18, 19]], [[5, 6, 7, 8, 9], [20, 21, 22, 23, 24]]]
    """
    who = "seq_data_iter_sequential"
    corpus, num_batches = _layout(corpus, batch_size, num_steps, who)
    n = num_batches * batch_size * num_steps
    start = _offset(np.random.default_rng(seed), offset, len(corpus) - 1 - n, num_steps, who)
    xs = corpus[start : start + n].reshape(batch_size, -1)
    ys = corpus[start + 1 : start + 1 + n].reshape(batch_size, -1)
    for k in range(0, num_batches * num_steps, num_steps):
        yield xs[:, k : k + num_steps], ys[:, k : k + num_steps]


class SeqDataLoader:
    """A re-iterable loader over a token-id corpus with one of the two samplers (``random=False``: sequential).

    Every epoch (every ``iter``) draws a new offset and order from ``(seed, epoch)``, so a run is repeatable
    and two epochs differ; ``len(loader)`` is the number of batches, the same every epoch.

    >>> loader = SeqDataLoader(np.arange(35), batch_size=2, num_steps=5)
    >>> len(loader), [X.shape for X, Y in loader]
    (3, [(2, 5), (2, 5), (2, 5)])
    """

    def __init__(
        self, corpus: Sequence[int] | np.ndarray, batch_size: int, num_steps: int, random: bool = False, seed: int = 0
    ):
        self.corpus, self.num_batches = _layout(corpus, batch_size, num_steps, "SeqDataLoader")
        self.batch_size, self.num_steps, self.random, self.seed = int(batch_size), int(num_steps), random, seed
        self.epoch = 0

    def __len__(self) -> int:
        return self.num_batches

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        sampler = seq_data_iter_random if self.random else seq_data_iter_sequential
        rng = np.random.default_rng([self.seed, self.epoch])
        self.epoch += 1
        return sampler(self.corpus, self.batch_size, self.num_steps, rng)

    def __repr__(self) -> str:
        kind = "random" if self.random else "sequential"
        return (
            f"SeqDataLoader({len(self.corpus)} tokens, batch_size={self.batch_size}, num_steps={self.num_steps}, "
            f"{kind}, {len(self)} batches)"
        )


@dataclass
class LanguageData:
    """A corpus as token ids in three contiguous parts (``train``, then ``val``, then ``test``, int64 arrays)
    and the ``vocab`` built from the training part. ``token`` is ``"char"`` or ``"word"``; ``source`` names
    where the text came from."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    vocab: Vocab
    token: str
    source: str

    def loader(self, split: str = "train", batch_size: int = 32, num_steps: int = 35, **kwargs: Any) -> SeqDataLoader:
        """A ``SeqDataLoader`` over one split (``"train"``, ``"val"`` or ``"test"``); ``kwargs``: ``random``,
        ``seed``."""
        if split not in ("train", "val", "test"):
            raise ValueError(f"LanguageData.loader: split must be 'train', 'val' or 'test', got {split!r}")
        return SeqDataLoader(getattr(self, split), batch_size, num_steps, **kwargs)

    def __repr__(self) -> str:
        return (
            f"LanguageData({self.source}, {self.token} tokens: train {len(self.train):,}, val {len(self.val):,}, "
            f"test {len(self.test):,}; vocab of {len(self.vocab)})"
        )


def load_language_data(
    name_or_path: str | Path = "shakespeare",
    token: str = "char",
    min_freq: int = 0,
    val_fraction: float = 0.1,
    test_fraction: float = 0.05,
    limit: int | None = None,
) -> LanguageData:
    """A corpus (built-in name or UTF-8 file, as ``load_corpus``) tokenized, limited to its first ``limit``
    tokens, split into contiguous train / validation / test parts (the last ``test_fraction`` of the tokens
    is the test part, the ``val_fraction`` before it the validation part), with a ``Vocab`` of the training
    part (``min_freq`` as ``Vocab``; tokens met only later become ``<unk>``).

    >>> data = load_language_data(limit=10_000)
    >>> len(data.train), len(data.val), len(data.test)
    (8500, 1000, 500)
    >>> "".join(data.vocab.to_tokens(data.train[:12]))
    'First Witch:'
    """
    for name, f in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not 0 <= f < 1:
            raise ValueError(f"load_language_data: {name} must be in [0, 1), got {f}")
    if val_fraction + test_fraction >= 1:
        raise ValueError(
            f"load_language_data: val_fraction + test_fraction must be below 1, got {val_fraction} + {test_fraction}"
        )
    if limit is not None and (not isinstance(limit, (int, np.integer)) or isinstance(limit, bool) or limit < 2):
        raise ValueError(f"load_language_data: limit must be an int of at least 2 tokens, got {limit!r}")
    tokens = tokenize(load_corpus(name_or_path), token)[:limit]
    n_test, n_val = round(test_fraction * len(tokens)), round(val_fraction * len(tokens))
    n_train = len(tokens) - n_val - n_test
    if n_train < 2:
        raise ValueError(f"load_language_data: {name_or_path} has only {len(tokens)} {token} tokens, too few to split")
    vocab = Vocab(tokens[:n_train], min_freq=min_freq)
    ids = np.asarray(vocab[tokens], dtype=np.int64)
    return LanguageData(
        train=ids[:n_train],
        val=ids[n_train : n_train + n_val],
        test=ids[n_train + n_val :],
        vocab=vocab,
        token=token,
        source=str(name_or_path),
    )
