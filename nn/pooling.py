"""Pooling layers, as PyTorch's: ``MaxPool1d/2d``, ``AvgPool1d/2d``, ``AdaptiveAvgPool1d/2d``.

They hold no parameters and call the functions of ``nn.functional.pooling``.
"""

from __future__ import annotations

import numpy as np

import autograd as ag
from nn.functional.pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from nn.functional.windows import IntPair
from nn.module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d"]


class _Pool(Module):
    _dims = 2

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def _check_input(self, x) -> None:
        if np.ndim(x) != self._dims + 2:
            layout = "L" if self._dims == 1 else "H, W"
            raise ValueError(f"{self!r}: expected input of shape (N, C, {layout}), got "
                             f"{tuple(np.shape(x))}")

    def extra_repr(self) -> str:
        """``kernel_size=..., stride=..., padding=...`` as PyTorch prints it."""
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _MaxPool(_Pool):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__(kernel_size, stride, padding)
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        """As PyTorch prints it."""
        return f"{super().extra_repr()}, dilation={self.dilation}, ceil_mode={self.ceil_mode}"


class MaxPool1d(_MaxPool):
    """Max over windows of (N, C, L), as PyTorch's ``nn.MaxPool1d`` (see ``MaxPool2d``)."""

    _dims = 1

    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0,
                 dilation: int = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__(kernel_size, stride, padding, dilation, return_indices, ceil_mode)

    def forward(self, x: ag.Tensor):
        """(N, C, L) -> (N, C, Lo), and the indices along L with ``return_indices``."""
        self._check_input(x)
        return max_pool1d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                          self.ceil_mode, self.return_indices)


class MaxPool2d(_MaxPool):
    """Max over ``kernel_size`` windows, as PyTorch's ``nn.MaxPool2d``.

    (N, C, H, W) -> (N, C, Ho, Wo), ``Ho = (H + 2*padding - dilation*(kh - 1) - 1) //
    stride + 1`` (rounded up with ``ceil_mode``); ``stride`` defaults to ``kernel_size``;
    padding counts as -inf. ``return_indices=True`` also returns each maximum's index in
    the flattened (H*W) plane.
    """

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None,
                 padding: IntPair = 0, dilation: IntPair = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__(kernel_size, stride, padding, dilation, return_indices, ceil_mode)

    def forward(self, x: ag.Tensor):
        """(N, C, H, W) -> (N, C, Ho, Wo), and the indices with ``return_indices``."""
        self._check_input(x)
        return max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                          self.ceil_mode, self.return_indices)


def _one(value) -> tuple:
    """PyTorch's 1-d layers store their sizes as 1-tuples: ``3`` -> ``(3,)``."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


class AvgPool1d(_Pool):
    """Mean over windows of (N, C, L), as PyTorch's ``nn.AvgPool1d`` (see ``AvgPool2d``)."""

    _dims = 1

    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__(_one(kernel_size), _one(kernel_size if stride is None else stride),
                         _one(padding))
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        """(N, C, L) -> (N, C, Lo)."""
        self._check_input(x)
        return avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad)


class AvgPool2d(_Pool):
    """Mean over ``kernel_size`` windows, as PyTorch's ``nn.AvgPool2d``.

    (N, C, H, W) -> (N, C, Ho, Wo); ``stride`` defaults to ``kernel_size``; zero padding is
    counted in the mean unless ``count_include_pad=False``; ``ceil_mode`` rounds the output
    size up; ``divisor_override`` replaces the window size.
    """

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None,
                 padding: IntPair = 0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__(kernel_size, stride, padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        """(N, C, H, W) -> (N, C, Ho, Wo)."""
        self._check_input(x)
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        """As PyTorch, plus ``count_include_pad=False`` when set."""
        text = super().extra_repr()
        return text if self.count_include_pad else text + ", count_include_pad=False"


class _AdaptivePool(Module):
    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        """As PyTorch prints it."""
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """Average over the windows that split L into ``output_size``, as ``nn.AdaptiveAvgPool1d``."""

    def __init__(self, output_size: int) -> None:
        super().__init__(output_size)

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        """(N, C, L) -> (N, C, output_size)."""
        return adaptive_avg_pool1d(x, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePool):
    """Average over the windows that split (H, W) into ``output_size``, as PyTorch's
    ``nn.AdaptiveAvgPool2d``: window k spans ``[floor(k*H/Ho), ceil((k+1)*H/Ho))``.

    ``output_size`` is an int or an (Ho, Wo) pair; None keeps that input size.
    ``AdaptiveAvgPool2d(1)`` is global average pooling.
    """

    def __init__(self, output_size) -> None:
        super().__init__(output_size)

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        """(N, C, H, W) -> (N, C, Ho, Wo)."""
        return adaptive_avg_pool2d(x, self.output_size)
