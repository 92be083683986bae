"""LayerNorm, GroupNorm, scaled_dot_product_attention, MultiheadAttention and the transformer layers."""

from __future__ import annotations

import numpy as np
import pytest
from _nn_testing import torch_state
from _param_check import check_parameter_grads

import autograd as ag
import nn
import nn.functional as F
from autograd import Tensor

TOL = {"rtol": 1e-9, "atol": 1e-11}


def _leaf(a: np.ndarray) -> Tensor:
    return Tensor(a, requires_grad=True)


def _compare(torch, ours, theirs, inputs, rng, call=None, tol=TOL):
    """Load ``theirs``' weights into ``ours`` (float64), run both on ``inputs`` (arrays: the float ones
    require grad, others are passed as they are, e.g. masks) and compare outputs, input and parameter grads."""
    theirs.double()
    ours.double()
    ours.load_state_dict(torch_state(theirs))
    call = call or (lambda m, *xs: m(*xs))
    ours_in = [_leaf(a) if a.dtype.kind == "f" else a for a in inputs]
    theirs_in = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    out, tout = call(ours, *ours_in), call(theirs, *theirs_in)
    out, tout = (out[0], tout[0]) if isinstance(out, tuple) else (out, tout)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), **tol)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    for a, ta in zip(ours_in, theirs_in):
        if isinstance(a, Tensor):
            np.testing.assert_allclose(a.grad.data, ta.grad.numpy(), **tol)
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.data, theirs_params[name].grad.numpy(), **tol, err_msg=name)
    return out


# ============================================================ LayerNorm, GroupNorm
def test_layer_norm_matches_torch(torch, rng):
    for shape, normalized in (((4, 6), 6), ((2, 3, 4, 5), (4, 5))):
        ln, tln = nn.LayerNorm(normalized), torch.nn.LayerNorm(normalized)
        with torch.no_grad():  # non-trivial affine parameters
            tln.weight.normal_()
            tln.bias.normal_()
        _compare(torch, ln, tln, [rng.standard_normal(shape)], rng)
    _compare(torch, nn.LayerNorm(5, bias=False), torch.nn.LayerNorm(5, bias=False), [rng.standard_normal((3, 5))], rng)
    plain = nn.LayerNorm(5, elementwise_affine=False)
    assert list(plain.state_dict()) == []
    _compare(torch, plain, torch.nn.LayerNorm(5, elementwise_affine=False), [rng.standard_normal((3, 5))], rng)


def test_group_norm_matches_torch(torch, rng):
    for groups, shape in ((2, (3, 4, 5, 5)), (1, (2, 6, 7)), (6, (2, 6, 3, 3))):
        gn, tgn = nn.GroupNorm(groups, shape[1]), torch.nn.GroupNorm(groups, shape[1])
        with torch.no_grad():
            tgn.weight.normal_()
            tgn.bias.normal_()
        _compare(torch, gn, tgn, [rng.standard_normal(shape)], rng)


def test_norms_gradcheck_inputs_and_parameters(rng):
    x = _leaf(rng.standard_normal((3, 4)))
    w, b = _leaf(rng.standard_normal(4)), _leaf(rng.standard_normal(4))
    assert ag.gradcheck(lambda x, w, b: F.layer_norm(x, (4,), w, b), (x, w, b))
    assert ag.gradgradcheck(lambda x, w, b: F.layer_norm(x, (4,), w, b), (x, w, b))
    x = _leaf(rng.standard_normal((2, 4, 3)))
    assert ag.gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (x, w, b))
    ln = nn.LayerNorm(4)
    ln.weight.data[...] = rng.standard_normal(4)
    assert check_parameter_grads(ln, Tensor(rng.standard_normal((3, 4))), rng=rng) == 8
    gn = nn.GroupNorm(2, 4)
    assert check_parameter_grads(gn, Tensor(rng.standard_normal((2, 4, 3))), rng=rng) == 8


