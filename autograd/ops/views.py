"""PyTorch's shape methods and queries, over NumPy's: ``view``, ``unsqueeze``, ``permute``, ...

Most are other spellings of the shape ops in ``shape.py``: ``view`` is a
``reshape`` that refuses to copy, ``permute`` a ``transpose``, ``expand`` a
``broadcast_to`` that understands -1. Each returns a view of its input's
buffer where PyTorch's does, sharing the input's version counter.
``clone`` is the one new op: a differentiable copy.
"""

from __future__ import annotations

import numpy as np

from autograd.function import Op, ShapeError
from autograd.ops.shape import (
    broadcast_to,
    concatenate,
    reshape,
    swapaxes,
    transpose,
)
from autograd.tensor import Tensor, as_tensor

__all__ = ["clone", "unsqueeze", "permute", "moveaxis", "movedim", "cat", "concat", "numel",
           "is_tensor"]

class Clone(Op):
    """d/dx clone(x) = grad"""

    def forward(ctx, x):
        return np.array(x, order="C")

    def backward(ctx, grad):
        return grad


def clone(x) -> Tensor:
    """A copy of the data (C-contiguous) that stays in the graph, as ``torch.clone``."""
    return Clone.apply(as_tensor(x))


# ------------------------------------------------------------------ views


def sizes_argument(name: str, sizes: tuple) -> tuple:
    """``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])`` all mean the sizes (2, 3)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in sizes):
        raise TypeError(f"{name}: sizes must be ints, got {sizes!r}")
    return tuple(int(n) for n in sizes)


def _resolve(name: str, shape: tuple, x: Tensor) -> tuple:
    """``shape`` with its one -1 worked out; refuses shapes of another element count."""
    unknown = [i for i, n in enumerate(shape) if n == -1]
    known = int(np.prod([n for n in shape if n != -1]))
    if len(unknown) > 1 or any(n < -1 for n in shape):
        invalid = True
    elif unknown:
        invalid = known == 0 or x.size % known != 0
    else:
        invalid = known != x.size
    if invalid:
        raise ShapeError(f"{name}: shape {list(shape)} is invalid for a tensor of shape "
                         f"{x.shape} ({x.size} elements)")
    if unknown:
        shape = shape[:unknown[0]] + (x.size // known,) + shape[unknown[0] + 1:]
    return shape


def view(self, *shape) -> Tensor:
    """The same data seen with another shape (one size may be -1), as PyTorch's ``view``.

    Always a view: where the memory layout cannot be seen with the new shape
    (after ``transpose``, ``permute`` or a strided slice) it refuses, as
    PyTorch does; ``reshape`` copies in that case.
    """
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int, np.integer)):
        raise TypeError(f"view: expected a shape, got {shape[0]!r}; to change the dtype use "
                        "astype(dtype) (a converting copy), or x.data.view(dtype) to "
                        "reinterpret the bytes")
    shape = _resolve("view", sizes_argument("view", shape), self)
    try:
        self.data.reshape(shape, copy=False)
    except ValueError:
        raise ShapeError(
            f"view: a tensor of shape {self.shape} and strides {self.stride()} cannot be viewed "
            f"as shape {shape}: its elements are not laid out in that order in memory (after "
            "transpose, permute or a strided slice). Use .reshape(...) instead (it copies when "
            "it must), or .contiguous().view(...)"
        ) from None
    return reshape(self, shape)


def view_as(self, other) -> Tensor:
    """``self.view(other.shape)``."""
    return view(self, other.shape)


def reshape_as(self, other) -> Tensor:
    """``self.reshape(other.shape)``."""
    return reshape(self, other.shape)


def _check_dim(name: str, dim, ndim: int):
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{name}: dim must be an int, got {dim!r}")
    if not -ndim <= dim < ndim:
        raise IndexError(f"{name}: dimension out of range (expected to be in range of "
                         f"[{-ndim}, {ndim - 1}], but got {dim})")
    return int(dim) % ndim


def unsqueeze(x, dim: int) -> Tensor:
    """Insert a dimension of size 1 at ``dim`` (``-x.ndim - 1 <= dim <= x.ndim``).

    As ``torch.unsqueeze``; ``expand_dims`` is NumPy's name (and takes a tuple).
    """
    x = as_tensor(x)
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"unsqueeze: dim must be one int, got {dim!r}; expand_dims(x, axis) "
                        "takes a tuple")
    dim = _check_dim("unsqueeze", dim, x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def _dims_argument(dims: tuple) -> tuple:
    """``f(2, 0, 1)``, ``f((2, 0, 1))`` and ``f([2, 0, 1])`` all mean the dims (2, 0, 1)."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return dims


def permute(x, *dims) -> Tensor:
    """Reorder the dimensions: output dimension ``i`` is input dimension ``dims[i]``.

    As PyTorch's ``permute``; NumPy spells it ``transpose(axes)``.
    """
    x = as_tensor(x)
    dims = _dims_argument(dims)
    ndim = max(x.ndim, 1)
    if (len(dims) != x.ndim or not all(isinstance(d, (int, np.integer)) for d in dims)
            or sorted(int(d) % ndim for d in dims if -ndim <= d < ndim) != list(range(x.ndim))):
        raise ShapeError(f"permute: dims {tuple(dims)} are not an ordering of the "
                         f"{x.ndim} dimensions of a tensor of shape {x.shape}")
    return transpose(x, [int(d) for d in dims])


