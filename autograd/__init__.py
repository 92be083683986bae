"""graphgrad's autograd engine: Tensors that record operations, and reverse mode over them.

>>> from autograd import Tensor
>>> a = Tensor(2.0, requires_grad=True, name="a")
>>> b = Tensor(-3.0, requires_grad=True, name="b")
>>> e = a * b + a.exp()
>>> e.backward()
>>> round(float(a.grad), 4), float(b.grad)
(4.3891, 2.0)
"""

from . import allocator

from .tensor import Parameter, Tensor  # isort: skip  (first: the other modules build on it)
from . import ops
from .anomaly import detect_anomaly, is_anomaly_enabled
from .drawing import backward_steps, draw, save_svg  # graphviz itself is imported only when a drawing is made
from .dtypes import get_default_dtype, set_default_dtype
from .engine import backward, grad
from .factories import arange, eye, full, ones, ones_like, rand, randn, zeros, zeros_like
from .function import Function, FunctionCtx
from .functional import (
    abs,
    addcmul,
    addmm,
    argmax,
    argmin,
    as_tensor,
    broadcast_to,
    cat,
    clamp,
    cos,
    cross_entropy,
    einsum,
    exp,
    expand,
    flatten,
    gather,
    getitem,
    leaky_relu,
    lerp,
    linear,
    log,
    log1p,
    log_softmax,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    neg,
    one_hot,
    pad,
    permute,
    prod,
    relu,
    reshape,
    sigmoid,
    sin,
    sliding_window,
    softmax,
    softplus,
    split,
    sqrt,
    squeeze,
    stack,
    std,
    sum,
    tanh,
    transpose,
    unbind,
    unsqueeze,
    var,
    view,
    where,
    window_totals,
)  # fmt: skip
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import Node, Op, module_scope, record_gradients
from .random import manual_seed
from .recording import apply, mark_modified

tensor = Tensor
allocator.configure_from_env()  # keep freed memory for reuse (glibc); GRAPHGRAD_MALLOC=system opts out

__all__ = [
    "Tensor", "tensor", "Parameter", "apply", "mark_modified", "Function", "FunctionCtx", "Node", "Op", "ops",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "grad", "backward",
    "detect_anomaly", "is_anomaly_enabled", "module_scope", "record_gradients", "manual_seed", "draw", "save_svg",
    "backward_steps",
    "gradcheck", "gradgradcheck", "GradcheckError",
    "get_default_dtype", "set_default_dtype",
    "zeros", "ones", "full", "arange", "randn", "rand", "zeros_like", "ones_like", "eye",
    "abs", "addcmul", "addmm", "argmax", "argmin", "as_tensor", "broadcast_to", "cat", "clamp", "cos", "cross_entropy",
    "einsum", "exp", "expand", "flatten", "gather", "getitem", "leaky_relu", "lerp", "linear", "log", "log1p",
    "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum", "neg", "one_hot", "pad",
    "permute", "prod", "relu", "reshape", "sigmoid", "sin", "sliding_window", "softmax",
    "softplus", "split", "sqrt", "squeeze", "stack", "std", "sum", "tanh", "transpose",
    "unbind", "unsqueeze", "var", "view", "where", "window_totals",
]  # fmt: skip
