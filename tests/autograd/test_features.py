"""Recently added engine features: no malloc tuning on import (and the explicit opt-in), intermediate-gradient retention
and ``record_gradients``, the public ``gather``, ``flatten`` returning its input, integer true
division, the public ``apply``, and ops that keep a residual for their rules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor, graph

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _restore_record_gradients():
    """``record_gradients`` is a global switch: start each test from the default (off), restore it after."""
    previous = graph._switches()
    graph._RECORD_GRADS.set(False)
    yield
    graph._restore_switches(previous)


# =============================================================== allocator
# A loop that allocates and frees 16 arrays of 2 MiB (their pages written): with glibc's defaults
# the freed heap top is given back every iteration and the next one faults its pages in again;
# with malloc tuned to keep freed memory, almost no page faults.
_FAULTS = """
import resource, sys
import numpy as np
if sys.argv[1] == "import":
    import autograd
elif sys.argv[1] == "tuned":
    import autograd.allocator
    autograd.allocator.keep_freed_memory()
def loop(n):
    for _ in range(n):
        arrays = [np.ones(1 << 18) for _ in range(16)]
        del arrays
loop(3)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
loop(20)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _page_faults(mode: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}  # glibc's own settings
    proc = subprocess.run(
        [sys.executable, "-c", _FAULTS, mode], env=env, cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout.strip())


@pytest.mark.skipif(sys.platform == "win32", reason="the resource module (page-fault counts) is POSIX only")
def test_import_leaves_malloc_behaviour_unchanged():
    """``import autograd`` must not tune the process's malloc: the loop faults as often with it as
    without it (same order of magnitude), where the explicit opt-in makes it fault far less."""
    plain, imported, tuned = _page_faults("plain"), _page_faults("import"), _page_faults("tuned")
    if tuned * 10 > plain:
        pytest.skip(f"this C library reuses freed memory anyway (faults {plain} plain, {tuned} tuned)")
    assert imported * 10 > plain, (plain, imported, tuned)


def test_import_applies_nothing():
    code = "import autograd, autograd.allocator as a; print(a.applied())"
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_allocator_settings_are_the_documented_values():
    assert ag.allocator.settings() == {"mmap_threshold": 32 << 20, "trim_threshold": 1 << 30}


# =============================================================== gradient retention
def _tanh_square(n: int, seed: int = 0) -> tuple[Tensor, Tensor, Tensor]:
    """x -> h = tanh(x) -> loss = sum(h * h): dloss/dh = 2h, dloss/dx = 2h(1 - h^2)."""
    x = Tensor(np.random.default_rng(seed).standard_normal(n), requires_grad=True)
    h = x.tanh()
    return x, h, (h * h).sum()


def test_keep_grads_threshold_is_4096():
    assert graph.KEEP_GRADS_UPTO == 4096


@pytest.mark.parametrize("n", [1, 64, 4096])
def test_small_intermediate_keeps_its_output_gradient(n):
    x, h, loss = _tanh_square(n)
    loss.backward()
    hd = h.data
    # h is used twice (h * h): the node holds the total gradient of its output, 2h
    np.testing.assert_allclose(h.grad_fn.grad, 2 * hd, rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), 2 * hd * (1 - hd**2), rtol=1e-12)
    assert float(loss.grad_fn.grad) == 1.0  # the root's gradient is the seed
    with pytest.warns(UserWarning, match="not a leaf"):
        assert h.grad is None  # a non-leaf Tensor's own .grad stays None (as PyTorch) without retain_grad


def test_kept_gradient_matches_finite_differences():
    # loss = sum(sin(x * w)); the node of u = x * w gets dloss/du, checked numerically in u
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal(5), requires_grad=True)
    w = rng.standard_normal(5)
    u = x * w
    u.sin().sum().backward()
    ud, eps = u.data, 1e-6
    numeric = [(np.sin(ud + eps * e).sum() - np.sin(ud - eps * e).sum()) / (2 * eps) for e in np.eye(5)]
    np.testing.assert_allclose(u.grad_fn.grad, numeric, rtol=1e-7)


