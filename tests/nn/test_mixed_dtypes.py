"""An input of another dtype than a layer's weight is refused, as PyTorch does, never silently
computed in the wider dtype; the error names both dtypes and how to convert."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
import nn.functional as F


def _inputs(rng, shape):
    return {
        "float64": (ag.Tensor(rng.standard_normal(shape)), r"model\.double\(\)"),
        "float16": (ag.Tensor(rng.standard_normal(shape).astype(np.float16)), r"model\.to\(np\.float16\)"),
        "int64": (
            ag.Tensor(rng.integers(0, 3, shape)),
            r"x\.float\(\) \(a NumPy array: x\.astype\(np\.float32\)\)"
            r"(?!, or the model)",
        ),  # (no model conversion suggested for integers)
    }


LAYERS = {
    "Linear": (lambda: nn.Linear(3, 2), (4, 3)),
    "Conv2d": (lambda: nn.Conv2d(3, 2, 2), (1, 3, 4, 4)),
    "GRU": (lambda: nn.GRU(3, 2), (5, 1, 3)),
    "LSTMCell": (lambda: nn.LSTMCell(3, 2), (4, 3)),
    "RNN": (lambda: nn.RNN(3, 2), (5, 1, 3)),
}


@pytest.mark.parametrize("layer", list(LAYERS))
@pytest.mark.parametrize("dtype", ["float64", "float16", "int64"])
def test_a_float32_layer_refuses_another_input_dtype(rng, layer, dtype):
    make, shape = LAYERS[layer]
    x, advice = _inputs(rng, shape)[dtype]
    if layer in ("GRU", "RNN", "LSTMCell") and dtype == "int64":
        pytest.skip("recurrent layers take integer codes (e.g. one-hot) in the weights' dtype")
    with pytest.raises(TypeError, match=rf"the input is {dtype} but the weight is float32: convert .*{advice}"):
        make()(x)


def test_following_the_advice_works(rng):
    x = ag.Tensor(rng.standard_normal((4, 3)))
    lin = nn.Linear(3, 2)
    assert lin(x.float()).dtype == np.float32
    assert lin(x.data.astype(np.float32)).dtype == np.float32
    assert lin.double()(x).dtype == np.float64
    conv = nn.Conv2d(3, 2, 2).double()
    assert conv(ag.Tensor(rng.standard_normal((1, 3, 4, 4)))).dtype == np.float64


def test_a_bias_of_another_dtype_is_refused(rng):
    x, w = ag.ones(2, 3), ag.ones(4, 3)
    with pytest.raises(TypeError, match="linear: the bias is float64 but the weight is float32"):
        F.linear(x, w, ag.Tensor(np.zeros(4)))
    with pytest.raises(TypeError, match=r"conv2d: the bias is float64 but the weight is float32"):
        F.conv2d(ag.ones(1, 3, 4, 4), ag.ones(2, 3, 2, 2), ag.Tensor(np.zeros(2)))


def test_torch_refuses_the_same(torch, rng):
    lin = torch.nn.Linear(3, 2)
    with pytest.raises(RuntimeError, match="dtype"):
        lin(torch.tensor(rng.standard_normal((4, 3))))
