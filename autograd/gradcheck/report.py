"""What a gradient check found, and how it is told: result objects, tables, HTML, error messages.

:func:`autograd.gradcheck` returns a :class:`GradcheckResult`: truthy when every check
holds, with one :class:`PairCheck` per (output, input) pair, the non-differentiable
points it met (:class:`Kink`) and, when asked or on failure, the primitive it blames
(:class:`Localization`). ``str()`` gives a short table; notebooks render ``_repr_html_``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck``/``gradgradcheck`` when the engine's derivative disagrees with
    finite differences. ``.result`` holds the full :class:`GradcheckResult`."""

    def __init__(self, message: str, result: GradcheckResult | None = None):
        super().__init__(message)
        self.result = result


def fmt_index(index: tuple | None) -> str:
    """``(2, 1)`` -> ``[2, 1]``; a 0-d tensor's only element is ``[]``."""
    return "-" if index is None else "[" + ", ".join(str(int(i)) for i in index) + "]"


def element(label: str, index: tuple) -> str:
    """``element [2, 1] of output 0``, or just ``output 0`` for a 0-d tensor."""
    return f"element {fmt_index(index)} of {label}" if index else label


def fmt_num(x: float | None) -> str:
    return "-" if x is None else f"{x:.6g}"


def fmt_err(x: float | None) -> str:
    return "-" if x is None else f"{x:.1e}"


@dataclass
class Kink:
    """A point where the one-sided finite differences disagree: not differentiable there
    (or within ``eps`` of it), so the central difference is no reference."""

    output: int
    input: int
    out_index: tuple | None  # None in projection mode (a random direction, not an element)
    in_index: tuple | None
    analytic: float
    left: float  # backward one-sided difference
    right: float  # forward one-sided difference

    def describe(self, out_label: str, in_label: str) -> str:
        if self.out_index is None:
            where = f"along a random direction of {in_label}, projected on {out_label}"
        else:
            where = f"{element(out_label, self.out_index)} w.r.t. {element(in_label, self.in_index)}"
        return (
            f"{where}: left/right differences {fmt_num(self.left)} / {fmt_num(self.right)}, "
            f"analytic {fmt_num(self.analytic)}"
        )


@dataclass
class PairCheck:
    """The comparison for one (output, input) pair.

    ``max_abs_err``/``max_rel_err`` are over the checked entries (elements of the Jacobian,
    or random projections ``v·J·u``), kinks excluded; the relative error of an entry is
    ``|a - n| / max(|a|, |n|, atol)``. ``out_index``/``in_index``, ``analytic``, ``numeric``
    and ``tol`` (``atol + rtol * |numeric|``) describe the worst entry (for a failing
    projection, the element bisection narrowed it to).
    """

    output: int
    input: int
    output_label: str
    input_label: str
    passed: bool
    max_abs_err: float
    max_rel_err: float
    out_index: tuple | None
    in_index: tuple | None
    analytic: float | None
    numeric: float | None
    tol: float | None
    n_checked: int
    n_failed: int = 0
    kinks: list[Kink] = field(default_factory=list)  # the first 100
    n_kinks: int = 0
    projection: dict | None = None  # worst projection (projection mode): analytic, numeric, tol, number

    @property
    def status(self) -> str:
        if not self.passed:
            return "FAIL"
        return "ok (kink)" if self.kinks else "ok"

    def where(self) -> str:
        if self.out_index is None:
            return "-" if self.projection is None else f"projection #{self.projection['number']}"
        return f"{fmt_index(self.out_index)} / {fmt_index(self.in_index)}"

    def failure_text(self, atol: float, rtol: float) -> str:
        """Two or three lines explaining this pair's failure (no Jacobian dumps)."""
        lines = [f"d {self.output_label} / d {self.input_label} disagrees with finite differences"]
        if self.projection is not None:
            p = self.projection
            lines[0] += f" in {self.n_failed} of {self.n_checked} random projections v·J·u"
            lines.append(
                f"  worst projection (#{p['number']}): analytic {fmt_num(p['analytic'])}, numeric "
                f"{fmt_num(p['numeric'])}, |difference| {fmt_err(abs(p['analytic'] - p['numeric']))} > "
                f"atol + rtol*|numeric| = {fmt_err(p['tol'])}"
            )
            if self.out_index is not None:
                lines.append(
                    f"  narrowed by bisection to {element(self.output_label, self.out_index)} w.r.t. "
                    f"{element(self.input_label, self.in_index)}: analytic {fmt_num(self.analytic)} vs numeric "
                    f"{fmt_num(self.numeric)}"
                )
            return "\n".join(lines)
        lines[0] += f" at {self.n_failed} of {self.n_checked} Jacobian entries"
        diff = None if self.analytic is None or self.numeric is None else abs(self.analytic - self.numeric)
        lines.append(
            f"  worst: {element(self.output_label, self.out_index or ())} w.r.t. "
            f"{element(self.input_label, self.in_index or ())}: analytic {fmt_num(self.analytic)}, "
            f"numeric {fmt_num(self.numeric)}"
        )
        lines.append(
            f"  |analytic - numeric| = {fmt_err(diff)} exceeds atol + rtol*|numeric| = "
            f"{atol:g} + {rtol:g}*{abs(self.numeric or 0):.3g} = {fmt_err(self.tol)}"
        )
        return "\n".join(lines)


