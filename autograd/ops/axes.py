"""Axis arguments, in one place: NumPy's ``axis``/``keepdims`` and PyTorch's ``dim``/``keepdim``."""

from __future__ import annotations

import numpy as np


def normalize_axis(axis, ndim: int, op: str) -> tuple:
    """``axis`` (None, int or tuple, negatives allowed) as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        axes = (axis,)
    elif isinstance(axis, (tuple, list)) and all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis):
        axes = tuple(axis)
    else:
        raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}")
    normalized = []
    for a in axes:
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise np.exceptions.AxisError(
                f"{op}: axis {a} is out of bounds for a tensor of dimension {ndim}"
            )
        normalized.append(int(a) % max(ndim, 1))
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{op}: duplicate value in axis {axis}")
    return tuple(sorted(a for a in normalized if a < ndim))


def kept_shape(shape: tuple, axes: tuple) -> tuple:
    """``shape`` with the reduced ``axes`` kept as size 1."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def pick(op: str, axis, dim, keepdims, keepdim) -> tuple:
    """Merge NumPy's and PyTorch's spellings: returns ``(axis, keepdims, torch_style)``.

    ``torch_style`` is True when the caller used a PyTorch-only keyword, ``dim=``
    or ``keepdim=`` (it selects PyTorch's meaning where the two differ:
    ``max(dim=1)`` and ``max(1, keepdim=True)`` return values and indices,
    ``std(0, keepdim=True)`` is unbiased).
    """
    torch_style = dim is not None or (keepdim is not None and keepdims is None)
    if dim is not None and axis is not None:
        raise TypeError(f"{op}: got both axis={axis!r} and dim={dim!r}; pass one of them")
    if keepdim is not None and keepdims is not None and bool(keepdim) != bool(keepdims):
        raise TypeError(f"{op}: got both keepdims={keepdims!r} and keepdim={keepdim!r}")
    keep = keepdims if keepdims is not None else keepdim
    return (axis if dim is None else dim), bool(keep), torch_style
