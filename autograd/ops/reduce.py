"""Reductions with NumPy's ``axis`` / ``keepdims`` semantics."""

from __future__ import annotations

import numpy as np

from autograd.function import Op
from autograd.ops import _dual
from autograd.ops._dual import data_of
from autograd.tensor import Tensor, as_tensor


def _normalize_axis(axis, ndim: int, op_name: str) -> tuple:
    """``axis`` (None, int or tuple, negatives allowed) as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axes = (axis,)
    elif isinstance(axis, (tuple, list)) and all(isinstance(a, (int, np.integer)) for a in axis):
        axes = tuple(axis)
    else:
        raise TypeError(f"{op_name}: axis must be None, an int or a tuple of ints, got {axis!r}")
    normalized = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(
                f"{op_name}: axis {a} is out of bounds for a tensor of dimension {ndim}"
            )
        normalized.append(a % ndim)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{op_name}: duplicate value in axis {axis}")
    return tuple(sorted(normalized))


def _kept_shape(shape: tuple, axes: tuple) -> tuple:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _expand(grad, in_shape: tuple, axes: tuple):
    """Broadcast a reduced gradient back over the reduced axes."""
    return _dual.broadcast_to(grad.reshape(_kept_shape(in_shape, axes)), in_shape)


class Sum(Op):
    """d/dx sum(x) = 1 for every element"""

    name = "sum"

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.axes = _normalize_axis(axis, x.ndim, "sum")
        ctx.in_shape = x.shape
        return np.sum(x, axis=ctx.axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        return _expand(grad, ctx.in_shape, ctx.axes)


class Mean(Op):
    """d/dx mean(x) = 1 / n for every element (n = elements reduced)"""

    name = "mean"

    @staticmethod
    def forward(ctx, x, axis=None, keepdims=False):
        ctx.axes = _normalize_axis(axis, x.ndim, "mean")
        ctx.in_shape = x.shape
        ctx.count = int(np.prod([x.shape[a] for a in ctx.axes]))
        if ctx.count == 0:
            raise ValueError(f"mean: cannot take the mean of an empty selection (shape {x.shape})")
        return np.mean(x, axis=ctx.axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        return _expand(grad / ctx.count, ctx.in_shape, ctx.axes)


class _Extreme(Op):
    """Shared backward of max/min: the gradient is split evenly among tied extremes."""

    name = "_extreme"
    reduce = None

    @classmethod
    def forward(cls, ctx, x, axis=None, keepdims=False):
        if x.size == 0:
            raise ValueError(f"{cls.name}: zero-size tensor of shape {x.shape} has no {cls.name}")
        ctx.axes = _normalize_axis(axis, x.ndim, cls.name)
        ctx.in_shape = x.shape
        out = cls.reduce(x, axis=ctx.axes, keepdims=keepdims)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = (data_of(v) for v in ctx.saved_tensors)
        winners = x == out.reshape(_kept_shape(ctx.in_shape, ctx.axes))
        share = winners / winners.sum(axis=ctx.axes, keepdims=True)
        return _expand(grad, ctx.in_shape, ctx.axes) * share


class Max(_Extreme):
    """d/dx max(x) = 1 / k at each of the k maximal elements, else 0"""

    name = "max"
    reduce = staticmethod(np.max)


class Min(_Extreme):
    """d/dx min(x) = 1 / k at each of the k minimal elements, else 0"""

    name = "min"
    reduce = staticmethod(np.min)



def sum(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001 - NumPy's name
    """Sum over ``axis`` (None = all, int or tuple; negatives allowed)."""
    return Sum.apply(as_tensor(x), axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean over ``axis``."""
    return Mean.apply(as_tensor(x), axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001 - NumPy's name
    """Maximum over ``axis``; tied maxima share the gradient equally."""
    return Max.apply(as_tensor(x), axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001 - NumPy's name
    """Minimum over ``axis``; tied minima share the gradient equally."""
    return Min.apply(as_tensor(x), axis=axis, keepdims=keepdims)


def var(x, axis=None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    """Variance ``sum((x - mean)**2) / (n - ddof)``, as ``np.var`` (composed from primitives)."""
    x = as_tensor(x)
    axes = _normalize_axis(axis, x.ndim, "var")
    count = int(np.prod([x.shape[a] for a in axes]))
    if count - ddof <= 0:
        raise ValueError(
            f"var: ddof={ddof} leaves no degrees of freedom for {count} elements (shape {x.shape})"
        )
    centered = x - x.mean(axis=axes, keepdims=True)
    return (centered * centered).sum(axis=axes, keepdims=keepdims) / (count - ddof)


def std(x, axis=None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    """Standard deviation ``sqrt(var(x))``, as ``np.std``."""
    return var(x, axis=axis, ddof=ddof, keepdims=keepdims).sqrt()


for _function in (sum, mean, max, min, var, std):
    setattr(Tensor, _function.__name__, _function)
