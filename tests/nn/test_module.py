"""nn.Module and its containers: registration, state dicts of shared (tied) tensors, slicing."""

from __future__ import annotations

import numpy as np
import pytest
from _nn_testing import torch_state

import autograd as ag
import nn
from nn import optim


class TiedLM:
    """A language model whose output layer reuses the embedding matrix (weight tying), in either library."""

    @staticmethod
    def build(m, vocab: int = 7, dim: int = 4):
        class Tied(m.Module):
            def __init__(self):
                super().__init__()
                self.embed = m.Embedding(vocab, dim)
                self.hidden = m.Linear(dim, dim)
                self.decoder = m.Linear(dim, vocab)
                self.decoder.weight = self.embed.weight

            def forward(self, idx):
                return self.decoder(self.hidden(self.embed(idx)).tanh())

        return Tied()


TIED_KEYS = ["embed.weight", "hidden.weight", "hidden.bias", "decoder.weight", "decoder.bias"]


# ============================================================ shared tensors in state dicts
def test_tied_weights_are_listed_under_every_name():
    model = TiedLM.build(nn)
    assert model.decoder.weight is model.embed.weight
    assert list(model.state_dict()) == TIED_KEYS
    np.testing.assert_array_equal(model.state_dict()["decoder.weight"], model.embed.weight.data)
    # named_parameters() still lists a shared tensor once, so an optimizer updates it once
    assert [n for n, _ in model.named_parameters()] == ["embed.weight", "hidden.weight", "hidden.bias", "decoder.bias"]


def test_tied_weights_state_dict_round_trips_and_stays_tied(rng):
    model, fresh = TiedLM.build(nn), TiedLM.build(nn)
    state = model.state_dict()
    assert fresh.load_state_dict(state) == nn.IncompatibleKeys([], [])
    assert fresh.decoder.weight is fresh.embed.weight
    for k, v in fresh.state_dict().items():
        np.testing.assert_array_equal(v, state[k], err_msg=k)
    # one name of a shared tensor is enough (e.g. a dict saved by an older graphgrad): nothing is missing
    del state["decoder.weight"]
    assert TiedLM.build(nn).load_state_dict(state) == nn.IncompatibleKeys([], [])


