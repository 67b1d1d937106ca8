"""Reverse-mode differentiation: walk the graph from the output back to the leaves.

The walk is iterative (no recursion, so graphs of any depth work) and linear
in the graph's size: one pass counts how many consumers each node has, then
nodes are processed Kahn-style, each one as soon as all of its consumers have
sent it their gradient contributions. Contributions are summed, reduced back
to each input's shape (``sum_to``: the gradient of a broadcast) and cast to
the input's dtype here, once, so op ``backward`` formulas stay one line.
"""

from __future__ import annotations

import numpy as np

from autograd import anomaly
from autograd.grad_mode import _state
from autograd.tensor import Tensor


def sum_to(grad, shape: tuple):
    """Sum ``grad`` (ndarray or Tensor) over broadcast dimensions so it has ``shape``."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0 or any(
        size != 1 and size != grad.shape[extra + i] for i, size in enumerate(shape)
    ):
        raise RuntimeError(f"sum_to: a gradient of shape {grad.shape} cannot reduce to {shape}")
    axes = tuple(range(extra)) + tuple(
        extra + i for i, size in enumerate(shape) if size == 1 and grad.shape[extra + i] != 1
    )
    summed = grad.sum(axis=axes, keepdims=True)
    return summed.reshape(shape) if extra else summed


def _initial_gradient(root: Tensor, gradient, create_graph: bool):
    if gradient is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward: gradient can be implicitly created only for a one-element output, "
                f"got shape {root.shape}; pass gradient= with that shape"
            )
        value = np.ones_like(root.data)
    else:
        value = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient)
        if value.shape != root.shape:
            raise RuntimeError(
                f"backward: gradient has shape {value.shape} but the output has shape {root.shape}"
            )
        value = value.astype(root.data.dtype, copy=False)
    if create_graph:
        return gradient if isinstance(gradient, Tensor) else Tensor._make(value)
    return value


def _count_consumers(root_nodes) -> dict:
    """Number of times each reachable node's output is used inside the graph."""
    consumers = {}
    stack = list(root_nodes)
    seen = set(stack)
    while stack:
        node = stack.pop()
        for tensor in node.inputs:
            parent = tensor.grad_fn
            if parent is not None:
                consumers[parent] = consumers.get(parent, 0) + 1
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
    return consumers


class _Accumulator:
    """Sums gradient contributions per key, in place once it owns the buffer."""

    def __init__(self, create_graph: bool) -> None:
        self.values = {}
        self.owned = set()
        self.create_graph = create_graph

    def add(self, key, grad) -> None:
        current = self.values.get(key)
        if current is None:
            self.values[key] = grad
        elif self.create_graph:
            self.values[key] = current + grad
        elif key in self.owned:
            np.add(current, grad, out=current)
        else:
            self.values[key] = np.asarray(current + grad)  # 0-d sums come back as scalars
            self.owned.add(key)


def _run(roots, root_grads, retain_graph: bool, create_graph: bool, capture=None):
    """Backpropagate ``root_grads``; accumulate into leaves' ``.grad`` or return ``capture``d."""
    node_grads = _Accumulator(create_graph)
    leaf_grads = _Accumulator(create_graph)
    leaves = {}
    root_nodes = []
    for root, grad in zip(roots, root_grads):
        if root.grad_fn is None:
            leaves[id(root)] = root
            leaf_grads.add(id(root), grad)
        else:
            if root.grad_fn not in node_grads.values:
                root_nodes.append(root.grad_fn)
            node_grads.add(root.grad_fn, grad)
    consumers = _count_consumers(root_nodes)
    ready = [node for node in root_nodes if node not in consumers]
    captured = {}
    check_anomaly = anomaly._state.enabled
    while ready:
        node = ready.pop()
        grad = node_grads.values.pop(node, None)
        input_grads = None
        if grad is not None:
            if capture is not None and node in capture:
                captured[node] = grad
            if node.retained is not None:
                _retain(node.retained(), grad, create_graph)
            input_grads = node.fn._backward(node, grad)
            if not retain_graph:
                node.release()
        for index, tensor in enumerate(node.inputs):
            parent = tensor.grad_fn
            input_grad = input_grads[index] if input_grads is not None else None
            if input_grad is not None and tensor.requires_grad:
                if input_grad.shape != tensor.data.shape:
                    input_grad = sum_to(input_grad, tensor.data.shape)
                if input_grad.dtype != tensor.data.dtype:
                    input_grad = input_grad.astype(tensor.data.dtype)
                if check_anomaly:
                    anomaly.check_gradient(node, index, input_grad)
                if parent is not None:
                    node_grads.add(parent, input_grad)
                else:
                    leaves[id(tensor)] = tensor
                    leaf_grads.add(id(tensor), input_grad)
            if parent is not None:
                consumers[parent] -= 1
                if consumers[parent] == 0:
                    ready.append(parent)
    if capture is not None:
        return captured, {key: (leaves[key], grad) for key, grad in leaf_grads.values.items()}
    for key, grad in leaf_grads.values.items():
        _accumulate_leaf(leaves[key], grad, create_graph)
    return None


