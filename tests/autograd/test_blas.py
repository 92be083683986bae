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
