"""Tests of gradient checking: gradcheck, gradgradcheck, kinks, projections, localization, self-test."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import autograd as ag
from autograd import Function, GradcheckError, Tensor, gradcheck, gradgradcheck
from autograd.gradcheck import cases


def t64(a, name=None, requires_grad=True):
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad, name=name)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# ----------------------------------------------------------------------------- custom Functions under test
class Mul(Function):
    """x * y, correct."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * y, g * x


class MulWrongFactor(Mul):
    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return 2 * g * y, g * x


class MulWrongSign(Mul):
    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * y, -g * x


class MulSwapped(Mul):
    """Gradients sent to the wrong inputs."""

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * x, g * y


class BadScale(Function):
    """Forward multiplies by 3, backward by 6."""

    @staticmethod
    def forward(ctx, x):
        return x * 3.0

    @staticmethod
    def backward(ctx, g):
        return g * 6.0


class XYSquared(Function):
    """x * y**2 whose first derivatives are right, but d(grad_y)/dy is lost (y detached)."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y * y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * y * y, g * 2 * x * y.detach()


class CubeRawBackward(Function):
    """x**3 with a backward computed on raw arrays: right once, not differentiable again."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * Tensor(3 * x.data**2)


class TwoOutputs(Function):
    """(2x, 3x), with the gradient of the second output taken as 2 instead of 3."""

    @staticmethod
    def forward(ctx, x):
        return x * 2.0, x * 3.0

    @staticmethod
    def backward(ctx, g1, g2):
        return g1 * 2.0 + g2 * 2.0


class ReluBadAtZero(Function):
    """relu whose derivative at exactly 0 is -1: outside [0, 1], so wrong even at a kink."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.relu()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        d = (x.data > 0).astype(np.float64) - (x.data == 0)
        return g * d


class OneBadElement(Function):
    """Elementwise sin whose derivative is wrong at flat position 5 only."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        d = np.cos(x.data)
        d.reshape(-1)[5] += 1.0
        return g * d


# ----------------------------------------------------------------------------- passing checks
@pytest.mark.parametrize("name", sorted(cases.primitives()))
def test_every_builtin_primitive_passes_first_and_second_order(name):
    ok, e1, e2, n_cases, problem = cases.check_op(name, seed=0)
    assert ok, problem
    assert n_cases >= 1
    assert e1 < 1e-4 and (e2 < 1e-3 if name not in cases.FIRST_ORDER_ONLY else e2 is None)


def test_self_test_has_a_case_for_every_primitive():
    assert set(cases.primitives()) <= set(cases.CASES)
    assert set(cases.CASES) <= set(cases.primitives()), "a case for an op that no longer exists"


def test_composition_with_broadcasting_multiple_inputs_and_outputs(rng):
    x = t64(rng.standard_normal((3, 4)), "x")
    w = t64(rng.standard_normal((4,)), "w")
    b = t64(rng.standard_normal((3, 1)), "b")

    def fn(x, w, b):
        h = (x * w + b).tanh()
        return h.softmax(-1), (h**2).sum(dim=0), ag.logsumexp(x @ w[:, None] + b, dim=0)

    r = gradcheck(fn, (x, w, b))
    assert r and r.ok and r.mode == "full"
    assert len(r.checks) == 9
    assert {(c.output, c.input) for c in r.checks} == {(m, i) for m in range(3) for i in range(3)}
    assert r.max_rel_err < 1e-6
    assert gradgradcheck(fn, (x, w, b))


_SMOOTH = [
    lambda a, b: a * b,
    lambda a, b: a - b.sin(),
    lambda a, b: a / (1 + b * b),
    lambda a, b: (a * 0.5).exp() + b.tanh(),
    lambda a, b: a.sigmoid() * b,
    lambda a, b: ag.softplus(a) - b,
]


@settings(max_examples=25, deadline=None)
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
    steps=st.lists(st.integers(0, len(_SMOOTH) - 1), min_size=1, max_size=4),
    seed=st.integers(0, 2**16),
    reduce=st.booleans(),
)
def test_random_broadcasting_compositions_pass_and_a_wrong_factor_fails(shapes, steps, seed, reduce):
    rng = np.random.default_rng(seed)
    a, b = (t64(rng.standard_normal(s)) for s in shapes.input_shapes)

    def fn(a, b):
        h = a
        for k in steps:
            h = _SMOOTH[k](h, b)
        return h.sum(dim=-1) if reduce and h.ndim else h

    assert gradcheck(fn, (a, b))
    r = gradcheck(lambda a, b: BadScale.apply(fn(a, b)), (a, b), raise_exception=False, localize=False)
    assert not r and r.failures[0].analytic == pytest.approx(2 * r.failures[0].numeric, rel=1e-4, abs=1e-5)


