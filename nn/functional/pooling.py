"""Pooling on NCHW arrays: max and average pooling (1-d and 2-d), adaptive average pooling.

Max and average pooling run one vectorised pass per kernel offset (kh*kw strided
slices of the padded input); their geometry is a ``Window`` (``windows.py``), with
``ceil_mode`` as extra trailing padding. Average pooling's backward spreads the
gradient over the windows with ``fold`` (col2im), which is linear and has its own
gradient; max pooling's sends each window's gradient to its maximum, and when the
windows tile the input (kernel == stride, no padding or dilation: ``MaxPool2d(2)``)
writes each strided slice once instead of adding into a zeroed buffer. Adaptive
average pooling is a ``resample`` (``sampling.py``) along each axis. The 1-d
versions are the 2-d ones over a height of 1.
"""

from __future__ import annotations

import numpy as np

from autograd import Op, Tensor, capturing
from autograd.ops import dual
from autograd.tensor import as_tensor
from nn.functional.conv import fold_any
from nn.functional.sampling import adaptive_table, resample
from nn.functional.windows import SAME_SIZE_INTS, IntPair, Window, make_window, pair, select, single

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d"]


# --------------------------------------------------------------------------- geometry


def pool_window(op: str, shape: tuple, kernel_size, stride, padding, dilation=1,
                ceil_mode: bool = False) -> Window:
    """The window of a pooling op, checked; ``ceil_mode`` adds windows over the end.

    PyTorch's rules: padding at most half the kernel; with ``ceil_mode`` the last
    window must start inside the input or its leading padding.
    """
    window = make_window(op, shape, kernel_size, kernel_size if stride is None else stride,
                         padding, dilation)
    (top, _), (left, _) = window.padding
    if top > window.kernel[0] // 2 or left > window.kernel[1] // 2:
        raise ValueError(f"{op}: padding {(top, left)} must be at most half of kernel_size "
                         f"{window.kernel}")
    if not ceil_mode:
        return window
    trailing = []
    for size, (lead, _), extent, step in zip(shape[2:], window.padding, window.extent,
                                             window.stride):
        count = -(-(size + 2 * lead - extent) // step) + 1
        if (count - 1) * step >= size + lead:
            count -= 1
        trailing.append((lead, (count - 1) * step + extent - lead - size))
    return Window(window.kernel, window.stride, tuple(trailing), window.dilation)


def _declared(window: Window) -> tuple:
    """The (height, width) padding asked for: the leading one (ceil_mode only adds at the end)."""
    return window.padding[0][0], window.padding[1][0]


# --------------------------------------------------------------------------- max pooling


def _max_pool_array(x: np.ndarray, window: Window, with_argmax: bool = True):
    """``(out, argmax)``: each window's maximum and its kernel offset ``i*kw + j`` (None
    unless ``with_argmax``).

    PyTorch's rule: a value wins if it is larger than the maximum so far, or NaN; so
    the first of equal maxima wins, and the last NaN. Padding never wins. A window
    without NaN has the same winner under the plain rule, which is cheaper: the NaN
    one runs only when an output is NaN.
    """
    out, argmax = _running_max(x, window, with_argmax, False)
    if with_argmax and out.dtype.kind == "f" and np.isnan(out.max(initial=-np.inf)):
        out, argmax = _running_max(x, window, True, True)
    return out, argmax


def _running_max(x: np.ndarray, window: Window, with_argmax: bool, nan_wins: bool):
    """``_max_pool_array`` under the rule "larger than the maximum so far" (``nan_wins``:
    "or NaN"), one vectorised pass per kernel offset."""
    out_hw = window.out_hw(*x.shape[2:])
    lowest = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    padded = window.pad(x, lowest)
    offset_type = np.int8 if window.kernel[0] * window.kernel[1] <= 127 else np.int32
    out = argmax = None
    for offset, (_, _, index) in enumerate(window.offsets(out_hw)):
        if out is None:
            out = padded[index].copy()
            values, better, nan = (np.empty(out.shape, t) for t in (out.dtype, bool, bool))
            if with_argmax:
                argmax, step = np.zeros(out.shape, offset_type), np.empty(out.shape, offset_type)
            continue
        np.copyto(values, padded[index])  # one strided read; the passes below are contiguous
        if with_argmax:
            np.greater(values, out, out=better)
            if nan_wins:
                better |= np.isnan(values, out=nan)
            # offsets only grow, so the latest winner is the largest offset that won
            # (arithmetic: a masked copy is many times slower on a random mask)
            won = np.multiply(better.view(np.int8), offset_type(offset), out=step)
            np.maximum(argmax, won, out=argmax)
        np.maximum(out, values, out=out)  # NaN propagates, as the rule says
    if with_argmax and (window.padding[0][0] or window.padding[1][0]):
        # A window whose real values are all -inf keeps offset 0, which may be padding;
        # PyTorch names its first real element.
        np.copyto(argmax, _first_real_offset(window, out_hw).astype(offset_type),
                  where=out == lowest)
    return out, argmax


def _first_real_offset(window: Window, out_hw) -> np.ndarray:
    """(Ho, Wo): the kernel offset of each window's first element inside the input."""
    firsts = []
    for lead, size, step, dilation in zip(_declared(window), out_hw, window.stride,
                                          window.dilation):
        start = np.arange(size) * step
        firsts.append(np.maximum(-(-(lead - start) // dilation), 0))
    return firsts[0][:, None] * window.kernel[1] + firsts[1][None, :]


def _route_array(grad, argmax, window: Window, input_shape):
    """Each window's gradient to its maximum's position; overlapping windows add up."""
    padded = window.zeros(input_shape, grad.dtype)
    for offset, (_, _, index) in enumerate(window.offsets(argmax.shape[2:])):
        padded[index] += select(argmax == offset, grad)
    return window.crop(padded, input_shape[2:])


def _route_tensor(grad, argmax, window: Window, input_shape):
    n, c, out_h, out_w = argmax.shape
    kernel = window.kernel
    offsets = np.arange(kernel[0] * kernel[1]).reshape((1, 1) + kernel + (1, 1))
    hit = argmax[:, :, None, None] == offsets
    spread = dual.where(hit, grad.reshape((n, c, 1, 1, out_h, out_w)), 0.0)
    return fold_any(spread, input_shape, window)


route = dual.function(_route_array, _route_tensor, "max_pool_route")


def _tiles(window: Window) -> bool:
    """True when the windows tile the input: kernel == stride, no padding, no dilation."""
    return (window.kernel == window.stride and window.dilation == (1, 1)
            and window.padding == ((0, 0), (0, 0)))


def _route_tiles(grad: np.ndarray, argmax: np.ndarray, window: Window, input_shape):
    """``_route_array`` for windows that tile the input: each element gets at most one
    window's gradient, so every strided slice is written once, masked (``select``)."""
    out_hw = argmax.shape[2:]
    covered = (out_hw[0] * window.kernel[0], out_hw[1] * window.kernel[1]) == input_shape[2:]
    routed = (np.empty if covered else np.zeros)(input_shape, grad.dtype)
    ints = SAME_SIZE_INTS[grad.dtype.itemsize]
    # + 0.0 turns -0.0 into 0.0, as adding into zeros does in _route_array; C order, as
    # argmax (conv's backward hands over a transposed view)
    grad_bits = np.add(grad, 0.0, dtype=grad.dtype, order="C").view(ints)
    hit, bits = np.empty(argmax.shape, bool), np.empty(argmax.shape, ints)
    for offset, (_, _, index) in enumerate(window.offsets(out_hw)):
        np.equal(argmax, offset, out=hit)
        np.negative(hit, dtype=ints, out=bits)  # 0 or all ones
        np.bitwise_and(grad_bits, bits, out=routed[index].view(ints))
    return routed


class MaxPool2d(Op):
    """Max over each window. d/dx: each window's gradient goes to its maximum (the first of
    equal ones, the last NaN), as PyTorch"""

    def forward(ctx, x, window):
        out, argmax = _max_pool_array(x, window, True in ctx.needs_input_grad)
        ctx.window, ctx.input_shape, ctx.argmax = window, x.shape, argmax
        return out

    def backward(ctx, grad):
        if _tiles(ctx.window) and isinstance(grad, np.ndarray):
            return _route_tiles(grad, ctx.argmax, ctx.window, ctx.input_shape)
        return route(grad, ctx.argmax, ctx.window, ctx.input_shape)


def _flat_indices(argmax: np.ndarray, window: Window, width: int) -> np.ndarray:
    """PyTorch's ``return_indices``: each maximum's position in its (H*W) input plane."""
    argmax = argmax.astype(np.int64)
    row, column = np.divmod(argmax, window.kernel[1])
    (sh, sw), (dh, dw), (top, left) = window.stride, window.dilation, _declared(window)
    rows = (np.arange(argmax.shape[2]) * sh - top)[:, None] + row * dh
    columns = (np.arange(argmax.shape[3]) * sw - left)[None, :] + column * dw
    return rows * width + columns


def _max_pool(x: Tensor, window: Window, return_indices: bool):
    out = MaxPool2d.apply(x, window=window)
    if not return_indices:
        return out
    if out.grad_fn is not None and not capturing.recording():
        argmax = out.grad_fn.argmax  # the recorded node keeps it
        return out, Tensor._make(_flat_indices(argmax, window, x.shape[3]))
    # computed again, in a recorded call: a captured step's replays find each call's indices
    return out, Tensor._make(capturing.call(_indices, x.data, window))


def _indices(x: np.ndarray, window: Window) -> np.ndarray:
    """``return_indices`` of ``x``'s windows, from the input alone."""
    return _flat_indices(_max_pool_array(x, window)[1], window, x.shape[3])


def max_pool2d(x: Tensor, kernel_size: IntPair, stride: IntPair | None = None,
               padding: IntPair = 0, dilation: IntPair = 1, ceil_mode: bool = False,
               return_indices: bool = False):
    """2-D max pooling, NCHW, as PyTorch's ``F.max_pool2d``: (N, C, H, W) -> (N, C, Ho, Wo).

    ``stride`` defaults to ``kernel_size``; ``padding`` (at most half the kernel) counts
    as -inf; ``dilation`` spaces the window's elements; ``ceil_mode`` rounds the output
    size up. ``return_indices=True`` also returns each maximum's index in the flattened
    (H*W) input plane, as an int64 tensor.
    """
    x = as_tensor(x)
    window = pool_window("max_pool2d", x.shape, kernel_size, stride, padding, dilation,
                         ceil_mode)
    return _max_pool(x, window, return_indices)


def _window_1d(op: str, x: Tensor, kernel_size, stride, padding, dilation, ceil_mode):
    """The 2-d window of a 1-d pooling op over (N, C, L), seen as (N, C, 1, L)."""
    if x.ndim != 3:
        raise ValueError(f"{op}: expected a 3-D input (N, C, L), got shape {x.shape}")
    values = [single(v, what, op) for v, what in ((kernel_size, "kernel_size"),
                                                    (kernel_size if stride is None else stride,
                                                     "stride"), (padding, "padding"),
                                                    (dilation, "dilation"))]
    kernel, step, pad, dilate = values
    if kernel > 0 and dilate > 0 and dilate * (kernel - 1) + 1 > x.shape[2] + 2 * pad:
        raise ValueError(f"{op}: kernel size {kernel} is larger than the padded input "
                         f"{x.shape[2] + 2 * pad} (input shape {x.shape}, padding {pad})")
    if pad > kernel // 2:
        raise ValueError(f"{op}: padding {pad} must be at most half of kernel_size {kernel}")
    return pool_window(op, (x.shape[0], x.shape[1], 1, x.shape[2]), (1, kernel), (1, step),
                       (0, pad), (1, dilate), ceil_mode)


def _as_1d(out: Tensor) -> Tensor:
    return out.reshape(out.shape[0], out.shape[1], out.shape[3])


def max_pool1d(x: Tensor, kernel_size: int, stride: int | None = None, padding: int = 0,
               dilation: int = 1, ceil_mode: bool = False, return_indices: bool = False):
    """1-D max pooling over (N, C, L), as PyTorch's ``F.max_pool1d`` (see ``max_pool2d``);
    indices are positions along L."""
    x = as_tensor(x)
    window = _window_1d("max_pool1d", x, kernel_size, stride, padding, dilation, ceil_mode)
    out = _max_pool(x.reshape(x.shape[0], x.shape[1], 1, x.shape[2]), window, return_indices)
    if not return_indices:
        return _as_1d(out)
    return _as_1d(out[0]), _as_1d(out[1])


# --------------------------------------------------------------------------- average pooling


class AvgPool2d(Op):
    """Mean over each window. d/dx: each window spreads g / divisor over its elements."""

    def forward(ctx, x, window, divisor):
        out_hw = window.out_hw(*x.shape[2:])
        padded = window.pad(x)
        out = None
        for _, _, index in window.offsets(out_hw):
            out = padded[index].copy() if out is None else np.add(out, padded[index], out=out)
        out /= divisor
        ctx.window, ctx.input_shape, ctx.divisor = window, x.shape, divisor
        return out

    def backward(ctx, grad):
        n, c, out_h, out_w = grad.shape
        spread = (grad / ctx.divisor).reshape((n, c, 1, 1, out_h, out_w))
        # a broadcast view: fold reads it one kernel offset at a time, nothing is copied
        return fold_any(dual.broadcast_to(spread, (n, c) + ctx.window.kernel + (out_h, out_w)),
                        ctx.input_shape, ctx.window)


def _avg_divisor(shape: tuple, window: Window, count_include_pad: bool, dtype):
    """Each window's divisor, PyTorch's rule: its size clipped to the padded input
    (``count_include_pad``) or to the input; a number when all are equal."""
    counts = []
    for size, lead, kernel, step, out in zip(shape[2:], _declared(window), window.kernel,
                                             window.stride, window.out_hw(*shape[2:])):
        start = np.arange(out) * step - lead
        end = np.minimum(start + kernel, size + lead)
        counts.append(end - start if count_include_pad
                      else np.minimum(end, size) - np.maximum(start, 0))
    divisor = (counts[0][:, None] * counts[1][None, :]).astype(dtype)
    return divisor.flat[0] if (divisor == divisor.flat[0]).all() else divisor


def _avg_pool(x: Tensor, window: Window, count_include_pad: bool, divisor_override=None):
    if divisor_override is not None:
        if not isinstance(divisor_override, (int, np.integer)) or divisor_override <= 0:
            raise ValueError(f"avg_pool2d: divisor_override must be a positive int, got "
                             f"{divisor_override!r}")
        divisor = x.dtype.type(divisor_override)
    else:
        divisor = _avg_divisor(x.shape, window, count_include_pad, x.dtype)
    return AvgPool2d.apply(x, window=window, divisor=divisor)


def avg_pool2d(x: Tensor, kernel_size: IntPair, stride: IntPair | None = None,
               padding: IntPair = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """2-D average pooling, NCHW, as PyTorch's ``F.avg_pool2d``: (N, C, H, W) -> (N, C, Ho, Wo).

    ``stride`` defaults to ``kernel_size``; padding is zeros and counts in the mean
    unless ``count_include_pad=False`` (windows that ``ceil_mode`` adds past the
    padding never count it); ``divisor_override`` replaces the window size.
    """
    x = as_tensor(x)
    window = pool_window("avg_pool2d", x.shape, kernel_size, stride, padding, 1, ceil_mode)
    return _avg_pool(x, window, bool(count_include_pad), divisor_override)


def avg_pool1d(x: Tensor, kernel_size: int, stride: int | None = None, padding: int = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """1-D average pooling over (N, C, L), as PyTorch's ``F.avg_pool1d`` (see ``avg_pool2d``)."""
    x = as_tensor(x)
    window = _window_1d("avg_pool1d", x, kernel_size, stride, padding, 1, ceil_mode)
    out = _avg_pool(x.reshape(x.shape[0], x.shape[1], 1, x.shape[2]), window,
                    bool(count_include_pad))
    return _as_1d(out)


# --------------------------------------------------------------------------- adaptive


def adaptive_avg_pool2d(x: Tensor, output_size) -> Tensor:
    """Average over the windows that split (H, W) into ``output_size``, as PyTorch's
    ``F.adaptive_avg_pool2d``: window k spans ``[floor(k*H/Ho), ceil((k+1)*H/Ho))``.

    ``x`` (N, C, H, W) or (C, H, W); ``output_size`` an int or a pair, where None keeps
    that size.
    """
    x = as_tensor(x)
    if x.ndim not in (3, 4):
        raise ValueError(f"adaptive_avg_pool2d: expected a 3-D or 4-D input (N, C, H, W), "
                         f"got shape {x.shape}")
    sizes = (output_size, output_size) if output_size is None or isinstance(
        output_size, (int, np.integer)) else tuple(output_size)
    sizes = tuple(n if s is None else s for s, n in zip(sizes, x.shape[-2:]))
    out = pair(sizes, "output_size", "adaptive_avg_pool2d")
    return _adaptive(x, out, "adaptive_avg_pool2d")


def _adaptive(x: Tensor, out: tuple, op: str) -> Tensor:
    spatial = x.shape[x.ndim - len(out):]
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got dtype {x.dtype}")
    if min(out) <= 0 or min(spatial) <= 0:
        raise ValueError(f"{op}: output_size {out} and the input's sizes {spatial} must be "
                         f"positive (input shape {x.shape})")
    tables = [adaptive_table(n, size) for n, size in zip(spatial, out)]
    return resample(x, tables, x.ndim - len(out))


def adaptive_avg_pool1d(x: Tensor, output_size: int) -> Tensor:
    """Adaptive average pooling over (N, C, L) or (C, L), as ``F.adaptive_avg_pool1d``."""
    x = as_tensor(x)
    if x.ndim not in (2, 3):
        raise ValueError(f"adaptive_avg_pool1d: expected a 2-D or 3-D input (N, C, L), got "
                         f"shape {x.shape}")
    return _adaptive(x, (single(output_size, "output_size", "adaptive_avg_pool1d"),),
                     "adaptive_avg_pool1d")
