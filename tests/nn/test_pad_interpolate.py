"""F.pad (PyTorch's flat tuple and modes), the padding layers, F.interpolate and Upsample."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F
from autograd import Tensor

TOL = {"rtol": 1e-9, "atol": 1e-12}


def _both(torch, ours, theirs, x, rng):
    xa, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = ours(xa), theirs(xt)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), **TOL)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(xa.grad.data, xt.grad.numpy(), **TOL)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("sizes", [(2, 1, 3, 4), (0, 0, 1, 0), (1, 2, 0, 1, 1, 0)])
def test_pad_matches_torch(torch, TF, rng, mode, sizes):
    x = rng.standard_normal((2, 3, 5, 6))
    _both(torch, lambda a: F.pad(a, sizes, mode), lambda a: TF.pad(a, sizes, mode), x, rng)


def test_constant_pad_value_and_negative_crop_match_torch(torch, TF, rng):
    x = rng.standard_normal((2, 3, 5, 6))
    _both(torch, lambda a: F.pad(a, (-1, 2, 1, -2), value=3.0), lambda a: TF.pad(a, (-1, 2, 1, -2), value=3.0), x, rng)


def test_pad_gradcheck_and_errors(rng):
    x = Tensor(rng.standard_normal((1, 2, 4, 3)), requires_grad=True)
    for mode in ("reflect", "replicate", "circular"):
        assert ag.gradcheck(lambda a, m=mode: F.pad(a, (2, 1, 3, 0), m), (x,))
    with pytest.raises(ValueError, match=r"mode='reflect'.*smaller than.*\(4, 0\) for dim 2 of size 4"):
        F.pad(ag.zeros(1, 2, 4, 3), (0, 0, 4, 0), "reflect")
    with pytest.raises(ValueError, match="flat tuple"):
        F.pad(ag.zeros(3), (1, 1, 1, 1))
    with pytest.raises(ValueError, match="mode must be one of"):
        F.pad(ag.zeros(3), (1, 1), "mirror")


def test_padding_layers(torch, rng):
    x = rng.standard_normal((1, 2, 4, 5))
    for ours, theirs in [
        (nn.ZeroPad2d(1), torch.nn.ZeroPad2d(1)),
        (nn.ConstantPad2d((1, 0, 2, 1), 0.5), torch.nn.ConstantPad2d((1, 0, 2, 1), 0.5)),
        (nn.ReflectionPad2d(2), torch.nn.ReflectionPad2d(2)),
        (nn.ReplicationPad2d((0, 1, 2, 3)), torch.nn.ReplicationPad2d((0, 1, 2, 3))),
        (nn.CircularPad2d(1), torch.nn.CircularPad2d(1)),
    ]:
        np.testing.assert_array_equal(ours(Tensor(x)).data, theirs(torch.tensor(x)).numpy())


INTERPOLATE = [
    ((2, 3, 5), {"size": 9, "mode": "linear"}),
    ((2, 3, 5), {"scale_factor": 2.5, "mode": "linear", "align_corners": True}),
    ((2, 3, 5), {"size": 3, "mode": "linear"}),
    ((2, 3, 5), {"scale_factor": 1.7}),
    ((2, 3, 5), {"size": 7, "mode": "nearest-exact"}),
    ((2, 3, 5, 6), {"size": (7, 9), "mode": "bilinear"}),
    ((2, 3, 5, 6), {"scale_factor": (2, 1.5), "mode": "bilinear", "align_corners": True}),
    ((2, 3, 5, 6), {"size": (3, 4), "mode": "bilinear"}),
    ((2, 3, 5, 6), {"scale_factor": 0.7, "mode": "bilinear", "recompute_scale_factor": True}),
    ((2, 3, 5, 6), {"scale_factor": 3}),
    ((2, 3, 5, 6), {"scale_factor": 1 / 3}),
    ((2, 3, 5, 6), {"size": (4, 4), "mode": "area"}),
    ((1, 2, 3, 4, 5), {"size": (4, 5, 7), "mode": "trilinear"}),
]


@pytest.mark.parametrize("shape, kw", INTERPOLATE)
def test_interpolate_matches_torch(torch, TF, rng, shape, kw):
    _both(torch, lambda a: F.interpolate(a, **kw), lambda a: TF.interpolate(a, **kw), rng.standard_normal(shape), rng)


def test_interpolate_gradcheck_upsample_and_errors(rng):
    x = Tensor(rng.standard_normal((1, 2, 3, 4)), requires_grad=True)
    assert ag.gradcheck(lambda a: F.interpolate(a, size=(5, 7), mode="bilinear"), (x,))
    assert ag.gradcheck(lambda a: F.interpolate(a, scale_factor=2, mode="bilinear", align_corners=True), (x,))
    assert ag.gradcheck(lambda a: F.interpolate(a, size=(5, 6)), (x,))
    assert nn.Upsample(scale_factor=2, mode="bilinear")(x).shape == (1, 2, 6, 8)
    np.testing.assert_array_equal(
        nn.UpsamplingBilinear2d(size=(5, 5))(x).data, F.interpolate(x, (5, 5), mode="bilinear", align_corners=True).data
    )
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="align_corners is only for the linear modes"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match=r"mode='linear' needs a 3-D input"):
        F.interpolate(x, scale_factor=2, mode="linear")
    with pytest.raises(NotImplementedError, match="bicubic"):
        F.interpolate(x, scale_factor=2, mode="bicubic")
