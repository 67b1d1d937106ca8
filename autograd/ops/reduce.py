"""Reductions with NumPy's ``axis``/``keepdims`` (and PyTorch's ``dim``/``keepdim``)."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from autograd import capturing
from autograd.function import Op
from autograd.ops import dual
from autograd.ops.axes import kept_shape, normalize_axis, pick
from autograd.tensor import Tensor, as_tensor

__all__ = ["sum", "mean", "max", "min", "var", "std", "amax", "amin"]

# What ``max(dim=...)`` and ``min(dim=...)`` return, as PyTorch.
ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def _expand(grad, in_shape: tuple, axes: tuple):
    """Broadcast a reduced gradient back over the reduced axes."""
    return dual.broadcast_to(grad.reshape(kept_shape(in_shape, axes)), in_shape)


class Sum(Op):
    """d/dx sum(x) = 1 for every element"""

    def forward(ctx, x, axes=(), keepdims=False):
        ctx.axes, ctx.in_shape = axes, x.shape
        return np.sum(x, axis=axes, keepdims=keepdims)

    def backward(ctx, grad):
        return _expand(grad, ctx.in_shape, ctx.axes)


class Mean(Op):
    """d/dx mean(x) = 1 / n for every element (n = elements reduced)"""

    def forward(ctx, x, axes=(), keepdims=False):
        ctx.axes, ctx.in_shape = axes, x.shape
        ctx.count = int(np.prod([x.shape[a] for a in axes]))
        if ctx.count == 0:  # NumPy warns and returns NaN; an empty mean is nearly always a bug
            raise ValueError(f"mean: cannot take the mean of an empty selection (shape {x.shape})")
        return np.mean(x, axis=axes, keepdims=keepdims)

    def backward(ctx, grad):
        return _expand(grad / ctx.count, ctx.in_shape, ctx.axes)


class Max(Op):
    """d/dx max(x) = 1 / k at each of the k maximal elements, else 0 (min: the same for -x)"""

    def forward(ctx, x, axes=(), keepdims=False, largest=True):
        ctx.axes, ctx.in_shape = axes, x.shape
        return (np.max if largest else np.min)(x, axis=axes, keepdims=keepdims)

    def backward(ctx, grad, x, out):
        x, out = dual.constant(x), dual.constant(out)
        winners = x == out.reshape(kept_shape(ctx.in_shape, ctx.axes))
        share = winners / winners.sum(axis=ctx.axes, keepdims=True)
        return dual.keep(_expand(grad, ctx.in_shape, ctx.axes) * share, winners)


def _reduce(op: type[Op], name: str, x, axis, keepdims: bool, **params) -> Tensor:
    x = as_tensor(x)
    return op.apply(x, axes=normalize_axis(axis, x.ndim, name), keepdims=keepdims, **params)


def sum(x, axis=None, keepdims=None, *, dim=None, keepdim=None,  # noqa: A001 - NumPy's name
        dtype=None) -> Tensor:
    """Sum over ``axis`` (None = all, int or tuple; negatives allowed); ``dim=`` too.

    An integer or boolean tensor sums to int64 (as NumPy and PyTorch); ``dtype``
    picks the result's dtype.
    """
    axis, keepdims, _ = pick("sum", axis, dim, keepdims, keepdim)
    x = as_tensor(x)
    if dtype is not None:
        x = x.astype(dtype)
    elif x.dtype.kind in "biu":
        x = x.astype(np.int64)
    return _reduce(Sum, "sum", x, axis, keepdims)


def mean(x, axis=None, keepdims=None, *, dim=None, keepdim=None) -> Tensor:
    """Arithmetic mean over ``axis`` (``dim=`` too); integer tensors give float64, as NumPy."""
    axis, keepdims, _ = pick("mean", axis, dim, keepdims, keepdim)
    x = as_tensor(x)
    if x.dtype.kind in "biu":
        x = x.astype(np.float64)
    return _reduce(Mean, "mean", x, axis, keepdims)


def _extreme(name: str, largest: bool, x, axis, keepdims, dim, keepdim):
    axis, keepdims, torch_style = pick(name, axis, dim, keepdims, keepdim)
    x = as_tensor(x)
    axes = normalize_axis(axis, x.ndim, name)
    if any(x.shape[a] == 0 for a in axes) or (x.size == 0 and not axes):
        raise ValueError(f"{name}: cannot reduce an empty axis (shape {x.shape}, axis {axis}): "
                         "it has no identity")
    if torch_style and not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{name}: dim must be an int (it returns values and indices along one "
                        f"dimension), got {dim!r}; use axis= to reduce several axes")
    values = Max.apply(x, axes=axes, keepdims=keepdims, largest=largest)
    if not torch_style or x.ndim == 0:
        return values
    indices = capturing.call(_indices, x.data, axes[0], keepdims, largest)
    return ValuesIndices(values, Tensor._make(indices))


def _indices(x: np.ndarray, axis: int, keepdims: bool, largest: bool) -> np.ndarray:
    """The (first) position of the maximum (minimum) along ``axis``, as int64."""
    indices = (np.argmax if largest else np.argmin)(x, axis=axis)
    return np.asarray(np.expand_dims(indices, axis) if keepdims else indices, dtype=np.int64)


def max(x, axis=None, keepdims=None, *, dim=None, keepdim=None):  # noqa: A001 - NumPy's name
    """Maximum over ``axis``; tied maxima share the gradient equally.

    With PyTorch's ``dim=``, returns ``(values, indices)`` (``.values``, ``.indices``).
    """
    return _extreme("max", True, x, axis, keepdims, dim, keepdim)


def min(x, axis=None, keepdims=None, *, dim=None, keepdim=None):  # noqa: A001 - NumPy's name
    """Minimum over ``axis``; tied minima share the gradient equally (``dim=``: as ``max``)."""
    return _extreme("min", False, x, axis, keepdims, dim, keepdim)


def amax(x, axis=None, keepdims=False) -> Tensor:
    """Maximum over ``axis`` (always values only, as ``np.amax`` and ``torch.amax``)."""
    return _extreme("amax", True, x, axis, keepdims, None, None)


def amin(x, axis=None, keepdims=False) -> Tensor:
    """Minimum over ``axis`` (always values only)."""
    return _extreme("amin", False, x, axis, keepdims, None, None)


def var(x, axis=None, ddof=None, keepdims=None, *, dim=None, keepdim=None, correction=None,
        unbiased=None) -> Tensor:
    """Variance ``sum((x - mean)**2) / (n - ddof)`` (composed from primitives).

    With ``axis=`` (or none) NumPy's default ``ddof=0``; with PyTorch's ``dim=``,
    PyTorch's default ``correction=1`` (unbiased). ``correction``/``unbiased``
    are PyTorch's spellings of ``ddof``.
    """
    axis, keepdims, torch_style = pick("var", axis, dim, keepdims, keepdim)
    ddof = _ddof(ddof, correction, unbiased, default=1 if torch_style else 0)
    x = as_tensor(x)
    if x.dtype.kind in "biu":
        x = x.astype(np.float64)
    axes = normalize_axis(axis, x.ndim, "var")
    count = int(np.prod([x.shape[a] for a in axes]))
    if count - ddof <= 0:
        raise ValueError(
            f"var: ddof={ddof} leaves no degrees of freedom for {count} elements (shape {x.shape})"
        )
    centered = x - x.mean(axis=axes, keepdims=True)
    return (centered * centered).sum(axis=axes, keepdims=keepdims) / (count - ddof)


def _ddof(ddof, correction, unbiased, default: int) -> int:
    given = [value for value in (ddof, correction) if value is not None]
    if unbiased is not None:
        given.append(1 if unbiased else 0)
    if len(given) > 1:
        raise TypeError("var/std: pass only one of ddof, correction and unbiased")
    return int(given[0]) if given else default


def std(x, axis=None, ddof=None, keepdims=None, *, dim=None, keepdim=None, correction=None,
        unbiased=None) -> Tensor:
    """Standard deviation ``sqrt(var(x))`` (the same arguments as ``var``).

    Where the variance is 0 (constant data) the gradient is 0, as PyTorch's,
    instead of the 0 * inf of sqrt's slope at 0.
    """
    variance = var(x, axis, ddof, keepdims, dim=dim, keepdim=keepdim, correction=correction,
                   unbiased=unbiased)
    constant = capturing.call(np.equal, variance.data, 0)
    root = dual.where(constant, 1.0, variance).sqrt()
    return dual.where(constant, 0.0, root)
