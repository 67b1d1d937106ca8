"""Convolution primitives on NCHW arrays, built on im2col; shared window helpers.

``unfold`` (im2col) and ``fold`` (col2im) are linear and each is the other's
adjoint, so every backward here ends in a ``fold`` and every double backward in
an ``unfold``: the family is closed under differentiation. ``conv2d`` is one
fused op (a single large matrix product per call) because it is the hot path.

Shapes: input ``(N, C, H, W)``; kernel ``(kh, kw)``, stride ``(sh, sw)`` and
padding ``(ph, pw)``; output ``Ho = (H + 2 ph - kh) // sh + 1`` (same for W);
columns ``(N, C*kh*kw, Ho*Wo)`` ordered like PyTorch's ``F.unfold``.
"""

from __future__ import annotations

from typing import Union

import numpy as np
from numpy.lib.stride_tricks import as_strided

from autograd.function import Op
from autograd.tensor import Tensor, as_tensor

__all__ = ["conv2d", "unfold", "fold"]

IntPair = Union[int, tuple[int, int]]  # an int, or a (height, width) pair


# --------------------------------------------------------------------------- arguments


def _pair(value, what: str, op: str) -> tuple[int, int]:
    """An int or a pair of ints -> a pair of ints (PyTorch accepts both)."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise TypeError(f"{op}: {what} must be an int or a pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def _geometry(op: str, shape: tuple, kernel_size, stride, padding) -> dict:
    """Check a window geometry against an (N, C, H, W) shape; return the op's parameters."""
    if len(shape) != 4:
        raise ValueError(f"{op}: expected a 4-D input (N, C, H, W), got shape {tuple(shape)}")
    kernel = _pair(kernel_size, "kernel_size", op)
    strides = _pair(stride, "stride", op)
    pads = _pair(padding, "padding", op)
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


