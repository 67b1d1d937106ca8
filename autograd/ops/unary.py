"""Elementwise math, one op per line: forward on arrays, derivative, and its formula.

Each backward is written with ``autograd.ops.dual`` and receives the input
(``x``) or the output (``out``) it names, so it also runs on Tensors when the
backward pass is recorded. Masks select (``dual.keep``) rather than multiply, so an
infinite upstream gradient gives 0, not NaN, where the derivative is 0 (as PyTorch).
"""

from __future__ import annotations

import math

import numpy as np

from autograd.function import Op, ShapeError, elementwise
from autograd.ops import dual
from autograd.tensor import Tensor, as_tensor

__all__ = ["exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "erf", "clip",
           "absolute", "clamp",
           "log2", "log10", "log1p", "exp2", "expm1", "square", "reciprocal", "rsqrt"]

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_LN2, _LN10 = math.log(2.0), math.log(10.0)

exp = elementwise("exp", np.exp, "d/dx exp(x) = exp(x)",
                  lambda ctx, grad, out: grad * out)
log = elementwise("log", np.log, "d/dx log(x) = 1 / x",
                  lambda ctx, grad, x: grad / x)
sqrt = elementwise("sqrt", np.sqrt, "d/dx sqrt(x) = 1 / (2 sqrt(x))",
                   lambda ctx, grad, out: grad / (2 * out))
abs = elementwise("abs", np.abs, "d/dx |x| = sign(x) (0 at 0)",  # noqa: A001 - NumPy's name
                  lambda ctx, grad, x: grad * np.sign(dual.constant(x)))
sin = elementwise("sin", np.sin, "d/dx sin(x) = cos(x)",
                  lambda ctx, grad, x: grad * dual.cos(x))
cos = elementwise("cos", np.cos, "d/dx cos(x) = -sin(x)",
                  lambda ctx, grad, x: -grad * dual.sin(x))
tanh = elementwise("tanh", np.tanh, "d/dx tanh(x) = 1 - tanh(x)**2",
                   lambda ctx, grad, out: grad * (1.0 - out * out))
sigmoid = elementwise("sigmoid", dual.sigmoid, "d/dx sigmoid(x) = sigmoid(x) * (1 - sigmoid(x))",
                      lambda ctx, grad, out: grad * (1.0 - out) * out)

log2 = elementwise("log2", np.log2, "d/dx log2(x) = 1 / (x ln 2)",
                   lambda ctx, grad, x: grad / (x * _LN2))
log10 = elementwise("log10", np.log10, "d/dx log10(x) = 1 / (x ln 10)",
                    lambda ctx, grad, x: grad / (x * _LN10))
log1p = elementwise("log1p", np.log1p, "d/dx log1p(x) = 1 / (1 + x)",
                    lambda ctx, grad, x: grad / (1.0 + x))
exp2 = elementwise("exp2", np.exp2, "d/dx exp2(x) = exp2(x) ln 2",
                   lambda ctx, grad, out: grad * out * _LN2)
expm1 = elementwise("expm1", np.expm1, "d/dx expm1(x) = expm1(x) + 1",
                    lambda ctx, grad, out: grad * (out + 1.0))
square = elementwise("square", np.square, "d/dx x**2 = 2 x",
                     lambda ctx, grad, x: grad * (2.0 * x))
reciprocal = elementwise("reciprocal", np.reciprocal, "d/dx 1/x = -1 / x**2",
                         lambda ctx, grad, out: -grad * (out * out))


def _rsqrt_array(x: np.ndarray) -> np.ndarray:
    return 1 / np.sqrt(x)


rsqrt = elementwise("rsqrt", _rsqrt_array, "d/dx x**(-1/2) = -x**(-3/2) / 2",
                    lambda ctx, grad, out: grad * (out * out * out) * -0.5)


def _relu_array(x: np.ndarray) -> np.ndarray:
    # Against an array of zeros rather than the scalar 0: NumPy 2 vectorises
    # maximum only for two array operands (np.zeros, not zeros_like: a C call).
    out = np.zeros(x.shape, x.dtype)
    return np.maximum(x, out, out=out)


relu = elementwise("relu", _relu_array, "d/dx relu(x) = [x > 0]",
                   lambda ctx, grad, out: dual.keep(grad, dual.constant(out) > 0))


