"""Gathering and scattering along an axis, masks and index lists: NumPy's and PyTorch's names.

``take_along_axis`` (NumPy) and ``gather`` (PyTorch) pick, at every position of
an index array, the element it names along one axis; ``scatter`` writes and
``scatter_add`` adds values at such positions. Each is one indexing op with a
full index (the given indices along the axis, a broadcast ``arange`` along every
other), so the existing adjoints apply: a gather's gradient is added back with
``np.add.at`` (repeated indices accumulate), a scatter's gradient is a gather.
"""

from __future__ import annotations

import numpy as np

from autograd import capturing
from autograd.function import ShapeError
from autograd.ops import shape
from autograd.ops.arithmetic import add
from autograd.ops.axes import normalize_axis
from autograd.ops.index import IndexAdd, getitem
from autograd.ops.inplace import IndexPut
from autograd.tensor import Tensor, as_tensor

__all__ = ["take_along_axis", "gather", "scatter", "scatter_add", "masked_fill",
           "index_select", "nonzero"]


def _index_array(name: str, indices) -> np.ndarray:
    """The indices as an integer array (a copy: changing them later changes no gradient).

    Made in a recorded instruction: a captured step copies each call's indices.
    """
    return capturing.call(_integer_copy, name, indices.data if isinstance(indices, Tensor)
                          else indices)


def _integer_copy(name: str, indices) -> np.ndarray:
    array = np.array(indices)
    if array.size == 0:
        array = array.astype(np.intp)  # an empty list is float64 to NumPy
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be integers, got dtype {array.dtype}")
    return array.astype(np.intp, copy=False)


def _check_range(name: str, indices: np.ndarray, size: int, axis: int, shape: tuple,
                 negative: bool) -> None:
    capturing.call(_in_range, name, indices, size, axis, shape, negative)  # every call's


def _in_range(name: str, indices: np.ndarray, size: int, axis: int, shape: tuple,
              negative: bool) -> None:
    low = -size if negative else 0
    outside = (indices < low) | (indices >= size)
    if outside.any():
        bad = int(indices[outside].flat[0])
        allowed = f"{-size}..{size - 1}" if negative else f"0..{size - 1}"
        raise IndexError(f"{name}: index {bad} is out of range for axis {axis} of size {size} "
                         f"(shape {shape}; expected {allowed})")


def _full_index(indices: np.ndarray, axis: int, grid_shape: tuple) -> tuple:
    """``indices`` along ``axis`` and ``arange(grid_shape[d])`` (broadcast) along the others."""
    ndim = len(grid_shape)
    full = []
    for d, size in enumerate(grid_shape):
        if d == axis:
            full.append(indices)
        else:
            full.append(np.arange(size).reshape((1,) * d + (size,) + (1,) * (ndim - d - 1)))
    return tuple(full)


def take_along_axis(x, indices, axis=-1, *, dim=None) -> Tensor:
    """``out[..., i, ...] = x[..., indices[..., i, ...], ...]`` along ``axis``, as NumPy's.

    ``indices`` has ``x``'s number of dimensions and broadcasts with it on the
    other axes; ``axis=None`` works on the flattened tensor (1-D ``indices``);
    ``dim=`` names the axis too (PyTorch's ``take_along_dim``).
    """
    if dim is not None:
        axis = dim
    x = as_tensor(x)
    indices = _index_array("take_along_axis", indices)
    if axis is None:
        x, axis = shape.reshape(x, -1), 0
    if indices.ndim != x.ndim:
        raise ShapeError(f"take_along_axis: indices must have as many dimensions as the tensor: "
                         f"indices {indices.shape}, tensor {x.shape}")
    axis = normalize_axis(axis, x.ndim, "take_along_axis")[0]
    try:
        np.broadcast_shapes(x.shape[:axis] + x.shape[axis + 1:],
                            indices.shape[:axis] + indices.shape[axis + 1:])
    except ValueError:
        raise ShapeError(f"take_along_axis: indices {indices.shape} and tensor {x.shape} do not "
                         f"broadcast on the axes other than {axis}") from None
    _check_range("take_along_axis", indices, x.shape[axis], axis, x.shape, negative=True)
    return getitem(x, _full_index(indices, axis, x.shape))


def _torch_index(name: str, x: Tensor, dim, index, like=None) -> tuple:
    """PyTorch's checks for ``gather``/``scatter``: ``(axis, index, full index)``."""
    index = _index_array(name, index)
    like = x.shape if like is None else like
    if index.ndim != x.ndim:
        raise ShapeError(f"{name}: index must have as many dimensions as the input: index "
                         f"{index.shape}, input {x.shape}")
    axis = normalize_axis(dim, x.ndim, name)[0] if x.ndim else 0
    for d, (size, limit) in enumerate(zip(index.shape, like)):
        if d != axis and size > limit:
            raise ShapeError(f"{name}: index {index.shape} is larger than the input {like} "
                             f"along dimension {d}")
    if x.ndim:
        _check_range(name, index, x.shape[axis], axis, x.shape, negative=False)
    return axis, index, _full_index(index, axis, index.shape)


