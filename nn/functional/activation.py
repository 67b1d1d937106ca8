"""Activation functions, as ``torch.nn.functional``: PyTorch's names, arguments and defaults.

relu, leaky_relu, gelu, sigmoid, tanh, softplus; silu, mish, elu, selu, celu, hardtanh, relu6,
hardsigmoid, hardswish, softsign, logsigmoid, prelu; the softmax family softmax, log_softmax,
softmin (NumPy's ``axis=``, default -1; ``dim=`` works too).

Ops with a backward of their own: gelu (erfc's precision), softplus (threshold), silu and
mish (PyTorch's one-formula gradients: an infinite upstream gradient gives what PyTorch
gives, where a composition would give inf - inf), elu (ELU, SELU and CELU), hardtanh (relu6
too), hardsigmoid, hardswish, prelu (leaky_relu too). Masks are computed in ``forward`` and
select (never multiply) in backward, with PyTorch's values at the kinks: hardtanh, relu6 and
hardsigmoid have gradient 0 at their bounds, hardswish 0 at -3 and 1 at 3, the elu family
its left derivative at 0, prelu ``weight`` at 0. softsign, logsigmoid and softmin are
composed. All stay finite for inputs of +-1e4 (and +-1e300).

``inplace=True`` is honoured as in PyTorch: the input tensor is overwritten with the result
and returned (its version counter bumps; on a leaf that requires grad it is refused, as in
PyTorch). Autograd then sees an in-place op, so this saves no memory here (the old values
are kept for backward); it exists so that code relying on the input changing runs unchanged.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

import autograd as ag
from autograd import Op
from autograd.ops import dual
from autograd.ops.inplace import modify
from autograd.ops.unary import erf_array
from autograd.tensor import Tensor, as_tensor

__all__ = ["relu", "leaky_relu", "gelu", "sigmoid", "tanh", "softmax", "log_softmax", "softplus",
           "silu", "mish", "elu", "selu", "celu", "hardtanh", "relu6", "hardsigmoid", "hardswish",
           "softsign", "logsigmoid", "softmin", "prelu"]

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class Gelu(Op):
    """gelu(x) = x * Phi(x); d/dx gelu(x) = Phi(x) + x * phi(x) (Phi, phi: normal cdf, pdf)"""

    def forward(ctx, x):
        # erfc keeps full relative precision of Phi(x) for very negative x.
        cdf = 0.5 * erf_array(-np.asarray(x, dtype=np.float64) * _INV_SQRT_2, complement=True)
        return (x * cdf).astype(x.dtype, copy=False)

    def backward(ctx, grad, x):
        cdf = 0.5 * (1 + dual.erf(x * _INV_SQRT_2))
        pdf = _INV_SQRT_2PI * dual.exp(-0.5 * (x * x))
        return grad * (cdf + x * pdf)


def _apply(name: str, x: Any, inplace: bool, function: Callable[[Tensor], Tensor]) -> Tensor:
    """``function(x)``, or with ``inplace`` the same written into ``x`` (PyTorch's ``name_``)."""
    x = as_tensor(x)
    return modify(x, name + "_", function) if inplace else function(x)


def relu(x: Any, inplace: bool = False) -> Tensor:
    """max(x, 0) elementwise; d/dx = [x > 0]."""
    return modify(as_tensor(x), "relu_", ag.relu) if inplace else ag.relu(x)


def leaky_relu(x: Any, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x if x > 0 else negative_slope * x; d/dx = 1 if x > 0 else negative_slope."""
    return _apply("leaky_relu", x, inplace,
                  lambda x: Prelu.apply(x, as_tensor(negative_slope, like=x)))


def gelu(x: Any, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit x * Phi(x) (Phi: standard normal cdf).

    ``approximate="tanh"`` uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    Exact form: d/dx = Phi(x) + x * phi(x).
    """
    x = as_tensor(x)
    if approximate == "none":
        return Gelu.apply(x)
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1 + inner.tanh())
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def sigmoid(x: Any) -> Tensor:
    """1 / (1 + exp(-x)), stable for any x; d/dx = s (1 - s)."""
    return as_tensor(x).sigmoid()


def tanh(x: Any) -> Tensor:
    """Hyperbolic tangent; d/dx = 1 - tanh(x)^2."""
    return as_tensor(x).tanh()


def softmax(x: Any, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis`` (``dim`` is an alias), stable for huge values."""
    return ag.softmax(as_tensor(x), axis, dim=dim)


def log_softmax(x: Any, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """x - logsumexp(x) along ``axis`` (``dim`` is an alias), stable for huge values."""
    return ag.log_softmax(as_tensor(x), axis, dim=dim)


class Softplus(Op):
    """softplus(x) = log(1 + exp(beta x)) / beta, and x where beta x > threshold;
    d/dx softplus(x) = sigmoid(beta x) (1 where beta x > threshold)"""

    def forward(ctx, x, beta=1.0, threshold=20.0):
        ctx.beta, ctx.linear = beta, x * beta > threshold
        return np.where(ctx.linear, x, dual.softplus(x * beta) / beta).astype(x.dtype)

    def backward(ctx, grad, x):
        return dual.where(ctx.linear, grad, grad * dual.sigmoid(x * ctx.beta))


def softplus(x: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """A smooth relu, ``log(1 + exp(beta x)) / beta``, as ``F.softplus``."""
    return Softplus.apply(as_tensor(x), beta=float(beta), threshold=float(threshold))


def _softplus(x: Tensor) -> Tensor:
    """log(1 + exp(x)) with no linear cut-off: full precision for every x."""
    return Softplus.apply(x, beta=1.0, threshold=math.inf)


class Silu(Op):
    """silu(x) = x s, s = sigmoid(x);  d/dx silu(x) = s (1 + x (1 - s))"""

    def forward(ctx, x):
        ctx.sigmoid = dual.sigmoid(x)
        return x * ctx.sigmoid

    def backward(ctx, grad, x):
        sigmoid = dual.reuse(ctx.sigmoid, lambda: x.sigmoid(), like=x)
        return grad * (sigmoid * (1 + x * (1 - sigmoid)))


def silu(x: Any, inplace: bool = False) -> Tensor:
    """x sigmoid(x) (swish), finite for any x; d/dx = s (1 + x (1 - s)), s = sigmoid(x)."""
    return _apply("silu", x, inplace, Silu.apply)


class Mish(Op):
    """mish(x) = x t, t = tanh(softplus(x));  d/dx mish(x) = t + x sigmoid(x) (1 - t^2)"""

    def forward(ctx, x):
        ctx.tanh = np.tanh(dual.softplus(x))
        return x * ctx.tanh

    def backward(ctx, grad, x):
        tanh = dual.reuse(ctx.tanh, lambda: _softplus(x).tanh(), like=x)
        return grad * (tanh + x * dual.sigmoid(x) * (1 - tanh * tanh))


def mish(x: Any, inplace: bool = False) -> Tensor:
    """x tanh(softplus(x)), finite for any x; d/dx = t + x sigmoid(x) (1 - t^2)."""
    return _apply("mish", x, inplace, Mish.apply)


def softsign(x: Any) -> Tensor:
    """x / (1 + |x|); d/dx = 1 / (1 + |x|)^2."""
    x = as_tensor(x)
    return x / (x.abs() + 1)


def logsigmoid(x: Any) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), stable for any x; d/dx = sigmoid(-x)."""
    return -_softplus(-as_tensor(x))


def softmin(x: Any, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """softmax(-x) along ``axis`` (``dim`` is an alias; PyTorch's implicit default dim is not
    guessed: the last axis, as ``softmax`` here)."""
    return ag.softmax(-as_tensor(x), axis, dim=dim)


# ---------------------------------------------------------------- the ELU family


class Elu(Op):
    """elu(x) = scale x if x > 0 else scale alpha (exp(input_scale x) - 1);
    d/dx elu(x) = scale if x > 0 else scale alpha input_scale exp(input_scale x)"""

    def forward(ctx, x, alpha=1.0, scale=1.0, input_scale=1.0):
        ctx.positive = x > 0
        ctx.alpha, ctx.scale, ctx.input_scale = alpha, scale, input_scale
        # the exponential of the negative part only: no overflow where x is large
        negative = np.expm1(np.minimum(x, 0) * input_scale) * (alpha * scale)
        return np.where(ctx.positive, x * scale, negative)

    def backward(ctx, grad, x):
        exponent = dual.where(ctx.positive, 0.0, x) * ctx.input_scale
        slope = ctx.input_scale * (ctx.alpha * ctx.scale)
        return dual.where(ctx.positive, grad * ctx.scale, grad * slope * dual.exp(exponent))


# SELU's constants (Klambauer et al. 2017), as PyTorch
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def elu(x: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x if x > 0 else alpha (exp(x) - 1); d/dx = 1 if x > 0 else alpha exp(x) (alpha at 0)."""
    return _apply("elu", x, inplace, lambda x: Elu.apply(x, alpha=float(alpha)))


def selu(x: Any, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with SELU's fixed alpha = 1.6733, scale = 1.0507."""
    return _apply("selu", x, inplace,
                  lambda x: Elu.apply(x, alpha=SELU_ALPHA, scale=SELU_SCALE))


def celu(x: Any, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1)); d/dx = exp(x / alpha) for x <= 0."""
    if alpha == 0:
        raise ValueError("celu: alpha cannot be 0 (the formula divides by it)")
    return _apply("celu", x, inplace, lambda x: Elu.apply(x, alpha=float(alpha),
                                                          input_scale=1.0 / float(alpha)))


# ---------------------------------------------------------------- piecewise linear


class Hardtanh(Op):
    """hardtanh(x) = clip(x, min_val, max_val);
    d/dx hardtanh(x) = [min_val < x < max_val] (0 at the bounds, as PyTorch; clip's is 1)"""

    def forward(ctx, x, min_val=-1.0, max_val=1.0):
        ctx.inside = (x > min_val) & (x < max_val)
        return np.clip(x, min_val, max_val)

    def backward(ctx, grad):
        return dual.keep(grad, ctx.inside)


def hardtanh(x: Any, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """x clipped to [min_val, max_val]; gradient 1 strictly inside, 0 elsewhere."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val, got "
                         f"min_val={min_val}, max_val={max_val}")
    return _apply("hardtanh", x, inplace, lambda x: Hardtanh.apply(
        x, min_val=float(min_val), max_val=float(max_val)))


def relu6(x: Any, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6) = hardtanh(x, 0, 6); gradient 0 at 0 and 6 (as PyTorch)."""
    return _apply("relu6", x, inplace, lambda x: Hardtanh.apply(x, min_val=0.0, max_val=6.0))


class Hardsigmoid(Op):
    """hardsigmoid(x) = clip(x + 3, 0, 6) / 6; d/dx hardsigmoid(x) = 1/6 if -3 < x < 3 else 0"""

    def forward(ctx, x):
        ctx.inside = (x > -3) & (x < 3)
        return np.clip(x + 3, 0, 6) / 6

    def backward(ctx, grad):
        return dual.keep(grad / 6, ctx.inside)


def hardsigmoid(x: Any, inplace: bool = False) -> Tensor:
    """A piecewise-linear sigmoid: 0 below -3, 1 above 3, x / 6 + 1/2 between."""
    return _apply("hardsigmoid", x, inplace, Hardsigmoid.apply)


class Hardswish(Op):
    """hardswish(x) = x clip(x + 3, 0, 6) / 6;
    d/dx hardswish(x) = 0 if x <= -3, x / 3 + 1/2 if -3 < x < 3, 1 if x >= 3"""

    def forward(ctx, x):
        ctx.low, ctx.high = x <= -3, x >= 3
        return x * np.clip(x + 3, 0, 6) / 6

    def backward(ctx, grad, x):
        middle = dual.where(ctx.high, grad, grad * (x / 3 + 0.5))
        return dual.keep(middle, ~ctx.low)


def hardswish(x: Any, inplace: bool = False) -> Tensor:
    """x * hardsigmoid(x) (MobileNetV3); gradient 0 at -3 and 1 at 3, as PyTorch."""
    return _apply("hardswish", x, inplace, Hardswish.apply)


class Prelu(Op):
    """prelu(x, w) = x if x > 0 else w x;  d/dx = 1 if x > 0 else w;  d/dw = 0 if x > 0 else x"""

    def forward(ctx, x, weight):
        ctx.positive = x > 0
        return np.where(ctx.positive, x, weight * x)

    def backward(ctx, grad, x, weight):
        need_x, need_weight = ctx.needs_input_grad
        grad_x = dual.where(ctx.positive, grad, grad * weight) if need_x else None
        grad_weight = dual.where(ctx.positive, 0.0, grad * x) if need_weight else None
        return grad_x, grad_weight


def prelu(x: Any, weight: Any) -> Tensor:
    """x if x > 0 else weight * x, one slope per channel (axis 1 of (N, C, ...)).

    ``weight`` is 0-d or 1-D with 1 or C entries; an input of fewer than 2 dimensions
    has one channel. d/dx = 1 if x > 0 else weight; d/dweight = sum of x where x <= 0.
    """
    x = as_tensor(x)
    weight = as_tensor(weight, like=x)
    if weight.ndim > 1:
        raise ValueError(f"prelu: weight must be 0-d or 1-D (one slope per channel), got shape "
                         f"{weight.shape}")
    channels = x.shape[1] if x.ndim >= 2 else 1
    if weight.size == 1:
        return Prelu.apply(x, weight.reshape(()))
    if weight.size != channels:
        raise ValueError(f"prelu: weight has {weight.size} slopes but the input of shape "
                         f"{x.shape} has {channels} channel(s) (axis 1; an input of fewer than "
                         f"2 dimensions has one)")
    return Prelu.apply(x, weight.reshape((channels,) + (1,) * (x.ndim - 2)))