@dataclass
class OpCheck:
    """One recorded primitive, re-checked on its own with the inputs it actually saw."""

    name: str
    seq: int
    inputs: str  # e.g. "float64[3, 4], float64[4]"
    params: str
    trace: str | None
    scope: str
    passed: bool | None  # None: not re-checked (see ``skipped``)
    order: int = 1  # 2 when its first derivative checks out but its second doesn't
    detail: str = ""
    skipped: str = ""
    max_rel_err: float = 0.0

    def describe(self) -> str:
        text = f"'{self.name}' (inputs {self.inputs}{', ' + self.params if self.params else ''})"
        if self.scope:
            text += f" in {self.scope}"
        return text + (f", created at {self.trace}" if self.trace else "")


@dataclass
class Localization:
    """Every primitive of the checked graph, re-checked in creation order."""

    checks: list[OpCheck]

    @property
    def culprit(self) -> OpCheck | None:
        """The first op (in creation order) whose own derivative disagrees with finite differences."""
        return next((c for c in self.checks if c.passed is False), None)

    @property
    def failed(self) -> list[OpCheck]:
        return [c for c in self.checks if c.passed is False]

    def summary(self) -> str:
        bad, n = self.failed, sum(c.passed is not None for c in self.checks)
        if not self.checks:
            return (
                "localization: fn recorded no operation between its inputs and outputs, so the engine sees no "
                "dependence at all: the outputs were cut from the inputs (.detach(), .data, no_grad, or NumPy "
                "on the raw arrays)"
            )
        if not bad:
            return (
                f"localization: all {n} recorded primitives pass on their own, so no single op's derivative "
                "is wrong; look at how they are combined (a hook that changes gradients, .detach()/.data/"
                "no_grad cutting the graph, in-place changes, or randomness inside fn)"
            )
        c = bad[0]
        order = "second derivative" if c.order == 2 else "derivative"
        text = f"localized: the first op whose {order} disagrees with finite differences is {c.describe()}"
        if c.detail:
            text += "\n  " + c.detail.replace("\n", "\n  ")
        if len(bad) > 1:
            others = ", ".join(f"'{b.name}'" for b in bad[1:4]) + (", ..." if len(bad) > 4 else "")
            text += f"\n  ({len(bad) - 1} more of the {n} re-checked ops also disagree: {others})"
        return text


