"""graphgrad.nn: layers, losses, optimizers and models built only from autograd ops.

Nothing in this package defines a derivative: every gradient comes from the
engine, so every layer can be drawn and gradient-checked like any expression.
"""

from . import init
from .module import IncompatibleKeys, Module, ModuleList, Parameter, Sequential

__all__ = ["init", "IncompatibleKeys", "Module", "ModuleList", "Parameter", "Sequential"]

# --- layers, activations, losses, functional, utils, save/load (owned by the layers work)
# --- recurrent layers (owned by the recurrent work)
# --- optimizers: the subpackage nn.optim (owned by the optim work)
