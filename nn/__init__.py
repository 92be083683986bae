"""graphgrad.nn: layers, losses, optimizers and models built only from autograd ops.

Nothing in this package defines a derivative: every gradient comes from the
engine, so every layer can be drawn and gradient-checked like any expression.
"""

from . import init
from .module import IncompatibleKeys, Module, ModuleList, Parameter, Sequential

__all__ = ["init", "IncompatibleKeys", "Module", "ModuleList", "Parameter", "Sequential"]

# --- layers, activations, losses, functional, utils, save/load
from . import functional, utils  # noqa: E402
from .activation import (  # noqa: E402
    AbsoluteRectifier,
    LeakyReLU,
    LogSoftmax,
    Maxout,
    PReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Tanh,
)  # fmt: skip
from .conv import AdaptiveAvgPool2d, AvgPool2d, Conv2d, LPPool2d, MaxPool2d  # noqa: E402
from .layers import BatchNorm1d, BatchNorm2d, Dropout, Embedding, Flatten, Identity, Linear  # noqa: E402
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss  # noqa: E402
from .serialization import load, save  # noqa: E402

__all__ += [
    "functional", "utils", "save", "load",
    "Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "LPPool2d", "AdaptiveAvgPool2d", "BatchNorm1d", "BatchNorm2d",
    "Dropout", "Flatten", "Embedding", "Identity",
    "ReLU", "LeakyReLU", "PReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Softplus", "AbsoluteRectifier",
    "Maxout",
    "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss",
]  # fmt: skip
# --- recurrent layers
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell  # noqa: E402

__all__ += ["RNN", "GRU", "LSTM", "RNNCell", "GRUCell", "LSTMCell"]
# --- more convolution and pooling layers, normalisation over features, attention and transformer layers
from .attention import MultiheadAttention, TransformerEncoder, TransformerEncoderLayer  # noqa: E402
from .conv import Conv1d, ConvTranspose2d, MaxUnpool2d  # noqa: E402
from .normalization import GroupNorm, LayerNorm  # noqa: E402
from .padding import CircularPad2d, ConstantPad2d, ReflectionPad2d, ReplicationPad2d, ZeroPad2d  # noqa: E402
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d  # noqa: E402

__all__ += ["Conv1d", "ConvTranspose2d", "MaxUnpool2d", "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]
__all__ += ["ZeroPad2d", "ConstantPad2d", "ReflectionPad2d", "ReplicationPad2d", "CircularPad2d"]
__all__ += ["LayerNorm", "GroupNorm", "MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder"]
from .activation import (  # noqa: E402
    CELU,
    ELU,
    GELU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LogSigmoid,
    Mish,
    ReLU6,
    SiLU,
    Softmin,
    Softsign,
)  # fmt: skip

__all__ += [
    "GELU", "SiLU", "ELU", "CELU", "SELU", "Mish", "Hardswish", "Hardsigmoid", "Hardtanh", "ReLU6", "Softsign",
    "LogSigmoid", "Softmin",
]  # fmt: skip
# --- optimizers (the subpackage nn.optim), ready-made models (nn.models), datasets and batches (nn.data)
from . import data, models, optim  # noqa: E402

__all__ += ["data", "models", "optim"]