# ------------------------------------------------------------------ the error function
# Up to this |x| a power series of erf converges fast and without cancellation;
# beyond it the continued fraction of erfc does.
_SERIES_LIMIT = 2.0
_FRACTION_DEPTH = 60


def _exp_minus_square(x: np.ndarray) -> np.ndarray:
    """exp(-x^2) without the rounding error of x*x: split x = hi + lo with hi^2 exact."""
    hi = np.round(x * 64.0) / 64.0
    return np.exp(-hi * hi) * np.exp(-(x - hi) * (x + hi))


def _erf_series(x: np.ndarray) -> np.ndarray:
    """erf(x) = 2/sqrt(pi) exp(-x^2) x sum_n (2x^2)^n / (1*3*...*(2n+1)), by Horner's rule."""
    if x.size == 0:
        return x.copy()
    twice_largest_square = 2.0 * float(np.abs(x).max()) ** 2
    coefficients, term, total = [1.0], 1.0, 1.0
    while term > 1e-17 * total:  # as many terms as the largest |x| needs
        term *= twice_largest_square / (2 * len(coefficients) + 1)
        total += term
        coefficients.append(coefficients[-1] / (2 * len(coefficients) + 1))
    twice_square = 2.0 * x * x
    result = np.full_like(x, coefficients[-1])
    for coefficient in reversed(coefficients[:-1]):
        result *= twice_square
        result += coefficient
    return _TWO_OVER_SQRT_PI * _exp_minus_square(x) * x * result


def _erfc_fraction(x: np.ndarray) -> np.ndarray:
    """erfc(x) for x > 0: exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))."""
    tail = x.copy()
    for k in range(_FRACTION_DEPTH, 0, -1):
        tail = x + (0.5 * k) / tail
    return _exp_minus_square(x) / (math.sqrt(math.pi) * tail)


def _float_dtype(x) -> np.dtype:
    dtype = np.asarray(x).dtype
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def erf_array(x: np.ndarray, complement: bool = False) -> np.ndarray:
    """erf(x) (or erfc(x) = 1 - erf(x), accurate for large x) elementwise, in x's float dtype.

    Computed in float64 with absolute error below 1e-15.
    """
    values = np.asarray(x, dtype=np.float64)
    sign = np.sign(values)
    out = np.array(1.0 - sign if complement else sign)  # already right for +-inf and NaN
    finite = np.isfinite(values)
    small = np.abs(values) <= _SERIES_LIMIT
    positive, negative = finite & (values > _SERIES_LIMIT), finite & (values < -_SERIES_LIMIT)
    series = _erf_series(values[small])
    out[small] = 1.0 - series if complement else series
    tail = _erfc_fraction(values[positive])
    out[positive] = tail if complement else 1.0 - tail
    tail = _erfc_fraction(-values[negative])
    out[negative] = 2.0 - tail if complement else tail - 1.0
    return out.astype(_float_dtype(x), copy=False)


erf = elementwise("erf", erf_array, "d/dx erf(x) = 2/sqrt(pi) * exp(-x**2)",
                  lambda ctx, grad, x: grad * _TWO_OVER_SQRT_PI * dual.exp(-(x * x)))


# ------------------------------------------------------------------ clip


class Clip(Op):
    """d/dx clip(x, lo, hi) = [lo <= x <= hi]"""

    def forward(ctx, x, a_min=None, a_max=None):
        inside = np.ones(x.shape, dtype=bool)
        if a_min is not None:
            inside &= x >= a_min
        if a_max is not None:
            inside &= x <= a_max
        ctx.inside = inside
        return np.clip(x, a_min, a_max)

    def backward(ctx, grad):
        return dual.keep(grad, ctx.inside)


def clip(x, a_min=None, a_max=None, *, min=None, max=None) -> Tensor:  # noqa: A002
    """Limit values to ``[a_min, a_max]`` (either may be None), as ``np.clip``.

    PyTorch's ``clamp(min=, max=)`` spelling works too.
    """
    a_min = min if a_min is None else a_min
    a_max = max if a_max is None else a_max
    if a_min is None and a_max is None:
        raise ShapeError("clip: at least one of a_min and a_max must be given")
    bounds = [bound.data if isinstance(bound, Tensor) else bound for bound in (a_min, a_max)]
    return Clip.apply(as_tensor(x), a_min=bounds[0], a_max=bounds[1])


absolute, clamp = abs, clip
