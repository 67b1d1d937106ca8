"""NAdam: Adam with Nesterov momentum (the momentum step looks one step ahead)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd import Tensor
from nn.optim.moments import begin_step, first_moment, second_moment
from nn.optim.optimizer import Optimizer, check_betas


class NAdam(Optimizer):
    r"""NAdam, PyTorch's ``torch.optim.NAdam`` algorithm (Dozat 2016), with the momentum
    schedule mu_t and optional decoupled weight decay (NAdamW).

    For each step t = 1, 2, ... and each parameter theta with gradient g (m, v start at 0,
    and the running product mu_1 * ... * mu_t starts at 1)::

        g <- -g                                             if maximize
        theta <- theta - lr * weight_decay * theta          if weight_decay and decoupled
        g <- g + weight_decay * theta                       if weight_decay, not decoupled
        mu_t <- beta1 * (1 - 0.5 * 0.96**(t * momentum_decay))
        mu_{t+1} <- beta1 * (1 - 0.5 * 0.96**((t + 1) * momentum_decay))
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g**2
        m^ <- mu_{t+1} * m / (1 - mu_1 ... mu_{t+1}) + (1 - mu_t) * g / (1 - mu_1 ... mu_t)
        v^ <- v / (1 - beta2**t)
        theta <- theta - lr * m^ / (sqrt(v^) + eps)

    State per parameter: ``step`` (t), ``mu_product`` (mu_1 ... mu_t, a Python float),
    ``exp_avg`` (m) and ``exp_avg_sq`` (v).
    """

    _non_negative = ("lr", "eps", "weight_decay", "momentum_decay")
    _scalar_state = ("step", "mu_product")

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, maximize: bool = False) -> None:
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        check_betas(self._name, group)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        lr, eps = float(group["lr"]), float(group["eps"])
        momentum_decay = float(group["momentum_decay"])
        beta1, beta2 = group["betas"]
        step, grad = begin_step(param, grad, state, group, group["decoupled_weight_decay"])
        exp_avg = first_moment(state, param, grad, beta1)
        exp_avg_sq = second_moment(state, param, grad, beta2)
        mu = beta1 * (1 - 0.5 * 0.96 ** (step * momentum_decay))
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
        state["mu_product"] = mu_product = state.get("mu_product", 1.0) * mu
        denom = np.sqrt(exp_avg_sq / (1 - beta2**step))
        denom += eps
        param -= lr * (1 - mu) / (1 - mu_product) * (grad / denom)
        param -= lr * mu_next / (1 - mu_product * mu_next) * (exp_avg / denom)
