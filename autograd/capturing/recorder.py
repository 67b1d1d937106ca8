"""The recorder: while a captured step runs eagerly for the first time, every array
computation it performs becomes an instruction on slots.

Three kinds of computations are recorded, each as one instruction that a replay
calls again with the arrays of the new call:

- an op's ``forward`` (``Op.apply`` hands over to :meth:`Recorder.apply`), with a
  context object of its own that the op's ``backward`` gets later;
- the engine's backward pass (``autograd/capturing/backward.py``): each op's
  ``backward``, the reductions over broadcast dimensions, casts and sums;
- library code that works on arrays outside ops, through :func:`call`
  (labels checks, a dropout mask, running statistics, an optimizer update).

An instruction runs atomically: ops it calls internally are not recorded again.
Arrays are told apart by identity (every array of the recording is kept alive
until it ends, so no identity is reused).
"""

from __future__ import annotations

import threading

import numpy as np

from autograd import engine, function
from autograd.capturing.refs import Arg, Const, Instruction, Slot, TensorOf
from autograd.capturing.state import CaptureError, state
from autograd.tensor import Tensor


class ReplayContext:
    """The ``ctx`` of one recorded op in replays: ``needs_input_grad`` plus the constants
    its ``forward`` stores (``ctx.mask = ...``), which its ``backward`` reads. A replay
    clears the constants after the backward (``holds_arrays``: the op stores arrays), as
    the engine frees a node's."""

    __slots__ = ("needs_input_grad", "holds_arrays", "__dict__")

    def __init__(self, needs_input_grad: tuple, holds_arrays: bool = False) -> None:
        self.needs_input_grad = needs_input_grad
        self.holds_arrays = holds_arrays

    def save_for_backward(self, *values) -> None:
        pass


