"""Helpers shared by the nn layer tests: gradchecking a module's parameters, PyTorch conversion."""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor


def _owner(module: Any, dotted: str) -> tuple[Any, str]:
    *path, leaf = dotted.split(".")
    for part in path:
        module = module._modules[part]
    return module, leaf


def module_gradcheck(module: Any, *inputs: Any, call: Any = None, **kwargs: Any) -> Any:
    """``autograd.gradcheck`` of ``module(*inputs)`` w.r.t. the inputs that require grad *and*
    every parameter (they are swapped for the tensors gradcheck perturbs, then restored).

    ``call(module, *inputs)``, if given, replaces ``module(*inputs)`` (e.g. to flatten a tuple
    of outputs into one Tensor). A closure over the module passed to ``gradcheck`` with its
    parameters as inputs checks nothing: gradcheck perturbs copies, which forward never reads.
    """
    names = [n for n, _ in module.named_parameters()]
    params = [Tensor(np.asarray(p.data, dtype=np.float64), requires_grad=True, name=n)
              for n, p in module.named_parameters()]  # fmt: skip
    n_in = len(inputs)

    def fn(*args: Any) -> Any:
        saved = []
        for name, t in zip(names, args[n_in:]):
            owner, leaf = _owner(module, name)
            saved.append((owner, leaf, owner._parameters[leaf]))
            owner._parameters[leaf] = t
            # What forward reads must be the tensor gradcheck perturbs, or the check compares 0 with 0.
            assert getattr(owner, leaf) is t, f"module_gradcheck: {name} was swapped, but forward doesn't see it"
        try:
            return module(*args[:n_in]) if call is None else call(module, *args[:n_in])
        finally:
            for owner, leaf, p in saved:
                owner._parameters[leaf] = p

    return ag.gradcheck(fn, tuple(inputs) + tuple(params), **kwargs)


def torch_state(tmodule: Any) -> dict[str, np.ndarray]:
    """A PyTorch module's state_dict converted to NumPy arrays."""
    return {k: v.detach().cpu().numpy() for k, v in tmodule.state_dict().items()}


def compare_with_torch(torch: Any, ours: Any, theirs: Any, x: np.ndarray, rng: np.random.Generator, tol: dict) -> Any:
    """Run ``ours`` and ``theirs`` on ``x``; assert the same output and, for one random output
    gradient, the same input gradient. Returns our output (its graph has run backward)."""
    xa, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = ours(xa), theirs(xt)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), **tol)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(xa.grad.data, xt.grad.numpy(), **tol)
    return out
