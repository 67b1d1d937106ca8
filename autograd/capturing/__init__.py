"""Capture: record a training step once, replay it without the Python graph (``ag.capture``).

``capture(step)`` is the public entry. Library code that works on arrays outside
ops uses the two helpers below, so that a replay does that work too:

- ``call(fn, *args, **kwargs)``: run ``fn`` now; while a step is recorded, also
  record it, so every replay calls it again. Array arguments are the arrays of
  the replay (an array the step computed is the one computed in that replay);
  every other argument is passed as it is (a persistent Tensor is read live).
- ``guard(obj, *names)``: the recording is valid only while these attributes of
  ``obj`` keep their values (a module's ``training``); otherwise the step is
  recorded again.
- ``fixed_shape(what, fn, *args)``: ``call`` for work whose result's shape depends on
  the values (``nonzero``, a boolean mask's selection); a replay whose shape differs
  from the recorded one is refused with a CaptureError instead of computing with
  buffers and shapes of the recorded call.
"""

from __future__ import annotations

import threading

from autograd.capturing.state import CaptureError, state

__all__ = ["capture", "Captured", "CaptureError", "call", "fixed_shape", "guard", "inside_step",
           "recording"]


def __getattr__(name: str):
    if name in ("capture", "Captured"):  # loaded on first use: the ops import this package
        from autograd.capturing import captured

        return getattr(captured, name)
    raise AttributeError(f"module 'autograd.capturing' has no attribute {name!r}")


def recording() -> bool:
    """True while a step is being recorded in this thread (outside any recorded instruction)."""
    recorder = state.recorder
    return recorder is not None and recorder.depth == 0 and \
        recorder.thread == threading.get_ident()


def inside_step() -> bool:
    """True while a captured step runs eagerly (recorded, or the check of its recording):
    library code that returns a Python number elsewhere returns a tensor there."""
    return state.eager_steps > 0


def call(fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, recorded as one instruction while a step is recorded."""
    recorder = state.recorder
    if recorder is None or recorder.depth or recorder.thread != threading.get_ident():
        return fn(*args, **kwargs)
    return recorder.call(fn, args, kwargs)


def guard(obj, *names: str) -> None:
    """While a step is recorded: its recording holds only while ``obj``'s ``names`` keep their
    current values."""
    if recording():
        state.recorder.guard(obj, names)


def fixed_shape(what: str, fn, *args, measure=None):
    """``call(fn, *args)`` for a result whose shape depends on the values of ``args``: each
    replay checks that ``measure(result)`` (default: the shapes of the result's arrays) is
    the recorded call's, and raises CaptureError otherwise."""
    if not recording():
        return fn(*args)
    return call(_SameShape(what, fn, measure), *args)


class _SameShape:
    """``fn``, refusing a result whose measure differs from the first (recorded) one."""

    def __init__(self, what: str, fn, measure) -> None:
        self.what, self.fn, self.measure, self.recorded = what, fn, measure, None
        self.__qualname__ = getattr(fn, "__qualname__", what)

    def __call__(self, *args):
        result = self.fn(*args)
        measured = self.measure(result) if self.measure else _shapes(result)
        if self.recorded is None:
            self.recorded = measured
        elif measured != self.recorded:
            raise CaptureError(
                f"capture: {self.what} gives {measured} in this call and gave {self.recorded} "
                "in the recorded one: its shape depends on the data, which a recorded step "
                "cannot follow (it would replay the recorded shapes). Keep shapes fixed "
                "(ag.where(mask, x, 0), x * mask, masked_fill instead of selecting), or call "
                "the step without ag.capture")
        return result


def _shapes(result):
    if isinstance(result, tuple):
        return tuple(getattr(item, "shape", None) for item in result)
    return getattr(result, "shape", None)
