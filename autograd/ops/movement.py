"""Movement: flip, roll, repeat, tile, triangles, diagonals, outer products and splits.

NumPy's names and meanings (``np.flip``, ``np.roll``, ``np.repeat``, ``np.tile``,
``np.tril``, ``np.diagonal``, ``np.split``), with PyTorch's keywords (``dims=``,
``shifts=``, ``diagonal=``, ``dim1=``) and its ``chunk``, ``repeat_interleave``
and split sizes (``x.split(n, dim=2)``). ``flip``, ``roll`` and ``repeat`` are
primitives with one-line adjoints; the rest are compositions of indexing and
shape ops, whose gradients come from those.
"""

from __future__ import annotations

import numpy as np

from autograd import capturing
from autograd.function import Op, ShapeError
from autograd.ops import dual, shape
from autograd.ops.arithmetic import mul
from autograd.ops.axes import normalize_axis, pick
from autograd.ops.index import getitem, scatter
from autograd.tensor import Tensor, as_tensor, share_version

__all__ = ["flip", "roll", "repeat", "repeat_interleave", "tile", "tril", "triu", "diagonal",
           "trace", "outer", "split", "array_split", "chunk"]

REPEAT_IS_NUMPYS = (
    "repeat: x.repeat({args}) is PyTorch's tiling, but here repeat follows NumPy "
    "(np.repeat(x, repeats, axis): each element repeated). To tile the whole tensor as "
    "PyTorch's repeat does, use x.tile({args}); to repeat elements along an axis, pass it "
    "by keyword: x.repeat({first}, axis=...)"
)
SPLIT_POSITIONAL = (
    "split: the second argument of x.split(...) has two meanings (NumPy: np.split(x, "
    "sections, axis), PyTorch: split sizes along dim); name it: x.split({first}, axis={second}) "
    "for NumPy's sections, or x.split({first}, dim={second}) for PyTorch's sizes"
)


def _one_axis(name: str, axis, ndim: int) -> int:
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"{name}: axis must be an int, got {axis!r}")
    return normalize_axis(int(axis), ndim, name)[0] if ndim else 0


def _ints(name: str, what: str, values) -> tuple:
    values = tuple(values) if isinstance(values, (tuple, list)) else (values,)
    for value in values:
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
            raise TypeError(f"{name}: {what} must be ints, got {values!r}")
    return tuple(int(value) for value in values)


# ------------------------------------------------------------------ primitives


class Flip(Op):
    """d/dx flip(x, axes) = flip(grad, axes)"""

    def forward(ctx, x, axes=()):
        ctx.reverse = tuple(slice(None, None, -1) if i in axes else slice(None)
                            for i in range(x.ndim))
        return x[ctx.reverse]

    def backward(ctx, grad):
        return grad[ctx.reverse]


class Roll(Op):
    """d/dx roll(x, shift, axis) = roll(grad, -shift, axis)"""

    def forward(ctx, x, shift=0, axis=None):
        ctx.shift, ctx.axis = shift, axis
        return np.roll(x, shift, axis)

    def backward(ctx, grad):
        back = tuple(-s for s in ctx.shift) if isinstance(ctx.shift, tuple) else -ctx.shift
        return _roll(grad, back, ctx.axis)


_roll = dual.function(np.roll, lambda t, shift, axis: Roll.apply(t, shift=shift, axis=axis),
                      "roll")


class Repeat(Op):
    """d/dx repeat(x, r, axis) = grad summed over the r copies of each element"""

    def forward(ctx, x, repeats=1, axis=0):
        ctx.repeats, ctx.axis, ctx.in_shape = repeats, axis, x.shape
        return np.repeat(x, repeats, axis)

    def backward(ctx, grad):
        axis, in_shape, repeats = ctx.axis, ctx.in_shape, ctx.repeats
        if isinstance(repeats, int):  # copies are adjacent: fold them into an axis and sum it
            grouped = in_shape[:axis] + (in_shape[axis], repeats) + in_shape[axis + 1:]
            return grad.reshape(grouped).sum(axis=axis + 1)
        source = np.repeat(np.arange(in_shape[axis]), repeats)
        return scatter(grad, (slice(None),) * axis + (source,), in_shape)


# ------------------------------------------------------------------ flip, roll, repeat, tile


