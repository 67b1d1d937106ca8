"""A recording turned into one straight-line Python function.

Every slot becomes a local variable and every instruction one line::

    def replay(o0, o1):
        s0 = o0.data
        s2 = e2.data                     # a parameter, read when the replay starts
        s3 = f0(c0, s0, s2, s4)          # linear forward
        ...

so a replay costs the array operations and little else: no Tensor or Node
objects, no grad-mode checks, no heap, no shape arithmetic. A slot is deleted
after its last use, so memory is given back as early as in eager execution.
"""

from __future__ import annotations

import numpy as np

from autograd.capturing import backward, kernels
from autograd.capturing.recorder import Recorder
from autograd.capturing.refs import Arg, Const, Slot, TensorOf
from autograd.tensor import Tensor


class _Names:
    """Global names of the generated function for functions and constants."""

    def __init__(self) -> None:
        self.namespace: dict = {"np": np}
        self.ids: dict = {}

    def add(self, prefix: str, value) -> str:
        key = (prefix, id(value))
        name = self.ids.get(key)
        if name is None:
            name = self.ids[key] = f"{prefix}{len(self.ids)}"
            self.namespace[name] = value
        return name


def _expression(ref, names: _Names) -> str:
    if isinstance(ref, Slot):
        return f"s{ref.index}"
    if isinstance(ref, Arg):
        return f"o{ref.index}"
    if isinstance(ref, TensorOf):
        return f"{names.add('t', Tensor._make)}(s{ref.index})"
    if isinstance(ref, Const):
        value = ref.value
        if value is None or isinstance(value, (bool, int, float, str)):
            return repr(value) if not isinstance(value, float) or np.isfinite(value) \
                else names.add("c", value)
        return names.add("c", value)
    if isinstance(ref, tuple):
        inner = ", ".join(_expression(item, names) for item in ref)
        return f"({inner}{',' if len(ref) == 1 else ''})"
    if isinstance(ref, list):
        return "[" + ", ".join(_expression(item, names) for item in ref) + "]"
    if isinstance(ref, dict):
        names_ = {key: names.add("k", key) for key in ref}
        items = ", ".join(f"{names_[key]}: {_expression(item, names)}" for key, item in ref.items())
        return "{" + items + "}"
    raise TypeError(f"capture: cannot express {ref!r}")


def _target(out) -> str | None:
    if out is None:
        return None
    if isinstance(out, tuple):
        if all(index is None for index in out):
            return None
        parts = ["_" if index is None else f"s{index}" for index in out]
        return ", ".join(parts) + ("," if len(parts) == 1 else "")
    return f"s{out}"


class Program:
    """The replay function of one recording and what it needs to run and return."""

    def __init__(self, rec: Recorder, arg_count: int, returned) -> None:
        self.arg_count = arg_count
        self.returned = returned  # the step's return value as a template of refs
        self.externals = list(rec.externals)
        self.guards = list(rec.guards)
        # a backward that only routes its gradient on (add's, broadcast_to's) makes no array
        self.instructions = [instruction for instruction in rec.instructions
                             if instruction.kind != "backward" or instruction.slots_written()]
        self.requires_grad = [(tensor, tensor.requires_grad) for _, tensor in self.externals]
        self.source, namespace = self._generate(rec)
        exec(compile(self.source, "<ag.capture replay>", "exec"), namespace)  # noqa: S102
        self.run = namespace["replay"]

    def _generate(self, rec: Recorder) -> tuple[str, dict]:
        names = _Names()
        returned_slots = sorted({ref.index for ref in _template_refs(self.returned)
                                 if isinstance(ref, Slot)})
        last_use = {}
        for position, instruction in enumerate(self.instructions):
            for index in instruction.slots_read():
                last_use[index] = position
        args = ", ".join(f"o{i}" for i in range(self.arg_count))
        lines = [f"def replay({args}):"]
        for index, slot in rec.inputs:
            is_tensor = rec.argument_kinds[index] == "tensor"
            lines.append(f"    s{slot} = o{index}.data" if is_tensor else f"    s{slot} = o{index}")
        for slot, tensor in self.externals:
            lines.append(f"    s{slot} = {names.add('e', tensor)}.data")
        keep = set(returned_slots)
        escaping = _escaping(rec, self.instructions, returned_slots)
        self.buffered = 0
        for position, instruction in enumerate(self.instructions):
            statements = _buffered(instruction, rec, escaping, names)
            if statements is None:
                call, target = _call(instruction, names), _target(instruction.out)
                statements = [call if target is None else f"{target} = {call}"]
            else:
                self.buffered += 1
            lines.append(f"    # {instruction.label}")
            lines += [f"    {statement}" for statement in statements]
            dead = sorted(index for index in instruction.slots_read()
                          if last_use[index] == position and index not in keep)
            written = [index for index in instruction.slots_written()
                       if index not in last_use and index not in keep]
            if dead or written:
                lines.append("    del " + ", ".join(f"s{index}" for index in dead + written))
        lines.append("    return (" + "".join(f"s{index}, " for index in returned_slots) + ")")
        self.returned_slots = returned_slots
        return "\n".join(lines) + "\n", names.namespace

    def __call__(self, args: list):
        values = dict(zip(self.returned_slots, self.run(*args)))
        return _build(self.returned, values, args)

    def guards_hold(self) -> bool:
        """False if something the recording depends on has changed (a module's ``training``)."""
        for obj, name, value in self.guards:
            if getattr(obj, name) != value:
                return False
        for tensor, requires_grad in self.requires_grad:
            if tensor.requires_grad != requires_grad:
                return False
        return True


