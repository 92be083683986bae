"""Bad input gets a clear error naming the op and the offending shapes/dtypes; detect_anomaly."""

from __future__ import annotations

import inspect
import re
import warnings

import numpy as np
import pytest

import autograd as ag
from autograd import Function, Tensor


def leaf(shape, value=1.0):
    return Tensor(np.full(shape, value), requires_grad=True)


def _raises(exc, fn, *fragments):
    """``fn()`` raises ``exc`` and its message contains every fragment (literally)."""
    with pytest.raises(exc) as e:
        fn()
    msg = str(e.value)
    for f in fragments:
        assert f in msg, f"{f!r} not in {msg!r}"
    return msg


# ------------------------------------------------------------------ shapes
def test_matmul_shape_mismatch():
    a, b = leaf((2, 3)), leaf((4, 5))
    _raises(ValueError, lambda: a @ b, "matmul", "(2, 3)", "(4, 5)")
    _raises(ValueError, lambda: ag.matmul(leaf(3), leaf(4)), "matmul", "(3,)", "(4,)")
    _raises(ValueError, lambda: leaf((2, 3)) @ np.ones((2, 3)), "matmul", "(2, 3)")
    _raises(ValueError, lambda: leaf((2, 3)) @ Tensor(2.0), "matmul", "()")
    _raises(ValueError, lambda: leaf((5, 2, 3)) @ leaf((4, 3, 2)), "matmul", "(5, 2, 3)", "(4, 3, 2)")


def test_linear_shape_errors_name_the_features_and_the_weight():
    x, w = leaf((4, 3)), leaf((2, 5))
    _raises(ValueError, lambda: ag.linear(x, w), "linear", "(4, 3)", "3 features", "(2, 5)", "expects 5")
    _raises(ValueError, lambda: ag.linear(leaf(()), leaf((2, 3))), "linear", "shape ()", "expects 3")
    _raises(ValueError, lambda: ag.linear(leaf((4, 3)), leaf(3)), "linear", "weight of shape (3,)")
    _raises(ValueError, lambda: ag.linear(leaf((4, 3)), leaf((2, 3)), leaf(5)), "linear", "broadcast")
    assert ag.linear(leaf((2, 4, 3)), leaf((2, 3)), leaf(2)).shape == (2, 4, 2)  # leading dims are fine
    assert ag.linear(leaf(3), leaf((2, 3))).shape == (2,)


@pytest.mark.parametrize(
    "fn, name",
    [
        (lambda a, b: a + b, "add"),
        (lambda a, b: a - b, "sub"),
        (lambda a, b: a * b, "mul"),
        (lambda a, b: a / b, "div"),
        (lambda a, b: a**b, "pow"),
        (ag.maximum, "maximum"),
        (ag.minimum, "minimum"),
    ],
)
def test_broadcasting_mismatch_names_op_and_shapes(fn, name):
    msg = _raises(ValueError, lambda: fn(leaf((2, 3)), leaf((4,))), name)
    assert re.search(r"\(2, ?3\)", msg) and re.search(r"\(4,\)", msg)
    _raises(ValueError, lambda: fn(np.ones((3, 2)), leaf((2, 3))), name)


def test_other_shape_errors_name_the_op():
    a = leaf((2, 3))
    cases = [
        (ValueError, lambda: a.reshape(5), ("reshape", "(5,)")),
        (ValueError, lambda: a.view(4, 2), ("reshape", "size 6", "[2, 3]")),
        (IndexError, lambda: a.sum(dim=3), ("sum", "dim 3", "(2, 3)")),
        (IndexError, lambda: a.mean(-3), ("mean", "(2, 3)")),
        (IndexError, lambda: a.max(2), ("max", "(2, 3)")),
        (IndexError, lambda: a.softmax(2), ("softmax", "(2, 3)")),
        (IndexError, lambda: a.transpose(0, 2), ("transpose", "(2, 3)")),
        (ValueError, lambda: a.permute(0, 0), ("permute", "(2, 3)")),
        (ValueError, lambda: a.expand(4, 4), ("expand", "(2, 3)", "(4, 4)")),
        (ValueError, lambda: a.expand(3), ("expand", "(2, 3)")),
        (IndexError, lambda: a.unsqueeze(4), ("unsqueeze", "(2, 3)")),
        (ValueError, lambda: ag.cat([a, leaf((4, 5))]), ("cat", "(4, 5)", "(2, 3)")),
        (ValueError, lambda: ag.stack([a, leaf((3, 2))]), ("stack", "(3, 2)", "(2, 3)")),
        (ValueError, lambda: ag.split(a, [1, 2]), ("split", "[1, 2]")),
        (ValueError, lambda: ag.pad(a, ((1, 1),) * 3), ("pad", "(2, 3)")),
        (ValueError, lambda: ag.einsum("ij,jk->ik", a, leaf((4, 5))), ("einsum",)),
        (ValueError, lambda: ag.einsum("ij,jk->ik", a), ("einsum", "2 operand subscripts for 1")),
        (ValueError, lambda: ag.einsum("ijk->i", a), ("einsum", "(2, 3)")),
        (IndexError, lambda: a[5], ("getitem", "5")),
        (ValueError, lambda: ag.where(np.ones(5, bool), a, 0.0), ("where",)),
        (ValueError, lambda: a.item(), ("item", "(2, 3)")),
        (RuntimeError, lambda: bool(a), ("ambiguous", "(2, 3)")),
        (ValueError, lambda: ag.one_hot(Tensor([0, 5]), 3), ("one_hot", "[0, 3)")),
        (ValueError, lambda: ag.lerp(a, leaf((3, 2)), 0.5), ("lerp", "(2, 3)", "(3, 2)")),
        (ValueError, lambda: ag.addcmul(a, a, leaf((4,))), ("addcmul", "(2, 3)", "(4,)")),
        (ValueError, lambda: ag.addmm(leaf((2, 2)), a, leaf((2, 2))), ("addmm", "(2, 3)", "(2, 2)")),
        (ValueError, lambda: ag.addmm(leaf((3, 2)), a, leaf((3, 2))), ("addmm", "(3, 2)", "(2, 2)")),
        (ValueError, lambda: ag.window_totals(a, (2, 4)), ("window_totals", "(2, 4)", "(2, 3)")),
        (ValueError, lambda: ag.window_totals(a, 2, stride=0), ("window_totals", "stride")),
        (ValueError, lambda: ag.sliding_window(a, (3, 3)), ("sliding_window", "(3, 3)", "(2, 3)")),
    ]
    for exc, fn, fragments in cases:
        _raises(exc, fn, *fragments)


