"""``ag.trace_backward(root)``: the backward pass one op at a time, to read or to click through.

>>> steps = ag.trace_backward(L)            # runs L.backward(), recording every step
>>> print(steps)                            # a table: op, derivative rule, gradients
>>> steps[0].op, steps[0].grad_output, steps[0].grad_inputs
('mul', array(1., dtype=float32), (array(-2., dtype=float32), array(4., dtype=float32)))
>>> steps.to_html("backward.html")          # a page that steps through the drawn graph
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autograd.viz.nodes import as_array, op_inputs, op_name, op_rule, run_backward, sent_gradients
from autograd.viz.style import SMALL_TENSOR, num, values_text
from autograd.viz.walk import rms

__all__ = ["Step", "Trace", "trace_backward"]


@dataclass(frozen=True)
class Step:
    """One op's backward: ``grad_output`` arrived at its output, ``grad_inputs`` went on.

    ``op`` is the op's name (``"mul"``), ``rule`` its derivative (the first line
    of the op's docstring), ``grad_inputs`` one array per input, summed to that
    input's shape, or None where no gradient flows (a constant input).
    ``inputs`` and ``output`` name the tensors (their ``.name``, else a description).
    """

    op: str
    rule: str
    grad_output: np.ndarray
    grad_inputs: tuple
    inputs: tuple
    output: str
    node: object

    def __str__(self) -> str:
        sent = ", ".join(f"{name}: {format_gradient(g)}" for name, g in
                         zip(self.inputs, self.grad_inputs))
        return (f"{self.op}: {self.rule}\n  arriving at {self.output}: "
                f"{format_gradient(self.grad_output)}\n  sent to {sent}")


class Trace(list):
    """The steps of one backward pass, in the order backward ran them; ``print`` shows a table."""

    def __init__(self, steps: list[Step], root) -> None:
        super().__init__(steps)
        self.root = root

    def table(self) -> str:
        """One row per step: op, rule, the gradient arriving, the gradients sent to each input."""
        header = ("step", "op", "rule", "grad_output", "grad_inputs")
        rows = [header] + [
            (str(k), step.op, step.rule, format_gradient(step.grad_output),
             ", ".join(f"{name}: {format_gradient(grad)}"
                       for name, grad in zip(step.inputs, step.grad_inputs)))
            for k, step in enumerate(self, start=1)
        ]
        widths = [max(len(row[c]) for row in rows) for c in range(len(header) - 1)]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1]
                 for row in rows]
        return "\n".join(line.rstrip() for line in lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return self.table()

    def to_html(self, path) -> str:
        """Write a self-contained page that steps through the drawn graph; returns the path.

        One HTML file with the graph as inline SVG and a small script: next and
        previous buttons (or the arrow keys) move through the steps, the current
        op is highlighted with the tensor its gradient arrives at and the inputs
        it sends gradients to, and the numbers are shown beside the graph. No
        network access is needed to view it. Drawing needs Graphviz (see
        ``ag.draw_graph``).
        """
        from autograd.viz.page import write_page  # here: it needs graphviz, the trace does not

        return write_page(self, path)


def format_gradient(grad) -> str:
    """Signed entries of a small gradient, ``shape rms ...`` of a big one, ``none`` for None."""
    if grad is None:
        return "none"
    if grad.size <= SMALL_TENSOR:
        return values_text(grad)
    return f"{tuple(grad.shape)} rms {num(rms(grad))}"


def trace_backward(root, gradient=None, retain_graph: bool = False) -> Trace:
    """Run ``root.backward(gradient, retain_graph)`` and record it step by step.

    Returns a ``Trace``: a list of ``Step``s, one per op node, in the order
    backward visits them (the newest op first; an op runs once all of its
    consumers have sent their gradients). Leaves accumulate ``.grad`` exactly
    as with ``backward()``. ``print(trace)`` shows a table; ``trace.to_html(path)``
    writes a page that steps through the drawn graph.
    """
    from autograd.tensor import Tensor  # here: autograd/__init__ imports this module

    if not isinstance(root, Tensor):
        raise TypeError(f"trace_backward: root must be a Tensor, got {type(root).__name__}")
    steps = []
    outputs = _output_names(root)

    def record(node, grad_output, grad_inputs) -> None:
        inputs = op_inputs(node)
        steps.append(Step(
            op=op_name(node), rule=op_rule(node), grad_output=as_array(grad_output),
            grad_inputs=sent_gradients(node, grad_inputs),
            inputs=tuple(describe(t) for t in inputs),
            output=outputs.get(id(node), f"{op_name(node)} output"), node=node,
        ))

    run_backward(root, gradient, retain_graph, record)
    return Trace(steps, root)


def describe(tensor) -> str:
    """A tensor's name, else what made it (``tanh output``), else its shape."""
    if tensor.name:
        return tensor.name
    node = tensor.grad_fn
    return f"{op_name(node)} output" if node is not None else f"input {tuple(tensor.shape)}"


def _output_names(root) -> dict:
    """``{id(node): name of the tensor it made}`` for the named tensors of the graph."""
    from autograd.viz.walk import walk

    graph = walk(root)
    return {id(graph.ops[j]): describe(graph.tensors[i]) for j, i in enumerate(graph.output_of)}
