"""Draw the computation graph behind a tensor with Graphviz: ``draw_graph(loss)``.

The picture has two kinds of nodes. Tensors are rounded boxes (shape, dtype,
optional values and gradient norm); operations are ellipses (the op name, e.g.
``matmul``, or a user ``Function``'s class name). Edges follow the data:
input tensor -> op -> output tensor. Building the drawing is pure Python;
only rendering it (``.render``, ``.pipe``, Jupyter display) runs Graphviz's
``dot`` program.
"""

from __future__ import annotations

import html
import math
from collections import deque

import graphviz
import numpy as np

SMALL_TENSOR = 8  # tensors with at most this many elements show their values
RANKDIRS = ("LR", "RL", "TB", "BT")
COLOR_BY = (None, "grad_norm")
INSTALL_HINT = (
    "Rendering a graph needs Graphviz's `dot` program, which was not found on PATH. "
    "Install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS), `conda install -c conda-forge graphviz` (conda), "
    "or see https://graphviz.org/download/ (Windows). Without it the graph is still "
    "available as DOT text: `.source`, or `.save('graph.gv')`."
)
# Op parameters worth printing on an op node (other ctx attributes are backward bookkeeping).
OP_PARAMS = ("axis", "axes", "keepdims", "exponent", "stride", "padding", "kernel_size")

# Tensor kinds: (legend text, border colour, pastel fill, extra style, peripheries).
KINDS = {
    "root": ("output (root)", "#b45309", "#fde68a", "", 2),
    "parameter": ("parameter", "#15803d", "#bbf7d0", "", 1),
    "input": ("leaf, requires grad", "#1d4ed8", "#bfdbfe", "", 1),
    "constant": ("constant (no grad)", "#6b7280", "#f3f4f6", ",dashed", 1),
    "intermediate": ("intermediate", "#374151", "#ffffff", "", 1),
}
OP_FILL = "#ede9fe"
OP_BORDER = "#6d28d9"
NO_GRAD_FILL = "#d1d5db"
NONFINITE_FILL = "#e11d48"
# Hand-picked sequential colormap for log10(|grad|): CIELAB lightness rises
# steadily (about 10 -> 88) from dark indigo through blue, teal and green to
# yellow, so "brighter" always means "larger gradient", in colour or in grey.
HEAT = ("#1d1147", "#35307f", "#2b5fa8", "#1f8a9a", "#3bae7c", "#8ccb5a", "#f0dd4f")
MAX_TICKS = 9


class GraphNotFoundError(graphviz.ExecutableNotFound):
    """Graphviz's ``dot`` program is missing; the message says how to install it."""

    def __init__(self, message: str) -> None:
        RuntimeError.__init__(self, message)


class GraphDrawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose rendering explains how to install Graphviz when it is missing.

    Use it like any Digraph: ``.source`` (DOT text), ``.render(path, format="svg")``,
    ``.pipe(format="png")``, or display it in Jupyter.
    """

    def render(self, *args, **kwargs) -> str:
        """Render to a file like ``graphviz.Digraph.render``; returns the output path."""
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            raise GraphNotFoundError(f"{INSTALL_HINT} ({error})") from error

    def pipe(self, *args, **kwargs):
        """Return the rendered bytes (or str with ``encoding=``) like ``graphviz.Digraph.pipe``."""
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            raise GraphNotFoundError(f"{INSTALL_HINT} ({error})") from error


# --------------------------------------------------------------------- graph walk
def _walk(root) -> tuple[list, list, list]:
    """Breadth-first walk from ``root`` (iterative, so deep graphs are fine).

    Returns tensors and ops in discovery order (which fixes their DOT ids) and
    edges as (kind, tensor index, op index): "in" is tensor -> op, "out" is op -> tensor.
    """
    tensors, ops, edges = [root], [], []
    tensor_index, op_index = {id(root): 0}, {}
    queue = deque([root])
    while queue:
        tensor = queue.popleft()
        node = tensor.grad_fn
        if node is None:
            continue
        if id(node) not in op_index:
            op_index[id(node)] = len(ops)
            ops.append(node)
            for source in node.inputs:
                if id(source) not in tensor_index:
                    tensor_index[id(source)] = len(tensors)
                    tensors.append(source)
                    queue.append(source)
                edges.append(("in", tensor_index[id(source)], op_index[id(node)]))
        edges.append(("out", tensor_index[id(tensor)], op_index[id(node)]))
    return tensors, ops, edges


def _param_names(params) -> dict[int, str] | None:
    """``{id(tensor): name}`` from a dict name -> Tensor or an object with ``named_parameters``."""
    if params is None:
        return None
    if hasattr(params, "named_parameters"):
        params = dict(params.named_parameters())
    if not isinstance(params, dict):
        raise TypeError(
            "draw_graph: params must be a dict name -> Tensor or have a named_parameters() "
            f"method (an nn.Module), got {type(params).__name__}"
        )
    return {id(tensor): str(name) for name, tensor in params.items()}


def _kind(tensor, is_root: bool, names: dict[int, str] | None) -> str:
    if is_root:
        return "root"
    if not tensor.requires_grad:
        return "constant"
    if tensor.grad_fn is not None:
        return "intermediate"
    if names is not None:
        return "parameter" if id(tensor) in names else "input"
    return "parameter" if getattr(tensor, "name", None) else "input"


# ---------------------------------------------------------------------- gradients
def _gradients(root, tensors: list, compute: bool) -> dict[int, np.ndarray]:
    """``{index: gradient array}`` for the tensors that have a gradient to show.

    With ``compute``, gradients of a scalar root w.r.t. every tensor come from
    ``ag.grad`` (the graph is left intact); if the graph was already freed by
    ``backward()`` this falls back to the stored ``.grad`` of leaves and retained tensors.
    """
    stored = {i: t.grad.data for i, t in enumerate(tensors) if t.grad is not None}
    if not (compute and root.requires_grad and root.data.size == 1):
        return stored
    stored[0] = np.ones_like(root.data)  # d root / d root, whether or not the graph is alive
    if root.grad_fn is None:
        return stored
    from autograd import grad  # here, not at import: autograd/__init__ imports this module

    wanted = [i for i, t in enumerate(tensors) if i > 0 and t.requires_grad]
    try:
        grads = grad(root, [tensors[i] for i in wanted], retain_graph=True, allow_unused=True)
    except RuntimeError as error:
        if "retain_graph" not in str(error):
            raise
        return stored
    computed = {0: np.ones_like(root.data)}
    for i, value in zip(wanted, grads):
        if value is not None:
            computed[i] = value.data
    return computed


def _norm(array: np.ndarray) -> float:
    return float(np.sqrt(np.sum(np.square(array, dtype=np.float64))))


def _heat_range(norms: list[float]) -> tuple[int, int] | None:
    """Whole decades ``(lo, hi)`` spanning the positive finite norms, at least one decade wide."""
    logs = [math.log10(n) for n in norms if n > 0 and math.isfinite(n)]
    if not logs:
        return None
    lo, hi = math.floor(min(logs)), math.ceil(max(logs))
    return lo, max(hi, lo + 1)


def _heat_colour(position: float) -> str:
    """Colour at ``position`` in [0, 1] along ``HEAT``, linearly interpolated between anchors."""
    scaled = min(max(position, 0.0), 1.0) * (len(HEAT) - 1)
    i = min(int(scaled), len(HEAT) - 2)
    frac = scaled - i
    a, b = _rgb(HEAT[i]), _rgb(HEAT[i + 1])
    return "#" + "".join(f"{round(x + (y - x) * frac):02x}" for x, y in zip(a, b))


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _text_colour(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (by relative luminance)."""
    linear = [(c / 255) ** 2.2 for c in _rgb(fill)]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#ffffff" if luminance < 0.18 else "#000000"


def _norm_colour(norm: float, span: tuple[int, int] | None) -> str:
    if not math.isfinite(norm):
        return NONFINITE_FILL
    if norm == 0 or span is None:
        return HEAT[0]
    lo, hi = span
    return _heat_colour((math.log10(norm) - lo) / (hi - lo))


