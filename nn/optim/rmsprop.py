"""RMSprop: divide the gradient by a running root mean square of recent gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd import Tensor
from nn.optim.optimizer import Optimizer, zeros_state


class RMSprop(Optimizer):
    r"""RMSprop, PyTorch's ``torch.optim.RMSprop`` algorithm (Hinton's lecture 6e; the
    centered variant from Graves 2013).

    For each step and each parameter theta with gradient g (v, g_avg, b start at 0)::

        g <- -g                               if maximize
        g <- g + weight_decay * theta         if weight_decay != 0
        v <- alpha * v + (1 - alpha) * g**2
        v~ <- v
        if centered:
            g_avg <- alpha * g_avg + (1 - alpha) * g
            v~ <- v~ - g_avg**2
        if momentum > 0:
            b <- momentum * b + g / (sqrt(v~) + eps)
            theta <- theta - lr * b
        else:
            theta <- theta - lr * g / (sqrt(v~) + eps)

    ``eps`` is added after the square root (TensorFlow adds it inside).
    State per parameter: ``step``, ``square_avg`` (v), ``momentum_buffer`` (b, when
    momentum > 0), ``grad_avg`` (g_avg, when centered).
    """

    _non_negative = ("lr", "alpha", "eps", "momentum", "weight_decay")

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-2,
                 alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0,
                 momentum: float = 0, centered: bool = False, *, maximize: bool = False) -> None:
        defaults = {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
                    "momentum": momentum, "centered": centered, "maximize": maximize}
        super().__init__(params, defaults)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        weight_decay, momentum = float(group["weight_decay"]), float(group["momentum"])
        state["step"] = state.get("step", 0) + 1
        square_avg = zeros_state(state, "square_avg", param)
        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            grad = grad + weight_decay * param
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = zeros_state(state, "grad_avg", param)
            grad_avg *= alpha
            grad_avg += (1 - alpha) * grad
            avg = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += eps
        if momentum > 0:
            buf = zeros_state(state, "momentum_buffer", param)
            buf *= momentum
            buf += grad / avg
            param -= lr * buf
        else:
            param -= lr * (grad / avg)
