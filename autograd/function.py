"""How an operation records itself: ``Node`` (the graph node and ``ctx``), ``Op``, ``Function``.

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
"""

from __future__ import annotations

import inspect
import itertools
import re
import sys
import weakref
from typing import Callable

import numpy as np

from autograd import anomaly
from autograd.grad_mode import _state
from autograd.tensor import Tensor, as_tensor, clock

FREED_GRAPH_MESSAGE = (
    "backward: trying to backward through the graph a second time (op '{}'): its saved "
    "values were freed by the first backward(). Pass retain_graph=True to the first "
    "backward() (or ag.grad) if you need to backward through it again."
)

# Numbers nodes in creation order: a node's inputs always come from older nodes.
_creation_order = itertools.count()

# While ag.capture records a step: the recorder's apply(cls, inputs, params), else None.
capture_hook = None


class ShapeError(ValueError):
    """A shape problem detected by an op's own checks (its message already names the op)."""


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
            _check_versions(self, tensors, output_saved)
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

    def release(self, stand_ins: bool) -> None:
        """Free what backward needed (called after backward unless ``retain_graph``).

        The output and every array constant are dropped. With ``stand_ins`` (some
        input that is not a parameter holds at least ``STAND_IN_MIN_BYTES``; the
        engine has just looked at every input), inputs other than leaves that
        require grad are swapped for data-free stand-ins, so a loss kept after
        ``backward()`` pins neither the step's activations nor its input batch,
        while the graph's structure (shapes, dtypes, names) stays drawable.
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
        if stand_ins:
            self.inputs = tuple([t if t.grad_fn is None and t.requires_grad else _stand_in(t)
                                 for t in self.inputs])

    def __repr__(self) -> str:
        return f"<{self.name}>"


# A read-only buffer behind every released tensor's data: zero strides, no memory.
_RELEASED_BUFFER = bytes(32)
# Inputs smaller than this are not worth a stand-in (see Node.release).
STAND_IN_MIN_BYTES = 4096


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


def _check_versions(node: Node, tensors, output_saved: bool) -> None:
    """Refuse to backward through ``node`` if a value it saved was changed in place since.

    Called only when the version clock has moved since the node was recorded.
    """
    for tensor in tensors:
        version = tensor._version_counter
        if version is not None and version.stamp > node.stamp:
            positions = [i for i, t in enumerate(node.inputs) if t is tensor]
            which = f"input {positions[0]}" if positions else "a saved tensor"
            _raise_modified(node, which, tensor, version)
    version = node.output_version
    if output_saved and version is not None and version.stamp > node.stamp:
        _raise_modified(node, "its output", None, version)


def _raise_modified(node: Node, which: str, tensor, version) -> None:
    described = "" if tensor is None else f" (shape {tensor.shape}, {tensor.dtype})"
    raise RuntimeError(
        f"{node.name}: one of the variables needed for gradient computation has been modified "
        f"by an inplace operation: {which} of '{node.name}'{described} is at version "
        f"{version.version}, and was changed after '{node.name}' saved it. Run backward() "
        "before changing it in place (optimizer.step() after loss.backward()), or change a "
        "clone() of it instead."
    )


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
        cls._saved_spec = _saved_spec(cls)
        cls._backward = staticmethod(_backward_runner(cls))
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


def _saved_spec(cls) -> tuple:
    """Positions of the forward inputs (or -1: the output) that ``backward`` names."""
    backward = cls.__dict__.get("backward")
    if backward is None:
        return getattr(cls, "_saved_spec", ())
    wanted = list(inspect.signature(backward.__func__).parameters)[2:]
    forward = cls.forward
    inputs = [name for name, parameter in inspect.signature(forward).parameters.items()
              if parameter.kind is parameter.POSITIONAL_OR_KEYWORD][1:]
    spec = []
    for name in wanted:
        if name == "out":
            spec.append(-1)
        elif name in inputs:
            spec.append(inputs.index(name))
        else:
            raise TypeError(f"{cls.__name__}.backward asks for {name!r}, which is neither an "
                            f"input of forward {tuple(inputs)} nor 'out'")
    return tuple(spec)


def _backward_runner(cls):
    """The function the engine calls for ``cls``: fetches the saved values, checks versions.

    (The engine has checked that the node was not freed by an earlier backward.)
    """
    backward = cls.backward
    spec = cls._saved_spec
    if not spec:
        return backward  # the engine checks ``node.freed`` itself
    output_saved = -1 in spec
    if spec == (-1,):  # the output alone (exp, tanh, sigmoid, ...): unrolled
        def run(node, grad):
            if node.stamp != clock.now:
                _check_versions(node, (), True)
            if _state.create_graph:
                return backward(node, grad, Tensor._make(node.output, True, node))
            return backward(node, grad, node.output)
        return run
    if len(spec) == 1 and spec[0] >= 0 and not _optional(cls, spec):  # one input: unrolled
        (position,) = spec

        def run(node, grad):
            x = node.inputs[position]
            if node.stamp != clock.now:
                _check_versions(node, (x,), False)
            return backward(node, grad, x if _state.create_graph else x.data)
        return run
    if len(spec) == 2 and min(spec) >= 0 and not _optional(cls, spec):
        first, second = spec  # two inputs (mul, matmul, ...): unrolled, it runs once per node

        def run(node, grad):
            a, b = node.inputs[first], node.inputs[second]
            if node.stamp != clock.now:
                _check_versions(node, (a, b), False)
            if _state.create_graph:
                return backward(node, grad, a, b)
            return backward(node, grad, a.data, b.data)
        return run

    largest = max(spec)

    def run(node, grad):
        inputs = node.inputs
        if len(inputs) <= largest:  # an optional input (``bias=None``) was left out
            inputs = inputs + (None,) * (largest + 1 - len(inputs))
        if node.stamp != clock.now:
            _check_versions(node, [inputs[i] for i in spec if i >= 0 and inputs[i] is not None],
                            output_saved)
        if _state.create_graph:
            values = [inputs[i] if i >= 0 else Tensor._make(node.output, True, node)
                      for i in spec]
        else:
            values = [(None if inputs[i] is None else inputs[i].data) if i >= 0
                      else node.output for i in spec]
        return backward(node, grad, *values)

    return run


def _optional(cls, spec: tuple) -> bool:
    """True if a forward input that backward asks for has a default (may be left out)."""
    parameters = [parameter for parameter in inspect.signature(cls.forward).parameters.values()
                  if parameter.kind is parameter.POSITIONAL_OR_KEYWORD][1:]
    return any(parameters[i].default is not parameter.empty for i in spec if i >= 0
               for parameter in [parameters[i]])


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