def flip(x, axis=None, *, dims=None) -> Tensor:
    """Reverse the order of elements along ``axis`` (None: every axis), as ``np.flip``.

    PyTorch's ``x.flip(dims)`` / ``dims=`` too. Like NumPy's, the result is a view.
    """
    axis, _, _ = pick("flip", axis, dims, None, None)
    x = as_tensor(x)
    axes = normalize_axis(axis, x.ndim, "flip")
    return share_version(Flip.apply(x, axes=axes), x)


def roll(x, shift=None, axis=None, *, shifts=None, dims=None) -> Tensor:
    """Shift elements cyclically along ``axis`` (None: the flattened tensor), as ``np.roll``.

    ``shift`` and ``axis`` may be tuples of equal length; PyTorch's ``shifts=``/``dims=`` too.
    """
    if (shift is None) == (shifts is None):
        raise TypeError("roll: give the shift once (shift, or PyTorch's shifts=)")
    shift = _ints("roll", "shifts", shift if shifts is None else shifts)
    axis, _, _ = pick("roll", axis, dims, None, None)
    x = as_tensor(x)
    if axis is not None:
        axis = _ints("roll", "axes", axis)
        for a in axis:
            normalize_axis(a, x.ndim, "roll")
        if len(shift) != len(axis) and len(shift) != 1 and len(axis) != 1:
            raise ValueError(f"roll: {len(shift)} shifts for {len(axis)} axes")
        axis = axis if len(axis) > 1 else axis[0]
    return Roll.apply(x, shift=shift if len(shift) > 1 else shift[0], axis=axis)


def _repeats(x: Tensor, repeats, axis: int):
    """``repeats`` as an int, or as an int array with one count per element along ``axis``."""
    counts = np.asarray(dual.constant(repeats))
    if counts.dtype.kind not in "iu" or counts.ndim > 1:
        raise TypeError(f"repeat: repeats must be an int or a 1-D sequence of ints, got "
                        f"{repeats!r}")
    if (counts < 0).any():
        raise ValueError(f"repeat: repeats must be non-negative, got {counts.tolist()}")
    if counts.size == 1:
        return int(counts.reshape(()))
    if counts.shape != (x.shape[axis],):
        raise ValueError(
            f"repeat: {counts.size} repeat counts for {x.shape[axis]} elements along axis "
            f"{axis} (shape {x.shape}); give one count, or one per element (to tile the "
            "tensor as PyTorch's repeat does, use tile)")
    # per-element counts may come from the data: each call's are used, and a captured step
    # refuses a call whose total (the result's length) differs from the recorded one
    return capturing.fixed_shape("repeat (the total of the per-element counts)", _int64, counts,
                                 measure=np.sum)


def _int64(counts: np.ndarray) -> np.ndarray:
    return counts.astype(np.int64)


def repeat(x, repeats, axis=None, *, dim=None) -> Tensor:
    """Repeat each element ``repeats`` times along ``axis`` (None: flattened), as ``np.repeat``.

    ``repeats`` is an int or one count per element. PyTorch's tiling ``x.repeat(2, 3)``
    is ``tile`` here; PyTorch's ``repeat_interleave`` is this function.
    """
    axis, _, _ = pick("repeat", axis, dim, None, None)
    x = as_tensor(x)
    if axis is None:
        x, axis = shape.reshape(x, -1), 0
    axis = _one_axis("repeat", axis, x.ndim)
    if x.ndim == 0:
        x = shape.reshape(x, 1)
    return Repeat.apply(x, repeats=_repeats(x, repeats, axis), axis=axis)


def repeat_method(self, repeats, *sizes, axis=None, dim=None) -> Tensor:
    """``x.repeat(repeats, axis=None)``: NumPy's repeat; PyTorch's ``x.repeat(2, 3)`` raises."""
    if sizes:
        args = ", ".join(str(s) for s in (repeats,) + sizes)
        raise TypeError(REPEAT_IS_NUMPYS.format(args=args, first=repeats))
    return repeat(self, repeats, axis, dim=dim)


def repeat_interleave(x, repeats, dim=None) -> Tensor:
    """PyTorch's name for ``repeat`` (each element repeated along ``dim``; None: flattened)."""
    return repeat(x, repeats, dim)


