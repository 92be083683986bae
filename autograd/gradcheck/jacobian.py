"""The two Jacobian comparisons behind ``gradcheck``: whole Jacobians, and random projections.

Both compare the engine's vector-Jacobian products with central finite differences in float64,
entry by entry (:func:`compare`), setting aside kinks (where the one-sided differences disagree).
A failing projection is narrowed down to one Jacobian element by bisection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine import grad as _grad
from ..tensor import Tensor
from .report import Kink, PairCheck

if TYPE_CHECKING:
    from .check import _Options, _Problem

_F64 = np.dtype(np.float64)
MAX_KINKS_KEPT = 100  # per (output, input) pair


def _vjp(out: Tensor, leaves: list, seed: np.ndarray) -> list[np.ndarray | None]:
    """``seed · d out / d leaf`` for every leaf, keeping the graph for the next call."""
    gs = _grad((out,), leaves, (seed,), retain_graph=True, allow_unused=True)
    return [None if g is None else np.asarray(g.data, dtype=_F64) for g in gs]


def full(problem: _Problem, outs: tuple, leaves: list, checked: list, f0: list, opts: _Options) -> list[PairCheck]:
    """Whole Jacobians: one backward pass per output element (rows), two evaluations of fn per
    input element (columns; the same evaluations give the one-sided differences)."""
    eps = opts.eps
    shape = {(m, i): (outs[m].size, leaf.size) for m in checked for i, leaf in enumerate(leaves)}
    A = {key: np.zeros(s) for key, s in shape.items()}
    for m in checked:
        out = outs[m]
        if not out.requires_grad:
            continue  # no graph: the engine says the derivative is zero
        for k in range(out.size):
            seed = np.zeros(out.shape, out.dtype)
            seed.flat[k] = 1
            for i, g in enumerate(_vjp(out, leaves, seed)):
                if g is not None:
                    A[m, i][k] = g.ravel()
    C, R, L = ({key: np.zeros(s) for key, s in shape.items()} for _ in range(3))
    for i, k in enumerate(problem.diff):
        base = problem.values[k]
        for j in range(base.size):
            x = base.flat[j]
            xp, xm = x + eps, x - eps
            pert = base.copy()
            pert.flat[j] = xp
            fp = problem.evaluate({k: pert})
            pert.flat[j] = xm
            fm = problem.evaluate({k: pert})
            for m in checked:
                C[m, i][:, j] = (fp[m] - fm[m]).ravel() / (xp - xm)
                R[m, i][:, j] = (fp[m] - f0[m]).ravel() / (xp - x)
                L[m, i][:, j] = (f0[m] - fm[m]).ravel() / (x - xm)
    checks = []
    for m in checked:
        for i, leaf in enumerate(leaves):
            key = (m, i)
            c = compare(A[key], C[key], R[key], L[key], opts)
            pc = _pair(problem, outs, m, i, c, A[key].size)
            worst = c["worst"]
            if worst is not None:
                k_out, j_in = np.unravel_index(worst, A[key].shape)
                pc.out_index = _unravel(k_out, outs[m].shape)
                pc.in_index = _unravel(j_in, leaf.shape)
            pc.kinks = [
                Kink(m, problem.diff[i], _unravel(a, outs[m].shape), _unravel(b, leaf.shape),
                     float(A[key][a, b]), float(L[key][a, b]), float(R[key][a, b]))
                for a, b in zip(*np.nonzero(c["kink"].reshape(A[key].shape)))
            ][:MAX_KINKS_KEPT]  # fmt: skip
            pc.n_kinks = int(c["kink"].sum())
            checks.append(pc)
    return checks


def _unravel(flat_index: Any, shape: tuple) -> tuple:
    return tuple(int(v) for v in np.unravel_index(int(flat_index), shape)) if shape else ()


def compare(
    a: np.ndarray, n: np.ndarray, right: np.ndarray, left: np.ndarray, opts: _Options, hull: bool = True
) -> dict:
    """Entrywise verdicts: failures, kinks, error statistics and the worst entry.

    An entry whose one-sided differences disagree is a kink when the analytic value lies between
    them (a valid one-sided derivative or subgradient), or, with ``hull=False`` (projections, where
    one direction may cross several kinks and the valid values are not bracketed by the two
    one-sided differences), whenever they disagree.
    """
    atol, rtol = opts.atol, opts.rtol
    a, n, right, left = (np.ravel(v) for v in (a, n, right, left))
    with np.errstate(invalid="ignore", over="ignore"):
        err = np.abs(a - n)
        tol = atol + rtol * np.abs(n)
        both_nan = np.isnan(a) & np.isnan(n)
        bad = ~(err <= tol) & ~both_nan
        gap = np.abs(right - left)
        one_sided_differ = gap > atol + rtol * np.maximum(np.abs(left), np.abs(right))
        inside = (a >= np.minimum(left, right) - tol) & (a <= np.maximum(left, right) + tol) if hull else True
        kink = bad & one_sided_differ & inside
        # Also flag a clear kink where the check happens to pass (abs at 0, a max tie shared evenly).
        kink |= ~bad & one_sided_differ & (gap > 0.1 * (np.abs(left) + np.abs(right)))
        fail = bad & ~kink
        counted = ~kink & ~both_nan
        rel = err / np.maximum(np.maximum(np.abs(a), np.abs(n)), max(atol, 1e-300))
        ratio = np.where(np.isnan(err), np.inf, err / np.maximum(tol, 1e-300))
    pool = fail if fail.any() else counted
    worst = int(np.flatnonzero(pool)[np.argmax(ratio[pool])]) if pool.any() else None
    return {
        "kink": kink,
        "n_failed": int(fail.sum()),
        "max_abs": float(np.max(err[counted])) if counted.any() else 0.0,
        "max_rel": float(np.max(rel[counted])) if counted.any() else 0.0,
        "worst": worst,
        "a": a, "n": n, "tol": tol,
    }  # fmt: skip


def _pair(problem: _Problem, outs: tuple, m: int, i: int, c: dict, n_checked: int) -> PairCheck:
    worst = c["worst"]
    return PairCheck(
        output=m, input=problem.diff[i],
        output_label=problem.out_label(m, outs[m]), input_label=problem.in_labels[problem.diff[i]],
        passed=c["n_failed"] == 0, max_abs_err=c["max_abs"], max_rel_err=c["max_rel"],
        out_index=None, in_index=None,
        analytic=None if worst is None else float(c["a"][worst]),
        numeric=None if worst is None else float(c["n"][worst]),
        tol=None if worst is None else float(c["tol"][worst]),
        n_checked=n_checked, n_failed=c["n_failed"],
    )  # fmt: skip


# ============================================================================ random projections
def _unit(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    v = rng.standard_normal(shape)
    norm = np.linalg.norm(v)
    return v / norm if norm > 0 else v


def projected(problem: _Problem, outs: tuple, leaves: list, checked: list, f0: list, opts: _Options) -> list:
    """Compare ``v·J·u`` (analytic: one backward pass with seed v; numeric: f(x ± eps u))."""
    eps, P = opts.eps, opts.n_projections
    rng = np.random.default_rng(opts.seed)
    nd = len(leaves)
    A, C, R, L = (np.zeros((len(checked), nd, P)) for _ in range(4))
    saved = []  # per projection: vs, effective us, analytic rows
    for p in range(P):
        vs = [_unit(rng, outs[m].shape) for m in checked]
        us = []
        for i, k in enumerate(problem.diff):
            x = problem.values[k]
            u = _unit(rng, x.shape)
            xp, xm = x + eps * u, x - eps * u
            us.append((xp - xm) / (2 * eps))  # the step actually taken
            fp, fm = problem.evaluate({k: xp}), problem.evaluate({k: xm})
            for c, m in enumerate(checked):
                v = vs[c]
                C[c, i, p] = np.sum(v * (fp[m] - fm[m])) / (2 * eps)
                R[c, i, p] = np.sum(v * (fp[m] - f0[m])) / eps
                L[c, i, p] = np.sum(v * (f0[m] - fm[m])) / eps
        rows = []
        for c, m in enumerate(checked):
            r = _vjp(outs[m], leaves, vs[c]) if outs[m].requires_grad else [None] * nd
            r = [np.zeros(leaf.shape) if g is None else g for g, leaf in zip(r, leaves)]
            rows.append(r)
            for i in range(nd):
                A[c, i, p] = np.sum(r[i] * us[i])
        saved.append((vs, us, rows))
    checks = []
    for c, m in enumerate(checked):
        for i in range(nd):
            cmp = compare(A[c, i], C[c, i], R[c, i], L[c, i], opts, hull=False)
            pc = _pair(problem, outs, m, i, cmp, P)
            if cmp["kink"].all():
                problem.notes.append(
                    f"every random direction crossed a kink of d {pc.output_label} / d {pc.input_label}, so it "
                    "could not be verified there: use mode='full', or check at a point away from the kinks"
                )
            w = cmp["worst"]
            if w is not None:
                pc.projection = {"number": w, "analytic": pc.analytic, "numeric": pc.numeric, "tol": pc.tol}
            pc.kinks = [
                Kink(m, problem.diff[i], None, None, float(A[c, i, p]), float(L[c, i, p]), float(R[c, i, p]))
                for p in np.flatnonzero(cmp["kink"])
            ]
            pc.n_kinks = len(pc.kinks)
            if not pc.passed:
                vs, us, rows = saved[w]
                _bisect(problem, outs, leaves, m, i, vs[c], us[i], rows[c][i], pc, opts)
            checks.append(pc)
    return checks


def _bisect(
    problem: _Problem, outs: tuple, leaves: list, m: int, i: int, v: np.ndarray, u: np.ndarray,
    row: np.ndarray, pc: PairCheck, opts: _Options,
) -> None:  # fmt: skip
    """Narrow a failing projection down to one Jacobian element, halving the support each step.

    Over input elements: the analytic part is ``row · u_S`` (row = v·J, already known) and the
    numeric part two evaluations of fn; over output elements: one backward pass per step.
    """
    eps, k = opts.eps, problem.diff[i]
    x = problem.values[k]
    uf, rf = u.ravel(), row.ravel()

    def along(sel: np.ndarray) -> tuple[float, float]:
        d = np.zeros(x.size)
        d[sel] = uf[sel]
        d = d.reshape(x.shape)
        xp, xm = x + eps * d, x - eps * d
        fp, fm = problem.evaluate({k: xp}), problem.evaluate({k: xm})
        return float(rf @ ((xp - xm) / (2 * eps)).ravel()), float(np.sum(v * (fp[m] - fm[m])) / (2 * eps))

    sel = np.flatnonzero(uf)
    total = along(sel)
    while sel.size > 1:
        half = sel[: sel.size // 2]
        first = along(half)
        second = (total[0] - first[0], total[1] - first[1])
        if abs(first[0] - first[1]) >= abs(second[0] - second[1]):
            sel, total = half, first
        else:
            sel, total = sel[sel.size // 2 :], second
    j = int(sel[0])
    xj = x.flat[j]
    xp, xm = x.copy(), x.copy()
    xp.flat[j], xm.flat[j] = xj + opts.eps, xj - opts.eps
    fp, fm = problem.evaluate({k: xp}), problem.evaluate({k: xm})
    column = ((fp[m] - fm[m]) / (xp.flat[j] - xm.flat[j])).ravel()
    out = outs[m]
    vf = v.ravel()
    if not out.requires_grad:
        kk = int(np.argmax(np.abs(column)))
        analytic = 0.0
    else:
        cand = np.flatnonzero(vf)
        seed_total = (rf[j], float(vf @ column))
        while cand.size > 1:
            half = cand[: cand.size // 2]
            seed = np.zeros(out.size)
            seed[half] = vf[half]
            g = _vjp(out, leaves, seed.reshape(out.shape).astype(out.dtype))[i]
            first = (0.0 if g is None else float(g.flat[j]), float(seed @ column))
            second = (seed_total[0] - first[0], seed_total[1] - first[1])
            if abs(first[0] - first[1]) >= abs(second[0] - second[1]):
                cand, seed_total = half, first
            else:
                cand, seed_total = cand[cand.size // 2 :], second
        kk = int(cand[0])
        seed = np.zeros(out.shape, out.dtype)
        seed.flat[kk] = 1
        g = _vjp(out, leaves, seed)[i]
        analytic = 0.0 if g is None else float(g.flat[j])
    pc.out_index, pc.in_index = _unravel(kk, out.shape), _unravel(j, x.shape)
    pc.analytic, pc.numeric = analytic, float(column[kk])
    pc.tol = opts.atol + opts.rtol * abs(pc.numeric)