def gather(x, dim: int, index) -> Tensor:
    """PyTorch's ``gather``: ``out[i][j] = x[i][index[i][j]]`` for ``dim=1`` (shape of ``index``).

    ``index`` may be smaller than ``x`` along the other dimensions; repeated
    indices accumulate their gradients.
    """
    x = as_tensor(x)
    _, _, full = _torch_index("gather", x, dim, index)
    return getitem(x, full)


def _source(name: str, x: Tensor, index: np.ndarray, src) -> Tensor:
    """``src`` cut to ``index``'s shape (a Tensor), or a number broadcast to it."""
    if not isinstance(src, (Tensor, np.ndarray)):
        return shape.broadcast_to(as_tensor(src, like=x), index.shape)
    src = as_tensor(src, like=x)
    if src.ndim != index.ndim or any(s < i for s, i in zip(src.shape, index.shape)):
        raise ShapeError(f"{name}: src {src.shape} must have index's number of dimensions and be "
                         f"at least as large as index {index.shape}")
    if src.dtype != x.dtype:
        src = shape.astype(src, x.dtype)
    if src.shape != index.shape:
        src = getitem(src, tuple(slice(0, n) for n in index.shape))
    return src


def scatter(x, dim: int, index, src=None, *, value=None, reduce=None) -> Tensor:
    """PyTorch's ``scatter``: a copy of ``x`` with ``out[i][index[i][j]] = src[i][j]`` (``dim=1``).

    ``src`` is a tensor (at least ``index``'s shape) or a number (also ``value=``).
    Where an index repeats, which value lands is unspecified (as PyTorch); the
    gradient of ``src`` is ``gather(grad, dim, index)``, of ``x`` zero where written.
    """
    if reduce is not None:
        raise TypeError("scatter: reduce= is not supported; use scatter_add for sums")
    if (src is None) == (value is None):
        raise TypeError("scatter: give src (a tensor or a number) or value=, once")
    x = as_tensor(x)
    _, index, full = _torch_index("scatter", x, dim, index)
    values = _source("scatter", x, index, value if src is None else src)
    return IndexPut.apply(x, values, index=full)


def scatter_add(x, dim: int, index, src) -> Tensor:
    """PyTorch's ``scatter_add``: ``x`` plus ``src`` added at ``out[i][index[i][j]]`` (``dim=1``).

    Repeated indices accumulate; the gradient of ``src`` is ``gather(grad, dim, index)``.
    """
    x = as_tensor(x)
    _, index, full = _torch_index("scatter_add", x, dim, index)
    values = _source("scatter_add", x, index, src)
    return add(x, IndexAdd.apply(values, index=full, shape=x.shape))


def masked_fill(x, mask, value) -> Tensor:
    """PyTorch's ``masked_fill``: ``value`` where the boolean ``mask`` (broadcast to ``x``) is set.

    ``value`` is a number or a 0-d tensor (which then receives the gradient of
    the filled positions); ``x`` gets none there.
    """
    x = as_tensor(x)
    mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if mask.dtype != bool:
        raise TypeError(f"masked_fill: mask must be boolean, got dtype {mask.dtype} "
                        "(compare it first, e.g. mask == 0)")
    try:
        fits = np.broadcast_shapes(mask.shape, x.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(f"masked_fill: mask {mask.shape} does not broadcast to the tensor's "
                         f"shape {x.shape}")
    value = as_tensor(value, like=x)
    if value.ndim:
        raise ShapeError(f"masked_fill: value must be a number or a 0-d tensor, got shape "
                         f"{value.shape}")
    if value.dtype != x.dtype:
        value = shape.astype(value, x.dtype)
    return shape.where(mask, value, x)


def index_select(x, dim: int, index) -> Tensor:
    """PyTorch's ``index_select``: the entries ``index`` (1-D) along ``dim``."""
    x = as_tensor(x)
    index = _index_array("index_select", index)
    if index.ndim > 1:
        raise ShapeError(f"index_select: index must be 1-D, got shape {index.shape}")
    axis = normalize_axis(dim, x.ndim, "index_select")[0] if x.ndim else 0
    if x.ndim == 0:
        x = shape.reshape(x, 1)
    _check_range("index_select", index, x.shape[axis], axis, x.shape, negative=False)
    return getitem(x, (slice(None),) * axis + (capturing.call(np.reshape, index, -1),))


def nonzero(x, *, as_tuple: bool = True):
    """The indices of the non-zero elements, as ``np.nonzero``: a tuple of int64 tensors.

    Not differentiable. PyTorch's ``as_tuple=False`` gives its ``(count, ndim)`` matrix.
    """
    data = np.asarray(x.data if isinstance(x, Tensor) else x)
    if as_tuple and data.ndim == 0:
        raise ValueError("nonzero: a 0-d tensor has no indices; reshape(1) it first")
    # how many indices there are depends on the values: a captured step checks that every
    # call has as many as the recorded one (capturing.fixed_shape)
    found = capturing.fixed_shape("nonzero", _nonzero, data, as_tuple)
    return tuple(Tensor._make(i) for i in found) if as_tuple else Tensor._make(found)


def _nonzero(data: np.ndarray, as_tuple: bool):
    if not as_tuple:
        return np.argwhere(data).astype(np.int64)
    return tuple(i.astype(np.int64) for i in np.nonzero(data))
