"""Dropout: randomly zero activations during training (inverted scaling)."""

from __future__ import annotations

import warnings

import numpy as np

import autograd as ag
from autograd import capturing
from nn.parallel.batch_random import random_sample

__all__ = ["dropout", "dropout2d"]


def check_probability(p: float, name: str) -> float:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: dropout probability has to be between 0 and 1, but got {p}")
    return float(p)


def dropout(x: ag.Tensor, p: float = 0.5, training: bool = True) -> ag.Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    The expected value is unchanged; with ``training=False`` (or ``p=0``) ``x`` is returned
    as is. Randomness comes from ``np.random`` (seed it with ``ag.manual_seed``); under
    ``nn.parallel.DistributedDataParallel`` each sample gets the mask one process would
    give it (see ``nn.parallel.batch_random``).
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
    """1 / (1 - p) with probability 1 - p, else 0 (``random_sample``: ``np.random``, or the
    whole batch's draws under data parallelism)."""
    scale = dtype.type(1.0 / (1.0 - p))
    return np.where(random_sample(shape) >= p, scale, dtype.type(0))


def dropout2d(x: ag.Tensor, p: float = 0.5, training: bool = True) -> ag.Tensor:
    """Zero whole channels of (N, C, H, W) with probability ``p``, scale the rest by
    ``1 / (1 - p)``, as PyTorch's ``F.dropout2d``.

    One draw per (sample, channel): the mask has shape (N, C, 1, 1). As in PyTorch, a
    3-D input is taken as (N, C, L) (with a warning), and other ranks >= 2 as (N, C, *).
    d/dx = mask / (1 - p).
    """
    p = check_probability(p, "dropout2d")
    x = x if isinstance(x, ag.Tensor) else ag.Tensor(x)
    if x.ndim < 2:
        raise ValueError(f"dropout2d: expected an input of shape (N, C, H, W), got {x.shape}")
    if x.ndim != 4:
        warnings.warn(f"dropout2d: a {x.ndim}-D input of shape {x.shape} is taken as (N, C, *): "
                      "whole channels are dropped, as PyTorch does", stacklevel=2)
    if not training or p == 0.0:
        return x
    shape = x.shape[:2] + (1,) * (x.ndim - 2)
    if p == 1.0:
        return x * np.zeros(shape, dtype=x.dtype)
    return x * capturing.call(_scaled_mask, shape, p, x.dtype)
