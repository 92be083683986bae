"""Reading the recorded graph for a drawing: which nodes, how they connect, what they are called.

:class:`Graph` walks back from some tensors (iteratively: graphs can be 100k nodes deep) and
turns the recorded :class:`~autograd.graph.Node`s into drawable :class:`Item`s and edges: one
per op, one per tensor in ``full`` detail, one per leaf and constant. It knows the module each
op ran in (``node.scope``) and the names the modules give their parameters, and can merge
modules into single nodes (``collapsed``) or keep only the nodes nearest the output (``limited``).

>>> import autograd as ag
>>> x = ag.Tensor([1.0, 2.0], requires_grad=True, name="x")
>>> g = Graph(((x * 2).sum(),), None, "full", 16)
>>> sorted(it.kind for it in g.items.values())
['const', 'leaf', 'op', 'op', 'result', 'result']
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from ..function import Select
from ..graph import Node, OpName, ReleasedInput, Scope
from ..tensor import Tensor

__all__ = ["Graph", "Item", "MISSING", "is_multi", "value_of"]

FULL_UPTO = 40  # detail="auto": every tensor drawn up to this many ops
MISSING = object()


class Item:
    """One drawn node: an op, a tensor, a constant, a collapsed module, or the 'left out' note."""

    __slots__ = ("id", "kind", "obj", "scope", "calls", "root", "members", "leaving", "call", "title")

    def __init__(self, id: str, kind: str, obj: Any, scope: tuple, calls: tuple):
        self.id, self.kind, self.obj = id, kind, obj
        self.scope, self.calls = scope, calls  # where it is drawn: module path, and which call of each
        self.root = False
        self.members: list[Item] = []  # a collapsed module: what it stands for
        self.leaving: dict[str, None] = {}  # a collapsed module: members whose output is used outside
        self.call: Any = None  # a collapsed module: which call of it; a composite: its CallScope
        self.title: str | None = None  # a composite call: the function's name (conv2d)


def is_multi(node: Node) -> bool:
    """A node with several outputs (split, unbind, user Functions): each is a separate 'output{i}' node."""
    return node.multi_output


def composite_of(scope: Any) -> Any:
    """The outermost composite call (``op_scope``, e.g. conv2d) in a node's scope, or None."""
    found = None
    while isinstance(scope, Scope):
        if type(scope.owner) is OpName:
            found = scope
        scope = scope.parent
    return found


def value_of(v: Any) -> Any:
    return v._data if isinstance(v, Tensor) else v


