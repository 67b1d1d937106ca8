"""What to draw: nodes, edges, module boxes and the legend, before Graphviz sees any of it.

``build(...)`` turns the walked graph (``walk.py``) and its gradients into a
``Scene`` using the styling in ``style.py``; ``drawing.py`` hands it to Graphviz.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from autograd.viz import modules, style
from autograd.viz.nodes import op_name, op_params, producer, values_freed
from autograd.viz.walk import Gradients, Graph, kind

FREED_NOTE = ("Gradients of intermediates are not shown: backward() freed the graph. "
              "Draw before backward() with compute_grad=True, or call "
              "backward(retain_graph=True) first.")
NOT_SCALAR_NOTE = "Gradients not computed: the root has shape {}; draw a scalar such as the loss."


@dataclass
class Options:
    """``draw_graph``'s choices, checked."""

    show_data: bool = False
    show_grad: bool = True
    rankdir: str = "LR"
    style: str = "full"
    heat: bool = False
    names: dict | None = None
    compact: bool = False
    expand: frozenset = frozenset()


@dataclass
class Scene:
    """Graph attributes; nodes ``(id, attrs, box)`` (box: a module name, "" for none);
    edges ``(tail, head)``; boxes ``{module name: attrs}``, enclosing boxes first."""

    graph_attr: dict
    nodes: list = field(default_factory=list)
    edges: list = field(default_factory=list)
    boxes: dict = field(default_factory=dict)
    same_rank: list = field(default_factory=list)  # (box, [node ids]) drawn side by side

    def parent(self, box: str) -> str:
        """The box enclosing ``box`` ("" at the top)."""
        while "." in box:
            box = box.rsplit(".", 1)[0]
            if box in self.boxes:
                return box
        return ""


@dataclass
class _Layout:
    """Which module holds each op and tensor, and which modules are drawn as one node."""

    op_box: dict = field(default_factory=dict)  # op index -> module name
    tensor_box: dict = field(default_factory=dict)  # tensor index -> module name
    classes: dict = field(default_factory=dict)  # module name -> class name
    collapsed: dict = field(default_factory=dict)  # module name -> node id

    def home(self, box: str | None) -> str | None:
        """The collapsed module that swallows ``box``, if any."""
        for name in self.collapsed:
            if box is not None and (box == name or box.startswith(name + ".")):
                return name
        return None


def build(graph: Graph, grads: Gradients, options: Options, model=None) -> Scene:
    """Everything ``draw_graph`` draws, as ids and Graphviz attributes."""
    layout = _layout(graph, options, model)
    drawn = Scene(graph_attr={
        # ordering=in keeps each op's inputs in call order (left operand of a - b first).
        "rankdir": options.rankdir, "ordering": "in", "nodesep": "0.2", "ranksep": "0.3",
        "fontname": "Helvetica"})
    boxes = _enclosing(set(layout.op_box.values()))
    drawn.boxes = {box: style.cluster(box, layout.classes.get(box, "?")) for box in boxes
                   if layout.home(box) is None}
    hidden = {j for j, box in layout.op_box.items() if layout.home(box) is not None}
    kinds = _tensors(drawn, graph, grads, options, layout)
    _ops(drawn, graph, options, layout, hidden)
    _modules(drawn, graph, layout, grads if options.heat else None)
    _edges(drawn, graph, layout)
    _beside_their_op(drawn, graph, layout)
    notes = [FREED_NOTE] * grads.freed
    notes += [NOT_SCALAR_NOTE.format(tuple(graph.tensors[0].shape))] * grads.not_scalar
    label = style.legend(sorted(kinds, key=list(style.KINDS).index), options.heat, notes,
                         options.style, modules=bool(layout.collapsed))
    if label:
        drawn.graph_attr.update(label=label, labelloc="t", labeljust="l", fontsize="10")
    return drawn


def _layout(graph: Graph, options: Options, model) -> _Layout:
    layout = _Layout()
    if model is None or not hasattr(model, "named_modules"):
        return layout
    layout.op_box, layout.tensor_box = modules.placement(graph, model)
    layout.classes = {name: type(module).__name__ for name, module in model.named_modules()}
    if options.compact:
        boxes = _enclosing(set(layout.op_box.values()))
        for box in boxes:  # enclosing boxes come first, so the outermost one wins
            if box not in options.expand and layout.home(box) is None:
                layout.collapsed[box] = f"m{len(layout.collapsed)}"
    return layout


def _enclosing(names: set) -> list[str]:
    """The module names with all their enclosing modules, outermost first."""
    boxes = set()
    for name in names:
        parts = name.split(".")
        boxes.update(".".join(parts[: k + 1]) for k in range(len(parts)))
    return sorted(boxes, key=lambda box: (box.count("."), _natural(box)))


