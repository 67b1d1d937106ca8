"""Graphviz drawing of computation graphs (being written: see issue 'See the graph')."""


def draw_graph(root, show_data=False, show_grad=True, rankdir="LR", params=None, color_by=None):
    """Return a ``graphviz.Digraph`` of the graph that made ``root``."""
    raise NotImplementedError("draw_graph is not available yet")
