"""Convolution layers: ``Conv1d``, ``Conv2d`` and ``ConvTranspose2d``, as PyTorch's.

Same arguments, defaults, attribute names (``kernel_size`` etc. as tuples),
parameter shapes and initialisation, so weights copied from a torch layer give the
same outputs and gradients. They call ``nn.functional.conv1d`` / ``conv2d`` /
``conv_transpose2d``; a ``padding_mode`` other than ``"zeros"`` pads the input first
(``reflect``, ``replicate``, ``circular``) and convolves without padding.
"""

from __future__ import annotations

import numpy as np

import autograd as ag
from autograd.tensor import as_tensor
from nn import init
from nn.functional.conv import conv1d, conv2d, conv_transpose2d, same_padding
from nn.functional.sampling import PADDING_MODES, pad_borders
from nn.functional.windows import IntPair
from nn.module import Module, Parameter

__all__ = ["Conv1d", "Conv2d", "ConvTranspose2d"]


def _tuple(value, dims: int, what: str, name: str) -> tuple:
    """An int or a tuple of ``dims`` ints -> that tuple."""
    values = (value,) * dims if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != dims or not all(isinstance(v, (int, np.integer)) and not isinstance(
            v, bool) for v in values):
        raise TypeError(f"{name}: {what} must be an int or a tuple of {dims} ints, got {value!r}")
    return tuple(int(v) for v in values)


class _ConvNd(Module):
    """What the convolution layers share: arguments, checks, parameters, ``repr``."""

    _dims = 2
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride, padding,
                 dilation, groups: int, bias: bool, padding_mode: str,
                 output_padding=0) -> None:
        super().__init__()
        name, dims = type(self).__name__, self._dims
        for what, value in (("in_channels", in_channels), ("out_channels", out_channels),
                            ("groups", groups)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name}: {what} must be a positive int, got {value!r}")
        for what, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if value % groups:
                raise ValueError(f"{name}: {what} must be divisible by groups, got "
                                 f"{what}={value}, groups={groups}")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {PADDING_MODES}, got "
                             f"{padding_mode!r}")
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is supported")
        self.in_channels, self.out_channels, self.groups = (int(in_channels), int(out_channels),
                                                            int(groups))
        self.kernel_size = _tuple(kernel_size, dims, "kernel_size", name)
        self.stride = _tuple(stride, dims, "stride", name)
        self.dilation = _tuple(dilation, dims, "dilation", name)
        self.output_padding = _tuple(output_padding, dims, "output_padding", name)
        self.padding_mode = padding_mode
        self.transposed = self._transposed
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: invalid padding string {padding!r}, should be one "
                                 "of 'same' or 'valid'")
            if padding == "same":
                same_padding(name, self.kernel_size, self.stride, self.dilation)
            self.padding = padding
        else:
            self.padding = _tuple(padding, dims, "padding", name)
        numbers = self.kernel_size + self.stride
        if min(numbers) <= 0 or (not isinstance(self.padding, str) and min(self.padding) < 0):
            raise ValueError(
                f"{name}: kernel_size and stride must be positive and padding non-negative, "
                f"got kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}"
            )
        if min(self.dilation) <= 0:
            raise ValueError(f"{name}: dilation must be positive, got {self.dilation}")
        if self._transposed:
            shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        else:
            shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=np.float32))
        if bias:
            self.bias = Parameter(np.empty(self.out_channels, dtype=np.float32))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: ``kaiming_uniform_(a=sqrt(5))``, bias U(-1/sqrt(fan_in), ...)
        with ``fan_in = weight.shape[1] * prod(kernel_size)``."""
        init.default_layer_init_(self.weight, self.bias)

    def _check_input(self, x) -> None:
        shape = tuple(np.shape(x))
        if len(shape) != self._dims + 2 or shape[1] != self.in_channels:
            layout = "L" if self._dims == 1 else "H, W"
            raise ValueError(f"{self!r}: expected input of shape (N, {self.in_channels}, "
                             f"{layout}), got {shape}")

    def _border_widths(self) -> list:
        """(lead, trail) per spatial axis, for a ``padding_mode`` other than zeros."""
        if self.padding == "same":
            return list(same_padding(type(self).__name__, self.kernel_size, self.stride,
                                     self.dilation))
        if self.padding == "valid":
            return [(0, 0)] * self._dims
        return [(p, p) for p in self.padding]

    def _padded(self, x: ag.Tensor) -> ag.Tensor:
        return pad_borders(as_tensor(x), self._border_widths(), self.padding_mode, repr(self))

    def extra_repr(self) -> str:
        """``in, out, kernel_size=..., stride=...`` and what differs from the defaults,
        as PyTorch prints it."""
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0,) * self._dims:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self._dims:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._dims:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv1d(_ConvNd):
    """1-D convolution layer, as PyTorch's ``nn.Conv1d``: (N, C_in, L) -> (N, C_out, Lo),
    ``Lo = (L + 2*padding - dilation*(k - 1) - 1) // stride + 1``.

    ``weight`` (C_out, C_in/groups, k), ``bias`` (C_out,); ``padding`` an int, ``"valid"``
    or ``"same"``; ``padding_mode`` one of ``"zeros"``, ``"reflect"``, ``"replicate"``,
    ``"circular"``. Initialised as PyTorch (see ``Conv2d``).
    """

    _dims = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int | str = 0, dilation: int = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros") -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode)

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        """(N, C_in, L) -> (N, C_out, Lo)."""
        self._check_input(x)
        if self.padding_mode == "zeros":
            return conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                          self.groups)
        return conv1d(self._padded(x), self.weight, self.bias, self.stride, 0, self.dilation,
                      self.groups)


class Conv2d(_ConvNd):
    """2-D convolution layer, as PyTorch's ``nn.Conv2d``.

    Input (N, C_in, H, W) -> output (N, C_out, Ho, Wo) with
    ``Ho = (H + 2*padding - dilation*(kh - 1) - 1) // stride + 1`` (same for W).
    ``groups`` splits the channels into blocks convolved separately (``groups =
    in_channels``: depthwise); ``padding`` may be ``"valid"`` or ``"same"``;
    ``padding_mode`` is ``"zeros"``, ``"reflect"``, ``"replicate"`` or ``"circular"``.

    ``weight`` (C_out, C_in/groups, kh, kw) and ``bias`` (C_out,) start from PyTorch's
    default: uniform in ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]`` with
    ``fan_in = C_in/groups*kh*kw`` (this is ``kaiming_uniform_(a=sqrt(5))`` for the weight).

    >>> conv = nn.Conv2d(1, 8, kernel_size=3, padding=1)
    >>> conv(ag.randn(4, 1, 28, 28)).shape
    (4, 8, 28, 28)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair,
                 stride: IntPair = 1, padding: IntPair | str = 0, dilation: IntPair = 1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros") -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode)

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        """(N, C_in, H, W) -> (N, C_out, Ho, Wo)."""
        self._check_input(x)
        if self.padding_mode == "zeros":
            return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                          self.groups)
        return conv2d(self._padded(x), self.weight, self.bias, self.stride, 0, self.dilation,
                      self.groups)


