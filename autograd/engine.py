"""Reverse-mode differentiation: walk the graph from the output back to the leaves.

The walk is iterative (no recursion, so graphs of any depth work) and visits
only the nodes that receive a gradient, newest first: every node is numbered
when it is created, and all the consumers of a node's output were created
after it, so by the time a node is taken from the queue (a heap ordered by
that number) every contribution to its gradient has arrived. Contributions
are summed, reduced back to each input's shape (``sum_to``: the gradient of a
broadcast) and cast to the input's dtype here, once, so op ``backward``
formulas stay one line.
"""

from __future__ import annotations

import heapq
import threading

import numpy as np

from autograd import anomaly, hooks
from autograd.grad_mode import _state
from autograd.saved import FREED_GRAPH_MESSAGE
from autograd.tensor import Tensor

# While ag.capture records a step: the recorder's backward pass (``_run``'s signature), else None.
capture_hook = None


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


class _Sums:
    """Gradient contributions summed per key: a Node, or a leaf Tensor (both hash by identity).

    The first contribution is stored as it is, and never modified in place:
    one array can be the gradient of several inputs (``x + y`` passes the same
    array to both). The second makes a fresh array, which later ones are added into.
    """

    def __init__(self, create_graph: bool) -> None:
        self.values = {}
        self.owned = set()
        self.create_graph = create_graph

    def add(self, key, grad) -> None:
        """Add a further contribution to ``key``'s sum (the first goes into ``values``)."""
        current = self.values[key]
        if self.create_graph:
            self.values[key] = current + grad
        elif key in self.owned:
            np.add(current, grad, out=current)
        else:
            self.values[key] = np.asarray(current + grad)  # 0-d sums come back as scalars
            self.owned.add(key)


def _run(roots, root_grads, retain_graph: bool, create_graph: bool, capture=None, tracer=None):
    """Backpropagate ``root_grads``; accumulate into leaves' ``.grad`` or return ``capture``d.

    ``tracer(node, grad, input_grads)``, if given, is called after each node's backward
    (``ag.trace_backward`` records the steps with it).
    """
    sums = _Sums(create_graph)
    values = sums.values
    queue = []  # heap of (-node.sequence, node): the newest node first
    leaves = []
    captured = {}
    check_anomaly = anomaly._state.enabled
    node, edges = None, zip(roots, root_grads)  # the roots' gradients arrive first
    while True:
        for tensor, input_grad in edges:
            if input_grad is None or not tensor.requires_grad:
                continue
            data = tensor.data
            if input_grad.shape != data.shape:
                input_grad = sum_to(input_grad, data.shape)
            if input_grad.dtype is not data.dtype and input_grad.dtype != data.dtype:
                input_grad = input_grad.astype(data.dtype)
            # add it to what tensor's node (or tensor, a leaf) has received so far
            parent = tensor.grad_fn
            key = tensor if parent is None else parent
            if key in values:
                sums.add(key, input_grad)
            elif parent is None:
                values[key] = input_grad
                leaves.append(tensor)
            else:
                values[key] = input_grad
                heapq.heappush(queue, (-parent.sequence, parent))
        if node is not None and not retain_graph:
            node.release()
        if not queue:
            break
        node = heapq.heappop(queue)[1]
        grad = values.pop(node)
        if capture is not None and node in capture:
            captured[node] = grad
        if node.retained is not None:  # a tensor with hooks or retain_grad()
            grad = _watched(node.retained(), grad, create_graph)
        if node.freed:
            raise RuntimeError(FREED_GRAPH_MESSAGE.format(node.name))
        input_grads = node.fn._backward(node, grad)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        if tracer is not None:
            tracer(node, grad, input_grads)
        if check_anomaly:
            for index, input_grad in enumerate(input_grads):
                if input_grad is not None and node.needs_input_grad[index]:
                    anomaly.check_gradient(node, index, input_grad)
        edges = zip(node.inputs, input_grads)
    if hooks.grad_hooks:
        for leaf in leaves:
            values[leaf] = hooks.run_grad_hooks(leaf, values[leaf], create_graph)
    if capture is not None:
        return captured, {leaf: values[leaf] for leaf in leaves}
    if not create_graph:
        _own(leaves, values, sums.owned, root_grads)
    for leaf in leaves:
        _accumulate_leaf(leaf, values[leaf], create_graph)
        if hooks.post_accumulate_hooks:
            hooks.run_post_accumulate_hooks(leaf)
    return None