# The engine's own steps, written out in the generated code (no Python call around them).
_INLINE = {
    backward.reduce_to: lambda grad, axes: f"{grad}.sum(axis={axes}, keepdims=True)",
    backward.reduce_and_reshape: lambda grad, axes, shape: (
        f"{grad}.sum(axis={axes}, keepdims=True).reshape({shape})"),
    backward.sum_new: lambda current, grad: f"np.asarray({current} + {grad})",
    backward.add_into: lambda current, grad: f"np.add({current}, {grad}, out={current})",
    backward.cast: lambda grad, dtype: f"{grad}.astype({dtype})",
    backward.copy: lambda grad: f"{grad}.copy()",
}


def _escaping(rec: Recorder, instructions: list, returned: list) -> set:
    """Slots whose arrays may outlive a replay (so a buffer must not hold them): the returned
    ones and those given to library code (a leaf's ``.grad``, an optimizer), and the slots
    that these are views of."""
    escaping = set(returned)
    for instruction in instructions:
        if instruction.kind == "call":
            escaping |= instruction.slots_read()
    for slot in list(escaping):
        base = rec.arrays[slot].base
        owner = rec.slot_of.get(id(base)) if isinstance(base, np.ndarray) else None
        if owner is not None:
            escaping.add(owner)
    return escaping


def _recorded(ref, rec: Recorder):
    return rec.arrays[ref.index] if isinstance(ref, Slot) else getattr(ref, "value", None)


def _buffered(instruction, rec: Recorder, escaping: set, names: _Names) -> list | None:
    """The instruction through its kernel of ``kernels.py``, its results written into buffers
    allocated now (statements of the replay); None where it has no kernel or no result may
    live in a buffer."""
    kernel = kernels.KERNELS.get(instruction.fn)
    if kernel is None or instruction.as_array or instruction.out is None:
        return None
    applies = kernels.APPLIES.get(instruction.fn)
    if applies is not None and not applies(*[_recorded(ref, rec) for ref in instruction.args[1:]]):
        return None
    outs = instruction.out if isinstance(instruction.out, tuple) else (instruction.out,)
    buffers = tuple(None if slot is None or slot in escaping or rec.arrays[slot].ndim == 0
                    else np.empty_like(rec.arrays[slot]) for slot in outs)
    if all(buffer is None for buffer in buffers):
        return None
    inline = kernels.INLINE.get(instruction.fn)
    if inline is not None and not instruction.kwargs:
        ctx = instruction.args[0].value if instruction.kind in ("forward", "backward") else None
        args = [_expression(ref, names) for ref in instruction.args[ctx is not None:]]
        targets = [None if slot is None else f"s{slot}" for slot in outs]
        out_names = [repr(None) if b is None else names.add("b", b) for b in buffers]
        return inline(targets, out_names, args, ctx)
    out = buffers if isinstance(instruction.out, tuple) else buffers[0]
    parts = [names.add("b", out)] + [_expression(ref, names) for ref in instruction.args]
    parts += [f"{key}={_expression(ref, names)}" for key, ref in instruction.kwargs.items()]
    call = f"{names.add('k', kernel)}({', '.join(parts)})"
    target = _target(instruction.out)
    return [call if target is None else f"{target} = {call}"]


def _call(instruction, names: _Names) -> str:
    parts = [_expression(ref, names) for ref in instruction.args]
    inline = _INLINE.get(instruction.fn)
    if inline is not None and not instruction.kwargs:
        return inline(*parts)
    function = names.add("f", instruction.fn)
    parts += [f"{key}={_expression(ref, names)}" for key, ref in instruction.kwargs.items()]
    call = f"{function}({', '.join(parts)})"
    return f"np.asarray({call})" if instruction.as_array else call


# ------------------------------------------------------------------ the returned value


def template(rec: Recorder, value):
    """The step's return value with every tensor and array replaced by a ref."""
    if isinstance(value, Tensor):
        index = rec.arg_of.get(id(value))
        if index is not None:
            return ("arg", index)
        slot = rec.slot_of.get(id(value.data))
        if slot is not None and rec.kinds[slot] != "external":
            return ("tensor", Slot(slot))
        return ("object", value)
    if isinstance(value, np.ndarray):
        slot = rec.slot_of.get(id(value))
        return ("array", Slot(slot)) if slot is not None else ("object", value)
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, [template(rec, item) for item in value])
    if isinstance(value, dict):
        return ("dict", {key: template(rec, item) for key, item in value.items()})
    return ("object", value)


def _template_refs(node):
    kind, content = node
    if kind in ("tensor", "array"):
        yield content
    elif kind in ("tuple", "list"):
        for item in content:
            yield from _template_refs(item)
    elif kind == "dict":
        for item in content.values():
            yield from _template_refs(item)


def _build(node, values: dict, args: list):
    kind, content = node
    if kind == "tensor":
        return Tensor._make(values[content.index])
    if kind == "array":
        return values[content.index]
    if kind == "arg":
        return args[content]
    if kind == "tuple":
        return tuple(_build(item, values, args) for item in content)
    if kind == "list":
        return [_build(item, values, args) for item in content]
    if kind == "dict":
        return {key: _build(item, values, args) for key, item in content.items()}
    return content
