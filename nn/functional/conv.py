"""Convolution ops on NCHW tensors (their array kernels: ``conv_arrays.py``), ``unfold``, ``fold``.

Three ops form a family closed under differentiation, so each has one backward
and second derivatives need no more code:

- ``conv2d``:             y = W * x (cross-correlation, as PyTorch), plus a bias;
- ``conv_transpose2d``:   x = W^T * y, the gradient of conv2d with respect to its input,
  and PyTorch's transposed convolution;
- ``conv2d_weight_grad``: dW = g * x, the gradient of conv2d with respect to W.

Each is linear in each of its two inputs, and the gradient of each is one of the
three. All take the same ``Window`` (kernel, stride, dilation, padding per side:
``windows.py``) and ``groups``: the channels split into ``groups`` blocks, block g
of the output seeing only block g of the input (``groups = C``: depthwise).
``conv1d`` is ``conv2d`` over a height of 1.

``unfold`` (im2col) and ``fold`` (col2im) are linear too, each the other's
adjoint; pooling's backward ends in a ``fold``.

Weights: conv2d (O, C/groups, kh, kw); conv_transpose2d (C_in, C_out/groups, kh, kw),
which is the weight of the conv2d it is the gradient of.
"""

from __future__ import annotations

import numpy as np

from autograd import Op, Tensor
from autograd.ops import dual
from autograd.tensor import as_tensor
from nn.functional.conv_arrays import conv_array, layout_for, transpose_array, weight_grad_array
from nn.functional.windows import IntPair, fold_array, make_window, pair, single, unfold_array

__all__ = ["conv1d", "conv2d", "conv_transpose2d", "unfold", "fold"]


# --------------------------------------------------------------------------- the conv family


class Conv2d(Op):
    """y = W * x + b; d/dx = conv_transpose2d(g, W), d/dW = conv2d_weight_grad(x, g),
    d/db = sum of g over (N, Ho, Wo)"""

    def forward(ctx, x, weight, bias=None, *, window, groups):
        out, cols = conv_array(x, weight, window, groups, bias)
        ctx.window, ctx.groups = window, groups
        needs = ctx.needs_input_grad
        ctx.cols = cols if len(needs) > 1 and needs[1] else None  # for the weight gradient
        return out

    def backward(ctx, grad, x, weight):
        needs = ctx.needs_input_grad
        grad_x = grad_weight = grad_bias = None
        rows = None  # the gradient laid out for both products, made once
        if needs[0] and needs[1] and not dual.recorded(grad):
            rows = layout_for(x.shape, ctx.window, ctx.groups, weight.shape).rows(grad)
        if needs[0]:
            grad_x = transpose(grad, weight, x.shape, ctx.window, ctx.groups, rows)
        if needs[1]:
            grad_weight = weight_grad(x, grad, weight.shape, ctx.window, ctx.groups, ctx.cols,
                                      rows)
        if len(needs) == 3 and needs[2]:
            grad_bias = grad.sum(axis=(0, 2, 3))
        return (grad_x, grad_weight, grad_bias)[:len(needs)]


class ConvTranspose2d(Op):
    """x = W^T * y (shape input_shape); with u the incoming gradient:
    d/dy = conv2d(u, W), d/dW = conv2d_weight_grad(u, y)"""

    def forward(ctx, y, weight, *, input_shape, window, groups):
        ctx.window, ctx.groups = window, groups
        return transpose_array(y, weight, input_shape, window, groups)

    def backward(ctx, grad, y, weight):
        need_y, need_weight = ctx.needs_input_grad
        grad_y = convolve(grad, weight, ctx.window, ctx.groups) if need_y else None
        grad_weight = (weight_grad(grad, y, weight.shape, ctx.window, ctx.groups)
                       if need_weight else None)
        return grad_y, grad_weight


class Conv2dWeightGrad(Op):
    """dW = g * x (shape weight_shape); with V the incoming gradient:
    d/dx = conv_transpose2d(g, V), d/dg = conv2d(x, V)"""

    def forward(ctx, x, g, *, weight_shape, window, groups):
        ctx.window, ctx.groups = window, groups
        return weight_grad_array(x, g, weight_shape, window, groups)

    def backward(ctx, grad, x, g):
        need_x, need_g = ctx.needs_input_grad
        grad_x = transpose(g, grad, x.shape, ctx.window, ctx.groups) if need_x else None
        grad_g = convolve(x, grad, ctx.window, ctx.groups) if need_g else None
        return grad_x, grad_g


