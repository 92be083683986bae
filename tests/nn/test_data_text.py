"""nn.data for language models: corpora, tokens, vocabularies, the two samplers of the notes, splits."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn.data import (
    CORPORA,
    SeqDataLoader,
    Vocab,
    load_corpus,
    load_language_data,
    seq_data_iter_random,
    seq_data_iter_sequential,
    tokenize,
)


def rows(batches):
    return [x.tolist() for x, _ in batches]


# --- the samplers, on the notes' examples ---------------------------------------------------------------


def test_sequential_sampling_is_the_notes_layout():
    """Notes: [1 2 3 4] [5 6 7 8] [9 10 11 12] [13 14 15 16] / [17 18 19 20] ... [29 30 31 32]: the corpus
    as batch_size rows, batch k the k-th block of each row."""
    corpus = np.arange(1, 34)  # 32 tokens of X and one more for the last Y: no offset to spare
    for seed in range(5):
        batches = list(seq_data_iter_sequential(corpus, batch_size=2, num_steps=4, seed=seed))
        assert rows(batches) == [
            [[1, 2, 3, 4], [17, 18, 19, 20]],
            [[5, 6, 7, 8], [21, 22, 23, 24]],
            [[9, 10, 11, 12], [25, 26, 27, 28]],
            [[13, 14, 15, 16], [29, 30, 31, 32]],
        ]
        for x, y in batches:
            np.testing.assert_array_equal(y, x + 1)
            assert x.dtype == y.dtype == np.int64 and x.shape == (2, 4)


def test_random_sampling_is_the_notes_layout():
    """Notes: the corpus cut into back-to-back groups [1 2 3 4] [5 6 7 8] ..., batches of groups drawn at
    random, each group once."""
    corpus = np.arange(1, 18)
    orders = set()
    for seed in range(10):
        batches = list(seq_data_iter_random(corpus, batch_size=2, num_steps=4, seed=seed))
        assert len(batches) == 2
        groups = [row for x in rows(batches) for row in x]
        assert sorted(groups) == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]
        for x, y in batches:
            np.testing.assert_array_equal(y, x + 1)
        orders.add(str(groups))
    assert len(orders) > 3  # the order really is random


def test_samplers_on_0_to_34_with_batch_2_and_5_steps():
    corpus = np.arange(35)
    assert rows(seq_data_iter_sequential(corpus, 2, 5, offset=0)) == [
        [[0, 1, 2, 3, 4], [15, 16, 17, 18, 19]],
        [[5, 6, 7, 8, 9], [20, 21, 22, 23, 24]],
        [[10, 11, 12, 13, 14], [25, 26, 27, 28, 29]],
    ]
    assert rows(seq_data_iter_sequential(corpus, 2, 5, offset=3))[0] == [[3, 4, 5, 6, 7], [18, 19, 20, 21, 22]]
    offsets = set()
    for seed in range(40):
        seq = list(seq_data_iter_sequential(corpus, 2, 5, seed=seed))
        assert len(seq) == 3
        x = np.concatenate([b[0] for b in seq], axis=1)  # consecutive batches continue each row
        start = x[0, 0]
        offsets.add(int(start))
        np.testing.assert_array_equal(x, start + np.arange(30).reshape(2, 15))
        rnd = list(seq_data_iter_random(corpus, 2, 5, seed=seed))
        assert len(rnd) == 3
        starts = sorted(r[0] for x, _ in rnd for r in x.tolist())
        assert starts == [starts[0] + 5 * k for k in range(6)]  # six back-to-back groups, each once
        for x, y in rnd:
            np.testing.assert_array_equal(x, x[:, :1] + np.arange(5))
            np.testing.assert_array_equal(y, x + 1)
    assert offsets == {0, 1, 2, 3, 4}  # the offset is random, below num_steps


def test_samplers_are_deterministic_by_seed_and_take_lists():
    corpus = list(np.random.default_rng(0).integers(0, 50, size=200))
    for sampler in (seq_data_iter_random, seq_data_iter_sequential):
        a, b = rows(sampler(corpus, 3, 7, seed=11)), rows(sampler(corpus, 3, 7, seed=11))
        assert a == b
        assert any(rows(sampler(corpus, 3, 7, seed=s)) != a for s in range(12, 16))


@settings(max_examples=60, deadline=None)
@given(length=st.integers(2, 400), batch_size=st.integers(1, 6), num_steps=st.integers(1, 12), seed=st.integers(0, 9))
def test_sampler_invariants_for_any_shape(length, batch_size, num_steps, seed):
    """For any corpus and batch shape: Y is X shifted by one; the sequential rows run on across batches; the
    random subsequences are back to back, each used at most once; both samplers give the same number of batches,
    the most that fit."""
    corpus = np.arange(length) * 7  # distinct values, so positions can be read back
    expected = (length - 1) // (batch_size * num_steps)
    if expected == 0:
        with pytest.raises(ValueError, match="too short"):
            list(seq_data_iter_sequential(corpus, batch_size, num_steps, seed))
        return
    seq = list(seq_data_iter_sequential(corpus, batch_size, num_steps, seed))
    rnd = list(seq_data_iter_random(corpus, batch_size, num_steps, seed))
    assert len(seq) == len(rnd) == expected
    for x, y in seq + rnd:
        assert x.shape == y.shape == (batch_size, num_steps)
        np.testing.assert_array_equal(y, x + 7)
        np.testing.assert_array_equal(x, x[:, :1] + 7 * np.arange(num_steps))
    rows = np.concatenate([x for x, _ in seq], axis=1) // 7
    assert rows[0, 0] < num_steps
    np.testing.assert_array_equal(rows, rows[0, 0] + np.arange(rows.size).reshape(rows.shape))
    starts = np.sort(np.concatenate([x[:, 0] for x, _ in rnd])) // 7
    # (when more subsequences fit than whole batches take, a random subset of them is used)
    assert np.all(np.diff(starts) % num_steps == 0) and len(set(starts)) == len(starts)


def test_sampler_errors_name_the_problem():
    with pytest.raises(ValueError, match="too short.*at least 11 tokens"):
        list(seq_data_iter_sequential(np.arange(10), 2, 5))
    with pytest.raises(ValueError, match="num_steps must be a positive int"):
        list(seq_data_iter_random(np.arange(100), 2, 0))
    with pytest.raises(TypeError, match="token ids"):
        list(seq_data_iter_random(np.linspace(0, 1, 100), 2, 5))
    with pytest.raises(ValueError, match=r"offset must be in \[0, 4\]"):
        list(seq_data_iter_sequential(np.arange(35), 2, 5, offset=5))


def test_seq_data_loader_is_reiterable_with_a_fixed_length_and_fresh_epochs():
    corpus = np.arange(1000)
    for random in (False, True):
        loader = SeqDataLoader(corpus, batch_size=4, num_steps=10, random=random, seed=5)
        epochs = [rows(loader) for _ in range(4)]
        assert all(len(e) == len(loader) == 24 for e in epochs)  # 999 // 40
        assert len({str(e) for e in epochs}) == 4
        again = SeqDataLoader(corpus, batch_size=4, num_steps=10, random=random, seed=5)
        assert [rows(again) for _ in range(4)] == epochs
    assert "sequential" in repr(SeqDataLoader(corpus, 4, 10))


# --- corpus, tokens, vocabulary -------------------------------------------------------------------------


def test_the_embedded_corpus_is_plain_dialogue():
    assert "shakespeare" in CORPORA
    text = load_corpus()
    assert 500_000 < len(text) < 800_000
    assert text.startswith("First Witch:\nWhen shall we three meet again\n")
    assert "To be, or not to be" in text and "MACBETH:" in text and "PROSPERO:" in text
    assert not any(mark in text for mark in "_*#\\")  # no Markdown left
    assert "Enter" not in text.split("\n\n")[0]


def test_any_utf8_file_works_like_the_corpus(tmp_path):
    path = tmp_path / "poem.txt"
    path.write_bytes("Übung macht den Meister.\r\nZweite Zeile\r\n".encode())
    assert load_corpus(path) == "Übung macht den Meister.\nZweite Zeile\n"
    gz = tmp_path / "poem.txt.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    assert load_corpus(str(gz)) == load_corpus(path)
    data = load_language_data(path, val_fraction=0.2, test_fraction=0.1)
    assert "".join(data.vocab.to_tokens(data.train)) == load_corpus(path)[: len(data.train)]


def test_corpus_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="did you mean 'shakespeare'"):
        load_corpus("shakespear")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(ValueError, match="latin1.txt.*not UTF-8.*byte 3"):
        load_corpus(tmp_path / "latin1.txt")
    with pytest.raises(IsADirectoryError):
        load_corpus(tmp_path)
    (tmp_path / "empty.txt").write_text("  \n")
    with pytest.raises(ValueError, match="no text"):
        load_corpus(tmp_path / "empty.txt")


def test_tokenize_chars_and_words():
    assert tokenize("Ay me!\n", "char") == ["A", "y", " ", "m", "e", "!", "\n"]
    assert tokenize("O Romeo, Romeo! wherefore art thou Romeo?", "word") == [
        "O", "Romeo", ",", "Romeo", "!", "wherefore", "art", "thou", "Romeo", "?",
    ]  # fmt: skip
    assert tokenize("I' the shipman's card", "word") == ["I", "'", "the", "shipman's", "card"]
    with pytest.raises(ValueError, match="'char' or 'word'"):
        tokenize("x", "byte")


def test_vocab_orders_by_frequency_with_unknown_and_reserved_tokens():
    tokens = list("the cat sat on the mat")
    vocab = Vocab(tokens)
    assert vocab.idx_to_token[0] == "<unk>" and vocab.unk == 0
    assert vocab.token_freqs[:3] == [("t", 5), (" ", 5), ("a", 3)]  # ties in order of first appearance
    assert vocab.idx_to_token[1:4] == ["t", " ", "a"]
    assert len(vocab) == 1 + len(set(tokens))
    assert vocab["a"] == 3 and vocab[["c", "a", "t"]] == [vocab["c"], 3, 1]
    assert vocab["z"] == vocab.unk and vocab[["z", "t"]] == [0, 1]
    assert vocab.to_tokens([1, 3]) == ["t", "a"] and vocab.to_tokens(np.int64(2)) == " "
    assert "".join(vocab.to_tokens(vocab[tokens])) == "the cat sat on the mat"

    rare = Vocab(tokens, min_freq=3, reserved_tokens=["<pad>", "<unk>"])
    assert rare.idx_to_token == ["<unk>", "<pad>", "t", " ", "a"]
    assert rare["c"] == rare.unk and "c" not in rare and "t" in rare
    assert rare.token_freqs == vocab.token_freqs  # counts are kept for every token, kept or not
    lines = Vocab([["a", "b"], ["b"]])
    assert lines.idx_to_token == ["<unk>", "b", "a"]


def test_language_data_splits_are_contiguous_and_the_vocab_is_the_training_parts():
    data = load_language_data(limit=20_000, val_fraction=0.1, test_fraction=0.05)
    assert (len(data.train), len(data.val), len(data.test)) == (17_000, 2_000, 1_000)
    text = load_corpus()[:20_000]
    assert "".join(data.vocab.to_tokens(np.concatenate([data.train, data.val, data.test]))) == "".join(
        t if t in data.vocab else "<unk>" for t in text
    )
    assert set(data.vocab.idx_to_token[1:]) == set(text[:17_000])
    assert data.train.dtype == np.int64
    loader = data.loader("val", batch_size=4, num_steps=25)
    assert len(loader) == (2_000 - 1) // 100
    words = load_language_data(token="word", min_freq=3, limit=5_000)
    assert words.vocab.unk in words.train  # rare words became <unk>
    assert all(n >= 3 for t, n in words.vocab.token_freqs if t in words.vocab)
    with pytest.raises(ValueError, match="val_fraction"):
        load_language_data(val_fraction=1.5)
    with pytest.raises(ValueError, match="below 1"):
        load_language_data(val_fraction=0.5, test_fraction=0.5)
