"""Conv2d groups and dilation, Conv1d, ConvTranspose2d, pooling ceil_mode/dilation/return_indices, MaxUnpool2d."""

from __future__ import annotations

import numpy as np
import pytest
from _nn_testing import torch_state
from _param_check import check_parameter_grads

import autograd as ag
import nn
import nn.functional as F
from autograd import Tensor

TOL = {"rtol": 1e-9, "atol": 1e-10}


def _both(torch, ours, theirs, arrays, rng):
    """Same float64 arrays into both; compare outputs and every input gradient."""
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = ours(*xs), theirs(*ts)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), **TOL)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad.data, t.grad.numpy(), **TOL)


CONV2D = [
    {"stride": 2, "padding": 1, "dilation": 2, "groups": 2},
    {"dilation": (2, 1), "groups": 4},
    {"padding": "same", "dilation": 2},
    {"padding": "same"},  # an even kernel width: one more column of padding on the right
    {"padding": "valid", "groups": 2},
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # PyTorch's note about its own copy
@pytest.mark.parametrize("kw", CONV2D)
def test_conv2d_groups_dilation_padding_strings_match_torch(torch, TF, rng, kw):
    groups = kw.get("groups", 1)
    x, w, b = rng.standard_normal((2, 4, 9, 8)), rng.standard_normal((8, 4 // groups, 3, 2)), rng.standard_normal(8)
    _both(torch, lambda *a: F.conv2d(*a, **kw), lambda *a: TF.conv2d(*a, **kw), [x, w, b], rng)


@pytest.mark.parametrize("kw", [{"stride": 2, "padding": 1, "dilation": 2, "groups": 2}, {"padding": "same"}])
def test_conv1d_matches_torch(torch, TF, rng, kw):
    x, w, b = (
        rng.standard_normal((2, 4, 11)),
        rng.standard_normal((6, 4 // kw.get("groups", 1), 3)),
        rng.standard_normal(6),
    )
    _both(torch, lambda *a: F.conv1d(*a, **kw), lambda *a: TF.conv1d(*a, **kw), [x, w, b], rng)


@pytest.mark.parametrize(
    "kw",
    [{}, {"stride": 2, "padding": 1, "output_padding": 1}, {"padding": 2},
     {"stride": (2, 3), "padding": (0, 2), "groups": 2, "dilation": 2, "output_padding": (1, 0)}],
)  # fmt: skip
def test_conv_transpose2d_matches_torch(torch, TF, rng, kw):
    groups = kw.get("groups", 1)
    x, w, b = rng.standard_normal((2, 4, 5, 6)), rng.standard_normal((4, 3, 3, 4)), rng.standard_normal(3 * groups)
    _both(torch, lambda *a: F.conv_transpose2d(*a, **kw), lambda *a: TF.conv_transpose2d(*a, **kw), [x, w, b], rng)


POOLS = [
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2},
    {"kernel_size": 2, "padding": 1, "dilation": (1, 2), "ceil_mode": True},
]


@pytest.mark.parametrize("kw", POOLS)
def test_max_pool2d_options_and_indices_match_torch(torch, TF, rng, kw):
    x = rng.standard_normal((2, 3, 9, 8))
    _both(torch, lambda a: F.max_pool2d(a, **kw), lambda a: TF.max_pool2d(a, **kw), [x], rng)
    _, idx = F.max_pool2d(Tensor(x), **kw, return_indices=True)
    _, tidx = TF.max_pool2d(torch.tensor(x), **kw, return_indices=True)
    np.testing.assert_array_equal(idx.data, tidx.numpy())


@pytest.mark.parametrize(
    "kw",
    [{"kernel_size": 3, "stride": 2, "ceil_mode": True},
     {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
     {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
     {"kernel_size": 2, "divisor_override": 3}],
)  # fmt: skip
def test_avg_pool2d_ceil_mode_and_divisor_match_torch(torch, TF, rng, kw):
    _both(
        torch,
        lambda a: F.avg_pool2d(a, **kw),
        lambda a: TF.avg_pool2d(a, **kw),
        [rng.standard_normal((2, 3, 8, 9))],
        rng,
    )


def test_max_unpool2d_matches_torch(torch, TF, rng):
    y, idx = TF.max_pool2d(torch.tensor(rng.standard_normal((2, 3, 8, 8))), 2, return_indices=True)
    for size in (None, (9, 9)):
        _both(
            torch,
            lambda a, size=size: F.max_unpool2d(a, idx.numpy(), 2, output_size=size),
            lambda a, size=size: TF.max_unpool2d(a, idx, 2, output_size=size),
            [y.numpy()],
            rng,
        )
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    x = Tensor(rng.standard_normal((1, 2, 4, 4)))
    back = unpool(*pool(x))
    kept = back.data != 0  # each 2x2 block keeps exactly its maximum, where it was
    assert kept.reshape(1, 2, 2, 2, 2, 2).sum(axis=(3, 5)).tolist() == np.ones((1, 2, 2, 2)).tolist()
    np.testing.assert_array_equal(back.data[kept], x.data[kept])
    with pytest.raises(ValueError, match="indices must be in"):
        F.max_unpool2d(ag.ones(1, 1, 2, 2), np.full((1, 1, 2, 2), 99), 2)


def test_gradchecks_without_torch(rng):
    def leaf(*shape):
        return Tensor(rng.standard_normal(shape), requires_grad=True)

    x, w, b = leaf(1, 4, 6, 5), leaf(4, 2, 3, 2), leaf(4)
    assert ag.gradcheck(lambda x, w, b: F.conv2d(x, w, b, 2, 1, dilation=2, groups=2), (x, w, b))
    assert ag.gradcheck(lambda x, w, b: F.conv2d(x, w, b, padding="same", groups=2), (x, w, b))
    x1, w1 = leaf(2, 2, 7), leaf(3, 2, 3)
    assert ag.gradcheck(lambda x, w: F.conv1d(x, w, stride=2, dilation=2), (x1, w1))
    wt = leaf(4, 2, 3, 3)
    assert ag.gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b[:2], 2, 1, 1), (x, wt, b))
    assert ag.gradgradcheck(lambda x, w: F.conv_transpose2d(x, w, stride=2, groups=2), (leaf(1, 4, 3, 3), wt))
    xp = Tensor(rng.permutation(120).reshape(1, 2, 6, 10) / 7.0, requires_grad=True)  # distinct: no ties
    assert ag.gradcheck(lambda x: F.max_pool2d(x, 3, 2, 1, dilation=(1, 2), ceil_mode=True), (xp,))
    assert ag.gradcheck(lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), (xp,))
    _, idx = F.max_pool2d(xp, 2, return_indices=True)
    assert ag.gradcheck(lambda y: F.max_unpool2d(y, idx, 2), (leaf(1, 2, 3, 5),))


def test_modules_load_torch_weights_and_check_parameter_grads(torch, rng):
    pairs = [
        (nn.Conv2d(4, 6, 3, 2, 1, dilation=2, groups=2), torch.nn.Conv2d(4, 6, 3, 2, 1, dilation=2, groups=2)),
        (nn.Conv1d(4, 6, 3, 1, 1, 2, 2), torch.nn.Conv1d(4, 6, 3, 1, 1, 2, 2)),
        (nn.ConvTranspose2d(4, 6, 3, 2, 1, 1, 2), torch.nn.ConvTranspose2d(4, 6, 3, 2, 1, 1, 2)),
    ]
    for ours, theirs in pairs:
        assert [(k, v.shape) for k, v in ours.state_dict().items()] == [
            (k, tuple(v.shape)) for k, v in theirs.state_dict().items()
        ]
        theirs.double()
        ours.double().load_state_dict(torch_state(theirs))
        x = rng.standard_normal((2, 4, 7) if isinstance(ours, nn.Conv1d) else (2, 4, 7, 6))
        np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), **TOL)
        assert check_parameter_grads(ours, Tensor(x), rng=rng) == 12
    up = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    assert up(ag.zeros(1, 2, 5, 5), output_size=(10, 10)).shape == (1, 3, 10, 10)
    assert "groups=2" in repr(pairs[0][0]) and "dilation=(2, 2)" in repr(pairs[0][0])
