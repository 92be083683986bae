"""Parameters and optimizer states live in 64-byte-aligned arrays (``autograd.aligned``), also
after ``load_state_dict``, dtype changes, ``copy.deepcopy`` and pickling."""

import copy
import pickle

import numpy as np
import pytest

import nn
from autograd import aligned


def _aligned(a: np.ndarray) -> bool:
    return a.__array_interface__["data"][0] % aligned.ALIGNMENT == 0


def _large(model: nn.Module) -> list:
    return [p for p in model.parameters() if p.data.nbytes >= aligned.MIN_BYTES]


def test_parameters_of_new_layers_are_aligned():
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Conv2d(3, 32, 5), nn.Embedding(100, 64))
    assert len(_large(model)) == 3
    assert all(_aligned(p.data) for p in _large(model))


def test_load_state_dict_and_dtype_changes_keep_parameters_aligned():
    src, model = nn.Linear(300, 200), nn.Linear(300, 200)
    state = {k: v.copy() for k, v in src.state_dict().items()}
    misaligned = np.empty(200 * 300 + 1, np.float32)[1:].reshape(300, 200).T  # 4 bytes off, F-ordered
    misaligned[...] = state["weight"]
    assert not _aligned(misaligned)
    state["weight"] = misaligned
    model.load_state_dict(state)
    np.testing.assert_array_equal(model.weight.data, state["weight"])
    assert _aligned(model.weight.data) and not np.shares_memory(model.weight.data, state["weight"])
    model.double()
    assert model.weight.dtype == np.float64 and _aligned(model.weight.data)
    np.testing.assert_array_equal(model.weight.data, state["weight"].astype(np.float64))


@pytest.mark.parametrize(
    "duplicate", [copy.deepcopy, lambda m: pickle.loads(pickle.dumps(m))], ids=["deepcopy", "pickle"]
)
def test_copied_and_unpickled_models_keep_their_parameters_aligned(duplicate):
    model = nn.Sequential(nn.Linear(300, 200), nn.ReLU(), nn.Linear(200, 10))
    model(np.ones((4, 300), np.float32)).sum().backward()  # gradients are copied too
    twin = duplicate(model)
    pairs = list(zip(model.parameters(), twin.parameters()))
    assert len(_large(twin)) == 2 and all(_aligned(p.data) for p in _large(twin))
    assert all(_aligned(p.grad.data) for p in _large(twin))
    for p, q in pairs:  # the same values and settings, in arrays of their own
        np.testing.assert_array_equal(p.data, q.data)
        np.testing.assert_array_equal(p.grad.data, q.grad.data)
        assert type(q) is type(p) and q.requires_grad and not np.shares_memory(p.data, q.data)
    nn.optim.SGD(twin.parameters(), lr=0.1).step()  # the copy trains on its own
    assert not np.array_equal(model[0].weight.data, twin[0].weight.data)


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: nn.optim.Adam(ps, lr=0.01, amsgrad=True),
        lambda ps: nn.optim.SGD(ps, lr=0.1, momentum=0.9),
        lambda ps: nn.optim.RMSprop(ps, lr=0.01, momentum=0.9, centered=True),
        lambda ps: nn.optim.Adadelta(ps),
    ],
)
def test_optimizer_states_are_aligned_also_after_loading(make):
    model = nn.Linear(256, 128)
    opt = make(model.parameters())
    model(np.ones((4, 256), np.float32)).sum().backward()
    opt.step()
    arrays = [v for s in opt.state.values() for v in s.values() if isinstance(v, np.ndarray) and v.ndim == 2]
    assert arrays and all(_aligned(v) for v in arrays)
    again = make(model.parameters())
    saved = opt.state_dict()
    for s in saved["state"].values():  # as a file would give them back: plain, unaligned arrays
        for k, v in s.items():
            if isinstance(v, np.ndarray) and v.ndim == 2:
                s[k] = np.asfortranarray(v)
    again.load_state_dict(saved)
    loaded = [v for s in again.state.values() for v in s.values() if isinstance(v, np.ndarray) and v.ndim == 2]
    assert len(loaded) == len(arrays) and all(_aligned(v) for v in loaded)
