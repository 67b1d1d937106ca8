"""Shape ops: views and rearrangements whose gradients route values back unchanged.

``reshape``, ``transpose`` and ``broadcast_to`` return views of their input's
buffer when NumPy does; such a view shares its input's version counter, so an
in-place change through either is seen by backward.
"""

from __future__ import annotations

import math

import numpy as np

from autograd import capturing
from autograd.function import Op, ShapeError
from autograd.ops import dual, index
from autograd.ops.axes import normalize_axis, pick
from autograd.tensor import Tensor, as_tensor, share_version

__all__ = ["reshape", "transpose", "swapaxes", "flatten", "squeeze", "expand_dims",
           "broadcast_to", "astype", "concatenate", "stack", "where", "pad"]


class Reshape(Op):
    """d/dx reshape(x) = reshape(grad, x.shape)"""

    def forward(ctx, x, shape=()):
        ctx.in_shape = x.shape
        try:
            return x.reshape(shape)
        except (ValueError, TypeError):
            raise ShapeError(
                f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) "
                f"into shape {tuple(shape)}"
            ) from None

    def backward(ctx, grad):
        return grad.reshape(ctx.in_shape)


class Transpose(Op):
    """d/dx transpose(x, axes) = transpose(grad, argsort(axes))"""

    def forward(ctx, x, axes=None):
        if axes is None:
            axes = tuple(range(x.ndim))[::-1]
        if sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
            raise ShapeError(f"transpose: axes {tuple(axes)} do not match shape {x.shape}")
        ctx.inverse = tuple(int(a) for a in np.argsort([a % x.ndim for a in axes]))
        return x.transpose(axes)

    def backward(ctx, grad):
        return grad.transpose(ctx.inverse)


class BroadcastTo(Op):
    """d/dx broadcast_to(x) = grad summed over the broadcast dimensions"""

    def forward(ctx, x, shape=()):
        try:
            return np.broadcast_to(x, shape)
        except ValueError:
            raise ShapeError(
                f"broadcast_to: cannot broadcast shape {x.shape} to {tuple(shape)}"
            ) from None

    def backward(ctx, grad):
        return grad  # the engine sums it back to the input's shape


class Astype(Op):
    """d/dx astype(x) = grad cast back to x's dtype"""

    def forward(ctx, x, dtype=None):
        return x.astype(dtype)

    def backward(ctx, grad):
        return grad  # the engine casts it back to the input's dtype


class Concatenate(Op):
    """d/dx_i concatenate(xs) = the slice of grad that x_i filled"""

    def forward(ctx, *arrays, axis=0):
        if not arrays:
            raise ShapeError("concatenate: need at least one tensor")
        shapes = [a.shape for a in arrays]
        try:
            out = np.concatenate(arrays, axis=axis)
        except (ValueError, np.exceptions.AxisError) as error:
            raise ShapeError(f"concatenate: cannot join shapes {shapes} along axis {axis}: "
                             f"{error}") from None
        ctx.axis = axis % out.ndim
        ctx.bounds = [int(b) for b in np.cumsum([0] + [a.shape[ctx.axis] for a in arrays])]
        return out

    def backward(ctx, grad):
        lead = (slice(None),) * ctx.axis
        return tuple(
            grad[lead + (slice(start, stop),)]
            for start, stop in zip(ctx.bounds[:-1], ctx.bounds[1:])
        )


class Stack(Op):
    """d/dx_i stack(xs) = grad[..., i, ...] (index i along the new axis)"""

    def forward(ctx, *arrays, axis=0):
        if not arrays:
            raise ShapeError("stack: need at least one tensor")
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise ShapeError(f"stack: all tensors must have the same shape, got {sorted(shapes)}")
        out = np.stack(arrays, axis=axis)
        ctx.axis = axis % out.ndim
        ctx.count = len(arrays)
        return out

    def backward(ctx, grad):
        lead = (slice(None),) * ctx.axis
        return tuple(grad[lead + (i,)] for i in range(ctx.count))


class Where(Op):
    """d/da where(c, a, b) = [c], d/db where(c, a, b) = [not c]"""

    def forward(ctx, a, b, condition=None):
        try:
            np.broadcast_shapes(condition.shape, a.shape, b.shape)
        except ValueError:
            raise ShapeError(
                f"where: condition {condition.shape}, x {a.shape} and y {b.shape} cannot be "
                "broadcast together"
            ) from None
        ctx.condition = condition
        return np.where(condition, a, b)

    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        grad_a = dual.keep(grad, ctx.condition) if need_a else None
        grad_b = dual.keep(grad, ~ctx.condition) if need_b else None
        return grad_a, grad_b


PAD_MODES = ("constant", "reflect", "symmetric", "edge", "wrap")


