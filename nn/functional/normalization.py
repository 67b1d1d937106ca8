"""Normalisation kernels: the fused ``normalize`` op, ``batch_norm`` and ``layer_norm``.

``normalize(x, axes)`` standardises ``x`` over ``axes`` with the biased variance. One
fused op instead of a chain of mean/sub/mul/sqrt/div: the forward makes about half
the passes over memory, and the backward is one closed formula.
"""

from __future__ import annotations

import numbers

import numpy as np

from autograd import Op, Tensor, capturing
from autograd.ops import dual
from autograd.tensor import as_tensor

__all__ = ["batch_norm", "layer_norm", "normalize"]


def normalize_arrays(x: np.ndarray, axes: tuple, eps: float):
    """Return ``(x_hat, mean, var, inv_std)`` for an ndarray; statistics keep their axes."""
    mean = x.mean(axis=axes, keepdims=True)
    x_hat = x - mean
    var = np.square(x_hat).mean(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat *= inv_std
    return x_hat, mean, var, inv_std


class Normalize(Op):
    """x_hat = (x - mean) / sqrt(var + eps), statistics over ``axes`` (biased variance);
    d/dx: g -> (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + eps), means over ``axes``"""

    def forward(ctx, x, axes, eps, statistics=None):
        if statistics is None:
            x_hat, _, _, inv_std = normalize_arrays(x, axes, eps)
        else:
            x_hat, inv_std = statistics
        ctx.axes, ctx.eps, ctx.inv_std = axes, eps, inv_std
        return x_hat

    def backward(ctx, grad, x, out):
        axes = ctx.axes
        inv_std = dual.reuse(ctx.inv_std, lambda: (x.var(axis=axes, keepdims=True) + ctx.eps)
                             ** -0.5, like=x)
        mean_grad = grad.mean(axis=axes, keepdims=True)
        mean_projection = (grad * out).mean(axis=axes, keepdims=True)
        return (grad - mean_grad - out * mean_projection) * inv_std


def normalize(x: Tensor, axes: int | tuple[int, ...], eps: float = 1e-5) -> Tensor:
    """Standardise ``x`` over ``axes``: ``(x - mean) / sqrt(var + eps)`` (biased variance).

    ``axes`` is an int or a tuple of ints; the result has the shape of ``x``. BatchNorm
    uses the batch and spatial axes, LayerNorm the trailing ones.
    """
    x = as_tensor(x)
    axes = (axes,) if isinstance(axes, (int, np.integer)) else tuple(axes)
    if not axes or not all(-x.ndim <= axis < x.ndim for axis in axes):
        raise ValueError(f"normalize: invalid axes {axes} for an input of shape {x.shape}")
    axes = tuple(sorted({int(axis) % x.ndim for axis in axes}))
    return Normalize.apply(x, axes=axes, eps=float(eps))


def values_per_channel(name: str, x: Tensor) -> int:
    """Values per channel in a training batch; PyTorch's error when there is only one."""
    count = x.size // x.shape[1]
    if count <= 1:
        raise ValueError(
            f"{name}: Expected more than 1 value per channel when training, got input of "
            f"shape {x.shape}"
        )
    return count


def _update_running(running: Tensor, batch_value: np.ndarray, momentum) -> None:
    """``running = (1 - momentum) * running + momentum * batch``, in place.

    ``momentum`` is a float, or the tensor counting the batches seen (a cumulative
    average: ``1 / count``). Called through ``capturing.call``: replays do it too.
    """
    if isinstance(momentum, Tensor):
        momentum = 1.0 / float(momentum.data)
    running.data[...] = (1 - momentum) * running.data + momentum * batch_value.reshape(-1)
    running._bump_version()


def _running_statistics(running_mean: Tensor, running_var: Tensor, dtype: np.dtype, eps: float,
                        view: tuple) -> tuple[np.ndarray, np.ndarray]:
    """``(1 / sqrt(running_var + eps), running_mean)`` in ``dtype``, shaped ``view``."""
    inv_std = (1.0 / np.sqrt(np.asarray(running_var.data, dtype=dtype) + eps)).reshape(view)
    return inv_std, np.asarray(running_mean.data, dtype=dtype).reshape(view)


def batch_norm(x: Tensor, running_mean: Tensor | None = None,
               running_var: Tensor | None = None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
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
    if training:
        count = values_per_channel("batch_norm", x)
        # array work outside the op goes through capturing.call, so that replays of a
        # captured step do it too (the statistics of each batch, the running estimates)
        x_hat, mean, var, inv_std = capturing.call(normalize_arrays, x.data, axes, eps)
        if running_mean is not None:
            capturing.call(_update_running, running_mean, mean, momentum)
        if running_var is not None:
            capturing.call(_update_running, running_var, capturing.call(
                np.multiply, var, count / (count - 1)), momentum)
        out = Normalize.apply(x, axes=axes, eps=float(eps), statistics=(x_hat, inv_std))
        if weight is not None:
            out = out * weight.reshape(view)
        return out if bias is None else out + bias.reshape(view)
    # Fixed statistics: an affine map x * scale + shift, per channel.
    inv_std, mean = capturing.call(_running_statistics, running_mean, running_var, x.dtype, eps,
                                   view)
    scale = inv_std if weight is None else weight.reshape(view) * inv_std
    shift = -mean * scale
    if bias is not None:
        shift = shift + bias.reshape(view)
    return x * scale + shift


def layer_norm(x: Tensor, normalized_shape: int | tuple[int, ...],
               weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Layer normalisation over the trailing ``normalized_shape`` axes, as ``F.layer_norm``.

    ``(x - mean) / sqrt(var + eps) * weight + bias`` with mean and biased variance per
    sample; ``weight`` and ``bias`` have shape ``normalized_shape`` (or are None).
    """
    x = as_tensor(x)
    shape = as_shape(normalized_shape)
    if x.ndim < len(shape) or x.shape[x.ndim - len(shape):] != shape:
        raise ValueError(
            f"layer_norm: expected input of shape (*, {', '.join(map(str, shape))}) for "
            f"normalized_shape {shape}, got {x.shape}"
        )
    out = normalize(x, tuple(range(x.ndim - len(shape), x.ndim)), eps)
    if weight is not None:
        out = out * weight
    return out if bias is None else out + bias


def as_shape(normalized_shape) -> tuple:
    """An int or a sequence of ints as a shape tuple."""
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(int(size) for size in normalized_shape)
