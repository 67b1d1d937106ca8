"""The one place where the drawing and tracing tools read the engine's graph.

Everything in ``autograd.viz`` and ``autograd.viz.trace`` that needs to know how a
tensor points to the node that made it, or what a node holds, goes through
these few functions, so a change in ``Node`` or ``Tensor`` is adapted here.
"""

from __future__ import annotations

import numpy as np

from autograd.engine import backward, sum_to
from autograd.node import is_released

# Op parameters worth printing (the other node attributes are backward bookkeeping).
OP_PARAMS = ("axis", "axes", "keepdims", "exponent", "stride", "padding", "kernel_size")


def producer(tensor):
    """The node that made ``tensor``, or None for a leaf."""
    return tensor.grad_fn


def op_name(node) -> str:
    """``"matmul"``, ``"tanh"``, or a user ``Function``'s class name."""
    return node.name


def op_inputs(node) -> tuple:
    """The node's input tensors, in call order."""
    return node.inputs


def op_rule(node) -> str:
    """The op's derivative rule: the first line of its docstring (``d/dx tanh(x) = ...``)."""
    doc = (node.fn.__doc__ or "").strip()
    return doc.splitlines()[0].strip() if doc else ""


def op_params(node) -> dict:
    """Short parameters such as ``{"axes": (1,)}``: scalars and tuples of up to 4 ints."""
    params = {}
    for key in OP_PARAMS:
        value = getattr(node, key, None)
        if isinstance(value, tuple) and len(value) <= 4:
            if all(isinstance(v, (int, np.integer)) for v in value):
                params[key] = tuple(int(v) for v in value)
        elif isinstance(value, (bool, int, float, np.number, np.bool_)):
            params[key] = value.item() if isinstance(value, np.generic) else value
    return params


def values_freed(tensor) -> bool:
    """True when ``backward()`` freed the tensor's values (its shape and dtype remain)."""
    return is_released(tensor)


def gradient_array(tensor) -> np.ndarray | None:
    """The stored ``.grad`` of ``tensor`` as an array, or None."""
    return None if tensor.grad is None else tensor.grad.data


def run_backward(root, gradient, retain_graph: bool, tracer) -> None:
    """``root.backward(...)``, calling ``tracer(node, grad_output, grad_inputs)`` after each op."""
    backward(root, gradient, retain_graph=retain_graph, tracer=tracer)


def sent_gradients(node, grad_inputs) -> tuple:
    """What each input of ``node`` receives: its gradient summed to the input's shape
    (undoing broadcasting), or None where none flows or the input needs none."""
    sent = []
    for tensor, grad in zip(node.inputs, grad_inputs):
        if grad is None or not tensor.requires_grad:
            sent.append(None)
            continue
        grad = as_array(grad)
        sent.append(sum_to(grad, tensor.data.shape) if grad.shape != tensor.data.shape else grad)
    return tuple(sent)


def as_array(grad) -> np.ndarray:
    """A gradient (array, or Tensor under ``create_graph``) as a fresh array."""
    return np.array(grad.data if hasattr(grad, "grad_fn") else grad)
