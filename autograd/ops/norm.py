"""Normalisation primitive shared by BatchNorm and LayerNorm.

``normalize(x, axes)`` standardises ``x`` over ``axes`` with the biased variance. One
fused op instead of a chain of mean/sub/mul/sqrt/div: the forward makes about half
the passes over memory, and the backward is one closed formula.
"""

from __future__ import annotations

import numpy as np

from autograd.function import Op
from autograd.tensor import Tensor, as_tensor

__all__ = ["normalize"]


def normalize_arrays(x: np.ndarray, axes: tuple, eps: float):
    """Return ``(x_hat, mean, var, inv_std)`` for an ndarray; statistics keep their axes."""
    mean = x.mean(axis=axes, keepdims=True)
    x_hat = x - mean
    var = np.square(x_hat).mean(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat *= inv_std
    return x_hat, mean, var, inv_std


def _recorded_statistics(x: Tensor, axes: tuple, eps: float):
    """``x_hat`` and ``1/std`` as functions of ``x`` (recorded), for second derivatives."""
    centered = x - x.mean(axis=axes, keepdims=True)
    inv_std = ((centered * centered).mean(axis=axes, keepdims=True) + eps) ** -0.5
    return centered * inv_std, inv_std


class Normalize(Op):
    """``x_hat = (x - mean) / sqrt(var + eps)``, statistics over ``axes`` (biased variance).

    d/dx: ``g -> (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + eps)``, means over
    ``axes``.
    """

    name = "normalize"

    @staticmethod
    def forward(ctx, x, axes, eps, statistics=None):
        if statistics is None:
            x_hat, _, _, inv_std = normalize_arrays(x, axes, eps)
        else:
            x_hat, inv_std = statistics
        ctx.axes, ctx.eps = axes, eps
        ctx.save_for_backward(x, x_hat, inv_std)
        return x_hat

    @staticmethod
    def backward(ctx, grad):
        x, x_hat, inv_std = ctx.saved_tensors
        axes = ctx.axes
        if isinstance(grad, Tensor):
            x_hat, inv_std = _recorded_statistics(x, axes, ctx.eps)
        mean_grad = grad.mean(axis=axes, keepdims=True)
        mean_projection = (grad * x_hat).mean(axis=axes, keepdims=True)
        return (grad - mean_grad - x_hat * mean_projection) * inv_std


def normalize(x: Tensor, axes: int | tuple[int, ...], eps: float = 1e-5) -> Tensor:
    """Standardise ``x`` over ``axes``: ``(x - mean) / sqrt(var + eps)`` (biased variance).

    ``axes`` is an int or a tuple of ints; the result has the shape of ``x``. BatchNorm
    uses the batch and spatial axes, LayerNorm the trailing ones.
    """
    x = as_tensor(x)
    axes = (axes,) if isinstance(axes, (int, np.integer)) else tuple(axes)
    if not axes or not all(-x.ndim <= axis < x.ndim for axis in axes):
        raise ValueError(f"normalize: invalid axes {axes} for an input of shape {x.shape}")
    axes = tuple(sorted({int(axis) % x.ndim for axis in axes}))
    return Normalize.apply(x, axes=axes, eps=float(eps))
