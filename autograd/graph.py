"""The recorded computation graph: nodes, primitives, and the recording switches.

A :class:`Node` is one recorded application of a primitive :class:`Op`. It keeps
what the op's derivative rules need (its inputs and output) until ``backward``
releases them, and keeps the structure (op, parents, shape) for drawing.

Edges point from a node to its *parents*: for each positional input, the input's
own node, the input tensor itself when it is a leaf that requires grad, or ``None``
when no gradient flows there.
"""

from __future__ import annotations

import dis
import itertools
import os
import sys
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, NamedTuple

import numpy as np

_ndarray = np.ndarray

# --------------------------------------------------------------------------- state
# The recording switches. Each thread has its own (as PyTorch's grad mode), so a thread inside
# no_grad(), or running backward or an optimizer step, never changes what another thread
# records. Each switch is a ContextVar: per thread (and per asyncio task), and its get() costs
# about as much as reading a module global, which matters because every recorded op reads them.
# The values are immutable (bools, Scopes): a thread that never set a switch sees its default.
_GRAD_ENABLED = ContextVar("graphgrad.grad_enabled", default=True)  # no_grad / enable_grad
_ANOMALY = ContextVar("graphgrad.anomaly", default=False)  # detect_anomaly(): check outputs and gradients
_TRACE = ContextVar("graphgrad.trace", default=False)  # record the user's source line on every node
_SCOPE: ContextVar[Any] = ContextVar("graphgrad.scope", default=())  # a Scope: modules running, outermost first
_RECORD_GRADS = ContextVar("graphgrad.record_grads", default=False)  # every node keeps its output gradient
_SWITCHES = (_GRAD_ENABLED, _ANOMALY, _TRACE, _SCOPE, _RECORD_GRADS)
for _var in _SWITCHES:  # CPython caches a ContextVar's value only once it was set in the context:
    _var.set(_var.get())  # set the defaults here (in the importing thread), so reading them stays cheap

# Readers (bound methods: one call each).
grad_enabled = _GRAD_ENABLED.get
anomaly_enabled = _ANOMALY.get
tracing = _TRACE.get
current_scope = _SCOPE.get
recording_gradients = _RECORD_GRADS.get

# Whether any thread ever turned anomaly mode or tracing on: until then the per-op code skips
# reading those two switches (debugging tools; every op would otherwise pay for two reads).
DEBUG_USED = False

KEEP_GRADS_UPTO = 4096  # outside record_gradients() only gradients this small are kept (for drawings)
INPLACE_EPOCH = 0  # bumped by every in-place write to a Tensor (process-wide: tensors are shared)
_next_seq = itertools.count().__next__


def _set_grad_enabled(mode: bool) -> bool:
    """Set this thread's grad mode; returns the previous one."""
    previous = _GRAD_ENABLED.get()
    _GRAD_ENABLED.set(bool(mode))
    return previous


def _set_anomaly(mode: bool) -> tuple[bool, bool]:
    global DEBUG_USED
    DEBUG_USED = DEBUG_USED or bool(mode)
    previous = (_ANOMALY.get(), _TRACE.get())
    _ANOMALY.set(bool(mode))
    _TRACE.set(bool(mode))
    return previous


def _restore_anomaly(previous: tuple[bool, bool]) -> None:
    _ANOMALY.set(previous[0])
    _TRACE.set(previous[1])


def _set_trace(mode: bool) -> bool:
    global DEBUG_USED
    DEBUG_USED = DEBUG_USED or bool(mode)
    previous = _TRACE.get()
    _TRACE.set(bool(mode))
    return previous


def _bump_epoch() -> int:
    global INPLACE_EPOCH
    INPLACE_EPOCH += 1
    return INPLACE_EPOCH


def _set_scope(scope: Any) -> Any:
    previous = _SCOPE.get()
    _SCOPE.set(scope)
    return previous


def _switches() -> tuple:
    """This thread's switches, for :func:`_restore_switches` (the test suite's fixture)."""
    return tuple(v.get() for v in _SWITCHES)


