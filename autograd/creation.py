"""Tensor factories: float32 by default; integer ``arange`` gives int64, as NumPy and PyTorch."""

from __future__ import annotations

import numpy as np

from autograd import capturing
from autograd.tensor import DEFAULT_DTYPE, Tensor, _to_array

__all__ = ["zeros", "ones", "full", "eye", "arange", "rand", "randn", "zeros_like", "ones_like",
           "manual_seed", "as_tensor", "from_numpy"]


def _shape(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _new(array: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor(array, requires_grad=requires_grad)


def _filled(name: str, shape: tuple, fill_value, dtype, requires_grad: bool) -> Tensor:
    if any(not isinstance(n, (int, np.integer)) or n < 0 for n in shape):
        raise ValueError(f"{name}: dimensions must be non-negative integers, got shape {shape}")
    return _new(np.full(shape, fill_value, dtype=dtype), requires_grad)


def zeros(*shape, dtype=DEFAULT_DTYPE, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: ``ag.zeros(2, 3)`` or ``ag.zeros((2, 3))``."""
    return _filled("zeros", _shape(shape), 0, dtype, requires_grad)


def ones(*shape, dtype=DEFAULT_DTYPE, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return _filled("ones", _shape(shape), 1, dtype, requires_grad)


def full(shape, fill_value, dtype=DEFAULT_DTYPE, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    return _filled("full", shape, fill_value, dtype, requires_grad)


def eye(n: int, m: int | None = None, dtype=DEFAULT_DTYPE, requires_grad: bool = False) -> Tensor:
    """An ``(n, m)`` identity matrix."""
    return _new(np.eye(n, m, dtype=dtype), requires_grad)


def arange(start, stop=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """Evenly spaced values in ``[start, stop)``, as ``np.arange``.

    All-integer arguments give int64 (``C[ag.arange(n)]`` indexes); otherwise float32.
    """
    if step == 0:
        raise ValueError("arange: step must not be 0")
    values = np.arange(start, stop, step) if stop is not None else np.arange(start)
    if dtype is None:
        dtype = np.int64 if values.dtype.kind in "iu" else DEFAULT_DTYPE
    return _new(values.astype(dtype), requires_grad)


def rand(*shape, dtype=DEFAULT_DTYPE, requires_grad: bool = False) -> Tensor:
    """Uniform samples in ``[0, 1)`` from NumPy's global random state."""
    return _new(capturing.call(_draw, np.random.rand, _shape(shape), dtype), requires_grad)


def randn(*shape, dtype=DEFAULT_DTYPE, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from NumPy's global random state."""
    return _new(capturing.call(_draw, np.random.randn, _shape(shape), dtype), requires_grad)


def _draw(sample, shape: tuple, dtype) -> np.ndarray:
    """``sample(*shape)`` in ``dtype`` (a recorded instruction: replays draw afresh)."""
    return sample(*shape).astype(dtype)


def zeros_like(t, dtype=None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and dtype, unless given) of ``t``."""
    return _new(np.zeros_like(np.asarray(t), dtype=dtype), requires_grad)


def ones_like(t, dtype=None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and dtype, unless given) of ``t``."""
    return _new(np.ones_like(np.asarray(t), dtype=dtype), requires_grad)


def as_tensor(data, dtype=None) -> Tensor:
    """A tensor sharing ``data``'s memory when it is an array of the right dtype (no copy)."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == np.dtype(dtype)):
        return data
    return Tensor(_to_array(data, dtype))


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory and dtype."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected an np.ndarray, got {type(array).__name__}")
    return Tensor(array)


def manual_seed(seed: int) -> None:
    """Seed NumPy's global random state, which ``rand``, ``randn`` and ``nn.init`` use."""
    np.random.seed(seed)
