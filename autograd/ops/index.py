"""Indexing: ``t[idx]`` with NumPy's basic and advanced indexing, and its adjoint."""

from __future__ import annotations

import numpy as np

from autograd import capturing
from autograd.function import Op
from autograd.ops import dual
from autograd.tensor import Tensor, share_version

__all__ = ["getitem"]


def is_basic(index) -> bool:
    """True for ints, slices, None and Ellipsis (no element can be selected twice)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(part, (int, np.integer, slice)) or part is None or part is Ellipsis
        for part in parts
    )


def scatter_add(values: np.ndarray, shape: tuple, index) -> np.ndarray:
    """Zeros of ``shape`` with ``values`` added at ``index`` (repeated indices accumulate)."""
    out = np.zeros(shape, dtype=values.dtype)
    if is_basic(index):
        out[index] = values
    else:
        np.add.at(out, index, values)
    return out


class Getitem(Op):
    """d/dx x[idx] = grad scattered back to the selected positions (repeats accumulate)"""

    def forward(ctx, x, index=None):
        ctx.index, ctx.in_shape = index, x.shape
        return x[index]

    def backward(ctx, grad):
        return scatter(grad, ctx.index, ctx.in_shape)


class IndexAdd(Op):
    """d/dg scatter_add(g, idx) = grad[idx] (the adjoint of getitem)"""

    def forward(ctx, values, index=None, shape=()):
        ctx.index = index
        return scatter_add(values, shape, index)

    def backward(ctx, grad):
        return select(grad, ctx.index)


# For backward formulas: ``select(g, idx)`` is ``g[idx]``, ``scatter`` its adjoint.
select = dual.function(lambda g, index: g[index],
                       lambda g, index: Getitem.apply(g, index=index), "select")
scatter = dual.function(lambda g, index, shape: scatter_add(g, shape, index),
                        lambda g, index, shape: IndexAdd.apply(g, index=index, shape=shape),
                        "scatter")


def plain_index(index):
    """The index with Tensors and lists replaced by arrays, and arrays copied.

    A copy, so that changing an index array after the forward pass cannot change
    where backward sends the gradient.
    """
    if isinstance(index, tuple):
        return tuple(plain_index(part) for part in index)
    if isinstance(index, Tensor):
        return capturing.call(np.array, index.data)
    if isinstance(index, (list, np.ndarray)):
        return capturing.call(np.array, index)
    return index


def getitem(x: Tensor, index) -> Tensor:
    """``x[index]``: basic (ints, slices, None, ...) and advanced (int arrays, bool masks)."""
    index = plain_index(index)
    out = Getitem.apply(x, index=index)
    return share_version(out, x) if is_basic(index) else out