def test_zero_dim_inputs(rng):
    s = t64(1.3, "s")
    assert gradcheck(lambda s, v: (s * v).sum() ** 2, (s, t64(rng.standard_normal(3), "v")))
    assert gradgradcheck(lambda s: s.sin() * s, s)


def test_fixed_inputs_are_not_checked(rng):
    x = t64(rng.standard_normal((2, 3)), "x")
    w = t64(rng.standard_normal((3, 2)), "w", requires_grad=False)
    r = gradcheck(lambda x, w, k, idx: ((x @ w) * k)[idx], (x, w, 2.5, np.array([1, 0, 1])))
    assert [c.input for c in r.checks] == [0]
    assert r.checks[0].input_label == "input 0 ('x')"


def test_float32_inputs_are_upcast_and_noted(rng):
    x = Tensor(rng.standard_normal(5).astype(np.float32), requires_grad=True, name="x")
    r = gradcheck(lambda t: (t.exp() * t).sum(), x, atol=1e-9, rtol=1e-7)
    assert r
    assert any("float32" in n and "upcast to float64" in n for n in r.notes)
    assert "upcast" in str(r)


def test_functions_used_in_a_graph_pass_when_correct(rng):
    x, y = t64(rng.standard_normal((3, 2)), "x"), t64(rng.standard_normal((3, 2)), "y")
    assert gradcheck(Mul.apply, (x, y))
    assert gradgradcheck(Mul.apply, (x, y))


# ----------------------------------------------------------------------------- wrong derivatives are caught
@pytest.mark.parametrize(
    "fn_cls, bad_inputs",
    [(MulWrongFactor, {0}), (MulWrongSign, {1}), (MulSwapped, {0, 1})],
    ids=["factor", "sign", "swapped-inputs"],
)
def test_wrong_first_derivative_is_caught_and_names_the_input(rng, fn_cls, bad_inputs):
    x = t64(rng.standard_normal((3, 2)) + 3.0, "x")  # x and y far apart: swapped gradients differ
    y = t64(rng.standard_normal((3, 2)) - 3.0, "y")
    with pytest.raises(GradcheckError) as info:
        gradcheck(fn_cls.apply, (x, y))
    result = info.value.result
    assert {c.input for c in result.failures} == bad_inputs
    msg = str(info.value)
    first = result.failures[0]
    label = f"input {first.input} ('{'xy'[first.input]}')"
    assert msg.startswith(f"gradcheck failed: d output 0 / d {label} disagrees")
    for other in {0, 1} - bad_inputs:
        assert f"input {other} ('{'xy'[other]}') disagrees" not in msg
    # The worst element, analytic vs numeric there, and the tolerance it broke.
    assert first.out_index is not None and first.in_index is not None
    assert f"analytic {first.analytic:.6g}" in msg and f"numeric {first.numeric:.6g}" in msg
    assert "exceeds atol + rtol*|numeric|" in msg
    assert abs(first.analytic - first.numeric) > first.tol
    # The Function is the culprit, found by re-checking it alone.
    assert result.localization.culprit.name == fn_cls.__name__


def test_wrong_factor_reports_the_exact_values(rng):
    x = t64(rng.uniform(1, 2, size=(2, 3)), "x")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: BadScale.apply(t), x)
    worst = info.value.result.failures[0]
    assert worst.analytic == pytest.approx(6.0)
    assert worst.numeric == pytest.approx(3.0, rel=1e-6)
    assert worst.out_index == worst.in_index  # an elementwise op: only the diagonal is nonzero
    assert worst.n_failed == 6 and worst.n_checked == 36


def test_message_has_no_jacobian_dump(rng):
    x = t64(rng.standard_normal((10, 12)), "x")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: BadScale.apply(t).tanh(), x)
    msg = str(info.value)
    assert "[[" not in msg and len(msg) < 2000
    assert "of 14400 Jacobian entries" in msg


def test_raise_exception_false_returns_a_falsy_result(rng):
    x = t64(rng.standard_normal(3), "x")
    r = gradcheck(lambda t: BadScale.apply(t), x, raise_exception=False)
    assert not r and r.ok is False
    assert [c.status for c in r.checks] == ["FAIL"]
    text = str(r)
    assert text.splitlines()[0].startswith("gradcheck FAILED")
    assert "max rel err" in text and "FAIL" in text
    html = r._repr_html_()
    assert "<table>" in html and "FAIL" in html and "BadScale" in html


