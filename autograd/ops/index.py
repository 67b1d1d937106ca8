"""Indexing: ``t[idx]`` with NumPy's basic and advanced indexing."""

from __future__ import annotations

import numpy as np

from autograd.function import Op
from autograd.tensor import Tensor


def _is_basic(index) -> bool:
    """True for ints, slices, None and Ellipsis (no element can be selected twice)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(part, (int, np.integer, slice)) or part is None or part is Ellipsis
        for part in parts
    )


def _scatter_add(grad: np.ndarray, shape: tuple, index) -> np.ndarray:
    out = np.zeros(shape, dtype=grad.dtype)
    if _is_basic(index):
        out[index] = grad
    else:
        np.add.at(out, index, grad)  # repeated indices accumulate
    return out


class GetItem(Op):
    """d/dx x[idx] = grad scattered back to the selected positions (repeats accumulate)"""

    name = "getitem"

    @staticmethod
    def forward(ctx, x, index=None):
        ctx.index = index
        ctx.in_shape = x.shape
        return x[index]

    @staticmethod
    def backward(ctx, grad):
        if isinstance(grad, Tensor):
            return IndexAdd.apply(grad, index=ctx.index, shape=ctx.in_shape)
        return _scatter_add(grad, ctx.in_shape, ctx.index)


class IndexAdd(Op):
    """d/dg scatter_add(g, idx) = grad[idx] (the adjoint of getitem)"""

    name = "index_add"

    @staticmethod
    def forward(ctx, values, index=None, shape=()):
        ctx.index = index
        return _scatter_add(values, shape, index)

    @staticmethod
    def backward(ctx, grad):
        return GetItem.apply(grad, index=ctx.index) if isinstance(grad, Tensor) else grad[ctx.index]


def _plain_index(index):
    """Replace Tensors (and lists) inside an index by arrays."""
    if isinstance(index, tuple):
        return tuple(_plain_index(part) for part in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


def getitem(x: Tensor, index) -> Tensor:
    """``x[index]``: basic (ints, slices, None, ...) and advanced (int arrays, bool masks)."""
    return GetItem.apply(x, index=_plain_index(index))


Tensor.__getitem__ = getitem
