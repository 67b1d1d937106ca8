"""Arithmetic with broadcasting: ``+ - * / ** % //``, negation, ``maximum``/``minimum``,
``logaddexp`` and ``lerp``.

Each ``backward`` returns gradients in the broadcast shape; the engine sums them
back to each input's shape. Python numbers next to a tensor follow NumPy's
promotion (``int_tensor + 1`` stays integer, ``float32 * 2.0`` stays float32).
"""

from __future__ import annotations

import numpy as np

from autograd import capturing
from autograd.function import Op
from autograd.ops import dual
from autograd.tensor import Tensor, as_tensor

__all__ = ["add", "sub", "mul", "div", "power", "neg", "positive", "maximum", "minimum",
           "subtract", "multiply", "divide", "true_divide", "negative", "pow",
           "remainder", "mod", "floor_divide", "logaddexp", "lerp"]


class Add(Op):
    """d/da (a + b) = 1, d/db (a + b) = 1"""

    def forward(ctx, a, b):
        return a + b

    def backward(ctx, grad):
        return grad, grad


class Sub(Op):
    """d/da (a - b) = 1, d/db (a - b) = -1"""

    def forward(ctx, a, b):
        return a - b

    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Mul(Op):
    """d/da (a * b) = b, d/db (a * b) = a"""

    def forward(ctx, a, b):
        return a * b

    def backward(ctx, grad, a, b):
        need_a, need_b = ctx.needs_input_grad
        return (grad * b if need_a else None), (grad * a if need_b else None)


class Div(Op):
    """d/da (a / b) = 1 / b, d/db (a / b) = -a / b**2"""

    def forward(ctx, a, b):
        return a / b

    def backward(ctx, grad, a, b):
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad / b if need_a else None
        grad_b = -grad * a / (b * b) if need_b else None
        return grad_a, grad_b


class Pow(Op):
    """d/da a**b = b * a**(b - 1) (0 if b = 0), d/db a**b = a**b * log(a) (0 if a = 0, b >= 0)"""

    def forward(ctx, a, b):
        return a**b

    def backward(ctx, grad, a, b, out):
        need_a, need_b = ctx.needs_input_grad
        base, exponent = dual.constant(a), dual.constant(b)
        grad_a = grad_b = None
        # PyTorch's conventions at a zero base: x**0 has slope 0 everywhere, and 0**y
        # (y >= 0) none with respect to y, instead of 0 * inf = NaN.
        with np.errstate(divide="ignore", invalid="ignore"):
            if need_a:
                grad_a = dual.keep(grad * b * a ** (b - 1), exponent != 0)
            if need_b:
                flat = (base == 0) & (exponent >= 0)
                grad_b = dual.keep(grad * out * dual.log(a), ~flat)
        return grad_a, grad_b


class Neg(Op):
    """d/dx (-x) = -1"""

    def forward(ctx, x):
        return -x

    def backward(ctx, grad):
        return -grad


class Maximum(Op):
    """d/da max(a, b) = [a > b] + [a == b] / 2 (ties share the gradient); minimum is -max(-a, -b)"""

    def forward(ctx, a, b):
        return np.maximum(a, b)

    def backward(ctx, grad, a, b):
        need_a, need_b = ctx.needs_input_grad
        a, b = dual.constant(a), dual.constant(b)
        # Selected, not multiplied by a 0/1 mask: an infinite gradient stays off the loser.
        tie_share = dual.keep(grad * 0.5, a == b)
        grad_a = dual.where(a > b, grad, tie_share) if need_a else None
        grad_b = dual.where(a < b, grad, tie_share) if need_b else None
        return grad_a, grad_b


class Remainder(Op):
    """d/da (a mod b) = 1, d/db (a mod b) = -floor(a / b)"""

    def forward(ctx, a, b):
        return np.remainder(a, b)

    def backward(ctx, grad, a, b):
        need_a, need_b = ctx.needs_input_grad
        # floor(a / b) is piecewise constant: a constant of the backward, even when recorded
        with np.errstate(divide="ignore", invalid="ignore"):
            quotient = np.floor_divide(dual.constant(a), dual.constant(b))
        return (grad if need_a else None), (-grad * quotient if need_b else None)


class Logaddexp(Op):
    """d/da logaddexp(a, b) = sigmoid(a - b), d/db logaddexp(a, b) = sigmoid(b - a)"""

    def forward(ctx, a, b):
        return np.logaddexp(a, b)

    def backward(ctx, grad, a, b):
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad * dual.sigmoid(a - b) if need_a else None
        grad_b = grad * dual.sigmoid(b - a) if need_b else None
        return grad_a, grad_b


