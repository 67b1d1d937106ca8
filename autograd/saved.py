"""The values a ``backward`` sees, and the check that none was changed in place since forward.

An op's ``backward(ctx, grad, <names>)`` names its *differentiable saved values*:
forward's inputs by their parameter names, ``out`` for the output.
``saved_spec`` turns those names into positions once per op class, and
``backward_runner`` builds the function the engine calls per node: it fetches
the values by position (arrays normally, the graph's tensors under
``create_graph=True``) and, when the version clock has moved since the node was
recorded, refuses a value changed in place since (``check_versions``: PyTorch's
"modified by an inplace operation" error).
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Callable

from autograd.grad_mode import _state
from autograd.tensor import Tensor, clock

if TYPE_CHECKING:
    from autograd.node import Node

FREED_GRAPH_MESSAGE = (
    "backward: trying to backward through the graph a second time (op '{}'): its saved "
    "values were freed by the first backward(). Pass retain_graph=True to the first "
    "backward() (or ag.grad) if you need to backward through it again."
)


def check_versions(node: Node, tensors, output_saved: bool) -> None:
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


def saved_spec(cls: type) -> tuple:
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


def backward_runner(cls: type) -> Callable:
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
                check_versions(node, (), True)
            if _state.create_graph:
                return backward(node, grad, Tensor._make(node.output, True, node))
            return backward(node, grad, node.output)
        return run
    if len(spec) == 1 and spec[0] >= 0 and not _optional(cls, spec):  # one input: unrolled
        (position,) = spec

        def run(node, grad):
            x = node.inputs[position]
            if node.stamp != clock.now:
                check_versions(node, (x,), False)
            return backward(node, grad, x if _state.create_graph else x.data)
        return run
    if len(spec) == 2 and min(spec) >= 0 and not _optional(cls, spec):
        first, second = spec  # two inputs (mul, matmul, ...): unrolled, it runs once per node

        def run(node, grad):
            a, b = node.inputs[first], node.inputs[second]
            if node.stamp != clock.now:
                check_versions(node, (a, b), False)
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
            check_versions(node, [inputs[i] for i in spec if i >= 0 and inputs[i] is not None],
                           output_saved)
        if _state.create_graph:
            values = [inputs[i] if i >= 0 else Tensor._make(node.output, True, node)
                      for i in spec]
        else:
            values = [(None if inputs[i] is None else inputs[i].data) if i >= 0
                      else node.output for i in spec]
        return backward(node, grad, *values)

    return run


def _optional(cls: type, spec: tuple) -> bool:
    """True if a forward input that backward asks for has a default (may be left out)."""
    parameters = [parameter for parameter in inspect.signature(cls.forward).parameters.values()
                  if parameter.kind is parameter.POSITIONAL_OR_KEYWORD][1:]
    return any(parameters[i].default is not parameter.empty for i in spec if i >= 0
               for parameter in [parameters[i]])
