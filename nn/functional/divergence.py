"""The Kullback-Leibler divergence loss, as ``torch.nn.functional.kl_div``.

``input`` holds log-probabilities, ``target`` probabilities (or log-probabilities with
``log_target=True``); both of one shape, as the other regression losses here (PyTorch
broadcasts them). ``reduction``: ``"mean"`` (over every element, PyTorch's default, with
its warning), ``"batchmean"`` (the sum over the first axis' size: the KL divergence of each
sample, averaged), ``"sum"`` or ``"none"``.

Where PyTorch gives NaN this gives the limit: a zero target contributes 0 even where the
input is -inf (PyTorch: 0 * -inf), so does a log-target of -inf; the target's gradient at a
zero target is -inf (d/dt t log t; PyTorch's is NaN, from 0/0).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from autograd import Op
from autograd.ops import dual
from autograd.tensor import Tensor
from nn.functional.loss import _pair, _reduce

__all__ = ["kl_div"]

KL_DIV_REDUCTIONS = ("mean", "batchmean", "sum", "none")


class KlDiv(Op):
    """l = t log t - t x (0 where t = 0);  dl/dx = -t,  dl/dt = log t + 1 - x.
    log_target: l = exp(t) (t - x) (0 where exp(t) = 0); dl/dx = -exp(t), dl/dt = exp(t) (t - x + 1)
    """

    def forward(ctx, x, t, log_target=False):
        ctx.log_target = log_target
        with np.errstate(divide="ignore", invalid="ignore"):
            if log_target:
                probability = np.exp(t)
                ctx.vanishes = probability == 0
                return np.where(ctx.vanishes, 0.0, probability * (t - x)).astype(x.dtype)
            ctx.vanishes = t == 0
            return np.where(ctx.vanishes, 0.0, t * np.log(t) - t * x).astype(x.dtype)

    def backward(ctx, grad, x, t):
        need_x, need_t = ctx.needs_input_grad
        grad_x = grad_t = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if ctx.log_target:
                probability = dual.exp(t)
                if need_x:
                    grad_x = -grad * probability
                if need_t:
                    grad_t = dual.where(ctx.vanishes, 0.0, grad * probability * (t - x + 1))
            else:
                if need_x:
                    grad_x = -grad * t
                if need_t:
                    grad_t = grad * (dual.log(t) + 1 - x)
        return grad_x, grad_t


def kl_div(input: Any, target: Any, *, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Pointwise KL divergence ``target * (log(target) - input)`` of log-probabilities ``input``.

    With ``log_target=True``: ``exp(target) * (target - input)``. Shapes: input and target
    alike, e.g. (N, C); ``"batchmean"`` divides the sum by N (a 0-d input: by 1).
    """
    if reduction not in KL_DIV_REDUCTIONS:
        raise ValueError(f"kl_div: reduction must be 'mean', 'batchmean', 'sum' or 'none', got "
                         f"{reduction!r}")
    input, target = _pair("kl_div", input, target)
    if reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size "
                      "and the support size; 'batchmean' divides only by the batch size and is "
                      "the KL divergence (as PyTorch, which warns too)", UserWarning,
                      stacklevel=2)
    loss = KlDiv.apply(input, target, log_target=bool(log_target))
    if reduction != "batchmean":
        return _reduce(loss, reduction)
    total = loss.sum()
    return total / input.shape[0] if input.ndim else total