def _own(leaves: list, values: dict, owned: set, root_grads) -> None:
    """Make every leaf's gradient an array of its own before it becomes ``.grad``.

    One array can reach several leaves (``a + b`` hands the same gradient to
    both, a reshape passes a view of it on), come from the caller (``gradient=``)
    or be read-only (a broadcast); such gradients are copied, so that scaling one
    parameter's ``.grad`` in place never changes another's. Sums the engine made
    are the leaf's own already.
    """
    seen = {id(g if g.base is None else g.base) for g in root_grads if g is not None}
    for leaf in leaves:
        if leaf in owned:
            continue
        grad = values[leaf]
        buffer = id(grad if grad.base is None else grad.base)
        if buffer in seen or not grad.flags.writeable:
            values[leaf] = grad.copy()
        seen.add(buffer)


def _accumulate_leaf(leaf: Tensor, grad, create_graph: bool) -> None:
    current = leaf._grad
    if create_graph:
        leaf._grad = grad if current is None else current + grad
    elif current is None:
        leaf._grad = Tensor._make(grad)
    else:
        leaf._grad = Tensor._make(current.data + grad)


def _watched(tensor: Tensor | None, grad, create_graph: bool):
    """Run a non-leaf tensor's hooks on its gradient, then keep it if it retains its grad."""
    if tensor is None:
        return grad
    grad = hooks.run_grad_hooks(tensor, grad, create_graph)
    if tensor._retains_grad:
        _retain(tensor, grad, create_graph)
    return grad


def _retain(tensor: Tensor, grad, create_graph: bool) -> None:
    if create_graph:
        tensor._grad = grad if tensor._grad is None else tensor._grad + grad
    else:
        value = grad if tensor._grad is None else tensor._grad.data + grad
        tensor._grad = Tensor._make(np.array(value))


class _Callbacks(threading.local):
    queue = None  # a list while a backward pass runs in this thread


_callbacks = _Callbacks()


def queue_callback(callback) -> None:
    """Run ``callback()`` once the backward pass now running in this thread has finished.

    Called from a hook during ``backward()`` (data-parallel training flushes its
    gradient buckets this way). Outside a backward pass it raises.
    """
    if _callbacks.queue is None:
        raise RuntimeError("queue_callback: no backward pass is running in this thread")
    _callbacks.queue.append(callback)


class _BackwardMode:
    """Grad mode and create-graph flag for the duration of one backward pass."""

    def __init__(self, create_graph: bool) -> None:
        self.create_graph = create_graph

    def __enter__(self) -> None:
        self.previous = (_state.enabled, _state.create_graph, _callbacks.queue)
        _state.enabled = self.create_graph
        _state.create_graph = self.create_graph
        _callbacks.queue = []

    def __exit__(self, exc_type, *exc_info) -> None:
        queued = _callbacks.queue
        _state.enabled, _state.create_graph, _callbacks.queue = self.previous
        if exc_type is None:
            for callback in queued:
                callback()


def backward(root: Tensor, gradient=None, retain_graph=None, create_graph: bool = False,
             tracer=None) -> None:
    """Accumulate d(root)/d(leaf) into the ``.grad`` of every leaf that requires grad.

    ``tracer``: see ``_run`` (for ``ag.trace_backward``).
    """
    if not root.requires_grad:
        raise RuntimeError(
            "backward: the tensor does not require grad and has no grad_fn; make its inputs "
            "require grad (requires_grad=True) before computing it"
        )
    if retain_graph is None:
        retain_graph = create_graph
    run = _run if capture_hook is None else capture_hook
    with _BackwardMode(create_graph):
        run([root], [_initial_gradient(root, gradient, create_graph)], retain_graph, create_graph,
            tracer=tracer)


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
        run = _run if capture_hook is None else capture_hook
        node_grads, leaf_grads = run(outputs, root_grads, retain_graph, create_graph, capture)
    results = []
    for index, tensor in enumerate(inputs):
        if tensor.grad_fn is not None:
            value = node_grads.get(tensor.grad_fn)
        else:
            value = leaf_grads.get(tensor)
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
