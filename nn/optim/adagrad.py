"""Adagrad: per-coordinate learning rates scaled by the accumulated squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd import Tensor
from nn.optim.optimizer import Optimizer


class Adagrad(Optimizer):
    r"""Adagrad, PyTorch's ``torch.optim.Adagrad`` algorithm (Duchi, Hazan & Singer 2011).

    For each step t = 1, 2, ... and each parameter theta with gradient g
    (``sum`` starts at ``initial_accumulator_value``)::

        g <- -g                                   if maximize
        lr~ <- lr / (1 + (t - 1) * lr_decay)
        g <- g + weight_decay * theta             if weight_decay != 0
        sum <- sum + g**2
        theta <- theta - lr~ * g / (sqrt(sum) + eps)

    State per parameter: ``step`` (t) and ``sum``.
    """

    _non_negative = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-2,
                 lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, *,
                 maximize: bool = False) -> None:
        defaults = {"lr": lr, "lr_decay": lr_decay, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "eps": eps,
                    "maximize": maximize}
        super().__init__(params, defaults)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        lr, lr_decay, eps = float(group["lr"]), float(group["lr_decay"]), float(group["eps"])
        weight_decay = float(group["weight_decay"])
        if "sum" not in state:
            state["sum"] = np.full_like(param, float(group["initial_accumulator_value"]))
        state["step"] = step = state.get("step", 0) + 1
        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            grad = grad + weight_decay * param
        decayed_lr = lr / (1 + (step - 1) * lr_decay)
        state["sum"] += grad * grad
        std = np.sqrt(state["sum"])
        std += eps
        param -= decayed_lr * (grad / std)
