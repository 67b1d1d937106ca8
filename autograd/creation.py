"""Tensor factories: float32 by default; integer ``arange`` and ``randint`` give int64.

NumPy's and PyTorch's spellings both work: ``zeros(2, 3)``, ``zeros((2, 3))``,
``zeros(size=(2, 3))``, ``dtype=``, ``requires_grad=``, ``device="cpu"``.
Every random factory draws from NumPy's global random state, as ``nn.init``,
``Dropout`` and ``uniform_``/``normal_`` do: ``ag.manual_seed(n)`` (or
``np.random.seed(n)``) makes all of them reproducible at once.
"""

from __future__ import annotations

import numpy as np

from autograd import capturing
from autograd.devices import check_device
from autograd.tensor import DEFAULT_DTYPE, Tensor, _to_array

__all__ = ["zeros", "ones", "full", "empty", "eye", "arange", "linspace", "rand", "randn",
           "randint", "multinomial", "zeros_like", "ones_like", "full_like", "empty_like",
           "rand_like", "randn_like", "manual_seed", "as_tensor", "from_numpy"]


def _shape(name: str, shape: tuple, size=None) -> tuple:
    """``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])`` and ``f(size=(2, 3))`` all mean (2, 3)."""
    if size is not None:
        if shape:
            raise TypeError(f"{name}: give the shape once, positionally or as size=")
        shape = (size,)
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if any(not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0 for n in shape):
        raise ValueError(f"{name}: dimensions must be non-negative integers, got shape {shape}")
    return tuple(int(n) for n in shape)


def _new(array: np.ndarray, requires_grad: bool) -> Tensor:
    # a copy in a recorded instruction: each replay of a captured step starts from a fresh
    # array (a tensor made in the step and then changed in place, ``h = zeros(n); h[i] = v``,
    # would otherwise keep the previous replay's values)
    return Tensor(capturing.call(np.copy, array) if capturing.recording() else array,
                  requires_grad=requires_grad)


def _like_dtype(name: str, t, dtype, floating: bool = False) -> np.dtype:
    dtype = np.asarray(t).dtype if dtype is None else np.dtype(dtype)
    if floating and dtype.kind != "f":
        raise TypeError(f"{name}: random values need a floating dtype, got {dtype}; pass "
                        "dtype=ag.float32 (or randint for integers)")
    return dtype


def zeros(*shape, dtype=DEFAULT_DTYPE, requires_grad: bool = False, size=None,
          device=None) -> Tensor:
    """A tensor of zeros: ``ag.zeros(2, 3)`` or ``ag.zeros((2, 3))``."""
    check_device("zeros", device)
    return _new(np.zeros(_shape("zeros", shape, size), dtype=dtype), requires_grad)


def ones(*shape, dtype=DEFAULT_DTYPE, requires_grad: bool = False, size=None,
         device=None) -> Tensor:
    """A tensor of ones."""
    check_device("ones", device)
    return _new(np.ones(_shape("ones", shape, size), dtype=dtype), requires_grad)


def empty(*shape, dtype=DEFAULT_DTYPE, requires_grad: bool = False, size=None,
          device=None) -> Tensor:
    """A tensor whose values are whatever the memory held (``np.empty``): fill it before use."""
    check_device("empty", device)
    return _new(np.empty(_shape("empty", shape, size), dtype=dtype), requires_grad)


def full(shape, fill_value, dtype=DEFAULT_DTYPE, requires_grad: bool = False,
         device=None) -> Tensor:
    """A tensor filled with ``fill_value``."""
    check_device("full", device)
    shape = _shape("full", (shape,))
    return _new(np.full(shape, fill_value, dtype=dtype), requires_grad)


def eye(n: int, m: int | None = None, dtype=DEFAULT_DTYPE, requires_grad: bool = False,
        device=None) -> Tensor:
    """An ``(n, m)`` identity matrix."""
    check_device("eye", device)
    return _new(np.eye(n, m, dtype=dtype), requires_grad)


def arange(start=None, stop=None, step=1, dtype=None, requires_grad: bool = False, *,
           end=None, device=None) -> Tensor:
    """Evenly spaced values in ``[start, stop)``, as ``np.arange`` (PyTorch's ``end=`` too).

    ``arange(5)``, ``arange(1, 5)``, ``arange(0, 1, 0.25)``. All-integer arguments
    give int64 (``C[ag.arange(n)]`` indexes); otherwise float32.
    """
    check_device("arange", device)
    if end is not None:
        if stop is not None:
            raise TypeError("arange: got both stop and end; pass one of them")
        stop, start = end, 0 if start is None else start
    if start is None:
        raise TypeError("arange: needs at least the end of the range, e.g. arange(5)")
    if step == 0:
        raise ValueError("arange: step must not be 0")
    values = np.arange(start, stop, step) if stop is not None else np.arange(start)
    if dtype is None:
        dtype = np.int64 if values.dtype.kind in "iu" else DEFAULT_DTYPE
    return _new(values.astype(dtype), requires_grad)


