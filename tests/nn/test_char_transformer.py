"""The character transformer: shapes, context state, registry, and equality with PyTorch's same model."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
from _nn_testing import torch_state

import autograd as ag
import nn
from autograd import Tensor
from nn.models import CharTransformer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
from bench_transformer import torch_char_transformer  # noqa: E402  (the benchmark's PyTorch twin)


def test_shapes_state_dict_and_causality(rng):
    model = CharTransformer(vocab_size=11, d_model=8, nhead=2, num_layers=2, max_len=10, dropout=0.0).double()
    tokens = rng.integers(0, 11, (6, 3))
    logits, state = model(Tensor(tokens))
    assert logits.shape == (6, 3, 11) and state.shape == (3, 6) and not state.requires_grad
    # causal: changing a later token changes no earlier prediction
    changed = tokens.copy()
    changed[4] = (changed[4] + 1) % 11
    later, _ = model(changed)
    np.testing.assert_allclose(later.data[:4], logits.data[:4], rtol=1e-12, atol=1e-12)
    assert not np.allclose(later.data[4:], logits.data[4:])
    names = list(model.state_dict())
    assert names[:2] == ["token_embedding.weight", "position_embedding.weight"]
    assert "layers.1.self_attn.in_proj_weight" in names and names[-2:] == ["head.weight", "head.bias"]
    with pytest.raises(ValueError, match="int token ids"):
        model(np.zeros((3, 1)))


def test_state_is_the_context(rng):
    """Feeding a sequence in pieces, passing the state back, gives the logits of feeding it whole."""
    model = CharTransformer(vocab_size=7, d_model=8, nhead=2, num_layers=1, max_len=12, dropout=0.0).double()
    tokens = rng.integers(0, 7, (9, 2))
    whole, _ = model(tokens)
    first, state = model(tokens[:5])
    second, state = model(tokens[5:], state)
    np.testing.assert_allclose(second.data, whole.data[5:], rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(state.data, tokens.T)
    for t in range(9):  # one token at a time, as sampling does
        step, state = model(tokens[t : t + 1], None if t == 0 else state)
        np.testing.assert_allclose(step.data[0], whole.data[t], rtol=1e-10, atol=1e-12)
    # beyond max_len the oldest context is dropped
    _, state = model(rng.integers(0, 7, (8, 2)), state)
    assert state.shape == (2, 12)
    with pytest.raises(ValueError, match=r"expected int ids \(batch=2, k\)"):
        model(tokens, np.zeros((3, 4), np.int64))


def test_inputs_longer_than_max_len_run_in_pieces(rng):
    """Each piece of max_len // 2 steps sees the context before it: the same logits as feeding the
    pieces one by one with the state, and the first max_len // 2 ... max_len as one window."""
    model = CharTransformer(vocab_size=7, d_model=8, nhead=2, num_layers=1, max_len=8, dropout=0.0).double()
    tokens = rng.integers(0, 7, (19, 2))
    whole, state = model(tokens)
    assert whole.shape == (19, 2, 7) and state.shape == (2, 8)
    np.testing.assert_array_equal(state.data, tokens[-8:].T)
    first, s = model(tokens[:4])
    second, s = model(tokens[4:8], s)
    np.testing.assert_allclose(whole.data[:8], np.concatenate([first.data, second.data]), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(whole.data[:8], model(tokens[:8])[0].data, rtol=1e-10, atol=1e-12)
    whole.sum().backward()  # one graph through every piece
    assert model.token_embedding.weight.grad is not None


def test_registered_for_drawing():
    from nn.models import REGISTRY, example

    assert "transformer" in REGISTRY
    ex = example("transformer")
    loss = ex.loss()
    loss.backward()
    assert np.isfinite(loss.item()) and all(p.grad is not None for p in ex.model.parameters())


def test_loss_equals_pytorch_step_for_step_float64(torch, rng):
    vocab, d, heads, layers, max_len = 13, 16, 4, 2, 12
    twin = torch_char_transformer(torch, vocab, d, heads, layers, max_len).double()
    model = CharTransformer(vocab, d_model=d, nhead=heads, num_layers=layers, max_len=max_len, dropout=0.0).double()
    model.load_state_dict(torch_state(twin))
    opt = nn.optim.Adam(model.parameters(), lr=0.01)
    topt = torch.optim.Adam(twin.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    for step in range(4):
        tokens = rng.integers(0, vocab, (max_len + 1, 3))
        x, y = tokens[:-1], tokens[1:].reshape(-1)
        opt.zero_grad()
        logits, _ = model(x)
        loss = loss_fn(ag.reshape(logits, (-1, vocab)), y)
        loss.backward()
        opt.step()
        topt.zero_grad()
        tloss = torch.nn.functional.cross_entropy(twin(torch.tensor(x)).reshape(-1, vocab), torch.tensor(y))
        tloss.backward()
        topt.step()
        assert loss.item() == pytest.approx(tloss.item(), rel=1e-10), step
    theirs = torch_state(twin)
    for name, value in model.state_dict().items():
        np.testing.assert_allclose(value, theirs[name], rtol=1e-8, atol=1e-10, err_msg=name)


def test_trains_on_a_repeating_pattern():
    """A few Adam steps on 'abcabc...' drive the loss far below log(vocab) (it learns the cycle)."""
    ag.manual_seed(0)
    model = CharTransformer(vocab_size=5, d_model=16, nhead=2, num_layers=1, max_len=16, dropout=0.0)
    opt = nn.optim.Adam(model.parameters(), lr=0.01)
    seq = np.tile(np.arange(3), 12)[:17]
    x, y = np.stack([seq[:-1]] * 2, 1), np.stack([seq[1:]] * 2, 1).reshape(-1)
    for _ in range(60):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(ag.reshape(model(x)[0], (-1, 5)), y)
        loss.backward()
        opt.step()
    assert loss.item() < 0.1 * np.log(5)
