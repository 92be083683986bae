"""Conv2d and pooling: gradients by finite differences, agreement with PyTorch, errors, vectorisation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _nn_testing import module_gradcheck, torch_state

import autograd as ag
import nn
import nn.functional as F
from autograd import Tensor

TOL = {"rtol": 1e-9, "atol": 1e-10}


def _t(torch, a, grad=True):
    return torch.tensor(a, requires_grad=grad)


def _both(torch, ours, theirs, arrays, rng):
    """Run both on the same float64 arrays; compare outputs and all input gradients."""
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    ts = [_t(torch, a) for a in arrays]
    out, tout = ours(*xs), theirs(*ts)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), **TOL)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad.data, t.grad.numpy(), **TOL)


# ============================================================ agreement with PyTorch
@pytest.mark.parametrize(
    "kernel, stride, padding, bias",
    [
        ((3, 3), 1, 0, True),
        ((3, 2), 2, 1, True),
        ((1, 1), 1, 0, False),
        ((5, 5), (2, 1), (2, 0), True),
        (4, 3, 2, False),
    ],
)
def test_conv2d_matches_torch(torch, TF, rng, kernel, stride, padding, bias):
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    arrays = [rng.standard_normal((3, 2, 9, 8)), rng.standard_normal((4, 2, kh, kw))]
    if bias:
        arrays.append(rng.standard_normal(4))
    _both(
        torch,
        lambda *a: F.conv2d(*a[:2], a[2] if bias else None, stride, padding),
        lambda *a: TF.conv2d(*a[:2], a[2] if bias else None, stride, padding),
        arrays,
        rng,
    )


def test_stacked_convs_and_pools_match_torch(torch, TF, rng):
    """Later layers see non-contiguous (batch-innermost) activations: results must not change."""

    def net(f, x, w1, b1, w2, b2):
        h = f.max_pool2d(f.conv2d(x, w1, b1, 1, 1).tanh(), 2)
        h = f.avg_pool2d(f.conv2d(h, w2, b2, 1, 1).tanh(), 3, 1, 1)
        return f.conv2d(h, w2[:, :3] if f is TF else ag.getitem(w2, (slice(None), slice(0, 3))), None, 2)

    arrays = [rng.standard_normal(s) for s in [(4, 2, 10, 12), (3, 2, 3, 3), (3,), (3, 3, 3, 3), (3,)]]
    _both(torch, lambda *a: net(F, *a), lambda *a: net(TF, *a), arrays, rng)


@pytest.mark.parametrize("memory", [(0, 1, 2, 3), (1, 2, 3, 0), (1, 0, 2, 3), (3, 2, 1, 0)])
def test_any_memory_layout_of_the_input_gives_the_same_results(torch, TF, rng, memory):
    """Inputs that are permuted views (batch innermost, ...) take other copy orders inside."""
    shape = (3, 2, 7, 6)
    x = rng.standard_normal(tuple(shape[a] for a in memory)).transpose(np.argsort(memory))
    assert x.shape == shape
    w, b = rng.standard_normal((4, 2, 3, 2)), rng.standard_normal(4)
    _both(torch, lambda *a: F.conv2d(*a, stride=(2, 1)), lambda *a: TF.conv2d(*a, stride=(2, 1)), [x, w, b], rng)
    _both(torch, lambda a: F.max_pool2d(a, 3, 2), lambda a: TF.max_pool2d(a, 3, 2), [x], rng)
    _both(torch, lambda a: F.avg_pool2d(a, 2, 1, 1), lambda a: TF.avg_pool2d(a, 2, 1, 1), [x], rng)


@pytest.mark.parametrize("kernel, stride, padding", [(2, None, 0), (3, 2, 1), ((3, 2), (1, 2), (1, 0)), (3, 1, 0)])
def test_max_and_avg_pool_match_torch(torch, TF, rng, kernel, stride, padding):
    x = rng.standard_normal((2, 3, 9, 8))  # continuous values: no tied maxima
    _both(
        torch,
        lambda a: F.max_pool2d(a, kernel, stride, padding),
        lambda a: TF.max_pool2d(a, kernel, stride, padding),
        [x],
        rng,
    )
    _both(
        torch,
        lambda a: F.avg_pool2d(a, kernel, stride, padding),
        lambda a: TF.avg_pool2d(a, kernel, stride, padding),
        [x],
        rng,
    )
    _both(
        torch,
        lambda a: F.avg_pool2d(a, kernel, stride, padding, count_include_pad=False),
        lambda a: TF.avg_pool2d(a, kernel, stride, padding, count_include_pad=False),
        [x],
        rng,
    )


@pytest.mark.parametrize("p, kernel, stride", [(2, 2, None), (3, (2, 3), 1), (1.5, 3, 2)])
def test_lp_pool_matches_torch(torch, TF, rng, p, kernel, stride):
    x = rng.uniform(0.5, 2.0, (2, 3, 7, 8))
    _both(torch, lambda a: F.lp_pool2d(a, p, kernel, stride), lambda a: TF.lp_pool2d(a, p, kernel, stride), [x], rng)


@pytest.mark.parametrize("size", [1, (3, 4), (5, 3), (None, 2), (7, 8)])
def test_adaptive_avg_pool_matches_torch(torch, TF, rng, size):
    x = rng.standard_normal((2, 3, 9, 8))
    _both(torch, lambda a: F.adaptive_avg_pool2d(a, size), lambda a: TF.adaptive_avg_pool2d(a, size), [x], rng)


def test_modules_match_torch_with_same_weights(torch, rng):
    pairs = [
        (nn.Conv2d(3, 5, (3, 2), stride=2, padding=1), torch.nn.Conv2d(3, 5, (3, 2), stride=2, padding=1)),
        (nn.Conv2d(3, 2, 1, bias=False), torch.nn.Conv2d(3, 2, 1, bias=False)),
        (nn.MaxPool2d(3, 2, 1), torch.nn.MaxPool2d(3, 2, 1)),
        (nn.AvgPool2d(2), torch.nn.AvgPool2d(2)),
        (nn.AvgPool2d(3, 1, 1, count_include_pad=False), torch.nn.AvgPool2d(3, 1, 1, count_include_pad=False)),
        (nn.LPPool2d(2, 2), torch.nn.LPPool2d(2, 2)),
        (nn.AdaptiveAvgPool2d((2, 3)), torch.nn.AdaptiveAvgPool2d((2, 3))),
    ]
    x = rng.uniform(0.1, 1.0, (2, 3, 8, 9))
    for ours, theirs in pairs:
        theirs.double()
        ours.load_state_dict(torch_state(theirs))
        ours.double()
        xa, xt = Tensor(x, requires_grad=True), _t(torch, x)
        out, tout = ours(xa), theirs(xt)
        np.testing.assert_allclose(out.data, tout.detach().numpy(), **TOL, err_msg=repr(ours))
        out.sum().backward()
        tout.sum().backward()
        np.testing.assert_allclose(xa.grad.data, xt.grad.numpy(), **TOL)
        for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
            np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), **TOL, err_msg=name)


def test_unbatched_input_is_accepted(rng):
    conv = nn.Conv2d(2, 3, 3, padding=1).double()
    x = rng.standard_normal((2, 5, 5))
    np.testing.assert_allclose(conv(x).data, conv(x[None]).data[0], **TOL)
    assert nn.MaxPool2d(2)(x).shape == (2, 2, 2)
    assert F.adaptive_avg_pool2d(x, 1).shape == (2, 1, 1)


# ============================================================ finite differences
def test_conv2d_gradcheck(rng):
    x = Tensor(rng.standard_normal((2, 2, 5, 4)), requires_grad=True)
    w = Tensor(rng.standard_normal((3, 2, 3, 2)), requires_grad=True)
    b = Tensor(rng.standard_normal(3), requires_grad=True)
    assert ag.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1), (x, w, b))


def test_conv2d_second_derivatives(rng):
    x = Tensor(rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    w = Tensor(rng.standard_normal((2, 2, 2, 2)), requires_grad=True)
    assert ag.gradgradcheck(lambda x, w: F.conv2d(x, w, None, 1, 1), (x, w))


def test_conv2d_module_gradcheck(rng):
    conv = nn.Conv2d(2, 3, (2, 3), stride=(1, 2), padding=(1, 0))
    assert module_gradcheck(conv, Tensor(rng.standard_normal((2, 2, 4, 5)), requires_grad=True))


@pytest.mark.parametrize(
    "pool",
    [
        lambda x: F.max_pool2d(x, 2, 1, 1),
        lambda x: F.avg_pool2d(x, 3, 2, 1),
        lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
        lambda x: F.lp_pool2d(x, 2, 2),
        lambda x: F.lp_pool2d(x, 3, (2, 3), 1),
        lambda x: F.adaptive_avg_pool2d(x, (3, 2)),
        lambda x: F.adaptive_avg_pool2d(x, 1),
    ],
)
def test_pool_gradcheck(rng, pool):
    x = Tensor(rng.uniform(0.5, 2.0, (2, 2, 5, 6)), requires_grad=True)  # positive: lp pooling is smooth
    assert ag.gradcheck(pool, x)


def test_pool_modules_gradcheck(rng):
    x = Tensor(rng.uniform(0.5, 2.0, (1, 2, 6, 5)), requires_grad=True)
    for m in (nn.MaxPool2d(3, 2, 1), nn.AvgPool2d(2), nn.LPPool2d(2, 3, 1), nn.AdaptiveAvgPool2d(2)):
        assert module_gradcheck(m, x), repr(m)


def test_tied_maxima_share_the_gradient():
    x = Tensor(np.zeros((1, 1, 2, 2)), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_allclose(x.grad.data, np.full((1, 1, 2, 2), 0.25))


# ============================================================ construction and errors
def test_conv2d_init_is_pytorchs():
    ag.manual_seed(0)
    conv = nn.Conv2d(8, 16, 3)
    assert conv.weight.shape == (16, 8, 3, 3) and conv.bias.shape == (16,)
    assert conv.weight.dtype == np.float32
    bound = 1 / math.sqrt(8 * 9)  # kaiming_uniform_(a=sqrt(5)) and the bias rule give the same bound
    for p in (conv.weight.data, conv.bias.data):
        assert np.abs(p).max() <= bound
    assert np.abs(conv.weight.data).max() > 0.95 * bound
    assert abs(conv.weight.data.std() - bound / math.sqrt(3)) < 0.1 * bound
    assert [n for n, _ in conv.named_parameters()] == ["weight", "bias"]
    assert list(nn.Conv2d(1, 2, 3, bias=False).state_dict()) == ["weight"]
    assert "kernel_size=(3, 3)" in repr(conv)


def test_conv2d_error_names_layer_and_shapes():
    conv = nn.Conv2d(3, 6, 5)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 6.*\(2, 4, 28, 28\).*4 channels.*\(6, 3, 5, 5\)"):
        conv(ag.zeros(2, 4, 28, 28))
    with pytest.raises(ValueError, match=r"Conv2d.*4-D input.*\(28, 28\)"):
        conv(ag.zeros(28, 28))
    with pytest.raises(ValueError, match=r"kernel \(5, 5\) is larger than the input's spatial size \(3, 3\)"):
        conv(ag.zeros(1, 3, 3, 3))
    with pytest.raises(TypeError, match="kernel_size"):
        nn.Conv2d(3, 6, (1, 2, 3))


def test_pool_errors():
    with pytest.raises(ValueError, match=r"MaxPool2d.*4-D input.*\(1, 1, 1, 4, 4\)"):
        nn.MaxPool2d(2)(ag.zeros(1, 1, 1, 4, 4))
    with pytest.raises(ValueError, match="at most half the kernel"):
        F.avg_pool2d(ag.zeros(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        F.max_pool2d(ag.zeros(1, 1, 4, 4), 2, stride=0)


def test_no_python_loop_over_positions_or_batch():
    """The recorded graph has the same ops whatever the batch and image sizes."""

    def n_nodes(shape):
        x = Tensor(np.ones(shape), requires_grad=True)
        w = Tensor(np.ones((2, shape[1], 3, 3)), requires_grad=True)
        out = F.avg_pool2d(F.max_pool2d(F.conv2d(x, w, None, 1, 1), 2), 2)
        seen, stack = set(), [out.grad_fn]
        while stack:
            node = stack.pop()
            if node is not None and not isinstance(node, Tensor) and id(node) not in seen:
                seen.add(id(node))
                stack.extend(node.parents)
        return len(seen)

    assert n_nodes((1, 1, 8, 8)) == n_nodes((16, 1, 32, 32)) <= 24


# ============================================================ LeNet against PyTorch
def _lenets(torch):
    ours = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, 2), nn.Conv2d(6, 16, 5), nn.Sigmoid(),
        nn.AvgPool2d(2, 2), nn.Flatten(), nn.Linear(400, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10),
    )  # fmt: skip
    tn = torch.nn
    theirs = tn.Sequential(
        tn.Conv2d(1, 6, 5, padding=2), tn.Sigmoid(), tn.AvgPool2d(2, 2), tn.Conv2d(6, 16, 5), tn.Sigmoid(),
        tn.AvgPool2d(2, 2), tn.Flatten(), tn.Linear(400, 120), tn.Sigmoid(), tn.Linear(120, 84), tn.Sigmoid(),
        tn.Linear(84, 10),
    )  # fmt: skip
    return ours, theirs


def test_lenet_loads_torch_weights_and_trains_like_torch(torch, TF, rng):
    torch.manual_seed(0)
    ours, theirs = _lenets(torch)
    ours.load_state_dict(torch_state(theirs))
    x = rng.standard_normal((16, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 16)
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-4, atol=1e-5)
    params = list(ours.parameters())
    for _ in range(3):
        loss = F.cross_entropy(ours(x), y)
        loss.backward()
        with ag.no_grad():
            for p in params:
                p.data -= 0.5 * p.grad.data
                p.grad = None
        tloss = TF.cross_entropy(theirs(torch.tensor(x)), torch.tensor(y))
        tloss.backward()
        with torch.no_grad():  # plain SGD (torch.optim takes seconds to import)
            for tp in theirs.parameters():
                tp -= 0.5 * tp.grad
                tp.grad = None
        assert loss.item() == pytest.approx(tloss.item(), rel=1e-5)
    for (name, p), tp in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-4, atol=1e-5, err_msg=name)


# ============================================================ PyTorch's argument order
def test_avg_pool_takes_ceil_mode_fourth_and_count_include_pad_fifth(rng):
    x = ag.Tensor(rng.standard_normal((1, 2, 6, 6)))
    exclude = F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)
    # positionally, as PyTorch: (kernel_size, stride, padding, ceil_mode, count_include_pad)
    np.testing.assert_array_equal(F.avg_pool2d(x, 3, 1, 1, False, False).data, exclude.data)
    np.testing.assert_array_equal(nn.AvgPool2d(3, 1, 1, False, False)(x).data, exclude.data)
    assert not nn.AvgPool2d(3, 1, 1, False, False).count_include_pad
    np.testing.assert_array_equal(F.avg_pool2d(x, 3, 1, 1, False).data, F.avg_pool2d(x, 3, 1, 1).data)
    assert nn.AvgPool2d(3, 2, 0, True)(ag.zeros(1, 1, 6, 6)).shape == (1, 1, 3, 3)  # ceil_mode, 4th


def test_max_pool_takes_pytorchs_arguments_in_order(rng):
    x = ag.Tensor(rng.standard_normal((1, 2, 7, 7)))
    expected = F.max_pool2d(x, 3, 2, 1).data
    np.testing.assert_array_equal(nn.MaxPool2d(3, 2, 1, 1, False, False)(x).data, expected)
    out, idx = nn.MaxPool2d(3, 2, 1, 2, True, True)(x)  # dilation, return_indices, ceil_mode
    assert out.shape == idx.shape == (1, 2, 3, 3) and idx.dtype == np.int64


def test_conv2d_keeps_bias_sixth_with_dilation_and_groups_by_keyword():
    assert nn.Conv2d(2, 4, 3, 1, 0, False).bias is None  # the API's order: bias is the 6th argument
    assert nn.Conv2d(4, 6, 3, dilation=2, groups=2).weight.shape == (6, 2, 3, 3)
    with pytest.raises(TypeError):
        nn.Conv2d(2, 4, 3, 1, 0, True, 2)  # dilation and groups are keyword-only
    with pytest.raises(ValueError, match=r"Conv2d: groups=3 must divide in_channels=4"):
        nn.Conv2d(4, 6, 3, groups=3)


def test_pooling_signatures_follow_torch(torch):
    import inspect

    for name in ("MaxPool2d", "AvgPool2d"):
        ours = list(inspect.signature(getattr(nn, name)).parameters)
        theirs = list(inspect.signature(getattr(torch.nn, name)).parameters)
        assert ours == theirs[: len(ours)], name
    ours = list(inspect.signature(F.avg_pool2d).parameters)[:6]
    assert ours == ["input", "kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"]


def test_pool_modules_check_their_arguments_when_built():
    with pytest.raises(ValueError, match=r"MaxPool2d: padding \(2, 2\) must be at most half the kernel size"):
        nn.MaxPool2d(2, padding=2)
    assert nn.LPPool2d(2, 3).stride == (3, 3) and nn.AvgPool2d((2, 3)).stride == (2, 3)  # stride defaults


def test_modules_format_their_error_label_only_when_raising(rng):
    """The ``Conv2d(...)`` label in error messages is built when one is raised, not on every forward."""
    x = ag.Tensor(rng.standard_normal((1, 2, 6, 6)).astype(np.float32))
    modules = [nn.Conv2d(2, 3, 3), nn.MaxPool2d(2), nn.AvgPool2d(2), nn.LPPool2d(2, 2), nn.AdaptiveAvgPool2d(2)]
    for m in modules:
        calls = []
        object.__setattr__(m, "extra_repr", lambda calls=calls: calls.append(1) or "labelled")
        m(x)
        assert calls == [], type(m).__name__
        with pytest.raises(ValueError, match=rf"{type(m).__name__}\(labelled\)"):
            m(ag.zeros(2, 2))  # the error still names the layer
        assert calls == [1]
