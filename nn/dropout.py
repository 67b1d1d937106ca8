"""Dropout: randomly zero activations during training (inverted scaling)."""

from __future__ import annotations

import autograd as ag
from autograd import capturing
from nn.functional.dropout import check_probability as _check_probability
from nn.functional.dropout import dropout, dropout2d
from nn.module import Module

__all__ = ["Dropout", "Dropout2d"]


class Dropout(Module):
    """Dropout layer, as PyTorch's ``nn.Dropout``: active in ``train()``, identity in ``eval()``.

    Any shape in, the same shape out.
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = _check_probability(p, "Dropout")

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        """Apply ``dropout(x, self.p, self.training)``."""
        capturing.guard(self, "training", "p")
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        """``p=...`` as PyTorch prints it."""
        return f"p={self.p}"


class Dropout2d(Module):
    """Channel dropout, as PyTorch's ``nn.Dropout2d``: in ``train()`` each channel of each
    sample of (N, C, H, W) is zeroed with probability ``p`` (the rest scaled by
    ``1 / (1 - p)``); identity in ``eval()``.
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = _check_probability(p, "Dropout2d")

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        """Apply ``dropout2d(x, self.p, self.training)``."""
        return dropout2d(x, self.p, self.training)

    def extra_repr(self) -> str:
        """``p=...`` as PyTorch prints it."""
        return f"p={self.p}"
