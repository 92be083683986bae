"""The op table shared by the op tests: every op of API.md's ``autograd`` section.

Each :class:`Case` is one op applied to float64 inputs drawn from a domain where the
op is smooth (away from kinks, poles and ties), so finite differences and PyTorch
agree with the exact derivative. ``fn`` works on graphgrad Tensors; ``tfn`` is the
same computation in PyTorch (``None``: ``fn`` itself works on torch tensors too).
Kinks are tested separately, with their documented one-sided choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

import autograd as ag


def real(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.standard_normal(shape)


def positive(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return rng.uniform(0.5, 2.0, shape)


def nonzero(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Values at least 0.3 away from 0 (relu, abs, div, ... are smooth there)."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 2.0, shape)


def spread(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Distinct values 0.1 apart, each 0.03 or 0.08 (+-0.01) past a multiple of 0.1.

    So max/min have no ties, and clamp bounds at 0.005 or 0.055 past a multiple of 0.1
    are at least 0.015 away from every value.
    """
    n = int(np.prod(shape))
    return (rng.permutation(n) - (n - 1) / 2).reshape(shape) * 0.1 + 0.03 + rng.uniform(-0.01, 0.01, shape)


@dataclass
class Case:
    name: str
    fn: Any
    shapes: tuple
    domain: Any = real
    tfn: Any = None  # PyTorch version of fn, when fn doesn't run on torch tensors as is

    def arrays(self, seed: int = 0) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        doms = self.domain if isinstance(self.domain, tuple) else (self.domain,) * len(self.shapes)
        return [np.asarray(d(rng, s), dtype=np.float64) for d, s in zip(doms, self.shapes)]

    def torch_fn(self) -> Any:
        return self.tfn or self.fn

    @property
    def id(self) -> str:
        return f"{self.name}-" + "-".join("x".join(map(str, s)) or "scalar" for s in self.shapes)


def _torch() -> Any:
    import torch

    return torch


# ------------------------------------------------------------------ binary, with broadcasting
BROADCAST_PAIRS = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (2, 3)),
    ((2, 1, 4), (3, 1)),
    ((1, 3), (2, 1)),
    ((), (2, 3)),
    ((2, 3), ()),
]

_COND = np.array([[True, False, True], [False, False, True]])

BINARY = {
    "add": (lambda x, y: x + y, real, real),
    "sub": (lambda x, y: x - y, real, real),
    "mul": (lambda x, y: x * y, real, real),
    "div": (lambda x, y: x / y, real, nonzero),
    "pow": (lambda x, y: x**y, positive, real),
    "maximum": (ag.maximum, real, real, lambda x, y: _torch().maximum(x, y)),
    "minimum": (ag.minimum, real, real, lambda x, y: _torch().minimum(x, y)),
}

BINARY_CASES = [
    Case(name, spec[0], pair, (spec[1], spec[2]), spec[3] if len(spec) > 3 else None)
    for name, spec in BINARY.items()
    for pair in BROADCAST_PAIRS
]
BINARY_CASES += [
    Case("where", lambda a, b: ag.where(_COND, a, b), s, tfn=lambda a, b: _torch().where(_tc(), a, b))
    for s in [((2, 3), (2, 3)), ((3,), (2, 1)), ((), (2, 3))]
]
BINARY_CASES.append(
    Case(
        "where_tensor_cond",
        lambda a, b: ag.where(ag.tensor(_COND) & (ag.tensor(_COND) | True), a, b),
        ((2, 3), (1, 3)),
        tfn=lambda a, b: _torch().where(_tc(), a, b),
    )
)


def _tc() -> Any:
    return _torch().as_tensor(_COND)


