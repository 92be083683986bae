"""Text: the embedded corpus (or any UTF-8 file), tokens, and a vocabulary that maps them to indices.

>>> text = load_corpus()
>>> text[:44]
'First Witch:\\nWhen shall we three meet again\\n'
>>> vocab = Vocab(tokenize("to be or not to be", "word"))
>>> vocab["be"], vocab[["to", "be", "dog"]], vocab.to_tokens([2, 1])
(2, [1, 2, 0], ['be', 'to'])
"""

from __future__ import annotations

import collections
import difflib
import gzip
import re
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["CORPORA", "load_corpus", "tokenize", "Vocab"]

# Built-in corpora: name -> file inside this package.
CORPORA = {"shakespeare": "shakespeare.txt.gz"}

_WORD = re.compile(r"\w+(?:'\w+)*|[^\w\s]")  # a word (apostrophes inside it kept: "o'er") or one punctuation mark


def load_corpus(name_or_path: str | Path = "shakespeare") -> str:
    """The text of a built-in corpus (``"shakespeare"``) or of a UTF-8 file (``.gz`` too).

    The built-in corpus is six plays of Shakespeare (public domain): *Macbeth*, *Romeo and Juliet*,
    *Julius Caesar*, *A Midsummer Night's Dream*, *The Tempest* and *Hamlet*, as plain dialogue (each
    speech is the speaker's name and a colon, then the spoken lines), about 640,000 characters. Line
    endings come back as ``"\\n"``.
    """
    name = str(name_or_path)
    if isinstance(name_or_path, str) and name.lower() in CORPORA:  # "./shakespeare" for a file of that name
        data = (resources.files(__package__) / CORPORA[name.lower()]).read_bytes()
        return gzip.decompress(data).decode("utf-8")
    path = Path(name).expanduser()
    if not path.exists():
        close = difflib.get_close_matches(name.lower(), CORPORA, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise FileNotFoundError(
            f"load_corpus: no file {str(path)!r}{hint}; give a UTF-8 text file or one of the built-in "
            f"corpora: {', '.join(CORPORA)}"
        )
    if path.is_dir():
        raise IsADirectoryError(f"load_corpus: {str(path)!r} is a directory; give a UTF-8 text file")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ValueError(
            f"load_corpus: {str(path)!r} is not UTF-8 text (byte {e.start} is {raw[e.start : e.start + 1]!r}); "
            "convert it with e.g. `iconv -t UTF-8`"
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ValueError(f"load_corpus: {str(path)!r} has no text")
    return text


def tokenize(text: str, token: str = "char") -> list[str]:
    """Split ``text`` into characters (``token="char"``, every character, newlines included) or words
    (``token="word"``: runs of letters and digits, apostrophes inside them kept, and each punctuation
    mark on its own; whitespace dropped).

    >>> tokenize("Ay, 'tis o'er.", "word")
    ['Ay', ',', "'", 'tis', "o'er", '.']
    >>> tokenize("to be", "char")
    ['t', 'o', ' ', 'b', 'e']
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize: expected a str, got {type(text).__name__}")
    if token == "char":
        return list(text)
    if token == "word":
        return _WORD.findall(text)
    raise ValueError(f"tokenize: token must be 'char' or 'word', got {token!r}")


class Vocab:
    """Tokens <-> indices. Index 0 is ``"<unk>"``, then ``reserved_tokens``, then every token seen at least
    ``min_freq`` times, most frequent first (ties in order of first appearance). Unknown tokens map to
    ``vocab.unk``.

    ``tokens`` is a list of tokens or a list of such lists (lines). ``vocab.token_freqs`` is the list of
    ``(token, count)`` pairs, most frequent first; ``vocab.idx_to_token`` the list of tokens by index.

    >>> vocab = Vocab(list("abracadabra"), min_freq=2, reserved_tokens=["<eos>"])
    >>> vocab.idx_to_token
    ['<unk>', '<eos>', 'a', 'b', 'r']
    >>> vocab["c"] == vocab.unk, len(vocab)
    (True, 5)
    """

    def __init__(self, tokens: Iterable[Any] = (), min_freq: int = 0, reserved_tokens: Sequence[str] | None = None):
        tokens = list(tokens)
        if tokens and isinstance(tokens[0], (list, tuple)):
            tokens = [t for line in tokens for t in line]
        counter = collections.Counter(tokens)
        self.token_freqs = sorted(counter.items(), key=lambda kv: kv[1], reverse=True)  # stable: ties stay in order
        self.idx_to_token = ["<unk>"] + [t for t in dict.fromkeys(reserved_tokens or ()) if t != "<unk>"]
        known = set(self.idx_to_token)
        self.idx_to_token += [t for t, n in self.token_freqs if n >= min_freq and t not in known]
        self.token_to_idx = {t: i for i, t in enumerate(self.idx_to_token)}

    @property
    def unk(self) -> int:
        """The index of ``"<unk>"``, where every unknown token goes."""
        return 0

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __contains__(self, token: Any) -> bool:
        return token in self.token_to_idx

    def __getitem__(self, tokens: Any) -> Any:
        if isinstance(tokens, (list, tuple, np.ndarray)):
            return [self.token_to_idx.get(t, 0) for t in tokens]
        return self.token_to_idx.get(tokens, 0)

    def to_tokens(self, indices: Any) -> Any:
        """The token at an index, or the list of tokens at a sequence (list, array or Tensor) of indices."""
        data = np.asarray(getattr(indices, "data", indices))
        if data.ndim == 0:
            return self.idx_to_token[int(data)]
        return [self.idx_to_token[int(i)] for i in data.reshape(-1)]

    def __repr__(self) -> str:
        return f"Vocab({len(self)} tokens: {self.idx_to_token[:8]}{' ...' if len(self) > 8 else ''})"
