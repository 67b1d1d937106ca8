"""How an operation records itself: ``Node`` (the graph node and ``ctx``), ``Op``, ``Function``.

``Op`` is the base of the built-in primitives: ``forward`` works on raw
ndarrays and ``backward`` on ndarrays, or on Tensors when the backward pass is
itself being recorded (``create_graph=True``). ``Function`` is the public base
for user-defined operations, PyTorch style: ``forward`` and ``backward`` see
Tensors.
"""

from __future__ import annotations

import weakref

import numpy as np

from autograd import anomaly
from autograd.grad_mode import _state
from autograd.tensor import Tensor

FREED_GRAPH_MESSAGE = (
    "backward: trying to backward through the graph a second time (op '{}'): its saved "
    "values were freed by the first backward(). Pass retain_graph=True to the first "
    "backward() (or ag.grad) if you need to backward through it again."
)


class ShapeError(ValueError):
    """A shape problem detected by an op's own checks (its message already names the op)."""


class Node:
    """One recorded operation: the ``grad_fn`` of its output and the ``ctx`` of forward/backward.

    Attributes: ``fn`` (the Op or Function class), ``inputs`` (input Tensors),
    ``needs_input_grad`` (one bool per input), ``output`` (the output array,
    kept until backward frees the node), plus any parameters the op stores.
    """

    def __init__(self, fn, inputs: tuple) -> None:
        self.fn = fn
        self.inputs = inputs
        self.needs_input_grad = tuple([t.requires_grad for t in inputs])
        self.saved = ()
        self.output = None
        self.retained = None
        self.trace = None

    @property
    def name(self) -> str:
        """The op's name, e.g. ``"matmul"``, or a user Function's class name."""
        return self.fn.name

    def save_for_backward(self, *values) -> None:
        """Keep ``values`` (arrays, or Tensors in a ``Function``) for ``backward``."""
        self.saved = values

    @property
    def saved_tensors(self) -> tuple:
        """What ``save_for_backward`` kept (as Tensors in the graph under ``create_graph``)."""
        saved = self.saved
        if saved is None:
            raise RuntimeError(FREED_GRAPH_MESSAGE.format(self.name))
        if not _state.create_graph:
            return saved
        return tuple([self._as_graph_value(value) for value in saved])

    def _as_graph_value(self, value):
        """Map a saved input or output array back to the tensor it belongs to."""
        data = value.data if isinstance(value, Tensor) else value
        for tensor in self.inputs:
            if tensor.data is data:
                return tensor
        if data is self.output and data is not None:
            return Tensor._make(data, True, self)
        return value

    def retain(self, tensor: Tensor) -> None:
        """Remember (weakly) a non-leaf tensor that wants its ``.grad`` after backward."""
        self.retained = weakref.ref(tensor)

    def release(self) -> None:
        """Free what backward needed (called after backward unless ``retain_graph``).

        Intermediate inputs are swapped for data-free stand-ins, so a loss kept
        after ``backward()`` does not pin the step's activations, while the
        graph's structure (shapes, dtypes, names) stays drawable.
        """
        if self.saved:
            self.saved = None
        self.output = None
        self.inputs = tuple(
            [tensor if tensor.grad_fn is None else _stand_in(tensor) for tensor in self.inputs]
        )

    def __repr__(self) -> str:
        return f"<{self.name}>"


# A read-only buffer behind every released tensor's data: zero strides, no memory.
_RELEASED_BUFFER = bytes(32)


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


class _ForwardOnlyContext:
    """The ``ctx`` of an op that is not recorded: saving is a no-op."""

    needs_input_grad = ()

    def save_for_backward(self, *values) -> None:
        pass


def _explain(name: str, error: Exception, inputs: tuple) -> str:
    """A NumPy error from inside ``forward``, restated with the op's name and input shapes."""
    shapes = [tensor.shape for tensor in inputs]
    if "broadcast" in str(error) and len(shapes) == 2:
        return f"{name}: shapes {shapes[0]} and {shapes[1]} cannot be broadcast together"
    return f"{name}: {error} (input shapes {', '.join(map(str, shapes))})"