def test_result_table_lists_each_pair(rng):
    r = gradcheck(lambda a, b: (a * b, a + b), (t64(rng.standard_normal(2), "a"), t64(rng.standard_normal(2), "b")))
    lines = str(r).splitlines()
    assert lines[0].startswith("gradcheck passed: full Jacobian, float64, eps=1e-06")
    assert lines[1].split()[:2] == ["output", "input"]
    assert len(lines) == 2 + 4
    assert "<td>output 1</td><td>input 1 (&#x27;b&#x27;)</td>" in r._repr_html_()


def test_second_derivative_errors_are_caught_by_gradgradcheck_only(rng):
    x, y = t64(rng.uniform(0.5, 1.5, (2, 2)), "x"), t64(rng.uniform(0.5, 1.5, (2, 2)), "y")
    assert gradcheck(XYSquared.apply, (x, y))  # first derivatives are right
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(XYSquared.apply, (x, y))
    result = info.value.result
    assert result.order == 2
    bad = {(c.output_label, c.input_label) for c in result.failures}
    assert bad == {("[grad wrt input 1 ('y')]", "input 1 ('y')")}
    assert str(info.value).startswith("gradgradcheck failed: d [grad wrt input 1 ('y')] / d input 1 ('y')")


def test_second_derivative_of_a_raw_array_backward_is_caught(rng):
    x = t64(rng.uniform(0.5, 1.5, 4), "x")
    assert gradcheck(CubeRawBackward.apply, x)
    r = gradgradcheck(CubeRawBackward.apply, x, raise_exception=False)
    assert not r
    (fail,) = r.failures
    assert fail.input_label == "input 0 ('x')"
    assert fail.analytic == pytest.approx(0.0)  # the engine sees no dependence on x
    assert r.localization.culprit.name == "CubeRawBackward" and r.localization.culprit.order == 2


def test_gradgradcheck_with_given_grad_outputs(rng):
    x = t64(rng.standard_normal((2, 3)), "x")
    g = Tensor(rng.standard_normal((2, 3)))  # fixed: not checked
    r = gradgradcheck(lambda t: t.sin() * t, x, grad_outputs=g)
    assert [c.input_label for c in r.checks] == ["input 0 ('x')"]
    with pytest.raises(ValueError, match="2 grad_outputs for the 1 outputs"):
        gradgradcheck(lambda t: t.sin(), x, grad_outputs=(g, g))


# ----------------------------------------------------------------------------- kinks
def test_relu_at_zero_is_a_kink_not_a_failure():
    x = t64([0.0, 1.5, -2.0], "x")
    r = gradcheck(lambda t: t.relu() * 2.0, x)
    assert r
    (kink,) = r.kinks
    assert (kink.out_index, kink.in_index) == ((0,), (0,))
    assert (kink.left, kink.right, kink.analytic) == (pytest.approx(0.0), pytest.approx(2.0), 0.0)
    assert r.checks[0].status == "ok (kink)"
    assert "not differentiable here: element [0] of output 0 w.r.t. element [0] of input 0 ('x')" in str(r)


def test_tied_maximum_and_abs_at_zero_are_kinks():
    r = gradcheck(lambda t: t.max(), t64([1.0, 3.0, 3.0]))
    assert r and sorted(k.in_index for k in r.kinks) == [(1,), (2,)]
    assert all(k.analytic == pytest.approx(0.5) for k in r.kinks)
    r = gradcheck(lambda t: t.abs(), t64([0.0, -1.0]))
    assert r and [k.in_index for k in r.kinks] == [(0,)]


def test_wrong_derivative_at_a_kink_is_still_a_failure():
    r = gradcheck(ReluBadAtZero.apply, t64([0.0, 1.0]), raise_exception=False)
    assert not r
    assert r.failures[0].in_index == (0,) and r.failures[0].analytic == pytest.approx(-1.0)
    assert r.kinks == []


def test_kinks_in_projection_mode(rng):
    x = rng.standard_normal((60, 60))
    x[::7, ::5] = 0.0
    r = gradcheck(lambda t: t.relu(), t64(x), mode="projection", n_projections=4)
    assert r and r.mode == "projection" and len(r.kinks) == 4
    assert "every random direction crossed a kink" in str(r)  # honest: nothing was verified


