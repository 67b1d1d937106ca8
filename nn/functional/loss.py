"""Loss kernels and functions, with PyTorch's arguments, defaults and formulas.

``reduction`` is ``"mean"`` (default), ``"sum"`` or ``"none"`` (one loss per element or
sample). Cross-entropy and the two binary cross-entropies are fused ops: composing
them (log-softmax then NLL, sigmoid then log) would be slower or, for logits of
±1e4, not finite. Unlike PyTorch, the regression losses refuse an input and a
target of different shapes instead of broadcasting them with a warning: ``(N, 1)``
against ``(N,)`` silently computing an ``(N, N)`` loss is a classic bug.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import autograd as ag
from autograd import Op, capturing
from autograd.ops import dual
from autograd.tensor import Tensor, as_tensor

__all__ = [
    "mse_loss", "l1_loss", "huber_loss", "cross_entropy", "nll_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "smooth_l1_loss",
]


# ---------------------------------------------------------------- fused kernels


class CrossEntropy(Op):
    """Softmax cross-entropy from logits and class indices, as one stable op.

    With per-entry coefficients q[n, c] (weights, label smoothing, ignored targets):
    loss_n = -sum_c q[n, c] log_softmax(z)[n, c];
    d loss_n / d z[n, c] = (sum_k q[n, k]) * softmax(z)[n, c] - q[n, c].
    Without weights, smoothing or ignored targets q is the one-hot of the labels.
    (One formula for every case: no branch on the labels' values.) Batches of
    (N, C) logits without weights or smoothing (the usual case) take a fused path
    that picks log p at the labels instead of building q: the same values in a
    few whole-array operations.
    """

    def forward(ctx, logits, target=None, weight=None, ignore_index=-100,
                label_smoothing=0.0, reduction="mean"):
        axis = 1 if logits.ndim >= 2 else 0
        shifted = logits - logits.max(axis=axis, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.axis, ctx.reduction, ctx.log_probs = axis, reduction, log_probs
        if weight is None and not label_smoothing and logits.ndim == 2:
            losses, ctx.normaliser = _picked(ctx, log_probs, target, ignore_index)
        else:
            coefficients, ctx.normaliser = _coefficients(logits, target, weight, ignore_index,
                                                         label_smoothing, axis)
            # q * log p is 0 where q is: a masked class (log p = -inf) adds 0, not NaN
            with np.errstate(invalid="ignore"):
                losses = -np.where(coefficients != 0, coefficients * log_probs, 0).sum(axis=axis)
            ctx.coefficients = coefficients
        normaliser = ctx.normaliser
        if reduction == "none":
            return losses
        total = losses.sum()
        if reduction == "sum":
            return total
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(total / normaliser, dtype=logits.dtype)

    def backward(ctx, grad, logits):
        axis = ctx.axis
        if ctx.reduction == "none":
            grad = grad.reshape(np.expand_dims(dual.constant(grad), axis).shape)
        elif ctx.reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                grad = grad * (1.0 / ctx.normaliser)
        probs = dual.reuse(np.exp(ctx.log_probs), lambda: dual.softmax(logits, (axis,)),
                           like=logits)
        coefficients = ctx.__dict__.get("coefficients")
        if coefficients is None and not dual.recorded(probs):  # the fused path
            probs *= ctx.valid[:, None]
            probs[ctx.rows, ctx.safe] -= ctx.valid
            return probs * grad
        if coefficients is None:
            coefficients = _one_hot(ctx, probs.shape, probs.dtype)
        row_sums = coefficients.sum(axis=axis, keepdims=True)
        return (probs * row_sums - coefficients) * grad


def _picked(ctx, log_probs: np.ndarray, target: np.ndarray, ignore_index: int) -> tuple:
    """Per-sample losses -log p[n, y_n] (0 where y_n is ignored) and their count, for (N, C)."""
    valid = target != ignore_index
    ctx.rows, ctx.safe, ctx.valid = np.arange(len(target)), np.where(valid, target, 0), valid
    losses = -log_probs[ctx.rows, ctx.safe]
    losses[~valid] = 0
    return losses, valid.sum(dtype=log_probs.dtype)


def _one_hot(ctx, shape: tuple, dtype: np.dtype) -> np.ndarray:
    """The coefficients q of the fused path: the one-hot of the labels, 0 rows where ignored."""
    coefficients = np.zeros(shape, dtype=dtype)
    coefficients[ctx.rows, ctx.safe] = ctx.valid
    return coefficients


def _coefficients(logits, target, weight, ignore_index, label_smoothing, axis):
    """q[n, c] for CrossEntropy, in the layout of ``logits``, and the 'mean' denominator."""
    num_classes = logits.shape[axis]
    class_shape = [1] * logits.ndim
    class_shape[axis] = num_classes
    class_weight = (np.ones(num_classes, dtype=logits.dtype) if weight is None
                    else np.asarray(weight, dtype=logits.dtype))
    valid = target != ignore_index
    safe_target = np.where(valid, target, 0)
    target_weight = class_weight[safe_target] * valid
    onehot = np.expand_dims(safe_target, axis) == np.arange(num_classes).reshape(class_shape)
    coefficients = ((1.0 - label_smoothing) * onehot
                    * np.expand_dims(target_weight, axis))
    if label_smoothing:
        coefficients = coefficients + (label_smoothing / num_classes) * (
            class_weight.reshape(class_shape) * np.expand_dims(valid, axis))
    return coefficients.astype(logits.dtype, copy=False), target_weight.sum()


class BinaryCrossEntropyWithLogits(Op):
    """l = (1 - y) x + (1 + (p - 1) y) softplus(-x)  (p: pos_weight, 1 if absent).

    dl/dx = (1 + (p - 1) y) sigmoid(x) - p y;  dl/dy = (p - 1) softplus(-x) - x;
    dl/dp = y softplus(-x).
    """

    def forward(ctx, x, y, pos_weight=None):
        softplus = dual.softplus(-x)
        if pos_weight is not None:
            return (1 - y) * x + (1 + (pos_weight - 1) * y) * softplus
        return (1 - y) * x + softplus

    def backward(ctx, grad, x, y, pos_weight):
        needs = ctx.needs_input_grad
        p = 1.0 if pos_weight is None else pos_weight
        grad_x = grad * ((1 + (p - 1) * y) * dual.sigmoid(x) - p * y) if needs[0] else None
        grad_y = grad * ((p - 1) * dual.softplus(-x) - x) if needs[1] else None
        if len(needs) == 2:
            return grad_x, grad_y
        return grad_x, grad_y, (grad * y * dual.softplus(-x) if needs[2] else None)


_BCE_LOG_FLOOR = -100.0
# PyTorch's kernel stores its 1e-12 floor as a float32 constant; the same value gives the
# same gradients at x = 0 and x = 1.
_BCE_EPSILON = float(np.float32(1e-12))


def _clamped_logs(x):
    """log(x) and log(1 - x), each clamped to >= -100 (as PyTorch)."""
    with np.errstate(divide="ignore"):
        return dual.log(x).clip(_BCE_LOG_FLOOR, None), dual.log(1 - x).clip(_BCE_LOG_FLOOR, None)


class BinaryCrossEntropy(Op):
    """l = -(y log(x) + (1 - y) log(1 - x)), logs clamped to >= -100 (as PyTorch).

    dl/dx = (x - y) / max(x (1 - x), 1e-12);  dl/dy = log(1 - x) - log(x) (clamped logs, so
    it stays finite at x = 0 and 1 where PyTorch's target gradient is infinite).
    """

    def forward(ctx, x, y):
        log_x, log_not_x = _clamped_logs(x)
        return -(y * log_x + (1 - y) * log_not_x)

    def backward(ctx, grad, x, y):
        need_x, need_y = ctx.needs_input_grad
        grad_x = grad_y = None
        if need_x:
            spread = x * (1 - x)
            spread = dual.where(dual.constant(spread) < _BCE_EPSILON, _BCE_EPSILON, spread)
            grad_x = grad * (x - y) / spread
        if need_y:
            log_x, log_not_x = _clamped_logs(x)
            grad_y = grad * (log_not_x - log_x)
        return grad_x, grad_y


# ---------------------------------------------------------------- argument checks


_REDUCTIONS = ("mean", "sum", "none")


# ---------------------------------------------------------------- argument checks


def _check_reduction(name: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _floating_input(name: str, value: Any) -> Tensor:
    tensor = as_tensor(value)
    if tensor.dtype.kind != "f":
        raise TypeError(f"{name}: input must be a floating-point tensor, got dtype {tensor.dtype}")
    return tensor


def _like(value: Any, reference: Tensor) -> Tensor:
    """A target as a Tensor of ``reference``'s dtype (a target in the graph is kept as is)."""
    if isinstance(value, Tensor) and (value.requires_grad or value.dtype == reference.dtype):
        return value
    return Tensor(capturing.call(np.asarray, _raw(value), dtype=reference.dtype))


def _pair(name: str, input: Any, target: Any) -> tuple[Tensor, Tensor]:
    input = _floating_input(name, input)
    target = _like(target, input)
    if input.shape != target.shape:
        raise ValueError(f"{name}: input shape {input.shape} and target shape {target.shape} "
                         "must be equal")
    return input, target


def _raw(value: Any) -> np.ndarray:
    """The array of a Tensor or array-like (per-step values go to ``capturing.call`` as arrays)."""
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def _first_bad(mask: np.ndarray) -> tuple:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def _check_no_nan(name: str, target: Tensor) -> None:
    capturing.call(_no_nan, name, target.data)  # a captured step checks every batch


def _no_nan(name: str, target: np.ndarray) -> None:
    nan = np.isnan(target)
    if nan.any():
        raise ValueError(f"{name}: target contains NaN (first at index {_first_bad(nan)})")


def _class_labels(name: str, target: Any, num_classes: int | None, ignore_index: int | None = None,
                  shape: tuple | None = None, word: str = "label") -> np.ndarray:
    """Validate integer class labels (ints, or floats holding whole numbers) -> int64 array."""
    words = "indices" if word == "index" else word + "s"
    raw = target.data if isinstance(target, Tensor) else np.asarray(target)
    if shape is not None and raw.shape != shape:
        raise ValueError(f"{name}: expected {words} of shape {shape}, got shape {raw.shape}")
    if raw.dtype.kind == "f":
        if np.isnan(raw).any():
            raise ValueError(f"{name}: {words} contain NaN (first at index "
                             f"{_first_bad(np.isnan(raw))})")
        fractional = raw != np.round(raw)
        if fractional.any():
            where = _first_bad(fractional)
            raise ValueError(f"{name}: {words} must be integers, got {raw[where]} at index {where}")
    elif raw.dtype.kind not in "iu":
        raise TypeError(f"{name}: {words} must be integers, got dtype {raw.dtype}")
    labels = raw.astype(np.int64, copy=False)
    if labels.size == 0 or (labels.min() >= 0 and (num_classes is None
                                                   or labels.max() < num_classes)):
        return labels  # two reductions: the common case, every label in range
    out_of_range = labels < 0
    if num_classes is not None:
        out_of_range |= labels >= num_classes
    if ignore_index is not None:
        out_of_range &= labels != ignore_index
    if out_of_range.any():
        where = _first_bad(out_of_range)
        limit = f"0..{num_classes - 1}" if num_classes is not None else ">= 0"
        raise IndexError(f"{name}: {word} {labels[where]} at index {where} is out of range "
                         f"(expected {limit})")
    return labels


def _class_weight(name: str, weight: Any, num_classes: int, dtype: np.dtype) -> np.ndarray:
    if weight is None:
        return np.ones(num_classes, dtype=dtype)
    # converted in a recorded instruction: weights passed to a captured step are each call's
    weight = capturing.call(np.asarray, weight.data if isinstance(weight, Tensor) else weight,
                            dtype=dtype)
    if weight.shape != (num_classes,):
        raise ValueError(f"{name}: weight must have shape ({num_classes},) (one per class), "
                         f"got {weight.shape}")
    return weight


def _class_axis(name: str, input: Tensor) -> int:
    """Classes are on axis 1 of (N, C, d1, ...) and axis 0 of an unbatched (C,) input."""
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have a class dimension, got a 0-d tensor")
    return 1 if input.ndim >= 2 else 0


# ---------------------------------------------------------------- regression losses


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error (x - y)^2, input and target of the same shape; d/dx = 2 (x - y)."""
    _check_reduction("mse_loss", reduction)
    input, target = _pair("mse_loss", input, target)
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input: Any, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error |x - y|; d/dx = sign(x - y)."""
    _check_reduction("l1_loss", reduction)
    input, target = _pair("l1_loss", input, target)
    return _reduce((input - target).abs(), reduction)


def huber_loss(input: Any, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - delta/2), d = x - y; d/dx = clip(d, +-delta)."""
    _check_reduction("huber_loss", reduction)
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    input, target = _pair("huber_loss", input, target)
    diff = input - target
    magnitude = diff.abs()
    quadratic = 0.5 * diff * diff
    linear = delta * (magnitude - 0.5 * delta)
    inside = capturing.call(np.less, magnitude.data, delta)
    return _reduce(ag.where(inside, quadratic, linear), reduction)


class SmoothL1(Op):
    """l = 0.5 d^2 / beta if |d| < beta else |d| - beta / 2, with d = x - y;
    dl/dx = -dl/dy = d / beta if |d| < beta else sign(d)"""

    def forward(ctx, x, y, beta=1.0):
        diff = x - y
        magnitude = np.abs(diff)
        ctx.beta, ctx.quadratic, ctx.sign = beta, magnitude < beta, np.sign(diff)
        return np.where(ctx.quadratic, 0.5 * magnitude * magnitude / beta,
                        magnitude - 0.5 * beta)

    def backward(ctx, grad, x, y):
        need_x, need_y = ctx.needs_input_grad
        grad_x = grad * dual.where(ctx.quadratic, (x - y) / ctx.beta, ctx.sign)
        return grad_x if need_x else None, -grad_x if need_y else None


def smooth_l1_loss(input: Any, target: Any, *, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - beta / 2 (d = input - target), as PyTorch.

    ``beta = 0`` is the L1 loss (PyTorch's special case); ``huber_loss(delta=b)`` equals
    ``b * smooth_l1_loss(beta=b)``. d/dinput = clip(d / beta, -1, 1).
    """
    _check_reduction("smooth_l1_loss", reduction)
    if not beta >= 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    input, target = _pair("smooth_l1_loss", input, target)
    if beta == 0:
        return _reduce((input - target).abs(), reduction)
    return _reduce(SmoothL1.apply(input, target, beta=float(beta)), reduction)


# ---------------------------------------------------------------- classification losses


def nll_loss(input: Any, target: Any, weight: Any = None, *, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: log-probabilities (N, C, d1, ...) and labels (N, d1, ...).

    loss_n = -w[y_n] input[n, y_n] (0 where y_n == ignore_index); 'mean' divides the sum
    by sum_n w[y_n] over the non-ignored targets.  d/dinput[n, y_n] = -w[y_n].
    """
    _check_reduction("nll_loss", reduction)
    input = _floating_input("nll_loss", input)
    axis = _class_axis("nll_loss", input)
    num_classes = input.shape[axis]
    shape = input.shape[:axis] + input.shape[axis + 1:]
    labels = capturing.call(_class_labels, "nll_loss", _raw(target), num_classes, ignore_index,
                            shape)
    class_weight = _class_weight("nll_loss", weight, num_classes, input.dtype)
    safe, target_weight, total_weight = capturing.call(_nll_weights, labels, class_weight,
                                                       ignore_index)
    grids = np.indices(safe.shape, sparse=True)
    picked = input[tuple(grids[:axis]) + (safe,) + tuple(grids[axis:])]
    loss = -picked * target_weight
    if reduction != "mean":
        return _reduce(loss, reduction)
    with np.errstate(invalid="ignore", divide="ignore"):
        return loss.sum() / total_weight


def _nll_weights(labels: np.ndarray, class_weight: np.ndarray, ignore_index: int) -> tuple:
    """Labels with ignored ones replaced by 0, each target's weight (0 if ignored), their sum."""
    valid = labels != ignore_index
    safe = np.where(valid, labels, 0)
    target_weight = class_weight[safe] * valid
    return safe, target_weight, np.asarray(target_weight.sum())


def cross_entropy(input: Any, target: Any, weight: Any = None, *, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy from logits (N, C, d1, ...), (N, C) or unbatched (C,).

    ``target`` is class labels (N, d1, ...) or class probabilities of the input's shape.
    Labels: loss_n = (1 - e) w[y_n] (-logp[n, y_n]) + (e / C) sum_c w[c] (-logp[n, c]), with
    e = label_smoothing; ignored targets give 0 and 'mean' divides by sum_n w[y_n] over the
    others.  Probabilities p: loss_n = -sum_c w[c] ((1 - e) p[n, c] + e / C) logp[n, c]; 'mean'
    divides by the number of samples.  d/dlogits = (sum_c q[n, c]) softmax - q (q: the factors).
    """
    _check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    input = _floating_input("cross_entropy", input)
    axis = _class_axis("cross_entropy", input)
    num_classes = input.shape[axis]
    class_weight = _class_weight("cross_entropy", weight, num_classes, input.dtype)
    if np.shape(target.data if isinstance(target, Tensor) else target) == input.shape:
        return _soft_cross_entropy(input, target, class_weight, axis, reduction, label_smoothing)
    shape = input.shape[:axis] + input.shape[axis + 1:]
    labels = capturing.call(_class_labels, "cross_entropy", _raw(target), num_classes,
                            ignore_index, shape)
    return CrossEntropy.apply(input, target=labels, weight=None if weight is None else class_weight,
                              ignore_index=ignore_index, label_smoothing=label_smoothing,
                              reduction=reduction)


def _soft_cross_entropy(input: Tensor, target: Any, class_weight: np.ndarray, axis: int,
                        reduction: str, label_smoothing: float) -> Tensor:
    raw = target.data if isinstance(target, Tensor) else np.asarray(target)
    if raw.dtype.kind != "f":
        raise TypeError(f"cross_entropy: a target of the input's shape {input.shape} holds class "
                        f"probabilities and must be floating, got dtype {raw.dtype} (class labels "
                        f"have the shape of the input without the class axis)")
    target = _like(target, input)
    _check_no_nan("cross_entropy", target)
    num_classes = input.shape[axis]
    class_shape = [1] * input.ndim
    class_shape[axis] = num_classes
    if label_smoothing:
        target = target * (1.0 - label_smoothing) + label_smoothing / num_classes
    log_probs = ag.log_softmax(input, axis=axis)
    class_weight = capturing.call(np.reshape, class_weight, class_shape)
    loss = -(log_probs * target * class_weight).sum(axis=axis)
    if reduction != "mean":
        return _reduce(loss, reduction)
    with np.errstate(invalid="ignore", divide="ignore"):
        return loss.sum() / loss.size


def binary_cross_entropy(input: Any, target: Any, weight: Any = None,
                         reduction: str = "mean") -> Tensor:
    """-w (y log x + (1 - y) log(1 - x)) for probabilities x in [0, 1], logs clamped at -100.

    d/dx = w (x - y) / max(x (1 - x), 1e-12), as PyTorch.
    """
    _check_reduction("binary_cross_entropy", reduction)
    input, target = _pair("binary_cross_entropy", input, target)
    capturing.call(_probabilities, input.data)  # a captured step checks every batch
    _check_no_nan("binary_cross_entropy", target)
    loss = BinaryCrossEntropy.apply(input, target)
    return _reduce(_weighted("binary_cross_entropy", loss, weight), reduction)


def _probabilities(x: np.ndarray) -> None:
    outside = ~((x >= 0) & (x <= 1))
    if outside.any():
        where = _first_bad(outside)
        raise ValueError(f"binary_cross_entropy: input must hold probabilities in [0, 1], got "
                         f"{x[where]} at index {where} (for logits use "
                         "binary_cross_entropy_with_logits)")


def binary_cross_entropy_with_logits(input: Any, target: Any, weight: Any = None,
                                     reduction: str = "mean", pos_weight: Any = None) -> Tensor:
    """Sigmoid + binary cross-entropy in one stable formula (finite for logits of +-1e4).

    l = w ((1 - y) x + (1 + (p - 1) y) log(1 + exp(-x))), p = pos_weight (broadcast over the
    last axis, one per class); d/dx = w ((1 + (p - 1) y) sigmoid(x) - p y).
    """
    name = "binary_cross_entropy_with_logits"
    _check_reduction(name, reduction)
    input, target = _pair(name, input, target)
    _check_no_nan(name, target)
    if pos_weight is None:
        loss = BinaryCrossEntropyWithLogits.apply(input, target)
    else:
        pos_weight = _like(pos_weight, input)
        _check_broadcast(name, "pos_weight", pos_weight.shape, input.shape)
        loss = BinaryCrossEntropyWithLogits.apply(input, target, pos_weight)
    return _reduce(_weighted(name, loss, weight), reduction)


def _check_broadcast(name: str, what: str, shape: tuple, target_shape: tuple) -> None:
    try:
        result = np.broadcast_shapes(shape, target_shape)
    except ValueError:
        result = None
    if result != target_shape:
        raise ValueError(f"{name}: {what} of shape {shape} does not broadcast to the input "
                         f"shape {target_shape}")


def _weighted(name: str, loss: Tensor, weight: Any) -> Tensor:
    if weight is None:
        return loss
    weight = _like(weight, loss)
    _check_broadcast(name, "weight", weight.shape, loss.shape)
    return loss * weight


