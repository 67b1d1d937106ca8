"""RAdam: Adam whose adaptive step is switched on only once its variance is tractable."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd import Tensor
from nn.optim.moments import begin_step, first_moment, second_moment
from nn.optim.optimizer import Optimizer, check_betas


class RAdam(Optimizer):
    r"""RAdam, PyTorch's ``torch.optim.RAdam`` algorithm (Liu et al. 2020, "On the variance of
    the adaptive learning rate and beyond"), with optional decoupled weight decay.

    For each step t = 1, 2, ... and each parameter theta with gradient g (m, v start at 0,
    rho_inf = 2 / (1 - beta2) - 1)::

        g <- -g                                             if maximize
        theta <- theta - lr * weight_decay * theta          if weight_decay and decoupled
        g <- g + weight_decay * theta                       if weight_decay, not decoupled
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g**2
        m^ <- m / (1 - beta1**t)
        rho_t <- rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        if rho_t > 5:
            l <- sqrt(1 - beta2**t) / (sqrt(v) + eps)
            r <- sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            theta <- theta - lr * m^ * r * l
        else:                                               (the first few steps: SGD with momentum)
            theta <- theta - lr * m^

    State per parameter: ``step`` (t), ``exp_avg`` (m) and ``exp_avg_sq`` (v).
    """

    _non_negative = ("lr", "eps", "weight_decay")

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 maximize: bool = False) -> None:
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        check_betas(self._name, group)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        lr, eps = float(group["lr"]), float(group["eps"])
        beta1, beta2 = group["betas"]
        step, grad = begin_step(param, grad, state, group, group["decoupled_weight_decay"])
        exp_avg = first_moment(state, param, grad, beta1)
        exp_avg_sq = second_moment(state, param, grad, beta2)
        bias_correction2 = 1 - beta2**step
        corrected_avg = exp_avg / (1 - beta1**step)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2**step / bias_correction2
        if rho_t > 5:
            rectification = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                                      / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            denom = np.sqrt(exp_avg_sq)
            denom += eps
            param -= corrected_avg * lr * (math.sqrt(bias_correction2) / denom) * rectification
        else:
            param -= lr * corrected_avg