# ------------------------------------------------------------------------ labels
def _num(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    return f"{value:.3g}"


def _values(array: np.ndarray) -> str:
    """Small arrays in full (3 significant digits), bigger ones as mean/min/max."""
    if array.size == 0:
        return "empty"
    if array.size <= SMALL_TENSOR:
        text = np.array2string(array, separator=", ", formatter={"float_kind": _num})
        return "<br/>".join(html.escape(line.strip()) for line in text.splitlines())
    finite = array[np.isfinite(array)] if np.issubdtype(array.dtype, np.floating) else array
    if finite.size == 0:
        return "no finite values"
    finite = finite.astype(np.float64)
    return html.escape(
        f"mean {_num(finite.mean())}  min {_num(finite.min())}  max {_num(finite.max())}"
    )


def _nonfinite(array: np.ndarray | None) -> str | None:
    """'3 nan, 1 inf' when a floating array holds such values."""
    if array is None or not np.issubdtype(array.dtype, np.floating):
        return None
    nan, inf = int(np.isnan(array).sum()), int(np.isinf(array).sum())
    parts = [f"{nan} nan"] * bool(nan) + [f"{inf} inf"] * bool(inf)
    return ", ".join(parts) or None


def _small(text: str) -> str:
    return f'<font point-size="9">{text}</font>'


def _tensor_label(tensor, kind: str, name: str | None, show_data: bool, extra: list[str]) -> str:
    data = tensor.data
    shape = html.escape(str(tuple(data.shape)))
    lines = [f"<b>{html.escape(name)}</b>"] if name else []
    if kind == "constant" and data.size == 1:
        # A literal such as the 2 in ``x * 2``: its value says more than "() float32".
        lines += [f"<b>{_values(data)}</b>", _small(f"{shape} {data.dtype}")]
    else:
        lines.append(f"{shape} {data.dtype}")
        if kind == "root" and data.size == 1:
            lines.append(_small(f"= {_values(data)}"))  # the loss value is what one looks for
        elif show_data:
            lines.append(_small(_values(data)))
    return "<" + "<br/>".join(lines + extra) + ">"


def _grad_text(grad: np.ndarray | None, tensor, heat: bool) -> str | None:
    if grad is None:
        return "no grad" if heat and tensor.requires_grad else None
    text = f"|grad| = {_num(_norm(grad))}"
    if grad.shape != tensor.data.shape:
        text += f" {tuple(grad.shape)}"
    return text


def _op_params(node) -> str:
    """Short parameters such as ``axes=(1,)``; never arrays."""
    params = []
    for key in OP_PARAMS:
        value = getattr(node, key, None)
        if isinstance(value, tuple) and len(value) <= 4:
            if all(isinstance(v, (int, np.integer)) for v in value):
                params.append(f"{key}={tuple(int(v) for v in value)}")
        elif isinstance(value, (bool, int, float, np.number, np.bool_)):
            params.append(f"{key}={value.item() if isinstance(value, np.generic) else value}")
    return html.escape(", ".join(params))


def _op_label(node) -> str:
    name = getattr(node, "name", None) or type(node).__name__
    params = _op_params(node)
    return f"<<b>{html.escape(name)}</b>" + (f"<br/>{_small(params)}" if params else "") + ">"


def _legend(kinds: list[str], heat: dict | None) -> str:
    """The graph's label: a row of the tensor kinds present and, for heat, a colour bar row."""
    cells = []
    for kind in kinds:
        text, border, fill = KINDS[kind][:3]
        cells.append((text, "#ffffff" if heat else fill, border))
    cells.append(("operation", OP_FILL, OP_BORDER))
    rows = [_swatch_row("legend", cells)]
    if heat:
        rows.append(_swatch_row("|grad|", _colour_bar(heat)))
    table = "".join(f'<tr><td>{row}</td></tr>' for row in rows)
    return f'<<table border="0" cellspacing="2" cellpadding="0">{table}</table>>'


def _swatch_row(title: str, cells: list[tuple[str, str, str]]) -> str:
    tds = "".join(
        f'<td bgcolor="{fill}" color="{border}"><font color="{_text_colour(fill)}">{text}'
        "</font></td>"
        for text, fill, border in cells
    )
    return (
        '<table border="0" cellborder="1" cellspacing="3" cellpadding="3"><tr>'
        f'<td border="0" align="right"><b>{html.escape(title)}</b></td>{tds}</tr></table>'
    )


def _colour_bar(heat: dict) -> list[tuple[str, str, str]]:
    """Swatches (text, fill, border): one per decade (thinned to ``MAX_TICKS``), special cases."""
    cells = []
    if heat["zero"]:
        cells.append(("0", HEAT[0]))
    if heat["span"] is not None:
        lo, hi = heat["span"]
        step = max(1, math.ceil((hi - lo) / (MAX_TICKS - 1)))
        for decade in range(lo, hi + 1, step):
            cells.append((f"1e{decade}", _heat_colour((decade - lo) / (hi - lo))))
    if heat["nonfinite"]:
        cells.append(("nan/inf", NONFINITE_FILL))
    if heat["missing"]:
        cells.append(("no grad", NO_GRAD_FILL))
    return [(text, fill, fill) for text, fill in cells]


# ---------------------------------------------------------------------- public API
def draw_graph(
    root,
    show_data: bool = False,
    show_grad: bool = True,
    rankdir: str = "LR",
    params=None,
    color_by: str | None = None,
) -> GraphDrawing:
    """Draw the computation graph that produced ``root`` as a Graphviz ``Digraph``.

    >>> loss = ((x @ w + b).tanh() - y).pow(2).mean()
    >>> ag.draw_graph(loss, params=model)                  # displays itself in Jupyter
    >>> ag.draw_graph(loss, color_by="grad_norm").render("graph", format="svg")

    Tensor nodes (rounded boxes) show their name if any (from ``params``, else the
    tensor's ``.name``, which ``nn.Parameter`` sets), shape and dtype, and their
    gradient norm ``|grad|`` when ``show_grad`` and a gradient is known. A scalar
    root also shows its value, a size-1 constant (the ``2`` of ``x * 2``) shows its
    value instead of its shape, and any tensor holding NaN/inf says so in red. Op
    nodes (ellipses) show the op name (``matmul``, a user ``Function``'s class name)
    and its scalar parameters (``axis=1``). Edges run input -> op -> output.
    The root (double border), parameters (green), leaves that require grad but
    are not parameters (blue), constants (grey, dashed) and intermediates (white)
    look different; a legend lists the kinds present.

    Args:
        root: the Tensor whose graph to draw (usually the loss).
        show_data: also show values: in full for tensors of at most 8 elements,
            else ``mean/min/max`` of the finite values. Never whole arrays.
        show_grad: show ``|grad|`` (the L2 norm of the gradient) on tensor nodes.
        rankdir: Graphviz layout direction, "LR" (left to right), "TB", "RL" or "BT".
        params: dict name -> Tensor (``dict(model.named_parameters())``) or any
            object with ``named_parameters()`` (an ``nn.Module``); names parameter
            nodes, e.g. ``0.weight``.
        color_by: ``None``, or ``"grad_norm"`` to fill each tensor by
            ``log10(|grad|)`` on a dark-to-bright colormap, with a colour bar in the
            legend, so vanishing (dark) and exploding (bright) gradients stand out;
            grey = no gradient, red = NaN/inf.

    Which gradients: with ``color_by="grad_norm"`` and a scalar root whose graph
    is still alive (before ``backward()``, or after ``backward(retain_graph=True)``),
    the gradient of ``root`` w.r.t. every tensor in the graph, intermediates
    included, is computed with ``ag.grad(..., retain_graph=True)``; ``.grad``
    fields are not touched. Otherwise (graph freed by ``backward()``, non-scalar
    root, or no ``color_by``) the stored ``.grad`` is shown, which exists only for
    leaves and tensors that called ``retain_grad()``; the others read "no grad".

    Returns:
        A ``GraphDrawing`` (a ``graphviz.Digraph``): ``.source`` is the DOT text
        (deterministic: node ids follow the walk order), ``.render(path,
        format="svg"|"png")`` writes a file. Building it never needs Graphviz;
        rendering needs the ``dot`` program, and a missing one raises
        ``GraphNotFoundError`` (a ``graphviz.ExecutableNotFound``) saying how to install it.
    """
    _check_args(root, rankdir, color_by)
    heat_mode = color_by == "grad_norm"
    names = _param_names(params)
    tensors, ops, edges = _walk(root)
    grads = _gradients(root, tensors, compute=heat_mode) if (show_grad or heat_mode) else {}
    norms = {i: _norm(g) for i, g in grads.items()}
    heat = None
    if heat_mode:
        heat = {
            "span": _heat_range(list(norms.values())),
            "zero": any(n == 0 for n in norms.values()),
            "nonfinite": any(not math.isfinite(n) for n in norms.values()),
            "missing": len(norms) < len(tensors),
        }

    graph = GraphDrawing(
        name="autograd",
        graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "nodesep": "0.2",
                    "ranksep": "0.3"},
        node_attr={"fontname": "Helvetica", "fontsize": "11", "margin": "0.08,0.04"},
        edge_attr={"color": "#6b7280", "arrowsize": "0.6"},
    )
    kinds = []
    for i, tensor in enumerate(tensors):
        kind = _kind(tensor, i == 0, names)
        if kind not in kinds:
            kinds.append(kind)
        name = names.get(id(tensor)) if names else None
        name = name or getattr(tensor, "name", None)
        graph.node(f"t{i}", **_tensor_style(tensor, kind, name, show_data, show_grad,
                                            grads.get(i), norms.get(i), heat))
    for j, node in enumerate(ops):
        graph.node(f"op{j}", label=_op_label(node), shape="ellipse", style="filled",
                   fillcolor=OP_FILL, color=OP_BORDER, fontsize="10", height="0.3")
    for direction, i, j in edges:
        graph.edge(f"t{i}", f"op{j}") if direction == "in" else graph.edge(f"op{j}", f"t{i}")
    kinds.sort(key=list(KINDS).index)
    graph.attr(label=_legend(kinds, heat), labelloc="t", labeljust="l", fontsize="10")
    return graph