class Lerp(Op):
    """d/dstart lerp = 1 - weight, d/dend lerp = weight, d/dweight lerp = end - start"""

    def forward(ctx, start, end, weight):
        difference = end - start
        # PyTorch's two-sided formula: exactly ``end`` at weight 1, exactly ``start`` at 0
        return np.where(np.abs(weight) < 0.5, start + weight * difference,
                        end - difference * (1.0 - weight))

    def backward(ctx, grad, start, end, weight):
        need_start, need_end, need_weight = ctx.needs_input_grad
        grad_start = grad * (1.0 - weight) if need_start else None
        grad_end = grad * weight if need_end else None
        grad_weight = grad * (end - start) if need_weight else None
        return grad_start, grad_end, grad_weight


# ------------------------------------------------------------------ public functions


def _operands(a, b) -> tuple:
    """``a`` and ``b`` as Tensors; a Python number takes the other's dtype (NumPy's promotion)."""
    if isinstance(a, Tensor):
        return a, (b if isinstance(b, Tensor) else as_tensor(b, like=a))
    b = as_tensor(b)
    return as_tensor(a, like=b), b


def _binary(op: type[Op], name: str, doc: str):
    def function(a, b) -> Tensor:
        return op.apply(*_operands(a, b))

    def reflected(self, other) -> Tensor:
        return op.apply(as_tensor(other, like=self), self)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    reflected.__name__ = reflected.__qualname__ = f"__r{name}__"
    return function, reflected


add, radd = _binary(Add, "add", "``a + b`` with broadcasting.")
sub, rsub = _binary(Sub, "sub", "``a - b`` with broadcasting.")
mul, rmul = _binary(Mul, "mul", "``a * b`` with broadcasting.")
div, rdiv = _binary(Div, "div", "``a / b`` (true division) with broadcasting.")
power, rpower = _binary(Pow, "power", "``a ** b`` with broadcasting, as ``np.power``.")
maximum, _ = _binary(Maximum, "maximum",
                     "Elementwise maximum with broadcasting; ties share the gradient equally.")


def neg(x) -> Tensor:
    """``-x``."""
    return Neg.apply(as_tensor(x))


def positive(x) -> Tensor:
    """``+x``: the tensor itself."""
    return as_tensor(x)


def minimum(a, b) -> Tensor:
    """Elementwise minimum with broadcasting; ties share the gradient equally."""
    return neg(maximum(neg(a), neg(b)))


remainder, rremainder = _binary(
    Remainder, "remainder", "``a % b`` with broadcasting, as ``np.remainder`` (Python's modulo: "
    "the result has the sign of ``b``); d/da = 1, d/db = -floor(a / b).")
logaddexp, _ = _binary(Logaddexp, "logaddexp", "``log(exp(a) + exp(b))`` without overflow, with "
                       "broadcasting, as ``np.logaddexp``.")


def floor_divide(a, b) -> Tensor:
    """``a // b`` with broadcasting: ``floor(a / b)``, as ``np.floor_divide`` (ints stay ints).

    Not differentiable: the result never requires grad. Its derivative is 0 wherever
    it exists, so treating it as a constant gives the right gradient of any
    expression that uses it (PyTorch records it and raises on backward instead).
    """
    a, b = _operands(a, b)
    try:
        return Tensor._make(np.asarray(capturing.call(np.floor_divide, a.data, b.data)))
    except ValueError:
        raise ValueError(f"floor_divide: shapes {a.shape} and {b.shape} cannot be broadcast "
                         "together") from None
    except TypeError as error:
        raise TypeError(f"floor_divide: {error} (dtypes {a.dtype} and {b.dtype})") from None


def rfloor_divide(self, other) -> Tensor:
    """``other // self`` (the reflected operator)."""
    return floor_divide(as_tensor(other, like=self), self)


def lerp(start, end, weight) -> Tensor:
    """Linear interpolation ``start + weight * (end - start)`` with broadcasting, as PyTorch.

    ``weight`` is a number or a tensor; gradients flow to all three.
    """
    start, end = _operands(start, end)
    weight = as_tensor(weight, like=start)
    try:
        np.broadcast_shapes(start.shape, end.shape, weight.shape)
    except ValueError:
        raise ValueError(f"lerp: start {start.shape}, end {end.shape} and weight {weight.shape} "
                         "cannot be broadcast together") from None
    return Lerp.apply(start, end, weight)


# NumPy's longer names, PyTorch's ``pow``, and NumPy's and PyTorch's ``mod``
subtract, multiply, divide, true_divide, negative, pow = sub, mul, div, div, neg, power
mod = remainder
