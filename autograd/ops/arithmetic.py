"""Arithmetic with broadcasting: ``+ - * / **``, negation, ``maximum``/``minimum``.

Each ``backward`` returns gradients in the broadcast shape; the engine sums them
back to each input's shape. Python numbers next to a tensor follow NumPy's
promotion (``int_tensor + 1`` stays integer, ``float32 * 2.0`` stays float32).
"""

from __future__ import annotations

import numpy as np

from autograd.function import Op
from autograd.ops import dual
from autograd.tensor import Tensor, as_tensor

__all__ = ["add", "sub", "mul", "div", "power", "neg", "positive", "maximum", "minimum",
           "subtract", "multiply", "divide", "true_divide", "negative", "pow"]


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
                grad_a = dual.where(exponent == 0, 0.0, grad * b * a ** (b - 1))
            if need_b:
                flat = (base == 0) & (exponent >= 0)
                grad_b = dual.where(flat, 0.0, grad * out * dual.log(a))
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
        tie_share = dual.where(a == b, grad * 0.5, 0.0)
        grad_a = dual.where(a > b, grad, tie_share) if need_a else None
        grad_b = dual.where(a < b, grad, tie_share) if need_b else None
        return grad_a, grad_b


# ------------------------------------------------------------------ public functions


def _binary(op: type[Op], name: str, doc: str):
    def function(a, b) -> Tensor:
        if isinstance(a, Tensor):
            return op.apply(a, b if isinstance(b, Tensor) else as_tensor(b, like=a))
        b = as_tensor(b)
        return op.apply(as_tensor(a, like=b), b)

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


# NumPy's longer names and PyTorch's ``pow``
subtract, multiply, divide, true_divide, negative, pow = sub, mul, div, div, neg, power
