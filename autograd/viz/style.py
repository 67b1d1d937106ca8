"""How the drawing looks: labels, colours, the gradient heat scale and the legend.

Pure string work (Graphviz HTML-like labels and attribute dicts); nothing here
imports Graphviz. Two styles: ``full`` (shape, dtype, kind colours, a legend)
and ``micrograd`` (one ``name | data | grad`` record per tensor, small op
bubbles, as in Karpathy's micrograd).
"""

from __future__ import annotations

import html
import math

import numpy as np

from autograd.viz.walk import rms

SMALL_TENSOR = 8  # tensors with at most this many elements show all their values
# Tensor kinds: (legend text, border colour, pastel fill, extra style, peripheries).
KINDS = {
    "root": ("output (root)", "#b45309", "#fde68a", "", 2),
    "parameter": ("parameter", "#15803d", "#bbf7d0", "", 1),
    "leaf": ("leaf, requires grad", "#1d4ed8", "#bfdbfe", "", 1),
    "constant": ("constant (no grad)", "#6b7280", "#f3f4f6", ",dashed", 1),
    "intermediate": ("intermediate", "#374151", "#ffffff", "", 1),
}
OP_FILL, OP_BORDER = "#ede9fe", "#6d28d9"
MODULE_FILL, MODULE_BORDER = "#f8fafc", "#64748b"
NO_GRAD_FILL = "#d1d5db"
NONFINITE = "#e11d48"
# Hand-picked sequential colormap for log10(gradient RMS): CIELAB lightness rises
# steadily (about 10 -> 88) from dark indigo through blue, teal and green to
# yellow, so brighter always means a larger gradient, in colour or in grey.
HEAT = ("#1d1147", "#35307f", "#2b5fa8", "#1f8a9a", "#3bae7c", "#8ccb5a", "#f0dd4f")
# The fixed heat scale, in decades: the same colour means the same size in every picture.
HEAT_DECADES = (-8, 2)
# Op symbols in the micrograd style.
SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "matmul": "@", "neg": "-",
           "pow": "**"}


# ---------------------------------------------------------------------------- numbers
def num(value) -> str:
    """A number in at most 4 significant digits: ``-4``, ``0.8814``, ``1.25e-05``."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    return f"{value:.4g}"


def summary(array: np.ndarray, spread: bool = False) -> str:
    """``mean .. min .. max ..`` (and ``std`` with ``spread``) of the finite entries."""
    values = array[np.isfinite(array)] if np.issubdtype(array.dtype, np.floating) else array
    if values.size == 0:
        return "no finite values" if array.size else "empty"
    values = values.astype(np.float64)
    std = f"  std {num(values.std())}" if spread else ""
    return f"mean {num(values.mean())}{std}  min {num(values.min())}  max {num(values.max())}"


def values_text(array: np.ndarray) -> str:
    """Small arrays in full (signed, 4 significant digits), bigger ones summarised."""
    if 0 < array.size <= SMALL_TENSOR:
        if array.ndim == 0:
            return num(array.item())
        text = np.array2string(array, separator=", ", formatter={"all": num})
        return " ".join(line.strip() for line in text.splitlines())
    return summary(array)


def grad_text(grad: np.ndarray) -> str:
    """A gradient for a label: its entries when small, else its per-element RMS."""
    if 0 < grad.size <= SMALL_TENSOR:
        return values_text(grad)
    return f"rms {rms(grad):.2g}"


def nonfinite(array: np.ndarray | None) -> str | None:
    """'3 nan, 1 inf' when a floating array holds such values."""
    if array is None or not np.issubdtype(array.dtype, np.floating):
        return None
    nan, inf = int(np.isnan(array).sum()), int(np.isinf(array).sum())
    return ", ".join([f"{nan} nan"] * bool(nan) + [f"{inf} inf"] * bool(inf)) or None


def describe(tensor) -> str:
    return f"{tuple(tensor.data.shape)} {tensor.data.dtype}"


def small(text: str) -> str:
    return f'<font point-size="9">{text}</font>'


# ---------------------------------------------------------------------------- colours
def heat_colour(grad: np.ndarray | None) -> str:
    """Fill for a gradient on the fixed log scale (``HEAT_DECADES``); grey: none; red: NaN/inf."""
    if grad is None:
        return NO_GRAD_FILL
    size = rms(grad)
    if not math.isfinite(size):
        return NONFINITE
    if size == 0:
        return HEAT[0]
    low, high = HEAT_DECADES
    return colormap((math.log10(size) - low) / (high - low))


def colormap(position: float) -> str:
    """Colour at ``position`` in [0, 1] (clamped) along ``HEAT``, linearly interpolated."""
    scaled = min(max(position, 0.0), 1.0) * (len(HEAT) - 1)
    i = min(int(scaled), len(HEAT) - 2)
    low, high = _rgb(HEAT[i]), _rgb(HEAT[i + 1])
    return "#" + "".join(f"{round(a + (b - a) * (scaled - i)):02x}" for a, b in zip(low, high))


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def text_colour(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (by relative luminance)."""
    red, green, blue = ((c / 255) ** 2.2 for c in _rgb(fill))
    return "#ffffff" if 0.2126 * red + 0.7152 * green + 0.0722 * blue < 0.18 else "#000000"


# --------------------------------------------------------------------- tensors: full
def tensor_full(tensor, kind: str, name: str | None, grad, show_data: bool, show_grad: bool,
                heat: bool, freed: bool) -> dict:
    """Graphviz attributes of a tensor in the full style: label, tooltip, shape, colours.

    ``grad`` colours the node (with ``heat``) and, with ``show_grad``, is written in it.
    """
    _, border, fill, extra_style, peripheries = KINDS[kind]
    if heat:
        fill = heat_colour(grad) if tensor.requires_grad else "#ffffff"
    data = tensor.data
    lines = [f"<b>{html.escape(name)}</b>"] if name else []
    if kind == "constant" and data.size == 1:
        # A literal such as the 2 in ``x * 2``: its value says more than "() float32".
        lines += [f"<b>{html.escape(values_text(data))}</b>", small(html.escape(describe(tensor)))]
    else:
        lines.append(html.escape(describe(tensor)))
        if freed:
            lines.append(small("values freed by backward()") if show_data else "")
        elif (kind == "root" and data.size == 1) or show_data:
            lines.append(small(f"= {html.escape(values_text(data))}"))
    if grad is not None and show_grad:
        mismatch = f" {tuple(grad.shape)}" if grad.shape != data.shape else ""
        lines.append(small(f"grad {html.escape(grad_text(grad))}{mismatch}"))
    elif grad is None and heat and tensor.requires_grad:
        lines.append(small("no grad"))
    problems = [f"{p} in {part}" for p, part in
                ((nonfinite(data), "data"), (nonfinite(grad), "grad")) if p]
    if problems:
        border = NONFINITE  # a NaN is the bug one draws the graph to find: make it loud
        lines += [small(f"<b>!! {p}</b>") for p in problems]
    return {
        "label": "<" + "<br/>".join(line for line in lines if line) + ">",
        "tooltip": tensor_tooltip(tensor, kind, name, grad if show_grad else None, freed),
        "shape": "box",
        "style": "rounded,filled" + extra_style,
        "fillcolor": fill,
        "color": border,
        "fontcolor": text_colour(fill),
        "penwidth": "3" if problems else "2" if heat and kind != "intermediate" else "1",
        "peripheries": str(peripheries),
    }


def tensor_tooltip(tensor, kind: str, name: str | None, grad, freed: bool) -> str:
    """Hover text in SVG output: the details that would clutter the label."""
    name = (name or "tensor").replace("\\", "/")  # a backslash would start a DOT escape
    values = "freed by backward()" if freed else summary(tensor.data, spread=True)
    lines = [f"{name}: {KINDS[kind][0]}", f"shape {describe(tensor)}", f"values: {values}"]
    if grad is not None:
        lines.append(f"grad rms {num(rms(grad))}; grad {summary(grad, spread=True)}")
    return "\\n".join(lines)  # DOT's escaped newline keeps one node per source line


# ---------------------------------------------------------------- tensors: micrograd
def tensor_micrograd(tensor, kind: str, name: str | None, grad, show_grad: bool, heat: bool,
                     freed: bool) -> dict:
    """One ``name | data | grad`` record, micrograd's picture of a value."""
    data = tensor.data
    fill = heat_colour(grad) if heat and tensor.requires_grad else "#ffffff"
    ink = text_colour(fill)
    if freed:
        data_text = "freed"
    elif data.size <= SMALL_TENSOR:
        data_text = values_text(data)
    else:
        data_text = str(tuple(data.shape))
    cells = [html.escape(name)] if name else []
    cells.append(f"data {html.escape(data_text)}")
    if tensor.requires_grad and show_grad:
        cells.append(f"grad {html.escape(grad_text(grad))}" if grad is not None else "grad ?")
    row = "".join(f'<td><font color="{ink}">{cell}</font></td>' for cell in cells)
    table = (f'<table border="0" cellborder="1" cellspacing="0" cellpadding="4" '
             f'bgcolor="{fill}" color="{KINDS[kind][1]}"><tr>{row}</tr></table>')
    return {"label": f"<{table}>", "shape": "plain",
            "tooltip": tensor_tooltip(tensor, kind, name, grad if show_grad else None, freed)}