def test_norm_errors_name_layer_and_shapes():
    with pytest.raises(ValueError, match=r"LayerNorm\(\(4,\).*trailing dims.*\(2, 5\)"):
        nn.LayerNorm(4)(ag.zeros(2, 5))
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(3, 4)
    with pytest.raises(ValueError, match=r"GroupNorm\(2, 4.*\(N, 4, \*\).*\(2, 6\)"):
        nn.GroupNorm(2, 4)(ag.zeros(2, 6))


# ============================================================ scaled_dot_product_attention
def test_sdpa_matches_torch(torch, TF, rng):
    q, k, v = rng.standard_normal((2, 3, 4, 8)), rng.standard_normal((2, 3, 6, 8)), rng.standard_normal((2, 3, 6, 5))
    bool_mask = rng.random((4, 6)) > 0.3
    bool_mask[:, 0] = True  # every query sees at least one key
    float_mask = rng.standard_normal((3, 4, 6))
    cases = [{}, {"is_causal": True}, {"attn_mask": bool_mask}, {"attn_mask": float_mask}, {"scale": 0.3}]
    for kw in cases:
        ours = [_leaf(a) for a in (q, k, v)]
        theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
        tkw = {k_: (torch.tensor(v_) if isinstance(v_, np.ndarray) else v_) for k_, v_ in kw.items()}
        out, tout = F.scaled_dot_product_attention(*ours, **kw), TF.scaled_dot_product_attention(*theirs, **tkw)
        np.testing.assert_allclose(out.data, tout.detach().numpy(), **TOL, err_msg=str(kw))
        g = rng.standard_normal(out.shape)
        out.backward(g)
        tout.backward(torch.tensor(g))
        for a, ta in zip(ours, theirs):
            np.testing.assert_allclose(a.grad.data, ta.grad.numpy(), **TOL, err_msg=str(kw))


def test_sdpa_gradcheck_with_a_learned_float_mask(rng):
    q, k, v = (_leaf(rng.standard_normal((2, 3, 4))) for _ in range(3))
    bias = _leaf(rng.standard_normal((3, 3)))
    fn = lambda q, k, v, b: F.scaled_dot_product_attention(q, k, v, attn_mask=b)  # noqa: E731
    assert ag.gradcheck(fn, (q, k, v, bias))
    assert ag.gradgradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), (q, k, v))


def test_sdpa_dropout_and_errors(rng):
    q = Tensor(rng.standard_normal((1, 50, 4)))
    ag.manual_seed(0)
    dropped = F.scaled_dot_product_attention(q, q, ag.ones(1, 50, 4), dropout_p=0.5)
    # every output row is (sum of the kept weights) / (1 - p): not all 1 as without dropout
    assert not np.allclose(dropped.data, 1.0) and np.isfinite(dropped.data).all()
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((50, 50), bool), is_causal=True)
    with pytest.raises(ValueError, match=r"\(1, 50, 4\), key.*\(1, 50, 3\).*don't fit"):
        F.scaled_dot_product_attention(q, ag.zeros(1, 50, 3), q)


# ============================================================ MultiheadAttention
def _masks(rng, n, length, source):
    key_padding = np.zeros((n, source), bool)
    key_padding[0, -2:] = True
    attn = rng.random((length, source)) > 0.7
    attn[:, 0] = False  # never mask every key of a query
    return key_padding, attn


