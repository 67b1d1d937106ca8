"""What a recorded instruction refers to: a slot, an argument of the step, or a constant.

A *slot* holds one array of the step: an array argument, a persistent tensor's
data (a parameter, a running statistic: read from the tensor when a replay
starts), or an array an instruction produced. Everything else an instruction
is given is a *constant*: Python numbers, shapes, dtypes, and objects passed as
they are (an optimizer, a parameter Tensor, a ``ctx``), which a replay reads live.
"""

from __future__ import annotations


class Slot:
    """The array in slot ``index``."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __repr__(self) -> str:
        return f"s{self.index}"


class Arg:
    """The step's argument number ``index`` (a Tensor or an array), itself."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __repr__(self) -> str:
        return f"o{self.index}"


class TensorOf:
    """A new Tensor around the array in slot ``index`` (a tensor the step computed, handed
    as a Tensor to code that works on arrays)."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __repr__(self) -> str:
        return f"Tensor(s{self.index})"


class Const:
    """A value fixed at recording time (an object is passed as it is, and read live)."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Const({type(self.value).__name__})"


class Instruction:
    """``out = fn(*args, **kwargs)`` on refs.

    ``out`` is None (the result is not used: in place, or side effects only), a
    slot index, or a tuple of slot indices and Nones (a backward's gradients,
    ``None`` where one is not used or is an array that already has a slot).
    ``as_array`` wraps a result that NumPy may return as a scalar in ``np.asarray``.
    ``kind``: "forward" or "backward" (an op's), "engine" (a step of the backward pass:
    these keep no reference to their arrays) or "call" (library code, which may).
    """

    __slots__ = ("fn", "args", "kwargs", "out", "as_array", "label", "kind")

    def __init__(self, fn, args: list, kwargs: dict, out, as_array: bool, label: str,
                 kind: str) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.out = out
        self.as_array = as_array
        self.label = label
        self.kind = kind

    def refs(self):
        """Every ref among the arguments, nested ones included."""
        stack = list(self.args) + list(self.kwargs.values())
        while stack:
            item = stack.pop()
            if isinstance(item, (tuple, list)):
                stack.extend(item)
            elif isinstance(item, dict):
                stack.extend(item.values())
            else:
                yield item

    def slots_read(self) -> set:
        return {ref.index for ref in self.refs() if isinstance(ref, (Slot, TensorOf))}

    def slots_written(self) -> list:
        if self.out is None:
            return []
        if isinstance(self.out, tuple):
            return [index for index in self.out if index is not None]
        return [self.out]
