"""nn.RNN / GRU / LSTM and their cells: PyTorch parity, gradient checks, shapes, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _nn_testing import module_gradcheck

import autograd as ag
import nn

SEQ, BATCH, N_IN, HIDDEN = 5, 3, 4, 6


def _copy_weights(ours: nn.Module, theirs) -> None:
    """Load a torch module's state dict (as NumPy) into ours: names and shapes must agree."""
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def _state_tuple(state) -> tuple:
    return state if isinstance(state, tuple) else (state,)


LAYERS = [
    pytest.param("RNN", {}, id="rnn-tanh"),
    pytest.param("RNN", {"nonlinearity": "relu"}, id="rnn-relu"),
    pytest.param("GRU", {}, id="gru"),
    pytest.param("LSTM", {}, id="lstm"),
]


# ============================================================ parity with torch.nn
@pytest.mark.parametrize("name, extra", LAYERS)
@pytest.mark.parametrize(
    "num_layers, batch_first, bias, given_h0",
    [(1, False, True, False), (2, False, True, True), (2, True, True, False), (1, True, False, True)],
)
def test_layer_matches_torch(torch, rng, name, extra, num_layers, batch_first, bias, given_h0):
    kw = dict(num_layers=num_layers, bias=bias, batch_first=batch_first, **extra)
    theirs = getattr(torch.nn, name)(N_IN, HIDDEN, **kw).double()
    ours = getattr(nn, name)(N_IN, HIDDEN, **kw).double()
    _copy_weights(ours, theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]

    x = rng.standard_normal((BATCH, SEQ, N_IN) if batch_first else (SEQ, BATCH, N_IN))
    n_states = 2 if name == "LSTM" else 1
    h0 = [rng.standard_normal((num_layers, BATCH, HIDDEN)) for _ in range(n_states)] if given_h0 else None

    xt = torch.tensor(x, requires_grad=True)
    h0t = [torch.tensor(h, requires_grad=True) for h in h0] if given_h0 else None
    xo = ag.Tensor(x, requires_grad=True)
    h0o = [ag.Tensor(h, requires_grad=True) for h in h0] if given_h0 else None

    def pack(hs):
        return None if hs is None else (tuple(hs) if n_states == 2 else hs[0])

    out_t, st_t = theirs(xt, pack(h0t))
    out_o, st_o = ours(xo, pack(h0o))
    st_t, st_o = _state_tuple(st_t), _state_tuple(st_o)
    np.testing.assert_allclose(out_o.data, out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    for a, b in zip(st_o, st_t):
        assert a.shape == tuple(b.shape) == (num_layers, BATCH, HIDDEN)
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10, atol=1e-12)

    # One backward through the output and every final state.
    weights = [rng.standard_normal(out_o.shape)] + [rng.standard_normal(s.shape) for s in st_o]
    loss_t = sum((t * torch.tensor(w)).sum() for t, w in zip((out_t, *st_t), weights))
    loss_o = sum((t * w).sum() for t, w in zip((out_o, *st_o), weights))
    loss_t.backward()
    loss_o.backward()
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    if given_h0:
        for a, b in zip(h0o, h0t):
            np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-9, atol=1e-12)
    theirs_p = dict(theirs.named_parameters())
    for pname, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.data, theirs_p[pname].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=pname)


@pytest.mark.parametrize("name, extra", LAYERS)
def test_unbatched_input_matches_torch(torch, rng, name, extra):
    theirs = getattr(torch.nn, name)(N_IN, HIDDEN, num_layers=2, batch_first=True, **extra).double()
    ours = getattr(nn, name)(N_IN, HIDDEN, num_layers=2, batch_first=True, **extra).double()
    _copy_weights(ours, theirs)
    x = rng.standard_normal((SEQ, N_IN))  # (seq_len, input_size), whatever batch_first says
    hs = [rng.standard_normal((2, HIDDEN)) for _ in range(2 if name == "LSTM" else 1)]
    pack = (lambda f: tuple(f(h) for h in hs)) if name == "LSTM" else (lambda f: f(hs[0]))
    out_t, st_t = theirs(torch.tensor(x), pack(torch.tensor))
    out_o, st_o = ours(x, pack(ag.Tensor))
    assert out_o.shape == (SEQ, HIDDEN)
    np.testing.assert_allclose(out_o.data, out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    for a, b in zip(_state_tuple(st_o), _state_tuple(st_t)):
        assert a.shape == (2, HIDDEN)
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10, atol=1e-12)


CELLS = [
    pytest.param("RNNCell", {}, id="rnncell-tanh"),
    pytest.param("RNNCell", {"nonlinearity": "relu"}, id="rnncell-relu"),
    pytest.param("GRUCell", {}, id="grucell"),
    pytest.param("LSTMCell", {}, id="lstmcell"),
]


