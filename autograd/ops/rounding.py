"""Piecewise-constant functions: ``sign floor ceil round trunc``.

Their derivative is 0 wherever it exists, and PyTorch takes 0 at the jumps as
well: the result of a tensor that requires grad still requires grad, and its
gradient is zeros (selected, not multiplied, so an infinite upstream gradient
gives 0 too). Integer tensors keep their dtype, as NumPy.
"""

from __future__ import annotations

import numpy as np

from autograd.function import Op, elementwise
from autograd.ops import dual
from autograd.tensor import Tensor, as_tensor

__all__ = ["sign", "floor", "ceil", "round", "trunc", "around"]

FLAT = "d/dx {}(x) = 0 (PyTorch's 0 at the jumps too)"


def _flat(ctx, grad):
    return dual.where(False, grad, 0.0)


sign = elementwise("sign", np.sign, FLAT.format("sign"), _flat)
floor = elementwise("floor", np.floor, FLAT.format("floor"), _flat)
ceil = elementwise("ceil", np.ceil, FLAT.format("ceil"), _flat)
trunc = elementwise("trunc", np.trunc, FLAT.format("trunc"), _flat)


class Round(Op):
    __doc__ = FLAT.format("round")

    def forward(ctx, x, decimals=0):
        return np.round(x, decimals)

    backward = _flat


def round(x, decimals: int = 0) -> Tensor:  # noqa: A001 - NumPy's name
    """Round to ``decimals`` decimal places, halves to even (as ``np.round`` and PyTorch).

    ``round(2.5) = 2``, ``round(-0.5) = -0``, ``round(0.125, 2) = 0.12``; a negative
    ``decimals`` rounds to tens, hundreds, ...  The gradient is 0.
    """
    if not isinstance(decimals, (int, np.integer)) or isinstance(decimals, bool):
        raise TypeError(f"round: decimals must be an int, got {decimals!r}")
    return Round.apply(as_tensor(x), decimals=int(decimals))


around = round  # NumPy's other name
