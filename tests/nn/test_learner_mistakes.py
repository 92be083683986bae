"""Typical learner mistakes get an error (or a warning) that says what is wrong and what to do."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F

OPTIMIZERS = [
    (nn.optim.SGD, {"lr": 0.1}),
    (nn.optim.Adam, {}),
    (nn.optim.AdamW, {}),
    (nn.optim.RMSprop, {}),
    (nn.optim.Adagrad, {}),
    (nn.optim.Adadelta, {}),
]


# ----------------------------------------------------------------------------- optimizers
@pytest.mark.parametrize("cls, kw", OPTIMIZERS, ids=[c.__name__ for c, _ in OPTIMIZERS])
def test_an_optimizer_given_the_model_or_the_uncalled_method(cls, kw):
    model = nn.Sequential(nn.Linear(2, 3))
    name = cls.__name__
    with pytest.raises(TypeError, match=rf"{name}: .*got the module Sequential itself.*model\.parameters\(\)"):
        cls(model, **kw)
    with pytest.raises(TypeError, match=rf"{name}: .*got the method Sequential\.parameters \(not called\).*"
                                        r"model\.parameters\(\)"):  # fmt: skip
        cls(model.parameters, **kw)
    with pytest.raises(TypeError, match=r"\(name, Tensor\) pairs: pass model\.parameters\(\), not model\.named_param"):
        cls(model.named_parameters(), **kw)
    with pytest.raises(TypeError, match=rf"{name}: .*got float; pass model\.parameters\(\)"):
        cls(0.1, **kw)
    cls(model.parameters(), **kw)  # the right call still works


def test_clipping_given_the_uncalled_method():
    model = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"got the method Module\.parameters; call it: model\.parameters\(\)"):
        nn.utils.clip_grad_norm_(model.parameters, 1.0)
    with pytest.raises(TypeError, match=r"model\.parameters\(\)"):
        nn.utils.clip_grad_value_(model.parameters, 1.0)


# ----------------------------------------------------------------------------- an empty batch
EMPTY_LOSSES = {
    "cross_entropy": lambda x: F.cross_entropy(x, np.zeros(0, np.int64)),
    "cross_entropy(probabilities)": lambda x: F.cross_entropy(x, ag.zeros(0, 3)),
    "nll_loss": lambda x: F.nll_loss(x, np.zeros(0, np.int64)),
    "mse_loss": lambda x: F.mse_loss(x, ag.zeros(0, 3)),
    "l1_loss": lambda x: F.l1_loss(x, ag.zeros(0, 3)),
    "binary_cross_entropy": lambda x: F.binary_cross_entropy(ag.sigmoid(x), ag.zeros(0, 3)),
    "binary_cross_entropy_with_logits": lambda x: F.binary_cross_entropy_with_logits(x, ag.zeros(0, 3)),
    "CrossEntropyLoss": lambda x: nn.CrossEntropyLoss()(x, np.zeros(0, np.int64)),
}


@pytest.mark.parametrize("name", list(EMPTY_LOSSES))
def test_the_mean_loss_of_an_empty_batch_is_nan_with_a_warning_that_says_why(name):
    x = ag.Tensor(np.zeros((0, 3), np.float32), requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loss = EMPTY_LOSSES[name](x)
        loss.backward()
    assert np.isnan(loss.item()) and loss.dtype == np.float32
    assert x.grad.shape == (0, 3)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1 and issubclass(caught[0].category, RuntimeWarning), messages  # no NumPy warnings
    assert "the batch is empty (input shape (0, 3)), so the mean loss is nan" in messages[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # summed: 0, nothing to warn about
        assert F.mse_loss(x, ag.zeros(0, 3), reduction="sum").item() == 0.0


def test_torch_gives_nan_for_an_empty_batch_too(torch):
    out = torch.nn.functional.cross_entropy(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long))
    assert torch.isnan(out)


# ----------------------------------------------------------------------------- errors name the module
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Conv2d(2, 4, 3), nn.ReLU())
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))

    def forward(self, x):
        return self.head(self.features(x))


def test_an_error_inside_a_forward_names_the_modules_path():
    net = Net()
    with pytest.raises(ValueError) as info:
        net(ag.zeros(1, 1, 7, 7))  # 4 x 3 x 3 = 36 features reach Linear(16, 3)
    message = str(info.value)
    assert message.startswith("head.1 (Linear): Linear(in_features=16")  # path, then the original message
    assert "expected an input whose last dim has 16 features, got shape (1, 36)" in message

    with pytest.raises(ValueError, match=r"^features\.0 \(Conv2d\): Conv2d\(1, 2.*has 3 channels"):
        net(ag.zeros(1, 3, 7, 7))
    with pytest.raises(ValueError, match=r"^0 \(Conv2d\): "):  # a submodule called on its own: its own paths
        net.features(ag.zeros(1, 3, 7, 7))
    with pytest.raises(ValueError, match=r"^Conv2d\(1, 2"):  # the layer itself: its message is unchanged
        net.features[0](ag.zeros(1, 3, 7, 7))


def test_a_grandchild_called_directly_and_errors_that_are_not_messages():
    class Direct(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = nn.Sequential(nn.Linear(2, 2))

        def forward(self, x):
            return self.block[0](x)  # skips block's own call

    with pytest.raises(ValueError, match=r"^block\.0 \(Linear\): "):
        Direct()(ag.zeros(1, 5))

    class Lookup(nn.Module):
        def forward(self, x):
            return {}["missing"]

    class Wrapper(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = Lookup()

        def forward(self, x):
            return self.inner(x)

    with pytest.raises(KeyError) as info:  # a KeyError's text is its key: the path goes into a note
        Wrapper()(ag.zeros(1, 2))
    assert info.value.args == ("missing",)
    if sys.version_info >= (3, 11):
        assert info.value.__notes__ == ["raised in inner (Lookup)"]


def test_hints_for_unflattened_images_and_one_hot_targets():
    with pytest.raises(ValueError, match=r"got shape \(4, 28, 28\); flatten it first \(nn\.Flatten\(\)"):
        nn.Linear(784, 10)(ag.zeros(4, 28, 28))
    with pytest.raises(ValueError, match=r"one-hot targets\? pass the class indices, target\.argmax\(1\)"):
        F.cross_entropy(ag.zeros(4, 3), np.eye(3, dtype=np.int64)[[0, 1, 2, 0]])


def test_numpys_own_errors_inside_an_op_are_reported_with_the_op():
    """NumPy's casting errors can't be built from a message alone: the op's error is their builtin base."""
    with pytest.raises(TypeError, match=r"^log_softmax: Cannot cast ufunc .* \(inputs: int64\[2\]\)"):
        ag.log_softmax(ag.Tensor(np.array([0, 1])), 0)  # e.g. cross_entropy's arguments swapped