@pytest.mark.parametrize("name, extra", CELLS)
@pytest.mark.parametrize("batched, bias, given_h", [(True, True, True), (True, False, False), (False, True, True)])
def test_cell_matches_torch(torch, rng, name, extra, batched, bias, given_h):
    theirs = getattr(torch.nn, name)(N_IN, HIDDEN, bias=bias, **extra).double()
    ours = getattr(nn, name)(N_IN, HIDDEN, bias=bias, **extra).double()
    _copy_weights(ours, theirs)
    lead = (BATCH,) if batched else ()
    x = rng.standard_normal(lead + (N_IN,))
    hs = [rng.standard_normal(lead + (HIDDEN,)) for _ in range(2 if name == "LSTMCell" else 1)]
    xt, xo = torch.tensor(x, requires_grad=True), ag.Tensor(x, requires_grad=True)
    ht = [torch.tensor(h, requires_grad=True) for h in hs]
    ho = [ag.Tensor(h, requires_grad=True) for h in hs]
    if not given_h:
        out_t, out_o = theirs(xt), ours(xo)
    elif name == "LSTMCell":
        out_t, out_o = theirs(xt, tuple(ht)), ours(xo, tuple(ho))
    else:
        out_t, out_o = theirs(xt, ht[0]), ours(xo, ho[0])
    out_t, out_o = _state_tuple(out_t), _state_tuple(out_o)
    for a, b in zip(out_o, out_t):
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10, atol=1e-12)
    weights = [rng.standard_normal(a.shape) for a in out_o]
    sum((t * torch.tensor(w)).sum() for t, w in zip(out_t, weights)).backward()
    sum((t * w).sum() for t, w in zip(out_o, weights)).backward()
    np.testing.assert_allclose(xo.grad.data, xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    if given_h:
        for a, b in zip(ho, ht):
            np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-9, atol=1e-12)
    theirs_p = dict(theirs.named_parameters())
    for pname, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.data, theirs_p[pname].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=pname)


