"""In-place safety: modifying what backward needs is an error, never a wrong gradient."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor, no_grad

MODIFIED = r"modified by an in-place operation"


def leaf(*values):
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True)


# ------------------------------------------------------------------ detected at backward
@pytest.mark.parametrize(
    "modify",
    [
        lambda t: t.__iadd__(1.0),
        lambda t: t.__isub__(Tensor([1.0, 1.0])),
        lambda t: t.__imul__(2.0),
        lambda t: t.__itruediv__(2.0),
        lambda t: t.__setitem__(0, 5.0),
        lambda t: t.__setitem__(slice(None), Tensor([3.0, 4.0])),
        lambda t: t.__setitem__(np.array([True, False]), 0.0),
    ],
    ids=["iadd", "isub", "imul", "idiv", "setitem_int", "setitem_slice", "setitem_mask"],
)
@pytest.mark.parametrize(
    "saver",
    [
        lambda h: h * h,  # saves its inputs
        lambda h: h.log(),  # saves its input
        lambda h: h @ h,
        lambda h: h.max(),
    ],
    ids=["mul", "log", "matmul", "max"],
)
def test_modifying_a_saved_input_raises_at_backward(modify, saver):
    x = leaf(1.0, 2.0)
    h = x * 1.5
    y = saver(h)
    modify(h)
    with pytest.raises(RuntimeError, match=MODIFIED) as e:
        y.sum().backward()
    assert "input" in str(e.value) and "x = x + y" in str(e.value)


@pytest.mark.parametrize("op", ["exp", "sqrt", "tanh", "sigmoid", "softmax", "log_softmax"])
@pytest.mark.parametrize("modify", ["iadd", "setitem"])
def test_modifying_a_saved_output_raises_at_backward(op, modify):
    x = leaf(0.5, 1.0)
    y = getattr(x, op)()
    if modify == "iadd":
        y += 1
    else:
        y[0] = 5.0
    with pytest.raises(RuntimeError, match=MODIFIED) as e:
        y.sum().backward()
    assert f"'{op}'" in str(e.value) and "output" in str(e.value)


def test_modification_under_no_grad_is_also_detected():
    x = leaf(0.5, 1.0)
    h = x * 1.0
    y = (h * h).sum()
    with no_grad():
        h *= 3
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.backward()


def test_modification_through_a_view_or_detached_alias_is_detected():
    x = leaf(0.5, 1.0, 2.0)
    y = x.exp()  # saves its output
    v = y[1:]  # a view of it
    with no_grad():
        v += 1
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()

    x2 = leaf(0.5, 1.0)
    y2 = x2.exp()
    d = y2.detach()
    d += 1  # shares y2's data
    with pytest.raises(RuntimeError, match=MODIFIED):
        y2.sum().backward()


def test_modification_after_retained_backward_is_detected_on_the_next():
    x = leaf(0.5, 1.0)
    h = x * 1.0
    y = (h * h).sum()
    y.backward(retain_graph=True)
    with no_grad():
        h += 1
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.backward()


def test_error_names_the_users_line_under_anomaly_detection():
    x = leaf(0.5, 1.0)
    with ag.detect_anomaly():
        h = x * 1.0
        y = h.exp()  # the line that created the op
        h2 = y
        h2 += 1
    with pytest.raises(RuntimeError, match=MODIFIED) as e:
        y.sum().backward()
    assert "test_inplace.py" in str(e.value) and "y = h.exp()" in str(e.value)


# ------------------------------------------------------------------ allowed, with correct gradients
def test_inplace_on_values_nobody_saved_is_recorded_correctly():
    x = leaf(1.0, 2.0)
    h = x * 2  # mul saves x, not its output h
    h += x  # add saves nothing
    h *= 3  # mul saves its inputs: a snapshot of h, taken before the write
    h.sum().backward()
    np.testing.assert_allclose(h.data, 9 * x.data)
    np.testing.assert_allclose(x.grad.data, [9.0, 9.0])
    assert h.grad_fn.op.name == "mul" and not h.is_leaf


def test_item_assignment_of_a_tensor_that_requires_grad():
    x, v = leaf(1.0, 2.0, 3.0), Tensor(np.float64(10.0), requires_grad=True)
    buf = ag.zeros(3, dtype=np.float64)  # a plain tensor: becomes part of the graph
    buf[1] = v * 2
    buf += x * x
    (buf * Tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_allclose(buf.data, [1.0, 24.0, 9.0])
    np.testing.assert_allclose(x.grad.data, 2 * x.data * [1.0, 2.0, 3.0])
    np.testing.assert_allclose(v.grad.data, 4.0)


def test_overwritten_entries_get_no_gradient():
    x = leaf(1.0, 2.0, 3.0)
    h = x * 1
    h[np.array([0, 2])] = 0.0
    (h * h).sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 4.0, 0.0])


def test_in_place_on_a_view_while_recording_is_refused():
    x = leaf(1.0, 2.0, 3.0)
    h = x * 1
    v = h[:2]
    with pytest.raises(RuntimeError, match="view"):
        v += 1


# ------------------------------------------------------------------ leaves
@pytest.mark.parametrize(
    "modify", [lambda w: w.__iadd__(1.0), lambda w: w.__imul__(2.0), lambda w: w.__setitem__(0, 1.0)]
)
def test_leaf_requiring_grad_in_place_raises_immediately(modify):
    w = leaf(1.0, 2.0)
    with pytest.raises(RuntimeError, match=r"leaf Tensor that requires grad.*in-place.*no_grad"):
        modify(w)
    np.testing.assert_array_equal(w.data, [1.0, 2.0])  # untouched


def test_in_place_under_no_grad_works_like_an_optimizer_step():
    w = leaf(1.0, 2.0)
    for _ in range(3):
        loss = ((w - 5.0) ** 2).sum()
        loss.backward()
        with no_grad():
            w -= 0.25 * w.grad
            w[0] = w[0] * 1.0
        w.zero_grad()
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    np.testing.assert_allclose(w.data, 5.0 - (5.0 - np.array([1.0, 2.0])) * 0.5**3)


def test_writes_to_data_stay_outside_the_graph():
    w = leaf(1.0, 2.0)
    w.data[0] = 7.0
    w.data -= 1.0
    w.data = np.array([3.0, 4.0])
    assert w.is_leaf and w.grad_fn is None and w.requires_grad and w.version == 0
    y = (w * w).sum()
    y.backward()
    np.testing.assert_allclose(w.grad.data, [6.0, 8.0])
    h = w * 1
    h.data += 1  # not recorded, not a version bump
    assert h.grad_fn.op.name == "mul" and h.version == 0


def test_version_counter_counts_in_place_writes():
    t = Tensor([1.0, 2.0])
    v0 = t.version
    t += 1
    t[0] = 3.0
    assert t.version > v0
    assert t.detach().version == t.version


def test_in_place_keeps_dtype_and_identity():
    t = Tensor(np.array([1.0, 2.0], np.float32))
    ident = id(t.data)
    t *= 2.5
    t += np.float64(1.0)
    assert t.dtype == np.float32 and id(t.data) == ident
    np.testing.assert_allclose(t.data, [3.5, 6.0])
    s = Tensor(2.0)
    s += 1
    assert s.item() == 3.0 and s.shape == ()


@pytest.mark.parametrize(
    "modify, expected",
    [
        (lambda h: h.__imul__(h), lambda a: 2 * a),  # d/dx x^2
        (lambda h: h.__imul__(h[::-1]), lambda a: 2 * a[::-1]),  # x_i * x_(n-1-i)
        (lambda h: h.__imul__(h.data), lambda a: a),  # the raw array is a constant
        (lambda h: h.__imul__(h.detach()), lambda a: a),
        (lambda h: h.__itruediv__(h + 1), lambda a: 1 / (a + 1) ** 2),  # not aliased: still right
    ],
    ids=["h*=h", "h*=h[::-1]", "h*=h.data", "h*=h.detach()", "h/=h+1"],
)
def test_in_place_with_an_operand_aliasing_the_target(modify, expected):
    a = np.array([1.0, 2.0, 3.0])
    x = Tensor(a, requires_grad=True)
    h = x * 1
    modify(h)
    h.sum().backward()
    np.testing.assert_allclose(x.grad.data, expected(a))


def test_in_place_with_an_aliasing_leaf_operand_is_refused():
    w = leaf(1.0, 2.0)
    d = w.detach()
    with pytest.raises(RuntimeError, match="shares memory"):
        d *= w


def test_modifying_a_saved_constant_is_detected():
    x, c = leaf(1.0, 2.0), Tensor([3.0, 4.0])
    y = (x * c).sum()
    c += 1
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.backward()


# ------------------------------------------------------------------ only what the running rules read
def _linear_setup(x_requires_grad: bool):
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=x_requires_grad)
    w, b = Tensor(rng.standard_normal((2, 3)), requires_grad=True), Tensor(np.zeros(2), requires_grad=True)
    return x, w, b


def test_updating_a_weight_no_rule_reads_is_allowed():
    """linear's weight and bias rules read the input, not the weight: with an input that needs no
    gradient, updating the weight between forward and backward changes nothing (as in PyTorch)."""
    x, w, b = _linear_setup(False)
    y = (ag.linear(x, w, b) ** 2).sum()
    expected = 2 * (x.numpy() @ w.numpy().T + b.numpy())  # dy/dout, from the values of the forward
    with no_grad():
        w -= 0.5
        b += 1.0
    y.backward()
    np.testing.assert_allclose(w.grad.numpy(), expected.T @ x.numpy())
    np.testing.assert_allclose(b.grad.numpy(), expected.sum(0))


def test_step_then_a_second_backward_through_a_retained_graph():
    import nn

    ag.manual_seed(0)
    layer = nn.Linear(3, 2)
    opt = nn.optim.SGD(layer.parameters(), lr=0.1)
    x = Tensor(np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32))
    loss = (layer(x) ** 2).sum()
    loss.backward(retain_graph=True)
    first = [p.grad.numpy().copy() for p in layer.parameters()]
    opt.step()
    loss.backward()  # the same graph, the same saved values: the gradients add up again
    for p, g in zip(layer.parameters(), first):
        np.testing.assert_allclose(p.grad.numpy(), 2 * g)


def test_grad_of_the_weight_alone_ignores_the_input_rule():
    """``grad`` runs only the rules on the way to its inputs: the input's rule (which reads the
    weight) doesn't run when only the weight's gradient is asked for."""
    x, w, b = _linear_setup(True)
    y = ag.linear(x, w, b).sum()
    with no_grad():
        w *= 2.0
    (gw,) = ag.grad(y, w, retain_graph=True)
    np.testing.assert_allclose(gw.numpy(), np.broadcast_to(x.numpy().sum(0), (2, 3)))
    with pytest.raises(RuntimeError, match=MODIFIED):
        ag.grad(y, x)  # x's rule reads the (changed) weight


@pytest.mark.parametrize("x_requires_grad", [True, False])
def test_updating_a_weight_a_running_rule_reads_still_raises(x_requires_grad):
    """The input's gradient needs the weight (dx = g @ w): after an update it must raise; so must a
    deeper layer's, whose input is an earlier layer's output."""
    x, w, b = _linear_setup(x_requires_grad)
    w2 = Tensor(np.ones((1, 2)), requires_grad=True)
    y = ag.linear(ag.linear(x, w, b).tanh(), w2).sum()
    target = w if x_requires_grad else w2
    with no_grad():
        target -= 0.5
    with pytest.raises(RuntimeError, match=MODIFIED) as e:
        y.backward()
    assert "linear" in str(e.value)


def test_saved_output_is_checked_only_when_a_rule_reads_it():
    x = leaf(0.5, 1.0)
    y = x.exp()  # its rule reads its output
    z = y + 1  # add's rules read nothing
    y += 1.0
    with pytest.raises(RuntimeError, match="its output"):
        z.sum().backward()
    u = leaf(0.5, 1.0)
    v = u * 2.0
    s = (v + 1).sum()
    v += 1.0  # v was saved by nothing that needs it
    s.backward()
    np.testing.assert_allclose(u.grad.numpy(), [2.0, 2.0])
