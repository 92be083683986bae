"""``Optimizer``: parameter groups, per-parameter state, ``step``, ``zero_grad`` and state dicts.

Subclasses only say how one parameter is updated (``_update``), on raw NumPy arrays and
in place: nothing is recorded (no ``no_grad`` block is needed). ``step`` marks every updated
parameter as modified in place, so a graph recorded before ``step()`` can't silently be
differentiated with the new values afterwards.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import autograd as ag
from autograd import Tensor, aligned

from ..utils import _zero_grad

__all__ = ["Optimizer", "required"]


class _Required:
    """Marks a hyperparameter without a default (SGD's ``lr``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


def _check_params_argument(name: str, params: Any) -> None:
    """The usual mistakes: the model itself, or ``model.parameters`` without the call."""
    from ..module import Module  # (nn.module imports nothing from optim)

    if isinstance(params, Module):
        raise TypeError(
            f"{name}: params should be an iterable of Tensors or dicts, got the module {type(params).__name__} "
            f"itself; pass its parameters: {name}(model.parameters(), ...)"
        )
    owner = getattr(params, "__self__", None)
    if callable(params) and isinstance(owner, Module):
        method = getattr(params, "__name__", "parameters")
        raise TypeError(
            f"{name}: params should be an iterable of Tensors or dicts, got the method {type(owner).__name__}."
            f"{method} (not called); pass {name}(model.parameters(), ...)"
        )
    if not hasattr(params, "__iter__"):
        raise TypeError(
            f"{name}: params should be an iterable of Tensors or dicts, got {type(params).__name__}; "
            f"pass model.parameters()"
        )


class Optimizer:
    """Base class: holds ``param_groups`` (dicts of ``params`` plus hyperparameters) and ``state``.

    ``params`` is an iterable of Tensors, or of dicts each with a ``params`` entry and
    per-group options that override the defaults. ``param_groups[i]['lr']`` is read
    at every step, so changing it (or letting a scheduler change it) takes effect at once.

    >>> import nn
    >>> net = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 1))
    >>> opt = nn.optim.SGD([{"params": net[0].parameters()},
    ...                     {"params": net[1].parameters(), "lr": 0.01}], lr=0.1, momentum=0.9)
    >>> [g["lr"] for g in opt.param_groups]
    [0.1, 0.01]
    """

    def __init__(self, params: Any, defaults: dict[str, Any]):
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        # see _scratch: temporaries for the updates, reused; not state, never saved
        self._scratch_flat: dict[np.dtype, np.ndarray] = {}
        self._scratch_views: dict[tuple, list[np.ndarray]] = {}
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params should be an iterable of Tensors or dicts, got a single Tensor "
                "(wrap it in a list, or pass model.parameters())"
            )
        _check_params_argument(type(self).__name__, params)
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing ones take the defaults)."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: a parameter group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError(f"{name}: a parameter group needs a 'params' entry")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(f"{name}: parameters must be given in a fixed order (a list), not a set")
        params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                if isinstance(p, tuple) and len(p) == 2 and isinstance(p[1], Tensor):
                    raise TypeError(
                        f"{name} can only optimize Tensors, got (name, Tensor) pairs: pass model.parameters(), "
                        "not model.named_parameters()"
                    )
                raise TypeError(f"{name} can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name} can't optimize a non-leaf Tensor (shape {p.shape}); optimize the leaves")
        ids = {id(p) for p in params}
        if len(ids) != len(params):
            raise ValueError(f"{name}: a parameter appears twice in one group")
        if any(id(p) in ids for g in self.param_groups for p in g["params"]):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        group["params"] = params
        for key, default in self.defaults.items():
            if default is required and key not in group:
                raise ValueError(f"{name}: parameter group didn't specify a value of required option {key!r}")
            group.setdefault(key, default)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: dict[str, Any]) -> None:
        """Validate hyperparameters (subclasses extend this)."""
        for key in ("lr", "eps", "weight_decay", "momentum"):
            v = group.get(key)
            if v is not None and v is not required and not v >= 0:
                raise ValueError(f"{type(self).__name__}: invalid {key} {v!r} (must be >= 0)")

    # ---------------------------------------------------------------- the update
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients (to None by default, or to zeros in place)."""
        _zero_grad((p for group in self.param_groups for p in group["params"]), set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()`` if one is given."""
        loss = None
        if closure is not None:
            with ag.enable_grad():
                loss = closure()
        updated: list[Tensor] = []
        for group in self.param_groups:  # (on raw arrays: nothing to record, no no_grad() needed)
            self._step_group(group, updated)
        # the parameters changed in place: graphs that saved them can't backward any more
        ag.mark_modified(*updated)
        return loss

    def _step_group(self, group: dict[str, Any], updated: list[Tensor]) -> None:
        states, update = self.state, self._update
        for p, data, g in self._with_grads(group):
            state = states.get(p)
            if state is None:
                state = states[p] = self._init_state(data, group)
            update(data, g, state, group)
            updated.append(p)

    def _with_grads(self, group: dict[str, Any]) -> Iterator[tuple[Tensor, np.ndarray, np.ndarray]]:
        """``(parameter, its array, its gradient's array)`` for each parameter of ``group`` with a gradient."""
        for p in group["params"]:
            grad = p._grad
            if grad is None:
                continue
            # The arrays themselves (``.data`` is a property call, twice per parameter per step);
            # ``.data`` only for 0-d values, held as NumPy scalars until an array is asked for.
            data, g = p._data, grad._data
            if type(data) is not np.ndarray:
                data = p.data
            if g.shape != data.shape:
                raise RuntimeError(
                    f"{type(self).__name__}: gradient of shape {g.shape} for a parameter of {data.shape}"
                )
            yield p, data, g

    def _init_state(self, data: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {}

    def _scratch(self, p: np.ndarray, count: int = 1) -> list[np.ndarray]:
        """``count`` temporary arrays shaped like ``p``, for one update's intermediate results.

        They are views of one flat buffer per dtype, as large as the largest request so far
        and shared by every parameter at every step, so updates allocate nothing per call (and
        the memory is that of the largest parameter, not of all). Their contents never outlive
        an update: they are not state and not in ``state_dict``.
        """
        key = (p.shape, p.dtype, count)
        views = self._scratch_views.get(key)
        if views is None:
            n = p.size
            flat = self._scratch_flat.get(p.dtype)
            if flat is None or flat.size < count * n:  # grow; views of the old buffer are let go
                flat = self._scratch_flat[p.dtype] = aligned.empty((count * n,), p.dtype)
                self._scratch_views = {k: v for k, v in self._scratch_views.items() if k[1] != p.dtype}
            views = self._scratch_views[key] = [flat[i * n : (i + 1) * n].reshape(p.shape) for i in range(count)]
        return views

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Update ``p`` in place from its gradient ``g`` (never modify ``g``)."""
        raise NotImplementedError

    # ---------------------------------------------------------------- state dicts
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {name: array or number}}, 'param_groups': [...]}``, as PyTorch.

        Parameters are numbered in group order; groups list their parameters' numbers
        under ``params``. Arrays are copies, so the dict is a snapshot (``nn.save`` can store it).
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            saved = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            saved["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(saved)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                s = self.state.get(p)
                if s:
                    state[index[id(p)]] = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in s.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and per-parameter state saved by :meth:`state_dict`."""
        name = type(self).__name__
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the state dict has {len(saved_groups)} parameter groups, "
                f"the optimizer {len(self.param_groups)}"
            )
        for i, (mine, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(mine["params"]) != len(saved["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: parameter group {i} has {len(saved['params'])} parameters in the "
                    f"state dict but {len(mine['params'])} in the optimizer"
                )
        by_index = {
            j: p
            for mine, saved in zip(self.param_groups, saved_groups)
            for j, p in zip(saved["params"], mine["params"])
        }
        new_state: dict[Tensor, dict[str, Any]] = {}
        for key, s in state_dict["state"].items():
            p = by_index.get(int(key))
            if p is None:
                raise ValueError(f"{name}.load_state_dict: state for parameter {key}, which no group lists")
            new_state[p] = {k: self._load_value(name, key, k, v, p) for k, v in s.items()}
        for mine, saved in zip(self.param_groups, saved_groups):
            for k, v in saved.items():
                if k != "params":
                    mine[k] = tuple(float(b) for b in v) if k == "betas" else _plain(v)
        self.state = new_state

    @staticmethod
    def _load_value(name: str, key: Any, k: str, v: Any, p: Tensor) -> Any:
        if isinstance(v, Tensor):
            v = v.data
        if k != "step" and isinstance(v, (np.ndarray, np.generic)):  # a per-element state array
            v = np.asarray(v)
            if v.shape != p.shape:
                raise ValueError(
                    f"{name}.load_state_dict: state {k!r} of parameter {key} has shape {v.shape}, "
                    f"but the parameter's is {p.shape}"
                )
            return aligned.copy(v, p.dtype)
        return _plain(v)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"


def _plain(v: Any) -> Any:
    """NumPy scalars and 0-d arrays (as loaded from a file) back to Python numbers."""
    if isinstance(v, np.ndarray) and v.ndim == 0 or isinstance(v, np.generic):
        return v.item()
    return v