def test_float32_gru_lm_step_matches_torch(torch, rng):
    """The language-model shape (one-hot input, float32): same outputs and gradients as torch."""
    vocab, hidden = 11, 16
    theirs = torch.nn.GRU(vocab, hidden)
    ours = nn.GRU(vocab, hidden)
    _copy_weights(ours, theirs)
    codes = rng.integers(0, vocab, (7, 4))
    one_hot = ag.one_hot(codes, vocab)  # int64: cast to the weights' dtype by the layer
    out_o, h_o = ours(one_hot)
    out_t, h_t = theirs(torch.nn.functional.one_hot(torch.tensor(codes), vocab).float())
    assert out_o.dtype == np.float32
    np.testing.assert_allclose(out_o.data, out_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    out_o.sum().backward()
    out_t.sum().backward()
    for pname, p in theirs.named_parameters():
        np.testing.assert_allclose(getattr(ours, pname).grad.data, p.grad.numpy(), rtol=1e-4, atol=1e-5)


# ============================================================ parameters and init
@pytest.mark.parametrize("name, gates", [("RNN", 1), ("GRU", 3), ("LSTM", 4)])
def test_parameter_names_shapes_and_init(name, gates):
    ag.manual_seed(0)
    m = getattr(nn, name)(10, 40, num_layers=2)
    shapes = {k: v.shape for k, v in m.state_dict().items()}
    assert shapes == {
        "weight_ih_l0": (gates * 40, 10), "weight_hh_l0": (gates * 40, 40),
        "bias_ih_l0": (gates * 40,), "bias_hh_l0": (gates * 40,),
        "weight_ih_l1": (gates * 40, 40), "weight_hh_l1": (gates * 40, 40),
        "bias_ih_l1": (gates * 40,), "bias_hh_l1": (gates * 40,),
    }  # fmt: skip
    assert list(shapes)[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    values = np.concatenate([p.data.ravel() for p in m.parameters()])
    bound = 1 / math.sqrt(40)
    assert values.dtype == np.float32
    assert np.abs(values).max() <= bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.05 * bound  # uniform on [-bound, bound]
    assert len(list(getattr(nn, name)(3, 5, bias=False).parameters())) == 2


@pytest.mark.parametrize("name, gates", [("RNNCell", 1), ("GRUCell", 3), ("LSTMCell", 4)])
def test_cell_parameters(name, gates):
    m = getattr(nn, name)(3, 8)
    assert {k: v.shape for k, v in m.state_dict().items()} == {
        "weight_ih": (gates * 8, 3), "weight_hh": (gates * 8, 8), "bias_ih": (gates * 8,), "bias_hh": (gates * 8,),
    }  # fmt: skip
    assert np.abs(np.concatenate([p.data.ravel() for p in m.parameters()])).max() <= 1 / math.sqrt(8)


# ============================================================ gradient checks (float64, no torch)
def _gradcheck():
    try:
        from autograd import gradcheck
    except ImportError:
        pytest.skip("autograd.gradcheck is not available")
    return gradcheck


@pytest.mark.parametrize(
    "name, kw",
    [
        ("RNN", {"num_layers": 2}),
        ("RNN", {"nonlinearity": "relu", "batch_first": True}),
        ("GRU", {"num_layers": 2, "batch_first": True}),
        ("LSTM", {"num_layers": 2}),
    ],
)
def test_layer_gradcheck(rng, name, kw):
    m = getattr(nn, name)(3, 4, **kw).double()
    x = ag.Tensor(rng.standard_normal((2, 3, 3)), requires_grad=True)
    shape = (m.num_layers, 2 if kw.get("batch_first") else 3, 4)
    hs = [ag.Tensor(0.5 * rng.standard_normal(shape), requires_grad=True) for _ in range(2 if name == "LSTM" else 1)]

    def fn(m, x, *states):
        out, st = m(x, tuple(states) if name == "LSTM" else states[0])
        return ag.cat([out.reshape(-1)] + [s.reshape(-1) for s in _state_tuple(st)])

    assert module_gradcheck(m, x, *hs, call=fn)


@pytest.mark.parametrize("name", ["RNNCell", "GRUCell", "LSTMCell"])
def test_cell_gradcheck(rng, name):
    m = getattr(nn, name)(3, 4).double()
    x = ag.Tensor(rng.standard_normal((2, 3)), requires_grad=True)
    hs = [ag.Tensor(rng.standard_normal((2, 4)), requires_grad=True) for _ in range(2 if name == "LSTMCell" else 1)]

    def fn(m, x, *states):
        out = m(x, tuple(states) if name == "LSTMCell" else states[0])
        return ag.cat([o.reshape(-1) for o in _state_tuple(out)])

    assert module_gradcheck(m, x, *hs, call=fn)


# ============================================================ behaviour and errors
def test_no_grad_forward_records_nothing(rng):
    m = nn.LSTM(3, 4)
    with ag.no_grad():
        out, (h, c) = m(rng.standard_normal((5, 2, 3)).astype(np.float32))
    assert not out.requires_grad and out.grad_fn is None and h.shape == c.shape == (1, 2, 4)


def test_gru_repr_and_defaults():
    m = nn.GRU(5, 7, num_layers=2, batch_first=True)
    assert repr(m) == "GRU(5, 7, num_layers=2, batch_first=True)"
    assert (m.input_size, m.hidden_size, m.num_layers, m.bias, m.batch_first) == (5, 7, 2, True, True)
    assert repr(nn.RNN(2, 3, nonlinearity="relu")) == "RNN(2, 3, nonlinearity='relu')"


@pytest.mark.parametrize("name", ["RNN", "GRU", "LSTM"])
def test_wrong_feature_size_names_layer_and_shapes(name):
    m = getattr(nn, name)(8, 4)
    with pytest.raises(ValueError, match=rf"{name}: input of shape \(5, 2, 3\) has 3 features.*input_size=8"):
        m(np.zeros((5, 2, 3), np.float32))
    with pytest.raises(ValueError, match=rf"{name}: expected a 3-D input"):
        m(np.zeros((5, 2, 3, 8), np.float32))


def test_wrong_initial_state_shapes():
    gru = nn.GRU(3, 4, num_layers=2)
    x = np.zeros((5, 2, 3), np.float32)
    with pytest.raises(ValueError, match=r"GRU: h0 has shape \(1, 2, 4\), expected .* = \(2, 2, 4\)"):
        gru(x, ag.zeros(1, 2, 4))
    with pytest.raises(TypeError, match="GRU: the initial state must be one tensor"):
        gru(x, (ag.zeros(2, 2, 4), ag.zeros(2, 2, 4)))
    lstm = nn.LSTM(3, 4)
    with pytest.raises(TypeError, match=r"LSTM: the initial state must be a tuple \(h0, c0\)"):
        lstm(x, ag.zeros(1, 2, 4))
    with pytest.raises(ValueError, match=r"LSTM: c0 has shape \(1, 3, 4\)"):
        lstm(x, (ag.zeros(1, 2, 4), ag.zeros(1, 3, 4)))
    with pytest.raises(ValueError, match=r"GRUCell: hx has shape \(2, 5\), expected \(batch, hidden_size\)"):
        nn.GRUCell(3, 4)(np.zeros((2, 3), np.float32), ag.zeros(2, 5))
    with pytest.raises(ValueError, match=r"LSTMCell: expected input of shape \(batch, 3\)"):
        nn.LSTMCell(3, 4)(np.zeros((2, 4), np.float32))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size must be a positive int"):
        nn.GRU(3, 0)
    with pytest.raises(ValueError, match="num_layers"):
        nn.LSTM(3, 4, num_layers=0)


def test_bptt_through_long_sequence_trains(rng):
    """A GRU learns to report the first of 12 random signs at the end (needs gradient through time)."""
    ag.manual_seed(1)
    gru, head = nn.GRU(1, 8), nn.Linear(8, 1)
    x = rng.choice([-1.0, 1.0], size=(12, 32, 1)).astype(np.float32)
    opt = nn.optim.Adam(list(gru.parameters()) + list(head.parameters()), lr=0.03)
    losses = []
    for _ in range(100):
        _, h_n = gru(x)
        loss = ((head(h_n[0]) - x[0]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.01 * losses[0]


def test_dropout_between_layers():
    ag.manual_seed(3)
    m = nn.GRU(3, 5, num_layers=2, dropout=0.5)
    x = np.random.default_rng(0).standard_normal((4, 2, 3)).astype(np.float32)
    plain = nn.GRU(3, 5, num_layers=2)
    plain.load_state_dict(m.state_dict())
    m.eval()
    np.testing.assert_array_equal(m(x)[0].data, plain(x)[0].data)
    m.train()
    out, h_n = m(x)
    assert not np.allclose(out.data, plain(x)[0].data)
    np.testing.assert_array_equal(h_n.data[0], plain(x)[1].data[0])  # the first layer is untouched
    out.sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    with pytest.warns(UserWarning, match="num_layers=1"):
        nn.LSTM(3, 5, dropout=0.2)


def test_python_list_inputs_take_the_default_dtype(rng):
    """Lists become float32 (the default dtype), as ``autograd.tensor`` makes them, not float64."""
    x = rng.standard_normal((3, 2, 4)).tolist()
    for m in (nn.RNN(4, 5), nn.GRU(4, 5), nn.LSTM(4, 5)):
        out, _ = m(x)
        assert out.dtype == np.float32, type(m).__name__
        np.testing.assert_allclose(out.data, m(np.asarray(x, np.float32))[0].data, rtol=1e-6)
    for cell in (nn.RNNCell(4, 5), nn.GRUCell(4, 5), nn.LSTMCell(4, 5)):
        out = cell(x[0])
        assert (out[0] if isinstance(out, tuple) else out).dtype == np.float32, type(cell).__name__
    assert nn.GRU(4, 5)(np.ones((3, 4), np.int64))[0].dtype == np.float32  # integer codes: the weights' dtype


def test_cell_prepare_returns_input_and_states_only():
    cell = nn.LSTMCell(3, 4)
    x, states = cell._prepare(np.zeros((2, 3), np.float32), None, ("hx", "cx"))
    assert x.shape == (2, 3) and [s.shape for s in states] == [(2, 4), (2, 4)]


# ============================================================ the engine primitive the layers rely on
def test_unbind_and_split_gradients(rng):
    """autograd.unbind/split: one multi-output node; unused pieces get zero gradient; second order works."""
    gradcheck = _gradcheck()
    from autograd import gradgradcheck

    x = ag.Tensor(rng.standard_normal((4, 3, 5)), requires_grad=True)

    def steps(x):  # uses 3 of the 4 slices, one of them twice
        a, b, _, d = ag.unbind(x, 0)
        return ag.stack([a * b, ag.tanh(d) * a])

    def pieces(x):
        p, q, _ = ag.split(x, [2, 2, 1], dim=-1)
        return ag.cat([p * p, ag.sin(q)], dim=-1)

    for fn in (steps, pieces):
        assert gradcheck(fn, (x,))
        assert gradgradcheck(fn, (x,))
    rows = ag.unbind(x, 1)
    assert len(rows) == 3 and rows[1].shape == (4, 5)
    rows[1].sum().backward()
    expected = np.zeros(x.shape)
    expected[:, 1] = 1
    np.testing.assert_array_equal(x.grad.data, expected)


def test_initial_state_keywords(rng):
    m = nn.GRU(3, 4)
    x = rng.standard_normal((5, 2, 3)).astype(np.float32)
    h = ag.Tensor(rng.standard_normal((1, 2, 4)).astype(np.float32))
    by_position, by_h0, by_hx = m(x, h)[1], m(x, h0=h)[1], m(x, hx=h)[1]
    np.testing.assert_array_equal(by_position.data, by_h0.data)
    np.testing.assert_array_equal(by_position.data, by_hx.data)
    assert not np.allclose(by_position.data, m(x)[1].data)
    with pytest.raises(TypeError, match="not both"):
        m(x, h, hx=h)
