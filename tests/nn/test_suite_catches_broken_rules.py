"""The suite's gradient checks can fail: break a derivative rule in ``autograd.ops`` and the
module gradchecks (and the op self-test) that cover it must fail, with or without PyTorch.

Each case replaces one rule of one primitive (scaled, zeroed or negated), runs the suite's own
test functions that exercise it, and expects every one of them to fail; before breaking, the
same functions must pass, so a crash cannot pass for a caught rule.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import test_conv
import test_layers
import test_rnn
from _nn_testing import module_gradcheck

import autograd as ag
import nn
from autograd import ops
from autograd.gradcheck import GradcheckError
from autograd.gradcheck.cases import check_op


def _scaled(rule: Callable, factor: float) -> Callable:
    return lambda *args, **kw: factor * rule(*args, **kw)


def _break(monkeypatch: pytest.MonkeyPatch, op_name: str, i: int, factor: float) -> None:
    """Multiply the rule for input ``i`` of ``ops.<op_name>`` by ``factor`` (0: zeroed, -1: sign flipped)."""
    op = getattr(ops, op_name)
    rules = list(op.vjps)
    rules[i] = _scaled(rules[i], factor)
    monkeypatch.setattr(op, "vjps", tuple(rules))
    monkeypatch.setattr(op, "batched_vjps", None)  # (linear's deferred weight rule: use the broken one)


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


# (op, input, factor, the suite's tests that cover that rule, without PyTorch)
CASES: list[tuple[str, int, float, list[Callable[[], Any]]]] = [
    # linear's weight rule x7 and bias rule x5: Linear's module gradcheck and the RNN cells'
    ("linear", 1, 7.0, [lambda: test_layers.test_linear_gradcheck(_rng()),
                        lambda: test_rnn.test_cell_gradcheck(_rng(), "RNNCell"),
                        lambda: test_rnn.test_layer_gradcheck(_rng(), "GRU", {"num_layers": 2, "batch_first": True})]),
    ("linear", 2, 5.0, [lambda: test_layers.test_linear_gradcheck(_rng())]),
    # embedding reads rows with getitem: its rule zeroed
    ("getitem", 0, 0.0, [lambda: test_layers.test_embedding_init_gradcheck_and_errors(_rng())]),
    # a convolution's weight goes through addmm (with bias) or matmul: sign flipped
    ("addmm", 1, -1.0, [lambda: test_conv.test_conv2d_module_gradcheck(_rng())]),
    ("matmul", 1, -1.0, [lambda: test_conv.test_conv2d_second_derivatives(_rng()),
                         lambda: test_conv.test_pool_modules_gradcheck(_rng())]),  # (adaptive pooling)
    # the input side of a convolution and of pooling: the window view's rule
    ("sliding_window", 0, 2.0, [lambda: test_conv.test_conv2d_module_gradcheck(_rng()),
                                lambda: test_conv.test_pool_modules_gradcheck(_rng())]),
    # sigmoid inside the LSTM cell: sign flipped
    ("sigmoid", 0, -1.0, [lambda: test_rnn.test_cell_gradcheck(_rng(), "LSTMCell")]),
    # the GRU's fused gates: each input's rule (pre-activations, the input's n share, the state)
    ("gru_gates", 0, -1.0, [lambda: test_rnn.test_cell_gradcheck(_rng(), "GRUCell"),
                            lambda: test_rnn.test_layer_gradcheck(_rng(), "GRU", {"num_layers": 2})]),
    ("gru_gates", 1, 0.0, [lambda: test_rnn.test_cell_gradcheck(_rng(), "GRUCell")]),
    ("gru_gates", 2, 2.0, [lambda: test_rnn.test_cell_gradcheck(_rng(), "GRUCell"),
                           lambda: test_rnn.test_layer_gradcheck(_rng(), "GRU", {"num_layers": 2})]),
    # BatchNorm's normalisation, (var + eps) ** -0.5: the power's rule doubled
    ("powc", 0, 2.0, [lambda: test_layers.test_batchnorm_gradcheck(_rng())]),
    ("gather", 0, 0.0, []),  # the op self-test only
]  # fmt: skip


# (localising a failure rechecks single ops at perturbed points, where LP pooling may meet nan)
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("op_name, i, factor, suite_tests", CASES, ids=[f"{c[0]}-{c[1]}x{c[2]:g}" for c in CASES])
def test_broken_rule_fails_the_suite(monkeypatch, op_name, i, factor, suite_tests):
    monkeypatch.setitem(sys.modules, "torch", None)  # as on a machine without PyTorch
    assert check_op(op_name, second=False)[0], f"ops.{op_name}'s self-test fails before any rule is broken"
    for run in suite_tests:
        run()  # passes with the real rules
    _break(monkeypatch, op_name, i, factor)
    ok, _, _, _, problem = check_op(op_name, second=False)
    assert not ok, f"the self-test of ops.{op_name} passed with input {i}'s rule multiplied by {factor}"
    for k, run in enumerate(suite_tests):
        try:
            run()
        except (AssertionError, GradcheckError):
            continue  # noticed
        pytest.fail(f"suite test {k} for ops.{op_name} passed with input {i}'s rule multiplied by {factor}")


def test_module_gradcheck_checks_the_parameters_forward_reads(rng):
    """A module whose own parameter gradient is wrong (its Function's backward) fails the helper."""

    class WrongScale(ag.Function):
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(x, w)
            return x * w

        @staticmethod
        def backward(ctx, g):
            x, w = ctx.saved_tensors
            return g * w, 3 * (g * x).sum(0)  # the weight's gradient is 3x too large

    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(np.ones(3))

        def forward(self, x):
            return WrongScale.apply(x, self.w)

    x = ag.Tensor(rng.standard_normal((2, 3)))  # no grad: only the parameter is checked
    with pytest.raises(GradcheckError, match="w"):
        module_gradcheck(Scale(), x)
