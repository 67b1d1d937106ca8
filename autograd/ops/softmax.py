"""The softmax family along one axis or several (default: the last), numerically stable.

Size-0 axes behave as PyTorch: softmax of nothing is empty, logsumexp of nothing is -inf.
"""

from __future__ import annotations

import numpy as np

from autograd.function import Op
from autograd.ops import dual
from autograd.ops.axes import kept_shape, normalize_axis, pick
from autograd.tensor import Tensor, as_tensor

__all__ = ["softmax", "log_softmax", "logsumexp"]


def _stable_shift(x: np.ndarray, axes) -> np.ndarray:
    """The max along ``axes`` (kept), with non-finite maxima replaced by 0 so ``x - m`` is safe."""
    shift = np.max(x, axis=axes, keepdims=True, initial=-np.inf)
    return np.where(np.isfinite(shift), shift, 0).astype(x.dtype, copy=False)


class Softmax(Op):
    """d/dx softmax(x) = s * (grad - sum(grad * s)) with s = softmax(x)"""

    def forward(ctx, x, axes=(-1,)):
        ctx.axes = axes
        exps = np.exp(x - _stable_shift(x, axes))
        return exps / exps.sum(axis=axes, keepdims=True)

    def backward(ctx, grad, out):
        return out * (grad - (grad * out).sum(axis=ctx.axes, keepdims=True))


class LogSoftmax(Op):
    """d/dx log_softmax(x) = grad - softmax(x) * sum(grad)"""

    def forward(ctx, x, axes=(-1,)):
        ctx.axes = axes
        shifted = x - _stable_shift(x, axes)
        return shifted - np.log(np.exp(shifted).sum(axis=axes, keepdims=True))

    def backward(ctx, grad, out):
        return grad - dual.exp(out) * grad.sum(axis=ctx.axes, keepdims=True)


class Logsumexp(Op):
    """d/dx logsumexp(x) = exp(x - logsumexp(x)) = softmax(x)"""

    def forward(ctx, x, axes=(-1,), keepdims=False):
        ctx.axes, ctx.kept_shape = axes, kept_shape(x.shape, axes)
        # Keep the shift and the small log-sum apart: for logits ~1e4 their sum is
        # already rounded, and exp(x - rounded) would be off by |x| * eps.
        shift = _stable_shift(x, axes)
        with np.errstate(divide="ignore"):  # log(0) = -inf for an empty or all -inf axis
            ctx.log_sum = np.log(np.exp(x - shift).sum(axis=axes, keepdims=True))
        ctx.shift = shift
        out = ctx.log_sum + shift
        return out if keepdims else out.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    def backward(ctx, grad, x):
        weights = dual.reuse(np.exp((dual.constant(x) - ctx.shift) - ctx.log_sum),
                             lambda: dual.softmax(x, ctx.axes), like=x)
        return grad.reshape(ctx.kept_shape) * weights


def _axes(name: str, x: Tensor, axis, dim) -> tuple:
    axis, _, _ = pick(name, None if axis == -1 and dim is not None else axis, dim, None, None)
    return normalize_axis(axis, x.ndim, name)


def softmax(x, axis=-1, *, dim=None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis`` (``dim=`` too), computed stably."""
    x = as_tensor(x)
    return Softmax.apply(x, axes=_axes("softmax", x, axis, dim))


def log_softmax(x, axis=-1, *, dim=None) -> Tensor:
    """``x - logsumexp(x)`` along ``axis`` (``dim=`` too), computed stably."""
    x = as_tensor(x)
    return LogSoftmax.apply(x, axes=_axes("log_softmax", x, axis, dim))


def logsumexp(x, axis=-1, keepdims=None, *, dim=None, keepdim=None) -> Tensor:
    """``log(sum(exp(x)))`` along ``axis`` (``dim=`` too), computed stably."""
    axis, keepdims, _ = pick("logsumexp", None if axis == -1 and dim is not None else axis,
                             dim, keepdims, keepdim)
    x = as_tensor(x)
    return Logsumexp.apply(x, axes=normalize_axis(axis, x.ndim, "logsumexp"), keepdims=keepdims)
