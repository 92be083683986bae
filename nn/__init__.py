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
# --- optimizers (the subpackage nn.optim), ready-made models (nn.models), datasets and batches (nn.data)
from . import data, models, optim  # noqa: E402

__all__ += ["data", "models", "optim"]
# --- the training loop, metrics, checkpoints and curves (nn.training: fit, evaluate, Trainer, generate)
from . import training  # noqa: E402

__all__ += ["training"]
