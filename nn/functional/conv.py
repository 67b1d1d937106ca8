"""Convolution kernels on NCHW arrays, built on im2col.

Three ops form a family closed under differentiation, so each has one backward
and second derivatives need no more code:

- ``conv2d``:             y = W * x (cross-correlation, as PyTorch), plus a bias;
- ``conv2d_input_grad``:  dx = W^T * g, the gradient of conv2d with respect to x
  (a transposed convolution);
- ``conv2d_weight_grad``: dW = g * x, the gradient with respect to W.

Each is linear in each of its two inputs, and the gradient of each is one of the
three. ``unfold`` (im2col) and ``fold`` (col2im) are linear too, each the other's
adjoint; pooling's backward ends in a ``fold``.

Shapes: input ``(N, C, H, W)``; kernel ``(kh, kw)``, stride ``(sh, sw)``,
padding ``(ph, pw)``; output ``Ho = (H + 2 ph - kh) // sh + 1`` (same for W);
columns ``(N, C*kh*kw, Ho*Wo)`` ordered like PyTorch's ``F.unfold``.
"""

from __future__ import annotations

from typing import Union

import numpy as np
from numpy.lib.stride_tricks import as_strided

from autograd import Op, Tensor
from autograd.ops import dual
from autograd.tensor import as_tensor

__all__ = ["conv2d", "unfold", "fold"]

IntPair = Union[int, tuple[int, int]]  # an int, or a (height, width) pair


# --------------------------------------------------------------------------- arguments


def pair(value, what: str, op: str) -> tuple[int, int]:
    """An int or a pair of ints -> a pair of ints (PyTorch accepts both)."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise TypeError(f"{op}: {what} must be an int or a pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def geometry(op: str, shape: tuple, kernel_size, stride, padding) -> dict:
    """Check a window geometry against an (N, C, H, W) shape; return the op's parameters."""
    if len(shape) != 4:
        raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got shape {tuple(shape)}")
    kernel = pair(kernel_size, "kernel_size", op)
    strides = pair(stride, "stride", op)
    pads = pair(padding, "padding", op)
    if min(kernel) <= 0:
        raise ValueError(f"{op}: kernel_size must be positive, got {kernel}")
    if min(strides) <= 0:
        raise ValueError(f"{op}: stride must be positive, got {strides}")
    if min(pads) < 0:
        raise ValueError(f"{op}: padding must be non-negative, got {pads}")
    padded = (shape[2] + 2 * pads[0], shape[3] + 2 * pads[1])
    if kernel[0] > padded[0] or kernel[1] > padded[1]:
        raise ValueError(
            f"{op}: kernel size {kernel} is larger than the padded input {padded} "
            f"(input shape {tuple(shape)}, padding {pads})"
        )
    return {"kernel": kernel, "stride": strides, "padding": pads}


