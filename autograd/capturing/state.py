"""Which recorder is active (if any): the one piece of capture that every module may import."""

from __future__ import annotations


class CaptureError(RuntimeError):
    """A step cannot be captured (or replayed) as it is written; the message says why."""


class _State:
    recorder = None  # the Recorder of the step being recorded, if any
    eager_steps = 0  # > 0 while a captured step runs eagerly (recorded, or checked)


state = _State()