def _check_args(root, rankdir: str, color_by) -> None:
    from autograd.tensor import Tensor  # here, not at import: see _gradients

    if not isinstance(root, Tensor):
        raise TypeError(f"draw_graph: root must be a Tensor, got {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    if color_by not in COLOR_BY:
        raise ValueError(f"draw_graph: color_by must be None or 'grad_norm', got {color_by!r}")


def _tensor_style(tensor, kind, name, show_data, show_grad, grad, norm, heat) -> dict:
    """Graphviz attributes of one tensor node: label, shape, colours."""
    _, border, fill, extra_style, peripheries = KINDS[kind]
    if heat is not None:
        fill = NO_GRAD_FILL if norm is None else _norm_colour(norm, heat["span"])
    extra = []
    grad_text = _grad_text(grad, tensor, heat is not None) if show_grad else None
    if grad_text:
        extra.append(_small(html.escape(grad_text)))
    problems = [f"{p} in {what}" for p, what in
                ((_nonfinite(tensor.data), "data"), (_nonfinite(grad), "grad")) if p]
    if problems:
        border = NONFINITE_FILL  # a NaN is the bug one draws the graph to find: make it loud
        extra += [_small(f"<b>!! {html.escape(p)}</b>") for p in problems]
    return {
        "label": _tensor_label(tensor, kind, name, show_data, extra),
        "shape": "box",
        "style": "rounded,filled" + extra_style,
        "fillcolor": fill,
        "color": border,
        "fontcolor": _text_colour(fill),
        "penwidth": "3" if problems else "2" if heat and kind != "intermediate" else "1",
        "peripheries": str(peripheries),
    }