def linspace(start, stop=None, num=None, endpoint: bool = True, dtype=None,
             requires_grad: bool = False, *, end=None, steps=None, device=None) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop``, as ``np.linspace`` (float32).

    PyTorch's ``linspace(start, end, steps)`` and its keywords ``end=``, ``steps=``
    too; without a count, NumPy's default of 50.
    """
    check_device("linspace", device)
    if (stop is None) == (end is None) or (num is not None and steps is not None):
        raise TypeError("linspace: give the end once (stop, or end=) and the count at most "
                        "once (num, or steps=)")
    count = 50 if num is None and steps is None else (num if steps is None else steps)
    if not isinstance(count, (int, np.integer)) or isinstance(count, bool) or count < 0:
        raise ValueError(f"linspace: the number of values must be a non-negative int, "
                         f"got {count!r}")
    values = np.linspace(start, end if stop is None else stop, int(count), endpoint=endpoint)
    return _new(values.astype(DEFAULT_DTYPE if dtype is None else dtype), requires_grad)


def rand(*shape, dtype=DEFAULT_DTYPE, requires_grad: bool = False, size=None,
         device=None) -> Tensor:
    """Uniform samples in ``[0, 1)``: ``ag.rand(2, 3)``, ``ag.rand(())`` (0-d)."""
    check_device("rand", device)
    values = capturing.call(_draw, np.random.random_sample, _shape("rand", shape, size), dtype)
    return _new(values, requires_grad)


def randn(*shape, dtype=DEFAULT_DTYPE, requires_grad: bool = False, size=None,
          device=None) -> Tensor:
    """Standard normal samples: ``ag.randn(2, 3)``, ``ag.randn(())`` (0-d)."""
    check_device("randn", device)
    values = capturing.call(_draw, np.random.standard_normal, _shape("randn", shape, size), dtype)
    return _new(values, requires_grad)


def _draw(sample, shape: tuple, dtype) -> np.ndarray:
    """``sample(shape)`` in ``dtype`` (a recorded instruction: replays draw afresh)."""
    return np.asarray(sample(shape)).astype(dtype)


def randint(low, high=None, size=None, dtype=np.int64, *, device=None) -> Tensor:
    """Uniform integers in ``[low, high)`` (int64), NumPy's and PyTorch's calls alike.

    ``randint(5, size=(3,))`` and ``randint(0, 5, (3,))`` (NumPy, PyTorch),
    ``randint(5, (3,))`` (PyTorch: high and size). Without ``size``, a 0-d tensor.
    """
    check_device("randint", device)
    if isinstance(high, (tuple, list)) and size is None:  # PyTorch's randint(high, size)
        high, size = None, high
    if high is None:
        low, high = 0, low
    for name, bound in (("low", low), ("high", high)):
        if not isinstance(bound, (int, np.integer)) or isinstance(bound, bool):
            raise TypeError(f"randint: {name} must be an int, got {bound!r}")
    if low >= high:
        raise ValueError(f"randint: low ({low}) must be less than high ({high})")
    shape = _shape("randint", () if size is None else
                   ((size,) if isinstance(size, (int, np.integer)) else (size,)))
    return Tensor._make(capturing.call(_randint, low, high, shape, dtype))


def _randint(low: int, high: int, shape: tuple, dtype) -> np.ndarray:
    values = np.random.randint(low, high, size=shape, dtype=np.int64)
    return np.asarray(values).astype(dtype, copy=False)


def multinomial(probs, num_samples: int, replacement: bool = False) -> Tensor:
    """Draw category indices (int64) from the weights ``probs`` of each row, as PyTorch.

    ``probs``: ``(K,)`` or ``(N, K)``, non-negative, finite, each row with a
    positive sum (they need not sum to 1). Returns ``(num_samples,)`` or
    ``(N, num_samples)``. Without replacement no index repeats within a row and
    the order is the order of drawing one at a time (exponential races: the
    ``num_samples`` smallest ``Exp(1) / p`` win); with replacement, inverse CDF.
    """
    # the draws, and the weights of each call: one recorded instruction
    return Tensor._make(capturing.call(_multinomial, probs.data if isinstance(probs, Tensor)
                                       else probs, num_samples, replacement))


def _multinomial(probs, num_samples: int, replacement: bool) -> np.ndarray:
    weights = np.asarray(probs, dtype=np.float64)
    rows = _check_weights(weights, num_samples, replacement)
    if replacement:
        cumulative = np.cumsum(rows, axis=1)
        cumulative /= cumulative[:, -1:]  # the last entry is exactly 1, above every draw
        draws = np.random.random_sample((rows.shape[0], num_samples))
        picked = np.stack([np.searchsorted(cdf, u, side="right")
                           for cdf, u in zip(cumulative, draws)])
    else:
        arrival = -np.log1p(-np.random.random_sample(rows.shape))  # Exp(1), finite
        times = np.divide(arrival, rows, out=np.full(rows.shape, np.inf), where=rows > 0)
        picked = np.argsort(times, axis=1, kind="stable")[:, :num_samples]
    return picked.reshape(weights.shape[:-1] + (num_samples,)).astype(np.int64)


def _check_weights(weights: np.ndarray, num_samples, replacement: bool) -> np.ndarray:
    """The weights as ``(rows, categories)`` after PyTorch's checks, with clear messages."""
    if weights.ndim not in (1, 2) or weights.shape[-1] == 0:
        raise ValueError(f"multinomial: probs must be 1-D or 2-D with at least one category, "
                         f"got shape {weights.shape}")
    if not isinstance(num_samples, (int, np.integer)) or isinstance(num_samples, bool) \
            or num_samples <= 0:
        raise ValueError(f"multinomial: num_samples must be a positive int, got {num_samples!r}")
    rows = weights.reshape(-1, weights.shape[-1])
    bad = ~np.isfinite(rows) | (rows < 0)
    if bad.any():
        raise ValueError(f"multinomial: probabilities must be finite and non-negative, got "
                         f"{rows[bad][0]}")
    possible = (rows > 0).sum(axis=1)
    if (possible == 0).any():
        raise ValueError(f"multinomial: the probabilities of row {int(np.argmin(possible))} "
                         "sum to 0")
    if not replacement and num_samples > rows.shape[1]:
        raise ValueError(f"multinomial: cannot draw {num_samples} samples without replacement "
                         f"from {rows.shape[1]} categories")
    if not replacement and (possible < num_samples).any():
        row = int(np.argmin(possible))
        raise ValueError(f"multinomial: row {row} has {possible[row]} categories of non-zero "
                         f"probability, fewer than the {num_samples} samples to draw without "
                         "replacement")
    return rows