class Op:
    """Base class of the built-in differentiable primitives (raw-array ``forward``).

    Subclasses set ``name`` and define ``forward(ctx, *arrays, **params)`` and
    ``backward(ctx, grad)``; each subclass is registered in ``Op.registry``.
    """

    name = "op"
    registry: dict[str, type] = {}

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name.startswith("_"):
            return  # a shared base, not an op
        if cls.name in Op.registry and Op.registry[cls.name] is not cls:
            raise RuntimeError(f"Op name {cls.name!r} registered twice")
        Op.registry[cls.name] = cls

    @staticmethod
    def forward(ctx, *arrays, **params):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Tensor, **params) -> Tensor:
        """Run ``forward`` on the inputs' data; record a node if any input requires grad."""
        record = False
        if _state.enabled:
            for tensor in inputs:
                if tensor.requires_grad:
                    record = True
                    break
        ctx = Node(cls, inputs) if record else _ForwardOnlyContext()
        try:
            out = cls.forward(ctx, *[tensor.data for tensor in inputs], **params)
        except ShapeError:
            raise
        except (ValueError, IndexError) as error:
            if str(error).startswith(f"{cls.name}:"):
                raise  # already explained by the op's own checks
            raise type(error)(_explain(cls.name, error, inputs)) from None
        if not record:
            return Tensor._make(out)
        if type(out) is not np.ndarray:  # NumPy returns scalars for 0-d results
            scalar, out = out, np.asarray(out)
            ctx.saved = tuple(out if value is scalar else value for value in ctx.saved)
        ctx.output = out
        if anomaly._state.enabled:
            ctx.trace = anomaly.user_frame()
        return Tensor._make(out, True, ctx)

    @classmethod
    def _backward(cls, ctx: Node, grad):
        grads = cls.backward(ctx, grad)
        return grads if type(grads) is tuple else (grads,)


class Function:
    """Base class for user-defined differentiable operations (PyTorch style).

    >>> class Cube(ag.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x ** 3
    ...     @staticmethod
    ...     def backward(ctx, grad):          # d/dx x**3 = 3 x**2
    ...         (x,) = ctx.saved_tensors
    ...         return grad * 3 * x ** 2
    >>> y = Cube.apply(x)

    ``forward`` runs without recording and returns one Tensor (or array);
    ``backward`` gets the output's gradient and returns one gradient per
    ``forward`` argument (``None`` for non-tensor arguments). Write ``backward``
    with Tensor operations and ``create_graph=True`` differentiates it again.
    """

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = cls.__name__

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args) -> Tensor:
        """Call ``forward`` and record the result in the graph."""
        positions = [i for i, arg in enumerate(args) if isinstance(arg, Tensor)]
        inputs = tuple(args[i] for i in positions)
        ctx = Node(cls, inputs)
        ctx.positions = positions
        ctx.num_args = len(args)
        previous = _state.enabled
        _state.enabled = False
        try:
            out = cls.forward(ctx, *args)
        finally:
            _state.enabled = previous
        out_data = np.asarray(out.data if isinstance(out, Tensor) else out)
        if not (previous and any(t.requires_grad for t in inputs)):
            return Tensor._make(out_data)
        ctx.output = out_data
        if anomaly._state.enabled:
            ctx.trace = anomaly.user_frame()
        return Tensor._make(out_data, True, ctx)

    @classmethod
    def _backward(cls, ctx: Node, grad):
        grad_tensor = grad if isinstance(grad, Tensor) else Tensor._make(grad)
        grads = cls.backward(ctx, grad_tensor)
        if type(grads) is not tuple:
            grads = (grads,)
        if len(grads) != ctx.num_args:
            raise RuntimeError(
                f"{cls.name}.backward returned {len(grads)} gradients, expected one per "
                f"forward argument ({ctx.num_args})"
            )
        result = []
        for position, tensor in zip(ctx.positions, ctx.inputs):
            value = grads[position]
            if value is None:
                result.append(None)
                continue
            if not _state.create_graph:
                value = np.asarray(value.data if isinstance(value, Tensor) else value)
            elif not isinstance(value, Tensor):
                value = Tensor._make(value)
            if value.shape != tensor.shape:
                raise RuntimeError(
                    f"{cls.name}.backward returned a gradient of shape {value.shape} for "
                    f"an input of shape {tensor.shape}"
                )
            result.append(value)
        return tuple(result)