@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_matches_torch(torch, rng, batch_first):
    e, heads, n, length, source = 8, 2, 3, 4, 5
    lead = (lambda steps: (n, steps, e)) if batch_first else (lambda steps: (steps, n, e))
    key_padding, attn = _masks(rng, n, length, source)

    def self_attention(m, x, kpm, am):
        return m(x, x, x, key_padding_mask=kpm, attn_mask=am)

    def cross_attention(m, q, k, v, kpm, am):
        return m(q, k, v, key_padding_mask=kpm, attn_mask=am)

    x = rng.standard_normal(lead(length))
    sq_pad, sq_attn = _masks(rng, n, length, length)
    _compare(torch, nn.MultiheadAttention(e, heads, batch_first=batch_first),
             torch.nn.MultiheadAttention(e, heads, batch_first=batch_first), [x, sq_pad, sq_attn], rng,
             call=self_attention)  # fmt: skip
    q, k, v = rng.standard_normal(lead(length)), rng.standard_normal(lead(source)), rng.standard_normal(lead(source))
    _compare(torch, nn.MultiheadAttention(e, heads, batch_first=batch_first, bias=False),
             torch.nn.MultiheadAttention(e, heads, batch_first=batch_first, bias=False), [q, k, v, key_padding, attn],
             rng, call=cross_attention)  # fmt: skip


def test_multihead_attention_weights_and_float_masks(torch, rng):
    e, heads = 6, 3
    mha, tmha = nn.MultiheadAttention(e, heads).double(), torch.nn.MultiheadAttention(e, heads).double()
    mha.load_state_dict(torch_state(tmha))
    assert list(mha.state_dict()) == list(tmha.state_dict())
    q, k = rng.standard_normal((4, 2, e)), rng.standard_normal((5, 2, e))
    float_mask = rng.standard_normal((2 * heads, 4, 5))
    for kw in ({}, {"average_attn_weights": False}, {"attn_mask": float_mask}):
        tkw = {a: (torch.tensor(b) if isinstance(b, np.ndarray) else b) for a, b in kw.items()}
        out, w = mha(Tensor(q), Tensor(k), Tensor(k), **kw)
        tout, tw = tmha(torch.tensor(q), torch.tensor(k), torch.tensor(k), **tkw)
        np.testing.assert_allclose(out.data, tout.detach().numpy(), **TOL)
        np.testing.assert_allclose(w.data, tw.detach().numpy(), **TOL)
    # unbatched (L, E)
    out, w = mha(Tensor(q[:, 0]), Tensor(k[:, 0]), Tensor(k[:, 0]))
    tout, tw = tmha(torch.tensor(q[:, 0]), torch.tensor(k[:, 0]), torch.tensor(k[:, 0]))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), **TOL)
    np.testing.assert_allclose(w.data, tw.detach().numpy(), **TOL)
    assert mha(Tensor(q), Tensor(k), Tensor(k), need_weights=False)[1] is None


def test_multihead_attention_init_and_layout():
    ag.manual_seed(0)
    mha = nn.MultiheadAttention(16, 4)
    assert [(k, v.shape) for k, v in mha.state_dict().items()] == [
        ("in_proj_weight", (48, 16)), ("in_proj_bias", (48,)), ("out_proj.weight", (16, 16)), ("out_proj.bias", (16,))
    ]  # fmt: skip
    assert not mha.in_proj_bias.data.any() and not mha.out_proj.bias.data.any()
    bound = (6 / (16 + 48)) ** 0.5  # Xavier-uniform on the packed (3E, E) weight
    assert np.abs(mha.in_proj_weight.data).max() <= bound
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(NotImplementedError, match="kdim"):
        nn.MultiheadAttention(8, 2, kdim=4)
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape \(N, S\) = \(2, 3\)"):
        mha(ag.zeros(3, 2, 16), ag.zeros(3, 2, 16), ag.zeros(3, 2, 16), key_padding_mask=np.zeros((3, 2), bool))


