"""Learning-rate schedules, stepped once per epoch: StepLR, ExponentialLR, CosineAnnealingLR.

Each scheduler sets ``group["lr"]`` from a closed form in the group's ``initial_lr`` and the
epoch counter ``last_epoch``, as PyTorch documents them. The constructor performs the first
step (``last_epoch`` goes from -1 to 0, ``lr`` = ``initial_lr``)::

    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(...)      # calls optimizer.step()
        scheduler.step()
"""

from __future__ import annotations

import math
from typing import Any

from nn.optim.optimizer import Optimizer, to_python


class LRScheduler:
    """Base class: subclasses give the learning rate of a group as ``_lr_at(base_lr, epoch)``.

    ``last_epoch=-1`` starts a fresh schedule and records each group's current ``lr`` as its
    ``initial_lr``; a value >= 0 resumes one, and then every group must already have an
    ``initial_lr`` (as a loaded optimizer state dict has).
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"{type(self).__name__}: expected an Optimizer, "
                             f"got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise ValueError(f"{type(self).__name__}: param_groups[{i}] has no 'initial_lr' "
                                 f"to resume from with last_epoch={last_epoch}; load the "
                                 "optimizer's state dict first, or use last_epoch=-1")
        self.base_lrs = [float(group["initial_lr"]) for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def _lr_at(self, base_lr: float, epoch: int) -> float:
        raise NotImplementedError

    def get_lr(self) -> list[float]:
        """The learning rate of each group at epoch ``last_epoch``."""
        return [self._lr_at(base_lr, self.last_epoch) for base_lr in self.base_lrs]

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` set, one per param group."""
        return list(self._last_lr)

    def step(self) -> None:
        """Advance one epoch and set every group's ``lr``."""
        self.last_epoch += 1
        lrs = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = lrs

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer (``base_lrs``, ``last_epoch``, the schedule's
        own arguments)."""
        return {key: list(value) if isinstance(value, list) else value
                for key, value in vars(self).items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore attributes saved by ``state_dict`` (also after ``nn.save`` / ``nn.load``)."""
        for key, value in state_dict.items():
            setattr(self, key, to_python(value))


class StepLR(LRScheduler):
    """Decay the learning rate by ``gamma`` every ``step_size`` epochs:
    ``lr = initial_lr * gamma ** (last_epoch // step_size)``."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        if not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive integer, got {step_size!r}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def _lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """Decay the learning rate by ``gamma`` every epoch: ``lr = initial_lr * gamma ** last_epoch``.
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def _lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from ``initial_lr`` down to ``eta_min`` over ``T_max`` epochs (SGDR
    without restarts): ``lr = eta_min + (initial_lr - eta_min) * (1 + cos(pi * last_epoch /
    T_max)) / 2``. Past ``T_max`` the cosine goes on, climbing back up."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        if not T_max > 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be > 0, got {T_max!r}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def _lr_at(self, base_lr: float, epoch: int) -> float:
        cosine = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (base_lr - self.eta_min) * cosine