def moveaxis(x, source, destination) -> Tensor:
    """Move axes to new positions, the others keeping their order, as ``np.moveaxis``."""
    x = as_tensor(x)
    order = list(range(x.ndim))
    sources = [source] if isinstance(source, (int, np.integer)) else list(source)
    targets = [destination] if isinstance(destination, (int, np.integer)) else list(destination)
    if len(sources) != len(targets):
        raise ValueError(f"moveaxis: source {source!r} and destination {destination!r} must "
                         "have the same number of elements")
    sources = [_check_dim("moveaxis", d, x.ndim) for d in sources]
    targets = [_check_dim("moveaxis", d, x.ndim) for d in targets]
    rest = [d for d in order if d not in sources]
    for target, moved in sorted(zip(targets, sources)):
        rest.insert(target, moved)
    return transpose(x, rest)


def movedim(x, source, destination) -> Tensor:
    """PyTorch's name for ``moveaxis``."""
    return moveaxis(x, source, destination)


def expand(self, *sizes) -> Tensor:
    """Broadcast size-1 dimensions to ``sizes`` (-1 keeps a size), as PyTorch's ``expand``.

    New dimensions may be added in front. A read-only view: clone() it before
    changing it in place.
    """
    sizes = sizes_argument("expand", sizes)
    lead = len(sizes) - self.ndim
    if lead < 0:
        raise ShapeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater "
                         f"or equal to the number of dimensions in the tensor ({self.ndim})")
    target = []
    for i, size in enumerate(sizes):
        old = self.shape[i - lead] if i >= lead else None
        if size == -1 and old is not None:
            size = old
        if size < 0 or (old is not None and old != 1 and size != old):
            raise ShapeError(f"expand: the size {size} at dimension {i} does not fit: a tensor "
                             f"of shape {self.shape} can be expanded only along its size-1 "
                             f"dimensions (or new leading ones; -1 keeps a size), not to "
                             f"{tuple(sizes)}")
        target.append(size)
    return broadcast_to(self, tuple(target))


def expand_as(self, other) -> Tensor:
    """``self.expand(other.shape)``."""
    return expand(self, other.shape)


def contiguous(self) -> Tensor:
    """``self`` when its data is C-contiguous; otherwise a contiguous ``clone()``."""
    return self if self.data.flags.c_contiguous else clone(self)


def matrix_transpose(self) -> Tensor:
    """``mT``: the last two dimensions swapped (a batch of transposed matrices)."""
    if self.ndim < 2:
        raise ShapeError(f"mT: needs a matrix or a batch of matrices, got shape {self.shape}; "
                         "a 1-D tensor has nothing to transpose")
    return swapaxes(self, -2, -1)


def t(self) -> Tensor:
    """PyTorch's ``t()``: transpose a tensor of at most 2 dimensions."""
    if self.ndim > 2:
        raise ShapeError(f"t: expects a tensor with <= 2 dimensions, got shape {self.shape}; "
                         "use transpose(d0, d1), permute(...) or mT")
    return transpose(self)


def cat(tensors, dim: int = 0, *, axis=None) -> Tensor:
    """Join tensors along an existing dimension: ``torch.cat`` (``concatenate`` in NumPy)."""
    if axis is not None:
        dim = axis
    return concatenate(tensors, axis=dim)


def concat(tensors, dim: int = 0, *, axis=None) -> Tensor:
    """``cat`` under its other name (``torch.concat``, ``np.concat``)."""
    return cat(tensors, dim, axis=axis)


# ------------------------------------------------------------------ queries


def numel(x) -> int:
    """Number of elements (NumPy's ``size``)."""
    return int(as_tensor(x).data.size)


def dim(self) -> int:
    """Number of dimensions (NumPy's ``ndim``)."""
    return self.data.ndim


def is_tensor(obj) -> bool:
    """True if ``obj`` is a Tensor."""
    return isinstance(obj, Tensor)


def stride(self, dim: int | None = None):
    """Steps between neighbouring elements, in elements (NumPy's ``strides`` are in bytes)."""
    steps = tuple(s // self.data.itemsize for s in self.data.strides)
    return steps if dim is None else steps[_check_dim("stride", dim, max(self.ndim, 1))]


def is_contiguous(self) -> bool:
    """True if the data is laid out in C order without gaps."""
    return bool(self.data.flags.c_contiguous)


def data_ptr(self) -> int:
    """Address of the first element (two views of one buffer can be compared with it)."""
    return int(self.data.ctypes.data)


def element_size(self) -> int:
    """Bytes per element."""
    return self.data.itemsize


def is_floating_point(self) -> bool:
    """True for floating dtypes (float16, float32, float64)."""
    return self.data.dtype.kind == "f"


def get_device(self) -> int:
    """-1: the CPU (PyTorch's number for it)."""
    return -1