def tile(x, reps, *more) -> Tensor:
    """The tensor repeated ``reps`` times along each axis, as ``np.tile`` (PyTorch's ``repeat``).

    ``x.tile(2, 3)`` and ``x.tile((2, 3))`` are the same; a shorter ``reps`` is
    padded with 1s on the left, a shorter tensor gets leading size-1 axes.
    """
    reps = _ints("tile", "reps", (reps,) + more if more else reps)
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: reps must be non-negative, got {reps}")
    x = as_tensor(x)
    ndim = max(x.ndim, len(reps))
    sizes = (1,) * (ndim - x.ndim) + x.shape
    reps = (1,) * (ndim - len(reps)) + reps
    if all(r == 1 for r in reps):  # np.tile returns a copy, never a view
        return shape.astype(shape.reshape(x, sizes), x.dtype)
    # copies of the whole tensor: a broadcast over a new axis before each one
    spread = [n for size in sizes for n in (1, size)]
    target = [n for r, size in zip(reps, sizes) for n in (r, size)]
    expanded = shape.broadcast_to(shape.reshape(x, spread), target)
    return shape.reshape(expanded, tuple(r * size for r, size in zip(reps, sizes)))


# ------------------------------------------------------------------ triangles and diagonals


def _triangle(name: str, x, k: int, lower: bool) -> Tensor:
    x = as_tensor(x)
    if x.ndim == 0:
        raise ShapeError(f"{name}: needs at least one dimension, got a 0-d tensor")
    if x.ndim == 1:  # NumPy's meaning: the vector broadcast to a square matrix
        x = shape.broadcast_to(x, (x.shape[0],) * 2)
    rows, cols = x.shape[-2:]
    kept = np.tri(rows, cols, k, dtype=bool) if lower else ~np.tri(rows, cols, k - 1, dtype=bool)
    return shape.where(kept, x, np.zeros((), x.dtype))


def tril(x, k: int = 0, *, diagonal=None) -> Tensor:
    """The lower triangle (zeros above the ``k``-th diagonal) of the last two axes, as ``np.tril``.

    PyTorch's ``diagonal=`` too.
    """
    return _triangle("tril", x, k if diagonal is None else diagonal, lower=True)


def triu(x, k: int = 0, *, diagonal=None) -> Tensor:
    """The upper triangle (zeros below the ``k``-th diagonal) of the last two axes (``np.triu``)."""
    return _triangle("triu", x, k if diagonal is None else diagonal, lower=False)


def diagonal(x, offset: int = 0, axis1: int = 0, axis2: int = 1, *, dim1=None,
             dim2=None) -> Tensor:
    """The ``offset`` diagonal of the plane ``(axis1, axis2)``, as the last axis (``np.diagonal``).

    PyTorch's ``dim1=``/``dim2=`` too.
    """
    x = as_tensor(x)
    if x.ndim < 2:
        raise ShapeError(f"diagonal: needs at least 2 dimensions, got shape {x.shape}")
    first = _one_axis("diagonal", axis1 if dim1 is None else dim1, x.ndim)
    second = _one_axis("diagonal", axis2 if dim2 is None else dim2, x.ndim)
    if first == second:
        raise ValueError(f"diagonal: axis1 and axis2 are the same axis ({first})")
    rows, cols = x.shape[first], x.shape[second]
    rest = [a for a in range(x.ndim) if a not in (first, second)]
    lead = tuple(x.shape[a] for a in rest)
    flat = shape.reshape(shape.transpose(x, rest + [first, second]), lead + (rows * cols,))
    # in the flattened plane, element (i, i + offset) sits at i * (cols + 1) + offset
    if offset >= 0:
        start, length = offset, max(0, min(rows, cols - offset))
    else:
        start, length = -offset * cols, max(0, min(rows + offset, cols))
    stop = start + (cols + 1) * (length - 1) + 1 if length else start
    return getitem(flat, (Ellipsis, slice(start, stop, cols + 1)))


