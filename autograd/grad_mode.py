"""Grad mode: whether operations are recorded for backward.

The flag is thread-local, as in PyTorch: ``no_grad()`` in one thread does not
switch off recording in another.
"""

from __future__ import annotations

import functools
import threading


class _GradState(threading.local):
    enabled = True
    create_graph = False  # True while a backward pass is being recorded


_state = _GradState()


def is_grad_enabled() -> bool:
    """Return True if operations are currently recorded for backward."""
    return _state.enabled


class _GradModeContext:
    """Sets grad mode on ``__enter__`` and restores it on ``__exit__``; also a decorator."""

    _mode = True

    def __enter__(self) -> None:
        self._previous = _state.enabled
        _state.enabled = self._mode

    def __exit__(self, *exc_info) -> None:
        _state.enabled = self._previous

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return func(*args, **kwargs)

        return wrapper


class _BareDecoratorContext(_GradModeContext):
    """A mode that takes no argument, so it also decorates bare: ``@no_grad`` as ``@no_grad()``."""

    def __new__(cls, func=None):
        if func is None:
            return super().__new__(cls)
        if not callable(func):
            raise TypeError(f"{cls.__name__}() takes no arguments (or, as a bare decorator, "
                            f"a function), got {func!r}")
        return cls()(func)


class no_grad(_BareDecoratorContext):  # noqa: N801 - PyTorch's name
    """Context manager / decorator that disables graph recording.

    >>> with ag.no_grad():
    ...     y = x * 2          # y.requires_grad is False
    >>> @ag.no_grad            # or @ag.no_grad(), as in PyTorch
    ... def evaluate(x): ...
    """

    _mode = False


class enable_grad(_BareDecoratorContext):  # noqa: N801 - PyTorch's name
    """Context manager / decorator (``@enable_grad`` or ``@enable_grad()``) that enables
    graph recording (e.g. inside ``no_grad``)."""

    _mode = True


class set_grad_enabled(_GradModeContext):  # noqa: N801 - PyTorch's name
    """Set grad mode to ``mode``: now as a call, for a block as a context manager.

    As in PyTorch, calling it sets the mode immediately (``ag.set_grad_enabled(False)``
    switches recording off until it is switched on again); used in a ``with`` block it
    restores the mode it found when it was created; used as a decorator it leaves the
    current mode alone and sets ``mode`` for each call of the function.

    >>> ag.set_grad_enabled(False)      # from here on nothing is recorded
    >>> with ag.set_grad_enabled(True):
    ...     y = x * 2                   # recorded
    """

    def __init__(self, mode: bool) -> None:
        self._previous = _state.enabled
        self._mode = bool(mode)
        _state.enabled = self._mode

    def __enter__(self) -> None:
        _state.enabled = self._mode

    def __exit__(self, *exc_info) -> None:
        _state.enabled = self._previous

    def __call__(self, func):
        _state.enabled = self._previous  # decorating a function changes no mode now
        mode = self._mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper
