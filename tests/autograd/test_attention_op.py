"""``autograd.attention``, the primitive behind ``nn.functional.scaled_dot_product_attention``:
values and gradients against PyTorch's composition of the same formula (float64), broadcasting
batch dims, an additive mask that gets a gradient, a dropout mask, and the shared scores gradient
recomputed for a new output gradient."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor

CASES = [  # query, key, value shapes; bias shape or None; with a dropout mask
    ((2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 3), None, False),
    ((5, 4), (6, 4), (6, 2), (5, 6), False),
    ((2, 1, 5, 4), (3, 6, 4), (2, 3, 6, 4), (3, 5, 6), True),
    ((4, 1, 3), (4, 2, 3), (4, 2, 3), (1, 2), True),  # one query
]


def _inputs(rng, shapes, bias_shape, dropout):
    arrays = [rng.standard_normal(s) for s in shapes]
    bias = rng.standard_normal(bias_shape) if bias_shape else None
    keep = (rng.random(shapes[0][:-2] + (shapes[0][-2], shapes[1][-2])) > 0.25) / 0.75 if dropout else None
    return arrays, bias, keep


@pytest.mark.parametrize("qs, ks, vs, bias_shape, dropout", CASES)
def test_attention_matches_pytorch(rng, qs, ks, vs, bias_shape, dropout):
    torch = pytest.importorskip("torch")
    arrays, bias, keep = _inputs(rng, (qs, ks, vs), bias_shape, dropout)
    ours = [Tensor(a, requires_grad=True) for a in arrays + ([bias] if bias is not None else [])]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays + ([bias] if bias is not None else [])]
    out = ag.attention(*ours[:3], ours[3] if bias is not None else None, scale=0.7, dropout_mask=keep)
    s = theirs[0] @ theirs[1].transpose(-1, -2) * 0.7
    p = torch.softmax(s + theirs[3] if bias is not None else s, -1)
    tout = (p * torch.tensor(keep) if keep is not None else p) @ theirs[2]
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    for a, ta in zip(ours, theirs):
        assert a.grad.shape == a.shape
        np.testing.assert_allclose(a.grad.data, ta.grad.numpy(), rtol=1e-9, atol=1e-11)


def test_attention_gradients_without_pytorch(rng):
    arrays, bias, keep = _inputs(rng, ((2, 3, 4), (2, 5, 4), (2, 5, 3)), (3, 5), True)
    leaves = [Tensor(a, requires_grad=True) for a in arrays + [bias]]

    def f(q, k, v, b):
        return ag.attention(q, k, v, b, scale=0.5, dropout_mask=keep)

    assert ag.gradcheck(f, tuple(leaves))
    assert ag.gradgradcheck(f, tuple(leaves))


def test_a_new_output_gradient_gets_a_new_scores_gradient(rng):
    """The rules of q, k and bias share one scores gradient per output gradient (cached on the node):
    a second backward through the retained graph, with another gradient, must not reuse the first."""
    q, k, v = (Tensor(rng.standard_normal((2, 4, 3)), requires_grad=True) for _ in range(3))
    out = ag.attention(q, k, v, scale=1.0)
    g1, g2 = rng.standard_normal(out.shape), rng.standard_normal(out.shape)
    out.backward(g1, retain_graph=True)
    first = q.grad.data.copy()
    q.grad = None
    out.backward(g2)
    fresh_q = Tensor(q.data, requires_grad=True)
    ag.attention(fresh_q, k.detach(), v.detach(), scale=1.0).backward(g2)
    np.testing.assert_allclose(q.grad.data, fresh_q.grad.data, rtol=1e-12)
    assert not np.allclose(first, q.grad.data)


def test_causal_rows_that_see_nothing_give_nan_as_pytorch():
    q = Tensor(np.ones((2, 3)))
    blocked = np.full((2, 2), -np.inf)
    blocked[0] = 0.0
    out = ag.attention(q, q, q, blocked, scale=1.0).data
    assert np.isfinite(out[0]).all() and np.isnan(out[1]).all()


def test_no_keys_give_zeros_and_no_queries_nothing_as_pytorch():
    q, k = Tensor(np.ones((2, 3, 4)), requires_grad=True), Tensor(np.ones((2, 0, 4)), requires_grad=True)
    out = ag.attention(q, k, Tensor(np.ones((2, 0, 5))), scale=0.5)
    assert out.shape == (2, 3, 5) and not out.data.any()
    out.sum().backward()
    assert q.grad.shape == q.shape and not q.grad.data.any()
    assert ag.attention(Tensor(np.ones((2, 0, 4))), q, q, scale=0.5).shape == (2, 0, 4)


@pytest.mark.parametrize("length, source", [(6, 6), (7, 7), (4, 6), (6, 4), (1, 3)])
@pytest.mark.parametrize("dropout", [False, True])
def test_causal_equals_the_explicit_mask(rng, length, source, dropout):
    """``causal=True`` computes the first half of the queries against the first keys only: the same
    outputs and gradients as the full scores with PyTorch's top-left causal mask added."""
    arrays = [rng.standard_normal((2, 3, n, 4)) for n in (length, source, source)]
    mask = np.triu(np.full((length, source), -np.inf), 1)
    keep = (rng.random((2, 3, length, source)) > 0.25) / 0.75 if dropout else None
    results = []
    for kwargs in ({"causal": True}, {"bias": mask}):
        leaves = [Tensor(a, requires_grad=True) for a in arrays]
        out = ag.attention(*leaves, scale=0.5, dropout_mask=keep, **kwargs)
        out.backward(np.cos(np.arange(out.size)).reshape(out.shape))
        results.append([out.data] + [t.grad.data for t in leaves])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_causal_gradients_without_pytorch(rng):
    leaves = tuple(Tensor(rng.standard_normal((2, 5, 3)), requires_grad=True) for _ in range(3))
    keep = (rng.random((2, 5, 5)) > 0.3) / 0.7

    def f(q, k, v):
        return ag.attention(q, k, v, scale=0.7, dropout_mask=keep, causal=True)

    assert ag.gradcheck(f, leaves)
    assert ag.gradgradcheck(f, leaves)


def test_causal_and_a_bias_together_are_refused():
    q = Tensor(np.ones((3, 2)))
    with pytest.raises(ValueError, match="bias or causal"):
        ag.attention(q, q, q, np.zeros((3, 3)), scale=1.0, causal=True)
