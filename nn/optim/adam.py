"""Adam and AdamW: bias-corrected first and second moment estimates of the gradient."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd import Tensor
from nn.optim.foreach import flat_state
from nn.optim.moments import begin_step, first_moment, second_moment
from nn.optim.optimizer import Optimizer, check_betas, zeros_state


class Adam(Optimizer):
    r"""Adam, PyTorch's ``torch.optim.Adam`` algorithm (Kingma & Ba 2015; AMSGrad from
    Reddi et al. 2018), with L2 weight decay added to the gradient.

    For each step t = 1, 2, ... and each parameter theta with gradient g
    (m, v, v_max start at 0)::

        g <- -g                                  if maximize
        g <- g + weight_decay * theta            if weight_decay != 0
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g**2
        m^ <- m / (1 - beta1**t)
        v_max <- max(v_max, v);  v^ <- v_max / (1 - beta2**t)     if amsgrad
        v^ <- v / (1 - beta2**t)                                   otherwise
        theta <- theta - lr * m^ / (sqrt(v^) + eps)

    The last line is computed as PyTorch does:
    ``theta -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)``.
    State per parameter: ``step`` (t), ``exp_avg`` (m), ``exp_avg_sq`` (v) and
    ``max_exp_avg_sq`` (v_max, when amsgrad).
    """

    _non_negative = ("lr", "eps", "weight_decay")
    #: AdamW decays the weights directly instead of adding weight_decay * theta to g
    _decoupled_weight_decay = False

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        check_betas(self._name, group)

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        lr, eps = float(group["lr"]), float(group["eps"])
        beta1, beta2 = (float(beta) for beta in group["betas"])
        step, grad = begin_step(param, grad, state, group, self._decoupled_weight_decay)
        exp_avg = first_moment(state, param, grad, beta1)
        exp_avg_sq = second_moment(state, param, grad, beta2)
        if group["amsgrad"]:
            max_exp_avg_sq = zeros_state(state, "max_exp_avg_sq", param)
            np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
            exp_avg_sq = max_exp_avg_sq
        step_size = lr / (1 - beta1**step)
        denom = np.sqrt(exp_avg_sq) / math.sqrt(1 - beta2**step)
        denom += eps
        param -= step_size * (exp_avg / denom)

    def _update_group(self, index: int, group: dict[str, Any], params: list[Tensor],
                      grads: list[np.ndarray]) -> bool:
        """The update above over flat buffers, once every parameter has its moments and all
        are at the same step (no amsgrad, maximize or coupled weight decay)."""
        weight_decay = float(group["weight_decay"])
        if (len(params) < 2 or group["amsgrad"] or group["maximize"]
                or (weight_decay != 0 and not self._decoupled_weight_decay)):
            return False
        steps = {self.state[param].get("step") if param in self.state else None
                 for param in params}
        flat = flat_state(self, index, params, ("exp_avg", "exp_avg_sq"))
        if flat is None or len(steps) != 1 or None in steps:
            return False
        step = steps.pop() + 1
        lr, eps = float(group["lr"]), float(group["eps"])
        beta1, beta2 = (float(beta) for beta in group["betas"])
        exp_avg, exp_avg_sq, scratch = (flat.flat[key] for key in
                                        ("exp_avg", "exp_avg_sq", "scratch"))
        exp_avg *= beta1
        exp_avg_sq *= beta2
        for param, grad, avg, avg_sq, part in zip(params, grads, flat.views["exp_avg"],
                                                  flat.views["exp_avg_sq"],
                                                  flat.views["scratch"]):
            self.state[param]["step"] = step
            if weight_decay != 0:
                param.data *= 1 - lr * weight_decay
            avg += np.multiply(grad, 1 - beta1, out=part)
            np.multiply(grad, 1 - beta2, out=part)
            part *= grad
            avg_sq += part
        np.sqrt(exp_avg_sq, out=scratch)
        scratch /= math.sqrt(1 - beta2**step)
        scratch += eps
        np.divide(exp_avg, scratch, out=scratch)
        scratch *= lr / (1 - beta1**step)
        for param, part in zip(params, flat.views["scratch"]):
            param.data -= part
            param._bump_version()
        return True


class AdamW(Adam):
    r"""AdamW, PyTorch's ``torch.optim.AdamW`` algorithm (Loshchilov & Hutter 2019): Adam with
    decoupled weight decay, so the decay does not pass through m and v.

    Each step first shrinks the weights, ``theta <- theta - lr * weight_decay * theta``, then
    applies the Adam update above with the plain gradient. Default ``weight_decay=1e-2``.
    """

    _decoupled_weight_decay = True

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