def output_hw(height: int, width: int, kernel, stride, padding) -> tuple[int, int]:
    """The output height and width of a window geometry."""
    return ((height + 2 * padding[0] - kernel[0]) // stride[0] + 1,
            (width + 2 * padding[1] - kernel[1]) // stride[1] + 1)


# --------------------------------------------------------------------------- raw arrays


def pad_array(x: np.ndarray, padding, value: float = 0.0) -> np.ndarray:
    """Pad the two last axes; one allocation instead of np.pad's general machinery."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    n, c, h, w = x.shape
    padded = np.full((n, c, h + 2 * ph, w + 2 * pw), value, dtype=x.dtype)
    padded[:, :, ph:ph + h, pw:pw + w] = x
    return padded


def offset_slices(kernel, stride, out_hw):
    """For each kernel offset (i, j): the slices of the padded input that it touches."""
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            yield i, j, (slice(None), slice(None),
                         slice(i, i + stride[0] * (out_hw[0] - 1) + 1, stride[0]),
                         slice(j, j + stride[1] * (out_hw[1] - 1) + 1, stride[1]))


def crop(padded: np.ndarray, padding) -> np.ndarray:
    """Undo ``pad_array``."""
    ph, pw = padding
    return padded[:, :, ph:padded.shape[2] - ph, pw:padded.shape[3] - pw]


def _unfold_array(x: np.ndarray, kernel, stride, padding) -> np.ndarray:
    """im2col: (N, C, H, W) -> (N, C*kh*kw, Ho*Wo), one contiguous copy."""
    n, c, h, w = x.shape
    out_hw = output_hw(h, w, kernel, stride, padding)
    padded = pad_array(x, padding)
    sn, sc, sy, sx = padded.strides
    windows = as_strided(padded, (n, c) + tuple(kernel) + out_hw,
                         (sn, sc, sy, sx, sy * stride[0], sx * stride[1]), writeable=False)
    return np.ascontiguousarray(windows).reshape(n, c * kernel[0] * kernel[1], -1)


def _fold_array(cols: np.ndarray, input_shape, kernel, stride, padding) -> np.ndarray:
    """col2im: (N, C*kh*kw, Ho*Wo) (or already (N, C, kh, kw, Ho, Wo)) -> (N, C, H, W).

    One strided add per kernel offset, vectorised over everything else;
    overlapping windows accumulate.
    """
    n, c, h, w = input_shape
    out_hw = output_hw(h, w, kernel, stride, padding)
    cols = cols.reshape((n, c) + tuple(kernel) + out_hw)
    padded = np.zeros((n, c, h + 2 * padding[0], w + 2 * padding[1]), dtype=cols.dtype)
    for i, j, window in offset_slices(kernel, stride, out_hw):
        padded[window] += cols[:, :, i, j]
    return crop(padded, padding)


class _ConvLayout:
    """Memory layout of the fast conv path: channel-major columns over a padded buffer.

    Columns are (C*kh*kw, N*Ho*We): with the batch inside the columns, the forward
    pass and both gradients are each one large matrix product. For stride 1 every
    output row is computed ``We = Wp`` wide (the padded width) instead of ``Wo``:
    the last ``kw - 1`` columns are junk, but then consecutive rows of a window are
    contiguous in memory, so im2col and col2im move long runs instead of rows of
    ``Wo`` elements. A spare row at the bottom of the padded buffer absorbs the
    junk columns' reads and writes past the last row.
    """

    def __init__(self, input_shape, kernel, stride, padding) -> None:
        self.n, self.c, self.h, self.w = input_shape
        self.kernel, self.stride, self.padding = tuple(kernel), stride, padding
        self.out_h, self.out_w = output_hw(self.h, self.w, self.kernel, stride, padding)
        self.buffer_hw = (self.h + 2 * padding[0] + 1, self.w + 2 * padding[1])
        self.row_w = self.buffer_hw[1] if stride == (1, 1) else self.out_w

    def _view(self, buffer: np.ndarray, shape, order, writeable: bool) -> np.ndarray:
        """(kernel row i, kernel column j, y, x) -> ``buffer[..., y*sh + i, x*sw + j]``."""
        outer = buffer.strides[:2]
        step_y, step_x = buffer.strides[2:]
        strides = {"i": step_y, "j": step_x, "y": step_y * self.stride[0],
                   "x": step_x * self.stride[1]}
        return as_strided(buffer, shape, outer + tuple(strides[axis] for axis in order),
                          writeable=writeable)

    def columns(self, x: np.ndarray) -> np.ndarray:
        """im2col: (N, C, H, W) -> (C*kh*kw, N*Ho*We), one padded copy and one gather."""
        (ph, pw), (kh, kw) = self.padding, self.kernel
        buffer = np.zeros((self.n, self.c) + self.buffer_hw, dtype=x.dtype)
        buffer[:, :, ph:ph + self.h, pw:pw + self.w] = x
        windows = self._view(buffer, (self.n, self.c, kh, kw, self.out_h, self.row_w),
                             "ijyx", writeable=False)
        cols = np.ascontiguousarray(windows.transpose(1, 2, 3, 0, 4, 5))
        return cols.reshape(self.c * kh * kw, -1)

    def rows(self, grad: np.ndarray) -> np.ndarray:
        """(N, O, Ho, Wo) -> (O, N*Ho*We), zeros in the junk columns."""
        channels = grad.shape[1]
        if self.row_w == self.out_w:
            return grad.transpose(1, 0, 2, 3).reshape(channels, -1)
        rows = np.zeros((channels, self.n, self.out_h, self.row_w), dtype=grad.dtype)
        rows[..., :self.out_w] = grad.transpose(1, 0, 2, 3)
        return rows.reshape(channels, -1)

    def output(self, rows: np.ndarray) -> np.ndarray:
        """(O, N*Ho*We) -> (N, O, Ho, Wo), a view without the junk columns."""
        rows = rows.reshape(-1, self.n, self.out_h, self.row_w)
        return rows[..., :self.out_w].transpose(1, 0, 2, 3)

    def fold(self, cols: np.ndarray) -> np.ndarray:
        """col2im of ``columns`` (junk columns must be zero): -> (N, C, H, W).

        One strided add per kernel offset; the result is a (N, C, H, W) view of a
        (C, N, H, W) buffer, which saves a transpose.
        """
        (ph, pw), (kh, kw) = self.padding, self.kernel
        cols = cols.reshape(self.c, kh, kw, self.n, self.out_h, self.row_w)
        buffer = np.zeros((self.c, self.n) + self.buffer_hw, dtype=cols.dtype)
        for i in range(kh):
            for j in range(kw):
                window = self._view(buffer[:, :, i:, j:], (self.c, self.n, self.out_h,
                                                           self.row_w), "yx", writeable=True)
                window += cols[:, i, j]
        return buffer[:, :, ph:ph + self.h, pw:pw + self.w].transpose(1, 0, 2, 3)


def _conv_array(x, weight, stride, padding, bias=None):
    """``(out, cols)``: the convolution and the im2col columns it multiplied."""
    layout = _ConvLayout(x.shape, weight.shape[2:], stride, padding)
    cols = layout.columns(x)
    rows = weight.reshape(weight.shape[0], -1) @ cols
    if bias is not None:
        rows += bias[:, None]
    return layout.output(rows), cols


def _input_grad_array(g, weight, input_shape, stride, padding):
    layout = _ConvLayout(input_shape, weight.shape[2:], stride, padding)
    return layout.fold(weight.reshape(weight.shape[0], -1).T @ layout.rows(g))


def _weight_grad_array(x, g, weight_shape, stride, padding, cols=None):
    layout = _ConvLayout(x.shape, weight_shape[2:], stride, padding)
    if cols is None:
        cols = layout.columns(x)
    return (layout.rows(g) @ cols.T).reshape(weight_shape)


# --------------------------------------------------------------------------- the conv family


class Conv2d(Op):
    """y = W * x + b; d/dx = conv2d_input_grad(g, W), d/dW = conv2d_weight_grad(x, g),
    d/db = sum of g over (N, Ho, Wo)"""

    def forward(ctx, x, weight, bias=None, *, stride, padding):
        out, cols = _conv_array(x, weight, stride, padding, bias)
        ctx.stride, ctx.padding = stride, padding
        needs = ctx.needs_input_grad
        ctx.cols = cols if len(needs) > 1 and needs[1] else None  # for the weight gradient
        return out

    def backward(ctx, grad, x, weight):
        needs = ctx.needs_input_grad
        grad_x = grad_weight = grad_bias = None
        if needs[0]:
            grad_x = input_grad(grad, weight, x.shape, ctx.stride, ctx.padding)
        if needs[1]:
            grad_weight = weight_grad(x, grad, weight.shape, ctx.stride, ctx.padding, ctx.cols)
        if len(needs) == 3 and needs[2]:
            grad_bias = grad.sum(axis=(0, 2, 3))
        return (grad_x, grad_weight, grad_bias)[:len(needs)]


class Conv2dInputGrad(Op):
    """dx = W^T * g (shape input_shape); with u the incoming gradient:
    d/dg = conv2d(u, W), d/dW = conv2d_weight_grad(u, g)"""

    def forward(ctx, g, weight, *, input_shape, stride, padding):
        ctx.stride, ctx.padding = stride, padding
        return _input_grad_array(g, weight, input_shape, stride, padding)

    def backward(ctx, grad, g, weight):
        need_g, need_weight = ctx.needs_input_grad
        grad_g = convolve(grad, weight, ctx.stride, ctx.padding) if need_g else None
        grad_weight = (weight_grad(grad, g, weight.shape, ctx.stride, ctx.padding)
                       if need_weight else None)
        return grad_g, grad_weight


class Conv2dWeightGrad(Op):
    """dW = g * x (shape weight_shape); with V the incoming gradient:
    d/dx = conv2d_input_grad(g, V), d/dg = conv2d(x, V)"""

    def forward(ctx, x, g, *, weight_shape, stride, padding):
        ctx.stride, ctx.padding = stride, padding
        return _weight_grad_array(x, g, weight_shape, stride, padding)

    def backward(ctx, grad, x, g):
        need_x, need_g = ctx.needs_input_grad
        grad_x = input_grad(g, grad, x.shape, ctx.stride, ctx.padding) if need_x else None
        grad_g = convolve(x, grad, ctx.stride, ctx.padding) if need_g else None
        return grad_x, grad_g


# The family as dual functions, for backward formulas.
convolve = dual.function(
    lambda x, weight, stride, padding: _conv_array(x, weight, stride, padding)[0],
    lambda x, weight, stride, padding: Conv2d.apply(x, weight, stride=stride, padding=padding),
    "convolve")
input_grad = dual.function(
    _input_grad_array,
    lambda g, weight, input_shape, stride, padding: Conv2dInputGrad.apply(
        g, weight, input_shape=tuple(input_shape), stride=stride, padding=padding),
    "conv2d_input_grad")
weight_grad = dual.function(
    _weight_grad_array,
    lambda x, g, weight_shape, stride, padding, cols=None: Conv2dWeightGrad.apply(
        x, g, weight_shape=tuple(weight_shape), stride=stride, padding=padding),
    "conv2d_weight_grad")


# --------------------------------------------------------------------------- unfold / fold


class Unfold(Op):
    """im2col, (N, C, H, W) -> (N, C*kh*kw, L). Linear: d/dx unfold(x) . g = fold(g)."""

    def forward(ctx, x, kernel, stride, padding):
        ctx.input_shape = x.shape
        ctx.params = {"kernel": kernel, "stride": stride, "padding": padding}
        return _unfold_array(x, kernel, stride, padding)

    def backward(ctx, grad):
        return fold_any(grad, ctx.input_shape, **ctx.params)


class Fold(Op):
    """col2im, (N, C*kh*kw, L) -> (N, C, H, W). Linear: d/dcols fold(cols) . g = unfold(g)."""

    def forward(ctx, cols, input_shape, kernel, stride, padding):
        ctx.params = {"kernel": kernel, "stride": stride, "padding": padding}
        return _fold_array(cols, input_shape, kernel, stride, padding)

    def backward(ctx, grad):
        return unfold_any(grad, **ctx.params)


unfold_any = dual.function(
    _unfold_array, lambda x, **params: Unfold.apply(x, **params), "unfold")
fold_any = dual.function(
    _fold_array,
    lambda cols, input_shape, **params: Fold.apply(
        cols.reshape((input_shape[0], -1, cols.shape[-2] * cols.shape[-1]) if cols.ndim == 6
                     else cols.shape),
        input_shape=tuple(input_shape), **params),
    "fold")


# --------------------------------------------------------------------------- public functions


def unfold(x: Tensor, kernel_size: IntPair, stride: IntPair = 1, padding: IntPair = 0) -> Tensor:
    """Extract sliding windows (im2col), like PyTorch's ``F.unfold`` without dilation.

    ``x`` (N, C, H, W) -> (N, C*kh*kw, Ho*Wo); column ``l`` holds the window at output
    position ``l`` (row-major), its rows ordered by channel, then kernel row and column.
    """
    x = as_tensor(x)
    return Unfold.apply(x, **geometry("unfold", x.shape, kernel_size, stride, padding))


def fold(cols: Tensor, output_size: IntPair, kernel_size: IntPair, stride: IntPair = 1,
         padding: IntPair = 0) -> Tensor:
    """Sum sliding windows back into an image (col2im), like PyTorch's ``F.fold``.

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
    params = geometry("fold", shape, kernel, stride, padding)
    blocks = np.prod(output_hw(height, width, **params))
    if cols.shape[2] != blocks:
        raise ValueError(
            f"fold: output_size {(height, width)} with kernel {kernel} gives {blocks} "
            f"windows, but the columns hold {cols.shape[2]} (shape {cols.shape})"
        )
    return Fold.apply(cols, input_shape=shape, **params)


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntPair = 1,
           padding: IntPair = 0) -> Tensor:
    """2-D convolution (cross-correlation, as PyTorch), NCHW.

    ``x`` (N, C, H, W), ``weight`` (O, C, kh, kw), ``bias`` (O,) or None;
    returns (N, O, Ho, Wo) with ``Ho = (H + 2*ph - kh) // sh + 1``.
    ``stride`` and ``padding`` are ints or (height, width) pairs; padding is zeros.
    """
    x, weight = as_tensor(x), as_tensor(weight)
    if weight.ndim != 4:
        raise ValueError(
            f"conv2d: expected weight of shape (out_channels, in_channels, kh, kw), "
            f"got {weight.shape}"
        )
    params = geometry("conv2d", x.shape, weight.shape[2:], stride, padding)
    if x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"conv2d: input has {x.shape[1]} channels (shape {x.shape}) but weight "
            f"{weight.shape} expects {weight.shape[1]}"
        )
    geometry_args = {"stride": params["stride"], "padding": params["padding"]}
    if bias is None:
        return Conv2d.apply(x, weight, **geometry_args)
    bias = as_tensor(bias, like=x)
    if bias.shape != weight.shape[:1]:
        raise ValueError(f"conv2d: expected bias of shape {weight.shape[:1]}, got {bias.shape}")
    return Conv2d.apply(x, weight, bias, **geometry_args)