class Recorder:
    """Collects the instructions and slots of one recording."""

    def __init__(self) -> None:
        self.instructions: list[Instruction] = []
        self.slot_of: dict[int, int] = {}  # id(array) -> slot
        self.arrays: list[np.ndarray] = []  # slot -> the array at recording time
        self.kinds: list[str] = []  # slot -> "input", "external" or "made"
        self.externals: list[tuple[int, Tensor]] = []  # (slot, persistent tensor)
        self.inputs: list[tuple[int, int]] = []  # (argument index, slot)
        self.arg_of: dict[int, int] = {}  # id(argument object) -> argument index
        self.argument_kinds: dict[int, str] = {}  # argument index -> "tensor" or "array"
        self.contexts: dict = {}  # Node -> (ReplayContext, input refs, output slot)
        self.guards: list[tuple] = []  # (object, attribute name, value)
        self.kept: list = []  # everything whose identity the recording relies on
        self.thread = threading.get_ident()
        self.depth = 0  # > 0 inside an instruction: nothing is recorded there

    # ----------------------------------------------------------------- activation
    def start(self) -> None:
        state.recorder = self
        function.capture_hook = self.apply
        engine.capture_hook = self.backward

    def stop(self) -> None:
        state.recorder = None
        function.capture_hook = None
        engine.capture_hook = None

    def check_thread(self) -> None:
        if threading.get_ident() != self.thread:
            raise CaptureError(
                "capture: an operation ran in another thread while a captured step was being "
                "recorded; record steps while no other thread computes with tensors")

    def run_atomic(self, fn, args, kwargs):
        """Run ``fn`` with recording suspended (its own array work is the instruction)."""
        self.depth += 1
        function.capture_hook = None
        engine.capture_hook = None
        try:
            return fn(*args, **kwargs)
        finally:
            self.depth -= 1
            if self.depth == 0:
                function.capture_hook = self.apply
                engine.capture_hook = self.backward

    # ----------------------------------------------------------------- slots and refs
    def add_argument(self, index: int, obj) -> None:
        """Register the step's argument ``index`` (a Tensor or an ndarray)."""
        self.arg_of[id(obj)] = index
        self.kept.append(obj)
        is_tensor = isinstance(obj, Tensor)
        self.argument_kinds[index] = "tensor" if is_tensor else "array"
        array = obj.data if is_tensor else obj
        if id(array) not in self.slot_of:
            self.inputs.append((index, self._new_slot(array, "input")))

    def _new_slot(self, array: np.ndarray, kind: str) -> int:
        index = len(self.arrays)
        self.slot_of[id(array)] = index
        self.arrays.append(array)
        self.kinds.append(kind)
        return index

    def tensor_ref(self, tensor: Tensor):
        """The ref of a tensor given to an op: its data's slot, read live if it is new."""
        data = tensor.data
        slot = self.slot_of.get(id(data))
        if slot is None:
            slot = self._new_slot(data, "external")
            self.externals.append((slot, tensor))
            self.kept.append(tensor)
        return Slot(slot)

    def value_ref(self, value):
        """The ref of a plain argument: arrays by slot, containers item by item, else constant."""
        if isinstance(value, np.ndarray):
            slot = self.slot_of.get(id(value))
            if slot is not None:
                return Slot(slot)
            self.kept.append(value)
            return Const(value)
        if isinstance(value, (tuple, list)) and value:
            refs = [self.value_ref(item) for item in value]
            if all(isinstance(ref, Const) for ref in refs):
                return Const(value)
            return tuple(refs) if isinstance(value, tuple) else refs
        if isinstance(value, Tensor):
            return self._object_ref(value)
        if isinstance(value, dict) and value:
            refs = {key: self.value_ref(item) for key, item in value.items()}
            if all(isinstance(ref, Const) for ref in refs.values()):
                return Const(value)
            return refs
        return Const(value)

    def _object_ref(self, tensor: Tensor):
        index = self.arg_of.get(id(tensor))
        if index is not None:
            return Arg(index)
        slot = self.slot_of.get(id(tensor.data))
        if slot is not None and self.kinds[slot] != "external":
            return TensorOf(slot)  # computed in the step: each replay has its own
        self.kept.append(tensor)
        return Const(tensor)

    def _result_out(self, result):
        """Register the arrays of a result; the ``out`` spec of its instruction."""
        if isinstance(result, np.ndarray):
            if id(result) in self.slot_of:
                return None
            return self._new_slot(result, "made")
        if isinstance(result, tuple):
            spec = []
            for item in result:
                if isinstance(item, np.ndarray) and id(item) not in self.slot_of:
                    spec.append(self._new_slot(item, "made"))
                else:
                    spec.append(None)
            return tuple(spec)
        return None

    def emit(self, fn, args: list, kwargs: dict, result, as_array: bool, label: str,
             kind: str) -> None:
        self.kept.append(result)
        out = self._result_out(result)
        self.instructions.append(Instruction(fn, args, kwargs, out, as_array, label, kind))

    # ----------------------------------------------------------------- the three hooks
    def apply(self, cls, inputs: tuple, params: dict) -> Tensor:
        """``Op.apply`` while recording: run it as usual, then record its forward."""
        self.check_thread()
        result = self.run_atomic(cls.apply, inputs, params)
        refs = [self.tensor_ref(tensor) for tensor in inputs]
        kwargs = {key: self.value_ref(value) for key, value in params.items()}
        node = result.grad_fn
        if node is None:
            ctx = ReplayContext(())
        else:
            ctx = ReplayContext(node.needs_input_grad, any(
                isinstance(value, np.ndarray) for value in node.__dict__.values()))
        self.emit(cls.forward, [Const(ctx)] + refs, kwargs, result.data,
                  result.data.ndim == 0, f"{cls.name} forward", "forward")
        if node is not None:
            self.contexts[node] = (ctx, refs, self.slot_of[id(result.data)])
        return result

    def call(self, fn, args: tuple, kwargs: dict, kind: str = "call"):
        """Run ``fn(*args, **kwargs)`` now and record it (see :func:`autograd.capturing.call`)."""
        result = self.run_atomic(fn, args, kwargs)
        if isinstance(result, np.generic):
            result = np.asarray(result)
        refs = [self.value_ref(value) for value in args]
        kwrefs = {key: self.value_ref(value) for key, value in kwargs.items()}
        label = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", repr(fn))
        self.emit(fn, refs, kwrefs, result, isinstance(result, np.ndarray) and result.ndim == 0,
                  label, kind)
        return result

    def backward(self, roots, root_grads, retain_graph, create_graph, capture=None, tracer=None):
        """The engine's backward pass while recording (``engine._run`` hands over to it)."""
        from autograd.capturing.backward import record_backward

        self.check_thread()
        return record_backward(self, roots, root_grads, retain_graph, create_graph, capture,
                               tracer)

    def guard(self, obj, names: tuple) -> None:
        for name in names:
            self.guards.append((obj, name, getattr(obj, name)))