# ------------------------------------------------------------------ Python scalars on either side
SCALAR_CASES = [
    Case("radd", lambda x: 2.5 + x, ((2, 3),)),
    Case("add_scalar", lambda x: x + 2, ((2, 3),)),
    Case("rsub", lambda x: 2.5 - x, ((2, 3),)),
    Case("sub_scalar", lambda x: x - 1.5, ((2, 3),)),
    Case("rmul", lambda x: 3 * x, ((2, 3),)),
    Case("mul_scalar", lambda x: x * -0.5, ((2, 3),)),
    Case("rdiv", lambda x: 2.0 / x, ((2, 3),), nonzero),
    Case("div_scalar", lambda x: x / 4, ((2, 3),)),
    Case("rpow_float", lambda x: 2.5**x, ((2, 3),)),
    Case("rpow_int", lambda x: 3**x, ((2, 3),)),
    Case("pow_2", lambda x: x**2, ((2, 3),)),
    Case("pow_3", lambda x: x**3, ((2, 3),)),
    Case("pow_half", lambda x: x**0.5, ((2, 3),), positive),
    Case("pow_neg", lambda x: x**-1.5, ((2, 3),), positive),
    Case("where_scalar_2nd", lambda a: ag.where(_COND, a, 0.5), ((2, 3),), tfn=lambda a: _torch().where(_tc(), a, 0.5)),
    Case("where_scalar_1st", lambda b: ag.where(_COND, -1, b), ((2, 3),), tfn=lambda b: _torch().where(_tc(), -1.0, b)),
]

# ------------------------------------------------------------------ unary
UNARY = {
    "neg": (lambda x: -x, real),
    "exp": (lambda x: x.exp(), real),
    "log": (lambda x: x.log(), positive),
    "sqrt": (lambda x: x.sqrt(), positive),
    "sin": (lambda x: x.sin(), real),
    "cos": (lambda x: x.cos(), real),
    "tanh": (lambda x: x.tanh(), real),
    "sigmoid": (lambda x: x.sigmoid(), real),
    "relu": (lambda x: x.relu(), nonzero),
    "leaky_relu": (lambda x: ag.leaky_relu(x, 0.1), nonzero, lambda x: _tnnf().leaky_relu(x, 0.1)),
    "leaky_relu_default": (lambda x: x.leaky_relu(), nonzero, lambda x: _tnnf().leaky_relu(x)),
    "softplus": (lambda x: ag.softplus(x), real, lambda x: _tnnf().softplus(x)),
    "abs": (lambda x: abs(x), nonzero),
    "abs_method": (lambda x: x.abs(), nonzero),
    "clamp": (lambda x: x.clamp(-0.545, 0.655), spread, lambda x: x.clamp(-0.545, 0.655)),
    "clamp_min": (lambda x: ag.clamp(x, min=0.205), spread, lambda x: x.clamp(min=0.205)),
    "clamp_max": (lambda x: ag.clamp(x, max=-0.145), spread, lambda x: x.clamp(max=-0.145)),
    "log1p": (lambda x: ag.log1p(x), positive, lambda x: x.log1p()),
}
UNARY_SHAPES = [(), (5,), (2, 3)]
UNARY_CASES = [
    Case(name, spec[0], (s,), spec[1], spec[2] if len(spec) > 2 else None)
    for name, spec in UNARY.items()
    for s in UNARY_SHAPES
]
UNARY_FUNCTIONS = [  # the same ops called as autograd.<name>(x)
    Case(f"ag.{name}", getattr(ag, name), ((2, 3),), dom, (lambda n: lambda x: getattr(_torch(), n)(x))(name))
    for name, dom in [
        ("exp", real),
        ("log", positive),
        ("sqrt", positive),
        ("sin", real),
        ("cos", real),
        ("tanh", real),
        ("sigmoid", real),
        ("relu", nonzero),
        ("abs", nonzero),
        ("neg", real),
    ]
]

# ------------------------------------------------------------------ reductions
DIMS = [None, 0, -1, (0, 2), 1]


def _dim_kw(dim: Any) -> dict:
    return {} if dim is None else {"dim": dim}


def _all(dim: Any, ndim: int) -> Any:
    return tuple(range(ndim)) if dim is None else dim


def _method(name: str, **kw: Any) -> Any:
    """``lambda x: x.<name>(**kw)``, built outside the loops so each keeps its own ``kw``."""
    return lambda x: getattr(x, name)(**kw)


def _torch_reduce(name: str, dim: Any, keep: bool, **kw: Any) -> Any:
    """PyTorch's version: explicit dims (torch wants them for logsumexp, amax, ...)."""
    return lambda x: getattr(_torch(), name)(x, dim=_all(dim, 3), keepdim=keep, **kw)


