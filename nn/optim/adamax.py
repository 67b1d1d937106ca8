"""Adamax: Adam with the second moment replaced by an exponentially weighted infinity norm."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd import Tensor
from nn.optim.moments import begin_step, first_moment
from nn.optim.optimizer import Optimizer, check_betas, zeros_state


class Adamax(Optimizer):
    r"""Adamax, PyTorch's ``torch.optim.Adamax`` algorithm (Kingma & Ba 2015, section 7).

    For each step t = 1, 2, ... and each parameter theta with gradient g (m, u start at 0)::

        g <- -g                                  if maximize
        g <- g + weight_decay * theta            if weight_decay != 0
        m <- beta1 * m + (1 - beta1) * g
        u <- max(beta2 * u, |g| + eps)
        theta <- theta - lr / (1 - beta1**t) * m / u

    State per parameter: ``step`` (t), ``exp_avg`` (m) and ``exp_inf`` (u).
    """

    _non_negative = ("lr", "eps", "weight_decay")

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, *, maximize: bool = False) -> None:
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize}
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        check_betas(self._name, group)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        lr, eps = float(group["lr"]), float(group["eps"])
        beta1, beta2 = group["betas"]
        step, grad = begin_step(param, grad, state, group, decoupled_weight_decay=False)
        exp_avg = first_moment(state, param, grad, beta1)
        exp_inf = zeros_state(state, "exp_inf", param)
        exp_inf *= beta2
        np.maximum(exp_inf, np.abs(grad) + eps, out=exp_inf)
        param -= lr / (1 - beta1**step) * (exp_avg / exp_inf)
