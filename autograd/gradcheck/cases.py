"""The self-test behind ``python -m autograd.gradcheck``: every primitive in ``autograd.ops``
checked on random float64 inputs, first and second derivatives.

``CASES`` maps each op's name in ``autograd.ops`` to a function ``rng -> [(label, fn, inputs)]``.
Inputs are drawn where the op is differentiable (positive for log/sqrt, away from the kinks
of relu/abs/clamp, distinct values for max/min). An op in ``autograd.ops`` without an entry
here is reported as a failure, so a new primitive cannot go unchecked.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import functional, ops
from ..graph import Op
from ..recording import apply
from ..tensor import Tensor

Case = tuple[str, Callable[..., Any], tuple]


def _t(a: Any) -> Tensor:
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def _prim(op: Op, **params: Any) -> Callable[..., Tensor]:
    """Call the primitive itself (not the functional wrapper), so exactly its rules are checked."""
    return lambda *args: apply(op, args, params or None)


def _away(rng: np.random.Generator, shape: tuple, points: tuple = (0.0,), gap: float = 0.1) -> np.ndarray:
    """Normal samples moved at least ``gap`` away from each of ``points`` (the kinks)."""
    x = rng.standard_normal(shape)
    for p in points:
        d = x - p
        x = np.where(np.abs(d) < gap, p + np.where(d < 0, -gap, gap) * (1 + rng.random(shape)), x)
    return x


def _distinct(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    """Values at least 0.1 apart (no ties for max/min)."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.2 - 0.1 * n + 0.05 * rng.random(n)).reshape(shape)