def _output_hw(height: int, width: int, kernel, stride, padding) -> tuple[int, int]:
    return ((height + 2 * padding[0] - kernel[0]) // stride[0] + 1,
            (width + 2 * padding[1] - kernel[1]) // stride[1] + 1)


# --------------------------------------------------------------------------- raw arrays


def _pad(x: np.ndarray, padding, value: float = 0.0) -> np.ndarray:
    """Pad the two last axes; one allocation instead of np.pad's general machinery."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    n, c, h, w = x.shape
    padded = np.full((n, c, h + 2 * ph, w + 2 * pw), value, dtype=x.dtype)
    padded[:, :, ph:ph + h, pw:pw + w] = x
    return padded


def _windows(padded: np.ndarray, kernel, stride, out_hw) -> np.ndarray:
    """Read-only view (N, C, kh, kw, Ho, Wo): element [n, c, i, j, y, x] is
    ``padded[n, c, y*sh + i, x*sw + j]``."""
    sn, sc, sy, sx = padded.strides
    shape = padded.shape[:2] + tuple(kernel) + tuple(out_hw)
    strides = (sn, sc, sy, sx, sy * stride[0], sx * stride[1])
    return as_strided(padded, shape, strides, writeable=False)


def _offset_slices(kernel, stride, out_hw):
    """For each kernel offset (i, j): the slices of the padded input that it touches."""
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            yield i, j, (slice(None), slice(None),
                         slice(i, i + stride[0] * (out_hw[0] - 1) + 1, stride[0]),
                         slice(j, j + stride[1] * (out_hw[1] - 1) + 1, stride[1]))


def _unfold_array(x: np.ndarray, kernel, stride, padding) -> np.ndarray:
    """im2col: (N, C, H, W) -> (N, C*kh*kw, Ho*Wo), one contiguous copy."""
    n, c, h, w = x.shape
    out_hw = _output_hw(h, w, kernel, stride, padding)
    cols = np.ascontiguousarray(_windows(_pad(x, padding), kernel, stride, out_hw))
    return cols.reshape(n, c * kernel[0] * kernel[1], out_hw[0] * out_hw[1])


def _add_windows(padded: np.ndarray, cols: np.ndarray, kernel, stride) -> None:
    """Add ``cols`` (A, B, kh, kw, Ho, Wo) into the windows of ``padded`` (A, B, Hp, Wp).

    One strided add per kernel offset (kh*kw of them), each vectorised over the two
    leading axes and all positions; overlapping windows accumulate.
    """
    for i, j, window in _offset_slices(kernel, stride, cols.shape[4:]):
        padded[window] += cols[:, :, i, j]


def _crop(padded: np.ndarray, padding) -> np.ndarray:
    ph, pw = padding
    return padded[:, :, ph:padded.shape[2] - ph, pw:padded.shape[3] - pw]


def _fold_array(cols: np.ndarray, input_shape, kernel, stride, padding) -> np.ndarray:
    """col2im: (N, C*kh*kw, Ho*Wo) (or already (N, C, kh, kw, Ho, Wo)) -> (N, C, H, W)."""
    n, c, h, w = input_shape
    out_hw = _output_hw(h, w, kernel, stride, padding)
    cols = cols.reshape((n, c) + tuple(kernel) + out_hw)
    padded = np.zeros((n, c, h + 2 * padding[0], w + 2 * padding[1]), dtype=cols.dtype)
    _add_windows(padded, cols, kernel, stride)
    return _crop(padded, padding)


# --------------------------------------------------------------------------- unfold / fold


def _unfold_any(x, **params):
    """unfold for an ndarray (raw) or a Tensor (recorded): used inside backward formulas."""
    if isinstance(x, Tensor):
        return Unfold.apply(x, **params)
    return _unfold_array(x, **params)


def _fold_any(cols, input_shape, **params):
    """fold for an ndarray (raw) or a Tensor (recorded): used inside backward formulas."""
    if isinstance(cols, Tensor):
        return Fold.apply(cols, input_shape=tuple(input_shape), **params)
    return _fold_array(cols, input_shape, **params)


class Unfold(Op):
    """im2col, (N, C, H, W) -> (N, C*kh*kw, L). Linear: d/dx unfold(x) . g = fold(g)."""

    name = "unfold"

    @staticmethod
    def forward(ctx, x, kernel, stride, padding):
        ctx.input_shape = x.shape
        ctx.params = {"kernel": kernel, "stride": stride, "padding": padding}
        return _unfold_array(x, kernel, stride, padding)

    @staticmethod
    def backward(ctx, grad):
        return _fold_any(grad, ctx.input_shape, **ctx.params)


class Fold(Op):
    """col2im, (N, C*kh*kw, L) -> (N, C, H, W). Linear: d/dcols fold(cols) . g = unfold(g)."""

    name = "fold"

    @staticmethod
    def forward(ctx, cols, input_shape, kernel, stride, padding):
        ctx.input_shape = input_shape
        ctx.params = {"kernel": kernel, "stride": stride, "padding": padding}
        return _fold_array(cols, input_shape, kernel, stride, padding)

    @staticmethod
    def backward(ctx, grad):
        return _unfold_any(grad, **ctx.params)


def unfold(x: Tensor, kernel_size: IntPair, stride: IntPair = 1, padding: IntPair = 0) -> Tensor:
    """Extract sliding windows (im2col), like PyTorch's ``F.unfold`` without dilation.

    ``x`` (N, C, H, W) -> (N, C*kh*kw, Ho*Wo); column ``l`` holds the window at output
    position ``l`` (row-major), its rows ordered by channel, then kernel row and column.
    """
    x = as_tensor(x)
    return Unfold.apply(x, **_geometry("unfold", x.shape, kernel_size, stride, padding))


def fold(cols: Tensor, output_size: IntPair, kernel_size: IntPair, stride: IntPair = 1,
         padding: IntPair = 0) -> Tensor:
    """Sum sliding windows back into an image (col2im), like PyTorch's ``F.fold``.

    ``cols`` (N, C*kh*kw, L) -> (N, C, H, W) with ``(H, W) = output_size``; values of
    overlapping windows are added. ``fold`` is the adjoint of ``unfold``.
    """
    cols = as_tensor(cols)
    height, width = _pair(output_size, "output_size", "fold")
    kernel = _pair(kernel_size, "kernel_size", "fold")
    if cols.ndim != 3 or cols.shape[1] % (kernel[0] * kernel[1]):
        raise ValueError(
            f"fold: expected columns of shape (N, C*kh*kw, L) with kh*kw = "
            f"{kernel[0] * kernel[1]}, got shape {cols.shape}"
        )
    shape = (cols.shape[0], cols.shape[1] // (kernel[0] * kernel[1]), height, width)
    params = _geometry("fold", shape, kernel, stride, padding)
    blocks = np.prod(_output_hw(height, width, **params))
    if cols.shape[2] != blocks:
        raise ValueError(
            f"fold: output_size {(height, width)} with kernel {kernel} gives {blocks} "
            f"windows, but the columns hold {cols.shape[2]} (shape {cols.shape})"
        )
    return Fold.apply(cols, input_shape=shape, **params)


# --------------------------------------------------------------------------- conv2d


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
        self.kernel, self.stride, self.padding = kernel, stride, padding
        self.out_h, self.out_w = _output_hw(self.h, self.w, kernel, stride, padding)
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


class Conv2d(Op):
    """2-D cross-correlation ``out = W (*) x + b`` with W (O, C, kh, kw), via im2col.

    With ``cols = unfold(x)``: d/dx = fold(W^T g), d/dW = g cols^T, d/db = sum of g over
    (N, Ho, Wo).
    """

    name = "conv2d"

    @staticmethod
    def forward(ctx, x, weight, bias=None, *, kernel, stride, padding):
        layout = _ConvLayout(x.shape, kernel, stride, padding)
        cols = layout.columns(x)
        out = weight.reshape(weight.shape[0], -1) @ cols
        if bias is not None:
            out += bias[:, None]
        ctx.params = {"kernel": kernel, "stride": stride, "padding": padding}
        ctx.layout = layout
        # the columns are only needed for the weight gradient
        needs = ctx.needs_input_grad
        ctx.save_for_backward(x, weight, cols if len(needs) > 1 and needs[1] else None)
        return layout.output(out)

    @staticmethod
    def backward(ctx, grad):
        x, weight, cols = ctx.saved_tensors
        if isinstance(grad, Tensor):
            grads = _conv2d_backward_recorded(ctx, grad, x, weight)
        else:
            grads = _conv2d_backward_arrays(ctx, grad, weight, cols)
        return grads[:len(ctx.needs_input_grad)]


def _conv2d_backward_arrays(ctx, grad, weight, cols):
    needs, layout = ctx.needs_input_grad, ctx.layout
    rows = layout.rows(grad)
    grad_x = grad_weight = grad_bias = None
    if needs[0]:
        grad_x = layout.fold(weight.reshape(weight.shape[0], -1).T @ rows)
    if needs[1]:
        grad_weight = (rows @ cols.T).reshape(weight.shape)
    if len(needs) > 2 and needs[2]:
        grad_bias = rows.sum(axis=1)
    return grad_x, grad_weight, grad_bias


def _conv2d_backward_recorded(ctx, grad, x, weight):
    """The same formulas with recorded ops (``create_graph=True``), in (N, K, L) layout."""
    needs = ctx.needs_input_grad
    n, out_channels = grad.shape[:2]
    grad_rows = grad.reshape(n, out_channels, -1)
    grad_x = grad_weight = grad_bias = None
    if needs[0]:
        grad_cols = weight.reshape(out_channels, -1).T @ grad_rows
        grad_x = _fold_any(grad_cols, x.shape, **ctx.params)
    if needs[1]:
        cols = _unfold_any(x, **ctx.params)
        grad_weight = (grad_rows @ cols.transpose((0, 2, 1))).sum(axis=0).reshape(weight.shape)
    if len(needs) > 2 and needs[2]:
        grad_bias = grad.sum(axis=(0, 2, 3))
    return grad_x, grad_weight, grad_bias


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
    params = _geometry("conv2d", x.shape, weight.shape[2:], stride, padding)
    if x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"conv2d: input has {x.shape[1]} channels (shape {x.shape}) but weight "
            f"{weight.shape} expects {weight.shape[1]}"
        )
    if bias is None:
        return Conv2d.apply(x, weight, **params)
    bias = as_tensor(bias)
    if bias.shape != weight.shape[:1]:
        raise ValueError(f"conv2d: expected bias of shape {weight.shape[:1]}, got {bias.shape}")
    return Conv2d.apply(x, weight, bias, **params)