class Graph:
    """The recorded graph reachable from some tensors, as items and edges ready to draw."""

    def __init__(self, tensors: tuple, params: Any, detail: str, max_values: int, implementation: bool = False):
        for t in tensors:
            if not isinstance(t, Tensor):
                raise TypeError(f"draw: expected Tensors, got {type(t).__name__}")
        if not tensors:
            raise ValueError("draw: give at least one tensor")
        self.max_values = max_values
        self.implementation = implementation  # composite calls (conv2d) drawn as their primitives
        self.nodes = self._collect(tensors)
        if detail not in ("auto", "full", "compact"):
            raise ValueError(f"draw: detail must be 'auto', 'full' or 'compact', got {detail!r}")
        self.full = detail == "full" or detail == "auto" and len(self.nodes) <= FULL_UPTO
        self._chains: dict[int, tuple] = {}
        self._names(params)
        self.items: dict[str, Item] = {}
        self.edges: list[tuple[str, str, str | None]] = []
        self._leaves: dict[int, Item] = {}
        self._const_owner: dict[str, Any] = {}  # constant item -> the composite call it belongs to
        self.merged: dict[str, str] = {}  # item id -> the composite item that now stands for it
        self.titles: dict[int, str] = {}
        self._build(tensors)
        if not implementation:
            self._merge_composites()

    # ------------------------------------------------------------------ reading the graph
    @staticmethod
    def _collect(tensors: tuple) -> list[Node]:
        seen: dict[int, Node] = {}
        stack = [t._node for t in tensors if t._node is not None]
        for n in stack:
            seen[id(n)] = n
        while stack:  # iterative: graphs can be far deeper than Python's recursion limit
            for p in stack.pop().parents:
                if type(p) is Node and id(p) not in seen:
                    seen[id(p)] = p
                    stack.append(p)
        return sorted(seen.values(), key=lambda n: n.seq)

    def chain(self, scope: tuple) -> tuple:
        """One key per level of ``scope`` saying which call of that module it is.

        Every call of a module records its own :class:`~autograd.graph.Scope`, linked to the
        enclosing call's; a plain tuple (no links) falls back to the modules themselves.
        """
        if not scope:
            return ()
        keys = self._chains.get(id(scope))
        if keys is None:
            found, s = [], scope
            for j in range(len(scope) - 1, -1, -1):
                if isinstance(s, Scope) and len(s) == j + 1:
                    found.append(id(s))
                    s = s.parent
                else:
                    found.append(tuple(map(id, scope[: j + 1])))
            keys = self._chains[id(scope)] = tuple(reversed(found))
        return keys

    def _names(self, params: Any) -> None:
        """Module paths, parameter and buffer names, owners, and which call is which."""
        self.mod_names: dict[int, str] = {}
        self.tensor_names: dict[int, str] = {}
        self.owner_place: dict[int, tuple] = {}  # id(tensor) -> (scope, calls) where its module ran
        self.call_number: dict[Any, tuple[int, int]] = {}  # call key -> (i, n): call i of n
        calls_of: dict[int, dict] = {}  # id(module) -> {call key: (scope, calls) up to it}
        scopes = {id(n.scope): n.scope for n in self.nodes if n.scope}
        for s in scopes.values():
            keys = self.chain(s)
            for j in range(len(s)):
                if type(s[j]) is OpName:
                    continue  # a composite function, not a module
                calls_of.setdefault(id(s[j]), {}).setdefault(keys[j], (s[: j + 1], keys[: j + 1]))
        self.repeated: list[tuple[Any, int]] = []  # modules called more than once, and how often
        for places in calls_of.values():
            if len(places) > 1:
                for i, key in enumerate(places):
                    self.call_number[key] = (i + 1, len(places))
                scope = next(iter(places.values()))[0]
                self.repeated.append((scope[-1], len(places)))
        sources = []
        if isinstance(params, dict):
            self.tensor_names.update({id(t): str(k) for k, t in params.items()})
        elif params is not None and hasattr(params, "named_modules"):
            sources.append(params)
        elif params is not None:
            self.tensor_names.update({id(t): str(k) for k, t in params})
        sources.extend({id(s[0]): s[0] for s in scopes.values() if type(s[0]) is not OpName}.values())
        owners: dict[int, Any] = {}
        for root in sources:
            if not hasattr(root, "named_modules"):
                continue
            for qual, m in root.named_modules():
                self.mod_names.setdefault(id(m), qual)
                for kind in ("named_parameters", "named_buffers"):
                    try:
                        named = list(getattr(m, kind)(prefix=qual, recurse=False))
                    except (AttributeError, TypeError):  # not an nn.Module after all
                        continue
                    for name, t in named:
                        self.tensor_names.setdefault(id(t), name)
                        owners.setdefault(id(t), m)
        for tid, m in owners.items():
            places = list(calls_of.get(id(m), {}).values())
            if not places:
                continue
            # a module called several times (an RNN cell): its weights go where all its calls are
            scope, keys = places[0]
            for _, other in places[1:]:
                n = 0
                while n < min(len(keys), len(other)) and keys[n] == other[n]:
                    n += 1
                scope, keys = scope[:n], keys[:n]
            self.owner_place[tid] = (scope, keys)

    def _leaf(self, key: int, obj: Any) -> Item:
        item = self._leaves.get(key)
        if item is None:
            scope, calls = self.owner_place.get(key, ((), ()))
            item = Item(f"l{len(self._leaves)}", "leaf", obj, scope, calls)
            self._leaves[key] = item
            self.items[item.id] = item
        return item

    def scalar_like(self, v: Any) -> bool:
        if isinstance(v, Tensor):
            return v.name is None and v._data.size <= 1 and id(v) not in self.tensor_names
        return not isinstance(v, ReleasedInput) and np.size(v) <= 1

    def constant(self, node: Node, i: int) -> Any:
        """Input ``i`` of ``node`` that gets no gradient (as given, or as remembered after release)."""
        if node.inputs is not None:
            return node.inputs[i]
        return (node.const_inputs or {}).get(i, MISSING)

    def _source(self, node: Node, i: int, out_id: dict) -> str | None:
        p = node.parents[i]
        if type(p) is Node:
            return out_id[id(p)]
        if p is not None:
            return self._leaf(id(p), p).id
        v = self.constant(node, i)
        if v is None:  # an optional input left out (attention without a mask): nothing to draw
            return None
        if isinstance(v, Tensor):
            if not self.full and self.scalar_like(v):
                return None
            return self._leaf(id(v), v).id
        if isinstance(v, ReleasedInput):
            return self._leaf(v.ident, v).id
        if not self.full and v is not MISSING and self.scalar_like(v):
            return None  # shown inside the op: div(_, 64)
        scope = self.place(node)
        item = Item(f"c{node.seq}_{i}", "const", v, scope, self.chain(scope))
        if scope is not node.scope:
            self._const_owner[item.id] = composite_of(node.scope)
        self.items[item.id] = item
        return item.id

    def _build(self, tensors: tuple) -> None:
        out_id: dict[int, str] = {}
        add, edges = self.items.__setitem__, self.edges
        for n in self.nodes:
            scope = self.place(n)
            calls = self.chain(scope)
            if self.full and isinstance(n.op, Select):  # a Function's output i: just the tensor
                item = Item(f"t{n.seq}", "result", n, scope, calls)
                add(item.id, item)
                edges.append((out_id[id(n.parents[0])], item.id, n.label or str(n.op.index)))
                out_id[id(n)] = item.id
                continue
            op = Item(f"op{n.seq}", "op", n, scope, calls)
            add(op.id, op)
            for i in range(len(n.parents)):
                src = self._source(n, i, out_id)
                if src is not None:
                    edges.append((src, op.id, None))
            if self.full and not is_multi(n):
                item = Item(f"t{n.seq}", "result", n, scope, calls)
                add(item.id, item)
                edges.append((op.id, item.id, None))
                out_id[id(n)] = item.id
            else:
                out_id[id(n)] = op.id
        self.roots: list[str] = []
        for t in tensors:
            item = self.items[out_id[id(t._node)]] if t._node is not None else self._leaf(id(t), t)
            item.root = True
            self.roots.append(item.id)
            if t.name is not None and t._node is not None:
                self.titles[id(t._node)] = t.name

    def place(self, node: Node) -> Any:
        """The scope a node is drawn in: its modules, without the composite calls (unless drawn)."""
        if self.implementation:
            return node.scope
        comp = composite_of(node.scope)
        return node.scope if comp is None else comp.parent

    def _merge_composites(self) -> None:
        """One node per composite call (conv2d, cross_entropy): its primitives merged into it.

        Its inputs are what its primitives took from outside the call (the user's tensors and
        parameters), its output the last primitive's result used outside it.
        """
        groups: dict[int, Item] = {}
        calls: dict[str, dict] = {}  # group id -> the calls inside it (CallScopes, by id), outermost included
        rep: dict[str, str] = {}
        items: dict[str, Item] = {}
        for key, it in self.items.items():
            n = it.obj if it.kind in ("op", "result") else None
            comp = composite_of(n.scope) if n is not None else None
            if comp is None and it.kind == "const":
                comp = self._const_owner.get(key)
            if comp is None:
                items[key] = it
                continue
            group = groups.get(id(comp))
            if group is None:
                group = groups[id(comp)] = Item(f"f{len(groups)}", "composite", None, it.scope, it.calls)
                group.title, group.call = str(comp.owner), comp
                items[group.id] = group
                calls[group.id] = {}
            inner = n.scope if n is not None else ()
            while isinstance(inner, Scope) and inner is not comp.parent:  # the calls nested in this one
                calls[group.id][id(inner)] = inner
                inner = inner.parent
            group.members.append(it)
            if n is not None and (group.obj is None or n.seq > group.obj.seq):
                group.obj = n  # the call's output: its newest node
            group.root = group.root or it.root
            rep[key] = group.id
        if not groups:
            return
        # What each call was given that needs no gradient (the learner's image): its own ops were
        # not recorded, so the primitives saw only what was computed from it (the im2col matrix).
        # Those derived arrays are not drawn; the arguments are.
        key_of = {it.id: key for key, it in self._leaves.items()}
        given: dict[str, set] = {}
        extra: dict[tuple, None] = {}
        for gid, scopes in calls.items():
            idents = given[gid] = set()
            for v in (v for s in scopes.values() for v in getattr(s, "inputs", ())):
                ident = v.ident if isinstance(v, ReleasedInput) else id(v)
                idents.add(ident)
                if isinstance(v, np.ndarray):  # a small array given as it is: drawn as a tensor
                    v = Tensor(v)
                leaf = self._leaf(ident, v)
                items.setdefault(leaf.id, leaf)
                extra[(leaf.id, gid, None)] = None

        def inside_the_call(s: str, s2: str, d2: str) -> bool:  # computed inside the call from its arguments
            if d2 in given and s in key_of and s2 == s:
                obj = self.items.get(s, items.get(s)).obj
                return not (isinstance(obj, Tensor) and obj.requires_grad) and key_of[s] not in given[d2]
            return False

        edges = _merge_edges(items, [*extra, *self.edges], rep, skip=inside_the_call)
        used = {end for s2, d2, _ in edges for end in (s2, d2)}
        roots = {rep.get(r, r) for r in self.roots}
        for key in [k for k, it in items.items() if it.kind == "leaf" and k not in used and k not in roots]:
            del items[key]  # only fed what a call computed inside
        self.items, self.edges = items, edges
        self.roots = [rep.get(r, r) for r in self.roots]
        self.merged = rep

    # ------------------------------------------------------------------ collapsing and limiting
    def depth(self) -> int:
        return max((len(it.scope) for it in self.items.values()), default=0)

    def collapsed(self, collapse: Any) -> tuple[dict, list]:
        """Items and edges with modules merged into single nodes (see ``draw``'s ``collapse``)."""
        if collapse is None or collapse is False:
            return self.items, self.edges
        if collapse is True:
            collapse = 1
        if isinstance(collapse, int):
            level_of = lambda s: collapse if len(s) > collapse else None
        else:
            wanted = {collapse} if isinstance(collapse, (str, type)) else set(collapse)

            def level_of(s: tuple) -> int | None:
                for j, m in enumerate(s):
                    qual = self.mod_names.get(id(m), m if isinstance(m, str) else None)
                    if (
                        qual in wanted
                        or type(m).__name__ in wanted
                        or any(isinstance(w, type) and isinstance(m, w) for w in wanted)
                    ):
                        return j
                return None

        items: dict[str, Item] = {}
        rep: dict[str, str] = {}
        modules: dict[Any, Item] = {}
        for it in self.items.values():
            j = level_of(it.scope) if it.scope else None
            if j is None:
                items[it.id] = it
                continue
            key = it.calls[j]  # one node per call of the module
            mod = modules.get(key)
            if mod is None:
                mod = modules[key] = Item(f"m{len(modules)}", "module", it.scope[j], it.scope[:j], it.calls[:j])
                mod.call = key
                items[mod.id] = mod
            mod.members.append(it)
            mod.root = mod.root or it.root
            rep[it.id] = mod.id
        return items, _merge_edges(items, self.edges, rep)

    @staticmethod
    def limited(items: dict, edges: list, max_nodes: int) -> tuple[dict, list, Item | None]:
        """Keep the ``max_nodes - 1`` nodes nearest the outputs, and one node for the rest."""
        if len(items) <= max_nodes:
            return items, edges, None
        producers: dict[str, list] = {}
        for s, d, _ in edges:
            producers.setdefault(d, []).append(s)
        keep: dict[str, None] = {}
        queue = deque(k for k, it in items.items() if it.root)
        while queue and len(keep) < max_nodes - 1:
            i = queue.popleft()
            if i in keep:
                continue
            keep[i] = None
            queue.extend(p for p in producers.get(i, ()) if p not in keep)
        more = Item("more", "more", [it for k, it in items.items() if k not in keep], (), ())
        kept = {k: items[k] for k in keep}
        kept[more.id] = more
        out, fed = [], set()
        for s, d, label in edges:
            if d not in keep:
                continue
            if s in keep:
                out.append((s, d, label))
            elif d not in fed:  # one dashed edge from the 'left out' node into each node it fed
                fed.add(d)
                out.append((more.id, d, None))
        return kept, out, more


def _merge_edges(items: dict, edges: list, rep: dict, skip: Callable[[str, str, str], bool] | None = None) -> list:
    """The edges between merged nodes (``rep``: member id -> merged id): no self-loops, none that
    ``skip(source, merged source, merged destination)`` rejects, one unlabelled edge per merged pair;
    each merged source remembers which members the edges left from (``leaving``)."""
    merged, seen = [], set()
    for s, d, label in edges:
        s2, d2 = rep.get(s, s), rep.get(d, d)
        if s2 == d2 or (skip is not None and skip(s, s2, d2)):
            continue
        if s2 != s:
            items[s2].leaving[s] = None
        if s2 != s or d2 != d:
            if (s2, d2) in seen:
                continue
            seen.add((s2, d2))
            label = None
        merged.append((s2, d2, label))
    return merged