def test_cross_entropy_targets_are_checked():
    x = leaf((2, 3))
    for target in (np.array([0, 3]), np.array([-1, 0]), np.array([0, 7], np.uint8)):
        _raises(IndexError, lambda t=target: ag.cross_entropy(x, t), "cross_entropy()", "[0, 3)")
    _raises(TypeError, lambda: ag.cross_entropy(x, np.array([0.0, 1.0])), "cross_entropy()", "integer classes")
    _raises(ValueError, lambda: ag.cross_entropy(x, np.array([0, 1, 2])), "cross_entropy()", "(2, 3)", "(3,)")
    _raises(ValueError, lambda: ag.cross_entropy(x, np.array([0, 1]), reduction="avg"), "reduction", "'avg'")
    assert x.grad is None  # nothing was recorded or computed


# ------------------------------------------------------------------ dtypes
@pytest.mark.parametrize(
    "make",
    [
        lambda: Tensor([1, 2], requires_grad=True),
        lambda: Tensor(np.array([1, 2], np.int32), requires_grad=True),
        lambda: Tensor([True, False], requires_grad=True),
        lambda: Tensor([1, 2]).requires_grad_(),
        lambda: ag.zeros(3, dtype=np.int64, requires_grad=True),
        lambda: ag.arange(5, requires_grad=True),
        lambda: ag.Parameter(np.arange(3)),
    ],
)
def test_integer_tensors_cannot_require_grad(make):
    msg = _raises(TypeError, make, "floating")
    assert re.search(r"int32|int64|bool", msg)


@pytest.mark.parametrize(
    "data, dtype",
    [
        (np.array(["a", "b"]), "<U1"),
        (["a", "b"], "<U1"),
        (np.array([object(), object()]), "object"),
        (np.array([1 + 2j]), "complex128"),
        ([[1.0], [2.0, 3.0]], "inhomogeneous"),
    ],
)
def test_unsupported_data(data, dtype):
    with pytest.raises((TypeError, ValueError)) as e:
        Tensor(data)
    assert dtype in str(e.value) and "tensor" in str(e.value)


@pytest.mark.parametrize(
    "other, fragment",
    [
        ("x", "str"),
        (None, "NoneType"),
        ([1.0, 2.0, 3.0], "list"),
        (np.array([object()] * 3), "object"),
        (np.array(["a", "b", "c"]), "<U1"),
        (np.str_("a"), "<U1"),
    ],
)
def test_unsupported_operands_name_the_op(other, fragment):
    x = leaf(3)
    _raises(TypeError, lambda: x * other, "mul", fragment)
    _raises(TypeError, lambda: x + other, "add", fragment)


def test_bad_where_arguments():
    x = leaf(3)
    _raises(TypeError, lambda: ag.where(np.ones(3), x, 0.0), "where", "bool", "float64")
    _raises(TypeError, lambda: ag.where(np.ones(3, bool), x, np.array(["a", "b", "c"])), "where", "<U1")


def test_assigning_unsupported_data():
    x = leaf(3)
    _raises(TypeError, lambda: setattr(x, "data", np.array(["a", "b", "c"])), "data", "<U1")
    _raises(TypeError, lambda: ag.set_default_dtype(np.int32), "set_default_dtype", "int32")
    _raises(IndexError, lambda: x[np.array([0.5])], "index", "float64")
    _raises(TypeError, lambda: ag.one_hot(Tensor([0.0, 1.0]), 3), "one_hot", "float32")


