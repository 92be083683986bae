"""Elementwise functions, arithmetic with PyTorch's signatures, comparisons, logical and bitwise
operators: against PyTorch (values, dtypes, gradients) and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from _vocab import OpCase, check_grad, check_torch

import autograd as ag


def normal(*shape, scale=1.0):
    return lambda rng: [scale * rng.standard_normal(shape)]


def uniform(lo, hi, *shape):
    return lambda rng: [rng.uniform(lo, hi, shape)]


def pair(shape_a, shape_b, lo=None, hi=None):
    def make(rng):
        if lo is None:
            return [rng.standard_normal(shape_a), rng.standard_normal(shape_b)]
        return [rng.uniform(lo, hi, shape_a), rng.uniform(lo, hi, shape_b)]

    return make


def off_integers(*shape):
    """Values at least 0.1 from any integer (rounding is smooth there: gradient 0 both sides)."""
    return lambda rng: [np.floor(3 * rng.standard_normal(shape)) + rng.uniform(0.1, 0.9, shape)]


def _t(name):
    return lambda torch, *xs: getattr(torch, name)(*xs)


def unary(name, inputs, ag_fn=None, **kw):
    return OpCase(name, ag_fn or getattr(ag, name), _t(name), inputs, **kw)


def binary(name, inputs, ag_fn=None, **kw):
    return OpCase(name, ag_fn or getattr(ag, name), _t(name), inputs, grad_args=(0, 1), **kw)


def modulo_inputs(rng):
    """Quotients away from integers (the remainder is smooth there), divisors of both signs."""
    b = rng.choice([-1.0, 1.0], (3, 4)) * rng.uniform(0.5, 2.0, (3, 4))
    q = np.floor(3 * rng.standard_normal((3, 4))) + rng.uniform(0.1, 0.9, (3, 4))
    return [q * b, b]


CASES = [
    unary("trunc", off_integers(3, 4)),
    unary("floor", off_integers(3, 4)),
    unary("ceil", off_integers(3, 4)),
    unary("round", off_integers(3, 4)),
    OpCase(
        "round_decimals",
        lambda x: ag.round(x, decimals=2),
        lambda torch, x: torch.round(x, decimals=2),
        off_integers(4),
    ),
    unary("sign", normal(3, 4)),
    unary("frac", off_integers(3, 4)),
    unary("tan", uniform(-1.2, 1.2, 3, 4)),
    unary("asin", uniform(-0.9, 0.9, 3, 4)),
    unary("acos", uniform(-0.9, 0.9, 3, 4)),
    unary("atan", normal(3, 4)),
    unary("sinh", normal(3, 4)),
    unary("cosh", normal(3, 4)),
    unary("asinh", normal(3, 4, scale=3)),
    unary("acosh", uniform(1.1, 4, 3, 4)),
    unary("atanh", uniform(-0.9, 0.9, 3, 4)),
    unary("log2", uniform(0.1, 4, 3, 4)),
    unary("log10", uniform(0.1, 4, 3, 4)),
    unary("log1p", uniform(-0.5, 3, 3, 4)),
    unary("exp2", normal(3, 4)),
    unary("expm1", normal(3, 4)),
    unary("rsqrt", uniform(0.2, 4, 3, 4)),
    unary("reciprocal", uniform(0.2, 4, 3, 4)),
    unary("square", normal(3, 4)),
    unary("erf", normal(2, 3)),
    unary("sinc", normal(5)),
    unary("deg2rad", normal(3)),
    unary("rad2deg", normal(3)),
    OpCase("square_0d", ag.square, _t("square"), normal()),
    OpCase("tan_empty", ag.tan, _t("tan"), normal(0, 3)),
    binary("atan2", pair((3, 4), (4,))),
    binary("logaddexp", pair((3, 1), (1, 4))),
    binary("logaddexp2", pair((3, 4), (3, 4))),
    binary("hypot", pair((3, 4), (4,))),
    binary("xlogy", pair((3, 4), (3, 4), 0.2, 2.0)),
    OpCase(
        "xlogy_zeros",
        ag.xlogy,
        _t("xlogy"),
        lambda rng: [np.array([0.0, 1.0, 2.0, 0.0]), np.array([0.7, 1.5, 3.0, 0.5])],
        grad_args=(0, 1),
    ),
    binary("fmod", modulo_inputs),
    binary("remainder", modulo_inputs),
    OpCase("mod_operator", lambda a, b: a % b, lambda torch, a, b: a % b, modulo_inputs, grad_args=(0, 1)),
    OpCase("mod_scalar", lambda a: a % 1.5, lambda torch, a: a % 1.5, normal(3, 4)),
    # (PyTorch has no derivative for //: graphgrad's is 0, see test_rounding_has_a_zero_gradient...)
    OpCase("floordiv_operator", lambda a, b: a // b, lambda torch, a, b: a // b, modulo_inputs, differentiable=False),
    OpCase("rfloordiv", lambda a: 7.0 // a, lambda torch, a: 7.0 // a, uniform(0.3, 3, 5), differentiable=False),
    OpCase(
        "add_alpha",
        lambda a, b: ag.add(a, b, alpha=2.5),
        lambda torch, a, b: torch.add(a, b, alpha=2.5),
        pair((3, 4), (4,)),
        grad_args=(0, 1),
    ),
    OpCase(
        "sub_alpha",
        lambda a, b: a.sub(b, alpha=-2),
        lambda torch, a, b: a.sub(b, alpha=-2),
        pair((3, 4), (3, 1)),
        grad_args=(0, 1),
    ),
    binary("mul", pair((3, 4), (4,))),
    binary("div", pair((2, 3), (2, 3), 0.5, 2.0)),
    OpCase(
        "div_trunc",
        lambda a, b: ag.div(a, b, rounding_mode="trunc"),
        lambda torch, a, b: torch.div(a, b, rounding_mode="trunc"),
        modulo_inputs,
        grad_args=(0, 1),
    ),
    OpCase(
        "div_floor",
        lambda a, b: a.div(b, rounding_mode="floor"),
        lambda torch, a, b: a.div(b, rounding_mode="floor"),
        modulo_inputs,
        grad_args=(0, 1),
    ),
    binary("pow", pair((3, 4), (4,), 0.5, 2.0)),
    OpCase("neg_method", lambda a: a.neg(), lambda torch, a: a.neg(), normal(3)),
    OpCase(
        "clip",
        lambda a: ag.clip(a, -0.5, 0.5),
        lambda torch, a: torch.clip(a, -0.5, 0.5),
        lambda rng: [np.linspace(-2, 2, 12).reshape(3, 4) + 0.01],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matches_pytorch(case):
    torch = pytest.importorskip("torch")
    check_torch(case, torch)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_gradcheck(case):
    check_grad(case)


# ----------------------------------------------------------------------------- dtypes
INT_CASES = [
    ("floor", lambda m, a: m.floor(a)),
    ("round", lambda m, a: m.round(a)),
    ("sign", lambda m, a: m.sign(a)),
    ("square", lambda m, a: m.square(a)),
    ("remainder", lambda m, a: m.remainder(a, 3)),
    ("fmod", lambda m, a: m.fmod(a, 3)),
    ("mod_op", lambda m, a: a % -3),
    ("floordiv_op", lambda m, a: a // 3),
    ("rfloordiv_op", lambda m, a: 7 // (a + 10)),
    ("div_trunc", lambda m, a: m.div(a, 3, rounding_mode="trunc")),
    ("div_floor", lambda m, a: m.div(a, 3, rounding_mode="floor")),
    ("div", lambda m, a: m.div(a, 4)),
    ("sqrt", lambda m, a: m.sqrt(m.abs(a))),
    ("asin", lambda m, a: m.asin(a * 0)),
    ("log2", lambda m, a: m.log2(m.abs(a) + 1)),
    ("reciprocal", lambda m, a: m.reciprocal(a + 10)),
    ("pow_float", lambda m, a: m.abs(a) ** 0.5),
    ("rpow", lambda m, a: 2.0**a),
    ("and", lambda m, a: a & 6),
    ("or", lambda m, a: a | 6),
    ("xor", lambda m, a: a ^ 5),
    ("rand", lambda m, a: 6 & a),
    ("invert", lambda m, a: ~a),
    ("lshift", lambda m, a: a << 2),
    ("rshift", lambda m, a: a >> 1),
    ("and_tensor", lambda m, a: a & a.flip(0)),
    ("isclose", lambda m, a: m.isclose(a, a + 1, atol=1)),
]


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8"])
@pytest.mark.parametrize("name, fn", INT_CASES, ids=[c[0] for c in INT_CASES])
def test_integer_inputs_match_pytorch_dtypes(name, fn, dtype):
    torch = pytest.importorskip("torch")
    a = np.array([-7, -3, 0, 2, 5, 9], dtype=np.int64)
    if dtype == "uint8":
        if name in ("sign", "invert", "mod_op", "div", "asin"):
            pytest.skip("negative values")
        a = np.abs(a)
    a = a.astype(dtype)
    got = fn(ag, ag.Tensor(a))
    want = fn(torch, torch.tensor(a))
    want = want.numpy()
    if name == "pow_float" and got.dtype == np.float32:  # int ** float: the default float, both
        assert want.dtype == np.float32
    assert got.dtype == want.dtype, f"{name}: {got.dtype} vs PyTorch {want.dtype}"
    np.testing.assert_allclose(got.data, want, rtol=1e-6)


@pytest.mark.parametrize(
    "name",
    ["isinf", "isnan", "isfinite", "isposinf", "isneginf", "logical_not"],
)
def test_value_tests_match_pytorch(name):
    torch = pytest.importorskip("torch")
    a = np.array([1.0, -np.inf, np.inf, np.nan, 0.0, -2.0])
    np.testing.assert_array_equal(getattr(ag, name)(ag.Tensor(a)).data, getattr(torch, name)(torch.tensor(a)).numpy())


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor", "eq", "ne", "lt", "le", "gt", "ge"])
def test_binary_predicates_broadcast_like_pytorch(name):
    torch = pytest.importorskip("torch")
    a, b = np.array([[0.0, 1.0, 2.0]]), np.array([[0.0], [2.0]])
    got = getattr(ag, name)(ag.Tensor(a), ag.Tensor(b))
    want = getattr(torch, name)(torch.tensor(a), torch.tensor(b))
    assert got.dtype == np.bool_ and got.shape == tuple(want.shape)
    np.testing.assert_array_equal(got.data, want.numpy())


def test_isclose_allclose_equal():
    a = ag.Tensor([1.0, 2.0, np.nan])
    b = ag.Tensor([1.0 + 1e-9, 2.1, np.nan])
    assert ag.isclose(a, b).tolist() == [True, False, False]
    assert ag.isclose(a, b, equal_nan=True).tolist() == [True, False, True]
    assert ag.allclose(a[:1], b[:1]) is True and ag.allclose(a, b) is False
    assert ag.equal(ag.Tensor([1, 2]), ag.Tensor([1, 2])) and not ag.equal(ag.Tensor([1, 2]), ag.Tensor([1]))


def test_bitwise_keeps_integer_dtypes_and_bools_stay_logical():
    a = ag.Tensor(np.array([12, 10], dtype=np.int32))
    for out in (a & a, a | 3, a ^ a, ~a, a << 1, a >> 1, 3 | a):
        assert out.dtype == np.int32
    assert (a & ag.Tensor(np.array([1, 2], dtype=np.int64))).dtype == np.int64
    m = ag.Tensor([True, False])
    assert (m & True).dtype == np.bool_ and (~m).tolist() == [False, True] and (m ^ m).tolist() == [False, False]


def test_bitwise_on_floats_is_refused_with_a_hint():
    x = ag.Tensor([1.0, 2.0])
    for fn in (lambda: x & x, lambda: x | 1, lambda: ~x, lambda: x ^ x, lambda: x << 1):
        with pytest.raises(TypeError, match="integer and bool"):
            fn()


def test_int_tensor_to_a_float_power_is_the_default_float():
    assert (ag.Tensor([1, 2]) ** 0.5).dtype == np.float32
    ag.set_default_dtype(np.float64)
    assert (ag.Tensor([1, 2]) ** 0.5).dtype == np.float64
    assert (ag.Tensor([1, 2]) ** 2).dtype == np.int64


def test_integer_division_by_zero_is_an_error():
    with pytest.raises(ZeroDivisionError, match="floor_divide"):
        ag.Tensor([1, 2]) // 0
    with pytest.raises(ZeroDivisionError, match="remainder"):
        ag.Tensor([1, 2]) % ag.Tensor([1, 0])


def test_rounding_has_a_zero_gradient_and_stays_in_the_graph():
    x = ag.Tensor([1.5, -2.5], requires_grad=True)
    y = ag.floor(x) + ag.round(x) + ag.sign(x) + ag.trunc(x) + ag.ceil(x) + x // 2
    assert y.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


def test_log2_and_exp2_are_exact_on_powers_of_two():
    assert ag.log2(ag.Tensor([1.0, 8.0, 1024.0])).tolist() == [0.0, 3.0, 10.0]
    assert ag.exp2(ag.Tensor([3.0, -1.0])).tolist() == [8.0, 0.5]


def test_logaddexp_is_stable_at_large_magnitudes_and_infinities():
    a = ag.Tensor(np.array([1000.0, -np.inf, -1000.0]), requires_grad=True)
    b = ag.Tensor(np.array([1000.0, -np.inf, 5.0]))
    out = ag.logaddexp(a, b)
    np.testing.assert_allclose(out.data, np.logaddexp(a.data, b.data))
    out[np.array([0, 2])].sum().backward()
    np.testing.assert_allclose(a.grad.data, [0.5, 0.0, 0.0])


def test_div_rejects_an_unknown_rounding_mode():
    with pytest.raises(ValueError, match="rounding_mode"):
        ag.div(ag.Tensor([1.0]), 2, rounding_mode="ceil")


def test_xlogy_is_zero_where_x_is_zero_even_at_y_zero():
    x = ag.Tensor([0.0, 0.0, 1.0], requires_grad=True)
    y = ag.Tensor([0.0, np.inf, 2.0], requires_grad=True)
    out = ag.xlogy(x, y)
    assert out.tolist()[:2] == [0.0, 0.0]
    out.sum().backward()
    assert np.isfinite(x.grad.data).all() and np.isfinite(y.grad.data).all()
