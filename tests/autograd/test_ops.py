"""Every op's first and second derivatives against central finite differences (float64).

Uses ``autograd.gradcheck`` / ``gradgradcheck`` (issue 3: the engine's own op tests use
gradcheck). The op table, with broadcasting shape pairs and Python scalars on either
side, is in ``_cases.py``; inputs avoid kinks, which test_numerics checks separately.
"""

from __future__ import annotations

import numpy as np
import pytest
from _cases import ALL_CASES, BINARY_CASES, UNARY_CASES, Case, ids

import autograd as ag
from autograd import Function, Tensor, gradcheck, gradgradcheck


def _inputs(case: Case, seed: int = 0) -> tuple:
    return tuple(Tensor(a, requires_grad=True) for a in case.arrays(seed))


def _fn(case: Case):
    """``fn`` with several outputs folded into one tuple of Tensors (gradcheck takes either)."""
    return case.fn


@pytest.mark.parametrize("case", ALL_CASES, ids=ids(ALL_CASES))
def test_gradient_matches_finite_differences(case):
    inputs = _inputs(case)
    result = gradcheck(_fn(case), inputs, mode="full")
    assert result


@pytest.mark.parametrize("case", ALL_CASES, ids=ids(ALL_CASES))
def test_second_derivative_matches_finite_differences(case):
    inputs = _inputs(case, seed=1)
    assert gradgradcheck(_fn(case), inputs, mode="full")


@pytest.mark.parametrize("case", UNARY_CASES, ids=ids(UNARY_CASES))
def test_unary_second_derivative_of_a_scalar_loss(case):
    """grad-of-grad through ``backward(create_graph=True)``, also at a second point."""
    for seed in (2, 3):
        (x,) = _inputs(case, seed)
        assert gradgradcheck(lambda t: case.fn(t).sum(), (x,), mode="full")


@pytest.mark.parametrize("case", BINARY_CASES, ids=ids(BINARY_CASES))
def test_binary_op_with_one_constant_operand(case):
    """Only one side requires grad (the other is a constant Tensor, then a NumPy array)."""
    a, b = case.arrays(4)
    assert gradcheck(lambda x: case.fn(x, Tensor(b)), (Tensor(a, requires_grad=True),), mode="full")
    assert gradcheck(lambda y: case.fn(Tensor(a), y), (Tensor(b, requires_grad=True),), mode="full")
    x = Tensor(a, requires_grad=True)
    out = case.fn(x, b) if case.name != "where" else case.fn(x, Tensor(b))
    assert isinstance(out, Tensor) and out.requires_grad and out.dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_python_scalars_keep_the_tensor_dtype(dtype):
    x = Tensor(np.array([0.5, 1.5], dtype=dtype), requires_grad=True)
    outs = [x + 1, 1 + x, x - 2.5, 2.5 - x, x * 3, 3 * x, x / 2, 2 / x, x**2, x**0.5, 2**x, 2.5**x, -x]
    for y in outs:
        assert y.dtype == dtype
    sum(y.sum() for y in outs).backward()
    assert x.grad.dtype == dtype


def test_gradcheck_catches_a_wrong_derivative():
    """The checks above can fail: a Function whose backward is off by a factor is caught."""

    class WrongSquare(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2.1 * x

    x = Tensor(np.array([0.5, 1.5]), requires_grad=True)
    with pytest.raises(ag.GradcheckError):
        gradcheck(WrongSquare.apply, (x,), mode="full")
    assert not gradcheck(WrongSquare.apply, (x,), mode="full", raise_exception=False)


def test_lerp_and_addcmul_promote_like_the_arithmetic_operators():
    ints = Tensor([0, 10]), Tensor([1, 20])
    assert ag.lerp(*ints, 0.5).dtype == ag.get_default_dtype()  # integers become the default float
    np.testing.assert_allclose(ag.lerp(*ints, 0.5).numpy(), [0.5, 15.0])
    x32 = Tensor(np.ones(2, np.float32), requires_grad=True)
    x64 = Tensor(np.ones(2), requires_grad=True)
    out = ag.addcmul(x32, x64, x32, value=2.0)
    assert out.dtype == np.float64
    out.sum().backward()
    assert x32.grad.dtype == np.float32 and x64.grad.dtype == np.float64
    np.testing.assert_allclose(x32.grad.numpy(), [3.0, 3.0])  # d/dx32 of x32 + 2 * x64 * x32
