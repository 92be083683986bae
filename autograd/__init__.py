"""graphgrad's autograd engine: Tensors that record operations, and reverse mode over them.

>>> from autograd import Tensor
>>> a = Tensor(2.0, requires_grad=True, name="a")
>>> b = Tensor(-3.0, requires_grad=True, name="b")
>>> e = a * b + a.exp()
>>> e.backward()
>>> f"{float(a.grad):.4f}", float(b.grad)
('4.3891', 2.0)
"""

from . import aligned, allocator  # noqa: F401  (aligned arrays; opt-in malloc tuning: allocator.keep_freed_memory())

from .tensor import Parameter, Tensor  # isort: skip  (first: the other modules build on it)
from . import elementwise, indexing, methods, ops, shaping
from .activations import (
    celu,
    elu,
    erf,
    expm1,
    gelu,
    hardsigmoid,
    hardswish,
    hardtanh,
    logsigmoid,
    mish,
    normalize,
    relu6,
    selu,
    silu,
    softmin,
    softsign,
)  # fmt: skip
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
    attention,
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
from .recurrent import gru_gates
from .reductions import all as all  # (all, any: not in __all__, a star import leaves Python's alone)
from .reductions import (
    amax,
    amin,
    aminmax,
    argsort,
    count_nonzero,
    cummax,
    cummin,
    cumprod,
    cumsum,
    kthvalue,
    logcumsumexp,
    matrix_norm,
    median,
    mode,
    nanmedian,
    norm,
    sort,
    std_mean,
    topk,
    var_mean,
    vector_norm,
)  # fmt: skip
from .reductions import any as any

# PyTorch's elementwise, shape and indexing vocabulary: every name in each module's __all__
for _module in (elementwise, shaping, indexing):
    globals().update({_name: getattr(_module, _name) for _name in _module.__all__})
tensor = Tensor
methods.attach()  # PyTorch's Tensor methods of the modules above (methods.py)

__all__ = [
    "Tensor", "tensor", "Parameter", "apply", "mark_modified", "Function", "FunctionCtx", "Node", "Op", "ops",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "grad", "backward",
    "detect_anomaly", "is_anomaly_enabled", "module_scope", "record_gradients", "manual_seed", "draw", "save_svg",
    "backward_steps",
    "gradcheck", "gradgradcheck", "GradcheckError",
    "get_default_dtype", "set_default_dtype",
    "zeros", "ones", "full", "arange", "randn", "rand", "zeros_like", "ones_like", "eye",
    "abs", "addcmul", "addmm", "argmax", "argmin", "as_tensor", "attention", "broadcast_to", "cat", "clamp", "cos",
    "cross_entropy",
    "einsum", "exp", "expand", "flatten", "gather", "getitem", "leaky_relu", "lerp", "linear", "log", "log1p",
    "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum", "neg", "one_hot", "pad",
    "permute", "prod", "relu", "reshape", "sigmoid", "sin", "sliding_window", "softmax",
    "softplus", "split", "sqrt", "squeeze", "stack", "std", "sum", "tanh", "transpose",
    "unbind", "unsqueeze", "var", "view", "where", "window_totals",
    # PyTorch's vocabulary (issue 16): activations.py, reductions.py
    "celu", "elu", "erf", "expm1", "gelu", "hardsigmoid", "hardswish", "hardtanh", "logsigmoid", "mish", "normalize",
    "relu6", "selu", "silu", "softmin", "softsign",
    "amax", "amin", "aminmax", "argsort", "count_nonzero", "cummax", "cummin", "cumprod", "cumsum",
    "kthvalue", "logcumsumexp", "matrix_norm", "median", "mode", "nanmedian", "norm", "sort", "std_mean", "topk",
    "var_mean", "vector_norm",
    "gru_gates",  # recurrent.py: a GRU cell's gate arithmetic as one op
]  # fmt: skip
# (autograd.all, any, round and pow exist, but a star import doesn't shadow Python's builtins with them)
__all__ += [n for m in (elementwise, shaping, indexing) for n in m.__all__ if n not in ("round", "pow")]