def test_a_shared_module_is_listed_under_every_path():
    layer = nn.Linear(2, 3)
    net = nn.Sequential(layer, nn.Tanh(), layer)
    assert list(net.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias"]
    assert [n for n, _ in net.named_modules()] == ["", "0", "1"]
    assert [n for n, _ in net.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]
    assert net.load_state_dict(net.state_dict()) == nn.IncompatibleKeys([], [])


def test_tied_model_matches_torch_keys_and_loads_its_state_dict(torch, rng):
    torch.manual_seed(0)
    theirs = TiedLM.build(torch.nn).double()
    ours = TiedLM.build(nn).double()
    assert list(ours.state_dict()) == list(theirs.state_dict()) == TIED_KEYS
    ours.load_state_dict(torch_state(theirs))  # strict: every key is expected, none is missing
    assert ours.decoder.weight is ours.embed.weight
    idx = rng.integers(0, 7, (2, 5))
    np.testing.assert_allclose(ours(idx).data, theirs(torch.tensor(idx)).detach().numpy(), rtol=1e-12)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    layer = nn.Linear(2, 3)
    tlayer = torch.nn.Linear(2, 3)
    assert list(nn.Sequential(layer, layer).state_dict()) == list(torch.nn.Sequential(tlayer, tlayer).state_dict())


# ============================================================ registration
def test_assigning_a_non_tensor_to_a_buffer_raises_instead_of_unregistering():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(
        TypeError, match=r"cannot assign 'numpy.ndarray' as buffer 'running_mean' \(Tensor or None expected\)"
    ):
        bn.running_mean = np.zeros(3)
    assert "running_mean" in dict(bn.named_buffers())
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    with pytest.raises(TypeError, match="cannot assign 'float' as buffer 'running_var'"):
        bn.running_var = 1.0
    bn.running_mean = ag.ones(3)  # a Tensor (or None) is fine, and stays a buffer
    assert dict(bn.named_buffers())["running_mean"] is bn.running_mean
    bn.running_mean = None
    assert "running_mean" in bn._buffers and "running_mean" not in bn.state_dict()


def test_registered_values_read_as_attributes_through_every_way_of_registering():
    m = nn.Module()
    w = nn.Parameter(np.ones(2))
    m.w = w
    m.register_parameter("b", None)
    m.register_buffer("stat", ag.zeros(2))
    m.add_module("child", nn.ReLU())
    assert m.w is w and m.b is None and m.stat is m._buffers["stat"] and m.child is m._modules["child"]
    m.w = None  # still registered, and reads as None
    assert m.w is None and "w" in m._parameters
    m.w = nn.Module()  # a module now: the parameter entry is gone, the attribute follows
    assert "w" not in m._parameters and isinstance(m.w, nn.Module)
    del m.stat
    assert "stat" not in m._buffers and not hasattr(m, "stat")
    del m.child
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'child'"):
        _ = m.child
    seq = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    seq[1] = nn.Sigmoid()
    assert isinstance(seq[1], nn.Sigmoid) and isinstance(getattr(seq, "1"), nn.Sigmoid)


def test_a_value_put_directly_in_a_store_is_still_found():
    m = nn.Module()
    p = nn.Parameter(np.zeros(3))
    m._parameters["direct"] = p  # bypassing __setattr__, as some PyTorch code does
    assert m.direct is p and [n for n, _ in m.named_parameters()] == ["direct"]


def test_assigning_a_non_parameter_to_a_parameter_raises():
    layer = nn.Linear(2, 3)
    with pytest.raises(TypeError, match=r"cannot assign 'numpy.ndarray' as parameter 'weight' \(Parameter or None"):
        layer.weight = np.zeros((3, 2))
    with pytest.raises(TypeError, match=r"cannot assign 'autograd\..*Tensor' as parameter 'bias'"):
        layer.bias = ag.zeros(3)  # a plain Tensor is not a Parameter (PyTorch raises too)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    layer.bias = None  # None keeps the name registered, as in PyTorch
    assert layer.bias is None and "bias" in layer._parameters and list(layer.state_dict()) == ["weight"]
    layer.bias = nn.Parameter(np.zeros(3, np.float32))
    assert list(layer.state_dict()) == ["weight", "bias"]


def test_assigning_a_non_module_to_a_child_module_raises():
    net = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(TypeError, match=r"cannot assign 'str' as child module '0' \(Module or None expected\)"):
        setattr(net, "0", "linear")
    assert len(list(net.parameters())) == 2


def test_reassigning_a_name_as_another_kind_moves_it():
    m = nn.Module()
    m.register_buffer("x", ag.zeros(2))
    m.x = nn.Parameter(np.ones(2))  # a Parameter replaces the buffer
    assert "x" not in m._buffers and [n for n, _ in m.named_parameters()] == ["x"]
    m.x = nn.Linear(1, 1)  # a module replaces the parameter
    assert "x" not in m._parameters and [n for n, _ in m.named_children()] == ["x"]


# ============================================================ Sequential
def test_sequential_slice_keeps_the_module_names():
    net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    tail = net[1:]
    assert list(tail.state_dict()) == ["2.weight", "2.bias", "4.weight", "4.bias"]
    assert [n for n, _ in tail.named_children()] == ["1", "2", "3", "4"]
    assert tail[0] is net[1] and len(tail) == 4
    assert list(net[::2].state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert tail(ag.zeros(5, 3)).shape == (5, 1)


def test_sequential_slice_names_match_torch(torch):
    ours = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 4))
    assert list(ours[1:].state_dict()) == list(theirs[1:].state_dict()) == ["2.weight", "2.bias"]
    ours[1:].load_state_dict(torch_state(theirs[1:]))
    np.testing.assert_array_equal(ours[2].weight.data, theirs[2].weight.detach().numpy())


# ============================================================ shared helpers
def test_module_and_optimizer_zero_grad_share_one_helper():
    import nn.module
    import nn.optim.optimizer
    import nn.utils

    assert nn.module._zero_grad is nn.optim.optimizer._zero_grad is nn.utils._zero_grad
    layer = nn.Linear(2, 2)
    opt = optim.SGD(layer.parameters(), lr=0.1)
    for clear in (layer.zero_grad, opt.zero_grad):
        for p in layer.parameters():
            p.grad = ag.ones(*p.shape)
        grads = [p.grad for p in layer.parameters()]
        clear(set_to_none=False)  # zeros, in place
        assert all(p.grad is g and not g.data.any() for p, g in zip(layer.parameters(), grads))
        clear()
        assert all(p.grad is None for p in layer.parameters())
