"""Normalisation layers ``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm`` and their functions.

Both normalise with the fused ``autograd.ops.norm.Normalize`` op (one closed-form
backward, second derivatives included) followed by the affine ``* weight + bias``.
"""

from __future__ import annotations

import numbers

import numpy as np

import autograd as ag
from autograd.ops.norm import Normalize, normalize, normalize_arrays
from autograd.tensor import as_tensor
from nn.module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "batch_norm", "layer_norm"]


def batch_norm(x: ag.Tensor, running_mean: ag.Tensor | None = None,
               running_var: ag.Tensor | None = None, weight: ag.Tensor | None = None,
               bias: ag.Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> ag.Tensor:
    """Batch normalisation over channel axis 1 of (N, C, *), as PyTorch's ``F.batch_norm``.

    ``training=True``: normalise with the batch mean and biased variance over every axis
    but 1, and (if given) update the running estimates in place:
    ``running = (1 - momentum) * running + momentum * batch`` with the unbiased variance.
    ``training=False``: normalise with ``running_mean`` and ``running_var``.
    Then ``* weight + bias`` (each (C,) or None).
    """
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected an input of shape (N, C, *), got {x.shape}")
    axes = (0,) + tuple(range(2, x.ndim))
    view = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    _check_per_channel(x.shape[1], running_mean=running_mean, running_var=running_var,
                       weight=weight, bias=bias)
    if training:
        count = _values_per_channel("batch_norm", x)
        x_hat, mean, var, inv_std = normalize_arrays(x.data, axes, eps)
        if running_mean is not None:
            _update_running(running_mean, mean, momentum)
        if running_var is not None:
            _update_running(running_var, var * (count / (count - 1)), momentum)
        out = Normalize.apply(x, axes=axes, eps=float(eps), statistics=(x_hat, inv_std))
        if weight is not None:
            out = out * weight.reshape(view)
        return out if bias is None else out + bias.reshape(view)
    # Fixed statistics: an affine map x * scale + shift, per channel.
    inv_std = (1.0 / np.sqrt(np.asarray(running_var.data, dtype=x.dtype) + eps)).reshape(view)
    scale = inv_std if weight is None else weight.reshape(view) * inv_std
    shift = -np.asarray(running_mean.data, dtype=x.dtype).reshape(view) * scale
    if bias is not None:
        shift = shift + bias.reshape(view)
    return x * scale + shift


def _check_per_channel(channels: int, **values) -> None:
    """Each given statistic or affine parameter has one value per channel: shape (C,)."""
    for name, value in values.items():
        if value is not None and np.shape(value) != (channels,):
            raise ValueError(f"batch_norm: {name} must have shape ({channels},) (one value per "
                             f"channel of the input), got {np.shape(value)}")


def _values_per_channel(name: str, x: ag.Tensor) -> int:
    """Values per channel in a training batch; PyTorch's error when there is only one."""
    count = x.size // x.shape[1]
    if count <= 1:
        raise ValueError(
            f"{name}: Expected more than 1 value per channel when training, got input of "
            f"shape {x.shape}"
        )
    return count


def _update_running(running: ag.Tensor, batch_value: np.ndarray, momentum: float) -> None:
    running.data[...] = (1 - momentum) * running.data + momentum * batch_value.reshape(-1)


def layer_norm(x: ag.Tensor, normalized_shape: int | tuple[int, ...],
               weight: ag.Tensor | None = None, bias: ag.Tensor | None = None,
               eps: float = 1e-5) -> ag.Tensor:
    """Layer normalisation over the trailing ``normalized_shape`` axes, as ``F.layer_norm``.

    ``(x - mean) / sqrt(var + eps) * weight + bias`` with mean and biased variance per
    sample; ``weight`` and ``bias`` have shape ``normalized_shape`` (or are None).
    """
    x = as_tensor(x)
    shape = _as_shape(normalized_shape)
    if x.ndim < len(shape) or x.shape[x.ndim - len(shape):] != shape:
        raise ValueError(
            f"layer_norm: expected input of shape (*, {', '.join(map(str, shape))}) for "
            f"normalized_shape {shape}, got {x.shape}"
        )
    out = normalize(x, tuple(range(x.ndim - len(shape), x.ndim)), eps)
    if weight is not None:
        out = out * weight
    return out if bias is None else out + bias


def _as_shape(normalized_shape) -> tuple:
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(int(size) for size in normalized_shape)


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
        use_batch_stats = self.training or not self.track_running_stats
        if use_batch_stats:  # before any state changes: a rejected batch changes nothing
            _values_per_channel(type(self).__name__, x)
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:  # cumulative moving average, as PyTorch
                momentum = 1.0 / float(self.num_batches_tracked.data)
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