class Pad(Op):
    """d/dx pad(x) = grad[interior] + the grad of each padded copy at its source (not constant)

    Mode "constant" pads with values that have no source; "reflect", "symmetric",
    "edge" and "wrap" copy elements of x, which then also receive their copies' gradients.
    """

    def forward(ctx, x, pad_width=0, mode="constant", constant_values=0):
        if x.ndim == 0:  # no axis to pad: a copy, as NumPy
            ctx.in_shape, ctx.mode, ctx.source = x.shape, "constant", ()
            return x.copy()
        try:
            widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
        except ValueError:
            raise ShapeError(
                f"pad: pad_width {pad_width} does not match a tensor of {x.ndim} dimensions "
                f"(shape {x.shape}); give an int, a (before, after) pair or one pair per dimension"
            ) from None
        if (widths < 0).any():
            raise ShapeError(f"pad: pad widths must be non-negative, got {pad_width}")
        ctx.in_shape, ctx.mode = x.shape, mode
        if mode == "constant":
            ctx.source = tuple(slice(int(before), int(before) + size)
                               for (before, _), size in zip(widths, x.shape))
            return np.pad(x, widths, mode="constant", constant_values=constant_values)
        for (before, after), size in zip(widths, x.shape):
            if size == 0 and before + after:
                raise ShapeError(f"pad: mode {mode!r} cannot pad an empty axis (shape {x.shape})")
        # where each padded position copies from, axis by axis: the padding of an arange
        ctx.source = np.ix_(*[np.pad(np.arange(size), (int(before), int(after)), mode=mode)
                              for (before, after), size in zip(widths, x.shape)])
        return x[ctx.source]

    def backward(ctx, grad):
        if ctx.mode == "constant":
            return grad[ctx.source]
        return index.scatter(grad, ctx.source, ctx.in_shape)


# ------------------------------------------------------------------ public functions


def _shape_argument(shape: tuple) -> tuple:
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all mean the shape (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"reshape: a shape holds ints, got {shape!r}")
    return tuple(int(n) for n in shape)


def reshape(x, *shape) -> Tensor:
    """Same data, new shape (one dimension may be -1), as ``np.reshape``."""
    x = as_tensor(x)
    return share_version(Reshape.apply(x, shape=_shape_argument(shape)), x)


def transpose(x, axes=None, dim1=None) -> Tensor:
    """Permute dimensions (reverse them when ``axes`` is None), as ``np.transpose``.

    ``transpose(x, d0, d1)`` swaps two dimensions, as ``torch.transpose``.
    """
    if dim1 is not None:
        return swapaxes(x, axes, dim1)
    x = as_tensor(x)
    return share_version(Transpose.apply(x, axes=None if axes is None else tuple(axes)), x)


def transpose_method(self, *axes) -> Tensor:
    """``t.transpose()``, ``t.transpose((1, 0))``, ``t.transpose(1, 0)`` (NumPy) — and on
    tensors of more than two dimensions ``t.transpose(d0, d1)`` swaps two axes (PyTorch)."""
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = axes[0]
    elif len(axes) == 2 and self.ndim == 2 and axes[0] % 2 < axes[1] % 2:
        raise ValueError(
            f"transpose: t.transpose{axes} of a 2-D tensor is ambiguous: NumPy reads it as the "
            "axes order, which changes nothing, while PyTorch swaps the two dimensions. Write "
            "t.T, t.transpose(1, 0) or t.swapaxes(0, 1) to swap them"
        )
    if axes and len(axes) == 2 and self.ndim > 2:
        return swapaxes(self, *axes)
    return transpose(self, axes or None)


def swapaxes(x, axis1: int, axis2: int) -> Tensor:
    """Interchange two axes, as ``np.swapaxes`` (and ``torch.swapaxes``)."""
    x = as_tensor(x)
    for axis in (axis1, axis2):
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            raise TypeError(f"swapaxes: axes must be ints, got {axis!r}")
    axes = list(range(x.ndim))
    for axis in (axis1, axis2):
        if not -x.ndim <= axis < x.ndim:
            raise np.exceptions.AxisError(
                f"swapaxes: axis {axis} is out of bounds for a tensor of dimension {x.ndim}"
            )
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(x, axes)


