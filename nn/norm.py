"""Normalisation layers ``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm``, ``GroupNorm``.

They call ``nn.functional.batch_norm`` / ``layer_norm``: the fused ``normalize`` op
(one closed-form backward, second derivatives included), then ``* weight + bias``.
"""

from __future__ import annotations

import numpy as np

import autograd as ag
from autograd import capturing
from autograd.tensor import as_tensor
from nn.functional.normalization import as_shape as _as_shape
from nn.functional.normalization import batch_norm, group_norm, layer_norm
from nn.functional.normalization import values_per_channel as _values_per_channel
from nn.module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm"]


def _count_batch(counter: ag.Tensor) -> None:
    counter.data += 1


class _BatchNorm(Module):
    """Shared code of the BatchNorm layers; subclasses set ``_input_dims`` and ``_layout``."""

    _input_dims: tuple = ()
    _layout = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True) -> None:
        super().__init__()
        if not isinstance(num_features, (int, np.integer)) or num_features <= 0:
            raise ValueError(
                f"{type(self).__name__}: num_features must be a positive int, got {num_features!r}"
            )
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=np.float32))
            self.bias = Parameter(np.zeros(num_features, dtype=np.float32))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=np.float32))
            self.register_buffer("running_var", np.ones(num_features, dtype=np.float32))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches tracked."""
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        """Normalise each channel: ``(x - mean) / sqrt(var + eps) * weight + bias``.

        Training (or ``track_running_stats=False``): batch statistics, biased variance;
        the running estimates are updated with the unbiased variance. Evaluation: the
        running estimates.
        """
        x = as_tensor(x)
        if x.ndim not in self._input_dims or x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}): expected input of shape "
                f"{self._layout} with C={self.num_features}, got {x.shape}"
            )
        capturing.guard(self, "training", "momentum", "track_running_stats", "eps")
        use_batch_stats = self.training or not self.track_running_stats
        if use_batch_stats:  # before any state changes: a rejected batch changes nothing
            _values_per_channel(type(self).__name__, x)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            capturing.call(_count_batch, self.num_batches_tracked)
            if self.momentum is None:  # cumulative moving average (1 / batches), as PyTorch
                momentum = self.num_batches_tracked
        return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          use_batch_stats, momentum, self.eps)

    def extra_repr(self) -> str:
        """As PyTorch prints it."""
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L) inputs, as PyTorch's ``nn.BatchNorm1d``.

    Statistics are taken per channel C over the batch (and length) axes.
    """

    _input_dims = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W) inputs, as PyTorch's ``nn.BatchNorm2d``.

    Statistics are taken per channel C over the N, H and W axes.
    """

    _input_dims = (4,)
    _layout = "(N, C, H, W)"


class LayerNorm(Module):
    """Layer normalisation over the last dimensions, as PyTorch's ``nn.LayerNorm``.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` where mean and (biased) var are
    taken over the trailing ``normalized_shape`` dimensions of each sample; ``weight``
    and ``bias`` have shape ``normalized_shape``.
    """

    def __init__(self, normalized_shape: int | tuple[int, ...], eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True) -> None:
        super().__init__()
        self.normalized_shape = _as_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=np.float32))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=np.float32))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        """(..., *normalized_shape) -> same shape, normalised over the trailing dimensions."""
        shape, dims = self.normalized_shape, len(self.normalized_shape)
        if np.ndim(x) < dims or tuple(np.shape(x)[np.ndim(x) - dims:]) != shape:
            raise ValueError(
                f"LayerNorm({shape}): expected input of shape "
                f"(*, {', '.join(map(str, shape))}), got {tuple(np.shape(x))}"
            )
        return layer_norm(x, shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        """As PyTorch prints it."""
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class GroupNorm(Module):
    """Group normalisation, as PyTorch's ``nn.GroupNorm``: (N, C, *) -> the same shape.

    The ``num_channels`` channels split into ``num_groups`` groups; each sample's group is
    standardised over its channels and positions (biased variance), then scaled and
    shifted per channel by ``weight`` (ones) and ``bias`` (zeros), each (C,), when
    ``affine``. ``num_groups=1`` normalises like LayerNorm over (C, *); ``num_groups=C``
    like InstanceNorm. Unlike BatchNorm it is the same in train and eval mode.
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, *, bias: bool = True) -> None:
        super().__init__()
        for name, value in (("num_groups", num_groups), ("num_channels", num_channels)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"GroupNorm: {name} must be a positive int, got {value!r}")
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups, self.num_channels = int(num_groups), int(num_channels)
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = Parameter(np.ones(self.num_channels, dtype=np.float32))
        else:
            self.register_parameter("weight", None)
        if affine and bias:
            self.bias = Parameter(np.zeros(self.num_channels, dtype=np.float32))
        else:
            self.register_parameter("bias", None)

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        """(N, C, *) -> (N, C, *)."""
        shape = tuple(np.shape(x))
        if len(shape) < 2 or shape[1] != self.num_channels:
            raise ValueError(f"{self!r}: expected input of shape (N, {self.num_channels}, *), "
                             f"got {shape}")
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        """As PyTorch prints it."""
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")
