"""``ag.capture(step)``: record a training step once, replay it without the Python graph."""

from __future__ import annotations

import functools
from collections import OrderedDict

import numpy as np

from autograd.capturing.program import Program, template
from autograd.capturing.recorder import Recorder
from autograd.capturing.state import CaptureError, state
from autograd.capturing.verify import State, compare
from autograd.grad_mode import _state as _grad_state
from autograd.tensor import Tensor

# Tensor methods that turn values into Python values: refused while a step is recorded.
_VALUE_READS = ("item", "tolist", "numpy", "__bool__", "__float__", "__int__", "__index__")

REFUSED_MESSAGE = (
    "capture: the step reads a tensor's value ({what}) while it is being recorded. A captured "
    "step replays the same array operations on every call, so a Python value computed from "
    "the data (a number, or an `if` on a tensor) would be frozen at its value in the recorded "
    "call. Return the tensor from the step and read it after the call (loss = step(x, y); "
    "loss.item()), compute with tensor operations instead (ag.where rather than `if`), or "
    "call the step without ag.capture."
)


def _refusing(name: str, original):
    what = {"__bool__": "bool() or an `if` on a tensor", "__float__": "float()",
            "__int__": "int()", "__index__": "use as an index"}.get(name, f"{name}()")

    @functools.wraps(original)
    def method(self, *args, **kwargs):
        recorder = state.recorder
        if recorder is not None and recorder.depth == 0:
            raise CaptureError(REFUSED_MESSAGE.format(what=what))
        return original(self, *args, **kwargs)

    return method


class _Recording:
    """Start ``recorder`` and refuse value reads for the duration of a ``with`` block."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def __enter__(self) -> None:
        self.originals = {name: Tensor.__dict__[name] for name in _VALUE_READS}
        for name, original in self.originals.items():
            setattr(Tensor, name, _refusing(name, original))
        self.recorder.start()

    def __exit__(self, *exc_info) -> None:
        self.recorder.stop()
        for name, original in self.originals.items():
            setattr(Tensor, name, original)


def _signature(value, arrays: list):
    """A hashable key of ``value``'s structure, shapes and dtypes; its arrays go to ``arrays``."""
    if isinstance(value, Tensor):
        arrays.append(value)
        data = value.data
        return ("T", data.shape, data.dtype.str, value.requires_grad, data.flags.c_contiguous)
    if isinstance(value, np.ndarray):
        arrays.append(value)
        return ("A", value.shape, value.dtype.str, value.flags.c_contiguous)
    if isinstance(value, (tuple, list)):
        return (type(value).__name__,) + tuple(_signature(item, arrays) for item in value)
    if isinstance(value, dict):
        return ("dict",) + tuple((key, _signature(item, arrays)) for key, item in value.items())
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return ("value", type(value), value)


def _aliases(arrays: list):
    """Which arguments share an array (``step(x, x)``): a recording made with two arguments
    that are one array reads one slot for both, so another pattern records again."""
    seen: dict = {}
    pattern = None
    for index, value in enumerate(arrays):
        data = value.data if isinstance(value, Tensor) else value
        first = seen.setdefault(id(data), index)
        if first != index:
            pattern = (pattern or ()) + ((index, first),)
    return pattern


class Captured:
    """A step function with its recordings (see :func:`capture`)."""

    def __init__(self, step, max_recordings: int = 8) -> None:
        if not callable(step):
            raise TypeError(f"capture: expected a function, got {type(step).__name__}")
        if max_recordings < 1:
            raise ValueError(f"capture: max_recordings must be >= 1, got {max_recordings}")
        functools.update_wrapper(self, step)
        self.step = step
        self.max_recordings = max_recordings
        # signature -> the recordings for it, each valid while its guards hold (a module's
        # ``training``); the most recently used signature last
        self.programs: OrderedDict = OrderedDict()
        self.recordings = 0  # how many times a step was recorded (for tests and curiosity)

    def __call__(self, *args, **kwargs):
        if state.recorder is not None:  # inside another step being recorded: part of it
            return self.step(*args, **kwargs)
        arrays: list = []
        key = (_signature((args, kwargs), arrays), _grad_state.enabled, _aliases(arrays))
        programs = self.programs.get(key, [])
        program = next((p for p in programs if p.guards_hold()), None)
        if program is None:
            return self._record(key, args, kwargs, arrays)
        self.programs.move_to_end(key)
        if not program.verified:
            return self._verify(program, args, kwargs, arrays)
        return program(arrays)

    def _eager(self, args, kwargs):
        state.eager_steps += 1
        try:
            return self.step(*args, **kwargs)
        finally:
            state.eager_steps -= 1

    def _record(self, key, args, kwargs, arrays: list):
        recorder = Recorder()
        for index, obj in enumerate(arrays):
            recorder.add_argument(index, obj)
        with _Recording(recorder):
            result = self._eager(args, kwargs)
        self.recordings += 1
        program = Program(recorder, len(arrays), template(recorder, result))
        program.verified = False
        programs = self.programs.setdefault(key, [])
        programs.insert(0, program)
        del programs[self.max_recordings:]
        self.programs.move_to_end(key)
        while sum(len(p) for p in self.programs.values()) > self.max_recordings:
            oldest = next(iter(self.programs))
            self.programs[oldest].pop()
            if not self.programs[oldest]:
                del self.programs[oldest]
        return result

    def _verify(self, program: Program, args, kwargs, arrays: list):
        touched = State(program)
        before = touched.save()
        try:
            replayed = touched.outcome(program(arrays), keep=True)
        except Exception as error:  # an error eager execution raises too propagates from it
            touched.restore(before)
            self._eager(args, kwargs)
            raise CaptureError(f"capture: replaying the recorded step failed ({error!r}) where "
                               "eager execution did not; call the step without ag.capture"
                               ) from error
        touched.restore(before)
        result = self._eager(args, kwargs)
        compare(replayed, touched.outcome(result, keep=False))
        program.verified = True
        return result


def capture(step=None, *, max_recordings: int = 8):
    """Record ``step`` once per input signature and replay it without the Python graph.

    ``step`` is a function of tensors and arrays (and other values) that computes a
    loss, calls ``backward()`` and updates parameters (``optimizer.step()``). The
    first call for a given set of input shapes and dtypes (and values of the other
    arguments) runs it eagerly and records every array computation: forward,
    backward and the optimizer update. The second call checks the recording: it
    replays it, restores the state, runs ``step`` eagerly and compares (bitwise);
    later calls only replay it, with no Tensor, Node or grad-mode bookkeeping.
    Results are exactly those of eager execution. New shapes (the last, smaller
    batch of an epoch) record again; the ``max_recordings`` most recent are kept.

    Reading a value inside ``step`` (``item()``, ``float()``, ``numpy()``, an ``if``
    on a tensor) is refused while recording: return the tensor and read it after
    the call. Tensors returned by a replay hold their values but no graph.
    Usable as a decorator: ``@ag.capture`` or ``@ag.capture(max_recordings=2)``.
    """
    if step is None:
        return functools.partial(capture, max_recordings=max_recordings)
    return Captured(step, max_recordings)
