"""nn.models: what the vision module's docstring promises about arguments, image sizes and widths."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

import autograd as ag
from nn.models import vision

CNNS = ["lenet", "alexnet", "vgg", "nin", "googlenet", "resnet", "densenet"]


def _listed(bullet: str, verb: str) -> list[str]:
    """The ``names`` the docstring's bullet ``- {bullet}: ...`` lists before ``verb``."""
    found = re.search(rf"^- {bullet}:(.*?)(?=^- |\Z)", vision.__doc__, re.S | re.M)
    assert found, f"the docstring of nn.models.vision has no '- {bullet}:' bullet"
    text = " ".join(found.group(1).split())  # one line
    return re.findall(r"``(\w+)``", text.split(verb)[0])


def test_docstring_lists_the_constructors_taking_in_channels_and_num_classes():
    listed = _listed("Arguments", " take ")
    assert listed == CNNS
    for name in CNNS:
        params = inspect.signature(getattr(vision, name)).parameters
        assert {"in_channels", "num_classes"} <= set(params), name
    assert "in_channels" not in inspect.signature(vision.mlp).parameters


@pytest.mark.parametrize("size", [28, 32])
def test_docstring_image_sizes_are_true(size):
    listed = _listed("Image size", " accept ")
    assert set(listed) == set(CNNS) - {"lenet"}
    with ag.no_grad():
        for name in listed:
            for channels in (1, 3):
                model = getattr(vision, name)(in_channels=channels, num_classes=7).eval()
                assert model(ag.zeros(1, channels, size, size)).shape == (1, 7), (name, channels, size)
        lenet = vision.lenet(in_channels=3)
        if size == 28:
            assert lenet(ag.zeros(1, 3, 28, 28)).shape == (1, 10)
        else:
            with pytest.raises(ValueError):
                lenet(ag.zeros(1, 3, size, size))
        assert vision.mlp()(ag.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_docstring_width_multipliers_are_true():
    listed = _listed("Width multiplier", " take ")
    takes_width = [n for n in CNNS if "width" in inspect.signature(getattr(vision, n)).parameters]
    assert listed == takes_width == ["alexnet", "nin", "googlenet", "resnet"]
    for name in listed:  # a multiplier of the channel counts: width=2 has more parameters, same outputs
        make = getattr(vision, name)
        n1, n2 = (sum(int(np.prod(p.shape)) for p in make(width=w).parameters()) for w in (1, 2))
        assert n2 > 1.5 * n1, name


def _layer_names(model) -> list[str]:
    return [type(m).__name__ for m in model]


def test_lenet_default_is_the_classic_sigmoid_average_pooling_network():
    classic = ["Conv2d", "Sigmoid", "AvgPool2d", "Conv2d", "Sigmoid", "AvgPool2d", "Flatten",
               "Linear", "Sigmoid", "Linear", "Sigmoid", "Linear"]  # fmt: skip
    assert _layer_names(vision.lenet()) == classic
    assert _layer_names(vision.lenet(activation="sigmoid", pool="avg", batch_norm=False)) == classic


def test_lenet_options_build_the_variant_layers():
    relu_max = _layer_names(vision.lenet(activation="relu", pool="max"))
    assert relu_max == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d", "Flatten",
                        "Linear", "ReLU", "Linear", "ReLU", "Linear"]  # fmt: skip
    model = vision.lenet(batch_norm=True)
    assert _layer_names(model) == ["Conv2d", "BatchNorm2d", "Sigmoid", "AvgPool2d",
                                   "Conv2d", "BatchNorm2d", "Sigmoid", "AvgPool2d", "Flatten",
                                   "Linear", "BatchNorm1d", "Sigmoid", "Linear", "BatchNorm1d", "Sigmoid",
                                   "Linear"]  # fmt: skip
    assert [m.num_features for m in model if "BatchNorm" in type(m).__name__] == [6, 16, 120, 84]
    with ag.no_grad():
        for variant in (vision.lenet(activation="relu", pool="max", batch_norm=True), model):
            assert variant.eval()(ag.zeros(2, 1, 28, 28)).shape == (2, 10)


@pytest.mark.parametrize("bad", [dict(activation="tanh"), dict(pool="min")])
def test_lenet_rejects_an_unknown_activation_or_pool(bad):
    with pytest.raises(ValueError, match="lenet: activation must be one of"):
        vision.lenet(**bad)
