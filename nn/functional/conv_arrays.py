"""The convolutions on raw arrays: what the ops of ``conv.py`` compute.

Two layouts (``windows.py``): im2col columns (``ConvLayout``), multiplied group by
group with one matrix product each; and, for depthwise convolutions at stride 1
(one input channel per group), channel planes end to end (``PlaneLayout``), where
each kernel offset is one multiply-add of a shifted run: no im2col copy, and the
passes go block of channels by block, so that a block's runs stay in the CPU's cache.

- ``conv_array``: y = W * x (+ b), and the columns or planes it read;
- ``transpose_array``: x = W^T * g (conv2d's input gradient, the transposed convolution);
- ``weight_grad_array``: dW = g * x.

Weights are (O, C/groups, kh, kw); output channel o sees the input channels of its group.
"""

from __future__ import annotations

import numpy as np

from nn.functional.windows import ConvLayout, PlaneLayout, Window


def _per_group(a: np.ndarray, b: np.ndarray, groups: int) -> np.ndarray:
    """``a[g] @ b[g]`` for each group of a (G, P, Q) and b (G, Q, R) -> (G*P, R)."""
    if groups == 1:
        return a[0] @ b[0]
    return (a @ b).reshape(-1, b.shape[-1])


def _depthwise(window: Window, groups: int, weight_shape) -> bool:
    """One input channel per group, stride 1: the direct kernels below beat im2col."""
    return groups > 1 and weight_shape[1] == 1 and window.stride == (1, 1)


def layout_for(input_shape, window: Window, groups: int, weight_shape):
    """The layout a convolution of this geometry uses: ``PlaneLayout`` or ``ConvLayout``."""
    if _depthwise(window, groups, weight_shape):
        return PlaneLayout(input_shape, window)
    return ConvLayout(input_shape, window)


def conv_array(x, weight, window: Window, groups: int, bias=None):
    """``(out, cols)``: the convolution and the im2col columns (or planes) it multiplied."""
    layout = layout_for(x.shape, window, groups, weight.shape)
    if isinstance(layout, PlaneLayout):
        cols = layout.planes(x)
        rows = _depthwise_rows(cols, weight, layout)
    else:
        cols = layout.columns(x)
        rows = _per_group(weight.reshape(groups, weight.shape[0] // groups, -1),
                          cols.reshape(groups, -1, cols.shape[1]), groups)
    if bias is not None:
        rows += bias[:, None]
    return layout.output(rows), cols


def transpose_array(g, weight, input_shape, window: Window, groups: int, rows=None):
    """``rows``: the layout's rows of ``g``, when the caller already made them."""
    layout = layout_for(input_shape, window, groups, weight.shape)
    rows = layout.rows(g) if rows is None else rows
    if isinstance(layout, PlaneLayout):
        return _depthwise_transpose(rows, weight, layout)
    matrices = weight.reshape(groups, weight.shape[0] // groups, -1).transpose(0, 2, 1)
    return layout.fold(_per_group(matrices, rows.reshape(groups, -1, rows.shape[1]), groups))


def weight_grad_array(x, g, weight_shape, window: Window, groups: int, cols=None, rows=None):
    """``cols``, ``rows``: the layout's columns of ``x`` and rows of ``g``, when known."""
    layout = layout_for(x.shape, window, groups, weight_shape)
    rows = layout.rows(g) if rows is None else rows
    if isinstance(layout, PlaneLayout):
        planes = layout.planes(x) if cols is None else cols
        return _depthwise_weight_grad(planes, rows, weight_shape, layout)
    if cols is None:
        cols = layout.columns(x)
    columns = cols.reshape(groups, -1, cols.shape[1]).transpose(0, 2, 1)
    return _per_group(rows.reshape(groups, -1, rows.shape[1]), columns,
                      groups).reshape(weight_shape)


# Depthwise: output channel o = c*m + j sees input channel c only (m = O/C).

_BLOCK_VALUES = 1 << 18  # about 1 MB of float32 per pass


def _channel_blocks(layout: PlaneLayout):
    step = max(1, _BLOCK_VALUES // layout.size)
    return [slice(start, start + step) for start in range(0, layout.c, step)]


def _offset_scales(weight, channels: int) -> np.ndarray:
    """(K, C, m): per kernel offset, each channel's m weights (contiguous, for fast broadcasts)."""
    multiplier = weight.shape[0] // channels
    return np.ascontiguousarray(weight.reshape(channels, multiplier, -1).transpose(2, 0, 1))


def _depthwise_rows(planes, weight, layout: PlaneLayout):
    """(O, N*Hp*Wp): sum over kernel offsets k of weight[o, 0, k] * planes shifted by k."""
    scales = _offset_scales(weight, layout.c)
    multiplier = scales.shape[2]
    out = np.empty((layout.c, multiplier, layout.size), np.result_type(planes, weight))
    for block in _channel_blocks(layout):
        target, term = out[block], np.empty_like(out[block])
        if multiplier == 1:  # two-dimensional passes are faster
            target, term = target[:, 0], term[:, 0]
        for k, run in enumerate(layout.windows(planes[block])):
            run = run if multiplier == 1 else run[:, None]
            scale = scales[k, block] if multiplier == 1 else scales[k, block, :, None]
            np.multiply(run, scale, out=term if k else target)
            if k:
                target += term
    return out.reshape(-1, layout.size)


def _depthwise_transpose(rows, weight, layout: PlaneLayout):
    """The adjoint: each offset adds its scaled gradient rows back into shifted planes."""
    scales = _offset_scales(weight, layout.c)
    multiplier = scales.shape[2]
    rows = rows.reshape(layout.c, multiplier, -1)
    planes = np.zeros((layout.c, layout.size + layout.shifts[-1]), np.result_type(rows, weight))
    for block in _channel_blocks(layout):
        term = np.empty((len(range(layout.c)[block]), layout.size), planes.dtype)
        for k, run in enumerate(layout.windows(planes[block])):
            if multiplier == 1:
                np.multiply(rows[block, 0], scales[k, block], out=term)
            else:
                np.matmul(scales[k, block, None], rows[block], out=term[:, None])
            run += term
    return layout.crop(planes)


def _depthwise_weight_grad(planes, rows, weight_shape, layout: PlaneLayout):
    """dW[o, 0, k] = <rows[o], planes[o // m] shifted by k> (junk rows are zero)."""
    rows = rows.reshape(layout.c, weight_shape[0] // layout.c, -1)
    grad = np.empty(rows.shape[:2] + (len(layout.shifts),), np.result_type(planes, rows))
    for k, run in enumerate(layout.windows(planes)):
        grad[:, :, k] = np.matmul(rows, run[:, :, None])[:, :, 0]
    return grad.reshape(weight_shape)