def _accumulate_leaf(leaf: Tensor, grad, create_graph: bool) -> None:
    # Gradient arrays are never modified in place once handed out: one array can
    # be the gradient of several leaves (``x + y`` passes the same array to both).
    if create_graph:
        leaf.grad = grad if leaf.grad is None else leaf.grad + grad
    elif leaf.grad is None:
        leaf.grad = Tensor._make(grad if grad.flags.writeable else grad.copy())
    else:
        leaf.grad = Tensor._make(leaf.grad.data + grad)


def _retain(tensor: Tensor | None, grad, create_graph: bool) -> None:
    if tensor is None:
        return
    if create_graph:
        tensor.grad = grad if tensor.grad is None else tensor.grad + grad
    else:
        value = grad if tensor.grad is None else tensor.grad.data + grad
        tensor.grad = Tensor._make(np.array(value))


class _BackwardMode:
    """Grad mode and create-graph flag for the duration of one backward pass."""

    def __init__(self, create_graph: bool) -> None:
        self.create_graph = create_graph

    def __enter__(self) -> None:
        self.previous = (_state.enabled, _state.create_graph)
        _state.enabled = self.create_graph
        _state.create_graph = self.create_graph

    def __exit__(self, *exc_info) -> None:
        _state.enabled, _state.create_graph = self.previous


def backward(root: Tensor, gradient=None, retain_graph=None, create_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) into the ``.grad`` of every leaf that requires grad."""
    if not root.requires_grad:
        raise RuntimeError(
            "backward: the tensor does not require grad and has no grad_fn; make its inputs "
            "require grad (requires_grad=True) before computing it"
        )
    if retain_graph is None:
        retain_graph = create_graph
    with _BackwardMode(create_graph):
        _run([root], [_initial_gradient(root, gradient, create_graph)], retain_graph, create_graph)


def _as_sequence(value, what: str) -> list:
    if isinstance(value, Tensor):
        return [value]
    values = list(value)
    if not all(isinstance(v, Tensor) for v in values):
        raise TypeError(f"grad: {what} must be Tensors")
    return values


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs``, returned instead of accumulated.

    ``grad_outputs`` weights each output (required for outputs with more than
    one element). Leaves' ``.grad`` are left untouched. An input the outputs
    do not depend on raises unless ``allow_unused=True`` (then its entry is None).
    """
    outputs = _as_sequence(outputs, "outputs")
    inputs = _as_sequence(inputs, "inputs")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(
            f"grad: got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs"
        )
    for output in outputs:
        if not output.requires_grad:
            raise RuntimeError("grad: an output does not require grad and has no grad_fn")
    if retain_graph is None:
        retain_graph = create_graph
    capture = {tensor.grad_fn for tensor in inputs if tensor.grad_fn is not None}
    with _BackwardMode(create_graph):
        root_grads = [
            _initial_gradient(out, g, create_graph) for out, g in zip(outputs, grad_outputs)
        ]
        node_grads, leaf_grads = _run(outputs, root_grads, retain_graph, create_graph, capture)
    results = []
    for index, tensor in enumerate(inputs):
        if tensor.grad_fn is not None:
            value = node_grads.get(tensor.grad_fn)
        else:
            value = leaf_grads.get(id(tensor), (None, None))[1]
        if value is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {index} (shape {tensor.shape}) was not used to compute the "
                    "outputs; pass allow_unused=True to get None for it"
                )
            results.append(None)
        elif isinstance(value, Tensor):
            results.append(value)
        else:
            results.append(Tensor._make(np.array(value)))
    return tuple(results)
