"""Anomaly detection: find the op whose backward first produced NaN or inf.

While ``detect_anomaly()`` is active, every recorded op remembers the user's
source line that called it, and backward checks each gradient it computes.
When it is off, the only cost is one flag test per op.
"""

from __future__ import annotations

import os
import sys
import threading

import numpy as np

# Folders of library code: a forward is traced to the first frame outside them.
_library_dirs = (os.path.dirname(os.path.abspath(__file__)) + os.sep,)


def register_library(path: str) -> None:
    """Treat code under the folder ``path`` as library code (``nn`` registers itself)."""
    global _library_dirs
    folder = os.path.abspath(path).rstrip(os.sep) + os.sep
    if folder not in _library_dirs:
        _library_dirs = _library_dirs + (folder,)


class _AnomalyState(threading.local):
    enabled = False


_state = _AnomalyState()


def user_frame() -> str:
    """``file:line in function`` of the innermost caller outside this library."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_library_dirs):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    code = frame.f_code
    return f"{code.co_filename}:{frame.f_lineno} in {code.co_name}"


class detect_anomaly:  # noqa: N801 - PyTorch's name
    """Context manager: the first backward op that yields NaN/inf raises ``FloatingPointError``.

    The message names the op, its input shapes and the line of user code that
    ran its forward.
    """

    def __enter__(self) -> None:
        self._previous = _state.enabled
        _state.enabled = True

    def __exit__(self, *exc_info) -> None:
        _state.enabled = self._previous


def check_gradient(node, index: int, grad) -> None:
    """Raise if the gradient ``node`` computed for its input ``index`` is not finite."""
    data = getattr(grad, "data", grad)
    if np.all(np.isfinite(data)):
        return
    kind = "NaN" if np.isnan(data).any() else "inf"
    shapes = ", ".join(str(t.shape) for t in node.inputs)
    raise FloatingPointError(
        f"detect_anomaly: backward of op '{node.name}' produced {kind} in the gradient of "
        f"input {index} (input shapes {shapes}); the op was called at "
        f"{node.trace or '<recorded before detect_anomaly was on>'}"
    )
