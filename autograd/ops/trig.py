"""Trigonometric and hyperbolic functions, their inverses, and ``arctan2``.

NumPy's names (``arcsin``, ``arctan2``, ``arcsinh``) with PyTorch's aliases
(``asin``, ``atan2``, ``asinh``). Each backward is written with operators and
``autograd.ops.dual`` so it records itself under ``create_graph=True``.
"""

from __future__ import annotations

import numpy as np

from autograd.function import Op, elementwise
from autograd.ops import dual
from autograd.ops.arithmetic import _binary

__all__ = ["tan", "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "arcsinh", "arccosh",
           "arctanh", "asin", "acos", "atan", "atan2", "asinh", "acosh", "atanh"]

tan = elementwise("tan", np.tan, "d/dx tan(x) = 1 + tan(x)**2",
                  lambda ctx, grad, out: grad * (1.0 + out * out))
arcsin = elementwise("arcsin", np.arcsin, "d/dx arcsin(x) = 1 / sqrt(1 - x**2)",
                     lambda ctx, grad, x: grad / dual.sqrt((1.0 - x) * (1.0 + x)))
arccos = elementwise("arccos", np.arccos, "d/dx arccos(x) = -1 / sqrt(1 - x**2)",
                     lambda ctx, grad, x: -grad / dual.sqrt((1.0 - x) * (1.0 + x)))
arctan = elementwise("arctan", np.arctan, "d/dx arctan(x) = 1 / (1 + x**2)",
                     lambda ctx, grad, x: grad / (1.0 + x * x))
sinh = elementwise("sinh", np.sinh, "d/dx sinh(x) = cosh(x)",
                   lambda ctx, grad, x: grad * _cosh(x))
cosh = elementwise("cosh", np.cosh, "d/dx cosh(x) = sinh(x)",
                   lambda ctx, grad, x: grad * _sinh(x))
arcsinh = elementwise("arcsinh", np.arcsinh, "d/dx arcsinh(x) = 1 / sqrt(x**2 + 1)",
                      lambda ctx, grad, x: grad / dual.sqrt(x * x + 1.0))
arccosh = elementwise("arccosh", np.arccosh, "d/dx arccosh(x) = 1 / sqrt(x**2 - 1)",
                      lambda ctx, grad, x: grad / dual.sqrt((x - 1.0) * (x + 1.0)))
arctanh = elementwise("arctanh", np.arctanh, "d/dx arctanh(x) = 1 / (1 - x**2)",
                      lambda ctx, grad, x: grad / ((1.0 - x) * (1.0 + x)))

# For the backward formulas above: sinh and cosh on arrays, or recorded on Tensors.
_sinh = dual.function(np.sinh, sinh, "sinh")
_cosh = dual.function(np.cosh, cosh, "cosh")


class Arctan2(Op):
    """d/dy arctan2(y, x) = x / (x**2 + y**2), d/dx arctan2(y, x) = -y / (x**2 + y**2) (0 at 0)"""

    def forward(ctx, y, x):
        return np.arctan2(y, x)

    def backward(ctx, grad, y, x):
        need_y, need_x = ctx.needs_input_grad
        # PyTorch's convention at the origin, where the angle has no derivative: 0, not NaN.
        origin = (dual.constant(y) == 0) & (dual.constant(x) == 0)
        scaled = grad / dual.where(origin, 1.0, x * x + y * y)
        grad_y = dual.keep(scaled * x, ~origin) if need_y else None
        grad_x = dual.keep(-scaled * y, ~origin) if need_x else None
        return grad_y, grad_x


arctan2, _ = _binary(Arctan2, "arctan2", "The angle of the point ``(x2, x1)``: ``arctan(x1 / x2)`` "
                     "in the right quadrant, with broadcasting, as ``np.arctan2(x1, x2)``.")

# PyTorch's names
asin, acos, atan, atan2 = arcsin, arccos, arctan, arctan2
asinh, acosh, atanh = arcsinh, arccosh, arctanh
