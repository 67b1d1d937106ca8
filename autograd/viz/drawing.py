"""A ``Scene`` as a ``graphviz.Digraph``: the only module that imports Graphviz.

``autograd.viz`` imports this module when a graph is drawn, so ``import
autograd`` needs NumPy alone.
"""

from __future__ import annotations

import graphviz

from autograd.viz.scene import Scene

DOT_HINT = (
    "Rendering a graph needs Graphviz's `dot` program, which was not found on PATH. "
    "Install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS), `conda install -c conda-forge graphviz` (conda), "
    "or see https://graphviz.org/download/ (Windows). Without it the graph is still "
    "available as DOT text: `.source`, or `.save('graph.gv')`."
)


class GraphNotFoundError(graphviz.ExecutableNotFound):
    """Graphviz's ``dot`` program is missing; the message says how to install it."""

    def __init__(self, message: str) -> None:
        RuntimeError.__init__(self, message)


class GraphDrawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose rendering explains how to install Graphviz if it is missing.

    Use it like any Digraph: ``.source`` (DOT text), ``.render(path, format="svg")``,
    ``.pipe(format="png")``, or display it in Jupyter (which calls ``pipe``).
    """

    def render(self, *args, **kwargs) -> str:
        """Render to a file like ``graphviz.Digraph.render``; returns the output path."""
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            raise GraphNotFoundError(f"{DOT_HINT} ({error})") from error

    def pipe(self, *args, **kwargs):
        """Return the rendered bytes (str with ``encoding=``) like ``graphviz.Digraph.pipe``."""
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            raise GraphNotFoundError(f"{DOT_HINT} ({error})") from error


def to_digraph(scene: Scene) -> GraphDrawing:
    """Assemble the DOT text: boxes as nested ``cluster`` subgraphs, nodes in scene order."""
    graph = GraphDrawing(
        name="autograd",
        graph_attr=scene.graph_attr,
        node_attr={"fontname": "Helvetica", "fontsize": "11", "margin": "0.08,0.04"},
        edge_attr={"color": "#6b7280", "arrowsize": "0.6"},
    )
    boxes = {box: graphviz.Digraph(name=f"cluster_{k}", graph_attr=attrs)
             for k, (box, attrs) in enumerate(scene.boxes.items())}
    for node_id, attrs, box in scene.nodes:
        boxes.get(box, graph).node(node_id, **attrs)
    for box, node_ids in scene.same_rank:
        # Side by side; invisible edges keep the leaves in call order, left to right.
        order = " -> ".join(node_ids[1:]) + " [style=invis]; " if len(node_ids) > 2 else ""
        boxes.get(box, graph).body.append(f"\t{{rank=same; {'; '.join(node_ids)}; {order}}}\n")
    # Innermost first, so each box is complete when nested; siblings keep their order.
    for box in sorted(scene.boxes, key=lambda name: -name.count(".")):
        parent = scene.parent(box)
        (boxes[parent] if parent else graph).subgraph(boxes[box])
    for tail, head in scene.edges:
        graph.edge(tail, head)
    return graph