def _pos(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    return 0.5 + 1.5 * rng.random(shape)


def _unary(op: Op, gen: Callable | None = None) -> Callable[[np.random.Generator], list[Case]]:
    gen = gen or (lambda rng, s: rng.standard_normal(s))
    return lambda rng: [("(3, 4)", _prim(op), (_t(gen(rng, (3, 4))),)), ("0-d", _prim(op), (_t(gen(rng, ())),))]


def _binary(op: Op, gen_y: Callable | None = None) -> Callable[[np.random.Generator], list[Case]]:
    gen_y = gen_y or (lambda rng, s: rng.standard_normal(s))
    return lambda rng: [
        ("(3, 4) . (3, 4)", _prim(op), (_t(rng.standard_normal((3, 4))), _t(gen_y(rng, (3, 4))))),
        ("broadcast (3, 1) . (4,)", _prim(op), (_t(rng.standard_normal((3, 1))), _t(gen_y(rng, (4,))))),
    ]


def _reduction(op: Op, gen: Callable) -> Callable[[np.random.Generator], list[Case]]:
    return lambda rng: [
        (f"axis={axis}, keepdims={keep}", _prim(op, axis=axis, keepdims=keep), (_t(gen(rng, (3, 4, 2))),))
        for axis, keep in ((None, False), ((1,), False), ((0, 2), True))
    ]


def _extremes(rng: np.random.Generator, shape: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Two arrays that differ by at least 0.1 everywhere (no ties)."""
    x = rng.standard_normal(shape)
    return x, x + _away(rng, shape, gap=0.2)


def _window_case(rng: np.random.Generator) -> list[Case]:
    window, stride = (2, 3), (1, 2)
    x = rng.standard_normal((2, 5, 7))
    out_shape = ops._sliding_window(x, window, stride).shape
    return [
        (
            "window (2, 3), stride (1, 2)",
            _prim(ops.fold_windows, shape=x.shape, window=window, stride=stride),
            (_t(rng.standard_normal(out_shape)),),
        )
    ]


CASES: dict[str, Callable[[np.random.Generator], list[Case]]] = {
    "add": _binary(ops.add),
    "sub": _binary(ops.sub),
    "mul": _binary(ops.mul),
    "div": _binary(ops.div, lambda rng, s: _away(rng, s, gap=0.5)),
    "power": lambda rng: [
        ("x ** y", _prim(ops.power), (_t(_pos(rng, (3, 4))), _t(rng.standard_normal((3, 4))))),
        ("broadcast", _prim(ops.power), (_t(_pos(rng, (3, 1))), _t(rng.standard_normal((4,))))),
    ],
    "powc": lambda rng: [(f"x ** {p}", _prim(ops.powc, p=p), (_t(_pos(rng, (3, 4))),)) for p in (2, 3, -1.5, 0.5)],
    "maximum": lambda rng: [("no ties", _prim(ops.maximum), tuple(map(_t, _extremes(rng, (3, 4)))))],
    "minimum": lambda rng: [("no ties", _prim(ops.minimum), tuple(map(_t, _extremes(rng, (3, 4)))))],
    "lerp": lambda rng: [
        ("(3, 4) each", _prim(ops.lerp), tuple(_t(rng.standard_normal((3, 4))) for _ in range(3))),
        (
            "broadcast weight",
            _prim(ops.lerp),
            (_t(rng.standard_normal((3, 4))), _t(rng.standard_normal((3, 4))), _t(rng.standard_normal((4,)))),
        ),
    ],
    "addmm": lambda rng: [
        (
            f"c {c}",
            _prim(ops.addmm),
            (_t(rng.standard_normal(c)), _t(rng.standard_normal((3, 4))), _t(rng.standard_normal((4, 2)))),
        )
        for c in ((3, 2), (3, 1), (2,))
    ],
    "addcmul": lambda rng: [
        ("(3, 4) each", _prim(ops.addcmul, value=1), tuple(_t(rng.standard_normal((3, 4))) for _ in range(3))),
        (
            "broadcast, value -0.5",
            _prim(ops.addcmul, value=-0.5),
            (_t(rng.standard_normal((4,))), _t(rng.standard_normal((3, 4))), _t(rng.standard_normal((3, 1)))),
        ),
    ],
    "where": lambda rng: [
        (
            "cond (3, 4)",
            _prim(ops.where, cond=rng.random((3, 4)) > 0.5),
            (_t(rng.standard_normal((3, 4))), _t(rng.standard_normal((3, 4)))),
        ),
        (
            "broadcast branch",
            _prim(ops.where, cond=rng.random((3, 4)) > 0.5),
            (_t(rng.standard_normal((3, 4))), _t(rng.standard_normal((4,)))),
        ),
    ],
    "neg": _unary(ops.neg),
    "exp": _unary(ops.exp),
    "log": _unary(ops.log, _pos),
    "log1p": _unary(ops.log1p, lambda rng, s: rng.random(s) * 2 - 0.5),
    "sqrt": _unary(ops.sqrt, _pos),
    "sin": _unary(ops.sin),
    "cos": _unary(ops.cos),
    "tanh": _unary(ops.tanh),
    "sigmoid": _unary(ops.sigmoid),
    "softplus": _unary(ops.softplus),
    "relu": _unary(ops.relu, _away),
    "absolute": _unary(ops.absolute, _away),
    "leaky_relu": lambda rng: [
        (f"slope {s}", _prim(ops.leaky_relu, slope=s), (_t(_away(rng, (3, 4))),)) for s in (0.01, 0.2, 1.5)
    ],
    "clamp": lambda rng: [
        (f"[{lo}, {hi}]", _prim(ops.clamp, lo=lo, hi=hi), (_t(_away(rng, (4, 5), (-0.5, 0.5), 0.05)),))
        for lo, hi in ((-0.5, 0.5), (None, 0.5), (-0.5, None))
    ],
    "copy": _unary(ops.copy),
    "cast": lambda rng: [("to float64", _prim(ops.cast, dtype=np.dtype(np.float64)), (_t(rng.standard_normal(5)),))],
    "reduce_sum": _reduction(ops.reduce_sum, lambda rng, s: rng.standard_normal(s)),
    "reduce_max": _reduction(ops.reduce_max, _distinct),
    "reduce_min": _reduction(ops.reduce_min, _distinct),
    "reduce_prod": _reduction(ops.reduce_prod, lambda rng, s: _away(rng, s, gap=0.5)),
    "logsumexp": _reduction(ops.logsumexp, lambda rng, s: rng.standard_normal(s)),
    "softmax": lambda rng: [
        (f"axis {a}", _prim(ops.softmax, axis=a), (_t(rng.standard_normal((3, 4))),)) for a in (0, 1)
    ],
    "log_softmax": lambda rng: [
        (f"axis {a}", _prim(ops.log_softmax, axis=a), (_t(rng.standard_normal((3, 4))),)) for a in (0, 1)
    ],
    "reshape": lambda rng: [("(3, 4) -> (2, 6)", _prim(ops.reshape, shape=(2, 6)), (_t(rng.standard_normal((3, 4))),))],
    "permute": lambda rng: [
        ("axes (2, 0, 1)", _prim(ops.permute, axes=(2, 0, 1)), (_t(rng.standard_normal((2, 3, 4))),))
    ],
    "expand": lambda rng: [
        ("(3, 1) -> (2, 3, 4)", _prim(ops.expand, shape=(2, 3, 4)), (_t(rng.standard_normal((3, 1))),))
    ],
    "getitem": lambda rng: [
        (
            "slices",
            _prim(ops.getitem, index=(slice(1, None), slice(None, None, 2))),
            (_t(rng.standard_normal((3, 5))),),
        ),
        ("repeated indices", _prim(ops.getitem, index=np.array([0, 2, 0, 0])), (_t(rng.standard_normal((3, 2))),)),
        ("bool mask", _prim(ops.getitem, index=rng.random((3, 4)) > 0.4), (_t(rng.standard_normal((3, 4))),)),
    ],
    "scatter_add": lambda rng: [
        (
            "repeated indices",
            _prim(ops.scatter_add, index=np.array([0, 2, 0]), shape=(4, 2)),
            (_t(rng.standard_normal((3, 2))),),
        ),
        ("slices", _prim(ops.scatter_add, index=(slice(1, 3),), shape=(4, 2)), (_t(rng.standard_normal((2, 2))),)),
    ],
    "cross_entropy": lambda rng: [
        (
            f"reduction {r}",
            _prim(ops.cross_entropy, target=np.array([2, 0, 3]), reduction=r),
            (_t(rng.standard_normal((3, 4))),),
        )
        for r in ("mean", "sum", "none")
    ],
    "gather": lambda rng: [
        ("one per row", _prim(ops.gather, index=np.array([[2], [0], [2]]), axis=1), (_t(rng.standard_normal((3, 4))),)),
        (
            "repeats, axis 0",
            _prim(ops.gather, index=np.array([[0, 1, 0], [0, 0, 1]]), axis=0),
            (_t(rng.standard_normal((2, 3))),),
        ),
    ],
    "scatter_along": lambda rng: [
        (
            "repeats",
            _prim(ops.scatter_along, index=np.array([[1, 1], [0, 2]]), axis=1, shape=(2, 3)),
            (_t(rng.standard_normal((2, 2))),),
        ),
    ],
    "index_put": lambda rng: [
        (
            "x[1:3] = v",
            _prim(ops.index_put, index=(slice(1, 3),)),
            (_t(rng.standard_normal((4, 3))), _t(rng.standard_normal((2, 3)))),
        ),
        (
            "broadcast value",
            _prim(ops.index_put, index=(np.array([0, 3]),)),
            (_t(rng.standard_normal((4, 3))), _t(rng.standard_normal((3,)))),
        ),
    ],
    "cat": lambda rng: [
        (
            "3 tensors, axis 1",
            _prim(ops.cat, axis=1, offsets=(0, 1, 4, 6)),
            tuple(_t(rng.standard_normal((2, n))) for n in (1, 3, 2)),
        ),
    ],
    "stack": lambda rng: [
        (f"axis {a}", _prim(ops.stack, axis=a), tuple(_t(rng.standard_normal((2, 3))) for _ in range(3)))
        for a in (0, 2)
    ],
    "split": lambda rng: [
        (
            "sizes (1, 2), axis 0",
            lambda x: functional._apply_multi(ops.split, x, {"axis": 0, "sizes": (1, 2), "squeeze": False}),
            (_t(rng.standard_normal((3, 4))),),
        ),
        (
            "unbind axis 1",
            lambda x: functional._apply_multi(ops.split, x, {"axis": 1, "sizes": (1, 1, 1), "squeeze": True}),
            (_t(rng.standard_normal((2, 3))),),
        ),
    ],
    "pad": lambda rng: [
        (
            "((1, 0), (2, 1)), value 0.5",
            _prim(ops.pad, pad_width=((1, 0), (2, 1)), value=0.5),
            (_t(rng.standard_normal((3, 4))),),
        )
    ],
    "sliding_window": lambda rng: [
        (
            "window (2, 3), stride (1, 2)",
            _prim(ops.sliding_window, window=(2, 3), stride=(1, 2)),
            (_t(rng.standard_normal((2, 5, 7))),),
        )
    ],
    "fold_windows": _window_case,
    "window_totals": lambda rng: [
        (
            f"window {w}, stride {s}",
            _prim(ops.window_totals, window=w, stride=s),
            (_t(rng.standard_normal((2, 5, 7))),),
        )
        for w, s in (((2, 3), (1, 2)), ((2, 2), (2, 2)), ((5, 7), (5, 7)))  # the last tiles (2, 5, 7) exactly
    ],
    "matmul": lambda rng: [
        (f"{a} @ {b}", _prim(ops.matmul), (_t(rng.standard_normal(a)), _t(rng.standard_normal(b))))
        for a, b in (
            ((3, 4), (4, 2)),
            ((4,), (4, 2)),
            ((3, 4), (4,)),
            ((4,), (4,)),
            ((2, 3, 4), (4, 2)),
            ((3,), (2, 3, 2)),
            ((2, 1, 3, 4), (3, 4, 2)),
        )
    ],
    "linear": lambda rng: [
        (
            "x (3, 4), bias",
            _prim(ops.linear),
            (_t(rng.standard_normal((3, 4))), _t(rng.standard_normal((5, 4))), _t(rng.standard_normal(5))),
        ),
        (
            "x (2, 3, 4), no bias",
            _prim(ops.linear),
            (_t(rng.standard_normal((2, 3, 4))), _t(rng.standard_normal((5, 4)))),
        ),
    ],
    "einsum": lambda rng: [
        (s, _prim(ops.einsum, subscripts=s), tuple(_t(rng.standard_normal(sh)) for sh in shapes))
        for s, shapes in (
            ("ij,jk->ik", ((2, 3), (3, 4))),
            ("bij,bjk->bik", ((2, 2, 3), (2, 3, 2))),
            ("i,i->", ((4,), (4,))),
            ("ij->j", ((3, 4),)),
            ("...i,i->...", ((2, 3, 4), (4,))),
            ("ii->", ((3, 3),)),
            ("iji,j->i", ((3, 2, 3), (2,))),
        )
    ],
    "erf": _unary(ops.erf, lambda rng, s: 1.5 * rng.standard_normal(s)),
    "expm1": _unary(ops.expm1),
    "gelu_tanh": _unary(ops.gelu_tanh, lambda rng, s: 2 * rng.standard_normal(s)),
    "gru_gates": lambda rng: [
        (
            f"hidden 3, leading {lead}",
            _prim(ops.gru_gates),
            tuple(_t(2 * rng.standard_normal(lead + (n,))) for n in (9, 3, 3)),  # a, gi_n, h
        )
        for lead in ((2,), ())
    ],
    "layer_norm": lambda rng: [
        (
            f"x {xs}, axes {axes}",
            _prim(ops.layer_norm, axes=axes, eps=1e-5),
            (_t(rng.standard_normal(xs)), _t(rng.standard_normal(ws)), _t(rng.standard_normal(ws))),
        )
        for xs, ws, axes in (((3, 4), (4,), (1,)), ((2, 3, 4), (3, 4), (1, 2)))
    ],
    "attention": lambda rng: (
        [
            (
                label,
                _prim(ops.attention, scale=0.5),
                (
                    _t(rng.standard_normal((2, 3, 4))),
                    _t(rng.standard_normal((2, 5, 4))),
                    _t(rng.standard_normal((2, 5, 3))),
                    bias(rng) if bias else None,
                    (rng.random((3, 5)) > 0.3) / 0.7 if keep else None,
                ),
            )
            for label, bias, keep in (
                ("q (2, 3, 4), k (2, 5, 4), v (2, 5, 3)", None, False),
                ("a learned bias (3, 5), dropout", lambda rng: _t(rng.standard_normal((3, 5))), True),
            )
        ]
        + [
            (
                "causal, q (2, 5, 3), k and v (2, 4, 3)",
                _prim(ops.attention, scale=0.5, causal=True),
                (*(_t(rng.standard_normal(s)) for s in ((2, 5, 3), (2, 4, 3), (2, 4, 3))), None, None),
            )
        ]
    ),
    "vector_norm": lambda rng: [
        (f"ord {o}, axis {a}", _prim(ops.vector_norm, ord=o, axis=a, keepdims=k), (_t(_away(rng, (3, 4))),))
        for o, a, k in ((2.0, None, False), (2.0, (1,), True), (3.0, (0,), False), (1.5, (0, 1), False))
    ],
    "cumsum": lambda rng: [
        (f"axis {a}", _prim(ops.cumsum, axis=a), (_t(rng.standard_normal((3, 4))),)) for a in (0, 1)
    ],
    "cumprod": lambda rng: [
        (f"axis {a}", _prim(ops.cumprod, axis=a), (_t(_away(rng, (3, 4), gap=0.3)),)) for a in (0, 1)
    ],
    "asin": _unary(ops.asin, lambda rng, s: rng.uniform(-0.9, 0.9, s)),
    "acos": _unary(ops.acos, lambda rng, s: rng.uniform(-0.9, 0.9, s)),
    "atan": _unary(ops.atan),
    "asinh": _unary(ops.asinh),
    "acosh": _unary(ops.acosh, lambda rng, s: rng.uniform(1.2, 3.0, s)),
    "atanh": _unary(ops.atanh, lambda rng, s: rng.uniform(-0.9, 0.9, s)),
    "atan2": _binary(ops.atan2, lambda rng, s: _away(rng, s, gap=0.3)),
    "svdvals": lambda rng: [(f"{s}", _prim(ops.svdvals), (_t(rng.standard_normal(s)),)) for s in ((3, 4), (2, 4, 3))],
    "logcumsumexp": lambda rng: (
        [(f"axis {a}", _prim(ops.logcumsumexp, axis=a), (_t(rng.standard_normal((3, 4))),)) for a in (0, 1)]
        + [("wide range", _prim(ops.logcumsumexp, axis=0), (_t(np.array([-800.0, 0.5, 700.0, 3.0, -2.0])),))]
    ),
}


# Primitives whose rule refuses create_graph (it raises NotImplementedError, naming the op):
# checked to first order only.
FIRST_ORDER_ONLY = frozenset({"svdvals"})


def primitives() -> dict[str, Op]:
    """Every primitive defined in ``autograd.ops``, by its name there."""
    return {name: v for name, v in vars(ops).items() if isinstance(v, Op)}


def check_op(name: str, seed: int = 0, second: bool = True) -> tuple[bool, float, float | None, int, str]:
    """Run one op's cases: (passed, worst 1st-order rel err, worst 2nd-order rel err, cases, first failure)."""
    from .check import gradcheck, gradgradcheck

    builder = CASES.get(name)
    if builder is None:
        return False, float("nan"), None, 0, f"no self-test case for ops.{name}: add one to autograd/gradcheck/cases.py"
    rng = np.random.default_rng(seed)
    second = second and name not in FIRST_ORDER_ONLY
    ok, e1, e2, problem = True, 0.0, 0.0 if second else None, ""
    cases = builder(rng)
    for label, fn, inputs in cases:
        try:
            r = gradcheck(fn, inputs, raise_exception=False, localize=False)
            e1 = max(e1, r.max_rel_err)
            r2 = gradgradcheck(fn, inputs, raise_exception=False, localize=False, seed=seed) if second else None
            if r2 is not None:
                e2 = max(e2, r2.max_rel_err)
        except Exception as e:  # a crash is a failure of this op, not of the self-test
            ok, problem = False, problem or f"{label}: {type(e).__name__}: {e}"
            continue
        for res in (r, r2):
            if res is not None and not res:
                ok, problem = False, problem or f"{label}: {res.message()}"
    return ok, e1, e2, len(cases), problem


def run_selftest(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="graphgrad gradcheck",
        description="Check the derivative rules of every built-in primitive against finite differences (float64).",
    )
    parser.add_argument("ops", nargs="*", help="only these ops (names in autograd.ops, e.g. matmul reduce_sum)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for the inputs (default 0)")
    parser.add_argument("--first-order", action="store_true", help="skip the second-derivative checks")
    args = parser.parse_args(argv)
    prims = primitives()
    names = args.ops or sorted(prims)
    unknown = [n for n in names if n not in prims]
    if unknown:
        parser.error(f"unknown op(s): {', '.join(unknown)} (choose from {', '.join(sorted(prims))})")
    start = time.perf_counter()
    failed = []
    width = max(len(n) for n in names)
    second = not args.first_order
    plural = "s" if len(names) != 1 else ""
    print(f"graphgrad gradcheck: {len(names)} primitive{plural}, float64, seed {args.seed}")
    for name in names:
        ok, e1, e2, n, problem = check_op(name, args.seed, second)
        errs = f"1st-order max rel err {e1:.1e}" + (f"  2nd-order {e2:.1e}" if e2 is not None else "")
        print(f"  {name:<{width}}  {'pass' if ok else 'FAIL'}  {errs}  ({n} case{'s' if n != 1 else ''})")
        if not ok:
            failed.append(name)
            print("      " + problem.replace("\n", "\n      "))
    took = time.perf_counter() - start
    if failed:
        print(f"{len(failed)} of {len(names)} primitive{plural} FAILED: {', '.join(failed)} ({took:.1f} s)")
        return 1
    print(f"all {len(names)} primitive{plural} pass ({took:.1f} s)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_selftest())