def test_node_grad_is_from_the_last_backward_not_accumulated():
    x, h, loss = _tanh_square(10)
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(h.grad_fn.grad, 2 * h.data, rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), 2 * 2 * h.data * (1 - h.data**2), rtol=1e-12)  # leaves accumulate


@pytest.mark.parametrize("n", [4097, 10_000])
def test_large_intermediate_gradient_is_dropped_outside_record_gradients(n):
    x, h, loss = _tanh_square(n)
    loss.backward()
    assert h.grad_fn.grad is None
    assert x.grad is not None and x.grad.shape == (n,)  # leaves always get .grad
    np.testing.assert_allclose(x.grad.numpy(), 2 * h.data * (1 - h.data**2), rtol=1e-12)


def test_record_gradients_keeps_large_intermediate_gradients():
    x, h, loss = _tanh_square(10_000)
    with ag.record_gradients():
        loss.backward()
    np.testing.assert_allclose(h.grad_fn.grad, 2 * h.data, rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), 2 * h.data * (1 - h.data**2), rtol=1e-12)


def test_record_gradients_applies_to_backward_not_to_the_forward():
    with ag.record_gradients():
        _, h, loss = _tanh_square(10_000)
    loss.backward()  # outside the block: the large gradient is not kept
    assert h.grad_fn.grad is None


def test_retain_grad_still_works_for_large_non_leaves():
    x, h, loss = _tanh_square(10_000)
    h.retain_grad()
    loss.backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.data, rtol=1e-12)


def test_record_gradients_restores_the_previous_setting():
    assert graph.recording_gradients() is False
    with ag.record_gradients():
        assert graph.recording_gradients() is True
        with ag.record_gradients(False):
            assert graph.recording_gradients() is False
            _, h, loss = _tanh_square(5000)
            loss.backward()
            assert h.grad_fn.grad is None
        assert graph.recording_gradients() is True
    assert graph.recording_gradients() is False


def test_record_gradients_restores_the_previous_setting_on_exceptions():
    with pytest.raises(ZeroDivisionError):
        with ag.record_gradients():
            1 / 0  # noqa: B018
    assert graph.recording_gradients() is False
    with ag.record_gradients():
        with pytest.raises(RuntimeError, match="second time"):
            with ag.record_gradients(False):
                _, _, loss = _tanh_square(3)
                loss.backward()
                loss.backward()  # the graph was released: raises inside the block
        assert graph.recording_gradients() is True
    assert graph.recording_gradients() is False


def test_draw_grad_flow_points_to_record_gradients_when_gradients_were_dropped():
    _, _, loss = _tanh_square(5000)
    loss.backward()
    assert "record_gradients" in ag.draw(loss, grad_flow=True).source

    _, _, loss = _tanh_square(5000)
    with ag.record_gradients():
        loss.backward()
    assert "record_gradients" not in ag.draw(loss, grad_flow=True).source

    _, _, loss = _tanh_square(100)  # small: every gradient was kept anyway
    loss.backward()
    assert "record_gradients" not in ag.draw(loss, grad_flow=True).source


def test_draw_points_to_record_gradients_after_a_retaining_backward():
    _, h, loss = _tanh_square(5000)
    loss.backward(retain_graph=True)
    assert h.grad_fn.grad is None
    assert "record_gradients" in ag.draw(loss, grad_flow=True).source


def _sigmoid_net_loss() -> Tensor:
    """A loss whose Sigmoid output has 200 * 40 = 8000 elements (over KEEP_GRADS_UPTO)."""
    ag.manual_seed(0)
    net = nn.Sequential(nn.Linear(8, 40), nn.Sigmoid(), nn.Linear(40, 1))
    x = Tensor(np.random.default_rng(0).standard_normal((200, 8)).astype(np.float32))
    return net(x).sum()


def test_draw_of_a_module_graph_points_to_record_gradients():
    loss = _sigmoid_net_loss()
    loss.backward()
    assert "record_gradients" in ag.draw(loss, grad_flow=True).source


def test_collapsed_drawing_points_to_record_gradients_when_module_output_gradients_were_dropped():
    loss = _sigmoid_net_loss()
    loss.backward()
    source = ag.draw(loss, grad_flow=True, collapse=1).source
    assert "record_gradients" in source or "grad out" in source


