"""Blocked products (``autograd.blas``): the same values as ``@`` whatever the shapes and layouts."""

from __future__ import annotations

import numpy as np
import pytest

from autograd import blas


@pytest.mark.parametrize(
    "m, k, n",
    [(6, 50176, 25), (16, 6400, 150), (3, 8209, 4), (3, 24577, 4), (200, 20000, 200), (1, 1 << 15, 1)],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_same_values_as_the_plain_product(rng, m, k, n, dtype):
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((n, k)).astype(dtype).T  # a transposed view, as in a weight gradient
    out = blas.matmul(a, b)
    assert out.shape == (m, n) and out.dtype == dtype
    expected = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_allclose(out, expected, rtol=1e-4 if dtype == np.float32 else 1e-10, atol=1e-3)


def test_blocks_are_equal_and_near_the_aimed_length():
    assert blas._blocks(50176) == 28  # 1,792 each
    assert blas._blocks(8209) is None  # a prime: no equal split, one plain product
    for k in (8192, 12288, 50176, 65536, 100000):
        c = blas._blocks(k)
        assert c is not None and k % c == 0 and 1024 <= k // c <= 4096


# ---------------------------------------------------------------------------- axpy
def _expected(alpha, x, y):
    """y + alpha * x computed in float64, then rounded to y's dtype (what a fused update gives)."""
    return (y.astype(np.float64) + np.float64(np.asarray(alpha, y.dtype)) * x.astype(np.float64)).astype(y.dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(256, 784), (5000,), (10,), (3, 0), (64, 64, 2)])
def test_axpy_updates_in_place(rng, dtype, shape):
    x, y = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    before, buffer = y.copy(), y
    blas.axpy(-0.1, x, y)
    assert y is buffer and y.dtype == dtype
    # fused or not, within a rounding or two of the exact result
    exact = before.astype(np.float64) - 0.1 * x.astype(np.float64)
    scale = np.abs(before.astype(np.float64)) + np.abs(0.1 * x.astype(np.float64))
    assert (np.abs(y - exact) <= 2 * np.finfo(dtype).eps * scale).all()


def test_axpy_uses_blas_where_it_can():
    """Where NumPy's OpenBLAS is found (Linux wheels), large float arrays go through it: the
    fused product-and-sum differs from NumPy's two roundings somewhere in a large array."""
    if blas._blas_axpy("f") is None:
        pytest.skip("no OpenBLAS in this process (NumPy built with another BLAS)")
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(1 << 16).astype(np.float32), rng.standard_normal(1 << 16).astype(np.float32)
    numpy_way = y - np.float32(0.1) * x
    fused = y.copy()
    blas.axpy(-0.1, x, fused)
    assert (fused != numpy_way).any()
    np.testing.assert_array_equal(fused, _expected(-0.1, x, y))


@pytest.mark.parametrize(
    "case", ["strided", "transposed", "other dtype", "other shape", "overlap", "same array", "float16", "int"]
)
def test_axpy_falls_back_to_numpy_with_the_same_result(rng, case):
    """Layouts BLAS can't take (or mustn't: overlapping memory) give NumPy's in-place result."""
    y = rng.standard_normal((128, 64)).astype(np.float32)
    x = rng.standard_normal((128, 64)).astype(np.float32)
    if case == "strided":
        y, x = rng.standard_normal((128, 128)).astype(np.float32)[:, ::2], x
    elif case == "transposed":
        x = np.ascontiguousarray(x.T).T
    elif case == "other dtype":
        x = x.astype(np.float64)
    elif case == "other shape":
        x = x[:1]  # broadcast
    elif case == "overlap":
        base = rng.standard_normal(128 * 64 + 1).astype(np.float32)
        y, x = base[1:].reshape(128, 64), base[:-1].reshape(128, 64)
    elif case == "same array":
        x = y
    elif case == "float16":
        y, x = y.astype(np.float16), x.astype(np.float16)
    else:
        y, x = (y * 100).astype(np.int64), (x * 100).astype(np.int64)
    if case == "int":
        with pytest.raises(TypeError):  # as NumPy's y += -0.5 * x: a float result can't go into ints
            blas.axpy(-0.5, x, y)
        return
    expected = y.copy()
    expected += -0.5 * x
    if case == "same array":
        expected = y * np.asarray(0.5, y.dtype)
    blas.axpy(-0.5, x, y)
    np.testing.assert_allclose(y, expected, rtol=2 * np.finfo(y.dtype).eps)


def test_axpy_finds_numpys_openblas_among_others():
    """SciPy brings its own OpenBLAS (32-bit integers, other symbol names): NumPy's is still the one bound."""
    pytest.importorskip("scipy.linalg")
    if blas._blas_axpy("f") is None:
        pytest.skip("no OpenBLAS in this process (NumPy built with another BLAS)")
    fn = blas._blas_axpy.__wrapped__("f")  # looked up again, now with SciPy's library loaded too
    assert fn is not None and fn.__name__.endswith("axpy64_")
