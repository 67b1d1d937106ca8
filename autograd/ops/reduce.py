"""Reductions with NumPy's ``axis``/``keepdims`` (and PyTorch's ``dim``/``keepdim``), and norms."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from autograd import capturing
from autograd.function import Op
from autograd.ops import dual, scan
from autograd.ops.axes import kept_shape, normalize_axis, pick
from autograd.ops.shape import where
from autograd.tensor import Tensor, as_tensor

__all__ = ["sum", "mean", "max", "min", "var", "std", "amax", "amin", "prod", "any", "all", "norm"]

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


class Prod(Op):
    """d/dx_k prod(x) = prod_{j != k} x_j (products from both sides: exact at zeros)"""

    def forward(ctx, x, axes=(), keepdims=False):
        ctx.axes, ctx.in_shape = axes, x.shape
        return np.prod(x, axis=axes, keepdims=keepdims)

    def backward(ctx, grad, x):
        return _expand(grad, ctx.in_shape, ctx.axes) * scan.product_of_others(x, ctx.axes)


class Var(Op):
    """d/dx var(x) = 2 (x - mean(x)) / (n - ddof) (n = elements reduced)"""

    def forward(ctx, x, axes=(), ddof=0, keepdims=False):
        ctx.axes, ctx.in_shape = axes, x.shape
        ctx.divisor = int(np.prod([x.shape[a] for a in axes])) - ddof
        ctx.mean = x.mean(axis=axes, keepdims=True)
        centered = x - ctx.mean
        return np.sum(centered * centered, axis=axes, keepdims=keepdims) / ctx.divisor

    def backward(ctx, grad, x):
        # fused, not composed: the gradient through mean(x) is 0 analytically, so an
        # infinite upstream gradient must not flow (and cancel to NaN) through it
        mean = dual.reuse(ctx.mean, lambda: x.mean(axis=ctx.axes, keepdims=True), like=x)
        return _expand(grad, ctx.in_shape, ctx.axes) * ((x - mean) * (2.0 / ctx.divisor))


def _reduce(op: type[Op], name: str, x, axis, keepdims: bool, **params) -> Tensor:
    x = as_tensor(x)
    return op.apply(x, axes=normalize_axis(axis, x.ndim, name), keepdims=keepdims, **params)


def sum(x, axis=None, keepdims=None, *, dim=None, keepdim=None,  # noqa: A001 - NumPy's name
        dtype=None) -> Tensor:
    """Sum over ``axis`` (None = all, int or tuple; negatives allowed); ``dim=`` too.

    The result dtype is ``np.sum``'s: bool and signed integers sum to int64 (the
    platform integer), unsigned ones to uint64 (PyTorch: int64), floats keep
    theirs; ``dtype`` picks the result's dtype.
    """
    axis, keepdims, _ = pick("sum", axis, dim, keepdims, keepdim)
    x = as_tensor(x)
    if dtype is not None:
        x = x.astype(dtype)
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
    if 0 in [x.shape[a] for a in axes] or (x.size == 0 and not axes):
        raise ValueError(f"{name}: cannot reduce an empty axis (shape {x.shape}, axis {axis}): "
                         "it has no identity")
    if torch_style and not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{name}: with dim= or keepdim= (PyTorch's spelling) it returns values "
                        f"and indices along one dimension, so dim must be an int, got {axis!r}; "
                        "use axis= and keepdims= (NumPy's) to reduce several axes or all")
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

    With PyTorch's ``dim=`` or ``keepdim=``, returns ``(values, indices)`` (``.values``,
    ``.indices``), so ``x.max(1, keepdim=True)[1]`` means what it means in PyTorch.
    """
    return _extreme("max", True, x, axis, keepdims, dim, keepdim)


def min(x, axis=None, keepdims=None, *, dim=None, keepdim=None):  # noqa: A001 - NumPy's name
    """Minimum over ``axis``; tied minima share the gradient equally (``dim=``: as ``max``)."""
    return _extreme("min", False, x, axis, keepdims, dim, keepdim)


def amax(x, axis=None, keepdims=None, *, dim=None, keepdim=None) -> Tensor:
    """Maximum over ``axis`` (``dim=`` too); always the values only, as ``np.amax`` and
    ``torch.amax``."""
    axis, keepdims, _ = pick("amax", axis, dim, keepdims, keepdim)
    return _extreme("amax", True, x, axis, keepdims, None, None)