def _natural(name: str) -> list:
    """Sort key that puts module "2" before "10"."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in name.split(".")]


def _visible_box(drawn: Scene, layout: _Layout, box: str | None) -> str:
    """Where a node of module ``box`` goes: its box, or around the node that swallowed it."""
    if not box:
        return ""
    swallowed = layout.home(box)
    return drawn.parent(swallowed) if swallowed is not None else box


def _tensors(drawn, graph, grads, options, layout) -> list[str]:
    homes: dict[int, set] = {}  # tensor index -> the collapsed modules (or None) of its consumers
    for is_input, i, j in graph.edges:
        if is_input:
            homes.setdefault(i, set()).add(layout.home(layout.op_box.get(j)))
    kinds = []
    for i, tensor in enumerate(graph.tensors):
        box = layout.tensor_box.get(i)
        home = layout.home(box)
        if home is not None and i != 0 and homes.get(i, set()) == {home}:
            continue  # inside a module drawn as one node
        tensor_kind = kind(tensor, i == 0, options.names)
        kinds += [tensor_kind] if tensor_kind not in kinds else []
        name = (options.names or {}).get(id(tensor)) or tensor.name
        grad = grads.arrays.get(i)
        freed = values_freed(tensor)
        if options.style == "micrograd":
            attrs = style.tensor_micrograd(tensor, tensor_kind, name, grad, options.show_grad,
                                           options.heat, freed)
        else:
            attrs = style.tensor_full(tensor, tensor_kind, name, grad, options.show_data,
                                      options.show_grad, options.heat, freed)
        attrs["id"] = f"t{i}"
        drawn.nodes.append((f"t{i}", attrs, _visible_box(drawn, layout, box)))
    return kinds


def _ops(drawn, graph, options, layout, hidden) -> None:
    for j, node in enumerate(graph.ops):
        if j in hidden:
            continue
        name = op_name(node)
        if options.style == "micrograd":
            attrs = style.op_micrograd(name)
        else:
            inputs = [graph.tensors[i] for i in graph.inputs_of(j)]
            output = graph.tensors[graph.output_of[j]]
            attrs = style.op_full(name, op_params(node), inputs, [output])
        attrs["id"] = f"op{j}"
        drawn.nodes.append((f"op{j}", attrs, layout.op_box.get(j, "")))


def _modules(drawn, graph, layout, grads: Gradients | None) -> None:
    """Compact mode: one node per collapsed module; with heat, coloured by the gradient
    of its parameters (all of them together)."""
    for box, node_id in layout.collapsed.items():
        members = sorted(j for j, b in layout.op_box.items() if layout.home(b) == box)
        if not members:
            continue
        names = [op_name(graph.ops[j]) for j in reversed(members)]  # in the order they ran
        params = {i for is_input, i, j in graph.edges if is_input and j in members
                  and producer(graph.tensors[i]) is None and graph.tensors[i].requires_grad}
        count = sum(graph.tensors[i].data.size for i in params)
        known = [grads.arrays[i].ravel() for i in sorted(params)
                 if grads is not None and i in grads.arrays]
        gradient = np.concatenate(known) if known else None
        attrs = style.module_node(box, layout.classes.get(box, "?"), names, count, gradient)
        attrs["id"] = node_id
        drawn.nodes.append((node_id, attrs, drawn.parent(box)))


def _edges(drawn, graph, layout) -> None:
    visible = {node_id for node_id, _, _ in drawn.nodes}
    added = set()
    for is_input, i, j in graph.edges:
        op = layout.collapsed.get(layout.home(layout.op_box.get(j)), f"op{j}")
        tail, head = (f"t{i}", op) if is_input else (op, f"t{i}")
        if tail not in visible or head not in visible:
            continue
        if op in layout.collapsed.values():
            if (tail, head) in added:
                continue  # a module node gets one edge per tensor
            added.add((tail, head))
        drawn.edges.append((tail, head))


def _beside_their_op(drawn: Scene, graph: Graph, layout: _Layout) -> None:
    """Draw a module's own leaves (weights, a dropout mask) level with the op that uses them.

    Otherwise they take the rank of the module's input, beside the previous
    module's box, and every layer shifts the chain sideways: a staircase.
    """
    visible = {node_id for node_id, _, _ in drawn.nodes}
    placed = set()
    for j, box in layout.op_box.items():
        if f"op{j}" not in visible:
            continue
        leaves = [i for i in dict.fromkeys(graph.inputs_of(j)) if i not in placed
                  and layout.tensor_box.get(i) == box and producer(graph.tensors[i]) is None]
        if leaves:
            placed.update(leaves)
            drawn.same_rank.append((box, [f"op{j}"] + [f"t{i}" for i in leaves]))
