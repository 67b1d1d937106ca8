"""``Conv2d``: a learnable 2-D convolution over NCHW images."""

from __future__ import annotations

import numpy as np

import autograd as ag
from nn import init
from nn.functional.conv import IntPair, conv2d
from nn.functional.conv import pair as _pair
from nn.module import Module, Parameter

__all__ = ["Conv2d"]


class Conv2d(Module):
    """2-D convolution layer, as PyTorch's ``nn.Conv2d`` (no dilation or groups).

    Input (N, C_in, H, W) -> output (N, C_out, Ho, Wo) with
    ``Ho = (H + 2*padding - kh) // stride + 1`` (same for W).

    ``weight`` (C_out, C_in, kh, kw) and ``bias`` (C_out,) start from PyTorch's default:
    uniform in ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]`` with ``fan_in = C_in*kh*kw`` (this is
    ``kaiming_uniform_(a=sqrt(5))`` for the weight).

    >>> conv = nn.Conv2d(1, 8, kernel_size=3, padding=1)
    >>> conv(ag.randn(4, 1, 28, 28)).shape
    (4, 8, 28, 28)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair,
                 stride: IntPair = 1, padding: IntPair = 0, bias: bool = True) -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"Conv2d: {name} must be a positive int, got {value!r}")
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.kernel_size = _pair(kernel_size, "kernel_size", "Conv2d")
        self.stride = _pair(stride, "stride", "Conv2d")
        self.padding = _pair(padding, "padding", "Conv2d")
        if min(self.kernel_size) <= 0 or min(self.stride) <= 0 or min(self.padding) < 0:
            raise ValueError(
                f"Conv2d: kernel_size and stride must be positive and padding non-negative, "
                f"got kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}"
            )
        shape = (self.out_channels, self.in_channels) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=np.float32))
        if bias:
            self.bias = Parameter(np.empty(self.out_channels, dtype=np.float32))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: ``kaiming_uniform_(a=sqrt(5))``, bias U(-1/sqrt(fan_in), ...)."""
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        """(N, C_in, H, W) -> (N, C_out, Ho, Wo)."""
        shape = tuple(np.shape(x))
        if len(shape) != 4 or shape[1] != self.in_channels:
            raise ValueError(
                f"{self!r}: expected input of shape (N, {self.in_channels}, H, W), "
                f"got {shape}"
            )
        return conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        """``in, out, kernel_size=..., stride=...`` as PyTorch prints it."""
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.bias is None:
            text += ", bias=False"
        return text
