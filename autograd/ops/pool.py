"""Pooling primitives on NCHW arrays: ``max_pool2d`` and ``avg_pool2d``.

Both are computed with one vectorised pass per kernel offset (kh*kw strided slices of
the padded input). Their backward passes are written with ``fold`` (col2im) when the
gradient is recorded, so second derivatives work (see ``autograd/ops/conv.py``).
"""

from __future__ import annotations

import numpy as np

from autograd.function import Op
from autograd.ops.conv import IntPair, _crop, _fold_any, _geometry, _offset_slices, _output_hw, _pad
from autograd.tensor import Tensor, as_tensor

__all__ = ["max_pool2d", "avg_pool2d"]


def _check_pool_padding(op: str, params: dict) -> None:
    # PyTorch's rule: a window must always hold at least one real element.
    for pad, size in zip(params["padding"], params["kernel"]):
        if pad > size // 2:
            raise ValueError(
                f"{op}: padding {params['padding']} must be at most half of kernel_size "
                f"{params['kernel']}"
            )


def _first_max_masks(padded: np.ndarray, out: np.ndarray, kernel, stride):
    """Yield ``(i, j, window, hit)``: ``hit`` marks outputs whose max is at offset (i, j).

    Like PyTorch, each window routes its gradient to one element: the first maximum in
    row-major order (ties after it get nothing), or the first NaN if it holds one.
    """
    taken = None
    # A window whose max is NaN holds a NaN; other windows hold none (max propagates NaN).
    has_nan = bool(np.isnan(out).any())
    for i, j, window in _offset_slices(kernel, stride, out.shape[2:]):
        hit = np.equal(padded[window], out)
        if has_nan:
            hit |= np.isnan(padded[window])
        if taken is None:
            taken = hit.copy()
        else:
            np.greater(hit, taken, out=hit)  # hit and not yet taken
            taken |= hit
        yield i, j, window, hit


class MaxPool2d(Op):
    """Max over each window. d/dx: the gradient goes to the (first) argmax of each window."""

    name = "max_pool2d"

    @staticmethod
    def forward(ctx, x, kernel, stride, padding):
        padded = _pad(x, padding, -np.inf)
        out = None
        for _, _, window in _offset_slices(kernel, stride, _output_hw(
                x.shape[2], x.shape[3], kernel, stride, padding)):
            out = padded[window].copy() if out is None else np.maximum(out, padded[window], out=out)
        ctx.params = {"kernel": kernel, "stride": stride, "padding": padding}
        ctx.save_for_backward(padded, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        padded, out = (_raw(value) for value in ctx.saved_tensors)
        kernel, stride, padding = ctx.params["kernel"], ctx.params["stride"], ctx.params["padding"]
        if isinstance(grad, Tensor):
            # Constant one-hot mask times grad, folded back: linear in grad, so it has a
            # second derivative (unfold of the incoming gradient, masked).
            mask = np.zeros(out.shape[:2] + tuple(kernel) + out.shape[2:], dtype=grad.dtype)
            for i, j, _, hit in _first_max_masks(padded, out, kernel, stride):
                mask[:, :, i, j] = hit
            n, c, out_h, out_w = out.shape
            cols = mask * grad.reshape((n, c, 1, 1, out_h, out_w))
            cols = cols.reshape(n, c * kernel[0] * kernel[1], out_h * out_w)
            return _fold_any(cols, _unpadded_shape(padded, padding), **ctx.params)
        grad_padded = np.zeros(padded.shape, dtype=grad.dtype)
        disjoint = stride[0] >= kernel[0] and stride[1] >= kernel[1]
        for _, _, window, hit in _first_max_masks(padded, out, kernel, stride):
            # grad * hit is several times faster than np.where (only an infinite
            # incoming gradient would differ: NaN instead of 0 off the argmax)
            if disjoint:
                np.multiply(grad, hit, out=grad_padded[window])
            else:
                grad_padded[window] += grad * hit
        return _crop(grad_padded, padding)


def _raw(value):
    return value.data if isinstance(value, Tensor) else value


def _unpadded_shape(padded: np.ndarray, padding) -> tuple:
    n, c, hp, wp = padded.shape
    return (n, c, hp - 2 * padding[0], wp - 2 * padding[1])


class AvgPool2d(Op):
    """Mean over each window. d/dx: each window spreads g / window_size over its elements."""

    name = "avg_pool2d"

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, count_include_pad):
        out_hw = _output_hw(x.shape[2], x.shape[3], kernel, stride, padding)
        padded = _pad(x, padding)
        out = None
        for _, _, window in _offset_slices(kernel, stride, out_hw):
            out = padded[window].copy() if out is None else np.add(out, padded[window], out=out)
        divisor = _avg_divisor(x, kernel, stride, padding, count_include_pad)
        out /= divisor
        ctx.params = {"kernel": kernel, "stride": stride, "padding": padding}
        ctx.input_shape = x.shape
        ctx.divisor = divisor
        return out

    @staticmethod
    def backward(ctx, grad):
        n, c, out_h, out_w = grad.shape
        kernel = ctx.params["kernel"]
        spread = (grad / ctx.divisor).reshape((n, c, 1, 1, out_h, out_w))
        if isinstance(grad, Tensor):
            ones = np.ones((1, 1) + tuple(kernel) + (1, 1), dtype=grad.dtype)
            cols = (spread * ones).reshape(n, c * kernel[0] * kernel[1], out_h * out_w)
        else:
            # A broadcast view: fold reads it one kernel offset at a time, nothing is copied.
            cols = np.broadcast_to(spread, (n, c) + tuple(kernel) + (out_h, out_w))
        return _fold_any(cols, ctx.input_shape, **ctx.params)


def _avg_divisor(x, kernel, stride, padding, count_include_pad):
    """Window size, or (count_include_pad=False) the number of real elements per window."""
    if count_include_pad or padding == (0, 0):
        return kernel[0] * kernel[1]
    ones = _pad(np.ones((1, 1) + x.shape[2:], dtype=x.dtype), padding)
    out_hw = _output_hw(x.shape[2], x.shape[3], kernel, stride, padding)
    return sum(ones[window] for _, _, window in _offset_slices(kernel, stride, out_hw))


def max_pool2d(x: Tensor, kernel_size: IntPair, stride: IntPair | None = None,
               padding: IntPair = 0) -> Tensor:
    """2-D max pooling, NCHW, as PyTorch: (N, C, H, W) -> (N, C, Ho, Wo).

    ``stride`` defaults to ``kernel_size``; ``padding`` pads with -inf and may be at most
    half the kernel.
    """
    x = as_tensor(x)
    params = _geometry("max_pool2d", x.shape, kernel_size,
                       kernel_size if stride is None else stride, padding)
    _check_pool_padding("max_pool2d", params)
    return MaxPool2d.apply(x, **params)


def avg_pool2d(x: Tensor, kernel_size: IntPair, stride: IntPair | None = None,
               padding: IntPair = 0, count_include_pad: bool = True) -> Tensor:
    """2-D average pooling, NCHW, as PyTorch: (N, C, H, W) -> (N, C, Ho, Wo).

    ``stride`` defaults to ``kernel_size``; padding is zeros and counts in the mean
    unless ``count_include_pad=False``.
    """
    x = as_tensor(x)
    params = _geometry("avg_pool2d", x.shape, kernel_size,
                       kernel_size if stride is None else stride, padding)
    _check_pool_padding("avg_pool2d", params)
    return AvgPool2d.apply(x, count_include_pad=bool(count_include_pad), **params)
