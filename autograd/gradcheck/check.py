"""Gradient checking that explains itself: the engine's derivatives against finite differences.

``gradcheck(fn, inputs)`` builds the Jacobian of ``fn`` twice: from the engine (one
vector-Jacobian product, i.e. one backward pass, per output element) and from central
finite differences, both in float64 whatever the inputs' dtype. When they disagree it
says which output, which input, which element, analytic against numeric, and which
tolerance broke; then it re-checks every primitive of the recorded graph on its own to
name the op (and the line of your code) whose derivative is wrong.

Large problems are checked through random projections ``v·J·u`` instead of the whole
Jacobian; points where the function has a kink (relu at 0, tied maxima) are reported
as "not differentiable here" rather than as failures. ``gradgradcheck`` does the same
for second derivatives. ``python -m autograd.gradcheck`` checks every built-in primitive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import graph
from ..engine import grad as _grad
from ..function import FunctionOp, Select
from ..grad_mode import enable_grad, no_grad
from ..graph import Node
from ..recording import apply
from ..tensor import Tensor
from .jacobian import full as full_jacobian
from .jacobian import projected as projected_jacobian
from .report import (
    GradcheckError,
    GradcheckResult,
    Localization,
    OpCheck,
    describe_args,
    describe_params,
)

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "GradcheckResult", "main"]

_F64 = np.dtype(np.float64)


@dataclass
class _Options:
    eps: float
    atol: float
    rtol: float
    mode: str
    n_projections: int
    seed: int
    localize: bool | None
    max_full_size: int

    def __post_init__(self) -> None:
        if self.mode not in ("auto", "full", "projection"):
            raise ValueError(f"gradcheck: mode must be 'auto', 'full' or 'projection', got {self.mode!r}")
        if not self.eps > 0:
            raise ValueError(f"gradcheck: eps must be positive, got {self.eps}")
        if self.atol < 0 or self.rtol < 0:
            raise ValueError(f"gradcheck: atol and rtol must be non-negative, got {self.atol} and {self.rtol}")
        if self.n_projections < 1:
            raise ValueError(f"gradcheck: n_projections must be at least 1, got {self.n_projections}")

    def recheck_kwargs(self) -> dict:
        return dict(
            eps=self.eps, atol=self.atol, rtol=self.rtol, raise_exception=False, localize=False,
            n_projections=self.n_projections, seed=self.seed, max_full_size=self.max_full_size,
        )  # fmt: skip


def gradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    mode: str = "auto",
    n_projections: int = 8,
    seed: int = 0,
    localize: bool | None = None,
    max_full_size: int = 4096,
) -> GradcheckResult:
    """Check the engine's first derivatives of ``fn`` against central finite differences.

    ``inputs`` is a Tensor or a tuple; Tensors with ``requires_grad=True`` are checked,
    everything else is held fixed. ``fn`` returns a Tensor or a tuple of Tensors. The check
    runs in float64 (float32 inputs are upcast, and a note says so). Element ``(k, j)`` of
    the Jacobian passes when ``|analytic - numeric| <= atol + rtol * |numeric|``.

    ``mode``: ``"full"`` compares whole Jacobians (one backward pass per output element,
    two evaluations of ``fn`` per input element); ``"projection"`` compares ``v·J·u`` for
    ``n_projections`` random unit vectors ``u, v`` (two evaluations and one backward pass
    each, whatever the sizes); ``"auto"`` picks projection when inputs and outputs together
    have more than ``max_full_size`` elements.

    Where the one-sided differences disagree (relu at 0, tied maxima) the point is reported
    as a kink, not a failure. ``localize=True`` (and, by default, any failure) re-checks
    every recorded primitive with the inputs it saw and names the first one that is wrong.

    Returns a :class:`GradcheckResult` (truthy when every check holds; prints as a table).
    On failure raises :class:`GradcheckError` unless ``raise_exception=False``.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True, name="x")
    >>> bool(gradcheck(lambda t: (t * t.sin()).sum(), x))
    True
    """
    opts = _Options(eps, atol, rtol, mode, int(n_projections), seed, localize, max_full_size)
    problem = _Problem(fn, inputs)
    return _run(problem, opts, order=1, loc_problem=problem, raise_exception=raise_exception)


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    mode: str = "auto",
    n_projections: int = 8,
    seed: int = 0,
    localize: bool | None = None,
    max_full_size: int = 4096,
) -> GradcheckResult:
    """Check second derivatives: ``gradcheck`` of the map ``(inputs, grad_outputs) -> grad``.

    The first derivatives are computed with ``grad(fn(*inputs), inputs, grad_outputs,
    create_graph=True)``; their derivatives (from backward through the recorded backward
    pass) are compared with finite differences of the first derivatives. ``grad_outputs``
    defaults to random float64 tensors that are themselves checked; given ones are checked
    if they require grad. The other arguments are those of :func:`gradcheck`.

    >>> import numpy as np
    >>> from autograd import Tensor
    >>> x = Tensor(np.array([0.3, 1.2]), requires_grad=True)
    >>> bool(gradgradcheck(lambda t: t.exp() * t, x))
    True
    """
    opts = _Options(eps, atol, rtol, mode, int(n_projections), seed, localize, max_full_size)
    base = _Problem(fn, inputs)
    with enable_grad():
        outs, _ = base.call({}, record=True)
    used = [m for m, o in enumerate(outs) if o.requires_grad and o.dtype.kind == "f" and o.size]
    if not used:
        raise ValueError("gradgradcheck: no output of fn depends on an input that requires grad")
    if grad_outputs is None:
        rng = np.random.default_rng(None if seed is None else seed + 7919)
        gos = [Tensor(rng.standard_normal(outs[m].shape), requires_grad=True) for m in used]
    else:
        given = tuple(grad_outputs) if isinstance(grad_outputs, (tuple, list)) else (grad_outputs,)
        if len(given) != len(outs):
            raise ValueError(f"gradgradcheck: got {len(given)} grad_outputs for the {len(outs)} outputs of fn")
        gos = []
        for m in used:
            g = given[m] if isinstance(given[m], Tensor) else Tensor(np.asarray(given[m], dtype=_F64))
            if g.shape != outs[m].shape:
                raise ValueError(
                    f"gradgradcheck: grad_outputs[{m}] has shape {g.shape}, output {m} has {outs[m].shape}"
                )
            gos.append(g)
    n_args, diff = len(base.is_tensor), list(base.diff)

    def first_derivatives(*args: Any) -> tuple:
        create = graph.grad_enabled()  # off while finite differences evaluate this function
        xs, g_out = list(args[:n_args]), args[n_args:]
        with enable_grad():
            for k in diff:
                if not xs[k].requires_grad:
                    xs[k] = xs[k].detach().requires_grad_()
            res = _as_outputs(fn(*xs), "fn")
            pairs = [(res[m], g) for m, g in zip(used, g_out) if res[m].requires_grad]
            grads = (None,) * len(diff)
            if pairs:
                grads = _grad(
                    [p[0] for p in pairs], [xs[k] for k in diff], [p[1] for p in pairs],
                    retain_graph=create, create_graph=create, allow_unused=True,
                )  # fmt: skip
        return tuple(Tensor(np.zeros(xs[k].shape)) if g is None else g for k, g in zip(diff, grads))

    in_labels = base.in_labels + [f"grad_output {m}" for m in used]
    out_labels = [f"[grad wrt {base.in_labels[k]}]" for k in diff]
    problem = _Problem(first_derivatives, (*base.originals, *gos), in_labels=in_labels, out_labels=out_labels)
    return _run(problem, opts, order=2, loc_problem=base, raise_exception=raise_exception)


# ============================================================================ the function under test
def _label(kind: str, k: int, name: str | None) -> str:
    return f"{kind} {k}" + (f" ({name!r})" if name else "")


def _as_outputs(result: Any, what: str) -> tuple[Tensor, ...]:
    outs = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    for m, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise TypeError(
                f"gradcheck: {what} must return a Tensor or a tuple of Tensors; output {m} is a {type(o).__name__}"
            )
    return outs


class _Problem:
    """``fn`` with its inputs frozen in float64, evaluated with some of them replaced."""

    def __init__(self, fn: Callable, inputs: Any, in_labels: list | None = None, out_labels: list | None = None):
        if not callable(fn):
            raise TypeError(f"gradcheck: fn must be callable, got {type(fn).__name__}")
        self.fn = fn
        self.originals = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
        self.values: list[Any] = []  # float64 arrays for floating tensors, arrays/objects otherwise
        self.is_tensor: list[bool] = []
        self.names: list[str | None] = []
        self.diff: list[int] = []
        self.notes: list[str] = []
        upcast = []
        for k, a in enumerate(self.originals):
            tensor = isinstance(a, Tensor)
            self.is_tensor.append(tensor)
            self.names.append(a.name if tensor else None)
            if not tensor:
                self.values.append(a)
                continue
            arr = np.asarray(a.data)
            if arr.dtype.kind == "f":
                if arr.dtype != _F64:
                    upcast.append(f"{_label('input', k, a.name)} ({arr.dtype})")
                arr = arr.astype(_F64)
            self.values.append(np.array(arr, copy=True))
            if a.requires_grad:
                self.diff.append(k)
        self.in_labels = in_labels or [_label("input", k, n) for k, n in enumerate(self.names)]
        self.out_labels = out_labels
        if not self.diff:
            raise ValueError(
                "gradcheck: no input requires grad, so there is nothing to check; "
                "pass the tensors to differentiate with requires_grad=True"
            )
        if upcast:
            listed = ", ".join(upcast[:3]) + (f" and {len(upcast) - 3} more" if len(upcast) > 3 else "")
            self.notes.append(f"{listed} upcast to float64: finite differences need float64, so the check ran there")

    def call(self, replace: dict, record: bool) -> tuple[tuple[Tensor, ...], list]:
        args = []
        for k, value in enumerate(self.values):
            if not self.is_tensor[k]:
                args.append(value)
                continue
            t = Tensor(replace.get(k, value), requires_grad=record and k in self.diff, name=self.names[k])
            args.append(t)
        return _as_outputs(self.fn(*args), "fn"), args

    def evaluate(self, replace: dict) -> list[np.ndarray]:
        """The outputs as float64 arrays, computed without recording."""
        with no_grad():
            outs, _ = self.call(replace, record=False)
        return [np.array(o.data, dtype=_F64) for o in outs]

    def out_label(self, m: int, out: Tensor) -> str:
        return self.out_labels[m] if self.out_labels else _label("output", m, out.name)


# ============================================================================ the check
def _run(
    problem: _Problem, opts: _Options, order: int, loc_problem: _Problem, raise_exception: bool
) -> GradcheckResult:
    with enable_grad():
        outs, args = problem.call({}, record=True)
    leaves = [args[k] for k in problem.diff]
    notes = problem.notes
    checked = []
    for m, o in enumerate(outs):
        if o.dtype.kind != "f":
            notes.append(f"{problem.out_label(m, o)} is {o.dtype} (not differentiable): not checked")
        elif o.size:
            checked.append(m)
            if o.dtype != _F64:
                notes.append(
                    f"{problem.out_label(m, o)} is {o.dtype} although the inputs are float64: fn computes in lower "
                    "precision, so finite differences are inaccurate (expect spurious failures)"
                )
    if not checked:
        raise ValueError("gradcheck: fn returned no floating-point output with elements to check")
    f0 = problem.evaluate({})
    for m in checked:
        same = np.allclose(f0[m], np.asarray(outs[m].data, dtype=_F64), rtol=1e-12, atol=0, equal_nan=True)
        if not same:
            notes.insert(0, f"fn is not deterministic: {problem.out_label(m, outs[m])} differs between two calls "
                         "with the same inputs (dropout in training mode? random sampling?); finite differences "
                         "of a random function are meaningless")  # fmt: skip
            break
    n_elements = sum(leaf.size for leaf in leaves) + sum(outs[m].size for m in checked)
    mode = opts.mode if opts.mode != "auto" else ("full" if n_elements <= opts.max_full_size else "projection")
    if mode == "full":
        checks = full_jacobian(problem, outs, leaves, checked, f0, opts)
    else:
        checks = projected_jacobian(problem, outs, leaves, checked, f0, opts)
    result = GradcheckResult(
        checks, order, mode, opts.eps, opts.atol, opts.rtol, opts.n_projections if mode == "projection" else 0, notes
    )
    if opts.localize or (opts.localize is None and not result.ok):
        result.localization = _localize(loc_problem, order, opts)
    if raise_exception and not result.ok:
        raise GradcheckError(result.message(), result)
    return result


# ============================================================================ localization
def _graph_nodes(outs: tuple) -> list[Node]:
    """Every node reachable from the outputs, in creation order."""
    seen: dict[int, Node] = {}
    stack = [o._node for o in outs if o._node is not None]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen[id(n)] = n
        stack.extend(p for p in n.parents if isinstance(p, Node) and id(p) not in seen)
    return sorted(seen.values(), key=lambda n: n.seq)


def _scope_text(scope: tuple) -> str:
    return "/".join(s if isinstance(s, str) else type(s).__name__ for s in scope)


def _node_recheck(node: Node) -> tuple[Callable | None, tuple, str]:
    """A function and float64 inputs that replay one recorded op, or a reason to skip it."""
    op = node.op
    floating = lambda a: isinstance(a, (np.ndarray, np.generic)) and a.dtype.kind == "f"  # noqa: E731
    if isinstance(op, FunctionOp):
        args = tuple(
            Tensor(np.array(raw, dtype=_F64 if floating(raw) else None), requires_grad=node.parents[k] is not None,
                   name=given.name)
            if isinstance(given, Tensor) else given
            for k, (given, raw) in enumerate(zip(node.inputs, node.args))
        )  # fmt: skip
        return (lambda *ts: op.fn.apply(*ts)), args, ""
    if node.dtype is not None and node.dtype != _F64:
        return None, (), f"computes in {node.dtype}; finite differences need float64"
    args = tuple(
        Tensor(np.array(a, dtype=_F64), requires_grad=node.parents[k] is not None) if floating(a) else a
        for k, a in enumerate(node.args)
    )
    params = node.params or None
    if node.out is None:  # a multi-output primitive (split, unbind): its outputs hang off Select nodes
        from ..functional import _apply_multi

        return (lambda *ts: _apply_multi(op, *ts, params)), args, ""
    return (lambda *ts: apply(op, ts, params)), args, ""


def _localize(problem: _Problem, order: int, opts: _Options) -> Localization:
    """Re-run fn recording source lines, then re-check each primitive on its own inputs."""
    previous = graph._set_trace(True)
    try:
        with enable_grad():
            outs, _ = problem.call({}, record=True)
    finally:
        graph._set_trace(previous)
    checks = []
    for node in _graph_nodes(outs):
        if isinstance(node.op, Select) or node.args is None:
            continue
        oc = OpCheck(
            name=node.op.name, seq=node.seq, inputs=describe_args(node.args), params=describe_params(node.params),
            trace=node.trace, scope=_scope_text(node.scope), passed=None,
        )  # fmt: skip
        fn, args, skipped = _node_recheck(node)
        if fn is None:
            oc.skipped = skipped
            checks.append(oc)
            continue
        try:
            r = gradcheck(fn, args, **opts.recheck_kwargs())
            if r and order == 2 and any(o.requires_grad for o in _as_outputs(_call_plain(fn, args), "op")):
                r2 = gradgradcheck(fn, args, **opts.recheck_kwargs())
                if not r2:
                    r, oc.order = r2, 2
            oc.passed, oc.max_rel_err = r.ok, r.max_rel_err
            if not r.ok:
                oc.detail = r.failures[0].failure_text(opts.atol, opts.rtol)
        except Exception as e:  # an op that can't be replayed alone must not hide the others
            oc.skipped = f"could not re-check it alone: {type(e).__name__}: {e}"
        checks.append(oc)
    return Localization(checks)


def _call_plain(fn: Callable, args: tuple) -> Any:
    with enable_grad():
        return fn(*args)


# ============================================================================ command line
def main(argv: list[str] | None = None) -> int:
    """Self-test: check every built-in primitive of ``autograd.ops`` on random float64 inputs.

    Prints one line per op (worst relative error of the first and second derivatives,
    pass/fail) and returns 0 when all pass, 1 otherwise. Run it as
    ``python -m autograd.gradcheck`` or ``graphgrad gradcheck``; ``--help`` lists the options.
    """
    from .cases import run_selftest

    return run_selftest(argv)


gradcheck.main = main  # type: ignore[attr-defined]  # `autograd.gradcheck` is this function once imported
