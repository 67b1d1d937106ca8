"""The backward pass while a step is recorded: ``engine._run``, step for step, recording.

It visits the nodes in the engine's order (a heap on creation numbers) and makes
the engine's array operations in the same order, each recorded as an
instruction: every op's ``backward``, ``sum_to`` over broadcast dimensions,
casts, the sums of several contributions and the leaves' ``.grad``. The order
and the shapes are resolved here, once; a replay just runs the instructions.
(The captured step's results are checked against eager execution before any
replay is trusted, so a change to the engine that this copy missed is caught.)
"""

from __future__ import annotations

import heapq

import numpy as np

from autograd import anomaly, hooks
from autograd.capturing.recorder import Recorder
from autograd.capturing.refs import Const, Slot
from autograd.capturing.state import CaptureError
from autograd.engine import _accumulate_leaf, sum_to
from autograd.function import Op
from autograd.saved import FREED_GRAPH_MESSAGE


def reduce_to(grad: np.ndarray, axes: tuple) -> np.ndarray:
    """``sum_to`` to a shape of as many dimensions, its axes worked out once (at recording)."""
    return grad.sum(axis=axes, keepdims=True)


def reduce_and_reshape(grad: np.ndarray, axes: tuple, shape: tuple) -> np.ndarray:
    """``sum_to`` to a shape of fewer dimensions (a broadcast added leading ones)."""
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


def _reduced_axes(grad_shape: tuple, shape: tuple) -> tuple:
    """The axes ``engine.sum_to`` sums over (it has checked that they fit)."""
    extra = len(grad_shape) - len(shape)
    return tuple(range(extra)) + tuple(extra + i for i, size in enumerate(shape)
                                       if size == 1 and grad_shape[extra + i] != 1)


def sum_new(current: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """The second contribution to a gradient: a fresh array (as ``engine._Sums.add``)."""
    return np.asarray(current + grad)


def add_into(current: np.ndarray, grad: np.ndarray) -> None:
    """A further contribution, added in place (as ``engine._Sums.add``)."""
    np.add(current, grad, out=current)


def cast(grad: np.ndarray, dtype: np.dtype) -> np.ndarray:
    return grad.astype(dtype)


def copy(grad: np.ndarray) -> np.ndarray:
    return grad.copy()


def _refuse(what: str) -> None:
    raise CaptureError(f"capture: {what} inside a captured step is not supported; call the "
                       "step without ag.capture")


def record_backward(rec: Recorder, roots, root_grads, retain_graph: bool, create_graph: bool,
                    capture=None, tracer=None):
    """``engine._run`` for ``backward()`` (no ``create_graph``, tracer or ``ag.grad``)."""
    if create_graph:
        _refuse("backward(create_graph=True) (higher derivatives)")
    if tracer is not None:
        _refuse("trace_backward")
    if capture is not None:
        _refuse("ag.grad (use loss.backward() and read .grad)")
    def engine_step(fn, *args):
        return rec.call(fn, args, {}, "engine")

    values = {}
    owned = set()
    queue = []
    leaves = []
    check_anomaly = anomaly._state.enabled
    node, edges = None, zip(roots, root_grads)
    while True:
        for tensor, input_grad in edges:
            if input_grad is None or not tensor.requires_grad:
                continue
            data = tensor.data
            if input_grad.shape != data.shape:
                sum_to(input_grad, data.shape)  # its checks, with their errors
                axes = _reduced_axes(input_grad.shape, data.shape)
                if input_grad.ndim == data.ndim:
                    input_grad = engine_step(reduce_to, input_grad, axes)
                else:
                    input_grad = engine_step(reduce_and_reshape, input_grad, axes, data.shape)
            if input_grad.dtype is not data.dtype and input_grad.dtype != data.dtype:
                input_grad = engine_step(cast, input_grad, data.dtype)
            parent = tensor.grad_fn
            key = tensor if parent is None else parent
            if key in values:
                if key in owned:
                    engine_step(add_into, values[key], input_grad)
                else:
                    values[key] = engine_step(sum_new, values[key], input_grad)
                    owned.add(key)
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
        if node.retained is not None:
            _refuse("a hook or retain_grad() on a tensor computed in the step")
        if node.freed:
            raise RuntimeError(FREED_GRAPH_MESSAGE.format(node.name))
        input_grads = _node_backward(rec, node, grad)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        if check_anomaly:
            for index, input_grad in enumerate(input_grads):
                if input_grad is not None and node.needs_input_grad[index]:
                    anomaly.check_gradient(node, index, input_grad)
        edges = zip(node.inputs, input_grads)
    for leaf in leaves:
        if id(leaf) in hooks.grad_hooks or id(leaf) in hooks.post_accumulate_hooks:
            _refuse("a gradient hook on a leaf")
    _own(rec, leaves, values, owned, root_grads)
    for leaf in leaves:
        rec.call(_accumulate_leaf, (leaf, values[leaf], False), {})
    return None


def _node_backward(rec: Recorder, node, grad):
    """Run one node's backward now; record it (an Op) or its ops (a user Function)."""
    cls = node.fn
    if not (isinstance(cls, type) and issubclass(cls, Op)):
        return cls._backward(node, grad)  # a Function: the ops of its backward record themselves
    entry = rec.contexts.get(node)
    if entry is None:
        raise CaptureError(
            f"capture: backward() reaches '{node.name}', an operation computed before the "
            "captured step was called; compute everything the step differentiates inside it")
    ctx, input_refs, out_slot = entry
    result = rec.run_atomic(cls._backward, (node, grad), {})
    # NumPy gives scalars for 0-d operands (the gradient of loss / count): as arrays they
    # get slots, so replays use their own values instead of the recorded ones
    if type(result) is tuple:
        result = tuple(np.asarray(item) if isinstance(item, np.generic) else item
                       for item in result)
    elif isinstance(result, np.generic):
        result = np.asarray(result)
    saved = [Slot(out_slot) if i < 0 else (input_refs[i] if i < len(input_refs) else Const(None))
             for i in cls._saved_spec]
    rec.emit(cls.backward, [Const(ctx), rec.value_ref(grad)] + saved, {}, result, False,
             f"{cls.name} backward", "backward")
    if ctx.holds_arrays:  # free the constants until the next replay's forward
        rec.emit(ctx.__dict__.clear, [], {}, None, False, f"{cls.name} constants freed",
                 "engine")
    return result


def _own(rec: Recorder, leaves: list, values: dict, owned: set, root_grads) -> None:
    """``engine._own``, recording the copies it makes."""
    seen = {id(g if g.base is None else g.base) for g in root_grads if g is not None}
    for leaf in leaves:
        if leaf in owned:
            continue
        grad = values[leaf]
        buffer = id(grad if grad.base is None else grad.base)
        if buffer in seen or not grad.flags.writeable:
            values[leaf] = rec.call(copy, (grad,), {}, "engine")
        seen.add(buffer)