def _restore_switches(values: tuple) -> None:
    global DEBUG_USED
    DEBUG_USED = DEBUG_USED or bool(values[1] or values[2])
    for var, value in zip(_SWITCHES, values):
        var.set(value)


class Scope:
    """A ``node.scope``: the modules whose forward was running, outermost first.

    It reads as a tuple (``len``, indexing, slicing, iteration, ``==``). Each call of a
    module makes one, linked to the scope of the enclosing call (``parent``): drawings tell
    apart two calls of the same module this way. Making one costs a single small object
    (it happens on every module call); the tuple of modules is built when first read.

    >>> s = Scope("layer", Scope("model", ()))
    >>> s == ("model", "layer"), s[-1], s.parent[-1]
    (True, 'layer', 'model')
    """

    __slots__ = ("owner", "parent", "_modules")

    def __init__(self, owner: Any, parent: tuple | Scope):
        self.owner, self.parent, self._modules = owner, parent, None

    @property
    def modules(self) -> tuple:
        modules = self._modules
        if modules is None:
            modules = self._modules = (*self.parent, self.owner)
        return modules

    def __len__(self) -> int:
        return len(self.modules)

    def __getitem__(self, i: Any) -> Any:
        return self.modules[i]

    def __iter__(self) -> Any:
        return iter(self.modules)

    def __eq__(self, other: object) -> bool:
        return self.modules == (other.modules if isinstance(other, Scope) else other)

    def __hash__(self) -> int:
        return hash(self.modules)

    def __repr__(self) -> str:
        return f"Scope{self.modules!r}"


class record_gradients:
    """Keep the gradient of every intermediate result after ``backward`` (for drawings).

    Outside this block a node keeps its output gradient only when it has at most
    ``KEEP_GRADS_UPTO`` (4096) elements: holding every large gradient until the graph
    is dropped would raise peak memory for no use in a training loop. Leaves always
    get ``.grad``.

    >>> from autograd import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> with record_gradients():
    ...     y = (x * x).sum()
    ...     y.backward()
    """

    def __init__(self, enabled: bool = True):
        self.enabled = enabled

    def __enter__(self) -> None:
        self.previous = _RECORD_GRADS.get()
        _RECORD_GRADS.set(self.enabled)

    def __exit__(self, *exc: object) -> None:
        _RECORD_GRADS.set(self.previous)


class module_scope:
    """Context manager that tags every node recorded inside it with ``owner``.

    ``nn.Module.__call__`` enters one with the module itself, so each node's
    ``scope`` is the tuple of modules whose forward created it (outermost first)
    and drawings can cluster ops by module. Any object (a string too) works.

    >>> with module_scope("encoder"):
    ...     pass

    ``enter(owner)`` and ``exit(previous)`` do the same as two plain calls, for code that runs
    on every module call (``nn.Module.__call__``): ``previous = module_scope.enter(self)``, then
    ``module_scope.exit(previous)`` in a ``finally``.
    """

    __slots__ = ("owner", "previous")

    def __init__(self, owner: Any):
        self.owner = owner

    def __enter__(self) -> None:
        self.previous = module_scope.enter(self.owner)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        _SCOPE.set(self.previous)

    @staticmethod
    def enter(owner: Any) -> Any:
        """Enter ``owner``'s scope in this thread; returns the scope that :meth:`exit` restores."""
        previous = _SCOPE.get()
        scope = _new(Scope)  # (cheaper than calling the class)
        scope.owner, scope.parent, scope._modules = owner, previous, None
        _SCOPE.set(scope)
        return previous

    exit = staticmethod(_SCOPE.set)  # (set, not reset with a token: set keeps the fast cached read)


class OpName(str):
    """The name of a composite function (``conv2d``) as it appears in a ``node.scope``.

    A ``str``, so everything that prints scopes shows it; its own type, so drawings can tell a
    composite call from a module (:class:`op_scope`). ``params``: the function's parameters
    as ``(name, default)`` pairs, to name the settings of a call.
    """

    params: tuple = ()


