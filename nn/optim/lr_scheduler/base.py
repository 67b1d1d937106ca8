"""The scheduler base class: epoch counting, setting each group's ``lr``, state dicts.

A scheduler's ``get_lr()`` gives the learning rates for the epoch ``last_epoch`` has just
reached. As in PyTorch, most schedulers compute them from each group's *current* ``lr``
(``lr <- lr * gamma`` rather than ``lr = initial_lr * gamma ** epoch``), so several schedulers
stepped on one optimizer compose: their factors multiply. The constructor performs the first
step (``last_epoch`` goes from -1 to 0)::

    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(...)      # calls optimizer.step()
        scheduler.step()
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, Callable

from autograd import capturing
from nn.optim.optimizer import Optimizer, to_python


def check_optimizer(owner: str, optimizer: Any) -> Optimizer:
    """``optimizer`` if it is one, else PyTorch's TypeError."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{owner}: {type(optimizer).__name__} is not an Optimizer")
    return optimizer


def per_group(owner: str, optimizer: Optimizer, name: str, value: Any) -> list[Any]:
    """``value`` for every param group: a list or tuple must have one entry per group."""
    groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(f"{owner}: expected {groups} values for {name}, got {len(value)}")
        return list(value)
    return [value] * groups


def _recorded(step: Callable) -> Callable:
    """``step`` as one instruction of a captured training step: every replay steps too."""

    @functools.wraps(step)
    def recorded_step(self, *args: Any, **kwargs: Any) -> None:
        return capturing.call(step, self, *args, **kwargs)

    return recorded_step


class LRScheduler:
    """Base class: subclasses implement ``get_lr()`` (and, where PyTorch has one, the closed
    form ``_closed_form_lr()`` that ``step(epoch)`` and ``SequentialLR`` use).

    ``last_epoch=-1`` starts a fresh schedule and records each group's current ``lr`` as its
    ``initial_lr``; a value >= 0 resumes one, and then every group must already have an
    ``initial_lr`` (as a loaded optimizer state dict has).
    """

    _is_initial = False  # True during the constructor's first step

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _recorded(cls.__dict__["step"])

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        self.optimizer = check_optimizer(type(self).__name__, optimizer)
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"{type(self).__name__}: param 'initial_lr' is not specified in "
                               f"param_groups[{i}] when resuming with last_epoch={last_epoch}; "
                               "load the optimizer's state dict first, or use last_epoch=-1")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """The constructor's step (also ``SequentialLR``'s restart of a scheduler)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The learning rate of each group for the epoch ``last_epoch`` (called by ``step``)."""
        raise NotImplementedError

    def _current_lrs(self) -> list[float]:
        """Each group's ``lr`` as it is now."""
        return [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` set, one per param group."""
        return list(self._last_lr)

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch and set every group's ``lr`` (call it after ``optimizer.step()``).

        ``step(epoch)`` (deprecated in PyTorch too) jumps to ``epoch`` using the closed form
        where the scheduler has one.
        """
        self._step_count += 1
        if epoch is not None:
            warnings.warn("The epoch parameter in scheduler.step() is deprecated (as in "
                          "PyTorch); call step() once per epoch instead", UserWarning,
                          stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed_form = getattr(self, "_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = self._current_lrs()

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer (``base_lrs``, ``last_epoch``, the schedule's
        own arguments); ``load_state_dict`` restores them."""
        return {key: list(value) if isinstance(value, list) else value
                for key, value in vars(self).items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes saved by ``state_dict`` (also after ``nn.save`` / ``nn.load``)."""
        for key, value in state_dict.items():
            setattr(self, key, to_python(value))


LRScheduler.step = _recorded(LRScheduler.step)
