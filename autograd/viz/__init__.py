"""Draw the computation graph behind a tensor with Graphviz: ``draw_graph(loss)``.

The package is split by job: ``walk.py`` finds the tensors, ops and gradients;
``modules.py`` knows which module made which op; ``style.py`` decides how each
node looks; ``scene.py`` puts these together; ``drawing.py`` (the only module
that imports the ``graphviz`` package, and only when a graph is drawn) turns the
scene into a ``graphviz.Digraph``. ``nodes.py`` is the one place that reads the
engine's nodes.
"""

from __future__ import annotations

from autograd.viz import scene
from autograd.viz.modules import record_modules
from autograd.viz.style import HEAT, HEAT_DECADES
from autograd.viz.walk import gradients, param_names, walk

__all__ = ["HEAT", "HEAT_DECADES", "GraphNotFoundError", "draw_graph", "record_modules"]

RANKDIRS = ("LR", "RL", "TB", "BT")
STYLES = ("full", "micrograd")
PACKAGE_HINT = (
    "draw_graph needs the `graphviz` Python package, which is not installed: "
    "`pip install graphviz` (or `pip install autograd-nn`, which declares it), plus "
    "Graphviz's `dot` program to render (`apt-get install graphviz` / `brew install graphviz`)."
)


def draw_graph(
    root,
    show_data: bool = False,
    show_grad: bool = True,
    rankdir: str = "LR",
    params=None,
    color_by: str | None = None,
    style: str = "full",
    cluster: bool = True,
    compute_grad: bool | None = None,
    compact: bool = False,
    expand=(),
):
    """Draw the computation graph that produced ``root`` as a Graphviz ``Digraph``.

    >>> ag.draw_graph(loss, params=model)                 # displays itself in Jupyter
    >>> ag.draw_graph(L, style="micrograd").render("graph", format="png")
    >>> ag.draw_graph(loss, color_by="grad_norm").render("heat", format="svg")

    Tensors are boxes (name, shape, dtype; values and **signed** gradients in
    full for tensors of at most 8 elements, else a summary and the gradient's
    per-element RMS); ops are ellipses; edges run input -> op -> output, inputs
    in call order. The root (double border), parameters (green), other leaves
    that require grad (blue), constants (grey, dashed) and intermediates
    (white) differ, as the legend shows. NaN/inf gets a red border. In SVG,
    hovering a node shows statistics of its values and gradient.

    Args:
        root: the Tensor whose graph to draw (usually the loss).
        show_data: show values (in full for at most 8 elements, else mean/min/max).
        show_grad: show gradients where known.
        rankdir: layout direction: "LR" (left to right), "TB", "RL" or "BT".
        params: names for parameter nodes (``0.weight``): a dict name -> Tensor,
            (name, Tensor) pairs, or an ``nn.Module``. A module also groups the
            ops into one box per module (see ``cluster``).
        color_by: None, or "grad_norm": fill tensors by the per-element RMS of
            their gradient on a fixed log scale, 1e-8 (dark) to 1e2 (bright), with a
            colour bar in decades, so the same colour means the same size in every
            picture; grey: no gradient.
        style: "full", or "micrograd": one ``name | data | grad`` record per tensor
            and small op bubbles (``+``, ``*``), Karpathy's micrograd picture.
        cluster: with ``params=model``, box the ops of each module. The ops a
            module made are known exactly when the forward ran under
            ``ag.viz.record_modules(model)`` (parameter-free layers such as ReLU
            and Dropout get boxes too); otherwise an op belongs to the module
            whose parameters it uses.
        compute_grad: compute d root / d tensor for every tensor, intermediates
            included, with ``ag.grad(..., retain_graph=True)`` (``.grad`` is left
            alone). Needs a scalar root and a graph not freed by ``backward()``.
            None (default): compute when some tensor already has a ``.grad`` (after
            ``backward(retain_graph=True)``) or with ``color_by``; otherwise show
            the stored ``.grad`` of leaves and of tensors that called
            ``retain_grad()``. When ``backward()`` freed the graph, a note in the
            picture says why intermediates show no gradient.
        compact: draw each module box as one node (big graphs); ``expand``: names
            of modules to keep open (``expand=("3",)``).

    Returns:
        A ``GraphDrawing`` (a ``graphviz.Digraph``). ``.source`` is the DOT text,
        deterministic (``t0`` is the root; ids follow the walk). Building it never
        runs Graphviz; ``.render(path, format="svg")`` needs its ``dot`` program
        and without it raises ``GraphNotFoundError`` saying how to install it.
        Without the ``graphviz`` Python package, ``draw_graph`` raises ImportError
        saying how to install it (``import autograd`` itself does not need it).
    """
    options = _options(root, show_data, show_grad, rankdir, params, color_by, style, compact,
                       expand)
    drawing = _drawing_module()
    graph = walk(root)
    found = gradients(graph, True if color_by and compute_grad is None else compute_grad)
    model = params if cluster and hasattr(params, "named_modules") else None
    return drawing.to_digraph(scene.build(graph, found, options, model))


def _drawing_module():
    try:
        from autograd.viz import drawing
    except ImportError as error:
        if getattr(error, "name", None) != "graphviz":
            raise
        raise ImportError(PACKAGE_HINT) from error
    return drawing


def _options(root, show_data, show_grad, rankdir, params, color_by, style, compact,
             expand) -> scene.Options:
    from autograd.tensor import Tensor  # here: autograd/__init__ imports this package

    if not isinstance(root, Tensor):
        raise TypeError(f"draw_graph: root must be a Tensor, got {type(root).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    if color_by not in (None, "grad_norm"):
        raise ValueError(f"draw_graph: color_by must be None or 'grad_norm', got {color_by!r}")
    if style not in STYLES:
        raise ValueError(f"draw_graph: style must be one of {STYLES}, got {style!r}")
    expand = (expand,) if isinstance(expand, str) else expand
    return scene.Options(show_data=show_data, show_grad=show_grad, rankdir=rankdir, style=style,
                         heat=color_by == "grad_norm", names=param_names(params),
                         compact=compact, expand=frozenset(str(name) for name in expand))


def __getattr__(name: str):
    # GraphNotFoundError subclasses graphviz's exception, so it exists only with graphviz.
    if name == "GraphNotFoundError":
        return _drawing_module().GraphNotFoundError
    raise AttributeError(f"module 'autograd.viz' has no attribute {name!r}")
