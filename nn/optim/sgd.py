"""Stochastic gradient descent, with optional (Nesterov) momentum and L2 weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd import Tensor
from nn.optim.foreach import flat_state
from nn.optim.optimizer import Optimizer


class SGD(Optimizer):
    r"""Stochastic gradient descent, PyTorch's ``torch.optim.SGD`` algorithm.

    For each step t = 1, 2, ... and each parameter theta with gradient g::

        g <- -g                           if maximize
        g <- g + weight_decay * theta     if weight_decay != 0
        if momentum != 0:
            b <- g                                      at t = 1 (no dampening on the first step)
            b <- momentum * b + (1 - dampening) * g     at t > 1
            g <- g + momentum * b  if nesterov  else  b
        theta <- theta - lr * g

    State per parameter: ``momentum_buffer`` (only when momentum != 0).

    Example::

        opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
        opt.zero_grad(); loss.backward(); opt.step()
    """

    _non_negative = ("lr", "momentum", "weight_decay")

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]], lr: float = 1e-3,
                 momentum: float = 0, dampening: float = 0, weight_decay: float = 0,
                 nesterov: bool = False, *, maximize: bool = False) -> None:
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: Nesterov momentum requires a momentum > 0 and zero dampening, "
                             f"got momentum={group['momentum']!r}, "
                             f"dampening={group['dampening']!r}")

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any],
               group: dict[str, Any]) -> None:
        lr, momentum = float(group["lr"]), float(group["momentum"])
        weight_decay, dampening = float(group["weight_decay"]), float(group["dampening"])
        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            grad = grad + weight_decay * param
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                # copy: grad may be the parameter's own .grad array
                buf = state["momentum_buffer"] = np.array(grad, copy=True)
            else:
                buf *= momentum
                buf += grad if dampening == 0 else (1 - dampening) * grad  # no temporary if 0
            grad = grad + momentum * buf if group["nesterov"] else buf
        param -= lr * grad

    def _update_group(self, index: int, group: dict[str, Any], params: list[Tensor],
                      grads: list[np.ndarray]) -> bool:
        """Momentum without dampening, decay or Nesterov, over one flat buffer (once every
        parameter has its momentum buffer); other cases go one parameter at a time."""
        if (len(params) < 2 or group["momentum"] == 0 or group["dampening"] != 0
                or group["nesterov"] or group["weight_decay"] != 0 or group["maximize"]):
            return False
        flat = flat_state(self, index, params, ("momentum_buffer",))
        if flat is None:
            return False
        buffers, scratch = flat.flat["momentum_buffer"], flat.flat["scratch"]
        buffers *= float(group["momentum"])
        for view, grad in zip(flat.views["momentum_buffer"], grads):
            view += grad
        np.multiply(buffers, float(group["lr"]), out=scratch)
        for param, step in zip(params, flat.views["scratch"]):
            param.data -= step
            param._bump_version()
        return True
