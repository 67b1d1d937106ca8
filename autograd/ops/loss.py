"""Fused primitives for layers and losses: linear, erf, GELU, cross-entropy, binary cross-entropy.

Composing these from smaller ops would work but would be slower (linear) or
numerically fragile (log-softmax + NLL, sigmoid + log for logits of +-1000), so
each one has its own forward and backward.  Backward formulas use operators that
work on both ndarrays and Tensors, so ``create_graph=True`` differentiates them again.
"""

from __future__ import annotations

import math

import numpy as np

from autograd.function import Op
from autograd.ops import _dual
from autograd.ops._dual import data_of
from autograd.tensor import Tensor

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
# Up to this |x| a power series of erf converges fast and without cancellation;
# beyond it the continued fraction of erfc does.
_SERIES_LIMIT = 2.0
_FRACTION_DEPTH = 60


def _exp_minus_square(x: np.ndarray) -> np.ndarray:
    """exp(-x^2) without the rounding error of x*x: split x = hi + lo with hi^2 exact."""
    hi = np.round(x * 64.0) / 64.0
    return np.exp(-hi * hi) * np.exp(-(x - hi) * (x + hi))


def _series_length(largest: float) -> int:
    """How many terms of the erf series reach full precision for every |x| <= largest."""
    twice_square = 2.0 * largest * largest
    term = total = 1.0
    count = 0
    while term > 1e-17 * total:
        count += 1
        term *= twice_square / (2 * count + 1)
        total += term
    return count


def _erf_series(x: np.ndarray) -> np.ndarray:
    """erf(x) = 2/sqrt(pi) exp(-x^2) x sum_n (2x^2)^n / (1*3*...*(2n+1)): no cancellation.

    The sum is a polynomial in 2x^2, evaluated by Horner's rule with as many terms as
    the largest |x| needs.
    """
    if x.size == 0:
        return x.copy()
    count = _series_length(float(np.abs(x).max()))
    coefficients = [1.0]
    for n in range(1, count + 1):
        coefficients.append(coefficients[-1] / (2 * n + 1))
    twice_square = 2.0 * x * x
    total = np.full_like(x, coefficients[-1])
    for coefficient in reversed(coefficients[:-1]):
        total *= twice_square
        total += coefficient
    return _TWO_OVER_SQRT_PI * _exp_minus_square(x) * x * total


def _erfc_fraction(x: np.ndarray) -> np.ndarray:
    """erfc(x) for x > 0: exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))."""
    tail = x.copy()
    for k in range(_FRACTION_DEPTH, 0, -1):
        tail = x + (0.5 * k) / tail
    return _exp_minus_square(x) / (math.sqrt(math.pi) * tail)


def _regions(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masks: |x| <= 2 (series), finite x > 2, finite x < -2 (continued fraction)."""
    small = np.abs(values) <= _SERIES_LIMIT
    finite = np.isfinite(values)
    return small, finite & (values > _SERIES_LIMIT), finite & (values < -_SERIES_LIMIT)


def erf_array(x: np.ndarray) -> np.ndarray:
    """The error function elementwise in float64 (absolute error < 1e-15), in x's float dtype."""
    values = np.asarray(x, dtype=np.float64)
    out = np.array(np.sign(values))  # already right for +-inf and NaN
    small, positive, negative = _regions(values)
    out[small] = _erf_series(values[small])
    out[positive] = 1.0 - _erfc_fraction(values[positive])
    out[negative] = _erfc_fraction(-values[negative]) - 1.0
    return out.astype(_float_dtype(x), copy=False)


def erfc_array(x: np.ndarray) -> np.ndarray:
    """The complementary error function 1 - erf(x), accurate in relative terms for large x."""
    values = np.asarray(x, dtype=np.float64)
    out = np.array(1.0 - np.sign(values))  # 0 at +inf, 2 at -inf, NaN at NaN
    small, positive, negative = _regions(values)
    out[small] = 1.0 - _erf_series(values[small])
    out[positive] = _erfc_fraction(values[positive])
    out[negative] = 2.0 - _erfc_fraction(-values[negative])
    return out.astype(_float_dtype(x), copy=False)


def _float_dtype(x) -> np.dtype:
    dtype = np.asarray(x).dtype
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def _sigmoid(x):
    """Stable logistic function on an ndarray or a Tensor."""
    if isinstance(x, Tensor):
        return x.sigmoid()
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _softplus_neg(x):
    """log(1 + exp(-x)) = max(-x, 0) + log(1 + exp(-|x|)): finite for any x."""
    if isinstance(x, Tensor):
        return (-x).relu() + ((-x.abs()).exp() + 1).log()
    return np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x)))


def _erf_any(x):
    return Erf.apply(x) if isinstance(x, Tensor) else erf_array(x)


class Linear(Op):
    """y = x @ W.T + b; dx = g @ W, dW = g.T @ x (summed over batch dims), db = sum of g."""

    name = "linear"

    @staticmethod
    def forward(ctx, x, weight, *bias):
        ctx.save_for_backward(x, weight)
        out = x @ weight.T
        if bias:
            out = out + bias[0]
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        needs = ctx.needs_input_grad
        out_features, in_features = weight.shape
        grad_rows = grad.reshape((-1, out_features))
        grad_x = grad @ weight if needs[0] else None
        grad_weight = grad_rows.T @ x.reshape((-1, in_features)) if needs[1] else None
        if len(needs) == 2:
            return grad_x, grad_weight
        grad_bias = grad_rows.sum(axis=0) if needs[2] else None
        return grad_x, grad_weight, grad_bias


