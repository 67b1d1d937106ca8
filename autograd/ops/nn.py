"""Numerically stable softmax family, reduced along one axis (default: the last)."""

from __future__ import annotations

import numpy as np

from autograd.function import Op
from autograd.ops import _dual
from autograd.ops.reduce import _kept_shape, _normalize_axis
from autograd.tensor import Tensor, as_tensor


def _stable_shift(x: np.ndarray, axis) -> np.ndarray:
    """The max along ``axis`` (kept), with non-finite maxima replaced by 0 so ``x - m`` is safe."""
    shift = np.max(x, axis=axis, keepdims=True)
    return np.where(np.isfinite(shift), shift, 0)


class Softmax(Op):
    """d/dx softmax(x) = s * (grad - sum(grad * s)) with s = softmax(x)"""

    name = "softmax"

    @staticmethod
    def forward(ctx, x, axis=-1):
        ctx.axes = _normalize_axis(axis, x.ndim, "softmax")
        exps = np.exp(x - _stable_shift(x, ctx.axes))
        out = exps / exps.sum(axis=ctx.axes, keepdims=True)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return out * (grad - (grad * out).sum(axis=ctx.axes, keepdims=True))


class LogSoftmax(Op):
    """d/dx log_softmax(x) = grad - softmax(x) * sum(grad)"""

    name = "log_softmax"

    @staticmethod
    def forward(ctx, x, axis=-1):
        ctx.axes = _normalize_axis(axis, x.ndim, "log_softmax")
        shifted = x - _stable_shift(x, ctx.axes)
        out = shifted - np.log(np.exp(shifted).sum(axis=ctx.axes, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad - _dual.exp(out) * grad.sum(axis=ctx.axes, keepdims=True)


class LogSumExp(Op):
    """d/dx logsumexp(x) = exp(x - logsumexp(x)) = softmax(x)"""

    name = "logsumexp"

    @staticmethod
    def forward(ctx, x, axis=-1, keepdims=False):
        ctx.axes = _normalize_axis(axis, x.ndim, "logsumexp")
        ctx.kept_shape = _kept_shape(x.shape, ctx.axes)
        # Keep the shift and the small log-sum apart: for logits ~1e4 their sum is
        # already rounded, and exp(x - rounded) would be off by |x| * eps.
        ctx.shift = _stable_shift(x, ctx.axes)
        ctx.log_sum = np.log(np.exp(x - ctx.shift).sum(axis=ctx.axes, keepdims=True))
        out = ctx.log_sum + ctx.shift
        if not keepdims:
            out = out.reshape([n for i, n in enumerate(x.shape) if i not in ctx.axes])
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        grad = grad.reshape(ctx.kept_shape)
        if isinstance(x, Tensor):  # recorded backward: differentiable in x
            return grad * _dual.exp(x - out.reshape(ctx.kept_shape))
        return grad * np.exp((x - ctx.shift) - ctx.log_sum)


def softmax(x, axis=-1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``, computed stably (finite for huge logits)."""
    return Softmax.apply(as_tensor(x), axis=axis)


def log_softmax(x, axis=-1) -> Tensor:
    """``x - logsumexp(x)`` along ``axis``, computed stably."""
    return LogSoftmax.apply(as_tensor(x), axis=axis)


def logsumexp(x, axis=-1, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` along ``axis``, computed stably."""
    return LogSumExp.apply(as_tensor(x), axis=axis, keepdims=keepdims)


for _function in (softmax, log_softmax, logsumexp):
    setattr(Tensor, _function.__name__, _function)