def zeros_like(t, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Zeros with the shape (and dtype, unless given) of ``t``."""
    check_device("zeros_like", device)
    return _new(np.zeros_like(np.asarray(t), dtype=dtype), requires_grad)


def ones_like(t, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Ones with the shape (and dtype, unless given) of ``t``."""
    check_device("ones_like", device)
    return _new(np.ones_like(np.asarray(t), dtype=dtype), requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """``fill_value`` everywhere, with the shape (and dtype, unless given) of ``t``."""
    check_device("full_like", device)
    return _new(np.full_like(np.asarray(t), fill_value, dtype=dtype), requires_grad)


def empty_like(t, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Uninitialised values with the shape (and dtype, unless given) of ``t``."""
    check_device("empty_like", device)
    return _new(np.empty_like(np.asarray(t), dtype=dtype), requires_grad)


def rand_like(t, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Uniform samples in ``[0, 1)`` with the shape (and floating dtype) of ``t``."""
    check_device("rand_like", device)
    dtype = _like_dtype("rand_like", t, dtype, floating=True)
    return rand(np.shape(t), dtype=dtype, requires_grad=requires_grad)


def randn_like(t, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Standard normal samples with the shape (and floating dtype) of ``t``."""
    check_device("randn_like", device)
    dtype = _like_dtype("randn_like", t, dtype, floating=True)
    return randn(np.shape(t), dtype=dtype, requires_grad=requires_grad)


def as_tensor(data, dtype=None) -> Tensor:
    """A tensor sharing ``data``'s memory when it is an array of the right dtype (no copy)."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == np.dtype(dtype)):
        return data
    return Tensor(data, dtype=dtype) if isinstance(data, np.ndarray) and dtype is not None \
        else Tensor(_to_array(data, dtype))


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory and dtype."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected an np.ndarray, got {type(array).__name__}")
    return Tensor(array)


def manual_seed(seed: int) -> None:
    """Seed the one random source of autograd and nn (NumPy's global random state).

    ``rand``, ``randn``, ``randint``, ``multinomial``, the ``*_like`` random
    factories, ``uniform_``/``normal_``, ``nn.init`` and ``Dropout`` all draw
    from it. Seeds are taken modulo 2**32 (NumPy's range).
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: seed must be an int, got {seed!r}")
    np.random.seed(int(seed) % 2**32)
