"""Sorting: ``sort``, ``argsort``, ``topk``, ``argmax``, ``argmin``.

Sorted values are differentiable: each one's gradient goes back to the position
it came from. The permutation is a constant of the graph (found with NumPy's
``argsort``/``argpartition``, the values taken with ``take_along_axis``), and
the gradient is the inverse permutation applied to ``grad`` (``reorder``),
which records itself under ``create_graph``. Sorting is stable: equal values
keep their order; NaN sorts as the largest value (last ascending, first
descending), as NumPy and PyTorch.
"""

from __future__ import annotations

import numpy as np

from autograd import capturing
from autograd.function import Op, plain_error
from autograd.ops import dual, shape
from autograd.ops.axes import pick
from autograd.ops.reduce import ValuesIndices
from autograd.tensor import Tensor, as_tensor

__all__ = ["sort", "argsort", "topk", "argmax", "argmin"]


def _line(axis: int, part: slice) -> tuple:
    return (slice(None),) * axis + (part,)


def inverse_permutation(permutation: np.ndarray, axis: int) -> np.ndarray:
    """The permutation that undoes ``permutation`` (one per line along ``axis``)."""
    inverse = np.empty_like(permutation)
    positions = np.arange(permutation.shape[axis]).reshape(
        [-1 if i == axis else 1 for i in range(permutation.ndim)])
    np.put_along_axis(inverse, permutation, np.broadcast_to(positions, permutation.shape), axis)
    return inverse


class Reorder(Op):
    """d/dx take_along_axis(x, p) = take_along_axis(grad, inverse(p)) for a permutation p"""

    def forward(ctx, x, permutation=None, axis=-1):
        ctx.permutation, ctx.axis = permutation, axis
        return np.take_along_axis(x, permutation, axis)

    def backward(ctx, grad):
        return reorder(grad, inverse_permutation(ctx.permutation, ctx.axis), ctx.axis)


class Sort(Reorder):
    """d/dx sort(x) = grad sent back to where each value came from: the inverse permutation"""


reorder = dual.function(
    lambda x, permutation, axis: np.take_along_axis(x, permutation, axis),
    lambda x, permutation, axis: Reorder.apply(x, permutation=permutation, axis=axis), "reorder")
_pad = dual.function(np.pad, shape.pad, "pad")


class Topk(Op):
    """d/dx topk(x, k) = grad at the k chosen positions, 0 elsewhere"""

    def forward(ctx, x, permutation=None, k=0, axis=-1):
        ctx.permutation, ctx.k, ctx.axis = permutation, k, axis
        return np.take_along_axis(x, permutation[_line(axis, slice(0, k))], axis)

    def backward(ctx, grad):
        widths = [(0, 0)] * grad.ndim
        widths[ctx.axis] = (0, ctx.permutation.shape[ctx.axis] - ctx.k)
        return reorder(_pad(grad, widths), inverse_permutation(ctx.permutation, ctx.axis),
                       ctx.axis)


def stable_argsort(values: np.ndarray, axis: int, descending: bool = False) -> np.ndarray:
    """``np.argsort(kind="stable")``; descending keeps equal values in their order too."""
    if not descending:
        return np.argsort(values, axis=axis, kind="stable")
    last = values.shape[axis] - 1
    return np.flip(last - np.argsort(np.flip(values, axis), axis=axis, kind="stable"), axis)


def _one_axis(name: str, axis, ndim: int) -> int:
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"{name}: axis must be an int (or None to flatten), got {axis!r}")
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(
            f"{name}: axis {axis} is out of bounds for a tensor of dimension {ndim}")
    return int(axis) % ndim


def _sort_arguments(name: str, x, axis, dim, order):
    """``(x, axis)`` with NumPy's axis=None (flatten) and PyTorch's ``dim=`` resolved."""
    if dim is not None:
        if axis not in (-1, None):
            raise TypeError(f"{name}: got both axis={axis!r} and dim={dim!r}; pass one of them")
        axis = dim
    if order is not None:
        raise TypeError(f"{name}: order= (fields of structured arrays) is not supported")
    x = as_tensor(x)
    if axis is None:
        return x.reshape(-1), 0
    return x, _one_axis(name, axis, x.ndim)