# =============================================================== gather
_GATHER_CASES = [  # (input shape, dim, index shape, index high)
    ((4, 5), 1, (4, 3), 5),
    ((4, 5), 1, (3, 7), 5),  # smaller than the input outside dim, more picks than the input has along it
    ((4, 5), 0, (6, 5), 4),
    ((2, 3, 4), -1, (2, 3, 4), 4),
    ((2, 3, 4), 1, (1, 5, 2), 3),
    ((6,), 0, (9,), 6),
]


@pytest.mark.parametrize(("shape", "dim", "index_shape", "high"), _GATHER_CASES)
def test_gather_matches_torch(shape, dim, index_shape, high):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    data = rng.standard_normal(shape)
    index = rng.integers(0, high, index_shape)
    upstream = rng.standard_normal(index_shape)

    x = Tensor(data, requires_grad=True)
    out = ag.gather(x, dim, index)
    out.backward(upstream)

    tx = torch.tensor(data, requires_grad=True)
    tout = torch.gather(tx, dim, torch.tensor(index))
    tout.backward(torch.tensor(upstream))

    assert out.shape == tuple(tout.shape) and out.dtype == np.float64
    np.testing.assert_array_equal(out.numpy(), tout.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_gather_repeated_indices_accumulate_gradients():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = ag.gather(x, 0, np.array([0, 0, 2, 0]))
    assert out.tolist() == [1.0, 1.0, 3.0, 1.0]
    (out * Tensor([1.0, 10.0, 100.0, 1000.0])).sum().backward()
    assert x.grad.tolist() == [1011.0, 0.0, 100.0]

    y = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    ag.gather(y, 1, Tensor(np.array([[1, 1, 1], [0, 1, 0]]))).sum().backward()  # a Tensor index works too
    assert y.grad.tolist() == [[0.0, 3.0], [2.0, 1.0]]


def test_gather_first_and_second_derivatives_check_numerically():
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    index = np.array([[0, 0, 3], [2, 1, 2], [3, 3, 3]])
    fn = lambda t: ag.gather(t, 1, index) ** 2
    assert ag.gradcheck(fn, (x,))
    assert ag.gradgradcheck(fn, (x,))


def test_gather_records_a_gather_node_and_keeps_no_grad_inputs_plain():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    out = ag.gather(x, 1, np.array([[2], [0]]))
    assert out.grad_fn.op is ag.ops.gather and out.tolist() == [[2.0], [3.0]]
    plain = ag.gather(Tensor(np.arange(6.0).reshape(2, 3)), 1, np.array([[2], [0]]))
    assert plain.grad_fn is None and not plain.requires_grad


@pytest.mark.parametrize(
    ("dim", "index", "error", "pattern"),
    [
        pytest.param(1, np.zeros((2, 1)), TypeError, r"index must be integers, got float64", id="float-index"),
        pytest.param(1, np.zeros((2, 1), bool), TypeError, r"index must be integers, got bool", id="bool-index"),
        pytest.param(
            1, np.zeros(2, int), ValueError, r"index of shape \(2,\) doesn't fit input of shape \(2, 3\)", id="ndim"
        ),
        pytest.param(
            1, np.zeros((3, 1), int), ValueError, r"index of shape \(3, 1\) doesn't fit input", id="larger-outside-dim"
        ),
        pytest.param(1, np.full((2, 1), 3), IndexError, r"must be in \[0, 3\) for dim 1 of shape \(2, 3\)", id="high"),
        pytest.param(0, np.full((1, 3), 2), IndexError, r"must be in \[0, 2\) for dim 0 of shape \(2, 3\)", id="high0"),
        pytest.param(0, np.full((1, 3), -3), IndexError, r"must be in \[0, 2\)", id="too-low"),
        pytest.param(2, np.zeros((2, 1), int), IndexError, r"dim 2 is out of range for a tensor of shape", id="dim"),
    ],
)
def test_gather_errors_are_clear(dim, index, error, pattern):
    with pytest.raises(error, match=pattern):
        ag.gather(Tensor(np.ones((2, 3)), requires_grad=True), dim, index)


def test_gather_rejects_negative_indices_as_torch_and_its_error_message_say():
    with pytest.raises(IndexError, match=r"must be in \[0, 3\)"):
        ag.gather(Tensor(np.ones((2, 3))), 1, np.array([[-1], [0]]))


# =============================================================== flatten
@pytest.mark.parametrize(
    ("shape", "start", "end"),
    [((2, 3), 1, 1), ((2, 3), 1, -1), ((2, 3), -1, 1), ((2, 3, 4), 1, -2), ((5,), 0, -1), ((2, 3), 0, 0)],
)
def test_flatten_returns_the_input_when_nothing_is_merged(shape, start, end):
    x = Tensor(np.ones(shape), requires_grad=True)
    assert ag.flatten(x, start, end) is x
    assert x.flatten(start, end) is x


def test_flatten_with_dims_to_merge_makes_a_new_tensor_with_gradients():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    y = ag.flatten(x, 1, 2)
    assert y is not x and y.shape == (2, 12)
    (y * Tensor(np.arange(24.0).reshape(2, 12))).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.arange(24.0).reshape(2, 3, 4))
    z = ag.flatten(Tensor(5.0))  # 0-d: becomes 1-d, so not the input itself
    assert z.shape == (1,)


