"""Functions that work on both ndarrays and Tensors, for writing ``backward`` formulas once.

Ordinary backward passes see ndarrays (fast); under ``create_graph=True`` they
see Tensors, and the same formula then records its own graph.
"""

from __future__ import annotations

import numpy as np

from autograd.tensor import Tensor


def data_of(value):
    """The raw array of a Tensor (for masks and other constants), or the value itself."""
    return value.data if isinstance(value, Tensor) else value


def _dual(numpy_function, method_name: str):
    def function(x, *args, **kwargs):
        if isinstance(x, Tensor):
            return getattr(x, method_name)(*args, **kwargs)
        return numpy_function(x, *args, **kwargs)

    function.__name__ = method_name
    return function


exp = _dual(np.exp, "exp")
log = _dual(np.log, "log")
sqrt = _dual(np.sqrt, "sqrt")
sin = _dual(np.sin, "sin")
cos = _dual(np.cos, "cos")
tanh = _dual(np.tanh, "tanh")
broadcast_to = _dual(np.broadcast_to, "broadcast_to")


def where(condition, x, y):
    """``np.where`` with a constant condition; records a graph if ``x`` or ``y`` is a Tensor."""
    if isinstance(x, Tensor) or isinstance(y, Tensor):
        from autograd.ops.shape import where as tensor_where

        return tensor_where(condition, x, y)
    return np.where(condition, x, y)