@dataclass
class GradcheckResult:
    """The outcome of ``gradcheck``/``gradgradcheck``; truthy when every check holds."""

    checks: list[PairCheck]
    order: int
    mode: str  # "full" or "projection"
    eps: float
    atol: float
    rtol: float
    n_projections: int = 0
    notes: list[str] = field(default_factory=list)
    localization: Localization | None = None

    @property
    def ok(self) -> bool:
        return all(c.passed for c in self.checks)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def failures(self) -> list[PairCheck]:
        return [c for c in self.checks if not c.passed]

    @property
    def kinks(self) -> list[Kink]:
        return [k for c in self.checks for k in c.kinks]

    @property
    def max_rel_err(self) -> float:
        return max((c.max_rel_err for c in self.checks), default=0.0)

    @property
    def max_abs_err(self) -> float:
        return max((c.max_abs_err for c in self.checks), default=0.0)

    def _title(self) -> str:
        what = "gradgradcheck (second derivatives)" if self.order == 2 else "gradcheck"
        how = "full Jacobian" if self.mode == "full" else f"{self.n_projections} random projections v·J·u"
        verdict = "passed" if self.ok else "FAILED"
        return f"{what} {verdict}: {how}, float64, eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g}"

    def _rows(self) -> list[list[str]]:
        return [
            [c.output_label, c.input_label, fmt_err(c.max_abs_err), fmt_err(c.max_rel_err), c.where(),
             fmt_num(c.analytic), fmt_num(c.numeric), c.status]
            for c in self.checks
        ]  # fmt: skip

    _HEADER = ["output", "input", "max abs err", "max rel err", "worst (out / in)", "analytic", "numeric", "status"]

    def _kink_lines(self, limit: int = 3) -> list[str]:
        lines = []
        for c in self.checks:
            for k in c.kinks[:limit]:
                lines.append("not differentiable here: " + k.describe(c.output_label, c.input_label))
            if c.n_kinks > limit:
                lines.append(f"  ... {c.n_kinks - limit} more kink(s) for this pair")
        return lines

    def __str__(self) -> str:
        rows = [self._HEADER] + self._rows()
        widths = [max(len(r[i]) for r in rows) for i in range(len(self._HEADER))]
        table = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
        lines = [self._title()] + table
        lines += self._kink_lines()
        lines += ["note: " + n for n in self.notes]
        if self.localization is not None:
            lines.append(self.localization.summary())
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        e = html.escape
        color = {"FAIL": "#c62828", "ok": "#2e7d32", "ok (kink)": "#ef6c00"}
        head = "".join(f"<th>{e(h)}</th>" for h in self._HEADER)
        body = ""
        for c, row in zip(self.checks, self._rows()):
            cells = "".join(f"<td>{e(v)}</td>" for v in row[:-1])
            body += f'<tr>{cells}<td style="color:{color[c.status]};font-weight:bold">{e(row[-1])}</td></tr>'
        extra = [*self._kink_lines(), *("note: " + n for n in self.notes)]
        if self.localization is not None:
            extra.append(self.localization.summary())
        items = "".join(f"<li>{e(x)}</li>" for x in extra)
        return (
            f"<div><b>{e(self._title())}</b><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            + (f"<ul>{items}</ul>" if items else "")
            + "</div>"
        )

    def message(self) -> str:
        """The explanation raised in ``GradcheckError``: what disagrees, where, and by how much."""
        fails = self.failures
        what = "gradgradcheck" if self.order == 2 else "gradcheck"
        if not fails:
            return f"{what} passed"
        lines = [f"{what} failed: " + fails[0].failure_text(self.atol, self.rtol)]
        for c in fails[1:]:
            lines.append(
                f"also failing: d {c.output_label} / d {c.input_label} (max rel err {fmt_err(c.max_rel_err)}, "
                f"worst at {c.where()})"
            )
        n_kinks = sum(c.n_kinks for c in self.checks)
        if n_kinks:
            lines.append(f"({n_kinks} non-differentiable point(s) were set aside as kinks, not failures)")
        lines += ["note: " + n for n in self.notes]
        if self.localization is not None:
            lines.append(self.localization.summary())
        return "\n".join(lines)


def describe_args(args: Any) -> str:
    """``float64[3, 4], float64[4], 2.0`` for a list of raw arguments."""
    out = []
    for a in args:
        shape, dtype = getattr(a, "shape", None), getattr(a, "dtype", None)
        if shape is not None and dtype is not None:
            out.append(f"{dtype}{list(shape)}")
        else:
            text = repr(a)
            out.append(text if len(text) <= 20 else type(a).__name__)
    return ", ".join(out)


def describe_params(params: dict | None) -> str:
    if not params:
        return ""
    parts = []
    for k, v in params.items():
        text = repr(v) if not hasattr(v, "shape") or getattr(v, "size", 0) <= 4 else f"<array {list(v.shape)}>"
        parts.append(f"{k}={text if len(text) <= 40 else text[:37] + '...'}")
    return ", ".join(parts)
