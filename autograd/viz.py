"""Draw the computation graph behind a tensor with Graphviz: ``draw_graph(loss)``.

Tensors are rounded boxes (name, shape, dtype, optionally values and the
gradient norm); operations are ellipses (``matmul``, or a user ``Function``'s
class name). Edges follow the data: input tensor -> op -> output tensor.
Building the drawing is pure Python; only rendering it (``.render``, ``.pipe``,
Jupyter display) runs Graphviz's ``dot`` program.
"""

from __future__ import annotations

import html
import math
from collections import deque

import graphviz
import numpy as np

from autograd.function import is_released

SMALL_TENSOR = 8  # tensors with at most this many elements may show all their values
RANKDIRS = ("LR", "RL", "TB", "BT")
INSTALL_HINT = (
    "Rendering a graph needs Graphviz's `dot` program, which was not found on PATH. "
    "Install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS), `conda install -c conda-forge graphviz` (conda), "
    "or see https://graphviz.org/download/ (Windows). Without it the graph is still "
    "available as DOT text: `.source`, or `.save('graph.gv')`."
)
# Op parameters worth printing (the other ctx attributes are backward bookkeeping).
OP_PARAMS = ("axis", "axes", "keepdims", "exponent", "stride", "padding", "kernel_size")
# Tensor kinds: (legend text, border colour, pastel fill, extra style, peripheries).
KINDS = {
    "root": ("output (root)", "#b45309", "#fde68a", "", 2),
    "parameter": ("parameter", "#15803d", "#bbf7d0", "", 1),
    "input": ("leaf, requires grad", "#1d4ed8", "#bfdbfe", "", 1),
    "constant": ("constant (no grad)", "#6b7280", "#f3f4f6", ",dashed", 1),
    "intermediate": ("intermediate", "#374151", "#ffffff", "", 1),
}
OP_FILL, OP_BORDER = "#ede9fe", "#6d28d9"
NO_GRAD_FILL = "#d1d5db"
NONFINITE = "#e11d48"
# Hand-picked sequential colormap for log10(|grad|): CIELAB lightness rises
# steadily (about 10 -> 88) from dark indigo through blue, teal and green to
# yellow, so brighter always means a larger gradient, in colour or in grey.
HEAT = ("#1d1147", "#35307f", "#2b5fa8", "#1f8a9a", "#3bae7c", "#8ccb5a", "#f0dd4f")
MAX_TICKS = 9


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
            raise GraphNotFoundError(f"{INSTALL_HINT} ({error})") from error

    def pipe(self, *args, **kwargs):
        """Return the rendered bytes (str with ``encoding=``) like ``graphviz.Digraph.pipe``."""
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            raise GraphNotFoundError(f"{INSTALL_HINT} ({error})") from error


