"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd import Tensor
from nn.optim.optimizer import Optimizer, zeros_state


class Adadelta(Optimizer):
    r"""Adadelta, PyTorch's ``torch.optim.Adadelta`` algorithm (Zeiler 2012).

    For each step and each parameter theta with gradient g (v, u start at 0)::

        g <- -g                                        if maximize
        g <- g + weight_decay * theta                  if weight_decay != 0
        v <- rho * v + (1 - rho) * g**2
        delta <- sqrt(u + eps) / sqrt(v + eps) * g
        u <- rho * u + (1 - rho) * delta**2
        theta <- theta - lr * delta

    ``lr`` (default 1.0) only scales ``delta``: the method sets its own step size.
    State per parameter: ``step``, ``square_avg`` (v) and ``acc_delta`` (u).

    Example (PyTorch's MNIST example)::

        opt = Adadelta(model.parameters(), lr=1.0)
    """

    _non_negative = ("lr", "rho", "eps", "weight_decay")

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1.0,
                 rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0, *,
                 maximize: bool = False) -> None:
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize}
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        if not group["rho"] <= 1:
            raise ValueError(f"Adadelta: invalid rho {group['rho']!r} (must be in [0, 1])")

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        lr, rho, eps = float(group["lr"]), float(group["rho"]), float(group["eps"])
        weight_decay = float(group["weight_decay"])
        state["step"] = state.get("step", 0) + 1
        square_avg = zeros_state(state, "square_avg", param)
        acc_delta = zeros_state(state, "acc_delta", param)
        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            grad = grad + weight_decay * param
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        param -= lr * delta