def _torch_prod(dim: Any, keep: bool) -> Any:
    if dim is None:  # torch.prod has no keepdim without dim
        return lambda x: x.prod().reshape((1, 1, 1) if keep else ())
    return lambda x: x.prod(dim=dim, keepdim=keep)


REDUCE_CASES = []
for _dim in DIMS:
    for _keep in (False, True):
        kw = dict(_dim_kw(_dim), keepdim=_keep)
        tag = f"[dim={_dim},keep={_keep}]"
        shape3 = ((2, 3, 4),)
        REDUCE_CASES += [
            Case("sum" + tag, _method("sum", **kw), shape3, tfn=_torch_reduce("sum", _dim, _keep)),
            Case("mean" + tag, _method("mean", **kw), shape3, tfn=_torch_reduce("mean", _dim, _keep)),
            Case("var" + tag, _method("var", **kw), shape3, tfn=_torch_reduce("var", _dim, _keep)),
            Case("std" + tag, _method("std", **kw), shape3, tfn=_torch_reduce("std", _dim, _keep)),
            Case("amax" + tag, _method("amax", **kw), shape3, spread, _torch_reduce("amax", _dim, _keep)),
            Case("amin" + tag, _method("amin", **kw), shape3, spread, _torch_reduce("amin", _dim, _keep)),
            Case("logsumexp" + tag, _method("logsumexp", **kw), shape3, tfn=_torch_reduce("logsumexp", _dim, _keep)),
        ]
        if not isinstance(_dim, tuple):
            REDUCE_CASES.append(Case("prod" + tag, _method("prod", **kw), shape3, nonzero, _torch_prod(_dim, _keep)))
REDUCE_CASES += [
    Case("var_unbiased", lambda x: x.var(1, unbiased=True), ((3, 4),), tfn=lambda x: x.var(1, correction=1)),
    Case("var_biased", lambda x: x.var(1, unbiased=False), ((3, 4),), tfn=lambda x: x.var(1, correction=0)),
    Case("std_correction", lambda x: x.std(1, correction=2), ((3, 4),), tfn=lambda x: x.std(1, correction=2)),
    Case("std_unbiased", lambda x: ag.std(x, 0, True), ((3, 4),), tfn=lambda x: x.std(0, correction=1)),
    Case("sum_axis_alias", lambda x: x.sum(axis=1, keepdims=True), ((3, 4),), tfn=lambda x: x.sum(1, keepdim=True)),
    Case("mean_fn", lambda x: ag.mean(x, dim=(0, 1)), ((3, 4, 2),), tfn=lambda x: x.mean((0, 1))),
    Case("max_fn", lambda x: ag.max(x, 1).values, ((3, 4),), spread, lambda x: _torch().max(x, 1).values),
    Case("min_fn", lambda x: ag.min(x, axis=0)[0], ((3, 4),), spread, lambda x: _torch().min(x, 0)[0]),
    Case("max_all", lambda x: x.max(), ((3, 4),), spread),
    Case("sum_scalar_input", lambda x: x.sum(), ((),)),
    Case("prod_1d", lambda x: x.prod(), ((5,),), nonzero),
]
for _d in (0, 1, -1):
    REDUCE_CASES += [
        Case(f"softmax[{_d}]", (lambda d: lambda x: x.softmax(d))(_d), ((3, 4),)),
        Case(f"log_softmax[{_d}]", (lambda d: lambda x: x.log_softmax(d))(_d), ((3, 4),)),
        Case(
            f"ag.softmax[{_d}]",
            (lambda d: lambda x: ag.softmax(x, dim=d))(_d),
            ((2, 3, 4),),
            tfn=(lambda d: lambda x: x.softmax(d))(_d),
        ),
        Case(
            f"ag.log_softmax[{_d}]",
            (lambda d: lambda x: ag.log_softmax(x, d))(_d),
            ((2, 3, 4),),
            tfn=(lambda d: lambda x: x.log_softmax(d))(_d),
        ),
        Case(
            f"ag.logsumexp[{_d}]",
            (lambda d: lambda x: ag.logsumexp(x, d))(_d),
            ((2, 3, 4),),
            tfn=(lambda d: lambda x: x.logsumexp(d))(_d),
        ),
    ]