def amin(x, axis=None, keepdims=None, *, dim=None, keepdim=None) -> Tensor:
    """Minimum over ``axis`` (``dim=`` too); always the values only."""
    axis, keepdims, _ = pick("amin", axis, dim, keepdims, keepdim)
    return _extreme("amin", False, x, axis, keepdims, None, None)


def var(x, axis=None, ddof=None, keepdims=None, *, dim=None, keepdim=None, correction=None,
        unbiased=None) -> Tensor:
    """Variance ``sum((x - mean)**2) / (n - ddof)``.

    With ``axis=`` (or none) NumPy's default ``ddof=0``; with PyTorch's ``dim=`` or
    ``keepdim=``, PyTorch's default ``correction=1`` (unbiased). ``correction``/``unbiased``
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
    return Var.apply(x, axes=axes, ddof=ddof, keepdims=keepdims)


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


def prod(x, axis=None, keepdims=None, *, dim=None, keepdim=None, dtype=None) -> Tensor:
    """Product over ``axis`` (``dim=`` too), as ``np.prod``; exact gradients where x has zeros.

    Integer and boolean tensors multiply in 64 bits, as NumPy; ``dtype`` casts first.
    """
    axis, keepdims, _ = pick("prod", axis, dim, keepdims, keepdim)
    x = as_tensor(x)
    if dtype is not None:
        x = x.astype(dtype)
    return _reduce(Prod, "prod", x, axis, keepdims)


def _truth(function, name: str, meaning: str):
    def reduce(x, axis=None, keepdims=None, *, dim=None, keepdim=None) -> Tensor:
        axis, keepdims, _ = pick(name, axis, dim, keepdims, keepdim)
        x = as_tensor(x)
        axes = normalize_axis(axis, x.ndim, name)
        return Tensor._make(np.asarray(capturing.call(function, x.data, axis=axes,
                                                      keepdims=keepdims)))

    reduce.__name__ = reduce.__qualname__ = name
    reduce.__doc__ = (f"True where {meaning} over ``axis`` (``dim=`` too; nonzero is true): "
                      f"a boolean tensor, as ``np.{name}``.")
    return reduce


any = _truth(np.any, "any", "any element is true")  # noqa: A001 - NumPy's name
all = _truth(np.all, "all", "every element is true")  # noqa: A001 - NumPy's name


# ------------------------------------------------------------------ norms


def norm(x, ord=None, axis=None, keepdims=None, *, p=None, dim=None,  # noqa: A002
         keepdim=None) -> Tensor:
    """Vector or matrix norm, as ``np.linalg.norm(x, ord, axis, keepdims)``.

    ``axis`` None: the 2-norm of all elements (with ``ord``, x must be 1-D or 2-D);
    one axis: a vector norm (``ord`` None/2, 1, inf, -inf, 0: the count of nonzeros,
    or any p: ``sum(|x|**p)**(1/p)``); two axes: a matrix norm (``ord`` None/'fro',
    1, -1: largest/smallest column sum of |x|, inf, -inf: row sums). The spectral
    and nuclear norms (``ord`` 2, -2, 'nuc' over two axes) are not supported.
    PyTorch's ``norm(x, p=2, dim=None, keepdim=False)`` spelling is the vector
    p-norm over ``dim`` (all axes when None, p='fro' is 2). Where the norm is 0 its
    gradient is 0 (PyTorch's convention), not NaN.
    """
    axis, keepdims, torch_style = pick("norm", axis, dim, keepdims, keepdim)
    x = as_tensor(x)
    if x.dtype.kind not in "fc":  # NumPy computes norms of integers in float64
        x = x.astype(np.float64)
    if torch_style or p is not None:
        if p is not None and ord is not None:
            raise TypeError(f"norm: got both ord={ord!r} and p={p!r}; pass one of them")
        p = ord if p is None else p
        p = 2 if p is None or (isinstance(p, str) and p == "fro") else p
        return _vector_norm(x, p, normalize_axis(axis, x.ndim, "norm"), keepdims)
    if axis is None:
        if ord is None:
            return _vector_norm(x, 2, tuple(range(x.ndim)), keepdims)
        if x.ndim not in (1, 2):
            raise ValueError(f"norm: ord={ord!r} needs axis= for a tensor of {x.ndim} dimensions "
                             f"(shape {x.shape}): one axis for a vector norm, two for a matrix "
                             f"norm; PyTorch's norm of all elements is norm(x, p={ord!r})")
        axis = tuple(range(x.ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    normalize_axis(axes, x.ndim, "norm")
    axes = tuple(int(a) % x.ndim for a in axes)
    if len(axes) == 1:
        return _vector_norm(x, 2 if ord is None else ord, axes, keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError(f"norm: axis={axis} names {len(axes)} axes; give one (a vector norm) or "
                     "two (a matrix norm)")


def norm_method(self, *args, **kwargs) -> Tensor:
    """``x.norm(...)``: ``ag.norm(x, ...)``; refuses ``x.norm(ord)`` where NumPy and PyTorch differ.

    On a tensor of two or more dimensions, ``x.norm(1)`` is a matrix norm for
    NumPy and the norm of all elements for PyTorch: the keyword says which.
    """
    if (len(args) == 1 and self.ndim >= 2 and args[0] not in (None, "fro")
            and kwargs.get("axis") is None and kwargs.get("dim") is None):
        ord = args[0]  # noqa: A001
        raise TypeError(
            f"norm: x.norm({ord!r}) on a tensor of {self.ndim} dimensions is ambiguous: NumPy's "
            f"np.linalg.norm(x, {ord!r}) is a matrix norm, PyTorch's x.norm({ord!r}) the norm of "
            f"all elements. Write x.norm(ord={ord!r}) for NumPy's meaning, or x.norm(p={ord!r}) "
            "for PyTorch's"
        )
    return norm(self, *args, **kwargs)


def _root(total: Tensor, p) -> Tensor:
    """``total ** (1/p)``, with gradient 0 where ``total`` is 0 (instead of inf * 0 = NaN)."""
    empty = capturing.call(np.equal, total.data, 0)
    safe = where(empty, 1.0, total)
    return where(empty, 0.0, safe.sqrt() if p == 2 else safe ** (1.0 / p))


def _vector_norm(x: Tensor, ord, axes: tuple, keepdims: bool) -> Tensor:
    if isinstance(ord, str) or not isinstance(ord, (int, float, np.number)):
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors (a number, or inf)")
    if ord == np.inf:
        return amax(x.abs(), axes, keepdims)
    if ord == -np.inf:
        return amin(x.abs(), axes, keepdims)
    if ord == 0:  # the number of nonzero elements: no gradient
        return Tensor._make(capturing.call(_count_nonzero, x.data, axes, keepdims))
    if ord == 1:
        return sum(x.abs(), axes, keepdims)
    if ord == 2:
        return _root(sum(x * x, axes, keepdims), 2)
    if ord > 0:  # zeros contribute 0, and no 0 * inf to the gradient
        zero = capturing.call(np.equal, x.data, 0)
        powered = where(zero, 0.0, where(zero, 1.0, x.abs()) ** ord)
    else:
        powered = x.abs() ** ord
    return _root(sum(powered, axes, keepdims), ord)


def _count_nonzero(x: np.ndarray, axes: tuple, keepdims: bool) -> np.ndarray:
    return np.asarray((x != 0).sum(axis=axes, keepdims=keepdims), x.dtype)


def _matrix_norm(x: Tensor, ord, axes: tuple, keepdims: bool) -> Tensor:
    rows, columns = axes
    if rows == columns:
        raise ValueError(f"norm: duplicate axes {axes} for a matrix norm")
    if ord is None or (isinstance(ord, str) and ord in ("fro", "f")):
        result = _root(sum(x * x, axes, True), 2)
    elif isinstance(ord, (int, float, np.number)) and ord in (1, -1, np.inf, -np.inf):
        summed, across = (rows, columns) if ord in (1, -1) else (columns, rows)
        extreme = amax if ord > 0 else amin
        result = extreme(sum(x.abs(), summed, True), across, True)
    elif (isinstance(ord, str) and ord == "nuc") or ord in (2, -2):
        raise NotImplementedError(
            f"norm: ord={ord!r} over two axes needs singular values, which autograd does not "
            "differentiate; use ord='fro', 1 or inf, or np.linalg.norm(x.numpy(), ...) on values")
    else:
        raise ValueError(f"norm: invalid norm order {ord!r} for matrices (None, 'fro', 1, -1, "
                         "inf or -inf)")
    if keepdims:
        return result
    return result.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))
