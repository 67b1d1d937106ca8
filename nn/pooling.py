"""Pooling layers over NCHW images: ``MaxPool2d`` and ``AvgPool2d``."""

from __future__ import annotations

import numpy as np

import autograd as ag
from nn.functional.conv import IntPair
from nn.functional.pooling import avg_pool2d, max_pool2d
from nn.module import Module

__all__ = ["MaxPool2d", "AvgPool2d"]


class _Pool2d(Module):
    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None,
                 padding: IntPair = 0) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def _check_input(self, x) -> None:
        if np.ndim(x) != 4:
            raise ValueError(
                f"{self!r}: expected input of shape (N, C, H, W), got {tuple(np.shape(x))}")

    def extra_repr(self) -> str:
        """``kernel_size=..., stride=..., padding=...`` as PyTorch prints it."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Max over ``kernel_size`` windows, as PyTorch's ``nn.MaxPool2d``.

    (N, C, H, W) -> (N, C, Ho, Wo), ``Ho = (H + 2*padding - kh) // stride + 1``;
    ``stride`` defaults to ``kernel_size``; padding counts as -inf.
    """

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        """(N, C, H, W) -> (N, C, Ho, Wo)."""
        self._check_input(x)
        return max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    """Mean over ``kernel_size`` windows, as PyTorch's ``nn.AvgPool2d``.

    (N, C, H, W) -> (N, C, Ho, Wo); ``stride`` defaults to ``kernel_size``; zero padding is
    counted in the mean unless ``count_include_pad=False``.
    """

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None,
                 padding: IntPair = 0, count_include_pad: bool = True) -> None:
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = count_include_pad

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        """(N, C, H, W) -> (N, C, Ho, Wo)."""
        self._check_input(x)
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.count_include_pad)

    def extra_repr(self) -> str:
        """As PyTorch, plus ``count_include_pad=False`` when set."""
        text = super().extra_repr()
        return text if self.count_include_pad else text + ", count_include_pad=False"