# ------------------------------------------------------------------ backward misuse
def test_backward_on_non_scalar_without_gradient():
    y = leaf((2, 3)) * 2
    _raises(RuntimeError, y.backward, "single-element", "(2, 3)", "gradient")
    _raises(RuntimeError, lambda: ag.grad(y, y.grad_fn.parents[0]), "single-element", "(2, 3)")


def test_backward_misuse_messages():
    x = leaf((2, 3))
    y = x * 2
    _raises(RuntimeError, lambda: y.backward(np.ones(3)), "gradient", "(3,)", "(2, 3)")
    _raises(RuntimeError, lambda: ag.backward([y], [np.ones((2, 3)), np.ones(2)]), "2 gradients for 1")
    _raises(RuntimeError, lambda: Tensor([1.0]).sum().backward(), "does not require grad")
    _raises(RuntimeError, lambda: ag.grad(y.sum(), Tensor([1.0])), "input 0", "does not require grad")
    _raises(RuntimeError, lambda: Tensor([1.0]).register_hook(print), "register_hook", "require")
    _raises(RuntimeError, lambda: Tensor([1.0]).retain_grad(), "retain_grad")
    _raises(RuntimeError, lambda: setattr(x, "grad", np.ones(2)), "(2,)", "(2, 3)")
    x.register_hook(lambda g: Tensor(np.ones(2)))
    _raises(RuntimeError, lambda: (x * 2).sum().backward(), "hook", "shape", "(2, 3)")


def test_second_backward_error_says_retain_graph():
    x = leaf(3)
    y = (x.exp() * x).sum()
    y.backward()
    msg = _raises(RuntimeError, y.backward, "retain_graph=True", "second time")
    assert "'sum'" in msg


def test_function_backward_misuse():
    class TooFew(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    class WrongShape(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return Tensor(np.ones(5))

    x = leaf(3)
    _raises(RuntimeError, lambda: TooFew.apply(x, x).sum().backward(), "TooFew", "1 gradient", "2 input")
    _raises(RuntimeError, lambda: WrongShape.apply(x).sum().backward(), "WrongShape", "(5,)", "(3,)")

    class NoBackward(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

    _raises(NotImplementedError, lambda: NoBackward.apply(x).sum().backward(), "backward")


# ------------------------------------------------------------------ detect_anomaly
def _line_of(snippet: str) -> int:
    """The line number of ``snippet`` in this file (so the tests don't hard-code it)."""
    src = inspect.getsource(inspect.getmodule(_line_of)).splitlines()
    return next(i for i, line in enumerate(src, 1) if snippet in line and "_line_of" not in line)


def test_anomaly_forward_names_op_and_user_line():
    x = leaf(2, 0.0)
    with ag.detect_anomaly(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(FloatingPointError) as e:
            x.log()  # anomaly: forward inf here
    msg = str(e.value)
    assert "log" in msg and "inf" in msg and "forward" in msg
    assert f"test_errors.py:{_line_of('anomaly: forward inf here')}" in msg and "x.log()" in msg


def test_anomaly_backward_names_op_and_the_line_that_created_it():
    x = leaf(2, 0.0)
    with ag.detect_anomaly(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        y = x.sqrt()  # anomaly: created here, fine forward
        loss = (y * 2).sum()
        with pytest.raises(FloatingPointError) as e:
            loss.backward()
    msg = str(e.value)
    assert "sqrt" in msg and "backward" in msg and "inf" in msg
    assert f"test_errors.py:{_line_of('anomaly: created here')}" in msg


def test_anomaly_reports_the_first_bad_op():
    x = Tensor(np.array([-1.0, 1.0]), requires_grad=True)
    with ag.detect_anomaly(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        h = x * 3
        with pytest.raises(FloatingPointError, match="sqrt produced nan"):
            h.sqrt().log().exp()


def test_anomaly_nan_in_forward_without_grad_and_in_a_hook():
    with ag.detect_anomaly(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(FloatingPointError, match="log produced nan"):
            Tensor([-1.0]).log()
        x = leaf(2)
        h = x * 1.0
        h.register_hook(lambda g: g * np.inf)
        with pytest.raises(FloatingPointError, match="inf"):
            (h * 2).sum().backward()


def test_anomaly_as_decorator_and_state_restored():
    @ag.detect_anomaly()
    def f(t):
        assert ag.is_anomaly_enabled()
        return t / 0.0

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(FloatingPointError, match="div produced inf"):
            f(leaf(2))
    assert not ag.is_anomaly_enabled()


def test_no_anomaly_check_outside_the_context():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        y = leaf(2, 0.0).log()
    assert np.isinf(y.data).all()


def test_anomaly_in_user_function():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return g * np.nan

    with ag.detect_anomaly():
        y = Bad.apply(leaf(2))
        with pytest.raises(FloatingPointError, match="nan"):
            y.sum().backward()


def test_anomaly_graph_recorded_before_detection():
    x = leaf(2, 0.0)
    y = x.sqrt()
    with ag.detect_anomaly(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(FloatingPointError, match="sqrt produced inf in its backward") as e:
            y.sum().backward()
    assert "None" not in str(e.value)