class CallScope(Scope):
    """The scope of one composite call: also remembers the call's tensor arguments that need no
    gradient (a learner's image batch), whose own ops are not recorded, so drawings can show them
    (``inputs``; large ones as a :class:`ReleasedInput` description, not the array), and its
    other arguments (``settings``: ``(position or keyword, value)`` pairs, e.g. a stride)."""

    __slots__ = ("inputs", "settings")


def _describe_call(args: tuple, kwargs: dict) -> tuple[tuple, tuple]:
    described, settings = [], []
    for i, a in enumerate(args):
        if isinstance(a, Recorded):  # (a Tensor: defined in the layer above)
            if a.requires_grad:
                continue  # recorded: the graph has it
            data = a._data
        elif type(a) is _ndarray:
            data = a
        else:
            settings.append((i, a))
            continue
        if type(data) is _ndarray and data.size > KEEP_VALUES_UPTO:
            a = ReleasedInput(data.shape, data.dtype, getattr(a, "name", None), id(a))
        described.append(a)
    if kwargs:
        settings.extend((k, v) for k, v in kwargs.items() if not isinstance(v, (Recorded, _ndarray)))
    return tuple(described), tuple(settings)


class op_scope:
    """Mark the nodes recorded inside as one call of the composite function ``name``.

    Functions built from several primitives (``nn.functional.conv2d``: pad, sliding window,
    matmul, ...) enter one, so drawings can show the call as the one op the learner wrote,
    with the learner's tensors as its inputs. It is a :class:`Scope` entry like a module's
    (an :class:`OpName`), so recording costs nothing more. As a decorator it wraps a function:

    >>> @op_scope("double")
    ... def double(x):
    ...     return x + x
    >>> import autograd as ag
    >>> y = double(ag.Tensor([1.0], requires_grad=True))
    >>> y.grad_fn.scope[-1], type(y.grad_fn.scope[-1]).__name__
    ('double', 'OpName')
    """

    __slots__ = ("name", "previous")

    def __init__(self, name: str):
        self.name = OpName(name)

    def __enter__(self) -> None:
        scope = CallScope(self.name, _SCOPE.get())
        scope.inputs = scope.settings = ()
        self.previous = _set_scope(scope)

    def __exit__(self, *exc: object) -> None:
        _set_scope(self.previous)

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        import functools
        import inspect
        import types

        name, scope = self.name, CallScope  # closure cells, not globals (below)
        get_scope, set_scope, grad_enabled = _SCOPE.get, _SCOPE.set, _GRAD_ENABLED.get
        describe, nothing = _describe_call, ((), ())
        name.params = tuple((p.name, p.default) for p in inspect.signature(fn).parameters.values())

        def call(*args: Any, **kwargs: Any) -> Any:
            previous = get_scope()
            s = scope(name, previous)
            s.inputs, s.settings = describe(args, kwargs) if grad_enabled() else nothing
            set_scope(s)
            try:
                return fn(*args, **kwargs)
            finally:
                set_scope(previous)

        # Rebuilt with the wrapped function's globals: doctest only collects a function whose
        # globals are its module's, and the wrapped one's docstring example must keep running.
        wrapper = types.FunctionType(call.__code__, fn.__globals__, fn.__name__, None, call.__closure__)
        return functools.update_wrapper(wrapper, fn)


# --------------------------------------------------------------------------- source lines
# The autograd and nn package folders, each ending in a separator so "autograd_demo.py" is not inside.
_PACKAGE_DIRS = tuple(
    os.path.join(os.path.normpath(d), "")
    for d in (
        os.path.dirname(os.path.abspath(__file__)),
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "nn"),
    )
)