def test_nn_flatten_on_a_matrix_returns_its_input():
    x = Tensor(np.random.default_rng(0).standard_normal((4, 7)), requires_grad=True)
    assert nn.Flatten()(x) is x
    nn.Flatten()(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((4, 7)))
    images = Tensor(np.ones((4, 2, 3, 3)))
    assert nn.Flatten()(images).shape == (4, 18)


# =============================================================== integer true division
def _divisions():
    ints = Tensor(np.array([7, -8, 9]))
    return {
        "tensor/int": ints / 2,
        "int/tensor": 7 / Tensor(np.array([2, 4])),
        "tensor/tensor": ints / Tensor(np.array([2, 4, 3], dtype=np.int32)),
        "0-d": Tensor(7) / Tensor(2),
        "ndarray/tensor": np.array([7, 8]) / Tensor(np.array([2, 4])),
        "bool/bool": Tensor(np.array([True, False])) / Tensor(np.array([True, True])),
    }


def test_integer_true_division_gives_the_default_float32():
    got = _divisions()
    for label, t in got.items():
        assert t.dtype == np.float32, label
    np.testing.assert_array_equal(got["tensor/int"].numpy(), np.array([3.5, -4.0, 4.5], np.float32))
    np.testing.assert_array_equal(got["int/tensor"].numpy(), np.array([3.5, 1.75], np.float32))
    assert got["0-d"].item() == 3.5
    np.testing.assert_array_equal(got["bool/bool"].numpy(), np.array([1.0, 0.0], np.float32))


def test_integer_true_division_follows_set_default_dtype():
    ag.set_default_dtype(np.float64)
    for label, t in _divisions().items():
        assert t.dtype == np.float64, label
    assert (Tensor(np.array([1])) / 3).item() == 1 / 3  # computed in float64, not rounded through float32


def test_true_division_with_a_float_operand_keeps_promotion():
    assert (Tensor(np.array([7, 8])) / Tensor([2.0, 4.0])).dtype == np.float32  # int64 / float32
    assert (Tensor(np.array([7.0, 8.0])) / 2).dtype == np.float64  # a float64 array keeps its dtype
    ag.set_default_dtype(np.float64)
    assert (Tensor(np.array([7, 8])) / Tensor(np.array([2.0], np.float32))).dtype == np.float32


# =============================================================== apply
def test_apply_records_a_node_with_the_given_primitive():
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    y = ag.apply(ag.ops.exp, (x,))
    assert isinstance(y.grad_fn, ag.Node) and y.grad_fn.op is ag.ops.exp
    assert y.grad_fn.parents == (x,)  # a leaf that requires grad is its own parent entry
    np.testing.assert_allclose(y.numpy(), np.exp(x.data))
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(x.data))