# ----------------------------------------------------------------------------- random projections
def test_projection_mode_is_chosen_for_large_inputs(rng):
    a = t64(rng.standard_normal((64, 50)), "a")
    b = t64(rng.standard_normal((50, 40)), "b")
    r = gradcheck(lambda a, b: (a @ b).tanh(), (a, b))
    assert r.mode == "projection" and r.n_projections == 8
    assert all(c.n_checked == 8 for c in r.checks)
    assert "8 random projections" in str(r)
    small = t64(rng.standard_normal((3, 4)))
    assert gradcheck(lambda t: t.exp(), small).mode == "full"
    forced = gradcheck(lambda t: t.exp(), small, mode="projection", n_projections=3)
    assert forced.mode == "projection" and forced.checks[0].n_checked == 3
    assert gradcheck(lambda t: t.exp(), small, max_full_size=10).mode == "projection"
    with pytest.raises(ValueError, match="mode must be"):
        gradcheck(lambda t: t, a, mode="fast")


def test_projection_failure_is_bisected_to_the_wrong_element(rng):
    x = t64(rng.standard_normal((80, 80)), "x")
    with pytest.raises(GradcheckError) as info:
        gradcheck(OneBadElement.apply, x, localize=False)
    (fail,) = info.value.result.failures
    assert info.value.result.mode == "projection"
    assert fail.out_index == (0, 5) and fail.in_index == (0, 5)
    assert fail.analytic == pytest.approx(np.cos(x.data[0, 5]) + 1.0)
    assert fail.numeric == pytest.approx(np.cos(x.data[0, 5]), abs=1e-8)
    assert "narrowed by bisection to element [0, 5] of output 0 w.r.t. element [0, 5] of input 0 ('x')" in str(
        info.value
    )


def _conv2d(x, w, b, pad=0):
    if pad:
        x = ag.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    k = w.shape[-1]
    return ag.einsum("nchwij,ocij->nohw", ag.sliding_window(x, (k, k)), w) + b.reshape(1, -1, 1, 1)


def _pool(x):
    return ag.sliding_window(x, (2, 2), stride=2).amax(dim=(-2, -1))


def lenet(x, c1w, c1b, c2w, c2b, f1w, f1b, f2w, f2b, f3w, f3b):
    h = _pool(_conv2d(x, c1w, c1b, pad=2).relu())
    h = _pool(_conv2d(h, c2w, c2b).relu()).flatten(1)
    h = ag.linear(ag.linear(h, f1w, f1b).relu(), f2w, f2b).relu()
    return ag.linear(h, f3w, f3b)


LENET_SHAPES = [(6, 1, 5, 5), (6,), (16, 6, 5, 5), (16,), (120, 400), (120,), (84, 120), (84,), (10, 84), (10,)]


def test_lenet_forward_is_checked_in_seconds(rng):
    params = [
        Tensor((rng.standard_normal(s) / np.sqrt(np.prod(s[1:]) if len(s) > 1 else 10)).astype(np.float32),
               requires_grad=True)
        for s in LENET_SHAPES
    ]  # fmt: skip
    x = Tensor(rng.standard_normal((2, 1, 28, 28)).astype(np.float32), requires_grad=True, name="x")
    r = gradcheck(lenet, (x, *params))
    assert r.mode == "projection" and len(r.checks) == 11
    assert sum(p.size for p in params) == 61706


# ----------------------------------------------------------------------------- localization
def _mlp_with(bad):
    def model(x, w1, w2, w3):
        h = (x @ w1).tanh()
        h = ag.cat([h, h.sin()], dim=1)
        h = bad(h @ w2)  # the buried custom Function
        return ag.log_softmax(h @ w3, dim=-1).sum(dim=0)

    return model


def test_localization_names_the_wrong_function_inside_a_model(rng):
    ws = [t64(rng.standard_normal(s) * 0.5, n) for s, n in (((5, 6), "w1"), ((12, 7), "w2"), ((7, 3), "w3"))]
    x = t64(rng.standard_normal((4, 5)), "x")
    with pytest.raises(GradcheckError) as info:
        gradcheck(_mlp_with(BadScale.apply), (x, *ws))
    loc = info.value.result.localization
    culprit = loc.culprit
    assert culprit.name == "BadScale" and culprit.inputs == "float64[4, 7]"
    assert culprit.trace.startswith(__file__) and "h = bad(h @ w2)" in culprit.trace
    assert [c.name for c in loc.failed] == ["BadScale"]
    assert len(loc.checks) >= 8 and all(c.passed for c in loc.checks if c.name != "BadScale")
    msg = str(info.value)
    assert "localized: the first op whose derivative disagrees with finite differences is 'BadScale'" in msg
    assert "h = bad(h @ w2)" in msg