def flatten(x, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim`` into one, as ``torch.flatten``.

    With no arguments the result is 1-D, as NumPy's ``flatten()`` (here a view
    when the layout allows, as PyTorch's).
    """
    x = as_tensor(x)
    ndim = max(x.ndim, 1)
    for dim in (start_dim, end_dim):
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise TypeError(f"flatten: start_dim and end_dim must be ints, got {dim!r} (NumPy's "
                            "order= argument is not supported)")
        if not -ndim <= dim < ndim:
            raise np.exceptions.AxisError(f"flatten: dimension {dim} is out of range for a "
                                          f"tensor of shape {x.shape}")
    start, end = start_dim % ndim, end_dim % ndim
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for a "
                         f"tensor of shape {x.shape}")
    shape = x.shape or (1,)
    merged = math.prod(shape[start:end + 1])  # not -1: a size-0 tensor cannot infer it
    return reshape(x, shape[:start] + (merged,) + shape[end + 1:])


def squeeze(x, axis=None, *, dim=None) -> Tensor:
    """Remove size-1 dimensions (all, or those in ``axis``), as ``np.squeeze``.

    ``axis`` (also positional) follows NumPy: naming an axis whose size is not 1
    is an error. ``dim=`` follows PyTorch: such a dimension is left as it is.
    """
    x = as_tensor(x)
    if dim is not None:
        if axis is not None:
            raise TypeError(f"squeeze: got both axis={axis!r} and dim={dim!r}; pass one of them")
        dims = normalize_axis(dim, x.ndim, "squeeze")
        return reshape(x, tuple(n for i, n in enumerate(x.shape) if n != 1 or i not in dims))
    try:
        shape = np.squeeze(np.empty(x.shape, dtype=bool), axis=axis).shape
    except ValueError:
        raise ShapeError(
            f"squeeze: cannot select axis {axis} of shape {x.shape}: it is not of size 1 "
            f"(NumPy's squeeze; PyTorch's squeeze(dim={axis}) leaves it as it is: pass dim= "
            "for that)"
        ) from None
    return reshape(x, shape)


def expand_dims(x, axis=None, *, dim=None) -> Tensor:
    """Insert size-1 dimensions at ``axis`` (``dim=`` too), as ``np.expand_dims``."""
    axis, _, _ = pick("expand_dims", axis, dim, None, None)
    if axis is None:
        raise TypeError("expand_dims: missing the axis (an int or a tuple of ints)")
    x = as_tensor(x)
    try:
        shape = np.expand_dims(np.empty(x.shape, dtype=bool), axis).shape
    except np.exceptions.AxisError as error:
        raise np.exceptions.AxisError(f"expand_dims: {error} (shape {x.shape})") from None
    return reshape(x, shape)


def broadcast_to(x, shape) -> Tensor:
    """Broadcast to ``shape``, as ``np.broadcast_to`` (a read-only view)."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    x = as_tensor(x)
    return share_version(BroadcastTo.apply(x, shape=shape), x)


def astype(x, dtype) -> Tensor:
    """Cast to ``dtype`` (a copy); the gradient is cast back.

    A cast to a non-floating dtype is not differentiable (as in PyTorch): the
    result does not require grad.
    """
    x, dtype = as_tensor(x), np.dtype(dtype)
    if dtype.kind not in "fc":
        return Tensor._make(capturing.call(np.ndarray.astype, x.data, dtype))
    return Astype.apply(x, dtype=dtype)


def concatenate(tensors, axis: int = 0, *, dim=None) -> Tensor:
    """Join tensors along an existing axis (``dim=`` too), as ``np.concatenate``."""
    axis = axis if dim is None else pick("concatenate", None if axis == 0 else axis, dim,
                                         None, None)[0]
    tensors = [as_tensor(t) for t in tensors]
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors, axis: int = 0, *, dim=None) -> Tensor:
    """Join same-shape tensors along a new axis (``dim=`` too), as ``np.stack``."""
    axis = axis if dim is None else pick("stack", None if axis == 0 else axis, dim, None,
                                         None)[0]
    tensors = [as_tensor(t) for t in tensors]
    return Stack.apply(*tensors, axis=axis)


def where(condition, x, y) -> Tensor:
    """``x`` where ``condition`` else ``y`` (broadcasting); ``condition`` gets no gradient.

    The condition is copied, so changing it afterwards cannot change the gradient.
    """
    if isinstance(x, Tensor):
        y = as_tensor(y, like=x)
    else:
        y = as_tensor(y)
        x = as_tensor(x, like=y)
    condition = capturing.call(np.array, dual.constant(condition), dtype=bool)
    return Where.apply(x, y, condition=condition)


def pad(x, pad_width, mode: str = "constant", constant_values=0) -> Tensor:
    """Pad each axis by ``(before, after)`` elements, as ``np.pad``.

    ``mode``: ``"constant"`` (``constant_values``), ``"reflect"`` (mirror without
    the edge), ``"symmetric"`` (mirror with it), ``"edge"`` (repeat the edge),
    ``"wrap"`` (periodic). Copied elements receive the gradients of their copies.
    """
    if mode not in PAD_MODES:
        raise ValueError(f"pad: mode must be one of {', '.join(PAD_MODES)}, got {mode!r}")
    if mode != "constant" and not (np.ndim(constant_values) == 0 and constant_values == 0):
        raise ValueError(f"pad: constant_values is only for mode='constant', not {mode!r}")
    return Pad.apply(as_tensor(x), pad_width=pad_width, mode=mode,
                     constant_values=constant_values)