# The family as dual functions, for backward formulas.
convolve = dual.function(
    lambda x, weight, window, groups: conv_array(x, weight, window, groups)[0],
    lambda x, weight, window, groups: Conv2d.apply(x, weight, window=window, groups=groups),
    "convolve")
transpose = dual.function(
    transpose_array,
    lambda y, weight, input_shape, window, groups, rows=None: ConvTranspose2d.apply(
        y, weight, input_shape=tuple(input_shape), window=window, groups=groups),
    "conv_transpose2d")
weight_grad = dual.function(
    weight_grad_array,
    lambda x, g, weight_shape, window, groups, cols=None, rows=None: Conv2dWeightGrad.apply(
        x, g, weight_shape=tuple(weight_shape), window=window, groups=groups),
    "conv2d_weight_grad")


# --------------------------------------------------------------------------- unfold / fold


class Unfold(Op):
    """im2col, (N, C, H, W) -> (N, C*kh*kw, L). Linear: d/dx unfold(x) . g = fold(g)."""

    def forward(ctx, x, window):
        ctx.input_shape, ctx.window = x.shape, window
        return unfold_array(x, window)

    def backward(ctx, grad):
        return fold_any(grad, ctx.input_shape, ctx.window)


class Fold(Op):
    """col2im, (N, C*kh*kw, L) -> (N, C, H, W). Linear: d/dcols fold(cols) . g = unfold(g)."""

    def forward(ctx, cols, input_shape, window):
        ctx.window = window
        return fold_array(cols, input_shape, window)

    def backward(ctx, grad):
        return unfold_any(grad, ctx.window)


unfold_any = dual.function(
    unfold_array, lambda x, window: Unfold.apply(x, window=window), "unfold")
fold_any = dual.function(
    fold_array,
    lambda cols, input_shape, window: Fold.apply(
        cols.reshape((input_shape[0], -1, cols.shape[-2] * cols.shape[-1]) if cols.ndim == 6
                     else cols.shape),
        input_shape=tuple(input_shape), window=window),
    "fold")


# --------------------------------------------------------------------------- public functions


def unfold(x: Tensor, kernel_size: IntPair, dilation: IntPair = 1, padding: IntPair = 0,
           stride: IntPair = 1) -> Tensor:
    """Extract sliding windows (im2col), as PyTorch's ``F.unfold`` (same argument order).

    ``x`` (N, C, H, W) -> (N, C*kh*kw, Ho*Wo); column ``l`` holds the window at output
    position ``l`` (row-major), its rows ordered by channel, then kernel row and column.
    """
    x = as_tensor(x)
    return Unfold.apply(x, window=make_window("unfold", x.shape, kernel_size, stride, padding,
                                              dilation))


