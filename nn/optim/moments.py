"""What the Adam family (Adam, AdamW, Adamax, NAdam, RAdam) shares, on one parameter's arrays.

Each of their steps begins the same way, as in PyTorch's documented algorithms::

    t <- t + 1
    g <- -g                                             if maximize
    theta <- theta - lr * weight_decay * theta          if weight_decay and decoupled
    g <- g + weight_decay * theta                       if weight_decay, not decoupled
    m <- beta1 * m + (1 - beta1) * g                    (first moment)
    v <- beta2 * v + (1 - beta2) * g**2                 (second moment; not in Adamax)

``begin_step`` is the first four lines, ``first_moment`` and ``second_moment`` the last two;
each optimizer's own file then reads as the rest of its algorithm.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.optim.optimizer import zeros_state


def begin_step(param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any], decoupled_weight_decay: bool) -> tuple[int, np.ndarray]:
    """Count the step in ``state["step"]``, apply ``maximize`` and weight decay (to the
    weights in place when decoupled, else to the gradient); return ``(t, g)``."""
    state["step"] = step = state.get("step", 0) + 1
    if group["maximize"]:
        grad = -grad
    weight_decay = float(group["weight_decay"])
    if weight_decay != 0:
        if decoupled_weight_decay:
            param *= 1 - float(group["lr"]) * weight_decay
        else:
            grad = grad + weight_decay * param
    return step, grad


def first_moment(state: dict[str, Any], param: np.ndarray, grad: np.ndarray,
                 beta1: float) -> np.ndarray:
    """``state["exp_avg"]`` (m, zeros at first) updated in place to
    ``beta1 * m + (1 - beta1) * g``."""
    exp_avg = zeros_state(state, "exp_avg", param)
    exp_avg *= beta1
    exp_avg += (1 - beta1) * grad
    return exp_avg


def second_moment(state: dict[str, Any], param: np.ndarray, grad: np.ndarray,
                  beta2: float) -> np.ndarray:
    """``state["exp_avg_sq"]`` (v, zeros at first) updated in place to
    ``beta2 * v + (1 - beta2) * g**2``."""
    exp_avg_sq = zeros_state(state, "exp_avg_sq", param)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * grad * grad
    return exp_avg_sq
