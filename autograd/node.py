"""``Node``: one recorded operation, the ``grad_fn`` of its output and the ``ctx`` its op sees.

A node holds its inputs, its output array, a creation number (backward's order)
and the version clock when it was recorded, plus the constants its op stores
(``ctx.axes = ...``). After backward, ``release`` frees what backward needed,
swapping large inputs for data-free stand-ins (``is_released`` tells them).
"""

from __future__ import annotations

import itertools
import weakref

import numpy as np

from autograd.grad_mode import _state
from autograd.saved import FREED_GRAPH_MESSAGE, check_versions
from autograd.tensor import Tensor, clock

# Numbers nodes in creation order: a node's inputs always come from older nodes.
_creation_order = itertools.count()

# A read-only buffer behind every released tensor's data: zero strides, no memory.
_RELEASED_BUFFER = bytes(32)
# Inputs smaller than this are not worth a stand-in (see Node.release).
STAND_IN_MIN_BYTES = 4096


class Node:
    """One recorded operation: the ``grad_fn`` of its output and the ``ctx`` of forward/backward.

    Attributes: ``fn`` (the Op or Function class), ``inputs`` (input Tensors),
    ``needs_input_grad`` (one bool per input), ``output`` (the output array,
    kept until backward frees the node), ``sequence`` (creation number: the
    order backward follows), ``stamp`` (the version clock when it was
    recorded), plus the constants the op stores (``ctx.axes = ...``).
    """

    # Slots for what every node holds (one node per recorded op, so it pays to
    # keep them cheap); op constants (``ctx.axis = ...``) go to ``__dict__``.
    __slots__ = ("fn", "inputs", "needs_input_grad", "output", "sequence", "retained", "stamp",
                 "output_version", "freed", "__dict__", "__weakref__")
    trace = None  # set under detect_anomaly(): the user's source line of the forward

    def __init__(self, fn, inputs: tuple, needs_input_grad: tuple) -> None:
        self.fn = fn
        self.inputs = inputs
        self.needs_input_grad = needs_input_grad
        self.output = None
        self.sequence = next(_creation_order)
        self.retained = None  # retain() sets a weak reference to a tensor with hooks
        self.stamp = clock.now
        self.output_version = None  # the output's version counter, once it has one
        self.freed = False

    @property
    def name(self) -> str:
        """The op's name, e.g. ``"matmul"``, or a user Function's class name."""
        return self.fn.name

    # ------------------------------------------------------------ Function's ctx API
    def save_for_backward(self, *tensors) -> None:
        """Keep ``tensors`` for ``backward`` (in a user ``Function``)."""
        self.saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        """What ``save_for_backward`` kept, as tensors of the graph under ``create_graph``."""
        if self.freed:
            raise RuntimeError(FREED_GRAPH_MESSAGE.format(self.name))
        saved = self.__dict__.get("saved", ())
        if self.stamp != clock.now:
            tensors = [t for t in saved if isinstance(t, Tensor)]
            output_saved = any(t.data is self.output for t in tensors)
            check_versions(self, tensors, output_saved)
        if not _state.create_graph:
            return saved
        return tuple([self._graph_value(value) for value in saved])

    def _graph_value(self, value):
        """A saved input tensor is itself; the output's data becomes the graph's output."""
        for tensor in self.inputs:
            if value is tensor:
                return tensor
        data = value.data if isinstance(value, Tensor) else value
        if data is self.output and data is not None:
            return Tensor._make(data, True, self)
        return value

    # ------------------------------------------------------------ engine API
    def retain(self, tensor: Tensor) -> None:
        """Remember (weakly) a non-leaf tensor with hooks or ``retain_grad()``."""
        self.retained = weakref.ref(tensor)

    def release(self) -> None:
        """Free what backward needed (called after backward unless ``retain_graph``).

        The output and every array constant are dropped. When some input that is
        not a parameter holds at least ``STAND_IN_MIN_BYTES``, inputs other than
        leaves that require grad are swapped for data-free stand-ins, so a loss
        kept after ``backward()`` pins neither the step's activations nor its
        input batch, while the graph's structure (shapes, dtypes, names) stays
        drawable.
        """
        self.output = None
        freed = bool(self.fn._saved_spec)
        constants = self.__dict__
        if constants:
            if constants.pop("saved", None):  # a Function's saved tensors
                freed = True
            for key, value in constants.items():
                if isinstance(value, np.ndarray):
                    constants[key] = None
                    freed = True
        self.freed = freed
        stand_ins = False
        for tensor in self.inputs:
            if tensor.data.nbytes >= STAND_IN_MIN_BYTES and (
                    tensor.grad_fn is not None or not tensor.requires_grad):
                stand_ins = True
                break
        if stand_ins:
            self.inputs = tuple([t if t.grad_fn is None and t.requires_grad else _stand_in(t)
                                 for t in self.inputs])

    def __repr__(self) -> str:
        return f"<{self.name}>"


def _stand_in(tensor: Tensor) -> Tensor:
    data = tensor.data
    if data.base is _RELEASED_BUFFER:
        return tensor
    empty = np.ndarray(data.shape, data.dtype, buffer=_RELEASED_BUFFER, strides=(0,) * data.ndim)
    stand_in = Tensor._make(empty, tensor.requires_grad, tensor.grad_fn)
    stand_in.name = tensor.name
    return stand_in


def is_released(tensor: Tensor) -> bool:
    """True for a graph tensor whose values backward() freed (its shape and dtype remain)."""
    return tensor.data.base is _RELEASED_BUFFER
