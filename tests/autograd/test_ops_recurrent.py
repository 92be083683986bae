"""``gru_gates``, a GRU cell's gate arithmetic as one primitive: against PyTorch (its equations and its
own ``gru_cell``), finite differences to second order, and its two rule paths against each other."""

from __future__ import annotations

import numpy as np
import pytest
from _vocab import OpCase, check_grad, check_torch

import autograd as ag

HIDDEN = 4


def _torch_gru_gates(torch, a, gi_n, h):
    """PyTorch's GRU equations, written out from the pre-activations."""
    a_r, a_z, a_n = a.chunk(3, dim=-1)
    r, z = torch.sigmoid(a_r), torch.sigmoid(a_z)
    n = torch.tanh(gi_n + r * a_n)
    return (1 - z) * n + z * h


def _inputs(*lead):
    return lambda rng: [2 * rng.standard_normal(lead + (n,)) for n in (3 * HIDDEN, HIDDEN, HIDDEN)]


CASES = [
    OpCase("batch", ag.gru_gates, _torch_gru_gates, _inputs(3), grad_args=(0, 1, 2)),
    OpCase("unbatched", ag.gru_gates, _torch_gru_gates, _inputs(), grad_args=(0, 1, 2)),
    OpCase("two leading axes", ag.gru_gates, _torch_gru_gates, _inputs(2, 3), grad_args=(0, 1, 2)),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_pytorch(case):
    torch = pytest.importorskip("torch")
    check_torch(case, torch)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_gradcheck_and_gradgradcheck(case):
    check_grad(case)  # first order through the forward's residual, second through the recorded rules


def test_one_gru_step_matches_pytorchs_gru_cell(rng):
    """Fed as ``nn.GRU`` feeds it, it is PyTorch's own GRU cell (values and every gradient)."""
    torch = pytest.importorskip("torch")
    x, h = rng.standard_normal((3, 5)), rng.standard_normal((3, HIDDEN))
    w_ih, w_hh = rng.standard_normal((3 * HIDDEN, 5)), rng.standard_normal((3 * HIDDEN, HIDDEN))
    b_ih, b_hh = rng.standard_normal(3 * HIDDEN), rng.standard_normal(3 * HIDDEN)
    ours = [ag.Tensor(v, requires_grad=True) for v in (x, h, w_ih, w_hh, b_ih, b_hh)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (x, h, w_ih, w_hh, b_ih, b_hh)]

    x_, h_, w_ih_, w_hh_, b_ih_, b_hh_ = ours
    gi = ag.linear(x_, w_ih_, b_ih_)
    gi_rz, gi_n = ag.split(gi, [2 * HIDDEN, HIDDEN], dim=-1)
    a = ag.linear(h_, w_hh_, b_hh_) + ag.pad(gi_rz, ((0, 0), (0, HIDDEN)))  # the input's r, z shares joined
    out = ag.gru_gates(a, gi_n, h_)
    expected = torch.gru_cell(*theirs)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-14)

    w = rng.standard_normal(out.shape)
    (out * ag.Tensor(w)).sum().backward()
    (expected * torch.tensor(w)).sum().backward()
    for name, o, t in zip(("x", "h", "w_ih", "w_hh", "b_ih", "b_hh"), ours, theirs):
        np.testing.assert_allclose(o.grad.data, t.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_first_order_rules_and_recorded_rules_give_the_same_numbers(rng, dtype):
    """The fast rules (raw arrays, the forward's saved gates) and the ones recorded under
    create_graph do the same operations in the same order."""
    xs = [ag.Tensor(v.astype(dtype), requires_grad=True) for v in _inputs(8)(rng)]
    w = ag.Tensor(rng.standard_normal((8, HIDDEN)).astype(dtype))
    fast = ag.grad((ag.gru_gates(*xs) * w).sum(), xs)
    recorded = ag.grad((ag.gru_gates(*xs) * w).sum(), xs, create_graph=True)
    for f, r in zip(fast, recorded):
        assert f.dtype == r.dtype == dtype
        np.testing.assert_array_equal(f.data, r.data)


def test_keeps_float32_and_is_one_node(rng):
    xs = [ag.Tensor(v.astype(np.float32), requires_grad=True) for v in _inputs(2)(rng)]
    out = ag.gru_gates(*xs)
    assert out.dtype == np.float32 and out.shape == (2, HIDDEN)
    assert out.grad_fn.op.name == "gru_gates"
    assert [p.op.name if isinstance(p, ag.Node) else p for p in out.grad_fn.parents] == xs  # the inputs, directly
    with ag.no_grad():
        assert ag.gru_gates(*xs).grad_fn is None


def test_integer_inputs_become_the_default_float_and_mixed_floats_the_wider():
    out = ag.gru_gates(np.zeros((1, 3), np.int64), np.zeros((1, 1), np.int64), np.ones((1, 1), np.int64))
    assert out.dtype == ag.get_default_dtype()
    assert out.item() == 0.5  # r = z = 1/2, n = 0
    h = ag.Tensor(np.ones((1, 1)), requires_grad=True)  # float64
    out = ag.gru_gates(np.zeros((1, 3), np.float32), np.zeros((1, 1), np.float32), h)
    assert out.dtype == np.float64 and out.item() == 0.5
    out.backward()
    assert h.grad.dtype == np.float64 and h.grad.item() == 0.5  # dh' / dh = z


@pytest.mark.parametrize(
    "shapes",
    [
        ((2, 12), (2, 4), (3, 4)),  # leading shapes differ
        ((2, 12), (2, 3), (2, 4)),  # gi_n is not h's size
        ((2, 8), (2, 4), (2, 4)),  # a is not 3 * hidden
        ((12,), (4,), (2, 4)),
        ((), (), ()),
    ],
)
def test_refuses_shapes_that_do_not_fit_together(shapes):
    a, gi_n, h = (np.zeros(s) for s in shapes)
    with pytest.raises(ValueError, match=r"gru_gates\(\): expected a \(\.\.\., 3 \* hidden\).*got a"):
        ag.gru_gates(a, gi_n, h)