def fold(cols: Tensor, output_size: IntPair, kernel_size: IntPair, dilation: IntPair = 1,
         padding: IntPair = 0, stride: IntPair = 1) -> Tensor:
    """Sum sliding windows back into an image (col2im), as PyTorch's ``F.fold``.

    ``cols`` (N, C*kh*kw, L) -> (N, C, H, W) with ``(H, W) = output_size``; values of
    overlapping windows are added. ``fold`` is the adjoint of ``unfold``.
    """
    cols = as_tensor(cols)
    height, width = pair(output_size, "output_size", "fold")
    kernel = pair(kernel_size, "kernel_size", "fold")
    if cols.ndim != 3 or cols.shape[1] % (kernel[0] * kernel[1]):
        raise ValueError(
            f"fold: expected columns of shape (N, C*kh*kw, L) with kh*kw = "
            f"{kernel[0] * kernel[1]}, got shape {cols.shape}"
        )
    shape = (cols.shape[0], cols.shape[1] // (kernel[0] * kernel[1]), height, width)
    window = make_window("fold", shape, kernel, stride, padding, dilation)
    blocks = int(np.prod(window.out_hw(height, width)))
    if cols.shape[2] != blocks:
        raise ValueError(
            f"fold: output_size {(height, width)} with kernel {kernel} gives {blocks} "
            f"windows, but the columns hold {cols.shape[2]} (shape {cols.shape})"
        )
    return Fold.apply(cols, input_shape=shape, window=window)


def _groups(op: str, groups) -> int:
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups <= 0:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    return int(groups)


def same_padding(op: str, kernel: tuple, stride: tuple, dilation: tuple) -> tuple:
    """PyTorch's ``padding="same"``: ``d*(k - 1)`` in all, the odd one at the end."""
    if any(s != 1 for s in stride):
        raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return tuple((size // 2, size - size // 2) for size in total)


def conv_padding(op: str, padding, kernel: tuple, stride, dilation):
    """``padding`` as ints/pairs or per side; the strings ``"valid"`` and ``"same"`` resolved."""
    if not isinstance(padding, str):
        return padding
    if padding == "valid":
        return ((0, 0), (0, 0))
    if padding == "same":
        return same_padding(op, kernel, pair(stride, "stride", op), pair(dilation, "dilation", op))
    raise ValueError(f"{op}: invalid padding string {padding!r}, should be 'same' or 'valid'")


def _check_channels(op: str, x: Tensor, weight: Tensor, groups: int) -> None:
    if x.shape[1] != weight.shape[1] * groups:
        expects = f"{weight.shape[1]}" if groups == 1 else (
            f"{weight.shape[1]} * groups={groups} = {weight.shape[1] * groups}")
        raise ValueError(f"{op}: input has {x.shape[1]} channels (shape {x.shape}) but weight "
                         f"{weight.shape} expects {expects}")
    if weight.shape[0] % groups:
        raise ValueError(f"{op}: weight {weight.shape} has {weight.shape[0]} output channels, "
                         f"which is not divisible by groups={groups}")


def _bias(op: str, bias, like: Tensor, channels: int) -> Tensor:
    bias = as_tensor(bias, like=like)
    if bias.shape != (channels,):
        raise ValueError(f"{op}: expected bias of shape ({channels},), got {bias.shape}")
    return bias


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntPair = 1,
           padding: IntPair | str = 0, dilation: IntPair = 1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation, as PyTorch's ``F.conv2d``), NCHW.

    ``x`` (N, C, H, W), ``weight`` (O, C/groups, kh, kw), ``bias`` (O,) or None;
    returns (N, O, Ho, Wo) with ``Ho = (H + 2*ph - dh*(kh - 1) - 1) // sh + 1``.
    ``stride``, ``padding`` and ``dilation`` are ints or (height, width) pairs;
    ``padding`` may also be ``"valid"`` (none) or ``"same"`` (output size = input
    size, stride 1 only). Padding is zeros.
    """
    x, weight = as_tensor(x), as_tensor(weight)
    return _conv2d("conv2d", x, weight, bias, stride, padding, dilation, groups)


def _conv2d(op: str, x: Tensor, weight: Tensor, bias, stride, padding, dilation,
            groups) -> Tensor:
    if weight.ndim != 4:
        raise ValueError(f"{op}: expected weight of shape (out_channels, in_channels/groups, "
                         f"kh, kw), got {weight.shape}")
    groups = _groups(op, groups)
    padding = conv_padding(op, padding, weight.shape[2:], stride, dilation)
    window = make_window(op, x.shape, weight.shape[2:], stride, padding, dilation)
    _check_channels(op, x, weight, groups)
    if bias is None:
        return Conv2d.apply(x, weight, window=window, groups=groups)
    bias = _bias(op, bias, x, weight.shape[0])
    return Conv2d.apply(x, weight, bias, window=window, groups=groups)


def conv1d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int = 1,
           padding: int | str = 0, dilation: int = 1, groups: int = 1) -> Tensor:
    """1-D convolution, as PyTorch's ``F.conv1d``: a ``conv2d`` over a height of 1.

    ``x`` (N, C, L), ``weight`` (O, C/groups, k), ``bias`` (O,) or None; returns
    (N, O, Lo) with ``Lo = (L + 2*padding - dilation*(k - 1) - 1) // stride + 1``.
    ``padding`` is an int, ``"valid"`` or ``"same"``.
    """
    op = "conv1d"
    x, weight = as_tensor(x), as_tensor(weight)
    if x.ndim != 3:
        raise ValueError(f"{op}: expected a 3-D input (N, C, L), got shape {x.shape}")
    if weight.ndim != 3:
        raise ValueError(f"{op}: expected weight of shape (out_channels, in_channels/groups, "
                         f"k), got {weight.shape}")
    stride, dilation = single(stride, "stride", op), single(dilation, "dilation", op)
    if isinstance(padding, str):
        padding = conv_padding(op, padding, (1,) + weight.shape[2:], (1, stride),
                               (1, dilation))[1]
    else:
        padding = (single(padding, "padding", op),) * 2
    if stride <= 0 or dilation <= 0 or padding[0] < 0:
        raise ValueError(f"{op}: stride and dilation must be positive and padding "
                         f"non-negative, got stride {stride}, dilation {dilation}, "
                         f"padding {padding[0]}")
    n, c, length = x.shape
    o, c_group, k = weight.shape
    if dilation * (k - 1) + 1 > length + sum(padding):
        raise ValueError(f"{op}: kernel size {k} (dilation {dilation}) is larger than the "
                         f"padded input {length + sum(padding)} (input shape {x.shape})")
    out = _conv2d(op, x.reshape(n, c, 1, length), weight.reshape(o, c_group, 1, k), bias,
                  (1, stride), ((0, 0), padding), (1, dilation), groups)
    return out.reshape(n, o, out.shape[3])


def transpose_output_size(op: str, in_hw, window_args: dict, output_padding) -> tuple:
    """The output (H, W) of a transposed convolution; checks ``output_padding``."""
    kernel, stride, padding, dilation = (window_args[key] for key in
                                         ("kernel", "stride", "padding", "dilation"))
    extra = pair(output_padding, "output_padding", op)
    for e, s, d in zip(extra, stride, dilation):
        if e < 0 or (e >= s and e >= d):
            raise ValueError(f"{op}: output_padding must be non-negative and smaller than "
                             f"either stride or dilation, got output_padding {extra}, stride "
                             f"{stride}, dilation {dilation}")
    size = tuple((n - 1) * s - 2 * p + d * (k - 1) + e + 1
                 for n, s, p, d, k, e in zip(in_hw, stride, padding, dilation, kernel, extra))
    if min(size) <= 0:
        raise ValueError(f"{op}: the output size {size} is too small (input size "
                         f"{tuple(in_hw)}, padding {padding})")
    return size, extra


def conv_transpose2d(x: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: IntPair = 1, padding: IntPair = 0, output_padding: IntPair = 0,
                     groups: int = 1, dilation: IntPair = 1) -> Tensor:
    """2-D transposed convolution, as PyTorch's ``F.conv_transpose2d``: the gradient of
    ``conv2d`` with respect to its input, applied forward.

    ``x`` (N, C_in, H, W), ``weight`` (C_in, C_out/groups, kh, kw), ``bias`` (C_out,);
    returns (N, C_out, Ho, Wo) with ``Ho = (H - 1)*sh - 2*ph + dh*(kh - 1) + oph + 1``.
    ``output_padding`` (smaller than the stride or the dilation) adds rows and columns
    at the end that no window reaches (only the bias).
    """
    op = "conv_transpose2d"
    x, weight = as_tensor(x), as_tensor(weight)
    if x.ndim != 4:
        raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got shape {x.shape}")
    if weight.ndim != 4:
        raise ValueError(f"{op}: expected weight of shape (in_channels, out_channels/groups, "
                         f"kh, kw), got {weight.shape}")
    groups = _groups(op, groups)
    if x.shape[1] != weight.shape[0] or weight.shape[0] % groups:
        raise ValueError(f"{op}: input has {x.shape[1]} channels (shape {x.shape}); weight "
                         f"{weight.shape} expects {weight.shape[0]}, divisible by "
                         f"groups={groups}")
    args = {"kernel": weight.shape[2:], "stride": pair(stride, "stride", op),
            "padding": pair(padding, "padding", op), "dilation": pair(dilation, "dilation", op)}
    if min(args["stride"]) <= 0 or min(args["dilation"]) <= 0 or min(args["padding"]) < 0:
        raise ValueError(f"{op}: stride and dilation must be positive and padding "
                         f"non-negative, got stride {args['stride']}, dilation "
                         f"{args['dilation']}, padding {args['padding']}")
    out_hw, extra = transpose_output_size(op, x.shape[2:], args, output_padding)
    out_shape = (x.shape[0], weight.shape[1] * groups) + out_hw
    # The rows output_padding adds lie past every window: a trailing padding of p - extra.
    sides = tuple((p, p - e) for p, e in zip(args["padding"], extra))
    window = make_window(op, out_shape, args["kernel"], args["stride"], sides, args["dilation"])
    out = ConvTranspose2d.apply(x, weight, input_shape=out_shape, window=window, groups=groups)
    if bias is None:
        return out
    return out + _bias(op, bias, x, out_shape[1]).reshape(1, -1, 1, 1)
