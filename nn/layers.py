"""Core layers: ``Linear``, ``Flatten``, ``Identity``, ``Dropout``, ``Embedding``, ``BatchNorm1d/2d``.

Parameter names, shapes and initialisations are PyTorch's, so a PyTorch
``state_dict`` converted to NumPy loads with ``load_state_dict``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor

from . import functional as F
from . import init
from .module import Module, Parameter

_apply, _linear = ag.apply, ag.ops.linear

__all__ = ["Linear", "Flatten", "Identity", "Dropout", "Embedding", "BatchNorm1d", "BatchNorm2d"]


def _param(*shape: int) -> Parameter:
    return Parameter(np.empty(shape, ag.get_default_dtype()))


class Identity(Module):
    """Returns its input unchanged (a placeholder in a ``Sequential``).

    >>> x = ag.ones(2)
    >>> Identity()(x) is x
    True
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x


class Linear(Module):
    """Fully connected layer ``y = x @ weight.T + bias``.

    ``weight`` (out_features, in_features) from ``kaiming_uniform_(a=sqrt(5))``, ``bias``
    (out_features,) from ``U(-1/sqrt(in_features), 1/sqrt(in_features))``, as PyTorch.

    >>> layer = Linear(3, 2)
    >>> layer(ag.ones(4, 3)).shape
    (4, 2)
    >>> [name for name, _ in layer.named_parameters()]
    ['weight', 'bias']
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight = _param(self.out_features, self.in_features)
        if bias:
            self.bias = _param(self.out_features)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor(x)
        bias = self.bias
        try:  # the primitive itself: its matmul fails exactly when the shapes don't fit, and costs no check
            return _apply(_linear, (x, self.weight) if bias is None else (x, self.weight, bias))
        except ValueError:
            if x.ndim and x.shape[-1] == self.in_features:
                raise
        flat = x.ndim > 2 and math.prod(x.shape[1:]) == self.in_features
        raise ValueError(
            f"Linear({self.extra_repr()}): expected an input whose last dim has {self.in_features} features, "
            f"got shape {x.shape}" + ("; flatten it first (nn.Flatten(), or x.reshape(len(x), -1))" if flat else "")
        )

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Flatten(Module):
    """Merge dims ``start_dim..end_dim`` (by default all but the batch dim).

    >>> Flatten()(ag.zeros(2, 16, 5, 5)).shape
    (2, 400)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Any) -> Tensor:
        return F.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability ``p`` and scale
    the survivors by ``1/(1-p)``; in eval mode, the identity.

    >>> drop = Dropout(0.5).eval()
    >>> drop(ag.ones(3)).tolist()
    [1.0, 1.0, 1.0]
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability must be between 0 and 1, got {p}")
        self.p = float(p)

    def forward(self, x: Any) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Embedding(Module):
    """A lookup table: integer indices of any shape -> rows of ``weight`` (num_embeddings, embedding_dim).

    ``weight`` is initialised from N(0, 1), as PyTorch. With ``padding_idx`` that row starts at
    zero and receives no gradient (a negative index counts from the end).

    >>> emb = Embedding(10, 3)
    >>> emb(np.array([[1, 2], [3, 4]])).shape
    (2, 2, 3)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = (
            None if padding_idx is None else F._padding_index(padding_idx, self.num_embeddings, "Embedding")
        )
        self.weight = _param(self.num_embeddings, self.embedding_dim)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, indices: Any) -> Tensor:
        try:
            return F.embedding(indices, self.weight, self.padding_idx)
        except (IndexError, TypeError) as e:
            raise type(e)(f"Embedding({self.extra_repr()}): {e}") from None

    def extra_repr(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"


class _BatchNorm(Module):
    _dims: tuple[int, ...] = ()
    _layout = ""

    def __init__(
        self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
        track_running_stats: bool = True,
    ) -> None:  # fmt: skip
        super().__init__()
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), momentum
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        dtype = ag.get_default_dtype()
        if affine:
            self.weight = Parameter(np.ones(self.num_features, dtype))
            self.bias = Parameter(np.zeros(self.num_features, dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(self.num_features, dtype)))
            self.register_buffer("running_var", Tensor(np.ones(self.num_features, dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data = np.array(0, np.int64)

    def forward(self, x: Any) -> Tensor:
        x = ag.as_tensor(x)
        if x.ndim not in self._dims:  # errors name the layer as its repr: built only when raised
            raise ValueError(f"{self!r}: expected a {self._layout} input, got shape {x.shape}")
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{self!r}: input of shape {x.shape} has {x.shape[1]} channels in dim 1, expected {self.num_features}"
            )
        # Batch statistics in training, or always without running statistics (their buffers are None).
        use_batch = self.training or not self.track_running_stats
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data = np.array(self.num_batches_tracked.data + 1, np.int64)
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.data)
        try:
            return F.batch_norm(
                x, self.running_mean, self.running_var, self.weight, self.bias, use_batch, momentum, self.eps
            )
        except ValueError as e:
            raise ValueError(f"{self!r}: {e}") from None

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs, per channel C.

    Training mode normalises with batch statistics and updates the buffers
    ``running_mean``/``running_var`` (unbiased variance) with ``momentum``; eval
    mode uses the running statistics. ``weight`` starts at 1, ``bias`` at 0.

    >>> bn = BatchNorm1d(3)
    >>> [k for k in bn.state_dict()]
    ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
    """

    _dims = (2, 3)
    _layout = "2-D (N, C) or 3-D (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) inputs, per channel C (see ``BatchNorm1d``).

    >>> BatchNorm2d(6)(ag.randn(4, 6, 5, 5)).shape
    (4, 6, 5, 5)
    """

    _dims = (4,)
    _layout = "4-D (N, C, H, W)"