def sort(x, axis=-1, kind=None, order=None, *, stable=None, dim=None, descending=None):
    """Sorted copy along ``axis`` (None: of the flattened tensor), as ``np.sort``.

    Returns the values. PyTorch's keywords ``dim=`` or ``descending=`` select
    PyTorch's result, ``(values, indices)`` (``.values``, ``.indices``). Always
    stable, whatever ``kind``/``stable`` say; the values are differentiable.
    ``Tensor.sort`` returns the same (it does not sort in place, unlike NumPy's).
    """
    x, axis = _sort_arguments("sort", x, axis, dim, order)
    # the permutation depends on the values: found in a recorded instruction, so a captured
    # step sorts each call's values (not the recorded call's order)
    permutation = capturing.call(stable_argsort, x.data, axis, bool(descending))
    values = Sort.apply(x, permutation=permutation, axis=axis)
    if dim is None and descending is None:
        return values
    return ValuesIndices(values, Tensor._make(capturing.call(np.copy, permutation)))


def argsort(x, axis=-1, kind=None, order=None, *, stable=None, dim=None,
            descending=False) -> Tensor:
    """Indices (int64) that sort ``x`` along ``axis`` (None: flattened), as ``np.argsort``.

    Always stable; PyTorch's ``dim=`` and ``descending=`` too.
    """
    x, axis = _sort_arguments("argsort", x, axis, dim, order)
    return Tensor._make(capturing.call(stable_argsort, x.data, axis, bool(descending)))


def _top_first(values: np.ndarray, k: int, axis: int, largest: bool, ordered: bool) -> np.ndarray:
    """A permutation of each line along ``axis`` whose first k entries pick the top k."""
    count = values.shape[axis]
    if k in (0, count):
        return stable_argsort(values, axis, descending=largest)
    split = count - k if largest else k
    partition = np.argpartition(values, split if largest else split - 1, axis=axis)
    chosen = partition[_line(axis, slice(split, None) if largest else slice(0, split))]
    rest = partition[_line(axis, slice(0, split) if largest else slice(split, None))]
    if ordered:
        within = stable_argsort(np.take_along_axis(values, chosen, axis), axis, largest)
        chosen = np.take_along_axis(chosen, within, axis)
    return np.concatenate([chosen, rest], axis=axis)


def topk(x, k: int, axis=-1, largest: bool = True, sorted: bool = True,  # noqa: A002
         *, dim=None) -> ValuesIndices:
    """The ``k`` largest (or smallest) values along ``axis`` and their indices, as PyTorch.

    Returns ``(values, indices)`` (``.values``, ``.indices``); ``sorted=True`` orders
    them largest first (smallest first for ``largest=False``). The values are
    differentiable: the gradient goes to the chosen positions. ``dim=`` too.
    """
    if dim is not None:
        if axis != -1:
            raise TypeError(f"topk: got both axis={axis!r} and dim={dim!r}; pass one of them")
        axis = dim
    x = as_tensor(x)
    axis = _one_axis("topk", axis, x.ndim)
    count = x.shape[axis]
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
        raise TypeError(f"topk: k must be an int, got {k!r}")
    if not 0 <= k <= count:
        raise ValueError(f"topk: k={k!r} is out of range for axis {axis} of size {count} "
                         f"(shape {x.shape}); expected 0 <= k <= {count}")
    permutation = capturing.call(_top_first, x.data, int(k), axis, largest, sorted)
    values = Topk.apply(x, permutation=permutation, k=int(k), axis=axis)
    return ValuesIndices(values, Tensor._make(capturing.call(_first_k, permutation, int(k), axis)))


def _first_k(permutation: np.ndarray, k: int, axis: int) -> np.ndarray:
    return permutation[_line(axis, slice(0, k))].copy()


def _arg_extreme(function, name: str, which: str):
    def arg(x, axis=None, keepdims=None, *, dim=None, keepdim=None) -> Tensor:
        axis, keepdims, _ = pick(name, axis, dim, keepdims, keepdim)
        x = as_tensor(x)
        if axis is not None:
            axis = _one_axis(name, axis, max(x.ndim, 1))
        try:
            return Tensor._make(capturing.call(_indices, function, x.data, axis, keepdims))
        except ValueError as error:
            raise plain_error(error)(f"{name}: {error} (shape {x.shape})") from None

    arg.__name__ = arg.__qualname__ = name
    arg.__doc__ = (f"Index (int64) of the {which} value along ``axis`` (None: in the flattened "
                   f"tensor; the first one if tied), as ``np.{name}``; ``dim=``/``keepdim=`` too.")
    return arg


def _indices(function, values: np.ndarray, axis, keepdims) -> np.ndarray:
    return np.asarray(function(values, axis=axis, keepdims=keepdims), dtype=np.int64)


argmax = _arg_extreme(np.argmax, "argmax", "largest")
argmin = _arg_extreme(np.argmin, "argmin", "smallest")
