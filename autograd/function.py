"""How an operation records itself: ``Op`` (built-in primitives), ``Function`` (user ops).

An ``Op`` is a built-in primitive: its math and nothing else.

    class Tanh(Op):
        '''d/dx tanh(x) = 1 - tanh(x)**2'''

        def forward(ctx, x):
            return np.tanh(x)

        def backward(ctx, grad, out):
            return grad - grad * out * out

``forward`` gets the inputs' arrays (positional) and the op's parameters
(keywords). ``backward`` gets the gradient of the output and, after it, the
values it names: a forward input by its name in ``forward`` (``x``), or
``out`` for the output. Those are the op's *differentiable saved values*:
arrays normally, and under ``create_graph=True`` the tensors of the graph, so
the same formula, written with ``autograd.ops.dual``, records its own graph.
Everything else a backward needs is a *constant* stored on ``ctx`` in forward
(``ctx.axes = ...``, masks, indices): never differentiated. Saved values are
found by position, never by matching arrays, so ``x * x.detach()`` is
differentiated as such.

``Function`` is the public base for user-defined operations, PyTorch style:
``forward`` and ``backward`` see Tensors, ``ctx.save_for_backward``.

Both record a ``Node`` (``autograd/node.py``: the ``grad_fn`` and ``ctx``);
``autograd/saved.py`` hands ``backward`` its saved values and checks that none
was changed in place since forward.
"""

from __future__ import annotations

import re
import sys
from typing import Callable

import numpy as np

from autograd import anomaly
from autograd.grad_mode import _state
from autograd.node import Node
from autograd.saved import backward_runner, saved_spec
from autograd.tensor import Tensor, as_tensor

# While ag.capture records a step: the recorder's apply(cls, inputs, params), else None.
capture_hook = None


class ShapeError(ValueError):
    """A shape problem detected by an op's own checks (its message already names the op)."""


class _ForwardOnlyContext:
    """The ``ctx`` of an op that is not recorded: constants set on it are dropped."""

    needs_input_grad = ()

    def save_for_backward(self, *values) -> None:
        pass


def _explain(name: str, error: Exception, inputs: tuple) -> str:
    """A NumPy error from inside ``forward``, restated with the op's name and input shapes."""
    shapes = [tensor.shape for tensor in inputs]
    if "broadcast" in str(error) and len(shapes) == 2:
        return f"{name}: shapes {shapes[0]} and {shapes[1]} cannot be broadcast together"
    return f"{name}: {error} (input shapes {', '.join(map(str, shapes))})"


def plain_error(error: Exception) -> type:
    """The built-in class of ``error`` (NumPy's subclasses take other constructor arguments)."""
    for kind in (IndexError, TypeError, ValueError):
        if isinstance(error, kind):
            return kind
    return type(error)


def _snake_case(class_name: str) -> str:
    """``LogSoftmax`` -> ``log_softmax``, ``MaxPool2d`` -> ``max_pool2d``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", class_name).lower()


class Op:
    """Base class of the built-in differentiable primitives (see the module docstring).

    A subclass is registered in ``Op.registry`` under its name: the class name in
    snake case unless it sets ``name``. Classes whose name starts with ``_`` are
    shared bases, not ops. ``forward`` and ``backward`` are static (no ``self``).
    """

    name = "op"
    registry: dict[str, type] = {}
    _saved_spec: tuple = ()  # per value backward asks for: an input's position, or -1: output

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        for method in ("forward", "backward"):
            function = cls.__dict__.get(method)
            if function is not None and not isinstance(function, (staticmethod, classmethod)):
                setattr(cls, method, staticmethod(function))
        if "name" not in cls.__dict__:
            cls.name = _snake_case(cls.__name__.lstrip("_"))
            if cls.__name__.startswith("_"):
                cls.name = "_" + cls.name
        cls._saved_spec = saved_spec(cls)
        cls._backward = staticmethod(backward_runner(cls))
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
        if capture_hook is not None:  # ag.capture is recording a step
            return capture_hook(cls, inputs, params)
        # Unrolled for one and two inputs (nearly every op): in Python 3.11 a
        # comprehension costs as much as all the rest of this bookkeeping.
        count = len(inputs)
        if count == 1:
            needs_input_grad = (inputs[0].requires_grad,)
            arrays = (inputs[0].data,)
        elif count == 2:
            needs_input_grad = (inputs[0].requires_grad, inputs[1].requires_grad)
            arrays = (inputs[0].data, inputs[1].data)
        else:
            needs_input_grad = tuple([tensor.requires_grad for tensor in inputs])
            arrays = [tensor.data for tensor in inputs]
        record = _state.enabled and True in needs_input_grad
        ctx = Node(cls, inputs, needs_input_grad) if record else _ForwardOnlyContext()
        try:
            out = cls.forward(ctx, *arrays, **params)
        except ShapeError:
            raise
        except (ValueError, IndexError, TypeError) as error:
            if str(error).startswith(f"{cls.name}:"):
                raise  # already explained by the op's own checks
            raise plain_error(error)(_explain(cls.name, error, inputs)) from None
        if type(out) is not np.ndarray:  # NumPy returns scalars for 0-d results
            out = np.asarray(out)
        if not record:
            return Tensor._make(out)
        ctx.output = out
        if anomaly._state.enabled:
            ctx.trace = anomaly.user_frame()
        return Tensor._make(out, True, ctx)


def elementwise(name: str, array_function: Callable, formula: str, backward: Callable):
    """Define an elementwise one-input op in one line; return its public function.

    ``array_function(x)`` is the forward on arrays; ``backward(ctx, grad, x)`` (or
    ``out`` instead of ``x``) the gradient, written with ``autograd.ops.dual``;
    ``formula`` (the derivative, e.g. ``"d/dx exp(x) = exp(x)"``) becomes the op's
    docstring. The op class is the function's ``op`` attribute.
    """
    module = sys._getframe(1).f_globals["__name__"]
    class_name = "".join(part.title() for part in name.split("_"))
    op = type(class_name, (Op,), {
        "__doc__": formula, "__module__": module, "name": name,
        "forward": lambda ctx, x: array_function(x), "backward": backward,
    })

    def function(x) -> Tensor:
        return op.apply(x if isinstance(x, Tensor) else as_tensor(x))

    function.__name__ = function.__qualname__ = name
    function.__module__ = module
    function.__doc__ = f"Elementwise {name}; {formula}."
    function.op = op
    return function


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
    A tensor saved with ``save_for_backward`` and changed in place before
    backward makes backward raise.
    """

    _saved_spec: tuple = ()

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
        ctx = Node(cls, inputs, tuple([tensor.requires_grad for tensor in inputs]))
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
