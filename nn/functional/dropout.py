"""Dropout: randomly zero activations during training (inverted scaling)."""

from __future__ import annotations

import numpy as np

import autograd as ag
from autograd import capturing

__all__ = ["dropout"]


def check_probability(p: float, name: str) -> float:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: dropout probability has to be between 0 and 1, but got {p}")
    return float(p)


def dropout(x: ag.Tensor, p: float = 0.5, training: bool = True) -> ag.Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    The expected value is unchanged; with ``training=False`` (or ``p=0``) ``x`` is returned
    as is. Randomness comes from ``np.random`` (seed it with ``np.random.seed``).
    d/dx = mask / (1 - p).
    """
    p = check_probability(p, "dropout")
    x = x if isinstance(x, ag.Tensor) else ag.Tensor(x)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * np.zeros(x.shape, dtype=x.dtype)
    # drawn in a recorded instruction: a captured step draws a fresh mask in every replay
    return x * capturing.call(_scaled_mask, x.shape, p, x.dtype)


def _scaled_mask(shape: tuple, p: float, dtype: np.dtype) -> np.ndarray:
    """1 / (1 - p) with probability 1 - p, else 0 (from ``np.random``)."""
    scale = dtype.type(1.0 / (1.0 - p))
    return np.where(np.random.random_sample(shape) >= p, scale, dtype.type(0))


