"""Activation functions, as ``torch.nn.functional``: relu, leaky_relu, gelu, sigmoid, tanh,
softmax, log_softmax (the softmax family takes NumPy's ``axis=``; ``dim=`` works too)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd as ag
from autograd import Op, capturing
from autograd.ops import dual
from autograd.ops.unary import erf_array
from autograd.tensor import Tensor, as_tensor

__all__ = ["relu", "leaky_relu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax"]

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class Gelu(Op):
    """gelu(x) = x * Phi(x); d/dx gelu(x) = Phi(x) + x * phi(x) (Phi, phi: normal cdf, pdf)"""

    def forward(ctx, x):
        # erfc keeps full relative precision of Phi(x) for very negative x.
        cdf = 0.5 * erf_array(-np.asarray(x, dtype=np.float64) * _INV_SQRT_2, complement=True)
        return (x * cdf).astype(x.dtype, copy=False)

    def backward(ctx, grad, x):
        cdf = 0.5 * (1 + dual.erf(x * _INV_SQRT_2))
        pdf = _INV_SQRT_2PI * dual.exp(-0.5 * (x * x))
        return grad * (cdf + x * pdf)


def relu(x: Any) -> Tensor:
    """max(x, 0) elementwise; d/dx = [x > 0]."""
    return as_tensor(x).relu()


def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    """x if x > 0 else negative_slope * x; d/dx = 1 if x > 0 else negative_slope."""
    x = as_tensor(x)
    return ag.where(capturing.call(np.greater, x.data, 0), x, x * negative_slope)


def gelu(x: Any, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit x * Phi(x) (Phi: standard normal cdf).

    ``approximate="tanh"`` uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    Exact form: d/dx = Phi(x) + x * phi(x).
    """
    x = as_tensor(x)
    if approximate == "none":
        return Gelu.apply(x)
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1 + inner.tanh())
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def sigmoid(x: Any) -> Tensor:
    """1 / (1 + exp(-x)), stable for any x; d/dx = s (1 - s)."""
    return as_tensor(x).sigmoid()


def tanh(x: Any) -> Tensor:
    """Hyperbolic tangent; d/dx = 1 - tanh(x)^2."""
    return as_tensor(x).tanh()


def softmax(x: Any, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis`` (``dim`` is an alias), stable for huge values."""
    return ag.softmax(as_tensor(x), axis, dim=dim)


def log_softmax(x: Any, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """x - logsumexp(x) along ``axis`` (``dim`` is an alias), stable for huge values."""
    return ag.log_softmax(as_tensor(x), axis, dim=dim)