def test_multihead_attention_gradchecks(rng):
    mha = nn.MultiheadAttention(4, 2)
    q, k = rng.standard_normal((3, 2, 4)), rng.standard_normal((5, 2, 4))
    checked = check_parameter_grads(mha, Tensor(q), Tensor(k), Tensor(k), rng=rng)
    assert checked == sum(min(6, p.size) for p in mha.parameters())
    mask = np.triu(np.ones((3, 5), bool), 2)
    fn = lambda q, k, v: mha(q, k, v, attn_mask=mask)[0]  # noqa: E731
    assert ag.gradcheck(fn, (_leaf(q), _leaf(k), _leaf(k.copy())))
    # and its parameters as inputs of the functional computation it is made of
    x = _leaf(rng.standard_normal((3, 2, 4)))
    w_in, b_in = _leaf(mha.in_proj_weight.data.copy()), _leaf(rng.standard_normal(12))

    def packed(x, w_in, b_in):
        qkv = ag.linear(x, w_in, b_in)
        q, k, v = (ag.permute(ag.reshape(t, (3, 2, 2, 2)), (1, 2, 0, 3)) for t in ag.split(qkv, 4, dim=-1))
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)

    assert ag.gradcheck(packed, (x, w_in, b_in))


# ============================================================ TransformerEncoderLayer
@pytest.mark.parametrize(
    "options",
    [{}, {"norm_first": True, "activation": "gelu"}, {"batch_first": True}, {"activation": "gelu", "bias": False}],
)
def test_transformer_encoder_layer_matches_torch(torch, rng, options):
    d, heads, ff = 8, 2, 16
    layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, **options)
    tlayer = torch.nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, **options)
    assert list(layer.state_dict()) == list(tlayer.state_dict())
    shape = (2, 5, d) if options.get("batch_first") else (5, 2, d)
    causal = np.triu(np.ones((5, 5), bool), 1)
    pad = np.zeros((2, 5), bool)
    pad[1, -1] = True

    def call(m, x, mask, padding):
        return m(x, src_mask=mask, src_key_padding_mask=padding)

    _compare(torch, layer, tlayer, [rng.standard_normal(shape), causal, pad], rng, call=call)


def test_transformer_encoder_stack_matches_torch(torch, rng):
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, norm_first=True)
    stack = nn.TransformerEncoder(layer, num_layers=2, norm=nn.LayerNorm(8))
    tstack = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, norm_first=True), 2, norm=torch.nn.LayerNorm(8),
        enable_nested_tensor=False,
    )  # fmt: skip
    assert list(stack.state_dict()) == list(tstack.state_dict())
    assert stack.layers[0].linear1.weight is not stack.layers[1].linear1.weight
    _compare(torch, stack, tstack, [rng.standard_normal((4, 3, 8))], rng)


def test_transformer_layer_parameter_grads_without_torch(rng):
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, norm_first=True)
    checked = check_parameter_grads(layer, Tensor(rng.standard_normal((3, 2, 4))), rng=rng, per_param=3)
    assert checked == 3 * len(list(layer.parameters()))
    x = _leaf(rng.standard_normal((3, 2, 4)))
    assert ag.gradcheck(lambda x: layer(x, is_causal=True), (x,))


def test_transformer_layer_dropout_only_in_training(rng):
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = Tensor(rng.standard_normal((4, 2, 8)).astype(np.float32))
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, layer(x).data)
    layer.train()
    ag.manual_seed(0)
    assert not np.allclose(layer(x).data, layer.eval()(x).data)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_norm_first_order_and_recorded_rules_agree(dtype):
    """The primitive's two rule paths (raw arrays with the forward's residual, recorded ops under
    create_graph) do the same operations in the same order: the same gradients to the last bit."""
    rng = np.random.default_rng(5)
    x, w, b = (Tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in ((4, 6, 8), (8,), (8,)))
    g = Tensor(rng.standard_normal((4, 6, 8)).astype(dtype))
    fast = ag.grad(F.layer_norm(x, (8,), w, b), [x, w, b], grad_outputs=g)
    recorded = ag.grad(F.layer_norm(x, (8,), w, b), [x, w, b], grad_outputs=g, create_graph=True)
    for a, r in zip(fast, recorded):
        np.testing.assert_array_equal(a.data, r.data)
