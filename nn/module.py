"""``Module``: the base of every layer and model; ``Sequential`` and ``ModuleList``."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import Any, NamedTuple

import numpy as np

from autograd import Parameter, Tensor, aligned, module_scope, no_grad

from .utils import _zero_grad

_enter_scope, _exit_scope = module_scope.enter, module_scope.exit  # autograd.module_scope, as two calls

__all__ = ["Module", "Parameter", "Sequential", "ModuleList", "IncompatibleKeys"]


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class for layers and models.

    Assigning a ``Parameter`` or a ``Module`` as an attribute registers it, so
    ``parameters()``, ``state_dict()`` and ``train()``/``eval()`` find it. As in PyTorch,
    a registered name then only takes its own kind or ``None``: assigning anything else
    to a parameter, buffer or child module raises ``TypeError`` rather than unregistering it.
    A registered value lives in one place, the instance dict; ``_parameters``, ``_buffers``
    and ``_modules`` are ordered registries of names that read and write there, so
    ``m._parameters['weight'] = t`` (as PyTorch code does) is what ``forward`` then reads.
    Calling the module runs ``forward`` inside a :func:`autograd.module_scope`, so
    every op it records knows which module created it (graph drawings use this). An error
    raised inside a submodule's forward names that submodule by its path in the model:
    ``features.3 (Conv2d): <the original message>``, same exception type.

    >>> import autograd as ag
    >>> class Affine(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = Parameter(np.ones(3))
    ...     def forward(self, x):
    ...         return x * self.w
    >>> m = Affine()
    >>> [name for name, _ in m.named_parameters()]
    ['w']
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", _Registry(self))
        object.__setattr__(self, "_buffers", _Registry(self))
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", _Registry(self))
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning attributes")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            self._register(params, name, value)
        elif isinstance(value, Module):
            self._register(modules, name, value)
        elif name in params:
            _check_assign(value, None, name, "parameter", "Parameter")
            params[name] = None
        elif name in modules:
            _check_assign(value, None, name, "child module", "Module")
            modules[name] = None
        elif name in buffers:
            _check_assign(value, Tensor, name, "buffer", "Tensor")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _register(self, store: MutableMapping, name: str, value: Any) -> None:
        """Put ``value`` in ``store`` under ``name``, which no other store keeps then."""
        self._unregister(name, keep=store)
        store[name] = value

    def _unregister(self, name: str, keep: MutableMapping) -> None:
        """Forget ``name`` in every store but ``keep`` (where it keeps its place, as in PyTorch)."""
        self.__dict__.pop(name, None)
        for d in (self._parameters, self._buffers, self._modules):
            if d is not keep:
                d.pop(name, None)
        self._non_persistent.discard(name)

    def __delattr__(self, name: str) -> None:
        for d in (self._parameters, self._buffers, self._modules):
            if name in d:
                del d[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None, got {type(param).__name__}")
        self._register(self._parameters, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register state that is not a parameter (e.g. BatchNorm's running mean)."""
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(tensor)
        self._register(self._buffers, name, tensor)
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        self._register(self._modules, name, module)

    # ------------------------------------------------------------------ running
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        scope = _enter_scope(self)  # tags the nodes recorded inside with this module (drawings)
        try:
            # One positional input, the usual case, spelled out: a call with *args costs more.
            return self.forward(args[0]) if len(args) == 1 and not kwargs else self.forward(*args, **kwargs)
        except Exception as e:  # (free unless raised)
            _name_module_in_error(e, self)
            raise
        finally:
            _exit_scope(scope)

    # ------------------------------------------------------------------ traversal
    def named_modules(
        self, prefix: str = "", memo: set | None = None, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """``(name, module)`` for self and every submodule; a shared one once, unless ``remove_duplicate=False``."""
        memo = set() if memo is None else memo
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(f"{prefix}.{name}" if prefix else name, memo, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named(self, store: str, prefix: str, recurse: bool) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        mods = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for mod_prefix, m in mods:
            for name, t in getattr(m, store).items():
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), t

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(name, parameter)`` pairs, e.g. ``('layers.0.weight', ...)``; shared ones once."""
        yield from self._named("_parameters", prefix, recurse)  # type: ignore[misc]

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Tensor]]:
        yield from self._named("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, batch norm uses batch statistics)."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear parameter gradients (to None, or to zeros with ``set_to_none=False``)."""
        _zero_grad(self.parameters(), set_to_none)

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule (children first) and on self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def to(self, dtype: Any) -> Module:
        """Cast floating parameters and buffers to ``dtype`` in place."""
        dtype = np.dtype(dtype)
        with no_grad():
            for t in list(self.parameters()) + list(self.buffers()):
                if t.dtype.kind == "f":
                    t.data = aligned.copy(t.data, dtype)
                    if t.grad is not None:
                        t.grad = Tensor(t.grad.data, dtype=dtype)
        return self

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    # ------------------------------------------------------------------ state
    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Parameters and persistent buffers as ``name -> ndarray`` (copies).

        A tensor shared between modules (tied weights) is listed under every one of its
        names, as in PyTorch (``named_parameters()`` lists it once).
        """
        return OrderedDict((k, t.data.copy()) for k, t in self._state_tensors().items())

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy arrays (or Tensors) into the parameters and buffers, by name.

        Shapes must match exactly. With ``strict=True`` (the default) missing and
        unexpected keys raise a ``KeyError`` listing them. Every name of a shared
        (tied) tensor is accepted, and one of them is enough for it not to be missing.
        """
        own = self._state_tensors()
        given = {id(t) for k, t in own.items() if k in state_dict}
        missing = [k for k, t in own.items() if k not in state_dict and id(t) not in given]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append(f"missing keys {missing}")
            if unexpected:
                parts.append(f"unexpected keys {unexpected}")
            raise KeyError(f"load_state_dict for {type(self).__name__}: " + "; ".join(parts))
        with no_grad():
            for key, t in own.items():
                if key not in state_dict:
                    continue
                value = state_dict[key]
                arr = np.asarray(value.data if isinstance(value, Tensor) else value)
                if arr.shape != t.shape:
                    raise ValueError(
                        f"load_state_dict for {type(self).__name__}: {key!r} has shape {arr.shape} in the "
                        f"state dict, but the model's is {t.shape}"
                    )
                t.data = aligned.copy(arr, t.dtype)
        return IncompatibleKeys(missing, unexpected)

    def _state_tensors(self) -> OrderedDict[str, Tensor]:
        """Module by module, its parameters then its persistent buffers (PyTorch's order).

        Every name: a shared tensor or module appears under each path to it, as in PyTorch.
        """
        own: OrderedDict[str, Tensor] = OrderedDict()
        for mod_prefix, m in self.named_modules(remove_duplicate=False):
            entries = list(m._parameters.items()) + [
                (n, b) for n, b in m._buffers.items() if n not in m._non_persistent
            ]
            for name, t in entries:
                if t is not None:
                    own[f"{mod_prefix}.{name}" if mod_prefix else name] = t
        return own

    # ------------------------------------------------------------------ display
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


class _Registry(MutableMapping):
    """The names of a module's parameters (or buffers, or child modules), in registration order.

    The values live in one place only, the module's instance dict: reading ``self.weight`` in
    a forward is then a plain attribute read (a miss that falls back to a ``__getattr__``, as
    in PyTorch, costs ~15x more, on every layer call), and writing through the registry
    (``m._parameters['weight'] = t``, as PyTorch code does to swap a parameter) changes what
    ``forward`` reads. The registry holds the module, not its dict, so copies of a module
    (``copy.deepcopy``, pickle) point at their own.
    """

    __slots__ = ("_module", "_names")

    def __init__(self, module: Module) -> None:
        self._module = module
        self._names: dict[str, None] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._names:
            raise KeyError(name)
        return self._module.__dict__[name]

    def __setitem__(self, name: str, value: Any) -> None:
        self._names[name] = None
        self._module.__dict__[name] = value

    def __delitem__(self, name: str) -> None:
        del self._names[name]
        self._module.__dict__.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def get(self, name: str, default: Any = None) -> Any:
        return self._module.__dict__[name] if name in self._names else default

    def pop(self, name: str, *default: Any) -> Any:
        if name not in self._names:
            if default:
                return default[0]
            raise KeyError(name)
        del self._names[name]
        return self._module.__dict__.pop(name, None)

    def keys(self) -> Any:
        return self._names.keys()

    def values(self) -> list[Any]:  # type: ignore[override]
        return list(map(self._module.__dict__.__getitem__, self._names))  # (Sequential's forward: C-level)

    def items(self) -> list[tuple[str, Any]]:  # type: ignore[override]
        d = self._module.__dict__
        return [(k, d[k]) for k in self._names]

    def __repr__(self) -> str:
        return f"{{{', '.join(f'{k!r}: {v!r}' for k, v in self.items())}}}"


def _name_module_in_error(e: Exception, module: Module) -> None:
    """Say in ``e`` which module it came from, by its path from the outermost module the error
    passed through: ``features.3 (Conv2d): <the original message>``. Called by every module the
    error leaves, innermost first, so the path grows one level at a time. The exception keeps
    its type and message; only the prefix (or, for exceptions whose text isn't their message,
    such as ``KeyError``, a note) is added."""
    try:
        _add_module_path(e, module)
    except Exception:  # an exception that can't take it goes on as it was
        pass


def _add_module_path(e: Exception, module: Module) -> None:
    chain = e.__dict__.setdefault("_module_chain", [])
    chain.insert(0, module)
    if len(chain) < 2:
        return  # raised by the outermost module's own forward: its messages name it already
    where = f"{_path_between(chain)} ({type(chain[-1]).__name__})"
    if type(e).__str__ is BaseException.__str__ and len(e.args) == 1 and isinstance(e.args[0], str):
        message = e.__dict__.setdefault("_module_message", e.args[0])
        e.args = (f"{where}: {message}",)
    elif hasattr(e, "add_note"):  # Python >= 3.11
        notes = e.__dict__.setdefault("__notes__", [])
        old = e.__dict__.get("_module_note")
        if old in notes:
            notes.remove(old)
        e._module_note = f"raised in {where}"  # type: ignore[attr-defined]
        notes.append(e._module_note)  # type: ignore[attr-defined]


def _path_between(chain: list[Module]) -> str:
    """Dotted names leading from ``chain[0]`` through each module to ``chain[-1]``."""
    parts = []
    for parent, child in zip(chain, chain[1:]):
        name = next((k for k, m in parent._modules.items() if m is child), None)
        if name is None:  # called from further down (a grandchild called directly), or not registered
            name = next((k for k, m in parent.named_modules() if m is child and k), "?")
        parts.append(name)
    return ".".join(parts)


def _check_assign(value: Any, kind: type | None, name: str, what: str, expected: str) -> None:
    """PyTorch's error for assigning the wrong kind of value to a registered name."""
    if value is not None and (kind is None or not isinstance(value, kind)):
        t = type(value)
        typename = t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
        raise TypeError(f"cannot assign '{typename}' as {what} '{name}' ({expected} or None expected)")


class Sequential(Module):
    """Modules applied one after another.

    >>> import nn
    >>> net = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    >>> [n for n, _ in net.named_parameters()][:2]
    ['0.weight', '0.bias']
    """

    def __init__(self, *modules: Module | OrderedDict[str, Module]):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):  # the modules keep their names, as in PyTorch: net[1:] starts at '1'
            return Sequential(OrderedDict(list(self._modules.items())[i]))
        return list(self._modules.values())[i]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self._modules)), module)
        return self


class ModuleList(Module):
    """A list of modules, registered so their parameters are found."""

    def __init__(self, modules: Iterable[Module] | None = None):
        super().__init__()
        for m in modules or ():
            self.append(m)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, i: int | slice) -> Any:
        items = list(self._modules.values())
        if isinstance(i, slice):
            return ModuleList(items[i])
        return items[i]

    def __setitem__(self, i: int, module: Module) -> None:
        key = list(self._modules)[i]
        self._register(self._modules, key, module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError("ModuleList is a container: call its modules in your own forward")