class Erf(Op):
    """d/dx erf(x) = 2/sqrt(pi) * exp(-x**2)"""

    name = "erf"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return erf_array(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * _TWO_OVER_SQRT_PI * _dual.exp(-(x * x))


class Gelu(Op):
    """gelu(x) = x * Phi(x); d/dx gelu(x) = Phi(x) + x * phi(x) (Phi, phi: normal cdf, pdf)"""

    name = "gelu"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        # erfc keeps full relative precision of Phi(x) for very negative x.
        cdf = 0.5 * erfc_array(-np.asarray(x, dtype=np.float64) * _INV_SQRT_2)
        return (x * cdf).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        cdf = 0.5 * (1 + _erf_any(x * _INV_SQRT_2))
        pdf = _INV_SQRT_2PI * _dual.exp(-0.5 * (x * x))
        return grad * (cdf + x * pdf)


class CrossEntropy(Op):
    """Softmax cross-entropy from logits and class indices, as one stable op.

    With per-entry coefficients q[n, c] (weights, label smoothing, ignored targets):
    loss_n = -sum_c q[n, c] log_softmax(z)[n, c];
    d loss_n / d z[n, c] = (sum_k q[n, k]) * softmax(z)[n, c] - q[n, c].
    """

    name = "cross_entropy"

    @staticmethod
    def forward(ctx, logits, target=None, weight=None, ignore_index=-100,
                label_smoothing=0.0, reduction="mean"):
        axis = 1 if logits.ndim >= 2 else 0
        shifted = logits - logits.max(axis=axis, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        coefficients, normaliser = _coefficients(logits, target, weight, ignore_index,
                                                 label_smoothing, axis)
        losses = -(coefficients * log_probs).sum(axis=axis)
        ctx.axis, ctx.reduction, ctx.normaliser = axis, reduction, normaliser
        ctx.save_for_backward(logits, log_probs, coefficients)
        if reduction == "none":
            return losses
        total = losses.sum()
        if reduction == "sum":
            return total
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(total / normaliser, dtype=logits.dtype)

    @staticmethod
    def backward(ctx, grad):
        logits, log_probs, coefficients = ctx.saved_tensors
        axis = ctx.axis
        probs = logits.softmax(axis=axis) if isinstance(logits, Tensor) else np.exp(log_probs)
        row_sums = coefficients.sum(axis=axis, keepdims=True)
        if ctx.reduction == "none":
            grad = grad.reshape(np.expand_dims(data_of(grad), axis).shape)
        elif ctx.reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                grad = grad * (1.0 / ctx.normaliser)
        return (probs * row_sums - coefficients) * grad


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

    name = "binary_cross_entropy_with_logits"

    @staticmethod
    def forward(ctx, x, y, *pos_weight):
        ctx.save_for_backward(x, y, *pos_weight)
        softplus = _softplus_neg(x)
        if pos_weight:
            return (1 - y) * x + (1 + (pos_weight[0] - 1) * y) * softplus
        return (1 - y) * x + softplus

    @staticmethod
    def backward(ctx, grad):
        x, y, *pos_weight = ctx.saved_tensors
        needs = ctx.needs_input_grad
        softplus = _softplus_neg(x) if (needs[1] or len(needs) == 3) else None
        if not pos_weight:
            grad_x = grad * (_sigmoid(x) - y) if needs[0] else None
            grad_y = grad * (-x) if needs[1] else None
            return grad_x, grad_y
        (p,) = pos_weight
        grad_x = grad * ((1 + (p - 1) * y) * _sigmoid(x) - p * y) if needs[0] else None
        grad_y = grad * ((p - 1) * softplus - x) if needs[1] else None
        grad_p = grad * y * softplus if needs[2] else None
        return grad_x, grad_y, grad_p


_BCE_LOG_FLOOR = -100.0
# PyTorch's kernel stores its 1e-12 floor as a float32 constant; the same value gives the
# same gradients at x = 0 and x = 1.
_BCE_EPSILON = float(np.float32(1e-12))


class BinaryCrossEntropy(Op):
    """l = -(y log(x) + (1 - y) log(1 - x)), logs clamped to >= -100 (as PyTorch).

    dl/dx = (x - y) / max(x (1 - x), 1e-12);  dl/dy = log(1 - x) - log(x) (clamped logs, so
    it stays finite at x = 0 and 1 where PyTorch's target gradient is infinite).
    """

    name = "binary_cross_entropy"

    @staticmethod
    def forward(ctx, x, y):
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), _BCE_LOG_FLOOR)
            log_not_x = np.maximum(np.log1p(-x), _BCE_LOG_FLOOR)
        ctx.save_for_backward(x, y, log_x, log_not_x)
        return -(y * log_x + (1 - y) * log_not_x)

    @staticmethod
    def backward(ctx, grad):
        x, y, log_x, log_not_x = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_x = grad_y = None
        if needs[0]:
            spread = x * (1 - x)
            spread = _dual.where(data_of(spread) < _BCE_EPSILON, _BCE_EPSILON, spread)
            grad_x = grad * (x - y) / spread
        if needs[1]:
            if isinstance(x, Tensor):
                # Recompute the logs from x so that a second derivative sees them.
                log_x = x.log().clip(_BCE_LOG_FLOOR, None)
                log_not_x = (1 - x).log().clip(_BCE_LOG_FLOOR, None)
            grad_y = grad * (log_not_x - log_x)
        return grad_x, grad_y