# ------------------------------------------------------------------ graph and gradients
def _walk(root) -> tuple[list, list, list]:
    """Breadth-first walk from ``root`` (iterative, so any depth works).

    Returns tensors and ops in discovery order (which fixes their DOT ids) and
    edges (is_input, tensor index, op index), inputs in call order.
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
                edges.append((True, tensor_index[id(source)], op_index[id(node)]))
        edges.append((False, tensor_index[id(tensor)], op_index[id(node)]))
    return tensors, ops, edges


def _param_names(params) -> dict[int, str] | None:
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


def _kind(tensor, is_root: bool, names: dict[int, str] | None) -> str:
    if is_root:
        return "root"
    if not tensor.requires_grad:
        return "constant"
    if tensor.grad_fn is not None:
        return "intermediate"
    named = id(tensor) in names if names is not None else bool(tensor.name)
    return "parameter" if named else "input"


def _gradients(root, tensors: list, compute: bool) -> dict[int, np.ndarray]:
    """``{tensor index: gradient array}`` for the tensors that have a gradient to show.

    With ``compute`` and a scalar root, d root / d tensor for every tensor comes
    from ``ag.grad`` (graph kept, ``.grad`` untouched); if ``backward()`` already
    freed the graph, only the stored ``.grad`` of leaves and retained tensors remain.
    """
    found = {i: t.grad.data for i, t in enumerate(tensors) if t.grad is not None}
    if not (compute and root.requires_grad and root.data.size == 1):
        return found
    found[0] = np.ones_like(root.data)  # d root / d root, whether or not the graph is alive
    if root.grad_fn is None:
        return found
    from autograd.engine import grad  # here: autograd/__init__ imports this module

    wanted = [i for i, t in enumerate(tensors) if i > 0 and t.requires_grad]
    try:
        grads = grad(root, [tensors[i] for i in wanted], retain_graph=True, allow_unused=True)
    except RuntimeError as error:
        if "retain_graph" not in str(error):
            raise
        return found
    found.update({i: value.data for i, value in zip(wanted, grads) if value is not None})
    return found


def _norm(array: np.ndarray) -> float:
    return float(np.sqrt(np.sum(np.square(array, dtype=np.float64))))


# ---------------------------------------------------------------------------- colours
def _heat(norms: dict[int, float], count: int) -> dict:
    """The colour scale: whole decades spanning the positive finite norms, and special cases."""
    logs = [math.log10(n) for n in norms.values() if 0 < n < math.inf]
    span = None
    if logs:
        lo, hi = math.floor(min(logs)), math.ceil(max(logs))
        span = (lo, max(hi, lo + 1))
    return {
        "span": span,
        "zero": any(n == 0 for n in norms.values()),
        "nonfinite": any(not math.isfinite(n) for n in norms.values()),
        "missing": len(norms) < count,
    }


def _heat_colour(position: float) -> str:
    """Colour at ``position`` in [0, 1] along ``HEAT``, linearly interpolated between anchors."""
    scaled = min(max(position, 0.0), 1.0) * (len(HEAT) - 1)
    i = min(int(scaled), len(HEAT) - 2)
    low, high = _rgb(HEAT[i]), _rgb(HEAT[i + 1])
    return "#" + "".join(f"{round(a + (b - a) * (scaled - i)):02x}" for a, b in zip(low, high))


def _norm_colour(norm: float | None, span: tuple[int, int] | None) -> str:
    if norm is None:
        return NO_GRAD_FILL
    if not math.isfinite(norm):
        return NONFINITE
    if norm == 0 or span is None:
        return HEAT[0]
    return _heat_colour((math.log10(norm) - span[0]) / (span[1] - span[0]))


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _text_colour(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (by relative luminance)."""
    red, green, blue = ((c / 255) ** 2.2 for c in _rgb(fill))
    return "#ffffff" if 0.2126 * red + 0.7152 * green + 0.0722 * blue < 0.18 else "#000000"


# ----------------------------------------------------------------------------- labels
def _num(value) -> str:
    return str(bool(value)) if isinstance(value, (bool, np.bool_)) else f"{value:.3g}"


def _summary(array: np.ndarray, spread: bool = False) -> str:
    """``mean .. min .. max ..`` (and ``std`` with ``spread``) of the finite entries."""
    values = array[np.isfinite(array)] if np.issubdtype(array.dtype, np.floating) else array
    if values.size == 0:
        return "no finite values" if array.size else "empty"
    values = values.astype(np.float64)
    std = f"  std {_num(values.std())}" if spread else ""
    return f"mean {_num(values.mean())}{std}  min {_num(values.min())}  max {_num(values.max())}"


def _values(array: np.ndarray) -> str:
    """HTML: small arrays in full (3 significant digits), bigger ones summarised."""
    if 0 < array.size <= SMALL_TENSOR:
        text = np.array2string(array, separator=", ", formatter={"float_kind": _num})
        return "<br/>".join(html.escape(line.strip()) for line in text.splitlines())
    return html.escape(_summary(array))


def _nonfinite(array: np.ndarray | None) -> str | None:
    """'3 nan, 1 inf' when a floating array holds such values."""
    if array is None or not np.issubdtype(array.dtype, np.floating):
        return None
    nan, inf = int(np.isnan(array).sum()), int(np.isinf(array).sum())
    return ", ".join([f"{nan} nan"] * bool(nan) + [f"{inf} inf"] * bool(inf)) or None


def _small(text: str) -> str:
    return f'<font point-size="9">{text}</font>'


def _describe(tensor) -> str:
    return f"{tuple(tensor.data.shape)} {tensor.data.dtype}"


def _tensor_label(tensor, kind: str, name: str | None, show_data: bool, extra: list[str]) -> str:
    data = tensor.data
    lines = [f"<b>{html.escape(name)}</b>"] if name else []
    if kind == "constant" and data.size == 1:
        # A literal such as the 2 in ``x * 2``: its value says more than "() float32".
        lines += [f"<b>{_values(data)}</b>", _small(html.escape(_describe(tensor)))]
    else:
        lines.append(html.escape(_describe(tensor)))
        if kind == "root" and data.size == 1:
            lines.append(_small(f"= {_values(data)}"))  # the loss value is what one looks for
        elif show_data:
            lines.append(_small("values freed by backward()" if is_released(tensor)
                                else _values(data)))
    return "<" + "<br/>".join(lines + extra) + ">"


