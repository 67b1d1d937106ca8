"""Elementwise ops: arithmetic with broadcasting and the usual math functions.

Each ``backward`` returns the gradient in the broadcast shape; the engine sums
it back to each input's shape.
"""

from __future__ import annotations

import numpy as np

from autograd.function import Op, ShapeError
from autograd.ops import _dual
from autograd.ops._dual import data_of
from autograd.tensor import Tensor, as_tensor


class Add(Op):
    """d/da (a + b) = 1, d/db (a + b) = 1"""

    name = "add"

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Op):
    """d/da (a - b) = 1, d/db (a - b) = -1"""

    name = "sub"

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)


class Mul(Op):
    """d/da (a * b) = b, d/db (a * b) = a"""

    name = "mul"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad * b if need_a else None), (grad * a if need_b else None)


class Div(Op):
    """d/da (a / b) = 1 / b, d/db (a / b) = -a / b**2"""

    name = "div"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad / b if need_a else None
        grad_b = -grad * a / (b * b) if need_b else None
        return grad_a, grad_b


class Pow(Op):
    """d/da a**b = b * a**(b - 1), d/db a**b = a**b * log(a)"""

    name = "pow"

    @staticmethod
    def forward(ctx, a, b):
        out = a**b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad * b * a ** (b - 1) if need_a else None
        grad_b = grad * out * _dual.log(a) if need_b else None
        return grad_a, grad_b


class Maximum(Op):
    """d/da max(a, b) = [a > b] + [a == b] / 2 (ties share the gradient)"""

    name = "maximum"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = (data_of(v) for v in ctx.saved_tensors)
        share_a = (a > b) + 0.5 * (a == b)
        return grad * share_a, grad * (1.0 - share_a)


class Minimum(Op):
    """d/da min(a, b) = [a < b] + [a == b] / 2 (ties share the gradient)"""

    name = "minimum"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = (data_of(v) for v in ctx.saved_tensors)
        share_a = (a < b) + 0.5 * (a == b)
        return grad * share_a, grad * (1.0 - share_a)


class Neg(Op):
    """d/dx (-x) = -1"""

    name = "neg"

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad):
        return -grad


class Exp(Op):
    """d/dx exp(x) = exp(x)"""

    name = "exp"

    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out


class Log(Op):
    """d/dx log(x) = 1 / x"""

    name = "log"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x


class Sqrt(Op):
    """d/dx sqrt(x) = 1 / (2 sqrt(x))"""

    name = "sqrt"

    @staticmethod
    def forward(ctx, x):
        out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad / (2 * out)


class Abs(Op):
    """d/dx |x| = sign(x) (0 at 0)"""

    name = "abs"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * np.sign(data_of(x))


class Tanh(Op):
    """d/dx tanh(x) = 1 - tanh(x)**2"""

    name = "tanh"

    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (1 - out * out)


class Sigmoid(Op):
    """d/dx sigmoid(x) = sigmoid(x) * (1 - sigmoid(x))"""

    name = "sigmoid"

    @staticmethod
    def forward(ctx, x):
        # exp(-|x|) never overflows, and e / (1 + e) is sigmoid(-|x|) to full precision.
        e = np.exp(-np.abs(x))
        small = e / (1 + e)
        out = np.where(x >= 0, 1 - small, small)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * out * (1 - out)


class Relu(Op):
    """d/dx relu(x) = [x > 0]"""

    name = "relu"

    @staticmethod
    def forward(ctx, x):
        out = np.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return grad * (data_of(out) > 0)


class Sin(Op):
    """d/dx sin(x) = cos(x)"""

    name = "sin"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * _dual.cos(x)


class Cos(Op):
    """d/dx cos(x) = -sin(x)"""

    name = "cos"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return -grad * _dual.sin(x)


class Clip(Op):
    """d/dx clip(x, lo, hi) = [lo <= x <= hi]"""

    name = "clip"

    @staticmethod
    def forward(ctx, x, a_min=None, a_max=None):
        if a_min is None and a_max is None:
            raise ShapeError("clip: at least one of a_min and a_max must be given")
        inside = np.ones(x.shape, dtype=bool)
        if a_min is not None:
            inside &= x >= a_min
        if a_max is not None:
            inside &= x <= a_max
        ctx.save_for_backward(inside)
        return np.clip(x, a_min, a_max)

    @staticmethod
    def backward(ctx, grad):
        (inside,) = ctx.saved_tensors
        return grad * inside


# ------------------------------------------------------------------ public functions


def _binary(op: type[Op]):
    def function(a, b) -> Tensor:
        if isinstance(a, Tensor):
            return op.apply(a, as_tensor(b, like=a))
        b = as_tensor(b)
        return op.apply(as_tensor(a, like=b), b)

    return function


add, sub, mul, div, power = (_binary(op) for op in (Add, Sub, Mul, Div, Pow))
maximum = _binary(Maximum)
minimum = _binary(Minimum)
maximum.__doc__ = "Elementwise maximum with broadcasting; ties share the gradient equally."
minimum.__doc__ = "Elementwise minimum with broadcasting; ties share the gradient equally."


def _unary(op: type[Op]):
    def function(x) -> Tensor:
        return op.apply(as_tensor(x))

    function.__name__ = op.name
    function.__doc__ = f"Elementwise {op.name}: {op.__doc__}."
    return function


neg, exp, log, sqrt, abs, tanh, sigmoid, relu, sin, cos = (  # noqa: A001 - NumPy's names
    _unary(op) for op in (Neg, Exp, Log, Sqrt, Abs, Tanh, Sigmoid, Relu, Sin, Cos)
)


def clip(x, a_min=None, a_max=None) -> Tensor:
    """Limit values to ``[a_min, a_max]`` (either may be None), as ``np.clip``."""
    return Clip.apply(as_tensor(x), a_min=a_min, a_max=a_max)


def _comparison(ufunc):
    def compare(self, other) -> Tensor:
        other = data_of(other)
        try:
            return Tensor._make(ufunc(self.data, other))
        except ValueError:
            raise ValueError(
                f"{ufunc.__name__}: shapes {self.shape} and {np.shape(other)} cannot be "
                "broadcast together"
            ) from None

    return compare


def _reflected(op: type[Op]):
    def method(self, other) -> Tensor:
        return op.apply(as_tensor(other, like=self), self)

    return method


def _forward(op: type[Op]):
    def method(self, other) -> Tensor:
        return op.apply(self, as_tensor(other, like=self))

    return method


Tensor.__add__ = _forward(Add)
Tensor.__radd__ = _reflected(Add)
Tensor.__sub__ = _forward(Sub)
Tensor.__rsub__ = _reflected(Sub)
Tensor.__mul__ = _forward(Mul)
Tensor.__rmul__ = _reflected(Mul)
Tensor.__truediv__ = _forward(Div)
Tensor.__rtruediv__ = _reflected(Div)
Tensor.__pow__ = _forward(Pow)
Tensor.__rpow__ = _reflected(Pow)
Tensor.__neg__ = neg
Tensor.__lt__ = _comparison(np.less)
Tensor.__le__ = _comparison(np.less_equal)
Tensor.__gt__ = _comparison(np.greater)
Tensor.__ge__ = _comparison(np.greater_equal)
Tensor.__eq__ = _comparison(np.equal)
Tensor.__ne__ = _comparison(np.not_equal)
for _function in (exp, log, sqrt, abs, tanh, sigmoid, relu, sin, cos, clip):
    setattr(Tensor, _function.__name__, _function)
Tensor.__abs__ = abs
