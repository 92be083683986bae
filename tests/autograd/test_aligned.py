"""autograd.aligned: 64-byte-aligned storage for the Tensors graphgrad builds from data."""

import numpy as np
import pytest

import autograd as ag
from autograd import aligned


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


@pytest.mark.parametrize("shape", [(1024,), (128, 784), (3, 5, 7, 11), (4097,)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.uint8, np.bool_])
def test_empty_is_aligned_c_contiguous_and_writable(shape, dtype):
    for _ in range(5):  # several allocations: malloc's placement varies
        a = aligned.empty(shape, dtype)
        if a.nbytes >= aligned.MIN_BYTES:
            assert _address(a) % aligned.ALIGNMENT == 0
        assert a.shape == shape and a.dtype == np.dtype(dtype)
        assert a.flags.c_contiguous and a.flags.writeable


def test_small_arrays_are_plain():
    a = aligned.empty((3, 4), np.float32)
    assert a.base is None and a.shape == (3, 4)


def test_copy_keeps_values_and_memory_order_and_owns_its_memory():
    rng = np.random.default_rng(0)
    c = rng.standard_normal((64, 48))
    f = np.asfortranarray(c)
    strided = c[::2, ::-1]
    for src in (c, f, strided):
        out = aligned.copy(src)
        assert _address(out) % aligned.ALIGNMENT == 0
        np.testing.assert_array_equal(out, src)
        assert not np.shares_memory(out, src)
        assert out.flags.writeable
    assert aligned.copy(f).flags.f_contiguous and aligned.copy(c).flags.c_contiguous
    assert aligned.copy(strided).strides == np.array(strided).strides  # as NumPy's copy lays it out


def test_copy_casts_as_astype():
    x = np.linspace(-3.7, 3.7, 2048)
    for dtype in (np.float32, np.int32, np.int64, np.bool_):
        out = aligned.copy(x, dtype)
        assert out.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(out, x.astype(dtype))


def test_zeros_like():
    z = aligned.zeros_like(np.ones((100, 30), np.float32))
    assert z.dtype == np.float32 and z.shape == (100, 30) and not z.any()
    assert _address(z) % aligned.ALIGNMENT == 0


def test_tensor_storage_is_an_aligned_copy():
    rng = np.random.default_rng(1)
    for data in (rng.standard_normal((128, 784)).astype(np.float32), np.asfortranarray(np.ones((40, 40))),
                 [[0.5] * 2000], np.arange(5000)):  # fmt: skip
        t = ag.Tensor(data)
        assert _address(t.data) % aligned.ALIGNMENT == 0
        np.testing.assert_array_equal(t.data, np.asarray(data, dtype=t.dtype))
        if isinstance(data, np.ndarray):
            assert not np.shares_memory(t.data, data)  # a Tensor owns its data, as before
            assert t.data.flags.f_contiguous == data.flags.f_contiguous
    assert ag.Tensor([[0.5] * 2000]).dtype == np.float32  # the dtype rules are unchanged
    t = ag.Tensor(np.ones(3000), dtype=np.float32)
    assert t.dtype == np.float32 and _address(t.data) % aligned.ALIGNMENT == 0


def test_tensor_of_unsupported_dtype_still_names_it():
    with pytest.raises(TypeError, match="unsupported dtype complex128"):
        ag.Tensor(np.ones(3), dtype=complex)
    with pytest.raises(TypeError, match="unsupported dtype <U1"):
        ag.Tensor(np.array(["a"]))


def test_gradients_through_aligned_tensors():
    rng = np.random.default_rng(2)
    w = ag.Tensor(rng.standard_normal((64, 64)), requires_grad=True)
    x = ag.Tensor(rng.standard_normal((8, 64)))
    (x @ w).sum().backward()
    np.testing.assert_allclose(w.grad.data, np.repeat(x.data.sum(0)[:, None], 64, axis=1))
