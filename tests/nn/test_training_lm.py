"""nn.training with language models: hidden state carried and detached (sequential sampler) or reset (random
sampler), perplexity, a resumed run equal to an uninterrupted one, and generate()."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn.data import SeqDataLoader, Vocab
from nn.models import CharLM
from nn.training import fit, generate
from nn.training.loop import evaluate

TEXT = "the quick brown fox jumps over the lazy dog. " * 12


def _corpus():
    vocab = Vocab(list(TEXT))
    return vocab, np.asarray(vocab[list(TEXT)], dtype=np.int64)


class StateSpy(CharLM):
    """A CharLM that records the state it was given at every call."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen = []

    def forward(self, tokens, state=None):
        self.seen.append((tokens.shape, state))
        return super().forward(tokens, state)


def _fit(loader, cell="gru", epochs=1, seed=0, **kw):
    vocab, ids = _corpus()
    ag.manual_seed(seed)
    model = StateSpy(len(vocab), hidden_size=16, cell=cell)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    history = fit(model, loader(ids), loss_fn=nn.CrossEntropyLoss(), optimizer=optimizer, epochs=epochs,
                  metrics=("perplexity",), progress=False, **kw)  # fmt: skip
    return model, history


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_sequential_sampler_carries_the_state_detached(cell):
    model, _ = _fit(lambda ids: SeqDataLoader(ids, batch_size=4, num_steps=6, random=False), cell=cell)
    shapes = {shape for shape, _ in model.seen}
    assert shapes == {(6, 4)}  # time-major (steps, batch), from the sampler's (batch, steps)
    states = [state for _, state in model.seen]
    assert states[0] is None and all(s is not None for s in states[1:])
    for state in states[1:]:
        for t in state if isinstance(state, tuple) else (state,):
            assert t.grad_fn is None and not t.requires_grad  # detached: backprop stops at the batch boundary


def test_random_sampler_resets_the_state_every_batch():
    model, _ = _fit(lambda ids: SeqDataLoader(ids, batch_size=4, num_steps=6, random=True))
    assert len(model.seen) > 3 and all(state is None for _, state in model.seen)


def test_perplexity_is_the_exponential_of_the_mean_token_loss_and_falls():
    model, history = _fit(lambda ids: SeqDataLoader(ids, batch_size=4, num_steps=6), epochs=4,
                          val_loader=SeqDataLoader(_corpus()[1][:200], batch_size=2, num_steps=6))  # fmt: skip
    for prefix in ("", "val_"):
        np.testing.assert_allclose(history[prefix + "perplexity"], np.exp(history[prefix + "loss"]), rtol=1e-12)
    assert history["val_perplexity"][-1] < history["val_perplexity"][0] / 2
    result = evaluate(model, SeqDataLoader(_corpus()[1][:200], batch_size=2, num_steps=6), nn.CrossEntropyLoss(),
                      metrics=("perplexity",))  # fmt: skip
    assert result["perplexity"] == pytest.approx(math.exp(result["loss"]))


def test_resumed_language_model_run_equals_an_uninterrupted_one(tmp_path):
    def loader(ids):
        return SeqDataLoader(ids, batch_size=4, num_steps=6, random=True, seed=3)

    whole_model, whole = _fit(loader, epochs=3, checkpoint_dir=tmp_path / "a")
    _fit(loader, epochs=1, checkpoint_dir=tmp_path / "b")
    resumed_model, resumed = _fit(loader, epochs=3, seed=7, checkpoint_dir=tmp_path / "b", resume=True)
    assert resumed["loss"] == whole["loss"]
    for (k, v), w in zip(whole_model.state_dict().items(), resumed_model.state_dict().values()):
        np.testing.assert_array_equal(v, w, err_msg=k)


def test_generate_greedy_is_deterministic_and_sampling_repeats_with_a_seed():
    vocab, ids = _corpus()
    model, _ = _fit(lambda ids: SeqDataLoader(ids, batch_size=4, num_steps=8), epochs=8)
    greedy = generate(model, vocab, "the qu", 20, temperature=0)
    assert len(greedy) == 26 and greedy.startswith("the qu")
    assert greedy == generate(model, vocab, "the qu", 20, temperature=0)
    assert "ick" in greedy  # it learnt the sentence
    a = generate(model, vocab, "the", 30, temperature=1.0, seed=1)
    assert a == generate(model, vocab, "the", 30, temperature=1.0, seed=1)
    assert a != generate(model, vocab, "the", 30, temperature=1.0, seed=2)
    assert model.training  # generate leaves the model's mode as it was
    with pytest.raises(ValueError, match="at least one token"):
        generate(model, vocab, "", 5)
    with pytest.raises(ValueError, match="temperature"):
        generate(model, vocab, "the", 5, temperature=-1)


def test_generate_with_words():
    words = ("to be or not to be that is the question " * 10).split()
    vocab = Vocab(words)
    ag.manual_seed(0)
    model = CharLM(len(vocab), hidden_size=8)
    text = generate(model, vocab, "to be", 4, temperature=0)
    assert text.startswith("to be ") and len(text.split()) == 6
