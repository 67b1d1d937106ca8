"""Cumulative sums and products along an axis, as ``np.cumsum`` and ``np.cumprod``.

The gradient of a product must not divide by the input: an input of 0 is an
ordinary point of ``cumprod`` and ``prod``. Products of the other elements are
built from exclusive cumulative products from both sides (``prod``) or split
at the first zero of each line (``cumprod``), so zeros give exact gradients.
"""

from __future__ import annotations

import numpy as np

from autograd.function import Op
from autograd.ops import dual, shape
from autograd.ops.axes import normalize_axis, pick
from autograd.tensor import Tensor, as_tensor

__all__ = ["cumsum", "cumprod"]


def _line(axis: int, part: slice) -> tuple:
    """The index that applies ``part`` along ``axis`` only."""
    return (slice(None),) * axis + (part,)


def _reverse(x, axis: int):
    """``x`` reversed along ``axis`` (arrays and Tensors alike)."""
    return x[_line(axis, slice(None, None, -1))]


_pad = dual.function(lambda x, widths, value: np.pad(x, widths, constant_values=value),
                     lambda x, widths, value: shape.pad(x, widths, constant_values=value), "pad")


def _shift(x, axis: int, fill: float):
    """``[fill, x_0, ..., x_{n-2}]`` along ``axis``: the exclusive form of a scan."""
    if x.shape[axis] == 0:
        return x
    widths = [(0, 0)] * x.ndim
    widths[axis] = (1, 0)
    return _pad(x[_line(axis, slice(None, -1))], widths, fill)


class Cumsum(Op):
    """d/dx_k cumsum(x) = sum_{i >= k} grad_i (the reversed cumulative sum of grad)"""

    def forward(ctx, x, axis=0):
        ctx.axis = axis
        return np.cumsum(x, axis=axis)

    def backward(ctx, grad):
        return reverse_cumsum(grad, ctx.axis)


class Cumprod(Op):
    """d/dx_k cumprod(x)_i = prod_{j <= i, j != k} x_j for k <= i (exact at zeros)"""

    def forward(ctx, x, axis=0):
        ctx.axis = axis
        return np.cumprod(x, axis=axis)

    def backward(ctx, grad, x, out):
        return _cumprod_gradient(grad, x, out, ctx.axis)


_cumsum = dual.function(lambda x, axis: np.cumsum(x, axis=axis),
                        lambda x, axis: Cumsum.apply(x, axis=axis), "cumsum")
_cumprod = dual.function(lambda x, axis: np.cumprod(x, axis=axis),
                         lambda x, axis: Cumprod.apply(x, axis=axis), "cumprod")


def reverse_cumsum(x, axis: int):
    """``sum_{i >= k} x_i`` along ``axis`` (arrays, or recorded for Tensors)."""
    return _reverse(_cumsum(_reverse(x, axis), axis), axis)


def _cumprod_gradient(grad, x, out, axis: int):
    """sum_{i >= k} grad_i prod_{j <= i, j != k} x_j, line by line, split at the first zero z.

    Before z, x_k is not 0 and the sum is ``reverse_cumsum(grad * out) / x_k``; at z
    it is ``prod_{j < z} x_j * sum_{i >= z} grad_i prod_{z < j <= i} x_j``; after z it
    is 0. Each piece is an exact function of x near the point, so recording it gives
    the second derivative too, except after z: there the value is 0 but its slope
    in x_z is not; that term is added when the backward is recorded.
    """
    zero = dual.constant(x) == 0
    zeros_so_far = np.cumsum(zero, axis=axis)
    zeros_before = zeros_so_far - zero  # zeros strictly before each position
    before = zeros_so_far == 0
    result = dual.keep(reverse_cumsum(grad * out, axis) / dual.where(before, x, 1.0), before)
    # prod_{z < j <= i} x_j: the product restarted after the first zero
    restarted = _cumprod(dual.where(zeros_before == 0, 1.0, x), axis)
    exclusive = _shift(out, axis, 1.0)  # prod_{j < k} x_j
    at_first = exclusive * reverse_cumsum(grad * restarted, axis)
    result = dual.where(zero & (zeros_before == 0), at_first, result)
    if dual.recorded(out):
        slope = _after_first_zero(dual.constant(grad), dual.constant(x), dual.constant(restarted),
                                  zeros_before, axis)
        result = dual.where(zeros_before == 1, exclusive * slope, result)
    return result


def _after_first_zero(grad, x, restarted, zeros_before, axis: int) -> np.ndarray:
    """sum_{i >= k} grad_i prod_{k < j <= i} x_j where one zero precedes k, else 0 (arrays)."""
    one_before = zeros_before == 1
    # between the first and the second zero, restarted_k is not 0: divide it out
    divisor = np.where(one_before & (x != 0), restarted, 1.0)
    between = reverse_cumsum(grad * restarted, axis) / divisor
    # at the second zero z2 itself: sum_{i >= z2} grad_i prod_{z2 < j <= i} x_j
    again = np.cumprod(np.where(zeros_before <= 1, 1.0, x), axis=axis)
    at_second = reverse_cumsum(grad * again, axis)
    return np.where(one_before, np.where(x == 0, at_second, between), 0.0)


def product_of_others(x, axes: tuple):
    """``prod_{j != k} x_j`` over the reduced ``axes`` for every element k, without division.

    The product of the elements before k times that of those after k, along the
    reduced axes flattened into one (exclusive cumulative products both ways).
    """
    kept = [a for a in range(x.ndim) if a not in axes]
    order = kept + list(axes)
    moved_shape = tuple(x.shape[a] for a in order)
    count = int(np.prod([x.shape[a] for a in axes]))
    lines = x.transpose(order).reshape(tuple(x.shape[a] for a in kept) + (count,))
    last = lines.ndim - 1
    before = _shift(_cumprod(lines, last), last, 1.0)
    after = _reverse(_shift(_cumprod(_reverse(lines, last), last), last, 1.0), last)
    restore = tuple(int(a) for a in np.argsort(order))
    return (before * after).reshape(moved_shape).transpose(restore)


def _scan(op: type[Op], name: str, x, axis, dim, dtype) -> Tensor:
    axis, _, _ = pick(name, axis, dim, None, None)
    x = as_tensor(x)
    if dtype is not None:
        x = x.astype(dtype)
    if axis is None or x.ndim == 0:  # NumPy scans a 0-d tensor as a 1-d one
        normalize_axis(axis, max(x.ndim, 1), name)
        x, axis = x.reshape(-1), 0
    elif not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"{name}: axis must be None or an int, got {axis!r}")
    (axis,) = normalize_axis(axis, x.ndim, name)
    return op.apply(x, axis=axis)


def cumsum(x, axis=None, dtype=None, *, dim=None) -> Tensor:
    """Cumulative sum along ``axis`` (None: of the flattened tensor), as ``np.cumsum``.

    PyTorch's ``dim=`` too. Integer and boolean tensors accumulate in 64 bits, as NumPy.
    """
    return _scan(Cumsum, "cumsum", x, axis, dim, dtype)


def cumprod(x, axis=None, dtype=None, *, dim=None) -> Tensor:
    """Cumulative product along ``axis`` (None: of the flattened tensor), as ``np.cumprod``.

    PyTorch's ``dim=`` too. The gradient is exact where the input has zeros.
    """
    return _scan(Cumprod, "cumprod", x, axis, dim, dtype)
