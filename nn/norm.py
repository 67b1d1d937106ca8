"""Normalisation layers: ``BatchNorm1d``, ``BatchNorm2d`` and ``LayerNorm``.

They are composed from differentiable tensor operations (mean, subtraction, sqrt,
division, broadcasting), so gradients and second derivatives come for free.
"""

from __future__ import annotations

import numbers

import numpy as np

import autograd as ag
from nn.module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]


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

    def _check_input(self, x: ag.Tensor) -> None:
        if x.ndim not in self._input_dims or x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}): expected input of shape "
                f"{self._layout} with C={self.num_features}, got {x.shape}"
            )

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        """Normalise each channel: ``(x - mean) / sqrt(var + eps) * weight + bias``.

        Training (or ``track_running_stats=False``): batch statistics, biased variance;
        the running estimates are updated with the unbiased variance. Evaluation: the
        running estimates.
        """
        x = x if isinstance(x, ag.Tensor) else ag.Tensor(x)
        self._check_input(x)
        axes = (0,) + tuple(range(2, x.ndim))
        broadcast_shape = (1, self.num_features) + (1,) * (x.ndim - 2)
        if self.training or not self.track_running_stats:
            count = x.size // self.num_features
            if self.training and count <= 1:
                raise ValueError(
                    f"{type(self).__name__}: Expected more than 1 value per channel when "
                    f"training, got input of shape {x.shape}"
                )
            mean = x.mean(axis=axes, keepdims=True)
            centered = x - mean
            var = (centered * centered).mean(axis=axes, keepdims=True)
            if self.training and self.track_running_stats:
                self._update_running_stats(mean.data.reshape(-1), var.data.reshape(-1), count)
            out = centered / (var + self.eps).sqrt()
        else:
            mean = self.running_mean.data.reshape(broadcast_shape)
            std = np.sqrt(self.running_var.data.reshape(broadcast_shape) + self.eps)
            out = (x - mean.astype(x.dtype)) / std.astype(x.dtype)
        if self.affine:
            out = out * self.weight.reshape(broadcast_shape) + self.bias.reshape(broadcast_shape)
        return out

    def _update_running_stats(self, batch_mean: np.ndarray, batch_var: np.ndarray,
                              count: int) -> None:
        self.num_batches_tracked.data += 1
        if self.momentum is None:  # cumulative moving average, as PyTorch
            factor = 1.0 / float(self.num_batches_tracked.data)
        else:
            factor = self.momentum
        unbiased_var = batch_var * (count / (count - 1))
        running_mean, running_var = self.running_mean.data, self.running_var.data
        running_mean[...] = (1 - factor) * running_mean + factor * batch_mean
        running_var[...] = (1 - factor) * running_var + factor * unbiased_var

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

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True) -> None:
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(size) for size in normalized_shape)
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
        x = x if isinstance(x, ag.Tensor) else ag.Tensor(x)
        dims = len(self.normalized_shape)
        if x.shape[x.ndim - dims:] != self.normalized_shape or x.ndim < dims:
            raise ValueError(
                f"LayerNorm({self.normalized_shape}): expected input of shape "
                f"(*, {', '.join(map(str, self.normalized_shape))}), got {x.shape}"
            )
        axes = tuple(range(x.ndim - dims, x.ndim))
        centered = x - x.mean(axis=axes, keepdims=True)
        var = (centered * centered).mean(axis=axes, keepdims=True)
        out = centered / (var + self.eps).sqrt()
        if self.weight is not None:
            out = out * self.weight
        if self.bias is not None:
            out = out + self.bias
        return out

    def extra_repr(self) -> str:
        """As PyTorch prints it."""
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