def test_apply_passes_keyword_parameters_to_the_op():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    params = {"axis": (0,), "keepdims": False}  # primitives take normalised parameters (axis as a tuple)
    s = ag.apply(ag.ops.reduce_sum, (x,), params)
    assert s.grad_fn.op is ag.ops.reduce_sum and s.grad_fn.params == params
    assert s.tolist() == [3.0, 5.0, 7.0]
    (s * Tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]


def test_apply_chains_nodes_and_calling_an_op_on_tensors_records_too():
    x = Tensor(np.array([0.3, 0.7]), requires_grad=True)
    h = ag.ops.sin(x)  # an Op called with a Tensor records, like apply
    y = ag.apply(ag.ops.mul, (h, Tensor(np.array([2.0, 3.0]))))
    assert h.grad_fn.op is ag.ops.sin and y.grad_fn.op is ag.ops.mul
    assert y.grad_fn.parents[0] is h.grad_fn and y.grad_fn.parents[1] is None  # the constant gets no gradient
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cos(x.data) * [2.0, 3.0])


def test_apply_records_nothing_without_grad():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with ag.no_grad():
        assert ag.apply(ag.ops.exp, (x,)).grad_fn is None
    plain = ag.apply(ag.ops.exp, (Tensor(np.array([1.0, 2.0])),))
    assert plain.grad_fn is None and not plain.requires_grad
    raw = ag.ops.exp(np.array([0.0]))  # on raw arrays an op is plain NumPy
    assert type(raw) is np.ndarray and raw.tolist() == [1.0]


# =============================================================== residual ops
class _Residual:
    """x**2 whose forward also keeps 2x (the residual) for its rule; records whether the rule got it."""

    def __init__(self):
        self.seen = []

        def forward(x):
            return x * x, 2 * x

        def rule(g, ans, x, residual=None):
            self.seen.append(residual is not None)
            return g * (residual if residual is not None else 2 * x)

        self.op = ag.Op("square_keeping_double", forward, rule, saves="inputs", residual=True)


def test_residual_op_hands_its_forward_result_to_the_first_order_rule_and_frees_it():
    r = _Residual()
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    y = ag.apply(r.op, (x,))
    assert y.tolist() == [1.0, 4.0, 9.0]  # the output alone, not (output, residual)
    assert y.grad_fn.residual.tolist() == [2.0, -4.0, 6.0]
    y.sum().backward()
    assert r.seen == [True] and x.grad.tolist() == [2.0, -4.0, 6.0]
    assert y.grad_fn.residual is None  # released with the other saved values


def test_residual_op_on_raw_arrays_returns_only_the_output():
    out = _Residual().op(np.array([3.0]))
    assert type(out) is np.ndarray and out.tolist() == [9.0]


def test_residual_op_rules_compute_on_tensors_under_create_graph():
    r = _Residual()
    x = Tensor(np.array([1.5, -0.5]), requires_grad=True)
    (dx,) = ag.grad(ag.apply(r.op, (x,)).sum(), x, create_graph=True)
    assert r.seen == [False]  # no residual: it carries no graph
    dx.sum().backward()  # d/dx sum(2x) = 2
    assert dx.tolist() == [3.0, -1.0] and x.grad.tolist() == [2.0, 2.0]


def test_cross_entropy_gives_the_same_gradient_on_each_retained_backward():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((5, 4)), requires_grad=True)
    target = np.array([0, 3, 1, 1, 2])
    loss = ag.cross_entropy(x, target)
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    x.grad = None
    loss.backward()  # the rule must not have changed what the forward kept
    np.testing.assert_array_equal(x.grad.numpy(), first)
    p = np.exp(x.data) / np.exp(x.data).sum(1, keepdims=True)
    p[np.arange(5), target] -= 1
    np.testing.assert_allclose(first, p / 5, rtol=1e-12)


def test_import_installs_no_warnings_filter():
    code = (  # (NumPy installs filters of its own when it is imported: it comes first)
        "import warnings, numpy; before = list(warnings.filters); "
        "import autograd, nn, autograd.gradcheck, autograd.drawing; "
        "print(warnings.filters == before)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "True"