def test_localize_true_on_a_passing_check(rng):
    x = t64(rng.standard_normal((3, 4)), "x")
    r = gradcheck(lambda t: (t.exp() @ t.T).sum(), x, localize=True)
    assert r and r.localization.culprit is None
    assert [c.name for c in r.localization.checks] == ["exp", "permute", "matmul", "sum"]
    assert "all 4 recorded primitives pass on their own" in str(r)
    assert gradcheck(lambda t: t.exp(), x, raise_exception=False, localize=False).localization is None


def test_localization_in_a_multi_output_function(rng):
    x = t64(rng.standard_normal((2, 3)), "x")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: sum(o.tanh().sum() for o in TwoOutputs.apply(t * 1.5)), x)
    assert info.value.result.localization.culprit.name == "TwoOutputs"


def test_localization_of_a_second_derivative_error_in_a_model(rng):
    x = t64(rng.uniform(0.5, 1.0, (2, 3)), "x")

    def model(t):
        return (CubeRawBackward.apply(t.sigmoid()) * 2.0).sum()

    with pytest.raises(GradcheckError) as info:
        gradgradcheck(model, x)
    culprit = info.value.result.localization.culprit
    assert culprit.name == "CubeRawBackward" and culprit.order == 2
    assert "second derivative disagrees" in str(info.value)


def test_cut_graph_fails_and_no_single_op_is_blamed(rng):
    x = t64(rng.standard_normal(4), "x")
    r = gradcheck(lambda t: t.detach() * t, x, raise_exception=False)
    assert not r and r.failures[0].analytic != pytest.approx(r.failures[0].numeric)
    assert r.localization.culprit is None
    assert "no single op's derivative is wrong" in r.message()


def test_output_computed_outside_the_graph(rng):
    r = gradcheck(lambda t: Tensor(t.data**2), t64([1.0, 2.0]), raise_exception=False)
    assert not r and r.failures[0].analytic == 0.0 and r.failures[0].numeric == pytest.approx(4.0)
    assert "recorded no operation between its inputs and outputs" in r.message()


def test_random_fn_is_reported_as_not_deterministic(rng):
    noise = np.random.default_rng(0)
    r = gradcheck(lambda t: t * float(noise.random()), t64(rng.standard_normal(3)), raise_exception=False)
    assert "not deterministic" in r.notes[0]


# ----------------------------------------------------------------------------- argument errors
def test_argument_errors(rng):
    x = t64(rng.standard_normal(3), requires_grad=False)
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda t: t * 2, x)
    with pytest.raises(TypeError, match="output 0 is a ndarray"):
        gradcheck(lambda t: t.data, t64([1.0]))
    with pytest.raises(ValueError, match="eps must be positive"):
        gradcheck(lambda t: t, t64([1.0]), eps=0)


def test_integer_outputs_are_skipped_with_a_note(rng):
    x = t64(rng.standard_normal(4), "x")
    r = gradcheck(lambda t: (t.exp(), t.argmax()), x)
    assert len(r.checks) == 1
    assert any("int64 (not differentiable): not checked" in n for n in r.notes)


# ----------------------------------------------------------------------------- command line self-test
def test_main_prints_one_line_per_op(capsys):
    assert ag.gradcheck.main(["relu", "matmul"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].split()[:2] == ["relu", "pass"] and out[2].split()[:2] == ["matmul", "pass"]
    assert "1st-order max rel err" in out[1] and "2nd-order" in out[1]
    assert out[-1].startswith("all 2 primitives pass")


def test_main_fails_when_an_op_rule_is_wrong(capsys, monkeypatch):
    monkeypatch.setitem(cases.CASES, "neg", lambda rng: [("bad", BadScale.apply, (t64(rng.standard_normal(3)),))])
    assert ag.gradcheck.main(["neg", "exp", "--first-order"]) == 1
    out = capsys.readouterr().out
    assert "neg  FAIL" in out and "1 of 2 primitives FAILED: neg" in out


def test_main_rejects_unknown_ops(capsys):
    with pytest.raises(SystemExit) as info:
        ag.gradcheck.main(["no_such_op"])
    assert info.value.code == 2
    assert "unknown op(s): no_such_op" in capsys.readouterr().err


def test_python_m_autograd_gradcheck_runs_cleanly():
    proc = subprocess.run(
        [sys.executable, "-m", "autograd.gradcheck", "add", "sigmoid"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all 2 primitives pass" in proc.stdout
    assert proc.stderr == ""