# --------------------------------------------------------------------------------- ops
def op_full(name: str, params: dict, inputs: list, outputs: list) -> dict:
    """An op as a small purple ellipse: its name and short parameters."""
    text = html.escape(", ".join(f"{key}={value}" for key, value in params.items()))
    label = f"<<b>{html.escape(name)}</b>" + (f"<br/>{small(text)}" if text else "") + ">"
    tooltip = (f"{name}\\ninputs: {', '.join(describe(t) for t in inputs)}"
               f"\\noutput: {', '.join(describe(t) for t in outputs)}")
    return {"label": label, "tooltip": tooltip, "shape": "ellipse", "style": "filled",
            "fillcolor": OP_FILL, "color": OP_BORDER, "fontsize": "10", "height": "0.3"}


def op_micrograd(name: str) -> dict:
    """An op as micrograd draws it: a bubble with the operator symbol or the function name."""
    return {"label": html.escape(SYMBOLS.get(name, name)), "shape": "ellipse",
            "fontsize": "12", "width": "0.4", "height": "0.3", "margin": "0.04,0.02",
            "tooltip": name}


def module_node(name: str, cls: str, ops: list[str], params: int, grad) -> dict:
    """A whole module drawn as one node (compact mode); ``grad``, all its parameters'
    gradients together, colours it (heat mode)."""
    lines = [f"<b>{html.escape(name)}: {html.escape(cls)}</b>"]
    lines += [small(f"{params:,} parameters")] * bool(params)
    if grad is not None:
        lines.append(small(f"grad rms {rms(grad):.2g}"))
    tooltip = f"{name}: {cls}\\nops: {', '.join(ops)}\\nparameters: {params:,}"
    fill = MODULE_FILL if grad is None else heat_colour(grad)
    return {"label": "<" + "<br/>".join(lines) + ">", "tooltip": tooltip, "shape": "box3d",
            "style": "filled", "fillcolor": fill, "color": MODULE_BORDER,
            "fontcolor": text_colour(fill)}


def cluster(name: str, cls: str) -> dict:
    """Attributes of the box around one module's nodes."""
    return {"label": f"{name}: {cls}", "style": "rounded,dashed", "color": MODULE_BORDER,
            "fontcolor": MODULE_BORDER, "fontsize": "10", "labeljust": "l", "margin": "6"}


# ------------------------------------------------------------------------------ legend
def legend(kinds: list[str], heat: bool, notes: list[str], style: str,
           modules: bool = False) -> str:
    """The graph's label: the tensor kinds present (and module nodes), the heat colour bar,
    and notes."""
    rows = []
    if style == "full":
        cells = [(text, "#ffffff" if heat else fill, border)
                 for text, border, fill, *_ in (KINDS[kind] for kind in kinds)]
        cells.append(("operation", OP_FILL, OP_BORDER))
        cells += [("module", MODULE_FILL, MODULE_BORDER)] * modules
        rows.append(_swatch_row("legend", cells))
    if heat:
        rows.append(_swatch_row("grad rms", colour_bar()))
    rows += [f'<font color="#b45309">{html.escape(note)}</font>' for note in notes]
    if not rows:
        return ""
    table = "".join(f'<tr><td align="left">{row}</td></tr>' for row in rows)
    return f'<<table border="0" cellspacing="2" cellpadding="0">{table}</table>>'


def colour_bar() -> list[tuple[str, str, str]]:
    """One swatch per decade of the fixed scale, then the special cases."""
    low, high = HEAT_DECADES
    cells = [(f"1e{d}", colormap((d - low) / (high - low))) for d in range(low, high + 1)]
    cells[0], cells[-1] = ("&le;" + cells[0][0], cells[0][1]), ("&ge;" + cells[-1][0], cells[-1][1])
    cells += [("nan/inf", NONFINITE), ("no grad", NO_GRAD_FILL)]
    return [(text, fill, fill) for text, fill in cells]


def _swatch_row(title: str, cells: list[tuple[str, str, str]]) -> str:
    tds = "".join(
        f'<td bgcolor="{fill}" color="{border}"><font color="{text_colour(fill)}">{text}'
        "</font></td>"
        for text, fill, border in cells
    )
    return (
        '<table border="0" cellborder="1" cellspacing="3" cellpadding="3"><tr>'
        f'<td border="0" align="right"><b>{html.escape(title)}</b></td>{tds}</tr></table>'
    )