# ------------------------------------------------------------------ shapes, indexing, joining
_IDX = np.array([0, 2, 2, 1, 0])


def _tnnf() -> Any:
    return _torch().nn.functional


def _torch_pad(x: Any, pad_width: tuple, value: float = 0.0) -> Any:
    flat = [v for pair in reversed(pad_width) for v in pair]  # torch: last dim first
    return _tnnf().pad(x, flat, value=value)


SHAPE_CASES = [
    Case("reshape", lambda x: x.reshape(4, 6), ((2, 3, 4),)),
    Case("reshape_tuple", lambda x: x.reshape((3, -1)), ((2, 3, 4),)),
    Case("reshape_fn", lambda x: ag.reshape(x, (4, 6)), ((2, 3, 4),), tfn=lambda x: x.reshape(4, 6)),
    Case("view", lambda x: x.view(6, 4), ((2, 3, 4),)),
    Case("view_fn", lambda x: ag.view(x, (24,)), ((2, 3, 4),), tfn=lambda x: x.view(24)),
    Case("flatten", lambda x: x.flatten(), ((2, 3, 4),)),
    Case("flatten_1", lambda x: x.flatten(1), ((2, 3, 4),)),
    Case("flatten_0_1", lambda x: ag.flatten(x, 0, 1), ((2, 3, 4),), tfn=lambda x: x.flatten(0, 1)),
    Case("transpose", lambda x: x.transpose(0, 2), ((2, 3, 4),)),
    Case("transpose_neg", lambda x: ag.transpose(x, -1, -2), ((2, 3, 4),), tfn=lambda x: x.transpose(-1, -2)),
    Case("permute", lambda x: x.permute(2, 0, 1), ((2, 3, 4),)),
    Case("permute_fn", lambda x: ag.permute(x, (1, 2, 0)), ((2, 3, 4),), tfn=lambda x: x.permute(1, 2, 0)),
    Case("T", lambda x: x.T, ((3, 4),)),
    Case("squeeze", lambda x: x.squeeze(), ((2, 1, 3, 1),)),
    Case("squeeze_dim", lambda x: x.squeeze(1), ((2, 1, 3, 1),)),
    Case("squeeze_fn", lambda x: ag.squeeze(x, -1), ((2, 1, 3, 1),), tfn=lambda x: x.squeeze(-1)),
    Case("unsqueeze", lambda x: x.unsqueeze(1), ((2, 3),)),
    Case("unsqueeze_neg", lambda x: ag.unsqueeze(x, -1), ((2, 3),), tfn=lambda x: x.unsqueeze(-1)),
    Case("expand", lambda x: x.expand(4, 2, 3), ((2, 1),)),
    Case("expand_keep", lambda x: x.expand(-1, 5), ((3, 1),)),
    Case("expand_fn", lambda x: ag.expand(x, (2, 3, 4)), ((3, 1),), tfn=lambda x: x.expand(2, 3, 4)),
    Case("getitem_int", lambda x: x[1], ((3, 4),)),
    Case("getitem_slice", lambda x: x[1:, ::2], ((3, 4),)),
    Case("getitem_neg_step", lambda x: x[::-1, 1:3], ((3, 4),), tfn=lambda x: x.flip(0)[:, 1:3]),
    Case("getitem_ellipsis_none", lambda x: x[..., None, 1], ((2, 3, 4),)),
    Case("getitem_repeat", lambda x: x[_IDX], ((3, 4),), tfn=lambda x: x[_torch().as_tensor(_IDX)]),
    Case("getitem_list", lambda x: x[[0, 0, 2]], ((3, 4),)),
    Case(
        "getitem_two_arrays",
        lambda x: x[_IDX, _IDX[::-1]],
        ((3, 4),),
        tfn=lambda x: x[_torch().as_tensor(_IDX), _torch().as_tensor(_IDX[::-1].copy())],
    ),
    Case(
        "getitem_bool",
        lambda x: x[np.array([True, False, True])],
        ((3, 4),),
        tfn=lambda x: x[_torch().as_tensor([True, False, True])],
    ),
    Case(
        "getitem_mixed",
        lambda x: x[1:, _IDX[:2]],
        ((3, 4),),
        tfn=lambda x: x[1:, _torch().as_tensor(_IDX[:2])],
    ),
    Case(
        "getitem_tensor_index",
        lambda x: x[:, ag.tensor([3, 0, 3])],
        ((3, 4),),
        tfn=lambda x: x[:, _torch().tensor([3, 0, 3])],
    ),
    Case("expand_scalar", lambda x: x.expand(2, 3), ((),)),
    Case("reshape_scalar", lambda x: x.reshape(1, 1), ((),)),
    Case("flatten_scalar", lambda x: x.flatten(), ((),)),
    Case("squeeze_to_scalar", lambda x: x.squeeze(), ((1, 1),)),
    Case("cat", lambda a, b: ag.cat([a, b]), ((2, 3), (4, 3)), tfn=lambda a, b: _torch().cat([a, b])),
    Case(
        "cat_dim1",
        lambda a, b, c: ag.cat((a, b, c), dim=1),
        ((2, 1), (2, 3), (2, 2)),
        tfn=lambda a, b, c: _torch().cat((a, b, c), dim=1),
    ),
    Case("cat_neg", lambda a, b: ag.cat([a, b], -1), ((2, 3, 1), (2, 3, 2)), tfn=lambda a, b: _torch().cat([a, b], -1)),
    Case("stack", lambda a, b: ag.stack([a, b]), ((2, 3), (2, 3)), tfn=lambda a, b: _torch().stack([a, b])),
    Case(
        "stack_dim",
        lambda a, b, c: ag.stack((a, b, c), dim=2),
        ((2, 3),) * 3,
        tfn=lambda a, b, c: _torch().stack((a, b, c), dim=2),
    ),
    Case("stack_neg", lambda a, b: ag.stack([a, b], -1), ((4,), (4,)), tfn=lambda a, b: _torch().stack([a, b], -1)),
    Case("split_size", lambda x: ag.split(x, 2), ((5, 3),), tfn=lambda x: _torch().split(x, 2)),
    Case("split_sections", lambda x: ag.split(x, [1, 3], dim=1), ((2, 4),), tfn=lambda x: _torch().split(x, [1, 3], 1)),
    Case("pad", lambda x: ag.pad(x, ((1, 2), (0, 1))), ((2, 3),), tfn=lambda x: _torch_pad(x, ((1, 2), (0, 1)))),
    Case("pad_int", lambda x: ag.pad(x, 1, value=0.5), ((2, 3),), tfn=lambda x: _torch_pad(x, ((1, 1), (1, 1)), 0.5)),
    Case("pad_pair", lambda x: ag.pad(x, (2, 0)), ((3,),), tfn=lambda x: _torch_pad(x, ((2, 0),))),
]

