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

__all__ = ["batch_norm", "layer_norm", "group_norm", "normalize"]


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


def _check_per_channel(channels: int, **values) -> None:
    """Each given statistic or affine parameter has one value per channel: shape (C,)."""
    for name, value in values.items():
        if value is not None and np.shape(value) != (channels,):
            raise ValueError(f"batch_norm: {name} must have shape ({channels},) (one value per "
                             f"channel of the input), got {np.shape(value)}")


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
    _check_per_channel(x.shape[1], running_mean=running_mean, running_var=running_var,
                       weight=weight, bias=bias)
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


# --------------------------------------------------------------------------- group_norm
# One fused op: forward and backward each make a few passes over x instead of one per
# elementary op. Shapes below: x viewed as (N, G, M), M = C/G * S values per group (S the
# positions), and as (N, C*S). NumPy broadcasts a value per (sample, channel) over S as
# N*C short inner loops, 2-3x slower than a pass over the whole array; so the per-group
# factors broadcast over (N, G, M) (N*G long rows), and weight and bias, repeated over
# the positions into a (C*S,) row, over (N, C*S).


def _row_dots(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(..., K) and (..., K) -> (...): the dot product of each row pair (BLAS, one pass)."""
    return np.matmul(a[..., None, :], b[..., :, None])[..., 0, 0]


def _along_positions(values: np.ndarray, positions: int) -> np.ndarray:
    """A per-channel (C,) array repeated over the positions: (C*S,), to broadcast over
    x viewed as (N, C*S)."""
    return np.repeat(values, positions)


def _group_norm_forward(x, weight, bias, groups: int, eps: float):
    """``(out, mean, inv_std)``: out = (x - mean) * inv_std * weight + bias, with the mean
    and 1/sqrt(var + eps) (biased variance) per (sample, group), (N, G). The variance is
    the mean square of x - mean (no cancellation), computed in the output's buffer."""
    n, c = x.shape[:2]
    grouped = x.reshape(n, groups, -1)
    count = grouped.shape[2]
    mean = np.einsum("ngm->ng", grouped)
    mean /= count
    out = np.subtract(grouped, mean[..., None])
    inv_std = _row_dots(out, out)
    inv_std /= count
    inv_std += eps
    np.divide(1.0, np.sqrt(inv_std, out=inv_std), out=inv_std)
    out *= inv_std[..., None]
    out = out.reshape(n, -1)
    positions = out.shape[1] // c if c else 0
    if weight is not None:
        out *= _along_positions(weight, positions)
    if bias is not None:
        out += _along_positions(bias, positions)
    return out.reshape(x.shape), mean, inv_std


# Samples per block of _combine: about this many bytes of each operand, so that the
# temporary g * weight is small and reused (a fresh full-size one costs its page faults).
_BLOCK_BYTES = 1 << 20


def _combine(g, x, weight_row, slope, shift, scale):
    """``(g * weight_row + x * slope + shift) * scale``, g and x (N, G, M), weight_row (G*M,)
    or None, the factors (N, G): dx's formula, four passes into one fresh array, a few
    samples at a time."""
    n = g.shape[0]
    out = np.empty_like(g)
    block = max(1, _BLOCK_BYTES // max(1, g[0].nbytes))
    scratch = None if weight_row is None else np.empty((min(block, n),) + g.shape[1:], g.dtype)
    for start in range(0, n, block):
        part = slice(start, min(start + block, n))
        dx = out[part]
        np.multiply(x[part], slope[part, :, None], out=dx)
        dx += shift[part, :, None]
        if scratch is None:
            dx += g[part]
        else:
            h = scratch[:dx.shape[0]]
            np.multiply(g[part].reshape(dx.shape[0], -1), weight_row,
                        out=h.reshape(dx.shape[0], -1))
            dx += h
        dx *= scale[part, :, None]
    return out


def _group_norm_grads_array(grad, x, weight, ctx):
    """dx, dw, db from sums per (sample, channel), as PyTorch's CPU kernel: with h = g * w,
    dx = inv_std * (h - mean(h) - x_hat * mean(h * x_hat)), means over the group, is
    h * inv_std + x * a + b with a and b per group; dw = sum of g * x_hat, db = sum of g.

    Two reading passes make the sums (of g, of g * x), then dx takes four passes over the
    array, five with a weight. sum(g * x_hat) is (sum(g * x) - mean * sum(g)) * inv_std:
    for inputs whose mean is large against their spread, float32 loses the digits PyTorch's
    kernel loses.
    """
    n, c = grad.shape[:2]
    groups = ctx.groups
    g, x = grad.reshape(n, c, -1), x.reshape(n, c, -1)
    count = g.shape[2] * (c // groups)
    mean, inv_std = ctx.mean[..., None], ctx.inv_std[..., None]  # (N, G, 1)
    sum_g = np.einsum("ncs->nc", g).reshape(n, groups, -1)
    sum_g_x_hat = _row_dots(g, x).reshape(n, groups, -1)
    sum_g_x_hat -= mean * sum_g
    sum_g_x_hat *= inv_std
    if weight is None:
        mean_h, mean_h_x_hat = sum_g.sum(axis=2) / count, sum_g_x_hat.sum(axis=2) / count
    else:
        per_channel = weight.reshape(groups, -1)
        mean_h = np.einsum("ngc,gc->ng", sum_g, per_channel) / count
        mean_h_x_hat = np.einsum("ngc,gc->ng", sum_g_x_hat, per_channel) / count
    slope = inv_std[..., 0] * mean_h_x_hat
    shift = mean[..., 0] * slope - mean_h
    if not ctx.needs_input_grad[0]:
        return None, sum_g_x_hat.sum(axis=0).reshape(c), sum_g.sum(axis=0).reshape(c)
    weight_row = None if weight is None else _along_positions(weight, g.shape[2])
    grad_x = _combine(g.reshape(n, groups, -1), x.reshape(n, groups, -1), weight_row,
                      -slope, shift, inv_std[..., 0])
    return (grad_x.reshape(grad.shape), sum_g_x_hat.sum(axis=0).reshape(c),
            sum_g.sum(axis=0).reshape(c))


def _group_norm_grads_tensor(grad, x, weight, ctx):
    """The same gradients composed of recorded ops (``normalize``), for second derivatives."""
    n, c, groups = x.shape[0], x.shape[1], ctx.groups
    view = (1, c) + (1,) * (x.ndim - 2)
    grouped = x.reshape(n, groups, -1)
    x_hat = normalize(grouped, 2, ctx.eps)
    inv_std = (grouped.var(axis=2, keepdims=True) + ctx.eps) ** -0.5
    h = (grad if weight is None else grad * weight.reshape(view)).reshape(n, groups, -1)
    grad_x = (h - h.mean(axis=2, keepdims=True)
              - x_hat * (h * x_hat).mean(axis=2, keepdims=True)) * inv_std
    axes = (0,) + tuple(range(2, x.ndim))
    return (grad_x.reshape(x.shape), (grad * x_hat.reshape(x.shape)).sum(axis=axes),
            grad.sum(axis=axes))


group_norm_grads = dual.function(_group_norm_grads_array, _group_norm_grads_tensor,
                                 "group_norm_grads")


class GroupNorm(Op):
    """y = x_hat * w + b, x_hat standardised per (sample, group of channels), w and b per
    channel; d/dx = normalize's gradient of g*w over each group, d/dw = sum of g*x_hat,
    d/db = sum of g"""

    def forward(ctx, x, weight=None, bias=None, *, groups, eps):
        out, ctx.mean, ctx.inv_std = _group_norm_forward(x, weight, bias, groups, eps)
        ctx.groups, ctx.eps = groups, eps
        return out

    def backward(ctx, grad, x, weight):
        needs = ctx.needs_input_grad
        grads = group_norm_grads(grad, x, weight, ctx)
        return tuple(value if need else None for value, need in zip(grads, needs))


def group_norm(x: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Group normalisation of (N, C, *), as PyTorch's ``F.group_norm``.

    The C channels split into ``num_groups`` groups of C/num_groups; each sample's
    group is standardised over its channels and positions (mean, biased variance),
    then ``* weight + bias`` per channel (each (C,) or None).
    """
    x = as_tensor(x)
    if x.ndim < 2 or not isinstance(num_groups, (int, np.integer)) or num_groups <= 0 or (
            x.shape[1] % num_groups):
        raise ValueError(f"group_norm: expected an input of shape (N, C, *) with C divisible "
                         f"by num_groups={num_groups!r}, got {x.shape}")
    params = {"groups": int(num_groups), "eps": float(eps)}
    affine = [as_tensor(p, like=x) for p in (weight, bias) if p is not None]
    for p in affine:
        if p.shape != (x.shape[1],):
            raise ValueError(f"group_norm: expected weight and bias of shape ({x.shape[1]},), "
                             f"got {p.shape}")
    if weight is None and bias is not None:  # PyTorch allows a shift alone
        view = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        return GroupNorm.apply(x, **params) + affine[0].reshape(view)
    return GroupNorm.apply(x, *affine, **params)
