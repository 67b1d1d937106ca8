"""Dropout: randomly zero activations during training (inverted scaling)."""

from __future__ import annotations

import numpy as np

import autograd as ag
from nn.module import Module
from nn.parallel.batch_random import random_sample

__all__ = ["Dropout", "dropout"]


def _check_probability(p: float, name: str) -> float:
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: dropout probability has to be between 0 and 1, but got {p}")
    return float(p)


def dropout(x: ag.Tensor, p: float = 0.5, training: bool = True) -> ag.Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    The expected value is unchanged; with ``training=False`` (or ``p=0``) ``x`` is returned
    as is. Randomness comes from ``np.random`` (seed it with ``np.random.seed``); under
    ``nn.parallel.DistributedDataParallel`` each sample gets the mask one process would
    give it (see ``nn.parallel.batch_random``).
    d/dx = mask / (1 - p).
    """
    p = _check_probability(p, "dropout")
    x = x if isinstance(x, ag.Tensor) else ag.Tensor(x)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * np.zeros(x.shape, dtype=x.dtype)
    scale = x.dtype.type(1.0 / (1.0 - p))
    mask = np.where(random_sample(x.shape) >= p, scale, x.dtype.type(0))
    return x * mask


class Dropout(Module):
    """Dropout layer, as PyTorch's ``nn.Dropout``: active in ``train()``, identity in ``eval()``.

    Any shape in, the same shape out.
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = _check_probability(p, "Dropout")

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        """Apply ``dropout(x, self.p, self.training)``."""
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        """``p=...`` as PyTorch prints it."""
        return f"p={self.p}"
