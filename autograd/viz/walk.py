"""The graph walk: which tensors and ops made a tensor, and which gradients are known.

Pure Python and NumPy; the styling (``style.py``) and Graphviz (``drawing.py``)
come after. ``walk(root)`` finds the graph, ``gradients(...)`` the gradient of
the root with respect to each of its tensors.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from autograd.viz.nodes import gradient_array, op_inputs, producer


@dataclass
class Graph:
    """The graph behind ``tensors[0]`` (the root), found breadth-first from it.

    ``edges`` are ``(is_input, tensor index, op index)`` in discovery order, an
    op's inputs in call order; ``output_of[j]`` is the tensor op ``j`` made.
    Indices are stable for one graph, so node ids in the drawing are too.
    """

    tensors: list = field(default_factory=list)
    ops: list = field(default_factory=list)
    edges: list = field(default_factory=list)
    output_of: list = field(default_factory=list)

    def inputs_of(self, op: int) -> list[int]:
        """Tensor indices of op ``op``'s inputs, in call order."""
        return [i for is_input, i, j in self.edges if is_input and j == op]

    def producers_first(self) -> list[int]:
        """Op indices in an order where every op comes after the ops that made its inputs."""
        made_by = {i: j for j, i in enumerate(self.output_of)}
        waiting = [0] * len(self.ops)
        consumers: dict[int, list[int]] = {}
        for is_input, i, j in self.edges:
            if is_input and i in made_by:
                waiting[j] += 1
                consumers.setdefault(made_by[i], []).append(j)
        ready = [j for j, count in enumerate(waiting) if count == 0]
        order = []
        while ready:
            j = ready.pop()
            order.append(j)
            for consumer in consumers.get(j, ()):
                waiting[consumer] -= 1
                if waiting[consumer] == 0:
                    ready.append(consumer)
        return order

    def op_index(self, node) -> int | None:
        """Index of ``node`` among the ops, or None if it is not in this graph."""
        for j, candidate in enumerate(self.ops):
            if candidate is node:
                return j
        return None


def walk(root) -> Graph:
    """Breadth-first walk from ``root`` (iterative, so any depth works).

    A tensor made by an op is identified by its op: after ``backward()`` an
    op's inputs may be data-free stand-ins of the tensors it was given, and
    each stand-in still points to the op that made the original.
    """
    graph = Graph(tensors=[root])
    tensor_index, op_index = {_key(root): 0}, {}
    queue = deque([root])
    while queue:
        tensor = queue.popleft()
        node = producer(tensor)
        if node is None:
            continue
        j = len(graph.ops)
        op_index[id(node)] = j
        graph.ops.append(node)
        graph.output_of.append(tensor_index[_key(tensor)])
        for source in op_inputs(node):
            key = _key(source)
            if key not in tensor_index:
                tensor_index[key] = len(graph.tensors)
                graph.tensors.append(source)
                queue.append(source)
            graph.edges.append((True, tensor_index[key], j))
        graph.edges.append((False, tensor_index[_key(tensor)], j))
    return graph


def _key(tensor) -> int:
    node = producer(tensor)
    return id(tensor) if node is None else id(node)


def param_names(params) -> dict[int, str] | None:
    """``{id(tensor): name}`` from a dict, (name, tensor) pairs, or ``named_parameters()``."""
    if params is None:
        return None
    pairs = params.named_parameters() if hasattr(params, "named_parameters") else params
    try:
        named = dict(pairs)
    except (TypeError, ValueError):
        raise TypeError(
            "draw_graph: params must be a dict name -> Tensor, (name, Tensor) pairs or have a "
            f"named_parameters() method (an nn.Module), got {type(params).__name__}"
        ) from None
    return {id(tensor): str(name) for name, tensor in named.items()}


def kind(tensor, is_root: bool, names: dict[int, str] | None) -> str:
    """``root``, ``parameter`` (named by ``params``), ``leaf``, ``constant`` or ``intermediate``."""
    if is_root:
        return "root"
    if not tensor.requires_grad:
        return "constant"
    if producer(tensor) is not None:
        return "intermediate"
    return "parameter" if names is not None and id(tensor) in names else "leaf"


@dataclass
class Gradients:
    """What ``gradients`` found: arrays by tensor index, and why some are missing."""

    arrays: dict = field(default_factory=dict)
    computed: bool = False  # d root / d tensor was computed for the whole graph
    freed: bool = False  # the intermediates' gradients are lost: backward() freed the graph
    not_scalar: bool = False  # computing was wanted but the root has more than one element


def gradients(graph: Graph, compute: bool | None) -> Gradients:
    """The gradient of the root with respect to each tensor, where it is known.

    The stored ``.grad`` (leaves, and tensors that called ``retain_grad()``);
    with ``compute`` (None: when some tensor already has a ``.grad``, i.e. after
    ``backward(retain_graph=True)``), d root / d tensor for every tensor from
    ``ag.grad(..., retain_graph=True)``, leaving ``.grad`` alone. That needs a
    scalar root and a graph that ``backward()`` has not freed; when it was
    freed the result says so, and the stored gradients remain.
    """
    tensors, root = graph.tensors, graph.tensors[0]
    stored = {i: g for i, t in enumerate(tensors) if (g := gradient_array(t)) is not None}
    found = Gradients(arrays=dict(stored))
    if stored and root.requires_grad and root.data.size == 1:
        found.arrays[0] = np.ones_like(root.data)  # d root / d root, once backward has run
    if compute is None:
        compute = bool(stored)
    if not (compute and root.requires_grad):
        return found
    if root.data.size != 1:
        found.not_scalar = True
        return found
    if producer(root) is None:
        found.arrays[0], found.computed = np.ones_like(root.data), True
        return found
    from autograd.engine import grad  # here: autograd/__init__ imports this package

    wanted = [i for i, t in enumerate(tensors) if i > 0 and t.requires_grad]
    try:
        values = grad(root, [tensors[i] for i in wanted], retain_graph=True, allow_unused=True)
    except RuntimeError as error:
        if "retain_graph" not in str(error):
            raise
        found.freed = True
        return found
    found.arrays = {0: np.ones_like(root.data)}
    found.arrays.update({i: v.data for i, v in zip(wanted, values) if v is not None})
    found.computed = True
    return found


def rms(array: np.ndarray) -> float:
    """Root mean square of the entries (0 for an empty array): the per-element gradient size."""
    if array.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(np.square(array, dtype=np.float64))))