class ConvTranspose2d(_ConvNd):
    """2-D transposed convolution, as PyTorch's ``nn.ConvTranspose2d``: the gradient of a
    ``Conv2d`` with respect to its input, used as a layer (learned upsampling).

    (N, C_in, H, W) -> (N, C_out, Ho, Wo) with
    ``Ho = (H - 1)*stride - 2*padding + dilation*(kh - 1) + output_padding + 1``.
    ``weight`` (C_in, C_out/groups, kh, kw), ``bias`` (C_out,), initialised as PyTorch
    (``fan_in = C_out/groups*kh*kw``). ``forward(x, output_size)`` picks the
    ``output_padding`` that gives ``output_size``.
    """

    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair,
                 stride: IntPair = 1, padding: IntPair = 0, output_padding: IntPair = 0,
                 groups: int = 1, bias: bool = True, dilation: IntPair = 1,
                 padding_mode: str = "zeros") -> None:
        if isinstance(padding, str):
            raise ValueError(f"ConvTranspose2d: padding must be an int or a pair of ints, got "
                             f"{padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding)

    def forward(self, x: ag.Tensor, output_size=None) -> ag.Tensor:
        """(N, C_in, H, W) -> (N, C_out, Ho, Wo); ``output_size`` (H, W) or (N, C, H, W)."""
        self._check_input(x)
        extra = self.output_padding
        if output_size is not None:
            extra = self._output_padding(tuple(np.shape(x))[2:], output_size)
        return conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, extra,
                                self.groups, self.dilation)

    def _output_padding(self, in_hw: tuple, output_size) -> tuple:
        """The ``output_padding`` that makes the output ``output_size`` (PyTorch's rule)."""
        size = tuple(int(s) for s in output_size)[-2:]
        extra = []
        for n, want, k, s, p, d in zip(in_hw, size, self.kernel_size, self.stride,
                                       self.padding, self.dilation):
            smallest = (n - 1) * s - 2 * p + d * (k - 1) + 1
            if not smallest <= want < smallest + s:
                raise ValueError(f"{self!r}: requested an output size of {size}, but valid "
                                 f"sizes range from {smallest} to {smallest + s - 1} (for an "
                                 f"input of {in_hw})")
            extra.append(want - smallest)
        return tuple(extra)
