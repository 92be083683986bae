"""A module's registered values live in one place: what the registries hold is what forward reads."""

from __future__ import annotations

import copy
import pickle

import numpy as np

import autograd as ag
import nn


def test_swapping_through_the_registries_changes_what_forward_reads(rng):
    lin = nn.Linear(3, 2)
    x = ag.Tensor(rng.standard_normal((4, 3)).astype(np.float32))
    lin._parameters["weight"] = nn.Parameter(np.zeros((2, 3), np.float32))
    lin._parameters["bias"] = nn.Parameter(np.ones(2, np.float32))
    np.testing.assert_array_equal(lin(x).data, np.ones((4, 2)))
    assert lin.weight is lin._parameters["weight"] and dict(lin.named_parameters())["bias"] is lin.bias

    bn = nn.BatchNorm1d(2).eval()
    bn._buffers["running_mean"] = ag.Tensor(np.array([1.0, 2.0], np.float32))
    assert bn.running_mean is bn._buffers["running_mean"]
    np.testing.assert_allclose(bn(ag.Tensor(np.array([[1.0, 2.0]], np.float32))).data, 0, atol=1e-6)

    net = nn.Sequential(nn.Linear(3, 2))
    net._modules["0"] = nn.Identity()
    assert isinstance(net[0], nn.Identity) and net(x) is x and list(net.parameters()) == []


def test_registries_behave_as_ordered_mappings():
    m = nn.Linear(2, 2)
    assert list(m._parameters) == ["weight", "bias"] and len(m._parameters) == 2
    assert m._parameters.get("missing") is None and "weight" in m._parameters
    assert [k for k, _ in m._parameters.items()] == ["weight", "bias"]
    del m.bias
    assert list(m._parameters) == ["weight"] and not hasattr(m, "bias")
    assert m._parameters.pop("weight") is not None and not hasattr(m, "weight")


def test_copies_own_their_parameters():
    net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    for twin in (copy.deepcopy(net), pickle.loads(pickle.dumps(net))):
        assert twin[0].weight is not net[0].weight and twin[0]._parameters["weight"] is twin[0].weight
        twin[0]._parameters["weight"] = nn.Parameter(np.zeros((3, 2), np.float32))
        assert np.abs(net[0].weight.data).sum() > 0 and twin[0].weight.data.sum() == 0
        assert twin[1].running_var is twin[1]._buffers["running_var"]
