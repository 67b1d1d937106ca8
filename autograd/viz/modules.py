"""Which module made which op: the clusters of ``draw_graph(loss, params=model)``.

Two sources, the exact one first:

- ``record_modules(model)``: a context manager; every module call inside it
  marks the ops it created with the module's name (``"1"``, ``"encoder.fc1"``)
  and class (``"BatchNorm2d"``). Parameter-free layers (ReLU, Dropout, pooling,
  Flatten) get their box too.
- Without a recording, an op belongs to a module when it uses one of that
  module's parameters (directly, or through a reshape or transpose of it), so
  layers with parameters get a box and parameter-free ones do not.

Only duck typing: ``named_modules()``, ``named_parameters(recurse=False)``,
``register_forward_hook``; ``autograd`` never imports ``nn``.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator

from autograd.viz.nodes import op_inputs, producer
from autograd.viz.walk import Graph

# node -> (module name, class name), filled while record_modules() is active.
_recorded: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@contextlib.contextmanager
def record_modules(model) -> Iterator[None]:
    """Remember which module created each op while the block runs.

    >>> with ag.viz.record_modules(model):
    ...     loss = loss_fn(model(x), y)
    >>> ag.draw_graph(loss, params=model)   # one box per layer, ReLU and Dropout included

    A forward hook on every module (``register_forward_hook``) marks the ops each
    call created; the hooks are removed when the block ends, and the marks live as
    long as the graph does.
    """
    if not hasattr(model, "named_modules"):
        raise TypeError(
            f"record_modules: expected a module with named_modules(), got {type(model).__name__}"
        )
    handles = []
    try:
        for name, module in model.named_modules():
            handles.append(module.register_forward_hook(_recorder(name, type(module).__name__),
                                                        with_kwargs=True))
        yield
    finally:
        for handle in handles:
            handle.remove()


def _recorder(name: str, cls: str):
    def hook(module, args, kwargs, output) -> None:
        _mark(name, cls, _tensors((args, kwargs)), _tensors(output))

    return hook


def _tensors(value) -> list:
    """The Tensors in ``value`` (nested tuples, lists and dicts included)."""
    from autograd.tensor import Tensor  # here: autograd/__init__ imports this package

    found, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            found.append(item)
        elif isinstance(item, (tuple, list)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return found


def _mark(name: str, cls: str, inputs: list, outputs: list) -> None:
    """Mark the ops between a call's inputs and outputs that no inner module has marked.

    Inner modules return first, so they mark their ops first; this walk passes
    through their ops (to reach ops of this module made before them) and stops
    at the call's inputs and at ops of other modules. A mark also lists which of
    the op's inputs are leaves that came from inside the call (parameters, a
    dropout mask), not through its arguments.
    """
    stop = {id(tensor) for tensor in inputs}
    inner = f"{name}." if name else ""
    stack = [producer(t) for t in outputs if id(t) not in stop and producer(t) is not None]
    seen = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        mark = _recorded.get(node)
        if mark is not None and not mark[0].startswith(inner):
            continue
        sources = op_inputs(node)
        if mark is None:
            own = frozenset(k for k, t in enumerate(sources)
                            if producer(t) is None and id(t) not in stop)
            _recorded[node] = (name, cls, own)
        for tensor in sources:
            parent = producer(tensor)
            if parent is not None and id(tensor) not in stop:
                stack.append(parent)


def placement(graph: Graph, model) -> tuple[dict[int, str], dict[int, str]]:
    """``({op index: module name}, {tensor index: module name})`` (the root module excluded).

    An op's output goes with the op; a leaf goes with the module that owns it
    (made or captured inside its call, or, without a recording, its parameter).
    """
    marks = {j: _recorded.get(node) for j, node in enumerate(graph.ops)}
    if any(mark is not None for mark in marks.values()):
        ops = {j: mark[0] for j, mark in marks.items() if mark is not None}
        leaves: dict[int, set] = {}
        for j, mark in marks.items():
            if mark is not None:
                inputs = graph.inputs_of(j)
                for position in mark[2]:
                    leaves.setdefault(inputs[position], set()).add(mark[0])
        owned = {i: next(iter(names)) for i, names in leaves.items() if len(names) == 1}
    else:
        ops, owned = _by_parameters(graph, model)
    tensors = {graph.output_of[j]: name for j, name in ops.items()} | owned
    for is_input, i, j in graph.edges:  # a module's output goes between it and its consumers
        if is_input and i in tensors:
            tensors[i] = _common(tensors[i], ops.get(j, ""))
    return ({j: name for j, name in ops.items() if name},
            {i: name for i, name in tensors.items() if name})


def _common(first: str, second: str) -> str:
    """The innermost module enclosing both (``"a.b"`` and ``"a.c"`` -> ``"a"``)."""
    common = []
    for a, b in zip(first.split("."), second.split(".")):
        if a != b:
            break
        common.append(a)
    return ".".join(common)


def _by_parameters(graph: Graph, model) -> tuple[dict[int, str], dict[int, str]]:
    """Ops that use a module's own parameters belong to it (no recording available)."""
    owner = {}
    for name, module in model.named_modules():
        for _, param in module.named_parameters(recurse=False):
            owner[id(param)] = name
    ops: dict[int, str] = {}
    only_params: dict[int, str] = {}  # tensors computed from one module's parameters alone
    for j in graph.producers_first():
        inputs = graph.inputs_of(j)
        sources = [owner.get(id(graph.tensors[i])) or only_params.get(i) for i in inputs]
        names = {source for source in sources if source is not None}
        if len(names) == 1:
            (ops[j],) = names
            literal = [graph.tensors[i].data.size == 1 and producer(graph.tensors[i]) is None
                       for i in inputs]  # such as the 2 in ``w * 2``
            if all(s is not None or is_literal for s, is_literal in zip(sources, literal)):
                only_params[graph.output_of[j]] = ops[j]
    leaves = {i: owner[id(t)] for i, t in enumerate(graph.tensors) if id(t) in owner}
    return ops, leaves