# ------------------------------------------------------------------ linear algebra
MATMUL_PAIRS = [
    ((2, 3), (3, 4)),
    ((3,), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3,)),
    ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)),
    ((3,), (5, 3, 4)),
    ((5, 2, 3), (3,)),
    ((2, 1, 2, 3), (5, 3, 4)),
]
MATMUL_CASES = [Case("matmul_op", lambda a, b: a @ b, p) for p in MATMUL_PAIRS]
MATMUL_CASES += [
    Case("matmul_fn", ag.matmul, ((2, 3), (3, 2)), tfn=lambda a, b: _torch().matmul(a, b)),
    Case("matmul_method", lambda a, b: a.matmul(b), ((4, 3), (3,))),
]


def _einsum(module: Any, spec: str) -> Any:
    return lambda *xs: (module or _torch()).einsum(spec, *xs)


EINSUM_CASES = [
    Case(f"einsum[{spec}]", _einsum(ag, spec), shapes, tfn=_einsum(None, spec))
    for spec, shapes in [
        ("ij,jk->ik", ((2, 3), (3, 4))),
        ("ij,jk", ((2, 3), (3, 4))),
        ("bij,bjk->bik", ((2, 2, 3), (2, 3, 4))),
        ("i,j->ij", ((3,), (4,))),
        ("ij->j", ((3, 4),)),
        ("ij->", ((3, 4),)),
        ("ij,ij->i", ((3, 4), (3, 4))),
        ("ij,jk,kl->il", ((2, 3), (3, 4), (4, 2))),
        ("...ij,...jk->...ik", ((2, 2, 3), (2, 3, 4))),
        ("ijk->kj", ((2, 3, 4),)),
        ("ij,j->i", ((3, 4), (4,))),
    ]
]

