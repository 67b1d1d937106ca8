"""Pooling kernels on NCHW arrays: ``max_pool2d`` and ``avg_pool2d``.

Both run one vectorised pass per kernel offset (kh*kw strided slices of the
padded input). Their backward passes spread the gradient over the windows with
``fold`` (col2im), which is linear and has its own gradient, so second
derivatives work too.
"""

from __future__ import annotations

import numpy as np

from autograd import Op, Tensor
from autograd.ops import dual
from autograd.tensor import as_tensor
from nn.functional.conv import IntPair, fold_any, geometry, offset_slices, output_hw, pad_array

__all__ = ["max_pool2d", "avg_pool2d"]


def _check_pool_padding(op: str, params: dict) -> None:
    # PyTorch's rule: a window must always hold at least one real element.
    for pad, size in zip(params["padding"], params["kernel"]):
        if pad > size // 2:
            raise ValueError(
                f"{op}: padding {params['padding']} must be at most half of kernel_size "
                f"{params['kernel']}"
            )


def _windows_grad(grad, shape: tuple, kernel) -> tuple:
    """``grad`` (N, C, Ho, Wo) as (N, C, 1, 1, Ho, Wo), to broadcast over kernel offsets."""
    n, c, out_h, out_w = shape
    return grad.reshape((n, c, 1, 1, out_h, out_w)), (n, c) + tuple(kernel) + (out_h, out_w)


class MaxPool2d(Op):
    """Max over each window. d/dx: the gradient goes to the (first) argmax of each window."""

    def forward(ctx, x, kernel, stride, padding):
        padded = pad_array(x, padding, -np.inf)
        out = argmax = None
        # Like PyTorch, each window sends its gradient to one element: the first
        # maximum in row-major order, or the first NaN if it holds one.
        has_nan = bool(np.isnan(x).any())
        out_hw = output_hw(x.shape[2], x.shape[3], kernel, stride, padding)
        for offset, (_, _, window) in enumerate(offset_slices(kernel, stride, out_hw)):
            values = padded[window]
            if out is None:
                out, argmax = values.copy(), np.zeros(values.shape, dtype=np.int32)
                continue
            better = values > out
            if has_nan:
                better |= np.isnan(values) & ~np.isnan(out)
            np.copyto(out, values, where=better)
            argmax[better] = offset
        ctx.params = {"kernel": kernel, "stride": stride, "padding": padding}
        ctx.input_shape, ctx.argmax = x.shape, argmax
        return out

    def backward(ctx, grad):
        kernel = ctx.params["kernel"]
        spread, cols_shape = _windows_grad(grad, ctx.argmax.shape, kernel)
        offsets = np.arange(kernel[0] * kernel[1]).reshape((1, 1) + tuple(kernel) + (1, 1))
        hit = ctx.argmax[:, :, None, None] == offsets
        return fold_any(dual.where(hit, spread, 0.0), ctx.input_shape, **ctx.params)


class AvgPool2d(Op):
    """Mean over each window. d/dx: each window spreads g / window_size over its elements."""

    def forward(ctx, x, kernel, stride, padding, count_include_pad):
        out_hw = output_hw(x.shape[2], x.shape[3], kernel, stride, padding)
        padded = pad_array(x, padding)
        out = None
        for _, _, window in offset_slices(kernel, stride, out_hw):
            out = padded[window].copy() if out is None else np.add(out, padded[window], out=out)
        divisor = _avg_divisor(x, kernel, stride, padding, count_include_pad)
        out /= divisor
        ctx.params = {"kernel": kernel, "stride": stride, "padding": padding}
        ctx.input_shape, ctx.divisor = x.shape, divisor
        return out

    def backward(ctx, grad):
        spread, cols_shape = _windows_grad(grad / ctx.divisor, grad.shape, ctx.params["kernel"])
        # a broadcast view: fold reads it one kernel offset at a time, nothing is copied
        return fold_any(dual.broadcast_to(spread, cols_shape), ctx.input_shape, **ctx.params)


def _avg_divisor(x, kernel, stride, padding, count_include_pad):
    """Window size, or (count_include_pad=False) the number of real elements per window."""
    if count_include_pad or padding == (0, 0):
        return kernel[0] * kernel[1]
    ones = pad_array(np.ones((1, 1) + x.shape[2:], dtype=x.dtype), padding)
    out_hw = output_hw(x.shape[2], x.shape[3], kernel, stride, padding)
    return sum(ones[window] for _, _, window in offset_slices(kernel, stride, out_hw))


def max_pool2d(x: Tensor, kernel_size: IntPair, stride: IntPair | None = None,
               padding: IntPair = 0) -> Tensor:
    """2-D max pooling, NCHW, as PyTorch: (N, C, H, W) -> (N, C, Ho, Wo).

    ``stride`` defaults to ``kernel_size``; ``padding`` pads with -inf and may be at most
    half the kernel.
    """
    x = as_tensor(x)
    params = geometry("max_pool2d", x.shape, kernel_size,
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
    params = geometry("avg_pool2d", x.shape, kernel_size,
                      kernel_size if stride is None else stride, padding)
    _check_pool_padding("avg_pool2d", params)
    return AvgPool2d.apply(x, count_include_pad=bool(count_include_pad), **params)
