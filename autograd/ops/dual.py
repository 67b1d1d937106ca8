"""The dual namespace: the one place that knows whether a value is an ndarray or a Tensor.

Backward formulas are written once, with operators (``+ * @``, ``.sum()``,
``.reshape()``, which arrays and Tensors share) and the functions below. An
ordinary backward pass hands them ndarrays, and they run NumPy directly (the
fast path); under ``create_graph=True`` they get Tensors and record their own
graph, which is how second derivatives come for free (HIPS autograd's ``anp``).

Two kinds of values appear in a backward formula:

- differentiable saved values (the op's inputs and output, passed to
  ``backward`` by the engine) and the incoming gradient: arrays or Tensors;
- constants (masks, indices, shapes set on ``ctx`` in forward): always arrays.
  ``constant(x)`` gives the array behind a value, for building masks.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from autograd.tensor import Tensor


def recorded(value) -> bool:
    """True when ``value`` is a Tensor: the backward pass is being recorded."""
    return isinstance(value, Tensor)


def constant(value) -> np.ndarray:
    """The array behind ``value``: use it for masks and other non-differentiable helpers."""
    return value.data if isinstance(value, Tensor) else value


def function(array_function: Callable, tensor_function: Callable, name: str) -> Callable:
    """A function of ``x`` that runs ``array_function`` on arrays, ``tensor_function`` on Tensors.

    Further arguments are passed through; they must be constants.
    """
    def dual(x, *args, **kwargs):
        if isinstance(x, Tensor):
            return tensor_function(x, *args, **kwargs)
        return array_function(x, *args, **kwargs)

    dual.__name__ = dual.__qualname__ = name
    return dual


def _method(name: str) -> Callable:
    return lambda x, *args, **kwargs: getattr(x, name)(*args, **kwargs)


exp = function(np.exp, _method("exp"), "exp")
log = function(np.log, _method("log"), "log")
sqrt = function(np.sqrt, _method("sqrt"), "sqrt")
sin = function(np.sin, _method("sin"), "sin")
cos = function(np.cos, _method("cos"), "cos")
tanh = function(np.tanh, _method("tanh"), "tanh")
broadcast_to = function(np.broadcast_to, _method("broadcast_to"), "broadcast_to")


def _sigmoid_array(x: np.ndarray) -> np.ndarray:
    # exp(-|x|) never overflows, and e / (1 + e) is sigmoid(-|x|) to full precision.
    e = np.exp(-np.abs(x))
    small = e / (1 + e)
    return np.where(x >= 0, 1 - small, small)


sigmoid = function(_sigmoid_array, _method("sigmoid"), "sigmoid")


def _softplus_array(x: np.ndarray) -> np.ndarray:
    """log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): finite for any x."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _softplus_tensor(x: Tensor) -> Tensor:
    return x.relu() + ((-x.abs()).exp() + 1).log()


softplus = function(_softplus_array, _softplus_tensor, "softplus")


def softmax(x, axes: tuple):
    """softmax over ``axes`` (a tuple), recorded for Tensors."""
    if isinstance(x, Tensor):
        return x.softmax(axis=axes)
    shifted = np.exp(x - np.max(x, axis=axes, keepdims=True))
    return shifted / shifted.sum(axis=axes, keepdims=True)


def erf(x):
    """The error function, recorded for Tensors."""
    from autograd.ops import unary

    return unary.erf(x) if isinstance(x, Tensor) else unary.erf_array(x)


def where(condition, x, y):
    """``np.where`` with a constant ``condition``; records a graph if ``x`` or ``y`` is a Tensor."""
    if isinstance(x, Tensor) or isinstance(y, Tensor):
        from autograd.ops.shape import where as tensor_where

        return tensor_where(condition, x, y)
    return np.where(condition, x, y)


_SAME_SIZE_INTS = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def keep(grad, mask):
    """``grad`` where ``mask`` is true, exactly 0 elsewhere (even where ``grad`` is inf or NaN).

    The derivative of relu, clip, max...: multiplying by a 0/1 mask would turn an
    infinite gradient into NaN. On arrays the selection is branchless (the mask
    ANDed into the bits), several times faster than ``np.where`` on random masks.
    """
    if isinstance(grad, Tensor):
        from autograd.ops.shape import where as tensor_where

        return tensor_where(mask, grad, 0.0)
    unsigned = _SAME_SIZE_INTS.get(grad.dtype.itemsize)
    if grad.dtype.kind != "f" or unsigned is None or mask.shape != grad.shape or not grad.ndim:
        return np.where(mask, grad, 0.0).astype(grad.dtype, copy=False)
    bits = np.negative(mask, dtype=unsigned)  # True -> all ones, False -> 0
    return (np.ascontiguousarray(grad).view(unsigned) & bits).view(grad.dtype)


def reuse(saved: np.ndarray, recompute: Callable, like) -> np.ndarray | Tensor:
    """An intermediate of the forward pass that backward needs again.

    On the fast path the array ``saved`` in forward is used as it is; when the
    backward is recorded (``like`` is a Tensor) the value is recomputed from the
    recorded inputs by ``recompute()``, so its dependence on them is differentiated.
    """
    return recompute() if isinstance(like, Tensor) else saved