# Engine primitives the nn layers are built from (not in API.md's list, but public in autograd).
EXTRA_CASES = [
    Case("linear", ag.linear, ((4, 3), (2, 3), (2,)), tfn=lambda x, w, b: _tnnf().linear(x, w, b)),
    Case("linear_nobias_3d", ag.linear, ((2, 4, 3), (5, 3)), tfn=lambda x, w: _tnnf().linear(x, w)),
    Case(
        "sliding_window_1d",
        lambda x: ag.sliding_window(x, 3, 2),
        ((2, 7),),
        tfn=lambda x: x.unfold(-1, 3, 2),
    ),
    Case(
        "sliding_window_2d",
        lambda x: ag.sliding_window(x, (2, 3), (1, 2)),
        ((2, 4, 6),),
        tfn=lambda x: x.unfold(-2, 2, 1).unfold(-2, 3, 2),
    ),
    Case("linear_3d", ag.linear, ((2, 4, 3), (5, 3), (5,)), tfn=lambda x, w, b: _tnnf().linear(x, w, b)),
    Case(
        "window_totals_1d",
        lambda x: ag.window_totals(x, 3, 2),
        ((2, 7),),
        tfn=lambda x: x.unfold(-1, 3, 2).sum(-1),
    ),
    Case(
        "window_totals_2d",
        lambda x: ag.window_totals(x, (2, 3), (1, 2)),
        ((2, 4, 6),),
        tfn=lambda x: x.unfold(-2, 2, 1).unfold(-2, 3, 2).sum((-1, -2)),
    ),
    Case(
        "window_totals_tiled",
        lambda x: ag.window_totals(x, (2, 3), (2, 3)),
        ((2, 4, 6),),
        tfn=lambda x: x.unfold(-2, 2, 2).unfold(-2, 3, 3).sum((-1, -2)),
    ),
    # PyTorch's lerp and addcmul (one op each where a GRU or LSTM step would record several)
    Case("lerp", ag.lerp, ((3, 4), (3, 4), (3, 4)), tfn=lambda a, b, w: _torch().lerp(a, b, w)),
    Case("lerp_broadcast_weight", ag.lerp, ((3, 4), (3, 4), (4,)), tfn=lambda a, b, w: _torch().lerp(a, b, w)),
    Case(
        "lerp_number_weight",
        lambda a, b: ag.lerp(a, b, 0.3),
        ((3, 4), (3, 4)),
        tfn=lambda a, b: _torch().lerp(a, b, 0.3),
    ),
    Case("addmm", ag.addmm, ((3, 2), (3, 4), (4, 2)), tfn=lambda c, a, b: _torch().addmm(c, a, b)),
    Case("addmm_bias_column", ag.addmm, ((3, 1), (3, 4), (4, 2)), tfn=lambda c, a, b: _torch().addmm(c, a, b)),
    Case("addmm_bias_row", ag.addmm, ((2,), (3, 4), (4, 2)), tfn=lambda c, a, b: _torch().addmm(c, a, b)),
    Case("addcmul", ag.addcmul, ((3, 4), (3, 4), (3, 4)), tfn=lambda x, y, z: _torch().addcmul(x, y, z)),
    Case(
        "addcmul_broadcast_value",
        lambda x, y, z: ag.addcmul(x, y, z, value=-0.5),
        ((4,), (3, 4), (3, 1)),
        tfn=lambda x, y, z: _torch().addcmul(x, y, z, value=-0.5),
    ),
]

ALL_CASES = (
    BINARY_CASES + SCALAR_CASES + UNARY_CASES + UNARY_FUNCTIONS + REDUCE_CASES + SHAPE_CASES + MATMUL_CASES
    + EINSUM_CASES + EXTRA_CASES
)  # fmt: skip


def ids(cases: list) -> list[str]:
    return [c.id for c in cases]