def trace(x, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The sum along a diagonal, as ``np.trace``."""
    return diagonal(x, offset, axis1, axis2).sum(axis=-1)


def outer(a, b) -> Tensor:
    """``out[i, j] = a[i] * b[j]`` of the flattened inputs, as ``np.outer``."""
    if isinstance(a, Tensor):
        b = as_tensor(b, like=a)
    else:
        b = as_tensor(b)
        a = as_tensor(a, like=b)
    return mul(shape.reshape(a, (-1, 1)), shape.reshape(b, (1, -1)))


# ------------------------------------------------------------------ splits


def _pieces(x: Tensor, axis: int, bounds: list) -> list:
    lead = (slice(None),) * axis
    return [getitem(x, lead + (slice(start, stop),)) for start, stop in zip(bounds, bounds[1:])]


def _split_axis(name: str, x, axis) -> tuple:
    x = as_tensor(x)
    if x.ndim == 0:
        raise ShapeError(f"{name}: cannot split a 0-d tensor")
    return x, _one_axis(name, axis, x.ndim)


def array_split(x, indices_or_sections, axis: int = 0, *, dim: int | None = None) -> list:
    """A list of views: ``N`` nearly equal sections, or the pieces between sorted indices.

    As ``np.array_split``: the first ``n % N`` sections are one element longer
    (``dim=`` names the axis too).
    """
    if dim is not None:
        axis = dim
    x, axis = _split_axis("array_split", x, axis)
    size = x.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError(f"array_split: the number of sections must be positive, "
                             f"got {sections}")
        each, extra = divmod(size, sections)
        lengths = [each + 1] * extra + [each] * (sections - extra)
        return _pieces(x, axis, [int(b) for b in np.cumsum([0] + lengths)])
    indices = list(_ints("array_split", "indices", indices_or_sections))
    return _pieces(x, axis, [0] + indices + [size])


def split(x, indices_or_sections, axis: int = 0, *, dim=None):
    """``np.split``: ``N`` equal sections (an error if they are unequal) or split points.

    With PyTorch's ``dim=``, PyTorch's meaning: ``split(x, n, dim=d)`` gives pieces
    of ``n`` elements (the last may be shorter) and a list gives the pieces' sizes;
    returns a tuple, as PyTorch.
    """
    if dim is not None:
        return _split_sizes(x, indices_or_sections, dim)
    x, axis = _split_axis("split", x, axis)
    if isinstance(indices_or_sections, (int, np.integer)) and indices_or_sections > 0 \
            and x.shape[axis] % indices_or_sections:
        raise ValueError(
            f"split: {x.shape[axis]} elements along axis {axis} (shape {x.shape}) do not split "
            f"into {indices_or_sections} equal sections; use array_split for unequal sections, "
            "or dim= for PyTorch's split sizes")
    return array_split(x, indices_or_sections, axis)


def split_method(self, indices_or_sections, *positional, axis=None, dim=None):
    """``x.split(...)``: as ``split``; name the axis (``axis=``: NumPy's, ``dim=``: PyTorch's)."""
    if positional:
        raise TypeError(SPLIT_POSITIONAL.format(first=indices_or_sections, second=positional[0]))
    if dim is not None and axis is not None:
        raise TypeError(f"split: got both axis={axis!r} and dim={dim!r}; pass one of them")
    return split(self, indices_or_sections, 0 if axis is None else axis, dim=dim)


def _split_sizes(x, sizes, dim) -> tuple:
    x, axis = _split_axis("split", x, dim)
    total = x.shape[axis]
    if isinstance(sizes, (int, np.integer)):
        if sizes <= 0:
            raise ValueError(f"split: split size must be positive, got {sizes}")
        bounds = list(range(0, total, int(sizes))) + [total] if total else [0, 0]
    else:
        sizes = _ints("split", "split sizes", sizes)
        if sum(sizes) != total or any(s < 0 for s in sizes):
            raise ValueError(f"split: sizes {list(sizes)} do not add up to the {total} elements "
                             f"along dim {dim} (shape {x.shape})")
        bounds = [int(b) for b in np.cumsum((0,) + sizes)]
    return tuple(_pieces(x, axis, bounds))


def chunk(x, chunks: int, dim: int = 0, *, axis=None) -> tuple:
    """PyTorch's ``chunk``: pieces of ``ceil(n / chunks)`` elements along ``dim`` (maybe fewer).

    For exactly ``chunks`` nearly equal pieces use ``array_split``.
    """
    if not isinstance(chunks, (int, np.integer)) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    x, axis = _split_axis("chunk", x, dim if axis is None else axis)
    total = x.shape[axis]
    if total == 0:
        return tuple(_pieces(x, axis, [0] * (int(chunks) + 1)))
    return _split_sizes(x, -(-total // int(chunks)), axis)