def user_frame(skip_packages: tuple[str, ...] = _PACKAGE_DIRS) -> str | None:
    """``file:line in function: source`` of the innermost caller outside graphgrad."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(skip_packages):
            import linecache

            source = linecache.getline(filename, frame.f_lineno).strip()
            where = f"{filename}:{frame.f_lineno} in {frame.f_code.co_name}"
            return f"{where}: {source}" if source else where
        frame = frame.f_back
    return None


# --------------------------------------------------------------------------- primitives
class Op:
    """A primitive operation: a NumPy forward and one derivative rule per input.

    ``forward(*arrays, **params)`` computes the output from raw arrays. Each rule
    ``vjp(g, ans, *inputs, **params)`` returns the gradient for its input, given the
    output gradient ``g`` and the output ``ans``. Rules are written with operators and
    other primitives, so the same line runs on raw arrays (fast first-order backward)
    and on Tensors (``create_graph=True``: the backward pass is itself recorded).
    Rules may return a gradient in the *broadcast* shape; the engine sums it back.

    ``argnum_vjp(i, g, ans, *inputs, **params)`` replaces the per-input rules for
    ops with a variable number of inputs (``cat``, ``stack``, ``einsum``).

    ``saves`` says which values the rules read: ``"inputs"``, ``"output"``, both
    (the default) or ``""`` (shapes only). Within that, each rule's own code tells which
    inputs and whether the output it reads (``reads``, see :func:`rule_reads`): before the
    rules of a node run, only what the rules that will run read is checked for in-place
    modification. ``view=True`` marks ops whose output may
    share memory with their first input: when it does, the output shares the input's
    version counter, and once the base is overwritten in place the view can no longer
    be used as an input (its values changed, its recorded history did not).

    ``residual=True``: ``forward`` returns ``(output, residual)``, where the residual is
    something computed on the way that the first-order rules reuse instead of computing it
    again (cross-entropy's exponentials). The node keeps it until backward releases it; rules
    get it as the keyword ``residual`` (``None`` under ``create_graph``, where they compute on
    Tensors). Such ops are recorded through ``apply``.

    ``batched_vjps`` maps an input's position to a second rule that the engine uses for that
    input when it already holds a gradient for it in this sweep: it may return a deferred
    product (:class:`autograd.deferred.MatmulSum`), summed with the others in one product
    (``linear``'s weight, used at every step of a recurrent network).
    """

    __slots__ = (
        "name", "forward", "vjps", "view", "saves_inputs", "saves_output", "residual", "batched_vjps", "_reads",
    )  # fmt: skip
    ctx = None  # user Functions' ops (function.FunctionOp) carry their ctx here

    def __init__(
        self,
        name: str,
        forward: Callable[..., Any],
        *vjps: Callable[..., Any] | None,
        argnum_vjp: Callable[..., Any] | None = None,
        saves: str = "inputs output",
        view: bool = False,
        residual: bool = False,
        batched_vjps: dict[int, Callable[..., Any]] | None = None,
    ):
        self.name = name
        self.forward = forward
        # The engine calls ``vjps[i](g, ans, *inputs, **params)``.
        self.vjps = vjps if argnum_vjp is None else ArgnumRules(argnum_vjp)
        self.view = view
        self.saves_inputs = "inputs" in saves
        self.saves_output = "output" in saves
        self.residual = residual
        self.batched_vjps = batched_vjps
        self._reads: Any = _UNKNOWN

    @property
    def reads(self) -> tuple | None:
        """Per input: what its rules read, ``(input positions, reads the output)``; None: all of it.
        Worked out from the rules' code (:func:`rule_reads`) the first time an in-place check needs it."""
        if self._reads is _UNKNOWN:
            rules, batched = self.vjps, self.batched_vjps or {}
            self._reads = None
            if type(rules) is tuple and rules:
                self._reads = tuple(_union(rule_reads(r), rule_reads(batched.get(i))) for i, r in enumerate(rules))
        return self._reads

    def vjp(self, i: int, g: Any, ans: Any, args: tuple, params: dict | None = None) -> Any:
        """Gradient for input ``i`` (what the engine computes for each edge)."""
        rule = self.vjps[i]
        if rule is None:
            raise RuntimeError(f"{self.name}: input {i} is not differentiable")
        return rule(g, ans, *args, **params) if params else rule(g, ans, *args)

    def __call__(self, *args: Any, **params: Any) -> Any:
        # Called on raw arrays (inside a first-order backward) it is plain NumPy;
        # called with any Tensor it records a node.
        for a in args:
            if isinstance(a, Recorded):
                from .recording import apply  # (the layer above this one: see docs/ARCHITECTURE.md)

                return apply(self, args, params)
        out = self.forward(*args, **params)
        return out[0] if self.residual else out

    def __repr__(self) -> str:
        return f"<op {self.name}>"


_UNKNOWN = object()
_METADATA = frozenset(("shape", "ndim", "dtype", "size"))  # attributes in-place writes don't change
_LOADS = frozenset(("LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_FAST_LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE"))


def rule_reads(rule: Callable[..., Any] | None) -> tuple[frozenset, bool] | None:
    """Which values a rule ``(g, ans, *inputs, **params)`` reads: (input positions, whether it
    reads ``ans``), from its code; None when that can't be told (all are then assumed read).

    A parameter counts as read wherever the code loads it, except to take its ``shape``,
    ``ndim``, ``dtype`` or ``size`` (which in-place writes keep): passing it on to a helper
    counts, so the answer errs towards checking more, never less.

    >>> rule_reads(lambda g, ans, x, y: g * y)
    (frozenset({1}), False)
    >>> rule_reads(lambda g, ans, x: g * ans * x.shape[0])
    (frozenset(), True)
    """
    if rule is None:
        return frozenset(), False
    code = getattr(rule, "__code__", None)
    if code is None or code.co_flags & 0x04 or code.co_argcount < 2:  # not plain Python, or *args
        return None
    names = code.co_varnames[: code.co_argcount]
    loaded: set = set()  # (a parameter an inner function uses is loaded here too, as a closure cell)
    instructions = list(dis.get_instructions(code))
    for k, ins in enumerate(instructions):
        if ins.opname in _LOADS:
            these = ins.argval if isinstance(ins.argval, tuple) else (ins.argval,)  # (3.13 loads pairs)
            nxt = instructions[k + 1] if k + 1 < len(instructions) else None
            if nxt is not None and nxt.opname == "LOAD_ATTR" and nxt.argval in _METADATA:
                these = these[:-1]  # the last one loaded only for its shape (or dtype, ...)
            loaded.update(these)
    return frozenset(i - 2 for i, n in enumerate(names) if i >= 2 and n in loaded), names[1] in loaded


def _union(a: tuple | None, b: tuple | None) -> tuple | None:
    if a is None or b is None:
        return None
    return a[0] | b[0], a[1] or b[1]


_new = object.__new__


# --------------------------------------------------------------------------- several outputs
class Select(Op):
    """Output ``index`` of a multi-output node (``split``, a Function): passes its gradient to the node's slot."""

    __slots__ = ("index",)

    def __init__(self, index: int):
        super().__init__(f"output{index}", lambda x: x, lambda g, ans, x: Slot(index, g), saves="")
        self.index = index


class Slot:
    """The gradient of one output of a multi-output node; slots add up per output."""

    __slots__ = ("grads",)

    def __init__(self, index: int | None, g: Any):
        self.grads = {} if index is None else {index: g}

    def add_(self, other: Slot) -> Slot:
        """Add ``other``'s gradients into this slot (the engine's own running total), in place:
        gathering the n outputs of ``unbind`` this way takes n steps, not n * n dict copies."""
        grads = self.grads
        for k, g in other.grads.items():
            mine = grads.get(k)
            grads[k] = g if mine is None else mine + g
        return self


class ArgnumRules:
    """Per-input rules made from one rule that takes the input's position first."""

    __slots__ = ("rule",)

    def __init__(self, rule: Callable[..., Any]):
        self.rule = rule

    def __getitem__(self, i: int) -> Callable[..., Any]:
        rule = self.rule
        return lambda g, ans, *args, **params: rule(i, g, ans, *args, **params)


class Recorded:
    """Base of the values whose ops are recorded (``Tensor``): what :meth:`Op.__call__` looks for."""

    __slots__ = ()


# --------------------------------------------------------------------------- nodes
class Node:
    """One recorded op application; the ``grad_fn`` of the Tensor it produced.

    Attributes: ``op`` (the :class:`Op`), ``parents`` (see module docstring),
    ``inputs`` (the arguments as given, Tensors included), ``args`` (their raw
    arrays), ``params`` (keyword parameters), ``out`` (the raw output), ``seq``
    (creation order, a topological order), ``scope`` (module path), ``trace``
    (user source line, when tracing), ``grad`` (the output gradient from the last
    backward). ``inputs``/``args``/``out`` are released by a non-retaining backward
    (small outputs are kept, so drawings can show their values).
    """

    __slots__ = (
        "op", "parents", "inputs", "args", "params", "out", "seq", "epoch", "scope",
        "grad", "_meta", "__dict__", "__weakref__",
    )  # fmt: skip
    # Rarely set: class defaults, so creating a node doesn't pay for them.
    trace: str | None = None
    hooks: list | None = None
    retained: Any = None
    out_vc: list | None = None  # version counter of the output tensor, once it has one
    multi_output = False  # several outputs, each taken out by a ``Select`` node (split, Functions)
    _meta: tuple  # (shape, dtype) once ``out`` is dropped; a slot, set only then
    label: str | None = None  # the name given to the output tensor (``t.name = ...``), for drawings
    residual: Any = None  # what the forward of a ``residual`` op kept for its rules
    const_inputs: dict | None = None  # after release: inputs without a gradient, for drawings

    def __init__(self, op: Op, parents: tuple, inputs: tuple, args: tuple, params: dict | None, out: Any):
        self.op = op
        self.parents = parents
        self.inputs = inputs
        self.args = args
        self.params = params
        self.out = out
        self.seq = _next_seq()
        self.epoch = INPLACE_EPOCH
        self.scope = current_scope()
        self.grad = None
        if DEBUG_USED and tracing():
            self.trace = user_frame()

    # ---- what the node produced (kept after release, for drawing and errors)
    @property
    def shape(self) -> tuple[int, ...]:
        return self.out.shape if self.out is not None else self._meta[0]

    @property
    def dtype(self) -> Any:
        return self.out.dtype if self.out is not None else self._meta[1]

    @property
    def name(self) -> str:
        return self.op.name

    @property
    def next_functions(self) -> tuple:
        """PyTorch-style view of the edges: ``(parent, 0)`` pairs."""
        return tuple((p, 0) for p in self.parents)

    @property
    def released(self) -> bool:
        """True once a non-retaining backward dropped the saved values."""
        return self.args is None

    def release(self) -> None:
        """Drop saved arrays; keep the structure, and outputs of up to 64 elements.

        Inputs that get no gradient (data, constants) stay described in ``const_inputs``,
        so the graph can still be drawn with them.
        """
        args = self.args
        if args is None:
            return
        for p in self.parents:  # (``None in parents`` would compare leaf Tensors elementwise)
            if p is None:
                self.const_inputs = _describe_constants(self.parents, self.inputs, args)
                break
        self.inputs = self.args = None
        op = self.op
        if op.residual:
            self.residual = None
        elif op.ctx is not None:  # a user Function's: what it saved, and its last gradients
            op.ctx._saved, op._cache = (), None
        out = self.out
        if type(out) is _ndarray and out.size > KEEP_VALUES_UPTO:
            self._meta = (out.shape, out.dtype)
            self.out = None

    def __repr__(self) -> str:
        return f"<{self.op.name} node>"


KEEP_VALUES_UPTO = 64


class ReleasedInput(NamedTuple):
    """A large input without a gradient, as a released node remembers it (for drawings)."""

    shape: tuple
    dtype: Any
    name: str | None
    ident: int  # id() of the object that was passed, so shared inputs stay one node


def _describe_constants(parents: tuple, inputs: tuple, args: tuple) -> dict:
    """The inputs without a gradient, by position: small ones as given, large ones described."""
    described = {}
    i = 0
    for p in parents:
        if p is None:
            v, a = inputs[i], args[i]
            if type(a) is np.ndarray and a.size > KEEP_VALUES_UPTO:
                v = ReleasedInput(a.shape, a.dtype, getattr(v, "name", None), id(v))
            described[i] = v
        i += 1
    return described