def _tensor_tooltip(tensor, kind: str, name: str | None, grad: np.ndarray | None) -> str:
    """Hover text in SVG output: the details that would clutter the label."""
    name = (name or "tensor").replace("\\", "/")  # a backslash would start a DOT escape
    values = "freed by backward()" if is_released(tensor) else _summary(tensor.data, spread=True)
    lines = [f"{name}: {KINDS[kind][0]}", f"shape {_describe(tensor)}", f"values: {values}"]
    if grad is not None:
        lines.append(f"|grad| {_num(_norm(grad))}; grad {_summary(grad, spread=True)}")
    return "\\n".join(lines)  # DOT's escaped newline keeps one node per source line


def _tensor_style(tensor, kind, name, show_data, show_grad, grad, heat) -> dict:
    """Graphviz attributes of one tensor node: label, tooltip, shape, colours."""
    _, border, fill, extra_style, peripheries = KINDS[kind]
    norm = None if grad is None else _norm(grad)
    if heat is not None:
        fill = _norm_colour(norm, heat["span"])
    extra = []
    if show_grad and norm is not None:
        mismatch = f" {tuple(grad.shape)}" if grad.shape != tensor.data.shape else ""
        extra.append(_small(f"|grad| = {_num(norm)}{mismatch}"))
    elif heat is not None and show_grad and tensor.requires_grad:
        extra.append(_small("no grad"))
    problems = [f"{p} in {part}" for p, part in
                ((_nonfinite(tensor.data), "data"), (_nonfinite(grad), "grad")) if p]
    if problems:
        border = NONFINITE  # a NaN is the bug one draws the graph to find: make it loud
        extra += [_small(f"<b>!! {p}</b>") for p in problems]
    return {
        "label": _tensor_label(tensor, kind, name, show_data, extra),
        "tooltip": _tensor_tooltip(tensor, kind, name, grad if show_grad else None),
        "shape": "box",
        "style": "rounded,filled" + extra_style,
        "fillcolor": fill,
        "color": border,
        "fontcolor": _text_colour(fill),
        "penwidth": "3" if problems else "2" if heat and kind != "intermediate" else "1",
        "peripheries": str(peripheries),
    }


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


def _op_style(node, inputs: list, outputs: list) -> dict:
    name = getattr(node, "name", None) or type(node).__name__
    params = _op_params(node)
    label = f"<<b>{html.escape(name)}</b>" + (f"<br/>{_small(params)}" if params else "") + ">"
    tooltip = (f"{name}\\ninputs: {', '.join(_describe(t) for t in inputs)}"
               f"\\noutput: {', '.join(_describe(t) for t in outputs)}")
    return {"label": label, "tooltip": tooltip, "shape": "ellipse", "style": "filled",
            "fillcolor": OP_FILL, "color": OP_BORDER, "fontsize": "10", "height": "0.3"}


def _legend(kinds: list[str], heat: dict | None) -> str:
    """The graph's label: a row of the tensor kinds present and, for heat, the colour bar."""
    cells = [(text, "#ffffff" if heat else fill, border)
             for text, border, fill, *_ in (KINDS[kind] for kind in kinds)]
    rows = [_swatch_row("legend", cells + [("operation", OP_FILL, OP_BORDER)])]
    if heat:
        rows.append(_swatch_row("|grad|", _colour_bar(heat)))
    table = "".join(f"<tr><td>{row}</td></tr>" for row in rows)
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
    """Swatches (text, fill, border): one per decade (at most ``MAX_TICKS``), special cases."""
    cells = [("0", HEAT[0])] if heat["zero"] else []
    if heat["span"] is not None:
        lo, hi = heat["span"]
        step = max(1, math.ceil((hi - lo) / (MAX_TICKS - 1)))
        cells += [(f"1e{d}", _heat_colour((d - lo) / (hi - lo))) for d in range(lo, hi + 1, step)]
    cells += [("nan/inf", NONFINITE)] if heat["nonfinite"] else []
    cells += [("no grad", NO_GRAD_FILL)] if heat["missing"] else []
    return [(text, fill, fill) for text, fill in cells]


# ------------------------------------------------------------------------- public API
def draw_graph(
    root,
    show_data: bool = False,
    show_grad: bool = True,
    rankdir: str = "LR",
    params=None,
    color_by: str | None = None,
) -> GraphDrawing:
    """Draw the computation graph that produced ``root`` as a Graphviz ``Digraph``.

    >>> ag.draw_graph(loss, params=model)                 # displays itself in Jupyter
    >>> ag.draw_graph(loss, color_by="grad_norm").render("graph", format="svg")

    Tensor nodes (boxes) show their name (from ``params``, else ``tensor.name``,
    which ``nn.Parameter`` sets), shape, dtype and ``|grad|`` (L2 norm) when a
    gradient is known; a scalar root and one-element constants (the 2 in ``x ** 2``)
    show their value; NaN/inf gets a red border and a "!! 1 nan in data" line. Op
    nodes (ellipses) show the op name and short parameters (``axes=(1,)``). Edges
    run input -> op -> output, inputs in call order. The root (double border),
    parameters (green), other leaves that require grad (blue), constants (grey,
    dashed) and intermediates (white) differ, as the legend shows. In SVG, hovering
    a node shows mean/std/min/max of its values and gradient, or an op's shapes.

    Args:
        root: the Tensor whose graph to draw (usually the loss).
        show_data: also show values: all of them for tensors of at most 8
            elements, else mean/min/max. Labels never hold whole arrays.
        show_grad: show ``|grad|`` on tensor nodes.
        rankdir: layout direction: "LR" (left to right), "TB", "RL" or "BT".
        params: names for parameter nodes (e.g. ``0.weight``): a dict name ->
            Tensor, (name, Tensor) pairs, or an ``nn.Module`` (``named_parameters()``).
        color_by: None, or "grad_norm": fill tensors by ``log10(|grad|)`` on a
            dark-to-bright colormap with a colour bar of the decades, so vanishing
            (dark) and exploding (bright) gradients stand out; grey: no gradient.

    Which gradients: with ``color_by="grad_norm"``, a scalar root and a graph
    still alive (before ``backward()`` or after ``backward(retain_graph=True)``),
    d root / d tensor for every tensor, intermediates included, is computed with
    ``ag.grad(..., retain_graph=True)``, leaving ``.grad`` alone. Otherwise (no
    ``color_by``, a non-scalar root, or a graph freed by ``backward()``) the
    stored ``.grad`` is shown, which only leaves and tensors that called
    ``retain_grad()`` have; in heat mode the others read "no grad".

    Returns:
        A ``GraphDrawing`` (a ``graphviz.Digraph``). ``.source`` is the DOT text,
        deterministic (node ids follow the walk; ``t0`` is the root). Building it
        never runs Graphviz; ``.render(path, format="svg")`` needs its ``dot``
        program and without it raises ``GraphNotFoundError`` (a
        ``graphviz.ExecutableNotFound``) saying how to install it.
    """
    _check_args(root, rankdir, color_by)
    names = _param_names(params)
    tensors, ops, edges = _walk(root)
    grads = _gradients(root, tensors, compute=color_by == "grad_norm")
    heat = None
    if color_by == "grad_norm":
        heat = _heat({i: _norm(g) for i, g in grads.items()}, len(tensors))
    graph = GraphDrawing(
        name="autograd",
        # ordering=in keeps each op's inputs in call order (left operand of a - b first).
        graph_attr={"rankdir": rankdir, "ordering": "in", "nodesep": "0.2", "ranksep": "0.3",
                    "fontname": "Helvetica"},
        node_attr={"fontname": "Helvetica", "fontsize": "11", "margin": "0.08,0.04"},
        edge_attr={"color": "#6b7280", "arrowsize": "0.6"},
    )
    kinds = []
    for i, tensor in enumerate(tensors):
        kind = _kind(tensor, i == 0, names)
        kinds += [kind] if kind not in kinds else []
        name = (names.get(id(tensor)) if names else None) or tensor.name
        graph.node(f"t{i}", **_tensor_style(tensor, kind, name, show_data, show_grad,
                                            grads.get(i), heat))
    outputs = [[] for _ in ops]
    for is_input, i, j in edges:
        if not is_input:
            outputs[j].append(tensors[i])
    for j, node in enumerate(ops):
        graph.node(f"op{j}", **_op_style(node, node.inputs, outputs[j]))
    for is_input, i, j in edges:
        graph.edge(*((f"t{i}", f"op{j}") if is_input else (f"op{j}", f"t{i}")))
    kinds.sort(key=list(KINDS).index)
    graph.attr(label=_legend(kinds, heat), labelloc="t", labeljust="l", fontsize="10")
    return graph


def _check_args(root, rankdir: str, color_by) -> None:
    from autograd.tensor import Tensor  # here: autograd/__init__ imports this module

    if not isinstance(root, Tensor):
        raise TypeError(f"draw_graph: root must be a Tensor, got {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    if color_by not in (None, "grad_norm"):
        raise ValueError(f"draw_graph: color_by must be None or 'grad_norm', got {color_by!r}")
